"""Input checks of tables and their columns, shared by the public functions.

Every check raises ``ValueError`` with a message that says what is wrong and
how to fix it, so that a reader who passes the wrong table learns why:
:func:`require_dataframe`, :func:`require_columns`, :func:`require_names` (a
list of column names), :func:`require_distinct` (one role per column),
:func:`require_numeric` (and :func:`require_no_numeric_text` for columns that
may be categories), :func:`require_finite`, :func:`require_complete`,
:func:`require_unique_pairs`, :func:`require_binary`,
:func:`require_both_arms`, :func:`require_in_range`. The checks of arrays and
scalar arguments are in :mod:`._values`.

Booleans count as numbers in a *column* (a True/False column is the 0/1
indicator it looks like). Text never counts as a number: a column of dtype
object holding ``"1.2"`` is refused with the ``pd.to_numeric`` call that
fixes it, rather than dummy-coded or silently converted.
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping

import numpy as np
import pandas as pd

from coachbook.estimators._values import (_check_finite, _examples, _is_text, _numeric_share,
                                          _parses_as_number, numeric_values)


# --------------------------------------------------------------------------
# Small helpers for messages
# --------------------------------------------------------------------------
def _label(column, role: str | None) -> str:
    """``"outcome column 'y'"`` or ``"column 'y'"``."""
    return f"{role} column {column!r}" if role else f"column {column!r}"


# --------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------
def require_dataframe(df, what: str = "data") -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise ValueError(
            f"{what} must be a pandas DataFrame, got {type(df).__name__}; "
            "load it with coachbook.book.data.load(...) or pd.read_csv(...)."
        )
    if df.empty:
        raise ValueError(f"{what} is empty (0 rows); check the filter that produced it.")
    return df


def require_columns(df: pd.DataFrame, columns: Iterable[str], what: str = "data") -> None:
    require_dataframe(df, what)
    columns = list(columns)
    unhashable = [c for c in columns if not isinstance(c, Hashable)]
    if unhashable:
        raise ValueError(
            f"column names must be strings, got {unhashable[0]!r}; pass one name per argument "
            "(a list only where the argument takes several columns)."
        )
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(
            f"{what} is missing column(s) {missing}; it has {list(df.columns)}. "
            "Rename your columns or pass the right column names."
        )
    doubled = [c for c in dict.fromkeys(columns) if np.sum(df.columns == c) > 1]
    if doubled:
        raise ValueError(
            f"{what} has more than one column named {doubled[0]!r}, so it is ambiguous which "
            "to use; rename or drop the duplicates, e.g. df.loc[:, ~df.columns.duplicated()]."
        )


def require_names(name: str, value, *, allow_empty: bool = True) -> list:
    """A list of column names: not a bare string, each name once."""
    if _is_text(value):
        raise ValueError(
            f"{name} must be a list of column names, got the string {value!r}; "
            f"write {name}=[{value!r}]."
        )
    if value is None:
        value = []
    if isinstance(value, Mapping) or not isinstance(value, Iterable):
        raise ValueError(f"{name} must be a list of column names, got {value!r}.")
    names = list(value)
    counts = pd.Series([repr(n) for n in names]).value_counts() if names else pd.Series(dtype=int)
    repeated = [n for n in dict.fromkeys(names) if counts.get(repr(n), 0) > 1]
    if repeated:
        raise ValueError(
            f"{name} lists {repeated[0]!r} more than once; name each column once."
        )
    if not names and not allow_empty:
        raise ValueError(f"{name} is empty; name at least one column.")
    return names


def require_distinct(roles: Mapping[str, object]) -> None:
    """Each column plays one role: ``{"outcome": "y", "controls": ["x", "z"], ...}``.

    ``None`` entries (an optional role left out) are skipped.
    """
    seen: dict = {}
    for role, columns in roles.items():
        if columns is None:
            continue
        for c in ([columns] if _is_text(columns) or not isinstance(columns, Iterable)
                  else columns):
            if c in seen and seen[c] != role:
                raise ValueError(
                    f"column {c!r} is used both as {seen[c]} and as {role}; a column can play "
                    "only one role in an analysis. Pass a different column for one of them."
                )
            seen.setdefault(c, role)


def require_numeric(df: pd.DataFrame, columns: Iterable[str], what: str = "data",
                    role: str | None = None) -> None:
    """Numeric (or boolean) columns; text, even numeric-looking text, is refused."""
    for c in columns:
        s = df[c]
        label = _label(c, role)
        if pd.api.types.is_complex_dtype(s):
            raise ValueError(
                f"{label} of {what} must be real-valued, got complex numbers; "
                f"keep the real part with df[{c!r}].to_numpy().real."
            )
        if pd.api.types.is_numeric_dtype(s):
            continue
        present = s.dropna().to_numpy(dtype=object)
        share, bad = _numeric_share(present)
        example = _examples(s.dropna())
        if share == 1:
            if isinstance(s.dtype, pd.CategoricalDtype) and not any(_is_text(v) for v in present):
                raise ValueError(
                    f"{label} of {what} must be numeric, but it holds numbers stored as "
                    f"categories (dtype category, e.g. {example}); convert it with "
                    f"df[{c!r}] = df[{c!r}].astype(float)."
                )
            stored = "text" if any(_is_text(v) for v in present) else "objects"
            raise ValueError(
                f"{label} of {what} must be numeric, but it holds numbers stored as {stored} "
                f"(dtype {s.dtype}, e.g. {example}); convert it with "
                f"df[{c!r}] = pd.to_numeric(df[{c!r}])."
            )
        if share >= 0.5:
            raise ValueError(
                f"{label} of {what} must be numeric, but it holds numbers stored as text mixed "
                f"with entries that are not numbers, e.g. {_examples(bad)}; fix or blank those "
                f"entries, then convert with df[{c!r}] = pd.to_numeric(df[{c!r}], errors='coerce')."
            )
        raise ValueError(
            f"{label} of {what} must be numeric, got dtype {s.dtype} (e.g. {example}); convert "
            "it with pd.to_numeric(...), or recode the categories as numbers."
        )


def require_no_numeric_text(df: pd.DataFrame, columns: Iterable[str], what: str = "data",
                            role: str | None = None) -> None:
    """Columns that may be categories: refuse text that is really numbers.

    A formula dummy-codes a text column, one indicator per distinct value, so a
    numeric covariate stored as text would silently become hundreds of
    indicators.
    """
    for c in columns:
        s = df[c]
        if pd.api.types.is_numeric_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype):
            if pd.api.types.is_complex_dtype(s):
                require_numeric(df, [c], what, role)
            continue
        share, _ = _numeric_share(s.dropna().to_numpy(dtype=object))
        if share >= 0.5:
            raise ValueError(
                f"{_label(c, role)} of {what} holds numbers stored as text (dtype {s.dtype}, e.g. "
                f"{_examples(s.dropna())}), which would be dummy-coded as categories; convert it "
                f"with df[{c!r}] = pd.to_numeric(df[{c!r}]), or, if the numbers are category "
                f"codes, say so with df[{c!r}] = df[{c!r}].astype('category')."
            )


def require_finite(data, columns, role: str | None = None, *, what: str = "data",
                   allow_nan: bool = True):
    """No infinite values (and, with ``allow_nan=False``, no missing ones).

    ``require_finite(frame, ["y", "x"], role="outcome")`` checks columns;
    ``require_finite(values, "x1")`` checks an array and returns it as floats.
    """
    if isinstance(data, pd.DataFrame):
        for c in columns:
            values = data[c]
            if not pd.api.types.is_numeric_dtype(values):
                continue
            arr = values.to_numpy(dtype=float, na_value=np.nan)
            _check_finite(arr, _label(c, role) + (f" of {what}" if what != "data" else ""),
                          allow_nan, column=c)
        return None
    arr = numeric_values(data, columns)
    _check_finite(arr, columns, allow_nan)
    return arr


def require_complete(df: pd.DataFrame, columns: Iterable[str], why: str, role: str | None = None) -> None:
    """No missing values in identifier columns (subjects, occasions, groups)."""
    for c in columns:
        n_missing = int(df[c].isna().sum())
        if n_missing:
            raise ValueError(
                f"{_label(c, role)} has {n_missing} missing value(s); {why} "
                f"Fix those rows or drop them, e.g. df.dropna(subset=[{c!r}])."
            )


def require_unique_pairs(df: pd.DataFrame, columns: list, pair: str, rule: str) -> None:
    """Each combination of ``columns`` at most once (one score per target and rater, per
    subject and occasion); ``pair`` names the combination, ``rule`` what the method needs."""
    duplicated = df.duplicated(columns)
    if duplicated.any():
        example = df.loc[duplicated, columns].iloc[0].tolist()
        raise ValueError(
            f"{int(duplicated.sum())} ({pair}) pair(s) appear more than once, for example "
            f"{example}; {rule}. Average repeat scores first."
        )


def _binary_hint(label: str, column, role: str | None) -> str:
    col = repr(column) if column is not None else "col"
    kind = (role or label.split(" column")[0]).lower()
    if "treat" in kind or "assign" in kind:
        return (f"recode it with 1 = assigned to the program, 0 = control, for example "
                f"df[{col}] = (df[{col}] == 'treatment').astype(int).")
    if "observ" in kind or "respon" in kind:
        return (f"recode it with 1 = outcome observed, 0 = missing, for example "
                f"df[{col}] = df[<outcome column>].notna().astype(int).")
    if "outcome" in kind:
        return (f"dichotomize it, for example df[{col}] = (df[{col}] == 'yes').astype(int), "
                f"or (df[{col}] >= cutoff).astype(int) for a scale.")
    return (f"recode it as 0/1, for example df[{col}] = (df[{col}] == <the level meaning 1>)"
            ".astype(int).")


def require_binary(values, name, role: str | None = None) -> np.ndarray:
    """A 0/1 (or True/False) variable; returns its non-missing values as ints.

    ``require_binary(frame, "treatment", role="treatment")`` checks a column and
    words the hint for its role; ``require_binary(series, "treatment column 'x'")``
    checks values, with ``name`` used in the message.
    """
    if isinstance(values, pd.DataFrame):
        column, label = name, _label(name, role)
        values = values[name]
    else:
        column, label = None, name
        if isinstance(values, pd.Series) and values.name is not None and str(values.name) in label:
            column = values.name
    arr = pd.Series(values).dropna()
    if arr.empty:
        raise ValueError(f"{label} has no non-missing values.")
    levels = set(pd.unique(arr))
    if not levels <= {0, 1, True, False}:
        shown = sorted(map(str, levels))[:6]
        if all(_parses_as_number(v) for v in levels) and any(_is_text(v) for v in levels):
            col = repr(column) if column is not None else "col"
            raise ValueError(
                f"{label} must be coded 0/1, but it holds numbers stored as text {shown}; "
                f"convert it with df[{col}] = pd.to_numeric(df[{col}])."
            )
        unit = " (1 = treated)" if "treat" in (role or label.split(" column")[0]).lower() else ""
        raise ValueError(
            f"{label} must be coded 0/1{unit}, found values {shown}; "
            + _binary_hint(label, column, role)
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


