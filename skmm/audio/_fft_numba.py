"""Mel spectra of many frames by a Numba FFT that runs frames in SIMD lanes.

NumPy's and scipy's FFTs (pocketfft) transform one frame at a time: for the
short transforms of speech features (``n_fft`` of 256 to 1024) that costs
about 2 us per 512-point frame on the development machine, half of an MFCC's
time. Here a block of frames is transformed together, laid out with the
frame innermost (``(n_fft // 2, frames)``), so that every butterfly is one
vectorised loop over the frames:

- the real frame of ``n_fft`` samples is windowed and packed as ``n_fft // 2``
  complex values (even samples real, odd ones imaginary);
- a radix-4 Stockham FFT (a radix-2 pass last when ``n_fft // 2`` is not a
  power of 4) transforms them, ping-ponging between two buffers (no bit
  reversal);
- the usual split gives the ``n_fft // 2 + 1`` bins of the real FFT, and
  only their power ``re ** 2 + im ** 2`` is kept, in the cache, where each
  mel filter adds up its few bins for all frames of the block at once (a
  sparse projection that vectorises; the spectra are never stored).

Twiddle factors come from NumPy's complex exponential in float64, so the
result is as accurate as pocketfft's (relative error of a few 1e-16 of each
frame's energy). ``plan`` builds them once per ``(n_fft, dtype)``.
"""

import functools

import numpy as np
from numba import njit

# Frames transformed together: 64 float64 lanes keep a 512-point frame's two
# buffers (2 x 256 x 64 complex values, 512 KiB) within the L2 cache, and
# amortise each butterfly's set-up over enough lanes.
_LANES = 64


def supported(n_fft):
    """Whether :func:`mel_frames` takes this ``n_fft``: a power of two from
    16 to 4096 (longer frames no longer fit the cache with enough lanes)."""
    return 16 <= n_fft <= 4096 and n_fft & (n_fft - 1) == 0


@functools.lru_cache(maxsize=16)
def plan(n_fft, dtype):
    """``(stage_r, stage_i, split_r, split_i)`` for :func:`mel_frames`:
    the radix-4 passes' twiddles ``W_n^p, W_n^2p, W_n^3p`` (rows) for each
    pass's length ``n`` in turn, concatenated along the columns, and the
    split's ``W_N^k`` for ``k < n_fft // 2``, in ``dtype``. Read-only."""
    m = n_fft // 2
    parts = []
    n = m
    while n >= 4:
        p = np.arange(n // 4)
        parts.append(np.exp(-2j * np.pi * np.outer([1, 2, 3], p) / n))
        n //= 4
    stage = np.concatenate(parts, axis=1) if parts else np.ones((3, 0), complex)
    split = np.exp(-2j * np.pi * np.arange(m) / n_fft)
    arrays = tuple(
        np.ascontiguousarray(a, dtype=dtype)
        for a in (stage.real, stage.imag, split.real, split.imag)
    )
    for a in arrays:
        a.setflags(write=False)
    return arrays


@njit(cache=True, nogil=True)
def _fft(xr, xi, yr, yi, stage_r, stage_i):
    """Complex FFT of every column of ``xr + 1j xi`` ``(m, lanes)``, ``m`` a
    power of two; ``y`` is the other buffer. Returns True when the result
    is in ``y``, False when in ``x``."""
    m, lanes = xr.shape
    src_r, src_i, dst_r, dst_i = xr, xi, yr, yi
    in_y = False
    n = m
    stride = 1
    offset = 0
    while n >= 4:
        quarter = n // 4
        for p in range(quarter):
            w1r = stage_r[0, offset + p]
            w1i = stage_i[0, offset + p]
            w2r = stage_r[1, offset + p]
            w2i = stage_i[1, offset + p]
            w3r = stage_r[2, offset + p]
            w3i = stage_i[2, offset + p]
            for q in range(stride):
                ia = q + stride * p
                ib = ia + stride * quarter
                ic = ib + stride * quarter
                id_ = ic + stride * quarter
                o0 = q + 4 * stride * p
                o1 = o0 + stride
                o2 = o1 + stride
                o3 = o2 + stride
                for t in range(lanes):
                    ar = src_r[ia, t]
                    ai = src_i[ia, t]
                    br = src_r[ib, t]
                    bi = src_i[ib, t]
                    cr = src_r[ic, t]
                    ci = src_i[ic, t]
                    dr = src_r[id_, t]
                    di = src_i[id_, t]
                    apc_r = ar + cr
                    apc_i = ai + ci
                    amc_r = ar - cr
                    amc_i = ai - ci
                    bpd_r = br + dr
                    bpd_i = bi + di
                    # 1j * (b - d)
                    jbmd_r = di - bi
                    jbmd_i = br - dr
                    dst_r[o0, t] = apc_r + bpd_r
                    dst_i[o0, t] = apc_i + bpd_i
                    ur = amc_r - jbmd_r
                    ui = amc_i - jbmd_i
                    dst_r[o1, t] = ur * w1r - ui * w1i
                    dst_i[o1, t] = ur * w1i + ui * w1r
                    ur = apc_r - bpd_r
                    ui = apc_i - bpd_i
                    dst_r[o2, t] = ur * w2r - ui * w2i
                    dst_i[o2, t] = ur * w2i + ui * w2r
                    ur = amc_r + jbmd_r
                    ui = amc_i + jbmd_i
                    dst_r[o3, t] = ur * w3r - ui * w3i
                    dst_i[o3, t] = ur * w3i + ui * w3r
        src_r, dst_r = dst_r, src_r
        src_i, dst_i = dst_i, src_i
        in_y = not in_y
        offset += quarter
        stride *= 4
        n = quarter
    if n == 2:
        for q in range(stride):
            o1 = q + stride
            for t in range(lanes):
                ar = src_r[q, t]
                br = src_r[o1, t]
                dst_r[q, t] = ar + br
                dst_r[o1, t] = ar - br
                ai = src_i[q, t]
                bi = src_i[o1, t]
                dst_i[q, t] = ai + bi
                dst_i[o1, t] = ai - bi
        in_y = not in_y
    return in_y


@njit(cache=True, nogil=True, inline="always")
def _block_powers(
    signal, starts, first, lanes, window, buffers, lane_starts, plan, powers
):
    """``powers[k, t]``: the power of bin ``k`` of frame ``first + t``, for
    ``t < lanes`` (the other lanes hold the power of zeros)."""
    stage_r, stage_i, split_r, split_i = plan
    xr, xi, yr, yi = buffers
    m = xr.shape[0]
    half = xr.dtype.type(0.5)
    if lanes < xr.shape[1]:
        # A last, partial block: the unused lanes transform zeros.
        xr[:] = 0.0
        xi[:] = 0.0
    for t in range(lanes):
        lane_starts[t] = starts[first + t]
    # Sample pair j of every frame, then pair j + 1: contiguous stores.
    for j in range(m):
        w_even = window[2 * j]
        w_odd = window[2 * j + 1]
        for t in range(lanes):
            at = lane_starts[t] + 2 * j
            xr[j, t] = signal[at] * w_even
            xi[j, t] = signal[at + 1] * w_odd
    if _fft(xr, xi, yr, yi, stage_r, stage_i):
        zr, zi = yr, yi
    else:
        zr, zi = xr, xi
    # The real FFT's bins from the packed one: X[k] = E[k] + W^k O[k].
    n_lanes = xr.shape[1]
    for t in range(n_lanes):
        dc = zr[0, t] + zi[0, t]
        nyquist = zr[0, t] - zi[0, t]
        powers[0, t] = dc * dc
        powers[m, t] = nyquist * nyquist
    for k in range(1, m):
        c = split_r[k]
        s = split_i[k]
        for t in range(n_lanes):
            ar = zr[k, t]
            ai = zi[k, t]
            br = zr[m - k, t]
            bi = -zi[m - k, t]
            er = half * (ar + br)
            ei = half * (ai + bi)
            # O = (a - b) / 2j
            o_r = half * (ai - bi)
            o_i = half * (br - ar)
            x_r = er + (c * o_r - s * o_i)
            x_i = ei + (c * o_i + s * o_r)
            powers[k, t] = x_r * x_r + x_i * x_i


@njit(cache=True, nogil=True)
def _scratch(n_fft, dtype):
    m = n_fft // 2
    buffers = (
        np.zeros((m, _LANES), dtype=dtype),
        np.zeros((m, _LANES), dtype=dtype),
        np.empty((m, _LANES), dtype=dtype),
        np.empty((m, _LANES), dtype=dtype),
    )
    return buffers, np.empty(_LANES, dtype=np.int64), np.empty((m + 1, _LANES), dtype)


@njit(cache=True, nogil=True)
def mel_frames(
    signal,
    starts,
    window,
    stage_r,
    stage_i,
    split_r,
    split_i,
    power,
    weights,
    lo,
    hi,
    offsets,
    out,
):
    """``out[f, j] = sum_k weights_j[k] |rfft(window * frame f)[k]| **
    power``: the mel spectrogram of the frames at ``starts``, without
    storing their spectra. Filter ``j`` has the weights ``weights[offsets[j]
    : offsets[j + 1]]`` on bins ``lo[j]`` to ``hi[j] - 1`` (see
    ``_mfcc_cpu.filter_supports``); each bin's weight is added in bin order,
    all frames of a block at once, in float64. ``power`` 2 is the power, 1
    the magnitude; others raise the magnitude (float64) to it."""
    n_fft = window.shape[0]
    n_mels = lo.shape[0]
    buffers, lane_starts, powers = _scratch(n_fft, window.dtype)
    plan = (stage_r, stage_i, split_r, split_i)
    mel = np.empty((n_mels, _LANES))
    for first in range(0, starts.shape[0], _LANES):
        lanes = min(_LANES, starts.shape[0] - first)
        _block_powers(
            signal, starts, first, lanes, window, buffers, lane_starts, plan, powers
        )
        if power != 2.0:
            for k in range(n_fft // 2 + 1):
                for t in range(_LANES):
                    magnitude = np.sqrt(np.float64(powers[k, t]))
                    powers[k, t] = magnitude if power == 1.0 else magnitude**power
        for j in range(n_mels):
            mel[j, :] = 0.0
            for k in range(lo[j], hi[j]):
                w = weights[offsets[j] + k - lo[j]]
                for t in range(_LANES):
                    mel[j, t] += w * powers[k, t]
        for t in range(lanes):
            for j in range(n_mels):
                out[first + t, j] = mel[j, t]
