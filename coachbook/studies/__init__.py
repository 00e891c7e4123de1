"""Study-specific helpers of the two replicated studies.

- :mod:`coachbook.studies.kraft_hill`: the MQI Coaching randomized trial of
  Kraft and Hill (2019);
- :mod:`coachbook.studies.russell`: the Tennessee + IFL Math Coaching Model
  study of Russell et al. (2020).

Each module names its paper (``PAPER``), quotes its published numbers
(``number``) and holds the small analysis steps its chapters repeat, with
every input passed explicitly. :func:`links_table` lists the links of a
theory-of-action diagram, for either study, and :func:`percentile_after` reads
an effect size as the percentile a median unit reaches; :func:`slope_table`
sets OLS slopes of one term side by side across adjustment sets.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy.stats import norm

from coachbook.estimators import ols
from coachbook.studies._checks import frame_with

__all__ = ["links_table", "percentile_after", "slope_table"]


def links_table(nodes: pd.DataFrame, edges: pd.DataFrame) -> pd.DataFrame:
    """The links of a theory-of-action diagram as a table, one row per arrow.

    ``nodes`` has ``id`` and ``label`` (line breaks are joined with spaces);
    ``edges`` has ``source`` and ``target`` (node ids), ``measure`` (what
    tests the link), ``measured`` (whether the study measured it) and
    ``chapter`` (where the book tests it): the frames
    :func:`coachbook.book.diagrams.theory_of_action_chart` draws.
    """
    frame_with(nodes, ["id", "label"], "nodes")
    frame_with(edges, ["source", "target", "measure", "measured", "chapter"], "edges")
    unknown = sorted(set(edges["source"]).union(edges["target"]) - set(nodes["id"]))
    if unknown:
        raise ValueError(f"edges name nodes {unknown} that are not in nodes['id']; add them to nodes.")
    names = nodes.set_index("id")["label"].str.replace("\n", " ")
    return pd.DataFrame({
        "from": edges["source"].map(names), "to": edges["target"].map(names),
        "measure that tests the link": edges["measure"],
        "tested in the study?": np.where(edges["measured"], "yes", "no"),
        "where the book tests it": edges["chapter"],
    })


def percentile_after(effect_size, start_percentile=50.0):
    """Percentile reached by a unit that started at ``start_percentile`` after a shift of
    ``effect_size`` standard deviations, assuming a normally distributed outcome.

    ``100 * Phi(Phi^-1(start / 100) + effect)``: an effect of 0.2 SD moves the
    median (percentile 50) to about percentile 58. Works elementwise on arrays
    and Series.
    """
    start = np.asarray(start_percentile, dtype=float)
    if np.any((start <= 0) | (start >= 100)):
        raise ValueError(f"start_percentile must lie strictly between 0 and 100, got {start_percentile!r}.")
    return 100 * norm.cdf(norm.ppf(start_percentile / 100) + effect_size)


def slope_table(formulas: Mapping[str, str], data: pd.DataFrame, term: str) -> pd.DataFrame:
    """OLS slope of ``term`` (HC1 standard error) and the units used, for each labelled formula.

    ``formulas`` maps a label (the row of the result) to a statsmodels formula
    fitted on ``data``; the result has columns ``slope``, ``standard error``
    and ``teachers``.
    """
    frame_with(data, [], "data")
    if not formulas:
        raise ValueError("formulas is empty: pass {label: formula}.")
    rows = {}
    for label, formula in formulas.items():
        fit = ols.fit_model(smf.ols(formula, data), "HC1")
        if term not in fit.params:
            raise ValueError(f"{term!r} is not a term of {formula!r}; its terms are {list(fit.params.index)}.")
        rows[label] = {"slope": fit.params[term], "standard error": fit.bse[term], "teachers": int(fit.nobs)}
    return pd.DataFrame(rows).T.astype({"teachers": int})
