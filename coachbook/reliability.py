"""Reliability and agreement of classroom-observation scores, and paired effect sizes.

Coaching studies stand or fall on their measures: if two trained raters give
the same lesson different Mathematical Quality of Instruction (MQI) scores, a
coaching effect on MQI is partly an effect on who did the rating. This module
collects the statistics used to report how far scores can be trusted:

- :func:`icc`, :func:`icc_wide`          intraclass correlations (Shrout & Fleiss 1979)
- :func:`weighted_kappa`,
  :func:`weighted_kappa_from_table`      chance-corrected agreement on ordinal codes
- :func:`rater_agreement`                the calibration summary a coach trainer reads
- :func:`d_z`, :func:`d_av`, :func:`g_av` standardized change in a within-teacher design
- :func:`coefficient_of_variation`       spread relative to the mean
- :func:`icc_by_group`                   one ICC per subset of targets (e.g. coached lessons)
- :func:`rm_anova`, :func:`rm_logistic`  repeated-measures tests of change over occasions
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from coachbook._validate import (
    RELATIVE_TOLERANCE,
    _is_text,
    _parses_as_number,
    _check_finite,
    is_constant,
    numeric_values,
    require_columns,
    require_complete,
    require_distinct,
    require_finite,
    require_numeric,
    require_variation,
)

__all__ = [
    "icc",
    "icc_wide",
    "Kappa",
    "weighted_kappa",
    "weighted_kappa_from_table",
    "rater_agreement",
    "d_z",
    "d_av",
    "g_av",
    "coefficient_of_variation",
    "icc_by_group",
    "RepeatedMeasuresTest",
    "rm_anova",
    "rm_logistic",
]

# pingouin's McGraw-Wong labels -> (Shrout & Fleiss name, what it measures).
_SHROUT_FLEISS = {
    "ICC(1,1)": ("ICC(1,1)", "one rater; each target rated by different raters"),
    "ICC(A,1)": ("ICC(2,1)", "one rater; random raters, absolute agreement"),
    "ICC(C,1)": ("ICC(3,1)", "one rater; fixed raters, consistency"),
    "ICC(1,k)": ("ICC(1,k)", "mean of k raters; different raters per target"),
    "ICC(A,k)": ("ICC(2,k)", "mean of k raters; random raters, absolute agreement"),
    "ICC(C,k)": ("ICC(3,k)", "mean of k raters; fixed raters, consistency"),
}


# --------------------------------------------------------------------------
# Intraclass correlations
# --------------------------------------------------------------------------
def icc(data: pd.DataFrame, targets: str, raters: str, ratings: str) -> pd.DataFrame:
    """All six Shrout & Fleiss (1979) intraclass correlations from long data.

    An ICC is the share of the variance in scores that lies between *targets*
    (lessons, teachers) rather than between raters or in noise. It answers
    "if I rescored these lessons, would their ordering (or their scores)
    hold up?".

    Parameters
    ----------
    data : pandas.DataFrame
        One row per (target, rater) score. Every rater must score every target
        exactly once (a fully crossed, balanced design).
    targets, raters, ratings : str
        Column names of the rated object, the rater, and the numeric score.

    Returns
    -------
    pandas.DataFrame
        Indexed by form (``"ICC(1,1)"`` ... ``"ICC(3,k)"``, where k is the
        number of raters), with columns ``description``, ``icc``, ``F``,
        ``df1``, ``df2``, ``p_value``, ``ci95_low``, ``ci95_high``.

    Notes
    -----
    With n targets and k raters, a two-way ANOVA gives the mean squares BMS
    (between targets), JMS (between raters), EMS (residual) and
    WMS = (SS_raters + SS_residual) / (n(k - 1)) (within targets). Then

    ========  ====================================================  =====================
    form      formula                                               raters are ...
    ========  ====================================================  =====================
    ICC(1,1)  (BMS - WMS) / (BMS + (k-1) WMS)                        different per target
    ICC(2,1)  (BMS - EMS) / (BMS + (k-1) EMS + k (JMS - EMS) / n)    a random sample
    ICC(3,1)  (BMS - EMS) / (BMS + (k-1) EMS)                        the only raters (fixed)
    ICC(1,k)  (BMS - WMS) / BMS
    ICC(2,k)  (BMS - EMS) / (BMS + (JMS - EMS) / n)
    ICC(3,k)  (BMS - EMS) / BMS
    ========  ====================================================  =====================

    The ``,1`` forms are the reliability of one rater's score, the ``,k``
    forms that of the mean of k raters. ICC(2,·) counts a rater's overall
    leniency as error (absolute agreement); ICC(3,·) ignores it (consistency).
    For MQI scores from a pool of trained raters, ICC(2,1) is the usual choice.

    The computation is done by :func:`pingouin.intraclass_corr`, whose
    estimates reproduce Shrout & Fleiss's Table 4; confidence intervals are
    its 95% F-based intervals (Shrout & Fleiss 1979; McGraw & Wong 1996),
    unrounded.

    References
    ----------
    Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: Uses in
    assessing rater reliability. *Psychological Bulletin, 86*(2), 420-428.
    """
    require_columns(data, [targets, raters, ratings])
    require_distinct({"the targets": targets, "the raters": raters, "the ratings": ratings})
    require_numeric(data, [ratings], role="ratings")
    require_finite(data, [ratings], role="ratings")
    require_complete(data, [targets, raters],
                     "every score must say which target it rates and which rater gave it.")
    if data[ratings].isna().any():
        raise ValueError(
            f"{int(data[ratings].isna().sum())} rating(s) in {ratings!r} are missing; the ICC "
            "needs every rater to score every target. Drop the incomplete targets first."
        )
    duplicated = data.duplicated([targets, raters])
    if duplicated.any():
        example = data.loc[duplicated, [targets, raters]].iloc[0].tolist()
        raise ValueError(
            f"{int(duplicated.sum())} (target, rater) pair(s) appear more than once, for example "
            f"{example}; each rater must score each target once. Average repeat scores first."
        )
    wide = data.pivot(index=targets, columns=raters, values=ratings)
    return icc_wide(wide)


def icc_wide(ratings) -> pd.DataFrame:
    """All six Shrout & Fleiss ICCs from a targets x raters table.

    Parameters
    ----------
    ratings : array-like or pandas.DataFrame, shape (n_targets, n_raters)
        Row i, column j is rater j's score of target i. No missing cells.

    Returns
    -------
    pandas.DataFrame
        As :func:`icc`.

    Examples
    --------
    Shrout & Fleiss (1979), Table 2 (6 targets, 4 judges):

    >>> table = icc_wide([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
    ...                   [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])
    >>> round(float(table.loc["ICC(2,1)", "icc"]), 2)
    0.29
    """
    try:
        dims = np.ndim(ratings) if not isinstance(ratings, pd.DataFrame) else 2
    except ValueError:  # ragged nested lists
        dims = -1
    if dims != 2:
        raise ValueError(
            "ratings must be a non-empty 2-D table (one row per target, one column per rater); "
            f"got {dims if dims >= 0 else 'ragged'} dimension(s)."
        )
    wide = pd.DataFrame(ratings)
    if wide.ndim != 2 or wide.empty:
        raise ValueError(
            "ratings must be a non-empty 2-D table: one row per target, one column per rater."
        )
    if wide.columns.duplicated().any():
        raise ValueError(
            f"rater column(s) {wide.columns[wide.columns.duplicated()].unique().tolist()[:5]} "
            "appear more than once; give every rater one column with a unique name."
        )
    non_numeric = [c for c in wide.columns if not pd.api.types.is_numeric_dtype(wide[c])]
    if non_numeric:
        texts = wide[non_numeric].stack().tolist()
        stored = (" (they hold numbers stored as text)"
                  if texts and all(_parses_as_number(v) for v in texts) else "")
        raise ValueError(
            f"ratings must be numeric; rater column(s) {non_numeric[:5]} are not{stored}. "
            "Convert codes to numbers with pd.to_numeric(...)."
        )
    for c in wide.columns:
        _check_finite(wide[c].to_numpy(dtype=float, na_value=np.nan),
                      f"ratings of rater {c!r}", allow_nan=True)
    n_targets, n_raters = wide.shape
    if n_raters < 2:
        raise ValueError(
            f"found {n_raters} rater; an ICC compares raters, so at least 2 are needed."
        )
    if n_targets < 2:
        raise ValueError(
            f"found {n_targets} target; an ICC needs at least 2 rated targets to have "
            "between-target variance."
        )
    incomplete = wide.index[wide.isna().any(axis=1)].tolist()
    if incomplete:
        raise ValueError(
            f"the design is unbalanced: target(s) {incomplete[:5]} lack a score from some rater. "
            "The Shrout-Fleiss ICCs need a fully crossed design; drop those targets "
            "or use a mixed model for incomplete designs."
        )

    values = wide.to_numpy(dtype=float)
    require_variation(values.ravel(), "every rating",
                      "there is no variance to divide between targets and raters and every ICC "
                      "is 0/0", "check that you passed the right ratings column")
    target_means = values.mean(axis=1)
    if np.ptp(target_means) <= RELATIVE_TOLERANCE * np.abs(values).max():
        raise ValueError(
            f"every target has the same mean rating ({target_means[0]:.6g}), so the "
            "between-target variance is 0 and the ICCs are undefined or meaningless (the k-rater "
            "forms divide by it); the scores only tell raters apart. Check that targets and "
            "raters were not swapped."
        )

    import pingouin  # imported here: it is slow to load and only this function needs it

    long = (
        wide.rename_axis(index="target", columns="rater")
        .reset_index()
        .melt(id_vars="target", var_name="rater", value_name="rating")
    )
    long["rating"] = long["rating"].astype(float)
    # pingouin rounds its CI column to 2 decimals by default; keep full precision.
    saved = dict(pingouin.options)
    try:
        for key in [k for k in pingouin.options if k == "round" or k.startswith("round.")]:
            pingouin.options[key] = None
        with warnings.catch_warnings():
            # pingouin 0.7 calls a pandas method deprecated in pandas 3.1; harmless here.
            warnings.filterwarnings("ignore", message="The inplace keyword", module=r"pingouin\.")
            raw = pingouin.intraclass_corr(long, targets="target", raters="rater", ratings="rating")
    finally:
        pingouin.options.clear()
        pingouin.options.update(saved)
    ci = np.vstack(raw["CI95"].to_numpy())
    names, descriptions = zip(*raw["Type"].map(_SHROUT_FLEISS))
    return pd.DataFrame(
        {
            "description": descriptions,
            "icc": raw["ICC"].to_numpy(dtype=float),
            "F": raw["F"].to_numpy(dtype=float),
            "df1": raw["df1"].to_numpy(),
            "df2": raw["df2"].to_numpy(),
            "p_value": raw["pval"].to_numpy(dtype=float),
            "ci95_low": ci[:, 0],
            "ci95_high": ci[:, 1],
        },
        index=pd.Index(names, name="form"),
    )


# --------------------------------------------------------------------------
# Cohen's kappa, unweighted and weighted
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Kappa:
    """A kappa estimate with its asymptotic standard error (as SAS PROC FREQ reports it)."""

    kappa: float
    ase: float
    n: int
    weights: str

    @property
    def ci95(self) -> tuple[float, float]:
        """Wald 95% interval kappa +/- 1.96 ASE (SAS's "95% Confidence Limits")."""
        half = 1.959963984540054 * self.ase
        return (self.kappa - half, self.kappa + half)

    def __float__(self) -> float:
        return float(self.kappa)


_WEIGHTS = ("none", "linear", "quadratic")


def _agreement_weights(n_categories: int, weights: str) -> np.ndarray:
    """Credit w_ij for a rater-1 code i and rater-2 code j (1 on the diagonal)."""
    if weights not in _WEIGHTS:
        raise ValueError(f"weights must be one of {_WEIGHTS}, got {weights!r}.")
    steps = np.arange(n_categories)
    distance = np.abs(steps[:, None] - steps[None, :]) / (n_categories - 1)
    if weights == "none":
        return np.eye(n_categories)
    if weights == "linear":
        return 1.0 - distance
    return 1.0 - distance**2


def weighted_kappa_from_table(table, weights: str = "linear") -> Kappa:
    """Cohen's kappa from a square contingency table of two raters' codes.

    Kappa is observed agreement corrected for the agreement two raters would
    reach by chance if they coded independently with their own base rates:
    0 is chance level, 1 is perfect agreement. Weighted kappa gives partial
    credit to near misses on an ordinal scale (a 3 against a 4 is better than
    a 1 against a 4).

    Parameters
    ----------
    table : array-like, shape (k, k)
        Counts; rows are rater 1's codes, columns rater 2's, in scale order.
    weights : {"linear", "quadratic", "none"}
        Credit for a disagreement of |i - j| steps on a k-point scale:
        ``"linear"`` (Cicchetti-Allison) 1 - |i-j|/(k-1); ``"quadratic"``
        (Fleiss-Cohen) 1 - (i-j)^2/(k-1)^2; ``"none"`` only exact matches
        count (simple kappa). Categories are treated as equally spaced.

    Returns
    -------
    Kappa
        ``kappa``, its asymptotic standard error ``ase``, ``n``, ``weights``,
        and a ``ci95`` property.

    Notes
    -----
    With cell proportions p_ij, margins p_i. and p_.j, and weights w_ij:

    - P_o = sum w_ij p_ij,  P_e = sum w_ij p_i. p_.j,  kappa = (P_o - P_e) / (1 - P_e)
    - ASE^2 = [sum p_ij (w_ij - (wbar_i. + wbar_.j)(1 - kappa))^2
      - (kappa - P_e (1 - kappa))^2] / ((1 - P_e)^2 n),
      where wbar_i. = sum_j p_.j w_ij and wbar_.j = sum_i p_i. w_ij
      (Fleiss, Cohen & Everitt 1969, as in the SAS PROC FREQ documentation).
      With ``weights="none"`` this is the ASE of simple kappa.

    References
    ----------
    Cohen, J. (1968). Weighted kappa. *Psychological Bulletin, 70*(4), 213-220.
    Fleiss, J. L., Cohen, J., & Everitt, B. S. (1969). Large sample standard
    errors of kappa and weighted kappa. *Psychological Bulletin, 72*(5), 323-327.
    SAS Institute. PROC FREQ, "Tests and Measures of Agreement".

    Examples
    --------
    >>> k = weighted_kappa_from_table([[0, 4, 1], [0, 8, 0], [0, 1, 5]], weights="none")
    >>> round(k.kappa, 4), round(k.ase, 4)
    (0.4842, 0.138)
    """
    if np.asarray(table).dtype.kind == "b":
        raise ValueError("table must hold counts, got True/False values; pass numbers of objects.")
    counts = numeric_values(table, "table (counts)", ndim=None)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1]:
        raise ValueError(
            f"table must be square (rater 1 codes x rater 2 codes), got shape {counts.shape}; "
            "include empty rows/columns for codes one rater never used."
        )
    if counts.shape[0] < 2:
        raise ValueError("table must have at least 2 categories for kappa to be defined.")
    if np.isnan(counts).any() or (counts < 0).any():
        raise ValueError("table must hold non-negative counts with no missing cells.")
    if np.isinf(counts).any():
        raise ValueError("table holds infinite counts; pass the number of objects in each cell.")
    if np.any(counts != np.round(counts)):
        raise ValueError(
            "table must hold counts (whole numbers of rated objects), found e.g. "
            f"{counts[counts != np.round(counts)][0]:g}; if these are proportions, multiply them "
            "by the number of objects, since the standard error depends on it."
        )
    n = counts.sum()
    if n == 0:
        raise ValueError("table is empty (all counts are 0).")

    w = _agreement_weights(counts.shape[0], weights)
    p = counts / n
    row, col = p.sum(axis=1), p.sum(axis=0)
    p_observed = (w * p).sum()
    p_chance = (w * np.outer(row, col)).sum()
    if np.isclose(p_chance, 1.0):
        raise ValueError(
            "kappa is undefined: both raters used a single category, so chance agreement is 1."
        )
    kappa = (p_observed - p_chance) / (1 - p_chance)

    wbar_row = w @ col  # wbar_i. = sum_j p_.j w_ij
    wbar_col = row @ w  # wbar_.j = sum_i p_i. w_ij
    spread = (p * (w - (wbar_row[:, None] + wbar_col[None, :]) * (1 - kappa)) ** 2).sum()
    variance = (spread - (kappa - p_chance * (1 - kappa)) ** 2) / ((1 - p_chance) ** 2 * n)
    # Rounding can push a zero variance (perfect agreement) slightly negative.
    return Kappa(float(kappa), float(np.sqrt(max(variance, 0.0))), int(round(n)), weights)


def _paired_codes(rater1, rater2, categories) -> tuple[np.ndarray, np.ndarray, list]:
    """Two equal-length code vectors and the ordered list of categories."""
    r1, r2 = _code_series(rater1, "rater1"), _code_series(rater2, "rater2")
    if len(r1) == 0 or len(r2) == 0:
        raise ValueError("rater1 and rater2 are empty; pass one code per rated object.")
    if len(r1) != len(r2):
        raise ValueError(
            f"rater1 has {len(r1)} ratings and rater2 has {len(r2)}; they must be paired "
            "(the same objects, in the same order)."
        )
    if r1.isna().any() or r2.isna().any():
        raise ValueError(
            "rater1 or rater2 has missing codes; drop the objects either rater left unscored."
        )
    codes = list(r1) + list(r2)
    text = [_is_text(c) for c in codes]
    if any(text) and not all(text):
        raise ValueError(
            "the codes mix numbers and text (e.g. "
            f"{[codes[text.index(False)], codes[text.index(True)]]}), so 1 and '1' would count as "
            "different categories; convert them all with pd.to_numeric(...)."
        )
    infinite = [c for c, t in zip(codes, text) if not t and isinstance(c, (int, float, np.number))
                and np.isinf(c)]
    if infinite:
        raise ValueError("the codes include infinity; a rating must be a point on the scale.")
    if categories is None:
        if any(text) and all(_parses_as_number(c) for c in codes):
            raise ValueError(
                f"the codes are numbers stored as text (e.g. {codes[:3]}), which would be ordered "
                "as text ('10' before '2'); convert them with pd.to_numeric(...), or declare the "
                "ordered scale with categories=[...]."
            )
        categories = sorted(set(codes))
    else:
        if _is_text(categories) or isinstance(categories, (set, frozenset, dict)):
            raise ValueError(
                f"categories must be a list of the scale points in order, got {categories!r}; "
                "for example categories=[1, 2, 3, 4]."
            )
        categories = list(categories)
        repeated = sorted({c for c in categories if categories.count(c) > 1}, key=str)
        if repeated:
            raise ValueError(
                f"categories lists {repeated[:5]} more than once; each scale point must appear "
                "once, since its position sets the kappa weights."
            )
    bad = sorted(set(r1[~r1.isin(categories)]) | set(r2[~r2.isin(categories)]), key=str)
    if bad:
        hint = (" (the codes are text but the categories are not: convert the codes with "
                "pd.to_numeric(...))" if all(_is_text(b) for b in bad)
                and not any(_is_text(c) for c in categories) else "")
        raise ValueError(
            f"rating(s) {bad[:10]} are not among the declared categories {categories}{hint}; "
            "fix the codes or declare the full scale."
        )
    return r1.to_numpy(), r2.to_numpy(), categories


def _code_series(codes, name: str) -> pd.Series:
    """One rater's codes as a Series: a 1-D sequence (or a one-column table)."""
    if isinstance(codes, pd.DataFrame):
        if codes.shape[1] != 1:
            raise ValueError(
                f"{name} must be one column of codes, got a table with {codes.shape[1]} columns; "
                "pass df[column]."
            )
        codes = codes.iloc[:, 0]
    if _is_text(codes) or np.ndim(codes) == 0:
        raise ValueError(f"{name} must be a sequence of codes (one per rated object), got {codes!r}.")
    if np.ndim(codes) > 1:
        shape = np.shape(codes)
        if len(shape) == 2 and 1 in shape:
            codes = np.ravel(codes)
        else:
            raise ValueError(
                f"{name} must be one-dimensional (one code per rated object), got shape {shape}."
            )
    return pd.Series(codes).reset_index(drop=True)


def weighted_kappa(rater1, rater2, categories=None, weights: str = "linear") -> Kappa:
    """Cohen's (weighted) kappa for two raters who coded the same objects.

    Parameters
    ----------
    rater1, rater2 : array-like
        Paired codes (same objects, same order), e.g. MQI scores 1-4.
    categories : sequence, optional
        The full ordered scale, e.g. ``[1, 2, 3, 4]``. Declare it: by default
        the scale is the sorted codes observed, so if neither rater used a
        middle code (say 3), a 2 and a 4 would be treated as adjacent.
    weights : {"linear", "quadratic", "none"}
        See :func:`weighted_kappa_from_table`.

    Returns
    -------
    Kappa
        See :func:`weighted_kappa_from_table` for the formulas.
    """
    r1, r2, categories = _paired_codes(rater1, rater2, categories)
    position = {c: i for i, c in enumerate(categories)}
    table = np.zeros((len(categories), len(categories)))
    np.add.at(table, ([position[c] for c in r1], [position[c] for c in r2]), 1)
    return weighted_kappa_from_table(table, weights=weights)


def rater_agreement(rater1, rater2, categories=None) -> pd.Series:
    """Calibration summary for a rater scoring against a master coder.

    Used in rater training: the trainee (``rater2``) scores the same video
    segments as the master (``rater1``) and is certified once agreement
    reaches the study's threshold, usually stated as exact or adjacent
    (within one point) agreement.

    Parameters
    ----------
    rater1, rater2 : array-like of numbers
        Paired scores on an integer scale (same segments, same order).
    categories : sequence, optional
        The full scale, passed to :func:`weighted_kappa`.

    Returns
    -------
    pandas.Series
        ``n``; ``exact`` share of identical scores; ``adjacent`` share within
        one point (exact matches included); ``mean_difference`` = mean of
        rater2 - rater1 (positive: rater2 scores more leniently);
        ``linear_kappa`` linear weighted kappa.
    """
    r1, r2, categories = _paired_codes(rater1, rater2, categories)
    codes = list(r1) + list(r2)
    if any(_is_text(c) for c in codes) and all(_parses_as_number(c) for c in codes):
        raise ValueError(
            "rater_agreement needs numeric scores, but these are numbers stored as text; convert "
            "them (and the categories) with pd.to_numeric(...)."
        )
    try:
        r1, r2 = r1.astype(float), r2.astype(float)
    except (TypeError, ValueError):
        raise ValueError("rater_agreement needs numeric scores to measure differences.") from None
    gap = r2 - r1
    return pd.Series(
        {
            "n": len(gap),
            "exact": float(np.mean(gap == 0)),
            "adjacent": float(np.mean(np.abs(gap) <= 1)),
            "mean_difference": float(gap.mean()),
            "linear_kappa": weighted_kappa(r1, r2, categories, weights="linear").kappa,
        },
        dtype=object,
    )


# --------------------------------------------------------------------------
# Effect sizes for paired (pre/post, within-teacher) designs
# --------------------------------------------------------------------------
def _paired_values(x1, x2) -> tuple[np.ndarray, np.ndarray]:
    a, b = numeric_values(x1, "x1"), numeric_values(x2, "x2")
    _check_finite(a, "x1", allow_nan=True)
    _check_finite(b, "x2", allow_nan=True)
    if a.size != b.size:
        raise ValueError(
            f"x1 has {a.size} values and x2 has {b.size}; paired effect sizes need one "
            "pair per person (the same people, in the same order)."
        )
    complete = ~(np.isnan(a) | np.isnan(b))  # a pair with a missing half carries no change
    a, b = a[complete], b[complete]
    if a.size < 2:
        raise ValueError(
            f"only {a.size} complete pair(s); a standard deviation needs at least 2."
        )
    return a, b


def d_z(x1, x2) -> float:
    """Cohen's d_z: mean difference over the SD of the differences.

    d_z = mean(x1 - x2) / SD(x1 - x2) = t / sqrt(n). It describes the
    *consistency* of change, so it is the right input to a power analysis for
    a paired test, but it is not comparable to a between-group d (Lakens 2013,
    eq. 6). Pairs with a missing value are dropped.

    References
    ----------
    Lakens, D. (2013). Calculating and reporting effect sizes to facilitate
    cumulative science. *Frontiers in Psychology, 4*, 863.
    """
    a, b = _paired_values(x1, x2)
    diff = a - b
    sd = diff.std(ddof=1)
    if sd == 0 or np.ptp(diff) <= RELATIVE_TOLERANCE * max(np.abs(a).max(), np.abs(b).max()):
        raise ValueError(
            "every pair changed by the same amount, so d_z is undefined (SD of differences is 0)."
        )
    return float(diff.mean() / sd)


def d_av(x1, x2) -> float:
    """Cohen's d_av: mean difference over the average of the two SDs.

    d_av = (mean(x1) - mean(x2)) / ((SD1 + SD2) / 2)   (Lakens 2013, eq. 10)

    It ignores the correlation between the two measurements, so it is close to
    the d a between-group design would give; report it next to d_z. Note the
    denominator is the mean of the two SDs, not the root mean square. Pairs
    with a missing value are dropped.

    References
    ----------
    Lakens, D. (2013). Calculating and reporting effect sizes to facilitate
    cumulative science. *Frontiers in Psychology, 4*, 863.
    """
    a, b = _paired_values(x1, x2)
    mean_sd = (a.std(ddof=1) + b.std(ddof=1)) / 2
    if mean_sd == 0 or (is_constant(a) and is_constant(b)):
        raise ValueError("both measurements are constant, so d_av is undefined (both SDs are 0).")
    return float((a.mean() - b.mean()) / mean_sd)


def g_av(x1, x2) -> float:
    """Hedges's g_av: d_av with the small-sample bias correction.

    g_av = d_av * (1 - 3 / (4 (n1 + n2) - 9)), with n1 = n2 = the number of
    complete pairs (Lakens 2013, eq. 4 applied to d_av, as in his worked
    example). d overestimates the population effect in small samples; the
    factor removes most of that bias.
    """
    a, _ = _paired_values(x1, x2)
    return d_av(x1, x2) * (1 - 3 / (4 * (2 * a.size) - 9))


def coefficient_of_variation(x) -> float:
    """Sample SD divided by the mean (missing values dropped).

    A unit-free measure of spread, meaningful only for ratio-scale quantities
    with a true zero (minutes of coaching, number of sessions), not for
    rubric scores whose zero is arbitrary. Negative values are therefore
    refused, as are infinite values and a mean of 0.
    """
    values = numeric_values(x, "x")
    _check_finite(values, "x", allow_nan=True)
    values = values[~np.isnan(values)]
    if values.size < 2:
        raise ValueError(f"need at least 2 non-missing values for a sample SD, got {values.size}.")
    mean = values.mean()
    if mean == 0 or abs(mean) <= RELATIVE_TOLERANCE * np.abs(values).max():
        raise ValueError("the mean is 0, so the coefficient of variation is undefined.")
    if (values < 0).any():
        raise ValueError(
            f"x has {int((values < 0).sum())} negative value(s) (e.g. {values[values < 0][0]:g}); "
            "the coefficient of variation is defined for non-negative ratio-scale quantities "
            "(minutes, counts), where SD / mean compares spread to a true zero. Report the SD."
        )
    return float(values.std(ddof=1) / mean)


# --------------------------------------------------------------------------
# Reliability within subsets of targets
# --------------------------------------------------------------------------
def icc_by_group(data: pd.DataFrame, targets: str, raters: str, ratings: str, by: str,
                 form: str = "ICC(1,1)") -> pd.DataFrame:
    """One Shrout & Fleiss ICC for each subset of targets, and for all targets.

    Used when reliability may differ between kinds of lessons, for example
    lessons in which the coach helped the teacher and lessons in which she
    did not.

    Parameters
    ----------
    data : pandas.DataFrame
        Long data as for :func:`icc`: one row per (target, rater) score.
    targets, raters, ratings : str
        As for :func:`icc`. With a different pair of raters for each target,
        pass the rating *slot* (first or second score) as ``raters`` and use
        the one-way form ICC(1,1).
    by : str
        Column that is constant within a target and names its subset.
    form : str
        One of the six forms returned by :func:`icc` (default ``"ICC(1,1)"``).

    Returns
    -------
    pandas.DataFrame
        Indexed by subset, with a last row ``"all"``; columns ``n_targets``,
        ``icc``, ``ci95_low``, ``ci95_high``.
    """
    require_columns(data, [targets, raters, ratings, by])
    require_distinct({"the targets": targets, "the raters": raters, "the ratings": ratings,
                      "the subset (by)": by})
    require_complete(data, [by], "every target must belong to a subset.", role="subset")
    forms = [name for name, _ in _SHROUT_FLEISS.values()]
    if form not in forms:
        raise ValueError(f"form {form!r} is not a Shrout-Fleiss form; choose one of {forms}.")
    mixed = data.groupby(targets)[by].nunique()
    if (mixed > 1).any():
        raise ValueError(
            f"{by!r} must be constant within a target, but target(s) "
            f"{mixed[mixed > 1].index.tolist()[:5]} carry more than one value; "
            "assign each target to one subset."
        )
    rows = {}
    subsets = [(g, part) for g, part in data.groupby(by, sort=True)] + [("all", data)]
    for name, part in subsets:
        n_raters = part[raters].nunique()
        if n_raters < 2:
            raise ValueError(
                f"subset {name!r} has ratings from a single rater ({part[raters].iloc[0]!r}); "
                "reliability compares raters, so every target needs a score from at least two."
            )
        try:
            table = icc(part, targets, raters, ratings)
        except ValueError as error:
            raise ValueError(f"subset {name!r} of {by!r}: {error}") from None
        rows[name] = {
            "n_targets": part[targets].nunique(),
            "icc": table.loc[form, "icc"],
            "ci95_low": table.loc[form, "ci95_low"],
            "ci95_high": table.loc[form, "ci95_high"],
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = by
    return out


# --------------------------------------------------------------------------
# Repeated-measures tests of change over occasions
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class RepeatedMeasuresTest:
    """The test of a within-subject factor, with its model-based means.

    ``statistic`` is F (linear models, with ``df1`` and ``df2``) or a Wald
    chi-square (logistic models, ``df1`` only; ``df2`` is NaN).
    ``means`` are the model-based (estimated marginal) means by level: for
    the mixed model the fitted level means, for the logistic model
    probabilities. ``details`` holds what else the method estimated
    (variance components, working correlation, subjects dropped).
    """

    method: str
    statistic: float
    df1: float
    df2: float
    p_value: float
    n_subjects: int
    n_observations: int
    means: pd.Series
    details: dict

    def as_series(self) -> pd.Series:
        """The test as one row: statistic, df1, df2, p_value, n_subjects, n_observations."""
        return pd.Series({
            "statistic": self.statistic, "df1": self.df1, "df2": self.df2,
            "p_value": self.p_value, "n_subjects": self.n_subjects,
            "n_observations": self.n_observations,
        }, name=self.method)


_SINGLETONS = ("error", "keep", "drop")
_GEE_CTOL = 1e-10    # norm of the GEE score at which rm_logistic stops
_GEE_MAXITER = 200


def _repeated_long(data, subject, within, dv, scale, singletons, what) -> pd.DataFrame:
    """Validated long data (subject, level, value) with complete rows only."""
    require_columns(data, [subject, within, dv])
    require_distinct({"the subject": subject, "the occasion (within)": within,
                      "the outcome (dv)": dv})
    require_numeric(data, [dv], role="outcome")
    require_finite(data, [dv], role="outcome")
    require_complete(data, [subject, within],
                     "every score must say whose it is and on which occasion it was taken.")
    if singletons not in _SINGLETONS:
        raise ValueError(f"singletons must be one of {_SINGLETONS}, got {singletons!r}.")
    if scale is not None:
        scale = _check_scale(scale)
    long = data[[subject, within, dv]].dropna()
    if long.empty:
        raise ValueError(f"{dv!r} has no non-missing values.")
    kinds = {_is_text(v) for v in long[within].unique()}
    if len(kinds) > 1:
        raise ValueError(
            f"the occasions in {within!r} mix numbers and text (e.g. "
            f"{sorted(map(str, long[within].unique()))[:4]}), so they cannot be ordered; code "
            "every occasion the same way."
        )
    if scale is not None:
        low, high = scale
        bad = long.loc[(long[dv] < low) | (long[dv] > high), dv]
        if not bad.empty:
            raise ValueError(
                f"{dv!r} must lie on the scale {low}-{high}; found {bad.size} rating(s) outside "
                f"it, for example {bad.iloc[0]!r}. Check the coding, or pass the right scale."
            )
    duplicated = long.duplicated([subject, within])
    if duplicated.any():
        example = long.loc[duplicated, [subject, within]].iloc[0].tolist()
        raise ValueError(
            f"{int(duplicated.sum())} (subject, {within}) pair(s) appear more than once, for "
            f"example {example}; a repeated-measures {what} needs one score per subject and "
            "occasion. Average repeat scores first."
        )
    levels = long[within].unique()
    if levels.size < 2:
        raise ValueError(
            f"{within!r} has a single level ({levels[0]!r}); a test of change needs at least "
            "two occasions."
        )
    counts = long.groupby(subject)[within].size()
    single = counts[counts == 1].index.tolist()
    if single and singletons == "error":
        raise ValueError(
            f"{len(single)} subject(s) have a single time point, for example {single[:3]}; they "
            "carry no information on change within a subject. Check the subject ids; pass "
            "singletons='keep' to let them inform the level means and variances (as SPSS MIXED "
            "does) or singletons='drop' to leave them out."
        )
    if single and singletons == "drop":
        long = long[~long[subject].isin(single)]
    if long[subject].nunique() < 2:
        raise ValueError("fewer than 2 subjects remain; a repeated-measures test needs more.")
    require_variation(long[dv].astype(float), f"outcome {dv!r}", "there is no change to test",
                      "check that you passed the right column")
    return long


def _check_scale(scale) -> tuple[float, float]:
    from coachbook._validate import require_number

    if _is_text(scale) or np.ndim(scale) != 1 or len(scale) != 2:
        raise ValueError(f"scale must be a pair (low, high), e.g. scale=(0, 3); got {scale!r}.")
    low = require_number("scale low end", scale[0])
    high = require_number("scale high end", scale[1])
    if not low < high:
        raise ValueError(f"scale must be (low, high) with low < high, got {scale!r}.")
    return scale[0], scale[1]


def _level_design(levels: pd.Series, order) -> np.ndarray:
    """Intercept plus one indicator per level after the first (reference coding)."""
    return np.column_stack([np.ones(len(levels))]
                           + [(levels == lev).to_numpy(float) for lev in order[1:]])


class _CompoundSymmetry:
    """REML of a random-intercept (compound-symmetry) model, in closed form.

    ``y = X beta + u_i + e`` with ``V_i = s2 I + t2 J`` for subject i. Every
    matrix the REML deviance needs acts on a subject's block as ``alpha (I -
    J/n_i) + beta_i J/n_i`` (``V_i``: ``alpha = s2``, ``beta_i = s2 + n_i t2``;
    ``dV/dt2 = J``: 0 and ``n_i``; ``dV/ds2 = I``: 1 and 1), so products,
    inverses, traces and quadratic forms reduce to the subject sums of ``X``,
    ``y`` and the residuals: no n x n matrix is formed. The deviance
    ``-2 l_R = log|V| + log|X'V^-1 X| + r'V^-1 r`` (constants dropped), its
    gradient ``tr(P V_k) - y'P V_k P y`` and its (observed) Hessian ``-tr(P V_k
    P V_l) + 2 y'P V_k P V_l P y`` (Harville 1977) are exact.
    """

    def __init__(self, y, X, groups):
        self.y, self.X, self.groups = np.asarray(y, float), np.asarray(X, float), groups
        self.n_groups = int(groups.max()) + 1
        self.n_g = np.bincount(groups, minlength=self.n_groups).astype(float)
        self.Sx = np.zeros((self.n_groups, self.X.shape[1]))
        np.add.at(self.Sx, groups, self.X)
        self.N, self.p = self.X.shape
        self.XtX = self.X.T @ self.X

    def _form(self, alpha, beta, full, su, sw):
        """``U' M W`` for ``M = alpha (I - Pi) + beta_i Pi`` given ``U'W`` and subject sums."""
        weight = (beta - alpha) / self.n_g
        if su.ndim == 1:
            su = su[:, None]
        if sw.ndim == 1:
            sw = sw[:, None]
        full = np.asarray(full, float).reshape(su.shape[1], sw.shape[1])
        return alpha * full + su.T @ (weight[:, None] * sw)

    def parts(self, theta):
        """Deviance, gradient, Hessian, beta and cov(beta) at ``theta = (t2, s2)``."""
        t2, s2 = float(theta[0]), float(theta[1])
        n, N, G = self.n_g, self.N, self.n_groups
        a = s2 + n * t2
        xtvx = self._form(1 / s2, 1 / a, self.XtX, self.Sx, self.Sx)
        cov_beta = np.linalg.inv(xtvx)
        sy = np.bincount(self.groups, weights=self.y, minlength=G)
        xtvy = self._form(1 / s2, 1 / a, self.X.T @ self.y, self.Sx, sy)[:, 0]
        beta = cov_beta @ xtvy
        r = self.y - self.X @ beta
        sr = np.bincount(self.groups, weights=r, minlength=G)
        rtr, xtr = float(r @ r), self.X.T @ r
        log_det_v = float((N - G) * np.log(s2) + np.log(a).sum())
        deviance = (log_det_v + np.linalg.slogdet(xtvx)[1]
                    + float(self._form(1 / s2, 1 / a, rtr, sr, sr)[0, 0]))
        # dV/dt2 and dV/ds2 as (alpha, beta_i) pairs
        dv = [(0.0, n), (1.0, np.ones_like(n))]
        trace = lambda al, be: al * (N - G) + float(np.sum(be))  # noqa: E731
        g_mats = [self._form(al / s2 ** 2, be / a ** 2, self.XtX, self.Sx, self.Sx)
                  for al, be in dv]                       # X'V^-1 V_k V^-1 X
        u_e = [self._form(al / s2 ** 2, be / a ** 2, xtr, self.Sx, sr)[:, 0]
               for al, be in dv]                          # X'V^-1 V_k V^-1 r
        grad = np.empty(2)
        hess = np.empty((2, 2))
        for k, (al_k, be_k) in enumerate(dv):
            tr_pv = trace(al_k / s2, be_k / a) - float(np.sum(cov_beta * g_mats[k]))
            grad[k] = tr_pv - float(self._form(al_k / s2 ** 2, be_k / a ** 2, rtr, sr, sr)[0, 0])
            for m, (al_m, be_m) in enumerate(dv):
                al, be = al_k * al_m, be_k * be_m
                tr_pvpv = (trace(al / s2 ** 2, be / a ** 2)
                           - 2 * float(np.sum(cov_beta * self._form(al / s2 ** 3, be / a ** 3,
                                                                    self.XtX, self.Sx, self.Sx)))
                           + float(np.sum((cov_beta @ g_mats[k]) * (cov_beta @ g_mats[m]).T)))
                e_pvpv_e = (float(self._form(al / s2 ** 3, be / a ** 3, rtr, sr, sr)[0, 0])
                            - float(u_e[k] @ cov_beta @ u_e[m]))
                hess[k, m] = -tr_pvpv + 2 * e_pvpv_e
        hess = (hess + hess.T) / 2
        return {"deviance": deviance, "grad": grad, "hess": hess, "beta": beta,
                "cov_beta": cov_beta, "g_mats": g_mats}


def _cs_reml(cs: _CompoundSymmetry, v: float):
    """REML estimates ``(t2, s2)`` of a compound-symmetry model, to machine precision.

    L-BFGS-B with the exact gradient from three starts finds the basin; Newton
    steps with the exact Hessian then converge quadratically, so the answer
    does not depend on where a value-based stopping rule happened to stop
    (which moves with the BLAS kernel). ``t2 = 0`` is kept when the deviance
    rises into the interior there. Returns ``(theta, parts, converged)``;
    converged means a zero gradient with a positive definite Hessian (or, on
    the boundary, a non-negative slope in t2).
    """
    from scipy import optimize

    def fun(theta):
        pt = cs.parts(theta)
        return pt["deviance"], pt["grad"]

    best = None
    for start in ([v / 2, v / 2], [v / 10, 0.9 * v], [0.9 * v, v / 10]):
        fit = optimize.minimize(fun, start, jac=True, method="L-BFGS-B",
                                bounds=[(0.0, None), (v * 1e-8, None)])
        if best is None or fit.fun < best.fun:
            best = fit
    theta = np.array(best.x, float)
    # Newton with the exact Hessian. Far from the optimum a step is accepted only if it
    # lowers the deviance; once steps are small they are taken as they are (the deviance
    # is flat to rounding there) and the loop stops two steps after they reach 1e-10.
    final = None
    boundary = False
    for _ in range(100):
        pt = cs.parts(theta)
        if theta[0] == 0.0 and pt["grad"][0] >= 0:
            boundary = True
        if boundary:       # t2 = 0: only s2 moves
            step = np.array([0.0, pt["grad"][1] / pt["hess"][1, 1]])
        else:
            try:
                step = np.linalg.solve(pt["hess"], pt["grad"])
            except np.linalg.LinAlgError:
                break
        rel = float(np.max(np.abs(step) / np.maximum(np.abs(theta), 1e-300 + v * 1e-12)))
        new = theta - step
        if new[0] < 0:                 # crossed the boundary: land on it
            new = np.array([0.0, theta[1]])
        elif rel > 1e-6:
            shrink = 1.0
            while (new[1] <= 0 or cs.parts(new)["deviance"] > pt["deviance"]) and shrink > 1e-10:
                shrink /= 2
                new = theta - shrink * step
            if shrink <= 1e-10:
                break
        theta = new
        if final is not None:
            final -= 1
            if final == 0:
                break
        elif rel < 1e-10:
            final = 2
    pt = cs.parts(theta)
    return theta, pt, _cs_converged(theta, pt, v)


def _cs_converged(theta, pt, v: float) -> bool:
    """Is ``theta`` a maximum of the REML likelihood (a minimum of the deviance)?

    In the interior: the gradient is zero (a relative move of the parameters
    would change the deviance by less than 1e-6) and the Hessian is positive
    definite. On the boundary ``t2 = 0``: the deviance rises into the
    interior (non-negative slope in t2), and is stationary with positive
    curvature in s2.
    """
    grad, hess = pt["grad"], pt["hess"]
    scale = np.abs(grad) * np.maximum(theta, v * 1e-8)      # deviance change per relative move
    if theta[0] == 0.0:
        return bool(grad[0] >= 0 and scale[1] < 1e-6 and hess[1, 1] > 0)
    return bool(np.max(scale) < 1e-6 and np.all(np.linalg.eigvalsh(hess) > 0))


def _cs_mixed_f_test(y, X, groups, L):
    """F test of L beta = 0 in a REML random-intercept model, Satterthwaite df."""
    from scipy import stats

    cs = _CompoundSymmetry(y, X, groups)
    ols = np.linalg.lstsq(X, y, rcond=None)[0]
    v = float(np.mean((y - X @ ols) ** 2))
    if v == 0:
        raise ValueError("the outcome is constant within every occasion; there is nothing to test.")
    theta, pt, converged = _cs_reml(cs, v)
    t2, s2 = theta
    beta, cov_beta = pt["beta"], pt["cov_beta"]
    # Derivatives of cov(beta) = (X'V^-1X)^-1 with respect to t2 and s2:
    # C (X'V^-1 V_k V^-1 X) C.
    d_cov = [cov_beta @ m @ cov_beta for m in pt["g_mats"]]
    # Asymptotic covariance of (t2, s2): twice the inverse Hessian of the REML
    # deviance (lmerTest differentiates it numerically; here it is exact).
    cov_theta = 2 * np.linalg.inv(pt["hess"])

    q = L.shape[0]
    lcl = L @ cov_beta @ L.T
    lb = L @ beta
    F = float(lb @ np.linalg.solve(lcl, lb) / q)
    _, vectors = np.linalg.eigh(lcl)
    nus = []
    for m in range(q):
        contrast = vectors[:, m] @ L
        grad = np.array([contrast @ d @ contrast for d in d_cov])
        nus.append(2 * (contrast @ cov_beta @ contrast) ** 2 / (grad @ cov_theta @ grad))
    nus = np.asarray(nus)
    e = float(np.sum(np.where(nus > 2, nus / (nus - 2), 0.0)))
    df2 = 2 * e / (e - q) if e > q else float("nan")
    return {"F": F, "df1": q, "df2": float(df2), "p_value": float(stats.f.sf(F, q, df2)),
            "beta": beta, "tau2": float(t2), "sigma2": float(s2), "converged": converged}


def rm_anova(data: pd.DataFrame, subject: str, within: str, dv: str, method: str = "mixed",
             scale: tuple[float, float] | None = None,
             singletons: str = "error") -> RepeatedMeasuresTest:
    """One-way repeated-measures ANOVA: does the mean of ``dv`` change across occasions?

    Parameters
    ----------
    data : pandas.DataFrame
        Long data, one row per subject and occasion (rows with a missing
        ``dv`` are dropped).
    subject, within, dv : str
        Columns naming the subject (a teacher), the occasion (a data cycle)
        and the numeric outcome.
    method : {"mixed", "classic"}
        ``"mixed"`` (default) fits a linear mixed model with a random
        intercept per subject (compound symmetry) by REML, uses every
        observation, and tests the occasion effect with an F test whose
        denominator degrees of freedom follow Satterthwaite's approximation
        (as SPSS MIXED reports). ``"classic"`` is the textbook univariate
        repeated-measures ANOVA (:func:`pingouin.rm_anova`), which needs
        every subject at every occasion and so drops incomplete subjects.
    scale : (low, high), optional
        The rubric's range; ratings outside it raise ``ValueError``.
    singletons : {"error", "keep", "drop"}
        What to do with subjects observed only once. They say nothing about
        change, and in a repeated-measures file a lone record is often a
        mistyped id, so the default is to stop and ask.

    Returns
    -------
    RepeatedMeasuresTest
        ``statistic`` is F with ``df1`` = levels - 1 and ``df2``; ``means``
        are the model-based level means (raw means of the complete subjects
        for ``"classic"``); ``details`` has ``tau2``, ``sigma2`` and
        ``converged`` (mixed: True only at a maximum of the REML likelihood)
        or ``subjects_dropped`` and the Greenhouse-Geisser ``epsilon`` (classic).

    Notes
    -----
    With the same subjects at every occasion (balanced data) both methods
    give the same F, and the Satterthwaite df2 equals (n - 1)(k - 1). With
    unbalanced data they differ because the classic version discards every
    subject with a missing occasion.

    The Satterthwaite df for the multi-degree-of-freedom F follow Fai &
    Cornelius (1996) as implemented in SAS and lmerTest (Kuznetsova et al.
    2017), with the covariance of the variance components from the Hessian
    of the REML deviance (exact here, numerical in lmerTest). The REML
    estimates are converged to machine precision by Newton steps with the
    exact gradient and Hessian, so the statistics do not move with the BLAS
    kernel or the number of threads.

    References
    ----------
    Satterthwaite, F. E. (1946). An approximate distribution of estimates of
    variance components. *Biometrics Bulletin, 2*(6), 110-114.
    Fai, A. H.-T., & Cornelius, P. L. (1996). Approximate F-tests of multiple
    degree of freedom hypotheses in generalized least squares analyses of
    unbalanced split-plot experiments. *Journal of Statistical Computation and
    Simulation, 54*(4), 363-378.
    Kuznetsova, A., Brockhoff, P. B., & Christensen, R. H. B. (2017). lmerTest
    package: Tests in linear mixed effects models. *Journal of Statistical
    Software, 82*(13).
    """
    if method not in ("mixed", "classic"):
        raise ValueError(f"method must be 'mixed' or 'classic', got {method!r}.")
    long = _repeated_long(data, subject, within, dv, scale, singletons, "ANOVA")
    order = sorted(long[within].unique())
    y = long[dv].astype(float)
    residual = y - y.groupby(long[within]).transform("mean")
    if np.abs(residual).max() <= RELATIVE_TOLERANCE * np.abs(y).max():
        raise ValueError(
            f"{dv!r} is constant within every level of {within!r} (every subject has the same "
            "score on each occasion), so there is no error variance and the F test is undefined; "
            "check that you passed the right column."
        )

    if method == "classic":
        wide = long.pivot(index=subject, columns=within, values=dv)[order]
        complete = wide.dropna()
        if len(complete) < 2:
            raise ValueError(
                f"only {len(complete)} subject(s) were observed at every level of {within!r}; "
                "the classic repeated-measures ANOVA needs at least 2. Use method='mixed'."
            )
        import pingouin

        stacked = (complete.rename_axis(index="subject", columns="level").reset_index()
                   .melt(id_vars="subject", var_name="level", value_name="y"))
        stacked["y"] = stacked["y"].astype(float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table = pingouin.rm_anova(stacked, dv="y", within="level", subject="subject",
                                      detailed=False, correction=False)
        row = table.iloc[0]
        epsilon = float(pingouin.epsilon(stacked, dv="y", within="level", subject="subject"))
        return RepeatedMeasuresTest(
            method="classic", statistic=float(row["F"]), df1=float(row["ddof1"]),
            df2=float(row["ddof2"]), p_value=float(row["p_unc"]),
            n_subjects=len(complete), n_observations=int(complete.size),
            means=complete.mean().rename_axis(within).rename("mean"),
            details={"subjects_dropped": int(len(wide) - len(complete)), "epsilon": epsilon},
        )

    X = _level_design(long[within], order)
    groups = pd.factorize(long[subject])[0]
    L = np.eye(X.shape[1])[1:]
    fit = _cs_mixed_f_test(long[dv].to_numpy(float), X, groups, L)
    beta = fit["beta"]
    means = pd.Series(beta[0] + np.r_[0.0, beta[1:]], index=pd.Index(order, name=within),
                      name="mean")
    return RepeatedMeasuresTest(
        method="mixed", statistic=fit["F"], df1=float(fit["df1"]), df2=fit["df2"],
        p_value=fit["p_value"], n_subjects=int(long[subject].nunique()),
        n_observations=len(long), means=means,
        details={"tau2": fit["tau2"], "sigma2": fit["sigma2"], "converged": fit["converged"]},
    )


def rm_logistic(data: pd.DataFrame, subject: str, within: str, dv: str,
                correlation: str = "exchangeable",
                singletons: str = "error") -> RepeatedMeasuresTest:
    """Repeated-measures logistic regression of a 0/1 outcome on occasion, Wald test.

    A binary item violates the normality an ANOVA assumes, so change over
    occasions is tested in a logistic model fitted by generalized estimating
    equations (GEE; Liang & Zeger 1986): the occasion enters as indicators,
    observations of one subject may be correlated, and the Wald chi-square
    of the occasion indicators uses the robust (sandwich) covariance.

    Parameters
    ----------
    data, subject, within, dv
        As for :func:`rm_anova`; ``dv`` must be coded 0/1.
    correlation : {"exchangeable", "independence"}
        The working correlation within a subject. The robust covariance keeps
        the test valid under either; the estimates move a little.
    singletons
        As for :func:`rm_anova`.

    Returns
    -------
    RepeatedMeasuresTest
        ``statistic`` is the Wald chi-square on ``df1`` = levels - 1 degrees
        of freedom (``df2`` is NaN); ``means`` are the estimated marginal
        probabilities by level; ``details`` holds the working correlation.

    References
    ----------
    Liang, K.-Y., & Zeger, S. L. (1986). Longitudinal data analysis using
    generalized linear models. *Biometrika, 73*(1), 13-22.
    """
    import statsmodels.api as sm
    from scipy import stats
    from scipy.special import expit

    structures = {"exchangeable": sm.cov_struct.Exchangeable,
                  "independence": sm.cov_struct.Independence}
    if correlation not in structures:
        raise ValueError(f"correlation must be one of {sorted(structures)}, got {correlation!r}.")
    long = _repeated_long(data, subject, within, dv, None, singletons, "logistic regression")
    values = set(pd.unique(long[dv]))
    if not values <= {0, 1}:
        raise ValueError(
            f"{dv!r} must be coded 0/1 for a logistic model; found values "
            f"{sorted(values)[:6]}. Dichotomize it first, or use rm_anova for a scale."
        )
    order = sorted(long[within].unique())
    share = long.groupby(within)[dv].mean()
    degenerate = share[(share == 0) | (share == 1)].index.tolist()
    if degenerate:
        raise ValueError(
            f"at level(s) {degenerate} of {within!r} every {dv!r} is the same (all 0 or all 1), "
            "so the log-odds there is infinite and the Wald test undefined; merge that level "
            "with a neighbour or use an exact test."
        )
    long = long.sort_values([subject, within])
    X = _level_design(long[within], order)
    model = sm.GEE(long[dv].to_numpy(float), X, groups=pd.factorize(long[subject])[0],
                   family=sm.families.Binomial(), cov_struct=structures[correlation]())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # statsmodels stops when the score's norm falls below ctol (default 1e-6), which
        # leaves the estimates about 1e-8 from the solution: where it stops then moves
        # with the BLAS kernel. A tight ctol converges them to rounding.
        fit = model.fit(maxiter=_GEE_MAXITER, ctol=_GEE_CTOL)
    scores = fit.fit_history.get("score") or [np.inf]
    converged = bool(np.sqrt(np.sum(np.square(scores[-1]))) < _GEE_CTOL)
    beta = np.asarray(fit.params)
    cov = np.asarray(fit.cov_params())     # robust (sandwich) covariance
    L = np.eye(X.shape[1])[1:]
    lb = L @ beta
    chi2 = float(lb @ np.linalg.solve(L @ cov @ L.T, lb))
    df = L.shape[0]
    means = pd.Series(expit(beta[0] + np.r_[0.0, beta[1:]]), index=pd.Index(order, name=within),
                      name="probability")
    dep = fit.cov_struct.dep_params
    return RepeatedMeasuresTest(
        method=f"gee-{correlation}", statistic=chi2, df1=float(df), df2=float("nan"),
        p_value=float(stats.chi2.sf(chi2, df)), n_subjects=int(long[subject].nunique()),
        n_observations=len(long), means=means,
        details={"working_correlation": float(dep) if dep is not None else 0.0,
                 "converged": converged},
    )
