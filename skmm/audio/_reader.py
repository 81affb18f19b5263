"""Read audio files and arrays into mono float32 waveforms, as librosa.load does."""

import math
import numbers
import os

import numpy as np
import soundfile
import soxr
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions

from skmm.audio._waveform import Waveform, sample_rate_of
from skmm.base import SampleReader, with_input_kind
from skmm.utils._device import resolve_device
from skmm.utils._validation import (
    _check_rank,
    _check_samples,
    unstack,
)
from skmm.utils._validation import _missing_audio_error as _missing_error

_RES_TYPES = ("soxr_vhq", "soxr_hq", "soxr_mq", "soxr_lq", "soxr_qq")


def _decode(path, where, offset, duration):
    """``(samples, sample_rate)`` of a file, float32, ``(n_channels, n)`` layout.

    The same soundfile calls as ``librosa.load``, so that frames and values
    match it exactly.
    """
    try:
        with soundfile.SoundFile(path) as audio_file:
            native_sr = audio_file.samplerate
            start = int(offset * native_sr) if offset else 0
            if start and start >= audio_file.frames:
                raise ValueError(
                    f"{where} is empty from offset={offset} s: the clip is "
                    f"{audio_file.frames / native_sr:.3f} s long."
                )
            if start:
                audio_file.seek(start)
            frames = -1 if duration is None else int(duration * native_sr)
            samples = audio_file.read(frames=frames, dtype="float32", always_2d=False)
    except soundfile.SoundFileError as error:
        if not os.path.exists(path):
            raise FileNotFoundError(f"{where}: no such file.") from None
        raise ValueError(
            f"{where} cannot be decoded as audio by soundfile ({error})."
        ) from error
    # soundfile gives (n_frames, n_channels); librosa's layout is the transpose.
    return samples.T, native_sr


def _pcm_to_float32(samples, where):
    """Float32 samples; integer PCM scaled to [-1, 1) as soundfile scales it."""
    kind = samples.dtype.kind
    if kind == "f":
        with np.errstate(over="ignore"):
            converted = samples.astype(np.float32, copy=False)
        if (
            converted is not samples
            and not np.isfinite(converted).all()
            and np.isfinite(samples).all()
        ):
            raise _overflow_error(where, samples, "in float32")
        return converted
    if kind in "iu":
        half_range = 2.0 ** (8 * samples.dtype.itemsize - 1)
        if kind == "i":
            return samples.astype(np.float32) * np.float32(1 / half_range)
        # Unsigned PCM (8-bit wav) is centred on half its range.
        return ((samples.astype(np.float64) - half_range) / half_range).astype(
            np.float32
        )
    raise TypeError(
        f"{where} has dtype {samples.dtype}; expected float or integer PCM samples."
    )


def _overflow_error(where, samples, how):
    return ValueError(
        f"{where} has finite samples up to {float(np.abs(samples).max()):.3g} "
        f"that overflow {how} (beyond {float(np.finfo(np.float32).max):.3g}); "
        "scale the clip: audio is normally within [-1, 1]."
    )


def _sample_rate(rate, where):
    if (
        isinstance(rate, numbers.Real)
        and not isinstance(rate, bool)
        and math.isfinite(rate)
        and rate > 0
        and float(rate).is_integer()
    ):
        return int(rate)
    raise ValueError(
        f"{where} is a (samples, sample_rate) tuple whose sample rate {rate!r} is "
        "not a positive whole number of Hz."
    )


def _cell_samples(cell, where, sr):
    """``(samples, sample_rate)`` of one non-missing input cell that is no path."""
    if isinstance(cell, np.ndarray):
        rate = sample_rate_of(cell)
        if rate is None:
            if sr is None:
                raise ValueError(
                    f"{where} is a plain array, whose sample rate is unknown with "
                    "sr=None; pass a skmm.audio.Waveform or a (samples, "
                    "sample_rate) tuple, or set sr to the array's rate."
                )
            rate = sr
        return cell, rate
    if isinstance(cell, tuple):
        if len(cell) != 2 or not isinstance(cell[0], np.ndarray):
            raise TypeError(
                f"{where} is a tuple of {[type(c).__name__ for c in cell]}; "
                "expected (samples, sample_rate) with samples a NumPy array."
            )
        return cell[0], _sample_rate(cell[1], where)
    if isinstance(cell, numbers.Number | np.generic):
        _check_rank(np.asarray(cell), where, max_ndim=2)
    raise TypeError(
        f"{where} is of type {type(cell).__name__}; expected a file path, a "
        "NumPy array, a skmm.audio.Waveform or a (samples, sample_rate) tuple."
    )


def _resample(samples, orig_sr, target_sr, res_type):
    """``librosa.resample(..., res_type=res_type)`` for a soxr ``res_type``.

    Each channel separately, then trimmed or zero-padded to
    ``ceil(n * target_sr / orig_sr)`` samples, as librosa does.
    """
    n_out = int(np.ceil(samples.shape[-1] * (float(target_sr) / orig_sr)))
    channels = samples if samples.ndim == 2 else [samples]
    resampled = np.stack(
        [
            soxr.resample(channel, orig_sr, target_sr, quality=res_type)
            for channel in channels
        ]
    )
    if resampled.shape[-1] > n_out:
        resampled = resampled[:, :n_out]
    elif resampled.shape[-1] < n_out:
        resampled = np.pad(resampled, [(0, 0), (0, n_out - resampled.shape[-1])])
    return resampled if samples.ndim == 2 else resampled[0]


def _read_cell(cell, where, options):
    """One input cell as a Waveform; raises a ``SAMPLE_ERRORS`` error naming it."""
    sr, mono, offset, duration, res_type, trim = options
    if isinstance(cell, str | os.PathLike):
        path = os.fspath(cell)
        where = f"{where} ({path!r})"
        samples, rate = _decode(path, where, offset, duration)
    else:
        samples, rate = _cell_samples(cell, where, sr)
        _check_rank(samples, where, max_ndim=2)
        samples = _pcm_to_float32(samples, where)
    _check_samples(samples, where)
    is_array = not isinstance(cell, str | os.PathLike)
    if is_array and samples.ndim == 2 and samples.shape[0] > samples.shape[1]:
        raise ValueError(
            f"{where} has shape {samples.shape}: more channels than samples. "
            "Multi-channel arrays are (n_channels, n_samples), as in librosa; "
            "transpose soundfile's (n_samples, n_channels)."
        )
    original = samples
    if mono and samples.ndim == 2:
        # librosa.to_mono: the mean over channels, in float32 (overflow is
        # reported below).
        with np.errstate(over="ignore", invalid="ignore"):
            samples = np.mean(samples, axis=0)
    if sr is not None and rate != sr:
        samples = _resample(samples, rate, sr, res_type)
        rate = sr
    # Mixing and resampling sum float32 samples: near float32's largest
    # values they can overflow, and NaN or inf must not come out silently.
    if samples is not original and not np.isfinite(samples).all():
        raise _overflow_error(where, original, "when mixed down or resampled")
    if trim is not None:
        import librosa

        top_db, frame_length, hop_length = trim
        samples, _ = librosa.effects.trim(
            samples, top_db=top_db, frame_length=frame_length, hop_length=hop_length
        )
    return Waveform(np.ascontiguousarray(samples), sr=rate)


class AudioReader(SampleReader):
    """Read audio files (or arrays) into mono float32 waveforms at one rate.

    Each sample becomes what ``librosa.load(path, sr=sr, mono=mono,
    offset=offset, duration=duration, res_type=res_type)[0]`` returns, with the
    same values: decoding is soundfile's (wav, flac, ogg and every other format
    libsndfile reads) and resampling is soxr's. The output is a list with one
    :class:`~skmm.audio.Waveform` per sample, which carries its sample rate in
    ``.sr``, ready for :class:`~skmm.audio.MFCC`.

    The reader learns nothing: ``fit`` only validates the parameters.

    Parameters
    ----------
    sr : int or None, default=22050
        Sample rate of the output in Hz. None keeps each file's (or
        Waveform's) own rate.
    mono : bool, default=True
        Average the channels of multi-channel audio (as ``librosa.to_mono``).
        With False, multi-channel samples come out as ``(n_channels,
        n_samples)`` arrays and mono ones as 1-D arrays.
    offset : float, default=0.0
        Start reading files this many seconds in. Arrays are not cut.
    duration : float or None, default=None
        Read at most this many seconds of each file; None reads to the end.
        Arrays are not cut.
    res_type : {"soxr_vhq", "soxr_hq", "soxr_mq", "soxr_lq", "soxr_qq"}, \
default="soxr_hq"
        soxr's resampling quality, from very high to quick (cubic, not
        band-limited), as in ``librosa.resample``.
    on_error : {"raise", "missing"}, default="raise"
        What a missing or unreadable sample does. "raise": raise an error
        naming the sample. "missing": the sample becomes None in the output
        (the output keeps one entry per input sample), and one
        :class:`~skmm.exceptions.UnreadableSampleWarning` per ``transform``
        call counts the unreadable ones and names the first few.
    n_jobs : int or None, default=None
        Samples read in parallel through joblib, in threads unless a
        ``joblib.parallel_config`` context picks another backend (decoding
        and resampling release the GIL). None means 1 unless in such a
        context; -1 means all processors.
    verbose : bool or int, default=False
        Show a progress bar (``tqdm.auto``, on standard error) counting the
        clips read.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where the outputs live. Decoding always runs on the CPU; with
        "cuda" each output is then copied to the GPU once and returned as a
        CuPy array, so that GPU estimators downstream (``device="cuda"``)
        and scikit-learn estimators under ``array_api_dispatch`` keep the
        data there. "cuda" needs CuPy and a CUDA device; "auto" takes the
        GPU when there is one. CuPy arrays carry no ``sr``, so
        ``MFCC`` cannot check their rate.
    trim_db : float or None, default=None
        Trim leading and trailing silence after resampling, as
        ``librosa.effects.trim(y, top_db=trim_db, frame_length=...,
        hop_length=...)``: frames more than ``trim_db`` decibels below the
        clip's loudest frame are cut from both ends. None keeps every sample.
        Trimming helps features pooled over a clip (spoken words surrounded by
        silence): see ``benchmarks/bench_audio.py``.
    trim_frame_length : int, default=2048
        Frame length of the silence detector (``frame_length`` of
        ``librosa.effects.trim``).
    trim_hop_length : int, default=512
        Hop of the silence detector (``hop_length`` of
        ``librosa.effects.trim``).

    See Also
    --------
    librosa.load : Load one audio file; the reference for this reader.
    soundfile.read : The decoder used for files.
    soxr.resample : The resampler used when rates differ.
    skmm.audio.MFCC : MFCC features of the waveforms this reader returns.

    Notes
    -----
    Each sample (a cell of a list, tuple, 1-D object array, pandas Series or
    one-column DataFrame) may be:

    - a file path (``str`` or ``os.PathLike``): decoded by soundfile, cut by
      ``offset`` and ``duration``, mixed down and resampled;
    - a :class:`~skmm.audio.Waveform`, or a ``(samples, sample_rate)``
      tuple: resampled from its own rate to ``sr`` when they differ;
    - a plain NumPy array: taken to be already at ``sr`` (so it is never
      resampled); with ``sr=None`` its rate is unknown and it is an error.
      Float arrays of any precision become float32; integer PCM is scaled to
      [-1, 1) by the dtype's range, as soundfile reads int16 and int32 files
      (``x / 2**15`` for int16), and unsigned PCM (8-bit wav) is first
      centred (``(x - 128) / 128`` for uint8). Multi-channel arrays are
      ``(n_channels, n_samples)``, librosa's layout, not soundfile's;
    - None or NaN: a missing sample.

    Files as they come: WAV, FLAC, OGG (Vorbis, Opus), MP3 and every other
    format this libsndfile reads (``soundfile.available_formats()``), at any
    sample rate (resampled to ``sr``), mono or multi-channel (averaged with
    ``mono=True``).

    Durations, from 0.1 s to minutes: features pooled over frames (such as
    ``MFCC``'s default mean and standard deviation) describe the whole clip,
    every frame weighing the same; a clip shorter than the STFT window is
    zero-padded, as librosa pads it. The default reads every sample
    (``duration=None``); for long recordings beside short clips, read at
    most ``duration`` seconds (``duration=30`` bounds time and memory and
    keeps a long recording's statistics from being those of its tail), and
    ``trim_db`` cuts leading and trailing silence, which otherwise weighs on
    short clips' statistics.

    A missing file raises ``FileNotFoundError``; an undecodable file, an
    empty clip (also an ``offset`` past the end), NaN or inf samples, finite
    samples that overflow float32 (float64 beyond about 3.4e38, or loud
    enough that mixing down or resampling overflows), a 0-d or 3-d array
    raise ``ValueError``; an unsupported cell raises ``TypeError``.
    Messages name the sample by position (and pandas index label) and path.
    With ``on_error="missing"`` all of these become None instead.

    Outputs may share memory with float32 input arrays; the reader never
    writes to its input.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import soundfile
    >>> from skmm.audio import AudioReader
    >>> folder = tempfile.mkdtemp()
    >>> path = os.path.join(folder, "tone.wav")
    >>> tone = 0.5 * np.sin(2 * np.pi * 440 * np.arange(8000) / 8000)
    >>> soundfile.write(path, tone, 8000)
    >>> reader = AudioReader(sr=16000).fit([path])
    >>> [wave] = reader.transform([path])
    >>> wave.shape, wave.dtype, wave.sr
    ((16000,), dtype('float32'), 16000)
    >>> [wave] = AudioReader(sr=None).fit_transform([path])
    >>> wave.shape, wave.sr
    ((8000,), 8000)
    """

    _parameter_constraints: dict = {
        "sr": [None, Interval(numbers.Integral, 1, None, closed="left")],
        "mono": ["boolean"],
        "offset": [Interval(numbers.Real, 0, None, closed="left")],
        "duration": [None, Interval(numbers.Real, 0, None, closed="neither")],
        "res_type": [StrOptions(set(_RES_TYPES))],
        "on_error": [StrOptions({"raise", "missing"})],
        "n_jobs": [None, numbers.Integral],
        "verbose": ["verbose"],
        "device": [StrOptions({"cpu", "cuda", "auto"})],
        "trim_db": [None, Interval(numbers.Real, 0, None, closed="neither")],
        "trim_frame_length": [Interval(numbers.Integral, 1, None, closed="left")],
        "trim_hop_length": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        *,
        sr=22050,
        mono=True,
        offset=0.0,
        duration=None,
        res_type="soxr_hq",
        on_error="raise",
        n_jobs=None,
        verbose=False,
        trim_db=None,
        trim_frame_length=2048,
        trim_hop_length=512,
        device="cpu",
    ):
        self.sr = sr
        self.mono = mono
        self.offset = offset
        self.duration = duration
        self.res_type = res_type
        self.on_error = on_error
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.device = device
        self.trim_db = trim_db
        self.trim_frame_length = trim_frame_length
        self.trim_hop_length = trim_hop_length

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X=None, y=None):
        """Validate the parameters; nothing is learned and X is not read.

        Parameters
        ----------
        X : ignored
            Accepted for the scikit-learn API.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        self.device_ = resolve_device(self.device)
        return self

    def transform(self, X):
        """Read every sample.

        Parameters
        ----------
        X : list, tuple, 1-D object array, pandas Series, one-column \
                DataFrame or array of shape (n_clips, n_samples)
            One sample per cell: a path, an array, a Waveform, a
            ``(samples, sample_rate)`` tuple, or None/NaN (see Notes). Clips
            of equal length may come stacked in the rows of one NumPy array
            (``(n_clips, n_channels, n_samples)`` for multi-channel ones),
            each row read as a list's cell is. No samples give an empty list.

        Returns
        -------
        waveforms : list of Waveform
            One per input sample, in input order: float32 of shape
            ``(n_samples,)`` (or ``(n_channels, n_samples)`` for
            multi-channel audio with ``mono=False``) at rate ``sr``. With
            ``on_error="missing"``, None for missing or unreadable samples.
        """
        return self._read_all(unstack(X))

    _kind = "audio"
    _unit = "clip"
    _read_cell = staticmethod(_read_cell)

    def __sklearn_tags__(self):
        return with_input_kind(super().__sklearn_tags__(), "waveform")

    def _missing_error(self, label, value):
        return _missing_error("Audio", label, value)

    def _options(self):
        trim = None
        if self.trim_db is not None:
            trim = (self.trim_db, self.trim_frame_length, self.trim_hop_length)
        return (self.sr, self.mono, self.offset, self.duration, self.res_type, trim)
