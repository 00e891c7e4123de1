"""Load the book's bundled data files by name.

Every chapter loads its data through :func:`load`, so a notebook runs from any
working directory: the files are found relative to the package, not to the
notebook.

>>> from coachbook import data
>>> teachers = data.load("mqi/teachers")        # data/mqi/teachers.csv
>>> data.available()[:3]                          # every name you can load

Where the data live
-------------------
1. ``COACHBOOK_DATA`` environment variable, when set (a folder laid out like
   ``data/`` in the repository);
2. otherwise the ``data/`` folder of the repository the package was installed
   from (``pip install -e .``).
"""
from __future__ import annotations

import difflib
import os
from pathlib import Path

import pandas as pd

__all__ = ["DataNotFoundError", "data_dir", "available", "path", "load"]


class DataNotFoundError(FileNotFoundError, ValueError):
    """A data name that matches no bundled file.

    It is both a ``FileNotFoundError`` and a ``ValueError`` so that callers
    can catch it either as a missing file or as bad input.
    """


def data_dir() -> Path:
    """The folder the bundled data are read from."""
    override = os.environ.get("COACHBOOK_DATA")
    if override:
        return Path(override).expanduser().resolve()
    return Path(__file__).resolve().parent.parent / "data"


def available() -> list[str]:
    """Every name :func:`load` accepts, such as ``"mqi/teachers"``, sorted."""
    root = data_dir()
    if not root.is_dir():
        return []
    return sorted(p.relative_to(root).with_suffix("").as_posix() for p in root.rglob("*.csv"))


def _normalise(name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValueError(
            f"a data name must be a non-empty string such as 'mqi/teachers', got {name!r}"
        )
    name = name.strip().replace("\\", "/")
    return name[:-4] if name.endswith(".csv") else name


def path(name: str) -> Path:
    """The file behind a data name; raises :class:`DataNotFoundError` if absent."""
    name = _normalise(name)
    file = data_dir() / f"{name}.csv"
    if file.is_file():
        return file
    names = available()
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    listing = ("every name is listed by coachbook.data.available()" if names
               else "none (is the data/ folder missing?)")
    shown = f"{data_dir().name}/{name}.csv"  # relative, so messages match on every machine
    raise DataNotFoundError(
        f"no bundled data named {name!r}: expected the file {shown}.{hint} "
        f"Available: {listing}. If the file should exist, regenerate the "
        "synthetic data with `python -m coachbook.synth` or set COACHBOOK_DATA "
        "to the folder that holds it."
    )


def load(name: str, **read_csv_kwargs) -> pd.DataFrame:
    """Read a bundled CSV by name (``"mqi/teachers"`` reads ``data/mqi/teachers.csv``)."""
    return pd.read_csv(path(name), **read_csv_kwargs)
