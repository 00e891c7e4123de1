"""A small Sphinx extension that serves the chart JavaScript with the book.

It writes vega-embed (from vl-convert, see :func:`coachbook.charts.vega_bundle`)
and the upgrade script into the HTML output's ``_static`` folder and adds both
to every page, so charts become interactive with no CDN and no network.
"""
from __future__ import annotations

from pathlib import Path

from .charts import vega_bundle

_HERE = Path(__file__).resolve().parent
_JS_FILES = ("coachbook-vega-bundle.js", "coachbook-charts.js")


def _write_static(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    static = Path(app.outdir) / "_static"
    static.mkdir(parents=True, exist_ok=True)
    (static / _JS_FILES[0]).write_text(vega_bundle(), encoding="utf-8")
    (static / _JS_FILES[1]).write_text(
        (_HERE / "static" / "coachbook-charts.js").read_text(encoding="utf-8"), encoding="utf-8"
    )


def setup(app):
    for name in _JS_FILES:
        app.add_js_file(name)
    app.connect("build-finished", _write_static)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
