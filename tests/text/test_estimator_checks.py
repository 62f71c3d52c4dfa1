"""The tags that tell scikit-learn's estimator checks what TfidfText takes.

TfidfText declares ``input_tags.string=True, two_d_array=False`` (as scikit-learn's own
``TfidfVectorizer``), so ``parametrize_with_checks`` yields no data checks for it: they
all feed numeric 2-D arrays. tests/test_common.py runs the API checks that need no data
and lists each data check with the test of test_tfidf.py that covers its intent with
string input.
"""

from mmfuse.text import TfidfText


def test_tags_describe_a_string_transformer():
    from sklearn.utils import get_tags

    tags = get_tags(TfidfText())
    assert tags.input_tags.string and not tags.input_tags.two_d_array
    assert tags.transformer_tags is not None and tags.requires_fit
    assert get_tags(TfidfText(svd_components=2)).non_deterministic
    assert not get_tags(TfidfText(svd_components=2, random_state=0)).non_deterministic
