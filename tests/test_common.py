"""scikit-learn API checks for every column extractor, in one place.

HOGFeatures, SIFTFeatures and TfidfText take ONE column of items (images or texts:
``input_tags.two_d_array=False``), so ``parametrize_with_checks`` yields no data checks
for them (those feed numeric (n_samples, n_features) tables). The API checks that need
no data run here; why each data check does not apply, and which test covers its intent
with real input, is listed beside each extractor's tests (``EXPECTED_NOT_APPLICABLE`` in
tests/image/test_hog.py and tests/text/test_estimator_checks.py, the comment in
tests/image/test_sift.py). Numeric estimators (encoders, fusers, MFCCFeatures on numeric
batches) run the full ``parametrize_with_checks`` in their own test modules.
"""

import pytest
from sklearn.utils import estimator_checks as ec

from mmfuse.image import HOGFeatures, SIFTFeatures
from mmfuse.text import TfidfText

API_CHECKS = [
    "check_estimator_cloneable",
    "check_estimator_tags_renamed",
    "check_valid_tag_types",
    "check_estimator_repr",
    "check_no_attributes_set_in_init",
    "check_do_not_raise_errors_in_init_or_set_params",
    "check_mixin_order",
    "check_parameters_default_constructible",
    "check_get_params_invariance",
    "check_set_params",
    "check_param_validation",  # fit checks the parameters before it reads X
]

COLUMN_EXTRACTORS = [HOGFeatures, SIFTFeatures, TfidfText]


@pytest.mark.parametrize("check_name", API_CHECKS)
@pytest.mark.parametrize("cls", COLUMN_EXTRACTORS, ids=lambda c: c.__name__)
def test_sklearn_api_check(cls, check_name):
    getattr(ec, check_name)(cls.__name__, cls())
