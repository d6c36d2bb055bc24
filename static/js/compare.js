// The compare page: curves overlaid and error breakdowns side by side.
(function () {
  const source = document.getElementById("compare-data");
  if (!source || typeof Plotly === "undefined") return;
  const data = JSON.parse(source.textContent);
  const escape = (text) => String(text).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
  const config = { responsive: true, displaylogo: false };
  const methods = data.submissions.map((s) => escape(s.method));

  const curves = data.submissions
    .filter((s) => s.curves && s.curves.kind === "pr")
    .map((s) => ({
      x: s.curves.recall, y: s.curves.overall["0.50"], mode: "lines", name: escape(s.method),
      hovertemplate: escape(s.method) + "<br>recall %{x:.2f}<br>precision %{y:.3f}<extra></extra>",
    }));
  Plotly.newPlot("compare-curves", curves, {
    xaxis: { title: { text: "Recall" }, range: [0, 1] }, yaxis: { title: { text: "Precision" }, range: [0, 1.02] },
    margin: { t: 20, r: 10, b: 50, l: 55 }, height: 420,
  }, config);

  const rocHolder = document.getElementById("compare-roc");
  if (rocHolder) {
    const auc = (v) => (v === null || v === undefined ? "n/a" : v.toFixed(4));
    const rocs = data.submissions.filter((s) => s.roc).map((s) => ({
      x: s.roc.fpr, y: s.roc.tpr, mode: "lines", name: escape(s.method) + " (AUC " + auc(s.roc.auc) + ")",
      hovertemplate: escape(s.method) + "<br>FPR %{x:.4f}<br>TPR %{y:.4f}<extra></extra>",
    }));
    rocs.push({ x: [0, 1], y: [0, 1], mode: "lines", line: { dash: "dot", color: "#94a3b8" }, name: "chance", hoverinfo: "skip" });
    Plotly.newPlot(rocHolder, rocs, {
      xaxis: { title: { text: "False-positive rate (images)" }, range: [0, 1] },
      yaxis: { title: { text: "True-positive rate (images)" }, range: [0, 1.02] },
      margin: { t: 20, r: 10, b: 50, l: 55 }, height: 420,
    }, config);
  }

  const types = ["classification", "localisation", "both", "duplicate", "background", "missed"];
  const bars = types.map((type) => ({
    type: "bar", name: type, x: methods,
    y: data.submissions.map((s) => (s.errors ? s.errors.counts[type] : null)),
    hovertemplate: "%{x}<br>" + type + ": %{y}<extra></extra>",
  }));
  Plotly.newPlot("compare-errors", bars, {
    barmode: "stack", yaxis: { title: { text: "Count" } }, margin: { t: 20, r: 10, b: 80, l: 55 }, height: 420,
  }, config);
})();
