import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from skmm.datasets import make_multimodal_digits
from skmm.fusion import LateFusionClassifier
from skmm.plotting import ModalityContributionDisplay

matplotlib = pytest.importorskip("matplotlib")


@pytest.fixture(autouse=True)
def _agg_backend():
    matplotlib.use("Agg")
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def _flatten(images):
    return np.stack([image.ravel() for image in images])


def _late_fusion(**params):
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
        **params,
    )


@pytest.fixture(scope="module")
def data():
    digits = make_multimodal_digits(n_samples=240, random_state=0)
    X, y = digits.data[["text", "image"]], digits.target
    late = _late_fusion(fusion="product", weights="learn", cv=3).fit(X[:160], y[:160])
    X_test, y_test = X[160:].reset_index(drop=True), y[160:]
    # Some test cells missing, so that accuracies are over present rows only.
    X_test = X_test.copy()
    X_test.loc[:9, "text"] = None
    X_test.loc[10:19, "image"] = None
    return late, X_test, y_test


def _by_hand(late, X, y):
    """Accuracy alone and decisive share, from the base estimators."""
    y_pred = late.predict(X)
    own = {}
    for name, estimator in late.named_estimators_.items():
        column = X[name]
        rows = np.flatnonzero(column.notna().to_numpy())
        own[name] = dict(zip(rows, estimator.predict(column.iloc[rows]), strict=True))
    accuracy, decisive = [], []
    for name in late.named_estimators_:
        accuracy.append(np.mean([own[name][i] == y[i] for i in own[name]]))
        count = 0
        for i in range(len(y)):
            agreeing = [
                other for other in own if i in own[other] and own[other][i] == y_pred[i]
            ]
            count += agreeing == [name]
        decisive.append(count / len(y))
    return np.array(accuracy), np.array(decisive), np.mean(y_pred == y)


def test_values_match_a_computation_by_hand(data):
    late, X, y = data
    display = ModalityContributionDisplay.from_estimator(late, X, y)
    accuracy, decisive, fused = _by_hand(late, X, y)
    assert display.modality_names == ["text", "image"]
    assert_allclose(display.accuracy, accuracy)
    assert_allclose(display.decisive_share, decisive)
    assert_allclose(display.weights, late.weights_)
    assert display.fused_accuracy == pytest.approx(fused)
    assert display.fused_accuracy == pytest.approx(late.score(X, y))
    # The shares count disjoint samples.
    assert display.decisive_share.sum() <= 1
    assert display.decisive_share.max() > 0


def test_draws_what_it_computed(data):
    late, X, y = data
    display = ModalityContributionDisplay.from_estimator(late, X, y, name="late")
    ax = display.ax_
    assert display.figure_ is ax.figure
    assert list(display.bars_) == ["accuracy", "weights", "decisive_share"]
    for key, values in [
        ("accuracy", display.accuracy),
        ("weights", display.weights),
        ("decisive_share", display.decisive_share),
    ]:
        bars = display.bars_[key]
        assert len(bars) == 2
        assert_allclose([bar.get_height() for bar in bars], values)
    # Bars of one modality sit around its tick.
    centres = np.array(
        [
            [bar.get_x() + bar.get_width() / 2 for bar in bars]
            for bars in display.bars_.values()
        ]
    )
    assert_allclose(centres.mean(axis=0), [0, 1], atol=1e-12)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["text", "image"]
    assert_array_equal(display.fused_line_.get_ydata(), [display.fused_accuracy] * 2)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [
        f"fused accuracy ({display.fused_accuracy:.2f})",
        "accuracy alone",
        "fusion weight",
        "decisive share",
    ]
    assert ax.get_xlabel() == "Modality"
    assert ax.get_ylabel() == "Fraction"
    assert ax.get_title() == "Contributions"
    assert ax.get_legend().get_title().get_text() == "late"
    assert len(ax.patches) == 6


def test_the_figure_defines_the_decisive_share(data):
    from matplotlib.text import Text

    late, X, y = data
    display = ModalityContributionDisplay.from_estimator(late, X, y)
    display.figure_.canvas.draw()
    texts = [
        " ".join(artist.get_text().split())
        for artist in display.figure_.findobj(Text)
        if artist.get_visible()
    ]
    definition = (
        "decisive share: fraction of samples where only this modality "
        "predicted the fused class"
    )
    assert definition in texts
    # Drawn under the x label, inside the figure.
    caption = display.caption_.get_window_extent()
    label = display.ax_.xaxis.label.get_window_extent()
    assert caption.y1 <= label.y0
    assert display.figure_.bbox.contains(caption.x0, caption.y0)


def test_from_predictions_agrees_with_from_estimator(data):
    late, X, y = data
    from_estimator = ModalityContributionDisplay.from_estimator(late, X, y)
    from_predictions = ModalityContributionDisplay.from_predictions(
        y,
        late.predict(X),
        late.predict_proba_per_modality(X),
        classes=late.classes_,
        modality_names=["text", "image"],
        weights=late.weights_,
    )
    for attribute in ("accuracy", "decisive_share", "weights", "fused_accuracy"):
        assert_allclose(
            getattr(from_predictions, attribute), getattr(from_estimator, attribute)
        )


def test_draws_into_the_given_axes(data):
    import matplotlib.pyplot as plt

    late, X, y = data
    figure, (left, right) = plt.subplots(1, 2)
    display = ModalityContributionDisplay.from_estimator(late, X, y, ax=right)
    assert display.ax_ is right
    assert display.figure_ is figure
    assert len(right.patches) == 6
    assert len(left.patches) == 0


def test_stacking_draws_no_weights():
    digits = make_multimodal_digits(n_samples=120, random_state=1)
    X, y = digits.data[["text", "image"]], digits.target
    late = _late_fusion(fusion="stacking", cv=2).fit(X, y)
    display = ModalityContributionDisplay.from_estimator(late, X, y)
    assert display.weights is None
    assert list(display.bars_) == ["accuracy", "decisive_share"]
    assert len(display.ax_.patches) == 4


def test_from_predictions_default_names_and_no_weights():
    proba = np.array(
        [
            [[0.9, 0.1], [0.2, 0.8], [np.nan, np.nan]],
            [[0.4, 0.6], [0.3, 0.7], [0.1, 0.9]],
        ]
    )
    display = ModalityContributionDisplay.from_predictions(
        ["a", "b", "b"], ["a", "b", "b"], proba, classes=["a", "b"]
    )
    assert display.modality_names == ["modality 0", "modality 1"]
    assert_allclose(display.accuracy, [1.0, 2 / 3])
    # Sample 0: only modality 0 agrees; 1: both; 2: modality 1 alone present.
    assert_allclose(display.decisive_share, [1 / 3, 1 / 3])
    assert "weights" not in display.bars_


def test_errors(data):
    late, X, y = data
    with pytest.raises(NotFittedError):
        ModalityContributionDisplay.from_estimator(_late_fusion(), X, y)
    with pytest.raises(TypeError, match="LateFusionClassifier"):
        ModalityContributionDisplay.from_estimator(LogisticRegression(), X, y)
    with pytest.raises(ValueError, match="modality_proba has shape"):
        ModalityContributionDisplay.from_predictions(
            y, y, np.zeros((2, 3, 10)), classes=np.arange(10)
        )
    with pytest.raises(ValueError, match="modality names"):
        ModalityContributionDisplay.from_predictions(
            y[:3],
            y[:3],
            np.zeros((2, 3, 10)),
            classes=np.arange(10),
            modality_names=["only one"],
        )
    display = ModalityContributionDisplay(["a", "b"], [0.5], [0.1, 0.2])
    with pytest.raises(ValueError, match="accuracy has 1 values"):
        display.plot()
