"""How many published numbers the book replicates within tolerance, paper by paper.

Every comparison table a chapter shows (:class:`coachbook.book.replication.ReplicationTable`)
also stores its rows, unformatted, in the notebook under the media type :data:`MIME`
(the page shows the HTML; the stored record is what this module reads). :func:`records`
collects them from the chapter notebooks, and :func:`tolerance_report` counts, for each
paper, the distinct published cells within tolerance:

- an estimate within 0.25 published standard errors of the published one, or within 20%
  where no SE is printed (a published 0 must be matched to its printed digits);
- a standard error within 25% of the published SE, where both exist;
- a p-value on the same side of .05 as the published one;
- a count (a row or column that names ``n``, ``N`` or a count, and a whole replicated
  number) exactly. A percentage is not a count, and neither is a fractional replicated
  number such as an expected count from arithmetic on an effect: both are judged as
  estimates without an SE.

A cell shown in several chapters counts once, by its worst replication.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from coachbook.book.precision import round_sig

#: Media type of the stored rows of a comparison table.
MIME = "application/vnd.coachbook.replication+json"
#: |gap| in published SEs, relative gap without an SE, relative SE gap: the tolerance.
ESTIMATE_SE, ESTIMATE_REL, SE_REL = 0.25, 0.20, 0.25
_KEYS = ("table", "panel", "year", "row", "column")
_COUNT = re.compile(r"(^|\W)(n|N|count|Number of|teachers|students|videos|preconferences)(\W|$)")
_P = re.compile(r"(^|\W)p(-value| value)?$", re.I)


def _number(value) -> float | None:
    """A stored number: six significant digits, like every number that leaves the package
    for the page (:mod:`coachbook.book.precision`), so the record is the same on every machine."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else float(round_sig(number))


def payload(table) -> dict:
    """The stored record of a :class:`~coachbook.book.replication.ReplicationTable`."""
    data, frame = table.data, table.frame
    rows = []
    for i, record in data.iterrows():
        row = {key: str(record[key]) for key in _KEYS if key in data and pd.notna(record[key])}
        for key in ("published", "published_se", "replicated", "replicated_se"):
            if key in data:
                row[key] = _number(record[key])
        if "origin" in data:
            row["origin"] = str(record["origin"] or "")
        if "Verdict" in frame:
            row["verdict"] = str(frame.loc[i, "Verdict"])
        rows.append(row)
    return {"paper": data.attrs.get("paper"), "rows": rows}


_PERCENT = re.compile(r"percent|%", re.I)


def _is_count(row: dict) -> bool:
    column, label = row.get("column", ""), row.get("row", "")
    if _PERCENT.search(column) and not _COUNT.search(column):
        return False
    replicated = row.get("replicated")
    if replicated is not None and not float(round(replicated, 6)).is_integer():
        return False
    return bool(_COUNT.search(column) or _COUNT.search(label))


def within_tolerance(row: dict) -> tuple[bool, str]:
    """Whether one replicated cell is within tolerance, and if not, why (a short phrase)."""
    published, replicated = row.get("published"), row.get("replicated")
    if published is None or replicated is None:
        return False, "no replicated number" if replicated is None else "no published number"
    if _P.search(row.get("column", "")):
        same = (published < 0.05) == (replicated < 0.05)
        return same, "" if same else "p on the other side of .05"
    if _is_count(row) and float(published).is_integer():
        exact = round(replicated, 6) == published
        return exact, "" if exact else "count differs"
    se = row.get("published_se")
    gap = abs(replicated - published)
    if se:
        if gap > ESTIMATE_SE * se + 1e-12:
            return False, f"estimate {gap / se:.2f} SE off"
        replicated_se = row.get("replicated_se")
        if replicated_se is not None and abs(replicated_se - se) > SE_REL * se + 1e-12:
            return False, f"SE {abs(replicated_se - se) / se:.0%} off"
        return True, ""
    if published == 0:
        ok = abs(replicated) < 0.005
        return ok, "" if ok else "published 0, replicated not"
    relative = gap / abs(published)
    return relative <= ESTIMATE_REL + 1e-12, "" if relative <= ESTIMATE_REL + 1e-12 else f"{relative:.0%} off"


def records(notebooks: Iterable[Path]) -> list[dict]:
    """Every stored comparison row of the notebooks, with its ``paper`` and ``chapter``."""
    found = []
    for path in notebooks:
        notebook = json.loads(Path(path).read_text(encoding="utf-8"))
        for cell in notebook.get("cells", []):
            for output in cell.get("outputs", []):
                for mime, value in output.get("data", {}).items():
                    if mime == MIME or mime.endswith("/" + MIME):
                        record = value if isinstance(value, dict) else json.loads(value)
                        for row in record["rows"]:
                            found.append({**row, "paper": record.get("paper"),
                                          "chapter": Path(path).stem})
    return found


def tolerance_report(rows: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per paper, the distinct published cells compared and how many are within tolerance;
    and the cells outside it (each with the chapter and the reason)."""
    if not rows:
        raise ValueError("no comparison rows: execute the chapters (make execute) first.")
    frame = pd.DataFrame(rows)
    for key in _KEYS:
        if key not in frame:
            frame[key] = ""
    frame[list(_KEYS)] = frame[list(_KEYS)].fillna("")
    frame["paper"] = frame["paper"].fillna("unknown")
    judged = [within_tolerance({k: v for k, v in row.items() if not _missing(v)})
              for row in frame.to_dict("records")]
    frame["within"] = [ok for ok, _ in judged]
    frame["why"] = [why for _, why in judged]
    cell = ["paper", *_KEYS]
    worst = frame.sort_values("within").drop_duplicates(cell, keep="first")
    counts = (worst.groupby("paper")["within"].agg(cells="size", within="sum")
              .assign(share=lambda t: (t["within"] / t["cells"]).round(3)))
    outside = worst.loc[~worst["within"], ["paper", *_KEYS, "published", "replicated", "chapter", "why"]]
    return counts, outside.reset_index(drop=True)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
