"""
Per-modality contributions in late fusion
=========================================

A :class:`~mmfuse.fusion.LateFusionClassifier` keeps one classifier per
modality and combines their class probabilities, so every prediction can be
taken apart: what the image model said, what the audio model said, and how
the rule weighed them. With ``weights='learn'`` the weights are fitted to
minimise the log-loss of the fused out-of-fold probabilities on the training
rows; they are in ``weights_``.

We fit one on the audio-visual digits and look at the contributions three
ways: the learned weights, each member's accuracy alone, and, row by row, the
probabilities the members gave where they disagreed.
"""

import tempfile

import matplotlib.pyplot as plt
import numpy as np
from joblib import Memory
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mmfuse.audio import MFCCFeatures
from mmfuse.datasets import load_av_digits
from mmfuse.fusion import FeatureFusion, LateFusionClassifier
from mmfuse.image import HOGFeatures
from mmfuse.report import modality_contributions

data = load_av_digits()
train, test = data.split == "train", data.split == "test"
X_train, y_train = data.X[train], data.y[train]
X_test, y_test = data.X[test].reset_index(drop=True), data.y[test]


# descriptors of rows already seen are read back from this cache, not re-extracted
memory = Memory(tempfile.mkdtemp(prefix="mmfuse-gallery-"), verbose=0)


def member(name, extractor):
    """One modality: its descriptor (cached), standardised, into a logistic regression."""
    return make_pipeline(FeatureFusion([(name, extractor, name)], block_norm=None,
                                       memory=memory),
                         StandardScaler(), LogisticRegression(C=0.05, tol=1e-3))


late = LateFusionClassifier(
    # a list selects a one-column DataFrame, which the member's FeatureFusion reads
    [("image", member("image", HOGFeatures(image_size=(28, 28), pixels_per_cell=(4, 4))),
      ["image"]),
     ("audio", member("audio", MFCCFeatures(sr=8000, n_fft=256, hop_length=80)), ["audio"])],
    rule="mean", weights="learn", cv=3).fit(X_train, y_train)
print("learned weights:",
      {n: round(float(w), 3) for n, w in zip(["image", "audio"], late.weights_)})

# %%
# Weights, members alone, and shuffling
# -------------------------------------
# :func:`mmfuse.report.modality_contributions` (what ``mmfuse evaluate``
# puts in its report) measures each member alone on its column, reads the
# weights, and shuffles each column across rows to see how much accuracy the
# fused model loses without the information of that modality.

contrib = modality_contributions(late, X_test, y_test, n_repeats=2)
names = ["image", "audio"]
fig, axes = plt.subplots(1, 3, figsize=(11, 3.3))
axes[0].bar(names, [contrib["weights"][n] for n in names], color="#c07a3a")
axes[0].set_title("learned weight")
axes[1].bar(names + ["fused"], [contrib["alone"][n] for n in names] + [contrib["fused"]],
            color=["#8fb3c7", "#8fb3c7", "#1f4e79"])
axes[1].set_ylim(0.5, 1)
axes[1].set_title("test accuracy")
perm = contrib["permutation"]
axes[2].bar(names, [perm[n]["mean"] for n in names], yerr=[perm[n]["std"] for n in names],
            color="#4c72b0", capsize=4)
axes[2].set_title("accuracy lost when shuffled")
fig.tight_layout()

# %%
# Row by row: who decided?
# ------------------------
# The members' probabilities are their own ``predict_proba`` on their own
# column; with ``rule='mean'`` the fused probability is their weighted mean.
# Below, four test rows where the two members disagree: the fused decision
# goes to the member that is more confident, scaled by its weight.

P_image = late.named_estimators_["image"].predict_proba(X_test[["image"]])
P_audio = late.named_estimators_["audio"].predict_proba(X_test[["audio"]])
P_fused = late.predict_proba(X_test)
w = late.weights_
assert np.allclose(P_fused, w[0] * P_image + w[1] * P_audio)  # the mean rule, by hand

disagree = np.flatnonzero(P_image.argmax(1) != P_audio.argmax(1))
print(f"the members disagree on {len(disagree)} of {len(X_test)} test rows; the fused "
      f"model is right on {np.mean(P_fused[disagree].argmax(1) == y_test[disagree]):.0%} "
      "of them")
rows = disagree[:4]
fig, axes = plt.subplots(2, len(rows), figsize=(12, 4.6),
                         gridspec_kw={"height_ratios": [1, 1.4]})
digits = np.arange(10)
for k, i in enumerate(rows):
    axes[0, k].imshow(X_test["image"][i], cmap="gray")
    axes[0, k].set_title(f"row {i}: true {y_test[i]}")
    axes[0, k].set_axis_off()
    ax = axes[1, k]
    ax.bar(digits - 0.27, P_image[i], width=0.27, label="image member", color="#8fb3c7")
    ax.bar(digits, P_audio[i], width=0.27, label="audio member", color="#7fb77e")
    ax.bar(digits + 0.27, P_fused[i], width=0.27, label="fused", color="#1f4e79")
    ax.set_xticks(digits)
    ax.set_ylim(0, 1)
    ax.set_xlabel(f"digit (fused: {P_fused[i].argmax()})")
axes[1, 0].set_ylabel("probability")
axes[1, 0].legend(fontsize=8, loc="upper left")
fig.tight_layout()
plt.show()
