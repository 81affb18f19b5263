"""The one-line MultimodalClassifier on the clip-art set, against each modality.

``load_openclipart`` on ``../shared/data/openclipart`` (1,968 PNGs with their
titles, 15 categories), stratified 5-fold cross-validation (shuffled, seed
0): accuracy, macro F1 and the wall time of the whole 5-fold run for

- title only: ``make_default_pipeline("text")``;
- image only: ``make_default_pipeline("image")``, its reader cached in
  memory as ``MultimodalClassifier`` caches it;
- ``MultimodalClassifier()`` with no arguments (learned late-fusion weights);
- the ablation: the one-liner with each other fusion rule, and with one
  default changed at a time (the former text default, words and bigrams,
  instead of character n-grams; the
  image pipeline without its colour, shape or texture block, or with a
  finer colour histogram; five inner folds instead of three; the former
  image default, gray HOG of 8x8 cells; no cache of decoded files), so that
  each default's contribution shows as the difference to the one-liner's
  row.

The first three rows and the "no cache" row start from an empty in-process
cache (``skmm.cache._memory.PROCESS_CACHE``): their times include decoding
every file. The other ablation rows find the decoded pictures in the
cache (the "cold" column says which). Timings are of this process on this
machine (note its load when you quote them).

Run: ``PYTHONPATH=. python benchmarks/bench_clipart.py [--data DIR] [--quick]
[--only N]`` (``--quick``: a stratified sample of 400 items, seed 0;
``--only N``: the first N rows).
"""

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import (
    StratifiedKFold,
    cross_val_predict,
    train_test_split,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skmm.cache import CachedTransformer
from skmm.cache._memory import PROCESS_CACHE
from skmm.compose import MultimodalClassifier, make_default_pipeline
from skmm.datasets import load_openclipart
from skmm.exceptions import UnreadableSampleWarning
from skmm.image import HOG, ColorHistogram, ImageReader

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def _run(model, X, y, cv):
    start = time.perf_counter()
    y_pred = cross_val_predict(model, X, y, cv=cv)
    seconds = time.perf_counter() - start
    return accuracy_score(y, y_pred), f1_score(y, y_pred, average="macro"), seconds


def _rows(X):
    def image(**params):
        pipeline = make_default_pipeline("image", memory=PROCESS_CACHE)
        return pipeline.set_params(**params)

    text_words = make_default_pipeline("text").set_params(
        tfidf__analyzer="word", tfidf__ngram_range=(1, 2)
    )
    former_image = Pipeline(
        [
            (
                "read",
                CachedTransformer(
                    ImageReader(
                        color="gray",
                        size=(64, 64),
                        keep_aspect=True,
                        on_error="missing",
                    ),
                    memory=PROCESS_CACHE,
                ),
            ),
            ("hog", HOG(pixels_per_cell=(8, 8), cells_per_block=(2, 2))),
            ("scale", StandardScaler()),
            ("clf", LogisticRegression(C=0.01, max_iter=1000)),
        ]
    )
    # (name, model, column or None for the table, start from an empty cache)
    return [
        ("title only (default text)", make_default_pipeline("text"), "title", True),
        ("image only (default image)", image(), "image", True),
        ("MultimodalClassifier()", MultimodalClassifier(), None, True),
        ("  fusion='mean'", MultimodalClassifier(fusion="mean"), None, False),
        ("  fusion='product'", MultimodalClassifier(fusion="product"), None, False),
        ("  fusion='stacking'", MultimodalClassifier(fusion="stacking"), None, False),
        ("  fusion='early'", MultimodalClassifier(fusion="early"), None, False),
        (
            "  text: words and bigrams (former)",
            MultimodalClassifier(pipelines={"title": text_words}),
            None,
            False,
        ),
        (
            "  image: finer colour (8x8x8 bins, 2x2)",
            MultimodalClassifier(
                pipelines={
                    "image": image(
                        features__colour=ColorHistogram(
                            color_space="hsv", hist_size=8, grid=(2, 2)
                        )
                    )
                }
            ),
            None,
            False,
        ),
        ("  cv=5 (inner folds)", MultimodalClassifier(cv=5), None, False),
        (
            "  image: no colour histogram",
            MultimodalClassifier(pipelines={"image": image(features__colour="drop")}),
            None,
            False,
        ),
        (
            "  image: no HOG",
            MultimodalClassifier(pipelines={"image": image(features__hog="drop")}),
            None,
            False,
        ),
        (
            "  image: no LBP texture",
            MultimodalClassifier(pipelines={"image": image(features__texture="drop")}),
            None,
            False,
        ),
        (
            "  image: former default (gray HOG 8x8)",
            MultimodalClassifier(pipelines={"image": former_image}),
            None,
            False,
        ),
        ("  memory=None (no cache)", MultimodalClassifier(memory=None), None, True),
        ("image only, former default", former_image, "image", False),
        ("title only, words and bigrams (former)", text_words, "title", False),
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
    print(
        f"{'model':40s} {'accuracy':>9s} {'macro F1':>9s} {'5-fold s':>9s} {'cold':>5s}"
    )
    rows = _rows(X)[: args.only]
    for name, model, columns, cold in rows:  # columns: one column, or the table
        data = X if columns is None else X[columns]
        if cold:
            PROCESS_CACHE.clear()
        accuracy, f1, seconds = _run(model, data, y, cv)
        print(
            f"{name:40s} {accuracy:9.3f} {f1:9.3f} {seconds:9.1f} "
            f"{'yes' if cold else 'no':>5s}",
            flush=True,
        )


if __name__ == "__main__":
    main()
