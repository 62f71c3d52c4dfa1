"""FeatureFusion(memory=...) against no cache: a GridSearchCV where extraction is the costly part.

Run from the repository root::

    python -m benchmarks.bench_fusion            # 300 samples, 128x128 images, 2 s clips
    python -m benchmarks.bench_fusion --quick    # 120 samples, 32x32 images, 0.5 s clips

Workload: :func:`mmfuse.datasets.make_multimodal` (image + text + audio), one
``FeatureFusion(strategy='weighted')`` block per modality followed by a
``LinearSVC``; ``GridSearchCV`` over 12 settings (``clf__C`` x
``fuse__weights``) x 3 folds. The blocks are mmfuse's own extractors
(``SIFTFeatures`` - dense SIFT + a fitted VLAD codebook, the costly kind the
cache is for -, ``TfidfText``, ``MFCCFeatures``) where they import and work;
otherwise the peer libraries' (scikit-image HOG, librosa MFCC) wrapped in a
``FunctionTransformer``, which is just as costly. The same search runs twice in
the same process: without a cache, and with ``memory=`` pointing to a fresh
(cold) cache directory. It prints both times, the ratio cached/plain (target
<= 0.25) and whether the best parameters and CV scores are identical.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings

import numpy as np


def skimage_hog(images):
    """HOG of every image with scikit-image (the peer extractor), float32."""
    from skimage.feature import hog

    return np.stack([hog(np.asarray(im, dtype=np.float32) / 255.0, orientations=9,
                         pixels_per_cell=(8, 8), cells_per_block=(2, 2))
                     for im in images]).astype(np.float32)


def librosa_mfcc(clips):
    """Mean and std of 20 librosa MFCCs per clip, float32."""
    import librosa

    feats = []
    for y, sr in clips:
        m = librosa.feature.mfcc(y=np.asarray(y, dtype=np.float32), sr=sr, n_mfcc=20,
                                 n_fft=512, hop_length=128)
        feats.append(np.concatenate([m.mean(axis=1), m.std(axis=1)]))
    return np.stack(feats).astype(np.float32)


def _extractors(X):
    """(name, transformer, column) blocks: mmfuse's extractors where usable, else the peers'."""
    from sklearn.preprocessing import FunctionTransformer

    from mmfuse.text import TfidfText

    blocks, used = [], []
    sample = X.iloc[:8]
    params = {"SIFTFeatures": {"step": 8, "n_words": 32, "pyramid": (1,), "random_state": 0}}
    for name, module, cls, fallback in (("image", "mmfuse.image", "SIFTFeatures", skimage_hog),
                                        ("audio", "mmfuse.audio", "MFCCFeatures", librosa_mfcc)):
        try:
            import importlib

            est = getattr(importlib.import_module(module), cls)(**params.get(cls, {}))
            est.fit(sample[name]).transform(sample[name])
            blocks.append((name, est, name))
            used.append(f"mmfuse.{cls}")
        except Exception as exc:  # noqa: BLE001 - not written yet / broken: use the peer library
            blocks.append((name, FunctionTransformer(fallback), name))
            used.append(f"{fallback.__name__} (mmfuse {cls} unusable: {type(exc).__name__})")
    blocks.append(("text", TfidfText(), "text"))
    used.append("mmfuse.TfidfText")
    return blocks, used


def run(quick=False):
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.pipeline import Pipeline
    from sklearn.svm import LinearSVC

    from mmfuse.datasets import make_multimodal
    from mmfuse.fusion import FeatureFusion

    n, size, dur, sr = (120, 32, 0.5, 8000) if quick else (300, 128, 2.0, 16000)
    X, y = make_multimodal(n_samples=n, image_size=size, duration=dur, sr=sr, random_state=0)
    blocks, used = _extractors(X)
    grid = {
        "clf__C": [0.01, 0.1, 1.0],
        "fuse__weights": [{"image": 1.0, "audio": 1.0, "text": 1.0},
                          {"image": 2.0, "audio": 1.0, "text": 1.0},
                          {"image": 1.0, "audio": 2.0, "text": 1.0},
                          {"image": 1.0, "audio": 1.0, "text": 2.0}],
    }
    cv = StratifiedKFold(3, shuffle=True, random_state=0)

    def search(memory):
        pipe = Pipeline([("fuse", FeatureFusion(blocks, strategy="weighted", memory=memory)),
                         ("clf", LinearSVC())])
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gs = GridSearchCV(pipe, grid, cv=cv).fit(X, y)
        return time.perf_counter() - t0, gs

    print(f"workload: {n} samples, image {size}x{size}, audio {dur} s at {sr // 1000} kHz, text; "
          f"12 settings x 3 folds; extractors: {', '.join(used)}")
    t_plain, gs_plain = search(None)
    with tempfile.TemporaryDirectory(prefix="mmfuse-bench-cache-") as cache:
        from joblib import Memory

        t_cached, gs_cached = search(Memory(cache, verbose=0))
    same_params = gs_plain.best_params_ == gs_cached.best_params_
    same_scores = np.allclose(gs_plain.cv_results_["mean_test_score"],
                              gs_cached.cv_results_["mean_test_score"])
    print(f"GridSearchCV without memory (peer: plain re-extraction): {t_plain:8.2f} s")
    print(f"GridSearchCV with memory= (mmfuse cache, cold)          : {t_cached:8.2f} s")
    print(f"ratio cached/plain: {t_cached / t_plain:.3f}  (target <= 0.25)")
    print(f"identical best params: {same_params} {gs_cached.best_params_}; "
          f"identical CV scores: {same_scores}; best CV accuracy {gs_cached.best_score_:.3f}")
    return t_plain, t_cached, same_params


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller data for a fast check")
    args = parser.parse_args(argv)
    run(quick=args.quick)


if __name__ == "__main__":
    main()
