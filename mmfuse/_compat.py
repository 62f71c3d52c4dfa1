"""The one place that imports private scikit-learn helpers (via sklearn-compat).

``sklearn-compat`` keeps ``validate_data``, ``_fit_context``, ``validate_params``
and the tag classes stable across scikit-learn releases; the parameter-constraint
classes have been stable in ``sklearn.utils._param_validation`` since 1.2.

Parameters are checked declaratively, the scikit-learn way, everywhere in mmfuse:
estimators list ``_parameter_constraints`` (checked by ``_fit_context``) and
public functions are decorated with :func:`validate_params`. Either way a bad
value raises ``InvalidParameterError`` (a :class:`ValueError` and
:class:`TypeError`) saying "The 'gamma' parameter of chi2_kernel must be a float
in the range (0, inf). Got nan instead.". Real intervals open at infinity reject
``inf``, and every interval rejects NaN.
"""

from numbers import Integral

from sklearn.utils._param_validation import (  # noqa: F401
    HasMethods,
    Hidden,
    Interval,
    InvalidParameterError,
    Options,
    RealNotInt,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn_compat.base import _fit_context  # noqa: F401
from sklearn_compat.utils._param_validation import validate_params  # noqa: F401
from sklearn_compat.utils.validation import validate_data  # noqa: F401

try:  # rows per chunk within ``working_memory``; public in sklearn.utils before 1.5
    from sklearn.utils._chunking import get_chunk_n_rows
except ImportError:  # pragma: no cover - older scikit-learn
    from sklearn.utils import get_chunk_n_rows  # noqa: F401

#: the ``device`` parameter of every function and estimator
DEVICE_CONSTRAINT = [StrOptions({"auto", "cpu", "cuda"}), None]


class PairInterval(Interval):
    """An :class:`Interval` for a value given once or as a pair ``(rows, cols)``.

    ``PairInterval(Integral, 1, None, closed="left")`` accepts ``8`` and
    ``(8, 6)`` (tuple or list) but not ``(0, 8)``, ``(8,)``, ``(True, 8)`` or
    ``8.0``: each element must satisfy the interval and be no ``bool``.
    scikit-learn's validators accept it because it is an ``Interval``.
    """

    def _element_ok(self, value):
        return not isinstance(value, bool) and super().is_satisfied_by(value)

    def is_satisfied_by(self, val):
        if isinstance(val, (tuple, list)):
            return len(val) == 2 and all(self._element_ok(v) for v in val)
        return self._element_ok(val)

    def __str__(self):
        kind = "ints" if self.type is Integral else "numbers"
        return f"{super().__str__()}, or a pair (rows, cols) of such {kind}"


def stack_method_name(name, estimator, method):
    """scikit-learn's ``stack_method`` resolution of :class:`~sklearn.ensemble.StackingClassifier`.

    ``method`` is a method name, a list of them tried in order, or ``'auto'``
    (``predict_proba``, ``decision_function``, ``predict``); returns the name of
    the first that ``estimator`` has, or raises ``ValueError`` naming ``name``.
    """
    from sklearn.ensemble._stacking import _BaseStacking  # noqa: PLC0415

    return _BaseStacking._method_name(name, estimator, method)


def clone_final_estimator(stacker, default):
    """Set ``stacker.final_estimator_`` to a clone of its ``final_estimator`` or of ``default``.

    scikit-learn's own defaulting and cloning of a stacking meta-model.
    """
    from sklearn.ensemble._stacking import _BaseStacking  # noqa: PLC0415

    _BaseStacking._clone_final_estimator(stacker, default)
    return stacker.final_estimator_
