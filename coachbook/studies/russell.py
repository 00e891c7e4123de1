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

import numpy as np
import pandas as pd

from coachbook.book.compare import published_number
from coachbook.book.own_data import read_table
from coachbook.estimators.growth import fixed_trajectory
from coachbook.estimators.likelihood_ratio import deviance_test
from coachbook.estimators.mixed import fit_mixed
from coachbook.studies._checks import frame_with, positive_number

PAPER = "russell_2020"
#: The windows around the March and August network meetings: name -> (cycle before, cycle after).
MEETING_WINDOWS = {"March: cycle 2 to 3": (2, 3), "August: cycle 3 to 5": (3, 5),
                   "August: cycle 3 to 6": (3, 6)}

__all__ = ["CONVERSATION_COLUMNS", "GOAL_LEVELS", "GROWTH_COLUMNS", "MEETING_WINDOWS", "PAPER",
           "PRECONFERENCE_ITEMS", "at_means", "gain", "growth_fit", "meeting_changes", "number",
           "piecewise_test", "planning_next_steps", "preconference_composite", "score_conversations",
           "score_planning_conversation", "teaching_fit"]

#: A reader's own file for :func:`growth_fit`: one row per scored conversation, the pair
#: (``teacher_id``), the time in years since the first cycle (``time``), and the outcome column.
GROWTH_COLUMNS = ("teacher_id", "time")


def number(row: str, column: str, panel: str = "", table: str = "Text") -> float:
    """A published number of Russell et al. (2020): :func:`coachbook.book.compare.published_number`.

    Most of the paper's numbers in the text sit in a panel (the section that
    reports them, such as ``"Participants"``), so ``panel`` comes third.
    """
    return published_number(PAPER, row, column, table, panel)


def growth_fit(preconferences, column: str, **options):
    """Linear growth in one preconference measure: random intercept and slope per pair, REML.

    ``preconferences`` (a DataFrame, or the path of a CSV file) has one row per
    conference with ``teacher_id`` (the pair), ``time`` (years since data
    cycle 1) and ``column`` (:data:`GROWTH_COLUMNS`); ``options`` go to
    :func:`coachbook.estimators.mixed.fit_mixed`.
    """
    preconferences = read_table(preconferences, [*GROWTH_COLUMNS, column], "preconferences")
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


# ---------------------------------------------------------------------------
# Planning-conversation rubric (Russell et al. 2020, Table 1 and endnote 1)
# ---------------------------------------------------------------------------
#: item -> (lowest score, highest score, factor that puts the item on 0-3).
#: Table 1 scores appropriate content 0/1 and advancing questions 0-2; before
#: averaging, both are stretched to 0-3 (x3 and x1.5). With that reading the
#: composite means of Table 4 are reproduced exactly (see data/published/russell_2020.md).
PRECONFERENCE_ITEMS: dict[str, tuple[int, int, float]] = {
    "appropriate_content": (0, 1, 3.0),
    "solution_paths": (0, 3, 1.0),
    "advancing_questions": (0, 2, 1.5),
    "math_content": (0, 3, 1.0),
}

#: The four levels of the math-content item, lowest to highest.
GOAL_LEVELS: dict[str, int] = {"none": 0, "topic": 1, "procedure": 2, "meaning": 3}


def _item_values(values, item: str) -> np.ndarray:
    low, high, _ = PRECONFERENCE_ITEMS[item]
    arr = np.asarray(values, dtype=float)
    if np.isnan(arr).any():
        raise ValueError(f"{item} has missing values; score every item before forming the composite.")
    if ((arr < low) | (arr > high)).any():
        bad = arr[(arr < low) | (arr > high)].ravel()[0]
        raise ValueError(
            f"{item} is scored {low}-{high} on the rubric, found {bad!r}. "
            "Pass the raw rubric score, not a rescaled one."
        )
    if not np.allclose(arr, np.round(arr)):
        raise ValueError(f"{item} takes whole-number rubric scores ({low}-{high}); found a fraction.")
    return arr


def preconference_composite(appropriate_content, solution_paths, advancing_questions, math_content):
    """The preconference depth-and-specificity composite (0-3).

    Each argument is a raw rubric score (or an array of them): appropriate
    content 0-1, solution paths 0-3, advancing questions 0-2, math content
    0-3. The two short items are stretched to 0-3 (x3 and x1.5) and the four
    are averaged, which is how Russell et al. (2020) formed the composite
    (endnote 1; the Table 4 means are reproduced exactly this way).

    Returns a float for scalar input, otherwise a NumPy array.

    >>> preconference_composite(1, 2, 1, 3)
    2.375
    """
    parts = [
        _item_values(appropriate_content, "appropriate_content") * PRECONFERENCE_ITEMS["appropriate_content"][2],
        _item_values(solution_paths, "solution_paths") * PRECONFERENCE_ITEMS["solution_paths"][2],
        _item_values(advancing_questions, "advancing_questions") * PRECONFERENCE_ITEMS["advancing_questions"][2],
        _item_values(math_content, "math_content") * PRECONFERENCE_ITEMS["math_content"][2],
    ]
    try:
        stacked = np.stack(np.broadcast_arrays(*parts))
    except ValueError:
        raise ValueError("the four items must have the same length (one score per conversation).") from None
    composite = stacked.mean(axis=0)
    return float(composite) if composite.ndim == 0 else composite


def _count(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be a whole number of 0 or more, got {value!r}.")
    return int(value)


def score_planning_conversation(*, grade_appropriate: bool, paths_discussed: int, paths_in_depth: int,
                                questions_named: int, questions_in_depth: bool, goal: str) -> pd.Series:
    """Score one planning conversation on the four depth-and-specificity items.

    The arguments describe what the coach and teacher talked about; the
    function applies the scoring rules of the rubric's "Metric" column
    (Russell et al. 2020, Table 1):

    - ``grade_appropriate``: the lesson's mathematics fits the grade's standards
      (appropriate content: 0 or 1);
    - ``paths_discussed``: how many ways students might solve the task came up
      at all; ``paths_in_depth``: how many of them were discussed beyond a
      mention (solution paths: 0 none, 1 only superficially, 2 one in depth,
      3 two or more in depth);
    - ``questions_named``: how many questions to advance students' thinking were
      named; ``questions_in_depth``: whether any was discussed in depth, for
      example with likely student answers and the teacher's next move
      (advancing questions: 0, 1 named only, 2 in depth);
    - ``goal``: the deepest goal stated, one of ``"none"``, ``"topic"`` (a broad
      topic such as fractions), ``"procedure"`` (a definition or procedure) or
      ``"meaning"`` (students coming to understand the meaning of a concept)
      (math content: 0-3).

    Returns a Series with the four item scores and ``composite``.
    """
    if not isinstance(grade_appropriate, (bool, np.bool_)):
        raise ValueError(f"grade_appropriate must be True or False, got {grade_appropriate!r}.")
    discussed = _count(paths_discussed, "paths_discussed")
    deep = _count(paths_in_depth, "paths_in_depth")
    if deep > discussed:
        raise ValueError(
            f"paths_in_depth ({deep}) cannot exceed paths_discussed ({discussed}): a path "
            "discussed in depth is also a path discussed."
        )
    named = _count(questions_named, "questions_named")
    if not isinstance(questions_in_depth, (bool, np.bool_)):
        raise ValueError(f"questions_in_depth must be True or False, got {questions_in_depth!r}.")
    if questions_in_depth and named == 0:
        raise ValueError("questions_in_depth is True but questions_named is 0; name the questions discussed.")
    if goal not in GOAL_LEVELS:
        raise ValueError(f"goal must be one of {list(GOAL_LEVELS)}, got {goal!r}.")

    paths = 0 if discussed == 0 else (3 if deep >= 2 else (2 if deep == 1 else 1))
    questions = 0 if named == 0 else (2 if questions_in_depth else 1)
    items = {
        "appropriate_content": int(bool(grade_appropriate)),
        "solution_paths": paths,
        "advancing_questions": questions,
        "math_content": GOAL_LEVELS[goal],
    }
    items["composite"] = preconference_composite(**items)
    return pd.Series(items, dtype=object)


def planning_next_steps(**description) -> pd.DataFrame:
    """Every single-step improvement to a planning conversation, ranked by payoff.

    Takes the same keyword arguments as :func:`score_planning_conversation`
    and tries, one at a time, the smallest change that raises each item by one
    score point: making the task fit the grade, discussing one more solution
    path (in depth once one has been mentioned), naming a question or
    discussing one in depth, and stating a deeper goal. Items already at the
    top are skipped.

    Returns a DataFrame with one row per change: ``change``, ``item``,
    ``composite`` after the change and ``gain`` over the current composite,
    sorted by gain (largest first; ties keep the item order of the rubric).
    """
    current = score_planning_conversation(**description)
    d = dict(description)
    options = []
    if not d["grade_appropriate"]:
        options.append(("choose a task that fits the grade's standards", "appropriate_content",
                        {"grade_appropriate": True}))
    if d["paths_discussed"] == 0:
        options.append(("bring up at least one way students might solve the task", "solution_paths",
                        {"paths_discussed": 1}))
    elif d["paths_in_depth"] < 2:
        deeper = d["paths_in_depth"] + 1
        options.append((f"talk through {'a second' if deeper == 2 else 'one'} solution path in depth",
                        "solution_paths",
                        {"paths_in_depth": deeper, "paths_discussed": max(d["paths_discussed"], deeper)}))
    if d["questions_named"] == 0:
        options.append(("name a question that would advance students' thinking", "advancing_questions",
                        {"questions_named": 1}))
    elif not d["questions_in_depth"]:
        options.append(("discuss a question with likely student answers and the next move",
                        "advancing_questions", {"questions_in_depth": True}))
    levels = list(GOAL_LEVELS)
    position = levels.index(d["goal"])
    if position < len(levels) - 1:
        wording = {"topic": "name the mathematical topic of the lesson",
                   "procedure": "state the definition or procedure students should learn",
                   "meaning": "state the meaning of the concept students should come to understand"}
        options.append((wording[levels[position + 1]], "math_content", {"goal": levels[position + 1]}))
    rows = []
    for change, item, update in options:
        scored = score_planning_conversation(**{**d, **update})
        rows.append({"change": change, "item": item, "composite": float(scored["composite"]),
                     "gain": float(scored["composite"]) - float(current["composite"])})
    out = pd.DataFrame(rows, columns=["change", "item", "composite", "gain"])
    return out.sort_values("gain", ascending=False, kind="stable").reset_index(drop=True)


#: A reader's own file for :func:`score_conversations`: one row per planning conversation
#: (an optional ``conversation`` column names each one).
CONVERSATION_COLUMNS = ("grade_appropriate", "paths_discussed", "paths_in_depth", "questions_named",
                        "questions_in_depth", "goal")
_YES = {"yes": True, "y": True, "true": True, "1": True, "no": False, "n": False, "false": False, "0": False}


def _answer(value, field: str, row: str):
    text = str(value).strip().lower()
    if field in ("grade_appropriate", "questions_in_depth"):
        if text not in _YES:
            raise ValueError(f"conversation {row}: {field} must be yes or no, got {value!r}.")
        return _YES[text]
    if field == "goal":
        return text
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"conversation {row}: {field} must be a whole number, got {value!r}.") from None
    if not number.is_integer():
        raise ValueError(f"conversation {row}: {field} must be a whole number, got {value!r}.")
    return int(number)


def score_conversations(source) -> pd.DataFrame:
    """The self-check of :func:`score_planning_conversation` for a file of conversations.

    ``source`` is a CSV path or a DataFrame with the columns of
    :data:`CONVERSATION_COLUMNS` (yes/no answers as ``yes``/``no``, ``true``/
    ``false`` or 1/0; ``goal`` one of :data:`GOAL_LEVELS`) and, optionally,
    ``conversation``. Returns one row per conversation (indexed by
    ``conversation``, or 1, 2, ...) with the four item scores and the composite;
    a bad answer is a ``ValueError`` naming the conversation.
    """
    frame = read_table(source, CONVERSATION_COLUMNS, "the planning conversations")
    names = (frame["conversation"].astype(str) if "conversation" in frame.columns
             else pd.Series(range(1, len(frame) + 1), index=frame.index).astype(str))
    rows = {}
    for name, (_, row) in zip(names, frame.iterrows(), strict=True):
        answers = {field: _answer(row[field], field, name) for field in CONVERSATION_COLUMNS}
        try:
            rows[name] = score_planning_conversation(**answers)
        except ValueError as error:
            raise ValueError(f"conversation {name}: {error}") from None
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "conversation"
    return out.astype({item: int for item in PRECONFERENCE_ITEMS} | {"composite": float})
