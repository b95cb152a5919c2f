// Staff behind and on track on training per town (workforce/training/behind/): a stacked bar
// chart of the figures in the page's JSON block (json_script: data, not a script), with the
// share behind as a line. No inline script (the CSP forbids it); ECharts is vendored.
(function () {
  function draw() {
    var el = document.getElementById("training-chart");
    var source = document.getElementById("training-chart-data");
    if (!el || !source || typeof echarts === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 8, right: 8, bottom: 8, top: 32, containLabel: true },
      xAxis: { type: "category", data: data.towns, axisLabel: { interval: 0, rotate: data.towns.length > 6 ? 35 : 0 } },
      yAxis: [{ type: "value", minInterval: 1 }, { type: "value", name: data.labels.percent, min: 0, max: 100 }],
      series: [
        { name: data.labels.behind, type: "bar", stack: "staff", barMaxWidth: 36, data: data.behind, itemStyle: { color: "#dc3545" } },
        { name: data.labels.on_track, type: "bar", stack: "staff", barMaxWidth: 36, data: data.on_track, itemStyle: { color: "#198754" } },
        { name: data.labels.percent, type: "line", yAxisIndex: 1, data: data.percent, itemStyle: { color: "#fd7e14" } }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
    el.dataset.ready = "1";
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
