"""Attrition: how much of the randomized sample was lost, and who left.

Randomization makes the arms comparable only as randomized. When outcomes
are missing for some units, and especially when the treatment changes *who*
goes missing (MQI Coaching kept more teachers teaching math, Kraft & Hill
2019, Table 4), the units left to compare may no longer be comparable.
This module measures attrition (:func:`attrition_rates`, rated by the What
Works Clearinghouse standard of :mod:`.wwc`), models retention and attrition
as linear probability models (:func:`lpm_block_fe`) and compares stayers with
leavers (:func:`stayer_leaver_table`, :func:`joint_attrition_test`). Bounds
on the effect under the worst selection consistent with the data are in
:mod:`.lee` and :mod:`.lee_fe`; moderation and multiple testing in
:mod:`.moderation`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats

from coachbook.estimators import ols
from coachbook.estimators._result import Result, tidy_frame
from coachbook.estimators._validate import require_binary, require_columns, require_numeric
from coachbook.estimators.balance import JointBalanceTest
from coachbook.estimators.rct import itt
from coachbook.estimators.wwc import wwc_attrition_rating

__all__ = ["AttritionRates", "BlockLPM", "attrition_rates", "joint_attrition_test", "lpm_block_fe",
           "stayer_leaver_table"]


def _binary_column(data: pd.DataFrame, column: str, role: str) -> np.ndarray:
    """A 0/1 column of a randomized sample: no text, no missing values."""
    _require_not_text(data, [column])
    if data[column].isna().any():
        raise ValueError(
            f"{role} column {column!r} has {int(data[column].isna().sum())} missing value(s); "
            "every randomized unit needs it coded 0/1."
        )
    return require_binary(data[column], f"{role} column {column!r}")


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


# --------------------------------------------------------------------------
# Attrition rates
# --------------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class AttritionRates(Result):
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

    def tidy(self) -> pd.DataFrame:
        """Attrition in percent: overall, by arm, and the differential."""
        return tidy_frame([{"term": "overall", "estimate": self.overall_pct, "n": self.n},
                           {"term": "treatment", "estimate": self.treatment_pct, "n": self.n_treatment},
                           {"term": "control", "estimate": self.control_pct, "n": self.n_control},
                           {"term": "differential", "estimate": self.differential_pct, "n": self.n}])


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
# Linear probability models of retention and attrition (Tables 4 and A1)
# --------------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class BlockLPM(Result):
    """A 0/1 outcome regressed on assignment with block fixed effects.

    Attributes
    ----------
    estimate, se, p : float
        Treatment coefficient, its HC1 standard error and two-sided p-value
        (from :func:`coachbook.estimators.rct.itt`).
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

    def tidy(self) -> pd.DataFrame:
        return tidy_frame([{"term": "treatment", "estimate": self.estimate, "std_error": self.se,
                            "p_value": self.p, "n": self.n},
                           {"term": "constant", "estimate": self.constant, "std_error": self.constant_se,
                            "p_value": self.constant_p, "n": self.n}])


def lpm_block_fe(
    data: pd.DataFrame, outcome: str, treatment: str = "treatment", block: str = "block"
) -> BlockLPM:
    """Linear probability model of a 0/1 outcome on assignment, block fixed effects, HC1.

    Fits :math:`Y_j = \\alpha + \\beta\\, Treat_j + \\pi_b + u_j` (OLS, HC1
    standard errors) with :func:`coachbook.estimators.rct.itt` for :math:`\\hat\\beta`,
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
    require_columns(data, [outcome, treatment, block])
    y = _binary_column(data, outcome, "outcome").astype(float)
    t = _binary_column(data, treatment, "treatment").astype(float)
    res = itt(data, outcome, treatment=treatment, block=block)
    codes = pd.factorize(data[block])[0]
    n, n_blocks = len(y), codes.max() + 1

    def demeaned(v):
        means = np.bincount(codes, weights=v) / np.bincount(codes)
        return v - means[codes] + v.mean()

    # HC0 on the demeaned data, scaled by n / (n - k) with k counting the absorbed blocks
    dof = n - 2 - (n_blocks - 1)
    fit = ols.fit(demeaned(y), np.column_stack([np.ones(n), demeaned(t)]), cov_type="HC0")
    constant = float(fit.params[0])
    constant_se = float(np.sqrt(fit.cov_params()[0, 0] * n / dof))
    return BlockLPM(
        estimate=res.estimate,
        se=res.se,
        p=res.p,
        constant=constant,
        constant_se=constant_se,
        constant_p=float(2 * stats.t.sf(abs(constant) / constant_se, dof)),
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
    (2019, Table A3). Unlike :func:`coachbook.estimators.balance.balance_table`, a block
    need not contain both stayers and leavers (a block nobody left is
    allowed).

    Returns
    -------
    DataFrame
        Indexed by characteristic: ``mean_stay``, ``mean_exit``,
        ``difference`` (block-adjusted, exit minus stay), ``se``, ``p``,
        ``n_stay``, ``n_exit``.
    """
    frame, characteristics = _leaver_frame(data, characteristics, observed, block)
    rows = {}
    for char in characteristics:
        d = frame.dropna(subset=[char])
        fit = ols.fit_model(smf.ols(ols.formula(char, ["_exit"], block), d), "HC1")
        estimate, se, p = ols.coefficient(fit, ols.quote("_exit"))
        rows[char] = {
            "mean_stay": d.loc[d["_exit"] == 0, char].mean(),
            "mean_exit": d.loc[d["_exit"] == 1, char].mean(),
            "difference": estimate,
            "se": se,
            "p": p,
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
    row) do. This is :func:`coachbook.estimators.balance.joint_balance_test` with the exit
    indicator in place of assignment, with two differences that attrition
    needs: a block may have no leavers (or no stayers), and a characteristic
    that is an exact linear combination of earlier ones and the blocks (for
    example *middle school* next to *elementary school*) is dropped, as
    Stata omits it, instead of raising an error. Units missing any
    characteristic are dropped (complete cases).

    Returns
    -------
    coachbook.estimators.balance.JointBalanceTest
        ``statistic``, ``df_num`` (characteristics actually tested), ``df_denom``,
        ``p``, ``n`` and ``missing="complete"``.
    """
    frame, characteristics = _leaver_frame(data, characteristics, observed, block)
    if cov_type not in ols.COV_TYPES:
        raise ValueError(f"cov_type must be HC0-HC3 or 'nonrobust', got {cov_type!r}.")
    d = frame.dropna(subset=characteristics)
    base = [np.ones(len(d))]
    if block is not None:
        base.append(pd.get_dummies(d[block], drop_first=True).to_numpy(float))
    x_base = np.column_stack(base)
    # Left to right, keep each characteristic that is not a linear combination of the
    # blocks and the characteristics kept before it (ols.independent_columns).
    chars = d[characteristics].to_numpy(float)
    n_base = x_base.shape[1]
    picked = [j - n_base for j in ols.independent_columns(np.column_stack([x_base, chars]))
              if j >= n_base]
    kept = [characteristics[j] for j in picked]
    x = np.column_stack([x_base, chars[:, picked]])
    if not kept:
        raise ValueError("every characteristic is constant within blocks; nothing to test.")
    fit = ols.fit(d["_exit"].to_numpy(float), x, cov_type)
    restriction = np.zeros((len(kept), x.shape[1]))
    restriction[np.arange(len(kept)), x_base.shape[1] + np.arange(len(kept))] = 1.0
    return JointBalanceTest.from_f_test(fit.f_test(restriction), fit.nobs, "complete")


