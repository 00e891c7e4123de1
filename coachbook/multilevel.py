"""Two-level (students-in-teachers) models and multiple-imputation pooling.

Three tools, one idea each:

- :func:`fit_mixed` fits a linear mixed model with several optimizers and keeps
  the best one, because a single optimizer can stop at a wrong optimum and still
  report convergence.
- :func:`pool_rubin` combines estimates from multiply imputed data sets with
  Rubin's rules, including the Barnard-Rubin small-sample degrees of freedom.
- :func:`multiply_impute` draws ``m`` completed data sets by chained equations
  with Bayesian linear-regression draws.

References
----------
Raudenbush, S. W., & Bryk, A. S. (2002). *Hierarchical Linear Models* (2nd ed.).
Rubin, D. B. (1987). *Multiple Imputation for Nonresponse in Surveys*. Wiley.
Barnard, J., & Rubin, D. B. (1999). Small-sample degrees of freedom with
multiple imputation. *Biometrika*, 86(4), 948-955.
van Buuren, S. (2018). *Flexible Imputation of Missing Data* (2nd ed.), ch. 3-4.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats

from coachbook._validate import require_columns, require_dataframe, require_numeric

__all__ = ["MixedFit", "fit_mixed", "LogitMixedFit", "fit_logit_random_intercept", "pool_rubin",
           "multiply_impute", "DEFAULT_METHODS"]

#: Optimizers tried by :func:`fit_mixed`; a tuple is a chain (the second starts
#: where the first stopped if the first did not converge).
DEFAULT_METHODS = (("powell", "lbfgs"), "lbfgs", "bfgs", "nm")


# --------------------------------------------------------------------------
# Mixed models
# --------------------------------------------------------------------------
@dataclass(repr=False)
class MixedFit:
    """The fit kept by :func:`fit_mixed`, with tidy tables.

    Attributes
    ----------
    result : statsmodels MixedLMResults
        The full statsmodels result of the chosen optimizer.
    converged : bool
        The chosen optimizer's own flag, set to False when another optimizer
        reached the same log-likelihood with materially different estimates.
    optimizer : str
        Which optimizer (chain) produced the kept fit, e.g. ``"powell+lbfgs"``.
    llf : float
        Log-likelihood (REML or ML, see ``reml``) of the kept fit.
    fixed_effects : DataFrame
        ``estimate, se, z, p`` per fixed effect (Wald z, normal reference).
    variance_components : DataFrame
        ``estimate`` (variance or covariance) and ``sd`` per random-effect
        parameter, plus the level-1 ``residual`` variance sigma^2.
    warnings : list of str
        Short warning messages raised while fitting the kept model (and notes
        on optimizer disagreement). Nothing is printed.
    attempts : DataFrame
        One row per optimizer tried: ``llf``, ``converged``, ``error``.
    reml : bool
        Whether the log-likelihood is the restricted (REML) one.
    """

    result: object
    converged: bool
    optimizer: str
    llf: float
    fixed_effects: pd.DataFrame
    variance_components: pd.DataFrame
    warnings: list = field(default_factory=list)
    attempts: pd.DataFrame | None = None
    reml: bool = True

    def __repr__(self) -> str:
        crit = "REML" if self.reml else "ML"
        return (f"MixedFit({crit} llf={self.llf:.3f}, optimizer={self.optimizer!r}, "
                f"converged={self.converged}, n_obs={self.result.model.nobs}, "
                f"n_groups={len(self.result.model.group_labels)}, warnings={len(self.warnings)})")

    def _random_intercept_only(self) -> tuple[float, float]:
        res = self.result
        if res.k_re != 1 or res.model.k_vc != 0 or not _has_intercept(res.model.exog_re):
            raise ValueError(
                "icc() and reliability() are defined for random-intercept models only "
                "(re_formula=None and no vc_formula); this model has "
                f"{res.k_re} random effect(s) and {res.model.k_vc} variance component(s)."
            )
        return float(res.cov_re.iloc[0, 0]), float(res.scale)

    def icc(self) -> float:
        """Intraclass correlation of a random-intercept model.

        ``rho = tau00 / (tau00 + sigma^2)``: the share of the outcome's variance
        that lies between groups (Raudenbush & Bryk 2002, eq. 4.5). For the
        High School and Beyond one-way ANOVA, 8.614 / (8.614 + 39.148) = .18.
        With level-1 predictors in the model it is a *conditional* (residual) ICC.
        """
        tau, sigma2 = self._random_intercept_only()
        return tau / (tau + sigma2)

    def reliability(self) -> float:
        """Average reliability of the group means as estimates of the group intercepts.

        ``lambda_j = tau00 / (tau00 + sigma^2 / n_j)``, averaged over groups
        (Raudenbush & Bryk 2002, eq. 3.57 and Table 4.2, where it is .901).
        Low values mean the group-level estimates are mostly noise.
        """
        tau, sigma2 = self._random_intercept_only()
        n_j = np.array([len(y) for y in self.result.model.endog_li], dtype=float)
        return float(np.mean(tau / (tau + sigma2 / n_j)))


def _has_intercept(exog_re) -> bool:
    col = np.asarray(exog_re)[:, 0]
    return bool(np.allclose(col, 1.0))


def _short(w: warnings.WarningMessage) -> str:
    text = str(w.message).strip().splitlines()[0] if str(w.message).strip() else ""
    text = text if len(text) <= 100 else text[:97] + "..."
    return f"{w.category.__name__}: {text}"


def _dedupe(items):
    return list(dict.fromkeys(items))


def _variance_table(res) -> pd.DataFrame:
    rows = []
    cov = res.cov_re
    names = [str(n) for n in cov.index]
    if _has_intercept(res.model.exog_re):  # statsmodels labels it with the group name
        names[0] = "Intercept"
    for i in range(len(names)):
        for j in range(i + 1):
            label = f"var({names[i]})" if i == j else f"cov({names[j]}, {names[i]})"
            value = float(cov.iloc[i, j])
            rows.append((label, value, np.sqrt(value) if i == j and value >= 0 else np.nan))
    for name, value in zip(res.model.exog_vc.names, np.atleast_1d(res.vcomp)):
        rows.append((f"var({name})", float(value), np.sqrt(max(float(value), 0.0))))
    rows.append(("residual", float(res.scale), np.sqrt(float(res.scale))))
    return pd.DataFrame(rows, columns=["component", "estimate", "sd"]).set_index("component")


def _fixed_table(res) -> pd.DataFrame:
    est = pd.Series(np.asarray(res.fe_params), index=res.model.exog_names)
    se = pd.Series(np.asarray(res.bse_fe), index=est.index)
    z = est / se
    return pd.DataFrame({"estimate": est, "se": se, "z": z, "p": 2 * stats.norm.sf(np.abs(z))})


def _disagree(a, b) -> bool:
    """True if two fits differ by more than 0.1 SE in any parameter.

    Parameters are statsmodels' packed vector: fixed effects, then the random
    effects (co)variances divided by sigma^2. Where an SE is unavailable (a
    variance on the boundary), a difference above 0.01 (1% of sigma^2) counts.
    """
    pa, pb = np.asarray(a.params, dtype=float), np.asarray(b.params, dtype=float)
    with np.errstate(invalid="ignore"):
        se = np.asarray(a.bse, dtype=float)
    k_fe = len(a.fe_params)
    tol = np.where(np.isfinite(se) & (se > 0), 0.1 * se, np.r_[np.full(k_fe, np.inf),
                                                               np.full(len(pa) - k_fe, 0.01)])
    return bool(np.any(np.abs(pa - pb) > tol))


def fit_mixed(formula, data, groups, re_formula=None, vc_formula=None, reml=True,
              methods=DEFAULT_METHODS, llf_tol=1e-3) -> MixedFit:
    """Fit a linear mixed model with several optimizers and keep the best one.

    The model (Raudenbush & Bryk 2002, ch. 2) for student ``i`` of teacher
    ``j`` is ``y_ij = x_ij' gamma + z_ij' u_j + e_ij`` with
    ``u_j ~ N(0, T)`` and ``e_ij ~ N(0, sigma^2)``. statsmodels' ``MixedLM``
    maximises the (restricted) likelihood numerically, and an optimizer can stop
    at a wrong point yet report convergence (on the High School and Beyond data
    ``method="lbfgs"`` alone returns tau00 = 0 and ``llf = inf``). So every
    optimizer in ``methods`` is run, fits with a non-finite log-likelihood are
    discarded, and the one with the highest log-likelihood is kept.

    Parameters
    ----------
    formula : str
        Fixed part, e.g. ``"MathAch ~ MEANSES"``.
    data : DataFrame
        One row per level-1 unit (student, or occasion in a growth model).
    groups : str
        Column identifying level-2 units (teacher, school, or person).
    re_formula : str, optional
        Random part, e.g. ``"~ time"`` for random intercepts and slopes.
        Default: random intercept only.
    vc_formula : dict, optional
        Extra variance components, passed to statsmodels.
    reml : bool, default True
        REML for variance components; use ``reml=False`` (ML) when you will
        compare fixed effects with :func:`coachbook.growth.deviance_test`.
    methods : sequence
        Optimizers; each is a scipy method name or a tuple chain.
    llf_tol : float, default 1e-3
        Fits within ``llf_tol`` of the best log-likelihood count as equally good.
        If such a fit differs from the kept one by more than 0.1 standard error
        in any parameter, the likelihood is flat there and ``converged`` is set
        to False. (Near a regular maximum a 0.1-SE move costs about 0.005 in
        log-likelihood, so this does not fire on a well-behaved surface.)

    Returns
    -------
    MixedFit
        With ``fixed_effects``, ``variance_components``, ``icc()``,
        ``reliability()``, the recorded ``warnings`` and all ``attempts``.

    Raises
    ------
    ValueError
        Bad inputs: missing columns, missing group ids, fewer than two groups,
        a formula that cannot be built.
    RuntimeError
        If no optimizer produced a finite log-likelihood.
    """
    require_columns(data, [groups])
    if data[groups].isna().any():
        raise ValueError(
            f"group column {groups!r} has {int(data[groups].isna().sum())} missing value(s); "
            "drop those rows or give them an id, since each row must belong to a group."
        )
    if data[groups].nunique() < 2:
        raise ValueError(f"group column {groups!r} has fewer than 2 groups; a multilevel "
                         "model needs several level-2 units.")
    methods = list(methods)
    if not methods:
        raise ValueError("methods is empty; give at least one optimizer, e.g. 'lbfgs'.")

    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        try:
            model = smf.mixedlm(formula, data, groups=groups, re_formula=re_formula,
                                vc_formula=vc_formula)
        except Exception as exc:  # patsy errors are not ValueErrors
            raise ValueError(
                f"could not build the model from formula {formula!r}: {str(exc).splitlines()[0]}. "
                "Check the column names, and drop rows with missing values in the model's "
                "variables first (MixedLM does not drop them)."
            ) from exc

    fits, rows = [], []
    for method in methods:
        label = method if isinstance(method, str) else "+".join(method)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                res = model.fit(reml=reml, method=method if isinstance(method, str) else list(method))
                llf, conv, err = float(res.llf), bool(res.converged), ""
            except Exception as exc:  # an optimizer failing is data, not a crash
                res, llf, conv, err = None, np.nan, False, f"{type(exc).__name__}: {exc}"[:100]
        rows.append({"optimizer": label, "llf": llf, "converged": conv, "error": err})
        if res is not None and np.isfinite(llf):
            fits.append((llf, label, res, _dedupe(_short(w) for w in caught)))
    attempts = pd.DataFrame(rows)
    if not fits:
        raise RuntimeError("no optimizer reached a finite log-likelihood:\n"
                           + attempts.to_string(index=False))

    llf, label, res, notes = max(fits, key=lambda f: f[0])
    converged = bool(res.converged)
    for other_llf, other_label, other, _ in fits:
        if other is not res and llf - other_llf <= llf_tol and _disagree(res, other):
            converged = False
            notes.append(f"optimizers {label} and {other_label} reach the same log-likelihood "
                         "with different estimates; the likelihood is flat there.")
    return MixedFit(result=res, converged=converged, optimizer=label, llf=llf,
                    fixed_effects=_fixed_table(res), variance_components=_variance_table(res),
                    warnings=_dedupe(notes), attempts=attempts, reml=bool(reml))


# --------------------------------------------------------------------------
# Random-intercept logistic regression by (adaptive) Gauss-Hermite quadrature
# --------------------------------------------------------------------------
@dataclass(repr=False)
class LogitMixedFit:
    """A random-intercept logistic model fitted by :func:`fit_logit_random_intercept`.

    Attributes
    ----------
    fixed_effects : DataFrame
        ``estimate, se, z, p`` per fixed effect, on the logit scale, for a
        unit with random intercept 0 (*unit-specific* effects).
    re_sd : float
        Standard deviation of the random intercept (logit scale).
    llf : float
        Maximized (approximate) log-likelihood.
    converged : bool
        True when the gradient at the optimum is below 1e-3 and the Hessian is
        positive definite.
    n_points : int
        Quadrature points per unit (1 = the Laplace approximation).
    n_obs, n_groups : int
    """

    fixed_effects: pd.DataFrame
    re_sd: float
    llf: float
    converged: bool
    n_points: int
    n_obs: int
    n_groups: int

    def __repr__(self) -> str:
        return (f"LogitMixedFit(llf={self.llf:.3f}, re_sd={self.re_sd:.3f}, n_points={self.n_points}, "
                f"converged={self.converged}, n_obs={self.n_obs}, n_groups={self.n_groups})")


def _agq_loglik(beta, log_sd, x, y, g, n_groups, nodes, weights, newton_steps=50):
    """Log-likelihood of the random-intercept logit, adaptive Gauss-Hermite per group."""
    sd = np.exp(log_sd)
    xb = x @ beta
    u = np.zeros(n_groups)
    for _ in range(newton_steps):  # mode of h_j(u) = sum_i loglik_ij(u) - u^2/2 (concave)
        p = 1.0 / (1.0 + np.exp(-(xb + sd * u[g])))
        grad = sd * np.bincount(g, y - p, n_groups) - u
        hess = -(sd ** 2) * np.bincount(g, p * (1 - p), n_groups) - 1.0
        step = grad / hess
        u = u - step
        if np.max(np.abs(step)) < 1e-10:
            break
    p = 1.0 / (1.0 + np.exp(-(xb + sd * u[g])))
    scale = 1.0 / np.sqrt((sd ** 2) * np.bincount(g, p * (1 - p), n_groups) + 1.0)
    # h_j at u_j + sqrt(2) scale_j x_k for every node k
    uk = u[:, None] + np.sqrt(2.0) * scale[:, None] * nodes[None, :]        # G x K
    eta = xb[:, None] + sd * uk[g]                                          # n x K
    ll = y[:, None] * eta - np.logaddexp(0.0, eta)
    h = np.zeros((n_groups, len(nodes)))
    np.add.at(h, g, ll)
    h = h - 0.5 * uk ** 2 - 0.5 * np.log(2 * np.pi)
    terms = h + nodes[None, :] ** 2 + np.log(weights)[None, :]
    top = terms.max(axis=1, keepdims=True)
    per_group = top[:, 0] + np.log(np.exp(terms - top).sum(axis=1)) + np.log(np.sqrt(2.0) * scale)
    return float(per_group.sum())


def _num_hessian(f, theta, h=1e-4):
    k = len(theta)
    hess = np.zeros((k, k))
    eye = np.eye(k) * h
    for i in range(k):
        for j in range(i, k):
            val = (f(theta + eye[i] + eye[j]) - f(theta + eye[i] - eye[j])
                   - f(theta - eye[i] + eye[j]) + f(theta - eye[i] - eye[j])) / (4 * h * h)
            hess[i, j] = hess[j, i] = val
    return hess


def fit_logit_random_intercept(formula, data, groups, n_points=15) -> LogitMixedFit:
    """Random-intercept logistic regression by maximum likelihood.

    The model for occasion ``t`` of unit ``j`` is ``logit P(y_tj = 1) = x_tj' beta
    + u_j`` with ``u_j ~ N(0, sd^2)``. Its likelihood integrates over each
    ``u_j``; the integral has no closed form, and software differs in how it
    approximates it (Raudenbush & Bryk 2002, ch. 10):

    - **PQL** (penalized quasi-likelihood, HLM's default for binary outcomes)
      linearizes the model and iterates weighted linear mixed models; with few
      binary observations per unit it shrinks both ``sd`` and ``beta`` toward 0.
    - **Laplace** approximates each integrand by a normal curve at its mode
      (HLM's Laplace option uses a higher-order version); here ``n_points=1``.
    - **Adaptive Gauss-Hermite quadrature** (Pinheiro & Bates 1995; lme4's
      ``nAGQ``) centres ``n_points`` nodes at the mode and scales them by the
      curvature; with enough points it is exact maximum likelihood.

    ``beta`` are *unit-specific* effects (for a unit with ``u_j = 0``). A
    population-averaged model (GEE) estimates smaller coefficients, roughly
    ``beta / sqrt(1 + 0.346 sd^2)`` (Zeger, Liang & Albert 1988).

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + x2"`` with a 0/1 outcome.
    data : DataFrame
    groups : str
        Column identifying the units that share a random intercept.
    n_points : int, default 15
        Quadrature points per unit; 1 gives the Laplace approximation.

    Returns
    -------
    LogitMixedFit with Wald z tests (SEs from a numerical Hessian of the
    log-likelihood in ``beta`` and ``log sd``).
    """
    import patsy
    from scipy import optimize

    require_columns(data, [groups])
    if int(n_points) != n_points or n_points < 1:
        raise ValueError(f"n_points must be a positive integer, got {n_points}.")
    try:
        y_df, x_df = patsy.dmatrices(formula, data, return_type="dataframe", NA_action="drop")
    except Exception as exc:
        raise ValueError(f"could not build the model from formula {formula!r}: "
                         f"{str(exc).splitlines()[0]}.") from exc
    if y_df.shape[1] != 1:
        raise ValueError("the outcome must be one 0/1 column (a categorical outcome was expanded); "
                         "recode it as 0/1 integers.")
    y = y_df.iloc[:, 0].to_numpy(float)
    if not set(np.unique(y)) <= {0.0, 1.0}:
        raise ValueError(f"the outcome of {formula!r} must be coded 0/1, found values "
                         f"{sorted(set(np.unique(y)))[:6]}.")
    grp = data.loc[y_df.index, groups]
    if grp.isna().any():
        raise ValueError(f"group column {groups!r} has missing values; drop those rows first.")
    g, labels = pd.factorize(grp)
    if len(labels) < 2:
        raise ValueError(f"group column {groups!r} has fewer than 2 groups.")
    x = x_df.to_numpy(float)
    nodes, weights = np.polynomial.hermite.hermgauss(int(n_points))
    k = x.shape[1]

    def negll(theta):
        return -_agq_loglik(theta[:k], theta[k], x, y, g, len(labels), nodes, weights)

    start = np.r_[np.zeros(k), 0.0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt = optimize.minimize(negll, start, method="BFGS", options={"gtol": 1e-6})
    hess = _num_hessian(negll, opt.x)
    # Judge convergence by the gradient at the optimum: BFGS's own flag is often
    # False only because of floating-point precision loss near the optimum.
    step = 1e-5 * np.eye(len(opt.x))
    grad = np.array([(negll(opt.x + e) - negll(opt.x - e)) / 2e-5 for e in step])
    eig = np.linalg.eigvalsh(hess)
    pos_def = bool(np.all(eig > 1e-8))
    cov = np.linalg.inv(hess) if pos_def else np.linalg.pinv(hess[:k, :k])
    est = pd.Series(opt.x[:k], index=x_df.columns)
    se = pd.Series(np.sqrt(np.diag(cov)[:k]), index=x_df.columns)
    z = est / se
    table = pd.DataFrame({"estimate": est, "se": se, "z": z, "p": 2 * stats.norm.sf(np.abs(z))})
    return LogitMixedFit(fixed_effects=table, re_sd=float(np.exp(opt.x[k])), llf=float(-opt.fun),
                         converged=bool(np.max(np.abs(grad)) < 1e-3) and pos_def, n_points=int(n_points),
                         n_obs=len(y), n_groups=len(labels))


# --------------------------------------------------------------------------
# Rubin's rules
# --------------------------------------------------------------------------
def _as_matrix(values, what: str):
    names = list(values.columns) if isinstance(values, pd.DataFrame) else None
    arr = np.asarray(values, dtype=float)
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
        Parameter names (override DataFrame columns).

    Returns
    -------
    DataFrame, one row per parameter
        ``estimate, within, between, total, se, riv, lambda, df_rubin, df, t, p,
        ci_low, ci_high`` where ``df`` is ``nu_BR`` when ``df_complete`` is given.
        If ``B = 0``, ``nu_old`` is infinite and ``nu_BR = nu_obs``.
    """
    q, col_names = _as_matrix(estimates, "estimates")
    u, _ = _as_matrix(variances, "variances")
    if q.shape != u.shape:
        raise ValueError(f"estimates has shape {q.shape} but variances has shape {u.shape}; "
                         "they must match (one row per imputation, one column per parameter).")
    m = q.shape[0]
    if m < 2:
        raise ValueError(f"Rubin's rules need at least 2 imputations (got {m}); the "
                         "between-imputation variance cannot be estimated from one.")
    if np.any(u < 0):
        raise ValueError("variances must be non-negative (squared standard errors); "
                         "did you pass standard errors with a sign, or covariances?")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}.")

    est, w, b = q.mean(0), u.mean(0), q.var(0, ddof=1)
    t_var = w + (1 + 1 / m) * b
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
        Chained-equation cycles per imputation.

    Returns
    -------
    list of DataFrame
        ``m`` copies of ``data`` with ``columns`` filled in.
    """
    require_dataframe(data)
    columns, predictors = list(columns), list(predictors)
    if not columns:
        raise ValueError("columns is empty; name the column(s) with missing values to impute.")
    require_columns(data, columns + predictors)
    require_numeric(data, columns + predictors)
    if int(m) != m or m < 2:
        raise ValueError(f"m must be an integer of at least 2 imputations, got {m}.")
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
