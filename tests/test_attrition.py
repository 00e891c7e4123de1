"""Tests for coachbook.attrition: rates, the WWC standard and Lee bounds."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coachbook.attrition import (
    WWC_BOUNDARIES,
    attrition_rates,
    lee_bounds,
    wwc_attrition_rating,
)

REFERENCE = Path(__file__).parent / "reference_data"


# ---- Lee bounds against a published answer ----------------------------------
@pytest.fixture(scope="module")
def paces():
    return pd.read_csv(REFERENCE / "lee_abk_paces.csv")


@pytest.mark.parametrize(
    "outcome, lower, upper",
    [("MATH", 0.075, 0.279), ("READING", 0.029, 0.261), ("WRITING", -0.057, 0.204)],
)
def test_lee_bounds_paces_vouchers(paces, outcome, lower, upper):
    """Lee bounds without covariates on the PACES voucher lottery.

    Data: Angrist, Bettinger & Kremer (2006), "Long-term educational
    consequences of secondary school vouchers: Evidence from administrative
    records in Colombia", AER 96(3). File ``ABK_prepared_data.csv`` from the
    project's reference cases, restricted to ``AGE2 <= 23`` and
    ``SEX_IS_NA == 0`` (N = 3,610) and to the columns used here, copied to
    ``reference_data/lee_abk_paces.csv``. Treatment ``VOUCH0`` (won the
    voucher lottery), observed ``TEST_TAK`` (took the ICFES exam); untested
    pupils carry a placeholder score of 0, so ``observed`` must be given.

    Published answer: Semenova (2020), "Generalized Lee bounds", bounds
    without covariates: math [0.075, 0.279], reading [0.029, 0.261],
    writing [-0.057, 0.204], ratio of observation rates 1.057.
    Here the control arm is observed more often, so it is the arm trimmed.
    """
    assert len(paces) == 3610
    res = lee_bounds(paces, outcome, treatment="VOUCH0", observed="TEST_TAK")
    assert round(res.lower, 3) == lower
    assert round(res.upper, 3) == upper
    assert round(res.obs_rate_ratio, 3) == 1.057
    assert res.trimmed_arm == "control"
    assert res.trim_share == pytest.approx(1 - 1 / res.obs_rate_ratio)


def test_lee_bounds_trims_treatment_when_it_is_observed_more():
    # Treated: 10 units, all observed, outcomes 1..10; control: 10 units, 5
    # observed, all 0. p = (1 - .5)/1 = .5: keep the lower/upper half.
    df = pd.DataFrame(
        {
            "treatment": [1] * 10 + [0] * 10,
            "y": list(range(1, 11)) + [0] * 5 + [np.nan] * 5,
        }
    )
    res = lee_bounds(df, "y")
    assert res.trimmed_arm == "treatment" and res.trim_share == 0.5
    # Q(.5) = 5.5: lower keeps 1..5 (mean 3), upper keeps 6..10 (mean 8).
    assert (res.lower, res.upper) == (3.0, 8.0)


def test_lee_bounds_equal_rates_collapse_to_difference():
    df = pd.DataFrame({"treatment": [1, 1, 0, 0], "y": [2.0, np.nan, 1.0, np.nan]})
    res = lee_bounds(df, "y")
    assert res.trimmed_arm == "neither" and res.lower == res.upper == 1.0


@pytest.mark.parametrize(
    "frame, kwargs, message",
    [
        ({"treatment": [1, 0, 1, 0], "y": [1.0, 2, 3, 4]}, {}, "no attrition"),
        ({"treatment": [1, 1, 0, 0], "y": [np.nan, np.nan, 1.0, 2]}, {}, "treatment arm is unobserved"),
        ({"treatment": [1, 1, 0, 0], "y": [1.0, 2, np.nan, np.nan]}, {}, "control arm is unobserved"),
        ({"treatment": [1, 2, 0, 0], "y": [1.0, 2, np.nan, 3]}, {}, "0/1"),
        ({"treatment": [1, 0], "y": [1.0, 2], "seen": [1, 5]}, {"observed": "seen"}, "0/1"),
        ({"treatment": [1, 0], "y": [1.0, 2]}, {"observed": "seen"}, "missing column"),
        ({"treatment": [1, 0], "y": [np.nan, 2], "seen": [1, 0]}, {"observed": "seen"}, "marked observed"),
    ],
)
def test_lee_bounds_bad_inputs(frame, kwargs, message):
    with pytest.raises(ValueError, match=message):
        lee_bounds(pd.DataFrame(frame), "y", **kwargs)


# ---- attrition rates --------------------------------------------------------
def test_attrition_rates():
    # Treated: 2 of 10 lost (20 %); control: 1 of 10 lost (10 %).
    df = pd.DataFrame({"treatment": [1] * 10 + [0] * 10, "observed": [0, 0] + [1] * 8 + [0] + [1] * 9})
    rates = attrition_rates(df, "treatment", "observed")
    assert rates.overall_pct == pytest.approx(15)
    assert (rates.treatment_pct, rates.control_pct) == pytest.approx((20, 10))
    assert rates.differential_pct == pytest.approx(10)
    assert rates.wwc_rating("cautious") == "high" and rates.wwc_rating("optimistic") == "low"


def test_attrition_rates_bad_inputs():
    with pytest.raises(ValueError, match="0/1"):
        attrition_rates(pd.DataFrame({"treatment": [1, 0], "observed": [1, 3]}), "treatment", "observed")
    with pytest.raises(ValueError, match="missing column"):
        attrition_rates(pd.DataFrame({"treatment": [1, 0]}), "treatment", "observed")


# ---- WWC boundaries ---------------------------------------------------------
def test_wwc_table_shape_and_facts():
    assert WWC_BOUNDARIES.shape == (66, 2)
    assert list(WWC_BOUNDARIES.index) == list(range(66))
    assert WWC_BOUNDARIES.loc[0].tolist() == [5.7, 10.0]
    assert WWC_BOUNDARIES.loc[65, "optimistic"] == 0.3
    cautious, optimistic = WWC_BOUNDARIES["cautious"], WWC_BOUNDARIES["optimistic"]
    assert cautious.isna().sum() == 8 and cautious.loc[:57].notna().all()
    assert optimistic.notna().all()
    assert (cautious.dropna() < optimistic[cautious.notna()]).all()
    # Both boundaries rise to a peak near 10 % overall attrition, then fall.
    assert cautious.loc[:10].is_monotonic_increasing and cautious.loc[10:57].is_monotonic_decreasing
    assert optimistic.loc[:10].is_monotonic_increasing and optimistic.loc[10:].is_monotonic_decreasing


@pytest.mark.parametrize(
    "overall, differential, boundary, rating",
    [
        (10, 6.3, "cautious", "low"),  # exactly on the boundary counts as low
        (10, 6.4, "cautious", "high"),
        (10.9, 6.3, "cautious", "low"),  # 10.9 % reads the 10 % row
        (10, -6.3, "cautious", "low"),  # sign of the differential is ignored
        (58, 0.0, "cautious", "high"),  # cautious: high at any differential
        (58, 1.9, "optimistic", "low"),
        (58, 2.0, "optimistic", "high"),
        (57.9, 0.0, "cautious", "low"),
        (65.5, 0.3, "optimistic", "low"),
        (66, 0.0, "optimistic", "high"),
        (100 * (1 - 0.56), 2.1, "cautious", "high"),  # 43.99999999999999 % is 44 %
    ],
)
def test_wwc_rating_hand_checked(overall, differential, boundary, rating):
    assert wwc_attrition_rating(overall, differential, boundary) == rating


def test_wwc_rating_bad_inputs():
    with pytest.raises(ValueError, match="cautious"):
        wwc_attrition_rating(10, 5, boundary="pessimistic")
    with pytest.raises(ValueError, match="outside 0-100"):
        wwc_attrition_rating(-1, 5)
    with pytest.raises(ValueError, match="finite"):
        wwc_attrition_rating(float("nan"), 5)


# ---- robustness checks: retention LPM, stayers vs leavers, moderation, multiple tests
from coachbook import rct  # noqa: E402
from coachbook.attrition import (  # noqa: E402
    joint_attrition_test,
    lpm_block_fe,
    multiple_testing,
    stayer_leaver_table,
    treatment_interaction,
)


@pytest.fixture(scope="module")
def toy():
    """60 units in 3 blocks, both arms and both stayers and leavers in every block."""
    rng = np.random.default_rng(7)
    n = 60
    d = pd.DataFrame({
        "block": np.repeat(["a", "b", "c"], 20),
        "treatment": np.tile([0, 1], 30),
        "x1": rng.normal(size=n),
        "x2": rng.integers(0, 2, n),
        "m": rng.normal(size=n),
        "c1": rng.normal(size=n),
    })
    d["x3"] = 1 - d["x2"]  # collinear with x2 and the intercept
    d["observed"] = (rng.random(n) < 0.7 + 0.1 * d["treatment"]).astype(int)
    d["y"] = 0.5 * d["treatment"] + 0.3 * d["treatment"] * d["m"] + d["c1"] + rng.normal(size=n)
    return d


def test_lpm_block_fe_constant_is_areg_intercept(toy):
    res = lpm_block_fe(toy, "observed")
    itt = rct.itt(toy, "observed")
    assert (res.estimate, res.se, res.p) == (itt.estimate, itt.se, itt.p)
    y, t = toy["observed"], toy["treatment"]
    assert res.constant == pytest.approx(y.mean() - res.estimate * t.mean())
    assert res.control_mean == pytest.approx(y[t == 0].mean())


def test_lpm_block_fe_with_one_block_is_plain_hc1_ols(toy):
    import statsmodels.formula.api as smf

    one = toy.assign(block="all")
    res = lpm_block_fe(one, "observed")
    fit = smf.ols("observed ~ treatment", one).fit(cov_type="HC1")
    assert res.constant == pytest.approx(fit.params["Intercept"])
    assert res.constant_se == pytest.approx(fit.bse["Intercept"])
    assert res.constant == pytest.approx(res.control_mean)  # one block: intercept = control mean


def test_lpm_block_fe_bad_inputs(toy):
    with pytest.raises(ValueError, match="0/1"):
        lpm_block_fe(toy, "x1")
    with pytest.raises(ValueError, match="missing column"):
        lpm_block_fe(toy, "nope")


def test_stayer_leaver_table_matches_balance_table(toy):
    table = stayer_leaver_table(toy, ["x1", "x2"], "observed")
    reference = rct.balance_table(toy.assign(exit=1 - toy["observed"]), ["x1", "x2"], treatment="exit")
    assert np.allclose(table["difference"], reference["difference"])
    assert np.allclose(table["p"], reference["p"])
    assert np.allclose(table["mean_exit"], reference["mean_treatment"])
    assert np.allclose(table["mean_stay"], reference["mean_control"])
    assert (table["n_stay"] + table["n_exit"] == len(toy)).all()


def test_joint_attrition_test_matches_joint_balance_test_and_drops_collinear(toy):
    ours = joint_attrition_test(toy, ["x1", "x2", "x3"], "observed")
    reference = rct.joint_balance_test(toy.assign(exit=1 - toy["observed"]), ["x1", "x2"],
                                       treatment="exit")
    assert ours.df_num == 2  # x3 = 1 - x2 is dropped, as Stata omits it
    assert ours.p == pytest.approx(reference.p)
    assert ours.statistic == pytest.approx(reference.statistic)


def test_joint_attrition_test_drops_exact_combinations_of_blocks_and_earlier_columns(toy):
    """Exactly collinear columns (pivot ~1e-16 of their length) go, whatever the rounding;
    a column that only nearly is (relative pivot ~1e-7) stays."""
    block_b = (toy["block"] == "b").astype(float)
    d = toy.assign(z1=0.3 * toy["x1"] - 2 * block_b + 0.1,          # blocks + x1 + intercept
                   z2=toy["x1"] + 3e-4 * toy["m"])                    # nearly x1, not exactly
    ours = joint_attrition_test(d, ["x1", "z1", "x2", "x3", "z2"], "observed")
    reference = rct.joint_balance_test(d.assign(exit=1 - d["observed"]), ["x1", "x2", "z2"],
                                       treatment="exit")
    assert ours.df_num == 3
    assert ours.statistic == pytest.approx(reference.statistic, rel=1e-8)


def test_attrition_checks_allow_a_block_nobody_left(toy):
    d = toy.copy()
    d.loc[d["block"] == "a", "observed"] = 1
    with pytest.raises(ValueError, match="only one arm"):
        rct.joint_balance_test(d.assign(exit=1 - d["observed"]), ["x1"], treatment="exit")
    assert 0 < joint_attrition_test(d, ["x1", "x2"], "observed").p < 1
    assert stayer_leaver_table(d, ["x1"], "observed").loc["x1", "n_exit"] == (d["observed"] == 0).sum()


def test_attrition_checks_bad_inputs(toy):
    with pytest.raises(ValueError, match="both stayers"):
        joint_attrition_test(toy.assign(observed=1), ["x1"], "observed")
    with pytest.raises(ValueError, match="at least one"):
        stayer_leaver_table(toy, [], "observed")
    with pytest.raises(ValueError, match="cov_type"):
        joint_attrition_test(toy, ["x1"], "observed", cov_type="HC9")


def test_treatment_interaction_ols_matches_statsmodels(toy):
    import statsmodels.formula.api as smf

    res = treatment_interaction(toy, "y", "m", controls=["c1"])
    fit = smf.ols("y ~ treatment * m + c1 + C(block)", toy).fit(cov_type="HC1", use_t=True)
    assert res["estimate"] == pytest.approx(fit.params["treatment:m"])
    assert res["se"] == pytest.approx(fit.bse["treatment:m"])
    assert res["p"] == pytest.approx(fit.pvalues["treatment:m"])
    assert res["n"] == len(toy)
    # a moderator already among the controls enters once
    again = treatment_interaction(toy, "y", "m", controls=["c1", "m"])
    assert again["estimate"] == pytest.approx(res["estimate"])


def test_treatment_interaction_drops_a_main_effect_absorbed_by_blocks(toy):
    d = toy.assign(block_a=(toy["block"] == "a").astype(int))
    res = treatment_interaction(d, "y", "block_a")
    import statsmodels.formula.api as smf

    fit = smf.ols("y ~ treatment + treatment:block_a + C(block)", d).fit(cov_type="HC1")
    assert res["estimate"] == pytest.approx(fit.params["treatment:block_a"])
    assert res["se"] == pytest.approx(fit.bse["treatment:block_a"])


def test_treatment_interaction_random_intercept_and_pooling():
    from coachbook.multilevel import fit_mixed

    rng = np.random.default_rng(3)
    teachers = pd.DataFrame({"tid": range(40), "treatment": np.tile([0, 1], 20),
                             "block": np.repeat(["a", "b"], 20), "m": rng.normal(size=40)})
    students = teachers.loc[np.repeat(teachers.index, 12)].reset_index(drop=True)
    u = rng.normal(scale=0.5, size=40)[students["tid"]]
    students["y"] = (0.2 * students["treatment"] + 0.1 * students["treatment"] * students["m"]
                     + u + rng.normal(size=len(students)))
    res = treatment_interaction(students, "y", "m", group="tid")
    ref = fit_mixed("y ~ treatment * m + C(block)", students, groups="tid",
                    methods=[("powell", "lbfgs")])
    row = ref.fixed_effects.loc["treatment:m"]
    assert res["estimate"] == pytest.approx(row["estimate"], abs=1e-4)
    assert res["se"] == pytest.approx(row["se"], rel=1e-3)
    # identical "imputations": no between-imputation variance, same estimate and SE
    pooled = treatment_interaction([students, students.copy()], "y", "m", group="tid", df_complete=34)
    assert pooled["estimate"] == pytest.approx(res["estimate"])
    assert pooled["se"] == pytest.approx(res["se"])


def test_treatment_interaction_bad_inputs(toy):
    with pytest.raises(ValueError, match="collinear"):
        treatment_interaction(toy.assign(k=1.0), "y", "k")
    with pytest.raises(ValueError, match="missing for some rows"):
        treatment_interaction(toy.assign(m=np.where(toy.index < 3, np.nan, toy["m"])), "y", "m")
    with pytest.raises(ValueError, match="0/1"):
        treatment_interaction(toy.assign(treatment=2), "y", "m")
    with pytest.raises(ValueError, match="empty list"):
        treatment_interaction([], "y", "m")


def test_multiple_testing_hand_checked():
    p = pd.Series([0.001, 0.011, 0.02, 0.045, 0.30], index=list("abcde"))
    out = multiple_testing(p)
    # Holm: 0.001*5, 0.011*4, 0.02*3, 0.045*2, 0.30*1, kept non-decreasing
    assert np.allclose(out["p_holm"], [0.005, 0.044, 0.06, 0.09, 0.30])
    assert out["significant_holm"].tolist() == [1, 1, 0, 0, 0]
    # BH: p_(k) * 5 / k, kept non-increasing from the top: .005, .0275, .0333, .05625, .30
    assert np.allclose(out["p_bh"], [0.005, 0.0275, 0.02 * 5 / 3, 0.05625, 0.30])
    assert out["significant_bh"].tolist() == [1, 1, 1, 0, 0]
    assert out["significant"].tolist() == [1, 1, 1, 1, 0]
    assert list(out.index) == list("abcde")


def test_multiple_testing_bad_inputs():
    with pytest.raises(ValueError, match="between 0 and 1"):
        multiple_testing([0.1, np.nan])
    with pytest.raises(ValueError, match="between 0 and 1"):
        multiple_testing([0.1, 1.5])
    with pytest.raises(ValueError, match="empty"):
        multiple_testing([])
