"""Numba kernel for grey-level co-occurrence properties equal to
``skimage.feature.graycoprops`` of ``skimage.feature.graycomatrix``.

scikit-image counts, for each (distance, angle), the pairs of a pixel
``(r, c)`` and its neighbour ``(r + round(sin(angle) * distance), c +
round(cos(angle) * distance))`` (``round`` half away from zero) inside the
image, into a ``levels x levels`` matrix (plus its transpose when
symmetric), normalises it to sum 1 and takes weighted sums over it.

The kernel never scans the matrix: every weighted sum is a mean over the
pixel pairs (contrast, dissimilarity, homogeneity, the means, variances and
covariance of correlation), and the two that need the counts themselves
(ASM and entropy) are summed over the distinct pairs while their counts are
cleared, so each (distance, angle) costs two passes over the pixels whatever
the number of levels.
"""

import math

import numpy as np
from numba import njit, prange

# Pixel pairs up to which the moments are computed exactly in integers.
_EXACT_PAIRS = 1 << 21

PROPS = (
    "contrast",
    "dissimilarity",
    "homogeneity",
    "ASM",
    "energy",
    "correlation",
    "mean",
    "variance",
    "std",
    "entropy",
)


def offsets(distances, angles):
    """``(n_distances * n_angles, 2)`` row and column offsets, distance
    major, rounded as scikit-image's ``round`` does."""
    out = []
    for distance in np.asarray(distances, dtype=np.float64):
        for angle in np.asarray(angles, dtype=np.float64):
            pair = []
            for value in (math.sin(angle) * distance, math.cos(angle) * distance):
                pair.append(int(value + 0.5) if value > 0.0 else int(value - 0.5))
            out.append(pair)
    return np.array(out, dtype=np.int64).reshape(-1, 2)


@njit(cache=True, nogil=True)
def _properties(image, d_row, d_col, symmetric, counts, props, out):
    """The properties ``props`` (indices into :data:`PROPS`) of one image's
    matrix at offset ``(d_row, d_col)`` into ``out``; ``counts`` is a zeroed
    ``(levels, levels)`` scratch matrix, left zeroed."""
    rows, cols = image.shape
    r_begin, r_end = max(0, -d_row), min(rows, rows - d_row)
    c_begin, c_end = max(0, -d_col), min(cols, cols - d_col)
    n = 0
    sum_i = 0
    sum_j = 0
    sum_ii = 0
    sum_jj = 0
    sum_ij = 0
    # Pairs per absolute difference: contrast, dissimilarity and
    # homogeneity are weighted sums over it.
    differences = np.zeros(256, dtype=np.int64)
    for r in range(r_begin, r_end):
        for c in range(c_begin, c_end):
            i = np.int64(image[r, c])
            j = np.int64(image[r + d_row, c + d_col])
            counts[i, j] += 1
            differences[abs(i - j)] += 1
            n += 1
            sum_i += i
            sum_j += j
            sum_ii += i * i
            sum_jj += j * j
            sum_ij += i * j
            if symmetric:
                counts[j, i] += 1
    if symmetric:
        # The transposed pairs: the same differences, the roles swapped.
        n *= 2
        sum_i = sum_j = sum_i + sum_j
        sum_ii = sum_jj = sum_ii + sum_jj
        sum_ij *= 2
        differences *= 2
    contrast = 0
    dissimilarity = 0
    homogeneity = 0.0
    for d in range(256):
        contrast += differences[d] * d * d
        dissimilarity += differences[d] * d
        homogeneity += differences[d] * (1.0 / (1.0 + d * d))
    mean_i = sum_i / n
    mean_j = sum_j / n
    squares = 0.0
    entropy = 0.0
    for r in range(r_begin, r_end):
        for c in range(c_begin, c_end):
            i = image[r, c]
            j = image[r + d_row, c + d_col]
            count = counts[i, j]
            if count > 0:
                squares += float(count) * count
                entropy += count * math.log(count)
                counts[i, j] = 0
            if symmetric:
                count = counts[j, i]
                if count > 0:
                    squares += float(count) * count
                    entropy += count * math.log(count)
                    counts[j, i] = 0
    if n <= _EXACT_PAIRS:
        # n * sum - sum * sum is exact in int64 (each term below 2**58):
        # the variances and covariance round once.
        var_i = float(n * sum_ii - sum_i * sum_i) / n
        var_j = float(n * sum_jj - sum_j * sum_j) / n
        cov = float(n * sum_ij - sum_i * sum_j) / n
    else:
        var_i = sum_ii - mean_i * sum_i
        var_j = sum_jj - mean_j * sum_j
        cov = sum_ij - mean_i * sum_j
    std_i = math.sqrt(var_i / n)
    std_j = math.sqrt(var_j / n)
    for k in range(props.shape[0]):
        prop = props[k]
        if prop == 0:
            value = contrast / n
        elif prop == 1:
            value = dissimilarity / n
        elif prop == 2:
            value = homogeneity / n
        elif prop == 3:
            value = squares / (n * n)
        elif prop == 4:
            value = math.sqrt(squares / (n * n))
        elif prop == 5:
            if std_i < 1e-15 or std_j < 1e-15:
                value = 1.0
            else:
                value = (cov / n) / (std_i * std_j)
        elif prop == 6:
            value = mean_i
        elif prop == 7:
            value = var_i / n
        elif prop == 8:
            value = std_i
        else:
            value = math.log(n) - entropy / n
        out[k] = value


@njit(cache=True, nogil=True)
def glcm_properties(batch, pairs, symmetric, levels, props, out):
    """Properties of each image of ``batch`` ``(n, h, w)`` (uint8 values
    below ``levels``) into ``out`` ``(n, n_props, n_pairs)``."""
    counts = np.zeros((levels, levels), dtype=np.int64)
    values = np.empty(props.shape[0])
    for n in range(batch.shape[0]):
        for p in range(pairs.shape[0]):
            _properties(
                batch[n], pairs[p, 0], pairs[p, 1], symmetric, counts, props, values
            )
            out[n, :, p] = values


@njit(cache=True, nogil=True, parallel=True)
def glcm_properties_parallel(batch, pairs, symmetric, levels, props, out, n_chunks):
    """:func:`glcm_properties` on ``n_chunks`` chunks of images in
    parallel, each with its own count matrix."""
    n_images = batch.shape[0]
    for chunk in prange(n_chunks):
        begin = chunk * n_images // n_chunks
        end = (chunk + 1) * n_images // n_chunks
        glcm_properties(
            batch[begin:end], pairs, symmetric, levels, props, out[begin:end]
        )
