"""Agreement of two raters on ordinal codes, and a trainee's calibration against a master coder.

Coaching studies stand or fall on their measures: if two trained raters give
the same lesson different Mathematical Quality of Instruction (MQI) scores, a
coaching effect on MQI is partly an effect on who did the rating.

- :func:`weighted_kappa`, :func:`weighted_kappa_from_table`: chance-corrected
  agreement on ordinal codes (:class:`Kappa`);
- :func:`rater_agreement`: the calibration summary a coach trainer reads;
- :func:`calibration_by_item`: that summary item by item, with a verdict.

Intraclass correlations are in :mod:`.icc`.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from coachbook.estimators._result import Result, tidy_frame
from coachbook.estimators._validate import require_columns, require_dataframe
from coachbook.estimators._values import _is_text, _parses_as_number, numeric_values

__all__ = ["Kappa", "calibration_by_item", "rater_agreement", "weighted_kappa",
           "weighted_kappa_from_table"]


# --------------------------------------------------------------------------
# Cohen's kappa, unweighted and weighted
# --------------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class Kappa(Result):
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

    def tidy(self) -> pd.DataFrame:
        low, high = self.ci95
        return tidy_frame([{"term": f"kappa ({self.weights})", "estimate": self.kappa,
                            "std_error": self.ase, "conf_low": low, "conf_high": high, "n": self.n}])


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



def calibration_by_item(master: pd.DataFrame, trainee: pd.DataFrame, items: Sequence[str],
                        categories: Sequence[int] = (0, 1, 2, 3), tolerance: float = 0.15) -> pd.DataFrame:
    """Agreement of a trainee with the master scores, item by item and overall.

    Returns one row per item plus ``"all items"``, with columns ``n``,
    ``exact`` (share of identical scores), ``adjacent`` (share within one
    point, exact included), ``mean_difference`` (trainee minus master; positive
    = the trainee scores higher), ``linear_kappa`` (linear weighted kappa;
    missing when kappa is undefined, e.g. when both raters used one score
    only) and ``tendency``: ``"scores higher"`` or ``"scores lower"`` when the
    mean difference exceeds ``tolerance`` points, otherwise ``"in line"``.
    Whether higher is more lenient depends on the item: on a rubric item where
    a high score is good it is; on an item that counts faults (the MQI's
    Errors items) a higher score is harsher.
    """
    require_dataframe(master, "master")
    require_dataframe(trainee, "trainee")
    require_columns(master, list(items), "master")
    require_columns(trainee, list(items), "trainee")
    if len(master) != len(trainee) or not master.index.equals(trainee.index):
        raise ValueError("master and trainee must score the same segments, with the same index.")
    if tolerance < 0:
        raise ValueError(f"tolerance must be 0 or more, got {tolerance!r}.")

    def summary(m, t) -> dict:
        try:
            row = rater_agreement(m, t, categories=list(categories)).to_dict()
        except ValueError as error:
            if "undefined" not in str(error):
                raise
            gap = np.asarray(t, float) - np.asarray(m, float)
            row = {"n": len(gap), "exact": float(np.mean(gap == 0)),
                   "adjacent": float(np.mean(np.abs(gap) <= 1)),
                   "mean_difference": float(gap.mean()), "linear_kappa": np.nan}
        return row

    rows = {item: summary(master[item], trainee[item]) for item in items}
    rows["all items"] = summary(master[list(items)].to_numpy().ravel(),
                                trainee[list(items)].to_numpy().ravel())
    out = pd.DataFrame.from_dict(rows, orient="index")
    out["n"] = out["n"].astype(int)
    for column in ["exact", "adjacent", "mean_difference", "linear_kappa"]:
        out[column] = out[column].astype(float)
    out["tendency"] = np.where(out["mean_difference"] > tolerance, "scores higher",
                               np.where(out["mean_difference"] < -tolerance, "scores lower", "in line"))
    out.index.name = "item"
    return out
