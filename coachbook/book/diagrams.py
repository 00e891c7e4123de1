"""Theory-of-action diagrams: boxes joined by labelled arrows, drawn with Altair.

:func:`theory_of_action_chart` draws a chain of steps (what a coaching model
does, what it changes, what that changes in turn) with each arrow marked by
whether the study measured the link and where the book tests it. Its text
alternative is the table :func:`coachbook.studies.links_table` makes from the
same frames.
"""
from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from coachbook.estimators._validate import require_columns

__all__ = ["theory_of_action_chart"]


# ---------------------------------------------------------------------------
# Theory-of-action diagrams
# ---------------------------------------------------------------------------
_LINK_COLORS = alt.Scale(domain=["measured in the study", "not measured in the study"],
                         range=["#0072B2", "#D55E00"])


def _endpoints(src: pd.Series, dst: pd.Series, gap: float = 4.0) -> tuple[float, float, float, float]:
    """Start and end of an arrow from box ``src`` to box ``dst``, clipped to the box edges."""
    x1, y1, x2, y2 = src["x"], src["y"], dst["x"], dst["y"]
    dx, dy = x2 - x1, y2 - y1
    length = float(np.hypot(dx, dy))
    if length == 0:
        raise ValueError(f"an arrow joins {src['id']!r} to itself.")

    def clip(width, height):
        tx = (width / 2) / abs(dx) if dx else np.inf
        ty = (height / 2) / abs(dy) if dy else np.inf
        return min(tx, ty) + gap / length

    t1, t2 = clip(src["w"], src["h"]), clip(dst["w"], dst["h"])
    if t1 + t2 >= 1:
        raise ValueError(f"boxes {src['id']!r} and {dst['id']!r} overlap; move them apart.")
    return x1 + t1 * dx, y1 + t1 * dy, x2 - t2 * dx, y2 - t2 * dy


def _geometry(value: float) -> float:
    """A pixel coordinate or angle rounded to 3 decimals (and -0.0 made 0.0).

    The arrow geometry comes from trigonometry whose last bits differ between
    machines (``arctan2`` gives 224.99999999999997 on one and 225 on
    another), and the numbers are written into the chart's SVG and
    specification; rounding keeps the stored outputs identical everywhere.
    """
    return float(round(float(value), 3)) + 0.0


def theory_of_action_chart(nodes: pd.DataFrame, edges: pd.DataFrame, title: str,
                           width: int = 640, height: int = 520) -> alt.LayerChart:
    """A theory of action as boxes joined by labelled arrows (an Altair chart).

    Parameters
    ----------
    nodes : DataFrame
        ``id``, ``label`` (use ``\\n`` for line breaks), ``x``, ``y`` (box centre
        in pixels from the top-left corner), and optionally ``w``, ``h`` (box
        size, default 200 x 56) and ``detail`` (shown in the tooltip).
    edges : DataFrame
        ``source``, ``target`` (node ids), ``measure`` (what tests the link),
        ``chapter`` (where the book tests it), ``measured`` (bool: did the study
        measure both ends?), and optionally ``label_dx``, ``label_dy`` (pixel
        offset of the label from the arrow's midpoint, default 12, 0) and
        ``label`` (the text beside the arrow; default "measure / chapter").
    title : str
        The chart title, also its accessible description.

    Returns
    -------
    altair.LayerChart, to be shown with ``coachbook.book.charts.show``. Give readers
    the same information as a table too (the chart's text alternative).
    """
    require_columns(nodes, ["id", "label", "x", "y"], "nodes")
    require_columns(edges, ["source", "target", "measure", "chapter", "measured"], "edges")
    if not isinstance(title, str) or not title.strip():
        raise ValueError("a theory-of-action chart needs a title; it is the chart's text alternative.")
    n = nodes.copy()
    if n["id"].duplicated().any():
        raise ValueError(f"node ids must be unique; repeated: {sorted(n.loc[n['id'].duplicated(), 'id'])}.")
    n["w"] = n["w"] if "w" in n else 200.0
    n["h"] = n["h"] if "h" in n else 56.0
    n["detail"] = n["detail"] if "detail" in n else n["label"].str.replace("\n", " ")
    n["label_text"] = n["label"].str.replace("\\n", "\n", regex=False)
    # mark_text puts the first line at y; centre the block of lines in the box instead.
    n["y_text"] = n["y"] - (n["label_text"].str.count("\n") * 15) / 2
    unknown = sorted((set(edges["source"]) | set(edges["target"])) - set(n["id"]))
    if unknown:
        raise ValueError(f"edges refer to node id(s) {unknown} that are not in nodes.")
    by_id = n.set_index("id", drop=False)

    rows = []
    for _, e in edges.iterrows():
        src, dst = by_id.loc[e["source"]], by_id.loc[e["target"]]
        x1, y1, x2, y2 = _endpoints(src, dst)
        angle = _geometry(float(np.degrees(np.arctan2(x2 - x1, -(y2 - y1))))) % 360
        label = e["label"] if "label" in e and isinstance(e["label"], str) else f"{e['measure']}\n{e['chapter']}"
        rows.append({
            "from": src["detail"], "to": dst["detail"], "measure": e["measure"], "chapter": e["chapter"],
            "link": "measured in the study" if bool(e["measured"]) else "not measured in the study",
            "x1": _geometry(x1), "y1": _geometry(y1), "x2": _geometry(x2), "y2": _geometry(y2),
            "angle": _geometry(angle),
            "lx": _geometry((x1 + x2) / 2 + float(e.get("label_dx", 12) if pd.notna(e.get("label_dx", 12)) else 12)),
            "ly": _geometry((y1 + y2) / 2 + float(e.get("label_dy", 0) if pd.notna(e.get("label_dy", 0)) else 0)),
            "label_text": label.replace("\\n", "\n"),
        })
    links = pd.DataFrame(rows)

    x_scale = alt.Scale(domain=[0, width], nice=False, zero=True)
    y_scale = alt.Scale(domain=[0, height], nice=False, zero=True, reverse=True)
    x = lambda field: alt.X(f"{field}:Q", scale=x_scale, axis=None)  # noqa: E731
    y = lambda field: alt.Y(f"{field}:Q", scale=y_scale, axis=None)  # noqa: E731
    n["x_left"], n["x_right"] = n["x"] - n["w"] / 2, n["x"] + n["w"] / 2
    n["y_top"], n["y_bottom"] = n["y"] - n["h"] / 2, n["y"] + n["h"] / 2
    node_tooltip = [alt.Tooltip("detail:N", title="Step")]
    link_tooltip = [alt.Tooltip("from:N", title="From"), alt.Tooltip("to:N", title="To"),
                    alt.Tooltip("measure:N", title="Measure that tests the link"),
                    alt.Tooltip("chapter:N", title="Where the book tests it")]
    color = alt.Color("link:N", scale=_LINK_COLORS, title="Link",
                      legend=alt.Legend(orient="bottom", direction="horizontal"))
    boxes = alt.Chart(n).mark_rect(fill="#F2F2F2", stroke="#555555", strokeWidth=1, cornerRadius=6).encode(
        x=x("x_left"), x2="x_right:Q", y=y("y_top"), y2="y_bottom:Q", tooltip=node_tooltip)
    box_text = alt.Chart(n).mark_text(fontSize=12, lineBreak="\n", lineHeight=15, baseline="middle",
                                      fontWeight="bold").encode(
        x=x("x"), y=y("y_text"), text="label_text:N", tooltip=node_tooltip)
    shafts = alt.Chart(links).mark_rule(strokeWidth=2.5).encode(
        x=x("x1"), y=y("y1"), x2="x2:Q", y2="y2:Q", color=color,
        strokeDash=alt.StrokeDash("link:N", scale=alt.Scale(
            domain=_LINK_COLORS.domain, range=[[1, 0], [6, 4]]), legend=None),
        tooltip=link_tooltip)
    heads = alt.Chart(links).mark_point(shape="triangle-up", filled=True, size=110, opacity=1).encode(
        x=x("x2"), y=y("y2"), angle=alt.Angle("angle:Q", scale=None), color=alt.Color(
            "link:N", scale=_LINK_COLORS, legend=None), tooltip=link_tooltip)
    labels = alt.Chart(links).mark_text(align="left", baseline="middle", fontSize=11, lineBreak="\n",
                                        color="#333333").encode(
        x=x("lx"), y=y("ly"), text="label_text:N", tooltip=link_tooltip)
    # Drawn in pixels: the diagram keeps its width (coachbook.book.charts scales it to the column).
    return alt.layer(shafts, heads, boxes, box_text, labels).properties(
        title=title, width=width, height=height, usermeta={"coachbook": {"width": "fixed"}})
