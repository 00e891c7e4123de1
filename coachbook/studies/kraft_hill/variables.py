"""The MQI Coaching trial's variables: items, measures, controls and the labels of its tables.

One definition of every name the paper's analyses, the chapters and the
generator of the synthetic files share: the rubric items (:data:`MQI_ITEMS`,
Appendix A), the survey items, the reflection measures, the teacher controls
of the preferred models, the baseline characteristics of Table A3, which
teachers-file flag says that an outcome of Table A1 was observed, and the row
and column labels of ``data/published/kraft_hill_2019.csv``.
"""
from __future__ import annotations

PAPER = "kraft_hill_2019"
IMPUTATIONS = 20          # endnote 6
IMPUTATION_SEED = 2019    # seed of the multiple imputations in table7_estimates

#: Race categories of the student files (reference first: Asian/other).
RACES = ("Asian/other", "Black", "Hispanic", "White")

#: The four prior scores of equation 3 (math and reading on the state test and on MAP).
PRIOR_SCORES = ("prior_state_math", "prior_state_read", "prior_map_math", "prior_map_read")

# ---------------------------------------------------------------------------
# Labels: the key columns of data/published/kraft_hill_2019.csv
# ---------------------------------------------------------------------------
UNCOND, CONTROLS = "Unconditional", "Controls"
LOWER, UPPER = "Unconditional (lower bound)", "Unconditional (upper bound)"
N_TEACHERS, N_STUDENTS = "n (teachers)", "n (students)"
T5_PANEL = {1: "Panel A: Implementation year", 2: "Panel B: Follow-up year"}
T67_PANEL = {1: "Panel A: Implementation Year", 2: "Panel B: Follow-up Year"}
REFLECTIONS = {  # column -> Table 5 row
    "mqi_language": "MQI language (stock clip response)",
    "critique": "Critique (own clip reflection)",
    "change": "Change (own clip reflection)",
}
AMBITIOUS_ROW = {1: "Ambitious Instruction", 2: "Ambitious instruction"}
MQI_DOMAINS = {  # domain -> Table 6 row
    "richness": "MQI Richness",
    "wws": "MQI Working with students",
    "errors": "MQI Errors",
    "ccasp": "MQI Common core-aligned student practices",
}
# domain -> row label of the segment-level results (Text) and of the brief's Figure 1
LPM_ROW = {"richness": "Richness", "wws": "Working with Students",
           "ccasp": "Common Core Practices"}
TESTS = {"state": "state_math", "interim": "interim_math"}
T7_ROW = {(1, "state"): "State math test", (1, "interim"): "MAP math test",
          (2, "state"): "State math test", (2, "interim"): "MAP/Star math test"}

#: The 16 MQI items (Appendix A), in the file's column order, by domain.
MQI_ITEMS: dict[str, list[tuple[str, str]]] = {
    "richness": [
        ("rich_linking", "Linking between representations"),
        ("rich_explanations", "Explanations (teacher gives mathematical meaning)"),
        ("rich_sensemaking", "Mathematical sense-making"),
        ("rich_multiple_methods", "Multiple procedures or solution methods"),
        ("rich_generalizations", "Patterns and generalizations"),
        ("rich_language", "Mathematical language"),
    ],
    "ccasp": [
        ("ccsp_explanations", "Students provide mathematical explanations"),
        ("ccsp_reasoning", "Student mathematical questioning and reasoning"),
        ("ccsp_communication", "Students communicate about the mathematics"),
        ("ccsp_task_demand", "Task cognitive demand"),
        ("ccsp_contextualized", "Students work with contextualized problems"),
    ],
    "wws": [
        ("wws_remediation", "Remediation of student errors and difficulties"),
        ("wws_student_contributions", "Teacher uses student contributions"),
    ],
    "errors": [
        ("err_content", "Mathematical content errors"),
        ("err_imprecision", "Imprecision in language and notation"),
        ("err_clarity", "Lack of clarity"),
    ],
}

#: The 11 Ambitious Instruction items. The paper describes them only by
#: example ("whether teachers requested student explanations, pushed them to
#: use mathematical vocabulary, used pictures and diagrams ... challenging
#: content"); these wordings are paraphrases in that spirit, not the items.
SURVEY_ITEMS: list[tuple[str, str]] = [
    ("amb_01", "My teacher asks us to explain how we got our answers."),
    ("amb_02", "My teacher wants us to use math words when we talk about math."),
    ("amb_03", "My teacher uses pictures or diagrams to show math ideas."),
    ("amb_04", "My teacher gives us problems that make us think hard."),
    ("amb_05", "My teacher asks us to solve problems in more than one way."),
    ("amb_06", "We talk with classmates about how we solved problems."),
    ("amb_07", "My teacher asks why a method works, not only how."),
    ("amb_08", "My teacher uses our ideas and mistakes to teach the class."),
    ("amb_09", "We work on problems about real-life situations."),
    ("amb_10", "My teacher connects new math to math we already know."),
    ("amb_11", "My teacher asks us to explain if we agree with a classmate."),
]

#: Teacher-level controls of the paper's preferred ("with controls") models:
#: gender, age, race, certification pathway, any graduate degree, master's in
#: education, numbers of advanced / content / methods math courses, MKT, and
#: the three baseline survey scales (Kraft & Hill 2019, text after eq. 1 and
#: notes to Tables 5-7, A2). Race enters as Black and Hispanic indicators
#: (White and other race together are the reference group).
TEACHER_CONTROLS: list[str] = [
    "male", "age", "black", "hispanic", "alt_cert", "any_grad_degree", "masters_education",
    "advanced_courses", "content_courses", "methods_courses", "mkt",
    "openness_feedback", "behavior_challenges", "reform_practices",
]

#: Table A1 (panel, column) -> the teachers-file flag saying the outcome was
#: observed; the table's regressions model the missing indicator, 1 - flag.
TABLE_A1_FLAGS: dict[tuple[str, str], str] = {
    ("Implementation year", "Video reflection measures"): "observed_reflection_y1",
    ("Implementation year", "Ambitious Instruction"): "observed_ambitious_y1",
    ("Implementation year", "State math test"): "observed_state_test_y1",
    ("Implementation year", "MAP math test"): "observed_interim_test_y1",
    ("Follow-up year", "Video reflection measures"): "observed_reflection_y2",
    ("Follow-up year", "MQI rubric domains"): "observed_mqi_y2",
    ("Follow-up year", "Ambitious Instruction"): "observed_ambitious_y2",
    ("Follow-up year", "State math test"): "observed_state_test_y2",
    ("Follow-up year", "MAP/Star math test"): "observed_interim_test_y2",
}

#: Row labels of a block-FE linear probability model in Tables 4 and A1.
TREAT, CONSTANT = "Treat", "Constant (control group mean)"

#: Table A3's baseline characteristics: column of ``mqi/teachers`` -> row of the table.
A3_ROWS = {
    "elementary": "Elementary school teacher", "middle": "Middle school teacher", "male": "Male",
    "age": "Age (years)", "black": "Black", "hispanic": "Hispanic", "white": "White",
    "experience": "Experience (years)", "alt_cert": "Alternative certification",
    "competitive_undergrad": "Undergraduate degree from very competitive institution",
    "undergrad_math": "Undergraduate degree in math", "undergrad_education": "Undergraduate degree in educ.",
    "any_grad_degree": "Any graduate degree", "masters_education": "Master's degree in education",
    "advanced_courses": "# of advanced math courses", "content_courses": "# of math content courses",
    "methods_courses": "# of math methods courses", "mkt": "Mathematical Knowledge for Teaching (SD)",
    "openness_feedback": "Openness to Feedback (SD)",
    "behavior_challenges": "Challenges with Classroom Behavior (SD)",
    "reform_practices": "Use of Reform Practices (SD)",
}
A3_CHARACTERISTICS = list(A3_ROWS)

#: Table A2's moderators: column of the roster -> row of the table. Experience is in years,
#: the four scales in SD units, the district a 0/1 indicator (1 = small suburban district).
A2_MODERATORS = {"suburban": "Treat*Small Suburban District", "experience": "Treat*Experience",
                 "mkt": "Treat*MKT", "openness_feedback": "Treat*Openness to Feedback",
                 "behavior_challenges": "Treat*Challenges with Classroom Behavior",
                 "reform_practices": "Treat*Use of Reform Practices"}
A2_PANEL = {1: "Panel A: Implementation year", 2: "Panel B: Follow-up year"}
#: Table A2's MQI columns (follow-up year only): domain -> column of the table.
A2_MQI_COLUMNS = {"richness": "Richness", "wws": "Working with students", "errors": "Errors",
                  "ccasp": "CCASP"}
#: Table A2's test columns: column of ``mqi/student_tests`` -> column of the table (both years).
A2_TEST_COLUMNS = {"state_math": "State math test", "interim_math": "MAP/Star math test"}
A2_AMBITIOUS = "Ambitious instruction"
#: Imputations of the prior scores pooled in Table A2's test-score interactions.
A2_IMPUTATIONS = 5

#: Table A3's outcome groups (panels) -> the teachers-file flag of staying in that outcome's sample.
A3_GROUPS = {"Teacher survey": "observed_reflection_y2", "MQI scores": "observed_mqi_y2",
             "Student survey": "observed_ambitious_y2", "State test": "observed_state_test_y2",
             "Interim test": "observed_interim_test_y2"}
A3_JOINT_ROW = "p-value from joint F-test"
