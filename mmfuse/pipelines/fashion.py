"""Recipe ``fashion``: product photo + product title -> article type (10 categories).

Image: HOG of the photo resized to 128x128 and dense RootSIFT + VLAD over a
spatial pyramid as two blocks (``image=('hog', 'sift')``, default), or either
alone (``image='hog'``, ``image='sift'``). Text: ``TfidfText`` (stemmed word n-grams + character
n-grams). Early fusion: every block L2-normalised per row (so neither the 8,100-d
HOG nor the sparse TF-IDF block dominates by its width or scale), weighted,
concatenated -> linear SVM, Platt-calibrated for ``predict_proba``. Late fusion
combines the calibrated per-modality linear SVMs.

The defaults were chosen by repeated stratified 5-fold cross-validation on the
1,200 training items only (``python -m benchmarks.eval_fashion``); the 300-item
test split gives the final number.

The titles often name the category ("... Navy Blue Shirt"); masking
(:func:`category_words` + :func:`mask_words`) removes every word of every
category name (and its variants: singular/plural, "t-shirt"/"tshirt") from the
titles, so the image has to carry more of the decision. The recipe reads no
data: the ``fashion_products`` data set of the development checkout is loaded by
``benchmarks._data.load_fashion`` (see the data set's README for source and
license caveats).
"""

from __future__ import annotations

import re

from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import Normalizer, StandardScaler
from sklearn.svm import LinearSVC

from mmfuse.fusion import FeatureFusion
from mmfuse.image import HOGFeatures, SIFTFeatures
from mmfuse.text import TfidfText

from ._common import calibrated, late_classifier

COLUMNS = {"image": "image", "text": "text"}

PARAM_GRID = {
    "fuse__weights": [None, {"text": 0.5}, {"image_hog": 0.5, "image_sift": 0.5}],
    "clf__estimator__C": [1.0, 3.0, 10.0],
}

IMAGE_ENCODINGS = ("hog", "sift")


def hog_features():
    """HOG (Dalal & Triggs: 9 orientations, 8x8-pixel cells, 2x2-cell L2-Hys blocks) at 128x128."""
    return HOGFeatures(image_size=(128, 128), pixels_per_cell=(8, 8), cells_per_block=(2, 2))


def sift_features(random_state=0):
    """Dense RootSIFT (16-px patches every 4 px) of the photo shrunk to 96 px, VLAD over
    16 words, 1x1 + 2x2 + 4x4 pyramid (21 regions x 2,048 = 43,008 features)."""
    return SIFTFeatures(detector="dense", step=4, patch_size=16, encoding="vlad", n_words=16,
                        pyramid=(1, 2, 4), max_side=96, random_state=random_state)


def text_features():
    return TfidfText()


def _image_blocks(image, random_state):
    encodings = (image,) if isinstance(image, str) else tuple(image)
    bad = [e for e in encodings if e not in IMAGE_ENCODINGS]
    if not encodings or bad:
        raise ValueError(f"image must be one of {IMAGE_ENCODINGS} or a tuple of them; "
                         f"got {image!r}")
    make = {"hog": hog_features, "sift": lambda: sift_features(random_state)}
    if len(encodings) == 1:
        return [("image", make[encodings[0]](), COLUMNS["image"])]
    return [(f"image_{e}", make[e](), COLUMNS["image"]) for e in encodings]


def _normaliser(block_norm, extractor):
    """The per-block normalisation of early fusion as a late-fusion member's step."""
    if block_norm == "l2":
        return Normalizer()
    if block_norm == "standard":
        return StandardScaler(with_mean=not isinstance(extractor, TfidfText))
    return "passthrough"


def _classifier(kind, C, random_state):
    if kind == "linearsvc":
        return LinearSVC(C=C, random_state=random_state)
    if kind == "logreg":
        return LogisticRegression(C=C, max_iter=5000)
    raise ValueError(f"classifier must be 'linearsvc' or 'logreg'; got {kind!r}")


def build(*, fusion="early", rule="mean", modalities=("image", "text"),
          image=("hog", "sift"), weights=None, block_norm="l2", C=3.0, classifier="linearsvc",
          calibrate=True, memory=None, random_state=0):
    """The fashion pipeline.

    Parameters
    ----------
    fusion : {'early', 'late'}
    rule : late-fusion rule (LateFusionClassifier ``rule``).
    modalities : which of ``'image'``, ``'text'`` to use; one gives a single-modality model.
    image : {'hog', 'sift'} or tuple of them, default=('hog', 'sift')
        Image encoding(s); a tuple gives one block per encoding (named
        ``image_hog``, ``image_sift``), else the block is named ``image``.
    weights : dict, optional
        Early-fusion block weights by block name (FeatureFusion ``weights``).
    block_norm : {'l2', 'standard'} or None, default='l2'
        Per-block normalisation (FeatureFusion ``block_norm``).
    C : float, default=3.0
        Regularisation of the linear classifier.
    classifier : {'linearsvc', 'logreg'}, default='linearsvc'
    calibrate : bool, default=True
        Wrap the classifier in ``CalibratedClassifierCV(method='sigmoid', cv=3,
        ensemble=False)`` (gives ``predict_proba``; ``'logreg'`` has its own and
        is never wrapped).
    memory : joblib.Memory or path, optional
        Cache of the extracted descriptors (FeatureFusion ``memory``).
    random_state : int, default=0
        Seeds the SIFT codebook, the linear SVM's coordinate descent and the
        calibration folds.
    """
    modalities = tuple(modalities)
    blocks = []
    for m in modalities:
        if m == "image":
            blocks += _image_blocks(image, random_state)
        elif m == "text":
            blocks.append(("text", text_features(), COLUMNS["text"]))
        else:
            raise ValueError(f"modalities must be drawn from {tuple(COLUMNS)}; got {m!r}")
    if fusion == "early" or len(modalities) == 1:
        clf = _classifier(classifier, C, random_state)
        if calibrate and classifier != "logreg":
            clf = calibrated(clf, random_state)
        fuse = FeatureFusion(blocks, strategy="weighted", weights=weights,
                             block_norm=block_norm, missing="mean", memory=memory)
        return Pipeline([("fuse", fuse), ("clf", clf)])
    if fusion == "late":
        members = [(name, Pipeline([("features", est), ("norm", _normaliser(block_norm, est)),
                                    ("clf", _classifier(classifier, C, random_state))],
                                   memory=memory), col)
                   for name, est, col in blocks]
        return late_classifier(members, rule=rule)
    raise ValueError(f"fusion must be 'early' or 'late'; got {fusion!r}")


def category_words(labels):
    """Lower-case words of the category names with their usual title variants."""
    words = set()
    for label in labels:
        for w in re.findall(r"[a-z]+", str(label).lower()):
            stem = w[:-2] if w.endswith(("ches", "shes", "sses", "xes")) else w.rstrip("s")
            words |= {w, stem, stem + "s", stem + "es"}
            if w.startswith("t") and w.rstrip("s") == "tshirt":
                words |= {"t", "shirt", "shirts", "tee", "tees"}
    words.discard("")
    return words


def mask_words(text, words):
    """Remove the given words (case-insensitive, hyphen-split) from a title."""
    tokens = re.split(r"(\s+|-)", str(text))
    kept = [t for t in tokens if t.strip("- ").lower() not in words]
    return re.sub(r"\s+", " ", "".join(kept).replace(" - ", " ")).strip(" -")

