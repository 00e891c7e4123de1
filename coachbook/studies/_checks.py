"""Input checks shared by the study modules, with messages that say what to fix."""
from __future__ import annotations

from collections.abc import Iterable

import pandas as pd


def frame_with(df, columns: Iterable[str], what: str) -> pd.DataFrame:
    """``df`` if it is a DataFrame holding ``columns``; a ValueError naming what is missing otherwise."""
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{what} must be a pandas DataFrame, got {type(df).__name__}.")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what} lacks column(s) {missing}; it has {list(df.columns)[:15]}.")
    return df


def positive_number(value, what: str) -> float:
    """``value`` as a float if it is a finite number above zero."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or value == float("inf"):
        raise ValueError(f"{what} must be a positive number, got {value!r}.")
    return float(value)
