"""Numba kernel of DAISY: one image's descriptors in one call.

scikit-image's ``daisy`` smooths every orientation map of the whole image at
every ring's scale, then samples the smoothed maps on the descriptor grid.
This kernel does the same arithmetic but only where it is read: the
vertical pass of each separable Gaussian runs on the rows some histogram
of that scale samples, the horizontal pass on those rows' sampled columns,
and the centre and the first ring (one scale in scikit-image) share one
smoothing. ``arctan2`` and ``cos`` are replaced by the identity
``cos(theta - o) = (dx cos o + dy sin o) / |g|``.
"""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _reflect(index, length):
    """SciPy's ``mode="reflect"`` (half-sample symmetric) index."""
    period = 2 * length
    index = index % period
    if index < 0:
        index += period
    if index >= length:
        index = period - 1 - index
    return index


@njit(cache=True, nogil=True)
def orientation_maps(image, cos_o, sin_o, kappa, maps):
    """``maps[o] = exp(kappa cos(theta - o)) |g|`` of forward differences
    (zero on the last row / column), as scikit-image's ``daisy``."""
    height, width = image.shape
    n_orientations = cos_o.shape[0]
    for y in range(height):
        for x in range(width):
            dx = image[y, x + 1] - image[y, x] if x + 1 < width else 0.0
            dy = image[y + 1, x] - image[y, x] if y + 1 < height else 0.0
            magnitude = np.sqrt(dx * dx + dy * dy)
            if magnitude == 0.0:
                for o in range(n_orientations):
                    maps[o, y, x] = 0.0
                continue
            cx = dx / magnitude
            sy = dy / magnitude
            for o in range(n_orientations):
                maps[o, y, x] = (
                    np.exp(kappa * (cx * cos_o[o] + sy * sin_o[o])) * magnitude
                )


@njit(cache=True, nogil=True, fastmath=True)
def smooth_at(maps, weights, rows, cols, padded, line, out):
    """Gaussian-smoothed ``maps`` (SciPy's ``gaussian_filter``, reflect
    mode) at every ``(rows[i], cols[j])``, into ``out[o, i, j]``.

    As SciPy does: the vertical pass first, then the horizontal one, each
    summing the centre tap and then symmetric pairs of taps. ``cols`` is
    sorted; ``padded`` (``width + len(weights) - 1``) and ``line``
    (``width``) are scratch. The inner loops run over contiguous 1-D views,
    which LLVM vectorises (the maps are finite: ``fastmath`` only lets it
    fuse multiply-adds).
    """
    n_orientations, height, width = maps.shape
    half = (weights.shape[0] - 1) // 2
    centre = weights[half]
    first, last = cols[0], cols[cols.shape[0] - 1] + 1
    n = last - first
    vertical = padded[half : half + width]
    horizontal = line[first:last]
    sampled = padded[half + first : half + last]
    for o in range(n_orientations):
        plane = maps[o]
        for i in range(rows.shape[0]):
            row = rows[i]
            source = plane[row]
            for x in range(width):
                vertical[x] = centre * source[x]
            for j in range(1, half + 1):
                above = plane[_reflect(row - j, height)]
                below = plane[_reflect(row + j, height)]
                w = weights[half + j]
                for x in range(width):
                    vertical[x] += w * (above[x] + below[x])
            for j in range(half):
                padded[half - 1 - j] = padded[half + _reflect(-1 - j, width)]
                padded[half + width + j] = padded[half + _reflect(width + j, width)]
            for x in range(n):
                horizontal[x] = centre * sampled[x]
            for j in range(1, half + 1):
                w = weights[half + j]
                left = padded[half + first - j : half + last - j]
                right = padded[half + first + j : half + last + j]
                for x in range(n):
                    horizontal[x] += w * (left[x] + right[x])
            for j in range(cols.shape[0]):
                out[o, i, j] = line[cols[j]]


@njit(cache=True, nogil=True)
def assemble(smoothed, level, row_index, col_index, out):
    """Descriptor rows from the smoothed maps.

    ``smoothed[s]`` holds scale ``s`` at its sampled rows and columns;
    histogram ``h`` of descriptor ``(p, q)`` reads scale ``level[h]`` at
    ``row_index[h, p]``, ``col_index[h, q]``; orientation fastest.
    """
    n_histograms, n_rows = row_index.shape
    n_cols = col_index.shape[1]
    n_orientations = out.shape[1] // n_histograms
    for p in range(n_rows):
        for q in range(n_cols):
            d = p * n_cols + q
            for h in range(n_histograms):
                block = smoothed[level[h]]
                r = row_index[h, p]
                c = col_index[h, q]
                for o in range(n_orientations):
                    out[d, h * n_orientations + o] = block[o, r, c]


@njit(cache=True, nogil=True)
def normalise(descriptors, mode, n_orientations):
    """scikit-image's normalisations, in place: add 1e-10, then ``mode`` 1
    (L1), 2 (L2) or 3 (L2 per histogram, "daisy"); 0 leaves them."""
    if mode == 0:
        return
    n, dims = descriptors.shape
    for d in range(n):
        for k in range(dims):
            descriptors[d, k] += 1e-10
        if mode == 3:
            for start in range(0, dims, n_orientations):
                total = 0.0
                for k in range(start, start + n_orientations):
                    total += descriptors[d, k] * descriptors[d, k]
                norm = np.sqrt(total)
                for k in range(start, start + n_orientations):
                    descriptors[d, k] /= norm
            continue
        total = 0.0
        for k in range(dims):
            value = descriptors[d, k]
            total += value if mode == 1 else value * value
        if mode == 2:
            total = np.sqrt(total)
        for k in range(dims):
            descriptors[d, k] /= total
