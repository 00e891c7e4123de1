"""Generators of the book's synthetic data.

The studies' own data are confidential, so every chapter runs on synthetic
files made here. Each study has one module (:mod:`.mqi`, :mod:`.tn`) that
exposes

``generate(seed) -> dict[str, pandas.DataFrame]``
    every file of the study, keyed by data name (``"mqi/teachers"``);
``CODEBOOK: dict[str, FileSpec]``
    what each file and variable means, its type, range and source table.

``python -m coachbook.synth`` regenerates every registered file into
``data/``; the bytes are identical to the committed files (a test checks it),
because generation is seeded and files are written in one fixed format.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from coachbook.book.data import data_dir

# The studies; each name is a module of this package with generate(seed) and CODEBOOK.
STUDIES: tuple[str, ...] = ("mqi", "tn")
SEED = 20190819  # fixed once; changing it changes every bundled file


@dataclass(frozen=True)
class Variable:
    name: str
    dtype: str            # "int", "float", "category", "bool", "date", "str"
    meaning: str
    values: str = ""      # range or levels, e.g. "0-3" or "Control, Treatment"
    source: str = ""      # published table the variable is calibrated to


@dataclass(frozen=True)
class FileSpec:
    description: str
    unit: str             # what one row is
    variables: tuple[Variable, ...] = field(default_factory=tuple)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write one file in the book's fixed format (UTF-8, LF, no index)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def generate_all(seed: int = SEED) -> dict[str, pd.DataFrame]:
    """Every synthetic file of every study, keyed by data name."""
    files: dict[str, pd.DataFrame] = {}
    for study in STUDIES:
        module = importlib.import_module(f"{__name__}.{study}")
        files.update(module.generate(seed))
    return files


def codebook() -> dict[str, FileSpec]:
    """The codebook of every study, keyed by data name."""
    specs: dict[str, FileSpec] = {}
    for study in STUDIES:
        specs.update(importlib.import_module(f"{__name__}.{study}").CODEBOOK)
    return specs


def write_all(target: Path | None = None, seed: int = SEED) -> list[Path]:
    """Generate every file and write it under ``target`` (default: the data folder)."""
    target = Path(target) if target is not None else data_dir()
    written = []
    for name, frame in generate_all(seed).items():
        path = target / f"{name}.csv"
        write_csv(frame, path)
        written.append(path)
    return written


def codebook_table(name: str) -> pd.DataFrame:
    """One file's codebook as a table (variable, type, values, meaning, source).

    The codebook appendix prints these tables, so the documentation is generated
    from the same metadata the generators declare and cannot drift from them.
    """
    specs = codebook()
    if name not in specs:
        raise ValueError(f"no codebook entry for {name!r}; documented files: {sorted(specs)}")
    return pd.DataFrame(
        [{"variable": v.name, "type": v.dtype, "values": v.values, "meaning": v.meaning,
          "source": v.source} for v in specs[name].variables]
    )
