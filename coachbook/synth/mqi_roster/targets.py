"""The published targets of the MQI roster: design counts, Table 1, Tables 4 and A1, Table A3.

Every number here is taken from Kraft and Hill (2019) as transcribed in
``data/published/kraft_hill_2019.csv`` (the table is named beside it), or is a
stated assumption of the design (the split of teachers over school types).
"""
from __future__ import annotations


# Stream keys: one independent sub-stream per file / step.
_K_SCHOOLS, _K_ASSIGN, _K_CHARS, _K_STATUS, _K_DOSE = 11, 12, 13, 14, 15
_K_COACHES, _K_SESSIONS, _K_SURVEY = 21, 31, 41

N_URBAN, N_SUBURBAN = 73, 69
N_TREAT, N_CONTROL = 72, 70
DISTRICTS = ("urban", "suburban")

# (district, school type) -> (teachers, schools, elementary-grade teachers).
# Assumed split (see module docstring, step 1).
_BLOCKS = {
    ("urban", "elementary"): (30, 12, 30),
    ("urban", "K-8"): (26, 8, 17),
    ("urban", "middle"): (8, 4, 0),
    ("urban", "charter"): (9, 3, 5),
    ("suburban", "elementary"): (45, 15, 45),
    ("suburban", "middle"): (18, 6, 0),
    ("suburban", "charter"): (6, 3, 4),
}

# Table 1 targets: (urban, suburban, treatment, control, full sample).
_T1_BINARY = {
    "male": (0.15, 0.20, 0.15, 0.20, 0.18),
    "alt_cert": (0.05, 0.28, 0.19, 0.13, 0.16),
    "competitive_undergrad": (0.33, 0.32, 0.35, 0.30, 0.32),
    "undergrad_math": (0.14, 0.12, 0.11, 0.14, 0.13),
    "undergrad_education": (0.59, 0.42, 0.51, 0.50, 0.51),
    "any_grad_degree": (0.58, 0.71, 0.65, 0.63, 0.64),
    "masters_education": (0.41, 0.54, 0.43, 0.51, 0.47),
    "advanced_courses_3plus": (0.21, 0.20, 0.19, 0.22, 0.20),
    "content_courses_3plus": (0.36, 0.49, 0.46, 0.38, 0.42),
    "methods_courses_3plus": (0.18, 0.35, 0.29, 0.22, 0.26),
}
_T1_RACE = {
    "black": (0.01, 0.17, 0.06, 0.13, 0.09),
    "hispanic": (0.04, 0.14, 0.08, 0.10, 0.09),
    "white": (0.95, 0.65, 0.83, 0.77, 0.80),
}
_T1_CONT = {
    "age": (39.96, 42.09, 40.48, 41.51, 40.99),
    "experience": (13.71, 13.73, 14.35, 13.07, 13.72),
    "mkt": (0.17, -0.18, 0.09, -0.10, 0.00),
}
# Full-sample means of the 1-5 course scales (Table A3, stayer/leaver weighted).
_COURSE_MEANS = {"advanced": 1.76, "content": 2.41, "methods": 2.20}
# Share of the ">= 3" group at scale values 3, 4, 5 (assumed).
_COURSE_HIGH = {"advanced": (0.6, 0.3, 0.1), "content": (0.6, 0.3, 0.1), "methods": (0.7, 0.2, 0.1)}

# Missing counts (control, treated) implied by Tables 4 and A1.
_MISSING = {
    "left_district": (7, 3),
    "not_math": (14, 7),
    "not_tested": (20, 8),
    "reflection_y1": (13, 10),
    "ambitious_y1": (13, 9),
    "state_test_y1": (6, 4),
    "interim_test_y1": (3, 3),
    "reflection_y2": (23, 19),
    "mqi_y2": (24, 14),
    "ambitious_y2": (25, 15),
}
# Published treatment coefficient and SE of each missing indicator (sign:
# effect on *missing*; Table 4 effects on staying are negated).
_MISSING_BETA = {
    "left_district": (-0.059, 0.043),
    "not_math": (-0.106, 0.057),
    "not_tested": (-0.177, 0.064),
    "reflection_y1": (-0.050, 0.061),
    "ambitious_y1": (-0.064, 0.061),
    "state_test_y1": (-0.034, 0.043),
    "interim_test_y1": (-0.004, 0.034),
    "reflection_y2": (-0.072, 0.074),
    "mqi_y2": (-0.156, 0.070),
    "ambitious_y2": (-0.157, 0.071),
}

# Table A3: per follow-up outcome group, the published (stay, exit) means of the 21
# characteristics.
_A3 = {  # group -> list of (stay, exit) in A3_CHARACTERISTICS order
    "reflection_y2": [(.77, .57), (.23, .43), (.16, .21), (41.59, 39.55), (.08, .12), (.07, .14),
                      (.83, .74), (14.12, 12.77), (.17, .14), (.33, .31), (.09, .21), (.49, .55),
                      (.66, .60), (.49, .43), (1.73, 1.83), (2.42, 2.40), (2.19, 2.24),
                      (-.02, .04), (-.01, .03), (-.07, .18), (.06, -.15)],
    "mqi_y2": [(.76, .58), (.24, .42), (.16, .21), (41.16, 40.50), (.08, .13), (.08, .13),
               (.83, .74), (14.14, 12.56), (.16, .16), (.35, .26), (.11, .18), (.50, .53),
               (.66, .58), (.49, .42), (1.77, 1.74), (2.43, 2.37), (2.21, 2.18),
               (.00, .00), (-.01, .03), (-.07, .20), (.05, -.13)],
    "ambitious_y2": [(.76, .57), (.24, .43), (.17, .20), (41.47, 39.75), (.08, .13), (.08, .13),
                     (.82, .75), (14.12, 12.71), (.18, .13), (.34, .28), (.10, .20), (.50, .52),
                     (.66, .60), (.49, .43), (1.75, 1.77), (2.45, 2.33), (2.19, 2.25),
                     (.00, .00), (-.01, .02), (-.07, .19), (.02, -.05)],
    "not_tested": [(.73, .64), (.27, .36), (.17, .21), (41.63, 38.36), (.08, .14), (.10, .07),
                   (.81, .79), (14.09, 12.20), (.18, .11), (.33, .29), (.12, .14), (.54, .39),
                   (.65, .61), (.49, .39), (1.80, 1.61), (2.42, 2.39), (2.23, 2.11),
                   (-.05, .20), (-.04, .16), (-.02, .08), (.02, -.09)],
    "not_math": [(.74, .52), (.26, .48), (.17, .24), (41.48, 38.14), (.08, .14), (.09, .10),
                 (.81, .76), (13.95, 12.40), (.17, .10), (.33, .29), (.12, .19), (.52, .43),
                 (.65, .57), (.49, .38), (1.74, 1.86), (2.42, 2.38), (2.21, 2.19),
                 (-.06, .36), (-.03, .18), (-.02, .11), (.02, -.14)],
}

#: Coaches (Table 2) and, per 0/1 characteristic, how many of them hold it
#: (Table 2 proportions x 24, Text counts).
N_COACHES = 24
_COACH_BINARY = {
    "male": 4, "black": 0, "hispanic": 1, "white": 23, "alt_cert": 1,
    "competitive_undergrad": 15, "undergrad_math": 7, "undergrad_education": 8,
    "any_grad_degree": 22, "masters_math": 3, "masters_education": 18,
    "advanced_courses_3plus": 17, "content_courses_3plus": 11, "methods_courses_3plus": 9,
    "prior_coaching": 19, "prior_k12_math_teacher": 21, "prior_curriculum_pd": 12,
    "prior_math_coach": 8,
}
