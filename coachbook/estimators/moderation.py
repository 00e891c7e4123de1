"""Does the effect vary with a baseline characteristic, and how many tests were run?

:func:`treatment_interaction` estimates the change in the effect of
assignment per unit of a moderator, as in Kraft and Hill (2019, Table A2),
for teacher outcomes (OLS) or student outcomes (a random-intercept model),
pooling multiply imputed copies by Rubin's rules; :func:`multiple_testing`
sets unadjusted, Holm and Benjamini-Hochberg decisions for a family of tests
side by side.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from coachbook.estimators import ols
from coachbook.estimators._validate import require_binary, require_columns, require_numeric
from coachbook.estimators.imputation import pool_rubin
from coachbook.estimators.random_intercept import fit_random_intercept

__all__ = ["multiple_testing", "treatment_interaction"]

_COLLINEAR = ("the treatment and the treatment-by-moderator interaction are collinear "
              "(is the moderator constant among treated units?); choose a moderator that varies.")


def _interaction_fit(d, outcome, moderator, treatment, block, controls, cluster):
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
    x = x[:, ols.independent_columns(x, protect=3, message=_COLLINEAR)]
    y = d[outcome].to_numpy(float)
    n = len(y)
    if cluster is None:
        fit = ols.fit(y, x, "HC1")
        return float(fit.params[2]), float(fit.cov_params()[2, 2]), float(fit.df_resid), n
    fit = fit_random_intercept(y, x, d[cluster].to_numpy())
    return float(fit.coef[2]), float(fit.cov[2, 2]), np.inf, n


def treatment_interaction(
    data,
    outcome: str,
    moderator: str,
    treatment: str = "treatment",
    block: str | None = "block",
    controls=(),
    cluster: str | None = None,
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
        One row per unit (teacher outcomes) or per student (``cluster`` given).
        A list is read as ``m`` multiply imputed copies of the same data: the
        model is fitted to each and the interaction pooled by Rubin's rules
        (:func:`coachbook.estimators.imputation.pool_rubin`, with ``df_complete`` for the
        Barnard-Rubin degrees of freedom).
    outcome, moderator, treatment, block : str
        Column names; ``treatment`` is 0/1; rows with a missing outcome are dropped.
    controls : sequence of str
        Numeric covariates (teacher characteristics; for student outcomes
        also student characteristics and prior scores).
    cluster : str, optional
        Column of the level-2 units (teachers). If given, the model is a
        random-intercept model fitted by REML
        (:func:`coachbook.estimators.random_intercept.fit_random_intercept`) with
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
    needed = [outcome, moderator, treatment, *controls] + [c for c in (block, cluster) if c]
    for frame in frames:
        require_columns(frame, needed)
        require_numeric(frame, [outcome, moderator, *controls])
        require_binary(frame[treatment], f"treatment column {treatment!r}")
        if frame[[moderator, *controls]].loc[frame[outcome].notna()].isna().any().any():
            raise ValueError(
                "the moderator or a control is missing for some rows with an outcome; "
                "impute them (pass a list of imputed copies) or drop those rows first."
            )
    fits = [_interaction_fit(f, outcome, moderator, treatment, block, controls, cluster)
            for f in frames]
    n = fits[0][3]
    if len(fits) == 1:
        est, var, dof, _ = fits[0]
        se = math.sqrt(var)
        z = est / se
        p = 2 * (stats.norm.sf(abs(z)) if np.isinf(dof) else stats.t.sf(abs(z), dof))
        return pd.Series({"estimate": est, "se": se, "p": float(p), "n": n})
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
