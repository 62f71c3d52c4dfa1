"""joblib ``Parallel`` that carries the caller's configuration into its workers.

Modelled on :mod:`sklearn.utils.parallel`: :class:`Parallel` captures, when it
is called, the mmfuse configuration (:func:`mmfuse.get_config`) and
scikit-learn's (:func:`sklearn.get_config`), and every task re-enters both
before it runs, in whatever thread or process executes it. A task also runs
inside its own :func:`mmfuse.collect_errors` block and returns the errors of
the rows it skipped, and its input warnings, *as values* beside its result;
:class:`Parallel` hands them to the caller's ``collect_errors`` blocks (and
issues the warnings) in task order. So concurrent
callers never see each other's errors, and errors reach the caller from
worker processes as well as from threads.

Use :func:`delayed` from this module (or :func:`joblib.delayed`) with it.

For the CPU kernels: :func:`n_cores`, :func:`single_threaded_blas` (BLAS on one
thread while chunks run one per core) and :func:`run_shares` (chunks of a batch
shared among one thread per core).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import sys
import threading

import joblib

from . import _config

__all__ = ["Parallel", "delayed", "n_cores", "run_shares", "single_threaded_blas"]

delayed = joblib.delayed


class _InContext:
    """Run ``func`` under a captured configuration; return ``(result, skipped errors)``."""

    def __init__(self, func, mmfuse_config, sklearn_config):
        self.func = func
        self.mmfuse_config = mmfuse_config
        self.sklearn_config = sklearn_config

    def __call__(self, *args, **kwargs):
        import sklearn  # noqa: PLC0415

        with sklearn.config_context(**self.sklearn_config), \
                _config.config_context(**self.mmfuse_config), \
                _config.collect_errors() as errors, _config.collect_warnings() as notes:
            result = self.func(*args, **kwargs)
        return result, errors, notes


class Parallel(joblib.Parallel):
    """:class:`joblib.Parallel` whose tasks see the caller's mmfuse and scikit-learn config.

    Errors that tasks report under ``on_error='skip'`` come back with their
    results and are re-reported in the caller's context, in task order.
    Only list output is supported (``return_as='list'``, joblib's default).
    """

    def __call__(self, iterable):
        import sklearn  # noqa: PLC0415

        mm_config = _config.get_config()
        sk_config = sklearn.get_config()
        tasks = ((_InContext(func, mm_config, sk_config), args, kwargs)
                 for func, args, kwargs in iterable)
        results = []
        for result, errors, notes in super().__call__(tasks):
            _config.report_errors(errors)
            for note in notes:
                _config.warn_input(note)
            results.append(result)
        return results


# --------------------------------------------------------------------------- CPU kernels

@functools.lru_cache(maxsize=1)
def n_cores():
    """Cores this process may use (joblib reads cgroup quotas and affinity; once)."""
    return max(1, joblib.cpu_count())


_BLAS = {"lock": threading.Lock(), "users": 0, "limiter": None, "controller": None,
         "modules": 0}


@contextlib.contextmanager
def single_threaded_blas():
    """BLAS on one thread inside the block (concurrent callers share one limit).

    :func:`threadpoolctl.threadpool_limits` is process-wide: two overlapping
    ``with`` blocks in two threads would restore each other's limits in the
    wrong order, so the first caller sets the limit and the last one restores it.
    """
    with _BLAS["lock"]:
        if _BLAS["users"] == 0:
            # a controller knows the BLAS libraries loaded when it was made; an import
            # since then (e.g. scipy.linalg's OpenBLAS) may have loaded another one
            if _BLAS["controller"] is None or _BLAS["modules"] != len(sys.modules):
                from threadpoolctl import ThreadpoolController  # noqa: PLC0415

                _BLAS["controller"] = ThreadpoolController()
                _BLAS["modules"] = len(sys.modules)
            _BLAS["limiter"] = _BLAS["controller"].limit(limits=1, user_api="blas")
        _BLAS["users"] += 1
    try:
        yield
    finally:
        with _BLAS["lock"]:
            _BLAS["users"] -= 1
            if _BLAS["users"] == 0:
                _BLAS["limiter"].restore_original_limits()
                _BLAS["limiter"] = None


def run_shares(chunks, work, *, single_blas=False):
    """Call ``work(share)`` on contiguous shares of ``chunks``, one thread per core.

    ``chunks`` is a list (e.g. of ``(start, stop)`` bounds); it is cut into at
    most :func:`n_cores` contiguous shares of nearly equal length, and each
    share is handed to ``work`` in a thread that runs in a copy of the caller's
    context (so it sees the caller's mmfuse configuration). A single share runs
    in the calling thread. The kernels that use this release the GIL (NumPy,
    OpenCV, BLAS) and write disjoint parts of their output, so the result does
    not depend on the number of threads. With ``single_blas`` BLAS runs on one
    thread meanwhile (one product per core rather than threads competing).
    The first exception of a share is raised, after every thread has finished.
    """
    n = min(len(chunks), n_cores())
    bounds = [round(i * len(chunks) / n) for i in range(n + 1)] if n else [0]
    shares = [chunks[a:b] for a, b in zip(bounds, bounds[1:])]
    with single_threaded_blas() if single_blas else contextlib.nullcontext():
        if len(shares) <= 1:
            for share in shares:
                work(share)
            return
        from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

        with ThreadPoolExecutor(max_workers=len(shares)) as pool:
            futures = [pool.submit(contextvars.copy_context().run, work, share)
                       for share in shares]
            for f in futures:
                f.result()
