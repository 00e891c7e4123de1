"""Cell helpers of the reader's table (:mod:`coachbook.book.replication`): which column holds
p-values, and how many decimals a published cell was printed with."""
from __future__ import annotations

import math

import pandas as pd

_P_COLUMNS = ("p-value", "p", "p value")


def _decimals(value) -> int:
    """Decimals of a number from its float, for frames built by hand (0.120 is 0.12, so 2);
    comparisons from ``published.side_by_side`` carry the printed ``published_decimals``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return 0
    text = repr(float(value))
    if "e" in text:
        return 3
    frac = text.partition(".")[2]
    return 0 if frac == "0" else min(len(frac), 4)


def _is_p(column: str) -> bool:
    return str(column).strip().lower() in _P_COLUMNS


def _with_se(value: str, se: str) -> str:
    return f"{value} ({se})" if value and se else value


def _printed(row: pd.Series, decimals_column: str, value_column: str) -> int:
    """Printed decimals of one published cell: from the transcription, else from its float."""
    printed = row.get(decimals_column)
    if printed is not None and not pd.isna(printed):
        return int(printed)
    return _decimals(row.get(value_column))
