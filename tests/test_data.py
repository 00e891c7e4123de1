"""The data loader finds bundled files from anywhere and explains what is missing."""
import pandas as pd
import pytest

from coachbook.book import data


def test_available_lists_published_numbers():
    names = data.available()
    assert "published/kraft_hill_2019" in names
    assert "published/russell_2020" in names
    assert names == sorted(names)


def test_load_reads_a_bundled_file_from_any_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    table = data.load("published/kraft_hill_2019")
    assert isinstance(table, pd.DataFrame)
    assert len(table) > 100


def test_load_accepts_a_csv_suffix():
    assert data.path("published/russell_2020.csv") == data.path("published/russell_2020")


def test_misspelled_name_suggests_the_right_one():
    with pytest.raises(data.DataNotFoundError, match=r"kraft_hill_2019\.csv|Did you mean 'published/kraft_hill_2019'"):
        data.load("published/kraft_hil_2019")


def test_missing_file_names_the_expected_path_and_is_a_value_error():
    with pytest.raises(ValueError, match=r"no bundled data named 'mqi/nonexistent'.*nonexistent\.csv"):
        data.load("mqi/nonexistent")
    with pytest.raises(FileNotFoundError):
        data.load("mqi/nonexistent")


@pytest.mark.parametrize("bad", ["", "   ", None, 3])
def test_empty_or_non_string_names_are_rejected(bad):
    with pytest.raises(ValueError, match="non-empty string"):
        data.load(bad)


def test_environment_variable_points_the_loader_elsewhere(tmp_path, monkeypatch):
    (tmp_path / "demo").mkdir()
    pd.DataFrame({"x": [1, 2]}).to_csv(tmp_path / "demo" / "tiny.csv", index=False)
    monkeypatch.setenv("COACHBOOK_DATA", str(tmp_path))
    assert data.available() == ["demo/tiny"]
    assert data.load("demo/tiny")["x"].tolist() == [1, 2]


def test_an_absent_data_folder_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("COACHBOOK_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(data.DataNotFoundError, match="data/ folder missing"):
        data.load("mqi/teachers")
