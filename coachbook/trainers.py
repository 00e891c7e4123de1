"""Tools for people who train coaches: theory-of-action diagrams, rater calibration,
and a self-check for planning conversations.

The chapters on the two coaching models and the chapter for coach trainers use
these functions; they are kept here so that a trainer can reuse them on her own
scores without copying notebook code.

- :func:`theory_of_action_chart`   a chain of boxes and labelled arrows, drawn with Altair
- :func:`simulate_trainee`          a *simulated* trainee's rubric scores: master score
                                    plus a per-item bias and noise, rounded and clipped
- :func:`preconference_composite`   the depth-and-specificity composite of Russell et al.
                                    (2020): the four items put on 0-3 and averaged
- :func:`score_planning_conversation`  scores one planning conversation on the four
                                    items from a short description of what was discussed
- :func:`planning_next_steps`       the one-step improvements to that conversation, ranked
                                    by how much each raises the composite
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import altair as alt
import numpy as np
import pandas as pd

from coachbook.estimators._validate import require_columns, require_numeric

__all__ = [
    "PRECONFERENCE_ITEMS",
    "GOAL_LEVELS",
    "preconference_composite",
    "score_planning_conversation",
    "planning_next_steps",
    "simulate_trainee",
    "theory_of_action_chart",
]

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


# ---------------------------------------------------------------------------
# Rater calibration
# ---------------------------------------------------------------------------
def simulate_trainee(master: pd.DataFrame, items: Sequence[str], bias: Mapping[str, float] | float,
                     noise_sd: float, seed: int, low: int = 0, high: int = 3) -> pd.DataFrame:
    """Scores of a *simulated* trainee who rates the same segments as the master.

    For every segment and item: trainee = round(master + bias[item] + e),
    e ~ Normal(0, noise_sd), clipped to the scale [low, high]. A positive bias
    makes the trainee score that item higher than the master, a negative one
    lower. This is an exercise device, not a model of real raters.

    Parameters
    ----------
    master : DataFrame
        One row per segment, integer master scores in ``items``.
    items : sequence of str
        The rubric items (columns of ``master``) the trainee scores.
    bias : mapping item -> float, or float
        Systematic offset per item (a single number applies to every item).
    noise_sd : float
        Standard deviation of the trainee's random error, in score points.
    seed : int
        Seed of the random draws, so the trainee is the same on every run.

    Returns
    -------
    DataFrame with the same index and ``items`` columns, integer scores.
    """
    require_columns(master, list(items), "master")
    require_numeric(master, list(items), "master")
    if low >= high:
        raise ValueError(f"low ({low}) must be below high ({high}).")
    scores = master[list(items)].to_numpy(dtype=float)
    if np.isnan(scores).any():
        raise ValueError("master has missing scores; drop or fill the unscored segments first.")
    if ((scores < low) | (scores > high)).any():
        raise ValueError(f"master scores must lie on the {low}-{high} scale.")
    if isinstance(bias, Mapping):
        unknown = sorted(set(bias) - set(items))
        if unknown:
            raise ValueError(f"bias names item(s) {unknown} that are not in items.")
        offsets = np.array([float(bias.get(item, 0.0)) for item in items])
    else:
        offsets = np.full(len(items), float(bias))
    if not np.isfinite(offsets).all():
        raise ValueError("every bias must be a finite number of score points.")
    if not np.isfinite(noise_sd) or noise_sd < 0:
        raise ValueError(f"noise_sd must be 0 or more, got {noise_sd!r}.")
    rng = np.random.default_rng(seed)
    latent = scores + offsets[None, :] + rng.normal(0.0, noise_sd, scores.shape)
    trainee = np.clip(np.rint(latent), low, high).astype(int)
    return pd.DataFrame(trainee, index=master.index, columns=list(items))


# ---------------------------------------------------------------------------
# Theory-of-action diagrams
# ---------------------------------------------------------------------------
_LINK_COLORS = alt.Scale(domain=["measured in the study", "not measured in the study"],
                         range=["#0072B2", "#D55E00"])


def _endpoints(src: pd.Series, dst: pd.Series, gap: float = 4.0) -> tuple[float, float, float, float]:
    """Start and end of an arrow from box ``src`` to box ``dst``, clipped to the box edges."""
    x1, y1, x2, y2 = src["x"], src["y"], dst["x"], dst["y"]
    dx, dy = x2 - x1, y2 - y1
    length = float(np.hypot(dx, dy))
    if length == 0:
        raise ValueError(f"an arrow joins {src['id']!r} to itself.")

    def clip(width, height):
        tx = (width / 2) / abs(dx) if dx else np.inf
        ty = (height / 2) / abs(dy) if dy else np.inf
        return min(tx, ty) + gap / length

    t1, t2 = clip(src["w"], src["h"]), clip(dst["w"], dst["h"])
    if t1 + t2 >= 1:
        raise ValueError(f"boxes {src['id']!r} and {dst['id']!r} overlap; move them apart.")
    return x1 + t1 * dx, y1 + t1 * dy, x2 - t2 * dx, y2 - t2 * dy


def _geometry(value: float) -> float:
    """A pixel coordinate or angle rounded to 3 decimals (and -0.0 made 0.0).

    The arrow geometry comes from trigonometry whose last bits differ between
    machines (``arctan2`` gives 224.99999999999997 on one and 225 on
    another), and the numbers are written into the chart's SVG and
    specification; rounding keeps the stored outputs identical everywhere.
    """
    return float(round(float(value), 3)) + 0.0


def theory_of_action_chart(nodes: pd.DataFrame, edges: pd.DataFrame, title: str,
                           width: int = 640, height: int = 520) -> alt.LayerChart:
    """A theory of action as boxes joined by labelled arrows (an Altair chart).

    Parameters
    ----------
    nodes : DataFrame
        ``id``, ``label`` (use ``\\n`` for line breaks), ``x``, ``y`` (box centre
        in pixels from the top-left corner), and optionally ``w``, ``h`` (box
        size, default 200 x 56) and ``detail`` (shown in the tooltip).
    edges : DataFrame
        ``source``, ``target`` (node ids), ``measure`` (what tests the link),
        ``chapter`` (where the book tests it), ``measured`` (bool: did the study
        measure both ends?), and optionally ``label_dx``, ``label_dy`` (pixel
        offset of the label from the arrow's midpoint, default 12, 0) and
        ``label`` (the text beside the arrow; default "measure / chapter").
    title : str
        The chart title, also its accessible description.

    Returns
    -------
    altair.LayerChart, to be shown with ``coachbook.charts.show``. Give readers
    the same information as a table too (the chart's text alternative).
    """
    require_columns(nodes, ["id", "label", "x", "y"], "nodes")
    require_columns(edges, ["source", "target", "measure", "chapter", "measured"], "edges")
    if not isinstance(title, str) or not title.strip():
        raise ValueError("a theory-of-action chart needs a title; it is the chart's text alternative.")
    n = nodes.copy()
    if n["id"].duplicated().any():
        raise ValueError(f"node ids must be unique; repeated: {sorted(n.loc[n['id'].duplicated(), 'id'])}.")
    n["w"] = n["w"] if "w" in n else 200.0
    n["h"] = n["h"] if "h" in n else 56.0
    n["detail"] = n["detail"] if "detail" in n else n["label"].str.replace("\n", " ")
    n["label_text"] = n["label"].str.replace("\\n", "\n", regex=False)
    # mark_text puts the first line at y; centre the block of lines in the box instead.
    n["y_text"] = n["y"] - (n["label_text"].str.count("\n") * 15) / 2
    unknown = sorted((set(edges["source"]) | set(edges["target"])) - set(n["id"]))
    if unknown:
        raise ValueError(f"edges refer to node id(s) {unknown} that are not in nodes.")
    by_id = n.set_index("id", drop=False)

    rows = []
    for _, e in edges.iterrows():
        src, dst = by_id.loc[e["source"]], by_id.loc[e["target"]]
        x1, y1, x2, y2 = _endpoints(src, dst)
        angle = _geometry(float(np.degrees(np.arctan2(x2 - x1, -(y2 - y1))))) % 360
        label = e["label"] if "label" in e and isinstance(e["label"], str) else f"{e['measure']}\n{e['chapter']}"
        rows.append({
            "from": src["detail"], "to": dst["detail"], "measure": e["measure"], "chapter": e["chapter"],
            "link": "measured in the study" if bool(e["measured"]) else "not measured in the study",
            "x1": _geometry(x1), "y1": _geometry(y1), "x2": _geometry(x2), "y2": _geometry(y2),
            "angle": _geometry(angle),
            "lx": _geometry((x1 + x2) / 2 + float(e.get("label_dx", 12) if pd.notna(e.get("label_dx", 12)) else 12)),
            "ly": _geometry((y1 + y2) / 2 + float(e.get("label_dy", 0) if pd.notna(e.get("label_dy", 0)) else 0)),
            "label_text": label.replace("\\n", "\n"),
        })
    links = pd.DataFrame(rows)

    x_scale = alt.Scale(domain=[0, width], nice=False, zero=True)
    y_scale = alt.Scale(domain=[0, height], nice=False, zero=True, reverse=True)
    x = lambda field: alt.X(f"{field}:Q", scale=x_scale, axis=None)  # noqa: E731
    y = lambda field: alt.Y(f"{field}:Q", scale=y_scale, axis=None)  # noqa: E731
    n["x_left"], n["x_right"] = n["x"] - n["w"] / 2, n["x"] + n["w"] / 2
    n["y_top"], n["y_bottom"] = n["y"] - n["h"] / 2, n["y"] + n["h"] / 2
    node_tooltip = [alt.Tooltip("detail:N", title="Step")]
    link_tooltip = [alt.Tooltip("from:N", title="From"), alt.Tooltip("to:N", title="To"),
                    alt.Tooltip("measure:N", title="Measure that tests the link"),
                    alt.Tooltip("chapter:N", title="Where the book tests it")]
    color = alt.Color("link:N", scale=_LINK_COLORS, title="Link",
                      legend=alt.Legend(orient="bottom", direction="horizontal"))
    boxes = alt.Chart(n).mark_rect(fill="#F2F2F2", stroke="#555555", strokeWidth=1, cornerRadius=6).encode(
        x=x("x_left"), x2="x_right:Q", y=y("y_top"), y2="y_bottom:Q", tooltip=node_tooltip)
    box_text = alt.Chart(n).mark_text(fontSize=12, lineBreak="\n", lineHeight=15, baseline="middle",
                                      fontWeight="bold").encode(
        x=x("x"), y=y("y_text"), text="label_text:N", tooltip=node_tooltip)
    shafts = alt.Chart(links).mark_rule(strokeWidth=2.5).encode(
        x=x("x1"), y=y("y1"), x2="x2:Q", y2="y2:Q", color=color,
        strokeDash=alt.StrokeDash("link:N", scale=alt.Scale(
            domain=_LINK_COLORS.domain, range=[[1, 0], [6, 4]]), legend=None),
        tooltip=link_tooltip)
    heads = alt.Chart(links).mark_point(shape="triangle-up", filled=True, size=110, opacity=1).encode(
        x=x("x2"), y=y("y2"), angle=alt.Angle("angle:Q", scale=None), color=alt.Color(
            "link:N", scale=_LINK_COLORS, legend=None), tooltip=link_tooltip)
    labels = alt.Chart(links).mark_text(align="left", baseline="middle", fontSize=11, lineBreak="\n",
                                        color="#333333").encode(
        x=x("lx"), y=y("ly"), text="label_text:N", tooltip=link_tooltip)
    return alt.layer(shafts, heads, boxes, box_text, labels).properties(
        title=title, width=width, height=height)
