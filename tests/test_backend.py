import pickle

import numpy as np
import pytest

from mmfuse import _backend
from mmfuse._backend import (asarray, cuda_available, get_namespace, namespace_for,
                             resolve_device, to_numpy)


def test_resolve_device_cpu_and_auto():
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") == ("cuda" if cuda_available() else "cpu")
    assert resolve_device(None) == resolve_device("auto")


def test_resolve_device_rejects_unknown():
    with pytest.raises(ValueError, match="device must be one of"):
        resolve_device("gpu0")


@pytest.mark.skipif(cuda_available(), reason="checks the no-CUDA error")
def test_cuda_without_cuda_raises_clear_runtime_error():
    with pytest.raises(RuntimeError, match="device='cuda' was requested but .*device='auto'"):
        resolve_device("cuda")
    with pytest.raises(RuntimeError):
        asarray(np.ones(3), "cuda")


def test_disable_env_var_forces_cpu(monkeypatch):
    _backend._probe_cupy.cache_clear()
    monkeypatch.setenv("MMFUSE_DISABLE_CUDA", "1")
    try:
        assert not cuda_available()
        assert resolve_device("auto") == "cpu"
        assert "MMFUSE_DISABLE_CUDA" in _backend.cuda_status()
    finally:
        _backend._probe_cupy.cache_clear()


def test_numpy_namespace_roundtrip():
    x = np.arange(6.0).reshape(2, 3)
    assert get_namespace(x) is np
    assert get_namespace(x, None, 3.0, [1, 2]) is np
    assert get_namespace() is np
    assert namespace_for("cpu") is np
    y = asarray(x, "cpu", dtype=np.float32)
    assert y.dtype == np.float32 and isinstance(y, np.ndarray)
    np.testing.assert_array_equal(to_numpy(y), x)
    assert to_numpy([1, 2]).tolist() == [1, 2]


def test_only_backend_imports_cupy():
    """No module but _backend.py may import cupy (the architecture rule)."""
    from pathlib import Path

    import mmfuse

    root = Path(mmfuse.__file__).parent
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if p.name != "_backend.py" and any(
                     line.strip().startswith(("import cupy", "from cupy"))
                     for line in p.read_text().splitlines())]
    assert offenders == []


@pytest.mark.gpu
def test_gpu_roundtrip_and_mixed_devices():
    cp = namespace_for("cuda")
    x = np.arange(12.0).reshape(3, 4)
    g = asarray(x, "cuda")
    assert get_namespace(g) is cp
    np.testing.assert_array_equal(to_numpy(g), x)
    with pytest.raises(TypeError, match="different devices"):
        get_namespace(g, x)
    assert isinstance(pickle.loads(pickle.dumps(to_numpy(g))), np.ndarray)
