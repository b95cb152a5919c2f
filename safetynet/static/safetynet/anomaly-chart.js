// An anomaly report's findings per kind and status (oversight/anomalies/runs/<id>/): a stacked
// bar chart from the JSON endpoint in data-url. No inline script (CSP); ECharts is vendored.
(function () {
  function draw() {
    var el = document.getElementById("anomaly-chart");
    if (!el || typeof echarts === "undefined") { return; }
    fetch(el.dataset.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { kinds: [], statuses: [] }; })
      .then(function (data) {
        var kinds = data.kinds || [];
        var colors = { open: "#fd7e14", explained: "#6c757d", rectified: "#198754" };
        var chart = echarts.init(el, null, { renderer: "svg" });
        chart.setOption({
          animation: false,
          tooltip: { trigger: "axis" },
          legend: { top: 0 },
          grid: { left: 8, right: 8, bottom: 8, top: 40, containLabel: true },
          xAxis: { type: "value", minInterval: 1 },
          yAxis: { type: "category", data: kinds.map(function (k) { return k.label; }), inverse: true,
                   axisLabel: { width: 180, overflow: "truncate" } },
          series: (data.statuses || []).map(function (s) {
            return { name: s.label, type: "bar", stack: "findings", barMaxWidth: 24,
                     itemStyle: { color: colors[s.status] || "#0d6efd" },
                     data: kinds.map(function (k) { return k[s.status] || 0; }) };
          })
        });
        window.addEventListener("resize", function () { chart.resize(); });
        el.dataset.ready = "1";
      });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
