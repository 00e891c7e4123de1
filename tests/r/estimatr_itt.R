# Second implementation of the trial's intent-to-treat regressions, in estimatr.
#
# Usage: Rscript estimatr_itt.R <dir>   (dir holds year1.csv and midhigh.csv
# written by tests/test_r_crosscheck.py). Prints one JSON object on stdout:
#   {"itt": {name: {estimate, se, df, p, ci_low, ci_high, n}}}
# for the treatment coefficient of lm_robust(..., fixed_effects = ~ block).
# se_type "stata" is the CR1 cluster-robust estimator with Stata's small-sample
# factor and t on clusters - 1 df, what statsmodels' cluster covariance with
# use_t=True (coachbook.estimators.rct.itt(..., cluster=...)) reports.
args <- commandArgs(trailingOnly = TRUE)
script_dir <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(), value = TRUE))))
source(file.path(script_dir, "json.R"))
require_packages("estimatr")
suppressPackageStartupMessages(library(estimatr))
invisible(Sys.setlocale("LC_COLLATE", "C"))

read <- function(file) read.csv(file.path(args[1], file), stringsAsFactors = FALSE)
year1 <- read("year1.csv")
midhigh <- read("midhigh.csv")
controls <- c("male", "age", "black", "hispanic", "alt_cert", "any_grad_degree", "masters_education",
              "advanced_courses", "content_courses", "methods_courses", "mkt", "openness_feedback",
              "behavior_challenges", "reform_practices")
with_controls <- function(outcome) reformulate(c("treatment", controls), outcome)

tidy <- function(m) {
  list(estimate = m$coefficients[["treatment"]], se = m$std.error[["treatment"]],
       df = m$df[["treatment"]], p = m$p.value[["treatment"]],
       ci_low = m$conf.low[["treatment"]], ci_high = m$conf.high[["treatment"]], n = m$nobs)
}

itt <- list(
  # teacher-outcomes, Table 5: MQI language, implementation year (equation 1)
  language_unconditional_hc1 = tidy(lm_robust(y ~ treatment, year1, fixed_effects = ~ block, se_type = "HC1")),
  language_controls_hc1 = tidy(lm_robust(with_controls("y"), year1, fixed_effects = ~ block, se_type = "HC1")),
  language_controls_hc2 = tidy(lm_robust(with_controls("y"), year1, fixed_effects = ~ block, se_type = "HC2")),
  language_controls_school = tidy(lm_robust(with_controls("y"), year1, fixed_effects = ~ block,
                                            clusters = school_id, se_type = "stata")),
  # teacher-outcomes: segment-level linear probability model, clustered by teacher
  richness_controls_teacher = tidy(lm_robust(with_controls("richness"), midhigh, fixed_effects = ~ block,
                                             clusters = teacher_id, se_type = "stata"))
)
cat(to_json(list(itt = itt, versions = list(R = R.version.string,
                                            estimatr = as.character(packageVersion("estimatr"))))), "\n")
