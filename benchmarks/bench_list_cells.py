"""Several images per sample: MNIST digits grouped 1 to 3 to a cell.

Each sample is a digit class with one to three different MNIST images of it
(sizes drawn uniformly, seed 0, every image used once), as a product has
several photos. The same samples are classified from their first image only
(one image per sample) and from all their images through
``PerItem(HOG, pooling=...)``, which reads every image of the batch in one
HOG call and pools each sample's vectors. Stratified 5-fold cross-validation
(seed 0), the same folds for every row; accuracy and macro F1.

The last columns time the feature extraction of all cells: ``PerItem``'s one
batched call against calling the same HOG once per cell (what a
``FunctionTransformer`` over cells would do), and their ratio.

Run: ``PYTHONPATH=. python benchmarks/bench_list_cells.py [--mnist DIR]``.
"""

import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmm.compose import PerItem
from skmm.datasets import load_mnist_csv
from skmm.image import HOG

DEFAULT_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
HOG_PARAMS = dict(orientations=9, pixels_per_cell=(7, 7), cells_per_block=(2, 2))


def group_digits(images, target, *, max_items=3, random_state=0):
    """Cells of 1 to ``max_items`` images of one digit, each image used once."""
    rng = np.random.default_rng(random_state)
    cells, labels = [], []
    for digit in np.unique(target):
        pool = list(rng.permutation(np.flatnonzero(target == digit)))
        while pool:
            size = min(int(rng.integers(1, max_items + 1)), len(pool))
            cells.append([images[i] for i in pool[:size]])
            labels.append(digit)
            pool = pool[size:]
    order = rng.permutation(len(cells))
    return [cells[i] for i in order], np.asarray(labels)[order]


def _model(pooling):
    return make_pipeline(
        PerItem(HOG(**HOG_PARAMS), pooling=pooling),
        StandardScaler(),
        LogisticRegression(max_iter=2000, C=0.1),
    )


def _timing(cells, repeats=3):
    """Seconds for PerItem's one batched call and for one HOG call per cell."""
    per_item = PerItem(HOG(**HOG_PARAMS))
    hog = HOG(**HOG_PARAMS)
    per_item.transform(cells[:5])  # compile outside the timing
    batched = per_cell = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        per_item.transform(cells)
        batched = min(batched, time.perf_counter() - start)
        start = time.perf_counter()
        np.vstack([hog.transform(cell).mean(axis=0) for cell in cells])
        per_cell = min(per_cell, time.perf_counter() - start)
    return batched, per_cell


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mnist", default=DEFAULT_MNIST, type=Path)
    args = parser.parse_args(argv)
    mnist = load_mnist_csv(args.mnist)
    cells, y = group_digits(mnist.images, mnist.target)
    firsts = [cell[:1] for cell in cells]
    sizes = np.bincount([len(cell) for cell in cells])[1:]
    print(
        f"{len(cells)} samples from {len(mnist.target)} MNIST digits; cells of "
        f"1/2/3 images: {'/'.join(str(n) for n in sizes)}"
    )
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    rows = [
        ("one image per sample (the first)", firsts, "mean"),
        ("all images, PerItem mean", cells, "mean"),
        ("all images, PerItem mean+max", cells, ["mean", "max"]),
    ]
    header = (
        f"{'setting':<34} {'accuracy':>9} {'macro F1':>9} {'batched s':>10} "
        f"{'per cell s':>11} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    for name, X, pooling in rows:
        scores = cross_validate(
            _model(pooling), X, y, cv=cv, scoring=("accuracy", "f1_macro")
        )
        batched, per_cell = _timing(X)
        print(
            f"{name:<34} {scores['test_accuracy'].mean():>9.3f} "
            f"{scores['test_f1_macro'].mean():>9.3f} {batched:>10.3f} "
            f"{per_cell:>11.3f} {per_cell / batched:>5.1f}x"
        )


if __name__ == "__main__":
    main()
