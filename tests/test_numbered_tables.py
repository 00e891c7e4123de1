"""The {numbered-table} directive: a glued table gets a Sphinx number, a caption and a numref target."""
from __future__ import annotations

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from coachbook.book.replication import replication_table


def _glued(name: str, table) -> dict:
    prefix = "application/papermill.record/"
    return nbformat.v4.new_output("display_data", data={
        prefix + "text/html": table._repr_html_(), prefix + "text/plain": repr(table)},
        metadata={"scrapbook": {"mime_prefix": prefix, "name": name}})


def _book(tmp_path, caption: str = "Published and replicated counts.") -> None:
    frame = pd.DataFrame({"row": ["Teachers", "Coaches"], "column": ["N", "N"],
                          "published": [142.0, 19.0], "replicated": [142.0, 18.0],
                          "origin": ["built in", "emergent"]})
    frame["gap"] = frame["replicated"] - frame["published"]
    cell = new_code_cell("replication_table(frame).glue('counts')", outputs=[_glued("counts", replication_table(frame))])
    notebook = new_notebook(cells=[
        new_markdown_cell("# Chapter\n\nAs {numref}`tbl-counts` shows."), cell,
        new_markdown_cell(f"```{{numbered-table}} counts\n:name: tbl-counts\n\n{caption}\n```")])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, tmp_path / "chapter.ipynb")
    (tmp_path / "conf.py").write_text(
        "extensions = ['myst_nb', 'coachbook.book.sphinx_tables']\nnumfig = True\n"
        "nb_execution_mode = 'off'\nroot_doc = 'chapter'\nexclude_patterns = ['_build']\n")


def _build(tmp_path, builder: str = "html"):
    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace
    out = tmp_path / "_build" / builder
    with docutils_namespace():      # each build registers its nodes afresh
        app = Sphinx(str(tmp_path), str(tmp_path), str(out), str(tmp_path / "_build" / "doctrees"),
                     builder, status=None, warning=None, warningiserror=True, freshenv=True)
        app.build()
    return out


def test_a_glued_table_is_numbered_captioned_and_referenced(tmp_path):
    _book(tmp_path)
    page = (_build(tmp_path) / "chapter.html").read_text()
    assert '<div class="cb-numbered-table" id="tbl-counts">' in page
    assert '<span class="caption-number">Table 1 </span>' in page
    assert "Published and replicated counts." in page
    assert 'href="#tbl-counts"' in page and "Table 1</span>" in page      # the numref
    assert page.index("caption-number") < page.index('class="cb-replication ')  # caption above
    assert ">built in</span>" in page                                       # the glued table itself


def test_latex_numbers_the_table_too(tmp_path):
    _book(tmp_path)
    tex = next((_build(tmp_path, "latex")).glob("*.tex")).read_text()
    assert "\\captionof{table}{Published and replicated counts.}\\label{\\detokenize{chapter:tbl-counts}}" in tex
    assert "\\ref{\\detokenize{chapter:tbl-counts}}" in tex


def test_a_numbered_table_needs_a_caption(tmp_path):
    from sphinx.errors import SphinxWarning
    _book(tmp_path, caption="")
    with pytest.raises(SphinxWarning, match="needs a caption"):
        _build(tmp_path)


def test_glue_needs_a_name():
    frame = pd.DataFrame({"row": ["a"], "column": ["N"], "published": [1.0], "replicated": [1.0], "gap": [0.0]})
    with pytest.raises(ValueError, match="non-empty name"):
        replication_table(frame).glue(" ")
