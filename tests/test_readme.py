"""The README stays true: its two set-up commands, CI running the test one, the quickstart."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

pytestmark = pytest.mark.skipif(not README.is_file(), reason="README.md not in this tree")


def _blocks(lang):
    return re.findall(rf"```{lang}\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_opens_with_exactly_two_setup_commands():
    text = README.read_text(encoding="utf-8")
    setup = text.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.*?)\n```", setup, re.S)
    assert commands == ["pip install . && mmfuse demo", "pip install '.[test]' && pytest"]
    # set-up comes before any other section with code
    assert text.index("## Set-up") < text.index("```")


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install '.[test]' && pytest\n" in ci
    assert "set -euo pipefail" in ci and "python3 -m venv" in ci


def test_the_readme_test_command_runs_the_docstring_examples():
    """``pytest`` collects ``testpaths``, where tests/test_doctests.py runs every docstring
    example of the package (``.ci/run`` runs nothing else for them)."""
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^testpaths = \["tests"\]$', pyproject, re.M)
    doctests = (ROOT / "tests" / "test_doctests.py").read_text(encoding="utf-8")
    assert "def test_docstring_examples_run(" in doctests
    assert "--doctest" not in (ROOT / ".ci" / "run").read_text()


def test_quickstart_runs(tmp_path, monkeypatch):
    (code,) = [b for b in _blocks("python") if "GridSearchCV" in b and "FeatureFusion" in b]
    assert "FeatureFusion" in code and "pickle" in code
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__quickstart__"}
    exec(compile(code, "README.md quickstart", "exec"), namespace)  # noqa: S102
    assert namespace["search"].best_score_ > 0.5
