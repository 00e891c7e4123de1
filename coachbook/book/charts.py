"""Charts that work offline, in the PDF, and interactively when they can.

Altair's default HTML output loads its JavaScript from a CDN, so a reader with
no network sees an error instead of a chart. :func:`show` renders every chart
to a static SVG and PNG with vl-convert (no browser, no network) and wraps the
SVG in a small HTML figure that also carries the chart's Vega-Lite spec. When
the built book serves its local copy of vega-embed (added by
:mod:`coachbook.book.sphinx_ext`), a script swaps the SVG for the interactive
chart with tooltips; when it does not, the SVG stays. The PNG is what the
LaTeX/PDF builder uses.

Every number in a chart is rounded to six significant digits before Altair
serializes it (:mod:`coachbook.book`'s precision policy), so the stored SVG,
the spec and the dataset names Altair derives from the data are the same on
every machine, whatever the CPU did in the 16th digit.

Every chart must have a title (read aloud by screen readers, and the chart's
text alternative together with its caption), and every axis a title.
"""
from __future__ import annotations

import base64
import html
import json

import altair as alt
import pandas as pd
import vl_convert as vlc

from coachbook.book.precision import round_frame, round_sig

__all__ = ["OKABE_ITO", "ARM_COLORS", "show", "ChartOutput", "vega_bundle"]

# Okabe & Ito (2008): eight colours distinguishable under the common forms of
# colour-vision deficiency.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
ARM_COLORS = alt.Scale(domain=["Control", "Treatment"], range=["#E69F00", "#0072B2"])


@alt.theme.register("coachbook", enable=True)
def _coachbook_theme() -> alt.theme.ThemeConfig:
    return {
        "config": {
            "range": {"category": OKABE_ITO},
            "view": {"continuousWidth": 480, "continuousHeight": 300, "stroke": None},
            "axis": {"labelFontSize": 12, "titleFontSize": 13, "grid": True, "gridOpacity": 0.4},
            "legend": {"labelFontSize": 12, "titleFontSize": 13},
            "title": {"fontSize": 15, "anchor": "start", "subtitleFontSize": 12},
            "font": "Helvetica, Arial, sans-serif",
        }
    }


def _rounded_values(data):
    """Altair data transformer: the default one, on data rounded to six significant digits."""
    if isinstance(data, pd.DataFrame):
        data = round_frame(data)
    return alt.to_values(alt.limit_rows(data))


alt.data_transformers.register("coachbook_rounded", _rounded_values)


def _round_spec(node):
    """Every float in a spec (inline values, computed domains, geometry) to six significant digits."""
    if isinstance(node, float):
        return round_sig(node)
    if isinstance(node, dict):
        return {key: _round_spec(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_round_spec(value) for value in node]
    return node


def _title_text(spec: dict) -> str:
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(title)
    return str(title or "").strip()


class ChartOutput:
    """A chart as a notebook output: HTML (SVG + spec), SVG, PNG and plain text.

    The text/plain part names the chart, so nbval compares something readable;
    the SVG is deterministic for a given spec, so nbval checks the drawing too.
    """

    def __init__(self, chart: alt.TopLevelMixin, scale: float = 2.0):
        with alt.data_transformers.enable("coachbook_rounded"):
            spec = _round_spec(chart.to_dict())
        self.title = _title_text(spec)
        if not self.title:
            raise ValueError(
                "every chart in the book needs a title (it is the chart's text alternative); "
                "add .properties(title='...') before calling show()."
            )
        spec.setdefault("description", self.title)
        self.spec = spec
        self.svg = vlc.vegalite_to_svg(spec)
        self.png = vlc.vegalite_to_png(spec, scale=scale)

    def _html(self) -> str:
        spec_json = json.dumps(self.spec, sort_keys=True).replace("</", "<\\/")
        label = html.escape(self.title, quote=True)
        return (
            f'<figure class="coachbook-chart" role="group" aria-label="{label}">'
            f'<div class="coachbook-chart-static">{self.svg}</div>'
            f'<script type="application/json" class="coachbook-chart-spec">{spec_json}</script>'
            "</figure>"
        )

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {
            "text/html": self._html(),
            "image/svg+xml": self.svg,
            "image/png": base64.b64encode(self.png).decode("ascii"),
            "text/plain": f"<Chart: {self.title}>",
        }


def show(chart: alt.TopLevelMixin) -> ChartOutput:
    """Render an Altair chart for the book: ``charts.show(chart)`` as a cell's last line."""
    if not isinstance(chart, alt.TopLevelMixin):
        raise ValueError(f"show() takes an Altair chart, got {type(chart).__name__}.")
    return ChartOutput(chart)


def vega_bundle() -> str:
    """vega, vega-lite and vega-embed as one script, for serving with the book.

    vl-convert bundles the libraries it renders with, so the interactive chart
    and the static SVG come from the same versions. The bundle is wrapped in a
    function scope because its top-level names would otherwise clash with the
    globals of the Sphinx theme.
    """
    return "(function(){\n" + vlc.javascript_bundle() + "\n})();\n"
