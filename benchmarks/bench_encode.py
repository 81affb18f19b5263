"""Encoder benchmarks: codebook assignment, statistics pooling, encoders.

1. Nearest-codeword assignment (skmm's Numba kernel) against
   ``sklearn.metrics.pairwise_distances_argmin`` and ``KMeans.predict`` on the
   same descriptors and centres, side by side in one process: 200k random
   descriptors, d = 13, 39, 128, k = 64, 256, float32 and float64. Labels are
   checked to agree.
2. ``pool_flat`` (Numba) against a NumPy loop over sets and a vectorised
   ``np.add.reduceat`` version, for mean+std of MFCC-like frame sets.
3. End-to-end encoder throughput (``transform`` of SIFT-like sets, 128-d).

Timings are the best of ``--repeat`` runs, after one warm-up call (Numba
compilation excluded; it is cached on disk after the first run). All
libraries use every core the machine has.

Run: ``PYTHONPATH=. python benchmarks/bench_encode.py [--n N] [--repeat R]``.
"""

import argparse
import os
import time
import warnings

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import pairwise_distances_argmin

from skmm.encode import VLAD, BagOfWords, FisherVector, StatsPooling, pool_flat
from skmm.encode._base import nearest_centre


def _best(function, repeat):
    function()
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def _fixed_kmeans(centres):
    """A KMeans whose centres are exactly ``centres``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kmeans = KMeans(len(centres), n_init=1, max_iter=1).fit(centres)
    kmeans.cluster_centers_ = centres.copy()
    return kmeans


def bench_assignment(n, repeat):
    print(f"\n1. Nearest codeword, {n} descriptors (seconds; ratio = sklearn / skmm)")
    header = (
        f"{'dtype':>7} {'d':>4} {'k':>4} | {'skmm':>7} | {'pw_argmin':>9} "
        f"{'ratio':>6} | {'KM.predict':>10} {'ratio':>6} | agree"
    )
    print(header)
    print("-" * len(header))
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        for d in (13, 39, 128):
            for k in (64, 256):
                X = rng.normal(size=(n, d)).astype(dtype)
                centres = rng.normal(size=(k, d)).astype(dtype)
                kmeans = _fixed_kmeans(centres)
                t_skmm = _best(lambda X=X, C=centres: nearest_centre(X, C), repeat)
                t_pw = _best(
                    lambda X=X, C=centres: pairwise_distances_argmin(X, C), repeat
                )
                t_km = _best(lambda X=X, km=kmeans: km.predict(X), repeat)
                agree = np.mean(nearest_centre(X, centres) == kmeans.predict(X))
                print(
                    f"{np.dtype(dtype).name:>7} {d:>4} {k:>4} | {t_skmm:7.4f} | "
                    f"{t_pw:9.4f} {t_pw / t_skmm:6.2f} | {t_km:10.4f} "
                    f"{t_km / t_skmm:6.2f} | {agree:.5f}"
                )


def _pool_numpy_loop(flat, offsets):
    return np.stack(
        [
            np.concatenate([s.mean(axis=0), s.std(axis=0)])
            for s in (
                flat[offsets[i] : offsets[i + 1]] for i in range(len(offsets) - 1)
            )
        ]
    )


def _pool_reduceat(flat, offsets):
    lengths = np.diff(offsets)[:, None]
    mean = np.add.reduceat(flat, offsets[:-1], axis=0, dtype=np.float64) / lengths
    centred = flat - np.repeat(mean, lengths[:, 0], axis=0)
    var = np.add.reduceat(centred * centred, offsets[:-1], axis=0) / lengths
    return np.concatenate([mean, np.sqrt(var)], axis=1)


def bench_pooling(repeat):
    print("\n2. Mean+std pooling of MFCC-like sets (seconds; ratio = other / skmm)")
    header = (
        f"{'sets':>6} {'frames':>6} {'d':>3} | {'pool_flat':>9} | "
        f"{'np loop':>8} {'ratio':>6} | {'reduceat':>8} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    rng = np.random.default_rng(1)
    for n_sets, frames, d in ((2000, 100, 13), (2000, 400, 40), (200, 2000, 13)):
        lengths = rng.integers(frames // 2, frames * 3 // 2, size=n_sets)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        flat = rng.normal(size=(offsets[-1], d)).astype(np.float32)
        args = (flat, offsets)
        t_skmm = _best(lambda a=args: pool_flat(*a), repeat)
        t_loop = _best(lambda a=args: _pool_numpy_loop(*a), repeat)
        t_reduce = _best(lambda a=args: _pool_reduceat(*a), repeat)
        np.testing.assert_allclose(
            pool_flat(flat, offsets),
            _pool_numpy_loop(flat, offsets),
            rtol=1e-4,
            atol=1e-5,
        )
        print(
            f"{n_sets:>6} {frames:>6} {d:>3} | {t_skmm:9.4f} | {t_loop:8.4f} "
            f"{t_loop / t_skmm:6.1f} | {t_reduce:8.4f} {t_reduce / t_skmm:6.1f}"
        )


def bench_encoders(repeat):
    print("\n3. Encoder throughput, 1000 SIFT-like sets of ~300 x 128 float32")
    header = f"{'encoder':>32} | {'fit s':>6} | {'transform s':>11} | {'sets/s':>7}"
    print(header)
    print("-" * len(header))
    rng = np.random.default_rng(2)
    sets = [
        rng.random(size=(int(rng.integers(150, 450)), 128)).astype(np.float32)
        for _ in range(1000)
    ]
    for encoder in (
        StatsPooling(),
        BagOfWords(n_clusters=256, random_state=0),
        BagOfWords(n_clusters=256, assignment="soft", random_state=0),
        VLAD(n_clusters=64, random_state=0),
        FisherVector(n_components=16, max_iter=20, random_state=0),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning on random data
            start = time.perf_counter()
            encoder.fit(sets)
            t_fit = time.perf_counter() - start
        t_transform = _best(lambda e=encoder: e.transform(sets), repeat)
        name = repr(encoder).replace("random_state=0", "").replace(", )", ")")
        name = name.replace("(, ", "(")
        print(
            f"{name[:32]:>32} | {t_fit:6.2f} | {t_transform:11.3f} | "
            f"{len(sets) / t_transform:7.0f}"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"CPU cores: {os.cpu_count()}")
    bench_assignment(args.n, args.repeat)
    bench_pooling(args.repeat)
    bench_encoders(args.repeat)


if __name__ == "__main__":
    main()
