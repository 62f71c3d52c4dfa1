import pickle
import warnings

import cv2
import numpy as np
import pandas as pd
import pytest

from mmfuse.io import (MMFuseInputError, MMFuseInputWarning, is_missing, load_audio,
                       load_column, load_image, load_text)


# --------------------------------------------------------------------------- errors

def test_error_message_names_row_column_path_cause():
    err = MMFuseInputError("file is empty (0 bytes)", row=17, column="audio", path="clips/a.wav")
    assert str(err) == "row 17, column 'audio', clips/a.wav: file is empty (0 bytes)"
    assert isinstance(err, ValueError)
    back = pickle.loads(pickle.dumps(err))
    assert (back.row, back.column, back.path, back.cause) == (17, "audio", "clips/a.wav",
                                                              "file is empty (0 bytes)")
    assert str(MMFuseInputError("x").with_context(row=2, column="t")) == "row 2, column 't': x"


@pytest.mark.parametrize("item,expected", [
    (None, True), (float("nan"), True), (np.float32("nan"), True), (pd.NA, True),
    (pd.NaT, True), ("", False), (0.0, False), (np.zeros(3), False), ("nan", False)])
def test_is_missing(item, expected):
    assert is_missing(item) is expected


# --------------------------------------------------------------------------- images

def test_image_from_path_bytes_and_array_agree(nasty_corpus):
    path = nasty_corpus["jpg"]
    from_path = load_image(path, mode="rgb")
    from_bytes = load_image(path.read_bytes(), mode="rgb")
    np.testing.assert_array_equal(from_path, from_bytes)
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    np.testing.assert_allclose(from_path, bgr[..., ::-1] / 255.0, atol=1e-6)
    gray = load_image(path, mode="gray")
    assert gray.shape == (40, 60) and gray.dtype == np.float32
    ref = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY) / 255.0  # same BT.601 weights (rounded by cv2)
    assert np.abs(gray - ref).max() < 1.0 / 255 + 1e-6


@pytest.mark.parametrize("dtype,scale", [(np.uint8, 255), (np.uint16, 65535)])
def test_integer_arrays_scale_to_unit(dtype, scale):
    arr = np.array([[0, scale // 2], [scale, 1]], dtype=dtype)
    out = load_image(arr)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, arr / scale, rtol=1e-6)


def test_float_bool_and_generic_int_arrays():
    np.testing.assert_array_equal(load_image(np.eye(3, dtype=bool)), np.eye(3))
    np.testing.assert_allclose(load_image(np.array([[0, 128, 255]])), [[0, 128 / 255, 1]])
    f = np.linspace(0, 1, 12, dtype=np.float64).reshape(3, 4)
    np.testing.assert_allclose(load_image(f), f, atol=1e-7)
    with pytest.raises(MMFuseInputError, match=r"must lie in \[0, 1\].*divide by 255"):
        load_image(f * 255, row=4, column="image")
    with pytest.raises(MMFuseInputError, match="NaN or infinite"):
        load_image(np.full((2, 2), np.nan))
    with pytest.raises(MMFuseInputError, match=r"\[0, 65535\]"):
        load_image(np.array([[-1, 3]]))


def test_rgba_png_composited_over_white(nasty_corpus):
    img = load_image(nasty_corpus["rgba_png"], mode="rgb")
    assert img.shape == (32, 48, 3)
    np.testing.assert_allclose(img[:, :24], np.broadcast_to([1.0, 0, 0], (32, 24, 3)))
    np.testing.assert_allclose(img[:, 24:], 1.0)  # transparent -> white background
    # an RGBA array behaves the same as the file
    arr = np.zeros((2, 2, 4), dtype=np.uint8)
    arr[..., 1] = 255
    arr[0, :, 3] = 255
    out = load_image(arr, mode="rgb")
    np.testing.assert_allclose(out[0], [[0, 1, 0]] * 2)
    np.testing.assert_allclose(out[1], [[1, 1, 1]] * 2)


def test_16bit_png_keeps_precision(nasty_corpus):
    img = load_image(nasty_corpus["png16"])
    expected = np.linspace(0, 65535, 40).astype(np.uint16) / 65535.0
    np.testing.assert_allclose(img[0], expected, atol=1e-6)
    assert len(np.unique(img)) == 40  # 8-bit quantisation would merge neighbours


def test_tiny_and_huge_images(nasty_corpus):
    tiny = load_image(nasty_corpus["tiny_png"])
    assert tiny.shape == (1, 1) and tiny[0, 0] == pytest.approx(200 / 255)
    huge = load_image(nasty_corpus["huge_png"], max_side=600)
    assert huge.shape == (600, 600)
    # INTER_AREA averages the 1-in-50 white rows: mean brightness is preserved
    assert huge.mean() == pytest.approx(1 / 50, rel=0.05)
    full = load_image(nasty_corpus["huge_png"])
    assert full.shape == (6000, 6000)


def test_grey_to_rgb_and_single_channel():
    g = np.arange(6, dtype=np.uint8).reshape(2, 3)
    rgb = load_image(g, mode="rgb")
    assert rgb.shape == (2, 3, 3) and np.all(rgb[..., 0] == rgb[..., 2])
    assert load_image(g[..., None]).shape == (2, 3)


@pytest.mark.parametrize("key,cause", [
    ("empty_png", "file is empty (0 bytes)"),
    ("corrupt_jpg", "cannot decode image"),
    ("missing", "file not found"),
    ("directory", "directory"),
])
def test_bad_image_files_name_row_column_path(nasty_corpus, key, cause):
    path = nasty_corpus[key]
    with pytest.raises(MMFuseInputError) as exc:
        load_image(path, row=5, column="image")
    msg = str(exc.value)
    assert msg.startswith(f"row 5, column 'image', {path}: ")
    assert cause in msg
    assert exc.value.path == str(path)


def test_bad_image_objects():
    with pytest.raises(MMFuseInputError, match="image bytes are empty"):
        load_image(b"")
    with pytest.raises(MMFuseInputError, match="unsupported image shape"):
        load_image(np.zeros((4, 4, 2)))
    with pytest.raises(MMFuseInputError, match="has no pixels"):
        load_image(np.zeros((0, 4)))
    with pytest.raises(MMFuseInputError, match="expected an image path, bytes, array or PIL "
                                               "image; got int"):
        load_image(42, row=0)
    with pytest.raises(ValueError, match="The 'mode' parameter of load_image must be"):
        load_image(np.zeros((2, 2)), mode="bgr")
    with pytest.raises(ValueError, match="The 'max_side' parameter of load_image must be"):
        load_image(np.zeros((2, 2)), max_side=0)
    assert load_image(None) is None and load_image(float("nan")) is None


# --------------------------------------------------------------------------- EXIF, Pillow

PIL = pytest.importorskip  # Pillow comes with the test extra; mmfuse itself does not need it


def _tiff_orientation_block(orientation, order="II"):
    """A minimal EXIF TIFF block: one image directory holding the Orientation tag."""
    bo = "little" if order == "II" else "big"
    head = order.encode() + (42).to_bytes(2, bo) + (8).to_bytes(4, bo)
    entry = ((0x0112).to_bytes(2, bo) + (3).to_bytes(2, bo) + (1).to_bytes(4, bo)
             + orientation.to_bytes(2, bo) + b"\x00\x00")
    return head + (1).to_bytes(2, bo) + entry + (0).to_bytes(4, bo)


def _jpeg_with_orientation(bgr, orientation, order="II"):
    """cv2's JPEG with an APP1 EXIF segment inserted after SOI (after JFIF's APP0 for 'MM')."""
    ok, enc = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 95])
    data = enc.tobytes()
    payload = b"Exif\x00\x00" + _tiff_orientation_block(orientation, order)
    app1 = b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
    cut = 2 if order == "II" else 2 + 2 + int.from_bytes(data[4:6], "big")
    return data[:cut] + app1 + data[cut:]


def _png_with_orientation(bgr, orientation):
    import zlib

    ok, enc = cv2.imencode(".png", bgr)
    data = enc.tobytes()
    body = b"eXIf" + _tiff_orientation_block(orientation, "MM")
    chunk = (len(body) - 4).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")
    return data[:33] + chunk + data[33:]  # after the 8-byte signature and the IHDR chunk


# what each EXIF orientation means, applied to the stored pixels (EXIF 2.3, Table 5)
UPRIGHT = {1: lambda a: a, 2: lambda a: a[:, ::-1], 3: lambda a: a[::-1, ::-1],
           4: lambda a: a[::-1], 5: lambda a: a.swapaxes(0, 1),
           6: lambda a: np.rot90(a, -1), 7: lambda a: np.rot90(a, -1)[::-1],
           8: lambda a: np.rot90(a, 1)}


@pytest.fixture(scope="module")
def asymmetric_bgr():
    """A 24x40 colour image whose every flip and rotation differs (smooth, for JPEG)."""
    r, c = np.mgrid[0:24, 0:40]
    return np.stack([r * 10, c * 6, (r * c) % 200], axis=-1).astype(np.uint8)


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("order", ["II", "MM"])
def test_jpeg_exif_orientation_loads_as_displayed(tmp_path, asymmetric_bgr, orientation, order):
    data = _jpeg_with_orientation(asymmetric_bgr, orientation, order)
    path = tmp_path / f"o{orientation}.jpg"
    path.write_bytes(data)
    from mmfuse.io import exif_orientation

    assert exif_orientation(data) == orientation
    # OpenCV's imread default (IMREAD_COLOR) applies the orientation: the same pixels
    shown = cv2.imread(str(path), cv2.IMREAD_COLOR)[..., ::-1] / 255.0
    for item in (path, str(path), data):
        out = load_image(item, mode="rgb")
        assert out.shape == shown.shape
        np.testing.assert_allclose(out, shown, atol=1e-6)
    assert load_image(path).shape == shown.shape[:2]
    # and they are the stored pixels turned as the tag says
    stored = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)[..., ::-1]
    np.testing.assert_allclose(load_image(data, mode="rgb"), UPRIGHT[orientation](stored) / 255.0,
                               atol=1e-6)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_png_exif_orientation_and_rgba_kept(asymmetric_bgr, orientation):
    bgra = np.dstack([asymmetric_bgr, np.full(asymmetric_bgr.shape[:2], 255, np.uint8)])
    bgra[:4, :4, 3] = 0  # a transparent corner: alpha must survive the turn
    data = _png_with_orientation(bgra, orientation)
    rgba = bgra[..., [2, 1, 0, 3]].astype(np.float32) / 255
    expected = UPRIGHT[orientation](rgba[..., :3] * rgba[..., 3:] + (1 - rgba[..., 3:]))
    np.testing.assert_allclose(load_image(data, mode="rgb"), expected, atol=1e-6)
    shown = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert shown.shape[:2] == expected.shape[:2]


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_webp_exif_orientation_as_imread(asymmetric_bgr, orientation):
    """A lossless WebP with an EXIF chunk (written by Pillow): the pixels imread shows."""
    Image = PIL("PIL.Image")
    import io as _io

    exif = Image.Exif()
    exif[0x0112] = orientation
    buf = _io.BytesIO()
    Image.fromarray(np.ascontiguousarray(asymmetric_bgr[..., ::-1])).save(
        buf, "WEBP", lossless=True, exif=exif.tobytes())
    data = buf.getvalue()
    shown = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)[..., ::-1] / 255.0
    np.testing.assert_allclose(load_image(data, mode="rgb"), shown, atol=1e-6)
    np.testing.assert_allclose(load_image(data, mode="rgb"),
                               UPRIGHT[orientation](asymmetric_bgr[..., ::-1]) / 255.0, atol=1e-6)


def test_malformed_or_absent_exif_counts_as_upright(asymmetric_bgr):
    from mmfuse.io import exif_orientation

    ok, enc = cv2.imencode(".jpg", asymmetric_bgr)
    plain = enc.tobytes()
    assert exif_orientation(plain) == 1 and exif_orientation(b"GIF89a") == 1
    broken = _jpeg_with_orientation(asymmetric_bgr, 6)
    broken = broken[:12] + b"XX" + broken[14:]  # byte-order mark destroyed
    assert exif_orientation(broken) == 1
    bad_value = _jpeg_with_orientation(asymmetric_bgr, 9)
    assert exif_orientation(bad_value) == 1
    assert load_image(bad_value).shape == asymmetric_bgr.shape[:2]


@pytest.mark.parametrize("mode", ["1", "L", "LA", "P", "PA", "RGB", "RGBA", "CMYK", "YCbCr",
                                  "I;16", "I", "F"])
def test_pil_images_are_accepted_in_every_mode(mode, asymmetric_bgr):
    Image = PIL("PIL.Image")
    rgb = np.ascontiguousarray(asymmetric_bgr[..., ::-1])
    base = Image.fromarray(rgb)
    if mode == "I;16":
        img = Image.fromarray(rgb[..., 0].astype(np.uint16) * 257)
        expected = rgb[..., 0] / 255.0
    elif mode == "I":
        img = Image.fromarray(rgb[..., 0].astype(np.int32))
        expected = rgb[..., 0] / 255.0
    elif mode == "F":
        img = Image.fromarray(rgb[..., 0].astype(np.float32) / 255)
        expected = rgb[..., 0] / 255.0
    else:
        img = base.convert(mode)
        expected = np.asarray(img.convert("RGBA" if "A" in mode or mode == "P" else "RGB"))
        expected = load_image(expected, mode="rgb")
    assert img.mode == mode
    out = load_image(img, mode="rgb", row=2, column="photo")
    assert out.shape[:2] == rgb.shape[:2] and out.dtype == np.float32
    if expected.ndim == 2:
        expected = np.repeat(expected[..., None], 3, axis=2)
    np.testing.assert_allclose(out, expected, atol=1e-6)
    assert load_image(img).shape == rgb.shape[:2]


def test_pil_image_equals_the_file_it_came_from(tmp_path, asymmetric_bgr):
    """A JPEG opened with Pillow (EXIF orientation 6) gives the pixels its path gives."""
    Image = PIL("PIL.Image")
    path = tmp_path / "rotated.jpg"
    path.write_bytes(_jpeg_with_orientation(asymmetric_bgr, 6))
    with Image.open(path) as img:
        from_pil = load_image(img, mode="rgb")
    from_path = load_image(path, mode="rgb")
    assert from_pil.shape == from_path.shape == (40, 24, 3)
    assert np.abs(from_pil - from_path).max() <= 2 / 255  # two JPEG decoders
    # a column of Pillow images goes through the extractors like any other item
    from mmfuse.image import HOGFeatures

    with Image.open(path) as img:
        img.load()
        X = HOGFeatures(image_size=(32, 32), color=True).fit_transform(
            pd.Series([img, str(path), None]))
    assert np.isnan(X[2]).all() and np.abs(X[0] - X[1]).max() < 0.1


def test_pil_image_that_cannot_be_read_names_row(tmp_path, asymmetric_bgr):
    Image = PIL("PIL.Image")
    path = tmp_path / "cut.png"
    ok, enc = cv2.imencode(".png", asymmetric_bgr)
    path.write_bytes(enc.tobytes()[:200])
    with Image.open(path) as img, \
            pytest.raises(MMFuseInputError, match=r"row 7, column 'photo', .*cut.png: cannot "
                                                  r"read the PIL image"):
        load_image(img, row=7, column="photo")


# --------------------------------------------------------------------------- audio

def test_stereo_48k_24bit_is_mixed_and_resampled(nasty_corpus):
    y = load_audio(nasty_corpus["stereo48k"], sr=16000)
    assert y.dtype == np.float32 and y.shape == (16000,)
    t = np.arange(16000) / 16000
    expected = 0.375 * np.sin(2 * np.pi * 440 * t)  # mean of the two channels
    core = slice(200, -200)  # resampler edge effects aside
    np.testing.assert_allclose(y[core], expected[core], atol=2e-3)


@pytest.mark.parametrize("key,n", [("flac", 16000), ("ogg", 16000)])
def test_compressed_formats(nasty_corpus, key, n):
    y = load_audio(nasty_corpus[key], sr=16000)
    assert y.shape == (n,)
    # a 300 Hz tone: the spectrum peaks there
    spec = np.abs(np.fft.rfft(y))
    assert abs(np.argmax(spec) * 16000 / len(y) - 300) < 5


def test_audio_array_forms_agree():
    rng = np.random.default_rng(0)
    y = rng.uniform(-0.5, 0.5, 8000).astype(np.float32)
    np.testing.assert_array_equal(load_audio(y, sr=8000), y)
    np.testing.assert_array_equal(load_audio((y, 8000), sr=8000), y)
    np.testing.assert_array_equal(load_audio(np.stack([y, y]), sr=8000), y)      # (ch, n)
    np.testing.assert_array_equal(load_audio(np.stack([y, y], 1), sr=8000), y)   # (n, ch)
    pcm = (y * 32767).astype(np.int16)
    np.testing.assert_allclose(load_audio(pcm, sr=8000), pcm / 32768.0, atol=1e-7)
    up = load_audio((y, 8000), sr=16000)
    assert up.shape == (16000,)
    assert load_audio([0.0, 0.5], sr=8000).tolist() == [0.0, 0.5]


def test_max_duration_reads_prefix(nasty_corpus):
    y = load_audio(nasty_corpus["stereo48k"], sr=16000, max_duration=0.25)
    assert y.shape == (4000,)
    y2 = load_audio((np.zeros(48000, np.float32), 48000), sr=16000, max_duration=0.5)
    assert y2.shape == (8000,)


def test_silent_clip_is_valid(nasty_corpus):
    y = load_audio(nasty_corpus["silent"], sr=16000)
    assert y.shape == (16000,) and not y.any()


@pytest.mark.parametrize("key,cause", [
    ("empty", "file is empty (0 bytes)"),
    ("header_only_wav", "clip has no samples (header only or empty)"),
    ("nan_audio", "clip contains 2 NaN or infinite samples out of 1000"),
    ("missing", "file not found"),
    ("corrupt_jpg", "cannot decode audio"),
    ("directory", "directory"),
])
def test_bad_audio_files(nasty_corpus, key, cause):
    path = nasty_corpus[key]
    with pytest.raises(MMFuseInputError) as exc:
        load_audio(path, sr=16000, row=17, column="audio")
    assert str(exc.value).startswith(f"row 17, column 'audio', {path}: ")
    assert cause in str(exc.value)


def test_bad_audio_objects():
    with pytest.raises(MMFuseInputError, match="no samples"):
        load_audio(np.zeros(0), row=1)
    with pytest.raises(MMFuseInputError, match="sample rate must be a positive integer"):
        load_audio((np.zeros(10), 0))
    with pytest.raises(MMFuseInputError, match=r"\(samples, sample_rate\)"):
        load_audio((np.zeros(10), 8000, 1))
    with pytest.raises(MMFuseInputError, match="expected an audio path"):
        load_audio({"y": 1})
    with pytest.raises(MMFuseInputError, match="cannot tell channels"):
        load_audio(np.zeros((20, 30)))
    with pytest.raises(MMFuseInputError, match="NaN or infinite"):
        load_audio(np.array([0.0, np.inf]))
    with pytest.raises(ValueError, match="The 'sr' parameter of load_audio must be"):
        load_audio(np.zeros(3), sr=0)
    with pytest.raises(ValueError, match="The 'max_duration' parameter of load_audio"):
        load_audio(np.zeros(3), max_duration=float("nan"))
    assert load_audio(None) is None


# --------------------------------------------------------------------------- text

def test_text_forms(nasty_corpus):
    assert load_text("héllo") == "héllo"
    assert load_text("héllo".encode()) == "héllo"
    assert load_text(np.str_("x")) == "x"
    assert load_text(None) is None and load_text(float("nan")) is None
    raw = nasty_corpus["latin1_txt"].read_bytes()
    with pytest.warns(MMFuseInputWarning, match=r"row 3, column 'text': text is not valid utf-8"):
        out = load_text(raw, row=3, column="text")
    assert out.startswith("Caf\ufffd cr\ufffdme")
    with pytest.raises(MMFuseInputError, match="expected text .* got int"):
        load_text(5, row=0)


def test_text_decode_error_and_encoding(nasty_corpus):
    raw = nasty_corpus["latin1_txt"].read_bytes()
    assert load_text(raw, encoding="latin-1") == "Café crème, naïve façade"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 'ignore' drops the bytes silently, as sklearn
        assert load_text(raw, decode_error="ignore") == "Caf crme, nave faade"
    with pytest.raises(MMFuseInputError, match=r"row 4, column 'text': text is not valid utf-8 "
                                               r"\(byte 0xe9 at offset 3\); pass the file's "
                                               r"encoding"):
        load_text(raw, decode_error="strict", row=4, column="text")
    with pytest.raises(ValueError, match="The 'decode_error' parameter of load_text"):
        load_text("x", decode_error="surrogateescape")
    with pytest.raises(ValueError, match="encoding='klingon' is not an encoding"):
        load_text("x", encoding="klingon")


def test_text_from_files_and_file_objects(tmp_path, nasty_corpus):
    good = tmp_path / "a.txt"
    good.write_text("ünïcode text", encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert load_text(str(good), input="filename") == "ünïcode text"
    assert load_text(good, input="filename") == "ünïcode text"
    assert load_text(empty, input="filename") == ""  # an empty file is an empty document
    assert load_text(None, input="filename") is None
    latin = nasty_corpus["latin1_txt"]
    assert load_text(latin, input="filename", encoding="latin-1").startswith("Café")
    with pytest.raises(MMFuseInputError, match=r"row 2, column 'body', .*latin1.txt: text is "
                                               r"not valid utf-8"):
        load_text(latin, input="filename", decode_error="strict", row=2, column="body")
    with pytest.raises(MMFuseInputError, match=r"row 1, .*nope.txt: file not found"):
        load_text(str(tmp_path / "nope.txt"), input="filename", row=1)
    with pytest.raises(MMFuseInputError, match="expects the path of a text file; got bytes"):
        load_text(b"abc", input="filename")
    with open(good, encoding="utf-8") as f:
        assert load_text(f, input="file") == "ünïcode text"
    with open(latin, "rb") as f:
        assert load_text(f, input="file", encoding="latin-1").startswith("Café")
    with pytest.raises(MMFuseInputError, match=r"got str \(for paths pass input='filename'\)"):
        load_text(str(good), input="file")
    f = open(good, "rb")
    f.close()
    with pytest.raises(MMFuseInputError, match=r"a.txt: cannot read the file object"):
        load_text(f, input="file")


# --------------------------------------------------------------------------- batches

def test_load_column_skip_keeps_every_good_row(nasty_corpus):
    items = pd.Series([str(nasty_corpus["flac"]), None, str(nasty_corpus["empty"]),
                       str(nasty_corpus["silent"]), str(nasty_corpus["missing"]), np.nan],
                      index=[10, 11, 12, 13, 14, 15])
    res = load_column(items, load_audio, column="audio", on_error="skip", sr=8000)
    assert res.missing.tolist() == [False, True, False, False, False, True]
    assert res.failed.tolist() == [False, False, True, False, True, False]
    assert res.good_rows.tolist() == [0, 3]
    assert [e.row for e in res.errors] == [12, 14]  # index labels, not positions
    assert "row 12, column 'audio'" in str(res.errors[0]) and "0 bytes" in str(res.errors[0])
    assert res.values[0].shape == (8000,) and res.values[3].shape == (8000,)
    assert res.values[1] is None and res.values[2] is None


def test_load_column_raise_names_first_bad_row(nasty_corpus):
    items = [str(nasty_corpus["jpg"]), str(nasty_corpus["corrupt_jpg"])]
    with pytest.raises(MMFuseInputError, match=r"^row 1, column 'img', .*cannot decode"):
        load_column(items, load_image, column="img")


def test_load_column_threads_match_serial(nasty_corpus):
    items = [str(nasty_corpus["jpg"]), str(nasty_corpus["tiny_png"])] * 3
    a = load_column(items, load_image, column="image")
    b = load_column(items, load_image, column="image", n_jobs=2)
    for x, y in zip(a.values, b.values):
        np.testing.assert_array_equal(x, y)
    with pytest.raises(ValueError, match="The 'on_error' parameter of load_column must be"):
        load_column(items, load_image, on_error="ignore")


def test_load_column_checks_the_loaders_options_once(nasty_corpus, monkeypatch):
    """A bad loader option fails before any item loads, named as the loader's parameter;
    the items then load without re-validating each call."""
    items = [str(nasty_corpus["jpg"])] * 4
    with pytest.raises(ValueError, match="The 'mode' parameter of load_image must be"):
        load_column(items, load_image, mode="bgr")
    from sklearn.utils import _param_validation

    calls = []
    original = _param_validation.validate_parameter_constraints
    monkeypatch.setattr(_param_validation, "validate_parameter_constraints",
                        lambda *a, **k: calls.append(k["caller_name"]) or original(*a, **k))
    load_column(items, load_image, mode="rgb")
    assert calls == ["load_column"]  # load_image's options: checked once, not per item
    load_image(items[0], mode="rgb")
    assert calls == ["load_column", "load_image"]  # (the spy sees a direct call)
