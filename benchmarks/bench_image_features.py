"""Colour and texture speed: skmm's batched LBP, HaralickTexture,
ColorHistogram and HuMoments against a per-image loop of the reference,
side by side.

Cases (uint8 crops of scikit-image's bundled colour pictures, randomly
flipped; gray ones by OpenCV's ``COLOR_RGB2GRAY``):

a. 1,000 images of 128x128;
b. 100 images of 512x512.

References, one image at a time as users write them:

- LBP: ``skimage.feature.local_binary_pattern(image, 8, 1, "uniform")`` and
  its 10-bin histogram (``np.bincount``, normalised), against
  ``LBP(P=8, R=1, method="uniform")``; goal 10x.
- GLCM: ``graycomatrix(image, [1], [0, pi/4, pi/2, 3pi/4], levels=256)`` and
  ``graycoprops`` of its six classic properties, against
  ``HaralickTexture()``; goal 5x.
- Colour: ``cv2.cvtColor(image, COLOR_RGB2HSV)`` and ``cv2.calcHist`` of
  the joint 8x8x8 HSV histogram, against ``ColorHistogram()``; goal: at
  least as fast (1x).
- Hu: ``cv2.HuMoments(cv2.moments(image))`` log-scaled, against
  ``HuMoments()`` (which calls it; no goal).

skmm runs on one and on two threads (``n_jobs``), OpenCV with
``cv2.setNumThreads`` alike; scikit-image is single-threaded. skmm's times
are the best of ``--repeat`` runs after a warm-up call; the references'
are one run (scikit-image's shared by the one- and two-thread rows). The
last column is the largest absolute difference between skmm's features and
the reference's.

Run: ``PYTHONPATH=. python benchmarks/bench_image_features.py``.
"""

import argparse
import functools
import time
import warnings

import cv2
import numpy as np
import skimage.data
from skimage.feature import graycomatrix, graycoprops, local_binary_pattern

from skmm.image import LBP, ColorHistogram, HaralickTexture, HuMoments

ANGLES = [0, np.pi / 4, np.pi / 2, 3 * np.pi / 4]
PROPS = ["contrast", "dissimilarity", "homogeneity", "ASM", "energy", "correlation"]


def _images(n, size, seed=0):
    """``n`` RGB uint8 crops of ``size x size`` from bundled pictures."""
    rng = np.random.default_rng(seed)
    sources = [
        skimage.data.astronaut(),
        skimage.data.coffee(),
        skimage.data.chelsea(),
        skimage.data.rocket(),
        skimage.data.immunohistochemistry(),
    ]
    images = np.empty((n, size, size, 3), dtype=np.uint8)
    for i in range(n):
        source = sources[i % len(sources)]
        if min(source.shape[:2]) < size:
            factor = -(-size // min(source.shape[:2]))
            source = np.tile(source, (factor, factor, 1))
        top = rng.integers(0, source.shape[0] - size + 1)
        left = rng.integers(0, source.shape[1] - size + 1)
        crop = source[top : top + size, left : left + size]
        images[i] = crop if rng.random() < 0.5 else crop[:, ::-1]
    return images


def _gray(images):
    return np.stack([cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) for image in images])


def _reference_lbp(images):
    out = []
    for image in images:
        codes = local_binary_pattern(image, 8, 1, "uniform")
        counts = np.bincount(codes.astype(np.int64).ravel(), minlength=10)
        out.append(counts / codes.size)
    return np.stack(out)


def _reference_glcm(images):
    out = []
    for image in images:
        matrix = graycomatrix(image, [1], ANGLES, levels=256)
        out.append(np.concatenate([graycoprops(matrix, p).ravel() for p in PROPS]))
    return np.stack(out)


def _reference_colour(images):
    out = []
    for image in images:
        hsv = cv2.cvtColor(image, cv2.COLOR_RGB2HSV)
        hist = cv2.calcHist([hsv], [0, 1, 2], None, [8] * 3, [0, 180, 0, 256, 0, 256])
        out.append(hist.ravel() / hist.sum())
    return np.stack(out)


def _reference_hu(images):
    out = []
    for image in images:
        hu = cv2.HuMoments(cv2.moments(image)).ravel()
        with np.errstate(divide="ignore", invalid="ignore"):
            out.append(np.where(hu == 0, 0.0, -np.sign(hu) * np.log10(np.abs(hu))))
    return np.stack(out)


# (name, skmm transformer, reference loop, colour input?, goal)
CASES = [
    ("LBP uniform P=8", LBP(P=8, R=1, method="uniform"), _reference_lbp, False, 10),
    ("GLCM 1x4, 6 props", HaralickTexture(), _reference_glcm, False, 5),
    ("HSV 8x8x8", ColorHistogram(), _reference_colour, True, 1),
    ("Hu moments", HuMoments(), _reference_hu, False, None),
]


def _best(func, repeat):
    func()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def _once(func):
    start = time.perf_counter()
    result = func()
    return result, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--small", type=int, default=1000, help="128x128 images")
    parser.add_argument("--large", type=int, default=100, help="512x512 images")
    args = parser.parse_args()
    warnings.simplefilter("ignore", UserWarning)  # scikit-image's float warning

    import numba

    print(f"numba {numba.__version__}, OpenCV {cv2.__version__}\n")
    print(
        "| features | images | threads | skmm (s) | reference loop (s) "
        "| speed-up | goal | max abs diff |"
    )
    print("|---|---|---|---|---|---|---|---|")
    previous = cv2.getNumThreads()
    for n, size, seed in ((args.small, 128, 0), (args.large, 512, 1)):
        colour = _images(n, size, seed)
        gray = _gray(colour)
        for name, transformer, reference, wants_colour, goal in CASES:
            images = colour if wants_colour else gray
            reference_runs = {}
            for n_threads in (1, 2):
                cv2.setNumThreads(n_threads)
                if "LBP" in name or "GLCM" in name:
                    # scikit-image is single-threaded: one run serves both rows.
                    if not reference_runs:
                        reference_runs[0] = _once(functools.partial(reference, images))
                    expected, reference_time = reference_runs[0]
                else:
                    expected, reference_time = _once(
                        functools.partial(reference, images)
                    )
                model = transformer.set_params(n_jobs=n_threads).fit(images[:1])
                ours = _best(functools.partial(model.transform, images), args.repeat)
                diff = np.abs(model.transform(images) - expected).max()
                print(
                    f"| {name} | {n:,} x {size}x{size} | {n_threads} | {ours:.3f} | "
                    f"{reference_time:.3f} | {reference_time / ours:.1f}x | "
                    + (f"{goal}x" if goal else "-")
                    + f" | {diff:.1e} |",
                    flush=True,
                )
    cv2.setNumThreads(previous)


if __name__ == "__main__":
    main()
