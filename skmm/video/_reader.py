"""Read video files into sampled, resized frames (and the sound track), with PyAV."""

import numbers
import os

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions

from skmm.base import SampleReader, with_input_kind
from skmm.video._frames import VideoFrames, check_video

__all__ = ["VideoReader"]

# Frames resized per call of ImageReader: bounds the full-size frames held at
# once while keeping its per-call cost small.
_CHUNK = 16
# Demuxers of single images, which FFmpeg opens as one-frame "videos".
_IMAGE_FORMATS = ("image2", "gif")


def _import_av():
    try:
        import av
    except ImportError as error:  # pragma: no cover - the extra is installed in CI
        raise ImportError(
            "VideoReader decodes files with PyAV: pip install 'skmm[video]' "
            "(or pip install av)."
        ) from error
    return av


class _Sampler:
    """Which frames of a stream to keep, decided one frame at a time.

    ``every``: frames 0, every, 2 every, ... of the stream. ``fps``: the
    frame nearest to each time ``start + k / fps`` (each frame once).
    ``max_frames`` alone: the frames nearest to ``max_frames`` times evenly
    spaced over the duration (``start + (j + 1/2) * duration / max_frames``);
    with ``fps`` or ``every``, a cap: the first ``max_frames`` sampled.
    """

    def __init__(self, fps, every, max_frames, start, duration, period):
        self.fps, self.every, self.max_frames = fps, every, max_frames
        # A target midway between two frames goes to the later one, whatever
        # the rounding of the times.
        self.start, self.half = start, period / 2 * (1 - 1e-6)
        self.n_kept = 0
        self.targets = None
        if max_frames is not None and fps is None and every is None:
            step = duration / max_frames
            self.targets = [start + (j + 0.5) * step for j in range(max_frames)]
        self.k = 0

    def done(self):
        if self.max_frames is not None and self.n_kept >= self.max_frames:
            return True
        return self.targets is not None and self.k >= len(self.targets)

    def keep(self, index, time):
        if self.every is not None:
            keep = index % self.every == 0
        elif self.fps is not None:
            limit = time + self.half
            keep = self.start + self.k / self.fps < limit
            while self.start + self.k / self.fps < limit:
                self.k += 1
        elif self.targets is not None:
            limit = time + self.half
            keep = self.k < len(self.targets) and self.targets[self.k] < limit
            while self.k < len(self.targets) and self.targets[self.k] < limit:
                self.k += 1
        else:
            keep = True
        self.n_kept += keep
        return keep


def _resize_chunks(frames, image_reader):
    """Frames resized (and converted) by ImageReader, a few at a time."""
    out = []
    for start in range(0, len(frames), _CHUNK):
        out.extend(image_reader.transform(frames[start : start + _CHUNK]))
    return out


def _open(av, path, where):
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{where}: no such file.")
    try:
        container = av.open(path, metadata_errors="ignore")
    except (av.FFmpegError, UnicodeDecodeError) as error:
        raise ValueError(
            f"{where} cannot be opened as a video by PyAV/FFmpeg (not a video "
            f"file, or corrupt or truncated: {error})."
        ) from None
    name = container.format.name
    if name in _IMAGE_FORMATS or name.endswith("_pipe"):
        container.close()
        kind = name.removesuffix("_pipe").upper()
        raise ValueError(
            f"{where} is an image file ({kind}), not a video: give it to "
            "skmm.image.ImageReader, or its own column."
        )
    return container


def _seconds(value, time_base):
    return None if value is None or time_base is None else float(value * time_base)


def _video_facts(container, stream):
    """``(start, duration, period, n_frames)`` of a video stream, in seconds."""
    start = _seconds(stream.start_time, stream.time_base) or 0.0
    duration = _seconds(stream.duration, stream.time_base)
    if not duration and container.duration:
        duration = container.duration / 1_000_000
    rate = stream.average_rate or stream.guessed_rate
    n_frames = stream.frames or 0
    if not duration and rate and n_frames:
        duration = n_frames / float(rate)
    period = 1.0 / float(rate) if rate else (duration / n_frames if n_frames else 0.0)
    return start, duration, period, n_frames


def _decode_frames(av, path, where, sampling, image_reader):
    """The sampled frames of a file as VideoFrames (no sound)."""
    fps, every, max_frames = sampling
    container = _open(av, path, where)
    try:
        if not container.streams.video:
            raise ValueError(
                f"{where} holds no video stream (an audio-only file?): there "
                "are no frames to read."
            )
        stream = container.streams.video[0]
        start, duration, period, n_frames = _video_facts(container, stream)
        if max_frames is not None and fps is None and every is None and not duration:
            raise ValueError(
                f"{where}: its duration is unknown, so frames cannot be spread "
                "over it; sample with fps= or every= instead."
            )
        sampler = _Sampler(fps, every, max_frames, start, duration or 0.0, period)
        # One converter for the whole video: Frame.to_ndarray(format=...)
        # sets up swscale anew for every frame, which costs 9 times the
        # conversion itself on small frames.
        reformatter = av.video.reformatter.VideoReformatter()
        kept, times, indices, pending = [], [], [], []
        index = -1
        try:
            for index, frame in enumerate(container.decode(stream)):
                time = frame.time if frame.time is not None else start + index * period
                if sampler.keep(index, time):
                    # Only kept frames are converted; they are resized a few
                    # at a time, so full-size frames never pile up.
                    rgb = reformatter.reformat(frame, format="rgb24")
                    pending.append(rgb.to_ndarray())
                    times.append(time)
                    indices.append(index)
                    if len(pending) == _CHUNK:
                        kept.extend(_resize_chunks(pending, image_reader))
                        pending = []
                if sampler.done():
                    break
            else:
                # One frame of slack: an edit list or a last frame the
                # muxer counted but did not store is no truncation.
                if n_frames and index + 2 < n_frames:
                    raise ValueError(
                        f"{where} is truncated: its header announces {n_frames} "
                        f"frames, {index + 1} could be decoded."
                    )
        except av.FFmpegError as error:
            raise ValueError(
                f"{where} cannot be decoded after frame {index + 1} (corrupt or "
                f"truncated: {error})."
            ) from None
        if index < 0:
            raise ValueError(f"{where} holds no frames (a zero-frame video).")
        kept.extend(_resize_chunks(pending, image_reader))
        rate = stream.average_rate or stream.guessed_rate
        return VideoFrames(
            kept,
            times,
            indices=indices,
            fps=float(rate) if rate else None,
            duration=duration,
        )
    finally:
        container.close()


def _decode_sound(av, path, where, sr, audio_reader):
    """The file's sound track as a Waveform at ``sr`` (mono)."""
    container = _open(av, path, where)
    try:
        if not container.streams.audio:
            raise ValueError(
                f"{where} has no sound track, and audio was asked for "
                "(VideoReader(audio=True or 'only'))."
            )
        stream = container.streams.audio[0]
        # Planar float32 at the track's own rate and channels; mixing down
        # and resampling are AudioReader's (librosa's to_mono, soxr).
        resampler = av.AudioResampler(format="fltp")
        blocks = []
        try:
            for frame in container.decode(stream):
                blocks.extend(r.to_ndarray() for r in resampler.resample(frame))
            blocks.extend(r.to_ndarray() for r in resampler.resample(None))
        except av.FFmpegError as error:
            raise ValueError(
                f"{where}: its sound track cannot be decoded (corrupt or "
                f"truncated: {error})."
            ) from None
        rate = stream.rate
    finally:
        container.close()
    if not blocks:
        raise ValueError(f"{where} has an empty sound track.")
    samples = np.concatenate(blocks, axis=1).astype(np.float32, copy=False)
    [wave] = audio_reader.transform([(samples, rate)])
    return wave


def _resample_frames(cell, where, sampling, image_reader):
    """VideoFrames sampled again and resized, keeping their clock."""
    fps, every, max_frames = sampling
    frames, times, indices = check_video(cell, where)
    period = float(np.median(np.diff(times))) if len(times) > 1 else 0.0
    duration = cell.duration
    if duration is None:
        duration = times[-1] - times[0] + period
    sampler = _Sampler(fps, every, max_frames, times[0], duration, period)
    chosen = []
    for position, time in enumerate(times):
        if sampler.keep(position, time):
            chosen.append(position)
        if sampler.done():
            break
    return VideoFrames(
        _resize_chunks([frames[p] for p in chosen], image_reader),
        times[chosen],
        indices=indices[chosen],
        fps=cell.fps,
        duration=cell.duration,
        sound=cell.sound,
    )


def any_sound_track(cells, n_probe=5):
    """True when one of the first ``n_probe`` present cells of a video column
    has a sound track (a file with an audio stream, VideoFrames with
    ``.sound``). Unreadable files count as silent; nothing is decoded."""
    from skmm.utils._validation import _as_column, _is_missing

    cells, _ = _as_column(cells, kind="video")
    probed = 0
    for cell in cells:
        if isinstance(cell, VideoFrames):
            if cell.sound is not None:
                return True
        elif not _is_missing(cell) and isinstance(cell, str | os.PathLike):
            av = _import_av()
            try:
                with av.open(os.fspath(cell), metadata_errors="ignore") as container:
                    if container.streams.audio:
                        return True
            except (av.FFmpegError, OSError, UnicodeDecodeError):
                pass
        else:
            continue
        probed += 1
        if probed >= n_probe:
            break
    return False


def _read_cell(cell, where, options):
    """One cell as VideoFrames (or a Waveform with ``audio="only"``)."""
    sampling, audio, sr, image_reader, audio_reader = options
    if isinstance(cell, str | os.PathLike):
        path = os.fspath(cell)
        where = f"{where} ({path!r})"
        av = _import_av()
        if audio == "only":
            return _decode_sound(av, path, where, sr, audio_reader)
        video = _decode_frames(av, path, where, sampling, image_reader)
        if audio:
            video.sound = _decode_sound(av, path, where, sr, audio_reader)
        return video
    if isinstance(cell, VideoFrames):
        if audio:
            if cell.sound is None:
                raise ValueError(
                    f"{where} is VideoFrames without a sound track, and audio "
                    "was asked for."
                )
            [sound] = audio_reader.transform([cell.sound])
            if audio == "only":
                return sound
        video = _resample_frames(cell, where, sampling, image_reader)
        if audio:
            video.sound = sound
        return video
    raise TypeError(
        f"{where} is of type {type(cell).__name__}; expected a video file path "
        "or skmm.video.VideoFrames."
    )


class VideoReader(SampleReader):
    """Read video files into sampled, resized frames and, optionally, sound.

    Each video becomes a :class:`~skmm.video.VideoFrames`: a list of its
    sampled frames, read as :class:`~skmm.image.ImageReader` reads images
    (RGB uint8 by default, resized by the same policy), with their
    presentation times (``.times``, seconds), their positions among all
    the video's frames (``.indices``), the frame rate (``.fps``), the
    duration (``.duration``) and, with ``audio=True``, the sound track
    (``.sound``, a :class:`~skmm.audio.Waveform` at ``sr``). Being a list,
    it is a cell of several items for :class:`~skmm.compose.PerItem`: any
    image extractor applies to every frame, and the frame vectors are
    pooled (or kept as a descriptor set for :mod:`skmm.encode`). With
    ``audio="only"`` the output is the sound track alone, one
    :class:`~skmm.audio.Waveform` per video, for the audio pipelines.

    Files are decoded by PyAV (FFmpeg's libraries; MP4, MOV, AVI, MKV,
    WebM and whatever else FFmpeg reads), as a stream: frames that are not
    sampled are never converted, and sampled ones are resized a few at a
    time, so memory is bounded by the output, never by the video's
    full-size frames. PyAV rather than an ``ffmpeg`` command: its binary
    wheels bundle FFmpeg (nothing else to install), it decodes in process
    frame by frame (no subprocess, pipes or temporary files), and it gives
    each frame's timestamp and the streams' facts (rate, duration, frame
    count) that sampling and error checks need.

    The reader learns nothing: ``fit`` only validates the parameters.

    Parameters
    ----------
    fps : float or None, default=None
        Sample frames at this rate: the frame nearest to each time ``start
        + k / fps`` (a frame at most once, so a rate above the video's
        gives every frame).
    every : int or None, default=None
        Sample every ``every``-th frame (frames 0, every, 2 every, ...).
        At most one of ``fps`` and ``every``.
    max_frames : int or None, default=None
        Alone: the frames nearest to ``max_frames`` times evenly spaced over
        the duration, at the middles of ``max_frames`` equal spans (1 gives
        the middle frame); fewer when the video has fewer frames. With
        ``fps`` or ``every``: at most the first ``max_frames`` sampled
        frames, and decoding stops there. None of the three: every frame.
    color : {"rgb", "gray"}, default="rgb"
        As :class:`~skmm.image.ImageReader`'s.
    size : tuple of (int, int) or None, default=None
        ``(height, width)`` of every frame; None keeps the video's.
    interpolation : {"area", "linear", "cubic", "nearest", "lanczos"}, \
            default="area"
        As :class:`~skmm.image.ImageReader`'s.
    keep_aspect : bool, default=False
        As :class:`~skmm.image.ImageReader`'s: fit inside ``size`` and pad
        (letterbox) with ``pad_value``.
    pad_value : float, default=0
        As :class:`~skmm.image.ImageReader`'s.
    dtype : {"uint8", "float32", "float64"} or None, default=None
        As :class:`~skmm.image.ImageReader`'s: None keeps the decoded
        uint8.
    audio : bool or "only", default=False
        Also read the sound track (``.sound`` of each output), or read only
        it (each output is then a Waveform). A video without one is an
        unreadable sample when audio is asked for.
    sr : int or None, default=22050
        Sample rate of the sound track in Hz: mixed down to mono and
        resampled as :class:`~skmm.audio.AudioReader` does (soxr); None
        keeps the track's rate.
    on_error : {"raise", "missing"}, default="raise"
        What to do with a sample that cannot be read (missing file, image
        or audio-only file, zero frames, truncated or corrupt file, no sound
        track when one is asked for) or is missing (None, NaN): raise an
        error naming it (position, index label, path), or return None in
        its place and count such samples in one
        :class:`~skmm.exceptions.UnreadableSampleWarning` per call.
    n_jobs : int or None, default=None
        Videos read in parallel by joblib (threads: FFmpeg releases the
        GIL). None means 1 unless in a ``joblib.parallel_config`` context.
    verbose : bool or int, default=False
        Show a progress bar counting the videos read.

    Attributes
    ----------
    device_ : str
        Always "cpu": frames are decoded and kept on the host.

    See Also
    --------
    skmm.image.ImageReader : The resizing policy applied to every frame.
    skmm.audio.AudioReader : The mixing and resampling of the sound track.
    skmm.compose.PerItem : Any image extractor over the frames, pooled.
    skmm.video.ShotDetector : Shot boundaries of the frames read.

    Notes
    -----
    A cell is a file path, a :class:`~skmm.video.VideoFrames` (sampled and
    resized again, keeping its times), or None/NaN (missing). A truncated
    file is found by its header's frame count (when the container keeps
    one: AVI, MP4; more than one frame missing) or by a decoding error.

    Examples
    --------
    >>> import os, tempfile
    >>> import av, numpy as np
    >>> from skmm.video import VideoReader
    >>> path = os.path.join(tempfile.mkdtemp(), "ramp.avi")
    >>> with av.open(path, "w") as out:
    ...     stream = out.add_stream("mpeg4", rate=10)
    ...     stream.width = stream.height = 32
    ...     for i in range(20):
    ...         image = np.full((32, 32, 3), 10 * i, np.uint8)
    ...         frame = av.VideoFrame.from_ndarray(image, format="rgb24")
    ...         out.mux(stream.encode(frame))
    ...     out.mux(stream.encode())
    >>> [video] = VideoReader(max_frames=4, size=(16, 16)).fit_transform([path])
    >>> len(video), video[0].shape, video.times, video.fps
    (4, (16, 16, 3), array([0.3, 0.8, 1.3, 1.8]), 10.0)
    """

    _kind = "video"
    _unit = "video"
    _read_cell = staticmethod(_read_cell)

    _parameter_constraints: dict = {
        "fps": [None, Interval(numbers.Real, 0, None, closed="neither")],
        "every": [None, Interval(numbers.Integral, 1, None, closed="left")],
        "max_frames": [None, Interval(numbers.Integral, 1, None, closed="left")],
        "color": [StrOptions({"gray", "rgb"})],
        "size": [tuple, list, None],
        "interpolation": [
            StrOptions({"nearest", "linear", "cubic", "area", "lanczos"})
        ],
        "keep_aspect": ["boolean"],
        "pad_value": [numbers.Real],
        "dtype": [StrOptions({"uint8", "float32", "float64"}), None],
        "audio": ["boolean", StrOptions({"only"})],
        "sr": [None, Interval(numbers.Integral, 1, None, closed="left")],
        "on_error": [StrOptions({"raise", "missing"})],
        "n_jobs": [None, numbers.Integral],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        fps=None,
        every=None,
        max_frames=None,
        color="rgb",
        size=None,
        interpolation="area",
        keep_aspect=False,
        pad_value=0,
        dtype=None,
        audio=False,
        sr=22050,
        on_error="raise",
        n_jobs=None,
        verbose=False,
    ):
        self.fps = fps
        self.every = every
        self.max_frames = max_frames
        self.color = color
        self.size = size
        self.interpolation = interpolation
        self.keep_aspect = keep_aspect
        self.pad_value = pad_value
        self.dtype = dtype
        self.audio = audio
        self.sr = sr
        self.on_error = on_error
        self.n_jobs = n_jobs
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X=None, y=None):
        """Validate the parameters; nothing is learned and X is not read.

        Parameters
        ----------
        X : ignored
        y : ignored

        Returns
        -------
        self : VideoReader
        """
        if self.fps is not None and self.every is not None:
            raise ValueError(
                "Give at most one of fps and every (max_frames may join either)."
            )
        self._image_reader().fit()
        self.device_ = "cpu"
        return self

    def transform(self, X):
        """Read every sample.

        Parameters
        ----------
        X : list, tuple, 1-D object array, pandas Series or one-column DataFrame
            One sample per cell: a video file path, VideoFrames, or None/NaN.

        Returns
        -------
        videos : list of VideoFrames, or of Waveform with ``audio="only"``
            One per input sample, in input order; None for missing or
            unreadable samples with ``on_error="missing"``.
        """
        if isinstance(X, VideoFrames):
            raise TypeError("X is one VideoFrames; give a list of videos ([frames]).")
        return self._read_all(X)

    def __sklearn_tags__(self):
        return with_input_kind(super().__sklearn_tags__(), "video")

    def _image_reader(self):
        from skmm.image import ImageReader

        return ImageReader(
            color=self.color,
            size=self.size,
            interpolation=self.interpolation,
            keep_aspect=self.keep_aspect,
            pad_value=self.pad_value,
            dtype=self.dtype,
        )

    def _missing_error(self, label, value):
        return ValueError(
            f"Video {label} is a missing value ({value!r}). Drop the row, or read "
            "with on_error='missing' inside skmm.fusion.LateFusionClassifier "
            "(or skmm.compose.MultimodalClassifier), which count such samples as "
            "missing for the video modality."
        )

    def _options(self):
        from skmm.audio import AudioReader

        sampling = (
            None if self.fps is None else float(self.fps),
            self.every,
            self.max_frames,
        )
        audio_reader = AudioReader(sr=self.sr).fit()
        return sampling, self.audio, self.sr, self._image_reader().fit(), audio_reader
