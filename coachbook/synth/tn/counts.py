"""Category counts that match a published mean and SD, and ranks turned into those categories."""
from __future__ import annotations

from scipy import optimize, stats
import numpy as np


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------
def _sd(x) -> float:
    x = np.asarray(x, float)
    return float(x.std(ddof=1)) if len(x) > 1 else 0.0


def _count_stats(values, counts):
    counts = np.asarray(counts, float)
    n = counts.sum()
    mean = float((values * counts).sum() / n)
    var = float((counts * (values - mean) ** 2).sum() / (n - 1))
    return mean, np.sqrt(max(var, 0.0))


def solve_counts(values, n, mean, sd, fixed=None):
    """Integer category counts for ``n`` cases whose mean and SD (ddof=1) match.

    A discretized normal (cut points midway between the ordered values, tails in
    the end categories) is fitted to the target mean and SD, its expected counts
    are rounded by largest remainder, and single cases are then moved between
    categories while that brings the mean and SD closer. ``fixed`` maps a
    category index to a count that must not change.
    """
    values = np.asarray(values, float)
    k = len(values)
    fixed = dict(fixed or {})
    free = np.array([i for i in range(k) if i not in fixed])
    n_free = n - sum(fixed.values())
    cuts = (values[1:] + values[:-1]) / 2

    def expected(params):
        mu, log_sigma = params
        cdf = stats.norm.cdf((cuts - mu) / np.exp(log_sigma))
        p = np.diff(np.concatenate([[0.0], cdf, [1.0]]))
        c = np.zeros(k)
        pf = p[free] / max(p[free].sum(), 1e-12)
        c[free] = n_free * pf
        for i, v in fixed.items():
            c[i] = v
        return c

    def resid(params):
        m, s = _count_stats(values, expected(params))
        return [m - mean, s - sd]

    fit = optimize.least_squares(resid, x0=[mean, np.log(sd)], method="lm")
    target = expected(fit.x)
    # largest-remainder rounding on the free categories
    counts = np.zeros(k, int)
    for i, v in fixed.items():
        counts[i] = v
    floor = np.floor(target[free]).astype(int)
    counts[free] = floor
    short = n_free - floor.sum()
    order = np.argsort(-(target[free] - floor), kind="stable")[:short]
    counts[free[order]] += 1

    def loss(c):
        m, s = _count_stats(values, c)
        return ((m - mean) / 0.005) ** 2 + ((s - sd) / 0.01) ** 2 + 0.01 * float(((c - target) ** 2).sum())

    best = loss(counts)
    while True:
        improved = None
        for a in free:
            if counts[a] == 0:
                continue
            for b in free:
                if a == b:
                    continue
                c = counts.copy()
                c[a] -= 1
                c[b] += 1
                val = loss(c)
                if val < best - 1e-12:
                    best, improved = val, c
        if improved is None:
            return counts
        counts = improved


def rank_assign(latent, values, counts, rng):
    """Give the ``counts[j]`` lowest latent scores value ``values[0]``, and so on."""
    latent = np.asarray(latent, float)
    order = np.lexsort((rng.random(len(latent)), latent))
    out = np.empty(len(latent), float)
    out[order] = np.repeat(np.asarray(values, float), counts)
    return out
