import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.utils import check_random_state

from skmm.datasets import make_multimodal_digits
from skmm.fusion import LateFusionClassifier
from skmm.plotting import MissingModalityDisplay

matplotlib = pytest.importorskip("matplotlib")


@pytest.fixture(autouse=True)
def _agg_backend():
    matplotlib.use("Agg")
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def _flatten(images):
    return np.stack([image.ravel() for image in images])


def _late_fusion():
    return LateFusionClassifier(
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
    )


@pytest.fixture(scope="module")
def data():
    digits = make_multimodal_digits(n_samples=200, random_state=0)
    X, y = digits.data[["text", "image"]], digits.target
    late = _late_fusion().fit(X[:120], y[:120])
    return late, X[120:].reset_index(drop=True), y[120:]


RATES = (0.0, 0.25, 0.5, 1.0)


def test_scores_match_a_computation_by_hand(data):
    late, X, y = data
    X_before = X.copy()
    display = MissingModalityDisplay.from_estimator(
        late, X, y, rates=RATES, random_state=0
    )
    assert display.modalities == ["text", "image"]
    assert display.scores.shape == (2, 4, 1)
    # Rate 0 leaves X as it is; rate 1 empties the whole column.
    assert_allclose(display.scores[:, 0, 0], late.score(X, y))
    for m, modality in enumerate(["text", "image"]):
        emptied = X.copy()
        emptied[modality] = None
        assert display.scores[m, -1, 0] == pytest.approx(late.score(emptied, y))
    # An intermediate point, following the documented draw: one permutation
    # per modality and repeat, from check_random_state(random_state).
    rng = check_random_state(0)
    rng.permutation(len(X))  # text's permutation
    order = rng.permutation(len(X))  # image's
    by_hand = X.copy()
    by_hand.loc[order[:40], "image"] = None
    assert display.scores[1, 2, 0] == pytest.approx(late.score(by_hand, y))
    # X is not modified.
    assert X["text"].equals(X_before["text"])
    assert X["image"].notna().all()


def test_draws_what_it_computed(data):
    late, X, y = data
    display = MissingModalityDisplay.from_estimator(
        late, X, y, rates=RATES, random_state=0
    )
    ax = display.ax_
    assert display.figure_ is ax.figure
    assert len(display.lines_) == 2
    assert len(ax.get_lines()) == 2
    assert display.bands_ is None
    for line, scores in zip(display.lines_, display.scores, strict=True):
        assert_array_equal(line.get_xdata(), RATES)
        assert_allclose(line.get_ydata(), scores[:, 0])
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["text", "image"]
    assert legend.get_title().get_text() == "Missing modality"
    assert ax.get_xlabel() == "Missing rate of the modality"
    assert ax.get_ylabel() == "Accuracy (LateFusionClassifier)"
    assert ax.get_title() == "Missing modalities"
    # Losing modalities costs accuracy.
    assert np.all(display.scores[:, -1] < display.scores[:, 0])


def test_repeats_scoring_and_modalities(data):
    late, X, y = data
    display = MissingModalityDisplay.from_estimator(
        late,
        X,
        y,
        modalities=["image"],
        rates=[0, 0.5],
        scoring="balanced_accuracy",
        n_repeats=3,
        random_state=1,
    )
    assert display.scores.shape == (1, 2, 3)
    assert_allclose(display.scores[0, 0], balanced_accuracy_score(y, late.predict(X)))
    # Different draws give different scores at rate 0.5.
    assert np.unique(display.scores[0, 1]).size > 1
    assert len(display.bands_) == 1
    assert_allclose(display.lines_[0].get_ydata(), display.scores[0].mean(axis=1))
    assert display.ax_.get_ylabel() == "Balanced accuracy (LateFusionClassifier)"
    # Seeded: the same scores again.
    again = MissingModalityDisplay.from_estimator(
        late,
        X,
        y,
        modalities="image",
        rates=[0, 0.5],
        scoring="balanced_accuracy",
        n_repeats=3,
        random_state=1,
    )
    assert_array_equal(again.scores, display.scores)


def test_numeric_columns_get_nan():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 40)
    X = pd.DataFrame(
        {"a": rng.normal(size=80) + 2 * y, "b": rng.integers(0, 3, 80) + y}
    )
    late = LateFusionClassifier(
        [("a", LogisticRegression(), ["a"]), ("b", LogisticRegression(), ["b"])]
    ).fit(X, y)
    display = MissingModalityDisplay.from_estimator(late, X, y, rates=[0, 1])
    emptied = X.assign(b=np.nan)
    assert display.scores[1, 1, 0] == pytest.approx(late.score(emptied, y))


def test_draws_into_the_given_axes(data):
    import matplotlib.pyplot as plt

    late, X, y = data
    figure, ax = plt.subplots()
    display = MissingModalityDisplay.from_estimator(late, X, y, rates=[0, 1], ax=ax)
    assert display.ax_ is ax
    assert display.figure_ is figure
    assert len(ax.get_lines()) == 2


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"rates": [0, 1.5]}, ValueError, r"rates must lie in \[0, 1\]"),
        ({"rates": [-0.1]}, ValueError, r"rates must lie in \[0, 1\]"),
        ({"rates": []}, ValueError, "non-empty"),
        ({"modalities": ["audio"]}, ValueError, "Unknown modalities"),
        ({"n_repeats": 0}, ValueError, "n_repeats"),
    ],
)
def test_bad_parameters(data, params, error, match):
    late, X, y = data
    with pytest.raises(error, match=match):
        MissingModalityDisplay.from_estimator(late, X, y, **params)


def test_bad_estimator_or_data(data):
    late, X, y = data
    with pytest.raises(NotFittedError):
        MissingModalityDisplay.from_estimator(_late_fusion(), X, y)
    with pytest.raises(TypeError, match="predict"):
        MissingModalityDisplay.from_estimator(StandardScaler(), X, y)
    with pytest.raises(TypeError, match="DataFrame"):
        MissingModalityDisplay.from_estimator(late, X.to_numpy(), y)
    with pytest.raises(ValueError, match="samples"):
        MissingModalityDisplay.from_estimator(late, X, y[:-1])
