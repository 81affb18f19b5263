import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.cross_decomposition import PLSRegression
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline

from skmm.fusion import CommonSpaceFusion
from skmm.retrieval import GeneralizedCCA
from skmm.retrieval._gcca import _fit_maxvar

BLOCKS = [("a", slice(0, 6)), ("b", slice(6, 11)), ("c", slice(11, 15))]


def _data(n_per_class=40, n_classes=3, noise=1.0, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(n_classes), n_per_class)
    centres = rng.normal(size=(n_classes, 3))[y]
    X = np.hstack([centres @ rng.normal(size=(3, d)) for d in (6, 5, 4)])
    X += noise * rng.normal(size=X.shape)
    return X, y


def _projected(fusion, X):
    """Each block's projection, computed here from the fitted state."""
    out = []
    for (_, idx), projection in zip(fusion.blocks_, fusion.projections_, strict=True):
        block = X[:, idx]
        if fusion.projection == "gcca":
            mean, weights = projection
            out.append((block - mean) @ weights)
        elif fusion.projection == "pca":
            out.append(projection.transform(block))
        else:
            out.append(projection.predict(block))
    return np.array(out)


@pytest.mark.parametrize("projection", ["gcca", "pca", "pls"])
def test_combinations_without_missing(projection):
    X, y = _data()
    fusion = CommonSpaceFusion(blocks=BLOCKS, projection=projection, n_components=3)
    Z = _projected(fusion.fit(X, y), X)
    for combine, expected in [
        ("sum", Z.sum(axis=0)),
        ("mean", Z.mean(axis=0)),
        ("product", Z.prod(axis=0)),
        ("concat", np.hstack(list(Z))),
    ]:
        out = fusion.set_params(combine=combine).fit_transform(X, y)
        np.testing.assert_allclose(out, expected, atol=1e-10)
        assert out.shape[1] == len(fusion.get_feature_names_out())


def test_projections_are_the_references():
    X, y = _data(seed=1)
    gcca = CommonSpaceFusion(blocks=BLOCKS, n_components=2, reg=0.1).fit(X)
    means, weights, _ = _fit_maxvar(
        [X[:, c] for _, c in BLOCKS], np.ones((3, len(X)), bool), 2, 0.1
    )
    for (mean, W), mean_ref, W_ref in zip(
        gcca.projections_, means, weights, strict=True
    ):
        np.testing.assert_allclose(mean, mean_ref)
        np.testing.assert_allclose(W, W_ref)
    pca = CommonSpaceFusion(blocks=BLOCKS, projection="pca", n_components=2).fit(X)
    reference = PCA(2, whiten=True).fit(X[:, 6:11]).transform(X[:, 6:11])
    np.testing.assert_allclose(
        np.abs(pca.projections_[1].transform(X[:, 6:11])), np.abs(reference)
    )
    pls = CommonSpaceFusion(blocks=BLOCKS, projection="pls", n_components=2).fit(X, y)
    indicators = np.eye(3)[y]
    reference = PLSRegression(2, scale=False).fit(X[:, 11:], indicators)
    np.testing.assert_allclose(
        pls.projections_[2].predict(X[:, 11:]), reference.predict(X[:, 11:])
    )
    assert pls.transform(X).shape == (len(X), 3)  # one column per class


@pytest.mark.parametrize("projection", ["gcca", "pca"])
def test_missing_blocks(projection):
    X, y = _data()
    X[:10, 6:11] = np.nan
    X[5:15, 11:] = np.nan
    fusion = CommonSpaceFusion(blocks=BLOCKS, projection=projection, n_components=3)
    fusion.fit(X, y)
    filled = np.nan_to_num(X)
    Z = _projected(fusion, filled)
    present = ~np.isnan(X[:, [0, 6, 11]]).T
    Z_present = np.where(present[:, :, None], Z, 0.0)
    mean = Z_present.sum(axis=0) / present.sum(axis=0)[:, None]
    np.testing.assert_allclose(fusion.set_params(combine="mean").transform(X), mean)
    np.testing.assert_allclose(fusion.set_params(combine="sum").transform(X), 3 * mean)
    # Row 7 lacks b and c: both take the value of a, the only present block.
    product = fusion.set_params(combine="product").transform(X)
    np.testing.assert_allclose(product[7], Z[0, 7] ** 3)
    np.testing.assert_allclose(product[20], Z[:, 20].prod(axis=0))
    concat = fusion.set_params(combine="concat").transform(X)
    # Row 2 lacks b, which takes the mean of a and c.
    np.testing.assert_allclose(
        concat[2], np.hstack([Z[0, 2], (Z[0, 2] + Z[2, 2]) / 2, Z[2, 2]])
    )
    assert np.isfinite(concat).all()


def test_nan_inside_a_present_block_takes_the_training_mean():
    X, y = _data()
    fusion = CommonSpaceFusion(blocks=BLOCKS, n_components=2).fit(X)
    X_partial = X.copy()
    X_partial[4, 7] = np.nan
    filled = X.copy()
    filled[4, 7] = X[:, 7].mean()
    np.testing.assert_allclose(fusion.transform(X_partial), fusion.transform(filled))


def test_gcca_transformer_in_a_pipeline():
    X, y = _data(noise=2.0)
    X[::4, 11:] = np.nan
    gcca = GeneralizedCCA(
        [(name, "passthrough", c) for name, c in BLOCKS], n_components=3
    )
    fused = CommonSpaceFusion(gcca, projection=None, combine="mean")
    model = make_pipeline(fused, LogisticRegression())
    scores = cross_val_score(model, X, y, cv=3)
    assert scores.mean() > 0.6
    fitted = fused.fit(X, y)
    assert [name for name, _ in fitted.blocks_] == ["a", "b", "c"]
    # The blocks are the GCCA's own embeddings.
    np.testing.assert_allclose(
        fitted.set_params(combine="concat").transform(X)[:, :3],
        fitted.transformer_.embed(X[:, :6], modality="a"),
    )


def test_column_transformer_layout_and_classifier():
    X, y = _data(noise=1.5)
    columns = ColumnTransformer(
        [(name, "passthrough", c) for name, c in BLOCKS], remainder="drop"
    )
    model = make_pipeline(
        CommonSpaceFusion(columns, n_components=2, combine="sum"),
        LogisticRegression(),
    )
    assert cross_val_score(model, X, y, cv=3).mean() > 0.6


def test_bad_input():
    X, y = _data()
    with pytest.raises(ValueError, match="at least two blocks.*'features'"):
        CommonSpaceFusion().fit(X)
    X_missing = X.copy()
    X_missing[:, 6:11] = np.nan
    with pytest.raises(ValueError, match="'b' is present in 0 sample"):
        CommonSpaceFusion(blocks=BLOCKS, n_components=2).fit(X_missing)
    X_missing = X.copy()
    X_missing[2:, 11:] = np.nan
    with pytest.raises(ValueError, match="'c' is present in 2 sample.*n_components=3"):
        CommonSpaceFusion(blocks=BLOCKS, n_components=3).fit(X_missing)
    X_empty = X.copy()
    X_empty[9] = np.nan
    fusion = CommonSpaceFusion(blocks=BLOCKS, n_components=2).fit(X)
    with pytest.raises(ValueError, match="missing in sample 9"):
        fusion.transform(X_empty)
    with pytest.raises(ValueError, match="needs the target y"):
        CommonSpaceFusion(blocks=BLOCKS, projection="pls").fit(X)
    with pytest.raises(ValueError, match="share one width"):
        CommonSpaceFusion(blocks=BLOCKS, projection=None).fit(X)
    with pytest.raises(ValueError, match="'c' has 4 features, fewer than"):
        CommonSpaceFusion(blocks=BLOCKS, projection="pca", n_components=5).fit(X)
    with pytest.raises(ValueError, match="overflows"):
        CommonSpaceFusion(blocks=BLOCKS, n_components=2, combine="product").fit(
            X
        ).transform(X * 1e200)
