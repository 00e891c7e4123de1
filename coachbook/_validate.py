"""Input checks shared by the public functions.

Every check raises ``ValueError`` with a message that says what is wrong and
how to fix it, so that a reader who passes the wrong table learns why. The
checks come in three groups:

- tables: :func:`require_dataframe`, :func:`require_columns`,
  :func:`require_names` (a list of column names), :func:`require_distinct`
  (one role per column), :func:`require_numeric` (and
  :func:`require_no_numeric_text` for columns that may be categories),
  :func:`require_finite`, :func:`require_complete`, :func:`require_binary`,
  :func:`require_both_arms`, :func:`require_in_range`;
- arrays: :func:`numeric_values` (array-like to floats, refusing text),
  :func:`require_variation` (not constant, up to rounding);
- scalars: :func:`require_bool`, :func:`require_number`,
  :func:`require_positive_finite`, :func:`require_open_unit`,
  :func:`require_int`, :func:`require_seed`, :func:`require_choice`.

Booleans count as numbers in a *column* (a True/False column is the 0/1
indicator it looks like), but never as a *scalar* argument: ``n=True`` or
``alpha=True`` is a typing slip, not a request for 1. Text never counts as a
number: a column of dtype object holding ``"1.2"`` is refused with the
``pd.to_numeric`` call that fixes it, rather than dummy-coded or silently
converted.
"""
from __future__ import annotations

import numbers
from collections.abc import Hashable, Iterable, Mapping

import numpy as np
import pandas as pd

#: Values whose spread is below this share of their magnitude are treated as
#: constant: differences that small are rounding noise, not data.
RELATIVE_TOLERANCE = 1e-12


# --------------------------------------------------------------------------
# Small helpers for messages
# --------------------------------------------------------------------------
def _label(column, role: str | None) -> str:
    """``"outcome column 'y'"`` or ``"column 'y'"``."""
    return f"{role} column {column!r}" if role else f"column {column!r}"


def _examples(values, k: int = 3) -> list:
    out = []
    for v in values:
        if len(out) == k:
            break
        out.append(v.item() if isinstance(v, np.generic) else v)
    return out


def _is_text(value) -> bool:
    return isinstance(value, (str, bytes, np.str_, np.bytes_))


def _parses_as_number(value) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, numbers.Real):
        return True
    if _is_text(value):
        try:
            float(value)
        except (TypeError, ValueError):
            return False
        return True
    return False


def _numeric_share(values) -> tuple[float, list]:
    """Share of non-missing entries that are (or parse as) numbers, and the ones that do not."""
    present = [v for v in values if not (v is None or (isinstance(v, float) and np.isnan(v))
                                         or v is pd.NA or v is pd.NaT)]
    if not present:
        return 0.0, []
    bad = [v for v in present if not _parses_as_number(v)]
    return 1 - len(bad) / len(present), bad


# --------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------
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


def _check_finite(arr: np.ndarray, label: str, allow_nan: bool, column=None) -> None:
    infinite = np.isinf(arr)
    if infinite.any():
        fix = (f"df[{column!r}].replace([np.inf, -np.inf], np.nan)" if column is not None
               else "np.where(np.isinf(x), np.nan, x)")
        raise ValueError(
            f"{label} has {int(infinite.sum())} infinite value(s) (e.g. {arr[infinite][0]}); "
            f"infinity is not a measurement. Fix the computation that produced it, or mark it "
            f"missing with {fix}."
        )
    if not allow_nan and np.isnan(arr).any():
        raise ValueError(
            f"{label} has {int(np.isnan(arr).sum())} missing value(s); drop or impute them first."
        )


def require_complete(df: pd.DataFrame, columns: Iterable[str], why: str, role: str | None = None) -> None:
    """No missing values in identifier columns (subjects, occasions, groups)."""
    for c in columns:
        n_missing = int(df[c].isna().sum())
        if n_missing:
            raise ValueError(
                f"{_label(c, role)} has {n_missing} missing value(s); {why} "
                f"Fix those rows or drop them, e.g. df.dropna(subset=[{c!r}])."
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


# --------------------------------------------------------------------------
# Arrays
# --------------------------------------------------------------------------
def numeric_values(values, name: str, *, ndim: int | None = 1) -> np.ndarray:
    """An array-like of numbers as a float array (NaN for missing).

    Refuses strings (numbers stored as text included), complex numbers and
    other objects. Booleans become 0/1. With ``ndim=1`` a column vector
    (shape ``(n, 1)``) is flattened and anything else with more than one
    dimension is refused; ``ndim=None`` keeps the shape.
    """
    if _is_text(values):
        raise ValueError(f"{name} must be numbers, got the string {values!r}.")
    if isinstance(values, (pd.Series, pd.Index)):
        values = values.to_numpy(dtype=object) if not pd.api.types.is_numeric_dtype(values) \
            else values.to_numpy(dtype=float, na_value=np.nan)
    elif isinstance(values, pd.DataFrame):
        values = values.to_numpy(dtype=object)
    arr = np.asarray(values)
    if arr.dtype.kind == "c":
        raise ValueError(f"{name} must be real numbers, got complex numbers.")
    if arr.dtype.kind in "OUSV":
        flat = arr.ravel().tolist()
        share, bad = _numeric_share(flat)
        has_text = any(_is_text(v) for v in flat)
        if has_text and share == 1:
            raise ValueError(
                f"{name} must be numbers, but they are numbers stored as text (e.g. "
                f"{_examples(v for v in flat if _is_text(v))}); convert them with pd.to_numeric(...)."
            )
        if bad or has_text:
            raise ValueError(
                f"{name} must be numbers; found {_examples(bad or flat)}. Convert them with "
                "pd.to_numeric(...) or recode them as numbers."
            )
        try:
            arr = np.array([np.nan if v is None or v is pd.NA else v for v in flat],
                           dtype=float).reshape(arr.shape)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be numbers.") from None
    elif arr.dtype.kind in "mM":
        raise ValueError(f"{name} must be numbers, got dates or durations ({arr.dtype}).")
    arr = arr.astype(float)
    if ndim == 1:
        if arr.ndim == 2 and 1 in arr.shape:
            arr = arr.ravel()
        if arr.ndim != 1:
            raise ValueError(
                f"{name} must be one-dimensional (one value per unit), got shape {arr.shape}; "
                "pass a single column or a flat list."
            )
    return arr


def is_constant(values) -> bool:
    """True if the non-missing values do not vary beyond rounding noise."""
    arr = np.asarray(values, dtype=float)
    arr = arr[~np.isnan(arr)]
    if arr.size == 0:
        return True
    spread = float(arr.max() - arr.min())
    return spread <= RELATIVE_TOLERANCE * float(np.abs(arr).max())


def require_variation(values, name: str, consequence: str = "there is no variation to analyse",
                      fix: str = "check that you passed the right column") -> None:
    """Refuse values that are constant, up to rounding noise (see :data:`RELATIVE_TOLERANCE`)."""
    arr = np.asarray(values, dtype=float)
    arr = arr[~np.isnan(arr)]
    if is_constant(arr):
        shown = f" (every value is {arr[0]:.6g})" if arr.size else ""
        raise ValueError(f"{name} is constant{shown}, so {consequence}; {fix}.")


# --------------------------------------------------------------------------
# Scalars
# --------------------------------------------------------------------------
def require_bool(name: str, value) -> bool:
    """A real boolean: ``'no'``, ``0`` or ``None`` are refused rather than read as truth values."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ValueError(
        f"{name} must be True or False, got {value!r} ({type(value).__name__}); "
        f"a string such as 'no' would count as True, so pass {name}=True or {name}=False."
    )


def require_number(name: str, value, *, finite: bool = True, allow_nan: bool = False,
                   unit: str = "") -> float:
    """A real number, not a boolean, not text; finite unless ``finite=False``."""
    what = f"a number{f' ({unit})' if unit else ''}"
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be {what}, got the boolean {value!r}; pass a number.")
    if _is_text(value):
        if _parses_as_number(value):
            raise ValueError(
                f"{name} must be {what}, got the text {value!r}; pass {float(value):g} "
                "without quotes."
            )
        raise ValueError(f"{name} must be {what}, got {value!r}.")
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be {what}, got {value!r} ({type(value).__name__}).")
    x = float(value)
    if np.isnan(x) and not allow_nan:
        raise ValueError(f"{name} must be {what}, got NaN; pass an actual value.")
    if finite and np.isinf(x):
        raise ValueError(f"{name} must be a finite number, got {x}.")
    return x


def require_positive_finite(name: str, value, *, unit: str = "") -> float:
    """A number above 0 and below infinity."""
    x = require_number(name, value, unit=unit)
    if not x > 0:
        raise ValueError(f"{name} must be positive, got {value!r}.")
    return x


def require_open_unit(name: str, value) -> float:
    """A proportion strictly between 0 and 1 (alpha, power, a share assigned)."""
    x = require_number(name, value)
    if not 0 < x < 1:
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {x}.")
    return x


def require_int(name: str, value, minimum: int | None = None, what: str = "an integer") -> int:
    """A whole number (an integral float such as ``2.0`` is accepted), not a boolean."""
    if isinstance(value, (bool, np.bool_)) or _is_text(value) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be {what}, got {value!r} ({type(value).__name__}).")
    x = float(value)
    if not np.isfinite(x) or x != int(x):
        raise ValueError(f"{name} must be {what}, got {value!r}.")
    if minimum is not None and x < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value!r}.")
    return int(x)


def require_seed(value, name: str = "seed", *, required: bool = False):
    """A reproducible seed: a non-negative int, a numpy Generator/SeedSequence/BitGenerator,
    or (unless ``required``) None for fresh randomness."""
    if value is None:
        if required:
            raise ValueError(
                f"{name} is required: pass an integer such as {name}=2014 so that the draw "
                "can be reproduced and audited."
            )
        return None
    if isinstance(value, (np.random.Generator, np.random.SeedSequence, np.random.BitGenerator)):
        return value
    if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)) and value >= 0:
        return int(value)
    raise ValueError(
        f"{name} must be a non-negative integer or a numpy Generator, got {value!r} "
        f"({type(value).__name__}); for example {name}=2014."
    )


def require_choice(name: str, value, choices) -> None:
    choices = tuple(choices)
    if not any(value is c or (type(value) is type(c) and value == c) for c in choices):
        raise ValueError(f"{name} must be one of {choices}, got {value!r}.")
