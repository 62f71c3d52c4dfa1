"""mmfuse.audio.mfcc against librosa.feature.mfcc, clip by clip."""

import warnings

import librosa
import numpy as np
import pytest

from mmfuse.audio import _spectral as sp
from mmfuse.audio import mfcc

SR = 16000


def librosa_mfcc(y, **kw):
    params = {"sr": SR, "n_mfcc": 20, "n_fft": 512, "hop_length": 160, "n_mels": 40,
              "center": True}
    params.update(kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "n_fft is too large" for short clips
        return librosa.feature.mfcc(y=y, **params)


def assert_parity(out, ref):
    assert out.shape == ref.shape
    assert np.abs(out - ref).max() <= 1e-3 * np.abs(ref).max()


def _clips(rng):
    t = np.arange(SR) / SR
    return {
        "noise": (0.3 * rng.standard_normal(SR)).astype(np.float32),
        "sine": (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32),
        "chirp_plus_silence": np.concatenate(
            [np.zeros(4000), 0.2 * np.sin(2 * np.pi * (200 + 3000 * t[:8000]) * t[:8000])]
        ).astype(np.float32),
        "shorter_than_n_fft": (0.1 * rng.standard_normal(300)).astype(np.float32),
        "one_sample": np.array([0.25], dtype=np.float32),
    }


@pytest.mark.parametrize("name", ["noise", "sine", "chirp_plus_silence", "shorter_than_n_fft",
                                  "one_sample"])
def test_equals_librosa_per_clip(name, rng):
    y = _clips(rng)[name]
    assert_parity(mfcc(y, sr=SR), librosa_mfcc(y))


@pytest.mark.parametrize("kw", [
    {"n_mfcc": 13, "n_mels": 64, "n_fft": 400, "hop_length": 100, "fmin": 50.0, "fmax": 7000.0,
     "lifter": 22},
    {"n_mfcc": 40, "n_mels": 40, "n_fft": 1024, "hop_length": 256},
    {"n_mfcc": 12, "n_mels": 26, "n_fft": 511, "hop_length": 128, "lifter": 1.5},  # odd n_fft
])
def test_equals_librosa_other_parameters(kw, rng):
    y = (0.2 * rng.standard_normal(5000)).astype(np.float32)
    assert_parity(mfcc(y, sr=SR, **kw), librosa_mfcc(y, **kw))


def test_float64_input_is_computed_in_float64(rng):
    y = rng.standard_normal(3000)
    out = mfcc(y, sr=SR)
    assert out.dtype == np.float64
    ref = librosa_mfcc(y)
    assert np.abs(out - ref).max() <= 1e-6 * np.abs(ref).max()


def test_batch_equals_each_clip_and_top_db_is_per_clip(rng):
    """A loud and a quiet clip in one batch: the 80 dB floor is each clip's own."""
    loud = rng.standard_normal(8000).astype(np.float32)
    quiet = np.zeros(8000, dtype=np.float32)
    quiet[2000:2400] = 1e-3 * rng.standard_normal(400)
    batch = np.stack([loud, quiet, 0.5 * loud])
    out = mfcc(batch, sr=SR)
    assert out.shape == (3, 20, 51)
    for i in range(3):
        assert_parity(out[i], librosa_mfcc(batch[i]))
    # a floor shared across the batch would have raised the quiet clip's silence
    assert not np.allclose(out[1], mfcc(batch, sr=SR)[0])


def test_real_fsdd_recordings(shared_datasets):
    import soundfile as sf

    files = sorted((shared_datasets / "fsdd" / "recordings").glob("*_0.wav"))[:6]
    assert files
    for f in files:
        y, sr = sf.read(f, dtype="float32")
        assert sr == 8000
        ref = librosa_mfcc(y, sr=sr, n_fft=256, hop_length=80)
        assert_parity(mfcc(y, sr=sr, n_fft=256, hop_length=80), ref)


def test_center_false_and_too_short(rng):
    y = rng.standard_normal(2000).astype(np.float32)
    ref = librosa.feature.mfcc(y=y, sr=SR, n_mfcc=20, n_fft=512, hop_length=160, n_mels=40,
                               center=False)
    assert_parity(mfcc(y, sr=SR, center=False), ref)
    with pytest.raises(ValueError, match="shorter than n_fft=512"):
        mfcc(y[:100], sr=SR, center=False)


def test_chunked_computation_equals_one_pass(rng):
    from mmfuse import config_context

    batch = rng.standard_normal((7, 4000)).astype(np.float32)
    whole = mfcc(batch, sr=SR)
    with config_context(working_memory=1):  # 1 MiB: a few clips per chunk
        parts = mfcc(batch, sr=SR)
    # equal up to float32 rounding (BLAS blocks the products differently)
    np.testing.assert_allclose(parts, whole, rtol=0, atol=1e-5 * np.abs(whole).max())


@pytest.mark.parametrize("bad, match", [
    ({"n_mfcc": 0}, "The 'n_mfcc' parameter of mfcc must be an int in the range"),
    ({"n_mfcc": 50}, "n_mfcc=50 cannot exceed n_mels=40"),
    ({"fmax": 9000.0}, "fmax must satisfy"),
    ({"fmin": 9000.0, "fmax": 100.0}, "fmax must satisfy"),
    ({"lifter": -1}, "The 'lifter' parameter of mfcc must be a float in the range"),
    ({"lifter": np.nan}, "The 'lifter' parameter of mfcc .* Got nan instead"),
    ({"lifter": np.inf}, "The 'lifter' parameter of mfcc .* Got inf instead"),
    ({"fmin": np.nan}, "The 'fmin' parameter of mfcc"),
    ({"fmax": np.inf}, "The 'fmax' parameter of mfcc"),
    ({"power": 0}, "The 'power' parameter of mfcc"),
    ({"power": np.nan}, "The 'power' parameter of mfcc"),
    ({"power": np.inf}, "The 'power' parameter of mfcc"),
    ({"mel_norm": np.nan}, "The 'mel_norm' parameter of mfcc"),
    ({"mel_norm": "l2"}, "The 'mel_norm' parameter of mfcc"),
    ({"dct_type": 4}, "The 'dct_type' parameter of mfcc"),
    ({"norm": "l2"}, "The 'norm' parameter of mfcc"),
    ({"pad_mode": "wrap"}, "The 'pad_mode' parameter of mfcc"),
    ({"win_length": 0}, "The 'win_length' parameter of mfcc"),
    ({"win_length": 600}, "win_length=600 cannot exceed n_fft=512"),
    ({"window": "no-such-window"}, "window='no-such-window' is not a window"),
    ({"window": np.hanning(100)}, "is not a window of win_length=512"),
    ({"hop_length": 0}, "The 'hop_length' parameter of mfcc"),
    ({"sr": 16000.5}, "The 'sr' parameter of mfcc"),
    ({"htk": "yes"}, "The 'htk' parameter of mfcc"),
    ({"device": "tpu"}, "The 'device' parameter of mfcc"),
])
def test_bad_parameters(bad, match):
    with pytest.raises(ValueError, match=match):
        mfcc(np.zeros(1000, np.float32), sr=bad.pop("sr", SR), **bad)


# --------------------------------------------------------------------------- librosa's options

PEER_OPTIONS = [
    {"dct_type": 1}, {"dct_type": 3}, {"norm": None}, {"dct_type": 1, "norm": None},
    {"dct_type": 3, "norm": None}, {"htk": True}, {"mel_norm": None}, {"mel_norm": 1.0},
    {"mel_norm": np.inf}, {"mel_norm": 2}, {"window": "hamming"}, {"window": ("kaiser", 8.0)},
    {"window": 8.0}, {"window": "scipy.signal.windows.blackman"},
    {"window": "np.hanning(400)", "win_length": 400}, {"win_length": 300}, {"power": 1.0},
    {"power": 1.5}, {"pad_mode": "reflect"}, {"pad_mode": "edge"}, {"pad_mode": "symmetric"},
    {"pad_mode": "linear_ramp"}, {"center": False},
    {"htk": True, "mel_norm": None, "dct_type": 3, "power": 1.0, "window": "hamming",
     "win_length": 400, "pad_mode": "reflect", "lifter": 22},
]


def _resolve(kw):
    import scipy.signal

    kw = dict(kw)
    if kw.get("window") == "scipy.signal.windows.blackman":
        kw["window"] = scipy.signal.windows.blackman
    elif kw.get("window") == "np.hanning(400)":
        kw["window"] = np.hanning(400)
    return kw


@pytest.mark.parametrize("kw", PEER_OPTIONS,
                         ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()))
@pytest.mark.parametrize("n", [5000, 300])
def test_librosa_options_mean_what_they_mean_in_librosa(kw, n, rng):
    kw = _resolve(kw)
    if not kw.get("center", True) and n < 512:
        n = 600
    y = 0.2 * rng.standard_normal(n)
    ref = librosa_mfcc(y, **kw)
    out = mfcc(y, sr=SR, **kw)
    assert out.shape == ref.shape and out.dtype == np.float64
    assert np.abs(out - ref).max() <= 1e-6 * np.abs(ref).max()
    assert_parity(mfcc(y.astype(np.float32), sr=SR, **kw), ref)
    default = mfcc(y, sr=SR)  # the option is not ignored
    assert out.shape != default.shape or np.abs(out - default).max() > 1e-3 * np.abs(ref).max()


@pytest.mark.parametrize("pad_mode", ["reflect", "symmetric", "edge", "linear_ramp"])
@pytest.mark.parametrize("n_fft, hop_length", [(512, 160), (256, 400), (1024, 100), (301, 37)])
def test_pad_modes_pad_as_librosa_stft_for_every_length(pad_mode, n_fft, hop_length, rng):
    """librosa pads the head frames from a prefix and the tail frames from a suffix of
    the clip; every length around n_fft and the hop exercises both branches."""
    kw = {"pad_mode": pad_mode, "n_fft": n_fft, "hop_length": hop_length}
    for n in (1, 2, 5, 100, n_fft - 1, n_fft, n_fft + 1, hop_length + 1, 1001, 5001):
        y = 0.2 * rng.standard_normal(n)
        ref = librosa_mfcc(y, **kw)
        out = mfcc(y, sr=SR, **kw)
        assert out.shape == ref.shape
        assert np.abs(out - ref).max() <= 1e-6 * np.abs(ref).max(), n


def test_bad_arrays():
    with pytest.raises(ValueError, match="given y.shape"):
        mfcc(np.zeros((2, 2, 100), np.float32))
    with pytest.raises(ValueError, match="no samples"):
        mfcc(np.zeros(0, np.float32))
    y = np.zeros(1000, np.float32)
    y[3] = np.nan
    with pytest.raises(ValueError, match="not finite"):
        mfcc(y)


@pytest.mark.parametrize("dct_type", [1, 2, 3])
@pytest.mark.parametrize("norm", ["ortho", None])
def test_dct_matrix_equals_scipy(rng, dct_type, norm):
    import scipy.fft

    x = rng.standard_normal((5, 40))
    np.testing.assert_allclose(x @ sp.dct_matrix(40, 13, dct_type, norm),
                               scipy.fft.dct(x, type=dct_type, norm=norm, axis=-1)[:, :13],
                               atol=1e-10)


def test_gpu_options_equal_cpu(device, rng):
    y = rng.standard_normal((3, 5000))
    kw = {"dct_type": 3, "norm": None, "htk": True, "mel_norm": 1.0, "window": "hamming",
          "win_length": 400, "power": 1.0, "pad_mode": "reflect"}
    cpu = mfcc(y, sr=SR, device="cpu", **kw)
    out = mfcc(y, sr=SR, device=device, **kw)
    np.testing.assert_allclose(out, cpu, rtol=1e-4, atol=1e-4 * np.abs(cpu).max())


def test_gpu_equals_cpu(device, rng):
    y = rng.standard_normal((4, 8000)).astype(np.float32)
    cpu = mfcc(y, sr=SR, device="cpu")
    out = mfcc(y, sr=SR, device=device)
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, cpu, rtol=1e-4, atol=1e-4 * np.abs(cpu).max())
