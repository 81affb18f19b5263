"""DenseSIFT against OpenCV's SIFT descriptor on the same keypoints."""

import functools
import pickle
from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import data
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from skmm.encode import VLAD
from skmm.image import _dense_sift_xp
from skmm.image._dense_sift import DenseSIFT, grid_positions
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


@functools.cache
def real_images():
    """Gray uint8 images bundled with scikit-image."""
    return {
        "camera": data.camera(),
        "coins": data.coins(),
        "astronaut": cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2GRAY),
    }


def opencv_descriptors(image, grid):
    """``cv2.SIFT_create().compute`` on upright keypoints ``(x, y, size)``."""
    keypoints = [cv2.KeyPoint(float(x), float(y), float(s), 0) for x, y, s in grid]
    returned, descriptors = cv2.SIFT_create().compute(image, keypoints)
    assert len(returned) == len(keypoints)  # OpenCV drops none
    return descriptors


def cosines(a, b):
    """Row-wise cosine similarity; 1 where both rows are zero."""
    dot = (a.astype(np.float64) * b).sum(axis=1)
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    both_zero = (np.abs(a).sum(axis=1) == 0) & (np.abs(b).sum(axis=1) == 0)
    return np.where(both_zero, 1.0, dot / np.maximum(norms, 1e-30))


def assert_matches_opencv(images, step, size):
    dsift = DenseSIFT(step=step, size=size).fit(images)
    ours = dsift.transform(images)
    similarities = []
    for image, descriptors in zip(images, ours, strict=True):
        grid = dsift.grid(*image.shape)
        expected = opencv_descriptors(image, grid)
        assert descriptors.shape == expected.shape
        assert descriptors.dtype == np.float32
        # Same scaling as OpenCV (integers 0..255); float rounding moves an
        # entry by at most one unit.
        assert np.abs(descriptors - expected).max() <= 1
        similarities.append(cosines(descriptors, expected))
    similarities = np.concatenate(similarities)
    assert np.median(similarities) >= 0.99
    assert np.percentile(similarities, 5) >= 0.95
    return similarities


@pytest.mark.parametrize("step, size", [(8, 16), (6, 4), (5, 2.5)])
def test_matches_opencv_on_real_images(step, size):
    similarities = assert_matches_opencv(list(real_images().values()), step, size)
    assert np.percentile(similarities, 5) >= 0.9999


@pytest.mark.data
@needs_mnist
@pytest.mark.parametrize("step, size", [(4, 4), (7, 8), (8, 16)])
def test_matches_opencv_on_mnist(step, size):
    from skmm.datasets import load_mnist_csv

    digits = list(load_mnist_csv(MNIST_DIR).images[:300])
    assert_matches_opencv(digits, step, size)


def test_border_keypoints_skip_outside_samples_as_opencv():
    # A small crop: every window crosses the border, and for size 16 the
    # window radius (85 pixels) is clipped to the image diagonal as OpenCV
    # does; samples outside the image are skipped on both sides.
    crop = real_images()["camera"][200:230, 180:221]
    for step, size in [(1, 6), (3, 16), (10, 40)]:
        assert_matches_opencv([crop], step, size)
    # A keypoint in a corner still has a descriptor, from the inside only.
    dsift = DenseSIFT(step=64, size=4).fit([crop])
    assert dsift.grid(*crop.shape).shape == (1, 3)


def test_grid_order_and_several_sizes():
    image = real_images()["coins"]
    dsift = DenseSIFT(step=16, size=[4, 8]).fit([image])
    grid = dsift.grid(*image.shape)
    xs, ys = grid_positions(image.shape[1], 16), grid_positions(image.shape[0], 16)
    n = xs.size * ys.size
    assert grid.shape == (2 * n, 3)
    np.testing.assert_array_equal(grid[:n, 2], 4)
    np.testing.assert_array_equal(grid[n:, 2], 8)
    np.testing.assert_array_equal(grid[: xs.size, 0], xs)  # x varies fastest
    np.testing.assert_array_equal(grid[: xs.size, 1], ys[0])
    # Centred grid: equal margins up to one pixel.
    assert abs(xs[0] - (image.shape[1] - 1 - xs[-1])) <= 1
    both = dsift.transform([image])[0]
    single = [
        DenseSIFT(step=16, size=s).fit([image]).transform([image])[0] for s in (4, 8)
    ]
    np.testing.assert_array_equal(both, np.concatenate(single))
    assert np.abs(both - opencv_descriptors(image, grid)).max() <= 1


def test_input_conversion_colour_and_float():
    astronaut = data.astronaut()
    gray = cv2.cvtColor(astronaut, cv2.COLOR_RGB2GRAY)
    dsift = DenseSIFT(step=32, size=8).fit([gray])
    expected = dsift.transform([gray])[0]
    np.testing.assert_array_equal(dsift.transform([astronaut])[0], expected)
    rgba = np.dstack([astronaut, np.full(gray.shape, 255, np.uint8)])
    np.testing.assert_array_equal(dsift.transform([rgba])[0], expected)
    np.testing.assert_array_equal(dsift.transform([gray / 255.0])[0], expected)
    np.testing.assert_array_equal(
        dsift.transform([gray.astype(np.int32)[:, :, None]])[0], expected
    )
    with pytest.raises(ValueError, match=r"sample 1 .*\[0, 1\]"):
        dsift.transform([gray / 255.0, gray.astype(np.float64)])
    with pytest.raises(ValueError, match=r"sample 1 .*0\.\.255"):
        dsift.transform([gray, gray.astype(np.uint16) * 256])


def test_root_sift():
    image = real_images()["coins"]
    plain = DenseSIFT(step=16, size=8).fit([image]).transform([image])[0]
    root = DenseSIFT(step=16, size=8, root_sift=True).fit([image]).transform([image])[0]
    assert root.dtype == np.float32
    l1 = plain / plain.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(root, np.sqrt(l1), rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(root, axis=1), 1, rtol=1e-5)


def test_flat_image_gives_zero_descriptors():
    flat = np.full((40, 50), 0.5)
    out = DenseSIFT(step=8, size=4).fit([flat]).transform([flat])[0]
    assert out.shape == (5 * 7, 128) and not out.any()


def test_threads_give_the_same_output():
    images = list(real_images().values())
    one = DenseSIFT(step=12, size=6, n_jobs=1).fit(images).transform(images)
    two = DenseSIFT(step=12, size=6, n_jobs=2).fit(images).transform(images)
    for a, b in zip(one, two, strict=True):
        np.testing.assert_array_equal(a, b)


def test_gpu_code_path_under_numpy_matches_cpu(monkeypatch):
    # The CuPy path uses only operations NumPy shares; run it under NumPy.
    monkeypatch.setattr(
        _dense_sift_xp,
        "dense_sift_batch",
        functools.partial(_dense_sift_xp.dense_sift_batch, xp=np),
    )
    images = [real_images()["coins"], real_images()["coins"][::-1, 7:], data.camera()]
    for step, size in [(8, 16), (5, [2.5, 7])]:
        cpu = DenseSIFT(step=step, size=size).fit(images)
        gpu = DenseSIFT(step=step, size=size).fit(images)
        gpu.device_ = "cuda"
        for a, b in zip(cpu.transform(images), gpu.transform(images), strict=True):
            assert a.shape == b.shape and b.dtype == np.float32
            assert np.abs(a - b).max() <= 1
            assert cosines(a, b).min() >= 0.9999


@pytest.mark.gpu
@needs_cuda
def test_cuda_matches_opencv():
    images = list(real_images().values())
    for step, size in [(8, 16), (6, [4, 8])]:
        dsift = DenseSIFT(step=step, size=size, device="cuda").fit(images)
        assert dsift.device_ == "cuda"
        for image, ours in zip(images, dsift.transform(images), strict=True):
            expected = opencv_descriptors(image, dsift.grid(*image.shape))
            assert np.abs(ours - expected).max() <= 1
            assert np.percentile(cosines(ours, expected), 5) >= 0.9999


@pytest.mark.skipif(cuda_is_available(), reason="a CUDA device is present")
def test_cuda_without_a_device_raises():
    with pytest.raises(RuntimeError, match="CuPy"):
        DenseSIFT(device="cuda").fit([np.zeros((8, 8))])
    assert DenseSIFT(device="auto").fit([np.zeros((8, 8))]).device_ == "cpu"


def test_bad_parameters():
    with pytest.raises(ValueError, match="size"):
        DenseSIFT(size=[4, -1]).fit([np.zeros((8, 8))])
    with pytest.raises(ValueError, match="step"):
        DenseSIFT(step=0).fit([np.zeros((8, 8))])


def test_common_checks():
    check_estimator(DenseSIFT(step=8, size=16))
    check_estimator(DenseSIFT(step=5, size=[3, 6], root_sift=True))


def test_pickle_and_feature_names():
    X, _ = make_raw_input("image", n_samples=3)
    dsift = DenseSIFT(step=8, size=4).fit(X)
    restored = pickle.loads(pickle.dumps(dsift))
    for a, b in zip(dsift.transform(X), restored.transform(X), strict=True):
        np.testing.assert_array_equal(a, b)
    names = dsift.get_feature_names_out()
    assert names[0] == "dsift0" and len(names) == 128


def test_pipeline_with_vlad_and_linear_svc():
    X, y = make_raw_input("image", n_samples=24)
    model = make_pipeline(
        DenseSIFT(step=8, size=4),
        VLAD(n_clusters=4, random_state=0),
        LinearSVC(),
    )
    model.fit(X[:16], y[:16])
    assert model.score(X[16:], y[16:]) >= 0.75


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_verbose_bar_counts_images_and_changes_nothing(capsys, n_jobs):
    images = [data.camera()[:96, :96], data.coins()[:64, :80], data.moon()[:72]]
    quiet = DenseSIFT(n_jobs=n_jobs).fit(images).transform(images)
    assert capsys.readouterr().err == ""
    loud = DenseSIFT(n_jobs=n_jobs, verbose=True).fit(images).transform(images)
    err = capsys.readouterr().err
    assert "DenseSIFT" in err and "3/3" in err and "image" in err
    for a, b in zip(quiet, loud, strict=True):
        np.testing.assert_array_equal(a, b)


def _install_cupy_stand_in(monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).parents[1]))
    import _cupy_stand_in

    return _cupy_stand_in.install(monkeypatch)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_device_dispatch_reaches_the_right_kernel(monkeypatch, spy_on, n_jobs):
    # The stand-in's arrays run through OpenCV, Numba and NumPy alike, so
    # only which kernel runs, and on what, tells the paths apart.
    from skmm.image import _dense_sift, _dense_sift_numba

    cupy = _install_cupy_stand_in(monkeypatch)
    calls = []
    # OpenCV's gray conversion, on the host.
    spy_on(calls, _dense_sift, "to_gray_uint8", "gray")
    spy_on(calls, _dense_sift_numba, "gradient_bins", "numba")
    spy_on(calls, _dense_sift_xp, "dense_sift_batch", "xp")
    images = [real_images()["coins"][:64, :80], real_images()["camera"][:64, :80]]
    expected = DenseSIFT(step=16, size=8).fit(images).transform(images)
    on_device = [cupy.asarray(image) for image in images]

    calls.clear()
    cpu = DenseSIFT(step=16, size=8, device="cpu", n_jobs=n_jobs).fit(images)
    out = cpu.transform(on_device)
    assert sorted(set(calls), key=str) == [("gray", np.ndarray), ("numba", np.ndarray)]
    assert all(type(d) is cupy.ndarray for d in out)

    gpu = DenseSIFT(step=16, size=8, device="cuda", n_jobs=n_jobs).fit(images)
    for given, kind in ((on_device, cupy.ndarray), (images, np.ndarray)):
        calls.clear()
        out = gpu.transform(given)
        assert sorted(set(calls), key=str) == [("gray", np.ndarray), ("xp", np.ndarray)]
        assert all(type(d) is kind for d in out)
        for a, b in zip(out, expected, strict=True):
            assert np.abs(np.asarray(a) - b).max() <= 1
