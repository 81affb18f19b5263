"""The frames of one video, with their times and, optionally, its sound track."""

import numpy as np

__all__ = ["VideoFrames", "check_video"]


class VideoFrames(list):
    """The sampled frames of one video: a list of images with their times.

    :class:`~skmm.video.VideoReader` returns one per video. It is a plain
    ``list`` of frame arrays (so that :class:`~skmm.compose.PerItem` applies
    any image extractor to every frame and pools them), with the facts of
    the video as attributes.

    Parameters
    ----------
    frames : iterable of ndarray
        The frames, ``(height, width)`` or ``(height, width, 3)`` each.
    times : array-like of shape (n_frames,)
        Presentation time of each frame in seconds, increasing.
    indices : array-like of shape (n_frames,) or None, default=None
        Position of each frame among all the frames of the video (its
        decoding order); None numbers them 0, 1, ...
    fps : float or None, default=None
        The video's average frame rate (frames per second), when known.
    duration : float or None, default=None
        The video's duration in seconds, when known.
    sound : Waveform or None, default=None
        The sound track (a :class:`~skmm.audio.Waveform`), when read.

    Attributes
    ----------
    times : ndarray of shape (n_frames,), float64
    indices : ndarray of shape (n_frames,), int64
    fps, duration, sound
        As given.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.video import VideoFrames
    >>> video = VideoFrames([np.zeros((4, 4, 3), np.uint8)] * 3, times=[0, 0.5, 1.0])
    >>> len(video), video.times, video.indices
    (3, array([0. , 0.5, 1. ]), array([0, 1, 2]))
    """

    def __init__(
        self, frames, times, *, indices=None, fps=None, duration=None, sound=None
    ):
        super().__init__(frames)
        self.times = np.asarray(times, dtype=np.float64).reshape(-1)
        self.indices = (
            np.arange(len(self), dtype=np.int64)
            if indices is None
            else np.asarray(indices, dtype=np.int64).reshape(-1)
        )
        if not len(self.times) == len(self.indices) == len(self):
            raise ValueError(
                f"VideoFrames has {len(self)} frames but {len(self.times)} times "
                f"and {len(self.indices)} indices."
            )
        self.fps = fps
        self.duration = duration
        self.sound = sound

    def __repr__(self):
        shape = np.shape(self[0]) if len(self) else ()
        return (
            f"VideoFrames(<{len(self)} frames of shape {shape}>, times="
            f"{np.array2string(self.times, precision=3, threshold=6)}, "
            f"fps={self.fps}, sound={'yes' if self.sound is not None else None})"
        )


def check_video(cell, where):
    """``(frames, times, indices)`` of one frame-sequence cell, or a
    ``TypeError``/``ValueError`` naming it (``where``)."""
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        raise ValueError(
            f"{where} is a missing value ({cell!r}). Drop the row, or give the "
            "pipeline to skmm.fusion.LateFusionClassifier (or SkipMissing), "
            "which count it as missing for the video modality."
        )
    if not isinstance(cell, VideoFrames):
        raise TypeError(
            f"{where} is of type {type(cell).__name__}; expected a "
            "skmm.video.VideoFrames (what VideoReader returns). Wrap decoded "
            "frames as VideoFrames(frames, times=...), which gives them a clock."
        )
    if len(cell) == 0:
        raise ValueError(f"{where} holds no frames.")
    times = cell.times
    if not np.isfinite(times).all() or (np.diff(times) <= 0).any():
        raise ValueError(f"{where} has frame times that are not finite and increasing.")
    frames = []
    for position, frame in enumerate(cell):
        frame = np.asarray(frame)
        if frame.ndim not in (2, 3) or frame.size == 0 or frame.dtype.kind not in "uf":
            raise ValueError(
                f"{where}: frame {position} is an array of shape {frame.shape} and "
                f"dtype {frame.dtype}; expected a non-empty (height, width[, 3]) "
                "image of unsigned integers or floats."
            )
        if frame.dtype.kind == "f" and not np.isfinite(frame).all():
            raise ValueError(f"{where}: frame {position} holds NaN or inf pixels.")
        frames.append(frame)
    return frames, times, cell.indices
