"""The built book in a real browser, offline: every page of the table of contents.

tests/browser/check_pages.mjs opens each page of the ``built_book`` build in
headless Chromium (Debian's ``chromium``; Playwright's ``playwright-core``
drives it, no browser download) with every request outside the build folder
blocked and recorded, and reports what these tests assert on, per page:

- no request leaves the built site (MathJax, the chart libraries and the theme
  are all served from ``_static``);
- no console error and no uncaught exception;
- every chart (``figure.coachbook-chart``) upgrades to the interactive
  vega-embed SVG, with marks drawn;
- every equation is typeset by the local MathJax;
- axe-core (pinned in tests/browser/package.json) finds no "serious" or
  "critical" accessibility violation, except the allowlisted ones below;
- the page's own weight stays under 1.5 MB, and no page's HTML is over 400 kB;
- at 1280 px and at 400 px, no table, figure or code block is wider than the
  content column unless it sits in a sideways scroll region with a visible cue
  (class ``cb-scroll``), and every chart's legend lies inside its figure;
  :func:`test_layout_check_fails_on_a_table_wider_than_the_column` shows on a
  synthetic page that this check can fail.

Element screenshots (:data:`ELEMENT_SHOTS`) of the comparison table, the
synthesis forest plot and the calibration chart are saved at both widths.

A full-page screenshot of each page is saved under ``_build/screenshots/`` and
the whole report under ``_build/browser-report.json``. One browser checks the
pages, a few at a time (one tab per core, :data:`BROWSER_TABS`).

Needs Chromium (``apt-get install chromium``), Node.js 20+ and
``npm ci --prefix tests/browser`` (``make test`` runs it; .ci/run installs
Chromium). Without them the tests skip, saying what is missing; with
``CI`` set they fail instead, so CI never passes without running them.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from coachbook.book import notebooks
from conftest import OUTPUT_DIR, ROOT, book_work
from conftest import run as run_process

BROWSER_DIR = ROOT / "tests" / "browser"
SCREENSHOTS = OUTPUT_DIR / "screenshots"
REPORT = OUTPUT_DIR / "browser-report.json"
MAX_PAGE_BYTES = 1_500_000
MAX_HTML_BYTES = 400_000
LAYOUT_WIDTHS = ("1280", "400")
# Elements photographed at both widths (SCREENSHOTS/<name>-<width>.png): the comparison
# table the issue names, the synthesis forest plot and the trainer's calibration chart.
ELEMENT_SHOTS = [
    {"page": "chapters/02-rct/student-outcomes", "name": "student-outcomes-table-7",
     "selector": "section#table-7 table"},
    {"page": "chapters/04-synthesis/what-the-evidence-says", "name": "forest-plot",
     "selector": 'figure.coachbook-chart[aria-label^="MQI trial: effects on instruction"]'},
    {"page": "chapters/04-synthesis/for-coach-trainers", "name": "calibration-chart",
     "selector": 'figure.coachbook-chart[aria-label^="Where the (simulated) trainee"]'},
]
MIN_SHOT_BYTES = 5_000
BROWSER_TABS = max(1, min(4, len(os.sched_getaffinity(0))))
# Built pages that are not chapters of the book: Sphinx's index and search pages, and
# jupyter-book's index.html, a one-line redirect to the root page.
NOT_BOOK_PAGES = {"genindex", "search", "index"}
# Files every page shares; they are not part of one page's own weight.
SHARED_PREFIXES = ("_static/", "searchindex.js")

# axe-core findings that come from the theme's own templates and that the book
# cannot fix from its side; each entry is one rule on the elements one CSS selector
# matches. Anything else "serious" or "critical" fails. Revisit on a theme upgrade:
# test_axe_allowlist_is_still_needed fails once an entry matches nothing.
AXE_ALLOWLIST = [
    # pydata-sphinx-theme 0.17.1, search-button-field.html: the button is named
    # aria-label="Search" and also shows the keyboard hint "Ctrl+K". The visible
    # label "Search" is in the name (WCAG 2.5.3 holds); axe counts the hint as label text.
    {"rule": "label-content-name-mismatch", "selector": "button.search-button__button"},
    # pydata-sphinx-theme 0.17.1, theme-switcher.html: an icon-only button named
    # aria-label="Color mode" whose Font Awesome icons carry titles ("Light", "Dark"),
    # which axe reads as visible text. Changing it means replacing the theme's template.
    {"rule": "label-content-name-mismatch", "selector": "button.theme-switch-button"},
]


def _toc_pages() -> list[str]:
    """Every page of _toc.yml, in reading order, as Sphinx docnames."""
    return notebooks.toc_pages()


PAGES = _toc_pages()


def _missing(message: str):
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run in CI: {message}")
    pytest.skip(message)


def _chromium() -> str | None:
    for candidate in (os.environ.get("COACHBOOK_CHROMIUM"), shutil.which("chromium"),
                      shutil.which("chromium-browser"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def browser_tools(packages=("playwright-core", "axe-core")) -> tuple[str, str]:
    """Chromium and Node.js, with the npm ``packages`` the browser scripts import; the
    browser tests skip (or fail, see :func:`_missing`) saying what to install when one lacks."""
    chromium = _chromium()
    if chromium is None:
        _missing("Chromium is not installed: `apt-get install chromium` (Debian), then run `make test`")
    node = shutil.which("node")
    if node is None:
        _missing("Node.js (20 or newer) is not installed; the browser tests drive Chromium from Node")
    for package in packages:
        if not (BROWSER_DIR / "node_modules" / package / "package.json").is_file():
            _missing(f"{package} is not installed: run `npm ci --prefix tests/browser` (`make test` does)")
    return chromium, node


def run_browser_pass(built_book: Path) -> dict:
    """Run tests/browser/check_pages.mjs over the built book; the report, by page."""
    chromium, node = browser_tools()

    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    report = run_checker({
        "root": str(built_book),
        "pages": PAGES,
        "screenshots": str(SCREENSHOTS),
        "chromium": chromium,
        "axeAllowlist": AXE_ALLOWLIST,
        "elementShots": ELEMENT_SHOTS,
        # Pages checked at the same time, one tab each: the pass is CPU-bound (layout,
        # axe-core, full-page screenshots), so one tab per core.
        "concurrency": BROWSER_TABS,
    })
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=1), encoding="utf-8")
    return {result["page"]: result for result in report["results"]}


def run_checker(config: dict) -> dict:
    """tests/browser/check_pages.mjs on ``config`` (see that file); its whole report."""
    node = shutil.which("node")
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(config, handle)
    try:
        run = run_process([node, str(BROWSER_DIR / "check_pages.mjs"), handle.name],
                          cwd=BROWSER_DIR, timeout=60 + 30 * len(config["pages"]))
    finally:
        os.unlink(handle.name)
    if run.returncode != 0:
        pytest.fail(f"tests/browser/check_pages.mjs failed (exit {run.returncode}):\n{run.stderr[-4000:]}")
    return json.loads(run.stdout)


# The browser pass runs in the background as soon as the book is built (tests/conftest.py,
# BookWork), while the rest of the suite runs; the tests below wait for its report.
BOOK_STEPS = {"browser_report": run_browser_pass}


@pytest.fixture(scope="module")
def browser_report(built_book: Path) -> dict:
    return book_work("browser_report", lambda: run_browser_pass(built_book))


@pytest.fixture
def page_result(browser_report: dict, request) -> dict:
    result = browser_report[request.param]
    assert result["error"] is None, f"{request.param}: the browser check stopped:\n{result['error']}"
    return result


def _per_page(test):
    return pytest.mark.parametrize("page_result", PAGES, ids=PAGES, indirect=True)(test)


def test_every_built_page_is_checked(built_book: Path):
    built = {
        path.relative_to(built_book).with_suffix("").as_posix()
        for path in built_book.rglob("*.html")
        if path.relative_to(built_book).parts[0] not in {"_static", "_sources", "_images"}
    }
    assert built - NOT_BOOK_PAGES == set(PAGES), {
        "built but not in _toc.yml": sorted(built - NOT_BOOK_PAGES - set(PAGES)),
        "in _toc.yml but not built": sorted(set(PAGES) - built),
    }


@_per_page
def test_page_makes_no_request_outside_the_book(page_result):
    assert page_result["external"] == [], (
        f"{page_result['page']} asked for {len(page_result['external'])} address(es) outside the built "
        "book (all blocked); serve them from _static instead:\n" + "\n".join(page_result["external"])
    )
    screenshot = Path(page_result["screenshot"])
    assert screenshot.is_file() and screenshot.stat().st_size > 0


@_per_page
def test_page_logs_no_console_error(page_result):
    blocked = set(page_result["external"])  # reported by the test above
    errors = [f"console.error: {m['text']} ({m['url']})" for m in page_result["console"]
              if m["type"] == "error" and m["url"] not in blocked]
    errors += [f"uncaught: {error}" for error in page_result["pageErrors"]]
    assert not errors, f"{page_result['page']}:\n" + "\n".join(errors)


@_per_page
def test_every_chart_renders_interactively(page_result, built_book: Path):
    html = (built_book / f"{page_result['page']}.html").read_text(encoding="utf-8")
    assert len(page_result["charts"]) == html.count('<figure class="coachbook-chart"')
    broken = [chart for chart in page_result["charts"]
              if not (chart["live"] and chart["marks"] > 0 and chart["width"] > 0 and chart["height"] > 0)]
    assert not broken, (
        f"{page_result['page']}: charts that did not render as interactive SVG with marks "
        f"(is _static/coachbook-vega-bundle.js served?):\n{json.dumps(broken, indent=1)}"
    )


@_per_page
def test_math_is_typeset_by_the_local_mathjax(page_result):
    math = page_result["math"]
    if math["count"] == 0:
        return
    assert math["loaded"] and math["ready"], f"{page_result['page']}: MathJax did not load or start: {math}"
    assert math["rendered"] >= math["count"] and not math["errors"], f"{page_result['page']}: {math}"


@_per_page
def test_no_serious_accessibility_violation(page_result):
    found = [
        f"{violation['id']} ({node['impact'] or violation['impact']}): {node['target']}\n"
        f"    {violation['help']}\n    {node['summary']}\n    {node['html']}"
        for violation in page_result["axe"]
        for node in violation["nodes"]
        if (node["impact"] or violation["impact"]) in {"serious", "critical"} and not node["allowlisted"]
    ]
    assert not found, f"{page_result['page']}: axe-core violations:\n" + "\n".join(found)


def test_axe_allowlist_is_still_needed(browser_report: dict):
    used = {
        (violation["id"], node["allowlisted"])
        for result in browser_report.values()
        for violation in result["axe"]
        for node in violation["nodes"]
        if node["allowlisted"]
    }
    unused = [entry for entry in AXE_ALLOWLIST if (entry["rule"], entry["selector"]) not in used]
    assert not unused, f"allowlisted axe findings that no longer occur; remove them: {unused}"


def page_weight(built_book: Path, page: str, loaded: list[str]) -> dict[str, int]:
    """Bytes of the page's own files: its HTML and what it loads that other pages don't share."""
    html_path = built_book / f"{page}.html"
    files = {html_path.resolve()}
    root_url = built_book.resolve().as_uri().rstrip("/") + "/"
    for url in loaded:
        if url.startswith(root_url):
            files.add((built_book / unquote(urlsplit(url[len(root_url):]).path)).resolve())
    # Files the page refers to but the browser may load only when scrolled to (lazy images).
    for ref in re.findall(r'\ssrc="([^"#?:]+)', html_path.read_text(encoding="utf-8")):
        files.add((html_path.parent / unquote(ref)).resolve())
    root = built_book.resolve()
    own = {}
    for path in files:
        relative = path.relative_to(root).as_posix()
        if path.is_file() and not relative.startswith(SHARED_PREFIXES):
            own[relative] = path.stat().st_size
    return own


@_per_page
def test_page_weight_is_under_limit(page_result, built_book: Path):
    own = page_weight(built_book, page_result["page"], page_result["loaded"])
    total = sum(own.values())
    assert total < MAX_PAGE_BYTES, (
        f"{page_result['page']} weighs {total:,} bytes (limit {MAX_PAGE_BYTES:,}): "
        + ", ".join(f"{name} {size:,}" for name, size in sorted(own.items(), key=lambda item: -item[1]))
    )


@pytest.mark.parametrize("page", PAGES)
def test_page_html_is_under_400_kb(page, built_book: Path):
    size = (built_book / f"{page}.html").stat().st_size
    assert size <= MAX_HTML_BYTES, (
        f"{page}.html is {size:,} bytes (limit {MAX_HTML_BYTES:,}); a chart's static SVG "
        "belongs in _images (coachbook.book.sphinx_ext), and chart data should hold only the columns it uses"
    )


def layout_failures(result: dict) -> dict[str, list[str]]:
    """By width: what is wider than the content column and not in a scroll region with a cue."""
    failures = {}
    for width in LAYOUT_WIDTHS:
        layout = result["layout"].get(width)
        if layout is None:
            failures[width] = [f"not measured: {result['layout'].get('error', 'no layout at this width')}"]
            continue
        failures[width] = [
            f"{item['element']} is {item['width']} px wide in a {item['column']} px column"
            + (" (scrolls, but with no visible cue: class cb-scroll)" if item["scrolls"] else " (overflows)")
            for item in layout["overflow"] if not (item["scrolls"] and item["cue"])
        ]
    return failures


def legend_failures(result: dict) -> dict[str, list[str]]:
    """By width: the charts with a legend (or part of one) outside their figure."""
    return {
        width: [f"{chart['label']!r}: {chart['outside']} of {chart['legends']} legend(s) outside its "
                f"{chart['width']} px figure" for chart in result["layout"].get(width, {}).get("legends", [])
                if chart["outside"]]
        for width in LAYOUT_WIDTHS
    }


def _layout_message(page: str, failures: dict[str, list[str]]) -> str:
    return "\n".join(f"{page} at {width} px: {line}" for width, lines in failures.items() for line in lines)


@_per_page
def test_nothing_is_wider_than_the_column(page_result):
    failures = layout_failures(page_result)
    assert not any(failures.values()), _layout_message(page_result["page"], failures)


@_per_page
def test_every_chart_legend_lies_inside_its_figure(page_result):
    failures = legend_failures(page_result)
    assert not any(failures.values()), _layout_message(page_result["page"], failures)


WIDE_TABLE_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>A wide table</title>
{styles}</head>
<body><main><article class="bd-article" style="max-width: 688px">
<h1>A wide table</h1>
<table id="wide" style="width: 1000px"><tr>{cells}</tr></table>
<div class="cb-scroll" style="overflow-x: auto"><table id="scrolls" style="width: 1000px"><tr>{cells}</tr></table></div>
<table id="narrow" style="width: 300px"><tr><td>fits</td></tr></table>
</article></main></body></html>
"""


def test_layout_check_fails_on_a_table_wider_than_the_column(built_book: Path, tmp_path: Path):
    """The layout check can fail: a 1,000-px table in a page with the book's CSS is reported."""
    chromium = _chromium()
    if chromium is None or shutil.which("node") is None:
        _missing("Chromium and Node.js are needed for the layout check")
    styles = []
    for css in sorted((built_book / "_static").rglob("*.css")):
        if "coachbook" in css.name or css.parent.name == "styles":
            shutil.copy(css, tmp_path / css.name)
            styles.append(f'<link rel="stylesheet" href="{css.name}">')
    assert any("coachbook.css" in link for link in styles)
    page = WIDE_TABLE_PAGE.format(styles="\n".join(styles),
                                  cells="".join(f"<td>column {i}</td>" for i in range(12)))
    (tmp_path / "wide.html").write_text(page, encoding="utf-8")
    report = run_checker({"root": str(tmp_path), "pages": ["wide"], "screenshots": str(tmp_path / "shots"),
                          "chromium": chromium, "axeAllowlist": []})
    result = report["results"][0]
    assert result["error"] is None, result["error"]
    failures = layout_failures(result)
    message = _layout_message("wide", failures)
    (OUTPUT_DIR / "layout-check-wide-table.txt").write_text(message + "\n", encoding="utf-8")
    for width in LAYOUT_WIDTHS:
        assert [line for line in failures[width] if line.startswith("table#wide")], message
        assert "1000 px wide" in message
        # The same table in a scroll region with the cue passes; a narrow one is not reported.
        assert not [line for line in failures[width] if "#scrolls" in line or "#narrow" in line], message


def test_element_screenshots_are_saved_at_both_widths(browser_report: dict):
    missing = []
    for shot in ELEMENT_SHOTS:
        taken = {item["width"]: item for item in browser_report[shot["page"]]["shots"] if item["name"] == shot["name"]}
        for width in LAYOUT_WIDTHS:
            item = taken.get(int(width))
            path = Path(item["file"]) if item and item["file"] else None
            if path is None or not path.is_file() or path.stat().st_size < MIN_SHOT_BYTES:
                missing.append(f"{shot['name']} at {width} px: {item}")
            else:
                assert path.parent == SCREENSHOTS
    assert not missing, "element screenshots missing or empty:\n" + "\n".join(missing)
