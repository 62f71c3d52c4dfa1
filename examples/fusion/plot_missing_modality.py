"""
A modality missing at predict time
==================================

In production a row often arrives without one of its modalities: the camera
was off, the recording failed. mmfuse treats a ``None``/NaN cell as a missing
modality, not as an error, and every fuser has a policy for it:

* :class:`~mmfuse.fusion.FeatureFusion` ``missing='mean'`` fills the missing
  block with the mean of the training rows' block (``'zero'`` with zeros);
* :class:`~mmfuse.fusion.LateFusionClassifier` ``missing='renormalize'`` (the
  default) combines only the members whose modality is present;
* :class:`~mmfuse.fusion.KernelFusionClassifier` drops the block from that
  row's kernel and renormalises the other weights.

A row with *no* modality present is an error row (see :ref:`row-contract`).
Here we train an early and a late fuser on complete rows of the audio-visual
digits, then remove the audio, or the image, from a growing share of the test
rows.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from mmfuse.audio import MFCCFeatures
from mmfuse.datasets import load_av_digits
from mmfuse.fusion import FeatureFusion, LateFusionClassifier
from mmfuse.image import HOGFeatures

data = load_av_digits()
train, test = data.split == "train", data.split == "test"
X_train, y_train = data.X[train], data.y[train]
X_test, y_test = data.X[test].reset_index(drop=True), data.y[test]


def hog():
    return HOGFeatures(image_size=(28, 28), pixels_per_cell=(4, 4))


def mfccs():
    return MFCCFeatures(sr=8000, n_fft=256, hop_length=80)


early = make_pipeline(
    FeatureFusion([("image", hog(), "image"), ("audio", mfccs(), "audio")],
                  block_norm="standard", missing="mean"),
    SVC(C=10)).fit(X_train, y_train)
late = LateFusionClassifier(
    [("image", make_pipeline(hog(), StandardScaler(), LogisticRegression(C=0.05, tol=1e-3)),
      "image"),
     ("audio", make_pipeline(mfccs(), StandardScaler(), LogisticRegression(C=0.05, tol=1e-3)),
      "audio")],
    rule="mean").fit(X_train, y_train)

# %%
# Each row is fused from what it has
# ----------------------------------
# The prediction of a row depends only on that row, so three predictions per
# model tell everything: with both modalities, with the audio blanked and with
# the image blanked.


def blank(X, column, rows=slice(None)):
    X = X.copy()
    X[column] = X[column].astype(object)
    X.loc[rows, column] = None
    return X


correct = {}
for name, model in (("early, missing='mean'", early), ("late, renormalize", late)):
    correct[name] = {cond: model.predict(X) == y_test for cond, X in (
        ("both", X_test), ("no audio", blank(X_test, "audio")),
        ("no image", blank(X_test, "image")))}
    print(f"{name:<22} " + "   ".join(f"{c} {v.mean():.3f}" for c, v in correct[name].items()))

# %%
# The same holds inside one batch: half of the rows without audio are
# predicted exactly as they were alone.

half = np.random.default_rng(0).random(len(X_test)) < 0.5
mixed = early.predict(blank(X_test, "audio", half))
assert np.array_equal(mixed[half], early.predict(blank(X_test, "audio"))[half])
assert np.array_equal(mixed[~half], early.predict(X_test)[~half])
print(f"mixed batch, {half.sum()} rows without audio: accuracy {np.mean(mixed == y_test):.3f}")

# %%
# The late fuser falls back to its member
# ---------------------------------------
# Without the audio, the late fuser's prediction is the image member's own
# (a scaled HOG into a logistic regression); nothing of the audio member leaks
# in.

image_member = late.named_estimators_["image"]
assert np.array_equal(late.predict(blank(X_test, "audio")),
                      image_member.predict(X_test["image"]))

# %%
# Accuracy as the share of incomplete rows grows
# ----------------------------------------------
# With a share ``p`` of rows missing a modality, the accuracy is the mix of
# the two conditions. On complete rows early fusion is clearly better; the
# late fuser loses less per incomplete row, because the early fuser fills in
# an average training block that its SVM never saw during training. Where the
# lines cross, the late fuser becomes the better choice.

share = np.linspace(0, 1, 21)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
for ax, cond in zip(axes, ("no audio", "no image")):
    curves = {}
    for name, style in zip(correct, ("-o", "-s")):
        curves[name] = ((1 - share) * correct[name]["both"].mean()
                        + share * correct[name][cond].mean())
        ax.plot(share * 100, curves[name], style, label=name, ms=4)
    early_acc, late_acc = curves.values()
    cross = share[np.argmax(late_acc >= early_acc)] if (late_acc >= early_acc).any() else None
    print(f"{cond}: late fusion is at least as accurate from "
          + ("never" if cross is None else f"{cross:.0%} of incomplete rows on"))
    ax.set_title(f"{cond} in a share of the test rows")
    ax.set_xlabel("rows missing the modality (%)")
    ax.grid(alpha=0.3)
axes[0].set_ylabel("test accuracy")
axes[0].legend()
fig.tight_layout()
plt.show()
