"""Repeated-measures tests: does a score change across occasions?

- :func:`rm_anova`: the one-way repeated-measures ANOVA of a scale, as a
  random-intercept (compound-symmetry) mixed model with a Satterthwaite F
  test (:mod:`.compound_symmetry`), or the classic univariate version;
- :func:`rm_logistic`: a 0/1 item, by a logistic GEE with a robust Wald test.

Both return a :class:`RepeatedMeasuresTest` with the model-based level means.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from scipy.special import expit

from coachbook.estimators._result import Result, tidy_frame
from coachbook.estimators._validate import (require_columns, require_complete, require_distinct,
                                            require_finite, require_numeric, require_unique_pairs)
from coachbook.estimators._values import (RELATIVE_TOLERANCE, _is_text, require_number,
                                          require_variation)
from coachbook.estimators.compound_symmetry import _cs_mixed_f_test

__all__ = ["RepeatedMeasuresTest", "rm_anova", "rm_logistic"]

# --------------------------------------------------------------------------
# Repeated-measures tests of change over occasions
# --------------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class RepeatedMeasuresTest(Result):
    """The test of a within-subject factor, with its model-based means.

    ``statistic`` is F (linear models, with ``df1`` and ``df2``) or a Wald
    chi-square (logistic models, ``df1`` only; ``df2`` is NaN).
    ``means`` are the model-based (estimated marginal) means by level: for
    the mixed model the fitted level means, for the logistic model
    probabilities. ``details`` holds what else the method estimated
    (variance components, working correlation, subjects dropped).
    """

    method: str
    statistic: float
    df1: float
    df2: float
    p_value: float
    n_subjects: int
    n_observations: int
    means: pd.Series
    details: dict

    def as_series(self) -> pd.Series:
        """The test as one row: statistic, df1, df2, p_value, n_subjects, n_observations."""
        return pd.Series({
            "statistic": self.statistic, "df1": self.df1, "df2": self.df2,
            "p_value": self.p_value, "n_subjects": self.n_subjects,
            "n_observations": self.n_observations,
        }, name=self.method)

    def tidy(self) -> pd.DataFrame:
        return tidy_frame([{"term": self.method, "statistic": self.statistic, "df": self.df1,
                            "df_denom": self.df2, "p_value": self.p_value, "n": self.n_subjects}])


_SINGLETONS = ("error", "keep", "drop")
_GEE_CTOL = 1e-10    # norm of the GEE score at which rm_logistic stops
_GEE_MAXITER = 200


def _repeated_long(data, cluster, time, outcome, scale, singletons, what) -> pd.DataFrame:
    """Validated long data (subject, level, value) with complete rows only."""
    require_columns(data, [cluster, time, outcome])
    require_distinct({"the subject (cluster)": cluster, "the occasion (time)": time,
                      "the outcome": outcome})
    require_numeric(data, [outcome], role="outcome")
    require_finite(data, [outcome], role="outcome")
    require_complete(data, [cluster, time],
                     "every score must say whose it is and on which occasion it was taken.")
    if singletons not in _SINGLETONS:
        raise ValueError(f"singletons must be one of {_SINGLETONS}, got {singletons!r}.")
    if scale is not None:
        scale = _check_scale(scale)
    long = data[[cluster, time, outcome]].dropna()
    if long.empty:
        raise ValueError(f"{outcome!r} has no non-missing values.")
    kinds = {_is_text(v) for v in long[time].unique()}
    if len(kinds) > 1:
        raise ValueError(
            f"the occasions in {time!r} mix numbers and text (e.g. "
            f"{sorted(map(str, long[time].unique()))[:4]}), so they cannot be ordered; code "
            "every occasion the same way."
        )
    if scale is not None:
        low, high = scale
        bad = long.loc[(long[outcome] < low) | (long[outcome] > high), outcome]
        if not bad.empty:
            raise ValueError(
                f"{outcome!r} must lie on the scale {low}-{high}; found {bad.size} rating(s) outside "
                f"it, for example {bad.iloc[0]!r}. Check the coding, or pass the right scale."
            )
    require_unique_pairs(long, [cluster, time], f"subject, {time}",
                         f"a repeated-measures {what} needs one score per subject and occasion")
    levels = long[time].unique()
    if levels.size < 2:
        raise ValueError(
            f"{time!r} has a single level ({levels[0]!r}); a test of change needs at least "
            "two occasions."
        )
    counts = long.groupby(cluster)[time].size()
    single = counts[counts == 1].index.tolist()
    if single and singletons == "error":
        raise ValueError(
            f"{len(single)} subject(s) have a single time point, for example {single[:3]}; they "
            "carry no information on change within a subject. Check the subject ids; pass "
            "singletons='keep' to let them inform the level means and variances (as SPSS MIXED "
            "does) or singletons='drop' to leave them out."
        )
    if single and singletons == "drop":
        long = long[~long[cluster].isin(single)]
    if long[cluster].nunique() < 2:
        raise ValueError("fewer than 2 subjects remain; a repeated-measures test needs more.")
    require_variation(long[outcome].astype(float), f"outcome {outcome!r}", "there is no change to test",
                      "check that you passed the right column")
    return long


def _check_scale(scale) -> tuple[float, float]:
    if _is_text(scale) or np.ndim(scale) != 1 or len(scale) != 2:
        raise ValueError(f"scale must be a pair (low, high), e.g. scale=(0, 3); got {scale!r}.")
    low = require_number("scale low end", scale[0])
    high = require_number("scale high end", scale[1])
    if not low < high:
        raise ValueError(f"scale must be (low, high) with low < high, got {scale!r}.")
    return scale[0], scale[1]


def _level_design(levels: pd.Series, order) -> np.ndarray:
    """Intercept plus one indicator per level after the first (reference coding)."""
    return np.column_stack([np.ones(len(levels))]
                           + [(levels == lev).to_numpy(float) for lev in order[1:]])



def rm_anova(data: pd.DataFrame, cluster: str, time: str, outcome: str, method: str = "mixed",
             scale: tuple[float, float] | None = None,
             singletons: str = "error") -> RepeatedMeasuresTest:
    """One-way repeated-measures ANOVA: does the mean of ``outcome`` change across occasions?

    Parameters
    ----------
    data : pandas.DataFrame
        Long data, one row per subject and occasion (rows with a missing
        ``outcome`` are dropped).
    cluster, time, outcome : str
        Columns naming the subject measured repeatedly (a teacher), the
        occasion (a data cycle) and the numeric outcome.
    method : {"mixed", "classic"}
        ``"mixed"`` (default) fits a linear mixed model with a random
        intercept per subject (compound symmetry) by REML, uses every
        observation, and tests the occasion effect with an F test whose
        denominator degrees of freedom follow Satterthwaite's approximation
        (as SPSS MIXED reports). ``"classic"`` is the textbook univariate
        repeated-measures ANOVA (:func:`pingouin.rm_anova`), which needs
        every subject at every occasion and so drops incomplete subjects.
    scale : (low, high), optional
        The rubric's range; ratings outside it raise ``ValueError``.
    singletons : {"error", "keep", "drop"}
        What to do with subjects observed only once. They say nothing about
        change, and in a repeated-measures file a lone record is often a
        mistyped id, so the default is to stop and ask.

    Returns
    -------
    RepeatedMeasuresTest
        ``statistic`` is F with ``df1`` = levels - 1 and ``df2``; ``means``
        are the model-based level means (raw means of the complete subjects
        for ``"classic"``); ``details`` has ``tau2``, ``sigma2`` and
        ``converged`` (mixed: True only at a maximum of the REML likelihood)
        or ``subjects_dropped`` and the Greenhouse-Geisser ``epsilon`` (classic).

    Notes
    -----
    With the same subjects at every occasion (balanced data) both methods
    give the same F, and the Satterthwaite df2 equals (n - 1)(k - 1). With
    unbalanced data they differ because the classic version discards every
    subject with a missing occasion.

    The Satterthwaite df for the multi-degree-of-freedom F follow Fai &
    Cornelius (1996) as implemented in SAS and lmerTest (Kuznetsova et al.
    2017), with the covariance of the variance components from the Hessian
    of the REML deviance (exact here, numerical in lmerTest). The REML
    estimates are converged to machine precision by Newton steps with the
    exact gradient and Hessian, so the statistics do not move with the BLAS
    kernel or the number of threads.

    References
    ----------
    Satterthwaite, F. E. (1946). An approximate distribution of estimates of
    variance components. *Biometrics Bulletin, 2*(6), 110-114.
    Fai, A. H.-T., & Cornelius, P. L. (1996). Approximate F-tests of multiple
    degree of freedom hypotheses in generalized least squares analyses of
    unbalanced split-plot experiments. *Journal of Statistical Computation and
    Simulation, 54*(4), 363-378.
    Kuznetsova, A., Brockhoff, P. B., & Christensen, R. H. B. (2017). lmerTest
    package: Tests in linear mixed effects models. *Journal of Statistical
    Software, 82*(13).
    """
    if method not in ("mixed", "classic"):
        raise ValueError(f"method must be 'mixed' or 'classic', got {method!r}.")
    long = _repeated_long(data, cluster, time, outcome, scale, singletons, "ANOVA")
    order = sorted(long[time].unique())
    y = long[outcome].astype(float)
    residual = y - y.groupby(long[time]).transform("mean")
    if np.abs(residual).max() <= RELATIVE_TOLERANCE * np.abs(y).max():
        raise ValueError(
            f"{outcome!r} is constant within every level of {time!r} (every subject has the same "
            "score on each occasion), so there is no error variance and the F test is undefined; "
            "check that you passed the right column."
        )

    if method == "classic":
        wide = long.pivot(index=cluster, columns=time, values=outcome)[order]
        complete = wide.dropna()
        if len(complete) < 2:
            raise ValueError(
                f"only {len(complete)} subject(s) were observed at every level of {time!r}; "
                "the classic repeated-measures ANOVA needs at least 2. Use method='mixed'."
            )
        import pingouin

        stacked = (complete.rename_axis(index="subject", columns="level").reset_index()
                   .melt(id_vars="subject", var_name="level", value_name="y"))
        stacked["y"] = stacked["y"].astype(float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table = pingouin.rm_anova(stacked, dv="y", within="level", subject="subject",
                                      detailed=False, correction=False)
        row = table.iloc[0]
        epsilon = float(pingouin.epsilon(stacked, dv="y", within="level", subject="subject"))
        return RepeatedMeasuresTest(
            method="classic", statistic=float(row["F"]), df1=float(row["ddof1"]),
            df2=float(row["ddof2"]), p_value=float(row["p_unc"]),
            n_subjects=len(complete), n_observations=int(complete.size),
            means=complete.mean().rename_axis(time).rename("mean"),
            details={"subjects_dropped": int(len(wide) - len(complete)), "epsilon": epsilon},
        )

    X = _level_design(long[time], order)
    groups = pd.factorize(long[cluster])[0]
    L = np.eye(X.shape[1])[1:]
    fit = _cs_mixed_f_test(long[outcome].to_numpy(float), X, groups, L)
    beta = fit["beta"]
    means = pd.Series(beta[0] + np.r_[0.0, beta[1:]], index=pd.Index(order, name=time),
                      name="mean")
    return RepeatedMeasuresTest(
        method="mixed", statistic=fit["F"], df1=float(fit["df1"]), df2=fit["df2"],
        p_value=fit["p_value"], n_subjects=int(long[cluster].nunique()),
        n_observations=len(long), means=means,
        details={"tau2": fit["tau2"], "sigma2": fit["sigma2"], "converged": fit["converged"]},
    )


def rm_logistic(data: pd.DataFrame, cluster: str, time: str, outcome: str,
                correlation: str = "exchangeable",
                singletons: str = "error") -> RepeatedMeasuresTest:
    """Repeated-measures logistic regression of a 0/1 outcome on occasion, Wald test.

    A binary item violates the normality an ANOVA assumes, so change over
    occasions is tested in a logistic model fitted by generalized estimating
    equations (GEE; Liang & Zeger 1986): the occasion enters as indicators,
    observations of one subject may be correlated, and the Wald chi-square
    of the occasion indicators uses the robust (sandwich) covariance.

    Parameters
    ----------
    data, cluster, time, outcome
        As for :func:`rm_anova`; ``outcome`` must be coded 0/1.
    correlation : {"exchangeable", "independence"}
        The working correlation within a subject. The robust covariance keeps
        the test valid under either; the estimates move a little.
    singletons
        As for :func:`rm_anova`.

    Returns
    -------
    RepeatedMeasuresTest
        ``statistic`` is the Wald chi-square on ``df1`` = levels - 1 degrees
        of freedom (``df2`` is NaN); ``means`` are the estimated marginal
        probabilities by level; ``details`` holds the working correlation.

    References
    ----------
    Liang, K.-Y., & Zeger, S. L. (1986). Longitudinal data analysis using
    generalized linear models. *Biometrika, 73*(1), 13-22.
    """
    structures = {"exchangeable": sm.cov_struct.Exchangeable,
                  "independence": sm.cov_struct.Independence}
    if correlation not in structures:
        raise ValueError(f"correlation must be one of {sorted(structures)}, got {correlation!r}.")
    long = _repeated_long(data, cluster, time, outcome, None, singletons, "logistic regression")
    values = set(pd.unique(long[outcome]))
    if not values <= {0, 1}:
        raise ValueError(
            f"{outcome!r} must be coded 0/1 for a logistic model; found values "
            f"{sorted(values)[:6]}. Dichotomize it first, or use rm_anova for a scale."
        )
    order = sorted(long[time].unique())
    share = long.groupby(time)[outcome].mean()
    degenerate = share[(share == 0) | (share == 1)].index.tolist()
    if degenerate:
        raise ValueError(
            f"at level(s) {degenerate} of {time!r} every {outcome!r} is the same (all 0 or all 1), "
            "so the log-odds there is infinite and the Wald test undefined; merge that level "
            "with a neighbour or use an exact test."
        )
    long = long.sort_values([cluster, time])
    X = _level_design(long[time], order)
    model = sm.GEE(long[outcome].to_numpy(float), X, groups=pd.factorize(long[cluster])[0],
                   family=sm.families.Binomial(), cov_struct=structures[correlation]())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # statsmodels stops when the score's norm falls below ctol (default 1e-6), which
        # leaves the estimates about 1e-8 from the solution: where it stops then moves
        # with the BLAS kernel. A tight ctol converges them to rounding.
        fit = model.fit(maxiter=_GEE_MAXITER, ctol=_GEE_CTOL)
    scores = fit.fit_history.get("score") or [np.inf]
    converged = bool(np.sqrt(np.sum(np.square(scores[-1]))) < _GEE_CTOL)
    beta = np.asarray(fit.params)
    cov = np.asarray(fit.cov_params())     # robust (sandwich) covariance
    L = np.eye(X.shape[1])[1:]
    lb = L @ beta
    chi2 = float(lb @ np.linalg.solve(L @ cov @ L.T, lb))
    df = L.shape[0]
    means = pd.Series(expit(beta[0] + np.r_[0.0, beta[1:]]), index=pd.Index(order, name=time),
                      name="probability")
    dep = fit.cov_struct.dep_params
    return RepeatedMeasuresTest(
        method=f"gee-{correlation}", statistic=chi2, df1=float(df), df2=float("nan"),
        p_value=float(stats.chi2.sf(chi2, df)), n_subjects=int(long[cluster].nunique()),
        n_observations=len(long), means=means,
        details={"working_correlation": float(dep) if dep is not None else 0.0,
                 "converged": converged},
    )
