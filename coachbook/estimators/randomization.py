"""Randomizing within blocks, and judging balance against the randomization itself.

:func:`randomize_within_blocks` draws one reproducible within-block
randomization, as Kraft and Hill (2019) randomized teachers within school
type and district; :func:`rerandomization_distribution` gives the chance
imbalance of a covariate over many randomizations of the same design; and
:func:`randomization_balance_test` judges the joint balance statistic of
:func:`coachbook.estimators.balance.joint_balance_test` against the
distribution the randomization produces rather than an F table (with many
covariates and few units robust Wald tests are far from their F reference;
the randomization distribution is exact for the design).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from coachbook.estimators._result import Result
from coachbook.estimators._validate import (require_binary, require_both_arms, require_columns,
                                            require_dataframe, require_distinct, require_finite,
                                            require_names, require_numeric)
from coachbook.estimators._values import is_constant, require_int, require_seed

__all__ = ["RandomizationBalanceTest", "randomization_balance_test", "randomize_within_blocks",
           "rerandomization_distribution"]


# --- Randomization --------------------------------------------------------------------------
def _treated_counts(block_sizes: pd.Series, n_treated) -> tuple[np.ndarray, np.ndarray]:
    """Per block: how many units to treat for sure, and whether one more is a coin flip."""
    sizes = block_sizes.to_numpy()
    if n_treated is None or (isinstance(n_treated, str) and n_treated == "half"):
        too_small = block_sizes.index[sizes < 2].tolist()
        if too_small:
            raise ValueError(
                f"block(s) {too_small[:5]} have a single unit and cannot hold both arms; "
                "merge them with a similar block."
            )
        # Odd blocks: the extra unit's arm is a fair coin, so every unit has
        # probability exactly 1/2 of treatment.
        return sizes // 2, sizes % 2 == 1
    if isinstance(n_treated, Mapping):
        absent = [b for b in block_sizes.index if b not in n_treated]
        if absent:
            raise ValueError(f"n_treated has no count for block(s) {absent[:5]}.")
        counts = np.array([require_int(f"n_treated[{b!r}]", n_treated[b], what="a whole number "
                                       "of units") for b in block_sizes.index])
    elif isinstance(n_treated, (int, np.integer)) and not isinstance(n_treated, bool):
        counts = np.full(len(sizes), int(n_treated))
    else:
        raise ValueError(
            f"n_treated must be 'half', None, an int or a dict block -> count; got {n_treated!r}."
        )
    bad = block_sizes.index[(counts < 1) | (counts > sizes - 1)].tolist()
    if bad:
        raise ValueError(
            f"block(s) {bad[:5]}: n_treated must leave at least one unit in each arm "
            f"(between 1 and block size - 1)."
        )
    return counts, np.zeros(len(sizes), dtype=bool)


def _draw_assignments(block_codes, block_sizes, n_treated, rng, n_draws) -> np.ndarray:
    """``n_draws`` x ``n`` 0/1 matrix of independent within-block randomizations.

    Each draw gives every unit a uniform random key; sorting ``block + key``
    lines units up block by block in random order, and the first ``k_b`` of
    each block are treated. One argsort per draw, all draws at once.
    """
    base, coin = _treated_counts(block_sizes, n_treated)
    n = len(block_codes)
    keys = block_codes + rng.random((n_draws, n))
    order = np.argsort(keys, axis=1)
    starts = np.concatenate([[0], np.cumsum(block_sizes.to_numpy())[:-1]])
    rank_sorted = np.arange(n) - starts[block_codes[order]]
    rank = np.empty_like(rank_sorted)
    np.put_along_axis(rank, order, rank_sorted, axis=1)
    k = base + (coin & (rng.random((n_draws, len(base))) < 0.5))
    return (rank < k[:, block_codes]).astype(np.int8)


def _block_codes(data: pd.DataFrame, block: str) -> tuple[np.ndarray, pd.Series]:
    require_columns(data, [block])
    if data[block].isna().any():
        raise ValueError(f"block column {block!r} has missing values; every unit needs a block.")
    codes, labels = pd.factorize(data[block], sort=True)
    sizes = pd.Series(np.bincount(codes, minlength=len(labels)), index=labels)
    return codes, sizes


def randomize_within_blocks(
    data: pd.DataFrame,
    block: str = "block",
    n_treated=None,
    *,
    seed: int | np.random.Generator,
) -> pd.Series:
    """Assign treatment at random within each block, reproducibly.

    Within every block a fixed number of units is chosen at random, all
    subsets of that size being equally likely (complete randomization within
    blocks). Blocking on characteristics that predict the outcome (Kraft and
    Hill blocked on school type within districts: elementary, K-8, middle,
    charter) removes between-block differences from the treatment contrast.

    Parameters
    ----------
    data : DataFrame
        One row per unit.
    block : str
        Block column.
    n_treated : None, "half", int or dict
        How many to treat per block. ``None``/``"half"``: half of each block;
        in an odd-sized block a fair coin decides whether the extra unit is
        treated, so every unit's probability of treatment is exactly 1/2.
        An int treats that many in every block; a dict maps block -> count.
    seed : int or numpy.random.Generator
        Required (``None`` is refused): a randomization you cannot reproduce
        cannot be audited.

    Returns
    -------
    Series of int
        0/1 assignments aligned with ``data.index``, named ``"treatment"``.
    """
    require_dataframe(data)
    seed = require_seed(seed, required=True)
    codes, sizes = _block_codes(data, block)
    rng = np.random.default_rng(seed)
    draw = _draw_assignments(codes, sizes, n_treated, rng, n_draws=1)[0]
    return pd.Series(draw.astype(int), index=data.index, name="treatment")


def rerandomization_distribution(
    data: pd.DataFrame,
    covariate: str,
    block: str = "block",
    n_draws: int = 2000,
    seed: int | np.random.Generator = 0,
    n_treated=None,
) -> np.ndarray:
    """Standardized covariate differences over many hypothetical randomizations.

    Re-runs :func:`randomize_within_blocks` ``n_draws`` times and, for each
    draw, computes the block-adjusted treatment-control difference in the
    covariate (the same coefficient :func:`coachbook.estimators.balance.balance_table` reports) divided
    by the covariate's standard deviation (ddof=1). The result is the
    distribution of chance imbalance the design itself produces; the
    observed difference can be located in it (a randomization-inference view
    of a balance check).

    The block-adjusted difference is computed without a regression, by the
    Frisch-Waugh-Lovell theorem: with :math:`\\tilde T = T - \\bar T_b`
    (treatment minus its block mean),
    :math:`\\hat\\delta = \\sum_j \\tilde T_j X_j / \\sum_j \\tilde T_j T_j`,
    which vectorizes over all draws.

    Parameters
    ----------
    data : DataFrame
        One row per unit.
    covariate : str
        Numeric covariate with no missing values.
    block : str
        Block column.
    n_draws : int
        Number of re-randomizations.
    seed : int or numpy.random.Generator
        For reproducibility.
    n_treated
        As in :func:`randomize_within_blocks`.

    Returns
    -------
    numpy.ndarray
        ``n_draws`` standardized differences (treatment minus control).
    """
    require_columns(data, [covariate, block])
    require_distinct({"the covariate": covariate, "the block": block})
    require_numeric(data, [covariate], role="covariate")
    require_finite(data, [covariate], role="covariate")
    if data[covariate].isna().any():
        raise ValueError(
            f"covariate {covariate!r} has missing values; drop or impute them first so that "
            "every re-randomization uses the same units."
        )
    n_draws = require_int("n_draws", n_draws, minimum=1)
    seed = require_seed(seed)
    x = data[covariate].to_numpy(dtype=float)
    sd = x.std(ddof=1)
    if not sd > 0 or is_constant(x):
        raise ValueError(f"covariate {covariate!r} is constant; its differences are all zero.")
    codes, sizes = _block_codes(data, block)
    rng = np.random.default_rng(seed)
    t = _draw_assignments(codes, sizes, n_treated, rng, n_draws).astype(float)
    membership = np.eye(len(sizes))[codes]  # n x blocks indicator matrix
    block_share = (t @ membership) / sizes.to_numpy()
    t_within = t - block_share[:, codes]
    diff = (t_within @ x) / np.einsum("ij,ij->i", t_within, t)
    return diff / sd


# --- Randomization test of joint balance ---------------------------------------------------
@dataclass(frozen=True, repr=False)
class RandomizationBalanceTest(Result):
    """Result of :func:`randomization_balance_test`.

    Attributes
    ----------
    statistic : float
        Observed Wald statistic in F form (the ``statistic`` of
        :func:`coachbook.estimators.balance.joint_balance_test` with the same ``cov_type``).
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

    _term, _tidy = "joint balance F (randomization p)", {
        "statistic": "statistic", "df": "df_num", "df_denom": "df_denom", "p_value": "p_randomization",
        "p_f": "p_f", "n": "n"}


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

    The statistic is the one of :func:`coachbook.estimators.balance.joint_balance_test`:
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
      :func:`coachbook.estimators.randomization.randomize_within_blocks`), each giving a value of
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
        :func:`coachbook.estimators.randomization.randomize_within_blocks` (default: half).

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
