"""Growth models: coding time, centering, and testing variance components.

A two-level growth model treats occasions ``t`` as nested in persons ``i``
(Raudenbush & Bryk 2002, ch. 6): ``y_ti = pi_0i + pi_1i a_ti + e_ti`` at level 1,
and ``pi_pi = beta_p0 + beta_p1 X_i + r_pi`` at level 2. How ``a_ti`` is coded
decides what the intercept and the slopes mean, so the coding functions here
are small but worth reading. The tests compare models (deviance and
likelihood-ratio tests) and check whether level-1 coefficients vary across
units (HLM's chi-square test).

References
----------
Raudenbush, S. W., & Bryk, A. S. (2002). *Hierarchical Linear Models* (2nd ed.).
Singer, J. D., & Willett, J. B. (2003). *Applied Longitudinal Data Analysis*.
Stram, D. O., & Lee, J. W. (1994). Variance components testing in the
longitudinal mixed effects model. *Biometrics*, 50, 1171-1177.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from coachbook._validate import (
    _check_finite,
    _is_text,
    _parses_as_number,
    numeric_values,
    require_bool,
    require_columns,
    require_complete,
    require_distinct,
    require_finite,
    require_int,
    require_names,
    require_no_numeric_text,
    require_number,
    require_numeric,
    require_positive_finite,
)
from coachbook.multilevel import MixedFit, fit_mixed

__all__ = ["code_time_linear", "code_time_piecewise", "code_time_polynomial",
           "person_mean_center", "check_growth_data", "hlm_variance_chisq",
           "hlm3_variance_chisq", "LikelihoodRatioTest", "lr_test_variance_component",
           "deviance_test", "fixed_trajectory", "pooled_within_sd"]


# --------------------------------------------------------------------------
# Coding time
# --------------------------------------------------------------------------
def _as_series(values, name) -> pd.Series:
    if isinstance(values, pd.DataFrame) and values.shape[1] == 1:
        values = values.iloc[:, 0]
    if not isinstance(values, pd.Series):
        if _is_text(values) or np.ndim(values) != 1:
            shown = f"shape {np.shape(values)}" if np.ndim(values) > 1 else repr(values)
            raise ValueError(f"{name} must be a one-dimensional sequence (one value per row), "
                             f"got {shown}.")
    s = values.copy() if isinstance(values, pd.Series) else pd.Series(np.asarray(values))
    if s.empty:
        raise ValueError(f"{name} is empty; pass one value per row.")
    return s.rename(name)


def _times(values, name: str) -> pd.Series:
    """Numeric, finite, non-missing times as a float Series (index kept)."""
    s = _as_series(values, name)
    if pd.api.types.is_bool_dtype(s):
        raise ValueError(f"{name} must be numbers (e.g. years since the start), got True/False.")
    arr = numeric_values(s, name)
    _check_finite(arr, name, allow_nan=False)
    return pd.Series(arr, index=s.index, name=name)


def code_time_linear(cycle, cycle_to_years, origin=0.0) -> pd.Series:
    """Convert data-collection cycles to time in years, ``a_t = years(cycle) - origin``.

    The intercept of a growth model is the expected outcome at ``a_t = 0`` and
    the slope is the change per unit of ``a_t``, so coding cycles in years
    makes the slope a rate *per year* and ``origin`` picks the occasion the
    intercept describes (usually the first, e.g. the start of coaching).

    Parameters
    ----------
    cycle : array-like
        Cycle labels (e.g. ``"fall_y1"``) or numbers.
    cycle_to_years : mapping or float
        ``{cycle: years}`` for unequally spaced cycles, or a number of years per
        cycle (e.g. ``0.5`` for fall/spring testing) for numeric cycles.
    origin : float, default 0
        Time (in years) that becomes zero.

    Returns
    -------
    Series ``time`` (float), aligned with ``cycle``.
    """
    s = _as_series(cycle, "cycle").rename("time")
    origin = require_number("origin", origin)
    if isinstance(cycle_to_years, Mapping):
        unknown = sorted(map(str, set(s.dropna()) - set(cycle_to_years)))
        if unknown or s.isna().any():
            raise ValueError(f"cycle values {unknown[:5] or ['NaN']} are not in cycle_to_years "
                             f"(keys {list(cycle_to_years)[:8]}); add them to the mapping.")
        for key, value in cycle_to_years.items():
            require_number(f"cycle_to_years[{key!r}] (years)", value)
        years = s.map(cycle_to_years).astype(float)
    else:
        if pd.api.types.is_bool_dtype(s):
            raise ValueError("cycle must be numbers or labels, got True/False.")
        if not pd.api.types.is_numeric_dtype(s):
            if len(s.dropna()) and all(_parses_as_number(v) for v in s.dropna()):
                raise ValueError("cycle holds numbers stored as text; convert it with "
                                 "pd.to_numeric(...), or pass a mapping {cycle label: years}.")
            raise ValueError("cycle is not numeric, so cycle_to_years must be a mapping "
                             "{cycle label: years}.")
        per_cycle = require_positive_finite("cycle_to_years (years per cycle)", cycle_to_years)
        _check_finite(s.to_numpy(dtype=float, na_value=np.nan), "cycle", allow_nan=False)
        years = s.astype(float) * per_cycle
    return (years - origin).rename("time")


def code_time_piecewise(time, breakpoint, coding="increment") -> pd.DataFrame:
    """Two-piece linear time, split at ``breakpoint``.

    ``coding="increment"`` (the "base rate + increment" coding of Raudenbush &
    Bryk 2002, Table 6.5) gives ``base = time`` throughout and ``increment =
    max(time - breakpoint, 0)``. The coefficient of ``base`` is the growth rate
    before the break and that of ``increment`` is the *change* in rate after
    it, so testing the increment tests whether growth changed (e.g. once
    coaching started). ``coding="two_rates"`` gives ``rate1 = min(time,
    breakpoint)`` and ``rate2 = max(time - breakpoint, 0)``, whose coefficients
    are the two rates themselves. Both codings fit identically.

    ``breakpoint`` must lie strictly between the smallest and the largest
    time; otherwise one piece has no observations.

    Returns
    -------
    DataFrame with columns ``base, increment`` or ``rate1, rate2``.
    """
    t = _times(time, "time")
    breakpoint = require_number("breakpoint", breakpoint)
    if not t.min() < breakpoint < t.max():
        raise ValueError(
            f"breakpoint {breakpoint:g} must lie strictly inside the observed times "
            f"({t.min():g} to {t.max():g}); otherwise one piece has no observations and its "
            "rate cannot be estimated."
        )
    after = np.maximum(t - breakpoint, 0.0)
    if coding == "increment":
        return pd.DataFrame({"base": t, "increment": after})
    if coding == "two_rates":
        return pd.DataFrame({"rate1": np.minimum(t, breakpoint), "rate2": after})
    raise ValueError(f"coding must be 'increment' or 'two_rates', got {coding!r}.")


def code_time_polynomial(t, degree=2, center="mean", name="time") -> pd.DataFrame:
    """Polynomial time terms ``(t - c), (t - c)^2, ..., (t - c)^degree``.

    In a quadratic model the linear coefficient is the instantaneous growth
    rate *at* ``t = c`` and the quadratic coefficient is half the acceleration,
    so the centre ``c`` changes the meaning (and the correlation) of the lower
    terms (Raudenbush & Bryk 2002, sec. 6.3; Singer & Willett 2003, ch. 6).

    Parameters
    ----------
    t : array-like of float
    degree : int >= 1
    center : float, "mean", or "first"
        ``"mean"`` centres at the mean of ``t``; ``"first"`` at its minimum.

    Returns
    -------
    DataFrame with columns ``time, time2, ..., time{degree}``.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string (the column prefix), got {name!r}.")
    s = _times(t, name)
    degree = require_int("degree", degree, what="a positive integer")
    if degree < 1:
        raise ValueError(f"degree must be a positive integer, got {degree}.")
    if isinstance(center, str):
        c = {"mean": s.mean(), "first": s.min()}.get(center, center)
        if isinstance(c, str):
            raise ValueError(f"center must be a number, 'mean' or 'first', got {center!r}.")
    else:
        try:
            c = require_number("center", center)
        except ValueError:
            raise ValueError(f"center must be a number, 'mean' or 'first', got {center!r}.") from None
    d = s - c
    return pd.DataFrame({(name if k == 1 else f"{name}{k}"): d**k for k in range(1, int(degree) + 1)})


def person_mean_center(data, column, by) -> pd.DataFrame:
    """Split a level-1 variable into its between and within parts.

    ``x_ti = xbar_i + (x_ti - xbar_i)``: the person (or teacher) mean
    ``{column}_between`` carries the level-2 relation and the deviation
    ``{column}_within`` the level-1 relation. Entering both separates the two
    effects, which an uncentred ``x_ti`` would blend (Raudenbush & Bryk 2002,
    sec. 5.2). Missing values of ``column`` are ignored in the means.

    Returns
    -------
    DataFrame with ``{column}_between`` and ``{column}_within``, same index as ``data``.
    """
    require_columns(data, [column, by])
    require_distinct({"the variable": column, "the unit (by)": by})
    require_numeric(data, [column])
    require_finite(data, [column])
    require_complete(data, [by], "every row must say which unit it belongs to.")
    mean = data.groupby(by, observed=True)[column].transform("mean")
    return pd.DataFrame({f"{column}_between": mean, f"{column}_within": data[column] - mean})


def check_growth_data(data, subject, time) -> None:
    """Check long-format growth data: one row per subject and occasion.

    Raises ``ValueError`` if ``subject`` or ``time`` is missing, a subject has
    two rows for the same time, or a subject has a single time point (its own
    growth rate cannot be estimated, and an OLS trajectory or
    :func:`hlm_variance_chisq` for the slope would skip it silently). A mixed
    model can still use such subjects for the intercept: drop this check
    deliberately if that is what you want.
    """
    require_columns(data, [subject, time])
    require_distinct({"the subject": subject, "the time": time})
    require_no_numeric_text(data, [time], role="time")
    require_finite(data, [time], role="time")
    if data[[subject, time]].isna().any().any():
        raise ValueError(f"{subject!r} or {time!r} has missing values; every row needs both.")
    if data.duplicated([subject, time]).any():
        dup = data.loc[data.duplicated([subject, time]), subject].unique()[:5].tolist()
        raise ValueError(f"subject(s) {dup} have more than one row at the same {time!r}; "
                         "average them or fix the time coding.")
    counts = data.groupby(subject, observed=True)[time].nunique()
    single = counts[counts < 2].index.tolist()
    if single:
        raise ValueError(f"{len(single)} subject(s) have a single time point (e.g. {single[:5]}); "
                         "a growth model needs at least two occasions per subject to estimate "
                         "its growth rate. Drop them or report them separately.")


# --------------------------------------------------------------------------
# HLM's chi-square test of a variance component
# --------------------------------------------------------------------------
def _mixed_result(fit):
    """The object to read estimates from: a :class:`MixedFit` itself (its polished
    values: ``fe_params``, ``scale``, ``llf``, ``reml``, ``k_re``, ``k_vc``,
    ``exog_names``, ``nobs``), or a statsmodels result as given."""
    return fit


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


def _unit_ols(d, outcome, group, l1, min_cases):
    """Per-unit OLS of ``outcome`` on ``1 + l1``: ``[(unit id, rows, bhat, diag((X'X)^-1))]``.

    A unit is usable when ``X_j'X_j`` is invertible and it has enough cases:
    ``min_cases="more"`` needs ``n_j > Q`` (at least one residual df),
    ``"at_least"`` accepts ``n_j = Q``, an exact fit (see :func:`hlm_variance_chisq`).
    """
    if min_cases not in MIN_CASES:
        raise ValueError(f"min_cases must be 'more' or 'at_least', got {min_cases!r}.")
    out = []
    for key, unit in d.groupby(group, observed=True, sort=True):
        x = np.column_stack([np.ones(len(unit))] + [unit[c].to_numpy(float) for c in l1])
        q = x.shape[1]
        too_few = len(unit) <= q if min_cases == "more" else len(unit) < q
        if too_few or np.linalg.matrix_rank(x) < q:
            continue
        xtx_inv = np.linalg.inv(x.T @ x)
        out.append((key, unit, xtx_inv @ x.T @ unit[outcome].to_numpy(float), np.diag(xtx_inv)))
    return out


def _no_units_message(group, min_cases):
    need = "more cases than" if min_cases == "more" else "at least as many cases as"
    return (f"no {group!r} unit has {need} level-1 coefficients (and an invertible X'X); "
            "the chi-square test needs units with enough data.")


def hlm_variance_chisq(data, outcome, group, level1_predictors=(), level2_predictors=(),
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
    (:func:`lr_test_variance_component`).

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
    outcome, group : str
    level1_predictors : list of str
        Level-1 predictors (centre them first, e.g. with
        :func:`person_mean_center`, so the intercept means what you want).
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
    require_columns(data, [outcome, group] + l1 + l2)
    require_distinct({"the outcome": outcome, "the group": group, "a level-1 predictor": l1,
                      "a level-2 predictor": l2})
    require_numeric(data, [outcome], role="outcome")
    require_numeric(data, l1 + l2, role="predictor")
    require_finite(data, [outcome], role="outcome")
    require_finite(data, l1 + l2, role="predictor")
    random_slopes = require_bool("random_slopes", random_slopes)
    if min_cases not in MIN_CASES:
        raise ValueError(f"min_cases must be 'more' or 'at_least', got {min_cases!r}.")
    d = data[[outcome, group] + l1 + l2].dropna()
    if l2:
        varies = [w for w in l2 if (d.groupby(group, observed=True)[w].nunique() > 1).any()]
        if varies:
            raise ValueError(f"level-2 predictor(s) {varies} vary within {group!r}; a level-2 "
                             "predictor must be constant within each unit.")
    if fit is None:
        rhs = " + ".join(l1 + l2) or "1"
        re = ("~ " + " + ".join(l1)) if (l1 and random_slopes) else None
        fit = fit_mixed(f"{outcome} ~ {rhs}", d, group, re_formula=re)
    res = _mixed_result(fit)
    gamma, sigma2 = _fixed_and_sigma2(res)
    absent = [c for c in ["Intercept"] + l1 + l2 if c not in gamma]
    if absent:
        raise ValueError(f"the fitted model has no fixed effect(s) {absent}; fit it with the same "
                         f"level-1 and level-2 predictors (its fixed effects: {list(gamma.index)}).")

    coefs = ["Intercept"] + l1
    rows = {c: [] for c in coefs}
    units = _unit_ols(d, outcome, group, l1, min_cases)
    if not units:
        raise ValueError(_no_units_message(group, min_cases))
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
            raise ValueError(f"only {len(vals)} {group!r} unit(s) have enough data for the "
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
                         "sigma^2 are used), e.g. fit_mixed(..., groups=level3, vc_formula=...).")
    d = data[[outcome, level2, level3] + l1].dropna()
    if (d.groupby(level2, observed=True)[level3].nunique() > 1).any():
        raise ValueError(f"some {level2!r} units belong to more than one {level3!r}; a "
                         "three-level model needs each person inside one cluster.")
    res = _mixed_result(fit)
    gamma, sigma2 = _fixed_and_sigma2(res)
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
                         "test alone use hlm_variance_chisq(..., group=level2).")
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


# --------------------------------------------------------------------------
# Likelihood-ratio tests
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class LikelihoodRatioTest:
    """Result of a likelihood-ratio (deviance-difference) test.

    ``statistic = deviance_reduced - deviance_full = 2 (llf_full - llf_reduced)``,
    ``df`` = number of extra parameters, ``p`` the p-value used for inference,
    ``p_naive`` the plain chi-square(df) p-value (equal to ``p`` for fixed effects).
    """

    statistic: float
    df: int
    p: float
    p_naive: float
    deviance_full: float
    deviance_reduced: float
    criterion: str


def _info(fit) -> dict:
    res = _mixed_result(fit)
    if isinstance(res, MixedFit):  # polished estimates
        k_re, k_vc = int(res.k_re), int(res.k_vc)
        return {"llf": float(res.llf), "reml": bool(res.reml), "nobs": int(res.nobs),
                "fe": list(res.exog_names), "k_effects": k_re + k_vc,
                "k_cov": k_re * (k_re + 1) // 2 + k_vc + 1}
    if hasattr(res, "cov_re"):  # statsmodels MixedLM
        k_re, k_vc = int(res.k_re), int(res.model.k_vc)
        return {"llf": float(res.llf), "reml": bool(res.reml), "nobs": int(res.model.nobs),
                "fe": list(res.model.exog_names), "k_effects": k_re + k_vc,
                "k_cov": k_re * (k_re + 1) // 2 + k_vc + 1}
    if hasattr(res, "llf") and hasattr(res, "params"):  # OLS/GLM: maximum likelihood
        return {"llf": float(res.llf), "reml": False, "nobs": int(res.nobs),
                "fe": list(getattr(res.model, "exog_names", [])), "k_effects": 0, "k_cov": 1}
    raise ValueError(f"expected a MixedFit or a statsmodels result, got {type(fit).__name__}.")


def _lr(full, reduced):
    stat = 2 * (full["llf"] - reduced["llf"])
    if stat < -1e-6:
        raise ValueError(f"the full model's log-likelihood ({full['llf']:.3f}) is below the reduced "
                         f"model's ({reduced['llf']:.3f}); the models are not nested or an optimizer "
                         "stopped early (refit with fit_mixed, which tries several).")
    return max(stat, 0.0)


def lr_test_variance_component(full, reduced) -> LikelihoodRatioTest:
    """Likelihood-ratio test of one added random effect, with the boundary correction.

    The statistic ``2 (llf_full - llf_reduced)`` compares a model with one more
    random effect (a random intercept, or a random slope with its covariances)
    against one without. Under H0 the new variance is 0, on the *edge* of its
    allowed range, so the statistic is not chi^2(k) but a 50:50 mixture of
    chi^2(k-1) and chi^2(k), where ``k`` is the number of added (co)variance
    parameters (Stram & Lee 1994; Raudenbush & Bryk 2002, sec. 3.6)::

        p = 0.5 P(chi^2_{k-1} > LR) + 0.5 P(chi^2_k > LR),  chi^2_0 = point mass at 0.

    For a single variance (k = 1) this halves the naive p-value. REML fits
    are fine here provided both models have the same fixed effects.

    Parameters
    ----------
    full, reduced : MixedFit or statsmodels result
        ``reduced`` may be an OLS fit (no random effects); then ``full`` must
        be fitted by ML (``reml=False``), since OLS gives an ML log-likelihood.

    Returns
    -------
    LikelihoodRatioTest with the mixture ``p`` and the naive ``p_naive``.
    """
    f, r = _info(full), _info(reduced)
    if f["reml"] != r["reml"]:
        raise ValueError("one model is fitted by REML and the other by ML; their log-likelihoods "
                         "are not comparable. Fit both the same way (an OLS reduced model is ML, "
                         "so refit the full model with reml=False).")
    if f["nobs"] != r["nobs"] or f["fe"] != r["fe"]:
        raise ValueError("the two models must use the same rows and the same fixed effects; a "
                         "variance-component test changes only the random part.")
    if f["k_effects"] - r["k_effects"] != 1:
        raise ValueError(f"the full model adds {f['k_effects'] - r['k_effects']} random effects; "
                         "the 50:50 mixture applies to adding exactly one. Test them one at a time.")
    k = f["k_cov"] - r["k_cov"]
    stat = _lr(f, r)
    naive = float(stats.chi2.sf(stat, k))
    lower = float(stats.chi2.sf(stat, k - 1)) if k > 1 else float(stat <= 0)
    return LikelihoodRatioTest(stat, k, 0.5 * lower + 0.5 * naive, naive, -2 * f["llf"],
                               -2 * r["llf"], "REML" if f["reml"] else "ML")


def deviance_test(full, reduced) -> LikelihoodRatioTest:
    """Deviance-difference test for nested models that differ in fixed effects.

    ``D = -2 llf``; ``D_reduced - D_full ~ chi^2(df)`` under H0, with ``df``
    the difference in the number of parameters (Raudenbush & Bryk 2002,
    sec. 3.6). Both models must be fitted by full maximum likelihood
    (``fit_mixed(..., reml=False)``): the REML likelihood is that of residuals
    after removing the fixed effects, so two models with different fixed
    effects have REML likelihoods of *different data* and their difference
    means nothing.
    """
    f, r = _info(full), _info(reduced)
    if f["reml"] or r["reml"]:
        raise ValueError("deviance tests of fixed effects need ML fits: a REML likelihood depends "
                         "on the fixed-effect design, so REML deviances of models with different "
                         "fixed effects are not comparable. Refit both with reml=False.")
    if f["nobs"] != r["nobs"]:
        raise ValueError(f"the models use different numbers of rows ({f['nobs']} vs {r['nobs']}); "
                         "drop missing values before fitting both.")
    df = (len(f["fe"]) + f["k_cov"]) - (len(r["fe"]) + r["k_cov"])
    if df < 1:
        raise ValueError(f"the full model has {df} extra parameters; pass the larger model as `full`.")
    stat = _lr(f, r)
    p = float(stats.chi2.sf(stat, df))
    return LikelihoodRatioTest(stat, df, p, p, -2 * f["llf"], -2 * r["llf"], "ML")


# --------------------------------------------------------------------------
# Trajectories and effect sizes
# --------------------------------------------------------------------------
def fixed_trajectory(fit, times, time_terms, at=None) -> pd.Series:
    """The average trajectory implied by a growth model's fixed effects.

    ``yhat(t) = gamma_Intercept + sum_m gamma_m f_m(t) + sum_c gamma_c x_c
    + sum_{m,c} gamma_{m:c} f_m(t) x_c``: each time term ``m`` is a function of
    time (e.g. ``t``, ``t**2``, ``max(t - 0.5, 0)``), and ``at`` fixes the
    other predictors ``x_c`` (e.g. at their grand means, as in a figure
    "with grand-mean centred adjustments"), including their interactions with
    the time terms. Predictors not in ``at`` are held at 0. For a
    logistic model the values are on the logit scale.

    Parameters
    ----------
    fit : MixedFit, statsmodels result, or Series of fixed effects
    times : array-like of float
    time_terms : mapping {fixed-effect name: int power or callable}
        e.g. ``{"time": 1, "t2": 2, "t3": 3}`` or
        ``{"base": lambda t: t, "increment": lambda t: np.maximum(t - .5, 0)}``.
    at : mapping {fixed-effect name: value}, optional

    Returns
    -------
    Series indexed by time.
    """
    if isinstance(fit, pd.Series):
        fe = fit
    elif isinstance(fit, MixedFit):
        fe = fit.fe_params
    elif hasattr(fit, "fe_params") or (hasattr(fit, "params") and hasattr(fit, "model")):
        res = _mixed_result(fit)
        fe = pd.Series(np.asarray(res.fe_params if hasattr(res, "fe_params") else res.params),
                       index=getattr(res.model, "exog_names", None))
    else:
        raise ValueError(f"fit must be a MixedFit, a statsmodels result or a Series of fixed "
                         f"effects, got {type(fit).__name__}; for a dict use pd.Series(d).")
    t = numeric_values(times, "times")
    _check_finite(t, "times", allow_nan=False)
    if not isinstance(time_terms, Mapping):
        raise ValueError("time_terms must be a mapping {fixed-effect name: power or function}, "
                         f"e.g. {{'time': 1, 'time2': 2}}; got {time_terms!r}.")
    if at is not None and not isinstance(at, Mapping):
        raise ValueError(f"at must be a mapping {{fixed-effect name: value}}, got {at!r}.")
    at = {c: require_number(f"at[{c!r}]", v) for c, v in dict(at or {}).items()}
    missing = [n for n in ["Intercept", *time_terms, *at] if n not in fe.index]
    if missing:
        raise ValueError(f"fixed effect(s) {missing} are not in the model "
                         f"(it has {list(fe.index)[:12]}).")
    used = [n for n in fe.index if n == "Intercept" or n in time_terms or n in at
            or any(n in (f"{m}:{c}", f"{c}:{m}") for m in time_terms for c in at)]
    if not pd.api.types.is_numeric_dtype(fe[used]) and not all(
            isinstance(v, (int, float, np.number)) and not isinstance(v, (bool, np.bool_))
            for v in fe[used]):
        raise ValueError("the fixed effects must be numbers; convert them with pd.to_numeric(...).")
    if not np.all(np.isfinite(fe[used].to_numpy(dtype=float))):
        bad = [n for n in used if not np.isfinite(float(fe[n]))]
        raise ValueError(f"fixed effect(s) {bad} are not finite; refit the model.")
    for m, f in time_terms.items():
        if not callable(f):
            require_int(f"time_terms[{m!r}] (a power of time)", f, minimum=1,
                        what="a positive integer power or a function of time")
    funcs = {m: (f if callable(f) else (lambda x, p=int(f): x ** p)) for m, f in time_terms.items()}
    y = np.full(t.shape, float(fe["Intercept"]))
    y = y + sum(float(fe[c]) * float(v) for c, v in at.items())
    for m, f in funcs.items():
        slope = float(fe[m]) + sum(float(fe.get(f"{m}:{c}", fe.get(f"{c}:{m}", 0.0))) * float(v)
                                   for c, v in at.items())
        term = np.asarray(f(t), dtype=float)
        if term.shape != t.shape:
            raise ValueError(f"the function for time term {m!r} returned shape {term.shape} for "
                             f"{t.size} times; it must return one value per time.")
        y = y + slope * term
    return pd.Series(y, index=pd.Index(t, name="time"), name="fitted")


def pooled_within_sd(data, value, by) -> float:
    """Pooled within-occasion standard deviation, sqrt(sum (n_g - 1) s_g^2 / sum (n_g - 1)).

    The SD of ``value`` within each level of ``by`` (e.g. data cycle), pooled
    with weights ``n_g - 1`` as in a one-way ANOVA's mean square within. It
    leaves out the variation *between* occasions, i.e. the growth itself, so
    it is a natural denominator for an effect size of growth; other common
    choices are the SD at baseline or the average of the first and last SDs
    (Lakens 2013's d_av). Groups with one value add nothing.
    """
    require_columns(data, [value, by])
    require_distinct({"the value": value, "the occasion (by)": by})
    require_numeric(data, [value])
    require_finite(data, [value])
    d = data[[value, by]].dropna()
    g = d.groupby(by, observed=True)[value]
    n, var = g.size(), g.var(ddof=1)
    ok = n > 1
    if ok.sum() == 0:
        raise ValueError(f"no level of {by!r} has two or more values of {value!r}.")
    return float(np.sqrt(((n[ok] - 1) * var[ok]).sum() / (n[ok] - 1).sum()))
