"""skmm's common checks catch the faults they claim to catch."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from skmm.base import with_input_kind
from skmm.utils._validation import check_documents
from skmm.utils.estimator_checks import (
    check_bad_input_errors,
    check_empty_input,
    check_estimator,
    check_feature_names_out_length,
    check_fit_idempotent,
    check_input_not_mutated,
    check_requires_fit_tag,
    make_raw_input,
)


class _LengthVectorizer(TransformerMixin, BaseEstimator):
    """A correct toy text transformer: document length and a fitted offset."""

    def __init__(self, *, random_state=None):
        self.random_state = random_state

    def __sklearn_tags__(self):
        return with_input_kind(super().__sklearn_tags__(), "text")

    def fit(self, X, y=None):
        self.offset_ = np.random.default_rng(self.random_state).random()
        return self

    def transform(self, X):
        check_is_fitted(self)
        documents = check_documents(X)
        lengths = np.array([len(d) + self.offset_ for d in documents], dtype=float)
        return lengths.reshape(-1, 1)

    def get_feature_names_out(self, input_features=None):
        return np.array(["length"], dtype=object)


class _Unseeded(_LengthVectorizer):
    def fit(self, X, y=None):
        self.offset_ = np.random.default_rng().random()
        return self


class _Mutating(_LengthVectorizer):
    def transform(self, X):
        result = super().transform(X)
        X[0] = X[0].upper()
        return result


class _TooManyNames(_LengthVectorizer):
    def get_feature_names_out(self, input_features=None):
        return np.array(["length", "extra"], dtype=object)


class _ClaimsStateless(_LengthVectorizer):
    """Says it learns nothing, yet transform needs the fitted offset."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        return tags

    def transform(self, X):
        documents = check_documents(X)
        offset = getattr(self, "offset_", 0.0)
        return np.array([[len(d) + offset] for d in documents])


class _StatelessButCaches(_LengthVectorizer):
    """Truly stateless output, but an unfitted transform stores state."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        return tags

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        documents = check_documents(X)
        self.seen_ = len(documents)
        return np.array([[len(d)] for d in documents], dtype=float)


class _NeverRefuses(_LengthVectorizer):
    """Learns from data but transforms unfitted without NotFittedError."""

    def transform(self, X):
        documents = check_documents(X)
        return np.array([[len(d) + getattr(self, "offset_", 0.0)] for d in documents])


class _EmptyIndexError(_LengthVectorizer):
    def transform(self, X):
        documents = check_documents(X)
        first = documents[0]  # IndexError on no samples
        return np.array([[len(d) + self.offset_ + 0 * len(first)] for d in documents])


class _EmptyWrongWidth(_LengthVectorizer):
    def transform(self, X):
        if len(X) == 0:
            return np.zeros((0, 3))
        return super().transform(X)


class _Permissive(_LengthVectorizer):
    def transform(self, X):
        return np.array([[len(str(d)) + self.offset_] for d in X])


def test_correct_estimator_passes():
    check_estimator(_LengthVectorizer())


@pytest.mark.parametrize(
    "estimator, check",
    [
        (_Unseeded(), check_fit_idempotent),
        (_Mutating(), check_input_not_mutated),
        (_TooManyNames(), check_feature_names_out_length),
        (_ClaimsStateless(), check_requires_fit_tag),
        (_StatelessButCaches(), check_requires_fit_tag),
        (_NeverRefuses(), check_requires_fit_tag),
    ],
)
def test_checks_catch_faults(estimator, check):
    X, y = make_raw_input("text")
    with pytest.raises(AssertionError):
        check(type(estimator).__name__, estimator, X, y)


@pytest.mark.parametrize(
    "estimator, error",
    [(_EmptyIndexError(), IndexError), (_EmptyWrongWidth(), AssertionError)],
)
def test_empty_input_check_catches_faults(estimator, error):
    X, y = make_raw_input("text")
    with pytest.raises(error):
        check_empty_input(type(estimator).__name__, estimator, X, y)


def test_bad_input_check_catches_permissive_estimator():
    X, y = make_raw_input("text")
    with pytest.raises(AssertionError, match="accepted bad input"):
        check_bad_input_errors(
            "_Permissive", _Permissive(), X, y, [([None], ValueError, "missing")]
        )


def test_unknown_input_kind():
    with pytest.raises(ValueError, match="Unknown input kind"):
        make_raw_input("smell")
