"""Training serially vs on a Dask LocalCluster: wall time, client memory, per-row costs.

    python -m benchmarks.bench_distributed [--rows 1000 2000]

The ``av_digits`` recipe (HOG image block + MFCC audio block, standardised,
weighted early fusion, Platt-calibrated RBF SVM) is fitted on the training rows
of the embedded AV digits (:func:`mmfuse.datasets.load_av_digits`, 1,000 rows;
larger ``--rows`` repeat them, each row with its own copy of its arrays). Each
mode runs in its own subprocess so its peak RSS is its own:

* serial: ``Pipeline.fit`` in one process, timed as its two stages (the fuser's
  ``fit_transform``, then the rest on the fused features); the rest is also
  fitted on half the rows, which gives the fit's growth exponent;
* dask: :func:`mmfuse.distributed.fit_distributed` on a ``LocalCluster`` of 2
  worker processes x 1 thread on 127.0.0.1 (started, and warmed with a 60-row
  fit, before the clock starts). The stage lines give the time of each stage
  and the task stream the worker-seconds of the extraction tasks.

Client memory: the ``tracemalloc`` peak during the fit (Python and NumPy
allocations of the client process) and the process's peak RSS. Both modes'
predictions on the 500 test rows are compared (they must be equal). The
projection to 1M rows that ``benchmarks/RESULTS.md`` gives is computed from the
printed per-row costs.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _data(rows):
    import pandas as pd

    from mmfuse.datasets import load_av_digits

    d = load_av_digits()
    train, test = d.split == "train", d.split == "test"
    X, y = d.X[train], d.y[train]
    reps = -(-rows // len(X))
    X = pd.concat([X] * reps, ignore_index=True).iloc[:rows]
    # every row its own arrays, as real data has (repeated objects would pickle as references)
    X = X.apply(lambda col: col.map(_copy))
    y = np.tile(y, reps)[:rows]
    return X, y, d.X[test]


def _copy(item):
    return (item[0].copy(), item[1]) if isinstance(item, tuple) else item.copy()


def _child(mode, rows, out):
    """Runs in a subprocess; prints one JSON line."""
    from sklearn.base import clone
    from sklearn.pipeline import Pipeline

    from mmfuse.pipelines import av_digits

    X, y, X_test = _data(rows)
    res = {"mode": mode, "rows": rows}
    av_digits.build().fit(X[:60], y[:60])  # imports, JIT: not timed in either mode
    if mode == "serial":
        model = av_digits.build()
        tracemalloc.start()
        t0 = time.perf_counter()
        Z = model[0].fit_transform(X, y)
        t1 = time.perf_counter()
        tail = Pipeline(model.steps[1:]).fit(Z, y)
        t2 = time.perf_counter()
        res["client_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        model.steps[1:] = tail.steps
        t3 = time.perf_counter()
        Pipeline(clone(model).steps[1:]).fit(Z[: rows // 2], y[: rows // 2])
        res.update(seconds=t2 - t0, extract_s=t1 - t0, fit_s=t2 - t1,
                   fit_half_s=time.perf_counter() - t3, n_features=int(Z.shape[1]),
                   fused_bytes_per_row=Z.dtype.itemsize * Z.shape[1])
    else:
        import pickle

        from distributed import Client, LocalCluster, get_task_stream

        from mmfuse.distributed import fit_distributed

        t0 = time.perf_counter()
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None)
        client = Client(cluster)
        res["cluster_start_s"] = time.perf_counter() - t0
        fit_distributed(av_digits.build(), X[:60], y[:60], client=client)  # warm workers
        stages = []
        tracemalloc.start()
        with get_task_stream(client) as ts:
            t0 = time.perf_counter()
            model = fit_distributed(av_digits.build(), X, y, client=client,
                                    on_stage=lambda s: stages.append((time.perf_counter(), s)))
            t1 = time.perf_counter()
        res["client_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        marks = [t for t, _ in stages] + [t1]
        res["stages"] = [(s.split(":")[0][:60], round(b - a, 3))
                         for (a, (_, s)), b in zip(zip(marks, stages), marks[1:])]
        busy = {}
        for task in ts.data:
            kind = "-".join(str(task["key"]).split("-")[:3])
            for ss in task["startstops"]:
                if ss["action"] == "compute":
                    busy[kind] = busy.get(kind, 0.0) + ss["stop"] - ss["start"]
        res.update(seconds=t1 - t0, worker_busy_s={k: round(v, 3) for k, v in busy.items()},
                   bytes_in_per_row=len(pickle.dumps(X, protocol=5)) / rows)
        client.close()
        cluster.close()
    res["rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    np.save(out, np.asarray(model.predict(X_test)))
    print(json.dumps(res))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[1000, 2000])
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        _child(args.child[0], int(args.child[1]), args.child[2])
        return
    import tempfile

    print("recipe av_digits (HOG + MFCC, weighted early fusion, calibrated RBF SVM); "
          "dask = LocalCluster 2 workers x 1 thread on 127.0.0.1")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.rows:
            out = {}
            for mode in ("serial", "dask"):
                path = Path(tmp) / f"{mode}{n}.npy"
                proc = subprocess.run([sys.executable, "-m", "benchmarks.bench_distributed",
                                       "--child", mode, str(n), str(path)],
                                      capture_output=True, text=True, cwd=ROOT)
                if proc.returncode:
                    sys.exit(proc.stderr)
                out[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
                out[mode]["pred"] = np.load(path)
            s, d = out["serial"], out["dask"]
            same = np.array_equal(s.pop("pred"), d.pop("pred"))
            print(f"\n{n} rows: serial {s['seconds']:.2f} s (extract {s['extract_s']:.2f} s, "
                  f"rest {s['fit_s']:.2f} s; rest on {n // 2} rows {s['fit_half_s']:.2f} s), "
                  f"client tracemalloc peak {s['client_peak_mib']:.0f} MiB, "
                  f"RSS {s['rss_mib']:.0f} MiB")
            print(f"{n} rows: dask   {d['seconds']:.2f} s (cluster start "
                  f"{d['cluster_start_s']:.1f} s, not counted), client tracemalloc peak "
                  f"{d['client_peak_mib']:.0f} MiB, RSS {d['rss_mib']:.0f} MiB; "
                  f"test predictions identical: {same}")
            print("  stages: " + "; ".join(f"{name} {sec:.2f} s" for name, sec in d["stages"]))
            print("  worker busy s: " + json.dumps(d["worker_busy_s"]))
            ext = sum(v for k, v in d["worker_busy_s"].items() if k.startswith("mmfuse-extract"))
            print(f"  per row: extraction {1e6 * ext / n:.0f} us worker-time, items sent "
                  f"{d['bytes_in_per_row'] / 1024:.1f} KiB, fused features "
                  f"{s['fused_bytes_per_row'] / 1024:.1f} KiB ({s['n_features']} float64); "
                  f"client fit grows as n^{np.log2(s['fit_s'] / s['fit_half_s']):.2f}")


if __name__ == "__main__":
    main()
