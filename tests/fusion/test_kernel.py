"""KernelFusionClassifier: combined kernels, weights, parameters, missing modalities, ecosystem."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.kernel_approximation import Nystroem
from sklearn.metrics.pairwise import linear_kernel, pairwise_kernels, rbf_kernel
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC

from mmfuse.fusion import KernelFusionClassifier
from mmfuse.fusion._mkl import alignment_weights, centered_alignment, easymkl_weights
from mmfuse.io import MMFuseInputError


def _data(rng, n=80, noise_dims=3):
    """Block 'a' (columns 0-1) carries the class, block 'b' (2-4) is noise."""
    y = np.repeat([0, 1], n // 2)
    a = rng.normal(size=(n, 2)) + 1.5 * y[:, None]
    b = rng.normal(size=(n, noise_dims))
    return np.hstack([a, b]), y


A, B = [0, 1], [2, 3, 4]


def _cosine(K, d1, d2):
    return K / np.sqrt(np.outer(d1, d2))


# ------------------------------------------------------------------ the combined kernel


def test_uniform_combined_kernel_equals_manual_train_and_test(rng):
    X, y = _data(rng)
    Xtr, Xte, ytr = X[:60], X[60:], y[:60]
    clf = KernelFusionClassifier([("a", "passthrough", A, "rbf"),
                                  ("b", "passthrough", B, "linear")],
                                 weights="uniform", kernel_params={"a": {"gamma": 0.7}})
    clf.fit(Xtr, ytr)
    lin_tr = linear_kernel(Xtr[:, B])
    d_tr = np.diag(lin_tr)
    d_te = np.einsum("ij,ij->i", Xte[:, B], Xte[:, B])
    K_tr = 0.5 * rbf_kernel(Xtr[:, A], gamma=0.7) + 0.5 * _cosine(lin_tr, d_tr, d_tr)
    K_te = (0.5 * rbf_kernel(Xte[:, A], Xtr[:, A], gamma=0.7)
            + 0.5 * _cosine(linear_kernel(Xte[:, B], Xtr[:, B]), d_te, d_tr))
    np.testing.assert_allclose(clf.combined_kernel(), K_tr, atol=1e-12)
    np.testing.assert_allclose(clf.combined_kernel(Xte), K_te, atol=1e-12)
    ref = SVC(kernel="precomputed").fit(K_tr, ytr)
    np.testing.assert_array_equal(clf.predict(Xte), ref.predict(K_te))


def test_trace_normalisation_uses_training_rows_only(rng):
    X, y = _data(rng)
    clf = KernelFusionClassifier([("b", "passthrough", B, "linear")], weights="uniform",
                                 normalize="trace").fit(X[:50], y[:50])
    K = linear_kernel(X[:50, B])
    scale = 50 / np.trace(K)
    np.testing.assert_allclose(clf.combined_kernel(), K * scale, atol=1e-12)
    np.testing.assert_allclose(clf.combined_kernel(X[50:]),
                               linear_kernel(X[50:, B], X[:50, B]) * scale, atol=1e-12)


def test_gamma_scale_is_fitted_on_training_rows(rng):
    X, y = _data(rng)
    clf = KernelFusionClassifier([("a", "passthrough", A, "rbf"),
                                  ("h", "passthrough", [2, 3], "chi2")],
                                 weights="uniform")
    Xh = np.abs(X)
    clf.fit(Xh[:60], y[:60])
    Za, Zh = Xh[:60][:, A], Xh[:60][:, [2, 3]]
    assert clf.gamma_["a"] == pytest.approx(1.0 / (2 * Za.var()))
    D = -pairwise_kernels(Zh, metric="additive_chi2")
    assert clf.gamma_["h"] == pytest.approx(1.0 / (D.sum() / (60 * 59)))
    assert clf.get_params()["a__gamma"] == "scale"  # the parameter itself is untouched


def test_no_test_row_leaks_into_predictions(rng):
    """A test row's kernel and prediction do not depend on the other test rows."""
    X, y = _data(rng)
    clf = KernelFusionClassifier([("a", StandardScaler(), A, "rbf"),
                                  ("b", "passthrough", B, "poly")],
                                 normalize="trace").fit(X[:60], y[:60])
    before = pickle.dumps(clf)
    K_all = clf.combined_kernel(X[60:])
    outliers = np.vstack([X[60:], 1e3 * np.abs(rng.normal(size=(5, 5)))])
    np.testing.assert_allclose(clf.combined_kernel(outliers)[:20], K_all, atol=1e-12)
    np.testing.assert_array_equal(clf.predict(X[60:65]), clf.predict(X[60:])[:5])
    assert pickle.dumps(clf) == before  # predicting changes no fitted state


# ------------------------------------------------------------------ weights


def test_alignment_weights_favour_the_informative_block(rng):
    X, y = _data(rng, n=120)
    clf = KernelFusionClassifier([("a", "passthrough", A, "rbf"),
                                  ("b", "passthrough", B, "rbf")]).fit(X, y)
    assert clf.weights_.sum() == pytest.approx(1.0)
    assert clf.named_weights_["a"] > 0.8
    assert clf.alignment_[0] > 0.2 and abs(clf.alignment_[1]) < 0.1
    # EasyMKL rewards the distance between the class hulls: with linear kernels the noise
    # block adds little; with a sharp RBF on noise and a small lam it can win (lam is to be
    # validated, as Aiolli & Donini advise)
    easy = clone(clf).set_params(weights="easymkl", a__kernel="linear", b__kernel="linear")
    assert easy.fit(X, y).named_weights_["a"] > 0.9


def test_alignf_maximises_alignment_over_the_simplex(rng):
    X, y = _data(rng, n=60)
    Ks = [rbf_kernel(X[:, A], gamma=0.5), linear_kernel(X[:, B]) + 1.0,
          rbf_kernel(X[:, [0, 2]], gamma=0.2)]
    w, rho = alignment_weights(Ks, y)
    Y = np.eye(2)[y]
    best = centered_alignment(np.tensordot(w, np.array(Ks), 1), Y @ Y.T)
    grid = [np.array([i, j, 20 - i - j]) / 20 for i in range(21) for j in range(21 - i)]
    others = [centered_alignment(np.tensordot(g, np.array(Ks), 1), Y @ Y.T) for g in grid]
    assert best >= max(others) - 1e-9
    np.testing.assert_allclose(rho, [centered_alignment(K, Y @ Y.T) for K in Ks], rtol=1e-10)


def test_alignf_equals_the_closed_form_when_it_is_positive(rng):
    """Cortes et al. 2012 Prop. 9: without active constraints v* = M^-1 a (MKLpy's CKA)."""
    X, y = _data(rng, n=60)
    Ks = [rbf_kernel(X[:, A], gamma=0.5), rbf_kernel(X[:, [0]], gamma=1.0)]
    n = len(y)
    H = np.eye(n) - 1.0 / n
    C = [H @ K @ H for K in Ks]
    Y = np.eye(2)[y]
    a = np.array([np.sum(c * (Y @ Y.T)) for c in C])
    M = np.array([[np.sum(ci * cj) for cj in C] for ci in C])
    v = np.linalg.solve(M, a)
    assert (v > 0).all()
    np.testing.assert_allclose(alignment_weights(Ks, y)[0], v / v.sum(), rtol=1e-8)


# MKLpy 0.6 EasyMKL(lam=...).fit(KL, y).solution.weights on the problem of _mklpy_problem(),
# with solver='cvxopt' and solver='libsvm' (they agree to 2e-5; float32 output).
MKLPY_EASYMKL = {0.1: [0.9537816, 0.0457108, 0.0005076],
                 0.5: [0.9749490, 0.0209684, 0.0040826]}


def _mklpy_problem():
    rng = np.random.default_rng(0)
    n = 60
    y = np.repeat([0, 1], n // 2)
    X = rng.normal(size=(n, 5)) + 0.7 * y[:, None] * np.array([1, 0, 1, 0, 0])

    def norm(K):
        d = np.sqrt(np.diag(K))
        return K / np.outer(d, d)

    return [norm(rbf_kernel(X[:, :2], gamma=0.5)), norm(linear_kernel(X[:, 2:4]) + 1),
            norm(pairwise_kernels(X[:, 4:], metric="poly", degree=2, coef0=1))], y


@pytest.mark.parametrize("lam", [0.1, 0.5])
def test_easymkl_equals_mklpy(lam):
    KL, y = _mklpy_problem()
    np.testing.assert_allclose(easymkl_weights(KL, y, lam=lam), MKLPY_EASYMKL[lam], atol=2e-5)


@pytest.mark.parametrize("lam", [0.1, 0.5, 1.0])
def test_easymkl_feature_maps_equal_gram_matrices(rng, lam):
    """The solver on explicit maps (Nyström mode) and libsvm on Gram matrices agree."""
    y = rng.integers(0, 3, 90)
    F = [rng.normal(size=(90, 4)) + y[:, None] * s for s in (0.8, 0.1)]
    w_gram = easymkl_weights([f @ f.T for f in F], y, lam=lam)
    w_feat = easymkl_weights(F, y, lam=lam, kind="features", tol=1e-10)
    np.testing.assert_allclose(w_feat, w_gram, atol=2e-4)
    np.testing.assert_allclose(alignment_weights(F, y, kind="features")[0],
                               alignment_weights([f @ f.T for f in F], y)[0], rtol=1e-8)


def test_fixed_weights_are_normalised_and_checked(rng):
    X, y = _data(rng)
    clf = KernelFusionClassifier([("a", "passthrough", A, "rbf"), ("b", "passthrough", B, "rbf")],
                                 weights={"a": 3.0}).fit(X, y)
    np.testing.assert_allclose(clf.weights_, [0.75, 0.25])
    with pytest.raises(ValueError, match=r"key\(s\) \['c'\] that match no block"):
        clone(clf).set_params(weights={"c": 1.0}).fit(X, y)
    with pytest.raises(ValueError, match="every block weight 0"):
        clone(clf).set_params(weights={"a": 0.0, "b": 0.0}).fit(X, y)


# ------------------------------------------------------------------ parameters


def test_nested_parameters_reach_kernels_transformers_and_estimator(rng):
    clf = KernelFusionClassifier([("a", StandardScaler(), A, "rbf"),
                                  ("b", "passthrough", B, "poly")],
                                 estimator=SVC(kernel="precomputed"))
    params = clf.get_params()
    assert params["a__kernel"] == "rbf" and params["a__gamma"] == "scale"
    assert params["b__degree"] == 3 and params["a__with_mean"] is True
    assert params["estimator__C"] == 1.0
    clf.set_params(a__gamma=0.5, b__degree=2, b__kernel="linear", a__with_mean=False,
                   estimator__C=7.0)
    assert clf.kernel_params == {"a": {"gamma": 0.5}, "b": {"degree": 2}}
    assert clf.kernels[1][3] == "linear" and clf.kernels[0][1].with_mean is False
    assert clf.estimator.C == 7.0
    twin = clone(clf)
    assert twin.get_params()["a__gamma"] == 0.5 and twin.kernels[1][3] == "linear"
    clf.set_params(a=StandardScaler(with_std=False))  # replace a block's transformer
    assert clf.kernels[0][1].with_std is False and clf.kernels[0][2] == A


def test_grid_search_over_block_kernel_estimator_and_weight_parameters(rng):
    X, y = _data(rng, n=60)
    model = Pipeline([("kfuse", KernelFusionClassifier(
        [("a", StandardScaler(), A, "rbf"), ("b", "passthrough", B, "linear")],
        estimator=SVC(kernel="precomputed")))])
    grid = {"kfuse__a__gamma": [0.01, 1.0], "kfuse__a__kernel": ["rbf", "poly"],
            "kfuse__a__with_std": [True, False], "kfuse__estimator__C": [0.1, 10.0],
            "kfuse__weights": ["uniform", "alignment", {"a": 1.0, "b": 0.0}]}
    search = GridSearchCV(model, grid, cv=3).fit(X, y)
    assert len(search.cv_results_["params"]) == 48
    assert search.best_score_ > 0.8
    assert search.best_params_["kfuse__weights"] != "uniform"  # b is noise


def test_bad_parameters_have_clear_errors(rng):
    X, y = _data(rng)
    bad = [
        ([("a", "passthrough", A, "sigmoid")], {}, "kernel must be one of"),
        ([("a", "passthrough", A)], {}, r"\(name, transformer, column, kernel\)"),
        ([("a", "passthrough", A, "rbf")], {"kernel_params": {"z": {"gamma": 1}}},
         "match no block"),
        ([("a", "passthrough", A, "rbf")], {"kernel_params": {"a": {"sigma": 1}}},
         "keys among"),
        ([("a", "passthrough", A, "rbf")], {"kernel_params": {"a": {"gamma": -2.0}}},
         "gamma must be"),
        ([("a", "passthrough", A, "rbf")], {"estimator": SVC()}, "kernel='precomputed'"),
        ([("a", "passthrough", A, "rbf")], {"approximation": "nystroem",
                                           "estimator": SVC(kernel="precomputed")},
         "explicit features"),
        ([("a", "drop", A, "rbf")], {}, "every block is 'drop'"),
    ]
    for kernels, kwargs, match in bad:
        with pytest.raises(ValueError, match=match):
            KernelFusionClassifier(kernels, **kwargs).fit(X, y)
    with pytest.raises(ValueError, match="negative values"):
        KernelFusionClassifier([("b", "passthrough", B, "chi2")]).fit(X, y)


# ------------------------------------------------------------------ missing modalities


def _frame(rng, n=60):
    X, y = _data(rng, n)
    df = pd.DataFrame({"a": list(X[:, A]), "b": list(X[:, B])})
    return df, y


class _Stack(TransformerMixin, BaseEstimator):
    """A column of vectors (None where missing) -> 2-D features (picklable test transformer)."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.vstack(list(X))


def test_missing_modality_drops_out_and_renormalises(rng):
    df, y = _frame(rng)
    df.loc[[3, 40], "b"] = None
    df.loc[[7], "a"] = None
    clf = KernelFusionClassifier([("a", _Stack(), "a", "rbf"), ("b", _Stack(), "b", "rbf")],
                                 weights={"a": 3.0, "b": 1.0},
                                 kernel_params={"a": {"gamma": 0.5}, "b": {"gamma": 0.2}})
    clf.fit(df, y)
    Xa, Xb = np.vstack(df["a"].drop(7)), np.vstack(df["b"].drop([3, 40]))
    Ka = np.zeros((60, 60))
    pa = np.setdiff1d(np.arange(60), [7])
    Ka[np.ix_(pa, pa)] = rbf_kernel(Xa, gamma=0.5)
    Kb = np.zeros((60, 60))
    pb = np.setdiff1d(np.arange(60), [3, 40])
    Kb[np.ix_(pb, pb)] = rbf_kernel(Xb, gamma=0.2)
    W = np.full(60, 1.0)
    W[[3, 40]] = 0.75
    W[7] = 0.25
    expected = (0.75 * Ka + 0.25 * Kb) / np.sqrt(np.outer(W, W))
    K = clf.combined_kernel()
    np.testing.assert_allclose(K, expected, atol=1e-12)
    np.testing.assert_allclose(np.diag(K), 1.0)  # unit diagonal kept
    assert np.linalg.eigvalsh(K).min() > -1e-10  # still a kernel
    new = df.iloc[:4].copy()
    new.loc[0, "a"] = None
    assert clf.predict(new).shape == (4,)
    no_b = df.iloc[:4].copy()
    no_b["b"] = None  # a modality absent from a whole batch
    np.testing.assert_allclose(clf.combined_kernel(no_b)[:, pa],
                               rbf_kernel(np.vstack(no_b["a"]), Xa, gamma=0.5) * 0.75
                               / np.sqrt(0.75 * W[pa]), atol=1e-12)
    only_b = clf.combined_kernel(new)[0]
    np.testing.assert_allclose(only_b[pb], rbf_kernel(np.vstack([new.loc[0, "b"]]), Xb,
                                                      gamma=0.2)[0] * 0.25 / np.sqrt(0.25 * W[pb]))


def test_row_with_no_modality_is_an_error_row(rng):
    df, y = _frame(rng)
    clf = KernelFusionClassifier([("a", _Stack(), "a", "rbf"), ("b", _Stack(), "b", "rbf")])
    clf.fit(df, y)
    bad = df.iloc[:3].copy()
    bad.loc[1, ["a", "b"]] = None
    with pytest.raises(MMFuseInputError, match=r"row 1.*no modality is present"):
        clf.predict(bad)
    one_missing = df.copy()
    one_missing.loc[5, "b"] = None
    with pytest.raises(MMFuseInputError, match=r"row 5, column 'b'.*missing"):
        clone(clf).set_params(missing="error").fit(one_missing, y)
    zero = clone(clf).set_params(weights={"a": 0.0}).fit(df, y)
    only_a = df.iloc[:1].copy()
    only_a.loc[0, "b"] = None
    with pytest.raises(MMFuseInputError, match=r"row 0: only modalities of weight 0 are "
                                               r"present \(\['a'\]"):
        zero.predict(only_a)
    from mmfuse import collect_errors, config_context

    with config_context(on_error="skip"), collect_errors() as errors:
        assert zero.predict(pd.concat([only_a, df.iloc[1:4]])).shape == (3,)
    assert [e.row for e in errors] == [0]


# ------------------------------------------------------------------ approximation


def test_nystroem_map_equals_sklearn(rng):
    X, y = _data(rng, n=100)
    clf = KernelFusionClassifier([("a", "passthrough", A, "rbf")], weights="uniform",
                                 kernel_params={"a": {"gamma": 0.4}}, approximation="nystroem",
                                 n_components=30, random_state=3).fit(X, y)
    ny = Nystroem(gamma=0.4, n_components=30, random_state=3).fit(X[:, A])
    F, G = clf.combined_kernel(X), ny.transform(X[:, A])
    np.testing.assert_allclose(F @ F.T, G @ G.T, atol=1e-8)
    assert isinstance(clf.estimator_, LinearSVC)


def test_nystroem_with_every_row_as_landmark_is_exact(rng):
    X, y = _data(rng, n=50)
    kw = dict(weights="alignment", normalize="diagonal")
    blocks = [("a", "passthrough", A, "rbf"), ("b", "passthrough", B, "poly")]
    exact = KernelFusionClassifier(blocks, **kw).fit(X, y)
    approx = KernelFusionClassifier(blocks, approximation="nystroem", n_components=50,
                                    random_state=0, **kw).fit(X, y)
    F = approx.combined_kernel(X)
    np.testing.assert_allclose(F @ F.T, exact.combined_kernel(), atol=1e-6)
    np.testing.assert_allclose(approx.weights_, exact.weights_, atol=1e-6)


# ------------------------------------------------------------------ ecosystem


def test_predict_proba_only_when_the_estimator_has_it(rng):
    X, y = _data(rng)
    clf = KernelFusionClassifier([("a", "passthrough", A, "rbf")])
    assert not hasattr(clf, "predict_proba")
    clf.set_params(estimator=SVC(kernel="precomputed", probability=True, random_state=0))
    P = clf.fit(X, y).predict_proba(X)
    assert P.shape == (80, 2) and np.allclose(P.sum(axis=1), 1.0)
    assert clf.decision_function(X).shape == (80,)


def test_pickle_save_load_and_score_columns(rng, tmp_path):
    import mmfuse
    from mmfuse.persistence import describe_inputs, read_metadata
    from mmfuse.scoring import model_columns

    df, y = _frame(rng)
    clf = KernelFusionClassifier([("a", _Stack(), "a", "rbf"), ("b", _Stack(), "b", "linear")],
                                 weights="easymkl").fit(df, y)
    back = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(back.predict(df), clf.predict(df))
    assert describe_inputs(clf) == {"a": None, "b": None}
    assert list(model_columns(Pipeline([("kfuse", clf)]))) == ["a", "b"]
    mmfuse.save(clf, tmp_path / "k.joblib")
    assert read_metadata(tmp_path / "k.joblib")["inputs"] == {"a": None, "b": None}
    np.testing.assert_array_equal(mmfuse.load(tmp_path / "k.joblib").predict(df),
                                  clf.predict(df))


def test_report_shows_kernel_weights_as_modality_contribution(rng, tmp_path):
    pytest.importorskip("matplotlib")
    from mmfuse.report import evaluate_model

    df, y = _frame(rng)
    clf = KernelFusionClassifier([("a", _Stack(), "a", "rbf"), ("b", _Stack(), "b", "rbf")],
                                 weights={"a": 2.0})
    clf.fit(df, y)
    metrics = evaluate_model(clf, df, y, tmp_path)
    contrib = metrics["modalities"]
    assert contrib["weights"] == pytest.approx(clf.named_weights_)
    assert contrib["method"].startswith("kernel fusion")
    assert contrib["alone"]["a"] > contrib["alone"]["b"]  # b is noise
    page = (tmp_path / "index.html").read_text()
    assert "kernel weights" in page
    assert f'{clf.named_weights_["a"]:.3f}</td></tr>' in page  # the weight column of the table
    learned = clone(clf).set_params(weights="alignment").fit(df, y)
    assert learned.named_weights_["b"] == 0.0  # noise: no weight, so no "alone" entry
    assert list(evaluate_model(learned, df, y, tmp_path)["modalities"]["alone"]) == ["a"]


def test_real_modalities_av_digits_subset():
    """HOG + MFCC blocks on the embedded AV digits: fusion beats each modality alone."""
    from mmfuse.datasets import load_av_digits
    from mmfuse.pipelines.av_digits import audio_features, image_features

    d = load_av_digits()
    X, y = d.X.iloc[:450], d.y[:450]
    tr, te = slice(0, 300), slice(300, 450)
    audio = Pipeline([("mfcc", audio_features()), ("scale", StandardScaler())])
    clf = KernelFusionClassifier([("image", image_features(), "image", "intersection"),
                                  ("audio", audio, "audio", "rbf")],
                                 estimator=SVC(kernel="precomputed", C=10.0))
    acc = np.mean(clf.fit(X.iloc[tr], y[tr]).predict(X.iloc[te]) == y[te])
    alone = [np.mean(clone(clf).set_params(weights=w).fit(X.iloc[tr], y[tr]).predict(X.iloc[te])
                     == y[te]) for w in ({"audio": 0.0}, {"image": 0.0})]
    assert acc > max(alone) + 0.03, (acc, alone)
    assert acc > 0.9


def test_readme_kernel_fusion_example_runs(monkeypatch):
    """The README's kernel-fusion example, on the first 240 rows of the AV digits (speed)."""
    import re
    from pathlib import Path

    import mmfuse.datasets

    readme = Path(__file__).resolve().parents[2] / "README.md"
    if not readme.is_file():
        pytest.skip("README.md not in this tree")
    (code,) = [b for b in re.findall(r"```python\n(.*?)```", readme.read_text(), re.S)
               if "KernelFusionClassifier(" in b]
    full = mmfuse.datasets.load_av_digits

    def small(**kw):
        d = full(**kw)
        d.X, d.y, d.split = d.X.iloc[:240], d.y[:240], d.split[:240]
        return d

    monkeypatch.setattr(mmfuse.datasets, "load_av_digits", small)
    namespace = {"__name__": "__readme_kernel__"}
    exec(compile(code, "README.md kernel fusion", "exec"), namespace)  # noqa: S102
    search = namespace["search"]
    assert search.best_score_ > 0.7
    assert sum(search.best_estimator_.named_weights_.values()) == pytest.approx(1.0)
