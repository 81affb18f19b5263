"""Numba kernels for codebook encoders: nearest codeword and per-set sums.

Squared distances are computed in the expanded form
``||c||^2 - 2 x.c`` (``||x||^2`` is the same for every centre, so it is left
out of the comparison); ties go to the lowest centre index, as in
``sklearn.metrics.pairwise_distances_argmin``. Arithmetic runs in the dtype of
the descriptors (float32 or float64).
"""

import numpy as np
from numba import njit, prange

# Below this width the cross products are cheapest as a register-friendly loop
# over centres; above it a BLAS product per block of rows wins (measured in
# benchmarks/bench_encode.py).
_GEMM_MIN_FEATURES = 64
_GEMM_BLOCK_ROWS = 256
_ROWS = 4
_CHUNK_ROWS = 512


@njit(cache=True, nogil=True)
def _argmin_row(acc, r, centre_sq_norms):
    best = 0
    best_value = centre_sq_norms[0] - 2 * acc[r, 0]
    for c in range(1, acc.shape[1]):
        value = centre_sq_norms[c] - 2 * acc[r, c]
        if value < best_value:
            best_value = value
            best = c
    return best


@njit(cache=True, nogil=True, parallel=True)
def assign_direct(X, centres_t, centre_sq_norms, labels):
    """Nearest centre of each row of ``X``; ``centres_t`` is ``(d, k)``.

    Four rows share every load of a centre coordinate, and the loop over
    centres is innermost so that it vectorises. Threads take chunks of rows
    and reuse one accumulator each (an allocation per four rows cost more
    than the arithmetic).
    """
    n, d = X.shape
    k = centres_t.shape[1]
    n_chunks = (n + _CHUNK_ROWS - 1) // _CHUNK_ROWS
    for chunk in prange(n_chunks):
        acc = np.empty((_ROWS, k), dtype=X.dtype)
        chunk_stop = min(n, (chunk + 1) * _CHUNK_ROWS)
        for start in range(chunk * _CHUNK_ROWS, chunk_stop, _ROWS):
            stop = min(chunk_stop, start + _ROWS)
            acc[:] = 0
            if stop - start == _ROWS:
                for j in range(d):
                    x0 = X[start, j]
                    x1 = X[start + 1, j]
                    x2 = X[start + 2, j]
                    x3 = X[start + 3, j]
                    for c in range(k):
                        w = centres_t[j, c]
                        acc[0, c] += x0 * w
                        acc[1, c] += x1 * w
                        acc[2, c] += x2 * w
                        acc[3, c] += x3 * w
            else:
                for r in range(stop - start):
                    for j in range(d):
                        xj = X[start + r, j]
                        for c in range(k):
                            acc[r, c] += xj * centres_t[j, c]
            for r in range(stop - start):
                labels[start + r] = _argmin_row(acc, r, centre_sq_norms)


@njit(cache=True, nogil=True, parallel=True)
def assign_gemm(X, centres_t, centre_sq_norms, labels):
    """Nearest centre of each row of ``X``, one BLAS product per row block.

    Call it with BLAS limited to one thread: the blocks already run in
    parallel.
    """
    n = X.shape[0]
    n_blocks = (n + _GEMM_BLOCK_ROWS - 1) // _GEMM_BLOCK_ROWS
    for b in prange(n_blocks):
        start = b * _GEMM_BLOCK_ROWS
        stop = min(n, start + _GEMM_BLOCK_ROWS)
        acc = np.dot(X[start:stop], centres_t)
        for r in range(stop - start):
            labels[start + r] = _argmin_row(acc, r, centre_sq_norms)


@njit(cache=True, nogil=True)
def residual_sums(X, offsets, labels, centres, out):
    """Add ``x - centre[label]`` of set ``i``'s rows to ``out[i, label]``.

    ``out`` is float64 ``(n_sets, k, d)`` and starts at zero.
    """
    d = X.shape[1]
    for i in range(offsets.shape[0] - 1):
        for t in range(offsets[i], offsets[i + 1]):
            c = labels[t]
            for j in range(d):
                out[i, c, j] += X[t, j] - centres[c, j]
