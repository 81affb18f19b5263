"""What every block estimator shares: overflow, empty input."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.preprocessing import StandardScaler

from skmm.fusion import BlockScaler, ModalityImputer, ProductFusion, SkipMissing

BLOCKS = [("a", [0, 1]), ("b", [2, 3])]


def _fitted():
    X = np.random.default_rng(0).normal(size=(30, 4))
    return [
        BlockScaler(blocks=BLOCKS).fit(X),
        ProductFusion(blocks=BLOCKS).fit(X),
        ModalityImputer(blocks=BLOCKS).fit(X),
        SkipMissing(StandardScaler()).fit(X),
        SkipMissing().fit(list(X)),
    ]


@pytest.mark.parametrize("estimator", _fitted(), ids=lambda e: repr(e))
@pytest.mark.parametrize("empty", [[], np.zeros((0, 4))], ids=["list", "array"])
def test_empty_input_is_a_clear_error_or_an_empty_output(estimator, empty):
    try:
        out = estimator.transform(empty)
    except ValueError as error:
        assert "0 sample" in str(error) or "Expected 2D array" in str(error)
    else:
        assert out.shape == (0, len(estimator.get_feature_names_out()))


def test_product_fusion_overflow_names_the_sample():
    X = np.array([[1.0, 2.0], [1e200, 1e200], [3.0, 1.0]])
    fusion = ProductFusion(blocks=[("a", [0]), ("b", [1])])
    with pytest.raises(ValueError, match="overflows float64 in sample 1"):
        fusion.fit_transform(X)
    fusion.fit(X[[0, 2]])
    with pytest.raises(ValueError, match="overflows float64 in sample 0"):
        fusion.transform(X[[1]])


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("magnitude", [1e200, 1e-200])
def test_block_scaler_balances_blocks_near_the_float_limits(sparse, magnitude):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)) * [magnitude, magnitude, 1.0]
    Xs = sp.csr_matrix(X) if sparse else X
    scaler = BlockScaler(blocks=[("huge", [0, 1]), ("plain", [2])])
    out = scaler.fit_transform(Xs)
    out = out.toarray() if sparse else out
    assert np.isfinite(out).all() and np.isfinite(scaler.scales_).all()
    # Both blocks get total variance 1 however large or small their values.
    np.testing.assert_allclose(out[:, :2].var(axis=0).sum(), 1.0, rtol=1e-9)
    np.testing.assert_allclose(out[:, 2].var(), 1.0, rtol=1e-9)


def test_block_scaler_overflow_in_transform_names_the_sample():
    X = np.random.default_rng(0).normal(size=(30, 2)) * 1e-3
    scaler = BlockScaler().fit(X)
    with pytest.raises(ValueError, match="overflows float64 in sample 1"):
        scaler.transform(np.array([[1.0, 1.0], [1e307, 1.0]]))
