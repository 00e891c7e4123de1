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
