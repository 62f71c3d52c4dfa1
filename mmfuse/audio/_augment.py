"""VTLPAugmentedClassifier: train on features of every clip at several VTLP warp factors."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import scipy.sparse
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from .._compat import HasMethods, _fit_context

__all__ = ["VTLPAugmentedClassifier"]

#: Jaitly & Hinton's range of warp factors, sampled every 0.05
DEFAULT_WARP_FACTORS = (0.9, 0.95, 1.0, 1.05, 1.1)


def _fit_transform_warped(features, warp_param, alpha, X, y):
    est = clone(features).set_params(**{warp_param: alpha})
    if hasattr(est, "fit_transform"):
        return est.fit_transform(X, y), est
    return est.fit(X, y).transform(X), est


def _classifier_has(attr):
    def check(self):
        est = self.classifier_ if hasattr(self, "classifier_") else self.classifier
        return hasattr(est, attr)

    return check


class VTLPAugmentedClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Fit a classifier on the training clips' features at several VTLP warp factors.

    Vocal-tract-length perturbation (Jaitly & Hinton 2013 [1]_) makes a
    recogniser see each training utterance as if spoken by speakers with
    shorter and longer vocal tracts: the frequency axis is warped by a factor
    ``alpha`` near 1 before the mel filter bank. Here, at ``fit`` time, every
    training clip contributes one feature row per factor in ``warp_factors``
    (``features`` with ``warp_param`` set to that factor), and ``classifier`` is
    fitted on all of them (``y`` repeated). At predict time the clips are
    analysed by ``features`` exactly as given (warp factor 1 by default) and
    passed to the fitted classifier.

    The augmentation lives in a meta-estimator because it adds training rows,
    which a transformer in a :class:`~sklearn.pipeline.Pipeline` cannot do (a
    transformer returns one row per input row). This classifier composes like
    any other: it is the final step of a Pipeline or the whole model, tunes in
    :class:`~sklearn.model_selection.GridSearchCV` (``features__...``,
    ``classifier__...``, ``warp_factors``), clones and pickles, and wraps in
    :class:`~sklearn.calibration.CalibratedClassifierCV` for probabilities
    calibrated on clips the classifier did not see in any warped form.

    Parameters
    ----------
    features : transformer
        Extractor over the raw clips that has the parameter ``warp_param``:
        :class:`~mmfuse.audio.MFCCFeatures`, or a :class:`~sklearn.pipeline.Pipeline`
        or :class:`~mmfuse.fusion.FeatureFusion` containing one (then
        ``warp_param`` is the nested name, e.g. ``'audio__vtlp_alpha'``).
    classifier : classifier
        Fitted on the stacked features of every warp factor (e.g.
        ``make_pipeline(StandardScaler(), SVC())``).
    warp_factors : tuple of float > 0, default=(0.9, 0.95, 1.0, 1.05, 1.1)
        One copy of every training clip per factor; include 1.0 to keep the
        unwarped clips. Jaitly & Hinton draw a factor from [0.9, 1.1] each time
        an utterance is presented to a neural network; a classical classifier is
        fitted once, so the range is sampled on a fixed grid (deterministic).
    warp_param : str, default='vtlp_alpha'
        Name of the warp-factor parameter of ``features`` (``set_params`` key).
    n_jobs : int, default=None
        Warp factors extracted in parallel joblib threads (None means 1).

    Attributes
    ----------
    features_ : transformer
        ``features`` as given, fitted on the training clips (used at predict time).
    classifier_ : classifier
        ``classifier`` fitted on ``len(warp_factors) * n_samples`` rows.
    classes_ : ndarray of shape (n_classes,)
    n_features_in_, feature_names_in_ :
        Those of ``features_`` where it has them (e.g. fitted on a DataFrame).

    Raises
    ------
    ValueError
        ``warp_param`` is not a parameter of ``features``, or ``warp_factors``
        is empty or holds a value that is not a positive number.

    See Also
    --------
    mmfuse.audio.MFCCFeatures : its ``vtlp_alpha`` parameter is the warp.

    Notes
    -----
    Features of the warped copies are computed with ``clone(features)`` per
    factor, each fitted on the training clips; the copy whose factor equals the
    value ``features`` already has is reused as ``features_``, so no clip is
    analysed twice at the same factor. Cost: ``len(warp_factors)`` times the
    extraction and a classifier trained on that many times the rows.

    References
    ----------
    .. [1] Jaitly, N., & Hinton, G. E. (2013). Vocal tract length perturbation
       (VTLP) improves speech recognition. *ICML Workshop on Deep Learning for
       Audio, Speech and Language Processing*.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.svm import SVC
    >>> from mmfuse.audio import MFCCFeatures, VTLPAugmentedClassifier
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(4000) / 8000
    >>> clips = [np.sin(2 * np.pi * f * t).astype(np.float32) + 0.01 * rng.standard_normal(4000)
    ...          .astype(np.float32) for f in (300, 320, 900, 950)]
    >>> clf = VTLPAugmentedClassifier(MFCCFeatures(sr=8000, n_fft=256, hop_length=80),
    ...                               SVC()).fit(clips, [0, 0, 1, 1])
    >>> clf.classifier_.n_features_in_, clf.predict(clips).tolist()
    (240, [0, 0, 1, 1])
    """

    modality = "audio"  #: the kind of item it reads (the fitted fusers' ``input_schema_``)

    _parameter_constraints: dict = {
        "features": [HasMethods(["fit", "transform"])],
        "classifier": [HasMethods(["fit", "predict"])],
        "warp_factors": [tuple, list],
        "warp_param": [str],
        "n_jobs": [Integral, None],
    }

    def __init__(self, features, classifier, *, warp_factors=DEFAULT_WARP_FACTORS,
                 warp_param="vtlp_alpha", n_jobs=None):
        self.features = features
        self.classifier = classifier
        self.warp_factors = warp_factors
        self.warp_param = warp_param
        self.n_jobs = n_jobs

    def _check_warps(self):
        factors = tuple(self.warp_factors)
        if not factors or not all(isinstance(a, Real) and not isinstance(a, bool)
                                  and np.isfinite(a) and a > 0 for a in factors):
            raise ValueError(f"warp_factors must be a non-empty tuple of positive numbers; "
                             f"got {self.warp_factors!r}")
        params = self.features.get_params(deep=True)
        if self.warp_param not in params:
            near = sorted(k for k in params if k.endswith("vtlp_alpha"))
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise ValueError(f"warp_param={self.warp_param!r} is not a parameter of features "
                             f"({type(self.features).__name__}){hint}")
        return factors, params[self.warp_param]

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Extract the features of ``X`` at every warp factor and fit the classifier.

        Parameters
        ----------
        X : column of clips or DataFrame
            Whatever ``features`` takes (paths, arrays, ``(y, sr)`` tuples).
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
            Repeated for every warped copy and passed to ``classifier.fit``.

        Returns
        -------
        self : VTLPAugmentedClassifier
        """
        factors, own = self._check_warps()
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target "
                             "y is None")
        y = np.asarray(y)
        results = Parallel(n_jobs=self.n_jobs, prefer="threads")(
            delayed(_fit_transform_warped)(self.features, self.warp_param, a, X, y)
            for a in factors)
        blocks = [Z for Z, _ in results]
        reuse = [est for a, (_, est) in zip(factors, results) if a == own]
        if reuse:
            self.features_ = reuse[0].set_params(**{self.warp_param: own})
        else:
            self.features_ = clone(self.features).fit(X, y)
        if any(scipy.sparse.issparse(Z) for Z in blocks):
            Z = scipy.sparse.vstack([scipy.sparse.csr_matrix(b) for b in blocks], format="csr")
        else:
            Z = np.vstack([np.asarray(b) for b in blocks])
        y_all = np.concatenate([y] * len(factors))
        fit_params = {}
        if sample_weight is not None:
            fit_params["sample_weight"] = np.concatenate([np.asarray(sample_weight)]
                                                         * len(factors))
        self.classifier_ = clone(self.classifier).fit(Z, y_all, **fit_params)
        for attr in ("n_features_in_", "feature_names_in_"):
            if hasattr(self.features_, attr):
                setattr(self, attr, getattr(self.features_, attr))
            elif hasattr(self, attr):
                delattr(self, attr)
        return self

    def _features(self, X):
        check_is_fitted(self, "classifier_")
        return self.features_.transform(X)

    @property
    def classes_(self):
        """Class labels, those of the fitted classifier."""
        check_is_fitted(self, "classifier_")
        return self.classifier_.classes_

    def predict(self, X):
        """Class of every clip of ``X`` (features at the predict-time warp)."""
        Z = self._features(X)
        return self.classifier_.predict(Z)

    @available_if(_classifier_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities of the classifier, shape (n_samples, n_classes)."""
        Z = self._features(X)
        return self.classifier_.predict_proba(Z)

    @available_if(_classifier_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities of the classifier, shape (n_samples, n_classes)."""
        Z = self._features(X)
        return self.classifier_.predict_log_proba(Z)

    @available_if(_classifier_has("decision_function"))
    def decision_function(self, X):
        """Decision values of the classifier."""
        Z = self._features(X)
        return self.classifier_.decision_function(Z)

    def __sklearn_tags__(self):
        from sklearn.utils import get_tags  # noqa: PLC0415

        tags = super().__sklearn_tags__()
        try:
            feat = get_tags(self.features).input_tags
            tags.input_tags.string = feat.string
            tags.input_tags.allow_nan = feat.allow_nan
            tags.input_tags.sparse = feat.sparse
            tags.input_tags.two_d_array = feat.two_d_array
            tags.input_tags.one_d_array = feat.one_d_array
        except (TypeError, ValueError, AttributeError):
            pass
        return tags
