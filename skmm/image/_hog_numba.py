"""Numba kernels for batched HOG, equal to ``skimage.feature.hog``.

One pass per image row computes the central-difference gradients (the
dominant channel of a colour pixel), their magnitude and orientation bin, and
votes into the cell histograms; block normalisation follows per image.
``hog_batch_parallel`` runs chunks of images on Numba's threads (``prange``):
HOG calls no BLAS or FFT, so the threads have the cores to themselves.
Measured on the 2-vCPU development VM (a shared machine), two threads gave
1.0x to 2.0x over one across runs, never less; with one thread the estimator
calls the serial ``hog_batch``.

What has to match scikit-image bit for bit, read from its Cython kernel
``_hoghistogram.hog_histograms``:

- the orientation of a pixel is ``rad2deg(arctan2(g_row, g_col)) % 180`` in
  float64, and it votes into bin ``i`` when ``bounds[i] <= o < bounds[i +
  1]`` with ``bounds[i] = float32(float32(180 / n) * i)``; an orientation at or
  above ``bounds[n]`` (a few ulps below 180 for some ``n``) votes nowhere;
- a cell's vote is summed in float32 (each addition of a float64 magnitude
  rounded to float32), then divided by the cell area in float32;
- cells cover whole cells from the top-left; the rows and columns past the
  last whole cell are ignored;
- block norms are ``np.sum`` of the block's squares (or absolute values),
  summed in NumPy's pairwise order: eight running sums, then halves above 128
  values.

``arctan2`` is the costly part of the pass. The gradients of an 8-bit image
are integers in [-255, 255], whose 261,121 bins NumPy computes once per
``orientations`` into a table the pass reads (exact by construction, and
about 1.5x faster than the following). Otherwise the bin comes from a
polynomial arctangent accurate to 4e-7 degrees; only orientations within
``_MARGIN`` degrees of a bin boundary are recomputed with ``atan2`` and
compared with the boundaries exactly (about 1 pixel in 10^5 for random
data, and pixels whose gradient lies on an axis or a diagonal that is a bin
boundary; a gradient with ``g_row == 0``, on every flat stretch of an 8-bit
image, goes to bin 0 directly). Each row votes pixel ``j`` of every cell,
then pixel ``j + 1``, so that consecutive float32 sums do not wait on each
other. NumPy's
``arctan2`` (SIMD on AVX-512) and the C library's ``atan2`` differ in the
last bit at times; pixels within :data:`AMBIGUOUS` degrees of a boundary are
counted, and the estimator recomputes the few images that have them with
NumPy's bins (``overrides``).
"""

import functools
import math

import numpy as np
from numba import njit, prange

# Block normalisation methods, as codes the kernels take.
NORMS = {"L1": 0, "L1-sqrt": 1, "L2": 2, "L2-Hys": 3}
_EPS = 1e-5
_RAD_TO_DEG = 180.0 / math.pi
# Orientations (computed with the C library's atan2) this close to a bin
# boundary, in degrees, may lie on the other side in NumPy's arctan2 (which
# differs in the last bit at times): about 36 ulps at 180 degrees.
AMBIGUOUS = 1e-12
# Far above the polynomial's error (3.6e-7 degrees), far below any bin width.
_MARGIN = 1e-5
# atan(t) ~ t * P(t^2) on [0, 1], least squares on Chebyshev nodes, in degrees.
_ATAN_DEG = tuple(
    c * _RAD_TO_DEG
    for c in (
        0.99999990554571,
        -0.33332657852595704,
        0.19986537489138134,
        -0.14164333375083812,
        0.10507319786908913,
        -0.072479506620823,
        0.03989956003855043,
        -0.014458697067176146,
        0.002468246624644274,
    )
)
_A0, _A1, _A2, _A3, _A4, _A5, _A6, _A7, _A8 = _ATAN_DEG


def bin_bounds(orientations):
    """Bin boundaries as scikit-image's kernel computes them (float32), as
    float64 for comparing with float64 orientations."""
    width = np.float32(180.0 / orientations)
    steps = np.arange(orientations + 1, dtype=np.float32)
    return (width * steps).astype(np.float64)


@njit(cache=True, nogil=True, inline="always")
def _exact_bin(g_row, g_col, bounds):
    """``(bin, ambiguous)``: the bin of ``rad2deg(arctan2(g_row, g_col)) %
    180`` (-1 for no vote), and whether NumPy's arctan2 might put it in
    another bin. Gradients on an axis or a diagonal are exact in both."""
    n = bounds.shape[0] - 1
    o = (math.atan2(g_row, g_col) * _RAD_TO_DEG) % 180.0
    b = min(max(int(o * n / 180.0), 0), n - 1)
    while b > 0 and o < bounds[b]:
        b -= 1
    while b < n and o >= bounds[b + 1]:
        b += 1
    ambiguous = False
    if g_row != 0.0 and g_col != 0.0 and abs(g_row) != abs(g_col):
        if o - bounds[b] < AMBIGUOUS or (b < n and bounds[b + 1] - o < AMBIGUOUS):
            ambiguous = True
    return (b if b < n else -1), ambiguous


# The gradients of an image of 8-bit integers are integers in [-255, 255]:
# the table of their bins has rows of 511 gradients along the columns, and
# the zero gradient at position 255 * 511 + 255.
_INTEGER_SPAN = 255
_INTEGER_ROW = 2 * _INTEGER_SPAN + 1
_INTEGER_ORIGIN = _INTEGER_SPAN * _INTEGER_ROW + _INTEGER_SPAN


def integer_gradient_bins(orientations):
    """Bin of every gradient of an 8-bit image: ``table[(g_row + 255) * 511 +
    g_col + 255]`` is scikit-image's bin of ``(g_row, g_col)`` (-1 for no
    vote), computed with NumPy's ``arctan2`` as scikit-image computes it;
    int8 (int16 past 127 orientations), 261,121 values, read-only. ``None``
    past 32,767 orientations."""
    if orientations > np.iinfo(np.int16).max:
        return None
    return _integer_gradient_bins(int(orientations))


@functools.lru_cache(maxsize=8)
def _integer_gradient_bins(orientations):
    from skmm.image._hog_xp import orientation_bins

    values = np.arange(-_INTEGER_SPAN, _INTEGER_SPAN + 1, dtype=np.float64)
    g_row, g_col = np.meshgrid(values, values, indexing="ij")
    bins = orientation_bins(g_row, g_col, orientations, np)
    dtype = np.int8 if orientations <= np.iinfo(np.int8).max else np.int16
    table = bins.astype(dtype).ravel()
    table.setflags(write=False)
    return table


def no_table():
    """The ``table`` argument of the kernels for images whose gradients need
    the arctangent."""
    return np.zeros(0, dtype=np.int8)


# Bin codes of pixels that do not vote directly.
_NO_VOTE = -1
_EXACT = -2


@njit(cache=True, nogil=True)
def _load(image, transform_sqrt, work):
    """``work[ch, y, x]``: the image in scikit-image's float dtype (``work``'s
    dtype), square-rooted if asked, one contiguous plane per channel."""
    h, w, n_channels = image.shape
    for ch in range(n_channels):
        plane = work[ch]
        for y in range(h):
            for x in range(w):
                plane[y, x] = image[y, x, ch]
            if transform_sqrt:
                for x in range(w):
                    plane[y, x] = np.sqrt(plane[y, x])


@njit(cache=True, nogil=True, inline="always")
def _row_gradients(plane, y, width, g_row, g_col):
    """Central differences of row ``y`` of one channel over ``[0, width)``,
    in the plane's dtype, zero on the image border (as scikit-image)."""
    h, w = plane.shape
    if 0 < y < h - 1:
        above = plane[y - 1]
        below = plane[y + 1]
        for x in range(width):
            g_row[x] = below[x] - above[x]
    else:
        g_row[:width] = 0.0
    row = plane[y]
    g_col[0] = 0.0
    for x in range(1, min(width, w - 1)):
        g_col[x] = row[x + 1] - row[x - 1]
    if width == w and w > 1:
        g_col[w - 1] = 0.0


@njit(cache=True, nogil=True, inline="always")
def _dominant_channel(work, y, width, g_row, g_col, r_ch, c_ch, tolerance):
    """Replace ``(g_row, g_col)`` (channel 0) by the gradient of the channel
    with the largest ``hypot`` magnitude, the first on ties, compared in the
    image's float dtype as scikit-image's argmax is. Squared magnitudes
    decide unless they lie within ``tolerance`` of each other."""
    for ch in range(1, work.shape[0]):
        _row_gradients(work[ch], y, width, r_ch, c_ch)
        for x in range(width):
            r0 = np.float64(g_row[x])
            c0 = np.float64(g_col[x])
            r1 = np.float64(r_ch[x])
            c1 = np.float64(c_ch[x])
            best = r0 * r0 + c0 * c0
            other = r1 * r1 + c1 * c1
            if other > best * (1.0 + tolerance):
                wins = True
            elif other < best * (1.0 - tolerance):
                wins = False
            else:
                wins = math.hypot(r_ch[x], c_ch[x]) > math.hypot(g_row[x], g_col[x])
            if wins:
                g_row[x] = r_ch[x]
                g_col[x] = c_ch[x]


@njit(cache=True, nogil=True, inline="always")
def _row_bins(g_row, g_col, width, bins_per_degree, magnitude, bins):
    """Magnitude and orientation bin of each pixel of a row (vectorised).

    The bin is ``floor(angle * bins_per_degree)`` with a polynomial angle;
    pixels whose angle lies within ``_MARGIN`` degrees of a multiple of the
    bin width are marked ``_EXACT`` (scikit-image's float32 boundaries lie
    within 1.1e-5 degrees of those multiples); gradients with ``g_row == 0``
    (zero ones included) get bin 0.
    """
    margin = _MARGIN * bins_per_degree
    for x in range(width):
        gr = np.float64(g_row[x])
        gc = np.float64(g_col[x])
        squared = gr * gr + gc * gc
        magnitude[x] = math.sqrt(squared)
        # Fold into the upper half plane, then reduce to atan on [0, 1].
        gc_up = -gc if gr < 0.0 else gc
        gr_up = abs(gr)
        ax = abs(gc_up)
        steep = gr_up > ax
        numerator = ax if steep else gr_up
        denominator = gr_up if steep else ax
        t = numerator / (denominator if denominator > 0.0 else 1.0)
        s = t * t
        p = _A7 + s * _A8
        p = _A6 + s * p
        p = _A5 + s * p
        p = _A4 + s * p
        p = _A3 + s * p
        p = _A2 + s * p
        p = _A1 + s * p
        a = t * (_A0 + s * p)
        if steep:
            angle = 90.0 + a if gc_up < 0.0 else 90.0 - a
        else:
            angle = 180.0 - a if gc_up < 0.0 else a
        position = angle * bins_per_degree
        b = np.int32(position)
        fraction = position - b
        code = _EXACT if (fraction < margin or fraction > 1.0 - margin) else b
        # A gradient along the rows' axis (g_row 0, on every flat stretch of
        # an 8-bit image) has orientation 0 whatever g_col's sign (atan2 of
        # +-0 and a negative is +-180, 0 modulo 180): bin 0, without the
        # exact path. A zero gradient votes its zero magnitude there too,
        # which leaves the float32 sum as it is (no branch per pixel).
        bins[x] = 0 if gr == 0.0 or squared == 0.0 else code


@njit(cache=True, nogil=True, inline="always")
def _row_table_bins(g_row, g_col, width, table, magnitude, bins):
    """Magnitude and orientation bin of each pixel of a row whose gradients
    are integers in [-255, 255] (an 8-bit image's): the bin is
    ``table[(g_row + 255) * 511 + g_col + 255]``, NumPy's bin of that
    gradient (see :func:`integer_gradient_bins`). The positions are computed
    first (vectorised), then read (unsigned: no negative-index wrap)."""
    for x in range(width):
        gr = np.float64(g_row[x])
        gc = np.float64(g_col[x])
        magnitude[x] = math.sqrt(gr * gr + gc * gc)
        bins[x] = np.int32(gr) * _INTEGER_ROW + np.int32(gc) + _INTEGER_ORIGIN
    for x in range(width):
        bins[x] = table[np.uint32(bins[x])]


@njit(cache=True, nogil=True)
def _histograms(
    work, cell_rows, cell_cols, bounds, table, override, hist, rows, magnitude, bins
):
    """Vote every pixel of whole cells into ``hist`` (float32 running sums,
    ``(n_cells_row, n_cells_col, orientations)``) in scikit-image's order.
    ``rows``, ``magnitude`` and ``bins`` are scratch rows. ``table`` holds
    the bin of every integer gradient of an 8-bit image, or is empty where
    the gradients may not be such integers (see
    :func:`integer_gradient_bins`).

    Returns the number of ambiguous pixels (see :func:`_exact_bin`): their
    bins are taken from ``override`` ``(h, w)`` (NumPy's bins) when it is not
    empty, else from the C library's ``atan2``.
    """
    n_ambiguous = 0
    n_channels, h, w = work.shape
    n_cells_row, n_cells_col, n_orient = hist.shape
    bins_per_degree = n_orient / 180.0
    width = n_cells_col * cell_cols
    g_row, g_col, r_ch, c_ch = rows[0], rows[1], rows[2], rows[3]
    tolerance = 1e-6 if work.itemsize == 4 else 1e-14
    hist[:] = 0.0
    for y in range(n_cells_row * cell_rows):
        _row_gradients(work[0], y, width, g_row, g_col)
        if n_channels > 1:
            _dominant_channel(work, y, width, g_row, g_col, r_ch, c_ch, tolerance)
        if table.shape[0]:
            _row_table_bins(g_row, g_col, width, table, magnitude, bins)
        else:
            _row_bins(g_row, g_col, width, bins_per_degree, magnitude, bins)
        cell_row = y // cell_rows
        cells_of_row = hist[cell_row]
        # Pixel j of every cell, then pixel j + 1: consecutive votes go to
        # different cells, whose float32 sums do not wait on each other;
        # each cell still sums its pixels in scikit-image's order.
        for j in range(cell_cols):
            for cell_col in range(n_cells_col):
                x = cell_col * cell_cols + j
                b = bins[x]
                if b < 0:
                    if b == _NO_VOTE:
                        continue
                    b, ambiguous = _exact_bin(
                        np.float64(g_row[x]), np.float64(g_col[x]), bounds
                    )
                    if ambiguous:
                        n_ambiguous += 1
                        if override.shape[0]:
                            b = override[y, x]
                    if b < 0:
                        continue
                cells_of_row[cell_col, b] = np.float32(
                    np.float64(cells_of_row[cell_col, b]) + magnitude[x]
                )
    return n_ambiguous


@njit(cache=True, nogil=True, inline="always")
def _pairwise_leaf(a, begin, n):
    """``a[begin:begin + n].sum()`` in NumPy's order for ``n <= 128``: in
    turn below 8 values, else eight running sums, combined pairwise, then
    the remainder."""
    if n < 8:
        total = 0.0
        for i in range(begin, begin + n):
            total += a[i]
        return total
    r0 = a[begin]
    r1 = a[begin + 1]
    r2 = a[begin + 2]
    r3 = a[begin + 3]
    r4 = a[begin + 4]
    r5 = a[begin + 5]
    r6 = a[begin + 6]
    r7 = a[begin + 7]
    stop = begin + n - n % 8
    for i in range(begin + 8, stop, 8):
        r0 += a[i]
        r1 += a[i + 1]
        r2 += a[i + 2]
        r3 += a[i + 3]
        r4 += a[i + 4]
        r5 += a[i + 5]
        r6 += a[i + 6]
        r7 += a[i + 7]
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for i in range(stop, begin + n):
        total += a[i]
    return total


@njit(cache=True, nogil=True)
def _pairwise_sum(a, n):
    """``a[:n].sum()`` as NumPy computes it (pairwise summation): above 128
    values, the sum of two halves (the first a multiple of 8 values).

    NumPy recurses; this walks the same tree with a stack (Numba's on-disk
    cache does not hold recursive functions).
    """
    if n <= 128:
        return _pairwise_leaf(a, 0, n)
    begins = np.empty(64, dtype=np.int64)
    sizes = np.empty(64, dtype=np.int64)
    # 0: halves not summed yet; 1: first half summed (in ``partial``).
    stage = np.empty(64, dtype=np.int64)
    partial = np.empty(64)
    top = 0
    begins[0], sizes[0], stage[0] = 0, n, 0
    while True:
        size = sizes[top]
        if size > 128:
            half = size // 2
            half -= half % 8
            top += 1
            begins[top], sizes[top], stage[top] = begins[top - 1], half, 0
            continue
        value = _pairwise_leaf(a, begins[top], size)
        top -= 1
        # Hand the value up: a first half waits for the second, a second
        # half completes its parent.
        while top >= 0 and stage[top] == 1:
            value = partial[top] + value
            top -= 1
        if top < 0:
            return value
        partial[top] = value
        stage[top] = 1
        half = sizes[top] // 2
        half -= half % 8
        top += 1
        begins[top] = begins[top - 1] + half
        sizes[top] = sizes[top - 1] - half
        stage[top] = 0


@njit(cache=True, nogil=True)
def _normalise_blocks(cells, block_rows, block_cols, norm, block, out):
    """Normalise every block of ``cells`` (float64) into ``out``, raveled as
    ``(n_blocks_row, n_blocks_col, block_rows, block_cols, orientations)``;
    ``block`` is scratch of twice one block's size. Sums are NumPy's
    (pairwise), as scikit-image's ``np.sum``."""
    n_cells_row, n_cells_col, n_orient = cells.shape
    n_blocks_row = n_cells_row - block_rows + 1
    n_blocks_col = n_cells_col - block_cols + 1
    size = block_rows * block_cols * n_orient
    terms = block[size:]
    k = 0
    for br in range(n_blocks_row):
        for bc in range(n_blocks_col):
            j = 0
            for r in range(br, br + block_rows):
                for c in range(bc, bc + block_cols):
                    for o in range(n_orient):
                        block[j] = cells[r, c, o]
                        j += 1
            if norm == 0 or norm == 1:
                for j in range(size):
                    terms[j] = abs(block[j])
                total = _pairwise_sum(terms, size) + _EPS
                for j in range(size):
                    v = block[j] / total
                    out[k + j] = np.sqrt(v) if norm == 1 else v
            else:
                for j in range(size):
                    terms[j] = block[j] * block[j]
                scale = np.sqrt(_pairwise_sum(terms, size) + _EPS * _EPS)
                if norm == 2:
                    for j in range(size):
                        out[k + j] = block[j] / scale
                else:
                    for j in range(size):
                        v = min(block[j] / scale, 0.2)
                        block[j] = v
                        terms[j] = v * v
                    scale = np.sqrt(_pairwise_sum(terms, size) + _EPS * _EPS)
                    for j in range(size):
                        out[k + j] = block[j] / scale
            k += size


@njit(cache=True, nogil=True)
def _cells(
    image,
    cell_rows,
    cell_cols,
    bounds,
    table,
    transform_sqrt,
    override,
    work,
    hist,
    rows,
    magnitude,
    bins,
    cells,
):
    """Cell histograms of one image ``(h, w, channels)`` into ``cells``
    (float64 holding scikit-image's float32 cell averages); the other arrays
    are scratch. Returns the number of ambiguous pixels."""
    _load(image, transform_sqrt, work)
    n_ambiguous = _histograms(
        work,
        cell_rows,
        cell_cols,
        bounds,
        table,
        override,
        hist,
        rows,
        magnitude,
        bins,
    )
    area = np.float64(cell_rows * cell_cols)
    n_cells_row, n_cells_col, n_orient = hist.shape
    for r in range(n_cells_row):
        for c in range(n_cells_col):
            for o in range(n_orient):
                cells[r, c, o] = np.float32(np.float64(hist[r, c, o]) / area)
    return n_ambiguous


@njit(cache=True, nogil=True)
def cell_histograms(
    image, cell_rows, cell_cols, bounds, table, transform_sqrt, override, work, cells
):
    """Orientation histogram of every whole cell of one image, before block
    normalisation: scikit-image's ``orientation_histogram``.

    ``image`` ``(h, w, channels)`` as :func:`hog_batch` reads it; ``work``
    ``(channels, h, w)`` is scratch in scikit-image's float dtype for the
    image (gradients are computed in it); ``cells`` ``(n_cells_row,
    n_cells_col, orientations)`` float64 receives the float32 cell averages.
    ``override`` ``(h, w)`` holds NumPy's bins of every pixel, or is ``(0,
    0)`` for none, and ``table`` the bins of integer gradients or is empty
    (see :func:`hog_batch`).

    Returns the number of pixels within :data:`AMBIGUOUS` of a bin boundary.
    """
    h, w, _ = image.shape
    n_cells_row, n_cells_col, n_orient = cells.shape
    hist = np.empty((n_cells_row, n_cells_col, n_orient), dtype=np.float32)
    rows = np.empty((4, w), dtype=work.dtype)
    return _cells(
        image,
        cell_rows,
        cell_cols,
        bounds,
        table,
        transform_sqrt,
        override,
        work,
        hist,
        rows,
        np.empty(w),
        np.empty(w, dtype=np.int32),
        cells,
    )


@njit(cache=True, nogil=True)
def hog_batch(
    images,
    cell_rows,
    cell_cols,
    block_rows,
    block_cols,
    bounds,
    table,
    norm,
    transform_sqrt,
    overrides,
    out,
    n_ambiguous,
):
    """HOG of every image of ``images`` ``(n, h, w, channels)`` into ``out``
    ``(n, n_features)``.

    ``images`` may be of any real dtype NumPy and Numba share (not float16);
    gradients are computed in ``out``'s dtype, scikit-image's float dtype for
    the input (float32 for float32 images, float64 otherwise). ``bounds``
    comes from :func:`bin_bounds`, ``norm`` from :data:`NORMS`. ``table``,
    for 8-bit images without ``transform_sqrt``, holds the bin of every
    integer gradient (:func:`integer_gradient_bins`), which then replaces
    the arctangent; empty otherwise.

    ``n_ambiguous[i]`` counts the pixels of image ``i`` whose orientation
    lies within :data:`AMBIGUOUS` of a bin boundary; recompute such images
    with ``overrides`` ``(n, h, w)``, NumPy's bins of every pixel
    (``(1, 0, 0)``, none, otherwise). Serial: see :func:`hog_batch_parallel`.
    """
    n_images, h, w, n_channels = images.shape
    n_orient = bounds.shape[0] - 1
    n_cells_row = h // cell_rows
    n_cells_col = w // cell_cols
    # Scratch allocated once per call: per-image allocations cost page faults
    # that serialise the threads of the parallel version.
    work = np.empty((n_channels, h, w), dtype=out.dtype)
    hist = np.empty((n_cells_row, n_cells_col, n_orient), dtype=np.float32)
    cells = np.empty((n_cells_row, n_cells_col, n_orient))
    rows = np.empty((4, w), dtype=out.dtype)
    magnitude = np.empty(w)
    bins = np.empty(w, dtype=np.int32)
    block = np.empty(2 * block_rows * block_cols * n_orient)
    for i in range(n_images):
        override = overrides[i if overrides.shape[1] else 0]
        n_ambiguous[i] = _cells(
            images[i],
            cell_rows,
            cell_cols,
            bounds,
            table,
            transform_sqrt,
            override,
            work,
            hist,
            rows,
            magnitude,
            bins,
            cells,
        )
        _normalise_blocks(cells, block_rows, block_cols, norm, block, out[i])


@njit(cache=True, nogil=True, parallel=True)
def hog_batch_parallel(
    images,
    cell_rows,
    cell_cols,
    block_rows,
    block_cols,
    bounds,
    table,
    norm,
    transform_sqrt,
    overrides,
    out,
    n_ambiguous,
    n_chunks,
):
    """:func:`hog_batch` on ``n_chunks`` chunks of images, run by Numba's
    threads (a few chunks per thread balance uneven progress)."""
    n_images = images.shape[0]
    n_chunks = max(1, min(n_images, n_chunks))
    for chunk in prange(n_chunks):
        begin = chunk * n_images // n_chunks
        end = (chunk + 1) * n_images // n_chunks
        hog_batch(
            images[begin:end],
            cell_rows,
            cell_cols,
            block_rows,
            block_cols,
            bounds,
            table,
            norm,
            transform_sqrt,
            overrides[begin:end] if overrides.shape[1] else overrides,
            out[begin:end],
            n_ambiguous[begin:end],
        )
