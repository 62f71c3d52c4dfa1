"""A synthetic multimodal classification problem with a tunable class signal per modality."""

from __future__ import annotations

import math

import numpy as np

from ..io._manifest import MODALITY_KINDS

__all__ = ["make_multimodal"]


_SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "po", "shi", "ve", "zu", "bra", "dor",
              "fen", "gal", "hux", "jin", "kro", "lum", "mar", "nix", "quo", "rin", "sol",
              "tev", "ulm", "vor", "wex", "yal", "zor", "cha"]


def _word(rng):
    return "".join(rng.choice(_SYLLABLES, size=rng.integers(2, 4)))


def _vocabularies(n_classes, words_per_class, n_shared, seed=7):
    rng = np.random.default_rng(seed)
    seen, vocab = set(), []
    while len(vocab) < n_classes * words_per_class + n_shared:
        w = _word(rng)
        if w not in seen:
            seen.add(w)
            vocab.append(w)
    per_class = [vocab[c * words_per_class:(c + 1) * words_per_class] for c in range(n_classes)]
    return per_class, vocab[n_classes * words_per_class:]


def _synth_image(cls, n_classes, size, rng):
    """An oriented grating (orientation and frequency by class) plus a class shape and noise."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    theta = math.pi * cls / n_classes + rng.normal(0, 0.08)
    freq = 3.0 + 2.0 * (cls % 3) + rng.normal(0, 0.3)
    phase = rng.uniform(0, 2 * math.pi)
    grating = 0.5 + 0.5 * np.sin(2 * math.pi * freq * (xx * math.cos(theta)
                                                         + yy * math.sin(theta)) + phase)
    cy, cx = rng.uniform(0.3, 0.7, size=2)
    r = rng.uniform(0.15, 0.25)
    shape = cls % 4
    if shape == 0:
        mask = (yy - cy) ** 2 + (xx - cx) ** 2 < r ** 2
    elif shape == 1:
        mask = (np.abs(yy - cy) < r) & (np.abs(xx - cx) < r)
    elif shape == 2:
        mask = (yy > cy - r) & (np.abs(xx - cx) < (yy - cy + r) / 2)
    else:
        mask = (np.abs(yy - cy) < r / 3) | (np.abs(xx - cx) < r / 3)
        mask &= (np.abs(yy - cy) < r) & (np.abs(xx - cx) < r)
    img = 0.6 * grating + 0.4 * mask + rng.normal(0, 0.15, size=(size, size))
    return (np.clip(img, 0, 1) * 255).astype(np.uint8)


def _synth_audio(cls, n_classes, sr, duration, rng):
    """A voiced sound: harmonics of a random f0 shaped by two class formants, plus noise."""
    n = int(sr * duration)
    t = np.arange(n, dtype=np.float64) / sr
    f1 = 300.0 + 500.0 * (cls / max(n_classes - 1, 1))
    f2 = 2200.0 - 900.0 * ((cls * 7 % n_classes) / max(n_classes - 1, 1))
    f0 = rng.uniform(100.0, 180.0)
    y = np.zeros(n)
    for h in range(1, int((sr / 2 - 100) / f0)):
        f = h * f0
        gain = np.exp(-((f - f1) / 120.0) ** 2) + 0.7 * np.exp(-((f - f2) / 180.0) ** 2) + 0.02
        y += gain * np.sin(2 * math.pi * f * t + rng.uniform(0, 2 * math.pi))
    env = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.05)
    y = y * env
    y /= np.max(np.abs(y)) + 1e-9
    y += rng.normal(0, 0.15, size=n)
    return (0.5 * y / (np.max(np.abs(y)) + 1e-9)).astype(np.float32)


def make_multimodal(n_samples=300, n_classes=3, *, modalities=("image", "text", "audio"),
                    informativeness=None, missing_rate=0.0, image_size=32, sr=8000,
                    duration=0.5, random_state=None):
    """Generate a synthetic multimodal classification problem.

    Every sample has a class ``y``. For each modality independently, with
    probability ``informativeness[m]`` the item is generated from ``y``;
    otherwise from a class drawn uniformly at random. A modality alone
    therefore reaches at most about ``p + (1 - p) / n_classes`` accuracy, and
    because the modalities err independently, fusing them does better.

    * image: ``(image_size, image_size)`` uint8 arrays; an oriented grating whose
      angle and frequency depend on the class, a class-dependent shape, noise.
    * text: documents of 12–24 words mixing a class vocabulary (about a third
      of the words) with shared noise words.
    * audio: ``(y, sr)`` tuples; harmonics of a random pitch shaped by two
      class-dependent formants, plus white noise.

    Parameters
    ----------
    n_samples : int, default=300
    n_classes : int, default=3
    modalities : sequence of {'image', 'text', 'audio'}
    informativeness : float or dict, optional
        Probability that a modality's item carries the true class; a float
        applies to all; default ``{'image': 0.7, 'text': 0.6, 'audio': 0.5}``.
    missing_rate : float, default=0.0
        Probability that a cell is ``None`` (a missing modality); every row
        keeps at least one modality.
    image_size, sr, duration : image side in pixels, audio sample rate and seconds.
    random_state : int, Generator or None

    Returns
    -------
    X : pandas.DataFrame
        One column per modality.
    y : ndarray of int, shape (n_samples,)
    """
    import pandas as pd  # noqa: PLC0415

    modalities = tuple(modalities)
    bad = [m for m in modalities if m not in MODALITY_KINDS]
    if bad or not modalities:
        raise ValueError(f"modalities must be a non-empty subset of {MODALITY_KINDS}; "
                         f"got {modalities!r}")
    if n_samples < 1 or n_classes < 2:
        raise ValueError(f"need n_samples >= 1 and n_classes >= 2; got {n_samples}, "
                         f"{n_classes}")
    if not 0.0 <= missing_rate < 1.0:
        raise ValueError(f"missing_rate must be in [0, 1); got {missing_rate}")
    default = {"image": 0.7, "text": 0.6, "audio": 0.5}
    if informativeness is None:
        info = {m: default[m] for m in modalities}
    elif isinstance(informativeness, dict):
        unknown = set(informativeness) - set(modalities)
        if unknown:
            raise ValueError(f"informativeness has keys {sorted(unknown)} that are not in "
                             f"modalities {modalities}")
        info = {m: float(informativeness.get(m, default[m])) for m in modalities}
    else:
        info = {m: float(informativeness) for m in modalities}
    for m, p in info.items():
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"informativeness[{m!r}] must be in [0, 1]; got {p}")

    rng = np.random.default_rng(random_state)
    y = rng.integers(0, n_classes, size=n_samples)
    class_words, shared_words = _vocabularies(n_classes, 12, 150)
    columns = {}
    for m in modalities:
        informative = rng.random(n_samples) < info[m]
        signal = np.where(informative, y, rng.integers(0, n_classes, size=n_samples))
        col = []
        for c in signal:
            if m == "image":
                col.append(_synth_image(int(c), n_classes, image_size, rng))
            elif m == "text":
                n_words = int(rng.integers(12, 25))
                n_class = max(1, int(round(n_words * rng.uniform(0.25, 0.4))))
                words = list(rng.choice(class_words[c], size=n_class)) + \
                    list(rng.choice(shared_words, size=n_words - n_class))
                rng.shuffle(words)
                col.append(" ".join(words))
            else:
                col.append((_synth_audio(int(c), n_classes, sr, duration, rng), sr))
        columns[m] = col
    if missing_rate > 0:
        mask = rng.random((n_samples, len(modalities))) < missing_rate
        full = mask.all(axis=1)
        mask[full, rng.integers(0, len(modalities), size=int(full.sum()))] = False
        for j, m in enumerate(modalities):
            for i in np.flatnonzero(mask[:, j]):
                columns[m][i] = None
    X = pd.DataFrame({m: pd.Series(columns[m], dtype=object) for m in modalities})
    return X, y

