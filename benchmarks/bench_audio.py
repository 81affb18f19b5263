"""Spoken-digit accuracy on FSDD with every audio encoder.

Protocols (``../shared/data/README.md``): the official split (takes 0-4 of
every speaker and digit are the 300 test clips) and leave-one-speaker-out
(LOSO, six folds; the mean over held-out speakers is reported).

Every row is a scikit-learn pipeline of skmm parts. The stateless front end
(``AudioReader`` for trimming, ``MFCC`` frames) is computed once per
configuration; everything that learns (encoder codebooks and mixtures,
scaler, classifier) is fitted inside each training fold only.

Run: ``PYTHONPATH=. python benchmarks/bench_audio.py [--fsdd DIR]``.
"""

import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import LeaveOneGroupOut, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC

from skmm.audio import MFCC, AudioReader
from skmm.datasets import load_fsdd
from skmm.encode import VLAD, BagOfWords, FisherVector, StatsPooling

DEFAULT_FSDD = Path(__file__).resolve().parents[2] / "shared" / "data" / "fsdd"

# librosa.effects.trim at 20 dB below the loudest 64 ms frame of the clip.
TRIM = dict(trim_db=20, trim_frame_length=512, trim_hop_length=128)
# 64 ms windows every 8 ms, 40 mel bands: short words at 8 kHz.
SHORT = dict(sr=8000, n_fft=512, hop_length=64, n_mels=40)
STATS4 = ("mean", "std", "min", "max")


def _svc():
    return [StandardScaler(), SVC(C=10)]


def _rows():
    """(name, reader params or None, MFCC params, learning steps)."""
    frames = dict(SHORT, deltas=True, delta_mode="nearest", pooling=None)
    return [
        ("MFCC mean/std, librosa defaults", None, dict(sr=8000), _svc()),
        ("MFCC mean/std, 64 ms / 40 mels", None, dict(SHORT), _svc()),
        (
            "+ deltas, mean/std/min/max",
            None,
            dict(frames),
            [StatsPooling(stats=STATS4), *_svc()],
        ),
        (
            "+ silence trimmed",
            TRIM,
            dict(frames),
            [StatsPooling(stats=STATS4), *_svc()],
        ),
        (
            "+ temporal pyramid (1, 5)",
            TRIM,
            dict(frames),
            [StatsPooling(stats=STATS4, segments=(1, 5)), *_svc()],
        ),
        (
            "BagOfWords(128, Hellinger) + SVC",
            TRIM,
            dict(frames),
            [
                BagOfWords(n_clusters=128, power=0.5, norm="l2", random_state=0),
                SVC(C=10),
            ],
        ),
        (
            "VLAD(16) + linear SVM",
            TRIM,
            dict(frames),
            [VLAD(n_clusters=16, random_state=0), LinearSVC(C=1.0)],
        ),
        (
            "FisherVector(8) + linear SVM",
            TRIM,
            dict(frames),
            [FisherVector(n_components=8, random_state=0), LinearSVC(C=1.0)],
        ),
    ]


def _subset(X, mask):
    return [X[i] for i in np.flatnonzero(mask)] if isinstance(X, list) else X[mask]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fsdd", default=DEFAULT_FSDD)
    args = parser.parse_args()
    bunch = load_fsdd(args.fsdd)
    clips = list(bunch.data["audio"])
    y = np.asarray(bunch.target)
    groups = np.asarray(bunch.groups)
    train = np.asarray(bunch.split) == "train"

    print("| pipeline | official split | LOSO mean | LOSO per speaker | time (s) |")
    print("| --- | ---: | ---: | --- | ---: |")
    cache = {}
    for name, trim, mfcc, steps in _rows():
        start = time.perf_counter()
        key = (repr(trim), repr(sorted(mfcc.items())))
        if key not in cache:
            waves = clips
            if trim is not None:
                waves = AudioReader(sr=8000, **trim).fit_transform(clips)
            # All cores, as MFCC computed before it took n_jobs (the time column).
            cache[key] = MFCC(**mfcc, n_jobs=-1).fit_transform(waves)
        X = cache[key]
        model = make_pipeline(*steps)
        official = model.fit(_subset(X, train), y[train]).score(
            _subset(X, ~train), y[~train]
        )
        loso = cross_val_score(model, X, y, groups=groups, cv=LeaveOneGroupOut())
        per_speaker = " ".join(f"{s:.3f}" for s in loso)
        print(
            f"| {name} | {official:.4f} | {loso.mean():.4f} | {per_speaker} | "
            f"{time.perf_counter() - start:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
