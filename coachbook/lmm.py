"""Exact (restricted) likelihood of a linear mixed model, and a Newton polisher.

:func:`coachbook.multilevel.fit_mixed` lets statsmodels' optimizers find the
neighbourhood of the maximum and then calls :func:`polish`, which finishes the
job with Newton-Raphson on exact derivatives, so the reported estimates do not
depend on where an optimizer happened to stop (and hence not on the CPU or the
BLAS kernel).

The model
---------
For group ``j`` (``n_j`` rows) ``y_j ~ N(X_j beta, V_j)`` with::

    V_j = Z_j G Z_j' + sum_m omega_m M_jm M_jm' + sigma^2 I,

where ``Z_j`` holds the random effects of ``re_formula`` (unstructured
covariance ``G``), each ``M_jm`` holds the columns of variance component ``m``
of ``vc_formula`` (independent effects with variance ``omega_m``), and
``sigma^2`` is the residual variance. ``V_j`` is *linear* in the parameters
``theta = (G's lower triangle row by row, omega, sigma^2)``::

    V_j = sum_k theta_k A_jk.

With ``W_j = V_j^-1``, ``C = (X'V^-1X)^-1``, ``P = V^-1 - V^-1 X C X' V^-1`` and
``r = P y`` (Harville 1977; Searle, Casella & McCulloch 1992, ch. 6):

- REML ``l = -1/2 [(n - p) log 2 pi + log|V| + log|X'V^-1X| + y'Py]``,
- ``dl/dtheta_k = -1/2 [tr(P A_k) - r'A_k r]`` with
  ``tr(P A_k) = sum_j tr(W_j A_jk) - tr(C Q_k)``, ``Q_k = sum_j X_j'W_j A_jk W_j X_j``,
- ``d2l/dtheta_k dtheta_l = 1/2 tr(P A_k P A_l) - r'A_k P A_l r``
  (no second-derivative term, because ``V`` is linear in ``theta``).

ML drops ``log|X'V^-1X|``, uses ``n`` for ``n - p`` and ``V^-1`` for ``P`` in
the traces (``beta`` is profiled out, so ``r = Py`` still). Both are on
statsmodels' scale (statsmodels' ``llf`` at the same parameters is the same
number). Every sum is over groups, with dense per-group matrices.

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

__all__ = ["LMMDesign", "LMMPolished", "polish"]

LOG2PI = np.log(2 * np.pi)
#: A constrained parameter is released only if that gains more than this many
#: standard errors' worth of gradient (so a zero stays exactly 0 when the
#: gradient is merely rounding noise).
KKT_TOL = 1e-8


def _dense(m):
    return m.toarray() if hasattr(m, "toarray") else np.asarray(m, dtype=float)


class LMMDesign:
    """Per-group data of a statsmodels ``MixedLM`` model, stacked for batched algebra.

    Every ``A_jk`` but the residual one is ``Z_j E_jk Z_j'``, with ``Z_j`` the
    group's ``m_j`` random-effect columns (``re_formula``'s, then each variance
    component's) and ``E_jk`` a 0/1 pattern matrix. With ``Psi_j = sum_k
    theta_k E_jk = L_j L_j'`` and ``S_j = sigma^2 I + L_j'Z_j'Z_jL_j``, Woodbury's
    identity gives ``W_j = (I - Z_j K_j Z_j') / sigma^2`` with ``K_j = L_j S_j^-1
    L_j'`` and ``|V_j| = sigma^(2(n_j - m_j)) |S_j|``, so every trace and product
    above reduces to ``m_j x m_j`` algebra on the cross-products ``Z'Z, Z'X,
    X'X`` (plus the residuals ``y - X beta``). Groups are stacked with zero
    padding (zero rows and zero columns of ``Z`` add nothing).
    """

    def __init__(self, model):
        self.q = int(model.k_re)
        self.k_vc = int(model.k_vc)
        self.pairs = [(a, b) for a in range(self.q) for b in range(a + 1)]
        self.k_g = len(self.pairs)
        self.k = self.k_g + self.k_vc + 1
        sizes = np.array([len(e) for e in model.endog_li])
        self.n = int(sizes.sum())
        self.p = int(np.asarray(model.exog_li[0]).shape[1])
        self.n_groups = len(sizes)
        zs = []
        for j, n in enumerate(sizes):
            cols, owner = [], []
            if self.q:
                cols.append(np.asarray(model.exog_re_li[j], dtype=float).reshape(n, self.q))
                owner += [-1] * self.q
            for m in range(self.k_vc):
                v = _dense(model.exog_vc.mats[m][j]).reshape(n, -1)
                cols.append(v)
                owner += [m] * v.shape[1]
            zs.append((np.column_stack(cols) if cols else np.zeros((n, 0)), np.array(owner, int)))
        b, size = len(sizes), int(sizes.max())
        width = max(z.shape[1] for z, _ in zs)
        self.width = width
        y, x = np.zeros((b, size)), np.zeros((b, size, self.p))
        z = np.zeros((b, size, width))
        e = np.zeros((b, self.k - 1, width, width))
        vc_mask = np.zeros((self.k_vc, b, width))
        for j, n in enumerate(sizes):
            y[j, :n] = np.asarray(model.endog_li[j], dtype=float)
            x[j, :n] = np.asarray(model.exog_li[j], dtype=float)
            zj, owner = zs[j]
            z[j, :n, :zj.shape[1]] = zj
            for k, (ia, ib) in enumerate(self.pairs):
                e[j, k, ia, ib] = e[j, k, ib, ia] = 1.0
            for m in range(self.k_vc):
                idx = np.flatnonzero(owner == m)
                e[j, self.k_g + m, idx, idx] = 1.0
                vc_mask[m, j, idx] = 1.0
        self.y, self.x, self.z, self.e, self.vc_mask = y, x, z, e, vc_mask
        zt = np.swapaxes(z, 1, 2)
        self.zz, self.zx = zt @ z, zt @ x
        self.sizes = sizes

    # theta <-> (G, omega, sigma^2)
    def split(self, theta):
        theta = np.asarray(theta, dtype=float)
        g = np.zeros((self.q, self.q))
        for (a, b), v in zip(self.pairs, theta[:self.k_g]):
            g[a, b] = g[b, a] = v
        return g, theta[self.k_g:self.k_g + self.k_vc].copy(), float(theta[-1])

    def join(self, g, vc, sigma2):
        return np.r_[[g[a, b] for a, b in self.pairs], np.asarray(vc, float).ravel(), sigma2]

    def _factor(self, theta):
        """``L_j`` with ``Psi_j = L_j L_j'`` (b x m x m), or None outside the parameter space."""
        g, vc, s2 = self.split(theta)
        if not s2 > 0 or np.any(vc < 0):
            return None
        low = np.zeros((self.n_groups, self.width, self.width))
        if self.q:
            lam, vec = np.linalg.eigh(g)
            if lam.min() < -1e-13 * max(lam.max(), 1e-300):
                return None
            low[:, :self.q, :self.q] = vec * np.sqrt(np.maximum(lam, 0.0))
        idx = np.arange(self.width)
        for m in range(self.k_vc):
            low[:, idx, idx] += np.sqrt(vc[m]) * self.vc_mask[m]
        return low

    def evaluate(self, theta, reml=True, order=0):
        """Log-likelihood (``order=0``), plus gradient (1) and Hessian (2), at ``theta``.

        Returns a dict with ``llf, beta, cov_beta`` (``C``), and ``grad``/``hess``
        (derivatives of ``l``, not of ``-l``). ``llf`` is ``-inf`` outside the
        parameter space (``G`` not PSD, a negative variance, ``sigma^2 <= 0``).
        """
        theta = np.asarray(theta, dtype=float)
        k, p, kr, m = self.k, self.p, self.k - 1, self.width
        low = self._factor(theta)
        if low is None:
            return {"llf": -np.inf}
        s = float(theta[-1])
        zz, zx, z, x, y, e = self.zz, self.zx, self.z, self.x, self.y, self.e
        lt = np.swapaxes(low, 1, 2)
        smat = lt @ zz @ low
        idx = np.arange(m)
        smat[:, idx, idx] += s
        try:
            schol = np.linalg.cholesky(smat)
        except np.linalg.LinAlgError:
            return {"llf": -np.inf}
        sdiag = np.diagonal(schol, axis1=1, axis2=2)
        if not np.all(sdiag > 0):
            return {"llf": -np.inf}
        logdet = float((self.n - self.n_groups * m) * np.log(s) + 2.0 * np.sum(np.log(sdiag)))
        kmat = low @ np.linalg.inv(smat) @ lt
        kmat = 0.5 * (kmat + np.swapaxes(kmat, 1, 2))                          # K_j

        def wform(a_b, za, zb):  # A'W B = (A'B - (Z'A)' K (Z'B)) / s, batched
            return (a_b - np.swapaxes(za, -1, -2) @ kmat @ zb) / s

        xx = np.swapaxes(x, 1, 2) @ x
        xwx = wform(xx, zx, zx)                                                  # (b, p, p)
        zy = np.einsum("bnm,bn->bm", z, y)[..., None]
        xy = np.einsum("bnp,bn->bp", x, y)[..., None]
        xwx_sum = xwx.sum(0)
        xwx_sum = 0.5 * (xwx_sum + xwx_sum.T)
        xwy_sum = wform(xy, zx, zy).sum(0)[:, 0]
        try:
            xchol = linalg.cho_factor(xwx_sum, lower=True, check_finite=False)
        except linalg.LinAlgError:
            raise ValueError("the fixed-effects design is singular (X'V^-1X is not invertible); "
                             "drop collinear predictors.") from None
        beta = linalg.cho_solve(xchol, xwy_sum, check_finite=False)
        c = linalg.cho_solve(xchol, np.eye(p), check_finite=False)
        c = 0.5 * (c + c.T)
        res = y - x @ beta                                                       # (b, n), 0 on padding
        ze = np.einsum("bnm,bn->bm", z, res)[..., None]
        xe = np.einsum("bnp,bn->bp", x, res)[..., None]
        ee = np.sum(res * res, axis=1)[:, None, None]
        qf = float(np.sum(wform(ee, ze, ze)))
        if reml:
            llf = -0.5 * ((self.n - p) * LOG2PI + logdet + 2.0 * np.sum(np.log(np.diag(xchol[0]))) + qf)
        else:
            llf = -0.5 * (self.n * LOG2PI + logdet + qf)
        out = {"llf": float(llf), "beta": beta, "cov_beta": c}
        if order < 1:
            return out

        # r = W e: its cross-products, from those of e
        zr = wform(ze, zz, ze)                                                   # Z'r (b, m, 1)
        xr = wform(xe, zx, ze)                                                   # X'r
        rr = (wform(ee, ze, ze) - np.swapaxes(ze, 1, 2) @ kmat @ zr) / s         # r'r
        rmat = wform(zz, zz, zz)                                                 # Z'WZ
        zwx = wform(zx, zz, zx)                                                  # Z'WX
        zkz = np.einsum("bij,bji->b", kmat, zz)                                  # tr(K Z'Z)
        er = e @ rmat[:, None]                                                   # E_k Z'WZ
        ezr = (e @ zr[:, None])[..., 0]                                          # E_k Z'r
        ezwx = e @ zwx[:, None]                                                  # E_k Z'WX
        zr1 = zr[..., 0]
        tr_wa = np.r_[np.einsum("bkii->k", er), np.sum(self.sizes - zkz) / s]
        rar = np.r_[np.einsum("bki,bi->k", ezr, zr1), float(np.sum(rr))]
        x2x = wform(xwx, zwx, zx)                                                # X'W^2X
        xwr = wform(xr, zx, zr)                                                  # X'Wr
        q_k = np.concatenate([np.einsum("bip,bkiq->kpq", zwx, ezwx), x2x.sum(0)[None]])
        t_k = np.concatenate([np.einsum("bip,bki->kp", zwx, ezr), xwr.sum(0)[:, 0][None]])
        tr_cq = np.einsum("pq,kqp->k", c, q_k)
        out["grad"] = -0.5 * (tr_wa - (tr_cq if reml else 0.0) - rar)
        if order < 2:
            return out

        ein = dict(optimize=True)
        z2z = wform(rmat, rmat, zz)                                              # Z'W^2Z
        z2x = wform(zwx, rmat, zx)                                               # Z'W^2X
        zwr = wform(zr, zz, zr)[..., 0]                                          # Z'Wr
        rwr = (rr - np.swapaxes(zr, 1, 2) @ kmat @ zr) / s                       # r'Wr
        x3x = wform(x2x, zwx, zwx)                                               # X'W^3X
        kzz = kmat @ zz
        tr_w2 = np.sum(self.sizes - 2.0 * zkz + np.einsum("bij,bji->b", kzz, kzz)) / s ** 2
        t1, s_kl, m_kl = np.zeros((k, k)), np.zeros((k, k)), np.zeros((k, k, p, p))
        t1[:kr, :kr] = np.einsum("bkij,blji->kl", er, er, **ein)
        t1[:kr, kr] = t1[kr, :kr] = np.einsum("bkij,bji->k", e, z2z, **ein)
        t1[kr, kr] = tr_w2
        s_kl[:kr, :kr] = np.einsum("bki,bij,blj->kl", ezr, rmat, ezr, **ein)
        s_kl[:kr, kr] = s_kl[kr, :kr] = np.einsum("bki,bi->k", ezr, zwr)
        s_kl[kr, kr] = float(np.sum(rwr))
        m_kl[:kr, :kr] = np.einsum("bkip,bij,bljq->klpq", ezwx, rmat, ezwx, **ein)
        cross = np.einsum("bkip,biq->kpq", ezwx, z2x, **ein)
        m_kl[:kr, kr] = cross
        m_kl[kr, :kr] = np.swapaxes(cross, 1, 2)
        m_kl[kr, kr] = x3x.sum(0)
        if reml:
            cq = np.einsum("pq,kqr->kpr", c, q_k)
            tpapa = t1 - 2.0 * np.einsum("pq,klqp->kl", c, m_kl) + np.einsum("kpr,lrp->kl", cq, cq)
        else:
            tpapa = t1
        rapar = s_kl - t_k @ c @ t_k.T
        hess = 0.5 * tpapa - rapar
        out["hess"] = 0.5 * (hess + hess.T)
        return out


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


@dataclass
class LMMPolished:
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
