"""Frame features beyond MFCC, equal to librosa's, sharing one STFT per batch.

``MelSpectrogram``, ``Chroma``, ``SpectralContrast`` and ``SpectralShape``
each compute one of librosa's frame features for many clips at a time, with
the batching of :class:`~skmm.audio.MFCC`; ``AudioFeatures`` computes several
of them (MFCC included) from one STFT of each batch.
"""

import numbers
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from skmm.audio import _features_xp as xpf
from skmm.audio._framing import _FramedAudioMixin
from skmm.audio._mfcc import _PAD_MODES, MFCC
from skmm.base import PerSampleOutputMixin, StatelessMixin, with_input_kind
from skmm.utils._device import resolve_device

_SHARED = ("sr", "n_fft", "hop_length", "win_length", "window", "center", "pad_mode")

_STFT_CONSTRAINTS = {
    "sr": [Interval(numbers.Integral, 1, None, closed="left")],
    "n_fft": [Interval(numbers.Integral, 2, None, closed="left")],
    "hop_length": [Interval(numbers.Integral, 1, None, closed="left")],
    "win_length": [Interval(numbers.Integral, 1, None, closed="left"), None],
    "window": "no_validation",
    "center": ["boolean"],
    "pad_mode": [StrOptions(set(_PAD_MODES))],
    "pooling": [tuple, list, None],
    "device": [StrOptions({"cpu", "cuda", "auto"})],
    "n_jobs": [None, numbers.Integral],
    "verbose": ["verbose"],
}


@dataclass(frozen=True)
class _StftConstants:
    window: np.ndarray
    window_taps: np.ndarray | None
    hop_length: int
    max_frames: int
    freq: np.ndarray  # centre frequency of each bin, float64


class _Spectrum:
    """One batch's STFT, computed once and shared by every feature."""

    def __init__(self, owner, clips, n_frames, stft, device, n_threads):
        self.owner, self.clips, self.n_frames = owner, clips, n_frames
        self.signal, self.starts, self.offsets = owner._frame_layout(clips, n_frames)
        self.stft, self.device, self.n_threads = stft, device, n_threads
        if device == "cuda":
            import cupy

            self.xp = cupy
        else:
            self.xp = np
        self.freq = self.xp.asarray(stft.freq)
        self._powers = {}

    def power(self, p):
        """``|STFT| ** p`` of every frame of the batch."""
        if p not in self._powers:
            if p == 2.0:
                if self.device == "cuda":
                    from skmm.audio import _mfcc_xp

                    P = _mfcc_xp.power_spectrum(
                        self.signal,
                        self.starts,
                        self.stft,
                        2.0,
                        self.xp,
                        fft_dtype=np.float64,
                    )
                else:
                    from skmm.audio import _mfcc_cpu

                    P = _mfcc_cpu.power_spectrum(
                        self.signal,
                        self.starts,
                        self.stft,
                        2.0,
                        self.n_threads,
                        fft_dtype=np.float64,
                    )
            elif p == 1.0:
                P = self.xp.sqrt(self.power(2.0))
            else:
                P = self.power(1.0) ** p
            self._powers[p] = P
        return self._powers[p]

    def time_feature(self, name, pad_mode):
        """RMS ("rms") or zero-crossing rate ("zcr") of every frame, the clips
        padded with ``pad_mode``."""
        if pad_mode == self.owner.pad_mode or not self.owner.center:
            signal = self.signal
        else:
            signal, _, _ = self.owner._frame_layout(self.clips, self.n_frames, pad_mode)
        n_fft = self.stft.window.shape[0]
        if self.device == "cpu":
            from skmm.audio import _features_numba

            out = np.empty(self.starts.shape[0])
            if name == "rms":
                _features_numba.rms(signal, self.starts, n_fft, out)
            else:
                _features_numba.zero_crossing_rate(
                    signal, self.starts, n_fft, 1e-10, out
                )
            return out
        xp = self.xp
        index = xp.asarray(self.starts)[:, None] + xp.arange(n_fft)[None, :]
        frames = xp.asarray(signal)[index]
        if name == "rms":
            return xpf.rms(frames)
        return xpf.zero_crossing_rate(frames)


class _SpectralFeatures(
    _FramedAudioMixin,
    StatelessMixin,
    PerSampleOutputMixin,
    TransformerMixin,
    BaseEstimator,
):
    """Shared by the spectral features: parameters of the STFT, fit,
    transform, feature names. Subclasses give ``_frame_names`` and
    ``_compute(spectrum, constants)``."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.one_d_array = True
        return with_input_kind(tags, "waveform")

    def _check_params(self):
        if self.win_length is not None and self.win_length > self.n_fft:
            raise ValueError(
                f"win_length={self.win_length} must be at most n_fft={self.n_fft}."
            )
        if self.pooling is not None:
            from skmm.encode._pooling import _check_stats

            _check_stats(self.pooling)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X=None, y=None):
        """Check the parameters and resolve the device; learns nothing.

        Parameters
        ----------
        X : ignored
        y : ignored

        Returns
        -------
        self : object
        """
        self._check_params()
        self.device_ = resolve_device(self.device)
        self.n_features_frame_ = len(self._frame_names())
        return self

    def _frame_width(self):
        return len(self._frame_names())

    def _stft_constants(self, dtype):
        from skmm.audio import _filters
        from skmm.audio._mfcc_cpu import spectral_taps

        window = _filters.padded_window(
            self.window, self.win_length or self.n_fft, self.n_fft
        )
        return _StftConstants(
            window=window,  # float64, as librosa's
            # The FFT runs in float64. A cosine window applied after it (as
            # MFCC's fast path, reading frames in place) leaves rounding of
            # the rectangular window's leakage in the weakest bins, which
            # bandwidth and contrast's valleys weigh: far below float32's
            # rounding, but not below float64's, so float64 clips are
            # windowed before the FFT, as librosa does.
            window_taps=spectral_taps(window) if dtype == np.float32 else None,
            hop_length=self.hop_length,
            max_frames=max(1, 8 * 2**20 // (self.n_fft * np.dtype(dtype).itemsize)),
            freq=_filters.fft_frequencies(self.sr, self.n_fft),
        )

    def _constants(self, dtype, device):
        return self._stft_constants(dtype), self._own_constants(dtype, device)

    def _own_constants(self, dtype, device):
        return None

    def _batch(self, clips, n_frames, constants, device, n_threads):
        stft, own = constants
        spectrum = _Spectrum(self, clips, n_frames, stft, device, n_threads)
        dtype = spectrum.signal.dtype
        with np.errstate(over="ignore", invalid="ignore"):
            frames = self._compute(spectrum, own)
        return spectrum.xp.ascontiguousarray(frames.astype(dtype)), spectrum.offsets

    def transform(self, X):
        """Compute the features of each clip.

        Parameters
        ----------
        X : list of 1-D float arrays, pandas Series, one-column DataFrame \
                or array of shape (n_clips, n_samples)
            One mono waveform per sample (float32 or float64), sampled at
            ``sr``.

        Returns
        -------
        features : ndarray of shape (n_samples, n_features) or list of ndarray
            Pooled statistics, one row per clip; or, with ``pooling=None``,
            one ``(n_frames, n_features_frame_)`` array per clip.

        Raises
        ------
        ValueError
            If a clip is missing, empty, multi-channel, holds NaN or inf, has
            another sample rate, or is too short for ``center=False``; the
            message names the clip.
        """
        fitted = self._fitted_for(X)
        if fitted is not self:
            return fitted.transform(X)
        return self._extract(X)

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns: ``{feature}_{i}`` per frame, with
        ``_{statistic}`` appended when pooled (``chroma_3_mean``).

        Parameters
        ----------
        input_features : ignored

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        return _pooled_names(self._frame_names(), self.pooling)


def _pooled_names(frame_names, pooling):
    if pooling is None:
        return np.asarray(frame_names, dtype=object)
    return np.asarray(
        [f"{name}_{stat}" for stat in pooling for name in frame_names], dtype=object
    )


class MelSpectrogram(_SpectralFeatures):
    """Mel spectrogram, equal to ``librosa.feature.melspectrogram`` (and to
    ``librosa.power_to_db`` of it with ``to_db=True``).

    Parameters
    ----------
    sr : int, default=22050
        Sample rate of the input in Hz; waveforms that carry their own rate
        must agree with it, else ``transform`` raises.
    n_fft : int, default=2048
        FFT length (odd lengths are allowed); also the frame length of the
        time-domain features.
    hop_length : int, default=512
        Samples between successive frames.
    win_length : int, default=None
        Window length, at most ``n_fft``; None means ``n_fft``.
    window : str, tuple, float, callable or array-like, default="hann"
        Anything ``librosa.filters.get_window`` accepts.
    center : bool, default=True
        Pad each clip by ``n_fft // 2`` on both sides, as librosa does.
    pad_mode : str, default="constant"
        ``numpy.pad`` mode of that padding.
    power : float, default=2.0
        Exponent of the magnitude spectrogram.
    n_mels : int, default=128
        Number of mel bands.
    fmin : float, default=0.0
        Lowest frequency of the filter bank, in Hz.
    fmax : float, default=None
        Highest frequency; None means ``sr / 2``.
    htk : bool, default=False
        HTK mel scale instead of Slaney's.
    norm : {"slaney"}, float or None, default="slaney"
        Normalisation of the mel filters.
    to_db : bool, default=False
        Return ``librosa.power_to_db`` of the mel spectrogram, per clip.
    ref : float or {"max"}, default=1.0
        ``ref`` of ``power_to_db``; "max" is ``ref=np.max`` (per clip).
    amin : float, default=1e-10
        ``amin`` of ``power_to_db``.
    top_db : float or None, default=80.0
        ``top_db`` of ``power_to_db``: floor at each clip's maximum minus it.
    pooling : tuple of str or None, default=("mean", "std")
        Statistics over the frames of each clip, concatenated statistic by
        statistic; None returns each clip's frames as a descriptor set.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where to compute, as :class:`~skmm.audio.MFCC`.
    n_jobs : int, default=None
        Threads computing batches of clips on the CPU, as
        :class:`~skmm.audio.MFCC`.
    verbose : bool or int, default=False
        Show a progress bar counting the clips done.

    Attributes
    ----------
    n_features_frame_ : int
        Number of features per frame.
    device_ : {{"cpu", "cuda"}}
        The device ``transform`` computes on.

    See Also
    --------
    skmm.audio.AudioFeatures : Several features from one STFT.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.audio import MelSpectrogram
    >>> rng = np.random.default_rng(0)
    >>> clips = [rng.standard_normal(n).astype(np.float32) for n in (8000, 12000)]
    >>> MelSpectrogram(sr=16000, n_mels=40, to_db=True).fit_transform(clips).shape
    (2, 80)
    """

    _parameter_constraints: dict = {
        **_STFT_CONSTRAINTS,
        "power": [Interval(numbers.Real, 0, None, closed="neither")],
        "n_mels": [Interval(numbers.Integral, 1, None, closed="left")],
        "fmin": [Interval(numbers.Real, 0, None, closed="left")],
        "fmax": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "htk": ["boolean"],
        "norm": [StrOptions({"slaney"}), numbers.Real, None],
        "to_db": ["boolean"],
        "ref": [StrOptions({"max"}), Interval(numbers.Real, 0, None, closed="neither")],
        "amin": [Interval(numbers.Real, 0, None, closed="neither")],
        "top_db": [Interval(numbers.Real, 0, None, closed="left"), None],
    }

    def __init__(
        self,
        *,
        sr=22050,
        n_fft=2048,
        hop_length=512,
        win_length=None,
        window="hann",
        center=True,
        pad_mode="constant",
        power=2.0,
        n_mels=128,
        fmin=0.0,
        fmax=None,
        htk=False,
        norm="slaney",
        to_db=False,
        ref=1.0,
        amin=1e-10,
        top_db=80.0,
        pooling=("mean", "std"),
        device="cpu",
        n_jobs=None,
        verbose=False,
    ):
        self.sr = sr
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.win_length = win_length
        self.window = window
        self.center = center
        self.pad_mode = pad_mode
        self.power = power
        self.n_mels = n_mels
        self.fmin = fmin
        self.fmax = fmax
        self.htk = htk
        self.norm = norm
        self.to_db = to_db
        self.ref = ref
        self.amin = amin
        self.top_db = top_db
        self.pooling = pooling
        self.device = device
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _check_params(self):
        super()._check_params()
        if self.fmax is not None and self.fmax > self.sr / 2:
            raise ValueError(
                f"fmax={self.fmax} is above the Nyquist frequency {self.sr / 2} "
                f"of sr={self.sr}."
            )

    def _frame_names(self):
        return [f"mel_{i}" for i in range(self.n_mels)]

    def _own_constants(self, dtype, device):
        from skmm.audio import _filters

        basis = _filters.mel(
            sr=self.sr,
            n_fft=self.n_fft,
            n_mels=self.n_mels,
            fmin=self.fmin,
            fmax=self.fmax,
            htk=self.htk,
            norm=self.norm,
        )
        return np.ascontiguousarray(basis.T, dtype=dtype)

    def _compute(self, spectrum, basis_t):
        P = spectrum.power(float(self.power))
        mel = P @ spectrum.xp.asarray(basis_t)
        if not self.to_db:
            return mel
        return xpf.power_to_db(mel, spectrum.offsets, self.ref, self.amin, self.top_db)


class Chroma(_SpectralFeatures):
    """Chromagram from the STFT, equal to ``librosa.feature.chroma_stft``.

    With ``tuning=None`` each clip's tuning is estimated as librosa does
    (``librosa.estimate_tuning`` of its power spectrogram: ``piptrack``'s
    peaks and a histogram of their deviations), and its frames are projected
    on the chroma filters of that tuning.

    Parameters
    ----------
    sr : int, default=22050
        Sample rate of the input in Hz; waveforms that carry their own rate
        must agree with it, else ``transform`` raises.
    n_fft : int, default=2048
        FFT length (odd lengths are allowed); also the frame length of the
        time-domain features.
    hop_length : int, default=512
        Samples between successive frames.
    win_length : int, default=None
        Window length, at most ``n_fft``; None means ``n_fft``.
    window : str, tuple, float, callable or array-like, default="hann"
        Anything ``librosa.filters.get_window`` accepts.
    center : bool, default=True
        Pad each clip by ``n_fft // 2`` on both sides, as librosa does.
    pad_mode : str, default="constant"
        ``numpy.pad`` mode of that padding.
    norm : float or None, default=inf
        Normalisation of each frame's chroma vector (``librosa.util.normalize``).
    tuning : float or None, default=None
        Deviation from A440 in fractions of a chroma bin; None estimates it
        per clip.
    n_chroma : int, default=12
        Number of chroma bins.
    ctroct : float, default=5.0
        Centre octave of the filters' Gaussian weighting.
    octwidth : float or None, default=2
        Width of that weighting, in octaves; None disables it.
    base_c : bool, default=True
        Start the filter bank at C rather than A.
    pooling : tuple of str or None, default=("mean", "std")
        Statistics over the frames of each clip, concatenated statistic by
        statistic; None returns each clip's frames as a descriptor set.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where to compute, as :class:`~skmm.audio.MFCC`.
    n_jobs : int, default=None
        Threads computing batches of clips on the CPU, as
        :class:`~skmm.audio.MFCC`.
    verbose : bool or int, default=False
        Show a progress bar counting the clips done.

    Attributes
    ----------
    n_features_frame_ : int
        Number of features per frame.
    device_ : {{"cpu", "cuda"}}
        The device ``transform`` computes on.

    See Also
    --------
    skmm.audio.AudioFeatures : Several features from one STFT.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.audio import Chroma
    >>> t = np.arange(22050) / 22050
    >>> tone = np.sin(2 * np.pi * 440 * t).astype(np.float32)
    >>> chroma = Chroma(pooling=("mean",)).fit_transform([tone])
    >>> int(chroma.argmax())  # A, counting from C
    9
    """

    _parameter_constraints: dict = {
        **_STFT_CONSTRAINTS,
        "norm": [numbers.Real, None],
        "tuning": [Interval(numbers.Real, -0.5, 0.5, closed="both"), None],
        "n_chroma": [Interval(numbers.Integral, 1, None, closed="left")],
        "ctroct": [numbers.Real],
        "octwidth": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "base_c": ["boolean"],
    }

    def __init__(
        self,
        *,
        sr=22050,
        n_fft=2048,
        hop_length=512,
        win_length=None,
        window="hann",
        center=True,
        pad_mode="constant",
        norm=np.inf,
        tuning=None,
        n_chroma=12,
        ctroct=5.0,
        octwidth=2,
        base_c=True,
        pooling=("mean", "std"),
        device="cpu",
        n_jobs=None,
        verbose=False,
    ):
        self.sr = sr
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.win_length = win_length
        self.window = window
        self.center = center
        self.pad_mode = pad_mode
        self.norm = norm
        self.tuning = tuning
        self.n_chroma = n_chroma
        self.ctroct = ctroct
        self.octwidth = octwidth
        self.base_c = base_c
        self.pooling = pooling
        self.device = device
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _frame_names(self):
        return [f"chroma_{i}" for i in range(self.n_chroma)]

    def _filters(self, tuning):
        return xpf.chroma_filters(
            self.sr,
            self.n_fft,
            self.n_chroma,
            float(tuning),
            float(self.ctroct),
            None if self.octwidth is None else float(self.octwidth),
            bool(self.base_c),
        )

    def _compute(self, spectrum, own):
        P = spectrum.power(2.0)
        offsets = spectrum.offsets
        if self.tuning is None:
            tunings = xpf.estimate_tuning(P, self.sr, offsets, self.n_chroma)
        else:
            tunings = [self.tuning] * (offsets.shape[0] - 1)
        return xpf.chroma(P, offsets, tunings, self._filters, self.norm)


class SpectralContrast(_SpectralFeatures):
    """Spectral contrast, equal to ``librosa.feature.spectral_contrast``.

    Parameters
    ----------
    sr : int, default=22050
        Sample rate of the input in Hz; waveforms that carry their own rate
        must agree with it, else ``transform`` raises.
    n_fft : int, default=2048
        FFT length (odd lengths are allowed); also the frame length of the
        time-domain features.
    hop_length : int, default=512
        Samples between successive frames.
    win_length : int, default=None
        Window length, at most ``n_fft``; None means ``n_fft``.
    window : str, tuple, float, callable or array-like, default="hann"
        Anything ``librosa.filters.get_window`` accepts.
    center : bool, default=True
        Pad each clip by ``n_fft // 2`` on both sides, as librosa does.
    pad_mode : str, default="constant"
        ``numpy.pad`` mode of that padding.
    fmin : float, default=200.0
        Upper edge of the lowest band, in Hz.
    n_bands : int, default=6
        Number of octave bands above it (the output has ``n_bands + 1``).
    quantile : float, default=0.02
        Quantile for the peaks and valleys of each band.
    linear : bool, default=False
        Linear difference of peak and valley instead of decibels.
    pooling : tuple of str or None, default=("mean", "std")
        Statistics over the frames of each clip, concatenated statistic by
        statistic; None returns each clip's frames as a descriptor set.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where to compute, as :class:`~skmm.audio.MFCC`.
    n_jobs : int, default=None
        Threads computing batches of clips on the CPU, as
        :class:`~skmm.audio.MFCC`.
    verbose : bool or int, default=False
        Show a progress bar counting the clips done.

    Attributes
    ----------
    n_features_frame_ : int
        Number of features per frame.
    device_ : {{"cpu", "cuda"}}
        The device ``transform`` computes on.

    See Also
    --------
    skmm.audio.AudioFeatures : Several features from one STFT.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.audio import SpectralContrast
    >>> rng = np.random.default_rng(0)
    >>> clips = [rng.standard_normal(n).astype(np.float32) for n in (8000, 12000)]
    >>> SpectralContrast().fit_transform(clips).shape
    (2, 14)
    """

    _parameter_constraints: dict = {
        **_STFT_CONSTRAINTS,
        "fmin": [Interval(numbers.Real, 0, None, closed="neither")],
        "n_bands": [Interval(numbers.Integral, 1, None, closed="left")],
        "quantile": [Interval(numbers.Real, 0, 1, closed="neither")],
        "linear": ["boolean"],
    }

    def __init__(
        self,
        *,
        sr=22050,
        n_fft=2048,
        hop_length=512,
        win_length=None,
        window="hann",
        center=True,
        pad_mode="constant",
        fmin=200.0,
        n_bands=6,
        quantile=0.02,
        linear=False,
        pooling=("mean", "std"),
        device="cpu",
        n_jobs=None,
        verbose=False,
    ):
        self.sr = sr
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.win_length = win_length
        self.window = window
        self.center = center
        self.pad_mode = pad_mode
        self.fmin = fmin
        self.n_bands = n_bands
        self.quantile = quantile
        self.linear = linear
        self.pooling = pooling
        self.device = device
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _check_params(self):
        super()._check_params()
        self._bands()

    def _bands(self):
        from skmm.audio import _filters

        freq = _filters.fft_frequencies(self.sr, self.n_fft)
        return xpf.contrast_bands(freq, self.sr, self.fmin, self.n_bands, self.quantile)

    def _frame_names(self):
        return [f"contrast_{i}" for i in range(self.n_bands + 1)]

    def _own_constants(self, dtype, device):
        return self._bands()

    def _compute(self, spectrum, bands):
        return xpf.contrast(spectrum.power(1.0), bands, spectrum.offsets, self.linear)


class SpectralShape(_SpectralFeatures):
    """Spectral centroid, bandwidth, rolloff and flatness, zero-crossing rate
    and RMS energy, as chosen columns, equal to librosa's functions of those
    names (``spectral_centroid``, ``spectral_bandwidth``,
    ``spectral_rolloff``, ``spectral_flatness``, ``zero_crossing_rate`` and
    ``rms``, the last two with ``frame_length=n_fft``).

    The zero-crossing rate pads centred clips with "edge" as librosa does
    whatever ``pad_mode``; RMS is computed in float64 and rounded to the
    input's precision (``librosa.feature.rms`` squares into float32 unless
    given ``dtype``).

    Parameters
    ----------
    sr : int, default=22050
        Sample rate of the input in Hz; waveforms that carry their own rate
        must agree with it, else ``transform`` raises.
    n_fft : int, default=2048
        FFT length (odd lengths are allowed); also the frame length of the
        time-domain features.
    hop_length : int, default=512
        Samples between successive frames.
    win_length : int, default=None
        Window length, at most ``n_fft``; None means ``n_fft``.
    window : str, tuple, float, callable or array-like, default="hann"
        Anything ``librosa.filters.get_window`` accepts.
    center : bool, default=True
        Pad each clip by ``n_fft // 2`` on both sides, as librosa does.
    pad_mode : str, default="constant"
        ``numpy.pad`` mode of that padding.
    features : tuple of str, default=("centroid", "bandwidth", "rolloff", \
"flatness", "zcr", "rms")
        The columns, in this order.
    roll_percent : float, default=0.85
        Roll-off percentage of ``spectral_rolloff``.
    p : float, default=2.0
        Order of ``spectral_bandwidth``.
    flatness_power : float, default=2.0
        ``power`` of ``spectral_flatness``.
    amin : float, default=1e-10
        ``amin`` of ``spectral_flatness``.
    pooling : tuple of str or None, default=("mean", "std")
        Statistics over the frames of each clip, concatenated statistic by
        statistic; None returns each clip's frames as a descriptor set.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where to compute, as :class:`~skmm.audio.MFCC`.
    n_jobs : int, default=None
        Threads computing batches of clips on the CPU, as
        :class:`~skmm.audio.MFCC`.
    verbose : bool or int, default=False
        Show a progress bar counting the clips done.

    Attributes
    ----------
    n_features_frame_ : int
        Number of features per frame.
    device_ : {{"cpu", "cuda"}}
        The device ``transform`` computes on.

    See Also
    --------
    skmm.audio.AudioFeatures : Several features from one STFT.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.audio import SpectralShape
    >>> t = np.arange(22050) / 22050
    >>> tone = np.sin(2 * np.pi * 1000 * t)
    >>> shape = SpectralShape(features=("centroid", "rms"), pooling=None)
    >>> frames = shape.fit_transform([tone])[0]
    >>> centroid, rms = np.median(frames, axis=0)
    >>> round(float(centroid)), round(float(rms), 2)
    (1000, 0.71)
    """

    _parameter_constraints: dict = {
        **_STFT_CONSTRAINTS,
        "features": [tuple, list],
        "roll_percent": [Interval(numbers.Real, 0, 1, closed="neither")],
        "p": [Interval(numbers.Real, 0, None, closed="neither")],
        "flatness_power": [Interval(numbers.Real, 0, None, closed="neither")],
        "amin": [Interval(numbers.Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        *,
        sr=22050,
        n_fft=2048,
        hop_length=512,
        win_length=None,
        window="hann",
        center=True,
        pad_mode="constant",
        features=("centroid", "bandwidth", "rolloff", "flatness", "zcr", "rms"),
        roll_percent=0.85,
        p=2.0,
        flatness_power=2.0,
        amin=1e-10,
        pooling=("mean", "std"),
        device="cpu",
        n_jobs=None,
        verbose=False,
    ):
        self.sr = sr
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.win_length = win_length
        self.window = window
        self.center = center
        self.pad_mode = pad_mode
        self.features = features
        self.roll_percent = roll_percent
        self.p = p
        self.flatness_power = flatness_power
        self.amin = amin
        self.pooling = pooling
        self.device = device
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _check_params(self):
        super()._check_params()
        unknown = [f for f in self.features if f not in _SHAPE_FEATURES]
        if unknown or not self.features or len(set(self.features)) < len(self.features):
            raise ValueError(
                f"features={self.features!r} must name distinct features among "
                f"{_SHAPE_FEATURES}."
            )

    def _frame_names(self):
        return list(self.features)

    def _compute(self, spectrum, own):
        xp, freq = spectrum.xp, spectrum.freq
        columns = []
        spectral = ("centroid", "bandwidth", "rolloff", "flatness")
        shapes = {}
        if spectrum.device == "cpu" and any(f in spectral for f in self.features):
            from skmm.audio import _features_numba

            S = spectrum.power(1.0)
            kind = S.dtype.type
            out = np.empty((S.shape[0], 4))
            _features_numba.spectral_shape(
                S,
                spectrum.stft.freq,
                float(np.finfo(S.dtype).tiny),
                kind(self.roll_percent),
                float(self.p),
                kind(self.flatness_power),
                kind(self.amin),
                np.array([f in self.features for f in spectral]),
                out,
            )
            shapes = {
                f: out[:, i] for i, f in enumerate(spectral) if f in self.features
            }
        elif "centroid" in self.features or "bandwidth" in self.features:
            normalized = xpf.l1_normalized(spectrum.power(1.0))
            shapes["centroid"] = xpf.centroid(normalized, freq)
            if "bandwidth" in self.features:
                shapes["bandwidth"] = xpf.bandwidth(
                    spectrum.power(1.0), normalized, shapes["centroid"], freq, self.p
                )
        for name in self.features:
            if name in shapes:
                column = shapes[name]
            elif name == "rolloff":
                column = xpf.rolloff(spectrum.power(1.0), freq, self.roll_percent)
            elif name == "flatness":
                column = xpf.flatness(
                    spectrum.power(1.0), self.flatness_power, self.amin
                )
            elif name == "zcr":
                column = spectrum.time_feature("zcr", "edge")
            else:
                column = spectrum.time_feature("rms", self.pad_mode)
            columns.append(column.astype(np.float64))
        return xp.stack(columns, axis=1)


_SHAPE_FEATURES = ("centroid", "bandwidth", "rolloff", "flatness", "zcr", "rms")

_BY_NAME = {
    "mfcc": lambda: MFCC(),
    "mel": lambda: MelSpectrogram(),
    "chroma": lambda: Chroma(),
    "contrast": lambda: SpectralContrast(),
    "shape": lambda: SpectralShape(),
    **{name: (lambda n=name: SpectralShape(features=(n,))) for name in _SHAPE_FEATURES},
}
_GTZAN = (
    "mfcc",
    "chroma",
    "mel",
    "contrast",
    "centroid",
    "bandwidth",
    "rolloff",
    "zcr",
    "rms",
)


class AudioFeatures(_SpectralFeatures):
    """Several frame features from one STFT per batch, concatenated.

    The GTZAN-style recipe (MFCC, chroma, mel spectrogram, spectral contrast,
    centroid, bandwidth, rolloff, zero-crossing rate and RMS, pooled per
    clip) as one transformer: each batch of clips is framed and transformed
    once, and every feature is computed from that spectrum. The output equals
    ``numpy.hstack`` of the separate transformers' outputs, part by part.

    Parameters
    ----------
    features : list of str or transformer, default=None
        The parts, in order: names among "mfcc", "mel", "chroma",
        "contrast", "shape", "centroid", "bandwidth", "rolloff", "flatness",
        "zcr" and "rms" (each with its defaults), or instances of
        :class:`~skmm.audio.MFCC`, :class:`MelSpectrogram`, :class:`Chroma`,
        :class:`SpectralContrast` or :class:`SpectralShape` for other
        settings. Their STFT parameters (``sr`` to ``pad_mode``) must equal
        this transformer's; their ``pooling``, ``device``, ``n_jobs`` and
        ``verbose`` are not used. None means the GTZAN set ``("mfcc",
        "chroma", "mel", "contrast", "centroid", "bandwidth", "rolloff",
        "zcr", "rms")``.
    sr : int, default=22050
        Sample rate of the input in Hz.
    n_fft : int, default=2048
        FFT length, shared by every part.
    hop_length : int, default=512
        Samples between successive frames.
    win_length : int, default=None
        Window length, at most ``n_fft``; None means ``n_fft``.
    window : str, tuple, float, callable or array-like, default="hann"
        Anything ``librosa.filters.get_window`` accepts.
    center : bool, default=True
        Pad each clip by ``n_fft // 2`` on both sides, as librosa does.
    pad_mode : str, default="constant"
        ``numpy.pad`` mode of that padding.
    pooling : tuple of str or None, default=("mean", "std")
        Statistics over the frames of each clip (for each part, statistic by
        statistic); None returns each clip's frames with every part's
        columns side by side.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where to compute, as :class:`~skmm.audio.MFCC`.
    n_jobs : int, default=None
        Threads computing batches of clips on the CPU.
    verbose : bool or int, default=False
        Show a progress bar counting the clips done.

    Attributes
    ----------
    transformers_ : list of (str, transformer)
        Each part's name prefix and fitted transformer.
    n_features_frame_ : int
        Number of features per frame, all parts together.
    device_ : {"cpu", "cuda"}
        The device ``transform`` computes on.

    See Also
    --------
    skmm.audio.MFCC, MelSpectrogram, Chroma, SpectralContrast, SpectralShape

    Notes
    -----
    Tonnetz (``librosa.feature.tonnetz``) is not offered: librosa computes
    it from a constant-Q chromagram of the harmonic part of the clip
    (median-filtering harmonic/percussive separation, then a CQT), neither
    of which is a function of one STFT frame; with ``Chroma``'s STFT
    chromagram in its place it would be a different feature under the same
    name.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.audio import AudioFeatures, MFCC
    >>> rng = np.random.default_rng(0)
    >>> clips = [rng.standard_normal(n).astype(np.float32) for n in (22050, 30000)]
    >>> features = AudioFeatures(features=[MFCC(n_mfcc=4, deltas=1), "zcr"])
    >>> features.fit_transform(clips).shape
    (2, 18)
    >>> list(features.get_feature_names_out()[[0, 4, 8, 16]])
    ['mfcc_0_mean', 'mfcc_0_delta_mean', 'mfcc_0_std', 'zcr_mean']
    """

    _parameter_constraints: dict = {
        **_STFT_CONSTRAINTS,
        "features": [list, tuple, None],
    }

    def __init__(
        self,
        *,
        features=None,
        sr=22050,
        n_fft=2048,
        hop_length=512,
        win_length=None,
        window="hann",
        center=True,
        pad_mode="constant",
        pooling=("mean", "std"),
        device="cpu",
        n_jobs=None,
        verbose=False,
    ):
        self.features = features
        self.sr = sr
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.win_length = win_length
        self.window = window
        self.center = center
        self.pad_mode = pad_mode
        self.pooling = pooling
        self.device = device
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _resolve_parts(self):
        from sklearn.base import clone

        shared = {name: getattr(self, name) for name in _SHARED}
        parts = []
        for i, part in enumerate(_GTZAN if self.features is None else self.features):
            if isinstance(part, str):
                if part not in _BY_NAME:
                    raise ValueError(
                        f"features[{i}]={part!r} is not one of {sorted(_BY_NAME)}."
                    )
                part = _BY_NAME[part]().set_params(**shared)
            elif isinstance(part, MFCC | _SpectralFeatures) and not isinstance(
                part, AudioFeatures
            ):
                params = part.get_params()
                different = [
                    f"{name}={params[name]!r}"
                    for name in _SHARED
                    if not _same(params[name], shared[name])
                ]
                if different:
                    raise ValueError(
                        f"features[{i}] ({type(part).__name__}) has "
                        f"{', '.join(different)} where AudioFeatures has "
                        + ", ".join(
                            f"{name}={shared[name]!r}"
                            for name in _SHARED
                            if not _same(params[name], shared[name])
                        )
                        + "; the parts share one STFT."
                    )
                part = clone(part)
            else:
                raise TypeError(
                    f"features[{i}] must be a feature name or an MFCC, "
                    "MelSpectrogram, Chroma, SpectralContrast or SpectralShape; "
                    f"got {type(part).__name__}."
                )
            part.set_params(pooling=None, device="cpu", n_jobs=None, verbose=False)
            parts.append(part.fit())
        names = [n for part in parts for n in _part_frame_names(part)]
        if len(set(names)) < len(names):
            raise ValueError(
                "Two parts of features give columns of the same name; "
                "list each feature once."
            )
        return parts

    def _check_params(self):
        super()._check_params()
        self.transformers_ = [(type(p).__name__, p) for p in self._resolve_parts()]

    def _frame_names(self):
        return [n for _, part in self.transformers_ for n in _part_frame_names(part)]

    def _check_frame_counts(self, n_frames):
        for _, part in self.transformers_:
            part._check_frame_counts(n_frames)

    def _own_constants(self, dtype, device):
        return [
            part._constants(dtype, device)
            if isinstance(part, MFCC)
            else part._own_constants(dtype, device)
            for _, part in self.transformers_
        ]

    def _compute(self, spectrum, own):
        dtype = spectrum.signal.dtype
        columns = []
        for (_, part), constants in zip(self.transformers_, own, strict=True):
            if isinstance(part, MFCC):
                frames = _mfcc_from_spectrum(part, spectrum, constants)
            else:
                frames = part._compute(spectrum, constants)
            columns.append(frames.astype(dtype))
        return spectrum.xp.concatenate(columns, axis=1)

    def _assemble(self, outputs, on_gpu):
        result = super()._assemble(outputs, on_gpu)
        if self.pooling is None:
            return result
        return result[:, self._part_order()]

    def _part_order(self):
        widths = [len(_part_frame_names(p)) for _, p in self.transformers_]
        total = sum(widths)
        order, offset = [], 0
        for width in widths:
            for s in range(len(self.pooling)):
                order.extend(range(s * total + offset, s * total + offset + width))
            offset += width
        return np.asarray(order)

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns: each part's frame names
        (``mfcc_2``, ``mfcc_2_delta``, ``chroma_3``, ``zcr``), with
        ``_{statistic}`` appended when pooled (``mfcc_2_delta_std``).

        Parameters
        ----------
        input_features : ignored

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        if self.pooling is None:
            return np.asarray(self._frame_names(), dtype=object)
        return np.concatenate(
            [
                _pooled_names(_part_frame_names(p), self.pooling)
                for _, p in self.transformers_
            ]
        )


def _same(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b))
    return a == b


def _part_frame_names(part):
    if isinstance(part, MFCC):
        suffixes = ["", "_delta", "_delta2"][: 1 + len(part._delta_orders())]
        return [f"mfcc_{i}{s}" for s in suffixes for i in range(part.n_mfcc)]
    return part._frame_names()


def _mfcc_from_spectrum(mfcc, spectrum, constants):
    """MFCC frames (with deltas) of a batch from its shared spectrum."""
    P = spectrum.power(float(mfcc.power))
    top_db = -1.0 if mfcc.top_db is None else float(mfcc.top_db)
    if spectrum.device == "cuda":
        from skmm.audio import _mfcc_xp

        xp = spectrum.xp
        mel = P @ xp.asarray(constants.mel_basis_t.astype(P.dtype))
        return _mfcc_xp.cepstra(mel, spectrum.offsets, constants, top_db, xp)[0]
    from skmm.audio import _mfcc_cpu

    mel = np.empty((P.shape[0], constants.mel_basis_t.shape[1]), dtype=P.dtype)
    _mfcc_cpu.project_mel(P, constants, mel)
    return _mfcc_cpu.cepstra(mel, spectrum.offsets, constants, top_db)[0]
