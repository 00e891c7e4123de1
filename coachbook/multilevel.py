"""Two-level (students-in-teachers) models and multiple-imputation pooling.

The tools, one idea each:

- :func:`fit_mixed` fits a linear mixed model with several optimizers, because
  a single optimizer can stop at a wrong point and still report convergence,
  then polishes the best fit by Newton-Raphson on the exact likelihood
  (:mod:`coachbook.lmm`), so the estimates are the same on every machine.
- :func:`fit_logit_random_intercept` fits a random-intercept logistic model by
  adaptive Gauss-Hermite quadrature, finished by Newton with complex-step
  derivatives.
- :func:`pool_rubin` combines estimates from multiply imputed data sets with
  Rubin's rules, including the Barnard-Rubin small-sample degrees of freedom.
- :func:`multiply_impute` draws ``m`` completed data sets by chained equations
  with Bayesian linear-regression draws.

References
----------
Raudenbush, S. W., & Bryk, A. S. (2002). *Hierarchical Linear Models* (2nd ed.).
Rubin, D. B. (1987). *Multiple Imputation for Nonresponse in Surveys*. Wiley.
Barnard, J., & Rubin, D. B. (1999). Small-sample degrees of freedom with
multiple imputation. *Biometrika*, 86(4), 948-955.
van Buuren, S. (2018). *Flexible Imputation of Missing Data* (2nd ed.), ch. 3-4.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats

from coachbook._validate import (
    numeric_values,
    require_columns,
    require_dataframe,
    require_distinct,
    require_finite,
    require_int,
    require_names,
    require_number,
    require_numeric,
    require_open_unit,
    require_seed,
)

__all__ = ["MixedFit", "fit_mixed", "LogitMixedFit", "fit_logit_random_intercept", "pool_rubin",
           "multiply_impute", "DEFAULT_METHODS"]

#: Optimizers tried by :func:`fit_mixed`; a tuple is a chain (the second starts
#: where the first stopped if the first did not converge).
DEFAULT_METHODS = ("lbfgs", "bfgs", ("powell", "lbfgs"), "nm")


# --------------------------------------------------------------------------
# Mixed models
# --------------------------------------------------------------------------
@dataclass(repr=False)
class MixedFit:
    """The fit kept by :func:`fit_mixed`, with tidy tables.

    Every number below is the *polished* maximum (Newton-Raphson on the exact
    likelihood, :mod:`coachbook.lmm`), not the statsmodels optimizer's stopping
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


def _has_intercept(exog_re) -> bool:
    if exog_re is None or np.asarray(exog_re).ndim != 2 or np.asarray(exog_re).shape[1] == 0:
        return False
    col = np.asarray(exog_re)[:, 0]
    return bool(np.allclose(col, 1.0))


def _short(w: warnings.WarningMessage) -> str:
    text = str(w.message).strip().splitlines()[0] if str(w.message).strip() else ""
    text = text if len(text) <= 100 else text[:97] + "..."
    return f"{w.category.__name__}: {text}"


def _dedupe(items):
    return list(dict.fromkeys(items))


def _re_names(model) -> list[str]:
    names = list(model.data.exog_re_names) if model.k_re else []
    names = [str(n) for n in names][:model.k_re]
    if names and _has_intercept(model.exog_re):  # statsmodels labels it with the group name
        names[0] = "Intercept"
    return names


def _param_labels(model) -> list[str]:
    """Labels of the covariance parameters, in :class:`coachbook.lmm.LMMDesign` order."""
    names = _re_names(model)
    labels = [f"var({names[i]})" if i == j else f"cov({names[j]}, {names[i]})"
              for i in range(len(names)) for j in range(i + 1)]
    return labels + [f"var({n})" for n in model.exog_vc.names] + ["residual"]


def _variance_table(model, cov_re, vcomp, scale) -> pd.DataFrame:
    rows = []
    g = np.asarray(cov_re, dtype=float).reshape(model.k_re, model.k_re)
    labels = iter(_param_labels(model))
    for i in range(model.k_re):
        for j in range(i + 1):
            value = float(g[i, j])
            rows.append((next(labels), value, np.sqrt(value) if i == j and value >= 0 else np.nan))
    for value in np.atleast_1d(np.asarray(vcomp, dtype=float)):
        rows.append((next(labels), float(value), np.sqrt(max(float(value), 0.0))))
    rows.append((next(labels), float(scale), np.sqrt(float(scale))))
    return pd.DataFrame(rows, columns=["component", "estimate", "sd"]).set_index("component")


def _fixed_table(est: pd.Series, se: pd.Series) -> pd.DataFrame:
    z = est / se
    return pd.DataFrame({"estimate": est, "se": se, "z": z, "p": 2 * stats.norm.sf(np.abs(z))})


def _describe(formula, groups, re_formula, vc_formula, reml) -> str:
    parts = [f"{formula!r}", f"groups={groups!r}"]
    if re_formula is not None:
        parts.append(f"re_formula={re_formula!r}")
    if vc_formula is not None:
        parts.append(f"vc_formula={vc_formula!r}")
    parts.append("REML" if reml else "ML")
    return "the mixed model " + ", ".join(parts)


def _start_theta(design, res):
    cov_re = np.asarray(res.cov_re, dtype=float).reshape(design.q, design.q)
    return design.join(cov_re, np.asarray(res.vcomp, dtype=float), float(res.scale))


def _first_best(polished, tol=1e-9):
    """The highest polished fit; among those within ``tol`` of it, the first tried.

    Starts in one basin reach the same maximum to ~1e-13, and which of them is
    a hair higher is noise: the first one keeps the kept fit (and its label)
    the same on every machine.
    """
    top = max(p[0].llf for p in polished)
    return next(p for p in polished if p[0].llf >= top - tol * max(1.0, abs(top)))


def _restarts(design, theta):
    """Extra Newton starts around a maximum: variances scaled down and up, and T made diagonal."""
    g, vc, sigma2 = design.split(np.asarray(theta, dtype=float))
    floor = 0.05 * sigma2
    diagonal = np.diag(np.maximum(np.diag(g), floor)) if design.q else g
    return [("variances x 0.2", design.join(0.2 * g, 0.2 * vc, sigma2)),
            ("variances x 5", design.join(5 * g, 5 * vc, sigma2)),
            ("diagonal T", design.join(diagonal, np.maximum(vc, floor), sigma2))]


def _run_optimizers(model, reml, methods):
    fits, rows = [], []
    for method in methods:
        label = method if isinstance(method, str) else "+".join(method)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                res = model.fit(reml=reml, method=method if isinstance(method, str) else list(method))
                llf, conv, err = float(res.llf), bool(res.converged), ""
            except Exception as exc:  # an optimizer failing is data, not a crash
                res, llf, conv, err = None, np.nan, False, f"{type(exc).__name__}: {exc}"[:100]
        notes = _dedupe(_short(w) for w in caught)
        rows.append({"optimizer": label, "llf": llf, "converged": conv, "error": err,
                     "notes": "; ".join(notes)})
        if res is not None and np.isfinite(llf):
            fits.append((llf, label, res))
    return fits, rows


def fit_mixed(formula, data, groups, re_formula=None, vc_formula=None, reml=True,
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
       with exact derivatives (:func:`coachbook.lmm.polish`), respecting
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
    groups : str
        Column identifying level-2 units (teacher, school, or person).
    re_formula : str, optional
        Random part, e.g. ``"~ time"`` for random intercepts and slopes.
        Default: random intercept only (none if ``vc_formula`` is given).
    vc_formula : dict, optional
        Extra variance components, passed to statsmodels, e.g. (three levels,
        occasions in teachers in coaches with ``groups="coach_id"``)
        ``{"pair": "0 + C(teacher_id)"}``.
    reml : bool, default True
        REML for variance components; use ``reml=False`` (ML) when you will
        compare fixed effects with :func:`coachbook.growth.deviance_test`.
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
    from coachbook.lmm import LMMDesign, polish

    require_columns(data, [groups])
    if data[groups].isna().any():
        raise ValueError(
            f"group column {groups!r} has {int(data[groups].isna().sum())} missing value(s); "
            "drop those rows or give them an id, since each row must belong to a group."
        )
    if data[groups].nunique() < 2:
        raise ValueError(f"group column {groups!r} has fewer than 2 groups; a multilevel "
                         "model needs several level-2 units.")
    methods = list(methods)
    if not methods:
        raise ValueError("methods is empty; give at least one optimizer, e.g. 'lbfgs'.")

    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        try:
            model = smf.mixedlm(formula, data, groups=groups, re_formula=re_formula,
                                vc_formula=vc_formula)
        except Exception as exc:  # patsy errors are not ValueErrors
            raise ValueError(
                f"could not build the model from formula {formula!r}: {str(exc).splitlines()[0]}. "
                "Check the column names, and drop rows with missing values in the model's "
                "variables first (MixedLM does not drop them)."
            ) from exc
    what = _describe(formula, groups, re_formula, vc_formula, reml)
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


# --------------------------------------------------------------------------
# Random-intercept logistic regression by (adaptive) Gauss-Hermite quadrature
# --------------------------------------------------------------------------
@dataclass(repr=False)
class LogitMixedFit:
    """A random-intercept logistic model fitted by :func:`fit_logit_random_intercept`.

    Attributes
    ----------
    fixed_effects : DataFrame
        ``estimate, se, z, p`` per fixed effect, on the logit scale, for a
        unit with random intercept 0 (*unit-specific* effects).
    re_sd : float
        Standard deviation of the random intercept (logit scale).
    llf : float
        Maximized (approximate) log-likelihood.
    converged : bool
        True when the Newton decrement at the optimum (its distance in
        standard-error units) is below 1e-8 and the Hessian is negative definite.
    n_points : int
        Quadrature points per unit (1 = the Laplace approximation).
    n_obs, n_groups : int
    gradient : Series
        Score at the optimum in ``beta`` and ``sd`` (complex-step derivatives).
    decrement : float
        Final Newton decrement ``sqrt(g'(-H)^-1 g)``.
    """

    fixed_effects: pd.DataFrame
    re_sd: float
    llf: float
    converged: bool
    n_points: int
    n_obs: int
    n_groups: int
    gradient: pd.Series | None = None
    decrement: float = np.nan

    def __repr__(self) -> str:
        return (f"LogitMixedFit(llf={self.llf:.3f}, re_sd={self.re_sd:.3f}, n_points={self.n_points}, "
                f"converged={self.converged}, n_obs={self.n_obs}, n_groups={self.n_groups})")


def _csum(g, values, n_groups):
    """``np.bincount`` for real or complex weights."""
    if np.iscomplexobj(values):
        return (np.bincount(g, values.real, n_groups)
                + 1j * np.bincount(g, values.imag, n_groups))
    return np.bincount(g, values, n_groups)


def _expit(eta):
    pos = eta.real > 0
    with np.errstate(over="ignore", invalid="ignore"):
        a = 1.0 / (1.0 + np.exp(-eta))
        ex = np.exp(eta)
        b = ex / (1.0 + ex)
    return np.where(pos, a, b)


def _softplus(eta):
    """``log(1 + exp(eta))``, stable, and analytic (for complex-step derivatives)."""
    pos = eta.real > 0
    with np.errstate(over="ignore", invalid="ignore"):
        a = eta + np.log1p(np.exp(-eta))
        b = np.log1p(np.exp(eta))
    return np.where(pos, a, b)


def _agq_loglik_sd(beta, sd, x, y, g, n_groups, nodes, weights, newton_steps=100):
    """Adaptive Gauss-Hermite log-likelihood at ``(beta, sd)``; real or complex arguments.

    Every step is an analytic function of ``beta`` and ``sd`` (the branch
    choices look at real parts only), so ``Im f(theta + i h e_k) / h`` is the
    derivative to machine precision (the complex-step method; Squire &
    Trapp 1998). The modes are found by Newton's method to full precision,
    then three more steps carry the imaginary (derivative) part along.
    """
    xb = x @ beta
    u = np.zeros(n_groups, dtype=np.result_type(xb, sd))
    extra = None
    for _ in range(newton_steps):  # mode of h_j(u) = sum_i loglik_ij(u) - u^2/2 (concave)
        p = _expit(xb + sd * u[g])
        grad = sd * _csum(g, y - p, n_groups) - u
        hess = -(sd ** 2) * _csum(g, p * (1 - p), n_groups) - 1.0
        step = grad / hess
        u = u - step
        if extra is None and np.max(np.abs(step.real)) < 1e-13 * (1.0 + np.max(np.abs(u.real))):
            extra = 3
        if extra is not None:
            extra -= 1
            if extra <= 0:
                break
    p = _expit(xb + sd * u[g])
    scale = 1.0 / np.sqrt((sd ** 2) * _csum(g, p * (1 - p), n_groups) + 1.0)
    # h_j at u_j + sqrt(2) scale_j x_k for every node k
    uk = u[:, None] + np.sqrt(2.0) * scale[:, None] * nodes[None, :]        # G x K
    eta = xb[:, None] + sd * uk[g]                                          # n x K
    ll = y[:, None] * eta - _softplus(eta)
    h = np.zeros((n_groups, len(nodes)), dtype=ll.dtype)
    np.add.at(h, g, ll)
    h = h - 0.5 * uk ** 2 - 0.5 * np.log(2 * np.pi)
    terms = h + nodes[None, :] ** 2 + np.log(weights)[None, :]
    top = terms.real.max(axis=1, keepdims=True)
    per_group = top[:, 0] + np.log(np.exp(terms - top).sum(axis=1)) + np.log(np.sqrt(2.0) * scale)
    return per_group.sum()


def _agq_loglik(beta, log_sd, x, y, g, n_groups, nodes, weights, newton_steps=100):
    """Log-likelihood of the random-intercept logit, adaptive Gauss-Hermite per group."""
    return float(_agq_loglik_sd(np.asarray(beta, float), float(np.exp(log_sd)), x, y, g, n_groups,
                                nodes, weights, newton_steps).real)


def _complex_step_grad(f, theta, h=1e-30):
    theta = np.asarray(theta, dtype=float)
    return np.array([f(theta + 1j * h * e).imag / h for e in np.eye(len(theta))])


def _hessian_from_grad(grad, theta, rel=1e-3):
    """Central differences of an exact gradient, Richardson-extrapolated (error O(h^4))."""
    k = len(theta)
    hess = np.zeros((k, k))
    for i in range(k):
        h = rel * max(1.0, abs(theta[i]))
        e = np.zeros(k)
        e[i] = 1.0

        def diff(s):
            return (grad(theta + s * e) - grad(theta - s * e)) / (2 * s)

        hess[:, i] = (4.0 * diff(h / 2) - diff(h)) / 3.0
    return 0.5 * (hess + hess.T)


def fit_logit_random_intercept(formula, data, groups, n_points=15) -> LogitMixedFit:
    """Random-intercept logistic regression by maximum likelihood.

    The model for occasion ``t`` of unit ``j`` is ``logit P(y_tj = 1) = x_tj' beta
    + u_j`` with ``u_j ~ N(0, sd^2)``. Its likelihood integrates over each
    ``u_j``; the integral has no closed form, and software differs in how it
    approximates it (Raudenbush & Bryk 2002, ch. 10):

    - **PQL** (penalized quasi-likelihood, HLM's default for binary outcomes)
      linearizes the model and iterates weighted linear mixed models; with few
      binary observations per unit it shrinks both ``sd`` and ``beta`` toward 0.
    - **Laplace** approximates each integrand by a normal curve at its mode
      (HLM's Laplace option uses a higher-order version); here ``n_points=1``.
    - **Adaptive Gauss-Hermite quadrature** (Pinheiro & Bates 1995; lme4's
      ``nAGQ``) centres ``n_points`` nodes at the mode and scales them by the
      curvature; with enough points it is exact maximum likelihood.

    ``beta`` are *unit-specific* effects (for a unit with ``u_j = 0``). A
    population-averaged model (GEE) estimates smaller coefficients, roughly
    ``beta / sqrt(1 + 0.346 sd^2)`` (Zeger, Liang & Albert 1988).

    BFGS finds the neighbourhood of the maximum; Newton-Raphson with
    complex-step gradients (exact to machine precision) and a Hessian from
    their differences then finishes it, so the estimates are determined far
    below display precision. The likelihood is even in ``sd``, so ``sd = 0``
    (no variation between units) is a regular point, not a boundary.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + x2"`` with a 0/1 outcome.
    data : DataFrame
    groups : str
        Column identifying the units that share a random intercept.
    n_points : int, default 15
        Quadrature points per unit; 1 gives the Laplace approximation.

    Returns
    -------
    LogitMixedFit with Wald z tests (SEs from the Hessian of the
    log-likelihood in ``beta`` and ``sd``).

    Raises
    ------
    ValueError
        Bad inputs, or an outcome without variation (all 0 or all 1), whose
        maximum likelihood estimate does not exist.
    """
    import patsy
    from scipy import optimize

    require_columns(data, [groups])
    if int(n_points) != n_points or n_points < 1:
        raise ValueError(f"n_points must be a positive integer, got {n_points}.")
    try:
        y_df, x_df = patsy.dmatrices(formula, data, return_type="dataframe", NA_action="drop")
    except Exception as exc:
        raise ValueError(f"could not build the model from formula {formula!r}: "
                         f"{str(exc).splitlines()[0]}.") from exc
    if y_df.shape[1] != 1:
        raise ValueError("the outcome must be one 0/1 column (a categorical outcome was expanded); "
                         "recode it as 0/1 integers.")
    y = y_df.iloc[:, 0].to_numpy(float)
    if not set(np.unique(y)) <= {0.0, 1.0}:
        raise ValueError(f"the outcome of {formula!r} must be coded 0/1, found values "
                         f"{sorted(set(np.unique(y)))[:6]}.")
    what = f"the random-intercept logit {formula!r} with groups={groups!r}"
    if len(np.unique(y)) < 2:
        raise ValueError(f"{what}: the outcome is {int(y[0]) if len(y) else 'empty'} for every "
                         f"one of the {len(y)} rows, so the model cannot be estimated (its "
                         "intercept would be infinite). Report the proportion instead.")
    grp = data.loc[y_df.index, groups]
    if grp.isna().any():
        raise ValueError(f"group column {groups!r} has missing values; drop those rows first.")
    g, labels = pd.factorize(grp)
    if len(labels) < 2:
        raise ValueError(f"group column {groups!r} has fewer than 2 groups.")
    x = x_df.to_numpy(float)
    nodes, weights = np.polynomial.hermite.hermgauss(int(n_points))
    k = x.shape[1]
    n_groups = len(labels)

    def loglik(theta):  # theta = (beta, sd), real or complex
        return _agq_loglik_sd(theta[:k], theta[k], x, y, g, n_groups, nodes, weights)

    def negll_log(theta):
        return -float(_agq_loglik_sd(theta[:k], np.exp(theta[k]), x, y, g, n_groups,
                                     nodes, weights).real)

    def grad(theta):
        return _complex_step_grad(loglik, theta)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt = optimize.minimize(negll_log, np.r_[np.zeros(k), 0.0], method="BFGS",
                                options={"gtol": 1e-5})
    theta = np.r_[opt.x[:k], np.exp(opt.x[k])]
    value = float(loglik(theta).real)
    decrement, nd = np.inf, False
    for _ in range(50):  # Newton-Raphson with step halving
        gr = grad(theta)
        hess = _hessian_from_grad(grad, theta)
        neg = -hess
        w, u = np.linalg.eigh(neg)
        nd = bool(np.all(w > 1e-12 * max(np.max(np.abs(w)), 1e-300)))
        w_mod = np.maximum(np.abs(w), 1e-10 * max(np.max(np.abs(w)), 1e-300))
        coef = (u.T @ gr) / w_mod
        step = u @ coef
        decrement = float(np.sqrt(np.sum(coef ** 2 * w_mod)))
        if decrement < 1e-11:
            break
        t = 1.0
        while t > 1e-10:
            trial = theta + t * step
            new = float(loglik(trial).real)
            if new >= value - 1e-12 * max(1.0, abs(value)):
                break
            t *= 0.5
        else:
            break
        theta, value = trial, new
    theta[k] = abs(theta[k])  # the likelihood is even in sd
    gr = grad(theta)
    hess = _hessian_from_grad(grad, theta)
    eig = np.linalg.eigvalsh(-hess)
    nd = bool(np.all(eig > 1e-12 * max(np.max(np.abs(eig)), 1e-300)))
    cov = np.linalg.inv(-hess) if nd else np.linalg.pinv(-hess)
    if nd:
        decrement = float(np.sqrt(max(gr @ cov @ gr, 0.0)))
    est = pd.Series(theta[:k], index=x_df.columns)
    se = pd.Series(np.sqrt(np.abs(np.diag(cov)[:k])), index=x_df.columns)
    z = est / se
    table = pd.DataFrame({"estimate": est, "se": se, "z": z, "p": 2 * stats.norm.sf(np.abs(z))})
    return LogitMixedFit(fixed_effects=table, re_sd=float(theta[k]), llf=float(loglik(theta).real),
                         converged=bool(nd and decrement < 1e-8), n_points=int(n_points),
                         n_obs=len(y), n_groups=n_groups,
                         gradient=pd.Series(gr, index=list(x_df.columns) + ["sd"]),
                         decrement=decrement)


# --------------------------------------------------------------------------
# Rubin's rules
# --------------------------------------------------------------------------
def _as_matrix(values, what: str):
    names = list(values.columns) if isinstance(values, pd.DataFrame) else None
    if np.asarray(values).dtype.kind == "b" or (
            isinstance(values, pd.DataFrame) and any(pd.api.types.is_bool_dtype(values[c])
                                                     for c in values.columns)):
        raise ValueError(f"{what} must be numbers, got True/False values.")
    arr = numeric_values(values, what, ndim=None)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{what} must be 1-D (m imputations) or 2-D (m x p parameters); "
                         f"got shape {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{what} contains NaN or infinite values; every imputation must "
                         "give an estimate and a variance for every parameter.")
    return arr, names


def pool_rubin(estimates, variances, df_complete=None, alpha=0.05, names=None) -> pd.DataFrame:
    """Pool estimates from ``m`` imputed data sets with Rubin's rules.

    With ``Q_l`` the estimate and ``U_l`` its squared standard error in imputed
    data set ``l = 1..m`` (Rubin 1987, ch. 3; van Buuren 2018, sec. 2.3):

    - pooled estimate ``Q = mean(Q_l)``
    - within variance ``W = mean(U_l)``
    - between variance ``B = var(Q_l)`` (denominator ``m - 1``)
    - total variance ``T = W + (1 + 1/m) B``
    - relative increase in variance ``r = (1 + 1/m) B / W``
    - proportion of variance due to missingness ``lambda = (1 + 1/m) B / T``
    - Rubin's df ``nu_old = (m - 1)(1 + 1/r)^2 = (m - 1) / lambda^2``

    Rubin's df assumes the complete data would give a normal (infinite-df)
    reference and can exceed the complete-data df. Given the complete-data df
    ``nu_com`` (e.g. ``n - k`` for a regression, or the number of teachers minus
    the level-2 parameters), Barnard & Rubin (1999) use

    - ``nu_obs = (nu_com + 1) / (nu_com + 3) * nu_com * (1 - lambda)``
    - ``nu_BR = nu_old nu_obs / (nu_old + nu_obs)``, always ``<= nu_com``,

    which tends to ``nu_old`` as ``nu_com -> inf``. (statsmodels' MICE pooling
    uses a normal reference; this adds the t reference.)

    Parameters
    ----------
    estimates, variances : array-like, shape (m,) or (m, p)
        Point estimates and their squared standard errors, one row per
        imputation. A DataFrame's column names label the parameters.
    df_complete : float or array of p floats, optional
        Complete-data degrees of freedom ``nu_com`` (``np.inf`` allowed). If
        omitted, ``df`` is Rubin's ``nu_old``.
    alpha : float, default 0.05
        For the ``1 - alpha`` confidence interval.
    names : list of str, optional
        Parameter names (override DataFrame columns), one per parameter.

    Returns
    -------
    DataFrame, one row per parameter
        ``estimate, within, between, total, se, riv, lambda, df_rubin, df, t, p,
        ci_low, ci_high`` where ``df`` is ``nu_BR`` when ``df_complete`` is given.
        If ``B = 0``, ``nu_old`` is infinite and ``nu_BR = nu_obs``.
    """
    q, col_names = _as_matrix(estimates, "estimates")
    u, var_names = _as_matrix(variances, "variances")
    if q.shape != u.shape:
        raise ValueError(f"estimates has shape {q.shape} but variances has shape {u.shape}; "
                         "they must match (one row per imputation, one column per parameter).")
    if col_names is not None and var_names is not None and col_names != var_names:
        raise ValueError(f"the columns of estimates {col_names} and of variances {var_names} "
                         "differ, so estimates would be paired with the wrong variances; "
                         "reorder with variances[estimates.columns].")
    if names is not None:
        names = require_names("names", names)
        if len(names) != q.shape[1]:
            raise ValueError(f"names has {len(names)} entries but there are {q.shape[1]} "
                             "parameter(s) (columns of estimates); give one name per parameter.")
    m = q.shape[0]
    if m < 2:
        raise ValueError(f"Rubin's rules need at least 2 imputations (got {m}); the "
                         "between-imputation variance cannot be estimated from one.")
    if np.any(u < 0):
        raise ValueError("variances must be non-negative (squared standard errors); "
                         "did you pass standard errors with a sign, or covariances?")
    alpha = require_open_unit("alpha", alpha)
    if df_complete is not None:
        if np.ndim(df_complete) > 1 or np.size(df_complete) not in (1, q.shape[1]):
            raise ValueError(f"df_complete must be one number or one per parameter "
                             f"({q.shape[1]}), got {np.size(df_complete)} value(s).")
        if np.asarray(df_complete).dtype.kind == "b":
            raise ValueError("df_complete must be a number of degrees of freedom, got True/False.")
        if np.ndim(df_complete) == 0:
            df_complete = require_number("df_complete", df_complete, finite=False,
                                         allow_nan=True)
        else:
            df_complete = numeric_values(df_complete, "df_complete")

    est, w, b = q.mean(0), u.mean(0), q.var(0, ddof=1)
    t_var = w + (1 + 1 / m) * b
    if np.any(t_var <= 0):
        zero = [(names if names is not None else col_names or list(range(q.shape[1])))[j]
                for j in np.flatnonzero(t_var <= 0)]
        raise ValueError(f"the total variance of parameter(s) {zero[:5]} is 0 (every imputation "
                         "gives the same estimate with variance 0), so no test or interval is "
                         "possible; check that the variances are squared standard errors.")
    with np.errstate(divide="ignore", invalid="ignore"):
        riv = (1 + 1 / m) * b / w
        lam = np.where(t_var > 0, (1 + 1 / m) * b / t_var, 0.0)
        df_old = (m - 1) / lam**2
        if df_complete is None:
            df = df_old
        else:
            nu = np.broadcast_to(np.asarray(df_complete, dtype=float), est.shape)
            if np.any(~(nu > 0)):
                raise ValueError(f"df_complete must be positive, got {df_complete}.")
            shrink = np.where(np.isinf(nu), 1.0, (nu + 1) / (nu + 3))
            df_obs = shrink * nu * (1 - lam)
            df = 1 / (1 / df_old + 1 / df_obs)
        se = np.sqrt(t_var)
        t_stat = est / se
    p = 2 * stats.t.sf(np.abs(t_stat), df)
    half = stats.t.ppf(1 - alpha / 2, df) * se
    index = names if names is not None else col_names
    return pd.DataFrame({"estimate": est, "within": w, "between": b, "total": t_var, "se": se,
                         "riv": riv, "lambda": lam, "df_rubin": df_old, "df": df, "t": t_stat,
                         "p": p, "ci_low": est - half, "ci_high": est + half}, index=index)


# --------------------------------------------------------------------------
# Multiple imputation
# --------------------------------------------------------------------------
def multiply_impute(data, columns, m=20, seed=None, predictors=(), n_iter=10) -> list[pd.DataFrame]:
    """Draw ``m`` completed data sets by chained equations (normal Bayesian regression).

    Each missing column is imputed in turn from all the others (the rest of
    ``columns`` plus the fully observed ``predictors``), cycling ``n_iter``
    times, as in R's ``mice`` with method ``"norm"`` (van Buuren 2018,
    Algorithm 3.1). One step for column ``y`` with design ``X`` (intercept plus
    the other variables, current imputations included), on the rows where ``y``
    is observed (``n`` rows, ``k`` columns):

    1. OLS: ``b = (X'X)^-1 X'y``, residual sum of squares ``RSS``;
    2. draw ``sigma^2 = RSS / g`` with ``g ~ chi^2(n - k)``;
    3. draw ``beta ~ N(b, sigma^2 (X'X)^-1)``;
    4. impute ``y_mis = X_mis beta + N(0, sigma^2)``.

    Drawing the parameters (steps 2-3), not just the residual, is what makes
    the between-imputation variance honest. The ``m`` chains are independent,
    each started from random draws of the observed values. Imputations are on
    a continuous normal scale (a 1-5 rating can be imputed as 5.3); use
    predictive mean matching (statsmodels ``MICEData``) if that matters. For
    students nested in teachers, include teacher-level information (e.g.
    teacher means, treatment) in ``predictors`` so that the imputation model is
    not less rich than the analysis model.

    Parameters
    ----------
    data : DataFrame
    columns : list of str
        Numeric columns to impute (each needs some observed values).
    m : int, default 20
        Number of imputations (at least 2).
    seed : int or numpy Generator, optional
        Seed for reproducible imputations.
    predictors : list of str
        Fully observed numeric columns used only as predictors.
    n_iter : int, default 10
        Chained-equation cycles per imputation (at least 1; with 0 the
        "imputations" would be the random starting draws).

    Returns
    -------
    list of DataFrame
        ``m`` copies of ``data`` with ``columns`` filled in.
    """
    require_dataframe(data)
    columns, predictors = require_names("columns", columns), require_names("predictors", predictors)
    if not columns:
        raise ValueError("columns is empty; name the column(s) with missing values to impute.")
    require_columns(data, columns + predictors)
    require_distinct({"a column to impute": columns, "a predictor": predictors})
    require_numeric(data, columns, role="imputed")
    require_numeric(data, predictors, role="predictor")
    require_finite(data, columns, role="imputed")
    require_finite(data, predictors, role="predictor")
    m = require_int("m", m, what="an integer of at least 2 imputations")
    if m < 2:
        raise ValueError(f"m must be an integer of at least 2 imputations, got {m}.")
    n_iter = require_int("n_iter", n_iter, minimum=1,
                         what="a whole number of chained-equation cycles (at least 1)")
    seed = require_seed(seed)
    if predictors and data[predictors].isna().any().any():
        bad = [c for c in predictors if data[c].isna().any()]
        raise ValueError(f"predictor(s) {bad} have missing values; move them to `columns` "
                         "so that they are imputed too.")
    y_all = data[columns].to_numpy(dtype=float)
    miss = np.isnan(y_all)
    for j, c in enumerate(columns):
        if miss[:, j].all():
            raise ValueError(f"column {c!r} has no observed values, so it cannot be imputed.")
    base = np.column_stack([np.ones(len(data)), data[predictors].to_numpy(dtype=float)])
    rng = np.random.default_rng(seed)
    todo = [j for j in np.argsort(miss.sum(0), kind="stable") if miss[:, j].any()]
    for j in todo:
        if (~miss[:, j]).sum() <= base.shape[1] + len(columns):
            raise ValueError(f"column {columns[j]!r} has too few observed values to fit its "
                             "imputation model; use fewer predictors.")
    completed = []
    for _ in range(int(m)):
        y = y_all.copy()
        for j in todo:  # start from random draws of the observed values
            y[miss[:, j], j] = rng.choice(y_all[~miss[:, j], j], miss[:, j].sum())
        for _ in range(n_iter):
            for j in todo:
                obs = ~miss[:, j]
                x = np.column_stack([base, np.delete(y, j, axis=1)])
                xo, yo = x[obs], y[obs, j]
                xtx_inv = np.linalg.pinv(xo.T @ xo)
                b = xtx_inv @ xo.T @ yo
                rss = float(np.sum((yo - xo @ b) ** 2))
                sigma2 = rss / rng.chisquare(max(obs.sum() - x.shape[1], 1))
                beta = rng.multivariate_normal(b, sigma2 * xtx_inv)
                y[~obs, j] = x[~obs] @ beta + rng.normal(0.0, np.sqrt(sigma2), (~obs).sum())
        out = data.copy()
        out[columns] = y
        completed.append(out)
    return completed
