"""Co-training on audio-visual digits with 5% of the training rows labelled.

AV digits (``make_av_digits`` on ``../shared/data``; clean images, then
AV-MNIST's degraded ones with 75% of the pixel variance removed), features
as in ``bench_fusion.py`` (HOG; pooled MFCC frames), each modality's model
StandardScaler + logistic regression. Of the official split's training rows,
5% keep their label (stratified draw; three draws, seeds 0, 1, 2) and the
rest get -1. Test accuracy on the official test rows, mean (and range) over
the draws, of:

- supervised training on the labelled rows only: each modality alone, and
  late fusion by mean of the two;
- scikit-learn's ``SelfTrainingClassifier`` on each modality alone (its
  defaults: threshold 0.75, at most 10 rounds);
- ``CoTrainingClassifier`` (threshold 0.75 and 0.9; k_best 20 per round
  shared among classes, 30 rounds), its predictions the mean of the two
  modalities' probabilities.

The last columns say how many unlabelled rows co-training labelled and how
many of those labels were right.

Run: ``PYTHONPATH=. python benchmarks/bench_cotraining.py [--data DIR]
[--seeds N] [--energy-removed 0 0.75]``.
"""

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
from bench_fusion import DEFAULT_DATA, _features, _modality_model
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.semi_supervised import SelfTrainingClassifier

from skmm.datasets import make_av_digits
from skmm.fusion import CoTrainingClassifier, LateFusionClassifier

MODALITIES = ("image", "audio")


def _co(**params):
    return CoTrainingClassifier(
        [(name, _modality_model(), name) for name in MODALITIES], **params
    )


def _models():
    models = {
        "co-training, threshold 0.75": ("all", None, _co()),
        "co-training, threshold 0.9": ("all", None, _co(threshold=0.9)),
        "co-training, k_best 20, 30 rounds": (
            "all",
            None,
            _co(criterion="k_best", k_best=20, max_iter=30),
        ),
    }
    for name in MODALITIES:
        models[f"supervised, {name} only"] = ("labelled", name, _modality_model())
    models["supervised, late fusion (mean)"] = (
        "labelled",
        None,
        LateFusionClassifier([(n, _modality_model(), n) for n in MODALITIES]),
    )
    for name in MODALITIES:
        models[f"self-training, {name} only"] = (
            "features",
            name,
            SelfTrainingClassifier(
                make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000))
            ),
        )
    return models


def _accuracy(kind, column, model, X_train, y_partial, X_test, y_test):
    """Test accuracy, and (labelled by co-training, of them right)."""
    labelled = y_partial != -1
    if kind == "labelled":
        data = X_train[[column]] if column else X_train
        model.fit(data[labelled], y_partial[labelled])
        return model.score(X_test[[column]] if column else X_test, y_test), None
    if kind == "features":
        features = np.stack(list(X_train[column]))
        model.fit(features, y_partial)
        return model.score(np.stack(list(X_test[column])), y_test), None
    model.fit(X_train, y_partial)
    return model.score(X_test, y_test), model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DEFAULT_DATA, type=Path)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--energy-removed", type=float, nargs="+", default=[0.0, 0.75])
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    for energy_removed in args.energy_removed:
        bunch = make_av_digits(
            args.data / "fsdd",
            args.data / "mnist",
            image_energy_removed=energy_removed,
        )
        X, y = _features(bunch), np.asarray(bunch.target)
        train, test = bunch.split == "train", bunch.split == "test"
        X_train, y_train = X[train].reset_index(drop=True), y[train]
        X_test, y_test = X[test].reset_index(drop=True), y[test]
        images = "degraded images" if energy_removed else "clean images"
        print(
            f"\nAV digits, {images}: {len(y_train)} training rows, 5% labelled; "
            f"{len(y_test)} test rows\n"
        )
        print(
            "| model | test accuracy (mean) | min - max | rows labelled by "
            "co-training | of them right | time (s) |"
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        partial = []
        for seed in range(args.seeds):
            keep, _ = train_test_split(
                np.arange(len(y_train)),
                train_size=0.05,
                stratify=y_train,
                random_state=seed,
            )
            y_partial = np.full(len(y_train), -1)
            y_partial[keep] = y_train[keep]
            partial.append(y_partial)
        for label, (kind, column, model) in _models().items():
            start = time.perf_counter()
            scores, added, right = [], [], []
            for y_partial in partial:
                score, fitted = _accuracy(
                    kind, column, model, X_train, y_partial, X_test, y_test
                )
                scores.append(score)
                if fitted is not None:
                    assigned = fitted.labeled_iter_ > 0
                    added.append(assigned.sum())
                    right.append(
                        np.mean(fitted.transduction_[assigned] == y_train[assigned])
                    )
            extra = f"{np.mean(added):.0f} | {np.mean(right):.3f}" if added else "- | -"
            print(
                f"| {label} | {np.mean(scores):.4f} | {min(scores):.4f} - "
                f"{max(scores):.4f} | {extra} | "
                f"{(time.perf_counter() - start) / len(partial):.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
