"""A small Sphinx extension that serves the book's scripts, styles and MathJax with the book.

- Charts: it writes vega-embed (from vl-convert, see :func:`coachbook.book.charts.vega_bundle`)
  and the upgrade script into the HTML output's ``_static`` folder and adds both
  to the pages that have a chart (and to no other page), so charts become
  interactive with no CDN and no network. Each chart's static SVG, which the
  notebook output carries for Jupyter and which the interactive chart replaces,
  moves out of the page into ``_images/`` and is referenced from a
  ``<noscript>`` image (and shown by the upgrade script if the chart cannot be
  drawn): the page holds the chart's spec once, not the drawing too.
- Tables: a comparison table's "Download the full table (CSV)" link, a ``data:``
  address in the notebook (so it works in Jupyter and Colab), becomes a file
  under ``_downloads/coachbook/`` in the HTML, so the page does not carry the
  table twice.
- Code: Pygments wraps every name, punctuation mark and space in a span
  (``<span class="p">,</span>``) although the theme gives those classes the
  code block's own colour in both colour modes (``tests/test_book.py`` checks
  the built ``pygments.css``); the wrappers are dropped, which takes a fifth off
  a chapter page.
- Math: it copies MathJax 3 (the files of the pinned PyPI package
  ``sphinx-mathjax-offline``, MathJax 3.2.2) into ``_static/mathjax``, where
  ``mathjax_path`` in ``_config.yml`` points, so equations render offline.
  A ``mathjax_path`` that points at a web address is a build warning (an error
  under ``-W``): the published book loads nothing from outside itself.
- Reader fixes found by the browser tests (tests/test_browser.py):
  ``coachbook.css`` and ``coachbook-a11y.js`` (contrast, a name for the chart
  actions menu); bibliography entries get ``role="listitem"`` instead of
  docutils' deprecated ``doc-biblioentry``, which is not a valid child of their
  ``role="list"`` (axe-core rule aria-required-children); a duplicated inline
  script is dropped (sphinx-thebe registers its ``const THEBE_JS_URL`` twice, a
  ``SyntaxError`` in the browser); and the theme's colour mode gets its
  documented default ``auto`` (left empty, pydata-sphinx-theme logs "Got
  invalid theme mode" on every page).
"""
from __future__ import annotations

import base64
import hashlib
import html
import importlib.metadata
import re
import shutil
from pathlib import Path

from sphinx.errors import ExtensionError
from sphinx.util import logging

from .charts import vega_bundle

logger = logging.getLogger(__name__)

_STATIC = Path(__file__).resolve().parents[1] / "static"   # coachbook/static (package data)
_VEGA_BUNDLE = "coachbook-vega-bundle.js"
_JS_FILES = ("coachbook-charts.js", "coachbook-a11y.js")  # copied from ./static
_CSS_FILES = ("coachbook.css",)
_CHART_SCRIPTS = (_VEGA_BUNDLE, "coachbook-charts.js")   # only on pages with a chart
_CSV_DOWNLOAD = re.compile(
    r'<a download="([^"/]+)" href="data:text/csv;charset=utf-8;base64,([A-Za-z0-9+/=]*)">')
_STATIC_CHART = re.compile(
    r'(<figure class="coachbook-chart"[^>]*aria-label="([^"]*)"[^>]*>)'
    r'<div class="coachbook-chart-static">(<svg\b.*?</svg>)</div>', re.S)

# MathJax: the one combined component named by mathjax_path, plus the folders it
# may load on demand (TeX extensions through \require or autoload, the CHTML
# fonts, the menu and its accessibility tools). The other combined components
# (SVG output, MathML-only, ...) are left out.
_MATHJAX_PREFIX = "mathjax/"
_MATHJAX_DIRS = ("a11y", "adaptors", "input", "output/chtml", "sre", "ui")


def _mathjax_source() -> Path:
    try:
        dist = importlib.metadata.distribution("sphinx-mathjax-offline")
    except importlib.metadata.PackageNotFoundError as error:
        raise ExtensionError(
            "coachbook.book.sphinx_ext serves MathJax from the package sphinx-mathjax-offline, "
            "which is not installed: run `pip install -r requirements.txt`."
        ) from error
    return Path(dist.locate_file("sphinx-mathjax-offline/static/mathjax"))


def _check_mathjax_path(app, config):
    path = config.mathjax_path or ""
    if "://" in path or path.startswith("//"):
        logger.warning(
            "mathjax_path loads MathJax from %s; the book serves its own copy: set "
            "mathjax_path: %stex-mml-chtml.js in _config.yml (sphinx: config:).",
            path, _MATHJAX_PREFIX, type="coachbook", subtype="mathjax",
        )
    # An empty colour mode makes pydata-sphinx-theme log an error and fall back to "auto".
    config.html_context.setdefault("default_mode", "auto")


def _static_charts_to_files(app, body: str, pathto) -> str:
    """Each chart's inline static SVG written to ``_images/`` and referenced, not inlined."""
    images = Path(app.outdir) / "_images"

    def move(match: re.Match) -> str:
        svg = match.group(3)
        name = f"coachbook-chart-{hashlib.sha256(svg.encode('utf-8')).hexdigest()[:16]}.svg"
        images.mkdir(parents=True, exist_ok=True)
        target = images / name
        if not target.is_file():
            target.write_text(svg, encoding="utf-8")
        src = html.escape(pathto(f"_images/{name}", 1), quote=True)
        return (f'{match.group(1)}<div class="coachbook-chart-static" data-src="{src}">'
                f'<noscript><img src="{src}" alt="{match.group(2)}"></noscript></div>')

    return _STATIC_CHART.sub(move, body)


def _csv_downloads_to_files(app, body: str, pathto) -> str:
    """Each comparison table's CSV written to ``_downloads/coachbook/`` and linked, not inlined."""
    downloads = Path(app.outdir) / "_downloads" / "coachbook"

    def move(match: re.Match) -> str:
        name, content = html.unescape(match.group(1)), base64.b64decode(match.group(2))
        folder = downloads / hashlib.sha256(content).hexdigest()[:16]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
        href = html.escape(pathto(f"_downloads/coachbook/{folder.name}/{name}", 1), quote=True)
        return f'<a download="{match.group(1)}" href="{href}">'

    return _CSV_DOWNLOAD.sub(move, body)


_HIGHLIGHT = re.compile(r'<div class="highlight"><pre>.*?</pre></div>', re.S)
#: Pygments token classes the theme colours like plain code: Name, Punctuation, Whitespace.
PLAIN_TOKEN_CLASSES = ("n", "p", "w")
_PLAIN_TOKEN = re.compile(r'<span class="(?:%s)">([^<]*)</span>' % "|".join(PLAIN_TOKEN_CLASSES))


def _unwrap_plain_tokens(body: str) -> str:
    return _HIGHLIGHT.sub(lambda block: _PLAIN_TOKEN.sub(r"\1", block.group(0)), body)


def _is_chart_script(script) -> bool:
    return str(getattr(script, "filename", script) or "").rsplit("/", 1)[-1] in _CHART_SCRIPTS


def _fix_page(app, pagename, templatename, context, doctree):
    has_chart = False
    if "body" in context:
        context["body"] = context["body"].replace('role="doc-biblioentry"', 'role="listitem"')
        has_chart = 'class="coachbook-chart"' in context["body"]
        if app.builder.format == "html" and "pathto" in context:
            body = _csv_downloads_to_files(app, context["body"], context["pathto"])
            body = _unwrap_plain_tokens(body)
            if has_chart:
                body = _static_charts_to_files(app, body, context["pathto"])
            context["body"] = body
    scripts = context.get("script_files")
    if not scripts:
        return
    if not has_chart:
        scripts[:] = [script for script in scripts if not _is_chart_script(script)]
    seen, unique = set(), []
    for script in scripts:
        key = (
            # An inline script is registered once with filename None and once with ""
            str(getattr(script, "filename", script) or ""),
            tuple(sorted((k, str(v)) for k, v in getattr(script, "attributes", {}).items())),
        )
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def _copy_mathjax(static: Path, mathjax_path: str) -> None:
    if not mathjax_path.startswith(_MATHJAX_PREFIX):
        return
    source = _mathjax_source()
    component = mathjax_path[len(_MATHJAX_PREFIX):]
    if not (source / component).is_file():
        raise ExtensionError(f"mathjax_path names {mathjax_path}, which MathJax does not have.")
    target = static / "mathjax"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source / component, target / component)
    for folder in _MATHJAX_DIRS:
        shutil.copytree(source / folder, target / folder, dirs_exist_ok=True)


def _write_static(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    static = Path(app.outdir) / "_static"
    static.mkdir(parents=True, exist_ok=True)
    (static / _VEGA_BUNDLE).write_text(vega_bundle(), encoding="utf-8")
    for name in _JS_FILES + _CSS_FILES:
        shutil.copyfile(_STATIC / name, static / name)
    _copy_mathjax(static, app.config.mathjax_path or "")


def setup(app):
    app.setup_extension("coachbook.book.sphinx_tables")   # {numbered-table}: glued tables, numbered
    for name in (_VEGA_BUNDLE,) + _JS_FILES:
        app.add_js_file(name)
    for name in _CSS_FILES:
        app.add_css_file(name)
    app.connect("config-inited", _check_mathjax_path)
    # Late, so that every extension has added its scripts first.
    app.connect("html-page-context", _fix_page, priority=900)
    app.connect("build-finished", _write_static)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
