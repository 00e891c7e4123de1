"""Attrition: how much of the randomized sample was lost, and what it can do.

Randomization makes the arms comparable only as randomized. When outcomes
are missing for some units, and especially when the treatment changes *who*
goes missing (MQI Coaching kept more teachers teaching math, Kraft & Hill
2019, Table 4), the units left to compare may no longer be comparable.
This module measures attrition (:func:`attrition_rates`), rates it against
the What Works Clearinghouse boundaries (:data:`WWC_BOUNDARIES`,
:func:`wwc_attrition_rating`) and bounds the effect under the worst
selection consistent with the data (:func:`lee_bounds`).

``WWC_BOUNDARIES`` was transcribed (not computed) from the WWC Procedures and
Standards Handbook, version 4.1, Table II.1, "Highest differential attrition
rate for a sample to maintain low attrition, by overall attrition rate,
under 'optimistic' and 'cautious' assumptions", via a public R package's
table (baselinr), cross-checked against a second transcription citing v4.0
(see the project notes ``wwc-attrition.md``).

References
----------
Lee, D. S. (2009). Training, wages, and sample selection: Estimating sharp
bounds on treatment effects. *Review of Economic Studies*, 76(3), 1071-1102.

What Works Clearinghouse (2020). *Procedures and Standards Handbook,
Version 4.1*, Table II.1. Institute of Education Sciences.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from coachbook._validate import require_binary, require_columns, require_numeric

__all__ = [
    "AttritionRates",
    "LeeBounds",
    "WWC_BOUNDARIES",
    "attrition_rates",
    "lee_bounds",
    "wwc_attrition_rating",
]

# Tolerance for comparing percentages computed in floating point with the
# table's one-decimal numbers (10.000000000001 % must still read as 10 %).
_EPS = 1e-9


def _binary_column(data: pd.DataFrame, column: str, role: str) -> np.ndarray:
    if data[column].isna().any():
        raise ValueError(
            f"{role} column {column!r} has {int(data[column].isna().sum())} missing value(s); "
            "every randomized unit needs it coded 0/1."
        )
    return require_binary(data[column], f"{role} column {column!r}")


# --------------------------------------------------------------------------
# Attrition rates
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class AttritionRates:
    """Attrition in percent of the randomized sample.

    ``differential_pct`` is the absolute difference between the arms, as the
    WWC uses it; compare ``treatment_pct`` and ``control_pct`` for its sign.
    """

    overall_pct: float
    treatment_pct: float
    control_pct: float
    differential_pct: float
    n: int
    n_treatment: int
    n_control: int

    def wwc_rating(self, boundary: str = "cautious") -> str:
        """``"low"`` or ``"high"`` by :func:`wwc_attrition_rating`."""
        return wwc_attrition_rating(self.overall_pct, self.differential_pct, boundary)


def attrition_rates(
    data: pd.DataFrame, treatment: str = "treatment", observed: str = "observed"
) -> AttritionRates:
    """Overall and by-arm attrition, and their differential, in percent.

    Attrition is the share of *randomized* units without the outcome:
    :math:`100\\,(1 - \\bar O)` overall and within each arm, where
    :math:`O_j = 1` if unit *j*'s outcome was observed. The differential is
    :math:`|a_T - a_C|` in percentage points.

    Parameters
    ----------
    data : DataFrame
        One row per randomized unit (including those later lost).
    treatment : str
        0/1 assignment column.
    observed : str
        0/1 column, 1 = outcome observed. For a missing-outcome definition
        use ``data.assign(observed=data[outcome].notna())``.

    Returns
    -------
    AttritionRates
    """
    require_columns(data, [treatment, observed])
    arm = _binary_column(data, treatment, "treatment")
    seen = _binary_column(data, observed, "observed")
    if set(arm) != {0, 1}:
        raise ValueError(f"treatment column {treatment!r} must contain both arms (0 and 1).")
    lost_t = 100 * (1 - seen[arm == 1].mean())
    lost_c = 100 * (1 - seen[arm == 0].mean())
    return AttritionRates(
        overall_pct=float(100 * (1 - seen.mean())),
        treatment_pct=float(lost_t),
        control_pct=float(lost_c),
        differential_pct=float(abs(lost_t - lost_c)),
        n=len(arm),
        n_treatment=int((arm == 1).sum()),
        n_control=int((arm == 0).sum()),
    )


# --------------------------------------------------------------------------
# WWC attrition standard
# --------------------------------------------------------------------------
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


# --------------------------------------------------------------------------
# Lee (2009) bounds
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class LeeBounds:
    """Lee (2009) bounds on the effect for units observed in either arm.

    Attributes
    ----------
    lower, upper : float
        Sharp bounds on the treatment-minus-control difference in means.
    trim_share : float
        Share ``p`` of the observed units of the trimmed arm that is removed.
    obs_rate_ratio : float
        Higher observation rate divided by the lower (>= 1).
    trimmed_arm : str
        ``"treatment"``, ``"control"`` or ``"neither"`` (equal rates).
    obs_rate_treatment, obs_rate_control : float
        Share of each arm with the outcome observed.
    n_treatment_observed, n_control_observed : int
        Observed units per arm before trimming.
    """

    lower: float
    upper: float
    trim_share: float
    obs_rate_ratio: float
    trimmed_arm: str
    obs_rate_treatment: float
    obs_rate_control: float
    n_treatment_observed: int
    n_control_observed: int


def lee_bounds(
    data: pd.DataFrame,
    outcome: str,
    treatment: str = "treatment",
    observed: str | None = None,
) -> LeeBounds:
    """Lee (2009) trimming bounds for a randomized trial with attrition.

    Assume *monotonicity*: assignment can only make units more likely to be
    observed (or only less likely), never some more and some less. Then the
    arm with the higher observation rate :math:`q_{more}` contains all units
    that would be observed in either arm plus an excess share

    .. math:: p = \\frac{q_{more} - q_{less}}{q_{more}}

    of its observed units that are observed only because of their
    assignment. We do not know which they are, so drop the share *p* with
    the highest, then the lowest, outcomes from that arm and compare means
    with the other arm. These two extremes bound the effect for units who
    would be observed in either arm:

    - If the **treatment** arm is observed more, trimming its top gives the
      lower bound and trimming its bottom the upper bound.
    - If the **control** arm is observed more (as in the PACES voucher
      data), it is the other way round: trimming the control arm's *bottom*
      raises the control mean and gives the lower bound; trimming its top
      gives the upper bound.

    Kraft and Hill (2019) use these bounds for the follow-up year, where
    coaching kept more treatment teachers in the study.

    Parameters
    ----------
    data : DataFrame
        One row per randomized unit, including those with missing outcomes.
    outcome : str
        Numeric outcome, required wherever ``observed`` is 1.
    treatment : str
        0/1 assignment column.
    observed : str, optional
        0/1 column, 1 = outcome observed. If omitted, an outcome is observed
        when it is not missing. Give it when lost units carry a placeholder
        value (in the PACES file untested pupils have score 0).

    Returns
    -------
    LeeBounds

    Notes
    -----
    Conventions (they matter in small samples): the cut points are numpy's
    default (linear-interpolation) quantiles :math:`Q(p)` and :math:`Q(1-p)`
    of the trimmed arm's observed outcomes, and trimming is inclusive, i.e.
    we keep :math:`y \\le Q(1-p)` for the lower-bound side and
    :math:`y \\ge Q(p)` for the other, so ties at the cut point are kept.
    With these conventions this function reproduces the bounds Semenova
    (2020) tabulates for the Angrist, Bettinger & Kremer (2006) voucher data.
    No covariates, no standard errors.

    Raises
    ------
    ValueError
        Missing columns; treatment or observed not 0/1; no attrition at all
        (no bounds needed: analyse the full sample); every unit of an arm
        unobserved (nothing to compare); an observed unit with a missing
        outcome.

    References
    ----------
    Lee (2009), Proposition 1. Semenova, V. (2020), "Generalized Lee bounds",
    working paper (tabulates the no-covariate PACES bounds reproduced in the tests).
    Angrist, J., Bettinger, E., & Kremer, M. (2006). Long-term educational
    consequences of secondary school vouchers. *American Economic Review*,
    96(3), 847-862.
    """
    require_columns(data, [outcome, treatment] + ([observed] if observed else []))
    require_numeric(data, [outcome])
    arm = _binary_column(data, treatment, "treatment")
    if set(arm) != {0, 1}:
        raise ValueError(f"treatment column {treatment!r} must contain both arms (0 and 1).")
    if observed is None:
        seen = data[outcome].notna().to_numpy().astype(int)
    else:
        seen = _binary_column(data, observed, "observed")
        unexplained = (seen == 1) & data[outcome].isna().to_numpy()
        if unexplained.any():
            raise ValueError(
                f"{int(unexplained.sum())} unit(s) are marked observed but have a missing "
                f"{outcome!r}; fix the {observed!r} column."
            )
    if seen.all():
        raise ValueError(
            "no attrition: every unit's outcome is observed, so Lee bounds are not needed "
            "(they would collapse to the difference in means); estimate the effect directly."
        )
    y = data[outcome].to_numpy(dtype=float)
    y_t, y_c = y[(arm == 1) & (seen == 1)], y[(arm == 0) & (seen == 1)]
    for values, name in [(y_t, "treatment"), (y_c, "control")]:
        if values.size == 0:
            raise ValueError(
                f"every unit in the {name} arm is unobserved; there is nothing to compare, "
                "so the effect cannot be bounded."
            )

    q_t, q_c = seen[arm == 1].mean(), seen[arm == 0].mean()
    q_more, q_less = max(q_t, q_c), min(q_t, q_c)
    p = (q_more - q_less) / q_more

    def trimmed_means(values):
        """(mean after dropping the top share p, mean after dropping the bottom share p)."""
        top_cut, bottom_cut = np.quantile(values, 1 - p), np.quantile(values, p)
        return values[values <= top_cut].mean(), values[values >= bottom_cut].mean()

    if q_t > q_c:
        trimmed_arm = "treatment"
        without_top, without_bottom = trimmed_means(y_t)
        lower, upper = without_top - y_c.mean(), without_bottom - y_c.mean()
    elif q_c > q_t:
        trimmed_arm = "control"
        without_top, without_bottom = trimmed_means(y_c)
        lower, upper = y_t.mean() - without_bottom, y_t.mean() - without_top
    else:
        trimmed_arm = "neither"
        lower = upper = y_t.mean() - y_c.mean()

    return LeeBounds(
        lower=float(lower),
        upper=float(upper),
        trim_share=float(p),
        obs_rate_ratio=float(q_more / q_less),
        trimmed_arm=trimmed_arm,
        obs_rate_treatment=float(q_t),
        obs_rate_control=float(q_c),
        n_treatment_observed=int(y_t.size),
        n_control_observed=int(y_c.size),
    )
