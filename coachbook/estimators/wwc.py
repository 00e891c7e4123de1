"""The What Works Clearinghouse attrition standard: low or high attrition.

The WWC judges a randomized trial by its overall attrition and the difference
in attrition between the arms: below a boundary that depends on the overall
rate, attrition is "low". :data:`WWC_BOUNDARIES` holds the boundaries and
:func:`wwc_attrition_rating` applies them
(:meth:`coachbook.estimators.attrition.AttritionRates.wwc_rating` to a trial).

``WWC_BOUNDARIES`` was transcribed (not computed) from the WWC Procedures and
Standards Handbook, version 4.1, Table II.1, "Highest differential attrition
rate for a sample to maintain low attrition, by overall attrition rate,
under 'optimistic' and 'cautious' assumptions", via a public R package's
table (baselinr), cross-checked against a second transcription citing v4.0
(see the project notes ``wwc-attrition.md``).

References
----------
What Works Clearinghouse (2020). *Procedures and Standards Handbook,
Version 4.1*, Table II.1. Institute of Education Sciences.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["WWC_BOUNDARIES", "wwc_attrition_rating"]

# Tolerance for comparing percentages computed in floating point with the
# table's one-decimal numbers (10.000000000001 % must still read as 10 %).
_EPS = 1e-9

# Overall attrition % -> (cautious, optimistic) highest differential, in
# percentage points; None = high attrition at any differential.
_WWC_TABLE_II_1 = [
    (5.7, 10.0), (5.8, 10.1), (5.9, 10.2), (5.9, 10.3), (6.0, 10.4),
    (6.1, 10.5), (6.2, 10.7), (6.3, 10.8), (6.3, 10.9), (6.3, 10.9),
    (6.3, 10.9), (6.2, 10.9), (6.2, 10.9), (6.1, 10.8), (6.0, 10.8),
    (5.9, 10.7), (5.9, 10.6), (5.8, 10.5), (5.7, 10.3), (5.5, 10.2),
    (5.4, 10.0), (5.3, 9.9), (5.2, 9.7), (5.1, 9.5), (4.9, 9.4),
    (4.8, 9.2), (4.7, 9.0), (4.5, 8.8), (4.4, 8.6), (4.3, 8.4),
    (4.1, 8.2), (4.0, 8.0), (3.8, 7.8), (3.6, 7.6), (3.5, 7.4),
    (3.3, 7.2), (3.2, 7.0), (3.1, 6.7), (2.9, 6.5), (2.8, 6.3),
    (2.6, 6.0), (2.5, 5.8), (2.3, 5.6), (2.1, 5.3), (2.0, 5.1),
    (1.8, 4.9), (1.6, 4.6), (1.5, 4.4), (1.3, 4.2), (1.2, 3.9),
    (1.0, 3.7), (0.9, 3.5), (0.7, 3.2), (0.6, 3.0), (0.4, 2.8),
    (0.3, 2.6), (0.2, 2.3), (0.0, 2.1), (None, 1.9), (None, 1.6),
    (None, 1.4), (None, 1.1), (None, 0.9), (None, 0.7), (None, 0.5),
    (None, 0.3),
]  # rows 0, 1, ..., 65

WWC_BOUNDARIES = pd.DataFrame(
    _WWC_TABLE_II_1,
    columns=["cautious", "optimistic"],
    index=pd.RangeIndex(0, len(_WWC_TABLE_II_1), name="overall_attrition_pct"),
    dtype=float,
)
"""Highest differential attrition (percentage points) for *low* attrition.

Index: overall attrition, whole percent 0-65. Columns ``cautious`` and
``optimistic``; NaN where the handbook prints "-" (high attrition at any
differential). Transcribed from WWC Handbook v4.1, Table II.1.
"""


def wwc_attrition_rating(
    overall_pct: float, differential_pct: float, boundary: str = "cautious"
) -> str:
    """Rate attrition ``"low"`` or ``"high"`` by the WWC standard.

    A sample has low attrition when its differential attrition is at or below
    the boundary in :data:`WWC_BOUNDARIES` for its overall attrition. The
    boundaries come from a model of the bias that attrition could cause: the
    WWC tolerates at most 0.05 SD of bias, under *optimistic* or *cautious*
    assumptions about how strongly leaving is related to the outcome. The
    review protocol picks the boundary; use the cautious one when the
    intervention could plausibly affect who leaves.

    Parameters
    ----------
    overall_pct : float
        Overall attrition in percent (0-100).
    differential_pct : float
        Differential attrition in percentage points (its sign is ignored).
    boundary : {"cautious", "optimistic"}

    Returns
    -------
    str
        ``"low"`` or ``"high"``.

    Notes
    -----
    The table has one row per whole percent, so the overall rate is
    **rounded down** to an integer: row *k* is read as covering rates from
    *k* up to, not including, *k* + 1. Rounding to the nearest integer would
    judge, say, 57.6 % overall by the 58 % row, where the cautious standard
    already says "high at any differential", although the sample has not
    reached 58 %. Overall attrition above 65 % is always high.
    """
    if boundary not in WWC_BOUNDARIES.columns:
        raise ValueError(f"boundary must be 'cautious' or 'optimistic', got {boundary!r}.")
    for value, name in [(overall_pct, "overall_pct"), (differential_pct, "differential_pct")]:
        if not (isinstance(value, (int, float, np.number)) and math.isfinite(value)):
            raise ValueError(f"{name} must be a finite number in percent, got {value!r}.")
        if not -100 <= value <= 100 or (name == "overall_pct" and value < 0):
            raise ValueError(
                f"{name} = {value!r} is outside 0-100; pass percentages (10 for 10 %), "
                "not proportions."
            )
    row = math.floor(overall_pct + _EPS)
    if row > WWC_BOUNDARIES.index[-1]:
        return "high"
    limit = WWC_BOUNDARIES.at[row, boundary]
    if np.isnan(limit):
        return "high"
    return "low" if abs(differential_pct) <= limit + _EPS else "high"


