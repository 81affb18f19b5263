"""Ranking a database by similarity to each query."""

import numbers

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import check_array

from skmm.retrieval import _retrieve_xp
from skmm.utils._device import _DEVICES, resolve_device, to_numpy

_METRICS = ("cosine", "correlation", "euclidean", "dot")


def _check_features(query_features, database_features):
    """Both feature matrices as float64 host arrays of the same width."""
    Q = check_array(
        to_numpy(query_features), dtype=np.float64, input_name="query_features"
    )
    D = check_array(
        to_numpy(database_features), dtype=np.float64, input_name="database_features"
    )
    if Q.shape[1] != D.shape[1]:
        raise ValueError(
            f"query_features has {Q.shape[1]} features but database_features "
            f"has {D.shape[1]}; both must live in the same space."
        )
    return Q, D


def _array_module(device):
    """NumPy, or CuPy for ``device="cuda"`` (imported only then)."""
    if resolve_device(device) == "cuda":
        import cupy

        return cupy
    return np


@validate_params(
    {
        "query_features": ["array-like"],
        "database_features": ["array-like"],
        "metric": [StrOptions(set(_METRICS))],
        "device": [StrOptions(set(_DEVICES))],
    },
    prefer_skip_nested_validation=True,
)
def similarity(query_features, database_features, *, metric="cosine", device="cpu"):
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
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where to compute. "cuda" needs CuPy and a CUDA device (the products
        then run in cuBLAS); "auto" takes the GPU when there is one and the
        CPU otherwise. The result is a NumPy array either way.

    Returns
    -------
    scores : ndarray of shape (n_queries, n_database), float64

    See Also
    --------
    retrieve : Rank the database for each query, without holding all scores.

    Examples
    --------
    >>> from skmm.retrieval import similarity
    >>> similarity([[1.0, 0.0]], [[2.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    array([[ 1.,  0., -1.]])
    """
    Q, D = _check_features(query_features, database_features)
    xp = _array_module(device)
    return _retrieve_xp.similarity_blocks(Q, D, metric, None, xp=xp)


@validate_params(
    {
        "query_features": ["array-like"],
        "database_features": ["array-like"],
        "k": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "metric": [StrOptions(set(_METRICS))],
        "device": [StrOptions(set(_DEVICES))],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left"), None],
    },
    prefer_skip_nested_validation=True,
)
def retrieve(
    query_features,
    database_features,
    *,
    k=None,
    metric="cosine",
    device="cpu",
    batch_size=None,
):
    """Rank the database items for each query, most similar first.

    The queries are scored in blocks of ``batch_size`` rows against the whole
    database, so the memory held beyond the result is one block of scores,
    whatever the number of queries.

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
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where to compute. "cuda" needs CuPy and a CUDA device: the database is
        copied to the GPU once, each block is scored by a cuBLAS product and
        ranked there, and only the top ``k`` come back. "auto" takes the GPU
        when there is one and the CPU otherwise. Results are NumPy arrays
        either way (CuPy inputs are accepted and copied to the host first).
    batch_size : int or None, default=None
        Queries scored per block. None picks the largest block whose scores
        and sort indices fit in about 128 MiB on the CPU (16 bytes per query
        and database item; at least one query), and in half the free GPU
        memory (up to 8 GiB, 48 bytes per query and item) on the GPU. The
        ranking does not depend on it.

    Returns
    -------
    ranking : ndarray of shape (n_queries, k), int64
        Database indices, best first. Ties keep database order.
    scores : ndarray of shape (n_queries, k), float64
        The similarity of each ranked item, non-increasing along each row.

    See Also
    --------
    similarity : All the scores, as one matrix.
    CrossModalCCA.retrieve : Project both modalities, then retrieve.
    skmm.metrics.mean_average_precision : Score a ranking.

    Notes
    -----
    The top ``k`` come from a partial sort (``argpartition``) of each row,
    O(n_database + k log k) per query; rows where the ``k``-th best ties with
    an item left out are sorted fully, so that the ranking equals the first
    ``k`` columns of a stable sort. Scores are float64 on either device; the
    matrix product may round differently in the last bit for different block
    shapes (BLAS sums in a shape-dependent order), which can only swap items
    whose similarities agree to about 1e-15.

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
    Q, D = _check_features(query_features, database_features)
    xp = _array_module(device)
    return _retrieve_xp.retrieve_blocks(Q, D, k, metric, batch_size, xp=xp)
