"""Synthetic roster of the MQI Coaching trial: teachers, coaches, sessions, PD survey.

Kraft and Hill (2019) randomized 142 volunteer math teachers (Grades 3-8) in
51 schools of two Midwestern districts to MQI Coaching (72) or control (70),
blocking on school type within district. Their data are confidential; this
module builds a synthetic roster that mirrors the design and reproduces the
published descriptive tables. Every number below that is not a free modelling
choice is taken from the paper (EdWorkingPaper 19-119) as transcribed in
``data/published/kraft_hill_2019.csv``; the table is named where it is used.

How the files are built (``generate_roster``)
---------------------------------------------
1. **Schools and blocks.** 73 teachers in the large urban district and 69 in
   the small suburban one (Text). School types are those the paper blocked
   on (elementary, K-8, middle, charter; Randomized Field Trial Design). The
   split of teachers over types is *assumed* (the paper prints none): urban
   30 elementary-school / 26 K-8 / 8 middle-school / 9 charter teachers,
   suburban 45 / 0 / 18 / 6, so that 15 teachers are in charters (Text) and
   71% teach upper-elementary grades in each district (Table 1: 52 of 73,
   49 of 69). Schools per type are assumed (12/8/4/3 urban, 15/0/6/3
   suburban = 51, Text); teachers are spread over a type's schools at
   random with at least one each, so many schools have one participant, as
   the paper says. A block is district x school type (7 blocks).
2. **Randomization.** :func:`coachbook.estimators.randomization.randomize_within_blocks` (half of
   each block, a coin for odd blocks), re-drawn from a seeded stream until
   the arms have the published 72/70 and the elementary share is 0.71 in
   both arms (Table 1 prints 0.71 in every column). This is a restricted
   randomization; the restriction is on sizes, not on any characteristic.
3. **Baseline characteristics (Table 1).** Each 0/1 characteristic gets an
   integer count in each district x arm cell, chosen so that the district,
   arm and full-sample shares are as close as integers allow to Table 1
   (:func:`_cell_counts`); inside a cell the holders are picked by a latent
   score plus noise, which builds in plausible correlations (math degree,
   math courses and MKT go together; men teach middle school more often;
   a master's in education implies a graduate degree). Race is one
   categorical draw per teacher (Black, Hispanic, White or other). Age,
   experience and MKT are drawn from smooth distributions and shifted
   inside each cell so that the cell means reproduce Table 1's district and
   arm means (:func:`_cell_means`). Experience is drawn in the prose's
   bands (17% 0-4 years, 44% 5-15, 39% 16+; uniform in the first two,
   16 + gamma(1.5, 4.5) in the top one); age = experience + an entry
   age of 22 + gamma(1.6, 3) years. Course counts use the 1-5 scale of
   Table A3 (1 = no course ... 5 = six or more); "three or more courses"
   (Table 1) is read as a scale value of 3 or more, an assumption, and the
   values inside each half are set so that the full-sample means match the
   stayer/leaver-weighted means of Table A3 (advanced 1.76, content 2.41,
   methods 2.20). MKT and the three survey scales (openness to feedback,
   challenges with student behavior, use of reform practices; Measures)
   are in SD units; the scales have mean 0 and SD 1 in the sample
   (Table A3's weighted means are 0 within 0.02) and modest assumed
   correlations (openness-reform 0.3, urban +0.3 SD challenges).
4. **Follow-up status (Table 4) and missing outcomes (Table A1, A3).** The
   counts are fixed by the published constants and treatment coefficients
   (constant x 70 control and (constant + treat) x 72 treated teachers; the
   transcription notes confirm these match Tables 5-7 and A3): left the
   district by 2015-16 7 C / 3 T (two of them, 1 C / 1 T, before the
   implementation year began; Text), not teaching math 14 C / 7 T, not
   teaching math in a tested grade 20 C / 8 T; missing outcomes in the
   implementation year: reflection 13 C / 10 T, Ambitious Instruction
   13 C / 9 T, state test 6 C / 4 T, interim (MAP) test 3 C / 3 T; in the
   follow-up year: reflection 23 C / 19 T, MQI 24 C / 14 T, Ambitious
   Instruction 25 C / 15 T, state test 20 C / 8 T, interim (MAP/Star) test
   14 C / 7 T. The sets are nested as the design implies (leaving the
   district => not teaching math => not teaching a tested grade; the state
   and interim follow-up tests are observed exactly for teachers of a
   tested grade and of math, which is what the published counts imply; a
   teacher not teaching math has no follow-up MQI, reflection or student
   survey). *Post-hoc step:* which teachers are in each set is chosen by
   a seeded start and a swap search (:func:`_choose_set`) that (a) keeps
   the block-fixed-effect treatment coefficient of the missing indicator
   within about 0.05 published SE of Tables 4/A1, and (b) for the five
   follow-up outcome groups, moves the leaver-minus-stayer gaps on the 21
   Table A3 characteristics towards the published gaps (in SD units),
   while a Mahalanobis penalty (``MAHAL = 0.10``) stops the gaps combining
   into a pattern the joint F-test would flag; the weight was tuned on this
   seed and two others so that every joint p-value stays above 0.05.
5. **Coaching dosage.** 63 of 72 treated teachers had sessions; the nine
   without are the treated teacher who left before the school year plus
   eight, matching the eight treated teachers the appendix reports left
   the program (6 lack of time, 2 loss of interest). Cycle counts: 36 with
   10-17, 18 with 5-9, 9 with 1-4, 610 sessions in all (Text: 610 sessions
   covered by the coach survey; mean 9.7 = 610/63). Dosage depends only
   weakly on characteristics: teachers are ranked by
   0.25 x openness + 0.15 x reform - 0.15 x challenges + N(0, 1) noise
   (an assumption; the paper reports no such relation). Summer institute:
   68 of 72 attended at least one day, 61 both (Text); non-attenders are
   drawn among non-participants.
6. **Coaches** (:func:`generate_coaches`): Table 2 counts k/24 and means
   exactly; caseloads come from the teachers' ``coach_id``.
7. **Sessions** (:func:`generate_sessions`): one row per cycle, 610 rows;
   every fidelity share in the text reproduced with exact counts.
8. **PD survey** (:func:`generate_pd_survey`): the 119 respondents of the
   end-of-year survey, Table 3 counts exactly for the 57 control teachers.

Achieved fit at the bundled seed (checked by
``tests/test_synth_mqi_roster.py``): Table 1 means within 0.009 of the
printed proportions and 0.012 of the printed age, experience and MKT means
(balance p-values within 0.18 of Table 1's); Table 2 coach means within
0.005; Table 3 control shares within 0.5 points; Table 4 and Table A1
treatment coefficients within 0.05 published SE, their HC1 SEs within 5%;
Table A3 leaver-minus-stayer gaps within 0.83 SE of the published gaps and
joint F p-values 0.22-0.82 (published 0.40-0.76).

Every float is rounded to 4 decimals; ids and 0/1 flags are integers.
All randomness comes from ``numpy.random.default_rng([seed, k])`` with a
fixed key ``k`` per file (and per step), so files are independent streams
and each is reproducible on its own.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from coachbook.estimators.randomization import randomize_within_blocks
from coachbook.studies.kraft_hill.variables import A3_CHARACTERISTICS

from . import FileSpec, Variable

__all__ = ["PD_LEVELS", "ROSTER_CODEBOOK", "generate_coaches", "generate_pd_survey", "generate_roster",
           "generate_sessions", "generate_teachers"]

# Stream keys: one independent sub-stream per file / step.
_K_SCHOOLS, _K_ASSIGN, _K_CHARS, _K_STATUS, _K_DOSE = 11, 12, 13, 14, 15
_K_COACHES, _K_SESSIONS, _K_SURVEY = 21, 31, 41

N_URBAN, N_SUBURBAN = 73, 69
N_TREAT, N_CONTROL = 72, 70
DISTRICTS = ("urban", "suburban")

# (district, school type) -> (teachers, schools, elementary-grade teachers).
# Assumed split (see module docstring, step 1).
_BLOCKS = {
    ("urban", "elementary"): (30, 12, 30),
    ("urban", "K-8"): (26, 8, 17),
    ("urban", "middle"): (8, 4, 0),
    ("urban", "charter"): (9, 3, 5),
    ("suburban", "elementary"): (45, 15, 45),
    ("suburban", "middle"): (18, 6, 0),
    ("suburban", "charter"): (6, 3, 4),
}

# Table 1 targets: (urban, suburban, treatment, control, full sample).
_T1_BINARY = {
    "male": (0.15, 0.20, 0.15, 0.20, 0.18),
    "alt_cert": (0.05, 0.28, 0.19, 0.13, 0.16),
    "competitive_undergrad": (0.33, 0.32, 0.35, 0.30, 0.32),
    "undergrad_math": (0.14, 0.12, 0.11, 0.14, 0.13),
    "undergrad_education": (0.59, 0.42, 0.51, 0.50, 0.51),
    "any_grad_degree": (0.58, 0.71, 0.65, 0.63, 0.64),
    "masters_education": (0.41, 0.54, 0.43, 0.51, 0.47),
    "advanced_courses_3plus": (0.21, 0.20, 0.19, 0.22, 0.20),
    "content_courses_3plus": (0.36, 0.49, 0.46, 0.38, 0.42),
    "methods_courses_3plus": (0.18, 0.35, 0.29, 0.22, 0.26),
}
_T1_RACE = {
    "black": (0.01, 0.17, 0.06, 0.13, 0.09),
    "hispanic": (0.04, 0.14, 0.08, 0.10, 0.09),
    "white": (0.95, 0.65, 0.83, 0.77, 0.80),
}
_T1_CONT = {
    "age": (39.96, 42.09, 40.48, 41.51, 40.99),
    "experience": (13.71, 13.73, 14.35, 13.07, 13.72),
    "mkt": (0.17, -0.18, 0.09, -0.10, 0.00),
}
# Full-sample means of the 1-5 course scales (Table A3, stayer/leaver weighted).
_COURSE_MEANS = {"advanced": 1.76, "content": 2.41, "methods": 2.20}
# Share of the ">= 3" group at scale values 3, 4, 5 (assumed).
_COURSE_HIGH = {"advanced": (0.6, 0.3, 0.1), "content": (0.6, 0.3, 0.1), "methods": (0.7, 0.2, 0.1)}

# Missing counts (control, treated) implied by Tables 4 and A1.
_MISSING = {
    "left_district": (7, 3),
    "not_math": (14, 7),
    "not_tested": (20, 8),
    "reflection_y1": (13, 10),
    "ambitious_y1": (13, 9),
    "state_test_y1": (6, 4),
    "interim_test_y1": (3, 3),
    "reflection_y2": (23, 19),
    "mqi_y2": (24, 14),
    "ambitious_y2": (25, 15),
}
# Published treatment coefficient and SE of each missing indicator (sign:
# effect on *missing*; Table 4 effects on staying are negated).
_MISSING_BETA = {
    "left_district": (-0.059, 0.043),
    "not_math": (-0.106, 0.057),
    "not_tested": (-0.177, 0.064),
    "reflection_y1": (-0.050, 0.061),
    "ambitious_y1": (-0.064, 0.061),
    "state_test_y1": (-0.034, 0.043),
    "interim_test_y1": (-0.004, 0.034),
    "reflection_y2": (-0.072, 0.074),
    "mqi_y2": (-0.156, 0.070),
    "ambitious_y2": (-0.157, 0.071),
}

# Table A3: per follow-up outcome group, the published (stay, exit) means of the 21
# characteristics.
_A3 = {  # group -> list of (stay, exit) in A3_CHARACTERISTICS order
    "reflection_y2": [(.77, .57), (.23, .43), (.16, .21), (41.59, 39.55), (.08, .12), (.07, .14),
                      (.83, .74), (14.12, 12.77), (.17, .14), (.33, .31), (.09, .21), (.49, .55),
                      (.66, .60), (.49, .43), (1.73, 1.83), (2.42, 2.40), (2.19, 2.24),
                      (-.02, .04), (-.01, .03), (-.07, .18), (.06, -.15)],
    "mqi_y2": [(.76, .58), (.24, .42), (.16, .21), (41.16, 40.50), (.08, .13), (.08, .13),
               (.83, .74), (14.14, 12.56), (.16, .16), (.35, .26), (.11, .18), (.50, .53),
               (.66, .58), (.49, .42), (1.77, 1.74), (2.43, 2.37), (2.21, 2.18),
               (.00, .00), (-.01, .03), (-.07, .20), (.05, -.13)],
    "ambitious_y2": [(.76, .57), (.24, .43), (.17, .20), (41.47, 39.75), (.08, .13), (.08, .13),
                     (.82, .75), (14.12, 12.71), (.18, .13), (.34, .28), (.10, .20), (.50, .52),
                     (.66, .60), (.49, .43), (1.75, 1.77), (2.45, 2.33), (2.19, 2.25),
                     (.00, .00), (-.01, .02), (-.07, .19), (.02, -.05)],
    "not_tested": [(.73, .64), (.27, .36), (.17, .21), (41.63, 38.36), (.08, .14), (.10, .07),
                   (.81, .79), (14.09, 12.20), (.18, .11), (.33, .29), (.12, .14), (.54, .39),
                   (.65, .61), (.49, .39), (1.80, 1.61), (2.42, 2.39), (2.23, 2.11),
                   (-.05, .20), (-.04, .16), (-.02, .08), (.02, -.09)],
    "not_math": [(.74, .52), (.26, .48), (.17, .24), (41.48, 38.14), (.08, .14), (.09, .10),
                 (.81, .76), (13.95, 12.40), (.17, .10), (.33, .29), (.12, .19), (.52, .43),
                 (.65, .57), (.49, .38), (1.74, 1.86), (2.42, 2.38), (2.21, 2.19),
                 (-.06, .36), (-.03, .18), (-.02, .11), (.02, -.14)],
}


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


# --------------------------------------------------------------------------
# Teachers
# --------------------------------------------------------------------------
def _schools_and_blocks(rng: np.random.Generator) -> pd.DataFrame:
    rows, school_no = [], 0
    for (district, stype), (n_teach, n_schools, n_elem) in _BLOCKS.items():
        # Spread teachers over schools: one each, the rest by Dirichlet shares.
        share = rng.dirichlet(np.full(n_schools, 2.0))
        extra = rng.multinomial(n_teach - n_schools, share)
        sizes = 1 + extra
        school_ids = []
        for s in sizes:
            school_no += 1
            school_ids += [f"S{school_no:02d}"] * int(s)
        elem = np.zeros(n_teach, dtype=int)
        elem[rng.permutation(n_teach)[:n_elem]] = 1
        for sid, e in zip(school_ids, elem):
            rows.append({"school_id": sid, "district": district, "school_type": stype,
                         "block": f"{district}-{stype}", "elementary": int(e)})
    df = pd.DataFrame(rows)
    df = df.sort_values(["district", "school_id", "elementary"], ascending=[False, True, False],
                        kind="stable").reset_index(drop=True)
    df["middle"] = 1 - df["elementary"]
    grades = np.where(df["elementary"] == 1, rng.integers(3, 6, len(df)), rng.integers(6, 9, len(df)))
    df["grade"] = grades.astype(int)
    df.insert(0, "teacher_id", [f"T{i:03d}" for i in range(1, len(df) + 1)])
    return df


def _assign(df: pd.DataFrame, rng: np.random.Generator) -> pd.Series:
    """Randomize within blocks; re-draw until 72 treated with 51 elementary (0.71)."""
    for _ in range(10_000):
        draw = randomize_within_blocks(df, "block", seed=int(rng.integers(2**31)))
        if draw.sum() == N_TREAT and int((draw * df["elementary"]).sum()) == 51:
            return draw
    raise RuntimeError("no admissible randomization found")


def _characteristics(df: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    n = len(df)
    cell = list(zip(df["district"], df["treatment"]))
    cell_arr = np.array([f"{d}{a}" for d, a in cell])
    sizes = {c: int(sum(1 for x in cell if x == c)) for c in _cells()}
    masks = {c: cell_arr == f"{c[0]}{c[1]}" for c in sizes}
    urban = (df["district"] == "urban").to_numpy()
    middle = df["middle"].to_numpy()
    out = {}

    # --- continuous: MKT first (other math background keys on it).
    def shaped(draw: np.ndarray, target: tuple, sd: float | None) -> np.ndarray:
        means = _cell_means(sizes, target)
        x = draw.astype(float).copy()
        for c, m in masks.items():
            z = x[m] - x[m].mean()
            if sd is not None:
                z = z / z.std(ddof=0) * sd
            x[m] = means[c] + z
        return x

    out["mkt"] = shaped(rng.standard_normal(n), _T1_CONT["mkt"], 0.97)
    # experience bands of the prose (17% 0-4, 44% 5-15, 39% 16+ years); the
    # top band 16 + gamma(1.5, 4.5) gives the Table 1 mean of 13.7.
    band = rng.permutation(np.repeat([0, 1, 2], [24, 63, n - 87]))  # 17% / 44% / 39%
    exp_raw = np.select([band == 0, band == 1],
                        [rng.uniform(0, 4.5, n), rng.uniform(4.5, 15.5, n)],
                        15.5 + rng.gamma(1.5, 4.5, n))
    exp = shaped(exp_raw, _T1_CONT["experience"], None)
    exp_int = np.zeros(n, dtype=int)
    exp_means = _cell_means(sizes, _T1_CONT["experience"])
    for c, m in masks.items():
        exp_int[m] = _fix_int_sum(exp[m], round(exp_means[c] * m.sum()), rng, 0, 38)
    out["experience"] = exp_int
    entry = 22 + rng.gamma(1.6, 3.0, n)
    age_means = _cell_means(sizes, _T1_CONT["age"])
    age = np.zeros(n, dtype=int)
    for c, m in masks.items():
        e = entry[m] - entry[m].mean() + (age_means[c] - exp_int[m].mean())
        e = np.maximum(e, 21.5)
        age[m] = _fix_int_sum(exp_int[m] + e, round(age_means[c] * m.sum()), rng, 22, 66)
        age[m] = np.maximum(age[m], exp_int[m] + 21)
    out["age"] = age

    # --- race: one category per teacher, counts per cell from Table 1.
    race = np.full(n, "other", dtype=object)
    counts = {r: _cell_counts(sizes, t) for r, t in _T1_RACE.items()}
    for c, m in masks.items():
        idx = rng.permutation(np.flatnonzero(m))
        k_b, k_h, k_w = counts["black"][c], counts["hispanic"][c], counts["white"][c]
        if k_b + k_h + k_w > len(idx):
            raise RuntimeError("race counts exceed cell size")
        race[idx[:k_b]] = "black"
        race[idx[k_b:k_b + k_h]] = "hispanic"
        race[idx[k_b + k_h:k_b + k_h + k_w]] = "white"
    for r in ("black", "hispanic", "white"):
        out[r] = (race == r).astype(int)

    # --- binaries: holders inside each cell by latent score + noise.
    mkt = out["mkt"]
    mathy = 0.6 * mkt + 0.8 * rng.standard_normal(n)   # shared math-background latent
    latents = {
        "male": 0.9 * middle + rng.standard_normal(n),
        "alt_cert": -0.03 * (out["age"] - exp_int) + rng.standard_normal(n),
        "competitive_undergrad": 0.3 * mkt + rng.standard_normal(n),
        "undergrad_math": 1.2 * mathy + 0.6 * middle + rng.standard_normal(n),
        "undergrad_education": -0.5 * mathy - 0.4 * middle + rng.standard_normal(n),
        "any_grad_degree": 0.04 * exp_int + rng.standard_normal(n),
        "advanced_courses_3plus": 1.0 * mathy + 0.5 * middle + rng.standard_normal(n),
        "content_courses_3plus": 0.8 * mathy + 0.3 * middle + rng.standard_normal(n),
        "methods_courses_3plus": 0.4 * mathy + rng.standard_normal(n),
    }
    for var, score in latents.items():
        k = _cell_counts(sizes, _T1_BINARY[var])
        col = np.zeros(n, dtype=int)
        for c, m in masks.items():
            idx = np.flatnonzero(m)
            col[idx[_top_k(score[idx], k[c])]] = 1
        out[var] = col
    # master's in education: subset of any graduate degree.
    grad = out["any_grad_degree"]
    cap = {c: int(grad[m].sum()) for c, m in masks.items()}
    k = _cell_counts(sizes, _T1_BINARY["masters_education"], upper=cap)
    score = rng.standard_normal(n) + 0.5 * out["undergrad_education"] - 10 * (grad == 0)
    col = np.zeros(n, dtype=int)
    for c, m in masks.items():
        idx = np.flatnonzero(m)
        col[idx[_top_k(score[idx], k[c])]] = 1
    out["masters_education"] = col
    # master's in math: two teachers (Table 2 teachers column 0.01), graduate
    # degree holders without a master's in education, highest math latent.
    pool = (grad == 1) & (col == 0)
    score = np.where(pool, mathy + 0.5 * rng.standard_normal(n), -np.inf)
    out["masters_math"] = _top_k(score, 2).astype(int)

    # --- course scales 1-5 (Table A3), consistent with the 3+ indicators.
    for name in ("advanced", "content", "methods"):
        hi = out[f"{name}_courses_3plus"].astype(bool)
        vals = np.zeros(n, dtype=int)
        p3, p4, p5 = _COURSE_HIGH[name]
        idx_hi = np.flatnonzero(hi)
        n_hi = len(idx_hi)
        k5, k4 = round(p5 * n_hi), round(p4 * n_hi)
        order = idx_hi[np.argsort(-(mathy[idx_hi] + rng.standard_normal(n_hi)), kind="stable")]
        vals[order[:k5]] = 5
        vals[order[k5:k5 + k4]] = 4
        vals[order[k5 + k4:]] = 3
        # low half: number at 2 set so the full-sample mean hits Table A3
        idx_lo = np.flatnonzero(~hi)
        need = round(_COURSE_MEANS[name] * n) - int(vals[idx_hi].sum()) - len(idx_lo)
        k2 = int(np.clip(need, 0, len(idx_lo)))
        order = idx_lo[np.argsort(-(mathy[idx_lo] + rng.standard_normal(len(idx_lo))), kind="stable")]
        vals[order[:k2]] = 2
        vals[order[k2:]] = 1
        out[f"{name}_courses"] = vals

    # --- baseline survey scales (SD units; mean 0, SD 1 in the sample).
    z = rng.standard_normal((n, 3))
    openness = z[:, 0]
    reform = 0.3 * openness + np.sqrt(1 - 0.09) * z[:, 1]
    challenges = 0.3 * urban + z[:, 2]
    for name, v in (("openness_feedback", openness), ("behavior_challenges", challenges),
                    ("reform_practices", reform)):
        out[name] = (v - v.mean()) / v.std(ddof=1)
    return pd.DataFrame(out, index=df.index)


# --------------------------------------------------------------------------
# Follow-up status and missing outcomes
# --------------------------------------------------------------------------
def _within_block_treat(df: pd.DataFrame) -> np.ndarray:
    t = df["treatment"].to_numpy(dtype=float)
    return t - df.groupby("block")["treatment"].transform("mean").to_numpy()


def _choose_set(rng, treat, t_tilde, counts, beta, forced, pool, latent,
                x_std=None, gap_target=None, s_inv=None, block_codes=None,
                iters: int = 400) -> np.ndarray:
    """Pick a missing set with the published per-arm counts (post-hoc calibration).

    Start: ``forced`` units plus, within each arm, the top of ``latent`` +
    Gumbel noise among ``pool``. Then greedy best swaps (one in, one out,
    same arm, so the counts are kept) minimizing

    ``25 ((b - beta) / se)^2 + sum_k (gap_k - gap_target_k)^2 + MAHAL D2 + 5 Z``

    where ``b`` is the block-fixed-effect coefficient of treatment on the
    missing indicator (Frisch-Waugh: ``sum(t_tilde * y) / sum(t_tilde * t)``);
    ``gap_k`` the leaver-minus-stayer mean of characteristic k in SD units;
    ``D2 = gap' S^-1 gap`` its Mahalanobis length (``S`` the correlation
    matrix of the characteristics) and ``Z`` the number of blocks without a
    leaver. The gap terms are used only for the Table A3 outcome groups.
    Matching 21 univariate gaps alone can give a combination that the joint
    F-test of Table A3 flags (for example leavers younger but not less
    experienced); the ``D2`` term keeps the multivariate gap as small as the
    published joint p-values (0.40-0.76) suggest. The ``Z`` term keeps at
    least one leaver in every block so that leaver/stayer comparisons with
    block fixed effects (``coachbook.estimators.balance.joint_balance_test`` with the
    missing indicator as "treatment") are defined. The search stops when
    ``|b - beta| < 0.05 se`` and no swap improves the loss by more than 1%,
    or after ``iters`` swaps.
    """
    n = len(treat)
    b_target, se = beta
    denom = float(t_tilde @ treat)
    use_gap = x_std is not None
    sel = forced.copy()
    for arm, k in ((0, counts[0]), (1, counts[1])):
        in_arm = treat == arm
        need = k - int((sel & in_arm).sum())
        cand = np.flatnonzero(in_arm & pool & ~sel)
        score = latent[cand] + rng.gumbel(size=len(cand))
        sel[cand[np.argsort(-score, kind="stable")[:need]]] = True
    n_blocks = int(block_codes.max()) + 1 if use_gap else 0

    def loss_of(y):
        out = 25 * (((t_tilde @ y) / denom - b_target) / se) ** 2
        if use_gap:
            k = y.sum()
            d = (x_std.T @ y) / k - (x_std.T @ (1 - y)) / (n - k)
            out += np.sum((d - gap_target) ** 2) + MAHAL * d @ s_inv @ d
            out += 5 * np.sum(np.bincount(block_codes, weights=y, minlength=n_blocks) == 0)
        return out

    y = sel.astype(float)
    cur = loss_of(y)
    for _ in range(iters):
        best = (cur, None, None)
        for arm in (0, 1):
            outs = np.flatnonzero(sel & ~forced & (treat == arm))
            ins = np.flatnonzero(~sel & pool & (treat == arm))
            if len(outs) == 0 or len(ins) == 0:
                continue
            # every swap (i out, j in) at once
            b = (t_tilde @ y - t_tilde[outs][:, None] + t_tilde[ins][None, :]) / denom
            L = 25 * ((b - b_target) / se) ** 2
            if use_gap:
                k = y.sum()
                tot = x_std.sum(axis=0)
                ex = (x_std.T @ y)[None, None, :] - x_std[outs][:, None, :] + x_std[ins][None, :, :]
                d = ex / k - (tot[None, None, :] - ex) / (n - k)
                L = L + np.sum((d - gap_target) ** 2, axis=2)
                L = L + MAHAL * np.einsum("abk,kl,abl->ab", d, s_inv, d)
                cnt = np.bincount(block_codes, weights=y, minlength=n_blocks)
                bo, bi = block_codes[outs][:, None], block_codes[ins][None, :]
                zeros = (np.sum(cnt == 0) + ((cnt[bo] == 1) & (bo != bi))
                         - ((cnt[bi] == 0) & (bo != bi)))
                L = L + 5 * zeros
            i, j = np.unravel_index(np.argmin(L), L.shape)
            if L[i, j] < best[0]:
                best = (L[i, j], outs[i], ins[j])
        b_now = (t_tilde @ y) / denom
        if best[1] is None or (abs(b_now - b_target) < 0.05 * se and best[0] > 0.99 * cur):
            break
        sel[best[1]], sel[best[2]] = False, True
        y = sel.astype(float)
        cur = best[0]
    return sel


MAHAL = 0.10  # weight of the multivariate (Mahalanobis) gap penalty in _choose_set


def _status(df: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    n = len(df)
    treat = df["treatment"].to_numpy()
    t_tilde = _within_block_treat(df)
    x = df[A3_CHARACTERISTICS].to_numpy(dtype=float)
    x_std = (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)
    sds = x.std(axis=0, ddof=1)
    gap = {g: np.array([(e - s) for s, e in v]) / sds for g, v in _A3.items()}
    s_inv = np.linalg.pinv(np.corrcoef(x_std, rowvar=False))
    codes = pd.factorize(df["block"], sort=True)[0]
    everyone = np.ones(n, dtype=bool)
    nobody = np.zeros(n, dtype=bool)

    def pick(name, forced, pool, latent, a3=True):
        return _choose_set(rng, treat, t_tilde, _MISSING[name], _MISSING_BETA[name], forced,
                           pool, latent, x_std if a3 else None, gap.get(name) if a3 else None,
                           s_inv, codes)

    younger = -(df["age"].to_numpy() - 41) / 9
    # Two teachers (1 C, 1 T) left before the implementation year began.
    pre = nobody.copy()
    for arm in (0, 1):
        cand = np.flatnonzero(treat == arm)
        pre[cand[np.argmax(younger[cand] + rng.gumbel(size=len(cand)))]] = True
    left = pick("left_district", pre, everyone, younger, a3=False)
    not_math = pick("not_math", left, everyone, younger + 0.5 * df["middle"].to_numpy())
    not_tested = pick("not_tested", not_math, everyone, 0.5 * df["middle"].to_numpy())
    # Implementation-year participation: 8 treated withdrawals (appendix:
    # 6 lack of time, 2 loss of interest) plus the treated pre-leaver make up
    # the 9 treated teachers without sessions; 6 control withdrawals (2 + 4).
    disengaged = 0.4 * df["behavior_challenges"].to_numpy() - 0.3 * df["openness_feedback"].to_numpy()
    withdrew = pre.copy()
    for arm, k in ((1, 8), (0, 6)):
        cand = np.flatnonzero((treat == arm) & ~pre)
        score = disengaged[cand] + rng.gumbel(size=len(cand))
        withdrew[cand[np.argsort(-score, kind="stable")[:k]]] = True
    refl1 = pick("reflection_y1", withdrew, everyone, disengaged, a3=False)
    amb1 = pick("ambitious_y1", pre, everyone, disengaged + 1.0 * withdrew, a3=False)
    state1 = pick("state_test_y1", pre, everyone, np.zeros(n), a3=False)
    interim1 = pick("interim_test_y1", pre, everyone, np.zeros(n), a3=False)
    nonresp = disengaged + rng.standard_normal(n)
    refl2 = pick("reflection_y2", not_math, everyone, nonresp + 0.5 * withdrew)
    mqi2 = pick("mqi_y2", not_math, everyone, nonresp + 1.0 * refl2)
    amb2 = pick("ambitious_y2", not_math, everyone, nonresp + 1.0 * mqi2)

    out = pd.DataFrame(index=df.index)
    out["in_district_y1"] = (~pre).astype(int)
    out["in_district_y2"] = (~left).astype(int)
    out["teaches_math_y2"] = (~not_math).astype(int)
    out["teaches_math_tested_grade_y2"] = (~not_tested).astype(int)
    out["observed_reflection_y1"] = (~refl1).astype(int)
    out["observed_ambitious_y1"] = (~amb1).astype(int)
    out["observed_state_test_y1"] = (~state1).astype(int)
    out["observed_interim_test_y1"] = (~interim1).astype(int)
    out["observed_reflection_y2"] = (~refl2).astype(int)
    out["observed_mqi_y2"] = (~mqi2).astype(int)
    out["observed_ambitious_y2"] = (~amb2).astype(int)
    out["observed_state_test_y2"] = (~not_tested).astype(int)
    out["observed_interim_test_y2"] = (~not_math).astype(int)
    return out, withdrew


# --------------------------------------------------------------------------
# Coaching dosage, coach assignment
# --------------------------------------------------------------------------
N_SESSIONS = 610
N_COACHES = 24
# Caseloads (Text): two coaches with one teacher, one with six, the other 21
# with two to four; 5 x 2 + 10 x 3 + 6 x 4 = 64 (assumed split), total 72.
_CASELOADS = [1, 1, 6] + [2] * 5 + [3] * 10 + [4] * 6


def _dosage(df: pd.DataFrame, nonpart: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Coaching cycles per teacher: 9 with 1-4, 18 with 5-9, 36 with 10-17, total 610.

    The 63 participants are ranked by 0.25 x openness + 0.15 x reform -
    0.15 x challenges + N(0, 1) (assumed weak dependence; the correlation of
    cycles with any one characteristic is small, |r| < 0.4 is tested); the
    lowest 9 get 1-4 cycles, the next 18 get 5-9, the top 36 get 10-17
    (mean about 12.3), then the 10+ group is nudged by one cycle at a time
    until the total is 610 (mean 9.68, printed 9.7).
    """
    n = len(df)
    cycles = np.zeros(n, dtype=int)
    part = np.flatnonzero((df["treatment"].to_numpy() == 1) & ~nonpart)
    score = (0.25 * df["openness_feedback"].to_numpy() + 0.15 * df["reform_practices"].to_numpy()
             - 0.15 * df["behavior_challenges"].to_numpy() + rng.standard_normal(n))[part]
    order = part[np.argsort(score, kind="stable")]  # lowest first
    low, mid, high = order[:9], order[9:27], order[27:]
    cycles[low] = np.sort(rng.integers(1, 5, len(low)))
    cycles[mid] = np.sort(rng.integers(5, 10, len(mid)))
    hv = np.clip(np.rint(rng.normal(12.3, 2.0, len(high))), 10, 17).astype(int)
    cycles[high] = np.sort(hv)
    # Nudge the 10+ group (within 10-17) until the total is 610.
    for _ in range(2000):
        gap = N_SESSIONS - int(cycles.sum())
        if gap == 0:
            break
        step = 1 if gap > 0 else -1
        ok = high[(cycles[high] + step >= 10) & (cycles[high] + step <= 17)]
        cycles[rng.choice(ok)] += step
    return cycles


def _institute(df, nonpart, rng) -> np.ndarray:
    """Summer-institute days (0-2): 68 of 72 treated attended one day or more, 61 both."""
    days = np.zeros(len(df), dtype=int)
    treated = np.flatnonzero(df["treatment"].to_numpy() == 1)
    score = rng.gumbel(size=len(treated)) - 3.0 * nonpart[treated]
    order = treated[np.argsort(score, kind="stable")]  # least likely first
    days[order[4:]] = 1
    days[order[4 + 7:]] = 2
    return days


def _coach_assignment(df: pd.DataFrame, rng: np.random.Generator) -> tuple[np.ndarray, pd.DataFrame]:
    """Coach per treated teacher; coaches specialize in one district (paper: 'attempted to')."""
    treated = df.index[df["treatment"] == 1]
    loads = np.array(_CASELOADS)[rng.permutation(N_COACHES)]
    # Fill urban teachers first, then suburban, coach by coach; at most one
    # coach straddles the two districts.
    order = df.loc[treated].sort_values(["district", "grade"], ascending=[False, True],
                                        kind="stable").index
    coach_of = pd.Series("", index=df.index, dtype=object)
    pos = 0
    for c, load in enumerate(loads, start=1):
        for t in order[pos:pos + load]:
            coach_of[t] = f"C{c:02d}"
        pos += load
    districts = df.loc[treated].groupby(coach_of[treated])["district"].agg(
        lambda s: s.mode().iloc[0])
    return coach_of.to_numpy(), districts


# --------------------------------------------------------------------------
# Public: teachers table
# --------------------------------------------------------------------------
def generate_teachers(seed: int) -> pd.DataFrame:
    """The teachers table (``mqi/teachers``); see the module docstring for calibration."""
    df = _schools_and_blocks(_rng(seed, _K_SCHOOLS))
    df["treatment"] = _assign(df, _rng(seed, _K_ASSIGN)).astype(int)
    chars = _characteristics(df, _rng(seed, _K_CHARS))
    df = pd.concat([df, chars], axis=1)
    status, withdrew = _status(df, _rng(seed, _K_STATUS))
    df = pd.concat([df, status], axis=1)
    rng_d = _rng(seed, _K_DOSE)
    nonpart = withdrew & (df["treatment"].to_numpy() == 1)
    df["coaching_cycles"] = _dosage(df, nonpart, rng_d)
    df["institute_days"] = _institute(df, nonpart, rng_d)
    coach_of, _ = _coach_assignment(df, _rng(seed, _K_COACHES))
    df["coach_id"] = coach_of
    return df[[v.name for v in _TEACHER_VARS]].reset_index(drop=True)


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


# --------------------------------------------------------------------------
# Coaches (Table 2)
# --------------------------------------------------------------------------
# Holders out of 24 (Table 2 proportions x 24, Text counts).
_COACH_BINARY = {
    "male": 4, "black": 0, "hispanic": 1, "white": 23, "alt_cert": 1,
    "competitive_undergrad": 15, "undergrad_math": 7, "undergrad_education": 8,
    "any_grad_degree": 22, "masters_math": 3, "masters_education": 18,
    "advanced_courses_3plus": 17, "content_courses_3plus": 11, "methods_courses_3plus": 9,
    "prior_coaching": 19, "prior_k12_math_teacher": 21, "prior_curriculum_pd": 12,
    "prior_math_coach": 8,
}


def generate_coaches(seed: int, teachers: pd.DataFrame) -> pd.DataFrame:
    """The coaches table (``mqi/coaches``): 24 coaches, Table 2 means, caseloads from teachers.

    Each 0/1 characteristic has exactly the Table 2 count (proportion x 24).
    Means are exact: age 38.33 (920 years / 24), K-12 teaching experience
    4.88 (117 / 24; the 3 coaches without K-12 math teaching have 0 years),
    MKT 1.23 SD of the teacher distribution. The age SD (about 10) is chosen
    so that the coach-teacher age difference has a p-value near Table 2's
    0.22; the experience SD (about 4) and MKT SD (0.6) are assumptions.
    Hispanic and White are exclusive (one coach Hispanic, 23 White: 'all but
    one coach was white'); master's in math and in education may overlap, and
    both imply a graduate degree.
    """
    rng = _rng(seed, _K_COACHES, 1)
    n = N_COACHES
    ids = [f"C{i:02d}" for i in range(1, n + 1)]
    treated = teachers[teachers["treatment"] == 1]
    load = treated.groupby("coach_id").size().reindex(ids).fillna(0).astype(int)
    district = treated.groupby("coach_id")["district"].agg(lambda s: s.mode().iloc[0]).reindex(ids)
    out = pd.DataFrame({"coach_id": ids, "district": district.to_numpy(),
                        "n_teachers": load.to_numpy()})
    math_latent = rng.standard_normal(n)
    cols = {}
    for var, k in _COACH_BINARY.items():
        score = rng.standard_normal(n)
        if var in ("undergrad_math", "advanced_courses_3plus", "content_courses_3plus", "masters_math"):
            score = score + 1.0 * math_latent
        cols[var] = _top_k(score, k).astype(int)
    # consistency: race exclusive; degrees nested.
    cols["white"] = 1 - cols["hispanic"]
    grad = cols["any_grad_degree"].astype(bool)
    for var, k in (("masters_education", 18), ("masters_math", 3)):
        score = rng.standard_normal(n) + (1.0 * math_latent if var == "masters_math" else 0) - 10 * ~grad
        cols[var] = _top_k(score, k).astype(int)
    # 21 former K-12 math teachers carry the classroom experience.
    taught = cols["prior_k12_math_teacher"].astype(bool)
    exp = np.zeros(n)
    exp[taught] = rng.gamma(2.0, 2.8, taught.sum())
    exp_int = np.zeros(n, dtype=int)
    exp_int[taught] = _fix_int_sum(exp[taught] - exp[taught].mean() + 117 / taught.sum(), 117, rng, 1, 20)
    age = rng.normal(38.33, 10.0, n)
    age = np.maximum(age, 24 + exp_int)
    age_int = _fix_int_sum(age - age.mean() + 920 / n, 920, rng, 24, 65)
    mkt = rng.standard_normal(n) + 0.5 * math_latent
    mkt = 1.23 + (mkt - mkt.mean()) / mkt.std(ddof=1) * 0.6
    order = ["male", "age", "black", "hispanic", "white", "experience", "alt_cert",
             "competitive_undergrad", "undergrad_math", "undergrad_education", "any_grad_degree",
             "masters_math", "masters_education", "advanced_courses_3plus",
             "content_courses_3plus", "methods_courses_3plus", "mkt", "prior_coaching",
             "prior_k12_math_teacher", "prior_curriculum_pd", "prior_math_coach"]
    cols["age"], cols["experience"], cols["mkt"] = age_int, exp_int, mkt
    for c in order:
        out[c] = cols[c]
    return out


# --------------------------------------------------------------------------
# Coaching sessions (Findings: implementation; Figures 3-4)
# --------------------------------------------------------------------------
_FOCUS = (("Common Core-Aligned Student Practices", "Richness", "Working with Students"),
          (0.45, 0.28, 0.27))
_RESPONSIBILITY = (("teacher", "shared", "coach"), (0.36, 0.38, 0.26))
_PREV_PLAN = (("fully", "partly", "not"), (0.66, 0.25, 0.09))
_YEAR_START = np.datetime64("2014-10-06")   # earliest first session (assumed: "mid/late fall", showcase)
_YEAR_END = np.datetime64("2015-06-05")     # last possible session (assumed)
_WINTER = (np.datetime64("2014-12-20"), np.datetime64("2015-01-04"))


def _weekday(d: np.datetime64) -> np.datetime64:
    """Move a Saturday or Sunday to the next Monday, a winter-break day past the break."""
    if _WINTER[0] <= d <= _WINTER[1]:
        d = _WINTER[1] + 1
    dow = int((d.astype("datetime64[D]").astype("int64") - 4) % 7)  # 0 = Monday
    return d + (7 - dow if dow >= 5 else 0)


def _session_dates(n_cycles: int, rng: np.random.Generator) -> np.ndarray:
    """Dates of one teacher's cycles.

    A start between 6 October and 20 November 2014 (the showcase: pairs
    started "in the mid/late fall"), then gaps of gamma(5, base / 5) days
    (at least 7), where base = 0.85 x (days left / cycles), capped at 35:
    frequent teachers meet every one to three weeks, infrequent ones rarely.
    Gaps are squeezed proportionally when they would run past 5 June 2015.
    Dates fall on weekdays outside the winter break.
    """
    start = _weekday(_YEAR_START + int(rng.integers(0, 46)))
    span = int((_YEAR_END - start).astype(int))
    base = min(0.85 * span / n_cycles, 35.0)
    gaps = np.maximum(7, np.rint(rng.gamma(5.0, base / 5.0, n_cycles - 1)))
    room = span - 2 * (n_cycles - 1) - 16          # weekend / break shifts
    if gaps.sum() > room:                          # squeeze into the school year
        gaps = np.maximum(7, np.floor(gaps * room / gaps.sum()))
    gaps = gaps.astype(int)
    dates = [start]
    for g in gaps:
        dates.append(_weekday(dates[-1] + int(g)))
    return np.array(dates, dtype="datetime64[D]")


def generate_sessions(seed: int, teachers: pd.DataFrame) -> pd.DataFrame:
    """One row per coaching session (``mqi/coaching_sessions``), 610 rows.

    Counts per teacher come from ``teachers.coaching_cycles``. Every share
    reported in the text is reproduced exactly (largest-remainder counts):
    focus 45/28/27% (never Errors), stock clip / clip 1 / clip 2 reviewed
    89/98/91%, sufficient time 95%, critical self-analysis 87%, primary
    responsibility for action steps teacher/shared/coach 36/38/26%,
    understood the MQI criteria well 84%, coach agreed with the teacher's
    analysis 92%, previous action plan fully/partly/not implemented
    66/25/9% (cycles 2 and later; empty for a teacher's first cycle).
    Which sessions get a 1 is decided by a teacher-level engagement latent
    (0.5 x openness to feedback + N(0, 1), assumed) plus session noise, so
    the fidelity items are mildly correlated within teachers. Minutes:
    N(62, 14) rounded and clipped to 20-100, with one session set to 20 and
    one to 100 (Figure 4 range; mean 'just over an hour'). Dates: see
    :func:`_session_dates`; the gap scale makes over 68% of cycles fall
    within 21 days of the previous one (Text), which the test checks.
    """
    rng = _rng(seed, _K_SESSIONS)
    active = teachers[teachers["coaching_cycles"] > 0]
    rows = []
    for _, t in active.iterrows():
        dates = _session_dates(int(t["coaching_cycles"]), rng)
        for c, d in enumerate(dates, start=1):
            rows.append({"teacher_id": t["teacher_id"], "coach_id": t["coach_id"], "cycle": c,
                         "date": str(d), "_open": t["openness_feedback"]})
    s = pd.DataFrame(rows)
    s = s.sort_values(["date", "teacher_id"], kind="stable").reset_index(drop=True)
    n = len(s)
    s.insert(0, "session_id", [f"CS{i:04d}" for i in range(1, n + 1)])
    minutes = np.clip(np.rint(rng.normal(62, 14, n)), 20, 100).astype(int)
    ext = rng.permutation(n)[:2]
    minutes[ext[0]], minutes[ext[1]] = 20, 100
    s["minutes"] = minutes
    teacher_latent = {tid: 0.5 * o + rng.standard_normal()
                      for tid, o in zip(active["teacher_id"], active["openness_feedback"])}
    eng = s["teacher_id"].map(teacher_latent).to_numpy()
    s["focus_domain"] = _exact_levels(rng.standard_normal(n), *_FOCUS)
    for var, share in (("stock_clip_reviewed", 0.89), ("clip1_reviewed", 0.98),
                       ("clip2_reviewed", 0.91), ("sufficient_time", 0.95),
                       ("critical_analysis", 0.87)):
        s[var] = _exact_binary(eng + rng.standard_normal(n), share)
    s["action_step_responsibility"] = _exact_levels(eng + rng.standard_normal(n), *_RESPONSIBILITY)
    for var, share in (("understood_criteria_well", 0.84), ("coach_agreed", 0.92)):
        s[var] = _exact_binary(eng + rng.standard_normal(n), share)
    prev = np.full(n, "", dtype=object)
    later = np.flatnonzero(s["cycle"].to_numpy() > 1)
    prev[later] = _exact_levels(eng[later] + rng.standard_normal(len(later)), *_PREV_PLAN)
    s["previous_plan_implemented"] = prev
    return s.drop(columns="_open")


# --------------------------------------------------------------------------
# PD survey (Table 3, Figure 2, spillover appendix)
# --------------------------------------------------------------------------
PD_LEVELS = ("Never", "Once this year", "About once a semester", "About once a month",
             "More than once a month")
# Table 3 (control, percent of n = 57), in PD_LEVELS order.
_TABLE3 = {
    "pd_coaching": (35, 28, 23, 7, 7),
    "pd_workshops": (23, 39, 25, 9, 5),
    "pd_collaboration": (7, 9, 16, 30, 39),
    "pd_evaluation_feedback": (40, 39, 14, 5, 2),
    "pd_peer_feedback": (51, 12, 12, 12, 12),
}


def generate_pd_survey(seed: int, teachers: pd.DataFrame) -> pd.DataFrame:
    """End-of-year (2014-15) survey of professional development (``mqi/pd_survey``).

    Respondents are the 119 teachers with ``observed_reflection_y1 == 1``
    (the reflections were part of this survey; Text: 119 of 140), i.e. 57
    control teachers (Table 3's n) and 62 treated. Control answers have the
    exact Table 3 counts (largest remainder of percent x 57). Treated
    answers on coaching: 57 of 62 (92%, Figure 2) about monthly or more,
    assigned by coaching cycles plus noise. Treated answers on the other
    four items are *not published*; they are drawn with the control
    distribution (an assumption: no contrast). Control-only spillover items
    (online appendix, n = 57): knows a coached teacher 43 (75%), talked with
    one 11 (19%), co-planned with one 6 (10.5%), changed instruction from
    their ideas 5 (8.8%); empty for treated teachers. Treated-only items
    (teacher survey): primary responsibility for action steps
    teacher/shared/coach 41/46/13%, and implemented the action steps often
    or always 87%; empty for control teachers.
    """
    rng = _rng(seed, _K_SURVEY)
    resp = teachers[teachers["observed_reflection_y1"] == 1]
    out = resp[["teacher_id", "treatment"]].reset_index(drop=True)
    treat = out["treatment"].to_numpy()
    ctrl, trt = np.flatnonzero(treat == 0), np.flatnonzero(treat == 1)
    cycles = resp["coaching_cycles"].to_numpy()
    for var, pct in _TABLE3.items():
        col = np.empty(len(out), dtype=object)
        # Never first for high scores: map high score -> low frequency.
        col[ctrl] = _exact_levels(rng.standard_normal(len(ctrl)), PD_LEVELS, pct)
        if var == "pd_coaching":
            score = -(cycles[trt] + 2.0 * rng.standard_normal(len(trt)))
            k_month = round(0.92 * len(trt))
            counts = (1, 1, len(trt) - k_month - 2, 20, k_month - 20)
            col[trt] = _exact_levels(score, PD_LEVELS, counts)
        else:
            col[trt] = _exact_levels(rng.standard_normal(len(trt)), PD_LEVELS, pct)
        out[var] = col
    for var, k in (("knows_coached_teacher", 43), ("talked_with_coached_teacher", 11),
                   ("coplanned_with_coached_teacher", 6), ("changed_instruction_from_coached", 5)):
        col = np.full(len(out), np.nan)
        col[ctrl] = _top_k(rng.standard_normal(len(ctrl)), k)
        out[var] = pd.array(np.where(np.isnan(col), pd.NA, col), dtype="Int64")
    col = np.full(len(out), "", dtype=object)
    col[trt] = _exact_levels(rng.standard_normal(len(trt)), ("teacher", "shared", "coach"), (41, 46, 13))
    out["teacher_reported_responsibility"] = col
    col = np.full(len(out), np.nan)
    col[trt] = _top_k(rng.standard_normal(len(trt)), round(0.87 * len(trt)))
    out["implemented_action_steps_often"] = pd.array(np.where(np.isnan(col), pd.NA, col), dtype="Int64")
    return out


def _round(df: pd.DataFrame) -> pd.DataFrame:
    for c in df.columns:
        if pd.api.types.is_float_dtype(df[c]):
            df[c] = df[c].round(4)
    return df


def generate_roster(seed: int) -> dict[str, pd.DataFrame]:
    """Every roster file of the MQI study, keyed by data name."""
    teachers = _round(generate_teachers(seed))
    coaches = _round(generate_coaches(seed, teachers))
    sessions = _round(generate_sessions(seed, teachers))
    survey = _round(generate_pd_survey(seed, teachers))
    return {"mqi/teachers": teachers, "mqi/coaches": coaches,
            "mqi/coaching_sessions": sessions, "mqi/pd_survey": survey}


# --------------------------------------------------------------------------
# Codebook
# --------------------------------------------------------------------------
_T1 = "Table 1"
_TEACHER_VARS = (
    Variable("teacher_id", "str", "Teacher identifier", "T001-T142"),
    Variable("school_id", "str", "School identifier (teachers in the same school share it)", "S01-S51", "Text: 51 schools"),
    Variable("district", "category", "District", "urban (large urban, 73), suburban (small suburban, 69)", "Text; Table 1"),
    Variable("school_type", "category", "School type (blocking variable within district)", "elementary, K-8, middle, charter", "Randomized Field Trial Design; split assumed"),
    Variable("block", "category", "Randomization block: district-school_type", "7 blocks", "Randomized Field Trial Design"),
    Variable("treatment", "int", "Randomly offered MQI Coaching", "1 = treatment (72), 0 = control (70)", "Text; Table 1"),
    Variable("coach_id", "str", "Coach assigned (treated teachers only; empty for control)", "C01-C24 or empty", "Randomized Field Trial Design (caseloads)"),
    Variable("elementary", "int", "Elementary school teacher (teaches Grades 3-5)", "0/1", _T1),
    Variable("middle", "int", "Middle school teacher (teaches Grades 6-8)", "0/1", _T1),
    Variable("grade", "int", "Grade taught in the implementation year (assumed uniform within level)", "3-8", "Setting: Grades 3-8"),
    Variable("male", "int", "Male", "0/1", _T1),
    Variable("age", "int", "Age in years at baseline", "22-66", _T1),
    Variable("black", "int", "Black", "0/1", _T1),
    Variable("hispanic", "int", "Hispanic", "0/1", _T1),
    Variable("white", "int", "White (Black, Hispanic, White and other race are exclusive)", "0/1", _T1),
    Variable("experience", "int", "Years of teaching experience at baseline", "0-38", f"{_T1}; prose bands 17/44/39%"),
    Variable("alt_cert", "int", "Alternative certification", "0/1", _T1),
    Variable("competitive_undergrad", "int", "Undergraduate degree from a very competitive institution", "0/1", _T1),
    Variable("undergrad_math", "int", "Undergraduate degree in mathematics", "0/1", _T1),
    Variable("undergrad_education", "int", "Undergraduate degree in education", "0/1", _T1),
    Variable("any_grad_degree", "int", "Any graduate degree", "0/1", _T1),
    Variable("masters_education", "int", "Master's degree in education (implies any_grad_degree)", "0/1", _T1),
    Variable("masters_math", "int", "Master's degree in mathematics (2 teachers)", "0/1", "Table 2 (teachers 0.01)"),
    Variable("advanced_courses", "int", "Number of advanced math courses, 1 (none) to 5 (6+); 3+ read as >= 3", "1-5", "Table A3; Table 1"),
    Variable("content_courses", "int", "Number of math content courses, 1 (none) to 5 (6+)", "1-5", "Table A3; Table 1"),
    Variable("methods_courses", "int", "Number of math methods courses, 1 (none) to 5 (6+)", "1-5", "Table A3; Table 1"),
    Variable("advanced_courses_3plus", "int", "Three or more advanced math courses (advanced_courses >= 3)", "0/1", _T1),
    Variable("content_courses_3plus", "int", "Three or more math content courses (content_courses >= 3)", "0/1", _T1),
    Variable("methods_courses_3plus", "int", "Three or more math methods courses (methods_courses >= 3)", "0/1", _T1),
    Variable("mkt", "float", "Mathematical Knowledge for Teaching score, SD units", "about -3 to 3", _T1),
    Variable("openness_feedback", "float", "Baseline scale: openness to feedback, SD units (sample mean 0, SD 1)", "about -3 to 3", "Measures; Table A3"),
    Variable("behavior_challenges", "float", "Baseline scale: challenges with student behavior, SD units", "about -3 to 3", "Measures; Table A3"),
    Variable("reform_practices", "float", "Baseline scale: use of reform practices, SD units", "about -3 to 3", "Measures; Table A3"),
    Variable("in_district_y1", "int", "Taught in the district in 2014-15 (0 = left after randomization, before the school year)", "0/1 (2 zeros)", "Text: 2 left before 2014-15"),
    Variable("in_district_y2", "int", "Still teaching in the district in the follow-up year 2015-16", "0/1", "Table 4"),
    Variable("teaches_math_y2", "int", "Teaches math in the original district in 2015-16", "0/1", "Table 4"),
    Variable("teaches_math_tested_grade_y2", "int", "Teaches math in a tested grade (3-8) in 2015-16", "0/1", "Table 4"),
    Variable("observed_reflection_y1", "int", "Has the lesson-reflection (teacher survey) outcomes, 2014-15", "0/1", "Table A1; Table 5"),
    Variable("observed_ambitious_y1", "int", "Has the student-survey Ambitious Instruction outcome, 2014-15", "0/1", "Table A1; Table 6"),
    Variable("observed_state_test_y1", "int", "Has state math test outcomes for students, 2014-15", "0/1", "Table A1; Table 7"),
    Variable("observed_interim_test_y1", "int", "Has interim (MAP) math test outcomes for students, 2014-15", "0/1", "Table A1; Table 7"),
    Variable("observed_reflection_y2", "int", "Has the lesson-reflection outcomes, 2015-16", "0/1", "Table A1; Tables 5, A3"),
    Variable("observed_mqi_y2", "int", "Has MQI video scores, 2015-16", "0/1", "Table A1; Tables 6, A3"),
    Variable("observed_ambitious_y2", "int", "Has the Ambitious Instruction outcome, 2015-16", "0/1", "Table A1; Tables 6, A3"),
    Variable("observed_state_test_y2", "int", "Has state math test outcomes, 2015-16 (= teaches_math_tested_grade_y2)", "0/1", "Table A1; Tables 7, A3"),
    Variable("observed_interim_test_y2", "int", "Has interim (MAP/Star) test outcomes, 2015-16 (= teaches_math_y2)", "0/1", "Table A1; Tables 7, A3"),
    Variable("coaching_cycles", "int", "Coaching cycles completed in 2014-15 (0 for control and non-participants)", "0-17", "Text; Figure 3"),
    Variable("institute_days", "int", "Days of the two-day summer institute attended (0 for control)", "0-2", "Text: 68 >= 1 day, 61 both"),
)

ROSTER_CODEBOOK: dict[str, FileSpec] = {
    "mqi/teachers": FileSpec(
        "Teachers randomized in the MQI Coaching trial, with baseline characteristics "
        "(Table 1), follow-up status (Table 4) and which outcomes each has (Table A1).",
        "one teacher", _TEACHER_VARS),
}

_T2 = "Table 2"
_COACH_VARS = (
    Variable("coach_id", "str", "Coach identifier", "C01-C24"),
    Variable("district", "category", "District of (most of) the coach's teachers; coaches specialized in one district where possible", "urban, suburban", "Randomized Field Trial Design"),
    Variable("n_teachers", "int", "Treated teachers coached (caseload)", "1-6: two coaches 1, one coach 6, others 2-4", "Randomized Field Trial Design"),
    Variable("male", "int", "Male", "0/1 (4 of 24)", _T2),
    Variable("age", "int", "Age in years", "24-65; mean 38.33", _T2),
    Variable("black", "int", "Black", "0/1 (0 of 24)", _T2),
    Variable("hispanic", "int", "Hispanic", "0/1 (1 of 24)", _T2),
    Variable("white", "int", "White", "0/1 (23 of 24)", _T2),
    Variable("experience", "int", "Years of K-12 classroom teaching (0 if none)", "0-20; mean 4.88", _T2),
    Variable("alt_cert", "int", "Alternative certification", "0/1 (1 of 24)", _T2),
    Variable("competitive_undergrad", "int", "Undergraduate degree from a very competitive institution", "0/1 (15 of 24)", _T2),
    Variable("undergrad_math", "int", "Undergraduate degree in mathematics", "0/1 (7 of 24)", _T2),
    Variable("undergrad_education", "int", "Undergraduate degree in education", "0/1 (8 of 24)", _T2),
    Variable("any_grad_degree", "int", "Any graduate degree", "0/1 (22 of 24)", _T2),
    Variable("masters_math", "int", "Master's degree in mathematics", "0/1 (3 of 24)", _T2),
    Variable("masters_education", "int", "Master's degree in education", "0/1 (18 of 24)", _T2),
    Variable("advanced_courses_3plus", "int", "Three or more advanced math courses", "0/1 (17 of 24)", _T2),
    Variable("content_courses_3plus", "int", "Three or more math content courses", "0/1 (11 of 24)", _T2),
    Variable("methods_courses_3plus", "int", "Three or more math methods courses", "0/1 (9 of 24)", _T2),
    Variable("mkt", "float", "MKT score in teacher SD units (teachers: mean 0, SD 1)", "mean 1.23, SD 0.6", _T2),
    Variable("prior_coaching", "int", "Prior experience coaching, mentoring or advising K-12 teachers", "0/1 (19 of 24)", f"{_T2}; Text"),
    Variable("prior_k12_math_teacher", "int", "Prior experience as a K-12 math teacher", "0/1 (21 of 24)", f"{_T2}; Text"),
    Variable("prior_curriculum_pd", "int", "Prior experience as math curriculum developer / professional developer / mentor", "0/1 (12 of 24)", _T2),
    Variable("prior_math_coach", "int", "Prior experience as a math coach", "0/1 (8 of 24)", f"{_T2}; Text"),
)

_TXT = "Text (Findings: implementation)"
_SESSION_VARS = (
    Variable("session_id", "str", "Session identifier, in date order", "CS0001-CS0610"),
    Variable("teacher_id", "str", "Coached teacher", "T001-T142 (63 treated teachers)", _TXT),
    Variable("coach_id", "str", "Coach", "C01-C24"),
    Variable("cycle", "int", "Coaching cycle number for the teacher (one session per cycle)", "1-17", f"{_TXT}; Figure 3"),
    Variable("date", "date", "Date of the coach-teacher video conference (ISO)", "2014-10-06 to 2015-06-05", f"{_TXT}: over 68% within 3 weeks of previous"),
    Variable("minutes", "int", "Length of the conference in minutes", "20-100; mean just over an hour", "Figure 4"),
    Variable("focus_domain", "category", "MQI domain the cycle focused on (never Errors)", "Common Core-Aligned Student Practices 45%, Richness 28%, Working with Students 27%", _TXT),
    Variable("stock_clip_reviewed", "int", "Stock clip from the video library reviewed", "0/1 (89%)", _TXT),
    Variable("clip1_reviewed", "int", "First clip of the teacher's lesson reviewed", "0/1 (98%)", _TXT),
    Variable("clip2_reviewed", "int", "Second clip of the teacher's lesson reviewed", "0/1 (91%)", _TXT),
    Variable("sufficient_time", "int", "Coach judged there was enough time for each step", "0/1 (95%)", _TXT),
    Variable("critical_analysis", "int", "Coach: teacher critically analyzed own instruction", "0/1 (87%)", "Text (self-reflection)"),
    Variable("action_step_responsibility", "category", "Coach: who took primary responsibility for the action steps", "teacher 36%, shared 38%, coach 26%", "Text (self-reflection)"),
    Variable("understood_criteria_well", "int", "Coach: teacher understood the MQI scoring criteria well", "0/1 (84%)", "Text (calibration)"),
    Variable("coach_agreed", "int", "Coach agreed with the teacher's analysis of own clips", "0/1 (92%)", "Text (calibration)"),
    Variable("previous_plan_implemented", "category", "Coach: previous cycle's action plan implemented (empty in cycle 1)", "fully 66%, partly 25%, not 9%, or empty", "Text (immediate action)"),
)

_T3 = "Table 3 (control); Figure 2"
_SURVEY_VARS = (
    Variable("teacher_id", "str", "Responding teacher (observed_reflection_y1 == 1)", "119 teachers: 57 control, 62 treated", "Text: 119 of 140; Table 3 n = 57"),
    Variable("treatment", "int", "Randomly offered MQI Coaching", "0/1"),
    Variable("pd_coaching", "category", "Received instructional coaching in math from any source", "; ".join(PD_LEVELS), f"{_T3}: 92% vs 14% monthly or more"),
    Variable("pd_workshops", "category", "Attended workshops or trainings about math instruction", "as pd_coaching", _T3),
    Variable("pd_collaboration", "category", "Collaboratively planned or debriefed about math instruction with other teachers", "as pd_coaching", _T3),
    Variable("pd_evaluation_feedback", "category", "Received feedback on math instruction in a formal or informal evaluation", "as pd_coaching", _T3),
    Variable("pd_peer_feedback", "category", "Received feedback on math instruction from mentor/peer teachers in the district", "as pd_coaching", _T3),
    Variable("knows_coached_teacher", "int", "Control only: knows a teacher who received MQI Coaching (empty for treated)", "0/1 (75%)", "Online appendix: spillover"),
    Variable("talked_with_coached_teacher", "int", "Control only: ever talked with a coached teacher about it", "0/1 (19%)", "Online appendix: spillover"),
    Variable("coplanned_with_coached_teacher", "int", "Control only: planned instruction collaboratively with a treatment teacher", "0/1 (6 teachers)", "Online appendix: spillover"),
    Variable("changed_instruction_from_coached", "int", "Control only: changed math instruction using treatment teachers' ideas", "0/1 (5 teachers)", "Online appendix: spillover"),
    Variable("teacher_reported_responsibility", "category", "Treated only: who took primary responsibility for identifying action steps", "teacher 41%, shared 46%, coach 13%, or empty", "Text (self-reflection)"),
    Variable("implemented_action_steps_often", "int", "Treated only: often or always implemented the action steps (empty for control)", "0/1 (87%)", "Text (immediate action)"),
)

ROSTER_CODEBOOK.update({
    "mqi/coaches": FileSpec(
        "MQI coaches with the characteristics of Table 2 and their caseloads.",
        "one coach", _COACH_VARS),
    "mqi/coaching_sessions": FileSpec(
        "Coaching sessions (one per cycle) of treated teachers in 2014-15, with the "
        "coach's post-conversation survey (implementation fidelity).",
        "one coaching session", _SESSION_VARS),
    "mqi/pd_survey": FileSpec(
        "End-of-implementation-year teacher survey on professional development "
        "(Table 3, Figure 2), spillover (control) and action steps (treated).",
        "one responding teacher", _SURVEY_VARS),
})
