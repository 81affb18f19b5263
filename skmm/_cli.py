"""The ``skmm`` command line: ``skmm demo`` (also ``python -m skmm demo``)."""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd


def _column(X):
    return X.iloc[:, 0] if isinstance(X, pd.DataFrame) else X


def stack_images(X):
    """Flatten a column of equally sized images into an (n, h*w) float array."""
    return np.stack([np.asarray(img, dtype=np.float64).ravel() for img in _column(X)])


def _pipelines(columns, random_state, speech=False):
    from sklearn.base import clone
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    from skmm.audio import MFCC, AudioReader
    from skmm.encode import StatsPooling
    from skmm.fusion import LateFusionClassifier
    from skmm.image import HOG
    from skmm.text import Word2VecVectorizer

    def classifier():
        return LogisticRegression(max_iter=2000)

    blocks = {}
    if "text" in columns:
        blocks["text (TF-IDF)"] = ("text", TfidfVectorizer(sublinear_tf=True))
        blocks["text (Word2Vec)"] = (
            "text",
            make_pipeline(
                Word2VecVectorizer(
                    min_count=1, vector_size=50, epochs=20, random_state=random_state
                ),
                StandardScaler(),
            ),
        )
    if "image" in columns and not speech:
        blocks["image (pixels)"] = (
            "image",
            make_pipeline(FunctionTransformer(stack_images), StandardScaler()),
        )
    if "image" in columns and speech:
        blocks["image (HOG)"] = (
            "image",
            make_pipeline(
                HOG(pixels_per_cell=(4, 4), cells_per_block=(2, 2)), StandardScaler()
            ),
        )
    if "audio" in columns and not speech:
        # DTMF tones at 8 kHz: fine frequency resolution, statistics of frames.
        blocks["audio (MFCC)"] = (
            "audio",
            make_pipeline(
                MFCC(sr=8000, n_fft=1024, hop_length=256, n_mels=64, n_mfcc=40),
                StandardScaler(),
            ),
        )
    if "audio" in columns and speech:
        # Spoken digits at 8 kHz: trim silence, MFCC frames with deltas,
        # statistics of the whole word and of its five fifths.
        blocks["audio (MFCC)"] = (
            "audio",
            make_pipeline(
                AudioReader(
                    sr=8000, trim_db=20, trim_frame_length=512, trim_hop_length=128
                ),
                MFCC(
                    sr=8000,
                    n_fft=512,
                    hop_length=64,
                    n_mels=40,
                    deltas=True,
                    delta_mode="nearest",
                    pooling=None,
                ),
                StatsPooling(stats=("mean", "std", "min", "max"), segments=(1, 5)),
                StandardScaler(),
            ),
        )
    models = {
        label: make_pipeline(
            ColumnTransformer([("block", transformer, column)]), classifier()
        )
        for label, (column, transformer) in blocks.items()
    }
    fused = ColumnTransformer(
        [
            (f"m{i}", transformer, column)
            for i, (column, transformer) in enumerate(blocks.values())
        ]
    )
    models["early fusion (all blocks)"] = make_pipeline(fused, classifier())

    # Late fusion: one classifier per modality (its first block above), fused
    # by each rule; learned weights and stacking use an inner cross-validation,
    # grouped by speaker on real data.
    first = {}
    for column, transformer in blocks.values():
        first.setdefault(column, transformer)
    base = [
        (column, make_pipeline(clone(transformer), classifier()), column)
        for column, transformer in first.items()
    ]
    inner = GroupKFold(5) if speech else 5
    models["late: mean"] = LateFusionClassifier(base, fusion="mean")
    models["late: product"] = LateFusionClassifier(base, fusion="product")
    models["late: learned weights"] = LateFusionClassifier(
        base, fusion="product", weights="learn", cv=inner
    )
    models["late: stacking (LR)"] = LateFusionClassifier(
        base, fusion="stacking", cv=inner
    )
    return models


def _load(data_dir, random_state):
    from sklearn.model_selection import LeaveOneGroupOut, StratifiedKFold

    from skmm.datasets import make_av_digits, make_multimodal_digits

    if data_dir is None:
        bunch = make_multimodal_digits(random_state=random_state)
        cv = StratifiedKFold(5, shuffle=True, random_state=random_state)
        return "embedded multimodal digits (partly synthetic)", bunch, cv, None
    data_dir = Path(data_dir)
    bunch = make_av_digits(
        data_dir / "fsdd", data_dir / "mnist", random_state=random_state
    )
    return (
        "AV digits (FSDD + MNIST), leave-one-speaker-out",
        bunch,
        LeaveOneGroupOut(),
        bunch.groups,
    )


def demo(data_dir=None, n_jobs=None, random_state=0):
    """Cross-validate per-modality and fused pipelines and print a table."""
    import sklearn
    from sklearn.model_selection import cross_val_score

    title, bunch, cv, groups = _load(data_dir, random_state)
    X, y = bunch.data, bunch.target
    print(f"{title}: {len(y)} samples, modalities {list(X.columns)}")
    print(f"{'pipeline':<28} {'accuracy':>17} {'seconds':>8}", flush=True)
    speech = data_dir is not None
    for label, model in _pipelines(list(X.columns), random_state, speech).items():
        start = time.perf_counter()
        if groups is None:
            scores = cross_val_score(model, X, y, cv=cv, n_jobs=n_jobs)
        else:
            # Metadata routing takes the speakers to the outer split and to
            # late fusion's inner one.
            with sklearn.config_context(enable_metadata_routing=True):
                scores = cross_val_score(
                    model, X, y, cv=cv, params={"groups": groups}, n_jobs=n_jobs
                )
        elapsed = time.perf_counter() - start
        print(
            f"{label:<28} {scores.mean():>9.3f} ± {scores.std():.3f} {elapsed:>8.1f}",
            flush=True,
        )


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="skmm", description="skmm: classical multimodal machine learning."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser(
        "demo",
        help="cross-validated accuracy per modality and fused",
        description="Cross-validated accuracy per modality and fused, on the "
        "embedded data set or, with --data, on real data laid out like "
        "shared/data (fsdd/recordings/*.wav and mnist/mnist_5k.csv.gz).",
    )
    demo_parser.add_argument("--data", metavar="DIR", help="real data folder")
    demo_parser.add_argument("--n-jobs", type=int, default=None)
    demo_parser.add_argument("--random-state", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        demo(args.data, n_jobs=args.n_jobs, random_state=args.random_state)
    except FileNotFoundError as exc:
        print(f"skmm demo: {exc}", file=sys.stderr)
        return 2
    return 0
