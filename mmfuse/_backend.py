"""CPU/GPU array backend: the only module of mmfuse that imports CuPy.

Descriptor math (HOG, dense SIFT, MFCC framing, codebook assignment, kernels) is
written once against an array namespace ``xp`` that is either :mod:`numpy` or
:mod:`cupy`. This module decides which one to use, moves arrays across the
boundary and sizes the chunks of batched work.

The output rule
---------------
**The output follows the input's namespace**, as in
:mod:`sklearn.utils._array_api`: a public array function given NumPy (or
SciPy sparse, or a list) returns NumPy, given CuPy returns CuPy, whatever
device the computation ran on. ``device`` only says where the work is done:

* ``device=None``: a CuPy input is computed on its GPU (no transfer); any
  other input on the device of :func:`mmfuse.config_context` (``'auto'`` by
  default: the GPU when CuPy sees one);
* ``'auto'``, ``'cpu'`` or ``'cuda'``: that device (``'auto'`` resolved by
  :func:`resolve_device`); the input is moved there and the result moved back.

:func:`dispatch` makes that decision for every batched function and
:meth:`Dispatch.output` applies the rule to the results. Fitted state is
always NumPy, so a model trained on a GPU pickles and scores on a CPU-only
machine.

Helpers
-------
``resolve_device(device)``
    ``'auto'`` -> ``'cuda'`` when CuPy imports and sees a CUDA device, else ``'cpu'``
    (silently); ``'cuda'`` without CUDA raises :class:`RuntimeError` saying why;
    ``'cpu'`` is always ``'cpu'``.
``get_namespace(*arrays)``
    the namespace the arrays live in (mixing NumPy and CuPy arrays is an error
    naming both).
``namespace_for(device)``
    the namespace of a device name.
``dispatch(*arrays, device=None)``
    where a call computes and where its output goes (:class:`Dispatch`).
``asarray(x, device, dtype=None)``
    ``x`` as an array of a namespace or of a device's namespace.
``to_numpy(x)``
    a NumPy array whatever ``x`` is.
``chunk_n_rows(row_bytes)``, ``gen_chunks(n, row_bytes)``
    rows per chunk, and the chunks, of batched work within the working memory
    (scikit-learn's ``working_memory``, :func:`sklearn.utils.get_chunk_n_rows`).
"""

from __future__ import annotations

import functools
import os
import types
from typing import NamedTuple

import numpy as np

from ._config import get_config, resolve_configured_device

__all__ = [
    "DEVICES",
    "Dispatch",
    "asarray",
    "chunk_n_rows",
    "cuda_available",
    "cuda_status",
    "device_of",
    "dispatch",
    "gen_chunks",
    "get_namespace",
    "is_numpy_namespace",
    "namespace_for",
    "resolve_device",
    "to_numpy",
]

DEVICES = ("auto", "cpu", "cuda")


@functools.lru_cache(maxsize=1)
def _probe_cupy():
    """Import CuPy and count CUDA devices once; return ``(cupy or None, reason)``."""
    if os.environ.get("MMFUSE_DISABLE_CUDA", "").strip() not in ("", "0"):
        return None, "disabled by the MMFUSE_DISABLE_CUDA environment variable"
    try:
        import cupy  # noqa: PLC0415  (lazy on purpose: CuPy is an optional extra)
    except ImportError:
        return None, (
            "CuPy is not installed; install the GPU extra: pip install 'mmfuse[gpu]' "
            "(CUDA 13) or pip install cupy-cuda12x (CUDA 12 drivers)"
        )
    except Exception as exc:  # noqa: BLE001 - a broken CUDA install raises all sorts of errors
        return None, f"CuPy failed to import: {type(exc).__name__}: {exc}"
    try:
        n = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # noqa: BLE001 - CUDA runtime errors of every kind
        return None, f"CuPy is installed but CUDA is unusable: {type(exc).__name__}: {exc}"
    if n < 1:
        return None, "CuPy is installed but no CUDA device is visible"
    return cupy, f"{n} CUDA device(s) visible to CuPy {cupy.__version__}"


def cuda_available() -> bool:
    """Whether CuPy imports and sees at least one CUDA device."""
    return _probe_cupy()[0] is not None


def cuda_status() -> str:
    """A one-line human-readable account of GPU availability (used by ``mmfuse info``)."""
    return _probe_cupy()[1]


def resolve_device(device="auto") -> str:
    """Turn a ``device`` parameter into ``'cpu'`` or ``'cuda'``.

    Parameters
    ----------
    device : {'auto', 'cpu', 'cuda'}, default='auto'
        ``'auto'`` picks CUDA when available and falls back to the CPU silently.

    Raises
    ------
    RuntimeError
        ``device='cuda'`` on a machine where CuPy or CUDA is unusable; the message
        says which.
    ValueError
        any other value.
    """
    if device is None:
        device = "auto"
    if device not in DEVICES:
        raise ValueError(f"device must be one of {DEVICES}; got {device!r}")
    if device == "cpu":
        return "cpu"
    if cuda_available():
        return "cuda"
    if device == "cuda":
        raise RuntimeError(
            f"device='cuda' was requested but {cuda_status()}. "
            "Use device='auto' to fall back to the CPU."
        )
    return "cpu"


def namespace_for(device):
    """The array namespace (``numpy`` or ``cupy``) for a device name (None: ``'auto'``)."""
    if resolve_device(device) == "cuda":
        return _probe_cupy()[0]
    return np


def device_of(xp) -> str:
    """``'cpu'`` for NumPy, ``'cuda'`` for CuPy: the device name of a namespace."""
    return "cpu" if is_numpy_namespace(xp) else "cuda"


def _is_cupy_array(x) -> bool:
    # Checked by type name so that CuPy is never imported just to ask.
    return type(x).__module__.split(".")[0] == "cupy"


def get_namespace(*arrays):
    """Return the namespace (``numpy`` or ``cupy``) the given arrays live in.

    Non-array arguments (None, scalars, lists) are ignored; with no array at all
    NumPy is returned.

    Raises
    ------
    TypeError
        when NumPy and CuPy arrays are mixed; CuPy refuses implicit transfers,
        so the caller must move them with :func:`asarray` first.
    """
    kinds = {("cupy" if _is_cupy_array(a) else "numpy") for a in arrays
             if a is not None and hasattr(a, "shape")}
    if len(kinds) > 1:
        raise TypeError(
            "arrays live on different devices (NumPy on the CPU and CuPy on the GPU); "
            "move them to one device with mmfuse._backend.asarray(x, device) first"
        )
    if kinds == {"cupy"}:
        return _probe_cupy()[0]
    return np


def is_numpy_namespace(xp) -> bool:
    """True when ``xp`` is NumPy (use it to branch to SciPy/OpenCV where they pay)."""
    return xp is np


def asarray(x, device="auto", dtype=None):
    """``x`` as an array of a namespace, or of a device's namespace.

    Parameters
    ----------
    x : array-like
        NumPy or CuPy array, list, scalar.
    device : module or {'auto', 'cpu', 'cuda'} or None, default='auto'
        A namespace (``numpy``, ``cupy``, as :func:`get_namespace` or
        :func:`dispatch` return it), or a device name (None: ``'auto'``).
    dtype : dtype, default=None
        The dtype of the result; None keeps ``x``'s.

    Returns
    -------
    array
        ``x`` itself when it already is such an array of that dtype.
    """
    xp = device if _is_namespace(device) else namespace_for(device)
    if is_numpy_namespace(xp):
        return np.asarray(to_numpy(x), dtype=dtype)
    return xp.asarray(x, dtype=dtype)


def _is_namespace(device) -> bool:
    return isinstance(device, types.ModuleType)


def to_numpy(x):
    """Return ``x`` as a NumPy array (CuPy arrays are copied to the host)."""
    if _is_cupy_array(x):
        return x.get()
    return np.asarray(x)


class Dispatch(NamedTuple):
    """Where a batched call computes (``xp``) and the namespace of its output (``in_xp``).

    Returned by :func:`dispatch`; ``in_xp`` is the namespace of the call's input.
    """

    xp: types.ModuleType
    in_xp: types.ModuleType

    @property
    def device(self) -> str:
        """``'cpu'`` or ``'cuda'``: the device of :attr:`xp`."""
        return device_of(self.xp)

    @property
    def on_cpu(self) -> bool:
        """Whether the computation runs in NumPy (where SciPy and OpenCV paths pay)."""
        return is_numpy_namespace(self.xp)

    def put(self, x, dtype=None):
        """``x`` (any namespace) as an array of the computation's namespace."""
        return asarray(x, self.xp, dtype=dtype)

    def output(self, x):
        """``x`` returned in the input's namespace: the output rule of this module."""
        if x is None or get_namespace(x) is self.in_xp:
            return x
        return asarray(x, self.in_xp)


def dispatch(*arrays, device=None) -> Dispatch:
    """Decide where a batched call on ``arrays`` computes and where its output goes.

    Parameters
    ----------
    *arrays : arrays, sparse matrices, lists or None
        The call's array inputs (mixing NumPy and CuPy raises, as
        :func:`get_namespace`).
    device : {'auto', 'cpu', 'cuda'} or None, default=None
        The call's ``device`` parameter. None or ``'auto'`` with a CuPy input
        computes on that input's GPU; otherwise the work runs on ``device``
        (None: the device of :func:`mmfuse.config_context`).

    Returns
    -------
    Dispatch
        ``(xp, in_xp)``: the namespace to compute in and the namespace of the
        input, in which :meth:`Dispatch.output` returns the results.

    Raises
    ------
    RuntimeError
        ``device='cuda'`` (given or configured) where CUDA is unusable.
    """
    in_xp = get_namespace(*arrays)
    if device in (None, "auto") and not is_numpy_namespace(in_xp):
        return Dispatch(in_xp, in_xp)
    return Dispatch(namespace_for(resolve_configured_device(device)), in_xp)


def chunk_n_rows(row_bytes, *, max_n_rows=None):
    """Rows per chunk of batched work whose rows need ``row_bytes`` bytes each.

    scikit-learn's :func:`sklearn.utils.get_chunk_n_rows` with the working
    memory of mmfuse's configuration: ``mmfuse.get_config()['working_memory']``
    MiB, which is scikit-learn's ``working_memory`` (:func:`sklearn.set_config`)
    unless mmfuse's own key is set. A row larger than the budget is a chunk on
    its own.

    Parameters
    ----------
    row_bytes : int or float
        Bytes one row (image, clip, descriptor) holds at once, temporaries
        included.
    max_n_rows : int, default=None
        At most this many rows per chunk.

    Returns
    -------
    n_rows : int
        At least 1.
    """
    from ._compat import get_chunk_n_rows  # noqa: PLC0415  (import mmfuse stays light)

    working_memory = get_config()["working_memory"]
    # capped at the budget: one row that does not fit is done alone, without
    # scikit-learn's "could not adhere to working_memory" warning
    row_bytes = min(max(1, int(np.ceil(row_bytes))), int(working_memory * 2 ** 20))
    return get_chunk_n_rows(row_bytes=row_bytes, max_n_rows=max_n_rows,
                            working_memory=working_memory)


def gen_chunks(n, row_bytes, *, max_n_rows=None):
    """The ``slice`` of every chunk of ``n`` rows (:func:`chunk_n_rows` rows each).

    :func:`sklearn.utils.gen_batches` with the batch size of :func:`chunk_n_rows`.
    """
    from sklearn.utils import gen_batches  # noqa: PLC0415

    return list(gen_batches(int(n), chunk_n_rows(row_bytes, max_n_rows=max_n_rows)))
