"""Video metrics: shot boundaries against a reference, keyframe summaries
against a user's (VSUMM's comparison)."""

import numbers

import numpy as np
from sklearn.utils._param_validation import Interval, validate_params

__all__ = ["shot_boundary_scores", "summary_f_score", "summary_scores"]


def _boundaries(values, name):
    """One video's boundary frame indices as a sorted 1-D int array; a
    detector's ``(n, 2)`` output gives its first column."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 2 and array.shape[1] == 2:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(
            f"{name} must hold frame indices (1-D, or ShotDetector's (n, 2) "
            f"arrays), got shape {array.shape}."
        )
    if not np.isfinite(array).all() or (array != np.rint(array)).any():
        raise ValueError(f"{name} must hold whole frame indices.")
    return np.sort(array.astype(np.int64))


def _per_video(values, name):
    """A list of per-video boundary arrays (one video: one array)."""
    if (
        isinstance(values, list | tuple)
        and values
        and all(np.ndim(v) >= 1 and not isinstance(v, numbers.Number) for v in values)
    ):
        return [_boundaries(v, f"{name}[{i}]") for i, v in enumerate(values)]
    return [_boundaries(values, name)]


def _matched(true, pred, tolerance):
    """Most one-to-one pairs with ``|t - p| <= tolerance`` (both sorted): on
    a line, pairing in order is optimal."""
    i = j = n = 0
    while i < len(true) and j < len(pred):
        if abs(true[i] - pred[j]) <= tolerance:
            n, i, j = n + 1, i + 1, j + 1
        elif pred[j] < true[i]:
            j += 1
        else:
            i += 1
    return n


@validate_params(
    {
        "y_true": ["array-like"],
        "y_pred": ["array-like"],
        "tolerance": [Interval(numbers.Integral, 0, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def shot_boundary_scores(y_true, y_pred, *, tolerance=0):
    """Precision, recall and F1 of detected shot boundaries.

    A detected boundary is right when it lies within ``tolerance`` frames of
    a reference boundary not already matched (one-to-one matching, the most
    pairs possible). Counts are summed over videos (micro-average), as
    TRECVID's shot-boundary task does.

    Parameters
    ----------
    y_true : array-like of int, or list of them (one per video)
        Reference boundaries: frame indices of the first frames of new
        shots. :class:`~skmm.video.ShotDetector`'s ``(n, 2)`` arrays are
        taken by their frame column.
    y_pred : array-like of int, or list of them (one per video)
        Detected boundaries, as ``y_true``.
    tolerance : int, default=0
        Largest distance in frames between a detection and its reference.

    Returns
    -------
    precision, recall, f1 : float
        Precision is 1.0 when nothing was detected, recall 1.0 when there
        was nothing to detect; F1 is their harmonic mean (0.0 when both
        are 0).

    Examples
    --------
    >>> from skmm.metrics import shot_boundary_scores
    >>> scores = shot_boundary_scores([10, 50, 90], [11, 50, 70], tolerance=2)
    >>> [round(score, 3) for score in scores]
    [0.667, 0.667, 0.667]
    """
    true, pred = _per_video(y_true, "y_true"), _per_video(y_pred, "y_pred")
    if len(true) != len(pred):
        raise ValueError(
            f"y_true holds {len(true)} videos but y_pred holds {len(pred)}."
        )
    hits = sum(_matched(t, p, tolerance) for t, p in zip(true, pred, strict=True))
    n_true = sum(len(t) for t in true)
    n_pred = sum(len(p) for p in pred)
    precision = hits / n_pred if n_pred else 1.0
    recall = hits / n_true if n_true else 1.0
    total = precision + recall
    f1 = 2 * precision * recall / total if total else 0.0
    return float(precision), float(recall), float(f1)


def _histograms(keyframes, hist_size, name):
    from skmm.video._summary import _hist_size, hue_histograms

    sizes = _hist_size(hist_size)
    n_bins = int(np.prod(sizes))
    if len(keyframes) == 0:
        return np.zeros((0, n_bins))
    if isinstance(keyframes, np.ndarray) and keyframes.ndim == 2:
        if keyframes.shape[1] != n_bins:
            raise ValueError(
                f"{name} holds histograms of {keyframes.shape[1]} bins; "
                f"hist_size={hist_size!r} gives {n_bins}."
            )
        return keyframes.astype(np.float64)
    return hue_histograms(list(keyframes), sizes)


@validate_params(
    {
        "reference": ["array-like"],
        "summary": ["array-like"],
        "threshold": [Interval(numbers.Real, 0, 2, closed="both")],
        "hist_size": [Interval(numbers.Integral, 1, 180, closed="both"), tuple, list],
    },
    prefer_skip_nested_validation=True,
)
def summary_scores(reference, summary, *, threshold=0.5, hist_size=16):
    """VSUMM's comparison of a keyframe summary with a reference (a user's).

    Keyframes are described by their HSV histograms (16 hue bins by
    default, VSUMM's; summing to 1, as
    :class:`~skmm.video.KeyframeSummarizer` describes frames); a
    summary keyframe matches a reference keyframe when their Manhattan
    distance is at most ``threshold`` (0.5 in VSUMM), each keyframe matching
    at most one (the most matches possible).

    Parameters
    ----------
    reference : list of ndarray, or ndarray of shape (n, n_bins)
        The reference keyframes (images), or their histograms.
    summary : list of ndarray, or ndarray of shape (n, n_bins)
        The summary's keyframes, or their histograms.
    threshold : float, default=0.5
        Largest histogram distance of a match, in [0, 2].
    hist_size : int or tuple of 3 int, default=16
        Bins of the histograms: hue bins, or hue, saturation and value bins
        (as :class:`~skmm.video.KeyframeSummarizer`'s).

    Returns
    -------
    scores : dict
        ``"cus_a"``: matched / reference keyframes (VSUMM's accuracy);
        ``"cus_e"``: unmatched summary keyframes / reference keyframes (its
        error rate); ``"precision"``: matched / summary keyframes;
        ``"recall"`` (equal to ``cus_a``); ``"f_score"``: their harmonic
        mean (0.0 when nothing matches).

    References
    ----------
    .. [1] S. E. F. de Avila et al., "VSUMM", Pattern Recognition Letters
       32(1), 56-68, 2011, section 4 (comparison of user summaries, CUS).

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.metrics import summary_scores
    >>> red, green, blue = (np.full((8, 8, 3), c, np.uint8)
    ...                     for c in [(200, 0, 0), (0, 200, 0), (0, 0, 200)])
    >>> scores = summary_scores([red, green], [red, blue])
    >>> scores["cus_a"], scores["cus_e"], scores["f_score"]
    (0.5, 0.5, 0.5)
    """
    ref = _histograms(reference, hist_size, "reference")
    auto = _histograms(summary, hist_size, "summary")
    if len(ref) == 0:
        raise ValueError("reference holds no keyframe.")
    matched = 0
    if len(auto):
        from scipy.optimize import linear_sum_assignment

        close = np.abs(ref[:, None, :] - auto[None, :, :]).sum(axis=2) <= threshold
        rows, cols = linear_sum_assignment(close, maximize=True)
        matched = int(close[rows, cols].sum())
    recall = matched / len(ref)
    precision = matched / len(auto) if len(auto) else 0.0
    total = precision + recall
    return {
        "cus_a": float(recall),
        "cus_e": float((len(auto) - matched) / len(ref)),
        "precision": float(precision),
        "recall": float(recall),
        "f_score": float(2 * precision * recall / total) if total else 0.0,
    }


def summary_f_score(reference, summary, *, threshold=0.5, hist_size=16):
    """The F-score of :func:`summary_scores`.

    Parameters
    ----------
    reference, summary, threshold, hist_size
        As :func:`summary_scores`.

    Returns
    -------
    f_score : float

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.metrics import summary_f_score
    >>> red = np.full((8, 8, 3), (200, 0, 0), np.uint8)
    >>> round(summary_f_score([red], [red, red]), 3)
    0.667
    """
    return summary_scores(reference, summary, threshold=threshold, hist_size=hist_size)[
        "f_score"
    ]
