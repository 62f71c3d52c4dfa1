"""Saving and loading trained models with metadata, a checksum and version checks.

A model file is a small container::

    b"MMFUSE-MODEL\\n" | 8-byte big-endian header length | JSON header | payload

The JSON header holds the metadata (library versions, classes, input columns and
their kinds, the fitted fuser's input schema, creation time, user metadata), the
payload format (``joblib`` or ``skops``), its size and its SHA-256. :func:`load`
checks size and checksum *before* deserialising, so a truncated or altered file gives a clear
:class:`~mmfuse.exceptions.ModelFileError` instead of an unpickling traceback.

``format='joblib'`` (default) pickles: load only files you trust.
``format='skops'`` (``pip install 'mmfuse[safe]'``) stores a skops archive that
:func:`load` opens without executing arbitrary code: only types skops trusts by
default, mmfuse's own estimators, the data containers listed in
:data:`SAFE_TYPES`, and the types you pass in ``trusted`` are allowed; anything
else is refused with the list of offending types.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import json
import os
import platform
import struct
import tempfile
import warnings

from ._base import new_file_mode
from ._schema import declared_modality, input_schema_of, modalities
from .exceptions import ModelFileError, VersionMismatchWarning  # defined there, re-exported
from pathlib import Path

__all__ = ["ModelFileError", "VersionMismatchWarning", "describe_model", "load",
           "read_metadata", "save"]

MAGIC = b"MMFUSE-MODEL\n"
FORMATS = ("joblib", "skops")
_CONTAINER_VERSION = 1


def _versions() -> dict:
    import numpy  # noqa: PLC0415
    import sklearn  # noqa: PLC0415

    import mmfuse  # noqa: PLC0415

    return {"mmfuse": mmfuse.__version__, "scikit-learn": sklearn.__version__,
            "numpy": numpy.__version__, "python": platform.python_version()}


def describe_inputs(model) -> dict:
    """``{column: kind}`` for the raw input columns a model reads, where known.

    A fitted fuser, or a pipeline that starts with one, answers from its
    ``input_schema_`` (see :mod:`mmfuse._schema`); an unfitted one from the
    ``modality`` its blocks' extractors declare. Kinds are ``'image'``,
    ``'audio'``, ``'text'`` or None (numeric or unknown). A model fitted on a
    DataFrame without fusion names its columns with None kinds.
    """
    schema = input_schema_of(model)
    if schema is not None:
        return modalities(schema)
    steps = getattr(model, "steps", None)
    first = steps[0][1] if steps else model
    for attr in ("transformers", "estimators", "kernels"):
        parts = getattr(first, attr, None)
        # (name, est, column) triples; KernelFusionClassifier: (name, est, column, kernel)
        if isinstance(parts, (list, tuple)) and parts and len(parts[0]) in (3, 4):
            out = {}
            for _, est, col, *_ in parts:
                cols = col if isinstance(col, (list, tuple)) else [col]
                for c in cols:
                    out[str(c)] = declared_modality(est)
            return out
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        return {str(n): None for n in names}
    return {}


def describe_model(model) -> dict:
    """What a model file's header says about ``model``, computed from the model itself.

    Parameters
    ----------
    model : estimator
        A fitted estimator or pipeline.

    Returns
    -------
    dict
        ``estimator`` (its class's dotted path), ``classes`` (as JSON values,
        or None), ``inputs`` (:func:`describe_inputs`), ``input_schema`` (the
        fitted fuser's ``input_schema_``, or None) and ``versions`` (of
        mmfuse, scikit-learn, NumPy and Python in this session).
    """
    classes = getattr(model, "classes_", None)
    return {"estimator": f"{type(model).__module__}.{type(model).__qualname__}",
            "classes": None if classes is None else [c.item() if hasattr(c, "item") else c
                                                     for c in classes],
            "inputs": describe_inputs(model), "input_schema": input_schema_of(model),
            "versions": _versions()}


def save(model, path, *, format="joblib", metadata=None, compress=3):  # noqa: A002 - the peer's name (joblib/skops 'format')
    """Write ``model`` with metadata and a SHA-256 checksum; atomic (temp file + rename).

    Parameters
    ----------
    model : estimator
        A fitted estimator or pipeline.
    path : str or os.PathLike
        Destination file (conventionally ``.joblib`` or ``.skops``).
    format : {'joblib', 'skops'}, default='joblib'
    metadata : dict, optional
        JSON-serialisable user metadata stored beside the automatic metadata.
    compress : int, default=3
        joblib compression level (0-9).

    Returns
    -------
    header : dict
        The metadata written (also available later through :func:`read_metadata`).

    Raises
    ------
    FileNotFoundError
        The destination folder does not exist (it is not created for you).

    Notes
    -----
    The file gets the mode ``open()`` would give it (0o666 less the umask).
    """
    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}; got {format!r}")
    buf = io.BytesIO()
    if format == "joblib":
        import joblib  # noqa: PLC0415

        joblib.dump(model, buf, compress=compress)
        payload = buf.getvalue()
    else:
        try:
            import skops.io as sio  # noqa: PLC0415
        except ImportError:
            raise ImportError("format='skops' needs skops: pip install 'mmfuse[safe]'") from None
        payload = sio.dumps(model)
    try:
        user = json.loads(json.dumps(metadata or {}))
    except TypeError as exc:
        raise TypeError(f"metadata must be JSON-serialisable: {exc}") from None
    described = describe_model(model)
    header = {
        "container_version": _CONTAINER_VERSION,
        "format": format,
        "payload_size": len(payload),
        "sha256": hashlib.sha256(payload).hexdigest(),
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": described["versions"],
        "estimator": described["estimator"],
        "classes": described["classes"],
        "inputs": described["inputs"],
        "input_schema": described["input_schema"],
        "user": user,
    }
    head = json.dumps(header, default=str).encode("utf-8")
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"{path}: folder {str(path.parent)!r} does not exist; create it "
                                "first")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(MAGIC)
            f.write(struct.pack(">Q", len(head)))
            f.write(head)
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, new_file_mode())  # mkstemp's 0600 -> what open() would give
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return header


def _read(path):
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ModelFileError(f"{path}: model file not found") from None
    if not data.startswith(MAGIC):
        raise ModelFileError(
            f"{path}: not an mmfuse model file (no {MAGIC.strip().decode()} header). "
            "Files written by mmfuse.save start with it; a plain joblib/pickle file can be "
            "opened with joblib.load if you trust its source.")
    pos = len(MAGIC)
    if len(data) < pos + 8:
        raise ModelFileError(f"{path}: model file is truncated (header incomplete)")
    (n,) = struct.unpack(">Q", data[pos:pos + 8])
    pos += 8
    if len(data) < pos + n:
        raise ModelFileError(f"{path}: model file is truncated (header incomplete)")
    try:
        header = json.loads(data[pos:pos + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ModelFileError(f"{path}: model file header is corrupt") from None
    payload = data[pos + n:]
    expected = header.get("payload_size")
    if expected is None or len(payload) != expected:
        state = "truncated" if expected is not None and len(payload) < expected else "altered"
        raise ModelFileError(f"{path}: model file is {state}: expected {expected} payload "
                             f"bytes, found {len(payload)}")
    if hashlib.sha256(payload).hexdigest() != header.get("sha256"):
        raise ModelFileError(f"{path}: checksum mismatch: the model file was altered or "
                             "corrupted after it was written; retrain or restore it")
    return header, payload


def read_metadata(path) -> dict:
    """The metadata header of a model file (verifies the checksum, loads nothing).

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :func:`save`.

    Returns
    -------
    dict
        ``format``, ``payload_size``, ``sha256``, ``created`` (UTC, ISO 8601),
        ``versions`` (of mmfuse and its dependencies at save time),
        ``estimator``, ``classes``, ``inputs`` (``{column: kind}``, kinds
        ``'image'``, ``'audio'``, ``'text'`` or None), ``input_schema`` (the
        fitted fuser's ``input_schema_``: ``{column: {'kind', 'dtype',
        'block'}}``, or None when the model has none; absent from files
        written before mmfuse recorded it) and ``user`` (the ``metadata``
        given to :func:`save`).

    Raises
    ------
    ModelFileError
        The file is not an mmfuse model file, is truncated, or its checksum
        does not match.
    """
    return _read(path)[0]


def _check_versions(header, path):
    saved = header.get("versions", {})
    now = _versions()
    diffs = [f"{k} {saved[k]} -> {now[k]}" for k in ("mmfuse", "scikit-learn", "numpy")
             if k in saved and saved[k] != now[k]]
    if diffs:
        warnings.warn(f"{path}: model was trained with other library versions "
                      f"({'; '.join(diffs)}); predictions may differ or fail. Retrain with "
                      "the current versions to silence this.", VersionMismatchWarning,
                      stacklevel=4)  # load -> _load_payload -> here


# Plain data containers that fitted mmfuse estimators hold (stop-word sets, sparse
# IDF/SVD state); loading them runs no user code. Listed explicitly, never by prefix.
SAFE_TYPES = (
    "builtins.frozenset",
    "builtins.set",
    "scipy.sparse._csr.csr_matrix",
    "scipy.sparse._csc.csc_matrix",
    "scipy.sparse._coo.coo_matrix",
    "scipy.sparse._csr.csr_array",
    # scikit-learn's own parts of a fitted CalibratedClassifierCV (the Platt
    # calibration of every recipe's default) and the folds it was given: plain
    # data holders that skops does not list among its default trusted types
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.model_selection._split.KFold",
    "sklearn.model_selection._split.StratifiedKFold",
)


def _mmfuse_trusted(untrusted):
    """mmfuse's own classes and functions, plus the data containers in SAFE_TYPES."""
    return [t for t in untrusted if t.startswith("mmfuse.") or t in SAFE_TYPES]


def load(path, *, trusted=None, fast_svc=True):
    """Load a model written by :func:`save`, after checking its size and checksum.

    Parameters
    ----------
    path : str or os.PathLike
    trusted : list of str, optional
        For skops files only: extra fully-qualified type names to allow (besides
        what skops trusts by default and mmfuse's own classes). Types outside
        this list are refused, never executed.
    fast_svc : bool, default=True
        Make every fitted :class:`sklearn.svm.SVC` of the loaded model a
        :class:`mmfuse.svm.FastSVC` (:func:`mmfuse.svm.to_fast_svc`): the same
        decisions, computed by matrix products instead of one kernel evaluation
        at a time. The file itself is not changed: :func:`save` writes the model
        as it is given, so a file holding only scikit-learn estimators does not
        depend on :mod:`mmfuse.svm`.

    Returns
    -------
    model : estimator
        ``model.mmfuse_metadata_`` is not set; use :func:`read_metadata` for it.

    Raises
    ------
    ModelFileError
        not an mmfuse file, truncated, altered, or (skops) holds untrusted types.
    """
    model = _load_payload(path, trusted)
    if fast_svc:
        from .svm import to_fast_svc  # noqa: PLC0415

        to_fast_svc(model)
    return model


def _load_payload(path, trusted):
    header, payload = _read(path)
    _check_versions(header, path)
    fmt = header.get("format")
    if fmt == "joblib":
        import joblib  # noqa: PLC0415

        return joblib.load(io.BytesIO(payload))
    if fmt == "skops":
        try:
            import skops.io as sio  # noqa: PLC0415
        except ImportError:
            raise ImportError(f"{path} is a skops model file: pip install 'mmfuse[safe]'") \
                from None
        untrusted = sio.get_untrusted_types(data=payload)
        allowed = set(_mmfuse_trusted(untrusted)) | set(trusted or ())
        refused = sorted(set(untrusted) - allowed)
        if refused:
            raise ModelFileError(f"{path}: refusing to load untrusted types {refused}; pass "
                                 "trusted=[...] naming them if you trust this file")
        return sio.loads(payload, trusted=sorted(allowed))
    raise ModelFileError(f"{path}: unknown payload format {fmt!r}")
