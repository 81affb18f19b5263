"""The GPU rows of the MFCC, HOG, dense SIFT, encoder and retrieval benchmarks.

For each size (``--sizes``, 10,000 and 100,000 by default), with the input
already on the GPU (``cupy.asarray`` once, not timed) and the output left
there, times skmm's ``device="cuda"`` path and, side by side in the same
process, skmm's CPU path on every core and the per-sample reference loop
(librosa's ``feature.mfcc``, scikit-image's ``feature.hog``). CPU paths and
reference loops are timed on at most ``--cpu-samples`` and
``--reference-samples`` samples and scaled linearly to the row's size (the
table says so with "~"): they are per-sample work, and timing them whole at
100,000 samples would take longer than the GPU check may.

- MFCC: 1 s clips at 16 kHz, ``n_fft=512, hop_length=160, n_mels=40,
  n_mfcc=13``, frames (``pooling=None``);
- HOG: 128x64 uint8 crops of scikit-image's pictures, 9 orientations,
  8x8 cells, 2x2 blocks;
- DenseSIFT: 64x64 uint8 crops, step 8, size 8;
- VLAD (64 words) and FisherVector (16 components): sets of 50 descriptors
  of 64 dimensions;
- retrieve: top 10 by cosine of 1,000 queries in a database of that many
  128-d items.

Each row also reports the largest difference between the GPU's output and
the CPU's on the first samples. Without CuPy and a CUDA device it prints why
and exits; ``--stand-in`` rehearses it on the CPU with the test suite's
CuPy stand-in (the "GPU" column is then NumPy).

Run: ``CUPY_CACHE_DIR=~/.cache/skmm-cupy PYTHONPATH=. python
benchmarks/bench_gpu_rows.py [--sizes 10000 100000]``.
"""

import argparse
import os
import time

import numpy as np


def _timed(function, cp=None):
    """Seconds of one call after a warm-up call (kernels compiled)."""
    function()
    if cp is not None:
        cp.cuda.Device().synchronize()
    start = time.perf_counter()
    out = function()
    if cp is not None:
        cp.cuda.Device().synchronize()
    return time.perf_counter() - start, out


def _scaled(function, n, n_timed):
    """Seconds of ``function(n_timed)`` scaled to ``n`` samples."""
    seconds, _ = _timed(lambda: function(n_timed))
    return seconds * n / n_timed


def _crops(n, height, width, seed=0):
    import skimage.data

    rng = np.random.default_rng(seed)
    sources = [skimage.data.camera(), skimage.data.moon(), skimage.data.coins()]
    out = np.empty((n, height, width), dtype=np.uint8)
    for i in range(n):
        source = sources[i % len(sources)]
        y = rng.integers(0, source.shape[0] - height + 1)
        x = rng.integers(0, source.shape[1] - width + 1)
        out[i] = source[y : y + height, x : x + width]
    return out


def _row(case, n, gpu, cpu, reference, diff, reference_name="-"):
    ref = f"~{reference:.2f}" if reference is not None else "-"
    vs_ref = f"{reference / gpu:.0f}x" if reference is not None else "-"
    print(
        f"| {case} | {n:,} | {gpu:.3f} | ~{cpu:.2f} | {cpu / gpu:.1f}x | "
        f"{ref} ({reference_name}) | {vs_ref} | {diff:.1e} |",
        flush=True,
    )


def mfcc(cp, n, args):
    import librosa

    from skmm.audio import MFCC

    params = dict(sr=16000, n_fft=512, hop_length=160, n_mels=40, n_mfcc=13)
    rng = np.random.default_rng(0)
    clips = cp.asarray(rng.standard_normal((n, 16000), dtype=np.float32) * 0.1)
    host = cp.asnumpy(clips[: args.cpu_samples])
    gpu_model = MFCC(**params, pooling=None, device="cuda").fit(clips[:2])
    gpu, frames = _timed(lambda: gpu_model.transform(clips), cp)
    cpu_model = MFCC(**params, pooling=None, n_jobs=-1).fit(host[:2])
    cpu = _scaled(lambda m: cpu_model.transform(list(host[:m])), n, len(host))

    def loop(m):
        for clip in host[:m]:
            librosa.feature.mfcc(y=clip, **params)

    reference = _scaled(loop, n, min(len(host), args.reference_samples))
    want = cpu_model.transform(list(host[:20]))
    diff = max(
        float(np.abs(cp.asnumpy(a) - b).max())
        for a, b in zip(frames[:20], want, strict=True)
    )
    _row("MFCC 1 s at 16 kHz", n, gpu, cpu, reference, diff, "librosa loop")


def hog(cp, n, args):
    from skimage.feature import hog as skimage_hog

    from skmm.image import HOG

    params = dict(orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2))
    host = _crops(n, 128, 64)
    images = cp.asarray(host)
    gpu_model = HOG(device="cuda", **params).fit(host[:1])
    gpu, features = _timed(lambda: gpu_model.transform(images), cp)
    cpu_model = HOG(n_jobs=-1, **params).fit(host[:1])
    cpu = _scaled(lambda m: cpu_model.transform(host[:m]), n, min(n, args.cpu_samples))

    def loop(m):
        for image in host[:m]:
            skimage_hog(image, **params)

    reference = _scaled(loop, n, min(n, args.reference_samples))
    diff = float(
        np.abs(cp.asnumpy(features[:200]) - cpu_model.transform(host[:200])).max()
    )
    _row("HOG 128x64", n, gpu, cpu, reference, diff, "scikit-image loop")


def dense_sift(cp, n, args):
    from skmm.image import DenseSIFT

    host = _crops(n, 64, 64, seed=1)
    images = [cp.asarray(i) for i in host]
    gpu_model = DenseSIFT(step=8, size=8, device="cuda").fit(host[:1])
    gpu, descriptors = _timed(lambda: gpu_model.transform(images), cp)
    cpu_model = DenseSIFT(step=8, size=8, n_jobs=-1).fit(host[:1])
    m = min(n, args.cpu_samples)
    cpu = _scaled(lambda k: cpu_model.transform(list(host[:k])), n, m)
    want = cpu_model.transform(list(host[:50]))
    diff = max(
        float(np.abs(cp.asnumpy(a) - b).max())
        for a, b in zip(descriptors[:50], want, strict=True)
    )
    _row("DenseSIFT 64x64", n, gpu, cpu, None, diff)


def encoders(cp, n, args):
    from skmm.encode import VLAD, FisherVector

    rng = np.random.default_rng(2)
    flat = rng.normal(size=(n * 50, 64)).astype(np.float32)
    device_flat = cp.asarray(flat)
    sets = [device_flat[i * 50 : (i + 1) * 50] for i in range(n)]
    host = [flat[i * 50 : (i + 1) * 50] for i in range(min(n, args.cpu_samples))]
    for encoder in (
        VLAD(n_clusters=64, random_state=0),
        FisherVector(n_components=16, random_state=0),
    ):
        if "n_jobs" in encoder.get_params():
            encoder.set_params(n_jobs=-1)
        cpu_model = encoder.fit(host[:2000])
        gpu_model = type(encoder)(**encoder.get_params()).set_params(device="cuda")
        gpu_model.fit(host[:2000])
        gpu, codes = _timed(lambda model=gpu_model: model.transform(sets), cp)
        cpu = _scaled(
            lambda k, model=cpu_model: model.transform(host[:k]), n, len(host)
        )
        diff = float(
            np.abs(cp.asnumpy(codes[:100]) - cpu_model.transform(host[:100])).max()
        )
        _row(type(encoder).__name__, n, gpu, cpu, None, diff)


def retrieval(cp, n, args):
    from skmm.retrieval import retrieve

    rng = np.random.default_rng(3)
    queries, database = rng.normal(size=(1000, 128)), rng.normal(size=(n, 128))
    device_queries, device_database = cp.asarray(queries), cp.asarray(database)
    gpu, (ranking, _) = _timed(
        lambda: retrieve(device_queries, device_database, k=10, device="cuda")
    )
    cpu, (want, _) = _timed(lambda: retrieve(queries, database, k=10))
    same = float(np.mean(ranking == want))
    print(
        f"| retrieve top-10, 1,000 queries | {n:,} | {gpu:.3f} | {cpu:.2f} | "
        f"{cpu / gpu:.1f}x | - | - | rankings equal: {same:.4f} |",
        flush=True,
    )


CASES = {
    "mfcc": mfcc,
    "hog": hog,
    "dense_sift": dense_sift,
    "encoders": encoders,
    "retrieval": retrieval,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=CASES)
    parser.add_argument("--cpu-samples", type=int, default=5000)
    parser.add_argument("--reference-samples", type=int, default=300)
    parser.add_argument("--stand-in", action="store_true")
    args = parser.parse_args()
    if args.stand_in:
        from gpu_probe import install_stand_in

        cp = install_stand_in()
        device = "the CuPy stand-in (NumPy on the CPU: a rehearsal, not a GPU)"
    else:
        from skmm.utils._device import cuda_is_available, cuda_unavailable_reason

        if not cuda_is_available():
            print(f"No GPU rows: {cuda_unavailable_reason()}")
            return
        import cupy as cp

        name = cp.cuda.runtime.getDeviceProperties(0)["name"]
        device = name.decode() if isinstance(name, bytes) else name
    print(
        f"GPU: {device}; CPU: {os.cpu_count()} cores; "
        f"CUPY_CACHE_DIR={os.environ.get('CUPY_CACHE_DIR', '(default)')}\n"
    )
    print(
        "| case | samples | GPU (s) | skmm CPU (s) | GPU vs CPU | reference (s) "
        "| GPU vs reference | max abs diff GPU-CPU |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for n in args.sizes:
        for name in args.cases:
            CASES[name](cp, n, args)


if __name__ == "__main__":
    main()
