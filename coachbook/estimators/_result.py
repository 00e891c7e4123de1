"""The one result convention of the estimators.

Every estimator returns a dataclass that inherits :class:`Result`, which gives it

- ``tidy()``: a data frame with one row per estimated quantity and the column
  names of broom/estimatr (``term``, ``estimate``, ``std_error``, ``statistic``,
  ``df``, ``p_value``, ``conf_low``, ``conf_high``, ``n``), only those the
  estimator has, so results of different estimators stack with ``pd.concat``;
- ``to_frame()``: the same frame (``ITTResult`` keeps its rounded, published-style
  ``to_frame(digits)``);
- a ``repr`` a reader can scan: the class name and its numbers at four
  significant digits, arrays and frames by their shape.

A class declares what its tidy frame holds in ``_tidy``: a mapping from a tidy
column to the name of one of its attributes (one row), or it overrides
:meth:`Result.tidy` (one row per coefficient, per bound, per component).
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

#: The tidy columns, in the order a tidy frame shows them.
TIDY_COLUMNS = ("term", "estimate", "std_error", "statistic", "df", "df_denom", "p_value",
                "conf_low", "conf_high", "n")


def _short(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return str(value) if not math.isfinite(value) else f"{value:.4g}"
    if isinstance(value, np.ndarray):
        return f"array{value.shape}"
    if isinstance(value, (pd.DataFrame, pd.Series)):
        return f"{type(value).__name__}{value.shape}"
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    if isinstance(value, (list, tuple, dict)):
        return f"{type(value).__name__}[{len(value)}]"
    if value is None:
        return "None"
    return type(value).__name__


def tidy_frame(rows: list[dict]) -> pd.DataFrame:
    """Rows of tidy columns as a frame, columns in :data:`TIDY_COLUMNS` order (extra
    columns after them)."""
    frame = pd.DataFrame(rows)
    known = [column for column in TIDY_COLUMNS if column in frame.columns]
    return frame[known + [column for column in frame.columns if column not in known]]


def wald_table_tidy(table: pd.DataFrame) -> pd.DataFrame:
    """A fixed-effects table (``estimate``, ``se``, ``z``, ``p`` by term) as a tidy frame
    with 95% Wald intervals."""
    half = 1.959963984540054 * table["se"]
    return tidy_frame([{"term": term, "estimate": table.at[term, "estimate"],
                        "std_error": table.at[term, "se"], "statistic": table.at[term, "z"],
                        "p_value": table.at[term, "p"], "conf_low": table.at[term, "estimate"] - half[term],
                        "conf_high": table.at[term, "estimate"] + half[term]} for term in table.index])


class Result:
    """Mixin for the estimators' result dataclasses (see the module docstring)."""

    #: tidy column -> attribute name, for results that are one row
    _tidy: dict[str, str] = {}
    #: the ``term`` of a one-row tidy frame
    _term: str = ""

    def tidy(self) -> pd.DataFrame:
        if not self._tidy:
            raise NotImplementedError(f"{type(self).__name__} defines no tidy columns")
        row = {"term": self._term or type(self).__name__}
        row.update({column: getattr(self, name) for column, name in self._tidy.items()})
        return tidy_frame([row])

    def to_frame(self) -> pd.DataFrame:
        return self.tidy()

    def __repr__(self) -> str:
        fields = [field.name for field in dataclasses.fields(self) if field.repr]
        shown = ", ".join(f"{name}={_short(getattr(self, name))}" for name in fields)
        return f"{type(self).__name__}({shown})"
