"""The precision policy: numbers leave the package for the page rounded, so the
stored notebook outputs are the same on every machine."""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coachbook.book import SIGNIFICANT_DIGITS, glue, round_frame, round_sig, round_table
from coachbook.book.notebooks import chapter_notebooks
from conftest import ROOT


# --- round_sig, round_frame, round_table --------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    (14891.517083, 14891.5), (0.000123456789, 0.000123457), (7.855969840172288, 7.85597),
    (224.99999999999997, 225.0), (-0.0, 0.0), (-1e-20, -1e-20), (3, 3.0), (1234567, 1234567.0),
    (1234567.4, 1234570.0), (float("inf"), float("inf")), (np.float64(0.5), 0.5),
])
def test_round_sig(value, expected):
    result = round_sig(value)
    assert type(result) is float and result == expected
    assert math.copysign(1, result) == math.copysign(1, expected)


def test_round_sig_absorbs_noise_in_the_last_digits():
    values = np.array([0.08870684422990156, 0.3549598144860129, 103.46951829388975, 14891.51724])
    noisy = values * (1 + 3e-15)
    assert np.array_equal(round_sig(values), round_sig(noisy))


def test_round_sig_is_idempotent():
    values = np.random.default_rng(1).lognormal(0, 5, 1000)
    once = round_sig(values)
    assert np.array_equal(once, round_sig(once))


@pytest.mark.parametrize("bad", ["0.5", None, True, [1.0], {"a": 1}])
def test_round_sig_refuses_what_is_not_a_number(bad):
    with pytest.raises(ValueError, match="real number|whole number"):
        round_sig(bad) if not isinstance(bad, list) else round_sig(0.5, digits=bad)


@pytest.mark.parametrize("digits", [0, 16, 2.5, True])
def test_round_sig_refuses_impossible_digits(digits):
    with pytest.raises(ValueError, match="digits must be a whole number from 1 to 15"):
        round_sig(1.0, digits)


def test_round_frame_rounds_float_columns_only():
    frame = pd.DataFrame({"x": [0.123456789, -0.0], "n": [1, 2], "label": ["a", "b"]})
    out = round_frame(frame)
    assert out["x"].tolist() == [0.123457, 0.0] and out["n"].tolist() == [1, 2]
    assert out["label"].tolist() == ["a", "b"] and frame["x"].iloc[0] == 0.123456789  # no mutation
    with pytest.raises(ValueError, match="takes a DataFrame"):
        round_frame([1.0])


def test_round_table_uses_significant_digits_for_large_quantities():
    table = pd.DataFrame({"df": [14891.51708, 98.0], "estimate": [0.1234567, -0.0001], "n": [3, 4]})
    out = round_table(table, decimals=3)
    assert out["df"].tolist() == [14891.5, 98.0]
    assert out["estimate"].tolist() == [0.123, 0.0]
    assert math.copysign(1, out["estimate"].iloc[1]) == 1.0, "negative zero shown"
    assert out["n"].tolist() == [3, 4]
    assert round_table(table["df"], decimals=2).tolist() == [14891.5, 98.0]
    with pytest.raises(ValueError, match="decimals must be"):
        round_table(table, decimals=-1)
    with pytest.raises(ValueError, match="DataFrame or Series"):
        round_table([1.0])


# --- glue ---------------------------------------------------------------------------------

@pytest.fixture
def glued(monkeypatch):
    stored = {}
    import myst_nb

    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display=True: stored.__setitem__(name, value))
    return stored


def test_glue_stores_numbers_rounded_and_strings_as_they_are(glued):
    glue("x", np.float64(0.08870684422990156))
    glue("n", np.int64(142))
    glue("label", "Table 7")
    assert glued == {"x": 0.0887068, "n": 142.0, "label": "Table 7"}
    assert type(glued["x"]) is float and type(glued["n"]) is float


@pytest.mark.parametrize("name, value, message", [
    ("", 1.0, "non-empty name"), ("x", float("nan"), "got NaN"), ("x", [1.0], "one number or string"),
    ("x", pd.Series([1.0]), "one number or string"), ("x", None, "number or a string"),
    ("x", True, "number or a string"),
])
def test_glue_refuses_bad_values(glued, name, value, message):
    with pytest.raises(ValueError, match=message):
        glue(name, value)


def test_glue_never_displays(glued):
    with pytest.raises(ValueError, match="prose only"):
        glue("x", 1.0, display=True)


# --- every notebook: stored glue values are rounded, and no prose format asks for more -----

GLUE_ROLE = re.compile(r"\{glue:text\}`([^`:]+?)(?::([^`]*))?`")
FORMAT = re.compile(r"^[<>^=]?[+\- ]?,?(?:\.(\d+))?([eEfFgG%])?$")


def _glue_records(notebook: dict) -> dict[str, str]:
    records = {}
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            scrap = output.get("metadata", {}).get("scrapbook")
            if scrap:
                data = output.get("data", {})
                if any(key.endswith("text/html") for key in data):
                    continue    # a glued table (ReplicationTable.glue), not a number
                text = data.get("application/papermill.record/text/plain", data.get("text/plain", ""))
                records[scrap["name"]] = "".join(text) if isinstance(text, list) else text
    return records


def _decimals_available(value: float) -> float:
    """Decimal places that a value rounded to SIGNIFICANT_DIGITS carries (whole numbers: all)."""
    if value == 0 or float(value).is_integer():
        return math.inf
    return SIGNIFICANT_DIGITS - 1 - math.floor(math.log10(abs(value)))


def _decimals_asked(spec: str) -> tuple[float, float] | None:
    """(decimal places, significant digits) that a format spec asks for."""
    match = FORMAT.match(spec.strip())
    assert match, f"unrecognized glue format {spec!r}"
    precision = int(match.group(1)) if match.group(1) is not None else 6
    kind = match.group(2) or "g"
    if kind in "fF":
        return precision, 0
    if kind == "%":
        return precision + 2, 0
    if kind in "eE":
        return 0, precision + 1
    return 0, max(precision, 1)


NOTEBOOKS = chapter_notebooks()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_glued_number_is_stored_rounded(path: Path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for name, text in _glue_records(notebook).items():
        if text.startswith(("'", '"')):
            continue
        value = float(text)
        assert value == round_sig(value), (
            f"{path.name}: glue {name!r} is stored as {text}, not rounded to {SIGNIFICANT_DIGITS} significant "
            "digits; glue numbers with coachbook.book.glue")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_glue_format_asks_for_more_digits_than_are_stored(path: Path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    records = _glue_records(notebook)
    prose = "\n".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "markdown")
    uses = GLUE_ROLE.findall(prose)
    problems = []
    for name, spec in uses:
        assert "::" not in name, f"{path.name}: cross-notebook glue {name!r}; glue it in this chapter"
        assert name in records, f"{path.name}: {{glue:text}}`{name}` is used but never glued"
        text = records[name]
        if text.startswith(("'", '"')) or not spec:
            continue
        value = float(text)
        decimals, significant = _decimals_asked(spec)
        if decimals > _decimals_available(value) or significant > SIGNIFICANT_DIGITS:
            problems.append(f"{name}={text} shown as :{spec}")
    assert not problems, f"{path.name}: formats ask for digits beyond the stored precision: {problems}"


def test_the_format_check_can_fail():
    assert _decimals_asked(".2f") == (2, 0) and _decimals_asked(".1%") == (3, 0)
    assert _decimals_available(14891.5) == 1 and _decimals_available(0.0887068) == 7
    assert _decimals_asked(".2f")[0] > _decimals_available(14891.5)
