"""Recipe ``trimodal``: image + text + audio on :func:`mmfuse.datasets.make_multimodal`.

Each modality carries the class only part of the time (``informativeness``),
independently, so fusing all three beats any one. HOG on the 32x32 images,
``TfidfText`` on the texts, MFCC statistics on the 8 kHz clips. The early and
single-modality SVMs are Platt-calibrated (``CalibratedClassifierCV``,
``ensemble=False``) for ``predict_proba``.
"""

from __future__ import annotations

from mmfuse.audio import MFCCFeatures
from mmfuse.image import HOGFeatures
from mmfuse.text import TfidfText

from ._common import early_pipeline, late_classifier, modality_classifier, single_pipeline

COLUMNS = {"image": "image", "text": "text", "audio": "audio"}

PARAM_GRID = {
    "fuse__strategy": ["concat", "weighted"],
    "clf__estimator__C": [1.0, 10.0],
}


def _features(random_state=0):
    return {"image": HOGFeatures(image_size=(32, 32), pixels_per_cell=(8, 8)),
            "text": TfidfText(analyzer="word", ngram_range=(1, 1), random_state=random_state),
            "audio": MFCCFeatures(sr=8000, n_fft=256, hop_length=80, n_mels=40)}


def build(*, fusion="early", strategy="concat", rule="mean",
          modalities=("image", "text", "audio"), C=10.0, calibrate=True, memory=None,
          random_state=0):
    """The tri-modal pipeline (``modalities`` picks a subset; one gives a single model).

    ``calibrate`` wraps the early/single SVM in ``CalibratedClassifierCV`` (3 shuffled
    folds seeded by ``random_state``, the only stochastic step); late fusion always
    has ``predict_proba``.
    """
    feats = _features(random_state)
    modalities = tuple(modalities)
    kw = dict(C=C, memory=memory, calibrate=calibrate, random_state=random_state)
    if len(modalities) == 1:
        (m,) = modalities
        return single_pipeline(m, feats[m], COLUMNS[m], **kw)
    if fusion == "early":
        return early_pipeline([(m, feats[m], COLUMNS[m]) for m in modalities],
                              strategy=strategy, **kw)
    if fusion == "late":
        return late_classifier([(m, modality_classifier(feats[m], memory=memory), COLUMNS[m])
                                for m in modalities], rule=rule, memory=memory)
    raise ValueError(f"fusion must be 'early' or 'late'; got {fusion!r}")


def load_data(n_samples=900, n_classes=4, random_state=0, missing_rate=0.0):
    """``(X, y, split)``: synthetic data, first two thirds ``train``, the rest ``test``."""
    import numpy as np  # noqa: PLC0415 - data loading stays out of the recipe's import

    from mmfuse.datasets import make_multimodal  # noqa: PLC0415 - data loading stays out of the recipe's import

    X, y = make_multimodal(n_samples, n_classes, informativeness={
        "image": 0.6, "text": 0.6, "audio": 0.6}, missing_rate=missing_rate,
        random_state=random_state)
    split = np.where(np.arange(n_samples) < 2 * n_samples // 3, "train", "test")
    return X, y, split
