// COCO's analyze() breakdown (C75, C50, Loc, Sim, Oth, BG, FN), stored at scoring time.
// On the submission page LB.drawAnalyze draws it from plots.json; on the compare page from compare-data.
(function () {
  if (typeof Plotly === "undefined") return;
  const config = { responsive: true, displaylogo: false };
  const escape = (text) => String(text).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
  const types = ["C75", "C50", "Loc", "Sim", "Oth", "BG", "FN"];
  const colors = ["#1f3b73", "#3f6fb5", "#7fa7d9", "#d9534f", "#5cb85c", "#8e6bbf", "#f0ad4e"];
  const labels = ["C75", "C50 \u2212 C75", "Loc \u2212 C50", "Sim \u2212 Loc", "Oth \u2212 Sim", "BG \u2212 Oth", "FN \u2212 BG"];
  const meaning = [
    "AP at IoU .75",
    "gained at IoU .50",
    "gained at IoU .10 (localisation errors)",
    "gained by forgiving supercategory confusions",
    "gained by forgiving all class confusions",
    "gained by removing background false positives",
    "left: objects never detected",
  ];
  // The AP drop of each step: C75, then the gain over the previous setting.
  const drops = (ap) => ap.map((v, i) => {
    if (i === 0 || v === null) return v;
    return ap[i - 1] === null ? null : v - ap[i - 1];
  });
  const stacked = (x, apByBar) => labels.map((label, t) => ({
    type: "bar", name: label, x, y: apByBar.map((ap) => (ap ? drops(ap)[t] : null)),
    marker: { color: colors[t] }, customdata: apByBar.map((ap) => (ap ? ap[t] : null)),
    hovertemplate: "%{x}<br>" + label + ": %{y:.3f} (" + meaning[t] + ")<br>" +
      types[t] + " = %{customdata:.3f}<extra></extra>",
  }));
  const barLayout = {
    barmode: "stack", yaxis: { title: { text: "AP" }, range: [0, 1] },
    legend: { traceorder: "reversed" }, margin: { t: 20, r: 10, b: 80, l: 55 }, height: 380,
  };

  // On the submission page plots.js hands it the chosen score's breakdown.
  window.LB = window.LB || {};
  window.LB.drawAnalyze = function (data) {
    const section = document.getElementById("analyze-section");
    if (!section) return;
    section.hidden = !data;
    if (!data) return;
    const areas = data.area_ranges;
    Plotly.newPlot("analyze-bars", stacked(areas, areas.map((a) => data.ap[a])), barLayout, config);

    // The classic analyze figure: the area between consecutive PR curves, all object sizes.
    const ap = data.ap.all;
    const areaTraces = types.map((type, t) => ({
      x: data.recall, y: data.precision[t], mode: "lines", line: { color: "#333", width: 0.5 },
      fill: t ? "tonexty" : "tozeroy", fillcolor: colors[t],
      name: "[" + (ap[t] === null ? "—" : ap[t].toFixed(3)) + "] " + type,
      hovertemplate: type + "<br>recall %{x:.2f}<br>precision %{y:.3f}<extra></extra>",
    }));
    Plotly.newPlot("analyze-curves", areaTraces, {
      xaxis: { title: { text: "Recall" }, range: [0, 1] }, yaxis: { title: { text: "Precision" }, range: [0, 1.02] },
      legend: { traceorder: "reversed" }, margin: { t: 20, r: 10, b: 50, l: 55 }, height: 380,
    }, config);

    const head = document.querySelector("#analyze-classes thead tr");
    head.innerHTML = "<th>Class</th>" + data.types.map((type) => "<th class='num'>" + escape(type) + "</th>").join("");
    const body = document.querySelector("#analyze-classes tbody");
    body.innerHTML = "";
    data.classes.forEach((name, k) => {
      const row = body.insertRow();
      row.insertCell().textContent = name;
      data.class_ap[k].forEach((v) => {
        const cell = row.insertCell();
        cell.className = "num";
        cell.textContent = v === null ? "—" : v.toFixed(3);
      });
    });
  };

  const compareSource = document.getElementById("compare-data");
  if (document.getElementById("compare-analyze") && compareSource) {
    const submissions = JSON.parse(compareSource.textContent).submissions;
    const methods = submissions.map((s) => escape(s.method));
    const aps = submissions.map((s) => (s.analyze ? s.analyze.ap : null));
    Plotly.newPlot("compare-analyze", stacked(methods, aps), barLayout, config);
  }
})();
if (window.withPlots && window.LB && window.LB.drawAnalyze) {
  withPlots((plots) => window.LB.drawAnalyze((plots.explorer || {}).coco_analyze));
}
