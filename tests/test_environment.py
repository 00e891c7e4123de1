"""requirements.txt and environment.yml pin the same packages at the same versions."""
import re

from conftest import ROOT


def _pins(lines):
    pins = {}
    for line in lines:
        line = line.strip().lstrip("-").strip()
        match = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)==([^\s#]+)", line)
        if match:
            pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


def test_requirements_and_environment_pin_the_same_versions():
    requirements = _pins((ROOT / "requirements.txt").read_text().splitlines())
    environment_lines = (ROOT / "environment.yml").read_text().splitlines()
    environment = _pins(environment_lines)
    assert requirements, "requirements.txt pins nothing"
    assert requirements == environment, {
        "only in requirements.txt": sorted(set(requirements.items()) - set(environment.items())),
        "only in environment.yml": sorted(set(environment.items()) - set(requirements.items())),
    }
    assert any(line.strip() == "- python=3.11" for line in environment_lines)


def test_jupyter_book_is_pinned_below_version_2():
    requirements = _pins((ROOT / "requirements.txt").read_text().splitlines())
    assert requirements["jupyter-book"].startswith("1.")


def test_every_requirement_line_is_an_exact_pin():
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            assert "==" in line, f"unpinned requirement: {line}"
