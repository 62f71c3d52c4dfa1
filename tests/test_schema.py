"""The fitted fusers' input schema: columns, kinds from the extractors' declarations, dtypes."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.svm import SVC

from mmfuse._schema import declared_modality, input_schema_of, modalities
from mmfuse.audio import MFCCFeatures, VTLPAugmentedClassifier
from mmfuse.fusion import FeatureFusion, KernelFusionClassifier, LateFusionClassifier
from mmfuse.image import HOGFeatures, SIFTFeatures
from mmfuse.text import TfidfText


def _hog():
    return HOGFeatures(image_size=(16, 16), pixels_per_cell=(8, 8))


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    n = 24
    y = np.repeat([0, 1], n // 2)
    images = [np.clip(rng.normal(0.5, 0.2, (16, 16)) + 0.3 * c, 0, 1) for c in y]
    texts = [("red apple" if c else "blue sky") + f" w{i}" for i, c in enumerate(y)]
    X = pd.DataFrame({"photo": pd.Series(images, dtype=object),
                      "caption": texts,
                      "age": rng.normal(40, 5, n),
                      "height": rng.normal(170, 10, n)})
    return X, y


@pytest.mark.parametrize("estimator, kind", [
    (_hog(), "image"),
    (SIFTFeatures(), "image"),
    (TfidfText(), "text"),
    (MFCCFeatures(), "audio"),
    (VTLPAugmentedClassifier(features=MFCCFeatures(), classifier=SVC()), "audio"),
    (make_pipeline(TfidfText(), StandardScaler(with_mean=False)), "text"),
    (Pipeline([("skip", "passthrough"), ("hog", _hog())]), "image"),
    (GridSearchCV(make_pipeline(_hog(), SVC()), {"svc__C": [1.0]}), "image"),
    (CalibratedClassifierCV(make_pipeline(MFCCFeatures(), SVC())), "audio"),
    (StandardScaler(), None),
    (FunctionTransformer(), None),
    ("passthrough", None),
    (None, None),
])
def test_declared_modality_looks_through_pipelines_and_wrappers(estimator, kind):
    assert declared_modality(estimator) == kind


def test_feature_fusion_records_columns_kinds_and_dtypes(data):
    X, y = data
    fuse = FeatureFusion([("image", _hog(), "photo"),
                          ("text", TfidfText(), "caption"),
                          ("tabular", StandardScaler(), ["age", "height"])]).fit(X, y)
    assert fuse.input_schema_ == {
        "photo": {"kind": "image", "dtype": "object", "block": "image"},
        "caption": {"kind": "text", "dtype": str(X["caption"].dtype), "block": "text"},
        "age": {"kind": "numeric", "dtype": "float64", "block": "tabular"},
        "height": {"kind": "numeric", "dtype": "float64", "block": "tabular"},
    }
    json.dumps(fuse.input_schema_)  # plain data: it goes into a model file's JSON header
    model = make_pipeline(fuse, LogisticRegression())
    assert input_schema_of(model) is fuse.input_schema_
    assert modalities(fuse.input_schema_) == {"photo": "image", "caption": "text",
                                              "age": None, "height": None}


def test_late_and_kernel_fusion_record_the_schema(data):
    X, y = data
    late = LateFusionClassifier([("image", make_pipeline(_hog(), LogisticRegression()), "photo"),
                                 ("text", make_pipeline(TfidfText(), LogisticRegression()),
                                  "caption")], cv=2).fit(X, y)
    assert {c: e["kind"] for c, e in late.input_schema_.items()} == {"photo": "image",
                                                                     "caption": "text"}
    kernel = KernelFusionClassifier([("image", _hog(), "photo", "rbf"),
                                     ("tab", StandardScaler(), ["age", "height"], "linear")],
                                    weights="uniform").fit(X, y)
    assert kernel.input_schema_ == {
        "photo": {"kind": "image", "dtype": "object", "block": "image"},
        "age": {"kind": "numeric", "dtype": "float64", "block": "tab"},
        "height": {"kind": "numeric", "dtype": "float64", "block": "tab"},
    }


def test_arrays_and_callable_columns_are_named_by_position():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(20, 4)), np.repeat([0, 1], 10)
    fuse = FeatureFusion([("a", StandardScaler(), lambda X: [0, 1]),
                          ("b", "passthrough", slice(2, 4))]).fit(X, y)
    assert fuse.input_schema_ == {str(i): {"kind": "numeric", "dtype": "float64",
                                           "block": "a" if i < 2 else "b"} for i in range(4)}


def test_no_schema_without_a_fitted_fuser():
    assert input_schema_of(make_pipeline(StandardScaler(), LogisticRegression())) is None
    assert input_schema_of(FeatureFusion([("image", _hog(), "photo")])) is None


def test_saved_model_carries_the_schema(data, tmp_path):
    from mmfuse.persistence import describe_model, load, read_metadata, save

    X, y = data
    model = make_pipeline(FeatureFusion([("image", _hog(), "photo"),
                                         ("tabular", StandardScaler(), ["age"])]),
                          LogisticRegression())
    model.fit(X, y)
    save(model, tmp_path / "m.joblib")
    meta = read_metadata(tmp_path / "m.joblib")
    assert meta["input_schema"] == model[0].input_schema_
    assert meta["inputs"] == {"photo": "image", "age": None}
    assert load(tmp_path / "m.joblib")[0].input_schema_ == model[0].input_schema_
    # the header describes the model as describe_model does (what a report shows)
    described = describe_model(model)
    assert {key: meta[key] for key in described} == described


def test_scoring_reads_kinds_from_the_schema(data):
    from mmfuse.scoring import model_columns

    X, y = data
    X = X.rename(columns={"age": "image_score"})
    fuse = FeatureFusion([("image", _hog(), "photo"),
                          ("tabular", StandardScaler(), ["image_score"])])
    model = make_pipeline(fuse, LogisticRegression()).fit(X, y)
    # a numeric column is read as written, whatever its name says; an image column is a
    # path to resolve, whatever its name
    assert model_columns(model) == {"photo": "image", "image_score": "text"}
    meta = {"inputs": {"photo": "image", "image_score": None},
            "input_schema": model[0].input_schema_}
    assert model_columns(model, meta) == {"photo": "image", "image_score": "text"}
    # a header written before schemas were recorded: its inputs, as they are
    old = {"inputs": {"photo": "image", "image_score": None}}
    assert model_columns(model, old) == {"photo": "image", "image_score": "image"}


def test_a_saved_search_carries_its_best_models_schema(data, tmp_path):
    """A fitted GridSearchCV is saved as it is: its header names the best model's inputs,
    so scoring resolves the image column whatever its name."""
    from mmfuse.persistence import read_metadata, save
    from mmfuse.scoring import model_columns

    X, y = data
    pipe = make_pipeline(FeatureFusion([("image", _hog(), "photo"),
                                        ("text", TfidfText(), "caption")]),
                         LogisticRegression())
    search = GridSearchCV(pipe, {"logisticregression__C": [0.1, 1.0]}, cv=2).fit(X, y)
    assert input_schema_of(search) == search.best_estimator_[0].input_schema_
    save(search, tmp_path / "g.joblib")
    meta = read_metadata(tmp_path / "g.joblib")
    assert meta["inputs"] == {"photo": "image", "caption": "text"}
    assert meta["input_schema"]["photo"]["kind"] == "image"
    assert model_columns(search, meta)["photo"] == "image"
