"""Loading one audio clip: a path, an array or a ``(y, sr)`` tuple -> mono float32 at ``sr``."""

from __future__ import annotations

import math
import os
import warnings
from numbers import Integral, Real

import numpy as np

from .._validation import validate_params
from ..exceptions import MMFuseInputError
from ._files import _is_pathlike, file_size, is_missing

__all__ = ["load_audio", "resample"]

_INT_SCALE = {np.dtype(np.int8): 128.0, np.dtype(np.int16): 32768.0,
              np.dtype(np.int32): 2147483648.0, np.dtype(np.int64): 9223372036854775808.0}


def _audio_to_float(y, *, row, column, path):
    y = np.asarray(y)
    if y.dtype == np.uint8:  # 8-bit WAV convention: unsigned, centred on 128
        y = (y.astype(np.float32) - 128.0) / 128.0
    elif y.dtype in _INT_SCALE:
        y = (y.astype(np.float64) / _INT_SCALE[y.dtype]).astype(np.float32)
    elif np.issubdtype(y.dtype, np.floating):
        y = y.astype(np.float32, copy=False)
    else:
        raise MMFuseInputError(f"unsupported audio dtype {y.dtype}", row=row, column=column,
                               path=path)
    return y


def _to_mono(y, *, row, column, path):
    """Average channels: accepts (n,), (channels, n) or (n, channels) with <= 8 channels."""
    if y.ndim == 1:
        return y
    if y.ndim != 2:
        raise MMFuseInputError(f"audio must be 1-D or 2-D (channels x samples); got shape "
                               f"{y.shape}", row=row, column=column, path=path)
    r, c = y.shape
    if r <= 8 and r <= c:       # librosa convention: (channels, samples)
        return y.mean(axis=0)
    if c <= 8:                  # soundfile convention: (samples, channels)
        return y.mean(axis=1)
    raise MMFuseInputError(f"cannot tell channels from samples in audio of shape {y.shape}; "
                           "pass (channels, samples) with at most 8 channels",
                           row=row, column=column, path=path)


def _read_audio_file(path, *, max_duration, row, column):
    """Decode a file with libsndfile, falling back to librosa's audioread path."""
    import soundfile as sf  # noqa: PLC0415

    file_size(path, row=row, column=column)  # missing, empty, a folder: this row's error
    try:
        with sf.SoundFile(os.fspath(path)) as f:
            native_sr = f.samplerate
            frames = -1 if max_duration is None else int(math.ceil(max_duration * native_sr))
            y = f.read(frames=frames, dtype="float32", always_2d=True)
        return y, native_sr
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        sf_error = str(exc)
    try:  # compressed formats libsndfile lacks (e.g. m4a/aac) via audioread, if installed
        import librosa  # noqa: PLC0415

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y, native_sr = librosa.load(os.fspath(path), sr=None, mono=False,
                                        duration=max_duration)
        return np.atleast_2d(y).T.astype(np.float32), int(native_sr)  # (n, channels)
    except Exception:  # noqa: BLE001 - any decoder failure is this row's error, chained
        raise MMFuseInputError(f"cannot decode audio ({sf_error})", row=row, column=column,
                               path=path) from None


def resample(y, orig_sr, target_sr):
    """Band-limited resampling with soxr (librosa's default, 'soxr_hq')."""
    if int(orig_sr) == int(target_sr):
        return y
    import soxr  # noqa: PLC0415

    return soxr.resample(y, int(orig_sr), int(target_sr), quality="HQ").astype(np.float32)


@validate_params(
    lambda c: {
        "item": "no_validation",
        "sr": [c.Interval(Integral, 1, None, closed="left")],
        "max_duration": [c.Interval(Real, 0, None, closed="neither"), None],
        "row": "no_validation",
        "column": "no_validation",
    },
    prefer_skip_nested_validation=True,
)
def load_audio(item, sr=16000, *, max_duration=None, row=None, column=None):
    """Load one audio clip as mono ``float32`` at sample rate ``sr``.

    Parameters
    ----------
    item : str, os.PathLike, ndarray, or tuple (y, sr)
        A file libsndfile reads (WAV, FLAC, OGG/Vorbis, Opus, MP3 with
        libsndfile >= 1.1; other formats through audioread if installed), a
        sample array already at ``sr`` (``(n,)``, ``(channels, n)`` or
        ``(n, channels)``; integer PCM is scaled to [-1, 1]), or a ``(y, sr)``
        tuple. ``None``/NaN is a missing modality.
    sr : int, default=16000
        Target sample rate; other rates are resampled with soxr (HQ).
    max_duration : float, optional
        Keep at most this many seconds from the start (files are read only that far).
    row, column : optional
        Where the item came from, for error messages.

    Returns
    -------
    y : ndarray of float32, shape (n_samples,), or None
        ``None`` when ``item`` is missing. A silent clip is valid (all zeros).

    Raises
    ------
    MMFuseInputError
        missing, empty, header-only or undecodable file; no samples; NaN or
        infinite samples; wrong type or shape.
    """
    if is_missing(item):
        return None
    path, native_sr = None, sr
    if _is_pathlike(item):
        path = item
        y, native_sr = _read_audio_file(path, max_duration=max_duration, row=row, column=column)
        y = y.mean(axis=1) if y.shape[0] else np.zeros(0, np.float32)  # (n, channels) -> mono
    elif isinstance(item, tuple):
        if len(item) != 2 or not np.isscalar(item[1]):
            raise MMFuseInputError("an audio tuple must be (samples, sample_rate)", row=row,
                                   column=column)
        y, native_sr = item
        try:
            native_sr = int(native_sr)
        except (TypeError, ValueError):
            native_sr = -1
        if native_sr <= 0:
            raise MMFuseInputError(f"sample rate must be a positive integer; got {item[1]!r}",
                                   row=row, column=column)
    elif isinstance(item, np.ndarray) or isinstance(item, list):
        y = item
    else:
        raise MMFuseInputError(
            f"expected an audio path, array or (y, sr) tuple; got {type(item).__name__}",
            row=row, column=column)
    y = _audio_to_float(y, row=row, column=column, path=path)
    if y.size == 0:
        cause = ("clip has no samples (header only or empty)" if path is not None
                 else "clip has no samples")
        raise MMFuseInputError(cause, row=row, column=column, path=path)
    y = _to_mono(y, row=row, column=column, path=path)
    bad = ~np.isfinite(y)
    if bad.any():
        raise MMFuseInputError(
            f"clip contains {int(bad.sum())} NaN or infinite samples out of {y.size}",
            row=row, column=column, path=path)
    if max_duration is not None and path is None:
        y = y[: int(math.ceil(max_duration * native_sr))]
    y = resample(np.ascontiguousarray(y), native_sr, sr)
    return np.ascontiguousarray(y, dtype=np.float32)


