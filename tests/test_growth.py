"""Tests of coachbook.estimators.growth: time codings, centering, and variance-component tests.

The chi-square tests are checked against Raudenbush, S. W., & Bryk, A. S.
(2002). *Hierarchical Linear Models* (2nd ed.), Table 4.2 (one-way ANOVA,
chi2 = 1660.23, df = 159) and Table 4.3 (means as outcomes with MEANSES,
chi2 = 633.52, df = 158), on the High School and Beyond data (R package nlme's
``MathAchieve``/``MathAchSchool``, copied into ``tests/reference_data/hsb_*.csv``).
"""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from coachbook.estimators.effect_sizes import pooled_within_sd
from coachbook.estimators.growth import (check_growth_data, code_time_linear, code_time_piecewise,
                                         code_time_polynomial, fixed_trajectory, person_mean_center)
from coachbook.estimators.hlm_tests import hlm3_variance_chisq, hlm_variance_chisq
from coachbook.estimators.likelihood_ratio import deviance_test, lr_test_variance_component
from coachbook.estimators.mixed import fit_mixed

DATA = Path(__file__).parent / "reference_data"


@pytest.fixture(scope="module")
def hsb() -> pd.DataFrame:
    students = pd.read_csv(DATA / "hsb_students.csv")
    schools = pd.read_csv(DATA / "hsb_schools.csv")
    df = students.merge(schools, on="School", validate="many_to_one")
    return df.join(person_mean_center(df, "SES", "School"))


@pytest.fixture(scope="module")
def slopes_fit(hsb):
    """Random intercept and random slope of group-centred SES (R&B 2002, Table 4.4 model)."""
    return fit_mixed("MathAch ~ SES_within", hsb, "School", re_formula="~ SES_within")


# ---------------------------------------------------------------- HLM chi-square
def test_chisq_one_way_anova_table_4_2(hsb):
    out = hlm_variance_chisq(hsb, "MathAch", "School").loc["Intercept"]
    assert round(out["chi2"], 2) == 1660.23
    assert out["df"] == 159 and out["n_units"] == 160
    assert out["p"] < 1e-100


def test_chisq_means_as_outcomes_table_4_3(hsb):
    out = hlm_variance_chisq(hsb, "MathAch", "School", level2_predictors=["MEANSES"]).loc["Intercept"]
    assert round(out["chi2"], 2) == 633.52
    assert out["df"] == 158


def test_chisq_slope_matches_per_unit_ols(hsb, slopes_fit):
    """Random slope of group-centred SES: recompute eq. 3.103 from statsmodels OLS in each school."""
    fit = slopes_fit
    out = hlm_variance_chisq(hsb, "MathAch", "School", level1_predictors=["SES_within"], fit=fit)
    gamma, sigma2 = fit.fe_params, fit.scale  # the polished estimates
    chi2 = {"Intercept": 0.0, "SES_within": 0.0}
    for _, school in hsb.groupby("School"):
        ols = smf.ols("MathAch ~ SES_within", school).fit()
        for name in chi2:
            v = sigma2 * ols.normalized_cov_params.loc[name, name]
            chi2[name] += (ols.params[name] - gamma[name]) ** 2 / v
    assert out.loc["Intercept", "chi2"] == pytest.approx(chi2["Intercept"], rel=1e-10)
    assert out.loc["SES_within", "chi2"] == pytest.approx(chi2["SES_within"], rel=1e-10)
    assert list(out["df"]) == [159, 159]
    # slopes vary, but far less than intercepts (R&B 2002 report p of about .003 for the slope)
    assert 0.0001 < out.loc["SES_within", "p"] < 0.05


def test_chisq_cross_level_interactions_count_as_level2_predictors(hsb):
    hsb = hsb.assign(catholic=(hsb["Sector"] == "Catholic").astype(int))
    fit = fit_mixed("MathAch ~ SES_within * (MEANSES + catholic)", hsb, "School",
                    re_formula="~ SES_within")
    out = hlm_variance_chisq(hsb, "MathAch", "School", ["SES_within"], ["MEANSES", "catholic"], fit=fit)
    assert list(out["df"]) == [157, 157]
    assert out.loc["SES_within", "p"] > 0.05  # slope variance explained by the level-2 model


def _simulated_slopes(tau11, seed, units=150, n=12):
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(units), n)
    t = np.tile(np.arange(n, dtype=float), units) - (n - 1) / 2
    y = (rng.normal(0, 1, units)[g] + (0.5 + rng.normal(0, np.sqrt(tau11), units)[g]) * t
         + rng.normal(size=g.size))
    return pd.DataFrame({"y": y, "t": t, "g": g})


def test_chisq_slope_null_and_alternative():
    """No slope variance: chi2 near its df. Slope variance 0.05 (reliability ~.9): p tiny."""
    null = _simulated_slopes(0.0, seed=4)
    fit = fit_mixed("y ~ t", null, "g")
    out = hlm_variance_chisq(null, "y", "g", ["t"], fit=fit).loc["t"]
    assert abs(out["chi2"] - out["df"]) < 4 * np.sqrt(2 * out["df"])
    alt = _simulated_slopes(0.05, seed=4)
    out = hlm_variance_chisq(alt, "y", "g", ["t"], fit=fit_mixed("y ~ t", alt, "g")).loc["t"]
    assert out["p"] < 1e-10


def test_chisq_skips_units_without_enough_data(hsb):
    small = hsb.groupby("School").head(2)  # 2 students: enough for a mean, not for a slope
    out = hlm_variance_chisq(small, "MathAch", "School", random_slopes=False)
    assert out.loc["Intercept", "n_units"] == 160
    with pytest.raises(ValueError, match="more cases than level-1"):
        hlm_variance_chisq(small, "MathAch", "School", ["SES_within"], random_slopes=False)


def test_chisq_bad_inputs(hsb):
    with pytest.raises(ValueError, match="vary within"):
        hlm_variance_chisq(hsb, "MathAch", "School", level2_predictors=["SES"])
    with pytest.raises(ValueError, match="missing column"):
        hlm_variance_chisq(hsb, "MathAch", "school")
    with pytest.raises(ValueError, match="no fixed effect"):
        hlm_variance_chisq(hsb, "MathAch", "School", level2_predictors=["MEANSES"],
                           fit=fit_mixed("MathAch ~ 1", hsb, "School"))


# ---------------------------------------------------------------- likelihood-ratio tests
@pytest.fixture(scope="module")
def ml_fits(hsb):
    return {
        "ses": fit_mixed("MathAch ~ SES_within", hsb, "School", reml=False),
        "ses_means": fit_mixed("MathAch ~ SES_within + MEANSES", hsb, "School", reml=False),
    }


def test_lr_random_intercept_halves_the_p_value(hsb):
    full = fit_mixed("MathAch ~ 1", hsb, "School", reml=False)
    ols = smf.ols("MathAch ~ 1", hsb).fit()
    test = lr_test_variance_component(full, ols)
    assert test.statistic == pytest.approx(2 * (full.llf - ols.llf))
    assert test.df == 1 and test.criterion == "ML"
    assert test.p == pytest.approx(test.p_naive / 2)
    with pytest.raises(ValueError, match="REML"):
        lr_test_variance_component(fit_mixed("MathAch ~ 1", hsb, "School"), ols)


def test_lr_random_slope_uses_the_chi2_mixture(hsb, slopes_fit):
    reduced, full = fit_mixed("MathAch ~ SES_within", hsb, "School"), slopes_fit
    test = lr_test_variance_component(full, reduced)
    assert test.df == 2 and test.criterion == "REML"
    lr = 2 * (full.llf - reduced.llf)
    assert test.p == pytest.approx(0.5 * stats.chi2.sf(lr, 1) + 0.5 * stats.chi2.sf(lr, 2))
    assert test.p < test.p_naive
    with pytest.raises(ValueError, match="adds -1 random effects"):
        lr_test_variance_component(reduced, full)
    from coachbook.estimators.likelihood_ratio import _info, _lr  # a worse "full" model means trouble
    with pytest.raises(ValueError, match="below the reduced"):
        _lr(_info(reduced), _info(full))


def test_lr_variance_refuses_different_fixed_effects(ml_fits):
    with pytest.raises(ValueError, match="same fixed effects"):
        lr_test_variance_component(ml_fits["ses_means"], ml_fits["ses"])


def test_deviance_test_for_fixed_effects(ml_fits):
    test = deviance_test(ml_fits["ses_means"], ml_fits["ses"])
    assert test.df == 1
    assert test.statistic == pytest.approx(test.deviance_reduced - test.deviance_full)
    assert test.p == pytest.approx(stats.chi2.sf(test.statistic, 1))
    with pytest.raises(ValueError, match="larger model"):
        deviance_test(ml_fits["ses"], ml_fits["ses_means"])


def test_deviance_test_refuses_reml(hsb, ml_fits):
    reml = fit_mixed("MathAch ~ SES_within + MEANSES", hsb, "School")
    with pytest.raises(ValueError, match="need ML fits.*REML"):
        deviance_test(reml, ml_fits["ses"])


# ---------------------------------------------------------------- time codings
def test_code_time_linear():
    t = code_time_linear(["fall_y1", "spring_y1", "fall_y2"],
                         {"fall_y1": 0.0, "spring_y1": 0.6, "fall_y2": 1.0})
    assert t.tolist() == [0.0, 0.6, 1.0] and t.name == "time"
    assert code_time_linear([1, 2, 3], 0.5, origin=0.5).tolist() == [0.0, 0.5, 1.0]
    with pytest.raises(ValueError, match="not in cycle_to_years"):
        code_time_linear(["fall_y1", "winter"], {"fall_y1": 0.0})
    with pytest.raises(ValueError, match="mapping"):
        code_time_linear(["a", "b"], 0.5)


def test_code_time_piecewise_codings_fit_identically():
    t = np.arange(6.0)
    inc = code_time_piecewise(t, 2)
    assert inc["base"].tolist() == t.tolist()
    assert inc["increment"].tolist() == [0, 0, 0, 1, 2, 3]
    two = code_time_piecewise(t, 2, coding="two_rates")
    assert two["rate1"].tolist() == [0, 1, 2, 2, 2, 2]
    y = np.array([1.0, 2.1, 2.9, 5.2, 6.8, 9.1])
    fa = smf.ols("y ~ base + increment", inc.assign(y=y)).fit()
    fb = smf.ols("y ~ rate1 + rate2", two.assign(y=y)).fit()
    np.testing.assert_allclose(fa.fittedvalues, fb.fittedvalues)
    assert fa.params["base"] + fa.params["increment"] == pytest.approx(fb.params["rate2"])
    with pytest.raises(ValueError, match="coding"):
        code_time_piecewise(t, 2, coding="spline")


def test_code_time_polynomial():
    out = code_time_polynomial([0, 1, 2, 3, 4], degree=3)
    assert list(out.columns) == ["time", "time2", "time3"]
    assert out["time"].tolist() == [-2, -1, 0, 1, 2] and out["time2"].tolist() == [4, 1, 0, 1, 4]
    assert code_time_polynomial([1, 2], 1, center="first")["time"].tolist() == [0, 1]
    assert code_time_polynomial([1, 2], 2, center=1.5)["time2"].tolist() == [0.25, 0.25]
    with pytest.raises(ValueError, match="positive integer"):
        code_time_polynomial([1, 2], 0)
    with pytest.raises(ValueError, match="center"):
        code_time_polynomial([1, 2], 2, center="median")


def test_person_mean_center(hsb):
    parts = person_mean_center(hsb, "SES", "School")
    np.testing.assert_allclose(parts.sum(axis=1), hsb["SES"])
    assert parts.groupby(hsb["School"])["SES_within"].mean().abs().max() < 1e-12
    with pytest.raises(ValueError, match="missing column"):
        person_mean_center(hsb, "ses", "School")


def test_check_growth_data():
    good = pd.DataFrame({"id": [1, 1, 2, 2], "time": [0, 1, 0, 1]})
    check_growth_data(good, "id", "time")
    with pytest.raises(ValueError, match="single time point"):
        check_growth_data(pd.concat([good, pd.DataFrame({"id": [3], "time": [0]})]), "id", "time")
    with pytest.raises(ValueError, match="more than one row"):
        check_growth_data(pd.concat([good, good.head(1)]), "id", "time")
    with pytest.raises(ValueError, match="missing values"):
        check_growth_data(good.assign(time=[0, None, 0, 1]), "id", "time")


# ---------------------------------------------------------------- which units count (min_cases)
def test_chisq_min_cases_at_least_uses_exactly_identified_units(hsb):
    """HLM uses every unit whose OLS estimate exists (n_j >= Q), e.g. two students for a slope."""
    small = hsb.groupby("School").head(2)
    fit = fit_mixed("MathAch ~ SES_within", small, "School", methods=["bfgs", "lbfgs"])
    out = hlm_variance_chisq(small, "MathAch", "School", ["SES_within"], fit=fit, min_cases="at_least")
    usable = small.groupby("School")["SES_within"].nunique().eq(2).sum()  # X'X invertible
    assert out.loc["SES_within", "n_units"] == usable and out.loc["SES_within", "df"] == usable - 1
    # with n_j = Q each unit is fitted exactly: bhat_j solves the two equations
    gamma, sigma2 = fit.fe_params, fit.scale  # the polished estimates
    chi2 = 0.0
    for _, school in small.groupby("School"):
        if school["SES_within"].nunique() < 2:
            continue
        x = np.column_stack([np.ones(2), school["SES_within"]])
        b = np.linalg.solve(x, school["MathAch"].to_numpy())
        chi2 += (b[1] - gamma["SES_within"]) ** 2 / (sigma2 * np.linalg.inv(x.T @ x)[1, 1])
    assert out.loc["SES_within", "chi2"] == pytest.approx(chi2, rel=1e-10)
    with pytest.raises(ValueError, match="min_cases"):
        hlm_variance_chisq(small, "MathAch", "School", min_cases="some")


def test_chisq_min_cases_is_irrelevant_when_units_are_large(hsb):
    more = hlm_variance_chisq(hsb, "MathAch", "School")
    at_least = hlm_variance_chisq(hsb, "MathAch", "School", min_cases="at_least")
    pd.testing.assert_frame_equal(more, at_least)


def test_chisq_min_cases_growth_design():
    """Two occasions identify a line: 'at_least' keeps such persons, 'more' drops them."""
    rng = np.random.default_rng(1)
    n_occ = np.r_[np.full(30, 2), np.full(30, 4), np.full(5, 1)]
    rows = [(i, t) for i, n in enumerate(n_occ) for t in range(n)]
    df = pd.DataFrame(rows, columns=["id", "t"]).astype(float)
    df["y"] = 1 + 0.5 * df["t"] + rng.normal(0, 0.5, 65)[df["id"].astype(int)] + rng.normal(size=len(df))
    fit = fit_mixed("y ~ t", df, "id", methods=["bfgs", "lbfgs"])
    assert hlm_variance_chisq(df, "y", "id", ["t"], fit=fit, min_cases="at_least")["df"].tolist() == [59, 59]
    assert hlm_variance_chisq(df, "y", "id", ["t"], fit=fit)["df"].tolist() == [29, 29]


# ---------------------------------------------------------------- three-level chi-square
def _three_level(tau_pair, tau_cluster, seed, clusters=40, pairs=3, occasions=4):
    rng = np.random.default_rng(seed)
    k = np.repeat(np.arange(clusters), pairs * occasions)
    j = np.repeat(np.arange(clusters * pairs), occasions)
    t = np.tile(np.arange(occasions, dtype=float), clusters * pairs)
    slope = (0.3 + rng.normal(0, np.sqrt(tau_cluster), clusters)[k]
             + rng.normal(0, np.sqrt(tau_pair), clusters * pairs)[j])
    y = 2 + rng.normal(0, 0.5, clusters * pairs)[j] + slope * t + rng.normal(0, 0.5, len(t))
    return pd.DataFrame({"y": y, "t": t, "pair": j, "cluster": k})


def _fit3(df):
    vc = {"pair": "0 + C(pair)", "pair_t": "0 + C(pair):t"}
    return fit_mixed("y ~ t", df, "cluster", re_formula="~ t", vc_formula=vc, methods=["lbfgs"])


def test_hlm3_chisq_formula_and_df():
    df = _three_level(0.0, 0.0, seed=3)
    df = df[~((df["pair"] == 0) & (df["t"] > 0))]          # pair 0: one occasion, unusable
    df = df[~df["pair"].isin([3, 4, 5])]                    # cluster 1 has no pairs left
    fit = _fit3(df)
    out = hlm3_variance_chisq(df, "y", "pair", "cluster", ["t"], fit=fit)
    n_pairs, n_clusters = df["pair"].nunique() - 1, df["cluster"].nunique()
    assert out.loc[("level 2", "t"), "df"] == n_pairs - n_clusters
    assert out.loc[("level 3", "t"), "df"] == n_clusters - 1
    # by hand, for the slope
    gamma, sigma2 = fit.fe_params, fit.scale  # the polished estimates
    per = []
    for (kk, jj), unit in df.groupby(["cluster", "pair"]):
        if len(unit) < 2:
            continue
        ols = smf.ols("y ~ t", unit).fit()
        per.append((kk, ols.params["t"], sigma2 * ols.normalized_cov_params.loc["t", "t"]))
    per = pd.DataFrame(per, columns=["k", "b", "v"])
    per["w"] = 1 / per["v"]
    bbar = (per["w"] * per["b"]).groupby(per["k"]).sum() / per["w"].groupby(per["k"]).sum()
    chi2_2 = ((per["b"] - per["k"].map(bbar)) ** 2 * per["w"]).sum()
    chi2_3 = (((bbar - gamma["t"]) ** 2) * per["w"].groupby(per["k"]).sum()).sum()  # tau_pi = 0
    assert out.loc[("level 2", "t"), "chi2"] == pytest.approx(chi2_2, rel=1e-10)
    assert out.loc[("level 3", "t"), "chi2"] == pytest.approx(chi2_3, rel=1e-10)
    # a level-2 variance lowers the weights, hence the level-3 chi-square
    weighted = hlm3_variance_chisq(df, "y", "pair", "cluster", ["t"], fit=fit, level2_variances={"t": 0.05})
    assert weighted.loc[("level 3", "t"), "chi2"] < chi2_3
    assert weighted.loc[("level 2", "t"), "chi2"] == pytest.approx(chi2_2)


def test_hlm3_chisq_null_and_alternatives():
    null = _three_level(0.0, 0.0, seed=5)
    out = hlm3_variance_chisq(null, "y", "pair", "cluster", ["t"], fit=_fit3(null))
    for level in ("level 2", "level 3"):
        row = out.loc[(level, "t")]
        assert abs(row["chi2"] - row["df"]) < 4 * np.sqrt(2 * row["df"]), level
    pair_var = _three_level(0.1, 0.0, seed=5)
    out = hlm3_variance_chisq(pair_var, "y", "pair", "cluster", ["t"], fit=_fit3(pair_var))
    assert out.loc[("level 2", "t"), "p"] < 1e-6
    cluster_var = _three_level(0.0, 0.1, seed=5)
    out = hlm3_variance_chisq(cluster_var, "y", "pair", "cluster", ["t"], fit=_fit3(cluster_var))
    assert out.loc[("level 3", "t"), "p"] < 1e-6 and out.loc[("level 2", "t"), "p"] > 0.01


def test_hlm3_chisq_bad_inputs():
    df = _three_level(0.0, 0.0, seed=6, clusters=6)
    fit = _fit3(df)
    with pytest.raises(ValueError, match="pass the fitted"):
        hlm3_variance_chisq(df, "y", "pair", "cluster", ["t"])
    with pytest.raises(ValueError, match="more than one"):
        hlm3_variance_chisq(df.assign(cluster=np.arange(len(df)) % 6), "y", "pair", "cluster", ["t"], fit=fit)
    with pytest.raises(ValueError, match="no fixed effect"):
        hlm3_variance_chisq(df.assign(u=df["t"]), "y", "pair", "cluster", ["u"], fit=fit)
    with pytest.raises(ValueError, match=">= 0"):
        hlm3_variance_chisq(df, "y", "pair", "cluster", ["t"], fit=fit, level2_variances={"t": -1})


# ---------------------------------------------------------------- trajectories and pooled SD
def test_fixed_trajectory_matches_model_predictions():
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"id": np.repeat(np.arange(40), 5), "t": np.tile(np.arange(5.0) / 2, 40),
                       "x": rng.integers(0, 2, 200).astype(float)})
    df["t2"] = df["t"] ** 2
    df["y"] = 1 + df["t"] - 0.2 * df["t2"] + 0.5 * df["x"] + rng.normal(size=200)
    fit = fit_mixed("y ~ (t + t2) * x", df, "id", methods=["bfgs", "lbfgs"])
    traj = fixed_trajectory(fit, [0.0, 1.0, 2.0], {"t": 1, "t2": 2}, at={"x": 0.4})
    grid = pd.DataFrame({"t": [0.0, 1.0, 2.0], "x": 0.4})
    grid["t2"] = grid["t"] ** 2
    design = smf.ols("y ~ (t + t2) * x", grid.assign(y=0.0)).exog  # same columns as the model
    np.testing.assert_allclose(traj.to_numpy(), design @ fit.fe_params.to_numpy(), rtol=1e-10)
    assert list(fit.fe_params.index) == fit.exog_names == list(fit.result.model.exog_names)
    piece = fixed_trajectory(fit.fe_params, [2.0], {"t": lambda t: t, "t2": lambda t: t * t})
    fe = fit.fe_params
    assert piece.iloc[0] == pytest.approx(fe["Intercept"] + 2 * fe["t"] + 4 * fe["t2"], rel=1e-12)
    with pytest.raises(ValueError, match="not in the model"):
        fixed_trajectory(fit, [0.0], {"t3": 3})


def test_pooled_within_sd():
    df = pd.DataFrame({"g": [1, 1, 1, 2, 2, 3], "v": [1.0, 2.0, 3.0, 10.0, 14.0, 99.0]})
    # group 1: var 1 (2 df); group 2: var 8 (1 df); group 3 has one value
    assert pooled_within_sd(df, "v", "g") == pytest.approx(np.sqrt((2 * 1 + 1 * 8) / 3))
    with pytest.raises(ValueError, match="two or more"):
        pooled_within_sd(df[df["g"] == 3], "v", "g")


# ---------------------------------------------------------------- polished estimates everywhere
def test_growth_tools_read_the_polished_estimates():
    """Where statsmodels' optimizer stopped short, every tool uses the polished maximum instead."""
    from coachbook.book import data
    from coachbook.estimators.likelihood_ratio import _info

    pcs = data.load("tn/preconferences")
    fit = fit_mixed("composite ~ time", pcs, "coach_id", re_formula="~ time",
                    vc_formula={"pair": "0 + C(teacher_id)", "pair_time": "0 + C(teacher_id):time"},
                    methods=["lbfgs"])
    assert fit.llf > fit.result.llf + 1e-3  # lbfgs alone stops well short
    info = _info(fit)
    assert info["llf"] == fit.llf and info["reml"] and info["nobs"] == len(pcs)
    assert info["fe"] == ["Intercept", "time"] and info["k_effects"] == 4 and info["k_cov"] == 6
    out = hlm3_variance_chisq(pcs, "composite", "teacher_id", "coach_id", ["time"], fit=fit)
    again = hlm3_variance_chisq(pcs, "composite", "teacher_id", "coach_id", ["time"], fit=fit.result)
    assert out.loc[("level 3", "time"), "chi2"] != pytest.approx(again.loc[("level 3", "time"), "chi2"],
                                                                rel=1e-9)
    path = fixed_trajectory(fit, [0.0, 1.0], {"time": 1})
    assert path.iloc[1] - path.iloc[0] == pytest.approx(fit.fe_params["time"], rel=1e-12)
    # statsmodels OLS results still work as reduced models
    ols = smf.ols("composite ~ time", pcs).fit()
    assert _info(ols)["llf"] == ols.llf and not _info(ols)["reml"]
