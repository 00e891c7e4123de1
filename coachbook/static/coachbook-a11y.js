// Accessible names for controls that the chart library adds at run time.
// vega-embed puts its actions menu (save the chart as SVG or PNG) behind a
// <summary> that holds only an icon, which screen readers announce with no
// name (axe-core rule summary-name). Name each one after its chart.
document.addEventListener("DOMContentLoaded", function () {
  function label(figure) {
    figure.querySelectorAll("details > summary:not([aria-label])").forEach(function (summary) {
      var chart = figure.getAttribute("aria-label");
      summary.setAttribute("aria-label", chart ? "Chart actions: " + chart : "Chart actions");
    });
  }
  document.querySelectorAll("figure.coachbook-chart").forEach(function (figure) {
    label(figure);
    new MutationObserver(function () { label(figure); }).observe(figure, { childList: true, subtree: true });
  });
});

// myst-nb's "Show code cell output" toggles carry aria-label="Toggle hidden
// content", which differs from their visible text (axe-core rule
// label-content-name-mismatch, serious). Drop the label so the accessible name
// is the visible text that speech-input users will say.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll('.cell details > summary[aria-label="Toggle hidden content"]').forEach(function (summary) {
    summary.removeAttribute("aria-label");
  });
});

// A keyboard user must be able to scroll a wide output or code block (axe-core rule
// scrollable-region-focusable, serious). The theme sets tabindex once, at page load;
// charts and math drawn later can make a block scrollable after that, so every block
// is checked again whenever it or its content changes size.
document.addEventListener("DOMContentLoaded", function () {
  function update(block) {
    var scrolls = block.scrollWidth > block.clientWidth + 1 || block.scrollHeight > block.clientHeight + 1;
    if (scrolls && block.getAttribute("tabindex") !== "0") { block.setAttribute("tabindex", "0"); }
  }
  var blocks = document.querySelectorAll(".cell_output .output, .cell_output pre, div.highlight pre");
  var observer = new ResizeObserver(function (entries) {
    entries.forEach(function (entry) { update(entry.target.closest(".output, pre") || entry.target); });
  });
  blocks.forEach(function (block) {
    update(block);
    observer.observe(block);
    if (block.firstElementChild) { observer.observe(block.firstElementChild); }
  });
  window.addEventListener("load", function () { blocks.forEach(update); });
});
