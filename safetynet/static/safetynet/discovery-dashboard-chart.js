// Lead response times per town (discovery/dashboard/): a bar chart from the JSON endpoint named
// in data-url. No inline script (the CSP forbids it); ECharts is vendored (UI.md: no CDN).
(function () {
  function draw() {
    var el = document.getElementById("discovery-chart");
    if (!el || typeof echarts === "undefined") { return; }
    fetch(el.dataset.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { towns: [] }; })
      .then(function (data) {
        var towns = data.towns || [];
        function series(name, key, color) {
          return { name: name, type: "bar", barMaxWidth: 28, itemStyle: { color: color },
                   data: towns.map(function (t) { return t[key] === null ? 0 : t[key]; }) };
        }
        var chart = echarts.init(el, null, { renderer: "svg" });
        chart.setOption({
          animation: false,
          tooltip: { trigger: "axis" },
          legend: { top: 0 },
          grid: { left: 8, right: 8, bottom: 8, top: 48, containLabel: true },
          xAxis: { type: "category", data: towns.map(function (t) { return t.town_name; }),
                   axisLabel: { interval: 0, rotate: towns.length > 6 ? 35 : 0 } },
          yAxis: { type: "value", name: "h" },
          series: [
            series(el.dataset.labelAckMedian, "acknowledge_median_hours", "#0d6efd"),
            series(el.dataset.labelAckP90, "acknowledge_p90_hours", "#6ea8fe"),
            series(el.dataset.labelVisitMedian, "visit_median_hours", "#fd7e14"),
            series(el.dataset.labelVisitP90, "visit_p90_hours", "#ffc078")
          ]
        });
        window.addEventListener("resize", function () { chart.resize(); });
        el.dataset.ready = "1";
      });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
