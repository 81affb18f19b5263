"""Modality importance on audio-visual digits, next to what fusion learned.

AV digits (``make_av_digits`` on ``../shared/data``; clean images, then
AV-MNIST's degraded ones with 75% of the pixel variance removed), features
as in ``bench_fusion.py`` (HOG; pooled MFCC frames), plus a third modality of
pure noise (standard normal vectors, independent of the digit). Trained on
the official split's training rows; every number is on its test rows.

For late fusion with learned weights (arithmetic mean; geometric mean) and
for an early-fusion pipeline (a ``ColumnTransformer`` and one logistic
regression), the table gives per modality: the learned weight, the
importance by permutation (mean and standard deviation over 10 repeats) and
by dropping the modality (late fusion only: it handles missing modalities),
and ``ModalityContributionDisplay``'s accuracy alone and decisive share. The
last line says which of these rank the modalities as the importance does:
the learned weight and the decisive share say what the fused model relies
on, the accuracy alone what each modality could do by itself (a modality
better alone can still weigh less when the other is more confident).

Run: ``PYTHONPATH=. python benchmarks/bench_inspection.py [--data DIR]``.
"""

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
from bench_fusion import DEFAULT_DATA, _features, _modality_model, stack_column
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from skmm.datasets import make_av_digits
from skmm.fusion import LateFusionClassifier
from skmm.inspection import modality_importance
from skmm.plotting._contribution import _contributions

MODALITIES = ("image", "audio", "noise")


def _table(data_dir, energy_removed):
    bunch = make_av_digits(
        data_dir / "fsdd", data_dir / "mnist", image_energy_removed=energy_removed
    )
    X = _features(bunch)
    rng = np.random.default_rng(0)
    X["noise"] = list(rng.normal(size=(len(X), 64)))
    return X, np.asarray(bunch.target), np.asarray(bunch.groups), bunch.split


def _late(fusion):
    return LateFusionClassifier(
        [(name, _modality_model(), name) for name in MODALITIES],
        fusion=fusion,
        weights="learn",
        cv=GroupKFold(5),
    )


def _early():
    return make_pipeline(
        ColumnTransformer(
            [
                (
                    name,
                    make_pipeline(FunctionTransformer(stack_column), StandardScaler()),
                    [name],
                )
                for name in MODALITIES
            ]
        ),
        LogisticRegression(max_iter=3000),
    )


def _report(label, model, X_test, y_test):
    start = time.perf_counter()
    permuted = modality_importance(model, X_test, y_test, n_repeats=10, random_state=0)
    late = hasattr(model, "weights_")
    dropped = None
    if late:
        dropped = modality_importance(model, X_test, y_test, strategy="drop")
        accuracy, decisive, fused = _contributions(
            y_test,
            model.predict(X_test),
            model.predict_proba_per_modality(X_test),
            model.classes_,
        )
    print(f"\n{label}: test accuracy {permuted.baseline_score:.4f}\n")
    print(
        "| modality | learned weight | importance, permuted | importance, dropped "
        "| accuracy alone | decisive share |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for m, name in enumerate(permuted.modality_names):
        row = [
            name,
            f"{model.weights_[m]:.3f}" if late else "-",
            f"{permuted.importances_mean[m]:.4f} ± {permuted.importances_std[m]:.4f}",
            f"{dropped.importances_mean[m]:.4f}" if late else "-",
            f"{accuracy[m]:.4f}" if late else "-",
            f"{decisive[m]:.4f}" if late else "-",
        ]
        print("| " + " | ".join(row) + " |")
    order = list(np.argsort(-permuted.importances_mean, kind="stable"))
    names = " > ".join(permuted.modality_names[m] for m in order)
    line = f"\nOrder by importance (permuted): {names}."
    if late:
        others = {
            "learned weight": model.weights_,
            "decisive share": decisive,
            "importance (dropped)": dropped.importances_mean,
            "accuracy alone": accuracy,
        }
        for key, values in others.items():
            same = list(np.argsort(-values, kind="stable")) == order
            line += f" Same order by {key}: {'yes' if same else 'no'}."
        line += f" Fused accuracy {fused:.4f}."
    print(f"{line} ({time.perf_counter() - start:.0f} s)", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DEFAULT_DATA, type=Path)
    args = parser.parse_args()
    data_dir = args.data
    warnings.simplefilter("ignore", ConvergenceWarning)
    for energy_removed in (0.0, 0.75):
        X, y, groups, split = _table(data_dir, energy_removed)
        train, test = split == "train", split == "test"
        X_train, X_test = X[train], X[test].reset_index(drop=True)
        images = "degraded images" if energy_removed else "clean images"
        for label, model in (
            ("late fusion, learned weights, arithmetic mean", _late("weighted")),
            ("late fusion, learned weights, geometric mean", _late("product")),
        ):
            model.fit(X_train, y[train], groups=groups[train])
            _report(f"AV digits, {images}, {label}", model, X_test, y[test])
        early = _early().fit(X_train, y[train])
        _report(f"AV digits, {images}, early fusion", early, X_test, y[test])


if __name__ == "__main__":
    main()
