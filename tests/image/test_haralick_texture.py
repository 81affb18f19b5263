"""HaralickTexture against skimage.feature.graycomatrix + graycoprops."""

import pickle

import cv2
import numpy as np
import pytest
from _real_images import bundled, clipart, mnist
from skimage.feature import graycomatrix, graycoprops

from skmm.image import HaralickTexture
from skmm.image._glcm_numba import PROPS
from skmm.utils.estimator_checks import check_estimator, make_raw_input

DEFAULT_ANGLES = (0, np.pi / 4, np.pi / 2, 3 * np.pi / 4)


def gray8(image):
    if image.ndim == 3:
        image = cv2.cvtColor(np.ascontiguousarray(image[..., :3]), cv2.COLOR_RGB2GRAY)
    return image


def reference(
    image,
    distances=(1,),
    angles=DEFAULT_ANGLES,
    levels=256,
    symmetric=False,
    props=PROPS[:6],
):
    image = gray8(image)
    if levels < 256:
        image = (image.astype(np.uint16) * levels // 256).astype(np.uint8)
    P = graycomatrix(image, distances, angles, levels=levels, symmetric=symmetric)
    return np.concatenate([graycoprops(P, prop).ravel() for prop in props])


def assert_equals_skimage(images, **setting):
    features = HaralickTexture(**setting).fit_transform(images)
    expected = np.stack([reference(image, **setting) for image in images])
    np.testing.assert_allclose(features, expected, rtol=0, atol=1e-10)


def _random_setting(seed):
    rng = np.random.default_rng(seed)
    n_props = int(rng.integers(1, len(PROPS) + 1))
    return dict(
        distances=tuple(int(d) for d in rng.integers(0, 6, rng.integers(1, 4))),
        angles=tuple(
            float(a) for a in rng.uniform(-np.pi, 2 * np.pi, rng.integers(1, 5))
        ),
        levels=int(rng.choice([2, 7, 16, 64, 200, 256])),
        symmetric=bool(rng.integers(2)),
        props=tuple(rng.permutation(PROPS)[:n_props]),
    )


SETTINGS = [{}, dict(symmetric=True, props=PROPS)] + [
    _random_setting(seed) for seed in range(12)
]


@pytest.mark.parametrize("setting", SETTINGS, ids=str)
def test_equals_skimage_random(setting):
    rng = np.random.default_rng(0)
    images = [
        rng.integers(0, 256, (19, 23), dtype=np.uint8),
        rng.integers(100, 104, (19, 23), dtype=np.uint8),  # few levels
        np.full((12, 9), 77, dtype=np.uint8),  # flat: correlation's special case
        rng.integers(0, 256, (16, 16, 3), dtype=np.uint8),  # colour
    ]
    assert_equals_skimage(images, **setting)


@pytest.mark.parametrize("setting", SETTINGS[:4], ids=str)
def test_equals_skimage_real_pictures(setting):
    assert_equals_skimage(bundled(), **setting)


@pytest.mark.data
def test_equals_skimage_mnist_and_clipart():
    for images in (mnist(), clipart()):
        assert_equals_skimage(images, props=PROPS, distances=(1, 2))


def test_dtypes_become_8_bit():
    image = np.random.default_rng(1).integers(0, 256, (10, 12), dtype=np.uint8)
    expected = HaralickTexture().fit_transform([image])
    for other in (image / 255.0, image.astype(np.uint16) * 257, image.astype(np.int32)):
        np.testing.assert_allclose(
            HaralickTexture().fit_transform([other]), expected, rtol=0, atol=1e-12
        )


def test_threads_and_chunks_give_the_same_features(monkeypatch):
    from skmm.image import _features

    images = list(
        np.random.default_rng(2).integers(0, 256, (9, 14, 14), dtype=np.uint8)
    )
    expected = HaralickTexture().fit_transform(images)
    np.testing.assert_array_equal(
        HaralickTexture(n_jobs=2).fit_transform(images), expected
    )
    monkeypatch.setattr(_features, "_CHUNK_PIXELS", 2 * 14 * 14)
    np.testing.assert_array_equal(
        HaralickTexture(verbose=1).fit_transform(images), expected
    )


def test_bad_input():
    images = [np.zeros((5, 5)), np.zeros((1, 1))]
    with pytest.raises(ValueError, match="Image sample 1 is 1x1 pixels: no pixel pair"):
        HaralickTexture().fit_transform(images)
    assert HaralickTexture(distances=(0,)).fit_transform(images).shape == (2, 24)
    with pytest.raises(ValueError, match="props must be"):
        HaralickTexture(props=("contrast", "nope")).fit(images)
    with pytest.raises(ValueError, match="distances must be"):
        HaralickTexture(distances=(-1,)).fit(images)
    with pytest.raises(ValueError, match="angles must be"):
        HaralickTexture(angles=(np.nan,)).fit(images)
    with pytest.raises(ValueError, match="Image sample 0 is a float image"):
        HaralickTexture().fit_transform([np.full((4, 4), -0.5)])


def test_names():
    texture = HaralickTexture(distances=(1, 2), angles=(0, np.pi / 2), props=("ASM",))
    names = texture.fit([np.zeros((4, 4))]).get_feature_names_out()
    assert list(names) == ["ASM_d1_a0", "ASM_d1_a90", "ASM_d2_a0", "ASM_d2_a90"]


def test_common_checks():
    check_estimator(HaralickTexture(levels=16))


def test_pickle():
    X, _ = make_raw_input("image", n_samples=8)
    texture = HaralickTexture().fit(X)
    restored = pickle.loads(pickle.dumps(texture))
    np.testing.assert_array_equal(restored.transform(X), texture.transform(X))
