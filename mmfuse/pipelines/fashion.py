"""Recipe ``fashion``: product photo + product title -> article type (10 categories).

Image: dense SIFT (RootSIFT, every 4 px) encoded with VLAD over a 1x1 + 2x2 + 4x4
spatial pyramid.
Text: ``TfidfText`` (stemmed word n-grams + character n-grams). Fused early
(weighted concatenation of standardised blocks -> linear SVM) or late.

The titles often name the category ("... Navy Blue Shirt"); ``load_data(...,
mask_category=True)`` removes every word of every category name (and its
variants: singular/plural, "t-shirt"/"tshirt") from the titles, so the image
has to carry the decision. Data: ``../shared/datasets/fashion_products``
(development checkout only; see its README for source and license caveats).
"""

from __future__ import annotations

import re
from pathlib import Path

from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from mmfuse.fusion import FeatureFusion
from mmfuse.image import SIFTFeatures
from mmfuse.text import TfidfText

from ._common import late_classifier, modality_classifier

COLUMNS = {"image": "image", "text": "text"}

PARAM_GRID = {
    "fuse__weights": [None, {"image": 2.0, "text": 1.0}, {"image": 1.0, "text": 2.0}],
    "clf__C": [0.1, 1.0],
}

DEFAULT_ROOT = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "fashion_products"


def image_features(random_state=0):
    """Dense RootSIFT every 4 px, VLAD over 16 words, 1x1 + 2x2 + 4x4 pyramid.

    The best image-only setting measured on these photos (0.953 test accuracy vs
    0.940 for HOG; ``python -m benchmarks.eval_fashion_images``).
    """
    return SIFTFeatures(detector="dense", step=4, encoding="vlad", n_words=16,
                        pyramid=(1, 2, 4), max_side=224, random_state=random_state)


def text_features():
    return TfidfText()


FEATURES = {"image": image_features, "text": lambda random_state=0: text_features()}


def build(*, fusion="early", rule="mean", modalities=("image", "text"), weights=None, C=1.0,
          memory=None, random_state=0):
    """The fashion pipeline; ``modalities`` selects one or both columns."""
    modalities = tuple(modalities)
    blocks = [(m, FEATURES[m](random_state=random_state), COLUMNS[m]) for m in modalities]
    if fusion == "early" or len(modalities) == 1:
        fuse = FeatureFusion(blocks, strategy="weighted", weights=weights,
                             block_norm="standard", missing="mean", memory=memory)
        return Pipeline([("fuse", fuse), ("clf", LinearSVC(C=C))])
    if fusion == "late":
        members = [(m, modality_classifier(est, C=C, linear=True, memory=memory), col)
                   for m, est, col in blocks]
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


def load_data(root=None, *, mask_category=False):
    """``(X, y, split)`` from the fashion_products manifest (image paths + titles)."""
    from mmfuse.datasets import load_manifest

    root = Path(root) if root is not None else DEFAULT_ROOT
    manifest = root / "manifest.csv"
    if not manifest.is_file():
        raise FileNotFoundError(f"{manifest} not found: the fashion data lives in "
                                "../shared/datasets/fashion_products of the development "
                                "checkout; pass its folder as root=")
    frame = load_manifest(manifest, modalities={"image": "image", "text": "text"},
                          require_label=True)
    X = frame[["image", "text"]].copy()
    if mask_category:
        words = category_words(frame["label"].unique())
        X["text"] = [mask_words(t, words) for t in X["text"]]
    return X, frame["label"].to_numpy(), frame["split"].to_numpy()
