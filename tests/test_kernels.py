"""Histogram kernels: parity with scikit-learn (chi2) and a brute-force reference (intersection)."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.metrics.pairwise import chi2_kernel as sk_chi2
from sklearn.model_selection import GridSearchCV
from sklearn.svm import SVC

from mmfuse import config_context
from mmfuse.kernels import (
    Chi2Kernel,
    IntersectionKernel,
    _chi2_block,
    _pairwise,
    chi2_kernel,
    intersection_kernel,
)


def _hist(rng, n, d, zeros=0.3):
    X = rng.random((n, d))
    X[rng.random((n, d)) < zeros] = 0.0  # sparse-ish histograms: exercises x + y = 0 terms
    return X


@pytest.mark.parametrize("gamma", [0.1, 1.0, 3.0])
def test_chi2_equals_sklearn(device, rng, gamma):
    X, Y = _hist(rng, 37, 11), _hist(rng, 23, 11)
    np.testing.assert_allclose(chi2_kernel(X, Y, gamma=gamma, device=device),
                               sk_chi2(X, Y, gamma=gamma), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(chi2_kernel(X, gamma=gamma, device=device),
                               sk_chi2(X, gamma=gamma), rtol=1e-10, atol=1e-12)


def test_chi2_array_namespace_path_equals_sklearn(rng):
    """The xp code (what runs on a GPU) run with NumPy gives scikit-learn's values."""
    X, Y = _hist(rng, 20, 9), _hist(rng, 15, 9)
    K = np.exp(0.7 * _pairwise(X, Y, "cpu", "chi2_kernel", _chi2_block))
    np.testing.assert_allclose(K, sk_chi2(X, Y, gamma=0.7), rtol=1e-12)


def test_intersection_matches_brute_force(device, rng):
    X, Y = _hist(rng, 19, 7), _hist(rng, 13, 7)
    ref = np.array([[sum(min(a, b) for a, b in zip(x, y)) for y in Y] for x in X])
    np.testing.assert_allclose(intersection_kernel(X, Y, device=device), ref, rtol=1e-12)
    np.testing.assert_allclose(intersection_kernel(X, device=device), intersection_kernel(X, X))
    # a histogram intersected with itself is its mass
    np.testing.assert_allclose(np.diag(intersection_kernel(X)), X.sum(axis=1))


def test_chunking_and_sparse_input_give_the_same_result(rng):
    X, Y = _hist(rng, 300, 50), _hist(rng, 200, 50)
    full = chi2_kernel(X, Y, gamma=0.5)
    with config_context(working_memory=1):  # forces many chunks (about 130 rows each)
        np.testing.assert_allclose(chi2_kernel(X, Y, gamma=0.5), full, rtol=1e-12)
        np.testing.assert_allclose(intersection_kernel(sp.csr_matrix(X), Y),
                                   intersection_kernel(X, Y), rtol=1e-12)
    np.testing.assert_allclose(chi2_kernel(sp.csr_matrix(X), sp.csr_matrix(Y), gamma=0.5),
                               full, rtol=1e-12)


@pytest.mark.parametrize("kernel", [chi2_kernel, intersection_kernel])
def test_invalid_input_errors(kernel):
    with pytest.raises(ValueError, match="negative values"):
        kernel(np.array([[1.0, -0.5]]))
    with pytest.raises(ValueError, match="NaN or infinite"):
        kernel(np.array([[1.0, np.nan]]))
    with pytest.raises(ValueError, match="X has 2 features but Y has 3"):
        kernel(np.ones((2, 2)), np.ones((2, 3)))


@pytest.mark.parametrize("gamma", [0, -1, np.nan, np.inf, "1"])
def test_gamma_must_be_finite_and_positive(gamma):
    """gamma=0 gives an all-ones kernel, negative gamma an indefinite one, NaN a NaN one."""
    X = np.array([[1.0, 0.0], [0.5, 0.5]])
    with pytest.raises(ValueError, match=r"The 'gamma' parameter of chi2_kernel must be a "
                                         r"float in the range \(0.0, inf\)"):
        chi2_kernel(X, gamma=gamma)
    with pytest.raises(ValueError, match="The 'gamma' parameter of chi2_kernel"):
        Chi2Kernel(gamma=gamma)(X)


@pytest.mark.parametrize("kernel", [chi2_kernel, intersection_kernel])
def test_parameters_are_named_in_errors(kernel):
    name = kernel.__name__
    with pytest.raises(ValueError, match=f"The 'device' parameter of {name} must be"):
        kernel(np.ones((2, 2)), device="gpu")
    with pytest.raises(ValueError, match=f"The 'Y' parameter of {name} must be"):
        kernel(np.ones((2, 2)), Y=3.0)


def test_usable_as_svc_kernel_and_equal_to_precomputed(rng):
    y = np.repeat([0, 1, 2], 20)
    centres = rng.random((3, 12)) * 2
    X = np.abs(centres[y] + 0.6 * rng.random((60, 12)))
    Xt = np.abs(centres[[0, 1, 2, 1]] + 0.6 * rng.random((4, 12)))
    ours = SVC(kernel=Chi2Kernel(gamma=0.5)).fit(X, y)
    pre = SVC(kernel="precomputed").fit(sk_chi2(X, gamma=0.5), y)
    np.testing.assert_allclose(ours.decision_function(Xt),
                               pre.decision_function(sk_chi2(Xt, X, gamma=0.5)), rtol=1e-8)
    assert (SVC(kernel=chi2_kernel).fit(X, y).predict(X) == y).mean() > 0.9
    assert (SVC(kernel=IntersectionKernel()).fit(X, y).predict(X) == y).mean() > 0.9
    restored = pickle.loads(pickle.dumps(ours))
    np.testing.assert_array_equal(restored.predict(Xt), ours.predict(Xt))


def test_chi2_kernel_gamma_is_grid_searchable(rng):
    y = np.repeat([0, 1], 20)
    X = np.abs(rng.random((40, 6)) + y[:, None] * rng.random((40, 6)))
    grid = GridSearchCV(SVC(), {"kernel": [Chi2Kernel(gamma=g) for g in (0.01, 1.0)]}, cv=2)
    grid.fit(X, y)
    assert grid.best_params_["kernel"] in (Chi2Kernel(gamma=0.01), Chi2Kernel(gamma=1.0))
    assert repr(Chi2Kernel(gamma=0.5)) == "Chi2Kernel(gamma=0.5, device=None)"


# ------------------------------------------------------------ pairwise_kernel (kernel fusion)

from sklearn.metrics.pairwise import additive_chi2_kernel, pairwise_kernels  # noqa: E402

from mmfuse.kernels import chi2_distance, kernel_diagonal, pairwise_kernel  # noqa: E402

PAIRWISE_CASES = [("linear", {}), ("rbf", {"gamma": 0.3}),
                  ("poly", {"gamma": 0.2, "degree": 2, "coef0": 1.0}), ("chi2", {"gamma": 0.5})]


@pytest.mark.parametrize("kernel, params", PAIRWISE_CASES)
@pytest.mark.parametrize("sparse", [False, True])
def test_pairwise_kernel_equals_sklearn(device, rng, kernel, params, sparse):
    X, Y = _hist(rng, 37, 9), _hist(rng, 23, 9)
    if kernel != "chi2":
        X, Y = X - 0.4, Y - 0.4  # dot-product kernels take signed features
    ref = pairwise_kernels(X, Y, metric=kernel, **params)
    A = sp.csr_matrix(X) if sparse else X
    with config_context(working_memory=1):  # several chunks
        got = pairwise_kernel(A, Y, kernel=kernel, device=device, **params)
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(kernel_diagonal(A, kernel=kernel, **params),
                               np.diag(pairwise_kernels(X, metric=kernel, **params)), rtol=1e-10)


def test_intersection_diagonal_and_chi2_distance(rng):
    X, Y = _hist(rng, 20, 6), _hist(rng, 15, 6)
    np.testing.assert_allclose(kernel_diagonal(X, kernel="intersection"), X.sum(axis=1))
    np.testing.assert_allclose(chi2_distance(X, Y), -additive_chi2_kernel(X, Y), atol=1e-12)
    assert (chi2_distance(X) >= 0).all()


def test_pairwise_kernel_reads_read_only_input(rng):
    X = _hist(rng, 10, 4)
    X.setflags(write=False)
    np.testing.assert_allclose(pairwise_kernel(X, kernel="chi2", gamma=1.0), sk_chi2(X.copy()))


@pytest.mark.parametrize("kwargs, match", [
    ({"kernel": "sigmoid"}, "The 'kernel' parameter of pairwise_kernel must be a str among"),
    ({"kernel": "rbf", "gamma": -1.0}, "The 'gamma' parameter of pairwise_kernel must be"),
    ({"kernel": "rbf", "gamma": None}, "kernel='rbf' needs a number gamma > 0"),
    ({"kernel": "poly", "degree": 0}, "The 'degree' parameter of pairwise_kernel must be"),
])
def test_pairwise_kernel_rejects_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        pairwise_kernel(np.ones((2, 2)), **kwargs)


def test_pairwise_kernel_signed_input_only_for_dot_kernels():
    X = np.array([[1.0, -1.0]])
    assert pairwise_kernel(X, kernel="linear")[0, 0] == 2.0
    with pytest.raises(ValueError, match="negative values"):
        pairwise_kernel(X, kernel="intersection")
