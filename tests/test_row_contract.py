"""The row contract: every row in is a prediction or a reported error, in threads, on
Dask workers, from any manifest (ARCHITECTURE.md, "The row contract")."""

import os
import socket
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

import mmfuse
from mmfuse import MMFuseInputError, MMFuseInputWarning, collect_errors, config_context
from mmfuse.audio import MFCCFeatures
from mmfuse.datasets import load_manifest
from mmfuse.fusion import FeatureFusion, KernelFusionClassifier, LateFusionClassifier
from mmfuse.image import HOGFeatures
from mmfuse.persistence import load, save
from mmfuse.scoring import score_manifest

SR = 8000


@pytest.fixture(scope="module")
def av(tmp_path_factory, labelled_items):
    """40 image+audio rows on disk, a fitted early-fusion model saved to disk."""
    root = tmp_path_factory.mktemp("contract")
    rng = np.random.default_rng(0)
    rows = []
    for i in range(40):
        label = i % 2
        cv2.imwrite(str(root / f"img{i}.png"),
                    labelled_items.image(label, rng, noise=0.08, contrast=0.4))
        sf.write(root / f"clip{i}.wav", labelled_items.clip(label, rng, noise=0.05, sr=SR), SR)
        rows.append({"id": f"s{i}", "image": f"img{i}.png", "audio": f"clip{i}.wav",
                     "label": label, "split": "train"})
    frame = pd.DataFrame(rows)
    frame.to_csv(root / "train.csv", index=False)
    X = load_manifest(root / "train.csv")[["image", "audio"]]
    model = make_pipeline(
        FeatureFusion([("image", HOGFeatures(image_size=(16, 16), pixels_per_cell=(8, 8)),
                        "image"),
                       ("audio", MFCCFeatures(sr=SR, n_fft=256, hop_length=80, n_mfcc=13),
                        "audio")], missing="mean"),
        LogisticRegression(max_iter=1000))
    model.fit(X, frame.label)
    save(model, root / "model.joblib")
    return {"root": root, "model": model, "X": X, "y": frame.label.to_numpy()}


def _with_bad_rows(X, bad_at, tag):
    """``X`` with missing image files at positions ``bad_at`` (their paths name ``tag``)."""
    X = X.copy()
    for k, pos in enumerate(bad_at):
        X.iloc[pos, 0] = str(Path(X.iloc[pos, 0]).parent / f"absent-{tag}-{k}.png")
    return X


# ----------------------------------------------------------------- 1. concurrency

def test_threads_each_collect_exactly_their_own_errors(av):
    model, X = av["model"], av["X"]
    expected = model.predict_proba(X)
    failures = []

    def worker(t):
        bad_at = [(3 * t + 1) % 40, (7 * t + 5) % 40]
        Xt = _with_bad_rows(X, bad_at, f"t{t}")
        good = np.setdiff1d(np.arange(40), bad_at)
        try:
            for _ in range(4):
                with config_context(on_error="skip"), collect_errors() as errors:
                    P = model.predict_proba(Xt)
                assert sorted(e.row for e in errors) == sorted(bad_at), (t, errors)
                assert all(f"absent-t{t}-" in e.path for e in errors), (t, errors)
                np.testing.assert_allclose(P, expected[good], atol=1e-12)
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread
            failures.append((t, exc))

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not failures, failures
    # the configuration of other threads never leaks into this one
    assert mmfuse.get_config()["on_error"] == "raise"


def test_config_and_errors_follow_the_work_into_joblib_workers(av):
    from mmfuse._parallel import Parallel, delayed

    def task(x):
        from mmfuse._config import report_errors

        report_errors([MMFuseInputError("bad", row=x)])
        return mmfuse.get_config()["device"], mmfuse.get_config()["on_error"]

    for backend in ("threading", "loky"):
        with config_context(device="cpu", on_error="skip"), collect_errors() as errors:
            out = Parallel(n_jobs=2, backend=backend)(delayed(task)(i) for i in range(5))
        assert out == [("cpu", "skip")] * 5, backend
        assert [e.row for e in errors] == list(range(5)), backend


def test_set_config_is_local_to_a_thread():
    seen = {}

    def other():
        seen["device"] = mmfuse.get_config()["device"]

    with config_context(device="cpu"):
        th = threading.Thread(target=other)
        th.start()
        th.join()
        assert mmfuse.get_config()["device"] == "cpu"
    assert seen["device"] == "auto"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_score_on_a_real_dask_worker_with_threads_equals_serial(av, tmp_path):
    """A `dask scheduler` and a `dask worker --nthreads 2` on 127.0.0.1, started here."""
    pytest.importorskip("distributed")
    root = av["root"]
    rows = pd.read_csv(root / "train.csv")
    rows = pd.concat([rows] * 2, ignore_index=True).assign(id=[f"r{i}" for i in range(80)])
    for j in range(0, 80, 9):
        rows.loc[j, "image"] = f"absent{j}.png"
    rows.loc[40, ["image", "audio"]] = None
    rows.drop(columns=["label", "split"]).to_csv(root / "many.csv", index=False)
    port = _free_port()
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    procs = [subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
         "--port", str(port), "--no-dashboard"], cwd=tmp_path, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", f"tcp://127.0.0.1:{port}",
             "--nthreads", "2", "--nworkers", "1", "--host", "127.0.0.1", "--no-dashboard",
             "--local-directory", str(tmp_path)], cwd=tmp_path, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        from distributed import Client

        deadline = time.monotonic() + 60
        while True:
            try:
                with Client(f"tcp://127.0.0.1:{port}", timeout=5) as client:
                    client.wait_for_workers(1, timeout=60)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        run = lambda *a: subprocess.run(  # noqa: E731
            [sys.executable, "-m", "mmfuse", "score", str(root / "model.joblib"),
             str(root / "many.csv"), "--proba", "--on-error", "skip", "--chunk-size", "5",
             "--quiet", *a], capture_output=True, text=True, timeout=300, cwd=tmp_path)
        serial = run("--out", str(tmp_path / "serial.csv"))
        assert serial.returncode == 0, serial.stderr
        dask = run("--out", str(tmp_path / "dask.csv"), "--scheduler",
                   f"tcp://127.0.0.1:{port}")
        assert dask.returncode == 0, dask.stderr
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
    a, b = pd.read_csv(tmp_path / "serial.csv"), pd.read_csv(tmp_path / "dask.csv")
    pd.testing.assert_frame_equal(a, b)
    ea = pd.read_csv(tmp_path / "serial.csv.errors.csv")
    pd.testing.assert_frame_equal(ea, pd.read_csv(tmp_path / "dask.csv.errors.csv"))
    assert len(a) + len(ea) == 80 and not set(a.row) & set(ea.row)
    assert ea.row.tolist() == sorted(ea.row) and ea.loc[ea.id == "r40", "cause"].str.startswith(
        "no modality is present").all()


# ----------------------------------------------------------------- 2. bad rows leave early

class SpyHOG(HOGFeatures):
    """HOGFeatures that records every item its transform receives."""

    seen: list = []

    def transform(self, X):
        SpyHOG.seen.extend(list(X))
        return super().transform(X)


class SpyClassifier(ClassifierMixin, BaseEstimator):
    """A logistic regression that records how many rows each predict call receives."""

    calls: list = []

    def fit(self, X, y):
        self.lr_ = LogisticRegression(max_iter=1000).fit(X, y)
        self.classes_ = self.lr_.classes_
        return self

    def predict_proba(self, X):
        SpyClassifier.calls.append(X.shape[0])
        return self.lr_.predict_proba(X)

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


@pytest.mark.parametrize("fuser", ["early", "late", "kernel"])
def test_skipped_rows_never_reach_an_extractor_or_the_classifier(av, fuser):
    X, y = av["X"], av["y"]
    hog = SpyHOG(image_size=(16, 16), pixels_per_cell=(8, 8))
    mfcc = MFCCFeatures(sr=SR, n_fft=256, hop_length=80, n_mfcc=13)
    if fuser == "early":
        model = make_pipeline(FeatureFusion([("image", hog, "image"), ("audio", mfcc, "audio")],
                                            missing="mean"), SpyClassifier())
    elif fuser == "kernel":
        model = KernelFusionClassifier([("image", hog, "image", "rbf"),
                                        ("audio", mfcc, "audio", "rbf")],
                                       estimator=SpyClassifier())
    else:
        model = LateFusionClassifier([("image", make_pipeline(hog, SpyClassifier()), "image"),
                                      ("audio", make_pipeline(mfcc, SpyClassifier()), "audio")])
    model.fit(X, y)
    Xb = _with_bad_rows(X, [4, 9], "spy")
    Xb.iloc[12, :] = None  # no modality at all
    SpyHOG.seen.clear()
    SpyClassifier.calls.clear()
    with config_context(on_error="skip"), collect_errors() as errors:
        P = model.predict_proba(Xb)
    assert [e.row for e in errors] == [4, 9, 12]
    assert errors[2].cause.startswith("no modality is present")
    assert P.shape[0] == 37
    assert not any("absent-spy" in str(v) for v in SpyHOG.seen)
    assert len(SpyHOG.seen) == 37
    assert SpyClassifier.calls and max(SpyClassifier.calls) == 37
    np.testing.assert_allclose(P, model.predict_proba(X.drop(index=[4, 9, 12])), atol=1e-12)


def test_fitting_raises_whatever_on_error_says(av):
    X, y = av["X"], av["y"]
    Xb = _with_bad_rows(X, [3], "fit")
    model = make_pipeline(FeatureFusion(
        [("image", HOGFeatures(image_size=(16, 16), pixels_per_cell=(8, 8)), "image")]),
        LogisticRegression())
    with config_context(on_error="skip"), pytest.raises(MMFuseInputError,
                                                        match="row 3, column 'image'.*not found"):
        model.fit(Xb, y)


# ----------------------------------------------------------------- 3. no modality, duplicates

@pytest.mark.parametrize("kind", ["early", "late", "kernel"])
def test_a_row_with_no_modality_is_an_error_row(av, tmp_path, kind):
    root = av["root"]
    if kind == "kernel":
        model = KernelFusionClassifier(
            [("image", HOGFeatures(image_size=(16, 16), pixels_per_cell=(8, 8)), "image", "rbf"),
             ("audio", MFCCFeatures(sr=SR, n_fft=256, hop_length=80, n_mfcc=13), "audio",
              "rbf")]).fit(av["X"], av["y"])
        save(model, tmp_path / "model.joblib")
        path = tmp_path / "model.joblib"
    elif kind == "late":
        model = LateFusionClassifier(
            [("image", make_pipeline(HOGFeatures(image_size=(16, 16), pixels_per_cell=(8, 8)),
                                     LogisticRegression()), "image"),
             ("audio", make_pipeline(MFCCFeatures(sr=SR, n_fft=256, hop_length=80, n_mfcc=13),
                                     LogisticRegression()), "audio")]).fit(av["X"], av["y"])
        save(model, tmp_path / "model.joblib")
        path = tmp_path / "model.joblib"
    else:
        path = root / "model.joblib"
    lines = (root / "train.csv").read_text().splitlines()
    lines.insert(15, "bad-14,,,4,test")
    manifest = root / f"nomodality-{kind}.csv"  # beside the files its paths name
    manifest.write_text("\n".join(lines) + "\n")
    model = load(path)
    with pytest.raises(MMFuseInputError, match=r"row 14 \(id bad-14\): no modality is present"):
        score_manifest(model, manifest, tmp_path / "r.csv")
    s = score_manifest(model, manifest, tmp_path / "p.csv", on_error="skip", chunk_size=4)
    out, errs = pd.read_csv(tmp_path / "p.csv"), pd.read_csv(s.errors_path)
    assert s.n_rows == 41 and len(out) == 40 and "bad-14" not in set(out.id)
    assert errs.id.tolist() == ["bad-14"] and errs.row.tolist() == [14]
    assert errs.cause[0].startswith("no modality is present")
    # the Python API: the fusers refuse it too
    X = load_manifest(manifest)[["image", "audio"]]
    with pytest.raises(MMFuseInputError, match="row 14: no modality is present"):
        model.predict(X)


def test_duplicate_ids_are_named_once(av, tmp_path):
    frame = pd.read_csv(av["root"] / "train.csv")
    frame.loc[[3, 17], "id"] = "dup-a"
    frame.loc[[5, 6, 30], "id"] = "dup-b"
    frame["image"] = [str(av["root"] / p) for p in frame.image]
    frame["audio"] = [str(av["root"] / p) for p in frame.audio]
    frame.to_csv(tmp_path / "d.csv", index=False)
    for call in (lambda: load_manifest(tmp_path / "d.csv"),
                 lambda: score_manifest(av["model"], tmp_path / "d.csv", tmp_path / "o.csv")):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            call()
        msgs = [str(x.message) for x in w if issubclass(x.category, MMFuseInputWarning)
                and "occur on more than one row" in str(x.message)]
        assert len(msgs) == 1
        assert "'dup-a' on rows 3, 17" in msgs[0] and "'dup-b' on rows 5, 6, 30" in msgs[0]


# ----------------------------------------------------------------- 4. unseen classes

def _unseen_class_problem(n_classes, unseen, n_per_class=30, seed=0):
    """Image column separates every class; the audio column is NaN for every training row of
    ``unseen`` classes and weakly informative otherwise."""
    rng = np.random.default_rng(seed)
    labels = np.array(list("abcd"[:n_classes]))

    def draw(n):
        y = np.repeat(labels, n)
        k = np.searchsorted(labels, y)
        img = np.eye(n_classes)[k] * 3 + rng.normal(0, 0.6, (len(y), n_classes))
        aud = np.eye(n_classes)[k] * 0.8 + rng.normal(0, 1.0, (len(y), n_classes))
        X = pd.DataFrame({**{f"i{j}": img[:, j] for j in range(n_classes)},
                          **{f"a{j}": aud[:, j] for j in range(n_classes)}})
        return X, y

    Xtr, ytr = draw(n_per_class)
    Xtr.loc[np.isin(ytr, list(unseen)), [f"a{j}" for j in range(n_classes)]] = np.nan
    Xte, yte = draw(n_per_class)
    return Xtr, ytr, Xte, yte, n_classes


@pytest.mark.parametrize("rule", ["mean", "weighted", "product", "geometric", "max", "min",
                                  "median", "vote", "stack", "learn"])
@pytest.mark.parametrize("unseen", [("c",), ("c", "d")])
def test_a_member_that_never_saw_a_class_neither_vetoes_nor_dilutes_it(rule, unseen):
    Xtr, ytr, Xte, yte, k = _unseen_class_problem(3 if unseen == ("c",) else 4, unseen)
    icols = [f"i{j}" for j in range(k)]
    acols = [f"a{j}" for j in range(k)]
    image = LogisticRegression(max_iter=1000)
    kw = {"rule": "weighted", "weights": "learn"} if rule == "learn" else {"rule": rule}
    clf = LateFusionClassifier([("image", image, icols),
                                ("audio", LogisticRegression(max_iter=1000), acols)], cv=3, **kw)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        clf.fit(Xtr, ytr)
    said = [str(x.message) for x in w if "saw only classes" in str(x.message)]
    assert len(said) == 1
    seen = ", ".join(c for c in "abcd"[:k] if c not in unseen)
    assert f"member 'audio' saw only classes {seen}" in said[0]
    np.testing.assert_array_equal(clf.class_coverage_[1], [c not in unseen for c in "abcd"[:k]])
    solo = LogisticRegression(max_iter=1000).fit(Xtr[icols], ytr).predict(Xte[icols])
    fused = clf.predict(Xte)
    P = clf.predict_proba(Xte)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    for c in unseen:
        recall_solo = np.mean(solo[yte == c] == c)
        recall = np.mean(fused[yte == c] == c)
        assert recall >= recall_solo - 0.05, (rule, c, recall, recall_solo)
    if rule != "vote":  # two voters tie on the seen classes (ties go to the first class)
        assert np.mean(fused == yte) >= np.mean(solo == yte) - 0.05


def test_combine_is_the_plain_rule_when_every_class_is_known():
    from mmfuse.fusion import combine

    rng = np.random.default_rng(1)
    P = rng.dirichlet(np.ones(4), size=(3, 20))
    present = rng.random((3, 20)) > 0.3
    present[0] = True
    w = np.array([1.0, 2.0, 0.5])
    for rule in ("mean", "product", "geometric", "max", "min", "median", "vote"):
        np.testing.assert_allclose(combine(rule, P, present, w),
                                   combine(rule, P, present, w, np.ones((3, 4), bool)))
    # a class model 1 never saw: model 1 is left out for it, weights renormalised
    known = np.ones((3, 4), bool)
    known[1, 3] = False
    both = np.ones((3, 20), bool)
    out = combine("mean", P, both, w, known)
    raw = (w[0] * P[0] + w[1] * P[1] + w[2] * P[2]) / w.sum()
    raw[:, 3] = (w[0] * P[0, :, 3] + w[2] * P[2, :, 3]) / (w[0] + w[2])
    np.testing.assert_allclose(out, raw / raw.sum(axis=1, keepdims=True))


# ----------------------------------------------------------------- 5. text that reads like NA

def test_text_that_reads_like_a_missing_value_is_text(tmp_path):
    from mmfuse.text import TfidfText

    words = ["NA", "None", "null", "n/a", "NaN", "nan", "NULL", "#N/A"]
    rows = [{"id": f"t{i}", "text": w if i < len(words) else f"hello number {i}",
             "label": i % 2} for i, w in enumerate(words + [""] * 12)]
    rows[-1]["text"] = ""  # the only missing cell
    pd.DataFrame(rows).to_csv(tmp_path / "t.csv", index=False)
    frame = load_manifest(tmp_path / "t.csv")
    assert frame.text.tolist()[:len(words)] == words
    assert frame.text.iloc[-1] is None and frame.text.iloc[:-1].notna().all()
    model = make_pipeline(FeatureFusion([("text", TfidfText(analyzer="word",
                                                            ngram_range=(1, 1)), "text")],
                                        missing="zero"), LogisticRegression())
    model.fit(frame[["text"]].iloc[:-1], frame.label.iloc[:-1])
    save(model, tmp_path / "m.joblib")
    s = score_manifest(load(tmp_path / "m.joblib"), tmp_path / "t.csv", tmp_path / "o.csv",
                       on_error="skip")
    out = pd.read_csv(tmp_path / "o.csv", keep_default_na=False)
    assert s.n_errors == 1 and pd.read_csv(s.errors_path).id.tolist() == ["t19"]
    assert out.id.tolist() == [f"t{i}" for i in range(19)]


# ----------------------------------------------------------------- 6. one reader, one decoding

def _round_trip(tmp_path, raw_bytes, *, encoding=None):
    (tmp_path / "m.csv").write_bytes(raw_bytes)
    frame = load_manifest(tmp_path / "m.csv", encoding=encoding)
    from mmfuse.text import TfidfText

    model = make_pipeline(FeatureFusion([("text", TfidfText(analyzer="char",
                                                            char_ngram_range=(1, 3)), "text")]),
                          LogisticRegression(C=100, max_iter=2000))
    model.fit(frame[["text"]], frame.label)
    save(model, tmp_path / "model.joblib")
    args = [sys.executable, "-m", "mmfuse", "score", str(tmp_path / "model.joblib"),
            str(tmp_path / "m.csv"), "--out", str(tmp_path / "p.csv"), "--proba", "--quiet"]
    if encoding:
        args += ["--encoding", encoding]
    res = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    out = pd.read_csv(tmp_path / "p.csv")
    expected = model.predict_proba(frame[["text"]])
    np.testing.assert_allclose(out[[f"proba_{c}" for c in model.classes_]].to_numpy(),
                               expected, rtol=0, atol=1e-9)
    return frame


TEXTS = ["crème brûlée", "creme brulee", "café au lait", "naïve façade", "plain tea",
         "Smörgåsbord", "jalapeño", "cafe", "déjà vu", "fiancée"] * 2


def _csv_text():
    return "id,text,label\n" + "".join(f"r{i},{t},{i % 2}\n" for i, t in enumerate(TEXTS))


@pytest.mark.parametrize("bom", [False, True])
def test_utf8_manifest_round_trip_gives_identical_probabilities(tmp_path, bom):
    raw = ("\ufeff" if bom else "") + _csv_text()
    frame = _round_trip(tmp_path, raw.encode("utf-8"))
    assert list(frame.columns) == ["id", "text", "label"]
    assert frame.text.tolist() == TEXTS


def test_non_utf8_manifest_is_refused_or_read_as_told(tmp_path):
    raw = _csv_text().encode("latin-1")
    frame = _round_trip(tmp_path, raw, encoding="latin-1")  # explicit: read as told
    assert frame.text.tolist() == TEXTS
    with pytest.raises(MMFuseInputError, match=r"m\.csv: not valid UTF-8: byte\(s\) 0xe8 at "
                                               r"offset 19 \(line 2\).*encoding='latin-1'"):
        load_manifest(tmp_path / "m.csv")
    model = load(tmp_path / "model.joblib")
    with pytest.raises(MMFuseInputError, match="not valid UTF-8"):
        score_manifest(model, tmp_path / "m.csv", tmp_path / "never.csv")
    assert not (tmp_path / "never.csv").exists()
    res = subprocess.run([sys.executable, "-m", "mmfuse", "score", str(tmp_path / "model.joblib"),
                          str(tmp_path / "m.csv"), "--out", str(tmp_path / "o.csv")],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert "not valid UTF-8: byte(s) 0xe8 at offset 19 (line 2)" in res.stderr
    assert not (tmp_path / "o.csv").exists()


# ----------------------------------------------------------------- 7. the device knob

def test_every_estimator_follows_the_configured_device(monkeypatch):
    from mmfuse.image import SIFTFeatures
    from mmfuse.text import TfidfText  # noqa: F401 - has no device

    for est in (HOGFeatures(), MFCCFeatures(), SIFTFeatures()):
        assert est.get_params()["device"] is None, type(est).__name__
    from mmfuse import _backend

    seen = []  # the devices that _backend.dispatch resolves for the extractor
    real = _backend.namespace_for
    monkeypatch.setattr(_backend, "namespace_for", lambda d: seen.append(d) or real("cpu"))
    hf = HOGFeatures(image_size=(16, 16), pixels_per_cell=(8, 8)).fit([np.zeros((16, 16))])
    with config_context(device="cpu"):
        hf.transform([np.eye(16)])
    assert seen[-1] == "cpu"


def test_cli_device_reaches_fitted_extractors_of_a_cuda_model(av, tmp_path):
    from mmfuse._config import follow_configured_device

    model = load(av["root"] / "model.joblib")
    fuse = model.steps[0][1]
    for _, t, _ in fuse.transformers_:
        t.set_params(device="cuda")  # as if fitted on a GPU host
    save(model, tmp_path / "cuda.joblib")
    (tmp_path / "m.csv").write_text(
        (av["root"] / "train.csv").read_text().replace("img", str(av["root"]) + "/img")
        .replace("clip", str(av["root"]) + "/clip"))
    if not mmfuse._backend.cuda_available():
        with pytest.raises(RuntimeError, match="(?i)cuda"):
            load(tmp_path / "cuda.joblib").predict(av["X"])
    res = subprocess.run([sys.executable, "-m", "mmfuse", "score", str(tmp_path / "cuda.joblib"),
                          str(tmp_path / "m.csv"), "--out", str(tmp_path / "o.csv"), "--device",
                          "cpu", "--quiet"], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    np.testing.assert_array_equal(pd.read_csv(tmp_path / "o.csv").prediction,
                                  av["model"].predict(av["X"]))
    changed = follow_configured_device(load(tmp_path / "cuda.joblib"))
    assert sorted(changed) == ["HOGFeatures", "MFCCFeatures"]


# ----------------------------------------------------------------- 8. errors in manifest order

def test_errors_file_is_in_manifest_order_whatever_the_chunk_size(av, tmp_path):
    root = av["root"]
    frame = pd.read_csv(root / "train.csv")
    frame["image"] = [str(root / p) for p in frame.image]
    frame["audio"] = [str(root / p) for p in frame.audio]
    frame.loc[[2, 11, 12, 25], "image"] = "absent.png"
    frame.loc[[7, 12, 33], "audio"] = str(tmp_path / "absent.wav")
    frame.loc[20, ["image", "audio"]] = None
    frame.to_csv(tmp_path / "e.csv", index=False)
    got = []
    for chunk in (1, 3, 7, 100):
        s = score_manifest(av["model"], tmp_path / "e.csv", tmp_path / f"o{chunk}.csv",
                           on_error="skip", chunk_size=chunk)
        got.append(pd.read_csv(s.errors_path))
    assert got[0].row.tolist() == [2, 7, 11, 12, 20, 25, 33]
    for g in got[1:]:
        pd.testing.assert_frame_equal(g, got[0])


# ----------------------------------------------------------------- found by a newcomer

def test_missing_zero_means_no_contribution_for_product_and_average(av):
    X, y = av["X"], av["y"]
    blocks = [("image", HOGFeatures(image_size=(16, 16), pixels_per_cell=(8, 8)), "image"),
              ("audio", MFCCFeatures(sr=SR, n_fft=256, hop_length=80, n_mfcc=13), "audio")]
    Xm = X.copy()
    Xm.loc[:9, "audio"] = None
    for strategy in ("product", "average"):
        fuse = FeatureFusion(blocks, strategy=strategy, common_dim=8, missing="zero").fit(X, y)
        Z, full = fuse.transform(Xm), fuse.transform(X)
        assert np.abs(Z[:10]).sum(axis=1).min() > 0  # never an all-zero row
        image = fuse.posts_[0].transform(fuse.named_transformers_["image"].transform(
            X.image[:10]))
        # the image block alone: the product with the neutral block, the mean over one block
        np.testing.assert_allclose(Z[:10], image, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(Z[10:], full[10:], rtol=1e-6)


def test_rows_whose_present_blocks_all_weigh_zero_are_error_rows(av):
    X, y = av["X"], av["y"]
    fuse = FeatureFusion([("image", HOGFeatures(image_size=(16, 16), pixels_per_cell=(8, 8)),
                           "image"),
                          ("audio", MFCCFeatures(sr=SR, n_fft=256, hop_length=80, n_mfcc=13),
                           "audio")], strategy="weighted", weights={"audio": 0.0},
                         missing="zero").fit(X, y)
    Xm = X.copy()
    Xm.loc[[3, 7], "image"] = None
    with pytest.raises(MMFuseInputError, match=r"row 3: only modalities of weight 0 are present "
                                               r"\(\['audio'\].*\(and 1 more error row"):
        fuse.transform(Xm)
    with config_context(on_error="skip"), collect_errors() as errors:
        assert fuse.transform(Xm).shape[0] == 38
    assert [e.row for e in errors] == [3, 7]


def test_skipped_rows_are_named_in_a_warning_without_collect_errors(av):
    Xb = _with_bad_rows(av["X"], [2, 5], "warn")
    with config_context(on_error="skip"), pytest.warns(
            MMFuseInputWarning, match=r"2 row\(s\) left out under on_error='skip' \(row 2, "
                                      r"column 'image', .*absent-warn-0.png: file not found; "
                                      r"row 5.*collect them with mmfuse.collect_errors"):
        assert av["model"].predict(Xb).shape == (38,)


def test_a_wider_frame_with_reordered_columns_is_accepted_as_columntransformer_does(av):
    X, model = av["X"], av["model"]
    wide = X[["audio", "image"]].assign(id=[f"s{i}" for i in range(len(X))], label=av["y"])
    np.testing.assert_array_equal(model.predict(wide), model.predict(X))
    with pytest.raises(ValueError, match="audio"):  # a fitted column absent: still an error
        model.predict(X[["image"]].assign(other=1))


def test_the_first_error_row_is_named_whatever_the_chunk_size(av, tmp_path):
    root = av["root"]
    frame = pd.read_csv(root / "train.csv")
    frame["image"] = [str(root / p) for p in frame.image]
    frame["audio"] = [str(root / p) for p in frame.audio]
    frame.loc[6, "audio"] = str(tmp_path / "absent.wav")   # row 6: a bad clip
    frame.loc[9, "image"] = str(tmp_path / "absent.png")   # row 9: a bad image
    frame.loc[30, ["image", "audio"]] = None                # row 30: nothing at all
    frame.to_csv(tmp_path / "f.csv", index=False)
    for chunk in (4, 8, 1000):
        with pytest.raises(MMFuseInputError, match=r"^row 6 \(id s6\), column 'audio'.*"
                                                   r"absent.wav: file not found"):
            score_manifest(av["model"], tmp_path / "f.csv", tmp_path / "o.csv",
                           chunk_size=chunk)


def test_config_keys_and_empty_paths_have_plain_messages():
    with pytest.raises(TypeError, match=r"unknown configuration key\(s\) \['bogus'\]; the keys "
                                        r"are \['device', 'on_error', 'progress', "
                                        r"'working_memory'\]"):
        with config_context(bogus=1):
            pass
    from mmfuse.io import load_audio, load_image

    for loader in (load_image, load_audio):
        with pytest.raises(MMFuseInputError, match=r"row 0, column 'x': the path is empty"):
            loader("  ", row=0, column="x")


def test_a_utf8_bom_file_read_with_another_encoding_is_refused(tmp_path):
    (tmp_path / "b.csv").write_bytes("\ufeffid,text,label\na,café,1\n".encode("utf-8"))
    with pytest.raises(MMFuseInputError, match=r"starts with a UTF-8 byte-order mark.*"
                                               r"encoding='iso8859-1' was given"):
        load_manifest(tmp_path / "b.csv", encoding="latin-1")
    assert load_manifest(tmp_path / "b.csv").text.tolist() == ["café"]
