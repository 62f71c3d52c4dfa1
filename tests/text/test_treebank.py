"""TreebankWordTokenizer: exactly NLTK's improved Treebank tokens (NLTKWordTokenizer), faster."""

import logging
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nltk.tokenize import NLTKWordTokenizer

from mmfuse.text import _nltk
from mmfuse.text._nltk import FallbackWordTokenizer, TreebankWordTokenizer

NLTK = NLTKWordTokenizer()

# fragments that trigger every rule of the tokenizer, and its corner cases
_FRAGMENTS = [
    "cannot", "CanNot", "d'ye", "gimme", "Gonna", "gotta", "lemme", "more'n", "wanna ",
    "wanna.", "'tis", "'Twas", "it's", "I'm", "he'd", "we'll", "THEY'RE", "you've", "don't",
    "CAN'T", "'hello'", "rock 'n' roll", "''", '"', '"quoted"', "``", "```", "«", "»", "“",
    "”", "‘", "’", "„", ":", ",", "3,36", "5.30", "a:b", ";", "@", "#", "$", "%", "&", "*",
    "?", "!", "...", "..", "....", "--", "---", "\u2012", "\u2013", "\u2014", "\u2015", "(",
    ")", "[", "]", "{", "}", "<", ">", ".", ". ", '." ', ".)", ".] ", ".'", "p.m.", "e.g.",
    "Dr.", " ", "  ", "\t", "\n", "\r\n", "\x0b", "\x0c", "\xa0", "\u2028", "\x85", "\x1c",
    "\x1f", "e\u0301", "\u00b2", "\u0966", "\u017f", "\u212a", "\u0131", "\u0130", "word",
    "Word", "£5", "2nd", "x", "-", "_", "'", "n't",
]


def _generated_corpus(n, seed):
    """Documents of random fragments: every rule, at the start, middle and end of text."""
    rng = np.random.default_rng(seed)
    docs = []
    for _ in range(n):
        k = int(rng.integers(1, 14))
        parts = rng.choice(len(_FRAGMENTS), size=k)
        seps = rng.choice(["", " ", " ", "  "], size=k)
        docs.append("".join(_FRAGMENTS[p] + s for p, s in zip(parts, seps)))
    return docs


def test_rules_are_those_of_the_installed_nltk():
    """Our copy of the rules equals NLTK's tables, so the fast path is the one in use."""
    assert TreebankWordTokenizer().fallback_reason is None


def test_generated_corpus_tokens_equal_nltk():
    tok = TreebankWordTokenizer()
    docs = _generated_corpus(3000, seed=0)
    docs += [d.lower() for d in docs] + ["", " ", "\n", "end.\n", '"', "'", "a'"]
    for doc in docs:
        assert tok(doc) == NLTK.tokenize(doc), repr(doc)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("".join(sorted(set("".join(_FRAGMENTS))))),
               max_size=40))
def test_any_text_over_the_rule_alphabet_tokens_equal_nltk(doc):
    assert TreebankWordTokenizer()(doc) == NLTK.tokenize(doc)


def test_characters_the_two_regex_engines_disagree_on_are_left_to_nltk():
    """``re`` takes \\x1c for white space and U+0301 for a non-word character, NLTK's
    ``regex`` does not: compiled with ``re`` alone, these would tokenize differently."""
    rules, _, _ = _nltk._compiled_rules()
    final_period = rules[1][0][0]  # ([^\.])(\.)(...)\s*$
    assert final_period.sub(r"\1 \2 \3 ", "end.\x1c") != "end.\x1c"  # re: \x1c is \s
    assert NLTK.tokenize("end.\x1c") == ["end."]                      # regex: it is not
    assert TreebankWordTokenizer()("end.\x1c") == ["end."]
    doc = "e\u0301'xyz"
    assert TreebankWordTokenizer()(doc) == NLTK.tokenize(doc)
    assert not _nltk._engines_agree("\x1c") and not _nltk._engines_agree("\u0301")
    assert _nltk._engines_agree("a") and _nltk._engines_agree("£")


def test_another_nltk_version_falls_back_to_nltk(monkeypatch, caplog):
    """Rules that differ from our copy (another NLTK) are not trusted: NLTK tokenizes."""
    caplog.set_level(logging.INFO, logger="mmfuse.text")
    stages, contractions, engines = _nltk._nltk_rules()
    stages[1][0] = (stages[1][0][0].replace("*+", "*"),) + stages[1][0][1:]
    monkeypatch.setattr(_nltk, "_nltk_rules", lambda: (stages, contractions, engines))
    _nltk._compiled_rules.cache_clear()
    _nltk._LOGGED.discard("treebank")
    try:
        tok = TreebankWordTokenizer()
        assert tok.fallback_reason == ("the installed NLTK's Treebank rules differ from "
                                       "mmfuse's copy")
        assert tok("Don't stop.") == NLTK.tokenize("Don't stop.")
        assert "uses NLTK's own (slower) Treebank tokenizer" in caplog.text
    finally:
        _nltk._compiled_rules.cache_clear()
        _nltk._LOGGED.discard("treebank")


def test_tokenizers_pickle_and_keep_their_tokens():
    doc = 'He said "stop." Then he left... Don\'t (ever) do that!'
    for tok in (TreebankWordTokenizer(), FallbackWordTokenizer()):
        back = pickle.loads(pickle.dumps(tok))
        assert type(back) is type(tok) and back(doc) == tok(doc)


@pytest.mark.shared_data
def test_sms_corpus_tokens_equal_nltk(shared_datasets):
    """Every message of the SMS Spam Collection, as written and lowercased (as TfidfText
    tokenizes it), gives NLTK's tokens; so does the offline sentence split + Treebank."""
    path = shared_datasets / "sms_spam" / "sms_spam.tsv"
    with open(path, encoding="utf-8", newline="") as f:
        texts = [line.rstrip("\n").split("\t", 1)[1] for line in f]
    assert len(texts) == 5574
    tok, fallback = TreebankWordTokenizer(), FallbackWordTokenizer()
    for text in texts + [t.lower() for t in texts]:
        assert tok(text) == NLTK.tokenize(text), repr(text)
        marked = _nltk._SENTENCE_PERIOD.sub(" .", text)
        assert fallback(text) == NLTK.tokenize(marked), repr(text)
