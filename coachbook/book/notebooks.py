"""Execute the book's notebooks in place, reproducibly.

``python -m coachbook.book.notebooks execute [paths...]`` re-runs every chapter
notebook (or the ones named) and saves it with its outputs. Timing metadata is
not recorded, so re-executing an unchanged notebook leaves ``git status``
clean; ``pytest --nbval`` then checks that the stored outputs are what the code
produces. ``python -m coachbook.book.notebooks from-script draft.py chapter.ipynb``
turns a percent-format draft into a notebook.

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
    return nb


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "from-script":
        import nbformat

        nbformat.write(from_percent_script(Path(argv[1]).read_text(encoding="utf-8")), argv[2])
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
