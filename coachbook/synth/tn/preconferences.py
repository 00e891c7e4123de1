"""``tn/preconferences``: the scored planning conferences (Table 4), and the RQ3 depth groups."""
from __future__ import annotations

import numpy as np
import pandas as pd

from coachbook.studies.russell import preconference_composite
from coachbook.synth.tn.counts import _sd, rank_assign, solve_counts
from coachbook.synth.tn.design import (PC_CYCLES, PC_N, PC_SD_COACH, PC_SD_OCCASION, PC_SD_PAIR,
                                       PC_SD_SLOPE, RQ3_GROUPS, TABLE4, TIME)


# ---------------------------------------------------------------------------
# Preconferences
# ---------------------------------------------------------------------------
PC_ITEMS = ("appropriate_content", "solution_paths", "advancing_questions", "math_content")
PC_VALUES = {"appropriate_content": [0, 1], "solution_paths": [0, 1, 2, 3],
             "advancing_questions": [0, 1, 2], "math_content": [0, 1, 2, 3]}


def _pc_counts():
    """Category counts per item and cycle, matched to Table 4."""
    out = {}
    for c in PC_CYCLES:
        n = PC_N[c]
        m, _ = TABLE4["appropriate_content"][c]
        n1 = int(round(m * n))
        out["appropriate_content", c] = np.array([n - n1, n1])
        for item in ("solution_paths", "math_content"):
            m, s = TABLE4[item][c]
            out[item, c] = solve_counts([0, 1, 2, 3], n, m, s)
        m, s = TABLE4["advancing_questions_rescaled"][c]
        out["advancing_questions", c] = solve_counts([0, 1, 2], n, m / 1.5, s / 1.5)
    return out


def _composite(df):
    """Each row's composite (:func:`coachbook.studies.russell.preconference_composite`)."""
    return pd.Series(preconference_composite(*(df[item] for item in PC_ITEMS)), index=df.index)


def _pc_items(factor, noise, loading, counts, tie_rng_seed):
    """Map latent scores of one cycle to the four items for a given common-factor loading."""
    out = {}
    u = np.sqrt(1 - loading ** 2)
    for j, item in enumerate(PC_ITEMS):
        z = loading * factor + u * noise[:, j]
        out[item] = rank_assign(z, PC_VALUES[item], counts[item], np.random.default_rng(tie_rng_seed + j))
    return out


def _preconferences(rng, teachers, pcs):
    pcs = pcs.merge(teachers[["teacher_id", "coach_id"]], on="teacher_id", how="left")
    pcs["time"] = pcs.data_cycle.map(TIME)
    coach_ids = sorted(teachers.coach_id.unique())
    coach_eff = dict(zip(coach_ids, rng.normal(0, PC_SD_COACH, len(coach_ids))))
    tid = teachers.teacher_id.to_numpy()
    pair_eff = dict(zip(tid, rng.normal(0, PC_SD_PAIR, len(tid))))
    pair_slope = dict(zip(tid, rng.normal(0, PC_SD_SLOPE, len(tid))))
    factor = (pcs.coach_id.map(coach_eff) + pcs.teacher_id.map(pair_eff)
              + pcs.teacher_id.map(pair_slope) * pcs.time
              + rng.normal(0, PC_SD_OCCASION, len(pcs))).to_numpy()
    noise = rng.normal(size=(len(pcs), 4))
    # appropriate content: logistic noise (unit variance), so that the item follows a
    # logistic model in the common factor
    noise[:, 0] = rng.logistic(size=len(pcs)) / (np.pi / np.sqrt(3))
    counts = _pc_counts()
    tie_seed = int(rng.integers(2**31))
    for item in PC_ITEMS:
        pcs[item] = 0
    for c in PC_CYCLES:
        idx = np.flatnonzero(pcs.data_cycle.to_numpy() == c)
        f = factor[idx]
        f = (f - f.mean()) / _sd(f)
        cnt = {item: counts[item, c] for item in PC_ITEMS}
        target = TABLE4["composite"][c][1]

        def comp_sd(loading):
            items = _pc_items(f, noise[idx], loading, cnt, tie_seed + 10 * c)
            comp = preconference_composite(*(items[item] for item in PC_ITEMS))
            return _sd(comp), items

        lo, hi = 0.0, 0.98
        for _ in range(18):
            mid = (lo + hi) / 2
            if comp_sd(mid)[0] < target:
                lo = mid
            else:
                hi = mid
        best = min((lo, hi), key=lambda l: abs(comp_sd(l)[0] - target))
        items = comp_sd(best)[1]
        for item in PC_ITEMS:
            pcs.loc[pcs.index[idx], item] = items[item].astype(int)
    pcs = _repair_depth_groups(pcs)
    return pcs


def _teacher_depth(pcs):
    """Standardized preconference depth: each composite as a z-score over all
    preconferences, the teacher's average z (between-teacher predictor, RQ3 groups)
    and each preconference's deviation from it (within-teacher predictor)."""
    comp = _composite(pcs)
    zc = (comp - comp.mean()) / comp.std(ddof=1)
    avg = zc.groupby(pcs.teacher_id).mean()
    return zc, avg


def _group_counts(avg):
    avg = np.asarray(avg)
    return np.array([(avg <= -0.5).sum(), ((avg > -0.5) & (avg < 0.5)).sum(), (avg >= 0.5).sum()])


def _repair_depth_groups(pcs, max_steps=60):
    """Swap whole preconference rows between two teachers within a cycle until the
    RQ3 groups (average standardized depth <= -.5, between, >= .5) hold 23, 54 and
    26 teachers. A swap keeps every cycle's joint distribution of the four items,
    so Table 4 (and the standardization) is untouched; among the swaps that bring
    the counts closer, the one with the smallest change in the composite is made."""
    pcs = pcs.copy()
    target = np.array(RQ3_GROUPS)
    item_cols = list(PC_ITEMS)
    zc, _ = _teacher_depth(pcs)
    z = zc.to_numpy().copy()
    teacher = pcs.teacher_id.to_numpy()
    codes, uniq = pd.factorize(teacher)
    n_t = np.bincount(codes)
    cyc = pcs.data_cycle.to_numpy()
    for _ in range(max_steps):
        avg = np.bincount(codes, weights=z) / n_t
        err = np.abs(_group_counts(avg) - target).sum()
        if err == 0:
            return pcs
        best = None
        for a in range(len(z)):
            same = np.flatnonzero((cyc == cyc[a]) & (codes != codes[a]) & (z != z[a]))
            if not len(same):
                continue
            ta, tb = codes[a], codes[same]
            new_a = avg[ta] + (z[same] - z[a]) / n_t[ta]
            new_b = avg[tb] + (z[a] - z[same]) / n_t[tb]

            def grp(v):
                return (v > -0.5).astype(int) + (v >= 0.5)

            g_old = grp(avg)
            delta = np.zeros((len(same), 3), int)
            np.add.at(delta, (np.arange(len(same)), grp(np.full(len(same), avg[ta]))), -1)
            np.add.at(delta, (np.arange(len(same)), grp(avg[tb])), -1)
            np.add.at(delta, (np.arange(len(same)), grp(new_a)), 1)
            np.add.at(delta, (np.arange(len(same)), grp(new_b)), 1)
            e = np.abs(np.bincount(g_old, minlength=3) + delta - target).sum(axis=1)
            size = np.abs(z[same] - z[a])
            for k in np.flatnonzero(e < err):
                key = (e[k], size[k])
                if best is None or key < best[0]:
                    best = (key, a, same[k])
        if best is None:
            break
        _, a, b = best
        ia, ib = pcs.index[a], pcs.index[b]
        va = pcs.loc[ia, item_cols].to_numpy().copy()
        pcs.loc[ia, item_cols] = pcs.loc[ib, item_cols].to_numpy()
        pcs.loc[ib, item_cols] = va
        z[a], z[b] = z[b], z[a]
    raise RuntimeError("could not reach the RQ3 group sizes")
