"""Block plumbing shared by the fusers: column selection, missing rows, normalisation, projection.

A *block* is what one ``(name, transformer_or_estimator, column)`` entry of a
fuser sees: the raw column(s) it selects from ``X``, the rows where that
modality is absent (``None``/NaN in the raw column), and, for
:class:`~mmfuse.fusion.FeatureFusion`, the per-block normaliser and projector
fitted on the rows where it is present.
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.utils import Bunch, _safe_indexing
from sklearn.utils._tags import get_tags
from sklearn.utils.metaestimators import _BaseComposition
from sklearn.utils.validation import check_array, check_is_fitted

from .._compat import validate_data
from .._schema import input_schema, reader_chain

from ..io import MMFuseInputError, missing_rows

__all__ = [
    "BlockComposition",
    "BlockPost",
    "block_post",
    "block_screener",
    "check_fusion_input",
    "check_targets",
    "error_rows",
    "in_block",
    "missing_rows",
    "row_labels",
    "scatter_rows",
    "screen_rows",
    "screened_inputs",
    "select_column",
    "select_fitted_columns",
    "take_rows",
    "to_2d",
    "validate_entries",
]


# ------------------------------------------------------------------ input and columns

def check_fusion_input(X):
    """Leave DataFrames, arrays and sparse matrices as they are; make lists 2-D object arrays.

    Like :class:`~sklearn.compose.ColumnTransformer`, only non-array inputs
    (lists of rows) go through :func:`~sklearn.utils.check_array`, with NaN
    allowed because NaN marks a missing modality.
    """
    if sp.issparse(X):
        X = X.tocsr()
    elif not (hasattr(X, "iloc") or (hasattr(X, "__array__") and hasattr(X, "shape"))):
        X = check_array(X, ensure_all_finite="allow-nan", dtype=object)
    if getattr(X, "ndim", 2) != 2:
        raise ValueError(
            f"Expected a 2D array, got an array of shape {X.shape} instead. Reshape your data "
            "either using X.reshape(-1, 1) if it holds a single modality column, or pass a "
            "DataFrame with one column per modality")
    if X.shape[0] < 1:
        raise ValueError(f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of "
                         "1 is required.")
    if X.shape[1] < 1:
        raise ValueError(f"Found array with 0 feature(s) (shape={X.shape}) while a minimum "
                         "of 1 is required.")
    return X


def select_fitted_columns(estimator, X):
    """``X`` reduced to the columns the fitted ``estimator`` saw, in their fitted order.

    As :class:`~sklearn.compose.ColumnTransformer` does, a DataFrame given at
    prediction time may carry more columns (an ``id``, a ``label``, a manifest's
    other columns) and in another order: the fitted ones are picked by name.
    Anything else is returned as it is (``validate_data`` then checks it).
    """
    names = getattr(estimator, "feature_names_in_", None)
    if names is None or not hasattr(X, "columns") or not hasattr(X, "iloc"):
        return X
    cols = list(X.columns)
    if cols == list(names) or not set(names) <= set(cols):
        return X
    return X[list(names)]


def select_column(X, column):
    """The raw input of one block.

    ``column`` follows :class:`~sklearn.compose.ColumnTransformer`: a scalar
    (column name or integer position) gives a 1-D column (a pandas Series for a
    DataFrame, which is what the mmfuse extractors take); a list, slice or
    boolean mask gives a 2-D block; a callable is called on ``X`` and must
    return one of those.
    """
    key = column(X) if callable(column) else column
    try:
        return _safe_indexing(X, key, axis=1)
    except (ValueError, IndexError, KeyError) as exc:
        raise ValueError(f"cannot select column(s) {key!r} from the input: {exc}") from exc


def n_rows(Xb) -> int:
    return Xb.shape[0] if hasattr(Xb, "shape") else len(Xb)


def row_labels(Xb):
    """Row labels for error messages: the pandas index where there is one, else positions."""
    if hasattr(Xb, "index") and hasattr(Xb, "iloc"):
        return list(Xb.index)
    return list(range(n_rows(Xb)))


def take_rows(Xb, rows):
    """Rows of a block (keeps pandas index labels so extractor errors name real rows)."""
    return _safe_indexing(Xb, rows, axis=0)


def to_2d(Z, name):
    """A transformer's output as a 2-D ndarray or CSR matrix, or an error naming the block."""
    if hasattr(Z, "iloc"):  # set_output(transform='pandas') inside a block
        Z = Z.to_numpy()
    if sp.issparse(Z):
        return Z.tocsr()
    Z = np.asarray(Z)
    if Z.ndim == 1:
        Z = Z.reshape(-1, 1)
    if Z.ndim != 2:
        raise ValueError(f"the transformer of block {name!r} returned an array of shape "
                         f"{Z.shape}; a 2-D (n_samples, n_features) output is required")
    if Z.dtype.kind == "O":
        try:
            Z = Z.astype(np.float64)
        except (TypeError, ValueError):
            pass
    if Z.dtype.kind not in "fiub":
        raise ValueError(f"the transformer of block {name!r} returned dtype {Z.dtype}; "
                         "numeric features are required")
    if Z.dtype.kind != "f":
        Z = Z.astype(np.float64)
    return Z


def scatter_rows(Zp, present, fill):
    """The full block: rows of ``Zp`` where ``present``, ``fill`` (a 1-D row) elsewhere."""
    n = present.shape[0]
    if present.all():
        return Zp
    missing = np.flatnonzero(~present)
    order = np.empty(n, dtype=np.intp)
    order[np.flatnonzero(present)] = np.arange(Zp.shape[0])
    order[missing] = Zp.shape[0] + np.arange(missing.size)
    F = np.broadcast_to(np.asarray(fill, dtype=Zp.dtype), (missing.size, Zp.shape[1]))
    if sp.issparse(Zp):
        return sp.vstack([Zp, sp.csr_matrix(F)], format="csr")[order]
    return np.concatenate([Zp, F], axis=0)[order]


def validate_entries(entries, *, kind, fields=None, allow_strings=("drop", "passthrough")):
    """Check a list of entries such as ``(name, estimator, column)``; return the names.

    Parameters
    ----------
    entries : list of tuple
    kind : str
        The parameter holding them (``'transformers'``), for messages.
    fields : tuple of str, default=None
        What each entry holds, for messages; None means ``('name', <kind
        without its s>, 'column')``. Its length is the length of an entry.
    allow_strings : tuple of str
        The strings allowed in place of the estimator.

    Raises
    ------
    ValueError
        Not a non-empty list, an entry of another length, a name that is not
        a str, a string that is not allowed.
    TypeError
        A class given where an instance is expected.
    """
    fields = ("name", kind[:-1], "column") if fields is None else tuple(fields)
    shape = f"({', '.join(fields)})"
    if not isinstance(entries, (list, tuple)) or not entries:
        raise ValueError(f"{kind} must be a non-empty list of {shape} tuples; got {entries!r}")
    names = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, tuple) or len(entry) != len(fields):
            raise ValueError(f"{kind}[{i}] must be a {shape} tuple; got {entry!r}")
        name, est = entry[:2]
        if not isinstance(name, str):
            raise ValueError(f"{kind}[{i}]: the name must be a str; got {name!r}")
        if isinstance(est, str):
            if est not in allow_strings:
                raise ValueError(f"{kind}[{i}] ({name!r}): {est!r} is not a{_an(fields[1])} "
                                 f"{fields[1]}" + (f"; the only strings allowed are "
                                                   f"{_quoted(allow_strings)}"
                                                   if allow_strings else ""))
        elif isinstance(est, type):
            raise TypeError(f"{kind}[{i}] ({name!r}): expected an instance "
                            f"({est.__name__}()), got the class {est.__name__}")
        names.append(name)
    return names


def _an(word):
    return "n" if word[:1] in "aeiou" else ""


def _quoted(strings):
    return " and ".join(repr(s) for s in strings)


# ------------------------------------------------------------------ cache keys

def fingerprint(obj) -> str:
    """A content hash of a block's raw input or of an (unfitted) transformer, for caching.

    Columns of items (object Series of arrays, ``(y, sr)`` tuples, strings, paths)
    are hashed item by item with BLAKE2b over the array bytes, which is many
    times faster than pickling them through :func:`joblib.hash`; anything else
    goes to :func:`joblib.hash`. Paths are hashed as strings: a file edited in
    place keeps its key (clear the cache).
    """
    import hashlib  # noqa: PLC0415

    import joblib  # noqa: PLC0415

    h = hashlib.blake2b(digest_size=16)

    def feed(x):
        if isinstance(x, np.ndarray) and x.dtype != object:
            h.update(f"a{x.dtype.str}{x.shape}".encode())
            h.update(np.ascontiguousarray(x).tobytes())
        elif isinstance(x, str):
            h.update(b"s%d:" % len(x))
            h.update(x.encode("utf-8", "surrogatepass"))
        elif isinstance(x, bytes):
            h.update(b"b%d:" % len(x))
            h.update(x)
        elif isinstance(x, (tuple, list)) and len(x) < 16:
            h.update(b"t%d(" % len(x))
            for v in x:
                feed(v)
            h.update(b")")
        elif x is None or isinstance(x, (bool, int, float)):
            h.update(repr(x).encode())
        else:
            h.update(joblib.hash(x).encode())

    if hasattr(obj, "iloc"):  # Series / DataFrame: index, names, then the values
        h.update(joblib.hash([list(obj.index), getattr(obj, "name", None),
                              list(getattr(obj, "columns", []))]).encode())
        values = obj.to_numpy()
    else:
        values = obj
    if isinstance(values, np.ndarray) and values.dtype == object:
        h.update(f"o{values.shape}".encode())
        for item in values.ravel():
            feed(item)
    elif isinstance(values, np.ndarray):
        feed(values)
    else:
        h.update(joblib.hash(values).encode())
    return h.hexdigest()


# ------------------------------------------------------------------ per-block post-processing

def unit_total_variance(Z):
    """A standardised block divided by ``sqrt(n_features)``: unit total variance, any width."""
    return Z * (1.0 / np.sqrt(Z.shape[1]))


def densify(Z):
    """A sparse block as a dense array (element-wise strategies need dense blocks)."""
    return Z.toarray() if sp.issparse(Z) else Z


def block_post(name, Z, *, norm, dim=None, dense=False):
    """The unfitted :class:`~sklearn.pipeline.Pipeline` that post-processes one block.

    Its steps, all scikit-learn estimators, are always named ``norm``,
    ``scale``, ``project`` and ``dense`` (``'passthrough'`` where unused):

    1. ``norm='l2'``: ``norm`` is :class:`~sklearn.preprocessing.Normalizer`,
       every row scaled to unit Euclidean norm (all-zero rows stay zero);
       ``'standard'``: :class:`~sklearn.preprocessing.StandardScaler` (centring
       dense blocks only), then ``scale`` divides the block by
       ``sqrt(n_features)`` (:func:`unit_total_variance`), so the block has unit
       *total* variance whatever its width (block scaling of multiblock
       analysis); ``None``: the identity
       :class:`~sklearn.preprocessing.FunctionTransformer`; a transformer: a
       clone of it.
    2. ``dim``: when set and different from the block width, ``project`` is a
       projection to ``dim`` components: :class:`~sklearn.decomposition.PCA`
       for dense blocks, :class:`~sklearn.decomposition.TruncatedSVD` for
       sparse ones (both with ``random_state=0``, so deterministic).
    3. ``dense=True``: ``dense`` turns a sparse result dense (element-wise
       strategies).

    The pipeline's output is never wrapped in a DataFrame (``set_output`` is
    ``'default'`` whatever the global configuration).

    Parameters
    ----------
    name : str
        The block's name, for messages.
    Z : {ndarray, sparse matrix} of shape (n_rows, n_features)
        The block's features on its present training rows (only its shape and
        sparsity are read).
    norm : {'l2', 'standard'}, transformer or None
        A transformer is cloned as the ``norm`` step.
    dim : int, default=None
    dense : bool, default=False

    Returns
    -------
    post : Pipeline

    Raises
    ------
    ValueError
        ``dim`` is larger than the block's width, than its number of rows
        (PCA), or not smaller than the width of a sparse block (truncated SVD).
    """
    from sklearn.pipeline import Pipeline  # noqa: PLC0415
    from sklearn.preprocessing import (  # noqa: PLC0415
        FunctionTransformer,
        Normalizer,
        StandardScaler,
    )

    scale = "passthrough"
    if norm == "l2":
        first = Normalizer(norm="l2")
    elif norm == "standard":
        first = StandardScaler(with_mean=not sp.issparse(Z))
        scale = FunctionTransformer(unit_total_variance, accept_sparse=True,
                                    feature_names_out="one-to-one")
    elif norm is None:
        first = FunctionTransformer(accept_sparse=True, feature_names_out="one-to-one")
    else:
        from sklearn.base import clone  # noqa: PLC0415

        first = clone(norm)
    project = "passthrough"
    if dim is not None and dim != Z.shape[1]:
        project = _projector(name, Z, dim)
    last = (FunctionTransformer(densify, accept_sparse=True, feature_names_out="one-to-one")
            if dense else "passthrough")
    steps = [("norm", first), ("scale", scale), ("project", project), ("dense", last)]
    return Pipeline(steps).set_output(transform="default")


def _projector(name, Z, dim):
    n, d = Z.shape
    if dim > d:
        raise ValueError(
            f"block {name!r} has {d} features, fewer than common_dim={dim}; "
            f"a projection cannot add dimensions: lower common_dim to at most {d}")
    if sp.issparse(Z):
        from sklearn.decomposition import TruncatedSVD  # noqa: PLC0415

        if dim >= d:
            raise ValueError(f"sparse block {name!r} has {d} features; truncated SVD "
                             f"needs common_dim < {d}")
        return TruncatedSVD(n_components=dim, random_state=0)
    from sklearn.decomposition import PCA  # noqa: PLC0415

    if dim > n:
        raise ValueError(
            f"block {name!r}: PCA to common_dim={dim} needs at least that many "
            f"rows with the modality present; got {n}. Lower common_dim or fit on more rows")
    return PCA(n_components=dim, random_state=0)


class BlockPost:
    """The per-block post-processing as model files written by earlier mmfuse versions hold it.

    Never built by mmfuse now; it exists so those files unpickle.
    :class:`~mmfuse.fusion.FeatureFusion` turns each one into the equivalent
    fitted :class:`~sklearn.pipeline.Pipeline` of :func:`block_post` when it
    is loaded (:meth:`as_pipeline`), so the model transforms as before.
    """

    def as_pipeline(self):
        """The fitted Pipeline that post-processes a block as this object did."""
        from sklearn.pipeline import Pipeline  # noqa: PLC0415
        from sklearn.preprocessing import FunctionTransformer, Normalizer  # noqa: PLC0415

        probe = np.zeros((1, self.n_in_))
        scale = "passthrough"
        if self.norm == "l2":
            first = Normalizer(norm="l2").fit(probe)
        elif self.norm == "standard":
            first = self.scaler_
            scale = FunctionTransformer(unit_total_variance, accept_sparse=True,
                                        feature_names_out="one-to-one").fit(probe)
        else:
            first = FunctionTransformer(accept_sparse=True,
                                        feature_names_out="one-to-one").fit(probe)
        project = "passthrough" if self.projector_ is None else self.projector_
        width = self.n_in_ if self.projector_ is None else self.dim
        last = (FunctionTransformer(densify, accept_sparse=True, feature_names_out="one-to-one")
                .fit(np.zeros((1, width))) if self.dense else "passthrough")
        steps = [("norm", first), ("scale", scale), ("project", project), ("dense", last)]
        return Pipeline(steps).set_output(transform="default")


def is_projected(post):
    """Whether a block's post-processing :class:`~sklearn.pipeline.Pipeline` projects it."""
    return not isinstance(post.named_steps["project"], str)


def as_weight_vector(weights, names, *, param="weights"):
    """A dict of per-block weights as an array in block order (missing keys weigh 1).

    Unknown keys, negative or non-finite values raise ``ValueError`` naming them.
    """
    if weights is None:
        return np.ones(len(names))
    unknown = sorted(set(weights) - set(names), key=str)
    if unknown:
        raise ValueError(f"{param} has key(s) {unknown} that match no block; the block names "
                         f"are {list(names)}")
    out = np.ones(len(names))
    for i, name in enumerate(names):
        if name in weights:
            w = weights[name]
            if not isinstance(w, numbers.Real) or not np.isfinite(w) or w < 0:
                raise ValueError(f"{param}[{name!r}] must be a finite number >= 0; got {w!r}")
            out[i] = float(w)
    return out


# ------------------------------------------------------------------ the row contract

def block_screener(estimator):
    """The ``_screen_rows`` method of the component that loads a block's items, or None.

    Looks through :class:`~sklearn.pipeline.Pipeline` (its first step that is
    not ``'passthrough'``/None), search and calibration wrappers
    (``best_estimator_``, ``estimator``) to the mmfuse extractor (or nested
    fuser) that reads the raw column.
    """
    for component in reader_chain(estimator):
        screen = getattr(component, "_screen_rows", None)
        if screen is not None and not isinstance(component, type):
            return screen
    return None


def error_rows(inputs, *, names, screeners, labels, missing_is_error, hint, weights=None):
    """The error rows of a batch and their errors (nothing is raised or reported).

    A row is an error row when no modality is present in it (every block's raw
    input is ``None``/NaN), when a modality is missing and the fuser's
    ``missing`` policy makes that an error (``missing_is_error``), or when a
    block's item cannot be loaded (found with the block's ``_screen_rows``; see
    :func:`block_screener`). Items of rows already in error are not loaded.

    Parameters
    ----------
    inputs : list of (block input, present mask)
    names : list of str
        Block names, for messages.
    screeners : list of callable or None
        Per block, ``screen(Xb) -> (failed mask, errors)``.
    labels : list
        Row labels of the batch (pandas index or positions).
    missing_is_error : bool
    hint : str
        How to fuse rows with a missing modality instead (for the message).
    weights : array-like of shape (n_blocks,), optional
        The fuser's block weights: a row whose present blocks all weigh 0 has
        nothing to be predicted from either.

    Returns
    -------
    bad : ndarray of bool, shape (n_rows,)
    errors : list of MMFuseInputError
        In row order (then block order), row labels from ``labels``.
    """
    found = []  # (position, block order, error)
    bad = np.zeros(len(labels), dtype=bool)
    for pos, err in _unloaded_error_rows(inputs, names, labels, weights):
        found.append((pos, -1, err))
        bad[pos] = True
    for b, (name, (Xb, p), screen) in enumerate(zip(names, inputs, screeners)):
        if missing_is_error:
            for pos in np.flatnonzero(~p & ~bad):
                found.append((pos, b, _missing_error(name, labels[pos], hint)))
            bad |= ~p
        check = p & ~bad
        if screen is None or not check.any():
            continue
        failed, errors = screen(take_rows(Xb, check) if not check.all() else Xb)
        positions = np.flatnonzero(check)[np.asarray(failed, dtype=bool)]
        for pos, e in zip(positions, errors):
            found.append((pos, b, MMFuseInputError(e.cause, row=labels[pos],
                                                   column=e.column or name, path=e.path)))
        bad[positions] = True
    found.sort(key=lambda t: (t[0], t[1]))
    return bad, [e for _, _, e in found]


def _unloaded_error_rows(inputs, names, labels, weights):
    """``(position, error)`` of the rows with nothing to predict from, found without loading:
    no modality present, or (``weights`` given) only blocks of weight 0 present."""
    present = np.stack([p for _, p in inputs])
    none = ~present.any(axis=0)
    out = [(pos, MMFuseInputError(
        f"no modality is present (every one of {names} is None/NaN or empty)",
        row=labels[pos])) for pos in np.flatnonzero(none)]
    if weights is not None:
        w = np.asarray(weights, dtype=float)
        zero = ~none & ~(present & (w > 0)[:, None]).any(axis=0)
        for pos in np.flatnonzero(zero):
            there = [n for n, p in zip(names, present[:, pos]) if p]
            out.append((pos, MMFuseInputError(
                f"only modalities of weight 0 are present ({there}; weights "
                f"{dict(zip(names, w.tolist()))}), so there is nothing to predict from: give "
                "them a weight > 0", row=labels[pos])))
        out.sort(key=lambda t: t[0])
    return out


def _missing_error(name, row, hint):
    return MMFuseInputError(f"modality is missing (None/NaN); {hint}", row=row, column=name)


def screen_rows(inputs, *, names, screeners, labels, missing_is_error, hint, fitting,
                weights=None):
    """Apply the row contract to a batch before any block's transformer or model sees it.

    Under ``on_error='raise'``, and always when ``fitting``, the earliest error
    row that can be found without loading anything raises: a row with no
    modality, with only modalities of weight 0 (``weights``), or missing a
    modality with ``missing_is_error`` (items that cannot be loaded are left
    to the extractors, which raise naming the row, column and path, so
    nothing is decoded twice). Under ``on_error='skip'`` at prediction time
    every error row of :func:`error_rows` is reported to
    :func:`mmfuse.collect_errors` and left out.

    Parameters are those of :func:`error_rows`, plus ``fitting`` (bool).

    Returns
    -------
    keep : ndarray of bool, shape (n_rows,)
        The rows to keep (all of them under ``'raise'``).

    Raises
    ------
    MMFuseInputError
        Under ``'raise'``, the earliest such error row, with how many there are.
    """
    from .._config import get_config, report_errors  # noqa: PLC0415

    if fitting or get_config()["on_error"] == "raise":
        found = _unloaded_error_rows(inputs, names, labels, weights)
        if missing_is_error:
            for name, (_, p) in zip(names, inputs):
                found += [(pos, _missing_error(name, labels[pos], hint))
                          for pos in np.flatnonzero(~p)]
        if found:
            rows = {pos for pos, _ in found}
            pos, err = min(found, key=lambda t: t[0])
            more = f" (and {len(rows) - 1} more error row(s))" if len(rows) > 1 else ""
            raise MMFuseInputError(err.cause + more, row=err.row, column=err.column)
        return np.ones(len(labels), dtype=bool)
    bad, errors = error_rows(inputs, names=names, screeners=screeners, labels=labels,
                             missing_is_error=missing_is_error, hint=hint, weights=weights)
    report_errors(errors)
    return ~bad


def screened_inputs(inputs, contract, *, fitting, kind="block"):
    """Apply :func:`screen_rows` to a fuser's block inputs; return ``(inputs, keep)``.

    ``inputs`` are ``(raw block input, present mask)`` pairs and ``contract``
    the keyword arguments of :func:`screen_rows`; the error rows leave every
    block. When ``fitting``, a block whose modality is missing in every
    remaining row is an error naming it (``kind`` says what a block is called).
    """
    keep = screen_rows(inputs, fitting=fitting, **contract)
    if not keep.all():
        inputs = [(take_rows(Xb, keep), p[keep]) for Xb, p in inputs]
    if fitting:
        for name, (_, present) in zip(contract["names"], inputs):
            if not present.any():
                raise ValueError(f"{kind} {name!r}: the modality is missing in every row; "
                                 "there is nothing to fit it on")
    return inputs, keep


def in_block(kind, name, column, estimator, fn, *args):
    """``fn(*args)``, with a failure of the block's own estimator named after the block.

    A ``ValueError``/``TypeError`` raised inside (other than
    :class:`~mmfuse.io.MMFuseInputError`, which names its row already) is
    raised again as one line: ``"block 'p' (column 'price', StandardScaler):
    ..."``. When a scalar column gave a 1-D input to an estimator that needs a
    2-D one, the message says so and how to select the column as a list.
    """
    try:
        return fn(*args)
    except MMFuseInputError as exc:
        if exc.row is not None or exc.id is not None:  # names its row already
            raise
        raise MMFuseInputError(f"{kind} {name!r} ({type(estimator).__name__}): {exc.cause}",
                               column=exc.column if exc.column is not None else column,
                               path=exc.path) from exc
    except (ValueError, TypeError) as exc:
        what = type(estimator).__name__
        where = f"{kind} {name!r} (column {column!r}, {what})"
        text = " ".join(str(exc).split())
        two_d = ("2D" in text or "2-dimensional" in text or "Reshape your data" in text)
        if is_scalar_column(column) and two_d:
            text = (f"{what} needs a 2-D input (n_samples, n_features), but the scalar column "
                    f"{column!r} selects a 1-D column; select it as [{column!r}] to pass a "
                    "one-column 2-D block")
        cls = ValueError if isinstance(exc, ValueError) else TypeError
        raise cls(f"{where}: {text}") from exc


def check_targets(estimator, X, y):
    """``(y, label_encoder)`` for a fuser's ``fit``: 1-D, as many labels as rows, >= 2 classes.

    Raises
    ------
    ValueError
        ``y`` is None, has another length than ``X``, or a single class.
    """
    from sklearn.preprocessing import LabelEncoder  # noqa: PLC0415
    from sklearn.utils.multiclass import check_classification_targets  # noqa: PLC0415
    from sklearn.utils.validation import column_or_1d  # noqa: PLC0415

    if y is None:
        raise ValueError(f"{type(estimator).__name__} requires y to be passed, but the target "
                         "y is None")
    y = column_or_1d(y, warn=True)
    if len(y) != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {len(y)} labels")
    check_classification_targets(y)
    le = LabelEncoder().fit(y)
    if len(le.classes_) < 2:
        raise ValueError(f"y has 1 class ({le.classes_[0]!r}); a classifier needs samples of "
                         "at least 2 classes")
    return y, le


def is_scalar_column(column) -> bool:
    return isinstance(column, (str, numbers.Integral))


# ------------------------------------------------------------------ the composition base

class BlockComposition(_BaseComposition):
    """The base of the fusers: a list of ``(name, estimator, column[, ...])`` blocks.

    Modelled on :class:`~sklearn.compose.ColumnTransformer`, and on the same
    scikit-learn mechanism, :class:`~sklearn.utils.metaestimators._BaseComposition`:

    - the ``_transformers`` property gives ``_BaseComposition`` the
      ``(name, estimator)`` pairs of the entries held in the attribute named by
      ``_parts`` (``'transformers'``, ``'estimators'``, ``'kernels'``), and
      writes replaced estimators back into the full entries, so nested keys
      (``image__n_words``) and whole replacements (``image=...``) behave in
      ``get_params``/``set_params``/``clone``/``GridSearchCV`` exactly as in
      ``ColumnTransformer``;
    - :meth:`_iter` yields the entries, unfitted or fitted, with ``'drop'``
      skipped, as ``ColumnTransformer._iter`` does;
    - the row contract (:meth:`_row_contract`, :meth:`_screen_rows`), input
      checks (:meth:`_check_X`) and the tags of the parts
      (:meth:`_parts_tags`) are written once here for every fuser.

    A subclass sets ``_parts``, ``_extra_fields`` (what an entry holds after
    its column, e.g. ``('kernel',)``), ``_fitted_attr`` (the attribute that
    marks it fitted) and ``_kind`` (what a block is called in messages), and
    implements :meth:`_fitted_entries`, :meth:`_contract_hint` and
    :meth:`_contract_weights`.
    """

    _parts = "transformers"
    _extra_fields = ()
    _fitted_attr = "transformers_"
    _kind = "block"

    @property
    def _transformers(self):
        """The ``(name, estimator)`` pairs, for ``_BaseComposition._get_params``.

        To iterate over the blocks use :meth:`_iter`.
        """
        entries = getattr(self, self._parts)
        try:
            if all(len(entry) == 3 + len(self._extra_fields) for entry in entries):
                return [(entry[0], entry[1]) for entry in entries]
        except TypeError:
            pass
        return entries

    @_transformers.setter
    def _transformers(self, value):
        entries = getattr(self, self._parts)
        try:
            setattr(self, self._parts, [(name, est, *rest) for ((name, est), (_, _, *rest))
                                        in zip(value, entries)])
        except (TypeError, ValueError):
            setattr(self, self._parts, value)

    def get_params(self, deep=True):
        """Get parameters of this estimator and, with ``deep``, of each block's estimator.

        Parameters
        ----------
        deep : bool, default=True
            Also return each block's estimator (``name``) and its parameters
            (``name__param``).

        Returns
        -------
        params : dict
        """
        return self._get_params("_transformers", deep=deep)

    def set_params(self, **params):
        """Set parameters, a whole block estimator (``name=...``) or its own (``name__param``).

        Parameters
        ----------
        **params : keyword arguments

        Returns
        -------
        self : estimator instance
        """
        self._set_params("_transformers", **params)
        return self

    def _iter(self, *, fitted=False, skip_drop=True):
        """Yield the block entries ``(name, estimator, column, ...)``.

        ``fitted=False``: the entries as given (``'drop'`` skipped when
        ``skip_drop``); ``fitted=True``: the fitted estimators with the columns
        resolved at fit time (:meth:`_fitted_entries`).
        """
        entries = self._fitted_entries() if fitted else getattr(self, self._parts)
        for entry in entries:
            if skip_drop and isinstance(entry[1], str) and entry[1] == "drop":
                continue
            yield entry

    def _fitted_entries(self):
        """The fitted entries, each column resolved at fit (every subclass defines it)."""
        raise NotImplementedError(f"{type(self).__name__} must define _fitted_entries")

    def _contract_hint(self):
        """What a missing-modality error suggests for this fuser (every subclass defines it)."""
        raise NotImplementedError(f"{type(self).__name__} must define _contract_hint")

    def _contract_weights(self, *, fitting):
        """Per-block weights of the row contract, or None (every subclass defines it)."""
        raise NotImplementedError(f"{type(self).__name__} must define _contract_weights")

    def _check_entries(self, *, what, allow_strings=("drop", "passthrough")):
        """Validate the entries and their names; return the names (``'drop'`` included)."""
        names = validate_entries(getattr(self, self._parts), kind=self._parts,
                                 fields=("name", what, "column", *self._extra_fields),
                                 allow_strings=allow_strings)
        self._validate_names(names)
        return names

    def _fit_columns(self, X, entries):
        """Set ``columns_`` and ``input_schema_`` for a fit on ``X``; return ``columns_``.

        Each entry's column is resolved once, a callable called on ``X`` (as
        ColumnTransformer does at fit); the input schema (each raw column's
        kind, dtype and block) is :func:`mmfuse._schema.input_schema`.
        """
        self.columns_ = [entry[2](X) if callable(entry[2]) else entry[2] for entry in entries]
        self.input_schema_ = input_schema(X, entries, self.columns_)
        return self.columns_

    def _check_X(self, X, *, reset):
        """``X`` checked as a fuser's input; at prediction time, its fitted columns picked."""
        X = check_fusion_input(X)
        if not reset:
            X = select_fitted_columns(self, X)
        validate_data(self, X, reset=reset, skip_check_array=True)
        return X

    def _row_contract(self, X, entries, *, fitting):
        """Each block's raw input with its present rows, and the arguments of the row checks.

        ``entries`` are ``(name, estimator, resolved column, ...)``.
        """
        inputs = [(Xb, ~missing_rows(Xb)) for Xb in (select_column(X, e[2]) for e in entries)]
        contract = dict(
            names=[e[0] for e in entries], labels=row_labels(X),
            screeners=[None if isinstance(e[1], str) else block_screener(e[1])
                       for e in entries],
            missing_is_error=self.missing == "error", hint=self._contract_hint(),
            weights=self._contract_weights(fitting=fitting))
        return inputs, contract

    def _block_inputs(self, X, entries, *, fitting):
        """Each block's raw input and present rows, after the batch's error rows left it.

        Error rows (no modality present; a missing modality under
        ``missing='error'``; under ``on_error='skip'`` an item its block cannot
        load) raise, or are reported and removed (:func:`screen_rows`).
        Returns ``(inputs, keep)``, ``keep`` the boolean mask of the rows left.
        """
        return screened_inputs(*self._row_contract(X, entries, fitting=fitting),
                               fitting=fitting, kind=self._kind)

    def _screen_rows(self, X):
        """``(bad, errors)``: the rows of ``X`` that prediction would skip or raise on.

        Loads every present item with its block's loader (nothing is extracted).
        """
        check_is_fitted(self, self._fitted_attr)
        X = select_fitted_columns(self, check_fusion_input(X))
        inputs, contract = self._row_contract(X, list(self._iter(fitted=True)),
                                              fitting=False)
        return error_rows(inputs, **contract)

    def _named_fitted(self):
        """The fitted block estimators by name."""
        check_is_fitted(self, self._fitted_attr)
        return Bunch(**{e[0]: e[1] for e in self._iter(fitted=True)})

    def _parts_tags(self, tags, *, allow_nan=None):
        """``tags`` with the input tags the block estimators share.

        Sparse input when every part takes it, string input when any part does;
        ``allow_nan`` when every part allows NaN (or as given).
        """
        try:
            parts = [e[1] for e in getattr(self, self._parts) if not isinstance(e[1], str)]
            tags.input_tags.allow_nan = (all(get_tags(p).input_tags.allow_nan for p in parts)
                                         if allow_nan is None else allow_nan(parts))
            tags.input_tags.sparse = all(get_tags(p).input_tags.sparse for p in parts)
            tags.input_tags.string = any(get_tags(p).input_tags.string for p in parts)
        except (TypeError, ValueError):
            pass
        return tags
