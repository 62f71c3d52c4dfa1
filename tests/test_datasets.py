import numpy as np
import pytest

from mmfuse.datasets import infer_modalities, load_av_digits, load_manifest, make_multimodal
from mmfuse.io import MMFuseInputError, load_audio, load_image


# --------------------------------------------------------------------------- manifests

def _write(tmp_path, text, name="manifest.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_manifest_resolves_relative_paths_and_missing_cells(tmp_path, nasty_corpus):
    sub = tmp_path / "clips"
    sub.mkdir()
    (sub / "a.wav").write_bytes(nasty_corpus["silent"].read_bytes())
    (tmp_path / "img.png").write_bytes(nasty_corpus["tiny_png"].read_bytes())
    p = _write(tmp_path, "id,image,audio,text,label,split\n"
                         "s1,img.png,clips/a.wav,hello world,cat,train\n"
                         "s2,,clips/a.wav,,dog,test\n")
    df = load_manifest(p, require_label=True)
    assert df.attrs["modalities"] == {"image": "image", "audio": "audio", "text": "text"}
    assert df.loc[0, "image"] == str(tmp_path / "img.png")
    assert df.loc[1, "image"] is None and df.loc[1, "text"] is None
    assert df.loc[1, "audio"] == str(sub / "a.wav")
    assert load_audio(df.loc[0, "audio"], sr=16000).shape == (16000,)
    assert load_image(df.loc[0, "image"]).shape == (1, 1)
    assert df["label"].tolist() == ["cat", "dog"]


def test_manifest_works_from_another_cwd(tmp_path, nasty_corpus, monkeypatch):
    (tmp_path / "x.png").write_bytes(nasty_corpus["tiny_png"].read_bytes())
    p = _write(tmp_path, "image,label\nx.png,1\n")
    monkeypatch.chdir("/")
    assert load_manifest(p).loc[0, "image"] == str(tmp_path / "x.png")


def test_manifest_reports_all_problems_at_once(tmp_path):
    p = _write(tmp_path, "id,image,audio,label\n"
                         "a,nope1.png,nope1.wav,0\n"
                         "b,nope2.png,,1\n")
    with pytest.raises(MMFuseInputError) as exc:
        load_manifest(p, modalities=["image", "audio", "text_title"], require_label=True)
    msg = str(exc.value)
    assert msg.startswith(f"{p}: 4 problem(s) in the manifest")
    assert "missing column(s) ['text_title']" in msg
    assert "row 0 (id a), column 'image': nope1.png: file not found" in msg
    assert "row 0 (id a), column 'audio': nope1.wav: file not found" in msg
    assert "row 1 (id b), column 'image': nope2.png: file not found" in msg


def test_manifest_missing_label_and_no_modality(tmp_path):
    p = _write(tmp_path, "image\n")
    with pytest.raises(MMFuseInputError, match=r"missing column\(s\) \['label'\]"):
        load_manifest(p, require_label=True)
    q = _write(tmp_path, "foo,label\n1,2\n", name="m2.csv")
    with pytest.raises(MMFuseInputError, match="no modality column"):
        load_manifest(q)
    with pytest.raises(MMFuseInputError, match="manifest not found"):
        load_manifest(tmp_path / "absent.csv")


def test_manifest_explicit_kinds_and_unchecked_files(tmp_path):
    p = _write(tmp_path, "photo,caption,label\nmissing.jpg,nice,1\n")
    df = load_manifest(p, modalities={"photo": "image", "caption": "text"}, check_files=False)
    assert df.loc[0, "photo"] == str(tmp_path / "missing.jpg")
    assert df.loc[0, "caption"] == "nice"
    with pytest.raises(ValueError, match="modality kind"):
        load_manifest(p, modalities={"photo": "video"})


def test_infer_modalities():
    assert infer_modalities(["image_front", "Audio", "text", "label", "id"]) == {
        "image_front": "image", "Audio": "audio", "text": "text"}


# --------------------------------------------------------------------------- synthetic

def test_make_multimodal_shapes_and_determinism():
    X, y = make_multimodal(40, 4, random_state=3)
    assert list(X.columns) == ["image", "text", "audio"] and len(X) == 40
    assert set(np.unique(y)) <= set(range(4))
    assert X.image[0].shape == (32, 32) and X.image[0].dtype == np.uint8
    assert isinstance(X.text[0], str) and 12 <= len(X.text[0].split()) <= 24
    clip, sr = X.audio[0]
    assert sr == 8000 and clip.shape == (4000,) and np.abs(clip).max() <= 0.5 + 1e-6
    X2, y2 = make_multimodal(40, 4, random_state=3)
    np.testing.assert_array_equal(y, y2)
    assert X.text.tolist() == X2.text.tolist()
    np.testing.assert_array_equal(X.image[5], X2.image[5])


def test_make_multimodal_missing_rate_keeps_one_modality():
    X, _ = make_multimodal(200, 3, missing_rate=0.5, random_state=0)
    missing = X.isna().to_numpy()
    assert 0.3 < missing.mean() < 0.5
    assert not missing.all(axis=1).any()


def test_make_multimodal_validation():
    with pytest.raises(ValueError, match="modalities"):
        make_multimodal(10, modalities=("video",))
    with pytest.raises(ValueError, match="informativeness"):
        make_multimodal(10, informativeness={"smell": 1.0})
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        make_multimodal(10, informativeness=1.5)


def _text_accuracy(X, y):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline

    return cross_val_score(make_pipeline(TfidfVectorizer(), LogisticRegression()),
                           X.text, y, cv=3).mean()


def test_informativeness_controls_signal():
    """Text carrying the class every time is learnable; text with none is at chance."""
    X, y = make_multimodal(240, 3, modalities=("text",), informativeness=1.0, random_state=0)
    assert _text_accuracy(X, y) > 0.95
    X, y = make_multimodal(240, 3, modalities=("text",), informativeness=0.0, random_state=0)
    assert _text_accuracy(X, y) < 0.5


def test_image_and_audio_carry_class_signal():
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    X, y = make_multimodal(150, 3, modalities=("image", "audio"), informativeness=1.0,
                           random_state=1)
    img = np.stack([np.abs(np.fft.fft2(im / 255.0))[:8, :8].ravel() for im in X.image])
    spec = np.stack([np.log1p(np.abs(np.fft.rfft(c))[:2000].reshape(40, 50).mean(1))
                     for c, _ in X.audio])
    for feats in (img, spec):
        acc = cross_val_score(LogisticRegression(max_iter=2000), feats, y, cv=3).mean()
        assert acc > 0.8


# --------------------------------------------------------------------------- AV digits

def test_load_av_digits_structure():
    data = load_av_digits()
    assert len(data.X) == 1500 and list(data.X.columns) == ["image", "audio"]
    assert (data.split == "train").sum() == 1000 and (data.split == "test").sum() == 500
    assert np.bincount(data.y).tolist() == [150] * 10
    img = data.X.image[0]
    assert img.shape == (28, 28) and img.dtype == np.uint8
    clip, sr = data.X.audio[0]
    assert sr == 8000 and clip.dtype == np.float32 and 0.1 < len(clip) / sr < 2.0
    assert data.frame["id"].str.contains(r"^\d_[a-z]+_\d+\+mnist\d+$").all()
    # the id's digit is the label: pairing by label
    assert (data.frame["id"].str[0].astype(int) == data.y).all()


def test_load_av_digits_degradation_is_deterministic_and_real():
    X1, y1 = load_av_digits(split="test", return_X_y=True)
    X2, _ = load_av_digits(split="test", return_X_y=True)
    clean = load_av_digits(split="test", degrade=False)
    assert len(X1) == 500
    np.testing.assert_array_equal(X1.image[7], X2.image[7])
    np.testing.assert_array_equal(X1.audio[7][0], X2.audio[7][0])
    diff = np.abs(X1.image[7].astype(int) - clean.X.image[7].astype(int)).mean()
    assert diff > 20
    c, n = clean.X.audio[7][0], X1.audio[7][0]
    snr = 10 * np.log10(np.mean(c ** 2) / np.mean((n - c) ** 2))
    assert -3 < snr < 11
    # rows keep their degradation whichever split is asked for
    full = load_av_digits()
    pos = np.flatnonzero(full.split == "test")[7]
    np.testing.assert_array_equal(full.X.image[pos], X1.image[7])
    with pytest.raises(ValueError, match="split"):
        load_av_digits(split="val")


def test_av_digits_pairs_match_shared_sources(shared_datasets):
    import soundfile as sf

    data = load_av_digits(degrade=False)
    mn = np.load(shared_datasets / "mnist" / "mnist_subset.npz")
    pool = dict(zip(np.r_[mn["train_source_index"], mn["test_source_index"]],
                    np.r_[mn["x_train"], mn["x_test"]]))
    for i in [0, 500, 1499]:
        wav, img_src = data.frame["id"][i].split("+mnist")
        y, sr = sf.read(shared_datasets / "fsdd" / "recordings" / f"{wav}.wav",
                        dtype="float32")
        np.testing.assert_allclose(data.X.audio[i][0], y, atol=1e-7)
        np.testing.assert_array_equal(data.X.image[i], pool[int(img_src)])
