"""Common checks for skmm estimators, including those taking raw input.

scikit-learn's ``parametrize_with_checks`` runs no checks on an estimator whose
input is not a 2-D numeric array. These checks cover such estimators (text,
images, waveforms, descriptor sets): each makes suitable raw input for the
estimator's declared input kind (its ``_skmm_input_kind`` class attribute).
"""

import copy
import pickle

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import (
    check_estimator_cloneable,
    check_estimator_repr,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
)

__all__ = [
    "check_estimator",
    "make_raw_input",
    "yield_checks",
]

_WORDS = (
    "alpha beta gamma delta epsilon zeta theta kappa lambda sigma omega "
    "river stone cloud light night music paper glass field ocean"
).split()


def _make_text(n_samples, rng):
    """Documents whose words depend on a binary label, plus the labels."""
    y = np.arange(n_samples) % 2
    documents = []
    for label in y:
        # Each class favours one half of the vocabulary.
        half = _WORDS[label::2]
        length = rng.integers(5, 15)
        words = [
            half[rng.integers(len(half))] if rng.random() < 0.8
            else _WORDS[rng.integers(len(_WORDS))]
            for _ in range(length)
        ]
        documents.append(" ".join(words))
    return documents, y


def _bad_text():
    """(input, expected error, message fragment) triples for text estimators."""
    return [
        (["a valid document here", 3.5, "another one"], TypeError, "sample 1"),
        (["a valid document here", None, "another one"], ValueError, "missing"),
        ("a single string", ValueError, "string"),
    ]


_INPUT_KINDS = {"text": (_make_text, _bad_text)}


def make_raw_input(kind, n_samples=40, random_state=0):
    """Make ``(X, y)`` of the given raw input kind.

    Parameters
    ----------
    kind : {"text"}
        The kind of raw input.
    n_samples : int, default=40
    random_state : int, default=0

    Returns
    -------
    X : list
        Raw samples.
    y : ndarray of shape (n_samples,)
        Binary labels the samples carry information about.
    """
    if kind not in _INPUT_KINDS:
        raise ValueError(f"Unknown input kind {kind!r}; known: {list(_INPUT_KINDS)}.")
    return _INPUT_KINDS[kind][0](n_samples, np.random.default_rng(random_state))


def _with_fixed_seed(estimator):
    estimator = clone(estimator)
    if "random_state" in estimator.get_params():
        estimator.set_params(random_state=0)
    return estimator


def _output(estimator, X):
    for method in ("transform", "predict_proba", "predict"):
        if hasattr(estimator, method):
            result = getattr(estimator, method)(X)
            return result.toarray() if hasattr(result, "toarray") else np.asarray(
                result
            )
    raise TypeError(f"{type(estimator).__name__} has no transform or predict.")


def check_get_set_params_roundtrip(name, estimator, X, y):
    """Cloning keeps parameters; ``set_params(**get_params())`` is a no-op."""
    params = estimator.get_params(deep=False)
    cloned = clone(estimator)
    assert cloned.get_params(deep=False).keys() == params.keys(), name
    cloned.set_params(**params)
    for key, value in params.items():
        assert cloned.get_params(deep=False)[key] is value, (name, key)


def check_not_fitted_error(name, estimator, X, y):
    """Using an unfitted estimator raises ``NotFittedError``."""
    try:
        _output(clone(estimator), X)
    except NotFittedError:
        return
    raise AssertionError(f"{name} did not raise NotFittedError before fit.")


def check_pickle_identical_output(name, estimator, X, y):
    """A pickled and restored fitted estimator gives identical output."""
    fitted = _with_fixed_seed(estimator).fit(X, y)
    expected = _output(fitted, X)
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(_output(restored, X), expected, err_msg=name)


def check_fit_idempotent(name, estimator, X, y):
    """Two fits with a fixed random_state give identical output."""
    first = _output(_with_fixed_seed(estimator).fit(X, y), X)
    refit = _with_fixed_seed(estimator)
    refit.fit(X, y)
    second = _output(refit.fit(X, y), X)
    np.testing.assert_array_equal(first, second, err_msg=name)


def check_input_not_mutated(name, estimator, X, y):
    """Neither fit nor transform/predict changes its input."""
    X_before, y_before = copy.deepcopy(X), copy.deepcopy(y)
    fitted = _with_fixed_seed(estimator).fit(X, y)
    _output(fitted, X)
    assert X == X_before if isinstance(X, list) else np.array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)


def check_feature_names_out_length(name, estimator, X, y):
    """``get_feature_names_out`` names every output column, uniquely."""
    fitted = _with_fixed_seed(estimator).fit(X, y)
    if not hasattr(fitted, "get_feature_names_out"):
        return
    names = fitted.get_feature_names_out()
    width = _output(fitted, X).shape[1]
    assert len(names) == width, (name, len(names), width)
    assert len(set(names)) == len(names), f"{name}: duplicate feature names"


def check_bad_input_errors(name, estimator, X, y, bad_inputs):
    """Bad samples raise a typed error whose message names the problem."""
    fitted = _with_fixed_seed(estimator).fit(X, y)
    for bad, error, fragment in bad_inputs:
        try:
            _output(fitted, bad)
        except error as exc:
            assert fragment in str(exc), (name, fragment, str(exc))
        else:
            raise AssertionError(f"{name} accepted bad input {bad!r}.")


def yield_checks(estimator):
    """Yield ``check(name, estimator)`` callables for one estimator."""
    for check in (
        check_estimator_cloneable,
        check_estimator_repr,
        check_no_attributes_set_in_init,
        check_parameters_default_constructible,
    ):
        yield check
    kind = getattr(estimator, "_skmm_input_kind", None)
    if kind is None:
        return
    make, bad = _INPUT_KINDS[kind]
    X, y = make(40, np.random.default_rng(0))
    for check in (
        check_get_set_params_roundtrip,
        check_not_fitted_error,
        check_pickle_identical_output,
        check_fit_idempotent,
        check_input_not_mutated,
        check_feature_names_out_length,
    ):
        yield _bind(check, X, y)
    yield _bind(check_bad_input_errors, X, y, bad())


def _bind(check, *args):
    def bound(name, estimator):
        return check(name, estimator, *args)

    bound.__name__ = check.__name__
    return bound


def check_estimator(estimator):
    """Run every skmm check on ``estimator``; raise on the first failure."""
    name = type(estimator).__name__
    for check in yield_checks(estimator):
        check(name, clone(estimator))
