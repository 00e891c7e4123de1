"""The statistics of the book, one method per module; no module knows either paper.

Effects and balance of a randomized trial:

- :mod:`.ols`                 OLS with HC0-HC3 or cluster standard errors; collinear columns
- :mod:`.rct`                 the intent-to-treat effect (``itt``)
- :mod:`.balance`             baseline balance, one covariate at a time and jointly
- :mod:`.randomization`       within-block randomization and randomization tests
- :mod:`.costs`               a program's cost net of retention savings
- :mod:`.power`               PowerUp! minimum detectable effect sizes

Attrition and robustness:

- :mod:`.attrition`           attrition rates, retention models, stayers versus leavers
- :mod:`.wwc`                 the What Works Clearinghouse attrition standard
- :mod:`.lee`, :mod:`.lee_fe` Lee (2009) bounds, plain and around a regression model
- :mod:`.moderation`          treatment-by-characteristic interactions, multiple testing

Multilevel and growth models:

- :mod:`.mixed`               linear mixed models fitted to a verified maximum
- :mod:`.lmm`, :mod:`.lmm_polish`  their exact likelihood and its Newton polish
- :mod:`.random_intercept`    the random-intercept model by REML in closed form
- :mod:`.mixed_logit`         the random-intercept logistic model
- :mod:`.imputation`          multiple imputation and Rubin's rules
- :mod:`.growth`              time codings, centering, model-based trajectories
- :mod:`.hlm_tests`           HLM's chi-square tests of variance components
- :mod:`.likelihood_ratio`    deviance and likelihood-ratio tests

Measurement:

- :mod:`.icc`                 intraclass correlations
- :mod:`.agreement`           weighted kappa, rater agreement and calibration
- :mod:`.effect_sizes`        d_z, d_av, g_av, pooled within SD, coefficient of variation
- :mod:`.repeated_measures`   repeated-measures ANOVA and logistic GEE
  (:mod:`.compound_symmetry` holds the REML machinery of the ANOVA)

:mod:`._validate` and :mod:`._values` hold the input checks every public
function shares.
"""
