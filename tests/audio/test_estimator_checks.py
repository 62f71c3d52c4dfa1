"""scikit-learn's estimator checks for MFCCFeatures.

A numeric ``(n_samples, n_features)`` array is a valid MFCCFeatures input: a batch of
``n_samples`` equal-length clips of ``n_features`` samples each. So the data-driven checks
run, on clips of a few samples (shorter than one frame, which is handled). The checks
that do not fit an audio extractor are listed with the reason in EXPECTED_FAILED_CHECKS;
their intent is covered by the tests named there.
"""

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from mmfuse.audio import MFCCFeatures

_LENGTH = ("the second axis of a numeric batch is the clip LENGTH, which may differ between "
           "fit and transform (clips of any length are valid), so MFCCFeatures sets "
           "n_features_in_ only for a one-column DataFrame; see "
           "test_features.py::test_batching_does_not_change_features and "
           "test_n_features_in_for_dataframes below")

EXPECTED_FAILED_CHECKS = {
    "check_n_features_in": _LENGTH,
    "check_n_features_in_after_fitting": _LENGTH,
    "check_transformer_general": _LENGTH + " (the check transforms a batch of shorter clips "
                                 "and expects an error)",
    "check_transformer_general(readonly_memmap=True)": _LENGTH,
    "check_dtype_object": "an object array is a column of items (paths, arrays, (y, sr) "
                          "tuples); each row of Python floats is rejected by "
                          "mmfuse.io.load_audio as an unsupported dtype, naming the row "
                          "(test_features.py::test_bad_items_raise_naming_row_and_cause)",
}


@parametrize_with_checks([MFCCFeatures(n_mfcc=13)],
                         expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_n_features_in_for_dataframes():
    pd = pytest.importorskip("pandas")
    clips = [np.zeros(800, np.float32), np.ones(1200, np.float32) * 0.1]
    ext = MFCCFeatures().fit(pd.DataFrame({"audio": clips}))
    assert ext.n_features_in_ == 1 and list(ext.feature_names_in_) == ["audio"]
    ext.fit(clips)
    assert not hasattr(ext, "n_features_in_")
    with pytest.raises(ValueError, match="Reshape your data"):
        ext.transform(clips[0])
