// Polls the submission's status until it is finished, then reloads to show the scores.
(function () {
  const badge = document.getElementById("status");
  if (!badge || badge.dataset.finished === "true") return;
  const url = badge.dataset.statusUrl;
  let delay = 1000;
  async function poll() {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const data = await response.json();
        badge.textContent = data.status.charAt(0).toUpperCase() + data.status.slice(1);
        badge.className = "status " + data.status;
        if (data.finished) {
          const queued = document.getElementById("queued-notice");
          if (queued) queued.hidden = true;
          if (data.status === "failed") {
            document.getElementById("error-message").textContent = data.error;
            document.getElementById("quota-counted").textContent = data.counts_against_quota
              ? "This failure counts against your quota: the file was at fault."
              : "This failure does not count against your quota: the server was at fault (it is logged for the hosts).";
            document.getElementById("error").hidden = false;
          } else {
            window.location.reload();
          }
          return;
        }
      }
    } catch (e) {
      // A network hiccup: keep polling.
    }
    delay = Math.min(delay * 1.5, 10000);
    setTimeout(poll, delay);
  }
  setTimeout(poll, delay);
})();
