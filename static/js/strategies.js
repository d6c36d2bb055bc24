// The strategy comparison page: forgetting against gain, and the metric across the domains.
(function () {
  const source = document.getElementById("strategy-data");
  if (!source || typeof Plotly === "undefined") return;
  const data = JSON.parse(source.textContent);
  const escape = (text) => String(text).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
  const config = { responsive: true, displaylogo: false };
  // On a phone the legend goes under the plot, which grows to hold it.
  const narrow = document.getElementById("scatter").clientWidth < 600;
  const legend = (entries) => (narrow ? { legend: { orientation: "h", y: -0.2, yanchor: "top" }, height: 440 + 22 * entries } : { height: 440 });
  const byStrategy = {};
  data.points.forEach((p) => (byStrategy[p.strategy] = byStrategy[p.strategy] || []).push(p));

  const scatter = Object.entries(byStrategy).map(([strategy, points]) => ({
    type: "scatter", mode: "markers", name: escape(strategy), marker: { size: 11 },
    x: points.map((p) => p.gain), y: points.map((p) => p.forgetting),
    text: points.map((p) => escape(p.method)),
    hovertemplate: "%{text}<br>gain %{x:.4f}<br>forgetting %{y:.4f}<extra>" + escape(strategy) + "</extra>",
  }));
  Plotly.newPlot("scatter", scatter, {
    xaxis: { title: { text: "Gain on the target domain" }, zeroline: true },
    yaxis: { title: { text: "Forgetting on the source domain" }, zeroline: true },
    margin: { t: 20, r: 10, b: 50, l: 60 }, hovermode: "closest", ...legend(scatter.length),
  }, config);

  const lines = [];
  data.points.forEach((p) => {
    lines.push({
      type: "scatter", mode: "lines+markers", x: data.domains, y: p.final_row, name: escape(p.method),
      hovertemplate: escape(p.method) + " (final)<br>%{x}: %{y:.4f}<extra>" + escape(p.strategy) + "</extra>",
    });
    lines.push({
      type: "scatter", mode: "lines", x: data.domains, y: p.first_row, name: escape(p.method) + " (source-only)",
      line: { dash: "dot", width: 1 }, showlegend: false,
      hovertemplate: escape(p.method) + " (source-only)<br>%{x}: %{y:.4f}<extra></extra>",
    });
  });
  Plotly.newPlot("sequence", lines, {
    xaxis: { title: { text: "Domain" }, type: "category" },
    yaxis: { title: { text: data.metric } },
    margin: { t: 20, r: 10, b: 50, l: 60 }, hovermode: "closest", ...legend(data.points.length),
  }, config);
})();
