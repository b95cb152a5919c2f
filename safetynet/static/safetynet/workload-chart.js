// Open items and enrolled households per full-time worker, by town (workload/): bars from the
// page's JSON block (json_script: data, not a script), the towns flagged by the staffing norms
// in red, the norm of open items as a line. No inline script (the CSP forbids it); ECharts is
// vendored (UI.md: nothing from a CDN).
(function () {
  function draw() {
    var el = document.getElementById("workload-chart");
    var source = document.getElementById("workload-chart-data");
    if (!el || !source || typeof echarts === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var items = data.items.map(function (value, i) {
      return { value: value, itemStyle: { color: data.flagged[i] ? "#dc3545" : "#0d6efd" } };
    });
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 8, right: 8, bottom: 8, top: 32, containLabel: true },
      xAxis: { type: "category", data: data.towns, axisLabel: { interval: 0, rotate: data.towns.length > 6 ? 35 : 0 } },
      yAxis: [{ type: "value", name: data.labels.items, min: 0 }, { type: "value", name: data.labels.households, min: 0 }],
      series: [
        { name: data.labels.items, type: "bar", barMaxWidth: 36, data: items,
          markLine: data.norm === null ? undefined : { symbol: "none", label: { formatter: data.labels.norm + " {c}" },
                                                      lineStyle: { color: "#dc3545", type: "dashed" },
                                                      data: [{ yAxis: data.norm }] } },
        { name: data.labels.households, type: "line", yAxisIndex: 1, data: data.households, itemStyle: { color: "#6f42c1" } }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
    el.dataset.ready = "1";
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
