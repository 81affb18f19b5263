"""Numba kernels that pool word vectors into document vectors.

A batch of documents is given as a flat array of token ids and an array of
offsets (document ``d`` owns ``ids[offsets[d]:offsets[d + 1]]``). An id below
``len(table)`` indexes the vocabulary's vectors; an id at or above it indexes
``extra``, the vectors computed for this batch only (FastText's out-of-vocabulary
words). Sums run in float64 so that long documents lose no precision.
"""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def weighted_mean_pool(ids, offsets, weights, table, extra, out):
    """Write the (weighted) mean of each document's vectors into ``out``.

    ``weights`` is None for the plain mean. A document without tokens, or
    whose weights sum to zero, keeps the zeros ``out`` holds.
    """
    n_vocab = table.shape[0]
    dim = table.shape[1]
    acc = np.empty(dim, dtype=np.float64)
    for d in range(offsets.shape[0] - 1):
        start = offsets[d]
        stop = offsets[d + 1]
        if stop == start:
            continue
        acc[:] = 0.0
        total = 0.0
        for t in range(start, stop):
            token = ids[t]
            w = 1.0 if weights is None else weights[t]
            if token < n_vocab:
                for j in range(dim):
                    acc[j] += w * table[token, j]
            else:
                for j in range(dim):
                    acc[j] += w * extra[token - n_vocab, j]
            total += w
        if total > 0.0:
            for j in range(dim):
                out[d, j] = acc[j] / total


@njit(cache=True, nogil=True)
def max_pool(ids, offsets, table, extra, out):
    """Write the element-wise maximum of each document's vectors into ``out``."""
    n_vocab = table.shape[0]
    dim = table.shape[1]
    for d in range(offsets.shape[0] - 1):
        start = offsets[d]
        stop = offsets[d + 1]
        if stop == start:
            continue
        for j in range(dim):
            out[d, j] = -np.inf
        for t in range(start, stop):
            token = ids[t]
            if token < n_vocab:
                for j in range(dim):
                    value = table[token, j]
                    if value > out[d, j]:
                        out[d, j] = value
            else:
                for j in range(dim):
                    value = extra[token - n_vocab, j]
                    if value > out[d, j]:
                        out[d, j] = value
