"""How many published cells the book replicates within tolerance (coachbook.book.tolerance).

The count is taken from the comparison tables the chapters store (each table's rows under
``tolerance.MIME``), so it covers exactly what a reader is shown; the run prints it per paper,
with the cells outside tolerance, at the end of ``make test``.
"""
from __future__ import annotations

import pytest

from coachbook.book import tolerance
from conftest import ROOT, SESSION_REPORTS

CHAPTERS = sorted((ROOT / "chapters").glob("*/*.ipynb"))


@pytest.mark.parametrize("row, within, why", [
    ({"published": 0.30, "published_se": 0.10, "replicated": 0.32, "replicated_se": 0.11}, True, ""),
    ({"published": 0.30, "published_se": 0.10, "replicated": 0.33, "replicated_se": 0.11}, False, "0.30 SE"),
    ({"published": 0.30, "published_se": 0.10, "replicated": 0.30, "replicated_se": 0.13}, False, "SE 30%"),
    ({"published": 1.19, "replicated": 1.21, "column": "beta10"}, True, ""),
    ({"published": 1.19, "replicated": 1.50, "column": "beta10"}, False, "26% off"),
    ({"published": 0.055, "replicated": 0.052, "column": "p"}, True, ""),
    ({"published": 0.055, "replicated": 0.04, "column": "p-value"}, False, "other side of .05"),
    ({"published": 142.0, "replicated": 142.0, "column": "n (teachers)"}, True, ""),
    ({"published": 142.0, "replicated": 141.0, "column": "n (teachers)"}, False, "count differs"),
    ({"published": 0.0, "replicated": 0.004, "column": "percent"}, True, ""),
    # a percentage of teachers is not a count, even when its label names teachers
    ({"published": 93.0, "replicated": 92.6, "row": "Lesson videos", "column": "percent"}, True, ""),
    ({"published": 16.0, "replicated": 15.79, "row": "planned with other teachers",
      "column": "Never"}, True, ""),
    ({"published": 16.0, "replicated": 11.5, "row": "planned with other teachers",
      "column": "Never"}, False, "28% off"),
    # an expected count from arithmetic is an estimate; a whole number of teachers is a count
    ({"published": 7.0, "replicated": 7.632, "row": "Teachers retained", "column": "count"}, True, ""),
    ({"published": 7.0, "replicated": 8.0, "row": "Teachers retained", "column": "count"},
     False, "count differs"),
    ({"published": 1.0, "column": "x"}, False, "no replicated number"),
])
def test_within_tolerance_follows_the_issue_rules(row, within, why):
    ok, reason = tolerance.within_tolerance(row)
    assert ok is within and why in reason


def test_report_counts_each_cell_once_by_its_worst_replication():
    rows = [{"paper": "p", "table": "T", "row": "a", "column": "x", "published": 1.0, "replicated": 1.0,
             "chapter": "one"},
            {"paper": "p", "table": "T", "row": "a", "column": "x", "published": 1.0, "replicated": 2.0,
             "chapter": "two"},
            {"paper": "p", "table": "T", "row": "b", "column": "x", "published": 1.0, "replicated": 1.1,
             "chapter": "one"}]
    counts, outside = tolerance.tolerance_report(rows)
    assert counts.loc["p", "cells"] == 2 and counts.loc["p", "within"] == 1
    assert list(outside["chapter"]) == ["two"]


def test_report_without_rows_says_what_to_do():
    with pytest.raises(ValueError, match="make execute"):
        tolerance.tolerance_report([])


def test_cells_within_tolerance_per_paper_are_counted_and_printed():
    rows = tolerance.records(CHAPTERS)
    counts, outside = tolerance.tolerance_report(rows)
    papers = set(counts.index)
    assert {"kraft_hill_2019", "russell_2020"} <= papers, (
        f"comparison tables stored for {sorted(papers)} only: every replication chapter shows its "
        "comparisons with replication_table (re-execute the chapters)")
    assert "unknown" not in papers, "a comparison table whose paper is unknown (build it with compare())"
    for paper, row in counts.iterrows():
        SESSION_REPORTS.append(f"tolerance: {paper}: {int(row['within'])} of {int(row['cells'])} "
                               f"published cells within tolerance ({row['share']:.1%})")
    for row in outside.itertuples():
        where = " / ".join(str(v) for v in (row.table, row.panel, row.year, row.row, row.column) if v)
        SESSION_REPORTS.append(f"tolerance:   outside: {row.paper}: {where}: published {row.published}, "
                               f"replicated {row.replicated} ({row.why}; {row.chapter})")
    assert (counts["cells"] >= 20).all(), counts
