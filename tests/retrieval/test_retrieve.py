import sys
import tracemalloc

import numpy as np
import pytest
from sklearn.metrics.pairwise import cosine_similarity, euclidean_distances
from sklearn.neighbors import NearestNeighbors

from skmm.retrieval import _retrieve, _retrieve_xp, retrieve, similarity
from skmm.utils._device import cuda_is_available

METRICS = ["cosine", "correlation", "euclidean", "dot"]
SHAPES = [(1, 1, 1), (5, 4, 3), (23, 61, 7), (40, 300, 16), (9, 1000, 128)]

needs_cuda = pytest.mark.skipif(
    not cuda_is_available(), reason="needs CuPy and a CUDA device"
)


def _features(shape, seed):
    n_queries, n_database, n_features = shape
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=(n_queries, n_features)),
        rng.normal(size=(n_database, n_features)),
    )


def _reference_scores(Q, D, metric):
    """Scores from sklearn's pairwise functions, independent of skmm's code."""
    if metric == "cosine":
        return cosine_similarity(Q, D)
    if metric == "correlation":
        return cosine_similarity(
            Q - Q.mean(axis=1, keepdims=True), D - D.mean(axis=1, keepdims=True)
        )
    if metric == "euclidean":
        return -euclidean_distances(Q, D)
    return Q @ D.T


def _stable_top(scores, k):
    return np.argsort(-scores, axis=1, kind="stable")[:, :k]


def _dyadic_features(n, n_features, rng):
    """Rows of 0 and +-1 with 1, 4 or 16 non-zeros: their norms are powers of
    two, so unit rows and every product below are exact and ties are exact."""
    X = np.zeros((n, n_features))
    for row in X:
        nonzero = rng.choice([0, 1, 4, 16])
        columns = rng.choice(n_features, size=nonzero, replace=False)
        row[columns] = rng.choice([-1.0, 1.0], size=nonzero)
    return X


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_blockwise_equals_whole_matrix(metric, shape, seed):
    Q, D = _features(shape, seed)
    n_queries, n_database, _ = shape
    for k in (None, 1, 3, n_database, n_database + 5):
        whole, whole_scores = retrieve(Q, D, k=k, metric=metric, batch_size=n_queries)
        n_kept = n_database if k is None else min(k, n_database)
        assert whole.shape == whole_scores.shape == (n_queries, n_kept)
        assert whole.dtype == np.int64 and whole_scores.dtype == np.float64
        for batch_size in (1, 2, 3, 7, 64, None):
            ranking, scores = retrieve(Q, D, k=k, metric=metric, batch_size=batch_size)
            np.testing.assert_array_equal(ranking, whole)
            # BLAS may round a product differently in the last bit for another
            # block shape; the ranking above is what must not change.
            np.testing.assert_allclose(scores, whole_scores, rtol=0, atol=1e-12)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("seed", [0, 3])
def test_matches_brute_force_reference(metric, shape, seed):
    Q, D = _features(shape, seed)
    expected_scores = _reference_scores(Q, D, metric)
    np.testing.assert_allclose(
        similarity(Q, D, metric=metric), expected_scores, rtol=0, atol=1e-12
    )
    for k in (None, 1, 5, shape[1] + 1):
        expected = _stable_top(expected_scores, k)
        ranking, scores = retrieve(Q, D, k=k, metric=metric, batch_size=4)
        np.testing.assert_array_equal(ranking, expected)
        np.testing.assert_allclose(
            scores,
            np.take_along_axis(expected_scores, expected, axis=1),
            rtol=0,
            atol=1e-12,
        )


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("k", [1, 10, 250])
def test_matches_nearest_neighbors_cosine(seed, k):
    Q, D = _features((60, 250, 12), seed)
    nn = NearestNeighbors(n_neighbors=k, algorithm="brute", metric="cosine").fit(D)
    distances, indices = nn.kneighbors(Q)
    ranking, scores = retrieve(Q, D, k=k, batch_size=7)
    np.testing.assert_array_equal(ranking, indices)
    np.testing.assert_allclose(1.0 - scores, distances, rtol=0, atol=1e-12)


@pytest.mark.parametrize("metric", ["cosine", "euclidean", "dot"])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_ties_keep_database_order(metric, seed):
    rng = np.random.default_rng(seed)
    Q = _dyadic_features(12, 16, rng)
    # Repeated items and zero rows make ties everywhere, also at the k-th place.
    D = _dyadic_features(40, 16, rng)[rng.integers(0, 40, size=90)]
    expected_scores = _reference_scores(Q, D, metric)
    assert len(np.unique(expected_scores[0])) < D.shape[0]
    full = _stable_top(expected_scores, None)
    for k in [None, *range(1, D.shape[0] + 2)]:
        for batch_size in (1, 5, None):
            ranking, scores = retrieve(Q, D, k=k, metric=metric, batch_size=batch_size)
            np.testing.assert_array_equal(ranking, full[:, :k])
            np.testing.assert_array_equal(
                scores, np.take_along_axis(expected_scores, ranking, axis=1)
            )


def test_all_tied_rows_rank_in_database_order():
    # A constant query has no correlation with anything; a zero query no
    # cosine: every item ties, at every k.
    rng = np.random.default_rng(0)
    D = rng.normal(size=(30, 6))
    for metric, query in [("correlation", np.full(6, 2.5)), ("cosine", np.zeros(6))]:
        for k in (None, 1, 7, 30):
            ranking, scores = retrieve([query], D, k=k, metric=metric)
            np.testing.assert_array_equal(ranking[0], np.arange(30)[:k])
            np.testing.assert_array_equal(scores, 0.0)


def test_float32_input_is_scored_in_float64():
    Q, D = _features((8, 50, 5), 0)
    expected = retrieve(Q.astype(np.float32), D.astype(np.float32).astype(float))
    ranking, scores = retrieve(Q.astype(np.float32), D.astype(np.float32), k=None)
    np.testing.assert_array_equal(ranking, expected[0])
    assert scores.dtype == np.float64


def test_default_batch_size_follows_memory_budget():
    budget = _retrieve_xp.BLOCK_BYTES
    for n_queries, n_database in [(1000, 100_000), (10, 10), (5, 10**9)]:
        batch = _retrieve_xp.default_batch_size(n_queries, n_database)
        assert 1 <= batch <= n_queries
        assert batch == 1 or batch * n_database * 16 <= budget
    assert _retrieve_xp.default_batch_size(10**6, 100_000) == budget // 1_600_000


def test_memory_stays_bounded_by_block(monkeypatch):
    monkeypatch.setattr(_retrieve_xp, "BLOCK_BYTES", 2**20)
    Q, D = _features((1000, 4000, 16), 0)
    whole_scores_bytes = Q.shape[0] * D.shape[0] * 8  # 32 MB
    retrieve(Q[:2], D, k=10)  # imports and caches outside the measurement
    tracemalloc.start()
    try:
        ranking, _ = retrieve(Q, D, k=10)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert ranking.shape == (1000, 10)
    # One block is 1 MiB of scores and indices; the outputs are 160 kB.
    assert peak < 4 * 2**20 < whole_scores_bytes / 7


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("k", [None, 1, 6, 200])
def test_array_module_code_under_numpy_equals_cpu_path(metric, k):
    # The CUDA path is this code with xp=cupy; run it under NumPy.
    Q, D = _features((33, 120, 9), 5)
    Q[3] = 0.0
    D[7] = D[2]
    expected = retrieve(Q, D, k=k, metric=metric, device="cpu", batch_size=10)
    ranking, scores = _retrieve_xp.retrieve_blocks(Q, D, k, metric, 10, xp=np)
    np.testing.assert_array_equal(ranking, expected[0])
    np.testing.assert_array_equal(scores, expected[1])
    np.testing.assert_array_equal(
        _retrieve_xp.similarity_blocks(Q, D, metric, 10, xp=np),
        similarity(Q, D, metric=metric),
    )


def test_cuda_dispatch_with_numpy_standing_in_for_cupy(monkeypatch):
    # Exercise device resolution, the lazy import and the host copies of the
    # CUDA path without a GPU: "cupy" resolves to NumPy.
    monkeypatch.setattr(_retrieve, "resolve_device", lambda device: "cuda")
    monkeypatch.setitem(sys.modules, "cupy", np)
    Q, D = _features((20, 80, 6), 1)
    for metric in METRICS:
        ranking, scores = retrieve(Q, D, k=5, metric=metric, device="cuda")
        expected = _retrieve_xp.retrieve_blocks(Q, D, 5, metric, None, xp=np)
        assert type(ranking) is np.ndarray and type(scores) is np.ndarray
        np.testing.assert_array_equal(ranking, expected[0])
        np.testing.assert_array_equal(scores, expected[1])


def test_auto_device_falls_back_to_cpu():
    Q, D = _features((6, 40, 4), 0)
    ranking, scores = retrieve(Q, D, k=3, device="auto")
    expected = retrieve(Q, D, k=3, device="cpu")
    np.testing.assert_array_equal(ranking, expected[0])
    np.testing.assert_allclose(scores, expected[1], rtol=0, atol=1e-12)


@pytest.mark.skipif(cuda_is_available(), reason="a CUDA device is present")
def test_cuda_without_gpu_names_what_to_install():
    Q, D = _features((2, 5, 3), 0)
    with pytest.raises(RuntimeError, match="needs CuPy and a CUDA device"):
        retrieve(Q, D, device="cuda")
    with pytest.raises(RuntimeError, match="needs CuPy and a CUDA device"):
        similarity(Q, D, device="cuda")


def test_bad_input_errors():
    Q, D = _features((4, 10, 3), 0)
    with pytest.raises(ValueError, match="query_features has 2 features but"):
        retrieve(Q[:, :2], D)
    with pytest.raises(ValueError, match="same space"):
        similarity(Q, D[:, :2])
    for name, args in [
        ("query_features", (Q.copy(), D)),
        ("database_features", (Q, D.copy())),
    ]:
        bad = args[0] if name == "query_features" else args[1]
        bad[1, 1] = np.nan
        with pytest.raises(ValueError, match=f"{name} contains NaN"):
            retrieve(*args)
        bad[1, 1] = np.inf
        with pytest.raises(ValueError, match=f"{name} contains infinity"):
            retrieve(*args)
    with pytest.raises(ValueError, match=r"0 sample\(s\)"):
        retrieve(np.empty((0, 3)), D)
    with pytest.raises(ValueError, match=r"0 sample\(s\)"):
        retrieve(Q, np.empty((0, 3)))
    with pytest.raises(ValueError, match=r"0 feature\(s\)"):
        retrieve(np.empty((4, 0)), np.empty((10, 0)))
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        retrieve(Q[0], D)
    with pytest.raises(ValueError, match="'device' parameter of retrieve"):
        retrieve(Q, D, device="gpu")
    with pytest.raises(ValueError, match="'device' parameter of similarity"):
        similarity(Q, D, device="tpu")
    for batch_size in (0, -3, 2.5, "10"):
        with pytest.raises(ValueError, match="'batch_size' parameter of retrieve"):
            retrieve(Q, D, batch_size=batch_size)
    with pytest.raises(ValueError, match="'k' parameter of retrieve"):
        retrieve(Q, D, k=0)
    with pytest.raises(ValueError, match="'metric' parameter of retrieve"):
        retrieve(Q, D, metric="kl")


@pytest.mark.gpu
@needs_cuda
@pytest.mark.parametrize("metric", METRICS)
def test_cuda_equals_cpu(metric):
    Q, D = _features((300, 5000, 64), 0)
    for k in (None, 1, 10, 5000):
        for batch_size in (None, 37):
            ranking, scores = retrieve(
                Q, D, k=k, metric=metric, device="cuda", batch_size=batch_size
            )
            expected = retrieve(Q, D, k=k, metric=metric, batch_size=batch_size)
            assert type(ranking) is np.ndarray and ranking.dtype == np.int64
            np.testing.assert_array_equal(ranking, expected[0])
            np.testing.assert_allclose(scores, expected[1], rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        similarity(Q, D, metric=metric, device="cuda"),
        similarity(Q, D, metric=metric),
        rtol=0,
        atol=1e-12,
    )


@pytest.mark.gpu
@needs_cuda
def test_cuda_keeps_ties_in_database_order_and_takes_cupy_input():
    import cupy

    rng = np.random.default_rng(0)
    Q = _dyadic_features(12, 16, rng)
    D = _dyadic_features(40, 16, rng)[rng.integers(0, 40, size=90)]
    full = _stable_top(_reference_scores(Q, D, "dot"), None)
    for k in (None, 1, 5, 17):
        ranking, _ = retrieve(
            cupy.asarray(Q), cupy.asarray(D), k=k, metric="dot", device="cuda"
        )
        assert type(ranking) is np.ndarray
        np.testing.assert_array_equal(ranking, full[:, :k])
