"""Histogram kernels for SVMs on bag-of-words, HOG and other non-negative histogram features.

Every kernel is computed in row chunks sized by ``working_memory`` (see
:func:`mmfuse.config_context`) against the array namespace of the chosen device
(NumPy, or CuPy on a GPU), and returned in the namespace of ``X`` (NumPy for
NumPy, sparse or list input; the rule of :mod:`mmfuse._backend`), so they plug
into ``SVC(kernel=chi2_kernel)`` directly::

    from sklearn.svm import SVC
    from mmfuse.kernels import Chi2Kernel, chi2_kernel
    SVC(kernel=chi2_kernel)                # gamma=1
    SVC(kernel=Chi2Kernel(gamma=0.5))      # picklable, grid-searchable gamma
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from numbers import Integral, Real

from ._backend import asarray, chunk_n_rows, dispatch, get_namespace, to_numpy
from ._compat import DEVICE_CONSTRAINT, Interval, StrOptions
from ._validation import validate_params

__all__ = ["KERNELS", "Chi2Kernel", "IntersectionKernel", "chi2_distance", "chi2_kernel",
           "intersection_kernel",
           "kernel_diagonal", "pairwise_kernel"]

#: Kernel names understood by :func:`pairwise_kernel` and :func:`kernel_diagonal`.
KERNELS = ("linear", "rbf", "poly", "chi2", "intersection")


def _check_pair(X, Y, name, nonnegative=True):
    Xs = X if sp.issparse(X) else np.asarray(to_numpy(X), dtype=np.float64)
    Y = X if Y is None else Y
    Ys = Y if sp.issparse(Y) else np.asarray(to_numpy(Y), dtype=np.float64)
    for label, A in (("X", Xs), ("Y", Ys)):
        if A.ndim != 2:
            raise ValueError(f"{name}: {label} must be 2-D (n_samples, n_features); got shape "
                             f"{A.shape}")
        data = A.data if sp.issparse(A) else A
        if not np.all(np.isfinite(data)):
            raise ValueError(f"{name}: {label} contains NaN or infinite values")
        if nonnegative and data.size and data.min() < 0:
            raise ValueError(f"{name}: {label} contains negative values; the kernel is "
                             "defined on non-negative histograms (e.g. BoVW counts, HOG)")
    if Xs.shape[1] != Ys.shape[1]:
        raise ValueError(f"{name}: X has {Xs.shape[1]} features but Y has {Ys.shape[1]}")
    return Xs, Ys


def _dense(A, rows, xp):
    block = A[rows] if rows is not None else A
    if sp.issparse(block):
        block = block.toarray()
    return asarray(block, xp, dtype=np.float64)


def _pairwise(X, Y, device, name, fn, cpu_fn=None, *, nonnegative=True, sparse_fn=None,
              post=None):
    """Chunked ``fn(xp, X_chunk, Y)``, returned in ``X``'s namespace.

    ``cpu_fn(X_chunk, Y)`` replaces ``fn`` on NumPy if given.
    ``sparse_fn(X_chunk, Y)``, when given, takes over whenever X or Y is a SciPy
    sparse matrix: it runs on the CPU on the sparse rows themselves (a TF-IDF
    block is far too wide to densify), whatever the device. ``post(K)`` is
    applied in place to the float64 NumPy result before it is returned.
    """
    in_xp = get_namespace(X)  # Y (often the training rows) may live anywhere
    Xs, Ys = _check_pair(X, Y, name, nonnegative=nonnegative)
    n = Xs.shape[0]
    out = np.empty((n, Ys.shape[0]), dtype=np.float64)
    # the kernel block plus four temporaries of (rows, n_Y) float64 per chunk
    step = chunk_n_rows(Ys.shape[0] * 8 * 5)
    if sparse_fn is not None and (sp.issparse(Xs) or sp.issparse(Ys)):
        Ys = sp.csr_matrix(Ys)
        for start in range(0, n, step):
            Xc = sp.csr_matrix(Xs[start:min(n, start + step)])
            out[start:start + Xc.shape[0]] = sparse_fn(Xc, Ys)
    else:
        where = dispatch(X, device=device)
        xp = where.xp
        Yd = _dense(Ys, None, xp)
        if cpu_fn is not None and where.on_cpu:
            fn = lambda _xp, Xc, Yc: cpu_fn(Xc, Yc)  # noqa: E731
        for start in range(0, n, step):
            Xc = _dense(Xs, slice(start, min(n, start + step)), xp)
            out[start:start + Xc.shape[0]] = to_numpy(fn(xp, Xc, Yd))
    if post is not None:
        post(out)
    return asarray(out, in_xp)


def _chi2_block(xp, Xc, Yd):
    """``-sum_k (x_k - y_k)^2 / (x_k + y_k)`` for a chunk (terms with x_k + y_k = 0 are 0).

    One pass per feature over ``(rows, n_Y)`` arrays keeps the temporaries small
    (a ``(rows, n_Y, d)`` broadcast is several times slower on a CPU).
    """
    K = xp.zeros((Xc.shape[0], Yd.shape[0]), dtype=Xc.dtype)
    for k in range(Xc.shape[1]):
        a = Xc[:, k][:, None]
        b = Yd[:, k][None, :]
        den = a + b
        num = a - b
        pos = den > 0
        K -= xp.where(pos, num * num / xp.where(pos, den, 1.0), 0.0)
    return K


def _chi2_cpu(Xc, Yd):
    """scikit-learn's compiled additive chi2 (faster than NumPy passes on a CPU)."""
    from sklearn.metrics.pairwise import additive_chi2_kernel  # noqa: PLC0415

    # the compiled kernel needs writable buffers (read-only memmaps are common input)
    return additive_chi2_kernel(np.require(Xc, requirements="W"),
                                np.require(Yd, requirements="W"))


def _intersection_block(xp, Xc, Yd):
    """``sum_k min(x_k, y_k)`` for a chunk, one pass per feature."""
    K = xp.zeros((Xc.shape[0], Yd.shape[0]), dtype=Xc.dtype)
    for k in range(Xc.shape[1]):
        K += xp.minimum(Xc[:, k][:, None], Yd[:, k][None, :])
    return K


#: The inputs of every pairwise function.
_PAIR_CONSTRAINTS = {
    "X": ["array-like", "sparse matrix"],
    "Y": ["array-like", "sparse matrix", None],
    "device": DEVICE_CONSTRAINT,
}

#: Docstring pieces that every pairwise function shares (``%(name)s`` in its docstring).
_DOCS = {
    "pair": """X : array-like or sparse matrix of shape (n_samples_X, n_features)
        Non-negative features.
    Y : array-like or sparse matrix of shape (n_samples_Y, n_features), default=None
        None means ``X``.""",
    "device": """device : {'auto', 'cpu', 'cuda'} or None, default=None
        Where to compute (``'auto'``: the GPU when CuPy sees one; None: the
        GPU of a CuPy ``X``, else the device of :func:`mmfuse.config_context`).""",
    "namespace": "In the namespace of ``X``: NumPy for NumPy, sparse or list input, "
                 "CuPy for CuPy.",
}
_DOCS["K"] = """Returns
    -------
    K : array of float64, shape (n_samples_X, n_samples_Y)
        %(namespace)s""" % _DOCS


def _shared_doc(func):
    """Fill the ``%(name)s`` pieces of ``func``'s docstring from :data:`_DOCS`."""
    func.__doc__ = func.__doc__ % _DOCS
    return func


@validate_params(
    {**_PAIR_CONSTRAINTS, "gamma": [Interval(Real, 0, None, closed="neither")]},
    prefer_skip_nested_validation=True,
)
@_shared_doc
def chi2_kernel(X, Y=None, gamma=1.0, device=None):
    """Exponential chi-squared kernel ``k(x, y) = exp(-gamma * sum_k (x_k - y_k)^2 / (x_k + y_k))``.

    The standard kernel for histogram features (bags of visual words, HOG)
    [1]_ [2]_; equal to :func:`sklearn.metrics.pairwise.chi2_kernel`.

    Parameters
    ----------
    %(pair)s
    gamma : float > 0, default=1.0
        Finite and positive (0 would make every pair similarity 1).
    %(device)s

    %(K)s

    Raises
    ------
    ValueError
        negative or non-finite values, mismatched widths, or a bad parameter
        (named in the message, e.g. ``gamma`` NaN, infinite or <= 0).

    Notes
    -----
    Terms where ``x_k + y_k = 0`` count as 0, as in scikit-learn. The work is
    done in chunks of X rows whose ``(rows, n_Y)`` temporaries fit in
    ``working_memory`` MiB (sparse input is densified one chunk at a time). On
    the CPU each chunk goes to scikit-learn's compiled
    :func:`~sklearn.metrics.pairwise.additive_chi2_kernel` (faster than NumPy
    passes); on a GPU the same formula runs in CuPy. Vedaldi & Zisserman's explicit feature maps
    (:class:`sklearn.kernel_approximation.AdditiveChi2Sampler`) approximate
    the additive version for large data; this computes the exact kernel.

    References
    ----------
    .. [1] Zhang, J., Marszałek, M., Lazebnik, S., & Schmid, C. (2007). Local features
       and kernels for classification of texture and object categories: a
       comprehensive study. *IJCV*, 73(2), 213-238.
       https://doi.org/10.1007/s11263-006-9794-4
    .. [2] Vedaldi, A., & Zisserman, A. (2012). Efficient additive kernels via
       explicit feature maps. *IEEE TPAMI*, 34(3), 480-492.
       https://doi.org/10.1109/TPAMI.2011.153

    Examples
    --------
    >>> import numpy as np
    >>> from mmfuse.kernels import chi2_kernel
    >>> chi2_kernel(np.array([[1.0, 0.0], [0.5, 0.5]]), gamma=0.5).round(4).tolist()
    [[1.0, 0.7165], [0.7165, 1.0]]
    """
    gamma = float(gamma)

    def exp(K):
        K *= gamma
        np.exp(K, out=K)

    return _pairwise(X, Y, device, "chi2_kernel", _chi2_block, cpu_fn=_chi2_cpu, post=exp)


@validate_params(_PAIR_CONSTRAINTS, prefer_skip_nested_validation=True)
@_shared_doc
def intersection_kernel(X, Y=None, device=None):
    """Histogram intersection kernel ``k(x, y) = sum_k min(x_k, y_k)``.

    A positive-definite kernel for non-negative histograms [1]_, popular with
    bags of visual words and spatial pyramids (Lazebnik et al. 2006).

    Parameters
    ----------
    %(pair)s
    %(device)s

    %(K)s

    References
    ----------
    .. [1] Swain, M. J., & Ballard, D. H. (1991). Color indexing. *IJCV*, 7(1),
       11-32. https://doi.org/10.1007/BF00130487
    .. [2] Lazebnik, S., Schmid, C., & Ponce, J. (2006). Beyond bags of features:
       spatial pyramid matching for recognizing natural scene categories. *CVPR*,
       2169-2178. https://doi.org/10.1109/CVPR.2006.68
    """
    return _pairwise(X, Y, device, "intersection_kernel", _intersection_block)


def _row_sq_norms(xp, A):
    return (A * A).sum(axis=1)


def _dot_block(params):
    """``(xp, Xc, Yd) -> kernel chunk`` of a dot-product kernel (linear, rbf, poly)."""
    kernel, gamma, degree, coef0 = (params[k] for k in ("kernel", "gamma", "degree", "coef0"))

    def block(xp, Xc, Yd):
        G = Xc @ Yd.T
        if kernel == "linear":
            return G
        if kernel == "poly":
            return (gamma * G + coef0) ** degree
        D = _row_sq_norms(xp, Xc)[:, None] + _row_sq_norms(xp, Yd)[None, :] - 2.0 * G
        return xp.exp(-gamma * xp.maximum(D, 0.0))

    def sparse(Xc, Ys):
        G = np.asarray((Xc @ Ys.T).toarray(), dtype=np.float64)
        if kernel == "linear":
            return G
        if kernel == "poly":
            return (gamma * G + coef0) ** degree
        nx = np.asarray(Xc.multiply(Xc).sum(axis=1)).ravel()
        ny = np.asarray(Ys.multiply(Ys).sum(axis=1)).ravel()
        return np.exp(-gamma * np.maximum(nx[:, None] + ny[None, :] - 2.0 * G, 0.0))

    return block, sparse


#: The values each parameter of a named kernel accepts (gamma None: a kernel without one).
_KERNEL_CONSTRAINTS = {
    "kernel": [StrOptions(set(KERNELS))],
    "gamma": [Interval(Real, 0, None, closed="neither"), None],
    "degree": [Interval(Integral, 1, None, closed="left")],
    "coef0": [Interval(Real, None, None, closed="neither")],
}


def _check_kernel_params(kernel, gamma, degree, coef0):
    """The kernel's parameters as plain numbers (their ranges are checked by the decorator)."""
    if kernel in ("rbf", "poly", "chi2") and gamma is None:
        raise ValueError(f"kernel={kernel!r} needs a number gamma > 0; got None")
    return {"kernel": kernel, "gamma": None if gamma is None else float(gamma),
            "degree": int(degree), "coef0": float(coef0)}


@validate_params({**_PAIR_CONSTRAINTS, **_KERNEL_CONSTRAINTS},
                 prefer_skip_nested_validation=True)
@_shared_doc
def pairwise_kernel(X, Y=None, *, kernel="rbf", gamma=1.0, degree=3, coef0=0.0,
                    device=None):
    """The kernel matrix between the rows of ``X`` and ``Y``, in memory-bounded chunks.

    ==================  ==================================================  ======================
    ``kernel``          ``k(x, y)``                                         parameters used
    ==================  ==================================================  ======================
    ``'linear'``        ``<x, y>``                                          none
    ``'rbf'``           ``exp(-gamma ||x - y||^2)``                         ``gamma``
    ``'poly'``          ``(gamma <x, y> + coef0) ^ degree``                 ``gamma, degree,
                                                                            coef0``
    ``'chi2'``          ``exp(-gamma sum_k (x_k - y_k)^2 / (x_k + y_k))``   ``gamma``
    ``'intersection'``  ``sum_k min(x_k, y_k)``                             none
    ==================  ==================================================  ======================

    The names and parameters mean what they mean in
    :func:`sklearn.metrics.pairwise.pairwise_kernels` (``'intersection'``
    is :func:`intersection_kernel`, which scikit-learn lacks); the values are
    equal to scikit-learn's.

    Parameters
    ----------
    X : array-like or sparse matrix of shape (n_samples_X, n_features)
    Y : array-like or sparse matrix of shape (n_samples_Y, n_features), default=None
        None means ``X``.
    kernel : {'linear', 'rbf', 'poly', 'chi2', 'intersection'}, default='rbf'
        The kernel (table above).
    gamma : float > 0, default=1.0
        Scale of ``'rbf'``, ``'poly'`` and ``'chi2'``.
    degree : int >= 1, default=3
        Degree of ``'poly'``.
    coef0 : float, default=0.0
        Offset of ``'poly'``.
    %(device)s

    %(K)s

    Raises
    ------
    ValueError
        an unknown kernel or parameter, NaN/infinite values, mismatched widths,
        or negative values for ``'chi2'``/``'intersection'``.

    Notes
    -----
    Rows of ``X`` are processed in chunks whose ``(rows, n_Y)`` temporaries fit
    in ``working_memory`` MiB (:func:`mmfuse.config_context`), with the array
    namespace of ``device`` (CuPy on a GPU). Sparse input to the dot-product
    kernels (``'linear'``, ``'rbf'``, ``'poly'``) stays sparse and is
    multiplied by SciPy on the CPU; sparse input to the histogram kernels is
    densified one chunk at a time.

    Examples
    --------
    >>> import numpy as np
    >>> from mmfuse.kernels import pairwise_kernel
    >>> pairwise_kernel(np.array([[0.0, 1.0], [1.0, 1.0]]), kernel="rbf", gamma=0.5).round(4)
    array([[1.    , 0.6065],
           [0.6065, 1.    ]])
    """
    params = _check_kernel_params(kernel, gamma, degree, coef0)
    if kernel == "chi2":
        return chi2_kernel(X, Y, gamma=params["gamma"], device=device)
    if kernel == "intersection":
        return intersection_kernel(X, Y, device=device)
    block, sparse = _dot_block(params)
    return _pairwise(X, Y, device, f"pairwise_kernel(kernel={kernel!r})", block,
                     nonnegative=False, sparse_fn=sparse)


@validate_params(_PAIR_CONSTRAINTS, prefer_skip_nested_validation=True)
@_shared_doc
def chi2_distance(X, Y=None, device=None):
    """``sum_k (x_k - y_k)^2 / (x_k + y_k)`` between rows.

    :func:`chi2_kernel` is ``exp(-gamma *`` this ``)``.

    Computed in chunks as :func:`chi2_kernel`.

    Parameters
    ----------
    %(pair)s
    %(device)s

    Returns
    -------
    D : array of float64, shape (n_samples_X, n_samples_Y)
        Non-negative distances.
        %(namespace)s

    Raises
    ------
    ValueError
        Negative or non-finite values, or mismatched widths.
    """
    def negate(D):
        np.negative(D, out=D)
        np.maximum(D, 0.0, out=D)

    return _pairwise(X, Y, device, "chi2_distance", _chi2_block, cpu_fn=_chi2_cpu,
                     post=negate)


@validate_params({"X": ["array-like", "sparse matrix"], **_KERNEL_CONSTRAINTS},
                 prefer_skip_nested_validation=True)
@_shared_doc
def kernel_diagonal(X, *, kernel="rbf", gamma=1.0, degree=3, coef0=0.0):
    """``k(x, x)`` for every row of ``X``, without the ``(n, n)`` matrix.

    Parameters
    ----------
    X : array-like or sparse matrix of shape (n_samples, n_features)
    kernel, gamma, degree, coef0
        As in :func:`pairwise_kernel`.

    Returns
    -------
    diag : array of float64, shape (n_samples,)
        ``||x||^2`` (linear), 1 (rbf, chi2), ``sum_k x_k`` (intersection),
        ``(gamma ||x||^2 + coef0) ^ degree`` (poly).
        %(namespace)s
    """
    params = _check_kernel_params(kernel, gamma, degree, coef0)
    return asarray(_diagonal(X, params), get_namespace(X))


def _diagonal(X, params):
    """:func:`kernel_diagonal` in NumPy."""
    kernel = params["kernel"]
    n = X.shape[0]
    if kernel in ("rbf", "chi2"):
        return np.ones(n)
    if sp.issparse(X):
        Xc = sp.csr_matrix(X)
        sq = np.asarray(Xc.multiply(Xc).sum(axis=1), dtype=np.float64).ravel()
        total = np.asarray(Xc.sum(axis=1), dtype=np.float64).ravel()
    else:
        A = np.asarray(to_numpy(X), dtype=np.float64)
        sq = np.einsum("ij,ij->i", A, A)
        total = A.sum(axis=1)
    if kernel == "linear":
        return sq
    if kernel == "intersection":
        return total
    return (params["gamma"] * sq + params["coef0"]) ** params["degree"]


class Chi2Kernel:
    """Picklable callable ``chi2_kernel`` with fixed ``gamma``, for ``SVC(kernel=...)``.

    Grid-search ``gamma`` as ``{'svc__kernel': [Chi2Kernel(gamma=g) for g in (0.1, 1)]}``.

    Parameters
    ----------
    gamma : float > 0, default=1.0
        As in :func:`chi2_kernel`.
    device : {'auto', 'cpu', 'cuda'} or None, default=None
        As in :func:`chi2_kernel`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.svm import SVC
    >>> from mmfuse.kernels import Chi2Kernel
    >>> X = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    >>> SVC(kernel=Chi2Kernel(gamma=0.5)).fit(X, [0, 0, 1, 1]).predict([[0.8, 0.2]])
    array([0])
    """

    def __init__(self, gamma=1.0, device=None):
        self.gamma = gamma
        self.device = device

    def __call__(self, X, Y=None):
        return chi2_kernel(X, Y, gamma=self.gamma, device=self.device)

    def __repr__(self):
        return f"Chi2Kernel(gamma={self.gamma!r}, device={self.device!r})"

    def __eq__(self, other):
        return (type(other) is type(self) and other.gamma == self.gamma
                and other.device == self.device)

    def __hash__(self):
        return hash((type(self).__name__, self.gamma, self.device))


class IntersectionKernel:
    """Picklable callable :func:`intersection_kernel` with a ``device``, for ``SVC(kernel=...)``.

    Parameters
    ----------
    device : {'auto', 'cpu', 'cuda'} or None, default=None
        As in :func:`intersection_kernel`.
    """

    def __init__(self, device=None):
        self.device = device

    def __call__(self, X, Y=None):
        return intersection_kernel(X, Y, device=self.device)

    def __repr__(self):
        return f"IntersectionKernel(device={self.device!r})"

    def __eq__(self, other):
        return type(other) is type(self) and other.device == self.device

    def __hash__(self):
        return hash((type(self).__name__, self.device))
