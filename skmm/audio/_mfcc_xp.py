"""MFCC of a batch of clips as array code, for CuPy on the GPU (and NumPy).

The computation is written against an array module ``xp`` (CuPy by default)
using only operations NumPy shares, so that the same code runs under NumPy
in the CPU test suite and CuPy on a device: cuFFT for the FFT, cuBLAS for the
mel and DCT projections, gathers for framing and deltas, and a segmented
running maximum for each clip's peak (:func:`clip_peaks`: CuPy's
``maximum.at`` rounds float64 through float32). The CPU pipeline is
``_mfcc_cpu.mfcc_batch``.
"""

import numpy as np

# Frames gathered at once: bounds the ``(frames, n_fft)`` index matrix.
_GATHER_ELEMENTS = 2**26


def _delta_gather(frame_offsets, delta_filter, mode):
    """Host-side ``(indices, coefficients)``, each ``(n_frames, width)``, so
    that ``delta[t] = sum_k coefficients[t, k] * data[indices[t, k]]``
    reproduces ``_mfcc_numba.savgol_deltas``."""
    _, kernel, head, tail = delta_filter
    width = kernel.shape[0]
    half = width // 2
    counts = np.diff(frame_offsets)
    begins = np.repeat(frame_offsets[:-1], counts)
    n = np.repeat(counts, counts)
    t = np.arange(frame_offsets[-1]) - begins
    source = t[:, None] - half + np.arange(width)[None, :]
    n_col = n[:, None]
    coefficients = np.broadcast_to(kernel, source.shape).copy()
    if mode == 0:  # nearest
        source = np.clip(source, 0, n_col - 1)
    elif mode == 1:  # mirror
        period = np.maximum(2 * n_col - 2, 1)
        folded = np.abs(source) % period
        source = np.where(folded < n_col, folded, period - folded)
        source = np.where(n_col == 1, 0, source)
    elif mode == 2:  # wrap
        source = source % n_col
    else:  # constant zero (4), and the interior of interp (3)
        outside = (source < 0) | (source >= n_col)
        coefficients[outside] = 0.0
        source = np.clip(source, 0, n_col - 1)
    if mode == 3:
        at_head = t < half
        at_tail = (t >= n - half) & ~at_head
        coefficients[at_head] = head[t[at_head]]
        source[at_head] = np.arange(width)
        tail_rows = t[at_tail] - (n[at_tail] - half)
        coefficients[at_tail] = tail[tail_rows]
        source[at_tail] = (n[at_tail] - width)[:, None] + np.arange(width)
    return begins[:, None] + source, coefficients


def clip_peaks(values, frame_offsets, xp):
    """Largest of ``values`` ``(n_frames,)`` over each clip's frames (``-inf``
    for a clip without frames), exact in any float dtype.

    A segmented running maximum whose reach doubles each step (``log2`` of
    the longest clip's frame count passes of plain element-wise ``maximum``),
    in place of ``maximum.at``: CuPy's atomic maximum for float64 compares
    through ``fmaxf`` (float32), which moves the ``top_db`` floor by about
    1e-7 relative; atomics also serialise on one clip's frames.
    """
    counts = np.diff(frame_offsets)
    peak = xp.full(counts.shape[0], -np.inf, dtype=values.dtype)
    if values.shape[0] == 0:
        return peak
    clip = xp.asarray(np.repeat(np.arange(counts.shape[0]), counts))
    running = values.copy()
    reach = 1
    while reach < int(counts.max()):
        # After this step running[i] is the maximum of the 2 * reach frames
        # ending at i, within i's clip.
        same_clip = clip[reach:] == clip[:-reach]
        running[reach:] = xp.where(
            same_clip, xp.maximum(running[reach:], running[:-reach]), running[reach:]
        )
        reach *= 2
    present = np.flatnonzero(counts)
    peak[xp.asarray(present)] = running[xp.asarray(frame_offsets[1:][present] - 1)]
    return peak


def mfcc_batch(signal, frame_starts, frame_offsets, constants, power, top_db, xp=None):
    """MFCC frames of one batch; returns ``(frames, frame_offsets)`` with
    ``frames`` on the device (``frame_offsets`` stays on the host).

    Same contract as ``_mfcc_cpu.mfcc_batch`` otherwise; ``signal`` may be
    on the host (copied once) or already on the device. ``xp`` defaults to
    CuPy.
    """
    if xp is None:
        import cupy as xp
    # Overflow is reported by MFCC, naming the clip (see _mfcc_cpu); this
    # quiets NumPy when the code runs under it.
    with np.errstate(over="ignore", invalid="ignore"):
        return _mfcc_batch(
            signal, frame_starts, frame_offsets, constants, power, top_db, xp
        )


def power_spectrum(signal, frame_starts, constants, power, xp, fft_dtype=None):
    """``|STFT| ** power`` of the frames at ``frame_starts`` on the device,
    ``(n_frames, n_fft // 2 + 1)`` in the signal's precision;
    ``frame_starts`` stay on the host. ``fft_dtype`` as
    ``_mfcc_cpu.power_spectrum``'s."""
    dtype = signal.dtype
    n_fft = constants.window.shape[0]
    device_signal = xp.asarray(signal)
    window = xp.asarray(constants.window.astype(fft_dtype or dtype, copy=False))
    starts = xp.asarray(frame_starts)
    taps = xp.arange(n_fft, dtype=starts.dtype)
    n_total = frame_starts.shape[0]
    out = xp.empty((n_total, n_fft // 2 + 1), dtype=dtype)
    step = max(1, _GATHER_ELEMENTS // n_fft)
    for begin in range(0, n_total, step):
        end = min(begin + step, n_total)
        out[begin:end] = _power_frames(
            device_signal, starts[begin:end], taps, window, power, xp
        ).astype(dtype, copy=False)
    return out


def _power_frames(device_signal, starts, taps, window, power, xp):
    frames = device_signal[starts[:, None] + taps[None, :]] * window
    spectrum = xp.fft.rfft(frames, axis=1)
    del frames
    magnitude = spectrum.real**2 + spectrum.imag**2
    del spectrum
    if power != 2.0:
        magnitude = xp.sqrt(magnitude) ** power
    return magnitude.astype(window.dtype, copy=False)


def _mfcc_batch(signal, frame_starts, frame_offsets, constants, power, top_db, xp):
    dtype = signal.dtype
    n_total = frame_starts.shape[0]
    n_fft = constants.window.shape[0]
    device_signal = xp.asarray(signal)
    # The FFT in float64, as on the CPU (see _mfcc_cpu.power_spectrum).
    window = xp.asarray(constants.window.astype(np.float64, copy=False))
    mel_basis_t = xp.asarray(constants.mel_basis_t.astype(dtype, copy=False))
    starts = xp.asarray(frame_starts)
    taps = xp.arange(n_fft, dtype=starts.dtype)

    mel = xp.empty((n_total, mel_basis_t.shape[1]), dtype=dtype)
    step = max(1, _GATHER_ELEMENTS // n_fft)
    for begin in range(0, n_total, step):
        end = min(begin + step, n_total)
        powers = _power_frames(
            device_signal, starts[begin:end], taps, window, power, xp
        )
        mel[begin:end] = powers.astype(dtype) @ mel_basis_t
        del powers
    return cepstra(mel, frame_offsets, constants, top_db, xp)


def cepstra(mel, frame_offsets, constants, top_db, xp):
    """MFCC frames (with deltas) of a batch from its mel power spectrogram
    ``mel`` (on the device); returns ``(frames, frame_offsets)``."""
    dtype = mel.dtype
    n_clips = frame_offsets.shape[0] - 1
    # Decibels, DCT and deltas in float64, rounded at the end (as on the CPU).
    db = 10.0 * xp.log10(xp.maximum(mel.astype(np.float64), 1e-10))
    if top_db >= 0:
        counts = np.diff(frame_offsets)
        clip_of_frame = xp.asarray(np.repeat(np.arange(n_clips), counts))
        # db is float64 here, so the floor is too (top_db as a float64).
        peak = clip_peaks(db.max(axis=1), frame_offsets, xp)
        floor = (peak - top_db)[clip_of_frame]
        db = xp.maximum(db, floor[:, None])
    coefficients = db @ xp.asarray(constants.dct_t.astype(np.float64, copy=False))
    del db
    parts = [coefficients]
    for delta_filter in constants.delta_filters:
        indices, weights = _delta_gather(
            frame_offsets, delta_filter, constants.delta_mode
        )
        weights = xp.asarray(weights.astype(np.float64))
        gathered = coefficients[xp.asarray(indices)]  # (frames, width, n_mfcc)
        parts.append((weights[:, :, None] * gathered).sum(axis=1))
    result = xp.concatenate(parts, axis=1) if len(parts) > 1 else coefficients
    return xp.ascontiguousarray(result.astype(dtype, copy=False)), frame_offsets
