"""Batching helpers shared by the image extractors: memory-bounded chunks, uniform sizes.

``iter_image_batches``
    load a column of images batch by batch (``load_image`` under the configured
    ``on_error`` policy, skipped errors reported as :func:`mmfuse._base.load_items`
    does), so a long column never sits in memory decoded all at once.
``n_rows``
    the number of items in a column.
``cache_chunk``
    how many items of a given byte size a CPU kernel should take at once so
    that its passes stay in the core's cache.
``Scratch``
    named scratch arrays that the chunks of one CPU call reuse.
``fit_to_size``
    resize one image to an exact ``(rows, cols)`` keeping its aspect ratio
    (``cv2.INTER_AREA`` when shrinking), centring it and padding the rest by
    replicating the border pixels.
"""

from __future__ import annotations

import math

import numpy as np

from .._base import as_column
from .._config import get_config, report_errors
from ..io import LoadedColumn, load_column, load_image

__all__ = ["Scratch", "cache_chunk", "fit_to_size", "iter_image_batches", "n_rows"]

#: bytes of one array of a CPU chunk: the dozen temporaries of a chunk then stay in
#: the core's cache (2 MiB of L2 on the development machine) from pass to pass
CPU_CHUNK_BYTES = 1 << 19


def cache_chunk(bytes_per_item, limit=None):
    """Items per CPU chunk: about :data:`CPU_CHUNK_BYTES` per array, at most ``limit``."""
    n = max(1, CPU_CHUNK_BYTES // max(1, int(bytes_per_item)))
    return n if limit is None else max(1, min(n, int(limit)))


class Scratch:
    """Named scratch arrays reused by the chunks of one CPU call.

    A fresh array of a megabyte costs the kernel's page faults on first touch
    (about as much as a dozen passes over it in cache), so the chunks of a
    batch share these instead of allocating their temporaries anew.
    ``scratch(name, shape, dtype)`` returns a view of the first elements of the
    array called ``name``, growing it when a larger one is asked for.
    """

    def __init__(self):
        self._arrays = {}

    def __call__(self, name, shape, dtype):
        size = math.prod(shape)
        buf = self._arrays.get(name)
        if buf is None or buf.size < size or buf.dtype != dtype:
            buf = self._arrays[name] = np.empty(size, dtype=dtype)
        return buf[:size].reshape(shape)


def iter_image_batches(X, *, batch_size, mode="gray", max_side=None, n_jobs=None,
                       default_column=None):
    """Yield ``(start, LoadedColumn, column)`` for consecutive batches of an image column.

    Row labels in errors are those of :func:`mmfuse._base.as_column` (the pandas
    index, or positions). Under ``on_error='skip'`` failed rows come back as
    ``None`` with ``failed`` set and are reported to :func:`mmfuse.collect_errors`.
    """
    items, rows, name = as_column(X, kind="image")
    column = name if name is not None else default_column
    on_error = get_config()["on_error"]
    for start in range(0, len(items), batch_size):
        stop = start + batch_size
        loaded: LoadedColumn = load_column(
            items[start:stop], load_image, column=column, rows=rows[start:stop],
            on_error=on_error, n_jobs=n_jobs, mode=mode, max_side=max_side)
        if loaded.errors:
            report_errors(loaded.errors)
        yield start, loaded, column


def n_rows(X):
    """Number of items in a column (as :func:`as_column` counts them)."""
    return len(as_column(X, kind="image")[0])


def fit_to_size(img, size):
    """``img`` (``(h, w)`` or ``(h, w, c)`` float32) resized and padded to ``size=(rows, cols)``.

    The image is scaled by ``min(rows / h, cols / w)`` (so all of it is kept),
    with ``cv2.INTER_AREA`` when shrinking and ``cv2.INTER_LINEAR`` when
    enlarging, then centred; the margin is filled by replicating the edge pixels
    (``cv2.BORDER_REPLICATE``), which adds no gradient, so padding creates no
    spurious edges for HOG or SIFT. A uniform image (blank, 1x1) stays exactly
    uniform.
    """
    import cv2  # noqa: PLC0415

    rows, cols = size
    h, w = img.shape[:2]
    if (h, w) == (rows, cols):
        return img
    first = img[:1, :1]
    if (img == first).all():
        # uniform (blank, or 1x1): stay exactly uniform; interpolation would add
        # 1-ulp ripples that block normalisation blows up into a random descriptor
        return np.ascontiguousarray(np.broadcast_to(first, (rows, cols) + img.shape[2:]))
    s = min(rows / h, cols / w)
    nh = min(rows, max(1, round(h * s)))
    nw = min(cols, max(1, round(w * s)))
    if (nh, nw) != (h, w):
        interp = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
        out = cv2.resize(np.ascontiguousarray(img), (nw, nh), interpolation=interp)
        if img.ndim == 3 and out.ndim == 2:
            out = out[..., None]
    else:
        out = img
    top = (rows - nh) // 2
    left = (cols - nw) // 2
    if (nh, nw) != (rows, cols):
        out = cv2.copyMakeBorder(np.ascontiguousarray(out), top, rows - nh - top, left,
                                 cols - nw - left, cv2.BORDER_REPLICATE)
        if img.ndim == 3 and out.ndim == 2:
            out = out[..., None]
    return out
