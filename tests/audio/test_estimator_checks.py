"""What scikit-learn's estimator checks cannot see of MFCCFeatures.

scikit-learn's estimator checks for MFCCFeatures run in tests/test_common.py, on numeric
batches of equal-length clips; the checks that do not fit an audio extractor are listed
there with the reason and the test that covers their intent, such as the one below.
"""

import numpy as np
import pytest

from mmfuse.audio import MFCCFeatures


def test_n_features_in_for_dataframes():
    pd = pytest.importorskip("pandas")
    clips = [np.zeros(800, np.float32), np.ones(1200, np.float32) * 0.1]
    ext = MFCCFeatures().fit(pd.DataFrame({"audio": clips}))
    assert ext.n_features_in_ == 1 and list(ext.feature_names_in_) == ["audio"]
    ext.fit(clips)
    assert not hasattr(ext, "n_features_in_")
    with pytest.raises(ValueError, match="Reshape your data"):
        ext.transform(clips[0])
