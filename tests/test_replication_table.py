"""The reader's published-vs-replicated table (coachbook.book.replication)."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from coachbook.book.replication import format_number, format_p, replication_table, verdict


def comparison(**overrides) -> pd.DataFrame:
    frame = pd.DataFrame({
        "table": ["Table 5", "Table 5", "Table 5"],
        "panel": ["Panel A", "Panel A", "Panel B"],
        "row": ["MQI language", "Critique", "Change"],
        "column": ["Unconditional"] * 3,
        "published": [0.47, -0.05, 0.2],
        "published_se": [0.12, 0.1, 0.08],
        "stars": ["***", "", "*"],
        "replicated": [0.4799, -0.0004, 0.4],
        "replicated_se": [0.118, 0.101, 0.081],
    })
    frame["gap"] = frame["replicated"] - frame["published"]
    frame["gap_in_se"] = frame["gap"] / frame["published_se"]
    return frame.assign(**overrides)


def test_verdict_follows_the_tolerances_in_published_standard_errors():
    assert verdict(0.025, 0.5, 0.1) == "agrees"      # 0.25 SE: the boundary agrees
    assert verdict(0.026, 0.5, 0.1) == "close"
    assert verdict(-0.1, 0.5, 0.1) == "close"        # 1 SE: the boundary is close
    assert verdict(0.11, 0.5, 0.1) == "differs"


def test_verdict_without_a_published_se_is_relative_and_exact_at_zero():
    assert verdict(2, 10, None) == "agrees"           # 20%
    assert verdict(4, 10, np.nan) == "close"          # 40%
    assert verdict(6, 10, None) == "differs"
    assert verdict(0, 0, None) == "agrees" and verdict(0.01, 0, None) == "differs"
    assert verdict(np.nan, 1, 0.1) == "no published number"


def test_numbers_are_shown_at_the_published_precision_without_negative_zeros():
    table = replication_table(comparison())
    assert list(table.frame["Published (SE)"]) == ["0.47*** (0.12)", "-0.05 (0.10)", "0.20* (0.08)"]
    # -0.0004 at two decimals is 0.00, not -0.00
    assert list(table.frame["Replicated (SE)"]) == ["0.48 (0.12)", "0.00 (0.10)", "0.40 (0.08)"]
    assert format_number(-0.0004, 3) == "0.000" and format_number(-0.0006, 3) == "-0.001"
    assert list(table.frame["Verdict"]) == ["agrees", "close", "differs"]


def test_p_values_and_counts_are_printed_as_a_reader_expects():
    frame = pd.DataFrame({"row": ["Joint F-test", "Teachers"], "column": ["p-value", "count"],
                          "published": [0.0004, 142.0], "replicated": [0.31, 142.0]})
    frame["gap"] = frame["replicated"] - frame["published"]
    table = replication_table(frame)
    assert list(table.frame["Published"]) == ["< .001", "142"]
    assert list(table.frame["Replicated"]) == [".310", "142"]
    assert format_p(0.0499) == ".050" and format_p(1.0) == "1.000"
    with pytest.raises(ValueError, match=r"p-value must lie in \[0, 1\]"):
        format_p(1.5)


def test_html_groups_rows_labels_every_cell_and_offers_the_csv():
    table = replication_table(comparison(), labels={"Critique": "Critique of own clip"}, title="Table 5")
    page = table._repr_html_()
    assert page.count('class="cb-group"') == 2                  # Panel A, then Panel B
    assert "Critique of own clip" in page and "<caption>Table 5</caption>" in page
    assert 'td:nth-child(5)::before{content:"Verdict: "' in page  # the stacked layout's labels
    assert "cb-differs" in page and ">differs<" in page         # a word, not colour alone
    assert "@media (max-width:600px)" in page and "@media print" in page
    assert 'download="replication.csv"' in page
    assert "<th>0</th>" not in page and "Unnamed" not in page   # no index column
    csv = pd.read_csv(io.StringIO(table.csv()))
    assert len(csv) == 3 and csv.loc[2, "replicated"] == pytest.approx(0.4)


def test_long_tables_show_a_summary_first_and_fold_the_rest():
    rows = comparison()
    long = pd.concat([rows] * 12, ignore_index=True)              # 36 rows > 30
    table = replication_table(long)
    assert table.summary
    page = table._repr_html_()
    assert "<details><summary>All 36 numbers</summary>" in page
    text = repr(table)
    assert "Verdicts: 12 agrees, 12 close, 12 differs" in text
    assert "The 8 numbers that differ most (full table: 36 rows)" in text
    assert replication_table(long, summary=False).summary is False


def test_single_column_tables_name_the_number_by_its_row():
    table = replication_table(comparison())
    assert list(table.frame["Number"]) == ["MQI language", "Critique", "Change"]
    two = comparison(column=["Unconditional", "Controls", "Controls"])
    assert replication_table(two).frame["Number"].iloc[1] == "Critique, Controls"


def test_replicated_p_values_can_be_added():
    table = replication_table(comparison(), p_value=pd.Series([0.0001, 0.97, 0.02]))
    assert list(table.frame["Replicated p"]) == ["< .001", ".970", ".020"]


@pytest.mark.parametrize("bad, message", [
    ("not a frame", "must be a DataFrame"),
    (pd.DataFrame({"row": ["a"], "column": ["b"], "published": [1.0]}), r"lacks the columns \['replicated', 'gap'\]"),
    (comparison().iloc[:0], "has no rows"),
])
def test_bad_input_is_refused_with_a_message(bad, message):
    with pytest.raises(ValueError, match=message):
        replication_table(bad)


def test_misaligned_p_values_are_refused():
    with pytest.raises(ValueError, match="p_value has 2 values for 3 rows"):
        replication_table(comparison(), p_value=pd.Series([0.1, 0.2]))


def test_printed_decimals_steer_each_cell_and_the_replicated_twin():
    # 0.120 was printed with three decimals, its SE 0.05 with two: the float cannot tell
    frame = comparison().iloc[:2].assign(published=[0.12, -0.05], published_se=[0.05, 0.1],
                                         published_decimals=[3, 2], published_se_decimals=[2, 3],
                                         replicated=[0.1204, -0.0512], replicated_se=[0.0512, 0.0987])
    frame["gap"] = frame["replicated"] - frame["published"]
    frame["gap_in_se"] = frame["gap"] / frame["published_se"]
    table = replication_table(frame)
    assert list(table.frame["Published (SE)"]) == ["0.120*** (0.05)", "-0.05 (0.100)"]
    assert list(table.frame["Replicated (SE)"]) == ["0.120 (0.05)", "-0.05 (0.099)"]
    assert "published_decimals" not in table.csv()


def test_counts_printed_as_integers_stay_integers():
    frame = pd.DataFrame({"row": ["Teachers"], "column": ["N"], "published": [142.0],
                          "published_decimals": [0.0], "replicated": [141.0]})
    frame["gap"] = frame["replicated"] - frame["published"]
    assert replication_table(frame).frame["Replicated"].iloc[0] == "141"


def test_origin_is_marked_on_every_row_where_known_with_a_legend():
    table = replication_table(comparison(origin=["built in", "emergent", ""]))
    assert list(table.frame["Origin"]) == ["built in", "emergent", ""]
    page = table._repr_html_()
    assert page.count('class="cb-origin') == 2                   # the unknown row has no marker
    assert ">built in</span>" in page and ">emergent</span>" in page
    assert "tests only their consistency, not the method" in page   # the legend, once
    assert "Origin: built in:" in repr(table)
    assert "Verdicts: 1 agrees, 1 close, 1 differs; built in: 1 agrees; emergent: 1 close" in repr(table)
    assert "; built in: 1 agrees; emergent: 1 close.</p>" in page
    by_origin = table.counts_by_origin()
    assert by_origin.loc["built in", "agrees"] == 1 and by_origin.loc["unknown", "differs"] == 1


def test_without_origin_there_is_no_marker_and_no_legend():
    table = replication_table(comparison())
    assert not table.has_origin and "Origin" not in table.frame
    assert "cb-origin" not in table._repr_html_().split("</style>")[1]
    assert "cb-legend" not in table._repr_html_().split("</style>")[1]
    assert list(table.counts_by_origin().index) == ["unknown"]


def test_an_unknown_origin_is_refused():
    with pytest.raises(ValueError, match="origin must be 'built in', 'emergent' or blank"):
        replication_table(comparison(origin=["tuned", "", ""]))


def test_rows_are_grouped_by_study_year_from_compare_by_year():
    frame = comparison().drop(columns=["table", "panel"]).assign(year=["Implementation"] * 2 + ["Follow-up"])
    page = replication_table(frame)._repr_html_()
    assert page.count('class="cb-group"') == 2 and ">Follow-up</th>" in page


def test_the_csv_is_rounded_to_six_significant_digits():
    frame = comparison(replicated=[0.479912345678, -0.0004, 0.4])
    csv = pd.read_csv(io.StringIO(replication_table(frame).csv()))
    assert csv.loc[0, "replicated"] == 0.479912


def test_misses_of_the_printed_digit_are_counted():
    table = replication_table(comparison())       # 0.47 -> 0.48 misses, -0.05 -> 0.00 misses, 0.20 -> 0.40
    assert list(table.off_the_printed_digit()) == [True, True, True]
    same = replication_table(comparison(replicated=[0.4712, -0.0451, 0.2049]))
    assert not same.off_the_printed_digit().any()


def test_a_number_without_se_that_rounds_to_the_printed_one_agrees():
    assert verdict(0.004, 0.0, None, decimals=2) == "agrees"       # 0.004 shows as the printed 0.00
    assert verdict(0.006, 0.0, None, decimals=2) == "differs"
    assert verdict(0.004, 0.01, None, decimals=2) == "agrees"      # 40% off, but prints as 0.01
    assert verdict(0.006, 0.01, None, decimals=2) == "differs"     # prints as 0.02


def test_p_values_are_judged_by_the_side_of_05_first():
    assert verdict(-0.119, 0.12, None, p_value=True) == "differs"    # .120 against < .001
    assert verdict(0.053, 0.04, None, p_value=True) == "differs"     # .040 against .093
    assert verdict(-0.005, 0.01, None, p_value=True) == "agrees"
    assert verdict(0.177, 0.62, None, p_value=True) == "close"       # same side, 29% apart
    assert verdict(0.04, 0.62, None, p_value=True) == "agrees"


def test_large_numbers_get_thousands_separators():
    assert format_number(233000.0, 0) == "233,000" and format_number(4673, 0) == "4673"
    assert format_number(-0.0001, 2) == "0.00"


def test_extra_columns_are_shown_as_given_and_checked():
    frame = comparison(videos=[62, 65, 55], interval=["0.61 to 0.80", "", "0.10 to 0.20"])
    table = replication_table(frame, extra=["videos", "interval"])
    assert list(table.frame["videos"]) == ["62", "65", "55"]
    assert table.frame["interval"].iloc[0] == "0.61 to 0.80"
    assert list(table.frame.columns).index("interval") < list(table.frame.columns).index("Verdict")
    with pytest.raises(ValueError, match="not in the comparison"):
        replication_table(frame, extra=["nope"])
    with pytest.raises(ValueError, match="as a list"):
        replication_table(frame, extra="videos")


def test_a_column_that_names_no_quantity_is_left_out_of_the_label():
    frame = comparison(column=["count", "percent", "Controls"])
    assert list(replication_table(frame).frame["Number"]) == ["MQI language", "Critique, percent",
                                                               "Change, Controls"]
