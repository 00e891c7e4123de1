"""Collected only by ``tests/stability/kernels.py``: the BLAS this run uses is the one it asked for."""
import json
import os

import pytest
import threadpoolctl


def test_openblas_runs_the_kernel_and_threads_that_were_asked_for():
    expected = os.environ.get("COACHBOOK_EXPECT_BLAS")
    if expected is None:
        pytest.fail("run through tests/stability/kernels.py, which sets COACHBOOK_EXPECT_BLAS")
    import numpy  # noqa: F401  (loads OpenBLAS)

    info = [i for i in threadpoolctl.threadpool_info() if i["internal_api"] == "openblas"][0]
    assert {"architecture": info.get("architecture"), "threads": info["num_threads"]} == json.loads(expected)
