"""The estimators of Kraft and Hill's (2019) Tables 5-7, on the bundled files.

Each ``table*_estimates(files, teachers)`` takes a mapping of file names to
data frames (``"mqi/reflections"``, ``"mqi/student_survey"``,
``"mqi/mqi_segments"``, ``"mqi/student_tests"``) and the roster
``"mqi/teachers"``, and returns tidy rows ``table, panel, row, column,
estimate, se, p, n`` keyed like ``data/published/kraft_hill_2019.csv``.
Equation 1 (teacher outcomes) is :func:`coachbook.estimators.rct.itt` (OLS,
block fixed effects, HC1). Equations 2 and 3 are random-intercept models
fitted by REML (:mod:`coachbook.estimators.random_intercept`). Table 7's
preferred model uses 20 imputations of the missing prior scores
(:func:`coachbook.studies.kraft_hill.measures.impute_priors`) pooled by
Rubin's rules with Barnard-Rubin degrees of freedom (:func:`_t7_cell` builds
the designs once, so the generator's calibration refits them cheaply). Lee
bounds follow the paper
(:func:`coachbook.estimators.lee_fe.lee_bounds_fe`): trim the arm observed
more often, then re-estimate the unconditional model with block fixed
effects; the trimming is sharp, the teacher at the cut point entering with
the fraction kept as a weight.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from coachbook.estimators import ols
from coachbook.estimators.imputation import pool_rubin
from coachbook.estimators.lee_fe import lee_bounds_fe
from coachbook.estimators.random_intercept import _RIDesign, fit_random_intercept
from coachbook.estimators.rct import itt
from coachbook.studies.kraft_hill.measures import (_draw_imputations, _student_characteristics,
                                                   _with_teachers, ambitious_scale,
                                                   standardize_by_control, teacher_mqi_scores)
from coachbook.studies.kraft_hill.variables import (AMBITIOUS_ROW, CONTROLS, IMPUTATION_SEED,
                                                    IMPUTATIONS, LOWER, MQI_DOMAINS, N_STUDENTS,
                                                    N_TEACHERS, PRIOR_SCORES, REFLECTIONS,
                                                    T5_PANEL, T67_PANEL, T7_ROW, TEACHER_CONTROLS,
                                                    TESTS, UNCOND, UPPER)

__all__ = ["all_estimates", "table5_estimates", "table6_estimates", "table7_estimates"]


@dataclass
class _T7Cell:
    """Designs of one Table 7 cell: unconditional and the m imputed controlled ones."""

    groups: np.ndarray          # teacher position (0..G-1) of each student row
    teacher_ids: np.ndarray     # ids of the G teachers
    treat: np.ndarray           # per teacher
    design_u: _RIDesign
    designs_c: list
    df_complete: float


def _t7_cell(frame: pd.DataFrame, teachers: pd.DataFrame, m: int, seed: int) -> _T7Cell:
    """Build a cell's designs from its student rows (those with the outcome), as equation 3."""
    controls = list(TEACHER_CONTROLS)
    t = teachers.set_index("teacher_id")
    ids, groups = np.unique(frame["teacher_id"].to_numpy(), return_inverse=True)
    tt = t.loc[ids]
    treat = tt["treatment"].to_numpy(float)
    blocks = ols.dummies(tt["block"])
    x_teacher = tt[controls].to_numpy(float)
    ones = np.ones(len(frame))
    design_u = _RIDesign(np.column_stack([ones, treat[groups], blocks[groups]]), groups)
    w = _student_characteristics(frame)
    schools = ols.dummies(tt["school_id"].to_numpy()[groups])
    z = np.column_stack([ones, w, schools])
    priors = frame[list(PRIOR_SCORES)].to_numpy(float)
    rng = np.random.default_rng([int(seed), int(frame["year"].iloc[0]), len(frame)])
    completed = _draw_imputations(z, priors, rng, m)
    fixed = np.column_stack([ones, treat[groups], np.zeros((len(frame), 4)), blocks[groups],
                             x_teacher[groups], w])
    keep = ols.independent_columns(np.column_stack([fixed[:, :2], np.nan_to_num(priors),
                                                 fixed[:, 6:]]))
    designs = []
    for pri in completed:
        x = fixed.copy()
        x[:, 2:6] = pri
        designs.append(_RIDesign(x[:, keep], groups))
    # complete-data df of the (teacher-level) treatment effect: teachers minus
    # the teacher-level coefficients (intercept, treatment, blocks, controls)
    teacher_level = np.column_stack([np.ones(len(ids)), treat, blocks, x_teacher])
    df_complete = len(ids) - len(ols.independent_columns(teacher_level))
    return _T7Cell(groups=groups, teacher_ids=ids, treat=treat, design_u=design_u,
                   designs_c=designs, df_complete=float(df_complete))


def _pool(cell: _T7Cell, y: np.ndarray):
    fits = [d.fit(y) for d in cell.designs_c]
    est = np.array([f.coef[1] for f in fits])
    var = np.array([f.cov[1, 1] for f in fits])
    return pool_rubin(est, var, df_complete=cell.df_complete).iloc[0]


# ---------------------------------------------------------------------------
# The unconditional model; the Lee (2009) bounds around it, as the paper applies
# them, are coachbook.estimators.lee_fe.lee_bounds_fe (re-exported above), sharp trimming
# ---------------------------------------------------------------------------
def _unconditional(d, outcome, multilevel, treatment="treatment", block="block", controls=()):
    """(estimate, se, p) of the treatment: block FE (+ controls), OLS-HC1 or random intercept."""
    if not multilevel:
        if block is None:
            d = d[d[outcome].notna()]
            x = np.column_stack([np.ones(len(d)), d[treatment].to_numpy(float)])
            return ols.coefficient(ols.fit(d[outcome].to_numpy(float), x))
        res = itt(d, outcome, treatment=treatment, block=block, controls=list(controls))
        return res.estimate, res.se, res.p
    x = [np.ones(len(d)), d[treatment].to_numpy(float)]
    if block is not None:
        x.append(ols.dummies(d[block]))
    if controls:
        x.append(d[list(controls)].to_numpy(float))
    design = ols.drop_collinear(np.column_stack(x))
    fit = fit_random_intercept(d[outcome].to_numpy(float), design, d["teacher_id"].to_numpy())
    est, se = float(fit.coef[1]), float(fit.se[1])
    return est, se, float(2 * stats.norm.sf(abs(est / se)))


# ---------------------------------------------------------------------------
# Tables 5-7
# ---------------------------------------------------------------------------
def _row(table, panel, row, column, estimate, se=np.nan, p=np.nan, n=np.nan):
    return {"table": table, "panel": panel, "row": row, "column": column,
            "estimate": float(estimate), "se": float(se), "p": float(p), "n": n}


_TIDY = ["table", "panel", "row", "column", "estimate", "se", "p", "n"]


def _teacher_cells(table, panel, row, frame, outcome, teachers, lee: bool):
    """n, unconditional, controls (and Lee bounds) for a teacher-level outcome (eq. 1)."""
    roster = teachers[["teacher_id", "treatment", "block", *list(TEACHER_CONTROLS)]]
    d = roster.merge(frame[["teacher_id", outcome]], on="teacher_id", how="left",
                     validate="one_to_one")
    d[outcome] = standardize_by_control(d[outcome], d["treatment"])
    n = int(d[outcome].notna().sum())
    u = itt(d, outcome)
    c = itt(d, outcome, controls=list(TEACHER_CONTROLS))
    rows = [_row(table, panel, row, N_TEACHERS, n, n=n),
            _row(table, panel, row, UNCOND, u.estimate, u.se, u.p, n),
            _row(table, panel, row, CONTROLS, c.estimate, c.se, c.p, n)]
    if lee:
        b = lee_bounds_fe(d, outcome, teachers)
        rows += [_row(table, panel, row, LOWER, b.lower, b.se_lower, b.p_lower, n),
                 _row(table, panel, row, UPPER, b.upper, b.se_upper, b.p_upper, n)]
    return rows


def table5_estimates(files: Mapping[str, pd.DataFrame], teachers: pd.DataFrame) -> pd.DataFrame:
    """Table 5: effects on MQI language, Critique and Change, both years (equation 1).

    Each measure is standardized by the control teachers of its year; OLS on
    treatment and block fixed effects (column "Unconditional") and adding the
    teacher controls (column "Controls", preferred), HC1 standard errors
    (:func:`coachbook.estimators.rct.itt`). Returns tidy rows ``table, panel, row,
    column, estimate, se, p, n`` keyed like ``data/published/kraft_hill_2019.csv``.
    """
    refl = files["mqi/reflections"]
    rows = []
    for year in (1, 2):
        d = refl[refl["year"] == year]
        for col, label in REFLECTIONS.items():
            rows += _teacher_cells("Table 5", T5_PANEL[year], label, d, col, teachers, lee=False)
    return pd.DataFrame(rows, columns=_TIDY)


def table6_estimates(files: Mapping[str, pd.DataFrame], teachers: pd.DataFrame) -> pd.DataFrame:
    """Table 6: Ambitious Instruction (equation 2) and the four MQI domains (equation 1).

    Ambitious Instruction: the student's item mean (:func:`ambitious_scale`)
    standardized by the year's control students; random-intercept model of
    students in teachers (REML, :func:`fit_random_intercept`) with block fixed
    effects, plus teacher controls in the preferred model. MQI: teacher domain
    scores (:func:`teacher_mqi_scores`) standardized by the control teachers;
    OLS with HC1 errors. Follow-up year: Lee bounds around the unconditional
    model (:func:`lee_bounds_fe`).
    """
    survey = files["mqi/student_survey"]
    rows = []
    controls = list(TEACHER_CONTROLS)
    for year in (1, 2):
        panel, label = T67_PANEL[year], AMBITIOUS_ROW[year]
        d = _with_teachers(survey[survey["year"] == year][["teacher_id"]].assign(
            y=ambitious_scale(survey[survey["year"] == year])), teachers)
        d["y"] = standardize_by_control(d["y"], d["treatment"])
        u = _unconditional(d, "y", True)
        c = _unconditional(d, "y", True, controls=controls)
        n_t = d["teacher_id"].nunique()
        rows += [_row("Table 6", panel, label, N_STUDENTS, len(d), n=n_t),
                 _row("Table 6", panel, label, N_TEACHERS, n_t, n=n_t),
                 _row("Table 6", panel, label, UNCOND, *u, n=n_t),
                 _row("Table 6", panel, label, CONTROLS, *c, n=n_t)]
        if year == 2:
            b = lee_bounds_fe(d, "y", teachers, multilevel=True)
            rows += [_row("Table 6", panel, label, LOWER, b.lower, b.se_lower, b.p_lower, n_t),
                     _row("Table 6", panel, label, UPPER, b.upper, b.se_upper, b.p_upper, n_t)]
    scores = teacher_mqi_scores(files["mqi/mqi_segments"])
    for domain, label in MQI_DOMAINS.items():
        rows += _teacher_cells("Table 6", T67_PANEL[2], label, scores, domain, teachers, lee=True)
    return pd.DataFrame(rows, columns=_TIDY)


def table7_estimates(files: Mapping[str, pd.DataFrame], teachers: pd.DataFrame,
                     m: int = IMPUTATIONS, seed: int = IMPUTATION_SEED) -> pd.DataFrame:
    """Table 7: effects on state and interim (MAP/Star) math scores (equation 3).

    Unconditional: random-intercept model (REML) with treatment and block
    fixed effects. Controls (preferred): adds prior math and reading on both
    tests, gender, race, FRL, LEP, special education, grade and the teacher
    controls; the missing priors are multiply imputed ``m`` times
    (:func:`coachbook.studies.kraft_hill.measures.impute_priors`) and the ``m`` fits pooled by Rubin's rules with the
    Barnard-Rubin degrees of freedom (:func:`coachbook.estimators.imputation.pool_rubin`,
    complete-data df = teachers minus teacher-level coefficients). Follow-up
    year: Lee bounds around the unconditional model. Scores are in SD units
    of the full student population (as generated); nothing is re-standardized.
    """
    tests = files["mqi/student_tests"]
    t = teachers.sort_values("teacher_id").reset_index(drop=True)
    rows = []
    for (year, test), label in T7_ROW.items():
        panel, col = T67_PANEL[year], TESTS[test]
        frame = tests[(tests["year"] == year) & tests[col].notna()].reset_index(drop=True)
        cell = _t7_cell(frame, t, m, seed)
        y = frame[col].to_numpy(float)
        fu = cell.design_u.fit(y)
        est_u, se_u = float(fu.coef[1]), float(fu.se[1])
        pooled = _pool(cell, y)
        n_t = len(cell.teacher_ids)
        rows += [_row("Table 7", panel, label, N_STUDENTS, len(frame), n=n_t),
                 _row("Table 7", panel, label, N_TEACHERS, n_t, n=n_t),
                 _row("Table 7", panel, label, UNCOND, est_u, se_u,
                      2 * stats.norm.sf(abs(est_u / se_u)), n_t),
                 _row("Table 7", panel, label, CONTROLS, pooled["estimate"], pooled["se"],
                      pooled["p"], n_t)]
        if year == 2:
            d = _with_teachers(frame[["teacher_id", col]], t)
            b = lee_bounds_fe(d, col, t, multilevel=True)
            rows += [_row("Table 7", panel, label, LOWER, b.lower, b.se_lower, b.p_lower, n_t),
                     _row("Table 7", panel, label, UPPER, b.upper, b.se_upper, b.p_upper, n_t)]
    return pd.DataFrame(rows, columns=_TIDY)


def all_estimates(files: Mapping[str, pd.DataFrame], teachers: pd.DataFrame) -> pd.DataFrame:
    """Tables 5, 6 and 7 stacked (tidy rows keyed like the published CSV)."""
    return pd.concat([table5_estimates(files, teachers), table6_estimates(files, teachers),
                      table7_estimates(files, teachers)], ignore_index=True)
