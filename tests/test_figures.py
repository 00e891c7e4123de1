"""Numbered figures (issue 13): every chart a chapter glues is shown as a numbered, captioned
``{glue:figure}`` that the prose cites with ``{numref}``, and the built page numbers it.

A chart shown only as a bare cell output, or glued and never placed, has no number an
instructor can cite ("Figure 11.2"); a figure without a caption has no words for a reader of
the static page or a screen reader; a figure the text never cites is one the reader may skip.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "chapters").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
RECORD = "application/papermill.record/"
FIGURE = re.compile(r"```\{glue:figure\}\s*(\S+)\s*\n((?::[\w-]+:[^\n]*\n)*)(.*?)```", re.S)


def _source(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def glued_charts(path: Path) -> set[str]:
    """Names of the glue records of ``path`` that hold a chart (coachbook.book.charts)."""
    names = set()
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            html = data.get(RECORD + "text/html", "")
            html = "".join(html) if isinstance(html, list) else html
            if 'class="coachbook-chart"' in html:
                names.add(output["metadata"]["scrapbook"]["name"])
    return names


def figures(path: Path) -> list[dict]:
    """Each ``{glue:figure}`` of the notebook's markdown: its glue name, options and caption."""
    found = []
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        for match in FIGURE.finditer(_source(cell)):
            options = dict(re.findall(r":([\w-]+):\s*(.*)", match.group(2)))
            found.append({"glue": match.group(1), "options": options, "caption": match.group(3).strip()})
    return found


def prose(path: Path) -> str:
    return "\n".join(_source(c) for c in json.loads(path.read_text(encoding="utf-8"))["cells"]
                     if c["cell_type"] == "markdown")


CHART_NOTEBOOKS = [p for p in NOTEBOOKS if glued_charts(p)]


def test_the_book_has_numbered_charts():
    assert sum(len(glued_charts(p)) for p in NOTEBOOKS) >= 30


@pytest.mark.parametrize("path", CHART_NOTEBOOKS, ids=lambda p: p.stem)
def test_every_glued_chart_is_a_captioned_figure_cited_from_the_prose(path):
    shown = {figure["glue"]: figure for figure in figures(path)}
    text = prose(path)
    unplaced = sorted(glued_charts(path) - set(shown))
    assert not unplaced, f"{path.name}: charts glued but never placed in a {{glue:figure}}: {unplaced}"
    for name, figure in shown.items():
        label = figure["options"].get("name")
        assert label, f"{path.name}: {{glue:figure}} {name} has no :name: to cite it by"
        assert len(figure["caption"].split()) >= 6, f"{path.name}: {{glue:figure}} {name} has no caption"
        assert re.search(r"\{numref\}`(?:[^`<]*<)?%s>?`" % re.escape(label), text), (
            f"{path.name}: figure {label} is never cited with {{numref}}")


def test_a_figure_without_caption_or_citation_is_caught(tmp_path):
    cell = {"cell_type": "markdown", "metadata": {},
            "source": "Look at the chart.\n\n```{glue:figure} orphan\n:name: fig-orphan\n\n```\n"}
    notebook = tmp_path / "chapter.ipynb"
    notebook.write_text(json.dumps({"cells": [cell]}), encoding="utf-8")
    (figure,) = figures(notebook)
    assert figure["options"] == {"name": "fig-orphan"} and figure["caption"] == ""
    assert "{numref}`fig-orphan`" not in prose(notebook)


def test_every_chart_on_a_built_page_is_numbered(built_book: Path):
    """Each chart on a built chapter page is followed by a "Figure N.M" caption before the
    next chart begins (a {glue:figure} puts the chart first, then its numbered caption)."""
    charts = 0
    for page in built_book.joinpath("chapters").rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        starts = [m.start() for m in re.finditer(r'<figure class="coachbook-chart"', text)]
        captions = [m.start() for m in re.finditer(r'<span class="caption-number">Figure \d+\.\d+', text)]
        for here, following in zip(starts, [*starts[1:], len(text)]):
            assert any(here < at < following for at in captions), (
                f"{page.relative_to(built_book)}: a chart without a figure number")
            charts += 1
    assert charts >= 30, f"only {charts} numbered charts found in the built book"
