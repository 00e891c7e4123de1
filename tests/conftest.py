"""Shared fixtures: the repository root and one warnings-as-errors book build per test run."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD_DIR = ROOT / "_build" / "test"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def built_book() -> Path:
    """Build the whole book once with ``-W -n --keep-going`` and return the HTML folder.

    A fresh output folder every run, so a stale page can never hide a warning.
    """
    shutil.rmtree(BUILD_DIR, ignore_errors=True)
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    result = subprocess.run(
        [str(jupyter_book), "build", str(ROOT), "--path-output", str(BUILD_DIR),
         "-W", "-n", "--keep-going", "--all"],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    log = result.stdout + result.stderr
    (BUILD_DIR / "build.log").parent.mkdir(parents=True, exist_ok=True)
    (BUILD_DIR / "build.log").write_text(log, encoding="utf-8")
    if result.returncode != 0:
        warnings = [line for line in log.splitlines() if "WARNING" in line or "ERROR" in line]
        pytest.fail("book build failed (warnings are errors):\n" + "\n".join(warnings[:40] or log.splitlines()[-40:]))
    return BUILD_DIR / "_build" / "html"
