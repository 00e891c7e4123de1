"""Classroom and workshop activities: data made up on purpose for an exercise.

:func:`simulate_trainee` makes the rubric scores of a *simulated* trainee who
rates the same segments as a master coder, with a per-item bias and noise, so
that a coach trainer can practise reading a calibration report
(:func:`coachbook.estimators.agreement.calibration_by_item`) without real
trainees' scores.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from coachbook.estimators._validate import require_columns, require_numeric

__all__ = ["simulate_trainee"]


def simulate_trainee(master: pd.DataFrame, items: Sequence[str], bias: Mapping[str, float] | float,
                     noise_sd: float, seed: int, low: int = 0, high: int = 3) -> pd.DataFrame:
    """Scores of a *simulated* trainee who rates the same segments as the master.

    For every segment and item: trainee = round(master + bias[item] + e),
    e ~ Normal(0, noise_sd), clipped to the scale [low, high]. A positive bias
    makes the trainee score that item higher than the master, a negative one
    lower. This is an exercise device, not a model of real raters.

    Parameters
    ----------
    master : DataFrame
        One row per segment, integer master scores in ``items``.
    items : sequence of str
        The rubric items (columns of ``master``) the trainee scores.
    bias : mapping item -> float, or float
        Systematic offset per item (a single number applies to every item).
    noise_sd : float
        Standard deviation of the trainee's random error, in score points.
    seed : int
        Seed of the random draws, so the trainee is the same on every run.

    Returns
    -------
    DataFrame with the same index and ``items`` columns, integer scores.
    """
    require_columns(master, list(items), "master")
    require_numeric(master, list(items), "master")
    if low >= high:
        raise ValueError(f"low ({low}) must be below high ({high}).")
    scores = master[list(items)].to_numpy(dtype=float)
    if np.isnan(scores).any():
        raise ValueError("master has missing scores; drop or fill the unscored segments first.")
    if ((scores < low) | (scores > high)).any():
        raise ValueError(f"master scores must lie on the {low}-{high} scale.")
    if isinstance(bias, Mapping):
        unknown = sorted(set(bias) - set(items))
        if unknown:
            raise ValueError(f"bias names item(s) {unknown} that are not in items.")
        offsets = np.array([float(bias.get(item, 0.0)) for item in items])
    else:
        offsets = np.full(len(items), float(bias))
    if not np.isfinite(offsets).all():
        raise ValueError("every bias must be a finite number of score points.")
    if not np.isfinite(noise_sd) or noise_sd < 0:
        raise ValueError(f"noise_sd must be 0 or more, got {noise_sd!r}.")
    rng = np.random.default_rng(seed)
    latent = scores + offsets[None, :] + rng.normal(0.0, noise_sd, scores.shape)
    trainee = np.clip(np.rint(latent), low, high).astype(int)
    return pd.DataFrame(trainee, index=master.index, columns=list(items))
