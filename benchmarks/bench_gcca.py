"""Generalized CCA against pairwise CCA on three modalities, and on Wikipedia.

(i) AV digits plus text: every FSDD clip paired with an MNIST image of the
same digit (``make_av_digits``, pairing seed 0) and a short generated text
about the digit (seed 0): 8 tokens, each a word naming the digit (English,
numeral, German, Spanish or French) with probability 0.25, a word naming
another digit with probability 0.15, else one of 300 noise words. Official
FSDD split (takes 0-4: 300 test samples; 5-49: 2,700 training samples).
Features: audio as in ``bench_retrieval_av.py`` (trimmed MFCC pyramid),
standardised, PCA to 128; image HOG (4x4 cells, 2x2 blocks), PCA to 128;
text TF-IDF. For every ordered pair of modalities, items of one query the
300 test items of the other; MAP, relevant = same digit.

Generalized CCA (``GeneralizedCCA``, one common space for all three) against
pairwise CCA (``CrossModalCCA``, one per pair), both tuned over ``k`` and
``reg`` on the training set only (fitted on takes 15-49, scored on takes
5-14; GCCA by the mean MAP of the six pairs, each pairwise CCA by the mean of
its two directions), then refitted on all training samples. Then the same
with 30% and with 60% of each modality's training cells missing
(independently, seed 0; a sample left with none gets one back): GCCA fits on
every sample through the modalities it has, a pairwise CCA only on the
samples that hold both of its modalities. The learned steps (scaler, PCA,
TF-IDF) are fitted on the training samples holding their modality. The test
set is complete.

(ii) Wikipedia (693 test pairs, the data set's precomputed features: SIFT
histograms, square-rooted, and 1000-d TF-IDF): ``GeneralizedCCA`` with the
category indicators as a third, label view (Gong et al. 2014), tuned on a
70/30 split of the training set; optionally a chi-squared Nystroem map of
the image histograms. MAP image query / text query against semantic matching
(0.332 / 0.255, ``bench_retrieval.py``), the best skmm method before.

Run: ``PYTHONPATH=. python benchmarks/bench_gcca.py [--fsdd DIR --mnist DIR
--wikipedia DIR]``.
"""

import argparse
import time
from itertools import product
from pathlib import Path

import numpy as np
from bench_retrieval_av import (
    DEFAULT_FSDD,
    DEFAULT_MNIST,
    VALIDATION_TAKES,
    _audio_front_end,
)
from sklearn.decomposition import PCA
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.kernel_approximation import Nystroem
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from threadpoolctl import threadpool_limits

from skmm.datasets import load_wikipedia_xmodal, make_av_digits
from skmm.image import HOG
from skmm.metrics import mean_average_precision
from skmm.retrieval import CrossModalCCA, GeneralizedCCA

DEFAULT_WIKIPEDIA = DEFAULT_FSDD.parent / "wikipedia"
MODALITIES = ("audio", "image", "text")
GRID = {"n_components": (9, 20), "reg": (1e-2, 1e-1, 1.0)}
MISSING_RATES = (0.3, 0.6)

DIGIT_WORDS = [
    ["zero", "0", "null", "cero", "zéro"],
    ["one", "1", "eins", "uno", "un"],
    ["two", "2", "zwei", "dos", "deux"],
    ["three", "3", "drei", "tres", "trois"],
    ["four", "4", "vier", "cuatro", "quatre"],
    ["five", "5", "fünf", "cinco", "cinq"],
    ["six", "6", "sechs", "seis", "six_fr"],
    ["seven", "7", "sieben", "siete", "sept"],
    ["eight", "8", "acht", "ocho", "huit"],
    ["nine", "9", "neun", "nueve", "neuf"],
]


def make_texts(y, seed=0, n_tokens=8, p_digit=0.25, p_other=0.15, n_noise=300):
    """One noisy generated text per label of ``y`` (see the module doc)."""
    rng = np.random.default_rng(seed)
    noise = [f"w{i:03d}" for i in range(n_noise)]
    texts = []
    for digit in y:
        tokens = []
        for draw in rng.random(n_tokens):
            if draw < p_digit:
                tokens.append(rng.choice(DIGIT_WORDS[digit]))
            elif draw < p_digit + p_other:
                other = (digit + rng.integers(1, 10)) % 10
                tokens.append(rng.choice(DIGIT_WORDS[other]))
            else:
                tokens.append(rng.choice(noise))
        texts.append(" ".join(tokens))
    return texts


def _missing_mask(n, rate, seed=0):
    """(3, n) presence of each modality with ``rate`` of its cells missing."""
    rng = np.random.default_rng(seed)
    present = rng.random((len(MODALITIES), n)) >= rate
    empty = np.flatnonzero(~present.any(axis=0))
    present[rng.integers(0, len(MODALITIES), empty.size), empty] = True
    return present


def _learned_steps():
    return {
        "audio": make_pipeline(StandardScaler(), PCA(128, random_state=0)),
        "image": PCA(128, random_state=0),
        "text": make_pipeline(
            TfidfVectorizer(token_pattern=r"\S+"),
            FunctionTransformer(lambda Z: Z.toarray(), accept_sparse=True),
        ),
    }


def av_features(fsdd, mnist):
    """Raw per-modality features and the split of AV digits with texts."""
    av = make_av_digits(fsdd, mnist, random_state=0)
    y = np.asarray(av.target)
    raw = {
        "audio": _audio_front_end(list(av.data["audio"])),
        "image": HOG(
            pixels_per_cell=(4, 4), cells_per_block=(2, 2), n_jobs=-1
        ).fit_transform(list(av.data["image"])),
        "text": np.asarray(make_texts(y), dtype=object),
    }
    return raw, y, np.asarray(av.split) == "train", np.asarray(av.take)


def _features(raw, train, present):
    """Learned steps fitted on the training samples holding each modality;
    returns the training and test features of each modality."""
    train_features, test_features = {}, {}
    for m, name in enumerate(MODALITIES):
        rows = np.flatnonzero(train)[present[m]]
        step = _learned_steps()[name].fit(raw[name][rows])
        train_features[name] = step.transform(raw[name][np.flatnonzero(train)])
        test_features[name] = step.transform(raw[name][~train])
    return train_features, test_features


def _table(features, present):
    """One numeric table, NaN where a modality is missing; its columns."""
    blocks, columns, start = [], [], 0
    for m, name in enumerate(MODALITIES):
        block = features[name].astype(np.float64).copy()
        block[~present[m]] = np.nan
        blocks.append(block)
        columns.append(slice(start, start + block.shape[1]))
        start += block.shape[1]
    return np.hstack(blocks), columns


def _gcca_maps(features_fit, present_fit, features_eval, y_fit, y_eval, **params):
    table, columns = _table(features_fit, present_fit)
    gcca = GeneralizedCCA(
        [
            ("audio", "passthrough", columns[0]),
            ("image", "passthrough", columns[1]),
            ("text", "passthrough", columns[2]),
        ],
        **params,
    ).fit(table, y_fit)
    evaluation, _ = _table(features_eval, np.ones((3, len(y_eval)), dtype=bool))
    return gcca.pair_scores(evaluation, y_eval)


def _pairwise_maps(features_fit, present_fit, features_eval, y_eval, a, b, **params):
    both = present_fit[MODALITIES.index(a)] & present_fit[MODALITIES.index(b)]
    cca = CrossModalCCA(**params).fit(features_fit[a][both], features_fit[b][both])
    Q_a, Q_b = cca.transform(features_eval[a], features_eval[b])
    maps = {}
    for (q, Q), (d, D) in [((a, Q_a), (b, Q_b)), ((b, Q_b), (a, Q_a))]:
        Qn = Q / np.linalg.norm(Q, axis=1, keepdims=True)
        Dn = D / np.linalg.norm(D, axis=1, keepdims=True)
        maps[q, d] = mean_average_precision(y_eval, y_eval, Qn @ Dn.T)
    return maps, int(both.sum())


def _subset(features, rows):
    return {name: Z[rows] for name, Z in features.items()}


def _settings():
    return [dict(zip(GRID, v, strict=True)) for v in product(*GRID.values())]


def av_digits(fsdd, mnist):
    raw, y, train, take = av_features(fsdd, mnist)
    y_train, y_test = y[train], y[~train]
    validation = np.isin(take[train], VALIDATION_TAKES)
    results = {}
    for setting, present in [
        ("complete", np.ones((3, train.sum()), dtype=bool)),
        *[
            (f"{rate:.0%} missing", _missing_mask(train.sum(), rate))
            for rate in MISSING_RATES
        ],
    ]:
        start = time.perf_counter()
        train_features, test_features = _features(raw, train, present)
        fit_part = _subset(train_features, ~validation)
        val_part = _subset(train_features, validation)
        present_fit = present[:, ~validation]
        # GCCA: one space, tuned on the mean over the six pairs.
        best = max(
            _settings(),
            key=lambda p: np.mean(
                list(
                    _gcca_maps(
                        fit_part,
                        present_fit,
                        val_part,
                        y_train[~validation],
                        y_train[validation],
                        **p,
                    ).values()
                )
            ),
        )
        gcca = _gcca_maps(
            train_features, present, test_features, y_train, y_test, **best
        )
        # Pairwise CCA, each pair tuned on its own.
        pairwise, n_pairs = {}, {}
        for a, b in [("audio", "image"), ("audio", "text"), ("image", "text")]:
            best_pair = max(
                _settings(),
                key=lambda p, a=a, b=b: np.mean(
                    list(
                        _pairwise_maps(
                            fit_part,
                            present_fit,
                            val_part,
                            y_train[validation],
                            a,
                            b,
                            **p,
                        )[0].values()
                    )
                ),
            )
            maps, n_pairs[a, b] = _pairwise_maps(
                train_features, present, test_features, y_test, a, b, **best_pair
            )
            pairwise.update(maps)
        results[setting] = (gcca, pairwise, best, n_pairs, time.perf_counter() - start)

    print(
        f"AV digits + generated text, official split: {train.sum()} training "
        f"samples, {(~train).sum()} test queries per pair. MAP (relevant = same "
        "digit); random scores about 0.12.\n"
    )
    header = " | ".join(f"pairwise CCA, {s} | GCCA, {s}" for s in results)
    print(f"| query -> database | {header} |")
    print("| --- |" + " ---: | ---: |" * len(results))
    for q, d in product(MODALITIES, MODALITIES):
        if q == d:
            continue
        cells = " | ".join(
            f"{pairwise[q, d]:.3f} | {gcca[q, d]:.3f}"
            for gcca, pairwise, *_ in results.values()
        )
        print(f"| {q} -> {d} | {cells} |")
    cells = " | ".join(
        f"{np.mean(list(pairwise.values())):.3f} | {np.mean(list(gcca.values())):.3f}"
        for gcca, pairwise, *_ in results.values()
    )
    print(f"| mean | {cells} |")
    for setting, (_, _, best, n_pairs, seconds) in results.items():
        pairs = ", ".join(f"{a}+{b} {n}" for (a, b), n in n_pairs.items())
        print(
            f"\n{setting}: GCCA setting {best}; training samples of the pairwise "
            f"CCAs: {pairs}; {seconds:.0f} s."
        )


def _wiki_model(image_map, **params):
    sqrt = FunctionTransformer(np.sqrt)
    image = sqrt if image_map is None else make_pipeline(sqrt, image_map)
    return GeneralizedCCA(
        [("image", image, slice(0, 128)), ("text", "passthrough", slice(128, None))],
        label_view=True,
        n_kernel_components=1000,
        random_state=0,
        **params,
    )


def wikipedia(path):
    wiki = load_wikipedia_xmodal(path)
    X_train = np.hstack([wiki.image_train, wiki.text_tfidf_train])
    X_test = np.hstack([wiki.image_test, wiki.text_tfidf_test])
    y_train, y_test = wiki.target_train, wiki.target_test
    fit_idx, val_idx = train_test_split(
        np.arange(len(y_train)), test_size=0.3, random_state=0, stratify=y_train
    )
    grid = {
        "n_components": (9, 20),
        "reg": (1e-2, 1e-1, 1.0),
        "eigenvalue_power": (0.0, 4.0),
    }
    image_chi2 = Nystroem(kernel="chi2", gamma=1.0, n_components=1000, random_state=0)
    # (label, image map, kernel of GeneralizedCCA, grid). The chi2 map of
    # both modalities (1000-d TF-IDF included) is slow: a smaller grid.
    settings = [
        ("none", None, None, grid),
        ("chi2 Nystroem (1000), image only", image_chi2, None, grid),
        (
            "chi2 Nystroem (1000), both (kernel='chi2')",
            None,
            "chi2",
            {"n_components": (9, 20), "reg": (1e-1,), "eigenvalue_power": (4.0,)},
        ),
    ]
    print(
        f"\nWikipedia ({len(y_test)} test pairs), GCCA with a label view, tuned on "
        "a 70/30 split of the training set. MAP image query / text query.\n"
    )
    print(
        "| method | image map | tuned setting | MAP image -> text "
        "| MAP text -> image | time (s) |"
    )
    print("| --- | --- | --- | ---: | ---: | ---: |")
    print("| semantic matching (bench_retrieval.py) | - | - | 0.332 | 0.255 | - |")
    for label, image_map, kernel, grid in settings:
        start = time.perf_counter()
        best = None
        for values in product(*grid.values()):
            params = dict(zip(grid, values, strict=True), kernel=kernel)
            model = _wiki_model(image_map, **params).fit(
                X_train[fit_idx], y_train[fit_idx]
            )
            score = model.score(X_train[val_idx], y_train[val_idx])
            if best is None or score > best[0]:
                best = (score, params)
        model = _wiki_model(image_map, **best[1]).fit(X_train, y_train)
        pairs = model.pair_scores(X_test, y_test)
        setting = ", ".join(f"{k}={v:g}" for k, v in best[1].items() if k != "kernel")
        print(
            f"| GCCA + label view | {label} | {setting} "
            f"| {pairs['image', 'text']:.3f} | {pairs['text', 'image']:.3f} "
            f"| {time.perf_counter() - start:.0f} |",
            flush=True,
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fsdd", type=Path, default=DEFAULT_FSDD)
    parser.add_argument("--mnist", type=Path, default=DEFAULT_MNIST)
    parser.add_argument("--wikipedia", type=Path, default=DEFAULT_WIKIPEDIA)
    parser.add_argument(
        "--part", choices=("all", "wikipedia", "av"), default="all", help="what to run"
    )
    args = parser.parse_args()
    # Small matrices: multithreaded BLAS buys nothing and thrashes a busy machine.
    with threadpool_limits(limits=1, user_api="blas"):
        if args.part in ("all", "wikipedia"):
            wikipedia(args.wikipedia)
        if args.part in ("all", "av"):
            av_digits(args.fsdd, args.mnist)


if __name__ == "__main__":
    main()
