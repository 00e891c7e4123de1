"""Checks of array-like values and scalar arguments, and how text and numbers are told apart.

The half of the input checks that needs no table (:mod:`._validate` checks
tables and their columns):

- arrays: :func:`numeric_values` (array-like to floats, refusing text),
  :func:`require_variation` (not constant, up to rounding);
- scalars: :func:`require_bool`, :func:`require_number`,
  :func:`require_positive_finite`, :func:`require_open_unit`,
  :func:`require_int`, :func:`require_seed`, :func:`require_choice`.

Booleans count as numbers in a *column*, but never as a *scalar* argument:
``n=True`` or ``alpha=True`` is a typing slip, not a request for 1. Text never
counts as a number.
"""
from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

#: Values whose spread is below this share of their magnitude are treated as
#: constant: differences that small are rounding noise, not data.
RELATIVE_TOLERANCE = 1e-12


# --------------------------------------------------------------------------
# Text or number?
# --------------------------------------------------------------------------
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
