"""MFCCFeatures: pooled statistics vs librosa, batching, robustness options, bad input."""

import pickle
import warnings

import librosa
import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from scipy.signal import savgol_filter
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from mmfuse import collect_errors, config_context
from mmfuse.audio import MFCCFeatures
from mmfuse.audio import _spectral as sp
from mmfuse.io import MMFuseInputError

SR = 16000
PLAIN = {"loudness": None, "top_db": 80.0, "trim_db": None, "cmvn": None, "n_segments": 0}


def lib_mfcc(y, sr=SR):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return librosa.feature.mfcc(y=y, sr=sr, n_mfcc=20, n_fft=512, hop_length=160,
                                    n_mels=40)


@pytest.fixture
def clips(rng):
    t = np.arange(SR) / SR
    out = []
    for i, n in enumerate([16000, 3000, 15000, 900, 8000, 7000]):  # mixed lengths
        tone = 0.3 * np.sin(2 * np.pi * (300 + 150 * i) * t[:n])
        out.append((tone + 0.05 * rng.standard_normal(n)).astype(np.float32))
    return out


def reference_features(y, deltas=2, stats=("mean", "std")):
    m = lib_mfcc(y)
    n = m.shape[1]  # librosa refuses width > n frames: documented fallback = widest odd window
    width = 9 if n >= 9 else (n if n % 2 else n - 1)
    mats = [m] + [librosa.feature.delta(m, order=o, width=width) for o in range(1, deltas + 1)]
    fn = {"mean": np.mean, "std": np.std, "min": np.min, "max": np.max}
    return np.concatenate([fn[s](x, axis=1) for x in mats for s in stats])


def test_pooled_stats_equal_librosa_per_clip(clips):
    stats = ("mean", "std", "min", "max")
    feats = MFCCFeatures(stats=stats, **PLAIN).fit_transform(clips)
    assert feats.dtype == np.float32 and feats.shape == (len(clips), 20 * 3 * 4)
    for i, y in enumerate(clips):
        ref = reference_features(y, stats=stats)
        assert np.abs(feats[i] - ref).max() <= 1e-3 * np.abs(ref).max()
        # the pooled mean block is the mean of librosa's frames of that clip
        mean = lib_mfcc(y).mean(axis=1)
        assert np.abs(feats[i, :20] - mean).max() <= 1e-3 * np.abs(mean).max()


def test_batching_does_not_change_features(clips):
    """Clips padded together in one batch equal clips computed one at a time."""
    ext = MFCCFeatures().fit(clips)
    together = ext.transform(clips)
    alone = np.vstack([ext.transform([c]) for c in clips])
    np.testing.assert_allclose(together, alone, rtol=1e-4, atol=1e-4)
    with config_context(working_memory=1):
        np.testing.assert_allclose(ext.transform(clips), together, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("width", [9, 5])
def test_delta_equals_librosa_on_valid_frames(order, width, rng):
    """Batched savgol with mode='interp' edges over frames [start, stop) of each clip."""
    x = rng.standard_normal((3, 4, 40)).astype(np.float64)
    start, stop = np.array([0, 5, 2]), np.array([40, 31, 14])
    out = sp.savgol_delta(np, x, start, stop, order=order, width=width)
    for i in range(3):
        seg = x[i, :, start[i]:stop[i]]
        ref = librosa.feature.delta(seg, order=order, width=width)
        np.testing.assert_allclose(out[i, :, start[i]:stop[i]], ref, rtol=1e-10, atol=1e-10)


def test_delta_short_clips_use_widest_window_that_fits(rng):
    x = rng.standard_normal((4, 2, 12))
    start, stop = np.zeros(4, int), np.array([7, 6, 3, 2])
    out = sp.savgol_delta(np, x, start, stop, order=2, width=9)
    for i, w in enumerate([7, 5, 3]):
        ref = savgol_filter(x[i, :, : stop[i]], w, 2, deriv=2, mode="interp", axis=-1)
        np.testing.assert_allclose(out[i, :, : stop[i]], ref, atol=1e-10)
    assert np.all(out[3, :, :2] == 0)  # 2 frames: no second derivative


def test_trimming_ignores_leading_and_trailing_silence(rng):
    speech = (0.3 * rng.standard_normal(4000)).astype(np.float32)
    padded = np.concatenate([np.zeros(3000, np.float32), speech, np.zeros(5000, np.float32)])
    ext = MFCCFeatures(trim_db=25.0, cmvn=None, loudness=None, n_segments=0, deltas=0)
    a, b = ext.fit_transform([speech, padded])
    untrimmed = MFCCFeatures(trim_db=None, cmvn=None, loudness=None, n_segments=0,
                             deltas=0).fit_transform([speech, padded])
    # trimmed statistics of the padded clip are close to those of the bare clip
    assert np.abs(a - b).max() < 0.2 * np.abs(untrimmed[0] - untrimmed[1]).max()


def test_loudness_normalisation_makes_features_gain_invariant(clips):
    y = clips[0]
    f = MFCCFeatures().fit_transform([y, 0.05 * y])
    np.testing.assert_allclose(f[0], f[1], rtol=1e-3, atol=1e-3)
    g = MFCCFeatures(loudness=None).fit_transform([y, 0.05 * y])
    assert abs(g[0, 0] - g[1, 0]) > 10  # c0 mean moves by ~26 dB * sqrt(40) without it


def test_cmvn_and_segments(clips):
    ext = MFCCFeatures(cmvn="meanvar", n_segments=3, deltas=0, trim_db=None,
                       loudness=None, top_db=80.0).fit(clips)
    f = ext.transform(clips[:1])[0]
    m = lib_mfcc(clips[0])
    # static stats are the utterance's own; segments are CMVN-normalised thirds
    np.testing.assert_allclose(f[:20], m.mean(axis=1), rtol=1e-3, atol=1e-2)
    z = (m - m.mean(axis=1, keepdims=True)) / m.std(axis=1, keepdims=True)
    t = m.shape[1]
    bounds = [0, t // 3, 2 * t // 3, t]
    segs = np.concatenate([z[:, bounds[j]:bounds[j + 1]].mean(axis=1) for j in range(3)])
    np.testing.assert_allclose(f[40:], segs, atol=2e-3)
    names = ext.get_feature_names_out()
    assert list(names[40:42]) == ["seg0_mfcc0_mean", "seg0_mfcc1_mean"]


def test_feature_names():
    ext = MFCCFeatures(n_mfcc=13).fit(np.zeros((2, 1000), np.float32))
    names = ext.get_feature_names_out()
    assert len(names) == ext.n_features_out_ == 13 * (3 * 2 + 6)
    assert names[3] == "mfcc3_mean" and names[13 + 3] == "mfcc3_std"
    assert "d1_mfcc3_std" in names and "d2_mfcc12_mean" in names
    out = ext.set_output(transform="pandas").transform(np.zeros((2, 1000), np.float32))
    assert list(out.columns) == list(names)


def test_input_forms_paths_tuples_stereo_resampling(tmp_path, rng):
    y = (0.1 * rng.standard_normal(SR)).astype(np.float32)
    sf.write(tmp_path / "a.wav", y, SR, subtype="FLOAT")
    stereo = np.stack([y, y], axis=1)
    sf.write(tmp_path / "stereo.wav", stereo, SR, subtype="FLOAT")
    y8 = librosa.resample(y, orig_sr=SR, target_sr=8000)
    sf.write(tmp_path / "a8k.flac", y8, 8000)
    ext = MFCCFeatures().fit([y])
    f = ext.transform([str(tmp_path / "a.wav"), y, (y, SR), str(tmp_path / "stereo.wav"),
                       (stereo.T, SR)])
    for i in range(1, 5):
        np.testing.assert_allclose(f[i], f[0], rtol=1e-3, atol=1e-3)
    resampled = ext.transform([str(tmp_path / "a8k.flac"), (y8, 8000)])
    np.testing.assert_allclose(resampled[0], resampled[1], rtol=1e-3, atol=1e-3)
    assert np.all(np.isfinite(resampled))


def test_max_duration_keeps_the_start(tmp_path, clips):
    y = clips[0]  # 1 s
    sf.write(tmp_path / "a.wav", y, SR, subtype="FLOAT")
    ext = MFCCFeatures(max_duration=0.25).fit([y])
    f = ext.transform([y, str(tmp_path / "a.wav"), (y, SR)])
    ref = MFCCFeatures().fit_transform([y[:4000]])[0]
    for row in f:
        np.testing.assert_allclose(row, ref, rtol=1e-4, atol=1e-4)


def test_missing_items_give_nan_rows(clips):
    f = MFCCFeatures().fit(clips).transform(pd.Series([clips[0], None, np.nan, clips[1]]))
    assert np.isnan(f[1]).all() and np.isnan(f[2]).all()
    assert np.isfinite(f[[0, 3]]).all()


def test_clip_shorter_than_one_frame_is_handled():
    f = MFCCFeatures().fit_transform([np.full(5, 0.1, np.float32), np.array([0.3], np.float32)])
    assert f.shape == (2, 240) and np.isfinite(f).all()


@pytest.mark.parametrize("item, match", [
    (np.zeros(0, np.float32), "row 1, column 'audio': clip has no samples"),
    (np.full(100, np.nan, np.float32), "row 1, column 'audio': clip contains 100 NaN"),
    (12345, "row 1, column 'audio': expected an audio path, array or .* got int"),
    ("does/not/exist.wav", "row 1, column 'audio', does/not/exist.wav: file not found"),
])
def test_bad_items_raise_naming_row_and_cause(item, match, clips):
    X = pd.DataFrame({"audio": [clips[0], item]})
    with pytest.raises(MMFuseInputError, match=match):
        MFCCFeatures().fit(X).transform(X)


def test_unreadable_file(tmp_path, clips):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF\x00\x00garbage" * 8)
    with pytest.raises(MMFuseInputError, match="row 0, .*bad.wav: cannot decode audio"):
        MFCCFeatures().fit_transform([str(bad)])


def test_on_error_skip_leaves_bad_clips_out_and_reports(tmp_path, clips):
    batch = [clips[0], str(tmp_path / "nope.wav"), clips[1]]
    mf = MFCCFeatures().fit(batch)
    with config_context(on_error="skip"), collect_errors() as errors:
        f = mf.transform(batch)
    np.testing.assert_array_equal(f, mf.transform([clips[0], clips[1]]))
    assert [e.row for e in errors] == [1] and "file not found" in errors[0].cause
    # fitting cannot drop a row without its label: it raises whatever on_error says
    with config_context(on_error="skip"), pytest.raises(MMFuseInputError, match="row 1"):
        MFCCFeatures().fit_transform(batch)


def test_pipeline_clone_pickle(clips, rng):
    X = clips * 4
    y = np.arange(len(X)) % len(clips)
    pipe = make_pipeline(MFCCFeatures(n_mfcc=13), StandardScaler(), SVC())
    pipe.fit(X, y)
    assert (pipe.predict(X) == y).mean() == 1.0
    again = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(again.predict(X), pipe.predict(X))
    c = clone(pipe)
    assert c.get_params()["mfccfeatures__n_mfcc"] == 13
    assert not hasattr(c.named_steps["mfccfeatures"], "n_features_out_")


@pytest.mark.parametrize("bad, match", [
    ({"stats": ("mean", "median")}, "stats must be"),
    ({"delta_width": 8}, "delta_width must be an odd"),
    ({"n_mfcc": 60}, "cannot exceed n_mels"),
    ({"cmvn": "full"}, "'cmvn' parameter"),
    ({"power": float("nan")}, "The 'power' parameter of MFCCFeatures"),
    ({"mel_norm": float("nan")}, "The 'mel_norm' parameter of MFCCFeatures"),
    ({"top_db": float("inf")}, "The 'top_db' parameter of MFCCFeatures"),
    ({"dct_type": 0}, "The 'dct_type' parameter of MFCCFeatures"),
    ({"pad_mode": "mean"}, "The 'pad_mode' parameter of MFCCFeatures"),
    ({"win_length": 1024}, "win_length=1024 cannot exceed n_fft=512"),
    ({"window": "nope"}, "window='nope' is not a window"),
])
def test_bad_parameters(bad, match, clips):
    with pytest.raises(ValueError, match=match):
        MFCCFeatures(**bad).fit(clips)


PEER_OPTIONS = [
    {"dct_type": 3}, {"dct_type": 1, "norm": None}, {"htk": True}, {"mel_norm": None},
    {"mel_norm": 1.0}, {"window": "hamming"}, {"window": ("kaiser", 8.0)}, {"win_length": 400},
    {"power": 1.0}, {"pad_mode": "reflect"}, {"pad_mode": "edge"}, {"center": False},
]


@pytest.mark.parametrize("kw", PEER_OPTIONS,
                         ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()))
def test_librosa_options_mean_what_they_mean_in_librosa(kw, clips):
    """Clips of mixed lengths share padded batches: each clip's statistics are those of
    librosa.feature.mfcc with the same options on that clip alone (pad_mode pads each
    clip from its own ends)."""
    stats = ("mean", "std", "min", "max")
    feats = MFCCFeatures(stats=stats, deltas=0, **PLAIN, **kw).fit_transform(clips)
    default = MFCCFeatures(stats=stats, deltas=0, **PLAIN).fit_transform(clips)
    for i, y in enumerate(clips):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = librosa.feature.mfcc(y=y, sr=SR, n_mfcc=20, n_fft=512, hop_length=160,
                                     n_mels=40, **kw)
        ref = np.concatenate([m.mean(axis=1), m.std(axis=1), m.min(axis=1), m.max(axis=1)])
        assert np.abs(feats[i] - ref).max() <= 1e-3 * np.abs(ref).max()
    assert np.abs(feats - default).max() > 1e-2  # the option is not ignored


def test_center_false_refuses_clips_shorter_than_n_fft(clips, tmp_path):
    short = np.zeros(300, np.float32)
    ext = MFCCFeatures(center=False).fit(clips)
    with pytest.raises(MMFuseInputError, match=r"row 1: clip has 300 samples \(0.0187 s\), "
                                               r"fewer than n_fft=512, so center=False"):
        ext.transform([clips[0], short])
    path = tmp_path / "short.wav"
    sf.write(path, short, SR)
    with config_context(on_error="skip"), collect_errors() as errors:
        out = ext.transform(pd.Series([clips[0], str(path), clips[2]], index=[5, 6, 7]))
    assert [(e.row, e.path) for e in errors] == [(6, str(path))] and out.shape[0] == 2
    np.testing.assert_array_equal(out, ext.transform([clips[0], clips[2]]))


def test_fsdd_subset_digits(shared_datasets):
    """A fast subset: two speakers, 3 digits, train index >= 5, test 0-4."""
    root = shared_datasets / "fsdd" / "recordings"
    files = [p for p in sorted(root.glob("*.wav"))
             if p.stem.split("_")[0] in "016" and p.stem.split("_")[1] in ("jackson", "lucas")
             and int(p.stem.split("_")[2]) < 20]
    digit = np.array([int(p.stem.split("_")[0]) for p in files])
    index = np.array([int(p.stem.split("_")[2]) for p in files])
    paths = [str(p) for p in files]
    pipe = make_pipeline(MFCCFeatures(), StandardScaler(), SVC())
    pipe.fit([p for p, i in zip(paths, index) if i >= 5], digit[index >= 5])
    acc = (pipe.predict([p for p, i in zip(paths, index) if i < 5]) == digit[index < 5]).mean()
    assert acc >= 0.9


ROBUST_PEER_OPTIONS = {"pad_mode": "reflect", "window": "hamming", "win_length": 400,
                       "power": 1.0, "htk": True}


@pytest.mark.parametrize("kw", [{}, ROBUST_PEER_OPTIONS])
def test_gpu_features_equal_cpu(device, clips, kw):
    cpu = MFCCFeatures(device="cpu", **kw).fit_transform(clips)
    out = MFCCFeatures(device=device, **kw).fit_transform(clips)
    np.testing.assert_allclose(out, cpu, rtol=1e-4, atol=1e-4 * np.abs(cpu).max())
