"""The transcribed published numbers are well formed, and comparisons join on them."""
import numpy as np
import pandas as pd
import pytest

from coachbook.book import published


@pytest.mark.parametrize("paper", sorted(published.PAPERS))
def test_published_file_has_the_agreed_columns_and_unique_keys(paper):
    numbers = published.load(paper)
    assert list(numbers.columns) == published.COLUMNS
    assert not numbers.duplicated(published.KEYS).any()
    assert pd.api.types.is_numeric_dtype(numbers["estimate"])
    lost = numbers[numbers["estimate"].isna()]
    assert (lost["note"].str.len() > 0).all(), "a missing estimate must say why in its note"
    assert len(lost) <= 2
    assert (numbers["se"].dropna() > 0).all()


def test_unknown_paper_is_rejected():
    with pytest.raises(ValueError, match="unknown paper"):
        published.load("smith_2021")


def test_side_by_side_computes_gaps_against_the_published_value():
    numbers = published.load("kraft_hill_2019")
    first = numbers.dropna(subset=["se"]).iloc[0]
    replicated = pd.DataFrame([{**first[published.KEYS].to_dict(),
                                "estimate": first["estimate"] + 0.5 * first["se"], "se": first["se"]}])
    table = published.side_by_side("kraft_hill_2019", replicated)
    assert table["gap"].iloc[0] == pytest.approx(round(0.5 * first["se"], 3), abs=1e-3)
    assert table["gap_in_se"].iloc[0] == pytest.approx(0.5, abs=1e-3)


def test_side_by_side_refuses_a_number_with_no_published_twin():
    replicated = pd.DataFrame([{"table": "Table 99", "panel": "", "row": "x", "column": "y", "estimate": 1.0}])
    with pytest.raises(ValueError, match="no published twin"):
        published.side_by_side("kraft_hill_2019", replicated)


def test_side_by_side_needs_the_key_columns():
    with pytest.raises(ValueError, match="missing column"):
        published.side_by_side("kraft_hill_2019", pd.DataFrame({"estimate": [np.nan]}))


def test_lookup_of_an_absent_key_lists_the_rows_of_that_table():
    with pytest.raises(ValueError, match="Rows of that table"):
        published.lookup("kraft_hill_2019", "Table 1", "No such row", "No such column")
