"""``tn/lessons``: the scored lesson videos (Table 5), with the first-lesson ceiling shares."""
from __future__ import annotations

import numpy as np

from coachbook.synth.tn.counts import rank_assign, solve_counts
from coachbook.synth.tn.design import (ASSIST_WEAKNESS, COACHING_CYCLE, LESSON_CYCLES, LS_ASSIST,
                                       LS_DEPTH_SLOPE, LS_NEW_Y2, LS_SD_NOISE, LS_SD_RATER,
                                       LS_SD_SLOPE, LS_SD_TEACHER, LS_WITHIN, N_AT_CEILING,
                                       N_RATERS, N_START_6_TO_8, TABLE5, TIME, UNCOACHED, YEAR)
from coachbook.synth.tn.preconferences import _teacher_depth


# ---------------------------------------------------------------------------
# Lessons
# ---------------------------------------------------------------------------
OPP_VALUES = np.arange(2.0, 8.01, 0.5)


def _lesson_counts():
    out = {}
    for c in LESSON_CYCLES:
        n, m, s, am, asd = TABLE5[c]
        fixed = None
        if c == 1:   # every cycle-1 lesson is a first lesson: 12 of the 15 ceiling teachers
            fixed = {12: 12}
        out["opp", c] = solve_counts(OPP_VALUES, n, m, s, fixed=fixed)
        out["assist", c] = solve_counts([0, 1, 2], n, am, asd)
    return out


def _split_composite(v, first, rng):
    """Maintenance (2-8) and attention (1-4) with maintenance/2 + attention = v."""
    options = [(int(round(2 * (v - a))), a) for a in range(1, 5) if 2 <= 2 * (v - a) <= 8]
    if first and v < 8:
        options = [o for o in options if o[0] < 8] or options
    w = np.array([np.exp(-((2 * a - m) ** 2) / 8.0) for m, a in options])
    m, a = options[rng.choice(len(options), p=w / w.sum())]
    return m, a


def _split_maintenance(m, rng):
    options = [(x, m - x) for x in range(1, 5) if 1 <= m - x <= 4]
    w = np.array([2.0 if x >= y else 1.0 for x, y in options])
    return options[rng.choice(len(options), p=w / w.sum())]


def _lessons(rng, teachers, lessons, pcs, strength):
    les = lessons.merge(teachers[["teacher_id", "coach_id", "cohort"]], on="teacher_id", how="left")
    les["year"] = les.data_cycle.map(YEAR)
    les["coaching_cycle"] = les.data_cycle.map(COACHING_CYCLE)
    les["coached"] = (~les.data_cycle.isin(UNCOACHED)).astype(int)
    les["time"] = les.data_cycle.map(TIME)
    counts = _lesson_counts()

    # preconference depth: teacher average (standardized across teachers) and
    # within-teacher deviation of each preconference (in SDs of the 311 composites)
    zc, z = _teacher_depth(pcs)
    pc_key = dict(zip(zip(pcs.teacher_id, pcs.data_cycle), zc))
    pc_id = dict(zip(zip(pcs.teacher_id, pcs.data_cycle), pcs.preconference_id))
    les["has_preconference"] = [int((t, c) in pc_key) for t, c in zip(les.teacher_id, les.data_cycle)]
    les["preconference_id"] = [pc_id.get((t, c), "") for t, c in zip(les.teacher_id, les.data_cycle)]
    within = np.array([pc_key[(t, c)] - z[t] if (t, c) in pc_key else 0.0
                       for t, c in zip(les.teacher_id, les.data_cycle)])

    tid = teachers.teacher_id.to_numpy()
    theta = {t: LS_SD_TEACHER * strength[t] for t in tid}
    slope = dict(zip(tid, rng.normal(0, LS_SD_SLOPE, len(tid))))
    entry = les.groupby("teacher_id").time.min()
    exp_time = les.time - les.teacher_id.map(entry)
    th = les.teacher_id.map(theta).to_numpy()

    # raters: evenly distributed over the 410 videos
    raters = np.resize(np.arange(1, N_RATERS + 1), len(les))
    les["rater_id"] = [f"R{r}" for r in rng.permutation(raters)]
    rater_eff = dict(zip([f"R{r}" for r in range(1, N_RATERS + 1)], rng.normal(0, LS_SD_RATER, N_RATERS)))

    # coach assists: per cycle, the largest propensities get the most help
    prop = -ASSIST_WEAKNESS * th + rng.normal(size=len(les))
    assists = np.zeros(len(les), int)
    for c in LESSON_CYCLES:
        idx = np.flatnonzero(les.data_cycle.to_numpy() == c)
        assists[idx] = rank_assign(prop[idx], [0, 1, 2], counts["assist", c], rng).astype(int)
    les["coach_assists"] = assists

    latent = (th + LS_NEW_Y2 * (les.cohort == "year2_only").to_numpy()
              + (les.teacher_id.map(slope).to_numpy() + LS_DEPTH_SLOPE * les.teacher_id.map(z).to_numpy())
              * exp_time.to_numpy()
              + LS_WITHIN * within
              + np.asarray(LS_ASSIST)[assists]
              + les.rater_id.map(rater_eff).to_numpy()
              + rng.normal(0, LS_SD_NOISE, len(les)))
    les["_latent"] = latent
    opp = np.zeros(len(les))
    for c in LESSON_CYCLES:
        idx = np.flatnonzero(les.data_cycle.to_numpy() == c)
        opp[idx] = rank_assign(latent[idx], OPP_VALUES, counts["opp", c], rng)
    les["opportunities"] = opp
    les["first"] = (les.time == les.teacher_id.map(entry)).astype(int)
    les = _repair_first_lessons(les)

    parts = [_split_composite(v, f, rng) for v, f in zip(les.opportunities, les["first"])]
    les["maintenance_of_demand"] = [p[0] for p in parts]
    les["attention_raw"] = [p[1] for p in parts]
    comp_parts = [_split_maintenance(m, rng) for m in les.maintenance_of_demand]
    les["demand_written_to_setup"] = [p[0] for p in comp_parts]
    les["demand_setup_to_enactment"] = [p[1] for p in comp_parts]
    les["attention_to_student_thinking"] = 2 * les.attention_raw
    return les


def _repair_first_lessons(les):
    """Swap opportunities scores within a cycle between a first and a later lesson so
    that exactly 15 teachers score 8 and 32 score 6-7.5 on their first recorded lesson.
    Cycle-1 lessons are all first lessons, so the swaps use cycles 2, 4 and 5; each swap
    keeps that cycle's distribution of scores (Table 5) unchanged."""
    les = les.copy()
    target = np.array([N_AT_CEILING, N_START_6_TO_8])

    def gaps(values):
        v = np.asarray(values)
        return np.abs(np.array([(v >= 8).sum(), ((v >= 6) & (v < 8)).sum()]) - target).sum()

    opp = les.opportunities.to_numpy().copy()
    lat = les._latent.to_numpy()
    first = les["first"].to_numpy() == 1
    cyc = les.data_cycle.to_numpy()
    for _ in range(100):
        err = gaps(opp[first])
        if err == 0:
            les["opportunities"] = opp
            return les
        best = None
        for i in np.flatnonzero(first & (cyc != 1)):
            for j in np.flatnonzero(~first & (cyc == cyc[i])):
                if opp[i] == opp[j]:
                    continue
                new = opp.copy()
                new[i], new[j] = opp[j], opp[i]
                e = gaps(new[first])
                if e < err:
                    key = (e, abs(lat[i] - lat[j]))
                    if best is None or key < best[0]:
                        best = (key, i, j)
        if best is None:
            break
        _, i, j = best
        opp[i], opp[j] = opp[j], opp[i]
    raise RuntimeError("cannot reach the first-lesson ceiling shares")
