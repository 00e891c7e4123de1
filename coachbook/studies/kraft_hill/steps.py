"""The MQI Coaching trial of Kraft and Hill (2019): the steps its chapters share.

The estimators of the paper's tables live in :mod:`.tables`; this module
holds what the chapters built around them: quoting a published number, the
frames the outcome models are fitted on (one row per teacher or per student,
outcome standardized on the control group), the rows of a linear probability
model keyed like the published CSV, and Rubin pooling of equation 3 over
imputed copies of a sample. Every input is an argument.

>>> from coachbook.studies import kraft_hill
>>> kraft_hill.number("Coaches", "count")
24.0
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from coachbook.book import published
from coachbook.book.compare import published_number
from coachbook.book.own_data import read_table
from coachbook.estimators import attrition
from coachbook.estimators.imputation import pool_rubin
from coachbook.estimators.random_intercept import fit_random_intercept
from coachbook.estimators.rct import itt
from coachbook.studies._checks import frame_with
from coachbook.studies.kraft_hill.measures import ambitious_scale, standardize_by_control
from coachbook.studies.kraft_hill.variables import CONSTANT, PAPER, TREAT

__all__ = ["ITT_COLUMNS", "lpm_rows", "number", "pool_equation3", "preferred_estimate", "survey_frame",
           "teacher_itt", "teacher_outcome", "with_student_controls"]

#: A reader's own file for :func:`teacher_itt`: one row per randomized teacher, with these columns,
#: the outcome column and any controls.
ITT_COLUMNS = ("teacher_id", "block", "treatment")


def number(row: str, column: str, table: str = "Text", panel: str = "") -> float:
    """A published number of Kraft & Hill (2019): :func:`coachbook.book.compare.published_number`."""
    return published_number(PAPER, row, column, table, panel)


def preferred_estimate(row: str, table: str, panel: str) -> dict[str, float]:
    """The preferred-model ("Controls") estimate and standard error of one row of Tables 5-7."""
    estimate = published_number(PAPER, row, "Controls", table, panel)
    return {"estimate": estimate, "se": float(published.lookup(PAPER, table, row, "Controls", panel)["se"])}


def lpm_rows(data: pd.DataFrame, outcome: str, table: str, column: str, panel: str = "") -> list[dict]:
    """Treatment effect and constant of one block-FE linear probability model, keyed like the CSV.

    Fits :func:`coachbook.estimators.attrition.lpm_block_fe` of the 0/1 ``outcome`` (one
    row per randomized teacher, with ``treatment`` and ``block``) and returns
    two rows, :data:`TREAT` and :data:`CONSTANT`, for ``column`` of ``table``
    (Table 4: still teaching; Table A1: outcome missing), ready for
    :func:`coachbook.book.compare.compare`.
    """
    frame_with(data, [outcome, "treatment", "block"], "data")
    fit = attrition.lpm_block_fe(data, outcome)
    return [dict(table=table, panel=panel, row=TREAT, column=column, estimate=fit.estimate, se=fit.se),
            dict(table=table, panel=panel, row=CONSTANT, column=column,
                 estimate=fit.constant, se=fit.constant_se)]


def teacher_outcome(roster: pd.DataFrame, outcomes: pd.DataFrame, column: str) -> pd.DataFrame:
    """One row per teacher of ``roster``, with ``column`` of ``outcomes`` in control-group SD.

    Teachers without the outcome keep a missing value (the models drop them);
    the standardization uses the control teachers who have it, as Tables 5
    and 6 do.
    """
    frame_with(roster, ["teacher_id", "treatment"], "roster")
    frame_with(outcomes, ["teacher_id", column], "outcomes")
    if outcomes["teacher_id"].duplicated().any():
        raise ValueError("outcomes has several rows for one teacher; keep one year (or one row per teacher).")
    d = roster.merge(outcomes[["teacher_id", column]], on="teacher_id", how="left")
    d[column] = standardize_by_control(d[column], d["treatment"])
    return d


def survey_frame(survey: pd.DataFrame, roster: pd.DataFrame, year: int, name: str = "y") -> pd.DataFrame:
    """One row per surveyed student of ``year``: the Ambitious Instruction score and the roster.

    The score (:func:`coachbook.studies.kraft_hill.measures.ambitious_scale`) is standardized on the
    control students of that year and stored in column ``name``: the data of
    equation 2 for the student survey (Table 6).
    """
    frame_with(survey, ["teacher_id", "year"], "survey")
    frame_with(roster, ["teacher_id", "treatment"], "roster")
    if year not in set(survey["year"]):
        raise ValueError(f"survey has no students in year {year!r}; its years are {sorted(set(survey['year']))}.")
    s = survey[survey["year"] == year]
    d = s[["teacher_id"]].assign(**{name: ambitious_scale(s)}).merge(roster, on="teacher_id")
    d[name] = standardize_by_control(d[name], d["treatment"])
    return d


def with_student_controls(students: pd.DataFrame, roster: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Student rows with their teacher's roster columns and dummy-coded race and grade (equation 3).

    Returns the frame and the names of the dummy columns (first level dropped).
    """
    frame_with(students, ["teacher_id", "race", "grade"], "students")
    frame_with(roster, ["teacher_id"], "roster")
    d = students.merge(roster, on="teacher_id")
    dummies = pd.get_dummies(d[["race", "grade"]].astype(str), drop_first=True).astype(float)
    return pd.concat([d, dummies], axis=1), list(dummies.columns)


def pool_equation3(imputed: Sequence[pd.DataFrame], design: pd.DataFrame, outcome, groups,
                   priors: Sequence[str], df_complete: float) -> pd.Series:
    """Rubin-pooled treatment effect of equation 3 over imputed copies of one sample.

    ``design`` is the model matrix of equation 3 on the sample (a DataFrame
    whose columns include ``treatment`` and the ``priors``); each imputed copy
    replaces the prior-score columns, the random-intercept model
    (:func:`coachbook.estimators.random_intercept.fit_random_intercept`) is refitted, and the
    treatment coefficients are pooled with
    :func:`coachbook.estimators.imputation.pool_rubin`.
    """
    frame_with(design, ["treatment", *priors], "design")
    if len(imputed) < 2:
        raise ValueError(f"pooling needs at least two imputed data sets, got {len(imputed)}.")
    for k, imp in enumerate(imputed):
        frame_with(imp, priors, f"imputed[{k}]")
        if len(imp) != len(design):
            raise ValueError(f"imputed[{k}] has {len(imp)} rows, the design {len(design)}; "
                             "impute the same sample the design was built on.")
    outcome, groups = np.asarray(outcome, dtype=float).ravel(), np.asarray(groups)
    prior_columns = [list(design.columns).index(p) for p in priors]
    treat = list(design.columns).index("treatment")
    q, u = [], []
    for imp in imputed:
        x = design.to_numpy().copy()
        x[:, prior_columns] = imp[list(priors)].to_numpy()
        fit = fit_random_intercept(outcome, x, groups)
        q.append(fit.coef[treat])
        u.append(fit.cov[treat, treat])
    return pool_rubin(np.array(q), np.array(u), df_complete=df_complete).iloc[0]



def teacher_itt(source, outcome: str, controls: Sequence[str] = (), standardize: bool = True):
    """Equation 1 (Tables 5 and 6) on a reader's own teacher file: the ITT effect on ``outcome``.

    ``source`` is a CSV path or a DataFrame with one row per randomized
    teacher: :data:`ITT_COLUMNS` (``treatment`` 1 if offered coaching, 0 if
    not; ``block`` the randomization block), ``outcome`` (missing for teachers
    without it) and the ``controls``. With ``standardize`` the outcome is put in
    control-group SD first, as the paper does. Returns the
    :class:`coachbook.estimators.rct.ITTResult` of OLS with block fixed effects
    and HC1 errors (:func:`coachbook.estimators.rct.itt`).
    """
    frame = read_table(source, [*ITT_COLUMNS, outcome, *controls], "the teacher file")
    if frame["teacher_id"].duplicated().any():
        raise ValueError("the teacher file has several rows for one teacher; give each teacher one row.")
    if standardize:
        frame[outcome] = standardize_by_control(pd.to_numeric(frame[outcome], errors="raise"),
                                                frame["treatment"])
    return itt(frame, outcome, controls=list(controls))
