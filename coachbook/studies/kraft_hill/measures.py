"""The MQI Coaching trial's measures, computed from the files as Kraft and Hill (2019) describe them.

Each function turns a bundled file into what a table of the paper analyses:
outcomes standardized on the control group (:func:`standardize_by_control`),
the Ambitious Instruction scale (:func:`ambitious_scale`), MQI domain scores
of teachers (:func:`teacher_mqi_scores`) and segments
(:func:`segment_midhigh`), their reliabilities (:func:`mqi_reliabilities`),
the segment-level linear probability models and the brief's Figure 1
(:func:`segment_lpm`, :func:`figure1_shares`), and the prior scores of
equation 3: their coverage (:func:`prior_coverage`) and multiple imputations
(:func:`impute_priors`).
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from coachbook.estimators import ols
from coachbook.estimators.random_intercept import fit_random_intercept
from coachbook.estimators.rct import itt
from coachbook.studies.kraft_hill.variables import (IMPUTATION_SEED, IMPUTATIONS, LPM_ROW, MQI_ITEMS,
                                                    PRIOR_SCORES, RACES, SURVEY_ITEMS,
                                                    TEACHER_CONTROLS, TESTS, T7_ROW)

__all__ = ["ambitious_scale", "figure1_shares", "impute_priors", "mqi_reliabilities",
           "prior_coverage", "segment_lpm", "segment_midhigh", "standardize_by_control",
           "teacher_mqi_scores"]


def standardize_by_control(values: pd.Series, treatment: pd.Series) -> pd.Series:
    """``(y - mean_control) / sd_control`` (ddof 1), control = treatment 0, NaN kept."""
    ref = values[(treatment == 0) & values.notna()]
    return (values - ref.mean()) / ref.std(ddof=1)


def ambitious_scale(survey: pd.DataFrame) -> pd.Series:
    """A student's raw Ambitious Instruction score: the mean of the 11 items (1-5).

    The paper scored the items with a graded response model; the mean is its
    transparent stand-in. Standardize it by the control students of each year
    (:func:`standardize_by_control`) to get the Table 6 outcome.
    """
    return survey[[name for name, _ in SURVEY_ITEMS]].mean(axis=1)


def segment_midhigh(segments: pd.DataFrame) -> pd.DataFrame:
    """Per segment and domain: 1 if the segment scores Mid (2) or High (3), else 0.

    A segment's domain score is the mean of the domain's items; rounded to
    the nearest score point it is Not Present (0), Low (1), Mid (2) or High
    (3), so Mid or High means a domain mean of at least 1.5.
    """
    out = segments[["teacher_id", "lesson_id"]].copy()
    for domain, items in MQI_ITEMS.items():
        out[domain] = (segments[[c for c, _ in items]].mean(axis=1) >= 1.5).astype(int)
    return out


def teacher_mqi_scores(segments: pd.DataFrame) -> pd.DataFrame:
    """Teacher-level MQI domain scores (raw 0-3 scale), one row per teacher.

    As the paper: average each item over all of a teacher's segments, then
    average the item means within the domain.
    """
    items = [c for its in MQI_ITEMS.values() for c, _ in its]
    item_means = segments.groupby("teacher_id")[items].mean()
    return pd.DataFrame({d: item_means[[c for c, _ in items]].mean(axis=1)
                         for d, items in MQI_ITEMS.items()}).reset_index()


def mqi_reliabilities(segments: pd.DataFrame) -> pd.Series:
    """Teacher-level reliability of each MQI domain score.

    Lesson-level domain scores (mean of the domain's items over the lesson's
    segments) are split by an intercept-only random-intercept REML model into
    between-teacher variance ``tau`` and within-teacher (lesson) variance
    ``sigma^2``; the reliability of a teacher's average over ``L`` lessons is
    ``tau / (tau + sigma^2 / L)`` with ``L`` the mean lessons per teacher
    (4.8 in the paper: "the proportion of variance across lessons that is
    between-teachers after scaling our lesson error variance by the 4.8
    average lessons we coded per teacher").
    """
    out = {}
    lessons = segments.groupby("lesson_id", sort=True)
    teacher = lessons["teacher_id"].first()
    n_lessons = teacher.value_counts().mean()
    for domain, items in MQI_ITEMS.items():
        y = lessons[[c for c, _ in items]].mean().mean(axis=1)
        fit = fit_random_intercept(y.to_numpy(), np.ones((len(y), 1)), teacher.to_numpy())
        out[domain] = fit.tau / (fit.tau + fit.sigma2 / n_lessons)
    return pd.Series(out, name="reliability")


def _with_teachers(frame, teachers, cols=()):
    controls = list(TEACHER_CONTROLS)
    keep = ["teacher_id", "treatment", "block", *controls, *cols]
    return frame.merge(teachers[list(dict.fromkeys(keep))], on="teacher_id", how="left",
                       validate="many_to_one")


def segment_lpm(segments: pd.DataFrame, teachers: pd.DataFrame) -> pd.DataFrame:
    """Segment-level linear probability models for a Mid/High domain score (Findings).

    OLS of the 0/1 Mid/High indicator of each segment on treatment, block
    fixed effects and the teacher controls (the preferred model), standard
    errors clustered by teacher. One row per domain: ``effect`` (proportion),
    ``se``, ``p``, ``control_mean``, ``treatment_mean`` (raw shares, the
    brief's Figure 1) and ``n`` segments.
    """
    seg = segment_midhigh(segments)
    # teachers without video enter with a missing outcome, so that rct.itt checks
    # the design on the randomized sample (a block may have lost one arm)
    absent = teachers.loc[~teachers["teacher_id"].isin(seg["teacher_id"]), ["teacher_id"]]
    data = _with_teachers(pd.concat([seg, absent], ignore_index=True), teachers)
    rows = {}
    for domain in ("richness", "wws", "ccasp", "errors"):
        res = itt(data, domain, controls=list(TEACHER_CONTROLS), cluster="teacher_id")
        rows[domain] = {"effect": res.estimate, "se": res.se, "p": res.p,
                        "control_mean": data.loc[data["treatment"] == 0, domain].mean(),
                        "treatment_mean": data.loc[data["treatment"] == 1, domain].mean(),
                        "n": res.n}
    return pd.DataFrame.from_dict(rows, orient="index")


def figure1_shares(segments: pd.DataFrame, teachers: pd.DataFrame) -> pd.DataFrame:
    """The brief's Figure 1: percent of segments scored Mid or High, control vs treatment.

    The treatment bar is read as the control mean plus the covariate-adjusted
    segment-level effect (:func:`segment_lpm`), because the printed bars are
    exactly that: 26 + 9.6 = 35.6 (printed 36), 46 + 7.0 = 53, 26 + 9.2 =
    35.2 (printed 35). The raw treated share is ``segment_lpm(...)["treatment_mean"]``.
    Tidy rows keyed like the published CSV (table "Brief Figure 1").
    """
    lpm = segment_lpm(segments, teachers)
    rows = []
    for domain, label in LPM_ROW.items():
        control = 100 * lpm.at[domain, "control_mean"]
        treated = control + 100 * lpm.at[domain, "effect"]
        for column, value in [("Control", control), ("Treatment (MQI Coaching)", treated)]:
            rows.append({"table": "Brief Figure 1", "panel": "", "row": label, "column": column,
                         "estimate": value, "se": np.nan})
    return pd.DataFrame(rows)


def prior_coverage(files: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Percent of students with valid prior state and MAP scores in each Table 7 sample."""
    tests = files["mqi/student_tests"]
    rows = []
    for (year, test), label in T7_ROW.items():
        d = tests[(tests["year"] == year) & tests[TESTS[test]].notna()]
        rows.append({"year": year, "outcome": label, "n": len(d),
                     "state_prior_pct": 100 * d["prior_state_math"].notna().mean(),
                     "map_prior_pct": 100 * d["prior_map_math"].notna().mean()})
    return pd.DataFrame(rows)


def impute_priors(students: pd.DataFrame, teachers: pd.DataFrame, m: int = IMPUTATIONS,
                  seed: int = IMPUTATION_SEED) -> list[pd.DataFrame]:
    """m completed copies of ``students`` with the four prior scores imputed (endnote 6).

    Missing pairs of prior scores are drawn from a Bayesian multivariate
    normal regression on student demographics, grade and school indicators
    (the paper: "imputed using student demographic characteristics and
    indicators for school assignment"); see :func:`_draw_imputations`. Pass
    the rows of one analytic sample (one year, one test): the draws depend on
    the rows, and :func:`coachbook.studies.kraft_hill.tables.table7_estimates` uses exactly these imputations.
    """
    frame = students.reset_index(drop=True)
    ids = frame["teacher_id"].to_numpy()
    school = teachers.set_index("teacher_id").loc[ids, "school_id"].to_numpy()
    ones = np.ones(len(frame))
    z = np.column_stack([ones, _student_characteristics(frame), ols.dummies(school)])
    rng = np.random.default_rng([int(seed), int(frame["year"].iloc[0]), len(frame)])
    out = []
    for pri in _draw_imputations(z, frame[list(PRIOR_SCORES)].to_numpy(float), rng, m):
        copy = frame.copy()
        copy[list(PRIOR_SCORES)] = pri
        out.append(copy)
    return out


def _student_characteristics(frame: pd.DataFrame) -> np.ndarray:
    """Student controls W of equation 3: gender, race, FRL, LEP, special education, grade."""
    race = pd.Categorical(frame["race"], categories=RACES)
    race_d = np.column_stack([(race == r).astype(float) for r in RACES[1:]])  # Asian/other ref.
    grade = ols.dummies(frame["grade"])
    return np.column_stack([frame[["female", "frl", "lep", "sped"]].to_numpy(float), race_d, grade])


def _draw_imputations(z: np.ndarray, y: np.ndarray, rng, m: int) -> list[np.ndarray]:
    """m Bayesian multivariate-normal regression draws for the rows of y with NaNs.

    For each pair of prior scores (math, reading of one test), missing together:
    fit ``Y = Z B + E`` on the rows with the pair observed, draw
    ``Sigma ~ InvWishart(n - q, E'E)`` and ``B ~ MN(B_hat, (Z'Z)^{-1}, Sigma)``,
    and impute ``Y_mis = Z_mis B + N(0, Sigma)`` (Rubin 1987, normal model).
    """
    out = [y.copy() for _ in range(m)]
    for cols in ([0, 1], [2, 3]):
        yy = y[:, cols]
        miss = np.isnan(yy).any(axis=1)
        if not miss.any():
            continue
        keep = ols.independent_columns(z[~miss])
        zo, zm, yo = z[~miss][:, keep], z[miss][:, keep], yy[~miss]
        if np.isnan(yo).any():
            raise ValueError("prior scores must be missing in pairs (math and reading together)")
        zz_inv = np.linalg.inv(zo.T @ zo)
        b_hat = zz_inv @ zo.T @ yo
        e = yo - zo @ b_hat
        df = len(yo) - zo.shape[1]
        l_z = np.linalg.cholesky(zz_inv)
        for k in range(m):
            sigma = stats.invwishart.rvs(df=df, scale=e.T @ e, random_state=rng)
            l_s = np.linalg.cholesky(sigma)
            b = b_hat + l_z @ rng.standard_normal(b_hat.shape) @ l_s.T
            draw = zm @ b + rng.standard_normal((len(zm), 2)) @ l_s.T
            block = out[k][:, cols]
            block[miss] = draw
            out[k][:, cols] = block
    return out
