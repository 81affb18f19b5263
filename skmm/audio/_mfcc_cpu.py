"""MFCC of a batch of clips on the CPU: the Numba kernels, NumPy's and scipy's
FFTs and BLAS.

``mfcc_batch`` has the contract of ``_mfcc_xp.mfcc_batch``: the frames of a
batch of clips laid out by ``MFCC._frame_layout`` in, their coefficients (with
deltas) out. It runs serially unless given threads, so that the caller decides
how many cores a transform takes: the FFTs run on one thread and the caller
limits BLAS to one thread. A power-of-two ``n_fft`` (librosa's default 2048,
and the 256 to 1024 of speech features) goes through ``_fft_numba``'s lane
FFT, which projects onto the mel filters as it goes; other sizes through
NumPy's or scipy's FFT, the power spectrum, then a BLAS (or sparse)
projection.

``spectral_taps`` and ``sparse_filters`` derive from the parameters the two
shortcuts this pipeline takes (windowing after the FFT, a sparse mel
projection); the estimator computes them once per ``transform``.
"""

import functools

import numpy as np
import scipy.fft
from numpy.lib.stride_tricks import as_strided

from skmm.audio import _fft_numba as fft_kernels
from skmm.audio import _mfcc_numba as kernels


def spectral_taps(window, max_half_width=4):
    """The window as a short circular filter on the spectrum, or None.

    A window whose DFT has only ``2 m + 1`` non-zero coefficients around 0
    (cosine-sum windows: Hann, Hamming, Blackman, at full ``n_fft`` length)
    can be applied after the FFT as ``taps[0] X[k] + sum_m taps[m] (X[k - m]
    + X[k + m])``. Returns ``taps`` (float64, ``m + 1`` values), or None when
    the window is not of that kind (then frames are windowed before the FFT).
    """
    n = window.shape[0]
    if n < 4 * max_half_width:
        return None
    coefficients = np.fft.fft(window.astype(np.float64)) / n
    scale = np.abs(coefficients).max()
    support = np.flatnonzero(np.abs(coefficients) > 1e-12 * scale)
    distance = np.minimum(support, n - support)
    if distance.max() > max_half_width:
        return None
    half_width = int(distance.max())
    taps = coefficients[: half_width + 1]
    mirrored = coefficients[n - np.arange(1, half_width + 1)]
    if np.abs(taps.imag).max() > 1e-12 * scale or not np.allclose(
        taps[1:].real, mirrored.real, rtol=0, atol=1e-12 * scale
    ):
        return None
    return taps.real.copy()


def sparse_filters(mel_basis, dtype):
    """Each filter's support and values, when projecting over supports is
    measured to beat a dense BLAS product (filters much narrower than the
    number of bands: librosa's default 128 bands at ``n_fft=2048``); else
    None."""
    weights, lo, hi, offsets = filter_supports(mel_basis)
    if (hi - lo).mean() * 4 > mel_basis.shape[0]:
        return None
    return weights.astype(dtype), lo, hi, offsets


def filter_supports(mel_basis):
    """``(weights, lo, hi, offsets)``: filter ``m`` is ``weights[offsets[m] :
    offsets[m + 1]]`` (float64) on bins ``lo[m]`` to ``hi[m] - 1``, the span
    from its first to its last non-zero weight (empty for a filter without
    any)."""
    nonzero = mel_basis != 0
    has_support = nonzero.any(axis=1)
    lo = np.where(has_support, nonzero.argmax(axis=1), 0).astype(np.int64)
    hi = np.where(
        has_support, nonzero.shape[1] - nonzero[:, ::-1].argmax(axis=1), 0
    ).astype(np.int64)
    offsets = np.zeros(mel_basis.shape[0] + 1, dtype=np.int64)
    np.cumsum(hi - lo, out=offsets[1:])
    weights = np.concatenate(
        [mel_basis[m, lo[m] : hi[m]] for m in range(mel_basis.shape[0])]
    ).astype(np.float64)
    return weights, lo, hi, offsets


# Finite audio far beyond [-1, 1] overflows the power spectrum; the inf and
# NaN that follow are reported by MFCC, naming the clip. NumPy's warnings
# would only come before that error (or turn into errors of their own).
def _overflow_reported(function):
    @functools.wraps(function)
    def quiet(*args, **kwargs):
        # A fresh errstate per call: NumPy before 2.0 kept its state on the
        # instance, which threads running batches would share.
        with np.errstate(over="ignore", invalid="ignore"):
            return function(*args, **kwargs)

    return quiet


@_overflow_reported
def mfcc_batch(
    signal,
    frame_starts,
    frame_offsets,
    constants,
    power,
    top_db,
    n_threads=1,
    fft_dtype=np.float64,
):
    """MFCC frames of one batch on the CPU; returns ``(frames, frame_offsets)``.

    ``frame_starts`` are multiples of the hop (see ``MFCC._frame_layout``).
    Frames go through the FFT in chunks; the log-mel spectrogram of the whole
    batch is kept, so that a long clip split across chunks is floored at its
    own maximum. ``n_threads`` threads share the chunks. The FFT runs in
    ``fft_dtype`` (see ``power_spectrum``; None: the signal's), the rest in
    the signal's precision.
    """
    dtype = signal.dtype
    n_total = frame_starts.shape[0]
    db = np.empty((n_total, constants.mel_basis_t.shape[1]), dtype=dtype)
    job = functools.partial(
        _log_mel_chunk, signal, frame_starts, constants, power, db, fft_dtype
    )
    _run_chunks(n_total, constants.max_frames, n_threads, job)
    return cepstra(db, frame_offsets, constants, top_db)


def cepstra(mel, frame_offsets, constants, top_db):
    """MFCC frames (with deltas) from the mel power spectrogram ``mel`` of a
    batch; returns ``(frames, frame_offsets)``.

    Decibels, DCT and deltas run in float64 (a few values per frame, cheap
    beside the FFT) and are rounded to the input's precision at the end: in
    float32 that is what makes the coefficients as close to librosa's
    float64 ones as librosa's own float32 path is.
    """
    dtype = mel.dtype
    db = mel.astype(np.float64)
    # 10 log10(x) as ln(x) 10 / ln(10): NumPy's log is vectorised, log10 not.
    np.maximum(db, 1e-10, out=db)
    np.log(db, out=db)
    db *= 10.0 / np.log(10.0)
    if top_db >= 0:
        kernels.floor_at_peak(db, frame_offsets, top_db)
    coefficients = db @ constants.dct_t.astype(np.float64, copy=False)
    del db
    if constants.delta_filters:
        parts = [coefficients]
        for _, kernel, head, tail in constants.delta_filters:
            delta = np.empty_like(coefficients)
            kernels.savgol_deltas(
                coefficients,
                frame_offsets,
                kernel,
                head,
                tail,
                constants.delta_mode,
                delta,
            )
            parts.append(delta)
        coefficients = np.concatenate(parts, axis=1)
    return coefficients.astype(dtype, copy=False), frame_offsets


def _run_chunks(n_total, max_frames, n_threads, job):
    """``job((begin, end))`` over chunks of at most ``max_frames`` frames;
    ``n_threads`` threads share them (the jobs write into shared arrays)."""
    chunk = max(1, min(max_frames, -(-n_total // n_threads)))
    bounds = [(b, min(b + chunk, n_total)) for b in range(0, n_total, chunk)]
    if n_threads > 1 and len(bounds) > 1:
        from joblib import Parallel, delayed

        # Threads whatever the active joblib backend (this runs inside one
        # batch's task).
        Parallel(n_jobs=n_threads, require="sharedmem")(
            delayed(job)(bound) for bound in bounds
        )
    else:
        for bound in bounds:
            job(bound)


@_overflow_reported
def power_spectrum(signal, frame_starts, constants, power, n_threads=1, fft_dtype=None):
    """``|STFT| ** power`` of the frames at ``frame_starts``, one row each:
    ``(n_frames, n_fft // 2 + 1)`` in the signal's precision.

    ``fft_dtype=np.float64`` windows and transforms float32 frames in
    float64, rounding only the result, as ``librosa.stft`` does (its window
    is float64): its float32 spectra are then as precise as float64 ones
    up to that rounding, where a float32 FFT leaves an error floor near
    1e-7 of each frame's peak in its weakest bins."""
    n_fft = constants.window.shape[0]
    out = np.empty((frame_starts.shape[0], n_fft // 2 + 1), dtype=signal.dtype)

    def job(bounds):
        begin, end = bounds
        _power_chunk(
            signal,
            frame_starts[begin:end],
            constants,
            power,
            out[begin:end],
            fft_dtype,
        )

    _run_chunks(frame_starts.shape[0], constants.max_frames, n_threads, job)
    return out


def _rfft(frames):
    """Real FFT of each row on one thread: NumPy's for float64 (the FFT
    librosa calls; 30 ms against scipy's 41 ms for 20,000 frames of 512 on
    this machine), scipy's for float32 (NumPy's computes in float64 there:
    63 ms against 21 ms)."""
    if frames.dtype == np.float64:
        return np.fft.rfft(frames, axis=1)
    return scipy.fft.rfft(frames, axis=1, workers=1)


def _power_chunk(signal, starts, constants, power, out, fft_dtype=None):
    """``|STFT| ** power`` of the frames at ``starts`` into ``out``, the FFT
    in ``fft_dtype`` (default: the signal's)."""
    dtype = signal.dtype if fft_dtype is None else np.dtype(fft_dtype)
    n_fft = constants.window.shape[0]
    taps = constants.window_taps
    if taps is None:
        frames = np.empty((starts.shape[0], n_fft), dtype=dtype)
        window = constants.window.astype(dtype, copy=False)
        kernels.frame_and_window(signal, starts, window, frames)
        spectrum = _rfft(frames)
        del frames
        rows, taps = np.arange(starts.shape[0]), np.ones(1, dtype=dtype)
    else:
        # Every hop position from the chunk's first frame to its last, read in
        # place; positions between two clips are transformed and skipped.
        hop = constants.hop_length
        first = int(starts[0])
        piece = signal[first : int(starts[-1]) + n_fft].astype(dtype, copy=False)
        view = as_strided(
            piece,
            shape=(int(starts[-1] - first) // hop + 1, n_fft),
            strides=(hop * piece.itemsize, piece.itemsize),
            writeable=False,
        )
        spectrum = _rfft(view)
        rows, taps = (starts - first) // hop, taps.astype(dtype)
    kernels.windowed_power(spectrum, rows, taps, n_fft, float(power), out)


@_overflow_reported
def _log_mel_chunk(signal, frame_starts, constants, power, db, fft_dtype, bounds):
    """Mel power spectrogram of frames ``begin:end`` into ``db[begin:end]``."""
    begin, end = bounds
    n_fft = constants.window.shape[0]
    dtype = signal.dtype if fft_dtype is None else np.dtype(fft_dtype)
    if fft_kernels.supported(n_fft):
        # Frames in SIMD lanes, projected onto the filters as they come out
        # of the FFT (no spectra stored): see _fft_numba.
        fft_kernels.mel_frames(
            signal,
            frame_starts[begin:end],
            constants.window.astype(dtype, copy=False),
            *fft_kernels.plan(n_fft, dtype),
            float(power),
            *constants.mel_supports,
            db[begin:end],
        )
        return
    powers = np.empty((end - begin, n_fft // 2 + 1), dtype=signal.dtype)
    _power_chunk(signal, frame_starts[begin:end], constants, power, powers, fft_dtype)
    project_mel(powers, constants, db[begin:end])


def project_mel(powers, constants, out):
    """``out = powers @ mel_basis.T``, sparse when that pays."""
    if constants.mel_sparse is None:
        np.matmul(
            powers, constants.mel_basis_t.astype(powers.dtype, copy=False), out=out
        )
    else:
        weights, lo, hi, offsets = constants.mel_sparse
        kernels.sparse_mel(
            powers, weights.astype(powers.dtype, copy=False), lo, hi, offsets, out
        )
