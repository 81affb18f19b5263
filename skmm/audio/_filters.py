"""librosa's analysis windows and mel filter bank, without importing librosa.

Importing librosa takes most of a second, which a first ``MFCC`` call in a
fresh process would otherwise pay for two small matrices. These functions
follow ``librosa.filters.get_window``, ``librosa.util.pad_center`` and
``librosa.filters.mel`` (librosa 0.10 and 0.11) operation for operation, so
that they give the same numbers; a test compares them with librosa's over
many settings.
"""

import numbers
import warnings

import numpy as np

# Generalised Hamming windows computed as scipy.signal's general_cosine does,
# operation for operation (the same bits, tested): importing scipy.signal
# took 0.2 to 0.4 s of a first MFCC call in a fresh process.
_COSINE_WINDOWS = {"hann": (0.5, 1.0 - 0.5), "hamming": (0.54, 1.0 - 0.54)}


def _periodic_cosine_window(coefficients, n):
    if n == 1:
        return np.ones(1)
    # Periodic: n + 1 points of the symmetric window, the last dropped.
    fac = np.linspace(-np.pi, np.pi, n + 1, dtype=np.float64)
    w = np.zeros(n + 1, dtype=np.float64)
    for k, a in enumerate(coefficients):
        w += a * np.cos(k * fac)
    return w[:-1]


def get_window(window, n):
    """``librosa.filters.get_window(window, n, fftbins=True)``."""
    if callable(window):
        return window(n)
    if (
        isinstance(window, str)
        and window in _COSINE_WINDOWS
        and isinstance(n, numbers.Integral)
        and n > 0
    ):
        return _periodic_cosine_window(_COSINE_WINDOWS[window], int(n))
    if isinstance(window, str | tuple) or np.isscalar(window):
        import scipy.signal

        return scipy.signal.get_window(window, n, fftbins=True)
    if isinstance(window, np.ndarray | list):
        if len(window) == n:
            return np.asarray(window)
        raise ValueError(f"Window size mismatch: {len(window):d} != {n:d}")
    raise ValueError(f"Invalid window specification: {window!r}")


def padded_window(window, win_length, n_fft):
    """The analysis window of length ``win_length`` centred in ``n_fft``
    samples, as ``librosa.stft`` builds it."""
    window = get_window(window, win_length)
    lpad = (n_fft - window.shape[0]) // 2
    return np.pad(window, (lpad, n_fft - window.shape[0] - lpad))


def fft_frequencies(sr, n_fft):
    """Centre frequency of each ``rfft`` bin, ``librosa.fft_frequencies``."""
    return np.fft.rfftfreq(n=n_fft, d=1.0 / sr)


_F_SP = 200.0 / 3
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOGSTEP = np.log(6.4) / 27.0


def _hz_to_mel(frequency, htk):
    if htk:
        return 2595.0 * np.log10(1.0 + frequency / 700.0)
    if frequency >= _MIN_LOG_HZ:
        return _MIN_LOG_MEL + np.log(frequency / _MIN_LOG_HZ) / _LOGSTEP
    return frequency / _F_SP


def _mel_to_hz(mels, htk):
    if htk:
        return 700.0 * (10.0 ** (mels / 2595.0) - 1.0)
    freqs = _F_SP * mels
    log_t = mels >= _MIN_LOG_MEL
    freqs[log_t] = _MIN_LOG_HZ * np.exp(_LOGSTEP * (mels[log_t] - _MIN_LOG_MEL))
    return freqs


def mel(*, sr, n_fft, n_mels=128, fmin=0.0, fmax=None, htk=False, norm="slaney"):
    """``librosa.filters.mel(...)``: float32 weights of shape
    ``(n_mels, 1 + n_fft // 2)``, warning as librosa does of empty filters."""
    if fmax is None:
        fmax = float(sr) / 2
    weights = np.zeros((n_mels, 1 + n_fft // 2), dtype=np.float32)
    fftfreqs = fft_frequencies(sr, n_fft)
    mel_f = _mel_to_hz(
        np.linspace(_hz_to_mel(fmin, htk), _hz_to_mel(fmax, htk), n_mels + 2), htk
    )
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fftfreqs)
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    if norm == "slaney":
        enorm = 2.0 / (mel_f[2 : n_mels + 2] - mel_f[:n_mels])
        weights *= enorm[:, np.newaxis]
    elif norm is not None:
        weights = _normalize_rows(weights, norm)
    if not np.all((mel_f[:-2] == 0) | (weights.max(axis=1) > 0)):
        warnings.warn(
            "Empty filters detected in mel frequency basis. "
            "Some channels will produce empty responses. "
            "Try increasing your sampling rate (and fmax) or "
            "reducing n_mels.",
            stacklevel=3,
        )
    return weights


def _normalize_rows(weights, norm):
    """``librosa.util.normalize(weights, norm=norm, axis=-1)`` for finite
    weights and a positive or infinite ``norm``."""
    magnitude = np.abs(weights).astype(float)
    if norm == np.inf:
        length = magnitude.max(axis=-1, keepdims=True)
    elif norm == -np.inf:
        length = magnitude.min(axis=-1, keepdims=True)
    elif norm == 0:
        length = np.sum(magnitude > 0, axis=-1, keepdims=True, dtype=float)
    else:
        length = np.sum(magnitude**norm, axis=-1, keepdims=True) ** (1.0 / norm)
    length[length < np.finfo(weights.dtype).tiny] = 1.0
    out = np.empty_like(weights)
    out[:] = weights / length
    return out
