"""Out-of-core extraction at scale: time and peak memory of MFCC and HOG.

Samples are generated lazily by index (1 s tones at 8 kHz; 64x64 8-bit
images), so the input never sits in memory either, and streamed through
``skmm.cache.extract_features`` into a .npy file in a temporary folder, at
1k, 10k and 100k samples (``--sizes``).

Each (extractor, size) runs in a fresh subprocess that reports its own peak
resident memory (``resource.getrusage(RUSAGE_SELF).ru_maxrss``): that counts
everything (NumPy, Numba's and the FFT's buffers, which ``tracemalloc``
misses, the interpreter and libraries), and a fresh process keeps sizes
apart. "baseline" is the peak after the imports and a warm-up batch
(compiled kernels, FFT plans), before the extraction; "peak" minus baseline
is what streaming the data set adds, which should not grow with n. HOG's
rows (2916 values) are stored as float32.

Run: python benchmarks/bench_scale.py [--sizes 1000 10000 100000]
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

SR = 8000
BATCH_SIZE = 1000


class Tones:
    """1 s clips at 8 kHz, generated from the index."""

    def __init__(self, n):
        self.n = n
        self.t = np.arange(SR, dtype=np.float64) / SR

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        frequency = 100.0 + (i * 37) % 3000
        return np.sin(2 * np.pi * frequency * self.t).astype(np.float32)


class Images:
    """64x64 8-bit images, generated from the index."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.random.default_rng(i).integers(0, 256, (64, 64), dtype=np.uint8)


def _max_rss_bytes():
    # Linux reports kilobytes, macOS bytes.
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def child(kind, n, folder):
    from skmm.audio import MFCC
    from skmm.cache import extract_features
    from skmm.image import HOG

    if kind == "MFCC":
        X = Tones(n)
        estimator = MFCC(
            sr=SR, n_mfcc=13, n_fft=256, hop_length=80, n_mels=40, n_jobs=-1
        )
        dtype = None
    else:
        X = Images(n)
        estimator = HOG(n_jobs=-1)
        dtype = np.float32
    warm = [X[i] for i in range(min(n, BATCH_SIZE))]
    estimator.fit(warm[:1]).transform(warm)
    del warm
    baseline = _max_rss_bytes()
    out = os.path.join(folder, f"{kind}-{n}.npy")
    start = time.perf_counter()
    features = extract_features(
        estimator, X, out=out, batch_size=BATCH_SIZE, dtype=dtype
    )
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "seconds": seconds,
                "baseline": baseline,
                "peak": _max_rss_bytes(),
                "file": os.path.getsize(out),
                "shape": list(features.shape),
            }
        )
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000]
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, n, folder = args.child
        child(kind, int(n), folder)
        return
    header = (
        f"{'extractor':<9} {'n':>8} {'width':>6} {'time s':>8} {'ms/sample':>10} "
        f"{'baseline MiB':>13} {'peak MiB':>9} {'added MiB':>10} {'file MiB':>9}"
    )
    print(header)
    print("-" * len(header))
    for kind in ("MFCC", "HOG"):
        for n in args.sizes:
            with tempfile.TemporaryDirectory() as folder:
                result = subprocess.run(
                    [sys.executable, __file__, "--child", kind, str(n), folder],
                    check=True,
                    capture_output=True,
                    text=True,
                )
            row = json.loads(result.stdout.strip().splitlines()[-1])
            mib = 1 << 20
            print(
                f"{kind:<9} {n:>8} {row['shape'][1]:>6} {row['seconds']:>8.2f} "
                f"{1e3 * row['seconds'] / n:>10.3f} {row['baseline'] / mib:>13.0f} "
                f"{row['peak'] / mib:>9.0f} "
                f"{(row['peak'] - row['baseline']) / mib:>10.0f} "
                f"{row['file'] / mib:>9.0f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
