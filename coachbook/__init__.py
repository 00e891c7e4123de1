"""Shared code for the book *Coaching Mathematics Teachers: Executable Replications*.

Four layers, whose imports point one way (``tests/test_layers.py`` checks it):

- :mod:`coachbook.estimators`  the statistics, one method per module; knows neither paper
- :mod:`coachbook.book`        glue for the pages: data files, published numbers, the
                               precision policy, charts, diagrams, notebook tools
- :mod:`coachbook.studies`     one home per paper: its variables, measures and tables
- :mod:`coachbook.synth`       the generators of the bundled synthetic data

``book`` uses ``estimators``; ``studies`` uses both; only ``synth`` (and the
tests) use ``synth``.
"""

__version__ = "0.1.0"
