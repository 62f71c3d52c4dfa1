"""Compatibility alias of ``mmfuse.image._sift`` for model files saved by earlier versions.

A model file written by :func:`mmfuse.save` (joblib or skops) records each object's
class by module path; files saved when the implementation lived here name
``mmfuse.image.sift``, so this module re-exports those names from the private module
and such files keep loading. New code imports from :mod:`mmfuse.image`.
"""

from ._sift import SIFTFeatures, dense_sift, opencv_keypoint_size

__all__ = ["SIFTFeatures", "dense_sift", "opencv_keypoint_size"]
