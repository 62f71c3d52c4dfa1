"""Every exception and warning class of mmfuse, in one place.

The classes are re-exported where they are used, so both spellings name the
same class (``mmfuse.io.MMFuseInputError is mmfuse.exceptions.MMFuseInputError``):

:class:`~mmfuse.MMFuseInputError` (also ``mmfuse.MMFuseInputError``, ``mmfuse.io``)
    A raw input item that cannot be used; names the row, id, column, path and cause.
:class:`~mmfuse.MMFuseInputWarning` (also ``mmfuse.MMFuseInputWarning``, ``mmfuse.io``)
    Input items that were usable but odd or repaired, or rows left out under
    ``on_error='skip'`` with nobody collecting them.
:class:`ModelFileError` (also ``mmfuse.persistence``)
    A model file that is not an mmfuse model, is truncated, altered or unsafe.
:class:`VersionMismatchWarning` (also ``mmfuse.persistence``)
    A model trained with other library versions than the ones loading it.
:class:`UsageError` (also ``mmfuse.cli``)
    A command line used wrongly; ``mmfuse`` exits with status 2.

This module imports nothing from mmfuse (it is the bottom layer of the package,
see the architecture page), so every other module may import it.
"""

from __future__ import annotations

import os

__all__ = [
    "MMFuseInputError",
    "MMFuseInputWarning",
    "ModelFileError",
    "UsageError",
    "VersionMismatchWarning",
]


class MMFuseInputError(ValueError):
    """A raw input item that cannot be used, with where it came from and why.

    Parameters
    ----------
    cause : str
        What is wrong, in plain words, ideally with the fix.
    row : int or hashable, optional
        Row label (position or index value) of the item in its batch.
    column : str, optional
        Column (modality) name.
    path : str or os.PathLike, optional
        File the item was read from.
    id : hashable, optional
        The row's identifier (a manifest's ``id`` column).

    See Also
    --------
    mmfuse.MMFuseInputWarning : usable but odd input, and rows skipped without a collector.
    mmfuse.collect_errors : collect the errors of skipped rows as values.

    Notes
    -----
    The message reads
    ``"row 17 (id a17), column 'audio', clips/a.wav: file is empty (0 bytes)"``;
    parts that are unknown are left out.
    """

    def __init__(self, cause, *, row=None, column=None, path=None, id=None):  # noqa: A002
        self.cause = str(cause)
        self.row = row
        self.id = id
        self.column = column
        self.path = None if path is None else os.fspath(path)
        super().__init__(self._message())

    def _message(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}" + (f" (id {self.id})" if self.id is not None
                                              else ""))
        elif self.id is not None:
            where.append(f"id {self.id}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        if self.path is not None:
            where.append(str(self.path))
        return f"{', '.join(where)}: {self.cause}" if where else self.cause

    def __str__(self) -> str:
        return self._message()

    def with_context(self, *, row=None, column=None, path=None, id=None  # noqa: A002
                     ) -> "MMFuseInputError":
        """A copy with row/id/column/path filled in where this error lacks them."""
        return MMFuseInputError(
            self.cause,
            row=self.row if self.row is not None else row,
            column=self.column if self.column is not None else column,
            path=self.path if self.path is not None else path,
            id=self.id if self.id is not None else id,
        )

    def as_record(self) -> dict:
        """``{'row', 'id', 'column', 'path', 'cause'}``: one line of an errors table."""
        return {"row": self.row, "id": self.id, "column": self.column, "path": self.path,
                "cause": self.cause}

    def __reduce__(self):  # keep keyword-only attributes through pickling (joblib workers)
        return (_rebuild_error, (self.cause, self.row, self.column, self.path, self.id))


def _rebuild_error(cause, row, column, path, id=None):  # noqa: A002
    return MMFuseInputError(cause, row=row, column=column, path=path, id=id)


class MMFuseInputWarning(UserWarning):
    """Input items were usable but odd or repaired (a blank image, undecodable text bytes).

    Parameters
    ----------
    cause : str
        What was found and what was done about it.
    rows : sequence, optional
        Row labels of the items concerned.
    column : str, optional
        Their column.
    paths : sequence of str or None, optional
        The file of each row (aligned with ``rows``), where items are files.

    See Also
    --------
    mmfuse.MMFuseInputError : input that cannot be used.

    Notes
    -----
    The message reads ``"rows 3, 9, column 'image': image has no gradient ..."``.
    :meth:`describe` adds ids and paths (``mmfuse score`` does so, one line per
    warning).
    """

    def __init__(self, cause, *, rows=(), column=None, paths=None):
        self.cause = str(cause)
        self.rows = list(rows)
        self.column = column
        self.paths = None if paths is None else [None if p is None else os.fspath(p)
                                                 if isinstance(p, os.PathLike) else p
                                                 for p in paths]
        super().__init__(self.describe())

    def describe(self, ids=None, *, limit=10) -> str:
        """One line: the rows (with ids from the ``{row: id}`` mapping ``ids``, and
        paths, when given), the column and the cause."""
        if not self.rows:
            return self.cause
        shown = []
        for i, r in enumerate(self.rows[:limit]):
            extra = []
            if ids is not None and ids.get(r) is not None:
                extra.append(f"id {ids[r]}")
            if ids is not None and self.paths and isinstance(self.paths[i], str):
                extra.append(self.paths[i])
            shown.append(str(r) + (f" ({', '.join(extra)})" if extra else ""))
        more = f" and {len(self.rows) - limit} more" if len(self.rows) > limit else ""
        col = f", column {self.column!r}" if self.column is not None else ""
        return (f"row{'s' if len(self.rows) > 1 else ''} {', '.join(shown)}{more}{col}: "
                f"{self.cause}")

    def __reduce__(self):  # keep the keyword-only attributes through pickling
        return (_rebuild_warning, (self.cause, self.rows, self.column, self.paths))


def _rebuild_warning(cause, rows, column, paths):
    return MMFuseInputWarning(cause, rows=rows, column=column, paths=paths)


class ModelFileError(ValueError):
    """A model file that is not an mmfuse model, is truncated, altered or unsafe.

    Raised by :func:`mmfuse.persistence.load` and
    :func:`mmfuse.persistence.read_metadata` *before* anything is deserialised
    where the container is at fault (missing, truncated, checksum mismatch), and
    by :func:`~mmfuse.persistence.load` when a skops file holds types that are
    not trusted. The message names the file and the cause.

    See Also
    --------
    VersionMismatchWarning : a readable model trained with other library versions.
    """


class VersionMismatchWarning(UserWarning):
    """The model was trained with other library versions than the ones loading it.

    Issued by :func:`mmfuse.persistence.load`; the message lists each version
    that differs (mmfuse, scikit-learn, NumPy) and how to silence it.

    See Also
    --------
    ModelFileError : a model file that cannot be loaded at all.
    """


class UsageError(Exception):
    """A command used wrongly or a missing component: the ``mmfuse`` command exits with 2.

    Raised inside :mod:`mmfuse.cli` for a bad option value, an option that
    does not apply, or an optional dependency that the command needs and that
    is not installed; :func:`mmfuse.cli.main` prints its message as one line
    on stderr and returns exit status 2.
    """
