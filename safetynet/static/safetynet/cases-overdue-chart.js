// Overdue cases per town (cases/overdue/): a bar chart from the JSON endpoint named in data-url.
// No inline script (the CSP forbids it); ECharts is vendored (UI.md: nothing from a CDN).
(function () {
  function draw() {
    var el = document.getElementById("overdue-chart");
    if (!el || typeof echarts === "undefined") { return; }
    fetch(el.dataset.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { items: [] }; })
      .then(function (data) {
        var items = data.items || [];
        var chart = echarts.init(el, null, { renderer: "svg" });
        chart.setOption({
          animation: false,
          tooltip: { trigger: "axis" },
          legend: { top: 0 },
          grid: { left: 8, right: 8, bottom: 8, top: 32, containLabel: true },
          xAxis: { type: "category", data: items.map(function (t) { return t.town_name; }),
                   axisLabel: { interval: 0, rotate: items.length > 6 ? 35 : 0 } },
          yAxis: { type: "value", minInterval: 1 },
          series: [
            { name: el.dataset.labelOverdue, type: "bar", barMaxWidth: 36, data: items.map(function (t) { return t.overdue; }), itemStyle: { color: "#dc3545" } },
            { name: el.dataset.labelDueToday, type: "bar", barMaxWidth: 36, data: items.map(function (t) { return t.due_today; }), itemStyle: { color: "#fd7e14" } },
            { name: el.dataset.labelOpen, type: "bar", barMaxWidth: 36, data: items.map(function (t) { return t.open; }), itemStyle: { color: "#6f42c1" } }
          ]
        });
        window.addEventListener("resize", function () { chart.resize(); });
        el.dataset.ready = "1";
      });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
