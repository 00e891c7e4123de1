"""The package's four layers, and the direction of their imports.

``coachbook`` has four layers (CONTRIBUTING.md, "The package"):

- ``coachbook.estimators``: the statistics; imports no other layer;
- ``coachbook.book``: glue for the pages; imports only ``estimators``;
- ``coachbook.studies``: one home per paper; imports ``estimators`` and ``book``;
- ``coachbook.synth``: the generators; may import every layer, and nothing but
  ``synth`` itself (and the tests) imports it.

Every module under ``coachbook/`` is parsed with :mod:`ast` (imports inside
functions count, relative imports are resolved), and so is every code cell of
every chapter notebook, which may not import the generators either. No module
is longer than :data:`MAX_LINES` lines.
"""
import ast
import json

import pytest
from conftest import ROOT

PACKAGE = ROOT / "coachbook"
LAYERS = ("estimators", "book", "studies", "synth")
#: What each layer may import from coachbook (besides itself).
ALLOWED = {
    "estimators": set(),
    "book": {"estimators"},
    "studies": {"estimators", "book"},
    "synth": {"estimators", "book", "studies"},
    "": set(),                       # coachbook/__init__.py: a docstring and the version
}
MAX_LINES = 400
#: Modules allowed to be longer, with the reason (at most 450 lines). None is needed today.
LONG_MODULES: dict[str, str] = {}
#: chapters/appendices/synthetic-data.ipynb documents the generators: it prints their
#: docstrings and codebook and regenerates a file with another seed.
GENERATOR_PAGES = {"synthetic-data"}
MODULES = sorted(PACKAGE.rglob("*.py"))
NOTEBOOKS = sorted((ROOT / "chapters").rglob("*.ipynb"))


def _dotted(path):
    """``coachbook/estimators/ols.py`` -> ``coachbook.estimators.ols`` (a package: its name)."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imported_modules(tree, module="", is_package=False):
    """Every module an ``import`` or ``from ... import`` names in ``tree`` (inside functions too),
    relative imports resolved against ``module``; ``from coachbook import x`` counts as
    ``coachbook.x``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base if is_package else base[:-1]
                base = base[:len(base) - (node.level - 1)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append(name)
            found += [f"{name}.{alias.name}" for alias in node.names if alias.name != "*"]
    return found


def layer_of(name):
    """The layer a dotted name belongs to: ``"estimators"`` ..., ``""`` for coachbook itself,
    ``None`` for anything outside the package."""
    parts = name.split(".")
    if parts[0] != "coachbook":
        return None
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else ""


def violations(tree, module, is_package=False):
    """The imports of ``module`` that point the wrong way."""
    own = layer_of(module)
    bad = []
    for name in imported_modules(tree, module, is_package):
        target = layer_of(name)
        if target is None or target == own or (target == "" and name.count(".") == 0):
            continue
        if target == "" or target not in ALLOWED[own]:
            bad.append(f"{module} ({own or 'coachbook'}) imports {name}")
    return sorted(set(bad))


def _parse_cell(source):
    """A notebook cell as IPython runs it (magics at any indentation become calls)."""
    from IPython.core.inputtransformer2 import TransformerManager

    return ast.parse(TransformerManager().transform_cell(source))


def notebook_synth_imports(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    found = []
    for number, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        tree = _parse_cell("".join(cell["source"]))
        found += [f"cell {number}: {name}" for name in imported_modules(tree)
                  if layer_of(name) == "synth"]
    return found


def test_modules_are_found():
    assert len(MODULES) > 40
    assert {layer_of(_dotted(path)) for path in MODULES} == {"", *LAYERS}


@pytest.mark.parametrize("layer", LAYERS)
def test_imports_point_one_way(layer):
    bad = []
    for path in MODULES:
        module = _dotted(path)
        if layer_of(module) == layer:
            bad += violations(ast.parse(path.read_text(encoding="utf-8")), module, path.name == "__init__.py")
    allowed = ", ".join(sorted(ALLOWED[layer])) or "no other layer"
    assert not bad, f"coachbook.{layer} may import {allowed}:\n" + "\n".join(bad)


def test_the_package_root_imports_no_layer():
    path = PACKAGE / "__init__.py"
    assert not violations(ast.parse(path.read_text(encoding="utf-8")), "coachbook", True)


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.stem not in GENERATOR_PAGES],
                         ids=lambda p: p.stem)
def test_chapters_do_not_import_the_generators(path):
    found = notebook_synth_imports(path)
    assert not found, (f"{path.relative_to(ROOT)} imports coachbook.synth; chapters use the bundled "
                       "data, coachbook.estimators and coachbook.studies:\n" + "\n".join(found))


def test_modules_are_short():
    for name, reason in LONG_MODULES.items():
        assert (ROOT / name).is_file() and len(reason.strip()) > 10, f"{name}: a module and a reason"
    offenders = []
    for path in MODULES:
        name = str(path.relative_to(ROOT))
        lines = len(path.read_text(encoding="utf-8").splitlines())
        limit = 450 if name in LONG_MODULES else MAX_LINES
        if lines > limit:
            offenders.append(f"{name}: {lines} lines (limit {limit})")
    assert not offenders, ("modules over the limit; split them by topic (one home per method):\n"
                           + "\n".join(offenders))


def test_checks_catch_offenders():
    """The checks see imports inside functions, relative imports and the ``from coachbook import``
    form, and accept what each layer may use."""
    def check(source, module, is_package=False):
        return violations(ast.parse(source), module, is_package)

    assert check("from coachbook.studies import kraft_hill", "coachbook.estimators.rct")
    assert check("def f():\n    from coachbook.book import data", "coachbook.estimators.rct")
    assert check("from ..synth import tn", "coachbook.book.data")
    assert check("from coachbook import synth", "coachbook.studies.russell")
    assert check("import coachbook.synth.tn", "coachbook.book.charts")
    assert check("from .. import published", "coachbook.synth.mqi")          # the old flat module
    assert check("from coachbook.studies import kraft_hill", "coachbook.book.compare")
    assert check("from . import estimators", "coachbook", is_package=True)
    assert not check("from coachbook.estimators import ols\nfrom . import _validate",
                     "coachbook.estimators.rct")
    assert not check("from coachbook.book import published", "coachbook.studies.kraft_hill.steps")
    assert not check("from coachbook.studies.kraft_hill import tables\nfrom . import FileSpec",
                     "coachbook.synth.mqi", is_package=False)
    assert not check("from .variables import PAPER", "coachbook.studies.kraft_hill", is_package=True)
    tree = _parse_cell("%matplotlib inline\nfrom coachbook.synth import tn\nimport coachbook.synth.mqi_roster")
    assert [layer_of(n) for n in imported_modules(tree)].count("synth") == 3
