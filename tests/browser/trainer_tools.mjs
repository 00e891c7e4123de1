// Drives the two trainer tools of the built book (chapters/04-synthesis/calibration-tool and
// planning-self-check) in headless Chromium and reports what they show. Run by
// tests/test_calibration_tool.py:
//
//   node tests/browser/trainer_tools.mjs CONFIG.json > REPORT.json
//
// CONFIG: {"root": "<built html folder>", "chromium": "/usr/bin/chromium",
//          "axeAllowlist": [{"rule": ..., "selector": ...}],
//          "scenarios": [{"id": "...", "page": "chapters/04-synthesis/calibration-tool",
//                         "read": "calibration" | "planning" | "batch" | "examples" | "format",
//                         "args": <passed to the reader, optional>,
//                         "axe": false, "screenshot": "<optional PNG path>",
//                         "steps": [{"action": "upload" | "fill" | "check" | "select" | "click",
//                                    "selector": "#id", "file": "/path" | "value": "...",
//                                    "waitFor": "#element whose data-run must change"}]}]}
//
// Each scenario opens its page in a fresh tab, takes the steps (a step with waitFor waits until
// that element's data-run attribute changes, i.e. the tool has redrawn), then reads the tool's
// output from the page: every number shown (its text and, from data-value, its unrounded
// value), the messages, the chart's bars. Every request a tab makes is recorded; requests
// outside `root` are aborted (and reported). data: and blob: URLs, made by the page itself, pass.
import { readFileSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { keepOffline, launchChromium } from "./launch.mjs";

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const root = realpathSync(config.root);
const rootUrl = pathToFileURL(root).href.replace(/\/?$/, "/");
const WAIT_MS = 20000;

const browser = await launchChromium(config.chromium);

// --- What each tool shows, read in the page -----------------------------------------------------
function readNumbers(element) {
  const out = {};
  for (const span of element.querySelectorAll("[data-stat]")) {
    const value = span.getAttribute("data-value");
    out[span.getAttribute("data-stat")] = {
      text: span.textContent.trim(),
      value: value === null ? null : (value === "nan" ? null : Number(value)),
    };
  }
  return out;
}

const READERS = {
  calibration: async () => {
    const tool = document.getElementById("calibration-tool");
    const problems = Array.from(document.querySelectorAll("#cal-problems li"))
      .map((li) => ({ kind: li.getAttribute("data-kind"), text: li.textContent }));
    const results = document.getElementById("cal-results");
    // The report's two tables (agreement and drift; kappa), merged by item in the first table's order.
    const rows = Array.from(document.querySelectorAll("#cal-table tbody tr")).map((tr) => ({
      item: tr.getAttribute("data-item"), label: tr.querySelector("th").textContent, stats: readNumbers(tr),
    }));
    const kappaRows = Array.from(document.querySelectorAll("#cal-kappa tbody tr"));
    for (const row of rows) {
      const tr = kappaRows.find((k) => k.getAttribute("data-item") === row.item);
      Object.assign(row.stats, tr ? readNumbers(tr) : {});
    }
    const kappaItems = kappaRows.map((tr) => tr.getAttribute("data-item"));
    const svg = document.querySelector("#cal-chart svg");
    const axis = svg ? svg.querySelector("line.axis") : null;
    const bars = svg ? Array.from(svg.querySelectorAll("rect[data-item]")).map((rect) => ({
      item: rect.getAttribute("data-item"), value: Number(rect.getAttribute("data-value")),
      x: Number(rect.getAttribute("x")), width: Number(rect.getAttribute("width")),
      cls: rect.getAttribute("class"),
      label: (svg.querySelector(`text[data-item="${CSS.escape(rect.getAttribute("data-item"))}"]`) || {}).textContent || null,
    })) : [];
    const pairs = Array.from(document.querySelectorAll("#cal-pairs td[data-master]")).map((td) => ({
      master: Number(td.getAttribute("data-master")), trainee: Number(td.getAttribute("data-trainee")),
      count: Number(td.textContent),
    }));
    let download = null;
    const link = document.getElementById("cal-download");
    if (link && !link.hidden && link.href.startsWith("blob:")) {
      download = { name: link.download, text: await (await fetch(link.href)).text() };
    }
    return {
      state: tool.getAttribute("data-state"), status: document.getElementById("cal-status").textContent,
      problems, resultsShown: !results.hidden, rows, bars, zeroX: axis ? Number(axis.getAttribute("x1")) : null,
      chartName: svg ? [svg.querySelector("title").textContent, svg.querySelector("desc").textContent] : null,
      pairs, download, kappaItems,
    };
  },
  planning: async () => {
    const form = document.getElementById("planning-check");
    const items = {};
    for (const tr of document.querySelectorAll("#plan-items tbody tr")) {
      items[tr.getAttribute("data-item")] = readNumbers(tr);
    }
    const steps = Array.from(document.querySelectorAll("#plan-steps li")).map((li) => ({
      rank: Number(li.getAttribute("data-rank")), item: li.getAttribute("data-item"), ...readNumbers(li),
    }));
    return {
      state: form.getAttribute("data-state"), status: document.getElementById("plan-status").textContent,
      problems: Array.from(document.querySelectorAll("#plan-problems li"))
        .map((li) => ({ kind: li.getAttribute("data-kind"), text: li.textContent })),
      resultsShown: !document.getElementById("plan-results").hidden, items, steps,
      noSteps: Boolean(document.querySelector('#plan-results [data-stat="no-steps"]')),
    };
  },
  batch: async () => {
    const box = document.getElementById("planning-batch");
    const rows = Array.from(document.querySelectorAll("#plan-batch-table tbody tr")).map((tr) => {
      const items = {};
      for (const td of tr.querySelectorAll("td[data-item]")) { items[td.getAttribute("data-item")] = readNumbers(td); }
      // The conversation's next steps, listed under the table.
      const list = document.querySelector(`.plan-batch-steps[data-row="${tr.getAttribute("data-row")}"]`);
      const steps = list ? Array.from(list.querySelectorAll("li[data-rank]")).map((li) => ({
        rank: Number(li.getAttribute("data-rank")), item: li.getAttribute("data-item"), ...readNumbers(li),
      })) : [];
      return { conversation: tr.querySelector('[data-stat="conversation"]').textContent, items, steps,
        noSteps: Boolean(list && list.querySelector('[data-stat="no-steps"]')) };
    });
    return {
      state: box.getAttribute("data-state"), status: document.getElementById("plan-batch-status").textContent,
      problems: Array.from(document.querySelectorAll("#plan-batch-problems li"))
        .map((li) => ({ kind: li.getAttribute("data-kind"), text: li.textContent })),
      resultsShown: !document.getElementById("plan-batch-results").hidden, rows,
    };
  },
  // CoachbookTools.fixed / .signed on the given values: [[value, digits], ...]
  format: async (values) => values.map(([value, digits]) => [window.CoachbookTools.fixed(value, digits),
    window.CoachbookTools.signed(value, digits)]),
  examples: async () => ({
    textareas: Object.fromEntries(Array.from(document.querySelectorAll("textarea")).map((t) => [t.id, t.value])),
    codeBlocks: Array.from(document.querySelectorAll("div.highlight-text pre, div.highlight pre")).map((pre) => pre.textContent),
    downloads: Array.from(document.querySelectorAll("a.download, a[href*='_downloads/']")).map((a) => a.getAttribute("href")),
  }),
};

async function axeRun(tab, allowlist) {
  await tab.addScriptTag({ content: AXE_SOURCE });
  return tab.evaluate(async (allow) => {
    const found = await window.axe.run(document, { resultTypes: ["violations"], preload: false });
    const allowed = (rule, target) => {
      const element = target.length === 1 ? document.querySelector(target[0]) : null;
      const entry = allow.find((a) => a.rule === rule && element && element.matches(a.selector));
      return entry ? entry.selector : null;
    };
    return found.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target, impact: n.impact, html: n.html, allowlisted: allowed(v.id, n.target) })),
    }));
  }, allowlist || []);
}

async function runScenario(context, scenario) {
  const result = { id: scenario.id, page: scenario.page, requests: [], external: [], console: [], pageErrors: [],
    output: null, axe: null, error: null };
  const tab = await context.newPage();
  tab.on("request", (request) => { result.requests.push(request.url()); });
  tab.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") {
      result.console.push({ type: message.type(), text: message.text() });
    }
  });
  tab.on("pageerror", (error) => { result.pageErrors.push(String((error && error.stack) || error)); });
  await keepOffline(tab, rootUrl, result.external);
  try {
    await tab.goto(pathToFileURL(join(root, `${scenario.page}.html`)).href, { waitUntil: "load" });
    for (const step of scenario.steps || []) {
      const run = step.waitFor ? await tab.getAttribute(step.waitFor, "data-run") : null;
      const target = tab.locator(step.selector);
      if (step.action === "upload") { await target.setInputFiles(step.file); }
      else if (step.action === "fill") { await target.fill(step.value); }
      else if (step.action === "check") { await target.check(); }
      else if (step.action === "select") { await target.selectOption(step.value); }
      else if (step.action === "click") { await target.click(); }
      else { throw new Error(`unknown step ${JSON.stringify(step)}`); }
      if (step.waitFor) {
        await tab.waitForFunction(([selector, before]) =>
          document.querySelector(selector).getAttribute("data-run") !== before, [step.waitFor, run], { timeout: WAIT_MS });
      }
    }
    result.output = await tab.evaluate(
      `(async () => { ${readNumbers.toString()}\n return await (${READERS[scenario.read].toString()})(${JSON.stringify(scenario.args || null)}); })()`);
    if (scenario.screenshot) { await tab.screenshot({ path: scenario.screenshot, fullPage: true }); }
    if (scenario.axe) { result.axe = await axeRun(tab, config.axeAllowlist); }
  } catch (error) {
    result.error = String((error && error.stack) || error);
  } finally {
    await tab.close();
  }
  return result;
}

const results = [];
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: false });
  for (const scenario of config.scenarios) { results.push(await runScenario(context, scenario)); }
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify({ root: rootUrl, results }));
