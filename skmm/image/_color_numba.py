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


# Added to the joint index of a value OpenCV does not count: far below zero
# whatever the other channels add.
_OUT = -(1 << 40)


def joint_tables(tables, offsets):
    """Per channel, each value's contribution to the joint bin index (its
    bin times the channel's stride), or a large negative number for values
    not counted, so that a pixel's index is the sum of three lookups."""
    return np.where(tables >= 0, tables * offsets[:, None], _OUT)


@njit(cache=True, nogil=True)
def _histograms(
    image, alpha, threshold, tables, offsets, joint, rows, cell_of_col, normalize, out
):
    """Histograms of one ``(h, w, 3)`` image per grid cell into ``out``;
    ``alpha`` is ``(h, w)``, or ``(0, 0)`` for none."""
    width = image.shape[1]
    n_cols = cell_of_col[width - 1] + 1
    n_cells = (rows.shape[0] - 1) * n_cols
    n_bins = out.shape[0] // n_cells
    has_alpha = alpha.shape[0] > 0
    t0 = tables[0]
    t1 = tables[1]
    t2 = tables[2]
    column_base = cell_of_col * n_bins
    # Integer counts: runs of pixels in one bin (common in pictures) add
    # faster than in floating point.
    counts = np.zeros(out.shape[0], dtype=np.int64)
    for cell_r in range(rows.shape[0] - 1):
        row_base = cell_r * n_cols * n_bins
        for r in range(rows[cell_r], rows[cell_r + 1]):
            pixels = image[r].reshape(3 * width)
            if joint and not has_alpha:
                # The common case, as one tight loop.
                for c in range(width):
                    k = (
                        t0[pixels[3 * c]]
                        + t1[pixels[3 * c + 1]]
                        + t2[pixels[3 * c + 2]]
                    )
                    if k >= 0:
                        counts[row_base + column_base[c] + k] += 1
                continue
            for c in range(width):
                if has_alpha and alpha[r, c] < threshold:
                    continue
                base = row_base + column_base[c]
                v0 = pixels[3 * c]
                v1 = pixels[3 * c + 1]
                v2 = pixels[3 * c + 2]
                if joint:
                    k = t0[v0] + t1[v1] + t2[v2]
                    if k >= 0:
                        counts[base + k] += 1
                else:
                    if t0[v0] >= 0:
                        counts[base + t0[v0]] += 1
                    if t1[v1] >= 0:
                        counts[base + offsets[1] + t1[v1]] += 1
                    if t2[v2] >= 0:
                        counts[base + offsets[2] + t2[v2]] += 1
    for k in range(out.shape[0]):
        out[k] = counts[k]
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


@njit(cache=True, nogil=True)
def color_histograms(
    batch, alpha, threshold, tables, offsets, joint, rows, cell_of_col, normalize, out
):
    """:func:`_histograms` of each image of ``batch`` ``(n, h, w, 3)``
    (uint8, in the colour space binned) with ``alpha`` ``(n, h, w)`` (or
    ``(n, 0, 0)``: no alpha): pixels whose alpha is below ``threshold`` are
    not counted. ``tables`` are :func:`joint_tables` for a joint histogram,
    :func:`lookup_table` rows otherwise."""
    for n in range(batch.shape[0]):
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


@njit(cache=True, nogil=True, parallel=True)
def color_histograms_parallel(
    batch,
    alpha,
    threshold,
    tables,
    offsets,
    joint,
    rows,
    cell_of_col,
    normalize,
    out,
    n_chunks,
):
    """:func:`color_histograms` on ``n_chunks`` chunks of images in
    parallel."""
    n_images = batch.shape[0]
    for chunk in prange(n_chunks):
        begin = chunk * n_images // n_chunks
        end = (chunk + 1) * n_images // n_chunks
        color_histograms(
            batch[begin:end],
            alpha[begin:end],
            threshold,
            tables,
            offsets,
            joint,
            rows,
            cell_of_col,
            normalize,
            out[begin:end],
        )
