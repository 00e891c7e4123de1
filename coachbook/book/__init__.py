"""The book layer: what leaves the package for the page.

Numbers reach a reader three ways: glued into the prose, drawn in a chart, or
printed in a table. Each goes through one precision policy here, so the stored
notebook outputs do not depend on the CPU, the BLAS kernel or the thread count
(those move a computed number in its 15th or 16th significant digit):

- :func:`glue` stores a number for ``{glue:text}`` rounded to
  :data:`SIGNIFICANT_DIGITS` significant digits;
- :func:`coachbook.book.charts.show` rounds every chart's data the same way before
  Altair serializes it (see :func:`round_frame`);
- :func:`round_table` rounds a displayed table: large quantities (deviance, df,
  log-likelihood) by significant digits, estimates by decimals.

Published numbers reach the page through :mod:`coachbook.book.compare`:
:func:`published_number` quotes one, :func:`compare` sets replicated numbers
beside their published twins, and :func:`replication_table` shows that
comparison to the reader (``.glue(name)`` for a numbered ``{numbered-table}``).

The other modules of the layer: :mod:`.data` (bundled files by name),
:mod:`.published` (the transcribed numbers), :mod:`.charts` (offline Altair
charts and the theme), :mod:`.diagrams` (theory-of-action diagrams),
:mod:`.activities` (simulated data for exercises), :mod:`.replication` (the
reader's published-vs-replicated table), :mod:`.notebooks` (executing and
listing the chapters) and :mod:`.sphinx_ext` (the book's Sphinx extension).
The book layer uses :mod:`coachbook.estimators`, never the studies or the
generators.
"""
from coachbook.book.compare import GAP_COLUMNS, compare, published_number
from coachbook.book.precision import (SIGNIFICANT_DIGITS, glue, round_frame, round_sig,
                                      round_table)
from coachbook.book.replication import replication_table

__all__ = ["SIGNIFICANT_DIGITS", "glue", "round_sig", "round_frame", "round_table",
           "GAP_COLUMNS", "compare", "published_number", "replication_table"]
