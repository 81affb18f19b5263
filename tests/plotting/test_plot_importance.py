import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.linear_model import LogisticRegression

from skmm.fusion import LateFusionClassifier
from skmm.inspection import modality_importance
from skmm.plotting import ModalityImportanceDisplay

matplotlib = pytest.importorskip("matplotlib")


@pytest.fixture(autouse=True)
def _agg_backend():
    matplotlib.use("Agg")
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 100)
    X = rng.normal(size=(200, 4)) + np.outer(y, [2.0, 2.0, 0.0, 0.0])
    late = LateFusionClassifier(
        [
            ("signal", LogisticRegression(), [0, 1]),
            ("noise", LogisticRegression(), [2, 3]),
        ]
    ).fit(X, y)
    return late, X, y


def test_from_estimator_draws_the_importances(fitted):
    late, X, y = fitted
    display = ModalityImportanceDisplay.from_estimator(
        late, X, y, n_repeats=4, random_state=0
    )
    result = modality_importance(late, X, y, n_repeats=4, random_state=0)
    assert_allclose(display.importances, result.importances)
    assert_allclose(display.importances_mean, result.importances_mean)
    assert_allclose(display.importances_std, result.importances_std)
    widths = [bar.get_width() for bar in display.bars_]
    assert_allclose(widths, result.importances_mean)
    # The most important modality on top.
    labels = [t.get_text() for t in display.ax_.get_yticklabels()]
    tops = display.ax_.get_yticks()
    assert labels[int(np.argmax(tops))] == "signal"
    assert display.repeats_.get_offsets().shape == (2 * 4, 2)
    assert "LateFusionClassifier" in display.ax_.get_title()
    assert "permuted" in display.ax_.get_xlabel()
    assert display.figure_ is display.ax_.figure


def test_from_result_with_drop_and_own_axes(fitted):
    import matplotlib.pyplot as plt

    late, X, y = fitted
    result = modality_importance(late, X, y, strategy="drop")
    _, ax = plt.subplots()
    display = ModalityImportanceDisplay.from_result(
        result, strategy="drop", name="late", ax=ax, bar_kwargs={"color": "red"}
    )
    assert display.ax_ is ax
    assert "missing" in ax.get_xlabel()
    assert_array_equal(display.importances, result.importances)
    assert display.bars_[0].get_facecolor()[:3] == (1.0, 0.0, 0.0)


def test_bad_input(fitted):
    late, X, y = fitted
    with pytest.raises(ValueError, match="expected \\(n_modalities, n_repeats\\)"):
        ModalityImportanceDisplay(["a", "b"], [[1.0]]).plot()
    with pytest.raises(ValueError, match="strategy must be one of"):
        ModalityImportanceDisplay(["a"], [[1.0]], strategy="shuffle").plot()
    with pytest.raises(TypeError, match="draws one scorer"):
        ModalityImportanceDisplay.from_estimator(
            late, X, y, scoring=["accuracy", "neg_log_loss"]
        )
    several = modality_importance(late, X, y, scoring=["accuracy", "neg_log_loss"])
    with pytest.raises(TypeError, match="pass one of them"):
        ModalityImportanceDisplay.from_result(several)
