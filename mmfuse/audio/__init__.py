"""Audio features: batched MFCCs equal to librosa's, and pooled MFCC statistics.

The names are loaded on first use (``lazy_loader``; ``__init__.pyi`` lists them):
:func:`mfcc` (from ``mmfuse/audio/_mfcc.py``, private, so that no module shadows the
function) computes the cepstra of a batch of clips; :class:`MFCCFeatures` is the
scikit-learn transformer over a column of clips (paths, arrays, ``(y, sr)``);
:class:`VTLPAugmentedClassifier` trains a classifier on those features at several
vocal-tract-length warps of each clip.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
