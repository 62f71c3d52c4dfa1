"""Tests of mmfuse.image.hog (batched HOG, in _hog.py) and HOGFeatures (the transformer)."""

import pickle
import warnings

import cv2
import numpy as np
import pytest
from skimage import data
from skimage.feature import hog as sk_hog
from sklearn.base import clone
from sklearn.utils import estimator_checks as ec

from mmfuse import collect_errors, config_context
from mmfuse._backend import asarray, chunk_n_rows, to_numpy
from mmfuse.image import HOGFeatures, hog
from mmfuse.image._batch import fit_to_size
from mmfuse.image._hog import _hog, hog_length
from mmfuse.io import MMFuseInputError, MMFuseInputWarning

NORMS = ["L1", "L1-sqrt", "L2", "L2-Hys"]


# --------------------------------------------------------------------------- data

def _crops(photo, n, size, seed):
    """``n`` distinct natural-image crops of ``photo`` resized to ``size`` (float64 in [0, 1])."""
    rng = np.random.default_rng(seed)
    h, w = photo.shape[:2]
    out = []
    for _ in range(n):
        s = int(rng.integers(min(h, w) // 4, min(h, w) // 2))
        r, c = int(rng.integers(0, h - s)), int(rng.integers(0, w - s))
        crop = cv2.resize(np.ascontiguousarray(photo[r:r + s, c:c + s]), size[::-1],
                          interpolation=cv2.INTER_AREA)
        out.append(crop.astype(np.float64) / 255.0)
    return np.stack(out)


@pytest.fixture(scope="module")
def gray_batch():
    """Six 67x93 crops of the 'camera' photograph (odd sizes: partial cells are dropped)."""
    return _crops(data.camera(), 6, (67, 93), seed=0)


@pytest.fixture(scope="module")
def color_batch():
    """Four 48x56 RGB crops of the 'astronaut' photograph."""
    return _crops(data.astronaut(), 4, (48, 56), seed=1)


def _reference(images, **kw):
    kw.setdefault("cells_per_block", (2, 2))  # skimage's default is (3, 3), ours (2, 2)
    return np.stack([sk_hog(im, feature_vector=True, **kw) for im in images])


# --------------------------------------------------------------------------- hog(): parity

@pytest.mark.parametrize("block_norm", NORMS)
@pytest.mark.parametrize("orientations, ppc, cpb", [(9, (8, 8), (2, 2)),
                                                     (7, (6, 5), (3, 2)),
                                                     (12, (4, 4), (1, 1))])
def test_float64_equals_skimage(gray_batch, block_norm, orientations, ppc, cpb):
    kw = dict(orientations=orientations, pixels_per_cell=ppc, cells_per_block=cpb,
              block_norm=block_norm)
    ours = hog(gray_batch, **kw, device="cpu")
    ref = _reference(gray_batch, **kw)
    assert ours.dtype == np.float64 and ours.shape == ref.shape
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-5)


@pytest.mark.parametrize("block_norm", NORMS)
def test_color_float64_equals_skimage(color_batch, block_norm):
    kw = dict(orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2),
              block_norm=block_norm)
    ours = hog(color_batch, **kw, channel_axis=-1, device="cpu")
    ref = np.stack([sk_hog(im, **kw, channel_axis=-1) for im in color_batch])
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-5)
    # the dominant channel matters: a grey conversion gives a different descriptor
    assert np.abs(ours - hog(color_batch.mean(axis=-1), **kw)).max() > 1e-2


def test_channel_axis_one_and_three_agree(color_batch):
    last = hog(color_batch, channel_axis=-1)
    np.testing.assert_allclose(hog(color_batch, channel_axis=3), last, rtol=0, atol=1e-12)
    np.testing.assert_allclose(hog(np.moveaxis(color_batch, -1, 1), channel_axis=1), last,
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize("orientations", [4, 8, 9])
def test_angles_exactly_on_bin_edges_are_binned_as_skimage(orientations):
    """Ramps whose gradients sit exactly on 0/45/90/135 degrees (bin edges for 4 and 8 bins),
    and pixels whose angle is a tiny negative number (falls in no bin in skimage)."""
    r, c = np.mgrid[0:32, 0:32].astype(np.float64)
    images = [r + c, r - c, 2 * r, 3 * c, np.abs(r - 16) + np.abs(c - 16),
              ((r // 4 + c // 4) % 2), (r * 0.5 + c * 1e-18) % 7]
    images = np.stack([im / im.max() for im in images])
    images[-1, 3, :] -= 1e-17  # g_row of -1e-17 against a positive g_col
    kw = dict(orientations=orientations, pixels_per_cell=(4, 4), cells_per_block=(2, 2))
    ref = _reference(images, **kw)
    np.testing.assert_allclose(hog(images, **kw), ref, rtol=0, atol=1e-5)
    np.testing.assert_allclose(hog(images.astype(np.float32), **kw), ref, rtol=0, atol=1e-5)


@pytest.mark.parametrize("block_norm", NORMS)
def test_float32_fast_path_within_tolerance(block_norm):
    images = np.concatenate([_crops(data.camera(), 10, (128, 128), seed=2),
                             _crops(data.coffee()[..., 1], 10, (128, 128), seed=3)])
    kw = dict(orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2),
              block_norm=block_norm)
    f64 = hog(images, **kw)
    f32 = hog(images.astype(np.float32), **kw)
    assert f32.dtype == np.float32
    diff = np.abs(f32.astype(np.float64) - f64)
    assert diff.max() <= 1e-2 and diff.mean() <= 1e-4


def test_generic_namespace_path_equals_opencv_path(gray_batch, color_batch):
    """The code the GPU runs (written against xp) gives the CPU (OpenCV) result."""
    for images, axis in ((gray_batch, None), (color_batch, -1)):
        for dtype, tol in ((np.float64, 1e-12), (np.float32, 1e-5)):
            kw = dict(orientations=9, pixels_per_cell=(6, 6), cells_per_block=(2, 2),
                      block_norm="L2-Hys", channel_axis=axis, device="cpu")
            a = _hog(images.astype(dtype), **kw, use_cv2=True)
            b = _hog(images.astype(dtype), **kw, use_cv2=False)
            np.testing.assert_allclose(a, b, rtol=0, atol=tol)


def test_float32_ripples_at_the_0_180_degree_edge_keep_their_vote():
    """A vertical edge whose rows differ by one float32 ulp (as a resize leaves them):
    g_row = -ulp puts the angle a hair below 180 degrees. skimage (gradients cast to
    float64) votes it into the last bin; both of our float32 paths must too, not drop it."""
    edge = np.where(np.arange(32) < 16, np.float32(0.299), np.float32(1.0))
    img = np.tile(edge, (32, 1)).astype(np.float32)
    img[1::2] = np.nextafter(img[1::2], np.float32(0))
    images = img[None]
    ref = _reference(images, pixels_per_cell=(8, 8))  # skimage on the float32 image
    for use_cv2 in (True, False):
        ours = _hog(images, orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2),
                    block_norm="L2-Hys", channel_axis=None, device="cpu", use_cv2=use_cv2)
        np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-5)


def test_batch_equals_per_image_and_chunking_changes_nothing(gray_batch):
    whole = hog(gray_batch)
    single = np.concatenate([hog(im[None]) for im in gray_batch])
    np.testing.assert_allclose(whole, single, rtol=0, atol=1e-15)
    with config_context(working_memory=1):  # 1 MiB: chunks of a few images
        assert chunk_n_rows(67 * 93 * 8 * 12) < len(gray_batch) * 2
        chunked = hog(np.concatenate([gray_batch] * 4))
    np.testing.assert_allclose(chunked, np.concatenate([whole] * 4), rtol=0, atol=1e-15)


@pytest.mark.parametrize("dtype, expected", [(np.float16, np.float32), (np.float32, np.float32),
                                             (np.float64, np.float64), (np.uint8, np.float64)])
def test_output_dtype_follows_skimage(dtype, expected):
    images = (np.random.default_rng(0).random((2, 16, 16)) * 200).astype(dtype)
    out = hog(images)
    assert out.dtype == expected
    ref = _reference(images.astype(np.float64))
    np.testing.assert_allclose(out, ref, atol=1e-2 if expected == np.float32 else 1e-5)


def test_blank_and_uniform_images_give_zero_vectors():
    images = np.stack([np.zeros((16, 16)), np.full((16, 16), 0.7)])
    out = hog(images)
    assert out.shape == (2, hog_length((16, 16))) and not out.any()
    np.testing.assert_array_equal(out, _reference(images))


def test_length_and_block_order_match_skimage():
    assert hog_length((128, 128)) == 15 * 15 * 2 * 2 * 9 == 8100
    assert hog_length((28, 28), 9, (4, 4), (2, 2)) == 1296
    assert hog_length((8, 8), 9, (8, 8), (2, 2)) == 0


def test_errors_name_the_fix():
    with pytest.raises(ValueError, match="at least 16 rows and 16 cols"):
        hog(np.zeros((1, 15, 40)))
    with pytest.raises(ValueError, match="set channel_axis=-1"):
        hog(np.zeros((1, 16, 16, 3)))
    with pytest.raises(ValueError, match=r"needs a colour batch of shape \(N, H, W, C\)"):
        hog(np.zeros((1, 16, 16)), channel_axis=-1)
    with pytest.raises(ValueError, match="The 'block_norm' parameter of hog must be"):
        hog(np.zeros((1, 16, 16)), block_norm="L3")
    with pytest.raises(ValueError, match=r"The 'pixels_per_cell' parameter of hog must be an "
                                         r"int in the range \[1, inf\), or a pair"):
        hog(np.zeros((1, 16, 16)), pixels_per_cell=(0, 8))
    with pytest.raises(ValueError, match="The 'cells_per_block' parameter of hog"):
        hog(np.zeros((1, 16, 16)), cells_per_block=(2, 2, 2))
    with pytest.raises(ValueError, match="The 'orientations' parameter of hog must be"):
        hog(np.zeros((1, 16, 16)), orientations=0)
    with pytest.raises(ValueError, match="The 'device' parameter of hog must be"):
        hog(np.zeros((1, 16, 16)), device="tpu")
    with pytest.raises(ValueError, match="The 'channel_axis' parameter of hog must be"):
        hog(np.zeros((1, 16, 16, 3)), channel_axis=2)
    with pytest.raises(ValueError, match=r"image 1 of the batch has negative pixels \(min -0.5\)"):
        hog(np.stack([np.zeros((16, 16)), np.full((16, 16), -0.5)]), transform_sqrt=True)
    with pytest.raises(ValueError, match=r"visualize=True .* got pixels_per_cell=\(1, 4\)"):
        hog(np.zeros((1, 16, 16)), pixels_per_cell=(1, 4), visualize=True)


# ------------------------------------------------------------------ hog(): skimage's options

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("ppc", [(8, 8), (6, 5), (3, 3), (2, 2)])
def test_visualize_feature_vector_transform_sqrt_equal_skimage(gray_batch, dtype, ppc):
    """All three options together and each alone, against skimage.feature.hog image by image."""
    images = gray_batch[:3].astype(dtype)
    for kw in ({"visualize": True, "transform_sqrt": True, "feature_vector": False},
               {"visualize": True}, {"transform_sqrt": True}, {"feature_vector": False}):
        ours = hog(images, pixels_per_cell=ppc, **kw)
        for i, image in enumerate(images):
            ref = sk_hog(image, pixels_per_cell=ppc, cells_per_block=(2, 2), **kw)
            if kw.get("visualize"):
                (feats, picture), (ref_feats, ref_picture) = ours, ref
                assert picture.dtype == ref_picture.dtype == dtype
                assert picture.shape == (len(images),) + image.shape
                np.testing.assert_allclose(picture[i], ref_picture, rtol=0, atol=1e-6)
            else:
                feats, ref_feats = ours, ref
            assert feats.shape[1:] == ref_feats.shape and feats.dtype == dtype
            np.testing.assert_allclose(feats[i], ref_feats, rtol=0, atol=1e-5)


def test_options_on_colour_and_on_the_namespace_path(color_batch):
    """Colour images, and the xp code the GPU runs (use_cv2=False), give skimage's results."""
    kw = dict(orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2),
              block_norm="L2-Hys", channel_axis=-1, device="cpu", visualize=True,
              transform_sqrt=True, feature_vector=False)
    for use_cv2 in (True, False):
        feats, pictures = _hog(color_batch, **kw, use_cv2=use_cv2)
        for i, image in enumerate(color_batch):
            ref_feats, ref_picture = sk_hog(
                image, pixels_per_cell=(8, 8), cells_per_block=(2, 2), channel_axis=-1,
                visualize=True, transform_sqrt=True, feature_vector=False)
            np.testing.assert_allclose(feats[i], ref_feats, rtol=0, atol=1e-5)
            np.testing.assert_allclose(pictures[i], ref_picture, rtol=0, atol=1e-6)
    # the options change the result (none of them is ignored)
    plain = hog(color_batch, channel_axis=-1)
    assert np.abs(hog(color_batch, transform_sqrt=True, channel_axis=-1) - plain).max() > 1e-2
    np.testing.assert_array_equal(
        hog(color_batch, feature_vector=False, channel_axis=-1).reshape(len(plain), -1), plain)


def test_gpu_options_equal_cpu(device, color_batch):
    kw = dict(channel_axis=-1, visualize=True, transform_sqrt=True, feature_vector=False)
    feats, pictures = hog(asarray(color_batch, device), device=device, **kw)
    ref_feats, ref_pictures = hog(color_batch, device="cpu", **kw)
    np.testing.assert_allclose(to_numpy(feats), ref_feats, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(to_numpy(pictures), ref_pictures, rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("color", [False, True])
def test_float32_is_bit_reproducible(color):
    """30 identical calls give identical bytes (cv2.magnitude's SIMD and scalar paths
    rounded differently with memory alignment: calls differed by up to 3e-8)."""
    photo = data.astronaut()[:128, :128] / 255.0
    images = np.stack([photo, photo[::-1], photo[:, ::-1]]).astype(np.float32)
    if not color:
        images = np.ascontiguousarray(images.mean(axis=-1))
    kw = {"channel_axis": -1} if color else {}
    first = hog(images, **kw).tobytes()
    for _ in range(30):
        assert hog(images.copy(), **kw).tobytes() == first


@pytest.mark.parametrize("color", [False, True])
def test_result_does_not_depend_on_the_number_of_threads(color, monkeypatch):
    """The CPU chunks are shared among one thread per core; the bytes stay the same."""
    from mmfuse import _parallel

    images = np.random.default_rng(3).random((70, 64, 64, 3) if color else (70, 64, 64))
    kw = {"channel_axis": -1} if color else {}
    results = []
    for cores in (1, 2, 5):
        monkeypatch.setattr(_parallel, "n_cores", lambda cores=cores: cores)
        results.append(hog(images.astype(np.float32), **kw).tobytes())
    assert results[0] == results[1] == results[2]


def test_hog_is_the_function_after_its_module_is_imported():
    import mmfuse.image
    import mmfuse.image._hog

    assert callable(mmfuse.image.hog) and mmfuse.image.hog.__name__ == "hog"

    x = np.random.default_rng(0).random((2, 16, 16))
    np.testing.assert_allclose(mmfuse.image.hog(x), _hog(
        x, orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2),
        block_norm="L2-Hys", channel_axis=None, device="auto"), rtol=0, atol=1e-12)


def test_gpu_equals_cpu(device, gray_batch, color_batch):
    """CuPy in, CuPy out; equal to the CPU result within 1e-4 relative (float64)."""
    for images, axis in ((gray_batch, None), (color_batch, -1)):
        cpu = hog(images, channel_axis=axis, device="cpu")
        on_device = hog(asarray(images, device), channel_axis=axis, device=device)
        np.testing.assert_allclose(to_numpy(on_device), cpu, rtol=1e-4, atol=1e-7)
        # a NumPy batch computed on the device comes back as NumPy
        assert isinstance(hog(images, channel_axis=axis, device=device), np.ndarray)


# --------------------------------------------------------------------------- HOGFeatures

def test_transformer_equals_hog_on_sized_images():
    images = _crops(data.camera(), 5, (32, 48), seed=4).astype(np.float32)
    hf = HOGFeatures(image_size=(32, 48), pixels_per_cell=(8, 8), device="cpu")
    X = hf.fit_transform(list(images))
    assert X.dtype == np.float32 and X.shape == (5, hog_length((32, 48)))
    np.testing.assert_allclose(X, hog(images), rtol=0, atol=1e-6)  # float32 rounding
    ref = _reference(images.astype(np.float64), pixels_per_cell=(8, 8),
                     cells_per_block=(2, 2))
    assert np.abs(X - ref).max() <= 1e-2
    names = hf.get_feature_names_out()
    assert names.tolist()[:2] == ["hog0", "hog1"] and len(names) == X.shape[1]


@pytest.mark.parametrize("color", [False, True])
def test_transformer_transform_sqrt_is_hogs(color):
    images = (_crops(data.astronaut(), 3, (32, 48), seed=6)).astype(np.float32)
    if not color:
        images = np.ascontiguousarray(images.mean(axis=-1))
    hf = HOGFeatures(image_size=(32, 48), color=color, transform_sqrt=True, device="cpu")
    X = hf.fit_transform(list(images))
    kw = {"channel_axis": -1} if color else {}
    np.testing.assert_array_equal(X, hog(images, transform_sqrt=True, **kw))
    assert np.abs(X - hog(images, **kw)).max() > 1e-2


def test_color_transformer_uses_the_dominant_channel():
    images = (_crops(data.astronaut(), 3, (32, 32), seed=5) * 255).round().astype(np.uint8)
    X = HOGFeatures(image_size=(32, 32), color=True, device="cpu").fit_transform(list(images))
    ref = np.stack([sk_hog(im / 255.0, cells_per_block=(2, 2), channel_axis=-1)
                    for im in images])
    assert np.abs(X - ref).max() <= 1e-2 and np.abs(X - ref).mean() <= 1e-4


def test_letterbox_keeps_aspect_and_pads_with_replicated_edges():
    rng = np.random.default_rng(0)
    img = rng.random((40, 80)).astype(np.float32)
    out = fit_to_size(img, (64, 64))
    assert out.shape == (64, 64)
    inner = cv2.resize(img, (64, 32), interpolation=cv2.INTER_AREA)
    np.testing.assert_array_equal(out[16:48], inner)            # centred, aspect kept
    np.testing.assert_array_equal(out[:16], np.repeat(inner[:1], 16, axis=0))
    np.testing.assert_array_equal(out[48:], np.repeat(inner[-1:], 16, axis=0))
    tall = fit_to_size(rng.random((30, 10, 3)).astype(np.float32), (12, 12))
    assert tall.shape == (12, 12, 3)
    assert fit_to_size(img, (40, 80)) is img                  # right size: untouched
    # padding adds no gradient: a blank image stays blank whatever its shape
    with pytest.warns(MMFuseInputWarning, match="row 0: image has no gradient"):
        assert not HOGFeatures(image_size=(32, 32)).fit_transform([np.ones((5, 30))]).any()


def test_items_as_paths_bytes_and_arrays_agree(tmp_path):
    rng = np.random.default_rng(1)
    img = (rng.random((50, 70, 3)) * 255).astype(np.uint8)
    path = tmp_path / "x.png"
    cv2.imwrite(str(path), img[..., ::-1])  # cv2 writes BGR
    png = path.read_bytes()
    hf = HOGFeatures(image_size=(32, 32)).fit([img])
    X = hf.transform([str(path), path, png, img])
    for row in X[1:]:
        np.testing.assert_allclose(row, X[0], atol=1e-6)
    assert X[0].any()


def test_missing_items_give_nan_rows_and_bad_items_name_their_row(tmp_path):
    import pandas as pd

    good = np.random.default_rng(2).random((20, 20))
    hf = HOGFeatures(image_size=(16, 16))
    X = hf.fit_transform([good, None, float("nan"), good])
    assert np.isnan(X[1]).all() and np.isnan(X[2]).all()
    assert not np.isnan(X[[0, 3]]).any() and X[0].any()

    col = pd.Series([good, str(tmp_path / "nope.png"), b"not an image"], index=[10, 11, 12],
                    name="photo")
    with pytest.raises(MMFuseInputError, match=r"row 11, column 'photo', .*nope.png: file not "
                                               r"found"):
        hf.transform(col)
    with config_context(on_error="skip"), collect_errors() as errors:
        X = hf.transform(col)
    assert [e.row for e in errors] == [11, 12]
    np.testing.assert_array_equal(X, hf.transform(col[[10]]))
    # pandas output keeps the labels of the rows that remain
    with config_context(on_error="skip"):
        df = clone(hf).set_output(transform="pandas").fit(col[[10]]).transform(col)
    assert list(df.index) == [10] and df.shape == (1, hf.n_features_out_)


def test_awkward_images_from_the_nasty_corpus(nasty_corpus):
    hf = HOGFeatures(image_size=(32, 32)).fit([nasty_corpus["jpg"]])
    with pytest.warns(MMFuseInputWarning, match=r"row 1: image has no gradient"):
        X = hf.transform([nasty_corpus["rgba_png"], nasty_corpus["tiny_png"],
                          nasty_corpus["png16"], nasty_corpus["huge_png"],
                          nasty_corpus["jpg"]])
    assert X.shape == (5, hog_length((32, 32))) and np.isfinite(X).all()
    assert not X[1].any()                         # 1x1 image: zero vector, with the warning
    assert X[0].any() and X[2].any() and X[4].any()
    assert X[3].any()                             # 6000x6000 lines: downscaled, still edges
    # RGBA over white: the red half-opaque image equals the composited RGB one
    rgb = np.ones((32, 48, 3), np.float32)
    rgb[:, :24] = [1.0, 0.0, 0.0]
    np.testing.assert_allclose(X[0], hf.transform([rgb])[0], atol=1e-6)
    # 16-bit PNG: the file gives the features of its uint16 pixels passed as an array
    ramp = np.tile(np.linspace(0, 65535, 40).astype(np.uint16), (20, 1))
    np.testing.assert_allclose(X[2], hf.transform([ramp])[0], atol=1e-6)
    with pytest.raises(MMFuseInputError, match=r"row 0, .*corrupt.jpg: cannot decode image"):
        hf.transform([nasty_corpus["corrupt_jpg"]])


def test_huge_images_are_downscaled_while_loading(monkeypatch):
    from mmfuse import io

    seen = []
    original = io.load_image

    def spy(item, mode="gray", *, max_side=None, row=None, column=None):
        seen.append(max_side)
        return original(item, mode, max_side=max_side, row=row, column=column)

    monkeypatch.setattr("mmfuse.image._batch.load_image", spy)
    big = np.zeros((3000, 2000), np.uint8)
    big[::40] = 255
    X = HOGFeatures(image_size=(64, 48)).fit_transform([big])
    assert seen == [256] and X.any()


def test_pipeline_grid_search_clone_pickle_and_pandas_output():
    import pandas as pd
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import SVC

    rng = np.random.default_rng(3)
    r, c = np.mgrid[0:24, 0:24]
    horizontal = [np.clip((np.sin(r / 2 + rng.random() * 6) + 1) / 2 + rng.normal(0, .05, r.shape),
                          0, 1) for _ in range(12)]
    vertical = [np.clip((np.sin(c / 2 + rng.random() * 6) + 1) / 2 + rng.normal(0, .05, r.shape),
                        0, 1) for _ in range(12)]
    X = pd.DataFrame({"image": horizontal + vertical})
    y = np.array([0] * 12 + [1] * 12)
    pipe = make_pipeline(HOGFeatures(image_size=(24, 24)), SVC())
    grid = GridSearchCV(pipe, {"hogfeatures__orientations": [4, 9]}, cv=3).fit(X, y)
    assert grid.best_score_ == 1.0
    hf = grid.best_estimator_[0]
    assert hf.n_features_in_ == 1 and list(hf.feature_names_in_) == ["image"]

    # sklearn's check_estimators_pickle, on images: the same features to the bit, every time
    Xt = hf.transform(X)
    for _ in range(10):
        assert pickle.loads(pickle.dumps(hf)).transform(X).tobytes() == Xt.tobytes()
    cl = clone(hf)
    assert cl.get_params() == hf.get_params() and not hasattr(cl, "n_features_out_")

    out = HOGFeatures(image_size=(24, 24)).set_output(transform="pandas").fit_transform(X)
    assert isinstance(out, pd.DataFrame) and list(out.columns[:2]) == ["hog0", "hog1"]
    assert out.dtypes.iloc[0] == np.float32


def test_numeric_stack_input():
    images = np.random.default_rng(4).random((3, 20, 20))
    X = HOGFeatures(image_size=(20, 20), pixels_per_cell=(4, 4)).fit_transform(images)
    np.testing.assert_allclose(X, hog(images.astype(np.float32), pixels_per_cell=(4, 4)),
                               rtol=0, atol=1e-6)
    threaded = HOGFeatures(image_size=(20, 20), pixels_per_cell=(4, 4), n_jobs=2)
    np.testing.assert_allclose(threaded.fit_transform(images), X, rtol=0, atol=1e-6)


def test_parameter_errors():
    with pytest.raises(ValueError, match="The 'block_norm' parameter of HOGFeatures must be"):
        HOGFeatures(block_norm="L3").fit([np.zeros((8, 8))])
    with pytest.raises(ValueError, match=r"image_size should be at least \(16, 16\)"):
        HOGFeatures(image_size=(12, 40)).fit([np.zeros((8, 8))])
    with pytest.raises(ValueError, match="The 'image_size' parameter of HOGFeatures must be"):
        HOGFeatures(image_size=(0, 32)).fit([np.zeros((8, 8))])
    with pytest.raises(ValueError, match="The 'transform_sqrt' parameter of HOGFeatures"):
        HOGFeatures(transform_sqrt="yes").fit([np.zeros((8, 8))])
    with pytest.raises(ValueError, match="got 0 items"):
        HOGFeatures().fit([])
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        HOGFeatures().transform([np.zeros((8, 8))])


def test_progress_bar_over_batches(capsys, monkeypatch):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    images = [np.random.default_rng(i).random((16, 16)) for i in range(5)]
    with config_context(working_memory=1):
        HOGFeatures(image_size=(128, 128), progress=True).fit_transform(images)
    assert "HOG" in capsys.readouterr().err


def test_mnist_subset_hog_svc(shared_datasets):
    """Fast subset of benchmarks/eval_mnist_hog.py (full run: 0.987 on 6,000/1,000)."""
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import SVC

    d = np.load(shared_datasets / "mnist" / "mnist_subset.npz")
    model = make_pipeline(HOGFeatures(image_size=(28, 28), pixels_per_cell=(4, 4)),
                          SVC(C=10))
    model.fit(d["x_train"][:1500], d["y_train"][:1500])
    acc = (model.predict(d["x_test"][:500]) == d["y_test"][:500]).mean()
    assert acc >= 0.95


# --------------------------------------------------------------------------- sklearn checks
# scikit-learn's estimator checks (and why its data checks do not apply to an image
# column) are in tests/test_common.py.


def test_tags_describe_an_image_column_transformer():
    from sklearn.utils import get_tags

    tags = get_tags(HOGFeatures())
    assert tags.input_tags.string and tags.input_tags.three_d_array
    assert not tags.input_tags.two_d_array and tags.input_tags.allow_nan
    assert tags.transformer_tags.preserves_dtype == []
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        assert list(ec._yield_all_checks(HOGFeatures(), legacy=True)) == []


@pytest.mark.parametrize("color", [False, True])
def test_float32_path_equals_float64_on_the_same_pixels(gray_batch, color_batch, color):
    """The float32 computation is exact up to rounding: only rounding the INPUT moves bins."""
    im32 = (color_batch if color else gray_batch).astype(np.float32)
    kw = {"channel_axis": -1} if color else {}
    r32 = hog(im32, **kw)
    r64 = hog(im32.astype(np.float64), **kw)
    assert r32.dtype == np.float32 and r64.dtype == np.float64
    np.testing.assert_allclose(r32, r64, rtol=0, atol=1e-5)


def test_fit_and_loading_do_the_set_up_of_transform(tmp_path, monkeypatch):
    """The first transform has no one-off set-up left: fitting (or loading a fitted
    model, checked in a fresh interpreter) imports OpenCV and builds the index tables
    of the geometry, and a transform without a progress bar never imports tqdm."""
    import os
    import subprocess
    import sys

    from mmfuse.image import _hog as hog_module

    calls = []
    monkeypatch.setattr(hog_module, "_prepare_transform", lambda est: calls.append(est))
    hf = HOGFeatures(image_size=(16, 16), progress=False).fit([np.zeros((8, 8))])
    assert calls == [hf]
    monkeypatch.undo()
    fitted = tmp_path / "hog.pkl"
    fitted.write_bytes(pickle.dumps(hf))
    code = f"""
import pickle, sys
import numpy as np
import mmfuse.image
assert "cv2" not in sys.modules and "tqdm" not in sys.modules
from mmfuse.image import _hog
assert _hog._slot_base.cache_info().currsize == 0
hf = pickle.loads(open({str(fitted)!r}, "rb").read())
assert "cv2" in sys.modules and _hog._slot_base.cache_info().currsize == 1
X = hf.transform([np.eye(8)])
assert X.shape == (1, 36) and "tqdm" not in sys.modules
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "TQDM_DISABLE": "1"})
    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize("channels", [3, 4])
def test_one_colour_image_as_an_array_is_not_read_as_a_batch(channels):
    """(H, W, 3) would otherwise be H grey images of W x 3 pixels: refused, naming the fix."""
    from mmfuse.image import HOGFeatures, hog

    img = np.random.default_rng(0).random((32, 32, channels))
    with pytest.raises(ValueError, match=r"one colour image, which would be read as a batch of "
                                         r"32 images of 32x\d pixels; pass a column of images"):
        HOGFeatures(image_size=(32, 32)).fit_transform(img)
    with pytest.raises(ValueError, match=r"looks like one colour image \(H, W, C\): pass "
                                         r"images\[None\] with channel_axis=-1"):
        hog(img)
    # the batch of one it suggests works, and equals the image given in a list
    np.testing.assert_array_equal(HOGFeatures(image_size=(32, 32)).fit_transform(img[None]),
                                  HOGFeatures(image_size=(32, 32)).fit_transform([img]))
