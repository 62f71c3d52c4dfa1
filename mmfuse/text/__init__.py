"""Text features: TF-IDF with NLTK tokenization, stemming and stop words that work offline.

:class:`TfidfText` turns a column of strings into TF-IDF features built on
scikit-learn's ``TfidfVectorizer``, optionally reduced by LSA. It is loaded on first
use (``lazy_loader``; ``__init__.pyi`` lists the names).
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
