# Second implementation of the book's headline mixed models, in lme4/lmerTest.
#
# Usage: Rscript lme4_models.R <dir>   (dir holds the CSVs written by
# tests/test_r_crosscheck.py). Prints one JSON object on stdout:
#   {"models": {name: {llf, reml, fixef, se, df, vc, singular, messages}},
#    "rm": {name: {F, ndf, ddf, F_anova, ndf_anova, ddf_anova, tau2, sigma2, means}}}
# Variance components are labelled as coachbook.estimators.mixed.fit_mixed labels
# them (var(Intercept), cov(Intercept, time), var(pair), residual, ...).
args <- commandArgs(trailingOnly = TRUE)
script_dir <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(), value = TRUE))))
source(file.path(script_dir, "json.R"))
require_packages(c("lme4", "lmerTest"))
suppressPackageStartupMessages({library(lme4); library(lmerTest)})
invisible(Sys.setlocale("LC_COLLATE", "C"))  # factor levels sorted as Python sorts them

read <- function(file) {
  d <- read.csv(file.path(args[1], file), stringsAsFactors = FALSE)
  for (col in names(d)) if (is.character(d[[col]]))
    d[[col]] <- factor(d[[col]], levels = sort(unique(d[[col]]), method = "radix"))
  d
}
pcs <- read("pcs.csv")
lessons <- read("lessons.csv")
survey1 <- read("survey1.csv")

# Tight tolerances: the R side is the reference, so it should sit on the optimum.
control <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5),
                       check.conv.singular = "ignore")

vc_table <- function(m, rename) {
  v <- as.data.frame(VarCorr(m))
  label <- ifelse(is.na(v$var2), sprintf("var(%s)", v$var1), sprintf("cov(%s, %s)", v$var1, v$var2))
  label <- gsub("(Intercept)", "Intercept", label, fixed = TRUE)
  key <- paste(sub("\\.[0-9]+$", "", v$grp), label)
  label <- ifelse(key %in% names(rename), rename[key], label)
  label[v$grp == "Residual"] <- "residual"
  setNames(as.list(v$vcov), label)
}

fixed_names <- function(x) sub("(Intercept)", "Intercept", x, fixed = TRUE)

fit <- function(formula, data, reml, rename = character()) {
  messages <- character()
  m <- withCallingHandlers(
    lmer(formula, data, REML = reml, control = control),
    warning = function(w) {messages <<- c(messages, conditionMessage(w)); invokeRestart("muffleWarning")},
    message = function(w) {messages <<- c(messages, conditionMessage(w)); invokeRestart("muffleMessage")})
  coefs <- coef(summary(m))
  rownames(coefs) <- fixed_names(rownames(coefs))
  list(llf = as.numeric(logLik(m)), reml = reml,
       fixef = as.list(coefs[, "Estimate"]), se = as.list(coefs[, "Std. Error"]),
       df = as.list(coefs[, "df"]), vc = vc_table(m, rename),
       singular = isSingular(m),
       messages = as.list(c(messages, m@optinfo$conv$lme4$messages)))
}

cubic_rhs <- "time + time2 + time3 + assist1 + assist2 + rater_id + coached"
controls <- c("male", "age", "black", "hispanic", "alt_cert", "any_grad_degree", "masters_education",
              "advanced_courses", "content_courses", "methods_courses", "mkt", "openness_feedback",
              "behavior_challenges", "reform_practices")
models <- list(
  # growth-in-coaching: linear growth, random intercept and slope per pair (REML)
  growth_composite = fit(composite ~ time + (1 + time | teacher_id), pcs, TRUE),
  # random intercept only, REML and ML (the likelihood-ratio tests of tau1 and tau0)
  intercept_composite_reml = fit(composite ~ time + (1 | teacher_id), pcs, TRUE),
  intercept_composite_ml = fit(composite ~ time + (1 | teacher_id), pcs, FALSE),
  # three levels: coach intercept + slope (correlated), pair intercept and pair slope
  # variances without a covariance (statsmodels' variance components have none)
  three_level = fit(composite ~ time + (1 + time | coach_id) + (1 | teacher_id) + (0 + time | teacher_id),
                    pcs, TRUE, rename = c("teacher_id var(Intercept)" = "var(pair)",
                                          "teacher_id var(time)" = "var(pair_time)")),
  # piecewise growth, ML, for the deviance tests
  piecewise_math_full = fit(math_content ~ base + increment + (1 + increment | teacher_id), pcs, FALSE),
  piecewise_math_reduced = fit(math_content ~ base + (1 | teacher_id), pcs, FALSE),
  # growth-in-teaching: cubic growth with covariates, random intercept per teacher
  teaching_cubic = fit(as.formula(paste("opportunities ~", cubic_rhs, "+ (1 | teacher_id)")), lessons, TRUE),
  teaching_cubic_ml = fit(as.formula(paste("opportunities ~", cubic_rhs, "+ (1 | teacher_id)")), lessons, FALSE),
  teaching_quadratic_ml = fit(as.formula(paste("opportunities ~", sub(" + time3", "", cubic_rhs, fixed = TRUE),
                                               "+ (1 | teacher_id)")), lessons, FALSE),
  # teacher-outcomes, equation 2: students in teachers, block FE + teacher controls (REML)
  ambitious_controls = fit(reformulate(c("treatment", "block", controls, "(1 | teacher_id)"), "y"),
                           survey1, TRUE)
)

# Repeated-measures F test of occasion, random intercept per teacher (REML),
# Satterthwaite df. contestMD() with L = [0 | I] (every level against the
# first, the hypothesis rows coachbook.estimators.repeated_measures.rm_anova uses) and
# anova()'s default type-III table (lmerTest's own contrast rows).
rm_test <- function(data, dv) {
  data <- data[!is.na(data[[dv]]), ]
  data$occasion <- factor(data$data_cycle)
  m <- lmer(as.formula(paste(dv, "~ occasion + (1 | teacher_id)")), data, REML = TRUE, control = control)
  k <- length(fixef(m))
  own <- contestMD(m, cbind(0, diag(k - 1)))
  table <- anova(m, ddf = "Satterthwaite")
  v <- as.data.frame(VarCorr(m))
  list(F = own[["F value"]], ndf = own[["NumDF"]], ddf = own[["DenDF"]], p = own[["Pr(>F)"]],
       F_anova = table[["F value"]], ndf_anova = table[["NumDF"]], ddf_anova = table[["DenDF"]],
       tau2 = v$vcov[v$grp == "teacher_id"], sigma2 = v$vcov[v$grp == "Residual"],
       means = as.list(setNames(fixef(m)[1] + c(0, fixef(m)[-1]), levels(data$occasion))))
}
rm <- list(composite = rm_test(pcs, "composite"), coach_assists = rm_test(lessons, "coach_assists"))

cat(to_json(list(models = models, rm = rm,
                 versions = list(R = R.version.string, lme4 = as.character(packageVersion("lme4")),
                                 lmerTest = as.character(packageVersion("lmerTest"))))), "\n")
