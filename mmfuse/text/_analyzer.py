"""Document -> token list: lowercase, tokenize, drop stop words, stem (cached per token).

The token lists feed scikit-learn's :class:`~sklearn.feature_extraction.text.TfidfVectorizer`
through :func:`identity` tokenizer/preprocessor, so counting, n-grams, document
frequencies, IDF and normalisation stay scikit-learn's.
"""

from __future__ import annotations

__all__ = ["WordAnalyzer", "analyze_documents", "identity"]


def identity(doc):
    """Return ``doc`` unchanged (a picklable stand-in for ``lambda x: x``)."""
    return doc


class _TokenMap(dict):
    """``token -> stem``, or ``None`` for a token to drop (stop word or punctuation).

    Folds the three per-token decisions into one memoised dict lookup. Porter
    stemming costs tens of microseconds per call, while a corpus has far fewer
    distinct tokens than tokens (Zipf's law), so the memo removes almost all
    stemming work. Plain dict lookups are safe under threads. The memo is
    emptied when it reaches ``max_size`` entries, which bounds its memory when
    a long-running scorer meets an endless stream of new tokens (numbers, URLs).
    """

    max_size = 1 << 20

    def __init__(self, stem, stop_words, drop_punctuation):
        super().__init__()
        self.stem = stem
        self.stop_words = stop_words or frozenset()
        self.drop_punctuation = drop_punctuation

    def __missing__(self, token):
        if len(self) >= self.max_size:
            self.clear()
        if token in self.stop_words or (self.drop_punctuation and _is_punctuation(token)):
            out = None
        else:
            out = token if self.stem is None else self.stem(token)
        self[token] = out
        return out


class WordAnalyzer:
    """Turn one document into its list of (stemmed) word tokens.

    Steps, in order: preprocess the document (``preprocessor`` if given, else
    lowercase it when ``lowercase`` and strip its accents with
    ``strip_accents``, as scikit-learn's vectorizers), tokenize, drop tokens
    found in ``stop_words`` (compared before stemming, so the list matches the
    words as written), drop tokens without any letter or digit
    (``drop_punctuation``), stem each remaining token. The last three steps
    are memoised per distinct token, so each distinct token is checked and
    stemmed once per process.

    Parameters
    ----------
    tokenize : callable
        ``str -> list of str``.
    stop_words : frozenset or None
    stem : callable or None
        ``str -> str``.
    lowercase : bool
    drop_punctuation : bool
        Remove tokens made only of punctuation (NLTK's tokenizers emit ``'.'``,
        ``','`` ... as tokens; scikit-learn's regex never does).
    strip_accents : callable or None
        ``str -> str`` applied after lowercasing (e.g. scikit-learn's
        ``strip_accents_unicode``).
    preprocessor : callable or None
        ``str -> str`` that replaces lowercasing and accent stripping.
    """

    def __init__(self, tokenize, *, stop_words=None, stem=None, lowercase=True,
                 drop_punctuation=False, strip_accents=None, preprocessor=None):
        self.tokenize = tokenize
        self.stop_words = stop_words
        self.stem = stem
        self.lowercase = lowercase
        self.drop_punctuation = drop_punctuation
        self.strip_accents = strip_accents
        self.preprocessor = preprocessor
        self._map = self._new_map()

    def preprocess(self, doc: str) -> str:
        """The document as the tokenizer sees it (scikit-learn's preprocessing stage)."""
        if self.preprocessor is not None:
            return self.preprocessor(doc)
        if self.lowercase:
            doc = doc.lower()
        if self.strip_accents is not None:
            doc = self.strip_accents(doc)
        return doc

    def _new_map(self):
        if self.stem is None and not self.stop_words and not self.drop_punctuation:
            return None
        return _TokenMap(self.stem, self.stop_words, self.drop_punctuation)

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_map"] = None  # the memo is rebuilt, never pickled
        return state

    def __setstate__(self, state):
        # (analyzers pickled before strip_accents/preprocessor existed lack them)
        self.__dict__.update({"strip_accents": None, "preprocessor": None, **state})
        self._map = self._new_map()

    def __call__(self, doc: str) -> list:
        tokens = self.tokenize(self.preprocess(doc))
        token_map = self._map
        if token_map is None:
            return tokens if isinstance(tokens, list) else list(tokens)
        return [s for t in tokens if (s := token_map[t]) is not None]

    def raw_token_count(self, doc: str) -> int:
        """How many tokens ``doc`` has before stop words are removed."""
        tokens = self.tokenize(self.preprocess(doc))
        if self.drop_punctuation:
            tokens = [t for t in tokens if not _is_punctuation(t)]
        return len(tokens)

    def __repr__(self):
        return (f"WordAnalyzer(tokenize={self.tokenize!r}, stem={self.stem!r}, "
                f"stop_words={'None' if self.stop_words is None else len(self.stop_words)}, "
                f"lowercase={self.lowercase})")


def _is_punctuation(token: str) -> bool:
    for ch in token:
        if ch.isalnum():
            return False
    return True


def _analyze_chunk(analyzer, docs):
    return [analyzer(d) for d in docs]


def analyze_documents(analyzer, docs, *, n_jobs=None):
    """Apply ``analyzer`` to every document, in ``n_jobs`` processes when asked.

    Tokenization and stemming are pure Python and hold the GIL, so parallel
    runs use joblib's process backend (loky) on contiguous chunks; each worker
    keeps its own stem cache. The result is identical to the serial one.
    """
    from joblib import effective_n_jobs  # noqa: PLC0415

    n = effective_n_jobs(n_jobs) if n_jobs not in (None, 1) else 1
    n = min(n, max(1, len(docs) // 256))  # tiny corpora are faster serially
    if n <= 1:
        return [analyzer(d) for d in docs]
    from .._parallel import Parallel, delayed  # noqa: PLC0415

    bounds = [round(i * len(docs) / n) for i in range(n + 1)]
    parts = Parallel(n_jobs=n, backend="loky")(
        delayed(_analyze_chunk)(analyzer, docs[a:b]) for a, b in zip(bounds, bounds[1:]))
    return [tokens for part in parts for tokens in part]
