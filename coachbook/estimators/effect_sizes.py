"""Standardized change in a within-teacher design, and spread relative to the mean.

- :func:`d_z`, :func:`d_av`, :func:`g_av`: standardized mean change of paired
  (pre/post, within-teacher) measurements (Lakens 2013);
- :func:`pooled_within_sd`: the pooled within-occasion SD, a denominator for
  an effect size of growth;
- :func:`coefficient_of_variation`: spread relative to the mean.

References
----------
Lakens, D. (2013). Calculating and reporting effect sizes to facilitate
cumulative science. *Frontiers in Psychology, 4*, 863.
"""
from __future__ import annotations

import numpy as np

from coachbook.estimators._validate import (require_columns, require_distinct, require_finite,
                                            require_numeric)
from coachbook.estimators._values import (RELATIVE_TOLERANCE, _check_finite, is_constant,
                                          numeric_values)

__all__ = ["coefficient_of_variation", "d_av", "d_z", "g_av", "pooled_within_sd"]


# --------------------------------------------------------------------------
# Effect sizes for paired (pre/post, within-teacher) designs
# --------------------------------------------------------------------------
def _paired_values(x1, x2) -> tuple[np.ndarray, np.ndarray]:
    a, b = numeric_values(x1, "x1"), numeric_values(x2, "x2")
    _check_finite(a, "x1", allow_nan=True)
    _check_finite(b, "x2", allow_nan=True)
    if a.size != b.size:
        raise ValueError(
            f"x1 has {a.size} values and x2 has {b.size}; paired effect sizes need one "
            "pair per person (the same people, in the same order)."
        )
    complete = ~(np.isnan(a) | np.isnan(b))  # a pair with a missing half carries no change
    a, b = a[complete], b[complete]
    if a.size < 2:
        raise ValueError(
            f"only {a.size} complete pair(s); a standard deviation needs at least 2."
        )
    return a, b


def d_z(x1, x2) -> float:
    """Cohen's d_z: mean difference over the SD of the differences.

    d_z = mean(x1 - x2) / SD(x1 - x2) = t / sqrt(n). It describes the
    *consistency* of change, so it is the right input to a power analysis for
    a paired test, but it is not comparable to a between-group d (Lakens 2013,
    eq. 6). Pairs with a missing value are dropped.

    References
    ----------
    Lakens, D. (2013). Calculating and reporting effect sizes to facilitate
    cumulative science. *Frontiers in Psychology, 4*, 863.
    """
    a, b = _paired_values(x1, x2)
    diff = a - b
    sd = diff.std(ddof=1)
    if sd == 0 or np.ptp(diff) <= RELATIVE_TOLERANCE * max(np.abs(a).max(), np.abs(b).max()):
        raise ValueError(
            "every pair changed by the same amount, so d_z is undefined (SD of differences is 0)."
        )
    return float(diff.mean() / sd)


def d_av(x1, x2) -> float:
    """Cohen's d_av: mean difference over the average of the two SDs.

    d_av = (mean(x1) - mean(x2)) / ((SD1 + SD2) / 2)   (Lakens 2013, eq. 10)

    It ignores the correlation between the two measurements, so it is close to
    the d a between-group design would give; report it next to d_z. Note the
    denominator is the mean of the two SDs, not the root mean square. Pairs
    with a missing value are dropped.

    References
    ----------
    Lakens, D. (2013). Calculating and reporting effect sizes to facilitate
    cumulative science. *Frontiers in Psychology, 4*, 863.
    """
    a, b = _paired_values(x1, x2)
    mean_sd = (a.std(ddof=1) + b.std(ddof=1)) / 2
    if mean_sd == 0 or (is_constant(a) and is_constant(b)):
        raise ValueError("both measurements are constant, so d_av is undefined (both SDs are 0).")
    return float((a.mean() - b.mean()) / mean_sd)


def g_av(x1, x2) -> float:
    """Hedges's g_av: d_av with the small-sample bias correction.

    g_av = d_av * (1 - 3 / (4 (n1 + n2) - 9)), with n1 = n2 = the number of
    complete pairs (Lakens 2013, eq. 4 applied to d_av, as in his worked
    example). d overestimates the population effect in small samples; the
    factor removes most of that bias.
    """
    a, _ = _paired_values(x1, x2)
    return d_av(x1, x2) * (1 - 3 / (4 * (2 * a.size) - 9))


def coefficient_of_variation(x) -> float:
    """Sample SD divided by the mean (missing values dropped).

    A unit-free measure of spread, meaningful only for ratio-scale quantities
    with a true zero (minutes of coaching, number of sessions), not for
    rubric scores whose zero is arbitrary. Negative values are therefore
    refused, as are infinite values and a mean of 0.
    """
    values = numeric_values(x, "x")
    _check_finite(values, "x", allow_nan=True)
    values = values[~np.isnan(values)]
    if values.size < 2:
        raise ValueError(f"need at least 2 non-missing values for a sample SD, got {values.size}.")
    mean = values.mean()
    if mean == 0 or abs(mean) <= RELATIVE_TOLERANCE * np.abs(values).max():
        raise ValueError("the mean is 0, so the coefficient of variation is undefined.")
    if (values < 0).any():
        raise ValueError(
            f"x has {int((values < 0).sum())} negative value(s) (e.g. {values[values < 0][0]:g}); "
            "the coefficient of variation is defined for non-negative ratio-scale quantities "
            "(minutes, counts), where SD / mean compares spread to a true zero. Report the SD."
        )
    return float(values.std(ddof=1) / mean)



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
