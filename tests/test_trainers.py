"""Tests of the coach trainers' tools: planning-conversation scoring (coachbook.studies.russell),
simulated trainees (coachbook.book.activities), calibration summaries
(coachbook.estimators.agreement) and theory-of-action diagrams (coachbook.book.diagrams)."""
import numpy as np
import pandas as pd
import pytest

from coachbook.book import charts
from coachbook.book.published import load
from coachbook.book.activities import simulate_trainee
from coachbook.book.diagrams import theory_of_action_chart
from coachbook.estimators.agreement import calibration_by_item
from coachbook.studies.russell import (GOAL_LEVELS, planning_next_steps, preconference_composite,
                                       score_planning_conversation)


# --------------------------------------------------------------------------
# Preconference composite
# --------------------------------------------------------------------------
def test_composite_stretches_the_short_items_to_0_3():
    assert preconference_composite(1, 2, 1, 3) == pytest.approx((3 + 2 + 1.5 + 3) / 4)
    assert preconference_composite(0, 0, 0, 0) == 0.0
    assert preconference_composite(1, 3, 2, 3) == 3.0


def test_composite_is_vectorized():
    out = preconference_composite([1, 0], [3, 1], [2, 0], [3, 1])
    np.testing.assert_allclose(out, [3.0, 0.5])


def test_composite_reproduces_table4_means_from_item_means():
    # The composite is linear, so the mean composite equals the composite of the
    # item means; Table 4 prints advancing questions already on 0-3, so undo x1.5.
    table4 = load("russell_2020").query("table == 'Table 4'")
    for cycle in [1, 2, 3, 5, 6]:
        mean = {row: float(table4.query(f"row == '{row}' and column == 'Cycle {cycle} M'")["estimate"].iloc[0])
                for row in ["Appropriate content", "Solution paths", "Advancing questions",
                            "Math content", "Composite"]}
        recomputed = (3 * mean["Appropriate content"] + mean["Solution paths"]
                      + mean["Advancing questions"] + mean["Math content"]) / 4
        assert recomputed == pytest.approx(mean["Composite"], abs=0.006)


@pytest.mark.parametrize("args, message", [
    ((2, 2, 1, 3), "appropriate_content is scored 0-1"),
    ((1, 4, 1, 3), "solution_paths is scored 0-3"),
    ((1, 2, 3, 3), "advancing_questions is scored 0-2"),
    ((1, 2, 1.5, 3), "whole-number"),
    ((1, 2, np.nan, 3), "missing"),
])
def test_composite_rejects_scores_off_the_rubric(args, message):
    with pytest.raises(ValueError, match=message):
        preconference_composite(*args)


def test_composite_rejects_unequal_lengths():
    with pytest.raises(ValueError, match="same length"):
        preconference_composite([1, 1], [2, 2, 2], [1, 1], [3, 3])


# --------------------------------------------------------------------------
# Scoring a described conversation
# --------------------------------------------------------------------------
def test_a_deep_conversation_scores_at_the_top():
    s = score_planning_conversation(grade_appropriate=True, paths_discussed=3, paths_in_depth=2,
                                    questions_named=2, questions_in_depth=True, goal="meaning")
    assert list(s[:4]) == [1, 3, 2, 3]
    assert s["composite"] == 3.0


@pytest.mark.parametrize("discussed, deep, expected", [(0, 0, 0), (2, 0, 1), (2, 1, 2), (4, 2, 3)])
def test_solution_path_levels(discussed, deep, expected):
    s = score_planning_conversation(grade_appropriate=True, paths_discussed=discussed, paths_in_depth=deep,
                                    questions_named=0, questions_in_depth=False, goal="topic")
    assert s["solution_paths"] == expected


def test_question_and_goal_levels():
    named_only = score_planning_conversation(grade_appropriate=False, paths_discussed=1, paths_in_depth=0,
                                             questions_named=3, questions_in_depth=False, goal="procedure")
    assert named_only["advancing_questions"] == 1
    assert named_only["math_content"] == GOAL_LEVELS["procedure"] == 2
    assert named_only["appropriate_content"] == 0


@pytest.mark.parametrize("kwargs, message", [
    (dict(paths_discussed=1, paths_in_depth=2), "cannot exceed"),
    (dict(questions_named=0, questions_in_depth=True), "name the questions"),
    (dict(goal="deep"), "goal must be one of"),
    (dict(paths_discussed=-1, paths_in_depth=0), "whole number"),
    (dict(grade_appropriate="yes"), "True or False"),
])
def test_scoring_rejects_impossible_descriptions(kwargs, message):
    base = dict(grade_appropriate=True, paths_discussed=2, paths_in_depth=1,
                questions_named=1, questions_in_depth=False, goal="topic")
    base.update(kwargs)
    with pytest.raises(ValueError, match=message):
        score_planning_conversation(**base)


# --------------------------------------------------------------------------
# Simulated trainee and calibration report
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def master():
    rng = np.random.default_rng(7)
    return pd.DataFrame(rng.integers(0, 4, size=(400, 3)), columns=["a", "b", "c"])


def test_a_noiseless_unbiased_trainee_copies_the_master(master):
    trainee = simulate_trainee(master, ["a", "b", "c"], bias=0.0, noise_sd=0.0, seed=1)
    pd.testing.assert_frame_equal(trainee, master.astype(int))
    report = calibration_by_item(master, trainee, ["a", "b", "c"])
    assert (report["exact"] == 1).all() and (report["linear_kappa"] == 1).all()
    assert (report["tendency"] == "in line").all()


def test_simulation_is_seeded_and_stays_on_the_scale(master):
    one = simulate_trainee(master, ["a", "b"], bias={"a": 0.8}, noise_sd=0.7, seed=3)
    two = simulate_trainee(master, ["a", "b"], bias={"a": 0.8}, noise_sd=0.7, seed=3)
    pd.testing.assert_frame_equal(one, two)
    assert one.to_numpy().min() >= 0 and one.to_numpy().max() <= 3


def test_the_report_finds_the_planted_biases(master):
    items = ["a", "b", "c"]
    trainee = simulate_trainee(master, items, bias={"a": 0.6, "c": -0.6}, noise_sd=0.3, seed=11)
    report = calibration_by_item(master, trainee, items)
    assert report.loc["a", "tendency"] == "scores higher"
    assert report.loc["b", "tendency"] == "in line"
    assert report.loc["c", "tendency"] == "scores lower"
    assert report.loc["all items", "n"] == 3 * len(master)
    assert (report["adjacent"] >= report["exact"]).all()


def test_kappa_is_missing_not_an_error_when_one_score_is_used():
    constant = pd.DataFrame({"e": [0] * 20})
    report = calibration_by_item(constant, constant.copy(), ["e"])
    assert np.isnan(report.loc["e", "linear_kappa"])
    assert report.loc["e", "exact"] == 1


@pytest.mark.parametrize("kwargs, message", [
    (dict(bias={"z": 1.0}), "not in items"),
    (dict(noise_sd=-1.0), "noise_sd"),
    (dict(low=3, high=0), "below high"),
])
def test_simulation_validates_inputs(master, kwargs, message):
    base = dict(bias=0.0, noise_sd=0.5, seed=1)
    base.update(kwargs)
    with pytest.raises(ValueError, match=message):
        simulate_trainee(master, ["a", "b"], **base)


def test_simulation_rejects_scores_off_the_scale():
    with pytest.raises(ValueError, match="scale"):
        simulate_trainee(pd.DataFrame({"a": [0, 5]}), ["a"], bias=0.0, noise_sd=0.1, seed=1)


def test_report_needs_the_same_segments(master):
    with pytest.raises(ValueError, match="same segments"):
        calibration_by_item(master, master.iloc[:10], ["a"])


# --------------------------------------------------------------------------
# Theory-of-action chart
# --------------------------------------------------------------------------
NODES = pd.DataFrame({"id": ["x", "y"], "label": ["Start", "Two\nlines"], "x": [100, 100], "y": [40, 160]})
EDGES = pd.DataFrame({"source": ["x"], "target": ["y"], "measure": ["a survey"], "chapter": ["Chapter 1"],
                      "measured": [False]})


def test_chart_renders_offline_with_title():
    out = charts.show(theory_of_action_chart(NODES, EDGES, "A tiny theory", width=300, height=220))
    assert out.title == "A tiny theory"
    assert out.svg.startswith("<svg")


def test_arrow_stops_at_the_box_edge():
    spec = theory_of_action_chart(NODES, EDGES, "A tiny theory").to_dict()
    links = [d for name, d in spec["datasets"].items() if d and "angle" in d[0]][0]
    assert links[0]["angle"] == pytest.approx(180.0)
    assert 68 <= links[0]["y1"] <= 76 and 124 <= links[0]["y2"] <= 132


def test_arrow_geometry_is_rounded_so_the_svg_is_the_same_on_every_machine():
    """arctan2 and the box clipping give 224.99999999999997 on one machine and 225 on
    another; the spec (and the SVG's rotate(...)) carries the numbers rounded to 3 decimals."""
    from coachbook.book.diagrams import _geometry

    nodes = pd.DataFrame({"id": ["a", "b", "c"], "label": ["A", "B", "C"],
                          "x": [300, 160, 420], "y": [40, 180, 300]})
    edges = pd.DataFrame({"source": ["a", "a"], "target": ["b", "c"], "measure": ["m", "n"],
                          "chapter": ["Ch 1", "Ch 2"], "measured": [True, False]})
    spec = theory_of_action_chart(nodes, edges, "Two arrows").to_dict()
    links = [d for d in spec["datasets"].values() if d and "angle" in d[0]][0]
    fields = ["x1", "y1", "x2", "y2", "angle", "lx", "ly"]
    for link in links:
        for field in fields:
            assert link[field] == round(link[field], 3), (field, link[field])
    assert links[0]["angle"] == 225.0           # down and to the left, at 45 degrees
    assert links[1]["angle"] == pytest.approx(
        np.degrees(np.arctan2(120, -260)) % 360, abs=5e-4)
    assert _geometry(224.99999999999997) == 225.0
    assert str(_geometry(-1e-12)) == "0.0"      # no "-0.0" in the spec


@pytest.mark.parametrize("edges, message", [
    (EDGES.assign(target="q"), "not in nodes"),
    (EDGES.drop(columns="measured"), "missing column"),
])
def test_chart_validates_edges(edges, message):
    with pytest.raises(ValueError, match=message):
        theory_of_action_chart(NODES, edges, "t")


def test_chart_refuses_overlapping_boxes_and_no_title():
    close = NODES.assign(y=[40, 60])
    with pytest.raises(ValueError, match="overlap"):
        theory_of_action_chart(close, EDGES, "t")
    with pytest.raises(ValueError, match="title"):
        theory_of_action_chart(NODES, EDGES, " ")


# --------------------------------------------------------------------------
# Next steps for a planning conversation
# --------------------------------------------------------------------------
def test_next_steps_rank_the_stretched_item_first():
    steps = planning_next_steps(grade_appropriate=True, paths_discussed=3, paths_in_depth=1,
                                questions_named=2, questions_in_depth=False, goal="procedure")
    assert list(steps["item"]) == ["advancing_questions", "solution_paths", "math_content"]
    assert steps.loc[0, "gain"] == pytest.approx(1.5 / 4)
    assert steps.loc[1, "gain"] == pytest.approx(1 / 4)


def test_next_steps_from_an_empty_conversation_offer_every_item():
    steps = planning_next_steps(grade_appropriate=False, paths_discussed=0, paths_in_depth=0,
                                questions_named=0, questions_in_depth=False, goal="none")
    assert set(steps["item"]) == {"appropriate_content", "solution_paths", "advancing_questions", "math_content"}
    assert steps.loc[0, "item"] == "appropriate_content"   # worth 3 points on the 0-3 scale
    assert (steps["gain"] > 0).all()


def test_next_steps_are_empty_at_the_ceiling():
    steps = planning_next_steps(grade_appropriate=True, paths_discussed=2, paths_in_depth=2,
                                questions_named=1, questions_in_depth=True, goal="meaning")
    assert steps.empty


def test_next_steps_validate_like_the_scorer():
    with pytest.raises(ValueError, match="goal must be one of"):
        planning_next_steps(grade_appropriate=True, paths_discussed=0, paths_in_depth=0,
                            questions_named=0, questions_in_depth=False, goal="big idea")
