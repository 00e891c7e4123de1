"""Malformed inputs raise ValueError naming the column or argument, never a silent answer.

Each case below was found by a survey of the public functions of rct, design,
power, reliability, multilevel (pool_rubin, multiply_impute) and growth: before
the shared checks of ``coachbook.estimators._validate`` these inputs returned a wrong or
meaningless number (NaN, inf, a p-value from rounding noise, a changed weight),
or failed with an unrelated error (TypeError, KeyError, LinAlgError ...).
The last tests check that the valid neighbours of those inputs still work.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from coachbook.estimators import (_validate, _values, agreement, balance, costs, effect_sizes,
                                  growth, hlm_tests, icc, power, randomization, rct,
                                  repeated_measures)
from coachbook.estimators.imputation import multiply_impute, pool_rubin

RNG = np.random.default_rng(20240611)
N = 40
TRIAL = pd.DataFrame({
    "treatment": np.tile([0, 1], N // 2),
    "block": np.repeat(list("abcd"), N // 4),
    "y": RNG.normal(size=N),
    "x": RNG.normal(size=N),
    "x2": RNG.normal(size=N),
    "school": np.repeat(range(10), 4),
})


def trial(**columns) -> pd.DataFrame:
    return TRIAL.assign(**columns)


def with_inf(values) -> np.ndarray:
    out = np.asarray(values, dtype=float).copy()
    out[0] = np.inf
    return out


TEXT_NUMBERS = pd.Series(TRIAL["y"].round(3).astype(str).to_numpy(), dtype=object)
WIDE = pd.DataFrame(RNG.normal(size=(8, 3)), columns=["r1", "r2", "r3"])
LONG = WIDE.rename_axis("lesson").reset_index().melt(id_vars="lesson", var_name="rater",
                                                     value_name="score")
PANEL = pd.DataFrame({"teacher": np.repeat(range(12), 3), "cycle": np.tile(range(3), 12)})
PANEL["score"] = RNG.normal(size=len(PANEL)) + 0.3 * PANEL["cycle"]
Q = np.array([[1.0, 2.0], [1.2, 2.1], [0.9, 2.3]])
U = np.full_like(Q, 0.04)
IMPUTE = pd.DataFrame({"x": RNG.normal(size=30), "z": RNG.normal(size=30)})
IMPUTE["y"] = IMPUTE["x"] + RNG.normal(size=30)
IMPUTE.loc[:5, "y"] = np.nan
GROWTH = pd.DataFrame({"g": np.repeat(range(12), 5), "x": RNG.normal(size=60)})
GROWTH["y"] = GROWTH["g"] % 3 + 0.5 * GROWTH["x"] + RNG.normal(size=60)
GROWTH["k"] = GROWTH["g"] // 4


class _Fit:
    """Just enough of a fitted model for the chi-square tests."""

    def __init__(self, scale=1.0):
        self.fe_params = pd.Series({"Intercept": 1.0, "x": 0.5})
        self.scale = scale


FE = pd.Series({"Intercept": 1.0, "time": 0.5, "x": 2.0, "time:x": 0.1})

CASES = [
    # ---- rct.itt ---------------------------------------------------------------------
    ("itt constant outcome (p from rounding noise)",
     lambda: rct.itt(trial(y=1.0), "y"), "outcome 'y' is constant"),
    ("itt outcome explained exactly by treatment",
     lambda: rct.itt(trial(y=TRIAL["treatment"] * 2.0 + 1), "y"), "'y' is reproduced exactly"),
    ("itt infinite outcome (estimate -inf)",
     lambda: rct.itt(trial(y=with_inf(TRIAL["y"])), "y"), "outcome column 'y' has 1 infinite"),
    ("itt outcome as numeric text",
     lambda: rct.itt(trial(y=TEXT_NUMBERS), "y"), "outcome column 'y' of data must be numeric, but it holds numbers stored as text"),
    ("itt control as numeric text (dummy-coded, se NaN)",
     lambda: rct.itt(trial(x=TEXT_NUMBERS), "y", controls=["x"]), "control column 'x' of data holds numbers stored as text"),
    ("itt infinite control (MissingDataError)",
     lambda: rct.itt(trial(x=with_inf(TRIAL["x"])), "y", controls=["x"]), "control column 'x' has 1 infinite"),
    ("itt controls as a bare string",
     lambda: rct.itt(TRIAL, "y", controls="x"), "controls must be a list of column names"),
    ("itt outcome is also the treatment",
     lambda: rct.itt(TRIAL, "treatment"), "column 'treatment' is used both as the outcome and as the treatment"),
    ("itt outcome among the controls",
     lambda: rct.itt(TRIAL, "y", controls=["y"]), "column 'y' is used both as the outcome and as a control"),
    ("itt treatment among the controls",
     lambda: rct.itt(TRIAL, "y", controls=["treatment"]), "column 'treatment' is used both as the treatment and as a control"),
    ("itt treatment as numeric text",
     lambda: rct.itt(trial(treatment=TRIAL["treatment"].astype(str)), "y"), "treatment column 'treatment' must be coded 0/1, but it holds numbers stored as text"),
    ("itt single cluster (ZeroDivisionError)",
     lambda: rct.itt(trial(school=1), "y", cluster="school"), "cluster column 'school' has a single cluster"),
    ("itt no residual df (se inf, p NaN)",
     lambda: rct.itt(TRIAL.iloc[:2].assign(block="a"), "y"), "no residual degrees of freedom"),
    ("itt duplicated column label (AttributeError)",
     lambda: rct.itt(pd.concat([TRIAL, TRIAL[["y"]]], axis=1), "y"), "more than one column named 'y'"),
    ("itt complex outcome (UFuncTypeError)",
     lambda: rct.itt(trial(y=TRIAL["y"] + 1j), "y"), "outcome column 'y' of data must be real-valued"),
    ("itt effect size with a constant control group (ZeroDivisionError)",
     lambda: rct.itt(trial(y=np.where(TRIAL["treatment"] == 0, 1.0, TRIAL["y"])), "y").effect_size,
     "control-group SD of 'y' is 0.0"),
    # ---- balance.balance_table / joint_balance_test ---------------------------------------
    ("balance_table constant covariate (p from rounding noise)",
     lambda: balance.balance_table(trial(x=1.0), ["x"]), "covariate 'x' is constant"),
    ("balance_table covariate constant within blocks",
     lambda: balance.balance_table(trial(x=TRIAL["block"].map({"a": 0, "b": 1, "c": 0, "d": 1}) * 1.0), ["x"]),
     "'x' is reproduced exactly by the treatment and the block fixed effects"),
    ("balance_table infinite covariate (NaN row)",
     lambda: balance.balance_table(trial(x=with_inf(TRIAL["x"])), ["x"]), "covariate column 'x' has 1 infinite"),
    ("balance_table no covariates (empty table)",
     lambda: balance.balance_table(TRIAL, []), "covariates is empty"),
    ("balance_table duplicated covariate (silently deduplicated)",
     lambda: balance.balance_table(TRIAL, ["x", "x"]), "covariates lists 'x' more than once"),
    ("balance_table one unit per arm (se NaN)",
     lambda: balance.balance_table(trial(x=np.r_[1.0, 2.0, [np.nan] * (N - 2)]), ["x"], block=None),
     "no residual degrees of freedom"),
    ("joint_balance_test infinite covariate (MissingDataError)",
     lambda: balance.joint_balance_test(trial(x=with_inf(TRIAL["x"])), ["x"]), "covariate column 'x' has 1 infinite"),
    ("joint_balance_test duplicated covariate (rank-deficient Wald test)",
     lambda: balance.joint_balance_test(TRIAL, ["x", "x"]), "covariates lists 'x' more than once"),
    ("joint_balance_test treatment as covariate (F = 7e31)",
     lambda: balance.joint_balance_test(TRIAL, ["treatment"]), "column 'treatment' is used both as the treatment and as a covariate"),
    ("joint_balance_test covariate copying the treatment",
     lambda: balance.joint_balance_test(trial(copy=TRIAL["treatment"] * 1.0), ["copy"]), "'treatment' is reproduced exactly by the covariates"),
    # ---- rct randomization --------------------------------------------------------------
    ("randomize_within_blocks fractional count (rounded up)",
     lambda: randomization.randomize_within_blocks(TRIAL, n_treated={b: 2.5 for b in "abcd"}, seed=1), "n_treated['a'] must be a whole number"),
    ("randomize_within_blocks NaN count (treats nobody)",
     lambda: randomization.randomize_within_blocks(TRIAL, n_treated={b: np.nan for b in "abcd"}, seed=1), "n_treated['a'] must be a whole number"),
    ("randomize_within_blocks boolean count",
     lambda: randomization.randomize_within_blocks(TRIAL, n_treated={b: True for b in "abcd"}, seed=1), "n_treated['a'] must be a whole number"),
    ("randomize_within_blocks seed=None (not reproducible)",
     lambda: randomization.randomize_within_blocks(TRIAL, seed=None), "seed is required"),
    ("randomize_within_blocks text seed (TypeError)",
     lambda: randomization.randomize_within_blocks(TRIAL, seed="a"), "seed must be a non-negative integer"),
    ("rerandomization_distribution infinite covariate (says 'constant')",
     lambda: randomization.rerandomization_distribution(trial(x=with_inf(TRIAL["x"])), "x", n_draws=5), "covariate column 'x' has 1 infinite"),
    ("rerandomization_distribution fractional n_draws (TypeError)",
     lambda: randomization.rerandomization_distribution(TRIAL, "x", n_draws=5.5), "n_draws must be an integer"),
    ("rerandomization_distribution boolean n_draws",
     lambda: randomization.rerandomization_distribution(TRIAL, "x", n_draws=True), "n_draws must be an integer"),
    ("rerandomization_distribution covariate is the block",
     lambda: randomization.rerandomization_distribution(trial(block=TRIAL["school"] % 2), "block", "block", n_draws=5), "used both as the covariate and as the block"),
    # ---- design -------------------------------------------------------------------------
    ("randomization_balance_test infinite covariate (LinAlgError)",
     lambda: randomization.randomization_balance_test(trial(x=with_inf(TRIAL["x"])), ["x"], n_draws=100), "covariate column 'x' has 1 infinite"),
    ("randomization_balance_test covariates as a string",
     lambda: randomization.randomization_balance_test(TRIAL, "x", n_draws=100), "covariates must be a list of column names"),
    ("randomization_balance_test treatment as covariate (LinAlgError)",
     lambda: randomization.randomization_balance_test(TRIAL, ["treatment"], n_draws=100), "used both as the treatment and as a covariate"),
    ("randomization_balance_test text seed",
     lambda: randomization.randomization_balance_test(TRIAL, ["x"], n_draws=100, seed="7"), "seed must be a non-negative integer"),
    ("net_cost boolean cost (read as $1)",
     lambda: costs.net_cost(True, 72, 15000, retention_effect=0.106), "cost_per_teacher must be a number (dollars), got the boolean"),
    ("net_cost cost as text",
     lambda: costs.net_cost("3500", 72, 15000, retention_effect=0.106), "cost_per_teacher must be a number (dollars), got the text '3500'"),
    ("net_cost boolean retention effect (read as 100 points)",
     lambda: costs.net_cost(3500, 72, 15000, retention_effect=True), "retention_effect must be a number, got the boolean"),
    ("net_cost boolean teacher count",
     lambda: costs.net_cost(3500, True, 15000, retention_effect=0.1), "n_teachers must be a number"),
    # ---- power --------------------------------------------------------------------------
    ("multiplier NaN df (NaN)", lambda: power.multiplier(np.nan), "df (degrees of freedom) must be a number, got NaN"),
    ("multiplier zero df (NaN)", lambda: power.multiplier(0), "df (degrees of freedom) must be positive"),
    ("multiplier negative df (NaN)", lambda: power.multiplier(-3), "df (degrees of freedom) must be positive"),
    ("multiplier boolean df (read as 1)", lambda: power.multiplier(True), "df (degrees of freedom) must be a number, got the boolean"),
    ("multiplier two_tailed='no' (counted as True)", lambda: power.multiplier(30, two_tailed="no"), "two_tailed must be True or False"),
    ("multiplier two_tailed=0", lambda: power.multiplier(30, two_tailed=0), "two_tailed must be True or False"),
    ("multiplier two_tailed=None (counted as False)", lambda: power.multiplier(30, two_tailed=None), "two_tailed must be True or False"),
    ("multiplier alpha as text", lambda: power.multiplier(30, alpha="0.05"), "alpha must be a number, got the text '0.05'"),
    ("multiplier boolean power", lambda: power.multiplier(30, power=True), "power must be a number, got the boolean"),
    ("mdes_ira NaN n (NaN)", lambda: power.mdes_ira(np.nan), "n must be a number, got NaN"),
    ("mdes_ira infinite n (0)", lambda: power.mdes_ira(np.inf), "n must be a finite number"),
    ("mdes_ira n as text", lambda: power.mdes_ira("100"), "n must be a number, got the text '100'"),
    ("mdes_ira two_tailed='no'", lambda: power.mdes_ira(100, two_tailed="no"), "two_tailed must be True or False"),
    ("mdes_ira boolean g1 (read as 1)", lambda: power.mdes_ira(100, g1=True), "g1 (number of covariates) must be a non-negative integer"),
    ("mdes_ira NaN g1 (unrelated error)", lambda: power.mdes_ira(100, g1=np.nan), "g1 (number of covariates) must be a non-negative integer"),
    ("mdes_ira infinite g1 (OverflowError)", lambda: power.mdes_ira(100, g1=np.inf), "g1 (number of covariates) must be a non-negative integer"),
    ("mdes_ira r21 as text", lambda: power.mdes_ira(100, r21="0.2"), "r21 must be a number, got the text"),
    ("mdes_bira2f1 NaN J (NaN)", lambda: power.mdes_bira2f1(10, np.nan), r"J (blocks) must be a number, got NaN"),
    ("mdes_bira2f1 infinite J (0)", lambda: power.mdes_bira2f1(10, np.inf), r"J (blocks) must be a finite number"),
    ("mdes_bira2f1 boolean J", lambda: power.mdes_bira2f1(10, True), r"J (blocks) must be a number, got the boolean"),
    ("mdes_cra2 NaN J (NaN)", lambda: power.mdes_cra2(0.2, 20, np.nan), r"J (clusters) must be a number, got NaN"),
    ("mdes_cra2 infinite n", lambda: power.mdes_cra2(0.0, np.inf, 40), r"n (students per cluster) must be a finite number"),
    ("mdes_bcra3f2 infinite K (0)", lambda: power.mdes_bcra3f2(0.2, 20, 4, np.inf), r"K (blocks) must be a finite number"),
    ("mdes_bcra3f2 NaN K (NaN)", lambda: power.mdes_bcra3f2(0.2, 20, 4, np.nan), r"K (blocks) must be a number, got NaN"),
    ("mdes_cra3 NaN K (NaN)", lambda: power.mdes_cra3(0.1, 0.1, 20, 3, np.nan), r"K (schools) must be a number, got NaN"),
    ("mdes_cra3 infinite J", lambda: power.mdes_cra3(0.1, 0.1, 20, np.inf, 40), r"J (teachers per school) must be a finite number"),
    ("mdes_table NaN on an axis (NaN row)", lambda: power.mdes_table(power.mdes_ira, n=[np.nan, 10]), "n must be a number, got NaN"),
    ("mdes_table unknown parameter (TypeError)", lambda: power.mdes_table(power.mdes_cra2, rho2=0.17, n=5, J=20, K=3), "mdes_cra2 has no parameter(s) ['K']"),
    ("mdes_table missing parameter (TypeError)", lambda: power.mdes_table(power.mdes_ira), "mdes_ira needs ['n']"),
    ("mdes_table set as axis", lambda: power.mdes_table(power.mdes_ira, n={20, 40}), "grid axis 'n' is a set"),
    # ---- reliability: ICCs --------------------------------------------------------------
    ("icc constant ratings (NaN table)", lambda: icc.icc(LONG.assign(score=2.0), "lesson", "rater", "score"), "every rating is constant"),
    ("icc equal target means (ICC(1,k) = -inf)",
     lambda: icc.icc(LONG.assign(score=LONG["rater"].map({"r1": 1.0, "r2": 2.0, "r3": 3.0})), "lesson", "rater", "score"),
     "every target has the same mean rating"),
    ("icc infinite rating (NaN table)", lambda: icc.icc(LONG.assign(score=with_inf(LONG["score"])), "lesson", "rater", "score"), "ratings column 'score' has 1 infinite"),
    ("icc numeric text ratings", lambda: icc.icc(LONG.assign(score=LONG["score"].astype(str)), "lesson", "rater", "score"), "ratings column 'score' of data must be numeric, but it holds numbers stored as text"),
    ("icc missing target id", lambda: icc.icc(LONG.assign(lesson=np.r_[np.nan, LONG["lesson"][1:]]), "lesson", "rater", "score"), "column 'lesson' has 1 missing value"),
    ("icc targets and raters the same column", lambda: icc.icc(LONG, "lesson", "lesson", "score"), "column 'lesson' is used both as the targets and as the raters"),
    ("icc_wide constant table (NaN table)", lambda: icc.icc_wide(np.ones((5, 3))), "every rating is constant"),
    ("icc_wide infinite rating (NaN table)", lambda: icc.icc_wide(WIDE.assign(r1=with_inf(WIDE["r1"]))), "ratings of rater 'r1' has 1 infinite"),
    ("icc_wide duplicated rater column (says 'not numeric')",
     lambda: icc.icc_wide(pd.DataFrame(WIDE.to_numpy()[:, :2], columns=["a", "a"])), "rater column(s) ['a'] appear more than once"),
    ("icc_wide 3-D input", lambda: icc.icc_wide(np.ones((2, 2, 2))), "ratings must be a non-empty 2-D table"),
    ("icc_by_group constant subset (NaN row)",
     lambda: icc.icc_by_group(LONG.assign(score=np.where(LONG["lesson"] < 4, 1.0, LONG["score"]), sub=np.where(LONG["lesson"] < 4, "x", "w")),
                                      "lesson", "rater", "score", "sub"), "subset 'x' of 'sub': every rating is constant"),
    ("icc_by_group by is the target", lambda: icc.icc_by_group(LONG, "lesson", "rater", "score", "lesson"), "used both as the targets and as the subset (by)"),
    ("icc_by_group missing subset",
     lambda: icc.icc_by_group(LONG.assign(sub=np.where(LONG["lesson"] < 4, None, "w")), "lesson", "rater", "score", "sub"), "subset column 'sub' has"),
    # ---- reliability: kappa -------------------------------------------------------------
    ("weighted_kappa duplicated category (weights change)",
     lambda: agreement.weighted_kappa([1, 2, 3, 4], [1, 2, 4, 4], categories=[1, 2, 2, 3, 4]), "categories lists [2] more than once"),
    ("weighted_kappa categories as a set (arbitrary order)",
     lambda: agreement.weighted_kappa([1, 2, 3], [1, 2, 2], categories={1, 2, 3}), "categories must be a list of the scale points in order"),
    ("weighted_kappa categories as a string",
     lambda: agreement.weighted_kappa(list("abab"), list("abba"), categories="ab"), "categories must be a list"),
    ("weighted_kappa numeric text codes (ordered '10' < '2')",
     lambda: agreement.weighted_kappa(["1", "2", "10"], ["1", "10", "2"]), "the codes are numbers stored as text"),
    ("weighted_kappa mixed text and number codes (TypeError)",
     lambda: agreement.weighted_kappa([1, 2, 3], ["1", "2", "3"]), "the codes mix numbers and text"),
    ("weighted_kappa infinite code (kappa 1)",
     lambda: agreement.weighted_kappa([1, 2, np.inf], [1, 2, np.inf]), "the codes include infinity"),
    ("weighted_kappa 2-D rater", lambda: agreement.weighted_kappa(np.ones((2, 2)), np.ones((2, 2))), "rater1 must be one-dimensional"),
    ("weighted_kappa scalar rater", lambda: agreement.weighted_kappa(1, 1), "rater1 must be a sequence of codes"),
    ("weighted_kappa_from_table proportions (n = 1, wrong ASE)",
     lambda: agreement.weighted_kappa_from_table([[0.4, 0.1], [0.1, 0.4]]), "table must hold counts (whole numbers"),
    ("weighted_kappa_from_table infinite count (OverflowError)",
     lambda: agreement.weighted_kappa_from_table([[1, np.inf], [0, 3]]), "table holds infinite counts"),
    ("weighted_kappa_from_table boolean table",
     lambda: agreement.weighted_kappa_from_table([[True, False], [False, True]]), "table must hold counts, got True/False"),
    ("weighted_kappa_from_table numeric text",
     lambda: agreement.weighted_kappa_from_table([["1", "2"], ["0", "3"]]), "table (counts) must be numbers, but they are numbers stored as text"),
    ("rater_agreement duplicated category", lambda: agreement.rater_agreement([1, 2, 3, 4], [1, 2, 4, 4], categories=[1, 2, 2, 3, 4]), "categories lists [2] more than once"),
    ("rater_agreement infinite score (mean difference NaN)", lambda: agreement.rater_agreement([1, 2, np.inf], [1, 2, np.inf]), "the codes include infinity"),
    ("rater_agreement numeric text with text categories",
     lambda: agreement.rater_agreement(["1", "2", "3"], ["1", "3", "3"], categories=["1", "2", "3"]), "rater_agreement needs numeric scores, but these are numbers stored as text"),
    # ---- reliability: paired effect sizes and CV ----------------------------------------
    ("d_z infinite value (NaN)", lambda: effect_sizes.d_z(with_inf(TRIAL["x"]), TRIAL["y"]), "x1 has 1 infinite"),
    ("d_z numeric text", lambda: effect_sizes.d_z([str(a) for a in TRIAL["x"]], TRIAL["y"]), "x1 must be numbers, but they are numbers stored as text"),
    ("d_z constant change up to rounding (d_z = 6e15)",
     lambda: effect_sizes.d_z([0.1, 0.2, 0.3], [0.0, 0.1, 0.2]), "SD of differences is 0"),
    ("d_z 2-D inputs paired after ravel",
     lambda: effect_sizes.d_z(np.arange(6.0).reshape(3, 2), np.arange(6.0).reshape(2, 3) ** 2), "x1 must be one-dimensional"),
    ("d_av near-constant measurements (d_av = 3e15)",
     lambda: effect_sizes.d_av([1.0, 1.0 + 1e-15, 1.0], [0.0, 0.0, 0.0]), "both SDs are 0"),
    ("d_av infinite value (NaN)", lambda: effect_sizes.d_av(TRIAL["x"], with_inf(TRIAL["y"])), "x2 has 1 infinite"),
    ("g_av infinite value (NaN)", lambda: effect_sizes.g_av(with_inf(TRIAL["x"]), TRIAL["y"]), "x1 has 1 infinite"),
    ("coefficient_of_variation infinite value (NaN)", lambda: effect_sizes.coefficient_of_variation([1, 2, np.inf]), "x has 1 infinite"),
    ("coefficient_of_variation negative values (CV = -0.5)", lambda: effect_sizes.coefficient_of_variation([-1, -2, -3]), "x has 3 negative value(s)"),
    ("coefficient_of_variation mean 0 up to rounding (CV = 2.5e15)",
     lambda: effect_sizes.coefficient_of_variation([-1, 1 + 1e-15]), "the mean is 0"),
    ("coefficient_of_variation numeric text", lambda: effect_sizes.coefficient_of_variation(["1", "2", "3"]), "x must be numbers, but they are numbers stored as text"),
    # ---- reliability: repeated measures -------------------------------------------------
    ("rm_anova constant outcome (F = 0.42, df NaN)", lambda: repeated_measures.rm_anova(PANEL.assign(score=1.0), "teacher", "cycle", "score"), "outcome 'score' is constant"),
    ("rm_anova classic constant outcome (KeyError)",
     lambda: repeated_measures.rm_anova(PANEL.assign(score=1.0), "teacher", "cycle", "score", method="classic"), "outcome 'score' is constant"),
    ("rm_anova outcome constant within occasions up to rounding (F = 1e34)",
     lambda: repeated_measures.rm_anova(PANEL.assign(score=PANEL["cycle"] * 0.1), "teacher", "cycle", "score"), "'score' is constant within every level of 'cycle'"),
    ("rm_anova classic outcome constant within occasions (F = inf)",
     lambda: repeated_measures.rm_anova(PANEL.assign(score=PANEL["cycle"] * 1.0), "teacher", "cycle", "score", method="classic"), "'score' is constant within every level of 'cycle'"),
    ("rm_anova infinite outcome (NaN)", lambda: repeated_measures.rm_anova(PANEL.assign(score=with_inf(PANEL["score"])), "teacher", "cycle", "score"), "outcome column 'score' has 1 infinite"),
    ("rm_anova scale with NaN (check skipped)", lambda: repeated_measures.rm_anova(PANEL, "teacher", "cycle", "score", scale=(np.nan, 3)), "scale low end must be a number"),
    ("rm_anova reversed scale", lambda: repeated_measures.rm_anova(PANEL, "teacher", "cycle", "score", scale=(5, -5)), "scale must be (low, high) with low < high"),
    ("rm_anova scale as text (unpacking error)", lambda: repeated_measures.rm_anova(PANEL, "teacher", "cycle", "score", scale="0-3"), "scale must be a pair (low, high)"),
    ("rm_anova missing subject id (row dropped)",
     lambda: repeated_measures.rm_anova(PANEL.assign(teacher=np.r_[np.nan, PANEL["teacher"][1:]]), "teacher", "cycle", "score", singletons="keep"), "column 'teacher' has 1 missing value"),
    ("rm_anova occasions mixing numbers and text (TypeError)",
     lambda: repeated_measures.rm_anova(PANEL.assign(cycle=PANEL["cycle"].astype(object).where(PANEL["cycle"] != 0, "pre")), "teacher", "cycle", "score"),
     "the occasions in 'cycle' mix numbers and text"),
    ("rm_anova outcome is the occasion (AttributeError)", lambda: repeated_measures.rm_anova(PANEL, "teacher", "cycle", "cycle"), "used both as the occasion (time) and as the outcome"),
    ("rm_logistic 0/1 stored as text",
     lambda: repeated_measures.rm_logistic(PANEL.assign(flag=(PANEL["score"] > 0).astype(int).astype(str)), "teacher", "cycle", "flag"), "outcome column 'flag' of data must be numeric, but it holds numbers stored as text"),
    # ---- multilevel.pool_rubin ---------------------------------------------------------
    ("pool_rubin more names than parameters (rows repeated)", lambda: pool_rubin(Q, U, names=["a", "b", "c"]), "names has 3 entries but there are 2 parameter(s)"),
    ("pool_rubin fewer names than parameters", lambda: pool_rubin(Q, U, names=["a"]), "names has 1 entries but there are 2 parameter(s)"),
    ("pool_rubin duplicated names", lambda: pool_rubin(Q, U, names=["a", "a"]), "names lists 'a' more than once"),
    ("pool_rubin names as a string (TypeError)", lambda: pool_rubin(Q[:, :1], U[:, :1], names="beta"), "names must be a list"),
    ("pool_rubin estimates as numeric text", lambda: pool_rubin(["1", "2"], ["0.1", "0.1"]), "estimates must be numbers, but they are numbers stored as text"),
    ("pool_rubin boolean estimates", lambda: pool_rubin([True, False], [0.1, 0.1]), "estimates must be numbers, got True/False"),
    ("pool_rubin variance columns in another order (wrong pairing)",
     lambda: pool_rubin(pd.DataFrame(Q, columns=["a", "b"]), pd.DataFrame(U, columns=["b", "a"])), "the columns of estimates ['a', 'b'] and of variances ['b', 'a'] differ"),
    ("pool_rubin zero total variance (t = inf, p = 0)", lambda: pool_rubin(np.ones((3, 1)), np.zeros((3, 1))), "the total variance of parameter(s) [0] is 0"),
    ("pool_rubin df_complete as text", lambda: pool_rubin(Q, U, df_complete="10"), "df_complete must be a number, got the text '10'"),
    ("pool_rubin boolean df_complete (read as 1)", lambda: pool_rubin(Q, U, df_complete=True), "df_complete must be a number of degrees of freedom"),
    ("pool_rubin df_complete of the wrong length", lambda: pool_rubin(Q, U, df_complete=[10, 20, 30]), "df_complete must be one number or one per parameter"),
    ("pool_rubin alpha as text (TypeError)", lambda: pool_rubin(Q, U, alpha="0.05"), "alpha must be a number, got the text"),
    ("pool_rubin alpha as an array", lambda: pool_rubin(Q, U, alpha=np.array([0.05, 0.1])), "alpha must be a number"),
    # ---- multilevel.multiply_impute ----------------------------------------------------
    ("multiply_impute n_iter=0 (random draws returned)", lambda: multiply_impute(IMPUTE, ["y"], m=2, seed=1, n_iter=0), "n_iter must be at least 1"),
    ("multiply_impute negative n_iter", lambda: multiply_impute(IMPUTE, ["y"], m=2, seed=1, n_iter=-1), "n_iter must be at least 1"),
    ("multiply_impute boolean n_iter (one cycle)", lambda: multiply_impute(IMPUTE, ["y"], m=2, seed=1, n_iter=True), "n_iter must be a whole number"),
    ("multiply_impute fractional n_iter (TypeError)", lambda: multiply_impute(IMPUTE, ["y"], m=2, seed=1, n_iter=2.5), "n_iter must be a whole number"),
    ("multiply_impute NaN m (unrelated error)", lambda: multiply_impute(IMPUTE, ["y"], m=np.nan, seed=1), "m must be an integer of at least 2 imputations"),
    ("multiply_impute infinite m (OverflowError)", lambda: multiply_impute(IMPUTE, ["y"], m=np.inf, seed=1), "m must be an integer of at least 2 imputations"),
    ("multiply_impute columns as a string", lambda: multiply_impute(IMPUTE.rename(columns={"y": "yy"}), "yy", m=2, seed=1), "columns must be a list of column names"),
    ("multiply_impute duplicated column", lambda: multiply_impute(IMPUTE, ["y", "y"], m=2, seed=1), "columns lists 'y' more than once"),
    ("multiply_impute column also a predictor", lambda: multiply_impute(IMPUTE, ["y"], m=2, seed=1, predictors=["y"]), "used both as a column to impute and as a predictor"),
    ("multiply_impute infinite predictor (inf imputations)",
     lambda: multiply_impute(IMPUTE.assign(x=with_inf(IMPUTE["x"])), ["y"], m=2, seed=1, predictors=["x"]), "predictor column 'x' has 1 infinite"),
    ("multiply_impute infinite value in the imputed column (LinAlgError)",
     lambda: multiply_impute(IMPUTE.assign(y=np.r_[IMPUTE["y"][:6], np.inf, IMPUTE["y"][7:]]), ["y"], m=2, seed=1), "imputed column 'y' has 1 infinite"),
    ("multiply_impute numeric text column", lambda: multiply_impute(IMPUTE.assign(y=IMPUTE["y"].astype(str).astype(object)), ["y"], m=2, seed=1), "imputed column 'y' of data must be numeric"),
    ("multiply_impute text seed (TypeError)", lambda: multiply_impute(IMPUTE, ["y"], m=2, seed="a"), "seed must be a non-negative integer"),
    # ---- growth -------------------------------------------------------------------------
    ("code_time_linear text years in the mapping", lambda: growth.code_time_linear(["f", "s"], {"f": "0", "s": "0.5"}), "cycle_to_years['f'] (years) must be a number"),
    ("code_time_linear NaN years in the mapping (NaN time)", lambda: growth.code_time_linear(["f", "s"], {"f": 0, "s": np.nan}), "cycle_to_years['s'] (years) must be a number, got NaN"),
    ("code_time_linear zero years per cycle (all times 0)", lambda: growth.code_time_linear([0, 1], 0), "cycle_to_years (years per cycle) must be positive"),
    ("code_time_linear years per cycle as text", lambda: growth.code_time_linear([0, 1], "0.5"), "cycle_to_years (years per cycle) must be a number, got the text"),
    ("code_time_linear NaN origin (NaN times)", lambda: growth.code_time_linear([0, 1], 0.5, origin=np.nan), "origin must be a number, got NaN"),
    ("code_time_linear origin as text (UFuncTypeError)", lambda: growth.code_time_linear([0, 1], 0.5, origin="1"), "origin must be a number, got the text"),
    ("code_time_linear infinite cycle", lambda: growth.code_time_linear([0, np.inf], 0.5), "cycle has 1 infinite"),
    ("code_time_linear numeric text cycles", lambda: growth.code_time_linear(["0", "1"], 0.5), "cycle holds numbers stored as text"),
    ("code_time_piecewise breakpoint outside the times (empty piece)", lambda: growth.code_time_piecewise([0, 1, 2], 5), "breakpoint 5 must lie strictly inside the observed times"),
    ("code_time_piecewise NaN breakpoint (NaN codes)", lambda: growth.code_time_piecewise([0, 1, 2], np.nan), "breakpoint must be a number, got NaN"),
    ("code_time_piecewise breakpoint as text (UFuncTypeError)", lambda: growth.code_time_piecewise([0, 1, 2], "1"), "breakpoint must be a number, got the text"),
    ("code_time_piecewise numeric text times", lambda: growth.code_time_piecewise(["0", "1", "2"], 1), "time must be numbers, but they are numbers stored as text"),
    ("code_time_piecewise infinite time", lambda: growth.code_time_piecewise([0, np.inf, 2], 1), "time has 1 infinite"),
    ("code_time_polynomial boolean degree (linear only)", lambda: growth.code_time_polynomial([0, 1, 2], degree=True), "degree must be a positive integer"),
    ("code_time_polynomial NaN degree (unrelated error)", lambda: growth.code_time_polynomial([0, 1, 2], degree=np.nan), "degree must be a positive integer"),
    ("code_time_polynomial NaN center (NaN terms)", lambda: growth.code_time_polynomial([0, 1, 2], center=np.nan), "center must be a number, 'mean' or 'first'"),
    ("code_time_polynomial infinite time", lambda: growth.code_time_polynomial([0, np.inf, 2]), "time has 1 infinite"),
    ("code_time_polynomial name not a string", lambda: growth.code_time_polynomial([0, 1], name=3), "name must be a non-empty string"),
    ("person_mean_center infinite value", lambda: growth.person_mean_center(GROWTH.assign(x=with_inf(GROWTH["x"])), "x", "g"), "column 'x' has 1 infinite"),
    ("person_mean_center missing unit id (NaN parts)",
     lambda: growth.person_mean_center(GROWTH.assign(g=np.r_[np.nan, GROWTH["g"][1:]]), "x", "g"), "column 'g' has 1 missing value"),
    ("person_mean_center cluster is the column (zeros)", lambda: growth.person_mean_center(GROWTH, "x", "x"), "used both as the variable and as the unit (cluster)"),
    ("check_growth_data infinite time", lambda: growth.check_growth_data(GROWTH.assign(t=with_inf(GROWTH["x"])), "g", "t"), "time column 't' has 1 infinite"),
    ("check_growth_data numeric text time", lambda: growth.check_growth_data(GROWTH.assign(t=GROWTH["x"].astype(str)), "g", "t"), "time column 't' of data holds numbers stored as text"),
    ("pooled_within_sd infinite value (group silently dropped)",
     lambda: effect_sizes.pooled_within_sd(GROWTH.assign(x=with_inf(GROWTH["x"])), "x", "k"), "column 'x' has 1 infinite"),
    ("pooled_within_sd by is the value", lambda: effect_sizes.pooled_within_sd(GROWTH, "x", "x"), "used both as the value and as the occasion (by)"),
    ("fixed_trajectory numeric text times", lambda: growth.fixed_trajectory(FE, ["0", "1"], {"time": 1}), "times must be numbers, but they are numbers stored as text"),
    ("fixed_trajectory NaN time (NaN fitted value)", lambda: growth.fixed_trajectory(FE, [0, np.nan], {"time": 1}), "times has 1 missing value"),
    ("fixed_trajectory at value as text", lambda: growth.fixed_trajectory(FE, [0, 1], {"time": 1}, at={"x": "1"}), "at['x'] must be a number, got the text"),
    ("fixed_trajectory NaN at value (NaN trajectory)", lambda: growth.fixed_trajectory(FE, [0, 1], {"time": 1}, at={"x": np.nan}), "at['x'] must be a number, got NaN"),
    ("fixed_trajectory boolean power", lambda: growth.fixed_trajectory(FE, [0, 1], {"time": True}), "time_terms['time'] (a power of time) must be a positive integer"),
    ("fixed_trajectory time_terms as a list (AttributeError)", lambda: growth.fixed_trajectory(FE, [0, 1], ["time"]), "time_terms must be a mapping"),
    ("fixed_trajectory NaN fixed effect (NaN trajectory)", lambda: growth.fixed_trajectory(FE.replace(0.5, np.nan), [0, 1], {"time": 1}), "fixed effect(s) ['time'] are not finite"),
    ("fixed_trajectory fixed effects as text", lambda: growth.fixed_trajectory(FE.astype(str), [0, 1], {"time": 1}), "the fixed effects must be numbers"),
    ("fixed_trajectory fit as a dict (AttributeError)", lambda: growth.fixed_trajectory(dict(FE), [0, 1], {"time": 1}), "fit must be a MixedFit, a statsmodels result or a Series"),
    ("hlm_variance_chisq infinite outcome (chi2 = inf)", lambda: hlm_tests.hlm_variance_chisq(GROWTH.assign(y=with_inf(GROWTH["y"])), "y", "g", ["x"], fit=_Fit()), "outcome column 'y' has 1 infinite"),
    ("hlm_variance_chisq infinite predictor (unit dropped)", lambda: hlm_tests.hlm_variance_chisq(GROWTH.assign(x=with_inf(GROWTH["x"])), "y", "g", ["x"], fit=_Fit()), "predictor column 'x' has 1 infinite"),
    ("hlm_variance_chisq predictors as a string", lambda: hlm_tests.hlm_variance_chisq(GROWTH, "y", "g", "x", fit=_Fit()), "level1_predictors must be a list"),
    ("hlm_variance_chisq random_slopes='no' (counted as True)", lambda: hlm_tests.hlm_variance_chisq(GROWTH, "y", "g", ["x"], random_slopes="no"), "random_slopes must be True or False"),
    ("hlm_variance_chisq outcome as a predictor", lambda: hlm_tests.hlm_variance_chisq(GROWTH, "y", "g", ["y"], fit=_Fit()), "used both as the outcome and as a level-1 predictor"),
    ("hlm_variance_chisq duplicated predictor", lambda: hlm_tests.hlm_variance_chisq(GROWTH, "y", "g", ["x", "x"], fit=_Fit()), "level1_predictors lists 'x' more than once"),
    ("hlm_variance_chisq zero level-1 variance (chi2 = inf)", lambda: hlm_tests.hlm_variance_chisq(GROWTH, "y", "g", ["x"], fit=_Fit(scale=0.0)), "level-1 variance is 0"),
    ("hlm_variance_chisq fit of the wrong type (AttributeError)", lambda: hlm_tests.hlm_variance_chisq(GROWTH, "y", "g", ["x"], fit="model"), "fit must be a MixedFit"),
    ("hlm_variance_chisq one usable unit (df 0, p NaN)", lambda: hlm_tests.hlm_variance_chisq(GROWTH[GROWTH["g"] < 1], "y", "g", [], fit=_Fit()), "which leaves 0 degrees of freedom"),
    ("hlm3_variance_chisq NaN level-2 variance", lambda: hlm_tests.hlm3_variance_chisq(GROWTH, "y", "g", "k", ["x"], fit=_Fit(), level2_variances={"x": np.nan}), "level2_variances['x'] must be a number, got NaN"),
    ("hlm3_variance_chisq unknown level-2 variance key (ignored)", lambda: hlm_tests.hlm3_variance_chisq(GROWTH, "y", "g", "k", ["x"], fit=_Fit(), level2_variances={"z": 0.1}), "level2_variances has key(s) ['z']"),
    ("hlm3_variance_chisq level-2 variances as a list (AttributeError)", lambda: hlm_tests.hlm3_variance_chisq(GROWTH, "y", "g", "k", ["x"], fit=_Fit(), level2_variances=[0.1]), "level2_variances must be a mapping"),
    ("hlm3_variance_chisq one cluster (df 0, p NaN)", lambda: hlm_tests.hlm3_variance_chisq(GROWTH.assign(k=0), "y", "g", "k", ["x"], fit=_Fit()), "all belong to one 'k' cluster"),
    ("hlm3_variance_chisq level-2 id is the level-3 id", lambda: hlm_tests.hlm3_variance_chisq(GROWTH, "y", "g", "g", ["x"], fit=_Fit()), "used both as the level-2 id and as the level-3 id"),
    ("hlm3_variance_chisq infinite outcome (chi2 NaN)", lambda: hlm_tests.hlm3_variance_chisq(GROWTH.assign(y=with_inf(GROWTH["y"])), "y", "g", "k", ["x"], fit=_Fit()), "outcome column 'y' has 1 infinite"),
]


@pytest.mark.parametrize("call, message", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_raises_value_error_naming_it(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call()


# --------------------------------------------------------------------------
# The shared helpers
# --------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["no", "False", 0, 1, None, 2.0, np.array([True])])
def test_require_bool_accepts_only_booleans(value):
    with pytest.raises(ValueError, match="flag must be True or False"):
        _values.require_bool("flag", value)
    assert _values.require_bool("flag", np.bool_(False)) is False


def test_require_numeric_names_column_and_role():
    frame = pd.DataFrame({"score": pd.Series(["1.2", "3.4"], dtype=object), "label": ["a", "b"]})
    with pytest.raises(ValueError, match=r"outcome column 'score' .*numbers stored as text.*pd\.to_numeric"):
        _validate.require_numeric(frame, ["score"], role="outcome")
    with pytest.raises(ValueError, match=r"covariate column 'label' of data must be numeric"):
        _validate.require_numeric(frame, ["label"], role="covariate")
    _validate.require_no_numeric_text(frame, ["label"], role="control")  # real categories are fine


@pytest.mark.parametrize("role, hint", [
    ("treatment", "== 'treatment'"),
    ("observed", ".notna()"),
    ("outcome", ">= cutoff"),
    (None, "<the level meaning 1>"),
])
def test_require_binary_hint_fits_the_role(role, hint):
    frame = pd.DataFrame({"flag": [0, 1, 2]})
    with pytest.raises(ValueError, match="must be coded 0/1") as caught:
        _validate.require_binary(frame, "flag", role)
    assert hint in str(caught.value) and "'flag'" in str(caught.value)
    if role != "treatment":
        assert "== 'treatment'" not in str(caught.value)


def test_require_binary_keeps_the_old_calling_form():
    assert _validate.require_binary(pd.Series([1, 0, np.nan, 1]), "x").tolist() == [1, 0, 1]
    with pytest.raises(ValueError, match=r"observed column 'seen' must be coded 0/1.*notna"):
        _validate.require_binary(pd.Series([1, 5], name="seen"), "observed column 'seen'")


@pytest.mark.parametrize("value, message", [
    (np.nan, "got NaN"), (np.inf, "finite"), (-1, "positive"), (0, "positive"),
    (True, "boolean"), ("3", "the text '3'"), (None, "must be a number"),
])
def test_require_positive_finite(value, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        _values.require_positive_finite("size", value)
    assert _values.require_positive_finite("size", np.float64(2.5)) == 2.5


def test_require_variation_ignores_only_rounding_noise():
    with pytest.raises(ValueError, match="x is constant"):
        _values.require_variation(np.array([0.1, 0.2, 0.3]) - np.array([0.0, 0.1, 0.2]), "x")
    _values.require_variation([1.0, 1.0 + 1e-9], "x")


# --------------------------------------------------------------------------
# Valid inputs still give the same answers
# --------------------------------------------------------------------------
def test_boolean_columns_count_as_zero_one():
    as_int = rct.itt(TRIAL, "y", controls=["x"])
    as_bool = rct.itt(trial(treatment=TRIAL["treatment"].astype(bool)), "y", controls=["x"])
    assert as_bool.estimate == pytest.approx(as_int.estimate) and as_bool.se == pytest.approx(as_int.se)
    flag = (TRIAL["y"] > 0)
    lpm_int = rct.itt(trial(flag=flag.astype(int)), "flag")
    lpm_bool = rct.itt(trial(flag=flag), "flag")
    assert lpm_bool.estimate == pytest.approx(lpm_int.estimate) and lpm_bool.p == pytest.approx(lpm_int.p)
    table_int = balance.balance_table(trial(flag=flag.astype(int)), ["flag"])
    table_bool = balance.balance_table(trial(flag=flag), ["flag"])
    assert np.allclose(table_bool.to_numpy(float), table_int.to_numpy(float))


def test_text_categories_remain_allowed_as_controls():
    region = np.where(TRIAL["school"] % 3 == 0, "urban", "rural")
    res = rct.itt(trial(region=region), "y", controls=["region"])
    assert np.isfinite(res.se) and res.df_resid == N - 2 - 3 - 1


def test_valid_scalars_still_work():
    assert power.multiplier(np.inf) == pytest.approx(2.8016, abs=1e-4)  # normal limit
    assert power.multiplier(30, two_tailed=np.bool_(False)) == pytest.approx(power.multiplier(30, two_tailed=False))
    assert power.mdes_ira(100, g1=2.0) == pytest.approx(power.mdes_ira(100, g1=2))
    grid = power.mdes_table(power.mdes_cra2, rho2=0.17, n=np.array([5, 15]), J=20)
    assert grid["mdes"].tolist() == pytest.approx(
        power.mdes_table(power.mdes_cra2, rho2=0.17, n=[5, 15], J=20)["mdes"].tolist())
    assert costs.net_cost(np.float64(3500), np.int64(72), 15000, retention_effect=0.106).net_cost_per_teacher == pytest.approx(1910)
    pooled = pool_rubin([1.0, 2.0], [0.5, 0.5], df_complete=np.inf).iloc[0]
    assert pooled["df"] == pytest.approx(pooled["df_rubin"])  # nu_com = inf gives Rubin's df
    assert len(multiply_impute(IMPUTE, ["y"], m=2.0, seed=np.random.default_rng(1))) == 2


def test_valid_codes_and_tables_still_work():
    declared = agreement.weighted_kappa(["1", "2", "10"], ["1", "10", "2"], categories=["1", "2", "10"])
    numeric = agreement.weighted_kappa([1, 2, 10], [1, 10, 2], categories=[1, 2, 10])
    assert declared.kappa == pytest.approx(numeric.kappa)
    assert agreement.weighted_kappa_from_table([[4.0, 1.0], [1.0, 4.0]]).n == 10
    assert effect_sizes.coefficient_of_variation([2, 2, 2]) == 0.0
    assert growth.code_time_piecewise([0, 1, 2, 3], 1.5).shape == (4, 2)
