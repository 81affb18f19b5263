"""Blockwise similarity and top-k ranking, on the CPU with NumPy or the GPU with CuPy.

The computation is written against an array module ``xp`` using only
operations NumPy and CuPy share, so the same code serves ``device="cpu"``
(``xp=numpy``), ``device="cuda"`` (``xp=cupy``: the products run in cuBLAS,
the selection in CuPy's sorts) and the CPU test suite, which runs the CUDA
path under NumPy.

The queries are processed in blocks of rows; only one block of scores
against the whole database is held at a time. Each block is scored as a
negated similarity ("distance", lower is closer), obtained exactly: the
angular metrics and "dot" multiply by the negated database (negation is
exact, so ``q @ (-d)`` is bit for bit ``-(q @ d)``), and "euclidean" stops
before its final negation. Ranking ascending distances with a stable sort
then gives the most similar items first, database order among ties.
"""

import numpy as np

from skmm.utils._device import to_numpy

# Bytes of one block's working set on the CPU: its float64 scores and the
# int64 indices that partitioning or sorting them allocates (16 bytes per
# score), sized for the caches and memory of a CPU.
BLOCK_BYTES = 128 * 2**20
_BYTES_PER_SCORE = 16
# On a GPU a block's working set is several arrays of its scores' shape (the
# scores, a comparison mask, partition and sort indices): 48 bytes per score
# budgets them. Blocks take this share of the free device memory, up to
# _GPU_BLOCK_BYTES_MAX: large blocks keep kernel launches and host syncs
# (about 15 launches and 3 syncs per block) few on large databases.
_GPU_BYTES_PER_SCORE = 48
_GPU_FREE_SHARE = 0.5
_GPU_BLOCK_BYTES_MAX = 8 * 2**30


def device_block_bytes(xp):
    """Bytes one block's working set may take: ``BLOCK_BYTES`` on the CPU,
    half the free GPU memory (at most 8 GiB) on a GPU."""
    if xp is np:
        return BLOCK_BYTES
    free, _ = xp.cuda.runtime.memGetInfo()
    return int(max(BLOCK_BYTES, min(_GPU_BLOCK_BYTES_MAX, free * _GPU_FREE_SHARE)))


def default_batch_size(n_queries, n_database, xp=np):
    """Queries per block, so that one block's working set fits the budget of
    :func:`device_block_bytes`."""
    per_score = _BYTES_PER_SCORE if xp is np else _GPU_BYTES_PER_SCORE
    budget = device_block_bytes(xp)
    return max(1, min(n_queries, budget // (per_score * max(1, n_database))))


def _stable_argsort(X, xp):
    """Row-wise stable argsort (CuPy's argsort is always stable; older CuPy
    takes no ``kind``)."""
    if xp is np:
        return np.argsort(X, axis=1, kind="stable")
    return xp.argsort(X, axis=1)


def _unit_rows(X, xp):
    norms = xp.linalg.norm(X, axis=1, keepdims=True)
    # A zero row has no direction: it scores 0 against everything.
    norms[norms == 0] = 1.0
    return X / norms


def _prepare(X, metric, xp):
    """Rows as they enter the product: centred and/or scaled to unit norm."""
    if metric == "correlation":
        X = X - X.mean(axis=1, keepdims=True)
    if metric in ("cosine", "correlation"):
        X = _unit_rows(X, xp)
    return X


class _Database:
    """The database side of every block's product, prepared once."""

    def __init__(self, D, metric, xp):
        D = _prepare(xp.asarray(D), metric, xp)
        self.metric = metric
        if metric == "euclidean":
            self.operand = D.T
            self.sq_norms = xp.einsum("ij,ij->i", D, D)
        else:
            self.operand = (-D).T
            self.sq_norms = None

    def distances(self, Q_block, xp):
        """Negated similarity of a block of queries to every item, in float64."""
        Q_block = _prepare(xp.asarray(Q_block), self.metric, xp)
        out = Q_block @ self.operand
        if self.metric != "euclidean":
            return out
        # |q|^2 - 2 q.d + |d|^2, in place, in the order the scores always used.
        out *= 2.0
        xp.subtract(xp.einsum("ij,ij->i", Q_block, Q_block)[:, None], out, out=out)
        out += self.sq_norms[None, :]
        xp.maximum(out, 0.0, out=out)
        return xp.sqrt(out, out=out)

    def to_scores(self, distances, out):
        """Similarities from host ``distances``, into ``out``.

        Bit for bit the scores of the plain formulas: "euclidean" negates its
        distance (an exact match scores -0.0), the products are negated back,
        with a zero product scoring +0.0 as ``q @ d`` gives it.
        """
        if self.metric == "euclidean":
            return np.negative(distances, out=out)
        return np.subtract(0.0, distances, out=out)


def top_k(distances, k, xp):
    """Indices and distances of the ``k`` closest items of each row, closest first.

    Equal to the first ``k`` columns of a stable ``argsort`` of each row: ties
    keep database order, also at the ``k``-th place.

    Parameters
    ----------
    distances : ndarray of shape (n_rows, n_database)
    k : int or None
        All items, sorted, when None or at least ``n_database``.
    xp : module
        NumPy or CuPy.

    Returns
    -------
    ranking : ndarray of shape (n_rows, k), int64
    distances : ndarray of shape (n_rows, k)
    """
    n_database = distances.shape[1]
    if k is None or k >= n_database:
        ranking = _stable_argsort(distances, xp)
    else:
        # CuPy takes only a Python int as kth (a NumPy integer is iterated).
        k = int(k)
        # Partition to the best k, then sort only those: O(n + k log k) per row.
        top = xp.argpartition(distances, k - 1, axis=1)[:, :k]
        kth = xp.take_along_axis(distances, top[:, k - 1 :], axis=1)
        # When the k-th best ties with an item left out, the partition picked
        # among the tied items arbitrarily; a stable sort of those rows picks
        # the first ones in database order. Rows holding NaN (from
        # overflowing features) are sorted too: CuPy's selection compares
        # with < and > only, which ranks a NaN row arbitrarily, where a sort
        # puts NaN last as NumPy's does.
        unsure = xp.flatnonzero(
            (xp.count_nonzero(distances <= kth, axis=1) > k)
            | xp.isnan(distances).any(axis=1)
        )
        if unsure.size:
            top[unsure] = _stable_argsort(distances[unsure], xp)[:, :k]
        top = xp.sort(top, axis=1)  # database order among ties, as argsort gives
        order = _stable_argsort(xp.take_along_axis(distances, top, axis=1), xp)
        ranking = xp.take_along_axis(top, order, axis=1)
    ranking = ranking.astype(xp.int64, copy=False)
    return ranking, xp.take_along_axis(distances, ranking, axis=1)


def retrieve_blocks(Q, D, k, metric, batch_size, xp=None):
    """Top-``k`` ranking of ``D`` for every row of ``Q``, by blocks of queries.

    Parameters
    ----------
    Q : ndarray of shape (n_queries, n_features), float64
    D : ndarray of shape (n_database, n_features), float64
        Validated host arrays.
    k : int or None
    metric : {"cosine", "correlation", "euclidean", "dot"}
    batch_size : int or None
        Queries per block; from :func:`default_batch_size` when None.
    xp : module, default=None
        The array module to compute with; CuPy when None.

    Returns
    -------
    ranking : ndarray of shape (n_queries, k), int64 (on the host)
    scores : ndarray of shape (n_queries, k), float64 (on the host)
    """
    if xp is None:
        import cupy as xp
    n_queries, n_database = Q.shape[0], D.shape[0]
    n_kept = n_database if k is None else min(k, n_database)
    if batch_size is None:
        batch_size = default_batch_size(n_queries, n_database, xp)
    database = _Database(D, metric, xp)
    ranking = np.empty((n_queries, n_kept), dtype=np.int64)
    scores = np.empty((n_queries, n_kept), dtype=np.float64)
    for start in range(0, n_queries, batch_size):
        stop = start + batch_size
        block_ranking, block_distances = top_k(
            database.distances(Q[start:stop], xp), k, xp
        )
        ranking[start:stop] = to_numpy(block_ranking)
        database.to_scores(to_numpy(block_distances), out=scores[start:stop])
    return ranking, scores


def similarity_blocks(Q, D, metric, batch_size, xp=None):
    """Full ``(n_queries, n_database)`` similarity matrix, computed by blocks.

    Same parameters as :func:`retrieve_blocks`; returns a host float64 array.
    """
    if xp is None:
        import cupy as xp
    n_queries, n_database = Q.shape[0], D.shape[0]
    if batch_size is None:
        batch_size = default_batch_size(n_queries, n_database, xp)
    database = _Database(D, metric, xp)
    scores = np.empty((n_queries, n_database), dtype=np.float64)
    for start in range(0, n_queries, batch_size):
        stop = start + batch_size
        block = to_numpy(database.distances(Q[start:stop], xp))
        database.to_scores(block, out=scores[start:stop])
    return scores
