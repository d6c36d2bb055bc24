// A transfer submission's stage x domain matrix as a heatmap.
(function () {
  const source = document.getElementById("matrix-data");
  if (!source || typeof Plotly === "undefined") return;
  const data = JSON.parse(source.textContent);
  const stages = data.matrix.map((_, i) => "stage " + (i + 1));
  const text = data.matrix.map((row) => row.map((v) => (v === null ? "not given" : v.toFixed(4))));
  Plotly.newPlot("matrix", [{
    type: "heatmap", z: data.matrix, x: data.domains, y: stages, text: text, texttemplate: "%{text}",
    colorscale: "Blues", reversescale: true, hovertemplate: "%{y} on %{x}: %{text}<extra></extra>",
  }], {
    yaxis: { autorange: "reversed", type: "category" }, xaxis: { type: "category", side: "top" },
    margin: { t: 40, r: 10, b: 20, l: 70 }, height: 320,
  }, { responsive: true, displaylogo: false });
})();
