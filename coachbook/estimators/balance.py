"""Baseline balance of a block-randomized trial (Kraft & Hill 2019, Table 1).

Randomization makes the arms comparable in expectation; a balance check asks
how far the arms that were actually drawn differ at baseline:

- :func:`balance_table`: one row per covariate, the difference between the
  arms within randomization blocks with its robust standard error and the
  standardized difference the WWC judges;
- :func:`joint_balance_test`: do the covariates jointly predict assignment?
  (an omnibus robust Wald test, :class:`JointBalanceTest`).

:func:`coachbook.estimators.randomization.randomization_balance_test` judges the
joint statistic against the randomization distribution instead of an F table.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from coachbook.estimators import ols
from coachbook.estimators._result import Result
from coachbook.estimators._validate import (require_columns, require_distinct, require_finite,
                                            require_names, require_numeric)
from coachbook.estimators._values import require_variation
from coachbook.estimators.rct import check_design

__all__ = ["JointBalanceTest", "balance_table", "joint_balance_test"]


def _balance_data(data, covariates, treatment, block, cov_type) -> pd.DataFrame:
    """Checked inputs of a balance test; boolean columns as 0/1 numbers."""
    require_columns(data, [treatment, *covariates] + ([block] if block is not None else []))
    require_distinct({"the treatment": treatment, "the block": block, "a covariate": covariates})
    require_numeric(data, covariates, role="covariate")
    require_finite(data, covariates, role="covariate")
    ols.check_cov_type(cov_type)
    check_design(data, treatment, block)
    return ols.numbers(data, [treatment, *covariates])


# --------------------------------------------------------------------------
# Baseline balance
# --------------------------------------------------------------------------
def balance_table(data: pd.DataFrame, covariates: Sequence[str], treatment: str = "treatment",
                  block: str | None = "block", cov_type: str = "HC1") -> pd.DataFrame:
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
        Standard-error type, as in :func:`coachbook.estimators.rct.itt`.

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
    data = _balance_data(data, covariates, treatment, block, cov_type)

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
        fit = ols.fit_formula(
            sample, ols.formula(cov, [treatment], block), cov_type, dependent=cov,
            explained_by="the treatment and the block fixed effects (for example, it is "
                         "constant within every block, so its block-adjusted difference "
                         "is 0 by design)")
        term = ols.quote(treatment)
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


@dataclass(frozen=True, repr=False)
class JointBalanceTest(Result):
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

    _term = "joint balance F"
    _tidy = {"statistic": "statistic", "df": "df_num", "df_denom": "df_denom", "p_value": "p", "n": "n"}


def joint_balance_test(data: pd.DataFrame, covariates: Sequence[str], treatment: str = "treatment",
                       block: str | None = "block", cov_type: str = "HC1",
                       missing: str = "complete") -> JointBalanceTest:
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
    data = _balance_data(data, covariates, treatment, block, cov_type)

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

    fit = ols.fit_formula(sample, ols.formula(treatment, tested, block), cov_type, full_rank=True,
                          dependent=treatment, explained_by="the covariates and blocks")
    names = list(fit.params.index)
    restriction = np.zeros((len(tested), len(names)))
    for row, cov in enumerate(tested):
        restriction[row, names.index(ols.quote(cov))] = 1.0
    return JointBalanceTest.from_f_test(fit.f_test(restriction), fit.nobs, missing)


