"""Batched spectral kernels behind :func:`mmfuse.audio.mfcc` (written once against ``xp``).

Every function takes the array namespace ``xp`` (NumPy or CuPy) and a batch of
clips that share one padded length; ``n_valid`` gives, per clip, how many of
the frames belong to the clip (the rest come from zero padding and are ignored
wherever a per-clip reduction is taken: the ``top_db`` floor, trimming,
normalisation and pooling).

``frame_count``          frames librosa gives a clip of ``n`` samples
``stft_window``          librosa's analysis window (``get_window`` + ``pad_center``)
``power_spectrogram``    centring pad + framing + window + real FFT, ``|X|**power``
``log_mel``              mel filter bank (librosa's) and ``power_to_db`` per clip
``dct_matrix``           the DCT matrix of ``scipy.fft.dct(type, norm)``
``vtlp_warp``            the piecewise-linear VTLP frequency warp (Jaitly & Hinton 2013)
``mfcc_from_log_mel``    DCT + optional liftering
``savgol_delta``         ``librosa.feature.delta`` over each clip's valid frames
"""

from __future__ import annotations

import functools

import numpy as np

from .._backend import is_numpy_namespace

__all__ = [
    "PAD_MODES",
    "dct_matrix",
    "frame_count",
    "log_mel",
    "mel_basis",
    "mfcc_from_log_mel",
    "power_spectrogram",
    "savgol_delta",
    "stft_window",
    "vtlp_warp",
]

#: VTLP's boundary frequency as a fraction of the Nyquist frequency: Jaitly & Hinton's
#: F_hi = 4800 Hz at 16 kHz
VTLP_FHI = 0.6

AMIN = 1e-10   # power_to_db's floor, as librosa
TOP_DB = 80.0  # power_to_db's dynamic range, as librosa.feature.mfcc
#: the ``pad_mode`` values of ``librosa.stft`` (NumPy's modes that need no statistic)
PAD_MODES = ("constant", "edge", "linear_ramp", "reflect", "symmetric")


def frame_count(n_samples, n_fft, hop_length, center=True):
    """Number of STFT frames librosa returns for ``n_samples`` samples (0 if none)."""
    n = np.asarray(n_samples, dtype=np.int64)
    if center:
        n = n + 2 * (n_fft // 2)
    return np.where(n >= n_fft, 1 + (n - n_fft) // hop_length, 0)


def stft_window(window, win_length, n_fft):
    """librosa's STFT window: ``pad_center(get_window(window, win_length, fftbins=True), n_fft)``.

    ``window`` is what ``librosa.stft`` takes: a name or ``(name, parameter)``
    tuple or Kaiser beta (:func:`scipy.signal.get_window`), a function of the
    length, or an array of ``win_length`` values. Returns float64 ``(n_fft,)``.
    """
    win_length = n_fft if win_length is None else int(win_length)
    try:
        hash(window)
    except TypeError:  # an array: nothing to cache
        return _stft_window(window, win_length, n_fft)
    return _stft_window_cached(window, win_length, n_fft)


def _stft_window(window, win_length, n_fft):
    import librosa  # noqa: PLC0415

    try:
        w = librosa.filters.get_window(window, win_length, fftbins=True)
    except Exception as exc:  # noqa: BLE001 - librosa/scipy raise several types for a bad spec
        raise ValueError(f"window={_short_repr(window)} is not a window of win_length="
                         f"{win_length} samples: {exc}") from None
    w = np.asarray(librosa.util.pad_center(np.asarray(w, dtype=np.float64), size=n_fft))
    if not np.isfinite(w).all():
        raise ValueError(f"window={_short_repr(window)} has NaN or infinite values")
    return w


_stft_window_cached = functools.lru_cache(maxsize=32)(_stft_window)


def _short_repr(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@functools.lru_cache(maxsize=32)
def mel_basis(sr, n_fft, n_mels, fmin, fmax, htk=False, norm="slaney", vtlp_alpha=1.0):
    """:func:`librosa.filters.mel`, ``(n_mels, 1 + n_fft // 2)`` float64 (cached).

    ``htk`` selects the HTK mel scale instead of Slaney's; ``norm`` is the
    filters' normalisation (``'slaney'``: area, a number ``p``: unit ``p``-norm,
    None: peak 1). With ``vtlp_alpha != 1`` the bank is read through the VTLP warp: the weight of
    FFT bin ``k`` in band ``m`` is librosa's triangle ``m`` evaluated at
    ``vtlp_warp(f_k)`` instead of ``f_k`` (the spectrum is warped before the
    unchanged bank; librosa's construction otherwise, including its Slaney area
    normalisation of the unwarped triangles).
    """
    import librosa  # noqa: PLC0415

    if vtlp_alpha == 1.0:
        return librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax,
                                   htk=htk, norm=norm, dtype=np.float64)
    return warped_mel_basis(sr, n_fft, n_mels, fmin, fmax, vtlp_alpha, htk=htk, norm=norm)


def warped_mel_basis(sr, n_fft, n_mels, fmin, fmax, vtlp_alpha, htk=False, norm="slaney"):
    """``librosa.filters.mel``'s construction with the FFT-bin frequencies VTLP-warped.

    Not cached; equal to ``librosa.filters.mel(dtype=float64)`` at ``vtlp_alpha=1``.
    """
    import librosa  # noqa: PLC0415

    freqs = vtlp_warp(librosa.fft_frequencies(sr=sr, n_fft=n_fft), vtlp_alpha, sr=sr)
    mel_f = librosa.mel_frequencies(n_mels + 2, fmin=fmin,
                                    fmax=sr / 2.0 if fmax is None else fmax, htk=htk)
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, freqs)
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    if norm == "slaney":
        return weights * (2.0 / (mel_f[2:] - mel_f[:-2]))[:, None]
    if norm is None:
        return weights
    return librosa.util.normalize(weights, norm=norm, axis=-1)


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
def dct_matrix(n_in, n_out, dct_type=2, norm="ortho"):
    """``(n_in, n_out)`` matrix ``D``: ``x @ D == scipy.fft.dct(x, dct_type, norm=norm)[:n_out]``.

    Built by transforming the identity with SciPy, so every type and
    normalisation of ``scipy.fft.dct`` (librosa's ``mfcc`` calls it) is exact.
    """
    import scipy.fft  # noqa: PLC0415

    return np.ascontiguousarray(
        scipy.fft.dct(np.eye(n_in), type=dct_type, norm=norm, axis=-1)[:, :n_out])


def _centre_pads(xp, y, n_fft, hop_length, pad_mode):
    """``(left, right)``: the samples ``librosa.stft(center=True)`` puts around the clip ``y``.

    librosa pads the head frames from a prefix of the clip and the tail frames
    from a suffix (not from the whole clip) when the two do not overlap; this
    reproduces that, so ``pad_mode='reflect'`` etc. give librosa's frames.
    """
    pad = n_fft // 2
    n = y.shape[-1]
    start_k = -(-pad // hop_length)  # ceil
    tail_k = (n + pad - n_fft) // hop_length + 1
    if tail_k <= start_k:
        full = xp.pad(y, (pad, pad), mode=pad_mode)
        return full[:pad], full[pad + n:]
    left = xp.pad(y[: (start_k - 1) * hop_length - pad + n_fft + 1], (pad, 0), mode=pad_mode)
    if tail_k * hop_length - pad + n_fft > n + pad:
        # no frame reaches into the right pad: librosa builds none from it
        return left[:pad], xp.zeros(pad, dtype=y.dtype)
    right = xp.pad(y[tail_k * hop_length - pad:], (0, pad), mode=pad_mode)
    return left[:pad], right[right.shape[-1] - pad:]


def power_spectrogram(xp, y, *, n_fft, hop_length, center=True, window="hann",
                      win_length=None, power=2.0, pad_mode="constant", n_samples=None):
    """``|STFT|**power`` of every clip: ``y`` ``(n, T)`` -> ``(n, n_frames, 1 + n_fft // 2)``.

    Frames start every ``hop_length`` samples; with ``center`` the clip is first
    padded with ``n_fft // 2`` samples at both ends as ``librosa.stft`` pads it
    (``pad_mode``; ``'constant'`` is zeros). Each frame is multiplied by
    :func:`stft_window` and transformed with a real FFT, all clips and frames at
    once. ``n_samples`` gives each clip's own length in a zero-padded batch
    (default: all ``T``): the right-hand centring pad is built from each clip's
    own end.
    """
    dtype = y.dtype
    if center:
        pad = n_fft // 2
        if pad_mode == "constant":
            y = xp.pad(y, ((0, 0), (pad, pad)))
        else:
            lengths = np.full(y.shape[0], y.shape[-1]) if n_samples is None else n_samples
            padded = xp.zeros((y.shape[0], y.shape[-1] + 2 * pad), dtype=dtype)
            for i, n in enumerate(np.asarray(lengths, dtype=np.int64).tolist()):
                left, right = _centre_pads(xp, y[i, :n], n_fft, hop_length, pad_mode)
                padded[i, :pad] = left
                padded[i, pad:pad + n] = y[i, :n]
                padded[i, pad + n:2 * pad + n] = right
            y = padded
    n_frames = int(frame_count(y.shape[-1], n_fft, hop_length, center=False))
    if n_frames < 1:
        raise ValueError(f"clips of {y.shape[-1]} samples are shorter than n_fft={n_fft} "
                         "with center=False; pass center=True or lower n_fft")
    window = xp.asarray(stft_window(window, win_length, n_fft), dtype=dtype)
    if is_numpy_namespace(xp):
        import scipy.fft  # noqa: PLC0415

        frames = np.lib.stride_tricks.sliding_window_view(y, n_fft, axis=-1)
        frames = frames[:, : (n_frames - 1) * hop_length + 1: hop_length]
        spec = scipy.fft.rfft(frames * window, axis=-1, workers=-1)
    else:
        idx = (xp.arange(n_frames)[:, None] * hop_length + xp.arange(n_fft)[None, :])
        spec = xp.fft.rfft(y[:, idx] * window, axis=-1)
    if power == 2:
        out = spec.real * spec.real
        out += spec.imag * spec.imag
    else:
        out = xp.abs(spec)
        if power != 1:
            out **= power
    return out.astype(dtype, copy=False)


def valid_mask(xp, n_valid, n_frames, start=None):
    """Boolean ``(n, n_frames)``: frame ``t`` of clip ``i`` lies in ``[start_i, n_valid_i)``."""
    t = xp.arange(n_frames)[None, :]
    mask = t < xp.asarray(n_valid)[:, None]
    if start is not None:
        mask &= t >= xp.asarray(start)[:, None]
    return mask


def log_mel(xp, power, n_valid, *, sr, n_fft, n_mels, fmin, fmax, top_db=TOP_DB, htk=False,
            mel_norm="slaney", vtlp_alpha=1.0):
    """Mel spectrogram in dB, ``power_to_db(ref=1.0, amin=1e-10, top_db)`` per clip.

    ``power`` is ``(n, n_frames, n_bins)``; returns ``(n, n_frames, n_mels)``. The
    ``top_db`` floor is relative to the loudest valid frame of EACH clip (librosa
    takes the maximum over its whole input, which is one clip). ``vtlp_alpha``
    warps the frequency axis first (:func:`mel_basis`).

    From here on the computation is float64 whatever the FFT precision: it is
    cheap next to the FFT, and it makes each clip's result independent of the
    other clips of its batch (float32 matrix products round differently with
    the row position), so features do not change with batch composition.
    """
    basis = xp.asarray(mel_basis(sr, n_fft, n_mels, fmin, fmax, htk, mel_norm,
                                 float(vtlp_alpha)).T,
                       dtype=xp.float64)
    n, t_len, n_bins = power.shape
    mel = (power.reshape(n * t_len, n_bins).astype(xp.float64) @ basis).reshape(n, t_len, -1)
    db = 10.0 * xp.log10(xp.maximum(mel, AMIN))
    if top_db is not None:
        mask = valid_mask(xp, n_valid, db.shape[1])
        peak = xp.max(xp.where(mask[:, :, None], db, -xp.inf), axis=(1, 2))
        db = xp.maximum(db, (peak - top_db)[:, None, None].astype(db.dtype))
    return db


def mfcc_from_log_mel(xp, db, *, n_mfcc, lifter=0, dct_type=2, norm="ortho"):
    """DCT over the mel axis (``scipy.fft.dct(type=dct_type, norm=norm)``): ``(n, T, n_mels)``
    -> ``(n, T, n_mfcc)``, then liftering."""
    basis = xp.asarray(dct_matrix(db.shape[-1], n_mfcc, dct_type, norm), dtype=db.dtype)
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
        width_out = t_len - 2 * h
        conv = xp.multiply(sub[:, :, :width_out], float(coef[0]))
        tmp = xp.empty_like(conv)
        for k in range(1, w):
            if coef[k] != 0.0:  # the centre tap of an odd-order derivative is 0
                conv += xp.multiply(sub[:, :, k: width_out + k], float(coef[k]), out=tmp)
        lo = start[rows] + h
        hi = stop[rows] - 1 - h
        idx = np.clip(np.arange(t_len)[None, :], lo[:, None], hi[:, None]) - h
        idx = xp.broadcast_to(xp.asarray(idx)[:, None, :], (len(rows), c, t_len))
        vals = xp.take_along_axis(conv, idx, axis=2)
        if len(rows) < n:
            out[xp.asarray(rows)] = vals
        else:
            out = vals
    return out
