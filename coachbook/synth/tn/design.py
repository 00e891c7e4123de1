"""The Tennessee design (Tables 2-5, Participants) and the hand-set generative parameters,
and the coaches, teachers and missing data cycles built from them (:func:`_design`)."""
from __future__ import annotations

import numpy as np
import pandas as pd


# ---------------------------------------------------------------------------
# Design constants (Tables 2, 3 and the Participants section)
# ---------------------------------------------------------------------------
PC_CYCLES = (1, 2, 3, 5, 6)              # data cycles with a preconference (Table 3)
LESSON_CYCLES = (1, 2, 3, 4, 5, 6, 7)    # data cycles with a lesson video
UNCOACHED = (4, 7)                       # Year 2 baseline and postcoaching lessons
YEAR = {1: 1, 2: 1, 3: 1, 4: 2, 5: 2, 6: 2, 7: 2}
COACHING_CYCLE = {1: 1, 2: 2, 3: 3, 4: 0, 5: 4, 6: 5, 7: 0}
# Years since data cycle 1 (fall of Year 1). Not printed in the paper: set from the
# calendar it describes (cycles 1-3 in fall, winter and spring of Year 1; the Year 2
# baseline lesson before coaching resumed; cycles 5-6 in fall and early spring of
# Year 2; the postcoaching lesson at the end of Year 2), with the last lesson at
# 1.55 years = ES .95 / ES per year .61 (RQ2 text).
TIME = {1: 0.0, 2: 0.25, 3: 0.5, 4: 0.9, 5: 1.05, 6: 1.3, 7: 1.55}

N_COACHES_Y1 = 32
N_APPLICATIONS = 62

# Table 4 (data cycle -> N) and per item (M, SD) on the analysis scale
PC_N = {1: 63, 2: 65, 3: 64, 5: 61, 6: 58}
TABLE4 = {
    "appropriate_content": {1: (0.83, 0.38), 2: (0.88, 0.33), 3: (0.86, 0.32), 5: (0.95, 0.20), 6: (0.95, 0.23)},
    "solution_paths": {1: (1.60, 1.01), 2: (1.85, 0.87), 3: (2.06, 0.81), 5: (1.98, 0.94), 6: (2.22, 0.82)},
    "advancing_questions_rescaled": {1: (1.55, 1.14), 2: (1.82, 1.04), 3: (1.48, 1.12), 5: (1.99, 1.12), 6: (2.17, 1.06)},
    "math_content": {1: (2.13, 0.73), 2: (2.09, 0.86), 3: (2.69, 0.50), 5: (2.49, 0.67), 6: (2.43, 0.70)},
    "composite": {1: (1.94, 0.69), 2: (2.10, 0.61), 3: (2.20, 0.55), 5: (2.33, 0.59), 6: (2.42, 0.54)},
}
# Table 5: data cycle -> (videos, opportunities M, SD, coach assists M, SD)
TABLE5 = {
    1: (62, 5.57, 1.85, 0.63, 0.77), 2: (65, 5.85, 1.61, 0.78, 0.86), 3: (62, 5.81, 1.64, 0.41, 0.75),
    4: (60, 5.01, 1.82, 0.10, 0.30), 5: (55, 5.67, 1.45, 0.45, 0.63), 6: (53, 6.35, 1.27, 0.38, 0.60),
    7: (53, 6.49, 1.23, 0.23, 0.42),
}
N_AT_CEILING = 15       # 15% of 103 teachers at 8 on the first recorded lesson
N_START_6_TO_8 = 32     # "31% of teachers started between 6 and 8" (excluding those at 8)
RQ3_GROUPS = (23, 54, 26)
N_RATERS = 7
N_DOUBLE_NONE, N_DOUBLE_ANY = 22, 11    # double-scored lessons without / with a coded assist
ICC_TARGET = {"none": 0.72, "any": 0.52, "all": 0.62}

# ---------------------------------------------------------------------------
# Generative parameters (set by hand against the published targets; see docstring)
# ---------------------------------------------------------------------------
PC_SD_COACH = 0.25        # coach intercept (latent SD units)
PC_SD_PAIR = 0.65         # coach-teacher pair intercept
PC_SD_SLOPE = 0.15        # pair slope per year
PC_SD_OCCASION = 0.80     # pair-by-cycle shock shared by the four items
LS_SD_TEACHER = 1.0       # teacher intercept in the lesson latent
LS_NEW_Y2 = 0.0          # Year 2-only teachers: no offset (see docstring)
LS_SD_SLOPE = 0.25        # teacher growth per year (random part)
LS_DEPTH_SLOPE = 0.65     # growth per year per SD of average preconference depth
LS_WITHIN = 0.19          # effect of a 1-SD within-teacher deviation in depth
LS_ASSIST = (0.0, 0.1, 0.3)
LS_SD_RATER = 0.15
LS_SD_NOISE = 0.77
ASSIST_WEAKNESS = 0.6     # weaker teachers are assisted more
MISSING_WEAKNESS = 1.5    # weaker teachers more often have an incomplete cycle
SINGLE_PC_COACH = "C33"   # Year 2 coach whose two partners have one preconference each
SINGLE_PC_MOVERS = (0, 1)  # which two of the four single-preconference teachers (sorted)


# ---------------------------------------------------------------------------
# Design: coaches, teachers, missing data
# ---------------------------------------------------------------------------
def _design(rng):
    coaches = [f"C{k:02d}" for k in range(1, 35)]
    y1_coaches = coaches[:N_COACHES_Y1]
    leavers = sorted(rng.choice(y1_coaches, 2, replace=False).tolist())
    continuing = [c for c in y1_coaches if c not in leavers]
    joiners = coaches[N_COACHES_Y1:]
    # 24 continuing coaches keep one Year 1 partner; 6 replace both.
    keepers = sorted(rng.choice(continuing, 24, replace=False).tolist())
    # 2 of the keepers could not replace the other teacher.
    no_replacement = sorted(rng.choice(keepers, 2, replace=False).tolist())
    three_partner = str(rng.choice(continuing))   # 65 Year 1 teachers for 32 coaches

    y1_rows, y2_rows = [], []
    for c in y1_coaches:
        k = 3 if c == three_partner else 2
        kept = int(rng.integers(k)) if c in keepers else -1
        for j in range(k):
            y1_rows.append((c, "both_years" if j == kept else "year1_only"))
    for c in continuing + joiners:
        if c in keepers:
            new = 0 if c in no_replacement else 1
        else:
            new = 2
        for _ in range(new):
            y2_rows.append((c, "year2_only"))
    y1_rows.sort(key=lambda r: r[0])
    y2_rows.sort(key=lambda r: r[0])
    rows = y1_rows + y2_rows
    teachers = pd.DataFrame(rows, columns=["coach_id", "cohort"])
    teachers.insert(0, "teacher_id", [f"T{i:03d}" for i in range(1, len(rows) + 1)])

    # ---- incomplete data cycles (Table 2; Table 4 and 5 counts per cycle) ----
    # (data cycle, what is missing); "both" = neither preconference nor lesson.
    y1_units = [(1, "both")] * 2 + [(1, "lesson"), (3, "pc")] + [(3, "lesson")] * 3
    y2_units = ([(5, "both")] + [(5, "lesson")] * 6 + [(6, "both")] * 3 + [(6, "pc")]
                + [(6, "lesson")] * 6 + [(4, "lesson")] * 2 + [(7, "lesson")] * 9)
    ids = {g: teachers.loc[teachers.cohort == g, "teacher_id"].tolist()
           for g in ("both_years", "year1_only", "year2_only")}
    # teaching strength (standard normal), drawn here because missing lessons are
    # more likely for weaker teachers (missing at random given earlier scores)
    strength = dict(zip(teachers.teacher_id, rng.normal(size=len(teachers))))

    def pick(group, k):
        w = np.exp(-MISSING_WEAKNESS * np.array([strength[t] for t in ids[group]]))
        return list(rng.choice(ids[group], k, replace=False, p=w / w.sum()))
    while True:
        u1 = [y1_units[i] for i in rng.permutation(len(y1_units))]
        u2 = [y2_units[i] for i in rng.permutation(len(y2_units))]
        both_units, y1only_units, y2only_units = u1[:2] + u2[:5], u1[2:], u2[5:]
        if sum(u[1] != "lesson" for u in u2[:5]) != 1:
            continue
        # both-years: 6 teachers, one of them with two incomplete cycles
        b = pick("both_years", 6)
        b_slots = b + [b[0]]
        # year2-only: 19 teachers, 4 with two incomplete cycles
        y = pick("year2_only", 19)
        y_slots = y + y[:4]
        y1 = pick("year1_only", 5)
        assign = list(zip(b_slots, both_units)) + list(zip(y_slots, y2only_units)) + list(zip(y1, y1only_units))
        ok = True
        seen = {}
        for t, (cyc, what) in assign:
            seen.setdefault(t, []).append((cyc, what))
        for t, units in seen.items():
            cycles = [u[0] for u in units]
            if len(set(cycles)) < len(cycles):
                ok = False
            if sum(u[1] != "lesson" for u in units) > 1:   # keep >= 1 preconference, 4 teachers with 1
                ok = False
        if ok:
            break
    missing = {(t, cyc): what for t, units in seen.items() for cyc, what in units}
    # Two of the four Year 2-only teachers left with one preconference trade coaches
    # with the two partners of a Year 2 coach, so that coach keeps no pair with two or
    # more preconferences: 99 usable pairs in 33 coaches (HLM's 66 + 32 df).
    singles = sorted(t for t, units in seen.items()
                     if t in ids["year2_only"] and any(u[1] != "lesson" for u in units))
    partners = teachers.index[teachers.coach_id == SINGLE_PC_COACH].tolist()
    for row, t in zip(partners, [singles[i] for i in SINGLE_PC_MOVERS]):
        other = teachers.index[teachers.teacher_id == t][0]
        teachers.loc[[row, other], "coach_id"] = teachers.loc[[other, row], "coach_id"].to_numpy()

    expected_cycles = {"both_years": LESSON_CYCLES, "year1_only": (1, 2, 3), "year2_only": (4, 5, 6, 7)}
    pcs, lessons = [], []
    for t, g in zip(teachers.teacher_id, teachers.cohort):
        for cyc in expected_cycles[g]:
            what = missing.get((t, cyc))
            if cyc in PC_CYCLES and what not in ("pc", "both"):
                pcs.append((t, cyc))
            if what not in ("lesson", "both"):
                lessons.append((t, cyc))
    pcs = pd.DataFrame(pcs, columns=["teacher_id", "data_cycle"])
    lessons = pd.DataFrame(lessons, columns=["teacher_id", "data_cycle"])

    teachers["in_year1"] = teachers.cohort.isin(["both_years", "year1_only"]).astype(int)
    teachers["in_year2"] = teachers.cohort.isin(["both_years", "year2_only"]).astype(int)
    teachers["n_data_cycles"] = teachers.cohort.map({g: len(c) for g, c in expected_cycles.items()})
    n_inc = pd.Series({t: len(u) for t, u in seen.items()})
    teachers["n_incomplete_cycles"] = teachers.teacher_id.map(n_inc).fillna(0).astype(int)
    teachers["data_availability"] = teachers.n_incomplete_cycles.map(
        {0: "complete", 1: "one_incomplete", 2: "two_incomplete"})
    teachers["n_preconferences"] = teachers.teacher_id.map(pcs.teacher_id.value_counts()).fillna(0).astype(int)
    teachers["n_lessons"] = teachers.teacher_id.map(lessons.teacher_id.value_counts()).fillna(0).astype(int)

    # ---- coaches ----
    ctx = rng.choice(["urban", "suburban", "rural"], len(coaches), p=[0.3, 0.3, 0.4])
    base = rng.choice(["school", "district"], len(coaches), p=[0.6, 0.4])
    coach_df = pd.DataFrame({
        "coach_id": coaches,
        "selection": ["initial_selection"] * N_COACHES_Y1 + ["invited_year2"] * 2,
        "year_joined": [1] * N_COACHES_Y1 + [2] * 2,
        "last_year": [1 if c in leavers else 2 for c in coaches],
        "active_year1": [int(c in y1_coaches) for c in coaches],
        "active_year2": [int(c not in leavers) for c in coaches],
        "context": ctx,
        "base": base,
    })
    y1t = teachers[teachers.in_year1 == 1].coach_id.value_counts()
    y2t = teachers[teachers.in_year2 == 1].coach_id.value_counts()
    coach_df["n_teachers_year1"] = coach_df.coach_id.map(y1t).fillna(0).astype(int)
    coach_df["n_teachers_year2"] = coach_df.coach_id.map(y2t).fillna(0).astype(int)
    return coach_df, teachers, pcs, lessons, strength
