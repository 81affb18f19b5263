"""Image accuracy: MNIST-5k with HOG and dense SIFT encoders, and a SIFT
bag-of-visual-words smoke check on scikit-image's sample images.

1. MNIST-5k (``../shared/data/mnist``, 500 digits per class), stratified
   5-fold cross-validation (shuffled, seed 0). Every learned step (codebooks,
   mixtures, scaler, classifier) is fitted inside each training fold; the
   stateless extractors run once up front.
2. Smoke check: ten of scikit-image's bundled images, each in 12 randomly
   rotated, scaled, shifted and noisy versions; SIFT keypoint descriptors, a
   bag of visual words and a linear SVM tell which image a version comes
   from (5-fold cross-validation; chance is 0.1).

Run: ``PYTHONPATH=. python benchmarks/bench_image.py [--mnist DIR]``.
"""

import argparse
import time
from pathlib import Path

import cv2
import numpy as np
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC

from skmm.datasets import load_mnist_csv
from skmm.encode import VLAD, BagOfWords, FisherVector, SpatialPyramid
from skmm.image import HOG, SIFT, DenseSIFT, ImageReader

DEFAULT_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


def _mnist_rows():
    """(name, extractor, learned steps)."""
    return [
        ("pixels + RBF SVM", None, [StandardScaler(), SVC(C=5)]),
        (
            "HOG 4x4 cells, 2x2 blocks + RBF SVM",
            HOG(pixels_per_cell=(4, 4), cells_per_block=(2, 2), n_jobs=-1),
            [SVC(C=5)],
        ),
        (
            "HOG 4x4 cells, 3x3 blocks, 12 bins + RBF SVM",
            HOG(
                orientations=12,
                pixels_per_cell=(4, 4),
                cells_per_block=(3, 3),
                n_jobs=-1,
            ),
            [SVC(C=5)],
        ),
        (
            "dense SIFT (step 4, size 4) + VLAD(32) + linear SVM",
            DenseSIFT(step=4, size=4, n_jobs=-1),
            [VLAD(n_clusters=32, random_state=0), LinearSVC(C=1.0)],
        ),
        (
            "dense SIFT (step 4, size 4) + VLAD(32), pyramid 1x1 + 2x2 + linear SVM",
            DenseSIFT(step=4, size=4, positions=True, n_jobs=-1),
            [
                SpatialPyramid(VLAD(n_clusters=32, random_state=0), levels=(1, 2)),
                LinearSVC(C=1.0),
            ],
        ),
        (
            "dense SIFT (step 4, size 4) + VLAD(8), pyramid 1x1 + 2x2 + 4x4 "
            "+ linear SVM",
            DenseSIFT(step=4, size=4, positions=True, n_jobs=-1),
            [SpatialPyramid(VLAD(n_clusters=8, random_state=0)), LinearSVC(C=1.0)],
        ),
        (
            "dense SIFT (step 4, size 4) + Fisher vector(16) + linear SVM",
            DenseSIFT(step=4, size=4, n_jobs=-1),
            [FisherVector(n_components=16, random_state=0), LinearSVC(C=1.0)],
        ),
    ]


def mnist(directory):
    bunch = load_mnist_csv(directory)
    images, y = bunch.images, np.asarray(bunch.target)
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    print(f"MNIST-5k ({len(y)} digits), 5-fold CV\n")
    print("| pipeline | accuracy | extraction (s) | total (s) |")
    print("| --- | ---: | ---: | ---: |")
    for name, extractor, steps in _mnist_rows():
        start = time.perf_counter()
        if extractor is None:
            X = images.reshape(len(images), -1).astype(np.float64)
        else:
            X = extractor.fit_transform(images)
        extraction = time.perf_counter() - start
        scores = cross_val_score(make_pipeline(*steps), X, y, cv=cv)
        print(
            f"| {name} | {scores.mean():.4f} ± {scores.std():.4f} | "
            f"{extraction:.1f} | {time.perf_counter() - start:.0f} |",
            flush=True,
        )


def _versions(image, n, rng):
    """Randomly rotated, scaled, shifted and noisy versions of one image."""
    height, width = image.shape
    out = []
    for _ in range(n):
        matrix = cv2.getRotationMatrix2D(
            (width / 2, height / 2), rng.uniform(-30, 30), rng.uniform(0.7, 1.3)
        )
        matrix[:, 2] += rng.uniform(-0.1, 0.1, 2) * (width, height)
        warped = cv2.warpAffine(
            image, matrix, (width, height), borderMode=cv2.BORDER_REFLECT
        )
        noisy = warped + rng.normal(0, 8, warped.shape)
        out.append(np.clip(noisy, 0, 255).astype(np.uint8))
    return out


def sample_images_smoke():
    import skimage.data

    names = [
        "astronaut",
        "camera",
        "chelsea",
        "coffee",
        "coins",
        "horse",
        "moon",
        "page",
        "rocket",
        "text",
    ]
    reader = ImageReader(size=(256, 256), dtype="uint8").fit()
    rng = np.random.default_rng(0)
    images, y = [], []
    for label, name in enumerate(names):
        source = getattr(skimage.data, name)()
        if source.dtype == bool:
            source = source.astype(np.uint8) * 255
        [gray] = reader.transform([source])
        versions = _versions(gray, 12, rng)
        images += versions
        y += [label] * len(versions)
    y = np.asarray(y)
    start = time.perf_counter()
    model = make_pipeline(
        SIFT(),
        BagOfWords(n_clusters=64, power=0.5, norm="l2", random_state=0),
        LinearSVC(C=1.0),
    )
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    scores = cross_val_score(model, images, y, cv=cv)
    print(
        f"\nSIFT + bag of visual words on scikit-image's sample images: "
        f"{len(names)} images x 12 versions, accuracy {scores.mean():.3f} "
        f"(chance 0.100), {time.perf_counter() - start:.0f} s"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", default=DEFAULT_MNIST)
    args = parser.parse_args()
    if Path(args.mnist).is_dir():
        mnist(args.mnist)
    else:
        print(f"MNIST not found at {args.mnist}; skipping")
    sample_images_smoke()


if __name__ == "__main__":
    main()
