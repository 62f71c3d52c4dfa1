"""Batched dense SIFT kernel, written once against the array namespace ``xp``.

For a batch of equally sized grey images ``(N, H, W)`` and a regular grid of
upright keypoints it computes the 128-d SIFT descriptor of Lowe (2004) the way
OpenCV's ``calcSIFTDescriptor`` does for an upright keypoint on its octave-0
image:

1. Gaussian pre-smoothing with ``σ = √(1.6² − 0.5²)`` (OpenCV's base image for
   keypoints of octave 0), reflect-101 borders;
2. central-difference gradients ``dx = I[r, c+1] − I[r, c−1]``,
   ``dy = I[r−1, c] − I[r+1, c]`` (zero on the one-pixel image border, which
   OpenCV skips), magnitude and angle in ``[0, 2π)``;
3. the magnitude is split linearly between the two nearest of 8 orientation
   bins (circularly);
4. each of the 4×4 spatial bins (width ``patch_size / 4`` px) collects the
   orientation maps weighted by a Gaussian of σ = half the patch width centred
   on the keypoint and by the bilinear (tent) weight of the bin; because both
   weights factor into a row part and a column part, the whole grid of
   descriptors is two matrix products per orientation channel:
   ``P = K_y · O · K_xᵀ`` with ``K_y`` of shape ``(4 · n_rows, H)``;
5. clip at 0.2 of the L2 norm and renormalise.
"""

from __future__ import annotations

import functools
import math
from numbers import Real
from typing import NamedTuple

import numpy as np

from .._backend import dispatch, gen_chunks
from .._compat import Interval
from .._parallel import run_shares
from .._validation import validate_params
from ._batch import Scratch, cache_chunk

__all__ = ["OPENCV_SIGMA", "dense_sift_batch", "dense_sift_images", "grid_positions",
           "opencv_keypoint_size"]

#: float32 temporaries per pixel of an image while its descriptors are computed
_TEMPS_PER_PIXEL = 40

#: Smoothing of OpenCV's octave-0 image: sqrt(sigma**2 - SIFT_INIT_SIGMA**2), sigma=1.6
OPENCV_SIGMA = math.sqrt(1.6 ** 2 - 0.5 ** 2)
N_ORI = 8
N_BINS = 4
_CLIP = 0.2


@validate_params({"patch_size": [Interval(Real, 0, None, closed="neither")]},
                 prefer_skip_nested_validation=True)
def opencv_keypoint_size(patch_size):
    """OpenCV ``KeyPoint.size`` whose descriptor window is ``patch_size`` px wide.

    OpenCV's bin width is ``3 · size / 2`` (``SIFT_DESCR_SCL_FCTR · size/2``)
    and the descriptor has 4 bins across, so ``patch = 6 · size``.

    Parameters
    ----------
    patch_size : float
        Width of the descriptor window, in pixels.

    Returns
    -------
    float
        The ``size`` to give ``cv2.KeyPoint``.

    Examples
    --------
    >>> from mmfuse.image import opencv_keypoint_size
    >>> opencv_keypoint_size(12)
    2.0
    """
    return patch_size / 6.0


def grid_positions(length, step, patch_size):
    """Integer centres of a regular grid along one image axis.

    Centres are ``step`` px apart, the patch fits inside the image where
    possible, and the grid is centred (the leftover margin is split). An axis
    shorter than the patch gets one centre in its middle.
    """
    half = patch_size // 2
    span = length - 2 * half
    if span < 0:
        return np.array([length // 2], dtype=np.int64)
    n = span // step + 1
    offset = half + (span - (n - 1) * step) // 2
    return offset + step * np.arange(n, dtype=np.int64)


def _gaussian_kernel(sigma):
    # OpenCV's automatic size for float images: round(sigma * 4 * 2 + 1) | 1
    ksize = int(round(sigma * 8 + 1)) | 1
    r = ksize // 2
    x = np.arange(-r, r + 1, dtype=np.float64)
    k = np.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def _blur(images, sigma, xp):
    """Separable Gaussian blur of ``(N, H, W)`` with reflect-101 borders (as cv2)."""
    k = _gaussian_kernel(sigma)
    r = len(k) // 2
    out = images
    for axis in (1, 2):
        n = out.shape[axis]
        if n == 1:
            continue
        rr = min(r, n - 1)
        pad = [(0, 0)] * 3
        pad[axis] = (rr, rr)
        p = xp.pad(out, pad, mode="reflect")
        if rr < r:  # tiny images: fold the kernel tails back onto the available taps
            kk = np.zeros(2 * rr + 1)
            for i, w in enumerate(k):
                kk[min(max(i - r + rr, 0), 2 * rr)] += w
        else:
            kk = k
        acc = xp.zeros_like(out)
        for i, w in enumerate(kk):
            sl = [slice(None)] * 3
            sl[axis] = slice(i, i + n)
            acc += out.dtype.type(w) * p[tuple(sl)]
        out = acc
    return out


def _orientation_maps(images, smooth, xp):
    """``(H, N, 8, W)`` gradient magnitude split between the two nearest orientation bins."""
    dtype = images.dtype
    img = _blur(images, OPENCV_SIGMA, xp) if smooth else images
    dx = xp.zeros_like(img)
    dy = xp.zeros_like(img)
    if img.shape[1] >= 3 and img.shape[2] >= 3:
        dx[:, 1:-1, 1:-1] = img[:, 1:-1, 2:] - img[:, 1:-1, :-2]
        dy[:, 1:-1, 1:-1] = img[:, :-2, 1:-1] - img[:, 2:, 1:-1]
    mag = xp.sqrt(dx * dx + dy * dy)
    ang = xp.arctan2(dy, dx)
    ang = xp.where(ang < 0, ang + 2 * np.pi, ang)
    obin = ang * (N_ORI / (2 * np.pi))  # [0, 8)
    del dx, dy, ang, img
    # laid out (H, N, 8, W) so both poolings are plain 2-D GEMMs
    obin = xp.transpose(obin, (1, 0, 2))
    mag = xp.transpose(mag, (1, 0, 2))
    ks = xp.arange(N_ORI, dtype=dtype)[None, None, :, None]
    dist = xp.abs(obin[:, :, None] - ks)
    dist = xp.minimum(dist, N_ORI - dist)
    return mag[:, :, None] * xp.maximum(0, 1 - dist)


def _orientation_maps_cv2(images, smooth, scratch=None):
    """NumPy/OpenCV fast path of :func:`_orientation_maps` (same values).

    Each image is blurred by ``cv2.sepFilter2D`` straight into the ``(H, N, W)``
    layout, magnitudes and angles come from ``cv2.cartToPolar`` (OpenCV's SIFT
    uses the same fast ``atan2``), and each pixel's two weights are written into
    their two orientation planes by index (the other six stay zero) instead of
    being compared against every plane. ``scratch`` (:class:`Scratch`) holds
    reusable temporaries; the result is then one of them.
    """
    import cv2  # noqa: PLC0415

    if scratch is None:
        scratch = Scratch()
    N, H, W = images.shape
    dtype = images.dtype
    img = scratch("image", (H, N, W), dtype)
    if smooth and H > 1 and W > 1:
        k = _gaussian_kernel(OPENCV_SIGMA).astype(dtype)
        for i in range(N):
            cv2.sepFilter2D(images[i], -1, k, k, dst=img[:, i, :],
                            borderType=cv2.BORDER_REFLECT_101)
    else:
        np.copyto(img, np.transpose(images, (1, 0, 2)))
    shape = (H, N * W)
    dx = scratch("dx", shape, dtype)
    dy = scratch("dy", shape, dtype)
    _interior_differences(img, dx, dy)
    mag, ang = cv2.cartToPolar(dx, dy, scratch("magnitude", shape, dtype),
                               scratch("angle", shape, dtype))
    obin = ang
    obin *= dtype.type(N_ORI / (2 * np.pi))  # [0, 8]
    o0f = np.floor(obin, out=dx)
    frac = np.subtract(obin, o0f, out=obin)
    w1 = np.multiply(mag, frac, out=frac)
    w0 = np.subtract(mag, w1, out=mag)
    maps = scratch("maps", (H, N, N_ORI, W), dtype)
    maps.fill(0)
    flat = maps.reshape(-1)
    base = _pixel_base(H, N, W)
    # plane of the lower bin (an angle that rounds to 2π is bin 8 = bin 0), then the upper
    o = scratch("bin", shape, base.dtype)
    np.copyto(o, o0f, casting="unsafe")
    o &= N_ORI - 1
    idx = np.multiply(o, W, out=scratch("index", shape, base.dtype))
    idx += base
    flat[idx.reshape(-1)] = w0.reshape(-1)
    o += 1
    o &= N_ORI - 1
    idx = np.multiply(o, W, out=idx)
    idx += base
    flat[idx.reshape(-1)] = w1.reshape(-1)
    return maps


def _interior_differences(img, dx, dy):
    """OpenCV's SIFT gradients of ``img`` laid out ``(H, N, W)``, into ``(H, N*W)`` arrays.

    ``dx = I[r, c+1] - I[r, c-1]``, ``dy = I[r-1, c] - I[r+1, c]``; zero on the
    one-pixel border of every image. Each is one contiguous subtraction over the
    flattened batch; the differences that straddle two images or rows land on
    the border and are zeroed.
    """
    H, N, W = img.shape
    flat = img.reshape(-1)
    fx, fy = dx.reshape(-1), dy.reshape(-1)
    row = N * W
    if H >= 3 and W >= 3:
        np.subtract(flat[2:], flat[:-2], out=fx[1:-1])
        np.subtract(flat[:-2 * row], flat[2 * row:], out=fy[row:-row])
        for d in (dx, dy):
            d[0] = 0
            d[-1] = 0
            planes = d.reshape(H, N, W)
            planes[:, :, 0] = 0
            planes[:, :, -1] = 0
    else:
        dx.fill(0)
        dy.fill(0)


@functools.lru_cache(maxsize=8)
def _pixel_base(H, N, W):
    """``(H, N*W)`` intp: flat index in the ``(H, N, 8, W)`` maps of each pixel's plane 0.

    Depends on the geometry only, so it is built once per shape (read-only).
    """
    r = np.arange(H)[:, None, None]
    i = np.arange(N)[None, :, None]
    c = np.arange(W)[None, None, :]
    base = ((r * N + i) * N_ORI * W + c).reshape(H, N * W).astype(np.intp)
    base.flags.writeable = False
    return base


def _pooling_matrix(length, centres, patch_size, dtype):
    """``(4 · len(centres), length)`` row weights: Gaussian window × bin tent."""
    hw = patch_size / N_BINS  # bin width in px
    r = np.arange(length, dtype=np.float64)[None, :] - centres[:, None]  # (n, L)
    t = r / hw  # offset in bin units
    gauss = np.exp(-(t ** 2) / (2 * (N_BINS / 2) ** 2))  # sigma = d/2 bins
    rows = []
    for b in range(N_BINS):
        tent = np.maximum(0.0, 1.0 - np.abs(t - (b - (N_BINS - 1) / 2)))
        rows.append(gauss * tent)
    return np.concatenate(rows, axis=0).astype(dtype)  # (4n, L), bin-major


class _Grid(NamedTuple):
    """What a dense SIFT of one image shape needs besides the pixels (read-only NumPy)."""

    ys: np.ndarray         # (ny,) row centres
    xs: np.ndarray         # (nx,) column centres
    Ky: np.ndarray         # (4 ny, H) row pooling weights
    KxT: np.ndarray        # (W, 4 nx) column pooling weights, transposed
    wnorm: np.ndarray      # (ny * nx,) norm of each descriptor's spatial weights
    positions: np.ndarray  # (ny * nx, 2) int64 (y, x) centres


@functools.lru_cache(maxsize=16)
def _grid(H, W, step, patch_size, dtype_name):
    """The grid, its pooling matrices and weight norms, built once per geometry."""
    dtype = np.dtype(dtype_name)
    ys = grid_positions(H, step, patch_size)
    xs = grid_positions(W, step, patch_size)
    Ky64 = _pooling_matrix(H, ys, patch_size, np.float64)
    Kx64 = _pooling_matrix(W, xs, patch_size, np.float64)
    ny, nx = len(ys), len(xs)
    # the norm of the spatial weights of one descriptor (same for every grid cell
    # up to image-border truncation; take the interior value)
    uy = Ky64.reshape(N_BINS, ny, H).sum(axis=2)
    ux = Kx64.reshape(N_BINS, nx, W).sum(axis=2)
    wnorm = np.sqrt((uy ** 2).sum(axis=0))[:, None] * np.sqrt((ux ** 2).sum(axis=0))[None, :]
    yy, xx = np.meshgrid(ys, xs, indexing="ij")
    grid = _Grid(ys, xs, Ky64.astype(dtype), np.ascontiguousarray(Kx64.T.astype(dtype)),
                 wnorm.reshape(-1).astype(dtype), np.stack([yy.ravel(), xx.ravel()], axis=1))
    for a in grid:
        a.flags.writeable = False
    return grid


def _pool(xp, maps, Ky, KxT, out=None, pooled=None):
    """Spatial bins of the orientation maps ``O`` ``(H, n, 8, W)``: ``Ky · O · Kxᵀ``.

    Returns ``(n, ny * nx, 128)`` in OpenCV's layout (row bin, column bin,
    orientation), written to ``out`` when given; ``pooled`` is an optional
    ``(4 ny * n * 8, 4 nx)`` array for the intermediate products.
    """
    H, n, _, W = maps.shape
    ny, nx = Ky.shape[0] // N_BINS, KxT.shape[1] // N_BINS
    P = Ky @ maps.reshape(H, n * N_ORI * W)  # (4*ny, n*8*W)
    P = xp.matmul(P.reshape(N_BINS * ny * n * N_ORI, W), KxT, out=pooled)  # (4ny*n*8, 4nx)
    P = xp.transpose(P.reshape(N_BINS, ny, n, N_ORI, N_BINS, nx), (2, 1, 5, 0, 4, 3))
    if out is None:
        return P.reshape(n, ny * nx, N_BINS * N_BINS * N_ORI)
    out.reshape(n, ny, nx, N_BINS, N_BINS, N_ORI)[...] = P
    return out


def _normalize(xp, D, wnorm, contrast=None):
    """Normalise the raw descriptors ``D`` ``(n, K, 128)`` in place; return the contrast.

    L2-normalise, clip at 0.2, L2-normalise again (zero stays zero). The
    contrast is the raw norm divided by ``wnorm``, the norm of the spatial weights.
    """
    tiny = D.dtype.type(1e-12)
    norm = xp.sqrt(xp.sum(D * D, axis=2))
    contrast = xp.divide(norm, wnorm, out=contrast)
    D /= xp.maximum(norm, tiny)[..., None]
    xp.minimum(D, D.dtype.type(_CLIP), out=D)
    D /= xp.maximum(xp.sqrt(xp.sum(D * D, axis=2, keepdims=True)), tiny)
    return contrast


def dense_sift_batch(images, *, step, patch_size, xp, smooth=True, use_cv2=None):
    """Dense SIFT of a batch ``(N, H, W)`` of float images in namespace ``xp``.

    ``use_cv2`` (default: ``xp`` is NumPy) picks the NumPy/OpenCV path; False
    runs the code written against ``xp`` (the GPU's) on any namespace.

    On the CPU the batch goes through in chunks of a few images whose
    temporaries stay in the core's cache, one thread per core, each chunk's
    products on one BLAS thread; the result does not depend on the threads.

    Returns
    -------
    descriptors : (N, n_rows * n_cols, 128) array, L2-normalised (zero where
        the patch has no gradient), OpenCV's layout ``(row bin, col bin, orientation)``
    contrast : (N, n_rows * n_cols) array, the raw descriptor norm divided by the
        norm of the spatial weights: the patch's mean gradient magnitude for a
        uniformly oriented gradient field.
    positions : (n_rows * n_cols, 2) int64 NumPy array of ``(y, x)`` centres.
    """
    N, H, W = images.shape
    dtype = np.dtype(images.dtype)
    grid = _grid(H, W, int(step), int(patch_size), dtype.name)
    n_kp = len(grid.positions)
    if not (xp is np if use_cv2 is None else use_cv2):
        maps = _orientation_maps(images, smooth, xp)
        D = _pool(xp, maps, xp.asarray(grid.Ky), xp.asarray(grid.KxT))
        del maps
        contrast = _normalize(xp, D, xp.asarray(grid.wnorm))
        return D, contrast, grid.positions.copy()
    D = np.empty((N, n_kp, N_BINS * N_BINS * N_ORI), dtype=dtype)
    contrast = np.empty((N, n_kp), dtype=dtype)
    # the orientation maps, 8 planes per image, are the largest array of a chunk
    step_n = cache_chunk(N_ORI * H * W * dtype.itemsize // 4, limit=N)

    def run(share):
        scratch = Scratch()
        for s, e in share:
            maps = _orientation_maps_cv2(images[s:e], smooth, scratch)
            pooled = scratch("pooled", (len(grid.Ky) * (e - s) * N_ORI, grid.KxT.shape[1]),
                             dtype)
            _pool(np, maps, grid.Ky, grid.KxT, out=D[s:e], pooled=pooled)
            _normalize(np, D[s:e], grid.wnorm, contrast=contrast[s:e])

    # one contiguous share of the chunks per core, each product on one BLAS thread
    run_shares([(s, min(s + step_n, N)) for s in range(0, N, step_n)], run, single_blas=True)
    return D, contrast, grid.positions.copy()


def dense_sift_images(images, *, step, patch_size, device=None, smooth=True):
    """:func:`mmfuse.image.dense_sift` without its parameter checks.

    ``images`` (``(N, H, W)`` or ``(H, W)``; uint8 is scaled by 1/255) are
    computed where :func:`mmfuse._backend.dispatch` decides, in chunks of images
    within the working memory (:func:`mmfuse._backend.gen_chunks`).

    Returns
    -------
    descriptors : array of float32, shape (N, n_keypoints, 128)
        In the namespace of ``images`` (the rule of :mod:`mmfuse._backend`).
    positions : ndarray of int64, shape (n_keypoints, 2)
    """
    where = dispatch(images, device=device)
    if not hasattr(images, "dtype"):
        images = np.asarray(images)
    uint8 = images.dtype == np.uint8
    arr = where.put(images, dtype=np.float32)
    if uint8:
        arr = arr / np.float32(255)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3:
        raise ValueError(f"images must be (N, H, W) or (H, W); got shape {tuple(arr.shape)}")
    n, h, w = arr.shape
    parts = []
    for chunk in gen_chunks(n, _TEMPS_PER_PIXEL * 4 * h * w):
        D, _, pos = dense_sift_batch(arr[chunk], step=int(step), patch_size=int(patch_size),
                                     xp=where.xp, smooth=smooth)
        parts.append(D)
    D = parts[0] if len(parts) == 1 else where.xp.concatenate(parts, axis=0)
    return where.output(D), pos
