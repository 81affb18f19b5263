"""Modality importance: the drop in score when a whole modality is taken away."""

import numbers

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.metrics import check_scoring
from sklearn.pipeline import Pipeline
from sklearn.utils import Bunch, _safe_indexing, check_random_state
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    StrOptions,
    validate_params,
)
from sklearn.utils.validation import check_array, check_is_fitted

from skmm.base import _is_dataframe, _ModalityColumnsMixin
from skmm.utils._parallel import Parallel, budgeted, budgeted_blas, delayed

__all__ = ["modality_importance"]


def _column_positions(X, column):
    """Positions of the columns of ``X`` that ``column`` selects, as
    ColumnTransformer and skmm's fusion estimators select them."""
    if callable(column):
        column = column(X)
    n_columns = X.shape[1]
    if _is_dataframe(X):
        import pandas as pd

        positions = pd.DataFrame([np.arange(n_columns)], columns=X.columns)
    else:
        positions = np.arange(n_columns)[None, :]
    selected = _safe_indexing(positions, column, axis=1)
    return np.unique(np.asarray(selected).ravel()).astype(np.intp)


def _modality_columns(estimator):
    """``[(name, column), ...]`` of the first step that sees ``X``'s columns,
    or None when the estimator does not say which columns are which."""
    for attribute in ("best_estimator_", "estimator_"):
        inner = getattr(estimator, attribute, None)
        if isinstance(inner, BaseEstimator):
            return _modality_columns(inner)
    if isinstance(estimator, _ModalityColumnsMixin):
        names, _, columns = estimator._validate_triples()
        return list(zip(names, columns, strict=True))
    if isinstance(estimator, ColumnTransformer):
        transformers = getattr(estimator, "transformers_", estimator.transformers)
        return [
            (name, column)
            for name, transformer, column in transformers
            if not (isinstance(transformer, str) and transformer == "drop")
        ]
    if isinstance(estimator, Pipeline) and estimator.steps:
        return _modality_columns(estimator.steps[0][1])
    return None


def _resolve_modalities(estimator, X, modalities):
    """``(names, positions)``: each modality's name and column positions."""
    if modalities is None:
        pairs = _modality_columns(estimator)
        if pairs is None:
            if not _is_dataframe(X):
                raise ValueError(
                    f"Cannot tell the modalities of {type(estimator).__name__}: "
                    "it is neither one of skmm's fusion estimators nor a "
                    "Pipeline starting with a ColumnTransformer. Name them with "
                    "modalities={name: column(s)}."
                )
            # A table without a fusion step: one modality per column.
            pairs = [(str(column), column) for column in X.columns]
    else:
        if not isinstance(modalities, dict) or not modalities:
            raise TypeError(
                "modalities must be a non-empty dict of name -> column(s), got "
                f"{modalities!r}."
            )
        pairs = list(modalities.items())
    names, positions = [], []
    for name, column in pairs:
        try:
            selected = _column_positions(X, column)
        except (KeyError, ValueError, IndexError) as exc:
            raise ValueError(
                f"Modality {name!r} selects column(s) {column!r}, which X "
                f"(shape {X.shape}) does not have: {exc}"
            ) from exc
        if selected.size == 0:
            continue
        names.append(str(name))
        positions.append(selected)
    if not names:
        raise ValueError("No modality selects any column of X.")
    return names, positions


def _missing_values(values):
    """A column like ``values`` with every cell missing."""
    if values.dtype.kind in "fc":
        return np.full(values.shape, np.nan, dtype=values.dtype)
    if values.dtype.kind in "iub":
        return np.full(values.shape, np.nan)
    return np.full(values.shape, None, dtype=object)


def _replace_columns(X, positions, make_column):
    """A copy of ``X`` whose columns ``positions`` are ``make_column(values)``
    (``values`` a 1-D array of the column's cells)."""
    if _is_dataframe(X):
        X_new = X.copy(deep=False)
        for position in positions:
            X_new.isetitem(position, make_column(X.iloc[:, position].to_numpy()))
        return X_new
    X_new = X.copy()
    if X_new.dtype.kind in "iub":
        X_new = X_new.astype(float)
    for position in positions:
        X_new[:, position] = make_column(X[:, position])
    return X_new


def _score(scorer, estimator, X, y, sample_weight):
    if sample_weight is None:
        return scorer(estimator, X, y)
    return scorer(estimator, X, y, sample_weight=sample_weight)


def _modality_scores(
    estimator, X, y, sample_weight, name, positions, strategy, seed, n_repeats, scorer
):
    """Scores with one modality permuted (``n_repeats`` times) or dropped."""
    if strategy == "drop":
        X_dropped = _replace_columns(X, positions, _missing_values)
        try:
            return [_score(scorer, estimator, X_dropped, y, sample_weight)]
        except Exception as exc:
            raise ValueError(
                f"strategy='drop': {type(estimator).__name__} cannot score X "
                f"with modality {name!r} missing in every row ({exc}). Use "
                "strategy='permute' for an estimator that does not handle "
                "missing modalities."
            ) from exc
    rng = np.random.RandomState(seed)
    # Each repeat permutes the last one's rows with a reshuffled index, as
    # permutation_importance does, so that a one-column modality gets the
    # same permutations as there.
    shuffling = np.arange(X.shape[0])
    order = np.arange(X.shape[0])
    scores = []
    for _ in range(n_repeats):
        rng.shuffle(shuffling)
        order = order[shuffling]
        # One permutation for all the modality's columns: its cells move
        # together, as one modality of another sample.
        X_permuted = _replace_columns(
            X, positions, lambda values, order=order: values[order]
        )
        scores.append(_score(scorer, estimator, X_permuted, y, sample_weight))
    return scores


def _importances_bunch(names, baseline, scores):
    importances = baseline - np.asarray(scores, dtype=float)
    return Bunch(
        importances_mean=importances.mean(axis=1),
        importances_std=importances.std(axis=1),
        importances=importances,
        modality_names=list(names),
        baseline_score=baseline,
    )


@validate_params(
    {
        "estimator": [HasMethods(["fit"])],
        "X": ["array-like"],
        "y": ["array-like", None],
        "modalities": [dict, None],
        "scoring": [str, callable, list, tuple, dict, None],
        "n_repeats": [Interval(numbers.Integral, 1, None, closed="left")],
        "strategy": [StrOptions({"permute", "drop"})],
        "random_state": ["random_state"],
        "n_jobs": [numbers.Integral, None],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def modality_importance(
    estimator,
    X,
    y,
    *,
    modalities=None,
    scoring=None,
    n_repeats=5,
    strategy="permute",
    random_state=None,
    n_jobs=None,
    sample_weight=None,
):
    """Importance of each modality of a fitted model on a multimodal table.

    The importance of a modality is the drop in score when all its columns
    are taken from it at once: permuted across rows together
    (``strategy="permute"``, as
    :func:`~sklearn.inspection.permutation_importance` does for one column),
    or set missing in every row (``strategy="drop"``, for a model that
    handles missing modalities, such as
    :class:`~skmm.fusion.LateFusionClassifier`).

    Parameters
    ----------
    estimator : estimator
        A fitted estimator whose ``score`` (or ``scoring``) takes ``X``.
        The modalities are read from it: the ``(name, estimator, column)``
        triples of skmm's fusion estimators (late fusion, co-training,
        matchings), or the transformers of a
        :class:`~sklearn.compose.ColumnTransformer` that is the estimator or
        the first step of a :class:`~sklearn.pipeline.Pipeline` (its
        ``"drop"`` transformers left out, its remainder included). A search
        such as ``GridSearchCV`` is looked through to its
        ``best_estimator_``.
    X : pandas DataFrame or array-like of shape (n_samples, n_features)
        Data to score on, held out from the fit for honest numbers.
    y : array-like of shape (n_samples,) or None
        Targets (None for an unsupervised score).
    modalities : dict of str to column(s), default=None
        Name -> column(s) of ``X``, selected as ``ColumnTransformer`` does;
        overrides what the estimator says. When None and the estimator says
        nothing, each column of a DataFrame is a modality.
    scoring : str, callable, list, tuple, dict or None, default=None
        As in :func:`~sklearn.inspection.permutation_importance`: None uses
        the estimator's ``score``; several scorers give a dict of results.
    n_repeats : int, default=5
        Permutations per modality. Dropping is deterministic and done once.
    strategy : {"permute", "drop"}, default="permute"
        How a modality is taken away: its columns permuted across rows
        (jointly), or every cell of them set missing (None in a column of
        objects, NaN in a numeric one).
    random_state : int, RandomState instance or None, default=None
        Seeds the permutations; every modality sees the same ones.
    n_jobs : int, default=None
        Modalities scored in parallel (joblib), each worker with its share
        of the cores' threads. None means 1 unless in a
        ``joblib.parallel_config`` context.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights passed to the scorer.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch` or dict of them
        With one row per modality:

        importances_mean : ndarray of shape (n_modalities,)
            Mean drop in score over the repeats.
        importances_std : ndarray of shape (n_modalities,)
            Its standard deviation.
        importances : ndarray of shape (n_modalities, n_repeats)
            The drops; one column for ``strategy="drop"``.
        modality_names : list of str
            The modalities, in row order.
        baseline_score : float
            The score on ``X`` as given.

        A dict of such Bunches, by scorer name, for several scorers.

    See Also
    --------
    sklearn.inspection.permutation_importance : The same for single columns.
    skmm.plotting.ModalityImportanceDisplay : These importances as bars.

    Notes
    -----
    Permuting keeps each modality's distribution (and its missing cells) and
    breaks only its link to the target and to the other modalities, so the
    model is asked nothing it has not seen. Dropping asks what the model does
    without the modality; for late fusion that is the fusion of the others.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skmm.fusion import LateFusionClassifier
    >>> from skmm.inspection import modality_importance
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 100)
    >>> X = rng.normal(size=(200, 4))
    >>> X[:, :2] += 2 * y[:, None]  # the first modality knows the class
    >>> late = LateFusionClassifier(
    ...     [("signal", LogisticRegression(), [0, 1]),
    ...      ("noise", LogisticRegression(), [2, 3])],
    ... ).fit(X, y)
    >>> result = modality_importance(late, X, y, n_repeats=3, random_state=0)
    >>> result.modality_names
    ['signal', 'noise']
    >>> bool(result.importances_mean[0] > 0.2), bool(
    ...     abs(result.importances_mean[1]) < 0.05)
    (True, True)
    """
    check_is_fitted(estimator)
    if not _is_dataframe(X):
        X = check_array(X, ensure_all_finite="allow-nan", dtype=None)
    if y is not None and len(y) != X.shape[0]:
        raise ValueError(
            f"X has {X.shape[0]} samples but y has {len(y)}; they must match."
        )
    names, positions = _resolve_modalities(estimator, X, modalities)
    scorer = check_scoring(estimator, scoring=scoring)
    baseline = _score(scorer, estimator, X, y, sample_weight)
    # One seed for every modality, so that each is permuted in the same ways
    # whichever worker scores it.
    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max + 1)
    task = budgeted(_modality_scores, n_jobs)
    with budgeted_blas(n_jobs):
        scores = Parallel(n_jobs=n_jobs)(
            delayed(task)(
                estimator,
                X,
                y,
                sample_weight,
                name,
                columns,
                strategy,
                seed,
                n_repeats,
                scorer,
            )
            for name, columns in zip(names, positions, strict=True)
        )
    if isinstance(baseline, dict):
        return {
            key: _importances_bunch(
                names,
                baseline[key],
                [[score[key] for score in modality] for modality in scores],
            )
            for key in baseline
        }
    return _importances_bunch(names, baseline, scores)
