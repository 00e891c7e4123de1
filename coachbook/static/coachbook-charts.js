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
  document.querySelectorAll("figure.coachbook-chart").forEach(function (figure) {
    var specNode = figure.querySelector("script.coachbook-chart-spec");
    var staticNode = figure.querySelector(".coachbook-chart-static");
    if (!specNode || !staticNode) { return; }
    var target = document.createElement("div");
    target.className = "coachbook-chart-live";
    figure.insertBefore(target, staticNode);
    window.vegaEmbed(target, JSON.parse(specNode.textContent), {
      renderer: "svg",
      actions: { export: true, source: false, compiled: false, editor: false },
      tooltip: true
    }).then(function () {
      staticNode.style.display = "none";
    }).catch(function (error) {
      target.remove();
      coachbookStaticChart(staticNode);
      console.warn("coachbook: kept the static chart", error);
    });
  });
});
