// Compliance trend charts: each canvas[data-trend-url] is filled from its JSON endpoint
// ({labels: [iso times], series: {key: [score|null]}, names: {key: label}}).
(function () {
  "use strict";

  function draw(canvas) {
    if (typeof Chart === "undefined" || canvas.dataset.drawn) { return; }
    canvas.dataset.drawn = "1";
    fetch(canvas.dataset.trendUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        var labels = data.labels.map(window.OpsConsole.formatTime);
        var datasets = Object.keys(data.series).map(function (key) {
          return { label: data.names[key] || key, data: data.series[key], spanGaps: true, tension: 0.2 };
        });
        new Chart(canvas, {
          type: "line",
          data: { labels: labels, datasets: datasets },
          options: { responsive: true, animation: false, interaction: { mode: "index", intersect: false },
                     scales: { y: { beginAtZero: true, max: 100, title: { display: true, text: "%" } } } }
        });
        canvas.setAttribute("data-trend-ready", "1");
      })
      .catch(function (error) { canvas.setAttribute("data-trend-error", String(error)); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-trend-url]").forEach(draw);
  });
})();
