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
      new Chart(canvas, {
        type: canvas.dataset.chartType || "bar",
        data: { labels: data.labels, datasets: [{ label: canvas.dataset.chartLabel || "", data: data.values }] },
        options: { responsive: true, animation: false, indexAxis: horizontal ? "y" : "x",
                   plugins: { legend: { display: false } },
                   scales: horizontal ? { x: countAxis } : { y: countAxis } }
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
    autosubmit(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) { drawCharts(event.target); });
})();
