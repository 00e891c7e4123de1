"""Exact (restricted) likelihood of a linear mixed model, with its derivatives.

:func:`coachbook.estimators.mixed.fit_mixed` lets statsmodels' optimizers find
the neighbourhood of the maximum and then calls
:func:`coachbook.estimators.lmm_polish.polish`, which finishes the job with
Newton-Raphson on the exact derivatives computed here (:class:`LMMDesign`), so
the reported estimates do not depend on where an optimizer happened to stop
(and hence not on the CPU or the BLAS kernel). The helpers at the end turn a
statsmodels ``MixedLM`` model and its fits into the labels, tables and starting
points ``fit_mixed`` uses.

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
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import linalg, stats

__all__ = ["LMMDesign"]

LOG2PI = np.log(2 * np.pi)


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
# statsmodels' MixedLM: labels, tables and starting points
# --------------------------------------------------------------------------
def _has_intercept(exog_re) -> bool:
    if exog_re is None or np.asarray(exog_re).ndim != 2 or np.asarray(exog_re).shape[1] == 0:
        return False
    col = np.asarray(exog_re)[:, 0]
    return bool(np.allclose(col, 1.0))


def _short(w: warnings.WarningMessage) -> str:
    text = str(w.message).strip().splitlines()[0] if str(w.message).strip() else ""
    text = text if len(text) <= 100 else text[:97] + "..."
    return f"{w.category.__name__}: {text}"


def _dedupe(items):
    return list(dict.fromkeys(items))


def _re_names(model) -> list[str]:
    names = list(model.data.exog_re_names) if model.k_re else []
    names = [str(n) for n in names][:model.k_re]
    if names and _has_intercept(model.exog_re):  # statsmodels labels it with the group name
        names[0] = "Intercept"
    return names


def _param_labels(model) -> list[str]:
    """Labels of the covariance parameters, in :class:`coachbook.estimators.lmm.LMMDesign` order."""
    names = _re_names(model)
    labels = [f"var({names[i]})" if i == j else f"cov({names[j]}, {names[i]})"
              for i in range(len(names)) for j in range(i + 1)]
    return labels + [f"var({n})" for n in model.exog_vc.names] + ["residual"]


def _variance_table(model, cov_re, vcomp, scale) -> pd.DataFrame:
    rows = []
    g = np.asarray(cov_re, dtype=float).reshape(model.k_re, model.k_re)
    labels = iter(_param_labels(model))
    for i in range(model.k_re):
        for j in range(i + 1):
            value = float(g[i, j])
            rows.append((next(labels), value, np.sqrt(value) if i == j and value >= 0 else np.nan))
    for value in np.atleast_1d(np.asarray(vcomp, dtype=float)):
        rows.append((next(labels), float(value), np.sqrt(max(float(value), 0.0))))
    rows.append((next(labels), float(scale), np.sqrt(float(scale))))
    return pd.DataFrame(rows, columns=["component", "estimate", "sd"]).set_index("component")


def _fixed_table(est: pd.Series, se: pd.Series) -> pd.DataFrame:
    z = est / se
    return pd.DataFrame({"estimate": est, "se": se, "z": z, "p": 2 * stats.norm.sf(np.abs(z))})


def _describe(formula, cluster, re_formula, vc_formula, reml) -> str:
    parts = [f"{formula!r}", f"cluster={cluster!r}"]
    if re_formula is not None:
        parts.append(f"re_formula={re_formula!r}")
    if vc_formula is not None:
        parts.append(f"vc_formula={vc_formula!r}")
    parts.append("REML" if reml else "ML")
    return "the mixed model " + ", ".join(parts)


def _start_theta(design, res):
    cov_re = np.asarray(res.cov_re, dtype=float).reshape(design.q, design.q)
    return design.join(cov_re, np.asarray(res.vcomp, dtype=float), float(res.scale))


def _first_best(polished, tol=1e-9):
    """The highest polished fit; among those within ``tol`` of it, the first tried.

    Starts in one basin reach the same maximum to ~1e-13, and which of them is
    a hair higher is noise: the first one keeps the kept fit (and its label)
    the same on every machine.
    """
    top = max(p[0].llf for p in polished)
    return next(p for p in polished if p[0].llf >= top - tol * max(1.0, abs(top)))


def _restarts(design, theta):
    """Extra Newton starts around a maximum: variances scaled down and up, and T made diagonal."""
    g, vc, sigma2 = design.split(np.asarray(theta, dtype=float))
    floor = 0.05 * sigma2
    diagonal = np.diag(np.maximum(np.diag(g), floor)) if design.q else g
    return [("variances x 0.2", design.join(0.2 * g, 0.2 * vc, sigma2)),
            ("variances x 5", design.join(5 * g, 5 * vc, sigma2)),
            ("diagonal T", design.join(diagonal, np.maximum(vc, floor), sigma2))]


def _run_optimizers(model, reml, methods):
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
        notes = _dedupe(_short(w) for w in caught)
        rows.append({"optimizer": label, "llf": llf, "converged": conv, "error": err,
                     "notes": "; ".join(notes)})
        if res is not None and np.isfinite(llf):
            fits.append((llf, label, res))
    return fits, rows


