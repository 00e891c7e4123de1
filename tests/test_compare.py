"""coachbook.book.compare: one published-number lookup, one published-vs-replicated table."""
import numpy as np
import pandas as pd
import pytest

from coachbook.book import published
from coachbook.book import GAP_COLUMNS, compare, published_number

KH, RU = "kraft_hill_2019", "russell_2020"
T6 = ("Table 6", "Panel B: Follow-up Year")


def test_published_number_reads_the_transcribed_csv():
    numbers = published.load(KH)
    row = numbers[(numbers["table"] == "Table 6") & (numbers["panel"] == T6[1])
                  & (numbers["row"] == "MQI Richness") & (numbers["column"] == "Controls")].iloc[0]
    assert published_number(KH, "MQI Richness", "Controls", *T6) == float(row["estimate"])
    assert published_number(KH, "Coaches", "count") == published.estimate(KH, "Text", "Coaches", "count")


@pytest.mark.parametrize("call, message", [
    (lambda: published_number("kraft_2019", "Coaches", "count"), "unknown paper"),
    (lambda: published_number(KH, "No such row", "count"), "no number at"),
    (lambda: published_number(KH, "Coaches", 3), "column must be a string"),
])
def test_published_number_errors_say_what_to_fix(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_compare_matches_side_by_side_and_fills_text_defaults():
    value = published_number(KH, "Coaches", "count")
    out = compare(KH, [dict(row="Coaches", column="count", estimate=value + 2)])
    direct = published.side_by_side(KH, pd.DataFrame(
        [dict(table="Text", panel="", row="Coaches", column="count", estimate=value + 2)]))
    pd.testing.assert_frame_equal(out, direct)
    assert out["gap"].iloc[0] == 2


def test_compare_tuples_with_keys_and_columns():
    beta = published_number(RU, "Composite", "beta10", panel="RQ1 growth models")
    out = compare(RU, [("RQ1 growth models", "Composite", "beta10", beta - 0.01)],
                  keys=("panel", "row", "column"), columns=GAP_COLUMNS, digits=2)
    assert list(out.columns) == GAP_COLUMNS
    assert out["gap"].iloc[0] == pytest.approx(-0.01)


def test_compare_dataframe_with_se_gives_gap_in_se():
    number = published.lookup(KH, "Table 6", "MQI Richness", "Controls", T6[1])
    rows = pd.DataFrame([dict(table=T6[0], panel=T6[1], row="MQI Richness", column="Controls",
                              estimate=number["estimate"] + number["se"], se=number["se"])])
    out = compare(KH, rows)
    assert out["gap_in_se"].iloc[0] == pytest.approx(1.0)
    assert out["replicated_se"].iloc[0] == pytest.approx(number["se"])


def test_compare_by_year_shortens_panel_and_drops_table():
    rows = [dict(table="Table 6", panel=panel, row="MQI Richness", column="Controls", estimate=0.5)
            for panel in ["Panel B: Follow-up Year"]]
    rows += [dict(table="Table 6", panel="Panel A: Implementation Year", row="Ambitious Instruction",
                  column="Controls", estimate=0.2)]
    out = compare(KH, rows, by_year=True)
    assert "table" not in out and "panel" not in out
    assert list(out["year"]) == ["Follow-up", "Implementation"]


def test_compare_by_year_on_text_rows_drops_only_table():
    out = compare(KH, [dict(row="Coaches", column="count", estimate=19)], by_year=True)
    assert "table" not in out and "year" not in out and "row" in out


@pytest.mark.parametrize("rows, kwargs, message", [
    ([], {}, "empty"),
    ({"row": "Coaches"}, {}, "DataFrame or a list of dicts"),
    ([("Coaches", "count", 19)], {}, "not a dict"),
    ([("Coaches", "count")], {"keys": ("row", "column")}, "does not hold 3 values"),
    ([("Coaches", "count", 19)], {"keys": ("rows", "column")}, "not key columns"),
    ([dict(row="Coaches", estimate=19)], {}, r"lack \['column'\]"),
    ([dict(row="Coaches", column="count", estimate=19)], {"columns": ["nope"]}, "not in the comparison"),
    ([dict(row="Coaches", column="count", estimate=19)], {"digits": -1}, "digits"),
    ([dict(row="No such row", column="count", estimate=19)], {}, "no published twin"),
])
def test_compare_errors_say_what_to_fix(rows, kwargs, message):
    with pytest.raises(ValueError, match=message):
        compare(KH, rows, **kwargs)


def test_compare_by_year_refuses_panels_without_a_year():
    rows = [dict(table="Text", panel="Participants", row="Coaches selected", column="count", estimate=13)]
    with pytest.raises(ValueError, match="names no study year"):
        compare(RU, rows, by_year=True)
    assert np.isfinite(compare(RU, rows)["gap"].iloc[0])
