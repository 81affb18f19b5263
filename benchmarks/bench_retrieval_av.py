"""Cross-modal retrieval on audio-visual digits: spoken digit <-> handwritten digit.

Data: AV digits (``skmm.datasets.make_av_digits``, pairing seed 0): every
Free Spoken Digit Dataset clip paired with a distinct MNIST image of the same
digit. Official FSDD split: takes 0-4 of every speaker and digit are the 300
test pairs, takes 5-49 the 2,700 training pairs.

Protocol: audio queries rank the 300 test images and image queries rank the
300 test clips; a retrieved item is relevant when its digit matches the
query's; mean average precision (MAP) over all 300 queries each way. Since
the pairing is random, the two modalities only share the digit: a perfect
method reaches MAP 1, random scores about 0.12.

Everything runs from raw samples with skmm:

- audio: silence trimmed (``AudioReader``, 20 dB), MFCC frames of 64 ms
  every 8 ms with deltas, mean/std/min/max over the whole word and over its
  five fifths (``StatsPooling(segments=(1, 5))``), standardised;
- image: ``HOG`` (4x4-pixel cells, 2x2-cell blocks), or dense SIFT (step 4,
  size 4) encoded by ``VLAD(32)`` or a Hellinger bag of 512 visual words;
- both: PCA to at most 256 dimensions.

The stateless extractors run once; the unsupervised learned steps
(codebooks, scaler, PCA) are fitted once on the training pairs and shared by
all methods and settings. Each method is tuned on the training set only:
every setting is fitted on takes 15-49 and scored (mean of the two MAPs) on
takes 5-14 of the training set, which mirrors the official split; the best
setting is refitted on all training pairs and evaluated once on the test set.

Methods (Rasiwasia et al. 2010; cosine similarity throughout): correlation
matching (``CrossModalCCA``), tuned over ``k`` (its dimension; 10 digits
give at most 9 class-discriminative directions) and ``reg``; semantic
matching (``SemanticMatching``: the class posteriors of a logistic
regression per modality), tuned over ``C``; semantic correlation matching
(``SemanticCorrelationMatching``: logistic regressions on the CCA
projections), tuned over ``k``, ``reg`` and ``C``. New methods go in
``_methods``.

Run: ``PYTHONPATH=. python benchmarks/bench_retrieval_av.py [--fsdd DIR
--mnist DIR] [--verbose]`` (``--verbose`` prints every validation score).
"""

import argparse
import time
from itertools import product
from pathlib import Path
from typing import NamedTuple

import numpy as np
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skmm.audio import MFCC, AudioReader
from skmm.datasets import make_av_digits
from skmm.encode import VLAD, BagOfWords, StatsPooling
from skmm.image import HOG, DenseSIFT
from skmm.metrics import mean_average_precision
from skmm.retrieval import (
    CrossModalCCA,
    SemanticCorrelationMatching,
    SemanticMatching,
)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DEFAULT_FSDD = DATA / "fsdd"
DEFAULT_MNIST = DATA / "mnist"

# Training takes 5-14 score the settings; 15-49 fit them.
VALIDATION_TAKES = range(5, 15)
N_PCA = 256


class AVFeatures(NamedTuple):
    """One image feature set with the audio features, split by protocol."""

    image_train: np.ndarray
    image_test: np.ndarray
    audio_train: np.ndarray
    audio_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    take_train: np.ndarray


def _audio_front_end(clips):
    # The best-known FSDD setup of bench_audio.py, all stateless.
    trimmed = AudioReader(
        sr=8000, trim_db=20, trim_frame_length=512, trim_hop_length=128, n_jobs=-1
    ).fit_transform(clips)
    frames = MFCC(
        sr=8000,
        n_fft=512,
        hop_length=64,
        n_mels=40,
        deltas=True,
        delta_mode="nearest",
        pooling=None,
        n_jobs=-1,
    ).fit_transform(trimmed)
    return StatsPooling(
        stats=("mean", "std", "min", "max"), segments=(1, 5)
    ).fit_transform(frames)


def _image_features():
    """(name, stateless extractor, learned steps) for each image feature set."""
    pca = dict(n_components=N_PCA, random_state=0)
    dense_sift = DenseSIFT(step=4, size=4, n_jobs=-1)
    return [
        (
            "HOG (4x4 cells, 2x2 blocks)",
            HOG(pixels_per_cell=(4, 4), cells_per_block=(2, 2), n_jobs=-1),
            [PCA(**pca)],
        ),
        (
            "dense SIFT + VLAD(32)",
            dense_sift,
            [VLAD(n_clusters=32, random_state=0), PCA(**pca)],
        ),
        (
            "dense SIFT + BoW(512, Hellinger)",
            dense_sift,
            [
                BagOfWords(n_clusters=512, power=0.5, norm="l2", random_state=0),
                PCA(**pca),
            ],
        ),
    ]


def _subset(X, mask):
    return [X[i] for i in np.flatnonzero(mask)] if isinstance(X, list) else X[mask]


def _fit_transform_split(steps, X, train):
    model = make_pipeline(*steps).fit(_subset(X, train))
    return model.transform(_subset(X, train)), model.transform(_subset(X, ~train))


def extract_features(fsdd, mnist):
    """Yield ``(name, AVFeatures)`` for every image feature set.

    The audio features are computed once and shared. Learned steps see the
    training pairs only.
    """
    av = make_av_digits(fsdd, mnist, random_state=0)
    train = np.asarray(av.split) == "train"
    y = np.asarray(av.target)
    take = np.asarray(av.take)

    pooled = _audio_front_end(list(av.data["audio"]))
    audio_train, audio_test = _fit_transform_split(
        [StandardScaler(), PCA(n_components=N_PCA, random_state=0)], pooled, train
    )
    images = list(av.data["image"])
    descriptors = {}
    for name, extractor, steps in _image_features():
        key = repr(extractor)
        if key not in descriptors:
            descriptors[key] = extractor.fit_transform(images)
        image_train, image_test = _fit_transform_split(steps, descriptors[key], train)
        yield (
            name,
            AVFeatures(
                image_train,
                image_test,
                audio_train,
                audio_test,
                y[train],
                y[~train],
                take[train],
            ),
        )


# Methods ----------------------------------------------------------------
#
# A method is ``(name, fit, grid)``. ``fit(image_train, audio_train,
# y_train, **params)`` returns a retriever, an object with
# ``audio_to_image(audio_queries, image_database)`` and
# ``image_to_audio(image_queries, audio_database)``, each returning the
# ranking: an (n_queries, n_database) array of database indices, best first.
# ``grid`` maps each parameter to the values tried on the validation split.


class CCARetriever:
    """Correlation matching: cosine similarity in the CCA common space."""

    def __init__(self, cca):
        self.cca = cca

    def audio_to_image(self, audio_queries, image_database):
        ranking, _ = self.cca.retrieve(
            audio_queries, image_database, direction="y_to_x", metric="cosine"
        )
        return ranking

    def image_to_audio(self, image_queries, audio_database):
        ranking, _ = self.cca.retrieve(
            image_queries, audio_database, direction="x_to_y", metric="cosine"
        )
        return ranking


def fit_cca(image_train, audio_train, y_train, *, k, reg):
    # Unsupervised: the labels are unused, the pairing is the supervision.
    cca = CrossModalCCA(n_components=k, reg=reg).fit(image_train, audio_train)
    return CCARetriever(cca)


class MatchingRetriever:
    """Any of skmm's table-based matchings, the image columns first."""

    def __init__(self, matching):
        self.matching = matching

    def audio_to_image(self, audio_queries, image_database):
        ranking, _ = self.matching.retrieve(
            audio_queries, image_database, query_modality="audio"
        )
        return ranking

    def image_to_audio(self, image_queries, audio_database):
        ranking, _ = self.matching.retrieve(
            image_queries, audio_database, query_modality="image"
        )
        return ranking


def _columns(image_train):
    n_image = image_train.shape[1]
    return slice(0, n_image), slice(n_image, None)


def fit_sm(image_train, audio_train, y_train, *, C):
    image, audio = _columns(image_train)
    sm = SemanticMatching(
        [
            ("image", LogisticRegression(C=C, max_iter=2000), image),
            ("audio", LogisticRegression(C=C, max_iter=2000), audio),
        ]
    )
    return MatchingRetriever(sm.fit(np.hstack([image_train, audio_train]), y_train))


def fit_scm(image_train, audio_train, y_train, *, k, reg, C):
    image, audio = _columns(image_train)
    scm = SemanticCorrelationMatching(
        [("image", "passthrough", image), ("audio", "passthrough", audio)],
        cca=CrossModalCCA(n_components=k, reg=reg),
        classifier=LogisticRegression(C=C, max_iter=2000),
    )
    return MatchingRetriever(scm.fit(np.hstack([image_train, audio_train]), y_train))


def _methods():
    return [
        (
            "correlation matching (CCA)",
            fit_cca,
            {"k": (5, 9, 10, 20, 40), "reg": (1e-3, 1e-2, 1e-1, 1.0, 10.0)},
        ),
        ("semantic matching", fit_sm, {"C": (0.01, 0.1, 1.0)}),
        (
            "semantic correlation matching",
            fit_scm,
            {"k": (9, 20), "reg": (0.1, 1.0), "C": (0.1, 1.0)},
        ),
    ]


# Protocol ---------------------------------------------------------------


def both_maps(retriever, images, audio, labels):
    """(MAP audio->image, MAP image->audio) of paired items with ``labels``."""
    return (
        mean_average_precision(
            labels, labels, ranking=retriever.audio_to_image(audio, images)
        ),
        mean_average_precision(
            labels, labels, ranking=retriever.image_to_audio(images, audio)
        ),
    )


def tune(fit, grid, features, verbose=False):
    """Best setting by mean validation MAP, fitted on the rest of training."""
    validation = np.isin(features.take_train, VALIDATION_TAKES)
    best = None
    for values in product(*grid.values()):
        params = dict(zip(grid, values, strict=True))
        retriever = fit(
            features.image_train[~validation],
            features.audio_train[~validation],
            features.y_train[~validation],
            **params,
        )
        maps = both_maps(
            retriever,
            features.image_train[validation],
            features.audio_train[validation],
            features.y_train[validation],
        )
        if verbose:
            print(
                f"    {_format(params)}: validation MAP {maps[0]:.3f} / {maps[1]:.3f}"
            )
        if best is None or np.mean(maps) > best[0]:
            best = (np.mean(maps), params)
    return best[1], best[0]


def _format(params):
    return ", ".join(f"{key}={value:g}" for key, value in params.items())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fsdd", type=Path, default=DEFAULT_FSDD)
    parser.add_argument("--mnist", type=Path, default=DEFAULT_MNIST)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    # The matrices here are at most 2,700 x 4,096; multithreaded BLAS buys
    # nothing on them and, on a busy machine, made the CCA grid 15x slower.
    with threadpool_limits(limits=1, user_api="blas"):
        run(args.fsdd, args.mnist, args.verbose)


def run(fsdd, mnist, verbose=False):
    start = time.perf_counter()
    header = True
    for feature_name, features in extract_features(fsdd, mnist):
        if header:
            y_test = features.y_test
            random_scores = np.random.default_rng(0).random((len(y_test),) * 2)
            random_map = mean_average_precision(y_test, y_test, random_scores)
            print(
                f"AV digits, official split: {len(features.y_train)} training "
                f"pairs, {len(y_test)} test queries each way; audio "
                f"{features.audio_train.shape[1]}-d. Time per row: tuning, "
                "refit and test (feature extraction not included).\n"
            )
            print(
                "| image features | method | tuned setting | validation MAP "
                "| MAP audio->image | MAP image->audio | time (s) |"
            )
            print("| --- | --- | --- | ---: | ---: | ---: | ---: |")
            print(
                f"| - | random scores | - | - | {random_map:.3f} "
                f"| {random_map:.3f} | - |"
            )
            header = False
        label = f"{feature_name}, {features.image_train.shape[1]}-d"
        for method_name, fit, grid in _methods():
            method_start = time.perf_counter()
            params, validation_map = tune(fit, grid, features, verbose)
            retriever = fit(
                features.image_train,
                features.audio_train,
                features.y_train,
                **params,
            )
            a2i, i2a = both_maps(
                retriever,
                features.image_test,
                features.audio_test,
                features.y_test,
            )
            print(
                f"| {label} | {method_name} | {_format(params)} "
                f"| {validation_map:.3f} | {a2i:.3f} | {i2a:.3f} "
                f"| {time.perf_counter() - method_start:.1f} |",
                flush=True,
            )
    print(f"\nTotal {time.perf_counter() - start:.0f} s.")


if __name__ == "__main__":
    main()
