"""Retrieval metrics: a query's relevant items share its label."""

import numbers

import numpy as np
from sklearn.utils._param_validation import Interval, validate_params
from sklearn.utils.validation import check_array, column_or_1d

_COMMON = {
    "query_labels": ["array-like"],
    "database_labels": ["array-like"],
    "scores": ["array-like", None],
    "ranking": ["array-like", None],
}


def _relevance(query_labels, database_labels, scores, ranking):
    """Relevance in rank order, relevant counts, and sorted scores (or None).

    Returns ``relevant`` (n_queries, n_ranked) bool, ``n_relevant``
    (n_queries,) — relevant items in the whole database — and the scores in
    rank order when scores were given.
    """
    query_labels = column_or_1d(query_labels)
    database_labels = column_or_1d(database_labels)
    n_queries, n_database = query_labels.shape[0], database_labels.shape[0]
    if (scores is None) == (ranking is None):
        raise ValueError("Give exactly one of scores and ranking.")
    if scores is not None:
        scores = check_array(scores, dtype=np.float64, input_name="scores")
        if scores.shape != (n_queries, n_database):
            raise ValueError(
                f"scores has shape {scores.shape}, expected (n_queries, "
                f"n_database) = ({n_queries}, {n_database})."
            )
        ranking = np.argsort(-scores, axis=1, kind="stable")
        scores = np.take_along_axis(scores, ranking, axis=1)
    else:
        ranking = check_array(ranking, dtype=None, input_name="ranking")
        if ranking.dtype.kind not in "iu":
            raise ValueError(
                f"ranking must hold integer database indices, got dtype "
                f"{ranking.dtype}."
            )
        if ranking.shape[0] != n_queries or ranking.shape[1] > n_database:
            raise ValueError(
                f"ranking has shape {ranking.shape}, expected (n_queries, k) with "
                f"n_queries = {n_queries} and k <= n_database = {n_database}."
            )
        if ranking.size and (ranking.min() < 0 or ranking.max() >= n_database):
            raise ValueError(
                f"ranking holds indices outside [0, {n_database}) of the database."
            )
    relevant = database_labels[ranking] == query_labels[:, None]
    n_relevant = (database_labels[None, :] == query_labels[:, None]).sum(axis=1)
    return relevant, n_relevant, scores


def _average_precisions(relevant, n_relevant, sorted_scores):
    """AP of each query: the mean, over its relevant items, of the precision
    at their rank; ties in the scores are one threshold, as in
    ``sklearn.metrics.average_precision_score``."""
    hits = np.cumsum(relevant, axis=1)
    positions = np.arange(1, relevant.shape[1] + 1)
    if sorted_scores is None:
        # Every rank is its own threshold.
        gains = relevant * (hits / positions)
    else:
        is_end = np.ones_like(relevant)
        is_end[:, :-1] = sorted_scores[:, 1:] != sorted_scores[:, :-1]
        hits_at_end = np.where(is_end, hits, 0)
        # Hits before the current tie group: the running maximum of the hits
        # at earlier group ends (hits never decrease).
        before = np.zeros_like(hits)
        before[:, 1:] = np.maximum.accumulate(hits_at_end, axis=1)[:, :-1]
        gains = is_end * (hits - before) * (hits / positions)
    with np.errstate(invalid="ignore", divide="ignore"):
        ap = gains.sum(axis=1) / n_relevant
    # A query with no relevant item has AP 0, as scikit-learn returns.
    return np.where(n_relevant > 0, ap, 0.0)


@validate_params(
    {**_COMMON, "average": ["boolean"]}, prefer_skip_nested_validation=True
)
def mean_average_precision(
    query_labels, database_labels, scores=None, *, ranking=None, average=True
):
    """Mean average precision (MAP) of category-level retrieval.

    Database item ``j`` is relevant to query ``i`` when
    ``database_labels[j] == query_labels[i]``. A query's average precision is
    the mean, over all its relevant database items, of the precision at the
    rank of each; an item missing from a truncated ``ranking`` contributes
    precision 0. MAP is the mean over queries.

    Parameters
    ----------
    query_labels : array-like of shape (n_queries,)
    database_labels : array-like of shape (n_database,)
    scores : array-like of shape (n_queries, n_database), default=None
        Similarity of each query to each database item, higher is better.
        Tied scores form one threshold, as in
        ``sklearn.metrics.average_precision_score``, so the AP of each query
        equals ``average_precision_score(relevant, scores[i])``.
    ranking : array-like of int of shape (n_queries, k), default=None
        Database indices, best first (as :func:`skmm.retrieval.retrieve`
        returns), instead of ``scores``; ``k`` may be less than the database.
    average : bool, default=True
        Return the mean; if False, the AP of each query.

    Returns
    -------
    map : float, or ndarray of shape (n_queries,) if not ``average``
        Queries without any relevant item count as AP 0.

    See Also
    --------
    precision_at_k, recall_at_k, precision_recall_curve

    Examples
    --------
    >>> from skmm.metrics import mean_average_precision
    >>> mean_average_precision([0, 1], [0, 1, 0], [[0.9, 0.5, 0.1], [0.2, 0.8, 0.3]])
    0.916...
    >>> mean_average_precision([0, 1], [0, 1, 0], ranking=[[0, 1, 2], [1, 0, 2]])
    0.916...
    """
    relevant, n_relevant, sorted_scores = _relevance(
        query_labels, database_labels, scores, ranking
    )
    ap = _average_precisions(relevant, n_relevant, sorted_scores)
    return float(ap.mean()) if average else ap


def _top_k(query_labels, database_labels, scores, ranking, k):
    relevant, n_relevant, _ = _relevance(query_labels, database_labels, scores, ranking)
    if k > relevant.shape[1]:
        raise ValueError(
            f"k={k} is more than the {relevant.shape[1]} ranked items per query."
        )
    return relevant[:, :k].sum(axis=1), n_relevant


@validate_params(
    {**_COMMON, "k": [Interval(numbers.Integral, 1, None, closed="left")]},
    prefer_skip_nested_validation=True,
)
def precision_at_k(query_labels, database_labels, scores=None, *, ranking=None, k=10):
    """Mean, over queries, of the fraction of relevant items in the top ``k``.

    Parameters
    ----------
    query_labels : array-like of shape (n_queries,)
    database_labels : array-like of shape (n_database,)
    scores : array-like of shape (n_queries, n_database), default=None
        Similarities, higher is better; ties keep database order.
    ranking : array-like of int of shape (n_queries, k'), default=None
        Database indices, best first, instead of ``scores``; ``k' >= k``.
    k : int, default=10

    Returns
    -------
    precision : float

    Examples
    --------
    >>> from skmm.metrics import precision_at_k
    >>> precision_at_k([0], [0, 1, 0], ranking=[[0, 1, 2]], k=2)
    0.5
    """
    hits, _ = _top_k(query_labels, database_labels, scores, ranking, k)
    return float(np.mean(hits / k))


@validate_params(
    {**_COMMON, "k": [Interval(numbers.Integral, 1, None, closed="left")]},
    prefer_skip_nested_validation=True,
)
def recall_at_k(query_labels, database_labels, scores=None, *, ranking=None, k=10):
    """Mean, over queries, of the fraction of relevant items found in the top k.

    Queries without any relevant database item count as recall 0.

    Parameters
    ----------
    query_labels : array-like of shape (n_queries,)
    database_labels : array-like of shape (n_database,)
    scores : array-like of shape (n_queries, n_database), default=None
        Similarities, higher is better; ties keep database order.
    ranking : array-like of int of shape (n_queries, k'), default=None
        Database indices, best first, instead of ``scores``; ``k' >= k``.
    k : int, default=10

    Returns
    -------
    recall : float

    Examples
    --------
    >>> from skmm.metrics import recall_at_k
    >>> recall_at_k([0], [0, 1, 0], ranking=[[0, 1, 2]], k=2)
    0.5
    """
    hits, n_relevant = _top_k(query_labels, database_labels, scores, ranking, k)
    return float(np.mean(np.where(n_relevant > 0, hits / np.maximum(n_relevant, 1), 0)))


@validate_params(
    {
        **_COMMON,
        "n_points": [Interval(numbers.Integral, 2, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def precision_recall_curve(
    query_labels, database_labels, scores=None, *, ranking=None, n_points=11
):
    """Interpolated precision-recall curve of retrieval, averaged over queries.

    For each query and each recall level ``r`` in ``linspace(0, 1,
    n_points)``, the interpolated precision is the highest precision reached
    at any rank whose recall is at least ``r`` (0 if the ranking never
    reaches ``r``); the curve is its mean over queries that have a relevant
    item. ``n_points=11`` gives the classic 11-point curve (TREC, Rasiwasia
    et al. 2010).

    Parameters
    ----------
    query_labels : array-like of shape (n_queries,)
    database_labels : array-like of shape (n_database,)
    scores : array-like of shape (n_queries, n_database), default=None
        Similarities, higher is better; ties keep database order.
    ranking : array-like of int of shape (n_queries, k), default=None
        Database indices, best first, instead of ``scores``.
    n_points : int, default=11
        Number of recall levels.

    Returns
    -------
    precision : ndarray of shape (n_points,)
        Non-increasing.
    recall : ndarray of shape (n_points,)
        ``linspace(0, 1, n_points)``.

    Examples
    --------
    >>> from skmm.metrics import precision_recall_curve
    >>> precision, recall = precision_recall_curve(
    ...     [0], [0, 1, 0], ranking=[[0, 1, 2]], n_points=3)
    >>> precision.round(3)
    array([1.   , 1.   , 0.667])
    >>> recall
    array([0. , 0.5, 1. ])
    """
    relevant, n_relevant, _ = _relevance(query_labels, database_labels, scores, ranking)
    levels = np.linspace(0.0, 1.0, n_points)
    has_relevant = n_relevant > 0
    relevant, n_relevant = relevant[has_relevant], n_relevant[has_relevant]
    if relevant.shape[0] == 0:
        return np.zeros(n_points), levels
    hits = np.cumsum(relevant, axis=1)
    precision = hits / np.arange(1, relevant.shape[1] + 1)
    recall = hits / n_relevant[:, None]
    # Best precision at this rank or any later one.
    best_from = np.maximum.accumulate(precision[:, ::-1], axis=1)[:, ::-1]
    curve = np.empty((relevant.shape[0], n_points))
    for j, level in enumerate(levels):
        reached = recall >= level - 1e-12
        first = np.argmax(reached, axis=1)
        curve[:, j] = np.where(
            reached.any(axis=1), best_from[np.arange(len(first)), first], 0.0
        )
    return curve.mean(axis=0), levels
