"""Feature-level (early) fusion: one transformer per modality, blocks fused into one vector."""

from __future__ import annotations

import os
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.base import TransformerMixin, clone
from sklearn.utils._tags import get_tags
from sklearn.utils.validation import check_is_fitted, check_memory

from .._base import kept_rows_output, strict_loading
from .._compat import HasMethods, Interval, StrOptions, _fit_context
from .._parallel import Parallel, delayed
from ._blocks import (
    BlockComposition,
    BlockPost,
    as_weight_vector,
    block_post,
    fingerprint,
    in_block,
    is_projected,
    scatter_rows,
    select_column,
    take_rows,
    to_2d,
)

__all__ = ["FeatureFusion", "MAX_TENSOR_FEATURES", "STRATEGIES", "fuse_blocks"]

#: Largest flattened tensor-fusion vector :class:`FeatureFusion` builds (per row).
MAX_TENSOR_FEATURES = 100_000

#: The early-fusion strategies of :func:`fuse_blocks` and :class:`FeatureFusion`.
STRATEGIES = ("concat", "weighted", "sum", "average", "product", "tensor")
_ELEMENTWISE = ("sum", "average", "product")
_WEIGHTED = ("weighted", "sum", "average", "tensor")


def _check_tensor_width(widths):
    """Refuse a tensor fusion wider than :data:`MAX_TENSOR_FEATURES` features per row.

    ``widths`` is ``{block name: width}``; the fused row has ``prod(width + 1)``
    features. The message says how far ``common_dim`` must project the blocks.
    """
    size = int(np.prod([d + 1 for d in widths.values()], dtype=object))
    if size > MAX_TENSOR_FEATURES:
        dims = " x ".join(f"({d}+1)" for d in widths.values())
        fit = max(1, int(MAX_TENSOR_FEATURES ** (1 / len(widths))) - 1)
        raise ValueError(
            f"tensor fusion of blocks {list(widths)} would have {dims} = {size:,} features "
            f"per row, more than MAX_TENSOR_FEATURES={MAX_TENSOR_FEATURES:,}; set common_dim "
            f"to at most {fit} (projects every block first)")


def fuse_blocks(strategy, blocks, present=None, weights=None, *, names=None):
    """Fuse per-block feature matrices into one matrix with an early-fusion strategy.

    The twin of :func:`mmfuse.fusion.combine` (which fuses per-model
    probabilities): a pure function of the blocks, used by
    :class:`FeatureFusion` after each block is extracted, normalised,
    projected and its missing rows filled.

    Parameters
    ----------
    strategy : {'concat', 'weighted', 'sum', 'average', 'product', 'tensor'}
        With ``z_b`` the rows of block ``b`` and ``w_b`` its weight:

        - ``'concat'``: the blocks side by side (weights ignored);
        - ``'weighted'``: ``[w_1 z_1, w_2 z_2, ...]`` side by side;
        - ``'sum'``: ``sum_b w_b z_b``;
        - ``'average'``: ``sum_b w_b z_b / sum_b w_b`` over the blocks present
          in the row;
        - ``'product'``: the Hadamard product ``prod_b z_b`` (weights ignored);
        - ``'tensor'``: ``vec([1, w_1 z_1] ⊗ [1, w_2 z_2] ⊗ ...)``, of width
          ``prod_b (d_b + 1)``.

        ``'concat'`` and ``'weighted'`` keep sparse blocks sparse (the output
        is CSR when any block is sparse); the other strategies work on dense
        blocks (sparse ones are made dense) and return an array of at least
        ``float32`` precision.
    blocks : list of {ndarray, sparse matrix} of shape (n_samples, d_b)
        One feature matrix per block, all with the same rows. ``'sum'``,
        ``'average'`` and ``'product'`` need equal widths ``d_b``.
    present : ndarray of bool of shape (n_blocks, n_samples), default=None
        Which blocks were present in each row; ``'average'`` divides each row
        by the total weight of its present blocks (a block filled in for a
        missing row contributes its fill values but no weight). None: every
        block is present in every row.
    weights : array-like of shape (n_blocks,) or dict, default=None
        Non-negative finite block weights, in block order or by block name
        (``names``; a missing name weighs 1); None means 1 for every block.
    names : list of str, default=None
        Block names, for messages; None means ``'0'``, ``'1'``, ...

    Returns
    -------
    fused : ndarray or CSR matrix of shape (n_samples, n_features_out)
        ``n_features_out`` is ``sum_b d_b`` for ``'concat'``/``'weighted'``,
        ``d`` for the element-wise strategies, ``prod_b (d_b + 1)`` for
        ``'tensor'``.

    Raises
    ------
    ValueError
        An unknown strategy, no block, a block that is not 2-D, blocks with
        different numbers of rows or (element-wise strategies) widths,
        weights or ``present`` of another length than ``blocks``, a negative
        or non-finite weight, a weight key that names no block, NaN or
        infinite values under an element-wise strategy or ``'tensor'``, a
        ``'tensor'`` product wider than :data:`MAX_TENSOR_FEATURES`, a row of
        ``'average'`` whose present blocks all weigh 0.

    See Also
    --------
    FeatureFusion : fits the blocks and fuses them with this function.
    mmfuse.fusion.combine : the rules of model-level (late) fusion.

    Examples
    --------
    >>> import numpy as np
    >>> from mmfuse.fusion import fuse_blocks
    >>> a, b = np.array([[1.0, 2.0]]), np.array([[3.0, 4.0]])
    >>> fuse_blocks("weighted", [a, b], weights=[1.0, 0.5])
    array([[1. , 2. , 1.5, 2. ]])
    >>> fuse_blocks("average", [a, b])
    array([[2., 3.]])
    >>> fuse_blocks("average", [a, np.zeros((1, 2))], present=np.array([[True], [False]]))
    array([[1., 2.]])
    >>> fuse_blocks("tensor", [a, b]).shape
    (1, 9)
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {list(STRATEGIES)}; got {strategy!r}")
    if not len(blocks):
        raise ValueError("fuse_blocks needs at least one block")
    names = [str(i) for i in range(len(blocks))] if names is None else list(names)
    if len(names) != len(blocks):
        raise ValueError(f"names has {len(names)} entries for {len(blocks)} blocks")
    blocks = [b if sp.issparse(b) else np.asarray(b) for b in blocks]
    for name, b in zip(names, blocks):
        if b.ndim != 2:
            raise ValueError(f"block {name!r} has shape {b.shape}; every block must be 2-D "
                             "(n_samples, n_features): reshape a single feature with "
                             "b.reshape(-1, 1)")
    if isinstance(weights, dict):
        w = as_weight_vector(weights, names)
    else:
        w = np.ones(len(blocks)) if weights is None else np.asarray(weights, dtype=float)
        if w.shape != (len(blocks),):
            raise ValueError(f"weights has shape {w.shape}; one weight per block is needed "
                             f"({len(blocks)})")
        bad = [f"{n}={v!r}" for n, v in zip(names, w.tolist()) if not np.isfinite(v) or v < 0]
        if bad:
            raise ValueError(f"weights must be finite numbers >= 0; got {', '.join(bad)}")
    if strategy == "tensor":
        _check_tensor_width(dict(zip(names, (b.shape[1] for b in blocks))))
    rows = {b.shape[0] for b in blocks}
    if len(rows) != 1:
        raise ValueError(f"the blocks have different numbers of rows: "
                         f"{dict(zip(names, (b.shape[0] for b in blocks)))}")
    if strategy in ("concat", "weighted"):
        if strategy == "weighted":
            blocks = [b * wi if wi != 1 else b for b, wi in zip(blocks, w)]
        if any(sp.issparse(b) for b in blocks):
            return sp.hstack([sp.csr_matrix(b) for b in blocks], format="csr")
        return np.hstack(blocks)
    blocks = [b.toarray() if sp.issparse(b) else np.asarray(b) for b in blocks]
    if len({b.shape[1] for b in blocks}) != 1 and strategy != "tensor":
        raise ValueError(f"strategy={strategy!r} needs blocks of equal width; got "
                         f"{dict(zip(names, (b.shape[1] for b in blocks)))}; set common_dim")
    for name, b in zip(names, blocks):
        bad = ~np.isfinite(b).all(axis=1)
        if bad.any():
            raise ValueError(
                f"block {name!r} has NaN or infinite features in {int(bad.sum())} "
                f"row(s); strategy={strategy!r} combines blocks element-wise and needs "
                "finite values: impute the cells (e.g. SimpleImputer in the block's "
                "pipeline) or mark whole rows missing (None/NaN in the raw column)")
    dtype = np.result_type(*[b.dtype for b in blocks], np.float32)
    if strategy in ("sum", "average"):
        out = sum(wi * b for b, wi in zip(blocks, w))
        if strategy == "average":
            counted = (np.ones((len(blocks), blocks[0].shape[0]), dtype=bool)
                       if present is None else np.asarray(present, dtype=bool))
            if counted.shape != (len(blocks), blocks[0].shape[0]):
                raise ValueError(f"present has shape {counted.shape}; (n_blocks, n_samples) "
                                 f"= {(len(blocks), blocks[0].shape[0])} is needed")
            total = (w[:, None] * counted).sum(axis=0)
            if not (total > 0).all():
                raise ValueError("strategy='average' needs at least one non-zero weight "
                                 "among the blocks present in every row; got weights="
                                 f"{dict(zip(names, w.tolist()))}")
            out = out / total[:, None]
    elif strategy == "product":
        out = blocks[0].copy()
        for b in blocks[1:]:
            out = out * b
    else:  # tensor
        out = _tensor_product([wi * b for b, wi in zip(blocks, w)])
    return np.asarray(out, dtype=dtype)


def _fit_transform_one(key, transformer, X, y):
    """Fit ``transformer`` on one block and return ``(features, fitted transformer)``.

    Module level so that :class:`joblib.Memory` can cache it under ``key``, a
    hash of the (unfitted) transformer's parameters and the block's data (the
    other arguments are left out of joblib's own hashing).
    """
    if transformer == "passthrough":
        return X, "passthrough"
    if hasattr(transformer, "fit_transform"):
        Z = transformer.fit_transform(X, y)
    else:
        Z = transformer.fit(X, y).transform(X)
    return Z, transformer


def _transform_one(fit_key, data_key, transformer, X):
    """``transformer.transform(X)``, cached under (the fit's key, the data's key)."""
    if transformer == "passthrough":
        return X
    return transformer.transform(X)


class FeatureFusion(TransformerMixin, BlockComposition):
    """Early fusion: per-modality transformers whose normalised blocks are fused into one vector.

    Each entry ``(name, transformer, column)`` is one *block* (usually one
    modality):

    1. The block's raw input is selected from ``X`` as
       :class:`~sklearn.compose.ColumnTransformer` does: a scalar ``column``
       (a column name or position) gives the transformer a 1-D column (a
       pandas Series for a DataFrame, what the mmfuse extractors take); a list,
       slice or mask gives a 2-D block; a callable is called on ``X``.
    2. Rows whose modality is absent (``None``/NaN in the raw column; for a
       multi-column block, every cell) are found with
       :func:`mmfuse.io.is_missing` and follow ``missing``: only present rows
       reach the transformer, which is fitted on them.
    3. The block's features are normalised per block (``block_norm``) so that
       a 4,000-d block does not drown a 40-d one, and, where ``common_dim``
       says so, projected to ``common_dim`` dimensions (PCA for dense blocks,
       truncated SVD for sparse ones; identity when the width already agrees).
    4. Missing rows get a fill row (zeros, or the fitted mean of the present
       rows' final block features) and, with ``missing_indicator=True``, a
       ``name__missing`` column set to 1.
    5. The blocks are fused by ``strategy`` (below).

    Parameters
    ----------
    transformers : list of (str, transformer, column) tuples
        ``name`` identifies the block in ``weights``, nested parameters
        (``name__param``) and output feature names. ``transformer`` has ``fit``
        and ``transform`` (or ``fit_transform``), or is ``'passthrough'`` (the
        selected numeric columns themselves) or ``'drop'``. ``column`` is a
        column name, a position, a list/slice/mask of them, or a callable
        ``X -> key``.
    strategy : {'concat', 'weighted', 'sum', 'average', 'product', 'tensor'}, default='concat'
        - ``'concat'``: blocks side by side (:class:`~sklearn.pipeline.FeatureUnion`
          after per-block normalisation). Sparse blocks stay sparse: the output
          is CSR when any block is sparse.
        - ``'weighted'``: each block multiplied by ``weights[name]`` (default
          1), then concatenated (sparse stays sparse).
        - ``'sum'``: ``sum_b w_b z_b`` over blocks mapped to ``common_dim``.
        - ``'average'``: the weighted mean ``sum_b w_b z_b / sum_b w_b``.
        - ``'product'``: the Hadamard product ``prod_b z_b``.
        - ``'tensor'``: ``vec([1, w_1 z_1] ⊗ [1, w_2 z_2] ⊗ ...)`` (Zadeh et
          al. 2017 [2]_), which keeps every unimodal, bimodal, ... interaction;
          its width ``prod_b (d_b + 1)`` must not exceed
          :data:`MAX_TENSOR_FEATURES`.
    weights : dict of {str: float >= 0}, default=None
        Per-block weights keyed by block name (missing keys weigh 1; a key
        that matches no block is an error). Used by ``'weighted'``, ``'sum'``,
        ``'average'`` and ``'tensor'``; a weight of 0 removes the block's
        contribution. Must be None for ``'concat'`` and ``'product'``.
    block_norm : {'l2', 'standard'}, transformer or None, default='l2'
        Per-block normalisation before projection and fusion. ``'l2'``: every
        row of the block scaled to unit norm
        (:class:`~sklearn.preprocessing.Normalizer`). ``'standard'``: every
        feature standardised (:class:`~sklearn.preprocessing.StandardScaler`,
        without centring for sparse blocks), then the block divided by
        ``sqrt(n_block_features)`` so each block has unit total variance.
        ``None``: none. A transformer (e.g. ``Normalizer(norm='l1')``) is
        cloned for each block and fitted on its features; its parameters are
        reachable as ``block_norm__<param>`` (``fuse__block_norm__norm`` in a
        grid search). Each block's fitted chain is the pipeline in ``posts_``.
    common_dim : int, default=None
        Width each block is projected to. ``None``: for ``'concat'`` and
        ``'weighted'`` no projection; for the element-wise strategies the
        smallest block width (blocks already that wide are left as they are);
        for ``'tensor'`` no projection. A block already ``common_dim`` wide is
        never projected.
    missing : {'error', 'zero', 'mean'}, default='error'
        Rows whose modality is ``None``/NaN in the raw column: ``'error'``
        makes them error rows; ``'zero'`` lets the block contribute nothing
        (an all-zero block for concat/weighted/sum/tensor, the all-one block
        for ``'product'``, and ``'average'`` averages over the blocks present);
        ``'mean'`` gives them the mean final block features of the present
        training rows. A row whose present blocks all have weight 0 is an
        error row too. A row with no modality
        present is always an error row. Error rows raise
        :class:`~mmfuse.io.MMFuseInputError` naming the first one, or under
        ``on_error='skip'`` at transform time leave the batch (the output has
        one row per good input row) and are reported to
        :func:`mmfuse.collect_errors`.
    missing_indicator : bool, default=False
        Append one ``name__missing`` column (1.0 where the block was missing)
        per block, after the fused features.
    n_jobs : int, default=None
        Blocks fitted/transformed in parallel with joblib threads (None means
        1); threads, because the extractors release the GIL in NumPy/OpenCV
        and raw items (images, clips) would otherwise be copied to processes.
    memory : str, path or joblib.Memory, default=None
        Cache each block's ``fit_transform`` and ``transform`` on disk, keyed
        by the transformer's parameters (fitted state for ``transform``) and
        the block's data. A :class:`~sklearn.model_selection.GridSearchCV`
        over classifier or fusion parameters then extracts every block once
        per fold instead of once per candidate and fold (normalisation,
        projection and fusion are cheap and always recomputed). The cache is
        never invalidated for you: clear it (``memory.clear()``) when the code
        of a transformer changes, and leave ``memory=None`` on a model used for
        scoring, or every scored batch is written to the cache.

    Attributes
    ----------
    transformers_ : list of (str, transformer, column)
        The fitted transformers (``'drop'`` entries are left out).
    named_transformers_ : Bunch
        The fitted transformers by name.
    block_dims_ : dict of {str: int}
        Width of each block after normalisation and projection.
    output_indices_ : dict of {str: slice}
        Where each block's features sit in the output (``'concat'``/``'weighted'``).
    weights_ : ndarray of shape (n_blocks,)
        The weights used, in block order.
    missing_fill_ : dict of {str: ndarray}
        The row given to missing rows of each block.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` was a DataFrame with string column names.

    See Also
    --------
    LateFusionClassifier : model-level fusion of per-modality classifiers.
    sklearn.compose.ColumnTransformer : the column-selection model this follows.
    sklearn.pipeline.FeatureUnion : plain concatenation with scalar weights.

    Notes
    -----
    Departures from the papers: tensor fusion [2]_ takes the unimodal
    subnetwork outputs of a neural model; here the ``z_i`` are the normalised
    (and projected) hand-crafted blocks, and the tensor is fed to a classical
    decider. Early fusion as in Snoek et al. [1]_ is plain concatenation;
    per-block normalisation and weighting are added so no modality dominates
    by its dimensionality alone. ``set_output(transform='pandas')`` needs a
    dense output: with a sparse block under ``'concat'``/``'weighted'``
    pandas output raises (project it with ``common_dim`` or use a dense
    extractor).

    References
    ----------
    .. [1] Snoek, C. G. M., Worring, M., & Smeulders, A. W. M. (2005). Early versus
       late fusion in semantic video analysis. *ACM Multimedia*, 399-402.
       https://doi.org/10.1145/1101149.1101236
    .. [2] Zadeh, A., Chen, M., Poria, S., Cambria, E., & Morency, L.-P. (2017).
       Tensor fusion network for multimodal sentiment analysis. *EMNLP*, 1103-1114.
       https://doi.org/10.18653/v1/D17-1115

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.preprocessing import StandardScaler
    >>> from mmfuse.fusion import FeatureFusion
    >>> X = np.arange(24, dtype=float).reshape(6, 4) % 5
    >>> fuse = FeatureFusion([("a", StandardScaler(), [0, 1]), ("b", "passthrough", [2, 3])],
    ...                      strategy="weighted", weights={"b": 0.5})
    >>> fuse.fit_transform(X).shape
    (6, 4)
    >>> fuse.get_feature_names_out().tolist()
    ['a__x0', 'a__x1', 'b__x2', 'b__x3']
    """

    _parts = "transformers"  # the (name, estimator, column) list nested params live in

    _parameter_constraints: dict = {
        "transformers": [list],
        "strategy": [StrOptions({"concat", "weighted", "sum", "average", "product", "tensor"})],
        "weights": [dict, None],
        "block_norm": [StrOptions({"l2", "standard"}), HasMethods(["fit", "transform"]), None],
        "common_dim": [Interval(Integral, 1, None, closed="left"), None],
        "missing": [StrOptions({"error", "zero", "mean"})],
        "missing_indicator": ["boolean"],
        "n_jobs": [Integral, None],
        "memory": [None, str, os.PathLike, HasMethods(["cache"])],
    }

    def __init__(self, transformers, *, strategy="concat", weights=None, block_norm="l2",
                 common_dim=None, missing="error", missing_indicator=False, n_jobs=None,
                 memory=None):
        self.transformers = transformers
        self.strategy = strategy
        self.weights = weights
        self.block_norm = block_norm
        self.common_dim = common_dim
        self.missing = missing
        self.missing_indicator = missing_indicator
        self.n_jobs = n_jobs
        self.memory = memory

    # ------------------------------------------------------------------ fitting

    def _check_params(self):
        names = self._check_entries(what="transformer")
        for name, trans, _ in self.transformers:
            if isinstance(trans, str):
                continue
            if not (hasattr(trans, "fit") or hasattr(trans, "fit_transform")) or not (
                    hasattr(trans, "transform") or hasattr(trans, "fit_transform")):
                raise TypeError(f"transformer {name!r} ({type(trans).__name__}) must "
                                "implement fit and transform, or be 'passthrough' or 'drop'")
        active = [name for name, trans, _ in self.transformers if trans != "drop"]
        if not active:
            raise ValueError("every transformer is 'drop'; at least one block is needed")
        if self.weights is not None and self.strategy not in _WEIGHTED:
            raise ValueError(
                f"weights are not used by strategy={self.strategy!r}; use one of "
                f"{list(_WEIGHTED)} or set weights=None")
        as_weight_vector(self.weights, names)  # unknown keys / bad values
        return active

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Fit every block's transformer (on its present rows), normaliser and projector.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_columns)
            One column (or group of columns) per modality.
        y : array-like of shape (n_samples,), default=None
            Passed to each block's ``fit`` (for supervised extractors).

        Returns
        -------
        self : FeatureFusion
        """
        with strict_loading():
            self._fit_transform(X, y)
        return self

    @_fit_context(prefer_skip_nested_validation=False)
    def fit_transform(self, X, y=None):
        """Fit and return the fused features of ``X`` (each block extracted once).

        Returns
        -------
        X_fused : ndarray or CSR matrix of shape (n_samples, n_features_out)
        """
        with strict_loading():
            return self._fit_transform(X, y)

    def _fit_transform(self, X, y):
        entries, inputs, y_arr = self._start_fit(X, y)
        memory = check_memory(self.memory)
        caching = memory.location is not None
        fit_one = memory.cache(_fit_transform_one, ignore=["transformer", "X", "y"])
        jobs, self._fit_keys = [], []
        for (name, t, _), col, (Xb, present) in zip(entries, self.columns_, inputs):
            Xp = take_rows(Xb, present) if not present.all() else Xb
            yp = None if y_arr is None else y_arr[present]
            t = "passthrough" if t == "passthrough" else clone(t)
            key = self._fit_key(t, Xp, yp) if caching else None
            self._fit_keys.append(key)
            jobs.append(delayed(in_block)("block", name, col, t, fit_one, key, t, Xp, yp))
        results = Parallel(n_jobs=self.n_jobs, prefer="threads")(jobs)

        self.transformers_ = [(n, fitted, c) for (n, _, c), (_, fitted)
                              in zip(entries, results)]
        raw = [to_2d(Z, n) for (n, _, _), (Z, _) in zip(entries, results)]
        dims = self._target_dims([Z.shape[1] for Z in raw])
        self.posts_, self.missing_fill_, blocks = [], {}, []
        for (name, _, _), Z, dim, (_, present) in zip(entries, raw, dims, inputs):
            post, fill, Zp = self._fit_post(name, Z, dim)
            self.posts_.append(post)
            self.missing_fill_[name] = fill
            blocks.append(scatter_rows(Zp, present, fill))
        self._finish_fit()
        return self._combine(blocks, [present for _, present in inputs])

    # The stages of a fit, also run one by one by :mod:`mmfuse.distributed`, which
    # extracts the blocks on Dask workers: _start_fit (checks, screening), one
    # fit_transform per block, _fit_post per block, _finish_fit, then _combine.

    def _start_fit(self, X, y):
        """Check parameters and input, set ``n_features_in_``, ``weights_`` and
        ``columns_``; return ``(active entries, screened block inputs, y array)``."""
        active = self._check_params()
        X = self._check_X(X, reset=True)
        y_arr = None if y is None else np.asarray(y)
        entries = list(self._iter())
        all_names = [n for n, _, _ in self.transformers]
        w_all = as_weight_vector(self.weights, all_names)
        self.weights_ = np.array([w for n, w in zip(all_names, w_all) if n in active])
        self._fit_columns(X, entries)
        inputs, _ = self._block_inputs(X, [(n, t, c) for (n, t, _), c
                                           in zip(entries, self.columns_)], fitting=True)
        return entries, inputs, y_arr

    @staticmethod
    def _fit_key(transformer, Xp, yp):
        """The cache key of a block's fit: the unfitted transformer, its rows and labels."""
        t = transformer
        return (fingerprint([t, type(t).__module__, type(t).__qualname__])
                + fingerprint(Xp) + fingerprint(yp))

    def _fit_post(self, name, Z, dim):
        """Fit one block's post-processing pipeline on its raw features ``Z`` (present rows).

        Returns ``(post, fill row, post-processed Z)``; ``post`` is the
        :class:`~sklearn.pipeline.Pipeline` of :func:`~mmfuse.fusion._blocks.block_post`.
        """
        post = block_post(name, Z, norm=self.block_norm, dim=dim,
                          dense=self.strategy not in ("concat", "weighted"))
        Zp = post.fit_transform(Z)
        return post, self._fill_row(Zp), Zp

    def _post_transform(self, name, post, Z):
        """One block's fitted post-processing applied to its raw features ``Z``."""
        fitted = getattr(post.named_steps["norm"], "n_features_in_", None)
        if fitted is not None and Z.shape[1] != fitted:
            raise ValueError(f"block {name!r} produced {Z.shape[1]} features at "
                             f"transform time but {fitted} when fitted")
        return post.transform(Z)

    def _finish_fit(self):
        """``block_dims_`` and ``output_indices_`` from the fitted posts; the size check."""
        self.block_dims_ = {name: int(np.shape(self.missing_fill_[name])[0])
                            for name, _, _ in self.transformers_}
        self.output_indices_ = {}
        if self.strategy in ("concat", "weighted"):
            edges = np.cumsum([0, *self.block_dims_.values()])
            self.output_indices_ = {name: slice(int(a), int(b)) for name, a, b
                                    in zip(self.block_dims_, edges[:-1], edges[1:])}
        self._check_fused_size()

    def _fitted_entries(self):
        return [(n, t, col) for (n, t, _), col in zip(self.transformers_, self.columns_)]

    def _contract_hint(self):
        return ("set missing='zero' or 'mean' on FeatureFusion to fuse the other "
                "modalities for these rows")

    def _contract_weights(self, *, fitting):
        return self.weights_ if self.strategy in _WEIGHTED else None

    def _target_dims(self, widths):
        if self.common_dim is not None:
            return [self.common_dim] * len(widths)
        if self.strategy in _ELEMENTWISE:
            return [min(widths)] * len(widths)
        return [None] * len(widths)

    def _fill_row(self, Zp):
        if self.missing == "mean":
            return np.asarray(Zp.mean(axis=0)).ravel().astype(Zp.dtype, copy=False)
        if self.strategy == "product":  # no contribution to a product: the neutral element
            return np.ones(Zp.shape[1], dtype=Zp.dtype)
        return np.zeros(Zp.shape[1], dtype=Zp.dtype)

    def _check_fused_size(self):
        if self.strategy == "tensor":
            _check_tensor_width(self.block_dims_)

    # ------------------------------------------------------------------ transform

    def transform(self, X):
        """Fused features of ``X`` with the fitted blocks.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_columns)

        Returns
        -------
        X_fused : ndarray or CSR matrix of shape (n_samples, n_features_out)
        """
        check_is_fitted(self, "transformers_")
        X = self._check_X(X, reset=False)
        memory = check_memory(self.memory)
        entries = list(self._iter(fitted=True))
        inputs, keep = self._block_inputs(X, entries, fitting=False)

        keys = getattr(self, "_fit_keys", None) or [None] * len(inputs)
        # cache only when the fit was keyed (memory set at fit time): never under key None
        caching = memory.location is not None and all(k is not None for k in keys)
        tf_one = (memory.cache(_transform_one, ignore=["transformer", "X"]) if caching
                  else _transform_one)
        jobs = []
        for (name, t, col), key, (Xb, present) in zip(entries, keys, inputs):
            if not present.any():  # the whole batch lacks this modality: nothing to extract
                continue
            Xp = take_rows(Xb, present) if not present.all() else Xb
            jobs.append(delayed(in_block)("block", name, col, t, tf_one, key,
                                          fingerprint(Xp) if caching else None, t, Xp))
        with strict_loading():  # screened: a row failing now must not shift the others
            raw = iter(Parallel(n_jobs=self.n_jobs, prefer="threads")(jobs))
        blocks = []
        for (name, _, _), post, (_, present) in zip(self.transformers_, self.posts_, inputs):
            fill = np.asarray(self.missing_fill_[name])
            if present.any():
                Zp = self._post_transform(name, post, to_2d(next(raw), name))
            else:
                Zp = np.zeros((0, self.block_dims_[name]), dtype=fill.dtype)
            blocks.append(scatter_rows(Zp, present, fill))
        return kept_rows_output(self, self._combine(blocks, [p for _, p in inputs]), keep, X)

    # ------------------------------------------------------------------ fusion

    def _combine(self, blocks, presents):
        """The fused blocks (:func:`fuse_blocks`), then the missing indicators."""
        names = [name for name, _, _ in self.transformers_]
        # a mean-filled block stands in for its block: 'average' counts it as present
        counted = None if self.missing == "mean" else np.stack(presents)
        out = fuse_blocks(self.strategy, blocks, counted, self.weights_, names=names)
        if self.missing_indicator:
            ind = np.column_stack([~p for p in presents]).astype(out.dtype)
            out = (sp.hstack([out, sp.csr_matrix(ind)], format="csr") if sp.issparse(out)
                   else np.hstack([out, ind]))
        return out

    def __setstate__(self, state):
        # model files written before each block's post-processing was a Pipeline
        posts = state.get("posts_")
        if posts:
            state["posts_"] = [p.as_pipeline() if isinstance(p, BlockPost) else p
                               for p in posts]
        super().__setstate__(state)

    # ------------------------------------------------------------------ names, tags

    def get_feature_names_out(self, input_features=None):
        """Output feature names.

        ``'concat'``/``'weighted'``: ``'<block>__<feature>'`` with the block
        transformer's own names (``image__hog0``), or ``'<block>__proj<i>'``
        for projected blocks; element-wise strategies: ``'sum0'``,
        ``'average0'``, ``'product0'`` ...; ``'tensor'``: ``'tensor0'`` ...;
        then ``'<block>__missing'`` indicators.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "transformers_")
        names = []
        if self.strategy in ("concat", "weighted"):
            for (name, trans, col), post in zip(self._iter(fitted=True), self.posts_):
                width = self.block_dims_[name]
                if is_projected(post):
                    names.extend(f"{name}__proj{i}" for i in range(width))
                else:
                    names.extend(f"{name}__{f}" for f in self._block_names(trans, col, width))
        else:
            width = next(iter(self.block_dims_.values()))
            if self.strategy == "tensor":
                width = int(np.prod([d + 1 for d in self.block_dims_.values()]))
            names.extend(f"{self.strategy}{i}" for i in range(width))
        if self.missing_indicator:
            names.extend(f"{name}__missing" for name, _, _ in self.transformers_)
        return np.asarray(names, dtype=object)

    def _block_names(self, trans, column, width):
        if trans == "passthrough":
            return self._input_names(column)
        if hasattr(trans, "get_feature_names_out"):
            try:
                out = trans.get_feature_names_out()
            except (AttributeError, TypeError, ValueError):
                out = None
            if out is not None and len(out) == width:
                return list(out)
        prefix = type(trans).__name__.lower()
        return [f"{prefix}{i}" for i in range(width)]

    def _input_names(self, column):
        import pandas as pd  # noqa: PLC0415

        names = getattr(self, "feature_names_in_", None)
        if names is None:
            names = [f"x{i}" for i in range(self.n_features_in_)]
        picked = select_column(pd.DataFrame(columns=list(names)), column)
        return [str(picked.name)] if picked.ndim == 1 else [str(c) for c in picked.columns]

    @property
    def named_transformers_(self):
        """The fitted transformers by name (a :class:`~sklearn.utils.Bunch`)."""
        return self._named_fitted()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()

        # None/NaN rows are missing modalities; NaN cells reach the transformers, but
        # L2 normalisation and PCA/SVD projection refuse them
        def allow_nan(parts):
            norm = self.block_norm
            if not (norm is None or isinstance(norm, str)):
                parts = [*parts, norm]
            return (norm != "l2" and self.common_dim is None
                    and self.strategy in ("concat", "weighted")
                    and all(get_tags(t).input_tags.allow_nan for t in parts))

        self._parts_tags(tags, allow_nan=allow_nan)
        tags.transformer_tags.preserves_dtype = []
        return tags


def _tensor_product(blocks):
    """Row-wise ``vec([1, z_1] ⊗ [1, z_2] ⊗ ...)`` of dense blocks."""
    n = blocks[0].shape[0]
    out = np.ones((n, 1), dtype=np.result_type(*[b.dtype for b in blocks]))
    for b in blocks:
        zb = np.hstack([np.ones((n, 1), dtype=b.dtype), b])
        out = (out[:, :, None] * zb[:, None, :]).reshape(n, -1)
    return out

