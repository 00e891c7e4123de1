"""Load the book's bundled data files by name.

Every chapter loads its data through :func:`load`, so a notebook runs from any
working directory: the files are found relative to the package, not to the
notebook.

>>> from coachbook.book import data
>>> teachers = data.load("mqi/teachers")        # data/mqi/teachers.csv
>>> data.available()[:3]                          # every name you can load

Where the data live
-------------------
1. ``COACHBOOK_DATA`` environment variable, when set (a folder laid out like
   ``data/`` in the repository);
2. otherwise the ``data/`` folder of the repository the package was installed
   from (``pip install -e .``);
3. otherwise the copy of ``data/`` that a wheel carries as package data,
   ``coachbook/_data`` (``pip install .`` or ``pip install "git+<repository
   URL>"``, as the chapters' first cell does in Colab; setup.py copies it);
4. otherwise (an install without that copy) each file is downloaded once
   from the repository, ``<raw URL>/data/<name>.csv``, into a cache folder
   (``COACHBOOK_CACHE``, else ``~/.cache/coachbook``) and read from there. The
   address comes from :data:`REPOSITORY_URL` and :data:`REPOSITORY_BRANCH`,
   copies of ``repository.url`` and ``repository.branch`` in ``_config.yml``
   (``tests/test_publishing.py`` checks that they agree); ``COACHBOOK_DATA_URL``
   overrides the folder address (a fork, a mirror, a local ``file://`` copy).
"""
from __future__ import annotations

import difflib
import http.client
import os
import re
import urllib.error
import urllib.request
from pathlib import Path

import pandas as pd

__all__ = ["DataNotFoundError", "DataDownloadError", "REPOSITORY_URL", "REPOSITORY_BRANCH",
           "data_dir", "available", "path", "load", "data_url"]

# Copies of `repository.url`, `repository.branch` and `repository.path_to_book` in
# _config.yml, the one place the repository is named. A fork changes _config.yml;
# tests/test_publishing.py then fails until these three lines say the same.
REPOSITORY_URL = "https://github.com/coaching-math-book/coaching-math-teachers"
REPOSITORY_BRANCH = "main"
REPOSITORY_PATH_TO_BOOK = ""

_REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
#: Where a wheel carries its copy of ``data/`` (setup.py, ``build_py_with_data``).
PACKAGED_DATA = Path(__file__).resolve().parents[1] / "_data"
_NAME = re.compile(r"[A-Za-z0-9_\-]+(/[A-Za-z0-9_\-]+)*")
_TIMEOUT = 30  # seconds per download


class DataNotFoundError(FileNotFoundError, ValueError):
    """A data name that matches no bundled file.

    It is both a ``FileNotFoundError`` and a ``ValueError`` so that callers
    can catch it either as a missing file or as bad input.
    """


class DataDownloadError(ValueError):
    """A data file that had to be downloaded (no local ``data/`` folder) and could not be."""


def _bundled_dir() -> Path | None:
    """The repository's ``data/`` folder, else the wheel's copy of it, else None (download)."""
    folder = _REPOSITORY_ROOT / "data"
    # pyproject.toml beside it: the package sits in its repository (a clone, `pip install -e .`),
    # not in site-packages, where an unrelated package may have left a folder named data/.
    if folder.is_dir() and (_REPOSITORY_ROOT / "pyproject.toml").is_file():
        return folder
    if PACKAGED_DATA.is_dir():
        return PACKAGED_DATA
    return None


def _downloading() -> bool:
    return not os.environ.get("COACHBOOK_DATA") and _bundled_dir() is None


def _cache_dir() -> Path:
    override = os.environ.get("COACHBOOK_CACHE")
    if override:
        return Path(override).expanduser().resolve()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    slug = REPOSITORY_URL.rstrip("/").split("github.com/")[-1].replace("/", "-")
    return base / "coachbook" / f"{slug}-{REPOSITORY_BRANCH}"


def data_url() -> str:
    """The web folder data files are downloaded from when there is no local ``data/`` folder."""
    override = os.environ.get("COACHBOOK_DATA_URL")
    if override:
        return override.rstrip("/") + "/"
    slug = REPOSITORY_URL.rstrip("/").removesuffix(".git").split("github.com/")[-1]
    book = REPOSITORY_PATH_TO_BOOK.strip("/")
    return f"https://raw.githubusercontent.com/{slug}/{REPOSITORY_BRANCH}/{book + '/' if book else ''}data/"


def data_dir() -> Path:
    """The folder the data are read from (the download cache when there is no ``data/`` folder)."""
    override = os.environ.get("COACHBOOK_DATA")
    if override:
        return Path(override).expanduser().resolve()
    return _bundled_dir() or _cache_dir()


def available() -> list[str]:
    """Every name :func:`load` accepts, such as ``"mqi/teachers"``, sorted.

    When the data are downloaded on demand (no ``data/`` folder), only the
    names downloaded so far are listed.
    """
    root = data_dir()
    if not root.is_dir():
        return []
    return sorted(p.relative_to(root).with_suffix("").as_posix() for p in root.rglob("*.csv"))


def _normalise(name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValueError(
            f"a data name must be a non-empty string such as 'mqi/teachers', got {name!r}"
        )
    name = name.strip().replace("\\", "/")
    return name[:-4] if name.endswith(".csv") else name


def _check_download_name(name: str) -> None:
    # The name becomes part of a URL and of a path in the cache: nothing but plain segments.
    if not _NAME.fullmatch(name):
        raise ValueError(
            f"a data name is made of letters, digits, '_', '-' and '/' separators, such as "
            f"'mqi/teachers'; got {name!r}"
        )


def _download(name: str, target: Path) -> Path:
    url = data_url() + f"{name}.csv"
    try:
        with urllib.request.urlopen(url, timeout=_TIMEOUT) as response:
            content = response.read()
    except urllib.error.HTTPError as error:
        if error.code == 404:
            raise DataNotFoundError(
                f"no data named {name!r}: {url} does not exist (HTTP 404). Check the name "
                "against the data/ folder of the repository."
            ) from error
        raise DataDownloadError(
            f"could not download the data {name!r} from {url}: HTTP {error.code} {error.reason}. "
            "Try again later, or clone the repository and `pip install -e .` it."
        ) from error
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise DataDownloadError(
            f"could not download the data {name!r} from {url} ({reason}). This package was "
            "installed without the repository's data/ folder, so it downloads each file once; "
            "check the network connection, or clone the repository and `pip install -e .` it, "
            "or set COACHBOOK_DATA to a folder that holds the data."
        ) from error
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + f".{os.getpid()}.part")
    partial.write_bytes(content)
    os.replace(partial, target)  # atomic: a reader never sees half a file
    return target


def path(name: str) -> Path:
    """The file behind a data name; raises :class:`DataNotFoundError` if absent.

    With no local ``data/`` folder, a file not yet in the cache is downloaded first.
    """
    name = _normalise(name)
    downloading = _downloading()
    if downloading:
        _check_download_name(name)
    file = data_dir() / f"{name}.csv"
    if file.is_file():
        return file
    if downloading:
        return _download(name, file)
    names = available()
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    listing = ("every name is listed by coachbook.book.data.available()" if names
               else "none (is the data/ folder missing?)")
    shown = f"{data_dir().name}/{name}.csv"  # relative, so messages match on every machine
    raise DataNotFoundError(
        f"no bundled data named {name!r}: expected the file {shown}.{hint} "
        f"Available: {listing}. If the file should exist, regenerate the "
        "synthetic data with `python -m coachbook.synth` or set COACHBOOK_DATA "
        "to the folder that holds it."
    )


def load(name: str, **read_csv_kwargs) -> pd.DataFrame:
    """Read a bundled CSV by name (``"mqi/teachers"`` reads ``data/mqi/teachers.csv``)."""
    return pd.read_csv(path(name), **read_csv_kwargs)
