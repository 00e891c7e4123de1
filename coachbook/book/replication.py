"""The published-vs-replicated table, as a reader sees it.

Every chapter ends its replications with the same kind of table: each published
number next to the number recomputed from the bundled data, how far apart they
are in published standard errors, and a verdict. :func:`replication_table`
turns the output of :func:`coachbook.book.compare.compare` (or of
``published.side_by_side``) into that table:

- human labels (``Published (SE) | Replicated (SE) | Gap in SEs | Verdict``),
  rows grouped under their table and panel, no index;
- numbers at the precision the paper printed them (the decimals of the
  transcription's text, ``0.120`` three, carried by ``published.side_by_side``
  as ``published_decimals`` and ``published_se_decimals``), each replicated
  number at the decimals of its published twin, integers as integers,
  p-values as ``< .001``, no ``-0.00``;
- a verdict in words *and* colour (:func:`verdict`), so it survives a
  black-and-white printout and a colour-blind reader;
- where the transcription records it (column ``origin``), a marker on each
  row saying whether the agreement was **built in** (the synthetic data were
  calibrated to that published number, so agreeing tests only consistency) or
  is **emergent** (not targeted, so agreeing tests the method), with a
  one-line legend under the table;
- in HTML, a layout that fits the text column (stacked cards on a phone, the
  whole table in print) and a CSV download of the full table; with
  ``summary=True`` (long tables such as A2 and A3) the verdict counts and the
  rows that differ most first, the full table folded. The plain-text form
  (terminal, nbval, PDF fallback) holds the same strings.
"""
from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from coachbook.book.replication_cells import _decimals, _is_p, _printed, _with_se
from coachbook.book.replication_css import _CSS, stacked_labels

#: Verdicts, best first: (word, CSS class). The rule is :func:`verdict`.
VERDICTS = {"agrees": "cb-agrees", "close": "cb-close", "differs": "cb-differs",
            "no published number": "cb-none"}
#: |gap| in published SEs up to which a number agrees / is close.
AGREE_SE, CLOSE_SE = 0.25, 1.0
#: Relative |gap| up to which a number without a published SE agrees / is close.
AGREE_REL, CLOSE_REL = 0.20, 0.50
#: The groups rows are shown under, in order (``year`` comes from ``compare(by_year=True)``).
_GROUPS = ("table", "panel", "year")
_UNNAMED = ("count", "value")
#: Group names shown in words (``Text`` is the key of numbers quoted in a paper's prose).
_GROUP_LABELS = {"Text": "In the text of the paper"}
#: What each origin means, for the legend under a table.
ORIGIN_LEGEND = ("built in: the synthetic data were calibrated to this published number, so "
                 "agreeing tests only their consistency, not the method; emergent: not targeted, "
                 "so agreeing tests the method.")
#: Columns of a comparison that steer the display and are left out of the CSV.
_STEERING = ("published_decimals", "published_se_decimals")



def format_number(value, decimals: int) -> str:
    """``value`` with ``decimals`` decimals (thousands separated from 10,000); ``""`` for a
    missing value; never ``-0.00``."""
    if value is None or pd.isna(value):
        return ""
    text = f"{float(value):,.{decimals}f}" if abs(float(value)) >= 10_000 else f"{float(value):.{decimals}f}"
    if text.startswith("-") and float(text.replace(",", "")) == 0:
        text = text[1:]
    return text


def format_p(value) -> str:
    """A p-value as journals print it: ``< .001``, else three decimals without the 0."""
    if value is None or pd.isna(value):
        return ""
    if not 0 <= float(value) <= 1:
        raise ValueError(f"a p-value must lie in [0, 1], got {value!r}.")
    if value < 0.001:
        return "< .001"
    return f"{value:.3f}".lstrip("0")


def verdict(gap, published, published_se=None, decimals=None, p_value: bool = False) -> str:
    """The verdict on one replicated number.

    With a published standard error: *agrees* when the gap is at most
    :data:`AGREE_SE` (0.25) published SEs, *close* up to :data:`CLOSE_SE` (1),
    else *differs*. Without one (counts, shares, means printed without an
    SE): *agrees* when the replicated number rounds to the printed one
    (``decimals``, the printed decimals: a gap of at most half a unit in the
    last printed digit), else by the gap relative to the published number,
    *agrees* up to 20%, *close* up to 50%; a published zero needs a zero gap
    at the printed precision. A p-value (``p_value=True``) *differs* when the
    two lie on opposite sides of .05, else *agrees* when they are within .05
    of each other or 20%, and is *close* otherwise. These are the tolerances
    the book uses throughout.
    """
    if gap is None or pd.isna(gap) or pd.isna(published):
        return "no published number"
    if p_value:   # gap is replicated minus published, so its sign tells the replicated p
        published, replicated = float(published), float(published) + float(gap)
        if (published < 0.05) != (replicated < 0.05):
            return "differs"
        gap = abs(float(gap))
        return "agrees" if gap <= 0.05 or gap <= AGREE_REL * published else "close"
    gap = abs(float(gap))
    if published_se is not None and not pd.isna(published_se) and published_se > 0:
        ratio = gap / float(published_se)
        return "agrees" if ratio <= AGREE_SE else "close" if ratio <= CLOSE_SE else "differs"
    half_unit = 0.5 * 10.0 ** -int(decimals) if decimals is not None and not pd.isna(decimals) else 5e-4
    if gap <= half_unit * (1 + 1e-9):
        return "agrees"
    if float(published) == 0:
        return "differs"
    ratio = gap / abs(float(published))
    return "agrees" if ratio <= AGREE_REL else "close" if ratio <= CLOSE_REL else "differs"


class ReplicationTable:
    """A published-vs-replicated table: ``.frame`` (the strings shown), ``.data`` (the
    numbers, for a CSV), and an HTML form that fits the page (see the module docstring)."""

    def __init__(self, frame: pd.DataFrame, data: pd.DataFrame, title: str | None,
                 csv_name: str, summary: bool):
        self.frame, self.data, self.title = frame, data, title
        self.csv_name, self.summary = csv_name, summary
        self.as_printed = pd.Series(True, index=frame.index, name="as printed")

    def off_the_printed_digit(self) -> pd.Series:
        """True where the replicated number, shown at the paper's precision, is not the number the
        paper printed (``0.705`` against a printed ``0.71`` shows as ``0.70``): a miss in the
        last printed digit, whatever the verdict says."""
        return ~self.as_printed

    @property
    def has_origin(self) -> bool:
        """Whether any row says if its agreement was built in or emergent."""
        return "Origin" in self.frame and bool((self.frame["Origin"] != "").any())

    # -- plain text ---------------------------------------------------------------------
    def counts(self) -> pd.Series:
        """How many numbers get each verdict, in the order of :data:`VERDICTS`."""
        return self.frame["Verdict"].value_counts().reindex(list(VERDICTS), fill_value=0)

    def counts_by_origin(self) -> pd.DataFrame:
        """Verdict counts per origin (``built in``, ``emergent``, ``unknown``): rows origins,
        columns verdicts. Without an ``origin`` column every row is ``unknown``."""
        origin = (self.frame["Origin"].replace("", "unknown") if "Origin" in self.frame
                  else pd.Series("unknown", index=self.frame.index))
        table = pd.crosstab(origin, self.frame["Verdict"])
        return table.reindex(columns=list(VERDICTS), fill_value=0).rename_axis(index="origin",
                                                                                  columns=None)

    def __repr__(self) -> str:
        lines = [self.title] if self.title else []
        counts = self.counts()
        lines.append("Verdicts: " + ", ".join(f"{n} {word}" for word, n in counts.items() if n)
                     + self._by_origin())
        shown = self._worst() if self.summary else self.frame
        if self.summary:
            lines.append(f"The {len(shown)} numbers that differ most (full table: {len(self.frame)} rows):")
        lines.append(shown.to_string(index=False))
        if self.has_origin:
            lines.append("Origin: " + ORIGIN_LEGEND)
        return "\n".join(lines)

    def _by_origin(self) -> str:
        """``"; built in: 3 agrees, 1 close; emergent: 4 agrees"``; ``""`` without origins."""
        if not self.has_origin:
            return ""
        table = self.counts_by_origin().drop(index="unknown", errors="ignore")
        return "".join(f"; {origin}: " + ", ".join(f"{n} {w}" for w, n in row.items() if n)
                       for origin, row in table.iterrows())

    def _worst(self, n: int = 8) -> pd.DataFrame:
        """The ``n`` rows with the worst verdicts, the largest gaps first (in published SEs,
        else relative to the published number), shown in table order."""
        severity = self.frame["Verdict"].map({"differs": 3, "close": 2, "agrees": 1}).fillna(0)
        if "gap_in_se" in self.data:
            size = self.data["gap_in_se"].abs()
        else:
            size = pd.Series(np.nan, index=self.data.index)
        relative = self.data["gap"].abs() / self.data["published"].abs().where(self.data["published"] != 0)
        size = size.fillna(relative).fillna(0)
        order = pd.DataFrame({"severity": severity, "size": size})
        keep = order.sort_values(["severity", "size"], ascending=False, kind="stable").index[:n]
        return self.frame.loc[sorted(keep)]

    # -- HTML -----------------------------------------------------------------------------
    def _rows_html(self, frame: pd.DataFrame) -> str:
        groups = [g.title() for g in _GROUPS]
        columns = [c for c in frame.columns if c not in groups and c != "Origin"]
        head = "".join(f'<th scope="col">{html.escape(c)}</th>' for c in columns)
        body, group = [], None
        for _, row in frame.iterrows():
            this = " · ".join(str(row[c]) for c in groups if c in frame and row[c])
            if this and this != group:
                body.append(f'<tr class="cb-group"><th colspan="{len(columns)}" scope="rowgroup">'
                            f"{html.escape(this)}</th></tr>")
                group = this
            cells = []
            for c in columns:
                text = html.escape(str(row[c]))
                if c == "Verdict":
                    origin = str(row.get("Origin", "") or "")
                    mark = (f' <span class="cb-origin cb-{origin.replace(" ", "-")}">{html.escape(origin)}'
                            "</span>" if origin else "")
                    cells.append(f'<td class="cb-verdict {VERDICTS[row[c]]}">{text}{mark}</td>')
                else:
                    cells.append(f"<td>{text}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        caption = f"<caption>{html.escape(self.title)}</caption>" if self.title else ""
        name, labels = stacked_labels(columns)
        return (f'{labels}<table class="cb-replication {name}">{caption}<thead><tr>{head}</tr></thead>'
                f"<tbody>{''.join(body)}</tbody></table>")

    def glue(self, name: str) -> None:
        """Store the table for a ``{numbered-table}`` in the prose (it shows there, numbered and
        captioned, and nothing shows in the cell); see :mod:`coachbook.book.sphinx_tables`."""
        from myst_nb import glue as myst_glue

        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"a glued table needs a non-empty name, got {name!r}.")
        myst_glue(name, self, display=False)

    def csv(self) -> str:
        """The full table as CSV text: the numbers unrounded by the display, but to six
        significant digits (the book's precision policy), without the display's steering
        columns."""
        from coachbook.book.precision import round_frame

        data = self.data.drop(columns=[c for c in _STEERING if c in self.data])
        return round_frame(data).to_csv(index=False, lineterminator="\n")

    def _download(self) -> str:
        href = "data:text/csv;charset=utf-8;base64," + base64.b64encode(self.csv().encode()).decode()
        return (f'<p class="cb-download"><a download="{html.escape(self.csv_name)}" href="{href}">'
                f"Download the full table (CSV, {len(self.data)} rows)</a></p>")

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        """The rows, unformatted, beside the HTML (:mod:`coachbook.book.tolerance` reads them)."""
        from coachbook.book import tolerance
        return {tolerance.MIME: tolerance.payload(self)}

    def _repr_html_(self) -> str:
        counts = self.counts()
        tally = ", ".join(f'<span class="{VERDICTS[w]}">{n} {w}</span>' for w, n in counts.items() if n)
        parts = [_CSS, f"<p>Verdicts: {tally}{html.escape(self._by_origin())}.</p>"]
        if self.summary:
            worst = self._worst()
            parts.append(f"<p>The {len(worst)} numbers that differ most:</p>")
            parts.append(self._rows_html(worst))
            parts.append(f"<details><summary>All {len(self.frame)} numbers</summary>"
                         f"{self._rows_html(self.frame)}</details>")
        else:
            parts.append(self._rows_html(self.frame))
        if self.has_origin:
            parts.append(f'<p class="cb-legend">Origin: {html.escape(ORIGIN_LEGEND)}</p>')
        parts.append(self._download())
        return "".join(parts)


def replication_table(comparison: pd.DataFrame, labels: Mapping[str, str] | None = None,
                      title: str | None = None, summary: bool | None = None,
                      csv_name: str = "replication.csv", p_value: pd.Series | None = None,
                      extra: Sequence[str] = ()) -> ReplicationTable:
    """The reader's published-vs-replicated table of a comparison.

    Parameters
    ----------
    comparison : DataFrame
        The output of :func:`coachbook.book.compare.compare` or
        ``published.side_by_side``: ``row``, ``column``, ``published``,
        ``replicated`` and ``gap``, and where they exist ``table``, ``panel``,
        ``published_se``, ``stars``, ``replicated_se``, ``gap_in_se``,
        ``published_decimals`` and ``published_se_decimals`` (the printed
        precision; else it is guessed from the float) and ``origin``
        (``built in``, ``emergent`` or blank).
    labels : mapping, optional
        Human labels for the row and column names of the paper
        (``{"ccasp": "Common Core practices"}``); unnamed ones are shown as
        printed.
    title : str, optional
        A caption.
    summary : bool, optional
        Show the verdict counts and the rows that differ most first, with the
        full table folded. Default: for tables over 30 rows.
    csv_name : str
        File name of the CSV download.
    p_value : Series, optional
        The replicated p-values, aligned with ``comparison``: added as a
        column (a reader checks "same side of .05" there).
    extra : sequence of str
        Other columns of ``comparison`` to show before the gap, named as they
        are (``"replicated 95% CI"``): text as it is, whole numbers as
        integers, other numbers at two decimals.

    Returns
    -------
    ReplicationTable

    Raises
    ------
    ValueError
        ``comparison`` is not a DataFrame, is empty or lacks a column.
    """
    if not isinstance(comparison, pd.DataFrame):
        raise ValueError(f"comparison must be a DataFrame from compare(), got {type(comparison).__name__}.")
    needed = ["row", "column", "published", "replicated", "gap"]
    missing = [c for c in needed if c not in comparison]
    if missing:
        raise ValueError(f"comparison lacks the columns {missing}; pass the output of "
                         "coachbook.book.compare.compare or published.side_by_side.")
    if comparison.empty:
        raise ValueError("comparison has no rows: nothing to show.")
    absent = [c for c in extra if c not in comparison]
    if isinstance(extra, str) or absent:
        raise ValueError(f"extra names columns to show, as a list; not in the comparison: "
                         f"{[extra] if isinstance(extra, str) else absent}.")
    if p_value is not None and len(p_value) != len(comparison):
        raise ValueError(f"p_value has {len(p_value)} values for {len(comparison)} rows; align them.")
    labels = dict(labels or {})
    data = comparison.reset_index(drop=True)
    shown = pd.DataFrame(index=data.index)
    for key in _GROUPS:
        if key in data:
            shown[key.title()] = data[key].fillna("").map(lambda v: labels.get(v, _GROUP_LABELS.get(v, v)))
    row = data["row"].map(lambda v: labels.get(v, v))
    column = data["column"].map(lambda v: labels.get(v, v))
    # "count" and "value" name no quantity: the row alone says which number it is
    plain = (data["column"].nunique() == 1) | data["column"].isin(_UNNAMED)
    shown["Number"] = row.where(plain, row + ", " + column)
    published_cells, replicated_cells, as_printed, printed_decimals = [], [], [], []
    has_se = "published_se" in data
    for i, r in data.iterrows():
        stars = str(r.get("stars", "") or "")
        if pd.isna(r.get("stars")):
            stars = ""
        if _is_p(r["column"]):
            pub, rep, pub_se, rep_se = format_p(r["published"]), format_p(r["replicated"]), "", ""
        else:
            if "published_decimals" in data:    # the printed precision, cell by cell
                d = _printed(r, "published_decimals", "published")
                d_se = _printed(r, "published_se_decimals", "published_se") if has_se else d
                if has_se and pd.isna(r.get("published_se")):
                    d_se = d
            else:                                 # a frame built by hand: one guess for both
                d = d_se = max(_decimals(r["published"]),
                               _decimals(r.get("published_se")) if has_se else 0)
            pub, rep = format_number(r["published"], d), format_number(r["replicated"], d)
            pub_se = format_number(r.get("published_se"), d_se) if has_se else ""
            rep_se = format_number(r.get("replicated_se"), d_se) if "replicated_se" in data else ""
        printed_decimals.append(None if _is_p(r["column"]) else d)
        as_printed.append(pub == rep or not pub or not rep)
        published_cells.append(_with_se(pub + stars, pub_se))
        replicated_cells.append(_with_se(rep, rep_se))
    shown["Published (SE)" if has_se else "Published"] = published_cells
    shown["Replicated (SE)" if "replicated_se" in data else "Replicated"] = replicated_cells
    for column in extra:
        shown[column] = [v if isinstance(v, str) else format_number(v, 0 if float(v).is_integer() else 2)
                         if v is not None and not pd.isna(v) else "" for v in data[column]]
    if p_value is not None:
        shown["Replicated p"] = [format_p(v) for v in np.asarray(p_value, dtype=float)]
    if "gap_in_se" in data:
        shown["Gap in SEs"] = [format_number(v, 2) for v in data["gap_in_se"]]
    shown["Verdict"] = [verdict(r["gap"], r["published"], r.get("published_se") if has_se else None,
                                decimals=d, p_value=_is_p(r["column"]))
                        for (_, r), d in zip(data.iterrows(), printed_decimals)]
    if "origin" in data:
        origin = data["origin"].fillna("").astype(str).str.strip()
        odd = sorted(set(origin) - {"built in", "emergent", ""})
        if odd:
            raise ValueError(f"origin must be 'built in', 'emergent' or blank, found {odd}.")
        shown["Origin"] = origin
    if summary is None:
        summary = len(data) > 30
    table = ReplicationTable(shown, data, title, csv_name, bool(summary))
    table.as_printed = pd.Series(as_printed, index=shown.index, name="as printed")
    return table
