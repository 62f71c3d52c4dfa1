"""Shared plumbing for the per-modality extractors (one column in, one block out).

The row contract of the extractors (see :mod:`mmfuse._config`): a missing item
(``None``/NaN) gives a NaN row (TF-IDF: an empty document); an item that cannot
be loaded raises :class:`~mmfuse.io.MMFuseInputError`, or under
``on_error='skip'`` at prediction time is left out of the output and reported
to :func:`mmfuse.collect_errors`. Fitting always raises (:func:`strict_loading`).
"""

from __future__ import annotations

import contextlib

import numpy as np

from ._config import config_context, get_config, report_errors, show_progress
from .io import LoadedColumn, MMFuseInputError, load_column

__all__ = ["ColumnExtractorMixin", "as_column", "drop_failed_rows", "kept_rows_output",
           "load_items", "new_file_mode", "progress_bar", "screen_column", "strict_loading",
           "warn_rows"]


class ColumnExtractorMixin:
    """The input tags of an extractor that takes one column of items.

    Its ``X`` is a column of paths, texts or decoded items (``input_tags.string``),
    not a numeric ``(n_samples, n_features)`` table (``two_d_array=False``); a
    missing item (None/NaN) is allowed (``allow_nan``; the extractor's docstring
    says what row it gives); the output dtype does not follow the input's
    (``preserves_dtype=[]``). Put it before :class:`~sklearn.base.TransformerMixin`
    in the bases.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = []
        return tags


@contextlib.contextmanager
def strict_loading():
    """A bad item raises inside this block whatever ``on_error`` says.

    Used by ``fit`` (a training row cannot leave the batch without its label,
    and training on a stand-in for it would be a silently different model), and
    by the fusers after they screened a batch (a row that still fails must not
    shift the other blocks' rows).
    """
    with config_context(on_error="raise"):
        yield


def screen_column(X, loader, *, n_jobs=None, batch_size=256, **kwargs):
    """Load every item of a column with ``loader`` to find the ones that fail.

    Items are loaded in batches of ``batch_size`` and dropped at once, so memory
    stays bounded whatever the column's length.

    Returns
    -------
    failed : ndarray of bool, shape (n_items,)
    errors : list of MMFuseInputError
        One per failed item (row label and column filled in), in row order.
    """
    items, rows, name = as_column(X)
    failed = np.zeros(len(items), dtype=bool)
    errors = []
    for start in range(0, len(items), batch_size):
        stop = start + batch_size
        loaded = load_column(items[start:stop], loader, column=name, rows=rows[start:stop],
                             on_error="skip", n_jobs=n_jobs, **kwargs)
        failed[start:stop] = loaded.failed
        errors += loaded.errors
    return failed, errors


def drop_failed_rows(estimator, out, failed, X):
    """``out`` without the rows whose item failed to load (``on_error='skip'``)."""
    if not np.any(failed):
        return out
    keep = ~np.asarray(failed)
    return kept_rows_output(estimator, out[keep], keep, X)


def kept_rows_output(estimator, out, keep, X):
    """The output of the kept rows of ``X`` (``keep`` a boolean mask), ready to return.

    When ``estimator`` is configured for pandas output
    (``set_output(transform='pandas')``), ``X`` has an index and rows were
    dropped, the result is a DataFrame indexed by the kept rows' labels, so
    scikit-learn's output wrapper does not try to reuse the full index.
    """
    index = getattr(X, "index", None)
    if keep.all() or index is None or not hasattr(X, "iloc") or hasattr(out, "tocsr"):
        return out
    from sklearn.utils._set_output import _get_output_config  # noqa: PLC0415

    if _get_output_config("transform", estimator)["dense"] == "pandas":
        import pandas as pd  # noqa: PLC0415

        out = pd.DataFrame(out, index=index[keep])
    return out


def as_column(X, *, kind=None):
    """Normalise a single-column input to ``(items, rows, column_name)``.

    Accepts a 1-D list/tuple/ndarray, a pandas Series, a one-column DataFrame,
    or an ``(n, 1)`` object array (what ``ColumnTransformer`` passes for
    ``['col']``). ``rows`` are the Series/DataFrame index labels or positions.
    With ``kind='image'``, a numeric ``(H, W, 3)`` or ``(H, W, 4)`` array --
    one colour image, which would read as H images of W x 3 pixels -- raises a
    ``ValueError`` saying how to pass it.
    """
    if (kind == "image" and isinstance(X, np.ndarray) and X.dtype != object and X.ndim == 3
            and X.shape[-1] in (3, 4)):
        raise ValueError(
            f"got a numeric array of shape {X.shape}: one colour image, which would be read "
            f"as a batch of {X.shape[0]} images of {X.shape[1]}x{X.shape[2]} pixels; pass a "
            "column of images instead, e.g. [image] or image[None] (a batch of one, shape "
            f"(1, {X.shape[0]}, {X.shape[1]}, {X.shape[2]}))")
    name = None
    if hasattr(X, "iloc") and hasattr(X, "columns"):  # DataFrame
        if X.shape[1] != 1:
            raise ValueError(
                f"expected one column of items; got a DataFrame with {X.shape[1]} columns "
                f"{list(X.columns)[:5]}; select the modality column first "
                "(e.g. X['image']) or use mmfuse.fusion.FeatureFusion")
        name = str(X.columns[0])
        rows = list(X.index)
        items = X.iloc[:, 0].tolist()
    elif hasattr(X, "iloc"):  # Series
        name = None if X.name is None else str(X.name)
        rows = list(X.index)
        items = X.tolist()
    elif isinstance(X, np.ndarray) and X.dtype != object and X.ndim >= 2:
        # a numeric stack of same-shape items, e.g. images (N, H, W) or clips (N, T)
        items = list(X)
        rows = list(range(len(items)))
    else:
        if isinstance(X, np.ndarray) and X.ndim == 2 and X.shape[1] == 1:
            X = X[:, 0]
        if isinstance(X, (str, bytes)) or not hasattr(X, "__len__"):
            raise ValueError(
                f"expected a column of items (list, array or pandas Series); got "
                f"{type(X).__name__}")
        items = list(X)
        rows = list(range(len(items)))
    if len(items) == 0:
        raise ValueError("got 0 items; at least one is required")
    return items, rows, name


def warn_rows(X, positions, cause, *, stacklevel=2):
    """One :class:`~mmfuse.io.MMFuseInputWarning` about the items at ``positions`` of ``X``.

    It carries their row labels, the column name and, for items given as file
    paths, the paths (which ``mmfuse score`` prints with the rows' ids).
    """
    import os  # noqa: PLC0415

    from ._config import warn_input  # noqa: PLC0415
    from .io import MMFuseInputWarning  # noqa: PLC0415

    items, rows, name = as_column(X)
    paths = [items[i] if isinstance(items[i], (str, os.PathLike)) else None for i in positions]
    warn_input(MMFuseInputWarning(cause, rows=[rows[i] for i in positions], column=name,
                                  paths=paths), stacklevel=stacklevel + 1)


def load_items(X, loader, *, default_column=None, n_jobs=None, **kwargs):
    """Load a column with ``loader`` under the configured ``on_error`` policy.

    Returns ``(loaded, column_name)`` where ``loaded`` is a
    :class:`~mmfuse.io.LoadedColumn`. Under ``on_error='skip'`` the failures
    are reported to active :func:`mmfuse.collect_errors` blocks and the rows
    come back as ``None`` with ``loaded.failed`` set; callers leave them out of
    their output (:func:`drop_failed_rows`).
    """
    items, rows, name = as_column(X)
    column = name if name is not None else default_column
    on_error = get_config()["on_error"]
    loaded: LoadedColumn = load_column(items, loader, column=column, rows=rows,
                                       on_error=on_error, n_jobs=n_jobs, **kwargs)
    if loaded.errors:
        report_errors(loaded.errors)
    return loaded, column


class _NoBar:
    """What :func:`progress_bar` returns when the bar is off: the iterable, and no-op
    ``update``/``close``/``set_postfix_str`` (importing tqdm costs 30-200 ms, which a
    first call without a bar should not pay)."""

    def __init__(self, iterable):
        self.iterable = iterable

    def __iter__(self):
        return iter(() if self.iterable is None else self.iterable)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n=1):
        pass

    def close(self):
        pass

    def set_postfix_str(self, s="", refresh=True):
        pass


def progress_bar(iterable=None, *, total=None, desc=None, progress=None, unit="it"):
    """A tqdm bar that is off unless ``progress`` (or the config/TTY) says otherwise."""
    if not show_progress(progress):
        return _NoBar(iterable)
    from tqdm.auto import tqdm  # noqa: PLC0415

    return tqdm(iterable, total=total, desc=desc, unit=unit, disable=False, leave=False)


def check_no_failed_reference(loaded: LoadedColumn, *, column=None):
    """Raise if every row failed or is missing: nothing to fit on."""
    if not loaded.ok.any():
        raise MMFuseInputError(
            "no usable item in the column (all missing or unreadable)", column=column)


def new_file_mode() -> int:
    """The mode ``open()`` gives a new file: 0o666 less the process umask.

    Files written through a temporary file (:func:`tempfile.mkstemp` makes
    them 0600) and renamed into place get this mode, like any other output.
    """
    import os  # noqa: PLC0415

    try:  # Linux: read it without changing it (os.umask is process-wide)
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask
