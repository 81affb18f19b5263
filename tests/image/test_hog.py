"""HOG against skimage.feature.hog on random and real images."""

import functools
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skimage.data
from numba import njit
from skimage.feature import hog
from skimage.transform import resize
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from skmm.datasets import load_mnist_csv
from skmm.image import _hog, _hog_numba, _hog_xp
from skmm.image._hog import HOG
from skmm.utils._device import cuda_is_available
from skmm.utils.estimator_checks import check_estimator, make_raw_input

MNIST_DIR = Path(__file__).parents[2].parent / "shared" / "data" / "mnist"
needs_mnist = pytest.mark.skipif(
    not (MNIST_DIR / "mnist_5k.csv.gz").is_file(),
    reason=f"MNIST CSV not found in {MNIST_DIR} (real data lives in ../shared/data)",
)
needs_cuda = pytest.mark.skipif(
    not cuda_is_available(), reason="needs CuPy and a CUDA device"
)

# Each setting differs from scikit-image's defaults in at least one way that
# reaches a different rule: sizes that are not multiples of the cell, all
# block norms, transform_sqrt, 1x1 blocks, odd and even orientation counts
# (some whose float32 bin boundaries end below 180 degrees).
SETTINGS = [
    {},
    dict(pixels_per_cell=(7, 7)),
    dict(pixels_per_cell=(5, 9), cells_per_block=(2, 1)),
    dict(orientations=4, block_norm="L1"),
    dict(orientations=7, block_norm="L1-sqrt"),
    dict(orientations=8, block_norm="L2"),
    dict(orientations=5, cells_per_block=(1, 1)),
    dict(orientations=12, pixels_per_cell=(6, 4), cells_per_block=(2, 3)),
    dict(transform_sqrt=True),
    dict(transform_sqrt=True, block_norm="L1", orientations=11),
    dict(transform_sqrt=True, block_norm="L2", cells_per_block=(1, 1)),
    dict(orientations=1, pixels_per_cell=(4, 4)),
    dict(orientations=2, cells_per_block=(2, 2)),
    dict(orientations=3, pixels_per_cell=(3, 3), block_norm="L1-sqrt"),
    dict(orientations=13, pixels_per_cell=(10, 6), cells_per_block=(1, 2)),
    dict(orientations=17, pixels_per_cell=(1, 1), cells_per_block=(2, 2)),
    dict(orientations=6, pixels_per_cell=(2, 3), block_norm="L2"),
    dict(orientations=9, pixels_per_cell=(16, 16), cells_per_block=(1, 1)),
    dict(orientations=10, pixels_per_cell=(8, 5), transform_sqrt=True),
    dict(orientations=15, cells_per_block=(2, 2), block_norm="L1"),
    dict(orientations=30, pixels_per_cell=(4, 4), cells_per_block=(3, 2)),
    dict(
        orientations=9,
        pixels_per_cell=(3, 8),
        cells_per_block=(4, 1),
        block_norm="L2-Hys",
        transform_sqrt=True,
    ),
]
TOLERANCE = {np.dtype(np.float64): 1e-6, np.dtype(np.float32): 1e-4}


def skimage_hog(images, **params):
    p = {**HOG().get_params(), **params}
    return np.stack(
        [
            hog(
                image,
                orientations=p["orientations"],
                pixels_per_cell=p["pixels_per_cell"],
                cells_per_block=p["cells_per_block"],
                block_norm=p["block_norm"],
                transform_sqrt=p["transform_sqrt"],
                feature_vector=True,
                channel_axis=-1 if image.ndim == 3 else None,
            )
            for image in images
        ]
    )


def assert_equals_skimage(images, tolerance=None, **params):
    features = HOG(n_jobs=1, **params).fit_transform(images)
    expected = skimage_hog(images, **params)
    assert features.dtype == expected.dtype
    assert features.shape == expected.shape
    if tolerance is None:
        # Bit for bit: the same votes, float32 sums, and NumPy's pairwise
        # sums in the block norms.
        np.testing.assert_array_equal(features, expected)
    else:
        np.testing.assert_allclose(features, expected, rtol=0, atol=tolerance)
    return features


def random_images(seed, dtype, n=3, shape=(45, 38)):
    rng = np.random.default_rng(seed)
    images = rng.random((n, *shape))
    if dtype == np.uint8:
        return (images * 256).astype(np.uint8)
    return images.astype(dtype)


def crop(image, rows=64, cols=56, step=4):
    """A small, subsampled corner of a bundled image (fast to compare)."""
    return np.ascontiguousarray(image[: rows * step : step, : cols * step : step])


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.uint8])
@pytest.mark.parametrize("setting", SETTINGS, ids=str)
def test_equals_skimage_random(setting, dtype):
    assert_equals_skimage(random_images(len(str(setting)), dtype), **setting)


@pytest.mark.parametrize("setting", SETTINGS[:12], ids=str)
def test_equals_skimage_real_images(setting):
    gray = [
        crop(skimage.data.camera()),
        crop(skimage.data.coins()),
        crop(skimage.data.page(), step=3),
        crop(skimage.data.text(), step=2),
    ]
    assert_equals_skimage(gray, **setting)
    # Float images in [0, 1], as img_as_float gives, in float64 and float32.
    assert_equals_skimage([g / 255.0 for g in gray], **setting)
    assert_equals_skimage([(g / 255.0).astype(np.float32) for g in gray], **setting)


@pytest.mark.parametrize("setting", SETTINGS[::3], ids=str)
def test_equals_skimage_colour(setting):
    colour = [
        crop(skimage.data.astronaut()),
        crop(skimage.data.chelsea(), step=4),
        crop(skimage.data.coffee(), step=6),
    ]
    assert_equals_skimage(colour, **setting)
    assert_equals_skimage([(c / 255.0).astype(np.float32) for c in colour], **setting)
    rng = np.random.default_rng(3)
    # RGBA, and a single channel kept as a channel axis.
    assert_equals_skimage(list(rng.random((2, 40, 36, 4))), **setting)
    assert_equals_skimage(list(rng.random((2, 40, 36, 1))), **setting)


def test_equals_skimage_resized():
    # Smooth interpolated images: many near-equal neighbouring gradients.
    image = resize(skimage.data.astronaut(), (70, 61), anti_aliasing=True)
    assert_equals_skimage(
        [image, image[::-1].copy()],
        orientations=6,
        pixels_per_cell=(6, 6),
        cells_per_block=(2, 2),
    )


def test_colour_ties_pick_first_channel():
    # Channels with equal integer gradient magnitude but different
    # orientations: scikit-image's argmax takes the first channel.
    image = np.zeros((24, 24, 3), dtype=np.uint8)
    rows, cols = np.mgrid[:24, :24]
    image[..., 0] = (5 * rows + 5 * cols) // 2  # gradient (5, 5)
    image[..., 1] = (1 * rows + 7 * cols) // 2  # gradient (1, 7), same norm
    image[..., 2] = (7 * rows + 1 * cols) // 2
    for orientations in (4, 8, 9):
        assert_equals_skimage(
            [image, image[..., ::-1].copy()],
            tolerance=1e-12,
            orientations=orientations,
            cells_per_block=(2, 2),
        )


@njit
def arctangent_bins(g_row, g_col, bounds, out, magnitude):
    """The kernel's bins without a table: polynomial, then atan2 near a
    boundary."""
    bins_per_degree = (bounds.shape[0] - 1) / 180.0
    _hog_numba._row_bins(g_row, g_col, g_row.shape[0], bins_per_degree, magnitude, out)
    for x in range(out.shape[0]):
        if out[x] == _hog_numba._EXACT:
            out[x] = _hog_numba._exact_bin(g_row[x], g_col[x], bounds)[0]


def test_integer_gradients_on_bin_boundaries():
    # Every integer gradient of uint8 images (including the axes and
    # diagonals, which lie exactly on bin boundaries) bins as scikit-image.

    values = np.arange(-255.0, 256.0, 3.0)
    g_row, g_col = (a.ravel().copy() for a in np.meshgrid(values, values))
    # Gradients along the rows' axis of either sign, signed zeros included.
    g_row = np.concatenate([g_row, [0.0, -0.0, -0.0, 0.0, -0.0]])
    g_col = np.concatenate([g_col, [-3.0, -3.0, 5.0, -0.0, -0.0]])
    zero = (g_row == 0) & (g_col == 0)
    for orientations in (1, 2, 4, 6, 7, 8, 9, 12, 17, 36):
        bounds = _hog_numba.bin_bounds(orientations)
        out = np.empty(g_row.shape[0], dtype=np.int32)
        magnitude = np.empty(g_row.shape[0])
        arctangent_bins(g_row, g_col, bounds, out, magnitude)
        orientation = np.rad2deg(np.arctan2(g_row, g_col)) % 180
        expected = np.searchsorted(bounds, orientation, side="right") - 1
        expected[expected >= orientations] = -1
        # A zero gradient votes its zero magnitude into bin 0 (its sum does
        # not change), as scikit-image's orientation 0 does.
        assert np.all(expected[zero] == 0)
        np.testing.assert_array_equal(out, expected)
        np.testing.assert_array_equal(magnitude[zero], 0.0)
        # sqrt(r * r + c * c): hypot's up to the last bit at times.
        np.testing.assert_allclose(magnitude, np.hypot(g_row, g_col), rtol=1e-15)


@pytest.mark.parametrize("orientations", [1, 4, 7, 9, 17, 128])
def test_integer_gradient_table_is_every_gradients_bin(orientations):
    # The table that 8-bit images read holds, for all 511 x 511 integer
    # gradients, the bin of NumPy's arctan2 (scikit-image's), and the
    # polynomial-and-atan2 path of other images agrees with it.
    @njit
    def table_bins(g_row, g_col, table, out, magnitude):
        _hog_numba._row_table_bins(g_row, g_col, g_row.shape[0], table, magnitude, out)

    table = _hog_numba.integer_gradient_bins(orientations)
    assert table.shape == (511 * 511,) and not table.flags.writeable
    assert table.dtype == (np.int8 if orientations < 128 else np.int16)
    values = np.arange(-255.0, 256.0)
    g_row, g_col = (a.ravel().copy() for a in np.meshgrid(values, values))
    bounds = _hog_numba.bin_bounds(orientations)
    orientation = np.rad2deg(np.arctan2(g_row, g_col)) % 180
    expected = np.searchsorted(bounds, orientation, side="right") - 1
    expected[expected >= orientations] = -1
    out = np.empty(g_row.shape[0], dtype=np.int32)
    magnitude = np.empty(g_row.shape[0])
    table_bins(g_row, g_col, table, out, magnitude)
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(magnitude, np.sqrt(g_row**2 + g_col**2))
    arctangent_bins(g_row, g_col, bounds, out, magnitude)
    np.testing.assert_array_equal(out, expected)
    # The same table object each time (built once per orientation count).
    assert _hog_numba.integer_gradient_bins(orientations) is table


@pytest.mark.parametrize(
    "setting",
    [
        {},
        dict(orientations=128, pixels_per_cell=(4, 4), block_norm="L1"),
        dict(orientations=7, pixels_per_cell=(5, 3), cells_per_block=(1, 2)),
    ],
)
def test_8_bit_images_read_the_table_and_equal_the_arctangent_path(
    setting, monkeypatch
):
    # Every gradient from -255 to 255 occurs (extreme values side by side);
    # uint8 and int8 images read the table, the same values as uint16 or
    # float64 go through the arctangent; all equal scikit-image's, bit for
    # bit, in grey and colour.
    rng = np.random.default_rng(7)
    grey = rng.choice(np.array([0, 1, 2, 127, 128, 253, 254, 255]), (6, 40, 33))
    grey[:3] = rng.integers(0, 256, (3, 40, 33))
    colour = rng.integers(0, 256, (3, 24, 26, 3))
    used = []
    real_table = _hog.__dict__["_bin_table"]

    def spy(dtype, transform_sqrt, orientations):
        table = real_table(dtype, transform_sqrt, orientations)
        used.append((np.dtype(dtype), table.size > 0))
        return table

    monkeypatch.setattr(_hog, "_bin_table", spy)
    for images in (grey, colour):
        expected = assert_equals_skimage(images.astype(np.uint8), **setting)
        for dtype in (np.uint16, np.float64):
            features = HOG(n_jobs=1, **setting).fit_transform(images.astype(dtype))
            np.testing.assert_array_equal(features, expected)
        shifted = (images - 128).astype(np.int8)
        assert_equals_skimage(shifted, **setting)
    assert (np.dtype(np.uint8), True) in used and (np.dtype(np.int8), True) in used
    assert (np.dtype(np.uint16), False) in used
    assert (np.dtype(np.float64), False) in used
    # The square root makes the gradients non-integer: no table then.
    used.clear()
    assert_equals_skimage(grey.astype(np.uint8), transform_sqrt=True, **setting)
    assert used == [(np.dtype(np.uint8), False)]


def test_pairwise_sum_is_numpys():
    # The block norms sum as np.sum does, below and above its 128-value
    # blocks (blocks of 4x4 cells of 9 bins hold 144 values).
    rng = np.random.default_rng(0)
    for n in [*range(0, 140), 255, 256, 257, 1000, 1031, 4096]:
        values = rng.random(n) * 10.0 ** rng.integers(-3, 4, size=n)
        assert _hog_numba._pairwise_sum(values, n) == np.sum(values)


def test_equals_skimage_large_blocks():
    image = crop(skimage.data.camera())
    for cells_per_block in ((4, 4), (5, 3), (15, 14)):
        for block_norm in ("L1", "L1-sqrt", "L2", "L2-Hys"):
            assert_equals_skimage(
                [image],
                pixels_per_cell=(4, 4),
                cells_per_block=cells_per_block,
                block_norm=block_norm,
            )


@pytest.mark.data
@needs_mnist
def test_equals_skimage_mnist():
    digits = load_mnist_csv(MNIST_DIR).images[:200]
    for setting in (
        dict(pixels_per_cell=(7, 7), cells_per_block=(2, 2)),
        dict(pixels_per_cell=(4, 4), cells_per_block=(3, 3), orientations=8),
        dict(
            pixels_per_cell=(6, 6),
            cells_per_block=(1, 1),
            block_norm="L1",
            transform_sqrt=True,
        ),
    ):
        assert_equals_skimage(digits, **setting)
        assert_equals_skimage(list(digits[:20] / 255.0), **setting)


def test_input_forms_and_dtypes():
    images = random_images(1, np.float64, n=4, shape=(32, 40))
    expected = HOG(n_jobs=1).fit_transform(images)
    for form in (
        list(images),
        tuple(images),
        pd.Series(list(images)),
        pd.DataFrame({"image": list(images)}),
    ):
        np.testing.assert_array_equal(HOG(n_jobs=1).fit_transform(form), expected)
    # Parallel path, any thread count: same numbers.
    np.testing.assert_array_equal(HOG(n_jobs=2).fit_transform(images), expected)
    np.testing.assert_array_equal(HOG(n_jobs=-1).fit_transform(images), expected)
    # float16 computes in float32, bool and int in float64, as scikit-image.
    half = images.astype(np.float16)
    assert assert_equals_skimage(half, tolerance=1e-4).dtype == np.float32
    booleans = images > 0.5
    assert assert_equals_skimage(booleans).dtype == np.float64
    assert assert_equals_skimage((images * 1000).astype(np.int64)).dtype == np.float64
    # Mixed dtypes and channel counts in one call: each image as scikit-image
    # computes it alone, in one float64 array.
    mixed = [
        images[0].astype(np.float32),
        (images[1] * 255).astype(np.uint8),
        np.stack([images[2]] * 3, axis=-1),
    ]
    assert assert_equals_skimage(mixed, tolerance=1e-6).dtype == np.float64


def test_fitted_attributes_and_names():
    images = random_images(2, np.uint8, n=2, shape=(50, 41))
    hog_ = HOG(pixels_per_cell=(8, 8), cells_per_block=(2, 2)).fit(images)
    assert hog_.image_shape_ == (50, 41)
    assert hog_.device_ == "cpu"
    assert hog_.n_features_out_ == 5 * 4 * 2 * 2 * 9
    names = hog_.get_feature_names_out()
    assert names[0] == "hog0" and names[-1] == f"hog{hog_.n_features_out_ - 1}"
    assert names.shape == (hog_.n_features_out_,)
    colour = np.zeros((1, 50, 41, 3))
    assert HOG().fit(colour).image_shape_ == (50, 41, 3)
    # Stateless: transform works unfitted, with the fitted output; the
    # names need the image size, which only fit records.
    np.testing.assert_array_equal(
        HOG(pixels_per_cell=(8, 8), cells_per_block=(2, 2)).transform(images),
        hog_.transform(images),
    )
    with pytest.raises(NotFittedError):
        HOG().get_feature_names_out()
    out = hog_.set_output(transform="pandas").transform(images)
    assert list(out.columns[:2]) == ["hog0", "hog1"]


def test_mixed_sizes_raise():
    images = [np.zeros((32, 32)), np.zeros((32, 32)), np.zeros((40, 32))]
    with pytest.raises(ValueError, match=r"sample 2.*ImageReader\(size="):
        HOG().fit(images)
    hog_ = HOG().fit(images[:2])
    with pytest.raises(ValueError, match=r"sample 2.*ImageReader\(size="):
        hog_.transform(images)
    with pytest.raises(ValueError, match=r"fitted on 32x32.*ImageReader\(size="):
        hog_.transform([np.zeros((40, 32))])


def test_image_smaller_than_one_block_raises():
    small = [np.zeros((23, 40))]
    with pytest.raises(ValueError, match="too small"):
        hog(small[0])  # scikit-image raises for the same image
    with pytest.raises(ValueError, match=r"sample 0 is 23x40.*at least 24 rows"):
        HOG().fit(small)
    HOG(cells_per_block=(2, 2)).fit(small)  # 16 rows are enough


def test_parameter_validation():
    images = [np.zeros((32, 32))]
    for params in (
        dict(pixels_per_cell=(8,)),
        dict(cells_per_block=(0, 2)),
        dict(pixels_per_cell=(8.0, 8)),
    ):
        with pytest.raises(ValueError, match="pair of positive integers"):
            HOG(**params).fit(images)
    for params in (
        dict(orientations=0),
        dict(block_norm="L3"),
        dict(device="tpu"),
        dict(pixels_per_cell=8),
    ):
        with pytest.raises(ValueError):
            HOG(**params).fit(images)


def test_transform_sqrt_rejects_negative_images():
    images = [np.full((32, 32), 0.5), np.full((32, 32), -0.5)]
    with pytest.raises(ValueError, match="sample 1 has negative values"):
        HOG(transform_sqrt=True).fit(images).transform(images)
    HOG().fit(images).transform(images)


def test_common_checks():
    check_estimator(HOG(pixels_per_cell=(8, 8), cells_per_block=(2, 2)))


def test_pickle_and_pipeline():
    X, y = make_raw_input("image", n_samples=40)
    hog_ = HOG(pixels_per_cell=(8, 8), cells_per_block=(2, 2)).fit(X)
    restored = pickle.loads(pickle.dumps(hog_))
    np.testing.assert_array_equal(restored.transform(X), hog_.transform(X))
    model = make_pipeline(HOG(), LinearSVC()).fit(X[:30], y[:30])
    assert model.score(X[30:], y[30:]) >= 0.8


@pytest.mark.parametrize("setting", SETTINGS[::2], ids=str)
def test_gpu_code_path_under_numpy_matches_cpu(monkeypatch, setting):
    # The CuPy path uses only operations NumPy shares; run it under NumPy.
    monkeypatch.setattr(
        _hog_xp, "hog_batch", functools.partial(_hog_xp.hog_batch, xp=np)
    )
    rng = np.random.default_rng(4)
    for images in (
        random_images(5, np.float64),
        random_images(6, np.float32),
        random_images(7, np.uint8),
        list((rng.random((2, 45, 38, 3)) * 255).astype(np.uint8)),
    ):
        cpu = HOG(n_jobs=1, **setting).fit(images)
        gpu = HOG(**setting).fit(images)
        gpu.device_ = "cuda"
        expected = cpu.transform(images)
        features = gpu.transform(images)
        assert features.dtype == expected.dtype
        np.testing.assert_allclose(features, expected, rtol=0, atol=1e-12)


@pytest.mark.gpu
@needs_cuda
@pytest.mark.parametrize("setting", SETTINGS[:8], ids=str)
def test_cuda_equals_skimage(setting):
    for dtype in (np.float64, np.float32, np.uint8):
        images = random_images(8, dtype, n=4)
        features = HOG(device="cuda", **setting).fit_transform(images)
        expected = skimage_hog(images, **setting)
        assert features.dtype == expected.dtype
        np.testing.assert_allclose(
            features, expected, rtol=0, atol=TOLERANCE[np.dtype(expected.dtype)]
        )
    colour = [crop(skimage.data.astronaut())]
    np.testing.assert_allclose(
        HOG(device="cuda", **setting).fit_transform(colour),
        skimage_hog(colour, **setting),
        rtol=0,
        atol=1e-6,
    )


def test_verbose_chunks_give_the_same_features(capsys, monkeypatch):
    from skmm.image import _hog

    rng = np.random.default_rng(5)
    images = list(rng.random((11, 32, 40)))
    # Two dtypes make two kernel batches, each split into chunks.
    images[3] = (images[3] * 255).astype(np.uint8)
    images[7] = images[7].astype(np.float32)
    quiet = HOG().fit(images).transform(images)
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(_hog, "_PROGRESS_CHUNK_PIXELS", 3 * 32 * 40)
    calls = []
    original = HOG._compute
    monkeypatch.setattr(
        HOG, "_compute", lambda self, b, d: calls.append(len(b)) or original(self, b, d)
    )
    for n_jobs in (1, 2):
        calls.clear()
        loud = HOG(verbose=True, n_jobs=n_jobs).fit(images).transform(images)
        assert sorted(calls) == [1, 1, 3, 3, 3]  # 9 float64 images, 2 others
        np.testing.assert_array_equal(quiet, loud)
        err = capsys.readouterr().err
        assert "HOG" in err and "11/11" in err and "image" in err


def _install_cupy_stand_in(monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).parents[1]))
    import _cupy_stand_in

    return _cupy_stand_in.install(monkeypatch)


def _spy_kernels(spy_on):
    """Record ``(kernel, type of the images it gets)`` for HOG's kernels."""
    calls = []
    spy_on(calls, _hog_numba, "hog_batch", "numba")
    spy_on(calls, _hog_numba, "hog_batch_parallel", "numba")
    spy_on(calls, _hog_xp, "hog_batch", "xp")
    return calls


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_device_dispatch_reaches_the_right_kernel(monkeypatch, spy_on, n_jobs):
    # The stand-in's arrays run through Numba and NumPy alike, so only the
    # kernel each call reaches, and what it receives, tells the paths apart.
    cupy = _install_cupy_stand_in(monkeypatch)
    calls = _spy_kernels(spy_on)
    images = random_images(9, np.float64, n=4)
    expected = HOG(n_jobs=1).fit(images).transform(images)
    calls.clear()

    # device="cpu", CuPy images: to the host for the Numba kernel, the
    # features back to the device.
    cpu = HOG(device="cpu", n_jobs=n_jobs).fit(images)
    out = cpu.transform(cupy.asarray(images))
    assert calls == [("numba", np.ndarray)]
    assert type(out) is cupy.ndarray
    np.testing.assert_allclose(out.get(), expected, rtol=0, atol=1e-12)

    # device="cuda": the array-module kernel, with the images where they
    # are; no Numba.
    gpu = HOG(device="cuda", n_jobs=n_jobs).fit(images)
    assert gpu.device_ == "cuda"
    for given, kind in ((cupy.asarray(images), cupy.ndarray), (images, np.ndarray)):
        calls.clear()
        out = gpu.transform(given)
        assert calls == [("xp", kind)]
        assert type(out) is kind
        np.testing.assert_allclose(np.asarray(out), expected, rtol=0, atol=1e-12)


def test_a_list_is_streamed_in_chunks_not_stacked_whole(monkeypatch, spy_on):
    from skmm.image import _hog

    rng = np.random.default_rng(3)
    images = [(rng.random((32, 24)) * 255).astype(np.uint8) for _ in range(11)]
    # Two dtype groups, interleaved: each is chunked, rows land in place.
    for i in (2, 5, 6, 9):
        images[i] = rng.random((32, 24)).astype(np.float32)
    params = dict(pixels_per_cell=(8, 8), cells_per_block=(2, 2))
    expected = HOG(**params).fit(images).transform(images)
    np.testing.assert_allclose(
        expected.astype(np.float64), skimage_hog(images, **params), rtol=0, atol=1e-4
    )
    # Chunks of three float32 images' worth of bytes (five uint8 images:
    # their float64 features are the larger part).
    monkeypatch.setattr(_hog, "_STREAM_CHUNK_BYTES", 3 * 32 * 24 * 4)
    calls = []
    spy_on(calls, _hog, "_kernel_input", "chunk", describe=len)
    features = HOG(**params).fit(images).transform(images)
    np.testing.assert_array_equal(features, expected)
    assert sum(n for _, n in calls) == len(images)
    # 7 uint8 images in chunks of 5 and 2, 4 float32 images in 3 and 1.
    assert sorted(n for _, n in calls) == [1, 2, 3, 5]
