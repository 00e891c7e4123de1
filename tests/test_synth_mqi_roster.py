"""The synthetic MQI roster reproduces the design and the published tables of Kraft & Hill (2019).

Bundled files are loaded with ``coachbook.book.data.load`` and compared with the
transcribed numbers (``coachbook.book.published.load("kraft_hill_2019")``).
"""
import numpy as np
import pandas as pd
import pytest

from coachbook.book import data, published
from coachbook.synth import write_csv
from coachbook.estimators import balance, rct
from coachbook.synth.mqi_roster import ROSTER_CODEBOOK, generate_roster
from coachbook.studies.kraft_hill import A3_CHARACTERISTICS, TABLE_A1_FLAGS, TEACHER_CONTROLS

PAPER = "kraft_hill_2019"


@pytest.fixture(scope="module")
def pub():
    return published.load(PAPER)


@pytest.fixture(scope="module")
def teachers():
    return data.load("mqi/teachers")


@pytest.fixture(scope="module")
def coaches():
    return data.load("mqi/coaches")


@pytest.fixture(scope="module")
def sessions():
    return data.load("mqi/coaching_sessions")


@pytest.fixture(scope="module")
def survey():
    return data.load("mqi/pd_survey")


def _num(pub, table, row, column, panel=""):
    hit = pub[(pub.table == table) & (pub.panel == panel) & (pub.row == row) & (pub.column == column)]
    assert len(hit) == 1, (table, panel, row, column)
    return hit.iloc[0]


def _significant(stars) -> bool:
    return isinstance(stars, str) and "*" in stars


# ---------------------------------------------------------------- design
def test_design_counts(teachers):
    t = teachers
    assert len(t) == 142
    assert list(t.teacher_id) == [f"T{i:03d}" for i in range(1, 143)]
    assert t.school_id.nunique() == 51
    assert t.district.value_counts().to_dict() == {"urban": 73, "suburban": 69}
    assert t.treatment.value_counts().to_dict() == {1: 72, 0: 70}
    assert set(t.school_type) == {"elementary", "K-8", "middle", "charter"}
    assert (t.block == t.district + "-" + t.school_type).all()
    assert (t.groupby("block").treatment.nunique() == 2).all()
    assert (t.groupby("school_id")[["district", "block"]].nunique() == 1).all().all()
    assert (t.school_type == "charter").sum() == 15
    assert t.coach_id.notna().eq(t.treatment == 1).all()
    assert set(TEACHER_CONTROLS) <= set(t.columns)
    assert t[TEACHER_CONTROLS].notna().all().all()
    assert ((t.elementary + t.middle) == 1).all()
    assert t.grade.between(3, 8).all()


def test_types_and_rounding(teachers, coaches, sessions, survey):
    for name, frame in [("mqi/teachers", teachers), ("mqi/coaches", coaches),
                        ("mqi/coaching_sessions", sessions), ("mqi/pd_survey", survey)]:
        assert [v.name for v in ROSTER_CODEBOOK[name].variables] == list(frame.columns)
        for v in ROSTER_CODEBOOK[name].variables:
            if v.dtype == "int":
                col = frame[v.name].dropna()
                assert (col == col.round()).all(), (name, v.name)
            if v.dtype == "float":
                assert (frame[v.name].round(4) == frame[v.name]).all(), (name, v.name)


# ---------------------------------------------------------------- Table 1
TABLE1 = {
    "Elementary School Teacher": "elementary", "Middle School Teacher": "middle", "Male": "male",
    "Age (years)": "age", "Black": "black", "Hispanic": "hispanic", "White": "white",
    "Experience (years)": "experience", "Alternative certification": "alt_cert",
    "Undergraduate degree from very competitive institution": "competitive_undergrad",
    "Undergraduate degree in mathematics": "undergrad_math",
    "Undergraduate degree in education": "undergrad_education",
    "Any graduate degree": "any_grad_degree", "Master's degree in education": "masters_education",
    "Three or more advanced math courses": "advanced_courses_3plus",
    "Three or more math content courses": "content_courses_3plus",
    "Three or more math methods courses": "methods_courses_3plus",
    "Mathematical Knowledge for Teaching (SD)": "mkt",
}
TOL = {"age": 1.0, "experience": 1.0, "mkt": 0.1}


def test_table1_means(teachers, pub):
    t = teachers
    groups = {
        "Full sample": t, "Large urban district": t[t.district == "urban"],
        "Small suburban district": t[t.district == "suburban"],
        "Treatment": t[t.treatment == 1], "Control": t[t.treatment == 0],
    }
    for row, col in TABLE1.items():
        for column, g in groups.items():
            want = _num(pub, "Table 1", row, column).estimate
            assert abs(g[col].mean() - want) <= TOL.get(col, 0.05), (row, column, g[col].mean(), want)
            if col in ("age", "experience", "mkt"):
                assert abs(g[col].mean() - want) <= 0.05  # near exact by construction


def test_table1_balance_pvalues_are_a_guide(teachers, pub):
    table = balance.balance_table(teachers, list(TABLE1.values()))
    for row, col in TABLE1.items():
        want = _num(pub, "Table 1", row, "p-value").estimate
        assert table.loc[col, "p"] > 0.05, col
        assert abs(table.loc[col, "p"] - want) < 0.3, (col, table.loc[col, "p"], want)


def test_experience_bands_and_age(teachers):
    bands = pd.cut(teachers.experience, [-1, 4, 15, 99]).value_counts(normalize=True).sort_index()
    assert np.allclose(bands.to_numpy(), [0.17, 0.44, 0.39], atol=0.03)
    assert (teachers.age - teachers.experience >= 21).all()
    assert (teachers.masters_education <= teachers.any_grad_degree).all()
    assert (teachers.black + teachers.hispanic + teachers.white <= 1).all()
    for name in ("advanced", "content", "methods"):
        assert teachers[f"{name}_courses"].between(1, 5).all()
        assert ((teachers[f"{name}_courses"] >= 3) == (teachers[f"{name}_courses_3plus"] == 1)).all()
    for scale in ("openness_feedback", "behavior_challenges", "reform_practices"):
        assert abs(teachers[scale].mean()) < 0.01 and abs(teachers[scale].std() - 1) < 0.01


# ---------------------------------------------------------------- Table 2
TABLE2 = {
    "Male": "male", "Age (years)": "age", "Black": "black", "Hispanic": "hispanic", "White": "white",
    "Experience (years)": "experience", "Alternative certification": "alt_cert",
    "Undergraduate degree from very competitive institution": "competitive_undergrad",
    "Undergraduate degree in mathematics": "undergrad_math",
    "Undergraduate degree in education": "undergrad_education",
    "Any graduate degree": "any_grad_degree", "Master's degree in math": "masters_math",
    "Master's degree in education": "masters_education",
    "Three or more advanced math courses": "advanced_courses_3plus",
    "Three or more math content courses": "content_courses_3plus",
    "Three or more math methods courses": "methods_courses_3plus",
    "Mathematical Knowledge for Teaching (SD)": "mkt",
    "Prior experience coaching": "prior_coaching",
    "Prior experience as K–12 math teacher": "prior_k12_math_teacher",
    "Prior experience as a math curriculum developer/professional developer/mentor": "prior_curriculum_pd",
    "Prior experience as math coach": "prior_math_coach",
}


def test_table2_coaches(coaches, teachers, pub):
    assert len(coaches) == 24
    assert list(coaches.coach_id) == [f"C{i:02d}" for i in range(1, 25)]
    for row, col in TABLE2.items():
        want = _num(pub, "Table 2", row, "Coaches").estimate
        assert abs(coaches[col].mean() - want) <= 0.01, (row, coaches[col].mean(), want)
        if row.startswith("Prior"):
            continue
        want_t = _num(pub, "Table 2", row, "Teachers").estimate
        tol = TOL.get(col, 0.05) if col in TOL else 0.01
        assert abs(teachers[col].mean() - want_t) <= tol, (row, teachers[col].mean(), want_t)
    # caseloads: two coaches with one teacher, one with six, the rest 2-4
    loads = teachers[teachers.treatment == 1].coach_id.value_counts()
    assert (loads.reindex(coaches.coach_id).to_numpy() == coaches.n_teachers.to_numpy()).all()
    assert loads.sum() == 72 and len(loads) == 24
    assert (loads == 1).sum() == 2 and (loads == 6).sum() == 1
    assert loads[(loads != 1) & (loads != 6)].between(2, 4).all()
    assert (teachers[teachers.treatment == 1].groupby("coach_id").district.nunique() > 1).sum() <= 1


# ---------------------------------------------------------------- Table 3, Figure 2
def test_table3_control_pd_shares(survey, pub):
    ctrl = survey[survey.treatment == 0]
    assert len(ctrl) == int(_num(pub, "Table 3", "N", "% who responded").estimate) == 57
    items = {
        "Received instructional coaching in math from any source": "pd_coaching",
        "Attended workshops or trainings about math instruction": "pd_workshops",
        "Collaboratively planned or debriefed about math instruction with other teachers": "pd_collaboration",
        "Received feedback on math instruction as part of a formal or informal evaluation process": "pd_evaluation_feedback",
        "Received feedback on math instruction from mentor/peer teachers in the district": "pd_peer_feedback",
    }
    levels = ["Never", "Once this year", "About once a semester", "About once a month",
              "More than once a month"]
    for row, col in items.items():
        share = ctrl[col].value_counts(normalize=True) * 100
        for level in levels:
            want = _num(pub, "Table 3", row, level).estimate
            assert abs(share.get(level, 0) - want) <= 3, (row, level, share.get(level, 0), want)
    monthly = survey.pd_coaching.isin(levels[3:])
    assert abs(100 * monthly[survey.treatment == 1].mean() - 92) <= 2
    assert abs(100 * monthly[survey.treatment == 0].mean() - 14) <= 2


def test_survey_respondents(survey, teachers):
    assert len(survey) == 119  # Text: 119 of 140
    resp = set(teachers.teacher_id[teachers.observed_reflection_y1 == 1])
    assert set(survey.teacher_id) == resp
    ctrl = survey[survey.treatment == 0]
    assert ctrl.knows_coached_teacher.sum() == 43 and ctrl.coplanned_with_coached_teacher.sum() == 6
    assert ctrl.changed_instruction_from_coached.sum() == 5
    assert survey.loc[survey.treatment == 1, "knows_coached_teacher"].isna().all()


# ---------------------------------------------------------------- Table 4
TABLE4 = {
    "Teach in district": "in_district_y2",
    "Teach math": "teaches_math_y2",
    "Teach math in grade with high-stakes math test": "teaches_math_tested_grade_y2",
}


def test_table4_retention_itt(teachers, pub):
    for column, col in TABLE4.items():
        want = _num(pub, "Table 4", "Treat", column)
        res = rct.itt(teachers, col)
        assert abs(res.estimate - want.estimate) <= 0.25 * want.se, (col, res.estimate)
        assert abs(res.se / want.se - 1) <= 0.25, (col, res.se)
        assert (res.p < 0.05) == _significant(want.stars), (col, res.p)
        const = _num(pub, "Table 4", "Constant (control group mean)", column)
        assert abs(teachers.loc[teachers.treatment == 0, col].mean() - const.estimate) <= 0.25 * const.se


def test_followup_status_is_consistent(teachers):
    t = teachers
    assert (t.in_district_y1 == 0).sum() == 2
    assert ((1 - t.in_district_y2).sum(), (1 - t.teaches_math_y2).sum(),
            (1 - t.teaches_math_tested_grade_y2).sum()) == (10, 21, 28)
    assert (t.teaches_math_tested_grade_y2 <= t.teaches_math_y2).all()
    assert (t.teaches_math_y2 <= t.in_district_y2).all()
    assert (t.in_district_y2 <= t.in_district_y1).all()
    for col in [c for c in t.columns if c.startswith("observed_") and c.endswith("_y2")]:
        assert (t[col] <= t.teaches_math_y2).all(), col
    for col in [c for c in t.columns if c.startswith("observed_") and c.endswith("_y1")]:
        assert (t[col] <= t.in_district_y1).all(), col


# ---------------------------------------------------------------- Table A1
TABLE_A1 = TABLE_A1_FLAGS


def test_table_a1_missing_outcome_lpm(teachers, pub):
    for (panel, column), col in TABLE_A1.items():
        d = teachers.assign(missing=1 - teachers[col])
        treat = _num(pub, "Table A1", "Treat", column, panel)
        const = _num(pub, "Table A1", "Constant (control group mean)", column, panel)
        res = rct.itt(d, "missing")
        assert abs(res.estimate - treat.estimate) <= 0.25 * treat.se, (col, res.estimate)
        assert abs(res.se / treat.se - 1) <= 0.25, (col, res.se)
        assert (res.p < 0.05) == _significant(treat.stars), (col, res.p)
        # the constant: control mean, and Stata areg's mean(y) - b * mean(treat)
        assert abs(d.loc[d.treatment == 0, "missing"].mean() - const.estimate) <= 0.25 * const.se
        areg = d.missing.mean() - res.estimate * d.treatment.mean()
        assert abs(areg - const.estimate) <= 0.25 * const.se
        # the implied missing counts are exact
        assert d.loc[d.treatment == 0, "missing"].sum() == round(const.estimate * 70), col
        assert d.loc[d.treatment == 1, "missing"].sum() == round((const.estimate + treat.estimate) * 72), col


# ---------------------------------------------------------------- Table A3
TABLE_A3 = {
    "Teacher survey": "observed_reflection_y2", "MQI scores": "observed_mqi_y2",
    "Student survey": "observed_ambitious_y2", "State test": "observed_state_test_y2",
    "Interim test": "observed_interim_test_y2",
}
A3_ROWS = [
    "Elementary school teacher", "Middle school teacher", "Male", "Age (years)", "Black",
    "Hispanic", "White", "Experience (years)", "Alternative certification",
    "Undergraduate degree from very competitive institution", "Undergraduate degree in math",
    "Undergraduate degree in educ.", "Any graduate degree", "Master's degree in education",
    "# of advanced math courses", "# of math content courses", "# of math methods courses",
    "Mathematical Knowledge for Teaching (SD)", "Openness to Feedback (SD)",
    "Challenges with Classroom Behavior (SD)", "Use of Reform Practices (SD)",
]


def test_table_a3_stayers_and_leavers(teachers, pub):
    covariates = [c for c in A3_CHARACTERISTICS if c != "middle"]  # collinear with elementary
    for panel, col in TABLE_A3.items():
        d = teachers.assign(missing=1 - teachers[col])
        stay, leave = d[d.missing == 0], d[d.missing == 1]
        assert len(stay) == _num(pub, "Table A3", "N", "Stay", panel).estimate
        assert len(leave) == _num(pub, "Table A3", "N", "Exit", panel).estimate
        for row, char in zip(A3_ROWS, A3_CHARACTERISTICS):
            want = (_num(pub, "Table A3", row, "Exit", panel).estimate
                    - _num(pub, "Table A3", row, "Stay", panel).estimate)
            got = leave[char].mean() - stay[char].mean()
            se = d[char].std() * np.sqrt(1 / len(leave) + 1 / len(stay))
            assert abs(got - want) <= se, (panel, row, got, want)
        joint = balance.joint_balance_test(d, covariates, treatment="missing")
        want_p = _num(pub, "Table A3", "p-value from joint F-test", "p-value", panel).estimate
        assert (joint.p < 0.05) == (want_p < 0.05), (panel, joint.p, want_p)


# ---------------------------------------------------------------- coaching sessions
def test_dosage_counts(teachers, sessions, pub):
    tr = teachers[teachers.treatment == 1]
    cycles = tr.coaching_cycles
    assert (teachers.loc[teachers.treatment == 0, "coaching_cycles"] == 0).all()
    assert (cycles > 0).sum() == 63
    assert (cycles >= 10).sum() == 36 and cycles.between(5, 9).sum() == 18
    assert cycles.between(1, 4).sum() == 9
    assert round(cycles[cycles > 0].mean(), 1) == 9.7 and cycles.max() == 17
    assert len(sessions) == 610 == int(cycles.sum())
    per = sessions.groupby("teacher_id").cycle.agg(["count", "max"])
    assert (per["count"] == per["max"]).all()
    assert (per["count"] == tr.set_index("teacher_id").coaching_cycles.reindex(per.index)).all()
    assert (sessions.coach_id == sessions.teacher_id.map(tr.set_index("teacher_id").coach_id)).all()
    assert ((tr.institute_days >= 1).sum(), (tr.institute_days == 2).sum()) == (68, 61)
    # dosage related only weakly to baseline characteristics
    active = tr[cycles > 0]
    for c in ("openness_feedback", "mkt", "experience", "behavior_challenges"):
        assert abs(np.corrcoef(active.coaching_cycles, active[c])[0, 1]) < 0.4, c


def test_session_fidelity_shares(sessions):
    s = sessions
    share = lambda mask: 100 * mask.mean()  # noqa: E731
    checks = {
        "stock_clip_reviewed": 89, "clip1_reviewed": 98, "clip2_reviewed": 91,
        "sufficient_time": 95, "critical_analysis": 87, "understood_criteria_well": 84,
        "coach_agreed": 92,
    }
    for col, want in checks.items():
        assert abs(share(s[col] == 1) - want) <= 2, col
    focus = {"Common Core-Aligned Student Practices": 45, "Richness": 28, "Working with Students": 27}
    for level, want in focus.items():
        assert abs(share(s.focus_domain == level) - want) <= 2, level
    assert set(s.focus_domain) == set(focus)  # never Errors
    for level, want in {"teacher": 36, "shared": 38, "coach": 26}.items():
        assert abs(share(s.action_step_responsibility == level) - want) <= 2, level
    later = s[s.cycle > 1]
    assert s.loc[s.cycle == 1, "previous_plan_implemented"].isna().all()
    for level, want in {"fully": 66, "partly": 25}.items():
        assert abs(share(later.previous_plan_implemented == level) - want) <= 2, level
    assert s.minutes.min() == 20 and s.minutes.max() == 100
    assert 60 <= s.minutes.mean() <= 66  # "just over an hour"
    dates = pd.to_datetime(s.date)
    assert dates.min() >= pd.Timestamp("2014-08-15") and dates.max() <= pd.Timestamp("2015-06-30")
    assert (dates.dt.day_of_week < 5).all()
    gaps = s.assign(d=dates).sort_values(["teacher_id", "cycle"]).groupby("teacher_id").d.diff().dropna()
    assert (gaps.dt.days > 0).all()
    assert (gaps.dt.days <= 21).mean() > 0.68


# ---------------------------------------------------------------- determinism
def test_generation_is_deterministic_and_matches_bundle(teachers, synthetic, tmp_path):
    # This session's generation against the bundled files, the independent earlier one.
    roster = [name for name in synthetic if name in ROSTER_CODEBOOK]
    first = {name: synthetic[name] for name in roster}

    assert list(first) == ["mqi/teachers", "mqi/coaches", "mqi/coaching_sessions", "mqi/pd_survey"]
    for name in first:
        write_csv(first[name], tmp_path / "written.csv")
        assert (tmp_path / "written.csv").read_bytes() == (data.data_dir() / f"{name}.csv").read_bytes(), name
    bundled = teachers.reset_index(drop=True)
    regenerated = first["mqi/teachers"]
    assert list(bundled.columns) == list(regenerated.columns)
    assert (bundled.teacher_id == regenerated.teacher_id).all()
    assert np.allclose(bundled.mkt, regenerated.mkt)


def test_other_seed_keeps_the_published_counts():
    other = generate_roster(7)
    t = other["mqi/teachers"]
    assert t.treatment.sum() == 72 and len(t) == 142
    assert (1 - t.observed_reflection_y2).sum() == 42
    assert (t.coaching_cycles > 0).sum() == 63 and len(other["mqi/coaching_sessions"]) == 610
