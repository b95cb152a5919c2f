// The county overview (dashboards/county_overview.html): staff by employment (pie) and budget
// against spending by kind (bars), from the JSON the page embeds. No inline script (CSP).
(function () {
  function draw() {
    var data = document.getElementById("county-overview-data");
    var staffEl = document.getElementById("county-overview-staff");
    var budgetEl = document.getElementById("county-overview-budget");
    if (!data || !staffEl || typeof echarts === "undefined") { return; }
    data = JSON.parse(data.textContent);
    echarts.init(staffEl, null, { renderer: "svg" }).setOption({
      animation: false, tooltip: { trigger: "item" }, legend: { bottom: 0 },
      series: [{ type: "pie", radius: ["35%", "65%"], data: data.staff, label: { formatter: "{b}: {c}" } }]
    });
    echarts.init(budgetEl, null, { renderer: "svg" }).setOption({
      animation: false, tooltip: { trigger: "axis" }, legend: { top: 0 },
      grid: { left: 8, right: 8, bottom: 8, top: 40, containLabel: true },
      xAxis: { type: "category", data: data.budget.map(function (b) { return b.kind; }) },
      yAxis: { type: "value" },
      series: [
        { name: budgetEl.dataset.labelBudget, type: "bar", itemStyle: { color: "#adb5bd" }, data: data.budget.map(function (b) { return b.budget; }) },
        { name: budgetEl.dataset.labelSpent, type: "bar", itemStyle: { color: "#0d6efd" }, data: data.budget.map(function (b) { return b.spent; }) }
      ]
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
