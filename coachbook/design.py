"""Design-stage tools for a coaching trial: a randomization test of balance and a net-cost calculator.

Two small tools that the chapters on designing the MQI Coaching trial and on
its costs share with the reader:

- :func:`randomization_balance_test` asks whether baseline covariates jointly
  predict assignment, and judges the answer against the distribution the
  randomization itself produces rather than against an F table. With many
  covariates and few units, robust Wald tests are far from their F reference
  distribution; the randomization distribution is exact for the design.
- :func:`net_cost` turns a per-teacher program cost and a retention effect
  into the cost that remains after the savings from hires a district did not
  have to make (Kraft & Hill 2019, Program Costs), with every assumption a
  parameter.

References
----------
Kraft, M. A., & Hill, H. C. (2019). Developing ambitious mathematics
instruction through web-based coaching: A randomized field trial.
EdWorkingPaper 19-119.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ._validate import (
    require_binary,
    require_both_arms,
    require_columns,
    require_distinct,
    require_finite,
    require_names,
    require_number,
    require_numeric,
    require_seed,
)
from .rct import _block_codes, _draw_assignments

__all__ = ["RandomizationBalanceTest", "randomization_balance_test", "NetCost", "net_cost"]


# --------------------------------------------------------------------------
# Randomization test of joint balance
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class RandomizationBalanceTest:
    """Result of :func:`randomization_balance_test`.

    Attributes
    ----------
    statistic : float
        Observed Wald statistic in F form (the ``statistic`` of
        :func:`coachbook.rct.joint_balance_test` with the same ``cov_type``).
    df_num, df_denom : int
        Covariates tested and residual degrees of freedom (n minus covariates
        minus blocks).
    p_f : float
        p-value from the F(df_num, df_denom) reference distribution.
    p_randomization : float
        Share of re-randomizations (counting the observed one) whose
        statistic is at least the observed: ``(1 + #{W_d >= W}) / (1 + D)``.
    null_statistics : numpy.ndarray
        The statistic under each of the ``n_draws`` re-randomizations.
    n : int
        Units used.
    cov_type : str
        ``"HC1"`` or ``"nonrobust"``.
    """

    statistic: float
    df_num: int
    df_denom: int
    p_f: float
    p_randomization: float
    null_statistics: np.ndarray
    n: int
    cov_type: str


_TIE_TOLERANCE = 1e-9   # relative: randomization statistics closer than this are ties


def _randomization_p(null: np.ndarray, statistic: float) -> float:
    """``(1 + #draws at least as extreme) / (1 + #draws)``, ties judged to a relative 1e-9.

    A draw whose statistic equals the observed one (the same assignment, its
    mirror image, or units with identical covariates swapped) is at least as
    extreme. Computed in another row of the same matrix products it can
    differ from the observed value in the last bits, either way depending on
    the BLAS kernel, so equality is not left to the sign of a rounding error.
    """
    null = np.asarray(null, dtype=float)
    tie = _TIE_TOLERANCE * abs(statistic)
    return float((1 + np.sum(null >= statistic - tie)) / (1 + len(null)))


def randomization_balance_test(
    data: pd.DataFrame,
    covariates: Sequence[str],
    treatment: str = "treatment",
    block: str = "block",
    cov_type: str = "HC1",
    n_draws: int = 2000,
    seed: int | np.random.Generator = 0,
    n_treated=None,
) -> RandomizationBalanceTest:
    """Joint balance test with a randomization (permutation) p-value.

    The statistic is the one of :func:`coachbook.rct.joint_balance_test`:
    regress the 0/1 assignment on the covariates and block fixed effects and
    form the Wald statistic :math:`W = \\hat\\theta' \\hat V^{-1} \\hat\\theta / k`
    for the :math:`k` covariate coefficients. Its p-value is computed twice:

    - from the :math:`F(k, n - k - B)` distribution, which holds only
      approximately, and poorly for the robust (HC1) version when :math:`k`
      is large relative to :math:`n` or some covariates are rare 0/1
      indicators (their high-leverage units make HC1 too small and :math:`W`
      too large);
    - from the randomization distribution: ``n_draws`` fresh within-block
      randomizations of the same units (as in
      :func:`coachbook.rct.randomize_within_blocks`), each giving a value of
      :math:`W` computed in exactly the same way. Under the design, the
      observed assignment is one draw from this distribution, so the share of
      draws at least as extreme is a valid p-value whatever the statistic's
      small-sample behaviour (a draw within a relative 1e-9 of the observed
      statistic counts as a tie, hence as at least as extreme, so that the
      p-value does not hinge on rounding).

    The computation is vectorized over draws: by the Frisch-Waugh-Lovell
    theorem, covariates and assignments are residualized on the block
    indicators once, and the coefficients, residuals and sandwich covariances
    of all draws come from a few matrix products.

    Parameters
    ----------
    data : DataFrame
        One row per randomized unit; covariates must have no missing values.
    covariates : sequence of str
        Numeric baseline characteristics, not collinear with each other or
        with the blocks.
    treatment, block : str
        0/1 assignment column and randomization-block column.
    cov_type : {"HC1", "nonrobust"}
        Covariance used in the Wald statistic. HC1 is Stata's ``robust``.
    n_draws : int
        Number of re-randomizations (at least 100).
    seed : int or numpy.random.Generator
        For reproducibility.
    n_treated
        Treated units per block, as in
        :func:`coachbook.rct.randomize_within_blocks` (default: half).

    Returns
    -------
    RandomizationBalanceTest

    Raises
    ------
    ValueError
        Missing columns or values, non-numeric covariates, treatment not 0/1,
        a block with one arm, collinear covariates, an unsupported
        ``cov_type`` or too few draws.
    """
    covariates = require_names("covariates", covariates)
    if not covariates:
        raise ValueError("randomization_balance_test needs at least one covariate.")
    require_columns(data, [treatment, block, *covariates])
    require_distinct({"the treatment": treatment, "the block": block, "a covariate": covariates})
    require_numeric(data, covariates, role="covariate")
    require_finite(data, covariates, role="covariate")
    if cov_type not in ("HC1", "nonrobust"):
        raise ValueError(
            f"cov_type must be 'HC1' or 'nonrobust', got {cov_type!r}; HC2 and HC3 depend on "
            "leverages of the full design and are not available in the vectorized form."
        )
    if not isinstance(n_draws, (int, np.integer)) or isinstance(n_draws, bool) or n_draws < 100:
        raise ValueError(f"n_draws must be an integer of at least 100, got {n_draws!r}.")
    seed = require_seed(seed)
    missing = [c for c in [treatment, block, *covariates] if data[c].isna().any()]
    if missing:
        raise ValueError(
            f"column(s) {missing} have missing values; every re-randomization must use the same "
            "units, so drop or impute them first."
        )
    observed = require_binary(data, treatment, role="treatment").astype(float)
    require_both_arms(data, treatment, by=block)

    codes, sizes = _block_codes(data, block)
    dummies = np.eye(len(sizes))[codes]
    x = data[covariates].to_numpy(dtype=float)
    n, k = x.shape
    # Residualize on blocks: subtract each block's mean.
    block_mean = (dummies.T @ x) / sizes.to_numpy()[:, None]
    x_r = x - block_mean[codes]
    gram = x_r.T @ x_r
    if np.linalg.matrix_rank(gram) < k:
        raise ValueError(
            "the covariates are collinear with each other or with the blocks (for example a "
            "characteristic constant within blocks, or indicators that add up to one); drop "
            "the redundant ones."
        )
    df_denom = n - k - len(sizes)
    if df_denom <= 0:
        raise ValueError(f"too many covariates ({k}) for {n} units in {len(sizes)} blocks.")
    gram_inv = np.linalg.inv(gram)

    rng = np.random.default_rng(seed)
    draws = _draw_assignments(codes, sizes, n_treated, rng, n_draws).astype(float)
    t_all = np.vstack([observed, draws])
    t_r = t_all - ((t_all @ dummies) / sizes.to_numpy())[:, codes]
    theta = t_r @ x_r @ gram_inv                       # (draws + 1) x k
    resid = t_r - theta @ x_r.T
    if cov_type == "HC1":
        meat = np.einsum("di,ij,il->djl", resid**2, x_r, x_r) * n / df_denom
        cov = gram_inv @ meat @ gram_inv
    else:
        sigma2 = (resid**2).sum(axis=1) / df_denom
        cov = sigma2[:, None, None] * gram_inv[None]
    wald = np.einsum("dj,dj->d", theta, np.linalg.solve(cov, theta[:, :, None])[:, :, 0]) / k

    statistic = float(wald[0])
    null = wald[1:]
    return RandomizationBalanceTest(
        statistic=statistic,
        df_num=k,
        df_denom=int(df_denom),
        p_f=float(stats.f.sf(statistic, k, df_denom)),
        p_randomization=_randomization_p(null, statistic),
        null_statistics=null,
        n=n,
        cov_type=cov_type,
    )


# --------------------------------------------------------------------------
# Net cost after retention savings
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class NetCost:
    """Result of :func:`net_cost`; money in the units of the inputs (dollars).

    Attributes
    ----------
    gross_cost : float
        ``cost_per_teacher * n_teachers``.
    teachers_retained : float
        Hires avoided: ``retention_effect * n_teachers`` or the count given.
    savings : float
        ``teachers_retained * replacement_cost``.
    net_cost : float
        ``gross_cost - savings`` (negative: the program pays for itself).
    net_cost_per_teacher : float
        ``net_cost / n_teachers``.
    share_offset : float
        ``savings / gross_cost``, the share of the cost recovered.
    break_even_replacement_cost : float
        Replacement cost at which savings equal the cost:
        ``gross_cost / teachers_retained`` (infinite if nobody is retained).
    """

    gross_cost: float
    teachers_retained: float
    savings: float
    net_cost: float
    net_cost_per_teacher: float
    share_offset: float
    break_even_replacement_cost: float

    def as_series(self) -> pd.Series:
        """The fields as a labelled Series, for a table."""
        return pd.Series(self.__dict__, dtype=float)


def _money(value, name: str, positive: bool) -> float:
    x = require_number(name, value, finite=False, allow_nan=True, unit="dollars")
    if not np.isfinite(x) or (x <= 0 if positive else x < 0):
        rule = "positive" if positive else "zero or positive"
        raise ValueError(f"{name} must be {rule} and finite, got {value!r}.")
    return x


def net_cost(
    cost_per_teacher: float,
    n_teachers: float,
    replacement_cost: float,
    *,
    retention_effect: float | None = None,
    teachers_retained: float | None = None,
) -> NetCost:
    """Program cost net of the savings from teachers a district did not have to replace.

    Kraft and Hill (2019, Program Costs) reason in three steps: coaching
    raised the chance that a teacher still taught math the next year, so
    fewer math vacancies had to be filled; each vacancy filled costs a
    district an amount estimated in the literature; so the program's cost,
    net of those savings, is smaller than its price. Here

    .. math::

        \\text{retained} = \\Delta \\times N, \\qquad
        \\text{savings} = \\text{retained} \\times c_{\\text{replace}}, \\qquad
        \\text{net} = c_{\\text{teacher}} N - \\text{savings},

    with :math:`\\Delta` the effect of the offer on retention (a share, e.g.
    0.106 for a 10.6 percentage-point effect) and :math:`N` the teachers
    offered the program.

    Parameters
    ----------
    cost_per_teacher : float
        Program cost per teacher offered (dollars), positive.
    n_teachers : float
        Teachers offered the program, positive.
    replacement_cost : float
        Cost of filling one vacancy (dollars), zero or positive.
    retention_effect : float, keyword-only
        Effect of the offer on the probability of staying, between -1 and 1.
        Give this or ``teachers_retained``, not both.
    teachers_retained : float, keyword-only
        Hires avoided, if known directly (between 0 and ``n_teachers``).

    Returns
    -------
    NetCost

    Raises
    ------
    ValueError
        Non-numeric, negative or non-finite amounts; both or neither of
        ``retention_effect`` and ``teachers_retained``; a retention effect
        outside [-1, 1]; more teachers retained than offered.

    Notes
    -----
    The calculation takes the retention effect at face value: every teacher
    kept is one vacancy not filled, and nothing else about the program saves
    or costs money. A negative effect (more turnover) makes the net cost
    larger than the price.

    Examples
    --------
    >>> round(net_cost(3500, 72, 15000, retention_effect=0.106).net_cost_per_teacher)
    1910
    """
    cost_per_teacher = _money(cost_per_teacher, "cost_per_teacher", positive=True)
    replacement_cost = _money(replacement_cost, "replacement_cost", positive=False)
    n = _money(n_teachers, "n_teachers", positive=True)
    if (retention_effect is None) == (teachers_retained is None):
        raise ValueError(
            "give exactly one of retention_effect (a share, e.g. 0.106) or teachers_retained "
            "(a count, e.g. 7)."
        )
    if retention_effect is not None:
        effect = require_number("retention_effect", retention_effect, allow_nan=True)
        if not -1 <= effect <= 1:
            raise ValueError(
                f"retention_effect is a difference in probabilities and must lie in [-1, 1], "
                f"got {effect}; write 10.6 percentage points as 0.106."
            )
        retained = effect * n
    else:
        retained = require_number("teachers_retained", teachers_retained, finite=False,
                                  allow_nan=True)
        if not 0 <= retained <= n:
            raise ValueError(
                f"teachers_retained must lie between 0 and n_teachers ({n:g}), got {retained}."
            )
    gross = cost_per_teacher * n
    savings = retained * replacement_cost
    net = gross - savings
    return NetCost(
        gross_cost=gross,
        teachers_retained=retained,
        savings=savings,
        net_cost=net,
        net_cost_per_teacher=net / n,
        share_offset=savings / gross,
        break_even_replacement_cost=gross / retained if retained > 0 else float("inf"),
    )
