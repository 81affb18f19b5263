"""Parallelism that pays: ``cross_val_score`` with ``n_jobs=1`` against 2.

As a new user would try it: a 3-fold ``cross_val_score`` on the embedded
multimodal digits (``make_multimodal_digits``) of

a. late fusion by mean (the demo's: TF-IDF, HOG, MFCC, one logistic
   regression per modality);
b. late fusion with learned weights (the demo's: geometric pool, an inner
   5-fold cross-validation);
c. an MFCC/HOG pipeline: ``ColumnTransformer`` of HOG on the image and MFCC
   on the sound, then logistic regression, the extractors asked for
   ``n_jobs=-1`` (every core, inside each of the outer workers).

Every (case, ``n_jobs``) runs in a fresh interpreter, so ``n_jobs=2`` pays
for starting its workers as a user's first call does ("cold"); the same call
again in that interpreter gives the "warm" time. The ratio is the time with
``n_jobs=2`` over the time with ``n_jobs=1``: below 1 pays, above 1 is what
the thread budget of ``skmm.utils._parallel`` is there to prevent (workers
each running every core's worth of BLAS, OpenMP and Numba threads). The
table also says how many threads the workers saw.

Run: ``PYTHONPATH=. python benchmarks/bench_parallel.py [--cases a b c]``.
"""

import argparse
import json
import os
import subprocess
import sys
import time

from joblib import cpu_count

CASES = {
    "a": "late fusion, mean",
    "b": "late fusion, learned weights",
    "c": "MFCC/HOG pipeline, extractors n_jobs=-1",
}


def _model(case):
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skmm._cli import _embedded_blocks, _models
    from skmm.audio import MFCC
    from skmm.image import HOG

    if case in ("a", "b"):
        # The demo's late fusion on the embedded digits (inner 5-fold cv),
        # with one of its rules (the demo cross-validates them together).
        late = _models(_embedded_blocks(0), 5, 0)["late fusion"]
        rule = "late: mean" if case == "a" else "late: learned weights"
        return late.estimator.set_params(**late.rules[rule])
    return make_pipeline(
        ColumnTransformer(
            [
                (
                    "image",
                    make_pipeline(
                        HOG(pixels_per_cell=(4, 4), cells_per_block=(2, 2), n_jobs=-1),
                        StandardScaler(),
                    ),
                    "image",
                ),
                (
                    "audio",
                    make_pipeline(
                        MFCC(sr=8000, n_fft=1024, hop_length=256, n_jobs=-1),
                        StandardScaler(),
                    ),
                    "audio",
                ),
            ]
        ),
        LogisticRegression(max_iter=2000),
    )


def _threads_seen():
    """What a worker's task sees: skmm's workers for n_jobs=-1, Numba's and
    the BLAS threads."""
    import numba
    from threadpoolctl import threadpool_info

    from skmm.utils._parallel import n_workers

    blas = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    return n_workers(-1), numba.get_num_threads(), max(blas, default=0)


def _child(case, n_jobs):
    """Time the case twice in this fresh interpreter; print JSON."""
    from joblib import Parallel, delayed
    from sklearn.model_selection import cross_val_score

    from skmm.datasets import make_multimodal_digits

    digits = make_multimodal_digits(random_state=0)
    X, y = digits.data, digits.target
    model = _model(case)
    times = []
    for _ in range(2):
        start = time.perf_counter()
        scores = cross_val_score(model, X, y, cv=3, n_jobs=n_jobs)
        times.append(time.perf_counter() - start)
    seen = Parallel(n_jobs=n_jobs)(delayed(_threads_seen)() for _ in range(n_jobs))
    print(
        json.dumps(
            {
                "cold": times[0],
                "warm": times[1],
                "accuracy": scores.mean(),
                "seen": seen,
            }
        )
    )


def _run(case, n_jobs):
    output = subprocess.run(
        [sys.executable, __file__, "--child", case, str(n_jobs)],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=CASES)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], int(args.child[1]))
        return
    print(f"{cpu_count()} cores; 3-fold cross_val_score on the embedded digits")
    print(
        "| case | n_jobs=1 cold | n_jobs=2 cold | ratio cold | n_jobs=1 warm "
        "| n_jobs=2 warm | ratio warm | threads in a worker (skmm, Numba, BLAS) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for case in args.cases:
        one, two = _run(case, 1), _run(case, 2)
        assert abs(one["accuracy"] - two["accuracy"]) < 1e-9, (one, two)
        print(
            f"| {CASES[case]} | {one['cold']:.1f} s | {two['cold']:.1f} s | "
            f"{two['cold'] / one['cold']:.2f} | {one['warm']:.1f} s | "
            f"{two['warm']:.1f} s | {two['warm'] / one['warm']:.2f} | "
            f"{tuple(two['seen'][0])} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
