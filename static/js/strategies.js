// The strategy comparison page: forgetting against gain, and the metric across the domains.
// One colour per strategy on both charts; source-only models dashed, in their own toggleable group.
(function () {
  const source = document.getElementById("strategy-data");
  if (!source || typeof Plotly === "undefined") return;
  const data = JSON.parse(source.textContent);
  const escape = (text) => String(text).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
  const config = { responsive: true, displaylogo: false };
  // Tableau 10: distinct hues that stay apart for the common colour-vision deficiencies.
  const palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];
  const colour = (strategy) => palette[Math.max(0, data.strategies.indexOf(strategy)) % palette.length];
  // On a phone the legend goes under the plot, which grows to hold it.
  const narrow = document.getElementById("scatter").clientWidth < 600;
  const legend = (entries) => (narrow ? { legend: { orientation: "h", y: -0.2, yanchor: "top" }, height: 440 + 22 * entries } : { height: 440 });
  const byStrategy = {};
  data.points.forEach((p) => (byStrategy[p.strategy] = byStrategy[p.strategy] || []).push(p));
  const strategies = data.strategies.filter((s) => byStrategy[s]);

  const scatter = strategies.map((strategy) => {
    const points = byStrategy[strategy];
    return {
      type: "scatter", mode: "markers", name: escape(strategy), legendgroup: strategy,
      marker: { size: 11, color: colour(strategy), line: { width: 1, color: "#fff" } },
      x: points.map((p) => p.gain), y: points.map((p) => p.forgetting),
      text: points.map((p) => escape(p.method)),
      hovertemplate: "%{text}<br>gain %{x:.4f}<br>forgetting %{y:.4f}<extra>" + escape(strategy) + "</extra>",
    };
  });
  Plotly.newPlot("scatter", scatter, {
    xaxis: { title: { text: "Gain on the target domain (higher is better)" }, zeroline: true },
    yaxis: { title: { text: "Forgetting on the source domain (lower is better)" }, zeroline: true },
    margin: { t: 20, r: 10, b: 50, l: 60 }, hovermode: "closest", ...legend(scatter.length),
  }, config);

  // Final models: one line each, coloured by strategy; clicking a strategy in the legend toggles its lines.
  const lines = [];
  strategies.forEach((strategy) => {
    byStrategy[strategy].forEach((p, i) => lines.push({
      type: "scatter", mode: "lines+markers", x: data.domains, y: p.final_row, name: escape(strategy),
      legendgroup: strategy, showlegend: i === 0, line: { color: colour(strategy), width: 2 },
      marker: { color: colour(strategy), size: 7 },
      hovertemplate: escape(p.method) + " (final model)<br>%{x}: %{y:.4f}<extra>" + escape(strategy) + "</extra>",
    }));
  });
  // Source-only models: identical rows (one shared source model) drawn once, naming every submission that has it.
  const shared = new Map();
  data.points.forEach((p) => {
    const key = JSON.stringify((p.first_row || []).map((v) => (v === null ? null : v.toFixed(4))));
    if (!shared.has(key)) shared.set(key, { row: p.first_row, methods: [], strategies: new Set() });
    shared.get(key).methods.push(p.method);
    shared.get(key).strategies.add(p.strategy);
  });
  const symbols = ["circle-open", "square-open", "diamond-open", "triangle-up-open", "x-thin-open", "star-open"];
  let first = true;
  [...shared.values()].forEach((group, i) => {
    const one = group.strategies.size === 1 ? [...group.strategies][0] : null;
    const who = group.methods.length > 3 ? group.methods.length + " submissions" : group.methods.map(escape).join(", ");
    lines.push({
      type: "scatter", mode: "lines+markers", x: data.domains, y: group.row, name: "source-only models",
      legendgroup: "source-only", showlegend: first, line: { dash: "dash", width: 1.5, color: one ? colour(one) : "#555" },
      marker: { symbol: symbols[i % symbols.length], size: 9, color: one ? colour(one) : "#555" },
      hovertemplate: "source-only model of " + who + "<br>%{x}: %{y:.4f}<extra></extra>",
    });
    first = false;
  });
  Plotly.newPlot("sequence", lines, {
    xaxis: { title: { text: "Domain" }, type: "category" },
    yaxis: { title: { text: data.metric + (data.higher_is_better ? " (higher is better)" : " (lower is better)") } },
    margin: { t: 20, r: 10, b: 50, l: 60 }, hovermode: "closest", ...legend(strategies.length + 1),
  }, config);

  const toggle = document.getElementById("show-source-only");
  if (toggle) {
    toggle.addEventListener("change", () => {
      const indices = lines.map((line, i) => (line.legendgroup === "source-only" ? i : -1)).filter((i) => i >= 0);
      Plotly.restyle("sequence", { visible: toggle.checked }, indices);
    });
  }
})();
