"""Treatment x moderator terms of the MQI outcome files, calibrated to Table A2.

Every outcome's teacher-level latent gets ``T x sum_k gamma_k (M_k - mean of
M_k among the treated of the sample)`` for the six moderators of Table A2
(:data:`~coachbook.studies.kraft_hill.variables.A2_MODERATORS`, in the
units the table uses). Centering on the treated keeps the main effects of
Tables 5-7 nearly unchanged; their own calibration then runs with these
terms in place. The coefficients ``gamma`` are stored in
:mod:`.interactions` and found by :func:`calibrate`: generate the files,
compute Table A2 with :func:`coachbook.studies.kraft_hill.table_a2_estimates`,
and move every coefficient by (published - estimated) / gain, with the gain
of each outcome (estimate per unit of latent) measured by a secant between
iterations. ``python -m coachbook.synth.mqi_outcomes.moderation`` runs it and
rewrites ``CALIBRATED`` in :mod:`.interactions`; the generator applies
``INTERACTIONS`` (empty for now, see that module).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from coachbook.studies.kraft_hill.variables import A2_MODERATORS, A2_PANEL

_MODERATORS = list(A2_MODERATORS)


def _moderator_matrix(t: pd.DataFrame) -> np.ndarray:
    """The six moderators of the prepared teachers table (district as 1 = suburban)."""
    cols = [(t["district"] == "suburban").astype(float).to_numpy() if m == "suburban"
            else t[m].to_numpy(float) for m in _MODERATORS]
    return np.column_stack(cols)


def interaction_term(t: pd.DataFrame, idx: np.ndarray, column: str, year: int) -> np.ndarray:
    """``T x sum_k gamma_k (M_k - treated mean)`` for the teachers ``idx`` of one outcome sample."""
    from coachbook.synth.mqi_outcomes.interactions import INTERACTIONS
    gamma = np.asarray(INTERACTIONS.get((column, year), (0.0,) * len(_MODERATORS)), float)
    m = _moderator_matrix(t)[idx]
    treated = t["treatment"].to_numpy()[idx] == 1
    centered = m - m[treated].mean(0)
    return treated * (centered @ gamma)


def _write(coefs: dict, gains: dict) -> None:
    """Rewrite ``CALIBRATED`` and ``GAINS`` of :mod:`.interactions`; its docstring and the
    applied ``INTERACTIONS`` stay as they are."""
    path = Path(__file__).with_name("interactions.py")
    text = path.read_text(encoding="utf-8")
    head = text[: text.index("CALIBRATED:")]
    tail = text[text.index("#: The coefficients the generator uses"):]
    body = ["CALIBRATED: dict[tuple[str, int], tuple[float, ...]] = {"]
    for (column, year), g in sorted(coefs.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        body.append(f"    ({column!r}, {year}): ({', '.join(f'{v:.4f}' for v in g)}),")
    body.append("}")
    body.append("")
    body.append("#: Estimate per unit of coefficient, per outcome-year, measured by the last calibration.")
    body.append("GAINS: dict[tuple[str, int], float] = {")
    for (column, year), g in sorted(gains.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        body.append(f"    ({column!r}, {year}): {g:.3f},")
    body.append("}")
    path.write_text(head + "\n".join(body) + "\n\n\n" + tail, encoding="utf-8")


def _a2(seed, coefs):
    """Table A2 of the files generated with ``coefs`` applied (in memory only)."""
    from coachbook.studies import kraft_hill
    from coachbook.synth import mqi
    from coachbook.synth.mqi_outcomes import interactions
    applied = interactions.INTERACTIONS
    interactions.INTERACTIONS = {k: tuple(v) for k, v in coefs.items()}
    try:
        files = mqi.generate(seed)
    finally:
        interactions.INTERACTIONS = applied
    return kraft_hill.table_a2_estimates(files, files["mqi/teachers"])


def calibrate(seed: int, iterations: int = 4) -> pd.DataFrame:
    """Fixed-point calibration of the coefficients to Table A2, from ``CALIBRATED``.

    Rewrites ``CALIBRATED`` and ``GAINS`` of :mod:`.interactions` after every
    step; the generator uses ``INTERACTIONS``, which this leaves alone.

    Returns the last iteration's estimates next to the published ones.
    """
    from coachbook.book import published
    from coachbook.studies.kraft_hill.variables import PAPER
    pub = published.load(PAPER).query("table == 'Table A2'").set_index(["panel", "row", "column"])
    year_of = {v: k for k, v in A2_PANEL.items()}
    from coachbook.synth.mqi_outcomes import interactions
    coefs = {k: np.asarray(v, float) for k, v in interactions.CALIBRATED.items()}
    gain: dict = dict(getattr(interactions, "GAINS", {}))
    prev = None
    for it in range(iterations):
        est = _a2(seed, coefs)
        est["year"] = est["panel"].map(year_of)
        new = {}
        for (column, year), g in est.groupby(["column", "year"], sort=False):
            key = (column, int(year))
            e = g["estimate"].to_numpy()
            target = np.array([pub["estimate"].get((A2_PANEL[year], r, column), np.nan) for r in g["row"]])
            target = np.where(np.isnan(target), e, target)   # an illegible cell is left alone
            old = coefs.get(key, np.zeros(len(e)))
            if prev is not None and key in prev:
                de, dg = e - prev[key][0], old - prev[key][1]
                if dg @ dg > 0:
                    gain[key] = float(np.clip((de @ dg) / (dg @ dg), 0.2, 5.0))
            new[key] = np.round(old + (target - e) / gain.get(key, 1.5), 4)
            new[key] = (new[key], e, old)
        prev = {k: (v[1], v[2]) for k, v in new.items()}
        coefs = {k: v[0] for k, v in new.items()}
        _write(coefs, gain)
        keyed = est.set_index(["panel", "row", "column"])
        both = pub.join(keyed, rsuffix="_rep", how="inner").dropna(subset=["estimate"])
        within = int(((both["estimate_rep"] - both["estimate"]).abs() <= 0.25 * both["se"]).sum())
        print(f"iteration {it + 1}: {within} of {len(both)} estimates within 0.25 SE", flush=True)
    return _a2(seed, coefs)


if __name__ == "__main__":
    from coachbook.synth import SEED
    out = calibrate(SEED)
    print(out.to_string())
