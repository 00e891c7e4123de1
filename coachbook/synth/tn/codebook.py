"""What each Tennessee file and each of its variables means (the codebook)."""
from __future__ import annotations

from coachbook.synth import FileSpec, Variable


# ---------------------------------------------------------------------------
# Codebook
# ---------------------------------------------------------------------------
_T2 = "Table 2"
_T3 = "Table 3"
_T4 = "Table 4"
_T5 = "Table 5"
_TIME = ("years since data cycle 1 (fall of Year 1): cycle 1 = 0, 2 = .25, 3 = .5, 4 = .9, "
         "5 = 1.05, 6 = 1.3, 7 = 1.55; not printed, set from the calendar in the text and the "
         "1.5-year span of RQ2 (ES .95 / .61 per year)")

CODEBOOK: dict[str, FileSpec] = {
    "tn/coaches": FileSpec(
        description=(
            "The coaches of the study. Selection funnel (Participants): 62 complete applications, "
            "written and oral tasks scored on a five-dimension rubric, 32 coaches selected for "
            "Year 1; two of them did not continue into Year 2 (one retired, one left because of "
            "disorder in her coaching context) and two more were invited from the original "
            "applicant pool for Year 2, so 34 coaches in all (32 per year). The 28 applicants "
            "never coached are not represented. Per-coach context and base are not published: "
            "they are random and only illustrative."),
        unit="coach",
        variables=(
            Variable("coach_id", "str", "coach identifier", "C01-C34", "Participants"),
            Variable("selection", "category", "how the coach entered the study",
                     "initial_selection (32 of 62 applicants), invited_year2 (2, from the applicant pool)",
                     "Participants"),
            Variable("year_joined", "int", "study year of the coach's first coaching cycle", "1, 2",
                     "Participants"),
            Variable("last_year", "int", "study year of the coach's last coaching cycle "
                     "(1 = left after Year 1)", "1, 2", "Participants"),
            Variable("active_year1", "int", "coached in Year 1 (2014-15)", "0, 1", "Participants"),
            Variable("active_year2", "int", "coached in Year 2 (2015-16)", "0, 1", "Participants"),
            Variable("context", "category", "coaching context (illustrative, not published per coach)",
                     "urban, suburban, rural", "Participants (categories only)"),
            Variable("base", "category", "formal coaching role (illustrative, not published per coach)",
                     "school, district", "Participants (categories only)"),
            Variable("n_teachers_year1", "int", "partner teachers coached in Year 1",
                     "0-3 (65 in all; one coach had three)", "Table 2; Participants"),
            Variable("n_teachers_year2", "int", "partner teachers coached in Year 2",
                     "0-2 (62 in all)", "Table 2; Participants"),
        ),
    ),
    "tn/teachers": FileSpec(
        description=(
            "The 103 partner teachers with their coach, years of participation and data "
            "availability, exactly as in Table 2. A data cycle is counted as incomplete when its "
            "preconference, its lesson video or both are missing (uncoached cycles 4 and 7 have "
            "only a video)."),
        unit="partner teacher (one coach-teacher pair)",
        variables=(
            Variable("teacher_id", "str", "teacher identifier (Year 1 teachers first)", "T001-T103", _T2),
            Variable("coach_id", "str", "the teacher's coach (the same in both years)", "C01-C34",
                     "Participants"),
            Variable("cohort", "category", "years of participation; Table 2 rows 'Participated in "
                     "Years 1 and 2', 'in Year 1 only', 'in Year 2 only'",
                     "both_years (24), year1_only (41), year2_only (38)", _T2),
            Variable("in_year1", "int", "coached in Year 1", "0, 1", _T2),
            Variable("in_year2", "int", "coached in Year 2", "0, 1", _T2),
            Variable("n_data_cycles", "int", "data cycles expected for the cohort",
                     "7 (both years), 3 (Year 1 only), 4 (Year 2 only)", _T2),
            Variable("n_incomplete_cycles", "int", "expected data cycles with a missing "
                     "preconference and/or video", "0, 1, 2", _T2),
            Variable("data_availability", "category", "Table 2 column",
                     "complete (73), one_incomplete (25), two_incomplete (5)", _T2),
            Variable("n_preconferences", "int", "preconferences in tn/preconferences",
                     "1-5 (311 in all; mean 3.02)", "Table 4; Analytic approach"),
            Variable("n_lessons", "int", "lesson videos in tn/lessons",
                     "2-7 (410 in all; mean 3.98)", "Table 5; Analytic approach"),
        ),
    ),
    "tn/preconferences": FileSpec(
        description=(
            "Scored prelesson planning conferences (data cycles 1, 2, 3, 5, 6 = coaching cycles "
            "1-5): 63, 65, 64, 61, 58. Per-cycle means and SDs of every item and of the composite "
            "match Table 4 (items by construction, composite SD by calibration). Join to "
            "tn/lessons on preconference_id (or teacher_id + data_cycle)."),
        unit="preconference (teacher x data cycle)",
        variables=(
            Variable("preconference_id", "str", "preconference identifier", "PC001-PC311", _T4),
            Variable("teacher_id", "str", "partner teacher (coach-teacher pair)", "T001-T103", _T2),
            Variable("coach_id", "str", "coach", "C01-C34", "Participants"),
            Variable("data_cycle", "int", "data cycle", "1, 2, 3, 5, 6", _T3),
            Variable("year", "int", "study year", "1 (cycles 1-3), 2 (cycles 5-6)", _T3),
            Variable("coaching_cycle", "int", "coaching cycle", "1-5", _T3),
            Variable("time", "float", "time in years for growth models; " + _TIME,
                     "0, .25, .5, 1.05, 1.3", "Text: RQ1 effect sizes, RQ2"),
            Variable("appropriate_content", "int", "mathematics content appropriate for the grade "
                     "level (Table 4 values are model-based marginal means, footnote a)",
                     "0, 1", "Table 1; Table 4"),
            Variable("solution_paths", "int", "discussion of student thinking: multiple solution "
                     "paths", "0-3", "Table 1; Table 4"),
            Variable("advancing_questions", "int", "discussion of pedagogy: advancing questions, "
                     "raw rubric", "0-2", "Table 1"),
            Variable("advancing_questions_rescaled", "float", "advancing questions on the 0-3 scale "
                     "(= 1.5 x raw, endnote 1); the scale of Table 4", "0, 1.5, 3", "Table 4"),
            Variable("math_content", "int", "discussion of specific math content", "0-3",
                     "Table 1; Table 4"),
            Variable("composite", "float", "preconference depth and specificity = mean(3 x "
                     "appropriate_content, solution_paths, advancing_questions_rescaled, "
                     "math_content); reproduces Table 4's composite means", "0-3", _T4),
        ),
    ),
    "tn/lessons": FileSpec(
        description=(
            "Scored lesson videos in data cycles 1-7: 62, 65, 62, 60, 55, 53, 53 (Table 5). "
            "Cycles 4 (Year 2 baseline) and 7 (Year 2 postcoaching) are uncoached. Per-cycle M and "
            "SD of the opportunities composite and of coach assists match Table 5. 15 teachers "
            "(15%) score 8 on their first recorded video (maintenance = 8; the 'Init. Tch. at "
            "Ceiling' indicator) and 32 (31%) score 6-7.5. The first recorded video is the "
            "cycle-1 video for Year 1 teachers and the cycle-4 baseline for Year 2-only teachers "
            "(the next one when that is missing)."),
        unit="lesson video (teacher x data cycle)",
        variables=(
            Variable("lesson_id", "str", "video identifier", "L001-L410", _T5),
            Variable("teacher_id", "str", "partner teacher", "T001-T103", _T2),
            Variable("coach_id", "str", "coach", "C01-C34", "Participants"),
            Variable("data_cycle", "int", "data cycle", "1-7", _T3),
            Variable("year", "int", "study year", "1 (cycles 1-3), 2 (cycles 4-7)", _T3),
            Variable("coaching_cycle", "int", "coaching cycle; 0 for the uncoached videos",
                     "0-5", _T3),
            Variable("coached", "int", "video from a coached cycle (Table 5 'Coached cycle?')",
                     "0 (cycles 4, 7), 1", _T5),
            Variable("time", "float", "time in years for growth models; " + _TIME,
                     "0-1.55", "Text: RQ2"),
            Variable("has_preconference", "int", "the same teacher and cycle has a scored "
                     "preconference", "0, 1", "Table 4"),
            Variable("preconference_id", "str", "the linked preconference; empty when none "
                     "(uncoached cycle or missing preconference)", "PC001-PC311 or empty", "Table 4"),
            Variable("rater_id", "str", "video rater (seven raters, videos evenly distributed)",
                     "R1-R7", "Measures"),
            Variable("coach_assists", "int", "degree the coach assisted during the lesson",
                     "0 = none, 1 = minor prompts, 2 = helped coteach", "Table 1; Table 5"),
            Variable("demand_written_to_setup", "int", "maintenance of cognitive demand from task "
                     "as written to task as set up", "1-4", "Table 1"),
            Variable("demand_setup_to_enactment", "int", "maintenance of cognitive demand from set "
                     "up to enactment", "1-4", "Table 1"),
            Variable("maintenance_of_demand", "int", "maintenance of cognitive demand = sum of the "
                     "two ratings", "2-8", "Table 1"),
            Variable("attention_raw", "int", "attention to student thinking, raw rubric", "1-4",
                     "Table 1"),
            Variable("attention_to_student_thinking", "int", "attention to student thinking "
                     "converted to 2-8 (= 2 x raw)", "2, 4, 6, 8", "Table 1"),
            Variable("opportunities", "float", "students' opportunities to engage in conceptual "
                     "thinking = mean(maintenance_of_demand, attention_to_student_thinking)",
                     "2-8 in steps of .5", _T5),
        ),
    ),
    "tn/double_scored": FileSpec(
        description=(
            "The 33 Year 1 videos scored by two raters, two rows per video (rating 1 = the score "
            "in tn/lessons, rating 2 = the second rater). 22 videos have no assist coded by either "
            "rater and 11 have an assist coded by at least one. The ICCs of the opportunities "
            "composite, coachbook.estimators.icc.icc(data, 'lesson_id', 'rating', 'opportunities'), "
            "are calibrated in the ICC(1,1) form (one-way random: each video had its own pair of "
            "raters): about .62 for all 33, .72 for assist_subset == 'none' (n = 22) and .52 for "
            "'any' (n = 11); the two-way forms are close because the rating slot carries no "
            "systematic effect."),
        unit="rating of a double-scored video (lesson x rating)",
        variables=(
            Variable("lesson_id", "str", "video (joins tn/lessons)", "33 of L001-L410 (Year 1)",
                     "Measures"),
            Variable("rating", "int", "1 = primary score (as in tn/lessons), 2 = reliability "
                     "rescore", "1, 2", "Measures"),
            Variable("rater_id", "str", "who gave this rating (the two raters differ)", "R1-R7",
                     "Measures"),
            Variable("demand_written_to_setup", "int", "as in tn/lessons", "1-4", "Table 1"),
            Variable("demand_setup_to_enactment", "int", "as in tn/lessons", "1-4", "Table 1"),
            Variable("maintenance_of_demand", "int", "as in tn/lessons", "2-8", "Table 1"),
            Variable("attention_raw", "int", "as in tn/lessons", "1-4", "Table 1"),
            Variable("attention_to_student_thinking", "int", "as in tn/lessons", "2, 4, 6, 8",
                     "Table 1"),
            Variable("opportunities", "float", "opportunities composite; the score whose ICC is "
                     "reported", "2-8", "Measures: ICC .62, .72, .52"),
            Variable("coach_assists", "int", "this rater's coach-assist code", "0-2", "Measures"),
            Variable("assist_subset", "category", "none = both raters coded no assist (n = 22); "
                     "any = at least one coded an assist (n = 11)", "none, any",
                     "Measures: ICC .72 (n = 22), .52 (n = 11); endnote 2"),
        ),
    ),
}
