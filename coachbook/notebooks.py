"""Execute the book's notebooks in place, reproducibly.

``python -m coachbook.notebooks execute [paths...]`` re-runs every chapter
notebook (or the ones named) and saves it with its outputs. Timing metadata is
not recorded, so re-executing an unchanged notebook leaves ``git status``
clean; ``pytest --nbval`` then checks that the stored outputs are what the code
produces. ``python -m coachbook.notebooks from-script draft.py chapter.ipynb``
turns a percent-format draft into a notebook.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"


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
    paths = [Path(a).resolve() for a in argv[1:]] or chapter_notebooks()
    for path in paths:
        seconds = execute(path)
        print(f"{seconds:6.1f} s  {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
