"""scikit-learn's estimator checks that apply to a text transformer.

TfidfText declares ``input_tags.string=True, two_d_array=False`` (as scikit-learn's own
``TfidfVectorizer``), so ``parametrize_with_checks`` yields no data checks for it: they
all feed numeric 2-D arrays. The API checks that do not need data run in
tests/test_common.py; the data-driven checks are listed in ``EXPECTED_NOT_APPLICABLE`` with the reason and
their intent is covered with string input in test_tfidf.py.
"""

from sklearn.utils import estimator_checks as ec

from mmfuse.text import TfidfText

#: data-driven checks that feed numeric (n_samples, n_features) arrays -> test in test_tfidf
EXPECTED_NOT_APPLICABLE = {
    "check_fit_score_takes_y": "numeric 2-D X; TfidfText takes one text column "
                               "(y is accepted and ignored: test_pipeline_and_grid_search)",
    "check_estimators_overwrite_params": "numeric X; see test_clone_and_pickle_round_trip",
    "check_dont_overwrite_parameters": "numeric X; fit sets only attributes ending in '_'",
    "check_estimators_fit_returns_self": "numeric X; fit returns self (docstring example)",
    "check_readonly_memmap_input": "numeric memmap X; text is not memory-mapped",
    "check_estimators_unfitted": "numeric X; see test_transform_before_fit_raises",
    "check_n_features_in_after_fitting": "a text column has no n_features_in_ unless it is "
                                         "a one-column DataFrame (test_input_containers)",
    "check_positive_only_tag_during_fit": "numeric X",
    "check_transformer_general": "numeric X; see test_regex_no_stemmer_equals_plain_"
                                 "tfidfvectorizer (fit_transform == fit().transform)",
    "check_estimators_pickle": "numeric X; see test_clone_and_pickle_round_trip",
}


def test_parametrize_with_checks_yields_nothing_for_a_string_transformer():
    """Documents why the data checks are listed above rather than run."""
    import warnings

    from sklearn.exceptions import SkipTestWarning

    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        checks = list(ec._yield_all_checks(TfidfText(), legacy=True))
    assert checks == []
    assert any(issubclass(x.category, SkipTestWarning) for x in w)


def test_tags_describe_a_string_transformer():
    from sklearn.utils import get_tags

    tags = get_tags(TfidfText())
    assert tags.input_tags.string and not tags.input_tags.two_d_array
    assert tags.transformer_tags is not None and tags.requires_fit
    assert get_tags(TfidfText(svd_components=2)).non_deterministic
    assert not get_tags(TfidfText(svd_components=2, random_state=0)).non_deterministic
