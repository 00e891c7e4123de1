"""Synthetic outcome files of the MQI Coaching trial, calibrated with the estimators of Tables 5-7.

Kraft and Hill (2019) measured four kinds of outcome for the 142 teachers of
their block-randomized trial: teachers' written reflections on video (Table 5),
students' survey reports of *Ambitious Instruction* (Table 6), MQI scores of
follow-up-year lesson video (Table 6) and students' math test scores
(Table 7). The data are confidential; :func:`generate_outcomes` builds
synthetic files *given* the teachers table of :mod:`coachbook.synth.mqi_roster`, whose 0/1
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
(``teachers._responsiveness``). Fixed design choices (assumed, not published):
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
  block-adjusted treatment-control difference (``calibration._imbalance_direction``).
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

* Moderation (Table A2): every outcome's teacher latent also gets ``T x
  sum_k gamma_k (M_k - treated mean)`` for the table's six moderators
  (district, experience in years, MKT and the three survey scales in SD
  units), added before the parameters above are solved. The 96 coefficients
  ``gamma`` (16 outcome-years x 6 moderators) are stored in
  :mod:`.interactions` and were found by
  ``python -m coachbook.synth.mqi_outcomes.moderation``: fixed-point steps
  ``gamma += (published - estimated) / gain`` on the interaction estimates
  of :func:`coachbook.studies.kraft_hill.table_a2_estimates`, the gain of each
  outcome measured by a secant between steps. Not yet applied: the bundled
  files are generated with ``INTERACTIONS`` empty (no moderation), so Table
  A2 is emergent; :mod:`.interactions` says why.

The solver (``calibration._solve``, Levenberg-Marquardt on finite differences, run in
stages and from several starts by ``calibration._staged_solve``) rounds every
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

import numpy as np
import pandas as pd

from coachbook.synth.mqi_outcomes.calibration import _published
from coachbook.synth.mqi_outcomes.codebook import OUTCOMES_CODEBOOK
from coachbook.synth.mqi_outcomes.reflections import _make_reflections
from coachbook.synth.mqi_outcomes.segments import _make_segments
from coachbook.synth.mqi_outcomes.student_tests import _make_tests
from coachbook.synth.mqi_outcomes.survey import _make_survey
from coachbook.synth.mqi_outcomes.teachers import _prepare_teachers, _teacher_latents

__all__ = ["OUTCOMES_CODEBOOK", "calibration_report", "generate_outcomes"]


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
