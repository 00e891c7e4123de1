"""Synthetic data of the MQI Coaching trial (Kraft & Hill 2019), the registered study module.

The roster files (teachers, coaches, coaching sessions, PD survey) come from
:mod:`.mqi_roster`; the outcome files (students, teacher outcomes) from
:mod:`.mqi_outcomes`, which generates them *given* the teachers table.
"""
from __future__ import annotations

import pandas as pd

from coachbook.synth.mqi_outcomes import OUTCOMES_CODEBOOK, generate_outcomes
from coachbook.synth.mqi_roster import ROSTER_CODEBOOK, generate_roster


def generate(seed: int) -> dict[str, pd.DataFrame]:
    """Every MQI file: the roster, then the outcomes built on its teachers."""
    files = generate_roster(seed)
    files.update(generate_outcomes(seed, files["mqi/teachers"]))
    return files


CODEBOOK = {**ROSTER_CODEBOOK, **OUTCOMES_CODEBOOK}
