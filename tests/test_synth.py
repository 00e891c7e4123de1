"""Regenerating the synthetic data reproduces the bundled files byte for byte.

``synthetic`` (the frames of ``synth.write_all``'s one generation) and ``regenerated`` (its files)
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


def test_the_generated_frames_are_what_was_written(synthetic, regenerated):
    """The frames the session's tests use are the ones whose files matched the bundle."""

    assert set(synthetic) == {str(path.relative_to(regenerated.folder).with_suffix(""))
                              for path in regenerated.written}
    for name, frame in synthetic.items():
        assert frame is not None and len(frame) > 0, name


