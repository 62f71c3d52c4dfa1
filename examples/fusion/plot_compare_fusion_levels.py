"""
Early, late or kernel fusion? A comparison on the audio-visual digits
=====================================================================

mmfuse fuses modalities at three levels:

* **feature level (early)**, :class:`~mmfuse.fusion.FeatureFusion`: the
  normalised descriptor blocks are joined into one vector for one classifier;
* **kernel level**, :class:`~mmfuse.fusion.KernelFusionClassifier`: one kernel
  per modality, combined with learned weights into the kernel of one SVM;
* **model level (late)**, :class:`~mmfuse.fusion.LateFusionClassifier`: one
  classifier per modality, their class probabilities combined by a rule
  (Kittler et al. 1998).

We train each on the 1,000 training pairs of the embedded audio-visual digits
(a degraded MNIST digit and a noisy spoken digit per row), beside each modality
alone, and score the 500 test pairs. Every model uses the same two
descriptors: HOG on 4×4-pixel cells for the image, pooled MFCC statistics for
the audio. The cache of :class:`joblib.Memory` makes each descriptor be
extracted once and reused by every model that asks for it.
"""

import tempfile
import time

import matplotlib.pyplot as plt
import numpy as np
from joblib import Memory
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from mmfuse.audio import MFCCFeatures
from mmfuse.datasets import load_av_digits
from mmfuse.fusion import FeatureFusion, KernelFusionClassifier, LateFusionClassifier
from mmfuse.image import HOGFeatures

data = load_av_digits()
train, test = data.split == "train", data.split == "test"
X_train, y_train = data.X[train], data.y[train]
X_test, y_test = data.X[test], data.y[test]
memory = Memory(tempfile.mkdtemp(prefix="mmfuse-gallery-"), verbose=0)


def image_features():
    return HOGFeatures(image_size=(28, 28), pixels_per_cell=(4, 4))


def audio_features():
    return MFCCFeatures(sr=8000, n_fft=256, hop_length=80)


def single(name, extractor):
    """One modality: its descriptor, standardised, into an RBF SVM."""
    return Pipeline([("fuse", FeatureFusion([(name, extractor, name)], block_norm=None,
                                            memory=memory)),
                     ("scale", StandardScaler()), ("svc", SVC(C=10))])


models = {
    "image only": single("image", image_features()),
    "audio only": single("audio", audio_features()),
    "early (concat)": Pipeline([
        ("fuse", FeatureFusion([("image", image_features(), "image"),
                                ("audio", audio_features(), "audio")],
                               block_norm="standard", memory=memory)),
        ("svc", SVC(C=10))]),
    "kernel (alignment)": KernelFusionClassifier(
        [("image", image_features(), "image", "intersection"),
         ("audio", make_pipeline(audio_features(), StandardScaler()), "audio", "rbf")],
        weights="alignment", estimator=SVC(kernel="precomputed", C=10)),
    "late (product)": LateFusionClassifier(
        # a list selects a one-column DataFrame, which the member's fuser reads
        [("image", single("image", image_features()), ["image"]),
         ("audio", single("audio", audio_features()), ["audio"])],
        rule="product", cv=3),
}

# %%
# Fit and score
# -------------
# The late fuser calibrates each member's SVM on 3 folds (``cv=3``), so it
# fits each member three times; that is most of its extra time.

results = {}
for name, model in models.items():
    t0 = time.perf_counter()
    model.fit(X_train, y_train)
    fit_s = time.perf_counter() - t0
    accuracy = float(np.mean(model.predict(X_test) == y_test))
    results[name] = (accuracy, fit_s)
    print(f"{name:<20} accuracy {accuracy:.3f}   fit {fit_s:5.1f} s")

# %%
# The three levels beside each modality alone
# -------------------------------------------
# Either modality alone misreads many digits (the images are occluded, the
# recordings noisy), and the errors of the two are largely independent, so
# every fused model beats both. The kernel weights learned by centered
# alignment tell how much of the fused kernel each modality makes.

names = list(results)
acc = [results[n][0] for n in names]
colors = ["#8fb3c7", "#8fb3c7", "#1f4e79", "#2e7d4f", "#c07a3a"]
fig, ax = plt.subplots(figsize=(8, 3.8))
bars = ax.barh(names[::-1], acc[::-1], color=colors[::-1])
ax.bar_label(bars, labels=[f"{a:.3f}" for a in acc[::-1]], padding=3)
ax.set_xlim(0.5, 1.02)
ax.set_xlabel("test accuracy (500 pairs)")
ax.set_title("one modality vs three levels of fusion")
fig.tight_layout()

weights = models["kernel (alignment)"].named_weights_
print("kernel weights learned by alignment:",
      ", ".join(f"{k} {v:.2f}" for k, v in weights.items()))

# %%
# Which one to pick
# -----------------
# Early fusion is one fast model and the default when every row has every
# modality. Kernel fusion keeps each modality's own similarity (an
# intersection kernel on HOG histograms, RBF on MFCC statistics) and learns
# their weights, at the price of an ``(n, n)`` kernel per modality. Late fusion
# keeps one model per modality: it is the one to use when modalities are often
# missing, come from different pipelines, or must be retrained separately
# (see :ref:`sphx_glr_auto_examples_fusion_plot_missing_modality.py`). The
# user guide's :ref:`fusion-levels` page has the full table.
plt.show()
