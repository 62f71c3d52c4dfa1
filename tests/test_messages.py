"""Every bad input a clear one-line error; a CLI that says what it is doing (issue: messages)."""

import os
import re
import socket
import stat
import subprocess
import sys
import textwrap

import cv2
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from mmfuse import MMFuseInputError
from mmfuse.cli import main
from mmfuse.fusion import FeatureFusion, LateFusionClassifier
from mmfuse.image import HOGFeatures
from mmfuse.persistence import save
from mmfuse.text import TfidfText


def run_cli(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "mmfuse", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=300,
                          env={**os.environ, **(env or {})})


def one_line(stderr):
    """The one line of stderr that is not a warning (warnings are one line each too)."""
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert all(ln.startswith("mmfuse ") for ln in lines), stderr
    lines = [ln for ln in lines if ": warning: " not in ln] or lines
    assert len(lines) == 1, stderr
    return lines[0]


# ----------------------------------------------------------------- library messages

@pytest.mark.parametrize("kwargs, numbers", [
    ({"min_df": 5}, "min_df=5 (at least 5 documents) and max_df=1.0 (at most 4 documents)"),
    ({"min_df": 3}, "no word term is kept by min_df=3"),
    ({"min_df": 2, "max_df": 1}, "max_df=1 (at most 1 documents)"),
    ({"min_df": 0.9, "max_df": 0.95, "analyzer": "char_wb"}, "no character n-gram term"),
])
def test_tfidf_pruning_that_leaves_no_term_names_block_numbers_and_fix(kwargs, numbers):
    X = pd.DataFrame({"title": ["red shoe", "blue shirt", "green hat", "red hat"]})
    kwargs = {"analyzer": "word", **kwargs}
    with pytest.raises(MMFuseInputError) as info:
        FeatureFusion([("title", TfidfText(**kwargs), "title")]).fit(X)
    msg = str(info.value)
    assert "\n" not in msg and "block 'title' (TfidfText)" in msg and "column 'title'" in msg
    assert numbers in msg and "lower min_df" in msg and "4 documents" in msg


def test_scalar_column_to_a_2d_transformer_names_block_column_and_the_fix():
    X = pd.DataFrame({"price": np.arange(10.0), "qty": np.arange(10.0)})
    with pytest.raises(ValueError) as info:
        FeatureFusion([("p", StandardScaler(), "price")]).fit(X)
    msg = str(info.value)
    assert msg.startswith("block 'p' (column 'price', StandardScaler): ")
    assert "select it as ['price']" in msg and "\n" not in msg
    # the same for a late-fusion member
    with pytest.raises(ValueError, match=r"member 'p' \(column 'price', LogisticRegression\): "
                                         r".*select it as \['price'\]"):
        LateFusionClassifier([("p", LogisticRegression(), "price"),
                              ("q", LogisticRegression(), ["qty"])]).fit(X, np.arange(10) % 2)


def test_calibration_folds_follow_the_data_or_name_member_class_and_count():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=11), "b": rng.normal(size=11)})
    y = np.array([0] * 4 + [1] * 4 + [2] * 3)  # a class of 3 rows, cv=5 by default
    X.loc[y == 2, "a"] += 5
    clf = LateFusionClassifier([("a", LinearSVC(), ["a"]), ("b", LinearSVC(), ["b"])])
    clf.fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(X).sum(axis=1), 1.0)
    assert (clf.predict(X)[y == 2] == 2).all()
    y1 = np.array([0] * 5 + [1] * 5 + [2])
    with pytest.raises(ValueError, match=r"member 'a'.*class 2 has 1 row with the modality "
                                         r"present; Platt calibration of LinearSVC"):
        clf.fit(X, y1)


def test_corrupt_files_are_reported_by_mmfuse_not_by_opencv(tmp_path):
    ok, enc = cv2.imencode(".jpg", (np.random.default_rng(0).random((64, 64)) * 255)
                           .astype(np.uint8))
    data = bytearray(enc.tobytes())
    data[len(data) // 2:len(data) // 2 + 40] = b"\xff" * 40
    (tmp_path / "damaged.jpg").write_bytes(bytes(data))
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 50)
    code = textwrap.dedent(f"""
        import warnings
        from mmfuse.io import load_image, MMFuseInputError
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            load_image({str(tmp_path / 'damaged.jpg')!r}, row=3, column="image")
        print("WARN", [str(x.message) for x in w])
        try:
            load_image({str(tmp_path / 'bad.png')!r}, row=4, column="image")
        except MMFuseInputError as e:
            print("ERR", e)
    """)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""  # neither libjpeg's nor OpenCV's own chatter
    assert "row 3, column 'image': image data is damaged (Corrupt JPEG data" in res.stdout
    assert "ERR row 4, column 'image'" in res.stdout and "cannot decode image" in res.stdout


# ----------------------------------------------------------------- CLI

@pytest.fixture(scope="module")
def model_and_manifest(tmp_path_factory):
    root = tmp_path_factory.mktemp("msg")
    rng = np.random.default_rng(0)
    rows = []
    for i in range(24):
        img = (rng.random((16, 16)) * 255).astype(np.uint8)
        img[:, :: 2 + i % 2] = 255
        cv2.imwrite(str(root / f"i{i}.png"), img)
        rows.append({"id": f"r{i}", "image": f"i{i}.png", "label": i % 2})
    cv2.imwrite(str(root / "blank.png"), np.full((16, 16), 128, np.uint8))
    rows.append({"id": "blank-1", "image": "blank.png", "label": 0})
    pd.DataFrame(rows).to_csv(root / "m.csv", index=False)
    X = pd.DataFrame({"image": [str(root / r["image"]) for r in rows]})
    model = make_pipeline(FeatureFusion([("image", HOGFeatures(image_size=(16, 16),
                                                               pixels_per_cell=(8, 8)),
                                          "image")]), LogisticRegression())
    model.fit(X, [r["label"] for r in rows])
    save(model, root / "model.joblib", metadata={"note": "for tests"})
    return root


def test_score_warnings_are_one_line_naming_row_id_and_path(model_and_manifest, tmp_path):
    root = model_and_manifest
    res = run_cli("score", root / "model.joblib", root / "m.csv", "--out", tmp_path / "p.csv",
                  "--quiet")
    assert res.returncode == 0, res.stderr
    line = one_line(res.stderr)
    assert line.startswith("mmfuse score: warning: row 24 (id blank-1, ")
    assert str(root / "blank.png") in line and "image has no gradient" in line
    assert ".py:" not in line


def test_output_files_get_the_umask_mode_and_no_empty_errors_file(model_and_manifest,
                                                                    tmp_path):
    root = model_and_manifest
    old = os.umask(0o027)
    try:
        assert main(["score", str(root / "model.joblib"), str(root / "m.csv"), "--out",
                     str(tmp_path / "p.csv"), "--on-error", "skip", "--quiet"]) == 0
        save(LogisticRegression(), tmp_path / "m.joblib")
    finally:
        os.umask(old)
    for name in ("p.csv", "m.joblib"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o640, name
    assert not (tmp_path / "p.csv.errors.csv").exists()  # nothing failed


@pytest.mark.parametrize("out, expected", [
    ("x.json", "unknown extension '.json'; write .csv, .parquet or .pq"),
    ("missing-dir/x.csv", "folder 'missing-dir' does not exist; create it first"),
])
def test_bad_out_paths_are_usage_errors_before_any_work(model_and_manifest, tmp_path, out,
                                                        expected):
    root = model_and_manifest
    res = run_cli("score", root / "model.joblib", root / "m.csv", "--out", out, cwd=tmp_path)
    assert res.returncode == 2
    assert expected in one_line(res.stderr)
    assert not (tmp_path / "missing-dir").exists()


def test_missing_optional_components_are_named_before_any_work(model_and_manifest, tmp_path,
                                                               monkeypatch, capsys):
    import importlib.util

    root = model_and_manifest
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name in ("pyarrow", "matplotlib")
                        else real(name, *a))
    assert main(["score", str(root / "model.joblib"), str(root / "m.csv"), "--out",
                 str(tmp_path / "p.parquet")]) == 2
    assert "pip install 'mmfuse[parquet]'" in one_line(capsys.readouterr().err)
    assert main(["evaluate", str(root / "model.joblib"), str(root / "m.csv"), "--report",
                 str(tmp_path / "rep")]) == 2
    assert "pip install 'mmfuse[report]'" in one_line(capsys.readouterr().err)
    assert not (tmp_path / "rep").exists() and not (tmp_path / "p.parquet").exists()


def test_unreachable_scheduler_is_one_line(model_and_manifest, tmp_path):
    root = model_and_manifest
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    res = run_cli("score", root / "model.joblib", root / "m.csv", "--out", tmp_path / "p.csv",
                  "--scheduler", f"tcp://127.0.0.1:{port}", cwd=tmp_path)
    assert res.returncode == 1
    line = one_line(res.stderr)
    assert f"cannot reach a Dask scheduler at 'tcp://127.0.0.1:{port}' within 5 s" in line
    assert not (tmp_path / "p.csv").exists()


def test_inspect_prints_the_saved_metadata(model_and_manifest, capsys):
    root = model_and_manifest
    assert main(["inspect", str(root / "model.joblib")]) == 0
    out = capsys.readouterr().out
    assert "estimator: sklearn.pipeline.Pipeline" in out and "classes: 0, 1" in out
    assert "inputs: image (image)" in out and "sha256 " in out and "note: for tests" in out
    import json

    assert main(["inspect", str(root / "model.joblib"), "--json"]) == 0
    meta = json.loads(capsys.readouterr().out)
    assert meta["inputs"] == {"image": "image"} and meta["user"] == {"note": "for tests"}


def _train_args(root, tmp_path, *extra):
    return ["train", "--recipe", root / "recipe.py", "--data", root / "m.csv", "--out",
            tmp_path / "m.joblib", *extra]


@pytest.fixture(scope="module")
def recipe_dir(model_and_manifest):
    root = model_and_manifest
    (root / "recipe.py").write_text(textwrap.dedent("""
        from sklearn.base import BaseEstimator, ClassifierMixin
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline
        from mmfuse.fusion import FeatureFusion
        from mmfuse.image import HOGFeatures

        PARAM_GRID = {"clf__C": [1.0, 10.0]}

        class Failing(ClassifierMixin, BaseEstimator):
            def fit(self, X, y):
                raise ValueError("this classifier always fails to fit")

        def build(C=1.0, fail=False):
            clf = Failing() if fail else LogisticRegression(C=C)
            hog = HOGFeatures(image_size=(16, 16), pixels_per_cell=(8, 8))
            return Pipeline([("fuse", FeatureFusion([("image", hog, "image")])), ("clf", clf)])
    """))
    return root


def test_train_prints_stage_lines_and_quiet_silences_them(recipe_dir, tmp_path):
    res = run_cli(*_train_args(recipe_dir, tmp_path), "--verbose")
    assert res.returncode == 0, res.stderr
    for stage in ("(the recipe reads image)", "fitting on 25 rows (extracting image, then the "
                  "classifier)", "saving"):
        assert re.search(r"mmfuse train: \[\d+\.\d s\] .*" + re.escape(stage), res.stderr), stage
    assert re.search(r"mmfuse train: \[\d+\.\d s\] done", res.stderr)
    assert "has no split column: training on every row, no test accuracy" in res.stderr
    line = [ln for ln in res.stderr.splitlines() if "warning: row" in ln]
    assert line == [f"mmfuse train: warning: row 24 (id blank-1, {recipe_dir / 'blank.png'}), "
                    "column 'image': image has no gradient inside the HOG cells (blank, "
                    "uniform or a 1x1 image); its HOG vector is all zeros"]
    res = run_cli(*_train_args(recipe_dir, tmp_path), "--quiet", "--verbose")
    assert res.returncode == 0 and res.stdout == ""
    assert all(": warning: " in ln for ln in res.stderr.splitlines())  # warnings stay


def test_train_failures_are_one_line(recipe_dir, tmp_path):
    res = run_cli(*_train_args(recipe_dir, tmp_path, "--param", "fail=True", "--cv", "3",
                               "--quiet"))
    assert res.returncode == 1
    assert one_line(res.stderr) == ("mmfuse train: error: this classifier always fails to fit "
                                    "(--verbose shows the traceback)")
    res = run_cli(*_train_args(recipe_dir, tmp_path, "--param", "fial=True"))
    assert res.returncode == 2
    line = one_line(res.stderr)
    assert "--param 'fial' is not a parameter of recipe" in line and "did you mean 'fail'" in line
    assert "build() takes C, fail" in line
    pd.DataFrame({"id": ["a"], "picture": ["x.png"], "label": [1]}).to_csv(
        tmp_path / "nocol.csv", index=False)
    res = run_cli("train", "--recipe", recipe_dir / "recipe.py", "--data",
                  tmp_path / "nocol.csv", "--out", tmp_path / "m.joblib", "--quiet")
    assert res.returncode == 1
    assert "missing column(s) ['image']" in one_line(res.stderr)


def test_info_imports_none_of_the_heavy_packages():
    code = ("import sys; from mmfuse.cli import main; main(['info']); "
            "print(sorted(m for m in ('sklearn', 'nltk', 'scipy', 'cv2', 'librosa', 'pandas') "
            "if m in sys.modules))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("args, expected", [
    (["--chunk-size", "0"], "--chunk-size must be >= 1"),
    (["--n-jobs", "0"], "--n-jobs 0 has no meaning"),
    (["--encoding", "bogus"], "--encoding: unknown encoding 'bogus'"),
    (["--scheduler", "notanaddress"], "is neither 'local' nor a scheduler address"),
])
def test_bad_options_are_usage_errors(model_and_manifest, tmp_path, args, expected):
    root = model_and_manifest
    res = run_cli("score", root / "model.joblib", root / "m.csv", "--out", tmp_path / "p.csv",
                  *args, cwd=tmp_path)
    assert res.returncode == 2, res.stderr
    assert expected in one_line(res.stderr) and "UsageError" not in res.stderr


def test_device_cuda_without_cuda_is_a_usage_error(model_and_manifest, tmp_path):
    from mmfuse._backend import cuda_available

    if cuda_available():
        pytest.skip("this machine has CUDA")
    root = model_and_manifest
    res = run_cli("score", root / "model.joblib", root / "m.csv", "--out", tmp_path / "p.csv",
                  "--device", "cuda", cwd=tmp_path)
    assert res.returncode == 2 and "--device cuda: " in one_line(res.stderr)


def test_a_silent_server_is_not_a_scheduler(model_and_manifest, tmp_path):
    import threading

    root = model_and_manifest
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    accepted = []
    threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
    try:
        res = run_cli("score", root / "model.joblib", root / "m.csv", "--out",
                      tmp_path / "p.csv", "--scheduler", f"tcp://127.0.0.1:{port}",
                      cwd=tmp_path)
    finally:
        server.close()
    assert res.returncode == 1
    assert f"cannot reach a Dask scheduler at 'tcp://127.0.0.1:{port}'" in one_line(res.stderr)


def test_train_checks_out_and_cv_before_any_work_and_keeps_the_model_of_bad_test_rows(
        recipe_dir, tmp_path):
    res = run_cli(*_train_args(recipe_dir, tmp_path)[:-1], tmp_path / "nodir" / "m.joblib")
    assert res.returncode == 2 and "folder" in one_line(res.stderr)
    res = run_cli(*_train_args(recipe_dir, tmp_path, "--cv", "1"))
    assert res.returncode == 2 and "--cv must be >= 2 folds, or 0 for none" in res.stderr
    frame = pd.read_csv(recipe_dir / "m.csv")
    frame["split"] = ["test" if i % 5 == 0 else "train" for i in range(len(frame))]
    (recipe_dir / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    frame.loc[5, "image"] = "corrupt.png"
    frame.loc[7, "split"] = "valid"
    frame.to_csv(recipe_dir / "split.csv", index=False)
    res = run_cli("train", "--recipe", recipe_dir / "recipe.py", "--data",
                  recipe_dir / "split.csv", "--out", tmp_path / "m.joblib")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "m.joblib").is_file()
    assert "1 test row(s) could not be scored and are left out of the test accuracy: row 5 " \
           "(id r5)" in res.stderr
    assert "1 row(s) with split ['valid'] are neither 'train' nor 'test'" in res.stderr
    assert "test accuracy" in res.stdout and "on 4 rows" in res.stdout
