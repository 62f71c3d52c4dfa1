"""The fusers' composition base: nested parameters as ColumnTransformer, the per-block Pipeline."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA, TruncatedSVD
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, Normalizer, StandardScaler, normalize

from mmfuse.fusion import FeatureFusion, KernelFusionClassifier, LateFusionClassifier


def _fusers():
    return [
        FeatureFusion([("a", StandardScaler(), [0, 1]), ("b", MinMaxScaler(), [2, 3])]),
        LateFusionClassifier([("a", LogisticRegression(), [0, 1]), ("b", GaussianNB(), [2, 3])]),
        KernelFusionClassifier([("a", StandardScaler(), [0, 1], "rbf"),
                                ("b", MinMaxScaler(), [2, 3], "linear")]),
    ]


def _column_transformer():
    return ColumnTransformer([("a", StandardScaler(), [0, 1]), ("b", MinMaxScaler(), [2, 3])])


@pytest.mark.parametrize("fuser", _fusers(), ids=lambda f: type(f).__name__)
def test_nested_params_behave_as_in_column_transformer(fuser):
    ct = _column_transformer()
    parts = fuser._parts
    ours, theirs = fuser.get_params(), ct.get_params()
    # the blocks' own parameters, under the same keys
    if not isinstance(fuser, LateFusionClassifier):  # same block estimators as ct
        nested = {k: v for k, v in theirs.items() if k.startswith(("a__", "b__"))}
        assert nested and all(ours[k] == v for k, v in nested.items())
    # a nested parameter reaches the block's estimator, in place, as in ColumnTransformer
    entry = getattr(fuser, parts)[0]
    if isinstance(entry[1], StandardScaler):
        fuser.set_params(a__with_mean=False)
        ct.set_params(a__with_mean=False)
        assert getattr(fuser, parts)[0][1].with_mean is ct.transformers[0][1].with_mean is False
    # a whole block replaced by name keeps its column (and kernel)
    fuser.set_params(b=GaussianNB() if isinstance(fuser, LateFusionClassifier)
                     else "passthrough")
    ct.set_params(b="passthrough")
    new = getattr(fuser, parts)[1]
    assert new[0] == "b" and new[2] == ct.transformers[1][2] == [2, 3]
    assert new[3:] == getattr(_fusers()[_fusers_index(fuser)], parts)[1][3:]
    # clone gives equal parameters and independent estimators
    twin = clone(fuser)
    assert twin.get_params().keys() == fuser.get_params().keys()
    assert getattr(twin, parts)[0][1] is not getattr(fuser, parts)[0][1]


def _fusers_index(fuser):
    return [type(f) for f in _fusers()].index(type(fuser))


@pytest.mark.parametrize("bad", [None, "x", [("a", StandardScaler())], [1, 2]])
def test_malformed_entries_leave_get_params_working(bad):
    # as ColumnTransformer: get_params must not fail on a malformed list (set_params calls it)
    for fuser in _fusers():
        setattr(fuser, fuser._parts, bad)
        assert fuser.get_params()[fuser._parts] is bad


def test_iter_skips_drop_and_gives_fitted_entries_with_resolved_columns(rng):
    X = rng.normal(size=(20, 4))
    fuse = FeatureFusion([("a", StandardScaler(), lambda X: [0, 1]), ("d", "drop", [2]),
                          ("b", "passthrough", [3])])
    assert [e[0] for e in fuse._iter()] == ["a", "b"]
    assert [e[0] for e in fuse._iter(skip_drop=False)] == ["a", "d", "b"]
    fuse.fit(X)
    fitted = list(fuse._iter(fitted=True))
    assert [(n, c) for n, _, c in fitted] == [("a", [0, 1]), ("b", [3])]
    assert fitted[0][1] is fuse.named_transformers_["a"]


# ------------------------------------------------------------------ per-block Pipeline

def _manual_post(Z, norm, dim):
    """The block post-processing written out with scikit-learn's functions."""
    if norm == "l2":
        Z = normalize(Z, norm="l2")
    elif norm == "standard":
        Z = StandardScaler(with_mean=not sp.issparse(Z)).fit_transform(Z) / np.sqrt(Z.shape[1])
    if dim is not None and dim != Z.shape[1]:
        proj = (TruncatedSVD(dim, random_state=0) if sp.issparse(Z)
                else PCA(dim, random_state=0))
        Z = proj.fit_transform(Z)
    return Z.toarray() if sp.issparse(Z) else Z


@pytest.mark.parametrize("norm", ["l2", "standard", None])
@pytest.mark.parametrize("dim", [None, 2])
@pytest.mark.parametrize("strategy", ["concat", "sum"])
def test_fused_values_equal_the_post_processing_written_out(rng, norm, dim, strategy):
    X = np.hstack([rng.normal(size=(30, 3)), rng.normal(size=(30, 5)) * 100])
    fuse = FeatureFusion([("a", "passthrough", [0, 1, 2]), ("b", "passthrough", [3, 4, 5, 6, 7])],
                         strategy=strategy, block_norm=norm, common_dim=dim)
    Z = fuse.fit_transform(X)
    dim_ = dim if dim is not None or strategy == "concat" else 3
    a, b = _manual_post(X[:, :3], norm, dim_), _manual_post(X[:, 3:], norm, dim_)
    expected = np.hstack([a, b]) if strategy == "concat" else a + b
    np.testing.assert_allclose(Z, expected, rtol=1e-12, atol=1e-12)


def test_each_block_is_post_processed_by_a_plain_pipeline(rng):
    X = rng.normal(size=(30, 8))
    fuse = FeatureFusion([("a", "passthrough", [0, 1, 2]), ("b", StandardScaler(), [3, 4, 5, 6])],
                         strategy="sum", block_norm="standard").fit(X)
    post = fuse.posts_[1]
    assert isinstance(post, Pipeline)
    assert list(post.named_steps) == ["norm", "scale", "project", "dense"]
    assert isinstance(post.named_steps["norm"], StandardScaler)
    assert isinstance(post.named_steps["project"], PCA)
    assert post.named_steps["project"].n_components == 3
    assert "project__n_components" in post.get_params()
    assert isinstance(fuse.posts_[0].named_steps["project"], str)  # a is already 3 wide
    # the fitted chain is what transform applies to the block's features
    features = fuse.named_transformers_["b"].transform(X[:, 3:7])
    np.testing.assert_allclose(post.transform(features), fuse.transform(X) - fuse.posts_[0]
                               .transform(X[:, :3]), atol=1e-12)
    # and a clone of it refits to the same values
    np.testing.assert_allclose(clone(post).fit_transform(features), post.transform(features),
                               atol=1e-12)
    l2 = FeatureFusion([("a", "passthrough", [0, 1])]).fit(X)
    assert isinstance(l2.posts_[0].named_steps["norm"], Normalizer)


def test_block_post_pipeline_keeps_sparse_blocks_sparse_and_ignores_pandas_output(rng):
    from sklearn import config_context

    X = sp.random(20, 6, density=0.3, format="csr", random_state=0)
    fuse = FeatureFusion([("a", "passthrough", [0, 1, 2]), ("b", "passthrough", [3, 4, 5])],
                         strategy="weighted", weights={"b": 2.0})
    with config_context(transform_output="default"):
        Z = fuse.fit_transform(X)
    assert sp.issparse(Z)
    dense = FeatureFusion([("a", "passthrough", [0, 1, 2]), ("b", "passthrough", [3, 4, 5])])
    with config_context(transform_output="pandas"):
        out = dense.fit_transform(X.toarray())
    assert hasattr(out, "columns")  # the fuser's own output follows set_output ...
    assert all(isinstance(p.transform(np.ones((2, 3))), np.ndarray) for p in dense.posts_)


def test_block_norm_transformer_is_cloned_per_block_and_grid_searchable(rng):
    from sklearn.model_selection import GridSearchCV

    y = np.repeat([0, 1], 20)
    X = rng.normal(size=(40, 4)) + y[:, None]
    fuse = FeatureFusion([("a", "passthrough", [0, 1]), ("b", "passthrough", [2, 3])],
                         block_norm=Normalizer(norm="l1"))
    Z = fuse.fit_transform(X)
    np.testing.assert_allclose(Z, np.hstack([normalize(X[:, :2], "l1"),
                                             normalize(X[:, 2:], "l1")]), atol=1e-12)
    norms = [p.named_steps["norm"] for p in fuse.posts_]
    assert norms[0] is not norms[1] and norms[0] is not fuse.block_norm
    pipe = Pipeline([("fuse", fuse), ("clf", LogisticRegression())])
    assert pipe.get_params()["fuse__block_norm__norm"] == "l1"
    search = GridSearchCV(pipe, {"fuse__block_norm__norm": ["l1", "max"]}, cv=2).fit(X, y)
    assert search.best_params_["fuse__block_norm__norm"] in ("l1", "max")
    # the strings stay shortcuts for the same estimators
    l2 = FeatureFusion([("a", "passthrough", [0, 1])], block_norm=Normalizer()).fit_transform(X)
    np.testing.assert_array_equal(l2, FeatureFusion([("a", "passthrough", [0, 1])])
                                  .fit_transform(X))


@pytest.mark.parametrize("norm, dim, strategy", [("l2", None, "concat"),
                                                 ("standard", 2, "sum"), (None, 2, "product")])
def test_models_pickled_with_the_former_block_post_still_load(rng, norm, dim, strategy):
    import pickle

    from mmfuse.fusion._blocks import BlockPost

    X = rng.normal(size=(30, 7))
    fuse = FeatureFusion([("a", StandardScaler(), [0, 1, 2]), ("b", "passthrough", [3, 4, 5, 6])],
                         strategy=strategy, block_norm=norm, common_dim=dim).fit(X)
    expected = fuse.transform(X)
    legacy = []  # the attributes the former per-block object was pickled with
    for post, width in zip(fuse.posts_, (3, 4)):
        old = BlockPost.__new__(BlockPost)
        old.__dict__.update(
            name="x", norm=norm, dim=dim, dense=strategy != "concat", n_in_=width,
            scaler_=post.named_steps["norm"] if norm == "standard" else None,
            projector_=None if isinstance(post.named_steps["project"], str)
            else post.named_steps["project"])
        legacy.append(old)
    fuse.posts_ = legacy
    restored = pickle.loads(pickle.dumps(fuse))
    assert all(isinstance(p, Pipeline) for p in restored.posts_)
    np.testing.assert_array_equal(restored.transform(X), expected)
