"""Fixtures for the text tests: NLTK data present or absent, without any network."""

import pytest


def _reset_nltk_state():
    from nltk.tokenize import _get_punkt_tokenizer

    from mmfuse.text import _nltk

    _get_punkt_tokenizer.cache_clear()  # a loaded Punkt model is memoised by NLTK
    _nltk._LOGGED.clear()               # "logged once" bookkeeping


@pytest.fixture
def nltk_absent(tmp_path, monkeypatch):
    """NLTK sees only an empty data directory: no punkt_tab, stopwords or wordnet."""
    import nltk.data

    empty = tmp_path / "nltk_data_empty"
    empty.mkdir()
    monkeypatch.setattr(nltk.data, "path", [str(empty)])
    _reset_nltk_state()
    yield empty
    _reset_nltk_state()


@pytest.fixture
def nltk_present(tmp_path, monkeypatch):
    """A tiny but real NLTK data directory with punkt_tab/english and stopwords/english.

    The stop list holds 'lunch' (absent from scikit-learn's list) and the Punkt
    model knows 'dr' as an abbreviation, so tests can tell the data was used.
    """
    import nltk.data

    root = tmp_path / "nltk_data"
    punkt = root / "tokenizers" / "punkt_tab" / "english"
    punkt.mkdir(parents=True)
    (punkt / "collocations.tab").write_text("", encoding="utf-8")
    (punkt / "sent_starters.txt").write_text("", encoding="utf-8")
    (punkt / "abbrev_types.txt").write_text("dr\ne.g\n", encoding="utf-8")
    (punkt / "ortho_context.tab").write_text("", encoding="utf-8")
    stop = root / "corpora" / "stopwords"
    stop.mkdir(parents=True)
    (stop / "english").write_text("the\na\nis\nlunch\nwe\n", encoding="utf-8")
    monkeypatch.setattr(nltk.data, "path", [str(root)])
    _reset_nltk_state()
    yield root
    _reset_nltk_state()
