import json
import pickle
import struct

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

import mmfuse
from mmfuse.persistence import (MAGIC, ModelFileError, VersionMismatchWarning, load,
                                read_metadata, save)


def _double(x):
    return 2 * x


@pytest.fixture(scope="module")
def fitted():
    X, y = make_classification(200, 6, random_state=0)
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    return model, X


@pytest.mark.parametrize("fmt", ["joblib", "skops"])
def test_roundtrip_identical_predictions_and_metadata(tmp_path, fitted, fmt):
    model, X = fitted
    path = tmp_path / f"model.{fmt}"
    header = save(model, path, format=fmt, metadata={"dataset": "toy", "run": 3})
    back = load(path)
    np.testing.assert_array_equal(back.predict_proba(X), model.predict_proba(X))
    meta = read_metadata(path)
    assert meta == json.loads(json.dumps(header))
    assert meta["format"] == fmt and meta["user"] == {"dataset": "toy", "run": 3}
    assert meta["classes"] == [0, 1]
    assert set(meta["versions"]) == {"mmfuse", "scikit-learn", "numpy", "python"}
    assert meta["estimator"] == "sklearn.pipeline.Pipeline"
    assert len(meta["sha256"]) == 64 and meta["created"].endswith("+00:00")
    assert not list(tmp_path.glob(".*.tmp"))  # the temporary file was renamed away


def test_top_level_api(tmp_path, fitted):
    model, X = fitted
    mmfuse.save(model, tmp_path / "m.joblib")
    assert mmfuse.load(tmp_path / "m.joblib").score(X, model.predict(X)) == 1.0


def test_truncated_by_one_byte_is_a_clear_error(tmp_path, fitted):
    path = tmp_path / "m.joblib"
    save(fitted[0], path)
    data = path.read_bytes()
    path.write_bytes(data[:-1])
    with pytest.raises(ModelFileError, match=r"model file is truncated: expected \d+ payload "
                                             r"bytes, found \d+"):
        load(path)
    path.write_bytes(data[:10])
    with pytest.raises(ModelFileError, match="not an mmfuse model file"):
        load(path)
    path.write_bytes(data[:len(MAGIC) + 4])
    with pytest.raises(ModelFileError, match="header incomplete"):
        load(path)


def test_altered_byte_fails_checksum(tmp_path, fitted):
    path = tmp_path / "m.joblib"
    save(fitted[0], path)
    data = bytearray(path.read_bytes())
    data[-20] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="checksum mismatch"):
        load(path)


def test_plain_pickle_file_is_refused_with_advice(tmp_path, fitted):
    path = tmp_path / "plain.pkl"
    path.write_bytes(pickle.dumps(fitted[0]))
    with pytest.raises(ModelFileError, match="not an mmfuse model file.*joblib.load"):
        load(path)
    with pytest.raises(ModelFileError, match="model file not found"):
        load(tmp_path / "absent.joblib")


def test_version_mismatch_warns(tmp_path, fitted):
    path = tmp_path / "m.joblib"
    save(fitted[0], path)
    data = path.read_bytes()
    pos = len(MAGIC)
    (n,) = struct.unpack(">Q", data[pos:pos + 8])
    header = json.loads(data[pos + 8:pos + 8 + n])
    header["versions"]["scikit-learn"] = "0.24.2"
    head = json.dumps(header).encode()
    path.write_bytes(MAGIC + struct.pack(">Q", len(head)) + head + data[pos + 8 + n:])
    with pytest.warns(VersionMismatchWarning, match=r"scikit-learn 0\.24\.2 -> "):
        load(path)


def test_skops_refuses_untrusted_types_unless_listed(tmp_path):
    X, y = make_classification(60, 4, random_state=1)
    model = make_pipeline(FunctionTransformer(_double), LogisticRegression()).fit(X, y)
    path = tmp_path / "m.skops"
    save(model, path, format="skops")
    with pytest.raises(ModelFileError, match=r"refusing to load untrusted types \[.*_double"):
        load(path)
    name = f"{_double.__module__}._double"
    back = load(path, trusted=[name])
    np.testing.assert_array_equal(back.predict(X), model.predict(X))


def test_bad_arguments(tmp_path, fitted):
    with pytest.raises(ValueError, match="format must be"):
        save(fitted[0], tmp_path / "m", format="pickle")
    with pytest.raises(TypeError, match="JSON-serialisable"):
        save(fitted[0], tmp_path / "m", metadata={"x": object()})


@pytest.mark.parametrize("fmt", ["joblib", "skops"])
def test_mmfuse_pipelines_roundtrip_including_safe_skops(tmp_path, fmt):
    """Real mmfuse pipelines (text + image + audio) load back with identical predictions."""
    from mmfuse.datasets import make_multimodal
    from mmfuse.pipelines import load_recipe

    X, y = make_multimodal(60, 2, informativeness=0.9, random_state=0)
    model = load_recipe("trimodal").build(fusion="early").fit(X, y)
    path = tmp_path / f"m.{fmt}"
    save(model, path, format=fmt)
    back = load(path)  # skops: mmfuse's own types are trusted, nothing else is needed
    np.testing.assert_array_equal(back.predict(X), model.predict(X))
    assert read_metadata(path)["inputs"] == {"image": "image", "text": "text",
                                             "audio": "audio"}


@pytest.mark.parametrize("kwargs", [{}, {"fusion": "late", "rule": "stack"}])
def test_calibrated_recipe_defaults_load_from_skops_without_extra_trust(tmp_path, kwargs):
    """Every recipe's default is Platt-calibrated (CalibratedClassifierCV): its private
    parts and its folds are trusted data holders."""
    pytest.importorskip("skops")
    from mmfuse.datasets import load_av_digits
    from mmfuse.pipelines import load_recipe

    d = load_av_digits(split="train")
    X, y = d.X.iloc[:90].reset_index(drop=True), d.y[:90]
    model = load_recipe("av_digits").build(**kwargs).fit(X, y)
    save(model, tmp_path / "m.skops", format="skops")
    back = load(tmp_path / "m.skops")
    np.testing.assert_allclose(back.predict_proba(X), model.predict_proba(X), rtol=1e-12)
