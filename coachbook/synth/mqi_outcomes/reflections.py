"""``mqi/reflections``: teachers' written video reflections (Table 5), counts per response."""
from __future__ import annotations

from scipy import stats
import numpy as np
import pandas as pd

from coachbook.estimators import ols
from coachbook.studies.kraft_hill.variables import REFLECTIONS, T5_PANEL
from coachbook.synth.mqi_outcomes.calibration import _cell_targets, _rng, _staged_solve
from coachbook.synth.mqi_outcomes.moderation import interaction_term
from coachbook.synth.mqi_outcomes.teachers import _base_latent, _sample, _standardize


# ---------------------------------------------------------------------------
# File 1: teacher reflections (Table 5)
# ---------------------------------------------------------------------------
# measure -> (responses averaged, control mean count per response, SD of the
# teacher's log rate, cap on the count or None, latent column). Coaching adds
# ``delta1`` to the rate (counts per response) and multiplies it by
# ``exp(sigma_het * r_j)`` (heterogeneous response).
_REFLECTION_DGP = {
    "mqi_language": (3, 1.0, 0.45, None, 0),  # 'one to two' MQI statements (Findings)
    "critique": (2, 3.0, 0.35, None, 1),
    "change": (2, 1.4, 0.40, 3, 2),           # 0, 1, 2, '3 or more' changes
}


def _make_reflections(seed, t, lat, numbers, log):
    rng = _rng(seed, "reflections")
    frames = []
    for year in (1, 2):
        smp = _sample(t, t[f"observed_reflection_y{year}"] == 1)
        n = len(smp.idx)
        treated = smp.treat == 1
        out = pd.DataFrame({"teacher_id": t["teacher_id"].to_numpy()[smp.idx], "year": year})
        for measure, (k, base, sd, cap, col) in _REFLECTION_DGP.items():
            tg = _cell_targets(numbers, "Table 5", T5_PANEL[year], REFLECTIONS[measure])
            u = rng.random((n, k))
            n_missing = max(n - tg.get("n_t", n), 0)
            missing = np.zeros(n, bool)
            missing[rng.choice(n, n_missing, replace=False)] = True
            b = _base_latent(lat, col)[smp.idx]
            r = lat["response"][smp.idx]
            inter = interaction_term(t, smp.idx, REFLECTIONS[measure], year)
            keep = ~missing
            du, dc = smp.design_u[keep], smp.design_c[keep]
            ctrl = (~treated)[keep]

            def measure_of(par, u=u, b=b, r=r, base=base, sd=sd, cap=cap, k=k, inter=inter):
                d1, d2, het = par
                rate = base * np.exp(sd * b + d2 * smp.h + treated * het * r) + treated * d1 + inter
                rate = np.maximum(rate, 0.02)
                counts = np.maximum(stats.poisson.ppf(u, rate[:, None]), 0)
                if cap is not None:
                    counts = np.minimum(counts, cap)
                return np.round(counts.mean(1), 4)

            def metrics(par, keep=keep, du=du, dc=dc, ctrl=ctrl, measure_of=measure_of):
                z = _standardize(measure_of(par)[keep], ctrl)
                est_u, se_u, _ = ols.coefficient(ols.fit(z, du))
                est_c, se_c, _ = ols.coefficient(ols.fit(z, dc))
                return {"est_c": est_c, "est_u": est_u, "se_u": se_u, "se_c": se_c}

            spec = {"est_c": (tg["est_c"], 0.06 * tg["se_c"]),
                    "est_u": (tg["est_u"], 0.3 * tg["se_u"]),
                    "se_u": (tg["se_u"], 0.05 * tg["se_u"]),
                    "se_c": (tg["se_c"], 0.05 * tg["se_c"])}
            names = ["delta1", "delta2", "sigma_het"]
            x0 = [0.5 * tg["est_c"] * base, 0.0, 0.2]
            restarts = [{"sigma_het": 0.5}, {"delta1": tg["est_c"] * base, "sigma_het": 0.0},
                        {"delta1": 0.25 * tg["est_c"] * base, "sigma_het": 0.8}]
            par, res = _staged_solve(
                metrics, names, x0, spec, [-3, -1, 0.0], [3, 1, 1.5], [0.05, 0.1, 0.1],
                [(["delta1", "sigma_het"], ["est_c", "se_c"]), (names, list(spec))], restarts)
            values = measure_of(par)
            values[missing] = np.nan
            out[measure] = values
            log.append(("mqi/reflections", f"{measure} y{year}", ("delta1", "delta2", "sigma_het"),
                        par, res))
        frames.append(out)
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["year", "teacher_id"]).reset_index(drop=True)
