"""Text benchmarks: Word2VecVectorizer pooling throughput and accuracy.

1. Throughput of ``Word2VecVectorizer.transform`` (tokens/s, one core) against
   plain Python loops over gensim's KeyedVectors on the same tokens, side by
   side, for 100-d vectors on a synthetic Zipf corpus of about 1M tokens.
2. Cross-validated accuracy on gensim's bundled ``pang_lee_polarity.cor``
   (200 labelled movie-review sentences): TF-IDF + MultinomialNB,
   Word2Vec/FastText + linear SVM, and the two fused.

All timings are single-threaded (the numba kernels are serial) and include
tokenization with scikit-learn's CountVectorizer analyzer for every method.

Run: ``PYTHONPATH=. python benchmarks/bench_text.py [--tokens N] [--repeat R]``.
"""

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from gensim.models import KeyedVectors
from gensim.test.utils import datapath
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from skmm.exceptions import EmptyDocumentWarning
from skmm.text import Word2VecVectorizer


def _corpus(n_tokens, n_words, rng):
    """Documents of 20-200 tokens drawn from a Zipf (s=1.1) vocabulary."""
    words = np.array([f"word{i}" for i in range(n_words)])
    p = 1.0 / np.arange(1, n_words + 1) ** 1.1
    tokens = words[rng.choice(n_words, size=n_tokens, p=p / p.sum())]
    lengths = rng.integers(20, 201, size=n_tokens // 20)
    bounds = np.cumsum(lengths)
    bounds = bounds[bounds < n_tokens]
    return [" ".join(doc) for doc in np.split(tokens, bounds)], words


def _best(func, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def throughput(n_tokens, repeat):
    rng = np.random.default_rng(0)
    documents, words = _corpus(n_tokens, 50_000, rng)
    kv = KeyedVectors(100)
    kv.add_vectors(list(words), rng.standard_normal((len(words), 100), np.float32))
    analyzer = CountVectorizer().build_analyzer()
    n = sum(len(analyzer(d)) for d in documents)

    def loop_mean():
        return [
            np.mean([kv[w] for w in analyzer(d) if w in kv.key_to_index], axis=0)
            for d in documents
        ]

    def tokenize_only():
        return [analyzer(d) for d in documents]

    def gensim_mean():
        return [kv.get_mean_vector(analyzer(d)) for d in documents]

    print(f"Pooling throughput, {len(documents)} documents, {n} tokens, 100-d")
    print(f"{'method':<44} {'tokens/s':>12} {'ratio':>7}")
    baseline = n / _best(loop_mean, repeat)
    rows = [("loop over KeyedVectors, mean (reference)", baseline)]
    rows.append(("gensim KeyedVectors.get_mean_vector", n / _best(gensim_mean, repeat)))
    rows.append(("(tokenization alone, the ceiling)", n / _best(tokenize_only, repeat)))
    for pooling in ("mean", "tfidf", "max"):
        vec = Word2VecVectorizer(pretrained=kv, pooling=pooling).fit(documents)
        vec.transform(documents[:2])  # compile outside the timing
        rows.append(
            (
                f"skmm Word2VecVectorizer, {pooling}",
                n / _best(lambda v=vec: v.transform(documents), repeat),
            )
        )
    for name, rate in rows:
        print(f"{name:<44} {rate:>12,.0f} {rate / baseline:>6.1f}x")
    print()


def accuracy():
    with open(datapath("pang_lee_polarity.cor"), encoding="latin-1") as handle:
        lines = [line.split(" ", 1) for line in handle.read().splitlines()]
    y = np.array([label == "__label__pos" for label, _ in lines], dtype=int)
    X = pd.DataFrame({"text": [text for _, text in lines]})
    cv = StratifiedKFold(5, shuffle=True, random_state=0)

    def embedding(model):
        return make_pipeline(
            Word2VecVectorizer(
                model=model,
                vector_size=100,
                min_count=1,
                epochs=50,
                pooling=["mean", "max"],
                random_state=0,
            ),
            StandardScaler(),
        )

    models = {
        "majority class (chance level)": DummyClassifier(),
        "TF-IDF + MultinomialNB": make_pipeline(
            ColumnTransformer([("tfidf", TfidfVectorizer(), "text")]),
            MultinomialNB(),
        ),
    }
    for model in ("word2vec", "fasttext"):
        models[f"{model} + LinearSVC"] = make_pipeline(
            ColumnTransformer([("emb", embedding(model), "text")]),
            LinearSVC(C=0.01),
        )
        models[f"TF-IDF + {model}, fused + LinearSVC"] = make_pipeline(
            ColumnTransformer(
                [
                    ("tfidf", TfidfVectorizer(), "text"),
                    ("emb", embedding(model), "text"),
                ],
            ),
            LinearSVC(C=0.01),
        )
    print("pang_lee_polarity.cor (200 sentences), 5-fold stratified CV accuracy")
    print(f"{'model':<44} {'accuracy':>16}")
    for name, model in models.items():
        with warnings.catch_warnings():
            # A few test sentences hold only words unseen in their training fold.
            warnings.simplefilter("ignore", EmptyDocumentWarning)
            scores = cross_val_score(model, X, y, cv=cv)
        print(f"{name:<44} {scores.mean():>8.3f} ± {scores.std():.3f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    throughput(args.tokens, args.repeat)
    accuracy()


if __name__ == "__main__":
    main()
