"""The style of the reader's published-vs-replicated table (:mod:`coachbook.book.replication`).

Sent with every table, so a table looks the same in the book, in Jupyter and in
a downloaded notebook: fits the column, groups shaded, verdict words in colour,
an origin marker with a border (dashed: built in), stacked cards at 600 px and
below, whole rows in print.
"""

_CSS = """<style>
.cb-replication{border-collapse:collapse;width:100%;max-width:100%;font-size:.9em;
  font-variant-numeric:tabular-nums}
.cb-replication caption{text-align:left;font-weight:600;padding:.2em 0}
.cb-replication th,.cb-replication td{padding:.25em .5em;border-bottom:1px solid #ddd;
  vertical-align:top;text-align:right}
.cb-replication th:first-child,.cb-replication td:first-child{text-align:left}
.cb-replication tr.cb-group th{text-align:left;background:#f3f3f3;font-weight:600}
.cb-replication .cb-verdict{white-space:nowrap;font-weight:600}
.cb-replication .cb-agrees{color:#1a7a3a}.cb-replication .cb-close{color:#8a5a00}
.cb-replication .cb-differs{color:#b3261e}.cb-replication .cb-none{color:#555}
.cb-replication .cb-se{color:#555;white-space:nowrap}
.cb-replication .cb-origin{display:inline-block;margin-left:.4em;padding:0 .3em;font-size:.8em;
  font-weight:400;border:1px solid currentColor;border-radius:.3em;color:#333}
.cb-replication .cb-origin.cb-built-in{border-style:dashed}
.cb-legend{font-size:.85em;color:#444;margin:.2em 0}
.cb-download{font-size:.85em}
.cb-table-caption .caption-number{font-weight:700}
@media (max-width:600px){
  .cb-replication thead{display:none}
  .cb-replication,.cb-replication tbody,.cb-replication tr,.cb-replication td,
  .cb-replication tr.cb-group th{display:block;width:auto}
  .cb-replication tr{border-bottom:1px solid #ccc;padding:.3em 0}
  .cb-replication td{border:0;text-align:left;padding:.05em .3em}
  .cb-replication td:first-child{font-weight:600}
}
@media print{.cb-replication{page-break-inside:auto}.cb-replication tr{page-break-inside:avoid}
  .cb-download{display:none}}
</style>"""


def stacked_labels(columns) -> tuple[str, str]:
    """A class for a table with these columns, and the CSS that labels its cells when the
    table stacks into cards (600 px and below): ``Published (SE): 0.47 (0.12)``. The labels
    come from the style, once per table, not from an attribute on every cell."""
    import hashlib
    import json

    name = "cb-c" + hashlib.sha1("|".join(columns).encode()).hexdigest()[:8]
    rules = "".join(f".{name} td:nth-child({k})::before{{content:{json.dumps(c + ': ')};color:#555}}"
                    for k, c in enumerate(columns, start=1) if k > 1)
    return name, f"<style>@media (max-width:600px){{{rules}}}</style>"
