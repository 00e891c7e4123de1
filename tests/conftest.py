"""Shared fixtures, and the run's rule: every expensive piece of work is done once.

- **The book** (``built_book``): one HTML build with ``-W -n --keep-going --all``
  into a fresh folder. The LaTeX check (tests/test_publishing.py) builds into the
  same output folder after it, so Sphinx reuses that build's environment and
  doctrees (nothing is read twice; the LaTeX is identical to a fresh build's).
  Both builds and the browser pass (tests/test_browser.py) run in a background
  thread while the rest of the suite runs (:class:`BookWork`); the tests that use
  them run last and wait for their results.
- **The synthetic data**: ``coachbook.synth.write_all`` runs once, in its own
  interpreter, in the background (:class:`EarlyWork`). ``regenerated`` holds the
  files it wrote (compared byte for byte with the bundled ones: the bundled files
  are the independent second generation) and ``synthetic`` the frames, shared
  read-only.
- **Other subprocess work** that needs nothing from the session (each estimator
  re-run under other OpenBLAS kernels) starts in the same background thread as
  soon as collection is over (``EARLY_STEPS`` in a test module).
- **The notebooks**: nbval executes each chapter notebook once, in an empty
  temporary folder that holds only a copy of the notebook
  (:class:`EmptyFolderNotebooks`), so that run also proves that a reader's copy
  runs with nothing of the repository beside it.
  ``tests/test_publishing.py::test_notebook_runs_alone_in_an_empty_folder``
  reports nbval's run of its notebook, and executes the notebook itself only
  when nbval did not run every cell of it in this session (chapters not
  collected, ``--nbval`` off, cells deselected).

The hooks act on the items of the whole session, nbval's under ``chapters/``
included, whenever this file is loaded: whenever the run includes ``tests/``
(``make test``, ``pytest``, ``pytest tests/... chapters/...``). A run of
chapters alone (``pytest --nbval chapters/02-rct/costs.ipynb``) does not load
it, and nbval then runs the notebook in its own folder, as nbval does.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Where the suite builds the book and writes its browser report and screenshots.
#: ``COACHBOOK_TEST_OUTPUT`` moves it (two test runs at once on one checkout).
OUTPUT_DIR = Path(os.environ.get("COACHBOOK_TEST_OUTPUT", ROOT / "_build"))
BUILD_DIR = OUTPUT_DIR / "test"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


# --- The book: one build, shared, made in the background ----------------------------------

_PROCESSES: set[subprocess.Popen] = set()  # started by this session and still running
_SESSION_OVER = threading.Event()             # set at the end of the session: start no more
BACKGROUND_NICENESS = 10


def run(command: list[str], timeout: float | None = None, **kwargs) -> subprocess.CompletedProcess:
    """``subprocess.run(command, capture_output=True, text=True, ...)``, except that a process
    still running when the session ends (``-x``, Ctrl-C) is killed then, and that the
    processes of the background work (:class:`BookWork`) run at a lower priority
    (``nice``), so that they take the CPU the tests leave and do not slow them down."""
    if _SESSION_OVER.is_set():
        raise RuntimeError(f"the test session is over; not starting {command[0]}")
    background = threading.current_thread().name.startswith((BookWork.name, EarlyWork.name))
    if background and shutil.which("nice"):
        command = ["nice", "-n", str(BACKGROUND_NICENESS), *command]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)
    _PROCESSES.add(process)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except BaseException:
        process.kill()
        process.communicate()
        raise
    finally:
        _PROCESSES.discard(process)
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def run_script_under_kernels(script: str, root: Path, runs: list[tuple[str, dict[str, str]]],
                             drop: tuple[str, ...] = ("OPENBLAS_CORETYPE",)) -> dict[str, dict]:
    """Run the Python ``script`` once per ``(label, environment)`` of ``runs``, each in a fresh
    interpreter whose environment is this one without the variables in ``drop`` and with the
    run's own (an ``OPENBLAS_CORETYPE``, a thread count); returns, by label, the JSON object
    the script printed on its last line, or ``{"error": <the end of its stderr>}``.

    The kernel checks of tests/test_mqi_replication.py and tests/test_multilevel.py use it,
    as ``EARLY_STEPS`` that run in the background from the start of the session."""
    import json

    base = {key: value for key, value in os.environ.items() if key not in drop}
    results = {}
    for label, overrides in runs:
        proc = run([sys.executable, "-c", script], timeout=300, cwd=root, env={**base, **overrides})
        results[label] = (json.loads(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0
                          else {"error": proc.stderr[-2000:]})
    return results


def jupyter_book_build(builder: str, *extra: str) -> tuple[subprocess.CompletedProcess, str, float]:
    """``jupyter-book build`` of the whole book into :data:`BUILD_DIR` with warnings as
    errors; returns the process, its log and the seconds it took.

    Every builder writes under the same ``--path-output``, so they share
    ``_build/.doctrees``: a second builder reuses the first one's environment.
    """
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    start = time.perf_counter()
    result = run(
        [str(jupyter_book), "build", str(ROOT), "--builder", builder, "--path-output", str(BUILD_DIR),
         "-W", "-n", "--keep-going", *extra],
        cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    return result, result.stdout + result.stderr, time.perf_counter() - start


def build_problems(log: str) -> str:
    warnings = [line for line in log.splitlines() if "WARNING" in line or "ERROR" in line]
    return "\n".join(warnings[:40] or log.splitlines()[-40:])


def build_html() -> Path:
    """Build the whole book once with ``-W -n --keep-going --all`` and return the HTML folder.

    A fresh output folder every run, so a stale page can never hide a warning.
    """
    shutil.rmtree(BUILD_DIR, ignore_errors=True)
    result, log, _ = jupyter_book_build("html", "--all")
    (BUILD_DIR / "build.log").parent.mkdir(parents=True, exist_ok=True)
    (BUILD_DIR / "build.log").write_text(log, encoding="utf-8")
    if result.returncode != 0:
        pytest.fail("book build failed (warnings are errors):\n" + build_problems(log))
    return BUILD_DIR / "_build" / "html"


class BookWork:
    """The book's expensive work, run in one background thread while the other tests run.

    When collection selects a test that uses ``built_book``, the HTML build starts
    at once; when it is done, the steps that test modules declare for their
    fixtures run, two at a time (:attr:`workers`), (``BOOK_STEPS = {"fixture name": function}``,
    each ``function(html_folder)`` returning that fixture's value; the browser pass,
    the LaTeX build); a step that must follow another says so as ``function.after =
    ("other fixture name",)``. The tests that use these fixtures are moved to the end of the
    run, so that the work has had the whole run to finish; each fixture waits for
    its step's result and raises what the step raised (a failure, a skip).
    Without this (``built_book`` not selected, ``--collect-only``), fixtures do
    their work themselves, in the foreground.
    """

    def __init__(self) -> None:
        self.steps: dict[str, object] = {}       # fixture name -> function(html folder)
        self.done: dict[str, threading.Event] = {}
        self.outcome: dict[str, tuple[object, BaseException | None]] = {}
        self.seconds: dict[str, float] = {}      # how long each step took
        self.waited: dict[str, float] = {}       # how long the tests waited for it
        self.thread: threading.Thread | None = None

    #: the first piece of work, its fixture name, and the name of the thread
    prepare = staticmethod(lambda: build_html())
    prepared = "built_book"
    name = "book-work"

    def start(self, steps: dict[str, object]) -> None:
        self.steps = {self.prepared: lambda value: value, **steps}
        self.done = {name: threading.Event() for name in self.steps}
        self.thread = threading.Thread(target=self._work, name=self.name, daemon=True)
        self.thread.start()

    #: steps run at once after ``prepare`` (two cores: the tests take one while they run, and
    #: at the end of the run, when the tests wait, both cores go to the steps)
    workers = 2

    def _work(self) -> None:
        html: Path | None = None
        failure: BaseException | None = None
        start = time.perf_counter()
        try:
            html = self.prepare()
        except BaseException as error:  # pytest.fail() included: reported by built_book's users
            failure = error
        self._finish(self.prepared, html, failure, time.perf_counter() - start)

        def one(name, step):
            for before in getattr(step, "after", ()):  # a step that needs another's result or files
                if before in self.done:
                    self.done[before].wait()
            begun, value, error = time.perf_counter(), None, failure
            if failure is None:
                try:
                    value = step(html)
                except BaseException as raised:
                    error = raised
            self._finish(name, value, error, time.perf_counter() - begun)

        rest = [(name, step) for name, step in self.steps.items() if name != self.prepared]
        # a step named in another's ``after`` goes first, so no worker waits on a step not started
        rest.sort(key=lambda item: not any(item[0] in getattr(step, "after", ()) for _, step in rest))
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix=self.name) as pool:
            list(pool.map(lambda item: one(*item), rest))

    def _finish(self, name: str, value, error: BaseException | None, seconds: float) -> None:
        self.seconds[name] = seconds
        self.outcome[name] = (value, error)
        self.done[name].set()

    def scheduled(self, fixture: str) -> bool:
        return fixture in self.done

    def wait(self, fixture: str):
        start = time.perf_counter()
        self.done[fixture].wait()
        self.waited[fixture] = time.perf_counter() - start
        value, error = self.outcome[fixture]
        if error is not None:
            raise error
        return value

    def stop(self) -> None:
        _SESSION_OVER.set()
        for process in list(_PROCESSES):
            process.kill()
        if self.thread is not None:
            self.thread.join(timeout=30)


class EarlyWork(BookWork):
    """Work that needs nothing from the session, run in a second background thread from
    the end of collection: test modules declare it as ``EARLY_STEPS = {"fixture name":
    function}``, each ``function(ROOT)`` returning that fixture's value (the subprocesses
    that re-run estimators under other OpenBLAS kernels, the regeneration of the
    synthetic data). Its users are moved to the end of the run, before the book's."""

    prepare = staticmethod(lambda: ROOT)
    prepared = "repository_root"
    name = "early-work"


BOOK_WORK = BookWork()
EARLY_WORK = EarlyWork()


def book_work(fixture: str, compute):
    """The value of ``fixture``: from the background work when it is scheduled there,
    else computed now by ``compute()``."""
    for work in (BOOK_WORK, EARLY_WORK):
        if work.scheduled(fixture):
            return work.wait(fixture)
    return compute()


@pytest.fixture(scope="session")
def built_book() -> Path:
    """The HTML folder of one ``-W -n --keep-going --all`` build of the whole book, in a
    fresh output folder (:func:`build_html`), made in the background (:class:`BookWork`)."""
    return book_work("built_book", build_html)


def _schedule_book_work(config, items: list[pytest.Item]) -> None:
    """Start :class:`BookWork` if a selected test uses ``built_book``, and move the tests
    that use it (or a step's fixture) to the end of the run, in their order."""
    users = [item for item in items if "built_book" in getattr(item, "fixturenames", ())]
    if not users or config.option.collectonly:
        return
    steps: dict[str, object] = {}
    for item in users:
        for fixture, step in getattr(getattr(item, "module", None), "BOOK_STEPS", {}).items():
            if fixture in item.fixturenames:
                steps.setdefault(fixture, step)
    moved = set(users)
    items[:] = [item for item in items if item not in moved] + users
    BOOK_WORK.start(steps)


def _schedule_early_work(config, items: list[pytest.Item]) -> None:
    """Start :class:`EarlyWork` for the ``EARLY_STEPS`` fixtures that selected tests use, and
    move those tests to the end of the run, before the book's (which stay last)."""
    if config.option.collectonly:
        return
    steps: dict[str, object] = {}
    users = []
    for item in items:
        declared = {**CONFTEST_EARLY_STEPS, **getattr(getattr(item, "module", None), "EARLY_STEPS", {})}
        used = [fixture for fixture in declared if fixture in getattr(item, "fixturenames", ())]
        for fixture in used:
            steps.setdefault(fixture, declared[fixture])
        if used and "built_book" not in item.fixturenames:
            users.append(item)
    if not steps:
        return
    moved = set(users)
    book = [item for item in items if "built_book" in getattr(item, "fixturenames", ())]
    rest = [item for item in items if item not in moved and item not in set(book)]
    items[:] = rest + users + book
    EARLY_WORK.start(steps)


def pytest_sessionfinish(session, exitstatus):
    BOOK_WORK.stop()
    EARLY_WORK.stop()
    notebooks = session.config.stash.get(NOTEBOOK_RUNS, None)
    if notebooks is not None:
        notebooks.stop_warm_kernels()


#: Lines a test wants shown at the end of the run (a measurement, a count), in order.
SESSION_REPORTS: list[str] = []


def pytest_terminal_summary(terminalreporter):
    for line in SESSION_REPORTS:
        terminalreporter.write_line(line)
    for label, work in (("early work", EARLY_WORK), ("book work", BOOK_WORK)):
        if work.seconds:
            steps = ", ".join(f"{name} {seconds:.1f} s (tests waited {work.waited.get(name, 0):.1f} s)"
                              for name, seconds in work.seconds.items())
            terminalreporter.write_line(f"{label} in the background: {steps}")


# --- The synthetic data: generated once per session ------------------------------------------

def _fingerprint(frame) -> tuple:
    import pandas as pd

    return (tuple(frame.columns), tuple(map(str, frame.dtypes)), frame.shape,
            int(pd.util.hash_pandas_object(frame, index=True).sum()))


#: Run in a fresh interpreter: ``synth.write_all(folder)``, which calls ``generate_all()``;
#: pickled beside the files: the frames it wrote and the published cells the MQI outcome
#: calibration read (``calibration._pub``, wherever imported).
_GENERATE = r"""
import pickle, sys
from pathlib import Path
from coachbook import synth
from coachbook.synth.mqi_outcomes import calibration, segments

folder, captured, read = Path(sys.argv[1]), {}, []
published_number, generate_all = calibration._pub, synth.generate_all

def reading(numbers, table, panel, row, column, what="estimate"):
    value = published_number(numbers, table, panel, row, column, what)  # KeyError: not printed
    read.append((table, panel, row, column, what))
    return value

def capturing(*args, **kwargs):
    files = generate_all(*args, **kwargs)
    captured.update(files)
    return files

calibration._pub = segments._pub = reading
synth.generate_all = capturing
written = synth.write_all(folder)
if not captured:  # write_all no longer goes through generate_all
    raise SystemExit("coachbook.synth.write_all did not call generate_all: update tests/conftest.py")
with open(folder / "frames.pickle", "wb") as out:
    pickle.dump({"written": [str(path) for path in written], "frames": captured, "read": read}, out)
"""


@dataclass(frozen=True)
class Regeneration:
    folder: Path                 # where synth.write_all wrote the files
    written: list[Path]          # the files, as write_all returned them
    frames: MappingProxyType     # the frames write_all wrote
    read: list                   # the published cells the MQI calibration read


def generate(root: Path = ROOT) -> Regeneration:
    """``coachbook.synth.write_all`` into a new temporary folder, in a separate interpreter,
    run once per session in the background from its start (:class:`EarlyWork`).

    One generation is enough: the bundled files are the other, independent one (made by
    ``make data`` in another process, on another day, often another machine), and the
    byte-for-byte comparison with them (tests/test_synth.py) is the determinism check."""
    import pickle

    folder = Path(tempfile.mkdtemp(prefix="synth-generated-"))
    result = run([sys.executable, "-c", _GENERATE, str(folder)], cwd=root,
                 env={**os.environ, "PYTHONHASHSEED": "0"})
    if result.returncode != 0:
        pytest.fail("coachbook.synth.write_all failed:\n" + result.stderr[-3000:])
    with open(folder / "frames.pickle", "rb") as stored:
        saved = pickle.load(stored)
    (folder / "frames.pickle").unlink()
    return Regeneration(folder, [Path(path) for path in saved["written"]],
                        MappingProxyType(saved["frames"]), saved["read"])


@pytest.fixture(scope="session")
def synthetic():
    """Every synthetic file as ``coachbook.synth.generate_all()`` makes it, generated once per
    session (in its own interpreter, in the background: :func:`generate`).

    Shared by every test that needs generated frames: read it, never modify it
    (``.copy()`` a frame first). The teardown fails if a test changed one.
    """
    files = dict(book_work("synthetic", generate).frames)
    before = {name: _fingerprint(frame) for name, frame in files.items()}
    yield MappingProxyType(files)
    changed = sorted(name for name, frame in files.items() if _fingerprint(frame) != before[name])
    assert not changed, f"a test modified the shared generated frames {changed}; copy a frame before changing it"


@pytest.fixture(scope="session")
def calibration_reads(synthetic) -> list[tuple[str, str, str, str, str]]:
    """The published cells (table, panel, row, column, estimate or se) that the MQI outcome
    calibration read while :func:`generate` made ``synthetic``."""
    return [tuple(cell) for cell in book_work("synthetic", generate).read]


#: Fixtures of this file made by :class:`EarlyWork` (test modules add theirs as ``EARLY_STEPS``).
CONFTEST_EARLY_STEPS = {"synthetic": generate}


@pytest.fixture(scope="session")
def regenerated() -> Regeneration:
    """The files ``coachbook.synth.write_all`` wrote in this session's one generation
    (:func:`generate`), for the byte-for-byte comparison with the bundled files."""
    return book_work("synthetic", generate)


# --- The notebooks: nbval runs each one once, in an empty folder ---------------------------

# nbval's NbCellError messages for a cell that ran to its end but whose outputs differ from
# the stored ones (anything else, such as an exception or a timeout, means the cell did not run).
OUTPUT_MISMATCHES = {"Cell outputs differ", "Unrun reference cell has outputs"}
STANDALONE_TEST = "test_notebook_runs_alone_in_an_empty_folder"


@dataclass
class NotebookRun:
    """What nbval did with one notebook in this session."""

    path: Path
    code_cells: int                    # code cells in the notebook
    selected: set[int]                 # cells collected and selected in this session
    folder: Path | None = None         # where the kernel was started
    folder_contents: list[str] = field(default_factory=list)   # what was in it at that moment
    attempted: set[int] = field(default_factory=set)           # cells nbval has tried to run
    executed: set[int] = field(default_factory=set)            # cells that ran to their end
    skipped: set[int] = field(default_factory=set)             # cells nbval skipped (NBVAL_SKIP)
    errors: list[str] = field(default_factory=list)            # cells that raised or timed out
    started: float | None = None
    finished: float | None = None

    @property
    def complete(self) -> bool:
        """Every code cell of the notebook is collected and selected in this session."""
        return self.code_cells > 0 and self.selected == set(range(self.code_cells))

    @property
    def over(self) -> bool:
        """nbval has tried every cell (whatever the outcome) and skipped none: the run
        can stand for a run of the whole notebook."""
        return self.complete and self.attempted == self.selected and not self.skipped

    @property
    def seconds(self) -> float:
        return (self.finished or 0.0) - (self.started or 0.0)


class EmptyFolderNotebooks:
    """Makes nbval start each notebook's kernel in a new temporary folder that holds
    only a copy of the notebook (as a reader who downloaded it has), and records
    each run for ``test_notebook_runs_alone_in_an_empty_folder``.

    nbval's ``IPyNbFile.setup`` starts ``RunningKernel(..., cwd=<notebook folder>)``;
    for the duration of that call ``nbval.plugin.RunningKernel`` is replaced by a
    wrapper that passes the temporary folder instead. A notebook that reads a file
    relative to its folder (``pd.read_csv("../../data/x.csv")``) therefore fails its
    cell under nbval, and the standalone test of that notebook fails too.
    """

    #: Imported, without binding a name, in a kernel started ahead of its notebook (every
    #: chapter imports these first): the import time overlaps the previous notebook's run.
    WARM_MODULES = ("numpy", "pandas", "altair", "scipy.stats", "statsmodels.formula.api",
                    "coachbook.book", "coachbook.studies", "coachbook.estimators")

    def __init__(self) -> None:
        self.runs: dict[Path, NotebookRun] = {}
        self.following: dict[Path, Path] = {}        # notebook -> the notebook nbval runs next
        self.warming: dict[Path, tuple[threading.Thread, dict]] = {}

    def install(self, items: list[pytest.Item]) -> None:
        try:
            from nbval.plugin import IPyNbCell, IPyNbFile
        except ImportError:  # nbval not installed: nothing to do
            return
        files: dict[IPyNbFile, list[IPyNbCell]] = {}
        for item in items:
            if isinstance(item, IPyNbCell) and isinstance(item.parent, IPyNbFile):
                files.setdefault(item.parent, []).append(item)
        for notebook, cells in files.items():
            path = Path(str(notebook.path)).resolve()
            code_cells = sum(cell.cell_type == "code" for cell in notebook.nb.cells)
            run = NotebookRun(path, code_cells, {cell.cell_num for cell in cells})
            self.runs[path] = run
            self._isolate(notebook, run)
            for cell in cells:
                self._watch(cell, run)

    def plan(self, items: list[pytest.Item]) -> None:
        """Which notebook nbval runs after which, in the final order of ``items``."""
        paths: list[Path] = []
        for item in items:
            path = Path(str(item.path)).resolve()
            if path in self.runs and (not paths or paths[-1] != path):
                paths.append(path)
        self.following = dict(zip(paths, paths[1:]))

    def _folder(self, run: NotebookRun) -> Path:
        """The notebook's empty folder (made once): a new temporary folder with only its copy."""
        if run.folder is None:
            folder = Path(tempfile.mkdtemp(prefix=f"nbval-{run.path.stem}-"))
            shutil.copyfile(run.path, folder / run.path.name)
            run.folder, run.folder_contents = folder, sorted(os.listdir(folder))
        return run.folder

    def _warm_next(self, path: Path, start_kernel, args, kwargs) -> None:
        """Start the kernel of the notebook after ``path`` now, in its folder, in a thread, and
        import :data:`WARM_MODULES` in it silently (no output, no history, no names bound)."""
        following = self.following.get(path)
        if following is None or following in self.warming or _SESSION_OVER.is_set():
            return
        slot: dict = {"args": args, "kwargs": {k: v for k, v in kwargs.items() if k != "cwd"}}
        folder = self._folder(self.runs[following])
        code = ("import importlib as _warm\n"
                f"for _module in {self.WARM_MODULES!r}:\n    _warm.import_module(_module)\n"
                "del _warm, _module")

        def start():
            try:
                kernel = start_kernel(*args, **{**slot["kwargs"], "cwd": str(folder)})
                msg_id = kernel.kc.execute(code, silent=True, store_history=False)
                kernel.await_reply(msg_id, timeout=120)
                slot["kernel"] = kernel
            except Exception as error:  # the notebook then starts its own kernel, as nbval does
                slot["error"] = error

        thread = threading.Thread(target=start, name=f"warm-{following.stem}", daemon=True)
        self.warming[following] = (thread, slot)
        thread.start()

    def _warmed(self, path: Path, args, kwargs):
        """The kernel started ahead for ``path`` if it was started the way nbval asks now."""
        if path not in self.warming:
            return None
        thread, slot = self.warming.pop(path)
        thread.join()
        kernel = slot.get("kernel")
        same = slot["args"] == args and slot["kwargs"] == {k: v for k, v in kwargs.items() if k != "cwd"}
        if kernel is not None and not same:
            kernel.stop()
            return None
        return kernel

    def stop_warm_kernels(self) -> None:
        for thread, slot in self.warming.values():
            thread.join(timeout=30)
            if slot.get("kernel") is not None:
                slot["kernel"].stop()
        self.warming.clear()

    def _isolate(self, notebook, run: NotebookRun) -> None:
        import nbval.plugin

        setup, teardown = notebook.setup, notebook.teardown

        def setup_in_empty_folder():
            folder = self._folder(run)
            running_kernel = nbval.plugin.RunningKernel

            def kernel_in_folder(*args, **kwargs):
                if "cwd" not in kwargs:
                    raise RuntimeError("nbval no longer passes cwd= to RunningKernel; "
                                       "update EmptyFolderNotebooks in tests/conftest.py")
                kwargs["cwd"] = str(folder)
                kernel = self._warmed(run.path, args, kwargs) or running_kernel(*args, **kwargs)
                self._warm_next(run.path, running_kernel, args, kwargs)
                return kernel

            nbval.plugin.RunningKernel = kernel_in_folder
            try:
                setup()
            finally:
                nbval.plugin.RunningKernel = running_kernel

        def teardown_and_remove_folder():
            try:
                teardown()
            finally:
                if run.folder is not None:
                    shutil.rmtree(run.folder, ignore_errors=True)

        notebook.setup, notebook.teardown = setup_in_empty_folder, teardown_and_remove_folder

    @staticmethod
    def _watch(cell, run: NotebookRun) -> None:
        from nbval.plugin import NbCellError

        runtest = cell.runtest

        def runtest_and_record():
            run.started = run.started or time.perf_counter()
            run.attempted.add(cell.cell_num)
            try:
                runtest()
            except NbCellError as error:
                if str(error) in OUTPUT_MISMATCHES:
                    run.executed.add(cell.cell_num)
                else:
                    detail = ANSI.sub("", error.inner_traceback or "").strip().splitlines()[-12:]
                    run.errors.append(f"Cell {cell.cell_num}: {error}\n" + "\n".join(detail))
                raise
            except pytest.skip.Exception:
                run.skipped.add(cell.cell_num)
                raise
            except BaseException as error:
                run.errors.append(f"Cell {cell.cell_num}: {type(error).__name__}: {error}")
                raise
            else:
                run.executed.add(cell.cell_num)
            finally:
                run.finished = time.perf_counter()

        cell.runtest = runtest_and_record

    def order(self, items: list[pytest.Item]) -> None:
        """Move each standalone test whose notebook nbval runs completely right after
        that notebook's last cell, so that it reports a run that has happened."""
        standalone = {}
        for item in items:
            if getattr(item, "originalname", None) == STANDALONE_TEST and hasattr(item, "callspec"):
                path = Path(item.callspec.params["path"]).resolve()
                if path in self.runs and self.runs[path].complete:
                    standalone[path] = item
        if not standalone:
            return
        moved = set(standalone.values())
        ordered = []
        for item in items:
            if item in moved:
                continue
            ordered.append(item)
            path = Path(str(item.path)).resolve()
            if path in standalone and getattr(item, "cell_num", None) == max(self.runs[path].selected):
                ordered.append(standalone.pop(path))
        items[:] = ordered + list(standalone.values())


NOTEBOOK_RUNS = pytest.StashKey[EmptyFolderNotebooks]()


@pytest.hookimpl(trylast=True)  # after -k/-m/--deselect: only the items that will run
def pytest_collection_modifyitems(session, config, items):
    plugin = EmptyFolderNotebooks()
    plugin.install(items)
    _schedule_book_work(config, items)
    _schedule_early_work(config, items)
    plugin.order(items)
    plugin.plan(items)
    config.stash[NOTEBOOK_RUNS] = plugin


@pytest.fixture
def nbval_run(request):
    """``nbval_run(path)``: nbval's run of every cell of that notebook in this session, if
    it is over by now (it normally is: see ``EmptyFolderNotebooks.order``) and skipped no
    cell, else None."""
    plugin = request.config.stash.get(NOTEBOOK_RUNS, None)

    def lookup(path: Path) -> NotebookRun | None:
        run = plugin.runs.get(Path(path).resolve()) if plugin else None
        return run if run is not None and run.over else None

    return lookup
