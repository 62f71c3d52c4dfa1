"""Loading and validating raw modality items: images, audio clips and texts.

Every loader accepts the forms a user has at hand (a path, raw bytes, an array,
an ``(y, sr)`` tuple, a string), returns one canonical form, and reports any
failure as :class:`MMFuseInputError`, whose message names the row, the column,
the path (if any) and the cause, e.g.::

    row 17, column 'audio', clips/a.wav: file is empty (0 bytes)

Missing values (``None``, ``NaN``, ``pandas.NA``) are a *missing modality*, not
an error: the loaders return ``None`` for them and leave the decision to the
fuser.

Canonical forms
---------------
image
    ``float32`` array in ``[0, 1]``, ``(H, W)`` for ``mode='gray'`` or
    ``(H, W, 3)`` RGB for ``mode='rgb'``, upright as displayed (a file's EXIF
    orientation applied, as OpenCV's ``imread``).
audio
    ``float32`` mono 1-D array at the requested sample rate.
text
    ``str``.

Batch loading
-------------
:func:`load_column` applies a loader to a column of items with an ``on_error``
policy: ``'raise'`` stops at the first bad row; ``'skip'`` loads every good
row and returns the errors beside them.

Layout
------
The loaders live in private modules, one per concern: ``_files`` (reading a
file, written once for every modality, and :func:`is_missing`), ``_images``,
``_audio``, ``_text``, ``_batch`` (:func:`load_column`) and ``_manifest`` (the
one manifest reader, published as :func:`mmfuse.datasets.read_manifest`).
"""

# defined in mmfuse.exceptions; re-exported here (mmfuse.io.MMFuseInputError is the same
# class, and pickles that name mmfuse.io._rebuild_error / _rebuild_warning still load)
from ..exceptions import (  # noqa: F401
    MMFuseInputError,
    MMFuseInputWarning,
    _rebuild_error,
    _rebuild_warning,
)
from ._audio import load_audio, resample  # noqa: F401
from ._batch import ON_ERROR, LoadedColumn, load_column  # noqa: F401
from ._files import is_missing, missing_rows
from ._images import exif_orientation, load_image
from ._text import load_text

__all__ = [
    "LoadedColumn",
    "MMFuseInputError",
    "MMFuseInputWarning",
    "exif_orientation",
    "is_missing",
    "load_audio",
    "load_column",
    "load_image",
    "load_text",
    "missing_rows",
]
