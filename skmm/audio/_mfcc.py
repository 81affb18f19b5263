"""MFCC features equal to ``librosa.feature.mfcc``, computed in batches."""

import functools
import numbers
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from skmm.audio._framing import _FramedAudioMixin
from skmm.base import PerSampleOutputMixin, StatelessMixin, with_input_kind
from skmm.utils._device import resolve_device

_PAD_MODES = ("constant", "edge", "linear_ramp", "reflect", "symmetric", "empty")
_DELTA_MODES = {"nearest": 0, "mirror": 1, "wrap": 2, "interp": 3, "constant": 4}
# Frames per batch are capped so that the framed batch stays near this many
# bytes: big enough for the FFT and BLAS to run at full speed, small enough
# that extraction holds little beyond the decoded audio.
_BATCH_BYTES = {"cpu": 8 * 2**20, "cuda": 512 * 2**20}


@dataclass(frozen=True)
class _Constants:
    """Everything a kernel needs that depends only on the parameters."""

    window: np.ndarray  # (n_fft,), the analysis window padded to n_fft
    window_taps: np.ndarray | None  # the window as a spectral filter, if short
    hop_length: int
    mel_basis_t: np.ndarray  # (n_bins, n_mels), librosa's filter bank
    mel_sparse: tuple | None  # (weights, lo, hi, offsets) when sparse pays
    mel_supports: tuple  # (weights, lo, hi, offsets), float64, always
    dct_t: np.ndarray  # (n_mels, n_mfcc), DCT rows with the lifter folded in
    delta_filters: tuple  # (order, kernel, head, tail) for each delta order
    delta_mode: int
    max_frames: int  # frames per batch


def _dct_matrix(n_mels, n_mfcc, dct_type, norm, lifter):
    """The first ``n_mfcc`` rows of scipy's DCT as a matrix, liftered."""
    import scipy.fft

    basis = scipy.fft.dct(np.eye(n_mels), type=dct_type, norm=norm, axis=0)
    basis = basis[:n_mfcc]
    if lifter > 0:
        lift = 1 + (lifter / 2) * np.sin(np.pi * np.arange(1, n_mfcc + 1) / lifter)
        basis = basis * lift[:, None]
    return basis


def _savgol_filters(width, order):
    """Interior kernel and edge matrices of ``savgol_filter(..., deriv=order,
    polyorder=order, mode="interp")``, read off scipy itself."""
    from scipy.signal import savgol_coeffs, savgol_filter

    kernel = savgol_coeffs(width, order, deriv=order, use="dot")
    # savgol_filter is linear: filtering the identity gives its matrix on a
    # signal of exactly ``width`` frames, whose first and last rows are the
    # polynomial fits "interp" uses at the edges.
    matrix = savgol_filter(
        np.eye(width), width, order, deriv=order, axis=0, mode="interp"
    )
    half = width // 2
    return (
        kernel,
        np.ascontiguousarray(matrix[:half]),
        np.ascontiguousarray(matrix[width - half :]),
    )


class MFCC(
    _FramedAudioMixin,
    StatelessMixin,
    PerSampleOutputMixin,
    TransformerMixin,
    BaseEstimator,
):
    """Mel-frequency cepstral coefficients, equal to ``librosa.feature.mfcc``.

    Each clip's frames are computed exactly as ``librosa.feature.mfcc`` does
    (STFT, power, librosa's mel filter bank, decibels with a ``top_db``
    floor, DCT, lifter), but many clips at a time: frames of all clips in a
    batch are framed and windowed by a Numba kernel, transformed by one
    ``scipy.fft.rfft`` call, and projected onto the mel filters and the DCT
    basis by BLAS; ``n_jobs`` threads take batches at a time. With
    ``device="cuda"`` the same computation runs on the GPU with CuPy.

    With ``pooling=None`` the output is a *descriptor set*: one
    ``(n_frames, n_coefficients)`` array per clip, equal to
    ``librosa.feature.mfcc(...).T`` (plus deltas when asked for), ready for
    the encoders of :mod:`skmm.encode`. The default pools the frames of each
    clip into their mean and standard deviation, one fixed-length row per
    clip, so that ``make_pipeline(AudioReader(), MFCC(), SVC())`` works.

    Parameters
    ----------
    sr : int, default=22050
        Sample rate of the input in Hz. Waveforms that carry their own rate
        (:class:`~skmm.audio.Waveform`, as :class:`~skmm.audio.AudioReader`
        returns) must agree with it, else ``transform`` raises.
    n_mfcc : int, default=20
        Number of cepstral coefficients.
    n_fft : int, default=2048
        FFT length; odd lengths are allowed.
    hop_length : int, default=512
        Samples between successive frames.
    win_length : int, default=None
        Window length, at most ``n_fft``; the window is zero-padded to
        ``n_fft`` in the middle. None means ``n_fft``.
    window : str, tuple, float, callable or array-like, default="hann"
        Anything ``librosa.filters.get_window`` accepts.
    center : bool, default=True
        Pad each clip by ``n_fft // 2`` on both sides so that frame ``t`` is
        centred on sample ``t * hop_length``. When False, a clip shorter than
        ``n_fft`` raises (as librosa does).
    pad_mode : str, default="constant"
        ``numpy.pad`` mode for the centring padding.
    power : float, default=2.0
        Exponent of the magnitude spectrogram (2 for power, 1 for magnitude).
    n_mels : int, default=128
        Number of mel bands.
    fmin : float, default=0.0
        Lowest frequency of the mel filter bank, in Hz.
    fmax : float, default=None
        Highest frequency of the mel filter bank; None means ``sr / 2``.
    htk : bool, default=False
        Use the HTK mel scale instead of Slaney's.
    mel_norm : {"slaney"}, float or None, default="slaney"
        Normalisation of the mel filters (``norm`` of
        ``librosa.filters.mel``; ``mel_norm`` of ``librosa.feature.mfcc``).
    dct_type : {1, 2, 3, 4}, default=2
        Discrete cosine transform type.
    norm : {"ortho"} or None, default="ortho"
        DCT normalisation.
    lifter : float, default=0
        Cepstral liftering coefficient; 0 disables liftering.
    top_db : float or None, default=80.0
        Floor of each clip's log-mel spectrogram at its maximum minus
        ``top_db`` decibels, as ``librosa.power_to_db`` (which
        ``librosa.feature.mfcc`` calls with its default 80). None disables
        the floor.
    deltas : {0, 1, 2} or bool, default=False
        Append deltas of the coefficients along frames, as
        ``librosa.feature.delta``: 1 appends first-order deltas, 2 (or True)
        first- and second-order deltas.
    delta_width : int, default=9
        Number of frames over which deltas are computed (odd, at least 3).
    delta_mode : {"interp", "nearest", "mirror", "wrap", "constant"}, \
            default="interp"
        Edge handling of ``librosa.feature.delta``. With "interp", a clip
        with fewer than ``delta_width`` frames raises (as librosa does); the
        other modes accept clips of any length.
    pooling : tuple of str or None, default=("mean", "std")
        Statistics over the frames of each clip, concatenated statistic by
        statistic (any of :class:`~skmm.encode.StatsPooling`'s). None returns
        the frames themselves as a descriptor set.
    fft_precision : {"float64", "input"}, default="float64"
        Precision of the CPU's FFT. "float64" transforms float32 clips in
        float64, as ``librosa.stft`` does (its window is float64): over all
        3,000 FSDD recordings the float32 coefficients are then within
        4.3e-8 (relative, per clip; median 2.5e-8) of librosa's float64
        ones, closer than librosa's own float32 path (median 6.0e-8, worst
        1.2e-7). "input" transforms float32 clips in float32, about 1.5x
        faster on one thread: median 5.8e-8 from librosa's float64
        coefficients on the same recordings, 99% of them within 5.2e-7, the
        worst at 1.4e-6 (``tests/audio/test_mfcc_precision.py`` holds random
        clips and a sample of FSDD to 1e-6). Float64 clips are transformed
        in float64 either way (within 1e-12 of librosa's float64
        coefficients), and the GPU transforms in the input's precision.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where to compute. "cuda" needs CuPy and a CUDA device; "auto" takes
        the GPU when there is one. The output's array library follows the
        input's: CuPy waveforms (as ``AudioReader(device="cuda")`` returns)
        give CuPy frames, computed without leaving the GPU; NumPy waveforms
        give NumPy frames, copied to the GPU once per batch and back once.
        Pooled statistics are computed on the host (one copy of the frames
        there, one of the pooled rows back).
    n_jobs : int, default=None
        Number of threads computing batches of clips on the CPU (see Notes).
        ``None`` means 1 unless in a :obj:`joblib.parallel_config` context.
        ``-1`` means using all processors. See scikit-learn's glossary
        entry for ``n_jobs`` for more details. Ignored with
        ``device="cuda"``.
    verbose : bool or int, default=False
        Show a progress bar (``tqdm.auto``, on standard error) in
        ``transform`` counting the clips done, advanced batch by batch.

    Attributes
    ----------
    n_coefficients_ : int
        Width of each frame's descriptor: ``n_mfcc`` times one plus the
        number of delta orders.
    device_ : {"cpu", "cuda"}
        The device ``transform`` computes on.

    See Also
    --------
    skmm.audio.AudioReader : Read files or arrays into waveforms.
    skmm.encode.StatsPooling : Pool descriptor sets into fixed-length rows.
    librosa.feature.mfcc : The reference this transformer equals.

    Notes
    -----
    On the CPU, clips are grouped into batches of a few megabytes of frames,
    and ``n_jobs`` threads take whole batches, each running the FFT, BLAS
    and the Numba kernels serially (one FFT worker, one BLAS thread): with
    the default ``n_jobs=None`` a transform uses one core, as other
    scikit-learn estimators do. A long clip is split into chunks of frames
    the same way. Peak memory beyond the input and output stays near one
    batch per thread. The batches go through joblib: inside a
    ``joblib.parallel_config`` context that picks another backend (dask,
    say), they run there instead, each task carrying its own clips.

    Cosine-sum windows at full length (Hann, Hamming, Blackman) are applied
    after the FFT, as a short filter on the spectrum, which lets the FFT read
    overlapping frames straight from the signal; other windows are applied to
    framed copies. Both give librosa's numbers to float32 rounding.

    Input float32 clips give float32 coefficients, float64 clips float64. A
    centred clip shorter than ``n_fft`` gives the same numbers as librosa,
    without librosa's warning. A clip so loud that its power spectrum
    overflows (float32 audio scaled to around 1e18 and beyond, where
    librosa returns NaN) raises a ``ValueError`` naming it instead of
    returning NaN or inf; as float64 the same clip computes. The
    coefficients are computed in the input's precision, as librosa's are,
    so that float32 clips give librosa's float32 numbers.

    ``transform`` of no clips gives no rows, as scikit-learn's
    ``HashingVectorizer`` does: an array of shape ``(0, n_features)``, or
    an empty list with ``pooling=None``.

    References
    ----------
    .. [1] B. McFee et al., "librosa: Audio and Music Signal Analysis in
       Python", Proc. SciPy, 2015.
    .. [2] S. Davis and P. Mermelstein, "Comparison of parametric
       representations for monosyllabic word recognition in continuously
       spoken sentences", IEEE Trans. ASSP 28(4), 1980.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.audio import MFCC
    >>> rng = np.random.default_rng(0)
    >>> clips = [rng.standard_normal(n).astype(np.float32) for n in (8000, 12000)]
    >>> MFCC(sr=16000, n_mfcc=13).fit_transform(clips).shape
    (2, 26)
    >>> frames = MFCC(sr=16000, n_mfcc=13, pooling=None).fit_transform(clips)
    >>> [f.shape for f in frames]
    [(16, 13), (24, 13)]
    """

    _output_name = "MFCCs"

    _parameter_constraints: dict = {
        "sr": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_mfcc": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_fft": [Interval(numbers.Integral, 1, None, closed="left")],
        "hop_length": [Interval(numbers.Integral, 1, None, closed="left")],
        "win_length": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "window": "no_validation",
        "center": ["boolean"],
        "pad_mode": [StrOptions(set(_PAD_MODES))],
        "power": [Interval(numbers.Real, 0, None, closed="neither")],
        "n_mels": [Interval(numbers.Integral, 1, None, closed="left")],
        "fmin": [Interval(numbers.Real, 0, None, closed="left")],
        "fmax": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "htk": ["boolean"],
        "mel_norm": [StrOptions({"slaney"}), numbers.Real, None],
        "dct_type": [Interval(numbers.Integral, 1, 4, closed="both")],
        "norm": [StrOptions({"ortho"}), None],
        "lifter": [Interval(numbers.Real, 0, None, closed="left")],
        "top_db": [Interval(numbers.Real, 0, None, closed="left"), None],
        "deltas": ["boolean", Interval(numbers.Integral, 0, 2, closed="both")],
        "delta_width": [Interval(numbers.Integral, 3, None, closed="left")],
        "delta_mode": [StrOptions(set(_DELTA_MODES))],
        "pooling": [tuple, list, None],
        "fft_precision": [StrOptions({"float64", "input"})],
        "device": [StrOptions({"cpu", "cuda", "auto"})],
        "n_jobs": [None, numbers.Integral],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        sr=22050,
        n_mfcc=20,
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
        mel_norm="slaney",
        dct_type=2,
        norm="ortho",
        lifter=0,
        top_db=80.0,
        deltas=False,
        delta_width=9,
        delta_mode="interp",
        pooling=("mean", "std"),
        fft_precision="float64",
        device="cpu",
        n_jobs=None,
        verbose=False,
    ):
        self.sr = sr
        self.n_mfcc = n_mfcc
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
        self.mel_norm = mel_norm
        self.dct_type = dct_type
        self.norm = norm
        self.lifter = lifter
        self.top_db = top_db
        self.deltas = deltas
        self.delta_width = delta_width
        self.delta_mode = delta_mode
        self.pooling = pooling
        self.fft_precision = fft_precision
        self.device = device
        self.n_jobs = n_jobs
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.one_d_array = True
        return with_input_kind(tags, "waveform")

    def _delta_orders(self):
        return (1, 2) if self.deltas is True else tuple(range(1, int(self.deltas) + 1))

    def _check_params(self):
        if self.win_length is not None and self.win_length > self.n_fft:
            raise ValueError(
                f"win_length={self.win_length} must be at most n_fft={self.n_fft}."
            )
        if self.fmax is not None and self.fmax > self.sr / 2:
            # librosa allows it (empty filters, with a warning); it is
            # almost always a mistaken sample rate.
            raise ValueError(
                f"fmax={self.fmax} is above the Nyquist frequency {self.sr / 2} "
                f"of sr={self.sr}."
            )
        if self.n_mfcc > self.n_mels:
            raise ValueError(
                f"n_mfcc={self.n_mfcc} must be at most n_mels={self.n_mels}."
            )
        if self.dct_type == 1 and self.n_mels < 2:
            raise ValueError("dct_type=1 needs n_mels of at least 2.")
        if self.delta_width % 2 == 0:
            raise ValueError(f"delta_width={self.delta_width} must be odd.")
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
        self : MFCC
        """
        self._check_params()
        self.device_ = resolve_device(self.device)
        self.n_coefficients_ = self.n_mfcc * (1 + len(self._delta_orders()))
        return self

    def _constants(self, dtype, device="cpu"):
        from skmm.audio import _filters
        from skmm.audio._mfcc_cpu import filter_supports, sparse_filters, spectral_taps

        n_fft = self.n_fft
        window = _filters.padded_window(self.window, self.win_length or n_fft, n_fft)
        mel_basis = _filters.mel(
            sr=self.sr,
            n_fft=n_fft,
            n_mels=self.n_mels,
            fmin=self.fmin,
            fmax=self.fmax,
            htk=self.htk,
            norm=self.mel_norm,
        )
        dct = _dct_matrix(
            self.n_mels, self.n_mfcc, self.dct_type, self.norm, self.lifter
        )
        filters = tuple(
            (order, *_savgol_filters(self.delta_width, order))
            for order in self._delta_orders()
        )
        return _Constants(
            window=window,  # float64, as librosa.stft's
            window_taps=spectral_taps(window),
            hop_length=self.hop_length,
            mel_basis_t=np.ascontiguousarray(mel_basis.T, dtype=dtype),
            mel_sparse=sparse_filters(mel_basis, dtype),
            mel_supports=filter_supports(mel_basis),
            dct_t=np.ascontiguousarray(dct.T),
            delta_filters=filters,
            delta_mode=_DELTA_MODES[self.delta_mode],
            max_frames=max(
                1, _BATCH_BYTES[device] // (n_fft * np.dtype(dtype).itemsize)
            ),
        )

    def _frame_width(self):
        return self.n_coefficients_

    def _check_frame_counts(self, n_frames):
        if self.delta_mode == "interp" and self.deltas:
            short = np.flatnonzero(n_frames < self.delta_width)
            if short.size:
                i = int(short[0])
                raise ValueError(
                    f"Audio sample {i} gives {n_frames[i]} frames, fewer than "
                    f"delta_width={self.delta_width}, which delta_mode='interp' "
                    "needs (librosa raises too); use a smaller delta_width, "
                    "a smaller hop_length or another delta_mode."
                )

    def transform(self, X):
        """Compute the MFCCs of each clip.

        Parameters
        ----------
        X : list of 1-D float arrays, pandas Series, one-column DataFrame \
                or array of shape (n_clips, n_samples)
            One mono waveform per sample (float32 or float64), sampled at
            ``sr``; equal-length clips may come stacked in the rows of one
            array, checked row by row as a list's cells are.

        Returns
        -------
        features : ndarray of shape (n_samples, n_features) or list of ndarray
            Pooled statistics, one row per clip; or, with ``pooling=None``,
            one ``(n_frames, n_coefficients_)`` array per clip. No clips give
            an array of shape ``(0, n_features)`` (an empty list with
            ``pooling=None``).

        Raises
        ------
        ValueError
            If a clip is missing, empty, multi-channel or holds NaN or inf,
            or if its coefficients overflow (see Notes); the message names
            the clip.
        TypeError
            If a clip is not a float array.
        """
        fitted = self._fitted_for(X)
        if fitted is not self:
            return fitted.transform(X)
        return self._extract(X)

    def _batch(self, clips, n_frames, constants, device, n_threads):
        """``(frames, frame_offsets)`` of ``clips``: their MFCC frames (with
        deltas), stacked."""
        if device == "cuda":
            from skmm.audio import _mfcc_xp

            compute = _mfcc_xp.mfcc_batch
        else:
            from skmm.audio import _mfcc_cpu

            compute = functools.partial(
                _mfcc_cpu.mfcc_batch,
                n_threads=n_threads,
                fft_dtype=np.float64 if self.fft_precision == "float64" else None,
            )
        signal, frame_starts, frame_offsets = self._frame_layout(clips, n_frames)
        top_db = -1.0 if self.top_db is None else float(self.top_db)
        return compute(
            signal, frame_starts, frame_offsets, constants, self.power, top_db
        )

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns.

        ``mfcc{i}``, then ``delta_mfcc{i}`` and ``delta2_mfcc{i}`` when deltas
        are appended; pooled statistics prefix each with the statistic
        (``mean_mfcc0``, ..., ``std_mfcc0``, ...).

        Parameters
        ----------
        input_features : ignored

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        prefixes = ["", "delta_", "delta2_"][: 1 + len(self._delta_orders())]
        frame_names = [f"{p}mfcc{i}" for p in prefixes for i in range(self.n_mfcc)]
        if self.pooling is None:
            return np.asarray(frame_names, dtype=object)
        return np.asarray(
            [f"{stat}_{name}" for stat in self.pooling for name in frame_names],
            dtype=object,
        )
