"""Colab and Binder: a notebook runs where the book's package is not installed.

- Every chapter notebook starts with the same hidden cell, whose one text is
  ``coachbook.book.notebooks.install_cell_source()``: where ``coachbook`` imports it
  does nothing; where it does not (Colab), it pip-installs the package from the
  repository that ``_config.yml`` names, or from ``COACHBOOK_INSTALL_FROM``.
- **A fresh virtual environment without coachbook runs a chapter** from that first
  cell (``fresh_run``): ``python -m venv`` with the third-party packages of this
  environment on its path through a ``.pth`` file (nothing is downloaded:
  ``PIP_NO_INDEX``), ``coachbook`` not importable there; then
  ``chapters/02-rct/costs.ipynb`` executed in that environment's kernel with
  ``COACHBOOK_INSTALL_FROM`` set to this checkout. The first cell builds a wheel of
  the checkout and installs it (non-editable, as pip from git does), and the wheel
  carries the data (setup.py), so every cell runs with no ``data/`` folder around.
  It runs in the background from the start of the session (tests/conftest.py,
  ``EARLY_STEPS``); about 16 s on the 2-core machine.
- The editable install of ``make venv`` still reads the checkout's ``data/``.
- Binder: ``environment.yml`` and ``postBuild`` at the top of the repository
  (``postBuild`` installs the package).
"""
from __future__ import annotations

import json
import os
import shutil
import stat
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
import yaml

from coachbook.book import data, notebooks
from conftest import ROOT, book_work, run

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
NOTEBOOK = ROOT / "chapters" / "02-rct" / "costs.ipynb"
KERNEL = "coachbook-fresh-venv"
SITE = f"lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages"


# --- The install cell: one text, first in every chapter notebook ---------------------------

@pytest.mark.parametrize("path", notebooks.chapter_notebooks(), ids=lambda p: p.name)
def test_every_chapter_notebook_starts_with_the_install_cell(path):
    first = nbformat.read(path, as_version=4).cells[0]
    fix = f"run: .venv/bin/python -m coachbook.book.notebooks install-cell {path.relative_to(ROOT)}"
    assert notebooks.is_install_cell(first), f"{path.name} does not start with the install cell; {fix}"
    assert first.source == notebooks.install_cell_source(), f"{path.name}: the install cell is out of date; {fix}"
    assert first.metadata["tags"] == list(notebooks.INSTALL_TAGS)
    assert first.outputs == [], f"{path.name}: the install cell printed something where coachbook is installed"


def test_install_cell_names_the_configured_repository_and_branch():
    repository = CONFIG["repository"]
    source = notebooks.install_cell_source()
    assert f'"coachbook @ git+{repository["url"].rstrip("/")}@{repository.get("branch", "main")}"' in source
    assert f'os.environ.get("{notebooks.INSTALL_FROM_VARIABLE}")' in source
    assert source.splitlines()[2:5] == ["try:", "    import coachbook", "except ModuleNotFoundError:"]


def _run_cell(monkeypatch, importable: bool):
    """The install cell as IPython runs it, with ``%pip`` recorded instead of run."""
    from IPython.core.inputtransformer2 import TransformerManager

    calls = []

    class Shell:
        def run_line_magic(self, name, line):
            calls.append((name, line))

    if not importable:
        monkeypatch.setitem(sys.modules, "coachbook", None)   # `import coachbook` raises ModuleNotFoundError
    namespace = {"get_ipython": Shell}
    exec(TransformerManager().transform_cell(notebooks.install_cell_source()), namespace)
    return calls, namespace


def test_install_cell_does_nothing_where_coachbook_is_installed(monkeypatch, capsys):
    calls, namespace = _run_cell(monkeypatch, importable=True)
    assert calls == [] and "source" not in namespace
    assert capsys.readouterr() == ("", "")


def test_install_cell_installs_from_git_or_from_the_variable(monkeypatch):
    repository = CONFIG["repository"]
    monkeypatch.delenv(notebooks.INSTALL_FROM_VARIABLE, raising=False)
    calls, namespace = _run_cell(monkeypatch, importable=False)
    assert calls == [("pip", 'install --quiet "{source}" myst-nb')]
    assert namespace["source"] == f"coachbook @ git+{repository['url'].rstrip('/')}@{repository.get('branch', 'main')}"
    monkeypatch.setenv(notebooks.INSTALL_FROM_VARIABLE, "/somewhere/coaching-math-teachers")
    calls, namespace = _run_cell(monkeypatch, importable=False)
    assert len(calls) == 1 and namespace["source"] == "/somewhere/coaching-math-teachers"


def _tiny(counts=(1, 2)):
    nb = nbformat.v4.new_notebook()
    nb.nbformat_minor = 4
    nb.cells = [nbformat.v4.new_markdown_cell("# Title")]
    for count in counts:
        cell = nbformat.v4.new_code_cell("1 + 1", execution_count=count)
        cell.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "2"}, execution_count=count)]
        nb.cells.append(cell)
    for cell in nb.cells:
        cell.pop("id", None)
    return nb


def test_inserting_the_install_cell_numbers_cells_as_a_re_execution_would():
    nb = notebooks.with_install_cell(_tiny())
    assert notebooks.is_install_cell(nb.cells[0]) and nb.cells[0].execution_count == 1
    assert "id" not in nb.cells[0]   # nbformat 4.4 notebooks have no cell ids
    assert [c.execution_count for c in nb.cells[2:]] == [2, 3]
    assert [c.outputs[0].execution_count for c in nb.cells[2:]] == [2, 3]
    nbformat.validate(nb)
    again = notebooks.with_install_cell(nbformat.from_dict(json.loads(json.dumps(nb))))
    assert again == nb, "a second insertion changed the notebook"


def test_a_stale_install_cell_is_updated_in_place():
    nb = notebooks.with_install_cell(_tiny(), source="old text")
    nb = notebooks.with_install_cell(nb)
    assert nb.cells[0].source == notebooks.install_cell_source()
    assert len(nb.cells) == 4 and [c.execution_count for c in nb.cells[2:]] == [2, 3]


def test_install_cell_bad_inputs_are_value_errors(tmp_path):
    nb = notebooks.with_install_cell(_tiny())
    nb.cells.append(nb.cells.pop(0))
    with pytest.raises(ValueError, match="must be the notebook's first cell"):
        notebooks.with_install_cell(nb)
    with pytest.raises(ValueError, match="expected a notebook"):
        notebooks.with_install_cell("not a notebook")
    with pytest.raises(ValueError, match="not a notebook file"):
        notebooks.add_install_cell(tmp_path / "missing.ipynb")
    with pytest.raises(ValueError, match="no book configuration"):
        notebooks.install_cell_source(tmp_path / "_config.yml")
    (tmp_path / "_config.yml").write_text("repository:\n  url: http://example.org/x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="https:// address"):
        notebooks.install_cell_source(tmp_path / "_config.yml")


def test_a_drafted_notebook_starts_with_the_install_cell():
    nb = notebooks.from_percent_script("# %% [markdown]\n# # Title\n# %%\nx = 1\n")
    assert notebooks.is_install_cell(nb.cells[0]) and nb.cells[1].source == "# Title"


# --- Where the data are found: checkout, wheel, download -----------------------------------

def test_without_a_checkout_the_wheels_copy_of_the_data_is_read(tmp_path, monkeypatch):
    monkeypatch.delenv("COACHBOOK_DATA", raising=False)
    monkeypatch.setattr(data, "_REPOSITORY_ROOT", tmp_path / "site-packages")   # no data/ beside the package
    packaged = tmp_path / "site-packages" / "coachbook" / "_data"
    monkeypatch.setattr(data, "PACKAGED_DATA", packaged)
    assert data._bundled_dir() is None, "no copy: the loader downloads"
    shutil.copytree(ROOT / "data" / "published", packaged / "published")
    assert data.data_dir() == packaged
    assert "published/russell_2020" in data.available()
    assert data.path("published/russell_2020") == packaged / "published" / "russell_2020.csv"


# --- A fresh virtual environment runs a chapter from its first cell ------------------------

@dataclass
class FreshRun:
    """What :func:`run_in_fresh_venv` saw."""
    before: str = ""                 # stderr of `import coachbook` before the notebook ran
    before_returncode: int | None = None
    dependencies_before: int | None = None   # return code of importing the dependencies there
    code_cells: int = 0
    executed: int = 0
    error: str = ""
    install_output: str = ""
    inspected: dict = field(default_factory=dict)   # sys.prefix, coachbook.__file__, data_dir() in the kernel
    direct_url: dict = field(default_factory=dict)
    packaged_data: list[str] = field(default_factory=list)
    cache_files: list[str] = field(default_factory=list)
    prefix: str = ""
    seconds: float = 0.0
    kernel_seconds: float = 0.0     # the notebook in the kernel, from its start
    install_seconds: float = 0.0    # the first cell: build the wheel, install it


_RUNNER = r"""
import json, sys, time
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
path, kernel = sys.argv[1], sys.argv[2]
nb = nbformat.read(path, as_version=4)
code = [n for n, c in enumerate(nb.cells) if c.cell_type == "code"]
nb.cells.append(nbformat.v4.new_code_cell(
    "import json as _j, sys as _s, coachbook as _c, coachbook.book.data as _d\n"
    "print(_j.dumps({'prefix': _s.prefix, 'file': _c.__file__, 'data_dir': str(_d.data_dir())}))"))
report = {"code_cells": len(code), "executed": 0, "error": ""}
start = time.perf_counter()
client = NotebookClient(nb, timeout=600, kernel_name=kernel, record_timing=True,
                        resources={"metadata": {"path": "."}})
try:
    client.execute()
except CellExecutionError as error:
    report["error"] = f"{error.ename}: {error.evalue}"
report["kernel_seconds"] = time.perf_counter() - start
report["executed"] = sum(nb.cells[n].get("execution_count") is not None for n in code)
first = nb.cells[code[0]]
report["install_output"] = "".join(o.get("text", "") for o in first.outputs)
timing = first.metadata.get("execution", {})
if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
    from datetime import datetime
    seconds = [datetime.fromisoformat(timing[k].replace("Z", "+00:00")) for k in ("iopub.execute_input", "shell.execute_reply")]
    report["install_seconds"] = (seconds[1] - seconds[0]).total_seconds()
last = nb.cells[-1].outputs
report["inspected"] = json.loads(last[0]["text"]) if last and last[0].get("name") == "stdout" else {}
print(json.dumps(report))
"""


def _fresh_venv(folder: Path) -> Path:
    """A new virtual environment whose third-party packages are this one's (a .pth file),
    without coachbook (the .pth files of this environment, the editable install's among
    them, are not processed there) and without downloading anything."""
    run([sys.executable, "-m", "venv", "--without-pip", str(folder)], timeout=120).check_returncode()
    (folder / SITE / "_coachbook_test_dependencies.pth").write_text(str(Path(sys.prefix) / SITE) + "\n", encoding="utf-8")
    return folder / "bin" / "python"


def _environment(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in {"PYTHONPATH", "VIRTUAL_ENV", "COACHBOOK_DATA", "COACHBOOK_DATA_URL", "JUPYTER_PATH"}}
    # pip reads the variable of a `--no-...` flag as the value of the option it negates:
    # PIP_NO_BUILD_ISOLATION=0 turns build isolation off (setuptools comes from the .pth path).
    env.update(PIP_NO_INDEX="1", PIP_NO_BUILD_ISOLATION="0", PIP_DISABLE_PIP_VERSION_CHECK="1",
               PIP_NO_INPUT="1", **extra)
    return env


def run_in_fresh_venv(root: Path = ROOT) -> FreshRun:
    start = time.perf_counter()
    result = FreshRun()
    folder = Path(tempfile.mkdtemp(prefix="coachbook-fresh-venv-"))
    try:
        python = _fresh_venv(folder / "env")
        result.prefix = str(folder / "env")
        env = _environment(COACHBOOK_INSTALL_FROM=str(root), COACHBOOK_CACHE=str(folder / "cache"),
                           JUPYTER_PATH=str(folder / "share" / "jupyter"))
        work = folder / "work"
        work.mkdir()
        before = run([str(python), "-c", "import coachbook"], timeout=60, cwd=work, env=env)
        result.before, result.before_returncode = before.stderr, before.returncode
        result.dependencies_before = run(
            [str(python), "-c", "import pandas, pip, setuptools"],
            timeout=120, cwd=work, env=env).returncode
        spec = folder / "share" / "jupyter" / "kernels" / KERNEL
        spec.mkdir(parents=True)
        (spec / "kernel.json").write_text(json.dumps({
            "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "fresh venv without coachbook", "language": "python"}), encoding="utf-8")
        shutil.copyfile(root / NOTEBOOK.relative_to(ROOT), work / NOTEBOOK.name)
        executed = run([sys.executable, "-c", _RUNNER, NOTEBOOK.name, KERNEL], timeout=900, cwd=work, env=env)
        if executed.returncode != 0:
            result.error = f"the runner failed ({executed.returncode}):\n{executed.stderr[-3000:]}"
        else:
            report = json.loads(executed.stdout.strip().splitlines()[-1])
            for name in ("code_cells", "executed", "error", "install_output", "inspected", "kernel_seconds",
                         "install_seconds"):
                setattr(result, name, report.get(name, getattr(result, name)))
        site = folder / "env" / SITE
        for direct_url in site.glob("coachbook-*.dist-info/direct_url.json"):
            result.direct_url = json.loads(direct_url.read_text(encoding="utf-8"))
        packaged = site / "coachbook" / "_data"
        result.packaged_data = sorted(p.relative_to(packaged).as_posix() for p in packaged.rglob("*") if p.is_file())
        cache = folder / "cache"
        result.cache_files = sorted(p.name for p in cache.rglob("*") if p.is_file()) if cache.is_dir() else []
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result.seconds = time.perf_counter() - start
    return result


def run_editable_install(root: Path = ROOT) -> dict:
    """``pip install -e`` of the checkout, as ``make venv`` does, in a fresh environment."""
    folder = Path(tempfile.mkdtemp(prefix="coachbook-editable-"))
    try:
        python = _fresh_venv(folder / "env")
        env = _environment()
        installed = run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "-e", str(root)],
                        timeout=300, cwd=folder, env=env)
        if installed.returncode != 0:
            return {"error": installed.stdout + installed.stderr}
        shown = run([str(python), "-c", "import json, coachbook, coachbook.book.data as d; "
                     "print(json.dumps({'file': coachbook.__file__, 'data_dir': str(d.data_dir()), "
                     "'packaged': d.PACKAGED_DATA.is_dir()}))"], timeout=120, cwd=folder, env=env)
        return json.loads(shown.stdout) if shown.returncode == 0 else {"error": shown.stderr}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# Run in the background from the end of collection (tests/conftest.py, EarlyWork).
EARLY_STEPS = {"fresh_run": run_in_fresh_venv, "editable_install": run_editable_install}


@pytest.fixture(scope="module")
def fresh_run() -> FreshRun:
    return book_work("fresh_run", run_in_fresh_venv)


@pytest.fixture(scope="module")
def editable_install() -> dict:
    return book_work("editable_install", run_editable_install)


def test_the_fresh_venv_had_the_dependencies_but_not_coachbook(fresh_run):
    assert fresh_run.before_returncode != 0 and "ModuleNotFoundError: No module named 'coachbook'" in fresh_run.before, (
        f"coachbook was importable in the fresh environment before the notebook ran:\n{fresh_run.before}")
    assert fresh_run.dependencies_before == 0, "the fresh environment does not see this one's packages"


def test_the_first_cell_installed_coachbook_from_the_checkout_as_a_wheel(fresh_run):
    assert fresh_run.direct_url, f"no coachbook was installed in the fresh environment: {fresh_run.error}"
    assert fresh_run.direct_url["url"] == ROOT.as_uri(), fresh_run.direct_url
    assert not fresh_run.direct_url.get("dir_info", {}).get("editable"), "installed editable, not as a wheel"
    assert "restart the kernel" in fresh_run.install_output   # %pip ran in the first cell
    inspected = fresh_run.inspected
    assert inspected, f"the kernel never got to report where coachbook came from: {fresh_run.error}"
    assert inspected["prefix"] == fresh_run.prefix, "the notebook ran in another environment's kernel"
    assert Path(inspected["file"]).is_relative_to(Path(fresh_run.prefix) / SITE), inspected


def test_the_wheel_carries_the_data_and_the_loader_reads_it(fresh_run):
    expected = sorted(p.relative_to(ROOT / "data").as_posix() for p in (ROOT / "data").rglob("*") if p.is_file())
    assert fresh_run.packaged_data == expected, "the wheel's coachbook/_data is not a copy of data/"
    assert fresh_run.inspected.get("data_dir") == str(Path(fresh_run.prefix) / SITE / "coachbook" / "_data")
    assert fresh_run.cache_files == [], "the installed package downloaded data it carries"


def test_every_cell_of_the_chapter_ran_without_error(fresh_run):
    assert not fresh_run.error, f"{NOTEBOOK.relative_to(ROOT)} failed in the fresh environment: {fresh_run.error}"
    assert fresh_run.executed == fresh_run.code_cells > 1
    print(f"fresh venv: {NOTEBOOK.relative_to(ROOT)} ran from its install cell in {fresh_run.kernel_seconds:.1f} s "
          f"(the install cell {fresh_run.install_seconds:.1f} s; {fresh_run.seconds:.1f} s with making the environment)")


def test_the_editable_install_of_make_venv_reads_the_checkouts_data(editable_install):
    assert "error" not in editable_install, editable_install.get("error")
    assert Path(editable_install["file"]).resolve() == (ROOT / "coachbook" / "__init__.py").resolve()
    assert editable_install["data_dir"] == str(ROOT / "data")
    assert not editable_install["packaged"], "the editable install copied data/ into the package"


# --- Binder --------------------------------------------------------------------------------

def test_binder_builds_the_environment_and_installs_the_package():
    # repo2docker reads binder/ or .binder/ instead of the top level when either exists.
    assert not (ROOT / "binder").exists() and not (ROOT / ".binder").exists()
    environment = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert "python=3.11" in environment["dependencies"]
    post_build = ROOT / "postBuild"
    assert post_build.stat().st_mode & stat.S_IXUSR, "postBuild must be executable (git: mode 100755)"
    lines = [line.strip() for line in post_build.read_text(encoding="utf-8").splitlines()]
    assert lines[0].startswith("#!") and "set -euo pipefail" in lines
    assert "python -m pip install --no-deps ." in lines, "postBuild does not install the book's package"
