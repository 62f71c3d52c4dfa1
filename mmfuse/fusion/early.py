"""Compatibility alias of ``mmfuse.fusion._early`` for model files saved by earlier versions.

A model file written by :func:`mmfuse.save` (joblib or skops) records each object's
class by module path; files saved when the implementation lived here name
``mmfuse.fusion.early``, so this module re-exports those names from the private module
and such files keep loading. New code imports from :mod:`mmfuse.fusion`.
"""

from ._early import MAX_TENSOR_FEATURES, STRATEGIES, FeatureFusion, fuse_blocks

__all__ = ["FeatureFusion", "MAX_TENSOR_FEATURES", "STRATEGIES", "fuse_blocks"]
