"""Regenerating the synthetic data reproduces the bundled files byte for byte."""
import pytest

from coachbook import synth
from coachbook.data import data_dir


def test_every_registered_study_has_a_codebook_entry_for_each_file():
    files = synth.generate_all()
    book = synth.codebook()
    assert set(files) == set(book), "every generated file needs a codebook entry and vice versa"
    for name, frame in files.items():
        documented = [v.name for v in book[name].variables]
        assert documented == list(frame.columns), f"codebook of {name} does not match its columns"


def test_regeneration_is_byte_for_byte_identical(tmp_path):
    written = synth.write_all(tmp_path)
    if not written:
        pytest.skip("no synthetic-data generators registered yet")
    for path in written:
        bundled = data_dir() / path.relative_to(tmp_path)
        assert bundled.is_file(), f"{bundled} is generated but not bundled; run `make data`"
        assert path.read_bytes() == bundled.read_bytes(), f"{bundled} drifted from its generator; run `make data`"
