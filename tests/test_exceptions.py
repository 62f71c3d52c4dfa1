"""Every exception and warning class of mmfuse lives in mmfuse.exceptions, and is re-exported
where it is used without becoming another class."""

import importlib
import inspect
import pickle
import pkgutil

import pytest

import mmfuse
from mmfuse import exceptions

#: where each class was importable before it moved, and still is
REEXPORTS = {
    "MMFuseInputError": ["mmfuse", "mmfuse.io"],
    "MMFuseInputWarning": ["mmfuse", "mmfuse.io"],
    "ModelFileError": ["mmfuse.persistence"],
    "VersionMismatchWarning": ["mmfuse.persistence"],
    "UsageError": ["mmfuse.cli"],
}


def _modules():
    names = ["mmfuse"]
    names += [m.name for m in pkgutil.walk_packages(mmfuse.__path__, "mmfuse.")
              if m.name not in ("mmfuse.__main__", "mmfuse.data.build_av_digits")]
    return names


def test_every_exception_and_warning_class_is_defined_in_exceptions():
    defined_elsewhere = []
    for name in _modules():
        module = importlib.import_module(name)
        for attr, obj in vars(module).items():
            if (inspect.isclass(obj) and issubclass(obj, BaseException)
                    and obj.__module__.startswith("mmfuse")
                    and obj.__module__ != "mmfuse.exceptions"):
                defined_elsewhere.append(f"{name}.{attr} ({obj.__module__})")
    assert defined_elsewhere == []
    own = {n for n, obj in vars(exceptions).items()
           if inspect.isclass(obj) and issubclass(obj, BaseException)
           and obj.__module__ == "mmfuse.exceptions"}
    assert own == set(exceptions.__all__) == set(REEXPORTS)


@pytest.mark.parametrize("name", sorted(REEXPORTS))
def test_old_import_paths_name_the_same_class(name):
    cls = getattr(exceptions, name)
    for modname in REEXPORTS[name]:
        assert getattr(importlib.import_module(modname), name) is cls


def test_input_error_and_warning_pickle_with_their_fields():
    from mmfuse.io import MMFuseInputError, MMFuseInputWarning

    err = pickle.loads(pickle.dumps(MMFuseInputError("file is empty", row=3, column="audio",
                                                     path="a.wav", id="x3")))
    assert type(err) is MMFuseInputError and isinstance(err, ValueError)
    assert err.as_record() == {"row": 3, "id": "x3", "column": "audio", "path": "a.wav",
                               "cause": "file is empty"}
    assert str(err) == "row 3 (id x3), column 'audio', a.wav: file is empty"
    warn = pickle.loads(pickle.dumps(MMFuseInputWarning("blank", rows=[1, 4], column="image")))
    assert type(warn) is MMFuseInputWarning and warn.rows == [1, 4]
    assert str(warn) == "rows 1, 4, column 'image': blank"


def test_pickles_written_before_the_move_still_load():
    """Errors pickled when the classes lived in mmfuse.io name mmfuse.io's rebuild functions."""
    # protocol 0 by hand: GLOBAL mmfuse.io._rebuild_error, MARK, args, TUPLE, REDUCE, STOP
    old = b"cmmfuse.io\n_rebuild_error\n(Vbad\nI3\nVaudio\nNNtR."
    err = pickle.loads(old)
    assert type(err) is exceptions.MMFuseInputError and str(err) == "row 3, column 'audio': bad"
    old = b"cmmfuse.io\n_rebuild_warning\n(Vodd\n(lp0\nI1\naVimage\nNtR."
    warn = pickle.loads(old)
    assert type(warn) is exceptions.MMFuseInputWarning and str(warn) == "row 1, column 'image': odd"


def test_exceptions_imports_nothing_from_mmfuse():
    import ast
    from pathlib import Path

    tree = ast.parse(Path(exceptions.__file__).read_text(encoding="utf-8"))
    imported = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert all(isinstance(n, ast.Import) or (n.level == 0 and n.module == "__future__")
               for n in imported)
