/* parcelsms console: draws the charts whose data a page embeds (no inline script: CSP). */
(function () {
  "use strict";
  function draw(root) {
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas.dataset.drawn) { return; }
      canvas.dataset.drawn = "1";
      var spec = JSON.parse(canvas.dataset.chart);
      var percent = spec.percent === true;
      new Chart(canvas, {
        type: spec.type,
        data: { labels: spec.labels, datasets: spec.datasets },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          indexAxis: spec.horizontal ? "y" : "x",
          scales: percent ? { y: { min: 0, max: 100, ticks: { callback: function (v) { return v + " %"; } } } } : {},
          plugins: { legend: { display: spec.datasets.length > 1 } }
        }
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSwap", function (event) { draw(event.target); });
})();
