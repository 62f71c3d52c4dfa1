"""Real-data evaluation of dense SIFT encodings (BoVW / VLAD / Fisher) beside HOG.

Datasets (``../shared/datasets``, see their READMEs):

* ``fashion``: 1,500 Myntra product photos (224×224), 10 article types, the
  manifest's 1,200/300 train/test split; image column only.
* ``mnist``: the 6,000/1,000 MNIST subset (28×28 digits).

Every feature set is fed to the same ``LinearSVC`` (scikit-learn defaults,
``C=1``), fitted on the train split, accuracy on the test split.

Run from the repository root::

    python -m benchmarks.eval_fashion_images            # both datasets
    python -m benchmarks.eval_fashion_images --dataset fashion --quick
    python -m benchmarks.eval_fashion_images --dataset fashion --case "SPM 1,2,4"
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.svm import LinearSVC

from mmfuse.image import SIFTFeatures

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


_CASE = None  # substring filter on the case names (--case)


def _score(name, extractor, Xtr, ytr, Xte, yte):
    if _CASE is not None and _CASE not in name:
        return None
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Ftr = extractor.fit_transform(Xtr)
        Fte = extractor.transform(Xte)
    t_feat = time.perf_counter() - t
    clf = LinearSVC(C=1.0, max_iter=5000).fit(Ftr, ytr)
    acc = float((clf.predict(Fte) == yte).mean())
    print(f"{name:<38s} dim={Ftr.shape[1]:>6d}  acc={acc:.4f}  features {t_feat:6.1f} s",
          flush=True)
    return acc


def _hog(**kw):
    try:
        from mmfuse.image import HOGFeatures
    except (ImportError, AttributeError):
        return None
    return HOGFeatures(**kw)


def fashion(quick=False):
    import pandas as pd

    root = DATA / "fashion_products"
    m = pd.read_csv(root / "manifest.csv")
    if quick:
        m = m.groupby(["label", "split"]).head(12)
    paths = [str(root / p) for p in m["image"]]
    tr = (m["split"] == "train").to_numpy()
    Xtr = [p for p, t in zip(paths, tr) if t]
    Xte = [p for p, t in zip(paths, tr) if not t]
    ytr, yte = m["label"][tr].to_numpy(), m["label"][~tr].to_numpy()
    print(f"fashion_products: {len(Xtr)} train / {len(Xte)} test images, "
          f"{m['label'].nunique()} classes")
    hog = _hog(image_size=(128, 128))
    if hog is not None:
        _score("HOG (HOGFeatures 128x128)", hog, Xtr, ytr, Xte, yte)
    else:
        print("HOG: mmfuse.image.HOGFeatures not available")
    common = dict(detector="dense", step=8, patch_size=16, random_state=0)
    _score("dense SIFT + BoVW (256 words, SPM 1,2)",
           SIFTFeatures(encoding="bovw", n_words=256, **common), Xtr, ytr, Xte, yte)
    _score("dense SIFT + VLAD (64 words, SPM 1,2)",
           SIFTFeatures(encoding="vlad", n_words=64, **common), Xtr, ytr, Xte, yte)
    _score("dense SIFT + Fisher (32 comp., SPM 1,2)",
           SIFTFeatures(encoding="fisher", n_words=32, **common), Xtr, ytr, Xte, yte)
    # a finer pyramid with a smaller vocabulary: product photos are centred on a
    # white background, so where the gradients are matters (HOG's strength)
    _score("dense SIFT step 4 + VLAD (16 words, SPM 1,2,4)",
           SIFTFeatures(encoding="vlad", n_words=16, step=4, patch_size=16,
                        pyramid=(1, 2, 4), random_state=0), Xtr, ytr, Xte, yte)


def mnist(quick=False):
    d = np.load(DATA / "mnist" / "mnist_subset.npz")
    Xtr, ytr, Xte, yte = d["x_train"], d["y_train"], d["x_test"], d["y_test"]
    if quick:
        Xtr, ytr, Xte, yte = Xtr[:1000], ytr[:1000], Xte[:300], yte[:300]
    print(f"mnist: {len(Xtr)} train / {len(Xte)} test images")
    _score("dense SIFT (step 4, patch 12) + VLAD 16",
           SIFTFeatures(step=4, patch_size=12, encoding="vlad", n_words=16, random_state=0),
           Xtr, ytr, Xte, yte)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", choices=["fashion", "mnist", "all"], default="all")
    ap.add_argument("--quick", action="store_true", help="small subsets (smoke run)")
    ap.add_argument("--case", default=None,
                    help="run only the cases whose name contains this text")
    args = ap.parse_args(argv)
    global _CASE
    _CASE = args.case
    if args.dataset in ("mnist", "all"):
        mnist(args.quick)
    if args.dataset in ("fashion", "all"):
        fashion(args.quick)


if __name__ == "__main__":
    main()
