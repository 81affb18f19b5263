import numpy as np
import pytest
from scipy import sparse
from sklearn.utils.estimator_checks import parametrize_with_checks

from skmm.retrieval import CrossModalCCA, KernelCCA
from skmm.utils.estimator_checks import yield_checks


def _paired(n=300, d_x=6, d_y=6, n_latent=3, noise=1.0, seed=0):
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, n_latent))
    X = latent @ rng.normal(size=(n_latent, d_x)) + noise * rng.normal(size=(n, d_x))
    Y = latent @ rng.normal(size=(n_latent, d_y)) + noise * rng.normal(size=(n, d_y))
    return X + 5.0, 3.0 * Y - 2.0


def _circle(n, seed):
    """X on a noisy circle, Y at the doubled angle: no linear relation."""
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, 2 * np.pi, size=n)
    X = np.c_[np.cos(angle), np.sin(angle)] + 0.05 * rng.normal(size=(n, 2))
    Y = np.c_[np.cos(2 * angle), np.sin(2 * angle)] + 0.05 * rng.normal(size=(n, 2))
    return X, Y


def _first_correlation(X_c, Y_c):
    return np.corrcoef(X_c[:, 0], Y_c[:, 0])[0, 1]


def _same_up_to_column_signs(a, b, atol):
    signs = np.sign(np.sum(a * b, axis=0))
    np.testing.assert_allclose(a, b * signs, atol=atol)


@pytest.mark.parametrize("reg", [1e-6, 1e-2, 1.0])
def test_linear_kernel_with_all_landmarks_is_linear_cca(reg):
    # With every sample a landmark, the linear Nystroem map is an isometry of
    # the row space of X, so CCA on it is CCA on X up to a rotation. KernelCCA's
    # ridge is reg times the total variance, CrossModalCCA's reg times the mean
    # feature variance: with d features on both sides they agree at reg * d.
    # What remains is rounding: the map whitens the null space of the n x n
    # kernel matrix with eigenvalues clipped at 1e-12, features ~1e-8 in size.
    X, Y = _paired(n=150, d_x=6, d_y=6)
    X_test, Y_test = _paired(n=50, d_x=6, d_y=6, seed=1)
    kcca = KernelCCA(
        n_components=3, reg=reg, kernel="linear", n_kernel_components=1000
    ).fit(X, Y)
    cca = CrossModalCCA(n_components=3, reg=reg * 6).fit(X, Y)
    assert kcca.x_map_.components_.shape == (150, 6)
    np.testing.assert_allclose(
        kcca.canonical_correlations_, cca.canonical_correlations_, atol=1e-7
    )
    # Same projections, of unseen points too, up to the sign of each component.
    for ours, reference in zip(
        kcca.transform(X_test, Y_test), cca.transform(X_test, Y_test), strict=True
    ):
        _same_up_to_column_signs(ours, reference, atol=1e-6)


def test_linear_kernel_small_reg_is_classical_cca():
    # Different widths: no common reg, but both tend to unregularised CCA,
    # each at O(reg): about 1e-7 here. Far smaller reg does not help: the ridge
    # then no longer damps the ~1e-6 (relative) rounding noise of the mapped
    # null space of the kernel matrix.
    X, Y = _paired(n=150, d_x=7, d_y=4)
    kcca = KernelCCA(
        n_components=3, reg=1e-8, kernel="linear", n_kernel_components=1000
    ).fit(X, Y)
    classical = CrossModalCCA(n_components=3, reg=0.0).fit(X, Y)
    np.testing.assert_allclose(
        kcca.canonical_correlations_, classical.canonical_correlations_, atol=1e-6
    )


def test_rbf_finds_nonlinear_relation_on_held_out_data():
    X, Y = _circle(400, seed=0)
    X_test, Y_test = _circle(400, seed=1)
    linear = CrossModalCCA(n_components=2).fit(X, Y)
    kernel = KernelCCA(
        n_components=2, reg=1e-2, n_kernel_components=100, random_state=0
    ).fit(X, Y)
    linear_corr = _first_correlation(*linear.transform(X_test, Y_test))
    kernel_corr = _first_correlation(*kernel.transform(X_test, Y_test))
    assert abs(linear_corr) < 0.3
    assert kernel_corr > 0.9
    # Retrieval of the paired item: far above chance (1 / 400) at rank 10.
    ranking, _ = kernel.retrieve(X_test, Y_test, k=10)
    hits = np.mean(np.any(ranking == np.arange(400)[:, None], axis=1))
    assert hits > 0.1


def test_default_gamma_scales_with_the_data():
    X, Y = _circle(200, seed=0)
    kcca = KernelCCA(n_components=2, random_state=0).fit(X, Y)
    assert kcca.x_map_.gamma == pytest.approx(1 / (2 * X.var()))
    assert kcca.y_map_.gamma == pytest.approx(1 / (2 * Y.var()))
    # Units do not matter: neither gamma nor the ridge depends on them.
    rescaled = KernelCCA(n_components=2, random_state=0).fit(1e3 * X, 1e-3 * Y)
    np.testing.assert_allclose(
        rescaled.canonical_correlations_, kcca.canonical_correlations_, rtol=1e-6
    )
    pair = KernelCCA(n_components=2, gamma=(0.5, None), random_state=0).fit(X, Y)
    assert pair.x_map_.gamma == 0.5
    assert pair.y_map_.gamma == pytest.approx(kcca.y_map_.gamma)


def test_chi2_default_gamma_and_histograms():
    rng = np.random.default_rng(0)
    X = rng.dirichlet(np.ones(8), size=150)
    Y = rng.dirichlet(np.ones(5), size=150)
    kcca = KernelCCA(n_components=2, kernel="chi2", random_state=0).fit(X, Y)
    centre = X.mean(axis=0)
    chi2_to_mean = np.mean(np.sum((X - centre) ** 2 / (X + centre), axis=1))
    assert kcca.x_map_.gamma == pytest.approx(1 / chi2_to_mean)
    assert np.all(np.isfinite(kcca.transform(X)))


def test_random_state_determinism_and_paired_landmarks():
    X, Y = _paired(n=200)
    kwargs = dict(n_components=2, n_kernel_components=50)
    a = KernelCCA(**kwargs, random_state=0).fit(X, Y)
    b = KernelCCA(**kwargs, random_state=0).fit(X, Y)
    c = KernelCCA(**kwargs, random_state=1).fit(X, Y)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    np.testing.assert_array_equal(a.transform_y(Y), b.transform_y(Y))
    assert not np.array_equal(a.x_map_.components_, c.x_map_.components_)
    # Both maps take their landmarks from the same training pairs.
    rows = [np.flatnonzero((X == row).all(axis=1))[0] for row in a.x_map_.components_]
    np.testing.assert_array_equal(a.y_map_.components_, Y[rows])


def test_attributes_shapes_and_consistency():
    X, Y = _paired()
    kcca = KernelCCA(n_components=2, n_kernel_components=40, random_state=0)
    X_c = kcca.fit_transform(X, Y)
    assert X_c.shape == (300, 2)
    assert kcca.x_map_.components_.shape == (40, 6)
    assert kcca.cca_.x_weights_.shape == (40, 2)
    assert np.all(np.diff(kcca.canonical_correlations_) <= 0)
    X_c2, Y_c = kcca.transform(X, Y)
    np.testing.assert_allclose(X_c, X_c2)
    np.testing.assert_allclose(Y_c, kcca.transform_y(Y))
    assert list(kcca.get_feature_names_out()) == ["kernelcca0", "kernelcca1"]
    ranking, scores = kcca.retrieve(Y[:3], X, direction="y_to_x", k=4)
    assert ranking.shape == scores.shape == (3, 4)
    assert np.all(np.diff(scores, axis=1) <= 0)


def test_sparse_input_matches_dense():
    X, Y = _paired(n=120)
    X, Y = np.abs(X), np.abs(Y)
    dense = KernelCCA(n_components=2, random_state=0).fit(X, Y)
    from_sparse = KernelCCA(n_components=2, random_state=0).fit(
        sparse.csr_matrix(X), sparse.csr_matrix(Y)
    )
    np.testing.assert_allclose(
        from_sparse.transform(sparse.csr_matrix(X)), dense.transform(X), atol=1e-8
    )
    np.testing.assert_allclose(
        from_sparse.transform_y(sparse.csr_matrix(Y)), dense.transform_y(Y), atol=1e-8
    )


def test_bad_input():
    X, Y = _paired(n=100, d_x=8, d_y=6)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        KernelCCA(n_components=2).fit(X, Y[:-1])
    X_nan = X.copy()
    X_nan[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        KernelCCA(n_components=2).fit(X_nan, Y)
    Y_nan = Y.copy()
    Y_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        KernelCCA(n_components=2).fit(X, Y_nan)
    with pytest.raises(
        ValueError,
        match=r"n_components=51 must be at most min\(n_kernel_components, "
        r"n_samples\) = min\(50, 100\) = 50",
    ):
        KernelCCA(n_components=51, n_kernel_components=50).fit(X, Y)
    with pytest.raises(ValueError, match=r"min\(500, 100\) = 100"):
        KernelCCA(n_components=101).fit(X, Y)
    with pytest.raises(ValueError, match="reg"):
        KernelCCA(reg=-1.0).fit(X, Y)
    with pytest.raises(ValueError, match="kernel"):
        KernelCCA(kernel="additive_chi2").fit(X, Y)
    with pytest.raises(ValueError, match="gamma"):
        KernelCCA(gamma=(1.0, 2.0, 3.0)).fit(X, Y)
    with pytest.raises(ValueError, match="gamma"):
        KernelCCA(gamma=(1.0, -2.0)).fit(X, Y)
    with pytest.raises(ValueError, match="Negative values in data passed to"):
        KernelCCA(kernel="chi2").fit(np.abs(X), Y)
    with pytest.raises(TypeError, match="[Ss]parse"):
        KernelCCA(kernel="chi2").fit(sparse.csr_matrix(np.abs(X)), np.abs(Y))
    kcca = KernelCCA(n_components=2, n_kernel_components=30).fit(X, Y)
    with pytest.raises(ValueError, match="8 features"):
        kcca.transform(X[:, :5])
    with pytest.raises(ValueError, match="Y has 5 features"):
        kcca.transform_y(Y[:, :5])
    with pytest.raises(ValueError, match="Y has 5 features"):
        kcca.retrieve(X, Y[:, :5])
    with pytest.raises(ValueError, match="8 features"):
        kcca.retrieve(Y, X[:, :5], direction="y_to_x")
    with pytest.raises(ValueError, match="direction"):
        kcca.retrieve(X, Y, direction="sideways")
    with pytest.raises(ValueError, match="metric"):
        kcca.retrieve(X, Y, metric="manhattan")


# The settings test_common.py runs (scikit-learn's checks pass a 1-D y), plus
# the linear and the chi2 kernels, which take other code paths.
_CHECKED = [
    KernelCCA(n_components=1, n_kernel_components=20),
    KernelCCA(n_components=1, n_kernel_components=20, kernel="linear"),
    KernelCCA(n_components=1, n_kernel_components=20, kernel="chi2"),
]


@parametrize_with_checks(_CHECKED)
def test_sklearn_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize(
    "estimator, check",
    [(e, c) for e in _CHECKED for c in yield_checks(e)],
    ids=lambda x: getattr(x, "__name__", type(x).__name__),
)
def test_skmm_checks(estimator, check):
    check(type(estimator).__name__, estimator)
