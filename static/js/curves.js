// Draws a submission's stored curves with plotly: precision-recall (COCO, VOC, KITTI)
// and FROC, miss rate against false positives per image (KAIST).
// plots.js hands it the chosen score's curves (LB.drawCurves, again when the score changes).
window.LB = window.LB || {};
window.LB.drawCurves = function (curves) {
  const holder = document.getElementById("curves");
  if (!holder || typeof Plotly === "undefined") return;
  const config = { responsive: true, displaylogo: false };
  // KITTI's settings are difficulty levels; the others are IoU thresholds.
  const settingName = (label) => (curves.difficulties ? label + " objects" : "IoU " + label);
  const pct = (v) => (v === null || v === undefined ? "n/a" : (100 * v).toFixed(2) + "%");

  function prFigure(data, setting) {
    const narrow = holder.clientWidth < 600;
    const traces = [];
    const recall = data.recall;
    data.classes.forEach((cls) => {
      const precision = cls.precision[setting];
      if (!precision || precision.every((v) => v === null)) return;
      traces.push({
        x: recall, y: precision, name: cls.name, mode: "lines", visible: "legendonly",
        customdata: setting === "0.50" && cls.score ? cls.score : recall.map(() => null),
        hovertemplate: cls.name + "<br>recall %{x:.2f}<br>precision %{y:.3f}<br>score ≥ %{customdata}<extra></extra>",
      });
    });
    traces.unshift({
      x: recall, y: data.overall[setting], name: "mean over classes", mode: "lines",
      line: { width: 3, color: "#1d4ed8" },
      hovertemplate: "mean<br>recall %{x:.2f}<br>precision %{y:.3f}<extra></extra>",
    });
    return {
      traces,
      layout: {
        title: { text: "Precision-recall, " + settingName(setting), font: { size: 14 } },
        xaxis: { title: { text: "Recall" }, range: [0, 1] },
        yaxis: { title: { text: "Precision" }, range: [0, 1.02] },
        margin: { t: 40, r: 10, b: 50, l: 55 }, height: narrow ? 420 + 7 * traces.length : 460,
        legend: narrow ? { font: { size: 11 }, orientation: "h", y: -0.15, yanchor: "top" } : { font: { size: 11 } },
      },
    };
  }

  function missRateFigure(data) {
    const colours = { all: "#1d4ed8", day: "#d97706", night: "#4c1d95" };
    const traces = Object.entries(data.subsets).map(([name, curve]) => ({
      x: curve.fppi, y: curve.miss_rate, mode: "lines", line: { shape: "hv", color: colours[name] },
      name: name + " (MR⁻² " + pct(curve.log_average_miss_rate) + ")",
      hovertemplate: name + "<br>FPPI %{x:.3g}<br>miss rate %{y:.3f}<extra></extra>",
    }));
    return {
      traces,
      layout: {
        title: { text: "FROC / miss rate against false positives per image", font: { size: 14 } },
        xaxis: { title: { text: "False positives per image" }, type: "log", range: [-2.3, 0.3] },
        yaxis: { title: { text: "Miss rate" }, type: "log", range: [-2, 0] },
        margin: { t: 40, r: 10, b: 50, l: 55 }, height: 460,
      },
    };
  }

  function draw(setting) {
    const figure = curves.kind === "miss_rate" ? missRateFigure(curves) : prFigure(curves, setting);
    Plotly.react(holder, figure.traces, figure.layout, config);
  }

  const note = document.getElementById("curves-note");
  if (!curves || !curves.kind) {
    Plotly.purge(holder);
    if (note) note.textContent = "No curves for this score.";
    return;
  }
  if (note) {
    note.textContent = curves.kind === "pr"
      ? "Click a class in the legend to show its curve; hover for precision, recall and the confidence threshold."
      : "FROC: detectors have no true negatives to count at the box level, so this curve plots the miss rate against false positives per image; the image-level ROC is in the explorer.";
  }
  const picker = document.getElementById("curve-setting");
  const old = picker.value;
  picker.replaceWith(picker.cloneNode(false));
  const fresh = document.getElementById("curve-setting");
  fresh.hidden = curves.kind !== "pr";
  if (curves.kind === "pr") {
    (curves.iou_thresholds || []).forEach((label) => fresh.add(new Option(settingName(label), label)));
    if ((curves.iou_thresholds || []).includes(old)) fresh.value = old;
    fresh.addEventListener("change", () => draw(fresh.value));
  }
  draw(curves.kind === "pr" ? fresh.value || (curves.iou_thresholds || ["0.50"])[0] : null);
};
if (window.withPlots) withPlots((plots) => window.LB.drawCurves(plots.curves));
