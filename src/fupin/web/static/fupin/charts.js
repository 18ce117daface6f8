// Draws each [data-chart] element from the options the server put in #chart-options.
// A click on a bar of the ranking chart opens that subregion's dashboard (drill-down).
(function () {
  function draw() {
    var source = document.getElementById("chart-options");
    if (!source || !window.echarts) return;
    var options = JSON.parse(source.textContent);
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var opt = options[el.dataset.chart];
      if (!opt) return;
      var drill = opt.drill; delete opt.drill;
      // A phone is too narrow for labels beside a pie: the legend under it names the slices.
      if (el.clientWidth < 500 && opt.series && opt.series[0] && opt.series[0].type === "pie") {
        opt.series[0].label = { show: true, position: "inside", formatter: "{c}" };
        opt.series[0].labelLine = { show: false };
      }
      // Category names under narrow bars are cut ("突发…"): on a phone the bars lie down and the
      // names stand in full (wrapped) on their left, each value at the end of its bar.
      var series = opt.series && opt.series[0];
      if (el.clientWidth < 500 && series && series.type === "bar" && opt.xAxis && opt.xAxis.type === "category") {
        var names = opt.xAxis;
        opt.xAxis = opt.yAxis;
        opt.yAxis = names;
        names.inverse = true;
        names.axisLabel = { interval: 0, width: Math.round(el.clientWidth * 0.38), overflow: "break",
                            lineHeight: 14 };
        // Stacked bars (several series) keep their legend above and carry no per-bar value.
        var top = opt.legend ? 96 : 8;
        if (opt.series.length === 1) series.label = { show: true, position: "right" };
        opt.grid = { left: 8, right: 32, top: top, bottom: 8, containLabel: true };
        el.style.height = Math.max(200, names.data.length * 34 + 16 + top) + "px";
      }
      var chart = echarts.init(el, null, { renderer: "svg" });
      chart.setOption(opt);
      if (drill) {
        chart.on("click", function (p) { if (drill[p.dataIndex]) window.location.href = drill[p.dataIndex]; });
      }
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
})();
