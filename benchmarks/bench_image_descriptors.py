"""DAISY against a per-image ``skimage.feature.daisy`` loop, and ORB against a
per-image ``cv2.ORB_create().detectAndCompute`` loop.

Prints, for 1,000 images of 128x128 and 100 of 512x512 (gray crops of
scikit-image's bundled photographs), the time of each on the same images
and the ratio reference / skmm, with skmm on one and two threads (the
reference loops run as users write them, one image after another; OpenCV may
thread inside an image, see the note printed). The sides take turns over
ten chunks of the images, so that a change in the machine's load during the
run weighs on all of them. DAISY runs scikit-image's
defaults (step 4, radius 15, 3 rings of 8 histograms of 8 orientations),
ORB OpenCV's (500 keypoints, 8 levels).

    PYTHONPATH=. python benchmarks/bench_image_descriptors.py [--quick]

``--quick`` takes a tenth of the images.
"""

import argparse
import time

import cv2
import numpy as np
from skimage import data
from skimage.feature import daisy

from skmm.image import DAISY, ORB


def crops(n, size, seed=0):
    """``n`` gray uint8 ``size`` x ``size`` crops of scikit-image's photographs
    (enlarged to at least 600 pixels a side), randomly placed and flipped."""
    rng = np.random.default_rng(seed)
    sources = []
    for source in (data.camera(), data.astronaut(), data.chelsea(), data.coffee()):
        gray = source if source.ndim == 2 else cv2.cvtColor(source, cv2.COLOR_RGB2GRAY)
        scale = max(1.0, 600 / min(gray.shape))
        sources.append(cv2.resize(gray, None, fx=scale, fy=scale))
    images = []
    for i in range(n):
        source = sources[i % len(sources)]
        y = rng.integers(0, source.shape[0] - size + 1)
        x = rng.integers(0, source.shape[1] - size + 1)
        crop = source[y : y + size, x : x + size]
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        images.append(np.ascontiguousarray(crop))
    return images


def interleaved(images, reference, models, n_chunks=10):
    """Seconds of ``reference(images)`` and of each model's ``transform``,
    chunk by chunk in turn, so that a machine whose load changes over the
    run slows every side alike."""
    totals = np.zeros(1 + len(models))
    for chunk in np.array_split(np.arange(len(images)), min(n_chunks, len(images))):
        part = [images[i] for i in chunk]
        for k, run in enumerate([reference] + [m.transform for m in models]):
            start = time.perf_counter()
            run(part)
            totals[k] += time.perf_counter() - start
    return totals


def opencv_orb_loop(images):
    orb = cv2.ORB_create()
    for image in images:
        orb.detectAndCompute(image, None)


def skimage_daisy_loop(images):
    for image in images:
        daisy(image)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    settings = [
        (f"{1000 // scale} x 128x128", crops(1000 // scale, 128)),
        (f"{100 // scale} x 512x512", crops(100 // scale, 512, seed=1)),
    ]
    warm = crops(2, 64)
    DAISY().fit_transform(warm)  # compile or load the kernels

    header = (
        f"{'method':<6} {'images':<16} {'n_jobs':>6} {'skmm s':>8} "
        f"{'reference s':>11} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    comparisons = [("ORB", ORB, opencv_orb_loop), ("DAISY", DAISY, skimage_daisy_loop)]
    for method, estimator, loop in comparisons:
        for name, images in settings:
            models = [estimator(n_jobs=n).fit(images[:1]) for n in (1, 2)]
            reference, *ours = interleaved(images, loop, models)
            for n_jobs, seconds in zip((1, 2), ours, strict=True):
                print(
                    f"{method:<6} {name:<16} {n_jobs:>6} {seconds:>8.2f} "
                    f"{reference:>11.2f} {reference / seconds:>6.1f}x",
                    flush=True,
                )
    print(
        f"\nOpenCV threads inside a call: cv2.getNumThreads() = "
        f"{cv2.getNumThreads()}. skmm's ORB times include unpacking the bits "
        "(unpack_bits=True, the default)."
    )


if __name__ == "__main__":
    main()
