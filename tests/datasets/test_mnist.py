import gzip
from pathlib import Path

import numpy as np
import pytest

from skmm.datasets import load_mnist_csv

DATA_DIR = Path(__file__).parents[2].parent / "shared" / "data"
MNIST_DIR = DATA_DIR / "mnist"


def _rows(n_rows):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(n_rows, 784))
    labels = np.arange(n_rows) % 10
    return [
        [*pixel_row, label] for pixel_row, label in zip(pixels, labels, strict=True)
    ]


def _write_csv(path, rows):
    text = "\n".join(",".join(str(value) for value in row) for row in rows) + "\n"
    if path.name.endswith(".gz"):
        with gzip.open(path, "wt") as stream:
            stream.write(text)
    else:
        path.write_text(text)
    return path


@pytest.mark.data
@pytest.mark.skipif(
    not (MNIST_DIR / "mnist_5k.csv.gz").is_file(),
    reason=f"MNIST CSV not found in {MNIST_DIR} (real data lives in ../shared/data)",
)
def test_load_mnist_csv_real():
    mnist = load_mnist_csv(MNIST_DIR)
    assert mnist.images.shape == (5000, 28, 28)
    assert mnist.images.dtype == np.uint8
    assert mnist.data.shape == (5000, 1)
    cell = mnist.data["image"].iloc[0]
    assert cell.shape == (28, 28) and cell.dtype == np.uint8
    assert np.array_equal(np.bincount(mnist.target), np.full(10, 500))
    assert list(mnist.frame.columns) == ["image", "target"]
    assert list(mnist.target_names) == [str(digit) for digit in range(10)]


@pytest.mark.parametrize("name", ["digits.csv", "digits.csv.gz"])
def test_load_mnist_csv_small_file(tmp_path, name):
    rows = _rows(12)
    mnist = load_mnist_csv(_write_csv(tmp_path / name, rows))
    assert mnist.images.shape == (12, 28, 28)
    assert list(mnist.target) == [row[-1] for row in rows]
    np.testing.assert_array_equal(mnist.images[3].ravel(), rows[3][:-1])
    np.testing.assert_array_equal(mnist.data["image"].iloc[3], mnist.images[3])


def test_load_mnist_csv_folder(tmp_path):
    _write_csv(tmp_path / "mnist_5k.csv.gz", _rows(3))
    assert load_mnist_csv(tmp_path).images.shape == (3, 28, 28)


@pytest.mark.parametrize("name", ["absent.csv", "empty_folder", "digits.txt"])
def test_load_mnist_csv_wrong_path(tmp_path, name):
    if name == "empty_folder":
        (tmp_path / name).mkdir()
    if name == "digits.txt":
        (tmp_path / name).write_text("1,2,3\n")
    with pytest.raises(FileNotFoundError, match=r"expected an MNIST \.csv"):
        load_mnist_csv(tmp_path / name)


@pytest.mark.parametrize(
    "corrupt, message",
    [
        (lambda row: row[:-1], "row 2: expected 785"),
        (lambda row: [*row[:-1], 10], "row 2: label 10 is not in 0..9"),
        (lambda row: [256, *row[1:]], r"row 2: pixel values must be in 0\.\.255"),
        (lambda row: ["x", *row[1:]], "row 2: every value must be an integer"),
        (lambda row: [1.5, *row[1:]], "row 2: every value must be an integer"),
    ],
)
def test_load_mnist_csv_malformed_row(tmp_path, corrupt, message):
    rows = _rows(4)
    rows[2] = corrupt(rows[2])
    with pytest.raises(ValueError, match=message):
        load_mnist_csv(_write_csv(tmp_path / "digits.csv", rows))
