"""Timing shared by the benchmarks."""

import time


def best_of(fn, repeat):
    """``(best wall time in seconds, result of the last call)`` over ``repeat`` calls of ``fn``."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out
