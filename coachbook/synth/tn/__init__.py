"""Synthetic data for Russell et al. (2020): the Tennessee Math Coaching Model.

The study's videos and scores are confidential, so the book runs on five
synthetic files that copy the published design exactly and reproduce the
published numbers as far as a seeded generator can. Nothing here is real data.

=====================  ==========================================================
``tn/coaches``         34 coaches (32 in Year 1; 2 leave, 2 join in Year 2)
``tn/teachers``        103 partner teachers, their coach, cohort, data availability
``tn/preconferences``  311 scored prelesson planning conferences (Table 4)
``tn/lessons``         410 scored lesson videos (Table 5), linked to preconferences
``tn/double_scored``   the 33 double-scored Year 1 videos, two rows each
=====================  ==========================================================

Published numbers are taken from ``data/published/russell_2020.csv`` (keys in
its ``.md``) and copied into the constants below; generation never reads them.

Design (exact by construction, for every seed)
----------------------------------------------
*Coaches.* 62 complete applications, 32 coaches selected (Participants); two
coaches (drawn at random) leave after Year 1 and two more from the applicant
pool join in Year 2, so 34 coach ids. The paper's counts do not allow exactly
two partners per coach (65 Year 1 and 62 Year 2 teachers), so one Year 1 coach
has three partners; of the 30 continuing coaches, 24 keep one Year 1 partner
(the 24 two-year teachers) and 6 replace both; 22 of the 24 keepers add one new
teacher and 2 cannot replace theirs ("in some cases coaches were not able to
replace a teacher"); the 6 replacing coaches and the 2 new coaches add two
each: 38 Year 2-only teachers (Table 2: 41 / 38 / 24). Context
(urban/suburban/rural) and base (school/district) are not printed per coach;
they are drawn with probabilities .3/.3/.4 and .6/.4 and are illustrative only.

*Missing data.* Table 4 and Table 5 fix the missing preconferences per cycle
(2, 0, 1, 1, 4: 8 of the 319 expected) and videos (3, 0, 3, 2, 7, 9, 9: 33 of
443). Table 2 fixes 35 incomplete teacher-cycles (18/5/1, 36/5/0, 19/15/4). A
data cycle is counted as incomplete when its preconference, its video or both
are missing; since 8 + 33 = 41 > 35, six cycles (two in cycle 1, one in 5,
three in 6) miss both. Two of the seven Year 1 incomplete cycles and five of
the 28 Year 2 ones belong to two-year teachers. Exactly four Year 2-only
teachers miss one preconference and keep one, so 99 pairs have two or more
preconferences: that is why HLM's chi-square tests of the pair-level variances
have 98 df. Two of the four (``SINGLE_PC_MOVERS``, in id order) then trade
coaches with the two partners of C33 (``SINGLE_PC_COACH``), a coach who joined
in Year 2, so that coach keeps no usable pair and the 99 pairs sit in 33
coaches: the three-level tests' 66 df within and 32 between coaches. The paper
does not say which coach had no usable pair; this is one design consistent with
its df.
Which teachers have incomplete cycles is random, with weights
exp(-1.5 x teaching strength) (``MISSING_WEAKNESS``), so that weaker teachers
lose more videos (as attrition usually runs) and late-cycle means are a little
above the within-teacher trend.

*Time* (``TIME``, years since data cycle 1) is not printed. It is set from the
calendar the paper gives: cycles 1-3 in fall, winter and spring of Year 1 (0,
.25, .5), the Year 2 baseline lesson before coaching resumed (.9), cycles 5-6 in
fall and early spring of Year 2 (1.05, 1.3) and the postcoaching lesson at the
end of Year 2 at 1.55 = ES .95 / ES per year .61 (the "approximately 1 1/2
year" span of RQ2).

Preconferences (Table 4 exact; RQ1 and RQ3 emerge)
--------------------------------------------------
Each preconference gets a latent common factor f = coach effect (SD .25) + pair
effect (SD .65) + pair slope (SD .15 per year) x time + pair-by-cycle shock (SD
.80), standardized within cycle. Each item's latent score is
l_c f + sqrt(1 - l_c^2) e, with e standard normal for solution paths, advancing
questions and math content and standardized logistic for appropriate content,
so that item is a logistic regression on f. Within each cycle the cases are
ranked on the item's latent score and cut at empirical thresholds that give
category counts solved to match the Table 4 mean and SD (:func:`solve_counts`:
a discretized normal fitted to M and SD, rounded, then single cases moved while
that helps; appropriate content has round(M x N) ones; advancing questions is
solved on its raw 0-2 scale at M/1.5 and SD/1.5). The loading l_c is set per
cycle by bisection so that the composite's SD equals Table 4's. The composite is
mean(3 x appropriate content, solution paths, 1.5 x advancing questions, math
content), which reproduces every Table 4 composite mean within .01.

Because the thresholds move with the Table 4 means, the growth rates are not
inputs: the cohorts are exchangeable, so within-pair change follows the cycle
means. The variance parameters above were set by hand (a few runs) so that, on
the bundled seed, the two-level linear model of the composite gives a
significant pair-level variance in status and none in growth (HLM chi-square
130.33 and 96.98 on 98 df). The appropriate-content logit slope (1.19) is an
output of a random-intercept logistic model, not a parameter.

The RQ3 groups use the standardized composite (z over the 311 preconferences):
a teacher's average z is the between-teacher predictor and each preconference's
deviation from it the within-teacher one. Post-hoc adjustment: whole
preconference rows (all four items) are swapped between two teachers within a
cycle, smallest change first, until 23 / 54 / 26 teachers have average z
<= -.5 / between / >= .5. A swap keeps each cycle's joint item distribution, so
Table 4 and the standardization are untouched; the bundled files need 4 swaps
(before them the groups held 27 / 47 / 29 teachers).

Lessons (Table 5 exact; RQ2 and RQ3 emerge)
-------------------------------------------
Each video gets a latent teaching score: teacher strength (SD 1) +
(teacher slope, SD .25, + .65 x average depth z) x years since the teacher's
first video + .19 x within-teacher depth deviation (0 without a preconference)
+ coach-assist effects (0, .1, .3) + rater leniency (SD .15) + noise (SD .77).
Within each cycle, videos are ranked on it and given the opportunities composite
values (2 to 8 in steps of .5) in counts solved to match Table 5's M and SD
(cycle 1 with exactly 12 videos at 8). Coach assists are counts matched to
Table 5's M and SD, given to the highest propensities
(-0.6 x strength + N(0, 1)). So Table 5 holds for every seed. Each composite v
is split into maintenance of demand m (2-8) and attention a (1-4) with
m/2 + a = v, favouring m close to 2a (a first video below 8 never gets m = 8),
and m into its two 1-4 ratings, favouring written-to-setup >= setup-to-enactment.
Raters R1-R7 get an equal share of videos at random.

Post-hoc adjustment: opportunities scores are swapped within a cycle between a
first video and a later video of another teacher (cycles 2, 4, 5; nearest
latent scores first) until exactly 15 teachers (15%) score 8 on their first
recorded video and 32 (31%) score 6 to 7.5. Maintenance is 8 on a first video
exactly when the composite is 8, so the 15 are also the teachers "at ceiling on
maintenance of cognitive demand". The bundled files need 7 such swaps (before
them, 14 teachers scored 8 and 26 scored 6-7.5 on their first video).

The lesson parameters were set by hand, not fitted, over a few runs: the depth
slope (.65) and the within effect (.19) aim at the RQ3 group effect sizes and a
within-teacher estimate within 20% of .20 with p near .055. The noise SD (.77,
up from .75) is part of that: with the model's standard error of about .08, an
estimate of .16 or more would fall below p = .05, and the slightly noisier
lessons raise the standard error (the paper's .20 with p = .055 implies about
.10); the small assist effects follow endnote 14 (assist effects muted once the
coached indicator is in); the Year 2-only teachers get no offset: an offset for
their "need for improvement" only raised the model-based gain, which is already a
little above 1.51.

Double-scored videos
--------------------
33 Year 1 videos: 9 with a coach assist coded by the primary rater and 24
without, of which 2 get an assist from the second rater only, so 22 videos have
no assist from either rater and 11 an assist from at least one (the n = 22 and
n = 11 of Measures). Read with endnote 2, the two ICCs .72 and .52 are the
reliability of the *opportunities composite* within those two groups, not of
the assist codes. Row ``rating == 1`` copies the video's row in
``tn/lessons``; the second rater's score is the first plus normal error made
orthogonal to it, reflected at 2 and 8 and rounded to .5, with one error scale
per group chosen on a grid so that ICC(1,1) is as close as possible to .72,
.52 and (all 33) .62. The paper's "176 Year 1 videos" is not reproduced:
Table 5 has 189 Year 1 videos, and the 33 are drawn from those.

What the bundled files (``SEED``) give
--------------------------------------
Table 4: every mean within .005, every SD within 10% (the largest gaps are the
appropriate-content SDs, which a 0/1 item with the printed mean cannot match;
the printed SDs are model-based). Table 5: means within .005, SDs within 1%.
RQ1 (REML, random intercept and slope): composite .357 per year (.319/.338),
solution paths .382 (.356); random-intercept logistic, appropriate content 1.21
logits per year (1.19); HLM chi-squares 128.3 (p = .022) for status and 71.2
(p = .98) for growth on 98 df, and on 66 df (pairs within coaches) and 32 df
(between coaches) in the three-level model, as published; adding the Year 2
increment improves the math content model (LR 15.7, 1 df) but not advancing
questions (2.8, p = .10).
RQ2 (cubic, assist dummies, rater, coached; no level-2 predictors): gain 1.57
over 1.55 years (1.51). With the ceiling indicator (grand-mean centred) the gain
is 1.63 on average and 1.96 for teachers not at ceiling. RQ3: effect sizes at
the group means of average depth, with the pooled within-cycle SD, .70 / 1.04 /
1.34 (.66 / .95 / 1.26); within-teacher depth .163, p = .052 (.20, p = .055).
ICC(1,1): .63 / .72 / .52.
Other seeds give the same Tables 4 and 5 and counts, but the model-based
numbers vary by seed about as much as their standard errors.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, stats

from . import FileSpec, Variable

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
    return (3 * df["appropriate_content"] + df["solution_paths"]
            + 1.5 * df["advancing_questions"] + df["math_content"]) / 4


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
            comp = (3 * items["appropriate_content"] + items["solution_paths"]
                    + 1.5 * items["advancing_questions"] + items["math_content"]) / 4
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


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------
def generate(seed: int) -> dict[str, pd.DataFrame]:
    """Every file of the study, keyed by data name (``"tn/coaches"`` ...)."""
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)]
    coaches, teachers, pcs, lessons, strength = _design(streams[0])
    pcs = _preconferences(streams[1], teachers, pcs)
    pcs = pcs.sort_values(["teacher_id", "data_cycle"]).reset_index(drop=True)
    pcs.insert(0, "preconference_id", [f"PC{i:03d}" for i in range(1, len(pcs) + 1)])
    pcs["year"] = pcs.data_cycle.map(YEAR)
    pcs["coaching_cycle"] = pcs.data_cycle.map(COACHING_CYCLE)
    pcs["advancing_questions_rescaled"] = 1.5 * pcs.advancing_questions
    pcs["composite"] = _composite(pcs).round(4)
    pcs = pcs[["preconference_id", "teacher_id", "coach_id", "data_cycle", "year", "coaching_cycle",
               "time", "appropriate_content", "solution_paths", "advancing_questions",
               "advancing_questions_rescaled", "math_content", "composite"]]

    les = _lessons(streams[2], teachers, lessons, pcs, strength)
    les = les.sort_values(["teacher_id", "data_cycle"]).reset_index(drop=True)
    les.insert(0, "lesson_id", [f"L{i:03d}" for i in range(1, len(les) + 1)])
    les = les[["lesson_id", "teacher_id", "coach_id", "data_cycle", "year", "coaching_cycle",
               "coached", "time", "has_preconference", "preconference_id", "rater_id", "coach_assists",
               "demand_written_to_setup", "demand_setup_to_enactment", "maintenance_of_demand",
               "attention_raw", "attention_to_student_thinking", "opportunities"]]
    for col in les.columns:
        if col not in ("lesson_id", "teacher_id", "coach_id", "preconference_id", "rater_id", "time",
                       "opportunities"):
            les[col] = les[col].astype(int)
    ds = _double_scored(streams[3], les)
    teachers = teachers[["teacher_id", "coach_id", "cohort", "in_year1", "in_year2", "n_data_cycles",
                         "n_incomplete_cycles", "data_availability", "n_preconferences", "n_lessons"]]
    files = {"tn/coaches": coaches, "tn/teachers": teachers, "tn/preconferences": pcs,
             "tn/lessons": les, "tn/double_scored": ds}
    for name, frame in files.items():
        frame = frame.reset_index(drop=True)
        for col in frame.columns:
            if pd.api.types.is_float_dtype(frame[col]):
                frame[col] = frame[col].round(4)
        files[name] = frame
    return files


# ---------------------------------------------------------------------------
# Codebook
# ---------------------------------------------------------------------------
_T2 = "Table 2"
_T3 = "Table 3"
_T4 = "Table 4"
_T5 = "Table 5"
_TIME = ("years since data cycle 1 (fall of Year 1): cycle 1 = 0, 2 = .25, 3 = .5, 4 = .9, "
         "5 = 1.05, 6 = 1.3, 7 = 1.55; not printed, set from the calendar in the text and the "
         "1.5-year span of RQ2 (ES .95 / .61 per year)")

CODEBOOK: dict[str, FileSpec] = {
    "tn/coaches": FileSpec(
        description=(
            "The coaches of the study. Selection funnel (Participants): 62 complete applications, "
            "written and oral tasks scored on a five-dimension rubric, 32 coaches selected for "
            "Year 1; two of them did not continue into Year 2 (one retired, one left because of "
            "disorder in her coaching context) and two more were invited from the original "
            "applicant pool for Year 2, so 34 coaches in all (32 per year). The 28 applicants "
            "never coached are not represented. Per-coach context and base are not published: "
            "they are random and only illustrative."),
        unit="coach",
        variables=(
            Variable("coach_id", "str", "coach identifier", "C01-C34", "Participants"),
            Variable("selection", "category", "how the coach entered the study",
                     "initial_selection (32 of 62 applicants), invited_year2 (2, from the applicant pool)",
                     "Participants"),
            Variable("year_joined", "int", "study year of the coach's first coaching cycle", "1, 2",
                     "Participants"),
            Variable("last_year", "int", "study year of the coach's last coaching cycle "
                     "(1 = left after Year 1)", "1, 2", "Participants"),
            Variable("active_year1", "int", "coached in Year 1 (2014-15)", "0, 1", "Participants"),
            Variable("active_year2", "int", "coached in Year 2 (2015-16)", "0, 1", "Participants"),
            Variable("context", "category", "coaching context (illustrative, not published per coach)",
                     "urban, suburban, rural", "Participants (categories only)"),
            Variable("base", "category", "formal coaching role (illustrative, not published per coach)",
                     "school, district", "Participants (categories only)"),
            Variable("n_teachers_year1", "int", "partner teachers coached in Year 1",
                     "0-3 (65 in all; one coach had three)", "Table 2; Participants"),
            Variable("n_teachers_year2", "int", "partner teachers coached in Year 2",
                     "0-2 (62 in all)", "Table 2; Participants"),
        ),
    ),
    "tn/teachers": FileSpec(
        description=(
            "The 103 partner teachers with their coach, years of participation and data "
            "availability, exactly as in Table 2. A data cycle is counted as incomplete when its "
            "preconference, its lesson video or both are missing (uncoached cycles 4 and 7 have "
            "only a video)."),
        unit="partner teacher (one coach-teacher pair)",
        variables=(
            Variable("teacher_id", "str", "teacher identifier (Year 1 teachers first)", "T001-T103", _T2),
            Variable("coach_id", "str", "the teacher's coach (the same in both years)", "C01-C34",
                     "Participants"),
            Variable("cohort", "category", "years of participation; Table 2 rows 'Participated in "
                     "Years 1 and 2', 'in Year 1 only', 'in Year 2 only'",
                     "both_years (24), year1_only (41), year2_only (38)", _T2),
            Variable("in_year1", "int", "coached in Year 1", "0, 1", _T2),
            Variable("in_year2", "int", "coached in Year 2", "0, 1", _T2),
            Variable("n_data_cycles", "int", "data cycles expected for the cohort",
                     "7 (both years), 3 (Year 1 only), 4 (Year 2 only)", _T2),
            Variable("n_incomplete_cycles", "int", "expected data cycles with a missing "
                     "preconference and/or video", "0, 1, 2", _T2),
            Variable("data_availability", "category", "Table 2 column",
                     "complete (73), one_incomplete (25), two_incomplete (5)", _T2),
            Variable("n_preconferences", "int", "preconferences in tn/preconferences",
                     "1-5 (311 in all; mean 3.02)", "Table 4; Analytic approach"),
            Variable("n_lessons", "int", "lesson videos in tn/lessons",
                     "2-7 (410 in all; mean 3.98)", "Table 5; Analytic approach"),
        ),
    ),
    "tn/preconferences": FileSpec(
        description=(
            "Scored prelesson planning conferences (data cycles 1, 2, 3, 5, 6 = coaching cycles "
            "1-5): 63, 65, 64, 61, 58. Per-cycle means and SDs of every item and of the composite "
            "match Table 4 (items by construction, composite SD by calibration). Join to "
            "tn/lessons on preconference_id (or teacher_id + data_cycle)."),
        unit="preconference (teacher x data cycle)",
        variables=(
            Variable("preconference_id", "str", "preconference identifier", "PC001-PC311", _T4),
            Variable("teacher_id", "str", "partner teacher (coach-teacher pair)", "T001-T103", _T2),
            Variable("coach_id", "str", "coach", "C01-C34", "Participants"),
            Variable("data_cycle", "int", "data cycle", "1, 2, 3, 5, 6", _T3),
            Variable("year", "int", "study year", "1 (cycles 1-3), 2 (cycles 5-6)", _T3),
            Variable("coaching_cycle", "int", "coaching cycle", "1-5", _T3),
            Variable("time", "float", "time in years for growth models; " + _TIME,
                     "0, .25, .5, 1.05, 1.3", "Text: RQ1 effect sizes, RQ2"),
            Variable("appropriate_content", "int", "mathematics content appropriate for the grade "
                     "level (Table 4 values are model-based marginal means, footnote a)",
                     "0, 1", "Table 1; Table 4"),
            Variable("solution_paths", "int", "discussion of student thinking: multiple solution "
                     "paths", "0-3", "Table 1; Table 4"),
            Variable("advancing_questions", "int", "discussion of pedagogy: advancing questions, "
                     "raw rubric", "0-2", "Table 1"),
            Variable("advancing_questions_rescaled", "float", "advancing questions on the 0-3 scale "
                     "(= 1.5 x raw, endnote 1); the scale of Table 4", "0, 1.5, 3", "Table 4"),
            Variable("math_content", "int", "discussion of specific math content", "0-3",
                     "Table 1; Table 4"),
            Variable("composite", "float", "preconference depth and specificity = mean(3 x "
                     "appropriate_content, solution_paths, advancing_questions_rescaled, "
                     "math_content); reproduces Table 4's composite means", "0-3", _T4),
        ),
    ),
    "tn/lessons": FileSpec(
        description=(
            "Scored lesson videos in data cycles 1-7: 62, 65, 62, 60, 55, 53, 53 (Table 5). "
            "Cycles 4 (Year 2 baseline) and 7 (Year 2 postcoaching) are uncoached. Per-cycle M and "
            "SD of the opportunities composite and of coach assists match Table 5. 15 teachers "
            "(15%) score 8 on their first recorded video (maintenance = 8; the 'Init. Tch. at "
            "Ceiling' indicator) and 32 (31%) score 6-7.5. The first recorded video is the "
            "cycle-1 video for Year 1 teachers and the cycle-4 baseline for Year 2-only teachers "
            "(the next one when that is missing)."),
        unit="lesson video (teacher x data cycle)",
        variables=(
            Variable("lesson_id", "str", "video identifier", "L001-L410", _T5),
            Variable("teacher_id", "str", "partner teacher", "T001-T103", _T2),
            Variable("coach_id", "str", "coach", "C01-C34", "Participants"),
            Variable("data_cycle", "int", "data cycle", "1-7", _T3),
            Variable("year", "int", "study year", "1 (cycles 1-3), 2 (cycles 4-7)", _T3),
            Variable("coaching_cycle", "int", "coaching cycle; 0 for the uncoached videos",
                     "0-5", _T3),
            Variable("coached", "int", "video from a coached cycle (Table 5 'Coached cycle?')",
                     "0 (cycles 4, 7), 1", _T5),
            Variable("time", "float", "time in years for growth models; " + _TIME,
                     "0-1.55", "Text: RQ2"),
            Variable("has_preconference", "int", "the same teacher and cycle has a scored "
                     "preconference", "0, 1", "Table 4"),
            Variable("preconference_id", "str", "the linked preconference; empty when none "
                     "(uncoached cycle or missing preconference)", "PC001-PC311 or empty", "Table 4"),
            Variable("rater_id", "str", "video rater (seven raters, videos evenly distributed)",
                     "R1-R7", "Measures"),
            Variable("coach_assists", "int", "degree the coach assisted during the lesson",
                     "0 = none, 1 = minor prompts, 2 = helped coteach", "Table 1; Table 5"),
            Variable("demand_written_to_setup", "int", "maintenance of cognitive demand from task "
                     "as written to task as set up", "1-4", "Table 1"),
            Variable("demand_setup_to_enactment", "int", "maintenance of cognitive demand from set "
                     "up to enactment", "1-4", "Table 1"),
            Variable("maintenance_of_demand", "int", "maintenance of cognitive demand = sum of the "
                     "two ratings", "2-8", "Table 1"),
            Variable("attention_raw", "int", "attention to student thinking, raw rubric", "1-4",
                     "Table 1"),
            Variable("attention_to_student_thinking", "int", "attention to student thinking "
                     "converted to 2-8 (= 2 x raw)", "2, 4, 6, 8", "Table 1"),
            Variable("opportunities", "float", "students' opportunities to engage in conceptual "
                     "thinking = mean(maintenance_of_demand, attention_to_student_thinking)",
                     "2-8 in steps of .5", _T5),
        ),
    ),
    "tn/double_scored": FileSpec(
        description=(
            "The 33 Year 1 videos scored by two raters, two rows per video (rating 1 = the score "
            "in tn/lessons, rating 2 = the second rater). 22 videos have no assist coded by either "
            "rater and 11 have an assist coded by at least one. The ICCs of the opportunities "
            "composite, coachbook.estimators.icc.icc(data, 'lesson_id', 'rating', 'opportunities'), "
            "are calibrated in the ICC(1,1) form (one-way random: each video had its own pair of "
            "raters): about .62 for all 33, .72 for assist_subset == 'none' (n = 22) and .52 for "
            "'any' (n = 11); the two-way forms are close because the rating slot carries no "
            "systematic effect."),
        unit="rating of a double-scored video (lesson x rating)",
        variables=(
            Variable("lesson_id", "str", "video (joins tn/lessons)", "33 of L001-L410 (Year 1)",
                     "Measures"),
            Variable("rating", "int", "1 = primary score (as in tn/lessons), 2 = reliability "
                     "rescore", "1, 2", "Measures"),
            Variable("rater_id", "str", "who gave this rating (the two raters differ)", "R1-R7",
                     "Measures"),
            Variable("demand_written_to_setup", "int", "as in tn/lessons", "1-4", "Table 1"),
            Variable("demand_setup_to_enactment", "int", "as in tn/lessons", "1-4", "Table 1"),
            Variable("maintenance_of_demand", "int", "as in tn/lessons", "2-8", "Table 1"),
            Variable("attention_raw", "int", "as in tn/lessons", "1-4", "Table 1"),
            Variable("attention_to_student_thinking", "int", "as in tn/lessons", "2, 4, 6, 8",
                     "Table 1"),
            Variable("opportunities", "float", "opportunities composite; the score whose ICC is "
                     "reported", "2-8", "Measures: ICC .62, .72, .52"),
            Variable("coach_assists", "int", "this rater's coach-assist code", "0-2", "Measures"),
            Variable("assist_subset", "category", "none = both raters coded no assist (n = 22); "
                     "any = at least one coded an assist (n = 11)", "none, any",
                     "Measures: ICC .72 (n = 22), .52 (n = 11); endnote 2"),
        ),
    ),
}
