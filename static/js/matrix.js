// A transfer submission's stage x domain matrix as a heatmap; darker is better whichever the metric's direction.
(function () {
  const source = document.getElementById("matrix-data");
  if (!source || typeof Plotly === "undefined") return;
  const data = JSON.parse(source.textContent);
  const stages = data.matrix.map((_, i) => "after stage " + (i + 1));
  const text = data.matrix.map((row) => row.map((v) => (v === null ? "not given" : v.toFixed(4))));
  const better = data.higher_is_better ? "higher is better" : "lower is better";
  Plotly.newPlot("matrix", [{
    type: "heatmap", z: data.matrix, x: data.domains, y: stages, text: text, texttemplate: "%{text}",
    colorscale: [[0, "#f7fbff"], [0.3, "#c6dbef"], [0.6, "#6baed6"], [1, "#08306b"]], reversescale: !data.higher_is_better,
    colorbar: { title: { text: data.metric + " (" + better + ")", side: "right" }, thickness: 12 },
    hovertemplate: "%{y} on %{x}: %{text}<extra>" + better + "</extra>",
  }], {
    yaxis: { autorange: "reversed", type: "category" }, xaxis: { type: "category", side: "top", title: { text: "test domain" } },
    margin: { t: 50, r: 10, b: 20, l: 100 }, height: 120 + 50 * stages.length,
  }, { responsive: true, displaylogo: false });
})();
