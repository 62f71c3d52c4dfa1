"""The one place that imports private scikit-learn helpers (via sklearn-compat).

``sklearn-compat`` keeps ``validate_data``, ``_fit_context`` and the tag classes
stable across scikit-learn releases; the parameter-constraint classes have been
stable in ``sklearn.utils._param_validation`` since 1.2.
"""

from sklearn.utils._param_validation import (  # noqa: F401
    HasMethods,
    Hidden,
    Interval,
    Options,
    StrOptions,
)
from sklearn_compat.base import _fit_context  # noqa: F401
from sklearn_compat.utils.validation import validate_data  # noqa: F401
