"""Lee (2009) bounds around the regression model of a block-randomized trial.

Kraft and Hill (2019) bound the follow-up-year effects by trimming the arm
observed more often (Lee's share, from the observation rates of the
randomized units) and re-estimating the unconditional model on what is left:
OLS with block fixed effects for teacher outcomes, the random-intercept model
for outcomes measured on students (:func:`lee_bounds_fe`). Trimming is
:func:`coachbook.estimators.lee.lee_trimming_weights`; the unit at the cut
point enters the refit with the fraction kept as a frequency weight.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from coachbook.estimators import ols
from coachbook.estimators._result import Result, tidy_frame
from coachbook.estimators._validate import require_both_arms, require_columns, require_numeric
from coachbook.estimators.attrition import _binary_column, _require_not_text
from coachbook.estimators.lee import _bound_weights, _check_trimming, _require_finite, _trim_share
from coachbook.estimators.random_intercept import fit_random_intercept

__all__ = ["LeeFE", "lee_bounds_fe"]


@dataclass(frozen=True, repr=False)
class LeeFE(Result):
    """Lee bounds re-estimated with the unconditional model (block fixed effects).

    ``lower``/``upper`` and their standard errors and p-values come from
    refitting the model after trimming; ``trim_share`` is Lee's ``p``,
    ``trimmed_arm`` the arm trimmed, ``n_trimmed`` how many of its units were
    removed for the lower bound (a fractional number with sharp trimming, see
    :class:`coachbook.estimators.lee.LeeBounds`) and ``trimming`` the rule used.
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

    def tidy(self) -> pd.DataFrame:
        """The two bounds with their standard errors and p-values."""
        return tidy_frame([{"term": "lower bound", "estimate": self.lower, "std_error": self.se_lower,
                            "p_value": self.p_lower, "trim_share": self.trim_share},
                           {"term": "upper bound", "estimate": self.upper, "std_error": self.se_upper,
                            "p_value": self.p_upper, "trim_share": self.trim_share}])




def _weighted_design(t, blocks, keep) -> np.ndarray:
    """Intercept, treatment and block dummies of the rows kept, collinear columns dropped."""
    cols = [np.ones(int(keep.sum())), t[keep]]
    if blocks is not None:
        cols.append(ols.dummies(blocks[keep]))
    return ols.drop_collinear(np.column_stack(cols))


def _weighted_block_ols(y, t, blocks, w):
    """(estimate, HC1 se, t-based p) of the treatment: WLS on treatment and block dummies.

    ``w`` are frequency weights (1, or a fraction for a unit cut in part at a
    Lee cut point; :func:`coachbook.estimators.ols.frequency_weighted`). With
    0/1 weights this is :func:`coachbook.estimators.rct.itt` (OLS, HC1) on the
    units of weight 1.
    """
    keep = w > 0
    return ols.frequency_weighted(y[keep], _weighted_design(t, blocks, keep), w[keep])


def _weighted_random_intercept(y, t, blocks, groups, w):
    """(estimate, se, normal p) of the treatment in a random-intercept model, REML.

    The model of :func:`coachbook.estimators.random_intercept.fit_random_intercept`
    (treatment and block dummies, a random intercept per group) with group
    frequency weights ``w`` (constant within a group): each group's
    contribution to the restricted likelihood is multiplied by its weight.
    With 0/1 weights it is the unweighted fit to the groups of weight 1.
    """
    keep = w > 0
    fit = fit_random_intercept(y[keep], _weighted_design(t, blocks, keep), groups[keep],
                               weights=w[keep])
    est, se = float(fit.coef[1]), float(fit.se[1])
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
    by :func:`coachbook.estimators.lee.lee_trimming_weights`: with ``trimming="sharp"`` exactly the
    share *p*, the unit(s) at the cut point entering with the fraction kept as
    a frequency weight. The unconditional model is then re-estimated on what
    is left: weighted OLS with block fixed effects and HC1 standard errors for
    unit-level outcomes (``multilevel=False``; ``data`` one row per unit; with
    0/1 weights this is :func:`coachbook.estimators.rct.itt`), the random-intercept
    model (REML) with block fixed effects for outcomes measured below the unit
    (``multilevel=True``; ``data`` one row per student, the random intercept
    per ``cluster``). Without blocks and for unit-level outcomes the bounds
    equal :func:`coachbook.estimators.lee.lee_bounds`.

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
        See :func:`coachbook.estimators.lee.lee_trimming_weights`; ``"quantile"`` removes whole units
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


