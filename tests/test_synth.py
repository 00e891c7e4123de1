"""Regenerating the synthetic data reproduces the bundled files byte for byte.

``synthetic`` (``synth.generate_all()``) and ``regenerated`` (``synth.write_all``)
are session fixtures of tests/conftest.py: each generator runs twice per test
run, once for each, and the two generations are compared with each other here.
"""
import pandas as pd
import pytest

from coachbook import synth
from coachbook.book.data import data_dir


def test_every_registered_study_has_a_codebook_entry_for_each_file(synthetic):
    book = synth.codebook()
    assert set(synthetic) == set(book), "every generated file needs a codebook entry and vice versa"
    for name, frame in synthetic.items():
        documented = [v.name for v in book[name].variables]
        assert documented == list(frame.columns), f"codebook of {name} does not match its columns"


def test_regeneration_is_byte_for_byte_identical(regenerated):
    written = regenerated.written
    if not written:
        pytest.skip("no synthetic-data generators registered yet")
    for path in written:
        bundled = data_dir() / path.relative_to(regenerated.folder)
        assert bundled.is_file(), f"{bundled} is generated but not bundled; run `make data`"
        assert path.read_bytes() == bundled.read_bytes(), f"{bundled} drifted from its generator; run `make data`"


def test_two_independent_generations_are_identical(synthetic, regenerated):
    assert list(regenerated.frames) == list(synthetic)
    for name, frame in synthetic.items():
        pd.testing.assert_frame_equal(regenerated.frames[name], frame, obj=name)
