"""Data shipped with the package: the audio-visual digits (MNIST images + spoken digits)."""

from __future__ import annotations

import math
from importlib import resources

import numpy as np

__all__ = ["load_av_digits"]


_AV_SEED = 20261123
_AV_SR = 8000


def _data_file(name):
    return resources.files("mmfuse.data").joinpath(name)


def _degrade_image(img, rng):
    """Occlude a random block and add pixel noise (the image alone stays imperfect)."""
    out = img.astype(np.float32) / 255.0
    h = int(rng.integers(7, 11))
    w = int(rng.integers(7, 11))
    top = int(rng.integers(4, 28 - h - 2))
    left = int(rng.integers(4, 28 - w - 2))
    out[top:top + h, left:left + w] = rng.uniform(0.0, 0.3)
    out += rng.normal(0.0, 0.2, size=out.shape)
    return (np.clip(out, 0.0, 1.0) * 255).astype(np.uint8)


def _degrade_audio(y, rng):
    """Add coloured background noise at a random SNR between -1 and +9 dB."""
    n = len(y)
    white = rng.normal(size=n)
    brown = np.cumsum(rng.normal(size=n))
    brown -= np.convolve(brown, np.ones(64) / 64, mode="same")
    noise = white / white.std() + 0.7 * brown / (brown.std() + 1e-9)
    snr_db = rng.uniform(-1.0, 9.0)
    p_sig = float(np.mean(y.astype(np.float64) ** 2)) + 1e-12
    noise *= math.sqrt(p_sig / (10 ** (snr_db / 10)) / np.mean(noise ** 2))
    out = y + noise
    return (out / max(1.0, float(np.max(np.abs(out))))).astype(np.float32)


def load_av_digits(*, split=None, degrade=True, return_X_y=False):
    """Load the embedded audio-visual digits: MNIST images paired with spoken digits.

    1,500 pairs (150 per digit; 1,000 ``train`` / 500 ``test``): each MNIST
    handwritten digit (28×28, from the official t10k set) is paired by label
    with a Free Spoken Digit Dataset recording (8 kHz, five speakers). The
    pairing and split are fixed by a seed (see ``data/build_av_digits.py``).

    With ``degrade=True`` (default) each image gets a random occluding block
    and pixel noise, and each clip coloured background noise at −1…+9 dB SNR,
    from a fixed seed per row, so neither modality alone is perfect and
    fusion has room to show its worth.

    Parameters
    ----------
    split : {'train', 'test'} or None
        Return one split, or all rows (with a ``split`` column) when None.
    degrade : bool, default=True
    return_X_y : bool, default=False

    Returns
    -------
    data : sklearn.utils.Bunch
        ``X`` (DataFrame with ``image``: uint8 (28, 28) arrays and ``audio``:
        ``(float32 samples, 8000)`` tuples), ``y`` (int digit labels),
        ``split``, ``frame`` (X plus ``label``, ``split``, ``id``),
        ``target_names`` and ``DESCR``. ``(X, y)`` with ``return_X_y=True``.

    Notes
    -----
    Licenses: FSDD recordings are CC BY-SA 4.0 (Zohar Jackson and FSDD
    contributors); MNIST (LeCun, Cortes, Burges) is commonly redistributed
    under CC BY-SA 3.0. See ``mmfuse/data/README.md``.
    """
    import pandas as pd  # noqa: PLC0415
    import soundfile as sf  # noqa: PLC0415
    from sklearn.utils import Bunch  # noqa: PLC0415

    if split not in (None, "train", "test"):
        raise ValueError(f"split must be 'train', 'test' or None; got {split!r}")
    with _data_file("av_digits.npz").open("rb") as f:
        meta = np.load(f)
        meta = {k: meta[k] for k in meta.files}
    with _data_file("av_digits.flac").open("rb") as f:
        audio, sr = sf.read(f, dtype="float32")
    assert sr == _AV_SR
    offsets = meta["audio_offsets"]
    n = len(meta["label"])
    rows = np.arange(n) if split is None else np.flatnonzero(meta["split"] == split)
    images, clips = [], []
    for i in rows:
        img = meta["image"][i]
        clip = audio[offsets[i]:offsets[i + 1]]
        if degrade:
            rng = np.random.default_rng([_AV_SEED, int(i)])
            img = _degrade_image(img, rng)
            clip = _degrade_audio(clip, rng)
        images.append(img)
        clips.append((clip, _AV_SR))
    X = pd.DataFrame({"image": pd.Series(images, dtype=object),
                      "audio": pd.Series(clips, dtype=object)})
    y = meta["label"][rows].astype(int)
    if return_X_y:
        return X, y
    frame = X.copy()
    frame["label"] = y
    frame["split"] = meta["split"][rows]
    frame["id"] = [f"{meta['audio_source'][i][:-4]}+mnist{meta['image_source'][i]}"
                   for i in rows]
    return Bunch(X=X, y=y, split=meta["split"][rows], frame=frame,
                 target_names=[str(d) for d in range(10)],
                 DESCR=load_av_digits.__doc__)
