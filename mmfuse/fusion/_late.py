"""Model-level (late) fusion: one classifier per modality, probabilities combined by a rule."""

from __future__ import annotations

import os
from numbers import Integral

import numpy as np
from sklearn.base import ClassifierMixin, clone
from sklearn.model_selection import check_cv, cross_val_predict
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, check_memory

from .._base import strict_loading
from .._compat import (
    HasMethods,
    StrOptions,
    _fit_context,
    clone_final_estimator,
    stack_method_name,
)
from .._parallel import Parallel, delayed
from ._blocks import (
    BlockComposition,
    as_weight_vector,
    check_targets,
    fingerprint,
    in_block,
    take_rows,
)

__all__ = ["ClassWiseStacker", "LateFusionClassifier", "RULES", "combine"]

RULES = ("mean", "weighted", "product", "geometric", "max", "min", "median", "vote", "stack")
_WEIGHTED_RULES = ("mean", "weighted", "product", "geometric", "vote")
_LEARNABLE_RULES = ("mean", "weighted", "product", "geometric")
_EPS = 1e-12


def _softmax(L):
    L = L - L.max(axis=-1, keepdims=True)
    E = np.exp(L)
    return E / E.sum(axis=-1, keepdims=True)


def combine(rule, P, present, weights, known=None):
    """Combine per-model class probabilities with a fixed rule (Kittler et al. 1998).

    Parameters
    ----------
    rule : {'mean', 'weighted', 'product', 'geometric', 'max', 'min', 'median', 'vote'}
    P : ndarray of shape (n_models, n_samples, n_classes)
        Each model's class probabilities (for ``'vote'``: one-hot predictions).
        Entries of absent models, and of classes a model does not know, are
        ignored.
    present : ndarray of bool, shape (n_models, n_samples)
        Which models saw their modality in each row.
    weights : ndarray of shape (n_models,)
        Non-negative model weights (``'mean'``/``'weighted'``/``'vote'``:
        linear weights; ``'product'``: exponents; ``'geometric'``: exponents
        divided by their sum over the present models). Ignored by
        ``'max'``/``'min'``/``'median'``.
    known : ndarray of bool, shape (n_models, n_classes), optional
        Which classes each model saw in training (default: all). A model
        carries no information about a class it never saw: for that class it
        is left out and the weights of the others are renormalised, per class
        (linear rules: the weighted mean over the models that know the class;
        ``'geometric'``: the weighted mean of their log-probabilities;
        ``'product'``: their weighted log-probabilities scaled by the total
        present weight over theirs, i.e. the missing factor imputed by the
        others' weighted geometric mean; ``'max'``/``'min'``/``'median'``:
        over the models that know it). A class no present model knows gets
        probability 0 in that row. With every class known to every model this
        is the plain rule.

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes)
        Rows sum to one. Rows where no model with a non-zero weight is present
        are NaN (the caller raises).
    """
    m, n, k = P.shape
    if known is None:
        known = np.ones((m, k), dtype=bool)
    W = weights[:, None] * present  # (m, n)
    total = W.sum(axis=0)           # (n,)
    Wk = W[:, :, None] * known[:, None, :]  # (m, n, k): weight of model m for class k
    total_k = Wk.sum(axis=0)        # (n, k)
    has_k = total_k > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        if rule in ("mean", "weighted", "vote"):
            out = np.einsum("mnk,mnk->nk", Wk, P) / np.where(has_k, total_k, 1.0)
            s = out.sum(axis=1, keepdims=True)
            out = out / s
        elif rule in ("product", "geometric"):
            L = np.einsum("mnk,mnk->nk", Wk, np.log(np.clip(P, _EPS, 1.0)))
            if rule == "geometric":
                L = L / np.where(has_k, total_k, 1.0)
            else:
                L = L * (total[:, None] / np.where(has_k, total_k, 1.0))
            L = np.where(has_k, L, -np.inf)
            out = _softmax(np.where(np.isfinite(L).any(axis=1, keepdims=True), L, 0.0))
            out[~has_k] = 0.0
        else:
            mask = present[:, :, None] & known[:, None, :]
            masked = np.where(mask, P, np.nan)
            red = {"max": np.nanmax, "min": np.nanmin, "median": np.nanmedian}[rule]
            import warnings  # noqa: PLC0415

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN: no model
                out = red(masked, axis=0)
            out = np.where(np.isnan(out), 0.0, out)
            s = out.sum(axis=1, keepdims=True)
            uniform = np.where(has_k, 1.0, 0.0)
            uniform = uniform / np.maximum(uniform.sum(axis=1, keepdims=True), 1)
            out = np.where(s > 0, out / np.where(s > 0, s, 1.0), uniform)
        out[total == 0] = np.nan
    return out


def _check_proba(self):
    # decision_function is log-odds of the fused probabilities: not meaningful for votes
    if self.rule == "vote":
        raise AttributeError("decision_function is not available for rule='vote' "
                             "(vote fractions are not scores); use predict_proba")
    return True


class LateFusionClassifier(ClassifierMixin, BlockComposition):
    """Late fusion: one classifier per modality, their class probabilities combined by a rule.

    1. Each entry ``(name, estimator, column)`` is fitted on its column(s) of
       ``X`` (selected as in :class:`~sklearn.compose.ColumnTransformer`; a
       scalar column gives a 1-D column, which the mmfuse extractors take),
       using only the rows where that modality is present (not ``None``/NaN
       in the raw column). Typically ``estimator`` is a ``Pipeline``
       extractor → classifier.
    2. At prediction time each model gives class probabilities for the rows
       where its modality is present; the rule combines them over the models
       present in that row (renormalised), as in Kittler et al. [1]_.
    3. ``weights='learn'`` (and ``rule='weighted'`` without weights) fits
       non-negative weights summing to one that minimise the log-loss of the
       fused out-of-fold probabilities; ``rule='stack'`` fits
       ``final_estimator`` on the out-of-fold probabilities plus per-modality
       confidence features [2]_.

    Parameters
    ----------
    estimators : list of (str, classifier, column) tuples
        ``name`` keys ``weights``, nested parameters (``name__param``) and
        ``named_estimators_``.
    rule : {'mean', 'weighted', 'product', 'geometric', 'max', 'min', 'median', \
'vote', 'stack'}, default='mean'
        - ``'mean'``: (weighted) mean of the probabilities (the sum rule).
        - ``'weighted'``: the same with weights; with ``weights=None`` they are
          learned (``weights='learn'``).
        - ``'product'``: ``prod_m p_m^{w_m}``, renormalised over classes.
        - ``'geometric'``: the weighted geometric mean ``prod_m
          p_m^{w_m / sum w}``, renormalised (same argmax as ``'product'``,
          softer probabilities).
        - ``'max'``, ``'min'``, ``'median'``: per class over the present
          models, renormalised.
        - ``'vote'``: (weighted) majority vote of the models' predictions;
          ``predict_proba`` gives the vote shares. Ties go to the first class.
        - ``'stack'``: ``final_estimator`` on out-of-fold probabilities, the
          per-modality top probability, and per-modality presence flags.
    weights : dict of {str: float >= 0}, 'learn' or None, default=None
        Per-model weights keyed by name (missing keys weigh 1, unknown keys
        raise), or ``'learn'``. Used by ``'mean'``, ``'weighted'``,
        ``'product'``, ``'geometric'`` and ``'vote'`` (``'learn'``: not
        ``'vote'``); must be None for the others.
    final_estimator : classifier, default=None
        Meta-estimator of ``rule='stack'``; None means
        ``LogisticRegression(max_iter=1000)``.
    cv : int, cross-validation generator or iterable, default=5
        Folds for the out-of-fold probabilities (``'stack'``, learned weights)
        and for calibrating estimators without ``predict_proba``. An integer is
        lowered, per member, to the size of its smallest class where that is
        smaller (stratified folds need it); a class with a single row is an
        error naming the member and the class. An iterable of ``(train, test)``
        splits (of all rows; read once, so a generator works) gives the
        out-of-fold probabilities, each member using the rows of each split
        where its modality is present; the calibration then uses as many
        stratified folds, as it also runs inside each out-of-fold fit.
    missing : {'renormalize', 'error'}, default='renormalize'
        A row missing a modality is fused over the modalities present
        (``'renormalize'``), or is an error row (``'error'``). A row with no
        modality present is always an error row. Error rows raise
        :class:`~mmfuse.io.MMFuseInputError`, or under ``on_error='skip'`` at
        prediction time leave the batch and are reported to
        :func:`mmfuse.collect_errors`.
    n_jobs : int, default=None
        Models fitted (and cross-validated) in parallel with joblib threads
        (None means 1).
    memory : str, path or joblib.Memory, default=None
        Cache each member's fit and its out-of-fold probabilities on disk,
        keyed by the member's parameters (with its calibration wrapper), its
        rows and labels, and the folds. Fusers that differ only in ``rule``,
        ``weights`` or ``final_estimator`` then share their members: fitting
        ``'mean'``, ``'product'``, ``weights='learn'`` and ``'stack'`` fusers of
        the same members trains each member once and computes its out-of-fold
        probabilities once (as :class:`FeatureFusion`'s ``memory`` does for
        descriptors). The folds are drawn once per fit and are part of the
        key. Clear the cache when a member's code changes.

    Attributes
    ----------
    estimators_ : list of classifiers
        The fitted per-modality models (wrapped in
        :class:`~sklearn.calibration.CalibratedClassifierCV` where the
        estimator has no ``predict_proba``).
    named_estimators_ : Bunch
    classes_ : ndarray of shape (n_classes,)
    weights_ : ndarray of shape (n_models,)
        The weights used (learned ones sum to one).
    final_estimator_ : classifier
        Only for ``rule='stack'``: ``final_estimator`` fitted on the
        meta-features, or a :class:`ClassWiseStacker` of per-class clones of it
        when some member saw only some classes.
    class_coverage_ : ndarray of bool, shape (n_models, n_classes)
        Which classes each member saw in training. A member carries no
        information about a class it never saw: the rules leave it out for
        that class and renormalise the others' weights (see :func:`combine`).
    class_prior_ : ndarray of shape (n_classes,)
        Training class frequencies (stacking features of absent modalities).
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    See Also
    --------
    FeatureFusion : feature-level fusion.
    sklearn.ensemble.VotingClassifier : ``'mean'``/``'vote'`` on shared columns.
    sklearn.ensemble.StackingClassifier : stacking on shared columns.

    Notes
    -----
    Departures from Kittler et al. [1]_: the rules are applied to calibrated
    probabilities of heterogeneous models rather than to Bayesian posteriors;
    ``'product'`` clips probabilities at 1e-12 so one confident zero does not
    veto a class outright; a modality absent from a row is dropped from that
    row's combination (the paper assumes all experts are present). Models
    without ``predict_proba`` (``LinearSVC``, ``SVC(probability=False)``) are
    wrapped in ``CalibratedClassifierCV(method='sigmoid', cv=cv,
    ensemble=False)`` (Platt scaling on cross-validated scores of one model
    fitted on all rows, as scikit-learn recommends in place of
    ``SVC(probability=True)``) so their scores are comparable with the other
    modalities' and the member keeps the accuracy of the full-data model;
    ``'vote'`` uses their ``predict`` directly. ``decision_function`` returns
    the log-odds (binary) or log-probabilities (multiclass) of the fused
    probabilities, for ranking metrics. ``sample_weight`` is not supported.

    **Stacking** (``rule='stack'``) is built on the parts of
    :class:`~sklearn.ensemble.StackingClassifier` that hold with missing
    modalities: the out-of-fold predictions are
    :func:`~sklearn.model_selection.cross_val_predict` with the method
    resolved as ``StackingClassifier`` resolves ``stack_method``
    (``predict_proba``, which every member has once calibrated), and
    ``final_estimator`` is defaulted and cloned by ``StackingClassifier``'s
    own code (the default here is ``LogisticRegression(max_iter=1000)``).
    The rest is mmfuse's because ``StackingClassifier`` cross-validates every
    member on the same rows and expects every member to predict every row:
    here each member is fitted and cross-validated on the rows where its
    modality is present (the folds restricted to them), an absent row gets
    the training class prior, and the meta-features add, per member, its top
    probability and a presence flag, so the meta-model learns how far to
    trust a member and to discount a stand-in prior. All ``K`` probability
    columns are kept (``StackingClassifier`` drops the first one in binary
    problems), so each class has its own column per member; when a member
    never saw some classes, :class:`ClassWiseStacker` replaces the single
    meta-model.

    References
    ----------
    .. [1] Kittler, J., Hatef, M., Duin, R. P. W., & Matas, J. (1998). On combining
       classifiers. *IEEE TPAMI*, 20(3), 226-239. https://doi.org/10.1109/34.667881
    .. [2] Wolpert, D. H. (1992). Stacked generalization. *Neural Networks*, 5(2),
       241-259. https://doi.org/10.1016/S0893-6080(05)80023-1
    .. [3] Snoek, C. G. M., Worring, M., & Smeulders, A. W. M. (2005). Early versus
       late fusion in semantic video analysis. *ACM Multimedia*, 399-402.
       https://doi.org/10.1145/1101149.1101236

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from mmfuse.fusion import LateFusionClassifier
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 20)
    >>> X = rng.normal(size=(40, 4)) + y[:, None]
    >>> clf = LateFusionClassifier([("a", LogisticRegression(), [0, 1]),
    ...                             ("b", LogisticRegression(), [2, 3])], rule="product")
    >>> clf.fit(X, y).predict_proba(X).shape
    (40, 2)
    """

    _parts = "estimators"  # the (name, estimator, column) list nested params live in
    _fitted_attr = "estimators_"
    _kind = "model"

    _parameter_constraints: dict = {
        "estimators": [list],
        "rule": [StrOptions(set(RULES))],
        "weights": [dict, StrOptions({"learn"}), None],
        "final_estimator": [HasMethods(["fit", "predict"]), None],
        "cv": ["cv_object"],
        "missing": [StrOptions({"renormalize", "error"})],
        "n_jobs": [Integral, None],
        "memory": [None, str, os.PathLike, HasMethods(["cache"])],
    }

    def __init__(self, estimators, *, rule="mean", weights=None, final_estimator=None, cv=5,
                 missing="renormalize", n_jobs=None, memory=None):
        self.estimators = estimators
        self.rule = rule
        self.weights = weights
        self.final_estimator = final_estimator
        self.cv = cv
        self.missing = missing
        self.n_jobs = n_jobs
        self.memory = memory

    # ------------------------------------------------------------------ fitting

    def _learn(self):
        return self.weights == "learn" or (self.rule == "weighted" and self.weights is None)

    def _check_params(self):
        names = self._check_entries(what="estimator", allow_strings=())
        for name, est, _ in self.estimators:
            if not hasattr(est, "fit") or not (hasattr(est, "predict")):
                raise TypeError(f"estimator {name!r} ({type(est).__name__}) must be a "
                                "classifier with fit and predict")
        if self.weights is not None:
            if self.rule not in _WEIGHTED_RULES:
                raise ValueError(f"weights are not used by rule={self.rule!r}; use one of "
                                 f"{list(_WEIGHTED_RULES)} or set weights=None")
            if self.weights == "learn" and self.rule not in _LEARNABLE_RULES:
                raise ValueError(f"weights='learn' needs a differentiable rule, one of "
                                 f"{list(_LEARNABLE_RULES)}; got rule={self.rule!r}")
            if isinstance(self.weights, dict):
                as_weight_vector(self.weights, names)
        return names

    def _base_estimator(self, name, est, y_present, given=None):
        """The estimator to fit: wrapped in Platt calibration when it has no predict_proba.

        With ``cv`` given as explicit splits (of all rows), the calibration, which
        also runs inside every out-of-fold fit on a subset of the rows, uses as
        many stratified folds instead.
        """
        if self.rule == "vote" or hasattr(est, "predict_proba"):
            return clone(est)
        from sklearn.calibration import CalibratedClassifierCV  # noqa: PLC0415

        cv = _member_cv(self.cv if given is None else len(given), y_present, name,
                        f"Platt calibration of {type(est).__name__} (it has no predict_proba, "
                        "so it is calibrated on cross-validated scores)")
        return CalibratedClassifierCV(clone(est), method="sigmoid", cv=cv, ensemble=False)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Fit one model per modality (on its present rows), then the weights or meta-model.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_columns)
        y : array-like of shape (n_samples,)

        Returns
        -------
        self : LateFusionClassifier

        Raises
        ------
        MMFuseInputError
            A row with no modality present, a missing modality under
            ``missing='error'``, or an item that cannot be loaded (whatever
            ``on_error`` says: a training row cannot be skipped without its label).

        Warns
        -----
        UserWarning
            Once, naming every member that saw only some of the classes (its
            modality was missing in every training row of the others); it is
            left out of the fusion for those classes.
        """
        with strict_loading():
            return self._fit(X, y)

    def _fit(self, X, y):
        names = self._check_params()
        X = self._check_X(X, reset=True)
        y, self._le = check_targets(self, X, y)
        self.classes_ = self._le.classes_
        y_enc = self._le.transform(y)
        self.class_prior_ = np.bincount(y_enc, minlength=len(self.classes_)) / len(y)

        self._fit_columns(X, self.estimators)
        inputs, _ = self._block_inputs(X, [(n, e, c) for (n, e, _), c
                                           in zip(self.estimators, self.columns_)],
                                       fitting=True)
        need_oof = self.rule == "stack" or self._learn()
        given = _given_splits(self.cv, len(y))
        bases, folds, methods = [], [], []
        for (name, est, _), (_, present) in zip(self.estimators, inputs):
            base = self._base_estimator(name, est, y[present], given)
            bases.append(base)
            # the out-of-fold method, resolved as StackingClassifier resolves stack_method
            # (every base has predict_proba: calibrated where the estimator has none)
            methods.append(stack_method_name(name, base, "predict_proba") if need_oof
                           else None)
            if not need_oof:
                folds.append(None)
            elif given is not None:
                folds.append(_splits_of_rows(given, present))
            else:
                folds.append(_member_cv(self.cv, y[present], name,
                                        f"rule={self.rule!r} (out-of-fold probabilities)"))
        memory = check_memory(self.memory)
        jobs = Parallel(n_jobs=self.n_jobs, prefer="threads")(
            delayed(in_block)("member", name, col, est, _fit_one, base, Xb, y, present, cv,
                              memory, method)
            for (name, est, _), col, base, (Xb, present), cv, method
            in zip(self.estimators, self.columns_, bases, inputs, folds, methods))
        self.estimators_ = [fitted for fitted, _ in jobs]
        present = np.stack([p for _, p in inputs])
        self.class_coverage_ = np.stack([np.isin(self.classes_, fitted.classes_)
                                         for fitted in self.estimators_])
        self._warn_partial_members(names)

        if isinstance(self.weights, dict):
            self.weights_ = as_weight_vector(self.weights, names)
        else:
            self.weights_ = np.ones(len(names))
        if need_oof:
            P_oof = np.stack([self._scatter(self._align(fitted, oof), p)
                              for (fitted, oof), p in zip(jobs, present)])
            if self.rule == "stack":
                final = clone_final_estimator(self, default=_default_final_estimator())
                if self.class_coverage_.all():
                    self.final_estimator_ = final.fit(self._meta_features(P_oof, present),
                                                      y_enc)
                else:
                    self.final_estimator_ = ClassWiseStacker(final, self.class_coverage_).fit(
                        P_oof, present, y_enc)
            else:
                rule = "mean" if self.rule == "weighted" else self.rule
                self.weights_ = _learn_weights(rule, P_oof, present, y_enc,
                                               self.class_coverage_)
        return self

    def _warn_partial_members(self, names):
        partial = [(name, self.classes_[cov]) for name, cov
                   in zip(names, self.class_coverage_) if not cov.all()]
        if partial:
            import warnings  # noqa: PLC0415

            said = "; ".join(f"member {name!r} saw only classes "
                             f"{', '.join(str(c) for c in seen)}" for name, seen in partial)
            warnings.warn(
                f"{said} (its modality is missing in every training row of the others); a "
                "member carries no information about a class it never saw, so it is left out "
                "of the fusion for those classes", UserWarning, stacklevel=3)

    def _fitted_entries(self):
        return [(name, est, col) for (name, _, _), est, col
                in zip(self.estimators, self.estimators_, self.columns_)]

    def _contract_hint(self):
        return "set missing='renormalize' to fuse the modalities present"

    def _contract_weights(self, *, fitting):
        # at prediction time a row whose present members all weigh 0 is an error row too
        return None if fitting or self.rule not in _WEIGHTED_RULES else self.weights_

    # ------------------------------------------------------------------ prediction

    def _align(self, fitted, proba):
        """Columns of ``proba`` (in ``fitted.classes_`` order) placed into ``self.classes_``."""
        out = np.zeros((proba.shape[0], len(self.classes_)))
        out[:, np.searchsorted(self.classes_, fitted.classes_)] = proba
        return out

    def _scatter(self, Pp, present):
        P = np.tile(self.class_prior_, (present.shape[0], 1))
        P[present] = Pp
        return P

    def _model_outputs(self, X):
        X = self._check_X(X, reset=False)
        entries = list(self._iter(fitted=True))
        inputs, _ = self._block_inputs(X, entries, fitting=False)
        present = np.stack([p for _, p in inputs])
        vote = self.rule == "vote"
        with strict_loading():  # screened: a row failing now must not shift the others
            outs = Parallel(n_jobs=self.n_jobs, prefer="threads")(
                delayed(in_block)("member", name, col, est, _predict_one, est, Xb, p, vote)
                for (name, est, col), (Xb, p) in zip(entries, inputs))
        P = []
        for est, out, p in zip(self.estimators_, outs, present):
            if vote:
                Pp = np.zeros((out.shape[0], len(self.classes_)))
                Pp[np.arange(out.shape[0]), np.searchsorted(self.classes_, out)] = 1.0
            else:
                Pp = self._align(est, out)
            P.append(self._scatter(Pp, p))
        if not P or not len(present[0]):
            return np.zeros((len(self.estimators_), 0, len(self.classes_))), present
        return np.stack(P), present

    def predict_proba(self, X):
        """Fused class probabilities.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_columns)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            One row per input row; under ``on_error='skip'``, one row per good
            input row (see :func:`mmfuse.config_context`).

        Raises
        ------
        MMFuseInputError
            Under ``on_error='raise'``: a row with no modality present, a
            missing modality with ``missing='error'``, an item that cannot be
            loaded.
        """
        check_is_fitted(self, "estimators_")
        P, present = self._model_outputs(X)
        if P.shape[1] == 0:
            return np.zeros((0, len(self.classes_)))
        if self.rule == "stack":
            if isinstance(self.final_estimator_, ClassWiseStacker):
                return self.final_estimator_.predict_proba(P, present)
            proba = self.final_estimator_.predict_proba(self._meta_features(P, present))
            out = np.zeros((P.shape[1], len(self.classes_)))
            out[:, self.final_estimator_.classes_.astype(int)] = proba
            return out
        proba = combine(self.rule, P, present, self.weights_, self.class_coverage_)
        bad = np.isnan(proba).any(axis=1)
        if bad.any():
            raise ValueError(
                f"{int(bad.sum())} row(s) have only modalities with weight 0 present; "
                f"weights_={self.weights_.tolist()}. Give those modalities a weight > 0")
        return proba

    def predict(self, X):
        """Class with the highest fused probability (first class on ties).

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            One per input row (under ``on_error='skip'``, per good input row).
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    @available_if(_check_proba)
    def decision_function(self, X):
        """Log-odds (binary, shape (n,)) or log-probabilities (shape (n, n_classes)).

        Monotone in :meth:`predict_proba`, for ranking metrics such as ROC AUC.
        """
        logp = np.log(np.clip(self.predict_proba(X), _EPS, 1.0))
        if len(self.classes_) == 2:
            return logp[:, 1] - logp[:, 0]
        return logp

    def _meta_features(self, P, present):
        """Stacking features: per model, its K probabilities, its top probability, presence."""
        feats = []
        for Pm, pm in zip(P, present):
            feats.extend([Pm, Pm.max(axis=1, keepdims=True), pm[:, None].astype(float)])
        return np.hstack(feats)

    # ------------------------------------------------------------------ misc

    @property
    def named_estimators_(self):
        """The fitted members by name (a :class:`~sklearn.utils.Bunch`)."""
        return self._named_fitted()

    def __sklearn_tags__(self):
        # None/NaN rows are missing modalities; NaN cells reach the models
        return self._parts_tags(super().__sklearn_tags__())


def _default_final_estimator():
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415

    return LogisticRegression(max_iter=1000)


def _given_splits(cv, n_rows):
    """``cv`` as a list of ``(train, test)`` index arrays when it is an iterable of
    splits (a generator is read once), else None (an integer or a splitter).

    Raises
    ------
    ValueError
        A split is not a pair of index arrays within the ``n_rows`` rows.
    """
    if isinstance(cv, Integral) or cv is None or hasattr(cv, "split"):
        return None
    splits = []
    for k, split in enumerate(cv):
        try:
            train, test = (np.asarray(part, dtype=np.intp).ravel() for part in split)
        except (TypeError, ValueError):
            raise ValueError(f"cv: split {k} is not a (train, test) pair of row indices")
        if len(train) and (train.min() < 0 or train.max() >= n_rows) or len(test) and (
                test.min() < 0 or test.max() >= n_rows):
            raise ValueError(f"cv: split {k} has a row index outside 0..{n_rows - 1}")
        splits.append((train, test))
    if not splits:
        raise ValueError("cv: the iterable of splits is empty")
    return splits


def _splits_of_rows(splits, present):
    """The splits of all rows restricted to a member's present rows, re-indexed to them."""
    if present.all():
        return splits
    position = np.cumsum(present) - 1
    return [(position[train[present[train]]], position[test[present[test]]])
            for train, test in splits]


def _member_cv(cv, y, name, purpose):
    """The folds a member's rows allow for ``purpose``.

    An integer ``cv`` (stratified folds) is lowered to the size of the
    member's smallest class when that is smaller; a splitter or an iterable of
    splits is used as given.

    Raises
    ------
    ValueError
        A class has a single row with the member's modality present: no
        cross-validation can hold it out and train on it too. The message names
        the member, the class and the count.
    """
    if not isinstance(cv, Integral) or isinstance(cv, bool):
        return cv
    classes, counts = np.unique(y, return_counts=True)
    smallest = int(counts.min())
    if smallest >= cv:
        return cv
    if smallest >= 2:
        return smallest
    k = classes[int(np.argmin(counts))]
    k = k.item() if hasattr(k, "item") else k
    raise ValueError(
        f"member {name!r}: class {k!r} has {smallest} row with the modality present; "
        f"{purpose} needs at least 2 rows of every class: add rows of class {k!r}, or give "
        "the member an estimator with predict_proba")


def _fit_member(key, base, X, y):
    """``base.fit(X, y)``; module level so that :class:`joblib.Memory` caches it under ``key``."""
    return base.fit(X, y)


def _oof_member(key, base, X, y, cv, method="predict_proba"):
    """Out-of-fold predictions of ``base`` (:func:`~sklearn.model_selection.cross_val_predict`
    with ``method``), cached under ``key`` like :func:`_fit_member`."""
    return cross_val_predict(clone(base), X, y, cv=cv, method=method)


def _fit_one(base, Xb, y, present, cv, memory=None, method="predict_proba"):
    """Fit one model on its present rows; with ``cv``, also its out-of-fold probabilities.

    With a ``memory`` that has a location, both are cached under a content hash of
    the (unfitted) model, the rows and the labels (and, for the probabilities, the
    folds), so fusers that share members fit them once.
    """
    Xp = take_rows(Xb, present) if not present.all() else Xb
    yp = y[present]
    key = None
    if memory is not None and memory.location is not None:
        key = (fingerprint([base, type(base).__module__, type(base).__qualname__])
               + fingerprint(Xp) + fingerprint(yp))
    cached = key is not None
    oof = None
    if cv is not None:
        # the folds themselves (drawn once), so the cache key is exact for any splitter
        folds = [(np.asarray(tr), np.asarray(te))
                 for tr, te in check_cv(cv, yp, classifier=True).split(Xp, yp)]
        if cached:
            oof = memory.cache(_oof_member, ignore=["base", "X", "y", "cv"])(
                key + fingerprint(np.concatenate([te for _, te in folds]))
                + fingerprint(np.array([len(te) for _, te in folds])),
                base, Xp, yp, folds, method)
        else:
            oof = _oof_member(None, base, Xp, yp, folds, method)
    fit = memory.cache(_fit_member, ignore=["base", "X", "y"]) if cached else _fit_member
    fitted = fit(key, base, Xp, yp)
    if oof is not None and oof.shape[1] != len(fitted.classes_):
        raise ValueError("out-of-fold probabilities and the fitted model disagree on the "
                         "classes; use fewer cv folds")
    return fitted, oof


def _predict_one(est, Xb, present, vote):
    Xp = take_rows(Xb, present) if not present.all() else Xb
    if not present.any():
        return np.zeros((0, len(est.classes_))) if not vote else np.zeros(0, dtype=int)
    return est.predict(Xp) if vote else est.predict_proba(Xp)


class ClassWiseStacker:
    """Stacking meta-model with one binary model per class, on the members that know it.

    Used by ``rule='stack'`` when some member never saw some classes. The
    meta-model of class ``k`` sees, for each member that saw ``k`` in
    training, its out-of-fold probability of ``k`` and its presence flag: the
    class-wise meta-features of Ting & Witten [1]_ (their multi-response
    linear regression, with ``final_estimator`` as each binary model). A
    member that never saw ``k`` has no say about ``k``, so its absence from
    every training row of ``k`` cannot become evidence for ``k``. The class
    scores (each model's probability of its class) are normalised to sum to
    one.

    Parameters
    ----------
    final_estimator : classifier with ``predict_proba``
        Cloned once per class.
    coverage : ndarray of bool, shape (n_models, n_classes)

    References
    ----------
    .. [1] Ting, K. M., & Witten, I. H. (1999). Issues in stacked generalization.
       *Journal of Artificial Intelligence Research*, 10, 271-289.
       https://doi.org/10.1613/jair.594
    """

    def __init__(self, final_estimator, coverage):
        self.final_estimator = final_estimator
        self.coverage = np.asarray(coverage, dtype=bool)

    def _features(self, P, present, k):
        members = np.flatnonzero(self.coverage[:, k])
        return np.column_stack([P[members, :, k].T, present[members].T.astype(float)])

    def fit(self, P, present, y_enc):
        """Fit the per-class models on out-of-fold probabilities ``P`` (m, n, K)."""
        self.estimators_ = [clone(self.final_estimator).fit(self._features(P, present, k),
                                                            (y_enc == k).astype(int))
                            for k in range(self.coverage.shape[1])]
        self.classes_ = np.arange(self.coverage.shape[1])
        return self

    def predict_proba(self, P, present):
        """Normalised class scores, shape (n_samples, n_classes)."""
        scores = np.column_stack([est.predict_proba(self._features(P, present, k))[:, 1]
                                  for k, est in enumerate(self.estimators_)])
        total = scores.sum(axis=1, keepdims=True)
        return np.where(total > 0, scores / np.where(total > 0, total, 1.0),
                        1.0 / scores.shape[1])


def _learn_weights(rule, P, present, y_enc, known=None):
    """Non-negative weights summing to one that minimise the fused log-loss.

    Weights are ``softmax(theta)``; ``theta`` is found by L-BFGS from equal
    weights (numerical gradients; there are only a few models).
    """
    from scipy.optimize import minimize  # noqa: PLC0415

    m = P.shape[0]
    rows = np.arange(P.shape[1])

    def loss(theta):
        w = _softmax(theta)
        proba = combine(rule, P, present, w, known)
        return -np.mean(np.log(np.clip(proba[rows, y_enc], _EPS, 1.0)))

    res = minimize(loss, np.zeros(m), method="L-BFGS-B")
    theta = res.x if np.isfinite(res.fun) and res.fun <= loss(np.zeros(m)) else np.zeros(m)
    return _softmax(theta)
