"""The backend contract: every public batched function returns its input's namespace.

Estimators that compute on either device (``SIFTFeatures``, the encoders) return
NumPy; ``FastSVC``'s decisions follow their input's namespace, as functions do.

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
from mmfuse.image import SIFTFeatures, dense_sift, hog
from mmfuse.image import BoVWEncoder, FisherEncoder, VLADEncoder, assign
from mmfuse.image import _sift as sift_module
from mmfuse.kernels import (chi2_distance, chi2_kernel, intersection_kernel, kernel_diagonal,
                            pairwise_kernel)
from mmfuse.svm import FastSVC


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


# --------------------------------------------------------------------------- estimators

def _sift_images():
    rng = np.random.default_rng(6)
    return ([rng.random((48, 48)).astype(np.float32) for _ in range(4)]
            + [rng.random((40, 64)).astype(np.float32) for _ in range(3)])


def test_sift_features_compute_on_either_device(fake_cupy):
    images = _sift_images()
    sift = SIFTFeatures(encoding="bovw", n_words=4, step=6, patch_size=12, max_side=64,
                        random_state=0, device="cpu").fit(images)
    ref = list(sift._iter_descriptors(images))
    gpu = list(sift.set_params(device="cuda")._iter_descriptors(images))
    for (_, d_ref, p_ref, _), (_, d_gpu, p_gpu, _) in zip(ref, gpu):
        for a, b, pa, pb in zip(d_ref, d_gpu, p_ref, p_gpu):
            assert _is_numpy(b) and _is_numpy(pb)  # descriptors come back to the host
            np.testing.assert_array_equal(pa, pb)
            np.testing.assert_allclose(a, b, atol=2e-2)
    features = sift.transform(images)
    assert _is_numpy(features)  # an estimator's output and its fitted state are NumPy
    assert features.shape == (len(images), sift.n_regions_ * 4)


@pytest.mark.parametrize("encoding", ["bovw", "vlad"])
def test_sift_features_chunks_follow_working_memory(encoding):
    """Batches of images and chunks of one shape follow the working memory; a small
    and a large budget give the same descriptors and features up to float32 rounding
    (the CPU kernel's matrix products have the chunk's height)."""
    images = _sift_images()
    sift = SIFTFeatures(encoding=encoding, n_words=4, step=6, patch_size=12, max_side=64,
                        random_state=0, device="cpu").fit(images)
    calls = []
    batch = sift_module.dense_sift_batch
    with sklearn.config_context(working_memory=1):  # one image per batch
        small = list(sift._iter_descriptors(images))
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(sift_module, "dense_sift_batch",
                       lambda images, **kw: calls.append(len(images)) or batch(images, **kw))
            small_features = sift.transform(images)
    with sklearn.config_context(working_memory=1024):  # every image in one batch
        large = list(sift._iter_descriptors(images))
        large_features = sift.transform(images)
    assert len(small) == len(images) and len(large) == 1
    assert calls == [1] * len(images)
    with mmfuse.config_context(working_memory=1):  # two 48 x 48 images per chunk
        calls.clear()
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(sift_module, "dense_sift_batch",
                       lambda images, **kw: calls.append(len(images)) or batch(images, **kw))
            sift._dense(images[:4], _backend.dispatch(device="cpu"))
    assert calls == [2, 2]
    small_descs = [d for _, descs, _, _ in small for d in descs]
    for a, b in zip(small_descs, large[0][1]):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    np.testing.assert_allclose(small_features, large_features, rtol=0, atol=1e-6)


def _fitted_svc(**params):
    from sklearn.datasets import make_classification

    X, y = make_classification(160, 6, n_informative=4, n_redundant=0, n_classes=3,
                               n_clusters_per_class=1, flip_y=0.1, random_state=0)
    return FastSVC(random_state=0, **params).fit(X[:100], y[:100]), X[100:]


@pytest.mark.filterwarnings("ignore:The `probability` parameter:FutureWarning")
@pytest.mark.parametrize("kernel", ["rbf", "poly", "precomputed"])
def test_fast_svc(fake_cupy, kernel):
    svc, X = _fitted_svc(kernel="linear" if kernel == "precomputed" else kernel,
                         probability=True)
    if kernel == "precomputed":
        Xtr = svc.support_vectors_  # any training matrix will do: a kernel against it
        svc = FastSVC(kernel="precomputed", probability=True, random_state=0).fit(
            Xtr @ Xtr.T, svc.predict(Xtr))
        X = X @ Xtr.T
    methods = {"decision_function": svc.decision_function, "predict": svc.predict,
               "predict_proba": svc.predict_proba, "predict_log_proba": svc.predict_log_proba}
    for name, method in methods.items():
        with mmfuse.config_context(device="cpu"):
            ref = method(X)
        assert _is_numpy(ref), name
        with mmfuse.config_context(device="cuda"):  # NumPy in, "GPU" computation
            on_gpu = method(X)
        assert _is_numpy(on_gpu), name
        np.testing.assert_allclose(on_gpu, ref, rtol=0, atol=1e-10)
        fx = asarray(X, "cuda")
        for device in ("cpu", "auto", "cuda"):  # CuPy in, computed on either device
            with mmfuse.config_context(device=device):
                out = method(fx)
            assert _is_fake(out), (name, device)
            np.testing.assert_allclose(to_numpy(out), ref, rtol=0, atol=1e-10)


def test_fast_svc_string_labels_stay_numpy(fake_cupy):
    svc, X = _fitted_svc()
    svc.fit(X, np.array(["a", "b", "c"])[svc.predict(X)])
    labels = svc.predict(asarray(X, "cuda"))
    assert _is_numpy(labels) and labels.dtype.kind == "U"
    assert _is_fake(svc.decision_function(asarray(X, "cuda")))


@pytest.mark.filterwarnings("ignore:The `probability` parameter:FutureWarning")
def test_fast_svc_chunks_follow_working_memory():
    """Chunks within a small or a large budget give the same labels and, up to the
    rounding of a matrix product of another height, the same values."""
    svc, _ = _fitted_svc(probability=True)
    X = np.random.default_rng(7).normal(size=(3000, 6))
    results = []
    for working_memory in (1, 1024):
        with sklearn.config_context(working_memory=working_memory):
            results.append((svc.decision_function(X), svc.predict(X), svc.predict_proba(X)))
    (d_small, y_small, p_small), (d_large, y_large, p_large) = results
    np.testing.assert_array_equal(y_small, y_large)
    np.testing.assert_allclose(d_small, d_large, rtol=0, atol=1e-12)
    np.testing.assert_allclose(p_small, p_large, rtol=0, atol=1e-12)


def test_fast_svc_sparse_input_and_support_vectors_stay_on_the_host(fake_cupy):
    import scipy.sparse as sp

    svc, X = _fitted_svc()
    model = FastSVC(random_state=0).fit(sp.csr_matrix(X), svc.predict(X))
    for data in (sp.csr_matrix(X), X, asarray(X, "cuda")):
        ref = model.decision_function(data)
        with mmfuse.config_context(device="cuda"):
            out = model.decision_function(data)
        assert _is_fake(out) == _is_fake(data)
        np.testing.assert_array_equal(to_numpy(out), to_numpy(ref))
