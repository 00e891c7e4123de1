"""``mqi/student_tests``: students' state and interim math scores (Table 7) and prior scores."""
from __future__ import annotations

import numpy as np
import pandas as pd

from coachbook.studies.kraft_hill.tables import _pool, _t7_cell
from coachbook.studies.kraft_hill.variables import (A2_TEST_COLUMNS, IMPUTATION_SEED, IMPUTATIONS, PRIOR_SCORES,
                                                    RACES, T67_PANEL, T7_ROW, TESTS)
from coachbook.synth.mqi_outcomes.calibration import (_allocate, _cell_targets, _moment_match, _rng,
                                                      _solve)
from coachbook.synth.mqi_outcomes.moderation import interaction_term
from coachbook.synth.mqi_outcomes.teachers import _sample


# ---------------------------------------------------------------------------
# File 4: student test scores (Table 7)
# ---------------------------------------------------------------------------
_RACE_P = {"urban": (0.11, 0.30, 0.45, 0.14), "suburban": (0.08, 0.12, 0.10, 0.70)}
_FRL_P = {"urban": 0.83, "suburban": 0.37}   # Setting: Districts
_LEP_P = {"urban": 0.22, "suburban": 0.06}   # assumed
_SPED_P = 0.13                               # assumed
_DISTRICT_MEAN = {"urban": -0.15, "suburban": 0.30}  # assumed, SD units
# prior score = loading x ability + noise (ability has SD 1)
_PRIORS = dict(zip(PRIOR_SCORES, (0.88, 0.72, 0.90, 0.70)))
_PRIOR_PAIRS = (PRIOR_SCORES[:2], PRIOR_SCORES[2:])   # math and reading of one test
# P(prior pair missing) = base + frl x a + lep x b; gives ~74.5% state and ~91.5% MAP coverage
_PRIOR_MISSING = {"state": (0.20, 0.08, 0.10), "map": (0.055, 0.03, 0.04)}
_TEST_HET = 0.05
_STUDENT_COLUMNS = ["year", "student_id", "teacher_id", "grade", "female", "race", "frl", "lep",
                    "sped", "state_math", "interim_math", "interim_test", *_PRIORS]


def _make_tests(seed, t, lat, numbers, log):
    rng = _rng(seed, "tests")
    frames = []
    common = rng.standard_normal(len(t))
    for year in (1, 2):
        panel = T67_PANEL[year]
        in_s = t[f"observed_state_test_y{year}"].to_numpy() == 1
        in_m = t[f"observed_interim_test_y{year}"].to_numpy() == 1
        n_s = _cell_targets(numbers, "Table 7", panel, T7_ROW[(year, "state")])["n_s"]
        n_m = _cell_targets(numbers, "Table 7", panel, T7_ROW[(year, "interim")])["n_s"]
        middle = t["grade"].to_numpy() >= 6
        weight = rng.gamma(10.0, np.where(middle, 4.5, 2.5))
        s_j = np.zeros(len(t), int)
        m_j = np.zeros(len(t), int)
        s_j[in_s] = _allocate(n_s, weight[in_s], minimum=8)
        m_j[in_m] = _allocate(n_m, weight[in_m], minimum=8)
        both = in_s & in_m
        extra = np.where(both, np.round(0.05 * np.minimum(s_j, m_j)), 0).astype(int)
        n_j = np.maximum(s_j, m_j) + extra
        n_j = np.minimum(n_j, s_j + m_j)
        rows = []
        for j in np.flatnonzero(n_j):
            perm = rng.permutation(n_j[j])
            has_s = perm < s_j[j]
            has_m = perm >= n_j[j] - m_j[j]
            rows.append(pd.DataFrame({"j": j, "has_state": has_s, "has_interim": has_m}))
        df = pd.concat(rows, ignore_index=True)
        j = df["j"].to_numpy()
        district = t["district"].to_numpy()[j]
        n = len(df)
        urban = district == "urban"
        race_u = rng.choice(len(RACES), n, p=_RACE_P["urban"])
        race_s = rng.choice(len(RACES), n, p=_RACE_P["suburban"])
        race = np.where(urban, race_u, race_s)
        u01 = rng.random((n, 4))
        frl = (u01[:, 0] < np.where(urban, _FRL_P["urban"], _FRL_P["suburban"])).astype(int)
        lep = (u01[:, 1] < np.where(urban, _LEP_P["urban"], _LEP_P["suburban"])).astype(int)
        sped = (u01[:, 2] < _SPED_P).astype(int)
        female = (u01[:, 3] < 0.49).astype(int)
        comp = 0.55 * _moment_match(rng.standard_normal(len(t)))   # class composition
        demo = (-0.30 * frl - 0.25 * lep - 0.70 * sped - 0.15 * (race == 1) - 0.10 * (race == 2)
                + 0.10 * (race == 0))
        ability = (np.where(urban, _DISTRICT_MEAN["urban"], _DISTRICT_MEAN["suburban"]) + comp[j]
                   + demo + rng.standard_normal(n))
        ability = _moment_match(ability)
        pri = {}
        for name, load in _PRIORS.items():
            pri[name] = load * ability + np.sqrt(1 - load ** 2) * rng.standard_normal(n)
        miss_u = rng.random((n, 2))
        for (a, b_), (test, (p0, pf, pl)) in zip(_PRIOR_PAIRS, _PRIOR_MISSING.items()):
            gone = miss_u[:, 0 if test == "state" else 1] < p0 + pf * frl + pl * lep
            pri[a][gone] = np.nan
            pri[b_][gone] = np.nan
        eps = rng.standard_normal((n, 2))
        spec = rng.standard_normal((len(t), 2))
        frame = pd.DataFrame({
            "year": year, "j": j, "teacher_id": t["teacher_id"].to_numpy()[j],
            "grade": t["grade"].to_numpy()[j], "female": female,
            "race": np.array(RACES, dtype=object)[race], "frl": frl, "lep": lep, "sped": sped,
            "has_state": df["has_state"].to_numpy(), "has_interim": df["has_interim"].to_numpy(),
            "interim_test": np.where((year == 2) & ~urban, "Star", "MAP"),
            **{name: np.round(v, 4) for name, v in pri.items()},
        })
        # rows are in teacher order already (the teachers table is sorted by teacher_id)
        frame["student_id"] = [f"ST{year}-{i + 1:05d}" for i in range(len(frame))]
        for k, (test, col) in enumerate(TESTS.items()):
            has = frame[f"has_{test}"].to_numpy()
            cell_frame = frame[has].reset_index(drop=True)
            tg = _cell_targets(numbers, "Table 7", panel, T7_ROW[(year, test)])
            cell = _t7_cell(cell_frame, t, IMPUTATIONS, IMPUTATION_SEED)
            pos = np.searchsorted(t["teacher_id"].to_numpy(), cell.teacher_ids)
            smp = _sample(t, np.isin(np.arange(len(t)), pos))
            uj = _moment_match(0.6 * common[pos] + 0.8 * spec[pos, k])
            r = lat["response"][pos]
            inter = interaction_term(t, pos, A2_TEST_COLUMNS[col], year)
            a_c, e_c, g = ability[has], eps[has, k], cell.groups

            def y_of(par, d1=0.0, inter=inter):
                b, s_u, d2 = par
                teacher = s_u * uj + d2 * smp.h + cell.treat * (d1 + _TEST_HET * r) + inter
                return np.round(b * a_c + teacher[g] + np.sqrt(max(1 - b ** 2, 0.05)) * e_c, 4)

            def ses(par):
                y = y_of(par)
                fu = cell.design_u.fit(y)
                pooled = _pool(cell, y)
                return [fu.se[1], pooled["se"], fu.coef[1] - pooled["estimate"]]

            par, res = _solve(ses, [0.85, 0.2, 0.0],
                              [tg["se_u"], tg["se_c"], tg["est_u"] - tg["est_c"]],
                              [0.02 * tg["se_u"], 0.02 * tg["se_c"], 0.1 * tg["se_u"]],
                              [0.3, 0.0, -1.0], [0.99, 1.0, 1.0], [0.02, 0.02, 0.02])
            d1 = round(tg["est_c"] - _pool(cell, y_of(par))["estimate"], 3)
            log.append(("mqi/student_tests", f"{test} y{year}", ("ability_loading", "teacher_sd",
                        "delta2", "delta1"), np.r_[par, d1], res))
            y = np.full(len(frame), np.nan)
            y[has] = y_of(par, d1)
            frame[col] = y
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    return out[_STUDENT_COLUMNS]
