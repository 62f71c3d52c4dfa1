"""The ``spoken_digits`` recipe on FSDD: its levers by speaker-grouped CV, then the recipe itself.

Protocols (FSDD: 5 speakers x 10 digits x 50 recordings; ``index`` 0-4 is the
standard test split):

* **CV (selection)**: ``LeaveOneGroupOut`` over the speakers on the *training*
  recordings only (index 5-49): train on four speakers, score the fifth; mean ±
  std over the 5 folds. The recipe's defaults were chosen on this number.
* **LOSO**: leave-one-speaker-out over all 2,500 recordings (the issue's
  measure of a speaker absent from training), per speaker.
* **standard split**: train on index 5-49 of every speaker, test on index 0-4.

``--levers`` (default) varies one setting of the recipe at a time. MFCCFeatures
learns nothing in ``fit``, so the features of every clip are extracted once per
setting and warp factor (cached in ``benchmarks/out/cache``) and only the
classifier is refitted per fold: identical to fitting the whole pipeline each
time, and VTLP augmentation is the stacking of the warped features of the
training rows (as ``VTLPAugmentedClassifier`` does). The classifier is not
calibrated here. ``--recipe`` fits the recipe's default ``build()``
(calibrated, VTLP) on the file paths for LOSO and the standard split, and the
uncalibrated ``build(calibrate=False)`` beside it.

Run from the repository root (``--data`` or ``MMFUSE_SHARED`` point at the data)::

    python -m benchmarks.eval_spoken_digits             # levers, ~30 min on 2 busy cores
    python -m benchmarks.eval_spoken_digits --only "segments 1" "segments 2"
    python -m benchmarks.eval_spoken_digits --recipe    # the recipe itself, ~15 min
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from benchmarks._data import CACHE, require, shared_datasets

S4 = ("mean", "std", "min", "max")


def _clf(kind="svc", C=10.0):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC, LinearSVC

    if kind == "svc":
        return lambda: make_pipeline(StandardScaler(), SVC(C=C))
    if kind == "linearsvc":
        return lambda: make_pipeline(StandardScaler(), LinearSVC(C=C))
    return lambda: make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=5000))


def levers():
    """``{name: (MFCCFeatures overrides of the recipe, warp factors, classifier factory)}``."""
    from mmfuse.pipelines.spoken_digits import WARP_FACTORS

    no = (1.0,)
    v = {
        "recipe default (VTLP x5, RBF SVC C=10)": ({}, WARP_FACTORS, _clf()),
        "no VTLP": ({}, no, _clf()),
        "VTLP 9 factors 0.9-1.1 step 0.025": ({}, tuple(np.round(np.linspace(0.9, 1.1, 9), 3)),
                                              _clf()),
        "RBF SVC C=1": ({}, WARP_FACTORS, _clf(C=1.0)),
        "RBF SVC C=100": ({}, WARP_FACTORS, _clf(C=100.0)),
        "linear: LogisticRegression C=0.1": ({}, WARP_FACTORS, _clf("logreg", 0.1)),
        "linear: LogisticRegression C=0.01": ({}, WARP_FACTORS, _clf("logreg", 0.01)),
        "linear: LinearSVC C=0.01": ({}, WARP_FACTORS, _clf("linearsvc", 0.01)),
        "CMVN off": ({"cmvn": None}, WARP_FACTORS, _clf()),
        "CMVN mean only": ({"cmvn": "mean"}, WARP_FACTORS, _clf()),
        "deltas 0": ({"deltas": 0}, WARP_FACTORS, _clf()),
        "deltas 1": ({"deltas": 1}, WARP_FACTORS, _clf()),
        "stats mean, std": ({"stats": ("mean", "std")}, WARP_FACTORS, _clf()),
        "segments 0": ({"n_segments": 0}, WARP_FACTORS, _clf()),
        "segments 6": ({"n_segments": 6}, WARP_FACTORS, _clf()),
        "segments 12": ({"n_segments": 12}, WARP_FACTORS, _clf()),
        "segments 15": ({"n_segments": 15}, WARP_FACTORS, _clf()),
        "segments 20": ({"n_segments": 20}, WARP_FACTORS, _clf()),
        "trim 25 dB": ({"trim_db": 25.0}, WARP_FACTORS, _clf()),
        "26 mel bands": ({"n_mels": 26}, WARP_FACTORS, _clf()),
        "20 cepstra of 40 mel bands": ({"n_mels": 40, "n_mfcc": 20}, WARP_FACTORS, _clf()),
        "before: MFCCFeatures(sr=8000, n_fft=256, hop_length=80), SVC": (
            {"n_mels": 40, "n_mfcc": 20, "stats": ("mean", "std"), "trim_db": 25.0,
             "n_segments": 6}, no, _clf()),
    }
    return v


def _features(paths, params, alpha):
    from joblib import Memory

    from mmfuse.pipelines.spoken_digits import audio_features

    @Memory(CACHE, verbose=0).cache
    def extract(paths, params, alpha):
        return audio_features(**dict(params), vtlp_alpha=alpha).fit_transform(list(paths))

    return extract(tuple(paths), tuple(sorted(params.items())), float(alpha))


def _fit_score(make, feats, warps, y, train, test):
    X = np.vstack([feats[a][train] for a in warps])
    clf = make().fit(X, np.concatenate([y[train]] * len(warps)))
    return float(np.mean(clf.predict(feats[1.0][test]) == y[test]))


def run_levers(X, y, split, speaker, only=None):
    paths = list(X["audio"])
    speakers = np.unique(speaker)
    train_rows = split == "train"
    print(f"{'variant':<60} {'CV: LOGO on train rows':>24} {'LOSO all clips: mean':>21} "
          f"{'min':>6}  per speaker ({', '.join(speakers)})  {'std split':>9}")
    for name, (params, warps, make) in levers().items():
        if only and not any(o in name for o in only):
            continue
        t0 = time.perf_counter()
        feats = {a: _features(paths, params, a) for a in set(warps) | {1.0}}
        cv = [_fit_score(make, feats, warps, y, train_rows & (speaker != s),
                         train_rows & (speaker == s)) for s in speakers]
        loso = [_fit_score(make, feats, warps, y, speaker != s, speaker == s)
                for s in speakers]
        std = _fit_score(make, feats, warps, y, split == "train", split == "test")
        print(f"{name[:60]:<60} {np.mean(cv):>15.3f} ± {np.std(cv):.3f} {np.mean(loso):>21.3f} "
              f"{np.min(loso):>6.3f}  [{' '.join(f'{a:.3f}' for a in loso)}]  {std:>9.3f}"
              f"  ({time.perf_counter() - t0:.0f} s)", flush=True)


def run_recipe(X, y, split, speaker):
    from sklearn.metrics import log_loss

    from mmfuse.pipelines.spoken_digits import build

    def one(train, test, label):
        out = []
        for name, kw in (("build()", {}), ("build(calibrate=False)", {"calibrate": False})):
            t0 = time.perf_counter()
            model = build(**kw).fit(X[train], y[train])
            pred = model.predict(X[test])
            acc = float(np.mean(pred == y[test]))
            extra = ""
            if hasattr(model, "predict_proba"):
                P = model.predict_proba(X[test])
                extra = (f", log loss {log_loss(y[test], P, labels=model.classes_):.3f}, "
                         f"rows sum to 1 within {np.abs(P.sum(axis=1) - 1).max():.1e}")
            print(f"  {label:<32} {name:<24} accuracy {acc:.4f}{extra} "
                  f"({time.perf_counter() - t0:.0f} s)", flush=True)
            out.append(acc)
        return out

    res = {s: one(speaker != s, speaker == s, f"LOSO held out {s}") for s in np.unique(speaker)}
    acc = np.array(list(res.values()))
    print(f"LOSO mean over {len(res)} speakers: build() {acc[:, 0].mean():.4f} (min "
          f"{acc[:, 0].min():.3f}); build(calibrate=False) {acc[:, 1].mean():.4f} (min "
          f"{acc[:, 1].min():.3f})")
    std = one(split == "train", split == "test", "standard split (index 0-4)")
    print(f"standard split: build() {std[0]:.4f}; build(calibrate=False) {std[1]:.4f}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None, help="FSDD folder (holding recordings/)")
    ap.add_argument("--recipe", action="store_true", help="evaluate the recipe's build()")
    ap.add_argument("--levers", action="store_true", help="the lever table (default)")
    ap.add_argument("--only", nargs="+", metavar="TEXT",
                    help="only the lever rows whose name contains one of these")
    args = ap.parse_args(argv)
    from mmfuse.pipelines.spoken_digits import load_data

    root = require(args.data or shared_datasets() / "fsdd", "FSDD")
    X, y, split, speaker = load_data(root, return_groups=True)
    print(f"FSDD: {len(y)} recordings, speakers {sorted(set(speaker))}; "
          f"{int(np.sum(split == 'train'))} train / {int(np.sum(split == 'test'))} test")
    warnings.simplefilter("ignore", category=UserWarning)
    if args.levers or not args.recipe:
        run_levers(X, y, split, speaker, args.only)
    if args.recipe:
        run_recipe(X, y, split, speaker)


if __name__ == "__main__":
    main()
