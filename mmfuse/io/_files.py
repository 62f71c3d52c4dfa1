"""Reading files: the one place where a path becomes bytes or a file-system error.

Every loader of :mod:`mmfuse.io` that reads a file goes through
:func:`read_bytes` (the whole file) or :func:`file_size` (a file another
library decodes from its path), so a missing, empty, unreadable file or a
directory gives the same :class:`~mmfuse.exceptions.MMFuseInputError` cause
whatever the modality. :func:`is_missing` decides what a missing cell is, and
:func:`missing_rows` which rows of a column or block are missing.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ..exceptions import MMFuseInputError


def is_missing(item) -> bool:
    """True for ``None``, float NaN, ``pandas.NA`` and ``pandas.NaT``: a missing modality.

    Parameters
    ----------
    item : object
        One cell of a modality column.

    Returns
    -------
    bool
        Whether the cell is a missing modality (the row contract: an empty
        string, ``'NA'`` or ``'null'`` in a text column is text, not missing).

    Examples
    --------
    >>> import numpy as np
    >>> from mmfuse.io import is_missing
    >>> [is_missing(v) for v in (None, np.nan, "NA", "", 0.0)]
    [True, True, False, False, False]
    """
    if item is None:
        return True
    if isinstance(item, float):
        return math.isnan(item)
    if isinstance(item, np.floating) and np.ndim(item) == 0:
        return bool(np.isnan(item))
    name = type(item).__name__
    if name in ("NAType", "NaTType"):
        return True
    return False


def missing_rows(Xb) -> np.ndarray:
    """Boolean mask of the rows where a column's (or block's) modality is absent.

    The rule every fuser applies before its extractors see a batch: a 1-D
    column is missing where its item is missing (:func:`is_missing`); a
    multi-column block is missing where *every* cell of the row is; numeric
    integer/boolean columns and sparse blocks are never missing (an all-zero
    sparse row is a value, not an absence).

    Parameters
    ----------
    Xb : pandas.Series, pandas.DataFrame, ndarray of shape (n_rows,) or (n_rows, n_columns), \
sparse matrix or list
        One modality's column or block of rows.

    Returns
    -------
    ndarray of bool, shape (n_rows,)
        True where the row's modality is absent.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from mmfuse.io import missing_rows
    >>> missing_rows(pd.Series(["a.png", None, np.nan, ""])).tolist()
    [False, True, True, False]
    >>> missing_rows(np.array([[1.0, np.nan], [np.nan, np.nan]])).tolist()
    [False, True]
    """
    if sp.issparse(Xb):
        return np.zeros(Xb.shape[0], dtype=bool)
    if hasattr(Xb, "iloc"):  # Series or DataFrame
        values = Xb.to_numpy()
    elif isinstance(Xb, np.ndarray):
        values = Xb
    else:  # a list of items
        return np.fromiter((is_missing(v) for v in Xb), dtype=bool, count=len(Xb))
    if values.ndim > 1 and values.shape[1] == 0:  # no column: let the transformer complain
        return np.zeros(len(values), dtype=bool)
    if values.dtype.kind in "fc":
        nan = np.isnan(values)
        return nan if nan.ndim == 1 else nan.reshape(len(nan), -1).all(axis=1)
    if values.dtype.kind in "iub":
        return np.zeros(len(values), dtype=bool)
    if values.ndim == 1:
        return np.fromiter((is_missing(v) for v in values), dtype=bool, count=len(values))
    flat = values.reshape(len(values), -1)
    return np.array([all(is_missing(v) for v in row) for row in flat], dtype=bool)


def _is_pathlike(item) -> bool:
    return isinstance(item, (str, os.PathLike))


def _check_path(path, *, row, column):
    """An empty (or all-blank) path string names no file: say so, not 'is a directory'."""
    if not os.fspath(path).strip():
        raise MMFuseInputError("the path is empty (an empty string names no file; use None "
                               "for a missing item)", row=row, column=column)


def _file_error(exc, *, path, row, column) -> MMFuseInputError:
    """The :class:`MMFuseInputError` for an :class:`OSError` met reading ``path``."""
    if isinstance(exc, FileNotFoundError):
        cause = "file not found"
    elif isinstance(exc, IsADirectoryError):
        cause = "path is a directory, not a file"
    elif isinstance(exc, PermissionError):
        cause = "permission denied"
    else:
        cause = f"cannot read file ({exc.strerror or exc})"
    return MMFuseInputError(cause, row=row, column=column, path=path)


def _empty_error(*, path, row, column) -> MMFuseInputError:
    return MMFuseInputError("file is empty (0 bytes)", row=row, column=column, path=path)


def read_bytes(path, *, row, column, allow_empty=False) -> bytes:
    """The whole content of the file ``path``; file-system failures as :class:`MMFuseInputError`.

    ``allow_empty=False`` makes an empty file an error (an empty image or clip
    file holds nothing); a text file may be empty.
    """
    _check_path(path, row=row, column=column)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise _file_error(exc, path=path, row=row, column=column) from None
    if not data and not allow_empty:
        raise _empty_error(path=path, row=row, column=column)
    return data


def file_size(path, *, row, column, allow_empty=False) -> int:
    """The size in bytes of the file ``path``, checked as :func:`read_bytes` checks it.

    For a file that another library (libsndfile) opens from its path: the
    same causes as :func:`read_bytes` for a missing, unreadable or empty file
    or a directory, without reading it.
    """
    _check_path(path, row=row, column=column)
    try:
        st = os.stat(path)
    except OSError as exc:
        raise _file_error(exc, path=path, row=row, column=column) from None
    if os.path.isdir(path):
        raise _file_error(IsADirectoryError(), path=path, row=row, column=column)
    if st.st_size == 0 and not allow_empty:
        raise _empty_error(path=path, row=row, column=column)
    return st.st_size
