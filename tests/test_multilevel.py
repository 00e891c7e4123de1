"""Tests of coachbook.multilevel: mixed models, Rubin's rules, multiple imputation.

The High School and Beyond data (7,185 students in 160 schools; R package
nlme's ``MathAchieve`` and ``MathAchSchool``) are copied into
``tests/reference_data/hsb_*.csv``. Published values: Raudenbush, S. W., &
Bryk, A. S. (2002). *Hierarchical Linear Models* (2nd ed.), Tables 4.2 and 4.3.
"""
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from statsmodels.imputation.mice import MICE
from statsmodels.regression.mixed_linear_model import MixedLM

from coachbook.multilevel import fit_logit_random_intercept, fit_mixed, multiply_impute, pool_rubin

DATA = Path(__file__).parent / "reference_data"


@pytest.fixture(scope="module")
def hsb() -> pd.DataFrame:
    students = pd.read_csv(DATA / "hsb_students.csv")
    schools = pd.read_csv(DATA / "hsb_schools.csv")
    return students.merge(schools, on="School", validate="many_to_one")


@pytest.fixture(scope="module")
def anova(hsb):
    return fit_mixed("MathAch ~ 1", hsb, "School")


# ---------------------------------------------------------------- fit_mixed
def test_one_way_anova_matches_raudenbush_bryk_table_4_2(anova):
    """R&B (2002) Table 4.2: gamma00 = 12.64 (SE .24), sigma2 = 39.148, tau00 = 8.614, reliability .901."""
    fe, vc = anova.fixed_effects, anova.variance_components
    assert fe.loc["Intercept", "estimate"] == pytest.approx(12.64, abs=0.005)
    assert fe.loc["Intercept", "se"] == pytest.approx(0.24, abs=0.005)
    assert vc.loc["residual", "estimate"] == pytest.approx(39.148, abs=0.0005)
    assert vc.loc["var(Intercept)", "estimate"] == pytest.approx(8.614, abs=0.0005)
    assert anova.reliability() == pytest.approx(0.901, abs=0.0005)
    assert anova.icc() == pytest.approx(8.614 / (8.614 + 39.148), abs=1e-4)
    assert anova.converged and anova.reml
    assert list(fe.columns) == ["estimate", "se", "z", "p"]


def test_means_as_outcomes_matches_table_4_3(hsb):
    """R&B (2002) Table 4.3, MEANSES from MathAchSchool: gamma01 = 5.86 (SE .36), tau00 = 2.64."""
    fit = fit_mixed("MathAch ~ MEANSES", hsb, "School")
    assert fit.fixed_effects.loc["MEANSES", "estimate"] == pytest.approx(5.86, abs=0.005)
    assert fit.fixed_effects.loc["MEANSES", "se"] == pytest.approx(0.36, abs=0.005)
    assert fit.variance_components.loc["var(Intercept)", "estimate"] == pytest.approx(2.64, abs=0.005)


def test_keeps_best_llf_even_when_a_bad_optimizer_comes_first(hsb, anova):
    """On these data lbfgs alone may stop at tau00 = 0 (statsmodels 0.15: llf = inf, 'converged')."""
    fit = fit_mixed("MathAch ~ 1", hsb, "School", methods=["lbfgs", ("powell", "lbfgs")])
    finite = fit.attempts["llf"][np.isfinite(fit.attempts["llf"])]
    assert fit.llf == pytest.approx(finite.max())
    assert fit.llf == pytest.approx(anova.llf, abs=1e-6)
    assert fit.variance_components.loc["var(Intercept)", "estimate"] == pytest.approx(8.614, abs=5e-4)


def _patched_fit(monkeypatch, failing=None, worse=None, shifted=None):
    """Wrap MixedLM.fit so named optimizers raise, stop early, or return shifted estimates."""
    original = MixedLM.fit

    def fake(self, *args, method=None, **kwargs):
        if method == failing:
            raise np.linalg.LinAlgError("Singular matrix (simulated)")
        if method == worse:
            kwargs["maxiter"] = 1
        res = original(self, *args, method=method, **kwargs)
        if method == shifted:  # same likelihood, estimates 1 SE away: a flat surface
            res.params = np.asarray(res.params) + np.asarray(res.bse)
        return res

    monkeypatch.setattr(MixedLM, "fit", fake)


def test_failed_and_worse_optimizers_are_recorded_not_chosen(hsb, anova, monkeypatch):
    _patched_fit(monkeypatch, failing="nm", worse="bfgs")
    fit = fit_mixed("MathAch ~ 1", hsb, "School", methods=["bfgs", "nm", ("powell", "lbfgs")])
    att = fit.attempts.set_index("optimizer")
    assert att.loc["nm", "error"].startswith("LinAlgError") and np.isnan(att.loc["nm", "llf"])
    assert att.loc["bfgs", "llf"] < fit.llf
    assert fit.optimizer == "powell+lbfgs" and fit.converged
    assert fit.llf == pytest.approx(anova.llf, abs=1e-6)


def test_disagreeing_equally_good_fits_are_not_converged(hsb, monkeypatch):
    _patched_fit(monkeypatch, shifted="nm")
    fit = fit_mixed("MathAch ~ 1", hsb, "School", methods=[("powell", "lbfgs"), "nm"])
    assert not fit.converged
    assert any("flat" in w for w in fit.warnings)


def test_all_optimizers_failing_raises_runtime_error(hsb, monkeypatch):
    _patched_fit(monkeypatch, failing="nm")
    with pytest.raises(RuntimeError, match="no optimizer"):
        fit_mixed("MathAch ~ 1", hsb, "School", methods=["nm"])


def test_warnings_are_recorded_not_printed():
    """No between-group variance: statsmodels warns about the boundary; we keep it quiet."""
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"y": rng.normal(size=200), "g": np.repeat(np.arange(20), 10)})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = fit_mixed("y ~ 1", df, "g")
    assert caught == []
    assert any("boundary" in w for w in fit.warnings)
    assert all(isinstance(w, str) and len(w) < 130 for w in fit.warnings)
    with pytest.raises(ValueError, match="random-intercept"):
        fit_mixed("y ~ 1", df.assign(x=rng.normal(size=200)), "g", re_formula="~x").icc()


def test_random_intercept_fit_is_fast():
    """About 3,000 students in 120 teachers, all four default optimizers."""
    rng = np.random.default_rng(1)
    g = np.repeat(np.arange(120), 25)
    x = rng.normal(size=g.size)
    df = pd.DataFrame({"y": 1 + 0.5 * x + 0.5 * rng.normal(size=120)[g] + rng.normal(size=g.size),
                       "x": x, "teacher": g})
    start = time.perf_counter()
    fit = fit_mixed("y ~ x", df, "teacher")
    assert time.perf_counter() - start < 2.0
    assert fit.converged and fit.fixed_effects.loc["x", "estimate"] == pytest.approx(0.5, abs=0.1)


@pytest.mark.parametrize("kwargs, message", [
    ({"groups": "teacher"}, "missing column"),
    ({"groups": "g", "formula": "y ~ nope"}, "could not build"),
    ({"groups": "g", "methods": []}, "methods is empty"),
    ({"groups": "one"}, "fewer than 2 groups"),
    ({"groups": "gap"}, "missing value"),
    ({"groups": "g", "formula": "gap ~ 1"}, "drop rows with missing values"),
])
def test_fit_mixed_bad_inputs(kwargs, message):
    df = pd.DataFrame({"y": np.arange(8.0), "g": [1, 1, 2, 2, 3, 3, 4, 4], "one": 1,
                       "gap": [1, 1, 2, np.nan, 3, 3, 4, 4]})
    kwargs = {"formula": "y ~ 1", "data": df, **kwargs}
    with pytest.raises(ValueError, match=message):
        fit_mixed(**kwargs)


# ---------------------------------------------------------------- pool_rubin
def test_rubin_rules_by_hand():
    """Q = (1, 2, 3), U = 1 each: W = 1, B = 1, T = 7/3, r = 4/3, lambda = 4/7, nu_old = 6.125."""
    out = pool_rubin([1.0, 2.0, 3.0], [1.0, 1.0, 1.0], df_complete=10).iloc[0]
    assert out["estimate"] == 2 and out["within"] == 1 and out["between"] == 1
    assert out["total"] == pytest.approx(7 / 3)
    assert out["riv"] == pytest.approx(4 / 3) and out["lambda"] == pytest.approx(4 / 7)
    assert out["df_rubin"] == pytest.approx(6.125)
    nu_obs = 11 / 13 * 10 * (3 / 7)
    assert out["df"] == pytest.approx(6.125 * nu_obs / (6.125 + nu_obs))
    from scipy import stats
    assert out["p"] == pytest.approx(2 * stats.t.sf(2 / np.sqrt(7 / 3), out["df"]))
    half = stats.t.ppf(0.975, out["df"]) * np.sqrt(7 / 3)
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((2 - half, 2 + half))


def test_rubin_agrees_with_statsmodels_mice_combine():
    """statsmodels' MICE.combine pools the same estimate, total variance and lambda (its 'fmi')."""
    rng = np.random.default_rng(7)
    n = 300
    x = rng.normal(size=n)
    data = pd.DataFrame({"x": x, "y": 1 + 0.6 * x + rng.normal(size=n)})
    data.loc[rng.random(n) < 0.3, "x"] = np.nan
    imputed = multiply_impute(data, ["x"], m=5, seed=11, predictors=["y"])
    fits = [smf.ols("y ~ x", d).fit() for d in imputed]
    mice = MICE.__new__(MICE)  # only combine() is used, on our own fits
    mice.results_list = fits
    mice.exog_names, mice.endog_names, mice.model_class = ["Intercept", "x"], "y", None
    combined = mice.combine()
    ours = pool_rubin(pd.DataFrame([f.params for f in fits]),
                      pd.DataFrame([f.bse**2 for f in fits]), df_complete=n - 2)
    np.testing.assert_allclose(ours["estimate"], combined.params)
    np.testing.assert_allclose(ours["total"], np.diag(combined.cov_params()))
    np.testing.assert_allclose(ours["lambda"], combined.frac_miss_info)
    assert list(ours.index) == ["Intercept", "x"]


def test_barnard_rubin_limits():
    rng = np.random.default_rng(2)
    q, u = rng.normal(size=(10, 3)), rng.uniform(0.5, 2, size=(10, 3))
    old = pool_rubin(q, u)
    assert np.allclose(old["df"], old["df_rubin"])
    # nu_com -> infinity: nu_BR -> nu_old
    assert np.allclose(pool_rubin(q, u, df_complete=np.inf)["df"], old["df_rubin"])
    assert np.allclose(pool_rubin(q, u, df_complete=1e12)["df"], old["df_rubin"], rtol=1e-6)
    # nu_BR never exceeds nu_com (nor nu_old), and grows with nu_com
    dfs = [pool_rubin(q, u, df_complete=nu)["df"].to_numpy() for nu in (5, 20, 100, 1000)]
    for nu, df in zip((5, 20, 100, 1000), dfs):
        assert np.all(df <= nu) and np.all(df <= old["df_rubin"].to_numpy())
    assert np.all(np.diff(np.vstack(dfs), axis=0) > 0)


def test_no_between_imputation_variance():
    """B = 0: lambda = 0, nu_old infinite, nu_BR = nu_obs = nu_com (nu_com + 1) / (nu_com + 3)."""
    out = pool_rubin([[2.0], [2.0], [2.0]], [[0.5], [0.4], [0.6]], df_complete=20).iloc[0]
    assert out["between"] == 0 and out["lambda"] == 0 and np.isinf(out["df_rubin"])
    assert out["df"] == pytest.approx(20 * 21 / 23)
    assert out["total"] == pytest.approx(0.5)
    assert np.isinf(pool_rubin([2.0, 2.0], [0.5, 0.5])["df"].iloc[0])


@pytest.mark.parametrize("q, u, kwargs, message", [
    ([1.0], [1.0], {}, "at least 2 imputations"),
    ([1.0, 2.0], [1.0, 1.0, 1.0], {}, "must match"),
    ([1.0, 2.0], [1.0, -1.0], {}, "non-negative"),
    ([1.0, np.nan], [1.0, 1.0], {}, "NaN"),
    ([1.0, 2.0], [1.0, 1.0], {"df_complete": 0}, "df_complete must be positive"),
    (np.ones((2, 2, 2)), np.ones((2, 2, 2)), {}, "1-D"),
])
def test_pool_rubin_bad_inputs(q, u, kwargs, message):
    with pytest.raises(ValueError, match=message):
        pool_rubin(q, u, **kwargs)


# ---------------------------------------------------------------- multiply_impute
@pytest.fixture(scope="module")
def incomplete() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 10_000
    x = rng.normal(size=n)
    z = 0.5 * x + rng.normal(size=n)
    y = 1 + 0.8 * x + 0.3 * z + rng.normal(size=n)
    df = pd.DataFrame({"x": x, "z": z, "y": y, "teacher": np.arange(n) % 100})
    df.loc[rng.random(n) < 0.3, "x"] = np.nan
    df.loc[rng.random(n) < 0.2, "z"] = np.nan
    return df


def test_multiply_impute_is_seeded_complete_and_fast(incomplete):
    start = time.perf_counter()
    imps = multiply_impute(incomplete, ["x", "z"], m=20, seed=42, predictors=["y"])
    assert time.perf_counter() - start < 5.0
    assert len(imps) == 20 and all(d.shape == incomplete.shape for d in imps)
    assert not any(d[["x", "z"]].isna().any().any() for d in imps)
    observed = incomplete["x"].notna()
    assert np.array_equal(imps[3].loc[observed, "x"], incomplete.loc[observed, "x"])
    assert not imps[0]["x"].equals(imps[1]["x"])
    again = multiply_impute(incomplete, ["x", "z"], m=20, seed=42, predictors=["y"])
    assert all(a.equals(b) for a, b in zip(imps, again))
    assert incomplete["x"].isna().any()  # the input is not modified


def test_imputation_then_pooling_recovers_the_slope(incomplete):
    imps = multiply_impute(incomplete, ["x", "z"], m=10, seed=1, predictors=["y"])
    fits = [smf.ols("y ~ x + z", d).fit() for d in imps]
    pooled = pool_rubin(pd.DataFrame([f.params for f in fits]),
                        pd.DataFrame([f.bse**2 for f in fits]), df_complete=len(incomplete) - 3)
    assert abs(pooled.loc["x", "estimate"] - 0.8) < 3 * pooled.loc["x", "se"]
    assert abs(pooled.loc["z", "estimate"] - 0.3) < 3 * pooled.loc["z", "se"]
    assert 0 < pooled.loc["x", "lambda"] < 0.6


@pytest.mark.parametrize("kwargs, message", [
    ({"m": 1}, "at least 2"),
    ({"columns": ["nope"]}, "missing column"),
    ({"predictors": ["z"], "columns": ["x"]}, "predictor"),
    ({"columns": []}, "columns is empty"),
    ({"columns": ["empty"]}, "no observed values"),
    ({"columns": ["label"]}, "numeric"),
])
def test_multiply_impute_bad_inputs(incomplete, kwargs, message):
    df = incomplete.head(50).assign(empty=np.nan, label="a")
    kwargs = {"columns": ["x"], "m": 2, "seed": 0, **kwargs}
    with pytest.raises(ValueError, match=message):
        multiply_impute(df, **kwargs)


# ---------------------------------------------------------------- random-intercept logit
def _logit_data(sd, seed, groups=300, n=6, beta=(-0.5, 1.0)):
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(groups), n)
    x = rng.normal(size=g.size)
    eta = beta[0] + beta[1] * x + rng.normal(0, sd, groups)[g] if sd > 0 else beta[0] + beta[1] * x
    return pd.DataFrame({"y": (rng.random(g.size) < 1 / (1 + np.exp(-eta))).astype(int), "x": x, "g": g})


def test_logit_random_intercept_recovers_parameters():
    df = _logit_data(1.5, seed=11)
    fit = fit_logit_random_intercept("y ~ x", df, "g")
    assert fit.converged and fit.n_groups == 300 and fit.n_obs == 1800
    est, se = fit.fixed_effects["estimate"], fit.fixed_effects["se"]
    assert abs(est["Intercept"] + 0.5) < 3 * se["Intercept"]
    assert abs(est["x"] - 1.0) < 3 * se["x"]
    assert 1.1 < fit.re_sd < 1.9
    # population-averaged (GEE-like) slopes are attenuated relative to unit-specific ones
    marginal = smf.logit("y ~ x", df).fit(disp=0).params["x"]
    assert marginal < est["x"]


def test_logit_random_intercept_without_variance_is_logistic_regression():
    from coachbook.multilevel import _agq_loglik

    df = _logit_data(0.0, seed=12)
    glm = smf.logit("y ~ x", df).fit(disp=0)
    x = np.column_stack([np.ones(len(df)), df["x"]])
    nodes, weights = np.polynomial.hermite.hermgauss(15)
    at_zero_sd = _agq_loglik(glm.params.to_numpy(), -30.0, x, df["y"].to_numpy(float),
                             df["g"].to_numpy(), 300, nodes, weights)
    assert at_zero_sd == pytest.approx(glm.llf, abs=1e-8)  # sd -> 0: the plain logistic likelihood
    fit = fit_logit_random_intercept("y ~ x", df, "g")
    assert fit.re_sd < 0.5
    np.testing.assert_allclose(fit.fixed_effects["estimate"], glm.params, atol=0.05)
    assert fit.llf >= glm.llf - 1e-6


def test_logit_quadrature_converges_and_laplace_is_close():
    df = _logit_data(1.0, seed=13, groups=150, n=4)
    fits = {n: fit_logit_random_intercept("y ~ x", df, "g", n_points=n) for n in (1, 7, 15, 25)}
    est = {n: f.fixed_effects.loc["x", "estimate"] for n, f in fits.items()}
    assert est[15] == pytest.approx(est[25], abs=1e-4) and est[7] == pytest.approx(est[25], abs=1e-3)
    assert abs(est[1] - est[25]) < 0.1 * fits[25].fixed_effects.loc["x", "se"] + 0.05
    assert fits[15].llf == pytest.approx(fits[25].llf, abs=1e-4)


def test_logit_random_intercept_bad_inputs():
    df = _logit_data(1.0, seed=14, groups=20)
    with pytest.raises(ValueError, match="0/1"):
        fit_logit_random_intercept("x ~ y", df, "g")
    with pytest.raises(ValueError, match="n_points"):
        fit_logit_random_intercept("y ~ x", df, "g", n_points=0)
    with pytest.raises(ValueError, match="missing column"):
        fit_logit_random_intercept("y ~ x", df, "group")
    with pytest.raises(ValueError, match="formula"):
        fit_logit_random_intercept("y ~ nothing", df, "g")
    with pytest.raises(ValueError, match="fewer than 2"):
        fit_logit_random_intercept("y ~ x", df.assign(g=1), "g")
