"""skmm's copies of librosa's window and mel filter bank equal librosa's, and
a first MFCC call does not import librosa."""

import subprocess
import sys
import warnings

import librosa
import numpy as np
import pytest

from skmm.audio import _filters

_WINDOWS = ["hann", "hamming", ("kaiser", 8.0), "blackman", 3.5, np.ones(300)]


@pytest.mark.parametrize("window", _WINDOWS, ids=str)
@pytest.mark.parametrize("sizes", [(300, 300), (300, 511), (300, 1024)])
def test_padded_window_equals_librosa(window, sizes):
    win_length, n_fft = sizes
    expected = librosa.util.pad_center(
        librosa.filters.get_window(window, win_length, fftbins=True), size=n_fft
    )
    got = _filters.padded_window(window, win_length, n_fft)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("window", ["hann", "hamming"])
def test_cosine_windows_equal_scipy_bit_for_bit(window):
    # Computed without importing scipy.signal; the same bits at every size.
    import scipy.signal

    for n in [1, 2, 3, 4, 5, 255, 256, 300, 400, 511, 512, 1023, 1024, 2048, 4096]:
        expected = scipy.signal.get_window(window, n, fftbins=True)
        got = _filters.get_window(window, n)
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_array_equal(got, expected)
    # Sizes scipy refuses still reach scipy, and its error.
    with pytest.raises(ValueError, match="not a positive integer"):
        _filters.get_window(window, 0)


def test_window_size_mismatch_raises():
    with pytest.raises(ValueError, match="Window size mismatch"):
        _filters.get_window(np.ones(3), 4)


def _mel_settings():
    rng = np.random.default_rng(0)
    for _ in range(25):
        sr = int(rng.choice([8000, 16000, 22050, 44100]))
        n_fft = int(rng.choice([255, 512, 1023, 2048]))
        fmin = float(rng.choice([0.0, 30.0, 300.0]))
        fmax = None if rng.random() < 0.5 else float(rng.uniform(fmin + 1500, sr / 2))
        norm = [None, "slaney", 1.0, 2.0, np.inf][int(rng.integers(5))]
        yield dict(
            sr=sr,
            n_fft=n_fft,
            n_mels=int(rng.choice([10, 40, 64])),
            fmin=fmin,
            fmax=fmax,
            htk=bool(rng.random() < 0.5),
            norm=norm,
        )


@pytest.mark.parametrize("setting", list(_mel_settings()), ids=str)
def test_mel_filter_bank_equals_librosa(setting):
    with warnings.catch_warnings(record=True) as expected_warnings:
        warnings.simplefilter("always")
        expected = librosa.filters.mel(**setting)
    with warnings.catch_warnings(record=True) as got_warnings:
        warnings.simplefilter("always")
        got = _filters.mel(**setting)
    assert got.dtype == expected.dtype == np.float32
    np.testing.assert_array_equal(got, expected)
    assert [str(w.message) for w in got_warnings] == [
        str(w.message) for w in expected_warnings
    ]


def test_fft_frequencies_equal_librosa():
    for sr, n_fft in [(22050, 2048), (16000, 511)]:
        np.testing.assert_array_equal(
            _filters.fft_frequencies(sr, n_fft),
            librosa.fft_frequencies(sr=sr, n_fft=n_fft),
        )


def test_first_mfcc_call_does_not_import_librosa():
    code = (
        "import sys, numpy as np\n"
        "from skmm.audio import MFCC\n"
        "x = np.random.default_rng(0).standard_normal(16000).astype(np.float32)\n"
        "MFCC(sr=16000, n_mels=40, n_fft=512, hop_length=160).fit_transform([x])\n"
        "print('librosa' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
