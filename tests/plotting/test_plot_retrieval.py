import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB

from skmm.fusion import LateFusionClassifier
from skmm.metrics import mean_average_precision, precision_recall_curve
from skmm.plotting import RetrievalPrecisionRecallDisplay
from skmm.retrieval import (
    CorrelationMatching,
    CrossModalCCA,
    SemanticCorrelationMatching,
    SemanticMatching,
)

matplotlib = pytest.importorskip("matplotlib")


@pytest.fixture(autouse=True)
def _agg_backend():
    matplotlib.use("Agg")
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def _table(n_per_class=30, noise=0.8, seed=0):
    """Modality "a" in columns 0-3, "b" in 4-6, three noisy classes."""
    projections = np.random.default_rng(42).normal(size=(2, 7))
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(3), n_per_class)
    centres = np.array([[1.0, 0.0], [-0.5, 0.9], [-0.5, -0.9]])[y]
    X = centres @ projections + noise * rng.normal(size=(len(y), 7))
    return X, y


MODALITIES = [("a", slice(0, 4)), ("b", slice(4, 7))]
ESTIMATORS = {
    "SM": lambda: SemanticMatching(
        [
            ("a", LogisticRegression(), MODALITIES[0][1]),
            ("b", GaussianNB(), MODALITIES[1][1]),
        ]
    ),
    "CM": lambda: CorrelationMatching(
        [(name, "passthrough", columns) for name, columns in MODALITIES],
        cca=CrossModalCCA(n_components=2),
    ),
    "SCM": lambda: SemanticCorrelationMatching(
        [(name, "passthrough", columns) for name, columns in MODALITIES],
        cca=CrossModalCCA(n_components=2),
    ),
}


@pytest.fixture(scope="module")
def tables():
    X_train, y_train = _table(seed=0)
    X_test, y_test = _table(seed=1)
    return X_train, y_train, X_test, y_test


def test_from_predictions_draws_the_metrics():
    rng = np.random.default_rng(0)
    query_labels = rng.integers(0, 4, 20)
    database_labels = rng.integers(0, 4, 50)
    scores = rng.random((20, 50))
    display = RetrievalPrecisionRecallDisplay.from_predictions(
        query_labels, database_labels, scores, n_points=21, name="random"
    )
    precision, recall = precision_recall_curve(
        query_labels, database_labels, scores, n_points=21
    )
    expected_map = mean_average_precision(query_labels, database_labels, scores)
    assert_allclose(display.precision, precision)
    assert_allclose(display.recall, recall)
    assert display.mean_average_precision == pytest.approx(expected_map)
    ax = display.ax_
    assert display.figure_ is ax.figure
    assert ax.get_lines() == [display.line_]
    assert_allclose(display.line_.get_xdata(), recall)
    assert_allclose(display.line_.get_ydata(), precision)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        f"random (MAP = {expected_map:.3f})"
    ]
    assert ax.get_xlabel() == "Recall"
    assert ax.get_ylabel() == "Interpolated precision"
    assert ax.get_title() == "Precision-recall"
    assert display.chance_level_ is None


def test_chance_level_is_the_precision_of_a_random_ranking():
    rng = np.random.default_rng(0)
    # Class 3 has no database item: its queries take no part in the curve.
    query_labels = np.repeat([0, 1, 2, 3], [10, 20, 30, 5])
    database_labels = np.repeat([0, 1, 2], [10, 30, 60])
    expected = (10 * 0.1 + 20 * 0.3 + 30 * 0.6) / 60
    display = RetrievalPrecisionRecallDisplay.from_predictions(
        query_labels,
        database_labels,
        rng.random((65, 100)),
        plot_chance_level=True,
        name="random",
    )
    assert display.prevalence == pytest.approx(expected)
    line = display.chance_level_
    assert line in display.ax_.get_lines()
    assert_allclose(line.get_ydata(), [expected, expected])
    legend = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert legend[1] == f"chance ({expected:.3f})"
    # The precision of random rankings (at depth 50, over the queries that
    # have a relevant item) averages to the chance level.
    has_relevant = query_labels < 3
    rankings = rng.random((200, has_relevant.sum(), 100)).argsort(axis=2)[..., :50]
    relevant = database_labels[rankings] == query_labels[has_relevant, None]
    assert relevant.mean() == pytest.approx(expected, abs=0.01)


def test_chance_level_style_and_errors():
    display = RetrievalPrecisionRecallDisplay(
        [1.0, 0.5], [0.0, 1.0], prevalence=0.2
    ).plot(plot_chance_level=True, chance_level_kw={"color": "red", "label": "c"})
    assert display.chance_level_.get_color() == "red"
    assert [t.get_text() for t in display.ax_.get_legend().get_texts()] == ["c"]
    with pytest.raises(ValueError, match="prevalence"):
        RetrievalPrecisionRecallDisplay([1.0], [0.0]).plot(plot_chance_level=True)


def test_scores_and_ranking_agree():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 3, 15)
    scores = rng.random((15, 15))
    ranking = np.argsort(-scores, axis=1, kind="stable")
    by_scores = RetrievalPrecisionRecallDisplay.from_predictions(labels, labels, scores)
    by_ranking = RetrievalPrecisionRecallDisplay.from_predictions(
        labels, labels, ranking=ranking
    )
    assert_allclose(by_scores.precision, by_ranking.precision)
    assert by_scores.mean_average_precision == pytest.approx(
        by_ranking.mean_average_precision
    )
    # Without a name the legend shows the MAP alone.
    [text] = by_scores.ax_.get_legend().get_texts()
    assert text.get_text() == f"MAP = {by_scores.mean_average_precision:.3f}"


@pytest.mark.parametrize("method", list(ESTIMATORS))
@pytest.mark.parametrize("query_modality", ["a", "b"])
def test_from_estimator_agrees_with_score_and_from_predictions(
    tables, method, query_modality
):
    X_train, y_train, X_test, y_test = tables
    estimator = ESTIMATORS[method]().fit(X_train, y_train)
    display = RetrievalPrecisionRecallDisplay.from_estimator(
        estimator,
        X_test,
        y_test,
        query_modality=query_modality,
        plot_chance_level=True,
    )
    # Three balanced classes: a random ranking's precision is 1/3.
    assert_allclose(display.chance_level_.get_ydata(), [1 / 3, 1 / 3])
    assert display.mean_average_precision == pytest.approx(
        estimator.score(X_test, y_test, query_modality=query_modality)
    )
    q, d = (0, 1) if query_modality == "a" else (1, 0)
    other = MODALITIES[d][0]
    ranking, _ = estimator.retrieve(
        X_test[:, MODALITIES[q][1]],
        X_test[:, MODALITIES[d][1]],
        query_modality=query_modality,
    )
    from_predictions = RetrievalPrecisionRecallDisplay.from_predictions(
        y_test, y_test, ranking=ranking
    )
    assert_allclose(display.precision, from_predictions.precision)
    assert_allclose(display.line_.get_ydata(), from_predictions.precision)
    expected_name = f"{type(estimator).__name__}: {query_modality} \u2192 {other}"
    assert display.name == expected_name
    assert display.ax_.get_legend().get_texts()[0].get_text().startswith(expected_name)
    # Retrieval works: far above chance.
    assert display.mean_average_precision > 0.6


def test_default_query_modality_is_the_first(tables):
    X_train, y_train, X_test, y_test = tables
    estimator = ESTIMATORS["SM"]().fit(X_train, y_train)
    default = RetrievalPrecisionRecallDisplay.from_estimator(estimator, X_test, y_test)
    first = RetrievalPrecisionRecallDisplay.from_estimator(
        estimator, X_test, y_test, query_modality="a"
    )
    assert_array_equal(default.precision, first.precision)
    assert default.name == first.name


def test_missing_items_take_no_part(tables):
    X_train, y_train, X_test, y_test = tables
    estimator = ESTIMATORS["SM"]().fit(X_train, y_train)
    X_missing = X_test.copy()
    X_missing[:10, 4:7] = np.nan
    display = RetrievalPrecisionRecallDisplay.from_estimator(
        estimator, X_missing, y_test, query_modality="a"
    )
    ranking, _ = estimator.retrieve(X_test[:, :4], X_test[10:, 4:7], query_modality="a")
    assert ranking.shape == (len(y_test), len(y_test) - 10)
    precision, _ = precision_recall_curve(y_test, y_test[10:], ranking=ranking)
    assert_allclose(display.precision, precision)
    assert display.mean_average_precision == pytest.approx(
        estimator.score(X_missing, y_test, query_modality="a")
    )


def test_several_curves_on_one_axes(tables):
    X_train, y_train, X_test, y_test = tables
    estimator = ESTIMATORS["SM"]().fit(X_train, y_train)
    first = RetrievalPrecisionRecallDisplay.from_estimator(
        estimator, X_test, y_test, query_modality="a"
    )
    second = RetrievalPrecisionRecallDisplay.from_estimator(
        estimator,
        X_test,
        y_test,
        query_modality="b",
        ax=first.ax_,
        curve_kwargs={"linestyle": "--"},
    )
    assert second.ax_ is first.ax_
    assert second.figure_ is first.figure_
    assert first.ax_.get_lines() == [first.line_, second.line_]
    assert second.line_.get_linestyle() == "--"
    labels = [t.get_text() for t in first.ax_.get_legend().get_texts()]
    assert labels == [
        f"SemanticMatching: a \u2192 b (MAP = {first.mean_average_precision:.3f})",
        f"SemanticMatching: b \u2192 a (MAP = {second.mean_average_precision:.3f})",
    ]


def test_errors(tables):
    X_train, y_train, X_test, y_test = tables
    with pytest.raises(NotFittedError):
        RetrievalPrecisionRecallDisplay.from_estimator(
            ESTIMATORS["SM"](), X_test, y_test
        )
    late = LateFusionClassifier(
        [("a", LogisticRegression(), [0, 1, 2, 3]), ("b", GaussianNB(), [4, 5, 6])]
    ).fit(X_train, y_train)
    with pytest.raises(TypeError, match="cross-modal matching"):
        RetrievalPrecisionRecallDisplay.from_estimator(late, X_test, y_test)
    estimator = ESTIMATORS["SM"]().fit(X_train, y_train)
    with pytest.raises(ValueError, match="Unknown modality 'c'"):
        RetrievalPrecisionRecallDisplay.from_estimator(
            estimator, X_test, y_test, query_modality="c"
        )
    with pytest.raises(ValueError, match="samples"):
        RetrievalPrecisionRecallDisplay.from_estimator(estimator, X_test, y_test[:-1])
    with pytest.raises(ValueError, match="exactly one of scores and ranking"):
        RetrievalPrecisionRecallDisplay.from_predictions(
            y_test, y_test, np.zeros((90, 90)), ranking=np.zeros((90, 90), int)
        )
    with pytest.raises(ValueError, match="1-D of one length"):
        RetrievalPrecisionRecallDisplay([1.0, 0.5], [0.0]).plot()
