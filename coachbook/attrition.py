"""Attrition: how much of the randomized sample was lost, and what it can do.

Randomization makes the arms comparable only as randomized. When outcomes
are missing for some units, and especially when the treatment changes *who*
goes missing (MQI Coaching kept more teachers teaching math, Kraft & Hill
2019, Table 4), the units left to compare may no longer be comparable.
This module measures attrition (:func:`attrition_rates`), rates it against
the What Works Clearinghouse boundaries (:data:`WWC_BOUNDARIES`,
:func:`wwc_attrition_rating`) and bounds the effect under the worst
selection consistent with the data (:func:`lee_bounds`; around a regression
model with block fixed effects, :func:`lee_bounds_fe`; both trim with
:func:`lee_trimming_weights`, fractionally at the cut point so that the
bounds stay sharp with tied outcomes). The robustness
checks that go with them are at the end: retention and attrition as linear
probability models (:func:`lpm_block_fe`), stayers against leavers
(:func:`stayer_leaver_table`, :func:`joint_attrition_test`), moderation
(:func:`treatment_interaction`) and multiple testing (:func:`multiple_testing`).

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

from coachbook._validate import (
    require_binary,
    require_both_arms,
    require_columns,
    require_numeric,
)

__all__ = [
    "AttritionRates",
    "BlockLPM",
    "LEE_TRIMMINGS",
    "LeeBounds",
    "LeeFE",
    "WWC_BOUNDARIES",
    "attrition_rates",
    "joint_attrition_test",
    "lee_bounds",
    "lee_bounds_fe",
    "lee_trimming_weights",
    "lpm_block_fe",
    "multiple_testing",
    "stayer_leaver_table",
    "treatment_interaction",
    "wwc_attrition_rating",
]

# Tolerance for comparing percentages computed in floating point with the
# table's one-decimal numbers (10.000000000001 % must still read as 10 %).
_EPS = 1e-9


def _binary_column(data: pd.DataFrame, column: str, role: str) -> np.ndarray:
    _require_not_text(data, [column])
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
#: Trimming rules of :func:`lee_trimming_weights`.
LEE_TRIMMINGS = ("sharp", "quantile")


@dataclass(frozen=True)
class LeeBounds:
    """Lee (2009) bounds on the effect for units observed in either arm.

    Attributes
    ----------
    lower, upper : float
        Bounds on the treatment-minus-control difference in means.
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
    n_trimmed : float
        Observations removed from the trimmed arm for the lower bound: exactly
        ``p`` times its observed units with ``trimming="sharp"`` (a fraction of
        a unit is removed at the cut point), a whole number with ``"quantile"``.
    trimming : str
        The trimming rule used (see :func:`lee_trimming_weights`).
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
    n_trimmed: float = float("nan")
    trimming: str = "sharp"


@dataclass(frozen=True)
class LeeFE:
    """Lee bounds re-estimated with the unconditional model (block fixed effects).

    ``lower``/``upper`` and their standard errors and p-values come from
    refitting the model after trimming; ``trim_share`` is Lee's ``p``,
    ``trimmed_arm`` the arm trimmed, ``n_trimmed`` how many of its units were
    removed for the lower bound (a fractional number with sharp trimming, see
    :class:`LeeBounds`) and ``trimming`` the rule used.
    """

    lower: float
    upper: float
    se_lower: float
    se_upper: float
    p_lower: float
    p_upper: float
    trim_share: float
    trimmed_arm: str
    n_trimmed: float
    trimming: str = "sharp"


def _check_trimming(trimming: str) -> None:
    if trimming not in LEE_TRIMMINGS:
        raise ValueError(f"trimming must be one of {LEE_TRIMMINGS}, got {trimming!r}.")


def _text_numbers(series: pd.Series) -> bool:
    """True for a text column whose values all read as numbers ("1", "0.25")."""
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return False
    values = series.dropna()
    if values.empty or not values.map(lambda v: isinstance(v, str)).any():
        return False
    return bool(pd.to_numeric(values, errors="coerce").notna().all())


def _require_not_text(data: pd.DataFrame, columns, what: str = "data") -> None:
    for col in columns:
        if _text_numbers(data[col]):
            example = data[col].dropna().iloc[0]
            raise ValueError(
                f"column {col!r} of {what} holds numbers stored as text (for example "
                f"{example!r}); convert it first, e.g. "
                f"{what}[{col!r}] = pd.to_numeric({what}[{col!r}])."
            )


def _require_finite(values: np.ndarray, column: str) -> None:
    if not np.isfinite(values).all():
        raise ValueError(
            f"outcome {column!r} has infinite values; Lee bounds need finite outcomes."
        )


def _trim_share(q_t: float, q_c: float) -> tuple[float, str]:
    """Lee's trimming share ``p = (q_more - q_less) / q_more`` and the arm observed more."""
    q_more, q_less = max(q_t, q_c), min(q_t, q_c)
    p = (q_more - q_less) / q_more
    arm = "treatment" if q_t > q_c else "control" if q_c > q_t else "neither"
    return p, arm


def lee_trimming_weights(values, p: float, drop: str, trimming: str = "sharp") -> np.ndarray:
    """Weights that remove the top or bottom share ``p`` of ``values``: Lee's trimming.

    With ``trimming="sharp"`` (the default) the kept mass is exactly
    :math:`(1 - p)\\,n`: dropping the top share, every value below the cut
    point :math:`c` keeps weight 1, every value above it weight 0, and the
    values equal to :math:`c` share the rest equally,

    .. math:: w_c = \\frac{(1 - p)\\,n - \\#\\{y < c\\}}{\\#\\{y = c\\}},

    where :math:`c` is the smallest value with :math:`\\#\\{y \\le c\\} \\ge (1-p)\\,n`
    (mirror image for the bottom share). The weighted mean is then the mean
    of the lower (upper) :math:`1 - p` share of the empirical distribution,
    which is what Lee's sharp bounds trim. With a continuous outcome one
    observation is cut in part (unless :math:`p\\,n` is a whole number); with a
    discrete outcome (a 0/1 indicator, a rating) the tied values at the cut
    point are cut in part together, so ties can no longer keep too much.

    ``trimming="quantile"`` is the older whole-observation rule: keep
    :math:`y \\le Q(1-p)` (or :math:`y \\ge Q(p)`) for numpy's default linear
    quantile :math:`Q` (R's type 7), ties at the cut point all kept. It is the
    convention of the tables in Semenova (2020) and of the calibration of the
    bundled MQI files; it is not sharp when outcomes are tied (a 0/1 outcome is
    never trimmed at all) and, even without ties, it keeps a whole number of
    observations, :math:`\\lfloor (n-1)(1-p) \\rfloor + 1`, where the sharp rule
    keeps :math:`(1-p)\\,n`. The two agree when the outcomes are distinct and
    :math:`p\\,n` is a whole number.

    Parameters
    ----------
    values : array-like
        Observed outcomes of the trimmed arm (no missing values).
    p : float
        Share to remove, ``0 <= p < 1``.
    drop : {"top", "bottom"}
        Which tail to remove.
    trimming : {"sharp", "quantile"}

    Returns
    -------
    ndarray
        One weight in [0, 1] per value, in the order given; they sum to
        :math:`(1-p)\\,n` with ``"sharp"``.
    """
    _check_trimming(trimming)
    if drop not in ("top", "bottom"):
        raise ValueError(f"drop must be 'top' or 'bottom', got {drop!r}.")
    y = np.asarray(values, dtype=float)
    if y.ndim != 1 or y.size == 0:
        raise ValueError("values must be a non-empty one-dimensional array of outcomes.")
    if np.isnan(y).any():
        raise ValueError("values has missing outcomes; pass the observed outcomes only.")
    if not (0 <= p < 1):
        raise ValueError(f"the trimming share p must be in [0, 1), got {p!r}.")
    if trimming == "quantile":
        if drop == "top":
            return (y <= np.quantile(y, 1 - p)).astype(float)
        return (y >= np.quantile(y, p)).astype(float)
    n = y.size
    kept = (1 - p) * n
    if abs(kept - round(kept)) <= 1e-9 * n:   # p n a whole number up to rounding (p = 1/9, n = 18)
        kept = float(round(kept))
    levels, inverse, counts = np.unique(y if drop == "top" else -y, return_inverse=True,
                                        return_counts=True)
    cum = np.cumsum(counts)
    cut = int(np.searchsorted(cum, kept, side="left"))   # first level with #{y <= c} >= kept
    level_weight = (np.arange(levels.size) < cut).astype(float)
    level_weight[cut] = (kept - (cum[cut] - counts[cut])) / counts[cut]
    return level_weight[inverse.ravel()]


def _bound_weights(y, arm, p, trimmed_arm, trimming):
    """Unit weights for the lower and for the upper bound (1 outside the trimmed arm).

    Treatment observed more: its top share is removed for the lower bound and
    its bottom share for the upper bound; control observed more: its bottom
    share for the lower bound (raising the control mean) and its top share for
    the upper bound.
    """
    w_lo, w_hi = np.ones(len(y)), np.ones(len(y))
    if trimmed_arm == "neither" or p == 0:
        return w_lo, w_hi
    inside = arm == (1 if trimmed_arm == "treatment" else 0)
    top = lee_trimming_weights(y[inside], p, "top", trimming)
    bottom = lee_trimming_weights(y[inside], p, "bottom", trimming)
    w_lo[inside], w_hi[inside] = (top, bottom) if trimmed_arm == "treatment" else (bottom, top)
    return w_lo, w_hi


def lee_bounds(
    data: pd.DataFrame,
    outcome: str,
    treatment: str = "treatment",
    observed: str | None = None,
    trimming: str = "sharp",
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
    trimming : {"sharp", "quantile"}
        ``"sharp"`` (default): remove exactly the share *p*, the
        observations at the cut point weighted by the fraction kept, which
        gives Lee's sharp bounds also with tied (discrete) outcomes.
        ``"quantile"``: the older whole-observation rule of Semenova's tables.
        See :func:`lee_trimming_weights`.

    Returns
    -------
    LeeBounds

    Notes
    -----
    Why the fractional weight matters: with a 0/1 outcome, 18 of 20 treated
    and 16 of 20 control units observed and half of each arm at 1,
    :math:`p = (0.9 - 0.8)/0.9 = 1/9`, i.e. 2 of the 18 treated. Removing two
    1s gives :math:`7/16 - 1/2 = -0.0625`, two 0s :math:`9/16 - 1/2 = 0.0625`:
    the sharp bounds are [-0.0625, 0.0625]. The whole-observation rule keeps
    every value :math:`\\le Q(1 - p) = 1`, i.e. everything, and returns [0, 0].
    No covariates, no standard errors (see :func:`lee_bounds_fe` for bounds
    around a regression model).

    Raises
    ------
    ValueError
        Missing columns; treatment or observed not 0/1 (or numbers stored as
        text); an outcome that is not numeric; no attrition at all (no bounds
        needed: analyse the full sample); every unit of an arm unobserved
        (nothing to compare); an observed unit with a missing outcome.

    References
    ----------
    Lee (2009), Proposition 1. Semenova, V. (2020), "Generalized Lee bounds",
    working paper (tabulates the no-covariate PACES bounds reproduced in the
    tests with ``trimming="quantile"``).
    Angrist, J., Bettinger, E., & Kremer, M. (2006). Long-term educational
    consequences of secondary school vouchers. *American Economic Review*,
    96(3), 847-862.
    """
    _check_trimming(trimming)
    require_columns(data, [outcome, treatment] + ([observed] if observed else []))
    _require_not_text(data, [outcome, treatment] + ([observed] if observed else []))
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
    for values, name in [(y[(arm == 1) & (seen == 1)], "treatment"),
                         (y[(arm == 0) & (seen == 1)], "control")]:
        if values.size == 0:
            raise ValueError(
                f"every unit in the {name} arm is unobserved; there is nothing to compare, "
                "so the effect cannot be bounded."
            )
    in_sample = seen == 1
    y, arm_seen = y[in_sample], arm[in_sample]
    _require_finite(y, outcome)

    q_t, q_c = seen[arm == 1].mean(), seen[arm == 0].mean()
    p, trimmed_arm = _trim_share(q_t, q_c)
    w_lo, w_hi = _bound_weights(y, arm_seen, p, trimmed_arm, trimming)
    t, c = arm_seen == 1, arm_seen == 0

    def difference(w):
        return np.average(y[t], weights=w[t]) - np.average(y[c], weights=w[c])

    n_more = int((t if trimmed_arm == "treatment" else c).sum())
    more_weights = w_lo[t] if trimmed_arm == "treatment" else w_lo[c]
    return LeeBounds(
        lower=float(difference(w_lo)),
        upper=float(difference(w_hi)),
        trim_share=float(p),
        obs_rate_ratio=float(max(q_t, q_c) / min(q_t, q_c)),
        trimmed_arm=trimmed_arm,
        obs_rate_treatment=float(q_t),
        obs_rate_control=float(q_c),
        n_treatment_observed=int(t.sum()),
        n_control_observed=int(c.sum()),
        n_trimmed=float(n_more - more_weights.sum()),
        trimming=trimming,
    )


def _weighted_block_ols(y, t, blocks, w):
    """(estimate, HC1 se, t-based p) of the treatment: WLS on treatment and block dummies.

    ``w`` are frequency weights (1, or a fraction for a unit cut in part at a
    Lee cut point): HC1 sandwich :math:`(X'WX)^{-1} X' W \\hat E^2 X (X'WX)^{-1}
    \\cdot n / (n - k)` with :math:`n = \\sum w`, t reference on :math:`n - k`
    df. With 0/1 weights this is :func:`coachbook.rct.itt` (OLS, HC1) on the
    units of weight 1.
    """
    from scipy import stats

    from .synth.mqi_outcomes import _dummies, _independent

    keep = w > 0
    y, t, w = y[keep], t[keep], w[keep]
    cols = [np.ones(len(y)), t]
    if blocks is not None:
        cols.append(_dummies(blocks[keep]))
    x = _independent(np.column_stack(cols))
    bread = np.linalg.pinv(x.T @ (x * w[:, None]))
    beta = bread @ (x.T @ (w * y))
    resid = y - x @ beta
    n, k = float(w.sum()), x.shape[1]
    meat = (x * (w * resid ** 2)[:, None]).T @ x
    cov = bread @ meat @ bread * n / (n - k)
    est, se = float(beta[1]), float(np.sqrt(cov[1, 1]))
    return est, se, float(2 * stats.t.sf(abs(est / se), n - k))


def _weighted_random_intercept(y, t, blocks, groups, w):
    """(estimate, se, normal p) of the treatment in a random-intercept model, REML.

    The model of :func:`coachbook.synth.mqi_outcomes.fit_random_intercept`
    (treatment and block dummies, a random intercept per group) with group
    frequency weights ``w`` (constant within a group): each group's
    contribution to the restricted likelihood is multiplied by its weight,

    .. math:: \\tfrac12 \\big[(N_w - p) \\log RSS_w + \\textstyle\\sum_j w_j
              \\log(1 + n_j \\gamma) + \\log\\det A_w\\big],

    with :math:`N_w = \\sum_j w_j n_j` and the weighted cross-products
    :math:`A_w = \\sum_j w_j X_j' (I + \\gamma J)^{-1} X_j`. With 0/1 weights
    it is the unweighted fit to the groups of weight 1. The optimum is found
    and polished to machine precision as in :class:`~coachbook.synth.mqi_outcomes._RIDesign`.
    """
    from scipy import linalg, optimize, stats

    from .synth.mqi_outcomes import _dummies, _independent, _polish_root

    keep = w > 0
    y, t, w, groups = y[keep], t[keep], w[keep], groups[keep]
    cols = [np.ones(len(y)), t]
    if blocks is not None:
        cols.append(_dummies(blocks[keep]))
    x = _independent(np.column_stack(cols))
    codes, _ = pd.factorize(pd.Series(groups))
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    n_j = np.diff(np.r_[starts, len(codes)]).astype(float)
    w_j = w[order][starts]
    xbar = np.add.reduceat(x[order], starts, axis=0) / n_j[:, None]
    ybar = np.add.reduceat(y[order], starts) / n_j
    xw = x * w[:, None]
    xtx, xty, yty = x.T @ xw, xw.T @ y, float(y @ (w * y))
    dof = float(np.sum(w_j * n_j)) - x.shape[1]

    def pieces(gamma):
        shrink = w_j * n_j ** 2 * gamma / (1.0 + n_j * gamma)
        a = xtx - (xbar * shrink[:, None]).T @ xbar
        b = xty - xbar.T @ (shrink * ybar)
        chol = np.linalg.cholesky(a)
        half = np.linalg.solve(chol, b)
        rss = yty - float(np.sum(shrink * ybar ** 2)) - float(half @ half)
        return a, b, chol, rss

    def criterion(gamma):
        _, _, chol, rss = pieces(gamma)
        logdet = 2.0 * float(np.sum(np.log(np.diag(chol))))
        return 0.5 * (dof * np.log(rss) + float(np.sum(w_j * np.log1p(n_j * gamma))) + logdet)

    def score(gamma):
        a, b, _, rss = pieces(gamma)
        dw = w_j * n_j ** 2 / (1.0 + n_j * gamma) ** 2
        a_inv = np.linalg.inv(a)
        resid = ybar - xbar @ (a_inv @ b)
        d_rss = -float(np.sum(dw * resid ** 2))
        d_logdet = -float(np.sum(a_inv * ((xbar * dw[:, None]).T @ xbar)))
        return 0.5 * (dof * d_rss / rss + float(np.sum(w_j * n_j / (1.0 + n_j * gamma)))
                      + d_logdet)

    lo, hi = -16.0, 6.0
    res = optimize.minimize_scalar(lambda lg: criterion(np.exp(lg)), bounds=(lo, hi),
                                   method="bounded", options={"xatol": 1e-7})
    lg, interior = _polish_root(lambda v: score(np.exp(v)), float(res.x), lo, hi)
    gamma = float(np.exp(lg))
    if not interior and lg < lo + 0.5 and score(0.0) >= 0:
        gamma = 0.0
    elif criterion(0.0) < criterion(gamma):
        gamma = 0.0
    a, b, _, rss = pieces(gamma)
    a_inv = linalg.inv(a)
    beta = a_inv @ b
    est, se = float(beta[1]), float(np.sqrt(rss / dof * a_inv[1, 1]))
    return est, se, float(2 * stats.norm.sf(abs(est / se)))


def lee_bounds_fe(
    data: pd.DataFrame,
    outcome: str,
    roster: pd.DataFrame,
    multilevel: bool = False,
    treatment: str = "treatment",
    block: str | None = "block",
    cluster: str = "teacher_id",
    trimming: str = "sharp",
) -> LeeFE:
    """Lee (2009) bounds around the unconditional model, as Kraft and Hill compute them.

    The trimming share is Lee's ``p = (q_more - q_less) / q_more`` with ``q``
    the share of each arm's *randomized* units (all rows of ``roster``) that
    have the outcome. In the arm observed more often (treatment, in the
    follow-up year of the MQI trial) the units with the highest outcomes (a
    unit's mean over its rows, e.g. a teacher's mean over her students) are
    removed for the lower bound and those with the lowest for the upper bound,
    by :func:`lee_trimming_weights`: with ``trimming="sharp"`` exactly the
    share *p*, the unit(s) at the cut point entering with the fraction kept as
    a frequency weight. The unconditional model is then re-estimated on what
    is left: weighted OLS with block fixed effects and HC1 standard errors for
    unit-level outcomes (``multilevel=False``; ``data`` one row per unit; with
    0/1 weights this is :func:`coachbook.rct.itt`), the random-intercept
    model (REML) with block fixed effects for outcomes measured below the unit
    (``multilevel=True``; ``data`` one row per student, the random intercept
    per ``cluster``). Without blocks and for unit-level outcomes the bounds
    equal :func:`lee_bounds`.

    Parameters
    ----------
    data : DataFrame
        ``cluster``, ``outcome``, ``treatment`` and ``block``; rows with a
        missing outcome are ignored.
    outcome : str
        Numeric outcome.
    roster : DataFrame
        One row per randomized unit (``cluster`` and ``treatment``), those
        without the outcome included: it defines the observation rates.
    multilevel : bool
        Rows of ``data`` are nested in units (students in teachers).
    treatment, block : str
        0/1 assignment and randomization-block columns (``block=None``: no
        fixed effects). Every block of the roster needs both arms.
    cluster : str
        Column of the randomized unit's id, in ``data`` and ``roster``: the
        unit that is trimmed and, with ``multilevel=True``, the group of the
        random intercept (``"teacher_id"`` in the MQI trial).
    trimming : {"sharp", "quantile"}
        See :func:`lee_trimming_weights`; ``"quantile"`` removes whole units
        (the convention of the generator's calibration).

    Returns
    -------
    LeeFE

    Raises
    ------
    ValueError
        Missing columns; treatment not 0/1 or numbers stored as text; a
        roster without both arms, with repeated or missing unit ids, or a
        block with one arm only; rows of ``data`` whose unit is not in the
        roster or whose treatment differs from it; several rows per unit with
        ``multilevel=False``; no unit of an arm observed.
    """
    _check_trimming(trimming)
    blocks = [block] if block is not None else []
    require_columns(data, [cluster, outcome, treatment, *blocks])
    require_columns(roster, [cluster, treatment], what="roster")
    _require_not_text(data, [outcome, treatment])
    _require_not_text(roster, [treatment], what="roster")
    require_numeric(data, [outcome])
    units = roster[cluster]
    if units.isna().any():
        raise ValueError(f"roster column {cluster!r} has missing unit ids; every randomized unit "
                         "needs one.")
    if units.duplicated().any():
        raise ValueError(
            f"roster has repeated {cluster!r} ids (e.g. {units[units.duplicated()].iloc[0]!r}); "
            "it must list each randomized unit once."
        )
    arm = _binary_column(roster, treatment, "treatment")
    if set(arm) != {0, 1}:
        raise ValueError(f"treatment column {treatment!r} of the roster must contain both arms "
                         "(0 and 1).")
    if block is not None:
        design = roster if block in roster.columns else data.drop_duplicates(cluster)
        if design[block].isna().any():
            raise ValueError(
                f"block column {block!r} has missing values; every unit needs its block."
            )
        require_both_arms(design, treatment, by=block)
    if data[cluster].isna().any():
        raise ValueError(f"column {cluster!r} of data has missing unit ids.")
    unknown = ~data[cluster].isin(units)
    if unknown.any():
        raise ValueError(
            f"{int(unknown.sum())} row(s) of data belong to units not in the roster "
            f"(e.g. {data.loc[unknown, cluster].iloc[0]!r}); pass the roster of every "
            "randomized unit."
        )
    if not multilevel and data[cluster].duplicated().any():
        raise ValueError(
            f"data has several rows per {cluster!r}; pass one row per unit, or "
            "multilevel=True for outcomes measured within units (students within teachers)."
        )
    roster_arm = pd.Series(arm, index=units.to_numpy())
    data_arm = _binary_column(data, treatment, "treatment")
    if (data_arm != roster_arm.reindex(data[cluster].to_numpy()).to_numpy()).any():
        raise ValueError(f"treatment in data differs from the roster's for some {cluster!r}; "
                         "merge assignment from the roster.")
    d = data[data[outcome].notna()]
    if d.empty:
        raise ValueError(f"no row has {outcome!r} observed; nothing to bound.")
    y = d[outcome].to_numpy(dtype=float)
    _require_finite(y, outcome)
    unit = d.groupby(cluster, sort=True)[outcome].mean()
    seen = roster_arm.index.isin(unit.index)
    q_t, q_c = seen[arm == 1].mean(), seen[arm == 0].mean()
    for q, name in [(q_t, "treatment"), (q_c, "control")]:
        if q == 0:
            raise ValueError(f"no unit of the {name} arm has {outcome!r} observed; there is "
                             "nothing to compare, so the effect cannot be bounded.")
    p, trimmed_arm = _trim_share(q_t, q_c)
    unit_arm = roster_arm.reindex(unit.index).to_numpy()
    w_lo, w_hi = _bound_weights(unit.to_numpy(dtype=float), unit_arm, p, trimmed_arm, trimming)
    rows = d[cluster].to_numpy()
    t = d[treatment].to_numpy(dtype=float)
    block_values = d[block].to_numpy() if block is not None else None
    out = []
    for w in (w_lo, w_hi):
        row_w = pd.Series(w, index=unit.index).reindex(rows).to_numpy()
        if multilevel:
            out.append(_weighted_random_intercept(y, t, block_values, rows, row_w))
        else:
            out.append(_weighted_block_ols(y, t, block_values, row_w))
    inside = unit_arm == (1 if trimmed_arm == "treatment" else 0)
    n_trimmed = 0.0 if trimmed_arm == "neither" else float(inside.sum() - w_lo[inside].sum())
    return LeeFE(lower=out[0][0], upper=out[1][0], se_lower=out[0][1], se_upper=out[1][1],
                 p_lower=out[0][2], p_upper=out[1][2], trim_share=float(p),
                 trimmed_arm=trimmed_arm, n_trimmed=n_trimmed, trimming=trimming)


# --------------------------------------------------------------------------
# Linear probability models of retention and attrition (Tables 4 and A1)
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class BlockLPM:
    """A 0/1 outcome regressed on assignment with block fixed effects.

    Attributes
    ----------
    estimate, se, p : float
        Treatment coefficient, its HC1 standard error and two-sided p-value
        (from :func:`coachbook.rct.itt`).
    constant, constant_se, constant_p : float
        The intercept as Stata's ``areg`` reports it, :math:`\\bar y - \\hat\\beta
        \\bar T` (the block effects averaged over the sample), its HC1
        standard error and t-based p-value. It is close to the control-group
        mean, which is how Kraft and Hill label it.
    control_mean : float
        Raw share of control units with the outcome equal to 1.
    n : int
        Units in the regression.
    """

    estimate: float
    se: float
    p: float
    constant: float
    constant_se: float
    constant_p: float
    control_mean: float
    n: int


def lpm_block_fe(
    data: pd.DataFrame, outcome: str, treatment: str = "treatment", block: str = "block"
) -> BlockLPM:
    """Linear probability model of a 0/1 outcome on assignment, block fixed effects, HC1.

    Fits :math:`Y_j = \\alpha + \\beta\\, Treat_j + \\pi_b + u_j` (OLS, HC1
    standard errors) with :func:`coachbook.rct.itt` for :math:`\\hat\\beta`,
    and reports the constant the way Stata's ``areg ..., absorb(block)
    robust`` does: the regression is rerun on block-demeaned data with the
    grand means added back, so the intercept is :math:`\\bar Y - \\hat\\beta
    \\bar T` and gets a robust standard error from the same sandwich (with
    the ``n / (n - k)`` correction counting the absorbed block effects). Kraft
    and Hill (2019) use this model for retention (Table 4: ``Y`` = still
    teaching) and for attrition from each outcome (Table A1: ``Y`` = outcome
    missing), and print the constant as the "control group mean".

    Parameters
    ----------
    data : DataFrame
        One row per randomized unit.
    outcome : str
        0/1 column (no missing values).
    treatment, block : str
        0/1 assignment and randomization-block columns.

    Returns
    -------
    BlockLPM
    """
    from .rct import itt

    require_columns(data, [outcome, treatment, block])
    y = _binary_column(data, outcome, "outcome").astype(float)
    t = _binary_column(data, treatment, "treatment").astype(float)
    res = itt(data, outcome, treatment=treatment, block=block)
    codes = pd.factorize(data[block])[0]
    n, n_blocks = len(y), codes.max() + 1

    def demeaned(v):
        means = np.bincount(codes, weights=v) / np.bincount(codes)
        return v - means[codes] + v.mean()

    x = np.column_stack([np.ones(n), demeaned(t)])
    yd = demeaned(y)
    bread = np.linalg.inv(x.T @ x)
    beta = bread @ x.T @ yd
    resid = yd - x @ beta
    meat = (x * resid[:, None] ** 2).T @ x
    dof = n - 2 - (n_blocks - 1)
    cov = bread @ meat @ bread * n / dof
    constant_se = float(np.sqrt(cov[0, 0]))
    from scipy import stats

    return BlockLPM(
        estimate=res.estimate,
        se=res.se,
        p=res.p,
        constant=float(beta[0]),
        constant_se=constant_se,
        constant_p=float(2 * stats.t.sf(abs(beta[0]) / constant_se, dof)),
        control_mean=float(y[t == 0].mean()),
        n=int(n),
    )


# --------------------------------------------------------------------------
# Who left? Stayers versus leavers (Table A3)
# --------------------------------------------------------------------------
def _leaver_frame(data, characteristics, observed, block):
    characteristics = list(characteristics)
    require_columns(data, [observed, *characteristics] + ([block] if block else []))
    require_numeric(data, characteristics)
    if not characteristics:
        raise ValueError("give at least one characteristic to compare.")
    seen = _binary_column(data, observed, "observed")
    if set(seen) != {0, 1}:
        raise ValueError(
            f"observed column {observed!r} must contain both stayers (1) and leavers (0); "
            "with no attrition there is nothing to compare."
        )
    if block is not None and data[block].isna().any():
        raise ValueError(f"block column {block!r} has missing values; every unit needs its block.")
    return data.assign(_exit=1 - seen), characteristics


def stayer_leaver_table(
    data: pd.DataFrame,
    characteristics,
    observed: str,
    block: str | None = "block",
) -> pd.DataFrame:
    """Baseline characteristics of units that stayed in and left an outcome's sample.

    For each characteristic :math:`X`: the raw means among stayers
    (``observed`` = 1) and leavers (``observed`` = 0), and the leaver-minus-
    stayer difference *within randomization blocks*, the coefficient
    :math:`\\delta` of :math:`X_j = \\alpha + \\delta\\, Exit_j + \\pi_b + u_j`
    with an HC1 standard error and t-based p-value, as in Kraft and Hill
    (2019, Table A3). Unlike :func:`coachbook.rct.balance_table`, a block
    need not contain both stayers and leavers (a block nobody left is
    allowed).

    Returns
    -------
    DataFrame
        Indexed by characteristic: ``mean_stay``, ``mean_exit``,
        ``difference`` (block-adjusted, exit minus stay), ``se``, ``p``,
        ``n_stay``, ``n_exit``.
    """
    import statsmodels.formula.api as smf

    frame, characteristics = _leaver_frame(data, characteristics, observed, block)
    rows = {}
    for char in characteristics:
        d = frame.dropna(subset=[char])
        rhs = "_exit" + (f" + C(Q({block!r}))" if block is not None else "")
        fit = smf.ols(f"Q({char!r}) ~ {rhs}", d).fit(cov_type="HC1", use_t=True)
        rows[char] = {
            "mean_stay": d.loc[d["_exit"] == 0, char].mean(),
            "mean_exit": d.loc[d["_exit"] == 1, char].mean(),
            "difference": fit.params["_exit"],
            "se": fit.bse["_exit"],
            "p": fit.pvalues["_exit"],
            "n_stay": int((d["_exit"] == 0).sum()),
            "n_exit": int((d["_exit"] == 1).sum()),
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "characteristic"
    return table


def joint_attrition_test(
    data: pd.DataFrame,
    characteristics,
    observed: str,
    block: str | None = "block",
    cov_type: str = "HC1",
):
    """Do baseline characteristics jointly predict leaving an outcome's sample?

    Regress the exit indicator (``1 - observed``) on all characteristics and
    block fixed effects (a linear probability model) and test that every
    characteristic's coefficient is zero with a robust Wald test in F form,
    :math:`F(k, n - \\text{rank})`, as Kraft and Hill (2019, Table A3, last
    row) do. This is :func:`coachbook.rct.joint_balance_test` with the exit
    indicator in place of assignment, with two differences that attrition
    needs: a block may have no leavers (or no stayers), and a characteristic
    that is an exact linear combination of earlier ones and the blocks (for
    example *middle school* next to *elementary school*) is dropped, as
    Stata omits it, instead of raising an error. Units missing any
    characteristic are dropped (complete cases).

    Returns
    -------
    coachbook.rct.JointBalanceTest
        ``statistic``, ``df_num`` (characteristics actually tested), ``df_denom``,
        ``p``, ``n`` and ``missing="complete"``.
    """
    import statsmodels.api as sm

    from .rct import JointBalanceTest

    frame, characteristics = _leaver_frame(data, characteristics, observed, block)
    if cov_type not in {"HC0", "HC1", "HC2", "HC3", "nonrobust"}:
        raise ValueError(f"cov_type must be HC0-HC3 or 'nonrobust', got {cov_type!r}.")
    d = frame.dropna(subset=characteristics)
    base = [np.ones(len(d))]
    if block is not None:
        base.append(pd.get_dummies(d[block], drop_first=True).to_numpy(float))
    x_base = np.column_stack(base)
    # Left to right, keep each characteristic that is not a linear combination of the
    # blocks and the characteristics kept before it. The pivot test of _keep_independent
    # (relative 1e-9) separates exact collinearity (pivots ~1e-16) from real variation
    # with a margin no rounding difference can cross, unlike a rank cut-off at ~1e-14.
    chars = d[characteristics].to_numpy(float)
    n_base = x_base.shape[1]
    picked = [j - n_base for j in _keep_independent(np.column_stack([x_base, chars]), protect=0)
              if j >= n_base]
    kept = [characteristics[j] for j in picked]
    x = np.column_stack([x_base, chars[:, picked]])
    if not kept:
        raise ValueError("every characteristic is constant within blocks; nothing to test.")
    fit = sm.OLS(d["_exit"].to_numpy(float), x).fit(cov_type=cov_type, use_t=True)
    restriction = np.zeros((len(kept), x.shape[1]))
    restriction[np.arange(len(kept)), x_base.shape[1] + np.arange(len(kept))] = 1.0
    return JointBalanceTest.from_f_test(fit.f_test(restriction), fit.nobs, "complete")


# --------------------------------------------------------------------------
# Moderation: treatment-by-characteristic interactions (Table A2)
# --------------------------------------------------------------------------
def _keep_independent(x: np.ndarray, protect: int, tol: float = 1e-9) -> np.ndarray:
    """Indices of columns of x to keep: the first ``protect`` always, then, left to
    right, each column that is not a linear combination of the columns kept before it.

    An incremental Cholesky factorization of the cross-product matrix: column
    *j* is kept when its squared distance from the span of the kept columns
    (the new pivot) exceeds ``tol`` times its squared length.
    """
    from scipy.linalg import solve_triangular

    gram = x.T @ x
    keep: list[int] = []
    chol = np.zeros((0, 0))
    for j in range(x.shape[1]):
        if keep:
            z = solve_triangular(chol, gram[keep, j], lower=True)
            pivot = gram[j, j] - z @ z
        else:
            z, pivot = np.zeros(0), gram[j, j]
        if pivot > tol * max(gram[j, j], 1e-300):
            k = len(keep)
            grown = np.zeros((k + 1, k + 1))
            grown[:k, :k] = chol
            grown[k, :k] = z
            grown[k, k] = np.sqrt(pivot)
            chol, keep = grown, keep + [j]
        elif j < protect:
            raise ValueError(
                "the treatment and the treatment-by-moderator interaction are collinear "
                "(is the moderator constant among treated units?); choose a moderator that varies."
            )
    return np.array(keep)


def _interaction_fit(d, outcome, moderator, treatment, block, controls, group):
    """(estimate, variance, dof, n) of the interaction in one complete data set."""
    d = d.dropna(subset=[outcome])
    t = d[treatment].to_numpy(float)
    m = d[moderator].to_numpy(float)
    cols = [np.ones(len(d)), t, t * m, m]
    if controls:
        cols.append(d[list(controls)].to_numpy(float))
    if block is not None:
        cols.append(pd.get_dummies(d[block], drop_first=True).to_numpy(float))
    x = np.column_stack(cols)
    x = x[:, _keep_independent(x, protect=3)]
    y = d[outcome].to_numpy(float)
    n, k = x.shape
    if group is None:
        bread = np.linalg.inv(x.T @ x)
        beta = bread @ x.T @ y
        resid = y - x @ beta
        cov = bread @ ((x * resid[:, None] ** 2).T @ x) @ bread * n / (n - k)
        return float(beta[2]), float(cov[2, 2]), float(n - k), n
    from .synth.mqi_outcomes import fit_random_intercept

    fit = fit_random_intercept(y, x, d[group].to_numpy())
    return float(fit.coef[2]), float(fit.cov[2, 2]), np.inf, n


def treatment_interaction(
    data,
    outcome: str,
    moderator: str,
    treatment: str = "treatment",
    block: str | None = "block",
    controls=(),
    group: str | None = None,
    df_complete: float | None = None,
) -> pd.Series:
    """Does the effect of assignment vary with a baseline characteristic?

    Fits the impact model with the moderator's main effect and its product
    with assignment,

    .. math:: Y = \\alpha + \\beta\\, T + \\lambda\\, T \\times M + \\mu M
              + \\gamma' X + \\pi_b + \\varepsilon ,

    and returns :math:`\\hat\\lambda`, the change in the effect per unit of
    the moderator *M* (per year of experience, per SD of a scale, or the
    difference between two districts for a 0/1 indicator), as in Kraft and
    Hill (2019, Table A2). A main effect already among the controls, or
    absorbed by the blocks (a district indicator when blocks are nested in
    districts), is dropped automatically.

    Parameters
    ----------
    data : DataFrame or list of DataFrames
        One row per unit (teacher outcomes) or per student (``group`` given).
        A list is read as ``m`` multiply imputed copies of the same data: the
        model is fitted to each and the interaction pooled by Rubin's rules
        (:func:`coachbook.multilevel.pool_rubin`, with ``df_complete`` for the
        Barnard-Rubin degrees of freedom).
    outcome, moderator, treatment, block : str
        Column names; ``treatment`` is 0/1; rows with a missing outcome are dropped.
    controls : sequence of str
        Numeric covariates (teacher characteristics; for student outcomes
        also student characteristics and prior scores).
    group : str, optional
        Column of the level-2 units (teachers). If given, the model is a
        random-intercept model fitted by REML
        (:func:`coachbook.synth.mqi_outcomes.fit_random_intercept`) with
        model-based standard errors and a normal reference, as the paper's
        student-level equations 2 and 3; otherwise OLS with HC1 standard
        errors and a t reference (equation 1).

    Returns
    -------
    Series
        ``estimate``, ``se``, ``p`` and ``n`` (rows used).
    """
    frames = data if isinstance(data, (list, tuple)) else [data]
    if not frames:
        raise ValueError("data is an empty list; pass a DataFrame or a list of imputed copies.")
    controls = [c for c in controls if c != moderator]
    needed = [outcome, moderator, treatment, *controls] + [c for c in (block, group) if c]
    for frame in frames:
        require_columns(frame, needed)
        require_numeric(frame, [outcome, moderator, *controls])
        require_binary(frame[treatment], f"treatment column {treatment!r}")
        if frame[[moderator, *controls]].loc[frame[outcome].notna()].isna().any().any():
            raise ValueError(
                "the moderator or a control is missing for some rows with an outcome; "
                "impute them (pass a list of imputed copies) or drop those rows first."
            )
    fits = [_interaction_fit(f, outcome, moderator, treatment, block, controls, group)
            for f in frames]
    n = fits[0][3]
    if len(fits) == 1:
        est, var, dof, _ = fits[0]
        se = math.sqrt(var)
        z = est / se
        from scipy import stats

        p = 2 * (stats.norm.sf(abs(z)) if np.isinf(dof) else stats.t.sf(abs(z), dof))
        return pd.Series({"estimate": est, "se": se, "p": float(p), "n": n})
    from .multilevel import pool_rubin

    pooled = pool_rubin([f[0] for f in fits], [f[1] for f in fits], df_complete=df_complete).iloc[0]
    return pd.Series({"estimate": float(pooled["estimate"]), "se": float(pooled["se"]),
                      "p": float(pooled["p"]), "n": n})


# --------------------------------------------------------------------------
# Many tests at once
# --------------------------------------------------------------------------
def multiple_testing(pvalues, alpha: float = 0.05) -> pd.DataFrame:
    """Unadjusted, Holm and Benjamini-Hochberg decisions for a family of tests.

    With *m* tests at level :math:`\\alpha` and every null hypothesis true,
    about :math:`\\alpha m` tests are "significant" by chance. Two standard
    corrections (``statsmodels.stats.multitest.multipletests``):

    - **Holm** (step-down Bonferroni) controls the family-wise error rate,
      the chance of *any* false positive: sort the p-values, compare the
      smallest with :math:`\\alpha/m`, the next with :math:`\\alpha/(m-1)`, and
      so on, stopping at the first that fails.
    - **Benjamini-Hochberg** controls the false discovery rate, the expected
      share of false positives among the rejections: reject the *k* smallest
      p-values, where *k* is the largest rank with :math:`p_{(k)} \\le k\\alpha/m`.

    Parameters
    ----------
    pvalues : array-like or Series
        One p-value per test (NaN not allowed); a Series keeps its index.
    alpha : float
        Level of each procedure.

    Returns
    -------
    DataFrame
        ``p``, ``p_holm``, ``p_bh`` (adjusted p-values, capped at 1) and the
        three 0/1 decisions ``significant``, ``significant_holm``,
        ``significant_bh``.
    """
    from statsmodels.stats.multitest import multipletests

    p = pd.Series(pvalues, dtype=float)
    if p.empty:
        raise ValueError("pvalues is empty; pass one p-value per test.")
    if p.isna().any() or not p.between(0, 1).all():
        raise ValueError("every p-value must be a number between 0 and 1 (no missing values).")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}.")
    holm = multipletests(p.to_numpy(), alpha=alpha, method="holm")
    bh = multipletests(p.to_numpy(), alpha=alpha, method="fdr_bh")
    return pd.DataFrame({
        "p": p,
        "p_holm": holm[1],
        "p_bh": bh[1],
        "significant": (p < alpha).astype(int),
        "significant_holm": holm[0].astype(int),
        "significant_bh": bh[0].astype(int),
    }, index=p.index)
