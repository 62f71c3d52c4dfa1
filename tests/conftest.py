import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from mmfuse._backend import cuda_available

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def pytest_collection_modifyitems(config, items):
    if cuda_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device with CuPy (pip install 'mmfuse[gpu]')")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def shared_datasets():
    """Path to ../shared/datasets; skips the test when the folder is absent (a user's clone)."""
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent (only present in the development checkout)")
    return SHARED


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(params=["cpu", pytest.param("cuda", marks=pytest.mark.gpu)])
def device(request):
    """Run a test on the CPU and, where CUDA is usable, on the GPU."""
    return request.param


def _striped_image(label, rng, *, noise, contrast, blank=False):
    """A 16 x 16 ``uint8`` image of its label: grey noise (standard deviation ``noise``
    around 0.5) brightened by ``contrast`` on every other pair of columns (label 1) or rows
    (label 0); ``blank`` gives a uniform grey image and draws nothing from ``rng``."""
    if blank:
        return np.full((16, 16), 128, np.uint8)
    img = np.clip(rng.normal(0.5, noise, (16, 16)), 0, 1)
    stripes = (np.arange(16) // 2) % 2 == 0
    if label:
        img[:, stripes] += contrast
    else:
        img[stripes, :] += contrast
    return (np.clip(img, 0, 1) * 255).astype(np.uint8)


def _tone_clip(label, rng, *, noise, sr=8000, seconds=0.25):
    """A ``float32`` clip of its label: a 440 Hz (label 1) or 1200 Hz (label 0) tone of
    amplitude 0.5 plus Gaussian noise of standard deviation ``noise``."""
    t = np.arange(int(seconds * sr)) / sr
    f = 440.0 if label else 1200.0
    return (0.5 * np.sin(2 * np.pi * f * t) + rng.normal(0, noise, t.size)).astype(np.float32)


@pytest.fixture(scope="session")
def labelled_items():
    """Makers of synthetic items whose content says their label (two classes):
    ``image(label, rng, *, noise, contrast, blank=False)`` and
    ``clip(label, rng, *, noise, sr=8000, seconds=0.25)``."""
    return SimpleNamespace(image=_striped_image, clip=_tone_clip)


@pytest.fixture(autouse=True)
def _no_progress_bars(monkeypatch):
    monkeypatch.setenv("TQDM_DISABLE", "1")
    yield


os.environ.setdefault("NUMBA_CACHE_DIR",
                      str(Path(os.environ.get("TMPDIR", "/tmp")) / "mmfuse-numba"))


def _write_nasty_corpus(root: Path) -> dict:
    """Generate the nasty-input corpus (numpy + soundfile + cv2 only, no external tools)."""
    import cv2
    import soundfile as sf

    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1234)
    c = {}
    c["empty"] = root / "empty.wav"
    c["empty"].write_bytes(b"")
    c["empty_png"] = root / "empty.png"
    c["empty_png"].write_bytes(b"")
    # a valid WAV header announcing 0 frames
    c["header_only_wav"] = root / "header_only.wav"
    sf.write(c["header_only_wav"], np.zeros(0, dtype=np.float32), 16000, subtype="PCM_16")
    c["corrupt_jpg"] = root / "corrupt.jpg"
    ok, enc = cv2.imencode(".jpg", (rng.random((64, 64, 3)) * 255).astype(np.uint8))
    c["corrupt_jpg"].write_bytes(enc.tobytes()[:40] + b"\x00garbage" * 10)
    c["tiny_png"] = root / "tiny.png"
    cv2.imwrite(str(c["tiny_png"]), np.array([[200]], dtype=np.uint8))
    c["huge_png"] = root / "huge.png"
    huge = np.zeros((6000, 6000), dtype=np.uint8)
    huge[::50] = 255
    cv2.imwrite(str(c["huge_png"]), huge)
    c["rgba_png"] = root / "rgba.png"
    rgba = np.zeros((32, 48, 4), dtype=np.uint8)
    rgba[..., 2] = 255          # red in BGR(A) order as cv2 writes it
    rgba[:, :24, 3] = 255       # left half opaque, right half transparent
    cv2.imwrite(str(c["rgba_png"]), rgba)
    c["png16"] = root / "gray16.png"
    ramp = np.tile(np.linspace(0, 65535, 40).astype(np.uint16), (20, 1))
    cv2.imwrite(str(c["png16"]), ramp)
    c["jpg"] = root / "photo.jpg"
    cv2.imwrite(str(c["jpg"]), (rng.random((40, 60, 3)) * 255).astype(np.uint8))
    c["stereo48k"] = root / "stereo48k.wav"
    t = np.arange(48000) / 48000
    stereo = np.stack([0.5 * np.sin(2 * np.pi * 440 * t), 0.25 * np.sin(2 * np.pi * 440 * t)],
                      axis=1)
    sf.write(c["stereo48k"], stereo, 48000, subtype="PCM_24")
    c["flac"] = root / "tone.flac"
    sf.write(c["flac"], 0.3 * np.sin(2 * np.pi * 300 * np.arange(8000) / 8000), 8000)
    c["ogg"] = root / "tone.ogg"
    sf.write(c["ogg"], 0.3 * np.sin(2 * np.pi * 300 * np.arange(16000) / 16000), 16000,
             format="OGG", subtype="VORBIS")
    c["silent"] = root / "silent.wav"
    sf.write(c["silent"], np.zeros(16000, dtype=np.float32), 16000)
    c["nan_audio"] = root / "nan.wav"
    nan = np.zeros(1000, dtype=np.float32)
    nan[10] = np.nan
    nan[20] = np.inf
    sf.write(c["nan_audio"], nan, 16000, subtype="FLOAT")
    c["latin1_txt"] = root / "latin1.txt"
    c["latin1_txt"].write_bytes("Café crème, naïve façade".encode("latin-1"))
    c["missing"] = root / "does_not_exist.wav"
    c["directory"] = root / "a_dir"
    c["directory"].mkdir(exist_ok=True)
    return c


@pytest.fixture(scope="session")
def nasty_corpus(tmp_path_factory):
    """Paths of a generated corpus of bad and awkward inputs (see _write_nasty_corpus)."""
    return _write_nasty_corpus(tmp_path_factory.mktemp("nasty"))
