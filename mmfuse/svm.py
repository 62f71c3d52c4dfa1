"""Exact kernel-SVM decisions by blocked matrix products over the support vectors.

:class:`FastSVC` is a :class:`sklearn.svm.SVC` (same parameters, fitted by
libsvm) whose ``decision_function``, ``predict``, ``predict_proba`` and
``predict_log_proba`` compute the libsvm decision rule with one matrix product
per chunk of rows instead of libsvm's one kernel evaluation at a time.
:func:`to_fast_svc` turns the fitted ``SVC`` inside any fitted model
(``Pipeline``, mmfuse fusers, ``CalibratedClassifierCV``, ``GridSearchCV``...)
into :class:`FastSVC` without refitting::

    from mmfuse.svm import FastSVC, to_fast_svc
    clf = FastSVC(C=10).fit(X, y)          # libsvm fit, fast predict
    model = to_fast_svc(model)             # an already fitted model, in place
"""

from __future__ import annotations

import contextvars
import copy as _copy
import types
import weakref

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError
from sklearn.svm import SVC
from sklearn.utils import _safe_indexing
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import _ovr_decision_function
from sklearn.utils.validation import _num_samples, check_is_fitted

from ._backend import chunk_n_rows, dispatch, gen_chunks, is_numpy_namespace, to_numpy
from ._config import get_config
from ._parallel import n_cores as _n_cores
from ._parallel import single_threaded_blas as _single_threaded_blas

__all__ = ["FastSVC", "to_fast_svc"]

#: libsvm's bounds on a pairwise probability before coupling (``min_prob`` in svm.cpp).
_MIN_PROB = 1e-7
#: Rows per chunk on the CPU at most (one chunk per core, each near the cache), and the
#: fewest worth a chunk of their own.
_CPU_CHUNK_CAP = 1024
_CPU_CHUNK_MIN = 32


# --------------------------------------------------------------------------- the model

def _pairs(n_classes):
    """The one-vs-one pairs ``(i, j)``, ``i < j``, in libsvm's order."""
    return [(i, j) for i in range(n_classes) for j in range(i + 1, n_classes)]


def _ovo_coefficients(dual_coef, n_support):
    """The ``(n_SV, n_pairs)`` matrix ``C`` with ``dec = K(X, SV) @ C + intercept``.

    libsvm stores, for the pair ``(i, j)``, the coefficients of class ``i``'s
    support vectors in row ``j - 1`` of ``dual_coef`` and those of class ``j``'s
    in row ``i`` (``svm_predict_values``).
    """
    dual_coef = dual_coef.toarray() if sp.issparse(dual_coef) else np.asarray(dual_coef)
    n_support = np.asarray(n_support, dtype=np.intp)
    start = np.concatenate([[0], np.cumsum(n_support)])
    pairs = _pairs(len(n_support))
    C = np.zeros((dual_coef.shape[1], len(pairs)), dtype=np.float64)
    for p, (i, j) in enumerate(pairs):
        C[start[i]:start[i + 1], p] = dual_coef[j - 1, start[i]:start[i + 1]]
        C[start[j]:start[j + 1], p] = dual_coef[i, start[j]:start[j + 1]]
    return C


class _Plan:
    """What predictions need from a fitted SVC, prepared once (host arrays)."""

    def __init__(self, svc):
        kernel = svc.kernel
        self.kind = "callable" if callable(kernel) else kernel
        self.kernel = kernel
        self.gamma = float(svc._gamma)
        self.degree = svc.degree
        self.coef0 = float(svc.coef0)
        self.C = _ovo_coefficients(svc._dual_coef_, svc._n_support)
        self.intercept = np.asarray(svc._intercept_, dtype=np.float64)
        self.sparse = bool(svc._sparse)
        self.support = np.asarray(svc.support_, dtype=np.intp)
        n_sv = self.C.shape[0]
        self.n_features = 0
        self.sv = self.S = self.center = self.sv_bias = None
        if self.kind == "callable":
            # sklearn keeps the whole training set and computes K against every row;
            # only the support rows carry a coefficient
            self.sv = _safe_indexing(svc._BaseLibSVM__Xfit, self.support)
        elif self.kind != "precomputed":
            self.n_features = svc.support_vectors_.shape[1]
            self.S = self._dot_side(svc.support_vectors_)
        self.row_bytes = 8 * (2 * n_sv + self.n_features + self.C.shape[1])

    def _dot_side(self, sv):
        """The support-vector side ``S`` of the dot products ``X @ S``.

        For 'rbf' the support vectors are scaled by ``2 gamma`` and ``sv_bias``
        gets ``gamma |sv|^2``; dense ones are first centred on their mean
        (``center``): distances do not change, and the cancellation in
        ``|x|^2 + |sv|^2 - 2 x.sv`` shrinks. Sparse support vectors become a
        dense ``(d, n_SV)`` array when it fits in the working memory.
        """
        if sp.issparse(sv):
            if self.kind == "rbf":
                self.sv_bias = self.gamma * np.asarray(sv.multiply(sv).sum(axis=1),
                                                       dtype=np.float64).ravel()
                sv = sv * (2.0 * self.gamma)
            if sv.shape[0] * sv.shape[1] * 8 <= get_config()["working_memory"] * 2 ** 20:
                return np.ascontiguousarray(sv.toarray().T)
            return sp.csc_matrix(sv.T)
        sv = np.asarray(sv, dtype=np.float64)
        if self.kind == "rbf":
            self.center = sv.mean(axis=0) if sv.shape[0] else np.zeros(sv.shape[1])
            sv = sv - self.center
            self.sv_bias = self.gamma * np.einsum("ij,ij->i", sv, sv)
            sv *= 2.0 * self.gamma
        return sv.T

    def on(self, xp):
        """``(S, center, sv_bias, C, intercept)`` as arrays of ``xp`` (None stays None)."""
        arrays = (self.S, self.center, self.sv_bias, self.C, self.intercept)
        if is_numpy_namespace(xp):
            return arrays
        return tuple(None if a is None else xp.asarray(a) for a in arrays)


_PLANS = weakref.WeakKeyDictionary()


def _plan_of(svc):
    """The :class:`_Plan` of ``svc``, kept while its fitted state and kernel parameters stay.

    Kept beside the estimator (a weak mapping), not in it: predicting changes
    nothing in the estimator, and the plan never reaches a pickle.
    """
    arrays = (svc._dual_coef_, svc._intercept_, svc._n_support, svc.support_,
              getattr(svc, "support_vectors_", None), getattr(svc, "_BaseLibSVM__Xfit", None))
    params = (svc.kernel, svc._gamma, svc.degree, svc.coef0, svc._sparse,
              get_config()["working_memory"])
    cached = _PLANS.get(svc)
    if (cached is not None and cached[1] == params
            and all(a is b for a, b in zip(cached[0], arrays))):
        return cached[2]
    plan = _Plan(svc)
    _PLANS[svc] = (arrays, params, plan)
    return plan


def _finish_kernel(xp, G, x_sq, plan, sv_bias):
    """Turn ``G = X @ S`` (``S`` from :meth:`_Plan._dot_side`) into kernel values, in place."""
    if plan.kind == "linear":
        return G
    if plan.kind == "rbf":
        # S = 2 gamma SV^T, so G - gamma |sv|^2 - gamma |x|^2 = -gamma |x - sv|^2
        G -= sv_bias
        G -= plan.gamma * x_sq[:, None]
        xp.minimum(G, 0.0, out=G)
        return xp.exp(G, out=G)
    G *= plan.gamma
    G += plan.coef0
    if plan.kind == "poly":
        return G ** plan.degree
    return xp.tanh(G, out=G)  # sigmoid


def _kernel_block(xp, Xc, plan, S, center, sv_bias):
    """``K(X_chunk, SV)`` as an array of ``xp``."""
    if plan.kind == "precomputed":
        return xp.asarray(Xc[:, plan.support])
    if plan.kind == "callable":
        K = plan.kernel(Xc, plan.sv)
        K = K.toarray() if sp.issparse(K) else to_numpy(K)
        expected = (_num_samples(Xc), plan.C.shape[0])
        if K.shape != expected:
            raise ValueError(f"kernel {plan.kernel!r} returned an array of shape {K.shape} for "
                             f"{expected[0]} rows against {expected[1]} support vectors; a "
                             f"kernel callable must return (n_samples_X, n_samples_Y) = "
                             f"{expected}")
        return xp.asarray(np.asarray(K, dtype=np.float64))
    if sp.issparse(Xc):
        G = Xc @ S
        G = G.toarray() if sp.issparse(G) else np.asarray(G)
        x_sq = (np.asarray(Xc.multiply(Xc).sum(axis=1), dtype=np.float64).ravel()
                if plan.kind == "rbf" else None)
        return _finish_kernel(np, G, x_sq, plan, sv_bias)
    Xc = xp.asarray(Xc)
    if center is not None:
        Xc = Xc - center
    G = Xc @ S
    x_sq = (Xc * Xc).sum(axis=1) if plan.kind == "rbf" else None
    return _finish_kernel(xp, G, x_sq, plan, sv_bias)


def _chunks(n, step, workers):
    """Row ranges of at most ``step`` rows, a multiple of ``workers`` of them when split."""
    if n <= step:
        return [(0, n)]
    n_chunks = -(-n // step)
    n_chunks = workers * -(-n_chunks // workers)
    size = -(-n // n_chunks)
    return [(a, min(a + size, n)) for a in range(0, n, size)]


def _dispatch(svc, X):
    """``(where, X)``: where a prediction on ``X`` computes, and ``X`` on the host.

    The dense dot-product kernels compute where :func:`mmfuse._backend.dispatch`
    decides (a CuPy ``X`` on its GPU, other input on the configured device); a
    kernel matrix that is given (precomputed), made by a callable or by SciPy
    (sparse input or support vectors) is computed on the host. A CuPy ``X`` is
    copied to the host for scikit-learn's input validation; ``where.output``
    returns the results in its namespace.
    """
    kernel = svc.kernel
    on_host = (callable(kernel) or kernel == "precomputed" or getattr(svc, "_sparse", False)
               or sp.issparse(X))
    where = dispatch(X, device="cpu" if on_host else None)
    if not is_numpy_namespace(where.in_xp):
        X = to_numpy(X)
    return where, X


def _ovo_decision_values(svc, X, xp=np, finish=None, tail=None):
    """libsvm's one-vs-one decision values ``(n_samples, n_pairs)`` for validated ``X``.

    The kernel rows and the decision values are computed in the namespace ``xp``
    (``where.xp`` of :func:`_dispatch`: NumPy for a kernel matrix that is given,
    made by a callable or by SciPy).
    The sign is libsvm's (positive votes for the first class of a pair), before
    scikit-learn's binary flip. ``finish``, if given, maps each chunk's values
    (NumPy) to the rows of the result, of shape ``(n_samples, *tail)``, in the
    chunk's thread (votes, probabilities). The result is NumPy.
    """
    plan = _plan_of(svc)
    n = _num_samples(X)
    S, center, sv_bias, C, b = plan.on(xp)
    out = np.empty((n, *((plan.C.shape[1],) if tail is None else tail)))

    def run(bounds):
        start, stop = bounds
        Xc = (_safe_indexing(X, slice(start, stop)) if plan.kind == "callable"
              else X[start:stop])
        dec = _kernel_block(xp, Xc, plan, S, center, sv_bias) @ C
        dec += b
        dec = to_numpy(dec)
        out[start:stop] = dec if finish is None else finish(dec)

    if not is_numpy_namespace(xp):  # the GPU: the largest chunks the budget allows
        for chunk in gen_chunks(n, plan.row_bytes):
            run((chunk.start, chunk.stop))
        return out
    workers = _n_cores()
    # one chunk per core, each product on one BLAS thread, so the kernel's element-wise
    # work (exp, tanh, powers, votes, coupling) runs on every core too; small batches
    # stay one chunk (BLAS threads cost more than they give on a few rows)
    step = chunk_n_rows(plan.row_bytes,
                        max_n_rows=min(_CPU_CHUNK_CAP, max(_CPU_CHUNK_MIN, -(-n // workers))))
    chunks = _chunks(n, step, workers)
    with _single_threaded_blas():
        if len(chunks) == 1:
            run(chunks[0])
            return out
        from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

        with ThreadPoolExecutor(max_workers=min(workers, len(chunks))) as pool:
            # each task runs in a copy of the caller's context (mmfuse config for callables)
            futures = [pool.submit(contextvars.copy_context().run, run, c) for c in chunks]
            for f in futures:
                f.result()
    return out


# --------------------------------------------------------------------------- decisions

def _vote(dec, n_classes):
    """libsvm's one-vs-one vote: ``dec > 0`` votes for ``i``, else ``j``; the first maximum wins."""
    votes = np.zeros((dec.shape[0], n_classes), dtype=np.intp)
    for p, (i, j) in enumerate(_pairs(n_classes)):
        win = dec[:, p] > 0
        votes[:, i] += win
        votes[:, j] += ~win
    return np.argmax(votes, axis=1)


def _sigmoid_predict(dec, A, B):
    """Platt's ``1 / (1 + exp(A f + B))``, evaluated as libsvm's ``sigmoid_predict``."""
    fApB = dec * A + B
    pos = fApB >= 0
    e = np.exp(np.where(pos, -fApB, fApB))
    return np.where(pos, e / (1.0 + e), 1.0 / (1.0 + e))


def _multiclass_probability(r):
    """Wu, Lin & Weng's second coupling method, libsvm's ``multiclass_probability``, per row.

    Parameters
    ----------
    r : ndarray of shape (k, k, n_samples)
        ``r[i, j]`` is the pairwise probability of class ``i`` against ``j``
        (``r[j, i] = 1 - r[i, j]``; the diagonal is unused).

    Returns
    -------
    p : ndarray of shape (k, n_samples)

    The fixed-point iteration, its order of operations and its stopping rule
    (``max_t |Qp_t - p'Qp| < 0.005 / k``, at most ``max(100, k)`` sweeps) are
    libsvm's, applied to all rows at once; a row stops when it meets the rule.
    """
    k, n = r.shape[0], r.shape[2]
    Q = np.empty((k, k, n))
    for t in range(k):
        Q[t, t] = 0.0
        for j in range(t):
            Q[t, t] += r[j, t] * r[j, t]
            Q[t, j] = Q[j, t]
        for j in range(t + 1, k):
            Q[t, t] += r[j, t] * r[j, t]
            Q[t, j] = -r[j, t] * r[t, j]
    p = np.full((k, n), 1.0 / k)
    eps = 0.005 / k
    active = np.arange(n)
    for _ in range(max(100, k)):
        Qa, pa = Q[:, :, active], p[:, active]
        Qp = np.zeros((k, active.size))
        pQp = np.zeros(active.size)
        for t in range(k):
            for j in range(k):
                Qp[t] += Qa[t, j] * pa[j]
            pQp += pa[t] * Qp[t]
        max_error = np.max(np.abs(Qp - pQp), axis=0)
        going = max_error >= eps
        if not going.any():
            break
        active, Qa, pa, Qp, pQp = (active[going], Qa[:, :, going], pa[:, going],
                                   Qp[:, going], pQp[going])
        for t in range(k):
            diff = (-Qp[t] + pQp) / Qa[t, t]
            pa[t] += diff
            pQp = (pQp + diff * (diff * Qa[t, t] + 2 * Qp[t])) / (1 + diff) / (1 + diff)
            Qp = (Qp + diff * Qa[t]) / (1 + diff)
            pa /= 1 + diff
        p[:, active] = pa
    return p


def _platt_probability(dec, probA, probB, n_classes):
    """libsvm's ``svm_predict_probability`` for libsvm-signed decision values."""
    r = np.empty((n_classes, n_classes, dec.shape[0]))
    for p, (i, j) in enumerate(_pairs(n_classes)):
        rij = _sigmoid_predict(dec[:, p], probA[p], probB[p])
        r[i, j] = np.minimum(np.maximum(rij, _MIN_PROB), 1 - _MIN_PROB)
        r[j, i] = 1 - r[i, j]
    return _multiclass_probability(r).T


class FastSVC(SVC):
    """C-support vector classification with decisions by blocked matrix products.

    An :class:`sklearn.svm.SVC` in every respect (same parameters, fitted by
    libsvm, clonable, grid-searchable, picklable) except how a fitted model
    decides: ``decision_function``, ``predict``, ``predict_proba`` and
    ``predict_log_proba`` compute the kernel rows of a chunk of samples against
    the support vectors with one matrix product (BLAS, all cores; CuPy on a
    GPU) and the one-vs-one decision values of every class pair with a second
    one, ``K(X, SV) @ C + b``, instead of libsvm's one kernel evaluation and
    one sample at a time. The decisions are libsvm's [1]_: the same decision
    values (to rounding), the same labels with ties broken the same way, and
    the same Platt probabilities [2]_ coupled by Wu, Lin & Weng's method [3]_.

    Any fitted ``SVC`` becomes one without refitting through
    :func:`to_fast_svc`.

    Parameters
    ----------
    C, kernel, degree, gamma, coef0, shrinking, probability, tol, cache_size, \
class_weight, verbose, max_iter, decision_function_shape, break_ties, random_state
        Exactly those of :class:`sklearn.svm.SVC`, with the same meaning and
        defaults; fitting is scikit-learn's (libsvm). ``kernel`` may be
        ``'linear'``, ``'poly'``, ``'rbf'``, ``'sigmoid'``, ``'precomputed'``
        or a callable such as :class:`mmfuse.kernels.Chi2Kernel` or
        :class:`mmfuse.kernels.IntersectionKernel`.

    Attributes
    ----------
    classes_, support_, support_vectors_, n_support_, dual_coef_, intercept_, \
fit_status_, n_iter_, shape_fit_, class_weight_, n_features_in_, feature_names_in_
        As in :class:`sklearn.svm.SVC`.

    See Also
    --------
    to_fast_svc : make the fitted ``SVC`` inside a fitted model fast, in place.
    sklearn.svm.SVC : the estimator this one extends.
    mmfuse.kernels.Chi2Kernel : a histogram kernel to pass as ``kernel``.

    Notes
    -----
    With ``n_SV`` support vectors and ``k`` classes, a chunk of ``m`` rows costs
    one ``(m, d) x (d, n_SV)`` product for the dot-product kernels (for 'rbf'
    ``|x - sv|^2 = |x|^2 + |sv|^2 - 2 x.sv`` after centring both on the mean
    support vector), the kernel's element-wise function, and one
    ``(m, n_SV) x (n_SV, k(k-1)/2)`` product with the one-vs-one coefficients.
    Chunks hold at most ``mmfuse.get_config()['working_memory']`` MiB
    (scikit-learn's ``working_memory`` unless mmfuse's own is set); on the CPU
    they hold at most 1,024 rows and run one per core, each product on one
    BLAS thread. Dense input to the dot-product kernels runs on the GPU of a
    CuPy input, and otherwise on the device of :func:`mmfuse.config_context`
    (CuPy on a GPU); a precomputed kernel, a callable kernel (computed only
    against the support vectors, where scikit-learn computes it against every
    training row) and sparse input (multiplied by SciPy) run on the CPU. The
    outputs follow the input's namespace, as mmfuse's array functions do:
    NumPy for NumPy, SciPy sparse, list or DataFrame input, CuPy for CuPy
    input (copied to the host once for scikit-learn's input validation);
    labels that CuPy cannot hold (strings) stay NumPy. What the support
    vectors contribute (the coefficient matrix, the centred and scaled support
    vectors) is prepared at the first prediction and kept beside the
    estimator, never in it or its pickle, until its fitted state or kernel
    parameters change.

    Decision values differ from libsvm's only by rounding (the terms are
    summed in another order): within 1e-8 of the largest magnitude, and labels
    are identical except where a decision value is itself within that rounding
    of 0. Votes follow ``svm_predict_values``: the pair ``(i, j)`` votes for
    ``i`` when its value is > 0, else for ``j``, and the first class with the
    most votes wins. Probabilities follow ``svm_predict_probability``: Platt's
    sigmoid with ``probA_``/``probB_`` on each pair, clipped to
    ``[1e-7, 1 - 1e-7]``, then the iterative coupling with libsvm's order of
    operations and stopping rule, also for two classes. Where the fitted state
    is not libsvm's C-SVC form (another scikit-learn version changed it),
    scikit-learn's own methods are used.

    References
    ----------
    .. [1] Chang, C.-C., & Lin, C.-J. (2011). LIBSVM: a library for support
       vector machines. *ACM TIST*, 2(3), 27:1-27:27.
       https://doi.org/10.1145/1961189.1961199
    .. [2] Platt, J. C. (1999). Probabilistic outputs for support vector
       machines and comparisons to regularized likelihood methods. In *Advances
       in Large Margin Classifiers*, 61-74. MIT Press.
    .. [3] Wu, T.-F., Lin, C.-J., & Weng, R. C. (2004). Probability estimates
       for multi-class classification by pairwise coupling. *JMLR*, 5,
       975-1005. https://www.jmlr.org/papers/v5/wu04a.html

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.svm import SVC
    >>> from mmfuse.svm import FastSVC
    >>> X, y = load_iris(return_X_y=True)
    >>> fast = FastSVC(C=10).fit(X, y)
    >>> bool((fast.predict(X) == SVC(C=10).fit(X, y).predict(X)).all())
    True
    """

    def _fast_ready(self):
        return (self._impl == "c_svc"
                and all(hasattr(self, a) for a in ("_dual_coef_", "_intercept_", "_n_support",
                                                   "_gamma", "_sparse", "support_")))

    def _ovo(self, X, xp):
        """libsvm-signed one-vs-one values of host ``X`` (validated here, as scikit-learn does)."""
        return _ovo_decision_values(self, self._validate_for_predict(X), xp)

    def decision_function(self, X):
        """Evaluate the decision function for the samples in X (libsvm's values).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features) or \
(n_samples, n_samples_fit)
            The samples; for ``kernel='precomputed'`` their kernel against the
            training rows.

        Returns
        -------
        dec : ndarray of shape (n_samples,) for two classes, (n_samples,
            n_classes) with ``decision_function_shape='ovr'``, else (n_samples,
            n_classes * (n_classes - 1) / 2)
            As :meth:`sklearn.svm.SVC.decision_function`: positive values favour
            ``classes_[1]`` for two classes; 'ovr' is scikit-learn's monotonic
            transform of the one-vs-one values. In the namespace of ``X``
            (NumPy, or CuPy for CuPy input).
        """
        check_is_fitted(self)
        where, X = _dispatch(self, X)
        return where.output(self._host_decision_function(X, where.xp))

    def _host_decision_function(self, X, xp):
        """:meth:`decision_function` of host ``X``, computed in ``xp``; NumPy."""
        if not self._fast_ready():
            return super().decision_function(X)
        dec = self._ovo(X, xp)
        if len(self.classes_) == 2:
            return -dec.ravel()
        if self.decision_function_shape == "ovr":
            return _ovr_decision_function(dec < 0, -dec, len(self.classes_))
        return dec

    def predict(self, X):
        """Class labels for the samples in X by libsvm's one-vs-one vote.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features) or \
(n_samples, n_samples_fit)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            With ``break_ties=True`` (and 'ovr', more than two classes) the
            argmax of :meth:`decision_function`, as in scikit-learn. In the
            namespace of ``X`` (NumPy, or CuPy for CuPy input; labels that
            CuPy cannot hold, such as strings, are NumPy).

        Raises
        ------
        ValueError
            ``break_ties=True`` with ``decision_function_shape='ovo'``.
        """
        check_is_fitted(self)
        if self.break_ties and self.decision_function_shape == "ovo":
            raise ValueError("break_ties must be False when decision_function_shape is 'ovo'")
        where, X = _dispatch(self, X)
        y_pred = self._host_predict(X, where.xp)
        # labels CuPy cannot hold (strings, objects) stay NumPy
        return where.output(y_pred) if y_pred.dtype.kind in "biufc" else y_pred

    def _host_predict(self, X, xp):
        """:meth:`predict` of host ``X``, computed in ``xp``; NumPy."""
        n_classes = len(self.classes_)
        if self.break_ties and self.decision_function_shape == "ovr" and n_classes > 2:
            return self.classes_.take(np.argmax(self._host_decision_function(X, xp), axis=1))
        if not self._fast_ready():
            return super().predict(X)
        X = self._validate_for_predict(X)
        votes = _ovo_decision_values(self, X, xp, lambda dec: _vote(dec, n_classes), tail=())
        return self.classes_.take(votes.astype(np.intp))

    @available_if(SVC._check_proba)
    def predict_proba(self, X):
        """Platt probabilities of the classes for the samples in X, as libsvm computes them.

        Available when the model was fitted with ``probability=True``.

        Parameters
        ----------
        X : {array-like, sparse matrix}
            As for :meth:`predict`.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``. In the namespace of ``X``
            (NumPy, or CuPy for CuPy input).

        Raises
        ------
        sklearn.exceptions.NotFittedError
            The model was fitted without probability information.
        """
        check_is_fitted(self)
        where, X = _dispatch(self, X)
        return where.output(self._host_predict_proba(X, where.xp))

    def _host_predict_proba(self, X, xp):
        """:meth:`predict_proba` of host ``X``, computed in ``xp``; NumPy."""
        if not self._fast_ready():
            return super().predict_proba(X)
        X = self._validate_for_predict(X)
        if self._probA.size == 0 or self._probB.size == 0:
            raise NotFittedError(
                "predict_proba is not available when fitted with probability=False")
        k, A, B = len(self.classes_), np.asarray(self._probA), np.asarray(self._probB)
        return _ovo_decision_values(self, X, xp,
                                    lambda dec: _platt_probability(dec, A, B, k), tail=(k,))

    @classmethod
    def from_svc(cls, svc):
        """A :class:`FastSVC` with the parameters and fitted state of ``svc`` (no refit).

        Parameters
        ----------
        svc : sklearn.svm.SVC
            Fitted or not; its attributes are shared, not copied.

        Returns
        -------
        fast : FastSVC
        """
        if not isinstance(svc, SVC):
            raise TypeError(f"from_svc needs a sklearn.svm.SVC; got {type(svc).__name__}")
        fast = cls.__new__(cls)
        fast.__dict__.update(svc.__dict__)
        return fast


# --------------------------------------------------------------------------- conversion

_ATOMS = (str, bytes, int, float, complex, bool, type(None), np.ndarray, np.generic, type)
_OPAQUE = (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType)


def to_fast_svc(model, *, copy=False):
    """Make every fitted :class:`sklearn.svm.SVC` inside ``model`` a :class:`FastSVC`.

    Walks the model's attributes, lists, tuples and dicts (a ``Pipeline``'s
    steps, a fuser's ``estimators_``/``transformers_``,
    ``CalibratedClassifierCV.calibrated_classifiers_``, ``GridSearchCV``'s
    ``best_estimator_``...) and changes the class of each fitted ``SVC``
    (exactly ``SVC``, not a subclass) to :class:`FastSVC`. Nothing is refitted
    or copied: parameters and fitted arrays stay as they are, every reference
    to the estimator sees the change, and predictions are libsvm's (see
    :class:`FastSVC`). Unfitted ``SVC`` templates (e.g. ``GridSearchCV.estimator``)
    are left alone.

    Parameters
    ----------
    model : object
        A fitted estimator, or any object holding fitted estimators.
    copy : bool, default=False
        Convert a deep copy and leave ``model`` as it is.

    Returns
    -------
    model : object
        ``model`` itself (or its copy), converted.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn.svm import SVC
    >>> from mmfuse.svm import to_fast_svc
    >>> X, y = load_iris(return_X_y=True)
    >>> model = to_fast_svc(make_pipeline(StandardScaler(), SVC()).fit(X, y))
    >>> type(model[-1]).__name__
    'FastSVC'
    """
    if copy:
        model = _copy.deepcopy(model)
    seen, stack = set(), [model]
    while stack:
        obj = stack.pop()
        if isinstance(obj, _ATOMS) or sp.issparse(obj) or id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, dict):
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            stack.extend(obj)
        elif type(obj) is SVC:
            if hasattr(obj, "support_"):
                obj.__class__ = FastSVC
        elif hasattr(obj, "__dict__") and not isinstance(obj, _OPAQUE):
            stack.extend(vars(obj).values())
    return model
