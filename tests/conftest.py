import os
from pathlib import Path

import numpy as np
import pytest

from mmfuse._backend import cuda_available

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def pytest_collection_modifyitems(config, items):
    if cuda_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device with CuPy (pip install 'mmfuse[gpu]')")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def shared_datasets():
    """Path to ../shared/datasets; skips the test when the folder is absent (a user's clone)."""
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent (only present in the development checkout)")
    return SHARED


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(params=["cpu", pytest.param("cuda", marks=pytest.mark.gpu)])
def device(request):
    """Run a test on the CPU and, where CUDA is usable, on the GPU."""
    return request.param


@pytest.fixture(autouse=True)
def _no_progress_bars(monkeypatch):
    monkeypatch.setenv("TQDM_DISABLE", "1")
    yield


os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(os.environ.get("TMPDIR", "/tmp")) / "mmfuse-numba"))
