"""Reading a manifest for training and evaluation: columns, labels and files checked at once."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..exceptions import MMFuseInputError
from ..io._manifest import (
    MODALITY_KINDS,
    duplicate_ids,
    infer_modalities,
    read_manifest,
    resolve_paths,
    warn_duplicate_ids,
)

__all__ = ["load_manifest"]


def load_manifest(path, *, modalities=None, require_label=False, check_files=True,
                  encoding=None):
    """Read a manifest CSV into a DataFrame with resolved file paths.

    Parameters
    ----------
    path : str or os.PathLike
        CSV file with a header row, one row per sample.
    modalities : dict or list, optional
        ``{column: kind}`` with kind in ``{'image', 'audio', 'text'}``, or a list
        of column names whose kind is read from their prefix. By default every
        column whose name starts with ``image``, ``audio`` or ``text`` is a
        modality. ``image``/``audio`` cells are file paths; ``text`` cells are
        the text itself.
    require_label : bool, default=False
        Whether a ``label`` column must be present and filled on every row
        (training and evaluation).
    check_files : bool, default=True
        Check that every referenced file exists; all problems are reported at once.
    encoding : str, optional
        ``None`` reads UTF-8 with or without a byte-order mark (anything else
        is an error naming the byte offset); give the file's encoding to read
        another one. See :func:`read_manifest`, which scoring uses too, so
        training and scoring read identical text.

    Returns
    -------
    frame : pandas.DataFrame
        The manifest, with image/audio paths made absolute (relative paths are
        resolved against the CSV's folder) and empty cells as ``None``
        (a missing modality; in a text column only an empty cell is missing,
        ``'NA'`` or ``'null'`` are text). ``frame.attrs['modalities']`` holds
        the ``{column: kind}`` mapping and ``frame.attrs['source']`` the CSV path.

    Raises
    ------
    MMFuseInputError
        unreadable or undecodable CSV, missing columns, missing labels or
        missing files; the message lists every problem (row, id, column, path).

    Warns
    -----
    MMFuseInputWarning
        Once, naming every ``id`` that occurs on more than one row.
    """
    path = Path(path)
    frame = read_manifest(path, encoding=encoding)

    problems = []
    if modalities is None:
        kinds = infer_modalities(frame.columns)
    elif isinstance(modalities, dict):
        kinds = {str(c): k for c, k in modalities.items()}
    else:
        kinds = {str(c): infer_modalities([c]).get(str(c), "text") for c in modalities}
    for col, kind in kinds.items():
        if kind not in MODALITY_KINDS:
            raise ValueError(f"modality kind for column {col!r} must be one of "
                             f"{MODALITY_KINDS}; got {kind!r}")
    missing_cols = [c for c in kinds if c not in frame.columns]
    if require_label and "label" not in frame.columns:
        missing_cols.append("label")
    if missing_cols:
        problems.append(f"missing column(s) {missing_cols} (found {list(frame.columns)})")
    if not kinds and not missing_cols:
        problems.append(f"no modality column: name columns image*, audio* or text* "
                        f"(found {list(frame.columns)}) or pass modalities=")
    ids = frame["id"].tolist() if "id" in frame.columns else None
    if require_label and "label" in frame.columns:
        for pos in np.flatnonzero(frame["label"].isna().to_numpy()):
            problems.append(f"row {pos}" + (f" (id {ids[pos]})" if ids else "")
                            + ", column 'label': empty; every row needs a label")

    frame, file_problems = resolve_paths(frame, path.parent, kinds, check_files=check_files)
    problems += file_problems
    if problems:
        head = f"{len(problems)} problem(s) in the manifest"
        shown = problems[:50]
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        raise MMFuseInputError(head + ":\n  " + "\n  ".join(shown) + more, path=path)
    if ids:
        warn_duplicate_ids(duplicate_ids(ids), path)
    frame.attrs["modalities"] = kinds
    frame.attrs["source"] = str(path)
    return frame
