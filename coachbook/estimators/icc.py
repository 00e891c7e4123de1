"""Intraclass correlations: how far scores hold up when other raters score the same targets.

An ICC is the share of the variance in scores that lies between *targets*
(lessons, teachers) rather than between raters or in noise. :func:`icc` and
:func:`icc_wide` give all six Shrout & Fleiss (1979) forms; :func:`icc_by_group`
one form for each subset of targets (for example coached lessons).

References
----------
Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: Uses in
assessing rater reliability. *Psychological Bulletin, 86*(2), 420-428.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from coachbook.estimators._validate import (require_columns, require_complete, require_distinct,
                                            require_finite, require_numeric, require_unique_pairs)
from coachbook.estimators._values import (RELATIVE_TOLERANCE, _check_finite, _parses_as_number,
                                          require_variation)

__all__ = ["icc", "icc_by_group", "icc_wide"]

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
    require_unique_pairs(data, [targets, raters], "target, rater",
                         "each rater must score each target once")
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


