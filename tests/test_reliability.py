"""Tests of coachbook.estimators.agreement against published worked examples.

The data are copied from the sources cited in each test (they are tiny and
public); see ../shared/reference-cases/README.md.
"""
import numpy as np
import pandas as pd
import pytest

from coachbook.estimators.agreement import (rater_agreement, weighted_kappa,
                                            weighted_kappa_from_table)
from coachbook.estimators.effect_sizes import coefficient_of_variation, d_av, d_z, g_av
from coachbook.estimators.icc import icc, icc_wide

# Shrout & Fleiss (1979), Table 2: 6 targets (rows) x 4 judges (columns).
SHROUT_FLEISS = np.array(
    [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
)
# SAS PROC FREQ documentation, agreement example: rows rater 1, columns rater 2.
SAS_TABLE = np.array([[0, 4, 1], [0, 8, 0], [0, 1, 5]])
# Lakens (2013), movie ratings of 10 people.
MOVIE_1 = [9, 7, 8, 9, 8, 9, 9, 10, 9, 9]
MOVIE_2 = [9, 6, 7, 8, 7, 9, 8, 8, 8, 7]


def _long(table) -> pd.DataFrame:
    return pd.DataFrame(
        [(t, f"judge{j}", table[t, j]) for t in range(table.shape[0]) for j in range(table.shape[1])],
        columns=["target", "judge", "score"],
    )


def _pairs_from_table(table):
    """Expand a contingency table into two vectors of codes 1..k."""
    r1, r2 = [], []
    for i, j in zip(*np.nonzero(table)):
        r1 += [i + 1] * table[i, j]
        r2 += [j + 1] * table[i, j]
    return r1, r2


# --------------------------------------------------------------------------
# Published values
# --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "form, published",
    [("ICC(1,1)", 0.17), ("ICC(2,1)", 0.29), ("ICC(3,1)", 0.71),
     ("ICC(1,k)", 0.44), ("ICC(2,k)", 0.62), ("ICC(3,k)", 0.91)],
)
def test_icc_matches_shrout_fleiss_table_4(form, published):
    """Shrout & Fleiss (1979, Psychological Bulletin 86, p. 425, Table 4), data of
    their Table 2; k = 4, so ICC(1,k) is their ICC(1,4)."""
    assert round(icc_wide(SHROUT_FLEISS).loc[form, "icc"], 2) == published
    assert round(icc(_long(SHROUT_FLEISS), "target", "judge", "score").loc[form, "icc"], 2) == published


def test_icc_confidence_intervals_bracket_estimates():
    result = icc_wide(SHROUT_FLEISS)
    assert (result["ci95_low"] < result["icc"]).all()
    assert (result["icc"] < result["ci95_high"]).all()


@pytest.mark.parametrize(
    "weights, kappa, ase", [("none", 0.4842, 0.1380), ("linear", 0.4701, 0.1457)]
)
def test_kappa_matches_sas_proc_freq(weights, kappa, ase):
    """SAS/STAT PROC FREQ documentation, "Agreement Study" example output:
    simple kappa .4842 (ASE .1380); Cicchetti-Allison weighted kappa .4701 (ASE .1457)."""
    from_table = weighted_kappa_from_table(SAS_TABLE, weights=weights)
    assert round(from_table.kappa, 4) == kappa
    assert round(from_table.ase, 4) == ase
    assert from_table.n == 19
    from_codes = weighted_kappa(*_pairs_from_table(SAS_TABLE), categories=[1, 2, 3], weights=weights)
    assert from_codes == from_table


def test_paired_effect_sizes_match_lakens_2013():
    """Lakens (2013, Frontiers in Psychology 4:863), movie-rating example:
    t(9) = 4.74, d_z = 1.50, d_av = 1.13, g_av = 1.08."""
    assert round(d_z(MOVIE_1, MOVIE_2), 2) == 1.50
    assert round(d_z(MOVIE_1, MOVIE_2) * np.sqrt(10), 2) == 4.74  # t = d_z * sqrt(n)
    assert round(d_av(MOVIE_1, MOVIE_2), 2) == 1.13
    assert round(g_av(MOVIE_1, MOVIE_2), 2) == 1.08


# --------------------------------------------------------------------------
# Properties and small hand-checked cases
# --------------------------------------------------------------------------
@pytest.mark.parametrize("weights", ["none", "linear", "quadratic"])
def test_kappa_is_one_for_identical_ratings(weights):
    scores = [1, 2, 3, 4, 2, 3, 1, 4]
    result = weighted_kappa(scores, scores, weights=weights)
    assert result.kappa == pytest.approx(1.0)
    assert result.ase == pytest.approx(0.0, abs=1e-12)


def test_icc_is_symmetric_in_rater_order():
    shuffled = SHROUT_FLEISS[:, [2, 0, 3, 1]]
    pd.testing.assert_frame_equal(icc_wide(shuffled), icc_wide(SHROUT_FLEISS))


def test_declared_scale_keeps_unused_middle_code():
    """If nobody used 3, the observed codes 1, 2, 4 must not be treated as adjacent steps."""
    r1, r2 = [1, 2, 4, 4, 2, 1], [1, 4, 4, 2, 2, 2]
    declared = weighted_kappa(r1, r2, categories=[1, 2, 3, 4]).kappa
    observed_only = weighted_kappa(r1, r2).kappa
    assert declared != pytest.approx(observed_only)
    assert weighted_kappa(r1, r2, categories=[1, 2, 4]).kappa == pytest.approx(observed_only)


def test_rater_agreement_summary():
    master = [1, 2, 3, 4, 2, 3, 3, 1]
    trainee = [1, 3, 3, 4, 3, 3, 1, 1]
    summary = rater_agreement(master, trainee, categories=[1, 2, 3, 4])
    assert summary["n"] == 8
    assert summary["exact"] == pytest.approx(5 / 8)
    assert summary["adjacent"] == pytest.approx(7 / 8)
    assert summary["mean_difference"] == pytest.approx(0.0)  # +1, +1, -2
    assert summary["linear_kappa"] == pytest.approx(
        weighted_kappa(master, trainee, categories=[1, 2, 3, 4]).kappa
    )


def test_paired_effect_sizes_drop_incomplete_pairs():
    with_gap = MOVIE_1 + [np.nan], MOVIE_2 + [5.0]
    assert d_av(*with_gap) == pytest.approx(d_av(MOVIE_1, MOVIE_2))
    assert d_z(*with_gap) == pytest.approx(d_z(MOVIE_1, MOVIE_2))


def test_coefficient_of_variation():
    assert coefficient_of_variation([2, 4, 6]) == pytest.approx(2 / 4)
    assert coefficient_of_variation([2, 4, np.nan, 6]) == pytest.approx(0.5)


# --------------------------------------------------------------------------
# Bad inputs raise ValueError saying what is wrong
# --------------------------------------------------------------------------
def test_icc_rejects_missing_column():
    with pytest.raises(ValueError, match=r"missing column\(s\) \['rater'\]"):
        icc(_long(SHROUT_FLEISS), "target", "rater", "score")


def test_icc_rejects_non_numeric_ratings():
    data = _long(SHROUT_FLEISS).assign(score=lambda d: d["score"].astype(str))
    with pytest.raises(ValueError, match="must be numeric"):
        icc(data, "target", "judge", "score")
    with pytest.raises(ValueError, match="must be numeric"):
        icc_wide(pd.DataFrame({"a": ["1", "2"], "b": ["2", "3"]}))


def test_icc_rejects_single_rater():
    with pytest.raises(ValueError, match="at least 2 are needed"):
        icc_wide(SHROUT_FLEISS[:, :1])


def test_icc_rejects_single_target():
    with pytest.raises(ValueError, match="at least 2 rated targets"):
        icc_wide(SHROUT_FLEISS[:1, :])


def test_icc_rejects_unbalanced_design():
    data = _long(SHROUT_FLEISS).iloc[1:]  # target 0 lacks judge0's score
    with pytest.raises(ValueError, match=r"unbalanced: target\(s\) \[0\]"):
        icc(data, "target", "judge", "score")


def test_icc_rejects_missing_and_duplicate_ratings():
    data = _long(SHROUT_FLEISS).astype({"score": float})
    data.loc[3, "score"] = np.nan
    with pytest.raises(ValueError, match="missing"):
        icc(data, "target", "judge", "score")
    doubled = pd.concat([_long(SHROUT_FLEISS), _long(SHROUT_FLEISS).iloc[:1]])
    with pytest.raises(ValueError, match="more than once"):
        icc(doubled, "target", "judge", "score")


def test_kappa_names_ratings_outside_categories():
    with pytest.raises(ValueError, match=r"rating\(s\) \[0, 5\] are not among"):
        weighted_kappa([1, 2, 5], [0, 2, 3], categories=[1, 2, 3, 4])


def test_kappa_rejects_unequal_lengths_and_empty_input():
    with pytest.raises(ValueError, match="rater1 has 3 ratings and rater2 has 2"):
        weighted_kappa([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="empty"):
        weighted_kappa([], [])
    with pytest.raises(ValueError, match="empty"):
        weighted_kappa_from_table([[0, 0], [0, 0]])


def test_kappa_rejects_bad_weights_tables_and_one_category():
    with pytest.raises(ValueError, match="weights must be one of"):
        weighted_kappa([1, 2], [1, 2], weights="cubic")
    with pytest.raises(ValueError, match="must be square"):
        weighted_kappa_from_table([[1, 2, 3], [4, 5, 6]])
    with pytest.raises(ValueError, match="single category"):
        weighted_kappa([2, 2], [2, 2], categories=[1, 2, 3])
    with pytest.raises(ValueError, match="missing codes"):
        weighted_kappa([1, None], [1, 2])


def test_rater_agreement_needs_numeric_scores():
    with pytest.raises(ValueError, match="numeric scores"):
        rater_agreement(["low", "high"], ["high", "high"])


def test_paired_effect_sizes_reject_bad_pairs():
    with pytest.raises(ValueError, match="x1 has 3 values and x2 has 2"):
        d_av([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match=r"only 1 complete pair\(s\)"):
        g_av([1, np.nan], [2, 3])
    with pytest.raises(ValueError, match="SD of differences is 0"):
        d_z([1, 2, 3], [2, 3, 4])
    with pytest.raises(ValueError, match="both SDs are 0"):
        d_av([1, 1, 1], [2, 2, 2])


def test_coefficient_of_variation_rejects_zero_mean_and_short_input():
    with pytest.raises(ValueError, match="mean is 0"):
        coefficient_of_variation([-1, 1])
    with pytest.raises(ValueError, match="at least 2 non-missing values"):
        coefficient_of_variation([3, np.nan])


# --------------------------------------------------------------------------
# Repeated-measures tests (rm_anova, rm_logistic) and icc_by_group
# --------------------------------------------------------------------------
from coachbook.estimators.icc import icc_by_group  # noqa: E402
from coachbook.estimators.repeated_measures import rm_anova, rm_logistic  # noqa: E402


def _movies_long() -> pd.DataFrame:
    return pd.DataFrame({"person": list(range(10)) * 2, "movie": [1] * 10 + [2] * 10,
                         "rating": MOVIE_1 + MOVIE_2})


def _panel(n_subjects=30, n_levels=4, seed=7, drop=0.0) -> pd.DataFrame:
    """Random-intercept panel with a linear trend; optionally drop some occasions."""
    rng = np.random.default_rng(seed)
    panel = pd.DataFrame({"subject": np.repeat(np.arange(n_subjects), n_levels),
                          "time": np.tile(np.arange(1, n_levels + 1), n_subjects)})
    panel["y"] = (rng.normal(size=n_subjects)[panel["subject"]] + 0.3 * panel["time"]
                  + rng.normal(size=len(panel)))
    if drop:
        panel = panel[rng.random(len(panel)) > drop]
    return panel.reset_index(drop=True)


@pytest.mark.parametrize("method", ["mixed", "classic"])
def test_rm_anova_two_occasions_matches_lakens_paired_t(method):
    """Lakens (2013) movie example: t(9) = 4.74, so a two-level repeated-measures
    ANOVA gives F(1, 9) = t^2."""
    result = rm_anova(_movies_long(), "person", "movie", "rating", method=method)
    assert round(np.sqrt(result.statistic), 2) == 4.74
    assert (result.df1, result.df2) == (1, pytest.approx(9.0, abs=1e-3))
    assert result.means.round(1).tolist() == [8.7, 7.7]


def test_rm_anova_mixed_equals_classic_on_balanced_data():
    """With every subject at every occasion, the compound-symmetry mixed model's F
    equals the univariate repeated-measures F and Satterthwaite gives (n-1)(k-1)."""
    panel = _panel()
    mixed = rm_anova(panel, "subject", "time", "y")
    classic = rm_anova(panel, "subject", "time", "y", method="classic")
    assert mixed.statistic == pytest.approx(classic.statistic, rel=1e-5)
    assert mixed.df2 == pytest.approx(29 * 3, rel=1e-3)
    assert classic.df2 == 29 * 3
    assert mixed.p_value == pytest.approx(classic.p_value, rel=1e-3)


def test_rm_anova_mixed_matches_statsmodels_reml_on_unbalanced_data():
    """Variance components and the Wald F agree with statsmodels MixedLM (REML)."""
    import statsmodels.formula.api as smf

    panel = _panel(drop=0.25)
    ours = rm_anova(panel, "subject", "time", "y", singletons="keep")
    model = smf.mixedlm("y ~ C(time)", panel, groups="subject")
    fit = model.fit(reml=True, method=["powell", "lbfgs"])
    assert ours.details["tau2"] == pytest.approx(float(fit.cov_re.iloc[0, 0]), rel=1e-3)
    assert ours.details["sigma2"] == pytest.approx(float(fit.scale), rel=1e-3)
    names = [n for n in fit.params.index if n.startswith("C(time)")]
    b = fit.params[names].to_numpy()
    V = fit.cov_params().loc[names, names].to_numpy()
    assert ours.statistic == pytest.approx(b @ np.linalg.solve(V, b) / len(b), rel=1e-3)
    # unbalanced: df2 lies between the within-subject and the total residual df
    assert 3 * (panel["subject"].nunique() - 1) * 0.5 < ours.df2 < len(panel) - 4
    classic = rm_anova(panel, "subject", "time", "y", method="classic", singletons="keep")
    assert classic.details["subjects_dropped"] > 0
    assert classic.n_subjects + classic.details["subjects_dropped"] == panel["subject"].nunique()



def _anova_by_hand(panel):
    """Balanced one-way repeated measures: mean squares, F and the REML variance components."""
    wide = panel.pivot(index="subject", columns="time", values="y").to_numpy()
    n, k = wide.shape
    grand = wide.mean()
    ss_time = n * ((wide.mean(axis=0) - grand) ** 2).sum()
    ss_subject = k * ((wide.mean(axis=1) - grand) ** 2).sum()
    ss_error = ((wide - grand) ** 2).sum() - ss_time - ss_subject
    ms_time, ms_subject = ss_time / (k - 1), ss_subject / (n - 1)
    ms_error = ss_error / ((n - 1) * (k - 1))
    return {"F": ms_time / ms_error, "df2": (n - 1) * (k - 1), "sigma2": ms_error,
            "tau2": (ms_subject - ms_error) / k, "means": wide.mean(axis=0)}


def test_rm_anova_mixed_equals_the_closed_form_on_balanced_data():
    """Balanced compound symmetry has closed forms: REML sigma2 = MS_error, tau2 =
    (MS_subject - MS_error) / k, F = MS_time / MS_error on (k-1, (n-1)(k-1)) df.
    The converged fit reproduces them to rounding (not just to the optimizer's tolerance)."""
    panel = _panel()
    ours = rm_anova(panel, "subject", "time", "y")
    want = _anova_by_hand(panel)
    assert ours.details["converged"]
    assert ours.statistic == pytest.approx(want["F"], rel=1e-10)
    assert ours.df2 == pytest.approx(want["df2"], rel=1e-10)
    assert ours.details["sigma2"] == pytest.approx(want["sigma2"], rel=1e-10)
    assert ours.details["tau2"] == pytest.approx(want["tau2"], rel=1e-10)
    np.testing.assert_allclose(ours.means.to_numpy(), want["means"], rtol=1e-12)


def _dense_reml(theta, y, X, groups):
    """REML deviance, gradient and Hessian with n x n matrices (Harville 1977)."""
    t2, s2 = theta
    z = (groups[:, None] == np.arange(groups.max() + 1)).astype(float)
    dv = [z @ z.T, np.eye(len(y))]
    v_inv = np.linalg.inv(s2 * dv[1] + t2 * dv[0])
    xvx = X.T @ v_inv @ X
    p = v_inv - v_inv @ X @ np.linalg.solve(xvx, X.T @ v_inv)
    beta = np.linalg.solve(xvx, X.T @ v_inv @ y)
    r = y - X @ beta
    dev = -np.linalg.slogdet(v_inv)[1] + np.linalg.slogdet(xvx)[1] + r @ v_inv @ r
    grad = np.array([np.trace(p @ d) - y @ p @ d @ p @ y for d in dv])
    hess = np.array([[-np.trace(p @ a @ p @ b) + 2 * y @ p @ a @ p @ b @ p @ y for b in dv]
                     for a in dv])
    return dev, grad, hess, beta


def test_compound_symmetry_derivatives_equal_the_dense_formulas():
    from coachbook.estimators.compound_symmetry import _CompoundSymmetry

    rng = np.random.default_rng(1)
    sizes = rng.integers(1, 6, 12)
    groups = np.repeat(np.arange(12), sizes)
    n = len(groups)
    X = np.column_stack([np.ones(n), rng.integers(0, 2, n), rng.standard_normal(n)])
    y = X @ [1.0, 0.4, -0.3] + rng.standard_normal(12)[groups] + rng.standard_normal(n)
    theta = np.array([0.7, 1.3])
    ours = _CompoundSymmetry(y, X, groups).parts(theta)
    dev, grad, hess, beta = _dense_reml(theta, y, X, groups)
    assert ours["deviance"] == pytest.approx(dev, rel=1e-12)
    np.testing.assert_allclose(ours["grad"], grad, rtol=1e-10)
    np.testing.assert_allclose(ours["hess"], hess, rtol=1e-10)
    np.testing.assert_allclose(ours["beta"], beta, rtol=1e-10)
    # and the gradient is the derivative of the deviance (central differences)
    h = 1e-5
    fd = [(_dense_reml(theta + e, y, X, groups)[0] - _dense_reml(theta - e, y, X, groups)[0])
          / (2 * h) for e in np.eye(2) * h]
    np.testing.assert_allclose(ours["grad"], fd, rtol=1e-6)


def test_rm_anova_mixed_reports_converged_only_at_a_maximum():
    from coachbook.estimators.compound_symmetry import _CompoundSymmetry, _cs_converged, _cs_reml

    panel = _panel(drop=0.25)
    X = np.column_stack([np.ones(len(panel))] + [(panel["time"] == t).to_numpy(float)
                                                 for t in (2, 3, 4)])
    groups = pd.factorize(panel["subject"])[0]
    cs = _CompoundSymmetry(panel["y"].to_numpy(), X, groups)
    theta, pt, converged = _cs_reml(cs, 1.0)
    assert converged and theta[0] > 0
    # a zero gradient to rounding, at a minimum of the deviance
    assert np.max(np.abs(pt["grad"]) * theta) < 1e-9
    assert np.all(np.linalg.eigvalsh(pt["hess"]) > 0)
    # anywhere else it is not converged
    for off in ([1.5, 1.0], [1.0, 0.8], [0.0, 1.0]):
        other = theta * np.array(off)
        assert not _cs_converged(other, cs.parts(other), 1.0), off


def test_rm_anova_mixed_on_the_boundary_tau2_is_zero():
    """Subjects' means vary less than chance: the REML optimum is tau2 = 0 (OLS)."""
    rng = np.random.default_rng(5)
    e = rng.standard_normal((40, 4))
    panel = pd.DataFrame({"subject": np.repeat(np.arange(40), 4), "time": np.tile([1, 2, 3, 4], 40),
                          "y": (e - 0.9 * e.mean(axis=1, keepdims=True)).ravel()})
    ours = rm_anova(panel, "subject", "time", "y")
    assert ours.details["tau2"] == 0.0
    assert ours.details["converged"]
    want = _anova_by_hand(panel)
    # with tau2 = 0 the REML residual variance is the OLS one on n k - k df
    ss_within = want["sigma2"] * want["df2"] + (want["tau2"] * 4 + want["sigma2"]) * 39
    assert ours.details["sigma2"] == pytest.approx(ss_within / (160 - 4), rel=1e-10)


def _binary_panel(seed=3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    panel = pd.DataFrame({"subject": np.repeat(np.arange(60), 3), "time": np.tile([1, 2, 3], 60)})
    logit = -0.2 + 0.6 * (panel["time"] - 1) + rng.normal(size=60)[panel["subject"]]
    panel["y"] = (rng.random(len(panel)) < 1 / (1 + np.exp(-logit))).astype(int)
    return panel


def test_rm_logistic_wald_matches_statsmodels_and_raw_shares():
    import statsmodels.api as sm

    panel = _binary_panel()
    ours = rm_logistic(panel, "subject", "time", "y", correlation="independence")
    # With an independence working correlation and occasion indicators only,
    # the estimated marginal probabilities are the raw shares.
    np.testing.assert_allclose(ours.means.to_numpy(), panel.groupby("time")["y"].mean(), atol=1e-6)
    X = np.column_stack([np.ones(len(panel)), panel["time"] == 2, panel["time"] == 3]).astype(float)
    fit = sm.GEE(panel["y"], X, groups=panel["subject"], family=sm.families.Binomial(),
                 cov_struct=sm.cov_struct.Exchangeable()).fit()
    theirs = fit.wald_test(np.eye(3)[1:], scalar=True)
    exch = rm_logistic(panel, "subject", "time", "y")
    assert exch.statistic == pytest.approx(float(theirs.statistic), rel=1e-6)
    assert exch.df1 == 2 and np.isnan(exch.df2)
    assert 0 < exch.details["working_correlation"] < 1


def test_rm_logistic_is_converged_far_below_display_precision():
    """statsmodels' default stopping rule (score norm 1e-6) leaves the exchangeable GEE of
    the Tennessee preconferences about 1e-9 from its solution, so where it stops moves with
    the BLAS kernel; rm_logistic iterates to rounding."""
    import statsmodels.api as sm

    from coachbook.book import data
    from coachbook.estimators.repeated_measures import _level_design

    pre = data.load("tn/preconferences")
    ours = rm_logistic(pre, "teacher_id", "data_cycle", "appropriate_content", singletons="keep")
    long = (pre[["teacher_id", "data_cycle", "appropriate_content"]].dropna()
            .sort_values(["teacher_id", "data_cycle"]))
    X = _level_design(long["data_cycle"], sorted(long["data_cycle"].unique()))
    model = sm.GEE(long["appropriate_content"].to_numpy(float), X,
                   groups=pd.factorize(long["teacher_id"])[0], family=sm.families.Binomial(),
                   cov_struct=sm.cov_struct.Exchangeable())
    tight = model.fit(ctol=1e-13, maxiter=500)
    theirs = float(tight.wald_test(np.eye(X.shape[1])[1:], scalar=True).statistic)
    assert ours.details["converged"]
    assert ours.statistic == pytest.approx(theirs, rel=1e-11)
    assert ours.details["working_correlation"] == pytest.approx(
        float(tight.cov_struct.dep_params), rel=1e-10)


def test_icc_by_group_matches_icc_on_each_subset():
    data = _long(SHROUT_FLEISS).assign(kind=lambda d: np.where(d["target"] < 3, "a", "b"))
    table = icc_by_group(data, "target", "judge", "score", by="kind", form="ICC(2,1)")
    assert table.index.tolist() == ["a", "b", "all"]
    whole = icc(data, "target", "judge", "score").loc["ICC(2,1)", "icc"]
    part = icc(data[data["kind"] == "b"], "target", "judge", "score").loc["ICC(2,1)", "icc"]
    assert table.loc["all", "icc"] == pytest.approx(whole)
    assert table.loc["b", "icc"] == pytest.approx(part)
    assert table["n_targets"].tolist() == [3, 3, 6]


def test_rm_anova_rejects_subject_with_one_time_point():
    panel = _panel()
    lone = pd.concat([panel, pd.DataFrame({"subject": [99], "time": [1], "y": [0.5]})])
    with pytest.raises(ValueError, match=r"1 subject\(s\) have a single time point.*\[99\]"):
        rm_anova(lone, "subject", "time", "y")
    with pytest.raises(ValueError, match="single time point"):
        rm_logistic(_binary_panel().iloc[2:], "subject", "time", "y")
    kept = rm_anova(lone, "subject", "time", "y", singletons="keep")
    dropped = rm_anova(lone, "subject", "time", "y", singletons="drop")
    assert (kept.n_subjects, dropped.n_subjects) == (31, 30)
    with pytest.raises(ValueError, match="singletons must be one of"):
        rm_anova(lone, "subject", "time", "y", singletons="ignore")


def test_rm_anova_rejects_ratings_outside_the_scale():
    panel = _panel()
    with pytest.raises(ValueError, match=r"must lie on the scale 0-3; found \d+ rating"):
        rm_anova(panel, "subject", "time", "y", scale=(0, 3))
    panel["y"] = panel["y"].clip(0, 3)
    assert rm_anova(panel, "subject", "time", "y", scale=(0, 3)).df1 == 3


def test_repeated_measures_reject_bad_designs():
    panel = _panel()
    with pytest.raises(ValueError, match="single level"):
        rm_anova(panel[panel["time"] == 1], "subject", "time", "y", singletons="drop")
    with pytest.raises(ValueError, match="appear more than once"):
        rm_anova(pd.concat([panel, panel.iloc[:1]]), "subject", "time", "y")
    with pytest.raises(ValueError, match="method must be"):
        rm_anova(panel, "subject", "time", "y", method="glm")
    with pytest.raises(ValueError, match=r"missing column\(s\) \['score'\]"):
        rm_anova(panel, "subject", "time", "score")
    with pytest.raises(ValueError, match="only 1 subject"):
        sparse = pd.DataFrame({"subject": [1, 1, 2, 2, 3, 3], "time": [1, 2, 1, 3, 2, 3],
                               "y": [1.0, 2.0, 2.0, 3.0, 1.0, 2.0]})
        rm_anova(pd.concat([sparse, pd.DataFrame({"subject": [4, 4, 4], "time": [1, 2, 3],
                                                  "y": [1.0, 2.0, 4.0]})]),
                 "subject", "time", "y", method="classic")


def test_rm_logistic_rejects_non_binary_and_degenerate_levels():
    panel = _binary_panel()
    with pytest.raises(ValueError, match="must be coded 0/1"):
        rm_logistic(panel.assign(y=panel["y"] * 2), "subject", "time", "y")
    with pytest.raises(ValueError, match=r"level\(s\) \[3\].*all 0 or all 1"):
        rm_logistic(panel.assign(y=np.where(panel["time"] == 3, 1, panel["y"])),
                    "subject", "time", "y")
    with pytest.raises(ValueError, match="correlation must be one of"):
        rm_logistic(panel, "subject", "time", "y", correlation="ar1")


def test_icc_by_group_rejects_single_rater_and_bad_arguments():
    data = _long(SHROUT_FLEISS).assign(kind=lambda d: np.where(d["target"] < 3, "a", "b"))
    one_rater = data[(data["kind"] == "a") | (data["judge"] == "judge0")]
    with pytest.raises(ValueError, match=r"subset 'b' has ratings from a single rater"):
        icc_by_group(one_rater, "target", "judge", "score", by="kind")
    with pytest.raises(ValueError, match="not a Shrout-Fleiss form"):
        icc_by_group(data, "target", "judge", "score", by="kind", form="ICC(4,1)")
    with pytest.raises(ValueError, match="must be constant within a target"):
        icc_by_group(data.assign(kind=np.arange(len(data)) % 2), "target", "judge", "score",
                     by="kind")
