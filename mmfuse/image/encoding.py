"""Compatibility alias of ``mmfuse.image._encoding`` for model files saved by earlier versions.

A model file written by :func:`mmfuse.save` (joblib or skops) records each object's
class by module path; files saved when the implementation lived here name
``mmfuse.image.encoding``, so this module re-exports those names from the private module
and such files keep loading. New code imports from :mod:`mmfuse.image`.
"""

from ._encoding import BoVWEncoder, FisherEncoder, VLADEncoder, assign

__all__ = ["BoVWEncoder", "FisherEncoder", "VLADEncoder", "assign"]
