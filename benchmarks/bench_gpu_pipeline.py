"""End-to-end throughput of skmm pipelines on the CPU and, where CUDA is, the GPU.

Two pipelines over generated samples, streamed in batches of 5,000:

- audio: 1 s tones at 8 kHz -> ``MFCC(pooling=None)`` frames ->
  ``FisherVector(8)`` -> ``PCA(32)`` -> ``RidgeClassifier``;
- image: 64x64 images -> ``HOG`` -> ``PCA(32)`` -> ``RidgeClassifier``.

Each pipeline is fitted once on 2,000 samples, then timed on ``transform`` +
``predict`` of every batch (samples per second). On the GPU the batches are
copied to the device once (``cupy.asarray``) and stay there through the
extractor, the encoder and, with ``sklearn.set_config(array_api_dispatch=True)``,
PCA and the classifier; only the predictions come back. The GPU rows also
report whether their predictions equal the CPU ones. Without CuPy and a CUDA
device the GPU rows are skipped.

The CPU rows can be capped (``--cpu-max``): their samples per second are
what compares, and the GPU's predictions are checked on the samples both ran.

Run: ``PYTHONPATH=. python benchmarks/bench_gpu_pipeline.py [--sizes 10000 100000]
[--cpu-max 10000]``.
"""

import os

# scikit-learn's array API dispatch needs SciPy's array API support, switched
# on before SciPy is imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.linear_model import RidgeClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

from skmm.audio import MFCC  # noqa: E402
from skmm.encode import FisherVector  # noqa: E402
from skmm.image import HOG  # noqa: E402
from skmm.utils._device import cuda_is_available, to_numpy  # noqa: E402

SR = 8000
BATCH = 5000
N_FIT = 2000


def tones(start, stop):
    """Clips ``start`` to ``stop``: a tone whose pitch is the class, in noise."""
    t = np.arange(SR) / SR
    clips, labels = [], []
    for i in range(start, stop):
        rng = np.random.default_rng(i)
        label = i % 4
        clip = np.sin(2 * np.pi * (300 + 400 * label) * t) + 0.5 * rng.normal(size=SR)
        clips.append(clip.astype(np.float32))
        labels.append(label)
    return clips, np.array(labels)


def images(start, stop):
    """64x64 images: stripes whose orientation is the class, in noise."""
    yy, xx = np.mgrid[:64, :64]
    out, labels = [], []
    for i in range(start, stop):
        rng = np.random.default_rng(i)
        label = i % 4
        angle = label * np.pi / 4
        stripes = np.sin(0.5 * (xx * np.cos(angle) + yy * np.sin(angle)))
        out.append((stripes + rng.normal(size=(64, 64))).astype(np.float32))
        labels.append(label)
    return np.stack(out), np.array(labels)


def audio_pipeline(device):
    return make_pipeline(
        MFCC(
            sr=SR,
            n_fft=256,
            hop_length=80,
            n_mels=40,
            pooling=None,
            device=device,
            n_jobs=-1,
        ),
        FisherVector(n_components=8, random_state=0, device=device),
        PCA(32, random_state=0),
        RidgeClassifier(),
    )


def image_pipeline(device):
    return make_pipeline(
        HOG(pixels_per_cell=(8, 8), device=device, n_jobs=-1),
        PCA(32, random_state=0),
        RidgeClassifier(),
    )


def _to_device(batch, device):
    if device != "cuda":
        return batch
    import cupy

    if isinstance(batch, list):
        return [cupy.asarray(x) for x in batch]
    return cupy.asarray(batch)


def run(name, make_data, make_pipeline_for, device, n, reference=None):
    X_fit, y_fit = make_data(0, N_FIT)
    with sklearn.config_context(array_api_dispatch=device == "cuda"):
        model = make_pipeline_for(device)
        model.fit(_to_device(X_fit, device), _to_device(y_fit, device))
        predictions, elapsed = [], 0.0
        for start in range(0, n, BATCH):
            X, _ = make_data(start, min(start + BATCH, n))
            begin = time.perf_counter()
            predicted = to_numpy(model.predict(_to_device(X, device)))
            elapsed += time.perf_counter() - begin
            predictions.append(predicted)
    predictions = np.concatenate(predictions)
    same = (
        "-"
        if reference is None
        else f"{np.mean(predictions[: len(reference)] == reference):.4f}"
    )
    print(
        f"{name:<10}{device:<8}{n:>9}{elapsed:>10.2f}{n / elapsed:>14.0f}{same:>12}",
        flush=True,
    )
    return predictions


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000])
    parser.add_argument(
        "--cpu-max",
        type=int,
        default=None,
        help="CPU rows on at most this many samples (their samples/s compare)",
    )
    args = parser.parse_args()
    args.cpu_max = args.cpu_max or max(args.sizes)
    gpu = cuda_is_available()
    print(
        f"{'pipeline':<10}{'device':<8}{'samples':>9}{'seconds':>10}"
        f"{'samples/s':>14}{'= CPU preds':>12}"
    )
    for n in args.sizes:
        for name, make_data, make in (
            ("audio", tones, audio_pipeline),
            ("image", images, image_pipeline),
        ):
            reference = run(name, make_data, make, "cpu", min(n, args.cpu_max))
            if gpu:
                run(name, make_data, make, "cuda", n, reference)
    if not gpu:
        print("No CuPy or no CUDA device: GPU rows skipped.")


if __name__ == "__main__":
    main()
