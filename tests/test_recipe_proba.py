"""Every recipe's default build(): calibrated probabilities, no loss of accuracy, one seed.

And the ``spoken_digits`` recipe on real FSDD recordings laid out as FSDD is (the
1,500 recordings embedded for the demo, written back as ``{digit}_{speaker}_{index}.wav``),
end to end through ``mmfuse train --seed`` and ``mmfuse score --proba``.
"""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from mmfuse.datasets import _data_file, load_av_digits, make_multimodal
from mmfuse.persistence import load, read_metadata
from mmfuse.pipelines import RECIPES, build_recipe, load_recipe


def run_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "mmfuse", *map(str, args)],
                          capture_output=True, text=True, timeout=600, cwd=cwd)


@pytest.fixture(scope="module")
def fsdd_folder(tmp_path_factory):
    """The embedded FSDD recordings (clean) as an FSDD ``recordings`` folder."""
    root = tmp_path_factory.mktemp("fsdd") / "recordings"
    root.mkdir()
    data = load_av_digits(degrade=False)
    with _data_file("av_digits.npz").open("rb") as f:
        names = np.load(f)["audio_source"]
    for (y, sr), name in zip(data.X.audio, names):
        sf.write(root / str(name), y, sr, subtype="PCM_16")
    return root


def _fashion_like(rng, n=60):
    images = [(rng.random((48, 48)) * 120).astype(np.uint8) for _ in range(n)]
    y = np.arange(n) % 3
    for img, label in zip(images, y):  # class 1: a bright bar; class 2: a bright column
        if label == 1:
            img[20:28] = 255
        elif label == 2:
            img[:, 20:28] = 255
    words = {0: "blue denim", 1: "red cotton", 2: "green linen"}
    noise = ["men", "women", "casual", "slim", "summer"]
    text = [f"{words[v]} {noise[i % 5]}" if i % 4 else noise[i % 5] for i, v in enumerate(y)]
    return pd.DataFrame({"image": images, "text": text}), y


def small_data(name, rng, fsdd=None):
    """``(X_train, y_train, X_test, y_test)`` of realistic small data for a recipe."""
    if name == "av_digits":
        d = load_av_digits()
        tr = np.flatnonzero(d.split == "train")[:300]
        te = np.flatnonzero(d.split == "test")[:200]
        return d.X.iloc[tr], d.y[tr], d.X.iloc[te], d.y[te]
    if name == "trimodal":
        X, y, split = load_recipe("trimodal").load_data(n_samples=300, n_classes=3)
        return X[split == "train"], y[split == "train"], X[split == "test"], y[split == "test"]
    if name == "sms_spam":
        X, y = make_multimodal(300, 2, modalities=("text",), informativeness=0.8,
                               random_state=0)
        return X[:200], y[:200], X[200:], y[200:]
    if name == "fashion":
        X, y = _fashion_like(rng)
        return X[:45], y[:45], X[45:], y[45:]
    X, y, split, speaker = load_recipe("spoken_digits").load_data(fsdd, return_groups=True)
    keep = np.isin(y, [0, 1, 2, 3]) & np.isin(speaker, ["jackson", "lucas", "nicolas"])
    X, y, split = X[keep], y[keep], split[keep]
    return X[split == "train"], y[split == "train"], X[split == "test"], y[split == "test"]


@pytest.mark.parametrize("name", RECIPES)
def test_default_build_gives_calibrated_probabilities_without_losing_accuracy(
        name, rng, fsdd_folder):
    recipe = load_recipe(name)
    Xtr, ytr, Xte, yte = small_data(name, rng, fsdd_folder)
    model = recipe.build().fit(Xtr, ytr)
    P = model.predict_proba(Xte)
    assert P.shape == (len(yte), len(np.unique(ytr)))
    np.testing.assert_allclose(P.sum(axis=1), 1.0, atol=1e-9)
    assert ((P >= 0) & (P <= 1)).all()
    pred = model.predict(Xte)
    np.testing.assert_array_equal(pred, model.classes_[P.argmax(axis=1)])
    bare = recipe.build(calibrate=False).fit(Xtr, ytr)
    acc, acc_bare = np.mean(pred == yte), np.mean(bare.predict(Xte) == yte)
    assert acc >= acc_bare - 0.02, (acc, acc_bare)
    assert acc >= 0.6  # well above chance on every one of these data sets
    # the probability of the true class is informative: higher than the others' mean
    true = P[np.arange(len(yte)), np.searchsorted(model.classes_, yte)]
    assert true.mean() > 2 * (1 - true.mean()) / (P.shape[1] - 1)


@pytest.mark.parametrize("name", ["av_digits", "fashion", "sms_spam", "trimodal"])
def test_one_random_state_seeds_everything(name, rng, fsdd_folder):
    recipe = load_recipe(name)
    Xtr, ytr, Xte, _ = small_data(name, rng, fsdd_folder)
    a = recipe.build(random_state=3).fit(Xtr, ytr)
    b = build_recipe(recipe, {"random_state": 3}).fit(Xtr, ytr)
    np.testing.assert_array_equal(a.predict(Xte), b.predict(Xte))
    np.testing.assert_array_equal(a.predict_proba(Xte), b.predict_proba(Xte))
    # the seed reaches the stochastic steps: the calibration folds are shuffled by it
    assert a.get_params()["clf__cv"].random_state == 3
    c = recipe.build(random_state=4).fit(Xtr, ytr)
    assert not np.array_equal(a.predict_proba(Xte), c.predict_proba(Xte))


def test_seed_needs_a_random_state_parameter(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text("from sklearn.dummy import DummyClassifier\nPARAM_GRID = {}\n"
                    "def build():\n    return DummyClassifier()\n")
    with pytest.raises(ValueError, match="build\\(\\) has no random_state parameter"):
        build_recipe(load_recipe(str(path)), {"random_state": 1})


# ----------------------------------------------------------------- spoken_digits on FSDD


def test_fsdd_manifest_and_labels_from_file_names(fsdd_folder, tmp_path):
    sd = load_recipe("spoken_digits")
    frame = sd.write_manifest(fsdd_folder, tmp_path / "m" / "manifest.csv")
    assert list(frame.columns) == ["id", "audio", "label", "split", "speaker"]
    assert len(frame) == 1500 and set(frame.speaker) == {"george", "jackson", "lucas",
                                                         "nicolas", "yweweler"}
    row = frame.iloc[0]
    digit, speaker, index = row["id"].split("_")
    assert row["label"] == int(digit) and row["speaker"] == speaker
    assert row["split"] == ("test" if int(index) <= 4 else "train")
    assert (tmp_path / "m" / row["audio"]).resolve().is_file()  # relative to the manifest
    X, y, split, groups = sd.load_data(fsdd_folder.parent, return_groups=True)
    assert list(X.columns) == ["audio"] and len(X) == len(y) == len(split) == len(groups)
    assert sd.parse_name("7_theo_32.wav") == (7, "theo", 32)
    with pytest.raises(ValueError, match=r"named '\{digit\}_\{speaker\}_\{index\}.wav'"):
        sd.parse_name("seven.wav")
    with pytest.raises(FileNotFoundError, match="no .wav recordings"):
        sd.load_data(tmp_path)


def test_spoken_digits_recognises_a_speaker_absent_from_training(fsdd_folder):
    """Train on four speakers, test on the fifth (3 digits, to stay quick)."""
    sd = load_recipe("spoken_digits")
    X, y, _, speaker = sd.load_data(fsdd_folder, return_groups=True)
    keep = np.isin(y, [1, 5, 9])
    held = keep & (speaker == "nicolas")
    train = keep & (speaker != "nicolas")
    model = sd.build(calibrate=False).fit(X[train], y[train])
    assert model.score(X[held], y[held]) >= 0.85


def test_train_seed_and_score_proba_from_the_cli(fsdd_folder, tmp_path):
    sd = load_recipe("spoken_digits")
    frame = sd.write_manifest(fsdd_folder, tmp_path / "manifest.csv")
    keep = frame[frame.label.isin([0, 3, 7]) & frame.speaker.isin(["george", "lucas"])]
    keep.to_csv(tmp_path / "small.csv", index=False)
    for out in ("a.joblib", "b.joblib"):
        res = run_cli("train", "--recipe", "spoken_digits", "--data", "small.csv", "--out",
                      out, "--cv", "0", "--seed", "7", cwd=tmp_path)
        assert res.returncode == 0, res.stderr
    meta = read_metadata(tmp_path / "a.joblib")
    assert meta["user"]["seed"] == 7 and meta["user"]["recipe"] == "spoken_digits"
    assert meta["user"]["test_accuracy"] >= 0.8
    a, b = load(tmp_path / "a.joblib"), load(tmp_path / "b.joblib")
    assert a.get_params()["cv"].random_state == 7
    test = keep[keep.split == "test"]
    X = pd.DataFrame({"audio": [str(tmp_path / p) for p in test.audio]})
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    res = run_cli("score", "a.joblib", "small.csv", "--out", "p.csv", "--proba", "--quiet",
                  cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    out = pd.read_csv(tmp_path / "p.csv")
    proba = out[[f"proba_{c}" for c in (0, 3, 7)]].to_numpy()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    np.testing.assert_array_equal(out.prediction.to_numpy(),
                                  np.array([0, 3, 7])[proba.argmax(axis=1)])


def test_score_proba_of_a_model_without_probabilities_is_a_clear_error(tmp_path, capsys):
    from mmfuse.cli import main
    from mmfuse.persistence import save

    X, y = make_multimodal(60, 2, modalities=("text",), informativeness=0.9, random_state=0)
    save(load_recipe("sms_spam").build(calibrate=False).fit(X, y), tmp_path / "m.joblib")
    X.to_csv(tmp_path / "texts.csv", index=False)
    code = main(["score", str(tmp_path / "m.joblib"), str(tmp_path / "texts.csv"), "--out",
                 str(tmp_path / "p.csv"), "--proba", "--quiet"])
    assert code == 1
    assert "has no predict_proba; score without --proba" in capsys.readouterr().err
    assert not (tmp_path / "p.csv").exists()


def test_grid_with_a_param_that_changes_the_model_is_one_usage_line(tmp_path, capsys):
    """--grid searches PARAM_GRID, written for the default build: a --param that changes the
    model's structure (e.g. fusion=late) gets one usage line naming the parameters, exit 2."""
    from mmfuse.cli import main

    path = tmp_path / "mine.py"
    path.write_text(
        "from sklearn.compose import make_column_transformer\n"
        "from sklearn.feature_extraction.text import TfidfVectorizer\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "from sklearn.pipeline import Pipeline\n"
        "PARAM_GRID = {'clf__C': [0.1, 1.0]}\n"
        "def build(fusion='early'):\n"
        "    if fusion == 'late':\n"
        "        return LogisticRegression()\n"
        "    return Pipeline([('cols', make_column_transformer((TfidfVectorizer(), 'text'))),\n"
        "                     ('clf', LogisticRegression())])\n")
    manifest = tmp_path / "m.csv"
    words = np.where(np.repeat([0, 1], 20) == 1, "red apple", "blue sky")
    pd.DataFrame({"text": [f"{w} {i}" for i, w in enumerate(words)],
                  "label": np.repeat([0, 1], 20),
                  "split": ["train"] * 30 + ["test"] * 10}).to_csv(manifest, index=False)
    out = tmp_path / "model.joblib"
    args = ["train", "--recipe", str(path), "--data", str(manifest), "--out", str(out),
            "--grid", "--cv", "2"]
    assert main(args) == 0
    assert main(args + ["--param", "fusion=late"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].endswith("--grid: the recipe's PARAM_GRID names clf__C, which the model "
                            "built with fusion=late does not have (PARAM_GRID is written for "
                            "the default build); drop --grid or the --param that changes the "
                            "model's structure")
