"""The one-line MultimodalClassifier on the clip-art set, against each modality.

``load_openclipart`` on ``../shared/data/openclipart`` (1,968 PNGs with their
titles, 15 categories), stratified 5-fold cross-validation (shuffled, seed
0): accuracy, macro F1 and the wall time of the whole 5-fold run for

- title only: ``make_default_pipeline("text")``;
- image only: ``make_default_pipeline("image")``;
- ``MultimodalClassifier()`` with no arguments (learned late-fusion weights);
- the ablation: the one-liner with each other fusion rule, and with one
  default changed at a time (word unigrams only in the text pipeline, a
  larger HOG cell in the image pipeline), so that each default's
  contribution shows as the difference to the first row.

Timings are of this process on this machine (note its load when you quote
them).

Run: ``PYTHONPATH=. python benchmarks/bench_clipart.py [--data DIR] [--quick]``
(``--quick``: a stratified sample of 400 items, seed 0).
"""

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import (
    StratifiedKFold,
    cross_val_predict,
    train_test_split,
)

from skmm.compose import MultimodalClassifier, make_default_pipeline
from skmm.datasets import load_openclipart
from skmm.exceptions import UnreadableSampleWarning

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def _run(model, X, y, cv):
    start = time.perf_counter()
    y_pred = cross_val_predict(model, X, y, cv=cv)
    seconds = time.perf_counter() - start
    return accuracy_score(y, y_pred), f1_score(y, y_pred, average="macro"), seconds


def _rows(X):
    text_unigrams = make_default_pipeline("text").set_params(tfidf__ngram_range=(1, 1))
    hog16 = make_default_pipeline("image").set_params(hog__pixels_per_cell=(16, 16))
    return [
        ("title only (default text pipeline)", make_default_pipeline("text"), "title"),
        ("image only (default image)", make_default_pipeline("image"), "image"),
        ("MultimodalClassifier()", MultimodalClassifier(), None),
        ("  fusion='mean'", MultimodalClassifier(fusion="mean"), None),
        ("  fusion='product'", MultimodalClassifier(fusion="product"), None),
        ("  fusion='stacking'", MultimodalClassifier(fusion="stacking"), None),
        ("  fusion='early'", MultimodalClassifier(fusion="early"), None),
        (
            "  text: word unigrams only",
            MultimodalClassifier(pipelines={"title": text_unigrams}),
            None,
        ),
        (
            "  image: HOG 16x16 cells",
            MultimodalClassifier(pipelines={"image": hog16}),
            None,
        ),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", type=int, default=None, help="run rows 0..N-1")
    args = parser.parse_args()
    warnings.simplefilter("ignore", UnreadableSampleWarning)
    warnings.simplefilter("ignore", ConvergenceWarning)
    X, y = load_openclipart(args.data / "openclipart", return_X_y=True)
    if args.quick:
        keep, _ = train_test_split(
            np.arange(len(y)), train_size=400, stratify=y, random_state=0
        )
        keep = np.sort(keep)
        X, y = X.iloc[keep].reset_index(drop=True), y[keep]
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    print(f"clip art: {len(y)} items, {np.unique(y).size} categories, 5-fold")
    print(f"{'model':40s} {'accuracy':>9s} {'macro F1':>9s} {'5-fold s':>9s}")
    rows = _rows(X)[: args.only]
    for name, model, columns in rows:  # columns: one column, or the table
        data = X if columns is None else X[columns]
        accuracy, f1, seconds = _run(model, data, y, cv)
        print(f"{name:40s} {accuracy:9.3f} {f1:9.3f} {seconds:9.1f}", flush=True)


if __name__ == "__main__":
    main()
