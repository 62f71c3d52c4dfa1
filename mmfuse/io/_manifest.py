"""Reading manifests: the one reader of training, evaluation and scoring.

A manifest is a CSV with one row per sample and one column per modality
(``image*``, ``audio*``, ``text*`` by name, or as a model's input schema
says), plus ``label`` and optional ``id`` and ``split``. Every cell is read as
text and only an empty cell is missing; the file must decode strictly in its
encoding (UTF-8 by default), or the error names the byte offset and line.
:func:`mmfuse.datasets.load_manifest` checks a whole manifest for training;
:mod:`mmfuse.scoring` streams one in chunks through the same functions.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from ..exceptions import MMFuseInputError

__all__ = ["MODALITY_KINDS", "PATH_KINDS", "count_rows", "duplicate_ids", "infer_modalities",
           "manifest_encoding", "read_manifest", "resolve_paths", "scan_manifest",
           "warn_duplicate_ids"]

MODALITY_KINDS = ("image", "audio", "text")
#: the kinds whose manifest cells are file paths, resolved against the manifest's folder
PATH_KINDS = ("image", "audio")


def infer_modalities(columns) -> dict:
    """Map column names to modality kinds by prefix (``image*``, ``audio*``, ``text*``).

    Parameters
    ----------
    columns : iterable of str
        Column names (case does not matter).

    Returns
    -------
    dict of {str: {'image', 'audio', 'text'}}
        The columns that name a modality; the others (``label``, ``id``...) are left out.

    Examples
    --------
    >>> from mmfuse.datasets import infer_modalities
    >>> infer_modalities(["id", "image_front", "Audio", "text", "label"])
    {'image_front': 'image', 'Audio': 'audio', 'text': 'text'}
    """
    out = {}
    for col in columns:
        low = str(col).lower()
        for kind in MODALITY_KINDS:
            if low.startswith(kind):
                out[str(col)] = kind
                break
    return out


def manifest_encoding(encoding=None) -> str:
    """The codec :func:`read_manifest` decodes with.

    ``None`` and any spelling of UTF-8 read UTF-8 with or without a byte-order
    mark (``'utf-8-sig'``); another name is used as given.

    Raises
    ------
    ValueError
        ``encoding`` names no codec Python knows.
    """
    import codecs  # noqa: PLC0415

    if encoding is None:
        return "utf-8-sig"
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise ValueError(f"unknown encoding {encoding!r}; give a codec name Python knows, "
                         "e.g. 'utf-8', 'latin-1' or 'cp1252'") from None
    return "utf-8-sig" if name in ("utf-8", "utf-8-sig") else name


def _decode_error(path, encoding) -> MMFuseInputError:
    """The error for a manifest that does not decode: the byte offset, its line and the fix."""
    import codecs  # noqa: PLC0415

    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset, line = 0, 1
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                at = offset + exc.start - pending
                head = (exc.object[:exc.start]).count(b"\n")
                shown = exc.object[exc.start:exc.end].hex(" ")
                shown = " ".join(f"0x{b}" for b in shown.split())
                cause = (f"not valid {'UTF-8' if encoding == 'utf-8-sig' else encoding}: "
                         f"byte(s) {shown} at offset {at} (line {line + head}); if the file "
                         "is in another encoding, pass it (load_manifest(..., "
                         "encoding='latin-1'), CLI --encoding latin-1) or re-save the file "
                         "as UTF-8")
                return MMFuseInputError(cause, path=path)
            line += block.count(b"\n")
            offset += len(block)
    return MMFuseInputError(f"cannot be decoded as {encoding}", path=path)


def _check_bom(path, encoding):
    """A UTF-8 byte-order mark says the file is UTF-8: refuse to read it as something else."""
    if encoding == "utf-8-sig":
        return
    with open(path, "rb") as f:
        if f.read(3) == b"\xef\xbb\xbf":
            raise MMFuseInputError(
                f"the file starts with a UTF-8 byte-order mark, so it is UTF-8, but "
                f"encoding={encoding!r} was given (its header would read 'ï»¿...'); drop the "
                "encoding (--encoding) to read it as UTF-8", path=path)


def read_manifest(path, *, encoding=None, chunksize=None):
    """Read a manifest CSV as strings: the one reader of training, evaluation and scoring.

    Every cell is read as text: ``'NA'``, ``'None'``, ``'null'``, ``'n/a'``,
    ``'NaN'`` are the strings themselves (messages, product names). Only an
    empty cell is missing (``None``). Column names are stripped of surrounding
    spaces. Paths are left as written (see :func:`load_manifest`).

    Parameters
    ----------
    path : str or os.PathLike
    encoding : str, optional
        ``None`` (default) reads UTF-8 with or without a byte-order mark; a file
        that is not valid UTF-8 is an error naming the byte offset and line.
        Give the file's encoding (e.g. ``'latin-1'``) to read it as that.
    chunksize : int, optional
        Yield DataFrames of this many rows (indexed by data-row number from 0)
        instead of returning one.

    Returns
    -------
    frame : pandas.DataFrame of object columns, or an iterator of them

    Raises
    ------
    MMFuseInputError
        The file is absent, not a file, not parseable, or does not decode.
    ValueError
        ``encoding`` is not a codec name.
    """
    import pandas as pd  # noqa: PLC0415

    path = Path(path)
    if not path.is_file():
        raise MMFuseInputError("manifest not found" if not path.exists()
                               else "manifest path is not a file", path=path)
    enc = manifest_encoding(encoding)
    _check_bom(path, enc)
    kwargs = dict(dtype=str, na_filter=False, encoding=enc, encoding_errors="strict")

    def tidy(frame):
        frame.columns = [str(c).strip() for c in frame.columns]
        for col in frame.columns:
            frame[col] = pd.Series([None if v == "" else v for v in frame[col].tolist()],
                                   index=frame.index, dtype=object)
        return frame

    def chunks():
        try:
            for chunk in pd.read_csv(path, chunksize=chunksize, **kwargs):
                yield tidy(chunk)
        except UnicodeDecodeError:
            raise _decode_error(path, enc) from None
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise MMFuseInputError(f"cannot parse manifest CSV ({exc})", path=path) from None

    if chunksize is not None:
        return chunks()
    try:
        return tidy(pd.read_csv(path, **kwargs))
    except UnicodeDecodeError:
        raise _decode_error(path, enc) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise MMFuseInputError(f"cannot parse manifest CSV ({exc})", path=path) from None


def duplicate_ids(ids) -> dict:
    """``{id: [row, ...]}`` for every id that occurs on more than one row (rows from 0)."""
    first, dups = {}, {}
    for row, ident in enumerate(ids):
        if ident is None:
            continue
        if ident in first:
            dups.setdefault(ident, [first[ident]]).append(row)
        else:
            first[ident] = row
    return dups


def warn_duplicate_ids(dups, path, *, what="treated") -> None:
    """One :class:`~mmfuse.io.MMFuseInputWarning` naming the duplicated ids and their rows."""
    if not dups:
        return
    import warnings  # noqa: PLC0415

    from ..exceptions import MMFuseInputWarning  # noqa: PLC0415

    shown = "; ".join(f"{ident!r} on rows {', '.join(map(str, rows))}"
                      for ident, rows in list(dups.items())[:10])
    more = f"; and {len(dups) - 10} more" if len(dups) > 10 else ""
    warnings.warn(f"{path}: {len(dups)} id(s) occur on more than one row: {shown}{more} "
                  f"(rows count from 0, the first data row); each row is {what} separately",
                  MMFuseInputWarning, stacklevel=3)


def resolve_paths(frame, base, kinds, *, check_files=True, row_offset=0):
    """Make the image/audio paths (:data:`PATH_KINDS`) of a :func:`read_manifest` frame absolute.

    A path cell that is empty or only spaces is ``None`` (a missing modality).
    Returns ``(frame, problems)`` where ``problems`` lists every missing file as
    ``"row R (id I), column 'c': cell: file not found"`` (when ``check_files``).
    ``row_offset`` numbers rows of a later chunk of a manifest.
    """
    import pandas as pd  # noqa: PLC0415

    problems = []
    ids = frame["id"].tolist() if "id" in frame.columns else None
    for col, kind in kinds.items():
        if col not in frame.columns or kind not in PATH_KINDS:
            continue
        resolved = []
        for pos, cell in enumerate(frame[col].tolist()):
            if cell is None or str(cell).strip() == "":
                resolved.append(None)
                continue
            p = Path(os.path.expanduser(str(cell).strip()))
            p = p if p.is_absolute() else Path(base) / p
            resolved.append(str(p))
            if check_files and not p.is_file():
                label = f"row {pos + row_offset}" + (f" (id {ids[pos]})" if ids else "")
                problems.append(f"{label}, column {col!r}: {cell}: file not found")
        frame[col] = pd.Series(resolved, index=frame.index, dtype=object)
    return frame, problems


# --------------------------------------------------------------------------- synthetic


def scan_manifest(path, *, encoding=None):
    """One pass over a manifest: ``(n_rows, header, duplicate ids)``, decoding strictly.

    Rows are data rows (quoted newlines handled, blank lines skipped, as
    :func:`read_manifest` counts them); duplicates are ``{id: [row, ...]}``
    (see :func:`duplicate_ids`).

    Parameters
    ----------
    path : str or os.PathLike
        The manifest CSV.
    encoding : str, optional
        Its text encoding; None reads UTF-8 with or without a byte-order mark.

    Returns
    -------
    n_rows : int
    header : list of str
    duplicates : dict of {str: list of int}

    Raises
    ------
    MMFuseInputError
        The file is absent, or does not decode (naming the byte offset and line).
    """
    path = Path(path)
    if not path.is_file():
        raise MMFuseInputError("manifest not found", path=path)
    enc = manifest_encoding(encoding)
    _check_bom(path, enc)
    try:
        with open(path, newline="", encoding=enc, errors="strict") as f:
            reader = csv.reader(f)
            header = [c.strip() for c in next(reader, [])]
            id_col = header.index("id") if "id" in header else None
            n, ids = 0, []
            for rec in reader:
                if not rec:  # a blank line is no row
                    continue
                n += 1
                if id_col is not None:
                    ids.append(rec[id_col] if id_col < len(rec) and rec[id_col] else None)
    except UnicodeDecodeError:
        raise _decode_error(path, enc) from None
    return n, header, duplicate_ids(ids)


def count_rows(path, *, encoding=None) -> int:
    """Number of data rows of a CSV (quoted newlines handled, blank lines skipped).

    Parameters
    ----------
    path : str or os.PathLike
        The CSV file.
    encoding : str, optional
        As in :func:`scan_manifest`.

    Returns
    -------
    int
    """
    return scan_manifest(path, encoding=encoding)[0]
