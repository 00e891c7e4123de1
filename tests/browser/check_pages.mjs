// Opens pages of the built book in headless Chromium with the network off and
// reports, per page, what tests/test_browser.py asserts on. Run by that test:
//
//   node tests/browser/check_pages.mjs CONFIG.json > REPORT.json
//
// CONFIG: {"root": "<built html folder>", "pages": ["intro", ...],
//          "screenshots": "<folder>", "chromium": "/usr/bin/chromium",
//          "axeAllowlist": [{"rule": "<axe rule id>", "selector": "<CSS selector>"}, ...],
//          "concurrency": 2}   (optional: pages checked at the same time, one tab each; default 1)
//
// An axe-core finding on an element that matches an allowlisted rule + selector
// is reported with "allowlisted": "<that selector>" (the test file says why each is there).
//
// Every request that is not a file inside `root` is aborted and recorded; data:
// and blob: URLs (made by the page itself, never sent anywhere) are let through.
// The browser is Debian's Chromium (no browser download); axe-core comes from
// this folder's node_modules (package.json / package-lock.json pin both).
import { readFileSync, mkdirSync, realpathSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { keepOffline, launchChromium } from "./launch.mjs";

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const root = realpathSync(config.root);
const rootUrl = pathToFileURL(root).href.replace(/\/?$/, "/");
// Upper bounds only: every wait ends as soon as its condition holds (charts drawn,
// MathJax started). They are generous because the pass may share the machine with the
// rest of the test suite.
const CHART_TIMEOUT_MS = 30000;
const MATH_TIMEOUT_MS = 30000;

const browser = await launchChromium(config.chromium);

// A full-page PNG: the pixels of Playwright's `screenshot({ fullPage: true })`, taken
// through the DevTools protocol to use Chromium's faster PNG encoder (optimizeForSpeed;
// still lossless, only the compression is lighter). The book's longest pages are
// some 30,000 pixels tall, and encoding them dominated the time of the screenshot.
const SHOT_STYLE = ".bd-header, .skip-link, .bd-header-announcement { visibility: hidden !important; }";

async function fullPageScreenshot(context, tab, path) {
  const cdp = await context.newCDPSession(tab);
  try {
    const { cssContentSize } = await cdp.send("Page.getLayoutMetrics");
    const { data } = await cdp.send("Page.captureScreenshot", {
      format: "png", optimizeForSpeed: true, captureBeyondViewport: true,
      clip: { x: 0, y: 0, width: Math.ceil(cssContentSize.width), height: Math.ceil(cssContentSize.height), scale: 1 },
    });
    writeFileSync(path, Buffer.from(data, "base64"));
  } finally {
    await cdp.detach();
  }
}

// Layout: what in the content column is wider than the column. An element inside a
// horizontal scroll region counts only when that region has no visible cue (the class
// `cb-scroll`, which the book's CSS draws with a fade and a "scroll" hint). Also: where each
// chart's legend lies against its figure and the viewport.
function measureLayout() {
  const column = document.querySelector("article.bd-article") || document.querySelector("main") || document.body;
  const col = column.getBoundingClientRect();
  const describe = (el) => {
    const id = el.id ? `#${el.id}` : "";
    const cls = typeof el.className === "string" && el.className ? `.${el.className.trim().split(/\s+/).slice(0, 2).join(".")}` : "";
    const cell = el.closest(".cell");
    const cells = cell ? Array.from(document.querySelectorAll(".cell")).indexOf(cell) : -1;
    return `${el.tagName.toLowerCase()}${id}${cls}${cells >= 0 ? ` (cell ${cells})` : ""}`;
  };
  const scroller = (el) => {
    for (let a = el.parentElement; a && a !== column; a = a.parentElement) {
      const style = getComputedStyle(a).overflowX;
      if ((style === "auto" || style === "scroll") && a.scrollWidth > a.clientWidth + 1) { return a; }
    }
    return null;
  };
  const overflow = [];
  const seen = new Set();
  for (const el of column.querySelectorAll("table, figure, pre, img, svg, .output, .cell_output > div")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) { continue; }
    const region = scroller(el);
    const wide = region ? el.scrollWidth > region.clientWidth + 1 || box.width > region.clientWidth + 1
      : box.right > col.right + 1 || box.left < col.left - 1;
    if (!wide) { continue; }
    const key = region ? region : el;
    if (seen.has(key)) { continue; }
    seen.add(key);
    overflow.push({
      element: describe(el), width: Math.round(Math.max(box.width, el.scrollWidth || 0)),
      column: Math.round(col.width), scrolls: Boolean(region),
      cue: Boolean(region && region.closest(".cb-scroll")),
    });
  }
  const legends = Array.from(document.querySelectorAll("figure.coachbook-chart")).map((figure) => {
    const fig = figure.getBoundingClientRect();
    const svg = figure.querySelector(".coachbook-chart-live svg") || figure.querySelector("svg");
    const boxes = svg ? Array.from(svg.querySelectorAll(".role-legend")).map((g) => g.getBoundingClientRect()) : [];
    const outside = boxes.filter((b) => b.width > 0 && (b.right > Math.min(fig.right, col.right) + 1
      || b.left < fig.left - 1 || b.right > window.innerWidth));
    return { label: figure.getAttribute("aria-label") || "", legends: boxes.length, outside: outside.length,
             width: Math.round(fig.width) };
  });
  return { column: Math.round(col.width), viewport: window.innerWidth, overflow, legends };
}

// The viewport at `width`, checked in the page; asked again if the page has not taken it.
async function resize(tab, width) {
  for (let attempt = 1; ; attempt++) {
    await tab.setViewportSize({ width, height: 900 });
    try {
      await tab.waitForFunction((w) => window.innerWidth === w, width, { polling: 50, timeout: 2000 });
      return;
    } catch (error) {
      if (attempt === 5) {
        throw new Error(`the page kept a width of ${await tab.evaluate(() => window.innerWidth)} px, not ${width}`);
      }
      // The full-page screenshot can leave the page at another size than Playwright believes
      // it set; a different size first makes Playwright set it again.
      await tab.setViewportSize({ width: width + 1, height: 900 });
      await tab.bringToFront();
    }
  }
}

// The screenshot and layout steps of one page at a time (see checkPage).
let layoutQueue = Promise.resolve();
function layoutTurn() {
  let release;
  const turn = new Promise((resolve) => { release = resolve; });
  const ready = layoutQueue.then(() => release);
  layoutQueue = layoutQueue.then(() => turn);
  return ready;
}

async function checkPage(context, page) {
  const started = Date.now();
  let recording = true;
  const result = {
    page, loaded: [], external: [], console: [], pageErrors: [],
    charts: [], math: null, axe: [], screenshot: null, layout: {}, shots: [], error: null,
  };
  const tab = await context.newPage();
  tab.on("console", (message) => {
    if (recording && (message.type() === "error" || message.type() === "warning")) {
      result.console.push({ type: message.type(), text: message.text(), url: message.location().url || "" });
    }
  });
  tab.on("pageerror", (error) => { if (recording) { result.pageErrors.push(String(error && error.stack || error)); } });
  tab.on("requestfinished", (request) => {
    if (request.url().startsWith(rootUrl)) { result.loaded.push(request.url()); }
  });
  await keepOffline(tab, rootUrl, result.external);
  try {
    await tab.goto(pathToFileURL(join(root, `${page}.html`)).href, { waitUntil: "load" });

    // Charts: each figure upgrades to a live vega-embed SVG with marks; wait for all of them.
    await tab.waitForFunction(() => Array.from(document.querySelectorAll("figure.coachbook-chart"))
      .every((f) => f.querySelector(".coachbook-chart-live svg .role-mark")), null,
    { timeout: CHART_TIMEOUT_MS }).catch(() => {});
    result.charts = await tab.evaluate(() => Array.from(document.querySelectorAll("figure.coachbook-chart"))
      .map((figure) => {
        const live = figure.querySelector(".coachbook-chart-live svg");
        const staticSvg = figure.querySelector(".coachbook-chart-static svg");
        const shown = live || staticSvg;
        const marks = shown ? Array.from(shown.querySelectorAll(".role-mark"))
          .reduce((n, group) => n + group.childElementCount, 0) : 0;
        const box = shown ? shown.getBoundingClientRect() : { width: 0, height: 0 };
        return {
          label: figure.getAttribute("aria-label") || "",
          live: Boolean(live),
          marks,
          width: Math.round(box.width),
          height: Math.round(box.height),
          text: (figure.querySelector(".coachbook-chart-live") || {}).innerText || "",
        };
      }));

    // Math: MathJax (served from _static/mathjax) typesets every .math element.
    result.math = await tab.evaluate(async (timeout) => {
      const count = document.querySelectorAll("span.math, div.math").length;
      const mathjax = window.MathJax;
      let ready = false;
      if (mathjax && mathjax.startup && mathjax.startup.promise) {
        ready = await Promise.race([
          mathjax.startup.promise.then(() => true, () => false),
          new Promise((resolve) => setTimeout(() => resolve(false), timeout)),
        ]);
      }
      return {
        count,
        loaded: Boolean(mathjax && mathjax.version),
        version: (mathjax && mathjax.version) || null,
        ready,
        rendered: document.querySelectorAll("mjx-container").length,
        errors: Array.from(document.querySelectorAll("mjx-merror"))
          .map((e) => e.getAttribute("data-mjx-error") || e.textContent),
      };
    }, MATH_TIMEOUT_MS);

    await tab.evaluate(() => document.fonts.ready.then(() => true));
    result.screenshot = join(config.screenshots, `${page}.png`);
    mkdirSync(dirname(result.screenshot), { recursive: true });
    const screenshotTurn = await layoutTurn();
    try {
      await fullPageScreenshot(context, tab, result.screenshot);
    } finally {
      screenshotTurn();
    }


    // Accessibility: axe-core's default rules (WCAG A/AA and best practices). What the
    // page logs from here on is the test tool's, not the book's. No preload: axe would
    // fetch the style sheets with XMLHttpRequest, which file:// pages may not do.
    recording = false;
    await tab.addScriptTag({ content: AXE_SOURCE });
    result.axe = await tab.evaluate(async (allowlist) => {
      const found = await window.axe.run(document, { resultTypes: ["violations"], preload: false });
      const allowed = (rule, target) => {
        const element = target.length === 1 ? document.querySelector(target[0]) : null;
        const entry = element && allowlist.find((a) => a.rule === rule && element.matches(a.selector));
        return entry ? entry.selector : null;
      };
      return found.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map((n) => ({
          target: n.target.join(" "), impact: n.impact, html: n.html.slice(0, 300),
          summary: n.failureSummary || "", allowlisted: allowed(v.id, n.target),
        })),
      }));
    }, config.axeAllowlist || []);
    // Last, so that the checks above see the page as loaded. Layout at 1280 px, then 400 px; the named
    // elements of config.elementShots are photographed at both widths.
    const shots = (config.elementShots || []).filter((shot) => shot.page === page);
    // One tab at a time, in front: a background tab gets no animation frames, so neither
    // the page's resize handlers (charts as wide as the column, the cb-scroll cue) nor the
    // screenshots would see the new width.
    const release = await layoutTurn();
    try {
    await tab.bringToFront();
    for (const width of [1280, 400]) {
      await resize(tab, width);
      await tab.evaluate(() => new Promise((resolve) => {
        requestAnimationFrame(() => requestAnimationFrame(resolve));
        setTimeout(resolve, 1000);
      }));
      // coachbook-charts.js redraws a column-wide chart 150 ms after a resize.
      await tab.waitForTimeout(result.charts.length ? 700 : 200);
      result.layout[width] = await tab.evaluate(measureLayout);
      for (const shot of shots) {
        const target = tab.locator(shot.selector).nth(shot.index || 0);
        const file = join(config.screenshots, `${shot.name}-${width}.png`);
        try {
          await target.scrollIntoViewIfNeeded({ timeout: 5000 });
          // The theme's sticky header and skip link would be stitched into a tall element's shot.
          await target.screenshot({ path: file, timeout: 10000, style: SHOT_STYLE });
          result.shots.push({ name: shot.name, width, file });
        } catch (error) {
          result.shots.push({ name: shot.name, width, file: null, error: String(error).slice(0, 300) });
        }
      }
    }
    } catch (error) {
      result.layout.error = String(error && error.stack || error).slice(0, 500);
    } finally {
      release();
    }
  } catch (error) {
    result.error = String(error && error.stack || error);
  } finally {
    await tab.close();
  }
  result.ms = Date.now() - started;
  return result;
}

// Pages are checked concurrently, each in its own tab of one browser context, by
// `concurrency` workers taking the next page from the list; results keep the list's order.
const results = new Array(config.pages.length);
const concurrency = Math.max(1, Math.min(Number(config.concurrency) || 1, config.pages.length));
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, serviceWorkers: "block" });
  let next = 0;
  const worker = async () => {
    while (next < config.pages.length) {
      const index = next++;
      results[index] = await checkPage(context, config.pages[index]);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify({ axeVersion: JSON.parse(readFileSync(require.resolve("axe-core/package.json"), "utf8")).version, results }, null, 1));
