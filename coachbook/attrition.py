"""Attrition: how much of the randomized sample was lost, and what it can do.

Randomization makes the arms comparable only as randomized. When outcomes
are missing for some units, and especially when the treatment changes *who*
goes missing (MQI Coaching kept more teachers teaching math, Kraft & Hill
2019, Table 4), the units left to compare may no longer be comparable.
This module measures attrition (:func:`attrition_rates`), rates it against
the What Works Clearinghouse boundaries (:data:`WWC_BOUNDARIES`,
:func:`wwc_attrition_rating`) and bounds the effect under the worst
selection consistent with the data (:func:`lee_bounds`). The robustness
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

from coachbook._validate import require_binary, require_columns, require_numeric

__all__ = [
    "AttritionRates",
    "BlockLPM",
    "LeeBounds",
    "WWC_BOUNDARIES",
    "attrition_rates",
    "joint_attrition_test",
    "lee_bounds",
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
