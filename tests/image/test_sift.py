"""SIFT against OpenCV's detectAndCompute."""

import cv2
import numpy as np
import pytest
from skimage import data

from skmm.image._sift import SIFT
from skmm.utils.estimator_checks import check_estimator, make_raw_input


def opencv_sift(image, **params):
    keypoints, descriptors = cv2.SIFT_create(**params).detectAndCompute(image, None)
    return keypoints, descriptors


def test_equals_opencv():
    images = [data.camera(), data.coins()]
    sift = SIFT().fit(images)
    descriptors, keypoints = sift.transform_with_keypoints(images)
    for image, ours, where in zip(images, descriptors, keypoints, strict=True):
        expected_keypoints, expected = opencv_sift(image)
        assert ours.dtype == np.float32 and ours.shape == expected.shape
        np.testing.assert_array_equal(ours, expected)
        assert where.shape == (len(expected_keypoints), 4)
        np.testing.assert_allclose(
            where,
            [(k.pt[0], k.pt[1], k.size, k.angle) for k in expected_keypoints],
            rtol=1e-6,
        )
    np.testing.assert_array_equal(sift.transform(images)[1], descriptors[1])


def test_parameters_reach_opencv():
    image = data.coins()
    params = dict(
        n_features=30,
        n_octave_layers=4,
        contrast_threshold=0.02,
        edge_threshold=5,
        sigma=1.2,
    )
    ours = SIFT(**params).fit([image]).transform([image])[0]
    _, expected = opencv_sift(
        image,
        nfeatures=30,
        nOctaveLayers=4,
        contrastThreshold=0.02,
        edgeThreshold=5,
        sigma=1.2,
    )
    np.testing.assert_array_equal(ours, expected)
    assert ours.shape[0] <= 31  # OpenCV may keep ties at the cut


def test_root_sift():
    image = data.camera()
    plain = SIFT(n_features=40).fit([image]).transform([image])[0]
    root = SIFT(n_features=40, root_sift=True).fit([image]).transform([image])[0]
    assert root.dtype == np.float32
    np.testing.assert_allclose(
        root, np.sqrt(plain / plain.sum(axis=1, keepdims=True)), rtol=1e-6
    )
    np.testing.assert_allclose(np.linalg.norm(root, axis=1), 1, rtol=1e-5)


def test_no_keypoints_gives_empty_set():
    flat = np.full((64, 64), 0.25)
    descriptors, keypoints = SIFT().fit([flat]).transform_with_keypoints([flat])
    assert descriptors[0].shape == (0, 128) and descriptors[0].dtype == np.float32
    assert keypoints[0].shape == (0, 4)


def test_input_conversion():
    astronaut = data.astronaut()
    gray = cv2.cvtColor(astronaut, cv2.COLOR_RGB2GRAY)
    sift = SIFT(n_features=25).fit([gray])
    expected = sift.transform([gray])[0]
    np.testing.assert_array_equal(sift.transform([astronaut])[0], expected)
    np.testing.assert_array_equal(sift.transform([gray / 255.0])[0], expected)
    np.testing.assert_array_equal(sift.transform([gray.astype(np.int64)])[0], expected)
    with pytest.raises(ValueError, match=r"sample 1 .*\[0, 1\]"):
        sift.transform([gray / 255.0, gray * 1.0])
    with pytest.raises(ValueError, match=r"sample 1 .*0\.\.255"):
        sift.transform([gray, gray.astype(np.int16) - 1])
    with pytest.raises(TypeError, match="sample 1"):
        sift.transform([gray, "image.png"])


def test_threads_give_the_same_output():
    images = [data.camera(), data.coins(), data.moon()]
    one = SIFT(n_jobs=1).fit(images).transform(images)
    two = SIFT(n_jobs=2).fit(images).transform(images)
    for a, b in zip(one, two, strict=True):
        np.testing.assert_array_equal(a, b)


def test_transforms_unfitted():
    # Stateless: nothing to fit, the same descriptors unfitted and fitted.
    image = [data.camera()[:128, :128]]
    unfitted = SIFT(n_features=20).transform(image)
    np.testing.assert_array_equal(
        unfitted[0], SIFT(n_features=20).fit(image).transform(image)[0]
    )


def test_common_checks():
    check_estimator(SIFT())
    check_estimator(SIFT(n_features=5, root_sift=True))


def test_feature_names():
    X, _ = make_raw_input("image", n_samples=2)
    names = SIFT().fit(X).get_feature_names_out()
    assert list(names[:2]) == ["sift0", "sift1"] and len(names) == 128


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_verbose_bar_counts_images_and_changes_nothing(capsys, n_jobs):
    images = [data.camera()[:128, :128], data.coins()[:96, :160], data.moon()[:128]]
    quiet = SIFT(n_jobs=n_jobs).fit(images).transform_with_keypoints(images)
    assert capsys.readouterr().err == ""
    loud = (
        SIFT(n_jobs=n_jobs, verbose=True).fit(images).transform_with_keypoints(images)
    )
    err = capsys.readouterr().err
    assert "SIFT" in err and "3/3" in err and "image" in err
    for quiet_sets, loud_sets in zip(quiet, loud, strict=True):
        for a, b in zip(quiet_sets, loud_sets, strict=True):
            np.testing.assert_array_equal(a, b)
