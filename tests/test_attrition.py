"""Tests for coachbook.attrition: rates, the WWC standard and Lee bounds."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coachbook.attrition import (
    WWC_BOUNDARIES,
    attrition_rates,
    lee_bounds,
    wwc_attrition_rating,
)

REFERENCE = Path(__file__).parent / "reference_data"


# ---- Lee bounds against a published answer ----------------------------------
@pytest.fixture(scope="module")
def paces():
    return pd.read_csv(REFERENCE / "lee_abk_paces.csv")


@pytest.mark.parametrize(
    "outcome, lower, upper",
    [("MATH", 0.075, 0.279), ("READING", 0.029, 0.261), ("WRITING", -0.057, 0.204)],
)
def test_lee_bounds_paces_vouchers(paces, outcome, lower, upper):
    """Lee bounds without covariates on the PACES voucher lottery.

    Data: Angrist, Bettinger & Kremer (2006), "Long-term educational
    consequences of secondary school vouchers: Evidence from administrative
    records in Colombia", AER 96(3). File ``ABK_prepared_data.csv`` from the
    project's reference cases, restricted to ``AGE2 <= 23`` and
    ``SEX_IS_NA == 0`` (N = 3,610) and to the columns used here, copied to
    ``reference_data/lee_abk_paces.csv``. Treatment ``VOUCH0`` (won the
    voucher lottery), observed ``TEST_TAK`` (took the ICFES exam); untested
    pupils carry a placeholder score of 0, so ``observed`` must be given.

    Published answer: Semenova (2020), "Generalized Lee bounds", bounds
    without covariates: math [0.075, 0.279], reading [0.029, 0.261],
    writing [-0.057, 0.204], ratio of observation rates 1.057.
    Here the control arm is observed more often, so it is the arm trimmed.
    """
    assert len(paces) == 3610
    res = lee_bounds(paces, outcome, treatment="VOUCH0", observed="TEST_TAK")
    assert round(res.lower, 3) == lower
    assert round(res.upper, 3) == upper
    assert round(res.obs_rate_ratio, 3) == 1.057
    assert res.trimmed_arm == "control"
    assert res.trim_share == pytest.approx(1 - 1 / res.obs_rate_ratio)


def test_lee_bounds_trims_treatment_when_it_is_observed_more():
    # Treated: 10 units, all observed, outcomes 1..10; control: 10 units, 5
    # observed, all 0. p = (1 - .5)/1 = .5: keep the lower/upper half.
    df = pd.DataFrame(
        {
            "treatment": [1] * 10 + [0] * 10,
            "y": list(range(1, 11)) + [0] * 5 + [np.nan] * 5,
        }
    )
    res = lee_bounds(df, "y")
    assert res.trimmed_arm == "treatment" and res.trim_share == 0.5
    # Q(.5) = 5.5: lower keeps 1..5 (mean 3), upper keeps 6..10 (mean 8).
    assert (res.lower, res.upper) == (3.0, 8.0)


def test_lee_bounds_equal_rates_collapse_to_difference():
    df = pd.DataFrame({"treatment": [1, 1, 0, 0], "y": [2.0, np.nan, 1.0, np.nan]})
    res = lee_bounds(df, "y")
    assert res.trimmed_arm == "neither" and res.lower == res.upper == 1.0


@pytest.mark.parametrize(
    "frame, kwargs, message",
    [
        ({"treatment": [1, 0, 1, 0], "y": [1.0, 2, 3, 4]}, {}, "no attrition"),
        ({"treatment": [1, 1, 0, 0], "y": [np.nan, np.nan, 1.0, 2]}, {}, "treatment arm is unobserved"),
        ({"treatment": [1, 1, 0, 0], "y": [1.0, 2, np.nan, np.nan]}, {}, "control arm is unobserved"),
        ({"treatment": [1, 2, 0, 0], "y": [1.0, 2, np.nan, 3]}, {}, "0/1"),
        ({"treatment": [1, 0], "y": [1.0, 2], "seen": [1, 5]}, {"observed": "seen"}, "0/1"),
        ({"treatment": [1, 0], "y": [1.0, 2]}, {"observed": "seen"}, "missing column"),
        ({"treatment": [1, 0], "y": [np.nan, 2], "seen": [1, 0]}, {"observed": "seen"}, "marked observed"),
    ],
)
def test_lee_bounds_bad_inputs(frame, kwargs, message):
    with pytest.raises(ValueError, match=message):
        lee_bounds(pd.DataFrame(frame), "y", **kwargs)


# ---- attrition rates --------------------------------------------------------
def test_attrition_rates():
    # Treated: 2 of 10 lost (20 %); control: 1 of 10 lost (10 %).
    df = pd.DataFrame({"treatment": [1] * 10 + [0] * 10, "observed": [0, 0] + [1] * 8 + [0] + [1] * 9})
    rates = attrition_rates(df, "treatment", "observed")
    assert rates.overall_pct == pytest.approx(15)
    assert (rates.treatment_pct, rates.control_pct) == pytest.approx((20, 10))
    assert rates.differential_pct == pytest.approx(10)
    assert rates.wwc_rating("cautious") == "high" and rates.wwc_rating("optimistic") == "low"


def test_attrition_rates_bad_inputs():
    with pytest.raises(ValueError, match="0/1"):
        attrition_rates(pd.DataFrame({"treatment": [1, 0], "observed": [1, 3]}), "treatment", "observed")
    with pytest.raises(ValueError, match="missing column"):
        attrition_rates(pd.DataFrame({"treatment": [1, 0]}), "treatment", "observed")


# ---- WWC boundaries ---------------------------------------------------------
def test_wwc_table_shape_and_facts():
    assert WWC_BOUNDARIES.shape == (66, 2)
    assert list(WWC_BOUNDARIES.index) == list(range(66))
    assert WWC_BOUNDARIES.loc[0].tolist() == [5.7, 10.0]
    assert WWC_BOUNDARIES.loc[65, "optimistic"] == 0.3
    cautious, optimistic = WWC_BOUNDARIES["cautious"], WWC_BOUNDARIES["optimistic"]
    assert cautious.isna().sum() == 8 and cautious.loc[:57].notna().all()
    assert optimistic.notna().all()
    assert (cautious.dropna() < optimistic[cautious.notna()]).all()
    # Both boundaries rise to a peak near 10 % overall attrition, then fall.
    assert cautious.loc[:10].is_monotonic_increasing and cautious.loc[10:57].is_monotonic_decreasing
    assert optimistic.loc[:10].is_monotonic_increasing and optimistic.loc[10:].is_monotonic_decreasing


@pytest.mark.parametrize(
    "overall, differential, boundary, rating",
    [
        (10, 6.3, "cautious", "low"),  # exactly on the boundary counts as low
        (10, 6.4, "cautious", "high"),
        (10.9, 6.3, "cautious", "low"),  # 10.9 % reads the 10 % row
        (10, -6.3, "cautious", "low"),  # sign of the differential is ignored
        (58, 0.0, "cautious", "high"),  # cautious: high at any differential
        (58, 1.9, "optimistic", "low"),
        (58, 2.0, "optimistic", "high"),
        (57.9, 0.0, "cautious", "low"),
        (65.5, 0.3, "optimistic", "low"),
        (66, 0.0, "optimistic", "high"),
        (100 * (1 - 0.56), 2.1, "cautious", "high"),  # 43.99999999999999 % is 44 %
    ],
)
def test_wwc_rating_hand_checked(overall, differential, boundary, rating):
    assert wwc_attrition_rating(overall, differential, boundary) == rating


def test_wwc_rating_bad_inputs():
    with pytest.raises(ValueError, match="cautious"):
        wwc_attrition_rating(10, 5, boundary="pessimistic")
    with pytest.raises(ValueError, match="outside 0-100"):
        wwc_attrition_rating(-1, 5)
    with pytest.raises(ValueError, match="finite"):
        wwc_attrition_rating(float("nan"), 5)
