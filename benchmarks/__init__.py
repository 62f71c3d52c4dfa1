"""Peer-ratio benchmarks (not tests): python -m benchmarks.bench_<area> [--quick]."""
