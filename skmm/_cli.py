"""The ``skmm`` command line: ``skmm demo`` (also ``python -m skmm demo``).

``skmm demo`` cross-validates per-modality pipelines, early fusion, each late
fusion rule and the one-line :class:`~skmm.compose.MultimodalClassifier` on
the embedded data set and prints a table with accuracy, macro F1 and time;
``--data DIR`` runs real data laid out like ``shared/data`` instead (AV digits
from FSDD and MNIST, leave-one-speaker-out, and the clip-art set).
"""

import argparse
import fnmatch
import json
import sys
import time
import warnings
from pathlib import Path

_OUTPUTS = ("table", "csv", "json")


class _NothingToRun(ValueError):
    """No pipeline matches the patterns and modalities asked for."""


# -- pipelines -------------------------------------------------------------------


def _classifier():
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=1000)


def _embedded_blocks(random_state):
    """Feature pipelines of the embedded digits, per (label, column)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skmm.audio import MFCC
    from skmm.image import HOG
    from skmm.text import Word2VecVectorizer

    return {
        "text (TF-IDF)": ("text", TfidfVectorizer(sublinear_tf=True)),
        "text (Word2Vec)": (
            "text",
            make_pipeline(
                Word2VecVectorizer(
                    min_count=1, vector_size=50, epochs=20, random_state=random_state
                ),
                StandardScaler(),
            ),
        ),
        # 8x8 digits: 2x2-pixel cells in overlapping 3x3-cell blocks (0.71
        # where raw pixels reach 0.82 on these noisy digits; coarser cells
        # do worse).
        "image (HOG)": (
            "image",
            make_pipeline(
                HOG(pixels_per_cell=(2, 2), cells_per_block=(3, 3)), StandardScaler()
            ),
        ),
        # DTMF tones at 8 kHz: fine frequency resolution, statistics of frames.
        "audio (MFCC)": (
            "audio",
            make_pipeline(
                MFCC(sr=8000, n_fft=1024, hop_length=256, n_mels=64, n_mfcc=40),
                StandardScaler(),
            ),
        ),
    }


def _speech_blocks(random_state):
    """Feature pipelines of AV digits (MNIST images, spoken FSDD digits)."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skmm.audio import MFCC, AudioReader
    from skmm.encode import StatsPooling
    from skmm.image import HOG

    return {
        "image (HOG)": (
            "image",
            make_pipeline(
                HOG(pixels_per_cell=(4, 4), cells_per_block=(2, 2)), StandardScaler()
            ),
        ),
        # Spoken digits at 8 kHz: trim silence, MFCC frames with deltas,
        # statistics of the whole word and of its five fifths.
        "audio (MFCC)": (
            "audio",
            make_pipeline(
                AudioReader(
                    sr=8000, trim_db=20, trim_frame_length=512, trim_hop_length=128
                ),
                MFCC(
                    sr=8000,
                    n_fft=512,
                    hop_length=64,
                    n_mels=40,
                    deltas=True,
                    delta_mode="nearest",
                    pooling=None,
                ),
                StatsPooling(stats=("mean", "std", "min", "max"), segments=(1, 5)),
                StandardScaler(),
            ),
        ),
    }


def _models(blocks, inner_cv, random_state, every_rule=False):
    """Per-block models, early fusion, the late fusion rules (max and vote
    too with ``every_rule``) and MultimodalClassifier, by label."""
    from sklearn.base import clone
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_pipeline

    from skmm.compose import MultimodalClassifier
    from skmm.fusion import LateFusionClassifier

    models = {
        label: make_pipeline(
            ColumnTransformer([("block", transformer, column)]), _classifier()
        )
        for label, (column, transformer) in blocks.items()
    }
    # Early and late fusion fuse the same features: the first block of each
    # modality (early fusion of every block, Word2Vec too, scored 0.952
    # against 0.942 on the embedded digits, at four times the fit time).
    first = {}
    for column, transformer in blocks.values():
        first.setdefault(column, transformer)
    if len(first) > 1:
        fused = ColumnTransformer(
            [
                (column, clone(transformer), column)
                for column, transformer in first.items()
            ]
        )
        models["early fusion (concatenation)"] = make_pipeline(fused, _classifier())
        # Late fusion: one classifier per modality, fused by each rule;
        # learned weights and stacking use an inner cross-validation. The
        # rules share each fold's fits (cross_validate_rules), which are the
        # same for every rule.
        base = [
            (column, make_pipeline(clone(transformer), _classifier()), column)
            for column, transformer in first.items()
        ]
        rules = {
            "late: mean": {"fusion": "mean"},
            "late: product": {"fusion": "product"},
        }
        if every_rule:
            rules["late: max"] = {"fusion": "max"}
            rules["late: vote"] = {"fusion": "vote"}
        rules["late: learned weights"] = {"fusion": "product", "weights": "learn"}
        rules["late: stacking (LR)"] = {"fusion": "stacking"}
        models["late fusion"] = _Rules(LateFusionClassifier(base, cv=inner_cv), rules)
    if isinstance(inner_cv, int):
        models["MultimodalClassifier()"] = MultimodalClassifier()
    else:
        # Grouped data: the one-liner's inner split is grouped too, as the
        # hand-built late fusion's (a StratifiedKFold would mix speakers
        # between inner folds, and scikit-learn warns that it ignores them).
        name = type(inner_cv).__name__
        models[f"MultimodalClassifier(cv={name})"] = MultimodalClassifier(cv=inner_cv)
    return models


class _Rules:
    """Late fusion rules cross-validated together: one fit of each modality
    (and of the inner cross-validation) per fold, shared by the rules."""

    def __init__(self, estimator, rules):
        self.estimator = estimator
        self.rules = rules


def _clipart_models():
    """The clip-art set: each modality alone with MultimodalClassifier's
    defaults, and MultimodalClassifier on both."""
    from skmm.compose import MultimodalClassifier

    return {
        "title (default text)": MultimodalClassifier(),
        "image (default image)": MultimodalClassifier(),
        "MultimodalClassifier()": MultimodalClassifier(),
    }


# -- data sets -------------------------------------------------------------------


class _DemoSet:
    """A data set of the demo: its table, target, splitter and models."""

    def __init__(self, title, X, y, cv, models, groups=None, columns=None):
        self.title = title
        self.X = X
        self.y = y
        self.cv = cv
        self.models = models
        self.groups = groups
        # Columns each model sees, when not all of them.
        self.columns = columns or {}


def _demo_sets(data_dir, random_state, modalities):
    from sklearn.model_selection import (
        GroupKFold,
        LeaveOneGroupOut,
        StratifiedKFold,
    )

    from skmm.datasets import load_openclipart, make_av_digits, make_multimodal_digits

    def keep(blocks):
        if modalities is None:
            return blocks
        return {k: v for k, v in blocks.items() if v[0] in modalities}

    def restrict(X):
        if modalities is None:
            return X
        return X[[c for c in X.columns if c in modalities]]

    cv = StratifiedKFold(5, shuffle=True, random_state=random_state)
    if data_dir is None:
        # Four folds: two rounds of two on a two-core machine, where five
        # take three rounds with one core idle in the last. Three inner
        # folds for learned weights and stacking, as MultimodalClassifier's.
        cv = StratifiedKFold(4, shuffle=True, random_state=random_state)
        bunch = make_multimodal_digits(random_state=random_state)
        X = bunch.data.copy()
        # The digits' levels are 0..16; float images lie in [0, 1] for
        # skimage and skmm (colour histograms and LBP check it).
        X["image"] = [image / 16.0 for image in X["image"]]
        X = restrict(X)
        models = _models(
            keep(_embedded_blocks(random_state)), 3, random_state, every_rule=True
        )
        yield _DemoSet(
            "embedded multimodal digits (partly synthetic), stratified 4-fold",
            X,
            bunch.target,
            cv,
            models,
        )
        return
    data_dir = Path(data_dir)
    bunch = make_av_digits(
        data_dir / "fsdd", data_dir / "mnist", random_state=random_state
    )
    X = restrict(bunch.data)
    # Speakers group the inner split of learned weights and stacking too
    # (metadata routing takes them there).
    models = _models(keep(_speech_blocks(random_state)), GroupKFold(5), random_state)
    yield _DemoSet(
        "AV digits (FSDD + MNIST), leave-one-speaker-out",
        X,
        bunch.target,
        LeaveOneGroupOut(),
        models,
        groups=bunch.groups,
    )
    clipart = load_openclipart(data_dir / "openclipart")
    X = clipart.data[["title", "image"]]
    columns = {
        "title (default text)": ["title"],
        "image (default image)": ["image"],
    }
    if modalities is not None:
        kinds = {"title": "text", "image": "image"}
        X = X[[c for c in X.columns if kinds[c] in modalities]]
        columns = {k: v for k, v in columns.items() if kinds[v[0]] in modalities}
    models = _clipart_models()
    models = {
        label: model
        for label, model in models.items()
        if label in columns or label == "MultimodalClassifier()"
    }
    yield _DemoSet(
        "clip art (openclipart, title + image), stratified 5-fold",
        X,
        clipart.target,
        cv,
        models,
        columns=columns,
    )


# -- running and reporting -------------------------------------------------------


def _select(models, patterns):
    """The models whose label matches one of the shell-style ``patterns``."""
    if not patterns:
        return models

    def matches(label):
        return any(fnmatch.fnmatch(label.lower(), p.lower()) for p in patterns)

    selected = {}
    for label, model in models.items():
        if isinstance(model, _Rules):
            rules = {rule: p for rule, p in model.rules.items() if matches(rule)}
            if rules:
                selected[label] = _Rules(model.estimator, rules)
        elif matches(label):
            selected[label] = model
    return selected


def _evaluate(model, X, y, cv, groups, n_jobs):
    import sklearn
    from sklearn.model_selection import cross_validate

    scoring = ("accuracy", "f1_macro")
    if groups is None:
        scores = cross_validate(model, X, y, cv=cv, scoring=scoring, n_jobs=n_jobs)
    else:
        # Metadata routing takes the groups to the outer split and to late
        # fusion's inner one.
        with sklearn.config_context(enable_metadata_routing=True):
            scores = cross_validate(
                model,
                X,
                y,
                cv=cv,
                scoring=scoring,
                params={"groups": groups},
                n_jobs=n_jobs,
            )
    return scores["test_accuracy"], scores["test_f1_macro"]


def _evaluate_rules(rules, X, y, cv, groups, n_jobs):
    """Accuracy and macro F1 per fold of each rule of ``rules``."""
    from skmm.fusion import cross_validate_rules

    results = cross_validate_rules(
        rules.estimator,
        X,
        y,
        rules=rules.rules,
        groups=groups,
        cv=cv,
        scoring=("accuracy", "f1_macro"),
        n_jobs=n_jobs,
    )
    return {
        label: (scores["test_accuracy"], scores["test_f1_macro"])
        for label, scores in results.items()
    }


def _format_row(row, ditto=False):
    seconds = '"'.rjust(8) if ditto else f"{row['seconds']:>8.1f}"
    return (
        f"{row['pipeline']:<36} {row['accuracy']:>6.3f} ± {row['accuracy_std']:.3f}"
        f" {row['f1_macro']:>9.3f} {seconds}"
    )


def demo(
    data_dir=None,
    *,
    pipelines=None,
    modalities=None,
    output="table",
    n_jobs=None,
    random_state=0,
    file=None,
):
    """Cross-validate per-modality and fused pipelines and report each.

    Parameters
    ----------
    data_dir : str or pathlib.Path, default=None
        Real data laid out like ``shared/data`` (``fsdd/recordings/*.wav``,
        ``mnist/mnist_5k.csv.gz``, ``openclipart/items.csv``); None runs the
        embedded data set.
    pipelines : list of str, default=None
        Shell-style patterns (``"late*"``, ``"image*"``) of the pipelines to
        run, matched case-insensitively against their labels; None runs all.
    modalities : list of str, default=None
        Modalities (``"text"``, ``"image"``, ``"audio"``) to keep; None keeps
        all.
    output : {"table", "csv", "json"}, default="table"
        How rows are printed. A table prints each row as it finishes; csv
        and json print the rows on standard output and a progress line per
        row on standard error.
    n_jobs : int, default=None
        Passed to ``cross_validate``: folds in parallel processes (the
        command line's default is -1, all cores).
    random_state : int, default=0
        Seeds the data, the folds and the models.
    file : file object, default=None
        Where rows go (standard output by default).

    Returns
    -------
    rows : list of dict
        One per pipeline: data set, pipeline, mean and standard deviation of
        accuracy, mean macro F1, seconds, and ``shared``: how many rows those
        seconds are for (the late fusion rules are cross-validated together
        by :func:`~skmm.fusion.cross_validate_rules`, one fit of each
        modality per fold; 1 for the other rows).
    """
    from threadpoolctl import threadpool_limits

    out = sys.stdout if file is None else file
    # The demo's models are small (logistic regressions on a few hundred
    # features): BLAS threads synchronise more than they compute there, and
    # one BLAS thread per process ran the demo's six fusion rows three times
    # faster on two cores (162 s -> 53 s). Parallel folds (n_jobs) get
    # joblib's own budget.
    with threadpool_limits(limits=1, user_api="blas"), warnings.catch_warnings():
        # loky replaces a worker whose memory grew by 300 MB since its first
        # task (Numba compiling the kernels on a first run does) and warns
        # that "a worker stopped": the folds still run, only later.
        warnings.filterwarnings(
            "ignore", message="A worker stopped while some jobs", category=UserWarning
        )
        return _demo(data_dir, pipelines, modalities, output, n_jobs, random_state, out)


def _demo(data_dir, pipelines, modalities, output, n_jobs, random_state, out):
    rows = []
    for data in _demo_sets(data_dir, random_state, modalities):
        models = _select(data.models, pipelines)
        if not models:
            continue
        if output == "table":
            print(
                f"{data.title}: {len(data.y)} samples, columns {list(data.X.columns)}",
                file=out,
            )
            print(
                f"{'pipeline':<36} {'accuracy':>14} {'macro F1':>9} {'seconds':>8}",
                file=out,
                flush=True,
            )
        n_rows = sum(
            len(model.rules) if isinstance(model, _Rules) else 1
            for model in models.values()
        )
        first_row = len(rows)
        for label, model in models.items():
            X = data.X
            if label in data.columns:
                X = X[data.columns[label]]
            start = time.perf_counter()
            if isinstance(model, _Rules):
                scores = _evaluate_rules(model, X, data.y, data.cv, data.groups, n_jobs)
            else:
                scores = {
                    label: _evaluate(model, X, data.y, data.cv, data.groups, n_jobs)
                }
            seconds = round(time.perf_counter() - start, 2)
            for position, (pipeline, (accuracy, f1)) in enumerate(scores.items()):
                row = {
                    "data": data.title,
                    "pipeline": pipeline,
                    "accuracy": float(accuracy.mean()),
                    "accuracy_std": float(accuracy.std()),
                    "f1_macro": float(f1.mean()),
                    # Rules cross-validated together share their time.
                    "seconds": seconds,
                    "shared": len(scores),
                }
                rows.append(row)
                line = _format_row(row, ditto=position > 0)
                if output == "table":
                    print(line, file=out, flush=True)
                else:
                    print(
                        f"skmm demo: [{len(rows) - first_row}/{n_rows}] {line}",
                        file=sys.stderr,
                        flush=True,
                    )
        if output == "table" and any(row["shared"] > 1 for row in rows[first_row:]):
            print(
                'Rows marked " share the time above: the late fusion rules are '
                "cross-validated together,\none fit of each modality per fold "
                "(skmm.fusion.cross_validate_rules).",
                file=out,
            )
        if output == "table":
            print(file=out)
    if not rows:
        raise _NothingToRun(
            f"No pipeline matches {pipelines!r} with modalities {modalities!r}."
        )
    if output == "csv":
        import csv

        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    elif output == "json":
        json.dump(rows, out, indent=1)
        print(file=out)
    return rows


def _split_list(value):
    return [item.strip() for item in value.split(",") if item.strip()]


def main(argv=None):
    from skmm import __version__

    parser = argparse.ArgumentParser(
        prog="skmm", description="skmm: classical multimodal machine learning."
    )
    parser.add_argument("--version", action="version", version=f"skmm {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser(
        "demo",
        help="cross-validated accuracy per modality and fused",
        description="Cross-validated accuracy, macro F1 and time per modality, "
        "for early fusion, each late fusion rule and MultimodalClassifier, on "
        "the embedded data set or, with --data, on real data laid out like "
        "shared/data (fsdd/recordings/*.wav, mnist/mnist_5k.csv.gz and "
        "openclipart/items.csv).",
    )
    demo_parser.add_argument("--data", metavar="DIR", help="real data folder")
    demo_parser.add_argument(
        "--pipelines",
        metavar="PATTERNS",
        type=_split_list,
        help="comma-separated shell patterns of pipeline labels to run, "
        "e.g. 'late*,MultimodalClassifier*'",
    )
    demo_parser.add_argument(
        "--modalities",
        metavar="NAMES",
        type=_split_list,
        help="comma-separated modalities to keep: text, image, audio",
    )
    demo_parser.add_argument("--output", choices=_OUTPUTS, default="table")
    demo_parser.add_argument(
        "--n-jobs",
        type=int,
        default=-1,
        help="folds run in parallel (default -1: all cores; 1 runs them in turn)",
    )
    demo_parser.add_argument("--random-state", type=int, default=0)
    args = parser.parse_args(argv)
    if args.modalities is not None:
        unknown = sorted(set(args.modalities) - {"text", "image", "audio"})
        if unknown:
            parser.error(f"unknown modalities {unknown}; use text, image, audio")
    try:
        demo(
            args.data,
            pipelines=args.pipelines,
            modalities=args.modalities,
            output=args.output,
            n_jobs=args.n_jobs,
            random_state=args.random_state,
        )
    except (FileNotFoundError, _NothingToRun) as exc:
        print(f"skmm demo: {exc}", file=sys.stderr)
        return 2
    return 0
