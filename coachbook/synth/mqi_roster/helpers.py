"""Small exact-count helpers of the roster generator: integer cells, exact shares, top k."""
from __future__ import annotations

import numpy as np

from coachbook.synth.mqi_roster.targets import DISTRICTS


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------
def _rng(seed: int, *keys: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), *keys])


def _top_k(score: np.ndarray, k: int) -> np.ndarray:
    """Boolean mask of the k largest scores (ties broken by position)."""
    out = np.zeros(len(score), dtype=bool)
    if k > 0:
        out[np.argsort(-score, kind="stable")[:k]] = True
    return out


def _cells() -> list[tuple[str, int]]:
    return [(d, a) for d in DISTRICTS for a in (1, 0)]


def _cell_counts(sizes: dict, target: tuple, upper: dict | None = None) -> dict:
    """Integer holders per district x arm cell closest to Table 1's shares.

    ``sizes`` maps (district, arm) to cell size; ``target`` is (urban,
    suburban, treatment, control, full). Minimizes the squared gaps of the
    five implied shares, then (tie-break) the gap to the additive cell
    shares ``p_district + p_arm - p_full``. ``upper`` caps each cell (for
    nested characteristics).
    """
    pu, ps, pt, pc, pa = target
    nu = sizes["urban", 1] + sizes["urban", 0]
    ns = sizes["suburban", 1] + sizes["suburban", 0]
    nt = sizes["urban", 1] + sizes["suburban", 1]
    nc = sizes["urban", 0] + sizes["suburban", 0]
    add = {(d, a): (pd_ + pa_ - pa) for d, pd_ in (("urban", pu), ("suburban", ps))
           for a, pa_ in ((1, pt), (0, pc))}
    cap = upper or {c: sizes[c] for c in sizes}
    best, best_loss = None, np.inf
    for ku in range(max(0, round(pu * nu) - 2), round(pu * nu) + 3):
        for ks in range(max(0, round(ps * ns) - 2), round(ps * ns) + 3):
            for kt in range(max(0, round(pt * nt) - 2), round(pt * nt) + 3):
                for xut in range(0, sizes["urban", 1] + 1):
                    x = {("urban", 1): xut, ("urban", 0): ku - xut,
                         ("suburban", 1): kt - xut}
                    x["suburban", 0] = ks - x["suburban", 1]
                    if any(v < 0 or v > cap[c] for c, v in x.items()):
                        continue
                    kc = ku + ks - kt
                    loss = ((ku / nu - pu) ** 2 + (ks / ns - ps) ** 2 + (kt / nt - pt) ** 2
                            + (kc / nc - pc) ** 2 + ((ku + ks) / (nu + ns) - pa) ** 2)
                    tie = sum((x[c] / sizes[c] - add[c]) ** 2 for c in x)
                    total = loss + 1e-3 * tie
                    if total < best_loss - 1e-12:
                        best, best_loss = x, total
    if best is None:
        raise RuntimeError(f"no integer cell counts for target {target}")
    return best


def _cell_means(sizes: dict, target: tuple) -> dict:
    """Cell means whose size-weighted district, arm and full means equal Table 1's.

    Least squares on the five margins (weight 1e6) with a small pull towards
    the additive cell means ``m_district + m_arm - m_full``.
    """
    pu, ps, pt, pc, pa = target
    cells = [("urban", 1), ("urban", 0), ("suburban", 1), ("suburban", 0)]
    n = np.array([sizes[c] for c in cells], dtype=float)
    rows = [
        [n[0], n[1], 0, 0], [0, 0, n[2], n[3]], [n[0], 0, n[2], 0], [0, n[1], 0, n[3]], n,
    ]
    norm = [n[0] + n[1], n[2] + n[3], n[0] + n[2], n[1] + n[3], n.sum()]
    a = np.array(rows) / np.array(norm)[:, None]
    b = np.array([pu, ps, pt, pc, pa])
    add = np.array([pu + pt - pa, pu + pc - pa, ps + pt - pa, ps + pc - pa])
    big = 1e3
    a_full = np.vstack([big * a, np.eye(4)])
    b_full = np.concatenate([big * b, add])
    m = np.linalg.lstsq(a_full, b_full, rcond=None)[0]
    return dict(zip(cells, m))


def _fix_int_sum(values: np.ndarray, total: int, rng: np.random.Generator,
                 low: int, high: int) -> np.ndarray:
    """Round to integers and nudge random members by 1 until they sum to ``total``."""
    out = np.clip(np.rint(values), low, high).astype(int)
    for _ in range(10 * len(out) + 100):
        gap = total - int(out.sum())
        if gap == 0:
            break
        step = 1 if gap > 0 else -1
        ok = np.flatnonzero((out + step >= low) & (out + step <= high))
        out[rng.choice(ok)] += step
    return out


def _exact_counts(shares, total: int) -> np.ndarray:
    """Largest-remainder integer counts summing to ``total`` (ties: first listed)."""
    raw = np.asarray(shares, dtype=float)
    raw = raw / raw.sum() * total
    out = np.floor(raw).astype(int)
    rest = total - int(out.sum())
    order = np.argsort(-(raw - out), kind="stable")
    out[order[:rest]] += 1
    return out


def _exact_binary(score: np.ndarray, share: float) -> np.ndarray:
    """0/1 with exactly round(share * n) ones, given to the highest scores."""
    return _top_k(score, round(share * len(score))).astype(int)


def _exact_levels(score: np.ndarray, levels, shares) -> np.ndarray:
    """Levels in exact published proportions; higher scores get earlier levels."""
    counts = _exact_counts(shares, len(score))
    order = np.argsort(-score, kind="stable")
    out = np.empty(len(score), dtype=object)
    out[order] = np.repeat(np.array(levels, dtype=object), counts)
    return out
