"""The reader's way in and the instructor's kit (issues 13 and 15): the chapter map on the
landing page and its reading times, exercises numbered per chapter, the data page's
downloads, and the PDF the publish workflow ships with the site."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from coachbook.book import notebooks, reading_time
from conftest import ROOT

INTRO = ROOT / "intro.md"
DATA_PAGE = ROOT / "chapters" / "05-course-kits" / "data.md"
WORKFLOW = ROOT / ".github" / "workflows" / "publish.yml"
MAP_ROW = re.compile(r"^\| \{doc\}`([^`]+)`[^|]*\| (\d+) min \| [^|]+\|$", re.M)
#: Pages the chapter map leaves to the page that introduces them.
LISTED_ELSEWHERE = ("chapters/05-course-kits/sessions/", "chapters/05-course-kits/handouts/",
                    "chapters/appendices/")


def _source(page: str) -> Path:
    return next(ROOT / f"{page}{suffix}" for suffix in (".ipynb", ".md") if (ROOT / f"{page}{suffix}").exists())


# --- The chapter map -------------------------------------------------------------------------

def test_chapter_map_lists_every_chapter_in_order_once():
    mapped = MAP_ROW.findall(INTRO.read_text(encoding="utf-8"))
    chapters = [page for page in notebooks.toc_pages()[1:] if not page.startswith(LISTED_ELSEWHERE)]
    assert [page for page, _ in mapped] == chapters, "intro.md's chapter map is not the chapters of _toc.yml in order"


def test_chapter_map_reading_times_are_the_computed_ones():
    """Each time in the map is the computed one, give or take one rounding step (a chapter
    that gains a paragraph need not change the landing page; one that grows by a tenth does)."""
    wrong = [f"{page}: the map says {minutes} min, computed {reading_time.reading_minutes(_source(page))} min"
             for page, minutes in MAP_ROW.findall(INTRO.read_text(encoding="utf-8"))
             if abs(int(minutes) - reading_time.reading_minutes(_source(page))) > reading_time.ROUND_TO]
    assert not wrong, ("update the chapter map in intro.md (`python -m coachbook.book.reading_time` "
                       "prints every page's time):\n" + "\n".join(wrong))


def _notebook(path: Path, cells: list[tuple[str, str, list[str]]]) -> Path:
    path.write_text(json.dumps({"cells": [
        {"cell_type": kind, "source": source, "metadata": {"tags": tags}, **({"outputs": []} if kind == "code" else {})}
        for kind, source, tags in cells], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}), encoding="utf-8")
    return path


def test_reading_time_counts_prose_and_visible_code(tmp_path):
    prose = " ".join(["word"] * 400)  # 2 minutes
    page = _notebook(tmp_path / "page.ipynb", [
        ("markdown", "```{exercise} A title\n:label: ex-x\n" + prose + "\n```", []),
        ("code", "\n".join(["x = 1"] * 40) + "\n\n", []),           # 4 minutes
        ("code", "\n".join(["hidden = 1"] * 500), ["hide-input"]),    # folded: not counted
    ])
    assert reading_time.count(page) == (400, 40)  # the directive lines are not prose
    assert reading_time.reading_minutes(page) == 10   # 6 minutes, rounded up to 5
    short = tmp_path / "short.md"
    short.write_text("A {term}`glossary entry <entry>` and {doc}`a link <x/y>`.", encoding="utf-8")
    assert reading_time.count(short) == (6, 0)
    assert reading_time.reading_minutes(short) == reading_time.ROUND_TO


def test_reading_time_refuses_what_is_not_a_page(tmp_path):
    with pytest.raises(ValueError, match="no page"):
        reading_time.count(tmp_path / "missing.md")
    (tmp_path / "page.txt").write_text("text", encoding="utf-8")
    with pytest.raises(ValueError, match=r"\.md or \.ipynb"):
        reading_time.reading_minutes(tmp_path / "page.txt")


# --- Exercises numbered per chapter ----------------------------------------------------------

def test_content_parts_are_numbered_and_appendices_are_not():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    for part in toc["parts"]:
        assert bool(part.get("numbered")) == (part["caption"] != "Appendices"), part["caption"]


def test_exercises_are_numbered_per_chapter(built_book):
    """Each chapter's exercises are Exercise <chapter>.1, .2, ... in order (issue 13)."""
    checked = 0
    for page in notebooks.toc_pages()[1:]:
        html = (built_book / f"{page}.html").read_text(encoding="utf-8")
        titles = re.findall(r'<div class="exercise[^"]*" id="[^"]+">\s*<p class="admonition-title">'
                            r'\s*<span class="caption-number">Exercise ([\d.]+)', html)
        if not titles:
            continue
        chapter = re.search(r"<title>(\d+)\. ", html)
        if chapter is None:  # an unnumbered page (appendix): numbered 1, 2, ... on its own
            assert titles == [str(k) for k in range(1, len(titles) + 1)], page
        else:
            assert titles == [f"{chapter.group(1)}.{k}" for k in range(1, len(titles) + 1)], page
        checked += len(titles)
    assert checked >= 60, f"only {checked} numbered exercises found: has sphinx-exercise's markup changed?"


# --- The data page ---------------------------------------------------------------------------

def test_data_page_offers_every_bundled_file():
    text = DATA_PAGE.read_text(encoding="utf-8")
    offered = set(re.findall(r"\{download\}`[^`<]*<\.\./\.\./(data/[^>]+)>`", text))
    bundled = {path.relative_to(ROOT).as_posix() for path in (ROOT / "data").rglob("*") if path.is_file()}
    assert offered == bundled, f"missing from the data page: {sorted(bundled - offered)}; " \
                               f"not in data/: {sorted(offered - bundled)}"


def test_data_page_downloads_resolve_in_the_build(built_book):
    """Every download link of the built data page points at a copy of a bundled file, and
    together they cover every file."""
    import hashlib

    page = built_book / "chapters" / "05-course-kits" / "data.html"
    links = set(re.findall(r'href="([^"]*_downloads/[^"]+)"', page.read_text(encoding="utf-8")))
    digest = lambda path: hashlib.sha256(path.read_bytes()).hexdigest()  # noqa: E731
    bundled = {digest(path): path for path in (ROOT / "data").rglob("*") if path.is_file()}
    found = set()
    for link in links:
        target = (page.parent / link).resolve()
        assert target.is_file(), f"{link} is not in the built book"
        assert digest(target) in bundled, f"{link} is not a copy of a file in data/"
        found.add(digest(target))
    assert found == set(bundled), "some bundled files have no working download link"


# --- The PDF, shipped with the site ----------------------------------------------------------

def test_publish_workflow_ships_the_pdf_the_landing_page_links():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    pdf = Path(config["latex"]["latex_documents"]["targetname"]).with_suffix(".pdf").name
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    commands = [step.get("run", "") for step in workflow["jobs"]["build"]["steps"]]
    pdf_step = next(index for index, command in enumerate(commands) if "make pdf" in command)
    assert pdf_step > next(index for index, command in enumerate(commands) if command.strip() == "make book")
    assert "latexmk" in "\n".join(commands[:pdf_step]) and "texlive-xetex" in "\n".join(commands[:pdf_step])
    assert re.search(rf"cp \S+/{re.escape(pdf)} _build/html/{re.escape(pdf)}", commands[pdf_step])
    upload = next(step for step in workflow["jobs"]["build"]["steps"]
                  if step.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "_build/html"
    assert f'<a href="{pdf}">' in INTRO.read_text(encoding="utf-8"), "intro.md does not link the PDF"


def test_landing_page_links_the_pdf_beside_index(built_book):
    assert 'href="coaching-math-teachers.pdf"' in (built_book / "intro.html").read_text(encoding="utf-8")
