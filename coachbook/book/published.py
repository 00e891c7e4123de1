"""The published numbers the book replicates, and side-by-side comparisons.

Each paper's numbers were transcribed once into ``data/published/<paper>.csv``
(one row per number: ``table, panel, row, column, estimate, se, stars, n,
note``). Every "published" column in the book comes from those files, and each
replicated number is joined to its published twin on the four key columns.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from coachbook.book import data
from coachbook.estimators._validate import require_columns, require_dataframe

KEYS = ["table", "panel", "row", "column"]
COLUMNS = KEYS + ["estimate", "se", "stars", "n", "note"]
PAPERS = {
    "kraft_hill_2019": "Kraft & Hill (2019), MQI Coaching randomized trial",
    "russell_2020": "Russell et al. (2020), Tennessee Math Coaching Model",
}


def load(paper: str) -> pd.DataFrame:
    """All transcribed numbers of one paper (``"kraft_hill_2019"`` or ``"russell_2020"``)."""
    if paper not in PAPERS:
        raise ValueError(f"unknown paper {paper!r}; choose one of {sorted(PAPERS)}.")
    table = data.load(f"published/{paper}", dtype={"stars": "string", "note": "string"},
                      keep_default_na=False, na_values={"estimate": [""], "se": [""], "n": [""]})
    require_columns(table, COLUMNS, f"data/published/{paper}.csv")
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


def side_by_side(paper: str, replicated: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """Published next to replicated numbers, with the gap.

    ``replicated`` holds the key columns (``table, panel, row, column``) and
    ``estimate``, and optionally ``se``. The result has one row per replicated
    number: published and replicated estimate (and standard error), the gap
    (replicated minus published) and, where a published standard error exists,
    the gap in published standard errors.
    """
    require_columns(require_dataframe(replicated, "replicated"), KEYS + ["estimate"], "replicated")
    numbers = load(paper)
    rep = replicated.copy()
    rep["panel"] = rep["panel"].fillna("")
    if "se" not in rep:
        rep["se"] = np.nan
    merged = rep[KEYS + ["estimate", "se"]].merge(
        numbers[KEYS + ["estimate", "se", "stars"]], on=KEYS, how="left",
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
    if out["replicated_se"].isna().all():
        out = out.drop(columns="replicated_se")
    if out["published_se"].isna().all():
        out = out.drop(columns=["published_se", "gap_in_se"])
    if (out["panel"] == "").all():
        out = out.drop(columns="panel")
    return out.round(digits)
