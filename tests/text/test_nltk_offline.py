"""NLTK data absent (the usual server) and present (a tiny real nltk_data dir in tmp_path)."""

import logging
import pickle

import numpy as np
import pytest
from nltk.tokenize import NLTKWordTokenizer
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from mmfuse.text import TfidfText
from mmfuse.text import _nltk

DOCS = ["Dr. Smith will see you at lunch. The clinic is open.",
        "We moved lunch to noon. Dr. Jones agreed!"]


def _names(est):
    return [n[len("word__"):] for n in est.get_feature_names_out()]


def _word(**kw):
    return TfidfText(analyzer="word", ngram_range=(1, 1), stemmer=None, **kw)


# --------------------------------------------------------------------------- absent


def test_absent_data_falls_back_and_logs_once_at_info(nltk_absent, caplog):
    caplog.set_level(logging.INFO, logger="mmfuse.text")
    tf = _word().fit(DOCS)
    assert tf.tokenizer_source_ == "fallback"
    assert tf.stop_words_source_ == "sklearn"
    assert tf.stop_words_used_ == frozenset(ENGLISH_STOP_WORDS)
    TfidfText().fit(DOCS)  # a second fit logs nothing new
    records = [r for r in caplog.records if r.name == "mmfuse.text"]
    assert [r.levelno for r in records] == [logging.INFO, logging.INFO]
    assert "Punkt sentence model (punkt_tab) is not installed" in records[0].getMessage()
    assert "stopwords corpus is not installed" in records[1].getMessage()
    assert "318 words" in records[1].getMessage()


def test_fallback_tokenizer_splits_sentence_periods_without_data(nltk_absent):
    tok, source = _nltk.resolve_tokenizer("nltk")
    assert source == "fallback"
    assert tok('He said "stop." Then he left... Dr. Who? It\'s 5.30 p.m. now.') == [
        "He", "said", "``", "stop", ".", "''", "Then", "he", "left", "...", "Dr", ".", "Who",
        "?", "It", "'s", "5.30", "p.m", ".", "now", "."]
    # per sentence it is exactly NLTK's word tokenizer (what word_tokenize runs on each)
    words = NLTKWordTokenizer()
    for sentence in ["Then he left...", "It's 5.30 now.", "Don't (ever) do that!"]:
        assert tok(sentence) == words.tokenize(sentence)


def test_absent_data_tokens_are_treebank_with_regex_sentences(nltk_absent):
    tf = _word(stop_words=None).fit(DOCS)
    # "dr." ends a "sentence" for the regex split, so the period is its own token (dropped)
    assert "dr" in _names(tf) and "dr." not in _names(tf)
    assert "noon" in _names(tf) and "." not in _names(tf)


def test_absent_stop_words_module_state_is_not_cached(nltk_absent, nltk_present):
    """Availability is decided from nltk.data.path at each fit (no stale global corpus)."""
    assert _nltk.english_stop_words()[1] == "nltk"  # nltk_present set the path last


# --------------------------------------------------------------------------- present


def test_present_data_is_used(nltk_present, caplog):
    caplog.set_level(logging.INFO, logger="mmfuse.text")
    tf = _word().fit(DOCS)
    assert tf.tokenizer_source_ == "punkt" and tf.stop_words_source_ == "nltk"
    assert tf.stop_words_used_ == frozenset({"the", "a", "is", "lunch", "we"})
    names = _names(tf)
    assert "lunch" not in names                    # NLTK's (tiny) list, not scikit-learn's
    assert "see" in names and "you" in names       # both in sklearn's list, not in ours
    assert "dr." in names and "dr" not in names    # Punkt knows the abbreviation "dr"
    assert not [r for r in caplog.records if r.name == "mmfuse.text"]


def test_present_punkt_tokens_equal_nltk_word_tokenize(nltk_present):
    from nltk.tokenize import word_tokenize

    tok, source = _nltk.resolve_tokenizer("nltk")
    assert source == "punkt"
    text = "dr. smith arrived. he left at 5 p.m. yesterday, didn't he?"
    assert tok(text) == word_tokenize(text)
    assert tok(text)[:2] == ["dr.", "smith"]


def test_fitted_with_punkt_scored_without_warns_and_uses_fallback(nltk_present, tmp_path,
                                                                  monkeypatch):
    import nltk.data
    from nltk.tokenize import _get_punkt_tokenizer

    tf = _word(stop_words=None).fit(DOCS)
    blob = pickle.dumps(tf)
    X_fit = tf.transform(DOCS)
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    monkeypatch.setattr(nltk.data, "path", [str(empty)])  # the scoring server has no data
    _get_punkt_tokenizer.cache_clear()
    back = pickle.loads(blob)
    with pytest.warns(UserWarning, match="fitted with NLTK's Punkt sentence model"):
        X = back.transform(DOCS)
    # only the 'dr.' column loses its counts (the fallback makes it 'dr', unknown at fit)
    col = _names(tf).index("dr.")
    assert X[:, col].nnz == 0 and X_fit[:, col].nnz == 2
    other = [i for i in range(X.shape[1]) if _names(tf)[i] not in ("dr.",)]
    assert (X[:, other] != 0).sum() == (X_fit[:, other] != 0).sum()


def test_present_stop_words_from_a_zip(tmp_path, monkeypatch):
    """NLTK ships corpora as zips: stopwords.zip/stopwords/english is found too."""
    import zipfile

    import nltk.data

    root = tmp_path / "zipped"
    (root / "corpora").mkdir(parents=True)
    with zipfile.ZipFile(root / "corpora" / "stopwords.zip", "w") as z:
        z.writestr("stopwords/english", "alpha\nbeta\n")
    monkeypatch.setattr(nltk.data, "path", [str(root)])
    words, source = _nltk.english_stop_words()
    assert source == "nltk" and words == frozenset({"alpha", "beta"})


def test_resolution_functions_switch_with_monkeypatched_probes(monkeypatch):
    """The estimator only asks the resolvers, so patching them flips the state."""
    def no_stop_words(language="english"):
        raise LookupError("absent")

    monkeypatch.setattr(_nltk, "punkt_available", lambda language="english": False)
    monkeypatch.setattr(_nltk, "_read_nltk_stop_words", no_stop_words)
    _nltk._LOGGED.clear()
    tf = TfidfText(analyzer="word").fit(DOCS)
    assert (tf.tokenizer_source_, tf.stop_words_source_) == ("fallback", "sklearn")
    monkeypatch.setattr(_nltk, "_read_nltk_stop_words", lambda language="english": ["dr"])
    tf = TfidfText(analyzer="word", ngram_range=(1, 1), stemmer=None).fit(DOCS)
    assert tf.stop_words_source_ == "nltk" and "dr" not in _names(tf)
    assert "the" in _names(tf)
    np.testing.assert_array_equal(tf.transform(DOCS).shape, (2, len(_names(tf))))
    _nltk._LOGGED.clear()
