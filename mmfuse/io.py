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
"""

from __future__ import annotations

import codecs
import math
import os
import warnings
from dataclasses import dataclass, field
from numbers import Integral, Real
from pathlib import Path

import numpy as np

from ._config import warn_input
from ._validation import constraints_of, validate_params
# defined in mmfuse.exceptions; re-exported here (mmfuse.io.MMFuseInputError is the same
# class, and pickles that name mmfuse.io._rebuild_error / _rebuild_warning still load)
from .exceptions import (  # noqa: F401
    MMFuseInputError,
    MMFuseInputWarning,
    _rebuild_error,
    _rebuild_warning,
)

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
]

ON_ERROR = ("raise", "skip")


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


def _is_pathlike(item) -> bool:
    return isinstance(item, (str, os.PathLike))


def _check_path(path, *, row, column):
    """An empty (or all-blank) path string names no file: say so, not 'is a directory'."""
    if not os.fspath(path).strip():
        raise MMFuseInputError("the path is empty (an empty string names no file; use None "
                               "for a missing item)", row=row, column=column)


def _read_bytes(path, *, row, column, allow_empty=False) -> bytes:
    """Read a whole file, turning OS failures into :class:`MMFuseInputError`."""
    _check_path(path, row=row, column=column)
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise MMFuseInputError("file not found", row=row, column=column, path=path) from None
    except IsADirectoryError:
        raise MMFuseInputError("path is a directory, not a file", row=row, column=column,
                               path=path) from None
    except PermissionError:
        raise MMFuseInputError("permission denied", row=row, column=column, path=path) from None
    except OSError as exc:
        raise MMFuseInputError(f"cannot read file ({exc.strerror or exc})", row=row,
                               column=column, path=path) from None
    if not data and not allow_empty:
        raise MMFuseInputError("file is empty (0 bytes)", row=row, column=column, path=path)
    return data


# --------------------------------------------------------------------------- images

_GRAY_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R BT.601, as OpenCV


def _image_to_unit_float(arr, *, row, column, path):
    """Scale an integer/bool/float image array to float32 in [0, 1]."""
    if arr.dtype == bool:
        return arr.astype(np.float32)
    if arr.dtype == np.uint8:
        return arr.astype(np.float32) / np.float32(255)
    if arr.dtype == np.uint16:
        return arr.astype(np.float32) / np.float32(65535)
    if np.issubdtype(arr.dtype, np.integer):
        lo, hi = (int(arr.min()), int(arr.max())) if arr.size else (0, 0)
        if lo < 0 or hi > 65535:
            raise MMFuseInputError(
                f"integer image values must lie in [0, 65535]; got [{lo}, {hi}]",
                row=row, column=column, path=path)
        scale = 255 if hi <= 255 else 65535
        return arr.astype(np.float32) / np.float32(scale)
    if np.issubdtype(arr.dtype, np.floating):
        out = arr.astype(np.float32, copy=False)
        finite = np.isfinite(out)
        if not finite.all():
            raise MMFuseInputError(
                f"image contains {int((~finite).sum())} NaN or infinite pixel values",
                row=row, column=column, path=path)
        lo, hi = (float(out.min()), float(out.max())) if out.size else (0.0, 0.0)
        if lo < -1e-3 or hi > 1 + 1e-3:
            raise MMFuseInputError(
                f"float image values must lie in [0, 1]; got [{lo:g}, {hi:g}] "
                "(divide by 255 for 8-bit data, or pass the uint8 array itself)",
                row=row, column=column, path=path)
        return np.clip(out, 0.0, 1.0)
    raise MMFuseInputError(f"unsupported image dtype {arr.dtype}", row=row, column=column,
                           path=path)


class _QuietOpenCV:
    """Keep OpenCV's and its codecs' own messages off the terminal while decoding.

    OpenCV logs decoder complaints ("IHDR chunk shall be first") through its
    logger, silenced here for the duration (reference-counted, so concurrent
    decodes restore the caller's level only when the last one ends). libjpeg
    prints warnings ("Corrupt JPEG data: premature end of data segment") with
    ``fprintf(stderr)``, which only redirecting file descriptor 2 catches: JPEG
    decodes therefore run one at a time with fd 2 pointing to a scratch file;
    libjpeg's lines are returned (mmfuse reports the row itself) and any other
    text that landed there meanwhile is written back to stderr.
    """

    _JPEG_PREFIXES = ("Corrupt JPEG", "Premature end of JPEG", "Invalid JPEG",
                      "Warning: unknown JFIF", "Unsupported marker")

    def __init__(self):
        import threading  # noqa: PLC0415

        self._level_lock = threading.Lock()
        self._depth = 0
        self._saved_level = None
        self._fd_lock = threading.Lock()
        self._scratch = None

    def _enter_log(self, cv2):
        with self._level_lock:
            if self._depth == 0:
                self._saved_level = cv2.utils.logging.getLogLevel()
                cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
            self._depth += 1

    def _exit_log(self, cv2):
        with self._level_lock:
            self._depth -= 1
            if self._depth == 0:
                cv2.utils.logging.setLogLevel(self._saved_level)

    def decode(self, buf, flags):
        """``(image or None, libjpeg messages, OpenCV exception text or None)``."""
        import cv2  # noqa: PLC0415

        self._enter_log(cv2)
        try:
            if buf[:2].tobytes() != b"\xff\xd8":
                return (*self._imdecode(cv2, buf, flags), [])
            with self._fd_lock:
                return self._jpeg(cv2, buf, flags)
        finally:
            self._exit_log(cv2)

    @staticmethod
    def _imdecode(cv2, buf, flags):
        try:
            return cv2.imdecode(buf, flags), None
        except cv2.error as exc:
            return None, str(exc).strip().splitlines()[-1]

    def _jpeg(self, cv2, buf, flags):
        import sys  # noqa: PLC0415
        import tempfile  # noqa: PLC0415

        try:
            fd = sys.stderr.fileno()
        except (AttributeError, OSError, ValueError):  # no real stderr (e.g. captured)
            return (*self._imdecode(cv2, buf, flags), [])
        if self._scratch is None:
            import atexit  # noqa: PLC0415

            self._scratch = tempfile.TemporaryFile()
            atexit.register(self._scratch.close)
        self._scratch.seek(0)
        self._scratch.truncate()
        sys.stderr.flush()
        saved = os.dup(fd)
        try:
            os.dup2(self._scratch.fileno(), fd)
            try:
                img, detail = self._imdecode(cv2, buf, flags)
            finally:
                os.dup2(saved, fd)
        finally:
            os.close(saved)
        self._scratch.seek(0)
        text = self._scratch.read().decode("utf-8", "replace")
        ours = [ln.strip() for ln in text.splitlines() if ln.startswith(self._JPEG_PREFIXES)]
        others = [ln for ln in text.splitlines(keepends=True)
                  if not ln.startswith(self._JPEG_PREFIXES)]
        if others:
            os.write(fd, "".join(others).encode())
        return img, detail, ours


_QUIET_OPENCV = _QuietOpenCV()


# EXIF orientation (tag 0x0112) -> (transpose first?, axes to reverse afterwards), as
# OpenCV's ApplyExifOrientation: 2 mirror, 3 rotate 180, 4 flip, 5 transpose,
# 6 rotate 90 clockwise, 7 transverse, 8 rotate 90 anticlockwise
_ORIENTATIONS = {1: (False, ()), 2: (False, (1,)), 3: (False, (0, 1)), 4: (False, (0,)),
                 5: (True, ()), 6: (True, (1,)), 7: (True, (0, 1)), 8: (True, (0,))}


def _exif_block(data: bytes):
    """The EXIF TIFF block of a JPEG (APP1), PNG (eXIf) or WebP (EXIF) file, or None.

    Other formats carry no EXIF block or (TIFF) have their orientation applied
    by OpenCV's decoder itself.
    """
    if data[:2] == b"\xff\xd8":                                   # JPEG segments
        i = 2
        while i + 4 <= len(data) and data[i] == 0xFF:
            marker = data[i + 1]
            if marker == 0xFF:                                     # fill byte
                i += 1
            elif marker == 0x01 or 0xD0 <= marker <= 0xD8:         # no length
                i += 2
            elif marker in (0xD9, 0xDA):                           # end / start of scan
                return None
            else:
                length = int.from_bytes(data[i + 2:i + 4], "big")
                if marker == 0xE1 and data[i + 4:i + 10] == b"Exif\x00\x00":
                    return data[i + 10:i + 2 + length]
                i += 2 + length
        return None
    if data[:8] == b"\x89PNG\r\n\x1a\n":                            # PNG chunks
        i = 8
        while i + 8 <= len(data):
            length, kind = int.from_bytes(data[i:i + 4], "big"), data[i + 4:i + 8]
            if kind == b"eXIf":
                return data[i + 8:i + 8 + length]
            if kind == b"IEND":
                return None
            i += 12 + length
        return None
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":              # WebP chunks
        i = 12
        while i + 8 <= len(data):
            kind, length = data[i:i + 4], int.from_bytes(data[i + 4:i + 8], "little")
            if kind == b"EXIF":
                block = data[i + 8:i + 8 + length]
                return block[6:] if block.startswith(b"Exif\x00\x00") else block
            i += 8 + length + (length & 1)
    return None


@validate_params(lambda c: {"data": [bytes, bytearray, memoryview]},
                 prefer_skip_nested_validation=True)
def exif_orientation(data: bytes) -> int:
    """The EXIF orientation (1 to 8) of an encoded JPEG, PNG or WebP image; 1 if it has none.

    Reads the Orientation tag (0x0112) of the first image directory of the
    file's EXIF block. Malformed or absent EXIF counts as 1 (upright).

    Parameters
    ----------
    data : bytes
        The encoded file.

    Returns
    -------
    int
        The orientation code of the EXIF standard (TIFF tag 274): 1 upright,
        3 rotated 180°, 6 and 8 rotated 90°, 2, 4, 5 and 7 mirrored.
    """
    tiff = _exif_block(data)
    if tiff is None or len(tiff) < 8:
        return 1
    order = {b"II": "little", b"MM": "big"}.get(bytes(tiff[:2]))
    if order is None:
        return 1
    ifd = int.from_bytes(tiff[4:8], order)
    if ifd + 2 > len(tiff):
        return 1
    for k in range(int.from_bytes(tiff[ifd:ifd + 2], order)):
        entry = ifd + 2 + 12 * k
        if entry + 12 > len(tiff):
            break
        if int.from_bytes(tiff[entry:entry + 2], order) == 0x0112:
            if int.from_bytes(tiff[entry + 2:entry + 4], order) != 3:  # must be a SHORT
                return 1
            value = int.from_bytes(tiff[entry + 8:entry + 10], order)
            return value if value in _ORIENTATIONS else 1
    return 1


def _apply_orientation(img, orientation):
    """``img`` (H, W[, C]) turned upright for an EXIF ``orientation``, as OpenCV turns it."""
    transpose, flips = _ORIENTATIONS.get(orientation, (False, ()))
    if transpose:
        img = img.swapaxes(0, 1)
    for axis in flips:
        img = np.flip(img, axis=axis)
    return np.ascontiguousarray(img) if transpose or flips else img


def _decode_image(data: bytes, *, row, column, path):
    import cv2  # noqa: PLC0415

    buf = np.frombuffer(data, dtype=np.uint8)
    img, detail, complaints = _QUIET_OPENCV.decode(buf, cv2.IMREAD_UNCHANGED)
    if img is None:
        cause = "cannot decode image (corrupt, truncated or unsupported format)"
        if detail or complaints:
            cause += f": {detail or complaints[0]}"
        raise MMFuseInputError(cause, row=row, column=column, path=path)
    # IMREAD_UNCHANGED keeps alpha and 16 bits but skips the EXIF orientation that
    # imread's default applies: apply it here, so a photo loads as it is displayed.
    img = _apply_orientation(img, exif_orientation(data))
    if complaints:
        warn_input(MMFuseInputWarning(
            f"image data is damaged ({'; '.join(complaints)}); decoded what was readable",
            rows=[] if row is None else [row], column=column, paths=[path]), stacklevel=4)
    # OpenCV decodes colour as BGR(A); everything below expects RGB(A).
    if img.ndim == 3 and img.shape[2] == 3:
        img = img[..., ::-1]
    elif img.ndim == 3 and img.shape[2] == 4:
        img = img[..., [2, 1, 0, 3]]
    return img


def _is_pil_image(item) -> bool:
    """A ``PIL.Image.Image`` (checked by module name: Pillow is not imported to ask)."""
    return any(c.__name__ == "Image" and c.__module__ == "PIL.Image" for c in type(item).__mro__)


# Pillow modes NumPy reads as they are: bool, 8-bit, 8-bit RGB(A), 16/32-bit integer, float
_PIL_ARRAY_MODES = {"1", "L", "RGB", "RGBA", "I", "F"}


def _from_pil(img, *, row, column):
    """Pixels of a ``PIL.Image.Image``, upright (EXIF orientation applied, as for files)."""
    from PIL import ImageOps  # noqa: PLC0415  (Pillow is there: the object exists)

    try:
        img = ImageOps.exif_transpose(img)
        if img.mode in _PIL_ARRAY_MODES:
            return np.asarray(img)
        if img.mode.startswith("I;16"):  # 16-bit grey, either byte order
            return np.asarray(img).astype(np.uint16)
        if img.mode in ("LA", "La", "PA", "P", "RGBa"):  # alpha or a palette
            return np.asarray(img.convert("RGBA"))
        return np.asarray(img.convert("RGB"))      # CMYK, YCbCr, HSV, LAB, ...
    except (OSError, ValueError) as exc:  # a lazily loaded truncated file, no conversion
        raise MMFuseInputError(
            f"cannot read the PIL image (mode {img.mode!r}): {exc}", row=row, column=column,
            path=getattr(img, "filename", None) or None) from None


def _resize_max_side(img, max_side):
    import cv2  # noqa: PLC0415

    h, w = img.shape[:2]
    if max_side is None or max(h, w) <= max_side:
        return img
    s = max_side / max(h, w)
    size = (max(1, round(w * s)), max(1, round(h * s)))
    out = cv2.resize(np.ascontiguousarray(img), size, interpolation=cv2.INTER_AREA)
    if img.ndim == 3 and out.ndim == 2:  # cv2 drops a trailing singleton channel
        out = out[..., None]
    return out


@validate_params(
    lambda c: {
        "item": "no_validation",
        "mode": [c.StrOptions({"gray", "rgb"})],
        "max_side": [c.Interval(Integral, 1, None, closed="left"), None],
        "row": "no_validation",
        "column": "no_validation",
    },
    prefer_skip_nested_validation=True,
)
def load_image(item, mode="gray", *, max_side=None, row=None, column=None):
    """Load one image as ``float32`` in ``[0, 1]``.

    Parameters
    ----------
    item : str, os.PathLike, bytes, ndarray or PIL.Image.Image
        A file path (anything OpenCV decodes: PNG, JPEG, TIFF, BMP, WebP, ...),
        encoded file bytes, a pixel array of shape ``(H, W)``, ``(H, W, 1)``,
        ``(H, W, 3)`` (RGB) or ``(H, W, 4)`` (RGBA), dtype ``uint8``, ``uint16``,
        other integers in ``[0, 65535]``, bool, or float in ``[0, 1]``, or a
        Pillow image (any mode; palettes and CMYK are converted to RGB(A)).
        ``None``/NaN is a missing modality.
    mode : {'gray', 'rgb'}, default='gray'
        ``'gray'`` returns ``(H, W)`` using BT.601 luma weights (as OpenCV);
        ``'rgb'`` returns ``(H, W, 3)``; grey input is replicated.
    max_side : int, optional
        Downscale (``cv2.INTER_AREA``, aspect kept) so the longer side is at most
        this many pixels, before any float conversion, which bounds memory for
        huge images.
    row, column : optional
        Where the item came from, for error messages.

    Returns
    -------
    image : ndarray of float32, or None
        ``None`` when ``item`` is missing.

    Notes
    -----
    Alpha is composited over a white background (transparent product shots
    have white, not black, backgrounds). 16-bit data keeps its precision.
    Files and bytes load as they are displayed, as with OpenCV's ``imread``
    default: a JPEG, PNG or WebP's EXIF orientation (all 8 values) is applied
    (:func:`exif_orientation`), and TIFF orientation by OpenCV's decoder. A
    Pillow image is turned upright too (``PIL.ImageOps.exif_transpose``), so a
    file gives the same pixels as a path, as bytes or opened with Pillow.
    Pillow is not a dependency: it is used only for images that are already
    Pillow objects.

    Raises
    ------
    MMFuseInputError
        missing or empty file, undecodable bytes, unsupported shape or dtype,
        non-finite or out-of-range float pixels.
    """
    if mode not in ("gray", "rgb"):
        raise ValueError(f"mode must be 'gray' or 'rgb'; got {mode!r}")
    if is_missing(item):
        return None
    path = None
    if _is_pathlike(item):
        path = item
        item = _read_bytes(path, row=row, column=column)
    if isinstance(item, (bytes, bytearray, memoryview)):
        if len(item) == 0:
            raise MMFuseInputError("image bytes are empty", row=row, column=column, path=path)
        arr = _decode_image(bytes(item), row=row, column=column, path=path)
    elif isinstance(item, np.ndarray) or hasattr(item, "__array__"):
        arr = np.asarray(item)
    elif _is_pil_image(item):
        arr = _from_pil(item, row=row, column=column)
    else:
        raise MMFuseInputError(
            f"expected an image path, bytes, array or PIL image; got {type(item).__name__}",
            row=row, column=column)

    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (3, 4)):
        raise MMFuseInputError(
            f"unsupported image shape {arr.shape}; expected (H, W), (H, W, 3) or (H, W, 4)",
            row=row, column=column, path=path)
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise MMFuseInputError(f"image has no pixels (shape {arr.shape})", row=row,
                               column=column, path=path)
    arr = _resize_max_side(arr, max_side)
    img = _image_to_unit_float(arr, row=row, column=column, path=path)

    if img.ndim == 3 and img.shape[2] == 4:
        alpha = img[..., 3:4]
        img = img[..., :3] * alpha + (1.0 - alpha)
    if mode == "gray":
        if img.ndim == 3:
            img = img @ _GRAY_WEIGHTS
        return np.ascontiguousarray(img, dtype=np.float32)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    return np.ascontiguousarray(img, dtype=np.float32)


# --------------------------------------------------------------------------- audio

_INT_SCALE = {np.dtype(np.int8): 128.0, np.dtype(np.int16): 32768.0,
              np.dtype(np.int32): 2147483648.0, np.dtype(np.int64): 9223372036854775808.0}


def _audio_to_float(y, *, row, column, path):
    y = np.asarray(y)
    if y.dtype == np.uint8:  # 8-bit WAV convention: unsigned, centred on 128
        y = (y.astype(np.float32) - 128.0) / 128.0
    elif y.dtype in _INT_SCALE:
        y = (y.astype(np.float64) / _INT_SCALE[y.dtype]).astype(np.float32)
    elif np.issubdtype(y.dtype, np.floating):
        y = y.astype(np.float32, copy=False)
    else:
        raise MMFuseInputError(f"unsupported audio dtype {y.dtype}", row=row, column=column,
                               path=path)
    return y


def _to_mono(y, *, row, column, path):
    """Average channels: accepts (n,), (channels, n) or (n, channels) with <= 8 channels."""
    if y.ndim == 1:
        return y
    if y.ndim != 2:
        raise MMFuseInputError(f"audio must be 1-D or 2-D (channels x samples); got shape "
                               f"{y.shape}", row=row, column=column, path=path)
    r, c = y.shape
    if r <= 8 and r <= c:       # librosa convention: (channels, samples)
        return y.mean(axis=0)
    if c <= 8:                  # soundfile convention: (samples, channels)
        return y.mean(axis=1)
    raise MMFuseInputError(f"cannot tell channels from samples in audio of shape {y.shape}; "
                           "pass (channels, samples) with at most 8 channels",
                           row=row, column=column, path=path)


def _read_audio_file(path, *, max_duration, row, column):
    """Decode a file with libsndfile, falling back to librosa's audioread path."""
    import soundfile as sf  # noqa: PLC0415

    size = _file_size(path, row=row, column=column)
    if size == 0:
        raise MMFuseInputError("file is empty (0 bytes)", row=row, column=column, path=path)
    try:
        with sf.SoundFile(os.fspath(path)) as f:
            native_sr = f.samplerate
            frames = -1 if max_duration is None else int(math.ceil(max_duration * native_sr))
            y = f.read(frames=frames, dtype="float32", always_2d=True)
        return y, native_sr
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        sf_error = str(exc)
    try:  # compressed formats libsndfile lacks (e.g. m4a/aac) via audioread, if installed
        import librosa  # noqa: PLC0415

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y, native_sr = librosa.load(os.fspath(path), sr=None, mono=False,
                                        duration=max_duration)
        return np.atleast_2d(y).T.astype(np.float32), int(native_sr)  # (n, channels)
    except Exception:  # noqa: BLE001 - any decoder failure is this row's error, chained
        raise MMFuseInputError(f"cannot decode audio ({sf_error})", row=row, column=column,
                               path=path) from None


def _file_size(path, *, row, column) -> int:
    _check_path(path, row=row, column=column)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise MMFuseInputError("file not found", row=row, column=column, path=path) from None
    except OSError as exc:
        raise MMFuseInputError(f"cannot read file ({exc.strerror or exc})", row=row,
                               column=column, path=path) from None
    if os.path.isdir(path):
        raise MMFuseInputError("path is a directory, not a file", row=row, column=column,
                               path=path)
    return st.st_size


def resample(y, orig_sr, target_sr):
    """Band-limited resampling with soxr (librosa's default, 'soxr_hq')."""
    if int(orig_sr) == int(target_sr):
        return y
    import soxr  # noqa: PLC0415

    return soxr.resample(y, int(orig_sr), int(target_sr), quality="HQ").astype(np.float32)


@validate_params(
    lambda c: {
        "item": "no_validation",
        "sr": [c.Interval(Integral, 1, None, closed="left")],
        "max_duration": [c.Interval(Real, 0, None, closed="neither"), None],
        "row": "no_validation",
        "column": "no_validation",
    },
    prefer_skip_nested_validation=True,
)
def load_audio(item, sr=16000, *, max_duration=None, row=None, column=None):
    """Load one audio clip as mono ``float32`` at sample rate ``sr``.

    Parameters
    ----------
    item : str, os.PathLike, ndarray, or tuple (y, sr)
        A file libsndfile reads (WAV, FLAC, OGG/Vorbis, Opus, MP3 with
        libsndfile >= 1.1; other formats through audioread if installed), a
        sample array already at ``sr`` (``(n,)``, ``(channels, n)`` or
        ``(n, channels)``; integer PCM is scaled to [-1, 1]), or a ``(y, sr)``
        tuple. ``None``/NaN is a missing modality.
    sr : int, default=16000
        Target sample rate; other rates are resampled with soxr (HQ).
    max_duration : float, optional
        Keep at most this many seconds from the start (files are read only that far).
    row, column : optional
        Where the item came from, for error messages.

    Returns
    -------
    y : ndarray of float32, shape (n_samples,), or None
        ``None`` when ``item`` is missing. A silent clip is valid (all zeros).

    Raises
    ------
    MMFuseInputError
        missing, empty, header-only or undecodable file; no samples; NaN or
        infinite samples; wrong type or shape.
    """
    if is_missing(item):
        return None
    path, native_sr = None, sr
    if _is_pathlike(item):
        path = item
        y, native_sr = _read_audio_file(path, max_duration=max_duration, row=row, column=column)
        y = y.mean(axis=1) if y.shape[0] else np.zeros(0, np.float32)  # (n, channels) -> mono
    elif isinstance(item, tuple):
        if len(item) != 2 or not np.isscalar(item[1]):
            raise MMFuseInputError("an audio tuple must be (samples, sample_rate)", row=row,
                                   column=column)
        y, native_sr = item
        try:
            native_sr = int(native_sr)
        except (TypeError, ValueError):
            native_sr = -1
        if native_sr <= 0:
            raise MMFuseInputError(f"sample rate must be a positive integer; got {item[1]!r}",
                                   row=row, column=column)
    elif isinstance(item, np.ndarray) or isinstance(item, list):
        y = item
    else:
        raise MMFuseInputError(
            f"expected an audio path, array or (y, sr) tuple; got {type(item).__name__}",
            row=row, column=column)
    y = _audio_to_float(y, row=row, column=column, path=path)
    if y.size == 0:
        cause = ("clip has no samples (header only or empty)" if path is not None
                 else "clip has no samples")
        raise MMFuseInputError(cause, row=row, column=column, path=path)
    y = _to_mono(y, row=row, column=column, path=path)
    bad = ~np.isfinite(y)
    if bad.any():
        raise MMFuseInputError(
            f"clip contains {int(bad.sum())} NaN or infinite samples out of {y.size}",
            row=row, column=column, path=path)
    if max_duration is not None and path is None:
        y = y[: int(math.ceil(max_duration * native_sr))]
    y = resample(np.ascontiguousarray(y), native_sr, sr)
    return np.ascontiguousarray(y, dtype=np.float32)


# --------------------------------------------------------------------------- text

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
        item = _read_bytes(path, row=row, column=column, allow_empty=True)
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


# --------------------------------------------------------------------------- batches

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
        from ._compat import InvalidParameterError, validate_parameter_constraints  # noqa: PLC0415

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
            from ._parallel import Parallel, delayed  # noqa: PLC0415

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
