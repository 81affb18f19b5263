"""Grid search with and without skmm's per-sample feature cache, side by side.

``GridSearchCV`` (5 folds x 6 values of the audio model's ``C``, then the
refit: 31 fits) over a late-fusion pipeline on the audio-visual digits

    LateFusionClassifier([
        ("audio", CachedTransformer(AudioReader() -> MFCC()) -> StandardScaler
                  -> LogisticRegression, "audio"),
        ("image", HOG -> GaussianNB, "image"),
    ], fusion="product")

with every FSDD clip read from its wav file (``AudioReader()`` and ``MFCC()``
at their librosa defaults: resampled to 22,050 Hz, 20 coefficients, mean and
standard deviation) when ``../shared/data`` is there, else on the embedded
``make_multimodal_digits``.

The models are light on purpose (40 MFCC statistics into a logistic
regression, HOG into Gaussian naive Bayes), as in a search over many cheap
models: what the cache removes is the extraction, and the speed-up is the
share of the search that extraction takes.

Three runs: without the cache (``memory=None``: every fold and grid point
reads and extracts the audio again), with an empty cache directory (the
first fold fills it), and again with the filled cache (a later search over
other classifier settings). The mean test scores must be identical. HOG is
not cached: on 28x28 images it runs faster than hashing them. Before the
searches, one extraction pass over all clips is timed with and without a
filled cache.

Run: ``PYTHONPATH=. python benchmarks/bench_cache.py [--data DIR] [--n-jobs N]``.
"""

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skmm.audio import MFCC, AudioReader
from skmm.cache import CachedTransformer
from skmm.fusion import LateFusionClassifier
from skmm.image import HOG

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
C_VALUES = [0.01, 0.03, 0.1, 0.3, 1.0, 3.0]


def load(data_dir):
    """``(X, y, audio pipeline, HOG, description)``."""
    fsdd, mnist = data_dir / "fsdd", data_dir / "mnist"
    if fsdd.is_dir() and mnist.is_dir():
        from skmm.datasets import make_av_digits

        data = make_av_digits(fsdd, mnist, audio="path")
        # All cores, as these timings were taken before n_jobs=None meant one.
        audio = make_pipeline(AudioReader(), MFCC(n_jobs=-1))
        hog = HOG(pixels_per_cell=(7, 7), cells_per_block=(2, 2), n_jobs=-1)
        return data.data, data.target, audio, hog, "AV digits (FSDD wav + MNIST)"
    from skmm.datasets import make_multimodal_digits

    data = make_multimodal_digits()
    audio = MFCC(sr=8000, n_fft=1024, hop_length=256, n_mels=64, n_mfcc=20, n_jobs=-1)
    hog = HOG(pixels_per_cell=(2, 2), cells_per_block=(2, 2), n_jobs=-1)
    return data.data[["audio", "image"]], data.target, audio, hog, "embedded"


def search(X, y, audio, hog, memory, n_jobs):
    def classifier():
        return LogisticRegression(max_iter=1000)

    model = LateFusionClassifier(
        [
            (
                "audio",
                make_pipeline(
                    CachedTransformer(audio, memory=memory),
                    StandardScaler(),
                    classifier(),
                ),
                "audio",
            ),
            ("image", make_pipeline(hog, GaussianNB()), "image"),
        ],
        fusion="product",
    )
    grid = GridSearchCV(
        model,
        {"audio__logisticregression__C": C_VALUES},
        cv=StratifiedKFold(5, shuffle=True, random_state=0),
        n_jobs=n_jobs,
    )
    start = time.perf_counter()
    # One BLAS thread: the models are small, and OpenBLAS's threads cost more
    # than they save on them (both runs alike).
    with threadpool_limits(limits=1, user_api="blas"):
        grid.fit(X, y)
    return time.perf_counter() - start, grid.cv_results_["mean_test_score"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--n-jobs", type=int, default=None)
    args = parser.parse_args()

    X, y, audio, hog, name = load(args.data)
    print(f"data: {name}, {len(y)} samples; 5 folds x {len(C_VALUES)} C values")
    # Warm-up: Numba compilation and imports are not what is measured.
    few = np.random.default_rng(0).choice(len(y), 100, replace=False)
    search(X.iloc[few], y[few], audio, hog, None, args.n_jobs)

    audio_X = X["audio"]
    with tempfile.TemporaryDirectory() as location:
        cached = CachedTransformer(audio, memory=location).fit(audio_X)
        cached.transform(audio_X)
        start = time.perf_counter()
        cached.transform(audio_X)
        hit = time.perf_counter() - start
    start = time.perf_counter()
    audio.fit(audio_X).transform(audio_X)
    miss = time.perf_counter() - start
    print(
        f"one audio extraction pass: {miss:.3f} s computed, {hit:.3f} s from the "
        f"cache ({miss / hit:.1f}x)"
    )

    plain_time, plain_scores = search(X, y, audio, hog, None, args.n_jobs)
    with tempfile.TemporaryDirectory() as location:
        cold_time, cold_scores = search(X, y, audio, hog, location, args.n_jobs)
        warm_time, warm_scores = search(X, y, audio, hog, location, args.n_jobs)

    print(f"{'run':<28}{'seconds':>10}{'speed-up':>10}")
    for label, seconds in (
        ("no cache", plain_time),
        ("cache, empty at start", cold_time),
        ("cache, filled", warm_time),
    ):
        print(f"{label:<28}{seconds:>10.2f}{plain_time / seconds:>9.1f}x")
    identical = np.array_equal(plain_scores, cold_scores) and np.array_equal(
        plain_scores, warm_scores
    )
    print(f"mean test scores identical: {identical} {np.round(plain_scores, 4)}")


if __name__ == "__main__":
    main()
