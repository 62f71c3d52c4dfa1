"""Loading one text: a string, bytes, a path or an open file -> ``str``."""

from __future__ import annotations

import codecs
import os

import numpy as np

from .._config import warn_input
from .._validation import validate_params
from ..exceptions import MMFuseInputError, MMFuseInputWarning
from ._files import _is_pathlike, is_missing, read_bytes

__all__ = ["load_text"]

@validate_params(
    lambda c: {
        "item": "no_validation",
        "input": [c.StrOptions({"content", "filename", "file"})],
        "encoding": [str],
        "decode_error": [c.StrOptions({"strict", "ignore", "replace"})],
        "row": "no_validation",
        "column": "no_validation",
    },
    prefer_skip_nested_validation=True,
)
def load_text(item, *, input="content", encoding="utf-8", decode_error="replace",  # noqa: A002
              row=None, column=None):
    """Return ``item`` as ``str``: the text itself, or read from a file.

    Parameters
    ----------
    item : str, bytes, os.PathLike or file object
        With ``input='content'``, the text (``bytes`` are decoded); with
        ``'filename'``, the path of a text file; with ``'file'``, an open file
        (anything with ``read()``). ``None``/NaN is a missing modality.
    input : {'content', 'filename', 'file'}, default='content'
        What ``item`` is, as :class:`~sklearn.feature_extraction.text.TfidfVectorizer`'s
        ``input``.
    encoding : str, default='utf-8'
        Encoding of bytes and files.
    decode_error : {'strict', 'ignore', 'replace'}, default='replace'
        What to do with bytes that are not valid ``encoding``: ``'strict'``
        raises :class:`MMFuseInputError` (naming the row, path and byte),
        ``'ignore'`` drops them, ``'replace'`` puts U+FFFD in their place and
        warns (:class:`MMFuseInputWarning` naming the row).
    row, column : optional
        Where the item came from, for error messages.

    Returns
    -------
    text : str or None
        ``None`` when ``item`` is missing. An empty file is an empty text.

    Raises
    ------
    MMFuseInputError
        missing or unreadable file, an item of the wrong kind for ``input``,
        undecodable bytes with ``decode_error='strict'``.
    ValueError
        an encoding Python does not know.
    """
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ValueError(f"encoding={encoding!r} is not an encoding Python knows "
                         "(e.g. 'utf-8', 'latin-1', 'cp1252')") from None
    if is_missing(item):
        return None
    path = None
    if input == "filename":
        if not _is_pathlike(item):
            raise MMFuseInputError(
                f"input='filename' expects the path of a text file; got "
                f"{type(item).__name__}", row=row, column=column)
        path = item
        item = read_bytes(path, row=row, column=column, allow_empty=True)
    elif input == "file":
        if not hasattr(item, "read"):
            hint = " (for paths pass input='filename')" if _is_pathlike(item) else ""
            raise MMFuseInputError(
                f"input='file' expects an open file object; got {type(item).__name__}{hint}",
                row=row, column=column)
        path = getattr(item, "name", None)
        path = path if isinstance(path, (str, os.PathLike)) else None
        try:
            item = item.read()
        except (OSError, ValueError) as exc:  # closed or unreadable file
            raise MMFuseInputError(f"cannot read the file object ({exc})", row=row,
                                   column=column, path=path) from None
    if isinstance(item, str):
        return item
    if isinstance(item, np.str_):
        return str(item)
    if isinstance(item, (bytes, bytearray, memoryview, np.bytes_)):
        return _decode_text(bytes(item), encoding, decode_error, row=row, column=column,
                            path=path)
    raise MMFuseInputError(f"expected text (str or bytes); got {type(item).__name__}",
                           row=row, column=column, path=path)


def _decode_text(raw, encoding, decode_error, *, row, column, path):
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        where = (f"text is not valid {encoding} (byte 0x{raw[exc.start]:02x} at offset "
                 f"{exc.start})")
        if decode_error == "strict":
            raise MMFuseInputError(
                f"{where}; pass the file's encoding (e.g. encoding='latin-1') or "
                "decode_error='replace'", row=row, column=column, path=path) from None
    if decode_error == "replace":
        warn_input(MMFuseInputWarning(f"{where}; decoded with replacement characters",
                                      rows=[] if row is None else [row], column=column,
                                      paths=None if path is None else [path]), stacklevel=3)
    return raw.decode(encoding, errors=decode_error)


