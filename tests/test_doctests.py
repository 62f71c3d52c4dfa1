"""Every example in the package's docstrings runs and shows what it prints (doctest).

The examples are found in the *imported* package (whatever ``import mmfuse`` gives: the
installed wheel in CI, the checkout in an editable install), module by module, private
modules and the recipes included, so what is tested is what users import.
"""

import doctest
import importlib
import pkgutil

import pytest

import mmfuse


def _modules():
    names = {"mmfuse"}
    for package in (mmfuse, importlib.import_module("mmfuse.pipelines")):
        names.add(package.__name__)
        names.update(m.name for m in pkgutil.walk_packages(package.__path__,
                                                           package.__name__ + "."))
    names.discard("mmfuse.__main__")  # running it is running the command line
    return sorted(names)


def _doctests(name):
    module = importlib.import_module(name)
    # objects defined in this module only: a re-exported class is tested where it lives
    return [t for t in doctest.DocTestFinder(exclude_empty=True).find(module, name)
            if t.examples]


def test_the_package_has_docstring_examples():
    found = {name: len(_doctests(name)) for name in _modules()}
    assert sum(found.values()) >= 15, found
    for name in ("mmfuse.fusion._early", "mmfuse.fusion._late", "mmfuse.fusion._kernel",
                 "mmfuse.image._hog", "mmfuse.audio._mfcc", "mmfuse.report"):
        assert found[name], name


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples_run(name, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report = []
    for test in _doctests(name):
        runner.run(test, out=report.append)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, "".join(report)
