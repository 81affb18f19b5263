"""Real pictures for the colour and texture parity tests: scikit-image's
bundled images, MNIST digits and clip art (RGBA) from ../shared/data,
the latter two skipping cleanly when the data is absent."""

import functools
from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage.data

DATA = Path(__file__).parents[2].parent / "shared" / "data"
MNIST = DATA / "mnist" / "mnist_5k.csv.gz"
CLIPART = DATA / "openclipart"


def bundled(step=4, size=64):
    """Subsampled corners of scikit-image's bundled pictures: uint8 gray
    and RGB."""
    pictures = [
        skimage.data.camera(),
        skimage.data.coins(),
        skimage.data.astronaut(),
        skimage.data.coffee(),
        skimage.data.chelsea(),
    ]
    return [
        np.ascontiguousarray(p[: size * step : step, : size * step : step])
        for p in pictures
    ]


def mnist(n=20):
    """The first ``n`` MNIST digits, 28x28 uint8; skip when absent."""
    if not MNIST.is_file():
        pytest.skip(
            f"MNIST CSV not found at {MNIST} (real data lives in ../shared/data)"
        )
    return list(_mnist_images()[:n])


@functools.cache
def _mnist_images():
    from skmm.datasets import load_mnist_csv

    return load_mnist_csv(MNIST).images


def clipart(n=8, max_side=96):
    """``n`` clip-art pictures as RGB(A) uint8, shrunk to ``max_side`` at
    most (alpha kept, transparent pixels and all); skip when absent."""
    if not (CLIPART / "items.csv").is_file():
        pytest.skip(
            f"clip art not found in {CLIPART} (real data lives in ../shared/data)"
        )
    return [image.copy() for image in _clipart(n, max_side)]


@functools.cache
def _clipart(n, max_side):
    paths = sorted((CLIPART / "images").glob("*.png"))[::97][:n]
    images = []
    for path in paths:
        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        image = image[..., ::-1] if image.shape[2] == 3 else image[..., [2, 1, 0, 3]]
        scale = max_side / max(image.shape[:2])
        if scale < 1:
            shape = (
                max(1, round(image.shape[1] * scale)),
                max(1, round(image.shape[0] * scale)),
            )
            image = cv2.resize(
                np.ascontiguousarray(image), shape, interpolation=cv2.INTER_AREA
            )
        images.append(np.ascontiguousarray(image))
    return images
