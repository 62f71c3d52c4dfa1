"""FastSVC (blocked GEMM over the support vectors) vs scikit-learn's SVC (libsvm), same run.

Run from the repository root::

    python -m benchmarks.bench_svm              # 5,000 test rows x 512 features
    python -m benchmarks.bench_svm --quick      # 1,000 test rows, smaller training sets

Cases (one fitted ``SVC`` each; :meth:`mmfuse.svm.FastSVC.from_svc` shares its
fitted state, so both sides decide with the same model):

1. RBF, 3 classes, a hard synthetic problem (``make_classification`` with
   label noise and overlapping clusters: most training rows become support
   vectors), ``probability=True``;
2. the same with 10 classes (45 one-vs-one pairs);
3. ``kernel=mmfuse.kernels.Chi2Kernel(gamma)`` (a callable: scikit-learn computes
   it against every training row, FastSVC against the support rows only) on
   the features of case 1 shifted to be non-negative, ``gamma`` = 1 / the mean
   chi2 distance between training rows, 3 classes;
4. small batches: ``predict`` on 1, 10 and 100 rows with the model of case 1
   (best of 20 calls), what an online scorer sees;
5. with CuPy and a CUDA device: cases 1-2 on the GPU
   (``mmfuse.config_context(device='cuda')``) vs ``SVC`` on the CPU.

For ``predict``, ``decision_function`` and ``predict_proba`` it prints both
times, the ratio ``SVC time / FastSVC time`` (> 1: FastSVC faster), the largest
decision-value difference relative to the largest decision value, whether the
labels are identical, and the largest probability difference. Times are the
best of ``--repeat`` calls. The CPU cases run on the CPU whatever CUDA is present.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import warnings

import numpy as np

from ._timing import best_of

METHODS = ("predict", "decision_function", "predict_proba")


def _problem(n_classes, n_train, n_test, n_features, seed=0):
    from sklearn.datasets import make_classification

    X, y = make_classification(n_train + n_test, n_features, n_informative=64,
                               n_redundant=0, n_classes=n_classes, n_clusters_per_class=2,
                               flip_y=0.15, class_sep=0.6, random_state=seed)
    return X[:n_train], y[:n_train], X[n_train:]


def _fit(kernel, Xtr, ytr, **params):
    from sklearn.svm import SVC

    with warnings.catch_warnings():  # probability=True is deprecated in scikit-learn 1.9
        warnings.simplefilter("ignore", FutureWarning)
        return SVC(kernel=kernel, probability=True, random_state=0, **params).fit(Xtr, ytr)


def _compare(name, ref, fast, X, repeat, *, peer_times=None, peer_name="SVC"):
    """Time the three methods on both; return the peer's times for reuse."""
    times = {}
    for method in METHODS:
        if peer_times is None:
            t_peer, want = best_of(lambda: getattr(ref, method)(X), repeat)
        else:
            t_peer, want = peer_times[method]
        t_ours, got = best_of(lambda: getattr(fast, method)(X), repeat)
        times[method] = (t_peer, want)
        if method == "predict":
            check = f"labels identical: {bool(np.array_equal(got, want))}"
        elif method == "decision_function":
            err = np.abs(got - want).max() / np.abs(want).max()
            check = f"max |diff| / max |dec| {err:.1e}"
        else:
            check = f"max |proba diff| {np.abs(got - want).max():.1e}"
        print(f"{name:<34s} {method:<18s} FastSVC {t_ours:7.3f} s | {peer_name} {t_peer:7.3f} s"
              f" | ratio {t_peer / t_ours:6.2f}x | {check}", flush=True)
    return times


def _histograms(Xtr, Xte):
    """Non-negative features and a chi2 kernel scaled to them (mean distance 1)."""
    from mmfuse.kernels import Chi2Kernel, chi2_distance

    lo = Xtr.min()
    Xtr, Xte = Xtr - lo, np.maximum(Xte - lo, 0.0)
    return Xtr, Xte, Chi2Kernel(gamma=1.0 / chi2_distance(Xtr[:300]).mean())


def bench_cpu(cases, n_train, n_test, repeat):
    import mmfuse
    from mmfuse.svm import FastSVC

    results = {}
    for name, kernel, n_classes in cases:
        Xtr, ytr, Xte = _problem(n_classes, n_train, n_test, 512)
        if kernel == "chi2":
            Xtr, Xte, kernel = _histograms(Xtr, Xte)
        ref = _fit(kernel, Xtr, ytr)
        fast = FastSVC.from_svc(ref)
        label = f"{name}, {ref.support_.size:,} SVs"
        with mmfuse.config_context(device="cpu"):
            times = _compare(f"{label} (CPU)", ref, fast, Xte, repeat)
        results[name] = (ref, fast, Xte, times)
    return results


def bench_small_batches(ref, fast, X):
    import mmfuse

    with mmfuse.config_context(device="cpu"):
        for n in (1, 10, 100):
            t_peer, want = best_of(lambda: ref.predict(X[:n]), 20)
            t_ours, got = best_of(lambda: fast.predict(X[:n]), 20)
            print(f"rbf, 3 classes, predict on {n:>3d} rows (CPU)        FastSVC "
                  f"{t_ours * 1e3:7.2f} ms | SVC {t_peer * 1e3:7.2f} ms | ratio "
                  f"{t_peer / t_ours:6.2f}x | labels identical: {bool(np.array_equal(got, want))}",
                  flush=True)


def bench_gpu(results, repeat):
    from mmfuse._backend import cuda_available, cuda_status

    if not cuda_available():
        print(f"GPU: {cuda_status()}; GPU cases skipped (unverified)")
        return
    import mmfuse

    for name, (ref, fast, X, times) in results.items():
        if callable(ref.kernel):
            continue  # a callable kernel runs where the callable runs; nothing to add
        with mmfuse.config_context(device="cuda"):
            fast.predict(X[:10])  # CUDA context, cuBLAS handles
            _compare(f"{name} (GPU)", ref, fast, X, repeat, peer_times=times,
                     peer_name="SVC CPU")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args(argv)
    n_test = 1000 if args.quick else 5000
    n_train = 600 if args.quick else 2000
    from threadpoolctl import threadpool_info

    blas = [(i["internal_api"], i["num_threads"]) for i in threadpool_info()
            if i["user_api"] == "blas"]
    print(f"{datetime.date.today()} | {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs, BLAS {blas}, load average "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}", flush=True)
    print(f"{n_test:,} test rows x 512 features, best of {args.repeat}", flush=True)
    cases = [("rbf, 3 classes", "rbf", 3), ("rbf, 10 classes", "rbf", 10),
             ("chi2 callable, 3 classes", "chi2", 3)]
    results = bench_cpu(cases, n_train, n_test, args.repeat)
    bench_small_batches(*results["rbf, 3 classes"][:3])
    bench_gpu(results, args.repeat)
    print(f"load average at the end {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
