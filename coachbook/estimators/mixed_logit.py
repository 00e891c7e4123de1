"""The random-intercept logistic model by maximum likelihood (adaptive Gauss-Hermite quadrature).

:func:`fit_logit_random_intercept` fits ``logit P(y_tj = 1) = x_tj' beta + u_j``
with ``u_j ~ N(0, sd^2)`` (a 0/1 rubric item over coaching cycles, with a
random intercept per coach-teacher pair): BFGS for the neighbourhood of the
maximum, then Newton-Raphson with complex-step gradients (exact to machine
precision), so the estimates do not depend on where an optimizer stopped.

References
----------
Pinheiro, J. C., & Bates, D. M. (1995). Approximations to the log-likelihood
function in the nonlinear mixed-effects model. *Journal of Computational and
Graphical Statistics*, 4(1), 12-35.
Raudenbush, S. W., & Bryk, A. S. (2002). *Hierarchical Linear Models* (2nd ed.), ch. 10.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import patsy
from scipy import optimize, stats

from coachbook.estimators._result import Result, wald_table_tidy
from coachbook.estimators._validate import require_columns

__all__ = ["LogitMixedFit", "fit_logit_random_intercept"]


@dataclass(repr=False)
class LogitMixedFit(Result):
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
        True when the Newton decrement at the optimum (its distance in
        standard-error units) is below 1e-8 and the Hessian is negative definite.
    n_points : int
        Quadrature points per unit (1 = the Laplace approximation).
    n_obs, n_groups : int
    gradient : Series
        Score at the optimum in ``beta`` and ``sd`` (complex-step derivatives).
    decrement : float
        Final Newton decrement ``sqrt(g'(-H)^-1 g)``.
    """

    fixed_effects: pd.DataFrame
    re_sd: float
    llf: float
    converged: bool
    n_points: int
    n_obs: int
    n_groups: int
    gradient: pd.Series | None = None
    decrement: float = np.nan

    def __repr__(self) -> str:
        return (f"LogitMixedFit(llf={self.llf:.3f}, re_sd={self.re_sd:.3f}, n_points={self.n_points}, "
                f"converged={self.converged}, n_obs={self.n_obs}, n_groups={self.n_groups})")

    def tidy(self) -> pd.DataFrame:
        """One row per fixed effect (Wald z tests), tidy column names."""
        return wald_table_tidy(self.fixed_effects)


def _csum(g, values, n_groups):
    """``np.bincount`` for real or complex weights."""
    if np.iscomplexobj(values):
        return (np.bincount(g, values.real, n_groups)
                + 1j * np.bincount(g, values.imag, n_groups))
    return np.bincount(g, values, n_groups)


def _expit(eta):
    pos = eta.real > 0
    with np.errstate(over="ignore", invalid="ignore"):
        a = 1.0 / (1.0 + np.exp(-eta))
        ex = np.exp(eta)
        b = ex / (1.0 + ex)
    return np.where(pos, a, b)


def _softplus(eta):
    """``log(1 + exp(eta))``, stable, and analytic (for complex-step derivatives)."""
    pos = eta.real > 0
    with np.errstate(over="ignore", invalid="ignore"):
        a = eta + np.log1p(np.exp(-eta))
        b = np.log1p(np.exp(eta))
    return np.where(pos, a, b)


def _agq_loglik_sd(beta, sd, x, y, g, n_groups, nodes, weights, newton_steps=100):
    """Adaptive Gauss-Hermite log-likelihood at ``(beta, sd)``; real or complex arguments.

    Every step is an analytic function of ``beta`` and ``sd`` (the branch
    choices look at real parts only), so ``Im f(theta + i h e_k) / h`` is the
    derivative to machine precision (the complex-step method; Squire &
    Trapp 1998). The modes are found by Newton's method to full precision,
    then three more steps carry the imaginary (derivative) part along.
    """
    xb = x @ beta
    u = np.zeros(n_groups, dtype=np.result_type(xb, sd))
    extra = None
    for _ in range(newton_steps):  # mode of h_j(u) = sum_i loglik_ij(u) - u^2/2 (concave)
        p = _expit(xb + sd * u[g])
        grad = sd * _csum(g, y - p, n_groups) - u
        hess = -(sd ** 2) * _csum(g, p * (1 - p), n_groups) - 1.0
        step = grad / hess
        u = u - step
        if extra is None and np.max(np.abs(step.real)) < 1e-13 * (1.0 + np.max(np.abs(u.real))):
            extra = 3
        if extra is not None:
            extra -= 1
            if extra <= 0:
                break
    p = _expit(xb + sd * u[g])
    scale = 1.0 / np.sqrt((sd ** 2) * _csum(g, p * (1 - p), n_groups) + 1.0)
    # h_j at u_j + sqrt(2) scale_j x_k for every node k
    uk = u[:, None] + np.sqrt(2.0) * scale[:, None] * nodes[None, :]        # G x K
    eta = xb[:, None] + sd * uk[g]                                          # n x K
    ll = y[:, None] * eta - _softplus(eta)
    h = np.zeros((n_groups, len(nodes)), dtype=ll.dtype)
    np.add.at(h, g, ll)
    h = h - 0.5 * uk ** 2 - 0.5 * np.log(2 * np.pi)
    terms = h + nodes[None, :] ** 2 + np.log(weights)[None, :]
    top = terms.real.max(axis=1, keepdims=True)
    per_group = top[:, 0] + np.log(np.exp(terms - top).sum(axis=1)) + np.log(np.sqrt(2.0) * scale)
    return per_group.sum()


def _agq_loglik(beta, log_sd, x, y, g, n_groups, nodes, weights, newton_steps=100):
    """Log-likelihood of the random-intercept logit, adaptive Gauss-Hermite per group."""
    return float(_agq_loglik_sd(np.asarray(beta, float), float(np.exp(log_sd)), x, y, g, n_groups,
                                nodes, weights, newton_steps).real)


def _complex_step_grad(f, theta, h=1e-30):
    theta = np.asarray(theta, dtype=float)
    return np.array([f(theta + 1j * h * e).imag / h for e in np.eye(len(theta))])


def _hessian_from_grad(grad, theta, rel=1e-3):
    """Central differences of an exact gradient, Richardson-extrapolated (error O(h^4))."""
    k = len(theta)
    hess = np.zeros((k, k))
    for i in range(k):
        h = rel * max(1.0, abs(theta[i]))
        e = np.zeros(k)
        e[i] = 1.0

        def diff(s):
            return (grad(theta + s * e) - grad(theta - s * e)) / (2 * s)

        hess[:, i] = (4.0 * diff(h / 2) - diff(h)) / 3.0
    return 0.5 * (hess + hess.T)


def fit_logit_random_intercept(formula, data, cluster, n_points=15) -> LogitMixedFit:
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

    BFGS finds the neighbourhood of the maximum; Newton-Raphson with
    complex-step gradients (exact to machine precision) and a Hessian from
    their differences then finishes it, so the estimates are determined far
    below display precision. The likelihood is even in ``sd``, so ``sd = 0``
    (no variation between units) is a regular point, not a boundary.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + x2"`` with a 0/1 outcome.
    data : DataFrame
    cluster : str
        Column identifying the units that share a random intercept.
    n_points : int, default 15
        Quadrature points per unit; 1 gives the Laplace approximation.

    Returns
    -------
    LogitMixedFit with Wald z tests (SEs from the Hessian of the
    log-likelihood in ``beta`` and ``sd``).

    Raises
    ------
    ValueError
        Bad inputs, or an outcome without variation (all 0 or all 1), whose
        maximum likelihood estimate does not exist.
    """
    require_columns(data, [cluster])
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
    what = f"the random-intercept logit {formula!r} with cluster={cluster!r}"
    if len(np.unique(y)) < 2:
        raise ValueError(f"{what}: the outcome is {int(y[0]) if len(y) else 'empty'} for every "
                         f"one of the {len(y)} rows, so the model cannot be estimated (its "
                         "intercept would be infinite). Report the proportion instead.")
    grp = data.loc[y_df.index, cluster]
    if grp.isna().any():
        raise ValueError(f"group column {cluster!r} has missing values; drop those rows first.")
    g, labels = pd.factorize(grp)
    if len(labels) < 2:
        raise ValueError(f"group column {cluster!r} has fewer than 2 groups.")
    x = x_df.to_numpy(float)
    nodes, weights = np.polynomial.hermite.hermgauss(int(n_points))
    k = x.shape[1]
    n_groups = len(labels)

    def loglik(theta):  # theta = (beta, sd), real or complex
        return _agq_loglik_sd(theta[:k], theta[k], x, y, g, n_groups, nodes, weights)

    def negll_log(theta):
        return -float(_agq_loglik_sd(theta[:k], np.exp(theta[k]), x, y, g, n_groups,
                                     nodes, weights).real)

    def grad(theta):
        return _complex_step_grad(loglik, theta)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt = optimize.minimize(negll_log, np.r_[np.zeros(k), 0.0], method="BFGS",
                                options={"gtol": 1e-5})
    theta = np.r_[opt.x[:k], np.exp(opt.x[k])]
    value = float(loglik(theta).real)
    decrement, nd = np.inf, False
    for _ in range(50):  # Newton-Raphson with step halving
        gr = grad(theta)
        hess = _hessian_from_grad(grad, theta)
        neg = -hess
        w, u = np.linalg.eigh(neg)
        nd = bool(np.all(w > 1e-12 * max(np.max(np.abs(w)), 1e-300)))
        w_mod = np.maximum(np.abs(w), 1e-10 * max(np.max(np.abs(w)), 1e-300))
        coef = (u.T @ gr) / w_mod
        step = u @ coef
        decrement = float(np.sqrt(np.sum(coef ** 2 * w_mod)))
        if decrement < 1e-11:
            break
        t = 1.0
        while t > 1e-10:
            trial = theta + t * step
            new = float(loglik(trial).real)
            if new >= value - 1e-12 * max(1.0, abs(value)):
                break
            t *= 0.5
        else:
            break
        theta, value = trial, new
    theta[k] = abs(theta[k])  # the likelihood is even in sd
    gr = grad(theta)
    hess = _hessian_from_grad(grad, theta)
    eig = np.linalg.eigvalsh(-hess)
    nd = bool(np.all(eig > 1e-12 * max(np.max(np.abs(eig)), 1e-300)))
    cov = np.linalg.inv(-hess) if nd else np.linalg.pinv(-hess)
    if nd:
        decrement = float(np.sqrt(max(gr @ cov @ gr, 0.0)))
    est = pd.Series(theta[:k], index=x_df.columns)
    se = pd.Series(np.sqrt(np.abs(np.diag(cov)[:k])), index=x_df.columns)
    z = est / se
    table = pd.DataFrame({"estimate": est, "se": se, "z": z, "p": 2 * stats.norm.sf(np.abs(z))})
    return LogitMixedFit(fixed_effects=table, re_sd=float(theta[k]), llf=float(loglik(theta).real),
                         converged=bool(nd and decrement < 1e-8), n_points=int(n_points),
                         n_obs=len(y), n_groups=n_groups,
                         gradient=pd.Series(gr, index=list(x_df.columns) + ["sd"]),
                         decrement=decrement)


