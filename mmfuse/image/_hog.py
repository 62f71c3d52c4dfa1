"""Batched Histograms of Oriented Gradients (HOG), on the CPU or a CUDA GPU.

:func:`hog` computes the descriptor of a whole batch of images at once and equals
:func:`skimage.feature.hog` image by image; :class:`HOGFeatures` is the
scikit-learn transformer over a column of images (paths, bytes or arrays).
"""

from __future__ import annotations

import math
import warnings
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._backend import get_namespace, is_numpy_namespace, namespace_for, to_numpy
from .._compat import Interval, StrOptions, _fit_context, validate_data
from .._config import get_config, resolve_configured_device
from ..io import MMFuseInputWarning
from ._batch import iter_image_batches, n_items_per_chunk

__all__ = ["HOGFeatures", "hog"]

BLOCK_NORMS = ("L1", "L1-sqrt", "L2", "L2-Hys")
_EPS = 1e-5  # as scikit-image's _hog_normalize_block
# Pixels whose fast (cv2.phase, max error ~0.01 degree) angle lies within this many
# degrees of a bin edge are re-binned with the exact arctan2 formula of scikit-image.
_EDGE_MARGIN_DEG = 0.05
# float temporaries alive per pixel and channel while a chunk is processed
_TEMPS_PER_PIXEL = 12


# --------------------------------------------------------------------------- validation

def _pair(value, name):
    if isinstance(value, Integral):
        value = (value, value)
    try:
        a, b = value
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair of positive integers; got {value!r}") from None
    if not all(isinstance(v, Integral) and not isinstance(v, bool) and v >= 1 for v in (a, b)):
        raise ValueError(f"{name} must be a pair of positive integers; got {value!r}")
    return int(a), int(b)


def _float_dtype(dtype):
    """scikit-image's ``_supported_float_type``: float16/32 -> float32, else float64."""
    dtype = np.dtype(dtype)
    if dtype in (np.float16, np.float32):
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def hog_length(image_shape, orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2)):
    """Number of HOG features of an ``(H, W)`` image (0 if it holds no full block)."""
    h, w = image_shape[:2]
    ch, cw = _pair(pixels_per_cell, "pixels_per_cell")
    br, bc = _pair(cells_per_block, "cells_per_block")
    nbr, nbc = h // ch - br + 1, w // cw - bc + 1
    if nbr <= 0 or nbc <= 0:
        return 0
    return nbr * nbc * br * bc * int(orientations)


# --------------------------------------------------------------------------- stages

def _gradients(xp, img):
    """Central differences along rows and columns, zero on the first/last row/column.

    Exactly scikit-image's ``_hog_channel_gradient`` applied to every image (and
    channel) of the batch ``img`` of shape ``(N, H, W[, C])``.
    """
    g_row = xp.empty_like(img)
    g_col = xp.empty_like(img)
    g_row[:, 0] = 0
    g_row[:, -1] = 0
    g_col[:, :, 0] = 0
    g_col[:, :, -1] = 0
    if img.shape[1] > 2:
        xp.subtract(img[:, 2:], img[:, :-2], out=g_row[:, 1:-1])
    if img.shape[2] > 2:
        xp.subtract(img[:, :, 2:], img[:, :, :-2], out=g_col[:, :, 1:-1])
    return g_row, g_col


def _dominant_channel(xp, g_row, g_col):
    """Per pixel, the gradient of the channel with the largest magnitude (first on ties).

    ``g_row``, ``g_col`` are channel-planar ``(N, C, H, W)``. Magnitudes are
    ``hypot`` in the gradients' dtype, as scikit-image computes them, so that
    exact ties (common with 8-bit colour) are broken the same way.
    """
    best = xp.hypot(g_row[:, 0], g_col[:, 0])
    sel_row, sel_col = g_row[:, 0], g_col[:, 0]
    for k in range(1, g_row.shape[1]):
        m = xp.hypot(g_row[:, k], g_col[:, k])
        better = m > best  # strict: the first channel wins ties, as argmax
        best = xp.where(better, m, best)
        sel_row = xp.where(better, g_row[:, k], sel_row)
        sel_col = xp.where(better, g_col[:, k], sel_col)
    return sel_row, sel_col


def _bin_edges(orientations):
    # computed as scikit-image's Cython loop does: (180. / n) * i in float64
    per = 180.0 / orientations
    return np.array([per * i for i in range(orientations + 1)], dtype=np.float64)


def _exact_bins(xp, g_row, g_col, orientations, dtype):
    """Orientation bin of each pixel, scikit-image's rule; ``orientations`` = no bin.

    The unsigned angle is ``rad2deg(arctan2(g_row, g_col)) % 180`` and bin ``i``
    holds ``edge[i] <= angle < edge[i + 1]``. In float64 an angle that rounds to
    180 (a tiny negative angle modulo 180) falls in no bin, as in scikit-image;
    in float32 (where far more angles round to 180) it stays in the last bin.
    """
    g_row = g_row.astype(dtype, copy=False)
    g_col = g_col.astype(dtype, copy=False)
    angle = xp.rad2deg(xp.arctan2(g_row, g_col)) % 180
    edges = xp.asarray(_bin_edges(orientations), dtype=dtype)
    bins = xp.searchsorted(edges, angle, side="right") - 1  # == orientations when >= edge[n]
    if np.dtype(dtype) != np.float64:
        # A tiny negative angle is 180 - tiny in float64 (last bin) but rounds to 180
        # in float32, which would drop the vote: keep it in the last bin.
        bins = xp.minimum(bins, orientations - 1)
    return bins


def _cell_histograms_xp(xp, g_row, g_col, n_cells, cell, orientations):
    """(N, n_cells_row, n_cells_col, orientations) cell histograms, any namespace."""
    n = g_row.shape[0]
    (ncr, ncc), (cr, cc) = n_cells, cell
    g_row = g_row[:, : ncr * cr, : ncc * cc]
    g_col = g_col[:, : ncr * cr, : ncc * cc]
    magnitude = xp.hypot(g_row, g_col)
    bins = _exact_bins(xp, g_row, g_col, orientations, g_row.dtype)
    hist = xp.empty((n, ncr, ncc, orientations), dtype=g_row.dtype)
    for k in range(orientations):
        votes = xp.where(bins == k, magnitude, 0).reshape(n, ncr, cr, ncc, cc)
        hist[..., k] = votes.sum(axis=(2, 4))
    return hist / (cr * cc)


def _cell_histograms_cv2(g_row, g_col, n_cells, cell, orientations):
    """The same histograms on the CPU: OpenCV angles and one scatter-add pass.

    ``cv2.phase`` gives every angle to ~0.01 degree (SIMD); pixels within
    0.05 degree of a bin edge are re-binned with scikit-image's exact formula,
    so the bins equal scikit-image's. Every pixel's vote is then added to its
    ``(image, cell, bin)`` slot by one unbuffered ``np.add.at`` pass; pixels in
    no bin go to a discarded extra slot.
    """
    import cv2  # noqa: PLC0415

    n = g_row.shape[0]
    (ncr, ncc), (cr, cc) = n_cells, cell
    rows, cols = ncr * cr, ncc * cc
    gr = np.ascontiguousarray(g_row[:, :rows, :cols]).reshape(n * rows, cols)
    gc = np.ascontiguousarray(g_col[:, :rows, :cols]).reshape(n * rows, cols)
    # not cv2.magnitude: its SIMD body and scalar tail round differently, so a pixel's
    # magnitude (last bit) depended on the array's memory alignment and runs differed
    magnitude = np.sqrt(gr * gr + gc * gc) if gr.dtype == np.float32 else np.hypot(gr, gc)
    scale = orientations / 180.0
    t = cv2.phase(gc, gr, angleInDegrees=True)  # [0, 360]
    t *= scale                                  # in bin units, [0, 2 * orientations]
    # unsigned orientation: subtract `orientations` bins from angles >= 180 degrees
    # (values at exactly 180 are near an edge and re-binned below)
    _, fold = cv2.threshold(t, orientations - 0.5, orientations, cv2.THRESH_BINARY)
    t = cv2.subtract(t, fold)                   # [0, orientations]
    q = t.astype(np.intp)                       # floor, as t >= 0
    t -= q                                      # fractional part: distance to an edge
    margin = _EDGE_MARGIN_DEG * scale
    # (a zero row gradient is an angle of exactly 0 or 180 degrees: bin 0, no refinement)
    near = np.flatnonzero((((t < margin) | (t > 1 - margin)) & (gr != 0)).ravel())
    del t, fold
    approx_near = q.ravel()[near]
    slots = orientations + 1                    # the last slot collects "no bin"
    # slot index of every pixel: (image, cell row, cell col) * slots + bin
    cell_of = ((np.arange(rows) // cr)[:, None] * ncc + (np.arange(cols) // cc)[None, :])
    q = q.reshape(n, rows, cols)
    q += (cell_of * slots)[None]
    q += (np.arange(n, dtype=np.intp) * (ncr * ncc * slots))[:, None, None]
    q = q.ravel()
    if near.size:
        exact = _exact_bins(np, gr.ravel()[near], gc.ravel()[near], orientations, np.float64)
        q[near] += exact - approx_near
    hist = np.zeros(n * ncr * ncc * slots, dtype=gr.dtype)
    np.add.at(hist, q, magnitude.ravel())
    hist = hist.reshape(n, ncr, ncc, slots)[..., :orientations]
    return hist / hist.dtype.type(cr * cc)


def _normalize_blocks(xp, hist, block, block_norm):
    """Overlapping blocks of cells, each normalised as scikit-image does (eps=1e-5)."""
    n, ncr, ncc, n_or = hist.shape
    br, bc = block
    nbr, nbc = ncr - br + 1, ncc - bc + 1
    parts = [hist[:, i:i + nbr, j:j + nbc] for i in range(br) for j in range(bc)]
    blocks = xp.stack(parts, axis=3).reshape(n, nbr, nbc, br * bc * n_or)
    eps = hist.dtype.type(_EPS)
    if block_norm in ("L1", "L1-sqrt"):
        out = blocks / (xp.sum(xp.abs(blocks), axis=-1, keepdims=True) + eps)
        if block_norm == "L1-sqrt":
            out = xp.sqrt(out)
    else:
        out = blocks / xp.sqrt(xp.sum(blocks ** 2, axis=-1, keepdims=True) + eps ** 2)
        if block_norm == "L2-Hys":
            out = xp.minimum(out, hist.dtype.type(0.2))
            out = out / xp.sqrt(xp.sum(out ** 2, axis=-1, keepdims=True) + eps ** 2)
    return out.reshape(n, -1)


def _hog_chunk(xp, chunk, *, orientations, cell, block, block_norm, color, use_cv2):
    if color:
        n, h, w, c = chunk.shape
        planes = xp.ascontiguousarray(xp.moveaxis(chunk, -1, 1)).reshape(n * c, h, w)
        g_row, g_col = _gradients(xp, planes)
        g_row, g_col = _dominant_channel(xp, g_row.reshape(n, c, h, w),
                                         g_col.reshape(n, c, h, w))
    else:
        g_row, g_col = _gradients(xp, chunk)
    n_cells = (chunk.shape[1] // cell[0], chunk.shape[2] // cell[1])
    if use_cv2:
        hist = _cell_histograms_cv2(g_row, g_col, n_cells, cell, orientations)
    else:
        hist = _cell_histograms_xp(xp, g_row, g_col, n_cells, cell, orientations)
    return _normalize_blocks(xp, hist, block, block_norm)


# --------------------------------------------------------------------------- public

def hog(images, orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2),
        block_norm="L2-Hys", channel_axis=None, device="auto"):
    """Histogram of Oriented Gradients of every image of a batch.

    For each image:

    1. gradients along rows and columns by central differences ``[-1, 0, 1]``
       (zero on the first/last row and column); for colour images, per pixel,
       the gradient of the channel with the largest magnitude;
    2. each pixel votes its gradient magnitude into one of ``orientations``
       unsigned orientation bins over [0, 180) degrees, in the cell of
       ``pixels_per_cell`` pixels it belongs to; a cell's histogram is the mean
       vote (sum divided by the cell area);
    3. overlapping blocks of ``cells_per_block`` cells (stride one cell) are
       normalised with ``block_norm``;
    4. the normalised blocks are concatenated, in scikit-image's order
       ``(block_row, block_col, cell_row, cell_col, orientation)``.

    Parameters
    ----------
    images : array of shape (N, H, W) or (N, H, W, C)
        A batch of same-size images (NumPy or CuPy). Float input is computed in
        its own precision (float16 as float32); other dtypes as float64, as
        scikit-image does. Pixel values are used as they are (no rescaling).
    orientations : int, default=9
        Number of orientation bins.
    pixels_per_cell : (int, int), default=(8, 8)
        Cell size in pixels (rows, columns). Pixels beyond the last whole cell
        are ignored.
    cells_per_block : (int, int), default=(2, 2)
        Block size in cells (rows, columns).
    block_norm : {'L1', 'L1-sqrt', 'L2', 'L2-Hys'}, default='L2-Hys'
        ``'L1'``: ``v / (|v|_1 + eps)``; ``'L1-sqrt'``: the square root of that;
        ``'L2'``: ``v / sqrt(|v|_2^2 + eps^2)``; ``'L2-Hys'``: L2, then clipped
        at 0.2 and L2-normalised again [1]_, [2]_. ``eps = 1e-5``.
    channel_axis : int or None, default=None
        Axis of ``images`` that holds colour channels (``-1`` or ``3``; ``1`` is
        moved last); None for grey batches ``(N, H, W)``.
    device : {'auto', 'cpu', 'cuda'}, default='auto'
        Where to compute. ``'auto'`` uses the GPU for a CuPy batch and the
        configured device otherwise.

    Returns
    -------
    features : array of shape (N, n_features)
        In the computation's float dtype, in the input's namespace (a NumPy batch
        gives NumPy features even when computed on the GPU).
        ``n_features = n_blocks_row * n_blocks_col * cells_per_block[0] *
        cells_per_block[1] * orientations``.

    Raises
    ------
    ValueError
        A bad parameter, a batch of the wrong rank, or images too small to hold
        one block (the message gives the minimum size).

    See Also
    --------
    skimage.feature.hog : the per-image reference this function equals.
    HOGFeatures : the scikit-learn transformer over a column of images.

    Notes
    -----
    This follows scikit-image's implementation, which departs from Dalal &
    Triggs [1]_ as follows: no Gaussian spatial window over the block and no
    trilinear interpolation of votes between neighbouring bins and cells (each
    pixel votes for exactly one bin of one cell); the default block norm is
    L2-Hys and blocks are (2, 2) cells as in the paper (scikit-image's own
    default is (3, 3)). No gamma/sqrt compression is applied.

    Against ``skimage.feature.hog(image, ..., feature_vector=True)`` the result
    agrees within 1e-5 for float64 input (summation order differs). float32 is
    the fast path: the histograms and norms are float32, and a pixel whose
    angle lies on a bin edge within float32 rounding may vote for the
    neighbouring bin. On the CPU, angles come from ``cv2.phase`` and pixels
    within 0.05 degree of a bin edge are re-binned with scikit-image's exact
    formula, so bins are those of scikit-image for the same gradients. Rounding
    an image to float32 moves its gradients by ~1e-7 relative, which carries a
    pixel lying that close to a bin edge into the neighbouring bin. Over 1,000
    natural 128x128 images (``benchmarks/bench_hog.py``) the float32 result
    differs from the float64 one by 2.4e-7 on average; in 7 images one such
    pixel in a low-contrast block moves a block value by up to 3.6e-2, exactly
    as in scikit-image's own float32 result. On the *same* pixel values (a
    float32 image against that image cast to float64) the two paths agree
    within 1.6e-7 on all 1,000 images, grey and colour: the float32 deviation
    comes from rounding the input, not from the computation. Pass float64
    images where every value must match within 1e-5.

    The batch is processed in chunks of images bounded by the ``working_memory``
    setting of :func:`mmfuse.config_context`.

    References
    ----------
    .. [1] Dalal, N., & Triggs, B. (2005). Histograms of oriented gradients for
       human detection. *CVPR 2005*, 886-893. https://doi.org/10.1109/CVPR.2005.177
    .. [2] Lowe, D. G. (2004). Distinctive image features from scale-invariant
       keypoints. *International Journal of Computer Vision*, 60(2), 91-110.
       https://doi.org/10.1023/B:VISI.0000029664.99615.94

    Examples
    --------
    >>> import numpy as np
    >>> from mmfuse.image import hog
    >>> images = np.random.default_rng(0).random((5, 32, 32))
    >>> hog(images).shape
    (5, 324)
    """
    return _hog(images, orientations=orientations, pixels_per_cell=pixels_per_cell,
                cells_per_block=cells_per_block, block_norm=block_norm,
                channel_axis=channel_axis, device=device)


def _hog(images, *, orientations, pixels_per_cell, cells_per_block, block_norm,
         channel_axis, device, use_cv2=None):
    if not isinstance(orientations, Integral) or isinstance(orientations, bool) \
            or orientations < 1:
        raise ValueError(f"orientations must be a positive integer; got {orientations!r}")
    orientations = int(orientations)
    cell = _pair(pixels_per_cell, "pixels_per_cell")
    block = _pair(cells_per_block, "cells_per_block")
    if block_norm not in BLOCK_NORMS:
        raise ValueError(f"block_norm must be one of {BLOCK_NORMS}; got {block_norm!r}")

    in_xp = get_namespace(images)
    if device in (None, "auto") and not is_numpy_namespace(in_xp):
        xp = in_xp
    else:
        xp = namespace_for(resolve_configured_device(device))
    if not hasattr(images, "shape"):
        images = np.asarray(images)

    color = channel_axis is not None
    if color:
        if images.ndim != 4:
            raise ValueError(
                f"channel_axis={channel_axis} needs a colour batch of shape (N, H, W, C); "
                f"got shape {tuple(images.shape)}")
        if channel_axis not in (-1, 1, 3):
            raise ValueError(f"channel_axis must be -1, 3 or 1 for a batch (N, H, W, C); "
                             f"got {channel_axis!r}")
        if channel_axis == 1:
            images = in_xp.moveaxis(images, 1, -1)
    elif images.ndim != 3:
        hint = " (a colour batch? set channel_axis=-1)" if images.ndim == 4 else ""
        raise ValueError(f"images must be a batch of shape (N, H, W){hint}; got shape "
                         f"{tuple(images.shape)}")
    n, h, w = images.shape[:3]
    if h // cell[0] - block[0] + 1 <= 0 or w // cell[1] - block[1] + 1 <= 0:
        raise ValueError(
            f"the images ({h}x{w}) are too small given pixels_per_cell={cell} and "
            f"cells_per_block={block}; they should have at least {block[0] * cell[0]} rows "
            f"and {block[1] * cell[1]} cols")
    dtype = _float_dtype(images.dtype)
    if use_cv2 is None:
        use_cv2 = is_numpy_namespace(xp)

    n_features = hog_length((h, w), orientations, cell, block)
    out = xp.empty((n, n_features), dtype=dtype)
    per_image = h * w * (images.shape[3] if color else 1) * dtype.itemsize * _TEMPS_PER_PIXEL
    step = n_items_per_chunk(per_image, get_config()["working_memory"])
    for start in range(0, n, step):
        part = images[start:start + step]
        chunk = (to_numpy(part) if is_numpy_namespace(xp) else xp.asarray(part)).astype(
            dtype, copy=False)
        out[start:start + step] = _hog_chunk(
            xp, chunk, orientations=orientations, cell=cell, block=block,
            block_norm=block_norm, color=color, use_cv2=use_cv2)
    if is_numpy_namespace(in_xp) and not is_numpy_namespace(xp):
        return to_numpy(out)
    if not is_numpy_namespace(in_xp) and is_numpy_namespace(xp):
        return in_xp.asarray(out)  # a CuPy batch computed on the CPU goes back to the GPU
    return out


# --------------------------------------------------------------------------- transformer

class HOGFeatures(TransformerMixin, BaseEstimator):
    """HOG descriptors of a column of images, as a scikit-learn transformer.

    1. Each item (a path, encoded bytes or a pixel array; see
       :func:`mmfuse.io.load_image`) is decoded to float32 in [0, 1], grey
       (BT.601 luma) or RGB with ``color=True``; RGBA is composited over white,
       16-bit and float images are scaled. Images whose longer side exceeds
       ``4 * max(image_size)`` are downscaled while decoding, which bounds memory.
    2. Each image is resized to exactly ``image_size`` keeping its aspect ratio
       (**letterbox with replicated borders**): it is scaled to fit inside
       ``image_size`` (``cv2.INTER_AREA`` when shrinking, ``cv2.INTER_LINEAR``
       when enlarging), centred, and the margin is filled by replicating the
       edge pixels, so no content is cropped and the padding adds no gradient.
    3. The uniform batch goes through :func:`hog` in float32 (the fast path) on
       the chosen device, batch by batch within the ``working_memory`` setting.

    Parameters
    ----------
    image_size : (int, int), default=(128, 128)
        ``(rows, cols)`` every image is brought to before HOG.
    orientations : int, default=9
        Number of unsigned orientation bins over [0, 180) degrees.
    pixels_per_cell : (int, int), default=(8, 8)
        Cell size in pixels.
    cells_per_block : (int, int), default=(2, 2)
        Block size in cells.
    block_norm : {'L1', 'L1-sqrt', 'L2', 'L2-Hys'}, default='L2-Hys'
        Block normalisation (see :func:`hog`).
    color : bool, default=False
        Use RGB images and, per pixel, the channel with the largest gradient
        (Dalal & Triggs [1]_); otherwise grey images.
    device : {'auto', 'cpu', 'cuda'} or None, default='auto'
        Where HOG is computed; None uses :func:`mmfuse.config_context`'s device.
    n_jobs : int or None, default=None
        Threads that decode images (joblib); None means 1.
    progress : bool or None, default=None
        Show a tqdm bar over batches; None shows it only on a terminal.

    Attributes
    ----------
    n_features_out_ : int
        Length of the descriptor.
    n_features_in_ : int
        Only set when fitted on a one-column DataFrame (then 1), as
        ``feature_names_in_``.

    See Also
    --------
    hog : the batched descriptor (equal to :func:`skimage.feature.hog`).
    mmfuse.image.SIFTFeatures : dense/keypoint SIFT with codebook encodings.

    Notes
    -----
    The descriptor is scikit-image's variant of Dalal & Triggs [1]_ (see the
    Notes of :func:`hog`: no Gaussian block window, no vote interpolation).
    Departures of this transformer:

    * Images of any size are letterboxed to ``image_size`` (see step 2) instead
      of being cropped into detection windows.
    * Output is float32; a missing item (``None``/NaN) gives a row of NaN
      (the fusers detect missing rows), an item that fails to load raises
      :class:`mmfuse.io.MMFuseInputError` naming its row, or gives a zero row
      under ``on_error='skip'``. An image with no gradient inside the cells
      (blank, or a 1x1 image enlarged) gives a zero vector and an
      :class:`mmfuse.io.MMFuseInputWarning` naming the rows.
    * ``fit`` learns nothing from the images (HOG has no fitted state); it
      checks the parameters and the column and fixes ``n_features_out_``.

    References
    ----------
    .. [1] Dalal, N., & Triggs, B. (2005). Histograms of oriented gradients for
       human detection. *CVPR 2005*, 886-893. https://doi.org/10.1109/CVPR.2005.177

    Examples
    --------
    >>> import numpy as np
    >>> from mmfuse.image import HOGFeatures
    >>> rng = np.random.default_rng(0)
    >>> images = [rng.random((40, 60)), (rng.random((20, 20, 3)) * 255).astype(np.uint8), None]
    >>> hf = HOGFeatures(image_size=(32, 32), device="cpu").fit(images)
    >>> X = hf.transform(images)
    >>> X.shape, X.dtype, bool(np.isnan(X[2]).all())
    ((3, 324), dtype('float32'), True)
    >>> hf.get_feature_names_out()[:3].tolist()
    ['hog0', 'hog1', 'hog2']
    """

    _parameter_constraints: dict = {
        "image_size": [tuple, list],
        "orientations": [Interval(Integral, 1, None, closed="left")],
        "pixels_per_cell": [tuple, list],
        "cells_per_block": [tuple, list],
        "block_norm": [StrOptions(set(BLOCK_NORMS))],
        "color": ["boolean"],
        "device": [StrOptions({"auto", "cpu", "cuda"}), None],
        "n_jobs": [Integral, None],
        "progress": ["boolean", None],
    }

    def __init__(self, *, image_size=(128, 128), orientations=9, pixels_per_cell=(8, 8),
                 cells_per_block=(2, 2), block_norm="L2-Hys", color=False, device="auto",
                 n_jobs=None, progress=None):
        self.image_size = image_size
        self.orientations = orientations
        self.pixels_per_cell = pixels_per_cell
        self.cells_per_block = cells_per_block
        self.block_norm = block_norm
        self.color = color
        self.device = device
        self.n_jobs = n_jobs
        self.progress = progress

    # ------------------------------------------------------------------ fitting

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the parameters and the column; fix the descriptor length.

        Parameters
        ----------
        X : list, 1-D array, pandas Series, one-column DataFrame, or array (N, H, W[, C])
            One image per row: paths, encoded bytes or pixel arrays.
        y : ignored

        Returns
        -------
        self : HOGFeatures
        """
        self._check_geometry()
        self._validate_column(X, reset=True)
        from .._base import as_column  # noqa: PLC0415

        as_column(X)  # a clear error for a non-column input, without decoding anything
        size = _pair(self.image_size, "image_size")
        self.n_features_out_ = hog_length(size, self.orientations, self.pixels_per_cell,
                                          self.cells_per_block)
        return self

    def _validate_column(self, X, *, reset):
        """``n_features_in_``/``feature_names_in_`` from a one-column DataFrame only.

        scikit-learn would count the rows of the first image of a list or stack
        as "features", so other inputs are not passed to ``validate_data``.
        """
        if hasattr(X, "columns") and hasattr(X, "iloc"):
            validate_data(self, X, reset=reset, skip_check_array=True)
        elif reset:
            for name in ("n_features_in_", "feature_names_in_"):
                self.__dict__.pop(name, None)

    def _check_geometry(self):
        rows, cols = _pair(self.image_size, "image_size")
        cell = _pair(self.pixels_per_cell, "pixels_per_cell")
        block = _pair(self.cells_per_block, "cells_per_block")
        if rows // cell[0] < block[0] or cols // cell[1] < block[1]:
            raise ValueError(
                f"image_size={tuple(self.image_size)} holds no block of cells_per_block="
                f"{block} cells of pixels_per_cell={cell}; image_size should be at least "
                f"({block[0] * cell[0]}, {block[1] * cell[1]})")

    # ------------------------------------------------------------------ transform

    def transform(self, X):
        """HOG descriptors of a column of images.

        Parameters
        ----------
        X : list, 1-D array, pandas Series, one-column DataFrame, or array (N, H, W[, C])
            One image per row (see :func:`mmfuse.io.load_image`).

        Returns
        -------
        features : ndarray of float32, shape (n_samples, n_features_out_)
            NaN rows for missing items, zero rows for items skipped under
            ``on_error='skip'``.

        Raises
        ------
        mmfuse.io.MMFuseInputError
            An item cannot be loaded (names its row, column and path).
        """
        check_is_fitted(self, "n_features_out_")
        self._validate_column(X, reset=False)
        from .._base import progress_bar  # noqa: PLC0415
        from ._batch import fit_to_size, n_rows  # noqa: PLC0415

        size = _pair(self.image_size, "image_size")
        channels = 3 if self.color else 1
        n = n_rows(X)
        out = np.zeros((n, self.n_features_out_), dtype=np.float32)
        # decoded images, their resized copies and HOG temporaries per item
        per_item = size[0] * size[1] * channels * 4 * (_TEMPS_PER_PIXEL + 4)
        batch = n_items_per_chunk(per_item)
        device = resolve_configured_device(self.device)
        blank = []
        batches = iter_image_batches(
            X, batch_size=batch, mode="rgb" if self.color else "gray",
            max_side=4 * max(size), n_jobs=self.n_jobs, default_column=None)
        for start, loaded, _column in progress_bar(
                batches, total=math.ceil(n / batch), desc="HOG", progress=self.progress,
                unit="batch"):
            ok = np.flatnonzero(loaded.ok)
            out[start + np.flatnonzero(loaded.missing)] = np.nan
            if ok.size == 0:
                continue
            images = np.stack([fit_to_size(loaded.values[i], size) for i in ok])
            feats = to_numpy(_hog(
                images, orientations=self.orientations, pixels_per_cell=self.pixels_per_cell,
                cells_per_block=self.cells_per_block, block_norm=self.block_norm,
                channel_axis=-1 if self.color else None, device=device))
            out[start + ok] = feats
            zero = ok[~feats.any(axis=1)]
            blank.extend(start + zero)
        if blank:
            from .._base import as_column  # noqa: PLC0415

            rows = as_column(X)[1]
            shown = ", ".join(str(rows[i]) for i in blank[:10])
            more = f" and {len(blank) - 10} more" if len(blank) > 10 else ""
            warnings.warn(
                f"rows {shown}{more}: image has no gradient inside the HOG cells (blank, "
                "uniform or a 1x1 image); its HOG vector is all zeros",
                MMFuseInputWarning, stacklevel=3)
        return out

    # ------------------------------------------------------------------ names & tags

    def get_feature_names_out(self, input_features=None):
        """Output feature names ``hog0``, ``hog1``, ...

        Parameters
        ----------
        input_features : ignored
            Accepted for scikit-learn compatibility.

        Returns
        -------
        names : ndarray of str objects, shape (n_features_out_,)
        """
        check_is_fitted(self, "n_features_out_")
        return np.asarray([f"hog{i}" for i in range(self.n_features_out_)], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True         # paths
        tags.input_tags.two_d_array = False   # one column of images, not a feature matrix
        tags.input_tags.three_d_array = True  # a stack (N, H, W) of images
        tags.input_tags.allow_nan = True      # NaN/None is a missing image
        tags.transformer_tags.preserves_dtype = []  # always float32
        return tags
