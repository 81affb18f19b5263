"""LBP against skimage.feature.local_binary_pattern on random and real images."""

import pickle
import warnings

import cv2
import numpy as np
import pytest
from _real_images import bundled, clipart, mnist
from skimage.feature import local_binary_pattern
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from skmm.image import LBP
from skmm.image._lbp import lbp_codes, n_codes
from skmm.utils.estimator_checks import check_estimator, make_raw_input

METHODS = ["default", "ror", "uniform", "nri_uniform", "var"]
# (P, R) pairs reaching different rules: whole and fractional offsets,
# radii below one and past the image border, P = 1, P odd, P > 16 (no
# lookup table), R that float32 rounds.
POINTS = [
    (8, 1),
    (4, 1),
    (8, 1.5),
    (16, 2),
    (12, 2.7),
    (3, 0.5),
    (1, 1),
    (8, 0.3),
    (5, 4.2),
]
LARGE_P = [(20, 2.5), (24, 3)]


def skimage_codes(image, P, R, method):
    with warnings.catch_warnings():
        # scikit-image warns about float images; the codes are what we compare.
        warnings.simplefilter("ignore", UserWarning)
        return local_binary_pattern(image, P, R, method)


def gray(image):
    if image.ndim == 2:
        return image
    return cv2.cvtColor(np.ascontiguousarray(image[..., :3]), cv2.COLOR_RGB2GRAY)


def bounds(size, n):
    return [k * size // n for k in range(n + 1)]


def reference(image, P, R, method, grid=(1, 1), normalize=True, var_bins=16):
    """Histograms per cell of scikit-image's codes, by NumPy."""
    image = gray(image)
    codes = skimage_codes(image, P, R, method)
    if method == "var":
        half = {"f": 0.5, "b": 0.5}.get(
            image.dtype.kind, 32767.5 if image.dtype == np.uint16 else 127.5
        )
        edges = np.linspace(0, half, var_bins + 1) ** 2
        codes = np.digitize(np.nan_to_num(codes, nan=0.0), edges[1:-1])
        n_bins = var_bins
    else:
        n_bins = n_codes(P, method)
    rows, cols = bounds(codes.shape[0], grid[0]), bounds(codes.shape[1], grid[1])
    parts = []
    for i in range(grid[0]):
        for j in range(grid[1]):
            cell = codes[rows[i] : rows[i + 1], cols[j] : cols[j + 1]].astype(np.int64)
            counts = np.bincount(cell.ravel(), minlength=n_bins).astype(np.float64)
            parts.append(counts / counts.sum() if normalize else counts)
    return np.concatenate(parts)


def random_images(seed, dtype=np.uint8, n=3, shape=(23, 31), levels=6):
    """Few grey levels, so that ties (texture == centre) are common."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, levels, (n, *shape))
    if dtype == np.float64:
        return images / (levels - 1)
    return images.astype(dtype)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("P, R", POINTS, ids=str)
def test_codes_equal_skimage_random(P, R, method):
    if method in ("default", "ror") and P > 16:
        pytest.skip("2**P bins")
    for seed, dtype in enumerate((np.uint8, np.float64, np.uint16, np.int32)):
        image = random_images(seed, dtype, n=1)[0]
        np.testing.assert_array_equal(
            lbp_codes(image, P, R, method), skimage_codes(image, P, R, method)
        )
    image = np.random.default_rng(7).random((17, 20))  # no ties at all
    np.testing.assert_array_equal(
        lbp_codes(image, P, R, method), skimage_codes(image, P, R, method)
    )


@pytest.mark.parametrize("method", ["uniform", "nri_uniform", "var"])
@pytest.mark.parametrize("P, R", LARGE_P, ids=str)
def test_codes_equal_skimage_many_points(P, R, method):
    image = random_images(3, n=1, shape=(19, 22))[0]
    np.testing.assert_array_equal(
        lbp_codes(image, P, R, method), skimage_codes(image, P, R, method)
    )


def _random_setting(rng):
    method = METHODS[rng.integers(len(METHODS))]
    P = int(rng.integers(1, 17 if method in ("default", "ror") else 25))
    return dict(
        P=P,
        R=float(np.round(rng.uniform(0.3, 4), 2)),
        method=method,
        grid=(int(rng.integers(1, 4)), int(rng.integers(1, 4))),
        normalize=bool(rng.integers(2)),
        var_bins=int(rng.integers(1, 20)),
    )


SETTINGS = [_random_setting(np.random.default_rng(seed)) for seed in range(12)]


@pytest.mark.parametrize("setting", SETTINGS, ids=str)
def test_histograms_equal_skimage_random_settings(setting):
    rng = np.random.default_rng(1)
    images = [
        *random_images(2, n=2),
        (rng.random((30, 26)) * 255).astype(np.uint8),  # another size
        rng.random((12, 40)),
    ]
    features = LBP(**setting).fit_transform(images)
    expected = np.stack([reference(image, **setting) for image in images])
    np.testing.assert_array_equal(features, expected)


@pytest.mark.parametrize("method", METHODS)
def test_equals_skimage_real_pictures(method):
    setting = dict(P=8, R=1.5, method=method, grid=(2, 3))
    images = bundled()
    features = LBP(**setting, n_jobs=2).fit_transform(images)
    expected = np.stack([reference(image, **setting) for image in images])
    np.testing.assert_array_equal(features, expected)
    for image in images[:2]:
        np.testing.assert_array_equal(
            lbp_codes(image, 8, 1.5, method), skimage_codes(image, 8, 1.5, method)
        )


@pytest.mark.data
@pytest.mark.parametrize("method", ["uniform", "nri_uniform", "var"])
def test_equals_skimage_mnist_and_clipart(method):
    for images in (mnist(), clipart()):
        setting = dict(P=8, R=1, method=method, grid=(2, 2))
        features = LBP(**setting).fit_transform(images)
        expected = np.stack([reference(image, **setting) for image in images])
        np.testing.assert_array_equal(features, expected)


def test_input_forms_give_the_same_features():
    images = random_images(4, n=4)
    expected = LBP().fit_transform(list(images))
    np.testing.assert_array_equal(LBP().fit_transform(images), expected)
    np.testing.assert_array_equal(LBP().transform(images[..., None]), expected)
    colour = np.repeat(images[..., None], 3, axis=3)
    np.testing.assert_array_equal(LBP().transform(colour), expected)  # gray RGB
    # n_jobs and progress chunks give the same features.
    np.testing.assert_array_equal(LBP(n_jobs=2).fit_transform(images), expected)


def test_verbose_chunks_give_the_same_features(capsys, monkeypatch):
    from skmm.image import _features

    images = list(random_images(5, n=7))
    quiet = LBP().fit_transform(images)
    monkeypatch.setattr(_features, "_CHUNK_PIXELS", 2 * 23 * 31)
    loud = LBP(verbose=True).fit_transform(images)
    np.testing.assert_array_equal(quiet, loud)
    err = capsys.readouterr().err
    assert "LBP" in err and "7/7" in err


def test_fitted_attributes_and_names():
    lbp = LBP(P=4, method="uniform", grid=(1, 2)).fit(random_images(0))
    assert lbp.n_features_out_ == 12
    names = lbp.get_feature_names_out()
    assert list(names[:2]) == ["cell0_0_lbp0", "cell0_0_lbp1"]
    assert names[-1] == "cell0_1_lbp5"
    assert list(LBP(P=4).fit(random_images(0)).get_feature_names_out()[:1]) == ["lbp0"]


def test_bad_input():
    images = list(random_images(0, n=3))
    images[2] = images[2][:1, :2]
    with pytest.raises(
        ValueError, match="Image sample 2 is 1x2 pixels, smaller than LBP's grid"
    ):
        LBP(grid=(2, 2)).fit_transform(images)
    # A 1x1 image with a 1x1 grid is a documented one-pixel histogram.
    assert LBP(normalize=False).fit_transform([np.ones((1, 1))]).sum() == 1
    nan = random_images(0, np.float64)
    nan[1, 3, 3] = np.nan
    with pytest.raises(ValueError, match="Image sample 1 holds 1 non-finite"):
        LBP().fit(nan)
    with pytest.raises(ValueError, match="Image sample 0 is a float image"):
        LBP().fit_transform([np.full((8, 8, 3), 2.0)])  # colour, not in [0, 1]
    with pytest.raises(ValueError, match="P must be at most 16"):
        LBP(P=17, method="default").fit(images)
    with pytest.raises(ValueError, match="grid must be a pair"):
        LBP(grid=(0, 2)).fit(images)


def test_sixteen_bit_images_are_exact():
    image = (np.random.default_rng(0).random((20, 20)) * 65535).astype(np.uint16)
    for method in METHODS:
        np.testing.assert_array_equal(
            LBP(method=method).fit_transform([image])[0],
            reference(image, 8, 1.0, method),
        )


def test_common_checks():
    check_estimator(LBP(grid=(2, 2)))


def test_pickle_and_pipeline():
    X, y = make_raw_input("image", n_samples=40)
    lbp = LBP(grid=(2, 2)).fit(X)
    restored = pickle.loads(pickle.dumps(lbp))
    np.testing.assert_array_equal(restored.transform(X), lbp.transform(X))
    model = make_pipeline(LBP(P=8, R=2, grid=(2, 2)), LinearSVC()).fit(X[:30], y[:30])
    assert 0.0 <= model.score(X[30:], y[30:]) <= 1.0


def test_cupy_images_give_cupy_features(monkeypatch):
    # No GPU kernel: CuPy images come to the host, the features go back.
    from pathlib import Path

    monkeypatch.syspath_prepend(str(Path(__file__).parents[1]))
    import _cupy_stand_in

    cupy = _cupy_stand_in.install(monkeypatch)
    images = random_images(6, n=3)
    expected = LBP().fit_transform(images)
    out = LBP().fit_transform(cupy.asarray(images))
    assert type(out) is cupy.ndarray
    np.testing.assert_array_equal(out.get(), expected)
