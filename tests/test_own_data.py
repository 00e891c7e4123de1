"""Bring your own data: each trainer activity and each study's main analysis runs on a small
file shaped like a reader's (written to a temporary folder), gives what the package gives on the
same data as a DataFrame, and refuses a file without a needed column with a ValueError that
names it. chapters/05-course-kits/your-own-data.md lists the same columns and calls."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from coachbook.book import own_data
from coachbook.estimators.agreement import calibration_by_item
from coachbook.estimators.rct import itt
from coachbook.studies import kraft_hill, russell
from conftest import ROOT

PAGE = ROOT / "chapters" / "05-course-kits" / "your-own-data.md"


def write(folder, name: str, frame: pd.DataFrame, sep: str = ",") -> str:
    path = folder / name
    path.write_text(frame.to_csv(index=False, sep=sep), encoding="utf-8")
    return str(path)


# --- Calibration ------------------------------------------------------------------------------------

def scores(seed: int, n: int = 12) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    master = pd.DataFrame({"segment": [f"V{i // 3 + 1}-{i % 3 + 1}" for i in range(n)],
                           "linking": rng.integers(1, 5, n), "explanations": rng.integers(1, 5, n),
                           "student questions": rng.integers(1, 5, n)})
    trainee = master.copy()
    for item in ("linking", "explanations", "student questions"):
        trainee[item] = np.clip(master[item] + rng.integers(-1, 2, n), 1, 4)
    return master, trainee.iloc[::-1].reset_index(drop=True)   # the trainee's rows in another order


def test_calibration_from_files_is_the_package_report(tmp_path):
    master, trainee = scores(1)
    report = own_data.calibration_report(write(tmp_path, "master.csv", master),
                                         write(tmp_path, "trainee.csv", trainee, sep=";"), low=1, high=4)
    items = ["linking", "explanations", "student questions"]
    m, t = master.set_index("segment"), trainee.set_index("segment").loc[master["segment"]]
    expected = calibration_by_item(m[items], t[items], items, categories=[1, 2, 3, 4])
    pd.testing.assert_frame_equal(report, expected)
    assert list(report.index) == [*items, "all items"]


@pytest.mark.parametrize("change, message", [
    (lambda m, t: (m, t.drop(columns="explanations")), r"lacks column\(s\) \['explanations'\]"),
    (lambda m, t: (m.drop(columns="segment"), t), r"lacks column\(s\) \['segment'\]"),
    (lambda m, t: (m, t.assign(linking=t["linking"] + 4)), r"'linking'.*whole number from 1 to 4"),
    (lambda m, t: (m, t.iloc[1:]), "same segments"),
])
def test_calibration_files_that_do_not_fit_say_what_to_fix(tmp_path, change, message):
    master, trainee = change(*scores(2))
    with pytest.raises(ValueError, match=message):
        own_data.calibration_report(write(tmp_path, "m.csv", master), write(tmp_path, "t.csv", trainee), 1, 4)


def test_read_table_says_what_it_needs(tmp_path):
    with pytest.raises(ValueError, match="no file at"):
        own_data.read_table(tmp_path / "missing.csv", ["a"], "the file")
    with pytest.raises(ValueError, match="path of a CSV file or a pandas DataFrame"):
        own_data.read_table(42, ["a"], "the file")
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['b'\]. It needs \['a', 'b'\]"):
        own_data.read_table(pd.DataFrame({"a": [1]}), ["a", "b"], "the file")


# --- The planning self-check ------------------------------------------------------------------------

CONVERSATIONS = pd.DataFrame({
    "conversation": ["ratios", "fractions", "area"],
    "grade_appropriate": ["yes", "Yes", "no"], "paths_discussed": [3, 2, 0], "paths_in_depth": [0, 1, 0],
    "questions_named": [2, 1, 0], "questions_in_depth": ["no", "TRUE", "0"], "goal": ["procedure", "Meaning", "topic"]})


def test_conversations_from_a_file_are_scored_as_one_by_one(tmp_path):
    scored = russell.score_conversations(write(tmp_path, "conversations.csv", CONVERSATIONS))
    assert list(scored.index) == ["ratios", "fractions", "area"]
    answers = [dict(grade_appropriate=True, paths_discussed=3, paths_in_depth=0, questions_named=2,
                    questions_in_depth=False, goal="procedure"),
               dict(grade_appropriate=True, paths_discussed=2, paths_in_depth=1, questions_named=1,
                    questions_in_depth=True, goal="meaning"),
               dict(grade_appropriate=False, paths_discussed=0, paths_in_depth=0, questions_named=0,
                    questions_in_depth=False, goal="topic")]
    for name, one in zip(scored.index, answers, strict=True):
        expected = russell.score_planning_conversation(**one)
        assert scored.loc[name].astype(float).to_dict() == expected.astype(float).to_dict()


@pytest.mark.parametrize("change, message", [
    (lambda c: c.drop(columns="goal"), r"lacks column\(s\) \['goal'\]"),
    (lambda c: c.assign(grade_appropriate=["yes", "maybe", "no"]), "fractions: grade_appropriate must be yes or no"),
    (lambda c: c.assign(paths_in_depth=[5, 1, 0]), "ratios: paths_in_depth"),
])
def test_conversation_files_that_do_not_fit_say_what_to_fix(tmp_path, change, message):
    with pytest.raises(ValueError, match=message):
        russell.score_conversations(write(tmp_path, "c.csv", change(CONVERSATIONS.copy())))


# --- The MQI trial's teacher-outcome model (equation 1) ---------------------------------------------

def teacher_file(seed: int = 3, n: int = 32) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"teacher_id": [f"T{i:02d}" for i in range(n)], "block": np.repeat(range(n // 4), 4),
                          "treatment": np.tile([1, 0, 1, 0], n // 4), "experience": rng.integers(1, 25, n)})
    frame["mqi_richness"] = 1.2 + 0.3 * frame["treatment"] + 0.01 * frame["experience"] + rng.normal(0, 0.4, n)
    frame.loc[[5, 18], "mqi_richness"] = np.nan   # two teachers without the outcome
    return frame


def test_teacher_itt_from_a_file_is_equation_1(tmp_path):
    frame = teacher_file()
    result = kraft_hill.teacher_itt(write(tmp_path, "teachers.csv", frame), "mqi_richness", controls=["experience"])
    expected_frame = frame.assign(mqi_richness=kraft_hill.standardize_by_control(frame["mqi_richness"],
                                                                                 frame["treatment"]))
    expected = itt(expected_frame, "mqi_richness", controls=["experience"])
    assert (result.estimate, result.se, result.n) == pytest.approx((expected.estimate, expected.se, expected.n))
    assert result.n == 30


def test_teacher_files_that_do_not_fit_say_what_to_fix(tmp_path):
    path = write(tmp_path, "t.csv", teacher_file().drop(columns="block"))
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['block'\]"):
        kraft_hill.teacher_itt(path, "mqi_richness")
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['score'\]"):
        kraft_hill.teacher_itt(write(tmp_path, "u.csv", teacher_file()), "score")
    doubled = pd.concat([teacher_file(), teacher_file().head(1)])
    with pytest.raises(ValueError, match="several rows for one teacher"):
        kraft_hill.teacher_itt(write(tmp_path, "d.csv", doubled), "mqi_richness")


# --- The Tennessee growth model of planning depth ---------------------------------------------------

def conversations_over_time(seed: int = 4, pairs: int = 16) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    times = np.array([0.0, 0.3, 0.6, 1.1, 1.4])
    rows = []
    for p in range(pairs):
        start, slope = 1.9 + rng.normal(0, 0.25), 0.35 + rng.normal(0, 0.1)
        for t in times[: 3 + p % 3]:
            rows.append({"teacher_id": f"pair {p + 1}", "time": t,
                         "composite": round(start + slope * t + rng.normal(0, 0.2), 3)})
    return pd.DataFrame(rows)


def test_growth_model_from_a_file_is_the_chapter_model(tmp_path):
    frame = conversations_over_time()
    from_file = russell.growth_fit(write(tmp_path, "conversations.csv", frame), "composite")
    from_frame = russell.growth_fit(frame, "composite")
    pd.testing.assert_frame_equal(from_file.fixed_effects, from_frame.fixed_effects)
    assert from_file.fixed_effects.loc["time", "estimate"] > 0


def test_growth_files_that_do_not_fit_say_what_to_fix(tmp_path):
    path = write(tmp_path, "c.csv", conversations_over_time().rename(columns={"time": "cycle"}))
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['time'\]"):
        russell.growth_fit(path, "composite")


# --- The page says the same ---------------------------------------------------------------------------

def test_page_lists_the_columns_each_function_checks():
    text = PAGE.read_text(encoding="utf-8")
    for columns in (russell.CONVERSATION_COLUMNS, russell.GROWTH_COLUMNS, kraft_hill.ITT_COLUMNS,
                    (own_data.CALIBRATION_KEY,)):
        for column in columns:
            assert re.search(rf"`{column}`", text), f"{PAGE.name} does not name the column {column}"
    for call in ("own_data.calibration_report(", "russell.score_conversations(", "kraft_hill.teacher_itt(",
                 "russell.growth_fit("):
        assert call in text, f"{PAGE.name} does not show the call {call}"
