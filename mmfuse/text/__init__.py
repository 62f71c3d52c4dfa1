"""Text features: TF-IDF with NLTK tokenization, stemming and stop words that work offline.

:class:`TfidfText` turns a column of strings into TF-IDF features built on
scikit-learn's ``TfidfVectorizer``, optionally reduced by LSA.
"""

from .tfidf import TfidfText

__all__ = ["TfidfText"]
