"""Image features: batched HOG, SIFT (keypoint and dense, RootSIFT) and descriptor encoders.

The names are loaded on first use (``lazy_loader``; ``__init__.pyi`` lists them) from
private implementation modules: :func:`hog` and :class:`HOGFeatures` from
``_hog.py`` (so that no module shadows the function ``hog``), :func:`dense_sift`,
:func:`opencv_keypoint_size` and :class:`SIFTFeatures` from ``_dense_sift.py`` and
``_sift.py``, :func:`assign` and the encoders from ``_encoding.py``. Import them from
:mod:`mmfuse.image`.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
