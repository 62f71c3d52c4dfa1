"""The backend contract: every public batched function returns its input's namespace.

NumPy in, NumPy out; CuPy in, CuPy out; whatever device computed it (the rule of
:mod:`mmfuse._backend`). CuPy need not be installed: ``fake_cupy`` makes
``_backend`` take a NumPy subclass for CuPy arrays and a NumPy-backed module for
the ``cupy`` namespace, so both the "GPU" code paths (written against ``xp``)
and the conversions at the boundaries run here. Like CuPy, the fake refuses to
mix its arrays with NumPy arrays in one operation, so a missing conversion fails.
"""

from __future__ import annotations

import contextlib
import threading
import types

import numpy as np
import pytest
import sklearn

import mmfuse
from mmfuse import _backend
from mmfuse._backend import asarray, chunk_n_rows, dispatch, gen_chunks, to_numpy
from mmfuse.audio import mfcc
from mmfuse.image import dense_sift, hog
from mmfuse.image.encoding import BoVWEncoder, FisherEncoder, VLADEncoder, assign
from mmfuse.kernels import (chi2_distance, chi2_kernel, intersection_kernel, kernel_diagonal,
                            pairwise_kernel)


class FakeArray(np.ndarray):
    """A NumPy array that :mod:`mmfuse._backend` takes for a CuPy array."""

    def get(self):
        return np.array(self.view(np.ndarray))

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        out = kwargs.get("out", ())
        _refuse_numpy(inputs + tuple(out))
        inputs = tuple(_plain(a) for a in inputs)
        if out:
            kwargs["out"] = tuple(_plain(o) for o in out)
        with _inside():
            result = getattr(ufunc, method)(*inputs, **kwargs)
        return out[0] if len(out) == 1 else _fake(result)

    def __array_function__(self, func, types_, args, kwargs):
        flat = [a for arg in args for a in (arg if isinstance(arg, (list, tuple)) else [arg])]
        _refuse_numpy(flat + list(kwargs.values()))
        with _inside():
            return _fake(super().__array_function__(func, types_, args, kwargs))


FakeArray.__module__ = "cupy._core.core"  # what _backend reads to recognise CuPy


_DEPTH = threading.local()


@contextlib.contextmanager
def _inside():
    """NumPy's own calls inside an operation on fake arrays are not checked."""
    _DEPTH.n = getattr(_DEPTH, "n", 0) + 1
    try:
        yield
    finally:
        _DEPTH.n -= 1


def _refuse_numpy(values):
    if getattr(_DEPTH, "n", 0):
        return
    if any(type(v) is np.ndarray and v.ndim > 0 for v in values):
        raise TypeError("fake CuPy: a NumPy array in an operation on CuPy arrays")


def _plain(a):
    return a.view(np.ndarray) if isinstance(a, FakeArray) else a


def _fake(r):
    if isinstance(r, np.ndarray) and not isinstance(r, FakeArray):
        return r.view(FakeArray)
    if isinstance(r, tuple):
        return tuple(_fake(v) for v in r)
    return r


class FakeCupy(types.ModuleType):
    """NumPy's functions, returning :class:`FakeArray`."""

    def __getattr__(self, name):
        attr = getattr(np, name)
        if isinstance(attr, types.ModuleType):
            return attr
        if callable(attr) and not isinstance(attr, type):
            return lambda *a, **k: _fake(attr(*a, **k))
        return attr


@pytest.fixture
def fake_cupy(monkeypatch):
    cp = FakeCupy("cupy")
    monkeypatch.setattr(_backend, "_probe_cupy", lambda: (cp, "fake CuPy"))
    return cp


def _is_fake(x):
    return isinstance(x, FakeArray)


def _is_numpy(x):
    return type(x) is np.ndarray


def _check_rule(func, x, *, atol, **kwargs):
    """``func(x)`` on every (input namespace, device): the output follows the input."""
    ref = func(x, device="cpu", **kwargs)
    assert _is_numpy(ref)
    on_gpu = func(x, device="cuda", **kwargs)  # NumPy in, "GPU" computation
    assert _is_numpy(on_gpu)
    np.testing.assert_allclose(on_gpu, ref, atol=atol)
    fx = asarray(x, "cuda")
    assert _is_fake(fx)
    for device in ("cpu", None, "auto", "cuda"):  # CuPy in, computed on either device
        out = func(fx, device=device, **kwargs)
        assert _is_fake(out), device
        np.testing.assert_allclose(to_numpy(out), ref, atol=atol)


# --------------------------------------------------------------------------- the decision

def test_dispatch_without_cupy():
    x = np.zeros(3)
    assert dispatch(x) == (np, np)
    assert dispatch(x, device="cpu").device == "cpu"
    assert dispatch([1, 2]).on_cpu
    assert dispatch(x).output(x) is x


def test_dispatch_follows_input_then_device(fake_cupy):
    x = np.zeros((2, 3))
    fx = asarray(x, fake_cupy)
    assert _is_fake(fx)
    assert dispatch(x, device="cuda") == (fake_cupy, np)
    assert dispatch(x, device="cpu") == (np, np)
    with mmfuse.config_context(device="cuda"):
        assert dispatch(x) == (fake_cupy, np)
    with mmfuse.config_context(device="cpu"):
        # a CuPy input stays on its GPU unless a device is named
        assert dispatch(fx) == (fake_cupy, fake_cupy)
        assert dispatch(fx, device="auto") == (fake_cupy, fake_cupy)
    assert dispatch(fx, device="cpu") == (np, fake_cupy)
    where = dispatch(fx, device="cpu")
    assert _is_numpy(where.put(fx))
    assert _is_fake(where.output(np.ones(2)))
    with pytest.raises(TypeError, match="different devices"):
        dispatch(x, fx)


def test_asarray_takes_a_namespace_or_a_device(fake_cupy):
    x = np.arange(3.0)
    assert _is_fake(asarray(x, fake_cupy)) and _is_fake(asarray(x, "cuda"))
    back = asarray(asarray(x, "cuda"), np, dtype=np.float32)
    assert _is_numpy(back) and back.dtype == np.float32
    assert _is_numpy(asarray(asarray(x, "cuda"), "cpu"))
    assert _is_numpy(asarray([1, 2], np))


# --------------------------------------------------------------------------- chunks

def test_chunks_honour_scikit_learn_working_memory():
    row = 2 ** 20  # 1 MiB per row
    with sklearn.config_context(working_memory=64):
        assert mmfuse.get_config()["working_memory"] == 64
        assert chunk_n_rows(row) == 64
        assert chunk_n_rows(row, max_n_rows=10) == 10
        with mmfuse.config_context(working_memory=8):  # mmfuse's own key wins
            assert chunk_n_rows(row) == 8
            assert sklearn.get_config()["working_memory"] == 64
    assert chunk_n_rows(row) == sklearn.get_config()["working_memory"]


def test_a_row_over_the_budget_is_a_chunk_alone(recwarn):
    with mmfuse.config_context(working_memory=1):
        assert chunk_n_rows(10 * 2 ** 20) == 1
        assert gen_chunks(3, 10 * 2 ** 20) == [slice(0, 1), slice(1, 2), slice(2, 3)]
    assert not [w for w in recwarn if "working_memory" in str(w.message)]


# --------------------------------------------------------------------------- the rule

@pytest.fixture
def images():
    rng = np.random.default_rng(0)
    return rng.random((3, 32, 40)).astype(np.float32)


def test_hog(fake_cupy, images):
    _check_rule(hog, images, atol=1e-4)


def test_hog_visualize(fake_cupy, images):
    feats, pictures = hog(asarray(images, "cuda"), visualize=True, device="cpu")
    assert _is_fake(feats) and _is_fake(pictures)
    feats, pictures = hog(images, visualize=True, device="cuda")
    assert _is_numpy(feats) and _is_numpy(pictures)


def test_dense_sift(fake_cupy, images):
    def descriptors(x, device):
        D, positions = dense_sift(x, step=8, patch_size=16, device=device)
        assert _is_numpy(positions)
        return D

    _check_rule(descriptors, images, atol=2e-2)


def test_mfcc(fake_cupy):
    y = np.random.default_rng(1).standard_normal((2, 4000))
    _check_rule(mfcc, y, atol=1e-6)
    _check_rule(mfcc, y[0], atol=1e-6)


def test_assign(fake_cupy):
    rng = np.random.default_rng(2)
    X, C = rng.random((50, 4)), rng.random((5, 4))
    _check_rule(lambda x, device: assign(x, C, device=device), X, atol=0)
    labels, dists = assign(asarray(X, "cuda"), C, device="cpu", return_distances=True)
    assert _is_fake(labels) and _is_fake(dists)


@pytest.mark.parametrize("Encoder", [BoVWEncoder, VLADEncoder, FisherEncoder])
def test_encoders_compute_on_either_device(fake_cupy, Encoder):
    rng = np.random.default_rng(3)
    sets = [rng.random((n, 4)) for n in (5, 0, 9)]
    enc = Encoder(4, device="cpu", random_state=0).fit(sets)
    ref = enc.transform(sets)
    gpu = enc.set_params(device="cuda").transform(sets)
    assert _is_numpy(gpu)  # an estimator's output and its fitted state are NumPy
    np.testing.assert_allclose(gpu, ref, atol=1e-5)


@pytest.mark.parametrize("func", [chi2_kernel, intersection_kernel, chi2_distance,
                                  pairwise_kernel])
def test_kernels(fake_cupy, func):
    X = np.random.default_rng(4).random((6, 5))
    _check_rule(lambda x, device: func(x, X[:4], device=device), X, atol=1e-12)


def test_kernel_diagonal(fake_cupy):
    X = np.random.default_rng(5).random((6, 5))
    ref = kernel_diagonal(X, kernel="linear")
    assert _is_numpy(ref)
    out = kernel_diagonal(asarray(X, "cuda"), kernel="linear")
    assert _is_fake(out)
    np.testing.assert_allclose(to_numpy(out), ref)
