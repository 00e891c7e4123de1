"""Reading times of the book's pages, from their word counts, for the chapter map on the
landing page (``intro.md``).

A page's reading time counts the words of its prose (Markdown cells of a notebook,
or a Markdown page) at :data:`PROSE_WORDS_PER_MINUTE`, and the lines of its visible
code at :data:`CODE_LINES_PER_MINUTE` (a reader who skips the code reads faster; the
map gives the time for reading both), and rounds up to :data:`ROUND_TO` minutes.
Cell outputs (tables, charts) are not counted. ``tests/test_course_kit.py`` fails when
a time printed in the chapter map is not the one computed here, so the map stays
true as chapters change (within one rounding step).

``python -m coachbook.book.reading_time`` prints every page of ``_toc.yml`` with its
words, code lines and minutes.
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

__all__ = ["PROSE_WORDS_PER_MINUTE", "CODE_LINES_PER_MINUTE", "ROUND_TO",
           "page_text", "count", "reading_minutes"]

PROSE_WORDS_PER_MINUTE = 200  # technical prose, read with care
CODE_LINES_PER_MINUTE = 10    # code read to follow it, not to study it
ROUND_TO = 5                  # minutes

_FENCE = re.compile(r"^\s*(```|:::)")
_HIDDEN = {"remove-cell", "remove-input", "hide-input", "hide-cell"}


def page_text(path: Path) -> tuple[str, list[str]]:
    """The prose (Markdown) of a page and its visible code lines.

    Code in cells tagged ``remove-cell``, ``remove-input``, ``hide-input`` or ``hide-cell``
    is folded or absent on the page and is not counted; blank lines are not counted.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no page at {path}")
    if path.suffix == ".md":
        return path.read_text(encoding="utf-8"), []
    if path.suffix != ".ipynb":
        raise ValueError(f"{path.name}: a page is a .md or .ipynb file")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    prose, code = [], []
    for cell in cells:
        source = "".join(cell.get("source", ""))
        if cell["cell_type"] == "markdown":
            prose.append(source)
        elif cell["cell_type"] == "code" and not _HIDDEN & set(cell.get("metadata", {}).get("tags", [])):
            code += [line for line in source.splitlines() if line.strip()]
    return "\n\n".join(prose), code


def count(path: Path) -> tuple[int, int]:
    """(words of prose, visible code lines) of a page. Words are runs of letters or digits;
    the lines that open or close a directive (```` ``` ````, ``:::``) and directive options
    (``:label: ...``) are not prose."""
    prose, code = page_text(path)
    lines = [line for line in prose.splitlines()
             if not _FENCE.match(line) and not re.match(r"^\s*:[\w-]+:", line)]
    text = re.sub(r"\{[\w:-]+\}`([^`<]*)(<[^`]*>)?`", r"\1", "\n".join(lines))  # {role}`text <target>`
    words = len(re.findall(r"[A-Za-z0-9][A-Za-z0-9'’.-]*", text))
    return words, len(code)


def reading_minutes(path: Path) -> int:
    """Minutes to read a page, prose and visible code, rounded up to :data:`ROUND_TO`."""
    words, code_lines = count(path)
    minutes = words / PROSE_WORDS_PER_MINUTE + code_lines / CODE_LINES_PER_MINUTE
    return max(ROUND_TO, ROUND_TO * math.ceil(minutes / ROUND_TO))


def main() -> None:
    from .notebooks import toc_pages

    root = Path(__file__).resolve().parents[2]
    for page in toc_pages():
        path = next((root / f"{page}{suffix}" for suffix in (".ipynb", ".md")
                     if (root / f"{page}{suffix}").exists()), None)
        if path is not None:
            words, code_lines = count(path)
            print(f"{reading_minutes(path):4d} min  {words:6d} words  {code_lines:4d} code lines  {page}")


if __name__ == "__main__":
    main()
