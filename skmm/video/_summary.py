"""Keyframe summaries of videos: VSUMM (colour histograms, k-means)."""

import numbers

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, StrOptions

from skmm.video._shots import _PerVideoMixin

__all__ = ["KeyframeSummarizer", "hue_histograms"]


def hue_histograms(frames, hist_size=(16, 1, 1)):
    """VSUMM's frame features: each frame's HSV histogram of ``hist_size``
    bins (16 hue bins by default, VSUMM's), summing to 1, by
    :class:`~skmm.image.ColorHistogram`; ``(n_frames, n_bins)``."""
    from skmm.image import ColorHistogram

    return ColorHistogram(color_space="hsv", hist_size=hist_size).fit_transform(
        list(frames)
    )


def _hist_size(hist_size):
    if isinstance(hist_size, numbers.Integral):
        return (int(hist_size), 1, 1)
    sizes = tuple(hist_size)
    if len(sizes) != 3 or not all(
        isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 1
        for s in sizes
    ):
        raise ValueError(
            f"hist_size must be an int (hue bins) or 3 ints (H, S, V bins), got "
            f"{hist_size!r}."
        )
    return sizes


def _distances(histograms):
    """Manhattan distance between consecutive histograms."""
    return np.abs(np.diff(histograms, axis=0)).sum(axis=1)


class KeyframeSummarizer(_PerVideoMixin, BaseEstimator):
    """Keyframe summaries of videos by VSUMM (de Avila et al., 2011).

    Each video's frames (sample them first: VSUMM takes one frame per
    second, ``VideoReader(fps=1)``) are described by their colour
    histograms (16 hue bins, VSUMM's, by
    :class:`~skmm.image.ColorHistogram` in HSV); meaningless frames (blank
    frames, fades to black: a standard deviation of their gray levels
    below ``min_std``) are dropped; k-means
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
    hist_size : int or tuple of 3 int, default=16
        Bins of the HSV histograms: an int is hue bins alone (VSUMM's
        feature); 3 ints are joint hue, saturation and value bins, which
        also tell apart pictures of one hue (gray line art).
    change_threshold : float, default=0.5
        Manhattan distance between consecutive histograms (in [0, 2]) that
        counts as a content change, for ``n_keyframes="auto"``.
    duplicate_threshold : float, default=0.5
        Keyframes whose histogram lies within this Manhattan distance of an
        earlier keyframe's are dropped (VSUMM's near-duplicate removal).
    min_std : float, default=5.0
        Frames whose gray levels (0..255) have a smaller standard deviation
        are left out as meaningless; 0 keeps every frame. A video of
        nothing else keeps them all.
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
        "hist_size": [Interval(numbers.Integral, 1, 180, closed="both"), tuple, list],
        "change_threshold": [Interval(numbers.Real, 0, 2, closed="both")],
        "duplicate_threshold": [Interval(numbers.Real, 0, 2, closed="both")],
        "min_std": [Interval(numbers.Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        n_keyframes="auto",
        hist_size=16,
        change_threshold=0.5,
        duplicate_threshold=0.5,
        min_std=5.0,
        random_state=0,
    ):
        self.n_keyframes = n_keyframes
        self.hist_size = hist_size
        self.change_threshold = change_threshold
        self.duplicate_threshold = duplicate_threshold
        self.min_std = min_std
        self.random_state = random_state

    def _check_params(self):
        _hist_size(self.hist_size)

    def _positions(self, frames, where):
        from sklearn.cluster import KMeans

        from skmm.image._features import gray_uint8

        try:
            histograms = hue_histograms(frames, _hist_size(self.hist_size))
            spread = np.array([gray_uint8(f, i).std() for i, f in enumerate(frames)])
        except ValueError as error:
            # The image checks name the frame ("Image sample 3"): add the video.
            raise ValueError(f"{where}: {error}") from None
        meaningful = np.flatnonzero(spread >= self.min_std)
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
                np.abs(features[position] - features[other]).sum()
                > self.duplicate_threshold
                for other in kept
            ):
                kept.append(position)
        return meaningful[np.asarray(kept, dtype=np.int64)]
