"""Multiple imputation: completing data sets by chained equations, and pooling by Rubin's rules.

- :func:`multiply_impute` draws ``m`` completed data sets by chained equations
  with Bayesian linear-regression draws;
- :func:`pool_rubin` combines estimates from multiply imputed data sets with
  Rubin's rules, including the Barnard-Rubin small-sample degrees of freedom.

References
----------
Rubin, D. B. (1987). *Multiple Imputation for Nonresponse in Surveys*. Wiley.
Barnard, J., & Rubin, D. B. (1999). Small-sample degrees of freedom with
multiple imputation. *Biometrika*, 86(4), 948-955.
van Buuren, S. (2018). *Flexible Imputation of Missing Data* (2nd ed.), ch. 3-4.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from coachbook.estimators._validate import (require_columns, require_dataframe, require_distinct,
                                            require_finite, require_names, require_numeric)
from coachbook.estimators._values import (numeric_values, require_int, require_number,
                                          require_open_unit, require_seed)

__all__ = ["multiply_impute", "pool_rubin"]


# --------------------------------------------------------------------------
# Rubin's rules
# --------------------------------------------------------------------------
def _as_matrix(values, what: str):
    names = list(values.columns) if isinstance(values, pd.DataFrame) else None
    if np.asarray(values).dtype.kind == "b" or (
            isinstance(values, pd.DataFrame) and any(pd.api.types.is_bool_dtype(values[c])
                                                     for c in values.columns)):
        raise ValueError(f"{what} must be numbers, got True/False values.")
    arr = numeric_values(values, what, ndim=None)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{what} must be 1-D (m imputations) or 2-D (m x p parameters); "
                         f"got shape {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{what} contains NaN or infinite values; every imputation must "
                         "give an estimate and a variance for every parameter.")
    return arr, names


def pool_rubin(estimates, variances, df_complete=None, alpha=0.05, names=None) -> pd.DataFrame:
    """Pool estimates from ``m`` imputed data sets with Rubin's rules.

    With ``Q_l`` the estimate and ``U_l`` its squared standard error in imputed
    data set ``l = 1..m`` (Rubin 1987, ch. 3; van Buuren 2018, sec. 2.3):

    - pooled estimate ``Q = mean(Q_l)``
    - within variance ``W = mean(U_l)``
    - between variance ``B = var(Q_l)`` (denominator ``m - 1``)
    - total variance ``T = W + (1 + 1/m) B``
    - relative increase in variance ``r = (1 + 1/m) B / W``
    - proportion of variance due to missingness ``lambda = (1 + 1/m) B / T``
    - Rubin's df ``nu_old = (m - 1)(1 + 1/r)^2 = (m - 1) / lambda^2``

    Rubin's df assumes the complete data would give a normal (infinite-df)
    reference and can exceed the complete-data df. Given the complete-data df
    ``nu_com`` (e.g. ``n - k`` for a regression, or the number of teachers minus
    the level-2 parameters), Barnard & Rubin (1999) use

    - ``nu_obs = (nu_com + 1) / (nu_com + 3) * nu_com * (1 - lambda)``
    - ``nu_BR = nu_old nu_obs / (nu_old + nu_obs)``, always ``<= nu_com``,

    which tends to ``nu_old`` as ``nu_com -> inf``. (statsmodels' MICE pooling
    uses a normal reference; this adds the t reference.)

    Parameters
    ----------
    estimates, variances : array-like, shape (m,) or (m, p)
        Point estimates and their squared standard errors, one row per
        imputation. A DataFrame's column names label the parameters.
    df_complete : float or array of p floats, optional
        Complete-data degrees of freedom ``nu_com`` (``np.inf`` allowed). If
        omitted, ``df`` is Rubin's ``nu_old``.
    alpha : float, default 0.05
        For the ``1 - alpha`` confidence interval.
    names : list of str, optional
        Parameter names (override DataFrame columns), one per parameter.

    Returns
    -------
    DataFrame, one row per parameter
        ``estimate, within, between, total, se, riv, lambda, df_rubin, df, t, p,
        ci_low, ci_high`` where ``df`` is ``nu_BR`` when ``df_complete`` is given.
        If ``B = 0``, ``nu_old`` is infinite and ``nu_BR = nu_obs``.
    """
    q, col_names = _as_matrix(estimates, "estimates")
    u, var_names = _as_matrix(variances, "variances")
    if q.shape != u.shape:
        raise ValueError(f"estimates has shape {q.shape} but variances has shape {u.shape}; "
                         "they must match (one row per imputation, one column per parameter).")
    if col_names is not None and var_names is not None and col_names != var_names:
        raise ValueError(f"the columns of estimates {col_names} and of variances {var_names} "
                         "differ, so estimates would be paired with the wrong variances; "
                         "reorder with variances[estimates.columns].")
    if names is not None:
        names = require_names("names", names)
        if len(names) != q.shape[1]:
            raise ValueError(f"names has {len(names)} entries but there are {q.shape[1]} "
                             "parameter(s) (columns of estimates); give one name per parameter.")
    m = q.shape[0]
    if m < 2:
        raise ValueError(f"Rubin's rules need at least 2 imputations (got {m}); the "
                         "between-imputation variance cannot be estimated from one.")
    if np.any(u < 0):
        raise ValueError("variances must be non-negative (squared standard errors); "
                         "did you pass standard errors with a sign, or covariances?")
    alpha = require_open_unit("alpha", alpha)
    if df_complete is not None:
        if np.ndim(df_complete) > 1 or np.size(df_complete) not in (1, q.shape[1]):
            raise ValueError(f"df_complete must be one number or one per parameter "
                             f"({q.shape[1]}), got {np.size(df_complete)} value(s).")
        if np.asarray(df_complete).dtype.kind == "b":
            raise ValueError("df_complete must be a number of degrees of freedom, got True/False.")
        if np.ndim(df_complete) == 0:
            df_complete = require_number("df_complete", df_complete, finite=False,
                                         allow_nan=True)
        else:
            df_complete = numeric_values(df_complete, "df_complete")

    est, w, b = q.mean(0), u.mean(0), q.var(0, ddof=1)
    t_var = w + (1 + 1 / m) * b
    if np.any(t_var <= 0):
        zero = [(names if names is not None else col_names or list(range(q.shape[1])))[j]
                for j in np.flatnonzero(t_var <= 0)]
        raise ValueError(f"the total variance of parameter(s) {zero[:5]} is 0 (every imputation "
                         "gives the same estimate with variance 0), so no test or interval is "
                         "possible; check that the variances are squared standard errors.")
    with np.errstate(divide="ignore", invalid="ignore"):
        riv = (1 + 1 / m) * b / w
        lam = np.where(t_var > 0, (1 + 1 / m) * b / t_var, 0.0)
        df_old = (m - 1) / lam**2
        if df_complete is None:
            df = df_old
        else:
            nu = np.broadcast_to(np.asarray(df_complete, dtype=float), est.shape)
            if np.any(~(nu > 0)):
                raise ValueError(f"df_complete must be positive, got {df_complete}.")
            shrink = np.where(np.isinf(nu), 1.0, (nu + 1) / (nu + 3))
            df_obs = shrink * nu * (1 - lam)
            df = 1 / (1 / df_old + 1 / df_obs)
        se = np.sqrt(t_var)
        t_stat = est / se
    p = 2 * stats.t.sf(np.abs(t_stat), df)
    half = stats.t.ppf(1 - alpha / 2, df) * se
    index = names if names is not None else col_names
    return pd.DataFrame({"estimate": est, "within": w, "between": b, "total": t_var, "se": se,
                         "riv": riv, "lambda": lam, "df_rubin": df_old, "df": df, "t": t_stat,
                         "p": p, "ci_low": est - half, "ci_high": est + half}, index=index)


# --------------------------------------------------------------------------
# Multiple imputation
# --------------------------------------------------------------------------
def multiply_impute(data, columns, m=20, seed=None, predictors=(), n_iter=10) -> list[pd.DataFrame]:
    """Draw ``m`` completed data sets by chained equations (normal Bayesian regression).

    Each missing column is imputed in turn from all the others (the rest of
    ``columns`` plus the fully observed ``predictors``), cycling ``n_iter``
    times, as in R's ``mice`` with method ``"norm"`` (van Buuren 2018,
    Algorithm 3.1). One step for column ``y`` with design ``X`` (intercept plus
    the other variables, current imputations included), on the rows where ``y``
    is observed (``n`` rows, ``k`` columns):

    1. OLS: ``b = (X'X)^-1 X'y``, residual sum of squares ``RSS``;
    2. draw ``sigma^2 = RSS / g`` with ``g ~ chi^2(n - k)``;
    3. draw ``beta ~ N(b, sigma^2 (X'X)^-1)``;
    4. impute ``y_mis = X_mis beta + N(0, sigma^2)``.

    Drawing the parameters (steps 2-3), not just the residual, is what makes
    the between-imputation variance honest. The ``m`` chains are independent,
    each started from random draws of the observed values. Imputations are on
    a continuous normal scale (a 1-5 rating can be imputed as 5.3); use
    predictive mean matching (statsmodels ``MICEData``) if that matters. For
    students nested in teachers, include teacher-level information (e.g.
    teacher means, treatment) in ``predictors`` so that the imputation model is
    not less rich than the analysis model.

    Parameters
    ----------
    data : DataFrame
    columns : list of str
        Numeric columns to impute (each needs some observed values).
    m : int, default 20
        Number of imputations (at least 2).
    seed : int or numpy Generator, optional
        Seed for reproducible imputations.
    predictors : list of str
        Fully observed numeric columns used only as predictors.
    n_iter : int, default 10
        Chained-equation cycles per imputation (at least 1; with 0 the
        "imputations" would be the random starting draws).

    Returns
    -------
    list of DataFrame
        ``m`` copies of ``data`` with ``columns`` filled in.
    """
    require_dataframe(data)
    columns, predictors = require_names("columns", columns), require_names("predictors", predictors)
    if not columns:
        raise ValueError("columns is empty; name the column(s) with missing values to impute.")
    require_columns(data, columns + predictors)
    require_distinct({"a column to impute": columns, "a predictor": predictors})
    require_numeric(data, columns, role="imputed")
    require_numeric(data, predictors, role="predictor")
    require_finite(data, columns, role="imputed")
    require_finite(data, predictors, role="predictor")
    m = require_int("m", m, what="an integer of at least 2 imputations")
    if m < 2:
        raise ValueError(f"m must be an integer of at least 2 imputations, got {m}.")
    n_iter = require_int("n_iter", n_iter, minimum=1,
                         what="a whole number of chained-equation cycles (at least 1)")
    seed = require_seed(seed)
    if predictors and data[predictors].isna().any().any():
        bad = [c for c in predictors if data[c].isna().any()]
        raise ValueError(f"predictor(s) {bad} have missing values; move them to `columns` "
                         "so that they are imputed too.")
    y_all = data[columns].to_numpy(dtype=float)
    miss = np.isnan(y_all)
    for j, c in enumerate(columns):
        if miss[:, j].all():
            raise ValueError(f"column {c!r} has no observed values, so it cannot be imputed.")
    base = np.column_stack([np.ones(len(data)), data[predictors].to_numpy(dtype=float)])
    rng = np.random.default_rng(seed)
    todo = [j for j in np.argsort(miss.sum(0), kind="stable") if miss[:, j].any()]
    for j in todo:
        if (~miss[:, j]).sum() <= base.shape[1] + len(columns):
            raise ValueError(f"column {columns[j]!r} has too few observed values to fit its "
                             "imputation model; use fewer predictors.")
    completed = []
    for _ in range(int(m)):
        y = y_all.copy()
        for j in todo:  # start from random draws of the observed values
            y[miss[:, j], j] = rng.choice(y_all[~miss[:, j], j], miss[:, j].sum())
        for _ in range(n_iter):
            for j in todo:
                obs = ~miss[:, j]
                x = np.column_stack([base, np.delete(y, j, axis=1)])
                xo, yo = x[obs], y[obs, j]
                xtx_inv = np.linalg.pinv(xo.T @ xo)
                b = xtx_inv @ xo.T @ yo
                rss = float(np.sum((yo - xo @ b) ** 2))
                sigma2 = rss / rng.chisquare(max(obs.sum() - x.shape[1], 1))
                beta = rng.multivariate_normal(b, sigma2 * xtx_inv)
                y[~obs, j] = x[~obs] @ beta + rng.normal(0.0, np.sqrt(sigma2), (~obs).sum())
        out = data.copy()
        out[columns] = y
        completed.append(out)
    return completed
