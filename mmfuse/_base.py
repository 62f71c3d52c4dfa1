"""Shared plumbing for the per-modality extractors (one column in, one block out)."""

from __future__ import annotations

import numpy as np

from ._config import get_config, report_errors, show_progress
from .io import LoadedColumn, MMFuseInputError, load_column

__all__ = ["as_column", "load_items", "progress_bar"]


def as_column(X):
    """Normalise a single-column input to ``(items, rows, column_name)``.

    Accepts a 1-D list/tuple/ndarray, a pandas Series, a one-column DataFrame,
    or an ``(n, 1)`` object array (what ``ColumnTransformer`` passes for
    ``['col']``). ``rows`` are the Series/DataFrame index labels or positions.
    """
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


def load_items(X, loader, *, default_column=None, n_jobs=None, **kwargs):
    """Load a column with ``loader`` under the configured ``on_error`` policy.

    Returns ``(loaded, column_name)`` where ``loaded`` is a
    :class:`~mmfuse.io.LoadedColumn`. Under ``on_error='skip'`` the failures
    are reported to active :func:`mmfuse.collect_errors` blocks and the rows
    come back as ``None`` with ``loaded.failed`` set; callers give them a zero
    feature vector.
    """
    items, rows, name = as_column(X)
    column = name if name is not None else default_column
    on_error = get_config()["on_error"]
    loaded: LoadedColumn = load_column(items, loader, column=column, rows=rows,
                                       on_error=on_error, n_jobs=n_jobs, **kwargs)
    if loaded.errors:
        report_errors(loaded.errors)
    return loaded, column


def progress_bar(iterable=None, *, total=None, desc=None, progress=None, unit="it"):
    """A tqdm bar that is off unless ``progress`` (or the config/TTY) says otherwise."""
    from tqdm.auto import tqdm  # noqa: PLC0415

    return tqdm(iterable, total=total, desc=desc, unit=unit,
                disable=not show_progress(progress), leave=False)


def check_no_failed_reference(loaded: LoadedColumn, *, column=None):
    """Raise if every row failed or is missing: nothing to fit on."""
    if not loaded.ok.any():
        raise MMFuseInputError(
            "no usable item in the column (all missing or unreadable)", column=column)
