// Ops Console page behaviour. Loaded from this origin only (the CSP forbids
// inline scripts), so every behaviour hangs off data- attributes and classes.
(function () {
  "use strict";

  function drawCharts(root) {
    if (typeof Chart === "undefined") { return; }
    root.querySelectorAll("canvas.chart[data-chart]").forEach(function (canvas) {
      if (canvas.dataset.drawn) { return; }
      var data = JSON.parse(canvas.dataset.chart);
      canvas.dataset.drawn = "1";
      var horizontal = canvas.dataset.chartHorizontal === "1";
      var countAxis = { beginAtZero: true, ticks: { precision: 0 } };
      if (canvas.dataset.chartMax) { countAxis.max = Number(canvas.dataset.chartMax); }
      new Chart(canvas, {
        type: canvas.dataset.chartType || "bar",
        data: { labels: data.labels, datasets: [{ label: canvas.dataset.chartLabel || "", data: data.values }] },
        options: { responsive: true, animation: false, indexAxis: horizontal ? "y" : "x",
                   plugins: { legend: { display: false } },
                   scales: horizontal ? { x: countAxis } : { y: countAxis } }
      });
    });
  }

  function drawSeries(root) {
    if (typeof Chart === "undefined") { return; }
    root.querySelectorAll("canvas.chart[data-chart-series]").forEach(function (canvas) {
      if (canvas.dataset.drawn) { return; }
      var data = JSON.parse(canvas.dataset.chartSeries);
      var names = JSON.parse(canvas.dataset.seriesLabels || "{}");
      canvas.dataset.drawn = "1";
      var labels = data.labels.map(function (iso) { return new Date(iso).toLocaleString(); });
      var datasets = Object.keys(data.series).map(function (key) {
        return { label: names[key] || key, data: data.series[key], spanGaps: true, pointRadius: 0, tension: 0.2 };
      });
      new Chart(canvas, {
        type: "line",
        data: { labels: labels, datasets: datasets },
        options: { responsive: true, animation: false, interaction: { mode: "index", intersect: false },
                   scales: { y: { beginAtZero: true, max: 100 }, x: { ticks: { maxTicksLimit: 8 } } } }
      });
    });
  }

  function autosubmit(root) {
    root.querySelectorAll("select.autosubmit").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawCharts(document);
    drawSeries(document);
    autosubmit(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) { drawCharts(event.target); drawSeries(event.target); });
})();
