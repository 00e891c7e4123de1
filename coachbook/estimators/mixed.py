"""Linear mixed models (students in teachers, occasions in persons), fitted to a verified maximum.

:func:`fit_mixed` fits a linear mixed model with several optimizers, because
a single optimizer can stop at a wrong point and still report convergence,
then polishes the best fit by Newton-Raphson on the exact likelihood
(:mod:`.lmm`, :mod:`.lmm_polish`), so the estimates are the same on every
machine; :class:`MixedFit` holds the kept fit with tidy tables. The
random-intercept logistic model is in :mod:`.mixed_logit`, Rubin's rules and
multiple imputation in :mod:`.imputation`, the closed-form random-intercept
REML of the trial's student-level equations in :mod:`.random_intercept`.

References
----------
Raudenbush, S. W., & Bryk, A. S. (2002). *Hierarchical Linear Models* (2nd ed.).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

from coachbook.estimators._result import Result, wald_table_tidy
from coachbook.estimators._validate import require_columns
from coachbook.estimators.lmm import (LMMDesign, _dedupe, _describe, _first_best, _fixed_table,
                                      _has_intercept, _param_labels, _restarts, _run_optimizers,
                                      _start_theta, _variance_table)
from coachbook.estimators.lmm_polish import polish

__all__ = ["DEFAULT_METHODS", "MixedFit", "fit_mixed"]

#: Optimizers tried by :func:`fit_mixed`; a tuple is a chain (the second starts
#: where the first stopped if the first did not converge).
DEFAULT_METHODS = ("lbfgs", "bfgs", ("powell", "lbfgs"), "nm")


# --------------------------------------------------------------------------
# Mixed models
# --------------------------------------------------------------------------
@dataclass(repr=False)
class MixedFit(Result):
    """The fit kept by :func:`fit_mixed`, with tidy tables.

    Every number below is the *polished* maximum (Newton-Raphson on the exact
    likelihood, :mod:`coachbook.estimators.lmm`), not the statsmodels optimizer's stopping
    point, so it is reproducible to about 1e-10 on any CPU.

    Attributes
    ----------
    result : statsmodels MixedLMResults
        The statsmodels fit that started the kept polish. Use it for the data
        and design (``result.model.exog``, ``result.model.exog_names``, ...),
        not for estimates.
    converged : bool
        True: the gradient at the kept point is zero to ~1e-10 standard errors,
        the Hessian on the free parameters is negative definite, and every
        parameter held on the boundary (a variance of 0, a singular ``G``) has a
        gradient pointing out of the parameter space.
    optimizer : str
        Which optimizer (chain) gave the start of the kept fit, e.g. ``"powell+lbfgs"``.
    llf : float
        Maximised log-likelihood (REML or ML, see ``reml``), on statsmodels' scale.
    fixed_effects : DataFrame
        ``estimate, se, z, p`` per fixed effect (Wald z, normal reference;
        ``se`` from ``C = (X'V^-1X)^-1``).
    variance_components : DataFrame
        ``estimate`` (variance or covariance) and ``sd`` per random-effect
        parameter, plus the level-1 ``residual`` variance sigma^2.
    warnings : list of str
        Notes on the kept fit (parameters on the boundary, other local maxima).
        Nothing is printed; statsmodels' own warnings are in ``attempts``.
    attempts : DataFrame
        One row per optimizer tried: ``llf``, ``converged``, ``error``,
        ``notes`` (statsmodels' warnings), and for the polished starts
        ``polished_llf``, ``polished_converged``.
    reml : bool
        Whether the log-likelihood is the restricted (REML) one.
    fe_params : Series
        Fixed effects (the ``estimate`` column), indexed by ``exog_names``.
    bse_fe : Series
        Their standard errors.
    cov_fe : DataFrame
        Model-based covariance matrix ``C`` of the fixed effects.
    cov_re : DataFrame
        Covariance matrix ``G`` of the random effects of ``re_formula``
        (statsmodels' labels; 0 x 0 without ``re_formula``).
    vcomp : ndarray
        Variances of the ``vc_formula`` components (statsmodels' order).
    scale : float
        Residual variance sigma^2.
    nobs, n_groups, k_fe, k_re, k_vc : int
        Rows, groups, fixed effects, random effects in ``G``, variance components.
    exog_names : list of str
        Fixed-effect names.
    gradient : Series
        Score (derivative of ``llf``) in the covariance parameters, labelled as
        in ``variance_components``; near 0 for free parameters.
    decrement : float
        Final Newton decrement ``sqrt(g'(-H)^-1 g)`` on the free parameters:
        the distance to the maximum in standard-error units.
    boundary : list of str
        Parameters held on the boundary (a variance of 0, or ``"G singular"``).
    llf_start : float
        statsmodels' log-likelihood at the start of the kept polish.
    """

    result: object
    converged: bool
    optimizer: str
    llf: float
    fixed_effects: pd.DataFrame
    variance_components: pd.DataFrame
    warnings: list = field(default_factory=list)
    attempts: pd.DataFrame | None = None
    reml: bool = True
    fe_params: pd.Series | None = None
    bse_fe: pd.Series | None = None
    cov_fe: pd.DataFrame | None = None
    cov_re: pd.DataFrame | None = None
    vcomp: np.ndarray | None = None
    scale: float = np.nan
    nobs: int = 0
    n_groups: int = 0
    k_fe: int = 0
    k_re: int = 0
    k_vc: int = 0
    exog_names: list = field(default_factory=list)
    gradient: pd.Series | None = None
    decrement: float = np.nan
    boundary: list = field(default_factory=list)
    llf_start: float = np.nan
    polished: object = None

    def __repr__(self) -> str:
        crit = "REML" if self.reml else "ML"
        return (f"MixedFit({crit} llf={self.llf:.3f}, optimizer={self.optimizer!r}, "
                f"converged={self.converged}, n_obs={self.nobs}, "
                f"n_groups={self.n_groups}, warnings={len(self.warnings)})")

    def _random_intercept_only(self) -> tuple[float, float]:
        if self.k_re != 1 or self.k_vc != 0 or not _has_intercept(self.result.model.exog_re):
            raise ValueError(
                "icc() and reliability() are defined for random-intercept models only "
                "(re_formula=None and no vc_formula); this model has "
                f"{self.k_re} random effect(s) and {self.k_vc} variance component(s)."
            )
        return float(self.cov_re.iloc[0, 0]), float(self.scale)

    def icc(self) -> float:
        """Intraclass correlation of a random-intercept model.

        ``rho = tau00 / (tau00 + sigma^2)``: the share of the outcome's variance
        that lies between groups (Raudenbush & Bryk 2002, eq. 4.5). For the
        High School and Beyond one-way ANOVA, 8.614 / (8.614 + 39.148) = .18.
        With level-1 predictors in the model it is a *conditional* (residual) ICC.
        """
        tau, sigma2 = self._random_intercept_only()
        return tau / (tau + sigma2)

    def reliability(self) -> float:
        """Average reliability of the group means as estimates of the group intercepts.

        ``lambda_j = tau00 / (tau00 + sigma^2 / n_j)``, averaged over groups
        (Raudenbush & Bryk 2002, eq. 3.57 and Table 4.2, where it is .901).
        Low values mean the group-level estimates are mostly noise.
        """
        tau, sigma2 = self._random_intercept_only()
        n_j = np.array([len(y) for y in self.result.model.endog_li], dtype=float)
        return float(np.mean(tau / (tau + sigma2 / n_j)))

    def tidy(self) -> pd.DataFrame:
        """One row per fixed effect (Wald z tests), tidy column names."""
        return wald_table_tidy(self.fixed_effects)



def fit_mixed(formula, data, cluster, re_formula=None, vc_formula=None, reml=True,
              methods=DEFAULT_METHODS, llf_tol=1.0, exhaustive=False) -> MixedFit:
    """Fit a linear mixed model: an optimizer for a start, exact Newton to finish.

    The model (Raudenbush & Bryk 2002, ch. 2) for student ``i`` of teacher
    ``j`` is ``y_ij = x_ij' gamma + z_ij' u_j + e_ij`` with
    ``u_j ~ N(0, T)`` and ``e_ij ~ N(0, sigma^2)``. statsmodels' ``MixedLM``
    maximises the (restricted) likelihood numerically, and its optimizers can
    stop well short of the maximum yet report convergence, at points that move
    with the CPU's floating-point kernels (on the High School and Beyond data
    ``method="lbfgs"`` alone returns tau00 = 0 and ``llf = inf``). So:

    1. the optimizers in ``methods`` are run in turn (all of them with
       ``exhaustive=True``); fits with a non-finite log-likelihood are discarded;
    2. a fit, and any other within ``llf_tol`` of the best (it may sit in
       another basin), is *polished* by Newton-Raphson on the exact likelihood
       with exact derivatives (:func:`coachbook.estimators.lmm_polish.polish`), respecting
       ``T >= 0`` (positive semidefinite) and variances ``>= 0``; the next
       optimizer runs only if no polished fit is a verified maximum;
    3. Newton is restarted from three more points (the variances scaled by
       0.2 and by 5, and a diagonal ``T``), which costs milliseconds, so a
       second basin is found without running every slow optimizer;
    4. the highest polished log-likelihood is kept. If it is not a maximum
       (gradient not ~0, Hessian not negative definite, or a constrained
       parameter that should move), a ``ValueError`` says so.

    The polished answer does not depend on which optimizer gave the start
    (within one basin), so it is the same on every machine to ~1e-10.

    Parameters
    ----------
    formula : str
        Fixed part, e.g. ``"MathAch ~ MEANSES"``.
    data : DataFrame
        One row per level-1 unit (student, or occasion in a growth model).
    cluster : str
        Column identifying level-2 units (teacher, school, or person).
    re_formula : str, optional
        Random part, e.g. ``"~ time"`` for random intercepts and slopes.
        Default: random intercept only (none if ``vc_formula`` is given).
    vc_formula : dict, optional
        Extra variance components, passed to statsmodels, e.g. (three levels,
        occasions in teachers in coaches with ``cluster="coach_id"``)
        ``{"pair": "0 + C(teacher_id)"}``.
    reml : bool, default True
        REML for variance components; use ``reml=False`` (ML) when you will
        compare fixed effects with :func:`coachbook.estimators.likelihood_ratio.deviance_test`.
    methods : sequence
        Optimizers for the start; each is a scipy method name or a tuple chain.
        The default tries all of :data:`DEFAULT_METHODS`; with a shorter list,
        the rest of them are tried too if its optimizers all fail or their fits
        cannot be polished to a maximum.
    llf_tol : float, default 1.0
        Starts within ``llf_tol`` of the best statsmodels log-likelihood are
        polished as well.
    exhaustive : bool, default False
        Run every optimizer in ``methods`` even when the first one already
        polishes to a maximum (slower; ``attempts`` then shows what each
        optimizer reached on its own).

    Returns
    -------
    MixedFit
        With ``fixed_effects``, ``variance_components``, ``icc()``,
        ``reliability()``, the polished estimates (``fe_params``, ``cov_re``,
        ``vcomp``, ``scale``, ...), notes in ``warnings`` and all ``attempts``.

    Raises
    ------
    ValueError
        Bad inputs (missing columns, missing group ids, fewer than two groups,
        a formula that cannot be built), or a fit that cannot be brought to a
        maximum of the likelihood.
    RuntimeError
        If no optimizer (of ``methods`` and :data:`DEFAULT_METHODS`) produced a
        finite log-likelihood.
    """
    require_columns(data, [cluster])
    if data[cluster].isna().any():
        raise ValueError(
            f"group column {cluster!r} has {int(data[cluster].isna().sum())} missing value(s); "
            "drop those rows or give them an id, since each row must belong to a group."
        )
    if data[cluster].nunique() < 2:
        raise ValueError(f"group column {cluster!r} has fewer than 2 groups; a multilevel "
                         "model needs several level-2 units.")
    methods = list(methods)
    if not methods:
        raise ValueError("methods is empty; give at least one optimizer, e.g. 'lbfgs'.")

    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        try:
            model = smf.mixedlm(formula, data, groups=cluster, re_formula=re_formula,
                                vc_formula=vc_formula)
        except Exception as exc:  # patsy errors are not ValueErrors
            raise ValueError(
                f"could not build the model from formula {formula!r}: {str(exc).splitlines()[0]}. "
                "Check the column names, and drop rows with missing values in the model's "
                "variables first (MixedLM does not drop them)."
            ) from exc
    what = _describe(formula, cluster, re_formula, vc_formula, reml)
    design = LMMDesign(model)

    if not isinstance(exhaustive, (bool, np.bool_)):
        raise ValueError(f"exhaustive must be True or False, got {exhaustive!r}.")
    extra = [m for m in DEFAULT_METHODS if m not in methods]
    stages = [methods] if exhaustive else [[m] for m in methods]
    stages += [extra] if exhaustive and extra else [[m] for m in extra]
    fits, rows, polished = [], [], []
    for stage in stages:
        new_fits, new_rows = _run_optimizers(model, reml, stage)
        fits += new_fits
        rows += new_rows
        if not fits:
            continue
        best_start = max(f[0] for f in fits)
        done = {id(p[2]) for p in polished}
        for llf0, label, res in sorted(fits, key=lambda f: -f[0]):
            if id(res) in done or llf0 < best_start - llf_tol:
                continue
            theta0 = _start_theta(design, res)
            if any(np.allclose(theta0, p[3], rtol=1e-7, atol=0) for p in polished):
                continue  # the same start twice
            try:
                out = polish(design, theta0, reml=reml)
            except ValueError as exc:
                raise ValueError(f"{what}: {exc}") from exc
            polished.append((out, label, res, theta0))
            row = next(r for r in rows if r["optimizer"] == label and "polished_llf" not in r)
            row["polished_llf"], row["polished_converged"] = out.llf, out.converged
        if polished and max(polished, key=lambda p: p[0].llf)[0].converged:
            best, best_label, best_res, _ = max(polished, key=lambda p: p[0].llf)
            for how, theta0 in _restarts(design, best.theta):
                try:
                    out = polish(design, theta0, reml=reml)
                except ValueError:
                    continue  # a restart that leads nowhere says nothing about the kept fit
                polished.append((out, f"{best_label}, Newton restart ({how})", best_res, theta0))
            break
    attempts = pd.DataFrame(rows)
    for col in ("polished_llf", "polished_converged"):
        if col not in attempts:
            attempts[col] = np.nan
    if not fits:
        raise RuntimeError("no optimizer reached a finite log-likelihood:\n"
                           + attempts.drop(columns="notes").to_string(index=False))

    out, label, res, _ = _first_best(polished)
    if not out.converged:
        raise ValueError(
            f"{what} could not be brought to a maximum of the likelihood ({out.message}; "
            f"Newton decrement {out.decrement:.1e}, llf {out.llf:.6f}). Try a simpler random part "
            "(drop a random slope or a variance component), rescale predictors whose units are "
            "very large or small (e.g. time in years), or check that the groups have enough rows "
            "to identify the variances."
        )
    labels = _param_labels(model)
    notes = []
    for other, other_label, _, _ in polished:
        if other is not out and other.converged and out.llf - other.llf > 1e-6:
            notes.append(f"the start from {other_label} reached another local maximum "
                         f"(llf {other.llf:.4f} < {out.llf:.4f}); the higher one is kept.")
    boundary = [labels[design.k_g + i] for i in np.flatnonzero(out.at_zero)]
    for name in boundary:
        notes.append(f"{name} is 0 at the maximum (on the boundary of the parameter space).")
    if design.q and out.rank < design.q:
        boundary.append("G singular")
        if out.rank == 0:
            notes.append("the random-effects covariance matrix G is 0 at the maximum "
                         "(on the boundary of the parameter space).")
        else:
            notes.append(f"the random-effects covariance matrix G is singular at the maximum "
                         f"(rank {out.rank} of {design.q}, e.g. a correlation of +-1): on the "
                         "boundary of the parameter space.")
    exog_names = list(model.exog_names)
    fe = pd.Series(out.beta, index=exog_names)
    cov_fe = pd.DataFrame(out.cov_beta, index=exog_names, columns=exog_names)
    se = pd.Series(np.sqrt(np.diag(out.cov_beta)), index=exog_names)
    re_names = [str(n) for n in list(model.data.exog_re_names)[:model.k_re]] if model.k_re else []
    cov_re = pd.DataFrame(out.cov_re, index=re_names, columns=re_names)
    return MixedFit(
        result=res, converged=True, optimizer=label, llf=float(out.llf),
        fixed_effects=_fixed_table(fe, se),
        variance_components=_variance_table(model, out.cov_re, out.vcomp, out.scale),
        warnings=_dedupe(notes), attempts=attempts, reml=bool(reml), fe_params=fe, bse_fe=se,
        cov_fe=cov_fe, cov_re=cov_re, vcomp=np.asarray(out.vcomp, dtype=float),
        scale=float(out.scale), nobs=int(model.nobs), n_groups=len(model.group_labels),
        k_fe=len(exog_names), k_re=int(model.k_re), k_vc=int(model.k_vc), exog_names=exog_names,
        gradient=pd.Series(out.grad, index=labels), decrement=float(out.decrement),
        boundary=boundary, llf_start=float(res.llf), polished=out)


