"""DenseSIFT against ``cv2.SIFT_create().compute`` on the same grid.

Prints, per setting, the time of each on the same images and keypoints
(upright, same centres and size) and the ratio OpenCV / DenseSIFT, then the
first-call latency of DenseSIFT in a fresh Python process with Numba's
on-disk cache warm.

    PYTHONPATH=. python benchmarks/bench_dense_sift.py
"""

import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from skimage import data, transform

from skmm.image._dense_sift import DenseSIFT

MNIST_DIR = Path(__file__).parents[1].parent / "shared" / "data" / "mnist"


def crops(n, size=256, seed=0):
    """``n`` gray uint8 crops of ``size`` x ``size`` from scikit-image's
    bundled photographs."""
    rng = np.random.default_rng(seed)
    sources = [
        data.camera(),
        cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2GRAY),
        cv2.cvtColor(data.chelsea(), cv2.COLOR_RGB2GRAY),
        cv2.cvtColor(data.coffee(), cv2.COLOR_RGB2GRAY),
        data.coins(),
    ]
    images = []
    for i in range(n):
        source = sources[i % len(sources)]
        y = rng.integers(0, source.shape[0] - size + 1)
        x = rng.integers(0, source.shape[1] - size + 1)
        images.append(np.ascontiguousarray(source[y : y + size, x : x + size]))
    return images


def mnist_upscaled(n, factor=4):
    from skmm.datasets import load_mnist_csv

    digits = load_mnist_csv(MNIST_DIR).images[:n]
    return [
        (transform.rescale(d / 255.0, factor, order=1) * 255).round().astype(np.uint8)
        for d in digits
    ]


def best_of(repeats, function):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def opencv_grid(images, dsift):
    sift = cv2.SIFT_create()
    for image in images:
        keypoints = [
            cv2.KeyPoint(float(x), float(y), float(s), 0)
            for x, y, s in dsift.grid(*image.shape)
        ]
        sift.compute(image, keypoints)


_FIRST_CALL = """
import time
start = time.perf_counter()
import numpy as np
from skmm.image._dense_sift import DenseSIFT
imported = time.perf_counter()
image = np.random.default_rng(0).integers(0, 256, (64, 64)).astype(np.uint8)
DenseSIFT(step=8, size=16).fit([image]).transform([image])
done = time.perf_counter()
print(f"{imported - start:.3f} {done - imported:.3f}")
"""


def first_call_latency():
    root = Path(__file__).parents[1]
    env = {"PYTHONPATH": str(root)}
    import os

    env = {**os.environ, **env}
    run = [sys.executable, "-c", _FIRST_CALL]
    subprocess.run(run, check=True, env=env, capture_output=True)  # warm the cache
    output = subprocess.run(run, check=True, env=env, capture_output=True, text=True)
    return [float(v) for v in output.stdout.split()]


def main():
    settings = [("200 crops 256x256", crops(200), 8, 16)]
    settings.append(("200 crops 256x256", settings[0][1], 8, 8))
    if (MNIST_DIR / "mnist_5k.csv.gz").is_file():
        settings.append(("1000 MNIST x4 (112x112)", mnist_upscaled(1000), 8, 16))
    else:
        print(f"(MNIST not found in {MNIST_DIR}: its row is left out)")
    warm = crops(2, 64)
    DenseSIFT().fit(warm).transform(warm)  # compile or load the kernels

    header = (
        f"{'images':<24} {'step':>4} {'size':>4} {'kp/img':>6} {'n_jobs':>6} "
        f"{'DenseSIFT s':>11} {'OpenCV s':>9} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    for name, images, step, size in settings:
        per_image = DenseSIFT(step=step, size=size).grid(*images[0].shape).shape[0]
        reference = DenseSIFT(step=step, size=size)
        opencv = best_of(1, lambda: opencv_grid(images, reference))  # noqa: B023
        for n_jobs in (1, -1):
            dsift = DenseSIFT(step=step, size=size, n_jobs=n_jobs).fit(images[:1])
            ours = best_of(3, lambda: dsift.transform(images))  # noqa: B023
            label = "all" if n_jobs == -1 else str(n_jobs)
            print(
                f"{name:<24} {step:>4} {size:>4} {per_image:>6} {label:>6} "
                f"{ours:>11.3f} {opencv:>9.3f} {opencv / ours:>6.1f}x"
            )
    imported, first = first_call_latency()
    print(
        f"\nfirst call in a fresh process, Numba cache warm: {first:.3f} s "
        f"(plus {imported:.3f} s to import numpy and skmm.image._dense_sift)"
    )


if __name__ == "__main__":
    main()
