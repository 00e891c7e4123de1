"""``mqi/teachers``: schools and blocks, randomization, baseline characteristics, dosage, coaches."""
from __future__ import annotations

import numpy as np
import pandas as pd

from coachbook.estimators.randomization import randomize_within_blocks
from coachbook.synth.mqi_roster.codebook import _TEACHER_VARS
from coachbook.synth.mqi_roster.helpers import (_cell_counts, _cell_means, _cells, _fix_int_sum,
                                                _rng, _top_k)
from coachbook.synth.mqi_roster.status import _status
from coachbook.synth.mqi_roster.targets import (N_COACHES, N_TREAT, _BLOCKS, _COURSE_HIGH,
                                                _COURSE_MEANS, _K_ASSIGN, _K_CHARS, _K_COACHES,
                                                _K_DOSE, _K_SCHOOLS, _K_STATUS, _T1_BINARY,
                                                _T1_CONT, _T1_RACE)


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
# Coaching dosage, coach assignment
# --------------------------------------------------------------------------
N_SESSIONS = 610
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
