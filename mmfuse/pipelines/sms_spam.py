"""Recipe ``sms_spam``: SMS text -> ham/spam with ``TfidfText`` and a linear SVM.

The SVM is Platt-calibrated (``CalibratedClassifierCV``, ``ensemble=False``) for
``predict_proba``.

Evaluated on the SMS Spam Collection (Almeida & Gomez Hidalgo 2011); its loader
is ``benchmarks._data.load_sms_spam`` of the development checkout (the recipe
itself reads no data).
"""

from __future__ import annotations

from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from mmfuse.fusion import FeatureFusion
from mmfuse.text import TfidfText

from ._common import calibrated

COLUMNS = {"text": "text"}

PARAM_GRID = {
    "fuse__text__ngram_range": [(1, 1), (1, 2)],
    "clf__estimator__C": [0.3, 1.0, 3.0],
}


def build(*, C=1.0, calibrate=True, memory=None, random_state=0, **text_params):
    """``FeatureFusion([TfidfText(**text_params)])`` -> ``LinearSVC(C)``, calibrated.

    ``random_state`` seeds the SVM's coordinate descent, the calibration folds and
    ``TfidfText`` (its optional SVD); ``calibrate=False`` leaves the bare SVM
    (no ``predict_proba``).
    """
    text_params.setdefault("random_state", random_state)
    fuse = FeatureFusion([("text", TfidfText(**text_params), "text")], block_norm=None,
                         memory=memory)
    clf = LinearSVC(C=C, random_state=random_state)
    return Pipeline([("fuse", fuse), ("clf", calibrated(clf, random_state) if calibrate
                                      else clf)])

