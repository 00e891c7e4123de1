"""Analysing a block-randomized trial: effects, balance and re-randomization.

Kraft and Hill (2019) randomized 142 teachers to MQI Coaching within blocks
and estimated intent-to-treat (ITT) effects with their equation 1,

.. math::

    Y_j = \\beta\\, Treat_j + \\gamma X_j + \\pi_b + \\varepsilon_j ,

an ordinary least squares (OLS) regression of a teacher outcome on the
treatment indicator, fixed effects :math:`\\pi_b` for the randomization blocks
and, in their preferred models, baseline teacher characteristics :math:`X_j`,
with heteroskedasticity-robust standard errors. This module provides that
estimator (:func:`itt`), the baseline balance checks behind their Table 1
(:func:`balance_table`, :func:`joint_balance_test`), and the randomization
itself (:func:`randomize_within_blocks`, :func:`rerandomization_distribution`).

Every regression is fitted by :mod:`statsmodels`; the functions only choose
the model, check the inputs and collect the numbers a reader needs.

References
----------
Kraft, M. A., & Hill, H. C. (2019). Developing ambitious mathematics
instruction through web-based coaching: A randomized field trial.
*American Educational Research Journal*.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

from coachbook._validate import (
    is_constant,
    require_binary,
    require_both_arms,
    require_columns,
    require_dataframe,
    require_distinct,
    require_finite,
    require_int,
    require_names,
    require_no_numeric_text,
    require_numeric,
    require_seed,
    require_variation,
)

__all__ = [
    "ITTResult",
    "JointBalanceTest",
    "itt",
    "balance_table",
    "joint_balance_test",
    "randomize_within_blocks",
    "rerandomization_distribution",
]

_COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3")


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------
def _q(name: str) -> str:
    """Quote a column name for a formula, so names with spaces or dots work."""
    return f"Q({name!r})"


def _formula(outcome: str, regressors: Sequence[str], block: str | None) -> str:
    terms = [_q(c) for c in regressors]
    if block is not None:
        terms.append(f"C({_q(block)})")
    return f"{_q(outcome)} ~ " + " + ".join(terms)


def _check_cov_type(cov_type: str) -> None:
    if cov_type not in _COV_TYPES:
        raise ValueError(
            f"cov_type must be one of {_COV_TYPES}, got {cov_type!r}; "
            "use cluster=<column> for cluster-robust standard errors."
        )


def _check_design(data: pd.DataFrame, treatment: str, block: str | None) -> None:
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


def _numbers(data: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``data`` with boolean columns as 0/1 integers, so a formula treats them as numbers.

    (A formula dummy-codes a bool column, which names the term ``x[T.True]``
    and turns a bool outcome into two columns.)
    """
    flags = [c for c in dict.fromkeys(columns) if pd.api.types.is_bool_dtype(data[c])]
    if not flags:
        return data
    return data.assign(**{c: data[c].astype(float) for c in flags})


def _fit(data, formula, cov_type="HC1", cluster=None, full_rank=False, dependent=None,
         explained_by="the regressors"):
    """OLS with t-based inference, as Stata's ``regress`` reports it.

    statsmodels switches to normal (z) p-values for robust covariances unless
    ``use_t=True``; Stata keeps the t distribution, so we do too. With
    ``full_rank=True`` a collinear design is refused before fitting (needed
    where every coefficient is tested, not just the treatment's).

    A fit with no residual degrees of freedom, or whose residuals are rounding
    noise (the dependent variable ``dependent`` is reproduced exactly by
    ``explained_by``), is refused: its standard errors and p-values would be
    infinite, undefined or noise.
    """
    model = smf.ols(formula, data)
    n, k = model.exog.shape
    if full_rank and np.linalg.matrix_rank(model.exog) < k:
        raise ValueError(
            "the covariates are collinear with each other or with the block fixed effects "
            "(for example a characteristic constant within blocks); drop the redundant ones."
        )
    if n - np.linalg.matrix_rank(model.exog) <= 0:
        raise ValueError(
            f"{n} unit(s) for {k} coefficients leave no residual degrees of freedom, so no "
            "standard error can be estimated; use more units or fewer controls (or blocks)."
        )
    if cluster is not None:
        groups = pd.factorize(data[cluster])[0]
        if groups.max() < 1:
            raise ValueError(
                f"cluster column {cluster!r} has a single cluster in the estimation sample; "
                "cluster-robust standard errors need at least 2 (in practice many more) clusters."
            )
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    else:
        fit = model.fit(cov_type=cov_type, use_t=True)
    y = np.asarray(model.endog, dtype=float)
    if np.sqrt(fit.ssr / n) <= 1e-10 * max(float(np.abs(y).max()), 1e-300):
        name = f"{dependent!r}" if dependent is not None else "the dependent variable"
        raise ValueError(
            f"{name} is reproduced exactly by {explained_by} (the residuals are rounding noise), "
            "so its standard error and p-value would be meaningless; check that you passed the "
            "right column, or leave it out."
        )
    return fit


# --------------------------------------------------------------------------
# Intent-to-treat effect
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class ITTResult:
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
        _check_cov_type(cov_type)
    _check_design(data, treatment, block)

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
    sample = _numbers(sample, [outcome, treatment, *controls])

    fit = _fit(sample, _formula(outcome, [treatment, *controls], block), cov_type, cluster,
               dependent=outcome, explained_by="the treatment, blocks and controls")
    term = _q(treatment)
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


# --------------------------------------------------------------------------
# Baseline balance
# --------------------------------------------------------------------------
def balance_table(
    data: pd.DataFrame,
    covariates: Sequence[str],
    treatment: str = "treatment",
    block: str | None = "block",
    cov_type: str = "HC1",
) -> pd.DataFrame:
    """Baseline balance, one row per covariate (Kraft & Hill 2019, Table 1).

    For each covariate :math:`X` the raw treatment and control means, and the
    difference *conditional on blocks*: the coefficient :math:`\\delta` in

    .. math:: X_j = \\alpha + \\delta\\, Treat_j + \\pi_b + u_j ,

    with a robust (HC1 by default) standard error and its p-value. With
    randomization inside blocks, this within-block difference is the
    comparison the design guarantees to be zero in expectation; the raw
    difference of means can differ from it when blocks were treated in
    different proportions.

    Parameters
    ----------
    data : DataFrame
        One row per randomized unit.
    covariates : sequence of str
        Numeric baseline characteristics (0/1 indicators give proportions).
    treatment, block : str
        0/1 assignment column and randomization-block column (``block=None``
        for no blocks).
    cov_type : str
        Standard-error type, as in :func:`itt`.

    Returns
    -------
    DataFrame
        Indexed by covariate, columns ``n`` (units with the covariate
        observed), ``mean_treatment``, ``mean_control``, ``difference``
        (block-adjusted), ``se``, ``p`` and ``std_difference`` (the adjusted
        difference divided by the pooled within-arm SD, the scale on which
        the WWC judges baseline equivalence: above 0.25 SD is too large).

    Notes
    -----
    Missing covariate values: each row uses the units with that covariate
    observed (available cases), so ``n`` can differ between rows. The joint
    test, :func:`joint_balance_test`, needs one sample for all covariates and
    lets you choose complete cases or missing-value indicators.
    """
    covariates = require_names("covariates", covariates, allow_empty=False)
    require_columns(data, [treatment, *covariates] + ([block] if block is not None else []))
    require_distinct({"the treatment": treatment, "the block": block, "a covariate": covariates})
    require_numeric(data, covariates, role="covariate")
    require_finite(data, covariates, role="covariate")
    _check_cov_type(cov_type)
    _check_design(data, treatment, block)
    data = _numbers(data, [treatment, *covariates])

    rows = {}
    for cov in covariates:
        sample = data.dropna(subset=[cov])
        if sample[treatment].nunique() < 2:
            raise ValueError(f"covariate {cov!r} is observed in only one arm; cannot compare arms.")
        require_variation(sample[cov], f"covariate {cov!r}",
                          "there is no difference between arms to test",
                          "drop it from the balance table")
        treated = sample.loc[sample[treatment] == 1, cov]
        control = sample.loc[sample[treatment] == 0, cov]
        fit = _fit(sample, _formula(cov, [treatment], block), cov_type, dependent=cov,
                   explained_by="the treatment and the block fixed effects (for example, it is "
                                "constant within every block, so its block-adjusted difference "
                                "is 0 by design)")
        term = _q(treatment)
        pooled_var = (
            (len(treated) - 1) * treated.var() + (len(control) - 1) * control.var()
        ) / (len(sample) - 2)
        rows[cov] = {
            "n": len(sample),
            "mean_treatment": treated.mean(),
            "mean_control": control.mean(),
            "difference": fit.params[term],
            "se": fit.bse[term],
            "p": fit.pvalues[term],
            "std_difference": fit.params[term] / np.sqrt(pooled_var) if pooled_var > 0 else np.nan,
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "covariate"
    return table


@dataclass(frozen=True)
class JointBalanceTest:
    """Result of :func:`joint_balance_test`: a robust Wald test in F form."""

    statistic: float
    df_num: int
    df_denom: float
    p: float
    n: int
    missing: str

    @classmethod
    def from_f_test(cls, test, n: int, missing: str) -> "JointBalanceTest":
        """Wrap a statsmodels ``ContrastResults`` from ``fit.f_test``."""
        return cls(statistic=float(np.squeeze(test.fvalue)), df_num=int(test.df_num),
                   df_denom=float(test.df_denom), p=float(test.pvalue), n=int(n), missing=missing)


def joint_balance_test(
    data: pd.DataFrame,
    covariates: Sequence[str],
    treatment: str = "treatment",
    block: str | None = "block",
    cov_type: str = "HC1",
    missing: str = "complete",
) -> JointBalanceTest:
    """Do the covariates jointly predict assignment? (omnibus balance test)

    Regress the treatment indicator on all covariates and the block fixed
    effects (a linear probability model),

    .. math:: Treat_j = \\alpha + X_j'\\theta + \\pi_b + u_j ,

    and test :math:`H_0: \\theta = 0` with a Wald test using the robust
    covariance :math:`\\hat V`:
    :math:`F = \\hat\\theta' (R \\hat V R')^{-1} \\hat\\theta / k`, referred to
    :math:`F(k, n - \\text{rank})` like Stata's ``test`` after
    ``regress, robust``. Under successful randomization the covariates carry
    no information about assignment, so a small p-value flags imbalance (or a
    broken randomization); with many covariates this single test avoids
    over-reading one of twenty rows that is "significant" by chance.

    Parameters
    ----------
    data, covariates, treatment, block, cov_type
        As in :func:`balance_table`.
    missing : {"complete", "indicator"}
        ``"complete"`` uses units with every covariate observed.
        ``"indicator"`` keeps everyone: a missing value is replaced by the
        covariate's observed mean and a 0/1 "was missing" indicator is added
        (and tested too, since missingness itself could be imbalanced).

    Returns
    -------
    JointBalanceTest
        ``statistic`` (F), ``df_num`` (number of coefficients tested),
        ``df_denom``, ``p``, ``n`` and the ``missing`` rule used.
    """
    covariates = require_names("covariates", covariates)
    if not covariates:
        raise ValueError("joint_balance_test needs at least one covariate.")
    require_columns(data, [treatment, *covariates] + ([block] if block is not None else []))
    require_distinct({"the treatment": treatment, "the block": block, "a covariate": covariates})
    require_numeric(data, covariates, role="covariate")
    require_finite(data, covariates, role="covariate")
    _check_cov_type(cov_type)
    _check_design(data, treatment, block)
    data = _numbers(data, [treatment, *covariates])

    if missing == "complete":
        sample = data.dropna(subset=covariates).copy()
        tested = covariates
    elif missing == "indicator":
        sample = data.copy()
        tested = list(covariates)
        for cov in covariates:
            if sample[cov].isna().any():
                flag = f"{cov}__missing"
                sample[flag] = sample[cov].isna().astype(int)
                sample[cov] = sample[cov].fillna(sample[cov].mean())
                tested.append(flag)
    else:
        raise ValueError(f"missing must be 'complete' or 'indicator', got {missing!r}.")
    if sample.empty or sample[treatment].nunique() < 2:
        raise ValueError(
            "no complete cases with both arms; try missing='indicator' or fewer covariates."
        )

    fit = _fit(sample, _formula(treatment, tested, block), cov_type, full_rank=True,
               dependent=treatment, explained_by="the covariates and blocks")
    names = list(fit.params.index)
    restriction = np.zeros((len(tested), len(names)))
    for row, cov in enumerate(tested):
        restriction[row, names.index(_q(cov))] = 1.0
    return JointBalanceTest.from_f_test(fit.f_test(restriction), fit.nobs, missing)


# --------------------------------------------------------------------------
# Randomization
# --------------------------------------------------------------------------
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
    covariate (the same coefficient :func:`balance_table` reports) divided
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
