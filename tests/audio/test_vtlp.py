"""VTLP: the frequency warp, the warped mel bank (librosa parity), MFCCFeatures(vtlp_alpha)
and VTLPAugmentedClassifier (augmentation at fit time only, composition, errors)."""

import pickle

import librosa
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from mmfuse.audio import MFCCFeatures, VTLPAugmentedClassifier
from mmfuse.audio import _spectral as sp
from mmfuse.fusion import FeatureFusion

SR = 8000
KW = dict(sr=SR, n_fft=256, hop_length=80)


# --------------------------------------------------------------------- the warp


def test_warp_matches_the_paper_at_16k():
    """Jaitly & Hinton eq. 1 with F_hi = 4800 Hz at 16 kHz, values worked out by hand."""
    f = np.array([0.0, 1000.0, 4000.0, 6000.0, 8000.0])
    # alpha 1.1: boundary 4800 / 1.1 = 4363.6 Hz; above it the line through
    # (4363.6, 4800) and (8000, 8000): 6000 -> 8000 - 3200 / 3636.36 * 2000 = 6240
    np.testing.assert_allclose(sp.vtlp_warp(f, 1.1, sr=16000),
                               [0.0, 1100.0, 4400.0, 6240.0, 8000.0])
    # alpha 0.9: boundary 4800 Hz; 6000 -> 8000 - (8000 - 4320) / 3200 * 2000 = 5700
    np.testing.assert_allclose(sp.vtlp_warp(f, 0.9, sr=16000),
                               [0.0, 900.0, 3600.0, 5700.0, 8000.0])
    np.testing.assert_array_equal(sp.vtlp_warp(f, 1.0, sr=16000), f)


@pytest.mark.parametrize("alpha", [0.85, 0.9, 0.97, 1.03, 1.1, 1.2])
def test_warp_is_continuous_monotone_and_spans_the_band(alpha):
    f = np.linspace(0, SR / 2, 4001)
    w = sp.vtlp_warp(f, alpha, sr=SR)
    assert w[0] == 0 and w[-1] == pytest.approx(SR / 2)
    assert np.all(np.diff(w) > 0)
    assert np.abs(np.diff(w)).max() < 1.5 * alpha * (f[1] - f[0])  # no jump at the kink
    low = f <= sp.VTLP_FHI * SR / 2 * min(alpha, 1) / alpha
    np.testing.assert_allclose(w[low], alpha * f[low])


def test_unwarped_bank_is_librosas():
    ref = librosa.filters.mel(sr=SR, n_fft=256, n_mels=20, dtype=np.float64)
    np.testing.assert_array_equal(sp.warped_mel_basis(SR, 256, 20, 0.0, None, 1.0), ref)
    np.testing.assert_array_equal(sp.mel_basis(SR, 256, 20, 0.0, None, vtlp_alpha=1.0), ref)


@pytest.mark.parametrize("htk", [False, True])
@pytest.mark.parametrize("norm", ["slaney", None, 1, 2.0])
def test_unwarped_construction_follows_librosas_scale_and_norm(htk, norm):
    """The warped construction at alpha=1 is librosa's bank for every mel scale and norm."""
    ref = librosa.filters.mel(sr=SR, n_fft=256, n_mels=20, fmin=50.0, htk=htk, norm=norm,
                              dtype=np.float64)
    ours = sp.warped_mel_basis(SR, 256, 20, 50.0, None, 1.0, htk=htk, norm=norm)
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("alpha", [0.9, 1.1])
def test_warped_bank_is_librosas_triangles_read_at_warped_frequencies(alpha):
    """Weight of bin k in band m = librosa's triangle m (corners at librosa's mel
    frequencies, Slaney area normalisation) evaluated at vtlp_warp(f_k)."""
    n_mels, n_fft = 20, 256
    bank = sp.mel_basis(SR, n_fft, n_mels, 0.0, None, vtlp_alpha=alpha)
    mel_f = librosa.mel_frequencies(n_mels + 2, fmin=0.0, fmax=SR / 2)
    warped = sp.vtlp_warp(librosa.fft_frequencies(sr=SR, n_fft=n_fft), alpha, sr=SR)
    for m in range(n_mels):
        tri = np.interp(warped, mel_f[m:m + 3], [0.0, 1.0, 0.0], left=0.0, right=0.0)
        np.testing.assert_allclose(bank[m], tri * 2.0 / (mel_f[m + 2] - mel_f[m]),
                                   rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("alpha", [0.9, 1.1])
def test_warping_the_bank_moves_a_tone_as_if_its_frequency_were_scaled(alpha):
    """Analysed with factor alpha, a tone at f0 lights the mel band that a tone at
    alpha * f0 lights without warping (the spectrum is stretched by alpha)."""
    t = np.arange(SR) / SR
    for f0 in (400.0, 700.0, 1100.0):
        clip = np.sin(2 * np.pi * f0 * t)[None, :]
        moved = np.sin(2 * np.pi * alpha * f0 * t)[None, :]
        power = sp.power_spectrogram(np, clip, n_fft=1024, hop_length=256)
        power_moved = sp.power_spectrogram(np, moved, n_fft=1024, hop_length=256)
        n_valid = np.array([power.shape[1]])
        args = dict(sr=SR, n_fft=1024, n_mels=40, fmin=0.0, fmax=None, top_db=None)
        warped = sp.log_mel(np, power, n_valid, vtlp_alpha=alpha, **args)[0].mean(axis=0)
        ref = sp.log_mel(np, power_moved, n_valid, **args)[0].mean(axis=0)
        plain = sp.log_mel(np, power, n_valid, **args)[0].mean(axis=0)
        assert warped.argmax() == ref.argmax() != plain.argmax()


# --------------------------------------------------------------------- MFCCFeatures


@pytest.fixture
def clips(rng):
    t = np.arange(4000) / SR
    return [(0.3 * np.sin(2 * np.pi * (250 + 90 * i) * t) * np.hanning(4000)
             + 0.01 * rng.standard_normal(4000)).astype(np.float32) for i in range(6)]


def test_mfcc_features_vtlp_alpha(clips):
    base = MFCCFeatures(**KW).fit_transform(clips)
    np.testing.assert_array_equal(MFCCFeatures(vtlp_alpha=1.0, **KW).fit_transform(clips), base)
    warped = MFCCFeatures(vtlp_alpha=1.1, **KW).fit_transform(clips)
    assert warped.shape == base.shape and np.isfinite(warped).all()
    assert np.abs(warped - base).max() > 0.1
    # the same factor in fit and transform: the parameter is a fixed analysis setting
    ext = MFCCFeatures(vtlp_alpha=1.1, **KW).fit(clips)
    np.testing.assert_array_equal(ext.transform(clips), warped)


@pytest.mark.parametrize("alpha", [0, -1.0])
def test_mfcc_features_rejects_bad_alpha(alpha, clips):
    with pytest.raises(ValueError, match="'vtlp_alpha' parameter of MFCCFeatures"):
        MFCCFeatures(vtlp_alpha=alpha).fit(clips)


# --------------------------------------------------------------------- the classifier


def _speaker_clips(rng, n, scale):
    """Three 'words' made of two vowels each (formant pairs), spoken by a vocal tract
    whose formants are multiplied by ``scale`` (a shorter tract: scale > 1)."""
    words = [((300, 2300), (700, 1200)), ((700, 1200), (300, 900)), ((500, 1800), (650, 1000))]
    t = np.arange(2400) / SR
    X, y = [], []
    for k in range(n):
        label = k % 3
        f0 = rng.uniform(100, 140)
        src = np.sign(np.sin(2 * np.pi * f0 * t))  # buzz rich in harmonics
        parts = []
        for f1, f2 in words[label]:
            spec = np.fft.rfft(src)
            freqs = np.fft.rfftfreq(len(src), 1 / SR)
            gain = sum(1.0 / (1 + ((freqs - scale * f) / (0.08 * scale * f)) ** 2)
                       for f in (f1, f2))
            parts.append(np.fft.irfft(spec * gain, len(src)))
        clip = np.concatenate(parts) * np.hanning(2 * len(t))
        X.append((clip + 0.01 * rng.standard_normal(clip.size)).astype(np.float32))
        y.append(label)
    return X, np.array(y)


def test_vtlp_training_helps_an_unseen_vocal_tract_length(rng):
    X, y = _speaker_clips(rng, 90, 1.0)
    X_new, y_new = _speaker_clips(rng, 90, 1.15)
    feats = MFCCFeatures(n_mfcc=13, n_mels=20, **KW)
    clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))
    plain = VTLPAugmentedClassifier(feats, clf, warp_factors=(1.0,)).fit(X, y)
    vtlp = VTLPAugmentedClassifier(feats, clf, warp_factors=(1.0, 1.05, 1.1, 1.15, 1.2)).fit(X, y)
    assert plain.score(X, y) == vtlp.score(X, y) == 1.0
    assert vtlp.score(X_new, y_new) >= plain.score(X_new, y_new) + 0.1


def test_fit_stacks_one_copy_per_factor_and_predict_uses_the_given_features(clips):
    y = np.arange(len(clips)) % 2
    factors = (0.9, 1.0, 1.1)
    model = VTLPAugmentedClassifier(MFCCFeatures(**KW), KNeighborsClassifier(1),
                                    warp_factors=factors).fit(clips, y)
    stacked = np.vstack([MFCCFeatures(vtlp_alpha=a, **KW).fit_transform(clips)
                         for a in factors])
    np.testing.assert_array_equal(model.classifier_._fit_X, stacked)
    np.testing.assert_array_equal(model.classifier_._y, np.searchsorted([0, 1], np.tile(y, 3)))
    assert model.features_.get_params()["vtlp_alpha"] == 1.0
    plain = MFCCFeatures(**KW).fit_transform(clips)
    np.testing.assert_array_equal(model.predict(clips), model.classifier_.predict(plain))
    np.testing.assert_array_equal(model.classes_, [0, 1])
    # features given at another factor: that factor at predict time, not refitted twice
    model = VTLPAugmentedClassifier(MFCCFeatures(vtlp_alpha=1.1, **KW), KNeighborsClassifier(1),
                                    warp_factors=(1.0,)).fit(clips, y)
    assert model.features_.get_params()["vtlp_alpha"] == 1.1


def test_sample_weight_is_repeated_per_copy(clips):
    y = np.arange(len(clips)) % 2
    w = np.arange(1, len(clips) + 1, dtype=float)
    model = VTLPAugmentedClassifier(MFCCFeatures(**KW), LogisticRegression(max_iter=1000),
                                    warp_factors=(0.9, 1.1))
    model.fit(clips, y, sample_weight=w)
    Z = np.vstack([MFCCFeatures(vtlp_alpha=a, **KW).fit_transform(clips) for a in (0.9, 1.1)])
    ref = LogisticRegression(max_iter=1000).fit(Z, np.tile(y, 2), sample_weight=np.tile(w, 2))
    np.testing.assert_allclose(model.classifier_.coef_, ref.coef_, rtol=1e-6, atol=1e-8)


def test_nested_warp_param_dataframe_clone_pickle_grid_and_calibration(clips):
    X = pd.DataFrame({"audio": clips * 3})
    y = np.arange(len(X)) % 2
    fuse = FeatureFusion([("audio", MFCCFeatures(n_mfcc=13, **KW), "audio")], block_norm=None)
    model = VTLPAugmentedClassifier(fuse, Pipeline([("scale", StandardScaler()),
                                                    ("svc", SVC())]),
                                    warp_param="audio__vtlp_alpha", n_jobs=2)
    model.fit(X, y)
    assert list(model.feature_names_in_) == ["audio"] and model.n_features_in_ == 1
    assert model.classifier_.n_features_in_ == fuse.fit_transform(X).shape[1]
    assert not hasattr(model, "predict_proba")  # SVC() has none
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict(X), model.predict(X))
    assert not hasattr(clone(model), "classifier_")
    grid = GridSearchCV(model, {"warp_factors": [(1.0,), (0.9, 1.0, 1.1)],
                                "classifier__svc__C": [1.0, 10.0]}, cv=2).fit(X, y)
    assert set(grid.best_params_) == {"warp_factors", "classifier__svc__C"}
    cal = CalibratedClassifierCV(model, cv=2, ensemble=False).fit(X, y)
    P = cal.predict_proba(X)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    assert list(cal.feature_names_in_) == ["audio"]


def test_probabilities_come_from_the_classifier(clips):
    y = np.arange(len(clips)) % 2
    model = VTLPAugmentedClassifier(MFCCFeatures(**KW), LogisticRegression(max_iter=1000),
                                    warp_factors=(0.95, 1.05)).fit(clips, y)
    Z = MFCCFeatures(**KW).fit_transform(clips)
    np.testing.assert_allclose(model.predict_proba(clips), model.classifier_.predict_proba(Z))
    np.testing.assert_allclose(model.predict_log_proba(clips),
                               model.classifier_.predict_log_proba(Z))
    np.testing.assert_allclose(model.decision_function(clips),
                               model.classifier_.decision_function(Z))


@pytest.mark.parametrize("kw, match", [
    ({"warp_param": "alpha"}, r"warp_param='alpha' is not a parameter of features "
                              r"\(MFCCFeatures\); did you mean 'vtlp_alpha'\?"),
    ({"warp_factors": ()}, "warp_factors must be a non-empty tuple of positive numbers"),
    ({"warp_factors": (1.0, 0.0)}, "warp_factors must be a non-empty tuple"),
    ({"warp_factors": 1.1}, "'warp_factors' parameter of VTLPAugmentedClassifier"),
])
def test_bad_parameters(kw, match, clips):
    with pytest.raises(ValueError, match=match):
        VTLPAugmentedClassifier(MFCCFeatures(**KW), SVC(), **kw).fit(clips, [0, 1] * 3)


def test_unfitted_raises(clips):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        VTLPAugmentedClassifier(MFCCFeatures(**KW), SVC()).predict(clips)
