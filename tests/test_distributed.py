"""Training, search and evaluation on a Dask cluster give the model a local run gives
(issue 18). A real `dask scheduler` and `dask worker --nthreads 2` on 127.0.0.1, started
and stopped here."""

import functools
import json
import os
import socket
import subprocess
import sys
import textwrap
import time

import cv2
import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

import mmfuse
from mmfuse import MMFuseInputError, collect_errors, config_context
from mmfuse._config import collect_warnings
from mmfuse.cli import main
from mmfuse.datasets import load_manifest
from mmfuse.fusion import FeatureFusion
from mmfuse.persistence import load, read_metadata

distributed = pytest.importorskip("distributed")

SR = 8000
N = 36  # rows 0-23 train, 24-35 test
WORDS = {0: ["red", "shoe", "leather", "heel"], 1: ["blue", "shirt", "cotton", "sleeve"]}

RECIPE = """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from mmfuse.audio import MFCCFeatures
    from mmfuse.fusion import FeatureFusion
    from mmfuse.image import HOGFeatures
    from mmfuse.text import TfidfText

    PARAM_GRID = {"fuse__weights": [None, {"text": 0.25}]}

    def build(C=1.0, memory=None, block_norm="standard", missing="mean"):
        fuse = FeatureFusion(
            [("image", HOGFeatures(image_size=(16, 16), pixels_per_cell=(8, 8)), "image"),
             ("text", TfidfText(tokenizer="regex"), "text"),
             ("audio", MFCCFeatures(sr=8000, n_fft=256, hop_length=80, n_mfcc=13), "audio")],
            strategy="weighted", block_norm=block_norm, missing=missing, memory=memory)
        return Pipeline([("fuse", fuse), ("clf", LogisticRegression(C=C, max_iter=2000))])
"""


def _build(**kw):
    ns = {}
    exec(textwrap.dedent(RECIPE), ns)  # noqa: S102 - the recipe the CLI test reads
    return ns["build"](**kw)


@pytest.fixture(scope="module")
def data(tmp_path_factory, labelled_items):
    """36 image+text+audio rows on disk (two blank images, two missing texts), a recipe."""
    root = tmp_path_factory.mktemp("dask")
    rng = np.random.default_rng(0)
    rows = []
    for i in range(N):
        label = int(rng.integers(0, 2)) if i % 5 == 0 else i % 2  # some noisy labels
        cv2.imwrite(str(root / f"img{i}.png"), labelled_items.image(
            label, rng, noise=0.15, contrast=0.3, blank=i in (3, 17)))
        sf.write(root / f"clip{i}.wav", labelled_items.clip(label, rng, noise=0.3, sr=SR), SR)
        text = None if i in (5, 26) else " ".join(rng.choice(WORDS[label], 3))
        rows.append({"id": f"s{i}", "image": f"img{i}.png", "text": text,
                     "audio": f"clip{i}.wav", "label": label,
                     "split": "train" if i < 24 else "test"})
    frame = pd.DataFrame(rows)
    frame.to_csv(root / "m.csv", index=False)
    bad = frame[frame.split == "test"].copy()
    bad.loc[30, "image"] = "absent.png"
    bad.to_csv(root / "eval.csv", index=False)
    (root / "recipe.py").write_text(textwrap.dedent(RECIPE))
    loaded = load_manifest(root / "m.csv")
    train = loaded[loaded.split == "train"]
    return {"root": root, "X": train[["image", "text", "audio"]],
            "y": train.label.to_numpy(), "all": loaded}


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """The address of a `dask scheduler` with one `dask worker --nthreads 2`, on 127.0.0.1."""
    here = tmp_path_factory.mktemp("cluster")
    port = _free_port()
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    procs = [subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
         "--port", str(port), "--no-dashboard"], cwd=here, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    address = f"tcp://127.0.0.1:{port}"
    try:
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "2",
             "--no-nanny", "--host", "127.0.0.1", "--no-dashboard",
             "--local-directory", str(here)], cwd=here, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.monotonic() + 60
        while True:
            try:
                with distributed.Client(address, timeout=5) as client:
                    client.wait_for_workers(1, timeout=60)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield address
    finally:  # the worker first: a worker whose scheduler is gone waits to reconnect
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)


@pytest.fixture(scope="module")
def client(scheduler):
    with distributed.Client(scheduler, timeout=10) as c:
        yield c


def _dense(Z):
    return Z.toarray() if hasattr(Z, "toarray") else np.asarray(Z)


# ----------------------------------------------------------------- the Python API

@pytest.mark.parametrize("settings", [
    {},  # standard scaler + mean fill: fitted by one worker on the whole block
    {"block_norm": "l2", "missing": "zero"},  # row-wise: nothing fitted on a whole block
])
def test_fit_distributed_equals_a_local_fit(data, client, settings):
    from mmfuse.distributed import fit_distributed, fit_transform_distributed

    X, y = data["X"], data["y"]
    with collect_warnings() as local_notes:
        local = _build(**settings).fit(X, y)
        Z_local = clone(local[0]).fit_transform(X, y)
    stages = []
    with collect_warnings() as notes:
        fuser = clone(local[0])
        Z = fit_transform_distributed(fuser, X, y, client=client, chunk_size=5,
                                      on_stage=stages.append)
        model = fit_distributed(_build(**settings), X, y, client=client, chunk_size=7)
    np.testing.assert_allclose(_dense(Z), _dense(Z_local), rtol=1e-6, atol=1e-6)
    test = data["all"][["image", "text", "audio"]].iloc[24:]
    np.testing.assert_allclose(_dense(model[0].transform(test)), _dense(local[0].transform(test)),
                               rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(model.predict(test), local.predict(test))
    np.testing.assert_allclose(model.predict_proba(test), local.predict_proba(test), atol=1e-6)
    for name, fill in local[0].missing_fill_.items():
        np.testing.assert_allclose(fuser.missing_fill_[name], fill, rtol=1e-6, atol=1e-7)
    # the blank images of two chunks: one warning naming both rows, as a local fit says it
    assert set(map(str, notes)) == set(map(str, local_notes)) and len(notes) == 2
    assert any("rows 3, 17, column 'image'" in str(n) for n in notes)
    assert stages[0].startswith("sending 24 rows to the workers in 5 chunk(s)")
    assert any(s.startswith("extracting image, text, audio: 15 task(s)") for s in stages)
    if settings:  # set_output(transform='pandas') as fit_transform honours it (dense blocks)
        fuser = FeatureFusion([(name, t, col) for name, t, col in local[0].transformers
                               if name != "text"], **settings).set_output(transform="pandas")
        pd.testing.assert_frame_equal(
            fit_transform_distributed(clone(fuser), X, y, client=client, chunk_size=9),
            clone(fuser).fit_transform(X, y), rtol=1e-6, atol=1e-6)


def test_a_bad_training_row_raises_as_in_a_local_fit(data, client):
    from mmfuse.distributed import fit_distributed

    X = data["X"].copy()
    for row in (7, 20):  # two chunks, each with a file that is not there
        X.loc[row, "image"] = str(data["root"] / f"absent{row}.png")
    with pytest.raises(MMFuseInputError) as local:
        _build().fit(X, data["y"])
    for on_error in ("raise", "skip"):  # a training row cannot be skipped
        with config_context(on_error=on_error), pytest.raises(MMFuseInputError) as remote:
            fit_distributed(_build(), X, data["y"], client=client, chunk_size=4)
        assert str(remote.value) == str(local.value)
        assert remote.value.row == 7 and "absent7.png" in str(remote.value)


def test_predict_distributed_skips_and_reports_rows_as_a_local_call(data, client):
    from mmfuse.distributed import predict_distributed

    model = _build().fit(data["X"], data["y"])
    X = data["all"][["image", "text", "audio"]].copy()
    X.loc[[4, 30], "image"] = [str(data["root"] / "gone4.png"), str(data["root"] / "gone30.png")]
    with config_context(on_error="skip"), collect_errors() as local_errors:
        local = model.predict_proba(X)
    with config_context(on_error="skip"), collect_errors() as errors:
        remote = predict_distributed(model, X, client=client, method="predict_proba",
                                     chunk_size=5)
    np.testing.assert_allclose(remote, local, atol=1e-12)
    assert [(e.row, e.path) for e in errors] == [(e.row, e.path) for e in local_errors]
    assert [e.row for e in errors] == [4, 30]


def test_search_on_dask_reuses_cached_features_and_equals_a_local_search(data, client,
                                                                         tmp_path):
    from mmfuse.distributed import dask_backend, fit_distributed

    X, y = data["X"], data["y"]
    grid = {"fuse__weights": [None, {"text": 0.25}], "clf__C": [0.05, 10.0]}
    local = GridSearchCV(_build(), grid, cv=2, error_score="raise").fit(X, y)
    search = GridSearchCV(_build(memory=str(tmp_path)), grid, cv=2, error_score="raise")
    assert fit_distributed(search, X, y, client=client) is search
    assert search.best_params_ == local.best_params_
    np.testing.assert_allclose(search.cv_results_["mean_test_score"],
                               local.cv_results_["mean_test_score"], atol=1e-12)
    test = data["all"][["image", "text", "audio"]].iloc[24:]
    np.testing.assert_array_equal(search.predict(test), local.predict(test))
    # 4 candidates x 2 folds = 8 fits, yet each block extracted once per fold (shared cache)
    cached = tmp_path / "joblib" / "mmfuse" / "fusion" / "_early" / "_fit_transform_one"
    assert len([d for d in cached.iterdir() if d.is_dir()]) == 2 * 3
    # the caller's configuration reaches the tasks of joblib's Dask backend
    import joblib

    with config_context(device="cpu", working_memory=17), dask_backend(client):
        pids = joblib.Parallel()(joblib.delayed(os.getpid)() for _ in range(4))
        seen = joblib.Parallel()(joblib.delayed(mmfuse.get_config)() for _ in range(4))
    assert os.getpid() not in pids  # n_jobs=None: on the workers
    assert {(c["device"], c["working_memory"]) for c in seen} == {("cpu", 17)}


# ----------------------------------------------------------------- the command line

def test_cli_train_grid_and_evaluate_on_a_scheduler_equal_local_runs(data, scheduler,
                                                                     tmp_path, capsys):
    root = data["root"]

    def train(*extra):
        out = tmp_path / f"model{len(extra)}.joblib"
        code = main(["train", "--recipe", str(root / "recipe.py"), "--data",
                     str(root / "m.csv"), "--out", str(out), "--grid", "--cv", "2", "--verbose",
                     *extra])
        err = capsys.readouterr().err
        assert code == 0, err
        return out, err

    local, _ = train()
    remote, err = train("--scheduler", scheduler)
    for stage in (f"connecting to the Dask scheduler {scheduler}",
                  "Dask cluster: 1 worker(s), 2 thread(s)",
                  "2 candidates x 2 folds = 4 fits as Dask tasks",
                  "fitting the extractor(s) of image, text, audio on the workers",
                  "extracting image, text, audio", "on the client, on the fused features"):
        assert stage in err, stage
    a, b = read_metadata(local), read_metadata(remote)
    assert a["user"]["best_params"] == b["user"]["best_params"]
    assert a["user"]["cv_score"] == pytest.approx(b["user"]["cv_score"], abs=1e-12)
    assert a["user"]["test_accuracy"] == b["user"]["test_accuracy"]
    m_local, m_remote = load(local), load(remote)
    rows = data["all"][["image", "text", "audio"]]
    np.testing.assert_allclose(_dense(m_remote[0].transform(rows)),
                               _dense(m_local[0].transform(rows)), rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(m_remote.predict(rows), m_local.predict(rows))

    def evaluate(*extra):
        report = tmp_path / f"report{len(extra)}"
        code = main(["evaluate", str(local), str(root / "eval.csv"), "--report", str(report),
                     "--on-error", "skip", "--n-repeats", "1", "--quiet", *extra])
        assert code == 0, capsys.readouterr().err
        return json.loads((report / "metrics.json").read_text())

    plain, dask = evaluate(), evaluate("--scheduler", scheduler)
    for key in ("accuracy", "confusion_matrix", "misclassified", "skipped", "modalities"):
        assert dask[key] == plain[key], key
    assert [r["row"] for r in dask["skipped"]] == [6]  # row 6 of eval.csv: absent.png


@pytest.mark.parametrize("command", ["train", "evaluate"])
def test_an_unreachable_scheduler_is_one_line(data, tmp_path, capsys, monkeypatch, command):
    from mmfuse import scoring

    # the connection timeout (5 s by default, tested with `mmfuse score`) shortened
    monkeypatch.setattr(scoring._DaskClient, "__init__", functools.partialmethod(
        scoring._DaskClient.__init__, timeout=1))
    root, port = data["root"], _free_port()  # a port nobody listens on
    address = f"tcp://127.0.0.1:{port}"
    if command == "train":
        args = ["train", "--recipe", str(root / "recipe.py"), "--data", str(root / "m.csv"),
                "--out", str(tmp_path / "m.joblib")]
    else:
        model = tmp_path / "m.joblib"
        mmfuse.save(_build().fit(data["X"], data["y"]), model)
        args = ["evaluate", str(model), str(root / "m.csv"), "--split", "test", "--report",
                str(tmp_path / "r")]
    assert main([*args, "--scheduler", address]) == 1
    lines = [ln for ln in capsys.readouterr().err.splitlines()
             if ln.strip() and ": warning: " not in ln]
    assert lines[-1] == (
        f"mmfuse {command}: error: cannot reach a Dask scheduler at '{address}' within 1 s "
        f"(OSError: Timed out trying to connect to {address} after 1 s); start one (`dask "
        "scheduler`, then `dask worker ADDRESS`), check the address, or use --scheduler local "
        "(--verbose shows the traceback)")
    assert [ln for ln in lines[:-1] if ": error: " in ln] == []
    assert not (tmp_path / "r").exists() and (command == "evaluate"
                                              or not (tmp_path / "m.joblib").exists())


@pytest.mark.parametrize("fn", ["fit_distributed", "fit_transform_distributed",
                                "predict_distributed"])
def test_a_scheduler_address_as_client_is_one_line_naming_the_fix(fn):
    """An address string (or any non-Client) is refused before any work, naming the fix."""
    from mmfuse import distributed as mdist

    with pytest.raises(TypeError, match=r"client must be a distributed\.Client; got str "
                                        r"'tcp://10\.0\.0\.1:8786': pass client="
                                        r"distributed\.Client\('tcp://10\.0\.0\.1:8786'\)"):
        getattr(mdist, fn)(FeatureFusion([("a", "passthrough", "a")]),
                           pd.DataFrame({"a": [1.0]}), client="tcp://10.0.0.1:8786")


def test_the_string_local_as_client_points_to_a_local_cluster():
    from mmfuse import distributed as mdist

    with pytest.raises(TypeError, match=r"got str 'local': pass client=distributed\.Client\(\) "
                                        r"\(a LocalCluster on this machine\)"):
        mdist.fit_distributed(FeatureFusion([("a", "passthrough", "a")]),
                              pd.DataFrame({"a": [1.0]}), client="local")
