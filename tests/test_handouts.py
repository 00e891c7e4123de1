"""The course kit's facilitator guides and handouts (chapters/05-course-kits/).

Without a browser: every session guide has the parts a facilitator needs (objectives, before the
session, materials, timing, discussion prompts, where it draws on the book) and links its handout;
its timing adds up to its length, which is the session's length in the course plan of
chapters/04-synthesis/for-coach-trainers.ipynb and in the overview's table.

In a browser: tests/browser/handouts.mjs prints each handout of the built book (print media,
``page.emulateMedia``) on US Letter and A4 with 15 mm margins (``page.pdf``) and counts the pages,
which must be at most two; it lists every element wider than the printable width, or whose content
overflows its box, which must be none; and it saves a print-media screenshot of each handout,
``<test output>/screenshots/handout-session-NN-print.png``. The pass runs in the background as
soon as the suite's one build exists (``BOOK_STEPS``, tests/conftest.py), after the page pass of
tests/test_browser.py, which empties the screenshots folder when it starts.
"""
from __future__ import annotations

import ast
import json
import re
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest

from conftest import OUTPUT_DIR, ROOT, book_work
from conftest import run as run_process
from test_browser import BROWSER_DIR, browser_tools

KIT = ROOT / "chapters" / "05-course-kits"
SESSIONS = list(range(1, 9))
SCREENSHOTS = OUTPUT_DIR / "screenshots"
PAPERS = [{"format": "Letter", "widthMm": 215.9}, {"format": "A4", "widthMm": 210.0}]
MAX_PAGES = 2
PARTS = ["## Before the session", "## Materials", "## Timing", "## Discussion prompts",
         "## Where it draws on the book"]


def guide(n: int) -> str:
    return (KIT / "sessions" / f"session-{n:02d}.md").read_text(encoding="utf-8")


def course_plan() -> dict[int, int]:
    """Session -> minutes, from the plan table of the for-coach-trainers chapter (a code cell)."""
    nb = nbformat.read(ROOT / "chapters" / "04-synthesis" / "for-coach-trainers.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and 'columns=["session", "chapter", "activity", "minutes"]'
                in c.source)
    plan = {}
    for node in ast.walk(ast.parse(cell.source)):
        if isinstance(node, ast.Tuple) and len(node.elts) == 4 and isinstance(node.elts[0], ast.Constant):
            plan[node.elts[0].value] = node.elts[3].value
    return plan


def timing(text: str) -> tuple[list[int], int]:
    """The minutes of every segment of a guide's timing table, and its total row."""
    section = text.split("## Timing", 1)[1].split("\n## ", 1)[0]
    minutes, total = [], None
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not re.fullmatch(r"\**\d+\**", cells[1]):
            continue
        if cells[0].strip("*") == "Total":
            total = int(cells[1].strip("*"))
        else:
            minutes.append(int(cells[1]))
    return minutes, total


def test_plan_has_eight_sessions():
    assert sorted(course_plan()) == SESSIONS


@pytest.mark.parametrize("n", SESSIONS)
def test_guide_timing_adds_up_to_the_session_length(n):
    text = guide(n)
    minutes, total = timing(text)
    length = int(re.search(r"^\*(\d+) minutes\.\*", text, re.M).group(1))
    assert len(minutes) >= 4, f"session {n}: fewer than four timed segments"
    assert sum(minutes) == total == length == course_plan()[n], (n, minutes, total, length, course_plan()[n])


@pytest.mark.parametrize("n", SESSIONS)
def test_guide_has_every_part_and_links_its_handout(n):
    text = guide(n)
    assert ":::{admonition} Objectives" in text
    missing = [part for part in PARTS if part not in text]
    assert not missing, f"session {n} lacks {missing}"
    assert f"{{doc}}`../handouts/session-{n:02d}`" in text
    prompts = text.split("## Discussion prompts", 1)[1].split("\n## ", 1)[0]
    assert len(re.findall(r"^\d+\. ", prompts, re.M)) >= 3
    assert "{doc}`../../" in text.split("## Where it draws on the book", 1)[1]


def test_overview_table_matches_the_plan():
    text = (KIT / "facilitator-guide.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d) \| [^|]+ \| (\d+) \|", text, re.M)
    assert {int(s): int(m) for s, m in rows} == course_plan()


@pytest.mark.parametrize("n", SESSIONS)
def test_handout_is_a_handout(n):
    text = (KIT / "handouts" / f"session-{n:02d}.md").read_text(encoding="utf-8")
    assert "::::{container} cb-handout" in text and text.rstrip().endswith("::::")
    assert f"<../sessions/session-{n:02d}>`" in text


def test_print_rules_are_in_the_book_stylesheet():
    css = (ROOT / "coachbook" / "static" / "coachbook.css").read_text(encoding="utf-8")
    block = css.split("/* handouts: print */", 1)
    assert len(block) == 2 and "@media print" in block[1] and ".cb-handout" in block[1]


# --- In the browser ---------------------------------------------------------------------------------

def run_handouts_pass(html: Path) -> dict:
    """Print every handout of the built book with tests/browser/handouts.mjs; the report by id."""
    chromium, node = browser_tools(("playwright-core",))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    handouts = [{"id": f"session-{n:02d}", "page": f"chapters/05-course-kits/handouts/session-{n:02d}"}
                for n in SESSIONS]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"root": str(html), "chromium": chromium, "screenshots": str(SCREENSHOTS), "margin": "15mm",
                   "papers": PAPERS, "handouts": handouts}, handle)
    try:
        run = run_process([node, str(BROWSER_DIR / "handouts.mjs"), handle.name], cwd=BROWSER_DIR, timeout=600)
    finally:
        Path(handle.name).unlink()
    if run.returncode != 0:
        pytest.fail(f"tests/browser/handouts.mjs failed (exit {run.returncode}):\n{run.stderr[-4000:]}")
    report = json.loads(run.stdout)
    return {"root": report["root"], **{result["id"]: result for result in report["results"]}}


#: after the page pass, which empties the screenshots folder when it starts
run_handouts_pass.after = ("browser_report",)
BOOK_STEPS = {"handouts_report": run_handouts_pass}


@pytest.fixture(scope="module")
def handouts_report(built_book: Path) -> dict:
    return book_work("handouts_report", lambda: run_handouts_pass(built_book))


def printed(report: dict, n: int) -> dict:
    result = report[f"session-{n:02d}"]
    assert result["error"] is None, f"handout {n}: the browser run stopped:\n{result['error']}"
    return result


@pytest.mark.parametrize("n", SESSIONS)
def test_handout_prints_on_at_most_two_pages(handouts_report, n):
    result = printed(handouts_report, n)
    assert set(result["pages"]) == {p["format"] for p in PAPERS}
    for paper, pages in result["pages"].items():
        assert 1 <= pages <= MAX_PAGES, f"handout {n} prints on {pages} pages of {paper}"


@pytest.mark.parametrize("n", SESSIONS)
def test_handout_prints_without_clipping(handouts_report, n):
    result = printed(handouts_report, n)
    layout = result["layout"]
    assert layout["handout"] is not None, f"handout {n}: no .cb-handout on the page"
    assert layout["width"] <= result["printableWidth"]
    assert not layout["navigationShown"], f"handout {n}: the theme's navigation prints"
    assert layout["clipped"] == [], f"handout {n}: cut off in print:\n" + "\n".join(map(str, layout["clipped"]))


@pytest.mark.parametrize("n", SESSIONS)
def test_handout_has_a_print_screenshot(handouts_report, n):
    result = printed(handouts_report, n)
    path = Path(result["screenshot"])
    assert path == SCREENSHOTS / f"handout-session-{n:02d}-print.png"
    assert path.is_file() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("n", SESSIONS)
def test_handout_requests_nothing_outside_the_book(handouts_report, n):
    result = printed(handouts_report, n)
    assert result["external"] == [] and result["pageErrors"] == [], (result["external"], result["pageErrors"])
