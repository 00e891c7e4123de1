"""The intent-to-treat effect of a block-randomized offer (Kraft & Hill 2019, equation 1).

Kraft and Hill (2019) randomized 142 teachers to MQI Coaching within blocks
and estimated intent-to-treat (ITT) effects with their equation 1,

.. math::

    Y_j = \\beta\\, Treat_j + \\gamma X_j + \\pi_b + \\varepsilon_j ,

an ordinary least squares (OLS) regression of a teacher outcome on the
treatment indicator, fixed effects :math:`\\pi_b` for the randomization blocks
and, in their preferred models, baseline teacher characteristics :math:`X_j`,
with heteroskedasticity-robust standard errors. This module provides that
estimator (:func:`itt`); the baseline balance checks behind their Table 1 are
in :mod:`.balance`, the randomization itself in :mod:`.randomization`.

Every regression is fitted by :mod:`statsmodels` (:mod:`.ols`); the functions
only choose the model, check the inputs and collect the numbers a reader needs.

References
----------
Kraft, M. A., & Hill, H. C. (2019). Developing ambitious mathematics
instruction through web-based coaching: A randomized field trial.
*American Educational Research Journal*.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from coachbook.estimators import ols
from coachbook.estimators._result import Result, tidy_frame
from coachbook.estimators._validate import (require_binary, require_both_arms, require_columns,
                                            require_dataframe, require_distinct, require_finite,
                                            require_names, require_no_numeric_text,
                                            require_numeric)
from coachbook.estimators._values import require_variation

__all__ = ["ITTResult", "check_design", "itt"]


def check_design(data: pd.DataFrame, treatment: str, block: str | None) -> None:
    """Treatment must be 0/1 and known for every unit; every block needs both arms."""
    needed = [treatment] + ([block] if block is not None else [])
    for col in needed:
        if data[col].isna().any():
            raise ValueError(
                f"column {col!r} has {int(data[col].isna().sum())} missing value(s); every "
                "randomized unit needs its assignment and block. Fix or drop those rows."
            )
    require_binary(data, treatment, role="treatment")
    require_both_arms(data, treatment, by=block)


# --------------------------------------------------------------------------
# Intent-to-treat effect
# --------------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class ITTResult(Result):
    """An intent-to-treat estimate and what is needed to read it.

    Attributes
    ----------
    estimate, se, t, p : float
        Coefficient on the treatment indicator, its (robust) standard error,
        t statistic and two-sided p-value.
    ci_low, ci_high : float
        95% confidence interval (t distribution with ``df_resid`` df).
    n : int
        Units in the estimation sample (after list-wise deletion).
    df_resid : float
        Degrees of freedom used for ``t``, ``p`` and the interval: n minus
        the number of coefficients, or clusters minus one when clustered.
    control_mean, control_sd : float
        Mean and standard deviation (ddof=1) of the outcome among control
        units of the estimation sample.
    outcome, cov_type : str
        Which outcome was analysed and which standard error was used.
    """

    estimate: float
    se: float
    t: float
    p: float
    ci_low: float
    ci_high: float
    n: int
    df_resid: float
    control_mean: float
    control_sd: float
    outcome: str = ""
    cov_type: str = "HC1"

    @property
    def effect_size(self) -> float:
        """Estimate in control-group standard deviations: ``estimate / control_sd``.

        Kraft and Hill report teacher outcomes in control-group SD units; if the
        outcome was already standardized that way this is close to ``estimate``.

        Raises ``ValueError`` when the control SD is 0 or undefined (fewer than
        two control units, or a control group all at one value).
        """
        if not self.control_sd > 0:
            raise ValueError(
                f"the control-group SD of {self.outcome or 'the outcome'!r} is {self.control_sd}, "
                "so the effect cannot be expressed in control-group SD units; standardize by "
                "another SD (e.g. the pooled SD) instead."
            )
        return self.estimate / self.control_sd

    def as_row(self, digits: int = 3) -> pd.Series:
        """One rounded row for a results table; stack rows with ``pd.DataFrame([...])``."""
        return pd.Series(
            {
                "estimate": round(self.estimate, digits),
                "se": round(self.se, digits),
                "ci_low": round(self.ci_low, digits),
                "ci_high": round(self.ci_high, digits),
                "t": round(self.t, 2),
                "p": round(self.p, 3),
                "effect_size": round(self.effect_size, digits),
                "control_mean": round(self.control_mean, digits),
                "control_sd": round(self.control_sd, digits),
                "n": self.n,
                "se_type": self.cov_type,
            },
            name=self.outcome or None,
        )

    def to_frame(self, digits: int = 3) -> pd.DataFrame:
        """The rounded row as a one-row DataFrame indexed by the outcome name."""
        return pd.DataFrame([self.as_row(digits)]).infer_objects()

    def tidy(self) -> pd.DataFrame:
        """The intent-to-treat effect, unrounded, with tidy column names."""
        return tidy_frame([{"term": self.outcome, "estimate": self.estimate, "std_error": self.se,
                            "statistic": self.t, "df": self.df_resid, "p_value": self.p,
                            "conf_low": self.ci_low, "conf_high": self.ci_high, "n": self.n}])


def itt(
    data: pd.DataFrame,
    outcome: str,
    treatment: str = "treatment",
    block: str | None = "block",
    controls: Sequence[str] = (),
    cov_type: str = "HC1",
    cluster: str | None = None,
) -> ITTResult:
    """Intent-to-treat effect of a block-randomized offer (Kraft & Hill 2019, eq. 1).

    Fits by OLS

    .. math:: Y_j = \\alpha + \\beta\\, Treat_j + \\gamma X_j + \\pi_b + \\varepsilon_j

    and returns :math:`\\hat\\beta`. The block fixed effects :math:`\\pi_b`
    compare treated and control units *within* the same block, which is the
    comparison the randomization made fair; :math:`\\hat\\beta` is then a
    weighted average of within-block differences, each block weighted by
    :math:`n_b\\, p_b (1 - p_b)` (its size times the variance of treatment in
    it). Controls :math:`X_j` are not needed for unbiasedness but soak up
    outcome variance (smaller standard errors) and chance imbalances.

    Parameters
    ----------
    data : DataFrame
        One row per randomized unit.
    outcome : str
        Numeric outcome column. Rows where it is missing are dropped.
    treatment : str
        0/1 column, 1 = offered the program (assignment, not take-up).
    block : str or None
        Randomization-block column, entered as fixed effects. ``None`` for a
        completely randomized design.
    controls : sequence of str
        Baseline covariates. Numeric columns enter linearly; text or
        categorical columns are dummy-coded by the formula.
    cov_type : {"HC1", "HC0", "HC2", "HC3", "nonrobust"}
        Standard-error type. The default HC1 (White's heteroskedasticity-robust
        estimator scaled by n/(n-k)) is what Stata's ``regress ..., robust``
        reports, which is what "robust standard errors" means in most
        education papers, Kraft and Hill's included.
    cluster : str, optional
        Column of cluster ids (e.g. schools). If given, cluster-robust
        standard errors replace ``cov_type``, with Stata's small-sample
        correction and t inference on clusters minus one df.

    Returns
    -------
    ITTResult
        Estimate, SE, t, p, 95% CI, n, df, control mean and SD; see
        :attr:`ITTResult.effect_size` and :meth:`ITTResult.as_row`.

    Raises
    ------
    ValueError
        Empty data, missing or duplicated columns, a column given two roles
        (e.g. the outcome among the controls), a non-numeric or infinite
        outcome, numbers stored as text in a control (which the formula would
        dummy-code), treatment not 0/1 or missing, a block with only one arm,
        no unit with the outcome observed, an outcome that is constant or
        reproduced exactly by the regressors (its p-value would be rounding
        noise), no residual degrees of freedom, or a single cluster.
        Boolean columns are used as 0/1.

    Notes
    -----
    Missing data are handled list-wise: a unit enters only if its outcome,
    controls and cluster id are all observed; ``n`` reports how many did.
    The design check (both arms in every block) is made on the randomized
    sample, before dropping: after attrition a block left with one arm only
    informs its own fixed effect, not :math:`\\hat\\beta`.

    References
    ----------
    Kraft & Hill (2019), equation 1. Stata ``regress, vce(robust)`` for HC1;
    MacKinnon & White (1985) for HC0-HC3.

    Examples
    --------
    >>> res = itt(df, "richness", controls=["mkt", "female"])  # doctest: +SKIP
    >>> res.estimate, res.se, res.effect_size                  # doctest: +SKIP
    """
    require_dataframe(data)
    controls = require_names("controls", controls)
    blocks = [block] if block is not None else []
    clusters = [cluster] if cluster is not None else []
    require_columns(data, [outcome, treatment, *blocks, *controls, *clusters])
    require_distinct({"the outcome": outcome, "the treatment": treatment, "the block": block,
                      "a control": controls})
    require_distinct({"the outcome": outcome, "the treatment": treatment, "the cluster": cluster})
    require_numeric(data, [outcome], role="outcome")
    require_finite(data, [outcome], role="outcome")
    require_no_numeric_text(data, controls, role="control")
    require_finite(data, controls, role="control")
    if cluster is None:
        ols.check_cov_type(cov_type)
    check_design(data, treatment, block)

    if data[outcome].isna().all():
        raise ValueError(f"outcome {outcome!r} is missing for every unit; nothing to estimate.")
    sample = data.dropna(subset=[outcome, *controls, *clusters])
    if sample.empty:
        empty = [c for c in controls + clusters if data[c].isna().all()]
        raise ValueError(
            f"no unit has {outcome!r} and every control observed"
            + (f"; column(s) {empty} are missing for every unit" if empty else "")
            + ". Drop those controls or impute them."
        )
    if sample[treatment].nunique() < 2:
        raise ValueError(
            f"after dropping units with missing {outcome!r} or controls only one arm remains "
            f"(n = {len(sample)}); the effect cannot be estimated."
        )
    require_variation(sample[outcome].astype(float), f"outcome {outcome!r}",
                      "there is no effect to estimate and its p-value would be rounding noise",
                      "check that you passed the right outcome column")
    sample = ols.numbers(sample, [outcome, treatment, *controls])

    fit = ols.fit_formula(sample, ols.formula(outcome, [treatment, *controls], block), cov_type,
                          cluster, dependent=outcome,
                          explained_by="the treatment, blocks and controls")
    term = ols.quote(treatment)
    low, high = fit.conf_int(alpha=0.05).loc[term]
    control_outcomes = sample.loc[sample[treatment] == 0, outcome]
    return ITTResult(
        estimate=float(fit.params[term]),
        se=float(fit.bse[term]),
        t=float(fit.tvalues[term]),
        p=float(fit.pvalues[term]),
        ci_low=float(low),
        ci_high=float(high),
        n=int(fit.nobs),
        df_resid=float(getattr(fit, "df_resid_inference", None) or fit.df_resid),
        control_mean=float(control_outcomes.mean()),
        control_sd=float(control_outcomes.std(ddof=1)),
        outcome=outcome,
        cov_type="cluster" if cluster is not None else cov_type,
    )


