"""REML of the compound-symmetry (random-intercept) model and its F test, in closed form.

The model of :func:`coachbook.estimators.repeated_measures.rm_anova`:
``y = X beta + u_i + e`` with ``V_i = s2 I + t2 J`` for subject ``i``.
:class:`_CompoundSymmetry` evaluates the REML deviance with its exact gradient
and Hessian, :func:`_cs_reml` converges it to machine precision and
:func:`_cs_mixed_f_test` tests ``L beta = 0`` with Satterthwaite degrees of
freedom (Fai & Cornelius 1996, as SAS and lmerTest compute them).
"""
from __future__ import annotations

import numpy as np
from scipy import optimize, stats


class _CompoundSymmetry:
    """REML of a random-intercept (compound-symmetry) model, in closed form.

    ``y = X beta + u_i + e`` with ``V_i = s2 I + t2 J`` for subject i. Every
    matrix the REML deviance needs acts on a subject's block as ``alpha (I -
    J/n_i) + beta_i J/n_i`` (``V_i``: ``alpha = s2``, ``beta_i = s2 + n_i t2``;
    ``dV/dt2 = J``: 0 and ``n_i``; ``dV/ds2 = I``: 1 and 1), so products,
    inverses, traces and quadratic forms reduce to the subject sums of ``X``,
    ``y`` and the residuals: no n x n matrix is formed. The deviance
    ``-2 l_R = log|V| + log|X'V^-1 X| + r'V^-1 r`` (constants dropped), its
    gradient ``tr(P V_k) - y'P V_k P y`` and its (observed) Hessian ``-tr(P V_k
    P V_l) + 2 y'P V_k P V_l P y`` (Harville 1977) are exact.
    """

    def __init__(self, y, X, groups):
        self.y, self.X, self.groups = np.asarray(y, float), np.asarray(X, float), groups
        self.n_groups = int(groups.max()) + 1
        self.n_g = np.bincount(groups, minlength=self.n_groups).astype(float)
        self.Sx = np.zeros((self.n_groups, self.X.shape[1]))
        np.add.at(self.Sx, groups, self.X)
        self.N, self.p = self.X.shape
        self.XtX = self.X.T @ self.X

    def _form(self, alpha, beta, full, su, sw):
        """``U' M W`` for ``M = alpha (I - Pi) + beta_i Pi`` given ``U'W`` and subject sums."""
        weight = (beta - alpha) / self.n_g
        if su.ndim == 1:
            su = su[:, None]
        if sw.ndim == 1:
            sw = sw[:, None]
        full = np.asarray(full, float).reshape(su.shape[1], sw.shape[1])
        return alpha * full + su.T @ (weight[:, None] * sw)

    def parts(self, theta):
        """Deviance, gradient, Hessian, beta and cov(beta) at ``theta = (t2, s2)``."""
        t2, s2 = float(theta[0]), float(theta[1])
        n, N, G = self.n_g, self.N, self.n_groups
        a = s2 + n * t2
        xtvx = self._form(1 / s2, 1 / a, self.XtX, self.Sx, self.Sx)
        cov_beta = np.linalg.inv(xtvx)
        sy = np.bincount(self.groups, weights=self.y, minlength=G)
        xtvy = self._form(1 / s2, 1 / a, self.X.T @ self.y, self.Sx, sy)[:, 0]
        beta = cov_beta @ xtvy
        r = self.y - self.X @ beta
        sr = np.bincount(self.groups, weights=r, minlength=G)
        rtr, xtr = float(r @ r), self.X.T @ r
        log_det_v = float((N - G) * np.log(s2) + np.log(a).sum())
        deviance = (log_det_v + np.linalg.slogdet(xtvx)[1]
                    + float(self._form(1 / s2, 1 / a, rtr, sr, sr)[0, 0]))
        # dV/dt2 and dV/ds2 as (alpha, beta_i) pairs
        dv = [(0.0, n), (1.0, np.ones_like(n))]
        trace = lambda al, be: al * (N - G) + float(np.sum(be))  # noqa: E731
        g_mats = [self._form(al / s2 ** 2, be / a ** 2, self.XtX, self.Sx, self.Sx)
                  for al, be in dv]                       # X'V^-1 V_k V^-1 X
        u_e = [self._form(al / s2 ** 2, be / a ** 2, xtr, self.Sx, sr)[:, 0]
               for al, be in dv]                          # X'V^-1 V_k V^-1 r
        grad = np.empty(2)
        hess = np.empty((2, 2))
        for k, (al_k, be_k) in enumerate(dv):
            tr_pv = trace(al_k / s2, be_k / a) - float(np.sum(cov_beta * g_mats[k]))
            grad[k] = tr_pv - float(self._form(al_k / s2 ** 2, be_k / a ** 2, rtr, sr, sr)[0, 0])
            for m, (al_m, be_m) in enumerate(dv):
                al, be = al_k * al_m, be_k * be_m
                tr_pvpv = (trace(al / s2 ** 2, be / a ** 2)
                           - 2 * float(np.sum(cov_beta * self._form(al / s2 ** 3, be / a ** 3,
                                                                    self.XtX, self.Sx, self.Sx)))
                           + float(np.sum((cov_beta @ g_mats[k]) * (cov_beta @ g_mats[m]).T)))
                e_pvpv_e = (float(self._form(al / s2 ** 3, be / a ** 3, rtr, sr, sr)[0, 0])
                            - float(u_e[k] @ cov_beta @ u_e[m]))
                hess[k, m] = -tr_pvpv + 2 * e_pvpv_e
        hess = (hess + hess.T) / 2
        return {"deviance": deviance, "grad": grad, "hess": hess, "beta": beta,
                "cov_beta": cov_beta, "g_mats": g_mats}


def _cs_reml(cs: _CompoundSymmetry, v: float):
    """REML estimates ``(t2, s2)`` of a compound-symmetry model, to machine precision.

    L-BFGS-B with the exact gradient from three starts finds the basin; Newton
    steps with the exact Hessian then converge quadratically, so the answer
    does not depend on where a value-based stopping rule happened to stop
    (which moves with the BLAS kernel). ``t2 = 0`` is kept when the deviance
    rises into the interior there. Returns ``(theta, parts, converged)``;
    converged means a zero gradient with a positive definite Hessian (or, on
    the boundary, a non-negative slope in t2).
    """
    def fun(theta):
        pt = cs.parts(theta)
        return pt["deviance"], pt["grad"]

    best = None
    for start in ([v / 2, v / 2], [v / 10, 0.9 * v], [0.9 * v, v / 10]):
        fit = optimize.minimize(fun, start, jac=True, method="L-BFGS-B",
                                bounds=[(0.0, None), (v * 1e-8, None)])
        if best is None or fit.fun < best.fun:
            best = fit
    theta = np.array(best.x, float)
    # Newton with the exact Hessian. Far from the optimum a step is accepted only if it
    # lowers the deviance; once steps are small they are taken as they are (the deviance
    # is flat to rounding there) and the loop stops two steps after they reach 1e-10.
    final = None
    boundary = False
    for _ in range(100):
        pt = cs.parts(theta)
        if theta[0] == 0.0 and pt["grad"][0] >= 0:
            boundary = True
        if boundary:       # t2 = 0: only s2 moves
            step = np.array([0.0, pt["grad"][1] / pt["hess"][1, 1]])
        else:
            try:
                step = np.linalg.solve(pt["hess"], pt["grad"])
            except np.linalg.LinAlgError:
                break
        rel = float(np.max(np.abs(step) / np.maximum(np.abs(theta), 1e-300 + v * 1e-12)))
        new = theta - step
        if new[0] < 0:                 # crossed the boundary: land on it
            new = np.array([0.0, theta[1]])
        elif rel > 1e-6:
            shrink = 1.0
            while (new[1] <= 0 or cs.parts(new)["deviance"] > pt["deviance"]) and shrink > 1e-10:
                shrink /= 2
                new = theta - shrink * step
            if shrink <= 1e-10:
                break
        theta = new
        if final is not None:
            final -= 1
            if final == 0:
                break
        elif rel < 1e-10:
            final = 2
    pt = cs.parts(theta)
    return theta, pt, _cs_converged(theta, pt, v)


def _cs_converged(theta, pt, v: float) -> bool:
    """Is ``theta`` a maximum of the REML likelihood (a minimum of the deviance)?

    In the interior: the gradient is zero (a relative move of the parameters
    would change the deviance by less than 1e-6) and the Hessian is positive
    definite. On the boundary ``t2 = 0``: the deviance rises into the
    interior (non-negative slope in t2), and is stationary with positive
    curvature in s2.
    """
    grad, hess = pt["grad"], pt["hess"]
    scale = np.abs(grad) * np.maximum(theta, v * 1e-8)      # deviance change per relative move
    if theta[0] == 0.0:
        return bool(grad[0] >= 0 and scale[1] < 1e-6 and hess[1, 1] > 0)
    return bool(np.max(scale) < 1e-6 and np.all(np.linalg.eigvalsh(hess) > 0))


def _cs_mixed_f_test(y, X, groups, L):
    """F test of L beta = 0 in a REML random-intercept model, Satterthwaite df."""
    cs = _CompoundSymmetry(y, X, groups)
    ols = np.linalg.lstsq(X, y, rcond=None)[0]
    v = float(np.mean((y - X @ ols) ** 2))
    if v == 0:
        raise ValueError("the outcome is constant within every occasion; there is nothing to test.")
    theta, pt, converged = _cs_reml(cs, v)
    t2, s2 = theta
    beta, cov_beta = pt["beta"], pt["cov_beta"]
    # Derivatives of cov(beta) = (X'V^-1X)^-1 with respect to t2 and s2:
    # C (X'V^-1 V_k V^-1 X) C.
    d_cov = [cov_beta @ m @ cov_beta for m in pt["g_mats"]]
    # Asymptotic covariance of (t2, s2): twice the inverse Hessian of the REML
    # deviance (lmerTest differentiates it numerically; here it is exact).
    cov_theta = 2 * np.linalg.inv(pt["hess"])

    q = L.shape[0]
    lcl = L @ cov_beta @ L.T
    lb = L @ beta
    F = float(lb @ np.linalg.solve(lcl, lb) / q)
    _, vectors = np.linalg.eigh(lcl)
    nus = []
    for m in range(q):
        contrast = vectors[:, m] @ L
        grad = np.array([contrast @ d @ contrast for d in d_cov])
        nus.append(2 * (contrast @ cov_beta @ contrast) ** 2 / (grad @ cov_theta @ grad))
    nus = np.asarray(nus)
    e = float(np.sum(np.where(nus > 2, nus / (nus - 2), 0.0)))
    df2 = 2 * e / (e - q) if e > q else float("nan")
    return {"F": F, "df1": q, "df2": float(df2), "p_value": float(stats.f.sf(F, q, df2)),
            "beta": beta, "tau2": float(t2), "sigma2": float(s2), "converged": converged}


