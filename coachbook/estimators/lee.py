"""Lee (2009) bounds: the effect under the worst selection the attrition allows.

When the treatment changes *who* goes missing, the units observed in the two
arms are no longer comparable. Assuming only that assignment moves every
unit's chance of being observed in one direction (monotonicity), Lee's
bounds trim the arm observed more often by the share it has in excess and
compare what is left (:func:`lee_bounds`). The trimming is
:func:`lee_trimming_weights`: sharp by default, the observations at the cut
point weighted by the fraction kept, so the bounds stay sharp with tied
outcomes. :func:`coachbook.estimators.lee_fe.lee_bounds_fe` re-estimates a
regression model with block fixed effects after the same trimming, as Kraft
and Hill (2019) do.

References
----------
Lee, D. S. (2009). Training, wages, and sample selection: Estimating sharp
bounds on treatment effects. *Review of Economic Studies*, 76(3), 1071-1102.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from coachbook.estimators._result import Result, tidy_frame
from coachbook.estimators._validate import require_columns, require_numeric
from coachbook.estimators.attrition import _binary_column, _require_not_text

__all__ = ["LEE_TRIMMINGS", "LeeBounds", "lee_bounds", "lee_trimming_weights"]

#: Trimming rules of :func:`lee_trimming_weights`.
LEE_TRIMMINGS = ("sharp", "quantile")


@dataclass(frozen=True, repr=False)
class LeeBounds(Result):
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

    def tidy(self) -> pd.DataFrame:
        """The two bounds, with the share trimmed from the ``trimmed_arm``."""
        return tidy_frame([{"term": term, "estimate": value, "trim_share": self.trim_share,
                            "trimmed_arm": self.trimmed_arm}
                           for term, value in (("lower bound", self.lower), ("upper bound", self.upper))])


def _check_trimming(trimming: str) -> None:
    if trimming not in LEE_TRIMMINGS:
        raise ValueError(f"trimming must be one of {LEE_TRIMMINGS}, got {trimming!r}.")


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
    No covariates, no standard errors (see :func:`coachbook.estimators.lee_fe.lee_bounds_fe` for bounds
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


