"""Building blocks shared by the recipes."""

from __future__ import annotations

from sklearn.calibration import CalibratedClassifierCV
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from mmfuse.fusion import FeatureFusion, LateFusionClassifier
from mmfuse.svm import FastSVC

LATE_RULES = ("mean", "weighted", "product", "geometric", "max", "min", "median", "vote",
              "stack", "learn")
EARLY_STRATEGIES = ("concat", "weighted", "sum", "average", "product", "tensor")

#: folds of the Platt calibration that gives every recipe's default ``predict_proba``
CALIBRATION_FOLDS = 3


def calibrated(estimator, random_state=0):
    """``CalibratedClassifierCV(estimator, method='sigmoid', ensemble=False)``.

    Platt scaling fitted on out-of-fold decision values of 3 shuffled stratified
    folds (seeded by ``random_state``); ``estimator`` itself is refitted on all
    rows and its decision values are mapped to probabilities (one-vs-rest
    sigmoids, normalised to sum to 1). Predictions are the argmax of those
    probabilities.
    """
    folds = StratifiedKFold(CALIBRATION_FOLDS, shuffle=True, random_state=random_state)
    return CalibratedClassifierCV(estimator, method="sigmoid", cv=folds, ensemble=False)


def _decider(clf, calibrate, random_state):
    return calibrated(clf, random_state) if calibrate else clf


def early_pipeline(blocks, *, strategy="concat", weights=None, common_dim=None, C=10.0,
                   missing="mean", memory=None, calibrate=True, random_state=0):
    """``FeatureFusion(blocks)`` -> ``FastSVC(C)`` (RBF, calibrated); element-wise strategies
    project to ``common_dim``."""
    if strategy not in EARLY_STRATEGIES:
        raise ValueError(f"strategy must be one of {EARLY_STRATEGIES}; got {strategy!r}")
    if common_dim is None and strategy in ("sum", "average", "product"):
        common_dim = 64
    if common_dim is None and strategy == "tensor":
        common_dim = 16
    fuse = FeatureFusion(blocks, strategy=strategy, weights=weights, block_norm="standard",
                         common_dim=common_dim, missing=missing, memory=memory)
    return Pipeline([("fuse", fuse), ("clf", _decider(FastSVC(C=C), calibrate, random_state))])


def single_pipeline(name, extractor, column=None, *, C=10.0, memory=None, calibrate=True,
                    random_state=0):
    """One modality: ``FeatureFusion([one block])`` -> ``StandardScaler`` -> ``FastSVC``
    (calibrated)."""
    fuse = FeatureFusion([(name, extractor, column or name)], block_norm=None, memory=memory)
    return Pipeline([("fuse", fuse), ("scale", _scaler(extractor)),
                     ("clf", _decider(FastSVC(C=C), calibrate, random_state))])


def _scaler(extractor):
    """Standardise; sparse TF-IDF blocks are scaled without centring (which would densify).

    Centring matters for dense blocks even with an RBF SVM: ``gamma='scale'`` is
    ``1 / (n_features * X.var())`` and ``X.var()`` includes the spread of the
    feature means.
    """
    sparse = type(extractor).__name__ == "TfidfText" and extractor.svd_components is None
    return StandardScaler(with_mean=not sparse)


def modality_classifier(extractor, *, C=10.0, memory=None, linear=False, random_state=0):
    """extractor -> StandardScaler -> FastSVC (or LinearSVC): one late-fusion member.

    The same classifier as :func:`single_pipeline` before calibration, so a late
    fuser that loses a modality at predict time falls back to (the
    Platt-calibrated version of) the single-modality model of the modality that
    remains.
    """
    clf = LinearSVC(C=C, random_state=random_state) if linear else FastSVC(C=C)
    return Pipeline([("features", extractor), ("scale", _scaler(extractor)), ("clf", clf)],
                    memory=memory)


def late_classifier(members, *, rule="mean", weights=None, cv=3, memory=None):
    """``LateFusionClassifier``; ``rule='learn'`` is the weighted rule with learned weights.

    Members without ``predict_proba`` (SVMs) are Platt-calibrated by the fuser
    with ``cv`` folds; 3 keeps training affordable. ``memory`` caches the
    members' fits and out-of-fold probabilities (shared by fusers that differ
    only in the rule).
    """
    if rule not in LATE_RULES:
        raise ValueError(f"rule must be one of {LATE_RULES}; got {rule!r}")
    if rule == "learn":
        rule, weights = "weighted", "learn"
    return LateFusionClassifier(members, rule=rule, weights=weights, cv=cv, memory=memory)
