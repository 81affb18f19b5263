"""ColorHistogram against cv2.calcHist after cv2.cvtColor."""

import pickle

import cv2
import numpy as np
import pytest
from _real_images import bundled, clipart, mnist

from skmm.image import ColorHistogram
from skmm.utils.estimator_checks import check_estimator, make_raw_input

CONVERSIONS = {"rgb": None, "hsv": cv2.COLOR_RGB2HSV, "lab": cv2.COLOR_RGB2Lab}
DEFAULT_RANGES = {
    "rgb": [(0, 256)] * 3,
    "hsv": [(0, 180), (0, 256), (0, 256)],
    "lab": [(0, 256)] * 3,
}


def bounds(size, n):
    return [k * size // n for k in range(n + 1)]


def reference(
    image,
    *,
    color_space="hsv",
    hist_size=8,
    ranges=None,
    joint=True,
    grid=(1, 1),
    normalize=True,
    alpha_threshold=1,
):
    """cv2.calcHist of each cell of cv2.cvtColor of an 8-bit RGB(A) image."""
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    rgb = np.ascontiguousarray(image[..., :3])
    if image.shape[2] == 4:
        mask = (image[..., 3] >= alpha_threshold).astype(np.uint8)
    else:
        mask = np.ones(image.shape[:2], dtype=np.uint8)
    if CONVERSIONS[color_space] is not None:
        rgb = cv2.cvtColor(rgb, CONVERSIONS[color_space])
    sizes = [hist_size] * 3 if isinstance(hist_size, int) else list(hist_size)
    ranges = DEFAULT_RANGES[color_space] if ranges is None else ranges
    rows, cols = bounds(rgb.shape[0], grid[0]), bounds(rgb.shape[1], grid[1])
    parts = []
    for i in range(grid[0]):
        for j in range(grid[1]):
            cell = np.ascontiguousarray(
                rgb[rows[i] : rows[i + 1], cols[j] : cols[j + 1]]
            )
            cell_mask = np.ascontiguousarray(
                mask[rows[i] : rows[i + 1], cols[j] : cols[j + 1]]
            )
            if joint:
                hists = [
                    cv2.calcHist(
                        [cell],
                        [0, 1, 2],
                        cell_mask,
                        sizes,
                        [v for pair in ranges for v in pair],
                    ).ravel()
                ]
            else:
                hists = [
                    cv2.calcHist(
                        [cell], [ch], cell_mask, [sizes[ch]], list(ranges[ch])
                    ).ravel()
                    for ch in range(3)
                ]
            for hist in hists:
                hist = hist.astype(np.float64)
                if normalize and hist.sum() > 0:
                    hist = hist / hist.sum()
                parts.append(hist)
    return np.concatenate(parts)


def _random_setting(seed):
    rng = np.random.default_rng(seed)
    space = ["rgb", "hsv", "lab"][seed % 3]
    sizes = tuple(int(s) for s in rng.integers(1, 12, 3))
    ranges = None
    if rng.integers(2):
        lows = rng.uniform(-10, 100, 3)
        ranges = tuple((float(lo), float(lo + rng.uniform(5, 250))) for lo in lows)
    return dict(
        color_space=space,
        hist_size=sizes if rng.integers(2) else int(sizes[0]),
        ranges=ranges,
        joint=bool(rng.integers(2)),
        grid=(int(rng.integers(1, 4)), int(rng.integers(1, 4))),
        normalize=bool(rng.integers(2)),
        alpha_threshold=int(rng.choice([0, 1, 128, 255])),
    )


SETTINGS = [_random_setting(seed) for seed in range(15)]


def random_images(seed):
    rng = np.random.default_rng(seed)
    rgba = rng.integers(0, 256, (17, 21, 4), dtype=np.uint8)
    rgba[..., 3] = rng.choice([0, 1, 127, 128, 255], rgba.shape[:2])
    return [
        rng.integers(0, 256, (17, 21, 3), dtype=np.uint8),
        rgba,
        rng.integers(0, 256, (9, 30), dtype=np.uint8),  # gray, another size
        rng.integers(0, 256, (12, 12, 3), dtype=np.uint8),
    ]


@pytest.mark.parametrize("setting", SETTINGS, ids=str)
def test_equals_calchist_random(setting):
    images = random_images(0)
    features = ColorHistogram(**setting).fit_transform(images)
    expected = np.stack([reference(image, **setting) for image in images])
    np.testing.assert_array_equal(features, expected)


@pytest.mark.parametrize("color_space", ["rgb", "hsv", "lab"])
@pytest.mark.parametrize("joint", [True, False])
def test_equals_calchist_real_pictures(color_space, joint):
    setting = dict(
        color_space=color_space, joint=joint, hist_size=(6, 5, 4), grid=(2, 2)
    )
    images = bundled()
    features = ColorHistogram(n_jobs=2, **setting).fit_transform(images)
    expected = np.stack([reference(image, **setting) for image in images])
    np.testing.assert_array_equal(features, expected)


@pytest.mark.data
@pytest.mark.parametrize("color_space", ["rgb", "hsv", "lab"])
def test_equals_calchist_clipart_and_mnist(color_space):
    pictures = clipart()
    assert any(p.shape[2] == 4 and (p[..., 3] == 0).any() for p in pictures)
    for images, grid in ((pictures, (2, 2)), (mnist(), (1, 1))):
        setting = dict(color_space=color_space, hist_size=(8, 4, 4), grid=grid)
        features = ColorHistogram(**setting).fit_transform(images)
        expected = np.stack([reference(image, **setting) for image in images])
        np.testing.assert_array_equal(features, expected)


def test_dtypes_become_8_bit():
    rng = np.random.default_rng(2)
    image = rng.integers(0, 256, (10, 10, 3), dtype=np.uint8)
    expected = ColorHistogram().fit_transform([image])
    for other in (
        image.astype(np.int64),
        image.astype(np.uint16) * 257,  # 16-bit: the high byte
        image / 255.0,
        (image / 255.0).astype(np.float32),
    ):
        np.testing.assert_array_equal(ColorHistogram().fit_transform([other]), expected)
    binary = rng.random((6, 6)) > 0.5
    np.testing.assert_array_equal(
        ColorHistogram().fit_transform([binary]),
        ColorHistogram().fit_transform([binary.astype(np.uint8) * 255]),
    )


def test_transparent_image_gives_zeros():
    rgba = np.zeros((8, 8, 4), dtype=np.uint8)
    features = ColorHistogram().fit_transform([rgba])
    assert not features.any()
    assert ColorHistogram(alpha_threshold=0).fit_transform([rgba]).sum() == 1


def test_bad_input():
    with pytest.raises(ValueError, match="Image sample 1 is 1x1 pixels, smaller than"):
        ColorHistogram(grid=(2, 1)).fit_transform([np.zeros((4, 4)), np.zeros((1, 1))])
    with pytest.raises(ValueError, match="Image sample 0 is a float image with values"):
        ColorHistogram().fit_transform([np.full((4, 4, 3), 1.5)])
    with pytest.raises(ValueError, match="Image sample 1 has dtype int64 with values"):
        ColorHistogram().fit_transform([np.zeros((4, 4)), np.full((4, 4), 300)])
    nan = np.zeros((2, 4, 4, 3))
    nan[1, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="Image sample 1 holds 1 non-finite"):
        ColorHistogram().fit_transform(nan)
    with pytest.raises(ValueError, match="hist_size must be"):
        ColorHistogram(hist_size=(4, 4)).fit([np.zeros((4, 4))])
    with pytest.raises(ValueError, match="ranges must be"):
        ColorHistogram(ranges=((0, 1), (2, 1), (0, 1))).fit([np.zeros((4, 4))])


def test_names_and_width():
    hist = ColorHistogram(
        color_space="lab", hist_size=(2, 3, 4), joint=False, grid=(1, 2)
    )
    hist.fit([np.zeros((4, 4, 3))])
    names = hist.get_feature_names_out()
    assert hist.n_features_out_ == len(names) == 18
    assert list(names[:3]) == ["cell0_0_L0", "cell0_0_L1", "cell0_0_a0"]


def test_verbose_and_threads_give_the_same_features(capsys, monkeypatch):
    from skmm.image import _features

    images = random_images(3) * 2
    quiet = ColorHistogram(grid=(2, 2)).fit_transform(images)
    np.testing.assert_array_equal(
        ColorHistogram(grid=(2, 2), n_jobs=2).fit_transform(images), quiet
    )
    monkeypatch.setattr(_features, "_CHUNK_PIXELS", 17 * 21)
    np.testing.assert_array_equal(
        ColorHistogram(grid=(2, 2), verbose=True).fit_transform(images), quiet
    )
    assert "ColorHistogram" in capsys.readouterr().err


def test_common_checks():
    check_estimator(ColorHistogram(grid=(2, 2)))


def test_pickle():
    X, _ = make_raw_input("image", n_samples=10)
    hist = ColorHistogram().fit(X)
    restored = pickle.loads(pickle.dumps(hist))
    np.testing.assert_array_equal(restored.transform(X), hist.transform(X))
