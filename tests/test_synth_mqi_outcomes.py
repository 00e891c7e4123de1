"""The synthetic MQI outcome files reproduce Kraft & Hill's Tables 5-7 with the paper's estimators.

Acceptance test of ``coachbook.synth.mqi_outcomes``: on the *bundled* files, the
estimators the chapters call (``table5_estimates`` ... ``table7_estimates``)
must return the published numbers within the tolerances below, the sample
sizes must be exactly the published ones, and regeneration must be
deterministic.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from coachbook.book import data, published
from coachbook.estimators import lee_fe, random_intercept
from coachbook.studies import kraft_hill
from coachbook.synth import mqi_outcomes as mo
from coachbook.synth import write_csv

PAPER = "kraft_hill_2019"
KEYS = ["table", "panel", "row", "column"]
FILES = ["mqi/reflections", "mqi/student_survey", "mqi/mqi_segments", "mqi/student_tests"]


@pytest.fixture(scope="module")
def teachers() -> pd.DataFrame:
    return data.load("mqi/teachers")


@pytest.fixture(scope="module")
def files() -> dict[str, pd.DataFrame]:
    return {name: data.load(name) for name in FILES}


@pytest.fixture(scope="module")
def numbers() -> pd.DataFrame:
    return published.load(PAPER)


@pytest.fixture(scope="module")
def estimates(files, teachers, numbers) -> pd.DataFrame:
    t5 = kraft_hill.table5_estimates(files, teachers)
    t6 = kraft_hill.table6_estimates(files, teachers)
    t7 = kraft_hill.table7_estimates(files, teachers)
    est = pd.concat([t5, t6, t7], ignore_index=True)
    merged = est.merge(numbers[KEYS + ["estimate", "se", "stars"]], on=KEYS, how="left",
                       suffixes=("", "_pub"), validate="one_to_one")
    assert merged["estimate_pub"].notna().all(), "every replicated cell needs a published twin"
    return merged


def _cells(estimates, columns):
    return estimates[estimates["column"].isin(columns)]


def _fmt(rows: pd.DataFrame) -> str:
    return rows[KEYS[1:] + ["estimate", "estimate_pub", "se", "se_pub"]].round(3).to_string()


# ---------------------------------------------------------------------------
# Calibration against the published tables
# ---------------------------------------------------------------------------
def test_every_published_cell_of_tables_5_to_7_is_replicated(estimates, numbers):
    pub = numbers[numbers["table"].isin(["Table 5", "Table 6", "Table 7"])]
    missing = pub.merge(estimates[KEYS], on=KEYS, how="left", indicator=True)
    assert (missing["_merge"] == "both").all(), missing[missing["_merge"] != "both"][KEYS]


def test_sample_sizes_are_exactly_the_published_ones(estimates):
    sizes = _cells(estimates, ["n (teachers)", "n (students)"])
    assert len(sizes) == 6 + (2 * 2 + 4) + 4 * 2   # Tables 5, 6, 7
    bad = sizes[sizes["estimate"] != sizes["estimate_pub"]]
    assert bad.empty, _fmt(bad)


def test_preferred_estimates_within_a_quarter_of_a_published_se(estimates):
    cells = _cells(estimates, ["Controls"])
    assert len(cells) == 16   # 6 + 6 + 4 cells in Tables 5, 6, 7
    bad = cells[(cells["estimate"] - cells["estimate_pub"]).abs() > 0.25 * cells["se_pub"]]
    assert bad.empty, _fmt(bad)


def test_unconditional_estimates_within_one_published_se(estimates):
    cells = _cells(estimates, ["Unconditional"])
    assert len(cells) == 16   # 6 + 6 + 4 cells in Tables 5, 6, 7
    bad = cells[(cells["estimate"] - cells["estimate_pub"]).abs() > cells["se_pub"]]
    assert bad.empty, _fmt(bad)


def test_standard_errors_within_25_percent(estimates):
    cells = _cells(estimates, ["Unconditional", "Controls"])
    ratio = cells["se"] / cells["se_pub"]
    bad = cells[(ratio < 0.75) | (ratio > 1.25)]
    assert bad.empty, _fmt(bad)


def test_significance_at_5_percent_matches_the_published_stars(estimates):
    cells = _cells(estimates, ["Unconditional", "Controls"])
    published_sig = cells["stars"].fillna("").isin(["*", "**", "***"])
    replicated_sig = cells["p"] < 0.05
    bad = cells[published_sig != replicated_sig]
    assert bad.empty, bad[KEYS[1:] + ["estimate", "se", "p", "stars"]].to_string()


def test_lee_bounds_within_one_published_se(estimates):
    cells = _cells(estimates, ["Unconditional (lower bound)", "Unconditional (upper bound)"])
    assert len(cells) == 2 * (1 + 4 + 2)   # Table 6 B: Ambitious + 4 MQI; Table 7 B: 2 tests
    bad = cells[(cells["estimate"] - cells["estimate_pub"]).abs() > cells["se_pub"]]
    assert bad.empty, _fmt(bad)
    assert (cells["se"] > 0).all()


def test_lee_bounds_bracket_the_unconditional_estimate(estimates):
    wide = estimates.pivot_table(index=["table", "panel", "row"], columns="column",
                                 values="estimate").dropna(subset=["Unconditional (lower bound)"])
    assert (wide["Unconditional (lower bound)"] <= wide["Unconditional"]).all()
    assert (wide["Unconditional"] <= wide["Unconditional (upper bound)"]).all()


# ---------------------------------------------------------------------------
# MQI segments: linear probability models, Figure 1, reliabilities
# ---------------------------------------------------------------------------
def _text(numbers, row, column):
    return published.estimate(PAPER, "Text", row, column)


@pytest.fixture(scope="module")
def lpm(files, teachers):
    return kraft_hill.segment_lpm(files["mqi/mqi_segments"], teachers)


@pytest.mark.parametrize("domain, label", [("richness", "Richness"),
                                           ("wws", "Working with Students"),
                                           ("ccasp", "Common Core Practices")])
def test_segment_lpm_effects_and_control_means(lpm, numbers, domain, label):
    row = f"Segment-level LPM effect on Mid/High score: {label}"
    effect = _text(numbers, row, "percentage points")
    control = _text(numbers, row, "Control mean (percent)")
    assert abs(100 * lpm.at[domain, "effect"] - effect) <= 1.5
    assert abs(100 * lpm.at[domain, "control_mean"] - control) <= 2.0
    assert lpm.at[domain, "n"] == 6415


def test_figure1_shares_within_two_points(files, teachers, numbers):
    shares = kraft_hill.figure1_shares(files["mqi/mqi_segments"], teachers)
    merged = shares.merge(numbers[KEYS + ["estimate"]], on=KEYS, suffixes=("", "_pub"),
                          validate="one_to_one")
    assert len(merged) == 6
    assert ((merged["estimate"] - merged["estimate_pub"]).abs() <= 2.0).all(), merged


def test_mqi_reliabilities_within_005(files):
    rel = kraft_hill.mqi_reliabilities(files["mqi/mqi_segments"])
    label = {"richness": "Richness", "ccasp": "Common Core-Aligned Student Practices",
             "wws": "Working With Students", "errors": "Errors"}
    for domain, name in label.items():
        target = published.estimate(PAPER, "Text", f"MQI reliability: {name}", "ICC")
        assert abs(rel[domain] - target) <= 0.05, (domain, rel[domain], target)


def test_segment_file_design(files, teachers):
    seg = files["mqi/mqi_segments"]
    items = [c for its in kraft_hill.MQI_ITEMS.values() for c, _ in its]
    assert len(items) == 16 and len(seg) == 6415
    assert seg["teacher_id"].nunique() == 104
    assert seg[items].isin([0, 1, 2, 3]).all().all()
    lessons = seg.groupby("teacher_id")["lesson_id"].nunique()
    assert abs(lessons.mean() - 4.8) < 0.05 and lessons.max() <= 5
    flagged = set(teachers.loc[teachers["observed_mqi_y2"] == 1, "teacher_id"])
    assert set(seg["teacher_id"]) == flagged


# ---------------------------------------------------------------------------
# Student files
# ---------------------------------------------------------------------------
def test_prior_score_coverage_in_published_ranges(files):
    cov = kraft_hill.prior_coverage(files)
    assert len(cov) == 4
    assert cov["state_prior_pct"].between(72, 77).all(), cov
    assert cov["map_prior_pct"].between(90, 93).all(), cov


def test_observation_flags_decide_who_has_each_outcome(files, teachers):
    flagged = lambda flag: set(teachers.loc[teachers[flag] == 1, "teacher_id"])  # noqa: E731
    refl, survey, tests = (files[n] for n in ["mqi/reflections", "mqi/student_survey",
                                              "mqi/student_tests"])
    for y in (1, 2):
        reflected = set(refl.loc[refl["year"] == y, "teacher_id"])
        surveyed = set(survey.loc[survey["year"] == y, "teacher_id"])
        assert reflected == flagged(f"observed_reflection_y{y}")
        assert surveyed == flagged(f"observed_ambitious_y{y}")
        ty = tests[tests["year"] == y]
        state = set(ty.loc[ty["state_math"].notna(), "teacher_id"])
        interim = set(ty.loc[ty["interim_math"].notna(), "teacher_id"])
        assert state == flagged(f"observed_state_test_y{y}")
        assert interim == flagged(f"observed_interim_test_y{y}")
        assert (ty["state_math"].notna() | ty["interim_math"].notna()).all()
    assert set(survey[[c for c, _ in kraft_hill.SURVEY_ITEMS]].stack().unique()) <= {1, 2, 3, 4, 5}
    star = tests[tests["interim_test"] == "Star"]
    district = teachers.set_index("teacher_id").loc[star["teacher_id"], "district"]
    assert (star["year"] == 2).all() and (district == "suburban").all()
    # prior scores are missing in pairs (one test's math and reading together)
    for a, b in [("prior_state_math", "prior_state_read"), ("prior_map_math", "prior_map_read")]:
        assert (tests[a].isna() == tests[b].isna()).all()


# ---------------------------------------------------------------------------
# Estimators: the fast random-intercept fit and the Lee bounds
# ---------------------------------------------------------------------------
def test_fast_random_intercept_fit_matches_fit_mixed(files, teachers):
    from coachbook.estimators.mixed import fit_mixed
    controls = list(kraft_hill.TEACHER_CONTROLS)
    survey = files["mqi/student_survey"]
    year2 = survey[survey["year"] == 2]
    d = year2[["teacher_id"]].assign(y=kraft_hill.ambitious_scale(year2))
    d = d.merge(teachers[["teacher_id", "treatment", "block", *controls]], on="teacher_id")
    fixed = ["treatment", *controls]
    x = np.column_stack([np.ones(len(d)), d[fixed].to_numpy(float),
                         pd.get_dummies(d["block"], drop_first=True).to_numpy(float)])
    fast = random_intercept.fit_random_intercept(d["y"].to_numpy(), x, d["teacher_id"].to_numpy())
    ref = fit_mixed("y ~ " + " + ".join(fixed) + " + C(block)", d, cluster="teacher_id",
                    methods=[("powell", "lbfgs")])
    fe = ref.fixed_effects.loc["treatment"]
    assert fast.coef[1] == pytest.approx(fe["estimate"], abs=1e-4)
    assert fast.se[1] == pytest.approx(fe["se"], rel=1e-3)
    tau = ref.variance_components.loc["var(Intercept)", "estimate"]
    assert fast.tau == pytest.approx(tau, rel=1e-3)


def test_lee_bounds_fe_without_blocks_equals_attrition_lee_bounds(files, teachers):
    from coachbook.estimators.lee import lee_bounds
    scores = kraft_hill.teacher_mqi_scores(files["mqi/mqi_segments"])
    d = teachers[["teacher_id", "treatment", "block"]].merge(scores, on="teacher_id", how="left")
    ours = lee_fe.lee_bounds_fe(d, "richness", teachers, block=None)
    plain = lee_bounds(d, "richness")
    assert ours.lower == pytest.approx(plain.lower, abs=1e-10)
    assert ours.upper == pytest.approx(plain.upper, abs=1e-10)
    assert ours.trim_share == pytest.approx(plain.trim_share)
    assert ours.trimmed_arm == "treatment"


def test_lee_bounds_are_sharp_and_the_calibration_twin_trims_whole_teachers(files, teachers):
    """Tables 6-7 report sharp bounds (58 observed treated, p = .184: 10.69 teachers
    trimmed, the 48th from the bottom at weight .31); the generator's fast twin, which
    the MQI files were calibrated on, trims whole teachers (11), as trimming="quantile"."""
    scores = kraft_hill.teacher_mqi_scores(files["mqi/mqi_segments"])
    t = mo.teachers._prepare_teachers(teachers)
    d = t[["teacher_id", "treatment", "block"]].merge(scores, on="teacher_id", how="left")
    d["richness"] = kraft_hill.standardize_by_control(d["richness"], d["treatment"])
    sharp = lee_fe.lee_bounds_fe(d, "richness", teachers)
    whole = lee_fe.lee_bounds_fe(d, "richness", teachers, trimming="quantile")
    assert sharp.n_trimmed == pytest.approx(sharp.trim_share * 58) and whole.n_trimmed == 11
    t6 = kraft_hill.table6_estimates(files, teachers).set_index(["row", "column"])["estimate"]
    assert t6[("MQI Richness", kraft_hill.LOWER)] == pytest.approx(sharp.lower, abs=1e-12)
    assert t6[("MQI Richness", kraft_hill.UPPER)] == pytest.approx(sharp.upper, abs=1e-12)
    smp = mo.teachers._sample(t, t["observed_mqi_y2"] == 1)
    z = d["richness"].to_numpy()[smp.idx]
    twin = mo.segments._lee_teacher(z, smp.treat, smp.design_u, mo.segments._observed_rates(t, "observed_mqi_y2"))
    assert twin == pytest.approx([whole.lower, whole.upper], abs=1e-10)


def test_table7_estimator_returns_every_cell(estimates):
    # 4 cells (x 20 imputations): n students, n teachers, both models; Lee bounds in year 2
    t7 = estimates[estimates["table"] == "Table 7"]
    assert len(t7) == 4 * 4 + 2 * 2
    models = t7[t7["column"].isin(["Unconditional", "Controls"])]
    assert models[["estimate", "se", "p"]].notna().all().all()
    assert (models["se"] > 0).all()


# ---------------------------------------------------------------------------
# The REML optimum is polished to machine precision (no dependence on the BLAS kernel)
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def survey_design(files, teachers):
    """Year-2 Ambitious Instruction with the controls: students in 102 teachers."""
    controls = list(kraft_hill.TEACHER_CONTROLS)
    survey = files["mqi/student_survey"]
    year2 = survey[survey["year"] == 2]
    d = year2[["teacher_id"]].assign(y=kraft_hill.ambitious_scale(year2))
    d = d.merge(teachers[["teacher_id", "treatment", "block", *controls]], on="teacher_id")
    x = np.column_stack([np.ones(len(d)), d[["treatment", *controls]].to_numpy(float),
                         pd.get_dummies(d["block"], drop_first=True).to_numpy(float)])
    return d["y"].to_numpy(), x, d["teacher_id"].to_numpy()


def test_polished_reml_is_a_root_of_the_derivative_and_matches_statsmodels(survey_design):
    import statsmodels.api as sm
    from statsmodels.regression.mixed_linear_model import MixedLMParams

    y, x, groups = survey_design
    design = random_intercept._RIDesign(x, groups)
    fit = design.fit(y)
    gamma = fit.tau / fit.sigma2
    assert gamma > 0
    # the analytic derivative vanishes (its terms are of order N = 2,591)
    assert abs(design.score(y, gamma)) < 1e-9
    # Brent's value-based answer alone is about 1e-7 away, where the score is not zero
    rough = design.fit(y, polish=False)
    assert abs(design.score(y, rough.tau / rough.sigma2)) > 1e3 * abs(design.score(y, gamma))
    # an independent optimizer, converged tightly, lands on the same point
    model = sm.MixedLM(y, x, groups=groups)
    ref = model.fit(reml=True, method=["bfgs"], gtol=1e-10, maxiter=500)
    # ... and statsmodels' own REML score (profiled over the fixed effects) vanishes at ours
    at = MixedLMParams.from_components(fe_params=np.zeros(x.shape[1]),
                                       cov_re=np.array([[gamma]]))
    assert abs(float(model.score(at, profile_fe=True)[0])) < 1e-8
    assert fit.tau == pytest.approx(float(np.asarray(ref.cov_re)[0, 0]), rel=1e-6)
    assert fit.sigma2 == pytest.approx(float(ref.scale), rel=1e-6)
    np.testing.assert_allclose(fit.coef, np.asarray(ref.fe_params), rtol=1e-6, atol=1e-9)


def test_random_intercept_standard_errors_equal_dense_gls():
    rng = np.random.default_rng(11)
    groups = np.repeat(np.arange(25), rng.integers(2, 9, 25))
    n = len(groups)
    x = np.column_stack([np.ones(n), rng.standard_normal(n), rng.integers(0, 2, n)])
    y = x @ [0.5, 0.3, -0.2] + rng.normal(0, 0.7, 25)[groups] + rng.standard_normal(n)
    fit = random_intercept.fit_random_intercept(y, x, groups)
    z = (groups[:, None] == np.arange(25)).astype(float)
    v_inv = np.linalg.inv(np.eye(n) * fit.sigma2 + fit.tau * z @ z.T)
    cov = np.linalg.inv(x.T @ v_inv @ x)
    np.testing.assert_allclose(fit.cov, cov, rtol=1e-10)
    np.testing.assert_allclose(fit.coef, cov @ x.T @ v_inv @ y, rtol=1e-10)


def test_random_intercept_keeps_the_gamma_zero_boundary():
    """Group means that vary less than chance: the REML optimum is tau = 0 exactly."""
    rng = np.random.default_rng(5)
    groups = np.repeat(np.arange(40), 5)
    e = rng.standard_normal((40, 5))
    y = (e - 0.9 * e.mean(axis=1, keepdims=True)).ravel() + 0.1 * rng.standard_normal(200)
    x = np.column_stack([np.ones(200), rng.standard_normal(200)])
    design = random_intercept._RIDesign(x, groups)
    assert design.score(y, 0.0) > 0          # the criterion rises from gamma = 0
    fit = design.fit(y)
    assert fit.tau == 0.0
    ols = np.linalg.lstsq(x, y, rcond=None)
    assert fit.sigma2 == pytest.approx(float(ols[1][0]) / (200 - 2), rel=1e-12)
    np.testing.assert_allclose(fit.coef, ols[0], rtol=1e-10)


# ---------------------------------------------------------------------------
# Files: codebook, rounding, determinism
# ---------------------------------------------------------------------------
def test_codebook_lists_every_column_in_order(files):
    assert set(mo.OUTCOMES_CODEBOOK) == set(FILES)
    for name, frame in files.items():
        spec = mo.OUTCOMES_CODEBOOK[name]
        assert [v.name for v in spec.variables] == list(frame.columns), name
        for var in spec.variables:
            assert var.meaning and var.dtype in {"int", "float", "str", "category"}
            if var.dtype == "int":
                assert pd.api.types.is_integer_dtype(frame[var.name]), (name, var.name)


def test_floats_have_at_most_four_decimals(files):
    for name, frame in files.items():
        for col in frame.select_dtypes("float"):
            values = frame[col].dropna().to_numpy()
            assert np.allclose(values, np.round(values, 4), atol=1e-12, rtol=0), (name, col)


def test_regeneration_is_deterministic_and_matches_the_bundled_files(tmp_path, synthetic):
    # This session's generation against the bundled files, the independent earlier one.
    first = synthetic
    for name in FILES:
        path = tmp_path / f"{name}.csv"
        write_csv(first[name], path)
        assert path.read_bytes() == (data.data_dir() / f"{name}.csv").read_bytes(), (
            f"{name} drifted from its generator; run `python -m coachbook.synth`")


def test_interaction_term_is_centred_on_the_treated_and_zero_for_controls(teachers, monkeypatch):
    from coachbook.synth.mqi_outcomes import interactions, moderation
    t = teachers.sort_values("teacher_id").reset_index(drop=True)
    idx = np.flatnonzero(t["observed_mqi_y2"].to_numpy() == 1)
    assert not moderation.interaction_term(t, idx, "Richness", 2).any()   # none applied yet
    gamma = (0.0, 0.0, 0.5, 0.0, 0.0, 0.0)                                 # 0.5 per SD of MKT
    monkeypatch.setattr(interactions, "INTERACTIONS", {("Richness", 2): gamma})
    term = moderation.interaction_term(t, idx, "Richness", 2)
    treated = t["treatment"].to_numpy()[idx] == 1
    mkt = t["mkt"].to_numpy()[idx]
    assert not term[~treated].any()
    assert term[treated] == pytest.approx(0.5 * (mkt[treated] - mkt[treated].mean()))
    assert {y for _, y in interactions.CALIBRATED} == {1, 2} and len(interactions.CALIBRATED) == 16
    assert all(len(g) == len(kraft_hill.A2_MODERATORS) for g in interactions.CALIBRATED.values())
