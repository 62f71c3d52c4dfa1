"""Where the benchmarks find the shared datasets, and what they say when they are absent."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["shared_datasets", "require", "CACHE"]

#: git-ignored folder for cached features of the evaluation scripts
CACHE = Path(__file__).resolve().parent / "out" / "cache"


def shared_datasets() -> Path:
    """``$MMFUSE_SHARED/datasets`` (or ``$MMFUSE_SHARED`` itself when it holds the
    dataset folders), else ``shared/datasets`` beside the repository checkout."""
    env = os.environ.get("MMFUSE_SHARED")
    if env:
        root = Path(env).expanduser()
        return root / "datasets" if (root / "datasets").is_dir() else root
    return Path(__file__).resolve().parents[2] / "shared" / "datasets"


def require(path, what) -> Path:
    """``path`` if it exists; else exit with a message saying where the data should be."""
    path = Path(path)
    if not path.exists():
        raise SystemExit(
            f"{what}: {path} not found. The evaluation data lives in shared/datasets beside "
            "the development checkout (not in a user's clone); set MMFUSE_SHARED to the "
            "folder holding it, or pass --data.")
    return path
