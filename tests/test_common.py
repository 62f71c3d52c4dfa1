"""scikit-learn's estimator checks for every public estimator of mmfuse, in one place.

As scikit-learn's own ``sklearn/tests/test_common.py`` and
``sklearn/utils/_test_common/instance_generator.py``:

* the estimators are *discovered*: every class that a public module of mmfuse lists in its
  ``__all__`` (``mmfuse.__all__`` and, recursively, its subpackages') and that is a
  scikit-learn ``BaseEstimator`` is checked, so a new public estimator is checked without
  editing this file;
* ``INSTANCES`` gives the configurations checked where the defaults cannot be (a fuser
  needs its blocks, a meta-estimator its parts) or where several configurations take
  different code paths; any other estimator is checked default-constructed;
* ``PER_ESTIMATOR_XFAIL_CHECKS`` lists every check expected to fail, with the reason and
  the test that covers its intent with real input.

Column extractors (``HOGFeatures``, ``SIFTFeatures``, ``TfidfText``) take ONE column of
items (images or texts: ``input_tags.two_d_array=False``), so ``parametrize_with_checks``
yields no data check for them (those feed numeric ``(n_samples, n_features)`` tables); the
API checks that need no data run for them in :func:`test_api_checks_of_column_extractors`,
and their data checks are listed in ``PER_ESTIMATOR_XFAIL_CHECKS`` as not applicable.
"""

import inspect
import warnings

import pytest
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.exceptions import SkipTestWarning
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.utils import estimator_checks as ec
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import parametrize_with_checks
from sklearn.utils.validation import check_is_fitted
from sklearn_compat.utils.validation import validate_data

import mmfuse
from mmfuse.audio import MFCCFeatures, VTLPAugmentedClassifier
from mmfuse.fusion import FeatureFusion, KernelFusionClassifier, LateFusionClassifier
from mmfuse.image import BoVWEncoder, FisherEncoder, HOGFeatures, SIFTFeatures, VLADEncoder
from mmfuse.svm import FastSVC
from mmfuse.text import TfidfText


# --------------------------------------------------------------------------- discovery

def all_estimators():
    """Every public estimator class of mmfuse, sorted by name."""
    found, seen = {}, set()

    def walk(module):
        if module.__name__ in seen:
            return
        seen.add(module.__name__)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if inspect.ismodule(obj):
                if obj.__name__.startswith("mmfuse."):
                    walk(obj)
            elif (inspect.isclass(obj) and issubclass(obj, BaseEstimator)
                  and obj.__module__.startswith("mmfuse") and not inspect.isabstract(obj)):
                found[obj.__name__] = obj

    walk(mmfuse)
    return [found[name] for name in sorted(found)]


#: the public estimators of today; a new one is discovered (and checked) without being named
KNOWN_ESTIMATORS = {
    "BoVWEncoder", "FastSVC", "FeatureFusion", "FisherEncoder", "HOGFeatures",
    "KernelFusionClassifier", "LateFusionClassifier", "MFCCFeatures", "SIFTFeatures",
    "TfidfText", "VLADEncoder", "VTLPAugmentedClassifier",
}


# --------------------------------------------------------------------------- instances

class _WarpedScale(TransformerMixin, BaseEstimator):
    """A numeric stand-in for an audio extractor with a warp parameter: X * vtlp_alpha."""

    def __init__(self, vtlp_alpha=1.0):
        self.vtlp_alpha = vtlp_alpha

    def fit(self, X, y=None):
        validate_data(self, X)
        return self

    def transform(self, X):
        check_is_fitted(self)
        return validate_data(self, X, reset=False) * self.vtlp_alpha


# The fusers select columns, so they run with blocks that select *all* columns
# (``slice(None)``) or every other column, which works whatever number of features a check
# generates.
ALL = slice(None)
EVEN = slice(0, None, 2)  # at least one column whatever n_features

#: {estimator class: [instances checked]}; a class not listed is checked as ``Class()``
INSTANCES = {
    # A 2-D array is read as one descriptor per sample, so every check applies (soft BoVW
    # shares all code paths checked here but the responsibilities, which
    # tests/image/test_encoding.py::test_bovw_soft_is_kernel_codebook covers).
    BoVWEncoder: [BoVWEncoder(3, random_state=0)],
    VLADEncoder: [VLADEncoder(3, random_state=0)],
    FisherEncoder: [FisherEncoder(2, random_state=0)],
    # The encoder as a parameter (a nested estimator: get_params/set_params/clone and the
    # parameter validation of an estimator-valued parameter).
    SIFTFeatures: [SIFTFeatures(), SIFTFeatures(encoder=VLADEncoder(4, power=1.0))],
    # A numeric (n_samples, n_features) array is a valid MFCCFeatures input: a batch of
    # n_samples equal-length clips of n_features samples each, so the data checks run, on
    # clips of a few samples (shorter than one frame, which is handled).
    MFCCFeatures: [MFCCFeatures(n_mfcc=13)],
    # The augmentation meta-estimator over a numeric extractor with a warp parameter (the
    # audio extractor itself is checked above; tests/audio/test_vtlp.py runs it on clips).
    VTLPAugmentedClassifier: [VTLPAugmentedClassifier(_WarpedScale(), GaussianNB(),
                                                      warp_factors=(0.95, 1.0))],
    FeatureFusion: [
        FeatureFusion([("a", StandardScaler(), ALL), ("b", MinMaxScaler(), EVEN)]),
        FeatureFusion([("a", StandardScaler(), ALL), ("b", "passthrough", ALL)],
                      strategy="weighted", weights={"a": 2.0, "b": 0.5},
                      block_norm="standard"),
        FeatureFusion([("a", StandardScaler(), ALL), ("b", MinMaxScaler(), ALL)],
                      strategy="average", block_norm=None),
        FeatureFusion([("a", StandardScaler(), ALL), ("b", MinMaxScaler(), ALL)],
                      strategy="product"),
    ],
    LateFusionClassifier: [
        LateFusionClassifier([("a", LogisticRegression(), ALL), ("b", GaussianNB(), EVEN)]),
        LateFusionClassifier([("a", LogisticRegression(), ALL), ("b", GaussianNB(), ALL)],
                             rule="product", weights={"a": 2.0}),
        LateFusionClassifier([("a", LogisticRegression(), ALL), ("b", GaussianNB(), ALL)],
                             rule="vote"),
        LateFusionClassifier([("a", LogisticRegression(), ALL), ("b", GaussianNB(), EVEN)],
                             rule="stack", cv=2),
    ],
    KernelFusionClassifier: [
        KernelFusionClassifier([("a", StandardScaler(), ALL, "rbf"),
                                ("b", "passthrough", EVEN, "linear")]),
        KernelFusionClassifier([("a", MinMaxScaler(clip=True), ALL, "chi2"),
                                ("b", MinMaxScaler(), EVEN, "poly")],
                               weights="easymkl", normalize="trace",
                               estimator=LogisticRegression()),
        KernelFusionClassifier([("a", MinMaxScaler(clip=True), ALL, "intersection"),
                                ("b", StandardScaler(), ALL, "rbf")],
                               weights="uniform", approximation="nystroem", n_components=20,
                               random_state=0),
    ],
    FastSVC: [FastSVC(), FastSVC(kernel="precomputed")],
}


def _tested_estimators():
    """One instance per configuration of every discovered estimator (fresh clones)."""
    for cls in all_estimators():
        for estimator in INSTANCES.get(cls, [None]):
            yield cls() if estimator is None else clone(estimator)


# --------------------------------------------------------------------------- expected failures

_LENGTH = ("the second axis of a numeric batch is the clip LENGTH, which may differ between "
           "fit and transform (clips of any length are valid), so MFCCFeatures sets "
           "n_features_in_ only for a one-column DataFrame; see "
           "tests/audio/test_features.py::test_batching_does_not_change_features and "
           "tests/audio/test_estimator_checks.py::test_n_features_in_for_dataframes")

_SVC_SAMPLE_WEIGHT = "libsvm: sample_weight is not equivalent to removing/repeating samples"

_HOG = "tests/image/test_hog.py::"
_SIFT = "tests/image/test_sift.py::"
_TFIDF = "tests/text/test_tfidf.py::"

#: {estimator class: {check name: reason}}. The fusers and the encoders pass every check in
#: the configurations of INSTANCES. (Getting there made the fusers raise scikit-learn's
#: messages for 1-D, empty and 1-class input, derive allow_nan/sparse tags from their parts,
#: and refuse NaN cells before element-wise fusion.) The entries of the column extractors
#: are data checks scikit-learn does not yield for them (they feed numeric
#: (n_samples, n_features) arrays, which are not a column of images or texts); each names
#: the test that covers its intent with real input.
PER_ESTIMATOR_XFAIL_CHECKS = {
    MFCCFeatures: {
        "check_n_features_in": _LENGTH,
        "check_n_features_in_after_fitting": _LENGTH,
        "check_transformer_general": _LENGTH + (" (the check transforms a batch of shorter "
                                                "clips and expects an error)"),
        "check_transformer_general(readonly_memmap=True)": _LENGTH,
        "check_dtype_object": "an object array is a column of items (paths, arrays, (y, sr) "
                              "tuples); each row of Python floats is rejected by "
                              "mmfuse.io.load_audio as an unsupported dtype, naming the row "
                              "(tests/audio/test_features.py::"
                              "test_bad_items_raise_naming_row_and_cause)",
    },
    # scikit-learn's own list for SVC (sklearn/utils/_test_common/instance_generator.py)
    FastSVC: {
        "check_sample_weight_equivalence_on_dense_data": _SVC_SAMPLE_WEIGHT,
        "check_sample_weight_equivalence_on_sparse_data": _SVC_SAMPLE_WEIGHT,
    },
    HOGFeatures: {
        "check_fit_score_takes_y": "numeric 2-D X; y is accepted and ignored "
                                   f"({_HOG}test_pipeline_grid_search_clone_pickle_and_"
                                   "pandas_output)",
        "check_estimators_overwrite_params": f"numeric X; see {_HOG}test_pipeline_grid_"
                                             "search_clone_pickle_and_pandas_output",
        "check_dont_overwrite_parameters": "numeric X; fit sets only n_features_out_ (and "
                                           "n_features_in_ for a DataFrame)",
        "check_estimators_fit_returns_self": "numeric X; fit returns self (docstring "
                                             "example)",
        "check_estimators_unfitted": f"numeric X; see {_HOG}test_parameter_errors "
                                     "(NotFittedError)",
        "check_n_features_in_after_fitting": "an image column has no n_features_in_ unless "
                                             "it is a one-column DataFrame "
                                             f"({_HOG}test_pipeline_grid_search_clone_pickle_"
                                             "and_pandas_output)",
        "check_transformer_general": f"numeric X; see {_HOG}test_transformer_equals_hog_on_"
                                     "sized_images",
        "check_estimators_pickle": f"numeric X; see {_HOG}test_pipeline_grid_search_clone_"
                                   "pickle_and_pandas_output",
        "check_transformer_preserve_dtypes": "output is float32 by design "
                                             "(preserves_dtype=[])",
    },
    SIFTFeatures: {
        "check_estimators_fit_returns_self": f"numeric X; see {_SIFT}test_clone_pickle_and_"
                                             "pandas_output",
        "check_fit_idempotent": f"numeric X; see {_SIFT}test_clone_pickle_and_pandas_output",
        "check_estimators_pickle": f"numeric X; see {_SIFT}test_clone_pickle_and_pandas_"
                                   "output",
        "check_estimators_unfitted": f"numeric X; see {_SIFT}test_transform_before_fit_"
                                     "raises",
        "check_n_features_in_after_fitting": "an image column has no n_features_in_ unless "
                                             "it is a one-column DataFrame (the DataFrame "
                                             f"case of {_SIFT}test_clone_pickle_and_pandas_"
                                             "output)",
    },
    TfidfText: {
        "check_fit_score_takes_y": "numeric 2-D X; TfidfText takes one text column "
                                   "(y is accepted and ignored: "
                                   f"{_TFIDF}test_pipeline_and_grid_search_over_own_params)",
        "check_estimators_overwrite_params": f"numeric X; see {_TFIDF}test_clone_and_pickle_"
                                             "round_trip",
        "check_dont_overwrite_parameters": "numeric X; fit sets only attributes ending "
                                           "in '_'",
        "check_estimators_fit_returns_self": "numeric X; fit returns self (docstring "
                                             "example)",
        "check_readonly_memmap_input": "numeric memmap X; text is not memory-mapped",
        "check_estimators_unfitted": f"numeric X; see {_TFIDF}test_transform_before_fit_"
                                     "raises",
        "check_n_features_in_after_fitting": "a text column has no n_features_in_ unless it "
                                             "is a one-column DataFrame "
                                             f"({_TFIDF}test_input_containers_give_the_same_"
                                             "features)",
        "check_positive_only_tag_during_fit": "numeric X",
        "check_transformer_general": f"numeric X; see {_TFIDF}test_regex_no_stemmer_equals_"
                                     "plain_tfidfvectorizer (fit_transform == "
                                     "fit().transform)",
        "check_estimators_pickle": f"numeric X; see {_TFIDF}test_clone_and_pickle_round_trip",
    },
}


def expected_failed_checks(estimator):
    """``{check name: reason}`` for ``parametrize_with_checks(expected_failed_checks=...)``."""
    return PER_ESTIMATOR_XFAIL_CHECKS.get(type(estimator), {})


# --------------------------------------------------------------------------- the checks

@parametrize_with_checks(list(_tested_estimators()),
                         expected_failed_checks=expected_failed_checks)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


#: checks that need no data, run for estimators that parametrize_with_checks gives no data
#: check (a column of images or texts)
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


def _column_extractors():
    return [est for est in _tested_estimators() if not get_tags(est).input_tags.two_d_array]


@pytest.mark.parametrize("check_name", API_CHECKS)
@pytest.mark.parametrize("estimator", _column_extractors(), ids=lambda e: type(e).__name__)
def test_api_checks_of_column_extractors(estimator, check_name):
    reason = expected_failed_checks(estimator).get(check_name)
    if reason is not None:
        pytest.xfail(reason)
    getattr(ec, check_name)(type(estimator).__name__, clone(estimator))


# --------------------------------------------------------------------------- the tables

def test_every_public_estimator_is_discovered():
    names = {cls.__name__ for cls in all_estimators()}
    assert names, "no public estimator found: is __all__ walked?"
    assert KNOWN_ESTIMATORS <= names


def test_tables_name_discovered_estimators_and_real_checks():
    discovered = set(all_estimators())
    assert set(INSTANCES) <= discovered
    assert set(PER_ESTIMATOR_XFAIL_CHECKS) <= discovered
    for cls, instances in INSTANCES.items():
        assert instances and all(type(est) is cls for est in instances)
    for cls, checks in PER_ESTIMATOR_XFAIL_CHECKS.items():
        for name, reason in checks.items():
            assert callable(getattr(ec, name.split("(")[0], None)), (cls.__name__, name)
            assert len(reason) > 8, (cls.__name__, name)


def test_column_extractors_get_no_data_check_from_scikit_learn():
    """Why their API checks run here and their data checks are listed as not applicable."""
    extractors = _column_extractors()
    names = {type(e).__name__ for e in extractors}
    assert names >= {"HOGFeatures", "SIFTFeatures", "TfidfText"}
    for est in extractors:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yielded = {getattr(c, "func", c).__name__
                       for c in ec._yield_all_checks(est, legacy=True)}
        assert yielded <= {"check_estimator_cloneable"}, (type(est).__name__, yielded)
        assert any(issubclass(w.category, SkipTestWarning) for w in caught)
