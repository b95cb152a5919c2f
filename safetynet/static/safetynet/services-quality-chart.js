// A contract's accuracy from spot checks against its target (services/contracts/<id>/): one bar and
// a target line from the page's JSON blocks (json_script: data, not a script). No inline script
// (the CSP forbids it); ECharts is vendored (UI.md: nothing from a CDN).
(function () {
  function draw() {
    var el = document.getElementById("quality-chart");
    var source = document.getElementById("quality-chart-data");
    var names = document.getElementById("quality-chart-labels");
    if (!el || !source || !names || typeof echarts === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var labels = JSON.parse(names.textContent);
    if (data.accuracy === null) { return; }
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      grid: { left: 8, right: 24, bottom: 8, top: 8, containLabel: true },
      xAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value} %" } },
      yAxis: { type: "category", data: [labels.accuracy] },
      series: [{
        type: "bar", barMaxWidth: 28, data: [data.accuracy],
        itemStyle: { color: data.accuracy >= data.target ? "#198754" : "#dc3545" },
        label: { show: true, position: "right", formatter: "{c} %" },
        markLine: { symbol: "none", data: [{ xAxis: data.target, name: labels.target }],
                    label: { formatter: labels.target + " {c} %" }, lineStyle: { color: "#212529", type: "dashed" } }
      }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
    el.dataset.ready = "1";
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
