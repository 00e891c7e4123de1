"""Execute the book's notebooks in place, reproducibly.

``python -m coachbook.book.notebooks execute [paths...]`` re-runs every chapter
notebook (or the ones named) and saves it with its outputs. Timing metadata is
not recorded, so re-executing an unchanged notebook leaves ``git status``
clean; ``pytest --nbval`` then checks that the stored outputs are what the code
produces. ``python -m coachbook.book.notebooks from-script draft.py chapter.ipynb``
turns a percent-format draft into a notebook.

Every chapter notebook starts with the same hidden cell (:func:`install_cell_source`):
in Colab, Binder or any Python without the package it installs ``coachbook`` from
the repository that ``_config.yml`` names, and where the package is installed it
does nothing and prints nothing. ``python -m coachbook.book.notebooks install-cell
[paths...]`` inserts it, or brings it up to date, in every chapter notebook (or the
ones named); ``from-script`` starts each new notebook with it.

``execute`` also prints a timing report. With ``--record-status`` (``make
status``) it records, for the book's status page
(``chapters/appendices/status.md``), each notebook's execution time and status
in ``chapters/appendices/_status.csv`` and the versions of the key packages in
``chapters/appendices/_versions.csv``. Plain ``execute`` leaves those files
alone, because timings differ on every run and re-executing an unchanged book
must leave ``git status`` clean. A notebook that fails is reported, left as it
was, and makes the command exit with status 1.
"""
from __future__ import annotations

import csv
import importlib.metadata
import platform
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = ROOT / "chapters"
STATUS_FILE = CHAPTERS / "appendices" / "_status.csv"
VERSIONS_FILE = CHAPTERS / "appendices" / "_versions.csv"
STATUS_COLUMNS = ("chapter", "notebook", "seconds", "status")
# The packages whose versions the status page shows (all pinned in requirements.txt).
KEY_PACKAGES = ("jupyter-book", "sphinx", "myst-nb", "nbclient", "ipykernel", "nbval",
                "numpy", "pandas", "scipy", "statsmodels", "pingouin", "altair", "vl-convert-python")


def toc_pages(toc_file: Path | None = None) -> list[str]:
    """Every page of ``_toc.yml`` in reading order (root first), as paths without suffix."""
    import yaml

    toc = yaml.safe_load((toc_file or ROOT / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "glob" in node:
                raise ValueError("_toc.yml uses a 'glob' entry; list each file so tests can find every page")
            if "file" in node:
                pages.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({key: value for key, value in toc.items() if key != "root"})
    return [re.sub(r"\.(md|ipynb|rst)$", "", page) for page in pages]


# --- The first cell: install the package where it is missing (Colab, Binder) -------------

#: Tags of the install cell: ``remove-cell`` keeps it out of the book's pages and the PDF (the
#: book is built where coachbook is installed; a toggle above every title would show nothing
#: a reader needs); Jupyter, Colab and Binder ignore tags, so there it runs as the first cell.
#: ``install-coachbook`` marks it for :func:`with_install_cell` and the tests.
INSTALL_TAGS = ("remove-cell", "install-coachbook")
#: Set to a local folder (a checkout) or any pip requirement to install from there instead.
INSTALL_FROM_VARIABLE = "COACHBOOK_INSTALL_FROM"


def install_cell_source(config_file: Path | None = None) -> str:
    """The text of every chapter notebook's first cell, from ``repository`` in ``_config.yml``.

    When ``coachbook`` imports, the cell does nothing and prints nothing (nbval compares
    outputs). Otherwise it pip-installs ``coachbook @ git+<repository.url>@<repository.branch>``
    (or what :data:`INSTALL_FROM_VARIABLE` names) and ``myst-nb``, whose ``glue`` the
    chapters use. pip builds a wheel, and the wheel carries the data (setup.py).
    """
    import yaml

    config_file = Path(config_file) if config_file is not None else ROOT / "_config.yml"
    if not config_file.is_file():
        raise ValueError(f"no book configuration at {config_file}: the install cell names the "
                         "repository from its repository.url")
    repository = (yaml.safe_load(config_file.read_text(encoding="utf-8")) or {}).get("repository") or {}
    url = str(repository.get("url") or "").rstrip("/")
    if not url.startswith("https://"):
        raise ValueError(f"{config_file.name}: repository.url must be an https:// address of the "
                         f"book's repository, got {url!r}")
    branch = str(repository.get("branch") or "main")
    path = str(repository.get("path_to_book") or "").strip("/")
    subdirectory = f"#subdirectory={path}" if path else ""
    return (
        "# In Colab or any Python without the book's package, install it (where it is installed,\n"
        f"# this cell does nothing). {INSTALL_FROM_VARIABLE}=<a local checkout> installs from there.\n"
        "try:\n"
        "    import coachbook\n"
        "except ModuleNotFoundError:\n"
        "    import importlib, os\n"
        f'    source = (os.environ.get("{INSTALL_FROM_VARIABLE}")\n'
        f'              or "coachbook @ git+{url}@{branch}{subdirectory}")\n'
        '    %pip install --quiet "{source}" myst-nb\n'
        "    importlib.invalidate_caches()"
    )


def is_install_cell(cell) -> bool:
    """Whether a notebook cell is the install cell (a code cell tagged ``install-coachbook``)."""
    return cell.get("cell_type") == "code" and INSTALL_TAGS[-1] in cell.get("metadata", {}).get("tags", [])


def with_install_cell(nb, source: str | None = None):
    """The notebook ``nb`` (changed in place and returned) starting with the install cell.

    An existing install cell first in the notebook gets the current text; otherwise the
    cell is inserted first, with no outputs and execution count 1, and the counts of the
    cells after it move up by one: what re-executing the notebook would store, so an
    insertion needs no re-execution. An install cell anywhere else is a ``ValueError``.
    """
    import nbformat

    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ValueError(f"expected a notebook (nbformat.read(...)), got {type(nb).__name__}")
    source = install_cell_source() if source is None else source
    misplaced = [n for n, cell in enumerate(nb["cells"]) if n and is_install_cell(cell)]
    if misplaced:
        raise ValueError(f"the install cell must be the notebook's first cell; found it at cell {misplaced[0]}")
    if nb["cells"] and is_install_cell(nb["cells"][0]):
        first = nb["cells"][0]
        first["source"] = source
        first["metadata"]["tags"] = list(INSTALL_TAGS)
        first["outputs"] = []
        return nb
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": list(INSTALL_TAGS)})
    if nb.get("nbformat", 4) == 4 and nb.get("nbformat_minor", 0) < 5:
        cell.pop("id", None)
    else:
        cell["id"] = "install-coachbook"
    counted = [c for c in nb["cells"] if c.get("cell_type") == "code" and c.get("execution_count") is not None]
    if counted:
        for other in counted:
            other["execution_count"] += 1
            for output in other.get("outputs", []):   # an execute_result repeats its cell's count
                if output.get("execution_count") is not None:
                    output["execution_count"] += 1
        cell["execution_count"] = 1
    nb["cells"].insert(0, cell)
    return nb


def add_install_cell(path: Path) -> bool:
    """Give the notebook file its install cell (:func:`with_install_cell`); True if it changed."""
    import nbformat

    path = Path(path)
    if path.suffix != ".ipynb" or not path.is_file():
        raise ValueError(f"not a notebook file: {path}")
    before = path.read_text(encoding="utf-8")
    nb = with_install_cell(nbformat.reads(before, as_version=4))
    after = nbformat.writes(nb)
    after += "" if after.endswith("\n") else "\n"   # as nbformat.write ends the file
    if after == before:
        return False
    path.write_text(after, encoding="utf-8")
    return True


def chapter_notebooks() -> list[Path]:
    """Every chapter notebook, in a stable order."""
    return sorted(p for p in CHAPTERS.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def execute(path: Path, timeout: int = 600) -> float:
    """Run one notebook top to bottom in its own folder and save it; return seconds taken."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    elapsed = time.perf_counter() - start
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    return elapsed


def chapter_title(path: Path) -> str:
    """The notebook's first Markdown heading (its title in the book), or its file name."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return path.stem


def read_status(file: Path | None = None) -> list[dict]:
    """The rows of the status file (empty when it does not exist)."""
    file = file or STATUS_FILE
    if not file.is_file():
        return []
    with file.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_status(results: dict, file: Path | None = None) -> None:
    """Merge ``{notebook path: (seconds, status)}`` into the status file.

    Rows of notebooks not run this time are kept (a partial ``execute`` updates
    its own rows only); rows of notebooks that no longer exist are dropped.
    """
    file = file or STATUS_FILE
    rows = {row["notebook"]: row for row in read_status(file)}
    for path, (seconds, status) in results.items():
        name = path.resolve().relative_to(ROOT).as_posix()
        rows[name] = {"chapter": chapter_title(path), "notebook": name,
                      "seconds": "" if status != "ok" else f"{seconds:.1f}", "status": status}
    rows = [rows[name] for name in sorted(rows) if (ROOT / name).is_file()]
    file.parent.mkdir(parents=True, exist_ok=True)
    with file.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=STATUS_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def installed_versions() -> list[tuple[str, str]]:
    """Python and the installed versions of :data:`KEY_PACKAGES`."""
    versions = [("python", platform.python_version())]
    for package in KEY_PACKAGES:
        try:
            versions.append((package, importlib.metadata.version(package)))
        except importlib.metadata.PackageNotFoundError:
            versions.append((package, "not installed"))
    return versions


def write_versions(file: Path | None = None) -> None:
    """Record the versions the notebooks were executed with."""
    file = file or VERSIONS_FILE
    file.parent.mkdir(parents=True, exist_ok=True)
    with file.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("package", "version"))
        writer.writerows(installed_versions())


def from_percent_script(text: str):
    """A notebook from a "percent" script: ``# %%`` starts a code cell and
    ``# %% [markdown]`` a Markdown cell whose lines are commented with ``# ``.
    Cell tags go in brackets after the marker: ``# %% tags=["hide-input"]``.
    Handy for drafting a chapter in an editor; the notebook is the source of truth.
    """
    import json
    import re

    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                   "language_info": {"name": "python"}}
    chunks = re.split(r"^# %%(.*)$", text, flags=re.M)
    for header, body in zip(chunks[1::2], chunks[2::2]):
        tags = json.loads(m.group(1)) if (m := re.search(r"tags=(\[.*?\])", header)) else []
        body = body.strip("\n")
        if "[markdown]" in header:
            source = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#") for line in body.splitlines())
            cell = nbformat.v4.new_markdown_cell(source)
        else:
            cell = nbformat.v4.new_code_cell(body)
        if tags:
            cell.metadata["tags"] = tags
        cell.pop("id", None)
        nb.cells.append(cell)
    nb.nbformat_minor = 4
    return with_install_cell(nb)


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "from-script":
        import nbformat

        nbformat.write(from_percent_script(Path(argv[1]).read_text(encoding="utf-8")), argv[2])
        return 0
    if argv and argv[0] == "install-cell":
        paths = [Path(a).resolve() for a in argv[1:]] or chapter_notebooks()
        changed = [path for path in paths if add_install_cell(path)]
        for path in changed:
            print(f"install cell written: {_shown(path)}")
        print(f"{len(changed)} of {len(paths)} notebooks changed")
        return 0
    if not argv or argv[0] != "execute":
        print(__doc__)
        return 2
    record_status = "--record-status" in argv[1:]
    paths = [Path(a).resolve() for a in argv[1:] if a != "--record-status"] or chapter_notebooks()
    results = {}
    for path in paths:
        try:
            seconds, status = execute(path), "ok"
        except Exception as error:  # report every notebook, then fail
            seconds, status = float("nan"), "failed"
            # nbclient's CellExecutionError names the cell's exception; others speak for themselves.
            name = getattr(error, "ename", None) or type(error).__name__
            value = getattr(error, "evalue", None) or str(error).strip()
            print(f"FAILED {_shown(path)}: {name}: {value}")
        results[path] = (seconds, status)
        print(f"{seconds:6.1f} s  {status:6}  {_shown(path)}", flush=True)
    ok = [seconds for seconds, status in results.values() if status == "ok"]
    print(f"{sum(ok):6.1f} s  total: {len(ok)} ok, {len(results) - len(ok)} failed")
    chapters = {path: result for path, result in results.items() if path.is_relative_to(CHAPTERS)}
    if chapters and record_status:
        write_status(chapters)
        write_versions()
        print(f"recorded in {_shown(STATUS_FILE)} and {_shown(VERSIONS_FILE)} (the status page)")
    return 0 if len(ok) == len(results) else 1


def _shown(path: Path) -> str:
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
