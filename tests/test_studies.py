"""coachbook.studies: the helpers of the two studies' chapters, on the bundled data."""
import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from coachbook.book import data, published
from coachbook.estimators import random_intercept
from coachbook.estimators.growth import code_time_piecewise
from coachbook.studies import kraft_hill, links_table, percentile_after, russell, slope_table


@pytest.fixture(scope="module")
def teachers():
    return data.load("mqi/teachers")


@pytest.fixture(scope="module")
def roster(teachers):
    return teachers[["teacher_id", "school_id", "treatment", "block", *kraft_hill.TEACHER_CONTROLS]]


@pytest.fixture(scope="module")
def pcs():
    return data.load("tn/preconferences")


# --- shared -----------------------------------------------------------------

def test_percentile_after_on_the_normal_scale():
    assert percentile_after(0.0) == pytest.approx(50.0)
    assert percentile_after(1.0) == pytest.approx(100 * stats.norm.cdf(1.0))
    assert percentile_after(0.0, pd.Series([10.0, 90.0])).tolist() == pytest.approx([10.0, 90.0])
    with pytest.raises(ValueError, match="strictly between 0 and 100"):
        percentile_after(0.2, 100)


def test_slope_table_recovers_a_known_slope():
    frame = pd.DataFrame({"x": np.arange(10.0), "z": np.arange(10.0) % 3})
    frame["y"] = 2 * frame["x"] + frame["z"]
    out = slope_table({"plain": "y ~ x", "adjusted": "y ~ x + z"}, frame, "x")
    assert out.loc["adjusted", "slope"] == pytest.approx(2.0)
    assert out["teachers"].tolist() == [10, 10]
    with pytest.raises(ValueError, match="not a term"):
        slope_table({"plain": "y ~ z"}, frame, "x")


def test_links_table_one_row_per_edge():
    nodes = pd.DataFrame({"id": ["a", "b"], "label": ["first\nnode", "second"]})
    edges = pd.DataFrame({"source": ["a"], "target": ["b"], "measure": ["m"], "measured": [False],
                          "chapter": ["c"]})
    out = links_table(nodes, edges)
    assert out.iloc[0].tolist() == ["first node", "second", "m", "no", "c"]
    with pytest.raises(ValueError, match="not in nodes"):
        links_table(nodes, edges.assign(target="z"))
    with pytest.raises(ValueError, match="lacks column"):
        links_table(nodes, edges.drop(columns="chapter"))


# --- Kraft & Hill -----------------------------------------------------------

def test_kraft_hill_constants_are_the_generators():
    # one definition: the generators of the synthetic files use the study's own objects
    from coachbook.synth.mqi_outcomes import codebook, reflections, teachers
    from coachbook.synth.mqi_roster import status
    assert codebook.MQI_ITEMS is kraft_hill.MQI_ITEMS
    assert reflections.REFLECTIONS is kraft_hill.REFLECTIONS
    assert status.A3_CHARACTERISTICS is kraft_hill.A3_CHARACTERISTICS
    assert teachers.TEACHER_CONTROLS is kraft_hill.TEACHER_CONTROLS


def test_kraft_hill_package_hands_out_its_modules_objects():
    # coachbook.studies.kraft_hill is the short public name of the trial's estimators;
    # it must hand out the very same functions, not copies that could drift.
    from coachbook.estimators import random_intercept as ri
    from coachbook.studies.kraft_hill import measures, tables, variables

    for name in kraft_hill.__all__:
        assert hasattr(kraft_hill, name), f"kraft_hill lists {name} but does not define it"
    for name in ("table5_estimates", "table6_estimates", "table7_estimates"):
        assert getattr(kraft_hill, name) is getattr(tables, name)
    for name in ("segment_lpm", "figure1_shares", "impute_priors", "prior_coverage"):
        assert getattr(kraft_hill, name) is getattr(measures, name)
    assert tables.fit_random_intercept is ri.fit_random_intercept
    assert kraft_hill.TEACHER_CONTROLS is variables.TEACHER_CONTROLS
    assert kraft_hill.IMPUTATIONS == 20


def test_kraft_hill_published_numbers():
    assert kraft_hill.number("Coaches", "count") == published.estimate(kraft_hill.PAPER, "Text", "Coaches", "count")
    row = published.lookup(kraft_hill.PAPER, "Table 7", "State math test", "Controls", "Panel A: Implementation Year")
    assert kraft_hill.preferred_estimate("State math test", "Table 7", "Panel A: Implementation Year") == {
        "estimate": float(row["estimate"]), "se": float(row["se"])}


def test_lpm_rows_match_ols_with_block_dummies(teachers):
    rows = kraft_hill.lpm_rows(teachers, "teaches_math_y2", "Table 4", "Teach math")
    ols = smf.ols("teaches_math_y2 ~ treatment + C(block)", teachers).fit()
    treat, constant = rows
    assert treat["row"] == kraft_hill.TREAT and constant["row"] == kraft_hill.CONSTANT
    assert treat["estimate"] == pytest.approx(ols.params["treatment"])
    y, t = teachers["teaches_math_y2"].mean(), teachers["treatment"].mean()
    assert constant["estimate"] == pytest.approx(y - ols.params["treatment"] * t)
    with pytest.raises(ValueError, match="lacks column"):
        kraft_hill.lpm_rows(teachers, "no_such_flag", "Table 4", "Teach math")


def test_teacher_outcome_is_in_control_sd(roster):
    reflections = data.load("mqi/reflections")
    d = kraft_hill.teacher_outcome(roster, reflections[reflections["year"] == 1], "mqi_language")
    control = d.loc[d["treatment"] == 0, "mqi_language"].dropna()
    assert len(d) == len(roster)
    assert control.mean() == pytest.approx(0.0, abs=1e-12) and control.std() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="several rows for one teacher"):
        kraft_hill.teacher_outcome(roster, reflections, "mqi_language")


def test_survey_frame_one_row_per_student(roster):
    survey = data.load("mqi/student_survey")
    d = kraft_hill.survey_frame(survey, roster, 1)
    assert len(d) == (survey["year"] == 1).sum()
    control = d.loc[d["treatment"] == 0, "y"]
    assert control.mean() == pytest.approx(0.0, abs=1e-12) and control.std() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="no students in year 3"):
        kraft_hill.survey_frame(survey, roster, 3)


def test_with_student_controls_dummies(roster):
    tests = data.load("mqi/student_tests")
    year1 = tests[tests["year"] == 1]
    d, dummies = kraft_hill.with_student_controls(year1, roster)
    levels = year1["race"].astype(str).nunique() + year1["grade"].astype(str).nunique()
    assert len(dummies) == levels - 2 and len(d) == len(year1)
    assert set(d[dummies].stack().unique()) <= {0.0, 1.0}


def test_pool_equation3_of_identical_copies_is_the_single_fit(teachers, roster):
    import patsy
    priors = ["prior_state_math", "prior_state_read", "prior_map_math", "prior_map_read"]
    tests = data.load("mqi/student_tests")
    sample = tests[(tests["year"] == 1) & tests["state_math"].notna()].dropna(subset=priors)
    sample = sample.merge(roster, on="teacher_id").reset_index(drop=True)
    y, X = patsy.dmatrices("state_math ~ treatment + " + " + ".join(priors) + " + C(block)", sample,
                           return_type="dataframe")
    groups = sample["teacher_id"].to_numpy()
    fit = random_intercept.fit_random_intercept(y.to_numpy().ravel(), X.to_numpy(), groups)
    treat = list(X.columns).index("treatment")
    pooled = kraft_hill.pool_equation3([sample, sample], X, y, groups, priors, df_complete=50)
    assert pooled["estimate"] == pytest.approx(fit.coef[treat])
    assert pooled["se"] == pytest.approx(fit.se[treat])
    with pytest.raises(ValueError, match="at least two"):
        kraft_hill.pool_equation3([sample], X, y, groups, priors, df_complete=50)


@pytest.fixture(scope="module")
def mqi_files():
    return {name: data.load(name) for name in
            ["mqi/reflections", "mqi/student_survey", "mqi/mqi_segments", "mqi/student_tests"]}


def test_table_a2_rows_are_the_moderation_fits(mqi_files, teachers):
    from coachbook.estimators import moderation
    a2 = kraft_hill.table_a2_estimates(mqi_files, teachers, imputations=2)
    # 6 moderators x (3 reflections x 2 years + 4 MQI domains + 2 survey years + 2 tests x 2 years)
    assert len(a2) == 6 * 16 and list(a2.columns) == ["table", "panel", "row", "column", "estimate", "se", "p"]
    assert set(a2["row"]) == set(kraft_hill.A2_MODERATORS.values())
    assert a2[["estimate", "se", "p"]].notna().all().all() and (a2["se"] > 0).all()
    # one teacher-level cell refitted directly: MKT on follow-up Richness
    roster = kraft_hill.a2_roster(teachers)
    scores = kraft_hill.teacher_mqi_scores(mqi_files["mqi/mqi_segments"])
    direct = moderation.treatment_interaction(kraft_hill.teacher_outcome(roster, scores, "richness"),
                                              "richness", "mkt", controls=kraft_hill.TEACHER_CONTROLS)
    cell = a2[(a2["panel"] == kraft_hill.A2_PANEL[2]) & (a2["column"] == "Richness")
              & (a2["row"] == "Treat*MKT")].iloc[0]
    assert cell["estimate"] == pytest.approx(direct["estimate"]) and cell["se"] == pytest.approx(direct["se"])
    with pytest.raises(ValueError, match="files lacks"):
        kraft_hill.table_a2_estimates({"mqi/reflections": mqi_files["mqi/reflections"]}, teachers)
    with pytest.raises(ValueError, match="imputations must be"):
        kraft_hill.table_a2_estimates(mqi_files, teachers, imputations=1)
    with pytest.raises(ValueError, match="lacks column"):
        kraft_hill.table_a2_estimates(mqi_files, teachers.drop(columns="experience"))


def test_table_a3_rows_are_stayer_leaver_means(teachers):
    a3 = kraft_hill.table_a3_estimates(teachers)
    assert len(a3) == len(kraft_hill.A3_GROUPS) * (3 * len(kraft_hill.A3_ROWS) + 1)
    flag = kraft_hill.A3_GROUPS["MQI scores"]
    mqi = a3[a3["panel"] == "MQI scores"].set_index(["row", "column"])["estimate"]
    for char, label in kraft_hill.A3_ROWS.items():
        assert mqi[(label, "Stay")] == pytest.approx(teachers.loc[teachers[flag] == 1, char].mean())
        assert mqi[(label, "Exit")] == pytest.approx(teachers.loc[teachers[flag] == 0, char].mean())
    p = a3.loc[a3["column"] == "p-value", "estimate"]
    assert ((p >= 0) & (p <= 1)).all()
    with pytest.raises(ValueError, match="lacks column"):
        kraft_hill.table_a3_estimates(teachers.drop(columns=flag))


# --- Russell et al. ---------------------------------------------------------

def test_russell_number():
    assert russell.number("Coaches selected", "count", "Participants") == published.estimate(
        russell.PAPER, "Text", "Coaches selected", "count", "Participants")


def test_growth_fit_random_slope_per_pair(pcs):
    fit = russell.growth_fit(pcs, "composite")
    assert fit.converged
    assert "var(time)" in fit.variance_components.index
    with pytest.raises(ValueError, match="lacks column"):
        russell.growth_fit(pcs, "no_such_item")


def test_piecewise_test_is_a_deviance_difference(pcs):
    calendar = data.load("tn/lessons").groupby("data_cycle")["time"].first()
    frame = pcs.join(code_time_piecewise(pcs["time"], breakpoint=calendar[3]))
    full, reduced, test = russell.piecewise_test(frame, "math_content")
    assert test.statistic == pytest.approx(2 * (full.llf - reduced.llf))
    with pytest.raises(ValueError, match="lacks column"):
        russell.piecewise_test(pcs, "math_content")   # no base/increment columns yet


def test_teaching_fit_at_means_and_gain():
    lessons = data.load("tn/lessons")
    lessons = lessons.assign(assist1=(lessons["coach_assists"] == 1).astype(int))
    model = russell.teaching_fit("opportunities ~ time + assist1", lessons)
    others = russell.at_means(model, ["time"])
    assert others == {"assist1": pytest.approx(lessons["assist1"].mean())}
    slope = model.fixed_effects.loc["time", "estimate"]
    assert russell.gain(model, 1.5, {"time": 1}, others) == pytest.approx(1.5 * slope)
    with pytest.raises(ValueError, match="not terms of the model"):
        russell.at_means(model, ["time2"])
    with pytest.raises(ValueError, match="positive number"):
        russell.gain(model, 0, {"time": 1}, others)


def test_meeting_changes_windows():
    means = pd.DataFrame({"item": [1.0, 1.5, 2.0, 2.2, 2.6]}, index=[1, 2, 3, 5, 6])
    out = russell.meeting_changes(means)
    assert out.loc[("March: cycle 2 to 3", "item")] == pytest.approx(0.5)
    assert out.loc[("August: cycle 3 to 6", "item")] == pytest.approx(0.6)
    with pytest.raises(ValueError, match="no row for data cycle"):
        russell.meeting_changes(means.drop(index=6))
