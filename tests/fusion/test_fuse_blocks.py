"""fuse_blocks: the early-fusion strategies as a pure function (the twin of combine)."""

import numpy as np
import pytest
import scipy.sparse as sp

from mmfuse.fusion import STRATEGIES, fuse_blocks

A = np.array([[1.0, 2.0], [3.0, -1.0]])
B = np.array([[0.5, 4.0], [2.0, 0.0]])


def test_every_strategy_on_known_values():
    w = np.array([2.0, 0.5])
    np.testing.assert_array_equal(fuse_blocks("concat", [A, B], weights=w), np.hstack([A, B]))
    np.testing.assert_array_equal(fuse_blocks("weighted", [A, B], weights=w),
                                  np.hstack([2 * A, 0.5 * B]))
    np.testing.assert_array_equal(fuse_blocks("sum", [A, B], weights=w), 2 * A + 0.5 * B)
    np.testing.assert_allclose(fuse_blocks("average", [A, B], weights=w),
                               (2 * A + 0.5 * B) / 2.5)
    np.testing.assert_array_equal(fuse_blocks("product", [A, B], weights=w), A * B)
    T = fuse_blocks("tensor", [A, B], weights=w)
    for i in range(2):
        expected = np.outer(np.r_[1, 2 * A[i]], np.r_[1, 0.5 * B[i]]).ravel()
        np.testing.assert_allclose(T[i], expected)
    assert T.shape == (2, 9)


def test_average_counts_only_the_blocks_present():
    present = np.array([[True, True], [True, False]])
    out = fuse_blocks("average", [A, np.where(present[1][:, None], B, 0.0)], present,
                      weights=[1.0, 3.0])
    np.testing.assert_allclose(out[0], (A[0] + 3 * B[0]) / 4)
    np.testing.assert_allclose(out[1], A[1])  # the absent block weighs nothing


def test_sparse_blocks_stay_sparse_when_concatenated_and_are_dense_elementwise():
    S = sp.csr_matrix(B)
    out = fuse_blocks("weighted", [A, S], weights=[1.0, 2.0])
    assert sp.issparse(out) and out.format == "csr"
    np.testing.assert_array_equal(out.toarray(), np.hstack([A, 2 * B]))
    out = fuse_blocks("product", [A, S])
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, A * B)


def test_dtype_is_at_least_float32_for_elementwise_strategies():
    a32, b32 = A.astype(np.float32), B.astype(np.float32)
    assert fuse_blocks("sum", [a32, b32]).dtype == np.float32
    assert fuse_blocks("sum", [A.astype(int), B.astype(int)]).dtype == np.float64
    assert fuse_blocks("concat", [a32, b32]).dtype == np.float32


@pytest.mark.parametrize("args, kwargs, match", [
    (("mean", [A, B]), {}, "strategy must be one of"),
    (("concat", []), {}, "at least one block"),
    (("sum", [A, B[:1]]), {}, "different numbers of rows"),
    (("sum", [A, np.ones((2, 3))]), {"names": ["img", "txt"]}, r"equal width; got \{'img': 2"),
    (("product", [A, np.array([[np.nan, 1.0], [1.0, 1.0]])]), {"names": ["img", "txt"]},
     "block 'txt' has NaN or infinite features in 1 row"),
    (("average", [A, B], np.array([[False, True], [True, True]])), {"weights": [1.0, 0.0]},
     "at least one non-zero weight"),
    (("sum", [A, B]), {"weights": [1.0]}, "one weight per block"),
    (("average", [A, B], np.ones((3, 2), dtype=bool)), {}, "present has shape"),
])
def test_errors_name_the_problem(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        fuse_blocks(*args, **kwargs)


def test_strategies_are_those_of_feature_fusion():
    from mmfuse.fusion import FeatureFusion

    options = FeatureFusion._parameter_constraints["strategy"][0].options
    assert set(STRATEGIES) == options


@pytest.mark.parametrize("weights, match", [
    ([1.0, np.nan], r"weights must be finite numbers >= 0; got 1=nan"),
    ([np.inf, 1.0], r"got 0=inf"),
    ([1.0, -1.0], r"got 1=-1\.0"),
    ({"img": 1.0, "txt": -2}, r"weights\['txt'\] must be a finite number >= 0"),
    ({"img": 1.0, "audio": 2}, r"key\(s\) \['audio'\] that match no block"),
])
def test_bad_weights_are_refused_naming_the_block(weights, match):
    a, b = np.ones((2, 2)), np.ones((2, 2))
    names = ["img", "txt"] if isinstance(weights, dict) else None
    for strategy in ("weighted", "average", "tensor"):
        with pytest.raises(ValueError, match=match):
            fuse_blocks(strategy, [a, b], weights=weights, names=names)


def test_weights_by_name_equal_weights_in_order():
    a, b = np.array([[1.0, 2.0]]), np.array([[3.0, 4.0]])
    np.testing.assert_array_equal(
        fuse_blocks("weighted", [a, b], weights={"txt": 0.5}, names=["img", "txt"]),
        fuse_blocks("weighted", [a, b], weights=[1.0, 0.5]))


def test_blocks_must_be_2d_and_the_tensor_product_is_capped():
    with pytest.raises(ValueError, match=r"block '1' has shape \(2,\); every block must be 2-D"):
        fuse_blocks("concat", [np.ones((2, 2)), np.ones(2)])
    np.testing.assert_array_equal(fuse_blocks("concat", [[[1.0]], [[2.0]]]), [[1.0, 2.0]])
    with pytest.raises(ValueError, match=r"8,120,601 features per row, more than "
                                         r"MAX_TENSOR_FEATURES=100,000"):
        fuse_blocks("tensor", [np.ones((1, 200))] * 3)
