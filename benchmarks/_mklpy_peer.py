"""MKLpy side of ``benchmarks.bench_kernel_fusion``: run in a separate environment with MKLpy.

MKLpy (GPL-3, PyTorch, CVXOPT) is never a dependency of mmfuse: the benchmark
writes the block kernels to an ``.npz`` and runs this file with the Python of a
scratch virtual environment where ``pip install torch==2.13.0 MKLpy==0.6 cvxopt``
was done. It prints one JSON object per model on stdout.

Usage: ``/tmp/mklvenv/bin/python benchmarks/_mklpy_peer.py kernels.npz``
(the ``.npz`` holds ``K_train`` (k, n, n), ``K_test`` (k, m, n), ``y_train``,
``y_test``, ``C``, ``lam``, ``repeat``).
"""

import json
import sys
import time
import warnings

import numpy as np


def main(path):
    import MKLpy
    import torch
    from MKLpy.algorithms import CKA, AverageMKL, EasyMKL
    from sklearn.svm import SVC

    warnings.filterwarnings("ignore")
    d = np.load(path)
    Ktr = [torch.tensor(K) for K in d["K_train"]]
    Kte = [torch.tensor(K) for K in d["K_test"]]
    ytr, yte = d["y_train"], d["y_test"]
    C, lam, repeat = float(d["C"]), float(d["lam"]), int(d["repeat"])
    models = {
        "AverageMKL": lambda: AverageMKL(learner=SVC(C=C)),
        "EasyMKL": lambda: EasyMKL(lam=lam, learner=SVC(C=C)),
        "CKA": lambda: CKA(learner=SVC(C=C)),
    }
    for name, make in models.items():
        best = np.inf
        for _ in range(repeat):
            model = make()
            t0 = time.perf_counter()
            model.fit(Ktr, ytr)
            best = min(best, time.perf_counter() - t0)
        pred = np.asarray(model.predict(Kte))
        sol = model.solution
        if isinstance(sol, dict):  # one-vs-rest: one combination per class
            w = np.mean([np.asarray(s.weights, dtype=float) for s in sol.values()], axis=0)
        else:
            w = np.asarray(sol.weights, dtype=float)
        print(json.dumps({"model": name, "accuracy": float(np.mean(pred == yte)),
                          "fit_s": best, "weights": w.tolist(),
                          "version": getattr(MKLpy, "__version__", "0.6"),
                          "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
