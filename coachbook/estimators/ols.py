"""Ordinary least squares with the standard errors the two papers use, and collinear columns.

Every regression of the book that reports a coefficient with a standard error
is fitted here, so that the choice of covariance and of degrees of freedom is
made once:

- :func:`fit` and :func:`fit_model`: statsmodels OLS with t inference, as
  Stata's ``regress`` reports it, with a homoskedastic (``"nonrobust"``), a
  heteroskedasticity-robust (``"HC0"`` to ``"HC3"``) or a cluster-robust
  covariance (``groups``); :func:`coefficient` reads one coefficient;
- :func:`fit_formula`: the same from a formula, refusing fits whose standard
  errors would be meaningless (no residual degrees of freedom, a dependent
  variable reproduced exactly by the regressors, a single cluster);
- :func:`frequency_weighted`: weighted least squares with *frequency* weights
  and an HC1 covariance (the fractional unit of a sharp Lee bound);
- :func:`independent_columns` and :func:`drop_collinear`: the one rule for
  dropping a column that is a linear combination of earlier ones, as Stata
  omits it; :func:`dummies`: indicator columns of a categorical variable.

References
----------
MacKinnon, J. G., & White, H. (1985). Some heteroskedasticity-consistent
covariance matrix estimators with improved finite sample properties.
*Journal of Econometrics*, 29(3), 305-325.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats
from scipy.linalg import solve_triangular

__all__ = ["COV_TYPES", "check_cov_type", "coefficient", "drop_collinear", "dummies", "fit",
           "fit_formula", "fit_model", "formula", "frequency_weighted", "independent_columns",
           "numbers", "quote"]

COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3")


def check_cov_type(cov_type: str) -> None:
    """Refuse a covariance statsmodels' OLS does not name (clusters go through ``cluster``)."""
    if cov_type not in COV_TYPES:
        raise ValueError(
            f"cov_type must be one of {COV_TYPES}, got {cov_type!r}; "
            "use cluster=<column> for cluster-robust standard errors."
        )


# --------------------------------------------------------------------------
# Fitting
# --------------------------------------------------------------------------
def fit_model(model, cov_type: str = "HC1", cluster=None):
    """Fit a statsmodels OLS ``model`` with t-based inference.

    statsmodels switches to normal (z) p-values for robust covariances unless
    ``use_t=True``; Stata keeps the t distribution, so we do too. With
    ``cluster`` (one cluster id per row) the covariance is cluster-robust with
    Stata's small-sample correction and clusters minus one degrees of freedom.
    """
    if cluster is not None:
        codes = pd.factorize(pd.Series(np.asarray(cluster)))[0]
        return model.fit(cov_type="cluster", cov_kwds={"groups": codes}, use_t=True)
    return model.fit(cov_type=cov_type, use_t=True)


def fit(y, x, cov_type: str = "HC1", cluster=None, weights=None):
    """OLS of ``y`` on the columns of ``x`` (include the intercept), as :func:`fit_model`.

    ``weights`` makes it weighted least squares with analytic (precision)
    weights, statsmodels' WLS: a teacher's share of segments weighted by her
    segments gives the coefficients of the segment-level regression. For
    frequency weights and their standard errors use :func:`frequency_weighted`.
    """
    y, x = np.asarray(y, dtype=float), np.asarray(x, dtype=float)
    model = sm.OLS(y, x) if weights is None else sm.WLS(y, x, weights=np.asarray(weights, float))
    return fit_model(model, cov_type, cluster)


def coefficient(result, term=1) -> tuple[float, float, float]:
    """``(estimate, standard error, p-value)`` of one coefficient of a fitted model.

    ``term`` is a position (``1``: the first regressor after the intercept)
    or, for a formula fit, a name.
    """
    if isinstance(term, (int, np.integer)):
        def get(values):
            return float(np.asarray(values)[term])
    else:
        def get(values):
            return float(values[term])
    return get(result.params), get(result.bse), get(result.pvalues)


def quote(name: str) -> str:
    """Quote a column name for a formula, so names with spaces or dots work."""
    return f"Q({name!r})"


def formula(outcome: str, regressors: Sequence[str], block: str | None = None) -> str:
    """``outcome ~ regressors`` with, if ``block`` is given, block fixed effects."""
    terms = [quote(c) for c in regressors]
    if block is not None:
        terms.append(f"C({quote(block)})")
    return f"{quote(outcome)} ~ " + " + ".join(terms)


def numbers(data: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``data`` with boolean columns as 0/1 floats, so a formula treats them as numbers.

    (A formula dummy-codes a bool column, which names the term ``x[T.True]``
    and turns a bool outcome into two columns.)
    """
    flags = [c for c in dict.fromkeys(columns) if pd.api.types.is_bool_dtype(data[c])]
    if not flags:
        return data
    return data.assign(**{c: data[c].astype(float) for c in flags})


def fit_formula(data, formula, cov_type="HC1", cluster=None, full_rank=False, dependent=None,
                explained_by="the regressors"):
    """OLS from a formula on ``data``, with t-based inference (:func:`fit_model`).

    With ``full_rank=True`` a collinear design is refused before fitting (needed
    where every coefficient is tested, not just the treatment's); ``cluster``
    names a column of cluster ids. A fit with no residual degrees of freedom,
    or whose residuals are rounding noise (the dependent variable ``dependent``
    is reproduced exactly by ``explained_by``), is refused: its standard errors
    and p-values would be infinite, undefined or noise.
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
    groups = None
    if cluster is not None:
        groups = pd.factorize(data[cluster])[0]
        if groups.max() < 1:
            raise ValueError(
                f"cluster column {cluster!r} has a single cluster in the estimation sample; "
                "cluster-robust standard errors need at least 2 (in practice many more) clusters."
            )
    result = fit_model(model, cov_type, groups)
    y = np.asarray(model.endog, dtype=float)
    if np.sqrt(result.ssr / n) <= 1e-10 * max(float(np.abs(y).max()), 1e-300):
        name = f"{dependent!r}" if dependent is not None else "the dependent variable"
        raise ValueError(
            f"{name} is reproduced exactly by {explained_by} (the residuals are rounding noise), "
            "so its standard error and p-value would be meaningless; check that you passed the "
            "right column, or leave it out."
        )
    return result


def frequency_weighted(y, x, weights, column: int = 1) -> tuple[float, float, float]:
    """``(estimate, HC1 se, t-based p)`` of one coefficient of WLS with frequency weights.

    Row ``i`` counts ``w_i`` times (1, or a fraction for a unit cut in part at
    a Lee cut point): the HC1 sandwich :math:`(X'WX)^{-1} X' W \\hat E^2 X
    (X'WX)^{-1} \\cdot n / (n - k)` with :math:`n = \\sum w`, and a t reference on
    :math:`n - k` df. With 0/1 weights this is :func:`fit` on the rows of
    weight 1. (statsmodels' WLS reads weights as precisions, whose sandwich
    has :math:`w_i^2` where frequency weights need :math:`w_i`.) Columns of
    ``x`` that are linear combinations of earlier ones among the rows of
    positive weight are dropped first (:func:`drop_collinear`).
    """
    y, x, w = (np.asarray(v, dtype=float) for v in (y, x, weights))
    keep = w > 0
    y, w = y[keep], w[keep]
    x = drop_collinear(x[keep])
    bread = np.linalg.pinv(x.T @ (x * w[:, None]))
    beta = bread @ (x.T @ (w * y))
    resid = y - x @ beta
    n, k = float(w.sum()), x.shape[1]
    meat = (x * (w * resid ** 2)[:, None]).T @ x
    cov = bread @ meat @ bread * n / (n - k)
    est, se = float(beta[column]), float(np.sqrt(cov[column, column]))
    return est, se, float(2 * stats.t.sf(abs(est / se), n - k))


# --------------------------------------------------------------------------
# Design matrices
# --------------------------------------------------------------------------
def dummies(values, drop_first: bool = True) -> np.ndarray:
    """0/1 indicator columns of the levels of ``values`` (sorted as text), the first dropped."""
    codes, levels = pd.factorize(pd.Series(values).astype(str), sort=True)
    out = np.zeros((len(codes), len(levels)))
    out[np.arange(len(codes)), codes] = 1.0
    return out[:, 1:] if drop_first else out


def independent_columns(x, protect: int = 0, tol: float = 1e-9,
                        message: str = "the first columns of the design are collinear"
                        ) -> np.ndarray:
    """Indices of the columns of ``x`` to keep: left to right, each column that is not a
    linear combination of the columns kept before it.

    An incremental Cholesky factorization of the cross-product matrix: column
    *j* is kept when its squared distance from the span of the kept columns
    (the new pivot) exceeds ``tol`` times its squared length. The relative
    1e-9 separates exact collinearity (pivots ~1e-16) from real variation with
    a margin no rounding difference can cross, unlike a rank cut-off at
    ~1e-14. A column of zeros is dropped. If one of the first ``protect``
    columns would be dropped, a ValueError says ``message``.
    """
    x = np.asarray(x, dtype=float)
    gram = x.T @ x
    keep: list[int] = []
    chol = np.zeros((0, 0))
    for j in range(x.shape[1]):
        if keep:
            z = solve_triangular(chol, gram[keep, j], lower=True)
            pivot = gram[j, j] - z @ z
        else:
            z, pivot = np.zeros(0), gram[j, j]
        if pivot > tol * max(gram[j, j], 1e-300):
            k = len(keep)
            grown = np.zeros((k + 1, k + 1))
            grown[:k, :k] = chol
            grown[k, :k] = z
            grown[k, k] = np.sqrt(pivot)
            chol, keep = grown, keep + [j]
        elif j < protect:
            raise ValueError(message)
    return np.array(keep, dtype=int)


def drop_collinear(x) -> np.ndarray:
    """``x`` without the columns that are linear combinations of earlier ones."""
    x = np.asarray(x, dtype=float)
    return x[:, independent_columns(x)]
