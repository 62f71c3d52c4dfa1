"""Datasets: manifests on disk, synthetic multimodal data, and the embedded AV-digits demo.

``load_manifest(path)``
    A CSV with one row per sample and one column per modality (plus ``label``,
    optional ``id`` and ``split``); relative paths are resolved against the
    CSV's folder and every missing file or column is reported in one error.
    It reads the file with :func:`read_manifest`, the one manifest reader of
    training, evaluation and scoring (:mod:`mmfuse.io`).
``make_multimodal(...)``
    Synthetic image + text + audio data with a tunable amount of class signal
    per modality, for tests and examples that must show fusion helping.
``load_av_digits()``
    Real data shipped with the package: MNIST digit images paired by label
    with Free Spoken Digit Dataset recordings, degraded so that neither
    modality alone is perfect.

As in :mod:`sklearn.datasets`, the code lives in private modules, one per
kind of data (``_manifest``, ``_synthetic``, ``_embedded``), re-exported here.
"""

from ..io._manifest import (  # noqa: F401 - the manifest helpers' public home is here
    MODALITY_KINDS,
    duplicate_ids,
    infer_modalities,
    manifest_encoding,
    read_manifest,
    resolve_paths,
    warn_duplicate_ids,
)
from ._embedded import _data_file, load_av_digits  # noqa: F401
from ._manifest import load_manifest
from ._synthetic import make_multimodal

__all__ = ["MODALITY_KINDS", "infer_modalities", "load_av_digits", "load_manifest",
           "make_multimodal", "read_manifest"]
