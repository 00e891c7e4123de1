"""What a coaching program costs once the teachers it kept need not be replaced.

:func:`net_cost` turns a per-teacher program cost and a retention effect into
the cost that remains after the savings from hires a district did not have to
make (Kraft & Hill 2019, Program Costs), with every assumption a parameter.

References
----------
Kraft, M. A., & Hill, H. C. (2019). Developing ambitious mathematics
instruction through web-based coaching: A randomized field trial.
EdWorkingPaper 19-119.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from coachbook.estimators._result import Result, tidy_frame
from coachbook.estimators._values import require_number
import dataclasses

__all__ = ["NetCost", "net_cost"]


@dataclass(frozen=True, repr=False)
class NetCost(Result):
    """Result of :func:`net_cost`; money in the units of the inputs (dollars).

    Attributes
    ----------
    gross_cost : float
        ``cost_per_teacher * n_teachers``.
    teachers_retained : float
        Hires avoided: ``retention_effect * n_teachers`` or the count given.
    savings : float
        ``teachers_retained * replacement_cost``.
    net_cost : float
        ``gross_cost - savings`` (negative: the program pays for itself).
    net_cost_per_teacher : float
        ``net_cost / n_teachers``.
    share_offset : float
        ``savings / gross_cost``, the share of the cost recovered.
    break_even_replacement_cost : float
        Replacement cost at which savings equal the cost:
        ``gross_cost / teachers_retained`` (infinite if nobody is retained).
    """

    gross_cost: float
    teachers_retained: float
    savings: float
    net_cost: float
    net_cost_per_teacher: float
    share_offset: float
    break_even_replacement_cost: float

    def as_series(self) -> pd.Series:
        """The fields as a labelled Series, for a table."""
        return pd.Series(self.__dict__, dtype=float)

    def tidy(self) -> pd.DataFrame:
        """Each cost quantity as a row (``estimate`` in the input's units)."""
        return tidy_frame([{"term": field.name, "estimate": getattr(self, field.name)}
                           for field in dataclasses.fields(self)])


def _money(value, name: str, positive: bool) -> float:
    x = require_number(name, value, finite=False, allow_nan=True, unit="dollars")
    if not np.isfinite(x) or (x <= 0 if positive else x < 0):
        rule = "positive" if positive else "zero or positive"
        raise ValueError(f"{name} must be {rule} and finite, got {value!r}.")
    return x


def net_cost(
    cost_per_teacher: float,
    n_teachers: float,
    replacement_cost: float,
    *,
    retention_effect: float | None = None,
    teachers_retained: float | None = None,
) -> NetCost:
    """Program cost net of the savings from teachers a district did not have to replace.

    Kraft and Hill (2019, Program Costs) reason in three steps: coaching
    raised the chance that a teacher still taught math the next year, so
    fewer math vacancies had to be filled; each vacancy filled costs a
    district an amount estimated in the literature; so the program's cost,
    net of those savings, is smaller than its price. Here

    .. math::

        \\text{retained} = \\Delta \\times N, \\qquad
        \\text{savings} = \\text{retained} \\times c_{\\text{replace}}, \\qquad
        \\text{net} = c_{\\text{teacher}} N - \\text{savings},

    with :math:`\\Delta` the effect of the offer on retention (a share, e.g.
    0.106 for a 10.6 percentage-point effect) and :math:`N` the teachers
    offered the program.

    Parameters
    ----------
    cost_per_teacher : float
        Program cost per teacher offered (dollars), positive.
    n_teachers : float
        Teachers offered the program, positive.
    replacement_cost : float
        Cost of filling one vacancy (dollars), zero or positive.
    retention_effect : float, keyword-only
        Effect of the offer on the probability of staying, between -1 and 1.
        Give this or ``teachers_retained``, not both.
    teachers_retained : float, keyword-only
        Hires avoided, if known directly (between 0 and ``n_teachers``).

    Returns
    -------
    NetCost

    Raises
    ------
    ValueError
        Non-numeric, negative or non-finite amounts; both or neither of
        ``retention_effect`` and ``teachers_retained``; a retention effect
        outside [-1, 1]; more teachers retained than offered.

    Notes
    -----
    The calculation takes the retention effect at face value: every teacher
    kept is one vacancy not filled, and nothing else about the program saves
    or costs money. A negative effect (more turnover) makes the net cost
    larger than the price.

    Examples
    --------
    >>> round(net_cost(3500, 72, 15000, retention_effect=0.106).net_cost_per_teacher)
    1910
    """
    cost_per_teacher = _money(cost_per_teacher, "cost_per_teacher", positive=True)
    replacement_cost = _money(replacement_cost, "replacement_cost", positive=False)
    n = _money(n_teachers, "n_teachers", positive=True)
    if (retention_effect is None) == (teachers_retained is None):
        raise ValueError(
            "give exactly one of retention_effect (a share, e.g. 0.106) or teachers_retained "
            "(a count, e.g. 7)."
        )
    if retention_effect is not None:
        effect = require_number("retention_effect", retention_effect, allow_nan=True)
        if not -1 <= effect <= 1:
            raise ValueError(
                f"retention_effect is a difference in probabilities and must lie in [-1, 1], "
                f"got {effect}; write 10.6 percentage points as 0.106."
            )
        retained = effect * n
    else:
        retained = require_number("teachers_retained", teachers_retained, finite=False,
                                  allow_nan=True)
        if not 0 <= retained <= n:
            raise ValueError(
                f"teachers_retained must lie between 0 and n_teachers ({n:g}), got {retained}."
            )
    gross = cost_per_teacher * n
    savings = retained * replacement_cost
    net = gross - savings
    return NetCost(
        gross_cost=gross,
        teachers_retained=retained,
        savings=savings,
        net_cost=net,
        net_cost_per_teacher=net / n,
        share_offset=savings / gross,
        break_even_replacement_cost=gross / retained if retained > 0 else float("inf"),
    )
