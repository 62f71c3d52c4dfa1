"""NLTK linguistics for :class:`~mmfuse.text.TfidfText`, with fallbacks that need no data.

NLTK's tokenizers and stemmers are code, but its sentence model (``punkt_tab``),
its stop-word lists (``stopwords``) and WordNet are *data* that ``nltk.download``
fetches separately; on servers without internet they are usually absent. This
module resolves each piece once per fit:

* ``tokenizer='nltk'``: :func:`nltk.word_tokenize` (Punkt sentences + NLTK's
  improved Treebank word tokenizer) when ``punkt_tab`` is installed; otherwise a
  regex sentence split followed by the same Treebank word tokenizer, which needs
  no data.
* ``stop_words='english'``: NLTK's English stop-word list when the ``stopwords``
  corpus is installed; otherwise scikit-learn's ``ENGLISH_STOP_WORDS``.
* ``stemmer='porter'`` / ``'snowball'`` need no data; ``'lemma'`` (WordNet)
  raises a :class:`LookupError` that says how to install WordNet.

Each fallback is logged once per process at INFO on the ``mmfuse.text`` logger.
Everything returned here is a module-level class or a plain container, so a
fitted estimator pickles (no lambdas or closures in fitted state).
"""

from __future__ import annotations

import functools
import logging
import re
import threading

__all__ = [
    "FallbackWordTokenizer",
    "PunktWordTokenizer",
    "RegexTokenizer",
    "Stemmer",
    "TreebankWordTokenizer",
    "english_stop_words",
    "punkt_available",
    "resolve_stemmer",
    "resolve_stop_words",
    "resolve_tokenizer",
]

logger = logging.getLogger("mmfuse.text")

#: scikit-learn's default ``token_pattern``: runs of two or more word characters.
TOKEN_PATTERN = r"(?u)\b\w\w+\b"

_LOGGED: set = set()
_LOG_LOCK = threading.Lock()


def _log_once(key: str, message: str) -> None:
    with _LOG_LOCK:
        if key in _LOGGED:
            return
        _LOGGED.add(key)
    logger.info(message)


# --------------------------------------------------------------------------- data probes

def punkt_available(language: str = "english") -> bool:
    """True when NLTK's Punkt sentence model for ``language`` is installed."""
    from nltk.tokenize import _get_punkt_tokenizer  # noqa: PLC0415

    try:
        _get_punkt_tokenizer(language)
    except LookupError:
        return False
    return True


def _read_nltk_stop_words(language: str = "english") -> list:
    """Read NLTK's stop-word file directly (works for a directory or a zip).

    Reading the file, rather than touching ``nltk.corpus.stopwords``, leaves
    NLTK's lazy global corpus object alone, so availability is decided afresh
    from ``nltk.data.path`` on every call. Raises ``LookupError`` when absent.
    """
    import nltk.data  # noqa: PLC0415

    pointer = nltk.data.find(f"corpora/stopwords/{language}")
    with pointer.open(encoding="utf-8") as f:
        return [w.strip() for w in f.read().splitlines() if w.strip()]


def _wordnet_installed() -> bool:
    import nltk.data  # noqa: PLC0415

    try:
        nltk.data.find("corpora/wordnet")
    except LookupError:
        return False
    return True


# --------------------------------------------------------------------------- tokenizers

class RegexTokenizer:
    """scikit-learn's default word tokenization: ``re.findall(TOKEN_PATTERN, doc)``."""

    def __init__(self, pattern: str = TOKEN_PATTERN):
        self.pattern = pattern
        self._regex = re.compile(pattern)

    def __call__(self, doc: str) -> list:
        return self._regex.findall(doc)

    def __getstate__(self):
        return {"pattern": self.pattern}

    def __setstate__(self, state):
        self.__init__(state["pattern"])

    def __repr__(self):
        return f"RegexTokenizer({self.pattern!r})"


class PunktWordTokenizer:
    """:func:`nltk.word_tokenize`: Punkt sentences, then NLTK's improved Treebank tokenizer.

    Each sentence goes through :class:`TreebankWordTokenizer`, which gives the
    tokens of :class:`nltk.tokenize.NLTKWordTokenizer` (the tokenizer
    ``word_tokenize`` runs on each sentence), faster.
    """

    def __init__(self, language: str = "english"):
        self.language = language
        self._words = TreebankWordTokenizer()

    def __call__(self, doc: str) -> list:
        from nltk.tokenize import sent_tokenize  # noqa: PLC0415

        words = self._words
        return [token for sentence in sent_tokenize(doc, language=self.language)
                for token in words(sentence)]

    def __getstate__(self):
        return {"language": self.language}

    def __setstate__(self, state):
        self.__init__(state["language"])

    def __repr__(self):
        return f"PunktWordTokenizer({self.language!r})"


# A sentence ends with a period after a non-period character (so "..." is left to the
# Treebank rules), possibly followed by closing quotes or brackets, then white space.
# Cruder than Punkt (it also splits after "Dr."), which only matters for whether such a
# period becomes its own token.
_SENTENCE_PERIOD = re.compile(r"(?<=[^\s.])\.(?=[\"')\]]*\s)")


class FallbackWordTokenizer:
    """Offline stand-in for :func:`nltk.word_tokenize` that needs no NLTK data.

    Marks sentence-final periods with a regular expression (the job Punkt's
    sentence split does for ``word_tokenize``: the Treebank rules only detach
    a period at the end of the text), then runs NLTK's improved Treebank word
    tokenizer (:class:`TreebankWordTokenizer`, the tokens of
    :class:`nltk.tokenize.NLTKWordTokenizer`, the one ``word_tokenize`` uses)
    once over the document. One pass over the whole document is about 2.5x
    faster than one pass per sentence and gives the same tokens wherever the
    regex and Punkt agree on the sentence ends.
    """

    def __init__(self):
        self._words = TreebankWordTokenizer()

    def __call__(self, doc: str) -> list:
        return self._words(_SENTENCE_PERIOD.sub(" .", doc))

    def __getstate__(self):
        return {}

    def __setstate__(self, state):
        self.__init__()

    def __repr__(self):
        return "FallbackWordTokenizer()"


# --------------------------------------------------------------------------- Treebank rules

# NLTK's improved Treebank word tokenizer (nltk.tokenize.NLTKWordTokenizer, NLTK 3.10),
# rule by rule: (NLTK's pattern, its case-insensitive flag, its replacement, the
# characters one of which the text must hold for the rule to match, how it is applied
# here). NLTK compiles these with the third-party ``regex`` engine behind a per-call
# timeout; here a rule that replaces single characters or a fixed string is
# ``str.replace`` (one pass in C, same left-to-right non-overlapping matches), the
# others are compiled once with ``re``. The tables are checked against the installed
# NLTK before use. How: None = ``re.sub``; ((old, new), ...) = ``str.replace`` in turn
# (no replacement writes a character another one replaces); "^" = only at the start;
# "space" = runs of white space to one space.
_STARTING_QUOTES = (
    ("([«“‘„]|[`]+)", 0, r" \1 ", "«“‘„`", None),
    (r"^\"", 0, r"``", '"', "^"),
    (r"(``)", 0, r" \1 ", "`", (("``", " `` "),)),
    (r"([ \(\[{<])(\"|\'{2})", 0, r"\1 `` ", "\"'", None),
    (r"(?i)(?<!\w)(\')(?!(?:re|ve|ll|m|t|s|d|n)\b)(?=\w)", re.IGNORECASE, r"\1 ", "'",
     None),
)
_PUNCTUATION = (
    (r'([^\.])(\.)([\]\)}>"\'' "»”’ " r"]*+)\s*$", 0, r"\1 \2 \3 ", ".", None),
    (r"([:,])([^\d])", 0, r" \1 \2", ":,", None),
    (r"([:,])$", 0, r" \1 ", ":,", None),
    (r"\.{2,}", 0, r" \g<0> ", ".", None),
    (r"[;@#$%&]", 0, r" \g<0> ", ";@#$%&", tuple((c, f" {c} ") for c in ";@#$%&")),
    (r"[\u2012-\u2015]", 0, r" \g<0> ", "\u2012\u2013\u2014\u2015",
     tuple((c, f" {c} ") for c in "\u2012\u2013\u2014\u2015")),
    (r'([^\.])(\.)([\]\)}>"\']*)\s*$', 0, r"\1 \2\3 ", ".", None),
    (r"[?!]", 0, r" \g<0> ", "?!", (("?", " ? "), ("!", " ! "))),
    (r"([^'])' ", 0, r"\1 ' ", "'", None),
    (r"[*]", 0, r" \g<0> ", "*", (("*", " * "),)),
)
_PARENS_BRACKETS = (r"[\]\[\(\)\{\}\<\>]", 0, r" \g<0> ", "][(){}<>",
                    tuple((c, f" {c} ") for c in "][(){}<>"))
_DOUBLE_DASHES = (r"--", 0, r" -- ", "-", (("--", " -- "),))
_ENDING_QUOTES = (
    ("([»”’])", 0, r" \1 ", "»”’", tuple((c, f" {c} ") for c in "»”’")),
    (r"''", 0, " '' ", "'", (("''", " '' "),)),
    (r'"', 0, " '' ", '"', (('"', " '' "),)),
    (r"\s+", 0, " ", None, "space"),
    (r"([^' ])('[sS]|'[mM]|'[dD]|') ", 0, r"\1 \2 ", "'", None),
    (r"([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) ", 0, r"\1 \2 ", "'", None),
)
# Robert MacIntyre's contractions, which NLTK itself compiles with ``re``
_CONTRACTIONS2 = (r"(?i)\b(can)(?#X)(not)\b", r"(?i)\b(d)(?#X)('ye)\b",
                  r"(?i)\b(gim)(?#X)(me)\b", r"(?i)\b(gon)(?#X)(na)\b",
                  r"(?i)\b(got)(?#X)(ta)\b", r"(?i)\b(lem)(?#X)(me)\b",
                  r"(?i)\b(more)(?#X)('n)\b", r"(?i)\b(wan)(?#X)(na)(?=\s)")
_CONTRACTIONS3 = (r"(?i) ('t)(?#X)(is)\b", r"(?i) ('t)(?#X)(was)\b")
# The one possessive quantifier (Python >= 3.11 only) written as its equivalent atomic
# lookahead, which every supported Python compiles: the longest run, never given back.
_FOR_RE = {r'([^\.])(\.)([\]\)}>"\'' "»”’ " r"]*+)\s*$":
           r'([^\.])(\.)(?=([\]\)}>"\'' "»”’ " r"]*))\3\s*$"}
_DOUBLED = re.compile("nn|mm|tt")
#: characters whose classes (\s, \w, \d, case-insensitive letters) ``re`` and ``regex``
#: are known to agree or disagree on (filled as documents bring new characters)
_AGREE: set = set()
_DISAGREE: set = set()


def _nltk_rules():
    """NLTK's own rule tables, in the layout of ours: ``(stages, contractions, engine)``."""
    from nltk.tokenize import NLTKWordTokenizer  # noqa: PLC0415

    def entry(rule):
        pattern, repl = rule
        flags = pattern.flags & re.IGNORECASE
        return pattern.pattern, flags, repl

    t = NLTKWordTokenizer
    stages = ([entry(r) for r in t.STARTING_QUOTES], [entry(r) for r in t.PUNCTUATION],
              [entry(t.PARENS_BRACKETS)], [entry(t.DOUBLE_DASHES)],
              [entry(r) for r in t.ENDING_QUOTES])
    contractions = ([p.pattern for p in t.CONTRACTIONS2], [p.pattern for p in t.CONTRACTIONS3],
                    all(isinstance(p, re.Pattern) for p in t.CONTRACTIONS2 + t.CONTRACTIONS3))
    engines = {type(getattr(p, "_rx", p)).__module__.lstrip("_")
               for rules in (t.STARTING_QUOTES, t.PUNCTUATION, t.ENDING_QUOTES,
                             [t.PARENS_BRACKETS, t.DOUBLE_DASHES]) for p, _ in rules}
    return stages, contractions, engines


@functools.lru_cache(maxsize=1)
def _compiled_rules():
    """Our tables compiled with ``re``, or the reason they cannot stand for NLTK's.

    Returns ``(rules, engine, None)`` where ``rules`` is a tuple of stages, or
    ``(None, None, reason)`` when the installed NLTK's rules differ from ours
    (another NLTK version): then NLTK's own tokenizer is used.
    """
    ours = (_STARTING_QUOTES, _PUNCTUATION, (_PARENS_BRACKETS,), (_DOUBLE_DASHES,),
            _ENDING_QUOTES)
    try:
        stages, (c2, c3, c_re), engines = _nltk_rules()
    except Exception as exc:  # noqa: BLE001 - an NLTK without these attributes
        return None, None, f"NLTK's tokenizer tables are not readable ({exc})"
    if [[r[:3] for r in stage] for stage in ours] != [list(map(tuple, s)) for s in stages]:
        return None, None, "the installed NLTK's Treebank rules differ from mmfuse's copy"
    if (list(_CONTRACTIONS2), list(_CONTRACTIONS3), True) != (c2, c3, c_re):
        return None, None, "the installed NLTK's contractions differ from mmfuse's copy"
    if len(engines) != 1 or not engines <= {"re", "regex"}:
        return None, None, f"NLTK compiles its rules with {sorted(engines)}"
    compiled = tuple(
        tuple((re.compile(_FOR_RE.get(src, src), flags) if how is None else how, repl,
               None if trigger is None else frozenset(trigger))
              for src, flags, repl, trigger, how in stage)
        for stage in ours)
    contractions = (tuple(re.compile(src) for src in _CONTRACTIONS2),
                    tuple(re.compile(src) for src in _CONTRACTIONS3))
    return compiled + (contractions,), engines.pop(), None


def _engines_agree(char):
    r"""Whether ``re`` and ``regex`` (NLTK's engine) classify ``char`` alike for the
    rules: ``\s``, ``\w`` (hence ``\b``), ``\d`` and case-insensitive ASCII letters.

    They differ on some characters (``\x1c``-``\x1f`` are white space for ``re``
    only; combining marks are word characters for ``regex`` only; the two may
    ship different Unicode versions), so each new character is checked once.
    """
    import regex  # noqa: PLC0415  (NLTK's dependency)

    for cls in (r"\s", r"\w", r"\d"):
        if (re.fullmatch(cls, char) is None) != (regex.fullmatch(cls, char) is None):
            return False
    letters = "abcdefghijklmnopqrstuvwxyz"
    return all((re.fullmatch("(?i)" + a, char) is None)
               == (regex.fullmatch("(?i)" + a, char) is None) for a in letters)


class TreebankWordTokenizer:
    r"""NLTK's improved Treebank word tokenizer, its rules compiled once with ``re``.

    Gives exactly the tokens of :meth:`nltk.tokenize.NLTKWordTokenizer.tokenize`
    (the tokenizer :func:`nltk.word_tokenize` runs on each sentence; Penn
    Treebank conventions after Robert MacIntyre's ``tokenizer.sed``): the same
    substitutions in the same order, compiled with the standard ``re`` module
    instead of NLTK's per-call-timeout wrapper around the ``regex`` engine, and
    a rule is skipped when the text holds none of the characters it needs.

    Exactness is kept, not assumed: the rule tables are compared with the
    installed NLTK's (another NLTK version falls back to NLTK's own tokenizer),
    and a document holding a character that ``re`` and ``regex`` classify
    differently (e.g. ``\x1c``, combining accents) is tokenized by NLTK.
    The patterns are fixed and linear-time (the possessive quantifier of NLTK's
    final-period rule is kept, as an atomic lookahead), so no timeout is needed.
    """

    def __init__(self):
        self._rules, engine, self.fallback_reason = _compiled_rules()
        self._check_chars = engine == "regex"
        self._nltk = None
        if self._rules is None:
            _log_once("treebank", f"{self.fallback_reason}; tokenizer='nltk' uses NLTK's "
                                  "own (slower) Treebank tokenizer")

    def _nltk_tokenize(self, text):
        if self._nltk is None:
            from nltk.tokenize import NLTKWordTokenizer  # noqa: PLC0415

            self._nltk = NLTKWordTokenizer()
        return self._nltk.tokenize(text)

    def __call__(self, text: str) -> list:
        rules = self._rules
        if rules is None or (self._check_chars and not _AGREE.issuperset(text)
                             and not self._chars_agree(text)):
            return self._nltk_tokenize(text)
        present = set(text)
        if '"' in present:  # the quote rules write `` and ''
            present.update("`'")
        *stages, (contractions2, contractions3) = rules
        for i, stage in enumerate(stages):
            if i == 4:  # before the ending quotes: pad with spaces (as NLTK does)
                text = " " + text + " "
                present.add(" ")
            for how, repl, trigger in stage:
                if trigger is not None and trigger.isdisjoint(present):
                    continue
                if how.__class__ is tuple:
                    for old, new in how:
                        text = text.replace(old, new)
                elif how == "space":  # str.split() splits on exactly re's \s (isspace)
                    words = text.split()
                    text = " " + " ".join(words) + " " if words else " "
                elif how == "^":
                    if text.startswith('"'):
                        text = repl + text[1:]
                else:
                    text = how.sub(repl, text)
        # Each contraction holds an apostrophe or a doubled n, m or t, and under
        # re's IGNORECASE those letters match only themselves and their capitals.
        if "'" in present or _DOUBLED.search(text.lower()) is not None:
            for pattern in contractions2:
                text = pattern.sub(r" \1 \2 ", text)
        if "'" in present:
            for pattern in contractions3:
                text = pattern.sub(r" \1 \2 ", text)
        return text.split()

    @staticmethod
    def _chars_agree(text):
        new = set(text).difference(_AGREE)
        if not new.isdisjoint(_DISAGREE):
            return False
        for char in new:
            if _engines_agree(char):
                _AGREE.add(char)
            else:
                _DISAGREE.add(char)
                return False
        return True

    def __getstate__(self):
        return {}

    def __setstate__(self, state):
        self.__init__()

    def __repr__(self):
        return "TreebankWordTokenizer()"


def resolve_tokenizer(tokenizer, token_pattern=None):
    """Return ``(callable, source)`` for the ``tokenizer`` parameter.

    ``source`` is ``'punkt'``, ``'fallback'``, ``'regex'`` or ``'callable'``;
    ``token_pattern`` (default scikit-learn's) is the pattern of ``'regex'``.
    """
    if callable(tokenizer):
        return tokenizer, "callable"
    if tokenizer == "regex":
        return RegexTokenizer(TOKEN_PATTERN if token_pattern is None else token_pattern), \
            "regex"
    if tokenizer == "nltk":
        if punkt_available("english"):
            return PunktWordTokenizer("english"), "punkt"
        _log_once(
            "punkt",
            "NLTK's Punkt sentence model (punkt_tab) is not installed; tokenizer='nltk' "
            "splits sentences with a regular expression and then uses NLTK's Treebank "
            "word tokenizer, which needs no data. Run `python -m nltk.downloader punkt_tab` "
            "to use Punkt.")
        return FallbackWordTokenizer(), "fallback"
    raise ValueError(f"tokenizer must be 'nltk', 'regex' or a callable; got {tokenizer!r}")


# --------------------------------------------------------------------------- stop words

def english_stop_words():
    """Return ``(frozenset, source)``: NLTK's English list, or scikit-learn's when absent."""
    try:
        words = _read_nltk_stop_words("english")
    except LookupError:
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS  # noqa: PLC0415

        _log_once(
            "stopwords",
            "NLTK's stopwords corpus is not installed; stop_words='english' uses "
            f"scikit-learn's built-in English list ({len(ENGLISH_STOP_WORDS)} words). Run "
            "`python -m nltk.downloader stopwords` to use NLTK's list.")
        return frozenset(ENGLISH_STOP_WORDS), "sklearn"
    return frozenset(words), "nltk"


def resolve_stop_words(stop_words):
    """Return ``(frozenset or None, source)`` for the ``stop_words`` parameter."""
    if stop_words is None:
        return None, None
    if isinstance(stop_words, str):
        if stop_words != "english":
            raise ValueError(f"stop_words must be 'english', a list of words or None; "
                             f"got {stop_words!r}")
        return english_stop_words()
    return frozenset(str(w) for w in stop_words), "user"


# --------------------------------------------------------------------------- stemmers

class Stemmer:
    """A picklable ``token -> stem`` callable around an NLTK stemmer or lemmatizer."""

    def __init__(self, kind: str):
        self.kind = kind
        if kind == "porter":
            from nltk.stem import PorterStemmer  # noqa: PLC0415

            self._fn = PorterStemmer().stem
        elif kind == "snowball":
            from nltk.stem import SnowballStemmer  # noqa: PLC0415

            self._fn = SnowballStemmer("english").stem
        elif kind == "lemma":
            if not _wordnet_installed():
                raise LookupError(
                    "stemmer='lemma' lemmatizes with NLTK's WordNet, but the WordNet corpus "
                    "is not installed. Install it with `python -m nltk.downloader wordnet "
                    "omw-1.4` (or nltk.download('wordnet')), or use stemmer='porter' or "
                    "'snowball', which need no data.")
            from nltk.stem import WordNetLemmatizer  # noqa: PLC0415

            self._fn = WordNetLemmatizer().lemmatize
        else:
            raise ValueError(f"stemmer must be 'porter', 'snowball', 'lemma' or None; "
                             f"got {kind!r}")

    def __call__(self, token: str) -> str:
        return self._fn(token)

    def __getstate__(self):
        return {"kind": self.kind}

    def __setstate__(self, state):
        self.__init__(state["kind"])

    def __repr__(self):
        return f"Stemmer({self.kind!r})"


def resolve_stemmer(stemmer):
    """Return a :class:`Stemmer` or ``None``."""
    if stemmer is None:
        return None
    return Stemmer(stemmer)
