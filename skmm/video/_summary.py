"""Keyframe summaries of videos: VSUMM (colour histograms, k-means)."""

import numbers

import numpy as np
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions

from skmm.video._shots import _PerVideoMixin

__all__ = ["KeyframeSummarizer", "hue_histograms"]


def hue_histograms(frames, bins=16):
    """VSUMM's frame features: the hue histogram of each frame (``bins``
    bins of OpenCV's 8-bit hue), each summing to 1, by
    :class:`~skmm.image.ColorHistogram`; ``(n_frames, bins)``."""
    from skmm.image import ColorHistogram

    return ColorHistogram(color_space="hsv", hist_size=(bins, 1, 1)).fit_transform(
        list(frames)
    )


def _distances(histograms):
    """Manhattan distance between consecutive histograms."""
    return np.abs(np.diff(histograms, axis=0)).sum(axis=1)


class KeyframeSummarizer(_PerVideoMixin, BaseEstimator):
    """Keyframe summaries of videos by VSUMM (de Avila et al., 2011).

    Each video's frames (sample them first: VSUMM takes one frame per
    second, ``VideoReader(fps=1)``) are described by their hue histograms
    (16 bins, :class:`~skmm.image.ColorHistogram` in HSV); frames of almost
    one colour (fades to black, blank frames: their histogram's largest
    bin holds at least ``max_peak`` of the pixels) are dropped; k-means
    groups the histograms into ``n_keyframes`` clusters (or a number
    estimated from the video), the frame nearest each centre is a keyframe,
    and keyframes whose histograms lie within ``duplicate_threshold`` of an
    earlier one (Manhattan distance) are removed as near-duplicates.

    The summarizer learns nothing across videos: each video is clustered on
    its own, at ``transform`` time; ``fit`` only validates the parameters.

    Parameters
    ----------
    n_keyframes : int or "auto", default="auto"
        Clusters of k-means. "auto" estimates it as VSUMM does from the
        content changes: one plus the number of consecutive frames whose
        histograms lie more than ``change_threshold`` apart.
    bins : int, default=16
        Hue bins of the histograms.
    change_threshold : float, default=0.5
        Manhattan distance between consecutive histograms (in [0, 2]) that
        counts as a content change, for ``n_keyframes="auto"``.
    duplicate_threshold : float, default=0.5
        Keyframes whose histogram lies within this Manhattan distance of an
        earlier keyframe's are dropped (VSUMM's near-duplicate removal).
    max_peak : float, default=1.0
        Frames whose largest hue bin holds this share of the pixels or more
        are left out as meaningless (monochrome); 1.0 keeps all but
        single-hue frames; a video of nothing else keeps them all.
    random_state : int, RandomState instance or None, default=0
        Seed of k-means.

    Attributes
    ----------
    n_features_out_ : int
        2: each keyframe's frame index and time.

    See Also
    --------
    skmm.video.ShotDetector : Shot boundaries.
    skmm.metrics.summary_scores : VSUMM's comparison with a user's summary.

    Notes
    -----
    Each video's array holds its keyframes in time order: the frame's index
    among the decoded frames and its time in seconds.

    References
    ----------
    .. [1] S. E. F. de Avila, A. P. B. Lopes, A. da Luz Jr. and A. de A.
       Araujo, "VSUMM: A mechanism designed to produce static video summaries
       and a novel evaluation method", Pattern Recognition Letters 32(1),
       56-68, 2011.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.video import KeyframeSummarizer, VideoFrames
    >>> colours = [(200, 0, 0), (0, 200, 0), (0, 0, 200)]
    >>> frames = [np.full((8, 8, 3), c, np.uint8) for c in colours for _ in range(5)]
    >>> video = VideoFrames(frames, times=np.arange(15.0))
    >>> KeyframeSummarizer().transform([video])[0][:, 0]
    array([ 0.,  5., 10.])
    """

    _parameter_constraints: dict = {
        "n_keyframes": [
            Interval(numbers.Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "bins": [Interval(numbers.Integral, 2, 180, closed="both")],
        "change_threshold": [Interval(numbers.Real, 0, 2, closed="both")],
        "duplicate_threshold": [Interval(numbers.Real, 0, 2, closed="both")],
        "max_peak": [Interval(numbers.Real, 0, 1, closed="right")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        n_keyframes="auto",
        bins=16,
        change_threshold=0.5,
        duplicate_threshold=0.5,
        max_peak=1.0,
        random_state=0,
    ):
        self.n_keyframes = n_keyframes
        self.bins = bins
        self.change_threshold = change_threshold
        self.duplicate_threshold = duplicate_threshold
        self.max_peak = max_peak
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X=None, y=None):
        """Validate the parameters; nothing is learned and X is not read.

        Parameters
        ----------
        X : ignored
        y : ignored

        Returns
        -------
        self : KeyframeSummarizer
        """
        self.n_features_out_ = 2
        return self

    def _positions(self, frames, where):
        from sklearn.cluster import KMeans

        histograms = hue_histograms(frames, self.bins)
        meaningful = np.flatnonzero(histograms.max(axis=1) < self.max_peak)
        if meaningful.size == 0:
            meaningful = np.arange(len(frames))
        features = histograms[meaningful]
        if self.n_keyframes == "auto":
            k = 1 + int((_distances(features) > self.change_threshold).sum())
        else:
            k = self.n_keyframes
        distinct = len(np.unique(features, axis=0))
        k = min(k, distinct)
        if k == 1:
            centres = features.mean(axis=0, keepdims=True)
        else:
            centres = (
                KMeans(n_clusters=k, n_init=10, random_state=self.random_state)
                .fit(features)
                .cluster_centers_
            )
        nearest = np.unique(
            [np.argmin(((features - c) ** 2).sum(axis=1)) for c in centres]
        )
        kept = []
        for position in nearest:  # time order: earlier keyframes win
            if all(
                np.abs(features[position] - features[k]).sum()
                > self.duplicate_threshold
                for k in kept
            ):
                kept.append(position)
        return meaningful[np.asarray(kept, dtype=np.int64)]
