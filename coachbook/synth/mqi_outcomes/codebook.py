"""What each outcome file of the MQI trial and each of its variables means (the codebook)."""
from __future__ import annotations

from coachbook.studies.kraft_hill.variables import MQI_DOMAINS, MQI_ITEMS, RACES, SURVEY_ITEMS
from coachbook.synth import FileSpec, Variable


# ---------------------------------------------------------------------------
# Codebook
# ---------------------------------------------------------------------------
_CALIBRATED = ("Calibrated (see the mqi_outcomes docstring): the treatment shift delta1, the "
               "covariate-imbalance loading delta2 and the dispersion sigma_het are solved per "
               "measure and year so that Table 5's estimators return the published estimates "
               "and standard errors")
_V = Variable
OUTCOMES_CODEBOOK: dict[str, FileSpec] = {
    "mqi/reflections": FileSpec(
        description=(
            "Teachers' written video reflections, both years (Table 5). Counts per response "
            "are Poisson with a teacher-specific rate; coaching adds delta1 to the rate and "
            "multiplies it by exp(sigma_het x responsiveness). Teachers with "
            "observed_reflection_y1/_y2 = 1 have a row; Critique is missing for the teachers "
            "needed to match Table 5's n. Standardize by the year's control teachers "
            "(table5_estimates does) to get the published units. " + _CALIBRATED + "."),
        unit=("one teacher in one year (implementation year 1 = 2014-15, "
              "follow-up year 2 = 2015-16)"),
        variables=(
            _V("teacher_id", "str", "Teacher id (mqi/teachers)", "T001-T142"),
            _V("year", "int", "Study year: 1 implementation, 2 follow-up", "1, 2"),
            _V("mqi_language", "float",
               "MQI Language: mean number of statements using MQI language or concepts per "
               "response to the stock-clip prompts (3 prompts)", "0-, steps of 1/3",
               "Table 5 (MQI language (stock clip response))"),
            _V("critique", "float",
               "Critique: mean number of things identified as going well or not well across "
               "the two lesson reflections; missing for one teacher in year 1", "0-, steps of 1/2",
               "Table 5 (Critique (own clip reflection))"),
            _V("change", "float",
               "Change: mean over the two lesson reflections of a 4-category ordinal count of "
               "things the teacher would change (0, 1, 2, 3 or more)", "0-3, steps of 1/2",
               "Table 5 (Change (own clip reflection))"),
        ),
    ),
    "mqi/student_survey": FileSpec(
        description=(
            "Student survey of Ambitious Instruction, both years (Table 6): 3,252 students of "
            "120 teachers in year 1 and 2,591 of 102 in year 2 (teachers with "
            "observed_ambitious_y1/_y2 = 1). Items are ordinal cuts of loading x latent + "
            "noise; the latent is a teacher part (SD teacher_sd, solved with delta1 and delta2 "
            "for Table 6's estimates and SEs), the treatment shift delta1, the imbalance "
            "term, and a "
            "N(0, 1) student part. Scale: the mean of the 11 items (ambitious_scale), "
            "standardized by the year's control students; the paper used a graded response "
            "model."),
        unit="one student's survey response in one year",
        variables=(
            _V("year", "int", "Study year", "1, 2"),
            _V("student_id", "str", "Survey respondent id (not linked to mqi/student_tests)",
               "SV1-00001 ..."),
            _V("teacher_id", "str", "Teacher the survey is about", "T001-T142"),
            *(_V(name, "int", f"{text} (1 = never ... 5 = always)", "1-5",
                 "Table 6 (Ambitious Instruction); wording paraphrased")
              for name, text in SURVEY_ITEMS),
        ),
    ),
    "mqi/mqi_segments": FileSpec(
        description=(
            "MQI scores of follow-up-year lesson video (Table 6, segment LPM in Findings, brief "
            "Figure 1): 6,415 segments of 7.5 minutes from about 4.8 lessons of each of the 104 "
            "teachers with observed_mqi_y2 = 1, 16 items scored 0 (Not present) to 3 (High). "
            "Each lesson is assigned two of 12 raters at random, who score alternate segments. "
            "Item score = number of cut points (0.5, 1.5, 2.5) below domain latent + item "
            "offset + N(0, 0.6^2) noise; the domain latent is location mu + teacher part "
            "(SD teacher_sd, times 1 + omega for treated teachers) + treatment (delta1 + "
            "sigma_het x responsiveness with skewness kappa) + delta2 x imbalance index + lesson "
            "N(0, 0.3^2) + segment N(0, segment_sd^2) + rater severity N(0, 0.1^2). The eight "
            "parameters are solved per domain (least squares) so that the control share of "
            "Mid/High segments (26/46/26%), the segment LPM effect (9.6/7.0/9.2 points), the "
            "teacher-level reliability (0.67/0.75/0.74; Errors 0.56, with mu and segment_sd "
            "fixed), Table 6's Controls and Unconditional estimates and SEs and its Lee bounds "
            "are reproduced (calibration_report lists them). Teacher domain score = mean of "
            "item means (teacher_mqi_scores); Mid/High = segment domain mean >= 1.5 "
            "(segment_midhigh)."),
        unit="one 7.5-minute segment of one lesson",
        variables=(
            _V("teacher_id", "str", "Teacher", "T001-T142"),
            _V("lesson_id", "str", "Lesson id: teacher id and lesson number", "T001-L1 ..."),
            _V("lesson", "int", "Lesson number within teacher", "1-5"),
            _V("segment", "int", "Segment number within lesson (7.5 minutes each)", "1-"),
            _V("rater_id", "str", "Rater who scored the segment (blind to treatment)", "R01-R12"),
            *(_V(name, "int", f"MQI {dom_label}: {text}", "0-3",
                 f"Table 6 ({MQI_DOMAINS[dom]}); Appendix A")
              for dom, dom_label in [("richness", "Richness"),
                                     ("ccasp", "Common Core-aligned student practices"),
                                     ("wws", "Working with students"),
                                     ("errors", "Errors and imprecision (higher = more errors)")]
              for name, text in MQI_ITEMS[dom]),
        ),
    ),
    "mqi/student_tests": FileSpec(
        description=(
            "Students' math scores in both years (Table 7): state test (SBAC in 2014-15, DRC "
            "in 2015-16) and the interim test (MAP; Star in the suburban district in year 2), "
            "in SD units of the full student population by grade and year (generated on that "
            "scale, not re-standardized). A teacher's students with a state (interim) score "
            "total Table 7's n per column over the teachers with observed_state_test "
            "(observed_interim_test) = 1. Score = ability_loading x ability + teacher effect "
            "(SD teacher_sd) + delta2 x imbalance index + treatment delta1 + noise; ability "
            "mixes district, class composition, demographics and a student part, and the "
            "prior scores are noisy measures of it. ability_loading and teacher_sd are solved "
            "so that Table 7's unconditional and with-controls SEs are reproduced, delta2 for "
            "the gap between the two estimates, delta1 (exact) for the preferred estimate. "
            "Prior pairs (math and reading of one test) are missing together, more often for "
            "FRL and LEP students: valid prior state scores for 72-77% and MAP for 90-93% of "
            "each analytic sample (endnote 6)."),
        unit="one student in one year (year 1 and year 2 students are different cohorts)",
        variables=(
            _V("year", "int", "Study year", "1, 2"),
            _V("student_id", "str", "Student id", "ST1-00001 ..."),
            _V("teacher_id", "str", "Math teacher", "T001-T142"),
            _V("grade", "int", "Grade (the teacher's grade)", "3-8"),
            _V("female", "int", "Female", "0, 1", "Table 7 controls"),
            _V("race", "category", "Race/ethnicity", ", ".join(RACES), "Table 7 controls"),
            _V("frl", "int", "Free or reduced-price lunch eligible", "0, 1", "Table 7 controls"),
            _V("lep", "int", "Limited English proficient", "0, 1", "Table 7 controls"),
            _V("sped", "int", "Receives special education services", "0, 1", "Table 7 controls"),
            _V("state_math", "float", "State math test score (missing if not tested)",
               "SD units", "Table 7 (State math test)"),
            _V("interim_math", "float",
               "Interim math test score, MAP or Star (missing if not tested)",
               "SD units", "Table 7 (MAP math test; MAP/Star math test)"),
            _V("interim_test", "category", "The district's interim test that year", "MAP, Star"),
            _V("prior_state_math", "float",
               "Prior-year state math score (missing = no valid score)",
               "SD units", "Table 7 controls; endnote 6"),
            _V("prior_state_read", "float", "Prior-year state reading score", "SD units",
               "Table 7 controls; endnote 6"),
            _V("prior_map_math", "float", "Prior MAP math score", "SD units",
               "Table 7 controls; endnote 6"),
            _V("prior_map_read", "float", "Prior MAP reading score", "SD units",
               "Table 7 controls; endnote 6"),
        ),
    ),
}
