// Each institution's net to pay for the month, beside its claim (medical/statements/): bars from the
// page's JSON blocks (json_script: data, not a script). No inline script (the CSP forbids it);
// ECharts is vendored (UI.md: nothing from a CDN).
(function () {
  function draw() {
    var el = document.getElementById("statements-chart");
    var source = document.getElementById("statements-chart-data");
    var names = document.getElementById("statements-chart-labels");
    if (!el || !source || !names || typeof echarts === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var labels = JSON.parse(names.textContent);
    if (!data.names.length) { return; }
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: function (v) { return v === null ? "—" : "¥" + Number(v).toLocaleString(undefined, { minimumFractionDigits: 2 }); } },
      legend: { data: [labels.net, labels.claimed], bottom: 0 },
      grid: { left: 8, right: 16, bottom: 32, top: 8, containLabel: true },
      xAxis: { type: "category", data: data.names, axisLabel: { interval: 0, rotate: data.names.length > 6 ? 30 : 0 } },
      yAxis: { type: "value" },
      series: [
        { name: labels.net, type: "bar", barMaxWidth: 28, data: data.net, itemStyle: { color: "#0d6efd" } },
        { name: labels.claimed, type: "bar", barMaxWidth: 28, data: data.claimed, itemStyle: { color: "#adb5bd" } }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
    el.dataset.ready = "1";
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
