"""Fusion on audio-visual digits and Wikipedia: every rule, missing modalities.

1. AV digits (``make_av_digits`` on ``../shared/data``), with clean MNIST
   images and with AV-MNIST's degraded ones (75% of the pixel variance
   removed), official split and leave-one-speaker-out (LOSO): image only,
   audio only, early fusion, late fusion by mean, product, learned weights
   (of the arithmetic and of the geometric mean), stacking (logistic
   regression, Gaussian and multinomial naive Bayes, SVM). Learned weights and
   stacking use an inner cross-validation grouped by speaker.
2. Missing modalities: the official-split models, with 10%, 30% and 50% of
   the test audio cells (then image cells) set to None.
3. Wikipedia (precomputed features): text only, image only, late fusion.

The stateless extractors run once up front (image: HOG with 4x4-pixel cells;
audio: silence-trimmed MFCC frames pooled over the clip and its fifths); each
modality's model is StandardScaler + logistic regression on those features.

Run: ``PYTHONPATH=. python benchmarks/bench_fusion.py [--data DIR]``.
"""

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, LeaveOneGroupOut
from sklearn.naive_bayes import GaussianNB, MultinomialNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.svm import SVC

from skmm.audio import MFCC, AudioReader
from skmm.datasets import load_wikipedia_xmodal, make_av_digits
from skmm.encode import StatsPooling
from skmm.fusion import LateFusionClassifier
from skmm.image import HOG

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def stack_column(X):
    """A column of per-sample feature vectors as a 2-D array."""
    column = X.iloc[:, 0] if isinstance(X, pd.DataFrame) else X
    return np.stack(list(column))


def _modality_model():
    return make_pipeline(
        FunctionTransformer(stack_column),
        StandardScaler(),
        LogisticRegression(max_iter=3000),
    )


def _features(bunch):
    images = list(bunch.data["image"])
    hog = HOG(pixels_per_cell=(4, 4), cells_per_block=(2, 2)).fit(images)
    waves = AudioReader(
        sr=8000, trim_db=20, trim_frame_length=512, trim_hop_length=128
    ).fit_transform(list(bunch.data["audio"]))
    frames = MFCC(
        sr=8000,
        n_fft=512,
        hop_length=64,
        n_mels=40,
        deltas=True,
        delta_mode="nearest",
        pooling=None,
    ).fit_transform(waves)
    audio = StatsPooling(
        stats=("mean", "std", "min", "max"), segments=(1, 5)
    ).fit_transform(frames)
    table = pd.DataFrame({"image": list(hog.transform(images)), "audio": list(audio)})
    return table


def _models(inner_cv):
    base = [
        ("image", _modality_model(), "image"),
        ("audio", _modality_model(), "audio"),
    ]

    def late(**params):
        return LateFusionClassifier(base, cv=inner_cv, n_jobs=-1, **params)

    early = make_pipeline(
        ColumnTransformer(
            [
                (
                    "image",
                    make_pipeline(FunctionTransformer(stack_column), StandardScaler()),
                    ["image"],
                ),
                (
                    "audio",
                    make_pipeline(FunctionTransformer(stack_column), StandardScaler()),
                    ["audio"],
                ),
            ]
        ),
        LogisticRegression(max_iter=3000),
    )
    return {
        "image only": ("single", "image"),
        "audio only": ("single", "audio"),
        "early fusion": ("model", early),
        "late: mean": ("model", late(fusion="mean")),
        "late: learned weights, arithmetic mean": (
            "model",
            late(fusion="weighted", weights="learn"),
        ),
        "late: product": ("model", late(fusion="product")),
        "late: learned weights, geometric mean": (
            "model",
            late(fusion="product", weights="learn"),
        ),
        "late: stacking (LR)": ("model", late(fusion="stacking")),
        "late: stacking (Gaussian NB)": (
            "model",
            late(fusion="stacking", final_estimator=GaussianNB()),
        ),
        "late: stacking (multinomial NB)": (
            "model",
            late(fusion="stacking", final_estimator=MultinomialNB()),
        ),
        "late: stacking (SVM)": (
            "model",
            late(fusion="stacking", final_estimator=SVC()),
        ),
    }


def _score(kind, model, X, y, groups, train, test):
    if kind == "single":
        estimator = _modality_model()
        estimator.fit(X[[model]].iloc[train], y[train])
        return estimator.score(X[[model]].iloc[test], y[test])
    if hasattr(model, "steps"):
        model.fit(X.iloc[train], y[train])
    else:
        model.fit(X.iloc[train], y[train], groups=groups[train])
    return model.score(X.iloc[test], y[test])


def av_digits(data_dir, energy_removed):
    bunch = make_av_digits(
        Path(data_dir) / "fsdd",
        Path(data_dir) / "mnist",
        image_energy_removed=energy_removed,
    )
    X = _features(bunch)
    y = np.asarray(bunch.target)
    groups = np.asarray(bunch.groups)
    official = (
        np.flatnonzero(bunch.split == "train"),
        np.flatnonzero(bunch.split == "test"),
    )
    loso = list(LeaveOneGroupOut().split(X, y, groups))
    label = "degraded images (75% energy removed)" if energy_removed else "clean images"
    print(f"\nAV digits, {label}\n")
    print("| model | official split | LOSO mean | LOSO per speaker | time (s) |")
    print("| --- | ---: | ---: | --- | ---: |")
    fitted = {}
    for name, (kind, model) in _models(GroupKFold(5)).items():
        start = time.perf_counter()
        official_score = _score(kind, model, X, y, groups, *official)
        if kind == "model":
            fitted[name] = model
        per_speaker = np.array(
            [_score(kind, model, X, y, groups, tr, te) for tr, te in loso]
        )
        print(
            f"| {name} | {official_score:.4f} | {per_speaker.mean():.4f} | "
            + " ".join(f"{s:.3f}" for s in per_speaker)
            + f" | {time.perf_counter() - start:.0f} |",
            flush=True,
        )
    return X, y, groups, official


def missing_modalities(X, y, groups, official):
    train, test = official
    models = _models(GroupKFold(5))
    late = models["late: learned weights, geometric mean"][1].fit(
        X.iloc[train], y[train], groups=groups[train]
    )
    stacking = models["late: stacking (LR)"][1].fit(
        X.iloc[train], y[train], groups=groups[train]
    )
    alone = {
        name: _modality_model().fit(X[[name]].iloc[train], y[train])
        for name in ("image", "audio")
    }
    rng = np.random.default_rng(0)
    print("\nMissing modalities at test time (official split, clean images)\n")
    print(
        "| missing | rate | remaining alone | late, learned geometric weights | "
        "late, stacking (LR) | rows predicted |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for missing, remaining in (("audio", "image"), ("image", "audio")):
        for rate in (0.1, 0.3, 0.5):
            X_test = X.iloc[test].copy()
            drop = rng.random(len(test)) < rate
            X_test.loc[X_test.index[drop], missing] = None
            predictions = late.predict(X_test)
            print(
                f"| {missing} | {rate:.0%} | "
                f"{alone[remaining].score(X_test[[remaining]], y[test]):.4f} | "
                f"{np.mean(predictions == y[test]):.4f} | "
                f"{stacking.score(X_test, y[test]):.4f} | "
                f"{len(predictions)} of {len(test)} |"
            )


def wikipedia(data_dir):
    wiki = load_wikipedia_xmodal(Path(data_dir) / "wikipedia")
    y_train, y_test = np.asarray(wiki.target_train), np.asarray(wiki.target_test)

    def table(image, text):
        return pd.DataFrame({"image": list(image), "text": list(text)})

    X_train = table(wiki.image_train, wiki.text_train)
    X_test = table(wiki.image_test, wiki.text_test)
    base = [
        ("image", _modality_model(), "image"),
        ("text", _modality_model(), "text"),
    ]
    print("\nWikipedia category accuracy (693 test documents)\n")
    print("| model | accuracy |")
    print("| --- | ---: |")
    for name in ("text", "image"):
        model = _modality_model().fit(X_train[[name]], y_train)
        print(f"| {name} only | {model.score(X_test[[name]], y_test):.4f} |")
    for label, params in (
        ("late: mean", dict(fusion="mean")),
        (
            "late: learned weights, arithmetic mean",
            dict(fusion="weighted", weights="learn"),
        ),
        ("late: product", dict(fusion="product")),
        (
            "late: learned weights, geometric mean",
            dict(fusion="product", weights="learn"),
        ),
        ("late: stacking (LR)", dict(fusion="stacking")),
    ):
        model = LateFusionClassifier(base, cv=5, **params).fit(X_train, y_train)
        print(f"| {label} | {model.score(X_test, y_test):.4f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DEFAULT_DATA)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    X, y, groups, official = av_digits(args.data, 0.0)
    missing_modalities(X, y, groups, official)
    av_digits(args.data, 0.75)
    wikipedia(args.data)


if __name__ == "__main__":
    main()
