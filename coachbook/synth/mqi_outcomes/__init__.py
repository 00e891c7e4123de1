"""Synthetic outcome files of the MQI Coaching trial, calibrated with the estimators of Tables 5-7.

Kraft and Hill (2019) measured four kinds of outcome for the 142 teachers of
their block-randomized trial: teachers' written reflections on video (Table 5),
students' survey reports of *Ambitious Instruction* (Table 6), MQI scores of
follow-up-year lesson video (Table 6) and students' math test scores
(Table 7). The data are confidential; :func:`generate_outcomes` builds
synthetic files *given* the teachers table of :mod:`.mqi_roster`, whose 0/1
``observed_*`` flags (Table A1) decide which teacher has which outcome. The
paper's estimators, which the chapters use and the calibration below targets,
are in :mod:`coachbook.studies.kraft_hill` (``table5_estimates`` ...
``table7_estimates``).

Files
-----
``mqi/reflections``
    One row per teacher-year with a reflection survey: MQI language, Critique
    and Change (raw scale; the estimators standardize by the control group of
    each year, as the paper does).
``mqi/student_survey``
    One row per student response: 11 ordinal (1-5) Ambitious Instruction
    items. The scale is the mean of the 11 items, standardized by the control
    students of the year (:func:`coachbook.studies.kraft_hill.ambitious_scale`); the paper used a graded
    response model instead.
``mqi/mqi_segments``
    One row per 7.5-minute lesson segment of the follow-up year: 16 MQI items
    scored 0-3 in four domains (Appendix A), the lesson and the rater.
``mqi/student_tests``
    One row per student-year: state and interim (MAP; Star in the suburban
    district in the follow-up year) math scores in SD units, prior-year math
    and reading scores on both tests (with missing values), demographics and
    grade.

How the data are generated
--------------------------
Every outcome is a latent teacher-level quality plus lower-level noise,
pushed through the measurement (counts, Likert items, 0-3 rubric items,
test scores). The teacher latent mixes a general instructional quality shared
by all outcomes, a small prognostic index of the teacher controls (a fixed
random combination of ``TEACHER_CONTROLS``) and outcome-specific noise.
Treated teachers get a shift ``delta1`` plus ``sigma_het * r_j``, where the
responsiveness ``r_j`` (mean 0, SD 1 among the treated) rises with the
teacher's coaching cycles in the roster and has a skewed part
(:func:`_responsiveness`). Fixed design choices (assumed, not published):
the item loadings and thresholds, the lesson and rater noise, the student
demographics by district, the prior-score loadings and missingness model.
Taken from the paper: every sample size (Tables 5-7, Text), 4.8 lessons per
teacher and 6,415 segments, the MQI reliabilities (0.67 Richness, 0.74 Common
Core practices, 0.75 Working with students, 0.56 Errors), the segment shares
and linear-probability effects (Findings), and prior-score coverage
(endnote 6).

* ``mqi/reflections``: counts per response are Poisson (inverse CDF of fixed
  uniforms) with rate ``base x exp(sd x latent + delta2 x h_j + T x
  sigma_het x r_j) + T x delta1``; the measure averages 3 stock-clip
  responses (MQI language) or the 2 lesson reflections (Critique; Change
  capped at 3).
* ``mqi/student_survey``: student latent = ``teacher_sd x teacher latent +
  delta2 x h_j + T x (delta1 + 0.15 r_j) + N(0, 1)``; each item is
  ``loading x latent + unique noise`` cut at 4 item-specific thresholds.
* ``mqi/mqi_segments``: per domain, a segment's latent is ``mu + teacher_sd x
  theta_j x (1 + omega T) + delta2 x h_j + T x (delta1 + sigma_het x r_j) +
  lesson N(0, 0.3^2) + segment N(0, segment_sd^2) + rater N(0, 0.1^2)``; an
  item score counts the cut points 0.5, 1.5, 2.5 below latent + item offset +
  N(0, 0.6^2). ``omega`` lets coaching widen or narrow the spread of treated
  teachers, ``kappa`` sets the skewness of ``r_j`` (orthogonalized to
  ``theta_j`` among the treated); both shape the Lee bounds.
* ``mqi/student_tests``: ability = district mean + class composition +
  demographics + N(0, 1), standardized; the four prior scores are loading x
  ability + noise, missing in pairs (more often for FRL and LEP students);
  score = ``ability_loading x ability + teacher_sd x u_j + delta2 x h_j +
  T x (delta1 + 0.05 r_j) + noise``.

Calibration (post-hoc, transparent)
-----------------------------------
Some parameters of every published cell are then *solved for*, so that the
paper's estimators, run on the generated data, return the published numbers.
The solver uses the fast forms of the estimators (OLS with HC1 on design
matrices, :func:`coachbook.estimators.ols.fit`, for
:func:`coachbook.estimators.rct.itt`; the random-intercept designs of
:mod:`coachbook.estimators.random_intercept` for the mixed models; the same
imputations); the tests run the estimators themselves.

* ``delta1``, the treatment shift, targets the preferred estimate (column
  "Controls"). For test scores it is exact: ``delta1 = round(published -
  estimate, 3)`` is added to treated students' scores, which moves the REML
  estimate one for one.
* ``delta2`` is the loading of ``h_j``, the teacher-level covariate index
  along which the analytic sample's treated and control teachers happen to
  differ: ``h = X_r S^{-1} d / (d' S^{-1} d)`` with ``X_r`` the controls
  residualized on the block dummies, ``S`` their covariance and ``d`` their
  block-adjusted treatment-control difference (:func:`_imbalance_direction`).
  ``h`` is a linear function of the controls and blocks, so it leaves the
  with-controls estimate unchanged and moves the unconditional one by
  ``delta2``: it reproduces the chance imbalance that separates the published
  unconditional and with-controls estimates.
* Dispersion parameters target the standard errors: ``sigma_het``
  (reflections), ``teacher_sd`` (survey), ``ability_loading`` and
  ``teacher_sd`` (tests: unconditional and with-controls SE).
* MQI domains: ``mu``, ``segment_sd``, ``teacher_sd``, ``delta1``, ``delta2``,
  ``sigma_het``, ``kappa`` and ``omega`` are fitted by least squares to the
  control share of Mid/High segments, the segment-level LPM effect, the
  reliability, both estimates, both SEs, the t statistic of the preferred
  estimate and the two Lee bounds (Errors: no segment targets, ``mu`` and
  ``segment_sd`` fixed). The Lee bounds targeted are trimmed by whole
  teachers (``trimming="quantile"``), the rule the bundled files were
  calibrated with; the estimators report the sharp bounds, which cut the
  teacher at the cut point in part. The Lee bounds of Ambitious Instruction
  and of the test scores are not targeted; they follow from the design.

The solver (:func:`_solve`, Levenberg-Marquardt on finite differences, run in
stages and from several starts by :func:`_staged_solve`) rounds every
parameter to 3 decimals at every step, so that regeneration cannot flip on
the last digits of a float. All randomness is drawn before calibration
(common random numbers), so the files are a deterministic function of the
seed and the teachers table. :func:`calibration_report` lists the solved
values and how close each cell came.

The estimators
--------------
The estimators of Tables 5-7 are
:func:`coachbook.studies.kraft_hill.table5_estimates`, ``table6_estimates``
and ``table7_estimates``: equation 1 (teacher outcomes) by
:func:`coachbook.estimators.rct.itt`, equations 2 and 3 by the
random-intercept REML of :mod:`coachbook.estimators.random_intercept`,
Table 7's preferred model over 20 imputations of the missing prior scores
pooled by Rubin's rules, and the Lee bounds of the follow-up year by
:func:`coachbook.estimators.lee_fe.lee_bounds_fe` (sharp trimming).

All randomness comes from ``numpy.random.default_rng([seed, k])`` with a
fixed key ``k`` per file; floats are rounded to 4 decimals; rows are sorted
by year and teacher (then student, or lesson and segment).

References
----------
Kraft, M. A., & Hill, H. C. (2019). Developing ambitious mathematics
instruction through web-based coaching: A randomized field trial.
EdWorkingPaper 19-119 (Tables 5-7, A1; equations 1-3; endnote 6).
Lee, D. S. (2009). Training, wages, and sample selection: Estimating sharp
bounds on treatment effects. *Review of Economic Studies*, 76(3), 1071-1102.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from coachbook.estimators import ols
from coachbook.estimators.lee import _bound_weights, _trim_share
from coachbook.estimators.random_intercept import _RIDesign
from coachbook.studies.kraft_hill.tables import _pool, _t7_cell
from coachbook.studies.kraft_hill.variables import (AMBITIOUS_ROW, CONTROLS, IMPUTATION_SEED,
                                                    IMPUTATIONS, LOWER, LPM_ROW, MQI_DOMAINS,
                                                    MQI_ITEMS, N_STUDENTS, N_TEACHERS, PAPER, REFLECTIONS,
                                                    PRIOR_SCORES, RACES, SURVEY_ITEMS,
                                                    T5_PANEL, T67_PANEL, T7_ROW, TABLE_A1_FLAGS,
                                                    TEACHER_CONTROLS, TESTS, UNCOND, UPPER)

from . import FileSpec, Variable

__all__ = ["OUTCOMES_CODEBOOK", "calibration_report", "generate_outcomes"]


# Sub-stream keys, one per file (plus one for the teacher latents).
_STREAMS = {"teacher": 51, "reflections": 52, "survey": 53, "segments": 54, "tests": 55}

def _published() -> pd.DataFrame:
    from coachbook.book import published
    return published.load(PAPER)


def _pub(numbers, table, panel, row, column, what="estimate") -> float:
    hit = numbers[(numbers["table"] == table) & (numbers["panel"] == panel)
                  & (numbers["row"] == row) & (numbers["column"] == column)]
    if hit.empty:
        raise KeyError(f"no published number at {table!r}/{panel!r}/{row!r}/{column!r}")
    return float(hit.iloc[0][what])


def _rng(seed: int, key: str) -> np.random.Generator:
    return np.random.default_rng([int(seed), _STREAMS[key]])


def _imbalance_direction(treat: np.ndarray, blocks: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Teacher-level covariate index whose block-adjusted treatment-control difference is 1.

    ``h = X_r S^{-1} d / (d' S^{-1} d)``: ``X_r`` the controls residualized on
    the block dummies, ``S`` their covariance, ``d`` their block-adjusted
    treatment-control difference. ``h`` is a linear function of the controls
    and blocks, so adding it to an outcome leaves the with-controls estimate
    unchanged and moves the unconditional (block FE only) estimate by exactly
    its loading.
    """
    Z = np.column_stack([np.ones(len(treat)), blocks])
    resid = lambda v: v - Z @ np.linalg.lstsq(Z, v, rcond=None)[0]  # noqa: E731
    xr, tr = resid(X), resid(treat.astype(float))
    d = xr.T @ tr / (tr @ tr)
    s = xr.T @ xr / len(treat)
    g = np.linalg.pinv(s) @ d
    h = xr @ g
    return h / float((h @ tr) / (tr @ tr))


def _solve(fun, x0, target, scale, lower, upper, step, tol=0.2, max_iter=30):
    """Solve ``fun(x) = target`` by Levenberg-Marquardt on finite differences.

    Residuals are measured in units of ``scale``; iteration stops once every
    scaled residual is below ``tol``. Parameters are kept inside
    ``[lower, upper]`` and rounded to 3 decimals at every step (so the result
    cannot depend on the last digits of a float). Returns the best parameter
    vector seen and its scaled residuals.
    """
    target, scale = np.asarray(target, float), np.asarray(scale, float)
    lower, upper, step = (np.asarray(v, float) for v in (lower, upper, step))
    clip = lambda x: np.round(np.clip(x, lower, upper), 3)  # noqa: E731
    resid = lambda x: (np.asarray(fun(x), float) - target) / scale  # noqa: E731
    x = clip(np.asarray(x0, float))
    f = resid(x)
    mu = 1e-3
    for _ in range(max_iter):
        if np.max(np.abs(f)) <= tol:
            break
        jac = np.empty((len(f), len(x)))
        for i in range(len(x)):
            xi = x.copy()
            xi[i] = np.round(x[i] + (step[i] if x[i] + step[i] <= upper[i] else -step[i]), 3)
            jac[:, i] = (resid(xi) - f) / (xi[i] - x[i])
        jtj, jtf = jac.T @ jac, jac.T @ f
        damp = np.diag(np.diag(jtj)) + 1e-12 * np.eye(len(x))
        improved = False
        for _ in range(10):
            xn = clip(x + np.linalg.solve(jtj + mu * damp, -jtf))
            if not np.array_equal(xn, x):
                fn = resid(xn)
                if np.linalg.norm(fn) < np.linalg.norm(f):
                    x, f, improved = xn, fn, True
                    mu = max(mu / 5, 1e-6)
                    break
            mu *= 5
        if not improved:
            break
    return x, f


def _staged_solve(metrics, names, x0, spec, lower, upper, step, stages, restarts=(), tol=1.0):
    """Calibrate in stages, from several starts; keep the fit with the smallest worst residual.

    ``metrics(x)`` returns a dict of statistics; ``spec`` maps a statistic to
    ``(target, scale)``. Each stage is ``(parameters, statistics)``: only those
    parameters move (the others stay at their current values) to fit those
    statistics; the last stage should free everything. ``restarts`` are dicts
    of parameter values that replace the defaults ``x0`` for another attempt.
    Returns ``(x, scaled residuals of every statistic in spec)``.
    """
    keys = list(spec)
    lower, upper, step = (np.asarray(v, float) for v in (lower, upper, step))
    best = None
    for override in [{}, *restarts]:
        x = np.array([override.get(n, v) for n, v in zip(names, x0)], float)
        for free_names, stat_keys in stages:
            free = np.array([names.index(n) for n in free_names])

            def fun(p, x=x, free=free, stat_keys=stat_keys):
                full = x.copy()
                full[free] = p
                m = metrics(full)
                return [m[k] for k in stat_keys]

            p, _ = _solve(fun, x[free], [spec[k][0] for k in stat_keys],
                          [spec[k][1] for k in stat_keys], lower[free], upper[free], step[free],
                          tol=tol)
            x = x.copy()
            x[free] = p
        m = metrics(x)
        res = np.array([(m[k] - spec[k][0]) / spec[k][1] for k in keys])
        if best is None or np.max(np.abs(res)) < np.max(np.abs(best[1])):
            best = (x, res)
        if np.max(np.abs(best[1])) <= tol:
            break
    return best


def _allocate(total: int, weights: np.ndarray, minimum: int = 1) -> np.ndarray:
    """Integers >= minimum, proportional to weights, summing exactly to total."""
    weights = np.asarray(weights, float)
    k = len(weights)
    free = total - minimum * k
    if free < 0:
        raise ValueError(f"cannot give {k} units at least {minimum} each out of {total}")
    raw = free * weights / weights.sum()
    out = np.floor(raw).astype(int)
    short = free - out.sum()
    out[np.argsort(-(raw - out), kind="stable")[:short]] += 1
    return out + minimum


def _moment_match(z: np.ndarray) -> np.ndarray:
    return (z - z.mean()) / z.std()


# ---------------------------------------------------------------------------
# Teachers: preparation and shared latents
# ---------------------------------------------------------------------------
_FLAGS = list(TABLE_A1_FLAGS.values())   # the nine observed_* flags of the teachers file


def _prepare_teachers(teachers: pd.DataFrame) -> pd.DataFrame:
    from coachbook.estimators._validate import require_columns
    controls = list(TEACHER_CONTROLS)
    require_columns(teachers, ["teacher_id", "school_id", "district", "block", "treatment",
                               "grade", *controls, *_FLAGS], "teachers")
    districts = set(teachers["district"])
    if not districts <= {"urban", "suburban"}:
        raise ValueError(f"district must be 'urban' or 'suburban', found {sorted(districts)}")
    t = teachers.sort_values("teacher_id", kind="stable").reset_index(drop=True)
    if t[controls].isna().any().any():
        raise ValueError("teacher controls have missing values; the generator needs them complete.")
    return t


def _controls_matrix(t: pd.DataFrame) -> np.ndarray:
    return t[list(TEACHER_CONTROLS)].to_numpy(dtype=float)


def _teacher_latents(seed: int, t: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per-teacher latents shared by the outcome files (one stream, fixed draw order)."""
    rng = _rng(seed, "teacher")
    n = len(t)
    general = rng.standard_normal(n)
    x = _controls_matrix(t)
    xs = (x - x.mean(0)) / np.where(x.std(0) > 0, x.std(0), 1.0)
    w = rng.standard_normal(xs.shape[1])
    prognostic = _moment_match(xs @ w)
    skew = rng.standard_normal(n)
    specific = rng.standard_normal((n, 16))
    cycles = t["coaching_cycles"].to_numpy(float) if "coaching_cycles" in t else np.zeros(n)
    treated = t["treatment"].to_numpy() == 1
    dose = np.sqrt(cycles)
    dose = (dose - dose[treated].mean()) / (dose[treated].std() or 1.0)
    return {"general": general, "prognostic": prognostic, "specific": specific,
            "skew": skew, "dose": dose, "treated": treated,
            "response": _responsiveness({"skew": skew, "dose": dose, "treated": treated}, 0.6)}


def _responsiveness(lat, kappa: float) -> np.ndarray:
    """Treated teachers' responsiveness to coaching, mean 0 and SD 1 among the treated.

    ``0.5 x dose + 0.85 x L_kappa(z)``: dose is the standardized square root
    of the teacher's coaching cycles (roster), ``L_kappa`` a standardized
    lognormal transform of a normal draw with skewness set by ``kappa``
    (right-skewed for kappa > 0, left-skewed for kappa < 0, normal at 0).
    """
    z = lat["skew"]
    if abs(kappa) < 1e-9:
        shaped = z
    else:
        k = abs(kappa)
        shaped = np.sign(kappa) * (np.exp(k * np.sign(kappa) * z) - np.exp(k ** 2 / 2)) / np.sqrt(
            (np.exp(k ** 2) - 1) * np.exp(k ** 2))
    resp = 0.5 * lat["dose"] + 0.85 * shaped
    treated = lat["treated"]
    return (resp - resp[treated].mean()) / resp[treated].std()


def _base_latent(lat, k: int, w_general=0.5, w_prog=0.3) -> np.ndarray:
    w_spec = np.sqrt(1 - w_general ** 2 - w_prog ** 2)
    return w_general * lat["general"] + w_prog * lat["prognostic"] + w_spec * lat["specific"][:, k]


@dataclass
class _Sample:
    """An analytic sample of teachers with its design pieces."""

    idx: np.ndarray          # positions in the prepared teachers table
    treat: np.ndarray
    blocks: np.ndarray       # block dummies (first dropped)
    X: np.ndarray            # teacher controls
    h: np.ndarray            # imbalance direction

    @property
    def design_u(self):
        return np.column_stack([np.ones(len(self.idx)), self.treat, self.blocks])

    @property
    def design_c(self):
        return ols.drop_collinear(np.column_stack([self.design_u, self.X]))


def _sample(t: pd.DataFrame, mask) -> _Sample:
    idx = np.flatnonzero(np.asarray(mask))
    sub = t.iloc[idx]
    treat = sub["treatment"].to_numpy(float)
    blocks = ols.dummies(sub["block"])
    X = _controls_matrix(sub)
    return _Sample(idx=idx, treat=treat, blocks=blocks, X=X,
                   h=_imbalance_direction(treat, blocks, X))


def _standardize(values: np.ndarray, control: np.ndarray) -> np.ndarray:
    ref = values[control]
    return (values - ref.mean()) / ref.std(ddof=1)


# ---------------------------------------------------------------------------
# Targets from the published tables
# ---------------------------------------------------------------------------
def _cell_targets(numbers, table, panel, row) -> dict[str, float]:
    out = {}
    for key, column in [("c", CONTROLS), ("u", UNCOND)]:
        out[f"est_{key}"] = _pub(numbers, table, panel, row, column)
        out[f"se_{key}"] = _pub(numbers, table, panel, row, column, "se")
    for key, column in [("n_t", N_TEACHERS), ("n_s", N_STUDENTS)]:
        try:
            out[key] = int(_pub(numbers, table, panel, row, column))
        except KeyError:
            pass
    return out


# ---------------------------------------------------------------------------
# File 1: teacher reflections (Table 5)
# ---------------------------------------------------------------------------
# measure -> (responses averaged, control mean count per response, SD of the
# teacher's log rate, cap on the count or None, latent column). Coaching adds
# ``delta1`` to the rate (counts per response) and multiplies it by
# ``exp(sigma_het * r_j)`` (heterogeneous response).
_REFLECTION_DGP = {
    "mqi_language": (3, 1.0, 0.45, None, 0),  # 'one to two' MQI statements (Findings)
    "critique": (2, 3.0, 0.35, None, 1),
    "change": (2, 1.4, 0.40, 3, 2),           # 0, 1, 2, '3 or more' changes
}


def _make_reflections(seed, t, lat, numbers, log):
    rng = _rng(seed, "reflections")
    frames = []
    for year in (1, 2):
        smp = _sample(t, t[f"observed_reflection_y{year}"] == 1)
        n = len(smp.idx)
        treated = smp.treat == 1
        out = pd.DataFrame({"teacher_id": t["teacher_id"].to_numpy()[smp.idx], "year": year})
        for measure, (k, base, sd, cap, col) in _REFLECTION_DGP.items():
            tg = _cell_targets(numbers, "Table 5", T5_PANEL[year], REFLECTIONS[measure])
            u = rng.random((n, k))
            n_missing = max(n - tg.get("n_t", n), 0)
            missing = np.zeros(n, bool)
            missing[rng.choice(n, n_missing, replace=False)] = True
            b = _base_latent(lat, col)[smp.idx]
            r = lat["response"][smp.idx]
            keep = ~missing
            du, dc = smp.design_u[keep], smp.design_c[keep]
            ctrl = (~treated)[keep]

            def measure_of(par, u=u, b=b, r=r, base=base, sd=sd, cap=cap, k=k):
                d1, d2, het = par
                rate = base * np.exp(sd * b + d2 * smp.h + treated * het * r) + treated * d1
                rate = np.maximum(rate, 0.02)
                counts = np.maximum(stats.poisson.ppf(u, rate[:, None]), 0)
                if cap is not None:
                    counts = np.minimum(counts, cap)
                return np.round(counts.mean(1), 4)

            def metrics(par, keep=keep, du=du, dc=dc, ctrl=ctrl, measure_of=measure_of):
                z = _standardize(measure_of(par)[keep], ctrl)
                est_u, se_u, _ = ols.coefficient(ols.fit(z, du))
                est_c, se_c, _ = ols.coefficient(ols.fit(z, dc))
                return {"est_c": est_c, "est_u": est_u, "se_u": se_u, "se_c": se_c}

            spec = {"est_c": (tg["est_c"], 0.06 * tg["se_c"]),
                    "est_u": (tg["est_u"], 0.3 * tg["se_u"]),
                    "se_u": (tg["se_u"], 0.05 * tg["se_u"]),
                    "se_c": (tg["se_c"], 0.05 * tg["se_c"])}
            names = ["delta1", "delta2", "sigma_het"]
            x0 = [0.5 * tg["est_c"] * base, 0.0, 0.2]
            restarts = [{"sigma_het": 0.5}, {"delta1": tg["est_c"] * base, "sigma_het": 0.0},
                        {"delta1": 0.25 * tg["est_c"] * base, "sigma_het": 0.8}]
            par, res = _staged_solve(
                metrics, names, x0, spec, [-3, -1, 0.0], [3, 1, 1.5], [0.05, 0.1, 0.1],
                [(["delta1", "sigma_het"], ["est_c", "se_c"]), (names, list(spec))], restarts)
            values = measure_of(par)
            values[missing] = np.nan
            out[measure] = values
            log.append(("mqi/reflections", f"{measure} y{year}", ("delta1", "delta2", "sigma_het"),
                        par, res))
        frames.append(out)
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["year", "teacher_id"]).reset_index(drop=True)


# ---------------------------------------------------------------------------
# File 2: student survey (Table 6, Ambitious Instruction)
# ---------------------------------------------------------------------------
_SURVEY_LOADINGS = np.array([0.75, 0.65, 0.55, 0.70, 0.60, 0.55, 0.70, 0.65, 0.45, 0.60, 0.65])
_SURVEY_OFFSETS = np.array([0.3, 0.1, 0.2, 0.0, -0.3, 0.1, -0.2, -0.1, -0.4, 0.2, -0.2])
_SURVEY_CUTS = np.array([-1.6, -0.7, 0.2, 1.1])
_SURVEY_HET = 0.15   # treated heterogeneity (latent units)


def _ambitious_from_latent(latent: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """1-5 responses: loading x latent + unique noise, cut at item-specific thresholds."""
    lam = _SURVEY_LOADINGS
    x = latent[:, None] * lam + np.sqrt(1 - lam ** 2) * noise
    cuts = _SURVEY_CUTS[None, None, :] - _SURVEY_OFFSETS[None, :, None]
    return 1 + (x[:, :, None] > cuts).sum(axis=2)


def _make_survey(seed, t, lat, numbers, log):
    rng = _rng(seed, "survey")
    frames = []
    amb = _base_latent(lat, 3, 0.5, 0.3)
    for year in (1, 2):
        smp = _sample(t, t[f"observed_ambitious_y{year}"] == 1)
        tg = _cell_targets(numbers, "Table 6", T67_PANEL[year], AMBITIOUS_ROW[year])
        n_t = len(smp.idx)
        sizes = _allocate(tg["n_s"], rng.gamma(12.0, 1.0, n_t), minimum=8)
        teacher = np.repeat(np.arange(n_t), sizes)
        eps = rng.standard_normal(len(teacher))
        noise = rng.standard_normal((len(teacher), len(SURVEY_ITEMS)))
        a = _moment_match(np.sqrt(0.75) * amb[smp.idx] + np.sqrt(0.25) * rng.standard_normal(n_t))
        r = lat["response"][smp.idx]
        treated = smp.treat
        ctrl = treated[teacher] == 0
        fit_u = _RIDesign(smp.design_u[teacher], teacher)
        fit_c = _RIDesign(smp.design_c[teacher], teacher)

        def items_of(par):
            d1, d2, s = par
            latent = (s * a + d2 * smp.h + treated * (d1 + _SURVEY_HET * r))[teacher] + eps
            return _ambitious_from_latent(latent, noise)

        def fun(par):
            z = _standardize(items_of(par).mean(1), ctrl)
            fu, fc = fit_u.fit(z), fit_c.fit(z)
            return [fc.coef[1], fu.coef[1], fu.se[1], fc.se[1]]

        target = [tg["est_c"], tg["est_u"], tg["se_u"], tg["se_c"]]
        scale = [0.05 * tg["se_c"], 0.1 * tg["se_u"], 0.03 * tg["se_u"], 0.03 * tg["se_c"]]
        par, res = _solve(fun, [tg["est_c"], 0.0, 0.35], target, scale,
                          [-2, -2, 0.05], [2, 2, 2], [0.03, 0.03, 0.03])
        log.append(("mqi/student_survey", f"ambitious y{year}", ("delta1", "delta2", "teacher_sd"),
                    par, res))
        items = items_of(par)
        out = pd.DataFrame({"year": year,
                            "student_id": [f"SV{year}-{i + 1:05d}" for i in range(len(teacher))],
                            "teacher_id": t["teacher_id"].to_numpy()[smp.idx][teacher]})
        for j, (name, _) in enumerate(SURVEY_ITEMS):
            out[name] = items[:, j].astype(int)
        frames.append(out)
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------------------
# File 3: MQI lesson segments (Table 6 MQI domains, segment-level LPM, Figure 1)
# ---------------------------------------------------------------------------
_MQI_LESSONS_PER_TEACHER = 4.8   # Measures
_MQI_SEGMENTS = 6415             # Findings (n = 6,415 segments of 104 teachers)
_MQI_TEACHERS = 104
_MQI_RATERS = 12                 # assumed rater pool
_MQI_CUTS = np.array([0.5, 1.5, 2.5])
_MQI_RELIABILITY = {"richness": 0.67, "ccasp": 0.74, "wws": 0.75, "errors": 0.56}  # Measures
_MQI_OFFSETS = {
    "richness": np.array([0.0, 0.15, -0.1, -0.3, -0.25, 0.3]),
    "ccasp": np.array([0.05, -0.1, 0.1, 0.0, -0.3]),
    "wws": np.array([-0.1, 0.1]),
    "errors": np.array([-0.2, 0.2, 0.0]),
}
_MQI_ITEM_SD = 0.6
_MQI_LESSON_SD = 0.3
_MQI_RATER_SD = 0.1
# domain -> (latent column, start values of (mu, segment SD, teacher SD,
# delta1, delta2, sigma_het, kappa, omega))
_MQI_START = {
    "richness": (4, [1.0, 0.5, 0.14, 0.1, 0.02, 0.15, 0.6, 0.0]),
    "wws": (5, [1.2, 0.5, 0.25, 0.15, 0.02, 0.15, 0.0, 0.0]),
    "errors": (6, [-0.05, 0.5, 0.2, 0.05, -0.03, 0.15, 0.6, 0.0]),
    "ccasp": (7, [1.2, 0.3, 0.2, 0.19, 0.03, 0.1, 0.6, -0.2]),
}
_MQI_PARAMS = ("mu", "segment_sd", "teacher_sd", "delta1", "delta2", "sigma_het", "kappa", "omega")
_MQI_ERRORS_FIXED = (-0.05, 0.5)   # errors: mu and segment SD are not calibrated


def _lee_teacher(z, treat, design_u, rates):
    """Lee bounds of a teacher-level outcome around the block-FE model (fast twin).

    Trims with :func:`coachbook.estimators.lee.lee_trimming_weights`, but with the
    whole-teacher rule (``trimming="quantile"``) the bundled files were
    calibrated with, not the sharp rule of :func:`coachbook.estimators.lee_fe.lee_bounds_fe`: calibrating
    on the sharp bounds would change the generated files.
    """
    p, arm = _trim_share(*rates)
    weights = _bound_weights(z, treat, p, arm, "quantile")
    return [float(ols.fit(z[w > 0], design_u[w > 0]).params[1]) for w in weights]


def _orthogonal(r: np.ndarray, theta: np.ndarray, among: np.ndarray) -> np.ndarray:
    """r made uncorrelated with theta, mean 0 and SD 1 among the ``among`` units."""
    x = np.column_stack([np.ones(among.sum()), theta[among]])
    out = r.copy()
    out[among] = r[among] - x @ np.linalg.lstsq(x, r[among], rcond=None)[0]
    return out / out[among].std()


def _observed_rates(t: pd.DataFrame, flag: str) -> tuple[float, float]:
    arm = t["treatment"].to_numpy()
    seen = t[flag].to_numpy() == 1
    return float(seen[arm == 1].mean()), float(seen[arm == 0].mean())


def _make_segments(seed, t, lat, numbers, log):
    rng = _rng(seed, "segments")
    smp = _sample(t, t["observed_mqi_y2"] == 1)
    rates = _observed_rates(t, "observed_mqi_y2")
    n_t = len(smp.idx)
    panel = T67_PANEL[2]
    # lessons per teacher (3-5, mean 4.8) and segments per lesson (total 6,415 for 104 teachers)
    lessons = np.full(n_t, 5)
    n_lessons = int(round(_MQI_LESSONS_PER_TEACHER * n_t))
    for j in rng.permutation(np.repeat(np.arange(n_t), 2))[: 5 * n_t - n_lessons]:
        lessons[j] -= 1
    lesson_teacher = np.repeat(np.arange(n_t), lessons)
    n_seg = int(round(_MQI_SEGMENTS * n_t / _MQI_TEACHERS))
    seg_per_lesson = _allocate(n_seg, rng.gamma(8.0, 1.0, len(lesson_teacher)), minimum=4)
    seg_lesson = np.repeat(np.arange(len(lesson_teacher)), seg_per_lesson)
    seg_teacher = lesson_teacher[seg_lesson]
    seg_number = np.concatenate([np.arange(1, k + 1) for k in seg_per_lesson])
    lesson_number = np.concatenate([np.arange(1, k + 1) for k in lessons])
    pairs = np.array([rng.choice(_MQI_RATERS, 2, replace=False) for _ in lesson_teacher])
    seg_rater = pairs[seg_lesson, (seg_number - 1) % 2]
    treated = smp.treat
    seg_treated = treated[seg_teacher] == 1
    n_seg_teacher = np.bincount(seg_teacher, minlength=n_t).astype(float)
    ctrl_t = treated == 0
    du, dc = smp.design_u, smp.design_c
    rel_fit = _RIDesign(np.ones((len(lesson_teacher), 1)), lesson_teacher)
    items_out = {}
    for domain, (col, start) in _MQI_START.items():
        k = len(MQI_ITEMS[domain])
        theta = _moment_match(_base_latent(lat, col, 0.6, 0.3)[smp.idx])
        lesson_eff = rng.standard_normal(len(lesson_teacher))
        seg_eff = rng.standard_normal(n_seg)
        rater_eff = _MQI_RATER_SD * rng.standard_normal(_MQI_RATERS)
        item_noise = _MQI_ITEM_SD * rng.standard_normal((n_seg, k))
        offsets = _MQI_OFFSETS[domain]
        tg = _cell_targets(numbers, "Table 6", panel, MQI_DOMAINS[domain])
        lee = [_pub(numbers, "Table 6", panel, MQI_DOMAINS[domain], c) for c in (LOWER, UPPER)]
        lee_se = [_pub(numbers, "Table 6", panel, MQI_DOMAINS[domain], c, "se")
                  for c in (LOWER, UPPER)]

        def scores_of(par, theta=theta, lesson_eff=lesson_eff, seg_eff=seg_eff,
                      rater_eff=rater_eff, item_noise=item_noise, offsets=offsets):
            mu, s_seg, s_t, d1, d2, het, kappa, omega = par
            r = _orthogonal(_responsiveness(lat, kappa)[smp.idx], theta, treated == 1)
            teacher_q = (s_t * (1 + omega * treated) * theta + d2 * smp.h
                         + treated * (d1 + het * r))
            q = (mu + teacher_q[seg_teacher] + _MQI_LESSON_SD * lesson_eff[seg_lesson]
                 + s_seg * seg_eff + rater_eff[seg_rater])
            v = q[:, None] + offsets[None, :] + item_noise
            return (v[:, :, None] > _MQI_CUTS).sum(axis=2)

        def metrics(par, scores_of=scores_of):
            sc = scores_of(par)
            seg_mean = sc.mean(1)
            midhigh = (seg_mean >= 1.5).astype(float)
            share_t = np.bincount(seg_teacher, weights=midhigh, minlength=n_t) / n_seg_teacher
            tscore = np.bincount(seg_teacher, weights=seg_mean, minlength=n_t) / n_seg_teacher
            z = _standardize(tscore, ctrl_t)
            est_u, se_u, _ = ols.coefficient(ols.fit(z, du))
            est_c, se_c, _ = ols.coefficient(ols.fit(z, dc))
            lesson_mean = np.bincount(seg_lesson, weights=seg_mean) / seg_per_lesson
            fit = rel_fit.fit(lesson_mean)
            rel = fit.tau / (fit.tau + fit.sigma2 / lessons.mean())
            lo, hi = _lee_teacher(z, treated, du, rates)
            return {"control_share": midhigh[~seg_treated].mean(),
                    "lpm": float(ols.fit(share_t, dc, weights=n_seg_teacher).params[1]),
                    "reliability": rel,
                    "est_c": est_c, "est_u": est_u, "se_u": se_u, "se_c": se_c,
                    "t_c": est_c / se_c, "lee_lower": lo, "lee_upper": hi}

        # targets and tolerance scales (about a third of the acceptance test's tolerances;
        # the t statistic is held tight so that p stays on the published side of .05)
        spec = {"reliability": (_MQI_RELIABILITY[domain], 0.015),
                "est_c": (tg["est_c"], 0.06 * tg["se_c"]),
                "est_u": (tg["est_u"], 0.3 * tg["se_u"]),
                "se_u": (tg["se_u"], 0.05 * tg["se_u"]),
                "se_c": (tg["se_c"], 0.04 * tg["se_c"]),
                "t_c": (tg["est_c"] / tg["se_c"], 0.03),
                "lee_lower": (lee[0], 0.3 * lee_se[0]),
                "lee_upper": (lee[1], 0.3 * lee_se[1])}
        names = list(_MQI_PARAMS)
        lower = [-2, 0.05, 0.02, -2, -2, 0.0, -1.0, -0.6]
        upper = [4, 3, 2, 2, 2, 1.5, 1.0, 1.5]
        step = [0.02, 0.02, 0.02, 0.02, 0.02, 0.05, 0.1, 0.05]
        core = ["teacher_sd", "delta1"]
        core_stats = ["reliability", "est_c"]
        if domain == "errors":   # mu and segment SD fixed: no segment-level targets
            start = [*_MQI_ERRORS_FIXED, *start[2:]]
            free_all = names[2:]
        else:
            text = f"Segment-level LPM effect on Mid/High score: {LPM_ROW[domain]}"
            control = _pub(numbers, "Text", "", text, "Control mean (percent)") / 100
            spec = {"control_share": (control, 0.006),
                    "lpm": (_pub(numbers, "Text", "", text, "percentage points") / 100, 0.004),
                    **spec}
            core = ["mu", "segment_sd", *core]
            core_stats = ["control_share", "lpm", *core_stats]
            free_all = names
        stages = [(core, core_stats), (free_all, list(spec))]
        restarts = [{"kappa": 0.0, "omega": 0.0, "sigma_het": 0.1},
                    {"kappa": -0.5, "omega": 0.3, "sigma_het": 0.2},
                    {"kappa": 0.8, "omega": -0.3, "sigma_het": 0.2}]
        par, res = _staged_solve(metrics, names, start, spec, lower, upper, step, stages, restarts)
        log.append(("mqi/mqi_segments", domain, _MQI_PARAMS, par, res))
        items_out[domain] = scores_of(par)
    ids = t["teacher_id"].to_numpy()[smp.idx]
    out = pd.DataFrame({
        "teacher_id": ids[seg_teacher],
        "lesson_id": [f"{ids[j]}-L{n}" for j, n in zip(seg_teacher, lesson_number[seg_lesson])],
        "lesson": lesson_number[seg_lesson],
        "segment": seg_number,
        "rater_id": [f"R{k + 1:02d}" for k in seg_rater],
    })
    for domain in ("richness", "ccasp", "wws", "errors"):
        for j, (name, _) in enumerate(MQI_ITEMS[domain]):
            out[name] = items_out[domain][:, j].astype(int)
    return out


# ---------------------------------------------------------------------------
# File 4: student test scores (Table 7)
# ---------------------------------------------------------------------------
_RACE_P = {"urban": (0.11, 0.30, 0.45, 0.14), "suburban": (0.08, 0.12, 0.10, 0.70)}
_FRL_P = {"urban": 0.83, "suburban": 0.37}   # Setting: Districts
_LEP_P = {"urban": 0.22, "suburban": 0.06}   # assumed
_SPED_P = 0.13                               # assumed
_DISTRICT_MEAN = {"urban": -0.15, "suburban": 0.30}  # assumed, SD units
# prior score = loading x ability + noise (ability has SD 1)
_PRIORS = dict(zip(PRIOR_SCORES, (0.88, 0.72, 0.90, 0.70)))
_PRIOR_PAIRS = (PRIOR_SCORES[:2], PRIOR_SCORES[2:])   # math and reading of one test
# P(prior pair missing) = base + frl x a + lep x b; gives ~74.5% state and ~91.5% MAP coverage
_PRIOR_MISSING = {"state": (0.20, 0.08, 0.10), "map": (0.055, 0.03, 0.04)}
_TEST_HET = 0.05
_STUDENT_COLUMNS = ["year", "student_id", "teacher_id", "grade", "female", "race", "frl", "lep",
                    "sped", "state_math", "interim_math", "interim_test", *_PRIORS]


def _make_tests(seed, t, lat, numbers, log):
    rng = _rng(seed, "tests")
    frames = []
    common = rng.standard_normal(len(t))
    for year in (1, 2):
        panel = T67_PANEL[year]
        in_s = t[f"observed_state_test_y{year}"].to_numpy() == 1
        in_m = t[f"observed_interim_test_y{year}"].to_numpy() == 1
        n_s = _cell_targets(numbers, "Table 7", panel, T7_ROW[(year, "state")])["n_s"]
        n_m = _cell_targets(numbers, "Table 7", panel, T7_ROW[(year, "interim")])["n_s"]
        middle = t["grade"].to_numpy() >= 6
        weight = rng.gamma(10.0, np.where(middle, 4.5, 2.5))
        s_j = np.zeros(len(t), int)
        m_j = np.zeros(len(t), int)
        s_j[in_s] = _allocate(n_s, weight[in_s], minimum=8)
        m_j[in_m] = _allocate(n_m, weight[in_m], minimum=8)
        both = in_s & in_m
        extra = np.where(both, np.round(0.05 * np.minimum(s_j, m_j)), 0).astype(int)
        n_j = np.maximum(s_j, m_j) + extra
        n_j = np.minimum(n_j, s_j + m_j)
        rows = []
        for j in np.flatnonzero(n_j):
            perm = rng.permutation(n_j[j])
            has_s = perm < s_j[j]
            has_m = perm >= n_j[j] - m_j[j]
            rows.append(pd.DataFrame({"j": j, "has_state": has_s, "has_interim": has_m}))
        df = pd.concat(rows, ignore_index=True)
        j = df["j"].to_numpy()
        district = t["district"].to_numpy()[j]
        n = len(df)
        urban = district == "urban"
        race_u = rng.choice(len(RACES), n, p=_RACE_P["urban"])
        race_s = rng.choice(len(RACES), n, p=_RACE_P["suburban"])
        race = np.where(urban, race_u, race_s)
        u01 = rng.random((n, 4))
        frl = (u01[:, 0] < np.where(urban, _FRL_P["urban"], _FRL_P["suburban"])).astype(int)
        lep = (u01[:, 1] < np.where(urban, _LEP_P["urban"], _LEP_P["suburban"])).astype(int)
        sped = (u01[:, 2] < _SPED_P).astype(int)
        female = (u01[:, 3] < 0.49).astype(int)
        comp = 0.55 * _moment_match(rng.standard_normal(len(t)))   # class composition
        demo = (-0.30 * frl - 0.25 * lep - 0.70 * sped - 0.15 * (race == 1) - 0.10 * (race == 2)
                + 0.10 * (race == 0))
        ability = (np.where(urban, _DISTRICT_MEAN["urban"], _DISTRICT_MEAN["suburban"]) + comp[j]
                   + demo + rng.standard_normal(n))
        ability = _moment_match(ability)
        pri = {}
        for name, load in _PRIORS.items():
            pri[name] = load * ability + np.sqrt(1 - load ** 2) * rng.standard_normal(n)
        miss_u = rng.random((n, 2))
        for (a, b_), (test, (p0, pf, pl)) in zip(_PRIOR_PAIRS, _PRIOR_MISSING.items()):
            gone = miss_u[:, 0 if test == "state" else 1] < p0 + pf * frl + pl * lep
            pri[a][gone] = np.nan
            pri[b_][gone] = np.nan
        eps = rng.standard_normal((n, 2))
        spec = rng.standard_normal((len(t), 2))
        frame = pd.DataFrame({
            "year": year, "j": j, "teacher_id": t["teacher_id"].to_numpy()[j],
            "grade": t["grade"].to_numpy()[j], "female": female,
            "race": np.array(RACES, dtype=object)[race], "frl": frl, "lep": lep, "sped": sped,
            "has_state": df["has_state"].to_numpy(), "has_interim": df["has_interim"].to_numpy(),
            "interim_test": np.where((year == 2) & ~urban, "Star", "MAP"),
            **{name: np.round(v, 4) for name, v in pri.items()},
        })
        # rows are in teacher order already (the teachers table is sorted by teacher_id)
        frame["student_id"] = [f"ST{year}-{i + 1:05d}" for i in range(len(frame))]
        for k, (test, col) in enumerate(TESTS.items()):
            has = frame[f"has_{test}"].to_numpy()
            cell_frame = frame[has].reset_index(drop=True)
            tg = _cell_targets(numbers, "Table 7", panel, T7_ROW[(year, test)])
            cell = _t7_cell(cell_frame, t, IMPUTATIONS, IMPUTATION_SEED)
            pos = np.searchsorted(t["teacher_id"].to_numpy(), cell.teacher_ids)
            smp = _sample(t, np.isin(np.arange(len(t)), pos))
            uj = _moment_match(0.6 * common[pos] + 0.8 * spec[pos, k])
            r = lat["response"][pos]
            a_c, e_c, g = ability[has], eps[has, k], cell.groups

            def y_of(par, d1=0.0):
                b, s_u, d2 = par
                teacher = s_u * uj + d2 * smp.h + cell.treat * (d1 + _TEST_HET * r)
                return np.round(b * a_c + teacher[g] + np.sqrt(max(1 - b ** 2, 0.05)) * e_c, 4)

            def ses(par):
                y = y_of(par)
                fu = cell.design_u.fit(y)
                pooled = _pool(cell, y)
                return [fu.se[1], pooled["se"], fu.coef[1] - pooled["estimate"]]

            par, res = _solve(ses, [0.85, 0.2, 0.0],
                              [tg["se_u"], tg["se_c"], tg["est_u"] - tg["est_c"]],
                              [0.02 * tg["se_u"], 0.02 * tg["se_c"], 0.1 * tg["se_u"]],
                              [0.3, 0.0, -1.0], [0.99, 1.0, 1.0], [0.02, 0.02, 0.02])
            d1 = round(tg["est_c"] - _pool(cell, y_of(par))["estimate"], 3)
            log.append(("mqi/student_tests", f"{test} y{year}", ("ability_loading", "teacher_sd",
                        "delta2", "delta1"), np.r_[par, d1], res))
            y = np.full(len(frame), np.nan)
            y[has] = y_of(par, d1)
            frame[col] = y
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    return out[_STUDENT_COLUMNS]


# ---------------------------------------------------------------------------
# Generation entry point
# ---------------------------------------------------------------------------
def _generate(seed: int, teachers: pd.DataFrame):
    t = _prepare_teachers(teachers)
    lat = _teacher_latents(seed, t)
    numbers = _published()
    log: list = []
    files = {
        "mqi/reflections": _make_reflections(seed, t, lat, numbers, log),
        "mqi/student_survey": _make_survey(seed, t, lat, numbers, log),
        "mqi/mqi_segments": _make_segments(seed, t, lat, numbers, log),
        "mqi/student_tests": _make_tests(seed, t, lat, numbers, log),
    }
    for name, frame in files.items():
        columns = [v.name for v in OUTCOMES_CODEBOOK[name].variables]
        files[name] = frame[columns].reset_index(drop=True)
    return files, log


def generate_outcomes(seed: int, teachers: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The four outcome files of the MQI trial, given the teachers table.

    Parameters
    ----------
    seed : int
        Base seed; each file draws from its own sub-stream ``[seed, key]``.
    teachers : DataFrame
        ``mqi_roster.generate_roster(seed)["mqi/teachers"]``: ids, blocks,
        treatment, ``TEACHER_CONTROLS``, ``coaching_cycles`` and the nine
        ``observed_*`` flags, which decide who has each outcome.

    Returns
    -------
    dict
        ``"mqi/reflections"``, ``"mqi/student_survey"``, ``"mqi/mqi_segments"``,
        ``"mqi/student_tests"``; columns as in :data:`OUTCOMES_CODEBOOK`.
    """
    return _generate(seed, teachers)[0]


def calibration_report(seed: int, teachers: pd.DataFrame) -> pd.DataFrame:
    """The calibrated parameters of every file and cell, and the solver's scaled residuals.

    One row per parameter: ``file, cell, parameter, value`` and
    ``max_residual`` (largest residual of that cell in units of the solver's
    tolerance scale; below 1 means every target was met to that scale).
    """
    rows = []
    for name, cell, names, values, res in _generate(seed, teachers)[1]:
        for pname, value in zip(names, values):
            rows.append({"file": name, "cell": cell, "parameter": pname, "value": float(value),
                         "max_residual": float(np.max(np.abs(res)))})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------
# Codebook
# ---------------------------------------------------------------------------
_CALIBRATED = ("Calibrated (see the mqi_outcomes docstring): the treatment shift delta1, the "
               "covariate-imbalance loading delta2 and the dispersion sigma_het are solved per "
               "measure and year so that Table 5's estimators return the published estimates "
               "and standard errors")
_V = Variable
OUTCOMES_CODEBOOK: dict[str, FileSpec] = {
    "mqi/reflections": FileSpec(
        description=(
            "Teachers' written video reflections, both years (Table 5). Counts per response "
            "are Poisson with a teacher-specific rate; coaching adds delta1 to the rate and "
            "multiplies it by exp(sigma_het x responsiveness). Teachers with "
            "observed_reflection_y1/_y2 = 1 have a row; Critique is missing for the teachers "
            "needed to match Table 5's n. Standardize by the year's control teachers "
            "(table5_estimates does) to get the published units. " + _CALIBRATED + "."),
        unit=("one teacher in one year (implementation year 1 = 2014-15, "
              "follow-up year 2 = 2015-16)"),
        variables=(
            _V("teacher_id", "str", "Teacher id (mqi/teachers)", "T001-T142"),
            _V("year", "int", "Study year: 1 implementation, 2 follow-up", "1, 2"),
            _V("mqi_language", "float",
               "MQI Language: mean number of statements using MQI language or concepts per "
               "response to the stock-clip prompts (3 prompts)", "0-, steps of 1/3",
               "Table 5 (MQI language (stock clip response))"),
            _V("critique", "float",
               "Critique: mean number of things identified as going well or not well across "
               "the two lesson reflections; missing for one teacher in year 1", "0-, steps of 1/2",
               "Table 5 (Critique (own clip reflection))"),
            _V("change", "float",
               "Change: mean over the two lesson reflections of a 4-category ordinal count of "
               "things the teacher would change (0, 1, 2, 3 or more)", "0-3, steps of 1/2",
               "Table 5 (Change (own clip reflection))"),
        ),
    ),
    "mqi/student_survey": FileSpec(
        description=(
            "Student survey of Ambitious Instruction, both years (Table 6): 3,252 students of "
            "120 teachers in year 1 and 2,591 of 102 in year 2 (teachers with "
            "observed_ambitious_y1/_y2 = 1). Items are ordinal cuts of loading x latent + "
            "noise; the latent is a teacher part (SD teacher_sd, solved with delta1 and delta2 "
            "for Table 6's estimates and SEs), the treatment shift delta1, the imbalance "
            "term, and a "
            "N(0, 1) student part. Scale: the mean of the 11 items (ambitious_scale), "
            "standardized by the year's control students; the paper used a graded response "
            "model."),
        unit="one student's survey response in one year",
        variables=(
            _V("year", "int", "Study year", "1, 2"),
            _V("student_id", "str", "Survey respondent id (not linked to mqi/student_tests)",
               "SV1-00001 ..."),
            _V("teacher_id", "str", "Teacher the survey is about", "T001-T142"),
            *(_V(name, "int", f"{text} (1 = never ... 5 = always)", "1-5",
                 "Table 6 (Ambitious Instruction); wording paraphrased")
              for name, text in SURVEY_ITEMS),
        ),
    ),
    "mqi/mqi_segments": FileSpec(
        description=(
            "MQI scores of follow-up-year lesson video (Table 6, segment LPM in Findings, brief "
            "Figure 1): 6,415 segments of 7.5 minutes from about 4.8 lessons of each of the 104 "
            "teachers with observed_mqi_y2 = 1, 16 items scored 0 (Not present) to 3 (High). "
            "Each lesson is assigned two of 12 raters at random, who score alternate segments. "
            "Item score = number of cut points (0.5, 1.5, 2.5) below domain latent + item "
            "offset + N(0, 0.6^2) noise; the domain latent is location mu + teacher part "
            "(SD teacher_sd, times 1 + omega for treated teachers) + treatment (delta1 + "
            "sigma_het x responsiveness with skewness kappa) + delta2 x imbalance index + lesson "
            "N(0, 0.3^2) + segment N(0, segment_sd^2) + rater severity N(0, 0.1^2). The eight "
            "parameters are solved per domain (least squares) so that the control share of "
            "Mid/High segments (26/46/26%), the segment LPM effect (9.6/7.0/9.2 points), the "
            "teacher-level reliability (0.67/0.75/0.74; Errors 0.56, with mu and segment_sd "
            "fixed), Table 6's Controls and Unconditional estimates and SEs and its Lee bounds "
            "are reproduced (calibration_report lists them). Teacher domain score = mean of "
            "item means (teacher_mqi_scores); Mid/High = segment domain mean >= 1.5 "
            "(segment_midhigh)."),
        unit="one 7.5-minute segment of one lesson",
        variables=(
            _V("teacher_id", "str", "Teacher", "T001-T142"),
            _V("lesson_id", "str", "Lesson id: teacher id and lesson number", "T001-L1 ..."),
            _V("lesson", "int", "Lesson number within teacher", "1-5"),
            _V("segment", "int", "Segment number within lesson (7.5 minutes each)", "1-"),
            _V("rater_id", "str", "Rater who scored the segment (blind to treatment)", "R01-R12"),
            *(_V(name, "int", f"MQI {dom_label}: {text}", "0-3",
                 f"Table 6 ({MQI_DOMAINS[dom]}); Appendix A")
              for dom, dom_label in [("richness", "Richness"),
                                     ("ccasp", "Common Core-aligned student practices"),
                                     ("wws", "Working with students"),
                                     ("errors", "Errors and imprecision (higher = more errors)")]
              for name, text in MQI_ITEMS[dom]),
        ),
    ),
    "mqi/student_tests": FileSpec(
        description=(
            "Students' math scores in both years (Table 7): state test (SBAC in 2014-15, DRC "
            "in 2015-16) and the interim test (MAP; Star in the suburban district in year 2), "
            "in SD units of the full student population by grade and year (generated on that "
            "scale, not re-standardized). A teacher's students with a state (interim) score "
            "total Table 7's n per column over the teachers with observed_state_test "
            "(observed_interim_test) = 1. Score = ability_loading x ability + teacher effect "
            "(SD teacher_sd) + delta2 x imbalance index + treatment delta1 + noise; ability "
            "mixes district, class composition, demographics and a student part, and the "
            "prior scores are noisy measures of it. ability_loading and teacher_sd are solved "
            "so that Table 7's unconditional and with-controls SEs are reproduced, delta2 for "
            "the gap between the two estimates, delta1 (exact) for the preferred estimate. "
            "Prior pairs (math and reading of one test) are missing together, more often for "
            "FRL and LEP students: valid prior state scores for 72-77% and MAP for 90-93% of "
            "each analytic sample (endnote 6)."),
        unit="one student in one year (year 1 and year 2 students are different cohorts)",
        variables=(
            _V("year", "int", "Study year", "1, 2"),
            _V("student_id", "str", "Student id", "ST1-00001 ..."),
            _V("teacher_id", "str", "Math teacher", "T001-T142"),
            _V("grade", "int", "Grade (the teacher's grade)", "3-8"),
            _V("female", "int", "Female", "0, 1", "Table 7 controls"),
            _V("race", "category", "Race/ethnicity", ", ".join(RACES), "Table 7 controls"),
            _V("frl", "int", "Free or reduced-price lunch eligible", "0, 1", "Table 7 controls"),
            _V("lep", "int", "Limited English proficient", "0, 1", "Table 7 controls"),
            _V("sped", "int", "Receives special education services", "0, 1", "Table 7 controls"),
            _V("state_math", "float", "State math test score (missing if not tested)",
               "SD units", "Table 7 (State math test)"),
            _V("interim_math", "float",
               "Interim math test score, MAP or Star (missing if not tested)",
               "SD units", "Table 7 (MAP math test; MAP/Star math test)"),
            _V("interim_test", "category", "The district's interim test that year", "MAP, Star"),
            _V("prior_state_math", "float",
               "Prior-year state math score (missing = no valid score)",
               "SD units", "Table 7 controls; endnote 6"),
            _V("prior_state_read", "float", "Prior-year state reading score", "SD units",
               "Table 7 controls; endnote 6"),
            _V("prior_map_math", "float", "Prior MAP math score", "SD units",
               "Table 7 controls; endnote 6"),
            _V("prior_map_read", "float", "Prior MAP reading score", "SD units",
               "Table 7 controls; endnote 6"),
        ),
    ),
}

