"""Kernel-level fusion: one kernel per modality, combined with learned weights (MKL)."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import ClassifierMixin, clone
from sklearn.utils import check_random_state
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from .._base import strict_loading
from .._compat import HasMethods, Interval, StrOptions, _fit_context
from .._parallel import Parallel, delayed
from ..kernels import KERNELS, chi2_distance, kernel_diagonal, pairwise_kernel
from ._blocks import (
    BlockComposition,
    as_weight_vector,
    check_targets,
    in_block,
    take_rows,
    to_2d,
)
from ._mkl import alignment_weights, easymkl_weights

__all__ = ["KERNEL_PARAMS", "KernelFusionClassifier"]

#: Per-block kernel parameters, reachable as ``<block>__<param>`` in ``set_params``.
KERNEL_PARAMS = ("kernel", "gamma", "degree", "coef0")
_KERNEL_DEFAULTS = {"gamma": "scale", "degree": 3, "coef0": 0.0}
_DIAG_CHUNK = 256


def _estimator_has(attr):
    def check(self):
        est = getattr(self, "estimator_", None)
        if est is None:
            est = self._make_estimator()
        getattr(est, attr)
        return True

    return check


class _Block:
    """Fitted state of one kernel block (internal): how to turn features into its kernel.

    ``Z_`` holds the training rows' features (present rows only) for exact
    kernels, ``landmarks_`` and ``map_`` the Nyström basis for approximate ones.
    """

    def __init__(self, name, kernel, params, normalize, device):
        self.name = name
        self.kernel = kernel
        self.params = params
        self.normalize = normalize
        self.device = device

    # -- the base kernel and its diagonal
    def raw(self, A, B):
        if callable(self.kernel):
            return np.asarray(self.kernel(A, B), dtype=np.float64)
        return pairwise_kernel(A, B, kernel=self.kernel, gamma=self.gamma_,
                               degree=self.params["degree"], coef0=self.params["coef0"],
                               device=self.device)

    def diag(self, A):
        if callable(self.kernel):
            n = A.shape[0]
            return np.concatenate([np.diag(self.raw(A[i:i + _DIAG_CHUNK], A[i:i + _DIAG_CHUNK]))
                                   for i in range(0, n, _DIAG_CHUNK)]) if n else np.zeros(0)
        return kernel_diagonal(A, kernel=self.kernel, gamma=self.gamma_,
                               degree=self.params["degree"], coef0=self.params["coef0"])

    def _resolve_gamma(self, Z):
        gamma = self.params["gamma"]
        if callable(self.kernel) or self.kernel in ("linear", "intersection"):
            return None
        if gamma == "auto":
            return 1.0 / Z.shape[1]
        if gamma != "scale":
            return float(gamma)
        if self.kernel == "chi2":  # Zhang et al. 2007: 1 / mean chi2 distance of training pairs
            D = self._chi2_train
            pairs = D.shape[0] * (D.shape[0] - 1)
            mean = float(D.sum() - np.trace(D)) / pairs if pairs else 0.0
            return 1.0 / mean if mean > 0 else 1.0
        if sp.issparse(Z):  # SVC's 'scale': 1 / (n_features * X.var())
            var = Z.multiply(Z).mean() - Z.mean() ** 2
        else:
            var = np.asarray(Z).var()
        return 1.0 / (Z.shape[1] * var) if var > 0 else 1.0

    def _scaled(self, K, d_rows, d_cols):
        if self.normalize == "diagonal":
            with np.errstate(invalid="ignore", divide="ignore"):
                K /= np.sqrt(np.outer(d_rows, d_cols))
            K[~np.isfinite(K)] = 0.0  # a zero vector: 0/0
        elif self.normalize == "trace":
            K *= self.trace_scale_
        return K

    # -- fitting
    def fit(self, Z, approximation, n_components, rng):
        """Fit on the present training rows; return their kernel (Gram or feature map)."""
        exact_chi2 = (not callable(self.kernel) and self.kernel == "chi2"
                      and self.params["gamma"] == "scale")
        self.n_features_ = Z.shape[1]
        self.approximate_ = approximation is not None
        if self.approximate_:
            m = min(n_components, Z.shape[0])
            idx = np.sort(rng.permutation(Z.shape[0])[:m])
            L = Z[idx]
            if exact_chi2:
                self._chi2_train = chi2_distance(L, L, device=self.device)
            self.gamma_ = self._resolve_gamma(Z)
            self._chi2_train = None
            self.diag_train_ = self.diag(Z)
            self.trace_scale_ = self._trace_scale(self.diag_train_)
            self.landmarks_ = L
            self.landmark_diag_ = self.diag_train_[idx]
            K_LL = self._scaled(self.raw(L, L), self.landmark_diag_, self.landmark_diag_)
            U, S, Vt = np.linalg.svd(K_LL)  # as sklearn.kernel_approximation.Nystroem
            S = np.maximum(S, 1e-12)
            self.map_ = (U / np.sqrt(S)) @ Vt
            return self.features(Z, self.diag_train_)
        if exact_chi2:
            self._chi2_train = D = chi2_distance(Z, Z, device=self.device)
            self.gamma_ = self._resolve_gamma(Z)
            self._chi2_train = None
            G = np.exp(-self.gamma_ * D, out=D)
        else:
            self.gamma_ = self._resolve_gamma(Z)
            G = self.raw(Z, Z)
        self.diag_train_ = np.diag(G).copy() if callable(self.kernel) else self.diag(Z)
        self.trace_scale_ = self._trace_scale(self.diag_train_)
        self.Z_ = Z
        return self._scaled(G, self.diag_train_, self.diag_train_)

    def _trace_scale(self, d):
        total = float(np.sum(d))
        return d.size / total if total > 0 else 1.0

    # -- out of sample
    def features(self, A, d=None):
        d = self.diag(A) if d is None else d
        C = self._scaled(self.raw(A, self.landmarks_), d, self.landmark_diag_)
        return C @ self.map_.T

    def cross(self, A):
        """Normalised kernel between new rows ``A`` and the training rows."""
        return self._scaled(self.raw(A, self.Z_), self.diag(A), self.diag_train_)


class KernelFusionClassifier(ClassifierMixin, BlockComposition):
    """Kernel-level fusion: one kernel per modality, combined with weights, then a kernel machine.

    1. Each entry ``(name, transformer, column, kernel)`` is one *block*: its
       raw column(s) are selected from ``X`` as in
       :class:`~sklearn.compose.ColumnTransformer` (a scalar column gives a
       1-D column, which the mmfuse extractors take), and ``transformer`` is
       fitted on the rows where the modality is present (not ``None``/NaN).
    2. The block's kernel ``K_b`` is computed on its features (in chunks
       bounded by ``working_memory``, on the configured device) and
       normalised (``normalize``) so that no modality dominates by its scale.
    3. The block kernels are combined, ``K = sum_b w_b K_b``, with weights
       that are fixed (``'uniform'``, a dict) or learned on the training rows
       (``'alignment'`` [1]_, ``'easymkl'`` [2]_).
    4. ``estimator`` (default :class:`~mmfuse.svm.FastSVC` ``(kernel='precomputed')``,
       scikit-learn's SVC with fast exact predictions) is fitted on the
       combined training kernel and predicts from the combined kernel between
       new rows and the training rows. No statistic of new rows enters the
       fitted state: transformers, ``gamma='scale'``, trace scales and weights
       come from the training rows alone.

    Parameters
    ----------
    kernels : list of (str, transformer, column, kernel) tuples
        ``name`` keys ``weights``, ``kernel_params`` and nested parameters.
        ``transformer`` has ``fit``/``transform`` (or ``fit_transform``), or
        is ``'passthrough'`` (the selected numeric columns) or ``'drop'``.
        ``column`` is a column name, a position, a list/slice/mask of them, or
        a callable ``X -> key``. ``kernel`` is one of

        - ``'linear'``: ``<x, z>``;
        - ``'rbf'``: ``exp(-gamma ||x - z||^2)``;
        - ``'poly'``: ``(gamma <x, z> + coef0) ^ degree``;
        - ``'chi2'``: ``exp(-gamma sum_k (x_k - z_k)^2 / (x_k + z_k))``, for
          non-negative histograms (HOG, bags of words);
        - ``'intersection'``: ``sum_k min(x_k, z_k)``, non-negative histograms;
        - a callable ``kernel(A, B) -> (n_A, n_B) ndarray``, as
          ``SVC(kernel=callable)`` takes (e.g. :class:`mmfuse.kernels.Chi2Kernel`).

        The values equal :func:`sklearn.metrics.pairwise.pairwise_kernels`.
    weights : {'alignment', 'easymkl', 'uniform'} or dict of {str: float >= 0}, \
default='alignment'
        - ``'alignment'``: the non-negative combination maximising the
          centered alignment of ``K`` with the ideal kernel of the labels
          (``alignf`` of Cortes, Mohri & Rostamizadeh [1]_);
        - ``'easymkl'``: EasyMKL (Aiolli & Donini [2]_), weights from the
          margin between the classes in the sum kernel; with more than two
          classes, the mean of the one-vs-rest weights;
        - ``'uniform'``: the kernel average (Gehler & Nowozin [3]_ found it
          hard to beat);
        - a dict: fixed weights by block name (missing keys weigh 1).

        The weights are rescaled to sum to one (``weights_``).
    estimator : classifier, default=None
        Fitted on the combined kernel: ``X`` of shape ``(n_samples,
        n_train)``. None means ``mmfuse.svm.FastSVC(kernel='precomputed')`` (an
        ``SVC``); pass one (e.g.
        ``SVC(kernel='precomputed', C=10)``) to tune it as ``estimator__C``.
        With ``approximation`` it receives the explicit feature map instead
        (None then means :class:`~sklearn.svm.LinearSVC`), and an estimator
        whose ``kernel`` is ``'precomputed'`` is refused.
    kernel_params : dict of {str: dict}, default=None
        Per-block kernel parameters, e.g. ``{'image': {'gamma': 0.5}}``:
        ``gamma`` (float > 0, ``'scale'`` or ``'auto'``; default ``'scale'``),
        ``degree`` (default 3) and ``coef0`` (default 0.0), with the meanings
        of :class:`~sklearn.svm.SVC`: ``'scale'`` is ``1 / (n_features *
        Z.var())`` of the block's training features for ``'rbf'``/``'poly'``,
        and ``1 / mean chi2 distance`` of the training pairs for ``'chi2'``
        (Zhang et al. [4]_); ``'auto'`` is ``1 / n_features``. Each is also
        reachable as ``<name>__gamma`` etc. in ``set_params`` and
        ``GridSearchCV``, as is ``<name>__kernel``. Parameters a block's
        kernel does not use are ignored (as ``SVC`` ignores ``gamma`` for a
        linear kernel). Callable kernels take their parameters themselves.
    normalize : {'diagonal', 'trace'} or None, default='diagonal'
        Per-block kernel normalisation before the combination.
        ``'diagonal'``: ``K(x, z) / sqrt(K(x, x) K(z, z))``, unit self-
        similarity for every row (cosine normalisation; a row whose
        features are all zero gets 0). ``'trace'``: ``K * n / trace(K_train)``
        (unit mean self-similarity on the training rows; the same factor for
        new rows). ``None``: none.
    lam : float in [0, 1], default=0.1
        EasyMKL's regularisation ``lambda`` (MKLpy's ``EasyMKL(lam=...)``):
        0 is the hard margin between the class hulls, 1 the distance between
        the class centroids.
    approximation : {'nystroem'} or None, default=None
        None: exact kernels (``(n_train, n_train)`` memory and time per
        block). ``'nystroem'``: each block's normalised kernel is replaced by a
        Nyström feature map of ``n_components`` landmarks drawn from its
        training rows (Williams & Seeger [5]_; the map of
        :class:`sklearn.kernel_approximation.Nystroem`), weights are learned
        on the maps, and ``estimator`` gets the weighted concatenation of the
        maps, so time and memory grow linearly with the number of rows.
    n_components : int, default=500
        Landmarks per block for ``approximation='nystroem'``.
    missing : {'renormalize', 'error'}, default='renormalize'
        A row missing a modality: ``'renormalize'`` drops that block from the
        row's kernel and renormalises the remaining weights (below);
        ``'error'`` makes it an error row. A row with no modality present is
        always an error row. Error rows raise
        :class:`~mmfuse.io.MMFuseInputError`, or under ``on_error='skip'`` at
        prediction time leave the batch (one output row per good input row)
        and are reported to :func:`mmfuse.collect_errors`.
    device : {'auto', 'cpu', 'cuda'} or None, default=None
        Where the kernel blocks are computed (CuPy on a GPU).
    random_state : int, RandomState instance or None, default=None
        Landmark sampling of ``approximation='nystroem'``.
    n_jobs : int, default=None
        Block transformers fitted/applied in parallel with joblib threads.

    Attributes
    ----------
    weights_ : ndarray of shape (n_blocks,)
        The block weights, summing to one (blocks with ``'drop'`` left out).
    named_weights_ : dict of {str: float}
        The same keyed by block name (the per-modality contribution shown by
        :func:`mmfuse.report.evaluate_model`).
    alignment_ : ndarray of shape (n_blocks,)
        Each block kernel's centered alignment with the labels on the
        training rows (computed for every ``weights`` choice).
    transformers_ : list of (str, transformer, column, kernel)
        The fitted blocks.
    gamma_ : dict of {str: float or None}
        The ``gamma`` each block used (``'scale'``/``'auto'`` resolved).
    estimator_ : classifier
        The fitted kernel machine.
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    See Also
    --------
    FeatureFusion : feature-level (early) fusion.
    LateFusionClassifier : model-level (late) fusion.
    mmfuse.kernels.pairwise_kernel : the block kernels.

    Notes
    -----
    **Missing modalities.** With ``P_i`` the blocks present in row ``i`` and
    ``W_i = sum_{b in P_i} w_b``, the combined kernel is
    ``K(i, j) = sum_{b in P_i and P_j} w_b K_b(i, j) / sqrt(W_i W_j)``: a
    block absent from a row drops out of it and the remaining weights are
    renormalised (a complete row keeps ``sum_b w_b = 1``). This is a
    congruence of a sum of positive semi-definite matrices, so ``K`` stays a
    valid kernel, and with ``normalize='diagonal'`` every row keeps
    ``K(i, i) = 1``. Weights are learned on the training rows where every
    modality is present.

    **Departures from the papers.** The ideal kernel of ``'alignment'`` is
    ``Y Y^T`` of the one-hot labels (multiclass); ``v*`` is rescaled to sum
    to one rather than to unit norm. ``'easymkl'`` gives one weight vector
    for all classes (the mean over one-vs-rest problems) because one kernel
    machine uses the combination; MKLpy keeps one combination per problem.
    Both learners use the normalised (not the centered) kernels in the
    combination; an SVM with a bias is invariant to centering.

    References
    ----------
    .. [1] Cortes, C., Mohri, M., & Rostamizadeh, A. (2012). Algorithms for learning
       kernels based on centered alignment. *JMLR*, 13, 795-828.
       https://jmlr.org/papers/v13/cortes12a.html
    .. [2] Aiolli, F., & Donini, M. (2015). EasyMKL: a scalable multiple kernel
       learning algorithm. *Neurocomputing*, 169, 215-224.
       https://doi.org/10.1016/j.neucom.2014.11.078
    .. [3] Gehler, P., & Nowozin, S. (2009). On feature combination for multiclass
       object classification. *ICCV*, 221-228. https://doi.org/10.1109/ICCV.2009.5459169
    .. [4] Zhang, J., Marszałek, M., Lazebnik, S., & Schmid, C. (2007). Local features
       and kernels for classification of texture and object categories. *IJCV*,
       73(2), 213-238. https://doi.org/10.1007/s11263-006-9794-4
    .. [5] Williams, C. K. I., & Seeger, M. (2001). Using the Nyström method to speed
       up kernel machines. *NIPS*, 682-688.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.preprocessing import StandardScaler
    >>> from mmfuse.fusion import KernelFusionClassifier
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 30)
    >>> X = np.hstack([rng.normal(size=(60, 2)) + y[:, None], rng.normal(size=(60, 2))])
    >>> clf = KernelFusionClassifier([("a", StandardScaler(), [0, 1], "rbf"),
    ...                               ("b", "passthrough", [2, 3], "linear")])
    >>> clf.fit(X, y).named_weights_["a"] > clf.named_weights_["b"]
    True
    """

    _parts = "kernels"  # the (name, transformer, column, kernel) list nested params live in
    _extra_fields = ("kernel",)
    _fitted_attr = "estimator_"

    _parameter_constraints: dict = {
        "kernels": [list],
        "weights": [StrOptions({"alignment", "easymkl", "uniform"}), dict],
        "estimator": [HasMethods(["fit", "predict"]), None],
        "kernel_params": [dict, None],
        "normalize": [StrOptions({"diagonal", "trace"}), None],
        "lam": [Interval(Real, 0, 1, closed="both")],
        "approximation": [StrOptions({"nystroem"}), None],
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "missing": [StrOptions({"renormalize", "error"})],
        "device": [StrOptions({"auto", "cpu", "cuda"}), None],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
    }

    def __init__(self, kernels, *, weights="alignment", estimator=None, kernel_params=None,
                 normalize="diagonal", lam=0.1, approximation=None, n_components=500,
                 missing="renormalize", device=None, random_state=None, n_jobs=None):
        self.kernels = kernels
        self.weights = weights
        self.estimator = estimator
        self.kernel_params = kernel_params
        self.normalize = normalize
        self.lam = lam
        self.approximation = approximation
        self.n_components = n_components
        self.missing = missing
        self.device = device
        self.random_state = random_state
        self.n_jobs = n_jobs

    # ------------------------------------------------------------------ parameters

    def _block_names(self):
        try:
            return [entry[0] for entry in self.kernels if isinstance(entry[0], str)]
        except (TypeError, IndexError, KeyError):
            return []

    def _kernel_params_of(self, name, kernel):
        given = (self.kernel_params or {}).get(name, {}) if isinstance(
            self.kernel_params, dict) else {}
        return {"kernel": kernel, **_KERNEL_DEFAULTS, **given}

    def get_params(self, deep=True):
        """Parameters; with ``deep``, each block's transformer parameters as ``name__param``
        and its kernel parameters as ``name__kernel``, ``name__gamma``, ``name__degree``,
        ``name__coef0`` (these four names always mean the kernel's)."""
        out = super().get_params(deep=deep)
        if deep:
            try:
                for name, _, _, kernel in self.kernels:
                    for key, value in self._kernel_params_of(name, kernel).items():
                        out[f"{name}__{key}"] = value
            except (TypeError, ValueError):
                pass
        return out

    def set_params(self, **params):
        """Set parameters: top-level ones, a whole transformer (``name=...``), a transformer's
        (``name__param``) or a block's kernel parameter (``name__gamma``, ``name__kernel``...).

        Returns
        -------
        self : KernelFusionClassifier
        """
        for top in ("kernels", "kernel_params"):
            if top in params:
                setattr(self, top, params.pop(top))
        names = set(self._block_names())
        for key in list(params):
            name, sep, sub = key.partition("__")
            if not (sep and name in names and sub in KERNEL_PARAMS):
                continue
            value = params.pop(key)
            if sub == "kernel":
                self.kernels = [(n, t, c, value if n == name else k)
                                for n, t, c, k in self.kernels]
            else:
                current = dict(self.kernel_params or {})
                current[name] = {**current.get(name, {}), sub: value}
                self.kernel_params = current
        return super().set_params(**params) if params else self

    # ------------------------------------------------------------------ checks

    def _check_params(self):
        """Validate the blocks; return the active ones as (name, transformer, column, kernel)."""
        names = self._check_entries(what="transformer")
        for i, (name, trans, _, kernel) in enumerate(self.kernels):
            if not isinstance(trans, str) and not (
                    (hasattr(trans, "fit") or hasattr(trans, "fit_transform"))
                    and (hasattr(trans, "transform") or hasattr(trans, "fit_transform"))):
                raise TypeError(f"transformer {name!r} ({type(trans).__name__}) must implement "
                                "fit and transform, or be 'passthrough' or 'drop'")
            if not callable(kernel) and kernel not in KERNELS:
                raise ValueError(f"kernels[{i}] ({name!r}): kernel must be one of {KERNELS} "
                                 f"or a callable (A, B) -> kernel matrix; got {kernel!r}")
        if self.kernel_params is not None:
            unknown = sorted(set(self.kernel_params) - set(names), key=str)
            if unknown:
                raise ValueError(f"kernel_params has key(s) {unknown} that match no block; the "
                                 f"block names are {names}")
            for name, kp in self.kernel_params.items():
                bad = sorted(set(kp) - set(_KERNEL_DEFAULTS), key=str) if isinstance(
                    kp, dict) else None
                if bad is None or bad:
                    raise ValueError(f"kernel_params[{name!r}] must be a dict with keys among "
                                     f"{list(_KERNEL_DEFAULTS)}; got {kp!r}")
        for name, _, _, kernel in self.kernels:
            p = self._kernel_params_of(name, kernel)
            g = p["gamma"]
            if not (g in ("scale", "auto") or (isinstance(g, Real) and not isinstance(g, bool)
                                               and g > 0)):
                raise ValueError(f"block {name!r}: gamma must be 'scale', 'auto' or a float "
                                 f"> 0; got {g!r}")
            if kernel == "poly" and not (isinstance(p["degree"], Integral) and p["degree"] >= 1):
                raise ValueError(f"block {name!r}: degree must be an int >= 1; got "
                                 f"{p['degree']!r}")
        if isinstance(self.weights, dict):
            as_weight_vector(self.weights, names)
        active = [e for e in self.kernels if not (isinstance(e[1], str) and e[1] == "drop")]
        if not active:
            raise ValueError("every block is 'drop'; at least one block is needed")
        est = self._make_estimator()
        precomputed = getattr(est, "kernel", None) == "precomputed"
        if self.approximation is not None and precomputed:
            raise ValueError(
                f"approximation={self.approximation!r} hands the estimator explicit features, "
                f"but {est!r} expects a precomputed kernel; use a linear estimator (e.g. "
                "LinearSVC) or approximation=None")
        if self.approximation is None and getattr(est, "kernel", "precomputed") != "precomputed":
            raise ValueError(f"the estimator {est!r} computes its own kernel; the fuser hands "
                             "it the combined kernel matrix: set kernel='precomputed'")
        return active

    def _make_estimator(self):
        if self.estimator is not None:
            return clone(self.estimator)
        if self.approximation is not None:
            from sklearn.svm import LinearSVC  # noqa: PLC0415

            return LinearSVC()
        from ..svm import FastSVC  # noqa: PLC0415

        return FastSVC(kernel="precomputed")

    # ------------------------------------------------------------------ blocks

    def _fitted_entries(self):
        return [(n, t, col, k) for (n, t, _, k), col in zip(self.transformers_, self.columns_)]

    def _contract_hint(self):
        return "set missing='renormalize' to fuse the modalities present"

    def _contract_weights(self, *, fitting):
        # at prediction time a row whose present blocks all weigh 0 is an error row too
        return None if fitting else self.weights_

    def _inputs(self, X, entries, fitting):
        """Each block's raw input and the ``(n_blocks, n_rows)`` present mask, after the
        batch's error rows left it (:func:`~mmfuse.fusion._blocks.screen_rows`)."""
        inputs, keep = self._block_inputs(X, entries, fitting=fitting)
        present = (np.stack([p for _, p in inputs]) if inputs
                   else np.zeros((0, int(keep.sum())), dtype=bool))
        return inputs, present

    # ------------------------------------------------------------------ fitting

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Fit the block transformers, the block kernels, the weights and the estimator.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_columns)
            One column (or group of columns) per modality.
        y : array-like of shape (n_samples,)

        Returns
        -------
        self : KernelFusionClassifier

        Raises
        ------
        MMFuseInputError
            a row with no modality present, or (``missing='error'``) any missing one.
        """
        with strict_loading():  # a training row cannot be skipped without its label
            return self._fit(X, y)

    def _fit(self, X, y):
        entries = self._check_params()
        X = self._check_X(X, reset=True)
        y, le = check_targets(self, X, y)
        y_enc = le.transform(y)

        self._fit_columns(X, entries)
        inputs, present = self._inputs(X, [(n, t, c, k) for (n, t, _, k), c
                                           in zip(entries, self.columns_)], fitting=True)
        fitted = Parallel(n_jobs=self.n_jobs, prefer="threads")(
            delayed(in_block)("block", name, col, t, _fit_transform_one, t, Xb, y, p)
            for (name, t, _, _), col, (Xb, p) in zip(entries, self.columns_, inputs))
        self.transformers_ = [(n, trans, c, k) for (n, _, c, k), (trans, _)
                              in zip(entries, fitted)]

        rng = check_random_state(self.random_state)
        self._blocks, kernels = [], []
        for (name, _, _, kernel), (_, Z) in zip(entries, fitted):
            block = _Block(name, kernel, self._kernel_params_of(name, kernel), self.normalize,
                           self.device)
            kernels.append(block.fit(to_2d(Z, name), self.approximation, self.n_components, rng))
            self._blocks.append(block)
        self.gamma_ = {b.name: None if b.gamma_ is None else float(b.gamma_) for b in self._blocks}
        self.present_ = present

        self.weights_, self.alignment_ = self._learn_weights(kernels, present, y_enc)
        self.named_weights_ = {b.name: float(w) for b, w in zip(self._blocks, self.weights_)}
        self._row_scale_train = self._row_scale(present)
        combined = self._combine(kernels, present, self._row_scale_train, train=True)
        self.estimator_ = self._make_estimator().fit(combined, y)
        self.classes_ = self.estimator_.classes_
        return self

    def _learn_weights(self, kernels, present, y_enc):
        names = [b.name for b in self._blocks]
        complete = present.all(axis=0)
        kind = "features" if self.approximation is not None else "gram"
        sub = [self._complete_rows(K, p, complete, kind) for K, p in zip(kernels, present)]
        yc = y_enc[complete]
        enough = np.unique(yc).size >= 2
        if enough:
            _, yc = np.unique(yc, return_inverse=True)
            w_align, rho = alignment_weights(sub, yc, kind=kind)
        else:
            rho = np.full(len(names), np.nan)
        if isinstance(self.weights, dict):
            w = as_weight_vector(self.weights, [e[0] for e in self.kernels])
            w = np.array([wi for (n, *_), wi in zip(self.kernels, w) if n in names])
        elif self.weights == "uniform":
            w = np.ones(len(names))
        else:
            if not enough:
                raise ValueError(
                    f"weights={self.weights!r} is learned on the training rows where every "
                    f"modality is present; there are {int(complete.sum())} such rows with "
                    f"{np.unique(y_enc[complete]).size} class(es), at least 2 are needed. "
                    "Use weights='uniform' or a dict")
            if self.weights == "alignment":
                w = w_align
            else:
                w = easymkl_weights(sub, yc, lam=self.lam, kind=kind)
        if not w.sum() > 0:
            raise ValueError(f"weights={self.weights!r} gives every block weight 0; at least "
                             "one block needs a weight > 0")
        return w / w.sum(), rho

    @staticmethod
    def _complete_rows(K, present_b, complete, kind):
        """The block's kernel (Gram or features) restricted to the complete rows."""
        pos = np.flatnonzero(complete[present_b])  # complete rows among the block's rows
        if kind == "gram":
            return K[np.ix_(pos, pos)] if pos.size != K.shape[0] else K
        return K[pos]

    def _row_scale(self, present):
        """``1 / sqrt(W_i)``, ``W_i`` the weight of the blocks present in row ``i``."""
        W = self.weights_ @ present
        if np.any(W <= 0):
            raise ValueError(
                f"{int(np.sum(W <= 0))} row(s) have only blocks with weight 0 present; "
                f"weights_={self.named_weights_}. Give those blocks a weight > 0")
        return 1.0 / np.sqrt(W)

    def _combine(self, kernels, present, s_rows, train=False):
        """``K(i, j) = sum_b w_b K_b(i, j) [b in P_i, P_j] / sqrt(W_i W_j)`` (or the features)."""
        n = present.shape[1]
        if self.approximation is not None:
            parts = []
            for K, p, w in zip(kernels, present, self.weights_):
                F = np.zeros((n, K.shape[1]))
                F[p] = K
                parts.append(F * np.sqrt(w))
            return np.hstack(parts) * s_rows[:, None]
        s_cols = self._row_scale_train
        cols_present = self.present_
        out = np.zeros((n, cols_present.shape[1]))
        for K, p, pc, w in zip(kernels, present, cols_present, self.weights_):
            if w == 0 or not p.any():
                continue
            if p.all() and pc.all():
                out += w * K
            else:
                out[np.ix_(np.flatnonzero(p), np.flatnonzero(pc))] += w * K
        out *= s_rows[:, None]
        out *= s_cols[None, :]
        return out

    # ------------------------------------------------------------------ prediction

    def _kernel_input(self, X):
        """The combined kernel (or feature map) of new rows against the training rows."""
        check_is_fitted(self, "estimator_")
        X = self._check_X(X, reset=False)
        entries = list(self._iter(fitted=True))
        inputs, present = self._inputs(X, entries, fitting=False)
        kernels = []
        for (name, trans, col, _), block, (Xb, p), w in zip(entries, self._blocks, inputs,
                                                             self.weights_):
            if not p.any() or (w == 0 and self.approximation is None):
                kernels.append(None)
                continue
            Xp = take_rows(Xb, p) if not p.all() else Xb
            with strict_loading():  # screened: a row failing now must not shift the others
                Z = Xp if trans == "passthrough" else in_block("block", name, col, trans,
                                                               trans.transform, Xp)
            Z = to_2d(Z, name)
            if Z.shape[1] != block.n_features_:
                raise ValueError(f"block {name!r} produced {Z.shape[1]} features for these rows "
                                 f"but {block.n_features_} when fitted")
            kernels.append(block.features(Z) if self.approximation is not None
                           else block.cross(Z))
        s_rows = self._row_scale(present)
        widths = [b.map_.shape[0] if self.approximation is not None else 0
                  for b in self._blocks]
        kernels = [K if K is not None else np.zeros((0, max(wd, 0))) for K, wd
                   in zip(kernels, widths)]
        present = present & np.array([K.shape[0] > 0 for K in kernels])[:, None]
        return self._combine(kernels, present, s_rows)

    def predict(self, X):
        """Class labels of ``X``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_columns)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        K = self._kernel_input(X)
        return self.estimator_.predict(K)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities from the estimator (e.g. ``SVC(probability=True)``).

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        K = self._kernel_input(X)
        return self.estimator_.predict_proba(K)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """The estimator's decision function on the combined kernel.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        K = self._kernel_input(X)
        return self.estimator_.decision_function(K)

    def combined_kernel(self, X=None):
        """The combined kernel used by the estimator (explicit features with ``approximation``).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_columns), default=None
            New rows; None gives the training kernel, recomputed.

        Returns
        -------
        K : ndarray of shape (n_samples, n_train) (or (n_samples, n_map_features))
        """
        check_is_fitted(self, "estimator_")
        if X is not None:
            return self._kernel_input(X)
        if self.approximation is not None:
            raise ValueError("with an approximation the training features are not kept; "
                             "pass the training rows as X")
        kernels = [b._scaled(b.raw(b.Z_, b.Z_), b.diag_train_, b.diag_train_)
                   for b in self._blocks]
        return self._combine(kernels, self.present_, self._row_scale_train)

    # ------------------------------------------------------------------ misc

    @property
    def named_transformers_(self):
        """The fitted block transformers by name (a :class:`~sklearn.utils.Bunch`)."""
        return self._named_fitted()

    def __sklearn_tags__(self):
        # the kernels refuse NaN cells
        return self._parts_tags(super().__sklearn_tags__(), allow_nan=lambda parts: False)


def _fit_transform_one(transformer, Xb, y, present):
    """Fit one block's transformer on its present rows; return ``(fitted, features)``."""
    Xp = take_rows(Xb, present) if not present.all() else Xb
    yp = y[present]
    if isinstance(transformer, str):  # passthrough
        return transformer, Xp
    t = clone(transformer)
    if hasattr(t, "fit_transform"):
        return t, t.fit_transform(Xp, yp)
    return t, t.fit(Xp, yp).transform(Xp)
