"""Late fusion, matchings and MultimodalClassifier never extract twice.

Learned weights and stacking need out-of-fold predictions (a 5-fold inner
cross-validation); with the stateless contract the readers and extractors
of each modality pipeline run once per ``fit``, and only the stateful rest
(scaling, classifier) is refitted per inner fold. This script times, side
by side in one process, the fit of

1. ``LateFusionClassifier`` with mean fusion (no inner cv), learned weights
   and stacking (5-fold inner cv, the default, and 3-fold, as
   ``MultimodalClassifier``'s), and the same two with the front refitted in
   every fold (the behaviour before: a Pipeline subclass opts out of the
   split), on
   AV-digit *files*: FSDD wav files read by ``AudioReader`` + MFCC, and
   MNIST images written as PNG files to a temporary folder, read by
   ``ImageReader`` + HOG;
2. the same on the embedded data (``make_multimodal_digits``: image arrays,
   waveforms, text; the text's analysis split off by ``TextAnalyzer``);
3. the retrieval matchings on the AV-digit files (they fit each pipeline
   once and use the fit's features: no inner cv), against fitting the two
   modality pipelines alone;
4. ``MultimodalClassifier()`` (learned weights) and its stacking against
   ``MultimodalClassifier(fusion="mean")`` on the AV-digit files, from an
   empty in-memory cache of decoded files (cold: each fit decodes every
   file) and with the files already in it (as in a cross-validation after
   its first fit);
5. every late fusion rule of the embedded data, 4-fold cross-validated:
   ``cross_validate`` of each rule in turn against ``cross_validate_rules``
   (each fold fits the modalities and the inner folds once, then each
   rule's fusion), both against ``cross_validate`` of mean fusion alone;
   the scores must be the same.

Goal: learned weights and stacking at most 1.5x the time of mean fusion.

Run: ``PYTHONPATH=. python benchmarks/bench_fusion_speed.py [--data DIR] [--n N]``.
"""

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from skmm.audio import MFCC, AudioReader
from skmm.cache._memory import PROCESS_CACHE
from skmm.compose import MultimodalClassifier
from skmm.datasets import make_av_digits, make_multimodal_digits
from skmm.fusion import LateFusionClassifier, cross_validate_rules
from skmm.image import HOG, ImageReader
from skmm.retrieval import CorrelationMatching, SemanticMatching
from skmm.text import TextAnalyzer, analyzed

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


class RefitEverything(Pipeline):
    """A Pipeline that late fusion does not split: its stateless front is
    refitted (files re-read, features re-extracted) in every inner fold, as
    before the stateless contract."""


def _image_front():
    return [ImageReader(), HOG(pixels_per_cell=(7, 7), cells_per_block=(2, 2))]


def _audio_front(sr):
    return [
        AudioReader(sr=sr),
        MFCC(sr=sr, n_mfcc=20, n_fft=256, hop_length=80, n_mels=40, deltas=1),
    ]


def _pipe(front, refit=False):
    pipe = make_pipeline(*front, StandardScaler(), LogisticRegression(max_iter=500))
    return RefitEverything(pipe.steps) if refit else pipe


REPEAT = 1


def _time(estimator, X, y, cold=False):
    """Best wall time of ``REPEAT`` fits (of clones: nothing is reused but,
    unless ``cold``, what ``MultimodalClassifier``'s in-memory cache of
    decoded files holds)."""
    best = np.inf
    for _ in range(REPEAT):
        if cold:
            PROCESS_CACHE.clear()
        start = time.perf_counter()
        clone(estimator).fit(X, y)
        best = min(best, time.perf_counter() - start)
    return best


def _late_rows(estimators_of, X, y):
    rows = {}
    rows["mean"] = _time(LateFusionClassifier(estimators_of(False)), X, y)
    for label, params in (
        ("learned weights", dict(weights="learn")),
        ("stacking", dict(fusion="stacking")),
    ):
        rows[label] = _time(LateFusionClassifier(estimators_of(False), **params), X, y)
        rows[label + ", 3-fold inner cv"] = _time(
            LateFusionClassifier(estimators_of(False), cv=3, **params), X, y
        )
        rows[label + ", refit front per fold"] = _time(
            LateFusionClassifier(estimators_of(True), **params), X, y
        )
    return rows


def _print(title, rows, reference):
    width = max(44, *(len(label) for label in rows))
    print(f"\n{title}")
    print(f"{'fit':{width}s} {'seconds':>8s} {'x ref.':>8s}   (ref.: {reference})")
    for label, seconds in rows.items():
        print(f"{label:{width}s} {seconds:8.2f} {seconds / rows[reference]:8.2f}")


def _av_files(data, folder, n):
    bunch = make_av_digits(data / "fsdd", data / "mnist", audio="path", random_state=0)
    rng = np.random.default_rng(0)
    rows = np.sort(rng.choice(len(bunch.target), size=n, replace=False))
    images = []
    for i in rows:
        path = folder / f"digit_{i}.png"
        cv2.imwrite(str(path), np.asarray(bunch.data["image"][i], dtype=np.uint8))
        images.append(str(path))
    X = pd.DataFrame({"image": images, "audio": list(bunch.data["audio"][rows])})
    return X, bunch.target[rows], bunch.sample_rate


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--n", type=int, default=600, help="AV-digit samples")
    parser.add_argument("--repeat", type=int, default=2, help="best of N fits")
    args = parser.parse_args()
    global REPEAT
    REPEAT = args.repeat
    warnings.simplefilter("ignore", ConvergenceWarning)

    with tempfile.TemporaryDirectory() as tmp:
        X, y, sr = _av_files(args.data, Path(tmp), args.n)
        # Warm-up: Numba compilation and first imports are not what is timed.
        LateFusionClassifier(
            [
                ("image", _pipe(_image_front()), "image"),
                ("audio", _pipe(_audio_front(sr)), "audio"),
            ]
        ).fit(X[::15], y[::15])

        def av(refit):
            return [
                ("image", _pipe(_image_front(), refit), "image"),
                ("audio", _pipe(_audio_front(sr), refit), "audio"),
            ]

        _print(
            f"1. AV-digit files ({len(y)} wav + png, 5-fold inner cv unless said)",
            _late_rows(av, X, y),
            "mean",
        )

        matchings = {
            "fit the two modality pipelines": _time(
                _TwoPipelines(
                    make_pipeline(*_image_front(), StandardScaler()),
                    make_pipeline(*_audio_front(sr), StandardScaler()),
                ),
                X,
                y,
            ),
            "CorrelationMatching": _time(
                CorrelationMatching(
                    [
                        ("image", make_pipeline(*_image_front()), "image"),
                        ("audio", make_pipeline(*_audio_front(sr)), "audio"),
                    ]
                ),
                X,
                y,
            ),
            "SemanticMatching": _time(
                SemanticMatching(
                    [
                        ("image", _pipe(_image_front()), "image"),
                        ("audio", _pipe(_audio_front(sr)), "audio"),
                    ]
                ),
                X,
                y,
            ),
        }
        _print(
            "3. retrieval matchings on the same files",
            matchings,
            "fit the two modality pipelines",
        )

        one_line = {}
        for cold in (True, False):
            cache = "cold cache" if cold else "files in the cache"
            for label, params in (
                ("fusion='mean'", {"fusion": "mean"}),
                ("", {}),
                ("fusion='stacking'", {"fusion": "stacking"}),
            ):
                one_line[f"MultimodalClassifier({label}), {cache}"] = _time(
                    MultimodalClassifier(**params), X, y, cold=cold
                )
        _print(
            "4. MultimodalClassifier on the same files (x its mean fusion, cold)",
            one_line,
            "MultimodalClassifier(fusion='mean'), cold cache",
        )

    digits = make_multimodal_digits(random_state=0)
    Xe, ye = digits.data, digits.target

    def embedded(refit):
        # TextAnalyzer + TfidfVectorizer(analyzer=analyzed): TfidfVectorizer()'s
        # matrix, its analysis in the stateless front; refit: the one
        # vectorizer, analysing in every fold.
        if refit:
            text = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=500))
        else:
            text = make_pipeline(
                TextAnalyzer(),
                TfidfVectorizer(analyzer=analyzed),
                LogisticRegression(max_iter=500),
            )
        image = [ImageReader(), HOG(pixels_per_cell=(2, 2), cells_per_block=(2, 2))]
        return [
            ("image", _pipe(image, refit), "image"),
            ("audio", _pipe(_audio_front(digits.sample_rate), refit), "audio"),
            ("text", text, "text"),
        ]

    _print(
        f"2. embedded data ({len(ye)} samples, 5-fold inner cv unless said)",
        _late_rows(embedded, Xe, ye),
        "mean",
    )
    _print(
        "5. every late fusion rule, embedded data, 4-fold cross-validation "
        "(3-fold inner cv)",
        _rules_rows(embedded(False), Xe, ye),
        "cross_validate, mean fusion alone",
    )


RULES = {
    "mean": {"fusion": "mean"},
    "product": {"fusion": "product"},
    "max": {"fusion": "max"},
    "vote": {"fusion": "vote"},
    "learned weights": {"fusion": "product", "weights": "learn"},
    "stacking": {"fusion": "stacking"},
}


def _rules_rows(estimators, X, y):
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    late = LateFusionClassifier(estimators, cv=3)
    rows = {}
    start = time.perf_counter()
    alone = {
        label: cross_validate(clone(late).set_params(**params), X, y, cv=cv)
        for label, params in RULES.items()
    }
    rows[f"cross_validate of each rule in turn ({len(RULES)})"] = (
        time.perf_counter() - start
    )
    start = time.perf_counter()
    shared = cross_validate_rules(late, X, y, rules=RULES, cv=cv)
    rows["cross_validate_rules, the same rules"] = time.perf_counter() - start
    mean = alone["mean"]
    rows["cross_validate, mean fusion alone"] = float(
        np.sum(mean["fit_time"]) + np.sum(mean["score_time"])
    )
    same = all(
        np.array_equal(shared[label]["test_score"], alone[label]["test_score"])
        for label in RULES
    )
    print(f"\n5. same scores as cross_validate of each rule: {same}")
    return rows


class _TwoPipelines(BaseEstimator):
    """Fits two modality pipelines on their columns: the cost a matching
    cannot go below."""

    def __init__(self, image, audio):
        self.image, self.audio = image, audio

    def fit(self, X, y):
        self.image.fit_transform(X["image"], y)
        self.audio.fit_transform(X["audio"], y)
        return self


if __name__ == "__main__":
    main()
