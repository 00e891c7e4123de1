"""``mqi/coaches``: the 24 coaches with the characteristics of Table 2."""
from __future__ import annotations

import numpy as np
import pandas as pd

from coachbook.synth.mqi_roster.helpers import _fix_int_sum, _rng, _top_k
from coachbook.synth.mqi_roster.targets import _COACH_BINARY, _K_COACHES, N_COACHES


# --------------------------------------------------------------------------
# Coaches (Table 2)
# --------------------------------------------------------------------------


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
