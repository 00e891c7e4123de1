"""Tests of coachbook.estimators.mixed: mixed models, Rubin's rules, multiple imputation.

The High School and Beyond data (7,185 students in 160 schools; R package
nlme's ``MathAchieve`` and ``MathAchSchool``) are copied into
``tests/reference_data/hsb_*.csv``. Published values: Raudenbush, S. W., &
Bryk, A. S. (2002). *Hierarchical Linear Models* (2nd ed.), Tables 4.2 and 4.3.
"""
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from statsmodels.imputation.mice import MICE
from statsmodels.regression.mixed_linear_model import MixedLM

from coachbook.book import data as book_data
from coachbook.estimators.lmm import LMMDesign
from coachbook.estimators.imputation import multiply_impute, pool_rubin
from coachbook.estimators.mixed import DEFAULT_METHODS, fit_mixed
from coachbook.estimators.mixed_logit import fit_logit_random_intercept

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
        label = method if isinstance(method, str) else tuple(method)
        if label == failing or (isinstance(failing, list) and label in failing):
            raise np.linalg.LinAlgError("Singular matrix (simulated)")
        if method == worse:
            kwargs["maxiter"] = 1
        res = original(self, *args, method=method, **kwargs)
        if method == shifted:  # a start far from the maximum, still claiming the best llf
            res.cov_re = res.cov_re * 3.0
            res.scale = res.scale * 0.5
            res.llf = res.llf + 1.0
        return res

    monkeypatch.setattr(MixedLM, "fit", fake)


def test_failed_and_worse_optimizers_are_recorded_not_chosen(hsb, anova, monkeypatch):
    _patched_fit(monkeypatch, failing="nm", worse="bfgs")
    fit = fit_mixed("MathAch ~ 1", hsb, "School", methods=["bfgs", "nm", ("powell", "lbfgs")],
                    exhaustive=True)
    att = fit.attempts.set_index("optimizer")
    assert att.loc["nm", "error"].startswith("LinAlgError") and np.isnan(att.loc["nm", "llf"])
    assert att.loc["bfgs", "llf"] < fit.llf
    assert fit.converged
    assert fit.llf == pytest.approx(anova.llf, abs=1e-6)


def test_by_default_the_first_optimizer_that_polishes_to_a_maximum_is_enough(hsb, anova):
    fit = fit_mixed("MathAch ~ 1", hsb, "School", methods=["bfgs", "nm"])
    assert list(fit.attempts["optimizer"]) == ["bfgs"], "nm ran although bfgs already reached the maximum"
    assert fit.llf == pytest.approx(anova.llf, abs=1e-6)
    everything = fit_mixed("MathAch ~ 1", hsb, "School", methods=["bfgs", "nm"], exhaustive=True)
    assert list(everything.attempts["optimizer"]) == ["bfgs", "nm"]
    assert everything.llf == pytest.approx(fit.llf, abs=1e-9)


def test_exhaustive_must_be_a_boolean(hsb):
    with pytest.raises(ValueError, match="exhaustive must be True or False"):
        fit_mixed("MathAch ~ 1", hsb, "School", exhaustive="yes")


def test_a_far_start_is_polished_to_the_same_maximum(hsb, anova, monkeypatch):
    """A start far from the maximum (that even claims a better llf) ends at the same point."""
    _patched_fit(monkeypatch, shifted="nm")
    fit = fit_mixed("MathAch ~ 1", hsb, "School", methods=["nm"])
    assert fit.converged and fit.optimizer == "nm"
    assert fit.llf_start > fit.llf  # statsmodels' (doctored) claim is not what is reported
    assert fit.llf == pytest.approx(anova.llf, rel=1e-12)
    np.testing.assert_allclose(fit.variance_components["estimate"],
                               anova.variance_components["estimate"], rtol=1e-9)
    np.testing.assert_allclose(fit.fixed_effects, anova.fixed_effects, rtol=1e-9)


def test_all_optimizers_failing_raises_runtime_error(hsb, monkeypatch):
    _patched_fit(monkeypatch, failing=list(DEFAULT_METHODS))
    with pytest.raises(RuntimeError, match="no optimizer"):
        fit_mixed("MathAch ~ 1", hsb, "School", methods=["nm"])


def test_failing_requested_optimizer_falls_back_to_the_defaults(hsb, anova, monkeypatch):
    """Only 'nm' asked for, and it fails: the other default optimizers give the start."""
    _patched_fit(monkeypatch, failing="nm")
    fit = fit_mixed("MathAch ~ 1", hsb, "School", methods=["nm"])
    assert fit.converged and fit.optimizer != "nm"
    tried = list(fit.attempts["optimizer"])
    assert tried[0] == "nm" and fit.optimizer in tried[1:]
    assert fit.llf == pytest.approx(anova.llf, rel=1e-12)


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


def test_random_intercept_fit_recovers_the_slope():
    """About 3,000 students in 120 teachers, the default optimizers."""
    rng = np.random.default_rng(1)
    g = np.repeat(np.arange(120), 25)
    x = rng.normal(size=g.size)
    df = pd.DataFrame({"y": 1 + 0.5 * x + 0.5 * rng.normal(size=120)[g] + rng.normal(size=g.size),
                       "x": x, "teacher": g})
    fit = fit_mixed("y ~ x", df, "teacher")
    assert fit.converged and fit.fixed_effects.loc["x", "estimate"] == pytest.approx(0.5, abs=0.1)
    assert set(fit.attempts["optimizer"]) <= {m if isinstance(m, str) else "+".join(m) for m in DEFAULT_METHODS}


@pytest.mark.parametrize("kwargs, message", [
    ({"cluster": "teacher"}, "missing column"),
    ({"cluster": "g", "formula": "y ~ nope"}, "could not build"),
    ({"cluster": "g", "methods": []}, "methods is empty"),
    ({"cluster": "one"}, "fewer than 2 groups"),
    ({"cluster": "gap"}, "missing value"),
    ({"cluster": "g", "formula": "gap ~ 1"}, "drop rows with missing values"),
])
def test_fit_mixed_bad_inputs(kwargs, message):
    df = pd.DataFrame({"y": np.arange(8.0), "g": [1, 1, 2, 2, 3, 3, 4, 4], "one": 1,
                       "gap": [1, 1, 2, np.nan, 3, 3, 4, 4]})
    kwargs = {"formula": "y ~ 1", "data": df, **kwargs}
    with pytest.raises(ValueError, match=message):
        fit_mixed(**kwargs)


# ---------------------------------------------------------------- exact polishing (coachbook.estimators.lmm)
THREE_LEVEL_VC = {"pair": "0 + C(teacher_id)", "pair_time": "0 + C(teacher_id):time"}


@pytest.fixture(scope="module")
def pcs() -> pd.DataFrame:
    return book_data.load("tn/preconferences")


@pytest.fixture(scope="module")
def three_level(pcs):
    return fit_mixed("composite ~ time", pcs, "coach_id", re_formula="~ time", vc_formula=THREE_LEVEL_VC)


@pytest.fixture(scope="module")
def hsb_slopes(hsb):
    hsb = hsb.assign(SES_within=hsb["SES"] - hsb.groupby("School")["SES"].transform("mean"))
    return hsb, fit_mixed("MathAch ~ SES_within", hsb, "School", re_formula="~ SES_within")


def _se_scaled_gradient(fit):
    """|score| x SE of each covariance parameter (dimensionless; 0 at an interior maximum)."""
    se = np.sqrt(np.diag(np.linalg.inv(-fit.polished.hess)))
    return np.abs(fit.gradient.to_numpy()) * se


def test_polished_fit_has_zero_gradient_and_beats_every_optimizer(hsb_slopes):
    """R&B (2002) Table 4.4 model: the polished maximum is interior, so the whole score is ~0."""
    _, fit = hsb_slopes
    assert fit.converged and fit.boundary == [] and fit.decrement < 1e-10
    assert np.max(_se_scaled_gradient(fit)) < 1e-9
    finite = fit.attempts["llf"][np.isfinite(fit.attempts["llf"])]
    assert (fit.llf >= finite - 1e-9 * abs(fit.llf)).all()
    assert (fit.llf >= fit.attempts["polished_llf"].dropna() - 1e-9 * abs(fit.llf)).all()
    # Table 4.4: gamma00 = 12.65 (SE .244), gamma10 = 2.193 (SE .128), sigma2 = 36.70
    fe = fit.fixed_effects
    assert fe.loc["Intercept", "se"] == pytest.approx(0.244, abs=6e-4)
    assert fe.loc["SES_within", "estimate"] == pytest.approx(2.193, abs=5e-4)
    assert fe.loc["SES_within", "se"] == pytest.approx(0.128, abs=5e-4)
    assert fit.scale == pytest.approx(36.70, abs=0.005)


@pytest.mark.parametrize("reml", [True, False])
def test_lmm_likelihood_is_statsmodels_likelihood(hsb_slopes, reml):
    """statsmodels' own (profile) log-likelihood at the polished parameters is the same number."""
    from statsmodels.regression.mixed_linear_model import MixedLMParams

    hsb, _ = hsb_slopes
    fit = fit_mixed("MathAch ~ SES_within", hsb, "School", re_formula="~ SES_within", reml=reml,
                    methods=["lbfgs"])
    model = fit.result.model
    params = MixedLMParams.from_components(fe_params=fit.fe_params.to_numpy(),
                                           cov_re=fit.cov_re.to_numpy() / fit.scale,
                                           vcomp=np.asarray(fit.vcomp) / fit.scale)
    assert model.reml == reml
    assert model.loglike(params) == pytest.approx(fit.llf, abs=1e-8)


@pytest.mark.parametrize("reml", [True, False])
def test_lmm_derivatives_match_finite_differences(pcs, reml):
    model = smf.mixedlm("composite ~ time", pcs, groups="coach_id", re_formula="~ time",
                        vc_formula=THREE_LEVEL_VC)
    design = LMMDesign(model)
    theta = design.join(np.array([[0.05, -0.005], [-0.005, 0.004]]), [0.05, 0.01], 0.25)
    ev = design.evaluate(theta, reml, order=2)
    h = 1e-6
    eye = np.eye(design.k)
    num_grad = [(design.evaluate(theta + h * e, reml)["llf"] - design.evaluate(theta - h * e, reml)["llf"])
                / (2 * h) for e in eye]
    num_hess = np.array([(design.evaluate(theta + h * e, reml, 1)["grad"]
                          - design.evaluate(theta - h * e, reml, 1)["grad"]) / (2 * h) for e in eye])
    np.testing.assert_allclose(ev["grad"], num_grad, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ev["hess"], num_hess, rtol=1e-5, atol=1e-5 * np.abs(ev["hess"]).max())


def _balanced(tau, seed, groups=30, n=6, flatten=False):
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(groups), n)
    e = rng.normal(size=g.size)
    if flatten:  # squeeze the group means together: mean square between < within
        e = e - 0.9 * pd.Series(e).groupby(g).transform("mean").to_numpy()
    return pd.DataFrame({"y": 3.0 + rng.normal(0, np.sqrt(tau), groups)[g] + e, "g": g})


def _anova(df, n):
    groups = df.groupby("g")["y"]
    grand = df["y"].mean()
    j = groups.ngroups
    ssb = n * ((groups.mean() - grand) ** 2).sum()
    ssw = ((df["y"] - groups.transform("mean")) ** 2).sum()
    return grand, ssb / (j - 1), ssw / (j * (n - 1)), ssb, ssw, j


def test_balanced_random_intercept_matches_the_anova_closed_form():
    """Balanced one-way layout: REML is sigma2 = MSW, tau = (MSB - MSW) / n, SE^2 = MSB / N."""
    n = 6
    df = _balanced(0.5, seed=21, n=n)
    grand, msb, msw, _, _, j = _anova(df, n)
    assert msb > msw
    fit = fit_mixed("y ~ 1", df, "g")
    vc = fit.variance_components["estimate"]
    assert vc["residual"] == pytest.approx(msw, rel=1e-10)
    assert vc["var(Intercept)"] == pytest.approx((msb - msw) / n, rel=1e-10)
    assert fit.fixed_effects.loc["Intercept", "estimate"] == pytest.approx(grand, rel=1e-12)
    assert fit.fixed_effects.loc["Intercept", "se"] == pytest.approx(np.sqrt(msb / (j * n)), rel=1e-10)
    big_n = j * n
    llf = -0.5 * ((big_n - 1) * np.log(2 * np.pi) + j * (n - 1) * np.log(msw) + j * np.log(msb)
                  + np.log(big_n / msb) + big_n - 1)
    assert fit.llf == pytest.approx(llf, rel=1e-12)
    assert fit.converged and fit.decrement < 1e-10


def test_balanced_random_intercept_on_the_boundary():
    """MSB < MSW: the REML estimate of tau is exactly 0 and sigma2 is the total mean square."""
    n = 6
    df = _balanced(0.0, seed=22, n=n, flatten=True)
    grand, msb, msw, ssb, ssw, j = _anova(df, n)
    assert msb < msw
    fit = fit_mixed("y ~ 1", df, "g")
    vc = fit.variance_components["estimate"]
    assert vc["var(Intercept)"] == 0.0 and fit.boundary == ["G singular"]
    assert vc["residual"] == pytest.approx((ssb + ssw) / (j * n - 1), rel=1e-10)
    assert fit.fixed_effects.loc["Intercept", "estimate"] == pytest.approx(grand, rel=1e-12)
    assert fit.converged and any("boundary" in w for w in fit.warnings)
    ols = smf.ols("y ~ 1", df).fit()
    assert fit.fixed_effects.loc["Intercept", "se"] == pytest.approx(ols.bse["Intercept"], rel=1e-10)


def test_three_level_model_converges_to_a_true_maximum(pcs, three_level):
    """Teachers in coaches: all four optimizers stop short; the polish reaches the maximum."""
    fit = three_level
    assert fit.converged and fit.decrement < 1e-10
    assert (fit.llf > fit.attempts["llf"].dropna()).all()
    np.testing.assert_allclose(fit.attempts["polished_llf"], fit.llf, rtol=1e-12)
    # the maximum is on the boundary: var(pair_time) = 0 and a singular G (corr -1)
    assert fit.variance_components.loc["var(pair_time)", "estimate"] == 0.0
    assert set(fit.boundary) == {"var(pair_time)", "G singular"}
    g = fit.cov_re.to_numpy()
    assert g[0, 1] / np.sqrt(g[0, 0] * g[1, 1]) == pytest.approx(-1.0, abs=1e-10)
    # ... where the score of every free direction is 0 and every feasible move loses
    design = LMMDesign(fit.result.model)
    theta = fit.polished.theta
    assert design.evaluate(theta)["llf"] == pytest.approx(fit.llf, abs=1e-9)
    assert abs(fit.gradient["var(pair)"]) < 1e-8 and abs(fit.gradient["residual"]) < 1e-8
    assert fit.gradient["var(pair_time)"] < 0
    rng = np.random.default_rng(0)
    column = g[:, 0] / np.sqrt(g[0, 0])                       # G = column column' (rank 1)
    for _ in range(300):
        first = column * (1 + rng.normal(0, 0.01)) + rng.normal(0, 0.003, 2) * np.sqrt(np.diag(g))
        second = rng.normal(0, 0.003, 2) * np.sqrt(np.diag(g)) * rng.integers(0, 2)
        g_new = np.outer(first, first) + np.outer(second, second)
        vc = np.maximum(fit.vcomp * (1 + rng.normal(0, 0.01, 2)) + np.abs(rng.normal(0, 1e-4, 2)), 0)
        s2 = fit.scale * (1 + rng.normal(0, 0.01))
        assert design.evaluate(design.join(g_new, vc, s2))["llf"] <= fit.llf + 1e-10


def test_vc_formula_without_re_formula(pcs):
    """Only a variance component: teachers nested in coaches, no coach-level effect, is the same
    model as a random intercept per teacher."""
    only_vc = fit_mixed("composite ~ time", pcs, "coach_id", vc_formula={"pair": "0 + C(teacher_id)"})
    per_teacher = fit_mixed("composite ~ time", pcs, "teacher_id")
    assert list(only_vc.variance_components.index) == ["var(pair)", "residual"]
    assert only_vc.k_re == 0 and only_vc.cov_re.shape == (0, 0) and only_vc.converged
    assert only_vc.llf == pytest.approx(per_teacher.llf, rel=1e-10)
    assert only_vc.variance_components["estimate"].to_numpy() == pytest.approx(
        per_teacher.variance_components["estimate"].to_numpy(), rel=1e-8)
    np.testing.assert_allclose(only_vc.fixed_effects, per_teacher.fixed_effects, rtol=1e-8)
    with pytest.raises(ValueError, match="random-intercept"):
        only_vc.icc()


def test_a_fit_that_cannot_be_brought_to_a_maximum_raises(monkeypatch):
    """Newton cut off after one step: the fit is refused, with the model named, not reported."""
    import coachbook.estimators.mixed

    rng = np.random.default_rng(4)
    df = pd.DataFrame({"coach": np.repeat(np.arange(12), 8), "teacher": np.repeat(np.arange(24), 4),
                       "time": np.tile(np.arange(4.0), 24)})
    df["y"] = (rng.normal(size=12)[df["coach"]] + rng.normal(size=24)[df["teacher"]]
               + 0.3 * df["time"] + rng.normal(size=len(df)))
    original = coachbook.estimators.mixed.polish
    monkeypatch.setattr(coachbook.estimators.mixed, "polish", lambda *a, **k: original(*a, **{**k, "maxit": 1}))
    with pytest.raises(ValueError, match=r"'y ~ time', cluster='coach', re_formula='~ time'"
                                         r".*vc_formula=.*could not be brought to a maximum.*Try"):
        fit_mixed("y ~ time", df, "coach", re_formula="~ time", vc_formula={"pair": "0 + C(teacher)"},
                  methods=["lbfgs"])


KERNEL_SCRIPT = r"""
import json, warnings
from threadpoolctl import threadpool_info
from coachbook.book import data
from coachbook.estimators.mixed import fit_mixed
from coachbook.estimators.mixed_logit import fit_logit_random_intercept
pcs = data.load("tn/preconferences")
out = {"arch": sorted({str(i.get("architecture")) for i in threadpool_info()
                       if i.get("internal_api") == "openblas"})}
# one start each (the polish, not the start, decides the answer), to keep the test quick
fits = {"three_level": fit_mixed("composite ~ time", pcs, "coach_id", re_formula="~ time",
                                 vc_formula=%r, methods=["lbfgs"]),
        "growth": fit_mixed("composite ~ time", pcs, "teacher_id", re_formula="~ time",
                            methods=["lbfgs"])}
for name, f in fits.items():
    out[name] = {"llf": [f.llf], "fe": f.fixed_effects[["estimate", "se"]].to_numpy().ravel().tolist(),
                 "vc": f.variance_components["estimate"].tolist(), "converged": f.converged}
lf = fit_logit_random_intercept("appropriate_content ~ time", pcs, "teacher_id")
out["logit"] = {"llf": [lf.llf], "fe": lf.fixed_effects[["estimate", "se"]].to_numpy().ravel().tolist(),
                "vc": [lf.re_sd], "converged": lf.converged}
print(json.dumps(out))
""" % (THREE_LEVEL_VC,)


KERNEL_CORES = [None, "Sandybridge", "Prescott"]


def run_under_kernels(root) -> dict:
    """Run :data:`KERNEL_SCRIPT` under the default kernel and each of :data:`KERNEL_CORES`,
    in the background from the start of the session (tests/conftest.py, ``EARLY_STEPS``)."""
    from conftest import run_script_under_kernels

    pinned = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    return run_script_under_kernels(
        KERNEL_SCRIPT, root,
        [(str(core), pinned if core is None else {**pinned, "OPENBLAS_CORETYPE": core}) for core in KERNEL_CORES])


EARLY_STEPS = {"mixed_kernel_runs": run_under_kernels}


@pytest.fixture(scope="module")
def mixed_kernel_runs(root):
    from conftest import book_work

    return book_work("mixed_kernel_runs", lambda: run_under_kernels(root))


def test_fits_agree_across_openblas_kernels(mixed_kernel_runs):
    """The same fits under other OpenBLAS kernels (OPENBLAS_CORETYPE) agree to 1e-8."""
    pytest.importorskip("threadpoolctl")
    out = mixed_kernel_runs
    for core, result in out.items():
        assert "error" not in result, f"OPENBLAS_CORETYPE={core}: {result.get('error')}"
    default = out["None"]
    others = [str(core) for core in KERNEL_CORES[1:]]
    same = [core for core in others if out[core]["arch"] == default["arch"]]
    if same:
        pytest.skip(f"OPENBLAS_CORETYPE={same} did not change the OpenBLAS kernel "
                    f"(threadpoolctl reports {default['arch']} for all), so there is nothing to compare")
    for core in others:
        for model in ("three_level", "growth", "logit"):
            assert out[core][model]["converged"] and default[model]["converged"], (core, model)
            for part in ("llf", "fe", "vc"):
                np.testing.assert_allclose(out[core][model][part], default[model][part], rtol=1e-8,
                                           atol=1e-14, err_msg=f"{model} {part} under {core} "
                                           f"({out[core]['arch']} vs {default['arch']})")


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


def test_multiply_impute_is_seeded_and_complete(incomplete):
    imps = multiply_impute(incomplete, ["x", "z"], m=20, seed=42, predictors=["y"])
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
    from coachbook.estimators.mixed_logit import _agq_loglik

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


def test_logit_random_intercept_is_polished_to_a_stationary_point():
    df = _logit_data(1.2, seed=15, groups=120, n=5)
    fit = fit_logit_random_intercept("y ~ x", df, "g")
    assert fit.converged and fit.decrement < 1e-8
    assert np.max(np.abs(fit.gradient)) < 1e-7
    # a tighter quasi-Newton search from the same model finds nothing better
    from scipy import optimize

    from coachbook.estimators.mixed_logit import _agq_loglik

    x = np.column_stack([np.ones(len(df)), df["x"]])
    nodes, weights = np.polynomial.hermite.hermgauss(15)
    y, g = df["y"].to_numpy(float), df["g"].to_numpy()

    def negll(t):
        return -_agq_loglik(t[:2], t[2], x, y, g, 120, nodes, weights)

    start = np.r_[fit.fixed_effects["estimate"].to_numpy(), np.log(fit.re_sd)]
    other = optimize.minimize(negll, start + 0.05, method="BFGS", options={"gtol": 1e-9})
    assert -other.fun <= fit.llf + 1e-9
    assert fit.llf == pytest.approx(-negll(start), abs=1e-12)


@pytest.mark.parametrize("value", [0, 1])
def test_logit_random_intercept_without_outcome_variation_raises(value):
    df = _logit_data(1.0, seed=16, groups=20).assign(y=value)
    with pytest.raises(ValueError, match=rf"'y ~ x' with cluster='g'.*is {value} for every"):
        fit_logit_random_intercept("y ~ x", df, "g")
