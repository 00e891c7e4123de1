"""Shared code for the book *Coaching Mathematics Teachers: Executable Replications*.

Modules, one concept each:

- :mod:`coachbook.data`        load bundled data files by name
- :mod:`coachbook.published`   the published numbers and side-by-side tables
- :mod:`coachbook.charts`      offline Altair rendering and the book's theme
"""

__version__ = "0.1.0"
