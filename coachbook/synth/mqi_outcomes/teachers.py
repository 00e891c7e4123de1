"""The teachers table prepared for the outcome files, and the teacher latents they share.

Every outcome file mixes the same per-teacher latents (a general
instructional quality, a prognostic index of the controls, outcome-specific
noise and the responsiveness to coaching, :func:`_responsiveness`);
:class:`_Sample` holds the design of one analytic sample of teachers.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from coachbook.estimators import ols
from coachbook.studies.kraft_hill.variables import TABLE_A1_FLAGS, TEACHER_CONTROLS
from coachbook.synth.mqi_outcomes.calibration import _imbalance_direction, _moment_match, _rng


# ---------------------------------------------------------------------------
# Teachers: preparation and shared latents
# ---------------------------------------------------------------------------
_FLAGS = list(TABLE_A1_FLAGS.values())   # the nine observed_* flags of the teachers file


def _prepare_teachers(teachers: pd.DataFrame) -> pd.DataFrame:
    from coachbook.estimators._validate import require_columns
    controls = list(TEACHER_CONTROLS)
    require_columns(teachers, ["teacher_id", "school_id", "district", "block", "treatment",
                               "grade", *controls, *_FLAGS], "teachers")
    districts = set(teachers["district"])
    if not districts <= {"urban", "suburban"}:
        raise ValueError(f"district must be 'urban' or 'suburban', found {sorted(districts)}")
    t = teachers.sort_values("teacher_id", kind="stable").reset_index(drop=True)
    if t[controls].isna().any().any():
        raise ValueError("teacher controls have missing values; the generator needs them complete.")
    return t


def _controls_matrix(t: pd.DataFrame) -> np.ndarray:
    return t[list(TEACHER_CONTROLS)].to_numpy(dtype=float)


def _teacher_latents(seed: int, t: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per-teacher latents shared by the outcome files (one stream, fixed draw order)."""
    rng = _rng(seed, "teacher")
    n = len(t)
    general = rng.standard_normal(n)
    x = _controls_matrix(t)
    xs = (x - x.mean(0)) / np.where(x.std(0) > 0, x.std(0), 1.0)
    w = rng.standard_normal(xs.shape[1])
    prognostic = _moment_match(xs @ w)
    skew = rng.standard_normal(n)
    specific = rng.standard_normal((n, 16))
    cycles = t["coaching_cycles"].to_numpy(float) if "coaching_cycles" in t else np.zeros(n)
    treated = t["treatment"].to_numpy() == 1
    dose = np.sqrt(cycles)
    dose = (dose - dose[treated].mean()) / (dose[treated].std() or 1.0)
    return {"general": general, "prognostic": prognostic, "specific": specific,
            "skew": skew, "dose": dose, "treated": treated,
            "response": _responsiveness({"skew": skew, "dose": dose, "treated": treated}, 0.6)}


def _responsiveness(lat, kappa: float) -> np.ndarray:
    """Treated teachers' responsiveness to coaching, mean 0 and SD 1 among the treated.

    ``0.5 x dose + 0.85 x L_kappa(z)``: dose is the standardized square root
    of the teacher's coaching cycles (roster), ``L_kappa`` a standardized
    lognormal transform of a normal draw with skewness set by ``kappa``
    (right-skewed for kappa > 0, left-skewed for kappa < 0, normal at 0).
    """
    z = lat["skew"]
    if abs(kappa) < 1e-9:
        shaped = z
    else:
        k = abs(kappa)
        shaped = np.sign(kappa) * (np.exp(k * np.sign(kappa) * z) - np.exp(k ** 2 / 2)) / np.sqrt(
            (np.exp(k ** 2) - 1) * np.exp(k ** 2))
    resp = 0.5 * lat["dose"] + 0.85 * shaped
    treated = lat["treated"]
    return (resp - resp[treated].mean()) / resp[treated].std()


def _base_latent(lat, k: int, w_general=0.5, w_prog=0.3) -> np.ndarray:
    w_spec = np.sqrt(1 - w_general ** 2 - w_prog ** 2)
    return w_general * lat["general"] + w_prog * lat["prognostic"] + w_spec * lat["specific"][:, k]


@dataclass
class _Sample:
    """An analytic sample of teachers with its design pieces."""

    idx: np.ndarray          # positions in the prepared teachers table
    treat: np.ndarray
    blocks: np.ndarray       # block dummies (first dropped)
    X: np.ndarray            # teacher controls
    h: np.ndarray            # imbalance direction

    @property
    def design_u(self):
        return np.column_stack([np.ones(len(self.idx)), self.treat, self.blocks])

    @property
    def design_c(self):
        return ols.drop_collinear(np.column_stack([self.design_u, self.X]))


def _sample(t: pd.DataFrame, mask) -> _Sample:
    idx = np.flatnonzero(np.asarray(mask))
    sub = t.iloc[idx]
    treat = sub["treatment"].to_numpy(float)
    blocks = ols.dummies(sub["block"])
    X = _controls_matrix(sub)
    return _Sample(idx=idx, treat=treat, blocks=blocks, X=X,
                   h=_imbalance_direction(treat, blocks, X))


def _standardize(values: np.ndarray, control: np.ndarray) -> np.ndarray:
    ref = values[control]
    return (values - ref.mean()) / ref.std(ddof=1)
