"""Clip-art categories from the pictures alone: colour, texture, HOG, dense
SIFT + VLAD with and without a spatial pyramid, and their early fusion.

The clip-art set of ``../shared/data/openclipart`` (1,968 PNGs, 15
categories), stratified 5-fold cross-validation (shuffled, seed 0) as its
README says; accuracy and macro F1, mean ± standard deviation over the folds.

Pictures are read with OpenCV keeping their alpha channel, composited onto
white (transparent clip art has arbitrary colours under alpha 0, which
``ImageReader`` would keep as it drops alpha; posters are first shrunk to
512 pixels on their longer side), then resized by
:class:`~skmm.image.ImageReader` to fit 128x128 keeping the aspect ratio,
padded with white. The extractors learn nothing and run once up front;
every learned step (codebooks, classifier) is fitted inside each training
fold. Each block of features is L2-normalised per picture, so that in the
fusion every block weighs the same; the classifier is a linear SVM.

Colour histograms and LBP rows need ``skmm.image.ColorHistogram`` and
``skmm.image.LBP``; where this installation lacks them, the rows are left
out with a note.

    PYTHONPATH=. python benchmarks/bench_clipart_images.py [--data DIR]
"""

import argparse
import time
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, Normalizer
from sklearn.svm import LinearSVC

import skmm.image
from skmm.encode import VLAD, SpatialPyramid
from skmm.image import HOG, DenseSIFT, ImageReader

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "openclipart"
SIZE = 128


def composited(path):
    """A PNG as RGB uint8, transparency composited onto white."""
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ValueError(f"cannot read {path}")
    if image.dtype == np.uint16:
        image = (image / 257.0).round().astype(np.uint8)
    # Posters are shrunk first (to 4x the working size), so that no picture
    # needs gigabytes of floats.
    longest = max(image.shape[:2])
    if longest > 4 * SIZE:
        scale = 4 * SIZE / longest
        image = cv2.resize(
            image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA
        )
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    if image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    rgb = cv2.cvtColor(image[:, :, :3], cv2.COLOR_BGR2RGB).astype(np.float32)
    alpha = image[:, :, 3:].astype(np.float32) / 255.0
    return np.rint(rgb * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)


def load(directory):
    items = pd.read_csv(Path(directory) / "items.csv")
    reader = ImageReader(
        color="rgb", size=(SIZE, SIZE), keep_aspect=True, pad_value=255, dtype="uint8"
    ).fit()

    def read(path):
        return np.asarray(reader.transform([composited(Path(directory) / path)])[0])

    # Decoding dominates; OpenCV releases the GIL.
    rgb = Parallel(n_jobs=-1, prefer="threads")(
        delayed(read)(path) for path in items["image"]
    )
    gray = [cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) for image in rgb]
    return rgb, gray, items["category"].to_numpy()


def hellinger():
    return make_pipeline(FunctionTransformer(np.sqrt), Normalizer())


def blocks(rgb, gray):
    """name -> (features or descriptor sets, learned steps' factory)."""
    out = {}
    if hasattr(skmm.image, "ColorHistogram"):
        colour = skmm.image.ColorHistogram(
            color_space="hsv", hist_size=8, joint=True, grid=(2, 2), n_jobs=-1
        )
        out["colour histogram (HSV 8^3, 2x2 grid)"] = (
            colour.fit_transform(rgb),
            hellinger,
        )
    if hasattr(skmm.image, "LBP"):
        lbp = skmm.image.LBP(P=8, R=1.0, method="uniform", grid=(4, 4), n_jobs=-1)
        out["LBP (8, 1, uniform, 4x4 grid)"] = (lbp.fit_transform(gray), hellinger)
    hog = HOG(pixels_per_cell=(16, 16), cells_per_block=(2, 2), n_jobs=-1)
    out["HOG (16x16 cells, 2x2 blocks)"] = (hog.fit_transform(gray), Normalizer)
    sift = DenseSIFT(step=8, size=8, positions=True, n_jobs=-1).fit_transform(gray)
    out["dense SIFT + VLAD(32)"] = (
        sift,
        lambda: make_pipeline(VLAD(n_clusters=32, random_state=0), Normalizer()),
    )
    out["dense SIFT + VLAD(32), pyramid 1x1 + 2x2"] = (
        sift,
        lambda: SpatialPyramid(VLAD(n_clusters=32, random_state=0), levels=(1, 2)),
    )
    out["dense SIFT + VLAD(16), pyramid 1x1 + 2x2 + 4x4"] = (
        sift,
        lambda: SpatialPyramid(VLAD(n_clusters=16, random_state=0), levels=(1, 2, 4)),
    )
    return out


def take(features, rows):
    if isinstance(features, list):
        return [features[i] for i in rows]
    return features[rows]


def evaluate(parts, y, cv):
    """Mean and std over folds of accuracy and macro F1 of a linear SVM on
    the horizontally stacked, per-fold fitted blocks."""
    accuracies, f1s = [], []
    width = 0
    for train, test in cv.split(np.zeros(len(y)), y):
        train_blocks, test_blocks = [], []
        for features, factory in parts:
            step = factory()
            train_blocks.append(step.fit_transform(take(features, train), y[train]))
            test_blocks.append(step.transform(take(features, test)))
        X_train, X_test = np.hstack(train_blocks), np.hstack(test_blocks)
        width = X_train.shape[1]
        predicted = LinearSVC(C=1.0).fit(X_train, y[train]).predict(X_test)
        accuracies.append(accuracy_score(y[test], predicted))
        f1s.append(f1_score(y[test], predicted, average="macro"))
    return np.mean(accuracies), np.std(accuracies), np.mean(f1s), np.std(f1s), width


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DEFAULT_DATA)
    args = parser.parse_args()
    if not (Path(args.data) / "items.csv").is_file():
        print(f"clip art not found at {args.data}; nothing to do")
        return
    start = time.perf_counter()
    rgb, gray, y = load(args.data)
    print(
        f"clip art: {len(y)} pictures, {len(set(y))} categories, read in "
        f"{time.perf_counter() - start:.0f} s; stratified 5-fold CV (seed 0)\n"
    )
    for missing in ("ColorHistogram", "LBP"):
        if not hasattr(skmm.image, missing):
            print(f"(skmm.image.{missing} not in this installation: row left out)")
    start = time.perf_counter()
    features = blocks(rgb, gray)
    print(f"features extracted in {time.perf_counter() - start:.0f} s\n")
    fused = [
        name
        for name in features
        if not name.startswith("dense SIFT") or name.endswith("1x1 + 2x2")
    ]
    rows = [(name, [features[name]]) for name in features]
    rows.append(("early fusion: " + " + ".join(fused), [features[n] for n in fused]))
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    print("| features | dims | accuracy | macro F1 | time (s) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, parts in rows:
        start = time.perf_counter()
        acc, acc_std, f1, f1_std, width = evaluate(parts, y, cv)
        print(
            f"| {name} | {width} | {acc:.3f} ± {acc_std:.3f} | "
            f"{f1:.3f} ± {f1_std:.3f} | {time.perf_counter() - start:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
