"""The GTZAN feature set: skmm's AudioFeatures against librosa, side by side.

The set (MFCC 20 with first and second deltas, chroma, mel spectrogram of 128
bands, spectral contrast, centroid, bandwidth, rolloff, zero-crossing rate and
RMS; mean and standard deviation of each per clip) over ``--clips`` clips of
``--seconds`` s at 22.05 kHz (synthetic music: a few tones with vibrato and
envelopes over noise), against the same librosa calls in a per-clip loop.
Every run first checks that both sides agree on the first clips.

skmm runs ``AudioFeatures(n_jobs=--n-jobs)`` (one STFT per batch, every
feature from it); librosa runs in one process, NumPy's FFT on one thread and
BLAS on its own threads (``--librosa-blas-threads`` limits them). Times are
the best of ``--repeat`` runs after a warm-up on a few clips; with
``--reference-clips N`` the librosa loop is timed on the first N clips and
scaled to all (said in the table). Memory: the peak of traced allocations
(NumPy's included) during each side's run, beside the decoded audio.

``--fsdd-accuracy`` prints instead FSDD's leave-one-speaker-out accuracy
(mean over the six held-out speakers) of the full set against MFCC alone,
with ``benchmarks/bench_audio.py``'s best MFCC row (trimmed clips, 64 ms
frames, deltas, a (1, 5) temporal pyramid of four statistics, SVC).

Run: ``PYTHONPATH=. python benchmarks/bench_audio_features.py [--clips 1000]
[--n-jobs N] [--reference-clips N] [--device cuda] [--fsdd-accuracy]``.
"""

import argparse
import time
import tracemalloc
import warnings
from pathlib import Path

import librosa
import numpy as np

from skmm.audio import (
    MFCC,
    AudioFeatures,
    AudioReader,
    MelSpectrogram,
    SpectralContrast,
)
from skmm.utils._parallel import n_workers

SR = 22050


def music(n_clips, seconds, seed=0):
    """Clips of a few tones with vibrato and decaying notes over noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    clips = []
    for _ in range(n_clips):
        y = 0.02 * rng.standard_normal(t.size)
        for _ in range(int(rng.integers(2, 6))):
            f0 = 55.0 * 2 ** (rng.integers(0, 48) / 12)
            vibrato = 0.003 * np.sin(2 * np.pi * rng.uniform(4, 7) * t)
            envelope = np.exp(-((t * rng.uniform(0.5, 4)) % 1.0) * 3)
            y += 0.2 * envelope * np.sin(2 * np.pi * f0 * t * (1 + vibrato))
        clips.append(y.astype(np.float32))
    return clips


def skmm_model(n_jobs, device):
    features = [
        MFCC(deltas=2),
        "chroma",
        MelSpectrogram(),
        "contrast",
        "centroid",
        "bandwidth",
        "rolloff",
        "zcr",
        "rms",
    ]
    return AudioFeatures(features=features, n_jobs=n_jobs, device=device).fit()


def librosa_parts(y):
    """The same set with librosa's calls: one (features, frames) per part."""
    mfcc = librosa.feature.mfcc(y=y, sr=SR)
    parts = [
        np.vstack(
            [mfcc, librosa.feature.delta(mfcc), librosa.feature.delta(mfcc, order=2)]
        ),
        librosa.feature.chroma_stft(y=y, sr=SR),
        librosa.feature.melspectrogram(y=y, sr=SR),
        librosa.feature.spectral_contrast(y=y, sr=SR),
        librosa.feature.spectral_centroid(y=y, sr=SR),
        librosa.feature.spectral_bandwidth(y=y, sr=SR),
        librosa.feature.spectral_rolloff(y=y, sr=SR),
        librosa.feature.zero_crossing_rate(y),
        librosa.feature.rms(y=y),
    ]
    return parts


def librosa_row(y):
    """librosa's set pooled as AudioFeatures pools."""
    return np.concatenate(
        [np.concatenate([p.mean(1), p.std(1)]) for p in librosa_parts(y)]
    )


def frame_error(model, clips):
    """Largest norm-wise relative error of a part's frames against librosa's
    (pooled means of second deltas cancel to near zero on both sides, so the
    frames are what is compared)."""
    frames = model.set_params(pooling=None).transform(clips)
    model.set_params(pooling=("mean", "std"))
    worst = 0.0
    for clip, ours in zip(clips, frames, strict=True):
        start = 0
        for part in librosa_parts(clip):
            block = ours[:, start : start + part.shape[0]]
            start += part.shape[0]
            error = np.linalg.norm(block - part.T) / np.linalg.norm(part)
            worst = max(worst, error)
    return worst


def _best(func, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def _peak(func):
    tracemalloc.start()
    func()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def _blas_threads():
    from threadpoolctl import threadpool_info

    counts = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    return max(counts, default=1)


def fsdd_accuracy(fsdd):
    """LOSO accuracy on FSDD: MFCC alone against the full set."""
    from sklearn.model_selection import LeaveOneGroupOut, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    from skmm.datasets import load_fsdd
    from skmm.encode import StatsPooling

    bunch = load_fsdd(fsdd)
    y, groups = np.asarray(bunch.target), np.asarray(bunch.groups)
    waves = AudioReader(
        sr=8000, trim_db=20, trim_frame_length=512, trim_hop_length=128
    ).fit_transform(list(bunch.data["audio"]))
    stft = dict(sr=8000, n_fft=512, hop_length=64)
    mfcc = MFCC(**stft, n_mels=40, deltas=True, delta_mode="nearest")
    full = [
        mfcc,
        "chroma",
        MelSpectrogram(**stft, n_mels=40, to_db=True),
        SpectralContrast(**stft, n_bands=4),
        "shape",
    ]
    rows = [
        ("MFCC + deltas (bench_audio.py's pyramid row)", [mfcc]),
        (
            "+ chroma, log-mel 40, contrast, centroid, bandwidth, rolloff, "
            "flatness, ZCR, RMS",
            full,
        ),
        ("MFCC + deltas + ZCR + RMS + centroid", [mfcc, "zcr", "rms", "centroid"]),
    ]
    print("| features | LOSO mean | per speaker | time (s) |")
    print("| --- | ---: | --- | ---: |")
    for name, features in rows:
        start = time.perf_counter()
        frames = AudioFeatures(features=features, pooling=None, n_jobs=-1, **stft)
        X = frames.fit_transform(waves)
        model = make_pipeline(
            StatsPooling(stats=("mean", "std", "min", "max"), segments=(1, 5)),
            StandardScaler(),
            SVC(C=10),
        )
        scores = cross_val_score(model, X, y, groups=groups, cv=LeaveOneGroupOut())
        print(
            f"| {name} | {scores.mean():.4f} | "
            f"{' '.join(f'{s:.3f}' for s in scores)} | "
            f"{time.perf_counter() - start:.0f} |",
            flush=True,
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--n-jobs", type=int, default=-1)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--reference-clips", type=int, default=None)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--librosa-blas-threads", type=int, default=None)
    parser.add_argument("--fsdd-accuracy", action="store_true")
    parser.add_argument(
        "--fsdd", default=Path(__file__).resolve().parents[2] / "shared/data/fsdd"
    )
    args = parser.parse_args()
    if args.fsdd_accuracy:
        fsdd_accuracy(args.fsdd)
        return
    from threadpoolctl import threadpool_limits

    clips = music(args.clips, args.seconds)
    audio = sum(c.nbytes for c in clips)
    model = skmm_model(args.n_jobs, args.device)
    n_ref = min(args.reference_clips or args.clips, args.clips)

    def reference(subset):
        with threadpool_limits(args.librosa_blas_threads, user_api="blas"):
            return np.array([librosa_row(y) for y in subset])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.transform(clips[:3])  # warm-up
        error = frame_error(model, clips[:3])
        t_skmm = _best(lambda: model.transform(clips), args.repeat)
        t_ref = _best(lambda: reference(clips[:n_ref]), 1) * args.clips / n_ref
        peak_skmm = _peak(lambda: model.transform(clips))
        peak_ref = _peak(lambda: reference(clips[: min(n_ref, 50)]))
    threads = "GPU" if args.device == "cuda" else n_workers(args.n_jobs)
    print(
        f"GTZAN set, {model.get_feature_names_out().size} columns; librosa: a "
        f"per-clip loop, BLAS on {args.librosa_blas_threads or _blas_threads()} "
        f"thread(s); skmm: AudioFeatures(n_jobs={args.n_jobs}), {threads} "
        f"thread(s)\n"
    )
    print(
        "| case | device | clips | audio (s) | librosa loop (s) | skmm (s) | "
        "skmm threads | speed-up | rel. error (frames) |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    scaled = "" if n_ref == args.clips else f" (timed on {n_ref}, scaled)"
    print(
        f"| GTZAN set, {args.seconds:g} s at 22.05 kHz | {args.device} | "
        f"{args.clips:,} | {args.clips * args.seconds:,.0f} | {t_ref:.1f}{scaled} "
        f"| {t_skmm:.1f} | {threads} | {t_ref / t_skmm:.1f}x | "
        f"{error:.1e} |"
    )
    print(
        f"\nmemory: decoded audio {audio / 2**20:.0f} MiB; peak traced during "
        f"skmm's transform {peak_skmm / 2**20:.0f} MiB; during the librosa loop "
        f"(up to 50 clips) {peak_ref / 2**20:.0f} MiB"
    )


if __name__ == "__main__":
    main()
