"""Batch scoring: streaming, atomic output, --on-error skip, parallel and Dask parity."""

import os
import subprocess
import sys

import cv2
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from mmfuse.fusion import FeatureFusion
from mmfuse.image import HOGFeatures
from mmfuse.io import MMFuseInputError
from mmfuse.persistence import save
from mmfuse.scoring import count_rows, score_manifest


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, nasty_corpus):
    root = tmp_path_factory.mktemp("score")
    rng = np.random.default_rng(0)
    rows = []
    for i in range(40):
        vertical = i % 2  # class 1: vertical stripes, class 0: horizontal
        img = np.clip(rng.normal(0.5, 0.1, (16, 16)), 0, 1)
        stripes = (np.arange(16) // 2) % 2 == 0
        if vertical:
            img[:, stripes] += 0.4
        else:
            img[stripes, :] += 0.4
        cv2.imwrite(str(root / f"img{i}.png"), (np.clip(img, 0, 1) * 255).astype(np.uint8))
        rows.append({"id": f"s{i}", "image": f"img{i}.png", "label": vertical})
    train = pd.DataFrame(rows)
    hog = HOGFeatures(image_size=(16, 16), pixels_per_cell=(8, 8))
    model = make_pipeline(FeatureFusion([("image", hog, "image")]), LogisticRegression())
    X = train[["image"]].assign(image=[str(root / p) for p in train.image])
    model.fit(X, train.label)
    save(model, root / "model.joblib")
    # a scoring manifest with good rows and every kind of bad image row
    bad = {"s_empty": nasty_corpus["empty_png"], "s_corrupt": nasty_corpus["corrupt_jpg"],
           "s_missing": nasty_corpus["missing"], "s_dir": nasty_corpus["directory"]}
    score_rows = [{"id": r["id"], "image": r["image"]} for r in rows]
    for j, (k, p) in enumerate(bad.items()):
        score_rows.insert(5 + 7 * j, {"id": k, "image": str(p)})
    score_rows.append({"id": "s_tiny", "image": str(nasty_corpus["tiny_png"])})
    score_rows.append({"id": "s_rgba", "image": str(nasty_corpus["rgba_png"])})
    score_rows.append({"id": "s_16bit", "image": str(nasty_corpus["png16"])})
    score_rows.append({"id": "s_huge", "image": str(nasty_corpus["huge_png"])})
    pd.DataFrame(score_rows).to_csv(root / "score.csv", index=False)
    pd.DataFrame([{"id": r["id"], "image": r["image"]} for r in rows]).to_csv(
        root / "good.csv", index=False)
    pd.DataFrame([{"id": "x", "picture": "a.png"}]).to_csv(root / "nocol.csv", index=False)
    return {"root": root, "model": model, "X": X, "labels": train.label.to_numpy()}


def _load(path):
    return pd.read_parquet(path) if str(path).endswith(".parquet") else pd.read_csv(path)


def test_skip_scores_every_good_row_and_reports_bad_ones(corpus):
    from mmfuse.persistence import load

    root = corpus["root"]
    model = load(root / "model.joblib")
    s = score_manifest(model, root / "score.csv", root / "out.csv", proba=True,
                       chunk_size=7, on_error="skip")
    out = _load(root / "out.csv")
    assert s.n_rows == 48 and s.n_scored == 44 and s.n_errors == 4
    bad_ids = {"s_empty", "s_corrupt", "s_missing", "s_dir"}
    assert set(out.id) == {f"s{i}" for i in range(40)} | {"s_tiny", "s_rgba", "s_16bit",
                                                          "s_huge"}
    errs = pd.read_csv(s.errors_path)
    assert set(errs.id) == bad_ids
    causes = dict(zip(errs.id, errs.cause))
    assert causes["s_empty"] == "file is empty (0 bytes)"
    assert causes["s_missing"] == "file not found"
    assert causes["s_corrupt"].startswith("cannot decode image")
    assert set(errs.column) == {"image"} and errs.path.str.len().gt(0).all()
    # each error names its manifest row number
    manifest = pd.read_csv(root / "score.csv")
    for _, e in errs.iterrows():
        assert manifest.id[e.row] == e.id
    # good rows get exactly the predictions of the in-memory model
    good = out[out.id.str.match(r"^s\d+$")].sort_values("row")
    expected = corpus["model"].predict_proba(corpus["X"])
    np.testing.assert_allclose(good[["proba_0", "proba_1"]].to_numpy(), expected, atol=1e-6)
    assert (good.prediction.to_numpy() == corpus["labels"]).mean() > 0.9


def test_raise_stops_and_leaves_no_output(corpus):
    from mmfuse.persistence import load

    root = corpus["root"]
    with pytest.raises(MMFuseInputError, match=r"^row 5 \(id s_empty\), column 'image', "
                                               r".*empty\.png: file is empty"):
        score_manifest(load(root / "model.joblib"), root / "score.csv", root / "r.csv",
                       chunk_size=10)
    assert not (root / "r.csv").exists()
    assert not [p for p in os.listdir(root) if p.endswith(".partial")]


def test_missing_manifest_column_is_a_clear_error(corpus):
    from mmfuse.persistence import load

    root = corpus["root"]
    with pytest.raises(MMFuseInputError, match=r"manifest lacks column\(s\) \['image'\]"):
        score_manifest(load(root / "model.joblib"), root / "nocol.csv", root / "n.csv")


@pytest.mark.parametrize("how", [{"n_jobs": 2}, {"scheduler": "local", "n_jobs": 2}])
def test_parallel_and_dask_outputs_identical(corpus, how):
    from mmfuse.persistence import load

    root = corpus["root"]
    model = load(root / "model.joblib")
    score_manifest(model, root / "score.csv", root / "serial.parquet", proba=True,
                   chunk_size=9, on_error="skip")
    name = "dask" if "scheduler" in how else "jobs"
    score_manifest(model, root / "score.csv", root / f"{name}.parquet", proba=True,
                   chunk_size=9, on_error="skip", **how)
    serial = _load(root / "serial.parquet")
    assert len(serial) == 44 and serial.filter(like="proba_").notna().all().all()
    pd.testing.assert_frame_equal(serial, _load(root / f"{name}.parquet"))
    pd.testing.assert_frame_equal(pd.read_csv(root / "serial.parquet.errors.csv"),
                                  pd.read_csv(root / f"{name}.parquet.errors.csv"))


def test_cli_score_exit_codes_and_outputs(corpus, tmp_path):
    root = corpus["root"]
    run = lambda *a: subprocess.run([sys.executable, "-m", "mmfuse", *map(str, a)],  # noqa
                                    capture_output=True, text=True, timeout=300, cwd=tmp_path)
    res = run("score", root / "model.joblib", root / "score.csv", "--out", tmp_path / "p.csv",
              "--on-error", "skip", "--chunk-size", "5", "--quiet")
    assert res.returncode == 0, res.stderr
    assert count_rows(tmp_path / "p.csv") == 44
    assert count_rows(tmp_path / "p.csv.errors.csv") == 4
    res = run("score", root / "model.joblib", root / "score.csv", "--out", tmp_path / "q.csv")
    assert res.returncode == 1
    assert "mmfuse score: error: row 5 (id s_empty), column 'image'" in res.stderr
    assert not (tmp_path / "q.csv").exists()
    # a model file truncated by one byte
    data = (root / "model.joblib").read_bytes()
    (tmp_path / "trunc.joblib").write_bytes(data[:-1])
    res = run("score", tmp_path / "trunc.joblib", root / "good.csv", "--out", tmp_path / "t.csv")
    assert res.returncode == 1 and "model file is truncated" in res.stderr
    assert "Traceback" not in res.stderr
    res = run("score", root / "model.joblib", root / "nocol.csv", "--out", tmp_path / "n.csv")
    assert res.returncode == 1 and "manifest lacks column(s) ['image']" in res.stderr
    res = run("score", root / "model.joblib")
    assert res.returncode == 2


def _write_old_format(model, path):
    """A model file as mmfuse wrote it before input schemas: no ``input_schema`` in the
    header, no ``input_schema_`` on the pickled fuser (the header keeps its ``inputs``)."""
    import copy
    import json
    import struct

    from mmfuse.persistence import MAGIC

    old = copy.deepcopy(model)
    del old[0].input_schema_
    save(old, path)
    data = path.read_bytes()
    (n,) = struct.unpack(">Q", data[len(MAGIC):len(MAGIC) + 8])
    header = json.loads(data[len(MAGIC) + 8:len(MAGIC) + 8 + n])
    header.pop("input_schema")
    head = json.dumps(header).encode("utf-8")
    path.write_bytes(MAGIC + struct.pack(">Q", len(head)) + head
                     + data[len(MAGIC) + 8 + n:])
    return header


def test_model_files_without_an_input_schema_still_score(corpus, tmp_path):
    """Files of older versions name their input kinds in ``inputs`` only: scoring reads
    those (relative image paths resolve against the manifest) and predicts the same."""
    from mmfuse.persistence import load, read_metadata

    root = corpus["root"]
    header = _write_old_format(corpus["model"], tmp_path / "old.joblib")
    meta = read_metadata(tmp_path / "old.joblib")
    assert "input_schema" not in meta and meta["inputs"] == header["inputs"] == {
        "image": "image"}
    old = load(tmp_path / "old.joblib")
    assert not hasattr(old[0], "input_schema_")
    s_old = score_manifest(old, root / "good.csv", tmp_path / "old.csv", metadata=meta)
    s_new = score_manifest(load(root / "model.joblib"), root / "good.csv", tmp_path / "new.csv",
                           metadata=read_metadata(root / "model.joblib"))
    assert s_old.n_scored == s_new.n_scored == 40
    pd.testing.assert_frame_equal(_load(tmp_path / "old.csv"), _load(tmp_path / "new.csv"))
    # without the header, the model itself names its columns and their kinds
    s_bare = score_manifest(old, root / "good.csv", tmp_path / "bare.csv")
    assert s_bare.n_scored == 40


def test_the_model_file_records_the_fusers_input_schema(corpus):
    from mmfuse.persistence import read_metadata

    meta = read_metadata(corpus["root"] / "model.joblib")
    assert meta["input_schema"] == corpus["model"][0].input_schema_ == {
        "image": {"kind": "image", "dtype": str(corpus["X"]["image"].dtype),
                  "block": "image"}}
