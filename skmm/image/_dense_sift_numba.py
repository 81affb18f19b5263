"""Numba kernels for dense, upright SIFT descriptors.

With the angle fixed at 0 and every keypoint of one size, the weight a pixel
gives to a descriptor bin is separable: OpenCV's Gaussian window
``exp(-(r^2 + c^2) / 8)`` and its bilinear spatial interpolation factor into
a function of the row offset times a function of the column offset. Only the
orientation interpolation depends on the pixel itself. So a descriptor is a
small sandwich ``rows^T @ E_o @ columns`` of each orientation map ``E_o``
(gradient magnitude spread over 8 orientation bins):

1. ``gradient_bins``: per pixel, the lower orientation bin and the magnitude
   going to it and to the next bin (zero on the outer one-pixel frame, which
   OpenCV skips);
2. ``column_pass``: for every image row and every grid column, the sums over
   column offsets into the 4 (plus 2 padding) column bins;
3. ``row_pass``: for every keypoint, the sums of those over row offsets into
   the 4 (plus 2 padding) row bins, then OpenCV's normalisation.

Each pixel is visited once per grid column and each column sum once per grid
row, instead of once per keypoint whose window holds it.

Offset tables (``lower``, ``weight_lower``, ``weight_upper``, indexed by
``offset + radius``) come from ``_dense_sift._offset_table``.
"""

import numpy as np
from numba import njit

_N_ORIENTATIONS = 8
_WIDTH = 4
# Padded bins: -1 and _WIDTH catch the interpolation spill-over, as OpenCV's
# (d + 2) x (d + 2) histogram does, and are dropped at the end.
_PADDED = _WIDTH + 2


@njit(cache=True, nogil=True)
def gradient_bins(image, lower_bin, magnitude_lower, magnitude_upper):
    """Orientation bin and interpolated magnitudes of every pixel.

    ``dx = I[r, c+1] - I[r, c-1]`` and ``dy = I[r-1, c] - I[r+1, c]`` (y
    pointing up), orientation ``atan2(dy, dx)`` in ``[0, 360)`` degrees, in
    8 bins of 45 degrees; a pixel gives ``magnitude * (1 - f)`` to its lower
    bin and ``magnitude * f`` to the next (circularly). The one-pixel frame
    of the image gets zero magnitude.
    """
    rows, cols = image.shape
    bins_per_degree = np.float32(_N_ORIENTATIONS / 360.0)
    to_degrees = np.float32(180.0 / np.pi)
    for r in range(rows):
        for c in range(cols):
            lower_bin[r, c] = 0
            magnitude_lower[r, c] = 0.0
            magnitude_upper[r, c] = 0.0
    for r in range(1, rows - 1):
        for c in range(1, cols - 1):
            dx = image[r, c + 1] - image[r, c - 1]
            dy = image[r - 1, c] - image[r + 1, c]
            magnitude = np.sqrt(dx * dx + dy * dy)
            angle = np.arctan2(dy, dx) * to_degrees
            if angle < 0:
                angle += np.float32(360.0)
            position = angle * bins_per_degree
            o = int(np.floor(position))
            fraction = position - o
            if o >= _N_ORIENTATIONS:
                o -= _N_ORIENTATIONS
            lower_bin[r, c] = o
            magnitude_upper[r, c] = magnitude * fraction
            magnitude_lower[r, c] = magnitude - magnitude_upper[r, c]


@njit(cache=True, nogil=True)
def column_pass(
    lower_bin,
    magnitude_lower,
    magnitude_upper,
    xs,
    lower,
    weight_lower,
    weight_upper,
    out,
):
    """``out[r, k, b, o]``: row ``r``'s magnitudes in orientation ``o`` summed
    over the columns around ``xs[k]`` with their weight for padded column
    bin ``b`` (0 to 5)."""
    rows, cols = lower_bin.shape
    radius = (lower.shape[0] - 1) // 2
    out[:] = 0.0
    for k in range(xs.shape[0]):
        x = xs[k]
        first = max(-radius, 1 - x)
        last = min(radius, cols - 2 - x)
        for r in range(1, rows - 1):
            acc = out[r, k]
            for t in range(first, last + 1):
                a = weight_lower[t + radius]
                if a == 0.0 and weight_upper[t + radius] == 0.0:
                    continue
                b = weight_upper[t + radius]
                c = x + t
                o = lower_bin[r, c]
                o_next = (o + 1) & (_N_ORIENTATIONS - 1)
                m0 = magnitude_lower[r, c]
                m1 = magnitude_upper[r, c]
                bin_ = lower[t + radius] + 1
                acc[bin_, o] += a * m0
                acc[bin_, o_next] += a * m1
                acc[bin_ + 1, o] += b * m0
                acc[bin_ + 1, o_next] += b * m1


@njit(cache=True, nogil=True)
def row_pass(columns, ys, lower, weight_lower, weight_upper, out):
    """Descriptors of the grid ``ys x xs`` (row-major) from ``column_pass``'s
    output, normalised as OpenCV does, into ``out`` (``(len(ys) *
    len(xs), 128)``)."""
    rows = columns.shape[0]
    n_x = columns.shape[1]
    width = _PADDED * _N_ORIENTATIONS
    radius = (lower.shape[0] - 1) // 2
    flat = columns.reshape(rows, n_x, width)
    hist = np.empty((_PADDED, width), dtype=np.float32)
    for j in range(ys.shape[0]):
        y = ys[j]
        first = max(-radius, 1 - y)
        last = min(radius, rows - 2 - y)
        for k in range(n_x):
            hist[:] = 0.0
            for t in range(first, last + 1):
                a = weight_lower[t + radius]
                b = weight_upper[t + radius]
                if a == 0.0 and b == 0.0:
                    continue
                bin_ = lower[t + radius] + 1
                source = flat[y + t, k]
                for q in range(width):
                    hist[bin_, q] += a * source[q]
                    hist[bin_ + 1, q] += b * source[q]
            descriptor = out[j * n_x + k]
            for i in range(_WIDTH):
                for q in range(_WIDTH * _N_ORIENTATIONS):
                    descriptor[i * _WIDTH * _N_ORIENTATIONS + q] = hist[
                        i + 1, _N_ORIENTATIONS + q
                    ]
            normalise(descriptor)


@njit(cache=True, nogil=True)
def normalise(descriptor):
    """OpenCV's finish: clip at 0.2 of the L2 norm, rescale to norm 512,
    round half to even and saturate to 0..255 (its uchar cast)."""
    squares = np.float32(0.0)
    for i in range(descriptor.shape[0]):
        squares += descriptor[i] * descriptor[i]
    threshold = np.sqrt(squares) * np.float32(0.2)
    squares = np.float32(0.0)
    for i in range(descriptor.shape[0]):
        value = min(descriptor[i], threshold)
        descriptor[i] = value
        squares += value * value
    scale = np.float32(512.0) / max(np.sqrt(squares), np.float32(1.1920929e-07))
    for i in range(descriptor.shape[0]):
        descriptor[i] = min(max(np.rint(descriptor[i] * scale), 0.0), 255.0)
