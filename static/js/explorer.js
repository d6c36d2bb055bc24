// The threshold explorer: operating-point counts stored at scoring time, recomputed as the controls move.
// The image-level ROC and the confusion matrix follow the same operating point (IoU and confidence).
// plots.js hands it the chosen score's explorer data (LB.drawExplorer, again when the score changes).
window.LB = window.LB || {};
window.LB.drawExplorer = function (data) {
  const section = document.getElementById("explorer-section");
  if (!section || typeof Plotly === "undefined") return;
  if (!data || !data.sweeps) {
    section.hidden = true;
    return;
  }
  section.hidden = false;
  const thresholds = data.thresholds;
  // Fresh controls: a new score replaces the old listeners.
  ["explorer-iou", "explorer-score", "explorer-best"].forEach((id) => {
    const old = document.getElementById(id);
    old.replaceWith(old.cloneNode(false));
  });
  const iouPicker = document.getElementById("explorer-iou");
  const slider = document.getElementById("explorer-score");
  const bestButton = document.getElementById("explorer-best");
  bestButton.textContent = "Best F1";
  const config = { responsive: true, displaylogo: false };
  Object.entries(data.sweeps).forEach(([key, sweep]) => iouPicker.add(new Option(sweep.label || "IoU ≥ " + key, key)));
  slider.max = String(thresholds.length - 1);
  slider.min = "0";
  slider.step = "1";

  const ratio = (a, b) => (b > 0 ? a / b : null);
  const rates = (tp, fp, fn) => ({
    precision: ratio(tp, tp + fp), recall: ratio(tp, tp + fn), f1: ratio(2 * tp, 2 * tp + fp + fn),
  });
  const show = (v) => (v === null || v === undefined ? "—" : v.toFixed(4));
  const escape = (text) => String(text).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
  const narrow = () => section.clientWidth < 600;

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

  // The image-level ROC, pooled and per class (legend), with the explorer's confidence threshold marked.
  function drawRoc(index) {
    const holder = document.getElementById("roc");
    const roc = data.roc;
    if (!holder) return;
    if (!roc) {
      holder.textContent = "No ROC for this score: it was scored by an older engine.";
      return;
    }
    const pct = (v) => (v === null || v === undefined ? "n/a" : v.toFixed(4));
    document.getElementById("roc-auc").textContent = "AUC " + pct(roc.auc) + " pooled · " + pct(roc.macro_auc) + " mean over classes";
    const curve = (c, extra) => ({
      x: c.fpr, y: c.tpr, mode: "lines", line: { shape: "linear" }, customdata: c.thresholds.map((t) => (t === null ? "∞" : t.toFixed(4))),
      hovertemplate: escape(c.name) + "<br>FPR %{x:.4f}<br>TPR %{y:.4f}<br>confidence ≥ %{customdata}<extra></extra>", ...extra,
    });
    const traces = [curve(roc.overall, { name: "all classes pooled (AUC " + pct(roc.auc) + ")", line: { width: 3, color: "#1d4ed8" } })];
    (roc.classes || []).forEach((c) => {
      if (c.auc !== null) traces.push(curve(c, { name: escape(c.name) + " (AUC " + pct(c.auc) + ")", visible: "legendonly" }));
    });
    const at = roc.at_thresholds;
    if (at) {
      traces.push({
        x: [at.fpr[index]], y: [at.tpr[index]], mode: "markers", name: "operating point", marker: { size: 12, color: "#b42318" },
        hovertemplate: "confidence ≥ " + thresholds[index].toFixed(4) + "<br>FPR %{x:.4f}<br>TPR %{y:.4f}<extra></extra>",
      });
    }
    traces.push({ x: [0, 1], y: [0, 1], mode: "lines", line: { dash: "dot", color: "#94a3b8" }, name: "chance", hoverinfo: "skip" });
    Plotly.react(holder, traces, {
      xaxis: { title: { text: "False-positive rate (images without the class)" }, range: [0, 1] },
      yaxis: { title: { text: "True-positive rate (images with it)" }, range: [0, 1.02] },
      legend: narrow() ? { orientation: "h", y: -0.32, yanchor: "top", font: { size: 11 } } : { font: { size: 11 } },
      margin: { t: 20, r: 10, b: 60, l: 55 }, height: narrow() ? 560 : 420,
    }, config);
  }

  // The confusion matrix at the operating point, rebuilt from cells stored for every threshold of the grid.
  function confusionAt(stored, index) {
    const size = stored.labels.length;
    const matrix = Array.from({ length: size }, () => new Array(size).fill(0));
    stored.cells.forEach((cell) => {
      const counts = cell.slice(2);
      matrix[cell[0]][cell[1]] = index < counts.length ? counts[index] : 0;
    });
    stored.counted.forEach((n, g) => {
      let taken = 0;
      for (let d = 0; d < size - 1; d += 1) taken += matrix[g][d];
      matrix[g][size - 1] = n - taken;
    });
    matrix[size - 1][size - 1] = null;
    return matrix;
  }

  // White for zero, then ever darker blues (the log of the count).
  const BLUES = [[0, "#ffffff"], [0.05, "#deebf7"], [0.3, "#9ecae1"], [0.55, "#4292c6"], [0.8, "#2171b5"], [1, "#08306b"]];

  function drawConfusion(iouKey, index) {
    const stored = (data.confusion || {})[iouKey];
    const holder = document.getElementById("confusion");
    document.getElementById("confusion-iou").textContent = (data.sweeps[iouKey].label || iouKey);
    document.getElementById("confusion-score").textContent = thresholds[index].toFixed(4);
    const list = document.getElementById("confused-pairs");
    if (!stored || !stored.cells) {
      holder.textContent = "No confusion data at this operating point: this score was computed by an older engine.";
      list.innerHTML = "";
      return;
    }
    const matrix = confusionAt(stored, index);
    const labels = stored.labels.map(escape);
    const classes = labels.length - 1;
    const pairs = [];
    for (let g = 0; g < classes; g += 1) {
      for (let d = 0; d < classes; d += 1) if (g !== d && matrix[g][d] > 0) pairs.push([matrix[g][d], g, d]);
    }
    pairs.sort((a, b) => b[0] - a[0] || a[1] - b[1] || a[2] - b[2]);
    list.innerHTML = pairs.length
      ? pairs.slice(0, 10).map(([n, g, d]) => "<li><span>" + labels[g] + " → " + labels[d] + "</span> <strong>" + n + "</strong></li>").join("")
      : "<li class='muted'>No object was taken for another class.</li>";
    const z = matrix.map((row) => row.map((v) => (v === null ? null : Math.log10(1 + v))));
    const ticks = [0, 1, 10, 100, 1000, 10000];
    // Cells as large as the column allows (7 to 22 px); below that the matrix scrolls sideways.
    const room = holder.parentElement.clientWidth - 130;
    const cell = Math.max(7, Math.min(22, Math.floor(room / labels.length)));
    const side = Math.max(320, cell * labels.length + 130);
    holder.style.minWidth = side + "px";
    Plotly.react(holder, [{
      type: "heatmap", z, x: labels, y: labels, customdata: matrix, colorscale: BLUES, zmin: 0,
      colorbar: { tickvals: ticks.map((t) => Math.log10(1 + t)), ticktext: ticks.map(String), title: { text: "count" }, thickness: 12 },
      hovertemplate: "ground truth %{y}<br>predicted %{x}<br>%{customdata}<extra></extra>", xgap: 0.5, ygap: 0.5,
    }], {
      xaxis: { title: { text: "Prediction" }, type: "category", tickangle: -60, tickfont: { size: cell < 12 ? 8 : 11 }, dtick: 1 },
      yaxis: { title: { text: "Ground truth" }, type: "category", autorange: "reversed", tickfont: { size: cell < 12 ? 8 : 11 }, dtick: 1 },
      margin: { t: 10, r: 10, b: 110, l: 110 }, height: side,
    }, config);
  }

  function update() {
    const key = iouPicker.value;
    const sweep = data.sweeps[key];
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
    drawRoc(i);
    drawConfusion(key, i);
  }

  function drawMissRate() {
    const holder = document.getElementById("miss-rate");
    const curve = data.miss_rate;
    if (!holder || !curve) return;
    const lamr = curve.log_average_miss_rate;
    Plotly.react(holder, [{
      x: curve.fppi, y: curve.miss_rate, mode: "lines", line: { shape: "hv" },
      name: "all classes (log-average miss rate " + (lamr === null ? "n/a" : (100 * lamr).toFixed(2) + "%") + ")",
      hovertemplate: "FPPI %{x:.3g}<br>miss rate %{y:.3f}<extra></extra>",
    }], {
      title: { text: "FROC / miss rate against false positives per image", font: { size: 13 } },
      xaxis: { title: { text: "False positives per image" }, type: "log" },
      yaxis: { title: { text: "Miss rate" }, type: "log" }, showlegend: true, legend: { x: 0, y: -0.3, orientation: "h" },
      margin: { t: 40, r: 10, b: 80, l: 55 }, height: 420,
    }, config);
  }

  drawMissRate();
  iouPicker.addEventListener("change", update);
  slider.addEventListener("input", update);
  bestButton.addEventListener("click", () => {
    const best = data.sweeps[iouPicker.value].best;
    if (best && best.threshold !== null) slider.value = String(nearestIndex(best.threshold));
    update();
  });
  slider.value = String(nearestIndex(0.5));
  update();
};
if (window.withPlots) withPlots((plots) => window.LB.drawExplorer(plots.explorer));
