// The submit form follows the chosen track: its quota, its file format and, on accuracy tracks, no transfer fields.
(function () {
  const errors = document.getElementById("form-errors");
  if (errors) {
    errors.scrollIntoView({ block: "start" });
    errors.focus();
  }
  const select = document.getElementById("id_track");
  const data = document.getElementById("submit-tracks");
  if (!select || !data) return;
  const tracks = JSON.parse(data.textContent);
  function plural(n) {
    return n === 1 ? "" : "s";
  }
  function follow() {
    const track = tracks[select.value];
    if (!track) return;
    const quota = document.getElementById("quota");
    quota.hidden = false;
    let text;
    if (track.phase !== "open") {
      text = "this track is " + track.phase + ": it does not accept submissions now.";
    } else {
      text = track.remaining_today + " submission" + plural(track.remaining_today) + " left today (" +
        track.remaining_total + " in total); the daily count resets at " + track.resets_at + " UTC.";
    }
    document.getElementById("quota-track").textContent = track.name;
    document.getElementById("quota-text").textContent = text;
    document.getElementById("file-format").textContent = "Expected: " + track.format + ".";
    document.querySelectorAll("[data-transfer-only]").forEach(function (field) {
      field.hidden = !track.transfer;
    });
  }
  select.addEventListener("change", follow);
  follow();
})();
