"""Element-wise fusion in a common space against block-weighted concatenation.

1. AV digits (``make_av_digits``, pairing seed 0) with AV-MNIST's degraded
   images (75% of the pixel variance removed), leave-one-speaker-out (mean
   accuracy over the six held-out speakers). Features as in
   ``bench_fusion.py``: HOG (4x4-pixel cells) of the image, the trimmed
   MFCC pyramid (mean/std/min/max over the clip and its fifths) of the
   audio.
2. Clip art (``../shared/data/openclipart``, 1,968 images of 15 categories):
   the title (TF-IDF, then ``TruncatedSVD(100)``, fitted per fold) and the
   image (composited onto white, grey, resized to fit 64x64 keeping the
   aspect ratio and padded with white, HOG with 8x8-pixel cells); stratified
   5-fold cross-validation (seed 0), accuracy and macro F1.

Every model standardises each modality's block, fuses, and ends in the same
``LogisticRegression(max_iter=3000)``: block-weighted concatenation of the
standardised raw features (``BlockScaler``, each block to unit total
variance), and ``CommonSpaceFusion`` with 20 dimensions per modality
(generalized CCA with ``reg=0.1``, whitened PCA, or PLS onto the classes) by
sum, Hadamard product and concatenation, on blocks first reduced to 128
dimensions by PCA (the title's is 100-d already). No setting is tuned. Timings were
taken on a shared, loaded machine.

Run: ``PYTHONPATH=. python benchmarks/bench_elementwise_fusion.py [--data DIR]``.
"""

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from bench_fusion import _features
from PIL import Image
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA, TruncatedSVD
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import LeaveOneGroupOut, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skmm.datasets import make_av_digits
from skmm.fusion import BlockScaler, CommonSpaceFusion
from skmm.image import HOG

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
WIDTH = 20
# The clip art holds posters of up to 169 megapixels: local, trusted files.
Image.MAX_IMAGE_PIXELS = None
REDUCED = 128
IMAGE_SIZE = 64


def _models(columns):
    """Name -> unfitted pipeline; ``columns(reduce)`` builds the
    ColumnTransformer, with each block reduced by PCA when ``reduce``."""
    models = {"block-weighted concatenation (raw)": BlockScaler(columns(False))}
    for projection in ("gcca", "pca", "pls"):
        for combine in ("sum", "product", "concat"):
            models[f"{projection}, {combine}"] = CommonSpaceFusion(
                columns(True),
                projection=projection,
                n_components=WIDTH,
                combine=combine,
                reg=0.1,
                random_state=0,
            )
    return {
        name: make_pipeline(fusion, LogisticRegression(max_iter=3000))
        for name, fusion in models.items()
    }


def _standardised(reduce):
    """StandardScaler, then PCA to REDUCED dimensions when ``reduce``."""
    if not reduce:
        return StandardScaler()
    return make_pipeline(StandardScaler(), PCA(REDUCED, random_state=0))


def _evaluate(models, X, y, splits):
    print("| fusion | accuracy | macro F1 | time (s) |")
    print("| --- | ---: | ---: | ---: |")
    for name, model in models.items():
        start = time.perf_counter()
        accuracies, f1s = [], []
        for train, test in splits:
            model.fit(X.iloc[train], y[train])
            predicted = model.predict(X.iloc[test])
            accuracies.append(np.mean(predicted == y[test]))
            f1s.append(f1_score(y[test], predicted, average="macro"))
        print(
            f"| {name} | {np.mean(accuracies):.4f} | {np.mean(f1s):.4f} "
            f"| {time.perf_counter() - start:.0f} |",
            flush=True,
        )


def _array_columns(frame):
    """One float column per feature of each vector-valued column."""
    parts = []
    for name in frame.columns:
        values = np.stack(list(frame[name]))
        parts.append(
            pd.DataFrame(values, columns=[f"{name}{i}" for i in range(values.shape[1])])
        )
    return pd.concat(parts, axis=1)


def av_digits(data_dir):
    bunch = make_av_digits(
        data_dir / "fsdd", data_dir / "mnist", image_energy_removed=0.75
    )
    X = _array_columns(_features(bunch))
    y = np.asarray(bunch.target)
    groups = np.asarray(bunch.groups)

    def columns(reduce):
        return ColumnTransformer(
            [
                (
                    name,
                    _standardised(reduce),
                    [c for c in X.columns if c.startswith(name)],
                )
                for name in ("image", "audio")
            ]
        )

    print(
        "AV digits, degraded images (75% energy removed), leave-one-speaker-out "
        f"({len(y)} samples, 6 folds), mean over the held-out speakers:\n"
    )
    _evaluate(_models(columns), X, y, list(LeaveOneGroupOut().split(X, y, groups)))


def _clipart_image(path):
    """Composited onto white, grey, fitted into IMAGE_SIZE keeping aspect."""
    with Image.open(path) as image:
        rgba = image.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    grey = Image.alpha_composite(white, rgba).convert("L")
    grey.thumbnail((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.LANCZOS)
    canvas = Image.new("L", (IMAGE_SIZE, IMAGE_SIZE), 255)
    canvas.paste(
        grey, ((IMAGE_SIZE - grey.width) // 2, (IMAGE_SIZE - grey.height) // 2)
    )
    return np.asarray(canvas)


def clipart(data_dir):
    folder = data_dir / "openclipart"
    items = pd.read_csv(folder / "items.csv", keep_default_na=False)
    images = [_clipart_image(folder / path) for path in items["image"]]
    hog = HOG(pixels_per_cell=(8, 8), cells_per_block=(2, 2)).fit_transform(images)
    X = pd.concat(
        [
            items[["title"]],
            pd.DataFrame(hog, columns=[f"image{i}" for i in range(hog.shape[1])]),
        ],
        axis=1,
    )
    y = items["category"].to_numpy()
    image_columns = [c for c in X.columns if c.startswith("image")]

    def columns(reduce):
        return ColumnTransformer(
            [
                (
                    "title",
                    make_pipeline(
                        TfidfVectorizer(),
                        TruncatedSVD(100, random_state=0),
                        StandardScaler(),
                    ),
                    "title",
                ),
                ("image", _standardised(reduce), image_columns),
            ]
        )

    print(
        f"\nClip art, title + image ({len(y)} samples, {len(set(y))} categories), "
        "stratified 5-fold cross-validation (seed 0):\n"
    )
    splits = list(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y))
    _evaluate(_models(columns), X, y, splits)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    # Multithreaded BLAS thrashes a busy machine on matrices this size.
    with threadpool_limits(limits=1, user_api="blas"):
        av_digits(args.data)
        clipart(args.data)


if __name__ == "__main__":
    main()
