"""Time the expensive parts of the book and its test suite, and print a table.

    .venv/bin/python benchmarks/run.py                     # everything
    .venv/bin/python benchmarks/run.py --only generators fit_mixed --repeat 3
    .venv/bin/python benchmarks/run.py --only chapters --notebooks chapters/02-rct/costs.ipynb

Sections (``--only``):

chapters    each chapter notebook executed top to bottom, as a reader's copy in an
            empty temporary folder (what nbval does in ``make test``)
build       the HTML book (``jupyter-book build -W -n --keep-going --all``), then the
            LaTeX builder into the same output folder (reusing the HTML build's
            environment, as tests/test_publishing.py does) and, for comparison,
            into a fresh one
generators  each synthetic-data generator of ``coachbook.synth`` and ``write_all``
fit_mixed   ``coachbook.estimators.mixed.fit_mixed`` on a random-intercept and a
            random-slope model of the bundled data

A benchmark, not a test: it asserts nothing about speed and pytest does not
collect it (``testpaths`` are tests/ and chapters/). Timings are wall-clock
seconds (the median of ``--repeat`` runs where repeating is cheap) and move
with whatever else the machine is doing: the load average is printed with them.
"""
from __future__ import annotations

import os

# As `make test` runs: one BLAS thread, so that timings and numbers are those of the suite.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
os.environ.setdefault("PYTHONHASHSEED", "0")

import argparse  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = ("chapters", "build", "generators", "fit_mixed")
Row = tuple[str, str, float, str]  # section, what, seconds, note


def _timed(function, repeat: int = 1) -> tuple[float, object]:
    times, result = [], None
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def chapters(args) -> list[Row]:
    from coachbook.book import notebooks

    paths = [Path(p).resolve() for p in args.notebooks] if args.notebooks else notebooks.chapter_notebooks()
    rows = []
    for path in paths:
        with tempfile.TemporaryDirectory(prefix="bench-nb-") as folder:
            copy = Path(folder) / path.name
            shutil.copyfile(path, copy)
            try:
                seconds, note = notebooks.execute(copy), ""
            except Exception as error:  # report and go on: a benchmark, not a test
                seconds, note = float("nan"), f"failed: {type(error).__name__}"
        rows.append(("chapters", path.relative_to(ROOT).as_posix(), seconds, note))
        _progress(rows[-1])
    rows.append(("chapters", "all chapters", sum(r[2] for r in rows), f"{len(paths)} notebooks"))
    return rows


def _jupyter_book(output: Path, builder: str, *extra: str) -> tuple[float, str]:
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT), "--builder", builder,
               "--path-output", str(output), "-W", "-n", "--keep-going", *extra]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    log = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)
    note = "ok" if result.returncode == 0 else f"exit {result.returncode}"
    # Sphinx's own account of what it read: "0 added, 0 changed, 0 removed" = environment reused.
    environment = re.search(r"^updating environment: (.*)$", log, flags=re.M)
    if environment:
        note += f"; read: {environment.group(1).strip()}"
    return seconds, note


def build(args) -> list[Row]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-book-") as shared, \
            tempfile.TemporaryDirectory(prefix="bench-latex-") as fresh:
        for what, output, builder, extra in [
            ("html (--all, fresh folder)", shared, "html", ("--all",)),
            ("latex (same folder as html)", shared, "latex", ()),
            ("latex (fresh folder)", fresh, "latex", ()),
        ]:
            seconds, note = _jupyter_book(Path(output), builder, *extra)
            rows.append(("build", what, seconds, note))
            _progress(rows[-1])
    return rows


def generators(args) -> list[Row]:
    from coachbook import synth
    from coachbook.synth import SEED, tn
    from coachbook.synth.mqi_outcomes import generate_outcomes
    from coachbook.synth.mqi_roster import generate_roster

    roster = generate_roster(SEED)
    rows = []
    cases = [
        ("mqi_roster.generate_roster", lambda: generate_roster(SEED), args.repeat),
        ("mqi_outcomes.generate_outcomes", lambda: generate_outcomes(SEED, roster["mqi/teachers"]), 1),
        ("tn.generate", lambda: tn.generate(SEED), args.repeat),
        ("synth.generate_all", synth.generate_all, 1),
    ]
    for what, function, repeat in cases:
        seconds, _ = _timed(function, repeat)
        rows.append(("generators", what, seconds, f"median of {repeat}" if repeat > 1 else ""))
        _progress(rows[-1])
    with tempfile.TemporaryDirectory(prefix="bench-synth-") as folder:
        seconds, written = _timed(lambda: synth.write_all(Path(folder)))
        rows.append(("generators", "synth.write_all", seconds, f"{len(written)} files"))
        _progress(rows[-1])
    return rows


def fit_mixed(args) -> list[Row]:
    from coachbook.book import data
    from coachbook.estimators.mixed import fit_mixed as fit
    from coachbook.studies import kraft_hill

    teachers = data.load("mqi/teachers")
    survey = data.load("mqi/student_survey")
    year2 = survey[survey["year"] == 2]
    controls = list(kraft_hill.TEACHER_CONTROLS)
    students = year2[["teacher_id"]].assign(y=kraft_hill.ambitious_scale(year2)).merge(
        teachers[["teacher_id", "treatment", "block", *controls]], on="teacher_id")
    intercept_formula = "y ~ " + " + ".join(["treatment", *controls]) + " + C(block)"
    preconferences = data.load("tn/preconferences")
    cases = [
        (f"random intercept: MQI year-2 survey ({len(students)} students)",
         lambda: fit(intercept_formula, students, groups="teacher_id")),
        (f"random slope: TN preconferences ({len(preconferences)} occasions)",
         lambda: fit("composite ~ time", preconferences, groups="teacher_id", re_formula="~time")),
    ]
    rows = []
    for what, function in cases:
        seconds, _ = _timed(function, args.repeat)
        rows.append(("fit_mixed", what, seconds, f"median of {args.repeat}" if args.repeat > 1 else ""))
        _progress(rows[-1])
    return rows


def _progress(row: Row) -> None:
    print(f"  {row[0]:<11} {row[1]:<60} {row[2]:8.2f} s  {row[3]}", file=sys.stderr, flush=True)


def table(rows: list[Row]) -> str:
    width = max([len(r[1]) for r in rows] + [4])
    lines = [f"{'section':<11} {'what':<{width}} {'seconds':>8}  note", "-" * (width + 32)]
    lines += [f"{section:<11} {what:<{width}} {seconds:8.2f}  {note}" for section, what, seconds, note in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS), help="sections to time")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the cheap cases; the median is shown")
    parser.add_argument("--notebooks", nargs="+", help="chapter notebooks to time (default: all)")
    args = parser.parse_args(argv)

    load = os.getloadavg()
    print(f"{platform.node()}: Python {platform.python_version()}, {len(os.sched_getaffinity(0))} cores, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", file=sys.stderr)
    runners = {"chapters": chapters, "build": build, "generators": generators, "fit_mixed": fit_mixed}
    rows: list[Row] = []
    start = time.perf_counter()
    for section in SECTIONS:
        if section in args.only:
            rows += runners[section](args)
    load = os.getloadavg()
    print(table(rows))
    print(f"\ntotal {time.perf_counter() - start:.1f} s; load average at the end {load[0]:.2f} {load[1]:.2f} "
          f"{load[2]:.2f} (other processes on the machine change these timings)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
