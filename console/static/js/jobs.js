// Job page: keep the live output scrolled to its end while new lines arrive,
// unless the reader has scrolled up to read something.
(function () {
  "use strict";
  var stickToEnd = true;

  function output() { return document.getElementById("job-output"); }

  document.addEventListener("DOMContentLoaded", function () {
    var pre = output();
    if (!pre) { return; }
    pre.scrollTop = pre.scrollHeight;
    pre.addEventListener("scroll", function () {
      stickToEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 24;
    });
  });

  document.addEventListener("htmx:afterSettle", function () {
    var pre = output();
    if (pre && stickToEnd) { pre.scrollTop = pre.scrollHeight; }
  });
})();
