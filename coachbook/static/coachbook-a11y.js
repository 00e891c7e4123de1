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
// is checked again whenever it or its content changes size. A block that scrolls
// sideways also gets the class cb-scroll: coachbook.css draws a shadow at the cut edge
// and a "scroll" hint, so a sighted reader sees that there is more.
document.addEventListener("DOMContentLoaded", function () {
  function update(block) {
    var wide = block.scrollWidth > block.clientWidth + 1;
    var scrolls = wide || block.scrollHeight > block.clientHeight + 1;
    if (scrolls && block.getAttribute("tabindex") !== "0") { block.setAttribute("tabindex", "0"); }
    if (wide !== block.classList.contains("cb-scroll")) { block.classList.toggle("cb-scroll", wide); }
  }
  var blocks = document.querySelectorAll(".cell_output .output, .cell_output pre, div.highlight pre, "
    + "div.math, .pst-scrollable-table-container, .table-wrapper");
  var blockOf = new Map();
  var observer = new ResizeObserver(function (entries) {
    entries.forEach(function (entry) { update(blockOf.get(entry.target) || entry.target); });
  });
  blocks.forEach(function (block) {
    update(block);
    blockOf.set(block, block);
    observer.observe(block);
    if (block.firstElementChild) {
      blockOf.set(block.firstElementChild, block);
      observer.observe(block.firstElementChild);
    }
  });
  function updateAll() { blocks.forEach(update); }
  window.addEventListener("load", updateAll);
  window.addEventListener("resize", updateAll);
});
