"""Which published numbers the synthetic data were built to reproduce.

A replication on synthetic data tests two different things. Where the
generator was constructed or calibrated to give a published number (a sample
size, a Table 4 mean, a treatment effect solved for by
:mod:`coachbook.synth.mqi_outcomes.calibration`), agreement only shows that the
estimator and the generator are consistent: it is **built in**. Where the
generator never aimed at the number (a moderation pattern, a growth rate, a
chi-square test of a variance component), agreement is evidence that the
method and the design carry the published result: it is **emergent**. Some
transcribed numbers describe the study but are not a property of any bundled
file (a stipend, the district's enrolment, the hours of coach training); they
get no origin.

:func:`origin` classifies one cell by the rules below, written from the
generators' own accounts (the docstrings of :mod:`coachbook.synth.mqi_roster`,
:mod:`coachbook.synth.mqi_outcomes` and :mod:`coachbook.synth.tn`);
:func:`write_origins` stores the result as the ``origin`` column of
``data/published/<paper>.csv``, which the book's comparison tables show.
``tests/test_origin.py`` checks that the column equals the rules and that every
cell the MQI calibration reads is marked built in.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

BUILT_IN, EMERGENT, NOT_IN_DATA = "built in", "emergent", ""

# --- Kraft & Hill (2019) -------------------------------------------------------------------
#: Tables whose every printed number the roster or the outcome calibration targets.
_KH_BUILT_IN_TABLES = {"Table 3", "Table 4", "Table A1", "Table 5", "Brief Figure 1", "Figure 2",
                       "Figure 3", "Figure 4"}
#: Outcomes of Tables 6 and 7 whose Lee bounds the calibration does not target.
_KH_UNTARGETED_BOUNDS = re.compile(r"Ambitious|math test", re.I)
#: Text rows, by pattern of the row label: the first rule that matches decides.
_KH_TEXT = [
    # descriptions of the districts, the literature, training and costs: not in any file
    (r"^(Public schools|Meta-analysis|Lessons with teacher errors|Large urban district|"
     r"Small suburban district|District average|Coach initial training|Baseline scale reliability|"
     r"MKT alpha|Reflection coders|Teachers in bilingual|Cost|Retention savings|Net non-research)",
     NOT_IN_DATA),
    # not targeted, or not reproduced by the design
    (r"^(Coaches \(research brief\)|Ambitious Instruction alpha|MQI-related statements|"
     r"Moderation terms significant)", EMERGENT),
]


def _kraft_hill(table: str, panel: str, row: str, column: str) -> str:
    if table == "Table A2":
        return EMERGENT                        # the generator does not model moderation
    if table in ("Table 1", "Table 2", "Table A3"):
        # means and shares are set cell by cell; the balance and attrition p-values follow
        return EMERGENT if column == "p-value" else BUILT_IN
    if table in ("Table 6", "Table 7"):
        bound = "bound" in column
        return EMERGENT if bound and _KH_UNTARGETED_BOUNDS.search(row) else BUILT_IN
    if table in _KH_BUILT_IN_TABLES:
        return BUILT_IN
    if table == "Text":
        for pattern, verdict in _KH_TEXT:
            if re.search(pattern, row):
                return verdict
        return BUILT_IN                        # design counts, fidelity shares, targeted effects
    raise ValueError(f"no origin rule for Kraft & Hill {table!r}")


# --- Russell et al. (2020) -----------------------------------------------------------------
#: Text rows (panel, row pattern, column pattern or None) and their origin, first match wins.
_RUSSELL_TEXT = [
    # facts of the project that no file holds
    (r"Training|Discussion|RQ1 training timeline", None, None, NOT_IN_DATA),
    (r"Participants", r"stipend|Survey payment|Interview|rubric dimensions|Complete applications",
     None, NOT_IN_DATA),
    (r"Measures", r"coders|transcripts|consensus|Hallgren", None, NOT_IN_DATA),
    (r"Analytic approach|Endnote 4", r"software|SPSS", None, NOT_IN_DATA),
    (r"Project context", r"Trend analyses", None, NOT_IN_DATA),
    (r"RQ1 effect sizes", r"round of coaching", None, NOT_IN_DATA),
    # tuned by hand, or exact by construction (docstring of coachbook.synth.tn)
    (r"RQ1 variance components", r"two-level\)$", None, BUILT_IN),
    (r"RQ1 variance components|Endnote 8", None, r"^df$", BUILT_IN),
    (r"RQ3", None, None, BUILT_IN),
    (r"RQ2 growth in teaching", r"Teachers starting|Videos per teacher|Un-coached", None, BUILT_IN),
    (r"RQ2 growth in teaching", None, r"interval", BUILT_IN),
    (r"Measures", r"^ICC (opportunities|coach assists)", None, BUILT_IN),
    (r"Measures", r"^Year 1 videos$", None, EMERGENT),       # 176 printed; Table 5 has 189
    (r"Measures", r"double-scored", r"percent", EMERGENT),
    (r"RQ1 growth models", r"Increment interval|at data cycle 6|gain over five", None, BUILT_IN),
    (r"RQ1 effect sizes", r"Model-based interval", None, BUILT_IN),
    (r"RQ1 effect sizes", None, None, BUILT_IN),            # d_av from Table 4's M and SD
    (r"Endnote 8", r"Three-level", None, EMERGENT),         # n_j 3.18 fits no count
    (r"RQ1 repeated-measures|RQ1 deviance|Endnote 17", None, r"^df1?$", BUILT_IN),  # design df
    # what the models estimate: not inputs of the generator
    (r"RQ1 repeated-measures|RQ1 growth models|RQ1 deviance|RQ1 variance components|RQ2|"
     r"Endnote 4|Endnote 17", None, None, EMERGENT),
]


def _russell(table: str, panel: str, row: str, column: str) -> str:
    if table != "Text":
        return BUILT_IN                        # Tables 1-5 and the figure captions: by design
    for panel_rule, row_rule, column_rule, verdict in _RUSSELL_TEXT:
        if (re.search(panel_rule, panel) and (row_rule is None or re.search(row_rule, row))
                and (column_rule is None or re.search(column_rule, column))):
            return verdict
    return BUILT_IN                            # counts and scales of the design


_RULES = {"kraft_hill_2019": _kraft_hill, "russell_2020": _russell}


def origin(paper: str, table: str, panel: str, row: str, column: str) -> str:
    """``"built in"``, ``"emergent"`` or ``""`` (not a property of the bundled data)."""
    if paper not in _RULES:
        raise ValueError(f"unknown paper {paper!r}; choose one of {sorted(_RULES)}.")
    return _RULES[paper](table, panel or "", row, column)


def with_origins(paper: str, text: str) -> str:
    """The CSV ``text`` of a transcription with its ``origin`` column set by :func:`origin`
    (added after the last column if missing); every other byte is kept."""
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    if "origin" not in header:
        header.append("origin")
        for row in rows[1:]:
            row.append("")
    at = {name: header.index(name) for name in ("table", "panel", "row", "column", "origin")}
    for row in rows[1:]:
        row[at["origin"]] = origin(paper, row[at["table"]], row[at["panel"]], row[at["row"]],
                                   row[at["column"]])
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def write_origins(folder: Path) -> list[Path]:
    """Set the ``origin`` column of every transcription in ``folder`` (``data/published``)."""
    written = []
    for paper in _RULES:
        path = Path(folder) / f"{paper}.csv"
        path.write_text(with_origins(paper, path.read_text(encoding="utf-8")), encoding="utf-8")
        written.append(path)
    return written
