"""The MQI Coaching trial of Kraft and Hill (2019): its variables, measures and tables.

- :mod:`.variables`: the rubric and survey items, the reflection measures, the
  teacher controls, the Table A1 flags and Table A3 characteristics, and the
  labels of ``data/published/kraft_hill_2019.csv``;
- :mod:`.measures`: the measures computed from the bundled files
  (standardized outcomes, MQI domain scores, reliabilities, segment-level
  models, prior scores and their imputations);
- :mod:`.tables`: one function per published table of effects (Tables 5-7);
- :mod:`.appendix`: the appendix tables of moderation (A2) and of stayers
  and leavers (A3);
- :mod:`.steps`: the steps the chapters share (quoting a published number,
  the frames the outcome models are fitted on, the rows of a linear
  probability model, Rubin pooling of equation 3).

The chapters write ``from coachbook.studies import kraft_hill`` and
``kraft_hill.table6_estimates(files, teachers)``: every public name of the five
modules is available here.

>>> from coachbook.studies import kraft_hill
>>> kraft_hill.number("Coaches", "count")
24.0
"""
from coachbook.studies.kraft_hill.appendix import a2_roster, table_a2_estimates, table_a3_estimates
from coachbook.studies.kraft_hill.measures import (ambitious_scale, figure1_shares, impute_priors,
                                                   mqi_reliabilities, prior_coverage, segment_lpm,
                                                   segment_midhigh, standardize_by_control,
                                                   teacher_mqi_scores)
from coachbook.studies.kraft_hill.steps import (ITT_COLUMNS, lpm_rows, number, pool_equation3,
                                                preferred_estimate, survey_frame, teacher_itt,
                                                teacher_outcome, with_student_controls)
from coachbook.studies.kraft_hill.tables import (all_estimates, table5_estimates, table6_estimates,
                                                 table7_estimates)
from coachbook.studies.kraft_hill.variables import (A2_IMPUTATIONS, A2_MODERATORS, A2_PANEL,
                                                    A3_CHARACTERISTICS, A3_GROUPS, A3_ROWS, CONSTANT,
                                                    CONTROLS, IMPUTATION_SEED, IMPUTATIONS, LOWER,
                                                    MQI_DOMAINS, MQI_ITEMS, N_STUDENTS, N_TEACHERS,
                                                    PAPER, PRIOR_SCORES, RACES, REFLECTIONS,
                                                    SURVEY_ITEMS, TABLE_A1_FLAGS, TEACHER_CONTROLS,
                                                    TESTS, TREAT, UNCOND, UPPER)

__all__ = ["A2_IMPUTATIONS", "A2_MODERATORS", "A2_PANEL", "A3_CHARACTERISTICS", "A3_GROUPS", "A3_ROWS", "CONSTANT", "CONTROLS", "IMPUTATIONS", "IMPUTATION_SEED", "ITT_COLUMNS",
           "LOWER", "MQI_DOMAINS", "MQI_ITEMS", "N_STUDENTS", "N_TEACHERS", "PAPER", "PRIOR_SCORES",
           "RACES", "REFLECTIONS", "SURVEY_ITEMS", "TABLE_A1_FLAGS", "TEACHER_CONTROLS", "TESTS",
           "TREAT", "UNCOND", "UPPER", "a2_roster", "all_estimates", "ambitious_scale", "figure1_shares",
           "impute_priors", "lpm_rows", "mqi_reliabilities", "number", "pool_equation3",
           "preferred_estimate", "prior_coverage", "segment_lpm", "segment_midhigh",
           "standardize_by_control", "survey_frame", "table5_estimates", "table6_estimates",
           "table7_estimates", "table_a2_estimates", "table_a3_estimates", "teacher_itt", "teacher_mqi_scores", "teacher_outcome", "with_student_controls"]
