"""``mqi/coaching_sessions``: one row per coaching cycle, with the fidelity shares of the text."""
from __future__ import annotations

import numpy as np
import pandas as pd

from coachbook.synth.mqi_roster.helpers import _exact_binary, _exact_levels, _rng
from coachbook.synth.mqi_roster.targets import _K_SESSIONS


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
