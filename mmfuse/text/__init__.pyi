from .tfidf import TfidfText

__all__ = ["TfidfText"]
