"""Every display renders to a PNG file that holds a real picture."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from skmm.datasets import make_multimodal_digits
from skmm.fusion import LateFusionClassifier
from skmm.image import HOG
from skmm.plotting import (
    HOGDisplay,
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


def _flatten(images):
    return np.stack([image.ravel() for image in images])


@pytest.fixture(scope="module")
def late_fusion():
    digits = make_multimodal_digits(n_samples=160, random_state=0)
    X, y = digits.data[["text", "image"]], digits.target
    late = LateFusionClassifier(
        [
            (
                "text",
                make_pipeline(TfidfVectorizer(), LogisticRegression(C=20)),
                "text",
            ),
            (
                "image",
                make_pipeline(
                    FunctionTransformer(_flatten),
                    StandardScaler(),
                    LogisticRegression(max_iter=1000),
                ),
                "image",
            ),
        ],
        fusion="product",
        weights="learn",
        cv=3,
    ).fit(X[:100], y[:100])
    return late, X[100:].reset_index(drop=True), y[100:]


def _displays(late_fusion):
    late, X, y = late_fusion
    from skimage import data

    image = data.camera()[:128, :128]
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 60)
    return {
        "contribution": ModalityContributionDisplay.from_estimator(late, X, y),
        "missing": MissingModalityDisplay.from_estimator(
            late, X, y, rates=(0, 0.5, 1.0), random_state=0
        ),
        "hog": HOGDisplay.from_estimator(
            HOG(pixels_per_cell=(16, 16)).fit([image]), image
        ),
        "retrieval": RetrievalPrecisionRecallDisplay.from_predictions(
            labels, labels, rng.random((60, 60)), name="random"
        ),
    }


def test_each_display_renders_a_png(late_fusion, tmp_path):
    from matplotlib.image import imread

    for name, display in _displays(late_fusion).items():
        path = tmp_path / f"{name}.png"
        display.figure_.savefig(path, dpi=60)
        with open(path, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n", name
        pixels = imread(path)
        width, height = display.figure_.get_size_inches() * 60
        assert pixels.shape[:2] == (round(height), round(width)), name
        # Not a blank canvas: many distinct colours were drawn.
        colours = np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0)
        assert len(colours) > 20, name
