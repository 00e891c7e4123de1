"""The student edition (``make student``): the whole book, exercises included, no solutions.

``make student`` is run once per test session, in the background after the full build
(``BOOK_STEPS``, see tests/conftest.py), into ``<test output>/student``. The checks compare
its pages with the full build's: every solution the full book shows (sphinx-exercise's
``{solution}`` and the gated ``{solution-start}`` ... ``{solution-end}`` with its code
cells) is absent, by its markup and by its text, and every exercise is still there.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from coachbook.book import student_edition
from conftest import OUTPUT_DIR, ROOT, book_work, build_problems
from conftest import run as run_process

STUDENT_DIR = OUTPUT_DIR / "student"


def run_student_build(built_book: Path) -> Path:
    """``make student`` into a fresh :data:`STUDENT_DIR` (as the full build, so a stale page
    can never hide a warning); returns its HTML folder."""
    shutil.rmtree(STUDENT_DIR, ignore_errors=True)
    result = run_process(["make", "--no-print-directory", "student", f"STUDENT_OUTPUT={STUDENT_DIR}"], cwd=ROOT)
    STUDENT_DIR.mkdir(parents=True, exist_ok=True)
    (STUDENT_DIR / "build.log").write_text(result.stdout + result.stderr, encoding="utf-8")
    if result.returncode != 0:
        pytest.fail("make student failed (warnings are errors):\n" + build_problems(result.stdout + result.stderr))
    return STUDENT_DIR / "html"


BOOK_STEPS = {"student_book": run_student_build}


@pytest.fixture(scope="module")
def student_book(built_book) -> Path:
    return book_work("student_book", lambda: run_student_build(built_book))


def _soup(path: Path):
    from bs4 import BeautifulSoup

    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def _text(element) -> str:
    return re.sub(r"\s+", " ", element.get_text(" ", strip=True))


def _squashed(text: str) -> str:
    """Text without whitespace: code is split into highlighted spans, so the page's text
    and a line of code differ in their spaces, never in their other characters."""
    return re.sub(r"\s+", "", text)


def _pages(html: Path) -> dict[str, Path]:
    return {path.relative_to(html).as_posix(): path for path in sorted(html.rglob("*.html"))
            if not path.name.startswith(("genindex", "search"))}


def _snippets(solution) -> list[str]:
    """Pieces of a solution's text that only it contains: its longest sentence of prose
    and the first long line of each of its code cells."""
    body = solution.find(class_="solution-content") or solution.find(id="solution-content") or solution
    pieces = []
    for code in body.select("div.cell_input pre, div.highlight pre"):
        lines = [line.strip() for line in code.get_text().splitlines() if len(line.strip()) >= 25]
        pieces += lines[:1]
    for code in body.select("div.cell_input, div.cell_output, div.highlight, table"):
        code.decompose()
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s", _text(body)) if len(s.split()) >= 8]
    return pieces + sorted(sentences, key=len)[-1:]


@pytest.fixture(scope="module")
def full_solutions(built_book) -> dict[str, list[list[str]]]:
    """Page -> the snippets of each solution on it, from the full build."""
    found = {}
    for name, path in _pages(built_book).items():
        solutions = _soup(path).select("div.solution")
        if solutions:
            found[name] = [_snippets(solution) for solution in solutions]
    return found


def test_the_full_book_has_solutions_to_look_for(full_solutions):
    """The checks below would pass on a book without solutions: make sure it has them."""
    assert sum(map(len, full_solutions.values())) >= 60
    assert all(snippets for page in full_solutions.values() for snippets in page), \
        "a solution has no text long enough to look for"


def test_student_edition_shows_no_solution(student_book, full_solutions):
    leaks = []
    for name, path in _pages(student_book).items():
        html = path.read_text(encoding="utf-8")
        if re.search(r'class="solution[ "]', html) or "Solution to" in html:
            leaks.append(f"{name}: solution markup")
        text = _squashed(_text(_soup(path)))
        for snippets in full_solutions.get(name, []):
            leaks += [f"{name}: {snippet[:80]!r}" for snippet in snippets if _squashed(snippet) in text]
    assert not leaks, "solution text in the student edition:\n" + "\n".join(leaks[:30])


def test_the_solution_text_checked_is_in_the_full_book(built_book, full_solutions):
    """Each snippet looked for in the student edition is found on the full page (so the
    search above is able to see a leak)."""
    missing = []
    for name, page in full_solutions.items():
        text = _squashed(_text(_soup(built_book / name)))
        missing += [f"{name}: {snippet[:80]!r}" for snippets in page for snippet in snippets
                    if _squashed(snippet) not in text]
    assert not missing, "\n".join(missing[:20])


def test_student_edition_keeps_every_exercise_and_page(built_book, student_book):
    full, student = _pages(built_book), _pages(student_book)
    assert set(full) == set(student), "pages differ between the editions"
    for name, path in full.items():
        ids = [div.get("id") for div in _soup(path).select("div.exercise")]
        assert [div.get("id") for div in _soup(student[name]).select("div.exercise")] == ids, name
    assert sum(len(_soup(path).select("div.exercise")) for path in student.values()) >= 60


def test_student_config_only_adds_hide_solutions():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    student = student_edition.student_config(config)
    assert student["sphinx"]["config"].pop("hide_solutions") is True
    assert student == config


def test_student_config_needs_the_extension():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    config["sphinx"]["extra_extensions"] = ["sphinx_exercise"]
    with pytest.raises(ValueError, match="coachbook.book.student_edition"):
        student_edition.student_config(config)
    with pytest.raises(ValueError, match="as a dict"):
        student_edition.student_config(["not", "a", "config"])
    with pytest.raises(ValueError, match="must be mappings"):
        student_edition.student_config({"sphinx": ["x"]})


def test_write_student_config_refuses_a_missing_file(tmp_path):
    with pytest.raises(ValueError, match="no book configuration"):
        student_edition.write_student_config(tmp_path / "missing.yml", tmp_path / "out.yml")
