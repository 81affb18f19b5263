"""Ranking a database by similarity to each query."""

import numbers

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import check_array

_METRICS = ("cosine", "correlation", "euclidean", "dot")


def _unit_rows(X):
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    # A zero row has no direction: it scores 0 against everything.
    norms[norms == 0] = 1.0
    return X / norms


def similarity(query_features, database_features, *, metric="cosine"):
    """Similarity of every query to every database item (higher is closer).

    Parameters
    ----------
    query_features : array-like of shape (n_queries, n_features)
    database_features : array-like of shape (n_database, n_features)
    metric : {"cosine", "correlation", "euclidean", "dot"}, default="cosine"
        "cosine" is the normalised correlation ``<q, d> / (|q| |d|)`` of
        Rasiwasia et al.; "correlation" centres each vector on its own mean
        first (Pearson correlation); "euclidean" is the negated Euclidean
        distance; "dot" the plain inner product.

    Returns
    -------
    scores : ndarray of shape (n_queries, n_database), float64
    """
    Q = check_array(query_features, dtype=np.float64, input_name="query_features")
    D = check_array(
        database_features, dtype=np.float64, input_name="database_features"
    )
    if Q.shape[1] != D.shape[1]:
        raise ValueError(
            f"query_features has {Q.shape[1]} features but database_features "
            f"has {D.shape[1]}; both must live in the same space."
        )
    if metric == "correlation":
        Q = Q - Q.mean(axis=1, keepdims=True)
        D = D - D.mean(axis=1, keepdims=True)
    if metric in ("cosine", "correlation"):
        return _unit_rows(Q) @ _unit_rows(D).T
    if metric == "dot":
        return Q @ D.T
    if metric == "euclidean":
        squared = (
            np.einsum("ij,ij->i", Q, Q)[:, None]
            - 2.0 * (Q @ D.T)
            + np.einsum("ij,ij->i", D, D)[None, :]
        )
        return -np.sqrt(np.maximum(squared, 0.0))
    raise ValueError(f"metric must be one of {_METRICS}, got {metric!r}.")


@validate_params(
    {
        "query_features": ["array-like"],
        "database_features": ["array-like"],
        "k": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "metric": [StrOptions(set(_METRICS))],
    },
    prefer_skip_nested_validation=True,
)
def retrieve(query_features, database_features, *, k=None, metric="cosine"):
    """Rank the database items for each query, most similar first.

    Parameters
    ----------
    query_features : array-like of shape (n_queries, n_features)
        The queries, in the same space as the database (for cross-modal
        retrieval, both projected by :class:`CrossModalCCA` first).
    database_features : array-like of shape (n_database, n_features)
        The items to rank.
    k : int or None, default=None
        Keep the ``k`` best items per query (all when None or when ``k`` is
        larger than the database).
    metric : {"cosine", "correlation", "euclidean", "dot"}, default="cosine"
        Similarity, see :func:`similarity`. "cosine" is the normalised
        correlation used by Rasiwasia et al. (2010).

    Returns
    -------
    ranking : ndarray of shape (n_queries, k), int64
        Database indices, best first. Ties keep database order.
    scores : ndarray of shape (n_queries, k), float64
        The similarity of each ranked item, non-increasing along each row.

    See Also
    --------
    CrossModalCCA.retrieve : Project both modalities, then retrieve.
    skmm.metrics.mean_average_precision : Score a ranking.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.retrieval import retrieve
    >>> database = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> ranking, scores = retrieve([[1.0, 0.1]], database, k=2)
    >>> ranking
    array([[0, 2]])
    >>> scores.round(3)
    array([[0.995, 0.774]])
    """
    scores = similarity(query_features, database_features, metric=metric)
    n_database = scores.shape[1]
    if k is None or k >= n_database:
        ranking = np.argsort(-scores, axis=1, kind="stable")
    else:
        # Partition to the best k, then sort only those: O(n + k log k).
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        top.sort(axis=1)  # database order among ties, as argsort gives
        order = np.argsort(
            -np.take_along_axis(scores, top, axis=1), axis=1, kind="stable"
        )
        ranking = np.take_along_axis(top, order, axis=1)
    ranking = ranking.astype(np.int64, copy=False)
    return ranking, np.take_along_axis(scores, ranking, axis=1)
