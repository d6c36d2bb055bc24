// The submission page: the per-class table of the score plots.js loaded (sortable, searchable), and
// the picker that switches score (a transfer submission's stage and domain).
(function () {
  const section = document.getElementById("curves-section");
  const picker = document.getElementById("plot-score");
  if (!section || !picker) return;
  const escape = (text) => String(text).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
  const show = (v) => (v === null || v === undefined ? "—" : typeof v === "number" ? v.toFixed(4) : escape(v));

  // The per-class table: every metric, sortable by any column, filtered by the search box.
  let rows = [];
  let sortKey = null;
  let descending = true;
  function drawPerClass() {
    const table = document.getElementById("per-class");
    if (!table) return;
    const metrics = rows.length ? Object.keys(rows[0].metrics || {}) : [];
    const columns = [["name", "Class"], ...metrics.map((m) => ["m:" + m, m]), ["num_gt", "GT"], ["num_det", "Detections"]];
    const value = (row, key) => (key === "name" ? row.name : key.startsWith("m:") ? row.metrics[key.slice(2)] : row[key]);
    table.querySelector("thead tr").innerHTML = columns.map(([key, label]) =>
      "<th class='" + (key === "name" ? "" : "num") + "' data-key='" + escape(key) + "' aria-sort='" +
      (key === sortKey ? (descending ? "descending" : "ascending") : "none") + "'>" + escape(label) +
      (key === sortKey ? (descending ? " ▼" : " ▲") : "") + "</th>").join("");
    const query = document.getElementById("per-class-search").value.trim().toLowerCase();
    let shown = rows.filter((row) => !query || String(row.name).toLowerCase().includes(query));
    if (sortKey) {
      shown = shown.slice().sort((a, b) => {
        const x = value(a, sortKey);
        const y = value(b, sortKey);
        if (x === null || x === undefined) return 1;
        if (y === null || y === undefined) return -1;
        const order = typeof x === "string" ? x.localeCompare(y) : x - y;
        return descending ? -order : order;
      });
    }
    table.querySelector("tbody").innerHTML = shown.map((row) => "<tr>" + columns.map(([key]) =>
      key === "name" ? "<td>" + escape(row.name) + "</td>" : "<td class='num'>" + show(value(row, key)) + "</td>").join("") + "</tr>").join("");
  }
  document.getElementById("per-class").addEventListener("click", (event) => {
    const th = event.target.closest("th");
    if (!th) return;
    descending = th.dataset.key === sortKey ? !descending : th.dataset.key !== "name";
    sortKey = th.dataset.key;
    drawPerClass();
  });
  document.getElementById("per-class-search").addEventListener("input", drawPerClass);

  withPlots((data) => {
    rows = data.per_class || [];
    document.getElementById("per-class-subset").textContent = "(" + picker.options[picker.selectedIndex].text + ")";
    drawPerClass();
    section.dataset.loaded = String(data.score || "");
  });
  picker.addEventListener("change", () => window.loadPlots(picker.value));
})();
