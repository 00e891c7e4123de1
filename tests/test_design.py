"""Tests for coachbook.estimators.randomization (randomization balance test) and .costs (net cost)."""
import numpy as np
import pandas as pd
import pytest

from coachbook.estimators.balance import joint_balance_test
from coachbook.estimators.costs import net_cost
from coachbook.estimators.randomization import randomization_balance_test, randomize_within_blocks


@pytest.fixture(scope="module")
def roster():
    """120 units in 6 blocks of 20, half treated per block, four covariates.

    One covariate is a rare 0/1 indicator (about 8% ones), the situation in
    which the robust F test misbehaves.
    """
    rng = np.random.default_rng(7)
    df = pd.DataFrame({"block": np.repeat(list("ABCDEF"), 20)})
    df["treatment"] = randomize_within_blocks(df, "block", seed=3)
    df["x1"] = rng.normal(size=len(df)) + (df["block"] == "A")
    df["x2"] = rng.normal(size=len(df))
    df["x3"] = rng.integers(0, 2, len(df))
    df["rare"] = (rng.random(len(df)) < 0.08).astype(int)
    return df


COVS = ["x1", "x2", "x3", "rare"]


@pytest.mark.parametrize("cov_type", ["HC1", "nonrobust"])
def test_observed_statistic_equals_the_regression_wald_test(roster, cov_type):
    res = randomization_balance_test(roster, COVS, cov_type=cov_type, n_draws=200, seed=1)
    ref = joint_balance_test(roster, COVS, cov_type=cov_type)
    assert res.statistic == pytest.approx(ref.statistic, rel=1e-9)
    assert res.p_f == pytest.approx(ref.p, rel=1e-9)
    assert (res.df_num, res.df_denom, res.n) == (4, ref.df_denom, len(roster))


def test_null_statistics_match_refitting_each_draw(roster):
    """The vectorized draws give the statistic a regression on that draw would give."""
    res = randomization_balance_test(roster, COVS, n_draws=100, seed=5)
    from coachbook.estimators.randomization import _block_codes, _draw_assignments

    codes, sizes = _block_codes(roster, "block")
    draws = _draw_assignments(codes, sizes, None, np.random.default_rng(5), 100)
    for d in (0, 37, 99):
        redrawn = roster.assign(treatment=draws[d].astype(int))
        assert res.null_statistics[d] == pytest.approx(joint_balance_test(redrawn, COVS).statistic, rel=1e-9)


def test_randomization_p_value_is_valid_and_reproducible(roster):
    a = randomization_balance_test(roster, COVS, n_draws=300, seed=11)
    b = randomization_balance_test(roster, COVS, n_draws=300, seed=11)
    assert a.p_randomization == b.p_randomization
    assert 1 / 301 <= a.p_randomization <= 1
    assert len(a.null_statistics) == 300


def test_randomization_test_flags_a_broken_randomization(roster):
    broken = roster.copy()
    # Treat the units with the highest x2 in each block: assignment depends on x2.
    broken["treatment"] = (broken.groupby("block")["x2"].rank(ascending=False) <= 10).astype(int)
    res = randomization_balance_test(broken, COVS, n_draws=500, seed=2)
    assert res.p_randomization < 0.01


def test_draws_tied_with_the_observed_statistic_count_as_at_least_as_extreme():
    """Ties are judged to a relative 1e-9, not by the sign of a rounding error."""
    from coachbook.estimators.randomization import _randomization_p

    w = 2.5
    # mathematically equal draws that came out a few ulps below or above the observed value
    null = np.array([w * (1 - 4e-16), w, w * (1 + 4e-16), 0.5 * w, 3 * w])
    assert _randomization_p(null, w) == pytest.approx(5 / 6)
    assert _randomization_p(np.array([w * (1 - 1e-6)]), w) == pytest.approx(1 / 2)


def test_randomization_p_counts_whole_groups_of_tied_assignments():
    """Units with identical covariates in small blocks: many draws give mathematically the
    same statistic as the observed assignment (computed in other rows, they may differ
    from it in the last bits); every one of them is counted."""
    rng = np.random.default_rng(2)
    blocks = 5
    df = pd.DataFrame({"block": np.repeat([f"b{i}" for i in range(blocks)], 4)})
    df["treatment"] = randomize_within_blocks(df, "block", seed=4)
    profiles = rng.normal(size=(blocks, 2, 2))      # two covariate profiles per block, 2 units each
    which = np.tile([0, 0, 1, 1], blocks)
    df["x1"] = profiles[np.repeat(np.arange(blocks), 4), which, 0]
    df["x2"] = profiles[np.repeat(np.arange(blocks), 4), which, 1]
    res = randomization_balance_test(df, ["x1", "x2"], n_draws=2000, seed=9)
    rel = (res.null_statistics - res.statistic) / res.statistic
    tied = np.abs(rel) < 1e-9
    assert tied.sum() > 50
    assert np.all(np.abs(rel[tied]) < 1e-13)             # ties to rounding ...
    assert np.all(np.abs(rel[~tied]) > 1e-6)             # ... and clearly separated otherwise
    want = (1 + tied.sum() + np.sum(rel[~tied] > 0)) / 2001
    assert res.p_randomization == pytest.approx(want, abs=1e-15)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"covariates": []}, "at least one covariate"),
        ({"covariates": ["nope"]}, "missing column"),
        ({"cov_type": "HC3"}, "cov_type"),
        ({"n_draws": 10}, "n_draws"),
        ({"n_draws": 500.5}, "n_draws"),
    ],
)
def test_rejects_bad_inputs(roster, kwargs, message):
    args = {"data": roster, "covariates": COVS, **kwargs}
    with pytest.raises(ValueError, match=message):
        randomization_balance_test(**args)


def test_rejects_missing_values_and_collinear_covariates(roster):
    holes = roster.copy()
    holes.loc[3, "x1"] = np.nan
    with pytest.raises(ValueError, match="missing values"):
        randomization_balance_test(holes, COVS)
    twins = roster.assign(x4=2 * roster["x1"])
    with pytest.raises(ValueError, match="collinear"):
        randomization_balance_test(twins, COVS + ["x4"])
    coded = roster.assign(treatment=np.where(roster["treatment"] == 1, "T", "C"))
    with pytest.raises(ValueError, match="0/1"):
        randomization_balance_test(coded, COVS)


# --------------------------------------------------------------------------
# Net cost
# --------------------------------------------------------------------------
def test_net_cost_arithmetic():
    res = net_cost(3500, 72, 15000, retention_effect=0.106)
    assert res.gross_cost == 252000
    assert res.teachers_retained == pytest.approx(7.632)
    assert res.savings == pytest.approx(114480)
    assert res.net_cost == pytest.approx(137520)
    assert res.net_cost_per_teacher == pytest.approx(1910)
    assert res.share_offset == pytest.approx(114480 / 252000)
    assert res.break_even_replacement_cost == pytest.approx(3500 / 0.106)


def test_net_cost_reproduces_the_papers_shares():
    """Kraft & Hill (2019): about 7 hires avoided at $10k-20k each offset 30-60% of $233,000."""
    for replacement, share in [(10000, 0.30), (20000, 0.60)]:
        res = net_cost(233000 / 66.5714, 66.5714, replacement, teachers_retained=7)
        assert res.savings == pytest.approx(7 * replacement)
        assert round(res.share_offset, 2) == share


def test_net_cost_edge_cases():
    none_kept = net_cost(3500, 72, 20000, retention_effect=0)
    assert none_kept.net_cost == none_kept.gross_cost
    assert none_kept.break_even_replacement_cost == float("inf")
    worse = net_cost(3500, 72, 20000, retention_effect=-0.05)
    assert worse.net_cost > worse.gross_cost
    free = net_cost(3500, 72, 0, teachers_retained=7)
    assert free.share_offset == 0
    pays = net_cost(3500, 72, 40000, retention_effect=0.177)
    assert pays.net_cost < 0


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        ((0, 72, 10000), {"retention_effect": 0.1}, "cost_per_teacher must be positive"),
        ((3500, -5, 10000), {"retention_effect": 0.1}, "n_teachers must be positive"),
        ((3500, 72, -1), {"retention_effect": 0.1}, "replacement_cost must be zero or positive"),
        ((3500, 72, float("nan")), {"retention_effect": 0.1}, "finite"),
        (("a lot", 72, 10000), {"retention_effect": 0.1}, "must be a number"),
        ((3500, 72, 10000), {}, "exactly one"),
        ((3500, 72, 10000), {"retention_effect": 0.1, "teachers_retained": 7}, "exactly one"),
        ((3500, 72, 10000), {"retention_effect": 10.6}, r"\[-1, 1\]"),
        ((3500, 72, 10000), {"retention_effect": "high"}, "must be a number"),
        ((3500, 72, 10000), {"teachers_retained": 80}, "between 0 and n_teachers"),
        ((3500, 72, 10000), {"teachers_retained": -1}, "between 0 and n_teachers"),
    ],
)
def test_net_cost_rejects_bad_inputs(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        net_cost(*args, **kwargs)
