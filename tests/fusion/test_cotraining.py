"""CoTrainingClassifier: modalities labelling samples for each other."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.semi_supervised import SelfTrainingClassifier

from skmm.fusion import CoTrainingClassifier


class _CountingLR(LogisticRegression):
    """Logistic regression that keeps the labels of its last fit."""

    def fit(self, X, y, sample_weight=None):
        self.y_fit_ = np.asarray(y)
        return super().fit(X, y, sample_weight=sample_weight)


A = [f"a{i}" for i in range(20)]
B = [f"b{i}" for i in range(20)]


def _views(n_samples=600, seed=0, labelled=0.05):
    """Two conditionally independent 20-dimensional views of three classes,
    and a partly labelled y (at least two labels of each class)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n_samples)
    # The same class centres for every seed: train and test sets of one task.
    centres = np.random.default_rng(123).normal(size=(2, 3, 20))
    centres *= 3.0 / np.linalg.norm(centres, axis=2, keepdims=True)
    a = centres[0, y] + rng.normal(size=(n_samples, 20))
    b = centres[1, y] + rng.normal(size=(n_samples, 20))
    X = pd.DataFrame(np.hstack([a, b]), columns=A + B)
    given = rng.random(n_samples) < labelled
    for label in range(3):
        given[np.flatnonzero(y == label)[:2]] = True
    return X, y, np.where(given, y, -1)


def _co(**params):
    return CoTrainingClassifier(
        [
            ("a", _CountingLR(), A),
            ("b", _CountingLR(), B),
        ],
        **params,
    )


def test_beats_self_training_and_supervised_with_few_labels():
    X, y, y_partial = _views(seed=0)
    X_test, y_test, _ = _views(seed=1)
    co = _co(threshold=0.9, max_iter=None).fit(X, y_partial)
    co_accuracy = co.score(X_test, y_test)
    labelled = y_partial != -1
    supervised = _co(max_iter=0).fit(X, y_partial)
    assert supervised.n_iter_ == 1 and supervised.termination_condition_ == "max_iter"
    assert (supervised.labeled_iter_ > 0).sum() == 0
    for columns in (A, B):
        alone = SelfTrainingClassifier(LogisticRegression(), threshold=0.9).fit(
            X[columns], y_partial
        )
        assert co_accuracy > alone.score(X_test[columns], y_test)
        only_labelled = LogisticRegression().fit(X[columns][labelled], y[labelled])
        assert co_accuracy > only_labelled.score(X_test[columns], y_test)
    assert co_accuracy > supervised.score(X_test, y_test)
    # Labels co-training assigned are mostly right.
    assigned = co.labeled_iter_ > 0
    assert assigned.sum() >= 200
    assert np.mean(co.transduction_[assigned] == y[assigned]) > 0.95


def test_a_modality_learns_from_the_others_labels_not_its_own():
    X, y, y_partial = _views(seed=2)
    co = _co(threshold=0.8, max_iter=3).fit(X, y_partial)
    given = y_partial != -1
    assert_array_equal(co.labeled_iter_[given], 0)
    assert_array_equal(co.labeled_by_[given], -1)
    assert_array_equal(co.transduction_[given], y_partial[given])
    assigned = co.labeled_iter_ > 0
    assert set(np.unique(co.labeled_by_[assigned])) == {0, 1}
    assert_array_equal(co.transduction_[co.labeled_iter_ < 0], -1)
    assert co.labeled_iter_.max() <= 3 and co.n_iter_ <= 4
    for m, estimator in enumerate(co.estimators_):
        uses = given | (assigned & (co.labeled_by_ != m))
        assert len(estimator.y_fit_) == uses.sum()
        assert_array_equal(np.sort(estimator.y_fit_), np.sort(co.transduction_[uses]))


def test_k_best_labels_at_most_k_per_modality_and_round():
    X, _, y_partial = _views(seed=3)
    co = _co(criterion="k_best", k_best=7, max_iter=4).fit(X, y_partial)
    counts = np.bincount(co.labeled_iter_[co.labeled_iter_ > 0], minlength=5)[1:]
    assert counts.max() <= 14 and counts.sum() > 0
    assert co.termination_condition_ == "max_iter" and co.n_iter_ == 5


def test_all_labelled_is_supervised_late_fusion_by_mean():
    X, y, _ = _views(n_samples=200, seed=4)
    co = CoTrainingClassifier(
        [
            ("a", LogisticRegression(), A),
            ("b", GaussianNB(), B),
        ]
    ).fit(X, y)
    assert co.termination_condition_ == "all_labeled" and co.n_iter_ == 1
    expected = (
        LogisticRegression().fit(X[A], y).predict_proba(X[A])
        + GaussianNB().fit(X[B], y).predict_proba(X[B])
    ) / 2
    assert_allclose(co.predict_proba(X), expected)


def test_missing_modalities():
    X, y, y_partial = _views(seed=5, labelled=0.1)
    X = X.copy()
    rng = np.random.default_rng(0)
    no_a = rng.random(len(X)) < 0.3
    no_b = ~no_a & (rng.random(len(X)) < 0.3)
    X.loc[no_a, A] = np.nan
    X.loc[no_b, B] = np.nan
    co = _co(threshold=0.7).fit(X, y_partial)
    single = (no_a | no_b) & (y_partial == -1)
    # A sample holding one modality gets no label: its labeller could teach
    # no other modality with it.
    assert_array_equal(co.labeled_iter_[single], -1)
    proba = co.predict_proba(X)
    assert np.isfinite(proba).all()
    per_modality = co.predict_proba_per_modality(X)
    assert (
        np.isnan(per_modality[0, no_a]).all() and np.isnan(per_modality[1, no_b]).all()
    )
    assert_allclose(proba[no_a], per_modality[1, no_a])
    assert co.score(X, y) > 0.6


def test_stateless_front_runs_once_and_string_labels():
    calls = []

    def scale(X):
        calls.append(len(X))
        return np.asarray(X, dtype=float) * 2.0

    X, y, y_partial = _views(n_samples=300, seed=6, labelled=0.2)
    names = np.array(["zero", "one", "two"], dtype=object)
    y_named = np.where(y_partial == -1, -1, names[np.maximum(y_partial, 0)])
    y_named = y_named.astype(object)
    co = CoTrainingClassifier(
        [
            (
                "a",
                make_pipeline(FunctionTransformer(scale), LogisticRegression()),
                A,
            ),
            ("b", LogisticRegression(), B),
        ],
        threshold=0.8,
    ).fit(X, y_named)
    assert co.n_iter_ > 1
    assert calls == [len(X)]
    assert set(co.classes_) == set(names)
    assert set(co.predict(X)) <= set(names)
    assert set(co.transduction_[co.labeled_iter_ >= 0]) <= set(names)


def test_grid_search():
    X, y, y_partial = _views(n_samples=300, seed=7, labelled=0.3)

    def labelled_accuracy(estimator, X, y):
        keep = y != -1
        return np.mean(estimator.predict(X[keep]) == y[keep])

    search = GridSearchCV(
        _co(),
        {"a__C": [0.01, 1.0], "threshold": [0.6, 0.9]},
        cv=StratifiedKFold(3),
        scoring=labelled_accuracy,
    ).fit(X, y_partial)
    assert set(search.best_params_) == {"a__C", "threshold"}
    assert search.best_estimator_.get_params()["a__C"] in (0.01, 1.0)


def test_bad_input():
    X, y, y_partial = _views(n_samples=120, seed=8, labelled=0.3)
    with pytest.raises(ValueError, match="two or more modalities"):
        CoTrainingClassifier([("a", LogisticRegression(), ["a0"])]).fit(X, y)
    with pytest.raises(ValueError, match="no labelled sample"):
        _co().fit(X, np.full(len(X), -1))
    X_missing = X.copy()
    X_missing[B] = np.nan
    with pytest.raises(ValueError, match="Every training sample lacks modality 'b'"):
        _co().fit(X_missing, y_partial)
    one_class = np.where(y_partial == 0, 0, -1)
    with pytest.raises(ValueError, match="only 1 class"):
        _co().fit(X, one_class)
    with pytest.raises(TypeError, match="predict_proba"):
        CoTrainingClassifier(
            [("a", StandardScaler(), ["a0"]), ("b", LogisticRegression(), ["b0"])]
        ).fit(X, y_partial)
    with pytest.raises(ValueError, match="X has 120 samples but y has 119"):
        _co().fit(X, y_partial[:-1])
    co = _co().fit(X, y_partial)
    X_empty = X.copy()
    X_empty.loc[5, :] = np.nan
    with pytest.raises(
        ValueError, match=r"Every modality \(a, b\) is missing in sample 5"
    ):
        co.predict(X_empty)
    with pytest.raises(ValueError, match="missing:\n- b1"):
        co.predict(X.drop(columns="b1"))
