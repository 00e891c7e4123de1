"""What each roster file of the MQI trial and each of its variables means (the codebook)."""
from __future__ import annotations

from coachbook.synth import FileSpec, Variable
from coachbook.synth.mqi_roster.pd_survey import PD_LEVELS
from coachbook.synth.mqi_roster.targets import _COACH_BINARY, N_COACHES


#: The 0/1 characteristics the teachers and the coaches files share: one meaning each.
_SHARED = {
    "male": "Male", "black": "Black", "hispanic": "Hispanic", "alt_cert": "Alternative certification",
    "competitive_undergrad": "Undergraduate degree from a very competitive institution",
    "undergrad_math": "Undergraduate degree in mathematics",
    "undergrad_education": "Undergraduate degree in education", "any_grad_degree": "Any graduate degree",
}


def _indicator(name: str, values: str, source: str) -> Variable:
    """A 0/1 characteristic of :data:`_SHARED`, with its values and source in one file."""
    return Variable(name, "int", _SHARED[name], values, source)


def _coach_indicator(name: str, meaning: str | None = None, source: str = "Table 2") -> Variable:
    """A 0/1 coach characteristic; its values state the holders the generator makes
    (``_COACH_BINARY``, the Table 2 count out of 24)."""
    values = f"0/1 ({_COACH_BINARY[name]} of {N_COACHES})"
    if meaning is None:
        return _indicator(name, values, source)
    return Variable(name, "int", meaning, values, source)


# --------------------------------------------------------------------------
# Codebook
# --------------------------------------------------------------------------
_T1 = "Table 1"
_TEACHER_VARS = (
    Variable("teacher_id", "str", "Teacher identifier", "T001-T142"),
    Variable("school_id", "str", "School identifier (teachers in the same school share it)", "S01-S51", "Text: 51 schools"),
    Variable("district", "category", "District", "urban (large urban, 73), suburban (small suburban, 69)", "Text; Table 1"),
    Variable("school_type", "category", "School type (blocking variable within district)", "elementary, K-8, middle, charter", "Randomized Field Trial Design; split assumed"),
    Variable("block", "category", "Randomization block: district-school_type", "7 blocks", "Randomized Field Trial Design"),
    Variable("treatment", "int", "Randomly offered MQI Coaching", "1 = treatment (72), 0 = control (70)", "Text; Table 1"),
    Variable("coach_id", "str", "Coach assigned (treated teachers only; empty for control)", "C01-C24 or empty", "Randomized Field Trial Design (caseloads)"),
    Variable("elementary", "int", "Elementary school teacher (teaches Grades 3-5)", "0/1", _T1),
    Variable("middle", "int", "Middle school teacher (teaches Grades 6-8)", "0/1", _T1),
    Variable("grade", "int", "Grade taught in the implementation year (assumed uniform within level)", "3-8", "Setting: Grades 3-8"),
    _indicator("male", "0/1", _T1),
    Variable("age", "int", "Age in years at baseline", "22-66", _T1),
    _indicator("black", "0/1", _T1),
    _indicator("hispanic", "0/1", _T1),
    Variable("white", "int", "White (Black, Hispanic, White and other race are exclusive)", "0/1", _T1),
    Variable("experience", "int", "Years of teaching experience at baseline", "0-38", f"{_T1}; prose bands 17/44/39%"),
    _indicator("alt_cert", "0/1", _T1),
    _indicator("competitive_undergrad", "0/1", _T1),
    _indicator("undergrad_math", "0/1", _T1),
    _indicator("undergrad_education", "0/1", _T1),
    _indicator("any_grad_degree", "0/1", _T1),
    Variable("masters_education", "int", "Master's degree in education (implies any_grad_degree)", "0/1", _T1),
    Variable("masters_math", "int", "Master's degree in mathematics (2 teachers)", "0/1", "Table 2 (teachers 0.01)"),
    Variable("advanced_courses", "int", "Number of advanced math courses, 1 (none) to 5 (6+); 3+ read as >= 3", "1-5", "Table A3; Table 1"),
    Variable("content_courses", "int", "Number of math content courses, 1 (none) to 5 (6+)", "1-5", "Table A3; Table 1"),
    Variable("methods_courses", "int", "Number of math methods courses, 1 (none) to 5 (6+)", "1-5", "Table A3; Table 1"),
    Variable("advanced_courses_3plus", "int", "Three or more advanced math courses (advanced_courses >= 3)", "0/1", _T1),
    Variable("content_courses_3plus", "int", "Three or more math content courses (content_courses >= 3)", "0/1", _T1),
    Variable("methods_courses_3plus", "int", "Three or more math methods courses (methods_courses >= 3)", "0/1", _T1),
    Variable("mkt", "float", "Mathematical Knowledge for Teaching score, SD units", "about -3 to 3", _T1),
    Variable("openness_feedback", "float", "Baseline scale: openness to feedback, SD units (sample mean 0, SD 1)", "about -3 to 3", "Measures; Table A3"),
    Variable("behavior_challenges", "float", "Baseline scale: challenges with student behavior, SD units", "about -3 to 3", "Measures; Table A3"),
    Variable("reform_practices", "float", "Baseline scale: use of reform practices, SD units", "about -3 to 3", "Measures; Table A3"),
    Variable("in_district_y1", "int", "Taught in the district in 2014-15 (0 = left after randomization, before the school year)", "0/1 (2 zeros)", "Text: 2 left before 2014-15"),
    Variable("in_district_y2", "int", "Still teaching in the district in the follow-up year 2015-16", "0/1", "Table 4"),
    Variable("teaches_math_y2", "int", "Teaches math in the original district in 2015-16", "0/1", "Table 4"),
    Variable("teaches_math_tested_grade_y2", "int", "Teaches math in a tested grade (3-8) in 2015-16", "0/1", "Table 4"),
    Variable("observed_reflection_y1", "int", "Has the lesson-reflection (teacher survey) outcomes, 2014-15", "0/1", "Table A1; Table 5"),
    Variable("observed_ambitious_y1", "int", "Has the student-survey Ambitious Instruction outcome, 2014-15", "0/1", "Table A1; Table 6"),
    Variable("observed_state_test_y1", "int", "Has state math test outcomes for students, 2014-15", "0/1", "Table A1; Table 7"),
    Variable("observed_interim_test_y1", "int", "Has interim (MAP) math test outcomes for students, 2014-15", "0/1", "Table A1; Table 7"),
    Variable("observed_reflection_y2", "int", "Has the lesson-reflection outcomes, 2015-16", "0/1", "Table A1; Tables 5, A3"),
    Variable("observed_mqi_y2", "int", "Has MQI video scores, 2015-16", "0/1", "Table A1; Tables 6, A3"),
    Variable("observed_ambitious_y2", "int", "Has the Ambitious Instruction outcome, 2015-16", "0/1", "Table A1; Tables 6, A3"),
    Variable("observed_state_test_y2", "int", "Has state math test outcomes, 2015-16 (= teaches_math_tested_grade_y2)", "0/1", "Table A1; Tables 7, A3"),
    Variable("observed_interim_test_y2", "int", "Has interim (MAP/Star) test outcomes, 2015-16 (= teaches_math_y2)", "0/1", "Table A1; Tables 7, A3"),
    Variable("coaching_cycles", "int", "Coaching cycles completed in 2014-15 (0 for control and non-participants)", "0-17", "Text; Figure 3"),
    Variable("institute_days", "int", "Days of the two-day summer institute attended (0 for control)", "0-2", "Text: 68 >= 1 day, 61 both"),
)

ROSTER_CODEBOOK: dict[str, FileSpec] = {
    "mqi/teachers": FileSpec(
        "Teachers randomized in the MQI Coaching trial, with baseline characteristics "
        "(Table 1), follow-up status (Table 4) and which outcomes each has (Table A1).",
        "one teacher", _TEACHER_VARS),
}

_T2 = "Table 2"
_COACH_VARS = (
    Variable("coach_id", "str", "Coach identifier", "C01-C24"),
    Variable("district", "category", "District of (most of) the coach's teachers; coaches specialized in one district where possible", "urban, suburban", "Randomized Field Trial Design"),
    Variable("n_teachers", "int", "Treated teachers coached (caseload)", "1-6: two coaches 1, one coach 6, others 2-4", "Randomized Field Trial Design"),
    _coach_indicator("male"),
    Variable("age", "int", "Age in years", "24-65; mean 38.33", _T2),
    _coach_indicator("black"),
    _coach_indicator("hispanic"),
    _coach_indicator("white", "White"),
    Variable("experience", "int", "Years of K-12 classroom teaching (0 if none)", "0-20; mean 4.88", _T2),
    _coach_indicator("alt_cert"),
    _coach_indicator("competitive_undergrad"),
    _coach_indicator("undergrad_math"),
    _coach_indicator("undergrad_education"),
    _coach_indicator("any_grad_degree"),
    _coach_indicator("masters_math", "Master's degree in mathematics"),
    _coach_indicator("masters_education", "Master's degree in education"),
    _coach_indicator("advanced_courses_3plus", "Three or more advanced math courses"),
    _coach_indicator("content_courses_3plus", "Three or more math content courses"),
    _coach_indicator("methods_courses_3plus", "Three or more math methods courses"),
    Variable("mkt", "float", "MKT score in teacher SD units (teachers: mean 0, SD 1)", "mean 1.23, SD 0.6", _T2),
    _coach_indicator("prior_coaching", "Prior experience coaching, mentoring or advising K-12 teachers", source=f"{_T2}; Text"),
    _coach_indicator("prior_k12_math_teacher", "Prior experience as a K-12 math teacher", source=f"{_T2}; Text"),
    _coach_indicator("prior_curriculum_pd", "Prior experience as math curriculum developer / professional developer / mentor"),
    _coach_indicator("prior_math_coach", "Prior experience as a math coach", source=f"{_T2}; Text"),
)

_TXT = "Text (Findings: implementation)"
_SESSION_VARS = (
    Variable("session_id", "str", "Session identifier, in date order", "CS0001-CS0610"),
    Variable("teacher_id", "str", "Coached teacher", "T001-T142 (63 treated teachers)", _TXT),
    Variable("coach_id", "str", "Coach", "C01-C24"),
    Variable("cycle", "int", "Coaching cycle number for the teacher (one session per cycle)", "1-17", f"{_TXT}; Figure 3"),
    Variable("date", "date", "Date of the coach-teacher video conference (ISO)", "2014-10-06 to 2015-06-05", f"{_TXT}: over 68% within 3 weeks of previous"),
    Variable("minutes", "int", "Length of the conference in minutes", "20-100; mean just over an hour", "Figure 4"),
    Variable("focus_domain", "category", "MQI domain the cycle focused on (never Errors)", "Common Core-Aligned Student Practices 45%, Richness 28%, Working with Students 27%", _TXT),
    Variable("stock_clip_reviewed", "int", "Stock clip from the video library reviewed", "0/1 (89%)", _TXT),
    Variable("clip1_reviewed", "int", "First clip of the teacher's lesson reviewed", "0/1 (98%)", _TXT),
    Variable("clip2_reviewed", "int", "Second clip of the teacher's lesson reviewed", "0/1 (91%)", _TXT),
    Variable("sufficient_time", "int", "Coach judged there was enough time for each step", "0/1 (95%)", _TXT),
    Variable("critical_analysis", "int", "Coach: teacher critically analyzed own instruction", "0/1 (87%)", "Text (self-reflection)"),
    Variable("action_step_responsibility", "category", "Coach: who took primary responsibility for the action steps", "teacher 36%, shared 38%, coach 26%", "Text (self-reflection)"),
    Variable("understood_criteria_well", "int", "Coach: teacher understood the MQI scoring criteria well", "0/1 (84%)", "Text (calibration)"),
    Variable("coach_agreed", "int", "Coach agreed with the teacher's analysis of own clips", "0/1 (92%)", "Text (calibration)"),
    Variable("previous_plan_implemented", "category", "Coach: previous cycle's action plan implemented (empty in cycle 1)", "fully 66%, partly 25%, not 9%, or empty", "Text (immediate action)"),
)

_T3 = "Table 3 (control); Figure 2"
_SURVEY_VARS = (
    Variable("teacher_id", "str", "Responding teacher (observed_reflection_y1 == 1)", "119 teachers: 57 control, 62 treated", "Text: 119 of 140; Table 3 n = 57"),
    Variable("treatment", "int", "Randomly offered MQI Coaching", "0/1"),
    Variable("pd_coaching", "category", "Received instructional coaching in math from any source", "; ".join(PD_LEVELS), f"{_T3}: 92% vs 14% monthly or more"),
    Variable("pd_workshops", "category", "Attended workshops or trainings about math instruction", "as pd_coaching", _T3),
    Variable("pd_collaboration", "category", "Collaboratively planned or debriefed about math instruction with other teachers", "as pd_coaching", _T3),
    Variable("pd_evaluation_feedback", "category", "Received feedback on math instruction in a formal or informal evaluation", "as pd_coaching", _T3),
    Variable("pd_peer_feedback", "category", "Received feedback on math instruction from mentor/peer teachers in the district", "as pd_coaching", _T3),
    Variable("knows_coached_teacher", "int", "Control only: knows a teacher who received MQI Coaching (empty for treated)", "0/1 (75%)", "Online appendix: spillover"),
    Variable("talked_with_coached_teacher", "int", "Control only: ever talked with a coached teacher about it", "0/1 (19%)", "Online appendix: spillover"),
    Variable("coplanned_with_coached_teacher", "int", "Control only: planned instruction collaboratively with a treatment teacher", "0/1 (6 teachers)", "Online appendix: spillover"),
    Variable("changed_instruction_from_coached", "int", "Control only: changed math instruction using treatment teachers' ideas", "0/1 (5 teachers)", "Online appendix: spillover"),
    Variable("teacher_reported_responsibility", "category", "Treated only: who took primary responsibility for identifying action steps", "teacher 41%, shared 46%, coach 13%, or empty", "Text (self-reflection)"),
    Variable("implemented_action_steps_often", "int", "Treated only: often or always implemented the action steps (empty for control)", "0/1 (87%)", "Text (immediate action)"),
)

ROSTER_CODEBOOK.update({
    "mqi/coaches": FileSpec(
        "MQI coaches with the characteristics of Table 2 and their caseloads.",
        "one coach", _COACH_VARS),
    "mqi/coaching_sessions": FileSpec(
        "Coaching sessions (one per cycle) of treated teachers in 2014-15, with the "
        "coach's post-conversation survey (implementation fidelity).",
        "one coaching session", _SESSION_VARS),
    "mqi/pd_survey": FileSpec(
        "End-of-implementation-year teacher survey on professional development "
        "(Table 3, Figure 2), spillover (control) and action steps (treated).",
        "one responding teacher", _SURVEY_VARS),
})
