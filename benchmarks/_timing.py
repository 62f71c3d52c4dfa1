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


def alternate(ours, peer, repeat):
    """Time ``ours`` and ``peer`` in alternation, ``repeat`` rounds (drift and other jobs
    on a shared machine then weigh on both sides alike).

    Returns ``(t_ours, t_peer, ratios, out_ours, out_peer)``: the best time of each,
    the per-round ratios ``peer / ours`` and the last results.
    """
    t_ours, t_peer, ratios = [], [], []
    out_ours = out_peer = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out_ours = ours()
        t1 = time.perf_counter()
        out_peer = peer()
        t2 = time.perf_counter()
        t_ours.append(t1 - t0)
        t_peer.append(t2 - t1)
        ratios.append((t2 - t1) / (t1 - t0))
    return min(t_ours), min(t_peer), ratios, out_ours, out_peer


def ratio_text(t_ours, t_peer, ratios):
    """``'1.42x (rounds 1.30-1.51x)'``: the ratio of best times and the spread of rounds."""
    spread = f" (rounds {min(ratios):.2f}-{max(ratios):.2f}x)" if len(ratios) > 1 else ""
    return f"{t_peer / t_ours:.2f}x{spread}"
