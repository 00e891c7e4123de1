"""Tests for coachbook.estimators.attrition: rates, the WWC standard and Lee bounds."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coachbook.estimators.attrition import attrition_rates
from coachbook.estimators.lee import lee_bounds, lee_trimming_weights
from coachbook.estimators.lee_fe import lee_bounds_fe
from coachbook.estimators.wwc import WWC_BOUNDARIES, wwc_attrition_rating

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
    The scores are heavily tied (115 observed control pupils, about 20
    distinct scores), and Semenova's numbers come from whole-observation
    trimming at the linear (type 7) quantiles, ``trimming="quantile"``; the
    sharp bounds are in the next test.
    """
    assert len(paces) == 3610
    res = lee_bounds(paces, outcome, treatment="VOUCH0", observed="TEST_TAK", trimming="quantile")
    assert round(res.lower, 3) == lower
    assert round(res.upper, 3) == upper
    assert round(res.obs_rate_ratio, 3) == 1.057
    assert res.trimmed_arm == "control"
    assert res.trim_share == pytest.approx(1 - 1 / res.obs_rate_ratio)


@pytest.mark.parametrize(
    "outcome, lower, upper",
    [("MATH", 0.042, 0.268), ("READING", 0.042, 0.292), ("WRITING", -0.042, 0.207)],
)
def test_lee_bounds_paces_sharp_equal_whole_trimming_of_the_replicated_sample(
        paces, outcome, lower, upper):
    """Sharp bounds with ties, checked without fractional weights.

    Observation rates 153/2110 (voucher winners) and 115/1500 (losers), so the
    control arm keeps (1 - p) 115 = 115 (153/2110) / (115/1500) = 22950/211
    of its 115 observed pupils. Repeat every control pupil 211 times: the kept
    mass is then exactly 22,950 whole observations of 24,265, and the bounds are
    plain means of the top / bottom 22,950 replicated scores.
    """
    res = lee_bounds(paces, outcome, treatment="VOUCH0", observed="TEST_TAK")
    seen = paces["TEST_TAK"] == 1
    y_t = paces.loc[seen & (paces["VOUCH0"] == 1), outcome].to_numpy()
    y_c = paces.loc[seen & (paces["VOUCH0"] == 0), outcome].to_numpy()
    assert (y_t.size, y_c.size) == (153, 115)
    replicated = np.sort(np.repeat(y_c, 211))
    assert res.n_trimmed == pytest.approx(115 - 22950 / 211, abs=1e-9)
    assert res.lower == pytest.approx(y_t.mean() - replicated[-22950:].mean(), abs=1e-12)
    assert res.upper == pytest.approx(y_t.mean() - replicated[:22950].mean(), abs=1e-12)
    assert (round(res.lower, 3), round(res.upper, 3)) == (lower, upper)
    assert res.trimming == "sharp" and res.trimmed_arm == "control"


# ---- Lee bounds with ties: fractional weights at the cut point --------------
def _binary_trial():
    """18 of 20 treated and 16 of 20 control units observed, half of each arm at 1."""
    return pd.DataFrame({
        "treatment": [1] * 20 + [0] * 20,
        "y": [1.0] * 9 + [0.0] * 9 + [np.nan] * 2 + [1.0] * 8 + [0.0] * 8 + [np.nan] * 4,
    })


def test_lee_bounds_binary_outcome_hand_checked():
    # q_T = .9, q_C = .8 (10 points of differential attrition), p = (.9 - .8)/.9 = 1/9:
    # trim 18/9 = 2 of the 18 observed treated. Dropping two 1s: 7/16 - 8/16 = -0.0625;
    # dropping two 0s: 9/16 - 8/16 = 0.0625.
    res = lee_bounds(_binary_trial(), "y")
    assert res.trimmed_arm == "treatment" and res.trim_share == pytest.approx(1 / 9)
    assert res.lower == pytest.approx(-0.0625, abs=1e-12)
    assert res.upper == pytest.approx(0.0625, abs=1e-12)
    assert res.n_trimmed == pytest.approx(2.0, abs=1e-12)
    # whole-observation trimming keeps every y <= Q(8/9) = 1, i.e. trims nothing
    old = lee_bounds(_binary_trial(), "y", trimming="quantile")
    assert (old.lower, old.upper) == (0.0, 0.0)


def test_lee_bounds_rating_with_ties_include_zero_where_whole_trimming_excludes_it():
    # Ratings 1-5. Treated: all 6 observed, 1 1 1 4 4 4 (mean 2.5); control: 3 of 4
    # observed, 2 2 3 (mean 7/3). p = (1 - .75)/1 = .25, i.e. 1.5 of the 6 treated.
    # Lower: drop 1.5 of the 4s -> (1 + 1 + 1 + 1.5 * 4)/4.5 = 2, minus 7/3 = -1/3.
    # Upper: drop 1.5 of the 1s -> (1.5 * 1 + 4 + 4 + 4)/4.5 = 3, minus 7/3 = 2/3.
    df = pd.DataFrame({"treatment": [1] * 6 + [0] * 4,
                       "rating": [1, 1, 1, 4, 4, 4, 2, 2, 3, np.nan]})
    res = lee_bounds(df, "rating")
    assert res.lower == pytest.approx(-1 / 3, abs=1e-12)
    assert res.upper == pytest.approx(2 / 3, abs=1e-12)
    assert res.lower < 0 < res.upper
    # whole trimming keeps y <= Q(.75) = 4 and y >= Q(.25) = 1, all six: [1/6, 1/6], excluding 0
    old = lee_bounds(df, "rating", trimming="quantile")
    assert old.lower == pytest.approx(1 / 6) and old.upper == pytest.approx(1 / 6)


def test_lee_trimming_weights_hand_checked():
    # 10 distinct values, p = .15: keep 8.5 -> the 9th value from the bottom at weight 1/2
    w = lee_trimming_weights(np.arange(10.0)[::-1], 0.15, "top")
    assert w.sum() == pytest.approx(8.5)
    assert w[::-1].tolist() == [1.0] * 8 + [0.5, 0.0]
    # ties at the cut point share the fraction: 1 2 2 2 3, p = .3, keep 3.5 of 5:
    # the 1 whole, each 2 at (3.5 - 1)/3 = 5/6, the 3 not at all
    w = lee_trimming_weights([2.0, 1.0, 3.0, 2.0, 2.0], 0.3, "top")
    assert w == pytest.approx([5 / 6, 1.0, 0.0, 5 / 6, 5 / 6])
    w = lee_trimming_weights([2.0, 1.0, 3.0, 2.0, 2.0], 0.3, "bottom")
    assert w == pytest.approx([5 / 6, 0.0, 1.0, 5 / 6, 5 / 6])
    # p n a whole number up to rounding (1/9 of 18): whole observations only
    w = lee_trimming_weights(np.arange(18.0), (0.9 - 0.8) / 0.9, "top")
    assert w.tolist() == [1.0] * 16 + [0.0] * 2
    assert lee_trimming_weights([1.0, 2.0], 0.0, "bottom").tolist() == [1.0, 1.0]


def _replicated_bounds(y_t, y_c, n_t, n_c):
    """Lee bounds by whole trimming of the arm observed more, every unit repeated.

    The kept mass (1 - p) n_more = n_less_obs n_more / n_less becomes a whole
    number once every observed unit of that arm is repeated n_less times.
    """
    q_t, q_c = y_t.size / n_t, y_c.size / n_c
    trim_t = q_t > q_c
    more, other = (y_t, y_c) if trim_t else (y_c, y_t)
    reps = n_c if trim_t else n_t
    kept = (y_c.size * n_t) if trim_t else (y_t.size * n_c)
    rep = np.sort(np.repeat(more, reps))
    bottom, top = rep[:kept].mean(), rep[-kept:].mean()
    if trim_t:
        return bottom - other.mean(), top - other.mean()
    return other.mean() - top, other.mean() - bottom


@pytest.mark.parametrize("seed", range(12))
def test_lee_bounds_sharp_equal_whole_trimming_of_a_replicated_sample(seed):
    rng = np.random.default_rng(seed)
    n_t, n_c = rng.integers(5, 30, 2)
    y = rng.integers(1, 6, n_t + n_c).astype(float)   # a 1-5 rating: many ties
    if seed % 3 == 0:
        y = rng.normal(size=n_t + n_c)                # continuous, no ties
    rate_t, rate_c = (0.1, 0.35) if seed % 2 else (0.35, 0.1)   # either arm trimmed
    lost = rng.random(n_t + n_c) < np.r_[np.full(n_t, rate_t), np.full(n_c, rate_c)]
    lost[[0, n_t]] = False                            # someone observed in each arm
    df = pd.DataFrame({"treatment": [1] * n_t + [0] * n_c, "y": np.where(lost, np.nan, y)})
    y_t = df.loc[(df.treatment == 1) & df.y.notna(), "y"].to_numpy()
    y_c = df.loc[(df.treatment == 0) & df.y.notna(), "y"].to_numpy()
    if y_t.size / n_t == y_c.size / n_c:
        pytest.skip("equal observation rates: nothing to trim")
    res = lee_bounds(df, "y")
    assert (res.lower, res.upper) == pytest.approx(_replicated_bounds(y_t, y_c, n_t, n_c), abs=1e-12)
    assert res.lower <= res.upper


def test_lee_bounds_continuous_without_ties_unchanged_when_p_n_is_whole():
    # distinct outcomes and p n a whole number (25 of 100 treated trimmed): the sharp
    # rule and the old whole-observation rule keep the same units
    rng = np.random.default_rng(11)
    y = np.r_[rng.normal(size=100), rng.normal(size=75), [np.nan] * 25]
    df = pd.DataFrame({"treatment": [1] * 100 + [0] * 100, "y": y})
    sharp, whole = lee_bounds(df, "y"), lee_bounds(df, "y", trimming="quantile")
    assert sharp.n_trimmed == pytest.approx(25)
    assert sharp.lower == pytest.approx(whole.lower, abs=1e-12)
    assert sharp.upper == pytest.approx(whole.upper, abs=1e-12)


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
from coachbook.estimators import balance, rct  # noqa: E402
from coachbook.estimators.attrition import (joint_attrition_test, lpm_block_fe,  # noqa: E402
                                            stayer_leaver_table)
from coachbook.estimators.moderation import multiple_testing, treatment_interaction  # noqa: E402


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
    reference = balance.balance_table(toy.assign(exit=1 - toy["observed"]), ["x1", "x2"], treatment="exit")
    assert np.allclose(table["difference"], reference["difference"])
    assert np.allclose(table["p"], reference["p"])
    assert np.allclose(table["mean_exit"], reference["mean_treatment"])
    assert np.allclose(table["mean_stay"], reference["mean_control"])
    assert (table["n_stay"] + table["n_exit"] == len(toy)).all()


def test_joint_attrition_test_matches_joint_balance_test_and_drops_collinear(toy):
    ours = joint_attrition_test(toy, ["x1", "x2", "x3"], "observed")
    reference = balance.joint_balance_test(toy.assign(exit=1 - toy["observed"]), ["x1", "x2"],
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
    reference = balance.joint_balance_test(d.assign(exit=1 - d["observed"]), ["x1", "x2", "z2"],
                                       treatment="exit")
    assert ours.df_num == 3
    assert ours.statistic == pytest.approx(reference.statistic, rel=1e-8)


def test_attrition_checks_allow_a_block_nobody_left(toy):
    d = toy.copy()
    d.loc[d["block"] == "a", "observed"] = 1
    with pytest.raises(ValueError, match="only one arm"):
        balance.joint_balance_test(d.assign(exit=1 - d["observed"]), ["x1"], treatment="exit")
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
    from coachbook.estimators.mixed import fit_mixed

    rng = np.random.default_rng(3)
    teachers = pd.DataFrame({"tid": range(40), "treatment": np.tile([0, 1], 20),
                             "block": np.repeat(["a", "b"], 20), "m": rng.normal(size=40)})
    students = teachers.loc[np.repeat(teachers.index, 12)].reset_index(drop=True)
    u = rng.normal(scale=0.5, size=40)[students["tid"]]
    students["y"] = (0.2 * students["treatment"] + 0.1 * students["treatment"] * students["m"]
                     + u + rng.normal(size=len(students)))
    res = treatment_interaction(students, "y", "m", cluster="tid")
    ref = fit_mixed("y ~ treatment * m + C(block)", students, cluster="tid",
                    methods=[("powell", "lbfgs")])
    row = ref.fixed_effects.loc["treatment:m"]
    assert res["estimate"] == pytest.approx(row["estimate"], abs=1e-4)
    assert res["se"] == pytest.approx(row["se"], rel=1e-3)
    # identical "imputations": no between-imputation variance, same estimate and SE
    pooled = treatment_interaction([students, students.copy()], "y", "m", cluster="tid", df_complete=34)
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


# ---- Lee bounds around the block fixed-effects model (lee_bounds_fe) ---------
@pytest.fixture(scope="module")
def lee_design():
    """44 randomized units in 4 blocks (both arms in each): 20 of 24 treated and 12 of 20
    control units observed, so p = (5/6 - 3/5)/(5/6) = 0.28 and 5.6 of the 20 observed
    treated are trimmed; unit outcomes are 1-5 ratings (tied), students' add noise."""
    rng = np.random.default_rng(5)
    roster = pd.DataFrame({"unit": [f"u{i:02d}" for i in range(44)],
                           "treatment": [1] * 24 + [0] * 20,
                           "site": np.r_[np.tile(list("abcd"), 6), np.tile(list("abcd"), 5)]})
    seen = np.r_[np.arange(24) % 6 != 0, np.arange(20) % 5 < 3]
    units = roster.assign(score=np.where(seen, rng.integers(1, 6, 44).astype(float), np.nan))
    students = units[seen].loc[lambda d: d.index.repeat(rng.integers(2, 7, seen.sum()))]
    students = students.assign(score=students["score"] + rng.normal(0, 1, len(students)))
    return roster, units, students.reset_index(drop=True)


def test_lee_bounds_fe_without_blocks_equals_lee_bounds_with_a_fractional_unit(lee_design):
    roster, units, _ = lee_design
    fe = lee_bounds_fe(units, "score", roster, block=None, cluster="unit")
    plain = lee_bounds(units, "score")
    assert fe.trimmed_arm == plain.trimmed_arm == "treatment"
    assert fe.n_trimmed == pytest.approx(plain.n_trimmed)
    assert fe.n_trimmed != round(fe.n_trimmed)          # a unit is cut in part
    assert fe.lower == pytest.approx(plain.lower, abs=1e-12)
    assert fe.upper == pytest.approx(plain.upper, abs=1e-12)


def test_lee_bounds_fe_whole_units_is_rct_itt_on_the_units_kept(lee_design):
    roster, units, _ = lee_design
    fe = lee_bounds_fe(units, "score", roster, block="site", cluster="unit", trimming="quantile")
    y = units.loc[units["treatment"] == 1, "score"].dropna()
    p = fe.trim_share
    keep_lo = units[~units.index.isin(y.index[y > np.quantile(y, 1 - p)])]
    keep_hi = units[~units.index.isin(y.index[y < np.quantile(y, p)])]
    for keep, (est, se, pval) in [(keep_lo, (fe.lower, fe.se_lower, fe.p_lower)),
                                  (keep_hi, (fe.upper, fe.se_upper, fe.p_upper))]:
        ref = rct.itt(keep, "score", block="site")
        assert (est, se, pval) == pytest.approx((ref.estimate, ref.se, ref.p), rel=1e-10)


def test_lee_bounds_fe_fractional_unit_is_a_frequency_weight(lee_design):
    """The unit cut in part enters the regression as a fractional frequency weight: its
    weighted fit equals OLS on a sample in which every whole unit is repeated."""
    from coachbook.estimators.lee_fe import _weighted_block_ols

    roster, units, _ = lee_design
    d = units.dropna(subset=["score"]).reset_index(drop=True)
    w = np.ones(len(d))
    w[3] = 0.5
    est, _, _ = _weighted_block_ols(d["score"].to_numpy(), d["treatment"].to_numpy(float),
                                    d["site"].to_numpy(), w)
    doubled = d.loc[d.index.repeat(np.where(w == 1, 2, 1))]
    assert est == pytest.approx(rct.itt(doubled, "score", block="site").estimate, abs=1e-12)
    # a weight near 0 is the fit without the unit
    w[3] = 1e-12
    est0, se0, _ = _weighted_block_ols(d["score"].to_numpy(), d["treatment"].to_numpy(float),
                                       d["site"].to_numpy(), w)
    ref = rct.itt(d.drop(index=3), "score", block="site")
    assert (est0, se0) == pytest.approx((ref.estimate, ref.se), rel=1e-8)


def test_lee_bounds_fe_multilevel_whole_units_is_the_random_intercept_fit(lee_design):
    from coachbook.estimators.ols import dummies as _dummies
    from coachbook.estimators.random_intercept import fit_random_intercept

    roster, units, students = lee_design
    fe = lee_bounds_fe(students, "score", roster, multilevel=True, block="site", cluster="unit",
                       trimming="quantile")
    means = students.groupby("unit")["score"].mean()
    treated = means[roster.set_index("unit").loc[means.index, "treatment"] == 1]
    drop_top = treated.index[treated > np.quantile(treated, 1 - fe.trim_share)]
    kept = students[~students["unit"].isin(drop_top)]
    x = np.column_stack([np.ones(len(kept)), kept["treatment"], _dummies(kept["site"])])
    fit = fit_random_intercept(kept["score"].to_numpy(), x, kept["unit"].to_numpy())
    assert fe.lower == pytest.approx(fit.coef[1], abs=1e-9)
    assert fe.se_lower == pytest.approx(fit.se[1], rel=1e-8)
    # sharp: 5.6 units trimmed, the unit at the cut point with weight 0.4
    sharp = lee_bounds_fe(students, "score", roster, multilevel=True, block="site", cluster="unit")
    assert sharp.n_trimmed == pytest.approx(sharp.trim_share * 20)
    assert sharp.lower <= sharp.upper


def test_weighted_random_intercept_moves_continuously_between_dropping_and_keeping_a_unit(
        lee_design):
    from coachbook.estimators.lee_fe import _weighted_random_intercept
    from coachbook.estimators.ols import dummies as _dummies
    from coachbook.estimators.random_intercept import fit_random_intercept

    _, _, students = lee_design
    y, t = students["score"].to_numpy(), students["treatment"].to_numpy(float)
    site, unit = students["site"].to_numpy(), students["unit"].to_numpy()

    def reference(rows):
        x = np.column_stack([np.ones(rows.sum()), t[rows], _dummies(site[rows])])
        fit = fit_random_intercept(y[rows], x, unit[rows])
        return fit.coef[1], fit.se[1]

    everyone = np.ones(len(y), bool)
    assert _weighted_random_intercept(y, t, site, unit, everyone * 1.0)[:2] == pytest.approx(
        reference(everyone), rel=1e-9)
    first = unit == unit[0]
    almost_gone = np.where(first, 1e-12, 1.0)
    assert _weighted_random_intercept(y, t, site, unit, almost_gone)[:2] == pytest.approx(
        reference(~first), rel=1e-7)
    half = _weighted_random_intercept(y, t, site, unit, np.where(first, 0.5, 1.0))[0]
    ends = sorted([reference(everyone)[0], reference(~first)[0]])
    assert ends[0] - 1e-12 <= half <= ends[1] + 1e-12


def test_lee_bounds_fe_cluster_is_a_design_name(lee_design):
    roster, units, _ = lee_design
    a = lee_bounds_fe(units, "score", roster, block="site", cluster="unit")
    b = lee_bounds_fe(units.rename(columns={"unit": "teacher_id", "site": "block"}), "score",
                      roster.rename(columns={"unit": "teacher_id", "site": "block"}))
    assert (a.lower, a.upper, a.se_lower, a.se_upper) == (b.lower, b.upper, b.se_lower, b.se_upper)


# ---- input checks ------------------------------------------------------------
@pytest.mark.parametrize(
    "frame, kwargs, message",
    [
        ({"treatment": ["1", "1", "0", "0"], "y": [1.0, np.nan, 2, 3]}, {}, "stored as text"),
        ({"treatment": [1, 1, 0, 0], "y": ["1.5", None, "2", "3"]}, {}, "stored as text"),
        ({"treatment": [1, 1, 0, 0], "y": [1.0, 2, 3, 4], "seen": ["1", "0", "1", "1"]},
         {"observed": "seen"}, "stored as text"),
        ({"treatment": [1, 1, 0, 0], "y": ["a", None, "b", "c"]}, {}, "must be numeric"),
        ({"treatment": [1, 1, 0, 0], "y": [1.0, np.nan, 2, 3], "seen": [1, 0, 1, 2]},
         {"observed": "seen"}, "0/1"),
        ({"treatment": [1, 1, 0, 0], "y": [1.0, np.nan, 2, 3]}, {"trimming": "whole"}, "trimming"),
        ({"treatment": [1, 1, 0, 0], "y": [1.0, np.nan, np.inf, 3]}, {}, "infinite"),
        ({"treatment": [1, 1, 1, 1], "y": [1.0, np.nan, 2, 3]}, {}, "both arms"),
    ],
)
def test_lee_bounds_more_bad_inputs(frame, kwargs, message):
    with pytest.raises(ValueError, match=message):
        lee_bounds(pd.DataFrame(frame), "y", **kwargs)


@pytest.mark.parametrize(
    "values, p, drop, message",
    [([1.0, 2.0], 1.0, "top", r"\[0, 1\)"), ([1.0, 2.0], -0.1, "top", r"\[0, 1\)"),
     ([1.0, np.nan], 0.1, "top", "missing"), ([], 0.1, "top", "non-empty"),
     ([1.0, 2.0], 0.1, "middle", "drop")],
)
def test_lee_trimming_weights_bad_inputs(values, p, drop, message):
    with pytest.raises(ValueError, match=message):
        lee_trimming_weights(values, p, drop)


def test_lee_bounds_fe_bad_inputs(lee_design):
    roster, units, students = lee_design
    kw = dict(block="site", cluster="unit")
    cases = [
        (units.drop(columns="site"), roster, {}, "missing column"),
        (units, roster.drop(columns="treatment"), {}, "missing column"),
        (units, pd.concat([roster, roster.iloc[:1]]), {}, "repeated"),
        (units, roster.iloc[1:], {}, "not in the roster"),
        (units.assign(treatment=1 - units["treatment"]), roster, {}, "differs from the roster"),
        (units.assign(treatment=units["treatment"].astype(str)), roster, {}, "stored as text"),
        (units.assign(score=units["score"].map(lambda v: None if np.isnan(v) else str(v))),
         roster, {}, "stored as text"),
        (units, roster.assign(treatment=roster["treatment"] * 2), {}, "0/1"),
        (units, roster.assign(site=np.where(roster["treatment"] == 1, "t", "c")), {}, "one arm"),
        (students, roster, {}, "several rows"),
        (units.assign(score=np.where(units["treatment"] == 0, np.nan, units["score"])), roster, {},
         "no unit of the control arm"),
        (units, roster, {"trimming": "whole"}, "trimming"),
    ]
    for data, ros, extra, message in cases:
        with pytest.raises(ValueError, match=message):
            lee_bounds_fe(data, "score", ros, **{**kw, **extra})
