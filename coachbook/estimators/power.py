"""Minimum detectable effect sizes for randomized coaching trials (PowerUp!).

The minimum detectable effect size (MDES) is the smallest true effect, in
standard-deviation units of the outcome, that a design would detect with the
stated power at the stated significance level. Every design here has

    MDES = M * SE,   M = t_{1 - alpha/2, df} + t_{power, df}

(one-tailed tests use t_{1 - alpha, df}), where SE is the standard error of the
standardized impact estimate and df the degrees of freedom of its t test.
Only SE and df change from design to design, and they are what a reader should
study: SE shows which level's variance dominates, df shows which sample size
counts.

Notation follows PowerUp! and the R package PowerUpR 1.1.0:
n = level-1 units per level-2 unit (students per teacher), J = level-2 units
(per block in blocked designs), K = level-3 units or blocks; rho2, rho3 =
intraclass correlations; r21, r22, r23 = shares of variance at levels 1-3
explained by covariates; g = number of covariates at the randomization level;
p = share assigned to treatment.

References
----------
Dong, N., & Maynard, R. (2013). PowerUp!: A tool for calculating minimum
detectable effect sizes and minimum required sample sizes for experimental and
quasi-experimental design studies. *Journal of Research on Educational
Effectiveness, 6*(1), 24-67.
Bulus, M., Dong, N., Kelcey, B., & Spybrook, J. (2021). PowerUpR: Power
analysis tools for multilevel randomized experiments (R package 1.1.0).
"""
from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import stats

from coachbook.estimators._values import (require_bool, require_int, require_number,
                                          require_open_unit)

__all__ = [
    "multiplier",
    "mdes_ira",
    "mdes_bira2f1",
    "mdes_cra2",
    "mdes_bcra3f2",
    "mdes_cra3",
    "mdes_table",
]


# --------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------
def _number(value, name: str) -> float:
    """A finite real number: not NaN, not infinite, not a boolean, not text."""
    return require_number(name, value)


def _open_unit(value, name: str) -> float:
    """A proportion strictly between 0 and 1 (power, alpha, p)."""
    return require_open_unit(name, value)


def _share(value, name: str) -> float:
    """A variance share in [0, 1): an ICC or an R-squared."""
    x = _number(value, name)
    if not 0 <= x < 1:
        raise ValueError(f"{name} must lie in [0, 1), got {x}.")
    return x


def _size(value, name: str, minimum: int = 2) -> float:
    # Sample sizes may be averages (e.g. 17.5 students per class), so floats are allowed,
    # but not NaN or infinity (an infinite sample has an MDES of 0, which answers nothing).
    x = _number(value, name)
    if x < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value!r}.")
    return x


def _covariates(value, name: str) -> int:
    return require_int(f"{name} (number of covariates)", value, minimum=0,
                       what="a non-negative integer")


def _positive_df(df: float, how_to_fix: str) -> float:
    if df <= 0:
        raise ValueError(f"the design has {df:g} degrees of freedom; {how_to_fix}")
    return df


# --------------------------------------------------------------------------
# The multiplier
# --------------------------------------------------------------------------
def multiplier(df: float, alpha: float = 0.05, power: float = 0.80, two_tailed: bool = True) -> float:
    """The MDES multiplier M = t_{1-alpha/2, df} + t_{power, df}.

    The first term is the critical value the estimate must clear; the second
    moves the true effect far enough past it that the estimate clears it with
    probability ``power``. With many df, M is about 1.96 + 0.84 = 2.80;
    ``df=np.inf`` gives that normal-theory limit exactly.

    ``df`` must be a positive number, ``alpha`` and ``power`` lie strictly
    between 0 and 1, and ``two_tailed`` must be ``True`` or ``False``.
    """
    df = require_number("df (degrees of freedom)", df, finite=False)
    if not df > 0:
        raise ValueError(
            f"df (degrees of freedom) must be positive, got {df:g}; a t test with no degrees "
            "of freedom has no critical value. Use more units or fewer covariates."
        )
    alpha = _open_unit(alpha, "alpha")
    power = _open_unit(power, "power")
    two_tailed = require_bool("two_tailed", two_tailed)
    critical = stats.t.ppf(1 - alpha / 2 if two_tailed else 1 - alpha, df)
    # PowerUpR writes T1 + |T2| for power >= .5 and T1 - |T2| below; t.ppf(power) is both.
    return float(critical + stats.t.ppf(power, df))


def _mdes(standard_error: float, df: float, alpha: float, power: float, two_tailed: bool) -> float:
    return multiplier(df, alpha, power, two_tailed) * standard_error


# --------------------------------------------------------------------------
# Designs
# --------------------------------------------------------------------------
def mdes_ira(n, *, p=0.5, r21=0.0, g1=0, alpha=0.05, power=0.80, two_tailed=True) -> float:
    """MDES for individual random assignment (PowerUp! model 1.0, ``ira``).

    n individuals (e.g. teachers), a share p randomized to treatment.

    SE = sqrt((1 - R2_1) / (p (1 - p) n)),   df = n - g1 - 2.
    """
    n = _size(n, "n")
    p, r21, g1 = _open_unit(p, "p"), _share(r21, "r21"), _covariates(g1, "g1")
    df = _positive_df(n - g1 - 2, "increase n or use fewer covariates (g1).")
    se = ((1 - r21) / (p * (1 - p) * n)) ** 0.5
    return _mdes(se, df, alpha, power, two_tailed)


def mdes_bira2f1(n, J, *, p=0.5, r21=0.0, g1=0, alpha=0.05, power=0.80, two_tailed=True) -> float:
    """MDES for blocked individual random assignment, fixed block effects (``bira2f1``).

    J blocks (schools, districts), n individuals per block, randomized within
    blocks; the block intercepts are fixed, so the impact is the average
    within-block contrast and block differences add no error. This is the
    teacher-level design of a coaching trial that randomizes teachers within
    schools.

    SE = sqrt((1 - R2_1) / (p (1 - p) J n)),   df = J (n - 2) - g1.
    """
    n, J = _size(n, "n (individuals per block)"), _size(J, "J (blocks)", minimum=1)
    p, r21, g1 = _open_unit(p, "p"), _share(r21, "r21"), _covariates(g1, "g1")
    df = _positive_df(J * (n - 2) - g1, "increase n (per block) or J, or use fewer covariates (g1).")
    se = ((1 - r21) / (p * (1 - p) * J * n)) ** 0.5
    return _mdes(se, df, alpha, power, two_tailed)


def mdes_cra2(rho2, n, J, *, p=0.5, r21=0.0, r22=0.0, g2=0, alpha=0.05, power=0.80,
              two_tailed=True) -> float:
    """MDES for two-level cluster random assignment (``cra2``).

    J clusters (teachers) with n students each; whole clusters are randomized.

    SE = sqrt(rho2 (1 - R2_2) / (p (1 - p) J) + (1 - rho2)(1 - R2_1) / (p (1 - p) J n)),
    df = J - g2 - 2.

    The first term does not shrink as n grows: with clustering, adding
    students per teacher soon stops helping and only more teachers do.
    """
    rho2 = _share(rho2, "rho2")
    n, J = _size(n, "n (students per cluster)"), _size(J, "J (clusters)")
    p, r21, r22, g2 = _open_unit(p, "p"), _share(r21, "r21"), _share(r22, "r22"), _covariates(g2, "g2")
    df = _positive_df(J - g2 - 2, "increase J (clusters) or use fewer cluster-level covariates (g2).")
    pq = p * (1 - p)
    se = (rho2 * (1 - r22) / (pq * J) + (1 - rho2) * (1 - r21) / (pq * J * n)) ** 0.5
    return _mdes(se, df, alpha, power, two_tailed)


def mdes_bcra3f2(rho2, n, J, K, *, p=0.5, r21=0.0, r22=0.0, g2=0, alpha=0.05, power=0.80,
                 two_tailed=True) -> float:
    """MDES for blocked cluster random assignment at level 2, fixed blocks (``bcra3f2``).

    K blocks (schools), J clusters per block (teachers), n students per
    cluster; clusters are randomized within blocks and block intercepts are
    fixed. This is the student-level design of a trial that randomizes
    teachers within schools and tests their students.

    SE = sqrt(rho2 (1 - R2_2) / (p (1 - p) J K) + (1 - rho2)(1 - R2_1) / (p (1 - p) J K n)),
    df = K (J - 2) - g2.
    """
    rho2 = _share(rho2, "rho2")
    n = _size(n, "n (students per cluster)")
    J, K = _size(J, "J (clusters per block)"), _size(K, "K (blocks)", minimum=1)
    p, r21, r22, g2 = _open_unit(p, "p"), _share(r21, "r21"), _share(r22, "r22"), _covariates(g2, "g2")
    df = _positive_df(
        K * (J - 2) - g2,
        "increase J (clusters per block, at least 3) or K, or use fewer covariates (g2).",
    )
    pq = p * (1 - p)
    se = (rho2 * (1 - r22) / (pq * J * K) + (1 - rho2) * (1 - r21) / (pq * J * K * n)) ** 0.5
    return _mdes(se, df, alpha, power, two_tailed)


def mdes_cra3(rho2, rho3, n, J, K, *, p=0.5, r21=0.0, r22=0.0, r23=0.0, g3=0, alpha=0.05,
              power=0.80, two_tailed=True) -> float:
    """MDES for three-level cluster random assignment at level 3 (``cra3``).

    K schools randomized whole, J teachers per school, n students per teacher.

    SE = sqrt(rho3 (1 - R2_3) / (p (1 - p) K) + rho2 (1 - R2_2) / (p (1 - p) J K)
              + (1 - rho2 - rho3)(1 - R2_1) / (p (1 - p) J K n)),
    df = K - g3 - 2.
    """
    rho2, rho3 = _share(rho2, "rho2"), _share(rho3, "rho3")
    if rho2 + rho3 >= 1:
        raise ValueError(
            f"rho2 + rho3 must be below 1 (they are shares of one variance), got {rho2 + rho3}."
        )
    n, J = _size(n, "n (students per teacher)"), _size(J, "J (teachers per school)", minimum=1)
    K = _size(K, "K (schools)")
    p, g3 = _open_unit(p, "p"), _covariates(g3, "g3")
    r21, r22, r23 = _share(r21, "r21"), _share(r22, "r22"), _share(r23, "r23")
    df = _positive_df(K - g3 - 2, "increase K (schools) or use fewer school-level covariates (g3).")
    pq = p * (1 - p)
    se = (
        rho3 * (1 - r23) / (pq * K)
        + rho2 * (1 - r22) / (pq * J * K)
        + (1 - rho2 - rho3) * (1 - r21) / (pq * J * K * n)
    ) ** 0.5
    return _mdes(se, df, alpha, power, two_tailed)


# --------------------------------------------------------------------------
# Grids for charts
# --------------------------------------------------------------------------
def mdes_table(design: Callable[..., float], **params) -> pd.DataFrame:
    """Evaluate an MDES function over every combination of the given values.

    Parameters
    ----------
    design : callable
        One of the ``mdes_*`` functions.
    **params
        Its arguments by name. A list, tuple or range is a grid axis; a
        scalar is held fixed.

    Returns
    -------
    pandas.DataFrame
        One row per combination: a column per grid axis, then ``mdes``.

    Examples
    --------
    MDES against teachers and students per teacher, for a chart:

    >>> grid = mdes_table(mdes_cra2, rho2=0.17, n=[5, 15, 25], J=range(10, 61, 10))
    >>> list(grid.columns)
    ['n', 'J', 'mdes']
    """
    if not callable(design):
        raise ValueError(f"design must be one of the mdes_* functions, got {design!r}.")
    try:
        signature = inspect.signature(design)
    except (TypeError, ValueError):
        signature = None
    if signature is not None:
        accepted = [n for n, p in signature.parameters.items()
                    if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        takes_any = any(p.kind == p.VAR_KEYWORD for p in signature.parameters.values())
        unknown = [k for k in params if k not in accepted]
        if unknown and not takes_any:
            raise ValueError(
                f"{getattr(design, '__name__', 'design')} has no parameter(s) {unknown}; "
                f"it takes {accepted}."
            )
        required = [n for n, p in signature.parameters.items()
                    if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        absent = [n for n in required if n not in params]
        if absent:
            raise ValueError(
                f"{getattr(design, '__name__', 'design')} needs {absent}; give each a value "
                "or a list of values."
            )
    sets = [k for k, v in params.items() if isinstance(v, (set, frozenset))]
    if sets:
        raise ValueError(f"grid axis {sets[0]!r} is a set, whose order is arbitrary; pass a list.")
    axes = {}
    for k, v in params.items():
        if isinstance(v, (np.ndarray, pd.Series, pd.Index)):
            if np.ndim(v) != 1:
                raise ValueError(f"grid axis {k!r} must be one-dimensional, got shape {np.shape(v)}.")
            axes[k] = [x.item() if isinstance(x, np.generic) else x for x in v]
        elif isinstance(v, (list, tuple, range)):
            axes[k] = list(v)
    fixed = {k: v for k, v in params.items() if k not in axes}
    empty = [k for k, v in axes.items() if not v]
    if empty:
        raise ValueError(f"grid axis/axes {empty} are empty; give at least one value each.")
    rows = []
    for combination in itertools.product(*axes.values()):
        point = dict(zip(axes, combination))
        rows.append({**point, "mdes": design(**fixed, **point)})
    return pd.DataFrame(rows, columns=[*axes, "mdes"])
