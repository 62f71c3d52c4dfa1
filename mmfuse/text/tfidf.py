"""Compatibility alias of ``mmfuse.text._tfidf`` for model files saved by earlier versions.

A model file written by :func:`mmfuse.save` (joblib or skops) records each object's
class by module path; files saved when the implementation lived here name
``mmfuse.text.tfidf``, so this module re-exports those names from the private module
and such files keep loading. New code imports from :mod:`mmfuse.text`.
"""

from ._tfidf import TfidfText

__all__ = ["TfidfText"]
