"""``mmfuse demo``: single modalities vs every fusion strategy on the embedded AV digits.

Trains image-only and audio-only models, every early-fusion strategy and the
main late-fusion rules on :func:`mmfuse.datasets.load_av_digits`, prints a table
(accuracy, macro-F1, fit and predict seconds), saves the best pipeline, reloads
it and scores the test split with it. Descriptors are extracted once per
modality: the early fusers share a ``joblib.Memory`` cache and the late fusers
reuse the single-modality pipelines' features through the same cache; the late
fusers also share their members' fits and out-of-fold probabilities. The
models train one thread per core.

This module is part of the command line (private, used only by
:mod:`mmfuse.cli`): like the CLI, and unlike the library, it may import the
recipes (:mod:`mmfuse.pipelines`); tests/test_architecture.py holds that rule.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ._config import show_progress
from ._parallel import Parallel, delayed, n_cores

__all__ = ["demo_models", "run_demo"]


def demo_models(memory=None, random_state=0):
    """The ``(name, kind, estimator)`` list the demo trains (see ``mmfuse.pipelines.av_digits``)."""
    from .pipelines import av_digits  # noqa: PLC0415

    models = [("image only", "single", av_digits.build(modalities=("image",), memory=memory)),
              ("audio only", "single", av_digits.build(modalities=("audio",), memory=memory))]
    for strategy in ("concat", "weighted", "sum", "average", "product", "tensor"):
        models.append((f"early {strategy}", "early",
                       av_digits.build(fusion="early", strategy=strategy, memory=memory)))
    for rule in ("mean", "product", "vote", "learn", "stack"):
        models.append((f"late {rule}", "late",
                       av_digits.build(fusion="late", rule=rule, memory=memory,
                                       random_state=random_state)))
    return models


def _print_table(rows, file):
    head = f"{'model':<16} {'accuracy':>9} {'macro-F1':>9} {'fit s':>7} {'predict s':>10}"
    print(head, file=file)
    print("-" * len(head), file=file)
    for r in rows:
        print(f"{r['model']:<16} {r['accuracy']:>9.3f} {r['macro_f1']:>9.3f} "
              f"{r['fit_s']:>7.2f} {r['predict_s']:>10.2f}", file=file)


def run_demo(out=None, quiet=False, file=None) -> int:
    """Run the demo; returns the process exit code (0 when fusion beats both modalities)."""
    import pandas as pd  # noqa: PLC0415
    from joblib import Memory  # noqa: PLC0415
    from sklearn.metrics import accuracy_score, f1_score  # noqa: PLC0415
    from tqdm.auto import tqdm  # noqa: PLC0415

    from .datasets import load_av_digits  # noqa: PLC0415
    from .persistence import load, save  # noqa: PLC0415

    file = file or sys.stdout
    t_start = time.perf_counter()
    data = load_av_digits()
    train, test = data.split == "train", data.split == "test"
    X_tr, y_tr = data.X[train].reset_index(drop=True), data.y[train]
    X_te, y_te = data.X[test].reset_index(drop=True), data.y[test]
    print(f"AV digits: {len(X_tr)} train / {len(X_te)} test pairs of a degraded MNIST "
          f"digit and a noisy spoken digit (FSDD)", file=file)

    with tempfile.TemporaryDirectory(prefix="mmfuse-demo-") as cache:
        memory = Memory(cache, verbose=0)
        models = demo_models(memory=memory)
        rows, fitted = [], {}
        bar = tqdm(total=len(models), desc="training", unit="model", leave=False,
                   disable=quiet or not show_progress(None), file=sys.stderr)

        def train(est):
            t0 = time.perf_counter()
            est.fit(X_tr, y_tr)
            t1 = time.perf_counter()
            pred = est.predict(X_te)
            return est, pred, t1 - t0, time.perf_counter() - t1

        # One thread per core (libsvm, BLAS, OpenCV and the spectral math release the
        # GIL). The late fusers share their members through the cache: 'stack' fits
        # them and their out-of-fold probabilities first, alongside the other models;
        # then the fusers that reuse them only fit their weights.
        shared = ("late mean", "late product", "late learn")
        first = sorted((m for m in models if m[0] not in shared),
                       key=lambda m: m[0] != "late stack")
        second = [m for m in models if m[0] in shared]
        done = {}
        for batch in (first, second):
            results = Parallel(n_jobs=n_cores(), prefer="threads", return_as="generator")(
                delayed(train)(est) for _, _, est in batch)
            for (name, _, _), result in zip(batch, results):
                done[name] = result
                bar.update()
        for name, kind, _ in models:
            est, pred, fit_s, predict_s = done[name]
            fitted[name] = est
            rows.append({"model": name, "kind": kind,
                         "accuracy": accuracy_score(y_te, pred),
                         "macro_f1": f1_score(y_te, pred, average="macro"),
                         "fit_s": fit_s, "predict_s": predict_s})
        bar.close()
        table = pd.DataFrame(rows)
        print(file=file)
        _print_table(rows, file)

        single = table[table.kind == "single"]
        fused = table[table.kind != "single"]
        best_single = single.accuracy.max()
        best = fused.loc[fused.accuracy.idxmax()]
        gain = 100 * (best.accuracy - best_single)
        print(f"\nbest fused model: {best.model} ({best.accuracy:.3f}), "
              f"{gain:+.1f} points over the best single modality ({best_single:.3f})",
              file=file)

        # late fusion keeps working when a modality is missing at predict time
        late = fitted["late mean"]
        for drop, keep in (("audio", "image"), ("image", "audio")):
            X_drop = X_te.copy()
            X_drop[drop] = pd.Series([None] * len(X_drop), dtype=object)
            acc = accuracy_score(y_te, late.predict(X_drop))
            alone = single.set_index("model").accuracy[f"{keep} only"]
            print(f"late mean with {drop} missing: {acc:.3f} "
                  f"(vs {keep} only {alone:.3f}, {100 * (acc - alone):+.1f} points)", file=file)

        out_dir = Path(out) if out else Path(cache) / "out"
        out_dir.mkdir(parents=True, exist_ok=True)
        model_path = out_dir / "best_model.joblib"
        save(fitted[best.model], model_path,
             metadata={"demo": "av_digits", "model": best.model,
                       "test_accuracy": float(best.accuracy)})
        reloaded = load(model_path)
        re_pred = reloaded.predict(X_te)
        same = bool(np.array_equal(re_pred, fitted[best.model].predict(X_te)))
        print(f"saved {best.model!r} to {model_path if out else 'a temporary file'}, "
              f"reloaded it: test accuracy {accuracy_score(y_te, re_pred):.3f}, predictions "
              f"{'identical' if same else 'DIFFERENT'}", file=file)
        if out:
            table.to_csv(out_dir / "results.csv", index=False)
            print(f"results table: {out_dir / 'results.csv'}", file=file)
    print(f"total {time.perf_counter() - t_start:.1f} s", file=file)
    return 0 if same and gain > 0 else 1
