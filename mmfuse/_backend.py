"""CPU/GPU array backend: the only module of mmfuse that imports CuPy.

Descriptor math (HOG, dense SIFT, MFCC framing, codebook assignment, kernels) is
written once against an array namespace ``xp`` that is either :mod:`numpy` or
:mod:`cupy`.  This module decides which one to use and moves arrays across the
boundary:

``resolve_device(device)``
    ``'auto'`` -> ``'cuda'`` when CuPy imports and sees a CUDA device, else ``'cpu'``
    (silently); ``'cuda'`` without CUDA raises :class:`RuntimeError` saying why;
    ``'cpu'`` is always ``'cpu'``.
``get_namespace(*arrays)``
    the namespace the arrays live in (mixing NumPy and CuPy arrays is an error
    naming both).
``namespace_for(device)``
    the namespace of a resolved device name.
``asarray(x, device, dtype=None)``
    ``x`` as an array of ``device``'s namespace.
``to_numpy(x)``
    a NumPy array whatever ``x`` is; fitted state is always stored this way so a
    model trained on a GPU pickles and scores on a CPU-only machine.
"""

from __future__ import annotations

import functools
import os

import numpy as np

__all__ = [
    "DEVICES",
    "asarray",
    "cuda_available",
    "cuda_status",
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
    """The array namespace (``numpy`` or ``cupy``) for a device name."""
    if resolve_device(device) == "cuda":
        return _probe_cupy()[0]
    return np


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
    """``x`` as an array on ``device`` (``'auto'``, ``'cpu'`` or ``'cuda'``)."""
    if resolve_device(device) == "cuda":
        cp = _probe_cupy()[0]
        return cp.asarray(x, dtype=dtype)
    return np.asarray(to_numpy(x), dtype=dtype)


def to_numpy(x):
    """Return ``x`` as a NumPy array (CuPy arrays are copied to the host)."""
    if _is_cupy_array(x):
        return x.get()
    return np.asarray(x)
