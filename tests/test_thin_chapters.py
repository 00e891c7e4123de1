"""Chapters stay thin: methods live in the package, chapters call them.

No chapter notebook defines a function (``def``, or a ``lambda`` bound to a
name), no code cell runs over 25 lines unless it teaches a computation by
hand (tagged ``teaches-by-hand``), and no chapter imports the synthetic-data
generators of ``coachbook.synth`` (their outputs are the bundled data files;
the estimators the chapters need are in ``coachbook.estimators`` and
``coachbook.studies``). The appendix on the synthetic data documents the
generators, so it may import them.

Every notebook's first cell, the hidden install cell
(``coachbook.book.notebooks.install_cell_source``, tagged ``remove-cell``), is setup
under the same rules: short, no definitions, its ``%pip`` read as IPython reads it.
"""
import ast
import json

import pytest
from IPython.core.inputtransformer2 import TransformerManager

from coachbook.book.notebooks import install_cell_source
from conftest import ROOT

MAX_LINES = 25
BY_HAND = "teaches-by-hand"
GENERATOR_PAGES = {"synthetic-data"}   # chapters/appendices/synthetic-data.ipynb documents coachbook.synth
NOTEBOOKS = sorted((ROOT / "chapters").rglob("*.ipynb"))


def _code_cells(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for number, cell in enumerate(cells):
        if cell["cell_type"] == "code":
            source = "".join(cell["source"])
            yield number, source, cell.get("metadata", {}).get("tags", [])


def _parse(source):
    """The cell as Python, as IPython runs it: magics and shell lines (``%pip``, ``!ls``, at
    any indentation, as in the install cell) become calls of ``get_ipython()``."""
    return ast.parse(TransformerManager().transform_cell(source))


def _definitions(tree):
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.append(f"def {node.name} (line {node.lineno})")
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) and isinstance(node.value, ast.Lambda):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = ", ".join(ast.unparse(t) for t in targets)
            found.append(f"{names} = lambda (line {node.lineno})")
    return found


def _synth_imports(tree):
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name == "coachbook.synth" or a.name.startswith("coachbook.synth.")]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "coachbook.synth" or node.module.startswith("coachbook.synth."):
                found.append(node.module)
            elif node.module == "coachbook" and any(a.name == "synth" for a in node.names):
                found.append("coachbook.synth")
    return found


def _where(path, number):
    return f"{path.relative_to(ROOT)} cell {number}"


def test_notebooks_are_found():
    assert len(NOTEBOOKS) >= 15


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_function_definitions(path):
    offenders = [f"{_where(path, n)}: {d}" for n, src, _ in _code_cells(path) for d in _definitions(_parse(src))]
    assert not offenders, ("chapters define no functions; move these to coachbook.book or coachbook.studies:\n"
                           + "\n".join(offenders))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_code_cells_are_short(path):
    offenders = [f"{_where(path, n)}: {len(src.splitlines())} lines"
                 for n, src, tags in _code_cells(path)
                 if len(src.splitlines()) > MAX_LINES and BY_HAND not in tags]
    assert not offenders, (f"code cells over {MAX_LINES} lines: split them, move the code to the package, "
                           f"or tag a cell that computes a method step by step '{BY_HAND}':\n"
                           + "\n".join(offenders))


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.stem not in GENERATOR_PAGES], ids=lambda p: p.stem)
def test_no_synth_imports(path):
    offenders = [f"{_where(path, n)}: imports {m}" for n, src, _ in _code_cells(path) for m in _synth_imports(_parse(src))]
    assert not offenders, ("chapters use the bundled data and coachbook.estimators / coachbook.studies, not the "
                           "generators:\n" + "\n".join(offenders))


def test_install_cell_keeps_the_rules():
    tree = _parse(install_cell_source())
    assert not _definitions(tree) and not _synth_imports(tree)
    assert len(install_cell_source().splitlines()) <= MAX_LINES
    assert "run_line_magic" in ast.unparse(tree), "the indented %pip was not read as a magic"


def test_checks_catch_offenders():
    tree = _parse("f = lambda x: x\ndef g():\n    pass\nd.assign(a=lambda d: d)\nfrom coachbook.synth import tn\n")
    assert len(_definitions(tree)) == 2
    assert _synth_imports(tree) == ["coachbook.synth"]
