// Prints every session handout of the built book (chapters/05-course-kits/handouts/) the way a
// facilitator would, in headless Chromium with print media, and reports what the tests assert.
// Run by tests/test_handouts.py:
//
//   node tests/browser/handouts.mjs CONFIG.json > REPORT.json
//
// CONFIG: {"root": "<built html folder>", "chromium": "/usr/bin/chromium",
//          "screenshots": "<folder>", "margin": "15mm",
//          "papers": [{"format": "Letter", "widthMm": 215.9}, {"format": "A4", "widthMm": 210}],
//          "handouts": [{"id": "session-01", "page": "chapters/05-course-kits/handouts/session-01"}]}
//
// For each handout: open the page offline (requests outside `root` are aborted and reported),
// switch to print media (page.emulateMedia), lay the page out at the printable width of the
// narrowest paper (paper width minus both margins, at 96 CSS px per inch), and list every
// visible element that reaches beyond that width or whose content overflows its own box (what
// a printer would cut off). Then save a full-page print-media screenshot
// (<screenshots>/handout-<id>-print.png) and print the page to PDF on each paper with those
// margins (page.pdf), counting the PDF's pages.
import { readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { keepOffline, launchChromium } from "./launch.mjs";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const root = realpathSync(config.root);
const rootUrl = pathToFileURL(root).href.replace(/\/?$/, "/");
const MM_TO_PX = 96 / 25.4;
const marginMm = parseFloat(config.margin);
const printableWidth = Math.floor((Math.min(...config.papers.map((p) => p.widthMm)) - 2 * marginMm) * MM_TO_PX);

// Runs in the page: what would be cut off at the printable width.
function measure(width) {
  const clipped = [];
  const describe = (el) => {
    const cls = typeof el.className === "string" && el.className ? `.${el.className.trim().split(/\s+/).join(".")}` : "";
    return `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}${cls}`;
  };
  for (const el of document.body.querySelectorAll("*")) {
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden") { continue; }
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0) { continue; }
    if (rect.right > width + 1 || rect.left < -1) {
      clipped.push({ element: describe(el), left: rect.left, right: rect.right, reason: "beyond the printable width" });
    } else if (el.scrollWidth > el.clientWidth + 1 && !["visible", "clip"].includes(style.overflowX) && el.clientWidth > 0) {
      clipped.push({ element: describe(el), left: rect.left, right: rect.right, reason: `content ${el.scrollWidth}px wide in a box of ${el.clientWidth}px` });
    }
  }
  const handout = document.querySelector(".cb-handout");
  const shown = (selector) => Array.from(document.querySelectorAll(selector))
    .some((el) => getComputedStyle(el).display !== "none" && el.getBoundingClientRect().height > 0);
  return {
    width: document.documentElement.clientWidth,
    clipped: clipped.slice(0, 20),
    handout: handout ? { words: handout.innerText.split(/\s+/).filter(Boolean).length,
                         writeBoxes: handout.querySelectorAll(".cb-write").length,
                         tables: handout.querySelectorAll("table").length } : null,
    navigationShown: shown(".bd-sidebar-primary") || shown(".bd-header") || shown(".prev-next-area"),
  };
}

function countPages(pdf) {
  return (pdf.toString("latin1").match(/\/Type\s*\/Page(?![s\w])/g) || []).length;
}

const browser = await launchChromium(config.chromium);
const results = [];
try {
  const context = await browser.newContext({ viewport: { width: printableWidth, height: 1100 } });
  for (const handout of config.handouts) {
    const result = { id: handout.id, page: handout.page, requests: [], external: [], pageErrors: [],
      printableWidth, layout: null, pages: {}, screenshot: null, error: null };
    const tab = await context.newPage();
    tab.on("request", (request) => { result.requests.push(request.url()); });
    tab.on("pageerror", (error) => { result.pageErrors.push(String((error && error.stack) || error)); });
    await keepOffline(tab, rootUrl, result.external);
    try {
      await tab.goto(pathToFileURL(join(root, `${handout.page}.html`)).href, { waitUntil: "load" });
      await tab.evaluate(() => (window.MathJax && window.MathJax.startup && window.MathJax.startup.promise) || null);
      await tab.emulateMedia({ media: "print" });
      await tab.setViewportSize({ width: printableWidth, height: 1100 });
      result.layout = await tab.evaluate(measure, printableWidth);
      // The theme scrolls its content inside a fixed-height layout, so a full-page screenshot would
      // stop at the window: make the window as tall as the printed content first.
      const height = await tab.evaluate(() => Math.ceil(Math.max(...Array.from(
        document.querySelectorAll("html, body, .bd-container, .bd-main, .bd-article"), (el) => el.scrollHeight))));
      await tab.setViewportSize({ width: printableWidth, height: Math.min(Math.max(height, 400), 8000) });
      result.contentHeight = height;
      result.screenshot = join(config.screenshots, `handout-${handout.id}-print.png`);
      await tab.screenshot({ path: result.screenshot, fullPage: true });
      if (config.pdfs) { await tab.pdf({ path: join(config.pdfs, `handout-${handout.id}.pdf`), format: "Letter",
        margin: { top: config.margin, bottom: config.margin, left: config.margin, right: config.margin } }); }
      for (const paper of config.papers) {
        const margin = { top: config.margin, bottom: config.margin, left: config.margin, right: config.margin };
        const pdf = await tab.pdf({ format: paper.format, margin, printBackground: true });
        result.pages[paper.format] = countPages(pdf);
      }
    } catch (error) {
      result.error = String((error && error.stack) || error);
    } finally {
      await tab.close();
    }
    results.push(result);
  }
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify({ root: rootUrl, printableWidth, results }));
