"""End to end: ``mmfuse score`` of image+audio rows from disk with the ``av_digits`` recipe.

    python -m benchmarks.bench_end_to_end [--rows 1500] [--repeat 3] [--chunk-size 1000]

Builds its manifest from the embedded AV digits (:func:`mmfuse.datasets.load_av_digits`):
every row's 28x28 digit is written as a PNG and its spoken digit as a WAV (8 kHz), in a
temporary folder. The recipe's default ``build()`` is fitted on the 1,000 training rows and
saved with :func:`mmfuse.save`; then the manifest (the training rows first, then the test
rows, repeated up to ``--rows``) is scored with :func:`mmfuse.scoring.score_manifest`, what
``mmfuse score MODEL manifest.csv --out preds.csv`` runs, after loading the model file as
the CLI does (start-up excluded). Prints rows/s (best of ``--repeat``) and, from separate
timings of the same rows, the share of each stage:

* decode: reading and decoding the PNG and WAV files (``mmfuse.io`` loaders);
* each extractor on the decoded items (HOG, MFCC);
* fusion: per-block normalisation and concatenation (``FeatureFusion`` minus its extractors);
* the classifier on the fused features;
* the rest: manifest reading, path resolution, output writing.

Target (issue "Performance on 2 cores"): >= 500 rows/s on 2 cores, same predictions as the
in-memory model (checked here).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks._timing import best_of


def _write_manifest(root, n_rows):
    import cv2
    import pandas as pd
    import soundfile as sf

    from mmfuse.datasets import load_av_digits

    data = load_av_digits()
    order = np.r_[np.flatnonzero(data.split == "train"), np.flatnonzero(data.split == "test")]
    rows = []
    for i in order:
        img, (y, sr) = data.X.image.iloc[i], data.X.audio.iloc[i]
        cv2.imwrite(str(root / f"img{i}.png"), img)
        sf.write(root / f"clip{i}.wav", y, sr)
        rows.append({"id": f"r{i}", "image": f"img{i}.png", "audio": f"clip{i}.wav",
                     "label": data.y[i], "split": data.split[i]})
    frame = pd.DataFrame(rows)
    scored = pd.concat([frame] * int(np.ceil(n_rows / len(frame))), ignore_index=True)
    scored = scored.iloc[:n_rows].assign(id=[f"s{k}" for k in range(n_rows)])
    scored.drop(columns=["label", "split"]).to_csv(root / "score.csv", index=False)
    frame.to_csv(root / "train.csv", index=False)
    return root / "train.csv", root / "score.csv"


def _stages(model, X):
    """Seconds of decode, each extractor, fusion and the classifier on the rows ``X``."""
    from mmfuse.fusion import FeatureFusion
    from mmfuse.io import load_column

    fuse = next((s for _, s in getattr(model, "steps", []) if isinstance(s, FeatureFusion)),
                None)
    if fuse is None:
        return None
    out, loaded = {}, {}
    t_decode = 0.0
    for (name, ext, col) in fuse.transformers_:
        loader, kwargs = ext._item_loader()
        t0 = time.perf_counter()
        col_items = load_column(X[col].tolist(), loader, column=col, **kwargs)
        t_decode += time.perf_counter() - t0
        loaded[col] = col_items.values
    out["decode"] = t_decode
    decoded = X.copy()
    for col, values in loaded.items():
        decoded[col] = values if col != "audio" else [(v, 8000) for v in values]
    t_ext = 0.0
    for name, ext, col in fuse.transformers_:
        t, _ = best_of(lambda: ext.transform(decoded[col]), 1)
        out[f"extract {name} ({type(ext).__name__})"] = t
        t_ext += t
    t_fuse, Z = best_of(lambda: fuse.transform(decoded), 1)
    out["fusion"] = max(0.0, t_fuse - t_ext)
    rest = model[list(model.named_steps).index(
        next(k for k, v in model.named_steps.items() if v is fuse)) + 1:]
    t_clf, _ = best_of(lambda: rest.predict(Z), 1)
    out[f"classifier ({' -> '.join(type(s).__name__ for _, s in rest.steps)})"] = t_clf
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--chunk-size", type=int, default=1000)
    parser.add_argument("--recipe-param", action="append", default=[], metavar="KEY=VALUE",
                        help="passed to av_digits.build (e.g. fusion=late)")
    args = parser.parse_args(argv)

    import ast

    import pandas as pd

    from mmfuse.datasets import load_manifest
    from mmfuse.persistence import load, read_metadata, save
    from mmfuse.pipelines import av_digits
    from mmfuse.scoring import score_manifest

    params = {}
    for kv in args.recipe_param:
        k, v = kv.split("=", 1)
        try:
            params[k] = ast.literal_eval(v)
        except (ValueError, SyntaxError):
            params[k] = v
    print(f"machine: {os.cpu_count()} cores; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="mmfuse-e2e-") as tmp:
        root = Path(tmp)
        train_csv, score_csv = _write_manifest(root, args.rows)
        frame = load_manifest(train_csv)
        cols = list(av_digits.COLUMNS)
        train = frame[frame.split == "train"]
        model = av_digits.build(**params).fit(train[cols], train.label.to_numpy())
        save(model, root / "model.joblib")
        model, meta = load(root / "model.joblib"), read_metadata(root / "model.joblib")
        print(f"model: av_digits.build({params or ''}) -> "
              f"{' -> '.join(type(s).__name__ for _, s in model.steps)}")

        def run():
            return score_manifest(model, score_csv, root / "preds.csv",
                                  chunk_size=args.chunk_size, metadata=meta, progress=False)

        t, summary = best_of(run, args.repeat)
        print(f"score_manifest: {summary.n_scored} rows in {t:.2f} s = "
              f"{summary.n_scored / t:.0f} rows/s (best of {args.repeat}; target >= 500)")
        preds = pd.read_csv(root / "preds.csv", dtype={"prediction": str})
        scored = load_manifest(score_csv)
        expected = model.predict(scored[cols])
        same = (preds.prediction.to_numpy() == np.asarray(expected).astype(str)).mean()
        print(f"predictions equal to the in-memory model's: {same:.4f}")
        stages = _stages(model, scored[cols])
        if stages:
            total = sum(stages.values())
            print(f"stage shares of {total:.2f} s measured separately on the same rows "
                  f"(end-to-end {t:.2f} s; the rest is reading, paths and writing):")
            for name, secs in stages.items():
                print(f"  {name:<48} {secs:6.2f} s  {100 * secs / t:5.1f} %")
            print(f"  {'rest':<48} {max(0.0, t - total):6.2f} s  "
                  f"{100 * max(0.0, t - total) / t:5.1f} %")


if __name__ == "__main__":
    main()
