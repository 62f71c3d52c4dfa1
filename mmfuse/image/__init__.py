"""Image features: batched HOG, SIFT (keypoint and dense, RootSIFT) and descriptor encoders.

The names are loaded on first use (``lazy_loader``; ``__init__.pyi`` lists them):
:func:`hog` and :class:`HOGFeatures` from ``mmfuse/image/_hog.py`` (private, so that
no module shadows the function ``hog``), :func:`dense_sift` and :class:`SIFTFeatures`
from :mod:`mmfuse.image.sift`, :func:`assign` and the encoders from
:mod:`mmfuse.image.encoding`.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
