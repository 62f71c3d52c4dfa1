"""Batched spectral kernels behind :func:`mmfuse.audio.mfcc` (written once against ``xp``).

Every function takes the array namespace ``xp`` (NumPy or CuPy) and a batch of
clips that share one padded length; ``n_valid`` gives, per clip, how many of
the frames belong to the clip (the rest come from zero padding and are ignored
wherever a per-clip reduction is taken: the ``top_db`` floor, trimming,
normalisation and pooling).

``frame_count``          frames librosa gives a clip of ``n`` samples
``power_spectrogram``    framing + periodic Hann window + real FFT, ``|X|**2``
``log_mel``              mel filter bank (librosa's) and ``power_to_db`` per clip
``vtlp_warp``            the piecewise-linear VTLP frequency warp (Jaitly & Hinton 2013)
``dct_ortho``            the orthonormal DCT-II matrix (``scipy.fft.dct(norm='ortho')``)
``mfcc_from_log_mel``    DCT + optional liftering
``savgol_delta``         ``librosa.feature.delta`` over each clip's valid frames
"""

from __future__ import annotations

import functools

import numpy as np

from .._backend import is_numpy_namespace

__all__ = [
    "dct_ortho",
    "frame_count",
    "hann_window",
    "log_mel",
    "mel_basis",
    "mfcc_from_log_mel",
    "power_spectrogram",
    "savgol_delta",
    "vtlp_warp",
]

#: VTLP's boundary frequency as a fraction of the Nyquist frequency: Jaitly & Hinton's
#: F_hi = 4800 Hz at 16 kHz
VTLP_FHI = 0.6

AMIN = 1e-10   # power_to_db's floor, as librosa
TOP_DB = 80.0  # power_to_db's dynamic range, as librosa.feature.mfcc


def frame_count(n_samples, n_fft, hop_length, center=True):
    """Number of STFT frames librosa returns for ``n_samples`` samples (0 if none)."""
    n = np.asarray(n_samples, dtype=np.int64)
    if center:
        n = n + 2 * (n_fft // 2)
    return np.where(n >= n_fft, 1 + (n - n_fft) // hop_length, 0)


@functools.lru_cache(maxsize=32)
def hann_window(n_fft):
    """``scipy.signal.get_window('hann', n_fft, fftbins=True)``: the periodic Hann window."""
    k = np.arange(n_fft, dtype=np.float64)
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * k / n_fft)


@functools.lru_cache(maxsize=32)
def mel_basis(sr, n_fft, n_mels, fmin, fmax, vtlp_alpha=1.0):
    """librosa's Slaney mel filter bank, ``(n_mels, 1 + n_fft // 2)`` float64 (cached).

    With ``vtlp_alpha != 1`` the bank is read through the VTLP warp: the weight of
    FFT bin ``k`` in band ``m`` is librosa's triangle ``m`` evaluated at
    ``vtlp_warp(f_k)`` instead of ``f_k`` (the spectrum is warped before the
    unchanged bank; librosa's construction otherwise, including its Slaney area
    normalisation of the unwarped triangles).
    """
    import librosa  # noqa: PLC0415

    if vtlp_alpha == 1.0:
        return librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax,
                                   dtype=np.float64)
    return warped_mel_basis(sr, n_fft, n_mels, fmin, fmax, vtlp_alpha)


def warped_mel_basis(sr, n_fft, n_mels, fmin, fmax, vtlp_alpha):
    """``librosa.filters.mel``'s construction with the FFT-bin frequencies VTLP-warped.

    Not cached; equal to ``librosa.filters.mel(dtype=float64)`` at ``vtlp_alpha=1``.
    """
    import librosa  # noqa: PLC0415

    freqs = vtlp_warp(librosa.fft_frequencies(sr=sr, n_fft=n_fft), vtlp_alpha, sr=sr)
    mel_f = librosa.mel_frequencies(n_mels + 2, fmin=fmin, fmax=sr / 2.0 if fmax is None
                                    else fmax)
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, freqs)
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    return weights * (2.0 / (mel_f[2:] - mel_f[:-2]))[:, None]


def vtlp_warp(freqs, alpha, *, sr, f_hi=None):
    """Vocal-tract-length perturbation of frequencies (Jaitly & Hinton 2013, eq. 1).

    ``f -> alpha * f`` up to the boundary ``f_b = f_hi * min(alpha, 1) / alpha``,
    then the straight line that takes ``f_b`` to ``alpha * f_b`` and the Nyquist
    frequency ``sr / 2`` to itself, so the warped axis still spans ``[0, sr / 2]``.

    Parameters
    ----------
    freqs : array of float
        Frequencies in Hz, within ``[0, sr / 2]``.
    alpha : float > 0
        Warp factor; 1 is the identity. Jaitly & Hinton draw it from [0.9, 1.1].
    sr : int
        Sample rate in Hz.
    f_hi : float, optional
        Boundary parameter in Hz (``F_hi`` of the paper, 4800 Hz at 16 kHz);
        None uses ``VTLP_FHI * sr / 2``, the same fraction of the Nyquist
        frequency at every rate.

    Returns
    -------
    warped : ndarray of float64, the shape of ``freqs``
    """
    f = np.asarray(freqs, dtype=np.float64)
    nyq = sr / 2.0
    f_hi = VTLP_FHI * nyq if f_hi is None else float(f_hi)
    b = f_hi * min(alpha, 1.0)
    bound = b / alpha
    upper = nyq - (nyq - b) / (nyq - bound) * (nyq - f)
    return np.where(f <= bound, f * alpha, upper)


@functools.lru_cache(maxsize=32)
def dct_ortho(n_in, n_out):
    """``(n_in, n_out)`` matrix ``D``: ``x @ D == scipy.fft.dct(x, 2, norm='ortho')[:n_out]``."""
    m = np.arange(n_in, dtype=np.float64)[:, None]
    k = np.arange(n_out, dtype=np.float64)[None, :]
    d = np.cos(np.pi * k * (2.0 * m + 1.0) / (2.0 * n_in)) * np.sqrt(2.0 / n_in)
    d[:, 0] = np.sqrt(1.0 / n_in)
    return d


def power_spectrogram(xp, y, *, n_fft, hop_length, center=True):
    """``|STFT|**2`` of every clip: ``y`` ``(n, T)`` -> ``(n, n_frames, 1 + n_fft // 2)``.

    Frames start every ``hop_length`` samples; with ``center`` the signal is first
    padded with ``n_fft // 2`` zeros at both ends (librosa >= 0.10,
    ``pad_mode='constant'``). Each frame is multiplied by the periodic Hann
    window and transformed with a real FFT, all clips and frames at once.
    """
    dtype = y.dtype
    if center:
        pad = n_fft // 2
        y = xp.pad(y, ((0, 0), (pad, pad)))
    n_frames = int(frame_count(y.shape[-1], n_fft, hop_length, center=False))
    if n_frames < 1:
        raise ValueError(f"clips of {y.shape[-1]} samples are shorter than n_fft={n_fft} "
                         "with center=False; pass center=True or lower n_fft")
    window = xp.asarray(hann_window(n_fft), dtype=dtype)
    if is_numpy_namespace(xp):
        import scipy.fft  # noqa: PLC0415

        frames = np.lib.stride_tricks.sliding_window_view(y, n_fft, axis=-1)
        frames = frames[:, : (n_frames - 1) * hop_length + 1: hop_length]
        spec = scipy.fft.rfft(frames * window, axis=-1, workers=-1)
    else:
        idx = (xp.arange(n_frames)[:, None] * hop_length + xp.arange(n_fft)[None, :])
        spec = xp.fft.rfft(y[:, idx] * window, axis=-1)
    power = spec.real * spec.real
    power += spec.imag * spec.imag
    return power.astype(dtype, copy=False)


def valid_mask(xp, n_valid, n_frames, start=None):
    """Boolean ``(n, n_frames)``: frame ``t`` of clip ``i`` lies in ``[start_i, n_valid_i)``."""
    t = xp.arange(n_frames)[None, :]
    mask = t < xp.asarray(n_valid)[:, None]
    if start is not None:
        mask &= t >= xp.asarray(start)[:, None]
    return mask


def log_mel(xp, power, n_valid, *, sr, n_fft, n_mels, fmin, fmax, top_db=TOP_DB,
            vtlp_alpha=1.0):
    """Mel power spectrogram in dB, ``power_to_db(ref=1.0, amin=1e-10, top_db)`` per clip.

    ``power`` is ``(n, n_frames, n_bins)``; returns ``(n, n_frames, n_mels)``. The
    ``top_db`` floor is relative to the loudest valid frame of EACH clip (librosa
    takes the maximum over its whole input, which is one clip). ``vtlp_alpha``
    warps the frequency axis first (:func:`mel_basis`).

    From here on the computation is float64 whatever the FFT precision: it is
    cheap next to the FFT, and it makes each clip's result independent of the
    other clips of its batch (float32 matrix products round differently with
    the row position), so features do not change with batch composition.
    """
    basis = xp.asarray(mel_basis(sr, n_fft, n_mels, fmin, fmax, float(vtlp_alpha)).T,
                       dtype=xp.float64)
    n, t_len, n_bins = power.shape
    mel = (power.reshape(n * t_len, n_bins).astype(xp.float64) @ basis).reshape(n, t_len, -1)
    db = 10.0 * xp.log10(xp.maximum(mel, AMIN))
    if top_db is not None:
        mask = valid_mask(xp, n_valid, db.shape[1])
        peak = xp.max(xp.where(mask[:, :, None], db, -xp.inf), axis=(1, 2))
        db = xp.maximum(db, (peak - top_db)[:, None, None].astype(db.dtype))
    return db


def mfcc_from_log_mel(xp, db, *, n_mfcc, lifter=0):
    """DCT-II (orthonormal) over the mel axis: ``(n, T, n_mels)`` -> ``(n, T, n_mfcc)``."""
    basis = xp.asarray(dct_ortho(db.shape[-1], n_mfcc), dtype=db.dtype)
    n, t_len, n_mels = db.shape
    out = (db.reshape(n * t_len, n_mels) @ basis).reshape(n, t_len, n_mfcc)
    if lifter > 0:
        k = np.arange(1, 1 + n_mfcc, dtype=np.float64)
        lift = 1.0 + (lifter / 2.0) * np.sin(np.pi * k / lifter)
        out = out * xp.asarray(lift, dtype=db.dtype)
    return out


@functools.lru_cache(maxsize=32)
def _savgol(width, order):
    from scipy.signal import savgol_coeffs  # noqa: PLC0415

    return savgol_coeffs(width, order, deriv=order, use="dot")


def savgol_delta(xp, x, start, stop, *, order, width=9):
    """``librosa.feature.delta(x_i[..., start_i:stop_i], order, width, mode='interp')`` per clip.

    ``x`` is ``(n, C, T)``; the result has the same shape, with each clip's
    derivative in its frames ``[start_i, stop_i)`` (other frames are undefined).

    librosa calls ``scipy.signal.savgol_filter(deriv=order, polyorder=order)``.
    Because the fitted polynomial has degree ``order``, its ``order``-th
    derivative is constant over a window, so ``mode='interp'`` gives each of the
    ``width // 2`` frames at either edge the value of the nearest full window:
    frame ``t`` takes the filter output at ``clip(t, start + h, stop - 1 - h)``.
    librosa refuses clips with fewer than ``width`` frames; here such clips use
    the widest odd window that fits (the whole clip), and clips with fewer than
    ``order + 2`` frames get zero deltas.
    """
    n, c, t_len = x.shape
    start = np.asarray(start, dtype=np.int64)
    stop = np.asarray(stop, dtype=np.int64)
    length = stop - start
    w_clip = np.minimum(width, np.where(length % 2 == 1, length, length - 1))
    out = xp.zeros_like(x)
    for w in np.unique(w_clip):
        w = int(w)
        rows = np.flatnonzero(w_clip == w)
        if w <= order or w < 3:
            continue  # too short for a derivative of this order: zeros
        coef = _savgol(w, order)
        h = w // 2
        sub = x[xp.asarray(rows)] if len(rows) < n else x
        conv = 0
        for k in range(w):
            conv = conv + float(coef[k]) * sub[:, :, k: t_len - 2 * h + k]
        lo = start[rows] + h
        hi = stop[rows] - 1 - h
        idx = np.clip(np.arange(t_len)[None, :], lo[:, None], hi[:, None]) - h
        idx = xp.asarray(idx)
        r = xp.arange(len(rows))[:, None, None]
        ch = xp.arange(c)[None, :, None]
        vals = conv[r, ch, idx[:, None, :]]
        if len(rows) < n:
            out[xp.asarray(rows)] = vals
        else:
            out = vals
    return out
