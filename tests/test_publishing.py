"""Publishing: the PDF, notebooks that run anywhere, Colab's data download, the
status page and the GitHub Pages workflow.

- The LaTeX builder accepts the book with warnings as errors; when TeX is
  installed, ``make pdf`` compiles it (README.md, "The PDF").
- Every chapter notebook runs from a temporary folder, with nothing of the
  repository beside it.
- With no ``data/`` folder (a ``pip install`` from git, as in Colab), the data
  loader downloads each file once from the repository into a cache. Tested with
  the download replaced: no network is used.
- ``python -m coachbook.book.notebooks execute`` keeps the status page's tables.
- ``.github/workflows/publish.yml`` parses and calls commands that exist.
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
import yaml

from coachbook.book import data, notebooks, published
from conftest import BUILD_DIR, ROOT, book_work, build_problems, jupyter_book_build

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
WORKFLOW = ROOT / ".github" / "workflows" / "publish.yml"
TEX_PACKAGES = ("latexmk texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended "
                "texlive-xetex fonts-freefont-otf tex-gyre")


def _toc_files() -> list[str]:
    return notebooks.toc_pages()[1:]


def _toc_notebooks() -> list[Path]:
    return [ROOT / f"{f}.ipynb" for f in _toc_files() if (ROOT / f"{f}.ipynb").is_file()]


HIDDEN_OUTPUT_TAGS = {"hide-output", "hide-cell", "remove-output", "remove-cell"}  # not printed in the PDF


def _chart_outputs(path: Path) -> int:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return sum("image/png" in output.get("data", {})
               for cell in notebook["cells"] if not HIDDEN_OUTPUT_TAGS & set(cell.get("metadata", {}).get("tags", []))
               for output in cell.get("outputs", []))


def _latex_unescape(text: str) -> str:
    return re.sub(r"\\([&%$#_{}])", r"\1", text.replace(r"\sphinxhyphen{}", "-"))


# --- The PDF -----------------------------------------------------------------------------

def run_latex_build(built_book: Path) -> tuple[Path, dict]:
    """The book through the LaTeX builder (no TeX needed), warnings as errors, and the
    table of contents it was built from.

    Built into the same output folder as ``built_book``, so Sphinx reuses that build's
    environment and doctrees (the pages were read, with ``-W -n``, by that build) and
    only writes the LaTeX.
    """
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    result, log, seconds = jupyter_book_build("latex")
    (BUILD_DIR / "build-latex.log").write_text(log, encoding="utf-8")
    if result.returncode != 0:
        pytest.fail("the LaTeX build failed:\n" + build_problems(log))
    return BUILD_DIR / "_build" / "latex", toc


# Built in the background after the HTML book (tests/conftest.py, BookWork).
BOOK_STEPS = {"latex_build": run_latex_build}


@pytest.fixture(scope="module")
def latex_build(built_book) -> tuple[Path, dict]:
    return book_work("latex_build", lambda: run_latex_build(built_book))


def test_latex_builder_writes_the_whole_book(latex_build):
    folder, toc = latex_build
    tex = (folder / "coaching-math-teachers.tex").read_text(encoding="utf-8")
    assert r"\begin{document}" in tex and r"\end{document}" in tex
    parts = [_latex_unescape(title) for title in re.findall(r"^\\part\{(.*)\}$", tex, flags=re.M)]
    assert parts == [part["caption"] for part in toc["parts"]], "the PDF's parts are not those of _toc.yml"
    assert "sphinxthebibliography" in tex, "no bibliography in the PDF"
    # Every chart output carries a PNG, and the PNG is what LaTeX includes (it cannot use SVG).
    charts = sum(_chart_outputs(path) for path in _toc_notebooks())
    assert tex.count(r"\sphinxincludegraphics") >= charts, "a chart is missing from the PDF"
    assert not re.search(r"\\sphinxincludegraphics(\[[^]]*\])?\{\{?[^}]*\.svg", tex), "LaTeX cannot include SVG"


def test_pdf_compiles_when_tex_is_installed(tmp_path):
    missing = [tool for tool in ("latexmk", "xelatex") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed, so the PDF is not compiled here; to build it: "
                    f"apt-get install --no-install-recommends {TEX_PACKAGES}, then `make pdf`")
    result = subprocess.run(["make", "--no-print-directory", "pdf", f"PDF_OUTPUT={tmp_path}"],
                            capture_output=True, text=True, cwd=ROOT)
    log = result.stdout + result.stderr
    assert result.returncode == 0, "make pdf failed:\n" + "\n".join(log.splitlines()[-40:])
    pdf = tmp_path / "_build" / "latex" / "coaching-math-teachers.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    tex_log = pdf.with_suffix(".log").read_text(encoding="utf-8", errors="replace")
    assert "Missing character" not in tex_log, "a character the PDF fonts lack (it prints as nothing)"
    assert "Output written on coaching-math-teachers.pdf" in tex_log


# --- Notebooks run standalone --------------------------------------------------------------

@pytest.mark.parametrize("path", notebooks.chapter_notebooks(), ids=lambda p: p.name)
def test_notebook_runs_alone_in_an_empty_folder(path, tmp_path, nbval_run):
    """A reader's copy of one notebook, with no repository around it, runs to the end.

    When nbval runs every cell of this notebook in this session, it has run them in a
    temporary folder holding only a copy of the notebook (tests/conftest.py), and
    this test reports that run; otherwise it executes a copy itself.
    """
    run = nbval_run(path)
    if run is None:  # nbval has not run every cell of this notebook in this session
        copy = tmp_path / path.name
        shutil.copyfile(path, copy)
        seconds = notebooks.execute(copy)  # runs in copy's folder; raises on the first cell error
        print(f"{path.relative_to(ROOT)}: {seconds:.1f} s (executed by this test)")
        return
    assert run.folder is not None, f"nbval never started a kernel for {path.name} (see its cells' errors)"
    assert ROOT not in run.folder.parents, f"nbval ran {path.name} inside the repository: {run.folder}"
    assert run.folder_contents == [path.name], f"the kernel's folder held {run.folder_contents}"
    assert not run.errors, (f"{path.relative_to(ROOT)} failed when run alone in an empty folder (nothing but "
                            "its copy there, so a file read relative to its folder fails); cells that raised:\n"
                            + "\n".join(run.errors))
    not_run = sorted(set(range(run.code_cells)) - run.executed)
    assert not not_run, f"nbval did not run cells {not_run} of {path.name}"
    print(f"{path.relative_to(ROOT)}: {run.seconds:.1f} s (run by nbval in {run.folder})")


def test_nbval_runs_each_notebook_in_an_empty_folder(tmp_path):
    """The conftest hook, end to end on two tiny notebooks in a separate pytest run: one
    reads a file beside it (it fails), one lists its folder (only its own copy); and
    what the hook records of each run, which the standalone test above reports."""
    (tmp_path / "beside.csv").write_text("a\n1\n", encoding="utf-8")
    (tmp_path / "test_records.py").write_text(
        "def test_records(nbval_run):\n"
        "    beside, lonely = nbval_run('reads_beside.ipynb'), nbval_run('lonely.ipynb')\n"
        "    assert 'FileNotFoundError' in beside.errors[0] and not beside.executed\n"
        "    assert lonely.executed == {0} and not lonely.errors\n"
        "    assert lonely.folder_contents == ['lonely.ipynb'] and not lonely.folder.exists()\n",
        encoding="utf-8")
    _tiny_notebook(tmp_path / "reads_beside.ipynb", "import pandas as pd\npd.read_csv('beside.csv')")
    lonely = _tiny_notebook(tmp_path / "lonely.ipynb", "import os\nprint(sorted(os.listdir('.')))")
    import nbformat

    notebook = nbformat.read(lonely, as_version=4)
    notebook.cells[1].execution_count = 1
    notebook.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="['lonely.ipynb']\n")]
    nbformat.write(notebook, lonely)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "conftest", "--nbval",
         "--nbval-current-env", "-q", "-rA", "--rootdir", str(tmp_path), "-c", os.devnull, str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")])},
    )
    log = result.stdout + result.stderr
    assert re.search(r"PASSED .*lonely\.ipynb::Cell 0", log), log[-3000:]
    assert re.search(r"FAILED .*reads_beside\.ipynb::Cell 0", log), log[-3000:]
    assert re.search(r"PASSED .*test_records\.py::test_records", log), log[-3000:]
    assert "FileNotFoundError" in log and "1 failed, 2 passed" in log, log[-3000:]


# --- Colab: the data come from the repository --------------------------------------------

def test_package_copy_of_the_repository_setting_matches_config():
    repository = CONFIG["repository"]
    expected = (f'REPOSITORY_URL = "{repository["url"]}"\nREPOSITORY_BRANCH = "{repository.get("branch", "main")}"\n'
                f'REPOSITORY_PATH_TO_BOOK = "{repository.get("path_to_book", "")}"')
    actual = (data.REPOSITORY_URL, data.REPOSITORY_BRANCH, data.REPOSITORY_PATH_TO_BOOK)
    assert actual == (repository["url"], repository.get("branch", "main"), repository.get("path_to_book", "")), (
        f"coachbook/book/data.py names another repository than _config.yml; set these lines in it:\n{expected}")


def test_readme_colab_line_installs_from_the_configured_repository():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    repository = CONFIG["repository"]
    line = (f'%pip install --quiet "coachbook @ git+{repository["url"].rstrip("/")}@{repository.get("branch", "main")}"'
            ' myst-nb')
    assert line in readme
    assert f'or "coachbook @ git+{repository["url"].rstrip("/")}@{repository.get("branch", "main")}")' in \
        notebooks.install_cell_source(), "the README's line and the chapters' install cell name other sources"


@pytest.fixture
def no_data_folder(tmp_path, monkeypatch):
    """The package as pip installs it from git: no data/ folder, an empty cache."""
    monkeypatch.setattr(data, "_bundled_dir", lambda: None)
    for name in ("COACHBOOK_DATA", "COACHBOOK_DATA_URL"):
        monkeypatch.delenv(name, raising=False)
    cache = tmp_path / "cache"
    monkeypatch.setenv("COACHBOOK_CACHE", str(cache))
    return cache


@pytest.fixture
def served(monkeypatch):
    """urlopen replaced: serves the repository's data/ files and records every requested URL."""
    requests = []
    prefix = data.data_url()

    def urlopen(url, timeout=None):
        requests.append(url)
        assert url.startswith(prefix), url
        file = ROOT / "data" / url[len(prefix):]
        if not file.is_file():
            raise urllib.error.HTTPError(url, 404, "Not Found", {}, None)
        return io.BytesIO(file.read_bytes())

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    return requests


def test_data_url_is_derived_from_the_repository_setting():
    repository = CONFIG["repository"]
    slug = repository["url"].rstrip("/").split("github.com/")[1]
    book = repository.get("path_to_book", "").strip("/")
    assert data.data_url() == (f"https://raw.githubusercontent.com/{slug}/{repository.get('branch', 'main')}/"
                               f"{book + '/' if book else ''}data/")


def test_without_a_data_folder_a_file_is_downloaded_once_and_cached(no_data_folder, served):
    table = data.load("published/kraft_hill_2019")
    assert served == [data.data_url() + "published/kraft_hill_2019.csv"]
    assert (no_data_folder / "published" / "kraft_hill_2019.csv").is_file()
    pd.testing.assert_frame_equal(table, pd.read_csv(ROOT / "data" / "published" / "kraft_hill_2019.csv"))
    again = data.load("published/kraft_hill_2019.csv")
    assert len(served) == 1, "the second load downloaded again instead of reading the cache"
    pd.testing.assert_frame_equal(again, table)
    assert data.available() == ["published/kraft_hill_2019"]
    assert data.data_dir() == no_data_folder
    assert [p.name for p in no_data_folder.rglob("*") if p.is_file()] == ["kraft_hill_2019.csv"]


def test_published_numbers_work_without_a_data_folder(no_data_folder, served):
    assert len(published.load("russell_2020")) > 10
    assert served == [data.data_url() + "published/russell_2020.csv"]


def test_a_failed_download_is_a_clear_value_error_and_caches_nothing(no_data_folder, monkeypatch):
    def offline(url, timeout=None):
        raise urllib.error.URLError(OSError(101, "Network is unreachable"))

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(ValueError, match=r"could not download the data 'mqi/teachers' from "
                                         r"https://raw\.githubusercontent\.com/.*/data/mqi/teachers\.csv"
                                         r".*network.*pip install -e") as caught:
        data.load("mqi/teachers")
    assert isinstance(caught.value, data.DataDownloadError)
    assert not no_data_folder.exists() or not any(no_data_folder.rglob("*.csv"))


def test_a_name_the_repository_lacks_is_data_not_found(no_data_folder, served):
    with pytest.raises(data.DataNotFoundError, match=r"no data named 'mqi/nonexistent'.*HTTP 404"):
        data.load("mqi/nonexistent")
    with pytest.raises(ValueError):
        data.load("mqi/nonexistent")


@pytest.mark.parametrize("bad", ["../secrets", "/etc/passwd", "mqi/../x", "mqi/teachers?x=1"])
def test_names_that_are_not_data_names_are_refused_before_any_download(no_data_folder, served, bad):
    with pytest.raises(ValueError, match="letters, digits"):
        data.load(bad)
    assert served == []


def test_download_address_can_be_overridden(no_data_folder, monkeypatch):
    # A real urlopen on a file:// address: the download path end to end, with no network.
    monkeypatch.setenv("COACHBOOK_DATA_URL", (ROOT / "data").as_uri())
    assert data.load("published/russell_2020").equals(pd.read_csv(ROOT / "data" / "published" / "russell_2020.csv"))
    assert (no_data_folder / "published" / "russell_2020.csv").is_file()


def test_a_clone_reads_its_own_data_folder(monkeypatch):
    monkeypatch.delenv("COACHBOOK_DATA", raising=False)
    assert data.data_dir() == ROOT / "data"


# --- The status page ---------------------------------------------------------------------

def test_status_page_is_in_the_book_before_the_references():
    files = _toc_files()
    assert "chapters/appendices/status" in files
    assert files.index("chapters/appendices/status") < files.index("chapters/appendices/references")


def test_status_file_lists_every_notebook_of_the_book():
    rows = notebooks.read_status()
    assert rows, "chapters/appendices/_status.csv is missing: run `make status`"
    assert tuple(rows[0]) == notebooks.STATUS_COLUMNS
    listed = {row["notebook"] for row in rows}
    for path in _toc_notebooks():
        name = path.relative_to(ROOT).as_posix()
        assert name in listed, (f"{name} is in _toc.yml but not on the status page: run "
                                f"`.venv/bin/python -m coachbook.book.notebooks execute --record-status {name}`")
    for row in rows:
        assert (ROOT / row["notebook"]).is_file(), f"the status page lists a missing notebook: {row['notebook']}"
        assert row["status"] in {"ok", "failed"}
        if row["status"] == "ok":
            assert float(row["seconds"]) >= 0 and re.fullmatch(r"\d+\.\d", row["seconds"])


def test_status_versions_are_the_pinned_ones():
    pins = {}
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.strip().split("==")
            pins[name.lower().replace("_", "-")] = version
    with notebooks.VERSIONS_FILE.open(encoding="utf-8", newline="") as handle:
        versions = dict(csv.reader(handle))
    assert versions.pop("package") == "version"
    assert versions.pop("python").startswith("3.11")
    assert set(versions) == set(notebooks.KEY_PACKAGES)
    for package, version in versions.items():
        assert pins.get(package) == version, (
            f"the status page shows {package} {version}, requirements.txt pins {pins.get(package)}: "
            "re-run `make execute`")


def test_write_status_merges_a_partial_run(tmp_path):
    status = tmp_path / "_status.csv"
    first, second = notebooks.chapter_notebooks()[:2]
    notebooks.write_status({first: (1.234, "ok"), second: (2.0, "ok")}, status)
    notebooks.write_status({second: (math.nan, "failed")}, status)
    rows = {row["notebook"]: row for row in notebooks.read_status(status)}
    assert rows[first.relative_to(ROOT).as_posix()]["seconds"] == "1.2"
    assert rows[second.relative_to(ROOT).as_posix()] == {
        "chapter": notebooks.chapter_title(second), "notebook": second.relative_to(ROOT).as_posix(),
        "seconds": "", "status": "failed"}
    # A notebook that no longer exists drops out.
    rows_text = status.read_text(encoding="utf-8") + "Gone,chapters/gone.ipynb,1.0,ok\n"
    status.write_text(rows_text, encoding="utf-8")
    notebooks.write_status({}, status)
    assert "gone" not in status.read_text(encoding="utf-8")


def _tiny_notebook(path: Path, code: str) -> Path:
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# Tiny"), nbformat.v4.new_code_cell(code)]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)
    return path


def test_execute_reports_times_and_failures_and_keeps_a_failed_notebook(tmp_path, capsys, monkeypatch):
    good = _tiny_notebook(tmp_path / "good.ipynb", "print(6 * 7)")
    bad = _tiny_notebook(tmp_path / "bad.ipynb", "raise ValueError('boom')")
    before = bad.read_bytes()
    recorded = []
    monkeypatch.setattr(notebooks, "write_status", lambda *args, **kwargs: recorded.append(args))
    monkeypatch.setattr(notebooks, "write_versions", lambda *args, **kwargs: recorded.append(args))
    assert notebooks.main(["execute", str(good), str(bad)]) == 1
    out = capsys.readouterr().out
    assert re.search(r"FAILED .*bad\.ipynb: ValueError: boom\n", out)
    assert re.search(r"\d+\.\d s  ok +\S*good\.ipynb", out) and "total: 1 ok, 1 failed" in out
    assert "42" in good.read_text(encoding="utf-8")
    assert bad.read_bytes() == before, "a failed notebook was overwritten"
    assert recorded == [], "notebooks outside chapters/ entered the status page"


def test_plain_execute_leaves_the_status_page_alone(monkeypatch):
    """Timings change on every run, so only `make status` may rewrite the status files."""
    recorded = []
    monkeypatch.setattr(notebooks, "execute", lambda path, timeout=600: 1.0)
    monkeypatch.setattr(notebooks, "write_status", lambda *args, **kwargs: recorded.append("status"))
    monkeypatch.setattr(notebooks, "write_versions", lambda *args, **kwargs: recorded.append("versions"))
    first = notebooks.chapter_notebooks()[0]
    assert notebooks.main(["execute", str(first)]) == 0
    assert recorded == []
    assert notebooks.main(["execute", "--record-status", str(first)]) == 0
    assert recorded == ["status", "versions"]


def test_status_page_shows_both_tables(built_book):
    page = (built_book / "chapters" / "appendices" / "status.html").read_text(encoding="utf-8")
    assert page.count("<table") == 2
    # (Not every row: a notebook executed while the book was building adds one.)
    for text in (*notebooks.STATUS_COLUMNS, "chapters/00-introduction/how-replications-work.ipynb",
                 "package", "statsmodels"):
        assert text in page, f"{text!r} missing from the status page"


# --- GitHub Pages --------------------------------------------------------------------------

def test_publish_workflow_tests_builds_and_deploys():
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads the key `on` as True
    assert triggers["push"]["branches"] == ["main"]
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    assert build["container"].startswith("python:3.11")
    commands = "\n".join(step.get("run", "") for step in build["steps"])
    assert "apt-get install" in commands and "chromium" in commands
    assert re.search(r"^make test$", commands, flags=re.M) and re.search(r"^make book$", commands, flags=re.M)
    upload = next(step for step in build["steps"] if step.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "_build/html"
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert any(step.get("uses", "").startswith("actions/deploy-pages@") for step in deploy["steps"])


def test_make_targets_the_workflow_and_readme_call_exist():
    result = subprocess.run(["make", "--dry-run", "--no-print-directory", "test", "book", "pdf", "execute"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "jupyter-book build . -W -n --keep-going" in result.stdout


def test_toc_pages_lists_root_first_and_refuses_globs(tmp_path):
    toc = tmp_path / "_toc.yml"
    toc.write_text("format: jb-book\nroot: intro\nparts:\n  - chapters:\n      - file: a/b.ipynb\n")
    assert notebooks.toc_pages(toc) == ["intro", "a/b"]
    toc.write_text("format: jb-book\nroot: intro\nparts:\n  - chapters:\n      - glob: a/*\n")
    with pytest.raises(ValueError, match="glob"):
        notebooks.toc_pages(toc)
