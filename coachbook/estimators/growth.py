"""Growth models: coding time, centering, and the trajectory a fitted model implies.

A two-level growth model treats occasions ``t`` as nested in persons ``i``
(Raudenbush & Bryk 2002, ch. 6): ``y_ti = pi_0i + pi_1i a_ti + e_ti`` at level 1,
and ``pi_pi = beta_p0 + beta_p1 X_i + r_pi`` at level 2. How ``a_ti`` is coded
decides what the intercept and the slopes mean, so the coding functions here
are small but worth reading. :func:`fixed_trajectory` reads the average
trajectory off a fitted model. The tests of variance components are in
:mod:`.hlm_tests` (HLM's chi-square) and :mod:`.likelihood_ratio` (deviance
and likelihood-ratio tests); effect sizes of growth in :mod:`.effect_sizes`.

References
----------
Raudenbush, S. W., & Bryk, A. S. (2002). *Hierarchical Linear Models* (2nd ed.).
Singer, J. D., & Willett, J. B. (2003). *Applied Longitudinal Data Analysis*.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from coachbook.estimators._validate import (require_columns, require_complete, require_distinct,
                                            require_finite, require_no_numeric_text,
                                            require_numeric)
from coachbook.estimators._values import (_check_finite, _is_text, _parses_as_number,
                                          numeric_values, require_int, require_number,
                                          require_positive_finite)
from coachbook.estimators.mixed import MixedFit

__all__ = ["check_growth_data", "code_time_linear", "code_time_piecewise", "code_time_polynomial",
           "fixed_trajectory", "person_mean_center"]


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


def person_mean_center(data, column, cluster) -> pd.DataFrame:
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
    require_columns(data, [column, cluster])
    require_distinct({"the variable": column, "the unit (cluster)": cluster})
    require_numeric(data, [column])
    require_finite(data, [column])
    require_complete(data, [cluster], "every row must say which unit it belongs to.")
    mean = data.groupby(cluster, observed=True)[column].transform("mean")
    return pd.DataFrame({f"{column}_between": mean, f"{column}_within": data[column] - mean})


def check_growth_data(data, cluster, time) -> None:
    """Check long-format growth data: one row per subject and occasion.

    Raises ``ValueError`` if ``cluster`` or ``time`` is missing, a subject has
    two rows for the same time, or a subject has a single time point (its own
    growth rate cannot be estimated, and an OLS trajectory or
    :func:`coachbook.estimators.hlm_tests.hlm_variance_chisq` for the slope would skip it silently). A mixed
    model can still use such subjects for the intercept: drop this check
    deliberately if that is what you want.
    """
    require_columns(data, [cluster, time])
    require_distinct({"the subject": cluster, "the time": time})
    require_no_numeric_text(data, [time], role="time")
    require_finite(data, [time], role="time")
    if data[[cluster, time]].isna().any().any():
        raise ValueError(f"{cluster!r} or {time!r} has missing values; every row needs both.")
    if data.duplicated([cluster, time]).any():
        dup = data.loc[data.duplicated([cluster, time]), cluster].unique()[:5].tolist()
        raise ValueError(f"subject(s) {dup} have more than one row at the same {time!r}; "
                         "average them or fix the time coding.")
    counts = data.groupby(cluster, observed=True)[time].nunique()
    single = counts[counts < 2].index.tolist()
    if single:
        raise ValueError(f"{len(single)} subject(s) have a single time point (e.g. {single[:5]}); "
                         "a growth model needs at least two occasions per subject to estimate "
                         "its growth rate. Drop them or report them separately.")


# --------------------------------------------------------------------------
# The trajectory of a fitted model
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
        fe = pd.Series(np.asarray(fit.fe_params if hasattr(fit, "fe_params") else fit.params),
                       index=getattr(fit.model, "exog_names", None))
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
