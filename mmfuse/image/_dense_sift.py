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

import math
from numbers import Real

import numpy as np

from .._compat import Interval
from .._validation import validate_params

__all__ = ["OPENCV_SIGMA", "dense_sift_batch", "grid_positions", "opencv_keypoint_size"]

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
    >>> from mmfuse.image.sift import opencv_keypoint_size
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


def _orientation_maps_cv2(images, smooth):
    """NumPy/OpenCV fast path of :func:`_orientation_maps` (same values)."""
    import cv2  # noqa: PLC0415

    N, H, W = images.shape
    stack = np.ascontiguousarray(np.transpose(images, (1, 2, 0)))  # (H, W, N) channels
    if smooth and H > 1 and W > 1:
        k = _gaussian_kernel(OPENCV_SIGMA).astype(np.float32)
        parts = [cv2.sepFilter2D(np.ascontiguousarray(stack[:, :, i:i + 128]), -1, k, k,
                                 borderType=cv2.BORDER_REFLECT_101)
                 for i in range(0, N, 128)]  # sepFilter2D: <= 128 channels
        parts = [p[:, :, None] if p.ndim == 2 else p for p in parts]
        stack = np.concatenate(parts, axis=2) if len(parts) > 1 else parts[0]
    img = np.ascontiguousarray(np.transpose(stack, (0, 2, 1)))  # (H, N, W)
    dx = np.zeros_like(img)
    dy = np.zeros_like(img)
    if H >= 3 and W >= 3:
        dx[1:-1, :, 1:-1] = img[1:-1, :, 2:] - img[1:-1, :, :-2]
        dy[1:-1, :, 1:-1] = img[:-2, :, 1:-1] - img[2:, :, 1:-1]
    mag, ang = cv2.cartToPolar(dx.reshape(H, -1), dy.reshape(H, -1))
    mag = mag.reshape(H, N, W)
    obin = ang.reshape(H, N, W) * np.float32(N_ORI / (2 * np.pi))
    o0 = np.floor(obin)
    w1 = mag * (obin - o0)
    w0 = mag - w1
    o0 = o0.astype(np.int8)
    o0[o0 >= N_ORI] = 0  # angle 2π rounds onto bin 0
    o1 = o0 + 1
    o1[o1 == N_ORI] = 0
    O = np.empty((H, N, N_ORI, W), dtype=images.dtype)
    for k in range(N_ORI):
        np.multiply(w0, o0 == k, out=O[:, :, k])
        O[:, :, k] += w1 * (o1 == k)
    return O


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


def dense_sift_batch(images, *, step, patch_size, xp, smooth=True):
    """Dense SIFT of a batch ``(N, H, W)`` of float images in namespace ``xp``.

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
    dtype = images.dtype
    if xp is np:
        O = _orientation_maps_cv2(images, smooth)
    else:
        O = _orientation_maps(images, smooth, xp)
    ys = grid_positions(H, step, patch_size)
    xs = grid_positions(W, step, patch_size)
    Ky_np = _pooling_matrix(H, ys, patch_size, np.float64)
    Kx_np = _pooling_matrix(W, xs, patch_size, np.float64)
    Ky = xp.asarray(Ky_np.astype(dtype))
    KxT = xp.asarray(Kx_np.T.astype(dtype).copy())
    ny, nx = len(ys), len(xs)
    P = Ky @ O.reshape(H, N * N_ORI * W)  # (4*ny, N*8*W)
    del O
    P = P.reshape(N_BINS * ny * N * N_ORI, W) @ KxT  # (4*ny*N*8, 4*nx)
    P = P.reshape(N_BINS, ny, N, N_ORI, N_BINS, nx)
    P = xp.transpose(P, (2, 1, 5, 0, 4, 3)).reshape(N, ny * nx, N_BINS * N_BINS * N_ORI)
    norm = xp.sqrt((P * P).sum(axis=2, keepdims=True))
    # the norm of the spatial weights of one descriptor (same for every grid cell
    # up to image-border truncation; take the interior value)
    uy = Ky_np.reshape(N_BINS, ny, H).sum(axis=2)
    ux = Kx_np.reshape(N_BINS, nx, W).sum(axis=2)
    wnorm = np.sqrt((uy ** 2).sum(axis=0))[:, None] * np.sqrt((ux ** 2).sum(axis=0))[None, :]
    contrast = norm[..., 0] / xp.asarray(wnorm.reshape(-1).astype(dtype))
    tiny = dtype.type(1e-12) if hasattr(dtype, "type") else 1e-12
    D = P / xp.maximum(norm, tiny)
    D = xp.minimum(D, _CLIP)
    D = D / xp.maximum(xp.sqrt((D * D).sum(axis=2, keepdims=True)), tiny)
    yy, xx = np.meshgrid(ys, xs, indexing="ij")
    positions = np.stack([yy.ravel(), xx.ravel()], axis=1)
    return D, contrast, positions
