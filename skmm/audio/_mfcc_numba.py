"""Numba kernels for batched MFCC: framing, power, decibels, deltas.

Every kernel works on many clips at once. Frames of all clips in a batch are
rows of one matrix; ``frame_offsets[i]:frame_offsets[i + 1]`` are clip ``i``'s
rows. The FFT (scipy.fft, with worker threads) and the DCT (BLAS) run between
these kernels in ``_mfcc.py``.

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


@njit(cache=True, nogil=True)
def mel_power(spectrum, power, mel_basis, lo, hi, out):
    """``out = |spectrum| ** power @ mel_basis.T``, using the filters' support.

    Each mel filter is non-zero only on bins ``lo[m]:hi[m]`` (a triangle), so
    the projection costs a few multiply-adds per bin instead of ``n_mels``
    (what a dense BLAS product spends). The power spectrum of a frame is
    formed once in a row buffer and never stored.
    """
    n_frames, n_bins = spectrum.shape
    n_mels = mel_basis.shape[0]
    row = np.empty(n_bins, dtype=out.dtype)
    first = lo.min()
    last = hi.max()
    for f in range(n_frames):
        if power == 2.0:
            for k in range(first, last):
                value = spectrum[f, k]
                row[k] = value.real * value.real + value.imag * value.imag
        else:
            for k in range(first, last):
                value = spectrum[f, k]
                row[k] = np.sqrt(value.real * value.real + value.imag * value.imag)
            if power != 1.0:
                for k in range(first, last):
                    row[k] = row[k] ** power
        for m in range(n_mels):
            acc = row[0] * 0
            for k in range(lo[m], hi[m]):
                acc += mel_basis[m, k] * row[k]
            out[f, m] = acc


@njit(cache=True, nogil=True)
def power_to_db(mel, frame_offsets, amin, top_db, clip_max):
    """In place ``10 log10(max(amin, mel))``, then floor each clip at its
    maximum minus ``top_db`` (``top_db < 0`` means no floor), as
    ``librosa.power_to_db(ref=1.0)`` does per clip.

    ``clip_max`` (one per clip) receives each clip's maximum in decibels; a
    clip whose maximum was computed in an earlier call (a long clip split
    across batches) passes ``frame_offsets`` of one clip and ``top_db < 0``,
    and is floored later with :func:`floor_db`.
    """
    n_clips = frame_offsets.shape[0] - 1
    n_mels = mel.shape[1]
    for c in range(n_clips):
        peak = -np.inf
        for f in range(frame_offsets[c], frame_offsets[c + 1]):
            for m in range(n_mels):
                value = 10.0 * np.log10(max(amin, mel[f, m]))
                mel[f, m] = value
                if value > peak:
                    peak = value
        clip_max[c] = peak
        if top_db >= 0.0:
            floor = peak - top_db
            for f in range(frame_offsets[c], frame_offsets[c + 1]):
                for m in range(n_mels):
                    if mel[f, m] < floor:
                        mel[f, m] = floor


@njit(cache=True, nogil=True)
def floor_db(db, floor):
    """In place ``max(db, floor)``."""
    flat = db.reshape(-1)
    for i in range(flat.shape[0]):
        if flat[i] < floor:
            flat[i] = floor


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
