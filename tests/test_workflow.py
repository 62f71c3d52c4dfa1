"""End to end with real extractors: train -> evaluate -> score from the CLI, nasty rows included."""

import json
import subprocess
import sys

import cv2
import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from mmfuse.datasets import load_av_digits
from mmfuse.persistence import load, read_metadata


def run_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "mmfuse", *map(str, args)],
                          capture_output=True, text=True, timeout=600, cwd=cwd)


@pytest.fixture(scope="module")
def av_manifest(tmp_path_factory):
    """240 AV-digit pairs written as PNG + WAV files with a manifest (train/test split)."""
    root = tmp_path_factory.mktemp("avfiles")
    data = load_av_digits()
    rng = np.random.default_rng(0)
    rows = []
    for split, n in (("train", 160), ("test", 80)):
        idx = rng.choice(np.flatnonzero(data.split == split), size=n, replace=False)
        for i in idx:
            cv2.imwrite(str(root / f"{i}.png"), data.X.image[i])
            y, sr = data.X.audio[i]
            sf.write(root / f"{i}.wav", y, sr)
            rows.append({"id": f"r{i}", "image": f"{i}.png", "audio": f"{i}.wav",
                         "label": int(data.y[i]), "split": split})
    pd.DataFrame(rows).to_csv(root / "manifest.csv", index=False)
    return root


@pytest.fixture(scope="module")
def trained(av_manifest):
    res = run_cli("train", "--recipe", "av_digits", "--data", "manifest.csv", "--out",
                  "model.joblib", "--cv", "0", "--param", "strategy=concat",
                  cwd=av_manifest)
    assert res.returncode == 0, res.stderr
    assert "test accuracy" in res.stdout
    return av_manifest / "model.joblib", res.stdout


def test_train_saves_model_with_metadata(trained):
    path, out = trained
    meta = read_metadata(path)
    assert meta["inputs"] == {"image": "image", "audio": "audio"}
    assert meta["user"]["recipe"] == "av_digits"
    assert meta["user"]["params"] == {"strategy": "concat"}
    assert meta["user"]["n_train"] == 160
    acc = meta["user"]["test_accuracy"]
    assert f"test accuracy {acc:.4f} on 80 rows" in out
    assert acc > 0.6  # 160 training pairs of degraded digits; chance is 0.1
    assert load(path).get_params()["fuse__strategy"] == "concat"


def test_evaluate_writes_report(trained, av_manifest, tmp_path):
    path, _ = trained
    res = run_cli("evaluate", path, av_manifest / "manifest.csv", "--split", "test",
                  "--report", tmp_path / "rep", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    metrics = json.loads((tmp_path / "rep" / "metrics.json").read_text())
    assert metrics["n_samples"] == 80
    assert metrics["accuracy"] == pytest.approx(read_metadata(path)["user"]["test_accuracy"])
    cm = np.array(metrics["confusion_matrix"])
    assert cm.shape == (10, 10) and cm.sum() == 80
    assert np.trace(cm) / 80 == pytest.approx(metrics["accuracy"])
    # the fused model handles a blanked modality (missing='mean'): per-modality accuracies
    assert set(metrics["modalities"]["alone"]) == {"image", "audio"}
    assert set(metrics["modalities"]["permutation"]) == {"image", "audio"}
    assert metrics["n_skipped"] == 0 and metrics["skipped"] == []
    # the model file's metadata, as mmfuse inspect shows it
    assert metrics["model"]["user"]["recipe"] == "av_digits"
    assert metrics["model"]["sha256"] == read_metadata(path)["sha256"]
    # the misclassified rows carry the manifest's ids and both labels
    manifest = pd.read_csv(av_manifest / "manifest.csv")
    truth = dict(zip(manifest.id, manifest.label))
    assert len(metrics["misclassified"]) == metrics["n_misclassified"] == round(
        80 * (1 - metrics["accuracy"]))
    for r in metrics["misclassified"]:
        assert str(truth[r["id"]]) == str(r["true"]) != str(r["predicted"])
        assert manifest.id[r["row"]] == r["id"]
    # one file to share: nothing beside it is needed
    assert sorted(p.name for p in (tmp_path / "rep").iterdir()) == ["index.html",
                                                                   "metrics.json"]
    page = (tmp_path / "rep" / "index.html").read_text()
    assert page.count('src="data:image/png;base64,') == 2


def test_evaluate_skip_lists_error_rows_and_raise_names_the_first(trained, nasty_manifest,
                                                                  tmp_path):
    path, _ = trained
    manifest, awkward, bad, good = nasty_manifest
    res = run_cli("evaluate", path, manifest, "--report", tmp_path / "rep", "--quiet",
                  cwd=tmp_path)
    assert res.returncode == 1  # a missing file under raise: the manifest is refused
    (line,) = res.stderr.strip().splitlines()
    assert line.startswith("mmfuse evaluate: error: ") and "file not found" in line
    # without the missing file, the first unreadable row is named with its id
    frame = pd.read_csv(manifest)
    frame[frame.id != "missing_img"].to_csv(manifest.parent / "nasty_found.csv", index=False)
    first = next(i for i in frame.id if i in bad and i != "missing_img")
    res = run_cli("evaluate", path, manifest.parent / "nasty_found.csv", "--report",
                  tmp_path / "rep",
                  "--quiet", cwd=tmp_path)
    assert res.returncode == 1
    (line,) = res.stderr.strip().splitlines()
    assert f"(id {first})" in line, line
    assert not (tmp_path / "rep").exists()
    res = run_cli("evaluate", path, manifest, "--report", tmp_path / "rep", "--on-error",
                  "skip", "--n-repeats", "1", "--misclassified", "3", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert f"{len(bad)} error row(s) skipped; listed in the report" in res.stdout
    metrics = json.loads((tmp_path / "rep" / "metrics.json").read_text())
    assert {r["id"] for r in metrics["skipped"]} == bad
    assert metrics["n_samples"] + metrics["n_skipped"] == metrics["n_rows"] == len(
        good | awkward | bad)
    assert len(metrics["misclassified"]) == min(3, metrics["n_misclassified"])
    page = (tmp_path / "rep" / "index.html").read_text()
    for r in metrics["skipped"]:
        assert f"<td>{r['id']}</td>" in page and r["cause"].split("(")[0] in page
    res = run_cli("evaluate", path, manifest, "--report", tmp_path / "rep2", "--on-error",
                  "skip", "--n-repeats", "-1", cwd=tmp_path)
    assert res.returncode == 2 and "expected an integer >= 0, got '-1'" in res.stderr


@pytest.fixture(scope="module")
def nasty_manifest(av_manifest, nasty_corpus):
    """Good test rows interleaved with every kind of bad or awkward item."""
    good = pd.read_csv(av_manifest / "manifest.csv")
    good = good[good.split == "test"].head(30)
    rows = [dict(r) for _, r in good.iterrows()]
    img, wav = str(av_manifest / rows[0]["image"]), str(av_manifest / rows[0]["audio"])
    c = {k: str(v) for k, v in nasty_corpus.items()}
    awkward_ok = [  # readable: must be scored
        ("tiny", c["tiny_png"], wav), ("huge", c["huge_png"], wav), ("rgba", c["rgba_png"], wav),
        ("png16", c["png16"], wav), ("stereo48k", img, c["stereo48k"]),
        ("silent", img, c["silent"]), ("no_audio", img, None), ("no_image", None, wav)]
    bad = [  # unreadable: must be reported and skipped
        ("zero_byte_png", c["empty_png"], wav), ("zero_byte_wav", img, c["empty"]),
        ("header_only", img, c["header_only_wav"]), ("corrupt_jpg", c["corrupt_jpg"], wav),
        ("missing_img", c["missing"], wav), ("nan_audio", img, c["nan_audio"])]
    for k, (name, im, au) in enumerate(awkward_ok + bad):
        rows.insert(2 + 2 * k, {"id": name, "image": im, "audio": au, "label": 0,
                                "split": "test"})
    path = av_manifest / "nasty.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path, {n for n, _, _ in awkward_ok}, {n for n, _, _ in bad}, set(good.id)


def test_score_skip_keeps_every_good_row(trained, nasty_manifest, tmp_path):
    path, _ = trained
    manifest, awkward, bad, good = nasty_manifest
    res = run_cli("score", path, manifest, "--out", tmp_path / "p.parquet", "--proba",
                  "--on-error", "skip", cwd=tmp_path)
    assert res.returncode == 0, res.stderr  # the recipe's calibrated SVM has probabilities
    proba = pd.read_parquet(tmp_path / "p.parquet").filter(like="proba_")
    assert proba.shape[1] == 10
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    res = run_cli("score", path, manifest, "--out", tmp_path / "p.parquet",
                  "--on-error", "skip", "--chunk-size", "7", "--quiet", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    out = pd.read_parquet(tmp_path / "p.parquet")
    assert set(out.id) == good | awkward
    errs = pd.read_csv(tmp_path / "p.parquet.errors.csv")
    assert set(errs.id) == bad
    causes = dict(zip(errs.id, errs.cause))
    assert causes["zero_byte_png"] == "file is empty (0 bytes)"
    assert causes["zero_byte_wav"] == "file is empty (0 bytes)"
    assert causes["header_only"] == "clip has no samples (header only or empty)"
    assert causes["missing_img"] == "file not found"
    assert causes["corrupt_jpg"].startswith("cannot decode image")
    assert "NaN or infinite" in causes["nan_audio"]
    assert dict(zip(errs.id, errs.column)) == {
        "zero_byte_png": "image", "zero_byte_wav": "audio", "header_only": "audio",
        "corrupt_jpg": "image", "missing_img": "image", "nan_audio": "audio"}
    manifest_ids = pd.read_csv(manifest).id
    assert all(manifest_ids[r] == i for r, i in zip(errs.row, errs.id))
    # good rows score exactly as the in-memory model scores them
    model = load(path)
    frame = pd.read_csv(manifest)
    frame = frame[frame.id.isin(good)]
    X = frame[["image", "audio"]].map(lambda p: str(manifest.parent / p))
    expected = dict(zip(frame.id, model.predict(X)))
    assert all(expected[i] == p for i, p in zip(out.id, out.prediction) if i in expected)


def test_score_raise_names_first_bad_row(trained, nasty_manifest, tmp_path):
    path, _ = trained
    manifest = nasty_manifest[0]
    res = run_cli("score", path, manifest, "--out", tmp_path / "p.csv", cwd=tmp_path)
    assert res.returncode == 1
    assert res.stderr.startswith("mmfuse score: error: row ")
    assert "Traceback" not in res.stderr and not (tmp_path / "p.csv").exists()


def test_evaluate_refuses_what_it_cannot_report_on(trained, av_manifest, tmp_path):
    path, _ = trained
    res = run_cli("evaluate", path, av_manifest / "manifest.csv", "--split", "nope",
                  "--report", tmp_path / "r", cwd=tmp_path)
    assert res.returncode == 2
    assert "--split 'nope': no row has that split (the manifest's split values: ['test', " \
           "'train'])" in res.stderr
    (tmp_path / "afile").write_text("x")
    res = run_cli("evaluate", path, av_manifest / "manifest.csv", "--report",
                  tmp_path / "afile", cwd=tmp_path)
    assert res.returncode == 2 and "is a file; give a folder" in res.stderr
    frame = pd.read_csv(av_manifest / "manifest.csv")
    frame["label"] = "zero"
    frame.to_csv(av_manifest / "relabelled.csv", index=False)
    res = run_cli("evaluate", path, av_manifest / "relabelled.csv", "--report", tmp_path / "r",
                  cwd=tmp_path)
    assert res.returncode == 1 and "label(s) ['zero'] are not classes of the model" in res.stderr
