"""Displays drawn side by side, in one row of subplots, keep apart."""

import itertools

import numpy as np
import pytest

from skmm.plotting import (
    MissingModalityDisplay,
    ModalityContributionDisplay,
    RetrievalPrecisionRecallDisplay,
)

matplotlib = pytest.importorskip("matplotlib")


@pytest.fixture(autouse=True)
def _agg_backend():
    matplotlib.use("Agg")
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def _contribution(ax):
    return ModalityContributionDisplay(
        ["text", "image"],
        [0.9, 0.8],
        [0.1, 0.2],
        weights=[0.6, 0.4],
        fused_accuracy=0.93,
        name="LateFusionClassifier",
    ).plot(ax=ax)


def _missing(ax):
    scores = np.random.default_rng(0).random((2, 3, 1))
    return MissingModalityDisplay(
        [0.0, 0.5, 1.0],
        scores,
        ["text", "image"],
        score_name="Accuracy",
        name="LateFusionClassifier",
    ).plot(ax=ax)


def _retrieval(ax):
    return RetrievalPrecisionRecallDisplay(
        [1.0, 0.5, 0.3],
        [0.0, 0.5, 1.0],
        mean_average_precision=0.5,
        name="CorrelationMatching: text \u2192 image",
        prevalence=0.25,
    ).plot(ax=ax, plot_chance_level=True)


ROWS = {
    "mixed": [_contribution, _missing, _retrieval],
    "contribution": [_contribution] * 3,
    "missing": [_missing] * 3,
    "retrieval": [_retrieval] * 3,
}


@pytest.mark.parametrize("row", ROWS)
def test_titles_in_a_row_of_subplots_do_not_overlap(row):
    import matplotlib.pyplot as plt

    # matplotlib's default figure size: three narrow axes.
    figure, axes = plt.subplots(1, len(ROWS[row]))
    for draw, ax in zip(ROWS[row], axes, strict=True):
        draw(ax)
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    boxes = [ax.title.get_window_extent(renderer) for ax in axes]
    assert all(box.width > 0 for box in boxes)
    for left, right in itertools.pairwise(boxes):
        assert left.x1 < right.x0, [ax.get_title() for ax in axes]
