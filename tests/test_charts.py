"""Charts render offline to SVG + PNG, carry a title, and never reference a CDN."""
import base64

import altair as alt
import pandas as pd
import pytest

from coachbook.book import charts


def _chart(title="Cycles per teacher"):
    frame = pd.DataFrame({"arm": ["Control", "Treatment"], "share": [0.14, 0.92]})
    return alt.Chart(frame).mark_bar().encode(
        x=alt.X("arm:N", title="Arm"), y=alt.Y("share:Q", title="Share of teachers")
    ).properties(title=title)


def test_bundle_has_svg_png_html_and_readable_text():
    bundle = charts.show(_chart())._repr_mimebundle_()
    assert bundle["image/svg+xml"].startswith("<svg")
    assert base64.b64decode(bundle["image/png"])[:8] == b"\x89PNG\r\n\x1a\n"
    assert bundle["text/plain"] == "<Chart: Cycles per teacher>"
    assert 'class="coachbook-chart"' in bundle["text/html"]
    assert "<svg" in bundle["text/html"]


def test_no_output_loads_a_script_from_the_network():
    bundle = charts.show(_chart())._repr_mimebundle_()
    assert "<script src" not in bundle["text/html"]
    assert "cdn." not in bundle["text/html"]


def test_rendering_is_deterministic_so_nbval_can_compare_it():
    first = charts.show(_chart())._repr_mimebundle_()
    second = charts.show(_chart())._repr_mimebundle_()
    assert first["image/svg+xml"] == second["image/svg+xml"]
    assert first["text/html"] == second["text/html"]


def test_title_becomes_the_accessible_description():
    output = charts.show(_chart("Share coached monthly"))
    assert output.spec["description"] == "Share coached monthly"
    assert 'aria-label="Share coached monthly"' in output._repr_mimebundle_()["text/html"]


def test_a_chart_without_a_title_is_refused():
    with pytest.raises(ValueError, match="needs a title"):
        charts.show(_chart(title=""))


def test_show_refuses_things_that_are_not_charts():
    with pytest.raises(ValueError, match="takes an Altair chart"):
        charts.show(pd.DataFrame({"x": [1]}))


def test_the_interactive_bundle_defines_vega_embed_inside_a_function_scope():
    script = charts.vega_bundle()
    assert script.startswith("(function(){")
    assert "window.vegaEmbed=" in script


def test_svg_geometry_has_at_most_two_decimals_but_text_is_untouched():
    svg = ('<svg width="300.123456" viewBox="0 0 300.123456 99"><path d="M0.123456,-0.004L3.3333333,4"/>'
           '<g aria-label="share: 0.123457"><text x="1.23456">0.123457</text></g></svg>')
    rounded = charts.round_svg(svg)
    assert 'width="300.12"' in rounded and 'viewBox="0 0 300.12 99"' in rounded
    assert 'd="M0.12,0L3.33,4"' in rounded
    assert 'aria-label="share: 0.123457"' in rounded and ">0.123457</text>" in rounded
    assert 'x="1.23"' in rounded


def test_stored_svgs_have_no_long_decimals():
    import re

    frame = pd.DataFrame({"x": [0.1, 0.37, 0.71], "y": [1.0 / 3, 2.0 / 3, 0.9]})
    chart = alt.Chart(frame).mark_line().encode(x=alt.X("x:Q", title="X"), y=alt.Y("y:Q", title="Y"))
    svg = charts.show(chart.properties(title="Line"))._repr_mimebundle_()["image/svg+xml"]
    geometry = re.sub(r"<text[^>]*>[^<]*</text>|aria-[\w-]+=\"[^\"]*\"", "", svg)
    assert not re.search(r"\d\.\d{3,}", geometry)


def test_round_svg_refuses_what_is_not_an_svg():
    with pytest.raises(ValueError, match="SVG"):
        charts.round_svg("<div>0.12345</div>")
    with pytest.raises(ValueError, match="SVG"):
        charts.round_svg(None)


def test_a_single_view_chart_takes_the_column_width_only_in_the_browser():
    output = charts.show(_chart())
    assert output.live_spec["width"] == "container"
    assert output.live_spec["autosize"] == {"type": "fit-x", "contains": "padding"}
    assert output.spec.get("width") != "container"   # the static SVG and PNG keep a fixed width
    assert '"width": "container"' in output._repr_mimebundle_()["text/html"]


def test_multi_panel_charts_and_diagrams_keep_their_width():
    panels = alt.vconcat(_chart("A"), _chart("B")).properties(title="Two panels")
    assert "container" not in str(charts.show(panels).live_spec.get("width"))
    fixed = _chart().properties(usermeta=charts.FIXED_WIDTH)
    assert charts.show(fixed).live_spec.get("width") != "container"
    faceted = _chart().encode(column=alt.Column("arm:N", title="Arm")).properties(title="Faceted")
    assert charts.show(faceted).live_spec.get("width") != "container"


def test_legends_sit_below_the_chart_by_default():
    spec = charts.show(_chart().encode(color=alt.Color("arm:N", title="Arm"))).spec
    assert spec["config"]["legend"]["orient"] == "bottom"


def test_chart_data_keep_only_the_columns_the_chart_names():
    frame = pd.DataFrame({"arm": ["Control", "Treatment"], "share": [0.14, 0.92], "unused_notes": ["a", "b"]})
    chart = alt.Chart(frame).mark_bar().encode(x=alt.X("arm:N", title="Arm"), y=alt.Y("share:Q", title="Share"))
    rows = next(iter(charts.show(chart.properties(title="Pruned")).spec["datasets"].values()))
    assert rows == [{"arm": "Control", "share": 0.14}, {"arm": "Treatment", "share": 0.92}]


def test_tooltip_fields_without_a_title_get_readable_names():
    frame = pd.DataFrame({"teacher_id": ["T1"], "mean_difference": [0.2]})
    chart = alt.Chart(frame).mark_point().encode(
        x=alt.X("mean_difference:Q", title="Difference"), y=alt.Y("teacher_id:N", title="Teacher"),
        tooltip=["teacher_id", alt.Tooltip("mean_difference:Q", title="Mean difference")])
    tooltip = charts.show(chart.properties(title="Tooltips")).spec["encoding"]["tooltip"]
    assert [entry["title"] for entry in tooltip] == ["teacher id", "Mean difference"]
