from pathlib import Path

import numpy as np
import pytest

from skmm.datasets import load_mnist_csv, make_av_digits

DATA_DIR = Path(__file__).parents[2].parent / "shared" / "data"
FSDD_DIR = DATA_DIR / "fsdd"
MNIST_DIR = DATA_DIR / "mnist"

needs_data = pytest.mark.skipif(
    not ((FSDD_DIR / "recordings").is_dir() and MNIST_DIR.is_dir()),
    reason=f"FSDD or MNIST not found in {DATA_DIR} (real data lives in ../shared/data)",
)


@pytest.fixture(scope="module")
def mnist():
    return load_mnist_csv(MNIST_DIR)


@pytest.fixture(scope="module")
def av_digits():
    return make_av_digits(FSDD_DIR, MNIST_DIR, random_state=0)


@pytest.mark.data
@needs_data
def test_make_av_digits_pairs_same_digit(av_digits, mnist):
    assert av_digits.data.shape == (3000, 2)
    assert list(av_digits.data.columns) == ["image", "audio"]
    assert np.array_equal(mnist.target[av_digits.mnist_index], av_digits.target)
    # Each cell is the MNIST image of its row, untouched.
    for row in [0, 1234, 2999]:
        image = av_digits.data["image"].iloc[row]
        np.testing.assert_array_equal(image, mnist.images[av_digits.mnist_index[row]])
    assert av_digits.data["audio"].iloc[0].dtype == np.float32
    assert av_digits.sample_rate == 8000
    assert (av_digits.split == "test").sum() == 300
    assert len(np.unique(av_digits.groups)) == 6
    assert "random_state=0" in av_digits.DESCR


@pytest.mark.data
@needs_data
def test_make_av_digits_uses_each_image_once(av_digits):
    assert len(np.unique(av_digits.mnist_index)) == len(av_digits.mnist_index)


@pytest.mark.data
@needs_data
def test_make_av_digits_reproducible(av_digits):
    again = make_av_digits(FSDD_DIR, MNIST_DIR, random_state=0, audio="path")
    other = make_av_digits(FSDD_DIR, MNIST_DIR, random_state=1, audio="path")
    assert np.array_equal(again.mnist_index, av_digits.mnist_index)
    assert not np.array_equal(other.mnist_index, av_digits.mnist_index)
    assert np.array_equal(again.filenames, av_digits.filenames)


def test_make_av_digits_wrong_paths(tmp_path):
    with pytest.raises(FileNotFoundError, match="expected an FSDD folder"):
        make_av_digits(tmp_path / "fsdd", tmp_path / "mnist")


@pytest.mark.data
@needs_data
@pytest.mark.parametrize("fraction", [0.5, 0.75])
def test_degraded_images_lose_the_leading_components(av_digits, mnist, fraction):
    degraded = make_av_digits(
        FSDD_DIR, MNIST_DIR, random_state=0, image_energy_removed=fraction
    )
    assert degraded.data.shape == (3000, 2)
    np.testing.assert_array_equal(degraded.mnist_index, av_digits.mnist_index)
    image = degraded.data["image"].iloc[7]
    assert image.dtype == np.float32 and image.shape == (28, 28)
    # PCA of all MNIST images, independently of the implementation: the
    # degraded images have no component left along the leading directions.
    flat = mnist.images.reshape(len(mnist.images), -1).astype(np.float64)
    centred = flat - flat.mean(axis=0)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    share = np.cumsum(singular**2) / np.sum(singular**2)
    n_removed = int(np.searchsorted(share, fraction) + 1)
    assert f"the {n_removed} leading principal components" in degraded.DESCR
    rows = np.stack(degraded.data["image"].to_numpy()[:50]).reshape(50, -1)
    leading = (rows - flat.mean(axis=0)) @ vt[:n_removed].T
    assert np.abs(leading).max() < 1e-2
    kept = (rows - flat.mean(axis=0)) @ vt[n_removed : n_removed + 20].T
    original = (flat[degraded.mnist_index[:50]] - flat.mean(axis=0)) @ vt[
        n_removed : n_removed + 20
    ].T
    np.testing.assert_allclose(kept, original, atol=1e-2)


def test_image_energy_removed_is_checked():
    with pytest.raises(ValueError, match="image_energy_removed"):
        make_av_digits(FSDD_DIR, MNIST_DIR, image_energy_removed=1.0)
