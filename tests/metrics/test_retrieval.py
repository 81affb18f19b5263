import numpy as np
import pytest
from sklearn.metrics import average_precision_score

from skmm.metrics import (
    mean_average_precision,
    precision_at_k,
    precision_recall_curve,
    recall_at_k,
)
from skmm.retrieval import retrieve


def _problem(seed=0, n_queries=30, n_database=80, n_classes=4, ties=False):
    rng = np.random.default_rng(seed)
    query_labels = rng.integers(n_classes, size=n_queries)
    database_labels = rng.integers(n_classes, size=n_database)
    scores = rng.normal(size=(n_queries, n_database))
    scores += query_labels[:, None] == database_labels[None, :]
    if ties:
        scores = np.round(scores, 0)
    return query_labels, database_labels, scores


@pytest.mark.parametrize("ties", [False, True])
def test_ap_matches_sklearn_per_query(ties):
    query_labels, database_labels, scores = _problem(ties=ties)
    ap = mean_average_precision(query_labels, database_labels, scores, average=False)
    expected = [
        average_precision_score(database_labels == label, row)
        for label, row in zip(query_labels, scores, strict=True)
    ]
    np.testing.assert_allclose(ap, expected, rtol=1e-12)
    assert mean_average_precision(
        query_labels, database_labels, scores
    ) == pytest.approx(np.mean(expected))


def test_ranking_input_equals_scores_input():
    query_labels, database_labels, scores = _problem(seed=1)
    ranking = np.argsort(-scores, axis=1)
    by_scores = mean_average_precision(query_labels, database_labels, scores)
    by_ranking = mean_average_precision(query_labels, database_labels, ranking=ranking)
    assert by_ranking == pytest.approx(by_scores, rel=1e-12)
    # A truncated ranking scores missing relevant items as precision 0.
    truncated = mean_average_precision(
        query_labels, database_labels, ranking=ranking[:, :10]
    )
    assert truncated < by_ranking


def test_hand_computed_values():
    # Relevant at ranks 1, 3 and 4 of 5.
    query, database = [1], [1, 0, 1, 1, 0]
    ranking = [[0, 1, 2, 3, 4]]
    expected_ap = (1 / 1 + 2 / 3 + 3 / 4) / 3
    assert mean_average_precision(query, database, ranking=ranking) == pytest.approx(
        expected_ap
    )
    assert precision_at_k(query, database, ranking=ranking, k=3) == pytest.approx(2 / 3)
    assert recall_at_k(query, database, ranking=ranking, k=3) == pytest.approx(2 / 3)
    precision, recall = precision_recall_curve(query, database, ranking=ranking)
    np.testing.assert_allclose(recall, np.linspace(0, 1, 11))
    # Recall 1/3 at rank 1 (P=1), 2/3 at rank 3, 1 at rank 4 (P=3/4).
    expected = [1.0] * 4 + [0.75] * 7
    np.testing.assert_allclose(precision, expected)


def test_precision_recall_curve_non_increasing_and_perfect():
    query_labels, database_labels, scores = _problem(seed=2)
    precision, _ = precision_recall_curve(query_labels, database_labels, scores)
    assert np.all(np.diff(precision) <= 1e-12)
    perfect = (query_labels[:, None] == database_labels[None, :]).astype(float)
    precision, _ = precision_recall_curve(query_labels, database_labels, perfect)
    np.testing.assert_allclose(precision, 1.0)
    assert mean_average_precision(
        query_labels, database_labels, perfect
    ) == pytest.approx(1.0)


def test_random_ranking_map_near_class_prior():
    rng = np.random.default_rng(0)
    labels = rng.integers(10, size=2000)
    scores = rng.normal(size=(200, 2000))
    value = mean_average_precision(labels[:200], labels, scores)
    assert value == pytest.approx(0.1, abs=0.02)


def test_with_retrieve_output():
    query_labels, database_labels, _ = _problem(seed=3)
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(4, 5)) * 3
    Q = centres[query_labels] + rng.normal(size=(len(query_labels), 5))
    D = centres[database_labels] + rng.normal(size=(len(database_labels), 5))
    ranking, _ = retrieve(Q, D, k=10)
    assert precision_at_k(query_labels, database_labels, ranking=ranking) > 0.8


def test_bad_input():
    query_labels, database_labels, scores = _problem()
    with pytest.raises(ValueError, match="exactly one"):
        mean_average_precision(query_labels, database_labels)
    with pytest.raises(ValueError, match="exactly one"):
        mean_average_precision(
            query_labels, database_labels, scores, ranking=np.zeros((30, 2), int)
        )
    with pytest.raises(ValueError, match="shape"):
        mean_average_precision(query_labels, database_labels, scores[:, :-1])
    with pytest.raises(ValueError, match="integer"):
        mean_average_precision(query_labels, database_labels, ranking=scores)
    with pytest.raises(ValueError, match="outside"):
        mean_average_precision(
            query_labels, database_labels, ranking=np.full((30, 3), 80)
        )
    with pytest.raises(ValueError, match="k=20"):
        precision_at_k(
            query_labels, database_labels, ranking=np.zeros((30, 5), int), k=20
        )
    bad = scores.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        mean_average_precision(query_labels, database_labels, bad)
