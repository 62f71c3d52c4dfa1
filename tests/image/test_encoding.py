"""Codebook assignment and the BoVW / VLAD / Fisher encoders (mmfuse.image).

scikit-learn's estimator checks for the encoders run in tests/test_common.py.
"""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.mixture import GaussianMixture
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC
from sklearn.utils import get_tags

from mmfuse import config_context
from mmfuse.image import BoVWEncoder, FisherEncoder, VLADEncoder, assign
from mmfuse.image._encoding import _sample_descriptors


def _blobs(rng, n_sets=12, d=8, k=4):
    """Descriptor sets drawn around k well-separated centres, sizes 0..40."""
    centres = rng.normal(scale=6.0, size=(k, d))
    sets = []
    for i in range(n_sets):
        n = 0 if i == 3 else int(rng.integers(5, 40))
        lab = rng.integers(0, k, size=n)
        sets.append(centres[lab] + rng.normal(size=(n, d)))
    return sets


# --------------------------------------------------------------------------- assign

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_assign_agrees_with_kmeans_predict(rng, dtype):
    X = rng.normal(size=(5000, 128)).astype(dtype)
    km = KMeans(n_clusters=128, n_init=1, max_iter=3, random_state=0).fit(X[:1000])
    ours = assign(X, km.cluster_centers_, device="cpu")
    theirs = km.predict(X)
    assert (ours == theirs).mean() >= 0.999


def test_assign_chunking_bounds_memory_and_keeps_labels(rng):
    X = rng.normal(size=(2000, 16))
    C = rng.normal(size=(1024, 16))
    brute = ((X[:, None, :] - C[None]) ** 2).sum(-1)
    with config_context(working_memory=1):  # 1 MiB: 128-row chunks of float64 distances
        labels, d2 = assign(X, C, device="cpu", return_distances=True)
    np.testing.assert_array_equal(labels, brute.argmin(1))
    np.testing.assert_allclose(d2, brute.min(1), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_assign_sparse_input_as_kmeans_predict(rng, fmt, dtype):
    """Sparse rows (e.g. TF-IDF) get the labels and distances of the dense rows."""
    import scipy.sparse as sp

    X = rng.random((3000, 300))
    X[X < 0.95] = 0
    X = X.astype(dtype)
    km = KMeans(n_clusters=16, n_init=1, random_state=0).fit(X)
    Xs = sp.csr_matrix(X).asformat(fmt)
    with config_context(working_memory=1):  # several chunks of rows
        labels, d2 = assign(Xs, km.cluster_centers_, device="cpu", return_distances=True)
    dense_labels, dense_d2 = assign(X, km.cluster_centers_, device="cpu", return_distances=True)
    np.testing.assert_array_equal(labels, km.predict(Xs))
    np.testing.assert_array_equal(labels, dense_labels)
    assert labels.dtype == np.int64 and d2.dtype == dtype
    np.testing.assert_allclose(d2, dense_d2, rtol=1e-5 if dtype == np.float32 else 1e-10,
                               atol=1e-6)


def test_assign_sparse_on_the_device_equals_cpu(device, rng):
    import scipy.sparse as sp

    from mmfuse._backend import to_numpy

    X = sp.random(500, 64, density=0.1, random_state=0, format="csr")
    C = rng.random((8, 64))
    np.testing.assert_array_equal(to_numpy(assign(X, C, device=device)),
                                  assign(X.toarray(), C, device="cpu"))


def test_assign_rejects_mismatched_shapes(rng):
    with pytest.raises(ValueError, match="same number of columns"):
        assign(rng.normal(size=(3, 4)), rng.normal(size=(2, 5)), device="cpu")


@pytest.mark.gpu
def test_assign_gpu_equals_cpu(rng):
    from mmfuse._backend import to_numpy

    X = rng.normal(size=(50000, 128))
    C = rng.normal(size=(512, 128))
    np.testing.assert_array_equal(to_numpy(assign(X, C, device="cuda")),
                                  assign(X, C, device="cpu"))


# --------------------------------------------------------------------------- sampling

def test_sample_is_capped_seeded_and_drawn_from_the_sets(rng):
    sets = _blobs(rng)
    total = sum(len(s) for s in sets)
    a = _sample_descriptors(sets, 50, 0)
    b = _sample_descriptors(sets, 50, 0)
    assert a.shape == (50, 8) and total > 50
    np.testing.assert_array_equal(a, b)
    pool = {tuple(r) for s in sets for r in s}
    assert all(tuple(r) in pool for r in a)
    assert _sample_descriptors(sets, 10 ** 6, 0).shape[0] == total


# --------------------------------------------------------------------------- BoVW

def test_bovw_hard_is_normalised_word_histogram(rng):
    sets = _blobs(rng)
    enc = BoVWEncoder(4, random_state=0, device="cpu").fit(sets)
    H = enc.transform(sets)
    assert H.shape == (len(sets), 4) and H.dtype == np.float32
    for s, h in zip(sets, H):
        if len(s) == 0:
            assert not h.any()
            continue
        lab = ((s[:, None] - enc.cluster_centers_[None]) ** 2).sum(-1).argmin(1)
        np.testing.assert_allclose(h, np.bincount(lab, minlength=4) / len(s), atol=1e-6)


def test_bovw_soft_is_kernel_codebook(rng):
    sets = _blobs(rng)
    enc = BoVWEncoder(4, assignment="soft", sigma=3.0, norm=None, random_state=0,
                      device="cpu").fit(sets)
    H = enc.transform(sets)
    C = enc.cluster_centers_
    for s, h in zip(sets, H):
        w = np.exp(-((s[:, None] - C[None]) ** 2).sum(-1) / (2 * 9.0))
        w /= w.sum(1, keepdims=True)
        np.testing.assert_allclose(h, w.sum(0), rtol=1e-4, atol=1e-5)
    # default sigma: RMS distance of the fit sample to its nearest word
    auto = BoVWEncoder(4, assignment="soft", random_state=0, device="cpu").fit(sets)
    allx = np.concatenate(sets)
    d2 = ((allx[:, None] - auto.cluster_centers_[None]) ** 2).sum(-1).min(1)
    assert auto.sigma_ == pytest.approx(np.sqrt(d2.mean()), rel=1e-6)


def test_codebook_is_minibatch_kmeans_on_the_sample(rng):
    from sklearn.cluster import MiniBatchKMeans

    sets = _blobs(rng)
    enc = BoVWEncoder(4, max_fit_descriptors=60, random_state=3, device="cpu").fit(sets)
    sample = _sample_descriptors(sets, 60, 3)
    km = MiniBatchKMeans(4, random_state=3, n_init=1, batch_size=60).fit(sample)
    np.testing.assert_allclose(enc.cluster_centers_, km.cluster_centers_)


# --------------------------------------------------------------------------- VLAD

def _vlad_reference(s, C, power, intra):
    k, d = C.shape
    v = np.zeros((k, d))
    if len(s):
        lab = ((s[:, None] - C[None]) ** 2).sum(-1).argmin(1)
        for i, word in enumerate(lab):
            v[word] += s[i] - C[word]
    v = np.sign(v) * np.abs(v) ** power
    if intra:
        v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    v = v.ravel()
    return v / max(np.linalg.norm(v), 1e-12)


@pytest.mark.parametrize("power,intra", [(0.5, True), (1.0, False), (0.5, False)])
def test_vlad_matches_reference_loop(rng, power, intra):
    sets = _blobs(rng)
    enc = VLADEncoder(4, power=power, intra_norm=intra, random_state=0, device="cpu").fit(sets)
    V = enc.transform(sets)
    assert V.shape == (len(sets), 32)
    for s, v in zip(sets, V):
        np.testing.assert_allclose(v, _vlad_reference(s, enc.cluster_centers_, power, intra),
                                   atol=1e-5)
    assert not V[3].any()


# --------------------------------------------------------------------------- Fisher

def test_fisher_posteriors_equal_sklearn_gmm(rng):
    sets = _blobs(rng)
    enc = FisherEncoder(4, random_state=0, device="cpu").fit(sets)
    gmm = GaussianMixture(4, covariance_type="diag", reg_covar=1e-4, random_state=0)
    X = np.concatenate(sets)
    gmm.fit(X)
    np.testing.assert_allclose(enc.means_, gmm.means_)
    np.testing.assert_allclose(enc.component_posteriors(X), gmm.predict_proba(X), atol=1e-8)


@pytest.mark.parametrize("improved", [True, False])
def test_fisher_matches_perronnin_formulas(rng, improved):
    sets = _blobs(rng)
    enc = FisherEncoder(3, improved=improved, random_state=0, device="cpu").fit(sets)
    F = enc.transform(sets)
    w, mu, var = enc.weights_, enc.means_, enc.covariances_
    sd = np.sqrt(var)
    assert F.shape == (len(sets), 2 * 3 * 8)
    for s, f in zip(sets, F):
        if len(s) == 0:
            assert not f.any()
            continue
        g = enc.component_posteriors(s)
        n = len(s)
        gm = np.stack([(g[:, k:k + 1] * (s - mu[k]) / sd[k]).sum(0) / (n * np.sqrt(w[k]))
                       for k in range(3)])
        gs = np.stack([(g[:, k:k + 1] * ((s - mu[k]) ** 2 / var[k] - 1)).sum(0)
                       / (n * np.sqrt(2 * w[k])) for k in range(3)])
        ref = np.concatenate([gm.ravel(), gs.ravel()])
        if improved:
            ref = np.sign(ref) * np.sqrt(np.abs(ref))
            ref /= np.linalg.norm(ref)
        np.testing.assert_allclose(f, ref, rtol=2e-4, atol=2e-5)


# --------------------------------------------------------------------------- shared behaviour

ENCODERS = [BoVWEncoder(4, random_state=0), BoVWEncoder(4, assignment="soft", random_state=0),
            VLADEncoder(4, random_state=0), FisherEncoder(3, random_state=0)]


@pytest.mark.parametrize("enc", ENCODERS, ids=lambda e: repr(e))
def test_batch_equals_one_set_at_a_time_and_tiny_memory(rng, enc):
    sets = _blobs(rng)
    enc = clone(enc).set_params(device="cpu").fit(sets)
    full = enc.transform(sets)
    one = np.vstack([enc.transform([s]) for s in sets])
    np.testing.assert_allclose(full, one, atol=1e-6)
    with config_context(working_memory=1):
        np.testing.assert_allclose(enc.transform(sets), full, atol=1e-6)
    # float32 sets and a 3-D stack are accepted
    stack = np.stack([s[:5] for s in sets if len(s) >= 5]).astype(np.float32)
    np.testing.assert_allclose(enc.transform(stack), enc.transform(list(stack)), atol=1e-6)


@pytest.mark.parametrize("enc", ENCODERS, ids=lambda e: repr(e))
def test_pickle_clone_pipeline_and_names(rng, enc):
    sets = _blobs(rng)
    enc = clone(enc).fit(sets)
    again = pickle.loads(pickle.dumps(enc))
    np.testing.assert_array_equal(again.transform(sets), enc.transform(sets))
    names = enc.get_feature_names_out()
    assert len(names) == enc.transform(sets[:1]).shape[1]
    assert names[0] == f"{enc._prefix}0"
    for attr in ("cluster_centers_", "means_"):
        if hasattr(enc, attr):
            assert type(getattr(enc, attr)) is np.ndarray


def test_encoder_in_a_pipeline_classifies_sets(rng):
    centres = rng.normal(scale=5.0, size=(6, 8))
    sets, y = [], []
    for i in range(60):
        cls = i % 2
        lab = rng.integers(0, 3, size=20) + 3 * cls  # class 0 uses words 0-2, class 1 3-5
        sets.append(centres[lab] + rng.normal(size=(20, 8)))
        y.append(cls)
    pipe = make_pipeline(BoVWEncoder(6, random_state=0), LinearSVC())
    pipe.fit(sets[:40], y[:40])
    assert pipe.score(sets[40:], y[40:]) == 1.0


def test_errors_name_the_problem(rng):
    with pytest.raises(ValueError, match="at least n_words=50 descriptors"):
        BoVWEncoder(50).fit([rng.normal(size=(10, 4))])
    with pytest.raises(ValueError, match="every descriptor set is empty"):
        VLADEncoder(2).fit([np.zeros((0, 4)), np.zeros((0, 4))])
    enc = VLADEncoder(2, random_state=0).fit([rng.normal(size=(10, 4))])
    with pytest.raises(ValueError, match="fitted on 4"):
        enc.transform([rng.normal(size=(3, 5))])
    with pytest.raises(ValueError, match="different dimensions"):
        enc.transform([rng.normal(size=(3, 4)), rng.normal(size=(3, 5))])
    with pytest.raises(ValueError, match="The 'power' parameter of VLADEncoder"):
        VLADEncoder(power=2.0).fit([rng.normal(size=(10, 4))])


def test_non_deterministic_tag_follows_random_state():
    assert get_tags(VLADEncoder()).non_deterministic
    assert not get_tags(VLADEncoder(random_state=0)).non_deterministic


# --------------------------------------------------------------------------- spatial pyramid

def _positions(rng, sets, shape=(60, 80)):
    return [rng.random((len(s), 2)) * shape for s in sets]


@pytest.mark.parametrize("enc", ENCODERS, ids=lambda e: repr(e))
def test_pyramid_blocks_are_the_encodings_of_their_cells(rng, enc):
    """Block (L, c) is transform() of the descriptors in cell c of the L x L grid."""
    sets = _blobs(rng)
    shape = (60, 80)
    positions = _positions(rng, sets, shape)
    enc = clone(enc).set_params(device="cpu").fit(sets)
    width = enc.transform(sets[:1]).shape[1]
    codes = enc.transform_pyramid(sets, positions, shape, levels=(1, 2, 3))
    assert codes.shape == (len(sets), 14 * width) and codes.dtype == np.float32
    blocks = codes.reshape(len(sets), 14, width)
    np.testing.assert_allclose(blocks[:, 0], enc.transform(sets), atol=1e-6)
    for i in (0, 3):
        row, col = (positions[i] / shape * 3).astype(int).T
        for c in range(9):
            inside = sets[i][(row * 3 + col) == c]
            np.testing.assert_allclose(blocks[i, 5 + c], enc.transform([inside])[0],
                                       atol=1e-6)
    names = enc.get_pyramid_feature_names_out((1, 2, 3))
    assert len(names) == codes.shape[1]
    assert names[0] == f"{enc._prefix}_L1c0_0" and names[-1] == f"{enc._prefix}_L3c8_{width - 1}"


def test_pyramid_of_one_level_is_transform_and_shapes_broadcast(rng):
    sets = _blobs(rng)
    positions = _positions(rng, sets)
    enc = VLADEncoder(4, random_state=0, device="cpu").fit(sets)
    np.testing.assert_array_equal(enc.transform_pyramid(sets, positions, (60, 80), (1,)),
                                  enc.transform(sets))
    per_set = [(60, 80)] * len(sets)
    np.testing.assert_array_equal(enc.transform_pyramid(sets, positions, per_set),
                                  enc.transform_pyramid(sets, positions, (60, 80)))
    # positions on or beyond the border count in the nearest cell
    edge = [np.array([[60.0, 80.0], [-1.0, 0.0]])]
    two = [sets[0][:2]]
    blocks = enc.transform_pyramid(two, edge, (60, 80)).reshape(5, -1)
    assert blocks[1].any() and blocks[4].any() and not blocks[2].any() and not blocks[3].any()


def test_pyramid_errors_name_the_problem(rng):
    sets = _blobs(rng)
    positions = _positions(rng, sets)
    enc = BoVWEncoder(4, random_state=0).fit(sets)
    with pytest.raises(ValueError, match="positions has 1 entries for"):
        enc.transform_pyramid(sets, positions[:1], (60, 80))
    with pytest.raises(ValueError, match="sample 0: positions must be"):
        enc.transform_pyramid(sets, [p[:, :1] for p in positions], (60, 80))
    with pytest.raises(ValueError, match="image_shapes must be one positive"):
        enc.transform_pyramid(sets, positions, [(60, 80)] * 2)
    with pytest.raises(ValueError, match="levels must be a non-empty tuple"):
        enc.transform_pyramid(sets, positions, (60, 80), levels=(0, 2))
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        BoVWEncoder(4).transform_pyramid(sets, positions, (60, 80))


def test_pyramid_positions_with_nan_are_named_as_such(rng):
    sets = _blobs(rng)
    enc = VLADEncoder(n_words=2, random_state=0, device="cpu").fit(sets)
    positions = _positions(rng, sets, (60, 80))
    positions[0] = positions[0].copy()
    positions[0][3] = np.nan
    with pytest.raises(ValueError, match=r"sample 0: positions hold NaN or infinite values "
                                         r"\(rows \[3\]\)"):
        enc.transform_pyramid(sets, positions, (60, 80))
