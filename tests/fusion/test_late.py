"""LateFusionClassifier: combination rules, learned weights, stacking, missing modalities."""

import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier, VotingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.naive_bayes import GaussianNB
from sklearn.svm import SVC, LinearSVC

from mmfuse.fusion import LateFusionClassifier, combine
from mmfuse.io import MMFuseInputError

A, B = [0, 1, 2], [3, 4, 5]


def _data(rng, n=120, sep=(1.0, 1.0), n_classes=3):
    y = np.arange(n) % n_classes
    centres_a = rng.normal(size=(n_classes, 3)) * sep[0]
    centres_b = rng.normal(size=(n_classes, 3)) * sep[1]
    X = np.hstack([centres_a[y] + rng.normal(size=(n, 3)),
                   centres_b[y] + rng.normal(size=(n, 3))])
    return X, y


P = np.array([  # 2 models x 2 rows x 3 classes
    [[0.6, 0.3, 0.1], [0.2, 0.2, 0.6]],
    [[0.2, 0.5, 0.3], [0.1, 0.8, 0.1]],
])


def test_fixed_rules_on_known_probabilities():
    both = np.ones((2, 2), dtype=bool)
    w = np.array([1.0, 1.0])
    np.testing.assert_allclose(combine("mean", P, both, w), P.mean(axis=0))
    prod = P[0] * P[1]
    np.testing.assert_allclose(combine("product", P, both, w), prod / prod.sum(1, keepdims=True))
    geo = np.sqrt(P[0] * P[1])
    np.testing.assert_allclose(combine("geometric", P, both, w), geo / geo.sum(1, keepdims=True))
    mx = P.max(axis=0)
    np.testing.assert_allclose(combine("max", P, both, w), mx / mx.sum(1, keepdims=True))
    mn = P.min(axis=0)
    np.testing.assert_allclose(combine("min", P, both, w), mn / mn.sum(1, keepdims=True))
    # weighted mean and exponent-weighted product
    w2 = np.array([3.0, 1.0])
    np.testing.assert_allclose(combine("weighted", P, both, w2), (3 * P[0] + P[1]) / 4)
    wp = P[0] ** 3 * P[1]
    np.testing.assert_allclose(combine("product", P, both, w2), wp / wp.sum(1, keepdims=True))
    # a row missing model 0 is fused over model 1 alone, for every rule
    part = np.array([[False, True], [True, True]])
    for rule in ("mean", "product", "geometric", "max", "min", "median"):
        np.testing.assert_allclose(combine(rule, P, part, w)[0], P[1, 0], err_msg=rule)


def test_median_rule_over_three_models():
    P3 = np.concatenate([P, [[[0.1, 0.1, 0.8], [0.3, 0.3, 0.4]]]])
    med = np.median(P3, axis=0)
    np.testing.assert_allclose(combine("median", P3, np.ones((3, 2), bool), np.ones(3)),
                               med / med.sum(1, keepdims=True))


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**16), n_classes=st.integers(2, 4))
def test_mean_with_equal_weights_equals_soft_voting(seed, n_classes):
    rng = np.random.default_rng(seed)
    X, y = _data(rng, n=60, n_classes=n_classes)
    models = [("lr", LogisticRegression(), slice(None)), ("nb", GaussianNB(), slice(None))]
    ours = LateFusionClassifier(models, weights={"lr": 2.0, "nb": 2.0}).fit(X, y)
    ref = VotingClassifier([(n, e) for n, e, _ in models], voting="soft").fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), rtol=1e-10)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))


def test_hard_vote_matches_voting_classifier(rng):
    X, y = _data(rng)
    models = [("lr", LogisticRegression(), A), ("nb", GaussianNB(), B),
              ("svc", LinearSVC(), slice(None))]
    ours = LateFusionClassifier(models, rule="vote").fit(X, y)
    preds = np.stack([clone(e).fit(X[:, c], y).predict(X[:, c]) for _, e, c in models])
    votes = np.stack([(preds == k).sum(axis=0) for k in range(3)], axis=1)
    np.testing.assert_array_equal(ours.predict(X), votes.argmax(axis=1))  # ties: first class
    np.testing.assert_allclose(ours.predict_proba(X), votes / 3)
    assert not hasattr(ours, "decision_function")
    np.testing.assert_allclose(ours.predict_proba(X).sum(axis=1), 1.0)


def test_learned_weights_favour_the_informative_modality(rng):
    X, y = _data(rng, n=240, sep=(3.0, 0.0))  # modality b carries no signal
    clf = LateFusionClassifier([("a", LogisticRegression(), A), ("b", LogisticRegression(), B)],
                               weights="learn", cv=3).fit(X, y)
    assert clf.weights_.sum() == pytest.approx(1.0)
    assert clf.weights_[0] > 0.8
    # on held-out data the learned weights give a lower log-loss than equal weights
    from sklearn.metrics import log_loss
    equal = LateFusionClassifier([("a", LogisticRegression(), A),
                                  ("b", LogisticRegression(), B)]).fit(X, y)
    Xt, yt = _data(np.random.default_rng(99), n=240, sep=(3.0, 0.0))
    Xt[:, A], yt = X[:, A] + rng.normal(size=(240, 3)) * 0.3, y  # same class centres
    assert log_loss(yt, clf.predict_proba(Xt)) < log_loss(yt, equal.predict_proba(Xt))
    rule_weighted = LateFusionClassifier([("a", LogisticRegression(), A),
                                          ("b", LogisticRegression(), B)],
                                         rule="weighted", cv=3).fit(X, y)
    np.testing.assert_allclose(rule_weighted.weights_, clf.weights_)


def test_stacking_uses_out_of_fold_probabilities_and_confidence(rng):
    X, y = _data(rng, n=150, sep=(2.0, 1.0))
    clf = LateFusionClassifier([("a", LogisticRegression(), A), ("b", GaussianNB(), B)],
                               rule="stack", cv=3).fit(X, y)
    # per model: 3 probabilities + top probability + presence flag
    assert clf.final_estimator_.n_features_in_ == 2 * (3 + 1 + 1)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    single = LogisticRegression().fit(X[:, A], y).score(X[:, A], y)
    assert clf.score(X, y) >= single - 0.02
    meta = clf._meta_features(*clf._model_outputs(X))
    np.testing.assert_allclose(proba, clf.final_estimator_.predict_proba(meta))



def test_stacking_builds_on_stacking_classifier_machinery(rng):
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    X, y = _data(rng, n=90)
    given = LogisticRegression(C=0.5)
    clf = LateFusionClassifier([("a", LogisticRegression(), A), ("b", GaussianNB(), B)],
                               rule="stack", final_estimator=given, cv=3).fit(X, y)
    # final_estimator is cloned as StackingClassifier clones it, the default as ours
    assert clf.final_estimator_ is not given and clf.final_estimator_.C == 0.5
    assert not hasattr(given, "coef_")
    default = LateFusionClassifier([("a", LogisticRegression(), A), ("b", GaussianNB(), B)],
                                   rule="stack", cv=3).fit(X, y)
    assert default.final_estimator_.max_iter == 1000
    # with every modality present, the meta-model is fitted on cross_val_predict's
    # out-of-fold probabilities (all K columns), each member's top probability and presence
    feats = []
    for member, cols in ((LogisticRegression(), A), (GaussianNB(), B)):
        oof = cross_val_predict(member, X[:, cols], y, cv=StratifiedKFold(3),
                                method="predict_proba")
        feats += [oof, oof.max(axis=1, keepdims=True), np.ones((len(y), 1))]
    expected = LogisticRegression(C=0.5).fit(np.hstack(feats), y)
    np.testing.assert_allclose(clf.final_estimator_.coef_, expected.coef_, rtol=1e-10)


def test_missing_modality_is_renormalised_away_at_predict(rng):
    X, y = _data(rng)
    df = pd.DataFrame({"a": list(X[:, A]), "b": list(X[:, B])})
    stack = _VecStack()
    clf = LateFusionClassifier([("a", _pipe(stack), "a"), ("b", _pipe(stack), "b")]).fit(df, y)
    test = df.iloc[:6].copy()
    test.loc[[0, 3], "b"] = None
    proba = clf.predict_proba(test)
    only_a = clf.named_estimators_["a"].predict_proba(test["a"])
    np.testing.assert_allclose(proba[[0, 3]], only_a[[0, 3]])
    full = clf.predict_proba(df.iloc[:6])
    np.testing.assert_allclose(proba[[1, 2, 4, 5]], full[[1, 2, 4, 5]])
    strict = clone(clf).set_params(missing="error").fit(df, y)
    with pytest.raises(MMFuseInputError, match="row 0, column 'b'.*missing='renormalize'"):
        strict.predict(test)
    test.loc[3, "a"] = np.nan
    with pytest.raises(MMFuseInputError, match="row 3: no modality is present"):
        clf.predict(test)


def test_fit_uses_only_present_rows(rng):
    X, y = _data(rng)
    df = pd.DataFrame({"a": list(X[:, A]), "b": list(X[:, B])})
    df.loc[:9, "b"] = None
    clf = LateFusionClassifier([("a", _pipe(_VecStack()), "a"),
                                ("b", _pipe(_VecStack()), "b")]).fit(df, y)
    assert clf.named_estimators_["b"][-1].n_features_in_ == 3
    ref = LogisticRegression().fit(X[10:, B], y[10:])
    np.testing.assert_allclose(clf.named_estimators_["b"][-1].coef_, ref.coef_)


@pytest.mark.parametrize("est, rule", [
    (SVC(), "product"), (SVC(), "stack"), (LinearSVC(), "mean"), (LinearSVC(), "geometric"),
    (LogisticRegression(), "stack"), (LogisticRegression(), "median"),
    (HistGradientBoostingClassifier(max_iter=15, max_leaf_nodes=8), "mean"),
], ids=lambda p: p if isinstance(p, str) else type(p).__name__)
def test_works_with_common_classifiers_and_pickles(rng, est, rule):
    X, y = _data(rng, n=150, sep=(2.0, 2.0))
    clf = LateFusionClassifier([("a", est, A), ("b", clone(est), B)], rule=rule, cv=3)
    clf.fit(X[:120], y[:120])
    if not hasattr(est, "predict_proba") or isinstance(est, SVC):
        assert isinstance(clf.estimators_[0], CalibratedClassifierCV)  # Platt-scaled scores
    assert clf.score(X[120:], y[120:]) > 0.6
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X[120:]), clf.predict_proba(X[120:]))
    refit = clone(clf).fit(X[:120], y[:120])
    np.testing.assert_allclose(refit.predict_proba(X[120:]), clf.predict_proba(X[120:]))


def test_decision_function_is_log_odds_for_binary(rng):
    X, y = _data(rng, n_classes=2)
    clf = LateFusionClassifier([("a", LogisticRegression(), A),
                                ("b", LogisticRegression(), B)]).fit(X, y)
    p = clf.predict_proba(X)
    np.testing.assert_allclose(clf.decision_function(X), np.log(p[:, 1] / p[:, 0]))
    assert ((clf.decision_function(X) > 0) == (clf.predict(X) == 1)).all()


def test_string_labels_and_nested_grid_search(rng):
    X, y = _data(rng, n=90)
    labels = np.array(["cat", "dog", "owl"])[y]
    clf = LateFusionClassifier([("a", LogisticRegression(), A), ("b", LogisticRegression(), B)])
    search = GridSearchCV(clf, {"a__C": [0.01, 1.0], "rule": ["mean", "product"]}, cv=2)
    search.fit(X, labels)
    assert set(search.predict(X)) <= {"cat", "dog", "owl"}
    assert search.best_estimator_.classes_.tolist() == ["cat", "dog", "owl"]


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"rule": "max", "weights": {"a": 1.0}}, ValueError, "not used by rule='max'"),
    ({"rule": "vote", "weights": "learn"}, ValueError, "differentiable rule"),
    ({"weights": {"z": 1.0}}, ValueError, r"key\(s\) \['z'\] that match no block"),
    ({"rule": "sum"}, ValueError, "rule"),
])
def test_parameter_errors(rng, kwargs, exc, match):
    X, y = _data(rng, n=30)
    clf = LateFusionClassifier([("a", LogisticRegression(), A), ("b", GaussianNB(), B)], **kwargs)
    with pytest.raises(exc, match=match):
        clf.fit(X, y)


# ------------------------------------------------------------------ helpers

from sklearn.base import BaseEstimator, TransformerMixin  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402


class _VecStack(TransformerMixin, BaseEstimator):
    """A column of vectors -> 2-D array (stands in for an mmfuse extractor)."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        items = list(X)
        assert not any(v is None or (isinstance(v, float)) for v in items)
        return np.stack(items)


def _pipe(stack):
    return make_pipeline(clone(stack), LogisticRegression())


def test_modality_missing_in_every_row_at_predict_time_uses_the_others():
    """A whole batch without one modality is scored from the other (not refused)."""
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    from mmfuse.fusion import LateFusionClassifier

    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 30)
    X = pd.DataFrame({"a": rng.normal(size=60) + 2 * y, "b": rng.normal(size=60) + 2 * y})
    clf = LateFusionClassifier([("a", LogisticRegression(), ["a"]),
                                ("b", LogisticRegression(), ["b"])]).fit(X, y)
    X_drop = X.assign(b=np.nan)
    alone = clf.named_estimators_["a"].predict_proba(X[["a"]])
    np.testing.assert_allclose(clf.predict_proba(X_drop), alone)



_FITS = {}


class _CountingLR(LogisticRegression):
    """LogisticRegression that counts its fits under ``log`` (a name: clone copies lists)."""

    def __init__(self, C=1.0, log="default"):
        super().__init__(C=C)
        self.log = log

    def fit(self, X, y, sample_weight=None):
        _FITS[self.log] = _FITS.get(self.log, 0) + 1
        return super().fit(X, y, sample_weight=sample_weight)


def test_memory_shares_member_fits_and_out_of_fold_probabilities(rng, tmp_path):
    from joblib import Memory
    from sklearn.pipeline import Pipeline

    X, y = _data(rng, n=150, sep=(2.0, 1.0))
    X = pd.DataFrame({"a": list(X[:, A]),
                      "b": [None if i % 7 == 0 else r for i, r in enumerate(X[:, B])]})

    def fuser(rule, log, memory, cv=3, **kw):
        return LateFusionClassifier(
            [(m, Pipeline([("vec", _VecStack()), ("lr", _CountingLR(log=log))]), m)
             for m in ("a", "b")], rule=rule, cv=cv, memory=memory, **kw)

    memory = Memory(tmp_path / "cache", verbose=0)
    for rule, kw in (("stack", {}), ("mean", {}), ("product", {}), ("weighted", {}),
                     ("mean", {"weights": "learn"})):
        ref = fuser(rule, "plain", None, **kw).fit(X, y)
        before = _FITS.get("cached", 0)
        got = fuser(rule, "cached", memory, **kw).fit(X, y)
        np.testing.assert_allclose(got.predict_proba(X), ref.predict_proba(X), rtol=1e-12)
        np.testing.assert_allclose(got.weights_, ref.weights_, rtol=1e-12)
        if rule != "stack":  # every member fit and fold came from the cache
            assert _FITS.get("cached", 0) == before
    # the first fuser fitted 2 members + 2 x 3 folds; the others nothing
    assert _FITS["cached"] == 2 + 2 * 3 < _FITS["plain"]
    # other folds or other member parameters are other keys
    fuser("stack", "cached", memory, cv=4).fit(X, y)
    assert _FITS["cached"] == 2 + 2 * 3 + 2 * 4
    fuser("mean", "cached", memory).set_params(a__lr__C=0.5).fit(X, y)
    assert _FITS["cached"] == 2 + 2 * 3 + 2 * 4 + 1


def test_cv_as_splits_of_all_rows_with_calibrated_members_and_missing_rows(rng):
    """Explicit splits (a list, or a generator read once) give the out-of-fold
    probabilities; a member without predict_proba is calibrated on as many stratified
    folds; a member missing some rows uses the rows of each split it has."""
    from sklearn.model_selection import StratifiedKFold

    X, y = _data(rng, n=120, sep=(2.0, 1.0))
    X[::5, 3:] = np.nan  # modality b absent in every fifth row

    def fuser(cv):
        return LateFusionClassifier([("a", LinearSVC(random_state=0), A),
                                     ("b", LogisticRegression(), B)], rule="stack", cv=cv)

    as_list = fuser(list(StratifiedKFold(3).split(X, y))).fit(X, y)
    as_generator = fuser(StratifiedKFold(3).split(X, y)).fit(X, y)
    np.testing.assert_allclose(as_list.predict_proba(X), as_generator.predict_proba(X))
    assert as_list.estimators_[0].cv == 3  # calibration: 3 stratified folds
    assert as_list.score(X, y) > 0.7
    with pytest.raises(ValueError, match="split 0 has a row index outside 0..119"):
        fuser([(np.arange(100), np.arange(100, 130))]).fit(X, y)
