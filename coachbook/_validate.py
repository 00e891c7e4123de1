"""Input checks shared by the public functions.

Every check raises ``ValueError`` with a message that says what is wrong and
how to fix it, so that a reader who passes the wrong table learns why.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd


def require_dataframe(df, what: str = "data") -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise ValueError(
            f"{what} must be a pandas DataFrame, got {type(df).__name__}; "
            "load it with coachbook.data.load(...) or pd.read_csv(...)."
        )
    if df.empty:
        raise ValueError(f"{what} is empty (0 rows); check the filter that produced it.")
    return df


def require_columns(df: pd.DataFrame, columns: Iterable[str], what: str = "data") -> None:
    require_dataframe(df, what)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(
            f"{what} is missing column(s) {missing}; it has {list(df.columns)}. "
            "Rename your columns or pass the right column names."
        )


def require_numeric(df: pd.DataFrame, columns: Iterable[str], what: str = "data") -> None:
    for c in columns:
        if not pd.api.types.is_numeric_dtype(df[c]):
            raise ValueError(
                f"column {c!r} of {what} must be numeric, got dtype {df[c].dtype}; "
                "convert it with pd.to_numeric(...)."
            )


def require_binary(values, name: str) -> np.ndarray:
    arr = pd.Series(values).dropna()
    if arr.empty:
        raise ValueError(f"{name} has no non-missing values.")
    levels = set(pd.unique(arr))
    if not levels <= {0, 1, True, False}:
        raise ValueError(
            f"{name} must be coded 0/1 (1 = treated), found values {sorted(map(str, levels))[:6]}; "
            "recode it, for example (df[col] == 'treatment').astype(int)."
        )
    return arr.astype(int).to_numpy()


def require_both_arms(df: pd.DataFrame, treatment: str, by: str | None = None) -> None:
    arms = set(df[treatment].dropna().astype(int))
    if arms != {0, 1}:
        raise ValueError(
            f"{treatment!r} must contain both arms (0 and 1); found only {sorted(arms)}."
        )
    if by is not None:
        counts = df.groupby(by, observed=True)[treatment].agg(lambda s: s.nunique())
        single = counts[counts < 2].index.tolist()
        if single:
            raise ValueError(
                f"block(s) {single[:5]} of {by!r} contain only one arm, so the within-block "
                "contrast is undefined; merge those blocks with a neighbouring block or drop them."
            )


def require_in_range(values, low: float, high: float, name: str) -> None:
    arr = np.asarray(values, dtype=float)
    arr = arr[~np.isnan(arr)]
    bad = arr[(arr < low) | (arr > high)]
    if bad.size:
        raise ValueError(
            f"{name} must lie between {low} and {high}; found {bad.size} value(s) outside, "
            f"for example {bad[0]!r}. Check the scale or the coding of the column."
        )
