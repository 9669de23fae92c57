// Ops Console page behaviour. Loaded from this origin only (the CSP forbids
// inline scripts), so every behaviour hangs off data- attributes and classes.
(function () {
  "use strict";

  // A time as the tables show it (the `localtime` filter: yyyy-MM-dd HH:mm:ss), in the page's
  // language (<html lang>) and the console's zone (<html data-timezone>), not the browser's.
  var html = document.documentElement;
  var formatter = null;
  function timeFormatter() {
    if (formatter) { return formatter; }
    var options = { timeZone: html.dataset.timezone || "Asia/Ho_Chi_Minh", hourCycle: "h23",
                    year: "numeric", month: "2-digit", day: "2-digit",
                    hour: "2-digit", minute: "2-digit", second: "2-digit" };
    try {
      formatter = new Intl.DateTimeFormat(html.lang || undefined, options);
    } catch (error) {  // an unknown zone name: the browser's zone rather than no chart
      delete options.timeZone;
      formatter = new Intl.DateTimeFormat(html.lang || undefined, options);
    }
    return formatter;
  }
  function formatTime(iso) {
    var at = new Date(iso);
    if (isNaN(at.getTime())) { return String(iso); }
    var parts = {};
    timeFormatter().formatToParts(at).forEach(function (part) { parts[part.type] = part.value; });
    return parts.year + "-" + parts.month + "-" + parts.day + " " + parts.hour + ":" + parts.minute + ":" + parts.second;
  }
  window.OpsConsole = { formatTime: formatTime };

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
      var labels = data.labels.map(formatTime);
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

  // A live poller (data-poll: a job's output, a task's or a delivery's state) asks again by replacing itself
  // once a second. A request that failed (the network dropped it, the server restarted, a 5xx) swaps nothing
  // in, so without this the page would stop updating for good; it asks again 3 s later ("retry delay:3s").
  function retryPoll(event) {
    var elt = event.detail && event.detail.elt;
    var xhr = event.detail && event.detail.xhr;
    if (event.type === "htmx:responseError" && xhr && xhr.status < 500) { return; }
    if (elt && elt.hasAttribute && elt.hasAttribute("data-poll") && window.htmx) { window.htmx.trigger(elt, "retry"); }
  }
  document.addEventListener("htmx:sendError", retryPoll);
  document.addEventListener("htmx:responseError", retryPoll);
})();
