"""Compatibility alias of ``mmfuse.fusion._kernel`` for model files saved by earlier versions.

A model file written by :func:`mmfuse.save` (joblib or skops) records each object's
class by module path; files saved when the implementation lived here name
``mmfuse.fusion.kernel``, so this module re-exports those names from the private module
and such files keep loading. New code imports from :mod:`mmfuse.fusion`.
"""

from ._kernel import KERNEL_PARAMS, KernelFusionClassifier

# held by a fitted KernelFusionClassifier (``_blocks``), so old model files name it here too
from ._kernel import _Block  # noqa: F401

__all__ = ["KERNEL_PARAMS", "KernelFusionClassifier"]
