"""Scoring throughput and peak RSS: in-memory vs streamed (mmfuse score) vs Dask local.

    python -m benchmarks.bench_scoring [--rows 10000 100000] [--quick]

A text model (``TfidfText`` + ``LinearSVC``) is trained on the SMS Spam
Collection when ``../shared/datasets`` is present (else on synthetic text from
``make_multimodal``) and saved with ``mmfuse.save``. A manifest of N rows is
written (texts drawn with replacement), then each mode runs in its own
subprocess so that its peak RSS (``ru_maxrss``) is its own:

* in-memory: ``pandas.read_csv`` of the whole manifest, one ``predict`` call, one CSV write;
* streamed: ``mmfuse.scoring.score_manifest`` with ``chunk_size=2000`` (what ``mmfuse score`` runs);
* dask: the same with ``scheduler='local'`` (a 2-worker LocalCluster on 127.0.0.1); its RSS
  is the client's plus the workers' largest (workers are separate processes).

Prints rows/s, peak RSS and the streamed/in-memory throughput ratio (target >= 0.8).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "datasets"


def _corpus():
    import pandas as pd

    path = SHARED / "sms_spam" / "sms_spam.tsv"
    if path.is_file():
        df = pd.read_csv(path, sep="\t", header=None, names=["label", "text"], quoting=3)
        return df.text.tolist(), df.label.to_numpy(), "SMS Spam Collection"
    print(f"note: {path} is absent; using synthetic text from make_multimodal")
    from mmfuse.datasets import make_multimodal

    X, y = make_multimodal(3000, 4, modalities=("text",), random_state=0)
    return X.text.tolist(), y.astype(str), "make_multimodal text"


def _train(workdir):
    import pandas as pd
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    from mmfuse.fusion import FeatureFusion
    from mmfuse.persistence import save
    from mmfuse.text import TfidfText

    texts, labels, name = _corpus()
    model = make_pipeline(FeatureFusion([("text", TfidfText(), "text")]), LinearSVC())
    model.fit(pd.DataFrame({"text": texts}), labels)
    save(model, workdir / "model.joblib")
    return texts, name


def _child(mode, model_path, manifest, out):
    """Runs in a subprocess; prints a JSON line with seconds and peak RSS (MiB)."""
    import pandas as pd

    from mmfuse.persistence import load, read_metadata
    from mmfuse.scoring import score_manifest

    model = load(model_path)
    t0 = time.perf_counter()
    if mode == "in-memory":
        df = pd.read_csv(manifest, dtype=str)
        pred = model.predict(df[["text"]])
        pd.DataFrame({"row": np.arange(len(df)), "prediction": pred}).to_csv(out, index=False)
        n = len(df)
    else:
        kw = {"scheduler": "local", "n_jobs": 2} if mode == "dask" else {}
        s = score_manifest(model, manifest, out, chunk_size=2000, progress=False,
                           metadata=read_metadata(model_path), **kw)
        n = s.n_scored
    dt = time.perf_counter() - t0
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"rows": n, "seconds": dt, "rss_mib": own, "children_rss_mib": kids}))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--quick", action="store_true", help="2,000 and 10,000 rows")
    ap.add_argument("--modes", nargs="+", default=["in-memory", "streamed", "dask"])
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        _child(*args.child)
        return
    import pandas as pd

    rows = [2_000, 10_000] if args.quick else args.rows
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        texts, name = _train(work)
        print(f"model: FeatureFusion(TfidfText) + LinearSVC trained on {name}")
        rng = np.random.default_rng(0)
        print(f"{'rows':>8} {'mode':<10} {'rows/s':>9} {'peak RSS MiB':>13}")
        for n in rows:
            manifest = work / f"m{n}.csv"
            pd.DataFrame({"id": np.arange(n), "text": rng.choice(texts, size=n)}).to_csv(
                manifest, index=False)
            res = {}
            for mode in args.modes:
                out = work / f"out_{mode}_{n}.csv"
                proc = subprocess.run([sys.executable, "-m", "benchmarks.bench_scoring",
                                       "--child", mode, str(work / "model.joblib"),
                                       str(manifest), str(out)],
                                      capture_output=True, text=True, cwd=ROOT)
                if proc.returncode:
                    print(proc.stderr[-2000:])
                    raise SystemExit(f"{mode} failed")
                r = json.loads(proc.stdout.strip().splitlines()[-1])
                rss = r["rss_mib"] + (r["children_rss_mib"] if mode == "dask" else 0)
                res[mode] = r
                print(f"{n:>8} {mode:<10} {r['rows'] / r['seconds']:>9.0f} {rss:>13.0f}")
            ref = pd.read_csv(work / f"out_in-memory_{n}.csv").prediction
            for mode in res:
                got = pd.read_csv(work / f"out_{mode}_{n}.csv").prediction
                assert (got.astype(str).to_numpy() == ref.astype(str).to_numpy()).all(), mode
            if "streamed" in res and "in-memory" in res:
                ratio = (res["in-memory"]["seconds"] / res["streamed"]["seconds"])
                print(f"{n:>8} streamed/in-memory throughput ratio: {ratio:.2f} "
                      f"(target >= 0.80); predictions identical across modes")


if __name__ == "__main__":
    main()
