import numpy as np
import pytest
from sklearn.cross_decomposition import CCA

from skmm.retrieval import CrossModalCCA, retrieve, similarity


def _paired(n=400, d_x=8, d_y=6, n_latent=3, noise=1.0, seed=0):
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, n_latent))
    X = latent @ rng.normal(size=(n_latent, d_x)) + noise * rng.normal(size=(n, d_x))
    Y = latent @ rng.normal(size=(n_latent, d_y)) + noise * rng.normal(size=(n, d_y))
    return X + 5.0, 3.0 * Y - 2.0


@pytest.mark.parametrize("seed", [0, 1])
def test_matches_sklearn_cca_correlations(seed):
    X, Y = _paired(seed=seed)
    k = 3
    ours = CrossModalCCA(n_components=k, reg=1e-9).fit(X, Y)
    ref = CCA(n_components=k, scale=False, max_iter=5000, tol=1e-12).fit(X, Y)
    x_scores, y_scores = ref.transform(X, Y)
    expected = [np.corrcoef(x_scores[:, i], y_scores[:, i])[0, 1] for i in range(k)]
    np.testing.assert_allclose(ours.canonical_correlations_, expected, atol=1e-3)
    # The fitted projections attain the reported correlations, with unit
    # variance on the training data.
    X_c, Y_c = ours.transform(X, Y)
    attained = [np.corrcoef(X_c[:, i], Y_c[:, i])[0, 1] for i in range(k)]
    np.testing.assert_allclose(attained, ours.canonical_correlations_, atol=1e-6)
    np.testing.assert_allclose(X_c.std(axis=0, ddof=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(np.corrcoef(X_c.T), np.eye(k), atol=1e-6)


def test_scale_matches_sklearn_scaled():
    X, Y = _paired(seed=2)
    ours = CrossModalCCA(n_components=2, reg=1e-9, scale=True).fit(X, Y)
    ref = CCA(n_components=2, scale=True, max_iter=5000, tol=1e-12).fit(X, Y)
    x_scores, y_scores = ref.transform(X, Y)
    expected = [np.corrcoef(x_scores[:, i], y_scores[:, i])[0, 1] for i in range(2)]
    np.testing.assert_allclose(ours.canonical_correlations_, expected, atol=1e-3)


def test_attributes_and_transform_y():
    X, Y = _paired()
    cca = CrossModalCCA(n_components=2).fit(X, Y)
    assert cca.x_weights_.shape == (8, 2)
    assert cca.y_weights_.shape == (6, 2)
    np.testing.assert_allclose(cca.x_mean_, X.mean(axis=0))
    np.testing.assert_allclose(cca.y_mean_, Y.mean(axis=0))
    assert np.all(np.diff(cca.canonical_correlations_) <= 0)
    X_c, Y_c = cca.transform(X, Y)
    np.testing.assert_allclose(Y_c, cca.transform_y(Y))
    np.testing.assert_allclose(X_c, cca.transform(X))
    np.testing.assert_allclose(X_c, cca.fit_transform(X, Y))
    assert list(cca.get_feature_names_out()) == ["crossmodalcca0", "crossmodalcca1"]


def test_regularisation_is_scale_invariant():
    X, Y = _paired()
    a = CrossModalCCA(n_components=2, reg=0.1).fit(X, Y)
    b = CrossModalCCA(n_components=2, reg=0.1).fit(1000.0 * X, Y)
    np.testing.assert_allclose(
        a.canonical_correlations_, b.canonical_correlations_, rtol=1e-8
    )
    weaker = CrossModalCCA(n_components=2, reg=10.0).fit(X, Y)
    assert np.all(weaker.canonical_correlations_ < a.canonical_correlations_)


def test_more_features_than_samples():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(30, 200)), rng.normal(size=(30, 150))
    cca = CrossModalCCA(n_components=5, reg=1e-2).fit(X, Y)
    assert np.all(np.isfinite(cca.x_weights_))
    assert np.all(np.isfinite(cca.y_weights_))
    assert np.all(cca.canonical_correlations_ <= 1.0)
    # Unregularised, the data are rank deficient but the fit still succeeds:
    # with d > n any pair of blocks is perfectly correlated.
    exact = CrossModalCCA(n_components=5, reg=0.0).fit(X, Y)
    np.testing.assert_allclose(exact.canonical_correlations_, 1.0, atol=1e-6)
    assert np.all(np.isfinite(exact.transform(X)))


def test_bad_input():
    X, Y = _paired()
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        CrossModalCCA(n_components=2).fit(X, Y[:-1])
    X_nan = X.copy()
    X_nan[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        CrossModalCCA(n_components=2).fit(X_nan, Y)
    Y_nan = Y.copy()
    Y_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        CrossModalCCA(n_components=2).fit(X, Y_nan)
    with pytest.raises(ValueError, match="n_components=7 must be at most"):
        CrossModalCCA(n_components=7).fit(X, Y)
    with pytest.raises(ValueError, match="reg"):
        CrossModalCCA(reg=-1.0).fit(X, Y)
    cca = CrossModalCCA(n_components=2).fit(X, Y)
    with pytest.raises(ValueError, match="8 features"):
        cca.transform(X[:, :5])
    with pytest.raises(ValueError, match="Y has 5 features"):
        cca.transform_y(Y[:, :5])
    with pytest.raises(ValueError, match="direction"):
        cca.retrieve(X, Y, direction="sideways")
    with pytest.raises(ValueError, match="metric"):
        cca.retrieve(X, Y, metric="manhattan")


def test_retrieve_method_finds_pairs():
    X, Y = _paired(n=300, d_x=20, d_y=15, n_latent=10, noise=0.1)
    cca = CrossModalCCA(n_components=10).fit(X, Y)
    ranking, scores = cca.retrieve(X, Y, k=1)
    assert np.mean(ranking[:, 0] == np.arange(300)) > 0.9
    ranking, _ = cca.retrieve(Y, X, direction="y_to_x", k=1)
    assert np.mean(ranking[:, 0] == np.arange(300)) > 0.9
    full, full_scores = cca.retrieve(X[:4], Y)
    assert full.shape == (4, 300)
    assert np.all(np.diff(full_scores, axis=1) <= 0)


@pytest.mark.parametrize("metric", ["cosine", "correlation", "euclidean", "dot"])
def test_retrieve_agrees_with_full_sort(metric):
    rng = np.random.default_rng(0)
    Q, D = rng.normal(size=(5, 4)), rng.normal(size=(50, 4))
    scores = similarity(Q, D, metric=metric)
    full, full_scores = retrieve(Q, D, metric=metric)
    np.testing.assert_array_equal(full, np.argsort(-scores, axis=1))
    np.testing.assert_allclose(full_scores, -np.sort(-scores, axis=1))
    top, top_scores = retrieve(Q, D, k=7, metric=metric)
    np.testing.assert_array_equal(top, full[:, :7])
    np.testing.assert_allclose(top_scores, full_scores[:, :7])


def test_similarity_values():
    Q = np.array([[1.0, 2.0, 3.0]])
    D = np.array([[2.0, 4.0, 6.0], [3.0, 4.0, 5.0]])
    np.testing.assert_allclose(similarity(Q, D, metric="cosine")[0, 0], 1.0)
    np.testing.assert_allclose(similarity(Q, D, metric="correlation"), [[1.0, 1.0]])
    np.testing.assert_allclose(
        similarity(Q, D, metric="euclidean"), [[-np.sqrt(14.0), -np.sqrt(12.0)]]
    )
    with pytest.raises(ValueError, match="same space"):
        similarity(Q, D[:, :2])


def test_one_dimensional_second_modality_is_one_column():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 5))
    y = X[:, 0] + 0.1 * rng.normal(size=40)
    cca = CrossModalCCA(n_components=1).fit(X, y)
    np.testing.assert_array_equal(cca.transform_y(y), cca.transform_y(y[:, None]))
    X_c, y_c = cca.transform(X, y)
    np.testing.assert_array_equal(y_c, cca.transform_y(y[:, None]))
