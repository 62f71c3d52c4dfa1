from ._tfidf import TfidfText

__all__ = ["TfidfText"]
