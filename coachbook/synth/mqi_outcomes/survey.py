"""``mqi/student_survey``: students' reports of Ambitious Instruction (Table 6), 11 items."""
from __future__ import annotations

import numpy as np
import pandas as pd

from coachbook.estimators.random_intercept import _RIDesign
from coachbook.studies.kraft_hill.variables import A2_AMBITIOUS, AMBITIOUS_ROW, SURVEY_ITEMS, T67_PANEL
from coachbook.synth.mqi_outcomes.calibration import (_allocate, _cell_targets, _moment_match, _rng,
                                                      _solve)
from coachbook.synth.mqi_outcomes.moderation import interaction_term
from coachbook.synth.mqi_outcomes.teachers import _base_latent, _sample, _standardize


# ---------------------------------------------------------------------------
# File 2: student survey (Table 6, Ambitious Instruction)
# ---------------------------------------------------------------------------
_SURVEY_LOADINGS = np.array([0.75, 0.65, 0.55, 0.70, 0.60, 0.55, 0.70, 0.65, 0.45, 0.60, 0.65])
_SURVEY_OFFSETS = np.array([0.3, 0.1, 0.2, 0.0, -0.3, 0.1, -0.2, -0.1, -0.4, 0.2, -0.2])
_SURVEY_CUTS = np.array([-1.6, -0.7, 0.2, 1.1])
_SURVEY_HET = 0.15   # treated heterogeneity (latent units)


def _ambitious_from_latent(latent: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """1-5 responses: loading x latent + unique noise, cut at item-specific thresholds."""
    lam = _SURVEY_LOADINGS
    x = latent[:, None] * lam + np.sqrt(1 - lam ** 2) * noise
    cuts = _SURVEY_CUTS[None, None, :] - _SURVEY_OFFSETS[None, :, None]
    return 1 + (x[:, :, None] > cuts).sum(axis=2)


def _make_survey(seed, t, lat, numbers, log):
    rng = _rng(seed, "survey")
    frames = []
    amb = _base_latent(lat, 3, 0.5, 0.3)
    for year in (1, 2):
        smp = _sample(t, t[f"observed_ambitious_y{year}"] == 1)
        tg = _cell_targets(numbers, "Table 6", T67_PANEL[year], AMBITIOUS_ROW[year])
        n_t = len(smp.idx)
        sizes = _allocate(tg["n_s"], rng.gamma(12.0, 1.0, n_t), minimum=8)
        teacher = np.repeat(np.arange(n_t), sizes)
        eps = rng.standard_normal(len(teacher))
        noise = rng.standard_normal((len(teacher), len(SURVEY_ITEMS)))
        a = _moment_match(np.sqrt(0.75) * amb[smp.idx] + np.sqrt(0.25) * rng.standard_normal(n_t))
        r = lat["response"][smp.idx]
        inter = interaction_term(t, smp.idx, A2_AMBITIOUS, year)
        treated = smp.treat
        ctrl = treated[teacher] == 0
        fit_u = _RIDesign(smp.design_u[teacher], teacher)
        fit_c = _RIDesign(smp.design_c[teacher], teacher)

        def items_of(par, inter=inter):
            d1, d2, s = par
            latent = (s * a + d2 * smp.h + treated * (d1 + _SURVEY_HET * r) + inter)[teacher] + eps
            return _ambitious_from_latent(latent, noise)

        def fun(par):
            z = _standardize(items_of(par).mean(1), ctrl)
            fu, fc = fit_u.fit(z), fit_c.fit(z)
            return [fc.coef[1], fu.coef[1], fu.se[1], fc.se[1]]

        target = [tg["est_c"], tg["est_u"], tg["se_u"], tg["se_c"]]
        scale = [0.05 * tg["se_c"], 0.1 * tg["se_u"], 0.03 * tg["se_u"], 0.03 * tg["se_c"]]
        par, res = _solve(fun, [tg["est_c"], 0.0, 0.35], target, scale,
                          [-2, -2, 0.05], [2, 2, 2], [0.03, 0.03, 0.03])
        log.append(("mqi/student_survey", f"ambitious y{year}", ("delta1", "delta2", "teacher_sd"),
                    par, res))
        items = items_of(par)
        out = pd.DataFrame({"year": year,
                            "student_id": [f"SV{year}-{i + 1:05d}" for i in range(len(teacher))],
                            "teacher_id": t["teacher_id"].to_numpy()[smp.idx][teacher]})
        for j, (name, _) in enumerate(SURVEY_ITEMS):
            out[name] = items[:, j].astype(int)
        frames.append(out)
    return pd.concat(frames, ignore_index=True)
