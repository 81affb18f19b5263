"""DAISY against scikit-image's daisy."""

import functools
import pickle

import numpy as np
import pytest
from skimage import data
from skimage.color import rgb2gray
from skimage.feature import daisy

from skmm.encode import DescriptorSet
from skmm.image import DAISY
from skmm.utils.estimator_checks import check_estimator, make_raw_input


def random_settings(seed):
    """Random DAISY parameters, drawn as a user might set them."""
    rng = np.random.default_rng(seed)
    settings = dict(
        step=int(rng.integers(1, 9)),
        radius=int(rng.integers(3, 16)),
        rings=int(rng.integers(1, 4)),
        histograms=int(rng.integers(1, 10)),
        orientations=int(rng.integers(1, 10)),
        normalization=str(rng.choice(["l1", "l2", "daisy", "off"])),
    )
    if rng.random() < 0.3:
        radii = np.sort(rng.choice(np.arange(2, 14), size=2, replace=False))
        settings.update(
            ring_radii=[int(r) for r in radii],
            sigmas=[float(s) for s in rng.uniform(0.5, 4, size=3)],
        )
        del settings["radius"], settings["rings"]
    return settings


def assert_matches_skimage(images, settings, gray=None):
    ours = DAISY(**settings).fit(images).transform(images)
    for descriptors, reference_input in zip(ours, gray or images, strict=True):
        reference = daisy(reference_input, **settings)
        assert descriptors.shape == (
            reference.shape[0] * reference.shape[1],
            reference.shape[2],
        )
        np.testing.assert_allclose(
            descriptors, reference.reshape(descriptors.shape), rtol=0, atol=1e-6
        )


@functools.cache
def skimage_pictures():
    return [data.camera()[100:260, 120:300], data.coins(), data.moon()[::3, ::3]]


@pytest.mark.parametrize("seed", range(8))
def test_matches_skimage_random_settings_and_images(seed):
    rng = np.random.default_rng(100 + seed)
    images = [rng.random((int(rng.integers(33, 70)), int(rng.integers(33, 70))))]
    images.append((rng.random((40, 45)) * 255).astype(np.uint8))
    assert_matches_skimage(images, random_settings(seed))


@pytest.mark.parametrize("seed", range(3))
def test_matches_skimage_on_its_pictures(seed):
    assert_matches_skimage(skimage_pictures(), random_settings(seed))


def test_colour_and_dtypes_are_read_as_skimage_reads_them():
    rgb = data.astronaut()[::4, ::4]
    assert_matches_skimage([rgb], {"step": 6}, gray=[rgb2gray(rgb)])
    rng = np.random.default_rng(0)
    sixteen = (rng.random((40, 40)) * 65535).astype(np.uint16)
    assert_matches_skimage([sixteen], {"radius": 8})
    boolean = rng.random((40, 40)) > 0.5
    assert_matches_skimage([boolean], {"radius": 8})
    float32 = rng.random((40, 40)).astype(np.float32)
    assert_matches_skimage([float32], {"radius": 8, "normalization": "l2"})
    single = rng.random((40, 40, 1))
    assert_matches_skimage([single], {"radius": 8}, gray=[single[:, :, 0]])


@pytest.mark.parametrize("seed", range(2))
def test_matches_skimage_on_mnist(mnist_digits, seed):
    digits = list(mnist_digits[seed * 50 : seed * 50 + 20])
    settings = dict(step=2 + seed, radius=6 + seed, rings=2, histograms=6)
    assert_matches_skimage(digits, settings)


def test_matches_skimage_on_clipart(clipart_gray):
    assert_matches_skimage(clipart_gray(400, (96, 96)), dict(step=5, radius=12))


def test_positions_name_the_grid_points():
    image = np.random.default_rng(0).random((50, 61))
    plain = DAISY(step=7, radius=9).fit_transform([image])[0]
    located = DAISY(step=7, radius=9, positions=True).fit_transform([image])[0]
    assert isinstance(located, DescriptorSet)
    np.testing.assert_array_equal(np.asarray(located), plain)
    assert located.image_shape == (50, 61)
    ys, xs = np.meshgrid(np.arange(9, 41, 7), np.arange(9, 52, 7), indexing="ij")
    np.testing.assert_array_equal(
        located.positions, np.column_stack([xs.ravel(), ys.ravel()])
    )


def test_threads_give_the_same_output():
    images = [np.random.default_rng(i).random((40 + i, 50)) for i in range(6)]
    one = DAISY(radius=8).fit_transform(images)
    two = DAISY(radius=8, n_jobs=2).fit_transform(images)
    for a, b in zip(one, two, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "image, message",
    [
        (np.zeros((1, 1)), r"Image sample 1 is 1x1 pixels, too small"),
        (np.zeros((30, 60)), r"Image sample 1 is 30x60 pixels, too small"),
        (np.zeros((40, 40, 4)), r"Image sample 1 has 4 channels \(RGBA\)"),
        (np.full((40, 40), np.nan), r"Image sample 1 .*NaN"),
    ],
)
def test_bad_images_name_the_sample(image, message):
    good = np.zeros((40, 40))
    with pytest.raises(ValueError, match=message):
        DAISY().fit([good, image])
    fitted = DAISY().fit([good])
    with pytest.raises(ValueError, match=message):
        fitted.transform([good, image])


def test_bad_parameters():
    image = [np.zeros((40, 40))]
    with pytest.raises(ValueError, match="normalization"):
        DAISY(normalization="l3").fit(image)
    with pytest.raises(ValueError, match="len"):
        DAISY(sigmas=[1, 2], ring_radii=[3, 4]).fit(image)
    with pytest.raises(ValueError, match="ring_radii"):
        DAISY(ring_radii=[2.5]).fit(image)


def test_common_checks():
    check_estimator(DAISY(radius=6, step=5))
    check_estimator(DAISY(radius=6, step=5, positions=True))


def test_pickle_and_feature_names():
    X, _ = make_raw_input("image", n_samples=3)
    model = DAISY(radius=6, rings=2, histograms=4, orientations=5).fit(X)
    restored = pickle.loads(pickle.dumps(model))
    for a, b in zip(model.transform(X), restored.transform(X), strict=True):
        np.testing.assert_array_equal(a, b)
    names = model.get_feature_names_out()
    assert list(names[:2]) == ["daisy0", "daisy1"] and len(names) == 45
