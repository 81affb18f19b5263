"""Input rules every image estimator shares: strict checks of stacked batches
as of lists, empty input, overflow, and one meaning of n_jobs."""

import joblib
import numpy as np
import pytest
from sklearn.base import clone

from skmm.image import DAISY, HOG, ORB, SIFT, DenseSIFT, ImageReader
from skmm.utils import _validation
from skmm.utils._validation import check_images

EXTRACTORS = [
    HOG(pixels_per_cell=(8, 8), cells_per_block=(2, 2)),
    SIFT(),
    DenseSIFT(step=8, size=8),
    DAISY(radius=6, step=5),
    ORB(edge_threshold=5, patch_size=5),
]
ALL = [ImageReader(), *EXTRACTORS]


def ids(estimator):
    return type(estimator).__name__


def batch(n=5, shape=(32, 32), seed=0):
    return np.random.default_rng(seed).random((n, *shape))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("form", ["stacked", "list"])
@pytest.mark.parametrize("estimator", ALL, ids=ids)
def test_non_finite_pixel_names_the_sample(estimator, form, bad):
    estimator = clone(estimator)
    X = batch()
    X[3, 4, 5] = bad
    X = X if form == "stacked" else list(X)
    with pytest.raises(ValueError, match=r"Image sample 3 .*(NaN|inf)"):
        estimator.fit(X).transform(X)
    if not isinstance(estimator, ImageReader):  # its fit does not read X
        with pytest.raises(ValueError, match="Image sample 3"):
            estimator.fit(X)


@pytest.mark.parametrize("form", ["stacked", "list"])
@pytest.mark.parametrize("estimator", ALL, ids=ids)
def test_channel_count_and_dtype_are_checked(estimator, form):
    estimator = clone(estimator)
    five = np.zeros((3, 32, 32, 5))
    five = five if form == "stacked" else list(five)
    with pytest.raises(ValueError, match=r"Image sample 0 .*\(32, 32, 5\)"):
        estimator.fit(five).transform(five)
    complex_ = np.zeros((2, 32, 32), dtype=complex)
    complex_ = complex_ if form == "stacked" else list(complex_)
    with pytest.raises(TypeError, match="Image sample 0 has dtype complex128"):
        estimator.fit(complex_).transform(complex_)


def test_valid_stacked_batch_is_checked_without_a_per_sample_loop(monkeypatch):
    def per_sample(*args, **kwargs):
        raise AssertionError("a valid stacked batch went through the sample loop")

    monkeypatch.setattr(_validation, "_as_column", per_sample)
    X = batch(n=50)
    images = check_images(X)
    assert len(images) == 50 and all(image.base is X for image in images)
    check_images(np.zeros((4, 8, 8, 3), dtype=np.uint8))
    with pytest.raises(AssertionError, match="sample loop"):
        X[17, 0, 0] = np.nan
        check_images(X)


def test_bad_stacked_batch_names_the_first_bad_sample():
    X = batch(n=40)
    X[[21, 9, 33]] = np.inf
    with pytest.raises(ValueError, match=r"Image sample 9 holds 1024 non-finite"):
        check_images(X)
    with pytest.raises(ValueError, match="Image sample 0 is empty"):
        check_images(np.zeros((3, 0, 8)))


@pytest.mark.parametrize("empty", [[], np.zeros((0, 32, 32))], ids=["list", "array"])
@pytest.mark.parametrize("estimator", EXTRACTORS, ids=ids)
def test_empty_input(estimator, empty):
    estimator = clone(estimator)
    # One rule: fit needs at least one image (as scikit-learn's check_array);
    # a fitted extractor maps no images to an empty output of its width.
    with pytest.raises(ValueError, match="minimum of 1 is required by"):
        estimator.fit(empty)
    with pytest.raises(ValueError, match="minimum of 1 is required by"):
        estimator.transform(empty)  # unfitted: fits on X first
    fitted = estimator.fit(batch())
    out = fitted.transform(empty)
    if isinstance(estimator, HOG):
        assert out.shape == (0, fitted.n_features_out_)
        assert out.dtype == np.float64
    else:
        assert out == []
    if isinstance(estimator, SIFT):
        assert fitted.transform_with_keypoints(empty) == ([], [])


def test_empty_input_to_the_reader_and_hog_dtype():
    assert ImageReader().fit([]).transform([]) == []
    assert ImageReader().transform(np.zeros((0, 8, 8))) == []
    hog = HOG(pixels_per_cell=(8, 8), cells_per_block=(2, 2)).fit(batch())
    assert hog.transform(np.zeros((0, 32, 32), np.float32)).dtype == np.float32


def test_overflowing_hog_features_raise_naming_the_sample():
    X = batch()
    X[2] *= 1e300  # finite pixels whose gradients overflow
    with pytest.raises(ValueError, match=r"Image sample 2 .*overflow"):
        HOG().fit(X).transform(X)
    X = batch()
    X[4] *= 1e38  # float32 cell sums overflow
    with pytest.raises(ValueError, match=r"Image sample 4 .*overflow"):
        HOG().fit(list(X)).transform(list(X))
    # Large but representable values give finite features.
    X = batch() * 1e30
    assert np.isfinite(HOG().fit_transform(X)).all()


def test_reader_rejects_float_pixels_beyond_float32():
    X = [np.zeros((4, 4)), np.full((4, 4), 1e300)]
    with pytest.raises(ValueError, match=r"Image sample 1 .*float32's range"):
        ImageReader().transform(X)
    with pytest.raises(ValueError, match=r"Image sample 1 .*float32's range"):
        ImageReader(dtype="uint8").transform(X)


def _spy_parallel_calls(monkeypatch):
    """Count the calls of parallel_map, of HOG's parallel kernel and of the
    readers' joblib.Parallel."""
    from skmm import base
    from skmm.image import _hog_numba
    from skmm.utils import _parallel

    calls = []
    reader_parallel = base.Parallel

    def spy_parallel(*args, **kwargs):
        calls.append("Parallel")
        return reader_parallel(*args, **kwargs)

    monkeypatch.setattr(base, "Parallel", spy_parallel)
    parallel_map = _parallel.parallel_map
    kernel = _hog_numba.hog_batch_parallel

    def spy_map(*args, **kwargs):
        calls.append("parallel_map")
        return parallel_map(*args, **kwargs)

    def spy_kernel(*args):
        calls.append("prange")
        return kernel(*args)

    monkeypatch.setattr(_parallel, "parallel_map", spy_map)
    monkeypatch.setattr(_hog_numba, "hog_batch_parallel", spy_kernel)
    return calls


@pytest.mark.parametrize("estimator", ALL, ids=ids)
def test_n_jobs_none_means_one_unless_in_a_joblib_context(
    monkeypatch, tmp_path, estimator
):
    estimator = clone(estimator)
    calls = _spy_parallel_calls(monkeypatch)
    X = list((batch(n=8) * 255).astype(np.uint8))
    if isinstance(estimator, ImageReader):
        # A reader converts small arrays in memory in turn whatever n_jobs
        # (threads cost more there): files are what it reads in parallel.
        import cv2

        paths = [str(tmp_path / f"{i}.png") for i in range(len(X))]
        for path, image in zip(paths, X, strict=True):
            cv2.imwrite(path, image)
        X = paths
    fitted = estimator.fit(X)
    quiet = fitted.transform(X)
    assert calls == []
    with joblib.parallel_config(n_jobs=2):
        loud = fitted.transform(X)
    assert calls, "n_jobs=None inside parallel_config(n_jobs=2) ran serially"
    calls.clear()
    fitted.set_params(n_jobs=2).transform(X)
    assert calls
    if isinstance(estimator, HOG):
        np.testing.assert_array_equal(quiet, loud)
    else:
        for a, b in zip(quiet, loud, strict=True):
            np.testing.assert_array_equal(a, b)
