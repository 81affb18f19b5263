"""Tests of cross_validate_rules: every rule's scores as cross_validate's,
from one fit of each modality per fold."""

import numpy as np
import pandas as pd
import pytest
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import (
    GroupKFold,
    KFold,
    StratifiedKFold,
    cross_validate,
)
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skmm.fusion import (
    LateFusionClassifier,
    LateFusionRegressor,
    cross_validate_rules,
)
from skmm.text import TextAnalyzer, analyzed

# Rule label -> parameters, with given, learned and default weights and a
# final estimator of another kind.
RULES = {
    "mean": {"fusion": "mean"},
    "given weights": {"fusion": "mean", "weights": [0.2, 0.5, 0.3]},
    "weighted": {"fusion": "weighted"},
    "learned product": {"fusion": "product", "weights": "learn"},
    "max": {"fusion": "max"},
    "vote": {"fusion": "vote"},
    "stacking": {"fusion": "stacking"},
    "stacking (tree)": {
        "fusion": "stacking",
        "final_estimator": DecisionTreeClassifier(max_depth=3, random_state=0),
    },
}

WORDS = np.array(["red", "green", "blue", "small", "large", "round", "sharp"])


class _CountingLR(LogisticRegression):
    """A logistic regression that counts its fits (the tests run in turn)."""

    fits = 0

    def fit(self, X, y, sample_weight=None):
        type(self).fits += 1
        return super().fit(X, y, sample_weight=sample_weight)


def _table(seed, n=150, n_classes=3):
    """Numbers, text and a second block of numbers, with missing cells."""
    rng = np.random.default_rng(seed)
    y = rng.integers(n_classes, size=n)
    a = rng.normal(size=(n, 2)) + y[:, None]
    b = rng.normal(size=(n, 3)) + 0.5 * y[:, None]
    text = [
        " ".join(rng.choice(WORDS[label : label + 4], size=rng.integers(2, 6)))
        for label in y
    ]
    X = pd.DataFrame({"a0": a[:, 0], "a1": a[:, 1], "text": text})
    for j in range(3):
        X[f"b{j}"] = b[:, j]
    missing = rng.random(n) < 0.15
    X.loc[missing, ["a0", "a1"]] = np.nan
    missing = rng.random(n) < 0.1
    X["text"] = X["text"].astype(object)
    X.loc[missing, "text"] = None
    return X, y


def _late(inner_cv=3, base=LogisticRegression):
    return LateFusionClassifier(
        [
            ("a", make_pipeline(StandardScaler(), base()), ["a0", "a1"]),
            (
                "text",
                # A stateless front (the analysis) and a stateful rest.
                make_pipeline(
                    TextAnalyzer(analyzer="char_wb", ngram_range=(2, 3)),
                    sklearn.feature_extraction.text.TfidfVectorizer(analyzer=analyzed),
                    base(),
                ),
                "text",
            ),
            ("b", GaussianNB(), ["b0", "b1", "b2"]),
        ],
        cv=inner_cv,
    )


@pytest.mark.parametrize("seed", [0, 1])
def test_scores_and_models_equal_cross_validate_of_each_rule(seed):
    X, y = _table(seed)
    X_new, _ = _table(seed + 100, n=40)
    cv = StratifiedKFold(4, shuffle=True, random_state=seed)
    scoring = ("accuracy", "neg_log_loss")
    late = _late()
    shared = cross_validate_rules(
        late, X, y, rules=RULES, cv=cv, scoring=scoring, return_estimator=True
    )
    assert list(shared) == list(RULES)
    for label, params in RULES.items():
        alone = cross_validate(
            clone(late).set_params(**params),
            X,
            y,
            cv=cv,
            scoring=scoring,
            return_estimator=True,
        )
        assert_array_equal(shared[label]["test_accuracy"], alone["test_accuracy"])
        assert_allclose(
            shared[label]["test_neg_log_loss"], alone["test_neg_log_loss"], rtol=1e-12
        )
        for ours, theirs in zip(
            shared[label]["estimator"], alone["estimator"], strict=True
        ):
            assert_allclose(ours.predict_proba(X_new), theirs.predict_proba(X_new))
            assert_array_equal(ours.predict(X_new), theirs.predict(X_new))
            assert_allclose(
                ours.decision_function(X_new), theirs.decision_function(X_new)
            )
            if theirs.weights_ is None:
                assert ours.weights_ is None
            else:
                assert_allclose(ours.weights_, theirs.weights_)
            assert ours.modality_scores_ == theirs.modality_scores_
        for key in ("fit_time", "score_time"):
            assert shared[label][key].shape == (4,)
            assert np.all(shared[label][key] > 0)


def test_each_modality_is_fitted_once_per_fold_and_inner_fold():
    X, y = _table(0)
    late = _late(base=_CountingLR)
    _CountingLR.fits = 0
    results = cross_validate_rules(late, X, y, rules=RULES, cv=3, return_estimator=True)
    # Two counting modalities, 3 outer folds, each: one full fit and three
    # inner-fold fits, whatever the number of rules.
    assert _CountingLR.fits == 2 * 3 * (1 + 3)
    # The rules of a fold share their fitted base estimators.
    for fold in range(3):
        first = results["mean"]["estimator"][fold].estimators_
        for label in RULES:
            assert results[label]["estimator"][fold].estimators_ is first


def test_fixed_rules_alone_skip_the_inner_cross_validation():
    X, y = _table(1)
    _CountingLR.fits = 0
    results = cross_validate_rules(
        _late(base=_CountingLR), X, y, rules=["mean", "product", "vote"], cv=3
    )
    assert _CountingLR.fits == 2 * 3
    assert set(results) == {"mean", "product", "vote"}
    assert set(results["vote"]) == {"fit_time", "score_time", "test_score"}


def test_default_rules_are_every_fusion_of_the_class():
    X, y = _table(2)
    results = cross_validate_rules(_late(), X, y, cv=3)
    assert sorted(results) == sorted(
        ["mean", "weighted", "product", "max", "vote", "stacking"]
    )
    for label, result in results.items():
        alone = cross_validate(
            _late().set_params(fusion=label, weights=None), X, y, cv=3
        )
        assert_array_equal(result["test_score"], alone["test_score"])


def test_groups_reach_the_outer_and_the_inner_split():
    X, y = _table(3, n=180)
    groups = np.arange(180) % 9
    late = _late(inner_cv=GroupKFold(3))
    rules = {"mean": {"fusion": "mean"}, "stacking": {"fusion": "stacking"}}
    shared = cross_validate_rules(
        late, X, y, rules=rules, groups=groups, cv=GroupKFold(3), scoring="f1_macro"
    )
    with sklearn.config_context(enable_metadata_routing=True):
        for label, params in rules.items():
            alone = cross_validate(
                clone(late).set_params(**params),
                X,
                y,
                cv=GroupKFold(3),
                scoring="f1_macro",
                params={"groups": groups},
            )
            assert_array_equal(shared[label]["test_score"], alone["test_score"])
    # Without groups the inner group splitter cannot split.
    with pytest.raises(ValueError, match="groups"):
        cross_validate_rules(late, X, y, rules=rules, cv=3)


def test_regressor_rules():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(120, 4))
    y = X[:, 0] + 0.5 * X[:, 2] + 0.1 * rng.normal(size=120)
    X[rng.random(120) < 0.1, :2] = np.nan
    late = LateFusionRegressor(
        [("a", LinearRegression(), [0, 1]), ("b", Ridge(), [2, 3])], cv=3
    )
    rules = {
        "mean": {"fusion": "mean"},
        "learned": {"fusion": "mean", "weights": "learn"},
        "stacking": {"fusion": "stacking"},
    }
    cv = KFold(4, shuffle=True, random_state=0)
    shared = cross_validate_rules(
        late, X, y, rules=rules, cv=cv, scoring=["r2", "neg_mean_absolute_error"]
    )
    for label, params in rules.items():
        alone = cross_validate(
            clone(late).set_params(**params),
            X,
            y,
            cv=cv,
            scoring=["r2", "neg_mean_absolute_error"],
        )
        for key in ("test_r2", "test_neg_mean_absolute_error"):
            assert_allclose(shared[label][key], alone[key], rtol=1e-12)


def test_parallel_folds_give_the_same_scores():
    X, y = _table(5)
    rules = {"product": {"fusion": "product"}, "stacking": {"fusion": "stacking"}}
    one = cross_validate_rules(_late(), X, y, rules=rules, cv=3)
    two = cross_validate_rules(_late(), X, y, rules=rules, cv=3, n_jobs=2)
    for label in rules:
        assert_array_equal(one[label]["test_score"], two[label]["test_score"])


@pytest.mark.parametrize(
    "rules, error, match",
    [
        ({"other cv": {"cv": 5}}, ValueError, "may only set"),
        ({"bad": {"fusion": "median"}}, ValueError, "fusion"),
        ({"max learned": {"fusion": "max", "weights": "learn"}}, ValueError, "learn"),
        ({}, ValueError, "empty"),
        ([("mean",)], TypeError, "list of fusion names"),
    ],
)
def test_bad_rules(rules, error, match):
    X, y = _table(6)
    with pytest.raises(error, match=match):
        cross_validate_rules(_late(), X, y, rules=rules, cv=3)


def test_refuses_other_estimators():
    X, y = _table(7)
    with pytest.raises(TypeError, match="LateFusionClassifier or"):
        cross_validate_rules(LogisticRegression(), X[["b0", "b1"]], y)


def test_arrays_and_samples_without_any_modality():
    # A NumPy table; rows missing both modalities get the prior under
    # all_missing="prior", with the warning of each fit, in every rule.
    rng = np.random.default_rng(8)
    y = np.repeat([0, 1, 2], 40)
    X = rng.normal(size=(120, 4)) + y[:, None]
    X[::15] = np.nan
    late = LateFusionClassifier(
        [("a", LogisticRegression(), [0, 1]), ("b", GaussianNB(), [2, 3])],
        all_missing="prior",
        cv=3,
    )
    rules = {"vote": {"fusion": "vote"}, "stacking": {"fusion": "stacking"}}
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    with pytest.warns(UserWarning, match="Every modality"):
        shared = cross_validate_rules(late, X, y, rules=rules, cv=cv)
    for label, params in rules.items():
        with pytest.warns(UserWarning, match="Every modality"):
            alone = cross_validate(clone(late).set_params(**params), X, y, cv=cv)
        assert_array_equal(shared[label]["test_score"], alone["test_score"])
