"""Tests for coachbook.estimators.rct: ITT estimation, balance checks and randomization."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from coachbook.estimators.balance import balance_table, joint_balance_test
from coachbook.estimators.randomization import randomize_within_blocks, rerandomization_distribution
from coachbook.estimators.rct import itt

TRUE_EFFECT = 0.5


@pytest.fixture(scope="module")
def trial():
    """142 teachers in blocks of 4-7, half treated per block, known effect 0.5.

    Outcome noise is heteroskedastic (larger among treated) so that robust
    and classical standard errors differ and the HC1 comparison is meaningful.
    """
    rng = np.random.default_rng(2020)
    sizes = [4, 5, 6] * 9 + [7]  # 28 blocks, 142 teachers
    block = np.repeat(np.arange(len(sizes)), sizes)
    df = pd.DataFrame({"block": block})
    df["treatment"] = randomize_within_blocks(df, "block", seed=1)
    df["school"] = rng.integers(0, 40, len(df))
    df["mkt"] = rng.normal(size=len(df))
    df["female"] = rng.integers(0, 2, len(df))
    block_effect = rng.normal(scale=0.7, size=block.max() + 1)[df["block"]]
    noise = rng.normal(scale=np.where(df["treatment"] == 1, 0.8, 0.5))
    df["y"] = TRUE_EFFECT * df["treatment"] + 0.4 * df["mkt"] + block_effect + noise
    return df


def test_itt_recovers_known_effect(trial):
    # With a fixed seed this is deterministic; the 95% interval covers the
    # truth in ~95% of seeds (checked by simulation while writing the test).
    res = itt(trial, "y", controls=["mkt", "female"])
    assert abs(res.estimate - TRUE_EFFECT) < 2 * res.se
    assert res.ci_low < TRUE_EFFECT < res.ci_high
    assert res.n == len(trial)


@pytest.mark.parametrize("cov_type", ["HC1", "HC3", "nonrobust"])
def test_itt_equals_statsmodels(trial, cov_type):
    res = itt(trial, "y", controls=["mkt", "female"], cov_type=cov_type)
    ref = smf.ols("y ~ treatment + mkt + female + C(block)", trial).fit(
        cov_type=cov_type, use_t=True
    )
    assert res.estimate == pytest.approx(ref.params["treatment"], abs=1e-10)
    assert res.se == pytest.approx(ref.bse["treatment"], abs=1e-10)
    assert res.p == pytest.approx(ref.pvalues["treatment"], abs=1e-10)
    assert res.df_resid == ref.df_resid


def test_itt_hc1_is_stata_robust_scaling(trial):
    """HC1 = HC0 * n / (n - k), the small-sample scaling of Stata's `, robust`."""
    hc0 = smf.ols("y ~ treatment + C(block)", trial).fit(cov_type="HC0")
    n, k = hc0.nobs, hc0.df_model + 1
    res = itt(trial, "y")
    assert res.se == pytest.approx(hc0.bse["treatment"] * np.sqrt(n / (n - k)), rel=1e-12)


def test_itt_cluster_robust(trial):
    res = itt(trial, "y", cluster="school")
    ref = smf.ols("y ~ treatment + C(block)", trial).fit(
        cov_type="cluster", cov_kwds={"groups": trial["school"]}, use_t=True
    )
    assert res.se == pytest.approx(ref.bse["treatment"], abs=1e-10)
    assert res.df_resid == trial["school"].nunique() - 1
    assert res.cov_type == "cluster"


def test_itt_drops_missing_outcomes_and_reports_n(trial):
    df = trial.copy()
    df.loc[df.index[:10], "y"] = np.nan
    res = itt(df, "y")
    assert res.n == len(df) - 10
    control = df.loc[(df.treatment == 0) & df.y.notna(), "y"]
    assert res.control_mean == pytest.approx(control.mean())
    assert res.effect_size == pytest.approx(res.estimate / control.std(ddof=1))


def test_itt_row_helpers(trial):
    res = itt(trial, "y")
    row = res.as_row()
    assert row.name == "y" and row["estimate"] == round(res.estimate, 3) and row["n"] == 142
    assert res.to_frame().shape == (1, len(row))


def test_balance_table_flags_planted_imbalance(trial):
    df = trial.copy()
    rng = np.random.default_rng(7)
    df["imbalanced"] = rng.normal(size=len(df)) + 1.0 * df["treatment"]
    df.loc[df.index[:5], "mkt"] = np.nan  # available cases per row
    table = balance_table(df, ["mkt", "female", "imbalanced"], "treatment", "block")
    assert table.loc["imbalanced", "p"] < 0.01
    assert table.loc["mkt", "p"] > 0.05 and table.loc["female", "p"] > 0.05
    assert table.loc["mkt", "n"] == len(df) - 5
    ref = smf.ols("imbalanced ~ treatment + C(block)", df).fit(cov_type="HC1")
    assert table.loc["imbalanced", "difference"] == pytest.approx(ref.params["treatment"])
    assert table.loc["imbalanced", "se"] == pytest.approx(ref.bse["treatment"])


def test_joint_balance_test(trial):
    df = trial.copy()
    balanced = joint_balance_test(df, ["mkt", "female"], "treatment", "block")
    assert balanced.df_num == 2 and balanced.p > 0.05
    df["imbalanced"] = np.random.default_rng(7).normal(size=len(df)) + 1.0 * df["treatment"]
    flagged = joint_balance_test(df, ["mkt", "female", "imbalanced"], "treatment", "block")
    assert flagged.p < 0.01
    df.loc[df.index[:6], "mkt"] = np.nan
    assert joint_balance_test(df, ["mkt", "female"]).n == len(df) - 6
    with_flags = joint_balance_test(df, ["mkt", "female"], missing="indicator")
    assert with_flags.n == len(df) and with_flags.df_num == 3


def test_randomization_reproducible_and_balanced_within_blocks(trial):
    a = randomize_within_blocks(trial, "block", seed=42)
    b = randomize_within_blocks(trial, "block", seed=42)
    c = randomize_within_blocks(trial, "block", seed=43)
    pd.testing.assert_series_equal(a, b)
    assert not a.equals(c)
    treated = a.groupby(trial["block"]).sum()
    sizes = trial["block"].value_counts().sort_index()
    assert ((treated == sizes // 2) | (treated == sizes - sizes // 2)).all()
    fixed = randomize_within_blocks(trial, "block", n_treated=2, seed=1)
    assert (fixed.groupby(trial["block"]).sum() == 2).all()


def test_odd_blocks_treat_each_unit_with_probability_half():
    df = pd.DataFrame({"block": [0, 0, 0]})
    draws = np.array([randomize_within_blocks(df, "block", seed=s).to_numpy() for s in range(400)])
    assert np.allclose(draws.mean(axis=0), 0.5, atol=0.1)


def test_rerandomization_distribution_is_centred(trial):
    draws = rerandomization_distribution(trial, "mkt", "block", n_draws=2000, seed=3)
    assert draws.shape == (2000,)
    assert abs(draws.mean()) < 0.02
    # A draw's value equals the block-FE regression coefficient / SD.
    one = rerandomization_distribution(trial, "mkt", "block", n_draws=1, seed=11)[0]
    t = randomize_within_blocks(trial, "block", seed=11)
    fit = smf.ols("mkt ~ t + C(block)", trial.assign(t=t)).fit()
    assert one == pytest.approx(fit.params["t"] / trial["mkt"].std(), abs=1e-10)


# ---- bad inputs -------------------------------------------------------------
@pytest.mark.parametrize(
    "change, kwargs, message",
    [
        (lambda d: d.iloc[:0], {}, "empty"),
        (lambda d: d, {"outcome": "nope"}, "missing column"),
        (lambda d: d.assign(treatment=d.treatment * 2), {}, "0/1"),
        (lambda d: d.assign(treatment=np.where(d.block == 0, 1, d.treatment)), {}, "only one arm"),
        (lambda d: d.assign(y=np.nan), {}, "missing for every unit"),
        (lambda d: d, {"cov_type": "HC9"}, "cov_type"),
    ],
)
def test_itt_bad_inputs(trial, change, kwargs, message):
    args = {"outcome": "y", **kwargs}
    with pytest.raises(ValueError, match=message):
        itt(change(trial), **args)


def test_balance_and_randomization_bad_inputs(trial):
    with pytest.raises(ValueError, match="missing column"):
        balance_table(trial, ["absent"], "treatment", "block")
    with pytest.raises(ValueError, match="collinear"):
        joint_balance_test(trial.assign(b2=trial.block % 2), ["b2"])
    with pytest.raises(ValueError, match="at least one unit in each arm"):
        randomize_within_blocks(trial, "block", n_treated=0, seed=1)
    with pytest.raises(ValueError, match="single unit"):
        randomize_within_blocks(pd.DataFrame({"block": [0, 0, 1]}), "block", seed=1)
    with pytest.raises(ValueError, match="missing values"):
        rerandomization_distribution(trial.assign(mkt=np.nan), "mkt", "block", 10, seed=1)
