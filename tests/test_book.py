"""The book builds with warnings as errors, and its chart outputs work offline and in print."""
import json
import re

import pytest

from coachbook.book.notebooks import chapter_notebooks
from conftest import ROOT

NOTEBOOKS = chapter_notebooks()


def _outputs(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        yield from cell.get("outputs", [])


def test_there_are_chapter_notebooks():
    assert NOTEBOOKS, "no notebooks under chapters/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_with_outputs_and_no_timing_metadata(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert any(c.get("outputs") for c in code), f"{path.name} has no stored outputs for nbval to check"
    for cell in code:
        assert "execution" not in cell.get("metadata", {}), f"{path.name} stores timing metadata"
        assert cell.get("execution_count") is not None, f"{path.name} has an unexecuted cell"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_chart_output_carries_png_and_svg_and_no_cdn(path):
    for output in _outputs(path):
        # A glued chart (ChartOutput.glue) stores the same bundle under papermill's record prefix.
        data = {key.removeprefix("application/papermill.record/"): value
                for key, value in output.get("data", {}).items()}
        html = data.get("text/html", "")
        html = "".join(html) if isinstance(html, list) else html
        assert not re.search(r"<script[^>]+src=[\"']https?://", html), f"{path.name}: output loads a remote script"
        if "coachbook-chart" in html or "application/vnd.vegalite" in str(data.keys()):
            assert "image/png" in data and "image/svg+xml" in data, f"{path.name}: chart without PNG + SVG"


def test_book_builds_without_warnings(built_book):
    assert (built_book / "index.html").is_file()


def test_built_pages_load_no_chart_script_from_a_cdn(built_book):
    pages = list(built_book.rglob("*.html"))
    assert pages
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"src=[\"']https?://[^\"']*(vega|altair)", text), f"{page.name} loads vega from a CDN"
        for figure in re.findall(r'<figure class="coachbook-chart".*?</figure>', text, flags=re.S):
            # The static drawing lives in _images/ (coachbook.book.sphinx_ext), not in the page.
            source = re.search(r'class="coachbook-chart-static" data-src="([^"]+\.svg)"', figure)
            assert source, f"{page.name}: a chart figure without its static SVG"
            assert (page.parent / source.group(1)).is_file(), f"{page.name}: {source.group(1)} is missing"


def test_comparison_tables_link_their_csv_as_a_file(built_book):
    """The CSV of each comparison table is a file beside the book, not a data: address in the
    page (coachbook.book.sphinx_ext), and it holds the table's header and rows."""
    links = 0
    for page in built_book.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "data:text/csv" not in text, f"{page.name} carries a CSV inline"
        for href in re.findall(r'<p class="cb-download"><a download="[^"]+" href="([^"]+)"', text):
            target = page.parent / href
            assert target.is_file(), f"{page.name}: {href} is missing"
            lines = target.read_text(encoding="utf-8").splitlines()
            assert len(lines) >= 2 and "published" in lines[0], f"{page.name}: {href} is not a table"
            links += 1
    assert links >= 10, f"only {links} comparison-table downloads in the book"


def test_unwrapped_code_tokens_keep_the_colour_of_plain_code(built_book):
    """sphinx_ext drops Pygments' spans for names, punctuation and whitespace; that is only
    invisible while the theme colours those classes like the code block itself, in both modes."""
    from coachbook.book.sphinx_ext import PLAIN_TOKEN_CLASSES

    css = (built_book / "_static" / "pygments.css").read_text(encoding="utf-8")
    for mode in ("light", "dark"):
        base = re.search(rf'html\[data-theme="{mode}"\] \.highlight {{[^}}]*color: (#[0-9A-Fa-f]+)', css)
        assert base, f"no base colour for code in {mode} mode"
        for token in PLAIN_TOKEN_CLASSES:
            rule = re.search(rf'html\[data-theme="{mode}"\] \.highlight \.{token} {{ color: (#[0-9A-Fa-f]+)', css)
            assert rule is None or rule.group(1).lower() == base.group(1).lower(), (
                f".highlight .{token} is {rule.group(1)} in {mode} mode, not the code colour "
                f"{base.group(1)}: remove {token!r} from sphinx_ext.PLAIN_TOKEN_CLASSES")
    page = (built_book / "chapters" / "02-rct" / "costs.html").read_text(encoding="utf-8")
    assert '<div class="highlight"><pre>' in page and '<span class="p">' not in page


def test_interactive_chart_scripts_are_served_with_the_book(built_book):
    static = built_book / "_static"
    assert (static / "coachbook-vega-bundle.js").stat().st_size > 100_000
    assert (static / "coachbook-charts.js").is_file()
    # Loaded where there is a chart, and only there.
    for page in built_book.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        has_chart = '<figure class="coachbook-chart"' in text
        assert ("coachbook-vega-bundle.js" in text) == has_chart, f"{page.name}: chart bundle {has_chart=}"


def test_launch_buttons_come_from_the_repository_setting(built_book, root):
    import yaml

    config = yaml.safe_load((root / "_config.yml").read_text())
    url = config["repository"]["url"].rstrip("/")
    page = next(p for p in built_book.rglob("*.html") if p.parent != built_book and "_static" not in p.parts
                and p.with_suffix(".ipynb").name in {n.name for n in NOTEBOOKS})
    text = page.read_text(encoding="utf-8")
    slug = url.split("github.com/")[1]
    assert f"mybinder.org/v2/gh/{slug}" in text
    assert f"colab.research.google.com/github/{slug}" in text
