// Upgrade each static chart (SVG) to an interactive one when the book's local
// copy of vega-embed loaded. No network is used: the bundle is served with the book.
document.addEventListener("DOMContentLoaded", function () {
  if (typeof window.vegaEmbed !== "function") { return; }
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
      console.warn("coachbook: kept the static chart", error);
    });
  });
});
