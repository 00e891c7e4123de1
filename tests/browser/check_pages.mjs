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
import { chromium } from "playwright-core";

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

const browser = await chromium.launch({
  executablePath: config.chromium,
  headless: true,
  // Playwright gives every launch a fresh, empty profile (--user-data-dir).
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    // A second lock on the network: no host name resolves, even if a request escaped the route below.
    "--host-resolver-rules=MAP * ~NOTFOUND",
  ],
});

// A full-page PNG: the pixels of Playwright's `screenshot({ fullPage: true })`, taken
// through the DevTools protocol to use Chromium's faster PNG encoder (optimizeForSpeed;
// still lossless, only the compression is lighter). The book's longest pages are
// some 30,000 pixels tall, and encoding them dominated the time of the screenshot.
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

async function checkPage(context, page) {
  const started = Date.now();
  let recording = true;
  const result = {
    page, loaded: [], external: [], console: [], pageErrors: [],
    charts: [], math: null, axe: [], screenshot: null, error: null,
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
  await tab.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(rootUrl) || url.startsWith("data:") || url.startsWith("blob:")) {
      return route.continue();
    }
    result.external.push(url);
    return route.abort("blockedbyclient");
  });
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
    await fullPageScreenshot(context, tab, result.screenshot);

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
