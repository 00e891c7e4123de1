"""A reader's own file for the book's analyses: a CSV path or a DataFrame, its columns checked.

Each analysis a reader can run on her own data names the columns it needs in
one constant beside its function (``CALIBRATION_KEY`` here,
``coachbook.studies.russell.CONVERSATION_COLUMNS`` and ``GROWTH_COLUMNS``,
``coachbook.studies.kraft_hill.ITT_COLUMNS``); ``chapters/05-course-kits/your-own-data.md``
lists them. :func:`read_table` is the one way those functions take a file: a
path is read as CSV (comma or semicolon separated, a byte-order mark allowed),
a DataFrame is copied, and a missing column is a ``ValueError`` that names it
together with every column the analysis needs.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from coachbook.estimators.agreement import calibration_by_item

__all__ = ["CALIBRATION_KEY", "calibration_report", "read_table"]

#: The calibration files: this column names each segment; every other column is a rubric item.
CALIBRATION_KEY = "segment"


def read_table(source, columns: Sequence[str], what: str) -> pd.DataFrame:
    """``source`` (a CSV file's path, or a DataFrame) as a new DataFrame holding ``columns``.

    ``what`` names the table in messages ("the master scores"). Raises
    ``ValueError`` when the file does not exist or cannot be read as a table,
    or when a column is missing (the message lists the missing ones and every
    column needed).
    """
    if isinstance(source, pd.DataFrame):
        frame = source.copy()
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise ValueError(f"{what}: there is no file at {str(path)!r}; give the path of a CSV file "
                             "or a pandas DataFrame.")
        try:
            frame = pd.read_csv(path, sep=None, engine="python", encoding="utf-8-sig")
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
            raise ValueError(f"{what}: {path.name} cannot be read as a CSV table ({error}).") from None
        frame.columns = [str(c).strip() for c in frame.columns]
    else:
        raise ValueError(f"{what} must be the path of a CSV file or a pandas DataFrame, "
                         f"got {type(source).__name__}.")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} lacks column(s) {missing}. It needs {list(columns)}; "
                         f"it has {list(frame.columns)[:15]}.")
    if frame.empty:
        raise ValueError(f"{what} has no rows.")
    return frame


def _scores(frame: pd.DataFrame, items: list[str], low: int, high: int, what: str) -> pd.DataFrame:
    scores = frame[items].apply(pd.to_numeric, errors="coerce")
    bad = scores.isna() & frame[items].notna()
    if bad.any().any():
        item = scores.columns[bad.any()][0]
        raise ValueError(f"{what}: the column {item!r} holds a cell that is not a number "
                         f"({frame.loc[bad[item], item].iloc[0]!r}).")
    if scores.isna().any().any():
        item = scores.columns[scores.isna().any()][0]
        raise ValueError(f"{what}: the column {item!r} has an empty cell; score every item of every segment.")
    values = scores.to_numpy(float)
    if not np.allclose(values, np.round(values)) or ((values < low) | (values > high)).any():
        item = scores.columns[((scores < low) | (scores > high) | (scores != scores.round())).any()][0]
        raise ValueError(f"{what}: the column {item!r} holds a score that is not a whole number from "
                         f"{low} to {high}; set the scale (low, high) or correct the score.")
    return scores.astype(int)


def calibration_report(master, trainee, low: int = 0, high: int = 3) -> pd.DataFrame:
    """The calibration report of a trainee against master scores, from two files.

    ``master`` and ``trainee`` are CSV paths or DataFrames with one row per
    scored segment: a ``segment`` column (the same ids in both, in any order)
    and one column per rubric item, named alike in both, holding whole scores
    from ``low`` to ``high``. Returns
    :func:`coachbook.estimators.agreement.calibration_by_item` on every item
    of the master file: one row per item and ``"all items"``.
    """
    if isinstance(low, bool) or isinstance(high, bool) or not all(
            isinstance(v, (int, np.integer)) for v in (low, high)) or not low < high:
        raise ValueError(f"the scale must be two whole numbers with low < high, got ({low!r}, {high!r}).")
    m = read_table(master, [CALIBRATION_KEY], "the master scores")
    items = [c for c in m.columns if c != CALIBRATION_KEY]
    if not items:
        raise ValueError("the master scores have no item column: add one column per rubric item beside 'segment'.")
    t = read_table(trainee, [CALIBRATION_KEY, *items], "the trainee's scores")
    for frame, what in ((m, "the master scores"), (t, "the trainee's scores")):
        ids = frame[CALIBRATION_KEY].astype(str).str.strip()
        if ids.duplicated().any():
            raise ValueError(f"{what}: the segment {ids[ids.duplicated()].iloc[0]!r} appears twice; "
                             "give each segment one row.")
        frame.index = pd.Index(ids, name=CALIBRATION_KEY)
    only = sorted(set(m.index) ^ set(t.index))
    if only:
        raise ValueError(f"the two files must score the same segments; only one of them has {only[:5]}.")
    master_scores = _scores(m, items, low, high, "the master scores")
    trainee_scores = _scores(t.loc[m.index], items, low, high, "the trainee's scores")
    return calibration_by_item(master_scores, trainee_scores, items, categories=list(range(low, high + 1)))
