"""The lane FFT of MFCC (``_fft_numba``) against NumPy's and scipy's FFTs."""

import numpy as np
import pytest
import scipy.fft
from numpy.lib.stride_tricks import as_strided

from skmm.audio import _fft_numba
from skmm.audio._filters import mel
from skmm.audio._mfcc_cpu import filter_supports


def _frames(rng, n_fft, n_frames, dtype):
    """A signal with clicks, frame starts at an uneven hop, the frames."""
    hop = max(1, n_fft // 3 + 1)
    signal = rng.standard_normal(hop * (n_frames - 1) + n_fft + 5)
    signal[::97] += 30.0
    signal = signal.astype(dtype)
    starts = np.arange(n_frames, dtype=np.int64) * hop + 3
    frames = as_strided(
        signal[3:],
        shape=(n_frames, n_fft),
        strides=(hop * signal.itemsize, signal.itemsize),
        writeable=False,
    )
    return signal, starts, frames


def _identity_filters(n_bins):
    """One filter per bin, of weight 1: ``mel_frames`` gives the spectrum."""
    return filter_supports(np.eye(n_bins))


def _mel_frames(signal, starts, window, power, supports, n_out, dtype=np.float64):
    out = np.empty((starts.shape[0], n_out), dtype=dtype)
    n_fft = window.shape[0]
    _fft_numba.mel_frames(
        signal,
        starts,
        window,
        *_fft_numba.plan(n_fft, window.dtype),
        float(power),
        *supports,
        out,
    )
    return out


@pytest.mark.parametrize("n_fft", [16, 32, 64, 128, 256, 512, 1024, 2048, 4096])
def test_power_spectrum_is_as_accurate_as_numpys(n_fft):
    # Every frame count around the 64-frame blocks (partial last blocks);
    # radix-4 lengths and those with a last radix-2 pass.
    rng = np.random.default_rng(n_fft)
    window = np.hanning(n_fft + 1)[:-1]
    for n_frames in (1, 63, 64, 65, 130):
        signal, starts, frames = _frames(rng, n_fft, n_frames, np.float64)
        windowed = frames * window
        got = _mel_frames(
            signal,
            starts,
            window,
            2.0,
            _identity_filters(n_fft // 2 + 1),
            n_fft // 2 + 1,
        )
        numpy = np.abs(np.fft.rfft(windowed, axis=1)) ** 2
        # The truth, from scipy's long double FFT.
        exact = np.abs(scipy.fft.rfft(windowed.astype(np.longdouble), axis=1)) ** 2
        exact = exact.astype(np.float64)
        scale = exact.max(axis=1, keepdims=True)
        ours = np.abs(got - exact) / scale
        theirs = np.abs(numpy - exact) / scale
        assert ours.max() <= max(4 * theirs.max(), 4e-16), (n_frames, ours.max())
        np.testing.assert_allclose(got, numpy, rtol=1e-9, atol=1e-14 * scale.max())


@pytest.mark.parametrize("n_fft", [64, 512, 2048])
def test_float32_transform_as_scipys(n_fft):
    rng = np.random.default_rng(1)
    window64 = np.hanning(n_fft + 1)[:-1]
    window = window64.astype(np.float32)
    signal, starts, frames = _frames(rng, n_fft, 100, np.float32)
    supports = _identity_filters(n_fft // 2 + 1)
    got = _mel_frames(signal, starts, window, 2.0, supports, n_fft // 2 + 1)
    scipys = np.abs(scipy.fft.rfft(frames * window, axis=1)) ** 2
    exact = np.abs(np.fft.rfft(frames.astype(np.float64) * window64, axis=1)) ** 2
    scale = exact.max(axis=1, keepdims=True)
    ours = (np.abs(got - exact) / scale).max()
    theirs = (np.abs(scipys - exact) / scale).max()
    assert ours <= 4 * theirs, (ours, theirs)
    assert ours < 1e-5


@pytest.mark.parametrize("power", [1.0, 2.0, 1.5])
@pytest.mark.parametrize("setting", [dict(n_mels=40), dict(n_mels=128, htk=True)])
def test_mel_projection_equals_the_dense_product(power, setting):
    rng = np.random.default_rng(2)
    n_fft = 512
    window = np.hanning(n_fft + 1)[:-1]
    signal, starts, frames = _frames(rng, n_fft, 150, np.float64)
    basis = mel(sr=16000, n_fft=n_fft, **setting)
    got = _mel_frames(signal, starts, window, power, filter_supports(basis), len(basis))
    magnitude = np.abs(np.fft.rfft(frames * window, axis=1))
    expected = magnitude**power @ basis.T
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)
    # float32 output: the float64 sums, rounded once.
    got32 = _mel_frames(
        signal, starts, window, power, filter_supports(basis), len(basis), np.float32
    )
    np.testing.assert_array_equal(got32, got.astype(np.float32))


def test_filter_supports_rebuild_the_filters():
    basis = mel(sr=8000, n_fft=256, n_mels=64)
    basis[5] = 0.0  # a filter without support
    weights, lo, hi, offsets = filter_supports(basis)
    assert weights.dtype == np.float64
    assert lo[5] == hi[5] == 0 and offsets[6] == offsets[5]
    rebuilt = np.zeros_like(basis)
    for m in range(basis.shape[0]):
        rebuilt[m, lo[m] : hi[m]] = weights[offsets[m] : offsets[m + 1]]
    np.testing.assert_array_equal(rebuilt, basis)


def test_supported_sizes_and_plans():
    assert [n for n in range(2, 9000) if _fft_numba.supported(n)] == [
        2**k for k in range(4, 13)
    ]
    plan = _fft_numba.plan(512, np.dtype(np.float32))
    assert all(a.dtype == np.float32 and not a.flags.writeable for a in plan)
    assert _fft_numba.plan(512, np.dtype(np.float32)) is plan
    # 256 = 4^4: four radix-4 passes of 64, 16, 4 and 1 twiddle columns.
    assert plan[0].shape == (3, 64 + 16 + 4 + 1)
