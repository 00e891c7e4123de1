"""Numbered tables for glued outputs: the ``{numbered-table}`` directive.

A chapter shows a published-vs-replicated table (or any glued output) as a
numbered table that an instructor can cite ("Table 7.3") and the prose can
reference with ``{numref}``. The code cell glues the table
(``replication_table(...).glue("so_table7")``); a Markdown cell places it::

    ```{numbered-table} so_table7
    :name: tbl-so-table7

    Kraft & Hill's Table 7, replicated from the bundled data.
    ```

and the prose writes ``{numref}`tbl-so-table7```. Sphinx numbers these nodes
as tables (``numfig``; per chapter when the table of contents is numbered), so
they share the numbering of ordinary Markdown tables. The caption sits above
the table, as tables are captioned. In LaTeX the caption is a ``\\captionof{table}``
so the PDF numbers the table too.
"""
from __future__ import annotations

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective


class numbered_table(nodes.General, nodes.Element):  # noqa: N801 (docutils node naming)
    """A glued output with a number and a caption, enumerated as a table."""


class numbered_table_caption(nodes.Part, nodes.TextElement):  # noqa: N801
    """The caption of a :class:`numbered_table`."""


class NumberedTableDirective(SphinxDirective):
    """``{numbered-table} <glue key>`` with ``:name:`` and a one-paragraph caption."""

    required_arguments = 1
    final_argument_whitespace = True
    has_content = True
    option_spec = {"name": directives.unchanged, "class": directives.class_option}

    def run(self):
        from myst_nb.ext.glue.directives import PasteAnyDirective

        if not self.content:
            raise self.error("numbered-table needs a caption (one paragraph) as its content.")
        paste = PasteAnyDirective(self.name, [self.arguments[0]], {}, [], self.lineno,
                                  self.content_offset, self.block_text, self.state, self.state_machine)
        pasted = paste.run()
        node = numbered_table("", classes=["cb-numbered-table"] + self.options.get("class", []))
        self.set_source_info(node)
        self.add_name(node)
        holder = nodes.Element()
        self.state.nested_parse(self.content, self.content_offset, holder)
        first = holder[0] if len(holder) else None
        if not isinstance(first, nodes.paragraph):
            raise self.error("the caption of a numbered-table must be a paragraph.")
        caption = numbered_table_caption(first.rawsource, "", *first.children)
        caption.source, caption.line = first.source, first.line
        node += caption
        node.extend(pasted)
        return [node]


def _title(node) -> str:
    for child in node.children:
        if isinstance(child, numbered_table_caption):
            return child.astext()
    return ""


# -- HTML ------------------------------------------------------------------------------------
def _visit_html(self, node):
    self.body.append(self.starttag(node, "div"))


def _depart_html(self, node):
    self.body.append("</div>\n")


def _visit_caption_html(self, node):
    self.body.append('<p class="caption cb-table-caption">')
    self.add_fignumber(node.parent)
    self.body.append('<span class="caption-text">')


def _depart_caption_html(self, node):
    self.body.append("</span>")
    self.add_permalink_ref(node.parent, "Link to this table")
    self.body.append("</p>\n")


# -- LaTeX -----------------------------------------------------------------------------------
def _visit_latex(self, node):
    self.body.append("\n\\begin{center}\n")


def _depart_latex(self, node):
    self.body.append("\n\\end{center}\n")


def _visit_caption_latex(self, node):
    self.body.append("\\captionof{table}{")


def _depart_caption_latex(self, node):
    labels = "".join(self.hypertarget(i, anchor=False) for i in node.parent["ids"])
    self.body.append("}" + labels + "\n")


# -- anything else (text, man, ...): the caption as a paragraph ------------------------------
def _visit_plain(self, node):
    pass


def _depart_plain(self, node):
    pass


def setup(app):
    app.add_enumerable_node(numbered_table, "table", _title,
                            html=(_visit_html, _depart_html),
                            latex=(_visit_latex, _depart_latex),
                            text=(_visit_plain, _depart_plain))
    app.add_node(numbered_table_caption,
                 html=(_visit_caption_html, _depart_caption_html),
                 latex=(_visit_caption_latex, _depart_caption_latex),
                 text=(_visit_plain, _depart_plain))
    app.add_directive("numbered-table", NumberedTableDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
