"""Cross-validation of several late fusion rules at the cost of one."""

import time

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    RegressorMixin,
    clone,
    is_classifier,
)
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.utils import _safe_indexing
from sklearn.utils.metaestimators import available_if
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import column_or_1d, indexable

from skmm.fusion._late import _BaseLateFusion
from skmm.utils._parallel import small_fits_blas

__all__ = ["cross_validate_rules"]

# The parameters a rule may set: those of the fusion alone. The others
# (estimators, cv, all_missing) change the base fits that the rules share.
_RULE_PARAMS = ("fusion", "weights", "final_estimator")


def _check_rules(estimator, rules):
    """The rules as ``{label: params}``, every rule a valid estimator, and
    whether one of them needs the inner cross-validation's outputs."""
    if rules is None:
        options = type(estimator)._parameter_constraints["fusion"][0].options
        rules = {fusion: {"fusion": fusion, "weights": None} for fusion in options}
        rules = dict(sorted(rules.items()))
    elif isinstance(rules, dict):
        rules = {label: dict(params) for label, params in rules.items()}
    else:
        rules = list(rules)
        if not all(isinstance(fusion, str) for fusion in rules):
            raise TypeError(
                "rules must be None, a list of fusion names or a dict of "
                f"label -> parameters, got {rules!r}."
            )
        rules = {fusion: {"fusion": fusion} for fusion in rules}
    if not rules:
        raise ValueError("rules is empty: there is nothing to cross-validate.")
    need_oof = False
    for label, params in rules.items():
        unknown = sorted(set(params) - set(_RULE_PARAMS))
        if unknown:
            raise ValueError(
                f"Rule {label!r} sets {unknown}: a rule may only set "
                f"{list(_RULE_PARAMS)}, since the rules share the fits of the "
                "base estimators."
            )
        candidate = clone(estimator).set_params(**params)
        candidate._validate_params()
        # "learn" with a rule that ignores weights is an error here too.
        need_oof = candidate._needs_oof() or need_oof
    return rules, need_oof


class _FoldOutputs:
    """A fitted rule whose base outputs on the test fold are already
    computed: scorers call its methods on that fold only."""

    def __init__(self, rule, X_test, outputs, present):
        self.rule = rule
        self.X_test = X_test
        self.outputs = outputs
        self.present = present

    def _check(self, X):
        if X is not self.X_test:
            raise ValueError("_FoldOutputs only predicts its own test fold.")
        return self.outputs, self.present

    def predict(self, X):
        return self.rule._predict_from(*self._check(X))


class _ClassifierOutputs(ClassifierMixin, _FoldOutputs, BaseEstimator):
    @property
    def classes_(self):
        return self.rule.classes_

    @available_if(lambda self: hasattr(self.rule, "predict_proba"))
    def predict_proba(self, X):
        return self.rule._proba_from(*self._check(X))

    def decision_function(self, X):
        return self.rule._decision_from(*self._check(X))


class _RegressorOutputs(RegressorMixin, _FoldOutputs, BaseEstimator):
    pass


def _fit_and_score_fold(
    shared, rules, need_oof, X, y, groups, train, test, scorer, keep
):
    """Fit the base estimators of ``shared`` (an unfitted clone) once on
    ``train``, with the inner cross-validation if ``need_oof``, then each
    rule's fusion; score every rule on ``test``."""
    start = time.perf_counter()
    X_train, y_train = _safe_indexing(X, train), y[train]
    groups_train = None if groups is None else groups[train]
    shared._validate_params()
    y_train = shared._check_targets(column_or_1d(y_train, warn=True))
    with small_fits_blas():
        oof, oof_present, final_params = shared._fit_base(
            X_train, y_train, groups_train, {}, need_oof=need_oof
        )
    shared_fit = time.perf_counter() - start

    start = time.perf_counter()
    X_test = _safe_indexing(X, test)
    outputs, present = shared._base_outputs(X_test)
    shared_score = time.perf_counter() - start
    wrapper = _ClassifierOutputs if is_classifier(shared) else _RegressorOutputs
    results = {}
    for label, params in rules.items():
        start = time.perf_counter()
        # The shared fitted state (the same fitted base estimators), with
        # this rule's parameters.
        fitted = object.__new__(type(shared))
        fitted.__dict__.update(vars(shared))
        fitted.set_params(**params)
        with small_fits_blas():
            fitted._fit_fusion(y_train, oof, oof_present, final_params)
        fit_time = shared_fit + time.perf_counter() - start
        start = time.perf_counter()
        scores = scorer(wrapper(fitted, X_test, outputs, present), X_test, y[test])
        score_time = shared_score + time.perf_counter() - start
        results[label] = {
            "fit_time": fit_time,
            "score_time": score_time,
            "scores": scores,
            "estimator": fitted if keep else None,
        }
    return results


def cross_validate_rules(
    estimator,
    X,
    y,
    *,
    rules=None,
    groups=None,
    cv=None,
    scoring=None,
    n_jobs=None,
    verbose=0,
    return_estimator=False,
):
    """Cross-validate a late fusion model under several fusion rules, fitting
    each modality once per fold.

    The rules of a :class:`LateFusionClassifier` (or
    :class:`LateFusionRegressor`) differ only in how they combine the base
    estimators' outputs: every rule fits the same base estimators on the same
    rows, and learned weights and stacking fit them on the same internal
    folds as well. This function therefore fits the base estimators (and the
    internal cross-validation, when a rule needs it) once per outer fold and
    only the fusion itself per rule, where ``cross_validate`` of each rule in
    turn would refit everything for every rule. The scores are those of
    :func:`~sklearn.model_selection.cross_validate` of each rule, provided the
    base estimators' fits are deterministic (a fixed ``random_state``).

    Parameters
    ----------
    estimator : LateFusionClassifier or LateFusionRegressor
        The model; its ``estimators``, ``cv`` and ``all_missing`` are those
        of every rule. Not fitted.
    X : pandas DataFrame or array-like of shape (n_samples, n_features)
        The table, one column (or several) per modality.
    y : array-like of shape (n_samples,)
        Targets.
    rules : list of str or dict, default=None
        The rules to cross-validate: a list of ``fusion`` values, or a dict
        of label -> parameters of the estimator among ``fusion``,
        ``weights`` and ``final_estimator`` (for instance ``{"learned
        product": {"fusion": "product", "weights": "learn"}}``); other
        parameters would change the shared fits and are refused with a
        ``ValueError``. None means every ``fusion`` value of the estimator's
        class, with ``weights=None`` (``"weighted"`` then learns them).
    groups : array-like of shape (n_samples,), default=None
        Group labels, for a group splitter as ``cv`` and for the estimator's
        internal ``cv``: each fit gets the groups of its training rows.
    cv : int, cross-validation generator or iterable, default=None
        The outer splitting, as in ``cross_validate`` (5-fold, stratified
        for a classifier, when None or an int).
    scoring : str, callable, list, tuple or dict, default=None
        As in ``cross_validate``: None uses the estimator's ``score``.
    n_jobs : int, default=None
        Number of outer folds fitted in parallel (joblib; processes by
        default). None means 1 unless in a ``joblib.parallel_config``
        context.
    verbose : int, default=0
        joblib's verbosity over the folds.
    return_estimator : bool, default=False
        Also return each rule's fitted estimator per fold. The rules of a
        fold share their fitted base estimators (the same objects).

    Returns
    -------
    results : dict
        Rule label -> dict of arrays of shape ``(n_splits,)``, as
        ``cross_validate`` returns: ``test_score`` (or ``test_<name>`` for
        each of several scorers), ``fit_time`` (the fold's shared fit plus the
        rule's own), ``score_time`` (the fold's shared predictions of the
        base estimators plus the rule's scoring) and, with
        ``return_estimator``, ``estimator``.

    Notes
    -----
    An error in a fold is raised, as ``cross_validate(...,
    error_score="raise")`` does, naming the modality as ``fit`` does; a rule
    that cannot apply (``weights="learn"`` with ``fusion="max"``) is refused
    before any fit.

    See Also
    --------
    sklearn.model_selection.cross_validate : Cross-validation of one model.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skmm.fusion import LateFusionClassifier, cross_validate_rules
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 50)
    >>> X = rng.normal(size=(100, 4)) + y[:, None]
    >>> late = LateFusionClassifier(
    ...     [("a", LogisticRegression(), [0, 1]), ("b", LogisticRegression(), [2, 3])]
    ... )
    >>> results = cross_validate_rules(late, X, y, rules=["mean", "stacking"], cv=3)
    >>> sorted(results)
    ['mean', 'stacking']
    >>> results["mean"]["test_score"].shape
    (3,)
    """
    if not isinstance(estimator, _BaseLateFusion):
        raise TypeError(
            "cross_validate_rules needs a LateFusionClassifier or "
            f"LateFusionRegressor, got {type(estimator).__name__}."
        )
    rules, need_oof = _check_rules(estimator, rules)
    X, y, groups = indexable(X, y, groups)
    y = np.asarray(y)
    if groups is not None:
        groups = np.asarray(groups)
    cv = check_cv(cv, y, classifier=is_classifier(estimator))
    splits = list(cv.split(X, y, groups))
    scorer = check_scoring(estimator, scoring=scoring)
    folds = Parallel(n_jobs=n_jobs, verbose=verbose)(
        delayed(_fit_and_score_fold)(
            clone(estimator),
            rules,
            need_oof,
            X,
            y,
            groups,
            train,
            test,
            scorer,
            return_estimator,
        )
        for train, test in splits
    )
    results = {}
    for label in rules:
        per_fold = [fold[label] for fold in folds]
        result = {
            "fit_time": np.array([fold["fit_time"] for fold in per_fold]),
            "score_time": np.array([fold["score_time"] for fold in per_fold]),
        }
        scores = [fold["scores"] for fold in per_fold]
        if isinstance(scores[0], dict):
            for name in scores[0]:
                result[f"test_{name}"] = np.array([s[name] for s in scores])
        else:
            result["test_score"] = np.array(scores)
        if return_estimator:
            result["estimator"] = [fold["estimator"] for fold in per_fold]
        results[label] = result
    return results
