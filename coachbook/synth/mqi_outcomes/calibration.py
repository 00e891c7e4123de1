"""The calibration machinery of the MQI outcome files: targets, solvers, streams.

The published numbers a cell is calibrated to (:func:`_cell_targets`), the
Levenberg-Marquardt solver that rounds every parameter to 3 decimals
(:func:`_solve`, run in stages and from several starts by
:func:`_staged_solve`), the covariate-imbalance direction of a sample
(:func:`_imbalance_direction`) and the seeded random streams, one per file.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from coachbook.studies.kraft_hill.variables import CONTROLS, N_STUDENTS, N_TEACHERS, PAPER, UNCOND


# Sub-stream keys, one per file (plus one for the teacher latents).
_STREAMS = {"teacher": 51, "reflections": 52, "survey": 53, "segments": 54, "tests": 55}

def _published() -> pd.DataFrame:
    from coachbook.book import published
    return published.load(PAPER)


def _pub(numbers, table, panel, row, column, what="estimate") -> float:
    hit = numbers[(numbers["table"] == table) & (numbers["panel"] == panel)
                  & (numbers["row"] == row) & (numbers["column"] == column)]
    if hit.empty:
        raise KeyError(f"no published number at {table!r}/{panel!r}/{row!r}/{column!r}")
    return float(hit.iloc[0][what])


def _rng(seed: int, key: str) -> np.random.Generator:
    return np.random.default_rng([int(seed), _STREAMS[key]])


def _imbalance_direction(treat: np.ndarray, blocks: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Teacher-level covariate index whose block-adjusted treatment-control difference is 1.

    ``h = X_r S^{-1} d / (d' S^{-1} d)``: ``X_r`` the controls residualized on
    the block dummies, ``S`` their covariance, ``d`` their block-adjusted
    treatment-control difference. ``h`` is a linear function of the controls
    and blocks, so adding it to an outcome leaves the with-controls estimate
    unchanged and moves the unconditional (block FE only) estimate by exactly
    its loading.
    """
    Z = np.column_stack([np.ones(len(treat)), blocks])
    resid = lambda v: v - Z @ np.linalg.lstsq(Z, v, rcond=None)[0]  # noqa: E731
    xr, tr = resid(X), resid(treat.astype(float))
    d = xr.T @ tr / (tr @ tr)
    s = xr.T @ xr / len(treat)
    g = np.linalg.pinv(s) @ d
    h = xr @ g
    return h / float((h @ tr) / (tr @ tr))


def _solve(fun, x0, target, scale, lower, upper, step, tol=0.2, max_iter=30):
    """Solve ``fun(x) = target`` by Levenberg-Marquardt on finite differences.

    Residuals are measured in units of ``scale``; iteration stops once every
    scaled residual is below ``tol``. Parameters are kept inside
    ``[lower, upper]`` and rounded to 3 decimals at every step (so the result
    cannot depend on the last digits of a float). Returns the best parameter
    vector seen and its scaled residuals.
    """
    target, scale = np.asarray(target, float), np.asarray(scale, float)
    lower, upper, step = (np.asarray(v, float) for v in (lower, upper, step))
    clip = lambda x: np.round(np.clip(x, lower, upper), 3)  # noqa: E731
    resid = lambda x: (np.asarray(fun(x), float) - target) / scale  # noqa: E731
    x = clip(np.asarray(x0, float))
    f = resid(x)
    mu = 1e-3
    for _ in range(max_iter):
        if np.max(np.abs(f)) <= tol:
            break
        jac = np.empty((len(f), len(x)))
        for i in range(len(x)):
            xi = x.copy()
            xi[i] = np.round(x[i] + (step[i] if x[i] + step[i] <= upper[i] else -step[i]), 3)
            jac[:, i] = (resid(xi) - f) / (xi[i] - x[i])
        jtj, jtf = jac.T @ jac, jac.T @ f
        damp = np.diag(np.diag(jtj)) + 1e-12 * np.eye(len(x))
        improved = False
        for _ in range(10):
            xn = clip(x + np.linalg.solve(jtj + mu * damp, -jtf))
            if not np.array_equal(xn, x):
                fn = resid(xn)
                if np.linalg.norm(fn) < np.linalg.norm(f):
                    x, f, improved = xn, fn, True
                    mu = max(mu / 5, 1e-6)
                    break
            mu *= 5
        if not improved:
            break
    return x, f


def _staged_solve(metrics, names, x0, spec, lower, upper, step, stages, restarts=(), tol=1.0):
    """Calibrate in stages, from several starts; keep the fit with the smallest worst residual.

    ``metrics(x)`` returns a dict of statistics; ``spec`` maps a statistic to
    ``(target, scale)``. Each stage is ``(parameters, statistics)``: only those
    parameters move (the others stay at their current values) to fit those
    statistics; the last stage should free everything. ``restarts`` are dicts
    of parameter values that replace the defaults ``x0`` for another attempt.
    Returns ``(x, scaled residuals of every statistic in spec)``.
    """
    keys = list(spec)
    lower, upper, step = (np.asarray(v, float) for v in (lower, upper, step))
    best = None
    for override in [{}, *restarts]:
        x = np.array([override.get(n, v) for n, v in zip(names, x0)], float)
        for free_names, stat_keys in stages:
            free = np.array([names.index(n) for n in free_names])

            def fun(p, x=x, free=free, stat_keys=stat_keys):
                full = x.copy()
                full[free] = p
                m = metrics(full)
                return [m[k] for k in stat_keys]

            p, _ = _solve(fun, x[free], [spec[k][0] for k in stat_keys],
                          [spec[k][1] for k in stat_keys], lower[free], upper[free], step[free],
                          tol=tol)
            x = x.copy()
            x[free] = p
        m = metrics(x)
        res = np.array([(m[k] - spec[k][0]) / spec[k][1] for k in keys])
        if best is None or np.max(np.abs(res)) < np.max(np.abs(best[1])):
            best = (x, res)
        if np.max(np.abs(best[1])) <= tol:
            break
    return best


def _allocate(total: int, weights: np.ndarray, minimum: int = 1) -> np.ndarray:
    """Integers >= minimum, proportional to weights, summing exactly to total."""
    weights = np.asarray(weights, float)
    k = len(weights)
    free = total - minimum * k
    if free < 0:
        raise ValueError(f"cannot give {k} units at least {minimum} each out of {total}")
    raw = free * weights / weights.sum()
    out = np.floor(raw).astype(int)
    short = free - out.sum()
    out[np.argsort(-(raw - out), kind="stable")[:short]] += 1
    return out + minimum


def _moment_match(z: np.ndarray) -> np.ndarray:
    return (z - z.mean()) / z.std()


# ---------------------------------------------------------------------------
# Targets from the published tables
# ---------------------------------------------------------------------------
def _cell_targets(numbers, table, panel, row) -> dict[str, float]:
    out = {}
    for key, column in [("c", CONTROLS), ("u", UNCOND)]:
        out[f"est_{key}"] = _pub(numbers, table, panel, row, column)
        out[f"se_{key}"] = _pub(numbers, table, panel, row, column, "se")
    for key, column in [("n_t", N_TEACHERS), ("n_s", N_STUDENTS)]:
        try:
            out[key] = int(_pub(numbers, table, panel, row, column))
        except KeyError:
            pass
    return out
