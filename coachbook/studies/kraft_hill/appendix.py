"""The estimators of Kraft and Hill's (2019) appendix Tables A2 and A3, on the bundled files.

- :func:`table_a2_estimates`: moderation, the treatment-by-moderator
  interaction of six baseline characteristics in the preferred model of
  every outcome and year (:func:`coachbook.estimators.moderation.treatment_interaction`);
- :func:`table_a3_estimates`: the baseline characteristics of the teachers
  who stayed in and left each follow-up outcome's sample, with the
  block-adjusted p-value of each difference and the joint F-test
  (:func:`coachbook.estimators.attrition.stayer_leaver_table`,
  :func:`~coachbook.estimators.attrition.joint_attrition_test`).

Both return long rows ``table, panel, row, column, estimate, se, p`` keyed
like ``data/published/kraft_hill_2019.csv``.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from coachbook.estimators import attrition, moderation
from coachbook.studies._checks import frame_with
from coachbook.studies.kraft_hill.measures import (ambitious_scale, impute_priors,
                                                   standardize_by_control, teacher_mqi_scores)
from coachbook.studies.kraft_hill.steps import teacher_outcome, with_student_controls
from coachbook.studies.kraft_hill.variables import (A2_AMBITIOUS, A2_IMPUTATIONS, A2_MODERATORS,
                                                    A2_MQI_COLUMNS, A2_PANEL, A2_TEST_COLUMNS,
                                                    A3_CHARACTERISTICS, A3_GROUPS, A3_JOINT_ROW,
                                                    A3_ROWS, PRIOR_SCORES, REFLECTIONS,
                                                    TEACHER_CONTROLS)

__all__ = ["a2_roster", "table_a2_estimates", "table_a3_estimates"]

_COLUMNS = ["table", "panel", "row", "column", "estimate", "se", "p"]
_FILES = ("mqi/reflections", "mqi/student_survey", "mqi/mqi_segments", "mqi/student_tests")


def a2_roster(teachers: pd.DataFrame) -> pd.DataFrame:
    """The teachers with what Table A2's models need: ids, design, the moderators, the controls.

    Adds ``suburban`` (1 for the small suburban district) to ``teacher_id,
    school_id, treatment, block, experience`` and the teacher controls.
    """
    frame_with(teachers, ["teacher_id", "school_id", "treatment", "block", "district",
                          "experience", *TEACHER_CONTROLS], "teachers")
    return teachers.assign(suburban=(teachers["district"] == "suburban").astype(int))[
        ["teacher_id", "school_id", "treatment", "block", "suburban", "experience",
         *TEACHER_CONTROLS]]


def _a2_cells(files, teachers, imputations):
    """(year, Table A2 column, data, outcome, keyword arguments) of every outcome and year."""
    roster = a2_roster(teachers)
    cells = []
    refl = files["mqi/reflections"]
    for year in (1, 2):
        for column, label in REFLECTIONS.items():
            cells.append((year, label, teacher_outcome(roster, refl[refl["year"] == year], column),
                          column, {}))
    scores = teacher_mqi_scores(files["mqi/mqi_segments"])
    for column, label in A2_MQI_COLUMNS.items():
        cells.append((2, label, teacher_outcome(roster, scores, column), column, {}))
    survey = files["mqi/student_survey"]
    for year in (1, 2):
        s = survey[survey["year"] == year]
        d = s[["teacher_id"]].assign(ambitious=ambitious_scale(s)).merge(roster, on="teacher_id")
        d["ambitious"] = standardize_by_control(d["ambitious"], d["treatment"])
        cells.append((year, A2_AMBITIOUS, d, "ambitious", {"cluster": "teacher_id"}))
    tests = files["mqi/student_tests"]
    for year in (1, 2):
        for column, label in A2_TEST_COLUMNS.items():
            frame = tests[(tests["year"] == year) & tests[column].notna()].reset_index(drop=True)
            imputed = [with_student_controls(f, roster)
                       for f in impute_priors(frame, teachers, m=imputations)]
            student_controls = ["female", "frl", "lep", "sped", *imputed[0][1], *PRIOR_SCORES]
            n_teachers = frame["teacher_id"].nunique()
            n_blocks = frame.merge(roster, on="teacher_id")["block"].nunique()
            df_complete = n_teachers - (4 + n_blocks - 1 + len(TEACHER_CONTROLS))
            cells.append((year, label, [d for d, _ in imputed], column,
                          {"cluster": "teacher_id", "df_complete": df_complete,
                           "extra_controls": student_controls}))
    return cells


def table_a2_estimates(files: Mapping[str, pd.DataFrame], teachers: pd.DataFrame,
                       imputations: int = A2_IMPUTATIONS) -> pd.DataFrame:
    """Table A2: does the effect vary with six baseline characteristics?

    For every outcome and year of Tables 5-7 and every moderator of
    :data:`~coachbook.studies.kraft_hill.variables.A2_MODERATORS` (district,
    experience in years, MKT and the three survey scales in SD units), the
    preferred model of that outcome plus the moderator and its product with
    assignment (:func:`coachbook.estimators.moderation.treatment_interaction`):
    OLS with HC1 errors for teacher outcomes (standardized by the control
    teachers), a random-intercept model for the student survey and the
    tests. The test-score models add the student controls of Table 7 and
    pool ``imputations`` imputations of the missing prior scores by Rubin's
    rules. Returns one row per interaction (``table, panel, row, column,
    estimate, se, p``).
    """
    if not isinstance(files, Mapping):
        raise ValueError(f"files must be a mapping of file names to data frames, got {type(files).__name__}.")
    missing = [name for name in _FILES if name not in files]
    if missing:
        raise ValueError(f"files lacks {missing}; pass the four outcome files of the MQI trial.")
    if isinstance(imputations, bool) or not isinstance(imputations, (int, np.integer)) or imputations < 2:
        raise ValueError(f"imputations must be a whole number of at least 2, got {imputations!r}.")
    rows = []
    for year, label, frame, outcome, options in _a2_cells(files, teachers, int(imputations)):
        options = dict(options)
        extra = options.pop("extra_controls", [])
        for moderator, row in A2_MODERATORS.items():
            fit = moderation.treatment_interaction(frame, outcome, moderator,
                                                   controls=[*TEACHER_CONTROLS, *extra], **options)
            rows.append(dict(table="Table A2", panel=A2_PANEL[year], row=row, column=label,
                             estimate=fit["estimate"], se=fit["se"], p=fit["p"]))
    return pd.DataFrame(rows, columns=_COLUMNS)


def table_a3_estimates(teachers: pd.DataFrame) -> pd.DataFrame:
    """Table A3: the teachers who stayed in and left each follow-up outcome's sample.

    For each group of :data:`~coachbook.studies.kraft_hill.variables.A3_GROUPS`
    and each of the 21 characteristics: the raw means of stayers ("Stay")
    and leavers ("Exit") and the p-value of the leaver-minus-stayer
    difference within randomization blocks (HC1), then the p-value of the
    joint F-test that the characteristics together predict leaving. Returns
    rows ``table, panel, row, column, estimate, se, p`` (the value is in
    ``estimate``; ``se`` and ``p`` are empty, as in the printed table).
    """
    frame_with(teachers, ["block", *A3_CHARACTERISTICS, *A3_GROUPS.values()], "teachers")
    rows = []
    for group, flag in A3_GROUPS.items():
        tab = attrition.stayer_leaver_table(teachers, A3_CHARACTERISTICS, flag)
        for char, label in A3_ROWS.items():
            for column, key in (("Stay", "mean_stay"), ("Exit", "mean_exit"), ("p-value", "p")):
                rows.append(dict(table="Table A3", panel=group, row=label, column=column,
                                 estimate=float(tab.at[char, key])))
        joint = attrition.joint_attrition_test(teachers, A3_CHARACTERISTICS, flag)
        rows.append(dict(table="Table A3", panel=group, row=A3_JOINT_ROW, column="p-value",
                         estimate=float(joint.p)))
    return pd.DataFrame(rows, columns=_COLUMNS)
