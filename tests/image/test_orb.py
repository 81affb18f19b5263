"""ORB against OpenCV's ORB on the same 8-bit gray images."""

import functools
import pickle

import cv2
import numpy as np
import pytest
from skimage import data

from skmm.encode import VLAD, BagOfWords, DescriptorSet
from skmm.image import ORB
from skmm.utils.estimator_checks import check_estimator, make_raw_input


def random_settings(seed):
    rng = np.random.default_rng(seed)
    patch = int(rng.integers(7, 40))
    return dict(
        n_features=int(rng.integers(10, 800)),
        scale_factor=float(rng.uniform(1.1, 1.8)),
        n_levels=int(rng.integers(1, 9)),
        edge_threshold=patch,
        first_level=0,
        wta_k=int(rng.choice([2, 2, 3, 4])),
        score_type=str(rng.choice(["harris", "fast"])),
        patch_size=patch,
        fast_threshold=int(rng.integers(5, 40)),
    )


def opencv_orb(image, settings):
    orb = cv2.ORB_create(
        nfeatures=settings["n_features"],
        scaleFactor=settings["scale_factor"],
        nlevels=settings["n_levels"],
        edgeThreshold=settings["edge_threshold"],
        firstLevel=settings["first_level"],
        WTA_K=settings["wta_k"],
        scoreType=(
            cv2.ORB_HARRIS_SCORE
            if settings["score_type"] == "harris"
            else cv2.ORB_FAST_SCORE
        ),
        patchSize=settings["patch_size"],
        fastThreshold=settings["fast_threshold"],
    )
    keypoints, descriptors = orb.detectAndCompute(image, None)
    if descriptors is None:
        descriptors = np.zeros((0, 32), dtype=np.uint8)
    return keypoints, descriptors


def assert_equals_opencv(gray_images, settings, inputs=None):
    inputs = gray_images if inputs is None else inputs
    packed = ORB(unpack_bits=False, **settings)
    ours, where = packed.fit(inputs).transform_with_keypoints(inputs)
    bits = ORB(**settings).fit(inputs).transform(inputs)
    n_found = 0
    for image, descriptors, keypoints, unpacked in zip(
        gray_images, ours, where, bits, strict=True
    ):
        reference_keypoints, reference = opencv_orb(image, settings)
        assert descriptors.dtype == np.uint8
        np.testing.assert_array_equal(descriptors, reference)
        np.testing.assert_array_equal(
            keypoints,
            np.array(
                [(k.pt[0], k.pt[1], k.size, k.angle) for k in reference_keypoints],
                dtype=np.float32,
            ).reshape(-1, 4),
        )
        np.testing.assert_array_equal(
            unpacked, np.unpackbits(reference, axis=1).astype(np.float32)
        )
        n_found += len(reference)
    assert n_found > 0  # the comparison compared something


@functools.cache
def skimage_pictures():
    return [
        data.camera(),
        data.coins(),
        cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2GRAY),
    ]


@pytest.mark.parametrize("seed", range(6))
def test_equals_opencv_on_skimage_pictures(seed):
    assert_equals_opencv(skimage_pictures(), random_settings(seed))


@pytest.mark.parametrize("seed", range(3))
def test_equals_opencv_on_random_images(seed):
    rng = np.random.default_rng(seed)
    images = [
        (rng.random((int(rng.integers(60, 200)), 150)) * 255).astype(np.uint8)
        for _ in range(3)
    ]
    assert_equals_opencv(images, random_settings(10 + seed))


def test_colour_and_float_are_converted_as_sift_does():
    rgb = data.astronaut()[::2, ::2]
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    assert_equals_opencv([gray], random_settings(0), inputs=[rgb])
    assert_equals_opencv([gray], random_settings(1), inputs=[gray / 255.0])


def test_equals_opencv_on_mnist(mnist_digits):
    large = [
        cv2.resize(d, (112, 112), interpolation=cv2.INTER_NEAREST)
        for d in mnist_digits[:30]
    ]
    settings = random_settings(3) | dict(edge_threshold=9, patch_size=9)
    assert_equals_opencv(large, settings)


def test_equals_opencv_on_clipart(clipart_gray):
    assert_equals_opencv(clipart_gray(250, (192, 192)), random_settings(4))


def test_bits_are_hamming_for_the_encoders():
    """The squared distance of unpacked bits is OpenCV's Hamming distance."""
    image = data.camera()
    bits = ORB(n_features=50).fit_transform([image])[0]
    _, packed = opencv_orb(image, ORB(n_features=50).get_params())
    hamming = [[cv2.norm(a, b, cv2.NORM_HAMMING) for b in packed] for a in packed]
    squared = ((bits[:, None, :] - bits[None, :, :]) ** 2).sum(axis=2)
    np.testing.assert_array_equal(squared, hamming)


def test_positions_and_encoders():
    images = [data.camera(), data.coins()]
    located = ORB(n_features=80, positions=True).fit_transform(images)
    _, keypoints = ORB(n_features=80).fit(images).transform_with_keypoints(images)
    for image, s, k in zip(images, located, keypoints, strict=True):
        assert isinstance(s, DescriptorSet) and s.image_shape == image.shape
        np.testing.assert_array_equal(s.positions, k[:, :2])
    codes = BagOfWords(n_clusters=8, random_state=0).fit(located).transform(located)
    assert codes.shape == (2, 8)
    assert VLAD(n_clusters=4, random_state=0).fit_transform(located).shape == (2, 1024)


def test_flat_or_small_image_gives_an_empty_set():
    flat = np.full((64, 64), 128, dtype=np.uint8)
    small = np.zeros((5, 5), dtype=np.uint8)
    for unpack, width, dtype in ((True, 256, np.float32), (False, 32, np.uint8)):
        sets = ORB(unpack_bits=unpack).fit_transform([flat, small])
        assert [s.shape for s in sets] == [(0, width), (0, width)]
        assert sets[0].dtype == dtype


def test_image_too_small_for_the_pyramid_names_the_sample():
    good, tiny = np.zeros((40, 40)), np.zeros((1, 1))
    with pytest.raises(ValueError, match=r"Image sample 1 is 1x1 pixels, too small"):
        ORB().fit([good]).transform([good, tiny])
    # One level is the image itself: nothing to shrink.
    assert ORB(n_levels=1).fit_transform([tiny])[0].shape == (0, 256)


@pytest.mark.parametrize(
    "image, message",
    [
        (np.full((40, 40), 4000, dtype=np.uint16), r"Image sample 1 .*0\.\.255"),
        (np.full((40, 40), 2.0), r"Image sample 1 .*\[0, 1\]"),
        (np.full((40, 40), np.nan), r"Image sample 1 .*NaN"),
    ],
)
def test_bad_images_name_the_sample(image, message):
    good = np.zeros((40, 40))
    with pytest.raises(ValueError, match=message):
        ORB().fit([good, image])
    with pytest.raises(ValueError, match=message):
        ORB().fit([good]).transform([good, image])


def test_threads_give_the_same_output():
    images = [data.camera()[::2, ::2], data.coins(), data.moon()[::2, ::2]]
    one = ORB(n_features=60).fit_transform(images)
    two = ORB(n_features=60, n_jobs=2).fit_transform(images)
    for a, b in zip(one, two, strict=True):
        np.testing.assert_array_equal(a, b)


def test_common_checks():
    check_estimator(ORB(edge_threshold=5, patch_size=5, fast_threshold=5))
    check_estimator(ORB(unpack_bits=False, positions=True, edge_threshold=5))


def test_pickle_and_feature_names():
    X, _ = make_raw_input("image", n_samples=3)
    model = ORB(edge_threshold=5, patch_size=5).fit(X)
    restored = pickle.loads(pickle.dumps(model))
    for a, b in zip(model.transform(X), restored.transform(X), strict=True):
        np.testing.assert_array_equal(a, b)
    assert model.get_feature_names_out()[-1] == "orb_bit255"
    packed = ORB(unpack_bits=False).fit(X)
    assert list(packed.get_feature_names_out()[:1]) == ["orb_byte0"]
