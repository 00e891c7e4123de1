// Upgrade each chart to an interactive one when the book's local copy of vega-embed
// loaded. No network is used: the bundle is served with the book. The built page keeps
// the static drawing out of its HTML (data-src names the SVG file, see
// coachbook.book.sphinx_ext); it is shown only when the chart cannot be drawn.
function coachbookStaticChart(staticNode) {
  var src = staticNode.getAttribute("data-src");
  if (!src || staticNode.querySelector("img, svg")) { return; }
  var image = document.createElement("img");
  image.src = src;
  image.alt = (staticNode.closest("figure") || staticNode).getAttribute("aria-label") || "";
  staticNode.appendChild(image);
}
document.addEventListener("DOMContentLoaded", function () {
  if (typeof window.vegaEmbed !== "function") {
    document.querySelectorAll("figure.coachbook-chart .coachbook-chart-static").forEach(coachbookStaticChart);
    return;
  }
  var options = {
    renderer: "svg",
    actions: { export: true, source: false, compiled: false, editor: false },
    tooltip: true
  };
  // A chart as wide as the column (width "container") sizes its labels from the column at
  // drawing time, so it is drawn again when the column's width changes.
  var fitted = [];
  function draw(chart) {
    var target = document.createElement("div");
    target.className = "coachbook-chart-live";
    chart.figure.insertBefore(target, chart.target || chart.staticNode);
    chart.width = chart.figure.clientWidth;
    return window.vegaEmbed(target, chart.spec, options).then(function (result) {
      if (chart.target) { chart.target.remove(); }
      if (chart.view) { chart.view.finalize(); }
      chart.target = target;
      chart.view = result.view;
    }, function (error) {
      target.remove();
      throw error;
    });
  }
  document.querySelectorAll("figure.coachbook-chart").forEach(function (figure) {
    var specNode = figure.querySelector("script.coachbook-chart-spec");
    var staticNode = figure.querySelector(".coachbook-chart-static");
    if (!specNode || !staticNode) { return; }
    var chart = { figure: figure, staticNode: staticNode, spec: JSON.parse(specNode.textContent),
                  target: null, view: null, width: 0 };
    draw(chart).then(function () {
      staticNode.style.display = "none";
      if (chart.spec.width === "container") { fitted.push(chart); }
    }).catch(function (error) {
      coachbookStaticChart(staticNode);
      console.warn("coachbook: kept the static chart", error);
    });
  });
  var pending = null;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () {
      fitted.forEach(function (chart) {
        if (Math.abs(chart.figure.clientWidth - chart.width) > 1) {
          draw(chart).catch(function (error) { console.warn("coachbook: chart not redrawn", error); });
        }
      });
    }, 150);
  });
});
