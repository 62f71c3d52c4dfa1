"""Batched MFCCs equal to librosa's, on the CPU or a CUDA GPU.

:func:`mfcc` computes the cepstra of a whole batch of clips at once;
:class:`~mmfuse.audio.MFCCFeatures` (in :mod:`mmfuse.audio._features`) turns a
column of clips into fixed-length pooled statistics.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np

from .._backend import dispatch, gen_chunks
from .._compat import DEVICE_CONSTRAINT, Interval, Options, StrOptions
from .._validation import validate_params
from . import _spectral as sp

__all__ = ["mfcc"]

#: librosa's spectral parameters that MFCCFeatures shares with :func:`mfcc`, with their
#: constraints (the values librosa accepts)
PEER_CONSTRAINTS = {
    "dct_type": [Options(Integral, {1, 2, 3})],
    "norm": [StrOptions({"ortho"}), None],
    "htk": ["boolean"],
    "mel_norm": [StrOptions({"slaney"}), Interval(Real, 0, None, closed="both"),
                 Options(Real, {-np.inf}), None],
    "window": [str, tuple, Real, callable, "array-like"],
    "win_length": [Interval(Integral, 1, None, closed="left"), None],
    "power": [Interval(Real, 0, None, closed="neither")],
    "pad_mode": [StrOptions(set(sp.PAD_MODES))],
    "center": ["boolean"],
}

_CONSTRAINTS = {
    "y": ["array-like"],
    "sr": [Interval(Integral, 1, None, closed="left")],
    "n_mfcc": [Interval(Integral, 1, None, closed="left")],
    "n_fft": [Interval(Integral, 2, None, closed="left")],
    "hop_length": [Interval(Integral, 1, None, closed="left")],
    "n_mels": [Interval(Integral, 1, None, closed="left")],
    "fmin": [Interval(Real, 0, None, closed="left")],
    "fmax": [Interval(Real, 0, None, closed="neither"), None],
    "lifter": [Interval(Real, 0, None, closed="left")],
    "device": DEVICE_CONSTRAINT,
    **PEER_CONSTRAINTS,
}


def _check_params(*, sr, n_mfcc, n_fft, n_mels, fmin=0.0, fmax=None, win_length=None,
                  dct_type=2):
    """Checks between parameters (each one alone is checked by its constraint)."""
    if n_mfcc > n_mels:
        raise ValueError(f"n_mfcc={n_mfcc} cannot exceed n_mels={n_mels}")
    nyquist = sr / 2.0
    top = nyquist if fmax is None else fmax
    if not fmin < top <= nyquist:
        raise ValueError(f"fmax must satisfy fmin < fmax <= sr / 2 = {nyquist:g}; "
                         f"got fmin={fmin!r}, fmax={fmax!r}")
    if win_length is not None and win_length > n_fft:
        raise ValueError(f"win_length={win_length} cannot exceed n_fft={n_fft} (the window "
                         "is centred in each frame of n_fft samples)")
    if dct_type == 1 and n_mels < 2:
        raise ValueError(f"dct_type=1 needs n_mels >= 2; got n_mels={n_mels}")


def mfcc_batch(xp, y, n_samples, *, sr, n_mfcc, n_fft, hop_length, n_mels, fmin, fmax,
               lifter, center=True, top_db=sp.TOP_DB, dct_type=2, norm="ortho", htk=False,
               mel_norm="slaney", window="hann", win_length=None, power=2.0,
               pad_mode="constant", vtlp_alpha=1.0):
    """MFCCs of a zero-padded batch ``y`` ``(n, T)`` whose clip ``i`` has ``n_samples[i]`` samples.

    Returns ``(cepstra (n, n_frames, n_mfcc), n_valid (n,), log_mel (n, n_frames, n_mels))``,
    cepstra and log-mel in float64 (see :func:`~mmfuse.audio._spectral.log_mel`);
    frames ``>= n_valid[i]`` of clip ``i`` come from the padding only. ``vtlp_alpha``
    warps the mel filter bank (:func:`~mmfuse.audio._spectral.mel_basis`).
    """
    n_valid = sp.frame_count(n_samples, n_fft, hop_length, center)
    spec = sp.power_spectrogram(xp, y, n_fft=n_fft, hop_length=hop_length, center=center,
                                window=window, win_length=win_length, power=power,
                                pad_mode=pad_mode, n_samples=n_samples)
    db = sp.log_mel(xp, spec, n_valid, sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin,
                    fmax=fmax, top_db=top_db, htk=htk, mel_norm=mel_norm, vtlp_alpha=vtlp_alpha)
    cep = sp.mfcc_from_log_mel(xp, db, n_mfcc=n_mfcc, lifter=lifter, dct_type=dct_type,
                               norm=norm)
    return cep, n_valid, db


@validate_params(_CONSTRAINTS, prefer_skip_nested_validation=True)
def mfcc(y, sr=16000, n_mfcc=20, n_fft=512, hop_length=160, n_mels=40, fmin=0.0, fmax=None,
         lifter=0, center=True, device=None, *, dct_type=2, norm="ortho", htk=False,
         mel_norm="slaney", window="hann", win_length=None, power=2.0, pad_mode="constant"):
    """Mel-frequency cepstral coefficients of one clip or a batch of equal-length clips.

    For each clip, as :func:`librosa.feature.mfcc` with the same parameters:

    1. with ``center``, pad ``n_fft // 2`` samples at both ends as
       ``librosa.stft`` does (``pad_mode``; ``'constant'``: zeros);
    2. cut frames of ``n_fft`` samples every ``hop_length`` samples, multiply by
       the ``window`` of ``win_length`` samples centred in the frame, and take
       ``|FFT|**power``;
    3. apply :func:`librosa.filters.mel`'s filter bank of ``n_mels`` bands over
       ``[fmin, fmax]`` (Slaney or, with ``htk``, HTK mel scale; filters
       normalised by ``mel_norm``);
    4. convert to decibels with ``power_to_db(ref=1.0, amin=1e-10, top_db=80)``,
       the 80 dB floor taken relative to the loudest bin of that clip;
    5. take the DCT of type ``dct_type`` (normalised by ``norm``) over the mel
       bands, keep the first ``n_mfcc`` coefficients and, if ``lifter > 0``,
       multiply coefficient ``k`` (from 1) by ``1 + (lifter / 2) sin(pi k / lifter)`` [1]_.

    All clips and frames are processed at once as a few array operations
    (strided framing, one batched real FFT, two matrix products).

    Parameters
    ----------
    y : array of shape (n_samples,) or (n_clips, n_samples)
        Mono clip(s), NumPy or CuPy. float32 and float64 are computed in their
        own precision; other dtypes as float32.
    sr : int, default=16000
        Sample rate of ``y`` in Hz (librosa's default is 22050).
    n_mfcc : int, default=20
        Number of coefficients kept (at most ``n_mels``).
    n_fft : int, default=512
        FFT length (frame length) in samples (librosa's default is 2048).
    hop_length : int, default=160
        Samples between successive frames (librosa's default is 512).
    n_mels : int, default=40
        Number of mel bands (librosa's default is 128).
    fmin, fmax : float, default=0.0, None
        Band edges of the filter bank in Hz; ``None`` means ``sr / 2``.
    lifter : float, default=0
        Cepstral liftering parameter; 0 disables it.
    center : bool, default=True
        Centre frame ``t`` on sample ``t * hop_length`` by padding (see step 1).
        With ``center=False`` frame ``t`` starts there and clips must have at
        least ``n_fft`` samples.
    device : {'auto', 'cpu', 'cuda'} or None, default=None
        Where to compute; ``None`` or ``'auto'`` keeps a CuPy batch on its GPU;
        otherwise ``None`` follows :func:`mmfuse.config_context`'s device and
        ``'auto'`` uses CUDA when available. The result is returned in the
        namespace of ``y`` wherever it was computed.
    dct_type : {1, 2, 3}, default=2
        Type of the discrete cosine transform (:func:`scipy.fft.dct`); 2 is the
        classic MFCC, 3 the HTK style.
    norm : {'ortho'} or None, default='ortho'
        Normalisation of the DCT: ``'ortho'`` is an orthonormal basis, None
        SciPy's unnormalised transform.
    htk : bool, default=False
        Use the HTK mel scale ``2595 log10(1 + f / 700)`` instead of Slaney's.
    mel_norm : {'slaney'}, float, or None, default='slaney'
        Normalisation of the mel filters (``librosa.filters.mel``'s ``norm``):
        ``'slaney'`` divides each triangle by its width (constant energy per
        band), a number ``p`` scales each filter to unit ``p``-norm (``inf``:
        peak), None leaves peaks at 1.
    window : str, tuple, float, callable or array, default='hann'
        Analysis window, as ``librosa.stft``'s: a :func:`scipy.signal.get_window`
        spec (``'hann'``, ``('kaiser', 8.0)``, a Kaiser beta), a function of the
        length, or an array of ``win_length`` values. Periodic ("fftbins") windows.
    win_length : int or None, default=None
        Window length in samples, at most ``n_fft``; the window is centred in
        the frame and zero outside. None means ``n_fft``.
    power : float, default=2.0
        Exponent of the magnitude spectrogram: 2 power, 1 energy (magnitude).
        The mel spectrogram is converted to dB as power either way, as librosa.
    pad_mode : {'constant', 'edge', 'linear_ramp', 'reflect', 'symmetric'}, default='constant'
        How ``center`` pads the clip (:func:`numpy.pad`'s mode), as ``librosa.stft``.

    Returns
    -------
    M : array of shape (n_mfcc, n_frames) or (n_clips, n_mfcc, n_frames)
        In the computation's float dtype, in the namespace of ``y`` (NumPy for
        NumPy or list input, CuPy for CuPy).
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
    center=center, dct_type=dct_type, norm=norm, htk=htk, mel_norm=mel_norm,
    window=window, win_length=win_length, power=power, pad_mode=pad_mode)`` within
    ``1e-3 * max|reference|`` (float32) and ``1e-6 * max|reference|`` (float64)
    for every clip, including clips shorter than ``n_fft``; only the defaults of
    ``sr``, ``n_fft``, ``hop_length`` and ``n_mels`` differ from librosa's
    (speech at 16 kHz: 32 ms frames every 10 ms, 40 bands). Departures from Davis &
    Mermelstein [2]_, as in librosa: a Slaney mel bank with area-normalised
    triangles instead of the paper's 20 equal-height filters, log *power* in dB,
    an orthonormal DCT, and an 80 dB floor below each clip's peak.

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
    _check_params(sr=sr, n_mfcc=n_mfcc, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax,
                  win_length=win_length, dct_type=dct_type)
    sp.stft_window(window, win_length, n_fft)  # a bad window spec fails before any work
    where = dispatch(y, device=device)
    xp = where.xp
    if not hasattr(y, "shape"):
        y = np.asarray(y)
    if y.ndim not in (1, 2):
        raise ValueError(f"y must be a clip (n_samples,) or a batch (n_clips, n_samples); "
                         f"given y.shape={tuple(y.shape)}")
    if y.shape[-1] == 0:
        raise ValueError(f"y has no samples (given y.shape={tuple(y.shape)})")
    dtype = y.dtype if y.dtype in (np.float32, np.float64) else np.dtype(np.float32)
    batch = where.put(y if y.ndim == 2 else y[None, :]).astype(dtype, copy=False)
    if not bool(xp.all(xp.isfinite(batch))):
        raise ValueError("audio buffer is not finite everywhere (NaN or inf samples)")
    n, n_samples = batch.shape
    # chunks of clips whose framed spectra fit the working_memory budget
    per_clip = (n_samples + n_fft) / hop_length * n_fft * 3.5 * batch.dtype.itemsize
    parts = []
    for chunk in gen_chunks(n, per_clip):
        cep, _, _ = mfcc_batch(xp, batch[chunk], np.full(chunk.stop - chunk.start, n_samples),
                               sr=sr, n_mfcc=n_mfcc, n_fft=n_fft, hop_length=hop_length,
                               n_mels=n_mels, fmin=float(fmin),
                               fmax=None if fmax is None else float(fmax), lifter=lifter,
                               center=center, dct_type=dct_type, norm=norm, htk=htk,
                               mel_norm=mel_norm, window=window, win_length=win_length,
                               power=power, pad_mode=pad_mode)
        parts.append(xp.moveaxis(cep, -1, -2))
    out = (parts[0] if len(parts) == 1 else xp.concatenate(parts, axis=0)).astype(dtype)
    if y.ndim == 1:
        out = out[0]
    return where.output(xp.ascontiguousarray(out))
