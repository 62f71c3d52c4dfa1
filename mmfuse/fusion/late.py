"""Compatibility alias of ``mmfuse.fusion._late`` for model files saved by earlier versions.

A model file written by :func:`mmfuse.save` (joblib or skops) records each object's
class by module path; files saved when the implementation lived here name
``mmfuse.fusion.late``, so this module re-exports those names from the private module
and such files keep loading. New code imports from :mod:`mmfuse.fusion`.
"""

from ._late import RULES, ClassWiseStacker, LateFusionClassifier, combine

__all__ = ["ClassWiseStacker", "LateFusionClassifier", "RULES", "combine"]
