"""Audio features: batched MFCCs equal to librosa's, and pooled MFCC statistics.

:func:`mfcc` (from :mod:`mmfuse.audio.mfcc`) computes the cepstra of a batch of
clips; :class:`MFCCFeatures` (from :mod:`mmfuse.audio._features`) is the
scikit-learn transformer over a column of clips (paths, arrays, ``(y, sr)``);
:class:`VTLPAugmentedClassifier` (from :mod:`mmfuse.audio._augment`) trains a
classifier on those features at several vocal-tract-length warps of each clip.
"""

import importlib

# Imported eagerly: the function shares its name with its module, and a lazy import of
# the module would bind ``mmfuse.audio.mfcc`` to the module instead of the function.
from .mfcc import mfcc

_EXPORTS = {
    "MFCCFeatures": "_features",
    "VTLPAugmentedClassifier": "_augment",
}

__all__ = ["MFCCFeatures", "VTLPAugmentedClassifier", "mfcc"]


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
