// A person's medical assistance by month (medical/people/<id>/<year>/): a bar per month from the
// page's JSON block (json_script: data, not a script). No inline script (the CSP forbids it);
// ECharts is vendored (UI.md: nothing from a CDN).
(function () {
  function draw() {
    var el = document.getElementById("medical-ledger-chart");
    var source = document.getElementById("medical-ledger-chart-data");
    if (!el || !source || typeof echarts === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      grid: { left: 8, right: 8, bottom: 8, top: 36, containLabel: true },
      xAxis: { type: "category", data: data.months },
      yAxis: { type: "value", name: data.label },
      series: [{ name: data.label, type: "bar", barMaxWidth: 28, itemStyle: { color: "#0d6efd" }, data: data.assistance }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
    el.dataset.ready = "1";
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
