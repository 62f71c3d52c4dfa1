"""Recipe ``spoken_digits``: a spoken digit (0-9) from a short recording, speaker-independent.

Audio only. Data layout of the Free Spoken Digit Dataset (FSDD, Jackson et al.):
a manifest column ``audio`` of WAV paths, labels from the file names
``{digit}_{speaker}_{index}.wav``; :func:`write_manifest` writes such a manifest
for a folder of recordings (``split`` = ``test`` for recordings 0-4, the
dataset's standard split; ``speaker`` for grouped cross-validation).

Model: MFCC statistics at the recordings' native 8 kHz (32 ms windows, 10 ms
hop; 13 cepstra from 20 mel bands; mean, std, min and max of the static
cepstra and of their first and second derivatives after per-utterance CMVN;
the mean cepstra over 10 equal time segments of the trimmed utterance) ->
``StandardScaler`` -> RBF ``FastSVC(C=10)`` (scikit-learn's ``SVC`` with faster
decisions), trained on every clip at five vocal-tract-length warps (0.9-1.1,
:class:`mmfuse.audio.VTLPAugmentedClassifier`) and Platt-calibrated by
``CalibratedClassifierCV(ensemble=False)`` for ``predict_proba``.

Every default was chosen by leave-one-speaker-out cross-validation on the
training recordings (index 5-49) of the five FSDD speakers; the levers and their
effect are measured by ``python -m benchmarks.eval_spoken_digits``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from mmfuse.audio import MFCCFeatures, VTLPAugmentedClassifier
from mmfuse.fusion import FeatureFusion
from mmfuse.svm import FastSVC

from ._common import calibrated

COLUMNS = {"audio": "audio"}

#: warp factors of the training-time VTLP augmentation (Jaitly & Hinton's range)
WARP_FACTORS = (0.9, 0.95, 1.0, 1.05, 1.1)

PARAM_GRID = {
    "estimator__classifier__clf__C": [1.0, 10.0],
    "estimator__warp_factors": [(1.0,), WARP_FACTORS],
}


def audio_features(**params):
    """The MFCC statistics of the recipe (``params`` override the defaults)."""
    kw = dict(sr=8000, n_fft=256, hop_length=80, n_mels=20, n_mfcc=13,
              stats=("mean", "std", "min", "max"), trim_db=20.0, n_segments=10)
    kw.update(params)
    return MFCCFeatures(**kw)


def build(*, vtlp=True, C=10.0, calibrate=True, memory=None, random_state=0, **feature_params):
    """The spoken-digit classifier.

    Parameters
    ----------
    vtlp : bool, default=True
        Train on five VTLP warps of every clip (``WARP_FACTORS``); False trains on
        the clips as recorded.
    C : float, default=10.0
        SVM regularisation.
    calibrate : bool, default=True
        Wrap in ``CalibratedClassifierCV(method='sigmoid', cv=3, ensemble=False)``
        (``predict_proba``; predictions are the argmax of the calibrated
        probabilities). False returns the ``VTLPAugmentedClassifier`` itself (no
        ``predict_proba``: an RBF SVM has none).
    memory : joblib.Memory or path, optional
        Cache of the extracted features (FeatureFusion ``memory``).
    random_state : int, default=0
        Seeds the calibration folds' shuffling; every other step is deterministic.
    **feature_params
        Overrides of the :class:`~mmfuse.audio.MFCCFeatures` defaults of
        :func:`audio_features` (e.g. ``n_mfcc=20``).

    Returns
    -------
    model : classifier
        ``CalibratedClassifierCV(VTLPAugmentedClassifier(FeatureFusion([audio]),
        StandardScaler -> FastSVC))`` by default; its input is a DataFrame with an
        ``audio`` column (paths, arrays or ``(y, sr)`` tuples).
    """
    fuse = FeatureFusion([("audio", audio_features(**feature_params), "audio")],
                         block_norm=None, memory=memory)
    clf = Pipeline([("scale", StandardScaler()), ("clf", FastSVC(C=C))])
    model = VTLPAugmentedClassifier(fuse, clf, warp_factors=WARP_FACTORS if vtlp else (1.0,),
                                    warp_param="audio__vtlp_alpha")
    return calibrated(model, random_state) if calibrate else model


def parse_name(path):
    """``(digit, speaker, index)`` from an FSDD file name ``{digit}_{speaker}_{index}.wav``.

    Raises
    ------
    ValueError
        The name does not have that form.
    """
    stem = Path(path).stem
    parts = stem.split("_")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[2].isdigit():
        raise ValueError(f"{path}: an FSDD recording is named "
                         "'{digit}_{speaker}_{index}.wav'")
    return int(parts[0]), parts[1], int(parts[2])


def _frame(recordings):
    import pandas as pd  # noqa: PLC0415

    files = sorted(Path(recordings).glob("*.wav"))
    if not files:
        raise FileNotFoundError(f"no .wav recordings in {recordings}")
    digit, speaker, index = zip(*(parse_name(p) for p in files))
    return pd.DataFrame({"id": [p.stem for p in files], "audio": [str(p) for p in files],
                         "label": list(digit),
                         "split": np.where(np.asarray(index) <= 4, "test", "train"),
                         "speaker": list(speaker), "index": list(index)})


def write_manifest(recordings, path):
    """Write an mmfuse manifest for a folder of FSDD recordings.

    Columns ``id`` (file stem), ``audio`` (path relative to the manifest's
    folder), ``label`` (the digit), ``split`` (``test`` for index 0-4, the
    standard split, else ``train``) and ``speaker``.

    Parameters
    ----------
    recordings : str or os.PathLike
        Folder of ``{digit}_{speaker}_{index}.wav`` files.
    path : str or os.PathLike
        Manifest CSV to write.

    Returns
    -------
    frame : pandas.DataFrame
        What was written.
    """
    import os  # noqa: PLC0415

    path = Path(path)
    frame = _frame(recordings).drop(columns="index")
    frame["audio"] = [os.path.relpath(p, path.parent.resolve()) for p in frame["audio"]]
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return frame


def load_data(root, *, return_groups=False):
    """``(X, y, split)`` of a folder of FSDD recordings (``X``: DataFrame with ``audio``).

    ``root`` is the ``recordings`` folder or the folder holding it. With
    ``return_groups=True`` the speaker of every row comes fourth, for grouped
    cross-validation (``LeaveOneGroupOut``).
    """
    root = Path(root)
    if (root / "recordings").is_dir():
        root = root / "recordings"
    frame = _frame(root)
    out = (frame[["audio"]], frame["label"].to_numpy(), frame["split"].to_numpy())
    return (*out, frame["speaker"].to_numpy()) if return_groups else out
