"""Image features: batched HOG, SIFT (keypoint and dense, RootSIFT) and descriptor encoders.

Names are imported lazily from ``mmfuse/image/_hog.py`` (private so that the
module does not shadow the exported function ``hog``), :mod:`mmfuse.image.sift`
and :mod:`mmfuse.image.encoding`.
"""

import importlib

_EXPORTS = {
    "hog": "_hog",
    "HOGFeatures": "_hog",
    "dense_sift": "sift",
    "SIFTFeatures": "sift",
    "BoVWEncoder": "encoding",
    "VLADEncoder": "encoding",
    "FisherEncoder": "encoding",
    "assign": "encoding",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
