"""Rebuild ``av_digits.npz`` + ``av_digits.flac`` from the development datasets.

Run from the repository root (needs ``../shared/datasets``, present only in the
development checkout)::

    python data/build_av_digits.py

The pairing is fixed by a seed: for every digit, 150 FSDD recordings (30 per
speaker) are drawn and each is paired with a distinct MNIST image of the same
digit; 100 pairs per digit go to ``train`` and 50 to ``test``. The clean audio
is stored losslessly as one FLAC stream (8 kHz, 16-bit) with per-clip offsets;
the degradation that makes each modality imperfect is applied at load time by
:func:`mmfuse.datasets.load_av_digits`, from a fixed seed.
"""

from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "datasets"
SEED = 20261123
PER_DIGIT, PER_SPEAKER, N_TRAIN = 150, 30, 100


def main():
    rng = np.random.default_rng(SEED)
    mn = np.load(SHARED / "mnist" / "mnist_subset.npz")
    images = np.concatenate([mn["x_train"], mn["x_test"]])
    labels = np.concatenate([mn["y_train"], mn["y_test"]]).astype(int)
    src_index = np.concatenate([mn["train_source_index"], mn["test_source_index"]])
    rec_dir = SHARED / "fsdd" / "recordings"
    speakers = sorted({p.stem.split("_")[1] for p in rec_dir.glob("*.wav")})

    rows = []
    for digit in range(10):
        pool = rng.permutation(np.flatnonzero(labels == digit))
        picks = []
        for spk in speakers:
            idx = rng.choice(50, size=PER_SPEAKER, replace=False)
            picks += [f"{digit}_{spk}_{i}.wav" for i in sorted(idx)]
        picks = [picks[i] for i in rng.permutation(len(picks))]
        for j, name in enumerate(picks):
            rows.append((digit, name, pool[j], "train" if j < N_TRAIN else "test"))
    order = rng.permutation(len(rows))
    rows = [rows[i] for i in order]

    clips, offsets = [], [0]
    for _, name, _, _ in rows:
        y, sr = sf.read(rec_dir / name, dtype="int16")
        assert sr == 8000 and y.ndim == 1
        clips.append(y)
        offsets.append(offsets[-1] + len(y))
    sf.write(ROOT / "mmfuse" / "data" / "av_digits.flac", np.concatenate(clips), 8000,
             format="FLAC", subtype="PCM_16")
    np.savez_compressed(
        ROOT / "mmfuse" / "data" / "av_digits.npz",
        label=np.array([r[0] for r in rows], dtype=np.int8),
        image=images[[r[2] for r in rows]],
        image_source=src_index[[r[2] for r in rows]].astype(np.int32),
        audio_source=np.array([r[1] for r in rows]),
        audio_offsets=np.array(offsets, dtype=np.int64),
        split=np.array([r[3] for r in rows]),
    )
    print(f"{len(rows)} pairs written to mmfuse/data/av_digits.npz and mmfuse/data/av_digits.flac")


if __name__ == "__main__":
    main()
