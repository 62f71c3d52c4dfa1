"""Recipe ``av_digits``: handwritten digit image + spoken digit, on the embedded demo data.

Image: HOG on the 28x28 digit (4x4-pixel cells). Audio: MFCC statistics at the
data's native 8 kHz (32 ms windows, 10 ms hop). Early fusion standardises each
block and feeds an RBF SVM, Platt-calibrated (``CalibratedClassifierCV``,
``ensemble=False``) for ``predict_proba``; late fusion combines the
Platt-calibrated single-modality SVMs. Data: :func:`mmfuse.datasets.load_av_digits`.
"""

from __future__ import annotations

from mmfuse.audio import MFCCFeatures
from mmfuse.image import HOGFeatures

from ._common import early_pipeline, late_classifier, modality_classifier, single_pipeline

COLUMNS = {"image": "image", "audio": "audio"}

PARAM_GRID = {
    "fuse__weights": [None, {"image": 1.0, "audio": 0.5}, {"image": 0.5, "audio": 1.0}],
    "clf__estimator__C": [1.0, 10.0],
}


def image_features():
    return HOGFeatures(image_size=(28, 28), pixels_per_cell=(4, 4), cells_per_block=(2, 2))


def audio_features():
    return MFCCFeatures(sr=8000, n_fft=256, hop_length=80, n_mels=40)


FEATURES = {"image": image_features, "audio": audio_features}


def build(*, fusion="early", strategy="weighted", rule="mean", modalities=("image", "audio"),
          C=10.0, calibrate=True, memory=None, random_state=0):
    """The AV-digits pipeline.

    Parameters
    ----------
    fusion : {'early', 'late'}
    strategy : early-fusion strategy (FeatureFusion ``strategy``).
    rule : late-fusion rule (LateFusionClassifier ``rule``; ``'learn'`` = learned weights).
    modalities : which columns to use; a single one gives a single-modality model.
    C : SVM regularisation of the early/single models.
    calibrate : bool, default=True
        Wrap the early/single SVM in ``CalibratedClassifierCV(method='sigmoid',
        ensemble=False)`` on 3 shuffled folds, which gives ``predict_proba``
        (late fusion always has it).
    memory : joblib.Memory or path caching the extracted descriptors (and, for
        late fusion, the members' fits and out-of-fold probabilities).
    random_state : int, default=0
        Seeds the calibration folds (the only stochastic step).
    """
    modalities = tuple(modalities)
    kw = dict(C=C, memory=memory, calibrate=calibrate, random_state=random_state)
    if len(modalities) == 1:
        (m,) = modalities
        return single_pipeline(m, FEATURES[m](), COLUMNS[m], **kw)
    if fusion == "early":
        return early_pipeline([(m, FEATURES[m](), COLUMNS[m]) for m in modalities],
                              strategy=strategy, **kw)
    if fusion == "late":
        return late_classifier([(m, modality_classifier(FEATURES[m](), C=C, memory=memory),
                                 COLUMNS[m]) for m in modalities], rule=rule, memory=memory)
    raise ValueError(f"fusion must be 'early' or 'late'; got {fusion!r}")


def load_data():
    """``(X, y, split)`` of the embedded AV digits."""
    from mmfuse.datasets import load_av_digits  # noqa: PLC0415 - data loading stays out of the recipe's import

    d = load_av_digits()
    return d.X, d.y, d.split
