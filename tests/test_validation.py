"""Every public function checks its parameters declaratively (scikit-learn's validate_params).

A non-finite or out-of-range number, a string outside the options, a value of the wrong
type: each raises a ValueError that names the function and the parameter, before any work.
"""

import inspect
from numbers import Real

import numpy as np
import pytest
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    generate_invalid_param_val,
    make_constraint,
)

import mmfuse.audio
import mmfuse.image
import mmfuse.io
import mmfuse.kernels
from mmfuse._validation import constraints_of

#: each public function, with arguments that are valid, for calling it with one bad parameter
PUBLIC_FUNCTIONS = {
    mmfuse.image.hog: {"images": np.zeros((1, 16, 16))},
    mmfuse.image.dense_sift: {"images": np.zeros((1, 16, 16))},
    mmfuse.image.assign: {"X": np.ones((3, 2)), "centers": np.ones((2, 2))},
    mmfuse.image.opencv_keypoint_size: {"patch_size": 16},
    mmfuse.audio.mfcc: {"y": np.zeros(1000)},
    mmfuse.kernels.chi2_kernel: {"X": np.ones((2, 2))},
    mmfuse.kernels.intersection_kernel: {"X": np.ones((2, 2))},
    mmfuse.kernels.pairwise_kernel: {"X": np.ones((2, 2))},
    mmfuse.kernels.kernel_diagonal: {"X": np.ones((2, 2))},
    mmfuse.kernels.chi2_distance: {"X": np.ones((2, 2))},
    mmfuse.io.load_image: {"item": np.zeros((4, 4))},
    mmfuse.io.load_audio: {"item": np.zeros(10)},
    mmfuse.io.load_text: {"item": "text"},
    mmfuse.io.load_column: {"items": [np.zeros((4, 4))], "loader": mmfuse.io.load_image},
    mmfuse.io.exif_orientation: {"data": b""},
}

#: public functions of these modules that take no parameter to check, and why
NOTHING_TO_CHECK = {
    mmfuse.io.is_missing: "a predicate over any object (run once per cell by the fusers)",
    mmfuse.io.missing_rows: "the fusers' row mask over any column or block (a Series, "
                            "DataFrame, array, sparse matrix or list): every input is valid",
}

MODULES = [mmfuse.image, mmfuse.audio, mmfuse.kernels, mmfuse.io]


def _name(func):
    return func.__qualname__


def test_every_public_function_of_these_modules_is_validated():
    public = {getattr(m, n) for m in MODULES for n in m.__all__}
    functions = {f for f in public if inspect.isfunction(f)}
    assert functions == set(PUBLIC_FUNCTIONS) | set(NOTHING_TO_CHECK)


@pytest.mark.parametrize("func", list(PUBLIC_FUNCTIONS), ids=_name)
def test_constraints_cover_every_parameter(func):
    constraints = constraints_of(func)
    assert constraints is not None, f"{_name(func)} is not decorated with validate_params"
    params = [p.name for p in inspect.signature(func).parameters.values()
              if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    assert sorted(constraints) == sorted(params)


def _bad_values(constraints):
    """A value of no accepted type, then per constraint a value of its type it refuses,
    and for every Real interval NaN and each infinity it does not include."""
    yield type("BadType", (), {})()
    for constraint in (make_constraint(c) for c in constraints):
        try:
            yield generate_invalid_param_val(constraint)
        except NotImplementedError:
            pass
        if isinstance(constraint, Interval) and constraint.type is Real:
            yield np.nan
            if constraint.right is None and constraint.closed in ("left", "neither"):
                yield np.inf
            if constraint.left is None and constraint.closed in ("right", "neither"):
                yield -np.inf


@pytest.mark.parametrize("func", list(PUBLIC_FUNCTIONS), ids=_name)
def test_bad_values_raise_naming_the_parameter(func):
    valid = PUBLIC_FUNCTIONS[func]
    checked = 0
    for param, constraints in constraints_of(func).items():
        if constraints == "no_validation":
            continue
        match = rf"The '{param}' parameter of {_name(func)} must be .* Got .* instead\."
        for bad in _bad_values(constraints):
            if any(make_constraint(c).is_satisfied_by(bad) for c in constraints):
                continue  # valid for another constraint of the list (e.g. mel_norm=inf)
            with pytest.raises(InvalidParameterError, match=match):
                func(**{**valid, param: bad})
            checked += 1
    assert checked


@pytest.mark.parametrize("func, kwargs, param", [
    (mmfuse.audio.mfcc, {"lifter": np.nan}, "lifter"),
    (mmfuse.audio.mfcc, {"lifter": np.inf}, "lifter"),
    (mmfuse.kernels.chi2_kernel, {"gamma": 0}, "gamma"),
    (mmfuse.kernels.chi2_kernel, {"gamma": -1}, "gamma"),
    (mmfuse.kernels.chi2_kernel, {"gamma": np.nan}, "gamma"),
    (mmfuse.kernels.chi2_kernel, {"gamma": np.inf}, "gamma"),
], ids=lambda v: getattr(v, "__name__", str(v)))
def test_the_issues_examples(func, kwargs, param):
    with pytest.raises(ValueError, match=f"The '{param}' parameter of {func.__name__}"):
        func(**PUBLIC_FUNCTIONS[func], **kwargs)


def _estimators():
    from mmfuse.audio import MFCCFeatures
    from mmfuse.image import BoVWEncoder, FisherEncoder, HOGFeatures, SIFTFeatures, VLADEncoder
    from mmfuse.text import TfidfText

    return [HOGFeatures, SIFTFeatures, TfidfText, MFCCFeatures, BoVWEncoder, VLADEncoder,
            FisherEncoder]


@pytest.mark.parametrize("cls", _estimators(), ids=lambda c: c.__name__)
def test_estimators_refuse_non_finite_numbers(cls):
    """The same mechanism for the estimators (``_parameter_constraints``, checked by fit):
    NaN, and an infinity outside the interval, are refused naming the parameter."""
    checked = 0
    for param, constraints in cls._parameter_constraints.items():
        if constraints == "no_validation":
            continue
        for bad in (np.nan, np.inf, -np.inf):
            if any(make_constraint(c).is_satisfied_by(bad) for c in constraints):
                continue
            if not any(isinstance(c, Interval) for c in constraints):
                continue  # not a numeric parameter: the type check covers it
            with pytest.raises(InvalidParameterError,
                               match=rf"The '{param}' parameter of {cls.__name__} must be"):
                cls(**{param: bad}).fit([[0.0]])
            checked += 1
    assert checked
