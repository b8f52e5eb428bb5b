/* stockcast charts: the product's demand history with its forecast fan, and projected stock.
   Data comes from <script type="application/json"> blocks written by the server (json_script);
   Chart.js is vendored under static/vendor/chartjs (no CDN). */
(function () {
  "use strict";

  function readJson(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  // Shades the x ranges of promotions behind the lines (a small inline plugin).
  var promoShading = {
    id: "promoShading",
    beforeDatasetsDraw: function (chart, _args, options) {
      var spans = options.spans || [];
      var labels = chart.data.labels;
      var x = chart.scales.x, area = chart.chartArea, ctx = chart.ctx;
      if (!spans.length || !labels.length) return;
      var step = labels.length > 1 ? (x.getPixelForValue(1) - x.getPixelForValue(0)) : area.width;
      ctx.save();
      ctx.fillStyle = "rgba(242, 183, 5, 0.22)";
      spans.forEach(function (span) {
        var first = labels.findIndex(function (d) { return d >= span.start; });
        var last = -1;
        for (var i = labels.length - 1; i >= 0; i--) { if (labels[i] <= span.end) { last = i; break; } }
        if (first < 0 || last < first) return;
        var left = Math.max(x.getPixelForValue(first) - step / 2, area.left);
        var right = Math.min(x.getPixelForValue(last) + step / 2, area.right);
        ctx.fillRect(left, area.top, right - left, area.bottom - area.top);
      });
      ctx.restore();
    }
  };

  function demandChart(canvas, data) {
    var history = data.history || {dates: [], units: []};
    var forecast = data.forecast;
    var labels = history.dates.slice();
    if (forecast && forecast.dates) {
      forecast.dates.forEach(function (d) { if (labels.indexOf(d) < 0) labels.push(d); });
    }
    var position = {};
    labels.forEach(function (d, i) { position[d] = i; });
    function align(dates, values) {
      var out = new Array(labels.length).fill(null);
      dates.forEach(function (d, i) { out[position[d]] = values[i]; });
      return out;
    }
    var datasets = [{
      label: "Units sold", data: align(history.dates, history.units), borderColor: "#1d2430",
      backgroundColor: "#1d2430", borderWidth: 1.5, pointRadius: 0, tension: 0
    }];
    if (forecast && forecast.dates && forecast.dates.length) {
      datasets.push({
        label: "p10", data: align(forecast.dates, forecast.p10), borderColor: "rgba(11,92,173,0.35)",
        borderWidth: 1, pointRadius: 0, fill: false
      });
      datasets.push({
        label: "p10–p90 band", data: align(forecast.dates, forecast.p90), borderColor: "rgba(11,92,173,0.35)",
        backgroundColor: "rgba(11,92,173,0.18)", borderWidth: 1, pointRadius: 0, fill: "-1"
      });
      datasets.push({
        label: "Forecast p50", data: align(forecast.dates, forecast.p50), borderColor: "#0b5cad",
        borderWidth: 2.5, pointRadius: 0
      });
    }
    return new Chart(canvas, {
      type: "line",
      data: {labels: labels, datasets: datasets},
      options: {
        animation: false, responsive: true, maintainAspectRatio: false, spanGaps: false,
        interaction: {mode: "index", intersect: false},
        scales: {x: {ticks: {maxTicksLimit: 10}}, y: {beginAtZero: true, title: {display: true, text: "units / day"}}},
        plugins: {
          promoShading: {spans: data.promotions || []},
          legend: {labels: {filter: function (item) { return item.text !== "p10"; }}}
        }
      },
      plugins: [promoShading]
    });
  }

  var palette = ["#0b5cad", "#a3141b", "#1d6b2f", "#7a4b00", "#6a3d9a", "#00838f", "#4d5868"];

  function projectionChart(canvas, data) {
    return new Chart(canvas, {
      type: "line",
      data: {
        labels: data.dates,
        datasets: data.series.map(function (s, i) {
          return {label: s.warehouse, data: s.points, borderColor: palette[i % palette.length],
                  borderWidth: 2, pointRadius: 0, stepped: false};
        })
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        interaction: {mode: "index", intersect: false},
        scales: {x: {ticks: {maxTicksLimit: 8}}, y: {title: {display: true, text: "units (below 0 = shortfall)"}}}
      }
    });
  }

  function lineChart(canvas, data) {
    return new Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (s, i) {
          return {label: s.label, data: s.values, borderColor: palette[i % palette.length], borderWidth: 2,
                  pointRadius: 3, spanGaps: true};
        })
      },
      options: {animation: false, responsive: true, maintainAspectRatio: false,
                scales: {y: {beginAtZero: true, title: {display: !!data.y_label, text: data.y_label || ""}}}}
    });
  }

  // Grouped bars: one group per label (e.g. a warehouse), one bar per series (e.g. a method).
  function barChart(canvas, data) {
    return new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (s, i) {
          return {label: s.label, data: s.values, backgroundColor: palette[i % palette.length]};
        })
      },
      options: {animation: false, responsive: true, maintainAspectRatio: false,
                scales: {y: {beginAtZero: true, title: {display: !!data.y_label, text: data.y_label || ""}}}}
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (typeof Chart === "undefined") return;
    var kinds = {demand: demandChart, projection: projectionChart, line: lineChart, bar: barChart};
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var data = readJson(canvas.dataset.source);
      var draw = kinds[canvas.dataset.chart];
      if (data && draw) {
        draw(canvas, data);
        canvas.dataset.drawn = "true";
      }
    });
  });
})();
