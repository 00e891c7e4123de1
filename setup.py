"""Build hook (the settings are in pyproject.toml): a wheel carries the data.

``data/`` (the bundled synthetic data and the published numbers) lives at the top
of the repository, beside ``coachbook/``. A wheel (``pip install .``, or
``pip install "coachbook @ git+<repository URL>"`` as the chapters' first cell
does in Colab) gets a copy of it as the package data ``coachbook/_data/``, which
:mod:`coachbook.book.data` reads when there is no checkout around the package.
An editable install (``make venv``) copies nothing: it reads ``data/`` itself.

setuptools builds in a temporary folder, not in ``build/`` of the checkout: no
stale module from an earlier build can reach a wheel, and two builds at once
(two test runs) do not share a folder.
"""
import atexit
import shutil
import tempfile
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
PACKAGED_DATA = Path("coachbook", "_data")   # inside the wheel; coachbook.book.data.PACKAGED_DATA


class build_py_with_data(build_py):
    """``build_py``, then ``data/`` copied to ``<build>/coachbook/_data`` (not for editable installs)."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        if not DATA.is_dir():
            raise SystemExit(f"cannot build coachbook: {DATA} is missing (the bundled data)")
        target = Path(self.build_lib) / PACKAGED_DATA
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(DATA, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))


build_base = tempfile.mkdtemp(prefix="coachbook-build-")
atexit.register(shutil.rmtree, build_base, True)

setup(cmdclass={"build_py": build_py_with_data}, options={"build": {"build_base": build_base}})
