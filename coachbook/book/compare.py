"""Published numbers, one at a time or next to their replications.

Every chapter quotes numbers from the two papers and sets replicated numbers
beside them. Both go through this module:

- :func:`published_number` reads one transcribed number, named the way the
  paper prints it (``row`` and ``column`` of a ``table``, inside a ``panel``);
- :func:`compare` builds the published-vs-replicated table of a list of
  replicated numbers, on top of :func:`coachbook.book.published.side_by_side`.

Example::

    from coachbook.book.compare import compare, published_number

    published_number("kraft_hill_2019", "Coaches", "count")
    compare("russell_2020", [dict(row="Composite", column="beta10", estimate=0.31)],
            panel="RQ1 growth models", columns=GAP_COLUMNS)
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from coachbook.book import published

#: The short view most chapters show: which number, published, replicated, gap.
GAP_COLUMNS = ["row", "column", "published", "replicated", "gap"]
#: What the paper's panels name when a chapter shows only the study year.
YEAR_PATTERN = r"(Implementation|Follow-up)"
_KEYS = ["table", "panel", "row", "column"]


def _check_paper(paper) -> None:
    if paper not in published.PAPERS:
        raise ValueError(f"unknown paper {paper!r}; choose one of {sorted(published.PAPERS)}.")


def _check_label(value, name: str) -> None:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string as printed in the paper, got {value!r}.")


def published_number(paper: str, row: str, column: str, table: str = "Text",
                     panel: str = "") -> float:
    """One published point estimate, as a float.

    ``row`` and ``column`` name the number as the paper prints it; ``table`` is
    ``"Text"`` for numbers quoted in the prose, and ``panel`` is ``""`` unless
    the table (or the prose section) has panels. The keys are those of
    ``data/published/<paper>.csv``; an unknown key raises a ValueError that
    lists the rows of that table.
    """
    _check_paper(paper)
    for value, name in [(row, "row"), (column, "column"), (table, "table"), (panel, "panel")]:
        _check_label(value, name)
    return published.estimate(paper, table, row, column, panel)


def _as_frame(rows, keys) -> pd.DataFrame:
    if isinstance(rows, pd.DataFrame):
        return rows.copy()
    if isinstance(rows, Mapping) or isinstance(rows, (str, bytes)) or not isinstance(rows, Sequence):
        raise ValueError("rows must be a DataFrame or a list of dicts with keys row, column and "
                         f"estimate (optionally table, panel, se); got {type(rows).__name__}.")
    if keys is None:
        bad = [i for i, r in enumerate(rows) if not isinstance(r, Mapping)]
        if bad:
            raise ValueError(f"rows[{bad[0]}] is a {type(rows[bad[0]]).__name__}, not a dict; write each "
                             "replicated number as dict(row=..., column=..., estimate=...), or pass "
                             "keys=(...) naming the fields of tuple rows.")
        return pd.DataFrame(list(rows))
    keys = list(keys)
    unknown = [k for k in keys if k not in _KEYS]
    if unknown:
        raise ValueError(f"keys {unknown} are not key columns; choose from {_KEYS}.")
    fields = keys + ["estimate"]
    bad = [i for i, r in enumerate(rows) if isinstance(r, (Mapping, str)) or len(r) != len(fields)]
    if bad:
        raise ValueError(f"rows[{bad[0]}] = {rows[bad[0]]!r} does not hold {len(fields)} values "
                         f"({', '.join(fields)}); with keys={tuple(keys)} each row is such a tuple.")
    return pd.DataFrame([tuple(r) for r in rows], columns=fields)


def compare(paper: str, rows, digits: int = 6, columns: Sequence[str] | None = None,
            table: str = "Text", panel: str = "", by_year: bool = False,
            keys: Sequence[str] | None = None) -> pd.DataFrame:
    """Replicated numbers next to their published twins, with the gap.

    Parameters
    ----------
    paper
        ``"kraft_hill_2019"`` or ``"russell_2020"``.
    rows
        The replicated numbers: a DataFrame or a list of dicts, each with
        ``row``, ``column`` and ``estimate`` and optionally ``table``,
        ``panel`` and ``se``. A missing ``table`` or ``panel`` takes the
        value of the argument of that name (by default a number quoted in
        the text, with no panel). With ``keys`` (for example ``("panel",
        "row", "column")``), each row may instead be a tuple of those keys
        followed by the estimate.
    digits
        Decimals of the returned numbers (6: the reader's table,
        :func:`coachbook.book.replication.replication_table`, rounds each
        number once more, to the precision the paper printed).
    columns
        The output columns to keep, in order (for example
        :data:`GAP_COLUMNS`); ``None`` keeps every column
        :func:`coachbook.book.published.side_by_side` returns.
    by_year
        Shorten each panel to the study year it names (``"Implementation"``
        or ``"Follow-up"``, in a column ``year``) and drop the ``table``
        column: the view of the MQI trial's outcome chapters.
    keys
        The fields of tuple rows, before the estimate; ``None`` when the
        rows are dicts or a DataFrame.

    Returns
    -------
    DataFrame
        One row per replicated number: its keys, ``published`` (and
        ``published_se``, ``stars``), ``replicated`` (and ``replicated_se``),
        ``gap`` (replicated minus published) and ``gap_in_se`` where the
        paper prints a standard error.
    """
    _check_paper(paper)
    if isinstance(digits, bool) or not isinstance(digits, int) or digits < 0:
        raise ValueError(f"digits must be a whole number of decimals (0 or more), got {digits!r}.")
    _check_label(table, "table")
    _check_label(panel, "panel")
    frame = _as_frame(rows, keys)
    if frame.empty:
        raise ValueError("rows is empty: pass at least one replicated number.")
    missing = [key for key in ("row", "column", "estimate") if key not in frame]
    if missing:
        raise ValueError(f"rows lack {missing}; each replicated number needs row, column and estimate "
                         f"(it has {list(frame.columns)}).")
    if "table" not in frame:
        frame["table"] = table
    if "panel" not in frame:
        frame["panel"] = panel
    keep = _KEYS + ["estimate"] + (["se"] if "se" in frame else [])
    out = published.side_by_side(paper, frame[keep], digits=digits)
    if by_year:
        if "panel" in out:
            year = out["panel"].str.extract(YEAR_PATTERN, expand=False)
            unnamed = out.loc[year.isna() & (out["panel"] != ""), "panel"]
            if not unnamed.empty:
                raise ValueError(f"by_year=True, but panel {unnamed.iloc[0]!r} names no study year "
                                 "(Implementation or Follow-up); use by_year=False for these rows.")
            out = out.assign(panel=year).rename(columns={"panel": "year"})
        out = out.drop(columns="table")
    if columns is not None:
        columns = list(columns)
        absent = [c for c in columns if c not in out]
        if absent:
            raise ValueError(f"columns {absent} are not in the comparison; choose from {list(out.columns)}.")
        out = out[columns]
    return out
