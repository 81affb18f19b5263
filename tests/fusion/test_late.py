"""Tests of LateFusionClassifier and LateFusionRegressor."""

import pickle

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import BaseEstimator, TransformerMixin, clone, is_classifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    KFold,
    StratifiedKFold,
    cross_val_predict,
    train_test_split,
)
from sklearn.naive_bayes import GaussianNB, MultinomialNB
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.svm import SVC
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

from skmm.audio import MFCC
from skmm.datasets import make_multimodal_digits
from skmm.encode import StatsPooling
from skmm.fusion import LateFusionClassifier, LateFusionRegressor

# Every fusion rule, with fixed, learned or given weights.
RULES = [
    ("mean", None),
    ("weighted", "learn"),
    ("weighted", [0.5, 0.3, 0.2]),
    ("product", None),
    ("product", "learn"),
    ("max", None),
    ("vote", None),
    ("stacking", None),
]


def _flatten(images):
    return np.stack(list(images)).reshape(len(images), -1)


def _digit_estimators():
    return [
        (
            "text",
            make_pipeline(TfidfVectorizer(), LogisticRegression(C=20, max_iter=1000)),
            "text",
        ),
        (
            "image",
            make_pipeline(
                FunctionTransformer(_flatten),
                StandardScaler(),
                LogisticRegression(max_iter=1000),
            ),
            "image",
        ),
        (
            "audio",
            make_pipeline(
                MFCC(sr=8000, n_fft=1024, hop_length=256, n_mels=64, n_mfcc=20),
                StandardScaler(),
                LogisticRegression(max_iter=1000),
            ),
            "audio",
        ),
    ]


@pytest.fixture(scope="module")
def digits():
    data = make_multimodal_digits(400, missing_rate=0.2, random_state=0)
    return train_test_split(
        data.data, data.target, test_size=0.5, random_state=0, stratify=data.target
    )


def _numeric(n_samples=200, seed=0):
    """Two informative 2-column modalities and one of pure noise."""
    rng = np.random.default_rng(seed)
    y = np.arange(n_samples) % 3
    centres = rng.normal(size=(3, 4)) * 2
    X = np.hstack(
        [centres[y] + rng.normal(size=(n_samples, 4)), rng.normal(size=(n_samples, 2))]
    )
    return X, y


def _numeric_estimators():
    return [
        ("a", LogisticRegression(), [0, 1]),
        ("b", GaussianNB(), slice(2, 4)),
        ("noise", LogisticRegression(), [4, 5]),
    ]


# -- every rule --------------------------------------------------------------


# The digits cost a feature extraction per fit: the rules that differ only at
# prediction time are covered on numeric columns below.
@pytest.mark.parametrize(
    "fusion, weights",
    [("mean", None), ("weighted", "learn"), ("product", None), ("stacking", None)],
)
def test_rules_on_digits_with_missing_modalities(digits, fusion, weights):
    X_train, X_test, y_train, y_test = digits
    late = LateFusionClassifier(
        _digit_estimators(), fusion=fusion, weights=weights, cv=3
    ).fit(X_train, y_train)
    y_pred = late.predict(X_test)
    assert y_pred.shape == (len(X_test),)
    proba = late.predict_proba(X_test)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # Chance is 0.1; every rule must fuse into something clearly useful.
    assert np.mean(y_pred == y_test) > 0.6
    if fusion != "stacking":
        np.testing.assert_allclose(late.weights_.sum(), 1.0)
    if late.modality_scores_ is not None:
        assert set(late.modality_scores_) == {"text", "image", "audio"}


@pytest.mark.parametrize("fusion, weights", RULES)
def test_rules_on_numeric_columns(fusion, weights):
    X, y = _numeric()
    late = LateFusionClassifier(
        _numeric_estimators(), fusion=fusion, weights=weights, cv=3
    ).fit(X[::2], y[::2])
    accuracy = late.score(X[1::2], y[1::2])
    single = clone(LogisticRegression()).fit(X[::2, :2], y[::2])
    assert accuracy > 0.7
    if fusion in ("mean", "product", "stacking"):
        assert accuracy >= single.score(X[1::2, :2], y[1::2]) - 0.05
    scores = late.decision_function(X[1::2])
    np.testing.assert_array_equal(
        late.classes_[scores.argmax(axis=1)], late.predict(X[1::2])
    )


def test_fusion_rules_by_hand():
    X, y = _numeric()
    late = LateFusionClassifier(_numeric_estimators()).fit(X, y)
    per_modality = late.predict_proba_per_modality(X)
    assert per_modality.shape == (3, len(X), 3)
    np.testing.assert_allclose(late.predict_proba(X), per_modality.mean(axis=0))
    late.set_params(fusion="product")
    geometric = np.exp(np.log(np.maximum(per_modality, 1e-12)).mean(axis=0))
    np.testing.assert_allclose(
        late.predict_proba(X), geometric / geometric.sum(axis=1, keepdims=True)
    )
    late.set_params(fusion="vote")
    votes = per_modality.argmax(axis=2)
    expected = np.stack([(votes == k).mean(axis=0) for k in range(3)], axis=1)
    np.testing.assert_allclose(late.predict_proba(X), expected)


# -- learned weights -----------------------------------------------------------


def test_learned_weights_favour_the_informative_modality():
    X, y = _numeric(300)
    late = LateFusionClassifier(_numeric_estimators(), weights="learn").fit(X, y)
    assert late.weights_.argmin() == 2
    assert late.weights_[2] < 0.1
    assert late.modality_scores_["noise"] < 0.5 < late.modality_scores_["a"]
    # "mean" with learned weights is "weighted".
    weighted = LateFusionClassifier(_numeric_estimators(), fusion="weighted")
    np.testing.assert_allclose(weighted.fit(X, y).weights_, late.weights_)


def test_regressor_learned_weights_and_rules():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = X[:, 0] + X[:, 1] + 0.1 * rng.normal(size=300)
    estimators = [
        ("a", LinearRegression(), [0, 1]),
        ("noise", LinearRegression(), [2, 3]),
    ]
    late = LateFusionRegressor(estimators, weights="learn").fit(X, y)
    assert late.weights_[0] > 0.9
    assert late.modality_scores_["a"] > 0.9
    for fusion in ("mean", "weighted", "stacking"):
        model = LateFusionRegressor(estimators, fusion=fusion).fit(X[::2], y[::2])
        assert model.score(X[1::2], y[1::2]) > 0.4
    assert late.predict_per_modality(X).shape == (2, 300)


# -- groups -------------------------------------------------------------------

RECORDED = []


class RecordingGroupKFold(GroupKFold):
    """GroupKFold that records the groups each split received."""

    def split(self, X, y=None, groups=None):
        RECORDED.append(None if groups is None else np.asarray(groups).copy())
        return super().split(X, y, groups)


def _grouped():
    X, y = _numeric(120)
    groups = np.arange(120) // 4
    return X, y, groups


def test_groups_reach_inner_cv_without_routing():
    X, y, groups = _grouped()
    RECORDED.clear()
    late = LateFusionClassifier(
        _numeric_estimators(), weights="learn", cv=RecordingGroupKFold(3)
    )
    late.fit(X, y, groups=groups)
    assert len(RECORDED) == 1
    np.testing.assert_array_equal(RECORDED[0], groups)


def test_groups_reach_inner_cv_under_routing():
    X, y, groups = _grouped()
    outer = GroupKFold(3)
    expected = [groups[train] for train, _ in outer.split(X, y, groups)]
    late = LateFusionClassifier(
        _numeric_estimators(), fusion="stacking", cv=RecordingGroupKFold(2)
    )
    with sklearn.config_context(enable_metadata_routing=True):
        RECORDED.clear()
        cross_val_predict(late, X, y, cv=outer, params={"groups": groups})
        assert len(RECORDED) == 3
        for recorded, want in zip(RECORDED, expected, strict=True):
            np.testing.assert_array_equal(recorded, want)

        RECORDED.clear()
        search = GridSearchCV(
            LateFusionClassifier(
                _numeric_estimators(), weights="learn", cv=RecordingGroupKFold(2)
            ),
            {"fusion": ["mean", "product"]},
            cv=outer,
        ).fit(X, y, groups=groups)
        # Two candidates x three folds, then the refit on every row.
        assert len(RECORDED) == 7
        for recorded in RECORDED[:-1]:
            assert any(
                len(recorded) == len(want) and np.array_equal(recorded, want)
                for want in expected
            )
        np.testing.assert_array_equal(RECORDED[-1], groups)
        assert search.best_estimator_.weights_ is not None


# -- missing modalities --------------------------------------------------------


def test_missing_modalities_get_predictions_for_every_row():
    X, y = _numeric()
    X = X.copy()
    X[:40, :2] = np.nan
    X[30:70, 2:4] = np.nan
    for fusion in ("mean", "product", "stacking", "vote"):
        late = LateFusionClassifier(
            _numeric_estimators(), fusion=fusion, weights=None, cv=3
        ).fit(X, y)
        assert late.predict(X).shape == (len(X),)
        per_modality = late.predict_proba_per_modality(X)
        assert np.isnan(per_modality[0, :40]).all()
        assert not np.isnan(per_modality[0, 40:]).any()
        assert np.isnan(per_modality[1, 30:70]).all()
    # A row with only the noise modality is decided by it alone.
    late = LateFusionClassifier(_numeric_estimators()).fit(X, y)
    only_noise = slice(30, 40)
    np.testing.assert_allclose(
        late.predict_proba(X[only_noise]),
        late.predict_proba_per_modality(X[only_noise])[2],
    )


def test_missing_modalities_in_a_dataframe():
    data = make_multimodal_digits(60, missing_rate=0.3, random_state=1)
    has_text_or_image = ~data.missing[["text", "image"]].all(axis=1).to_numpy()
    X, y = data.data[has_text_or_image], data.target[has_text_or_image]
    late = LateFusionClassifier(_digit_estimators()[:2], fusion="product").fit(X, y)
    assert late.predict(X).shape == (len(X),)
    # A DataFrame with a non-default index: errors name the index label.
    X = X.set_index(pd.Index([f"s{i}" for i in range(len(X))]))
    X.iloc[3, :2] = None
    with pytest.raises(ValueError, match=r"sample 3 \(index label 's3'\)"):
        late.predict(X)


def test_all_modalities_missing_raises():
    X, y = _numeric()
    X = X.copy()
    X[5] = np.nan
    message = r"Every modality \(a, b, noise\) is missing in sample 5;"
    with pytest.raises(ValueError, match=message):
        LateFusionClassifier(_numeric_estimators()).fit(X, y)


def test_modality_missing_a_class_is_aligned():
    X, y = _numeric()
    X = X.copy()
    X[y == 2, 2:4] = np.nan  # modality "b" never sees class 2
    late = LateFusionClassifier(_numeric_estimators(), fusion="stacking").fit(X, y)
    np.testing.assert_array_equal(late.named_estimators_["b"].classes_, [0, 1])
    per_modality = late.predict_proba_per_modality(X[y != 2])
    np.testing.assert_array_equal(per_modality[1, :, 2], 0.0)
    assert late.predict_proba(X).shape == (len(X), 3)


# -- stacking ---------------------------------------------------------------


@pytest.mark.parametrize(
    "final_estimator",
    [
        LogisticRegression(max_iter=1000),
        MultinomialNB(),
        GaussianNB(),
        pytest.param(
            SVC(probability=True, random_state=0),
            # deprecated in scikit-learn 1.9, still supported as a final estimator
            marks=pytest.mark.filterwarnings(
                "ignore:The `probability` parameter was deprecated:FutureWarning"
            ),
        ),
    ],
    ids=lambda e: type(e).__name__,
)
def test_stacking_final_estimators(final_estimator):
    X, y = _numeric()
    X = X.copy()
    X[:20, :2] = np.nan
    late = LateFusionClassifier(
        _numeric_estimators(), fusion="stacking", final_estimator=final_estimator
    ).fit(X[::2], y[::2])
    assert late.score(X[1::2], y[1::2]) > 0.7
    assert late.predict_proba(X).shape == (len(X), 3)
    # probabilities and a presence indicator per modality
    assert late.final_estimator_.n_features_in_ == 3 * (3 + 1)


# -- parameters, search, pickling ------------------------------------------------


def test_nested_params_and_grid_search(digits):
    X_train, _, y_train, _ = digits
    late = LateFusionClassifier(_digit_estimators())
    params = late.get_params()
    assert params["audio__mfcc__n_mfcc"] == 20
    assert "image__logisticregression__C" in params
    search = GridSearchCV(
        Pipeline([("late", late)]),
        {"late__fusion": ["mean", "product"], "late__audio__mfcc__n_mfcc": [13, 20]},
        cv=2,
    ).fit(X_train, y_train)
    best = search.best_estimator_["late"]
    assert best.named_estimators_["audio"][0].n_mfcc in (13, 20)
    assert search.best_score_ > 0.6


def test_grid_search_over_weights():
    X, y = _numeric()
    search = GridSearchCV(
        Pipeline([("late", LateFusionClassifier(_numeric_estimators(), cv=3))]),
        {
            "late__weights": [None, "learn", [0.1, 0.1, 0.8]],
            "late__a__C": [0.1, 1.0],
        },
        cv=3,
    ).fit(X, y)
    assert search.best_params_["late__weights"] != [0.1, 0.1, 0.8]


def test_set_params_replaces_an_estimator_and_keeps_its_column():
    late = LateFusionClassifier(_numeric_estimators())
    late.set_params(b=LogisticRegression(), a__C=0.5)
    assert late.estimators[1][2] == slice(2, 4)
    assert isinstance(late.estimators[1][1], LogisticRegression)
    assert late.estimators[0][1].C == 0.5


def test_pickle_round_trip(digits):
    X_train, X_test, y_train, _ = digits
    late = LateFusionClassifier(_digit_estimators(), fusion="product").fit(
        X_train, y_train
    )
    restored = pickle.loads(pickle.dumps(late))
    np.testing.assert_allclose(
        restored.predict_proba(X_test), late.predict_proba(X_test)
    )


def test_parallel_fits_match_sequential():
    X, y = _numeric()
    sequential = LateFusionClassifier(_numeric_estimators(), fusion="stacking")
    parallel = clone(sequential).set_params(n_jobs=2)
    np.testing.assert_allclose(
        sequential.fit(X, y).predict_proba(X), parallel.fit(X, y).predict_proba(X)
    )


# -- bad input -------------------------------------------------------------------


def test_bad_input_errors(digits):
    X_train, _, y_train, _ = digits
    X, y = _numeric()
    with pytest.raises(KeyError, match="'video'"):
        LateFusionClassifier([("v", LogisticRegression(), "video")]).fit(
            X_train, y_train
        )
    with pytest.raises(ValueError, match="needs a pandas DataFrame"):
        LateFusionClassifier([("t", LogisticRegression(), "text")]).fit(X, y)
    with pytest.raises(ValueError, match="not unique"):
        LateFusionClassifier(
            [("a", LogisticRegression(), [0]), ("a", GaussianNB(), [1])]
        ).fit(X, y)
    with pytest.raises(ValueError, match="only 6 columns"):
        LateFusionClassifier([("a", LogisticRegression(), [0, 9])]).fit(X, y)
    X_missing = X.copy()
    X_missing[:, 4:] = np.nan
    with pytest.raises(ValueError, match="Every training sample lacks modality"):
        LateFusionClassifier(_numeric_estimators()).fit(X_missing, y)
    with pytest.raises(ValueError, match="weights has 2 values"):
        LateFusionClassifier(_numeric_estimators(), weights=[1, 2]).fit(X, y)
    with pytest.raises(ValueError, match="only one class"):
        X_one = X.copy()
        X_one[y != 0, :2] = np.nan
        LateFusionClassifier(_numeric_estimators()).fit(X_one, y)


def test_verbose_progress_bar(capsys):
    X, y = _numeric()
    quiet = LateFusionClassifier(_numeric_estimators(), fusion="stacking", cv=3)
    quiet.fit(X, y)
    assert capsys.readouterr().err == ""
    loud = LateFusionClassifier(
        _numeric_estimators(), fusion="stacking", cv=3, verbose=True
    ).fit(X, y)
    n_fits = len(_numeric_estimators()) * (1 + 3)
    err = capsys.readouterr().err
    assert "LateFusionClassifier" in err and f"{n_fits}/{n_fits}" in err
    assert "fit" in err
    np.testing.assert_array_equal(quiet.predict_proba(X), loud.predict_proba(X))


# -- scikit-learn's own checks -------------------------------------------------


# Column selections that are never empty, whatever the width of the checks' X.
def _classifiers():
    return [
        ("a", LogisticRegression(), slice(0, None, 2)),
        ("b", GaussianNB(), slice(0, None)),
    ]


def _regressors():
    return [
        ("a", Ridge(), slice(0, None, 2)),
        ("b", LinearRegression(), slice(0, None)),
    ]


_CHECK_ESTIMATORS = [
    LateFusionClassifier(_classifiers()),
    LateFusionClassifier(_classifiers(), fusion="stacking", cv=3),
    LateFusionClassifier(_classifiers(), fusion="product", weights="learn", cv=3),
    LateFusionRegressor(_regressors()),
    LateFusionRegressor(_regressors(), weights="learn", cv=3),
    LateFusionRegressor(_regressors(), fusion="stacking", cv=3),
]


# GaussianNB itself warns on the log of a zero class prior (a class with zero
# total sample weight in check_classifiers_one_label_sample_weights).
@pytest.mark.filterwarnings("ignore:divide by zero encountered in log:RuntimeWarning")
@parametrize_with_checks(_CHECK_ESTIMATORS)
def test_sklearn_checks(estimator, check):
    check(estimator)


# -- the stateless front runs once per fit ---------------------------------------


class CountingFlatten(TransformerMixin, BaseEstimator):
    """Stateless flattening of a column of arrays that counts what it sees."""

    seen = 0

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        type(self).seen += len(X)
        return np.stack([np.ravel(np.asarray(x, dtype=float)) for x in X])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        return tags


def _front_estimators(nested=False):
    """Text (no stateless front), image (a counting front) and image as
    descriptor sets (a front whose output is a list of arrays); ``nested``
    puts the image's transformers in a pipeline of their own, as ``skmm
    demo`` does."""
    image = [CountingFlatten(), StandardScaler(), LogisticRegression(max_iter=1000)]
    if nested:
        image = [make_pipeline(*image[:2]), image[2]]
    return [
        (
            "text",
            make_pipeline(TfidfVectorizer(), LogisticRegression(C=20, max_iter=1000)),
            "text",
        ),
        ("image", make_pipeline(*image), "image"),
        (
            "rows",
            make_pipeline(
                FunctionTransformer(_rows_as_sets),
                StatsPooling(stats=("mean", "max")),
                StandardScaler(),
                LogisticRegression(max_iter=1000),
            ),
            "image",
        ),
    ]


def _rows_as_sets(images):
    """Each 8x8 image as a set of its 8 rows: a descriptor set per sample."""
    return [np.asarray(image, dtype=float) for image in images]


@pytest.fixture(scope="module")
def small_digits():
    data = make_multimodal_digits(150, missing_rate=0.2, random_state=3)
    keep = ~data.missing[["text", "image"]].all(axis=1).to_numpy()
    return data.data[keep], data.target[keep]


def _by_hand(estimators, X, y, cv, groups=None, sample_weight=None, key=None):
    """The old path: clone and fit every modality's whole pipeline on its
    present rows, and again for every fold, as cross_val_predict does."""
    classes = np.unique(y)
    splits = list(cv.split(X, y, groups))

    def params(rows):
        return {} if sample_weight is None else {key: sample_weight[rows]}

    fitted, oof, oof_present = [], [], []
    for _, estimator, column in estimators:
        present = X[column].notna().to_numpy()
        rows = np.flatnonzero(present)
        fitted.append(
            clone(estimator).fit(X[column].iloc[rows], y[rows], **params(rows))
        )
        out = np.full((len(y), len(classes)), np.nan)
        got = np.zeros(len(y), dtype=bool)
        for train, test in splits:
            train, test = train[present[train]], test[present[test]]
            model = clone(estimator).fit(
                X[column].iloc[train], y[train], **params(train)
            )
            proba = model.predict_proba(X[column].iloc[test])
            aligned = np.zeros((len(test), len(classes)))
            aligned[:, np.searchsorted(classes, model.classes_)] = proba
            out[test], got[test] = aligned, True
        oof.append(out)
        oof_present.append(got)
    return fitted, np.stack(oof), np.stack(oof_present)


@pytest.mark.parametrize(
    "fusion, weights, nested",
    [
        ("mean", None, False),
        ("product", "learn", False),
        ("stacking", None, False),
        ("stacking", None, True),
    ],
)
def test_stateless_front_runs_once_per_fit(small_digits, fusion, weights, nested):
    X, y = small_digits
    n_image = int(X["image"].notna().sum())
    late = LateFusionClassifier(
        _front_estimators(nested), fusion=fusion, weights=weights, cv=3
    )
    CountingFlatten.seen = 0
    late.fit(X, y)
    # Before: the front ran in the full fit and again in each of the 3 folds
    # (on their training and test rows), (1 + 3) x n_image samples.
    assert CountingFlatten.seen == n_image
    # The fitted estimators are whole pipelines that read raw data.
    image = late.named_estimators_["image"]
    if nested:
        assert [name for name, _ in image.steps] == ["pipeline", "logisticregression"]
        image = image[0]
    assert [name for name, _ in image.steps][:2] == [
        "countingflatten",
        "standardscaler",
    ]
    CountingFlatten.seen = 0
    late.predict_proba(X[:20])
    assert CountingFlatten.seen == int(X["image"][:20].notna().sum())


@pytest.mark.parametrize(
    "fusion, weights, nested",
    [("product", "learn", False), ("stacking", None, False), ("vote", "learn", True)],
)
def test_stateless_front_gives_the_numbers_of_whole_pipeline_fits(
    small_digits, fusion, weights, nested
):
    # Fusion budgets BLAS threads in its fits, and OpenBLAS's threaded sums
    # differ in the last bits: what is done by hand here gets the same.
    with threadpool_limits(limits=1, user_api="blas"):
        _check_front_gives_whole_pipeline_numbers(small_digits, fusion, weights, nested)


def _check_front_gives_whole_pipeline_numbers(small_digits, fusion, weights, nested):
    X, y = small_digits
    cv = StratifiedKFold(3)
    late = LateFusionClassifier(
        _front_estimators(nested), fusion=fusion, weights=weights, cv=cv
    ).fit(X, y)
    fitted, oof, oof_present = _by_hand(_front_estimators(nested), X, y, cv)
    scores = {
        name: np.mean(late.classes_[oof[m, rows].argmax(axis=1)] == y[rows])
        for m, (name, rows) in enumerate(
            zip(late.named_estimators_, oof_present, strict=True)
        )
    }
    assert late.modality_scores_ == scores
    if fusion == "stacking":
        final = LogisticRegression(max_iter=1000).fit(
            late._meta_features(oof, oof_present), y
        )
        np.testing.assert_array_equal(late.final_estimator_.coef_, final.coef_)
    else:
        np.testing.assert_array_equal(
            late.weights_, late._learn_weights(oof, oof_present, y)
        )
    np.testing.assert_array_equal(
        late.predict_proba_per_modality(X),
        _per_modality(fitted, _front_estimators(), X),
    )


def _per_modality(fitted, estimators, X):
    out = []
    for model, (_, _, column) in zip(fitted, estimators, strict=True):
        rows = X[column].notna().to_numpy()
        proba = np.full((len(X), len(model.classes_)), np.nan)
        proba[rows] = model.predict_proba(X[column][rows])
        out.append(proba)
    return np.stack(out)


def test_stateless_front_in_parallel_with_groups(small_digits):
    X, y = small_digits
    groups = np.arange(len(y)) % 7
    estimators = _front_estimators()[:2]
    late = LateFusionClassifier(
        estimators, fusion="product", weights="learn", cv=GroupKFold(3)
    )
    sequential = clone(late).fit(X, y, groups=groups)
    parallel = clone(late).set_params(n_jobs=2).fit(X, y, groups=groups)
    np.testing.assert_array_equal(parallel.weights_, sequential.weights_)
    np.testing.assert_array_equal(
        parallel.predict_proba(X), sequential.predict_proba(X)
    )
    fitted, oof, oof_present = _by_hand(estimators, X, y, GroupKFold(3), groups)
    np.testing.assert_array_equal(
        sequential.weights_, sequential._learn_weights(oof, oof_present, y)
    )


def test_stateless_front_with_fit_params_for_the_rest(small_digits):
    X, y = small_digits
    weight = np.random.default_rng(0).uniform(0.5, 2.0, size=len(y))
    estimators = _front_estimators()[:2]
    n_image = int(X["image"].notna().sum())
    CountingFlatten.seen = 0
    late = LateFusionClassifier(estimators, fusion="stacking", cv=3).fit(
        X, y, logisticregression__sample_weight=weight
    )
    assert CountingFlatten.seen == n_image
    key = "logisticregression__sample_weight"
    fitted, oof, oof_present = _by_hand(
        estimators, X, y, StratifiedKFold(3), sample_weight=weight, key=key
    )
    np.testing.assert_array_equal(
        late.predict_proba_per_modality(X), _per_modality(fitted, estimators, X)
    )
    final = LogisticRegression(max_iter=1000).fit(
        late._meta_features(oof, oof_present), y
    )
    np.testing.assert_array_equal(late.final_estimator_.coef_, final.coef_)


def test_stateless_front_with_routed_sample_weight(small_digits):
    X, y = small_digits
    weight = np.random.default_rng(0).uniform(0.5, 2.0, size=len(y))
    with sklearn.config_context(enable_metadata_routing=True):
        estimators = [
            (
                name,
                make_pipeline(
                    *[
                        step.set_fit_request(sample_weight=True)
                        if isinstance(step, LogisticRegression)
                        else step.set_fit_request(sample_weight=False)
                        if isinstance(step, StandardScaler)
                        else step
                        for step in pipeline.named_steps.values()
                    ]
                ),
                column,
            )
            for name, pipeline, column in _front_estimators()[:2]
        ]
        CountingFlatten.seen = 0
        late = LateFusionClassifier(
            estimators,
            fusion="product",
            weights="learn",
            # routing asks every consumer, the unused final estimator too
            final_estimator=LogisticRegression().set_fit_request(sample_weight=False),
            cv=3,
        ).fit(X, y, sample_weight=weight)
        assert CountingFlatten.seen == int(X["image"].notna().sum())
        fitted, oof, oof_present = _by_hand(
            estimators,
            X,
            y,
            StratifiedKFold(3),
            sample_weight=weight,
            key="sample_weight",
        )
        np.testing.assert_array_equal(
            late.weights_, late._learn_weights(oof, oof_present, y)
        )
        np.testing.assert_array_equal(
            late.predict_proba_per_modality(X), _per_modality(fitted, estimators, X)
        )


def test_regressor_stateless_front_runs_once():
    rng = np.random.default_rng(0)
    cells = [rng.normal(size=(2, 2)) for _ in range(120)]
    y = np.array([cell.sum() for cell in cells]) + 0.1 * rng.normal(size=120)
    X = pd.DataFrame({"a": cells, "b": list(rng.normal(size=(120, 3)))})
    estimators = [
        ("a", make_pipeline(CountingFlatten(), Ridge()), "a"),
        ("b", make_pipeline(CountingFlatten(), Ridge()), "b"),
    ]
    for fusion, weights in (("weighted", "learn"), ("stacking", None)):
        CountingFlatten.seen = 0
        late = LateFusionRegressor(
            estimators, fusion=fusion, weights=weights, cv=4
        ).fit(X, y)
        assert CountingFlatten.seen == 2 * len(y)
        reference = cross_val_predict(
            make_pipeline(CountingFlatten(), Ridge()), X["a"], y, cv=4
        )
        assert late.modality_scores_["a"] == pytest.approx(
            1 - np.sum((y - reference) ** 2) / np.sum((y - y.mean()) ** 2), abs=0
        )


# -- weights that cannot matter --------------------------------------------------


def test_learning_weights_that_a_rule_ignores_is_refused():
    X, y = _numeric()
    for fusion in ("max", "stacking"):
        late = LateFusionClassifier(
            _numeric_estimators(), fusion=fusion, weights="learn"
        )
        with pytest.raises(ValueError, match=f"no effect with fusion='{fusion}'"):
            late.fit(X, y)
    with pytest.raises(ValueError, match="no effect with fusion='stacking'"):
        LateFusionRegressor(
            [("a", Ridge(), [0, 1]), ("b", Ridge(), [2, 3])],
            fusion="stacking",
            weights="learn",
        ).fit(X, y.astype(float))
    # "max" without learned weights runs no inner cross-validation.
    late = LateFusionClassifier(_numeric_estimators(), fusion="max").fit(X, y)
    assert late.modality_scores_ is None


# -- learned weights, for every rule that learns them ----------------------------


def _oof_numeric(estimators, X, y, cv):
    """Out-of-fold outputs by hand (no missing cells)."""
    method = "predict_proba" if is_classifier(estimators[0][1]) else "predict"
    return np.stack(
        [
            cross_val_predict(clone(estimator), X[:, column], y, cv=cv, method=method)
            for _, estimator, column in estimators
        ]
    )


def _log_loss(proba, y):
    return -np.mean(np.log(np.maximum(proba[np.arange(len(y)), y], 1e-12)))


def _pooled(oof, weights, pool):
    w = weights[:, None, None]
    if pool == "mean":
        return (w * oof).sum(axis=0)
    log_pool = (w * np.log(np.maximum(oof, 1e-12))).sum(axis=0)
    fused = np.exp(log_pool - log_pool.max(axis=1, keepdims=True))
    return fused / fused.sum(axis=1, keepdims=True)


@pytest.mark.parametrize(
    "fusion, pool", [("weighted", "mean"), ("product", "product"), ("vote", "mean")]
)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_learned_weights_for_every_rule(fusion, pool, seed):
    X, y = _numeric(240, seed=seed)
    estimators = [
        ("a", LogisticRegression(), [0, 1, 2, 3]),
        ("noise", LogisticRegression(), [4, 5]),
        ("half", LogisticRegression(), [0]),
    ]
    cv = StratifiedKFold(3)
    late = LateFusionClassifier(estimators, fusion=fusion, weights="learn", cv=cv).fit(
        X, y
    )
    weights = late.weights_
    assert weights.sum() == pytest.approx(1.0)
    assert (weights >= 0).all()
    # The modality with all informative columns is clearly the best.
    assert weights.argmax() == 0 and weights[0] > 0.5
    assert weights[1] < 0.15
    oof = _oof_numeric(estimators, X, y, cv)
    uniform = np.full(3, 1 / 3)
    learned_loss = _log_loss(_pooled(oof, weights, pool), y)
    assert learned_loss <= _log_loss(_pooled(oof, uniform, pool), y) + 1e-9


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_regressor_learned_weights_beat_uniform(seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(200, 4))
    y = X[:, 0] + X[:, 1] + 0.1 * rng.normal(size=200)
    estimators = [
        ("a", LinearRegression(), [0, 1]),
        ("half", LinearRegression(), [1]),
        ("noise", LinearRegression(), [2, 3]),
    ]
    late = LateFusionRegressor(estimators, weights="learn", cv=KFold(4)).fit(X, y)
    weights = late.weights_
    assert weights.sum() == pytest.approx(1.0) and (weights >= 0).all()
    assert weights[0] > 0.8 and weights[2] < 0.1
    oof = _oof_numeric(estimators, X, y, KFold(4))
    learned = np.mean((y - weights @ oof) ** 2)
    assert learned <= np.mean((y - oof.mean(axis=0)) ** 2)


# -- strict input ------------------------------------------------------------------


def _text_table():
    X = pd.DataFrame(
        {
            "text": pd.Series(
                ["one two", "two three", "three one", "one", "two", "three"] * 4,
                dtype=object,
            ),
            "size": np.arange(24.0),
        },
    )
    X.index = [f"s{i}" for i in range(24)]
    y = np.arange(24) % 2
    return X, y


def _text_estimators():
    return [
        ("text", make_pipeline(TfidfVectorizer(), LogisticRegression()), "text"),
        ("size", LogisticRegression(), ["size"]),
    ]


@pytest.mark.parametrize("fusion", ["mean", "stacking"])
def test_unreadable_cell_names_the_modality_and_the_sample(fusion):
    X, y = _text_table()
    X_bad = X.copy()
    X_bad.loc["s5", "text"] = 7
    late = LateFusionClassifier(_text_estimators(), fusion=fusion, cv=2)
    message = (
        r"Modality 'text' failed in fit: sample 5 \(index label 's5'\) holds "
        r"'int' where its column holds 'str' cells\. .*'int' object has no "
        r"attribute 'lower'"
    )
    with pytest.raises(AttributeError, match=message) as info:
        late.fit(X_bad, y)
    assert isinstance(info.value.__cause__, AttributeError)
    late.fit(X, y)
    message = r"'text' failed in predict_proba: sample 5 \(index label 's5'\)"
    with pytest.raises(AttributeError, match=message):
        late.predict(X_bad)


def test_empty_input():
    X, y = _text_table()
    late = LateFusionClassifier(_text_estimators()).fit(X, y)
    assert late.predict_proba(X.iloc[:0]).shape == (0, 2)
    assert late.predict(X.iloc[:0]).shape == (0,)
    for empty in ([], np.zeros((0, 2))):
        with pytest.raises(ValueError, match="Expected 2D array|0 sample"):
            late.predict(empty)
    regressor = LateFusionRegressor([("a", Ridge(), [0, 1])]).fit(*_numeric())
    assert regressor.predict(pd.DataFrame(np.zeros((0, 6)))).shape == (0,)
