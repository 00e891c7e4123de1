"""The Tennessee + IFL Math Coaching study of Russell et al. (2020): the steps its chapters share.

The growth models of the paper's three research questions are mixed models
(:func:`coachbook.estimators.mixed.fit_mixed`) with one random intercept (and
sometimes slope) per coach-teacher pair; this module holds the fits the
chapters repeat, the covariates held at their means for model-based
trajectories, the gain along a trajectory, and the change in item means
around the network meetings. Every input is an argument.

>>> from coachbook.studies import russell
>>> russell.number("Coaches selected", "count", "Participants")
32.0
"""
from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from coachbook.book.compare import published_number
from coachbook.estimators.growth import fixed_trajectory
from coachbook.estimators.likelihood_ratio import deviance_test
from coachbook.estimators.mixed import fit_mixed
from coachbook.studies._checks import frame_with, positive_number

PAPER = "russell_2020"
#: The windows around the March and August network meetings: name -> (cycle before, cycle after).
MEETING_WINDOWS = {"March: cycle 2 to 3": (2, 3), "August: cycle 3 to 5": (3, 5),
                   "August: cycle 3 to 6": (3, 6)}

__all__ = ["MEETING_WINDOWS", "PAPER", "at_means", "gain", "growth_fit", "meeting_changes", "number",
           "piecewise_test", "teaching_fit"]


def number(row: str, column: str, panel: str = "", table: str = "Text") -> float:
    """A published number of Russell et al. (2020): :func:`coachbook.book.compare.published_number`.

    Most of the paper's numbers in the text sit in a panel (the section that
    reports them, such as ``"Participants"``), so ``panel`` comes third.
    """
    return published_number(PAPER, row, column, table, panel)


def growth_fit(preconferences: pd.DataFrame, column: str, **options):
    """Linear growth in one preconference measure: random intercept and slope per pair, REML.

    ``preconferences`` has one row per conference with ``teacher_id`` (the
    pair) and ``time`` (years since data cycle 1); ``options`` go to
    :func:`coachbook.estimators.mixed.fit_mixed`.
    """
    frame_with(preconferences, ["teacher_id", "time", column], "preconferences")
    return fit_mixed(f"{column} ~ time", preconferences, "teacher_id", re_formula="~ time", **options)


def piecewise_test(preconferences: pd.DataFrame, column: str):
    """ML deviance test of a random increment after the break (RQ1 deviance tests).

    The reduced model has a random intercept and the base rate; the full model
    adds the fixed and random ``increment`` (columns from
    :func:`coachbook.estimators.growth.code_time_piecewise`). Returns ``(full, reduced,
    test)`` with the test from :func:`coachbook.estimators.likelihood_ratio.deviance_test`.
    """
    frame_with(preconferences, ["teacher_id", "base", "increment", column], "preconferences")
    reduced = fit_mixed(f"{column} ~ base", preconferences, "teacher_id", reml=False)
    full = fit_mixed(f"{column} ~ base + increment", preconferences, "teacher_id",
                     re_formula="~ increment", reml=False)
    return full, reduced, deviance_test(full, reduced)


def teaching_fit(formula: str, lessons: pd.DataFrame, **options):
    """A growth model of teaching (RQ2 and RQ3): random intercept per teacher.

    ``lessons`` has one row per scored lesson with ``teacher_id``;
    ``options`` (``reml=False`` for deviance tests) go to
    :func:`coachbook.estimators.mixed.fit_mixed`.
    """
    frame_with(lessons, ["teacher_id"], "lessons")
    return fit_mixed(formula, lessons, "teacher_id", **options)


def at_means(model, exclude) -> dict[str, float]:
    """Every predictor of a fitted model except ``exclude`` at its grand mean.

    The paper's "grand-mean centred adjustments": a model-based trajectory
    holds the covariates (coach assists, raters, coached lesson, ...) at the
    mean of the model's own design matrix. ``exclude`` names the terms the
    trajectory varies (time and its powers, interactions).
    """
    names = list(model.result.model.exog_names)
    unknown = [c for c in exclude if c not in names]
    if unknown:
        raise ValueError(f"exclude names {unknown}, which are not terms of the model; its terms are {names}.")
    exog = pd.DataFrame(model.result.model.exog, columns=names)
    return exog.drop(columns=["Intercept", *exclude]).mean().to_dict()


def gain(model, span: float, time_terms: Mapping[str, int], at: Mapping[str, float] | None = None) -> float:
    """Model-based gain from time 0 to ``span`` years along the fixed trajectory.

    ``time_terms`` maps each time column to its power (``{"time": 1,
    "time2": 2, "time3": 3}`` for the cubic of RQ2); ``at`` fixes the other
    predictors (for example :func:`at_means` with a group's value added).
    """
    span = positive_number(span, "span")
    path = fixed_trajectory(model, [0.0, span], time_terms, at=dict(at or {}))
    return path.iloc[-1] - path.iloc[0]


def meeting_changes(means: pd.DataFrame, windows: Mapping[str, tuple[int, int]] = MEETING_WINDOWS) -> pd.Series:
    """Change in each item's mean across the network meetings, one value per window and item.

    ``means`` has one row per data cycle (its index) and one column per item.
    """
    frame_with(means, [], "means")
    needed = sorted({c for pair in windows.values() for c in pair} - set(means.index))
    if needed:
        raise ValueError(f"means has no row for data cycle(s) {needed}; its index is {list(means.index)}.")
    return pd.concat({name: means.loc[after] - means.loc[before]
                      for name, (before, after) in windows.items()}, names=["window", "item"])
