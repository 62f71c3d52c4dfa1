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


def _product_photos(rng, n_per_class=10):
    """Catalogue-like photos: one object on a white 96x96 background, titles without the
    category word (as masked titles): a watch (dial + strap), a shoe (low sole + upper) and
    a T-shirt (body + sleeves), each in a random colour, position and size."""
    import cv2

    colours = {"Black": (20, 20, 20), "Blue": (200, 60, 30), "Red": (40, 40, 200),
               "White": (235, 235, 235), "Brown": (40, 70, 120)}
    brands = ["Puma", "Nike", "Fossil", "Roadster", "Titan"]
    photos, titles, labels = [], [], []
    for label in ("Watches", "Casual Shoes", "Tshirts"):
        for i in range(n_per_class):
            img = np.full((96, 96, 3), 255, np.uint8)
            name, colour = list(colours.items())[rng.integers(len(colours))]
            dx, dy, s = *rng.integers(-6, 7, 2), rng.uniform(0.85, 1.15)
            cx, cy = 48 + dx, 48 + dy
            if label == "Watches":
                cv2.rectangle(img, (int(cx - 8 * s), 4), (int(cx + 8 * s), 92), colour, -1)
                cv2.circle(img, (cx, cy), int(20 * s), (90, 90, 90), -1)
                cv2.circle(img, (cx, cy), int(16 * s), (250, 250, 250), -1)
                cv2.line(img, (cx, cy), (cx + 10, cy - 6), (0, 0, 0), 2)
            elif label == "Casual Shoes":
                cv2.ellipse(img, (cx, cy + 4), (int(38 * s), int(14 * s)), 0, 180, 360, colour,
                            -1)
                cv2.rectangle(img, (int(cx - 40 * s), cy + 4), (int(cx + 40 * s), cy + 10),
                              (30, 30, 30), -1)
            else:
                body = np.array([[cx - 18, cy - 26], [cx + 18, cy - 26], [cx + 38, cy - 10],
                                 [cx + 28, cy], [cx + 18, cy - 8], [cx + 18, cy + 34],
                                 [cx - 18, cy + 34], [cx - 18, cy - 8], [cx - 28, cy],
                                 [cx - 38, cy - 10]])
                body = ((body - [cx, cy]) * s + [cx, cy]).astype(np.int32)
                cv2.fillPoly(img, [body], colour)
                cv2.ellipse(img, (cx, int(cy - 26 * s)), (8, 5), 0, 0, 180, (255, 255, 255),
                            -1)
            noise = rng.normal(0, 6, img.shape)
            photos.append(np.clip(img + noise, 0, 255).astype(np.uint8))
            gender = ("Men", "Women", "Unisex")[rng.integers(3)]
            titles.append(f"{brands[rng.integers(len(brands))]} {gender} {name}")
            labels.append(label)
    return pd.DataFrame({"image": photos, "text": titles}), np.array(labels)


def test_fashion_defaults_build_and_fit_product_photos():
    """The CV-chosen defaults: HOG and dense-SIFT/VLAD blocks + TF-IDF, calibrated C=3."""
    fashion = load_recipe("fashion")
    model = fashion.build()
    fuse = model.named_steps["fuse"]
    assert [name for name, _, _ in fuse.transformers] == ["image_hog", "image_sift", "text"]
    sift = fuse.transformers[1][1]
    assert (sift.max_side, sift.step, sift.patch_size, sift.n_words, sift.pyramid) == \
        (96, 4, 16, 16, (1, 2, 4))
    assert model.get_params()["clf__estimator__C"] == 3.0
    assert fuse.block_norm == "l2" and fuse.weights is None
    rng = np.random.default_rng(0)
    X, y = _product_photos(rng)
    tr = np.arange(len(y)) % 5 != 0
    model.fit(X[tr], y[tr])
    assert model.named_steps["fuse"].transformers_[1][1].transform(X["image"][:2]).shape == \
        (2, 21 * 16 * 128)
    assert model.score(X[~tr], y[~tr]) == 1.0
    P = model.predict_proba(X[~tr])
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    # every PARAM_GRID setting names existing blocks
    for weights in fashion.PARAM_GRID["fuse__weights"]:
        clone(model).set_params(fuse__weights=weights).fit(X[tr], y[tr])


@pytest.mark.parametrize("name", ["fashion", "sms_spam"])
def test_recipes_read_no_shared_data(name):
    """Loaders of the development data live in benchmarks/_data.py, not in the package."""
    import inspect

    recipe = load_recipe(name)
    assert not hasattr(recipe, "load_data") and not hasattr(recipe, "DEFAULT_ROOT")
    source = inspect.getsource(recipe)
    assert "MMFUSE_SHARED" not in source and "parents[" not in source


@pytest.mark.shared_data
def test_fashion_loader_masks_the_category_words(shared_datasets):
    fashion = load_recipe("fashion")
    data = _benchmarks_data()
    X, y, split = data.load_fashion(shared_datasets / "fashion_products", mask_category=True)
    assert len(X) == 1500 and set(split) == {"train", "test"}
    words = fashion.category_words(set(y))
    leaked = [t for t in X.text if set(t.lower().replace("-", " ").split()) & words]
    assert leaked == []
