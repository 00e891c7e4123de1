"""Newton-Raphson on the exact (restricted) likelihood of a linear mixed model.

:func:`polish` maximises the likelihood of :class:`coachbook.estimators.lmm.LMMDesign`
from a starting point (an optimizer's stopping point) with its exact
gradient and Hessian, respecting the constraints of the parameter space.

Constraints
-----------
``G`` must be positive semidefinite and ``omega >= 0``. A variance component at
0 whose gradient points outward stays at 0 (an active set, as in Bertsekas'
projected Newton method). When the maximum has a singular ``G`` (a variance
of 0, or a correlation of +-1), Newton continues on the face of rank ``r``
with ``G = L L'``, ``L`` a (pivoted) lower-trapezoidal ``q x r`` factor, and the
rank goes back up when the gradient points into the cone. Convergence means
a Newton decrement (the step length in standard-error units) below ``tol``,
a negative definite Hessian on the free parameters and the Karush-Kuhn-Tucker
sign conditions on the constrained ones.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import linalg
from coachbook.estimators._result import Result, tidy_frame
import pandas as pd

__all__ = ["LMMPolished", "polish"]

#: A constrained parameter is released only if that gains more than this many
#: standard errors' worth of gradient (so a zero stays exactly 0 when the
#: gradient is merely rounding noise).
KKT_TOL = 1e-8


# --------------------------------------------------------------------------
# Faces of the parameter space
# --------------------------------------------------------------------------
def _pivoted_cholesky(g, rank):
    """``g[perm][:, perm] ~= L L'`` with ``L`` lower trapezoidal, ``q x rank``."""
    q = len(g)
    perm = np.arange(q)
    a = np.array(g, dtype=float)
    low = np.zeros((q, rank))
    for c in range(rank):
        j = c + int(np.argmax(np.diag(a)[c:]))
        if j != c:
            a[[c, j]] = a[[j, c]]
            a[:, [c, j]] = a[:, [j, c]]
            low[[c, j]] = low[[j, c]]
            perm[[c, j]] = perm[[j, c]]
        piv = np.sqrt(max(a[c, c], 1e-300))
        low[c, c] = piv
        low[c + 1:, c] = a[c + 1:, c] / piv
        a[c + 1:, c + 1:] -= np.outer(low[c + 1:, c], low[c + 1:, c])
    return perm, low


class _Face:
    """Free parameters ``phi`` of one face: G's rank (and factor), sigma^2, free omegas."""

    def __init__(self, design, theta, rank):
        self.d = design
        self.rank = rank
        self.full = rank == design.q
        g, vc, s2 = design.split(theta)
        if self.full:
            self.g_phi = theta[:design.k_g].copy()
        elif rank > 0:
            self.perm, low = _pivoted_cholesky(g, rank)
            self.pos = np.argsort(self.perm)
            self.cells = [(i, c) for c in range(rank) for i in range(c, design.q)]
            self.g_phi = np.array([low[i, c] for i, c in self.cells])
        else:
            self.g_phi = np.zeros(0)
        self.rest = np.r_[vc, s2]

    @property
    def m_g(self):
        return len(self.g_phi)

    def phi(self):
        return np.r_[self.g_phi, self.rest]

    def low(self, g_phi):
        low = np.zeros((self.d.q, self.rank))
        for (i, c), v in zip(self.cells, g_phi):
            low[i, c] = v
        return low

    def theta(self, phi):
        d = self.d
        g_phi, rest = phi[:self.m_g], phi[self.m_g:]
        if self.full:
            return np.r_[g_phi, rest]
        g = np.zeros((d.q, d.q))
        if self.rank:
            low = self.low(g_phi)
            gp = low @ low.T
            g = gp[np.ix_(self.pos, self.pos)]
        return np.r_[[g[a, b] for a, b in d.pairs], rest]

    def jac(self, phi):
        """``d theta / d phi`` (k x m)."""
        d = self.d
        m = len(phi)
        jac = np.zeros((d.k, m))
        jac[d.k_g:, self.m_g:] = np.eye(d.k - d.k_g)
        if self.full:
            jac[:d.k_g, :d.k_g] = np.eye(d.k_g)
        elif self.rank:
            low = self.low(phi[:self.m_g])
            for row, (a, b) in enumerate(d.pairs):
                pa, pb = self.pos[a], self.pos[b]
                for col, (i, c) in enumerate(self.cells):
                    jac[row, col] = (pa == i) * low[pb, c] + (pb == i) * low[pa, c]
        return jac

    def curvature(self, phi, grad):
        """``sum_k grad_k d2 theta_k / d phi d phi`` (zero unless G = L L')."""
        m = len(phi)
        out = np.zeros((m, m))
        if self.full or not self.rank:
            return out
        dm = _grad_matrix(self.d, grad)[np.ix_(self.perm, self.perm)]
        for x, (i, c) in enumerate(self.cells):
            for y, (j, e) in enumerate(self.cells):
                if c == e:
                    out[x, y] = 2.0 * dm[i, j]
        return out

    def max_step(self, phi, step):
        """Largest t <= 1 keeping G PSD (full face) and sigma^2 > 0."""
        t = 1.0
        s2, ds2 = phi[-1], step[-1]
        if ds2 < 0:
            t = min(t, 0.9 * s2 / -ds2)
        if self.full and self.d.q:
            g, _, _ = self.d.split(np.r_[phi[:self.m_g], np.zeros(self.d.k - self.d.k_g)])
            dg, _, _ = self.d.split(np.r_[step[:self.m_g], np.zeros(self.d.k - self.d.k_g)])
            try:
                mu = linalg.eigh(dg, g, eigvals_only=True, check_finite=False)
                if mu.min() < 0:
                    t = min(t, -1.0 / mu.min())
            except linalg.LinAlgError:
                t = 0.0
        return t


def _grad_matrix(design, grad):
    """Symmetric D with ``sum_{a>=b} grad_ab dG_ab = tr(D dG)``."""
    dm = np.zeros((design.q, design.q))
    for (a, b), v in zip(design.pairs, grad[:design.k_g]):
        if a == b:
            dm[a, a] = v
        else:
            dm[a, b] = dm[b, a] = 0.5 * v
    return dm


def _g_kkt(design, theta, ev, rank):
    """Does the gradient point out of the PSD cone at a ``G`` of rank ``rank < q``?

    With ``N`` a basis of G's null space and ``D`` the gradient as a matrix,
    the best way into the cone is ``G + eps N v v'N'`` with ``v`` the top
    eigenvector of ``N'DN`` (initial gain ``mu``, its eigenvalue). Returns
    ``(ok, mu, dtheta, curv)``: ``ok`` when ``mu / sqrt(curv) <= KKT_TOL``
    (in standard-error units), ``curv = -dtheta' H dtheta``.
    """
    d = design
    g, _, _ = d.split(theta)
    null = np.linalg.eigh(g)[1][:, :d.q - rank]
    mu, vec = np.linalg.eigh(null.T @ _grad_matrix(d, ev["grad"]) @ null)
    direction = null @ vec[:, -1]
    delta = np.outer(direction, direction)
    dtheta = np.r_[[delta[a, b] for a, b in d.pairs], np.zeros(d.k - d.k_g)]
    curv = float(-dtheta @ ev["hess"] @ dtheta)
    gain = float(mu[-1])
    ok = gain <= 0 or (curv > 0 and gain / np.sqrt(curv) <= KKT_TOL)
    return bool(ok), gain, dtheta, curv


@dataclass(repr=False)
class LMMPolished(Result):
    """Result of :func:`polish`.

    ``theta`` is ``(G's lower triangle, omega, sigma^2)``; ``grad``/``hess`` the
    derivatives of ``l`` in ``theta`` there; ``decrement`` the final Newton
    decrement on the free parameters (in standard-error units); ``rank`` the
    rank of ``G``; ``at_zero`` which variance components are held at 0.
    """

    theta: np.ndarray
    cov_re: np.ndarray
    vcomp: np.ndarray
    scale: float
    beta: np.ndarray
    cov_beta: np.ndarray
    llf: float
    grad: np.ndarray
    hess: np.ndarray
    converged: bool
    decrement: float
    hessian_nd: bool
    kkt: bool
    rank: int
    at_zero: np.ndarray
    n_iter: int
    message: str = ""
    history: list = field(default_factory=list)

    def tidy(self) -> pd.DataFrame:
        """The fixed effects in model order (``b0``, ``b1``, ...), with their standard errors."""
        se = np.sqrt(np.abs(np.diag(self.cov_beta)))
        return tidy_frame([{"term": f"b{i}", "estimate": b, "std_error": s}
                           for i, (b, s) in enumerate(zip(self.beta, se))])


def _newton_direction(g, h):
    """Ascent direction from a (possibly indefinite) Hessian, scaled for conditioning.

    Returns ``(step, decrement, negative_definite)``; the decrement is
    ``sqrt(g' (-H)^-1 g)``, the step's length in standard-error units.
    """
    neg = -h
    dg = np.sqrt(np.abs(np.diag(neg)))
    dg[~(dg > 0)] = 1.0
    hs = neg / np.outer(dg, dg)
    gs = g / dg
    w, u = np.linalg.eigh(0.5 * (hs + hs.T))
    top = max(np.max(np.abs(w)), 1e-300)
    nd = bool(np.all(w > 1e-12 * top))
    w_mod = np.maximum(np.abs(w), 1e-10 * top)
    coef = (u.T @ gs) / w_mod
    step = (u @ coef) / dg
    decrement = float(np.sqrt(np.sum(coef ** 2 * w_mod)))
    return step, decrement, nd


def polish(design, theta0, reml=True, tol=1e-11, maxit=200) -> LMMPolished:
    """Maximise the (restricted) likelihood from ``theta0`` by constrained Newton-Raphson."""
    d = design
    theta = np.asarray(theta0, dtype=float).copy()
    g0, vc0, s20 = d.split(theta)
    vc0 = np.maximum(vc0, 0.0)
    if not s20 > 0:
        s20 = 1.0
    rank = d.q
    if d.q:
        eig = np.linalg.eigvalsh(g0)
        top = max(eig.max(), 0.0)
        rank = int(np.sum(eig > 1e-10 * max(top, 1e-12 * s20)))
        if rank == d.q and eig.min() <= 0:
            rank -= 1
    theta = d.join(g0, vc0, s20)
    face = _Face(d, theta, rank)
    history, n_iter, face_changes = [], 0, 0
    ev = d.evaluate(theta, reml, order=2)
    if not np.isfinite(ev["llf"]):
        raise ValueError("the start point has a non-positive-definite covariance matrix.")
    active = np.zeros(d.k_vc, bool)
    decrement, nd, stall, best_dec = np.inf, False, 0, np.inf
    message = ""
    while n_iter < maxit:
        n_iter += 1
        phi = face.phi()
        m_g = face.m_g
        jac = face.jac(phi)
        g_phi = jac.T @ ev["grad"]
        h_phi = jac.T @ ev["hess"] @ jac + face.curvature(phi, ev["grad"])
        # active set for the variance components (Bertsekas): at 0, pushed outward
        vc_idx = m_g + np.arange(d.k_vc)
        active[:] = False
        for i, idx in enumerate(vc_idx):
            if phi[idx] <= 0.0:
                curv = abs(h_phi[idx, idx]) or 1.0
                active[i] = g_phi[idx] / np.sqrt(curv) <= KKT_TOL
        free = np.ones(len(phi), bool)
        free[vc_idx[active]] = False
        step = np.zeros(len(phi))
        if free.any():
            sub, decrement, nd = _newton_direction(g_phi[free], h_phi[np.ix_(free, free)])
            step[free] = sub
        else:
            decrement, nd = 0.0, True
        history.append((ev["llf"], decrement, face.rank, int(active.sum())))
        # rank drop on a factored face: a column of L has (numerically) vanished
        if not face.full and face.rank > 0:
            g_now, _, _ = d.split(theta)
            eig = np.linalg.eigvalsh(g_now)
            if eig[d.q - face.rank] <= 1e-10 * max(eig.max(), 1e-300):
                face = _Face(d, theta, face.rank - 1)
                face_changes += 1
                theta = face.theta(face.phi())
                ev = d.evaluate(theta, reml, order=2)
                continue
        if decrement < tol or (stall >= 3 and decrement < 1e-8):
            # KKT for G: on a singular face, does the gradient point into the cone?
            moved = False
            if d.q and face.rank < d.q and face_changes < 40:
                ok, gain, dtheta, curv = _g_kkt(d, theta, ev, face.rank)
                if not ok and curv > 0:
                    theta = theta + (gain / curv) * dtheta   # Newton along the way into the cone
                    face = _Face(d, theta, face.rank + 1)
                    face_changes += 1
                    ev = d.evaluate(theta, reml, order=2)
                    stall, best_dec = 0, np.inf
                    moved = True
                elif not ok:
                    message = "the likelihood is not concave in the direction that leaves the boundary"
            if not moved:
                break
            continue
        # line search along the projected path
        t = face.max_step(phi, step)
        hit_boundary = t < 1.0 and face.full and d.q > 0
        llf0 = ev["llf"]
        accepted = False
        while t > 1e-14:
            trial = phi + t * step
            trial[vc_idx] = np.maximum(trial[vc_idx], 0.0)
            th = face.theta(trial)
            quick = decrement < 1e-4 and nd
            val = d.evaluate(th, reml, order=0)["llf"] if not quick else None
            if quick:
                ev_new = d.evaluate(th, reml, order=2)
                val = ev_new["llf"]
                if val >= llf0 - 1e-11 * max(1.0, abs(llf0)):
                    accepted = True
                    break
            elif val >= llf0 - 1e-12 * max(1.0, abs(llf0)):
                ev_new = d.evaluate(th, reml, order=2)
                accepted = True
                break
            t *= 0.5
            hit_boundary = False
        if not accepted:  # no ascent left along the Newton direction
            if decrement >= 1e-8:
                message = "the line search failed"
            break
        stall = stall + 1 if decrement >= 0.5 * best_dec else 0
        best_dec = min(best_dec, decrement)
        theta, ev = th, ev_new
        if hit_boundary:
            new_rank = face.rank - 1
            face = _Face(d, theta, new_rank)
            face_changes += 1
            ev = d.evaluate(face.theta(face.phi()), reml, order=2)
            theta = face.theta(face.phi())
            stall, best_dec = 0, np.inf
        else:
            face.g_phi, face.rest = trial[:face.m_g].copy(), trial[face.m_g:].copy()
    else:
        message = f"no convergence in {maxit} Newton iterations"

    # final checks on the point reached
    phi = face.phi()
    jac = face.jac(phi)
    g_phi = jac.T @ ev["grad"]
    h_phi = jac.T @ ev["hess"] @ jac + face.curvature(phi, ev["grad"])
    vc_idx = face.m_g + np.arange(d.k_vc)
    at_zero = np.array([phi[i] <= 0.0 for i in vc_idx], bool)
    free = np.ones(len(phi), bool)
    free[vc_idx[at_zero]] = False
    kkt = True
    for i in np.flatnonzero(at_zero):
        idx = vc_idx[i]
        curv = abs(h_phi[idx, idx]) or 1.0
        kkt &= bool(g_phi[idx] / np.sqrt(curv) <= KKT_TOL)
    if d.q and face.rank < d.q:
        kkt &= _g_kkt(d, theta, ev, face.rank)[0]
    if free.any():
        _, decrement, nd = _newton_direction(g_phi[free], h_phi[np.ix_(free, free)])
    else:
        decrement, nd = 0.0, True
    converged = bool(decrement < 1e-8 and nd and kkt and not message.startswith("no conv"))
    if not converged and not message:
        message = ("the Hessian on the free parameters is not negative definite" if not nd else
                   "a constrained parameter's gradient points into the parameter space" if not kkt else
                   f"the Newton decrement stayed at {decrement:.1e}")
    g, vc, s2 = d.split(theta)
    return LMMPolished(theta=theta, cov_re=g, vcomp=vc, scale=s2, beta=ev["beta"],
                       cov_beta=ev["cov_beta"], llf=ev["llf"], grad=ev["grad"], hess=ev["hess"],
                       converged=converged, decrement=decrement, hessian_nd=nd, kkt=kkt,
                       rank=face.rank, at_zero=at_zero, n_iter=n_iter, message=message,
                       history=history)
