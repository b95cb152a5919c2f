// Error rates per town of a spot-check campaign (oversight/spot-checks/<id>/): a bar chart of the
// figures in the page's JSON block (json_script: data, not a script). No inline script (the CSP
// forbids it); ECharts is vendored (UI.md: nothing from a CDN).
(function () {
  function draw() {
    var el = document.getElementById("spotcheck-chart");
    var source = document.getElementById("spotcheck-chart-data");
    if (!el || !source || typeof echarts === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 8, right: 8, bottom: 8, top: 32, containLabel: true },
      xAxis: { type: "category", data: data.towns, axisLabel: { interval: 0, rotate: data.towns.length > 6 ? 35 : 0 } },
      yAxis: [{ type: "value", name: data.labels.rate, min: 0, max: 100 }, { type: "value", minInterval: 1 }],
      series: [
        { name: data.labels.rate, type: "bar", barMaxWidth: 36, data: data.rates, itemStyle: { color: "#dc3545" } },
        { name: data.labels.wrong, type: "line", yAxisIndex: 1, data: data.wrong, itemStyle: { color: "#fd7e14" } },
        { name: data.labels.checked, type: "line", yAxisIndex: 1, data: data.checked, itemStyle: { color: "#6f42c1" } }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
    el.dataset.ready = "1";
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
