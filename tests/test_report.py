"""The shareable evaluation report: one self-contained page with every section, right numbers."""

import base64
import json
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import classification_report, confusion_matrix
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC

from mmfuse.datasets import make_multimodal
from mmfuse.fusion import FeatureFusion, KernelFusionClassifier, LateFusionClassifier
from mmfuse.image import HOGFeatures
from mmfuse.io import MMFuseInputError
from mmfuse.text import TfidfText

pytest.importorskip("matplotlib")
from mmfuse.report import evaluate_model


def _hog():
    return HOGFeatures(image_size=(32, 32), pixels_per_cell=(8, 8))


def _text():
    return TfidfText(tokenizer="regex", stemmer=None, analyzer="word")


@pytest.fixture(scope="module")
def data():
    X, y = make_multimodal(150, n_classes=3, modalities=("image", "text"),
                           informativeness={"image": 0.8, "text": 0.5}, random_state=3)
    X.index = [f"r{i}" for i in range(len(X))]  # row labels that are not positions
    return X.iloc[:100], y[:100], X.iloc[100:], y[100:]


@pytest.fixture(scope="module")
def early(data):
    Xtr, ytr, _, _ = data
    fuse = FeatureFusion([("image", _hog(), "image"), ("text", _text(), "text")],
                         block_norm="standard", missing="mean")
    return make_pipeline(fuse, LogisticRegression(max_iter=500)).fit(Xtr, ytr)


def _links(page):
    return re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', page)


def test_page_is_self_contained_with_every_section(early, data, tmp_path):
    _, _, Xte, yte = data
    ids = [f"<b>id&{i}</b>" for i in range(len(Xte))]  # escaped, never markup
    metrics = evaluate_model(early, Xte, yte, tmp_path, ids=ids, n_misclassified=4,
                             n_repeats=2, metadata={"estimator": "x.Y", "user": {"a": 1}})
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    # no request leaves the page: every src/href is a data URI
    links = _links(page)
    assert links and all(u.startswith("data:") for u in links), links
    assert not re.search(r"https?://", page.split("<body>")[1].split("metrics.json</a>")[0])
    assert "<script" not in page and "<link" not in page and "@import" not in page
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 2  # confusion matrix, per-modality contribution
    assert all(base64.b64decode(b)[:8] == b"\x89PNG\r\n\x1a\n" for b in images)
    # the embedded metrics.json is the one written beside the page
    (blob,) = re.findall(r'href="data:application/json;base64,([^"]+)"', page)
    assert json.loads(base64.b64decode(blob)) == json.loads(
        (tmp_path / "metrics.json").read_text())
    for heading in ("Per class", "Confusion matrix", "Per-modality contribution",
                    "Misclassified rows", "Model"):
        assert f"<h2>{heading}" in page
    assert page.count("<table>") == 4  # classes, modalities, misclassified, model
    assert "<b>id" not in page and "&lt;b&gt;id&amp;" in page
    assert "Skipped rows" not in page and metrics["n_skipped"] == 0


def test_numbers_match_scikit_learn(early, data, tmp_path):
    _, _, Xte, yte = data
    metrics = evaluate_model(early, Xte, yte, tmp_path, n_misclassified=3, n_repeats=2)
    pred = early.predict(Xte)
    assert metrics["accuracy"] == pytest.approx(np.mean(pred == yte))
    assert metrics["confusion_matrix"] == confusion_matrix(yte, pred).tolist()
    report = classification_report(yte, pred, output_dict=True, zero_division=0)
    page = (tmp_path / "index.html").read_text()
    for c in ("0", "1", "2"):
        r = report[c]
        row = (f"<tr><td>{c}</td><td class=\"num\">{r['precision']:.3f}</td><td class=\"num\">"
               f"{r['recall']:.3f}</td><td class=\"num\">{r['f1-score']:.3f}</td>"
               f"<td class=\"num\">{int(r['support'])}</td></tr>")
        assert row in page
    wrong = np.flatnonzero(pred != yte)
    assert metrics["n_misclassified"] == len(wrong)
    assert [m["row"] for m in metrics["misclassified"]] == list(Xte.index[wrong[:3]])
    assert [m["predicted"] for m in metrics["misclassified"]] == list(pred[wrong[:3]])
    assert [m["true"] for m in metrics["misclassified"]] == list(yte[wrong[:3]])


def test_early_fusion_contributions_blank_and_shuffle(early, data, tmp_path):
    _, _, Xte, yte = data
    contrib = evaluate_model(early, Xte, yte, tmp_path, n_repeats=3)["modalities"]
    assert contrib["method"].startswith("early fusion")
    # the image carries the class 80 % of the time, the text 50 %
    assert contrib["alone"]["image"] > contrib["alone"]["text"]
    perm = contrib["permutation"]
    assert perm["image"]["mean"] > perm["text"]["mean"] > -0.05
    # blanked text = the model's own prediction with text=None
    Xb = Xte.copy()
    Xb["text"] = pd.Series([None] * len(Xb), index=Xb.index, dtype=object)
    assert contrib["alone"]["image"] == pytest.approx(np.mean(early.predict(Xb) == yte))


def test_late_and_kernel_fusion_show_their_weights(data, tmp_path):
    Xtr, ytr, Xte, yte = data
    late = LateFusionClassifier([("image", make_pipeline(_hog(), LogisticRegression()), "image"),
                                 ("text", make_pipeline(_text(), LogisticRegression()), "text")],
                                rule="weighted", cv=3).fit(Xtr, ytr)
    contrib = evaluate_model(late, Xte, yte, tmp_path, n_repeats=1)["modalities"]
    assert contrib["method"].startswith("late fusion")
    assert set(contrib["weights"]) == {"image", "text"}
    assert sum(contrib["weights"].values()) == pytest.approx(1.0)
    member = late.named_estimators_["image"]
    assert contrib["alone"]["image"] == pytest.approx(np.mean(member.predict(Xte["image"]) == yte))
    page = (tmp_path / "index.html").read_text()
    w = contrib["weights"]["image"]
    assert '<td>image</td><td class="num">' in page and f"{w:.3f}</td>" in page

    kernel = KernelFusionClassifier([("image", _hog(), "image", "intersection"),
                                     ("text", _text(), "text", "linear")],
                                    estimator=SVC(kernel="precomputed"))
    kernel.fit(Xtr, ytr)
    contrib = evaluate_model(kernel, Xte, yte, tmp_path, n_repeats=1)["modalities"]
    assert contrib["method"].startswith("kernel fusion")
    assert contrib["weights"] == pytest.approx(kernel.named_weights_)


def test_skip_lists_error_rows_and_raise_names_the_first(early, data, tmp_path):
    _, _, Xte, yte = data
    X = Xte.copy()
    X.loc["r101", ["image", "text"]] = None                    # no modality
    X.loc["r104", "image"] = str(tmp_path / "nowhere.png")      # cannot be loaded
    X.loc["r107", "text"] = None                               # missing, fused from image
    ids = [f"id{i}" for i in range(len(X))]
    with pytest.raises(MMFuseInputError, match=r"row r101 \(id id1\).*no modality"):
        evaluate_model(early, X, yte, tmp_path / "raise", ids=ids)
    assert not (tmp_path / "raise").exists()
    metrics = evaluate_model(early, X, yte, tmp_path, ids=ids, on_error="skip", n_repeats=1)
    assert metrics["n_rows"] == len(X) and metrics["n_skipped"] == 2
    assert metrics["n_samples"] == len(X) - 2
    skipped = {r["row"]: r for r in metrics["skipped"]}
    assert set(skipped) == {"r101", "r104"}
    assert skipped["r104"]["id"] == "id4" and skipped["r104"]["column"] == "image"
    assert skipped["r104"]["cause"] == "file not found"
    page = (tmp_path / "index.html").read_text()
    assert "Skipped rows (2)" in page and "nowhere.png" in page and page.count("<table>") == 5
    good = ~X.index.isin(["r101", "r104"])
    assert metrics["accuracy"] == pytest.approx(np.mean(early.predict(X[good]) == yte[good]))


def test_bad_arguments_and_no_global_matplotlib_state(early, data, tmp_path):
    import matplotlib
    import matplotlib.pyplot as plt

    _, _, Xte, yte = data
    backend = matplotlib.get_backend()
    evaluate_model(early, Xte, yte, tmp_path, n_repeats=0)
    assert matplotlib.get_backend() == backend and plt.get_fignums() == []
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["modalities"]["permutation"] == {}
    with pytest.raises(ValueError, match="n_repeats must be an integer >= 0"):
        evaluate_model(early, Xte, yte, tmp_path, n_repeats=-1)
    with pytest.raises(ValueError, match="on_error must be 'raise' or 'skip'"):
        evaluate_model(early, Xte, yte, tmp_path, on_error="ignore")
    with pytest.raises(ValueError, match="ids has 3 entries but X has 50 rows"):
        evaluate_model(early, Xte, yte, tmp_path, ids=["a", "b", "c"])
    X = Xte.copy()
    X["image"] = None
    X["text"] = None
    with pytest.raises(ValueError, match="every one of the 50 rows is an error row"):
        evaluate_model(early, X, yte, tmp_path, on_error="skip")


def test_page_renders_in_headless_chromium(early, data, tmp_path):
    """Open the page as a person would: the embedded figures show (skipped without Chromium)."""
    import shutil
    import subprocess

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("no headless Chromium on this machine (apt-get install chromium)")
    import matplotlib.image as mpimg

    _, _, Xte, yte = data
    evaluate_model(early, Xte, yte, tmp_path / "rep", n_repeats=1)
    shot = tmp_path / "shot.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--screenshot={shot}", "--window-size=1200,2000",
                    (tmp_path / "rep" / "index.html").as_uri()],
                   capture_output=True, timeout=120, check=False)
    if not shot.is_file():
        pytest.skip("Chromium did not start here")
    pixels = mpimg.imread(shot)[..., :3]
    assert pixels.shape[:2] == (2000, 1200)
    # the confusion matrix is an embedded image: its saturated blue cells are on the screen
    blue = (pixels[..., 2] > 0.35) & (pixels[..., 0] < 0.25) & (pixels[..., 1] < 0.45)
    assert blue.sum() > 500, blue.sum()
    # and the text of the page (dark pixels) is there too
    assert ((pixels < 0.3).all(axis=-1)).sum() > 2000


def test_a_callers_backend_is_never_switched(early, data, tmp_path):
    """In a fresh interpreter that chose the 'svg' backend, importing and using the report
    leaves that backend selected and pyplot without figures (the report draws on
    matplotlib.figure.Figure objects of its own; the library never calls matplotlib.use)."""
    import os
    import subprocess
    import sys

    import joblib

    _, _, Xte, yte = data
    joblib.dump((early, Xte, yte), tmp_path / "case.joblib")
    code = (
        "import sys, joblib, matplotlib\n"
        "matplotlib.use('svg')\n"
        "import mmfuse, mmfuse.report\n"
        "assert matplotlib.get_backend() == 'svg', matplotlib.get_backend()\n"
        "model, X, y = joblib.load(sys.argv[1])\n"
        "mmfuse.report.evaluate_model(model, X, y, sys.argv[2], n_repeats=1)\n"
        "assert matplotlib.get_backend() == 'svg', matplotlib.get_backend()\n"
        "plt = sys.modules.get('matplotlib.pyplot')\n"
        "assert plt is None or plt.get_fignums() == [], plt.get_fignums()\n"
        "print('backend kept')\n")
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    res = subprocess.run([sys.executable, "-c", code, str(tmp_path / "case.joblib"),
                          str(tmp_path / "rep")], capture_output=True, text=True, env=env,
                         timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "backend kept"
    assert (tmp_path / "rep" / "index.html").is_file()
