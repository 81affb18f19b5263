"""Real pictures for the image tests, skipped where ../shared/data is absent."""

from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).parents[2].parent / "shared" / "data"


@pytest.fixture(scope="module")
def mnist_digits():
    """The 5,000 MNIST digits, 28x28 uint8."""
    if not (DATA / "mnist" / "mnist_5k.csv.gz").is_file():
        pytest.skip(f"MNIST CSV not found in {DATA / 'mnist'} (real data)")
    from skmm.datasets import load_mnist_csv

    return load_mnist_csv(DATA / "mnist").images


@pytest.fixture(scope="module")
def clipart_gray():
    """A function ``(every, size)``: every ``every``-th clip-art picture,
    read as 8-bit gray ``size``."""
    if not (DATA / "openclipart" / "items.csv").is_file():
        pytest.skip(f"clip art not found in {DATA / 'openclipart'} (real data)")
    import pandas as pd

    from skmm.image import ImageReader

    items = pd.read_csv(DATA / "openclipart" / "items.csv")

    def read(every, size):
        paths = [str(DATA / "openclipart" / p) for p in items["image"].iloc[::every]]
        images = ImageReader(color="gray", size=size).fit_transform(paths)
        images = [np.asarray(image) for image in images]
        if images[0].dtype != np.uint8:
            images = [np.rint(image * 255).astype(np.uint8) for image in images]
        return images

    return read
