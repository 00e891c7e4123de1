"""HLM's chi-square tests that a level-1 coefficient varies across units.

The test of Raudenbush and Bryk (2002, eq. 3.103), as the HLM program prints
it: each unit with enough data gets its own OLS estimate of the coefficient,
and their spread around the fitted model's prediction is compared with their
sampling variances (:func:`hlm_variance_chisq`); in a three-level model,
persons within clusters and clusters (:func:`hlm3_variance_chisq`). The
likelihood-ratio test of a variance component is
:func:`coachbook.estimators.likelihood_ratio.lr_test_variance_component`.

References
----------
Raudenbush, S. W., & Bryk, A. S. (2002). *Hierarchical Linear Models* (2nd ed.).
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from coachbook.estimators._validate import (require_columns, require_distinct, require_finite,
                                            require_names, require_numeric)
from coachbook.estimators._values import require_bool, require_number
from coachbook.estimators.mixed import fit_mixed

__all__ = ["MIN_CASES", "hlm3_variance_chisq", "hlm_variance_chisq"]


# --------------------------------------------------------------------------
# HLM's chi-square test of a variance component
# --------------------------------------------------------------------------
def _fixed_and_sigma2(fit):
    """Fixed effects (a numeric Series) and level-1 variance of a fitted model, checked."""
    if not (hasattr(fit, "fe_params") and hasattr(fit, "scale")):
        raise ValueError(f"fit must be a MixedFit or a statsmodels MixedLMResults, got "
                         f"{type(fit).__name__}; fit it with fit_mixed(...).")
    gamma = pd.Series(fit.fe_params)
    if not pd.api.types.is_numeric_dtype(gamma) or not np.all(np.isfinite(gamma.to_numpy(float))):
        raise ValueError("the fitted model's fixed effects are not all finite numbers; refit it.")
    sigma2 = require_number("the fitted model's level-1 variance (scale)", fit.scale)
    if not sigma2 > 0:
        raise ValueError(f"the fitted model's level-1 variance is {sigma2:g}; the chi-square "
                         "test divides by it, so it must be positive. Refit the model.")
    return gamma, sigma2


MIN_CASES = ("more", "at_least")


def _unit_ols(d, outcome, cluster, l1, min_cases):
    """Per-unit OLS of ``outcome`` on ``1 + l1``: ``[(unit id, rows, bhat, diag((X'X)^-1))]``.

    A unit is usable when ``X_j'X_j`` is invertible and it has enough cases:
    ``min_cases="more"`` needs ``n_j > Q`` (at least one residual df),
    ``"at_least"`` accepts ``n_j = Q``, an exact fit (see :func:`hlm_variance_chisq`).
    """
    if min_cases not in MIN_CASES:
        raise ValueError(f"min_cases must be 'more' or 'at_least', got {min_cases!r}.")
    out = []
    for key, unit in d.groupby(cluster, observed=True, sort=True):
        x = np.column_stack([np.ones(len(unit))] + [unit[c].to_numpy(float) for c in l1])
        q = x.shape[1]
        too_few = len(unit) <= q if min_cases == "more" else len(unit) < q
        if too_few or np.linalg.matrix_rank(x) < q:
            continue
        xtx_inv = np.linalg.inv(x.T @ x)
        out.append((key, unit, xtx_inv @ x.T @ unit[outcome].to_numpy(float), np.diag(xtx_inv)))
    return out


def _no_units_message(cluster, min_cases):
    need = "more cases than" if min_cases == "more" else "at least as many cases as"
    return (f"no {cluster!r} unit has {need} level-1 coefficients (and an invertible X'X); "
            "the chi-square test needs units with enough data.")


def hlm_variance_chisq(data, outcome, cluster, level1_predictors=(), level2_predictors=(),
                       fit=None, random_slopes=True, min_cases="more") -> pd.DataFrame:
    """HLM's chi-square test that a level-1 coefficient varies across units.

    For coefficient ``q`` (the intercept or a level-1 slope), each unit ``j``
    with enough data (see ``min_cases``) gets its own OLS estimate
    ``bhat_qj`` with sampling variance ``V_qj = sigma^2 [(X_j'X_j)^-1]_qq``
    (``sigma^2`` is the model's estimate of the level-1 variance; for the
    intercept with no level-1 predictors ``V_j = sigma^2 / n_j``). Then
    (Raudenbush & Bryk 2002, eq. 3.103)::

        chi2 = sum_j (bhat_qj - gamma_q0 - sum_s gamma_qs W_sj)^2 / V_qj,
        df   = J' - S_q - 1,

    where ``J'`` units were usable and ``S_q`` level-2 predictors ``W`` model
    coefficient ``q``. Under ``tau_qq = 0`` the unit estimates differ from the
    prediction only by sampling error, so ``chi2 ~ chi^2(df)``. The gammas are
    the fitted model's fixed effects; this reproduces HLM's printed values
    (Tables 4.2 and 4.3), while a weighted-least-squares gamma gives a slightly
    different chi-square. The test is approximate when units are small and
    ignores units with too few cases, unlike the likelihood-ratio test
    (:func:`coachbook.estimators.likelihood_ratio.lr_test_variance_component`).

    Which units have "sufficient data"? HLM uses a unit whenever its OLS
    estimate exists, i.e. ``X_j'X_j`` is invertible, which needs at least as
    many cases as coefficients (``n_j >= Q``; HLM's FAQ on "insufficient
    data"). A unit with exactly ``Q`` cases is fitted exactly, but its
    ``bhat_j`` still has sampling variance ``sigma^2 (X_j'X_j)^-1`` with the
    *pooled* ``sigma^2``, so it contributes a valid term. ``min_cases=
    "at_least"`` follows HLM (a growth model with intercept and slope then
    uses every person with two occasions); the default ``"more"`` also
    requires one residual degree of freedom per unit, which is stricter and
    changes nothing when every unit has many cases.

    Parameters
    ----------
    data : DataFrame
    outcome, cluster : str
    level1_predictors : list of str
        Level-1 predictors (centre them first, e.g. with
        :func:`coachbook.estimators.growth.person_mean_center`, so the intercept means what you want).
    level2_predictors : list of str
        Unit-level predictors of the intercept (constant within unit). For
        slopes, cross-level interactions ``"x:W"`` in a supplied ``fit`` are used.
    fit : MixedFit or statsmodels MixedLMResults, optional
        Model whose fixed effects and ``sigma^2`` are used (a MixedFit's
        polished values). By default one is
        fitted by REML: ``outcome ~ level1 + level2`` with a random intercept
        and, if ``random_slopes``, random slopes for the level-1 predictors.
    min_cases : {"more", "at_least"}, default "more"
        ``"more"``: use units with more cases than level-1 coefficients;
        ``"at_least"``: also units with exactly as many (HLM's rule).

    Returns
    -------
    DataFrame indexed by coefficient (``Intercept`` and each level-1 predictor)
    with ``chi2, df, p, n_units``.
    """
    l1 = require_names("level1_predictors", level1_predictors)
    l2 = require_names("level2_predictors", level2_predictors)
    require_columns(data, [outcome, cluster] + l1 + l2)
    require_distinct({"the outcome": outcome, "the cluster": cluster, "a level-1 predictor": l1,
                      "a level-2 predictor": l2})
    require_numeric(data, [outcome], role="outcome")
    require_numeric(data, l1 + l2, role="predictor")
    require_finite(data, [outcome], role="outcome")
    require_finite(data, l1 + l2, role="predictor")
    random_slopes = require_bool("random_slopes", random_slopes)
    if min_cases not in MIN_CASES:
        raise ValueError(f"min_cases must be 'more' or 'at_least', got {min_cases!r}.")
    d = data[[outcome, cluster] + l1 + l2].dropna()
    if l2:
        varies = [w for w in l2 if (d.groupby(cluster, observed=True)[w].nunique() > 1).any()]
        if varies:
            raise ValueError(f"level-2 predictor(s) {varies} vary within {cluster!r}; a level-2 "
                             "predictor must be constant within each unit.")
    if fit is None:
        rhs = " + ".join(l1 + l2) or "1"
        re = ("~ " + " + ".join(l1)) if (l1 and random_slopes) else None
        fit = fit_mixed(f"{outcome} ~ {rhs}", d, cluster, re_formula=re)
    gamma, sigma2 = _fixed_and_sigma2(fit)
    absent = [c for c in ["Intercept"] + l1 + l2 if c not in gamma]
    if absent:
        raise ValueError(f"the fitted model has no fixed effect(s) {absent}; fit it with the same "
                         f"level-1 and level-2 predictors (its fixed effects: {list(gamma.index)}).")

    coefs = ["Intercept"] + l1
    rows = {c: [] for c in coefs}
    units = _unit_ols(d, outcome, cluster, l1, min_cases)
    if not units:
        raise ValueError(_no_units_message(cluster, min_cases))
    for _, unit, bhat, v in units:
        w = unit[l2].iloc[0] if l2 else pd.Series(dtype=float)
        for q, c in enumerate(coefs):
            if c == "Intercept":
                terms = {s: s for s in l2}
            else:  # cross-level interactions model the slope
                terms = {s: n for s in l2 for n in (f"{c}:{s}", f"{s}:{c}") if n in gamma}
            pred = gamma[c] + sum(gamma[n] * w[s] for s, n in terms.items())
            rows[c].append(((bhat[q] - pred) ** 2 / (sigma2 * v[q]), len(terms)))
    out = {}
    for c, vals in rows.items():
        chi2, s_q = float(sum(v for v, _ in vals)), vals[0][1]
        df = len(vals) - s_q - 1
        if df < 1:
            raise ValueError(f"only {len(vals)} {cluster!r} unit(s) have enough data for the "
                             f"chi-square test of {c!r}, which leaves {df} degrees of freedom; "
                             f"it needs at least {s_q + 2} usable units.")
        out[c] = {"chi2": chi2, "df": df, "p": stats.chi2.sf(chi2, df), "n_units": len(vals)}
    return pd.DataFrame(out).T.astype({"df": int, "n_units": int})


def hlm3_variance_chisq(data, outcome, level2, level3, level1_predictors=(), fit=None,
                        level2_variances=None, min_cases="at_least") -> pd.DataFrame:
    """Chi-square tests of level-2 and level-3 variation in a three-level model.

    Occasions (level 1) are nested in persons ``j`` (level 2, e.g. coach-teacher
    pairs) nested in clusters ``k`` (level 3, e.g. coaches). As in
    :func:`hlm_variance_chisq`, every person with enough data gets OLS
    estimates ``bhat_qjk`` with variances ``V_qjk = sigma^2 [(X'X)^-1]_qq``.
    Then, for each coefficient ``q`` and with no predictors at levels 2 and 3:

    *Level 2* (do persons vary *within* clusters? H0: ``tau_pi,qq = 0``).
    Each cluster's precision-weighted mean ``bbar_qk = sum_j bhat/V / sum_j 1/V``
    is the best estimate of its coefficient under H0, and::

        chi2 = sum_k sum_j (bhat_qjk - bbar_qk)^2 / V_qjk,   df = J' - K',

    with ``J'`` usable persons in ``K'`` clusters (a cluster with one usable
    person adds a zero term and uses up its own degree of freedom).

    *Level 3* (do clusters vary? H0: ``tau_beta,qq = 0``). Each cluster's
    estimate now weights its persons by ``1 / (V_qjk + tau_pi,qq)``, since
    persons may vary around their cluster, and has variance
    ``W_qk = 1 / sum_j 1/(V_qjk + tau_pi,qq)``::

        chi2 = sum_k (betahat_qk - gamma_q)^2 / W_qk,   df = K' - 1,

    with ``gamma_q`` the fitted model's fixed effect. This follows the logic of
    Raudenbush & Bryk (2002, eq. 3.103 and ch. 8); HLM3's printed statistics
    use its own (empirical Bayes) cluster estimates, so its chi-squares can
    differ somewhat, but the degrees of freedom are the same.

    Parameters
    ----------
    data : DataFrame
    outcome, level2, level3 : str
        The outcome and the identifiers of persons and clusters (each person in
        one cluster).
    level1_predictors : list of str
    fit : MixedFit or statsmodels MixedLMResults
        The three-level model; its fixed effects (``Intercept`` and the level-1
        predictors) and level-1 variance ``sigma^2`` are used.
    level2_variances : mapping {coefficient: tau_pi}, optional
        Level-2 (within-cluster) variances of the coefficients, used to weight
        persons in the level-3 test. Missing entries count as 0.
    min_cases : {"at_least", "more"}, default "at_least"
        Which persons have enough data (see :func:`hlm_variance_chisq`).

    Returns
    -------
    DataFrame with a row per (level, coefficient): ``chi2, df, p, n_units``.
    """
    l1 = require_names("level1_predictors", level1_predictors)
    require_columns(data, [outcome, level2, level3] + l1)
    require_distinct({"the outcome": outcome, "the level-2 id": level2, "the level-3 id": level3,
                      "a level-1 predictor": l1})
    require_numeric(data, [outcome], role="outcome")
    require_numeric(data, l1, role="predictor")
    require_finite(data, [outcome], role="outcome")
    require_finite(data, l1, role="predictor")
    if fit is None:
        raise ValueError("pass the fitted three-level model as `fit` (its fixed effects and "
                         "sigma^2 are used), e.g. fit_mixed(..., cluster=level3, vc_formula=...).")
    d = data[[outcome, level2, level3] + l1].dropna()
    if (d.groupby(level2, observed=True)[level3].nunique() > 1).any():
        raise ValueError(f"some {level2!r} units belong to more than one {level3!r}; a "
                         "three-level model needs each person inside one cluster.")
    gamma, sigma2 = _fixed_and_sigma2(fit)
    coefs = ["Intercept"] + l1
    absent = [c for c in coefs if c not in gamma]
    if absent:
        raise ValueError(f"the fitted model has no fixed effect(s) {absent}; fit it with the same "
                         f"level-1 predictors (its fixed effects: {list(gamma.index)}).")
    if level2_variances is not None and not isinstance(level2_variances, Mapping):
        raise ValueError("level2_variances must be a mapping {coefficient: variance}, e.g. "
                         f"{{'Intercept': 0.2}}; got {level2_variances!r}.")
    unknown = [k for k in (level2_variances or {}) if k not in coefs]
    if unknown:
        raise ValueError(f"level2_variances has key(s) {unknown} that are not coefficients of "
                         f"the model {coefs}; check the spelling.")
    tau = {c: require_number(f"level2_variances[{c!r}]", (level2_variances or {}).get(c, 0.0))
           for c in coefs}
    if any(t < 0 for t in tau.values()):
        raise ValueError("level2_variances must be >= 0.")
    units = _unit_ols(d, outcome, level2, l1, min_cases)
    if not units:
        raise ValueError(_no_units_message(level2, min_cases))
    cluster = np.array([u[level3].iloc[0] for _, u, _, _ in units])
    bhat = np.array([b for _, _, b, _ in units])             # J' x Q
    var = sigma2 * np.array([v for _, _, _, v in units])     # J' x Q
    keys, k_idx = np.unique(cluster, return_inverse=True)
    n_k = len(keys)
    if n_k < 2:
        raise ValueError(f"the usable {level2!r} units all belong to one {level3!r} cluster; the "
                         "level-3 test compares clusters, so it needs at least 2. For the level-2 "
                         "test alone use hlm_variance_chisq(..., cluster=level2).")
    out = []
    for q, c in enumerate(coefs):
        w2 = 1.0 / var[:, q]
        bbar = np.bincount(k_idx, w2 * bhat[:, q], n_k) / np.bincount(k_idx, w2, n_k)
        chi2_2 = float(np.sum((bhat[:, q] - bbar[k_idx]) ** 2 * w2))
        df2 = len(units) - n_k
        out.append({"level": "level 2", "coefficient": c, "chi2": chi2_2, "df": df2,
                    "p": stats.chi2.sf(chi2_2, df2) if df2 > 0 else np.nan, "n_units": len(units)})
        w3 = 1.0 / (var[:, q] + tau[c])
        sum_w = np.bincount(k_idx, w3, n_k)
        beta_k = np.bincount(k_idx, w3 * bhat[:, q], n_k) / sum_w
        chi2_3 = float(np.sum((beta_k - gamma[c]) ** 2 * sum_w))
        out.append({"level": "level 3", "coefficient": c, "chi2": chi2_3, "df": n_k - 1,
                    "p": stats.chi2.sf(chi2_3, n_k - 1), "n_units": n_k})
    return pd.DataFrame(out).set_index(["level", "coefficient"]).astype({"df": int, "n_units": int})
