"""The two trainer tools of the book, used in a real browser: the numbers they show are the
package's.

chapters/04-synthesis/calibration-tool.md and planning-self-check.md are pages with a form and a
script (chapters/04-synthesis/trainer-tools/*.html) that compute, in the reader's browser, what
coachbook computes in Python: rater agreement and weighted kappa for a trainee against master
scores, and the planning-conversation self-check. tests/browser/trainer_tools.mjs opens the built
pages in headless Chromium (Debian's ``chromium``, driven by ``playwright-core``; see
tests/test_browser.py), uploads CSV files, fills in the form, and reports every number the page
shows, with its unrounded value (``data-value``), the messages, the drift chart's bars and every
request the page made. The tests here compute the same numbers with the package on the same data
and compare them at the page's rounding:

- two calibration data sets (the book's synthetic MQI segments with a simulated trainee on the
  0-3 scale; a hand-made 1-4 set with tied items, a score point used once, an item both raters
  score constantly so kappa is undefined, a mean difference exactly at the 0.15 tolerance, and a
  semicolon-separated file with a byte-order mark, CRLF lines and rows in another order);
- two batches of planning conversations (uploaded) and three conversations entered in the form;
- bad input of several kinds, whose messages must say what to fix;
- no request outside the built book, no console error, no serious axe-core finding.

The pages come from the suite's one build of the book (``built_book``); the browser run starts
in the background as soon as that build exists (``BOOK_STEPS``, tests/conftest.py).
``COACHBOOK_TOOLS_HTML=<html folder>`` drives an existing build instead (for checking, by hand,
that a broken script fails these tests).
"""
from __future__ import annotations

import io
import json
import math
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, book_work
from conftest import run as run_process
from test_browser import AXE_ALLOWLIST, BROWSER_DIR, browser_tools

CALIBRATION = "chapters/04-synthesis/calibration-tool"
PLANNING = "chapters/04-synthesis/planning-self-check"
TOOLS = ROOT / "chapters" / "04-synthesis" / "trainer-tools"


# --- The package's functions, wherever they live now ------------------------------------------

# coachbook is being reorganised (reliability -> estimators.agreement, trainers -> studies.russell
# / book.*): try the new homes first, then the old ones, then any module that defines the name.
def package(name: str):
    """The coachbook function the pages must agree with (one home each, tests/test_layers.py)."""
    from coachbook.estimators import agreement
    from coachbook.studies import russell

    return {"weighted_kappa": agreement.weighted_kappa, "calibration_by_item": agreement.calibration_by_item,
            "score_planning_conversation": russell.score_planning_conversation,
            "planning_next_steps": russell.planning_next_steps}[name]


# --- How the pages write numbers ----------------------------------------------------------------

def fmt(x: float, digits: int, sign: bool = False) -> str:
    """Python's f"{x:.{digits}f}", without negative zero, with "+" before positive values if sign."""
    text = f"{x:.{digits}f}"
    nonzero = any(c in "123456789" for c in text)
    if text.startswith("-") and not nonzero:
        text = text[1:]
    if sign and x > 0 and nonzero:
        text = "+" + text
    return text


def shown_as(x: float, digits: int, sign: bool = False) -> set[str]:
    """The texts a correct page may show for the package's value x: its rounding, and, only when x
    is within 1e-9 of a rounding boundary (where the last bits of two correct computations may
    fall on either side), the neighbouring rounding too."""
    return {fmt(x, digits, sign), fmt(x - 1e-9, digits, sign), fmt(x + 1e-9, digits, sign)}


def close(a, b) -> bool:
    return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


# --- The calibration data sets --------------------------------------------------------------------

def ordinary_calibration() -> dict:
    """40 segments of the book's synthetic MQI scores (0-3) and a simulated trainee: master plus a
    bias per item plus noise, rounded and kept on the scale. The trainee's rows are shuffled."""
    segments = pd.read_csv(ROOT / "data" / "mqi" / "mqi_segments.csv")
    items = [c for c in segments.columns if c.startswith(("rich_", "ccsp_", "wws_", "err_"))]
    sample = (segments.drop_duplicates(["lesson_id", "segment"]).sample(n=40, random_state=15)
              .reset_index(drop=True))
    master = sample[items].astype(int)
    master.insert(0, "segment", [f"{lesson}-{segment}" for lesson, segment in zip(sample["lesson_id"], sample["segment"])])
    rng = np.random.default_rng(15)
    bias = rng.normal(0, 0.35, len(items))
    trainee = master.copy()
    trainee[items] = np.clip(np.rint(master[items].to_numpy() + bias + rng.normal(0, 0.55, (len(master), len(items)))),
                             0, 3).astype(int)
    trainee = trainee.sample(frac=1, random_state=3).reset_index(drop=True)
    return {"master": master, "trainee": trainee, "low": 0, "high": 3,
            "master_csv": master.to_csv(index=False), "trainee_csv": trainee.to_csv(index=False)}


def tied_calibration() -> dict:
    """20 segments on 1-4: two identical items (tied drift), a score point used once, an item
    both raters score 2 throughout (kappa undefined), a mean difference of exactly +0.15 (in line),
    a harsh item; the files are semicolon-separated, with quoted ids, CRLF lines, a byte-order mark
    on one, an item name with spaces, and the trainee's rows in another order."""
    n = 20
    base = [1, 2, 2, 3, 2, 3, 3, 2, 1, 2, 3, 2, 2, 3, 1, 2, 3, 3, 2, 2]
    lean = [2, 2, 2, 3, 2, 3, 3, 2, 2, 2, 3, 3, 2, 3, 2, 2, 3, 3, 2, 2]   # base + 1 on four segments: +0.20
    rare_master = [2, 3, 2, 3, 2, 3, 3, 2, 2, 2, 3, 2, 4, 3, 2, 2, 3, 3, 2, 2]   # one 4, no 1
    rare_trainee = [2, 3, 2, 3, 2, 3, 3, 2, 1, 2, 3, 2, 3, 3, 2, 2, 3, 3, 2, 2]  # one 1, no 4
    boundary_master = [2, 2, 3, 1, 2, 3, 2, 2, 1, 3, 2, 2, 3, 1, 2, 2, 3, 2, 2, 1]
    boundary_trainee = list(boundary_master)
    for i in (0, 4, 9):
        boundary_trainee[i] += 1   # +3 points over 20 segments: a mean difference of 0.15
    boundary_trainee[9] = 4
    harsh_master = [3, 3, 2, 4, 3, 2, 3, 3, 2, 4, 3, 3, 2, 3, 4, 3, 2, 3, 3, 4]
    harsh_trainee = [max(1, v - 1) if i % 2 == 0 else v for i, v in enumerate(harsh_master)]
    master = pd.DataFrame({
        "segment": [f"Lesson A, seg {i + 1:02d}" for i in range(n)],
        "Linking (rich)": base, "tied_a": base, "tied_b": base, "rare": rare_master,
        "constant": [2] * n, "boundary": boundary_master, "harsh": harsh_master,
    })
    trainee = master.copy()
    trainee["Linking (rich)"] = lean
    trainee["tied_a"] = lean
    trainee["tied_b"] = lean
    trainee["rare"] = rare_trainee
    trainee["boundary"] = boundary_trainee
    trainee["harsh"] = harsh_trainee
    trainee = trainee.iloc[::-1].reset_index(drop=True)
    # The trainee's columns in another order too: the page matches them by name.
    trainee = trainee[["segment", "harsh", "boundary", "constant", "rare", "tied_b", "tied_a", "Linking (rich)"]]

    def semicolons(frame: pd.DataFrame, bom: bool) -> str:
        lines = [";".join(frame.columns)]
        lines += [";".join([f'"{row[0]}"'] + [str(v) for v in row[1:]]) for row in frame.itertuples(index=False)]
        return ("\ufeff" if bom else "") + "\r\n".join(lines) + "\r\n"

    return {"master": master, "trainee": trainee, "low": 1, "high": 4,
            "master_csv": semicolons(master, bom=True), "trainee_csv": semicolons(trainee, bom=False)}


def expected_calibration(data: dict) -> dict:
    """The package's numbers for a data set: by item and for "all items"."""
    weighted_kappa = package("weighted_kappa")
    calibration_by_item = package("calibration_by_item")
    master = data["master"].set_index("segment")
    trainee = data["trainee"].set_index("segment").loc[master.index, list(master.columns)]
    items = list(master.columns)
    categories = list(range(data["low"], data["high"] + 1))
    report = calibration_by_item(master, trainee, items, categories=categories)
    out = {}
    for item in items + ["all items"]:
        if item == "all items":
            m, t = master[items].to_numpy().ravel(), trainee[items].to_numpy().ravel()
        else:
            m, t = master[item].to_numpy(), trainee[item].to_numpy()
        row = report.loc[item]
        numbers = {"n": int(row["n"]), "exact": 100 * row["exact"], "adjacent": 100 * row["adjacent"],
                   "mean_difference": row["mean_difference"], "tendency": row["tendency"]}
        for weights in ("linear", "quadratic"):
            try:
                kappa = weighted_kappa(m, t, categories=categories, weights=weights)
            except ValueError as error:
                assert "undefined" in str(error), error
                numbers.update({f"{weights}_kappa": math.nan, f"{weights}_low": math.nan, f"{weights}_high": math.nan})
                continue
            numbers.update({f"{weights}_kappa": kappa.kappa, f"{weights}_low": kappa.ci95[0],
                            f"{weights}_high": kappa.ci95[1]})
        # calibration_by_item's linear kappa is weighted_kappa's
        if math.isnan(numbers["linear_kappa"]):
            assert math.isnan(row["linear_kappa"])
        else:
            assert math.isclose(row["linear_kappa"], numbers["linear_kappa"], abs_tol=1e-12)
        out[item] = numbers
    pairs = pd.crosstab(pd.Series(master[items].to_numpy().ravel(), name="master"),
                        pd.Series(trainee[items].to_numpy().ravel(), name="trainee"))
    pairs = pairs.reindex(index=categories, columns=categories, fill_value=0)
    return {"items": items, "rows": out, "pairs": pairs}


# Displayed digits: (statistic, digits, signed)
DISPLAY = [("exact", 1, False), ("adjacent", 1, False), ("mean_difference", 2, True),
           ("linear_kappa", 2, False), ("linear_low", 2, False), ("linear_high", 2, False),
           ("quadratic_kappa", 2, False), ("quadratic_low", 2, False), ("quadratic_high", 2, False)]


def calibration_mismatches(output: dict, expected: dict) -> list[str]:
    """Every displayed number of the calibration report that differs from the package's."""
    wrong = []
    rows = {row["item"]: row for row in output["rows"]}
    for shown in (list(rows), output["kappaItems"]):
        if shown != expected["items"] + ["all items"]:
            return [f"rows shown {shown}, expected {expected['items'] + ['all items']}"]
    for item, numbers in expected["rows"].items():
        stats = rows[item]["stats"]
        if stats["n"]["text"] != str(numbers["n"]):
            wrong.append(f"{item} n: shown {stats['n']['text']}, package {numbers['n']}")
        if stats["tendency"]["text"] != numbers["tendency"]:
            wrong.append(f"{item} tendency: shown {stats['tendency']['text']!r}, package {numbers['tendency']!r}")
        for stat, digits, sign in DISPLAY:
            value = numbers[stat]
            if math.isnan(value):
                if stat.endswith("_kappa"):
                    if stats.get(stat, {}).get("text") != "undefined":
                        wrong.append(f"{item} {stat}: the package's kappa is undefined, shown {stats.get(stat)}")
                    if stat.replace("_kappa", "_low") in stats:
                        wrong.append(f"{item} {stat}: an interval is shown for an undefined kappa")
                continue
            cell = stats.get(stat)
            if cell is None:
                wrong.append(f"{item} {stat}: not shown (package {value!r})")
                continue
            if cell["text"] not in shown_as(value, digits, sign):
                wrong.append(f"{item} {stat}: shown {cell['text']}, package {value!r} -> {fmt(value, digits, sign)}")
            if not close(cell["value"], value):
                wrong.append(f"{item} {stat}: data-value {cell['value']!r}, package {value!r}")
    shown_pairs = {(p["master"], p["trainee"]): p["count"] for p in output["pairs"]}
    for m in expected["pairs"].index:
        for t in expected["pairs"].columns:
            if shown_pairs.get((m, t)) != int(expected["pairs"].loc[m, t]):
                wrong.append(f"pair table master {m} trainee {t}: shown {shown_pairs.get((m, t))}, "
                             f"package {int(expected['pairs'].loc[m, t])}")
    return wrong


def chart_mismatches(output: dict, expected: dict) -> list[str]:
    """The drift chart: one bar per item, its value the package's mean difference, drawn on the
    right side of zero with a length proportional to it, coloured by the tendency, labelled."""
    wrong = []
    bars = output["bars"]
    if [bar["item"] for bar in bars] != expected["items"]:
        return [f"bars for {[bar['item'] for bar in bars]}, expected {expected['items']}"]
    zero = output["zeroX"]
    scales = []
    for bar in bars:
        numbers = expected["rows"][bar["item"]]
        value = numbers["mean_difference"]
        if not close(bar["value"], value):
            wrong.append(f"bar {bar['item']}: value {bar['value']}, package {value}")
        left, right = bar["x"], bar["x"] + bar["width"]
        if value > 0 and not math.isclose(left, zero, abs_tol=1e-6):
            wrong.append(f"bar {bar['item']}: a positive difference drawn from {left}, not from zero at {zero}")
        if value < 0 and not math.isclose(right, zero, abs_tol=1e-6):
            wrong.append(f"bar {bar['item']}: a negative difference drawn to {right}, not to zero at {zero}")
        if value != 0:
            scales.append(bar["width"] / abs(value))
        elif bar["width"] > 1e-6:
            wrong.append(f"bar {bar['item']}: no difference, but a bar {bar['width']} wide")
        colour = {"scores higher": "bar-higher", "scores lower": "bar-lower", "in line": "bar-in-line"}[numbers["tendency"]]
        if bar["cls"] != colour:
            wrong.append(f"bar {bar['item']}: class {bar['cls']}, expected {colour} ({numbers['tendency']})")
        if bar["label"] not in shown_as(value, 2, sign=True):
            wrong.append(f"bar {bar['item']}: label {bar['label']}, package {fmt(value, 2, True)}")
    if scales and max(scales) - min(scales) > 1e-6 * max(scales):
        wrong.append(f"bar lengths are not proportional to the differences: {scales}")
    return wrong


# --- The planning data sets -------------------------------------------------------------------------

FIELDS = ["grade_appropriate", "paths_discussed", "paths_in_depth", "questions_named", "questions_in_depth", "goal"]
GOALS = ["none", "topic", "procedure", "meaning"]


def ordinary_conversations() -> list[dict]:
    """Twelve conversations drawn at random (with a seed) from the answers the form allows."""
    rng = np.random.default_rng(20)
    rows = []
    for i in range(12):
        discussed = int(rng.integers(0, 5))
        named = int(rng.integers(0, 4))
        rows.append({"conversation": f"Coach {i + 1}, cycle {int(rng.integers(1, 6))}",
                     "grade_appropriate": bool(rng.random() < 0.8), "paths_discussed": discussed,
                     "paths_in_depth": int(rng.integers(0, discussed + 1)), "questions_named": named,
                     "questions_in_depth": bool(named > 0 and rng.random() < 0.5),
                     "goal": GOALS[int(rng.integers(0, 4))]})
    return rows


def tied_conversations() -> list[dict]:
    """Conversations whose next steps tie (kept in rubric order), one at the top of every item (no
    step left), the rare goal "none", large counts, and the two yes/no items at each value."""
    return [
        {"conversation": "all tied", "grade_appropriate": True, "paths_discussed": 1, "paths_in_depth": 0,
         "questions_named": 0, "questions_in_depth": False, "goal": "procedure"},
        {"conversation": "at the top", "grade_appropriate": True, "paths_discussed": 6, "paths_in_depth": 4,
         "questions_named": 5, "questions_in_depth": True, "goal": "meaning"},
        {"conversation": "no goal stated", "grade_appropriate": False, "paths_discussed": 9, "paths_in_depth": 1,
         "questions_named": 3, "questions_in_depth": False, "goal": "none"},
        {"conversation": "only content left", "grade_appropriate": False, "paths_discussed": 2, "paths_in_depth": 2,
         "questions_named": 1, "questions_in_depth": True, "goal": "meaning"},
    ]


def conversations_csv(rows: list[dict], yes: str = "yes", no: str = "no", goal_case=str) -> str:
    frame = pd.DataFrame(rows)[["conversation"] + FIELDS].copy()
    for field in ("grade_appropriate", "questions_in_depth"):
        frame[field] = frame[field].map({True: yes, False: no})
    frame["goal"] = frame["goal"].map(goal_case)
    return frame.to_csv(index=False)


def expected_conversation(row: dict) -> dict:
    answers = {field: row[field] for field in FIELDS}
    scores = package("score_planning_conversation")(**answers)
    steps = package("planning_next_steps")(**answers)
    return {"scores": {key: float(scores[key]) for key in scores.index}, "steps": steps.to_dict("records")}


ITEM_FACTORS = {"appropriate_content": 3.0, "solution_paths": 1.0, "advancing_questions": 1.5, "math_content": 1.0}


def steps_mismatches(where: str, shown: list[dict], no_steps: bool, steps: list[dict]) -> list[str]:
    wrong = []
    if not steps:
        return [] if (no_steps and not shown) else [f"{where}: the package has no next step, the page shows {shown}"]
    if len(shown) != len(steps):
        return [f"{where}: {len(shown)} next steps shown, the package has {len(steps)}"]
    for rank, (page, package_row) in enumerate(zip(shown, steps), start=1):
        if page["rank"] != rank or page["item"] != package_row["item"]:
            wrong.append(f"{where} step {rank}: item {page['item']}, package {package_row['item']}")
        if page["change"]["text"] != package_row["change"]:
            wrong.append(f"{where} step {rank}: {page['change']['text']!r}, package {package_row['change']!r}")
        for stat, sign in (("composite", False), ("gain", True)):
            value = package_row[stat]
            if page[stat]["text"] not in shown_as(value, 3, sign) or not close(page[stat]["value"], value):
                wrong.append(f"{where} step {rank} {stat}: shown {page[stat]}, package {value}")
    return wrong


def planning_mismatches(output: dict, row: dict) -> list[str]:
    expected = expected_conversation(row)
    wrong = []
    for item, factor in ITEM_FACTORS.items():
        cell = output["items"][item]
        score = expected["scores"][item]
        if cell["score"]["text"] != str(int(score)) or not close(cell["score"]["value"], score):
            wrong.append(f"{item}: shown {cell['score']}, package {score}")
        if cell["scaled"]["text"] != fmt(score * factor, 1) or not close(cell["scaled"]["value"], score * factor):
            wrong.append(f"{item} on 0-3: shown {cell['scaled']}, package {score * factor}")
    composite = expected["scores"]["composite"]
    cell = output["items"]["composite"]["composite"]
    if cell["text"] not in shown_as(composite, 3) or not close(cell["value"], composite):
        wrong.append(f"composite: shown {cell}, package {composite}")
    return wrong + steps_mismatches("form", output["steps"], output["noSteps"], expected["steps"])


def batch_mismatches(output: dict, rows: list[dict]) -> list[str]:
    if len(output["rows"]) != len(rows):
        return [f"{len(output['rows'])} conversations shown, {len(rows)} in the file"]
    wrong = []
    for shown, row in zip(output["rows"], rows):
        expected = expected_conversation(row)
        where = row["conversation"]
        if shown["conversation"] != where:
            wrong.append(f"conversation {shown['conversation']!r}, expected {where!r}")
        for item in ITEM_FACTORS:
            score = expected["scores"][item]
            if shown["items"][item]["score"]["text"] != str(int(score)):
                wrong.append(f"{where} {item}: shown {shown['items'][item]}, package {score}")
        composite = expected["scores"]["composite"]
        cell = shown["items"]["composite"]["composite"]
        if cell["text"] not in shown_as(composite, 3) or not close(cell["value"], composite):
            wrong.append(f"{where} composite: shown {cell}, package {composite}")
        wrong += steps_mismatches(where, shown["steps"], shown["noSteps"], expected["steps"])
    return wrong


def form_steps(row: dict) -> list[dict]:
    """Fill in the self-check form with one conversation's answers."""
    wait = "#planning-check"
    yes_no = lambda value: "yes" if value else "no"  # noqa: E731
    return [
        {"action": "check", "selector": f"#plan-grade-{yes_no(row['grade_appropriate'])}", "waitFor": wait},
        {"action": "fill", "selector": "#plan-paths-discussed", "value": str(row["paths_discussed"]), "waitFor": wait},
        {"action": "fill", "selector": "#plan-paths-depth", "value": str(row["paths_in_depth"]), "waitFor": wait},
        {"action": "fill", "selector": "#plan-questions-named", "value": str(row["questions_named"]), "waitFor": wait},
        {"action": "check", "selector": f"#plan-questions-depth-{yes_no(row['questions_in_depth'])}", "waitFor": wait},
        {"action": "select", "selector": "#plan-goal", "value": row["goal"], "waitFor": wait},
    ]


# --- The scenarios, run in one browser ----------------------------------------------------------------

CHAPTER_EXAMPLE = {"grade_appropriate": True, "paths_discussed": 3, "paths_in_depth": 0, "questions_named": 2,
                   "questions_in_depth": False, "goal": "procedure"}
FORM_CONVERSATIONS = {
    "form-chapter-example": CHAPTER_EXAMPLE,
    "form-tied": tied_conversations()[0],
    "form-at-the-top": tied_conversations()[1],
}
# Values that show how the page rounds: exact ties (Python rounds them to even), near ties, negatives.
FORMAT_CASES = [[0.125, 2], [0.375, 2], [2.5, 0], [3.5, 0], [0.0625, 3], [-0.125, 2], [-0.004, 2], [1 / 3, 2],
                [2 / 3, 1], [62.5, 0], [12.25, 1], [0.4375, 3], [1.005, 2], [-0.5, 0], [100.0, 1], [0.0, 2],
                [1e-17, 2], [-2.675, 2], [83.33333333333334, 1], [0.15, 1]]


def calibration_steps(data: dict, folder: Path, name: str, scale: tuple[int, int] | None = None) -> list[dict]:
    low, high = scale or (data["low"], data["high"])
    master, trainee = folder / f"{name}-master.csv", folder / f"{name}-trainee.csv"
    master.write_text(data["master_csv"], encoding="utf-8", newline="")
    trainee.write_text(data["trainee_csv"], encoding="utf-8", newline="")
    wait = "#calibration-tool"
    return [
        {"action": "fill", "selector": "#cal-low", "value": str(low), "waitFor": wait},
        {"action": "fill", "selector": "#cal-high", "value": str(high), "waitFor": wait},
        {"action": "upload", "selector": "#cal-master-file", "file": str(master), "waitFor": wait},
        {"action": "upload", "selector": "#cal-trainee-file", "file": str(trainee), "waitFor": wait},
    ]


def bad_calibrations() -> dict[str, dict]:
    """Broken versions of the ordinary data set, each with what the message must name."""
    good = ordinary_calibration()
    master, trainee = good["master"], good["trainee"]
    items = [c for c in master.columns if c != "segment"]
    out = {}
    # Wrong and missing columns: one item missing from the trainee's file, one misspelled.
    t = trainee.drop(columns=[items[0]]).rename(columns={items[1]: items[1].upper()})
    out["columns"] = {**good, "trainee_csv": t.to_csv(index=False),
                      "kinds": {"missing-columns", "extra-columns"},
                      "mentions": [items[0], items[1], items[1].upper()]}
    # Scores off the scale and cells that are not numbers, in the master file.
    m = master.astype(object).copy()
    m.loc[3, items[2]] = 7
    m.loc[5, items[4]] = "n/a"
    m.loc[8, items[0]] = "1.5"
    m.loc[9, items[6]] = ""
    out["cells"] = {**good, "master_csv": m.to_csv(index=False),
                    "kinds": {"off-scale", "not-a-number", "not-whole", "empty-cell"},
                    "mentions": [f"segment {m.loc[3, 'segment']}, {items[2]} (7)", '"n/a"',
                                 f"segment {m.loc[8, 'segment']}, {items[0]} (1.5)", "0 to 3"]}
    # Unequal, unmatched segment ids: one segment missing from the trainee's file, one renamed.
    t = trainee.iloc[1:].copy()
    renamed = t.iloc[0]["segment"]
    t.iloc[0, 0] = renamed + "x"
    out["segments"] = {**good, "trainee_csv": t.to_csv(index=False), "kinds": {"unmatched-segments"},
                       "mentions": ["40 segments", "39 segments", trainee.iloc[0]["segment"], renamed, renamed + "x"]}
    # No segment column at all.
    out["no-segment"] = {**good, "master_csv": master.rename(columns={"segment": "clip"}).to_csv(index=False),
                         "kinds": {"no-segment-column"}, "mentions": ["segment", "clip"]}
    # Good 0-3 files checked against the wrong scale (1-4): the zeros are off the scale.
    out["scale"] = {**good, "scale": (1, 4), "kinds": {"off-scale"}, "mentions": ["1 to 4"]}
    # A segment listed twice.
    m = pd.concat([master, master.iloc[[2]]], ignore_index=True)
    out["duplicate"] = {**good, "master_csv": m.to_csv(index=False), "kinds": {"duplicate-segment"},
                        "mentions": [master.iloc[2]["segment"]]}
    return out


BAD_FORMS = {
    # Question 3 larger than question 2.
    "depth-exceeds-paths": ({**CHAPTER_EXAMPLE, "paths_discussed": 1, "paths_in_depth": 2},
                            "depth-exceeds-paths", ["Question 3", "2 path(s) in depth", "only 1"]),
    # A question discussed in depth, none named.
    "depth-without-questions": ({**CHAPTER_EXAMPLE, "questions_named": 0, "questions_in_depth": True},
                                "depth-without-questions", ["Question 5", "no question was named"]),
    # A fraction of a solution path.
    "not-a-count": ({**CHAPTER_EXAMPLE, "paths_discussed": 2.5}, "not-a-count", ["Question 2", "2.5", "whole number"]),
    "negative": ({**CHAPTER_EXAMPLE, "questions_named": -1}, "not-a-count", ["Question 4", "-1"]),
}


def bad_batches() -> dict[str, tuple[str, set[str], list[str]]]:
    rows = tied_conversations()
    good = conversations_csv(rows)
    lines = good.splitlines()
    return {
        "missing-column": (pd.DataFrame(rows).drop(columns=["goal"]).to_csv(index=False),
                           {"missing-columns"}, ["goal"]),
        "values": ("\n".join([lines[0], lines[1].replace(",yes,", ",maybe,", 1), lines[2].replace("meaning", "understanding"),
                              lines[3]]) + "\n", {"not-yes-no", "unknown-goal"}, ["Line 2", "maybe", "Line 3", "understanding"]),
        "depth": ("\n".join([lines[0], "x,yes,1,3,0,no,topic", "y,yes,2,1,0,yes,topic"]) + "\n",
                  {"depth-exceeds-paths", "depth-without-questions"}, ["Line 2, paths_in_depth", "Line 3, questions_in_depth"]),
    }


def build_scenarios(folder: Path) -> list[dict]:
    scenarios = []
    for name, data in (("ordinary", ordinary_calibration()), ("tied", tied_calibration())):
        scenarios.append({"id": f"calibration-{name}", "page": CALIBRATION, "read": "calibration",
                          "axe": name == "ordinary", "steps": calibration_steps(data, folder, name)})
    for name, bad in bad_calibrations().items():
        scenarios.append({"id": f"calibration-bad-{name}", "page": CALIBRATION, "read": "calibration",
                          "axe": name == "cells", "steps": calibration_steps(bad, folder, f"bad-{name}", bad.get("scale"))})
    scenarios.append({"id": "calibration-example", "page": CALIBRATION, "read": "examples",
                      "steps": [{"action": "click", "selector": "#cal-example", "waitFor": "#calibration-tool"}]})
    scenarios.append({"id": "format", "page": CALIBRATION, "read": "format", "args": FORMAT_CASES})
    for name, row in FORM_CONVERSATIONS.items():
        scenarios.append({"id": name, "page": PLANNING, "read": "planning", "axe": name == "form-chapter-example",
                          "steps": form_steps(row)})
    for name, (row, _, _) in BAD_FORMS.items():
        scenarios.append({"id": f"form-bad-{name}", "page": PLANNING, "read": "planning", "steps": form_steps(row)})
    batches = {"ordinary": conversations_csv(ordinary_conversations()),
               "tied": conversations_csv(tied_conversations(), yes="TRUE", no="0", goal_case=str.capitalize)}
    for name, text in batches.items():
        path = folder / f"conversations-{name}.csv"
        path.write_text(text, encoding="utf-8")
        scenarios.append({"id": f"batch-{name}", "page": PLANNING, "read": "batch", "axe": name == "ordinary",
                          "steps": [{"action": "upload", "selector": "#plan-batch-file", "file": str(path),
                                     "waitFor": "#planning-batch"}]})
    for name, (text, _, _) in bad_batches().items():
        path = folder / f"conversations-bad-{name}.csv"
        path.write_text(text, encoding="utf-8")
        scenarios.append({"id": f"batch-bad-{name}", "page": PLANNING, "read": "batch",
                          "steps": [{"action": "upload", "selector": "#plan-batch-file", "file": str(path),
                                     "waitFor": "#planning-batch"}]})
    scenarios.append({"id": "planning-example", "page": PLANNING, "read": "examples",
                      "steps": [{"action": "click", "selector": "#plan-batch-example", "waitFor": "#planning-batch"}]})
    return scenarios


# --- Fixtures ---------------------------------------------------------------------------------------

def run_tools_pass(html: Path) -> dict:
    """Drive both pages of the built book (``html``, or ``COACHBOOK_TOOLS_HTML`` when set) through
    every scenario with tests/browser/trainer_tools.mjs; the report, by scenario id. Run in the
    background as soon as the book is built (tests/conftest.py, ``BOOK_STEPS``)."""
    html = Path(os.environ.get("COACHBOOK_TOOLS_HTML") or html)
    chromium, node = browser_tools()
    folder = Path(tempfile.mkdtemp(prefix="trainer-tools-"))
    try:
        scenarios = build_scenarios(folder)
        config = folder / "config.json"
        config.write_text(json.dumps({"root": str(html), "chromium": chromium, "axeAllowlist": AXE_ALLOWLIST,
                                      "scenarios": scenarios}), encoding="utf-8")
        run = run_process([node, str(BROWSER_DIR / "trainer_tools.mjs"), str(config)], cwd=BROWSER_DIR,
                          timeout=600)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if run.returncode != 0:
        pytest.fail(f"tests/browser/trainer_tools.mjs failed (exit {run.returncode}):\n{run.stderr[-4000:]}")
    report = json.loads(run.stdout)
    return {"root": report["root"], **{result["id"]: result for result in report["results"]}}


BOOK_STEPS = {"tools_report": run_tools_pass}


@pytest.fixture(scope="module")
def tools_report(built_book: Path) -> dict:
    return book_work("tools_report", lambda: run_tools_pass(built_book))


def scenario(report: dict, name: str) -> dict:
    result = report[name]
    assert result["error"] is None, f"{name}: the browser run stopped:\n{result['error']}"
    return result["output"]


# --- Calibration ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, data", [("ordinary", ordinary_calibration), ("tied", tied_calibration)])
def test_calibration_report_shows_the_package_numbers(tools_report, name, data):
    output = scenario(tools_report, f"calibration-{name}")
    assert output["state"] == "results" and output["resultsShown"], output["problems"]
    assert output["problems"] == []
    expected = expected_calibration(data())
    wrong = calibration_mismatches(output, expected)
    assert not wrong, f"{name}: numbers that differ from the package's:\n" + "\n".join(wrong)


@pytest.mark.parametrize("name, data", [("ordinary", ordinary_calibration), ("tied", tied_calibration)])
def test_drift_chart_draws_the_mean_differences(tools_report, name, data):
    output = scenario(tools_report, f"calibration-{name}")
    expected = expected_calibration(data())
    wrong = chart_mismatches(output, expected)
    assert not wrong, f"{name}:\n" + "\n".join(wrong)
    title, description = output["chartName"]
    assert "trainee minus master" in title
    for item in expected["items"]:
        assert item in description


def test_tied_data_set_covers_what_it_claims():
    """The hand-made data set really has ties, a score point used once, an undefined kappa and a
    mean difference at the tolerance (else the test above would check less than it says)."""
    expected = expected_calibration(tied_calibration())
    rows = expected["rows"]
    assert rows["tied_a"] == rows["tied_b"] == rows["Linking (rich)"]
    assert math.isnan(rows["constant"]["linear_kappa"]) and math.isnan(rows["constant"]["quadratic_kappa"])
    assert rows["boundary"]["mean_difference"] == 0.15 and rows["boundary"]["tendency"] == "in line"
    assert rows["harsh"]["tendency"] == "scores lower" and rows["tied_a"]["tendency"] != "in line"
    master = tied_calibration()["master"]
    assert (master["rare"] == 4).sum() == 1 and (tied_calibration()["trainee"]["rare"] == 1).sum() == 1


def test_downloaded_report_keeps_the_package_numbers(tools_report):
    output = scenario(tools_report, "calibration-ordinary")
    assert output["download"]["name"] == "calibration-report.csv"
    frame = pd.read_csv(io.StringIO(output["download"]["text"]), keep_default_na=False, na_values=[""])
    expected = expected_calibration(ordinary_calibration())
    assert list(frame["item"]) == expected["items"] + ["all items"]
    for _, row in frame.iterrows():
        numbers = expected["rows"][row["item"]]
        assert row["n"] == numbers["n"] and row["tendency"] == numbers["tendency"]
        for column, key, scale in [("exact", "exact", 100), ("adjacent", "adjacent", 100),
                                   ("mean_difference", "mean_difference", 1), ("linear_kappa", "linear_kappa", 1),
                                   ("linear_ci_low", "linear_low", 1), ("linear_ci_high", "linear_high", 1),
                                   ("quadratic_kappa", "quadratic_kappa", 1), ("quadratic_ci_low", "quadratic_low", 1),
                                   ("quadratic_ci_high", "quadratic_high", 1)]:
            assert close(scale * row[column], numbers[key]), (row["item"], column, row[column], numbers[key])


@pytest.mark.parametrize("name", list(bad_calibrations()))
def test_bad_calibration_input_says_what_to_fix(tools_report, name):
    bad = bad_calibrations()[name]
    output = scenario(tools_report, f"calibration-bad-{name}")
    assert output["state"] == "problems" and not output["resultsShown"] and output["rows"] == []
    kinds = {problem["kind"] for problem in output["problems"]}
    assert bad["kinds"] <= kinds, (kinds, output["problems"])
    text = " ".join(problem["text"] for problem in output["problems"])
    missing = [mention for mention in bad["mentions"] if mention not in text]
    assert not missing, f"the messages do not name {missing}:\n{text}"


def test_page_example_is_the_shipped_example(tools_report):
    output = scenario(tools_report, "calibration-example")
    master = (TOOLS / "example-master.csv").read_text(encoding="utf-8")
    trainee = (TOOLS / "example-trainee.csv").read_text(encoding="utf-8")
    assert output["textareas"]["cal-master-text"] == master
    assert output["textareas"]["cal-trainee-text"] == trainee
    blocks = [block.strip() for block in output["codeBlocks"]]
    assert master.strip() in blocks and trainee.strip() in blocks
    assert len(output["downloads"]) >= 2


def test_numbers_are_rounded_as_python_rounds_them(tools_report):
    output = scenario(tools_report, "format")
    for (value, digits), (plain, signed) in zip(FORMAT_CASES, output):
        assert plain == fmt(value, digits), (value, digits, plain)
        assert signed == fmt(value, digits, sign=True), (value, digits, signed)


# --- The planning self-check -----------------------------------------------------------------------

@pytest.mark.parametrize("name", list(FORM_CONVERSATIONS))
def test_self_check_form_shows_the_package_scores(tools_report, name):
    output = scenario(tools_report, name)
    assert output["state"] == "results" and output["resultsShown"] and output["problems"] == []
    wrong = planning_mismatches(output, FORM_CONVERSATIONS[name])
    assert not wrong, f"{name}:\n" + "\n".join(wrong)


def test_form_conversations_cover_ties_and_the_top():
    steps = [expected_conversation(row)["steps"] for row in FORM_CONVERSATIONS.values()]
    assert any(len({s["gain"] for s in found}) < len(found) for found in steps), "no tie among the next steps"
    assert any(not found for found in steps), "no conversation at the top of every item"


@pytest.mark.parametrize("name, rows", [("ordinary", ordinary_conversations), ("tied", tied_conversations)])
def test_uploaded_conversations_show_the_package_scores(tools_report, name, rows):
    output = scenario(tools_report, f"batch-{name}")
    assert output["state"] == "results" and output["resultsShown"] and output["problems"] == [], output["problems"]
    wrong = batch_mismatches(output, rows())
    assert not wrong, f"{name}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("name", list(BAD_FORMS))
def test_bad_form_answers_say_what_to_fix(tools_report, name):
    row, kind, mentions = BAD_FORMS[name]
    output = scenario(tools_report, f"form-bad-{name}")
    assert output["state"] == "problems" and not output["resultsShown"]
    assert kind in {problem["kind"] for problem in output["problems"]}, output["problems"]
    text = " ".join(problem["text"] for problem in output["problems"])
    assert all(mention in text for mention in mentions), (mentions, text)
    answers = {field: row[field] for field in FIELDS}
    with pytest.raises(ValueError):  # the package refuses the same answers
        package("score_planning_conversation")(**answers)


@pytest.mark.parametrize("name", list(bad_batches()))
def test_bad_conversation_files_say_what_to_fix(tools_report, name):
    _, kinds, mentions = bad_batches()[name]
    output = scenario(tools_report, f"batch-bad-{name}")
    assert output["state"] == "problems" and not output["resultsShown"] and output["rows"] == []
    assert kinds <= {problem["kind"] for problem in output["problems"]}, output["problems"]
    text = " ".join(problem["text"] for problem in output["problems"])
    assert all(mention in text for mention in mentions), (mentions, text)


def test_planning_example_is_the_shipped_example(tools_report):
    output = scenario(tools_report, "planning-example")
    shipped = (TOOLS / "example-conversations.csv").read_text(encoding="utf-8")
    assert output["textareas"]["plan-batch-text"] == shipped
    assert shipped.strip() in [block.strip() for block in output["codeBlocks"]]
    first = pd.read_csv(io.StringIO(shipped)).iloc[0]
    assert {"grade_appropriate": first["grade_appropriate"] == "yes", "paths_discussed": int(first["paths_discussed"]),
            "paths_in_depth": int(first["paths_in_depth"]), "questions_named": int(first["questions_named"]),
            "questions_in_depth": first["questions_in_depth"] == "yes", "goal": first["goal"]} == CHAPTER_EXAMPLE


# --- Both pages: offline, quiet, accessible ---------------------------------------------------------

def _scenario_ids() -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        return [s["id"] for s in build_scenarios(Path(folder))]


@pytest.mark.parametrize("name", _scenario_ids())
def test_pages_request_nothing_outside_the_book(tools_report, name):
    result = tools_report[name]
    assert result["error"] is None, result["error"]
    root = tools_report["root"]
    outside = [url for url in result["requests"] if not url.startswith((root, "data:", "blob:"))]
    assert result["external"] == [] and outside == [], f"{name} asked for addresses outside the book: {outside}"
    assert any(url.endswith(f"{result['page']}.html") for url in result["requests"])


@pytest.mark.parametrize("name", _scenario_ids())
def test_pages_log_no_error(tools_report, name):
    result = tools_report[name]
    errors = [m["text"] for m in result["console"] if m["type"] == "error"] + result["pageErrors"]
    assert not errors, f"{name}:\n" + "\n".join(errors)


@pytest.mark.parametrize("name", ["calibration-ordinary", "calibration-bad-cells", "form-chapter-example",
                                  "batch-ordinary"])
def test_tools_have_no_serious_accessibility_violation(tools_report, name):
    result = tools_report[name]
    found = [f"{violation['id']}: {node['target']} {node['html'][:200]}"
             for violation in result["axe"] for node in violation["nodes"]
             if (node["impact"] or violation["impact"]) in {"serious", "critical"} and not node["allowlisted"]]
    assert not found, f"{name}: axe-core violations with the tool's output shown:\n" + "\n".join(found)
