"""Batched MFCCs equal to librosa's, on the CPU or a CUDA GPU.

:func:`mfcc` computes the cepstra of a whole batch of clips at once;
:class:`~mmfuse.audio.MFCCFeatures` (in :mod:`mmfuse.audio._features`) turns a
column of clips into fixed-length pooled statistics.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np

from .._backend import get_namespace, is_numpy_namespace, namespace_for, to_numpy
from .._config import get_config, resolve_configured_device
from . import _spectral as sp

__all__ = ["mfcc"]


def _check_params(sr, n_mfcc, n_fft, hop_length, n_mels, fmin, fmax, lifter):
    for name, value in (("sr", sr), ("n_mfcc", n_mfcc), ("n_fft", n_fft),
                        ("hop_length", hop_length), ("n_mels", n_mels)):
        if not isinstance(value, Integral) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive integer; got {value!r}")
    if n_mfcc > n_mels:
        raise ValueError(f"n_mfcc={n_mfcc} cannot exceed n_mels={n_mels}")
    if not isinstance(fmin, Real) or fmin < 0:
        raise ValueError(f"fmin must be a non-negative number; got {fmin!r}")
    nyquist = sr / 2.0
    top = nyquist if fmax is None else fmax
    if not isinstance(top, Real) or not fmin < top <= nyquist:
        raise ValueError(f"fmax must satisfy fmin < fmax <= sr / 2 = {nyquist:g}; "
                         f"got fmin={fmin!r}, fmax={fmax!r}")
    if not isinstance(lifter, Real) or lifter < 0:
        raise ValueError(f"MFCC lifter={lifter!r} must be a non-negative number")


def mfcc_batch(xp, y, n_samples, *, sr, n_mfcc, n_fft, hop_length, n_mels, fmin, fmax,
               lifter, center=True, top_db=sp.TOP_DB, vtlp_alpha=1.0):
    """MFCCs of a zero-padded batch ``y`` ``(n, T)`` whose clip ``i`` has ``n_samples[i]`` samples.

    Returns ``(cepstra (n, n_frames, n_mfcc), n_valid (n,), log_mel (n, n_frames, n_mels))``,
    cepstra and log-mel in float64 (see :func:`~mmfuse.audio._spectral.log_mel`);
    frames ``>= n_valid[i]`` of clip ``i`` come from the padding only. ``vtlp_alpha``
    warps the mel filter bank (:func:`~mmfuse.audio._spectral.mel_basis`).
    """
    n_valid = sp.frame_count(n_samples, n_fft, hop_length, center)
    power = sp.power_spectrogram(xp, y, n_fft=n_fft, hop_length=hop_length, center=center)
    db = sp.log_mel(xp, power, n_valid, sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin,
                    fmax=fmax, top_db=top_db, vtlp_alpha=vtlp_alpha)
    return sp.mfcc_from_log_mel(xp, db, n_mfcc=n_mfcc, lifter=lifter), n_valid, db


def mfcc(y, sr=16000, n_mfcc=20, n_fft=512, hop_length=160, n_mels=40, fmin=0.0, fmax=None,
         lifter=0, center=True, device="auto"):
    """Mel-frequency cepstral coefficients of one clip or a batch of equal-length clips.

    For each clip, as ``librosa.feature.mfcc`` with its defaults otherwise:

    1. with ``center``, pad ``n_fft // 2`` zeros at both ends (librosa >= 0.10's
       ``pad_mode='constant'``);
    2. cut frames of ``n_fft`` samples every ``hop_length`` samples, multiply by
       the periodic Hann window and take the power spectrum ``|FFT|**2``;
    3. apply librosa's Slaney-normalised mel filter bank
       (:func:`librosa.filters.mel`) of ``n_mels`` bands over ``[fmin, fmax]``;
    4. convert to decibels with ``power_to_db(ref=1.0, amin=1e-10, top_db=80)``,
       the 80 dB floor taken relative to the loudest bin of that clip;
    5. take the orthonormal DCT-II over the mel bands, keep the first ``n_mfcc``
       coefficients and, if ``lifter > 0``, multiply coefficient ``k`` (from 1)
       by ``1 + (lifter / 2) sin(pi k / lifter)`` [1]_.

    All clips and frames are processed at once as a few array operations
    (strided framing, one batched real FFT, two matrix products).

    Parameters
    ----------
    y : array of shape (n_samples,) or (n_clips, n_samples)
        Mono clip(s), NumPy or CuPy. float32 and float64 are computed in their
        own precision; other dtypes as float32.
    sr : int, default=16000
        Sample rate of ``y`` in Hz.
    n_mfcc : int, default=20
        Number of coefficients kept (at most ``n_mels``).
    n_fft : int, default=512
        FFT (and window) length in samples.
    hop_length : int, default=160
        Samples between successive frames.
    n_mels : int, default=40
        Number of mel bands.
    fmin, fmax : float, default=0.0, None
        Band edges of the filter bank in Hz; ``None`` means ``sr / 2``.
    lifter : float, default=0
        Cepstral liftering parameter; 0 disables it.
    center : bool, default=True
        Centre frames on ``t * hop_length`` by zero padding (see step 1).
        With ``center=False`` clips must have at least ``n_fft`` samples.
    device : {'auto', 'cpu', 'cuda'}, default='auto'
        Where to compute; ``'auto'`` keeps a CuPy batch on its GPU and otherwise
        uses the configured device (CUDA when available).

    Returns
    -------
    M : array of shape (n_mfcc, n_frames) or (n_clips, n_mfcc, n_frames)
        In the computation's float dtype and in the input's namespace.
        ``n_frames = 1 + n_samples // hop_length`` with ``center``.

    Raises
    ------
    ValueError
        A bad parameter, a batch of rank other than 1 or 2, an empty clip, or
        non-finite samples.

    See Also
    --------
    librosa.feature.mfcc : the per-clip reference this function equals.
    MFCCFeatures : pooled MFCC statistics over a column of clips.

    Notes
    -----
    Matches ``librosa.feature.mfcc(y=clip, sr=sr, n_mfcc=n_mfcc, n_fft=n_fft,
    hop_length=hop_length, n_mels=n_mels, fmin=fmin, fmax=fmax, lifter=lifter,
    center=center)`` (``dct_type=2, norm='ortho'``, power spectrum, Hann window)
    within ``1e-3 * max|reference|`` (float32) for every clip, including clips
    shorter than ``n_fft``. Departures from Davis & Mermelstein [2]_, as in
    librosa: a Slaney mel bank with area-normalised triangles instead of the
    paper's 20 equal-height filters, log *power* in dB, an orthonormal DCT, and
    an 80 dB floor below each clip's peak.

    References
    ----------
    .. [1] Juang, B.-H., Rabiner, L. R., & Wilpon, J. G. (1987). On the use of
       bandpass liftering in speech recognition. *IEEE Transactions on Acoustics,
       Speech, and Signal Processing*, 35(7), 947-954. https://doi.org/10.1109/TASSP.1987.1165237
    .. [2] Davis, S. B., & Mermelstein, P. (1980). Comparison of parametric
       representations for monosyllabic word recognition in continuously spoken
       sentences. *IEEE Transactions on Acoustics, Speech, and Signal Processing*,
       28(4), 357-366. https://doi.org/10.1109/TASSP.1980.1163420

    Examples
    --------
    >>> import numpy as np
    >>> from mmfuse.audio import mfcc
    >>> y = np.random.default_rng(0).standard_normal((3, 16000)).astype(np.float32)
    >>> mfcc(y, sr=16000).shape
    (3, 20, 101)
    """
    _check_params(sr, n_mfcc, n_fft, hop_length, n_mels, fmin, fmax, lifter)
    in_xp = get_namespace(y)
    if device in (None, "auto") and not is_numpy_namespace(in_xp):
        xp = in_xp
    else:
        xp = namespace_for(resolve_configured_device(device))
    if not hasattr(y, "shape"):
        y = np.asarray(y)
    if y.ndim not in (1, 2):
        raise ValueError(f"y must be a clip (n_samples,) or a batch (n_clips, n_samples); "
                         f"given y.shape={tuple(y.shape)}")
    if y.shape[-1] == 0:
        raise ValueError(f"y has no samples (given y.shape={tuple(y.shape)})")
    dtype = y.dtype if y.dtype in (np.float32, np.float64) else np.dtype(np.float32)
    batch = xp.asarray(y if y.ndim == 2 else y[None, :]).astype(dtype, copy=False)
    if not bool(xp.all(xp.isfinite(batch))):
        raise ValueError("audio buffer is not finite everywhere (NaN or inf samples)")
    n, n_samples = batch.shape
    # chunks of clips whose framed spectra fit the working_memory budget
    per_clip = (n_samples + n_fft) / hop_length * n_fft * 3.5 * batch.dtype.itemsize
    step = max(1, int(get_config()["working_memory"] * 2 ** 20 // max(per_clip, 1)))
    parts = []
    for s in range(0, n, step):
        cep, _, _ = mfcc_batch(xp, batch[s:s + step], np.full(min(step, n - s), n_samples),
                               sr=sr, n_mfcc=n_mfcc, n_fft=n_fft, hop_length=hop_length,
                               n_mels=n_mels, fmin=float(fmin),
                               fmax=None if fmax is None else float(fmax), lifter=lifter,
                               center=center)
        parts.append(xp.moveaxis(cep, -1, -2))
    out = (parts[0] if len(parts) == 1 else xp.concatenate(parts, axis=0)).astype(dtype)
    if y.ndim == 1:
        out = out[0]
    out = xp.ascontiguousarray(out)
    if is_numpy_namespace(in_xp) and not is_numpy_namespace(xp):
        return to_numpy(out)
    return out
