"""
MFCCs of a spoken digit as a heat map
=====================================

Mel-frequency cepstral coefficients (Davis & Mermelstein 1980) summarise the
spectral envelope of each short frame of speech: a power spectrogram, a mel
filter bank, decibels, then a discrete cosine transform that keeps the first
few coefficients. :func:`mmfuse.audio.mfcc` computes them for a batch of clips
at once and equals :func:`librosa.feature.mfcc` with the same parameters;
:class:`~mmfuse.audio.MFCCFeatures` turns the frames of each clip into one
fixed-length vector for a classifier.

The spoken digits of :func:`~mmfuse.datasets.load_av_digits` are Free Spoken
Digit Dataset recordings at 8 kHz; we use 32 ms frames (256 samples) every
10 ms (80 samples), the setting of the ``av_digits`` recipe.
"""

import matplotlib.pyplot as plt
import numpy as np

from mmfuse.audio import MFCCFeatures, mfcc
from mmfuse.datasets import load_av_digits

data = load_av_digits(degrade=False)  # the clean recordings
i = int(np.flatnonzero(data.y == 7)[0])
clip, sr = data.X["audio"][i]
print(f"digit {data.y[i]}: {len(clip)} samples at {sr} Hz = {len(clip) / sr:.2f} s")

# %%
# Cepstra of one clip
# -------------------
# ``M[k, t]`` is coefficient ``k`` of frame ``t``. Coefficient 0 follows the
# loudness of the frame; the higher ones describe the shape of the spectrum,
# and change where the phonemes of "seven" change.

M = mfcc(clip, sr=sr, n_mfcc=20, n_fft=256, hop_length=80, n_mels=40)
print(f"MFCC matrix: {M.shape[0]} coefficients x {M.shape[1]} frames")
t = np.arange(len(clip)) / sr

fig, (ax_wave, ax_mfcc) = plt.subplots(2, 1, figsize=(8, 5.5), sharex=True,
                                       layout="constrained",
                                       gridspec_kw={"height_ratios": [1, 2.2]})
ax_wave.plot(t, clip, lw=0.5, color="#333")
ax_wave.set_ylabel("amplitude")
ax_wave.set_title(f'spoken "{data.y[i]}" ({data.frame["id"][i].split("+")[0]})')
frame_times = np.arange(M.shape[1]) * 80 / sr  # frame t is centred on sample t * hop_length
mesh = ax_mfcc.pcolormesh(frame_times, np.arange(M.shape[0]), M, cmap="coolwarm",
                          shading="nearest",
                          vmin=-np.abs(M[1:]).max(), vmax=np.abs(M[1:]).max())
ax_mfcc.set_xlabel("time (s)")
ax_mfcc.set_ylabel("MFCC coefficient")
fig.colorbar(mesh, ax=[ax_wave, ax_mfcc], label="value (coefficient 0 off scale)",
             shrink=0.7)

# %%
# The same coefficients for every digit
# -------------------------------------
# One recording of each digit, side by side on a common colour scale
# (coefficients 1-12, the ones that carry the spectral shape). Each word leaves
# its own pattern; the classifier sees these patterns pooled over time.

fig, axes = plt.subplots(2, 5, figsize=(12, 5.2), sharey=True, layout="constrained")
limit = 0
heat = []
for digit in range(10):
    j = int(np.flatnonzero(data.y == digit)[0])
    y_d, _ = data.X["audio"][j]
    heat.append(mfcc(y_d, sr=sr, n_mfcc=13, n_fft=256, hop_length=80, n_mels=40)[1:])
    limit = max(limit, np.abs(heat[-1]).max())
for digit, (ax, H) in enumerate(zip(axes.ravel(), heat)):
    im = ax.imshow(H, aspect="auto", origin="lower", cmap="coolwarm", vmin=-limit, vmax=limit,
                   extent=(0, H.shape[1] * 80 / sr, 0.5, 12.5))
    ax.set_title(f'"{digit}"')
    ax.set_xlabel("s")
axes[0, 0].set_ylabel("coefficient")
axes[1, 0].set_ylabel("coefficient")
fig.colorbar(im, ax=axes, shrink=0.8)

# %%
# From frames to one vector per clip
# ----------------------------------
# :class:`~mmfuse.audio.MFCCFeatures` pools the frames of every clip of a
# column (paths, arrays or ``(y, sr)`` tuples) into one row: per-coefficient
# statistics, deltas and the mean over a few time segments, after silence
# trimming and per-utterance normalisation (see its Notes for the choices and
# their measured effect). Its output is what early fusion concatenates.

features = MFCCFeatures(sr=8000, n_fft=256, hop_length=80).fit(data.X["audio"][:10])
Z = features.transform(data.X["audio"][:10])
names = features.get_feature_names_out()
print(f"{Z.shape[1]} features per clip, e.g. {', '.join(names[:3])} ... {names[-1]}")
plt.show()
