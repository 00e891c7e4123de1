"""Every number of Kraft & Hill's (2019) impact tables, as the book computes them.

The single place that checks the tables the book reproduces for the MQI
Coaching trial: Table 4 (retention), Tables 5-7 (effects, including the Lee
bound columns of Tables 6 and 7), Table A1 (attrition from each outcome) and
the joint F-tests of Table A3. The numbers are computed on the *bundled*
synthetic data with the same package functions the chapters call
(``coachbook.estimators.attrition.lpm_block_fe``, ``coachbook.studies.kraft_hill.table5_estimates``
... ``table7_estimates``, ``coachbook.estimators.attrition.joint_attrition_test``) and
joined to ``data/published/kraft_hill_2019.csv`` on its four key columns.

Tolerances (replicated vs published):

- preferred estimates (column "Controls"; every estimate of Tables 4 and A1,
  which have one model only) within 0.25 published SE;
- unconditional estimates within 1 published SE;
- Lee bounds (sharp) within 1 published SE, and on the other side of p = .05
  from the published stars only where the book says so;
- every standard error within 25% of the published one;
- every estimate of a model (not the Lee bounds) on the same side of p = .05
  as the published stars;
- sample sizes exactly;
- Table A3 joint-test p-values on the same side of .05.

``tests/test_synth_mqi_roster.py`` and ``tests/test_synth_mqi_outcomes.py``
check parts of this too, alongside the generators; this module is the
book-level summary, one test per rule.
"""
from __future__ import annotations

import pandas as pd
import pytest

from coachbook.book import data, published
from coachbook.estimators import attrition
from coachbook.studies import kraft_hill
from coachbook.studies.kraft_hill import A3_CHARACTERISTICS, TABLE_A1_FLAGS

PAPER = "kraft_hill_2019"
KEYS = ["table", "panel", "row", "column"]
OUTCOME_FILES = ["mqi/reflections", "mqi/student_survey", "mqi/mqi_segments", "mqi/student_tests"]
TABLES = ["Table 4", "Table 5", "Table 6", "Table 7", "Table A1"]
TREAT, CONSTANT = "Treat", "Constant (control group mean)"
LEE = ["Unconditional (lower bound)", "Unconditional (upper bound)"]

#: Table 4 column -> 0/1 follow-up status in mqi/teachers.
TABLE4 = {
    "Teach in district": "in_district_y2",
    "Teach math": "teaches_math_y2",
    "Teach math in grade with high-stakes math test": "teaches_math_tested_grade_y2",
}
#: Table A1 (panel, column) -> observation flag; the model's outcome is 1 - flag.
TABLE_A1 = TABLE_A1_FLAGS
#: Table A3 outcome group -> observation flag.
TABLE_A3 = {
    "Teacher survey": "observed_reflection_y2", "MQI scores": "observed_mqi_y2",
    "Student survey": "observed_ambitious_y2", "State test": "observed_state_test_y2",
    "Interim test": "observed_interim_test_y2",
}


def _lpm_rows(table, panel, column, frame, outcome):
    res = attrition.lpm_block_fe(frame, outcome)
    return [
        {"table": table, "panel": panel, "row": TREAT, "column": column,
         "estimate": res.estimate, "se": res.se, "p": res.p},
        {"table": table, "panel": panel, "row": CONSTANT, "column": column,
         "estimate": res.constant, "se": res.constant_se, "p": res.constant_p},
        {"table": table, "panel": panel, "row": "N", "column": column,
         "estimate": float(res.n), "se": float("nan"), "p": float("nan")},
    ]


@pytest.fixture(scope="module")
def teachers() -> pd.DataFrame:
    return data.load("mqi/teachers")


@pytest.fixture(scope="module")
def numbers() -> pd.DataFrame:
    return published.load(PAPER)


@pytest.fixture(scope="module")
def replicated(teachers) -> pd.DataFrame:
    files = {name: data.load(name) for name in OUTCOME_FILES}
    rows = []
    for column, status in TABLE4.items():
        rows += _lpm_rows("Table 4", "", column, teachers, status)
    for (panel, column), flag in TABLE_A1.items():
        rows += _lpm_rows("Table A1", panel, column, teachers.assign(missing=1 - teachers[flag]),
                          "missing")
    tables = [pd.DataFrame(rows), kraft_hill.table5_estimates(files, teachers),
              kraft_hill.table6_estimates(files, teachers), kraft_hill.table7_estimates(files, teachers)]
    return pd.concat([t[KEYS + ["estimate", "se", "p"]] for t in tables], ignore_index=True)


@pytest.fixture(scope="module")
def merged(replicated, numbers) -> pd.DataFrame:
    pub = numbers[numbers["table"].isin(TABLES)][KEYS + ["estimate", "se", "stars"]]
    out = replicated.merge(pub, on=KEYS, how="outer", suffixes=("", "_pub"),
                           validate="one_to_one", indicator=True)
    return out


def _show(rows: pd.DataFrame) -> str:
    cols = ["table", "panel", "row", "column", "estimate", "estimate_pub", "se", "se_pub", "p", "stars"]
    return "\n" + rows[[c for c in cols if c in rows]].round(3).to_string()


def _is_size(frame: pd.DataFrame) -> pd.Series:
    return frame["row"].eq("N") | frame["column"].isin(["n (teachers)", "n (students)"])


# ---------------------------------------------------------------------------
def test_every_published_number_is_replicated_and_nothing_else(merged):
    assert len(merged) > 0
    unmatched = merged[merged["_merge"] != "both"]
    assert unmatched.empty, _show(unmatched)


def test_sample_sizes_are_exact(merged):
    sizes = merged[_is_size(merged)]
    assert len(sizes) == 3 + 9 + 6 + 8 + 8   # Tables 4, A1, 5, 6, 7
    bad = sizes[sizes["estimate"] != sizes["estimate_pub"]]
    assert bad.empty, _show(bad)


def test_preferred_estimates_within_a_quarter_of_a_published_se(merged):
    one_model = merged["table"].isin(["Table 4", "Table A1"]) & merged["row"].isin([TREAT, CONSTANT])
    cells = merged[one_model | merged["column"].eq("Controls")]
    assert len(cells) == 2 * 3 + 2 * 9 + 16   # Tables 4, A1 (treat and constant); 5-7 Controls
    bad = cells[(cells["estimate"] - cells["estimate_pub"]).abs() > 0.25 * cells["se_pub"]]
    assert bad.empty, _show(bad)


def test_unconditional_estimates_within_one_published_se(merged):
    cells = merged[merged["column"].eq("Unconditional")]
    assert len(cells) == 16
    bad = cells[(cells["estimate"] - cells["estimate_pub"]).abs() > cells["se_pub"]]
    assert bad.empty, _show(bad)


def test_lee_bounds_within_one_published_se(merged):
    cells = merged[merged["column"].isin(LEE)]
    assert len(cells) == 2 * (5 + 2)   # Table 6 B: Ambitious + 4 MQI domains; Table 7 B: 2 tests
    bad = cells[(cells["estimate"] - cells["estimate_pub"]).abs() > cells["se_pub"]]
    assert bad.empty, _show(bad)


def test_lee_bounds_off_the_published_side_of_05_are_the_two_the_book_names(merged):
    """Lee bounds are sharp (the teacher at the cut point enters with the fraction kept);
    only two of the 14 fall on the other side of p = .05 from the published stars, both
    borderline and named in the attrition chapter: Common Core practices (lower, .032
    against + in the paper) and Errors (upper, .040 against +)."""
    cells = merged[merged["column"].isin(LEE)]
    published_sig = cells["stars"].fillna("").isin(["*", "**", "***"])
    flips = cells[published_sig != (cells["p"] < 0.05)]
    assert set(zip(flips["row"], flips["column"])) == {
        ("MQI Common core-aligned student practices", LEE[0]), ("MQI Errors", LEE[1])}, _show(flips)
    assert flips["p"].between(0.025, 0.05).all(), _show(flips)


def test_every_standard_error_within_25_percent(merged):
    cells = merged[merged["se_pub"].notna()]
    assert len(cells) == 2 * 3 + 2 * 9 + 32 + 14   # 4, A1, Tables 5-7 models, Lee bounds
    ratio = cells["se"] / cells["se_pub"]
    bad = cells[(ratio < 0.75) | (ratio > 1.25)]
    assert bad.empty, _show(bad)


def test_significance_at_5_percent_matches_the_published_stars(merged):
    cells = merged[merged["se_pub"].notna() & ~merged["column"].isin(LEE)]
    published_sig = cells["stars"].fillna("").isin(["*", "**", "***"])
    bad = cells[published_sig != (cells["p"] < 0.05)]
    assert bad.empty, _show(bad)


@pytest.mark.parametrize("group, flag", list(TABLE_A3.items()))
def test_table_a3_joint_test_on_the_same_side_of_05(teachers, numbers, group, flag):
    joint = attrition.joint_attrition_test(teachers, A3_CHARACTERISTICS, flag)
    want = numbers[(numbers["table"] == "Table A3") & (numbers["panel"] == group)
                   & (numbers["row"] == "p-value from joint F-test")]["estimate"].item()
    assert joint.df_num == 20   # 21 characteristics; middle school = 1 - elementary is dropped
    assert (joint.p < 0.05) == (want < 0.05), (group, joint.p, want)


# ---------------------------------------------------------------------------
# The same numbers under other BLAS kernels and thread counts
# ---------------------------------------------------------------------------
#: Run in a fresh interpreter: print the BLAS architecture(s) and every number of
#: Tables 5-7 and of the Tennessee repeated-measures tests, as JSON (repr floats).
_KERNEL_SCRIPT = r"""
import json, warnings
import numpy as np
import threadpoolctl
from coachbook.book import data
from coachbook.estimators.repeated_measures import rm_anova, rm_logistic
from coachbook.studies import kraft_hill

warnings.simplefilter("ignore")
files = {n: data.load(n) for n in
         ["mqi/reflections", "mqi/student_survey", "mqi/mqi_segments", "mqi/student_tests"]}
teachers = data.load("mqi/teachers")
numbers = {}
for table in (kraft_hill.table5_estimates, kraft_hill.table6_estimates, kraft_hill.table7_estimates):
    for row in table(files, teachers).itertuples():
        for what in ("estimate", "se", "p"):
            numbers["|".join([row.table, row.panel, row.row, row.column, what])] = getattr(row, what)
pre = data.load("tn/preconferences")
for item in ["solution_paths", "advancing_questions_rescaled", "math_content", "composite"]:
    test = rm_anova(pre, "teacher_id", "data_cycle", item, singletons="keep", scale=(0, 3))
    for what, value in [("F", test.statistic), ("df2", test.df2), ("p", test.p_value),
                        ("tau2", test.details["tau2"]), ("sigma2", test.details["sigma2"]),
                        *[(f"mean {k}", v) for k, v in test.means.items()]]:
        numbers[f"rm_anova|{item}|{what}"] = float(value)
test = rm_anova(data.load("tn/lessons"), "teacher_id", "data_cycle", "coach_assists", scale=(0, 2))
numbers.update({"rm_anova|coach_assists|F": test.statistic, "rm_anova|coach_assists|df2": test.df2})
test = rm_logistic(pre, "teacher_id", "data_cycle", "appropriate_content", singletons="keep")
numbers.update({"rm_logistic|chi2": test.statistic, "rm_logistic|p": test.p_value})
arch = sorted({str(i.get("architecture")) for i in threadpoolctl.threadpool_info()
               if i.get("internal_api") == "openblas"})
print(json.dumps({"architecture": arch, "numbers": {k: float(v) for k, v in numbers.items()}}))
"""

#: (label, environment) of the runs compared with the default kernel.
_KERNELS = [("Sandybridge, 2 threads", {"OPENBLAS_CORETYPE": "Sandybridge",
                                        "OPENBLAS_NUM_THREADS": "2"}),
            ("Prescott, 1 thread", {"OPENBLAS_CORETYPE": "Prescott", "OPENBLAS_NUM_THREADS": "1"})]


def run_under_kernels(root) -> dict:
    """Run :data:`_KERNEL_SCRIPT` under the default kernel and each of :data:`_KERNELS`;
    return each run's JSON, or its error. Started in the background at the beginning of
    the session (tests/conftest.py, ``EARLY_STEPS``)."""
    from conftest import run_script_under_kernels

    return run_script_under_kernels(_KERNEL_SCRIPT, root, [("default", {}), *_KERNELS],
                                    drop=("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"))


EARLY_STEPS = {"kernel_runs": run_under_kernels}


@pytest.fixture(scope="module")
def kernel_runs(root):
    from conftest import book_work

    return book_work("kernel_runs", lambda: run_under_kernels(root))


def test_tables_5_to_7_and_repeated_measures_tests_agree_across_blas_kernels(kernel_runs):
    """The stored outputs are checked on other machines: every number must be the same to
    1e-9 under other OpenBLAS kernels and thread counts (optimizers converged to rounding)."""
    import numpy as np

    results = dict(kernel_runs)
    for label, r in results.items():
        assert "error" not in r, f"{label}: {r.get('error')}"
    default = results.pop("default")
    if not default["architecture"]:
        pytest.skip("numpy/scipy do not use OpenBLAS here; OPENBLAS_CORETYPE has no effect")
    same = [label for label, r in results.items() if r["architecture"] == default["architecture"]]
    if same:
        pytest.skip(f"OPENBLAS_CORETYPE did not change the kernel ({default['architecture']}) "
                    f"for {same}: this OpenBLAS build cannot switch kernels, nothing to compare")
    want = default["numbers"]
    assert len(want) > 100
    for label, r in results.items():
        got = r["numbers"]
        assert got.keys() == want.keys(), label
        bad = {k: (want[k], got[k]) for k in want
               if not (np.isnan(want[k]) and np.isnan(got[k]))
               and not np.isclose(got[k], want[k], rtol=1e-9, atol=0)}
        assert not bad, f"{label} ({r['architecture']}) vs default {default['architecture']}: {bad}"
