"""Every chapter follows the book's template, and its prose is the authors' own."""
import json
import re
import subprocess
import sys

import pytest
from coachbook.book import notebooks
from conftest import ROOT


def _toc_files():
    return notebooks.toc_pages()[1:]


CHAPTER_NOTEBOOKS = [ROOT / f"{f}.ipynb" for f in _toc_files() if (ROOT / f"{f}.ipynb").exists()]
SOURCES = ROOT.parent / "shared" / "sources"
CHECK_COPYING = ROOT.parent / "shared" / "tools" / "check_copying.py"


def _markdown(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def test_every_toc_entry_exists():
    for entry in _toc_files():
        assert any((ROOT / f"{entry}{suffix}").exists() for suffix in (".ipynb", ".md")), entry


@pytest.mark.parametrize("path", CHAPTER_NOTEBOOKS, ids=lambda p: p.stem)
def test_chapter_has_objectives_takeaways_and_exercises_with_solutions(path):
    text = _markdown(path)
    if path.parent.name == "appendices":
        pytest.skip("appendices are reference pages")
    assert "Learning objectives" in text, f"{path.name}: no learning objectives"
    assert "Key takeaways" in text, f"{path.name}: no key takeaways"
    exercises = re.findall(r"```\{exercise\}[^\n]*\n:label:\s*(\S+)", text)
    solutions = set(re.findall(r"```\{solution(?:-start)?\}\s*(\S+)", text))
    assert len(exercises) >= 2, f"{path.name}: {len(exercises)} exercise(s), the template asks for at least two"
    missing = [label for label in exercises if label not in solutions]
    assert not missing, f"{path.name}: exercises without a worked solution: {missing}"


@pytest.mark.parametrize("path", CHAPTER_NOTEBOOKS, ids=lambda p: p.stem)
def test_chapter_cites_its_sources(path):
    if path.parent.name == "appendices":
        pytest.skip("appendices are reference pages")
    assert re.search(r"\{cite:[pt]\}", _markdown(path)), f"{path.name} cites nothing"


def test_no_prose_repeats_the_sources():
    """The shared copying check: no run of 12+ words shared with ../shared/sources (quotations allowed)."""
    if not CHECK_COPYING.exists():
        pytest.skip("../shared/tools/check_copying.py is not beside this checkout")
    result = subprocess.run([sys.executable, str(CHECK_COPYING), "chapters", "intro.md"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-1000:]
