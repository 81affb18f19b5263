"""Numba kernels for local binary patterns equal to
``skimage.feature.local_binary_pattern``, histogrammed per grid cell.

What has to match scikit-image bit for bit, read from its Cython kernel
``_texture._local_binary_pattern``:

- the ``P`` sample points lie at ``(r + rp[i], c + cp[i])`` with ``rp =
  round(-R sin(2 pi i / P), 5)`` and ``cp = round(R cos(2 pi i / P), 5)``,
  ``R`` first rounded to float32 (the Cython signature's ``float R``);
- each is interpolated bilinearly in float64 exactly as scikit-image's
  ``bilinear_interpolation`` does (the fraction is ``(r + rp) - floor(r +
  rp)`` per pixel, pixels outside the image are 0), and its bit is
  ``texture - centre >= 0``;
- ``uniform`` and ``nri_uniform`` count 0/1 changes over the ``P - 1``
  adjacent pairs only (not the pair that closes the circle);
- ``var`` is ``(sum t^2 - (sum t)^2 / P) / P`` summed in order, NaN where it
  is 0.

The kernels interpolate one sample point for a whole image row at a time
(from a zero-padded copy, so no bounds checks), with the row and column
fractions read from tables computed as scikit-image computes them per pixel;
sample points at whole offsets (weights 1 and 0, which scikit-image's formula
returns exactly) are read directly. The histogram kernel counts each row's
codes into their cells without storing a code image; chunks of images run
in parallel (``prange``) on more than one thread.
"""

import functools

import numpy as np
from numba import njit, prange

METHODS = {"default": 0, "ror": 1, "uniform": 2, "nri_uniform": 3, "var": 4}


def sample_offsets(P, R):
    """``(rp, cp)``: scikit-image's sample point offsets for ``P`` and ``R``."""
    R = float(np.float32(R))
    angles = 2 * np.pi * np.arange(P, dtype=np.float64) / P
    return np.round(-R * np.sin(angles), 5), np.round(R * np.cos(angles), 5)


def _axis_table(offsets, size):
    """Per sample point and position along an axis of ``size`` pixels:
    ``(low, high, fraction)``, scikit-image's ``floor(x + offset)``,
    ``ceil(x + offset)`` and ``(x + offset) - floor(x + offset)`` in float64
    (the fraction varies in the last bits with ``x``)."""
    position = np.arange(size, dtype=np.float64)[None, :] + offsets[:, None]
    low = np.floor(position)
    return low.astype(np.int64), np.ceil(position).astype(np.int64), position - low


@functools.lru_cache(maxsize=32)
def _table(P, method):
    if method in (1, 2, 3) and P <= 16:
        table = code_table(P, method)
        table.flags.writeable = False
        return table
    return np.empty(0)


def geometry(rp, cp, height, width, method):
    """Everything the kernels need about the sample points for images of one
    size: the zero padding ``margin``, the row and column tables of
    :func:`_axis_table` shifted into the padded image, and which points lie
    at whole offsets, and the table of :func:`code_table` ("ror", "uniform"
    and "nri_uniform" with ``P <= 16``, else empty)."""
    margin = int(np.ceil(np.abs(np.concatenate([rp, cp])).max(initial=0))) + 1
    r0, r1, dr = _axis_table(rp, height)
    c0, c1, dc = _axis_table(cp, width)
    integral = (rp == np.round(rp)) & (cp == np.round(cp))
    # floor(c + cp) is c + floor(cp) for every column (cp is rounded to five
    # decimals, far from an integer or one), which the kernel relies on.
    columns = np.arange(width)
    assert (c0 - columns == c0[:, :1]).all() and (c1 - columns == c1[:, :1]).all()
    table = _table(rp.shape[0], method)
    return (
        margin,
        r0 + margin,
        r1 + margin,
        dr,
        c0 + margin,
        c1 + margin,
        dc,
        integral,
        table,
    )


@njit(cache=True, nogil=True)
def _pad(image, margin):
    """``image`` in float64 inside a zero border: scikit-image's constant
    mode (pixels outside the image are 0), with no bounds checks after."""
    height, width = image.shape
    padded = np.zeros((height + 2 * margin, width + 2 * margin))
    for r in range(image.shape[0]):
        for c in range(image.shape[1]):
            padded[r + margin, c + margin] = image[r, c]
    return padded


@njit(cache=True, nogil=True)
def _row_values(padded, r, method, geometry, state, values):
    """Codes (or variances for ``var``) of the pixels of row ``r`` into
    ``values``; every sample point is interpolated for the whole row at
    once. ``state`` is ``(2, width)`` scratch; ``table`` maps default codes
    to the method's (empty: :func:`code_value` per pixel)."""
    margin, r0, r1, dr, c0, c1, dc, integral, table = geometry
    P = r0.shape[0]
    width = values.shape[0]
    centre = padded[r + margin, margin : margin + width]
    code = state[0]
    ones = state[1]
    code[:] = 0.0
    ones[:] = 0.0
    for i in range(P):
        # Columns c0[i, c] and c1[i, c] are c plus a constant (checked by
        # geometry()): contiguous slices of the padded rows. Each point's
        # value goes straight into the code (or the variance's sums).
        a0 = padded[r0[i, r], c0[i, 0] : c0[i, 0] + width]
        weight = float(1 << i)
        if integral[i]:
            # Whole offsets: scikit-image's weights are 1 and 0, exact.
            if method == 4:
                for c in range(width):
                    code[c] += a0[c]
                    ones[c] += a0[c] * a0[c]
            else:
                for c in range(width):
                    code[c] += weight * (a0[c] - centre[c] >= 0)
            continue
        a1 = padded[r0[i, r], c1[i, 0] : c1[i, 0] + width]
        b0 = padded[r1[i, r], c0[i, 0] : c0[i, 0] + width]
        b1 = padded[r1[i, r], c1[i, 0] : c1[i, 0] + width]
        weight_r = dr[i, r]
        fraction = dc[i]
        for c in range(width):
            weight_c = fraction[c]
            top = (1 - weight_c) * a0[c] + weight_c * a1[c]
            bottom = (1 - weight_c) * b0[c] + weight_c * b1[c]
            t = (1 - weight_r) * top + weight_r * bottom
            if method == 4:
                code[c] += t
                ones[c] += t * t
            else:
                code[c] += weight * (t - centre[c] >= 0)
    if method == 4:
        for c in range(width):
            var = (ones[c] - (code[c] * code[c]) / P) / P
            values[c] = var if var != 0 else np.nan
    elif table.shape[0]:
        for c in range(width):
            values[c] = table[int(code[c])]
    else:
        for c in range(width):
            values[c] = code_value(int(code[c]), P, method)


@njit(cache=True, nogil=True)
def code_value(code, P, method):
    """What ``method`` makes of the ``default`` code (bit ``i`` set when
    sample point ``i`` is at least the centre), as scikit-image computes it."""
    if method == 0:
        return float(code)
    if method == 1:
        smallest = code
        for _ in range(1, P):
            code = (code >> 1) | ((code & 1) << (P - 1))
            smallest = min(smallest, code)
        return float(smallest)
    ones = 0
    changes = 0
    first_one = -1
    first_zero = -1
    for i in range(P):
        bit = (code >> i) & 1
        ones += bit
        if i > 0 and bit != (code >> (i - 1)) & 1:
            changes += 1
        if bit and first_one == -1:
            first_one = i
        elif not bit and first_zero == -1:
            first_zero = i
    if method == 2:
        return float(ones) if changes <= 2 else P + 1.0
    if changes > 2:
        return P * (P - 1) + 2.0
    if ones == 0:
        return 0.0
    if ones == P:
        return P * (P - 1) + 1.0
    rot_index = ones - first_zero if first_one == 0 else P - first_one
    return 1.0 + (ones - 1) * P + rot_index


@njit(cache=True, nogil=True)
def code_table(P, method):
    """:func:`code_value` of every code of ``P`` bits."""
    table = np.empty(1 << P)
    for code in range(1 << P):
        table[code] = code_value(code, P, method)
    return table


@njit(cache=True, nogil=True)
def lbp_codes(image, method, geometry):
    """The code image of one 2-D image, float64 as scikit-image returns it."""
    height, width = image.shape
    padded = _pad(image, geometry[0])
    out = np.empty((height, width))
    state = np.empty((2, width))
    for r in range(height):
        _row_values(padded, r, method, geometry, state, out[r])
    return out


@njit(cache=True, nogil=True)
def _histograms(image, method, geometry, rows, cell_of_col, var_edges, normalize, out):
    """Count the codes of one image per grid cell into ``out`` ``(n_cells *
    n_bins,)``; ``var_edges`` are squared standard deviation edges for
    ``var`` (a NaN, zero variance, counts in the first bin)."""
    height, width = image.shape
    padded = _pad(image, geometry[0])
    state = np.empty((2, width))
    values = np.empty(width)
    n_cols = cell_of_col[width - 1] + 1
    n_cells = (rows.shape[0] - 1) * n_cols
    n_bins = out.shape[0] // n_cells
    # Integer counts: runs of pixels with one code (flat regions) add faster
    # than in floating point.
    counts = np.zeros(out.shape[0], dtype=np.int64)
    for cell_r in range(rows.shape[0] - 1):
        for r in range(rows[cell_r], rows[cell_r + 1]):
            _row_values(padded, r, method, geometry, state, values)
            for c in range(width):
                value = values[c]
                if method == 4:
                    k = 0
                    # NaN (no variance) fails every comparison: bin 0.
                    while k < n_bins - 1 and value >= var_edges[k + 1]:
                        k += 1
                else:
                    k = int(value)
                counts[(cell_r * n_cols + cell_of_col[c]) * n_bins + k] += 1
    for k in range(out.shape[0]):
        out[k] = counts[k]
    if normalize:
        for cell in range(n_cells):
            total = 0.0
            for k in range(n_bins):
                total += out[cell * n_bins + k]
            for k in range(n_bins):
                out[cell * n_bins + k] /= total


@njit(cache=True, nogil=True)
def lbp_histograms(
    batch, method, geometry, rows, cell_of_col, var_edges, normalize, out
):
    """:func:`_histograms` of each image of ``batch`` ``(n, h, w)`` into the
    rows of ``out``."""
    for n in range(batch.shape[0]):
        _histograms(
            batch[n], method, geometry, rows, cell_of_col, var_edges, normalize, out[n]
        )


@njit(cache=True, nogil=True, parallel=True)
def lbp_histograms_parallel(
    batch, method, geometry, rows, cell_of_col, var_edges, normalize, out, n_chunks
):
    """:func:`lbp_histograms` on ``n_chunks`` chunks of images in parallel."""
    n_images = batch.shape[0]
    for chunk in prange(n_chunks):
        begin = chunk * n_images // n_chunks
        end = (chunk + 1) * n_images // n_chunks
        lbp_histograms(
            batch[begin:end],
            method,
            geometry,
            rows,
            cell_of_col,
            var_edges,
            normalize,
            out[begin:end],
        )
