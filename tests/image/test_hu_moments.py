"""HuMoments against cv2.HuMoments(cv2.moments(...))."""

import pickle

import cv2
import numpy as np
import pytest
from _real_images import bundled, clipart, mnist

from skmm.image import HuMoments
from skmm.utils.estimator_checks import check_estimator, make_raw_input


def reference(image, binary_image=False, use_alpha=True, log_scale=True):
    if image.ndim == 3 and image.shape[2] == 4 and use_alpha:
        image = np.ascontiguousarray(image[..., 3])
    elif image.ndim == 3:
        image = cv2.cvtColor(np.ascontiguousarray(image[..., :3]), cv2.COLOR_RGB2GRAY)
    if image.dtype == np.int64:
        image = image.astype(np.float64)  # a dtype cv2.moments does not read
    hu = cv2.HuMoments(cv2.moments(image, binary_image)).ravel()
    if log_scale:
        with np.errstate(divide="ignore", invalid="ignore"):
            hu = np.where(hu == 0, 0.0, -np.sign(hu) * np.log10(np.abs(hu)))
    return hu


SETTINGS = [
    {},
    dict(binary_image=True),
    dict(log_scale=False),
    dict(use_alpha=False, binary_image=True),
    dict(use_alpha=False, log_scale=False),
]


def random_images(seed):
    rng = np.random.default_rng(seed)
    blob = np.zeros((30, 26), dtype=np.uint8)
    blob[5:20, 3:12] = 200
    blob[12:25, 8:22] = 90
    rgba = rng.integers(0, 256, (20, 24, 4), dtype=np.uint8)
    rgba[..., 3] = 0
    rgba[4:15, 6:20, 3] = 255
    return [
        blob,
        rng.random((17, 21)),  # float64
        rng.random((17, 21)).astype(np.float32),
        rng.integers(0, 4000, (15, 15)).astype(np.uint16),
        rng.integers(0, 256, (18, 16, 3), dtype=np.uint8),
        rgba,
        rng.integers(0, 50, (9, 9)).astype(np.int64),
    ]


@pytest.mark.parametrize("setting", SETTINGS, ids=str)
def test_equals_opencv_random(setting):
    images = random_images(0)
    features = HuMoments(**setting).fit_transform(images)
    expected = np.stack([reference(image, **setting) for image in images])
    np.testing.assert_array_equal(features, expected)


@pytest.mark.parametrize("setting", SETTINGS[:3], ids=str)
def test_equals_opencv_real_pictures(setting):
    images = bundled()
    features = HuMoments(**setting, n_jobs=2).fit_transform(images)
    expected = np.stack([reference(image, **setting) for image in images])
    np.testing.assert_array_equal(features, expected)


@pytest.mark.data
@pytest.mark.parametrize("setting", SETTINGS[:2], ids=str)
def test_equals_opencv_mnist_and_clipart(setting):
    for images in (mnist(), clipart()):
        features = HuMoments(**setting).fit_transform(images)
        expected = np.stack([reference(image, **setting) for image in images])
        np.testing.assert_array_equal(features, expected)


def test_invariant_to_translation_and_rotation():
    image = random_images(0)[0]
    moved = np.zeros((40, 40), dtype=np.uint8)
    moved[7:37, 9:35] = image
    features = HuMoments().fit_transform([image, moved, np.rot90(image).copy()])
    np.testing.assert_allclose(features[1], features[0], rtol=1e-9)
    np.testing.assert_allclose(features[2], features[0], rtol=1e-6)


def test_empty_images_give_zeros():
    transparent = np.zeros((8, 8, 4), dtype=np.uint8)
    features = HuMoments().fit_transform(
        [np.zeros((5, 5)), transparent, np.ones((1, 1))]
    )
    assert not features[:2].any()
    assert np.isfinite(features).all()


def test_bad_input():
    nan = np.zeros((6, 6))
    nan[2, 2] = np.nan
    with pytest.raises(ValueError, match="Image sample 1 holds 1 non-finite"):
        HuMoments().fit_transform([np.zeros((4, 4)), nan])
    with pytest.raises(ValueError, match="Image sample 0 is a float image"):
        HuMoments().fit_transform([np.full((4, 4, 3), 3.0)])


def test_threads_and_names():
    images = random_images(1) * 3
    expected = HuMoments().fit_transform(images)
    np.testing.assert_array_equal(HuMoments(n_jobs=2).fit_transform(images), expected)
    hu = HuMoments().fit(images)
    assert list(hu.get_feature_names_out()) == [f"hu{k}" for k in range(1, 8)]


def test_common_checks():
    check_estimator(HuMoments())


def test_pickle():
    X, _ = make_raw_input("image", n_samples=8)
    hu = HuMoments().fit(X)
    restored = pickle.loads(pickle.dumps(hu))
    np.testing.assert_array_equal(restored.transform(X), hu.transform(X))
