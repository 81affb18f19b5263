"""Shot-boundary and VSUMM summary metrics against brute-force references."""

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from skmm.metrics import shot_boundary_scores, summary_f_score, summary_scores
from skmm.video._summary import hue_histograms


def _max_matching(true, pred, tolerance):
    """Most one-to-one pairs within the tolerance, by the Hungarian method."""
    if not len(true) or not len(pred):
        return 0
    close = np.abs(np.subtract.outer(true, pred)) <= tolerance
    rows, cols = linear_sum_assignment(close, maximize=True)
    return int(close[rows, cols].sum())


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("tolerance", [0, 1, 3])
def test_shot_boundary_scores_equal_a_maximum_matching(seed, tolerance):
    rng = np.random.default_rng(seed)
    true = [
        np.sort(rng.choice(200, rng.integers(0, 12), replace=False)) for _ in range(3)
    ]
    pred = [
        np.sort(np.unique(np.r_[t + rng.integers(-4, 5, len(t)), rng.choice(200, 3)]))
        for t in true
    ]
    hits = sum(_max_matching(t, p, tolerance) for t, p in zip(true, pred, strict=True))
    n_true, n_pred = sum(map(len, true)), sum(map(len, pred))
    precision, recall, f1 = shot_boundary_scores(true, pred, tolerance=tolerance)
    assert precision == pytest.approx(hits / n_pred)
    assert recall == pytest.approx(hits / n_true if n_true else 1.0)
    if precision + recall:
        assert f1 == pytest.approx(2 * precision * recall / (precision + recall))


def test_shot_boundary_scores_take_detector_output_and_edge_cases():
    detected = np.array([[10.0, 1.0], [31.0, 3.1]])
    assert shot_boundary_scores([10, 30], detected, tolerance=1) == (1.0, 1.0, 1.0)
    assert shot_boundary_scores([10, 30], detected) == (0.5, 0.5, 0.5)
    assert shot_boundary_scores([], []) == (1.0, 1.0, 1.0)
    assert shot_boundary_scores([5], []) == (1.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="2 videos but y_pred holds 1"):
        shot_boundary_scores([[1], [2]], [[1]])
    with pytest.raises(ValueError, match="whole frame indices"):
        shot_boundary_scores([1.5], [1])


def _image(rng, hue):
    import cv2

    hsv = np.stack(
        [
            np.full((8, 8), hue, np.uint8),
            rng.integers(150, 256, (8, 8)).astype(np.uint8),
            rng.integers(150, 256, (8, 8)).astype(np.uint8),
        ],
        axis=2,
    )
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("hist_size", [16, (8, 2, 2)])
def test_summary_scores_follow_vsumm_definitions(seed, hist_size):
    rng = np.random.default_rng(seed)
    reference = [_image(rng, h) for h in rng.choice(180, 4, replace=False)]
    summary = [_image(rng, h) for h in rng.choice(180, 5, replace=False)]
    scores = summary_scores(reference, summary, hist_size=hist_size)
    # Brute force: the most one-to-one pairs within the threshold.
    sizes = (hist_size, 1, 1) if isinstance(hist_size, int) else hist_size
    a, b = hue_histograms(reference, sizes), hue_histograms(summary, sizes)
    close = np.abs(a[:, None] - b[None]).sum(axis=2) <= 0.5
    rows, cols = linear_sum_assignment(close, maximize=True)
    matched = close[rows, cols].sum()
    assert scores["cus_a"] == pytest.approx(matched / 4)
    assert scores["cus_e"] == pytest.approx((5 - matched) / 4)
    assert scores["precision"] == pytest.approx(matched / 5)
    assert summary_f_score(reference, summary, hist_size=hist_size) == scores["f_score"]
    # Histograms in place of images give the same scores.
    assert summary_scores(a, b, hist_size=hist_size) == scores


def test_summary_scores_of_identical_and_empty_summaries():
    rng = np.random.default_rng(0)
    frames = [_image(rng, h) for h in (0, 60, 120)]
    assert summary_scores(frames, frames)["f_score"] == 1.0
    assert summary_scores(frames, [])["f_score"] == 0.0
    with pytest.raises(ValueError, match="reference holds no keyframe"):
        summary_scores([], frames)
