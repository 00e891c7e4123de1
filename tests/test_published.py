"""The transcribed published numbers are well formed, and comparisons join on them."""
import numpy as np
import pandas as pd
import pytest

from coachbook.book import published


@pytest.mark.parametrize("paper", sorted(published.PAPERS))
def test_published_file_has_the_agreed_columns_and_unique_keys(paper):
    numbers = published.load(paper)
    carried = [published.ORIGIN] if published.ORIGIN in numbers else []
    assert list(numbers.columns) == published.COLUMNS + carried + published.DECIMALS
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


def _published_folder(tmp_path, monkeypatch, paper, edit):
    """A copy of data/published/<paper>.csv, changed by ``edit``, that load() reads."""
    from coachbook.book import data
    text = data.path(f"published/{paper}").read_text()
    folder = tmp_path / "published"
    folder.mkdir()
    (folder / f"{paper}.csv").write_text(edit(text))
    monkeypatch.setenv("COACHBOOK_DATA", str(tmp_path))


@pytest.mark.parametrize("text, decimals", [("0.120", 3), ("0.20", 2), ("142", 0), ("-.5", 1),
                                            ("34.0", 1), ("", None)])
def test_printed_decimals_come_from_the_text(text, decimals):
    got = published.printed_decimals(text)
    assert (np.isnan(got) if decimals is None else got == decimals)


def test_printed_decimals_refuse_what_is_not_a_number():
    with pytest.raises(ValueError, match="not a number as printed"):
        published.printed_decimals("3,252")


@pytest.mark.parametrize("paper", sorted(published.PAPERS))
def test_load_keeps_the_trailing_zeros_the_paper_printed(paper):
    from coachbook.book import data
    numbers = published.load(paper)
    text = pd.read_csv(data.path(f"published/{paper}"), dtype=str, keep_default_na=False)
    for column in ("estimate", "se"):
        printed = text[column].str.extract(r"\.(\d+)$")[0].str.len().fillna(0)
        printed[text[column] == ""] = np.nan
        pd.testing.assert_series_equal(numbers[f"{column}_decimals"], printed.astype(float),
                                       check_names=False)
    # a number printed with a trailing zero (0.120) keeps it, though its float does not
    zeros = text["se"].str.fullmatch(r"-?\d*\.\d*0")
    if zeros.any():
        row = numbers[zeros.to_numpy()].iloc[0]
        assert row["se_decimals"] == len(text.loc[zeros, "se"].iloc[0].split(".")[1])
        assert row["se_decimals"] > len(repr(float(row["se"])).split(".")[1])


def test_side_by_side_carries_the_printed_decimals():
    numbers = published.load("kraft_hill_2019")
    first = numbers.dropna(subset=["se"]).iloc[[0]]
    table = published.side_by_side("kraft_hill_2019", first[published.KEYS].assign(estimate=0.5))
    assert table["published_decimals"].iloc[0] == first["estimate_decimals"].iloc[0]
    assert table["published_se_decimals"].iloc[0] == first["se_decimals"].iloc[0]


def _set_origin(text: str, value) -> str:
    """The transcription's CSV text with its ``origin`` column (added if missing) set to
    ``value(i)`` on data row ``i``."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text)))
    if "origin" not in rows[0]:
        rows[0].append("origin")
        for row in rows[1:]:
            row.append("")
    at = rows[0].index("origin")
    for i, row in enumerate(rows[1:]):
        row[at] = value(i)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def test_origin_is_carried_when_the_transcription_has_it(tmp_path, monkeypatch):
    def add_origin(text):
        values = ["built in", "emergent", ""]
        return _set_origin(text, lambda i: values[i % 3])
    _published_folder(tmp_path, monkeypatch, "kraft_hill_2019", add_origin)
    numbers = published.load("kraft_hill_2019")
    assert list(numbers.columns) == published.COLUMNS + ["origin"] + published.DECIMALS
    assert list(numbers["origin"].iloc[:3]) == ["built in", "emergent", ""]
    rows = numbers.iloc[:3][published.KEYS].assign(estimate=1.0)
    assert list(published.side_by_side("kraft_hill_2019", rows)["origin"]) == ["built in", "emergent", ""]
    from coachbook.book import compare
    assert list(compare("kraft_hill_2019", rows)["origin"]) == ["built in", "emergent", ""]


def test_without_an_origin_column_nothing_is_invented(tmp_path, monkeypatch):
    def drop_origin(text):
        import csv
        import io

        rows = list(csv.reader(io.StringIO(text)))
        at = rows[0].index("origin") if "origin" in rows[0] else None
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(
            [row[:at] + row[at + 1:] if at is not None else row for row in rows])
        return out.getvalue()
    _published_folder(tmp_path, monkeypatch, "russell_2020", drop_origin)
    numbers = published.load("russell_2020")
    assert "origin" not in numbers
    rows = numbers.iloc[:2][published.KEYS].assign(estimate=1.0)
    assert "origin" not in published.side_by_side("russell_2020", rows)


def test_an_unknown_origin_is_refused(tmp_path, monkeypatch):
    def bad_origin(text):
        return _set_origin(text, lambda i: "tuned")
    _published_folder(tmp_path, monkeypatch, "russell_2020", bad_origin)
    with pytest.raises(ValueError, match="origin must be one of"):
        published.load("russell_2020")
