"""Datasets: manifests on disk, synthetic multimodal data, and the embedded AV-digits demo.

``load_manifest(path)``
    A CSV with one row per sample and one column per modality (plus ``label``,
    optional ``id`` and ``split``); relative paths are resolved against the
    CSV's folder and every missing file or column is reported in one error.
``make_multimodal(...)``
    Synthetic image + text + audio data with a tunable amount of class signal
    per modality, for tests and examples that must show fusion helping.
``load_av_digits()``
    Real data shipped with the package: MNIST digit images paired by label
    with Free Spoken Digit Dataset recordings, degraded so that neither
    modality alone is perfect.
"""

from __future__ import annotations

import math
import os
from importlib import resources
from pathlib import Path

import numpy as np

from .io import MMFuseInputError

__all__ = ["MODALITY_KINDS", "infer_modalities", "load_av_digits", "load_manifest",
           "make_multimodal", "read_manifest"]

MODALITY_KINDS = ("image", "audio", "text")
_RESERVED = ("label", "id", "split")


# --------------------------------------------------------------------------- manifests

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

    from .io import MMFuseInputWarning  # noqa: PLC0415

    shown = "; ".join(f"{ident!r} on rows {', '.join(map(str, rows))}"
                      for ident, rows in list(dups.items())[:10])
    more = f"; and {len(dups) - 10} more" if len(dups) > 10 else ""
    warnings.warn(f"{path}: {len(dups)} id(s) occur on more than one row: {shown}{more} "
                  f"(rows count from 0, the first data row); each row is {what} separately",
                  MMFuseInputWarning, stacklevel=3)


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


def resolve_paths(frame, base, kinds, *, check_files=True, row_offset=0):
    """Make the image/audio paths of a :func:`read_manifest` frame absolute.

    A path cell that is empty or only spaces is ``None`` (a missing modality).
    Returns ``(frame, problems)`` where ``problems`` lists every missing file as
    ``"row R (id I), column 'c': cell: file not found"`` (when ``check_files``).
    ``row_offset`` numbers rows of a later chunk of a manifest.
    """
    import pandas as pd  # noqa: PLC0415

    problems = []
    ids = frame["id"].tolist() if "id" in frame.columns else None
    for col, kind in kinds.items():
        if col not in frame.columns or kind == "text":
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

_SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "po", "shi", "ve", "zu", "bra", "dor",
              "fen", "gal", "hux", "jin", "kro", "lum", "mar", "nix", "quo", "rin", "sol",
              "tev", "ulm", "vor", "wex", "yal", "zor", "cha"]


def _word(rng):
    return "".join(rng.choice(_SYLLABLES, size=rng.integers(2, 4)))


def _vocabularies(n_classes, words_per_class, n_shared, seed=7):
    rng = np.random.default_rng(seed)
    seen, vocab = set(), []
    while len(vocab) < n_classes * words_per_class + n_shared:
        w = _word(rng)
        if w not in seen:
            seen.add(w)
            vocab.append(w)
    per_class = [vocab[c * words_per_class:(c + 1) * words_per_class] for c in range(n_classes)]
    return per_class, vocab[n_classes * words_per_class:]


def _synth_image(cls, n_classes, size, rng):
    """An oriented grating (orientation and frequency by class) plus a class shape and noise."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    theta = math.pi * cls / n_classes + rng.normal(0, 0.08)
    freq = 3.0 + 2.0 * (cls % 3) + rng.normal(0, 0.3)
    phase = rng.uniform(0, 2 * math.pi)
    grating = 0.5 + 0.5 * np.sin(2 * math.pi * freq * (xx * math.cos(theta)
                                                         + yy * math.sin(theta)) + phase)
    cy, cx = rng.uniform(0.3, 0.7, size=2)
    r = rng.uniform(0.15, 0.25)
    shape = cls % 4
    if shape == 0:
        mask = (yy - cy) ** 2 + (xx - cx) ** 2 < r ** 2
    elif shape == 1:
        mask = (np.abs(yy - cy) < r) & (np.abs(xx - cx) < r)
    elif shape == 2:
        mask = (yy > cy - r) & (np.abs(xx - cx) < (yy - cy + r) / 2)
    else:
        mask = (np.abs(yy - cy) < r / 3) | (np.abs(xx - cx) < r / 3)
        mask &= (np.abs(yy - cy) < r) & (np.abs(xx - cx) < r)
    img = 0.6 * grating + 0.4 * mask + rng.normal(0, 0.15, size=(size, size))
    return (np.clip(img, 0, 1) * 255).astype(np.uint8)


def _synth_audio(cls, n_classes, sr, duration, rng):
    """A voiced sound: harmonics of a random f0 shaped by two class formants, plus noise."""
    n = int(sr * duration)
    t = np.arange(n, dtype=np.float64) / sr
    f1 = 300.0 + 500.0 * (cls / max(n_classes - 1, 1))
    f2 = 2200.0 - 900.0 * ((cls * 7 % n_classes) / max(n_classes - 1, 1))
    f0 = rng.uniform(100.0, 180.0)
    y = np.zeros(n)
    for h in range(1, int((sr / 2 - 100) / f0)):
        f = h * f0
        gain = np.exp(-((f - f1) / 120.0) ** 2) + 0.7 * np.exp(-((f - f2) / 180.0) ** 2) + 0.02
        y += gain * np.sin(2 * math.pi * f * t + rng.uniform(0, 2 * math.pi))
    env = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.05)
    y = y * env
    y /= np.max(np.abs(y)) + 1e-9
    y += rng.normal(0, 0.15, size=n)
    return (0.5 * y / (np.max(np.abs(y)) + 1e-9)).astype(np.float32)


def make_multimodal(n_samples=300, n_classes=3, *, modalities=("image", "text", "audio"),
                    informativeness=None, missing_rate=0.0, image_size=32, sr=8000,
                    duration=0.5, random_state=None):
    """Generate a synthetic multimodal classification problem.

    Every sample has a class ``y``. For each modality independently, with
    probability ``informativeness[m]`` the item is generated from ``y``;
    otherwise from a class drawn uniformly at random. A modality alone
    therefore reaches at most about ``p + (1 - p) / n_classes`` accuracy, and
    because the modalities err independently, fusing them does better.

    * image: ``(image_size, image_size)`` uint8 arrays; an oriented grating whose
      angle and frequency depend on the class, a class-dependent shape, noise.
    * text: documents of 12–24 words mixing a class vocabulary (about a third
      of the words) with shared noise words.
    * audio: ``(y, sr)`` tuples; harmonics of a random pitch shaped by two
      class-dependent formants, plus white noise.

    Parameters
    ----------
    n_samples : int, default=300
    n_classes : int, default=3
    modalities : sequence of {'image', 'text', 'audio'}
    informativeness : float or dict, optional
        Probability that a modality's item carries the true class; a float
        applies to all; default ``{'image': 0.7, 'text': 0.6, 'audio': 0.5}``.
    missing_rate : float, default=0.0
        Probability that a cell is ``None`` (a missing modality); every row
        keeps at least one modality.
    image_size, sr, duration : image side in pixels, audio sample rate and seconds.
    random_state : int, Generator or None

    Returns
    -------
    X : pandas.DataFrame
        One column per modality.
    y : ndarray of int, shape (n_samples,)
    """
    import pandas as pd  # noqa: PLC0415

    modalities = tuple(modalities)
    bad = [m for m in modalities if m not in MODALITY_KINDS]
    if bad or not modalities:
        raise ValueError(f"modalities must be a non-empty subset of {MODALITY_KINDS}; "
                         f"got {modalities!r}")
    if n_samples < 1 or n_classes < 2:
        raise ValueError(f"need n_samples >= 1 and n_classes >= 2; got {n_samples}, "
                         f"{n_classes}")
    if not 0.0 <= missing_rate < 1.0:
        raise ValueError(f"missing_rate must be in [0, 1); got {missing_rate}")
    default = {"image": 0.7, "text": 0.6, "audio": 0.5}
    if informativeness is None:
        info = {m: default[m] for m in modalities}
    elif isinstance(informativeness, dict):
        unknown = set(informativeness) - set(modalities)
        if unknown:
            raise ValueError(f"informativeness has keys {sorted(unknown)} that are not in "
                             f"modalities {modalities}")
        info = {m: float(informativeness.get(m, default[m])) for m in modalities}
    else:
        info = {m: float(informativeness) for m in modalities}
    for m, p in info.items():
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"informativeness[{m!r}] must be in [0, 1]; got {p}")

    rng = np.random.default_rng(random_state)
    y = rng.integers(0, n_classes, size=n_samples)
    class_words, shared_words = _vocabularies(n_classes, 12, 150)
    columns = {}
    for m in modalities:
        informative = rng.random(n_samples) < info[m]
        signal = np.where(informative, y, rng.integers(0, n_classes, size=n_samples))
        col = []
        for c in signal:
            if m == "image":
                col.append(_synth_image(int(c), n_classes, image_size, rng))
            elif m == "text":
                n_words = int(rng.integers(12, 25))
                n_class = max(1, int(round(n_words * rng.uniform(0.25, 0.4))))
                words = list(rng.choice(class_words[c], size=n_class)) + \
                    list(rng.choice(shared_words, size=n_words - n_class))
                rng.shuffle(words)
                col.append(" ".join(words))
            else:
                col.append((_synth_audio(int(c), n_classes, sr, duration, rng), sr))
        columns[m] = col
    if missing_rate > 0:
        mask = rng.random((n_samples, len(modalities))) < missing_rate
        full = mask.all(axis=1)
        mask[full, rng.integers(0, len(modalities), size=int(full.sum()))] = False
        for j, m in enumerate(modalities):
            for i in np.flatnonzero(mask[:, j]):
                columns[m][i] = None
    X = pd.DataFrame({m: pd.Series(columns[m], dtype=object) for m in modalities})
    return X, y


# --------------------------------------------------------------------------- AV digits

_AV_SEED = 20261123
_AV_SR = 8000


def _data_file(name):
    return resources.files("mmfuse.data").joinpath(name)


def _degrade_image(img, rng):
    """Occlude a random block and add pixel noise (the image alone stays imperfect)."""
    out = img.astype(np.float32) / 255.0
    h = int(rng.integers(7, 11))
    w = int(rng.integers(7, 11))
    top = int(rng.integers(4, 28 - h - 2))
    left = int(rng.integers(4, 28 - w - 2))
    out[top:top + h, left:left + w] = rng.uniform(0.0, 0.3)
    out += rng.normal(0.0, 0.2, size=out.shape)
    return (np.clip(out, 0.0, 1.0) * 255).astype(np.uint8)


def _degrade_audio(y, rng):
    """Add coloured background noise at a random SNR between -1 and +9 dB."""
    n = len(y)
    white = rng.normal(size=n)
    brown = np.cumsum(rng.normal(size=n))
    brown -= np.convolve(brown, np.ones(64) / 64, mode="same")
    noise = white / white.std() + 0.7 * brown / (brown.std() + 1e-9)
    snr_db = rng.uniform(-1.0, 9.0)
    p_sig = float(np.mean(y.astype(np.float64) ** 2)) + 1e-12
    noise *= math.sqrt(p_sig / (10 ** (snr_db / 10)) / np.mean(noise ** 2))
    out = y + noise
    return (out / max(1.0, float(np.max(np.abs(out))))).astype(np.float32)


def load_av_digits(*, split=None, degrade=True, return_X_y=False):
    """Load the embedded audio-visual digits: MNIST images paired with spoken digits.

    1,500 pairs (150 per digit; 1,000 ``train`` / 500 ``test``): each MNIST
    handwritten digit (28×28, from the official t10k set) is paired by label
    with a Free Spoken Digit Dataset recording (8 kHz, five speakers). The
    pairing and split are fixed by a seed (see ``data/build_av_digits.py``).

    With ``degrade=True`` (default) each image gets a random occluding block
    and pixel noise, and each clip coloured background noise at −1…+9 dB SNR,
    from a fixed seed per row, so neither modality alone is perfect and
    fusion has room to show its worth.

    Parameters
    ----------
    split : {'train', 'test'} or None
        Return one split, or all rows (with a ``split`` column) when None.
    degrade : bool, default=True
    return_X_y : bool, default=False

    Returns
    -------
    data : sklearn.utils.Bunch
        ``X`` (DataFrame with ``image``: uint8 (28, 28) arrays and ``audio``:
        ``(float32 samples, 8000)`` tuples), ``y`` (int digit labels),
        ``split``, ``frame`` (X plus ``label``, ``split``, ``id``),
        ``target_names`` and ``DESCR``. ``(X, y)`` with ``return_X_y=True``.

    Notes
    -----
    Licenses: FSDD recordings are CC BY-SA 4.0 (Zohar Jackson and FSDD
    contributors); MNIST (LeCun, Cortes, Burges) is commonly redistributed
    under CC BY-SA 3.0. See ``mmfuse/data/README.md``.
    """
    import pandas as pd  # noqa: PLC0415
    import soundfile as sf  # noqa: PLC0415
    from sklearn.utils import Bunch  # noqa: PLC0415

    if split not in (None, "train", "test"):
        raise ValueError(f"split must be 'train', 'test' or None; got {split!r}")
    with _data_file("av_digits.npz").open("rb") as f:
        meta = np.load(f)
        meta = {k: meta[k] for k in meta.files}
    with _data_file("av_digits.flac").open("rb") as f:
        audio, sr = sf.read(f, dtype="float32")
    assert sr == _AV_SR
    offsets = meta["audio_offsets"]
    n = len(meta["label"])
    rows = np.arange(n) if split is None else np.flatnonzero(meta["split"] == split)
    images, clips = [], []
    for i in rows:
        img = meta["image"][i]
        clip = audio[offsets[i]:offsets[i + 1]]
        if degrade:
            rng = np.random.default_rng([_AV_SEED, int(i)])
            img = _degrade_image(img, rng)
            clip = _degrade_audio(clip, rng)
        images.append(img)
        clips.append((clip, _AV_SR))
    X = pd.DataFrame({"image": pd.Series(images, dtype=object),
                      "audio": pd.Series(clips, dtype=object)})
    y = meta["label"][rows].astype(int)
    if return_X_y:
        return X, y
    frame = X.copy()
    frame["label"] = y
    frame["split"] = meta["split"][rows]
    frame["id"] = [f"{meta['audio_source'][i][:-4]}+mnist{meta['image_source'][i]}"
                   for i in rows]
    return Bunch(X=X, y=y, split=meta["split"][rows], frame=frame,
                 target_names=[str(d) for d in range(10)],
                 DESCR=load_av_digits.__doc__)
