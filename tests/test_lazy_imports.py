"""The packages' lazy re-exports: ``lazy_loader`` stubs, as scikit-image and librosa do.

A package with an ``__init__.pyi`` attaches it (``lazy_loader.attach_stub``): the names the
stub imports load on first use, ``__all__`` and ``dir()`` list them, and the stub's
``__all__`` is the package's. Importing ``mmfuse`` or one of these subpackages imports none
of mmfuse's modules, and so no scikit-learn.
"""

import ast
import importlib
import importlib.util
import inspect
import json
import os
import pkgutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import mmfuse

PACKAGE = Path(mmfuse.__file__).resolve().parent
STUBS = sorted(PACKAGE.rglob("__init__.pyi"))
#: the package behind each stub
PACKAGES = [".".join(("mmfuse", *p.parent.relative_to(PACKAGE).parts)) for p in STUBS]


def _stub(package):
    """``(imported names, __all__)`` of the package's ``__init__.pyi``."""
    path = PACKAGE.joinpath(*package.split(".")[1:], "__init__.pyi")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names, exported = set(), None
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            assert node.level == 1, f"{path}: only relative imports are lazy"
            names.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.Assign) and node.targets[0].id == "__all__":
            exported = ast.literal_eval(node.value)
    assert exported is not None, f"{path} has no __all__"
    return names, exported


def test_the_extractor_and_fusion_packages_and_the_facade_have_stubs():
    assert {"mmfuse", "mmfuse.image", "mmfuse.text", "mmfuse.audio",
            "mmfuse.fusion"} <= set(PACKAGES)


@pytest.mark.parametrize("package", PACKAGES)
def test_stub_and_all_agree(package):
    module = importlib.import_module(package)
    names, exported = _stub(package)
    assert list(module.__all__) == exported
    assert len(set(exported)) == len(exported)
    # every exported name is imported by the stub, or is a module-level constant of it
    assert set(exported) - names <= {"__version__"}


@pytest.mark.parametrize("package", PACKAGES)
def test_dir_lists_the_stub_and_every_name_resolves(package):
    module = importlib.import_module(package)
    names, exported = _stub(package)
    assert set(dir(module)) == names | (set(exported) & {"__version__"})
    for name in sorted(names | set(exported)):
        obj = getattr(module, name)
        assert obj is not None, f"{package}.{name}"
        if inspect.ismodule(obj):
            assert obj.__name__ == f"{package}.{name}"
        elif inspect.isclass(obj) or inspect.isfunction(obj):
            assert obj.__module__.startswith(package + "."), (package, name, obj.__module__)
    with pytest.raises(AttributeError):
        getattr(module, "no_such_name")


@pytest.mark.parametrize("package", PACKAGES)
def test_one_way_to_each_function(package):
    """No exported function shares its name with a module next to it: ``mmfuse.image.hog``
    and ``mmfuse.audio.mfcc`` are the functions, however the package was imported."""
    module = importlib.import_module(package)
    for name in module.__all__:
        obj = getattr(module, name)
        if not inspect.ismodule(obj):
            assert importlib.util.find_spec(f"{package}.{name}") is None, f"{package}.{name}"


#: the public-named modules of the extractor and fusion packages: the compatibility modules
#: that keep old model files loading (tests/test_architecture.py lists them with the reason)
COMPATIBILITY = sorted(
    f"{package}.{m.name}" for package in ("mmfuse.image", "mmfuse.text", "mmfuse.audio",
                                          "mmfuse.fusion")
    for m in pkgutil.iter_modules(importlib.import_module(package).__path__)
    if not m.name.startswith("_") and not m.ispkg)


def test_the_compatibility_modules_are_the_old_implementation_paths():
    assert COMPATIBILITY == ["mmfuse.fusion.early", "mmfuse.fusion.kernel", "mmfuse.fusion.late",
                             "mmfuse.image.encoding", "mmfuse.image.sift", "mmfuse.text.tfidf"]


@pytest.mark.parametrize("name", COMPATIBILITY)
def test_a_compatibility_module_re_exports_the_package_objects(name):
    """Each name the old module path made public is the package's object, defined in the
    private twin (``mmfuse.fusion.early.FeatureFusion is mmfuse.fusion.FeatureFusion``)."""
    package, _, leaf = name.rpartition(".")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # loading an old model file warns about nothing
        module = importlib.import_module(name)
    assert module.__all__
    for attr in module.__all__:
        obj = getattr(module, attr)
        assert attr in importlib.import_module(package).__all__, (name, attr)
        assert obj is getattr(importlib.import_module(package), attr), (name, attr)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert obj.__module__ in (f"{package}._{leaf}", f"{package}._dense_sift"), (name, attr)


def test_functions_named_like_their_subject_stay_functions():
    import mmfuse.audio._mfcc
    import mmfuse.image._hog

    assert inspect.isfunction(mmfuse.image.hog) and mmfuse.image.hog.__name__ == "hog"
    assert inspect.isfunction(mmfuse.audio.mfcc) and mmfuse.audio.mfcc.__name__ == "mfcc"


def test_the_facade_keeps_its_lazy_shortcuts():
    from mmfuse import persistence, svm

    assert mmfuse.save is persistence.save and mmfuse.load is persistence.load
    assert mmfuse.FastSVC is svm.FastSVC and mmfuse.to_fast_svc is svm.to_fast_svc


_PROBE = """
import json
import sys
import {package}
loaded = sorted(m for m in sys.modules if m.startswith("mmfuse."))
heavy = sorted(m for m in ("sklearn", "scipy", "cv2", "librosa", "pandas", "nltk")
               if m in sys.modules)
print(json.dumps([loaded, heavy]))
"""


@pytest.mark.parametrize("package", ["mmfuse", "mmfuse.image", "mmfuse.text", "mmfuse.audio",
                                     "mmfuse.fusion"])
def test_importing_a_package_loads_no_implementation(package):
    res = subprocess.run([sys.executable, "-c", _PROBE.format(package=package)],
                         capture_output=True, text=True, timeout=120,
                         cwd=PACKAGE.parent)
    assert res.returncode == 0, res.stderr
    loaded, heavy = json.loads(res.stdout)
    assert set(loaded) <= {package}, loaded
    assert heavy == [], heavy


def test_eager_import_loads_every_stub():
    """``EAGER_IMPORT=1`` (lazy_loader's switch, as scikit-image's CI sets it) imports every
    name of every stub at package import: each loads in a fresh interpreter."""
    code = "; ".join(f"import {p}" for p in PACKAGES)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, cwd=PACKAGE.parent,
                         env={**os.environ, "EAGER_IMPORT": "1"})
    assert res.returncode == 0, res.stderr
