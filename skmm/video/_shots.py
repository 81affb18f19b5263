"""Shot boundaries from frame-to-frame content differences in HSV."""

import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval

from skmm.base import PerSampleOutputMixin, StatelessMixin, with_input_kind
from skmm.image._features import as_uint8
from skmm.utils._validation import _as_column, _sample_label
from skmm.video._frames import check_video

__all__ = ["ShotDetector"]


def hsv_frames(frames, where):
    """The frames as 8-bit HSV (OpenCV's scaling), one ``(n, h, w, 3)`` int32
    array; frames must share one size."""
    import cv2

    shapes = {np.shape(frame)[:2] for frame in frames}
    if len(shapes) > 1:
        raise ValueError(
            f"{where} has frames of several sizes {sorted(shapes)}; read them "
            "with VideoReader(size=...)."
        )
    out = []
    for position, frame in enumerate(frames):
        try:
            frame = as_uint8(frame, position)
        except ValueError as error:
            raise ValueError(f"{where}, frame {position}: {error}") from None
        if frame.ndim == 2:
            frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB)
        out.append(
            cv2.cvtColor(np.ascontiguousarray(frame[..., :3]), cv2.COLOR_RGB2HSV)
        )
    return np.stack(out).astype(np.int32)


def content_values(hsv, weights):
    """PySceneDetect's ``content_val`` between each frame and the one before:
    the mean absolute difference of each HSV channel, averaged with
    ``weights``; ``(n_frames,)`` with 0 for the first frame."""
    values = np.zeros(len(hsv))
    if len(hsv) > 1:
        deltas = np.abs(np.diff(hsv, axis=0)).mean(axis=(1, 2))
        values[1:] = deltas @ np.asarray(weights, float) / np.abs(weights).sum()
    return values


def adaptive_cuts(values, threshold, min_content_val, window, min_scene_len):
    """Positions of the frames that start a new shot.

    A frame is a cut when its content value is at least ``min_content_val``
    and at least ``threshold`` times the mean of the ``window`` values on
    each side (PySceneDetect's ``AdaptiveDetector``), and at least
    ``min_scene_len`` frames after the previous cut (or the start).
    """
    cuts = []
    last = 0
    for i in range(window, len(values) - window):
        around = np.r_[values[i - window : i], values[i + 1 : i + 1 + window]]
        mean = around.mean()
        value = values[i]
        if value < min_content_val:
            continue
        ratio = value / mean if mean > 0 else np.inf
        if ratio >= threshold and i - last >= min_scene_len:
            cuts.append(i)
            last = i
    return np.asarray(cuts, dtype=np.int64)


def _index_time(video_indices, times, positions):
    return np.column_stack(
        [video_indices[positions].astype(np.float64), times[positions]]
    ).reshape(-1, 2)


class _PerVideoMixin(StatelessMixin, PerSampleOutputMixin, TransformerMixin):
    """What the per-video analyses share: one ``(n, 2)`` array of frame
    indices and times per video, computed video by video."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.transformer_tags.preserves_dtype = []
        return with_input_kind(tags, "video")

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X=None, y=None):
        """Validate the parameters; nothing is learned and X is not read.

        Parameters
        ----------
        X : ignored
        y : ignored

        Returns
        -------
        self : object
        """
        self._check_params()
        self.n_features_out_ = 2
        return self

    def _check_params(self):
        """Checks of parameters beyond ``_parameter_constraints``."""

    def transform(self, X):
        """Frame indices and times of every video.

        Parameters
        ----------
        X : list, tuple, 1-D object array, pandas Series or one-column DataFrame
            One :class:`~skmm.video.VideoFrames` per video (what
            :class:`~skmm.video.VideoReader` returns), frames of one size.

        Returns
        -------
        frames_times : list of ndarray of shape (n, 2)
            One float64 array per video: column 0 the frame's index in the
            video (``VideoFrames.indices``: its position among all the
            decoded frames), column 1 its time in seconds.
        """
        fitted = self._fitted_for(X)
        videos, labels = _as_column(X, kind="video")
        out = []
        for position, video in enumerate(videos):
            where = f"Video {_sample_label(position, labels)}"
            frames, times, indices = check_video(video, where)
            chosen = fitted._positions(frames, where)
            out.append(_index_time(indices, times, chosen))
        return out

    def get_feature_names_out(self, input_features=None):
        """``["frame", "time"]``, the columns of each video's array.

        Parameters
        ----------
        input_features : ignored

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        return np.asarray(["frame", "time"], dtype=object)


class ShotDetector(_PerVideoMixin, BaseEstimator):
    """Shot boundaries (cuts) of videos, from content differences in HSV.

    PySceneDetect's content detector with its adaptive threshold
    (``AdaptiveDetector``): frames are converted to HSV (OpenCV's 8-bit
    scaling), each frame's *content value* is the mean absolute difference
    of its H, S and V channels from the previous frame's, averaged with
    ``weights``; a frame starts a new shot when its content value is at
    least ``min_content_val`` and at least ``adaptive_threshold`` times the
    mean content value of the ``window_width`` frames on each side, and at
    least ``min_scene_len`` frames after the previous cut. The adaptive
    ratio keeps fast camera motion (high content values over many frames)
    from firing, where one fixed threshold would.
    On the same frames, the content values and cuts equal PySceneDetect's
    (``AdaptiveDetector`` with the same parameters; tested on clip-art
    videos, reading the files through OpenCV, whose frames
    :class:`~skmm.video.VideoReader`'s equal).

    The detector learns nothing: ``fit`` only validates the parameters.

    Parameters
    ----------
    adaptive_threshold : float, default=3.0
        Ratio of a frame's content value to its neighbours' mean above
        which it is a cut (PySceneDetect's ``adaptive_threshold``).
    min_content_val : float, default=15.0
        Smallest content value of a cut (0..255 scale).
    window_width : int, default=2
        Frames on each side whose mean the ratio compares to. Cuts within
        ``window_width`` frames of either end are not detected.
    min_scene_len : int, default=15
        Fewest frames between two cuts (and from the start to the first).
        Counted in the frames given, which may be a sample of the video's.
    weights : tuple of 3 float, default=(1.0, 1.0, 1.0)
        Weights of the hue, saturation and value differences.

    Attributes
    ----------
    n_features_out_ : int
        2: each boundary's frame index and time.

    See Also
    --------
    skmm.video.VideoReader : Frames (with times) to detect shots in.
    skmm.video.KeyframeSummarizer : Keyframes of a video.
    skmm.metrics.shot_boundary_scores : Precision, recall and F1 of cuts.

    Notes
    -----
    A boundary is the first frame of a new shot; each video's array holds
    its index among the decoded frames and its time. Gradual transitions
    (fades, dissolves) spread the change over many frames: the adaptive
    ratio then stays low and a fade is usually not reported as a cut
    (see the tests, which measure it).

    References
    ----------
    .. [1] B. Castellano, PySceneDetect, ``scenedetect.detectors``
       (``ContentDetector``, ``AdaptiveDetector``),
       https://www.scenedetect.com.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.video import ShotDetector, VideoFrames
    >>> red, blue = np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8, 3), np.uint8)
    >>> red[..., 0], blue[..., 2] = 200, 200
    >>> frames = [red] * 20 + [blue] * 20
    >>> video = VideoFrames(frames, times=np.arange(40) / 10)
    >>> ShotDetector().transform([video])
    [array([[20.,  2.]])]
    """

    _parameter_constraints: dict = {
        "adaptive_threshold": [Interval(numbers.Real, 0, None, closed="neither")],
        "min_content_val": [Interval(numbers.Real, 0, None, closed="left")],
        "window_width": [Interval(numbers.Integral, 1, None, closed="left")],
        "min_scene_len": [Interval(numbers.Integral, 1, None, closed="left")],
        "weights": [tuple, list],
    }

    def __init__(
        self,
        *,
        adaptive_threshold=3.0,
        min_content_val=15.0,
        window_width=2,
        min_scene_len=15,
        weights=(1.0, 1.0, 1.0),
    ):
        self.adaptive_threshold = adaptive_threshold
        self.min_content_val = min_content_val
        self.window_width = window_width
        self.min_scene_len = min_scene_len
        self.weights = weights

    def _check_params(self):
        weights = np.asarray(self.weights, dtype=float)
        if weights.shape != (3,) or (weights < 0).any() or weights.sum() <= 0:
            raise ValueError(
                f"weights must be 3 non-negative numbers, not all 0; got "
                f"{self.weights!r}."
            )

    def content_values(self, X):
        """Each frame's content value (0 for a video's first frame).

        Parameters
        ----------
        X : list of VideoFrames

        Returns
        -------
        values : list of ndarray of shape (n_frames,)
        """
        fitted = self._fitted_for(X)
        videos, labels = _as_column(X, kind="video")
        out = []
        for position, video in enumerate(videos):
            where = f"Video {_sample_label(position, labels)}"
            frames, _, _ = check_video(video, where)
            out.append(content_values(hsv_frames(frames, where), fitted.weights))
        return out

    def _positions(self, frames, where):
        values = content_values(hsv_frames(frames, where), self.weights)
        return adaptive_cuts(
            values,
            self.adaptive_threshold,
            self.min_content_val,
            self.window_width,
            self.min_scene_len,
        )
