"""Kernel-level fusion: accuracy and fit time of KernelFusionClassifier vs early fusion and MKLpy.

Three parts (``--parts``):

``av_digits``, ``fashion``
    For each weighting (``uniform``, ``alignment``, ``easymkl``) the block
    kernels and the SVM's ``C`` are chosen by stratified 3-fold
    cross-validation on the **training rows only** (``GridSearchCV``), the
    chosen model is refitted on all training rows and scored once on the test
    rows. Early fusion (the recipe's ``FeatureFusion`` weighted blocks + SVM)
    runs on the same features in the same run. Then, on the block kernels
    that cross-validation chose for ``'alignment'`` and its ``C``, our three
    weightings and MKLpy 0.6's ``AverageMKL``, ``EasyMKL`` and ``CKA`` are fitted
    on the same precomputed training kernels (weights + SVM, kernel computation
    excluded on both sides) and scored on the same test kernels.

    Kernels searched: av_digits image (HOG) ``'rbf'`` or ``'intersection'``, audio
    (standardised MFCC statistics) ``'rbf'``; fashion HOG ``'linear'`` or ``'rbf'``,
    dense-SIFT VLAD (signed) and TF-IDF ``'linear'`` (the kernels these encodings are
    designed for); ``C`` in {1, 10, 100} (fashion: {1, 3, 10, 30, 100}). Early
    fusion is the recipe's setting without calibration, scored by the same 3-fold
    cross-validation and on the test rows (av_digits: standardised blocks, RBF
    SVC C=10; fashion: L2 per block, LinearSVC C=3).

    The extractors are the recipes' (``mmfuse.pipelines``). HOG and MFCC have
    no fitted state, so they are computed once for all rows; on fashion the
    VLAD codebook and the TF-IDF vocabulary are fitted on the training rows
    only and then transform both splits (the cross-validation folds share
    that train-fitted codebook and vocabulary; no test row enters them).
``scale``
    The Nyström option against exact kernels at n = 6,000 training rows
    (MNIST subset of ``../shared/datasets/mnist``, two blocks: HOG and raw
    pixels, RBF kernels, alignment weights, fixed C=10): accuracy and fit time.

MKLpy is not a dependency: it runs in a separate environment given by
``--mklpy-python`` (default ``$MKLPY_PYTHON`` or ``/tmp/mklvenv/bin/python``); when
that interpreter or MKLpy is missing the peer rows say so and the rest runs.
Datasets other than the embedded AV digits live in ``../shared/datasets``; parts
that need it say so and are skipped when it is absent.

Run from the repository root::

    python -m benchmarks.bench_kernel_fusion                       # all parts
    python -m benchmarks.bench_kernel_fusion --parts av_digits scale
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks._timing import best_of

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "datasets"
WEIGHTS = ("uniform", "alignment", "easymkl")


# ---------------------------------------------------------------------------- data


def av_digits_features():
    """HOG and MFCC blocks of the embedded AV digits (stateless extractors: all rows at once)."""
    from mmfuse.datasets import load_av_digits
    from mmfuse.pipelines.av_digits import audio_features, image_features

    d = load_av_digits()
    blocks = {"image": image_features().fit_transform(d.X["image"]),
              "audio": audio_features().fit_transform(d.X["audio"])}
    return blocks, np.asarray(d.y), np.asarray(d.split)


_IMAGE_CACHE = {}


def fashion_features(mask_category):
    """The recipe's HOG, dense-SIFT VLAD and TF-IDF blocks, extractors fitted on training rows."""
    import scipy.sparse as sp

    from benchmarks._data import load_fashion
    from mmfuse.pipelines import fashion

    X, y, split = load_fashion(SHARED / "fashion_products", mask_category=mask_category)
    tr = split == "train"
    blocks = {}
    for name, col, make in (("image_hog", "image", fashion.hog_features),
                            ("image_sift", "image", fashion.sift_features),
                            ("text", "text", fashion.text_features)):
        if name in _IMAGE_CACHE:  # the photos do not change with masking
            blocks[name] = _IMAGE_CACHE[name]
            continue
        ext = make()
        Ztr = ext.fit_transform(X[col][tr])
        Zte = ext.transform(X[col][~tr])
        blocks[name] = (sp.vstack([Ztr, Zte], format="csr") if sp.issparse(Ztr)
                        else np.vstack([Ztr, Zte]))
        if col == "image":
            _IMAGE_CACHE[name] = blocks[name]
    order = np.r_[np.flatnonzero(tr), np.flatnonzero(~tr)]
    return blocks, np.asarray(y)[order], np.asarray(split)[order]


def stack_rows(column):
    """A column whose cells are feature vectors (dense 1-D or 1-row sparse) -> a 2-D block."""
    import scipy.sparse as sp

    cells = list(column)
    return sp.vstack(cells, format="csr") if sp.issparse(cells[0]) else np.vstack(cells)


def as_table(blocks):
    """A DataFrame with one column per block, each cell one row's feature vector.

    Wide sparse blocks (TF-IDF) stay sparse; each block's transformer starts with
    ``FunctionTransformer(stack_rows)``.
    """
    import pandas as pd
    import scipy.sparse as sp

    data = {}
    for name, Z in blocks.items():
        Z = sp.csr_matrix(Z) if sp.issparse(Z) else np.asarray(Z, dtype=np.float64)
        data[name] = pd.Series([Z[i] for i in range(Z.shape[0])], dtype=object)
    X = pd.DataFrame(data)
    return X, {name: name for name in blocks}


def block_transformer(*steps):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    return make_pipeline(FunctionTransformer(stack_rows), *steps)


# ---------------------------------------------------------------------------- models


def kernel_model(cols, kernels, weights, C, transformers):
    from sklearn.svm import SVC

    from mmfuse.fusion import KernelFusionClassifier

    return KernelFusionClassifier(
        [(name, transformers[name], cols[name], kernels[name]) for name in cols],
        weights=weights, estimator=SVC(kernel="precomputed", C=C))


def early_model(cols, C, linear, block_norm="standard"):
    from sklearn.pipeline import Pipeline
    from sklearn.svm import SVC, LinearSVC

    from mmfuse.fusion import FeatureFusion

    fuse = FeatureFusion([(name, block_transformer(), c) for name, c in cols.items()],
                         strategy="weighted", block_norm=block_norm)
    return Pipeline([("fuse", fuse), ("clf", LinearSVC(C=C) if linear else SVC(C=C))])


def select_and_test(X, y, split, cols, grid_kernels, transformers, Cs, n_jobs):
    """For each weighting: GridSearchCV (train rows) over kernels and C, then one test score."""
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    tr, te = split == "train", split == "test"
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    base_kernels = {name: opts[0] for name, opts in grid_kernels.items()}
    rows = {}
    for weights in WEIGHTS:
        model = kernel_model(cols, base_kernels, weights, 1.0, transformers)
        grid = {f"{name}__kernel": opts for name, opts in grid_kernels.items() if len(opts) > 1}
        grid["estimator__C"] = list(Cs)
        t0 = time.perf_counter()
        search = GridSearchCV(model, grid, cv=cv, n_jobs=n_jobs).fit(X[tr], y[tr])
        t_cv = time.perf_counter() - t0
        i = search.best_index_
        t0 = time.perf_counter()
        best = search.best_estimator_
        best_fit, _ = best_of(lambda: best.fit(X[tr], y[tr]), 1)
        acc = float(np.mean(best.predict(X[te]) == y[te]))
        rows[weights] = {
            "cv_mean": float(search.cv_results_["mean_test_score"][i]),
            "cv_std": float(search.cv_results_["std_test_score"][i]),
            "params": {k: v for k, v in search.best_params_.items()},
            "test": acc, "fit_s": best_fit, "search_s": t_cv,
            "weights": best.named_weights_, "alignment": best.alignment_.round(3).tolist(),
            "gamma": best.gamma_, "model": best,
        }
        print(f"  {weights:9s} CV {rows[weights]['cv_mean']:.3f}±{rows[weights]['cv_std']:.3f} "
              f"test {acc:.3f}  fit {best_fit:.2f} s  {search.best_params_}  "
              f"weights {best.named_weights_}", flush=True)
    return rows


def normalised_blocks(model, X_train, X_test):
    """The fitted model's normalised block kernels (train x train, test x train), public API."""
    from mmfuse.kernels import kernel_diagonal, pairwise_kernel

    Ktr, Kte = [], []
    for (name, trans, col, kernel) in model.transformers_:
        Ztr, Zte = trans.transform(X_train[col]), trans.transform(X_test[col])
        kw = {"kernel": kernel}
        if model.gamma_[name] is not None:
            kw["gamma"] = model.gamma_[name]
        d_tr, d_te = kernel_diagonal(Ztr, **kw), kernel_diagonal(Zte, **kw)
        Ktr.append(pairwise_kernel(Ztr, Ztr, **kw) / np.sqrt(np.outer(d_tr, d_tr)))
        Kte.append(pairwise_kernel(Zte, Ztr, **kw) / np.sqrt(np.outer(d_te, d_tr)))
    return np.array(Ktr), np.array(Kte)


def same_kernels(model, X, y, split, C, lam, mklpy_python, repeat):
    """Our weightings and MKLpy's on the same precomputed kernels (weights + SVM fit)."""
    from sklearn.preprocessing import LabelEncoder
    from sklearn.svm import SVC

    from mmfuse.fusion._mkl import alignment_weights, easymkl_weights

    tr, te = split == "train", split == "test"
    Ktr, Kte = normalised_blocks(model, X[tr], X[te])
    ytr, yte = y[tr], y[te]
    y_enc = LabelEncoder().fit_transform(ytr)
    learners = {
        "uniform": lambda: np.full(len(Ktr), 1.0 / len(Ktr)),
        "alignment": lambda: alignment_weights(list(Ktr), y_enc)[0],
        "easymkl": lambda: easymkl_weights(list(Ktr), y_enc, lam=lam),
    }
    out = {}
    for name, learn in learners.items():
        def fit():
            w = learn()
            return w, SVC(kernel="precomputed", C=C).fit(np.tensordot(w, Ktr, 1), ytr)

        t, (w, svm) = best_of(fit, repeat)
        acc = float(np.mean(svm.predict(np.tensordot(w, Kte, 1)) == yte))
        out[f"mmfuse {name}"] = {"accuracy": acc, "fit_s": t, "weights": w.round(4).tolist()}
    out.update(run_mklpy(Ktr, Kte, ytr, yte, C, lam, mklpy_python, repeat))
    return out


def run_mklpy(Ktr, Kte, ytr, yte, C, lam, python, repeat):
    if not python or not Path(python).exists():
        return {"MKLpy": {"absent": f"no interpreter at {python!r} (set --mklpy-python)"}}
    with tempfile.TemporaryDirectory(prefix="mmfuse-mklpy-") as tmp:
        path = Path(tmp) / "kernels.npz"
        # labels as integer codes: object arrays (string labels) need pickle to load
        _, codes = np.unique(np.r_[np.asarray(ytr), np.asarray(yte)], return_inverse=True)
        np.savez(path, K_train=Ktr, K_test=Kte, y_train=codes[:len(ytr)],
                 y_test=codes[len(ytr):], C=C, lam=lam, repeat=repeat)
        proc = subprocess.run([python, str(Path(__file__).with_name("_mklpy_peer.py")),
                               str(path)], capture_output=True, text=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return {"MKLpy": {"absent": f"MKLpy run failed: {last}"}}
    out = {}
    for line in proc.stdout.splitlines():
        r = json.loads(line)
        out[f"MKLpy {r['model']}"] = {"accuracy": r["accuracy"], "fit_s": r["fit_s"],
                                      "weights": np.round(r["weights"], 4).tolist()}
    return out


def report_dataset(title, blocks, y, split, grid_kernels, transformers, Cs, early_C,
                   early_linear, args, early_block_norm="standard"):
    X, cols = as_table(blocks)
    tr, te = split == "train", split == "test"
    print(f"\n## {title}: train/test {tr.sum()}/{te.sum()}, blocks "
          + ", ".join(f"{k} {Z.shape[1]}-d" for k, Z in blocks.items()), flush=True)
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    early = early_model(cols, early_C, early_linear, early_block_norm)
    cv = cross_val_score(early, X[tr], y[tr],
                         cv=StratifiedKFold(3, shuffle=True, random_state=0))
    t, _ = best_of(lambda: early.fit(X[tr], y[tr]), 1)
    acc_early = float(np.mean(early.predict(X[te]) == y[te]))
    print(f"  early fusion (recipe setting, C={early_C}): CV {cv.mean():.3f}±{cv.std():.3f} "
          f"test {acc_early:.3f}  fit {t:.2f} s", flush=True)
    rows = select_and_test(X, y, split, cols, grid_kernels, transformers, Cs, args.n_jobs)
    best = rows["alignment"]
    C = best["params"]["estimator__C"]
    print(f"  same kernels as the CV choice for 'alignment' ({best['params']}), C={C}:",
          flush=True)
    side = same_kernels(best["model"], X, y, split, C, 0.1, args.mklpy_python, args.repeat)
    for name, r in side.items():
        if "absent" in r:
            print(f"    {name}: absent - {r['absent']}")
        else:
            print(f"    {name:22s} test {r['accuracy']:.3f}  fit {r['fit_s']:.3f} s  "
                  f"weights {r['weights']}", flush=True)
    return {"early": acc_early, "rows": rows, "side": side}


# ---------------------------------------------------------------------------- parts


def part_av_digits(args):
    from sklearn.preprocessing import StandardScaler

    blocks, y, split = av_digits_features()
    return report_dataset(
        "av_digits (HOG image + MFCC audio)", blocks, y, split,
        grid_kernels={"image": ["rbf", "intersection"], "audio": ["rbf"]},
        transformers={"image": block_transformer(), "audio": block_transformer(StandardScaler())},
        Cs=(1.0, 10.0, 100.0), early_C=10.0, early_linear=False, args=args)


def part_fashion(args):
    if not (SHARED / "fashion_products").is_dir():
        print(f"\n## fashion: skipped, {SHARED / 'fashion_products'} not found")
        return None
    out = {}
    masks = {"given": (False,), "masked": (True,), "both": (False, True)}[args.fashion_titles]
    for mask in masks:
        t0 = time.perf_counter()
        blocks, y, split = fashion_features(mask)
        print(f"\n(fashion features, mask_category={mask}: {time.perf_counter() - t0:.0f} s)")
        out[mask] = report_dataset(
            f"fashion (HOG + dense-SIFT VLAD image, TF-IDF title), mask_category={mask}",
            blocks, y, split,
            grid_kernels={"image_hog": ["linear", "rbf"], "image_sift": ["linear"],
                          "text": ["linear"]},
            transformers={name: block_transformer() for name in blocks},
            Cs=(1.0, 3.0, 10.0, 30.0, 100.0), early_C=3.0, early_linear=True, args=args,
            early_block_norm="l2")
    return out


def part_scale(args):
    path = SHARED / "mnist" / "mnist_subset.npz"
    if not path.is_file():
        print(f"\n## scale: skipped, {path} not found")
        return None
    from sklearn.svm import SVC, LinearSVC

    from mmfuse.fusion import KernelFusionClassifier
    from mmfuse.pipelines.av_digits import image_features

    d = np.load(path)
    n = args.scale_rows
    imgs = np.concatenate([d["x_train"][:n], d["x_test"]])
    y = np.concatenate([d["y_train"][:n], d["y_test"]])
    split = np.array(["train"] * min(n, len(d["x_train"])) + ["test"] * len(d["x_test"]))
    H = image_features().fit_transform(imgs)
    P = imgs.reshape(len(imgs), -1) / 255.0
    X = np.hstack([H, P])
    cols = {"hog": list(range(H.shape[1])), "pixels": list(range(H.shape[1], X.shape[1]))}
    tr, te = split == "train", split == "test"
    print(f"\n## scale: MNIST subset, train/test {tr.sum()}/{te.sum()}, blocks hog "
          f"{H.shape[1]}-d (rbf), pixels {P.shape[1]}-d (rbf), alignment weights, C=10",
          flush=True)
    results = {}
    settings = [("exact", None, None)] + [(f"nystroem m={m}", "nystroem", m)
                                          for m in args.components]
    for label, approx, m in settings:
        est = SVC(kernel="precomputed", C=10.0) if approx is None else LinearSVC(C=10.0)
        model = KernelFusionClassifier(
            [("hog", "passthrough", cols["hog"], "rbf"),
             ("pixels", "passthrough", cols["pixels"], "rbf")],
            weights="alignment", estimator=est, approximation=approx,
            n_components=m or 500, random_state=0)
        t, _ = best_of(lambda: model.fit(X[tr], y[tr]), 1)
        t0 = time.perf_counter()
        acc = float(np.mean(model.predict(X[te]) == y[te]))
        tp = time.perf_counter() - t0
        results[label] = {"accuracy": acc, "fit_s": t, "predict_s": tp,
                          "weights": model.named_weights_}
        print(f"  {label:18s} test {acc:.3f}  fit {t:.1f} s  predict {tp:.1f} s  "
              f"weights {model.named_weights_}", flush=True)
    return results


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parts", nargs="+", default=["av_digits", "fashion", "scale"],
                    choices=["av_digits", "fashion", "scale"])
    ap.add_argument("--mklpy-python",
                    default=os.environ.get("MKLPY_PYTHON", "/tmp/mklvenv/bin/python"))
    ap.add_argument("--repeat", type=int, default=1, help="best of N for the same-kernel fits")
    ap.add_argument("--n-jobs", type=int, default=1, help="GridSearchCV processes")
    ap.add_argument("--fashion-titles", choices=["given", "masked", "both"], default="both",
                    help="fashion part: titles as given, category words masked, or both")
    ap.add_argument("--scale-rows", type=int, default=6000)
    ap.add_argument("--components", type=int, nargs="+", default=[300, 1000, 2000])
    args = ap.parse_args(argv)
    print(f"python {sys.version.split()[0]}; MKLpy interpreter: {args.mklpy_python}"
          + ("" if Path(args.mklpy_python).exists() else " (absent: peer rows skipped)"))
    parts = {"av_digits": part_av_digits, "fashion": part_fashion, "scale": part_scale}
    for name in args.parts:
        parts[name](args)


if __name__ == "__main__":
    main()
