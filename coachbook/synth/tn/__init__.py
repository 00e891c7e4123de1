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
category counts solved to match the Table 4 mean and SD (``counts.solve_counts``:
a discretized normal fitted to M and SD, rounded, then single cases moved while
that helps; appropriate content has round(M x N) ones; advancing questions is
solved on its raw 0-2 scale at M/1.5 and SD/1.5). The loading l_c is set per
cycle by bisection so that the composite's SD equals Table 4's. The composite is
mean(3 x appropriate content, solution paths, 1.5 x advancing questions, math
content), which reproduces every Table 4 composite mean within .01.

Because the thresholds move with the Table 4 means, the growth rates are not
inputs: the cohorts are exchangeable, so within-pair change follows the cycle
means. The variance parameters above were set by hand (a few runs), aiming at
a significant pair-level variance in status and none in growth in the two-level
linear model of the composite (the paper's HLM chi-squares 130.33 and 96.98 on
98 df); they are not solved for, and the chi-squares they give are computed,
not stated here (``chapters/03-dbir/growth-in-coaching.ipynb``). The
appropriate-content logit slope (1.19) is an output of a random-intercept
logistic model, not a parameter.

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

What holds for every seed, and what does not
--------------------------------------------
Exact by construction: the design counts (Tables 2-5, Participants), the RQ3
group sizes (23 / 54 / 26), the 15 teachers at ceiling and the 32 starting at
6-7.5, and every Table 4 and Table 5 mean to the printed digits (SDs as close as
the whole-number scores allow). Everything a model estimates (growth rates,
chi-squares, deviance tests, the RQ2 gain, the RQ3 effect sizes, the
within-teacher estimate, the ICCs) varies by seed about as much as its standard
error. This docstring deliberately states none of those values for the bundled
seed, since they would drift from the chapters: the chapters compute them
beside the published numbers, and ``tests/test_growth_replication.py`` and
``tests/test_synth_tn.py`` check them against the paper.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from coachbook.synth.tn.codebook import CODEBOOK
from coachbook.synth.tn.design import COACHING_CYCLE, YEAR, _design
from coachbook.synth.tn.double_scored import _double_scored
from coachbook.synth.tn.lessons import _lessons
from coachbook.synth.tn.preconferences import _composite, _preconferences

__all__ = ["CODEBOOK", "generate"]


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
