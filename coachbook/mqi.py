"""The MQI Coaching trial's outcome estimators, under one short name.

Kraft and Hill (2019) estimate the effects of MQI Coaching on teachers'
written reflections (Table 5, equation 1), on their instruction as students
report it (Table 6, equation 2) and as the MQI scores it on video (Table 6,
equation 1), and on students' test scores (Table 7, equation 3). The
estimators live next to the generator of the synthetic outcome files,
:mod:`coachbook.synth.mqi_outcomes`, because the generator calibrates the
files with them; this module only re-exports them so that chapters and
readers can write ``from coachbook import mqi`` and ``mqi.table5_estimates``.
Their documentation is in :mod:`coachbook.synth.mqi_outcomes`, except for
:func:`lee_bounds_fe`, the sharp Lee bounds of the follow-up year, which is
:func:`coachbook.estimators.lee_fe.lee_bounds_fe`.

Each ``table*_estimates(files, teachers)`` takes a mapping of file names to
data frames (``"mqi/reflections"``, ``"mqi/student_survey"``,
``"mqi/mqi_segments"``, ``"mqi/student_tests"``) and the roster
``"mqi/teachers"``, and returns tidy rows keyed like
``data/published/kraft_hill_2019.csv``.
"""
from .estimators.lee_fe import lee_bounds_fe
from .estimators.random_intercept import fit_random_intercept
from .synth.mqi_outcomes import (
    IMPUTATIONS,
    ambitious_scale,
    figure1_shares,
    impute_priors,
    mqi_reliabilities,
    prior_coverage,
    segment_lpm,
    segment_midhigh,
    standardize_by_control,
    table5_estimates,
    table6_estimates,
    table7_estimates,
    teacher_mqi_scores,
)
from .synth.mqi_roster import TEACHER_CONTROLS

__all__ = [
    "IMPUTATIONS", "TEACHER_CONTROLS", "ambitious_scale", "figure1_shares",
    "fit_random_intercept", "impute_priors", "lee_bounds_fe", "mqi_reliabilities",
    "prior_coverage", "segment_lpm", "segment_midhigh", "standardize_by_control",
    "table5_estimates", "table6_estimates", "table7_estimates", "teacher_mqi_scores",
]
