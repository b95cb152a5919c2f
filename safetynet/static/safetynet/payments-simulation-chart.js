// Policy simulation (payments/simulation/): the monthly cost by town, now and after the change,
// from the figures in data-chart. No inline script (the CSP forbids it); ECharts is vendored.
(function () {
  function draw() {
    var el = document.getElementById("simulation-chart");
    if (!el || typeof echarts === "undefined") { return; }
    var data = JSON.parse(el.dataset.chart || "{}");
    var towns = data.towns || [];
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 8, right: 8, bottom: 8, top: 32, containLabel: true },
      xAxis: { type: "category", data: towns, axisLabel: { interval: 0, rotate: towns.length > 6 ? 35 : 0 } },
      yAxis: { type: "value" },
      series: [
        { name: el.dataset.labelBefore, type: "bar", barMaxWidth: 36, data: data.before || [], itemStyle: { color: "#6c757d" } },
        { name: el.dataset.labelAfter, type: "bar", barMaxWidth: 36, data: data.after || [], itemStyle: { color: "#0d6efd" } }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
    el.dataset.ready = "1";
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
