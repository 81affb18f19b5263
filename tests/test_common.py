"""Every public estimator through skmm's common checks (and sklearn's)."""

import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.naive_bayes import GaussianNB
from sklearn.utils.estimator_checks import parametrize_with_checks

from skmm.base import get_skmm_tags
from skmm.compose import PerItem
from skmm.encode import VLAD, BagOfWords, FisherVector, SpatialPyramid
from skmm.fusion import (
    CommonSpaceFusion,
    CoTrainingClassifier,
    LateFusionClassifier,
    LateFusionRegressor,
)
from skmm.image import HOG
from skmm.retrieval import (
    CorrelationMatching,
    CrossModalCCA,
    GeneralizedCCA,
    KernelCCA,
    SemanticCorrelationMatching,
    SemanticMatching,
)
from skmm.text import Word2VecVectorizer
from skmm.utils import all_estimators
from skmm.utils.estimator_checks import yield_checks

# Small, fast settings for estimators whose defaults are sized for real data.
_FAST_PARAMS = {
    Word2VecVectorizer: dict(vector_size=8, min_count=1, epochs=2),
    BagOfWords: dict(n_clusters=4),
    VLAD: dict(n_clusters=4),
    FisherVector: dict(n_components=2),
    # Required transformer: HOG of each image of a cell, pooled.
    PerItem: dict(transformer=HOG(pixels_per_cell=(8, 8), cells_per_block=(1, 1))),
    SpatialPyramid: dict(
        encoder=BagOfWords(n_clusters=4, random_state=0), levels=(1, 2)
    ),
    # scikit-learn's checks pass a 1-D y: a one-feature second modality.
    CrossModalCCA: dict(n_components=1),
    KernelCCA: dict(n_components=1, n_kernel_components=20),
    # Required parameters: two modalities over interleaved columns, which any
    # input width of scikit-learn's checks has.
    LateFusionClassifier: dict(
        estimators=[
            ("a", LogisticRegression(), slice(0, None, 2)),
            ("b", GaussianNB(), slice(0, None)),
        ]
    ),
    CoTrainingClassifier: dict(
        estimators=[
            ("a", LogisticRegression(), slice(0, None, 2)),
            ("b", GaussianNB(), slice(0, None)),
        ]
    ),
    LateFusionRegressor: dict(
        estimators=[
            ("a", Ridge(), slice(0, None, 2)),
            ("b", LinearRegression(), slice(0, None)),
        ]
    ),
    CorrelationMatching: dict(
        transformers=[
            ("a", "passthrough", slice(0, None, 2)),
            ("b", "passthrough", slice(0, None)),
        ],
        cca=CrossModalCCA(n_components=1),
    ),
    SemanticCorrelationMatching: dict(
        transformers=[
            ("a", "passthrough", slice(0, None, 2)),
            ("b", "passthrough", slice(0, None)),
        ],
        cca=CrossModalCCA(n_components=1),
    ),
    # Two interleaved blocks of a 1-d common space.
    CommonSpaceFusion: dict(
        blocks=[("a", slice(0, None, 2)), ("b", slice(1, None, 2))], n_components=1
    ),
    GeneralizedCCA: dict(
        transformers=[
            ("a", "passthrough", slice(0, None, 2)),
            ("b", "passthrough", slice(0, None)),
        ],
        n_components=1,
    ),
    SemanticMatching: dict(
        estimators=[
            ("a", LogisticRegression(), slice(0, None, 2)),
            ("b", GaussianNB(), slice(0, None)),
        ]
    ),
}


def _instances():
    for _, cls in all_estimators():
        yield cls(**_FAST_PARAMS.get(cls, {}))


def _raw(estimator):
    return get_skmm_tags(estimator).input_kind is not None


RAW = [e for e in _instances() if _raw(e)]
NUMERIC = [e for e in _instances() if not _raw(e)]


def test_discovery_finds_estimators():
    names = [name for name, _ in all_estimators()]
    for expected in (
        "Word2VecVectorizer",
        "AudioReader",
        "MFCC",
        "StatsPooling",
        "BagOfWords",
        "VLAD",
        "FisherVector",
        "ImageReader",
        "HOG",
        "SIFT",
        "DenseSIFT",
        "DAISY",
        "ORB",
        "SpatialPyramid",
    ):
        assert expected in names


@pytest.mark.parametrize(
    "estimator, check",
    [(e, c) for e in _instances() for c in yield_checks(e)],
    ids=lambda x: getattr(x, "__name__", type(x).__name__),
)
def test_skmm_checks(estimator, check):
    check(type(estimator).__name__, estimator)


def _expected_failures(estimator):
    if isinstance(estimator, CoTrainingClassifier):
        # As for SelfTrainingClassifier, which scikit-learn's check exempts by
        # name: the check's binary labels are -1 and 1, and -1 marks an
        # unlabelled sample.
        return {"check_classifiers_classes": "-1 marks unlabelled samples."}
    return {}


if NUMERIC:
    # GaussianNB (inside LateFusionClassifier) warns on the log of a zero
    # class prior in check_classifiers_one_label_sample_weights.
    @pytest.mark.filterwarnings(
        "ignore:divide by zero encountered in log:RuntimeWarning"
    )
    @parametrize_with_checks(NUMERIC, expected_failed_checks=_expected_failures)
    def test_sklearn_checks(estimator, check):
        check(estimator)
