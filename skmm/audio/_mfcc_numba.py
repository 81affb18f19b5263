"""Numba kernels for batched MFCC: framing, power, decibels, deltas.

Every kernel works on many clips at once. Frames of all clips in a batch are
rows of one matrix; ``frame_offsets[i]:frame_offsets[i + 1]`` are clip ``i``'s
rows. The FFT (scipy.fft) and the mel and DCT projections (BLAS) run between
these kernels in ``_mfcc_cpu.py``.

The kernels are serial on purpose: measured on two cores, ``parallel=True``
made a batch three to four times slower, its threads competing with the FFT's
workers and BLAS's threads, which already use every core.
"""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def frame_and_window(signal, frame_starts, window, out):
    """``out[f] = window * signal[frame_starts[f]:frame_starts[f] + n_fft]``."""
    n_fft = window.shape[0]
    for f in range(frame_starts.shape[0]):
        start = frame_starts[f]
        for k in range(n_fft):
            out[f, k] = window[k] * signal[start + k]


@njit(cache=True, nogil=True, inline="always")
def _bin(spectrum, row, k, n_fft):
    """Bin ``k`` of a real signal's spectrum for any integer ``k``, from the
    stored half (``rfft``) by conjugate symmetry and periodicity."""
    k = k % n_fft
    if k < spectrum.shape[1]:
        return spectrum[row, k]
    return np.conj(spectrum[row, n_fft - k])


@njit(cache=True, nogil=True)
def _edge_power(spectrum, row, k, taps, n_fft):
    z = taps[0] * spectrum[row, k]
    for m in range(1, taps.shape[0]):
        z += taps[m] * (
            _bin(spectrum, row, k - m, n_fft) + _bin(spectrum, row, k + m, n_fft)
        )
    return z.real * z.real + z.imag * z.imag


@njit(cache=True, nogil=True)
def windowed_power(spectrum, rows, taps, n_fft, power, out):
    """``out[f] = |(spectrum[rows[f]] circularly filtered by taps)| ** power``.

    Multiplying a frame by a cosine-sum window (Hann, Hamming, Blackman) is a
    circular convolution of its spectrum with a few taps: ``taps[0] X[k] +
    sum_m taps[m] (X[k - m] + X[k + m])``. Windowing after the FFT lets the
    FFT read overlapping frames straight from the signal (a strided view)
    instead of a framed copy. ``taps = [1.0]`` leaves the spectrum as it is.
    The common widths (0, 1, 2) have their own loops, which vectorise.
    """
    n_bins = spectrum.shape[1]
    half_width = taps.shape[0] - 1
    c0 = taps[0]
    c1 = taps[1] if half_width >= 1 else c0 * 0
    c2 = taps[2] if half_width >= 2 else c0 * 0
    for f in range(rows.shape[0]):
        row = rows[f]
        x = spectrum[row]
        o = out[f]
        if half_width == 0:
            for k in range(n_bins):
                z = c0 * x[k]
                o[k] = z.real * z.real + z.imag * z.imag
        elif half_width == 1:
            for k in range(1, n_bins - 1):
                z = c0 * x[k] + c1 * (x[k - 1] + x[k + 1])
                o[k] = z.real * z.real + z.imag * z.imag
        elif half_width == 2:
            for k in range(2, n_bins - 2):
                z = c0 * x[k] + c1 * (x[k - 1] + x[k + 1]) + c2 * (x[k - 2] + x[k + 2])
                o[k] = z.real * z.real + z.imag * z.imag
        else:
            for k in range(half_width, n_bins - half_width):
                z = c0 * x[k]
                for m in range(1, half_width + 1):
                    z += taps[m] * (x[k - m] + x[k + m])
                o[k] = z.real * z.real + z.imag * z.imag
        # Bins within half_width of either end wrap around the spectrum.
        for k in range(min(half_width, n_bins)):
            out[f, k] = _edge_power(spectrum, row, k, taps, n_fft)
        for k in range(max(half_width, n_bins - half_width), n_bins):
            out[f, k] = _edge_power(spectrum, row, k, taps, n_fft)
        if power == 1.0:
            for k in range(n_bins):
                out[f, k] = np.sqrt(out[f, k])
        elif power != 2.0:
            for k in range(n_bins):
                out[f, k] = np.sqrt(out[f, k]) ** power


@njit(cache=True, nogil=True, fastmath=True)
def sparse_mel(powers, weights, lo, hi, offsets, out):
    """``out = powers @ mel_basis.T`` over each filter's support only.

    Filter ``m`` is non-zero on bins ``lo[m]:hi[m]``, its values stored at
    ``weights[offsets[m]:offsets[m + 1]]``. With many bins and mel bands
    (``n_fft=2048, n_mels=128``) this is several times less work than a dense
    product; ``fastmath`` lets the short sums vectorise (their rounding
    differs from BLAS's by a few units in the last place).
    """
    n_frames, n_mels = out.shape
    for f in range(n_frames):
        row = powers[f]
        for m in range(n_mels):
            acc = row[0] * 0
            start = offsets[m] - lo[m]
            for k in range(lo[m], hi[m]):
                acc += weights[start + k] * row[k]
            out[f, m] = acc


@njit(cache=True, nogil=True)
def floor_at_peak(db, frame_offsets, top_db):
    """Floor each clip's decibels at its maximum minus ``top_db``, in place,
    as ``librosa.power_to_db`` does for one clip."""
    n_mels = db.shape[1]
    for c in range(frame_offsets.shape[0] - 1):
        begin, end = frame_offsets[c], frame_offsets[c + 1]
        if begin == end:
            continue
        peak = db[begin, 0]
        for f in range(begin, end):
            for m in range(n_mels):
                peak = max(peak, db[f, m])
        floor = peak - top_db
        for f in range(begin, end):
            for m in range(n_mels):
                if db[f, m] < floor:
                    db[f, m] = floor


@njit(cache=True, nogil=True)
def _extend_index(i, n, mode):
    """Index of the sample ``i`` (possibly outside ``[0, n)``) under an
    extension mode: 0 nearest, 1 mirror, 2 wrap; -1 for constant (zero)."""
    if 0 <= i < n:
        return i
    if mode == 0:
        return 0 if i < 0 else n - 1
    if mode == 1:
        if n == 1:
            return 0
        period = 2 * n - 2
        i = abs(i) % period
        return i if i < n else period - i
    if mode == 2:
        return i % n
    return -1


@njit(cache=True, nogil=True)
def savgol_deltas(data, frame_offsets, kernel, head, tail, mode, out):
    """Savitzky-Golay derivative along frames, per clip, as
    ``scipy.signal.savgol_filter(x, axis=0, ...)`` computes it.

    ``kernel`` is the interior filter, applied as a correlation over
    ``width`` frames centred on each frame. With ``mode == 3`` ("interp"),
    the first and last ``width // 2`` frames use ``head`` and ``tail`` (each
    ``(width // 2, width)``) on the first and last ``width`` frames of the
    clip; other modes extend the clip (0 nearest, 1 mirror, 2 wrap, 4
    constant zero) and apply ``kernel`` everywhere.
    """
    width = kernel.shape[0]
    half = width // 2
    n_coef = data.shape[1]
    for c in range(frame_offsets.shape[0] - 1):
        begin = frame_offsets[c]
        n = frame_offsets[c + 1] - begin
        for t in range(n):
            for j in range(n_coef):
                acc = 0.0
                if mode == 3 and t < half:
                    for k in range(width):
                        acc += head[t, k] * data[begin + k, j]
                elif mode == 3 and t >= n - half:
                    for k in range(width):
                        acc += tail[t - (n - half), k] * data[begin + n - width + k, j]
                else:
                    for k in range(width):
                        source = _extend_index(t - half + k, n, mode)
                        if source >= 0:
                            acc += kernel[k] * data[begin + source, j]
                out[begin + t, j] = acc
