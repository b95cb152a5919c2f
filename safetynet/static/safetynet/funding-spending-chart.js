// Budget against spending (funding/spending/): a bar chart of each line's budget and what is spent
// of it, and a line chart of the spending by month and kind, from the JSON endpoint in data-url.
// No inline script (CSP); ECharts is vendored.
(function () {
  function draw() {
    var el = document.getElementById("funding-budget-chart");
    var monthlyEl = document.getElementById("funding-monthly-chart");
    if (!el || typeof echarts === "undefined") { return; }
    fetch(el.dataset.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { lines: [], kinds: [], months: [], monthly: {} }; })
      .then(function (data) {
        var kindLabel = {};
        (data.kinds || []).forEach(function (k) { kindLabel[k.kind] = k.label; });
        var lines = data.lines || [];
        var names = lines.map(function (l) { return l.area + " · " + (kindLabel[l.kind] || l.kind); });
        var colors = { ok: "#198754", warned: "#fd7e14", exhausted: "#dc3545" };
        var chart = echarts.init(el, null, { renderer: "svg" });
        chart.setOption({
          animation: false,
          tooltip: { trigger: "axis" },
          legend: { top: 0 },
          grid: { left: 8, right: 8, bottom: 8, top: 40, containLabel: true },
          xAxis: { type: "value" },
          yAxis: { type: "category", data: names, inverse: true, axisLabel: { width: 200, overflow: "truncate" } },
          series: [
            { name: data.labels.budget, type: "bar", barMaxWidth: 18, itemStyle: { color: "#adb5bd" },
              data: lines.map(function (l) { return l.budget; }) },
            { name: data.labels.spent, type: "bar", barMaxWidth: 18,
              data: lines.map(function (l) { return { value: l.spent, itemStyle: { color: colors[l.state] || "#0d6efd" } }; }) }
          ]
        });
        var monthly = echarts.init(monthlyEl, null, { renderer: "svg" });
        monthly.setOption({
          animation: false,
          tooltip: { trigger: "axis" },
          legend: { top: 0 },
          grid: { left: 8, right: 8, bottom: 8, top: 40, containLabel: true },
          xAxis: { type: "category", data: data.months || [] },
          yAxis: { type: "value" },
          series: (data.kinds || []).map(function (k) {
            return { name: k.label, type: "line", data: (data.monthly || {})[k.kind] || [] };
          })
        });
        window.addEventListener("resize", function () { chart.resize(); monthly.resize(); });
        el.dataset.ready = "1";
      });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
