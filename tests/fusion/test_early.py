"""FeatureFusion: strategies, normalisation, missing modalities, caching, names, grid search."""

import pickle

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline, Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC

from mmfuse.fusion import MAX_TENSOR_FEATURES, FeatureFusion
from mmfuse.io import MMFuseInputError

FITS = {"n": 0}


class CountingStack(TransformerMixin, BaseEstimator):
    """Stacks a column of equal-length vectors; counts fits; refuses missing items."""

    def __init__(self, scale=1.0):
        self.scale = scale

    def fit(self, X, y=None):
        FITS["n"] += 1
        self.n_out_ = len(np.asarray(list(X)[0]))
        return self

    def transform(self, X):
        items = list(X)
        assert not any(v is None for v in items), "a missing item reached the transformer"
        return self.scale * np.stack([np.asarray(v, dtype=float) for v in items])

    def get_feature_names_out(self, input_features=None):
        return np.asarray([f"v{i}" for i in range(self.n_out_)], dtype=object)


def _two_blocks(rng, n=40):
    return np.hstack([rng.normal(size=(n, 3)), rng.normal(size=(n, 5)) * 100])


def test_concat_l2_makes_every_block_row_unit_norm(rng):
    X = _two_blocks(rng)
    fuse = FeatureFusion([("a", "passthrough", [0, 1, 2]), ("b", "passthrough", list(range(3, 8)))])
    Z = fuse.fit_transform(X)
    np.testing.assert_allclose(Z[:, :3], X[:, :3] / np.linalg.norm(X[:, :3], axis=1, keepdims=True))
    np.testing.assert_allclose(np.linalg.norm(Z[:, 3:], axis=1), 1.0)
    assert fuse.output_indices_ == {"a": slice(0, 3), "b": slice(3, 8)}
    assert fuse.get_feature_names_out().tolist() == [f"a__x{i}" for i in range(3)] + [
        f"b__x{i}" for i in range(3, 8)]


def test_standard_block_norm_gives_each_block_unit_total_variance(rng):
    X = _two_blocks(rng, n=200)
    Z = FeatureFusion([("a", "passthrough", [0, 1, 2]), ("b", "passthrough", [3, 4, 5, 6, 7])],
                      block_norm="standard").fit_transform(X)
    assert Z[:, :3].var(axis=0).sum() == pytest.approx(1.0)
    assert Z[:, 3:].var(axis=0).sum() == pytest.approx(1.0)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-12)


def test_weighted_scales_blocks_and_sparse_blocks_stay_sparse():
    df = pd.DataFrame({"text": ["red shoe", "blue shirt", "red shirt", "green shoe"],
                       "x": [1.0, 2.0, 3.0, 4.0]})
    fuse = FeatureFusion([("text", TfidfVectorizer(), "text"), ("num", "passthrough", ["x"])],
                         strategy="weighted", weights={"text": 3.0}, block_norm=None)
    Z = fuse.fit_transform(df)
    assert sp.issparse(Z) and Z.format == "csr"
    tfidf = TfidfVectorizer().fit_transform(df["text"]).toarray()
    np.testing.assert_allclose(Z.toarray()[:, :-1], 3.0 * tfidf)
    np.testing.assert_allclose(Z.toarray()[:, -1], df["x"])
    assert fuse.get_feature_names_out()[:2].tolist() == ["text__blue", "text__green"]
    with pytest.raises(ValueError, match="[Ss]parse"):
        clone(fuse).set_output(transform="pandas").fit_transform(df)


def test_elementwise_strategies_project_to_common_dim(rng):
    X = _two_blocks(rng, n=60)
    blocks = [("a", "passthrough", [0, 1, 2]), ("b", "passthrough", [3, 4, 5, 6, 7])]
    za = FeatureFusion(blocks[:1], common_dim=2, block_norm=None).fit_transform(X)
    zb = FeatureFusion(blocks[1:], common_dim=2, block_norm=None).fit_transform(X)
    for strategy, expected in [("sum", za + 0.5 * zb), ("average", (za + 0.5 * zb) / 1.5),
                               ("product", za * zb)]:
        weights = None if strategy == "product" else {"b": 0.5}
        fuse = FeatureFusion(blocks, strategy=strategy, weights=weights, common_dim=2,
                             block_norm=None)
        np.testing.assert_allclose(fuse.fit_transform(X), expected, rtol=1e-10)
        assert fuse.get_feature_names_out().tolist() == [f"{strategy}0", f"{strategy}1"]
    # the PCA is fitted per block: the projection of block b is PCA of b alone
    from sklearn.decomposition import PCA
    np.testing.assert_allclose(np.abs(zb), np.abs(PCA(2).fit_transform(X[:, 3:])), rtol=1e-8)
    # common_dim=None maps to the smallest block width (3): a is left as it is
    fuse = FeatureFusion(blocks, strategy="sum", block_norm=None).fit(X)
    assert fuse.block_dims_ == {"a": 3, "b": 3}
    assert fuse.posts_[0].named_steps["project"] == "passthrough"


def test_tensor_fusion_is_the_outer_product_of_one_padded_blocks(rng):
    X = rng.normal(size=(10, 5))
    fuse = FeatureFusion([("a", "passthrough", [0, 1]), ("b", "passthrough", [2, 3, 4])],
                         strategy="tensor", block_norm=None)
    Z = fuse.fit_transform(X)
    assert Z.shape == (10, 12)
    for i in range(10):
        expected = np.kron(np.r_[1, X[i, :2]], np.r_[1, X[i, 2:]])
        np.testing.assert_allclose(Z[i], expected)
    # the constant 1 keeps the unimodal terms: first row of the outer product is [1, z_b]
    np.testing.assert_allclose(Z[:, 1:4], X[:, 2:])


def test_tensor_size_guard_names_the_fix(rng):
    X = rng.normal(size=(5, 700))
    fuse = FeatureFusion([("a", "passthrough", list(range(350))),
                          ("b", "passthrough", list(range(350, 700)))], strategy="tensor")
    match = f"MAX_TENSOR_FEATURES={MAX_TENSOR_FEATURES:,}.*common_dim"
    with pytest.raises(ValueError, match=match):
        fuse.fit(X)


def _missing_frame():
    vecs = [np.array([1.0, 2.0]), None, np.array([3.0, 1.0]), float("nan"),
            np.array([0.0, 5.0])]
    return pd.DataFrame({"v": vecs, "n": [1.0, 2.0, 3.0, 4.0, 5.0]},
                        index=[10, 11, 12, 13, 14])


def test_missing_error_names_the_first_missing_row():
    fuse = FeatureFusion([("vec", CountingStack(), "v"), ("num", "passthrough", ["n"])])
    with pytest.raises(MMFuseInputError, match=r"row 11, column 'vec': modality is missing "
                                               r".*missing='zero'.*\(and 1 more error row"):
        fuse.fit(_missing_frame())


def test_missing_zero_and_mean_with_indicators():
    df = _missing_frame()
    present = np.array([[1.0, 2.0], [3.0, 1.0], [0.0, 5.0]])
    normed = present / np.linalg.norm(present, axis=1, keepdims=True)
    zero = FeatureFusion([("vec", CountingStack(), "v"), ("num", "passthrough", ["n"])],
                         missing="zero", missing_indicator=True)
    Z = zero.fit_transform(df)
    np.testing.assert_allclose(Z[[0, 2, 4], :2], normed)
    np.testing.assert_allclose(Z[[1, 3], :2], 0.0)
    np.testing.assert_array_equal(Z[:, -2], [0, 1, 0, 1, 0])  # vec__missing
    np.testing.assert_array_equal(Z[:, -1], 0)                # num__missing
    assert zero.get_feature_names_out().tolist() == ["vec__v0", "vec__v1", "num__n",
                                                     "vec__missing", "num__missing"]
    mean = FeatureFusion([("vec", CountingStack(), "v"), ("num", "passthrough", ["n"])],
                         missing="mean").fit(df)
    Zm = mean.transform(df)
    np.testing.assert_allclose(Zm[[1, 3], :2], np.tile(normed.mean(axis=0), (2, 1)))
    np.testing.assert_allclose(mean.missing_fill_["vec"], normed.mean(axis=0))
    # pandas output keeps the row index and names
    out = clone(zero).set_output(transform="pandas").fit_transform(df)
    assert list(out.index) == [10, 11, 12, 13, 14] and out.columns[-2] == "vec__missing"


def test_memory_caches_block_extraction_across_a_grid_search(tmp_path, rng):
    y = np.repeat([0, 1], 15)
    df = pd.DataFrame({"v": [rng.normal(size=4) + yi for yi in y], "n": rng.normal(size=30)})
    grid = {"clf__C": [0.1, 1.0, 10.0], "fuse__weights": [{"vec": 1.0}, {"vec": 2.0}]}

    def run(memory):
        FITS["n"] = 0
        pipe = Pipeline([("fuse", FeatureFusion([("vec", CountingStack(), "v"),
                                                 ("num", "passthrough", ["n"])],
                                                strategy="weighted", memory=memory)),
                         ("clf", LogisticRegression())])
        search = GridSearchCV(pipe, grid, cv=3).fit(df, y)
        return FITS["n"], search

    n_plain, plain = run(None)
    n_cached, cached = run(str(tmp_path / "cache"))
    assert n_plain == 6 * 3 + 1
    assert n_cached == 3 + 1  # one fit per training fold + the refit on all rows
    assert cached.best_params_ == plain.best_params_
    np.testing.assert_allclose(cached.cv_results_["mean_test_score"],
                               plain.cv_results_["mean_test_score"])
    # a changed block parameter is a different cache key
    FITS["n"] = 0
    cached_fuse = FeatureFusion([("vec", CountingStack(scale=2.0), "v")],
                                memory=str(tmp_path / "cache")).fit(df)
    assert FITS["n"] == 1
    # cached transforms are keyed by the data: other rows give other (correct) features
    plain_fuse = FeatureFusion([("vec", CountingStack(scale=2.0), "v")]).fit(df)
    for part in (df.iloc[:10], df.iloc[10:], df.iloc[:10]):
        np.testing.assert_array_equal(cached_fuse.transform(part), plain_fuse.transform(part))


def test_nested_params_in_grid_search(rng):
    y = np.repeat([0, 1], 20)
    X = rng.normal(size=(40, 4)) + y[:, None] * [1.5, 0, 0, 1.5]
    pipe = Pipeline([("fuse", FeatureFusion([("a", StandardScaler(), [0, 1]),
                                             ("b", StandardScaler(), [2, 3])],
                                            strategy="weighted")),
                     ("clf", LogisticRegression())])
    assert "fuse__a__with_mean" in pipe.get_params()
    pipe.set_params(fuse__a__with_mean=False, fuse__weights={"b": 0.0})
    assert pipe.named_steps["fuse"].transformers[0][1].with_mean is False
    search = GridSearchCV(pipe, {"fuse__weights": [{"a": 1.0, "b": 0.0}, {"a": 0.0, "b": 1.0}],
                                 "fuse__b__with_std": [True, False]}, cv=2).fit(X, y)
    assert set(search.best_params_) == {"fuse__weights", "fuse__b__with_std"}
    # a whole block can be replaced by name
    pipe.set_params(fuse__b="passthrough")
    assert pipe.named_steps["fuse"].transformers[1] == ("b", "passthrough", [2, 3])


@pytest.mark.parametrize("kwargs, match", [
    ({"strategy": "weighted", "weights": {"c": 1.0}}, r"key\(s\) \['c'\] that match no block"),
    ({"strategy": "concat", "weights": {"a": 1.0}}, "weights are not used by strategy='concat'"),
    ({"strategy": "weighted", "weights": {"a": -1.0}}, "must be a finite number >= 0"),
    ({"strategy": "sum", "common_dim": 5}, "fewer than common_dim=5"),
])
def test_parameter_errors(rng, kwargs, match):
    X = rng.normal(size=(10, 4))
    fuse = FeatureFusion([("a", "passthrough", [0, 1]), ("b", "passthrough", [2, 3])], **kwargs)
    with pytest.raises(ValueError, match=match):
        fuse.fit(X)


def test_structural_errors(rng):
    X = rng.normal(size=(10, 4))
    with pytest.raises(ValueError, match="not unique"):
        FeatureFusion([("a", "passthrough", [0]), ("a", "passthrough", [1])]).fit(X)
    with pytest.raises(TypeError, match="got the class StandardScaler"):
        FeatureFusion([("a", StandardScaler, [0])]).fit(X)
    with pytest.raises(ValueError, match="strategy"):
        FeatureFusion([("a", "passthrough", [0])], strategy="mean").fit(X)


def test_clone_and_pickle_round_trip(rng):
    X = _two_blocks(rng)
    fuse = FeatureFusion([("a", StandardScaler(), [0, 1, 2]), ("b", StandardScaler(), [3, 4])],
                         strategy="average", common_dim=2, missing_indicator=True).fit(X)
    restored = pickle.loads(pickle.dumps(fuse))
    np.testing.assert_array_equal(restored.transform(X), fuse.transform(X))
    np.testing.assert_array_equal(clone(fuse).fit_transform(X), fuse.transform(X))


# ------------------------------------------------------------------ fusion algebra (hypothesis)

block_widths = st.lists(st.integers(1, 4), min_size=2, max_size=4)


def _blocks_for(widths):
    edges = np.cumsum([0] + widths)
    return [(f"m{i}", "passthrough", list(range(edges[i], edges[i + 1])))
            for i in range(len(widths))]


@settings(max_examples=15, deadline=None)
@given(widths=block_widths, seed=st.integers(0, 2**16),
       norm=st.sampled_from(["l2", "standard", None]), drop=st.integers(0, 3))
def test_zero_weight_removes_a_block(widths, seed, norm, drop):
    drop = drop % len(widths)
    X = np.random.default_rng(seed).normal(size=(12, sum(widths)))
    blocks = _blocks_for(widths)
    names = [b[0] for b in blocks]
    weighted = FeatureFusion(blocks, strategy="weighted", weights={names[drop]: 0.0},
                             block_norm=norm).fit(X)
    Z = weighted.transform(X)
    kept = FeatureFusion([b for i, b in enumerate(blocks) if i != drop], strategy="weighted",
                         block_norm=norm).fit_transform(X)
    cols = weighted.output_indices_[names[drop]]
    np.testing.assert_array_equal(Z[:, cols], 0.0)
    np.testing.assert_allclose(np.delete(Z, np.r_[cols], axis=1), kept)
    # average over the remaining blocks (all mapped to the smallest width)
    d = min(widths)
    w = {names[drop]: 0.0}
    avg = FeatureFusion(blocks, strategy="average", weights=w, common_dim=d, block_norm=norm)
    rest = FeatureFusion([b for i, b in enumerate(blocks) if i != drop], strategy="average",
                         common_dim=d, block_norm=norm)
    np.testing.assert_allclose(avg.fit_transform(X), rest.fit_transform(X), atol=1e-10)


@settings(max_examples=15, deadline=None)
@given(widths=block_widths, seed=st.integers(0, 2**16), data=st.data())
def test_permuting_blocks_permutes_outputs(widths, seed, data):
    X = np.random.default_rng(seed).normal(size=(10, sum(widths)))
    blocks = _blocks_for(widths)
    perm = data.draw(st.permutations(range(len(blocks))))
    weights = {b[0]: float(i + 1) for i, b in enumerate(blocks)}
    fused = FeatureFusion(blocks, strategy="weighted", weights=weights).fit(X)
    permuted = FeatureFusion([blocks[i] for i in perm], strategy="weighted",
                             weights=weights).fit(X)
    Z, Zp = fused.transform(X), permuted.transform(X)
    for name, _, _ in blocks:
        np.testing.assert_allclose(Zp[:, permuted.output_indices_[name]],
                                   Z[:, fused.output_indices_[name]])
    # element-wise strategies are symmetric: the same output whatever the order
    for strategy in ("sum", "average", "product"):
        d = min(widths)
        a = FeatureFusion(blocks, strategy=strategy, common_dim=d).fit_transform(X)
        b = FeatureFusion([blocks[i] for i in perm], strategy=strategy,
                          common_dim=d).fit_transform(X)
        np.testing.assert_allclose(a, b, atol=1e-10)


@settings(max_examples=15, deadline=None)
@given(width=st.integers(1, 6), seed=st.integers(0, 2**16), first=st.booleans())
def test_product_with_a_ones_block_is_identity(width, seed, first):
    data = np.random.default_rng(seed).normal(size=(9, width))
    X = np.hstack([data, np.ones((9, width))])
    blocks = [("data", "passthrough", list(range(width))),
              ("ones", "passthrough", list(range(width, 2 * width)))]
    fuse = FeatureFusion(blocks if first else blocks[::-1], strategy="product", block_norm=None)
    np.testing.assert_allclose(fuse.fit_transform(X), data)


# ------------------------------------------------------------------ fusion helps; classifiers

def _weak_views(rng, n=300):
    """Two views, each a noisy, weakly informative signal of the same binary label."""
    y = rng.integers(0, 2, n)
    signal = (2 * y - 1)[:, None]
    view_a = 0.35 * signal + rng.normal(size=(n, 6))
    view_b = 0.35 * signal + rng.normal(size=(n, 6))
    return np.hstack([view_a, view_b]), y


def test_fusion_helps_when_each_block_is_weakly_informative(rng):
    X, y = _weak_views(rng)
    a, b = list(range(6)), list(range(6, 12))

    def acc(blocks):
        pipe = make_pipeline(FeatureFusion(blocks, block_norm="standard"), LogisticRegression())
        return cross_val_score(pipe, X, y, cv=5).mean()

    only_a = acc([("a", "passthrough", a)])
    only_b = acc([("b", "passthrough", b)])
    fused = acc([("a", "passthrough", a), ("b", "passthrough", b)])
    assert fused >= max(only_a, only_b) + 0.04, (only_a, only_b, fused)


@pytest.mark.parametrize("clf, strategy", [
    (SVC(), "concat"), (SVC(), "tensor"), (LinearSVC(), "average"), (LinearSVC(), "concat"),
    (LogisticRegression(), "tensor"), (LogisticRegression(), "average"),
    (HistGradientBoostingClassifier(max_iter=15, max_leaf_nodes=8), "concat"),
], ids=lambda p: p if isinstance(p, str) else type(p).__name__)
def test_works_with_common_classifiers(rng, clf, strategy):
    X, y = _weak_views(rng, n=160)
    X[:, :6] += (2 * y - 1)[:, None]  # make it learnable
    fuse = FeatureFusion([("a", StandardScaler(), list(range(6))),
                          ("b", "passthrough", list(range(6, 12)))], strategy=strategy,
                         common_dim=3 if strategy != "concat" else None)
    pipe = make_pipeline(fuse, clf).fit(X[:120], y[:120])
    assert pipe.score(X[120:], y[120:]) > 0.7
    restored = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(restored.predict(X[120:]), pipe.predict(X[120:]))


def test_parallel_blocks_give_identical_output(rng):
    X = _two_blocks(rng)
    blocks = [("a", StandardScaler(), [0, 1, 2]), ("b", StandardScaler(), [3, 4, 5, 6, 7])]
    serial = FeatureFusion(blocks, strategy="tensor", common_dim=2).fit(X)
    parallel = FeatureFusion(blocks, strategy="tensor", common_dim=2, n_jobs=2).fit(X)
    np.testing.assert_array_equal(parallel.transform(X), serial.transform(X))
    assert parallel.get_feature_names_out().tolist() == [f"tensor{i}" for i in range(9)]


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_callable_and_scalar_columns_on_a_dataframe(rng):
    df = pd.DataFrame(rng.normal(size=(8, 3)), columns=["p", "q", "r"])
    fuse = FeatureFusion([("first", "passthrough", lambda X: ["p", "q"]),
                          ("last", StandardScaler(), ["r"])], block_norm=None).fit(df)
    assert fuse.get_feature_names_out().tolist() == ["first__p", "first__q", "last__r"]
    np.testing.assert_allclose(fuse.transform(df)[:, :2], df[["p", "q"]].to_numpy())
    with pytest.raises(ValueError, match="X has 2 features"):
        fuse.transform(df.to_numpy()[:, :2])


def test_drop_removes_a_block_and_its_weight_is_accepted(rng):
    X = _two_blocks(rng)
    fuse = FeatureFusion([("a", "passthrough", [0, 1, 2]), ("b", "drop", [3, 4])],
                         strategy="weighted", weights={"a": 2.0, "b": 5.0}).fit(X)
    assert [n for n, _, _ in fuse.transformers_] == ["a"]
    np.testing.assert_allclose(np.linalg.norm(fuse.transform(X), axis=1), 2.0)


@pytest.mark.parametrize("policy", ["zero", "mean"])
def test_block_missing_in_every_row_at_transform_time_is_filled(policy):
    """A batch without one modality is fused with that block's fill (not refused)."""
    from sklearn.preprocessing import StandardScaler

    from mmfuse.fusion import FeatureFusion

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=30), "b": rng.normal(size=30)})
    fuse = FeatureFusion([("a", StandardScaler(), ["a"]), ("b", StandardScaler(), ["b"])],
                         block_norm=None, missing=policy, missing_indicator=True).fit(X)
    out = fuse.transform(X.assign(b=np.nan))
    np.testing.assert_allclose(out[:, 0], fuse.transform(X)[:, 0])
    np.testing.assert_allclose(out[:, 1], 0.0, atol=1e-12)  # scaled mean and zero coincide
    np.testing.assert_array_equal(out[:, -2:], np.c_[np.zeros(30), np.ones(30)])
    with pytest.raises(ValueError, match="block 'b': the modality is missing in every row; "
                                         "there is nothing to fit"):
        FeatureFusion([("a", StandardScaler(), ["a"]), ("b", StandardScaler(), ["b"])],
                      missing=policy).fit(X.assign(b=np.nan))
    # with a single block, such rows have no modality at all: error rows
    with pytest.raises(ValueError, match=r"row 0: no modality is present .*\(and 29 more error "
                                         r"row\(s\)\)"):
        FeatureFusion([("a", StandardScaler(), ["a"])], missing=policy).fit(X.assign(a=np.nan))
