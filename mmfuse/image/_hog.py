"""Batched Histograms of Oriented Gradients (HOG), on the CPU or a CUDA GPU.

:func:`hog` computes the descriptor of a whole batch of images at once and equals
:func:`skimage.feature.hog` image by image; :class:`HOGFeatures` is the
scikit-learn transformer over a column of images (paths, bytes or arrays).
"""

from __future__ import annotations

import functools
import math
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._backend import chunk_n_rows, dispatch, is_numpy_namespace, to_numpy
from .._compat import (DEVICE_CONSTRAINT, Interval, Options, PairInterval, StrOptions,
                       _fit_context, validate_data)
from .._validation import validate_params
from .._base import drop_failed_rows, screen_column, strict_loading, warn_rows
from .._parallel import run_shares
from ..io import load_image
from ._batch import Scratch, cache_chunk, iter_image_batches

__all__ = ["HOGFeatures", "hog"]

BLOCK_NORMS = ("L1", "L1-sqrt", "L2", "L2-Hys")
_EPS = 1e-5  # as scikit-image's _hog_normalize_block
# Pixels whose fast (cv2.phase, max error ~0.01 degree) angle lies within this many
# degrees of a bin edge are re-binned with the exact arctan2 formula of scikit-image.
_EDGE_MARGIN_DEG = 0.05
# float temporaries alive per pixel and channel while a chunk is processed
_TEMPS_PER_PIXEL = 12
# images per batch of HOGFeatures.transform on the CPU
_CPU_BATCH = 64


# --------------------------------------------------------------------------- parameter values

def _pair(value):
    """``(rows, cols)`` of a value that its ``PairInterval`` constraint accepted (one int or two).

    The values are checked where they enter: by :func:`hog`'s ``validate_params``
    and by :class:`HOGFeatures`'s ``_parameter_constraints``.
    """
    if isinstance(value, Integral):
        return int(value), int(value)
    a, b = value
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
    ch, cw = _pair(pixels_per_cell)
    br, bc = _pair(cells_per_block)
    nbr, nbc = h // ch - br + 1, w // cw - bc + 1
    if nbr <= 0 or nbc <= 0:
        return 0
    return nbr * nbc * br * bc * int(orientations)


# --------------------------------------------------------------------------- stages

def _gradients(xp, img, out=None):
    """Central differences along rows and columns, zero on the first/last row/column.

    Exactly scikit-image's ``_hog_channel_gradient`` applied to every image (and
    channel) of the batch ``img`` of shape ``(N, H, W[, C])``; ``out`` is an
    optional pair of arrays of that shape to write the two gradients to.
    """
    g_row, g_col = out if out is not None else (xp.empty_like(img), xp.empty_like(img))
    n, h, w = img.shape[:3]
    if img.flags.c_contiguous and g_row.flags.c_contiguous and g_col.flags.c_contiguous:
        # one contiguous pass each over the flattened batch (the fastest kind); the
        # differences that straddle two rows or two images are zeroed after
        step = math.prod(img.shape[2:])  # one row
        flat, fr, fc = img.reshape(-1), g_row.reshape(-1), g_col.reshape(-1)
        if h > 2:
            xp.subtract(flat[2 * step:], flat[:-2 * step], out=fr[step:-step])
        if w > 2:
            inner = step // w  # channels
            xp.subtract(flat[2 * inner:], flat[:-2 * inner], out=fc[inner:-inner])
    else:
        if h > 2:
            xp.subtract(img[:, 2:], img[:, :-2], out=g_row[:, 1:-1])
        if w > 2:
            xp.subtract(img[:, :, 2:], img[:, :, :-2], out=g_col[:, :, 1:-1])
    g_row[:, 0] = 0
    g_row[:, -1] = 0
    g_col[:, :, 0] = 0
    g_col[:, :, -1] = 0
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


def _magnitude_cpu(gr, gc, out=None, scratch=None):
    """Gradient magnitude for the CPU path: ``hypot`` in float64, ``sqrt(r*r + c*c)`` in float32.

    In float32 the three NumPy passes (element-wise, correctly rounded, no fused
    multiply-add) are 5x faster than ``np.hypot`` and give the same value on every
    call, whatever the arrays' memory alignment or the thread count; OpenCV's
    ``cv2.magnitude`` does not (its SIMD and scalar paths round differently, so
    repeated calls on the same image differed by up to 3e-8). The result is
    within one float32 ulp of ``hypot``. ``out`` and ``scratch`` are optional
    arrays of ``gr``'s shape to compute in.
    """
    if gr.dtype != np.float32:
        return np.hypot(gr, gc, out=out)
    out = np.multiply(gr, gr, out=out)
    out += np.multiply(gc, gc, out=scratch)
    return np.sqrt(out, out=out)


@functools.lru_cache(maxsize=8)
def _slot_base(n, rows, cols, cell, slots):
    """``(n * rows * cols,)`` int32 (intp if needed): the first histogram slot of
    every pixel's cell.

    Pixel ``(i, r, c)`` votes into slot ``base + bin`` of a flat array of
    ``n * n_cells_row * n_cells_col * slots`` slots. The table depends on the
    geometry only, so it is built once and shared by every call (a chunk of
    ``m < n`` images uses its first ``m * rows * cols`` entries). Read-only.
    """
    (cr, cc) = cell
    ncr, ncc = rows // cr, cols // cc
    cell_of = (np.arange(rows) // cr)[:, None] * ncc + (np.arange(cols) // cc)[None, :]
    base = ((np.arange(n)[:, None, None] * (ncr * ncc) + cell_of[None]) * slots).ravel()
    if base[-1] + slots <= np.iinfo(np.int32).max:
        base = base.astype(np.int32)  # int32 passes are twice as fast
    base.flags.writeable = False
    return base


def _cell_histograms_cv2(g_row, g_col, n_cells, cell, orientations, scratch=None):
    """The same histograms on the CPU: OpenCV angles and one scatter-add pass.

    ``cv2.phase`` gives every angle to ~0.01 degree (SIMD); pixels within
    0.05 degree of a bin edge are re-binned with scikit-image's exact formula,
    so the bins equal scikit-image's. Every pixel's vote is added to its
    ``(image, cell, signed bin)`` slot by one unbuffered ``np.add.at`` pass over
    ``2 * orientations + 2`` slots per cell: the angle over [0, 360) degrees in
    bin units, 360 degrees, and "no bin"; the two halves of the circle are then
    added into the unsigned bins, which spares two passes over the pixels.
    """
    import cv2  # noqa: PLC0415

    if scratch is None:
        scratch = Scratch()
    n = g_row.shape[0]
    (ncr, ncc), (cr, cc) = n_cells, cell
    rows, cols = ncr * cr, ncc * cc
    dtype = g_row.dtype
    shape = (n * rows, cols)
    if g_row.shape[1:] == (rows, cols) and g_row.flags.c_contiguous:
        gr, gc = g_row.reshape(shape), g_col.reshape(shape)
    else:  # drop the pixels beyond the last whole cell
        gr, gc = scratch("crop_row", shape, dtype), scratch("crop_col", shape, dtype)
        np.copyto(gr.reshape(n, rows, cols), g_row[:, :rows, :cols])
        np.copyto(gc.reshape(n, rows, cols), g_col[:, :rows, :cols])
    magnitude = _magnitude_cpu(gr, gc, out=scratch("magnitude", shape, dtype),
                               scratch=scratch("tmp", shape, dtype))
    t = cv2.phase(gc, gr, scratch("angle", shape, dtype), angleInDegrees=True)  # [0, 360]
    t *= dtype.type(orientations / 180.0)       # in bin units, [0, 2 * orientations]
    whole = np.floor(t, out=scratch("tmp", shape, dtype))
    slots = 2 * orientations + 2                # signed bins, 360 degrees, no bin
    base = _slot_base(*_chunk_key(n), rows, cols, cell, slots)[:n * rows * cols]
    q = scratch("slot", shape, base.dtype)
    np.copyto(q, whole, casting="unsafe")       # the signed bin
    # pixels within the margin of an edge: |frac - 1/2| > 1/2 - margin
    frac = np.subtract(t, whole, out=t)
    frac -= dtype.type(0.5)
    np.abs(frac, out=frac)
    margin = _EDGE_MARGIN_DEG * orientations / 180.0
    near = np.flatnonzero(np.greater(frac, dtype.type(0.5 - margin),
                                     out=scratch("near", shape, np.bool_)))
    # (a zero row gradient is an angle of exactly 0 or 180 degrees: bin 0, no refinement)
    near = near[gr.ravel()[near] != 0]
    q = q.ravel()
    q += base
    if near.size:
        exact = _exact_bins(np, gr.ravel()[near], gc.ravel()[near], orientations, np.float64)
        exact[exact == orientations] = slots - 1  # no bin (float64 angles that round to 180)
        q[near] = base[near] + exact
    hist = np.zeros(n * ncr * ncc * slots, dtype=dtype)
    np.add.at(hist, q, magnitude.ravel())
    hist = hist.reshape(n, ncr, ncc, slots)
    out = hist[..., :orientations] + hist[..., orientations:2 * orientations]
    out[..., 0] += hist[..., 2 * orientations]  # 360 degrees is bin 0
    out /= dtype.type(cr * cc)
    return out


def _chunk_key(n):
    """Round a chunk's image count up to a power of two, so that :func:`_slot_base`
    tables are shared by chunks and calls of nearby sizes."""
    return (1 << max(0, (n - 1).bit_length()),)


def _normalize_blocks(xp, hist, block, block_norm):
    """Overlapping blocks of cells, each normalised as scikit-image does (eps=1e-5).

    The block norms are summed from per-cell sums (each cell is shared by up to
    ``b_row * b_col`` blocks) and every cell histogram is divided straight into
    its place in the output, so the blocks are never gathered first.
    """
    n, ncr, ncc, n_or = hist.shape
    br, bc = block
    nbr, nbc = ncr - br + 1, ncc - bc + 1
    dtype = hist.dtype
    eps = dtype.type(_EPS)
    l1 = block_norm in ("L1", "L1-sqrt")
    # the histograms are sums of magnitudes, so |h| = h
    per_cell = xp.sum(hist, axis=-1) if l1 else xp.sum(hist * hist, axis=-1)
    total = per_cell[:, :nbr, :nbc].copy()
    for i in range(br):
        for j in range(bc):
            if i or j:
                total += per_cell[:, i:i + nbr, j:j + nbc]
    if l1:
        total += eps
    else:
        total += eps * eps
        xp.sqrt(total, out=total)
    total = total[..., None]
    out = xp.empty((n, nbr, nbc, br, bc, n_or), dtype=dtype)
    for i in range(br):
        for j in range(bc):
            xp.divide(hist[:, i:i + nbr, j:j + nbc], total, out=out[:, :, :, i, j])
    out = out.reshape(n, nbr, nbc, br * bc * n_or)
    if block_norm == "L1-sqrt":
        xp.sqrt(out, out=out)
    elif block_norm == "L2-Hys":
        xp.minimum(out, dtype.type(0.2), out=out)
        out /= xp.sqrt(xp.sum(out * out, axis=-1, keepdims=True) + eps * eps)
    return out.reshape(n, -1)


def _hog_chunk(xp, chunk, *, orientations, cell, block, block_norm, color, use_cv2,
               transform_sqrt=False, scratch=None):
    """``(features, cell histograms)``: ``(n, n_features)`` and
    ``(n, n_cells_row, n_cells_col, orientations)``.

    ``scratch`` (:class:`~mmfuse.image._batch.Scratch`, NumPy only) holds reusable temporaries.
    """
    if transform_sqrt:
        chunk = xp.sqrt(chunk)
    if color:
        n, h, w, c = chunk.shape
        planes = xp.ascontiguousarray(xp.moveaxis(chunk, -1, 1)).reshape(n * c, h, w)
        g_row, g_col = _gradients(xp, planes)
        g_row, g_col = _dominant_channel(xp, g_row.reshape(n, c, h, w),
                                         g_col.reshape(n, c, h, w))
    else:
        out = None
        if scratch is not None:
            out = (scratch("g_row", chunk.shape, chunk.dtype),
                   scratch("g_col", chunk.shape, chunk.dtype))
        g_row, g_col = _gradients(xp, chunk, out=out)
    n_cells = (chunk.shape[1] // cell[0], chunk.shape[2] // cell[1])
    if use_cv2:
        hist = _cell_histograms_cv2(g_row, g_col, n_cells, cell, orientations, scratch)
    else:
        hist = _cell_histograms_xp(xp, g_row, g_col, n_cells, cell, orientations)
    return _normalize_blocks(xp, hist, block, block_norm), hist


def _bresenham(r0, c0, r1, c1):
    """Pixels of the segment from ``(r0, c0)`` to ``(r1, c1)`` (``skimage.draw.line``'s
    Bresenham algorithm)."""
    steep = False
    r, c = r0, c0
    dr, dc = abs(r1 - r0), abs(c1 - c0)
    sc = 1 if c1 - c > 0 else -1
    sr = 1 if r1 - r > 0 else -1
    if dr > dc:
        steep = True
        r, c = c, r
        dr, dc = dc, dr
        sr, sc = sc, sr
    d = 2 * dr - dc
    rr, cc = [], []
    for _ in range(dc):
        rr.append(c if steep else r)
        cc.append(r if steep else c)
        while d >= 0:
            r += sr
            d -= 2 * dc
        c += sc
        d += 2 * dr
    rr.append(r1)
    cc.append(c1)
    return rr, cc


@functools.lru_cache(maxsize=16)
def _visualization_lines(n_cells, cell, orientations):
    """Per ``(cell row, cell col, orientation)``, the pixels of its line, as scikit-image draws it.

    A line through the cell centre, perpendicular to the middle of the
    orientation bin (so along the edge that bin describes), of half-length
    ``min(cell) // 2 - 1`` pixels; endpoints truncated to integers by ``int()``.
    """
    (ncr, ncc), (c_row, c_col) = n_cells, cell
    radius = min(c_row, c_col) // 2 - 1
    mid = np.pi * (np.arange(orientations) + 0.5) / orientations
    dr_arr, dc_arr = radius * np.sin(mid), radius * np.cos(mid)
    lines = []
    for r in range(ncr):
        for c in range(ncc):
            centre = (r * c_row + c_row // 2, c * c_col + c_col // 2)
            for o in range(orientations):
                dr, dc = dr_arr[o], dc_arr[o]
                rr, cc = _bresenham(int(centre[0] - dc), int(centre[1] + dr),
                                    int(centre[0] + dc), int(centre[1] - dr))
                lines.append((r, c, o, np.asarray(rr, dtype=np.intp),
                              np.asarray(cc, dtype=np.intp)))
    return tuple(lines)


def _hog_images(xp, hist, shape, cell):
    """scikit-image's HOG visualisation of every image: ``(n, H, W)``.

    Each cell draws, for each orientation bin, a line through its centre
    weighted by the bin's (unnormalised) cell histogram value; lines add up
    where they cross, in the order scikit-image adds them.
    """
    n, ncr, ncc, orientations = hist.shape
    out = xp.zeros((n,) + tuple(shape), dtype=hist.dtype)
    for r, c, o, rr, cc in _visualization_lines((ncr, ncc), cell, orientations):
        if not is_numpy_namespace(xp):
            rr, cc = xp.asarray(rr), xp.asarray(cc)
        out[:, rr, cc] += hist[:, r, c, o][:, None]
    return out


# --------------------------------------------------------------------------- public

#: the parameters hog() and HOGFeatures share, with the values they accept
_SHARED_CONSTRAINTS = {
    "orientations": [Interval(Integral, 1, None, closed="left")],
    "pixels_per_cell": [PairInterval(Integral, 1, None, closed="left")],
    "cells_per_block": [PairInterval(Integral, 1, None, closed="left")],
    "block_norm": [StrOptions(set(BLOCK_NORMS))],
    "transform_sqrt": ["boolean"],
    "device": DEVICE_CONSTRAINT,
}


@validate_params(
    {
        "images": ["array-like"],
        "visualize": ["boolean"],
        "feature_vector": ["boolean"],
        "channel_axis": [Options(Integral, {-1, 1, 3}), None],
        **_SHARED_CONSTRAINTS,
    },
    prefer_skip_nested_validation=True,
)
def hog(images, orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2),
        block_norm="L2-Hys", visualize=False, transform_sqrt=False, feature_vector=True, *,
        channel_axis=None, device=None):
    """Histogram of Oriented Gradients of every image of a batch.

    For each image:

    1. with ``transform_sqrt``, the square root of every pixel (gamma
       compression [1]_);
    2. gradients along rows and columns by central differences ``[-1, 0, 1]``
       (zero on the first/last row and column); for colour images, per pixel,
       the gradient of the channel with the largest magnitude;
    3. each pixel votes its gradient magnitude into one of ``orientations``
       unsigned orientation bins over [0, 180) degrees, in the cell of
       ``pixels_per_cell`` pixels it belongs to; a cell's histogram is the mean
       vote (sum divided by the cell area);
    4. overlapping blocks of ``cells_per_block`` cells (stride one cell) are
       normalised with ``block_norm``;
    5. the normalised blocks are concatenated, in scikit-image's order
       ``(block_row, block_col, cell_row, cell_col, orientation)``.

    The signature is :func:`skimage.feature.hog`'s, for a batch.

    Parameters
    ----------
    images : array of shape (N, H, W) or (N, H, W, C)
        A batch of same-size images (NumPy or CuPy). Float input is computed in
        its own precision (float16 as float32); other dtypes as float64, as
        scikit-image does. Pixel values are used as they are (no rescaling).
    orientations : int, default=9
        Number of orientation bins.
    pixels_per_cell : int or (int, int), default=(8, 8)
        Cell size in pixels (rows, columns). Pixels beyond the last whole cell
        are ignored.
    cells_per_block : int or (int, int), default=(2, 2)
        Block size in cells (rows, columns).
    block_norm : {'L1', 'L1-sqrt', 'L2', 'L2-Hys'}, default='L2-Hys'
        ``'L1'``: ``v / (|v|_1 + eps)``; ``'L1-sqrt'``: the square root of that;
        ``'L2'``: ``v / sqrt(|v|_2^2 + eps^2)``; ``'L2-Hys'``: L2, then clipped
        at 0.2 and L2-normalised again [1]_, [2]_. ``eps = 1e-5``.
    visualize : bool, default=False
        Also return scikit-image's picture of the cell histograms (see Returns).
    transform_sqrt : bool, default=False
        Apply power-law (gamma) compression, the square root of each pixel,
        before the gradients; it lowers the weight of strong edges and of
        illumination changes [1]_. Needs non-negative pixels.
    feature_vector : bool, default=True
        Return each image's descriptor flattened (``(N, n_features)``); False
        returns the blocks ``(N, nbr, nbc, b_row, b_col, orientations)``: ``nbr``
        by ``nbc`` blocks of ``cells_per_block = (b_row, b_col)`` cells.
    channel_axis : {-1, 3, 1} or None, default=None
        Axis of ``images`` that holds colour channels (``1`` is moved last);
        None for grey batches ``(N, H, W)``.
    device : {'auto', 'cpu', 'cuda'} or None, default=None
        Where to compute. ``None`` or ``'auto'`` uses the GPU for a CuPy batch;
        otherwise ``None`` follows :func:`mmfuse.config_context`'s device and
        ``'auto'`` uses CUDA when available.

    Returns
    -------
    features : array of shape (N, n_features) or (N, nbr, nbc, b_row, b_col, orientations)
        In the computation's float dtype, in the namespace of ``images`` (NumPy
        for NumPy or list input, CuPy for CuPy, wherever computed).
        ``n_features = n_blocks_row * n_blocks_col * cells_per_block[0] *
        cells_per_block[1] * orientations``.
    hog_images : array of shape (N, H, W), only with ``visualize=True``
        For each image, ``skimage.feature.hog(..., visualize=True)``'s picture:
        in every cell, for every orientation bin, a line through the cell
        centre along the edge direction of the bin's middle angle, of
        half-length ``min(pixels_per_cell) // 2 - 1``, whose pixels add the
        cell's (unnormalised) histogram value for that bin. In the namespace
        of ``images``.

    Raises
    ------
    ValueError
        A bad parameter (the message names it), a batch of the wrong rank,
        images too small to hold one block (the message gives the minimum
        size), or negative pixels with ``transform_sqrt``.

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
    default is (3, 3)). scikit-image computes the square root of negative
    pixels as NaN; here ``transform_sqrt`` with a negative pixel raises.

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

    The result is bit-reproducible on a given machine: the same batch gives the
    same bytes on every call, whatever the thread count or memory layout.
    The batch is processed in chunks of images bounded by the ``working_memory``
    setting of :func:`mmfuse.config_context`; on the CPU, in chunks of a few
    images whose temporaries stay in the core's cache, shared among one thread
    per core.

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
    >>> features, hog_images = hog(images, visualize=True, feature_vector=False)
    >>> features.shape, hog_images.shape
    ((5, 3, 3, 2, 2, 9), (5, 32, 32))
    """
    return _hog(images, orientations=orientations, pixels_per_cell=pixels_per_cell,
                cells_per_block=cells_per_block, block_norm=block_norm,
                channel_axis=channel_axis, device=device, transform_sqrt=transform_sqrt,
                feature_vector=feature_vector, visualize=visualize)


def _hog(images, *, orientations, pixels_per_cell, cells_per_block, block_norm,
         channel_axis, device, use_cv2=None, transform_sqrt=False, feature_vector=True,
         visualize=False, out=None):
    """:func:`hog` without the parameter validation (callers have validated).

    ``out``: an optional ``(N, n_features)`` NumPy array of the features' dtype
    to write them to (and return), for a NumPy batch with ``feature_vector``.
    """
    orientations = int(orientations)
    cell = _pair(pixels_per_cell)
    block = _pair(cells_per_block)

    where = dispatch(images, device=device)
    xp, in_xp = where
    if not hasattr(images, "shape"):
        images = np.asarray(images)

    color = channel_axis is not None
    if color:
        if images.ndim != 4:
            raise ValueError(
                f"channel_axis={channel_axis} needs a colour batch of shape (N, H, W, C); "
                f"got shape {tuple(images.shape)}")
        if channel_axis == 1:
            images = in_xp.moveaxis(images, 1, -1)
    elif images.ndim != 3:
        hint = " (a colour batch? set channel_axis=-1)" if images.ndim == 4 else ""
        raise ValueError(f"images must be a batch of shape (N, H, W){hint}; got shape "
                         f"{tuple(images.shape)}")
    n, h, w = images.shape[:3]
    if h // cell[0] - block[0] + 1 <= 0 or w // cell[1] - block[1] + 1 <= 0:
        hint = ""
        if not color and w in (3, 4):
            hint = (f"; shape {tuple(images.shape)} looks like one colour image (H, W, C): "
                    f"pass images[None] with channel_axis=-1")
        raise ValueError(
            f"the images ({h}x{w}) are too small given pixels_per_cell={cell} and "
            f"cells_per_block={block}; they should have at least {block[0] * cell[0]} rows "
            f"and {block[1] * cell[1]} cols{hint}")
    if visualize and min(cell) < 2:
        raise ValueError(
            f"visualize=True draws a line across each cell, which needs cells of at least "
            f"2x2 pixels; got pixels_per_cell={cell}")
    dtype = _float_dtype(images.dtype)
    if use_cv2 is None:
        use_cv2 = is_numpy_namespace(xp)

    n_features = hog_length((h, w), orientations, cell, block)
    given = out
    if given is not None and (given.shape != (n, n_features) or given.dtype != dtype
                              or not feature_vector or not is_numpy_namespace(in_xp)):
        raise ValueError(f"out must be a NumPy {(n, n_features)} {dtype} array (feature "
                         f"vectors of a NumPy batch); got {given.shape} {given.dtype}")
    if given is not None and is_numpy_namespace(xp):
        out = given
    else:
        out = xp.empty((n, n_features), dtype=dtype)
    pictures = xp.empty((n, h, w), dtype=dtype) if visualize else None
    per_image = h * w * (images.shape[3] if color else 1) * dtype.itemsize * _TEMPS_PER_PIXEL
    step = chunk_n_rows(per_image)
    if is_numpy_namespace(xp):
        # cache blocking: on the CPU each pass over a chunk stays in the core's cache
        step = cache_chunk(h * w * (images.shape[3] if color else 1) * dtype.itemsize,
                           limit=step)
    cpu = is_numpy_namespace(xp)

    def run(share):
        scratch = Scratch() if cpu else None
        for start, stop in share:
            part = images[start:stop]
            chunk = where.put(part).astype(dtype, copy=False)
            if transform_sqrt:
                negative = to_numpy(xp.any((chunk < 0).reshape(len(chunk), -1), axis=1))
                if negative.any():
                    i = int(np.flatnonzero(negative)[0])
                    raise ValueError(
                        f"transform_sqrt=True takes the square root of every pixel, but image "
                        f"{start + i} of the batch has negative pixels (min "
                        f"{float(chunk[i].min()):g}); rescale the images to non-negative "
                        "values or pass transform_sqrt=False")
            feats, hist = _hog_chunk(
                xp, chunk, orientations=orientations, cell=cell, block=block,
                block_norm=block_norm, color=color, use_cv2=use_cv2,
                transform_sqrt=transform_sqrt, scratch=scratch)
            out[start:stop] = feats
            if visualize:
                pictures[start:stop] = _hog_images(xp, hist, (h, w), cell)

    chunks = [(start, min(start + step, n)) for start in range(0, n, step)]
    if cpu:
        # the chunks are independent: one contiguous share per core (the first bad
        # image of the batch is still the one reported, as shares are in order)
        run_shares(chunks, run)
    else:
        run(chunks)
    if not feature_vector:
        nbr, nbc = h // cell[0] - block[0] + 1, w // cell[1] - block[1] + 1
        out = out.reshape(n, nbr, nbc, block[0], block[1], orientations)
    results = [where.output(r) for r in ([out] if pictures is None else [out, pictures])]
    if given is not None and results[0] is not given:  # computed on the GPU
        given[...] = results[0]
        results[0] = given
    return results[0] if pictures is None else tuple(results)


# --------------------------------------------------------------------------- transformer

def _prepare_transform(estimator):
    """The set-up of :meth:`HOGFeatures.transform` that no data changes.

    Imports OpenCV (decoding, resizing, the CPU angles; ~50 ms) and, on the CPU,
    runs one cache-sized chunk of blank images through :func:`hog` with the
    estimator's geometry, which builds its index tables and brings the chunk's
    scratch arrays into the process's memory (their first page faults cost a
    first call ~10 %). Done when the transformer is fitted or loaded, so that
    the first transform costs what the later ones do.
    """
    import cv2  # noqa: F401, PLC0415

    try:
        where = dispatch(device=estimator.device)
    except RuntimeError:
        # a model saved with device='cuda' loaded on a host without CuPy: it runs once
        # its device follows this host's (config_context, --device); no warm-up here
        return
    if not where.on_cpu:
        return  # (on a GPU, CuPy compiles its kernels on their first use)
    rows, cols = _pair(estimator.image_size)
    shape = (rows, cols, 3) if estimator.color else (rows, cols)
    n = cache_chunk(math.prod(shape) * 4)
    _hog(np.zeros((n,) + shape, dtype=np.float32), orientations=estimator.orientations,
         pixels_per_cell=estimator.pixels_per_cell, cells_per_block=estimator.cells_per_block,
         block_norm=estimator.block_norm, channel_axis=-1 if estimator.color else None,
         device="cpu", transform_sqrt=estimator.transform_sqrt)


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
    image_size : int or (int, int), default=(128, 128)
        ``(rows, cols)`` every image is brought to before HOG.
    orientations : int, default=9
        Number of unsigned orientation bins over [0, 180) degrees.
    pixels_per_cell : int or (int, int), default=(8, 8)
        Cell size in pixels.
    cells_per_block : int or (int, int), default=(2, 2)
        Block size in cells.
    block_norm : {'L1', 'L1-sqrt', 'L2', 'L2-Hys'}, default='L2-Hys'
        Block normalisation (see :func:`hog`).
    color : bool, default=False
        Use RGB images and, per pixel, the channel with the largest gradient
        (Dalal & Triggs [1]_); otherwise grey images.
    transform_sqrt : bool, default=False
        Square root of every pixel before the gradients (gamma compression, as
        ``skimage.feature.hog``'s parameter of that name; see :func:`hog`).
    device : {'auto', 'cpu', 'cuda'} or None, default=None
        Where HOG is computed; None follows :func:`mmfuse.config_context`'s
        device (itself ``'auto'`` unless set), so a model scores wherever it is
        loaded.
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

    modality = "image"  #: the kind of item it reads (the fitted fusers' ``input_schema_``)

    _parameter_constraints: dict = {
        "image_size": [PairInterval(Integral, 1, None, closed="left")],
        "color": ["boolean"],
        "n_jobs": [Integral, None],
        "progress": ["boolean", None],
        **_SHARED_CONSTRAINTS,
    }

    def __init__(self, *, image_size=(128, 128), orientations=9, pixels_per_cell=(8, 8),
                 cells_per_block=(2, 2), block_norm="L2-Hys", color=False,
                 transform_sqrt=False, device=None, n_jobs=None, progress=None):
        self.image_size = image_size
        self.orientations = orientations
        self.pixels_per_cell = pixels_per_cell
        self.cells_per_block = cells_per_block
        self.block_norm = block_norm
        self.color = color
        self.transform_sqrt = transform_sqrt
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

        as_column(X, kind="image")  # a clear error for a non-column input, decoding nothing
        size = _pair(self.image_size)
        self.n_features_out_ = hog_length(size, self.orientations, self.pixels_per_cell,
                                          self.cells_per_block)
        _prepare_transform(self)
        return self

    def __setstate__(self, state):
        super().__setstate__(state)
        if "n_features_out_" in state:  # a fitted transformer loaded to score
            _prepare_transform(self)

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
        rows, cols = _pair(self.image_size)
        cell = _pair(self.pixels_per_cell)
        block = _pair(self.cells_per_block)
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
            NaN rows for missing items. Under ``on_error='skip'`` the rows of
            items that cannot be loaded are left out (one row per good item,
            in order) and reported to :func:`mmfuse.collect_errors`.

        Raises
        ------
        mmfuse.io.MMFuseInputError
            An item cannot be loaded (names its row, column and path).
        """
        check_is_fitted(self, "n_features_out_")
        self._validate_column(X, reset=False)
        from .._base import progress_bar  # noqa: PLC0415
        from ._batch import fit_to_size, n_rows  # noqa: PLC0415

        size = _pair(self.image_size)
        channels = 3 if self.color else 1
        n = n_rows(X)
        out = np.zeros((n, self.n_features_out_), dtype=np.float32)
        # decoded images, their resized copies and HOG temporaries per item
        per_item = size[0] * size[1] * channels * 4 * (_TEMPS_PER_PIXEL + 4)
        batch = chunk_n_rows(per_item)
        where = dispatch(device=self.device)
        if where.on_cpu:
            # the CPU kernel works in cache-sized chunks anyway: small batches keep the
            # decoded images of a batch in memory the process already has
            batch = min(batch, _CPU_BATCH)
        blank = []
        failed = np.zeros(n, dtype=bool)
        batches = iter_image_batches(X, batch_size=batch, n_jobs=self.n_jobs,
                                     **self._item_loader()[1])
        for start, loaded, _column in progress_bar(
                batches, total=math.ceil(n / batch), desc="HOG", progress=self.progress,
                unit="batch"):
            ok = np.flatnonzero(loaded.ok)
            out[start + np.flatnonzero(loaded.missing)] = np.nan
            failed[start:start + len(loaded.values)] = loaded.failed
            if ok.size == 0:
                continue
            images = np.empty((ok.size,) + size + ((3,) if self.color else ()), np.float32)
            for j, i in enumerate(ok):
                images[j] = fit_to_size(loaded.values[i], size)
            # the features of a batch without missing rows go straight to their rows
            whole = ok.size == ok[-1] + 1
            feats = _hog(
                images, orientations=self.orientations, pixels_per_cell=self.pixels_per_cell,
                cells_per_block=self.cells_per_block, block_norm=self.block_norm,
                channel_axis=-1 if self.color else None, device=where.device,
                transform_sqrt=self.transform_sqrt,
                out=out[start:start + ok.size] if whole else None)
            if not whole:
                out[start + ok] = feats
            zero = ok[~feats.any(axis=1)]
            blank.extend(start + zero)
        if blank:
            warn_rows(X, blank, "image has no gradient inside the HOG cells (blank, uniform "
                      "or a 1x1 image); its HOG vector is all zeros", stacklevel=3)
        return drop_failed_rows(self, out, failed, X)

    def fit_transform(self, X, y=None):
        """Fit and transform ``X``; a bad item raises whatever ``on_error`` says."""
        with strict_loading():
            return self.fit(X, y).transform(X)

    def _item_loader(self):
        """``(loader, kwargs)`` that :meth:`transform` loads each item with."""
        size = _pair(self.image_size)
        return load_image, {"mode": "rgb" if self.color else "gray", "max_side": 4 * max(size)}

    def _screen_rows(self, X):
        """``(failed, errors)``: the items of ``X`` that :meth:`transform` cannot load."""
        loader, kwargs = self._item_loader()
        return screen_column(X, loader, n_jobs=self.n_jobs, **kwargs)

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
