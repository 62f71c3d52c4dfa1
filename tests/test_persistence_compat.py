"""Model files that name the old public module paths still load.

The implementation modules of ``mmfuse.fusion``, ``mmfuse.image`` and ``mmfuse.text`` are
private (``mmfuse.fusion._early`` ...). A model file saved before records each class by its
old path (``mmfuse.fusion.early.FeatureFusion``); the compatibility modules at those paths
re-export the classes, and the skops trusted list (every ``mmfuse.`` type) takes both
paths. Such a file is made here by saving while each class's ``__module__`` is set back to
its old path, in both formats, and loaded with the classes as they are now.
"""

import contextlib
import re
import struct

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from mmfuse.datasets import make_multimodal
from mmfuse.fusion import FeatureFusion, KernelFusionClassifier, LateFusionClassifier
from mmfuse.fusion import _kernel, _late
from mmfuse.image import SIFTFeatures, VLADEncoder
from mmfuse.persistence import MAGIC, load, read_metadata, save
from mmfuse.text import TfidfText

#: {class: the module path model files saved by earlier versions record}
OLD_PATHS = {
    FeatureFusion: "mmfuse.fusion.early",
    LateFusionClassifier: "mmfuse.fusion.late",
    _late.ClassWiseStacker: "mmfuse.fusion.late",
    KernelFusionClassifier: "mmfuse.fusion.kernel",
    _kernel._Block: "mmfuse.fusion.kernel",
    SIFTFeatures: "mmfuse.image.sift",
    VLADEncoder: "mmfuse.image.encoding",
    TfidfText: "mmfuse.text.tfidf",
}


@contextlib.contextmanager
def _old_module_paths():
    """Give each class of ``OLD_PATHS`` its old ``__module__`` for the duration."""
    new = {cls: cls.__module__ for cls in OLD_PATHS}
    try:
        for cls, old in OLD_PATHS.items():
            cls.__module__ = old
        yield
    finally:
        for cls, path in new.items():
            cls.__module__ = path


def _text():
    return TfidfText(tokenizer="regex", stemmer=None, stop_words=None, analyzer="word")


def _sift():
    return SIFTFeatures(encoder=VLADEncoder(n_words=4, random_state=0), step=8, patch_size=8)


def _models():
    return {
        "early": Pipeline([
            ("fuse", FeatureFusion([("image", _sift(), "image"), ("text", _text(), "text")])),
            ("clf", LogisticRegression(max_iter=500)),
        ]),
        "late": LateFusionClassifier(
            [("image", Pipeline([("sift", _sift()), ("lr", LogisticRegression())]), "image"),
             ("text", Pipeline([("tfidf", _text()), ("lr", LogisticRegression())]), "text")],
            rule="stack", cv=2),
        "kernel": KernelFusionClassifier([("image", _sift(), "image", "rbf"),
                                          ("text", _text(), "text", "linear")]),
    }


@pytest.fixture(scope="module")
def data():
    return make_multimodal(40, 2, modalities=("image", "text"), informativeness=0.9,
                           random_state=0)


def _payload(path):
    data = path.read_bytes()
    n = struct.unpack(">Q", data[len(MAGIC):len(MAGIC) + 8])[0]
    return data[len(MAGIC) + 8 + n:]


def _recorded_modules(path, fmt):
    """The ``mmfuse.`` module paths a model file names its objects by."""
    payload = _payload(path)
    if fmt == "skops":
        import skops.io as sio

        types = sio.get_untrusted_types(data=payload)
        return {t.rsplit(".", 1)[0] for t in types if t.startswith("mmfuse.")}
    # protocol 4+ pickles name a class by two strings, its module and its qualname
    return {m.decode() for m in re.findall(rb"mmfuse(?:\.\w+)+", payload)}


@pytest.mark.parametrize("fmt", ["joblib", "skops"])
@pytest.mark.parametrize("kind", ["early", "late", "kernel"])
def test_a_model_file_naming_the_old_module_paths_loads(tmp_path, data, fmt, kind):
    if fmt == "skops":
        pytest.importorskip("skops")
    X, y = data
    model = _models()[kind].fit(X, y)
    path = tmp_path / f"m.{fmt}"
    with _old_module_paths():
        save(model, path, format=fmt, compress=0)
    recorded = _recorded_modules(path, fmt)
    assert recorded & set(OLD_PATHS.values()), recorded
    moved = {f"{old.rsplit('.', 1)[0]}._{old.rsplit('.', 1)[1]}" for old in OLD_PATHS.values()}
    assert recorded.isdisjoint(moved), recorded  # the file names none of the new paths
    assert read_metadata(path)["estimator"].rsplit(".", 1)[0] in (
        "sklearn.pipeline", *OLD_PATHS.values())

    back = load(path)  # skops: the old paths are trusted without ``trusted=``
    assert type(back) is type(model)
    np.testing.assert_array_equal(back.predict(X), model.predict(X))
    score = "predict_proba" if hasattr(model, "predict_proba") else "decision_function"
    np.testing.assert_allclose(getattr(back, score)(X), getattr(model, score)(X), rtol=1e-12)


def test_each_compatibility_module_names_the_objects_of_the_private_one():
    import importlib

    for cls, old in OLD_PATHS.items():
        assert getattr(importlib.import_module(old), cls.__qualname__) is cls
