import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skmm.image import Pixels


def _flatten(images):
    return np.stack([np.asarray(image, dtype=np.float64).ravel() for image in images])


@pytest.mark.parametrize("shape", [(3, 5, 7), (3, 5, 7, 3), (1, 1, 1)])
def test_pixels_equal_flattening(shape):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, size=shape).astype(np.uint8)
    expected = FunctionTransformer(_flatten).fit_transform(list(images))
    for X in (images, list(images), pd.Series(list(images))):
        out = Pixels().fit_transform(X)
        assert out.dtype == np.float64
        np.testing.assert_array_equal(out, expected)


def test_pixels_float32_and_names():
    images = np.random.default_rng(1).random((2, 2, 3, 3))
    pixels = Pixels(dtype="float32").fit(images)
    out = pixels.transform(images)
    assert out.dtype == np.float32 and out.shape == (2, 18)
    names = pixels.get_feature_names_out()
    assert names[0] == "pixel_0_0_0" and names[-1] == "pixel_1_2_2"
    assert len(names) == out.shape[1]


def test_pixels_needs_no_fit_and_is_stateless():
    images = np.zeros((2, 4, 4))
    assert Pixels().__sklearn_tags__().requires_fit is False
    np.testing.assert_array_equal(Pixels().transform(images), np.zeros((2, 16)))


def test_pixels_names_the_bad_sample():
    images = [np.zeros((4, 4)), np.zeros((4, 4)), np.zeros((4, 5))]
    with pytest.raises(ValueError, match="sample 2"):
        Pixels().fit(images)
    pixels = Pixels().fit([np.zeros((4, 4))])
    with pytest.raises(ValueError, match="sample 1 has shape"):
        pixels.transform([np.zeros((4, 4)), np.zeros((4, 4, 3))])
    with pytest.raises(ValueError, match="sample 1"):
        pixels.transform([np.zeros((4, 4)), None])
    with pytest.raises(ValueError, match="sample 0"):
        pixels.transform([np.full((4, 4), np.nan)])


def test_pixels_in_a_pipeline():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(2)
    images = rng.random((20, 4, 4))
    y = (images[:, 0, 0] > 0.5).astype(int)
    model = make_pipeline(Pixels(), LogisticRegression()).fit(list(images), y)
    assert model.score(list(images), y) > 0.8
