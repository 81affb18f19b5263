"""Numba kernel for colour histograms equal to ``cv2.calcHist``.

OpenCV bins 8-bit values through a lookup table (``calcHistLookupTables_8u``
in ``modules/imgproc/src/histogram.cpp``): value ``j`` of a channel with
``bins`` bins over ``[low, high)`` goes to bin ``floor(j * a + b)`` with ``a =
bins / (high - low)`` and ``b = -low * a`` in float64, clamped to ``[0, bins -
1]``, and is not counted unless ``low <= j < high``. :func:`lookup_table`
builds the same table; the kernel counts every unmasked pixel of each grid
cell through it, images in parallel.
"""

import numpy as np
from numba import njit, prange


def lookup_table(bins, low, high):
    """Bin of each 8-bit value, -1 for values OpenCV does not count."""
    values = np.arange(256, dtype=np.float64)
    a = bins / (high - low)
    b = -low * a
    table = np.clip(np.floor(values * a + b), 0, bins - 1).astype(np.int64)
    table[(values < low) | (values >= high)] = -1
    return table


@njit(cache=True, nogil=True)
def _histograms(
    image, alpha, threshold, tables, offsets, joint, rows, cell_of_col, normalize, out
):
    """Histograms of one ``(h, w, 3)`` image per grid cell into ``out``."""
    n_cols = cell_of_col[cell_of_col.shape[0] - 1] + 1
    n_cells = (rows.shape[0] - 1) * n_cols
    n_bins = out.shape[0] // n_cells
    out[:] = 0.0
    for cell_r in range(rows.shape[0] - 1):
        for r in range(rows[cell_r], rows[cell_r + 1]):
            row_base = cell_r * n_cols
            for c in range(image.shape[1]):
                if alpha[r, c] < threshold:
                    continue
                base = (row_base + cell_of_col[c]) * n_bins
                k0 = tables[0, image[r, c, 0]]
                k1 = tables[1, image[r, c, 1]]
                k2 = tables[2, image[r, c, 2]]
                if joint:
                    if k0 >= 0 and k1 >= 0 and k2 >= 0:
                        out[base + k0 * offsets[0] + k1 * offsets[1] + k2] += 1.0
                else:
                    if k0 >= 0:
                        out[base + k0] += 1.0
                    if k1 >= 0:
                        out[base + offsets[1] + k1] += 1.0
                    if k2 >= 0:
                        out[base + offsets[2] + k2] += 1.0
    if normalize:
        # Each cell's histogram (each channel's, per channel) sums to 1.
        n_parts = 1 if joint else 3
        for cell in range(n_cells):
            for part in range(n_parts):
                if joint:
                    begin, end = 0, n_bins
                else:
                    begin = offsets[part]
                    end = offsets[part + 1] if part < 2 else n_bins
                total = 0.0
                for k in range(begin, end):
                    total += out[cell * n_bins + k]
                if total > 0:
                    for k in range(begin, end):
                        out[cell * n_bins + k] /= total


@njit(cache=True, nogil=True, parallel=True)
def color_histograms(
    batch, alpha, threshold, tables, offsets, joint, rows, cell_of_col, normalize, out
):
    """:func:`_histograms` of each image of ``batch`` ``(n, h, w, 3)``
    (uint8, in the colour space binned) with ``alpha`` ``(n, h, w)``: pixels
    whose alpha is below ``threshold`` are not counted."""
    for n in prange(batch.shape[0]):
        _histograms(
            batch[n],
            alpha[n],
            threshold,
            tables,
            offsets,
            joint,
            rows,
            cell_of_col,
            normalize,
            out[n],
        )
