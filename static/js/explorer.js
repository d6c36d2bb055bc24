// The threshold explorer: operating-point counts stored at scoring time, recomputed as the sliders move.
withPlots(function (plots) {
  if (!plots.explorer || !document.getElementById("explorer-section") || typeof Plotly === "undefined") return;
  const data = plots.explorer;
  const thresholds = data.thresholds;
  const iouPicker = document.getElementById("explorer-iou");
  const slider = document.getElementById("explorer-score");
  const config = { responsive: true, displaylogo: false };
  Object.keys(data.sweeps).forEach((iou) => iouPicker.add(new Option(iou, iou)));
  slider.max = String(thresholds.length - 1);

  const ratio = (a, b) => (b > 0 ? a / b : null);
  const rates = (tp, fp, fn) => ({
    precision: ratio(tp, tp + fp), recall: ratio(tp, tp + fn), f1: ratio(2 * tp, 2 * tp + fp + fn),
  });
  const show = (v) => (v === null || v === undefined ? "—" : v.toFixed(4));
  const escape = (text) => String(text).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");

  function nearestIndex(value) {
    let best = 0;
    thresholds.forEach((t, i) => { if (Math.abs(t - value) < Math.abs(thresholds[best] - value)) best = i; });
    return best;
  }

  function drawSweep(sweep, series, index) {
    const line = (key, name) => ({
      x: thresholds, y: series.map((r) => r[key]), name, mode: "lines",
      hovertemplate: name + " %{y:.4f} at confidence ≥ %{x:.4f}<extra></extra>",
    });
    const traces = [line("precision", "precision"), line("recall", "recall"), line("f1", "F1")];
    const best = sweep.best || {};
    if (best.threshold !== null && best.threshold !== undefined) {
      traces.push({
        x: [best.threshold], y: [best.f1], mode: "markers", name: "best F1", marker: { size: 12, symbol: "star" },
        hovertemplate: "best F1 %{y:.4f} at confidence ≥ %{x:.4f}<extra></extra>",
      });
    }
    Plotly.react("sweep", traces, {
      xaxis: { title: { text: "Confidence threshold" } }, yaxis: { range: [0, 1.02] },
      shapes: [{ type: "line", x0: thresholds[index], x1: thresholds[index], y0: 0, y1: 1, yref: "paper", line: { dash: "dot" } }],
      legend: { orientation: "h", y: -0.2 }, margin: { t: 20, r: 10, b: 80, l: 50 }, height: 380,
    }, config);
  }

  // Precision against recall over the same thresholds, all classes pooled, with the operating point on it.
  function drawPooled(sweep, series, index) {
    const point = (i, name, symbol) => ({
      x: [series[i].recall], y: [series[i].precision], mode: "markers", name,
      marker: { size: 12, symbol }, customdata: [thresholds[i]],
      hovertemplate: name + "<br>recall %{x:.4f}<br>precision %{y:.4f}<br>confidence ≥ %{customdata:.4f}<extra></extra>",
    });
    const traces = [{
      x: series.map((r) => r.recall), y: series.map((r) => r.precision), customdata: thresholds, mode: "lines",
      name: "all classes pooled",
      hovertemplate: "recall %{x:.4f}<br>precision %{y:.4f}<br>confidence ≥ %{customdata:.4f}<extra></extra>",
    }, point(index, "operating point", "circle")];
    const best = sweep.best || {};
    if (best.threshold !== null && best.threshold !== undefined) traces.push(point(nearestIndex(best.threshold), "best F1", "star"));
    Plotly.react("pooled-pr", traces, {
      xaxis: { title: { text: "Recall" }, range: [0, 1.02] }, yaxis: { title: { text: "Precision" }, range: [0, 1.02] },
      legend: { orientation: "h", y: -0.2 }, margin: { t: 20, r: 10, b: 80, l: 50 }, height: 380,
    }, config);
  }

  function drawConfusion(score) {
    const keys = Object.keys(data.confusion.by_score);
    const key = keys.reduce((a, b) => (Math.abs(+b - score) < Math.abs(+a - score) ? b : a));
    document.getElementById("confusion-score").textContent = key;
    const labels = data.confusion.labels.map(escape);
    Plotly.react("confusion", [{
      type: "heatmap", z: data.confusion.by_score[key], x: labels, y: labels, colorscale: "Blues", reversescale: true,
      hovertemplate: "ground truth %{y}<br>predicted %{x}<br>%{z}<extra></extra>",
    }], {
      xaxis: { title: { text: "Prediction" }, type: "category", tickangle: -45 },
      yaxis: { title: { text: "Ground truth" }, type: "category", autorange: "reversed" },
      margin: { t: 10, r: 10, b: 110, l: 110 }, height: Math.max(360, 18 * labels.length + 140),
    }, config);
  }

  function update() {
    const sweep = data.sweeps[iouPicker.value];
    const i = +slider.value;
    document.getElementById("explorer-score-value").textContent = thresholds[i].toFixed(4);
    const o = sweep.overall;
    const series = o.tp.map((tp, j) => rates(tp, o.fp[j], o.fn[j]));
    const r = series[i];
    document.getElementById("op-tp").textContent = o.tp[i];
    document.getElementById("op-fp").textContent = o.fp[i];
    document.getElementById("op-fn").textContent = o.fn[i];
    document.getElementById("op-precision").textContent = show(r.precision);
    document.getElementById("op-recall").textContent = show(r.recall);
    document.getElementById("op-f1").textContent = show(r.f1);
    const body = document.querySelector("#op-classes tbody");
    body.innerHTML = data.classes.map((name, k) => {
      const c = sweep.classes;
      const cr = rates(c.tp[k][i], c.fp[k][i], c.fn[k][i]);
      return "<tr><td>" + escape(name) + "</td><td class='num'>" + c.tp[k][i] + "</td><td class='num'>" + c.fp[k][i] +
        "</td><td class='num'>" + c.fn[k][i] + "</td><td class='num'>" + show(cr.precision) + "</td><td class='num'>" +
        show(cr.recall) + "</td><td class='num'>" + show(cr.f1) + "</td></tr>";
    }).join("");
    drawSweep(sweep, series, i);
    drawPooled(sweep, series, i);
    drawConfusion(thresholds[i]);
  }

  function drawMissRate() {
    const holder = document.getElementById("miss-rate");
    const curve = data.miss_rate;
    if (!holder || !curve) return;
    const lamr = curve.log_average_miss_rate;
    Plotly.newPlot(holder, [{
      x: curve.fppi, y: curve.miss_rate, mode: "lines", line: { shape: "hv" },
      name: "all classes (log-average miss rate " + (lamr === null ? "n/a" : (100 * lamr).toFixed(2) + "%") + ")",
      hovertemplate: "FPPI %{x:.3g}<br>miss rate %{y:.3f}<extra></extra>",
    }], {
      xaxis: { title: { text: "False positives per image" }, type: "log" },
      yaxis: { title: { text: "Miss rate" }, type: "log" }, showlegend: true, legend: { x: 0, y: -0.3, orientation: "h" },
      margin: { t: 20, r: 10, b: 80, l: 55 }, height: 400,
    }, config);
  }

  drawMissRate();
  iouPicker.addEventListener("change", update);
  slider.addEventListener("input", update);
  document.getElementById("explorer-best").addEventListener("click", () => {
    const best = data.sweeps[iouPicker.value].best;
    if (best && best.threshold !== null) slider.value = String(nearestIndex(best.threshold));
    update();
  });
  slider.value = String(nearestIndex(0.5));
  update();
});
