import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from skmm.retrieval import (
    CorrelationMatching,
    CrossModalCCA,
    GeneralizedCCA,
    make_retrieval_scorer,
)
from skmm.retrieval._gcca import _fit_maxvar

COLUMNS = (slice(0, 6), slice(6, 11), slice(11, 15))


def _views(n=150, noise=0.5, seed=0):
    """Three views of 6, 5 and 4 features sharing a 3-d latent."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 3))
    return [
        latent @ rng.normal(size=(3, d)) + noise * rng.normal(size=(n, d))
        for d in (6, 5, 4)
    ]


def _table(n_per_class=30, n_classes=4, noise=0.8, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(n_classes), n_per_class)
    centres = rng.normal(size=(n_classes, 3))[y]
    X = np.hstack([centres @ rng.normal(size=(3, d)) for d in (6, 5, 4)])
    X += noise * rng.normal(size=X.shape)
    order = rng.permutation(len(y))
    return X[order], y[order]


def _gcca(**kwargs):
    return GeneralizedCCA(
        [(name, "passthrough", c) for name, c in zip("abc", COLUMNS, strict=True)],
        **kwargs,
    )


def _abs_cosines(A, B):
    """|cosine| of the matching columns of A and B."""
    return np.abs(np.sum(A * B, axis=0)) / (
        np.linalg.norm(A, axis=0) * np.linalg.norm(B, axis=0)
    )


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("reg", [0.0, 1e-2, 1.0])
def test_matches_cca_zoo_gcca_on_complete_views(seed, reg):
    cca_zoo = pytest.importorskip("cca_zoo.linear")
    views = _views(seed=seed)
    present = np.ones((3, len(views[0])), dtype=bool)
    means, weights, _ = _fit_maxvar(views, present, 3, reg)
    # cca_zoo's ridge is a shrinkage (1 - c) cov + c I: the same hat matrices
    # for c / (1 - c) = reg * mean variance, each scaled by 1 / (1 - c),
    # which its view weights undo.
    ratios = [reg * np.trace(np.cov(X.T)) / X.shape[1] for X in views]
    shrinkage = [r / (1 + r) for r in ratios]
    reference = cca_zoo.GCCA(
        n_components=3,
        shrinkage=shrinkage,
        view_weights=[1 - c for c in shrinkage],
    ).fit(views)
    for X, mean, W, W_ref, c in zip(
        views, means, weights, reference.weights_, shrinkage, strict=True
    ):
        ours = (X - mean) @ W
        theirs = (X - X.mean(axis=0)) @ W_ref * (1 - c)
        np.testing.assert_allclose(_abs_cosines(ours, theirs), 1.0, atol=1e-8)
        np.testing.assert_allclose(np.abs(ours), np.abs(theirs), atol=1e-6)


@pytest.mark.parametrize("seed", [0, 3])
def test_two_views_is_cca(seed):
    X, Y = _views(seed=seed)[:2]
    present = np.ones((2, len(X)), dtype=bool)
    _, weights, eigenvalues = _fit_maxvar([X, Y], present, 3, 0.0)
    cca = CrossModalCCA(n_components=3, reg=0.0).fit(X, Y)
    np.testing.assert_allclose(eigenvalues - 1, cca.canonical_correlations_, atol=1e-8)
    X_c, Y_c = cca.transform(X, Y)
    np.testing.assert_allclose(
        _abs_cosines((X - X.mean(axis=0)) @ weights[0], X_c), 1.0, atol=1e-8
    )
    np.testing.assert_allclose(
        _abs_cosines((Y - Y.mean(axis=0)) @ weights[1], Y_c), 1.0, atol=1e-8
    )


def _masked_reference(views, present, n_components, reg):
    """The masked MAXVAR problem straight from its definition: top
    eigenvectors of K^-1/2 (sum_j K_j P_j K_j) K^-1/2, n x n."""
    n = present.shape[1]
    K = present.sum(axis=0) / present.shape[0]
    M = np.zeros((n, n))
    for X, rows in zip(views, present, strict=True):
        Xc = X[rows] - X[rows].mean(axis=0)
        scatter = Xc.T @ Xc
        ridge = reg * np.trace(scatter) / scatter.shape[0]
        P = Xc @ np.linalg.solve(scatter + ridge * np.eye(len(scatter)), Xc.T)
        M[np.ix_(rows, rows)] += P
    values, vectors = np.linalg.eigh(M / np.sqrt(np.outer(K, K)))
    order = np.argsort(values)[::-1][:n_components]
    return values[order], vectors[:, order] / np.sqrt(K)[:, None]


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("reg", [1e-3, 0.1])
def test_missing_rows_solve_the_masked_objective(seed, reg):
    rng = np.random.default_rng(seed)
    full = _views(n=80, seed=seed)
    present = rng.random((3, 80)) > 0.3
    present[0, ~present.any(axis=0)] = True
    views = [X[rows] for X, rows in zip(full, present, strict=True)]
    means, weights, eigenvalues = _fit_maxvar(views, present, 3, reg)
    values, G_ref = _masked_reference(full, present, 3, reg)
    np.testing.assert_allclose(eigenvalues, values, rtol=1e-8)
    # Each W_j is the ridge regression of the shared scores on view j.
    for X, rows, mean, W in zip(views, present, means, weights, strict=True):
        Xc = X - mean
        scatter = Xc.T @ Xc
        ridge = reg * np.trace(scatter) / scatter.shape[0] * np.eye(len(scatter))
        W_ref = np.linalg.solve(scatter + ridge, Xc.T @ G_ref[rows])
        signs = np.sign(np.sum(W * W_ref, axis=0))
        np.testing.assert_allclose(W, W_ref * signs * np.sqrt(79), atol=1e-8)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_missing_cells_still_contribute(seed):
    """With 60% of each modality missing, GCCA on every row beats pairwise
    CCA on the rows that hold both (the complete-case analysis)."""
    X, y = _table(n_per_class=20, noise=1.0, seed=seed)
    X, X_test, y, y_test = X[::2], X[1::2], y[::2], y[1::2]
    rng = np.random.default_rng(0)
    complete, X = X, X.copy()
    for columns in COLUMNS:
        X[rng.random(len(X)) < 0.6, columns] = np.nan
    # A sample left with no modality gets its first one back.
    empty = np.isnan(X).all(axis=1)
    X[empty, COLUMNS[0]] = complete[empty, COLUMNS[0]]
    gcca = _gcca(n_components=3, reg=0.1).fit(X, y)
    pairs = gcca.pair_scores(X_test, y_test)
    pairwise = {}
    for (a, ca), (b, cb) in [
        (("a", COLUMNS[0]), ("b", COLUMNS[1])),
        (("a", COLUMNS[0]), ("c", COLUMNS[2])),
        (("b", COLUMNS[1]), ("c", COLUMNS[2])),
    ]:
        both = ~np.isnan(X[:, ca]).any(axis=1) & ~np.isnan(X[:, cb]).any(axis=1)
        cm = CorrelationMatching(
            [(a, "passthrough", ca), (b, "passthrough", cb)],
            cca=CrossModalCCA(n_components=3, reg=0.1),
        ).fit(X[both], y[both])
        pairwise[a, b] = cm.score(X_test, y_test, query_modality=a)
        pairwise[b, a] = cm.score(X_test, y_test, query_modality=b)
    assert np.mean(list(pairs.values())) > np.mean(list(pairwise.values())) + 0.01


def test_table_api_and_pairs():
    X, y = _table()
    gcca = _gcca(n_components=3).fit(X, y)
    assert gcca.modality_names_ == ["a", "b", "c"]
    assert set(gcca.pair_scores(X, y)) == {
        (q, d) for q in "abc" for d in "abc" if q != d
    }
    pairs = gcca.pair_scores(X, y)
    assert gcca.score(X, y) == pytest.approx(np.mean(list(pairs.values())))
    assert gcca.score(X, y, query_modality="b", database_modality="c") == (
        pytest.approx(gcca.pair_scores(X, y)[("b", "c")])
    )
    # transform: the three embeddings side by side, NaN where missing.
    X_missing = X.copy()
    X_missing[:5, COLUMNS[1]] = np.nan
    out = gcca.transform(X_missing)
    assert out.shape == (len(X), 9)
    assert np.isnan(out[:5, 3:6]).all() and not np.isnan(out[5:]).any()
    np.testing.assert_allclose(out[:, 6:], gcca.embed(X[:, COLUMNS[2]], modality="c"))
    assert gcca.get_feature_names_out()[[0, 3, 8]].tolist() == ["a__0", "b__0", "c__2"]
    # Ranking between any pair, in the common space.
    ranking, scores = gcca.retrieve(
        X[:4, COLUMNS[2]], X[:, COLUMNS[0]], query_modality="c", database_modality="a"
    )
    assert ranking.shape == (4, len(X)) and np.all(np.diff(scores, axis=1) <= 1e-12)
    # Precision scorer over every pair, and GridSearchCV with the MAP scorer.
    assert 0 < make_retrieval_scorer(measure="precision", k=5)(gcca, X, y) <= 1
    search = GridSearchCV(
        _gcca(),
        {"n_components": [1, 3], "reg": [1e-3, 1.0]},
        scoring=make_retrieval_scorer("a"),
        cv=3,
    ).fit(X, y)
    assert search.best_params_["n_components"] == 3


def test_dataframe_with_pipelines_and_label_view():
    X, y = _table(n_per_class=60, noise=2.0)
    frame = pd.DataFrame(
        {
            "a": list(X[:, COLUMNS[0]]),
            "b": list(X[:, COLUMNS[1]]),
            "c": list(X[:, COLUMNS[2]]),
        }
    )
    frame.loc[:9, "b"] = None
    train, test = frame.iloc[::2], frame.iloc[1::2]
    y_train, y_test = y[::2], y[1::2]

    stack = FunctionTransformer(np.vstack)
    gcca = GeneralizedCCA(
        [
            ("a", make_pipeline(stack, StandardScaler()), "a"),
            ("b", make_pipeline(stack, PCA(3)), "b"),
            ("c", stack, "c"),
        ],
        n_components=3,
    )
    plain = gcca.fit(train, y_train).score(test, y_test)
    labelled = gcca.set_params(label_view=True, eigenvalue_power=4)
    labelled.fit(train, y_train)
    assert labelled.n_present_.tolist() == [120, 115, 120]
    # The class indicators pull the space toward the categories.
    assert labelled.score(test, y_test) > plain + 0.02


@pytest.mark.parametrize("kernel", ["rbf", "chi2"])
def test_kernel_maps(kernel):
    X, y = _table()
    X = X - X.min() if kernel == "chi2" else X
    gcca = _gcca(n_components=3, kernel=kernel, n_kernel_components=40, random_state=0)
    gcca.fit(X, y)
    assert [m.n_components for m in gcca.kernel_maps_] == [40, 40, 40]
    assert gcca.transform(X).shape == (len(X), 9)
    assert gcca.score(X, y) > 0.5
    with pytest.raises(ValueError, match="non-negative.*modality 'a'"):
        _gcca(kernel="chi2", n_components=2).fit(X - 10, y)


def test_bad_input():
    X, y = _table()
    with pytest.raises(ValueError, match="at least two modalities"):
        GeneralizedCCA([("a", "passthrough", COLUMNS[0])]).fit(X, y)
    X_missing = X.copy()
    X_missing[:, COLUMNS[1]] = np.nan
    with pytest.raises(ValueError, match="'b' is present in 0 sample.*every row"):
        _gcca(n_components=2).fit(X_missing, y)
    X_missing = X.copy()
    X_missing[3:, COLUMNS[2]] = np.nan
    with pytest.raises(ValueError, match="'c' is present in 3 sample.*n_components=5"):
        _gcca(n_components=5).fit(X_missing, y)
    X_empty = X.copy()
    X_empty[7] = np.nan
    with pytest.raises(ValueError, match="missing in sample 7"):
        _gcca(n_components=2).fit(X_empty, y)
    with pytest.raises(ValueError, match="label_view needs the labels"):
        _gcca(label_view=True).fit(X)
    with pytest.raises(ValueError, match="Unknown label type"):
        _gcca(label_view=True).fit(X, X[:, 0])
    gcca = _gcca(n_components=2).fit(X)
    with pytest.raises(ValueError, match="Unknown modality 'audio'.*'a', 'b', 'c'"):
        gcca.embed(X[:, COLUMNS[0]], modality="audio")
    with pytest.raises(ValueError, match="Unknown modality 'd'"):
        gcca.retrieve(X[:2, :6], X[:, 6:11], query_modality="a", database_modality="d")
    with pytest.raises(ValueError, match="same modality"):
        gcca.score(X, y, query_modality="a", database_modality="a")
