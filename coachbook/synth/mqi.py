"""Synthetic data of the MQI Coaching trial (Kraft & Hill 2019), the registered study module.

The roster files (teachers, coaches, coaching sessions, PD survey) come from
:mod:`.mqi_roster`; the outcome files (students, teacher outcomes) from
:mod:`.mqi_outcomes`, which generates them *given* the teachers table.

``mqi_outcomes`` is imported only when its source file exists, so that the
package (and ``python -m coachbook.synth``) works while that module is still
being written; once it exists, an error inside it is raised, not hidden.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .mqi_roster import ROSTER_CODEBOOK, generate_roster

_HAS_OUTCOMES = (Path(__file__).parent / "mqi_outcomes.py").is_file()

if _HAS_OUTCOMES:
    from .mqi_outcomes import OUTCOMES_CODEBOOK, generate_outcomes
else:  # outcomes generator not written yet: roster files only
    OUTCOMES_CODEBOOK = {}
    generate_outcomes = None


def generate(seed: int) -> dict[str, pd.DataFrame]:
    """Every MQI file: the roster, then (if available) the outcomes built on its teachers."""
    files = generate_roster(seed)
    if generate_outcomes is not None:
        files.update(generate_outcomes(seed, files["mqi/teachers"]))
    return files


CODEBOOK = {**ROSTER_CODEBOOK, **OUTCOMES_CODEBOOK}
