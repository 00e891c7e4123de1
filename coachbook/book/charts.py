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

Charts fit the page they are on. The interactive chart of a single view (one
mark, or layers of marks) takes the width of the text column (Vega-Lite's
``width="container"``); the static SVG and PNG keep the width the chart was
made with, and the book's CSS scales a static or multi-panel chart down to the
column, never beyond it. Legends go below the chart by default, where a narrow
screen cannot cut them off. Tooltip fields without a title get a readable one
(``teacher_id`` is shown as "teacher id"). The stored data keep only the
columns the chart uses, and SVG geometry is written with at most two decimals.
"""
from __future__ import annotations

import base64
import html
import json
import re
import textwrap

import altair as alt
import pandas as pd
import vl_convert as vlc

from coachbook.book.precision import round_frame, round_sig

__all__ = ["OKABE_ITO", "ARM_COLORS", "FIXED_WIDTH", "show", "ChartOutput", "round_svg", "vega_bundle"]

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
            # Below the chart and one entry a line: a legend on the right is cut on a phone.
            # Several legends stack (Vega's layout), instead of standing side by side.
            "legend": {"labelFontSize": 12, "titleFontSize": 13, "orient": "bottom",
                       "direction": "vertical", "labelLimit": 320,
                       "layout": {"bottom": {"direction": "vertical", "anchor": "start"}}},
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


#: ``usermeta`` of a chart whose geometry is drawn in pixels (a diagram): it keeps its width.
FIXED_WIDTH = {"coachbook": {"width": "fixed"}}
_MULTI_VIEW = ("facet", "repeat", "concat", "hconcat", "vconcat")
_DECIMALS = re.compile(r"-?\d+\.\d{3,}")
_ATTRIBUTE = re.compile(r'(\s)([\w:-]+)="([^"]*)"')
_TAG = re.compile(r"<[^>]+>")
_TITLE_NARROW, _TITLE_WIDE, _AXIS_TITLE = 40, 84, 30   # characters per line


def _two_decimals(match: re.Match) -> str:
    text = f"{round(float(match.group(0)), 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def round_svg(svg: str) -> str:
    """``svg`` with every number in its geometry attributes written with at most two decimals.

    Text (axis labels, titles) and the ``aria-*`` descriptions read aloud are left as they are.
    """
    if not isinstance(svg, str) or not svg.lstrip().startswith("<svg"):
        raise ValueError("round_svg takes the text of an SVG drawing.")

    def attribute(match: re.Match) -> str:
        if match.group(2).startswith("aria-"):
            return match.group(0)
        return f'{match.group(1)}{match.group(2)}="{_DECIMALS.sub(_two_decimals, match.group(3))}"'

    return _TAG.sub(lambda tag: _ATTRIBUTE.sub(attribute, tag.group(0)), svg)


def _fits_container(spec: dict) -> bool:
    """A single view (one mark or layers) with no facet channel can take the column's width."""
    if spec.get("usermeta", {}).get("coachbook", {}).get("width") == "fixed":
        return False
    if any(key in spec for key in _MULTI_VIEW) or not ("mark" in spec or "layer" in spec):
        return False
    encodings = [spec.get("encoding", {})] + [layer.get("encoding", {}) for layer in spec.get("layer", [])]
    return not any(channel in encoding for encoding in encodings for channel in ("facet", "row", "column"))


def _narrow_limit(limit, share: float):
    """A label limit that shrinks on a narrow column: at most ``share`` of the chart's width."""
    if isinstance(limit, bool) or not isinstance(limit, (int, float)):
        return limit
    return {"expr": f"min({limit:g}, max(80, containerSize()[0] * {share:g}))"}


def _responsive_labels(node):
    """Y-axis labels and legend labels that give way to the data on a phone (live spec only)."""
    if isinstance(node, list):
        return [_responsive_labels(value) for value in node]
    if not isinstance(node, dict):
        return node
    out = {key: _responsive_labels(value) for key, value in node.items()}
    encoding = out.get("encoding")
    if isinstance(encoding, dict):
        encoding = dict(encoding)
        for channel, channel_def in encoding.items():
            if not isinstance(channel_def, dict):
                continue
            channel_def = dict(channel_def)
            if channel == "y" and channel_def.get("axis", {}) is not None:
                axis = dict(channel_def.get("axis") or {})
                axis["labelLimit"] = _narrow_limit(axis.get("labelLimit", 180), 0.35)
                channel_def["axis"] = axis
            if isinstance(channel_def.get("legend"), dict) and "labelLimit" in channel_def["legend"]:
                channel_def["legend"] = dict(channel_def["legend"], labelLimit=_narrow_limit(
                    channel_def["legend"]["labelLimit"], 0.5))
            encoding[channel] = channel_def
        out["encoding"] = encoding
    return out


def _lines(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width=width, break_long_words=False) or [text]


def _wrapped_title(title):
    """A chart title that breaks into lines on a narrow column (the browser's spec only)."""
    params = dict(title) if isinstance(title, dict) else {"text": title}
    text = params.get("text")
    if not isinstance(text, str) or len(text) <= _TITLE_NARROW:
        return title
    narrow, wide = json.dumps(_lines(text, _TITLE_NARROW)), json.dumps(_lines(text, _TITLE_WIDE))
    params["text"] = {"expr": f"containerSize()[0] < 560 ? {narrow} : {wide}"}
    return params


def _wrapped_axis_titles(node):
    """Long x-axis titles (with their units) on two lines rather than cut off."""
    if isinstance(node, list):
        return [_wrapped_axis_titles(value) for value in node]
    if not isinstance(node, dict):
        return node
    out = {key: _wrapped_axis_titles(value) for key, value in node.items()}
    encoding = out.get("encoding")
    if isinstance(encoding, dict) and isinstance(encoding.get("x"), dict):
        x = dict(encoding["x"])
        if isinstance(x.get("title"), str) and len(x["title"]) > _AXIS_TITLE:
            x["title"] = _lines(x["title"], _AXIS_TITLE)
            out["encoding"] = dict(encoding, x=x)
    return out


def _live_spec(spec: dict) -> dict:
    """The spec the browser draws: as wide as the text column when the chart allows it."""
    if not _fits_container(spec):
        return spec
    live = _wrapped_axis_titles(_responsive_labels(dict(spec, width="container")))
    if "title" in live:
        live["title"] = _wrapped_title(live["title"])
    live["autosize"] = {"type": "fit-x", "contains": "padding"}
    config = dict(live.get("config", {}))
    legend = dict(config.get("legend", {}))
    legend["labelLimit"] = _narrow_limit(legend.get("labelLimit", 160), 0.5)
    config["legend"] = legend
    live["config"] = config
    return live


def _human_tooltips(node):
    """Tooltip fields without a title get the field name in words (``teacher_id`` -> "teacher id")."""
    if isinstance(node, list):
        return [_human_tooltips(value) for value in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "tooltip":
            entries = value if isinstance(value, list) else [value]
            named = [dict(entry, title=str(entry["field"]).replace("_", " "))
                     if isinstance(entry, dict) and "field" in entry and "title" not in entry else entry
                     for entry in entries]
            out[key] = named if isinstance(value, list) else named[0]
        else:
            out[key] = _human_tooltips(value)
    return out


def _used_columns_only(spec: dict) -> dict:
    """Drop dataset columns the spec never names (Altair embeds every column of the frame)."""
    datasets = spec.get("datasets")
    if not datasets:
        return spec
    text = json.dumps({key: value for key, value in spec.items() if key != "datasets"})
    kept = {}
    for name, rows in datasets.items():
        columns = {column for row in rows if isinstance(row, dict) for column in row}
        used = {column for column in columns if column in text}
        kept[name] = [{k: v for k, v in row.items() if k in used} if isinstance(row, dict) else row
                      for row in rows]
    return dict(spec, datasets=kept)


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
        spec = _human_tooltips(_used_columns_only(spec))
        self.spec = spec
        self.live_spec = _live_spec(spec)
        self.svg = round_svg(vlc.vegalite_to_svg(spec))
        self.png = vlc.vegalite_to_png(spec, scale=scale)

    def _html(self) -> str:
        spec_json = json.dumps(self.live_spec, sort_keys=True).replace("</", "<\\/")
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

    def glue(self, name: str) -> None:
        """Store the chart for a numbered ``{glue:figure}`` in the prose (it shows there, with
        its number and caption, and nothing shows in the cell)::

            charts.show(net_chart).glue("co_net_chart")

        and in a Markdown cell ``{glue:figure} co_net_chart`` with ``:name: fig-co-net`` and a
        caption, which the prose cites as ``{numref}`fig-co-net``` ("Figure 7.1").
        """
        from myst_nb import glue as myst_glue

        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"a glued chart needs a non-empty name, got {name!r}.")
        myst_glue(name, self, display=False)


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
