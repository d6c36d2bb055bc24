// Fetches a submission's plot data once, from the URL in this script tag's data-plots-url, and hands
// it to each plot script; the JSON is cached by the browser (ETag) and kept out of the HTML.
(function () {
  const holder = document.querySelector("[data-plots-url]");
  const data = holder
    ? fetch(holder.dataset.plotsUrl, { credentials: "same-origin" }).then((r) => (r.ok ? r.json() : {}))
    : Promise.resolve({});
  window.withPlots = (draw) => data.then(draw);
})();
