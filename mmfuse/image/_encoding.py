"""Codebook encoders of local descriptors: bag of visual words, VLAD and Fisher vectors.

Each image gives a variable number (possibly 0) of local descriptors (e.g. SIFT);
an encoder turns that set into one fixed-length vector:

``BoVWEncoder``
    histogram of nearest visual words (hard) or kernel-codebook weights (soft)
    [1]_ [2]_.
``VLADEncoder``
    per word, the sum of residuals to the word's centre; signed power and
    intra-normalisation, then L2 [3]_ [4]_.
``FisherEncoder``
    gradients of a diagonal GMM's log-likelihood w.r.t. means and variances;
    signed square root and L2 ("improved" Fisher vector) [5]_.

Input is a list of ``(n_i, d)`` descriptor arrays (``n_i`` may be 0; an empty
set encodes to an all-zero row) or a 3-D stack; a 2-D numeric array is read as
one descriptor per sample, which is also what scikit-learn's estimator checks
feed. The codebooks are fitted with :class:`~sklearn.cluster.MiniBatchKMeans` or
:class:`~sklearn.mixture.GaussianMixture` on a seeded random sample of at most
``max_fit_descriptors`` descriptors and stored as NumPy arrays. Encoding is
written once against the backend array namespace (NumPy or CuPy): assignment is
a chunked GEMM (:func:`assign`), the per-image statistics a batched matrix
product over zero-padded descriptor sets. Every encoder also encodes a set per
cell of a spatial pyramid [6]_ (:meth:`~VLADEncoder.transform_pyramid`), given the
descriptors' positions in their images.

References
----------
.. [1] Csurka, G., Dance, C., Fan, L., Willamowski, J., & Bray, C. (2004). Visual
   categorization with bags of keypoints. *ECCV Workshop on Statistical Learning in
   Computer Vision*.
.. [2] van Gemert, J. C., Veenman, C. J., Smeulders, A. W. M., & Geusebroek, J.-M.
   (2010). Visual word ambiguity. *IEEE TPAMI*, 32(7), 1271-1283.
   https://doi.org/10.1109/TPAMI.2009.132
.. [3] Jégou, H., Douze, M., Schmid, C., & Pérez, P. (2010). Aggregating local
   descriptors into a compact image representation. *CVPR*, 3304-3311.
   https://doi.org/10.1109/CVPR.2010.5540039
.. [4] Arandjelović, R., & Zisserman, A. (2013). All about VLAD. *CVPR*, 1578-1585.
   https://doi.org/10.1109/CVPR.2013.207
.. [5] Perronnin, F., Sánchez, J., & Mensink, T. (2010). Improving the Fisher kernel
   for large-scale image classification. *ECCV*, 143-156.
   https://doi.org/10.1007/978-3-642-15561-1_11
.. [6] Lazebnik, S., Schmid, C., & Ponce, J. (2006). Beyond bags of features: spatial
   pyramid matching for recognizing natural scene categories. *CVPR*, 2169-2178.
   https://doi.org/10.1109/CVPR.2006.68
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .._backend import asarray, chunk_n_rows, device_of, dispatch, is_numpy_namespace, to_numpy
from .._compat import DEVICE_CONSTRAINT, Interval, StrOptions, _fit_context, validate_data
from .._validation import validate_params

__all__ = ["BoVWEncoder", "FisherEncoder", "VLADEncoder", "assign"]

_EPS = 1e-12


# --------------------------------------------------------------------------- assignment

@validate_params(
    {
        "X": ["array-like", "sparse matrix"],
        "centers": ["array-like"],
        "device": DEVICE_CONSTRAINT,
        "return_distances": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def assign(X, centers, *, device=None, return_distances=False):
    """Index of the nearest centre of every row of ``X`` (squared Euclidean distance).

    Distances are computed as ``‖x‖² − 2 x·cᵀ + ‖c‖²``, one GEMM per chunk of
    rows, in the array namespace of ``device``; a chunk's distance matrix uses at
    most ``get_config()['working_memory']`` MiB (:func:`mmfuse._backend.chunk_n_rows`),
    so memory stays bounded whatever the number of rows.

    Parameters
    ----------
    X : array or sparse matrix of shape (n_samples, n_features)
        Descriptors (NumPy, CuPy or SciPy sparse, as ``KMeans.predict`` takes).
        float32 input is computed in float32, other input in float64. A sparse
        ``X`` is multiplied as it is on the CPU; on a GPU each chunk of rows is
        made dense.
    centers : array of shape (n_centers, n_features)
    device : {'auto', 'cpu', 'cuda'} or None, default=None
        Where to compute; ``None`` uses the device ``X`` lives on (a NumPy or
        sparse ``X`` with the configured device).
    return_distances : bool, default=False
        Also return the squared distance to the nearest centre.

    Returns
    -------
    labels : array of int64, shape (n_samples,)
        In the namespace of ``X`` (NumPy for NumPy or sparse ``X``, CuPy for CuPy).
    distances : array of shape (n_samples,), only with ``return_distances``
        In the namespace of ``X``.

    Raises
    ------
    ValueError
        ``X`` and ``centers`` not 2-D with the same number of columns, or a bad
        parameter (named in the message).
    """
    import scipy.sparse as sp  # noqa: PLC0415

    sparse = sp.issparse(X)
    where = dispatch(X, device=device)
    xp = where.xp
    if sparse:
        X = sp.csr_matrix(X)
        dtype = xp.float32 if X.dtype == np.float32 else xp.float64
        X = X.astype(dtype, copy=False)
    else:
        X = where.put(X)
        dtype = xp.float32 if X.dtype == xp.float32 else xp.float64
        X = X.astype(dtype, copy=False)
    C = where.put(centers).astype(dtype)
    if X.ndim != 2 or C.ndim != 2 or X.shape[1] != C.shape[1]:
        raise ValueError(f"X {tuple(X.shape)} and centers {tuple(C.shape)} must be 2-D "
                         "with the same number of columns")
    n, k = X.shape[0], C.shape[0]
    # ‖c‖² rides along in the GEMM as an extra row: [x, 1] · [[−2cᵀ], [‖c‖²]]
    # (‖x‖² does not change the argmin; it is added back for the distances)
    A = xp.concatenate([(-2 * C).T, (C * C).sum(axis=1)[None, :]], axis=0)
    labels = xp.empty(n, dtype=xp.int64)
    dists = xp.empty(n, dtype=dtype) if return_distances else None
    itemsize = 4 if dtype == xp.float32 else 8
    # ~1,000 rows per core keep the distance block near the cache on the CPU; the GPU
    # prefers the largest chunk the memory budget allows
    cap = min(max(n, 1), 1024) if where.on_cpu else max(n, 1)
    step = chunk_n_rows((k + X.shape[1] + 1) * itemsize, max_n_rows=cap)

    def run(bounds):
        start, stop = bounds
        x = X[start:stop]
        if sparse and is_numpy_namespace(xp):
            d = np.asarray(x @ A[:-1])  # sparse x dense: the zeros cost nothing
            d += A[-1]
            sq = np.asarray(x.multiply(x).sum(axis=1)).ravel() if return_distances else None
        else:
            if sparse:  # CuPy: this chunk of rows, dense, on the device
                x = xp.asarray(x.toarray())
            Xa = xp.empty((x.shape[0], X.shape[1] + 1), dtype=dtype)
            Xa[:, :-1] = x
            Xa[:, -1] = 1
            d = Xa @ A
            sq = (x * x).sum(axis=1) if return_distances else None
        lab = xp.argmin(d, axis=1)
        labels[start:stop] = lab
        if return_distances:
            best = xp.take_along_axis(d, lab[:, None], axis=1)[:, 0]
            dists[start:stop] = xp.maximum(best + sq, 0)

    chunks = [(a, min(a + step, n)) for a in range(0, n, step)]
    if is_numpy_namespace(xp) and len(chunks) > 1 and not sparse:
        # as KMeans.predict does with OpenMP: one chunk per core, each GEMM on one BLAS
        # thread, so the argmin and the copies run in parallel too (NumPy drops the GIL)
        from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

        from joblib import cpu_count  # noqa: PLC0415
        from threadpoolctl import threadpool_limits  # noqa: PLC0415

        workers = max(1, min(cpu_count(), len(chunks)))
        with threadpool_limits(limits=1, user_api="blas"), \
                ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(run, chunks))
    else:
        for bounds in chunks:
            run(bounds)
    if return_distances:
        return where.output(labels), where.output(dists)
    return where.output(labels)


# --------------------------------------------------------------------------- input

def _as_descriptor_sets(X, estimator, *, reset):
    """Normalise encoder input to a list of 2-D float arrays (one per sample).

    A list/tuple/object array of ``(n_i, d)`` arrays is a list of descriptor sets;
    a 3-D numeric array ``(n_samples, n_i, d)`` is read the same way; a 2-D
    numeric array is one descriptor per sample (row).
    """
    import scipy.sparse as sp  # noqa: PLC0415

    if sp.issparse(X):
        raise TypeError("sparse input is not supported: pass dense descriptor arrays "
                        "(X.toarray())")
    if (hasattr(X, "__array__") and not isinstance(X, np.ndarray)
            and not hasattr(X, "iloc") and not hasattr(X, "get")):
        X = np.asarray(X)  # array-likes (not CuPy) are read as arrays
    if (isinstance(X, (list, tuple)) and X
            and all(np.ndim(x) == 1 and not hasattr(x, "device") for x in X)):
        X = np.asarray(X)  # a nested list of rows is a 2-D matrix
    if isinstance(X, np.ndarray) and X.ndim == 1 and X.dtype != object:
        validate_data(estimator, X, reset=reset)  # raises "Expected 2D array ..."
    if _is_descriptor_matrix(X):
        X = validate_data(estimator, X, reset=reset, dtype=[np.float64, np.float32])
        sets = [X[i:i + 1] for i in range(X.shape[0])]
    else:
        # a list of sets has no column count: n_features_in_ only describes 2-D input
        if reset:
            for attr in ("n_features_in_", "feature_names_in_"):
                if hasattr(estimator, attr):
                    delattr(estimator, attr)
        if isinstance(X, np.ndarray) and X.dtype != object and X.ndim == 3:
            sets = list(X)
        elif isinstance(X, (list, tuple)) or (isinstance(X, np.ndarray) and X.dtype == object):
            sets = list(X)
        elif hasattr(X, "shape") and len(X.shape) == 3:  # CuPy stack
            sets = list(to_numpy(X))
        else:
            raise ValueError(
                f"expected a list of (n_descriptors, n_dims) arrays, a 3-D array or a 2-D "
                f"array of one descriptor per sample; got {type(X).__name__}")
        if len(sets) == 0:
            raise ValueError("got 0 samples; at least one is required")
        out = []
        for i, s in enumerate(sets):
            a = to_numpy(s) if s is not None else np.zeros((0, 0))
            if a.ndim == 1 and a.size == 0:
                a = a.reshape(0, 0)
            if a.ndim != 2:
                raise ValueError(f"sample {i}: descriptor set must be 2-D (n, n_dims); got "
                                 f"shape {a.shape}")
            if not np.issubdtype(a.dtype, np.number):
                raise ValueError(f"sample {i}: descriptors must be numeric; got {a.dtype}")
            if a.size and not np.isfinite(a).all():
                raise ValueError(f"sample {i}: descriptors contain NaN or infinity")
            out.append(a if a.dtype in (np.float32, np.float64) else a.astype(np.float64))
        sets = out
    dims = {a.shape[1] for a in sets if a.shape[0] > 0}
    if len(dims) > 1:
        raise ValueError(f"descriptor sets have different dimensions {sorted(dims)}")
    dim = dims.pop() if dims else None
    if not reset and dim is not None and dim != estimator.n_descriptor_dims_:
        raise ValueError(f"descriptors have {dim} dimensions; this encoder was fitted on "
                         f"{estimator.n_descriptor_dims_}")
    return sets, dim


def _is_descriptor_matrix(X):
    """A 2-D array of numbers (not an object array holding descriptor sets)."""
    if hasattr(X, "iloc") and getattr(X, "ndim", 1) == 2:
        return True  # a DataFrame of descriptor columns
    if not isinstance(X, np.ndarray) or X.ndim != 2:
        return False
    return X.dtype != object or X.size == 0 or not hasattr(X.flat[0], "shape")


def _sample_descriptors(sets, max_n, random_state):
    """A seeded sample of at most ``max_n`` descriptors drawn uniformly from all sets."""
    sizes = np.array([len(s) for s in sets])
    total = int(sizes.sum())
    rng = check_random_state(random_state)
    if total <= max_n:
        return np.concatenate([s for s in sets if len(s)], axis=0)
    pick = np.sort(rng.choice(total, size=max_n, replace=False))
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    owner = np.searchsorted(offsets, pick, side="right") - 1
    return np.stack([sets[o][p - offsets[o]] for o, p in zip(owner, pick)])


# --------------------------------------------------------------------------- base

class _CodebookEncoder(TransformerMixin, BaseEstimator):
    """Shared fit/transform of the codebook encoders (see the module docstring)."""

    _parameter_constraints: dict = {
        "max_fit_descriptors": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "device": [StrOptions({"auto", "cpu", "cuda"}), None],
    }
    _prefix = "enc"
    _n_name = "n_words"

    # -- fitting ------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the codebook on a sample of the descriptors of all sets.

        Parameters
        ----------
        X : list of arrays of shape (n_i, n_dims), 3-D array, or 2-D array
            Descriptor sets, one per sample (``n_i`` may be 0). A 2-D array is
            read as one descriptor per sample.
        y : ignored

        Returns
        -------
        self
        """
        sets, dim = _as_descriptor_sets(X, self, reset=True)
        if dim is None:
            raise ValueError("every descriptor set is empty; there is nothing to fit a "
                             "codebook on")
        sample = _sample_descriptors(sets, self.max_fit_descriptors, self.random_state)
        n_words = getattr(self, self._n_name)
        if sample.shape[0] < n_words:
            raise ValueError(
                f"{type(self).__name__} needs at least {self._n_name}={n_words} descriptors "
                f"to fit its codebook; got {sample.shape[0]} (n_samples={len(sets)}). "
                f"Lower {self._n_name} or fit on more data")
        self.n_descriptor_dims_ = dim
        self._fit_codebook(np.asarray(sample, dtype=np.float64))
        return self

    def _fit_kmeans(self, sample):
        from sklearn.cluster import MiniBatchKMeans  # noqa: PLC0415

        km = MiniBatchKMeans(n_clusters=self.n_words, random_state=self.random_state,
                             n_init=1, batch_size=min(4096, len(sample)))
        km.fit(sample)
        return np.asarray(km.cluster_centers_, dtype=np.float64)

    # -- transform ----------------------------------------------------------------
    def transform(self, X):
        """Encode each descriptor set as one vector.

        Parameters
        ----------
        X : list of arrays of shape (n_i, n_dims), 3-D array, or 2-D array

        Returns
        -------
        codes : ndarray of float32, shape (n_samples, n_features_out)
            An empty set gives an all-zero row.
        """
        check_is_fitted(self, "n_descriptor_dims_")
        sets, _ = _as_descriptor_sets(X, self, reset=False)
        return self._encode_sets(sets, None, 1)[:, 0].reshape(len(sets), -1)

    def _encode_sets(self, sets, memberships, n_regions, xp=None):
        """Encode sets with per-descriptor region memberships (for spatial pyramids).

        ``memberships[i]`` is an ``(n_i, n_regions)`` 0/1 array (None: one region
        holding every descriptor). Returns ``(n_sets, n_regions, block)`` float32
        NumPy blocks, each normalised as the encoder prescribes.
        """
        if xp is None:
            xp = dispatch(device=self.device).xp
        d = self.n_descriptor_dims_
        k = getattr(self, self._n_name)
        out = np.zeros((len(sets), n_regions, self._block_size()), dtype=np.float32)
        order = np.argsort([len(s) for s in sets], kind="stable")
        per_desc = 8 * (n_regions * k * 2 + d * 3 + k * 2)
        budget = chunk_n_rows(per_desc)  # descriptors (padding included) per batch
        pos = 0
        while pos < len(order):
            n_max = max(1, len(sets[order[min(pos, len(order) - 1)]]))
            # sets sorted by size: grow the batch while it fits the budget
            end = pos + 1
            while end < len(order):
                n_next = max(1, len(sets[order[end]]))
                if (end - pos + 1) * n_next > budget:
                    break
                n_max = n_next
                end += 1
            idx = order[pos:end]
            n_max = max(1, max(len(sets[i]) for i in idx))
            B = len(idx)
            D = np.zeros((B, n_max, d), dtype=np.float64)
            M = np.zeros((B, n_max, n_regions), dtype=np.float64)
            for b, i in enumerate(idx):
                s = sets[i]
                if len(s):
                    D[b, :len(s)] = s
                    M[b, :len(s)] = 1.0 if memberships is None else memberships[i]
            Dx = asarray(D, xp)
            Mx = asarray(M, xp)
            blocks = self._encode_padded(Dx, Mx, xp)
            out[idx] = to_numpy(blocks).astype(np.float32)
            pos = end
        return out

    def _encode_padded(self, D, M, xp):
        """``D`` (B, n, d), ``M`` (B, n, R) -> (B, R, block) in ``xp``."""
        B, n, d = D.shape
        R = M.shape[2]
        gamma = self._responsibilities(D.reshape(B * n, d), xp).reshape(B, n, -1)
        K = gamma.shape[2]
        W = (M[:, :, :, None] * gamma[:, :, None, :]).reshape(B, n, R * K)
        S0 = W.sum(axis=1).reshape(B, R, K)
        counts = M.sum(axis=1)  # (B, R)
        S1 = S2 = None
        if self._needs_moments >= 1:
            Wt = xp.swapaxes(W, 1, 2)
            S1 = xp.matmul(Wt, D).reshape(B, R, K, d)
            if self._needs_moments >= 2:
                S2 = xp.matmul(Wt, D * D).reshape(B, R, K, d)
        return self._finalize(S0, S1, S2, counts, xp)

    def _hard_responsibilities(self, D, centers, xp):
        labels = assign(D, centers, device=device_of(xp))
        gamma = xp.zeros((D.shape[0], centers.shape[0]), dtype=D.dtype)
        gamma[xp.arange(D.shape[0]), labels] = 1.0
        return gamma

    # -- names & tags ---------------------------------------------------------------
    def get_feature_names_out(self, input_features=None):
        """Output names ``'<prefix>0'``, ``'<prefix>1'``, ... (prefix: bovw, vlad, fisher)."""
        check_is_fitted(self, "n_descriptor_dims_")
        return np.asarray([f"{self._prefix}{i}" for i in range(self._block_size())],
                          dtype=object)

    @property
    def _n_features_out(self):
        return self._block_size()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        tags.transformer_tags.preserves_dtype = []
        return tags

    # -- spatial pyramid ----------------------------------------------------------
    def transform_pyramid(self, X, positions, image_shapes, levels=(1, 2)):
        """Encode each descriptor set over the cells of a spatial pyramid.

        Spatial pyramid matching [1]_: level ``L`` cuts the image into an
        ``L × L`` grid, and every cell is encoded on its own from the
        descriptors that lie in it, as :meth:`transform` encodes a whole set.
        ``levels=(1, 2)`` gives 5 regions: the whole image, then its 2×2
        quadrants.

        Parameters
        ----------
        X : list of arrays of shape (n_i, n_dims), 3-D array, or 2-D array
            Descriptor sets, one per image (``n_i`` may be 0), as :meth:`transform`
            takes them.
        positions : list of arrays of shape (n_i, 2)
            ``(y, x)`` position of every descriptor of set ``i``, in the pixel
            coordinates of its image: ``(0, 0)`` is the top-left corner and
            ``(height, width)`` the bottom-right one (the centre of pixel
            ``(r, c)`` is ``(r + 0.5, c + 0.5)``). Positions outside the image
            count in the nearest cell.
        image_shapes : array-like of shape (n_samples, 2) or (2,)
            ``(height, width)`` of each image, or one pair for all of them.
        levels : tuple of int, default=(1, 2)
            Grid size of each pyramid level, coarse to fine.

        Returns
        -------
        codes : ndarray of float32, shape (n_samples, n_regions * n_features_out)
            ``n_regions = sum(L * L for L in levels)`` blocks, one per cell, coarse
            to fine and, within a level, cells in row-major order. Each block is
            the encoder's output for the descriptors of its cell (normalised as
            :meth:`transform` normalises it; all zero for an empty cell). The
            blocks are not re-weighted or normalised together.

        See Also
        --------
        get_pyramid_feature_names_out : the names of these columns.

        Notes
        -----
        With ``levels=(1,)`` the codes are those of :meth:`transform`. Lazebnik
        et al. pool histograms of visual words and weight the levels in the
        pyramid match kernel; here any encoding (VLAD and Fisher vectors too) is
        pooled per cell, and weighting or normalising the blocks together is
        left to the caller (:class:`~mmfuse.image.SIFTFeatures` L2-normalises
        the whole vector).

        References
        ----------
        .. [1] Lazebnik, S., Schmid, C., & Ponce, J. (2006). Beyond bags of
           features: spatial pyramid matching for recognizing natural scene
           categories. *CVPR*, 2169-2178. https://doi.org/10.1109/CVPR.2006.68

        Examples
        --------
        >>> import numpy as np
        >>> from mmfuse.image import BoVWEncoder
        >>> rng = np.random.default_rng(0)
        >>> sets = [rng.random((30, 8)) for _ in range(3)]
        >>> positions = [rng.random((30, 2)) * 64 for _ in range(3)]
        >>> enc = BoVWEncoder(4, random_state=0, device="cpu").fit(sets)
        >>> enc.transform_pyramid(sets, positions, (64, 64), levels=(1, 2)).shape
        (3, 20)
        """
        check_is_fitted(self, "n_descriptor_dims_")
        levels = _check_levels(levels, "levels")
        sets, _ = _as_descriptor_sets(X, self, reset=False)
        memberships = _pyramid_memberships(sets, positions, image_shapes, levels)
        n_regions = sum(L * L for L in levels)
        return self._encode_sets(sets, memberships, n_regions).reshape(len(sets), -1)

    def get_pyramid_feature_names_out(self, levels=(1, 2)):
        """Names of the columns of :meth:`transform_pyramid`, in its order.

        Parameters
        ----------
        levels : tuple of int, default=(1, 2)

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``'<prefix>_L<level>c<cell>_<i>'`` (prefix: bovw, vlad, fisher), e.g.
            ``'vlad_L2c3_0'`` for the first feature of the bottom-right cell of
            the 2×2 level.
        """
        check_is_fitted(self, "n_descriptor_dims_")
        block = range(self._block_size())
        return np.asarray([f"{self._prefix}_L{L}c{c}_{i}"
                           for L in _check_levels(levels, "levels")
                           for c in range(L * L) for i in block], dtype=object)


def _signed_power(v, power, xp):
    if power == 1:
        return v
    return xp.sign(v) * xp.abs(v) ** power


def _l2_normalize(v, xp, axis=-1):
    norm = xp.sqrt((v * v).sum(axis=axis, keepdims=True))
    return v / xp.maximum(norm, _EPS)


# --------------------------------------------------------------------------- BoVW

class BoVWEncoder(_CodebookEncoder):
    """Bag of visual words: a histogram of codebook words per descriptor set.

    1. A k-means codebook of ``n_words`` words is fitted with
       :class:`~sklearn.cluster.MiniBatchKMeans` on at most
       ``max_fit_descriptors`` descriptors sampled with ``random_state`` [1]_.
    2. ``assignment='hard'``: every descriptor votes for its nearest word
       (:func:`assign`); ``'soft'``: it spreads a unit vote over all words with
       Gaussian kernel weights ``exp(-‖x − c‖² / (2σ²))`` ("codeword
       uncertainty" of van Gemert et al. [2]_).
    3. The histogram is raised to ``power`` (1: plain counts) and normalised
       (``norm``).

    Parameters
    ----------
    n_words : int, default=64
        Codebook size.
    assignment : {'hard', 'soft'}, default='hard'
    sigma : float or None, default=None
        Kernel width of soft assignment; None uses the root mean squared
        distance of the fit sample to its nearest word.
    power : float, default=1.0
        Exponent applied to the histogram (0.5: Hellinger / square-root map).
    norm : {'l1', 'l2'} or None, default='l1'
    max_fit_descriptors : int, default=200_000
    random_state : int, RandomState or None, default=None
    device : {'auto', 'cpu', 'cuda'} or None, default=None
        Where encoding runs; None uses the configured device.

    Attributes
    ----------
    cluster_centers_ : ndarray of float64, shape (n_words, n_dims)
    sigma_ : float
        The soft-assignment width used.
    n_descriptor_dims_ : int

    Notes
    -----
    An empty descriptor set gives an all-zero histogram. A 2-D array input is
    read as one descriptor per sample.

    References
    ----------
    .. [1] Csurka, G., Dance, C., Fan, L., Willamowski, J., & Bray, C. (2004). Visual
       categorization with bags of keypoints. *ECCV Workshop on Statistical Learning
       in Computer Vision*.
    .. [2] van Gemert et al. (2010). https://doi.org/10.1109/TPAMI.2009.132
    """

    _parameter_constraints = {
        **_CodebookEncoder._parameter_constraints,
        "n_words": [Interval(Integral, 1, None, closed="left")],
        "assignment": [StrOptions({"hard", "soft"})],
        "sigma": [Interval(Real, 0, None, closed="neither"), None],
        "power": [Interval(Real, 0, None, closed="neither")],
        "norm": [StrOptions({"l1", "l2"}), None],
    }
    _prefix = "bovw"
    _needs_moments = 0

    def __init__(self, n_words=64, *, assignment="hard", sigma=None, power=1.0, norm="l1",
                 max_fit_descriptors=200_000, random_state=None, device=None):
        self.n_words = n_words
        self.assignment = assignment
        self.sigma = sigma
        self.power = power
        self.norm = norm
        self.max_fit_descriptors = max_fit_descriptors
        self.random_state = random_state
        self.device = device

    def _fit_codebook(self, sample):
        self.cluster_centers_ = self._fit_kmeans(sample)
        if self.sigma is None:
            _, d2 = assign(sample, self.cluster_centers_, device="cpu", return_distances=True)
            self.sigma_ = float(np.sqrt(max(np.mean(d2), _EPS)))
        else:
            self.sigma_ = float(self.sigma)

    def _block_size(self):
        return self.n_words

    def _responsibilities(self, D, xp):
        C = asarray(self.cluster_centers_, xp)
        if self.assignment == "hard":
            return self._hard_responsibilities(D, C, xp)
        d2 = (D * D).sum(axis=1)[:, None] - 2 * D @ C.T + (C * C).sum(axis=1)[None, :]
        logits = -xp.maximum(d2, 0) / (2 * self.sigma_ ** 2)
        logits -= logits.max(axis=1, keepdims=True)
        w = xp.exp(logits)
        return w / w.sum(axis=1, keepdims=True)

    def _finalize(self, S0, S1, S2, counts, xp):
        h = _signed_power(S0, self.power, xp)
        if self.norm == "l1":
            h = h / xp.maximum(h.sum(axis=-1, keepdims=True), _EPS)
        elif self.norm == "l2":
            h = _l2_normalize(h, xp)
        return h


# --------------------------------------------------------------------------- VLAD

class VLADEncoder(_CodebookEncoder):
    """VLAD: per word, the summed residuals of the descriptors assigned to it.

    1. A k-means codebook of ``n_words`` centres ``c_k`` (MiniBatchKMeans on a
       seeded sample).
    2. Each descriptor is assigned to its nearest centre (:func:`assign`);
       ``v_k = Σ_{x: NN(x)=k} (x − c_k)`` [1]_.
    3. Signed power normalisation ``sign(v)|v|^power`` [1]_ (0.5: signed square
       root), then, with ``intra_norm``, each ``v_k`` is L2-normalised on its own
       [2]_, and finally the whole vector is L2-normalised.

    Parameters
    ----------
    n_words : int, default=64
    power : float, default=0.5
        1.0 disables power normalisation.
    intra_norm : bool, default=True
    max_fit_descriptors : int, default=200_000
    random_state : int, RandomState or None, default=None
    device : {'auto', 'cpu', 'cuda'} or None, default=None

    Attributes
    ----------
    cluster_centers_ : ndarray of float64, shape (n_words, n_dims)
    n_descriptor_dims_ : int

    Notes
    -----
    Output length is ``n_words * n_dims``, word-major (``v_0``, ``v_1``, ...).
    Jégou et al. apply power normalisation after the sum; Arandjelović &
    Zisserman replace it by intra-normalisation; both are applied here, power
    first (``power=1`` or ``intra_norm=False`` recovers either paper). An empty
    set gives an all-zero vector.

    References
    ----------
    .. [1] Jégou et al. (2010). https://doi.org/10.1109/CVPR.2010.5540039
    .. [2] Arandjelović & Zisserman (2013). https://doi.org/10.1109/CVPR.2013.207
    """

    _parameter_constraints = {
        **_CodebookEncoder._parameter_constraints,
        "n_words": [Interval(Integral, 1, None, closed="left")],
        "power": [Interval(Real, 0, 1, closed="right")],
        "intra_norm": ["boolean"],
    }
    _prefix = "vlad"
    _needs_moments = 1

    def __init__(self, n_words=64, *, power=0.5, intra_norm=True, max_fit_descriptors=200_000,
                 random_state=None, device=None):
        self.n_words = n_words
        self.power = power
        self.intra_norm = intra_norm
        self.max_fit_descriptors = max_fit_descriptors
        self.random_state = random_state
        self.device = device

    def _fit_codebook(self, sample):
        self.cluster_centers_ = self._fit_kmeans(sample)

    def _block_size(self):
        return self.n_words * self.n_descriptor_dims_

    def _responsibilities(self, D, xp):
        C = asarray(self.cluster_centers_, xp)
        return self._hard_responsibilities(D, C, xp)

    def _finalize(self, S0, S1, S2, counts, xp):
        C = asarray(self.cluster_centers_, xp)
        v = S1 - S0[..., None] * C  # (B, R, K, d)
        v = _signed_power(v, self.power, xp)
        if self.intra_norm:
            v = _l2_normalize(v, xp)
        B, R = v.shape[:2]
        return _l2_normalize(v.reshape(B, R, -1), xp)


# --------------------------------------------------------------------------- Fisher

class FisherEncoder(_CodebookEncoder):
    """Fisher vector of a diagonal Gaussian mixture (improved FV of Perronnin et al.).

    1. A ``GaussianMixture(covariance_type='diag')`` with ``n_components``
       components (weights ``w_k``, means ``μ_k``, std devs ``σ_k``) is fitted
       on a seeded sample of descriptors.
    2. For a set of ``n`` descriptors with posteriors ``γ_ik``::

           G_μk = 1/(n √w_k)  Σ_i γ_ik (x_i − μ_k) / σ_k
           G_σk = 1/(n √2w_k) Σ_i γ_ik [(x_i − μ_k)² / σ_k² − 1]

    3. ``improved=True``: signed square root, then L2 normalisation [1]_.

    Parameters
    ----------
    n_components : int, default=32
    improved : bool, default=True
        False returns the raw (unnormalised) Fisher vector.
    max_fit_descriptors : int, default=200_000
    random_state : int, RandomState or None, default=None
    device : {'auto', 'cpu', 'cuda'} or None, default=None

    Attributes
    ----------
    weights_, means_, covariances_ : ndarrays of the fitted diagonal GMM
        ``(K,)``, ``(K, d)``, ``(K, d)`` (variances).
    n_descriptor_dims_ : int

    Notes
    -----
    Output length ``2 * n_components * n_dims``: all mean gradients
    (component-major), then all variance gradients. The gradient w.r.t. the
    mixture weights is left out, as in Perronnin et al. An empty set gives an
    all-zero vector. The GMM is fitted with a variance floor ``reg_covar=1e-4``.

    References
    ----------
    .. [1] Perronnin et al. (2010). https://doi.org/10.1007/978-3-642-15561-1_11
    """

    _parameter_constraints = {
        **_CodebookEncoder._parameter_constraints,
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "improved": ["boolean"],
    }
    _prefix = "fisher"
    _n_name = "n_components"
    _needs_moments = 2

    def __init__(self, n_components=32, *, improved=True, max_fit_descriptors=200_000,
                 random_state=None, device=None):
        self.n_components = n_components
        self.improved = improved
        self.max_fit_descriptors = max_fit_descriptors
        self.random_state = random_state
        self.device = device

    def _fit_codebook(self, sample):
        from sklearn.mixture import GaussianMixture  # noqa: PLC0415

        gmm = GaussianMixture(n_components=self.n_components, covariance_type="diag",
                              reg_covar=1e-4, max_iter=100, random_state=self.random_state)
        gmm.fit(sample)
        self.weights_ = np.asarray(gmm.weights_, dtype=np.float64)
        self.means_ = np.asarray(gmm.means_, dtype=np.float64)
        self.covariances_ = np.asarray(gmm.covariances_, dtype=np.float64)

    def _block_size(self):
        return 2 * self.n_components * self.n_descriptor_dims_

    def _params(self, xp):
        return (asarray(self.weights_, xp), asarray(self.means_, xp),
                asarray(self.covariances_, xp))

    def _responsibilities(self, D, xp):
        w, mu, var = self._params(xp)
        inv = 1.0 / var
        # log N(x | mu, var) via one GEMM: x²·(1/var) − 2x·(mu/var) + Σ mu²/var
        quad = (D * D) @ inv.T - 2 * D @ (mu * inv).T + (mu * mu * inv).sum(axis=1)
        logp = -0.5 * (quad + xp.log(2 * np.pi * var).sum(axis=1)) + xp.log(w)
        logp -= logp.max(axis=1, keepdims=True)
        p = xp.exp(logp)
        return p / p.sum(axis=1, keepdims=True)

    def component_posteriors(self, X):
        """Posteriors ``(n, n_components)`` of the mixture components for descriptor rows ``X``."""
        check_is_fitted(self, "means_")
        xp = dispatch(device=self.device).xp
        X = asarray(np.asarray(X, dtype=np.float64), xp)
        return to_numpy(self._responsibilities(X, xp))

    def _finalize(self, S0, S1, S2, counts, xp):
        w, mu, var = self._params(xp)
        sd = xp.sqrt(var)
        n = xp.maximum(counts, 1.0)[:, :, None, None]  # (B, R, 1, 1)
        s0 = S0[..., None]
        g_mu = (S1 - mu * s0) / sd / (n * xp.sqrt(w)[:, None])
        g_sd = ((S2 - 2 * mu * S1 + mu * mu * s0) / var - s0) / (n * xp.sqrt(2 * w)[:, None])
        B, R = S0.shape[:2]
        fv = xp.concatenate([g_mu.reshape(B, R, -1), g_sd.reshape(B, R, -1)], axis=2)
        if self.improved:
            fv = _l2_normalize(_signed_power(fv, 0.5, xp), xp)
        return fv


# --------------------------------------------------------------------------- pyramid

def _check_levels(levels, name):
    """``levels`` as a tuple, or a ValueError naming the parameter ``name``."""
    value = tuple(levels) if isinstance(levels, (tuple, list)) else ()
    if not value or not all(isinstance(v, Integral) and v >= 1 for v in value):
        raise ValueError(f"{name} must be a non-empty tuple of positive integers such as "
                         f"(1, 2); got {levels!r}")
    return value


def _pyramid_memberships(sets, positions, image_shapes, levels):
    """Per set, the ``(n_i, n_regions)`` 0/1 matrix of the pyramid cells each descriptor is in."""
    n = len(sets)
    if len(positions) != n:
        raise ValueError(f"positions has {len(positions)} entries for {n} descriptor sets; "
                         "give one (n_i, 2) array of (y, x) positions per set")
    shapes = np.asarray(image_shapes, dtype=np.float64)
    if shapes.shape == (2,):
        shapes = np.broadcast_to(shapes, (n, 2))
    if shapes.shape != (n, 2) or not (shapes > 0).all():
        raise ValueError(f"image_shapes must be one positive (height, width) pair or one per "
                         f"descriptor set ({n}); got shape {np.shape(image_shapes)}")
    out = []
    for i, (s, p) in enumerate(zip(sets, positions)):
        p = np.asarray(p, dtype=np.float64)
        if p.size == 0 and len(s) == 0:
            p = p.reshape(0, 2)
        if p.shape != (len(s), 2):
            raise ValueError(f"sample {i}: positions must be {len(s)} (y, x) pairs, "
                             f"one per descriptor; got shape {p.shape}")
        if not np.isfinite(p).all():
            raise ValueError(f"sample {i}: positions hold NaN or infinite values (rows "
                             f"{np.flatnonzero(~np.isfinite(p).all(axis=1))[:5].tolist()}); "
                             "every (y, x) position must be finite")
        rel = np.clip(p / shapes[i], 0.0, 1.0)
        cols = []
        for L in levels:
            cell = (np.minimum((rel[:, 0] * L).astype(int), L - 1) * L
                    + np.minimum((rel[:, 1] * L).astype(int), L - 1))
            cols.append(np.eye(L * L)[cell])
        out.append(np.concatenate(cols, axis=1))
    return out
