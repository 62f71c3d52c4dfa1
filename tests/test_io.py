import pickle
import warnings

import cv2
import numpy as np
import pandas as pd
import pytest
import soundfile as sf

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
    with pytest.raises(MMFuseInputError, match="expected an image path, bytes or array; got int"):
        load_image(42, row=0)
    with pytest.raises(ValueError, match="mode must be"):
        load_image(np.zeros((2, 2)), mode="bgr")
    assert load_image(None) is None and load_image(float("nan")) is None


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
    with pytest.raises(ValueError, match="sr must be"):
        load_audio(np.zeros(3), sr=0)
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
    with pytest.raises(ValueError, match="on_error must be"):
        load_column(items, load_image, on_error="ignore")
