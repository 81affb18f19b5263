"""HOG speed: skmm's batched HOG against scikit-image and OpenCV, side by side.

Cases (gray uint8 images cut from scikit-image's bundled pictures; 9
orientations, 8x8-pixel cells, 2x2-cell blocks, L2-Hys):

a. 1,000 images of 128x64 (the pedestrian window of Dalal and Triggs);
b. 100 images of 512x512.

The references are a per-image loop of ``skimage.feature.hog`` and of OpenCV's
``cv2.HOGDescriptor(winSize=image size, blockSize=16, blockStride=8,
cellSize=8, nbins=9).compute``. OpenCV 5 keeps ``HOGDescriptor`` in its
contrib build, which owns the same ``cv2`` module as skmm's
``opencv-python-headless``: when ``cv2`` lacks it, the OpenCV columns are
skipped with a note (README, "Benchmarks": a separate virtual environment with
``opencv-contrib-python-headless`` instead). OpenCV's descriptor differs from
scikit-image's (trilinear interpolation of votes, a Gaussian block window), so
only its time is compared. skmm runs with one thread and with all cores
(``n_jobs``), OpenCV with ``cv2.setNumThreads`` alike; scikit-image is
single-threaded. Times are the best of ``--repeat`` runs after one warm-up
call (scikit-image: one run).

Then the memory of a list input: ``--memory-images`` (20,000) images of
128x64 as a list, whose ``transform`` streams them to the kernel in chunks:
the peak traced memory (``tracemalloc``) during the call against the output's
size and the input's (a stacked copy of the input, as before, would add the
latter). Then the first-call latency: a fresh interpreter imports skmm's HOG
and transforms one image (Numba's on-disk cache warm; a first run fills it).
``--device cuda`` adds GPU rows at ``--gpu-images`` images of 128x64.

Run: ``PYTHONPATH=. python benchmarks/bench_hog.py [--device cuda]``.
"""

import argparse
import functools
import os
import subprocess
import sys
import time

import numpy as np
import skimage.data
from skimage.feature import hog

from skmm.image import _hog
from skmm.image._hog import HOG

PARAMS = dict(
    orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2), block_norm="L2-Hys"
)


def _images(n, height, width, seed=0):
    """``n`` gray uint8 crops of ``height x width`` from bundled pictures."""
    rng = np.random.default_rng(seed)
    sources = [
        skimage.data.camera(),
        skimage.data.moon(),
        skimage.data.brick(),
        skimage.data.grass(),
        skimage.data.coins(),
    ]
    images = np.empty((n, height, width), dtype=np.uint8)
    for i in range(n):
        source = sources[i % len(sources)]
        if source.shape[0] < height or source.shape[1] < width:
            source = np.pad(
                source,
                (
                    (0, max(0, height - source.shape[0])),
                    (0, max(0, width - source.shape[1])),
                ),
                mode="reflect",
            )
        top = rng.integers(0, source.shape[0] - height + 1)
        left = rng.integers(0, source.shape[1] - width + 1)
        crop = source[top : top + height, left : left + width]
        images[i] = crop if rng.random() < 0.5 else crop[:, ::-1]
    return images


def _best(func, repeat):
    func()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def _opencv():
    """``cv2`` when it offers ``HOGDescriptor``, else a note saying why not."""
    try:
        import cv2
    except ImportError:
        return None, "OpenCV is not installed"
    if not hasattr(cv2, "HOGDescriptor"):
        return None, (
            f"cv2 {cv2.__version__} has no HOGDescriptor (OpenCV 5 keeps it in "
            "the contrib build; for this comparison run in a separate virtual "
            "environment with opencv-contrib-python-headless instead of "
            "opencv-python-headless, see README)"
        )
    return cv2, None


def _opencv_time(cv2, images, n_threads, repeat):
    height, width = images.shape[1:]
    descriptor = cv2.HOGDescriptor((width, height), (16, 16), (8, 8), (8, 8), 9)
    previous = cv2.getNumThreads()
    cv2.setNumThreads(n_threads)
    try:
        return _best(lambda: [descriptor.compute(image) for image in images], repeat)
    finally:
        cv2.setNumThreads(previous)


def _list_memory(n_images):
    """Peak memory traced while HOG transforms a list of ``n_images``
    128x64 crops: ``(peak, output bytes, input bytes)``."""
    import tracemalloc

    images = list(_images(n_images, 128, 64, seed=3))
    model = HOG(n_jobs=1, **PARAMS).fit(images[:1])
    model.transform(images[:10])  # kernels compiled before tracing
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    features = model.transform(images)
    peak = tracemalloc.get_traced_memory()[1] - baseline
    tracemalloc.stop()
    return peak, features.nbytes, sum(image.nbytes for image in images)


def _first_call_latency():
    code = (
        "import time; start = time.perf_counter()\n"
        "import numpy as np\n"
        "from skmm.image._hog import HOG\n"
        "HOG().fit_transform(np.zeros((1, 128, 64), dtype=np.uint8))\n"
        "print(time.perf_counter() - start)\n"
    )
    run = [sys.executable, "-c", code]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    subprocess.run(run, check=True, capture_output=True, env=env)  # fill the cache
    return min(
        float(subprocess.run(run, check=True, capture_output=True, env=env).stdout)
        for _ in range(3)
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--gpu-images", type=int, default=10_000)
    parser.add_argument("--memory-images", type=int, default=20_000)
    args = parser.parse_args()

    import numba

    n_cores = numba.config.NUMBA_NUM_THREADS
    cv2, why_not = _opencv()
    if cv2 is None:
        print(f"Note: {why_not}; the OpenCV columns are skipped.\n")
    print(
        f"{n_cores} cores, numba {numba.__version__}"
        + (f", OpenCV {cv2.__version__}" if cv2 else "")
        + "\n"
    )
    print(
        "| case | threads | skmm (s) | scikit-image (s) | OpenCV (s) "
        "| vs scikit-image | vs OpenCV | max abs diff vs skimage |"
    )
    print("|---|---|---|---|---|---|---|---|")
    cases = [
        ("1,000 x 128x64", _images(1000, 128, 64)),
        ("100 x 512x512", _images(100, 512, 512, seed=1)),
    ]
    reference_per_image = {}
    for label, images in cases:
        start = time.perf_counter()
        expected = np.stack([hog(image, **PARAMS) for image in images])
        reference = time.perf_counter() - start
        reference_per_image[images.shape[1:]] = reference / len(images)
        for n_threads in sorted({1, n_cores}):
            model = HOG(n_jobs=n_threads, **PARAMS).fit(images[:1])
            ours = _best(functools.partial(model.transform, images), args.repeat)
            diff = np.abs(model.transform(images) - expected).max()
            opencv = _opencv_time(cv2, images, n_threads, args.repeat) if cv2 else None
            print(
                f"| {label} | {n_threads} | {ours:.4f} | {reference:.3f} | "
                + (f"{opencv:.4f}" if opencv else "-")
                + f" | {reference / ours:.1f}x | "
                + (f"{opencv / ours:.2f}x" if opencv else "-")
                + f" | {diff:.1e} |"
            )

    if args.device == "cuda":
        images = _images(args.gpu_images, 128, 64, seed=2)
        model = HOG(device="cuda", **PARAMS).fit(images[:1])
        ours = _best(lambda: model.transform(images), args.repeat)
        cpu_model = HOG(n_jobs=n_cores, **PARAMS).fit(images[:1])
        cpu = _best(lambda: cpu_model.transform(images), args.repeat)
        diff = np.abs(model.transform(images[:200]) - cpu_model.transform(images[:200]))
        reference = reference_per_image[(128, 64)] * len(images)
        opencv = _opencv_time(cv2, images, n_cores, args.repeat) if cv2 else None
        print(
            f"| {len(images):,} x 128x64, cuda | GPU | {ours:.4f} | "
            f"{reference:.2f} (extrapolated) | "
            + (f"{opencv:.4f}" if opencv else "-")
            + f" | {reference / ours:.1f}x | "
            + (f"{opencv / ours:.2f}x" if opencv else "-")
            + f" | {diff.max():.1e} vs CPU |"
        )
        print(
            f"\nskmm on {n_cores} CPU threads for the same images: {cpu:.4f} s "
            f"(GPU {cpu / ours:.1f}x faster)"
        )

    if args.memory_images:
        peak, output, given = _list_memory(args.memory_images)
        chunk = _hog._STREAM_CHUNK_BYTES
        print(
            f"\nMemory, a list of {args.memory_images:,} images of 128x64: peak "
            f"{peak / 2**20:.1f} MiB during transform = output "
            f"{output / 2**20:.1f} MiB + {(peak - output) / 2**20:.1f} MiB "
            f"(the input is {given / 2**20:.1f} MiB; chunks of "
            f"{chunk / 2**20:.0f} MiB of images and of features)"
        )

    print(
        f"\nFirst call (fresh interpreter: import skmm's HOG, transform one "
        f"128x64 image; Numba cache warm): {_first_call_latency():.2f} s"
    )


if __name__ == "__main__":
    main()
