"""``mqi/pd_survey``: the end-of-year survey of professional development (Table 3, Figure 2)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from coachbook.synth.mqi_roster.helpers import _exact_levels, _rng, _top_k
from coachbook.synth.mqi_roster.targets import _K_SURVEY


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
