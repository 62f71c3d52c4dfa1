"""Loading a column of items with an ``on_error`` policy (:func:`load_column`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Integral

import numpy as np

from .._validation import constraints_of, validate_params
from ..exceptions import MMFuseInputError
from ._files import is_missing

__all__ = ["LoadedColumn", "ON_ERROR", "load_column"]

ON_ERROR = ("raise", "skip")


@dataclass
class LoadedColumn:
    """The result of :func:`load_column`.

    Parameters
    ----------
    values : list
        One entry per input row: the loaded item, or ``None`` where the item
        was missing or (with ``on_error='skip'``) failed to load.
    missing : ndarray of bool
        True where the modality was absent (None/NaN) in the input.
    failed : ndarray of bool
        True where loading failed (only ever set with ``on_error='skip'``).
    errors : list of MMFuseInputError
        The failures, in row order.
    """

    values: list
    missing: np.ndarray
    failed: np.ndarray
    errors: list = field(default_factory=list)

    @property
    def ok(self) -> np.ndarray:
        """Boolean mask of rows that loaded (neither missing nor failed)."""
        return ~(self.missing | self.failed)

    @property
    def good_rows(self) -> np.ndarray:
        """Positions of the rows that loaded."""
        return np.flatnonzero(self.ok)


def _load_one(loader, item, row, column, kwargs, on_error):
    try:
        return loader(item, row=row, column=column, **kwargs), None
    except MMFuseInputError as exc:
        if on_error == "raise":
            raise exc.with_context(row=row, column=column) from None
        return None, exc.with_context(row=row, column=column)


@validate_params(
    lambda c: {
        "items": ["array-like"],
        "loader": [callable],
        "column": "no_validation",
        "rows": ["array-like", None],
        "on_error": [c.StrOptions(set(ON_ERROR))],
        "n_jobs": [Integral, None],
    },
    prefer_skip_nested_validation=True,
)
def load_column(items, loader, *, column=None, rows=None, on_error="raise", n_jobs=None,
                **kwargs) -> LoadedColumn:
    """Apply ``loader`` (e.g. :func:`load_audio`) to every item of a column.

    Parameters
    ----------
    items : sequence
        The raw items (a list, array or pandas Series).
    loader : callable
        ``loader(item, row=..., column=..., **kwargs)``.
    column : str, optional
        Column name used in error messages.
    rows : sequence, optional
        Row labels used in error messages; defaults to the Series index when
        ``items`` is a pandas Series, else positions ``0..n-1``.
    on_error : {'raise', 'skip'}, default='raise'
        ``'raise'`` re-raises the first :class:`MMFuseInputError`; ``'skip'``
        loads every good row and collects the errors.
    n_jobs : int, optional
        Load with joblib threads (decoders release the GIL); None means 1.
    **kwargs
        Passed to ``loader``. A loader of this module checks them once for the
        whole column, not once per item.
    """
    constraints = constraints_of(loader)
    if constraints is not None:
        from .._compat import InvalidParameterError, validate_parameter_constraints  # noqa: PLC0415

        try:
            validate_parameter_constraints(
                constraints, kwargs, caller_name=getattr(loader, "__qualname__", "loader"))
        except InvalidParameterError as exc:
            # a plain ValueError: the loader's name stays in the message (scikit-learn
            # renames an InvalidParameterError after the outer function, load_column)
            raise ValueError(str(exc)) from None
    if rows is None:
        rows = list(items.index) if hasattr(items, "index") and hasattr(items, "iloc") \
            else range(len(items))
    seq = list(items.tolist() if hasattr(items, "tolist") and not isinstance(items, list)
               else items)
    if len(rows) != len(seq):
        raise ValueError(f"rows has {len(rows)} labels for {len(seq)} items")
    import sklearn  # noqa: PLC0415

    # the loader's options were checked above: items skip the per-call validation
    with sklearn.config_context(skip_parameter_validation=True):
        if n_jobs is not None and n_jobs != 1 and len(seq) > 1:
            from .._parallel import Parallel, delayed  # noqa: PLC0415

            results = Parallel(n_jobs=n_jobs, prefer="threads")(
                delayed(_load_one)(loader, it, r, column, kwargs, on_error)
                for it, r in zip(seq, rows))
        else:
            results = [_load_one(loader, it, r, column, kwargs, on_error)
                       for it, r in zip(seq, rows)]
    values = [v for v, _ in results]
    errors = [e for _, e in results if e is not None]
    failed = np.array([e is not None for _, e in results], dtype=bool)
    missing = np.array([is_missing(it) for it in seq], dtype=bool)
    return LoadedColumn(values=values, missing=missing, failed=failed, errors=errors)
