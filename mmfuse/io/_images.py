"""Loading one image: a path, encoded bytes, a pixel array or a Pillow image -> float32 in [0, 1].

Files are decoded by OpenCV (its own and libjpeg's messages kept off the
terminal, see :class:`_QuietOpenCV`) and turned upright by their EXIF
orientation, as OpenCV's ``imread`` does.
"""

from __future__ import annotations

import os
from numbers import Integral

import numpy as np

from .._config import warn_input
from .._validation import validate_params
from ..exceptions import MMFuseInputError, MMFuseInputWarning
from ._files import _is_pathlike, is_missing, read_bytes

__all__ = ["exif_orientation", "load_image"]

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
        item = read_bytes(path, row=row, column=column)
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


