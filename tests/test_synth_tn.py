"""The bundled Tennessee coaching files reproduce Russell et al. (2020).

Every published number comes from ``data/published/russell_2020.csv`` through
:mod:`coachbook.book.published`; the files are read with :func:`coachbook.book.data.load`.
Counts must match exactly; descriptive statistics within the tolerances of the
generator's brief (means within .05 on 0-3 scales and .10 on 2-8 scales, SDs
within 15%); model-based numbers within the ranges given with each test.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from coachbook.book import data, published
from coachbook.estimators.hlm_tests import hlm_variance_chisq
from coachbook.estimators.icc import icc
from coachbook.synth import SEED, tn, write_csv

PAPER = "russell_2020"
PC_CYCLES = (1, 2, 3, 5, 6)
LESSON_CYCLES = (1, 2, 3, 4, 5, 6, 7)
ITEMS = {  # Table 4 row label -> column of tn/preconferences (analysis scale)
    "Appropriate content": "appropriate_content",
    "Solution paths": "solution_paths",
    "Advancing questions": "advancing_questions_rescaled",
    "Math content": "math_content",
    "Composite": "composite",
}
COHORTS = {  # Table 2 row label -> cohort
    "Participated in Years 1 and 2": "both_years",
    "Participated in Year 1 only": "year1_only",
    "Participated in Year 2 only": "year2_only",
}
AVAILABILITY = {
    "Complete data": "complete",
    "Teachers with one incomplete data cycle": "one_incomplete",
    "Teachers with two cycles of incomplete data": "two_incomplete",
}


def pub(table, row, column, panel=""):
    return published.estimate(PAPER, table, row, column, panel)


@pytest.fixture(scope="module")
def files():
    return {name: data.load(f"tn/{name}") for name in
            ("coaches", "teachers", "preconferences", "lessons", "double_scored")}


@pytest.fixture(scope="module")
def pcs(files):
    return files["preconferences"]


@pytest.fixture(scope="module")
def lessons(files):
    return files["lessons"]


@pytest.fixture(scope="module")
def first_lessons(lessons):
    return lessons.sort_values(["teacher_id", "time"]).groupby("teacher_id").first()


# --------------------------------------------------------------------------
# Counts (exact)
# --------------------------------------------------------------------------
def test_coach_counts_and_funnel(files):
    coaches, teachers = files["coaches"], files["teachers"]
    selected = pub("Text", "Coaches selected", "count", "Participants")
    assert coaches.active_year1.sum() == selected == 32
    assert (coaches.last_year == 1).sum() == pub("Text", "Coaches not continuing into Year 2", "count", "Participants")
    assert (coaches.year_joined == 2).sum() == pub("Text", "Coaches added in Year 2", "count", "Participants")
    assert coaches.active_year2.sum() == 32
    assert len(coaches) == selected + 2 <= pub("Text", "Complete applications", "count", "Participants")
    assert coaches.coach_id.is_unique and set(teachers.coach_id) <= set(coaches.coach_id)
    assert coaches.n_teachers_year1.sum() == teachers.in_year1.sum()
    assert coaches.n_teachers_year2.sum() == teachers.in_year2.sum()
    assert set(coaches.context) <= {"urban", "suburban", "rural"} and set(coaches.base) <= {"school", "district"}


def test_table2_teachers_and_data_availability(files):
    teachers = files["teachers"]
    assert len(teachers) == pub("Table 2", "Total teachers", "N") == pub("Text", "Partner teachers", "total", "Participants")
    assert teachers.teacher_id.is_unique
    for row, cohort in COHORTS.items():
        group = teachers[teachers.cohort == cohort]
        assert len(group) == pub("Table 2", row, "N"), row
        assert (group.n_data_cycles == pub("Table 2", row, "Data cycles")).all(), row
        for column, level in AVAILABILITY.items():
            assert (group.data_availability == level).sum() == pub("Table 2", row, column), (row, column)
    for column, level in AVAILABILITY.items():
        assert (teachers.data_availability == level).sum() == pub("Table 2", "Total teachers", column)


def test_incomplete_cycles_follow_from_the_files(files, pcs, lessons):
    """A data cycle is incomplete when its preconference, its video or both are missing."""
    expected = {"both_years": LESSON_CYCLES, "year1_only": (1, 2, 3), "year2_only": (4, 5, 6, 7)}
    have_pc = set(zip(pcs.teacher_id, pcs.data_cycle))
    have_video = set(zip(lessons.teacher_id, lessons.data_cycle))
    for t in files["teachers"].itertuples():
        incomplete = sum(
            (t.teacher_id, c) not in have_video or (c in PC_CYCLES and (t.teacher_id, c) not in have_pc)
            for c in expected[t.cohort])
        assert incomplete == t.n_incomplete_cycles, t.teacher_id
        assert t.n_preconferences == sum(tc[0] == t.teacher_id for tc in have_pc)
        assert t.n_lessons == sum(tc[0] == t.teacher_id for tc in have_video)
        assert {c for tid, c in have_video | have_pc if tid == t.teacher_id} <= set(expected[t.cohort])
    # 97% of preconferences and 93% of videos gathered
    n_expected_pc = sum(len([c for c in expected[g] if c in PC_CYCLES]) for g in files["teachers"].cohort)
    n_expected_video = sum(len(expected[g]) for g in files["teachers"].cohort)
    assert round(100 * len(pcs) / n_expected_pc) == pub(
        "Text", "Prelesson planning conferences gathered and scored", "percent", "Data availability")
    assert round(100 * len(lessons) / n_expected_video) == pub("Text", "Lesson videos gathered and scored", "percent", "Data availability")


def test_table4_and_table5_counts(pcs, lessons):
    assert pcs.groupby(["teacher_id", "data_cycle"]).size().max() == 1
    assert lessons.groupby(["teacher_id", "data_cycle"]).size().max() == 1
    for c in PC_CYCLES:
        assert (pcs.data_cycle == c).sum() == pub("Table 4", "Number of PC", f"Cycle {c} N"), c
    assert set(pcs.data_cycle) == set(PC_CYCLES)
    for c in LESSON_CYCLES:
        videos = lessons[lessons.data_cycle == c]
        assert len(videos) == pub("Table 5", "Number of videos", f"Cycle {c} N"), c
        assert (videos.coached == pub("Table 5", "Coached cycle", f"Cycle {c} coached")).all(), c
    assert len(pcs) == pub("Text", "Coaching growth models", "preconferences", "Analytic approach")
    assert len(lessons) == pub("Text", "Classroom videos scored", "count", "Measures")
    assert round(len(pcs) / 103, 2) == pub("Text", "Coaching growth models", "n_j", "Analytic approach")
    assert round(len(lessons) / 103, 2) == pub("Text", "Teaching growth models", "n_j", "Analytic approach")
    assert lessons.rater_id.nunique() == pub("Text", "Video raters", "count", "Measures")
    assert lessons.rater_id.value_counts().max() - lessons.rater_id.value_counts().min() <= 1


def test_lessons_link_to_preconferences(pcs, lessons):
    linked = lessons[lessons.has_preconference == 1].merge(
        pcs, on="preconference_id", suffixes=("", "_pc"), validate="one_to_one")
    assert len(linked) == (lessons.has_preconference == 1).sum()
    assert (linked.teacher_id == linked.teacher_id_pc).all() and (linked.data_cycle == linked.data_cycle_pc).all()
    keyed = lessons.merge(pcs[["teacher_id", "data_cycle"]], how="left", indicator=True)
    assert ((keyed["_merge"] == "both").astype(int) == lessons.has_preconference).all()
    assert (lessons.loc[lessons.coached == 0, "has_preconference"] == 0).all()


# --------------------------------------------------------------------------
# Scales and descriptive statistics
# --------------------------------------------------------------------------
def test_ranges_and_derived_scores(pcs, lessons, files):
    panel1 = "Preconference depth and specificity composite"
    for row, col in [("Appropriate content", "appropriate_content"), ("Solution paths", "solution_paths"),
                     ("Advancing questions", "advancing_questions"), ("Math content", "math_content")]:
        assert pcs[col].between(pub("Table 1", row, "min", panel1), pub("Table 1", row, "max", panel1)).all()
        assert pd.api.types.is_integer_dtype(pcs[col])
    assert np.allclose(pcs.advancing_questions_rescaled, 1.5 * pcs.advancing_questions)
    composite = (3 * pcs.appropriate_content + pcs.solution_paths + pcs.advancing_questions_rescaled
                 + pcs.math_content) / 4
    assert np.allclose(pcs.composite, composite, atol=1e-4) and pcs.composite.between(0, 3).all()
    panel2 = "Students' opportunities to engage in conceptual thinking composite"
    for frame in (lessons, files["double_scored"]):
        assert frame.maintenance_of_demand.between(2, 8).all()
        assert (frame.maintenance_of_demand == frame.demand_written_to_setup + frame.demand_setup_to_enactment).all()
        assert frame[["demand_written_to_setup", "demand_setup_to_enactment"]].stack().between(
            pub("Table 1", "Maintenance of cognitive demand", "component min", panel2),
            pub("Table 1", "Maintenance of cognitive demand", "component max", panel2)).all()
        assert frame.attention_raw.between(pub("Table 1", "Attention to student thinking", "raw min", panel2),
                                           pub("Table 1", "Attention to student thinking", "raw max", panel2)).all()
        assert (frame.attention_to_student_thinking == 2 * frame.attention_raw).all()
        assert np.allclose(frame.opportunities, (frame.maintenance_of_demand + frame.attention_to_student_thinking) / 2)
        assert frame.coach_assists.between(pub("Table 1", "Coach assists", "min", panel2),
                                           pub("Table 1", "Coach assists", "max", panel2)).all()
    assert (lessons.coaching_cycle == 0).eq(lessons.coached == 0).all()
    assert (pcs.year == np.where(pcs.data_cycle <= 3, 1, 2)).all()
    assert (lessons.year == np.where(lessons.data_cycle <= 3, 1, 2)).all()
    assert pcs.groupby("data_cycle").time.nunique().eq(1).all()
    assert lessons.groupby("data_cycle").time.first().is_monotonic_increasing


def test_table4_means_and_sds(pcs):
    for row, col in ITEMS.items():
        for c in PC_CYCLES:
            x = pcs.loc[pcs.data_cycle == c, col]
            m, sd = pub("Table 4", row, f"Cycle {c} M"), pub("Table 4", row, f"Cycle {c} SD")
            assert abs(x.mean() - m) <= 0.05, (row, c, x.mean(), m)
            assert abs(x.std() / sd - 1) <= 0.15, (row, c, x.std(), sd)


def test_table5_means_and_sds(lessons):
    for row, col in [("Opportunities composite", "opportunities"), ("Coach assists", "coach_assists")]:
        for c in LESSON_CYCLES:
            x = lessons.loc[lessons.data_cycle == c, col]
            m, sd = pub("Table 5", row, f"Cycle {c} M"), pub("Table 5", row, f"Cycle {c} SD")
            assert abs(x.mean() - m) <= 0.10, (row, c, x.mean(), m)
            assert abs(x.std() / sd - 1) <= 0.15, (row, c, x.std(), sd)


def test_ceiling_shares_on_first_recorded_lesson(first_lessons, lessons):
    n = len(first_lessons)
    at_ceiling = first_lessons.maintenance_of_demand == 8
    assert round(100 * at_ceiling.mean()) == pub("Text", "Teachers at ceiling on first recorded lesson",
                                                 "percent", "Analytic approach")
    assert ((first_lessons.opportunities == 8) == at_ceiling).all()
    high = first_lessons.opportunities.between(6, 7.5)
    assert round(100 * high.sum() / n) == pub("Text", "Teachers starting between 6 and 8", "percent",
                                              "RQ2 growth in teaching")
    # first recorded lesson: cycle 1 for Year 1 teachers, the Year 2 baseline (cycle 4) otherwise
    assert set(first_lessons.data_cycle) <= {1, 2, 4, 5}


# --------------------------------------------------------------------------
# Reliability of the double-scored videos
# --------------------------------------------------------------------------
def test_double_scored_videos(files, lessons):
    ds = files["double_scored"]
    assert ds.lesson_id.nunique() == pub("Text", "Year 1 videos double-scored", "count", "Measures")
    assert (ds.groupby("lesson_id").rating.apply(sorted).map(tuple) == (1, 2)).all()
    assert (ds.groupby("lesson_id").rater_id.nunique() == 2).all()
    assert set(ds.lesson_id) <= set(lessons.loc[lessons.year == 1, "lesson_id"])
    first = ds[ds.rating == 1].set_index("lesson_id")
    cols = ["rater_id", "opportunities", "coach_assists", "maintenance_of_demand", "attention_raw"]
    assert (first[cols] == lessons.set_index("lesson_id").loc[first.index, cols]).all().all()
    any_assist = ds.groupby("lesson_id").coach_assists.max() > 0
    assert (ds.assist_subset == ds.lesson_id.map(any_assist).map({True: "any", False: "none"})).all()
    cases = [("ICC opportunities composite", ds),
             ("ICC coach assists: both raters no assist", ds[ds.assist_subset == "none"]),
             ("ICC coach assists: at least one rater coded assist", ds[ds.assist_subset == "any"])]
    for row, subset in cases:
        target = published.lookup(PAPER, "Text", row, "ICC", "Measures")
        assert subset.lesson_id.nunique() == target["n"], row
        value = icc(subset, "lesson_id", "rating", "opportunities").loc["ICC(1,1)", "icc"]
        assert abs(value - target["estimate"]) <= 0.08, (row, value)


# --------------------------------------------------------------------------
# Growth models (RQ1-RQ3)
# --------------------------------------------------------------------------
def _fit(formula, frame, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return smf.mixedlm(formula, frame, groups="teacher_id", **kw).fit(reml=True)


def _hlm_chisq(frame, outcome, fit):
    """Raudenbush & Bryk eq. 3.103 over pairs with at least two preconferences (HLM's rule)."""
    out = hlm_variance_chisq(frame, outcome, "teacher_id", ["time"], fit=fit, min_cases="at_least")
    return out["chi2"].to_numpy(), int(out.loc["time", "df"])


def test_rq1_composite_growth_and_variance_components(pcs):
    fit = _fit("composite ~ time", pcs, re_formula="~time")
    slope = fit.fe_params["time"]
    assert abs(slope / pub("Text", "Composite", "beta10", "RQ1 growth models") - 1) <= 0.20, slope
    assert fit.pvalues["time"] < 0.01
    chi, df = _hlm_chisq(pcs, "composite", fit)
    assert df == pub("Text", "tau0 (two-level)", "df", "RQ1 variance components")
    p_status, p_growth = stats.chi2.sf(chi, df)
    assert p_status < 0.05 and p_growth > 0.20, (chi, p_status, p_growth)


def _lesson_frame(lessons, first_lessons):
    frame = lessons.copy()
    frame["t2"], frame["t3"] = frame.time ** 2, frame.time ** 3
    frame["assist1"] = (frame.coach_assists == 1).astype(int)
    frame["assist2"] = (frame.coach_assists == 2).astype(int)
    ceiling = (first_lessons.maintenance_of_demand == 8).astype(int)
    frame["ceiling"] = frame.teacher_id.map(ceiling) - ceiling.mean()   # grand-mean centred
    return frame


def test_rq2_teaching_gain_over_the_span(lessons, first_lessons):
    frame = _lesson_frame(lessons, first_lessons)
    fit = _fit("opportunities ~ time + t2 + t3 + assist1 + assist2 + C(rater_id) + coached", frame)
    span = lessons.time.max() - lessons.time.min()
    gain = sum(fit.fe_params[k] * span ** p for k, p in [("time", 1), ("t2", 2), ("t3", 3)])
    target = pub("Text", "Teaching composite", "gain (points; ~1.5 years)", "RQ2 growth in teaching")
    assert abs(gain / target - 1) <= 0.20, gain


def test_rq3_depth_groups_and_within_teacher_effect(pcs, lessons, first_lessons):
    z = (pcs.composite - pcs.composite.mean()) / pcs.composite.std()
    average = z.groupby(pcs.teacher_id).mean()
    groups = [(average <= -0.5).sum(), ((average > -0.5) & (average < 0.5)).sum(), (average >= 0.5).sum()]
    panel = "RQ3 Figure 5 groups"
    assert groups == [pub("Text", g, "teachers", panel) for g in ("Low depth", "Middle depth", "High depth")]

    frame = _lesson_frame(lessons, first_lessons)
    frame["depth"] = frame.teacher_id.map(average)
    within = dict(zip(pcs.preconference_id, z - pcs.teacher_id.map(average)))
    coached = frame[frame.has_preconference == 1].copy()
    coached["within"] = coached.preconference_id.map(within)
    fit = _fit("opportunities ~ (time + t2 + t3) * (ceiling + depth) + assist1 + assist2 + C(rater_id) + within",
               coached)
    assert fit.fe_params["within"] > 0
    assert 0.01 <= fit.pvalues["within"] <= 0.15, fit.pvalues["within"]


# --------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------
def test_generator_is_deterministic_and_seed_dependent(files, synthetic, tmp_path):
    # This session's generation against the bundled files, the independent earlier one.
    a = {name: frame for name, frame in synthetic.items() if name.startswith("tn/")}
    assert set(a) == {f"tn/{n}" for n in files}
    for name in a:
        write_csv(a[name], tmp_path / "written.csv")
        assert (tmp_path / "written.csv").read_bytes() == (data.data_dir() / f"{name}.csv").read_bytes(), name
        documented = [v.name for v in tn.CODEBOOK[name].variables]
        assert documented == list(a[name].columns), name
    c = tn.generate(SEED + 1)
    assert not a["tn/lessons"].equals(c["tn/lessons"])
    assert not a["tn/preconferences"].equals(c["tn/preconferences"])
    # ... while the published design holds for any seed
    assert c["tn/teachers"].data_availability.value_counts().to_dict() == \
        a["tn/teachers"].data_availability.value_counts().to_dict()
