"""The random-intercept linear mixed model by REML, in closed form (Kraft & Hill 2019, eqs. 2-3).

Students ``i`` in teachers ``j``: ``y_ij = x_ij' b + v_j + e_ij`` with
``v_j ~ N(0, tau)`` and ``e_ij ~ N(0, sigma^2)``. The paper's student-level
equations 2 (the student survey) and 3 (test scores) are such models;
:func:`fit_random_intercept` fits one by restricted maximum likelihood from a
profile likelihood in one parameter, polished to machine precision on its
analytic derivative (:func:`_polish_root`), a few milliseconds a fit.
:class:`_RIDesign` keeps the design so that the same model is refitted
cheaply for new outcomes (multiple imputations, a generator's calibration),
and takes group frequency weights (the Lee bounds of
:mod:`coachbook.estimators.lee_fe`). :func:`coachbook.estimators.mixed.fit_mixed`
fits the same model (and richer ones) through statsmodels.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg, optimize
from coachbook.estimators._result import Result, tidy_frame

__all__ = ["RIFit", "fit_random_intercept"]


@dataclass(frozen=True, repr=False)
class RIFit(Result):
    """A random-intercept (REML) fit: ``y_ij = x_ij'b + v_j + e_ij``."""

    coef: np.ndarray
    cov: np.ndarray
    tau: float      # var(v_j)
    sigma2: float   # var(e_ij)
    llf: float      # REML log-likelihood up to a constant
    n_obs: int
    n_groups: int

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.diag(self.cov))

    def tidy(self) -> pd.DataFrame:
        """The fixed effects in column order of the design matrix (``b0``, ``b1``, ...)."""
        return tidy_frame([{"term": f"b{i}", "estimate": b, "std_error": s, "n": self.n_obs}
                           for i, (b, s) in enumerate(zip(self.coef, self.se))])


class _RIDesign:
    """Random-intercept REML for a fixed design, refitted cheaply for new outcomes.

    ``weights`` (one per row, constant within a group) are group frequency
    weights: each group's contribution to the restricted likelihood is
    multiplied by its weight ``v_j``, so that ``N`` becomes ``sum_j v_j n_j``,
    the cross-products are weighted, and ``sum_j log(1 + n_j gamma)`` becomes
    ``sum_j v_j log(1 + n_j gamma)``. With 0/1 weights this is the fit to the
    groups of weight 1; a group cut in part at a Lee cut point enters with the
    fraction kept (:func:`coachbook.estimators.lee_fe.lee_bounds_fe`).

    With ``gamma = tau / sigma^2`` and group sizes ``n_j``, GLS equals OLS on
    quasi-demeaned data ``x - theta_j xbar_j`` (``theta_j = 1 - (1 + n_j
    gamma)^{-1/2}``), whose cross-products are ``A = X'X - sum_j w_j xbar_j
    xbar_j'`` with ``w_j = n_j^2 gamma / (1 + n_j gamma)``. The restricted
    log-likelihood, with sigma^2 profiled out, is ``-1/2 [(N - p) log(RSS) +
    sum_j log(1 + n_j gamma) + log det A]``; it is maximized over ``log
    gamma`` by Brent's bounded method (and compared with gamma = 0).
    This is the REML criterion statsmodels' ``MixedLM`` maximizes, so the
    estimates agree (a test checks it against :func:`coachbook.estimators.mixed.fit_mixed`).

    Brent's method stops on the criterion's *values*, which are flat at the
    optimum: its answer moves by about 1e-7 in ``log gamma`` with the last
    bits of the arithmetic (the BLAS kernel, the number of threads). With
    ``polish=True`` (the default of :meth:`_RIDesign.fit`) the optimum is then refined
    to machine precision by a root-finder on the analytic derivative,

    ``d/dgamma = 1/2 [(N - p) RSS'/RSS + sum_j n_j / (1 + n_j gamma) - sum_j
    w_j' xbar_j' A^{-1} xbar_j]``, ``RSS' = -sum_j w_j' (ybar_j - xbar_j'b)^2``,
    ``w_j' = n_j^2 / (1 + n_j gamma)^2``,

    so that the estimates agree to about 1e-12 on every machine. The
    generator's calibration uses the polished fits too (the bundled files
    regenerate byte for byte either way); ``polish=False`` is Brent's answer
    alone.
    """

    def __init__(self, X: np.ndarray, groups: np.ndarray, weights: np.ndarray | None = None):
        X = np.asarray(X, dtype=float)
        codes, _ = pd.factorize(pd.Series(groups))
        self.order = np.argsort(codes, kind="stable")
        sorted_codes = codes[self.order]
        self.starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
        self.n_j = np.diff(np.r_[self.starts, len(codes)]).astype(float)
        self.X = X
        self.N, self.p = X.shape
        self.weights = None if weights is None else np.asarray(weights, dtype=float)
        if self.weights is None:
            self.w_j = np.ones(len(self.n_j))
            self.xtx = X.T @ X
            self.dof = self.N - self.p
        else:
            self.w_j = self.weights[self.order][self.starts]
            self.xtx = X.T @ (X * self.weights[:, None])
            self.dof = float(np.sum(self.w_j * self.n_j)) - self.p
        self.xbar = np.add.reduceat(X[self.order], self.starts, axis=0) / self.n_j[:, None]

    def _criterion(self, y: np.ndarray):
        """``(parts, score)``: the profiled REML criterion and its derivative in gamma."""
        y = np.asarray(y, dtype=float)
        ybar = np.add.reduceat(y[self.order], self.starts) / self.n_j
        if self.weights is None:
            xty, yty = self.X.T @ y, float(y @ y)
        else:
            xty, yty = (self.X * self.weights[:, None]).T @ y, float(y @ (self.weights * y))
        n_j, w_j, xbar, dof = self.n_j, self.w_j, self.xbar, self.dof

        def pieces(gamma):
            w = w_j * n_j ** 2 * gamma / (1.0 + n_j * gamma)
            a = self.xtx - (xbar * w[:, None]).T @ xbar
            b = xty - xbar.T @ (w * ybar)
            chol = np.linalg.cholesky(a)
            half = np.linalg.solve(chol, b)
            rss = yty - float(np.sum(w * ybar ** 2)) - float(half @ half)
            return a, b, chol, half, rss

        def parts(gamma):
            a, b, chol, half, rss = pieces(gamma)
            logdet = 2.0 * float(np.sum(np.log(np.diag(chol))))
            nll = 0.5 * (dof * np.log(rss) + float(np.sum(w_j * np.log1p(n_j * gamma))) + logdet)
            return nll, a, b, rss

        def score(gamma):
            """d nll / d gamma (the derivative of the criterion minimized)."""
            a, b, _, _, rss = pieces(gamma)
            dw = w_j * n_j ** 2 / (1.0 + n_j * gamma) ** 2
            a_inv = np.linalg.inv(a)
            resid = ybar - xbar @ (a_inv @ b)
            d_rss = -float(np.sum(dw * resid ** 2))
            d_logdet = -float(np.sum(a_inv * ((xbar * dw[:, None]).T @ xbar)))  # tr(A^-1 A')
            return 0.5 * (dof * d_rss / rss + float(np.sum(w_j * n_j / (1.0 + n_j * gamma)))
                          + d_logdet)

        return parts, score

    def fit(self, y: np.ndarray, polish: bool = True) -> RIFit:
        parts, score = self._criterion(y)
        n_j, dof = self.n_j, self.dof
        lo, hi = -16.0, 6.0
        res = optimize.minimize_scalar(lambda lg: parts(np.exp(lg))[0], bounds=(lo, hi),
                                       method="bounded", options={"xatol": 1e-7})
        lg = float(res.x)
        interior = False
        if polish:
            lg, interior = _polish_root(lambda v: score(np.exp(v)), lg, lo, hi)
        gamma = float(np.exp(lg))
        if polish and not interior and lg < lo + 0.5 and score(0.0) >= 0:
            gamma = 0.0    # the criterion rises from gamma = 0: the optimum is the boundary
        elif parts(0.0)[0] < parts(gamma)[0]:
            gamma = 0.0
        nll, a, b, rss = parts(gamma)
        sigma2 = rss / dof
        a_inv = linalg.inv(a)
        beta = a_inv @ b
        cov = sigma2 * a_inv
        return RIFit(coef=beta, cov=cov, tau=gamma * sigma2, sigma2=sigma2, llf=-nll,
                     n_obs=self.N, n_groups=len(n_j))

    def score(self, y: np.ndarray, gamma: float) -> float:
        """Derivative in gamma of the criterion minimized (minus the REML log-likelihood)."""
        return self._criterion(y)[1](float(gamma))


def _polish_root(score, x0: float, lo: float, hi: float) -> tuple[float, bool]:
    """The zero of ``score`` (a minimized criterion's derivative) next to ``x0`` in ``[lo, hi]``.

    Brackets a sign change from negative to positive around ``x0`` (the
    minimizer found by a value-based search), widening the bracket
    geometrically, and solves it by Brent's root-finder to machine precision.
    Returns ``(root, True)``, or ``(x0, False)`` when no interior minimum is
    bracketed (the optimum is on a bound, where the caller decides).
    """
    f0 = score(x0)
    if f0 == 0.0:
        return x0, True
    step = 1e-6
    while True:
        a, b = max(x0 - step, lo), min(x0 + step, hi)
        fa, fb = score(a), score(b)
        if fa < 0 < fb:
            break
        if a == lo and b == hi:
            return x0, False
        step *= 8.0
    # of the two half-brackets, the one that holds the sign change next to x0
    if f0 > 0:
        b = x0
    else:
        a = x0
    return float(optimize.brentq(score, a, b, xtol=1e-15, rtol=4 * np.finfo(float).eps,
                                 maxiter=200)), True


def fit_random_intercept(y, X, cluster, weights=None) -> RIFit:
    """Random-intercept linear mixed model by REML (equations 2 and 3 of the paper).

    ``X`` must include the intercept and be of full column rank. Standard
    errors are the model-based ones, ``sigma^2 (X~'X~)^{-1}``, as statsmodels'
    ``MixedLM`` reports them (Wald z, normal reference). The variance ratio
    is converged to machine precision (a root of the criterion's analytic
    derivative, see :class:`_RIDesign`), so the numbers do not move with
    the BLAS kernel or the number of threads. ``weights`` (one per row,
    constant within a group) are group frequency weights (see :class:`_RIDesign`).
    """
    return _RIDesign(np.asarray(X, dtype=float), np.asarray(cluster), weights).fit(
        np.asarray(y, dtype=float))


