"""Likelihood-ratio tests of nested mixed models: fixed effects and variance components.

:func:`deviance_test` compares models that differ in fixed effects (both
fitted by ML); :func:`lr_test_variance_component` tests one added random
effect with the 50:50 chi-square mixture that a variance on the boundary of
its range needs (Stram & Lee 1994).

References
----------
Raudenbush, S. W., & Bryk, A. S. (2002). *Hierarchical Linear Models* (2nd ed.), sec. 3.6.
Stram, D. O., & Lee, J. W. (1994). Variance components testing in the
longitudinal mixed effects model. *Biometrics*, 50, 1171-1177.
"""
from __future__ import annotations

from dataclasses import dataclass

from scipy import stats

from coachbook.estimators._result import Result
from coachbook.estimators.mixed import MixedFit

__all__ = ["LikelihoodRatioTest", "deviance_test", "lr_test_variance_component"]


@dataclass(frozen=True, repr=False)
class LikelihoodRatioTest(Result):
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

    _term = "likelihood-ratio chi-square"
    _tidy = {"statistic": "statistic", "df": "df", "p_value": "p"}


def _info(fit) -> dict:
    res = fit
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
