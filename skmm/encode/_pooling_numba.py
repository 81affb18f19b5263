"""Numba kernels for per-set statistics of stacked descriptor sets.

Set ``i`` is ``flat[offsets[i]:offsets[i + 1]]``. Sums run in float64. Mean and
variance take one pass over the data with sums shifted by the set's first row,
which keeps the variance accurate when the mean is large against the spread
(MFCC's 0th coefficient); third and fourth standardised moments take a second
pass.
"""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def set_moments(flat, offsets, higher, extrema, mean, var, m3, m4, low, high):
    """Write mean, biased variance and, on request, the third and fourth
    standardised moments (``mean(z**3)``, ``mean(z**4)`` of ``z = (x -
    mean) / std``, 0 for a column without spread) and the extrema of each
    set's columns.

    Outputs are float64 ``(n_sets, d)`` arrays; those not requested may be
    ``(0, d)``. Empty sets are left untouched.
    """
    d = flat.shape[1]
    total = np.empty(d, dtype=np.float64)
    total_sq = np.empty(d, dtype=np.float64)
    shift = np.empty(d, dtype=np.float64)
    for i in range(offsets.shape[0] - 1):
        start = offsets[i]
        stop = offsets[i + 1]
        n = stop - start
        if n == 0:
            continue
        for j in range(d):
            shift[j] = flat[start, j]
            total[j] = 0.0
            total_sq[j] = 0.0
        if extrema:
            for j in range(d):
                low[i, j] = flat[start, j]
                high[i, j] = flat[start, j]
        for t in range(start, stop):
            for j in range(d):
                value = flat[t, j]
                delta = value - shift[j]
                total[j] += delta
                total_sq[j] += delta * delta
                if extrema:
                    if value < low[i, j]:
                        low[i, j] = value
                    if value > high[i, j]:
                        high[i, j] = value
        for j in range(d):
            mean[i, j] = shift[j] + total[j] / n
            var[i, j] = max((total_sq[j] - total[j] * total[j] / n) / n, 0.0)
        if higher:
            for j in range(d):
                total[j] = 0.0
                total_sq[j] = 0.0
                # Standardised first: cubes and fourth powers of the raw
                # deviations overflow long before their squares do.
                shift[j] = 1.0 / np.sqrt(var[i, j]) if var[i, j] > 0 else 0.0
            for t in range(start, stop):
                for j in range(d):
                    z = (flat[t, j] - mean[i, j]) * shift[j]
                    cube = z * z * z
                    total[j] += cube
                    total_sq[j] += cube * z
            for j in range(d):
                m3[i, j] = total[j] / n
                m4[i, j] = total_sq[j] / n


@njit(cache=True, nogil=True)
def set_medians(flat, offsets, out):
    """Write the median of each set's columns into ``out`` (float64)."""
    d = flat.shape[1]
    for i in range(offsets.shape[0] - 1):
        start = offsets[i]
        stop = offsets[i + 1]
        if stop == start:
            continue
        column = np.empty(stop - start, dtype=np.float64)
        for j in range(d):
            for t in range(start, stop):
                column[t - start] = flat[t, j]
            out[i, j] = np.median(column)
