"""The published numbers the book replicates, and side-by-side comparisons.

Each paper's numbers were transcribed once into ``data/published/<paper>.csv``
(one row per number: ``table, panel, row, column, estimate, se, stars, n,
note``, and optionally ``origin``). Every "published" column in the book comes
from those files, and each replicated number is joined to its published twin on
the four key columns.

Two things travel with each number beyond its value:

- **the precision it was printed at**, read from the text of the file (``0.120``
  has three decimals, although the float is ``0.12``): ``estimate_decimals`` and
  ``se_decimals``, so a table can show the published number, and its replicated
  twin, at the paper's precision;
- **its origin**, where the transcription records it (column ``origin``):
  ``built in`` when the synthetic data were calibrated to this number (an
  agreement then tests only consistency), ``emergent`` when it was not targeted
  (an agreement tests the method), blank when unknown.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from coachbook.book import data
from coachbook.estimators._validate import require_columns, require_dataframe

KEYS = ["table", "panel", "row", "column"]
COLUMNS = KEYS + ["estimate", "se", "stars", "n", "note"]
#: Optional column of the transcription: was the generator calibrated to the number?
ORIGIN = "origin"
ORIGINS = ("built in", "emergent", "")
#: Printed decimals of ``estimate`` and ``se``, read from the file's text.
DECIMALS = ["estimate_decimals", "se_decimals"]
PAPERS = {
    "kraft_hill_2019": "Kraft & Hill (2019), MQI Coaching randomized trial",
    "russell_2020": "Russell et al. (2020), Tennessee Math Coaching Model",
}


def printed_decimals(text) -> float:
    """Decimals of a number as printed: ``"0.120"`` -> 3, ``"142"`` -> 0, ``""`` -> NaN.

    Raises ``ValueError`` for text that is not a plain decimal number.
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return np.nan
    text = str(text).strip()
    if text == "":
        return np.nan
    match = _NUMBER.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a number as printed (digits, an optional sign and "
                         "decimal point); fix the transcription in data/published/.")
    return float(len(match.group(1) or ""))


_NUMBER = re.compile(r"[-+]?\d*(?:\.(\d*))?")


def load(paper: str) -> pd.DataFrame:
    """All transcribed numbers of one paper (``"kraft_hill_2019"`` or ``"russell_2020"``).

    Columns: :data:`COLUMNS`, then ``origin`` when the file has it (blank
    cells as ``""``), then :data:`DECIMALS` (the printed decimals of
    ``estimate`` and ``se``; NaN where the cell is empty).
    """
    if paper not in PAPERS:
        raise ValueError(f"unknown paper {paper!r}; choose one of {sorted(PAPERS)}.")
    name = f"published/{paper}"
    table = data.load(name, dtype={"stars": "string", "note": "string", ORIGIN: "string"},
                      keep_default_na=False, na_values={"estimate": [""], "se": [""], "n": [""]})
    require_columns(table, COLUMNS, f"data/published/{paper}.csv")
    # The floats lose trailing zeros (0.120 -> 0.12); the text keeps what the paper printed.
    text = data.load(name, dtype=str, keep_default_na=False, usecols=["estimate", "se"])
    keep = COLUMNS + ([ORIGIN] if ORIGIN in table else [])
    table = table[keep].copy()
    if ORIGIN in table:
        table[ORIGIN] = table[ORIGIN].fillna("").str.strip().str.lower()
        odd = sorted(set(table[ORIGIN]) - set(ORIGINS))
        if odd:
            raise ValueError(f"data/published/{paper}.csv: origin must be one of {list(ORIGINS)} "
                             f"(blank = unknown), found {odd}.")
    table["estimate_decimals"] = text["estimate"].map(printed_decimals).to_numpy()
    table["se_decimals"] = text["se"].map(printed_decimals).to_numpy()
    return table


def lookup(paper: str, table: str, row: str, column: str, panel: str = "") -> pd.Series:
    """One published number as a row (``estimate``, ``se``, ``stars``, ``n``, ``note``)."""
    numbers = load(paper)
    hit = numbers[(numbers["table"] == table) & (numbers["panel"] == panel)
                  & (numbers["row"] == row) & (numbers["column"] == column)]
    if hit.empty:
        in_table = numbers[numbers["table"] == table]
        raise ValueError(
            f"{paper} has no number at table={table!r}, panel={panel!r}, row={row!r}, "
            f"column={column!r}. Rows of that table: {sorted(in_table['row'].unique())[:12]}"
        )
    return hit.iloc[0]


def estimate(paper: str, table: str, row: str, column: str, panel: str = "") -> float:
    """The published point estimate at one key, as a plain float."""
    return float(lookup(paper, table, row, column, panel)["estimate"])


def side_by_side(paper: str, replicated: pd.DataFrame, digits: int = 6) -> pd.DataFrame:
    """Published next to replicated numbers, with the gap.

    ``replicated`` holds the key columns (``table, panel, row, column``) and
    ``estimate``, and optionally ``se``. The result has one row per replicated
    number: published and replicated estimate (and standard error), the gap
    (replicated minus published) and, where a published standard error exists,
    the gap in published standard errors; ``published_decimals`` and
    ``published_se_decimals``, the precision the paper printed (for
    :func:`coachbook.book.replication.replication_table`); and ``origin``
    (``built in``, ``emergent`` or ``""``) when the transcription records it.
    """
    require_columns(require_dataframe(replicated, "replicated"), KEYS + ["estimate"], "replicated")
    numbers = load(paper)
    rep = replicated.copy()
    rep["panel"] = rep["panel"].fillna("")
    if "se" not in rep:
        rep["se"] = np.nan
    extra = DECIMALS + ([ORIGIN] if ORIGIN in numbers else [])
    merged = rep[KEYS + ["estimate", "se"]].merge(
        numbers[KEYS + ["estimate", "se", "stars"] + extra], on=KEYS, how="left",
        suffixes=("_replicated", "_published"), validate="one_to_one",
    )
    missing = merged[merged["estimate_published"].isna()]
    if not missing.empty:
        first = missing.iloc[0]
        raise ValueError(
            f"{len(missing)} replicated number(s) have no published twin in {paper}, "
            f"for example {dict(first[KEYS])}; check the keys against data/published/{paper}.csv."
        )
    out = pd.DataFrame({
        "table": merged["table"], "panel": merged["panel"], "row": merged["row"],
        "column": merged["column"],
        "published": merged["estimate_published"],
        "published_se": merged["se_published"],
        "stars": merged["stars"].fillna(""),
        "replicated": merged["estimate_replicated"],
        "replicated_se": merged["se_replicated"],
    })
    out["gap"] = out["replicated"] - out["published"]
    out["gap_in_se"] = out["gap"] / out["published_se"]
    out["published_decimals"] = merged["estimate_decimals"]
    out["published_se_decimals"] = merged["se_decimals"]
    if ORIGIN in merged:
        out[ORIGIN] = merged[ORIGIN].fillna("")
    if out["replicated_se"].isna().all():
        out = out.drop(columns="replicated_se")
    if out["published_se"].isna().all():
        out = out.drop(columns=["published_se", "gap_in_se", "published_se_decimals"])
    if (out["panel"] == "").all():
        out = out.drop(columns="panel")
    out = out.round(digits)
    out.attrs["paper"] = paper  # read by the stored record of a comparison table
    return out
