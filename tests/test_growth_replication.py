"""The growth-model chapters replicate Russell et al. (2020) on the bundled data.

Mirrors ``chapters/03-dbir/growth-in-coaching.ipynb`` and
``growth-in-teaching.ipynb`` with the same package functions. Acceptance:
growth coefficients within 20% of the published value, effect sizes within
0.10, every test on the same side of p = .05 as published (the within-teacher
effect: also p between .01 and .15), and the HLM chi-square df as published.
Published numbers come from ``data/published/russell_2020.csv``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from coachbook.book import data, published
from coachbook.estimators.effect_sizes import pooled_within_sd
from coachbook.estimators.growth import (code_time_piecewise, code_time_polynomial,
                                         fixed_trajectory, person_mean_center)
from coachbook.estimators.hlm_tests import hlm3_variance_chisq, hlm_variance_chisq
from coachbook.estimators.likelihood_ratio import deviance_test
from coachbook.estimators.mixed import fit_mixed
from coachbook.estimators.mixed_logit import fit_logit_random_intercept

PAPER = "russell_2020"
ITEMS = {
    "Appropriate content": "appropriate_content",
    "Solution paths": "solution_paths",
    "Advancing questions": "advancing_questions_rescaled",
    "Math content": "math_content",
    "Composite": "composite",
}
COVARIATES = "assist1 + assist2 + C(rater_id) + coached"
CUBIC = {"time": 1, "time2": 2, "time3": 3}


def pub(panel, row, column):
    return published.estimate(PAPER, "Text", row, column, panel)


def same_side(p, published_p):
    return (p < 0.05) == (published_p < 0.05)


def within_20pct(value, target):
    return abs(value / target - 1) <= 0.20


# --------------------------------------------------------------------------
# Growth in coaching (RQ1)
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pcs():
    frame = data.load("tn/preconferences")
    calendar = data.load("tn/lessons").groupby("data_cycle")["time"].first()
    return frame.join(code_time_piecewise(frame["time"], breakpoint=calendar[3]))


@pytest.fixture(scope="module")
def linear(pcs):
    return {label: fit_mixed(f"{col} ~ time", pcs, "teacher_id", re_formula="~ time", methods=["lbfgs"])
            for label, col in ITEMS.items() if label != "Appropriate content"}


@pytest.fixture(scope="module")
def appropriate(pcs):
    return fit_logit_random_intercept("appropriate_content ~ time", pcs, "teacher_id", n_points=15)


@pytest.fixture(scope="module")
def piecewise(pcs):
    out = {}
    for label in ("Advancing questions", "Math content"):
        col = ITEMS[label]
        reduced = fit_mixed(f"{col} ~ base", pcs, "teacher_id", reml=False, methods=["bfgs"])
        full = fit_mixed(f"{col} ~ base + increment", pcs, "teacher_id", re_formula="~ increment",
                         reml=False, methods=["lbfgs"])
        out[label] = (full, deviance_test(full, reduced))
    return out


def test_rq1_linear_growth_rates(linear, appropriate):
    panel = "RQ1 growth models"
    composite = linear["Composite"].fixed_effects.loc["time"]
    for row in ("Composite", "Composite (second report)"):
        assert within_20pct(composite["estimate"], pub(panel, row, "beta10")), (row, composite["estimate"])
        assert same_side(composite["p"], pub(panel, row, "p"))
    paths = linear["Solution paths"].fixed_effects.loc["time"]
    assert within_20pct(paths["estimate"], pub(panel, "Solution paths", "beta10"))
    assert same_side(paths["p"], pub(panel, "Solution paths", "p"))
    ac = appropriate.fixed_effects.loc["time"]
    assert appropriate.converged
    assert within_20pct(ac["estimate"], pub(panel, "Appropriate content", "beta10")), ac["estimate"]
    assert same_side(ac["p"], pub(panel, "Appropriate content", "p"))
    assert all(fit.converged for fit in linear.values())


def test_rq1_piecewise_deviance_tests(piecewise):
    for label, (full, test) in piecewise.items():
        assert full.converged
        assert test.df == pub("RQ1 deviance tests", label, "df") == 3
        assert same_side(test.p, pub("RQ1 deviance tests", label, "p")), (label, test.p)


def test_rq1_effect_sizes(pcs, linear, appropriate, piecewise):
    calendar = {c: t for c, t in zip(pcs["data_cycle"], pcs["time"])}
    ends = [0.0, calendar[6]]
    pieces = {"base": lambda t: t, "increment": lambda t: np.maximum(t - calendar[3], 0)}
    logit = fixed_trajectory(appropriate.fixed_effects["estimate"], ends, {"time": 1})
    gains = {"Appropriate content": np.diff(3 / (1 + np.exp(-logit.to_numpy())))[0],
             "Solution paths": np.diff(fixed_trajectory(linear["Solution paths"], ends, {"time": 1}))[0],
             "Advancing questions": np.diff(fixed_trajectory(piecewise["Advancing questions"][0], ends,
                                                             pieces))[0],
             "Math content": np.diff(fixed_trajectory(piecewise["Math content"][0], ends, pieces))[0],
             "Composite": np.diff(fixed_trajectory(linear["Composite"], ends, {"time": 1}))[0]}
    d = {}
    for label, col in ITEMS.items():
        sd = pcs.groupby("data_cycle")[col].std()
        scale = 3 if label == "Appropriate content" else 1
        d[label] = gains[label] / (scale * (sd[1] + sd[6]) / 2)
    items = pd.Series(d).drop("Composite")
    assert abs(items.min() - pub("RQ1 effect sizes", "Items", "d_av min")) <= 0.10, items
    assert abs(items.max() - pub("RQ1 effect sizes", "Items", "d_av max")) <= 0.10, items
    assert abs(d["Composite"] - pub("RQ1 effect sizes", "Composite", "d_av")) <= 0.10, d["Composite"]


def test_rq1_two_level_variance_components(pcs, linear):
    out = hlm_variance_chisq(pcs, "composite", "teacher_id", ["time"], fit=linear["Composite"],
                             min_cases="at_least")
    panel = "RQ1 variance components"
    for tau, coef in [("tau0 (two-level)", "Intercept"), ("tau1 (two-level)", "time")]:
        assert out.loc[coef, "df"] == pub(panel, tau, "df") == 98
        assert same_side(out.loc[coef, "p"], pub(panel, tau, "p")), (tau, out.loc[coef, "p"])
    # HLM's "sufficient data" rule is what gives 98 df; one residual df per pair would not
    assert hlm_variance_chisq(pcs, "composite", "teacher_id", ["time"], fit=linear["Composite"]
                              ).loc["time", "df"] < 98


def test_rq1_three_level_variance_components(pcs):
    fit = fit_mixed("composite ~ time", pcs, "coach_id", re_formula="~ time",
                    vc_formula={"pair": "0 + C(teacher_id)", "pair_time": "0 + C(teacher_id):time"},
                    methods=[("powell", "lbfgs")])
    assert fit.converged
    vc = fit.variance_components["estimate"]
    out = hlm3_variance_chisq(pcs, "composite", "teacher_id", "coach_id", ["time"], fit=fit,
                              level2_variances={"Intercept": vc["var(pair)"], "time": vc["var(pair_time)"]})
    panel = "RQ1 variance components"
    between, within = "tau_beta1 (three-level: between coaches)", "tau_pi1 (three-level: teachers within coaches)"
    assert same_side(out.loc[("level 3", "time"), "p"], pub(panel, between, "p"))
    assert same_side(out.loc[("level 2", "time"), "p"], pub(panel, within, "p"))
    # df: 99 usable pairs (two or more preconferences) in 33 coaches, as in the paper: the two
    # partners of one Year 2 coach have a single preconference each (see coachbook.synth.tn)
    n_pairs = (pcs.groupby("teacher_id").size() >= 2).sum()
    usable = pcs.groupby("teacher_id").filter(lambda d: len(d) >= 2)["coach_id"].nunique()
    assert (n_pairs, usable) == (99, 33)
    assert out.loc[("level 2", "time"), "df"] == n_pairs - usable == pub(panel, within, "df") == 66
    assert out.loc[("level 3", "time"), "df"] == usable - 1 == pub(panel, between, "df") == 32


# --------------------------------------------------------------------------
# Growth in teaching (RQ2, RQ3)
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def teaching():
    lessons = data.load("tn/lessons")
    pcs = data.load("tn/preconferences")
    frame = lessons.join(code_time_polynomial(lessons["time"], degree=3, center=0).drop(columns="time"))
    frame["assist1"] = (frame["coach_assists"] == 1).astype(int)
    frame["assist2"] = (frame["coach_assists"] == 2).astype(int)
    first = lessons.sort_values(["teacher_id", "time"]).groupby("teacher_id").first()
    at_ceiling = (first["maintenance_of_demand"] == 8).astype(int)
    frame["ceiling"] = frame["teacher_id"].map(at_ceiling) - at_ceiling.mean()
    pcs["z"] = (pcs["composite"] - pcs["composite"].mean()) / pcs["composite"].std()
    pcs = pcs.join(person_mean_center(pcs, "z", "teacher_id"))
    depth = pcs.groupby("teacher_id")["z_between"].first()
    frame["depth"] = frame["teacher_id"].map(depth)
    return {"frame": frame, "pcs": pcs, "depth": depth, "span": lessons["time"].max(),
            "sd": pooled_within_sd(lessons, "opportunities", "data_cycle")}


def _fit(formula, frame, **kw):
    return fit_mixed(formula, frame, "teacher_id", methods=["bfgs"], **kw)


def _at_means(model, keep_out):
    exog = pd.DataFrame(model.result.model.exog, columns=model.result.model.exog_names)
    return exog.drop(columns=["Intercept"] + [c for c in exog if any(k in c for k in keep_out)]).mean().to_dict()


def test_rq2_gain_and_effect_sizes(teaching):
    fit = _fit(f"opportunities ~ time + time2 + time3 + {COVARIATES}", teaching["frame"])
    assert fit.converged
    path = fixed_trajectory(fit, [0.0, teaching["span"]], CUBIC, at=_at_means(fit, ["time"]))
    gain = path.iloc[-1] - path.iloc[0]
    panel, row = "RQ2 growth in teaching", "Teaching composite"
    assert within_20pct(gain, pub(panel, row, "gain (points; ~1.5 years)")), gain
    es = gain / teaching["sd"]
    assert abs(es - pub(panel, row, "effect size (~1.5 years)")) <= 0.10, es
    assert abs(es / teaching["span"] - pub(panel, row, "effect size (per year)")) <= 0.10


def test_rq3_depth_groups_and_effect_sizes(teaching):
    depth = teaching["depth"]
    group = pd.Series(np.select([depth <= -0.5, depth >= 0.5], ["Low depth", "High depth"], "Middle depth"),
                      index=depth.index)
    fit = _fit(f"opportunities ~ (time + time2 + time3) * (ceiling + depth) + {COVARIATES}", teaching["frame"])
    assert fit.converged
    others = _at_means(fit, ["time", "ceiling", "depth"])
    for name in ("Low depth", "Middle depth", "High depth"):
        assert (group == name).sum() == pub("RQ3 Figure 5 groups", name, "teachers")
        path = fixed_trajectory(fit, [0.0, teaching["span"]], CUBIC,
                                at={**others, "ceiling": 0.0, "depth": depth[group == name].mean()})
        es = (path.iloc[-1] - path.iloc[0]) / teaching["sd"]
        assert abs(es - pub("RQ3 Figure 5 groups", name, "effect size")) <= 0.10, (name, es)


def test_rq3_within_teacher_effect(teaching):
    within = teaching["pcs"].set_index("preconference_id")["z_within"]
    coached = teaching["frame"][teaching["frame"]["has_preconference"] == 1].copy()
    coached["within"] = coached["preconference_id"].map(within)
    assert len(coached) == coached["within"].notna().sum()
    fit = _fit("opportunities ~ (time + time2 + time3) * (ceiling + depth) + assist1 + assist2"
               " + C(rater_id) + within", coached)
    est = fit.fixed_effects.loc["within"]
    assert fit.converged and est["estimate"] > 0
    published = pub("RQ3 within-teacher effect", "Within-teacher preconference depth (per SD)", "beta")
    assert within_20pct(est["estimate"], published), est["estimate"]
    assert 0.01 <= est["p"] <= 0.15, est["p"]
    published_p = pub("RQ3 within-teacher effect", "Within-teacher preconference depth (per SD)", "p")
    assert same_side(est["p"], published_p)
