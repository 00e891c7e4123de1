"""``tn/double_scored``: the 33 double-scored Year 1 videos, calibrated to the published ICCs."""
from __future__ import annotations

import numpy as np
import pandas as pd

from coachbook.synth.tn.counts import _sd
from coachbook.synth.tn.design import ICC_TARGET, N_DOUBLE_ANY, N_DOUBLE_NONE, N_RATERS
from coachbook.synth.tn.lessons import _split_composite, _split_maintenance


# ---------------------------------------------------------------------------
# Double-scored videos
# ---------------------------------------------------------------------------
def _icc1(a, b) -> float:
    """ICC(1,1) of two ratings per target (Shrout & Fleiss one-way random)."""
    x = np.column_stack([a, b]).astype(float)
    n, k = x.shape
    means = x.mean(axis=1)
    msb = k * ((means - x.mean()) ** 2).sum() / (n - 1)
    msw = ((x - means[:, None]) ** 2).sum() / (n * (k - 1))
    return float((msb - msw) / (msb + (k - 1) * msw))


def _double_scored(rng, les):
    y1 = les[les.year == 1]
    assisted = y1[y1.coach_assists > 0]
    plain = y1[y1.coach_assists == 0]
    # 11 lessons where at least one rater coded an assist: 9 the primary rater coded,
    # 2 only the second rater coded; 22 lessons both raters coded as unassisted.
    pick_any = list(rng.choice(assisted.index, N_DOUBLE_ANY - 2, replace=False))
    pick_plain = list(rng.choice(plain.index, N_DOUBLE_NONE + 2, replace=False))
    second_only = pick_plain[:2]
    groups = {"none": sorted(pick_plain[2:]), "any": sorted(pick_any + second_only)}
    # rating error: normal draws made orthogonal to the primary scores (so that the
    # ICC falls smoothly as the error scale grows), plus a small shift per subset.
    # The two error scales are chosen together on a grid so that ICC(1,1) is as close
    # as possible to .72 (no assist), .52 (any assist) and .62 (all 33).
    prim, z, shift = {}, {}, {}
    for subset, idx in groups.items():
        prim[subset] = les.loc[idx, "opportunities"].to_numpy()
        e = rng.normal(size=len(idx))
        x = np.column_stack([np.ones(len(idx)), prim[subset]])
        e = e - x @ np.linalg.lstsq(x, e, rcond=None)[0]
        z[subset] = e / _sd(e)
        shift[subset] = rng.normal(0, 0.2)

    def second(subset, scale):
        v = prim[subset] + shift[subset] + scale * z[subset]
        v = np.where(v > 8, 16 - v, np.where(v < 2, 4 - v, v))   # reflect at the scale ends
        return np.clip(np.round(v * 2) / 2, 2, 8)

    grid = np.linspace(0.05, 4.0, 80)
    sec = {k: [second(k, g) for g in grid] for k in groups}
    icc = {k: np.array([_icc1(prim[k], s2) for s2 in sec[k]]) for k in groups}
    best = None
    for i, g_none in enumerate(grid):
        for j, g_any in enumerate(grid):
            all_icc = _icc1(np.concatenate([prim["none"], prim["any"]]),
                            np.concatenate([sec["none"][i], sec["any"][j]]))
            loss = ((icc["none"][i] - ICC_TARGET["none"]) ** 2 + (icc["any"][j] - ICC_TARGET["any"]) ** 2
                    + (all_icc - ICC_TARGET["all"]) ** 2)
            if best is None or loss < best[0] - 1e-12:
                best = (loss, i, j)
    chosen = {"none": sec["none"][best[1]], "any": sec["any"][best[2]]}
    rows = []
    for subset, idx in groups.items():
        for (i, r), s2 in zip(les.loc[idx].iterrows(), chosen[subset]):
            others = [f"R{k}" for k in range(1, N_RATERS + 1) if f"R{k}" != r.rater_id]
            r2 = others[int(rng.integers(len(others)))]
            if subset == "none":
                a2 = 0
            elif i in second_only:
                a2 = 1
            else:
                a2 = int(np.clip(r.coach_assists + rng.choice([-1, 0, 0, 1]), 1, 2))
            m2, t2 = _split_composite(s2, False, rng)
            w2, e2 = _split_maintenance(m2, rng)
            rows.append({"lesson_id": r.lesson_id, "rating": 1, "rater_id": r.rater_id,
                         "demand_written_to_setup": r.demand_written_to_setup,
                         "demand_setup_to_enactment": r.demand_setup_to_enactment,
                         "maintenance_of_demand": r.maintenance_of_demand,
                         "attention_raw": r.attention_raw,
                         "attention_to_student_thinking": r.attention_to_student_thinking,
                         "opportunities": r.opportunities, "coach_assists": r.coach_assists})
            rows.append({"lesson_id": r.lesson_id, "rating": 2, "rater_id": r2,
                         "demand_written_to_setup": w2, "demand_setup_to_enactment": e2,
                         "maintenance_of_demand": m2, "attention_raw": t2,
                         "attention_to_student_thinking": 2 * t2,
                         "opportunities": m2 / 2 + t2, "coach_assists": a2})
    ds = pd.DataFrame(rows)
    any_assist = ds.groupby("lesson_id").coach_assists.max()
    ds["assist_subset"] = ds.lesson_id.map(lambda l: "any" if any_assist[l] > 0 else "none")
    ds = ds.sort_values(["lesson_id", "rating"]).reset_index(drop=True)
    return ds
