"""Recipes: importable after install, buildable with params, fit real (small) data."""

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from mmfuse.datasets import make_multimodal
from mmfuse.pipelines import RECIPES, build_recipe, load_recipe


def _benchmarks_data():
    """``benchmarks/_data.py`` of the checkout (not a package on the path under pytest)."""
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "_data.py"
    spec = importlib.util.spec_from_file_location("_benchmarks_data", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", RECIPES)
def test_recipe_has_build_grid_and_columns(name):
    recipe = load_recipe(name)
    model = recipe.build()
    assert hasattr(model, "fit") and hasattr(model, "predict")
    params = model.get_params()
    for key in recipe.PARAM_GRID:
        assert key in params, f"{name}: PARAM_GRID key {key} is not a pipeline parameter"
    assert set(recipe.COLUMNS) <= {"image", "text", "audio"}
    clone(model)


def test_build_recipe_splits_build_kwargs_from_nested_params():
    recipe = load_recipe("trimodal")
    model = build_recipe(recipe, {"fusion": "early", "strategy": "tensor",
                                  "clf__estimator__C": 3.0, "random_state": 5})
    assert model.get_params()["fuse__strategy"] == "tensor"
    assert model.get_params()["clf__estimator__C"] == 3.0
    assert model.get_params()["clf__cv"].random_state == 5


def test_load_recipe_from_path_and_errors(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text("from sklearn.dummy import DummyClassifier\n"
                    "PARAM_GRID = {}\n"
                    "def build():\n    return DummyClassifier()\n")
    assert type(load_recipe(str(path)).build()).__name__ == "DummyClassifier"
    with pytest.raises(ValueError, match="unknown recipe 'nope'"):
        load_recipe("nope")
    with pytest.raises(FileNotFoundError):
        load_recipe(str(tmp_path / "absent.py"))
    (tmp_path / "bad.py").write_text("x = 1\n")
    with pytest.raises(ValueError, match=r"lacks \['build', 'PARAM_GRID'\]"):
        load_recipe(str(tmp_path / "bad.py"))


@pytest.mark.parametrize("fusion", ["early", "late"])
def test_trimodal_fusion_beats_each_modality(fusion):
    recipe = load_recipe("trimodal")
    X, y, split = recipe.load_data(n_samples=360, n_classes=3, random_state=0)
    tr, te = split == "train", split == "test"
    fused = recipe.build(fusion=fusion).fit(X[tr], y[tr]).score(X[te], y[te])
    alone = [recipe.build(modalities=(m,)).fit(X[tr], y[tr]).score(X[te], y[te])
             for m in ("image", "text", "audio")]
    assert fused > max(alone) + 0.03, (fused, alone)


def test_sms_recipe_on_generated_text():
    recipe = load_recipe("sms_spam")
    X, y = make_multimodal(200, 2, modalities=("text",), informativeness=0.9, random_state=0)
    model = recipe.build().fit(X[:150], y[:150])
    assert model.score(X[150:], y[150:]) > 0.8


def test_fashion_recipe_masks_category_words_and_fits():
    fashion = load_recipe("fashion")
    words = fashion.category_words(["Tshirts", "Casual Shoes", "Watches"])
    assert {"tshirt", "tshirts", "shoe", "shoes", "watch", "watches", "casual"} <= words
    assert fashion.mask_words("Nike Men Red T-Shirts", words) == "Nike Men Red"
    assert fashion.mask_words("Fossil Women Pink Dial Watch", words) == \
        "Fossil Women Pink Dial"
    rng = np.random.default_rng(0)
    images = [(rng.random((48, 48)) * 255).astype(np.uint8) for _ in range(40)]
    y = np.repeat([0, 1], 20)
    for img, label in zip(images, y):  # class 1: a bright bar
        if label:
            img[20:28] = 255
    X = pd.DataFrame({"image": images,
                      "text": ["red cotton" if v else "blue denim" for v in y]})
    model = fashion.build(random_state=0).fit(X, y)
    assert model.score(X, y) == 1.0
    late = fashion.build(fusion="late", random_state=0).fit(X, y)
    assert late.score(X, y) == 1.0
    np.testing.assert_allclose(late.predict_proba(X).sum(axis=1), 1.0)
    with pytest.raises(ValueError, match="image must be one of"):
        fashion.build(image="surf")


@pytest.mark.shared_data
def test_fashion_loader_masks_the_category_words(shared_datasets):
    fashion = load_recipe("fashion")
    data = _benchmarks_data()
    X, y, split = data.load_fashion(shared_datasets / "fashion_products", mask_category=True)
    assert len(X) == 1500 and set(split) == {"train", "test"}
    words = fashion.category_words(set(y))
    leaked = [t for t in X.text if set(t.lower().replace("-", " ").split()) & words]
    assert leaked == []
