"""One precision policy for every number that leaves the package for the page."""
from __future__ import annotations

import math
import numbers

import numpy as np
import pandas as pd

__all__ = ["SIGNIFICANT_DIGITS", "round_sig", "round_frame", "round_table", "glue"]

#: Significant digits kept for glued numbers and chart data. The prose formats
#: never ask for more (``tests/test_precision.py`` checks every ``{glue:text}``),
#: and a computation that is deterministic to 1e-10 keeps all six on any machine.
SIGNIFICANT_DIGITS = 6


def round_sig(value, digits: int = SIGNIFICANT_DIGITS):
    """``value`` rounded to ``digits`` significant digits, as a plain Python number.

    Whole numbers (counts, dollar amounts) come back unchanged, as floats; ``-0.0`` becomes ``0.0``; NaN and
    infinities pass through. Arrays and Series are rounded element-wise.

    >>> round_sig(14891.517083)
    14891.5
    >>> round_sig(0.000123456789)
    0.000123457
    """
    if isinstance(digits, bool) or not isinstance(digits, numbers.Integral) or not 1 <= digits <= 15:
        raise ValueError(f"digits must be a whole number from 1 to 15, got {digits!r}.")
    if isinstance(value, pd.Series):
        return value.map(lambda v: round_sig(v, digits) if _is_real(v) else v)
    if isinstance(value, np.ndarray):
        return np.vectorize(lambda v: round_sig(float(v), digits), otypes=[float])(value) if value.size else value
    if isinstance(value, (bool, np.bool_)) or not _is_real(value):
        raise ValueError(f"round_sig takes a real number, got {type(value).__name__} {value!r}; "
                         "pass strings and other values to glue() as they are.")
    number = float(value)
    if not math.isfinite(number) or (number.is_integer() and abs(number) < 2 ** 53):
        return number + 0.0  # whole numbers (counts, dollars) are exact already
    rounded = float(f"{number:.{digits - 1}e}")
    return rounded + 0.0  # turns -0.0 into 0.0


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def round_frame(frame: pd.DataFrame, digits: int = SIGNIFICANT_DIGITS) -> pd.DataFrame:
    """A copy of ``frame`` with every float column rounded to ``digits`` significant digits.

    Used on chart data before serialization, so a difference in the 16th digit
    cannot change the data Altair embeds (and the dataset name it hashes from it).
    """
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"round_frame takes a DataFrame, got {type(frame).__name__}.")
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            out[column] = round_sig(out[column].astype(float), digits).astype(float)
    return out


def round_table(frame, decimals: int = 3, significant: int = SIGNIFICANT_DIGITS):
    """Round a table for display: ``decimals`` places, but no more than ``significant`` digits.

    Small quantities (estimates, SEs, p-values) keep ``decimals`` places; large
    ones (a deviance of 1234.5678, Barnard-Rubin df of 14891.517) keep
    ``significant`` significant digits instead, so their last shown digit is
    not noise. Negative zeros are shown as zeros. Works on a DataFrame or a Series;
    non-float columns are left alone.
    """
    if isinstance(decimals, bool) or not isinstance(decimals, numbers.Integral) or decimals < 0:
        raise ValueError(f"decimals must be a whole number of at least 0, got {decimals!r}.")
    if isinstance(frame, pd.Series):
        return round_table(frame.to_frame(), decimals, significant).iloc[:, 0]
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"round_table takes a DataFrame or Series, got {type(frame).__name__}.")

    def one(v):
        if not _is_real(v) or not math.isfinite(float(v)):
            return v
        return round(round_sig(v, significant), decimals) + 0.0

    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            out[column] = out[column].map(one).astype(float)
    return out


def glue(name: str, value, display: bool = False) -> None:
    """Glue a value for the prose (``{glue:text}`name:.2f```), numbers rounded to 6 significant digits.

    The one way chapters glue: a number is stored as a plain ``float``
    rounded by :func:`round_sig` (numpy scalars too, whose repr breaks
    myst-nb's text formatting), so the stored output is the same on every
    machine. Strings are stored as they are. Nothing is displayed in the cell.
    """
    from myst_nb import glue as myst_glue

    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"glue needs a non-empty name, got {name!r}.")
    if display:
        raise ValueError("glue() stores values for the prose only; show tables and charts as the cell's output.")
    if isinstance(value, str):
        myst_glue(name, value, display=False)
        return
    if isinstance(value, (np.ndarray, pd.Series, pd.DataFrame, list, tuple, dict)):
        raise ValueError(f"glue({name!r}) got a {type(value).__name__}; glue one number or string at a time.")
    if isinstance(value, (bool, np.bool_)) or not _is_real(value):
        raise ValueError(f"glue({name!r}) takes a number or a string, got {type(value).__name__} {value!r}.")
    number = float(value)
    if math.isnan(number):
        raise ValueError(f"glue({name!r}) got NaN; a number the prose quotes must exist. "
                         "Check the computation that produced it.")
    myst_glue(name, round_sig(number), display=False)
