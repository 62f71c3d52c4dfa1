"""FastSVC: libsvm's decisions by blocked matrix products, and the conversion of fitted models."""

import io
import itertools
import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.svm import SVC

import mmfuse
from mmfuse import svm as msvm
from mmfuse.fusion import FeatureFusion, KernelFusionClassifier, LateFusionClassifier
from mmfuse.kernels import Chi2Kernel, IntersectionKernel, chi2_kernel
from mmfuse.persistence import MAGIC, load, save
from mmfuse.svm import FastSVC, to_fast_svc

# SVC(probability=True) is deprecated in scikit-learn 1.9 and still what libsvm's Platt
# scaling needs: the warning is not what these tests are about
pytestmark = pytest.mark.filterwarnings("ignore:The `probability` parameter:FutureWarning")

KERNELS = ["rbf", "linear", "poly", "sigmoid", "chi2", "intersection", "precomputed"]


def _problem(n_classes, n_train=150, n_test=80, n_features=8, seed=0):
    """Overlapping classes (many support vectors, some vote ties), non-negative for chi2."""
    X, y = make_classification(n_train + n_test, n_features,
                               n_informative=min(5, n_features - 1), n_redundant=0,
                               n_classes=n_classes, n_clusters_per_class=1, flip_y=0.1,
                               class_sep=0.8, random_state=seed)
    return X[:n_train], y[:n_train], X[n_train:]


def _fit_pair(kernel, n_classes, *, sparse=False, **params):
    """The same libsvm fit as sklearn's SVC and as FastSVC (shared state), with test rows."""
    Xtr, ytr, Xte = _problem(n_classes)
    if kernel in ("chi2", "intersection", "precomputed"):
        Xtr, Xte = np.abs(Xtr), np.abs(Xte)
    params = {"kernel": kernel, "random_state": 0, **params}
    if kernel == "chi2":
        params["kernel"] = Chi2Kernel(gamma=0.2)
    elif kernel == "intersection":
        params["kernel"] = IntersectionKernel()
    elif kernel == "precomputed":
        Xtr, Xte = chi2_kernel(Xtr, gamma=0.2), chi2_kernel(Xte, Xtr, gamma=0.2)
    elif kernel == "sigmoid":
        params.setdefault("gamma", 0.02)
    if sparse:
        Xtr[np.abs(Xtr) < 0.5] = 0.0  # a sparse matrix with real zeros
        Xte[np.abs(Xte) < 0.5] = 0.0
        Xtr, Xte = sp.csr_matrix(Xtr), sp.csr_matrix(Xte)
    ref = SVC(**params).fit(Xtr, ytr)
    return ref, FastSVC.from_svc(ref), Xte


def _assert_decisions_equal(ref, fast, X):
    """decision values within 1e-8 of their scale, identical labels, both shapes."""
    for shape in ("ovr", "ovo"):
        ref.decision_function_shape = fast.decision_function_shape = shape
        d_ref, d_fast = ref.decision_function(X), fast.decision_function(X)
        assert d_fast.shape == d_ref.shape and isinstance(d_fast, np.ndarray)
        np.testing.assert_allclose(d_fast, d_ref, rtol=0, atol=1e-8 * np.abs(d_ref).max())
        np.testing.assert_array_equal(fast.predict(X), ref.predict(X))


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("n_classes", [2, 3, 10])
def test_decisions_and_platt_probabilities_equal_libsvm(n_classes, kernel, sparse):
    if sparse and kernel == "precomputed":
        pytest.skip("scikit-learn does not fit sparse precomputed kernels")
    ref, fast, X = _fit_pair(kernel, n_classes, sparse=sparse, probability=True)
    assert ref.support_.size >= 15
    _assert_decisions_equal(ref, fast, X)
    p_ref, p_fast = ref.predict_proba(X), fast.predict_proba(X)
    np.testing.assert_allclose(p_fast, p_ref, rtol=0, atol=1e-8)
    np.testing.assert_allclose(fast.predict_log_proba(X), ref.predict_log_proba(X), rtol=1e-7)
    np.testing.assert_allclose(p_fast.sum(axis=1), 1.0, atol=1e-12)


@pytest.mark.parametrize("gamma", ["scale", "auto", 0.3])
@pytest.mark.parametrize("kernel", ["rbf", "poly", "sigmoid"])
def test_gamma_resolved_as_sklearn(kernel, gamma):
    ref, fast, X = _fit_pair(kernel, 3, gamma=gamma, degree=2, coef0=0.5)
    _assert_decisions_equal(ref, fast, X)


@pytest.mark.parametrize("class_weight", ["balanced", {0: 5.0, 1: 1.0, 2: 0.3}])
def test_class_weight_and_probability_false(class_weight):
    ref, fast, X = _fit_pair("rbf", 3, class_weight=class_weight, C=3.0)
    _assert_decisions_equal(ref, fast, X)
    assert not hasattr(fast, "predict_proba") and not hasattr(ref, "predict_proba")


@pytest.mark.parametrize("n_classes", [3, 10])
def test_break_ties_and_its_ovo_error(n_classes):
    ref, fast, X = _fit_pair("rbf", n_classes, break_ties=True)
    np.testing.assert_array_equal(fast.predict(X), ref.predict(X))
    fast.decision_function_shape = ref.decision_function_shape = "ovo"
    with pytest.raises(ValueError, match="break_ties must be False when "
                                         "decision_function_shape is 'ovo'"):
        fast.predict(X)


@pytest.mark.parametrize("n_classes", [3, 10])
def test_natural_vote_ties_are_broken_as_libsvm(n_classes):
    """Rows whose one-vs-one votes tie get libsvm's label (the first class with most votes)."""
    Xtr, ytr, _ = _problem(n_classes, n_features=5, seed=3)
    ref = SVC(C=0.5).fit(Xtr, ytr)
    fast = FastSVC.from_svc(ref)
    X = np.random.default_rng(0).normal(scale=2.0, size=(3000, 5))
    ref.decision_function_shape = "ovo"
    dec = ref.decision_function(X)
    votes = np.zeros((len(X), n_classes), dtype=int)
    for p, (i, j) in enumerate(itertools.combinations(range(n_classes), 2)):
        votes[:, i] += dec[:, p] > 0
        votes[:, j] += dec[:, p] <= 0
    tied = (votes == votes.max(axis=1, keepdims=True)).sum(axis=1) > 1
    assert tied.sum() >= 20  # the test would mean nothing without ties
    np.testing.assert_array_equal(fast.predict(X[tied]), ref.predict(X[tied]))
    first = np.argmax(votes[tied], axis=1)  # libsvm keeps the first maximum
    np.testing.assert_array_equal(fast.predict(X[tied]), ref.classes_[first])


def test_exact_zero_decisions_and_every_vote_pattern_as_libsvm():
    """Decision values exactly 0 (a zero row, a linear kernel, chosen intercepts) in every
    sign pattern of the three pairs: labels, 'ovr' values and break_ties equal sklearn's."""
    Xtr, ytr, _ = _problem(3)
    ref = SVC(kernel="linear").fit(Xtr, ytr)
    fast = FastSVC.from_svc(ref)
    X = np.zeros((2, Xtr.shape[1]))
    for signs in itertools.product([-1.0, 0.0, 1.0], repeat=3):
        ref._intercept_ = np.array(signs)  # the state libsvm predicts from, shared by both
        fast._intercept_ = ref._intercept_
        for break_ties in (False, True):
            ref.break_ties = fast.break_ties = break_ties
            ref.decision_function_shape = fast.decision_function_shape = "ovr"
            np.testing.assert_array_equal(fast.predict(X), ref.predict(X), err_msg=str(signs))
            np.testing.assert_array_equal(fast.decision_function(X), ref.decision_function(X))
    binary = SVC(kernel="linear").fit(Xtr, ytr % 2)
    binary._intercept_ = np.zeros(1)
    assert FastSVC.from_svc(binary).predict(X)[0] == binary.predict(X)[0] == 1


def test_binary_sign_convention():
    ref, fast, X = _fit_pair("rbf", 2)
    dec = fast.decision_function(X)
    assert dec.ndim == 1
    np.testing.assert_array_equal(fast.predict(X), ref.classes_[(dec > 0).astype(int)])


def test_chunks_by_working_memory_and_threads_give_the_same_values(monkeypatch):
    ref, fast, _ = _fit_pair("rbf", 3, probability=True)
    X = np.random.default_rng(1).normal(size=(2500, 8))
    calls = []
    block = msvm._kernel_block
    monkeypatch.setattr(msvm, "_kernel_block", lambda *a: calls.append(len(a[1])) or block(*a))
    with mmfuse.config_context(working_memory=1):
        d_small = fast.decision_function(X)
        p_small = fast.predict_proba(X)
    assert len(calls) > 2 * 2 and sum(calls) == 2 * len(X)  # many chunks, every row once
    row_bytes = msvm._plan_of(fast).row_bytes
    assert max(calls) * row_bytes <= 2 ** 20
    np.testing.assert_allclose(d_small, ref.decision_function(X), rtol=0, atol=1e-10)
    np.testing.assert_allclose(p_small, ref.predict_proba(X), rtol=0, atol=1e-10)


def test_prepared_support_vectors_follow_refits_and_parameter_changes():
    ref, fast, X = _fit_pair("poly", 3, degree=2)
    fast.decision_function(X)
    plan = msvm._plan_of(fast)
    assert msvm._plan_of(fast) is plan  # reused while nothing changes
    ref.set_params(coef0=1.5)  # libsvm predicts with the new coef0, without a refit
    fast.set_params(coef0=1.5)
    _assert_decisions_equal(ref, fast, X)
    assert msvm._plan_of(fast) is not plan
    Xtr, ytr, _ = _problem(3, seed=5)
    ref.fit(Xtr, ytr)
    fast.fit(Xtr, ytr)
    _assert_decisions_equal(ref, fast, X)
    # the prepared arrays live beside the estimator: nothing reaches its state or a pickle
    assert not any(isinstance(v, msvm._Plan) for v in vars(fast).values())


def test_chunks_are_balanced_across_workers():
    assert msvm._chunks(10, 100, 2) == [(0, 10)]
    chunks = msvm._chunks(5000, 1024, 2)
    sizes = [b - a for a, b in chunks]
    assert len(chunks) == 6 and max(sizes) <= 1024 and sum(sizes) == 5000
    assert max(sizes) - min(sizes) < len(chunks)


def test_callable_kernel_on_lists_and_only_support_rows_evaluated():
    Xtr, ytr, Xte = _problem(3)
    seen = []

    def linear(A, B):
        seen.append(len(B))
        return np.asarray(A) @ np.asarray(B).T

    ref = SVC(kernel=linear).fit(Xtr.tolist(), ytr)
    fast = FastSVC.from_svc(ref)
    seen.clear()
    np.testing.assert_array_equal(fast.predict(Xte.tolist()), ref.predict(Xte.tolist()))
    assert seen[0] == ref.support_.size < len(Xtr) == seen[-1]  # ours, then sklearn's


def test_dataframe_input_keeps_feature_name_checks():
    Xtr, ytr, Xte = _problem(3)
    cols = [f"f{i}" for i in range(Xtr.shape[1])]
    fast = FastSVC().fit(pd.DataFrame(Xtr, columns=cols), ytr)
    ref = SVC().fit(pd.DataFrame(Xtr, columns=cols), ytr)
    np.testing.assert_array_equal(fast.predict(pd.DataFrame(Xte, columns=cols)),
                                  ref.predict(pd.DataFrame(Xte, columns=cols)))
    with pytest.raises(ValueError, match="feature names"):
        fast.predict(pd.DataFrame(Xte, columns=cols[::-1]))


def test_errors_as_sklearn():
    Xtr, ytr, Xte = _problem(3)
    with pytest.raises(NotFittedError):
        FastSVC().predict(Xte)
    fast = FastSVC().fit(Xtr, ytr)
    with pytest.raises(ValueError, match="expecting 8 features"):
        fast.predict(Xte[:, :5])
    with pytest.raises(ValueError, match="cannot use sparse input in 'FastSVC' trained on "
                                         "dense data"):
        fast.predict(sp.csr_matrix(Xte))
    with pytest.raises(AttributeError, match="has no attribute 'predict_proba'"):
        fast.predict_proba(Xte)
    pre = FastSVC(kernel="precomputed").fit(Xtr @ Xtr.T, ytr)
    with pytest.raises(ValueError, match="expecting 150 features"):
        pre.predict(Xte @ Xtr[:100].T)


def test_kernel_callable_of_the_wrong_shape_is_named():
    Xtr, ytr, Xte = _problem(3)
    fast = FastSVC(kernel=_KernelThatDropsARow()).fit(Xtr, ytr)
    fast.kernel.drop = True
    with pytest.raises(ValueError, match=r"_KernelThatDropsARow\(\) returned an array of shape "
                                         r"\((\d+), (\d+)\) for \d+ rows against \2 support"):
        fast.predict(Xte)


class _KernelThatDropsARow:
    drop = False

    def __call__(self, A, B):
        K = np.asarray(A) @ np.asarray(B).T
        return K[1:] if self.drop else K

    def __repr__(self):
        return "_KernelThatDropsARow()"


def test_falls_back_to_libsvm_when_the_fitted_state_is_not_libsvm_form(monkeypatch):
    ref, fast, X = _fit_pair("rbf", 3, probability=True)
    monkeypatch.setattr(FastSVC, "_fast_ready", lambda self: False)
    monkeypatch.setattr(msvm, "_ovo_decision_values", None)  # would fail if reached
    np.testing.assert_array_equal(fast.decision_function(X), ref.decision_function(X))
    np.testing.assert_array_equal(fast.predict(X), ref.predict(X))
    np.testing.assert_array_equal(fast.predict_proba(X), ref.predict_proba(X))


def test_clone_pickle_and_grid_search():
    Xtr, ytr, Xte = _problem(3)
    search = GridSearchCV(FastSVC(), {"C": [0.5, 2.0], "kernel": ["rbf", Chi2Kernel(0.5)]},
                          cv=3).fit(np.abs(Xtr), ytr)
    best = search.best_estimator_
    assert type(best) is FastSVC and type(clone(best)) is FastSVC
    ref = SVC(**best.get_params()).fit(np.abs(Xtr), ytr)
    np.testing.assert_array_equal(search.predict(np.abs(Xte)), ref.predict(np.abs(Xte)))
    back = pickle.loads(pickle.dumps(best))
    np.testing.assert_array_equal(back.decision_function(np.abs(Xte)),
                                  best.decision_function(np.abs(Xte)))


# ------------------------------------------------------------------ conversion


def _late_and_kernel_models(Xtr, ytr):
    late = LateFusionClassifier([("a", SVC(probability=True, random_state=0), [0, 1, 2, 3]),
                                 ("b", SVC(probability=True, random_state=0), [4, 5, 6, 7])])
    kern = KernelFusionClassifier([("a", "passthrough", [0, 1, 2, 3], "rbf"),
                                   ("b", "passthrough", [4, 5, 6, 7], "linear")],
                                  weights="uniform", estimator=SVC(kernel="precomputed"))
    early = make_pipeline(FeatureFusion([("a", "passthrough", [0, 1, 2, 3]),
                                         ("b", "passthrough", [4, 5, 6, 7])]), SVC(C=2.0))
    return [late.fit(Xtr, ytr), kern.fit(Xtr, ytr), early.fit(Xtr, ytr)]


def test_to_fast_svc_converts_every_fitted_svc_and_keeps_predictions():
    Xtr, ytr, Xte = _problem(3)
    late, kern, early = _late_and_kernel_models(Xtr, ytr)
    cases = [  # (model, where its fitted SVCs are)
        (make_pipeline(StandardScaler(), SVC()).fit(Xtr, ytr), lambda m: [m[-1]]),
        (CalibratedClassifierCV(SVC(), cv=3).fit(Xtr, ytr),
         lambda m: [c.estimator for c in m.calibrated_classifiers_]),
        (GridSearchCV(SVC(), {"C": [0.5, 1.0]}, cv=3).fit(Xtr, ytr),
         lambda m: [m.best_estimator_]),
        (late, lambda m: m.estimators_),
        (kern, lambda m: [m.estimator_]),
        (early, lambda m: [m[-1]]),
    ]
    for model, svcs in cases:
        method = "predict_proba" if hasattr(model, "predict_proba") else "decision_function"
        before = getattr(model, method)(Xte)
        labels = model.predict(Xte)
        copied = to_fast_svc(model, copy=True)
        assert all(type(s) is SVC for s in svcs(model))  # copy=True: the model is as it was
        assert all(type(s) is FastSVC for s in svcs(copied))
        assert to_fast_svc(model) is model
        assert all(type(s) is FastSVC for s in svcs(model))
        np.testing.assert_allclose(getattr(model, method)(Xte), before, rtol=0, atol=1e-10)
        np.testing.assert_array_equal(model.predict(Xte), labels)
        np.testing.assert_array_equal(copied.predict(Xte), labels)
    search = cases[2][0]
    assert type(search.estimator) is SVC  # the unfitted template is left alone


def test_load_converts_and_save_writes_the_model_as_given(tmp_path):
    Xtr, ytr, Xte = _problem(3)
    model = make_pipeline(StandardScaler(), SVC(probability=True, random_state=0)).fit(Xtr, ytr)
    save(model, tmp_path / "m.joblib")
    assert type(model[-1]) is SVC  # saving changed nothing
    data = (tmp_path / "m.joblib").read_bytes()
    start = len(MAGIC) + 8 + int.from_bytes(data[len(MAGIC):len(MAGIC) + 8], "big")
    assert type(joblib.load(io.BytesIO(data[start:]))[-1]) is SVC  # the file holds SVC
    fast = load(tmp_path / "m.joblib")
    assert type(fast[-1]) is FastSVC
    np.testing.assert_allclose(fast.predict_proba(Xte), model.predict_proba(Xte), atol=1e-10)
    assert type(load(tmp_path / "m.joblib", fast_svc=False)[-1]) is SVC


def test_top_level_lazy_exports():
    assert mmfuse.FastSVC is FastSVC and mmfuse.to_fast_svc is to_fast_svc


@pytest.mark.gpu
def test_gpu_decisions_equal_libsvm():
    ref, fast, X = _fit_pair("rbf", 10, probability=True)
    X = np.repeat(X, 20, axis=0)
    with mmfuse.config_context(device="cuda"):
        _assert_decisions_equal(ref, fast, X)
        np.testing.assert_allclose(fast.predict_proba(X), ref.predict_proba(X), atol=1e-8)


def test_rbf_exact_for_features_far_from_the_origin():
    """|x|^2 + |sv|^2 - 2 x.sv cancels badly at a large offset; centring keeps libsvm's values."""
    Xtr, ytr, Xte = _problem(3)
    ref = SVC(gamma="scale").fit(Xtr + 1e4, ytr)
    _assert_decisions_equal(ref, FastSVC.from_svc(ref), Xte + 1e4)


def test_blas_limit_is_shared_by_overlapping_callers():
    from threadpoolctl import threadpool_info

    def blas_threads():
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    before = blas_threads()
    outer, inner = msvm._single_threaded_blas(), msvm._single_threaded_blas()
    outer.__enter__()
    inner.__enter__()
    outer.__exit__(None, None, None)  # the first caller leaves first: the limit stays
    assert set(blas_threads()) == {1}
    inner.__exit__(None, None, None)
    assert blas_threads() == before


def test_skops_file_with_fastsvc_loads_without_extra_trust(tmp_path):
    pytest.importorskip("skops")
    Xtr, ytr, Xte = _problem(3)
    model = make_pipeline(MinMaxScaler(clip=True), FastSVC(kernel=Chi2Kernel(0.5))).fit(Xtr, ytr)
    save(model, tmp_path / "m.skops", format="skops")
    back = load(tmp_path / "m.skops")
    assert type(back[-1]) is FastSVC
    np.testing.assert_array_equal(back.decision_function(Xte), model.decision_function(Xte))


def test_kernel_fusion_decides_with_fastsvc_by_default():
    Xtr, ytr, Xte = _problem(3)
    kern = KernelFusionClassifier([("a", "passthrough", [0, 1, 2, 3], "rbf"),
                                   ("b", "passthrough", [4, 5, 6, 7], "linear")],
                                  weights="uniform").fit(Xtr, ytr)
    assert type(kern.estimator_) is FastSVC
    slow = SVC(kernel="precomputed").fit(kern.combined_kernel(), ytr)
    np.testing.assert_array_equal(kern.predict(Xte), slow.predict(kern.combined_kernel(Xte)))
