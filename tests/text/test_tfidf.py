"""TfidfText: parity with scikit-learn, linguistics, bad input, sklearn composition."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from nltk.stem import PorterStemmer, SnowballStemmer
from nltk.tokenize import TreebankWordTokenizer
from sklearn.base import clone
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.svm import LinearSVC

from mmfuse import MMFuseInputError, MMFuseInputWarning, collect_errors, config_context
from mmfuse.text import TfidfText

CORPUS = [
    "The cats are running quickly towards the garden.",
    "A dog runs in the garden; dogs love running!",
    "Winning a FREE prize: text WIN to 80082 now.",
    "Are we still meeting for lunch today? I'll bring the documents.",
    "Connected connections connect the connecting cables.",
    "Congratulations, you've won a free holiday. Call now!",
    "Generalization of generalized operational models.",
    "I'm running late, don't wait for me at the station.",
]

TREEBANK = TreebankWordTokenizer().tokenize  # a picklable bound method


def _peer_porter_tokenizer(s):
    return [PorterStemmer().stem(t) for t in TreebankWordTokenizer().tokenize(s)]


def _names(est, prefix="word__"):
    return [n[len(prefix):] for n in est.get_feature_names_out()]


def _dense(X):
    return X.toarray() if sp.issparse(X) else np.asarray(X)


# --------------------------------------------------------------------------- parity


@pytest.mark.parametrize("sublinear_tf", [False, True])
@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2)])
def test_regex_no_stemmer_equals_plain_tfidfvectorizer(sublinear_tf, ngram_range):
    ours = TfidfText(tokenizer="regex", stemmer=None, stop_words=None, analyzer="word",
                     ngram_range=ngram_range, sublinear_tf=sublinear_tf)
    peer = TfidfVectorizer(ngram_range=ngram_range, sublinear_tf=sublinear_tf)
    Xo, Xp = ours.fit_transform(CORPUS), peer.fit_transform(CORPUS)
    assert _names(ours) == list(peer.get_feature_names_out())
    assert sp.isspmatrix_csr(Xo) or isinstance(Xo, sp.csr_array)
    assert Xo.dtype == np.float64
    np.testing.assert_array_equal(Xo.toarray(), Xp.toarray())
    np.testing.assert_array_equal(ours.transform(CORPUS[:3]).toarray(),
                                  peer.transform(CORPUS[:3]).toarray())


def test_regex_english_stop_words_equals_tfidfvectorizer(nltk_absent):
    ours = TfidfText(tokenizer="regex", stemmer=None, stop_words="english", analyzer="word",
                     ngram_range=(1, 1))
    peer = TfidfVectorizer(stop_words="english", sublinear_tf=True)
    Xo, Xp = ours.fit_transform(CORPUS), peer.fit_transform(CORPUS)
    assert _names(ours) == list(peer.get_feature_names_out())
    np.testing.assert_array_equal(Xo.toarray(), Xp.toarray())


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_porter_with_treebank_equals_the_uncached_lambda_peer(n_jobs):
    docs = CORPUS * 80  # 640 documents: enough for n_jobs=2 to really use 2 processes
    ours = TfidfText(tokenizer=TREEBANK, stemmer="porter", stop_words=None, analyzer="word",
                     ngram_range=(1, 1), sublinear_tf=False, n_jobs=n_jobs)
    peer = TfidfVectorizer(tokenizer=_peer_porter_tokenizer, token_pattern=None)
    Xo, Xp = ours.fit_transform(docs), peer.fit_transform(docs)
    assert _names(ours) == list(peer.get_feature_names_out())
    np.testing.assert_array_equal(Xo.toarray(), Xp.toarray())
    assert "connect" in _names(ours) and "connections" not in _names(ours)


def test_n_jobs_gives_identical_features_to_serial():
    docs = [f"{d} item{i % 37}s" for i, d in enumerate(CORPUS * 80)]
    serial = TfidfText(analyzer="word").fit(docs)
    parallel = TfidfText(analyzer="word", n_jobs=2).fit(docs)
    assert list(serial.get_feature_names_out()) == list(parallel.get_feature_names_out())
    np.testing.assert_array_equal(serial.transform(docs).toarray(),
                                  parallel.transform(docs).toarray())


@pytest.mark.parametrize("analyzer", ["char_wb", "char"])
def test_char_analyzers_equal_tfidfvectorizer_and_bypass_word_tokenization(analyzer):
    ours = TfidfText(analyzer=analyzer, char_ngram_range=(2, 4),
                     tokenizer=lambda s: pytest.fail("tokenizer must not run"))
    peer = TfidfVectorizer(analyzer=analyzer, ngram_range=(2, 4), sublinear_tf=True)
    Xo, Xp = ours.fit_transform(CORPUS), peer.fit_transform(CORPUS)
    assert _names(ours, "char__") == list(peer.get_feature_names_out())
    np.testing.assert_array_equal(Xo.toarray(), Xp.toarray())
    assert ours.word_analyzer_ is None and ours.tokenizer_source_ is None


def test_word_plus_char_is_the_union_of_both_blocks(nltk_absent):
    ours = TfidfText(tokenizer=TREEBANK).fit(CORPUS)  # defaults otherwise
    word = TfidfText(tokenizer=TREEBANK, analyzer="word").fit(CORPUS)
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 5), sublinear_tf=True).fit(CORPUS)
    union = FeatureUnion([("w", word), ("c", char)])
    X = ours.transform(CORPUS)
    np.testing.assert_allclose(X.toarray(), union.transform(CORPUS).toarray(), rtol=0, atol=0)
    names = ours.get_feature_names_out()
    n_word = len(word.get_feature_names_out())
    assert list(names[:n_word]) == list(word.get_feature_names_out())
    assert [n[len("char__"):] for n in names[n_word:]] == list(char.get_feature_names_out())
    # two unit-norm blocks side by side
    np.testing.assert_allclose(sp.linalg.norm(X, axis=1), np.sqrt(2), rtol=1e-12)
    # stemmed word bigrams are present
    assert "word__win free" in names and "word__free prize" in names


# --------------------------------------------------------------------------- linguistics


def test_stop_words_are_removed_before_stemming(nltk_absent):
    """'this' stems to 'thi' and 'was' to 'wa'; removing after stemming would keep them."""
    docs = ["this was the best thing", "those were the worst things"]
    tf = TfidfText(analyzer="word", ngram_range=(1, 1)).fit(docs)
    assert _names(tf) == ["best", "thing", "worst"]
    assert tf.stop_words_used_ == frozenset(ENGLISH_STOP_WORDS)


def test_user_stop_word_list_and_none():
    docs = ["alpha beta gamma", "beta delta"]
    tf = TfidfText(analyzer="word", ngram_range=(1, 1), stop_words=["beta", "gamma"]).fit(docs)
    assert _names(tf) == ["alpha", "delta"] and tf.stop_words_source_ == "user"
    tf = TfidfText(analyzer="word", ngram_range=(1, 1), stop_words=None).fit(docs)
    assert _names(tf) == ["alpha", "beta", "delta", "gamma"]


@pytest.mark.parametrize("stemmer, reference", [
    ("porter", PorterStemmer().stem),
    ("snowball", SnowballStemmer("english").stem),
    (None, lambda t: t),
])
def test_stemmers_match_nltk(stemmer, reference):
    words = "generalization generously running runs ran fairly happiness connected".split()
    tf = TfidfText(analyzer="word", ngram_range=(1, 1), stop_words=None, tokenizer="regex",
                   stemmer=stemmer).fit([" ".join(words)])
    assert _names(tf) == sorted({reference(w) for w in words})


def test_porter_and_snowball_differ_where_nltk_says_they_do():
    doc = ["generously fairly"]
    porter = _names(TfidfText(analyzer="word", stemmer="porter").fit(doc))
    snowball = _names(TfidfText(analyzer="word", stemmer="snowball").fit(doc))
    assert porter == ["fairli", "gener", "gener fairli"]
    assert snowball == ["fair", "generous", "generous fair"]


def test_stem_memo_is_bounded(monkeypatch):
    from mmfuse.text._analyzer import _TokenMap

    monkeypatch.setattr(_TokenMap, "max_size", 4)
    tf = TfidfText(analyzer="word", ngram_range=(1, 1), stop_words=None, tokenizer="regex")
    docs = [f"running w{i}x" for i in range(10)]
    X = tf.fit_transform(docs)
    assert len(tf.word_analyzer_._map) <= 4
    ref = TfidfText(analyzer="word", ngram_range=(1, 1), stop_words=None, tokenizer="regex")
    monkeypatch.setattr(_TokenMap, "max_size", 1 << 20)
    np.testing.assert_array_equal(X.toarray(), ref.fit_transform(docs).toarray())


def test_stemming_is_cached_per_distinct_token(monkeypatch):
    from mmfuse.text import _nltk

    calls = []
    real = _nltk.Stemmer.__call__

    tf = TfidfText(analyzer="word", stop_words=None, tokenizer="regex")
    monkeypatch.setattr(_nltk.Stemmer, "__call__",
                        lambda self, t: calls.append(t) or real(self, t))
    docs = ["running dogs running cats"] * 50 + ["dogs running"] * 50
    tf.fit(docs)
    assert sorted(calls) == ["cats", "dogs", "running"]
    assert _names(tf)[:3] == ["cat", "dog", "dog run"]


def test_lemma_without_wordnet_raises_a_clear_error(nltk_absent):
    with pytest.raises(LookupError, match=r"WordNet corpus is not installed.*"
                                          r"nltk.downloader wordnet"):
        TfidfText(stemmer="lemma").fit(CORPUS)


def test_lemma_uses_wordnet_when_installed(monkeypatch):
    """WordNet itself is absent here: stand in for its lookup, check the wiring."""
    from nltk.stem import WordNetLemmatizer

    from mmfuse.text import _nltk

    seen = []

    def fake_lemmatize(self, word, pos="n"):
        seen.append(word)
        return {"geese": "goose", "mice": "mouse"}.get(word, word)

    monkeypatch.setattr(_nltk, "_wordnet_installed", lambda: True)
    monkeypatch.setattr(WordNetLemmatizer, "lemmatize", fake_lemmatize)
    tf = TfidfText(stemmer="lemma", analyzer="word", ngram_range=(1, 1), stop_words=None,
                   tokenizer="regex").fit(["geese chase mice", "mice run"])
    assert _names(tf) == ["chase", "goose", "mouse", "run"]
    assert sorted(seen) == ["chase", "geese", "mice", "run"]


def test_nltk_tokenizer_drops_punctuation_and_splits_contractions(nltk_absent):
    tf = TfidfText(analyzer="word", ngram_range=(1, 1), stop_words=None, stemmer=None)
    tf.fit(["I'm late, don't wait!", "Call now... (free) 'quotes'"])
    assert _names(tf) == ["'m", "call", "do", "free", "i", "late", "n't", "now", "quotes",
                          "wait"]


def test_callable_tokenizer_tokens_are_used_as_given():
    tf = TfidfText(tokenizer=str.split, analyzer="word", stemmer=None, stop_words=None,
                   ngram_range=(1, 1)).fit(["a-b c!", "c! d"])
    assert _names(tf) == ["a-b", "c!", "d"]
    assert tf.tokenizer_source_ == "callable"


def test_lowercase_false_keeps_case():
    tf = TfidfText(tokenizer="regex", stemmer=None, stop_words=None, analyzer="word",
                   ngram_range=(1, 1), lowercase=False).fit(["FREE free Free"])
    assert _names(tf) == ["FREE", "Free", "free"]


# --------------------------------------------------------------------------- LSA & names


def test_svd_components_is_truncated_svd_of_the_tfidf_matrix():
    tfidf = TfidfText(analyzer="word").fit(CORPUS)
    X = tfidf.transform(CORPUS)
    lsa = TfidfText(analyzer="word", svd_components=3, random_state=0)
    Z = lsa.fit_transform(CORPUS)
    assert isinstance(Z, np.ndarray) and Z.dtype == np.float32 and Z.shape == (8, 3)
    np.testing.assert_allclose(Z, lsa.svd_.transform(X), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(lsa.transform(CORPUS), Z, rtol=1e-5, atol=1e-6)
    # the projection is the rank-3 SVD of the TF-IDF matrix: singular values agree with
    # scipy's exact SVD (components may rotate within tied singular values)
    exact = np.linalg.svd(X.toarray(), compute_uv=False)[:3]
    np.testing.assert_allclose(lsa.svd_.singular_values_, exact, rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(Z, axis=0), exact, rtol=1e-5)
    assert list(lsa.get_feature_names_out()) == ["lsa0", "lsa1", "lsa2"]
    lsa.set_output(transform="pandas")
    df = lsa.transform(CORPUS)
    assert isinstance(df, pd.DataFrame) and list(df.columns) == ["lsa0", "lsa1", "lsa2"]


def test_svd_components_too_large_is_explained():
    with pytest.raises(ValueError, match=r"svd_components=500 must be smaller than the number "
                                         r"of TF-IDF features \(\d+\)"):
        TfidfText(svd_components=500).fit(CORPUS[:2])


def test_feature_names_match_columns_and_are_prefixed():
    tf = TfidfText().fit(CORPUS)
    names = tf.get_feature_names_out()
    X = tf.transform(CORPUS)
    assert names.dtype == object and len(names) == X.shape[1] == tf._n_features_out
    assert all(n.startswith(("word__", "char__")) for n in names)
    col = list(names).index("word__free")
    assert (X[:, col].toarray().ravel() > 0).tolist() == ["free" in d.lower() for d in CORPUS]


# --------------------------------------------------------------------------- bad input


def test_missing_documents_are_empty_documents():
    docs = [CORPUS[0], None, np.nan, CORPUS[2], pd.NA]
    tf = TfidfText().fit(docs)
    X = tf.transform(docs)
    assert X.shape[0] == 5
    assert X[1].nnz == 0 and X[2].nnz == 0 and X[4].nnz == 0
    ref = TfidfText().fit([CORPUS[0], "", "", CORPUS[2], ""])
    np.testing.assert_array_equal(X.toarray(), ref.transform([CORPUS[0], "", "", CORPUS[2],
                                                              ""]).toarray())
    Z = TfidfText(svd_components=2, random_state=0).fit(docs).transform(docs)
    np.testing.assert_array_equal(Z[[1, 2, 4]], 0)


def test_all_missing_column_raises():
    with pytest.raises(MMFuseInputError, match="no usable item"):
        TfidfText().fit([None, np.nan])


def test_undecodable_bytes_are_replaced_with_a_warning():
    docs = ["free prize now", "Caf\xe9 cr\xe8me".encode("latin-1"), "caf\u00e9 menu".encode()]
    with pytest.warns(MMFuseInputWarning, match=r"row 1.*not valid utf-8.*0xe9"):
        tf = TfidfText(analyzer="word", tokenizer="regex", stemmer=None).fit(docs)
    names = _names(tf)
    # U+FFFD is not a word character: the repaired row still yields its readable parts
    assert {"caf", "cr", "caf\u00e9", "menu"} <= set(names)


def test_non_text_item_names_its_row_and_column():
    s = pd.Series(["free prize", 42, "lunch"], index=[10, 11, 12], name="sms")
    with pytest.raises(MMFuseInputError, match=r"row 11, column 'sms': expected text"):
        TfidfText().fit(s)


def test_on_error_skip_leaves_non_text_rows_out_at_transform_time():
    docs = pd.Series(["free prize now", 3.5, "lunch at noon"], index=[7, 8, 9], name="sms")
    tf = TfidfText().fit(["free prize now", "lunch at noon", "call me"])
    with config_context(on_error="skip"), collect_errors() as errors:
        X = tf.transform(docs)
    assert X.shape[0] == 2
    np.testing.assert_allclose(X.toarray(), tf.transform(docs[[7, 9]]).toarray())
    assert [(e.row, e.column) for e in errors] == [(8, "sms")]
    # fitting cannot drop a row without its label: it raises whatever on_error says
    with config_context(on_error="skip"), pytest.raises(MMFuseInputError, match="row 8"):
        TfidfText().fit_transform(docs)


def test_all_stop_words_corpus_raises_plain_explanation(nltk_absent):
    with pytest.raises(MMFuseInputError, match=r"every one of the 7 word tokens in the 2 "
                                               r"non-empty documents is a stop word.*"
                                               r"stop_words=None") as info:
        TfidfText().fit(["The and is.", "Of to, we it"])
    assert "empty vocabulary" not in str(info.value)
    # the scikit-learn fast path gives the same explanation
    with pytest.raises(MMFuseInputError, match="is a stop word"):
        TfidfText(tokenizer="regex", stemmer=None).fit(["the and is", "of to we it"])


def test_no_tokens_at_all_is_explained():
    with pytest.raises(MMFuseInputError, match=r"contain no word tokens.*analyzer='char_wb'"):
        TfidfText(analyzer="word", tokenizer="regex").fit(["!!", "? ."])
    with pytest.raises(MMFuseInputError, match="no document has a character n-gram"):
        TfidfText(analyzer="char_wb", char_ngram_range=(3, 4)).fit(["", " "])


@pytest.mark.parametrize("params, match", [
    ({"tokenizer": "spacy"}, "tokenizer"),
    ({"stemmer": "lancaster"}, "stemmer"),
    ({"analyzer": "words"}, "analyzer"),
    ({"svd_components": 0}, "svd_components"),
    ({"min_df": -1}, "min_df"),
    ({"ngram_range": (2, 1)}, r"ngram_range must be a tuple \(min_n, max_n\)"),
    ({"char_ngram_range": (0, 3)}, "char_ngram_range must be"),
])
def test_invalid_parameters_are_rejected(params, match):
    with pytest.raises(ValueError, match=match):
        TfidfText(**params).fit(CORPUS)


def test_transform_before_fit_raises():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        TfidfText().transform(CORPUS)


# --------------------------------------------------------------------------- composition


def test_input_containers_give_the_same_features():
    tf = TfidfText().fit(CORPUS)
    ref = tf.transform(CORPUS).toarray()
    for X in (np.array(CORPUS), np.array(CORPUS, dtype=object)[:, None],
              pd.Series(CORPUS, name="text"), tuple(CORPUS)):
        np.testing.assert_array_equal(tf.transform(X).toarray(), ref)
    df = pd.DataFrame({"text": CORPUS})
    tf_df = TfidfText().fit(df)
    assert tf_df.n_features_in_ == 1 and list(tf_df.feature_names_in_) == ["text"]
    np.testing.assert_array_equal(tf_df.transform(df).toarray(), ref)
    # a list or Series is one text column too, whatever the model was fitted on
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(tf_df.transform(CORPUS).toarray(), ref)
        np.testing.assert_array_equal(tf_df.transform(pd.Series(CORPUS)).toarray(), ref)
        np.testing.assert_array_equal(tf.transform(df).toarray(), ref)
    with pytest.raises(ValueError, match="feature names"):
        tf_df.transform(pd.DataFrame({"other": CORPUS}))
    tf_df.fit(CORPUS)  # refitting on a list forgets the DataFrame's column
    assert not hasattr(tf_df, "n_features_in_") and not hasattr(tf_df, "feature_names_in_")


def test_clone_and_pickle_round_trip(nltk_absent):
    tf = TfidfText(n_jobs=1, svd_components=None).fit(CORPUS)
    assert clone(tf).get_params() == tf.get_params()
    blob = pickle.dumps(tf)
    back = pickle.loads(blob)
    # the stem memo is not part of the fitted state
    assert len(tf.word_analyzer_._map) > 0 and back.word_analyzer_._map == {}
    np.testing.assert_array_equal(back.transform(CORPUS).toarray(),
                                  tf.transform(CORPUS).toarray())
    assert len(blob) < 2 * len(pickle.dumps(tf.vectorizers_)) + 10_000


def test_pipeline_and_grid_search_over_own_params():
    rng = np.random.default_rng(0)
    spam = ["win a free prize now", "free entry text win", "claim your cash prize",
            "urgent call now to win", "you won a free holiday"]
    ham = ["see you at lunch", "are we meeting today", "running late sorry",
           "can you bring the documents", "the garden looks nice"]
    X = [rng.choice(spam if i % 2 else ham) + f" {rng.choice(['ok', 'now', 'pls'])}"
         for i in range(40)]
    y = np.arange(40) % 2
    pipe = make_pipeline(TfidfText(), LinearSVC())
    grid = GridSearchCV(pipe, {"tfidftext__analyzer": ["word", "word+char"],
                               "tfidftext__ngram_range": [(1, 1), (1, 2)],
                               "tfidftext__stemmer": ["porter", None]}, cv=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no sklearn warnings in a grid search
        grid.fit(X, y)
    assert grid.best_score_ == 1.0
    assert grid.predict(["free prize win", "lunch today"]).tolist() == [1, 0]
    assert len(grid.cv_results_["params"]) == 8


def test_docstring_example_runs():
    import doctest

    import mmfuse.text._tfidf as mod

    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 3 and result.failed == 0


def test_regex_fast_path_is_quiet_about_multi_token_stop_words_even_after_pickling():
    tf = TfidfText(tokenizer="regex", stemmer=None, analyzer="word", ngram_range=(1, 1),
                   stop_words=["don't", "the", "we'll"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tf.fit(["the cat don't", "we'll see the dog"])
        back = pickle.loads(pickle.dumps(tf))
        X = back.transform(["the cat", "dog dog"])
    assert _names(tf) == ["cat", "dog", "don", "ll", "see", "we"]
    assert X.shape == (2, 6) and X[0].nnz == 1 and X[1].nnz == 1


# ------------------------------------------------------------- TfidfVectorizer's parameters

ACCENTED = CORPUS + ["Café crème brûlée, naïve façade: déjà vu!", "CAFÉ Crème — NAÏVE",
                     "résumé résumés Résumé"]


def _lower_no_digits(doc):
    return "".join(ch for ch in doc.lower() if not ch.isdigit())


def _peer_args():
    return {"analyzer": "word", "tokenizer": "regex", "stemmer": None, "stop_words": None,
            "ngram_range": (1, 1), "sublinear_tf": False}


PEER_PARAMS = [
    {"norm": "l1"}, {"norm": None}, {"use_idf": False}, {"smooth_idf": False},
    {"sublinear_tf": True}, {"binary": True}, {"dtype": np.float32},
    {"vocabulary": ["garden", "free", "run", "running", "now", "café", "nowhere"]},
    {"vocabulary": {"garden": 2, "free": 0, "running": 1}},
    {"max_features": 5}, {"min_df": 2}, {"max_df": 0.2}, {"strip_accents": "unicode"},
    {"strip_accents": "ascii"}, {"token_pattern": r"(?u)\b\w+\b"},
    {"token_pattern": r"(?u)\b(\w)\w+\b"}, {"preprocessor": _lower_no_digits},
    {"lowercase": False},
    {"binary": True, "norm": "l1", "use_idf": False, "strip_accents": "unicode",
     "dtype": np.float32, "token_pattern": r"[a-zé]+"},
]


def _ids(kw):
    return ",".join(f"{k}={getattr(v, '__name__', v)}" for k, v in kw.items())


@pytest.mark.parametrize("kw", PEER_PARAMS, ids=_ids)
@pytest.mark.parametrize("path", ["sklearn", "analyzer"])
def test_tfidfvectorizer_parameters_mean_what_they_mean_there(kw, path):
    """Each parameter named as TfidfVectorizer's gives TfidfVectorizer's matrix, on the
    fast path (scikit-learn tokenizes) and on the analyzer path (mmfuse tokenizes, as it
    does with a stemmer or NLTK, here forced by n_jobs=2)."""
    ours = TfidfText(**{**_peer_args(), **kw}, n_jobs=2 if path == "analyzer" else None)
    peer = TfidfVectorizer(**kw)
    Xo, Xp = ours.fit_transform(ACCENTED), peer.fit_transform(ACCENTED)
    assert _names(ours) == list(peer.get_feature_names_out())
    assert Xo.dtype == Xp.dtype
    np.testing.assert_array_equal(Xo.toarray(), Xp.toarray())
    np.testing.assert_array_equal(ours.transform(ACCENTED[-4:]).toarray(),
                                  peer.transform(ACCENTED[-4:]).toarray())
    default = TfidfText(**_peer_args()).fit_transform(ACCENTED)  # the parameter is not ignored
    assert (Xo.shape != default.shape or Xo.dtype != default.dtype
            or abs(Xo - default).max() > 1e-6)


@pytest.mark.parametrize("kw", [{"strip_accents": "unicode"}, {"preprocessor": _lower_no_digits},
                                {"binary": True, "norm": "l1"}, {"lowercase": False}], ids=_ids)
def test_char_block_parameters_mean_what_they_mean_there(kw):
    ours = TfidfText(analyzer="char_wb", char_ngram_range=(2, 4), sublinear_tf=False, **kw)
    peer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), **kw)
    np.testing.assert_array_equal(ours.fit_transform(ACCENTED).toarray(),
                                  peer.fit_transform(ACCENTED).toarray())


def test_strip_accents_and_preprocessor_reach_the_stemmed_analyzer():
    """With NLTK tokens and Porter stems the preprocessing stage is scikit-learn's too."""
    tf = TfidfText(analyzer="word", stop_words=None, ngram_range=(1, 1),
                   strip_accents="unicode").fit(ACCENTED)
    names = _names(tf)
    assert "cafe" in names and "résumé" not in names and "resum" in names
    tf = TfidfText(analyzer="word", stop_words=None, ngram_range=(1, 1),
                   preprocessor=_lower_no_digits).fit(ACCENTED)
    assert "80082" not in _names(tf) and "garden" in _names(tf)
    assert tf.word_analyzer_("Running 42 Dogs") == ["run", "dog"]


@pytest.mark.parametrize("input_", ["filename", "file"])
def test_input_filename_and_file_equal_tfidfvectorizer(tmp_path, input_):
    paths = []
    for i, doc in enumerate(ACCENTED):
        p = tmp_path / f"doc{i}.txt"
        p.write_bytes(doc.encode("latin-1", errors="replace") if i % 2 else doc.encode())
        paths.append(str(p))
    kw = {"encoding": "latin-1", "decode_error": "strict"}
    Xp = TfidfVectorizer(input="filename", **kw).fit_transform(paths)
    ours = TfidfText(**_peer_args(), input=input_, **kw)
    items = paths if input_ == "filename" else [open(p, "rb") for p in paths]
    try:
        Xo = ours.fit_transform(items)
    finally:
        for f in items if input_ == "file" else ():
            f.close()
    np.testing.assert_array_equal(Xo.toarray(), Xp.toarray())
    # a missing document is an empty row; utf-8 strict on latin-1 bytes names row and path
    X = TfidfText(**_peer_args(), input="filename", encoding="latin-1").fit(paths).transform(
        pd.Series([paths[0], None], index=[4, 5]))
    assert X[1].nnz == 0 and X[0].nnz > 0
    bad = TfidfText(**_peer_args(), input="filename", decode_error="strict")
    with pytest.raises(MMFuseInputError, match=r"row 1, .*doc9.txt: text is not valid utf-8"):
        bad.fit(paths[8:10])


def test_input_filename_errors_name_row_and_path(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("a perfectly fine document about gardens", encoding="utf-8")
    missing = str(tmp_path / "gone.txt")
    col = pd.Series([str(good), missing, str(tmp_path)], index=[10, 11, 12], name="body")
    tf = TfidfText(analyzer="word", input="filename").fit([str(good)])
    with pytest.raises(MMFuseInputError, match=r"row 11, column 'body', .*gone.txt: file not "
                                               r"found"):
        tf.transform(col)
    with config_context(on_error="skip"), collect_errors() as errors:
        X = tf.transform(col)
    assert [(e.row, e.path) for e in errors] == [(11, missing), (12, str(tmp_path))]
    assert "directory" in errors[1].cause and X.shape[0] == 1
    with pytest.raises(MMFuseInputError, match=r"row 0: input='filename' expects the path of a "
                                               r"text file; got bytes"):
        tf.transform([b"raw text"])
    with pytest.raises(MMFuseInputError, match="row 0, .*gone.txt: file not found"):
        TfidfText(input="filename").fit([missing])


def test_decode_error_on_bytes_items():
    raw = ["Café crème".encode("latin-1"), b"plain ascii words"]
    with pytest.warns(MMFuseInputWarning, match="row 0: text is not valid utf-8"):
        TfidfText(analyzer="word").fit(raw)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        X = TfidfText(**_peer_args(), decode_error="ignore").fit_transform(raw)
        ref = TfidfVectorizer(decode_error="ignore").fit_transform(raw)
        np.testing.assert_array_equal(X.toarray(), ref.toarray())
    with pytest.raises(MMFuseInputError, match="row 0: text is not valid utf-8"):
        TfidfText(decode_error="strict").fit(raw)
    X = TfidfText(**_peer_args(), encoding="latin-1", decode_error="strict").fit_transform(raw)
    ref = TfidfVectorizer(encoding="latin-1").fit_transform(raw)
    np.testing.assert_array_equal(X.toarray(), ref.toarray())


@pytest.mark.parametrize("kw, match", [
    ({"norm": "l3"}, "The 'norm' parameter of TfidfText"),
    ({"input": "url"}, "The 'input' parameter of TfidfText"),
    ({"decode_error": "skip"}, "The 'decode_error' parameter of TfidfText"),
    ({"strip_accents": "latin"}, "The 'strip_accents' parameter of TfidfText"),
    ({"vocabulary": 5}, "The 'vocabulary' parameter of TfidfText"),
    ({"use_idf": "yes"}, "The 'use_idf' parameter of TfidfText"),
    ({"dtype": np.int64}, "dtype must be numpy.float64 or numpy.float32"),
    ({"encoding": "klingon"}, "encoding='klingon' is not an encoding"),
    ({"token_pattern": r"\w+"}, r"tokenizer='regex' and would be ignored with tokenizer='nltk'"),
    ({"token_pattern": r"\w+", "tokenizer": "regex", "analyzer": "char"},
     r"ignored with analyzer='char'"),
    ({"token_pattern": r"(\w)(\w)", "tokenizer": "regex"}, "has 2 capturing groups"),
    ({"token_pattern": r"(\w", "tokenizer": "regex"}, "is not a regular expression"),
    ({"preprocessor": str.lower, "strip_accents": "ascii"}, "strip_accents would be ignored"),
    ({"vocabulary": ["a"]}, "analyzer='word\\+char' has two"),
    ({"vocabulary": ["a"], "analyzer": "word", "min_df": 2},
     "min_df=2 would be ignored with a fixed vocabulary"),
])
def test_tfidfvectorizer_parameter_errors(kw, match):
    with pytest.raises(ValueError, match=match):
        TfidfText(**kw).fit(CORPUS)


def test_peer_parameters_survive_clone_pickle_and_grid_search():
    tf = TfidfText(**_peer_args(), norm="l1", binary=True, dtype=np.float32,
                   strip_accents="unicode", vocabulary={"garden": 0, "free": 1})
    X = tf.fit_transform(ACCENTED)
    back = pickle.loads(pickle.dumps(tf))
    np.testing.assert_array_equal(back.transform(ACCENTED).toarray(), X.toarray())
    assert clone(tf).get_params()["vocabulary"] == {"garden": 0, "free": 1}
    y = np.array([0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0])
    grid = GridSearchCV(make_pipeline(TfidfText(**_peer_args()), LinearSVC()),
                        {"tfidftext__norm": ["l1", "l2"], "tfidftext__binary": [False, True]},
                        cv=2).fit(ACCENTED, y)
    assert set(grid.cv_results_["param_tfidftext__norm"]) == {"l1", "l2"}
