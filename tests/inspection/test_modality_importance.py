"""modality_importance: permuted or dropped modalities of fitted models."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from skmm.fusion import LateFusionClassifier
from skmm.inspection import modality_importance


def _table(n_samples=400, seed=0):
    """Three two-column modalities: strong, weak and pure noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n_samples)
    centres = np.array([[0, 0], [2, 0], [0, 2]], dtype=float)
    X = pd.DataFrame(
        {
            "strong_0": centres[y, 0] * 1.5 + rng.normal(size=n_samples),
            "strong_1": centres[y, 1] * 1.5 + rng.normal(size=n_samples),
            "weak_0": centres[y, 0] * 0.5 + rng.normal(size=n_samples),
            "weak_1": centres[y, 1] * 0.5 + rng.normal(size=n_samples),
            "noise_0": rng.normal(size=n_samples),
            "noise_1": rng.normal(size=n_samples),
        }
    )
    return X, y


def _stack(column):
    return np.stack(list(column))


MODALITIES = {
    "strong": ["strong_0", "strong_1"],
    "weak": ["weak_0", "weak_1"],
    "noise": ["noise_0", "noise_1"],
}


def _late(**params):
    return LateFusionClassifier(
        [(name, LogisticRegression(), columns) for name, columns in MODALITIES.items()],
        **params,
    )


def _early():
    return make_pipeline(
        ColumnTransformer(
            [(name, StandardScaler(), columns) for name, columns in MODALITIES.items()]
        ),
        LogisticRegression(),
    )


@pytest.fixture(scope="module")
def split():
    X, y = _table(600, seed=1)
    return X[:300], y[:300], X[300:].reset_index(drop=True), y[300:]


@pytest.mark.parametrize(
    "make, strategy",
    [(_late, "permute"), (_late, "drop"), (_early, "permute")],
    ids=["late-permute", "late-drop", "column-transformer-permute"],
)
def test_pure_noise_modality_has_importance_about_zero(split, make, strategy):
    X_train, y_train, X_test, y_test = split
    model = make().fit(X_train, y_train)
    result = modality_importance(
        model, X_test, y_test, strategy=strategy, n_repeats=5, random_state=0
    )
    assert result.modality_names == ["strong", "weak", "noise"]
    mean = dict(zip(result.modality_names, result.importances_mean, strict=True))
    assert abs(mean["noise"]) < 0.03
    assert mean["strong"] > 0.2
    assert mean["strong"] > mean["weak"] > mean["noise"]
    n_repeats = 1 if strategy == "drop" else 5
    assert result.importances.shape == (3, n_repeats)
    assert_allclose(result.importances_mean, result.importances.mean(axis=1))
    assert_allclose(result.importances_std, result.importances.std(axis=1))
    assert result.baseline_score == pytest.approx(model.score(X_test, y_test))


def test_rank_agrees_with_learned_weights_and_contribution_display(split):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from skmm.plotting import ModalityContributionDisplay

    X_train, y_train, X_test, y_test = split
    late = _late(weights="learn", cv=3).fit(X_train, y_train)
    result = modality_importance(late, X_test, y_test, n_repeats=5, random_state=0)
    display = ModalityContributionDisplay.from_estimator(late, X_test, y_test)
    plt.close("all")
    by_importance = np.argsort(-result.importances_mean)
    assert_array_equal(by_importance, np.argsort(-late.weights_))
    assert_array_equal(by_importance, np.argsort(-display.accuracy))


def test_one_column_modalities_match_permutation_importance(split):
    X_train, y_train, X_test, y_test = split
    model = LogisticRegression().fit(X_train.to_numpy(), y_train)
    ours = modality_importance(
        model,
        X_test.to_numpy(),
        y_test,
        modalities={str(j): [j] for j in range(X_test.shape[1])},
        n_repeats=4,
        random_state=3,
    )
    theirs = permutation_importance(
        model, X_test.to_numpy(), y_test, n_repeats=4, random_state=3
    )
    assert_allclose(ours.importances, theirs.importances)


class _Recorder:
    """A scorer that keeps each X it is given."""

    def __init__(self):
        self.seen = []

    def __call__(self, estimator, X, y):
        self.seen.append(X)
        return estimator.score(X, y)


def test_a_modality_moves_as_a_whole_and_nothing_else_moves(split):
    X_train, y_train, X_test, y_test = split
    late = _late().fit(X_train, y_train)
    recorder = _Recorder()
    modality_importance(
        late, X_test, y_test, scoring=recorder, n_repeats=2, random_state=0
    )
    assert len(recorder.seen) == 1 + 3 * 2
    original = X_test.to_numpy()
    for k, name in enumerate(MODALITIES):
        for permuted in recorder.seen[1 + 2 * k : 3 + 2 * k]:
            columns = [X_test.columns.get_loc(c) for c in MODALITIES[name]]
            others = [j for j in range(X_test.shape[1]) if j not in columns]
            assert_array_equal(permuted.to_numpy()[:, others], original[:, others])
            moved = permuted.to_numpy()[:, columns]
            # One permutation for both columns: every row is a row of the
            # original modality, and the rows are not in their old order.
            order = np.argsort(original[:, columns[0]])
            where = np.searchsorted(original[order, columns[0]], moved[:, 0])
            assert_array_equal(moved, original[order[where]][:, columns])
            assert not np.array_equal(moved, original[:, columns])
    # The caller's table is left as it was.
    assert_array_equal(X_test.to_numpy(), original)


def test_drop_sets_cells_missing_in_object_and_numeric_columns():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 30)
    X = pd.DataFrame(
        {
            "text": [f"w{label} x{i % 3}" for i, label in enumerate(y)],
            "value": rng.normal(size=60) + y,
        }
    )
    from sklearn.feature_extraction.text import CountVectorizer

    late = LateFusionClassifier(
        [
            ("text", make_pipeline(CountVectorizer(), LogisticRegression()), "text"),
            ("value", LogisticRegression(), ["value"]),
        ]
    ).fit(X, y)
    recorder = _Recorder()
    result = modality_importance(late, X, y, scoring=recorder, strategy="drop")
    assert result.importances.shape == (2, 1)
    text_dropped, value_dropped = recorder.seen[1:]
    assert text_dropped["text"].isna().all() and text_dropped["value"].notna().all()
    assert value_dropped["value"].isna().all()
    assert_array_equal(value_dropped["text"], X["text"])


def test_column_transformer_modalities_and_search(split):
    X_train, y_train, X_test, y_test = split
    model = make_pipeline(
        ColumnTransformer(
            [
                ("strong", StandardScaler(), ["strong_0", "strong_1"]),
                ("unused", "drop", ["noise_0"]),
            ],
            remainder="passthrough",
        ),
        LogisticRegression(),
    )
    search = GridSearchCV(model, {"logisticregression__C": [0.1, 1.0]}, cv=2)
    search.fit(X_train, y_train)
    result = modality_importance(search, X_test, y_test, random_state=0)
    assert result.modality_names == ["strong", "remainder"]
    assert result.importances_mean[0] > result.importances_mean[1]


def test_plain_table_is_one_modality_per_column(split):
    X_train, y_train, X_test, y_test = split
    model = LogisticRegression().fit(X_train, y_train)
    result = modality_importance(model, X_test, y_test, n_repeats=2, random_state=0)
    assert result.modality_names == list(X_test.columns)


def test_several_scorers_give_one_result_each(split):
    X_train, y_train, X_test, y_test = split
    late = _late().fit(X_train, y_train)
    results = modality_importance(
        late,
        X_test,
        y_test,
        scoring=["accuracy", "neg_log_loss"],
        n_repeats=2,
        random_state=0,
    )
    assert set(results) == {"accuracy", "neg_log_loss"}
    single = modality_importance(
        late, X_test, y_test, scoring="neg_log_loss", n_repeats=2, random_state=0
    )
    assert_allclose(results["neg_log_loss"].importances, single.importances)


def test_same_numbers_with_two_jobs(split):
    X_train, y_train, X_test, y_test = split
    late = _late().fit(X_train, y_train)
    one = modality_importance(late, X_test, y_test, n_repeats=2, random_state=0)
    two = modality_importance(
        late, X_test, y_test, n_repeats=2, random_state=0, n_jobs=2
    )
    assert_allclose(one.importances, two.importances)


def test_bad_input(split):
    X_train, y_train, X_test, y_test = split
    with pytest.raises(NotFittedError):
        modality_importance(_late(), X_test, y_test)
    late = _late().fit(X_train, y_train)
    with pytest.raises(ValueError, match="X has 300 samples but y has 299"):
        modality_importance(late, X_test, y_test[:-1])
    with pytest.raises(ValueError, match="Modality 'sound' selects column"):
        modality_importance(late, X_test, y_test, modalities={"sound": ["audio"]})
    with pytest.raises(ValueError, match="n_repeats"):
        modality_importance(late, X_test, y_test, n_repeats=0)
    with pytest.raises(ValueError, match="strategy"):
        modality_importance(late, X_test, y_test, strategy="shuffle")
    numeric = LogisticRegression().fit(X_train.to_numpy(), y_train)
    with pytest.raises(ValueError, match="Cannot tell the modalities"):
        modality_importance(numeric, X_test.to_numpy(), y_test)
    with pytest.raises(ValueError, match="strategy='drop'.*'strong' missing"):
        modality_importance(
            _early().fit(X_train, y_train), X_test, y_test, strategy="drop"
        )


DATA_DIR = Path(__file__).parents[2].parent / "shared" / "data"


@pytest.mark.data
@pytest.mark.skipif(
    not ((DATA_DIR / "fsdd" / "recordings").is_dir() and (DATA_DIR / "mnist").is_dir()),
    reason=f"FSDD or MNIST not found in {DATA_DIR} (real data lives in ../shared/data)",
)
def test_av_digits_importance_ranks_as_weights_and_decisive_share():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from skmm.audio import MFCC
    from skmm.datasets import make_av_digits
    from skmm.image import HOG
    from skmm.plotting import ModalityContributionDisplay

    av = make_av_digits(DATA_DIR / "fsdd", DATA_DIR / "mnist", random_state=0)
    rows = np.random.default_rng(0).permutation(len(av.target))[:500]
    X = av.data.iloc[rows].reset_index(drop=True)
    X["noise"] = list(np.random.default_rng(1).normal(size=(len(X), 16)))
    y = av.target[rows]

    def classifier(*steps):
        return make_pipeline(*steps, StandardScaler(), LogisticRegression(C=0.1))

    late = LateFusionClassifier(
        [
            ("image", classifier(HOG(pixels_per_cell=(7, 7))), "image"),
            ("audio", classifier(MFCC(sr=8000)), "audio"),
            ("noise", classifier(FunctionTransformer(_stack)), "noise"),
        ],
        fusion="product",
        weights="learn",
        cv=3,
    ).fit(X[:350], y[:350])
    X_test, y_test = X[350:].reset_index(drop=True), y[350:]
    result = modality_importance(late, X_test, y_test, n_repeats=5, random_state=0)
    display = ModalityContributionDisplay.from_estimator(late, X_test, y_test)
    plt.close("all")
    assert abs(result.importances_mean[2]) < 0.03
    by_importance = np.argsort(-result.importances_mean)
    assert_array_equal(by_importance, np.argsort(-late.weights_))
    assert_array_equal(by_importance[:2], np.argsort(-display.decisive_share)[:2])
