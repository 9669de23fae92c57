// The alert inbox: the chart of alerts over time by severity (data from /alerts/chart.json)
// and the "select all" box of the bulk form. No inline script: the CSP forbids it.
(function () {
  "use strict";
  var COLOURS = { "1": "#c62828", "2": "#ef6c00", "3": "#f9a825", "4": "#607d8b" };

  function drawChart(canvas) {
    if (typeof Chart === "undefined" || canvas.dataset.drawn) { return; }
    canvas.dataset.drawn = "pending";
    fetch(canvas.dataset.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        var names = JSON.parse(canvas.dataset.severityNames || "{}");
        var datasets = Object.keys(data.series).map(function (severity) {
          return { label: names[severity] || canvas.dataset.otherSeverity || severity, data: data.series[severity],
                   backgroundColor: COLOURS[severity] || "#9e9e9e" };
        });
        new Chart(canvas, {
          type: "bar",
          data: { labels: data.labels.map(window.OpsConsole.formatTime), datasets: datasets },
          options: { responsive: true, animation: false,
                     scales: { x: { stacked: true, ticks: { maxTicksLimit: 12 } },
                               y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } }
        });
        canvas.dataset.drawn = "1";
      })
      // A fetch cut short (the officer left the page, the session ended) is not a script error:
      // the canvas says so and the next page load draws it again.
      .catch(function (error) { canvas.dataset.drawn = "failed"; canvas.setAttribute("data-chart-error", String(error)); });
  }

  // Delegated, so the box still works after htmx swaps the table.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input.select-all")) { return; }
    box.form.querySelectorAll("input[name=group]").forEach(function (item) { item.checked = box.checked; });
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas.alerts-chart").forEach(drawChart);
  });
})();
