"""The one result convention (coachbook/estimators/_result.py): every estimator's result
dataclass has ``tidy()`` with the tidy column names, ``to_frame()``, and a readable repr."""
from __future__ import annotations

import dataclasses
import importlib
import pkgutil

import numpy as np
import pandas as pd
import pytest

import coachbook.estimators as estimators
from coachbook.estimators import agreement, attrition, lee, likelihood_ratio, rct
from coachbook.estimators._result import TIDY_COLUMNS, Result


def result_classes():
    found = []
    for info in pkgutil.iter_modules(estimators.__path__):
        module = importlib.import_module(f"coachbook.estimators.{info.name}")
        for value in vars(module).values():
            if (isinstance(value, type) and dataclasses.is_dataclass(value)
                    and value.__module__ == module.__name__ and not value.__name__.startswith("_")):
                found.append(value)
    return found


def _own_source(cls) -> str:
    import inspect
    return inspect.getsource(cls)


def test_every_public_result_dataclass_follows_the_convention():
    classes = result_classes()
    assert len(classes) >= 15
    outside = [cls.__name__ for cls in classes if not issubclass(cls, Result)]
    assert not outside, f"result dataclasses without the Result convention: {outside}"
    # a repr written for the class, or Result's; dataclass(repr=True) would overwrite both with
    # one that prints every array and frame in full
    generated = [cls.__name__ for cls in classes
                 if cls.__repr__ is not Result.__repr__ and "__repr__" not in _own_source(cls)]
    assert not generated, f"dataclass-generated repr (declare repr=False): {generated}"


def frame_and_design(seed=3, n=120):
    rng = np.random.default_rng(seed)
    block = np.repeat(np.arange(6), n // 6)
    treatment = rng.permutation(np.tile([0, 1], n // 2))
    outcome = 0.4 * treatment + 0.2 * block + rng.normal(size=n)
    return pd.DataFrame({"y": outcome, "treat": treatment, "block": block})


def test_itt_tidy_holds_the_unrounded_estimate_in_tidy_columns():
    data = frame_and_design()
    result = rct.itt(data, outcome="y", treatment="treat", block="block")
    tidy = result.tidy()
    assert list(tidy.columns) == [c for c in TIDY_COLUMNS if c in tidy.columns]
    assert tidy.loc[0, "term"] == "y"
    assert tidy.loc[0, "estimate"] == result.estimate
    assert tidy.loc[0, "std_error"] == result.se
    assert tidy.loc[0, "conf_low"] < result.estimate < tidy.loc[0, "conf_high"]
    assert tidy.loc[0, "n"] == len(data)


def test_results_of_different_estimators_stack():
    data = frame_and_design()
    observed = (np.arange(len(data)) % 7 != 0).astype(int)
    bounds = lee.lee_bounds(data.assign(observed=observed), outcome="y", treatment="treat",
                            observed="observed")
    stacked = pd.concat([rct.itt(data, outcome="y", treatment="treat").tidy(), bounds.tidy()],
                        ignore_index=True)
    assert list(stacked["term"]) == ["y", "lower bound", "upper bound"]
    assert stacked.loc[1, "estimate"] == bounds.lower and stacked.loc[2, "estimate"] == bounds.upper


def test_repr_is_short_and_rounded():
    test = likelihood_ratio.LikelihoodRatioTest(statistic=6.153846153846154, df=3, p=0.10432118,
                                                p_naive=0.2, deviance_full=1234.56789012,
                                                deviance_reduced=1240.7217, criterion="REML")
    text = repr(test)
    assert text.startswith("LikelihoodRatioTest(statistic=6.154, df=3, p=0.1043")
    assert "1235" in text and "6.153846" not in text


def test_one_row_results_use_their_declared_columns():
    kappa = agreement.Kappa(kappa=0.5, ase=0.1, n=40, weights="linear")
    row = kappa.tidy().iloc[0]
    assert row["estimate"] == 0.5 and row["std_error"] == 0.1 and row["n"] == 40
    assert row["conf_low"] == pytest.approx(0.5 - 1.959963984540054 * 0.1)
    rates = attrition.AttritionRates(overall_pct=10.0, treatment_pct=12.0, control_pct=8.0,
                                     differential_pct=4.0, n=100, n_treatment=50, n_control=50)
    assert list(rates.tidy()["term"]) == ["overall", "treatment", "control", "differential"]
    assert rates.to_frame().equals(rates.tidy())


def test_mixed_model_tidy_has_a_row_per_fixed_effect_with_wald_intervals():
    from coachbook.estimators.mixed import fit_mixed

    rng = np.random.default_rng(5)
    cluster = np.repeat(np.arange(30), 5)
    x = rng.normal(size=cluster.size)
    y = 1.0 + 0.5 * x + rng.normal(size=30)[cluster] + rng.normal(size=cluster.size)
    fit = fit_mixed("y ~ x", pd.DataFrame({"y": y, "x": x, "g": cluster}), cluster="g")
    tidy = fit.tidy()
    assert list(tidy["term"]) == list(fit.fixed_effects.index)
    row = tidy.set_index("term").loc["x"]
    assert row["estimate"] == fit.fixed_effects.loc["x", "estimate"]
    assert row["conf_high"] - row["estimate"] == pytest.approx(1.959963984540054 * row["std_error"])
