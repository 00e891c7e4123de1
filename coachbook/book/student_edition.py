"""The student edition: the book without its solutions (``make student``).

sphinx-exercise drops a ``{solution}`` directive when its setting ``hide_solutions`` is
true, but not a gated solution (``{solution-start}`` ... ``{solution-end}``, the form
the chapters use when a solution contains executed code cells): the start directive
returns nothing, the code cells between stay on the page, and the end marker is left
in the document, where the HTML writer fails on it (``unknown node type:
solution_end_node``). This Sphinx extension, listed in ``_config.yml`` after
``sphinx_exercise``, makes ``hide_solutions`` remove the whole gated solution: the
start directive leaves a marker, and a transform removes everything from the marker
to the matching end marker. With ``hide_solutions`` false it changes nothing.

``python -m coachbook.book.student_edition CONFIG OUT`` writes ``OUT``: the book's
``CONFIG`` (``_config.yml``) with ``hide_solutions: true`` under ``sphinx: config:``,
for ``jupyter-book build . --config OUT`` (see the ``student`` target of the Makefile).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from docutils import nodes
from sphinx.transforms import SphinxTransform

EXTENSION = "coachbook.book.student_edition"  # its name in _config.yml
__all__ = ["student_config", "write_student_config", "setup"]


class hidden_solution(nodes.Element):
    """Where a gated solution started, in an edition that hides solutions."""


def _solution_start_directive():
    from sphinx_exercise.directive import SolutionStartDirective

    class HidingSolutionStart(SolutionStartDirective):
        def run(self):
            result = super().run()  # records the gated structure that sphinx-exercise checks
            if self.env.app.config.hide_solutions:
                return [hidden_solution()]
            return result

    return HidingSolutionStart


class RemoveHiddenSolutions(SphinxTransform):
    """Remove each hidden gated solution: its marker, the cells after it and its end marker."""

    default_priority = 5  # before sphinx-exercise merges gated solutions (10)

    def apply(self):
        from sphinx_exercise.nodes import solution_end_node

        for marker in list(self.document.findall(hidden_solution)):
            parent = marker.parent
            start = parent.index(marker)
            end = next((i for i in range(start + 1, len(parent.children))
                        if isinstance(parent.children[i], solution_end_node)), None)
            if end is None:  # sphinx-exercise reports the missing solution-end itself
                parent.remove(marker)
                continue
            for child in parent.children[start:end + 1]:
                parent.remove(child)


def student_config(config: dict) -> dict:
    """The book's configuration (``_config.yml`` read as a dict) for the student edition:
    the same, with ``hide_solutions: true`` under ``sphinx: config:``."""
    if not isinstance(config, dict):
        raise ValueError(f"student_config needs the book's _config.yml as a dict, got {type(config).__name__}")
    sphinx = config.get("sphinx") or {}
    if not isinstance(sphinx, dict) or not isinstance(sphinx.get("config") or {}, dict):
        raise ValueError("_config.yml: `sphinx:` and `sphinx: config:` must be mappings")
    extensions = sphinx.get("extra_extensions") or []
    if EXTENSION not in extensions:
        raise ValueError(f"_config.yml must list {EXTENSION} under sphinx: extra_extensions "
                         "(after sphinx_exercise), or gated solutions stay in the student edition")
    return {**config, "sphinx": {**sphinx, "config": {**(sphinx.get("config") or {}), "hide_solutions": True}}}


def write_student_config(source: Path, target: Path) -> Path:
    """Write :func:`student_config` of the YAML file ``source`` to ``target``; returns ``target``."""
    import yaml

    source, target = Path(source), Path(target)
    if not source.is_file():
        raise ValueError(f"no book configuration at {source}")
    config = yaml.safe_load(source.read_text(encoding="utf-8"))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("# Written by coachbook.book.student_edition from " + source.name + ": do not edit.\n"
                      + yaml.safe_dump(student_config(config), sort_keys=False, allow_unicode=True),
                      encoding="utf-8")
    return target


def setup(app):
    app.setup_extension("sphinx_exercise")
    app.add_directive("solution-start", _solution_start_directive(), override=True)
    app.add_node(hidden_solution)
    app.add_transform(RemoveHiddenSolutions)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config", type=Path, help="the book's _config.yml")
    parser.add_argument("output", type=Path, help="where to write the student edition's configuration")
    args = parser.parse_args(argv)
    print(write_student_config(args.config, args.output))


if __name__ == "__main__":
    main()
