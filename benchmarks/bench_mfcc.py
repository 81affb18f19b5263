"""MFCC speed and memory: skmm's batched MFCC against librosa, side by side.

Cases (skmm computes frames, ``pooling=None``, so both sides produce the same
``(n_frames, n_mfcc)`` arrays; every case first checks they agree):

a. 1,000 random clips of 1 s at 16 kHz, ``n_fft=512, hop_length=160,
   n_mels=40, n_mfcc=13`` (``--gpu-clips`` more on the GPU);
b. the same clips at 22.05 kHz with librosa's defaults;
c. all 3,000 FSDD clips (variable lengths, 8 kHz), librosa's defaults at 8 kHz;
d. one 10-minute clip at 22.05 kHz, librosa's defaults.

The reference is a per-clip loop of ``librosa.feature.mfcc`` with librosa's
own threading (NumPy's FFT on one thread, BLAS on its default threads, which
the table reports; ``--librosa-blas-threads 1`` limits them, which on a
loaded machine spares librosa BLAS threads waiting on each other). skmm runs
with ``n_jobs=--n-jobs`` (default -1, all cores, as the README's figures;
``--n-jobs 1`` gives the one-core figures), one BLAS thread each: the table
says how many threads each side had. Times are the best of
``--repeat`` runs after one warm-up call. Then:

- first-call latency: a fresh interpreter imports skmm and computes the MFCC
  of one clip (Numba's on-disk cache warm; a first run fills it);
- memory: peak of traced allocations (NumPy's included) while extracting all
  FSDD clips, against the size of the decoded float32 audio.

``--profile`` prints instead where case a's time goes on one thread
(cProfile's own time per function), the table issue 18 asks for, with the
default float64 FFT and with ``fft_precision="input"`` (float32 FFTs of the
float32 clips). Case a is also timed with that option.

Run: ``PYTHONPATH=. python benchmarks/bench_mfcc.py [--fsdd DIR] [--device cuda]
[--n-jobs N]``.
"""

import argparse
import subprocess
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import librosa
import numpy as np
import soundfile

from skmm.audio import MFCC
from skmm.utils._parallel import n_workers

DEFAULT_FSDD = Path(__file__).resolve().parents[2] / "shared" / "data" / "fsdd"


def _best(func, repeat):
    func()  # warm-up: Numba cache load, FFT plans
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def _noise(n_clips, n_samples, seed=0):
    rng = np.random.default_rng(seed)
    return [
        (0.1 * rng.standard_normal(n_samples)).astype(np.float32)
        for _ in range(n_clips)
    ]


def _blas_threads():
    from threadpoolctl import threadpool_info

    counts = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    return max(counts, default=1)


def _case(
    label,
    clips,
    params,
    device,
    repeat,
    n_jobs,
    reference_repeat=1,
    blas=None,
    fft_precision="float64",
):
    model = MFCC(
        pooling=None,
        device=device,
        n_jobs=n_jobs,
        fft_precision=fft_precision,
        **params,
    ).fit()
    ours = model.transform(clips[:3])

    def reference():
        from threadpoolctl import threadpool_limits

        with warnings.catch_warnings(), threadpool_limits(blas, user_api="blas"):
            warnings.filterwarnings("ignore", "n_fft=.* is too large")
            return [librosa.feature.mfcc(y=c, **params).T for c in clips]

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "n_fft=.* is too large")
        check = [librosa.feature.mfcc(y=c, **params).T for c in clips[:3]]
    error = max(
        np.linalg.norm(a - b) / np.linalg.norm(b)
        for a, b in zip(ours, check, strict=True)
    )
    t_skmm = _best(lambda: model.transform(clips), repeat)
    t_ref = _best(reference, reference_repeat) if reference_repeat else float("nan")
    seconds = sum(len(c) for c in clips) / params["sr"]
    threads = "GPU" if device == "cuda" else n_workers(n_jobs)
    print(
        f"| {label} | {device} | {len(clips):,} | {seconds:,.0f} | {t_ref:.3f} | "
        f"{t_skmm:.3f} | {threads} | {t_ref / t_skmm:.1f}x | {error:.1e} |",
        flush=True,
    )
    return t_ref, t_skmm


def _fsdd_clips(fsdd):
    paths = sorted((Path(fsdd) / "recordings").glob("*.wav"))
    return [soundfile.read(p, dtype="float32")[0] for p in paths]


def first_call_latency():
    code = (
        "import time; t = time.perf_counter(); import numpy as np; "
        "from skmm.audio import MFCC; "
        "MFCC().fit_transform([np.full(22050, 0.1, np.float32)]); "
        "print(time.perf_counter() - t)"
    )
    root = str(Path(__file__).resolve().parents[1])
    env = {"PYTHONPATH": root, "PATH": "/usr/bin:/bin"}
    run = [sys.executable, "-c", code]
    subprocess.run(run, check=True, capture_output=True, env=env)  # fill the cache
    times = [
        float(subprocess.run(run, check=True, capture_output=True, env=env).stdout)
        for _ in range(3)
    ]
    runs = ", ".join(f"{t:.2f}" for t in times)
    print(
        f"\nfirst call in a fresh process (import + one clip, cache warm): "
        f"median {np.median(times):.2f} s (runs: {runs})"
    )


def memory(clips, n_jobs):
    audio_bytes = sum(c.nbytes for c in clips)
    for pooling in (None, ("mean", "std")):
        model = MFCC(sr=8000, pooling=pooling, n_jobs=n_jobs).fit()
        model.transform(clips[:10])
        tracemalloc.start()
        out = model.transform(clips)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out_bytes = sum(o.nbytes for o in out) if isinstance(out, list) else out.nbytes
        print(
            f"memory, all FSDD clips, pooling={pooling}: decoded audio "
            f"{audio_bytes / 2**20:.1f} MiB, peak extra during transform "
            f"{peak / 2**20:.1f} MiB ({peak / audio_bytes:.2f}x the audio; "
            f"output {out_bytes / 2**20:.1f} MiB)"
        )


def profile(n_clips, top=8, fft_precision="float64"):
    """Where case a's time goes: cProfile's own time per function, one
    thread (``n_jobs=1``), frames out (``pooling=None``)."""
    import cProfile
    import pstats

    clips = _noise(n_clips, 16000)
    model = MFCC(
        pooling=None,
        n_jobs=1,
        sr=16000,
        n_fft=512,
        hop_length=160,
        n_mels=40,
        n_mfcc=13,
        fft_precision=fft_precision,
    ).fit()
    model.transform(clips[:10])
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.runcall(model.transform, clips)
    total = time.perf_counter() - start
    stats = pstats.Stats(profiler).stats
    rows = sorted(
        (
            (tt, f"{Path(file).name}:{name}")
            for (file, _, name), (_, _, tt, _, _) in stats.items()
        ),
        reverse=True,
    )
    print(
        f"\nprofile of case a, {n_clips:,} clips, one thread, "
        f"fft_precision={fft_precision!r}: {total:.3f} s"
    )
    print("| function | own time (s) | share |")
    print("| --- | ---: | ---: |")
    for tt, name in rows[:top]:
        print(f"| {name} | {tt:.3f} | {tt / total:.0%} |")
    rest = total - sum(tt for tt, _ in rows[:top])
    print(f"| everything else | {rest:.3f} | {rest / total:.0%} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fsdd", default=DEFAULT_FSDD)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--clips", type=int, default=1000)
    parser.add_argument("--gpu-clips", type=int, default=10_000)
    parser.add_argument(
        "--n-jobs", type=int, default=-1, help="skmm's MFCC(n_jobs=...); -1: all cores"
    )
    parser.add_argument(
        "--librosa-blas-threads",
        type=int,
        default=None,
        help="BLAS threads of the librosa loop (default: BLAS's own)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="only print where case a's time goes (one thread), then stop",
    )
    args = parser.parse_args()
    blas = args.librosa_blas_threads
    if args.profile:
        for fft_precision in ("float64", "input"):
            profile(args.clips, fft_precision=fft_precision)
        return

    print(
        f"librosa: a per-clip loop, NumPy FFT on 1 thread, BLAS on "
        f"{blas or _blas_threads()} thread(s); skmm: MFCC(n_jobs={args.n_jobs}), "
        f"{n_workers(args.n_jobs)} thread(s) on the CPU, 1 BLAS thread each\n"
    )
    print(
        "| case | device | clips | audio (s) | librosa loop (s) | skmm (s) | "
        "skmm threads | speed-up | rel. error |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    small = dict(sr=16000, n_fft=512, hop_length=160, n_mels=40, n_mfcc=13)
    devices = ["cpu"] if args.device == "cpu" else ["cpu", "cuda"]
    for device in devices:
        # On the CPU also with float32 FFTs of the float32 clips.
        precisions = {"float64": "", "input": ", fft_precision='input'"}
        for precision, note in precisions.items():
            if precision == "input" and device != "cpu":
                continue
            _case(
                "a. 1 s at 16 kHz, 40 mels" + note,
                _noise(args.clips, 16000),
                small,
                device,
                args.repeat,
                args.n_jobs,
                blas=blas,
                fft_precision=precision,
            )
        _case(
            "b. 1 s at 22.05 kHz, defaults",
            _noise(args.clips, 22050),
            dict(sr=22050),
            device,
            args.repeat,
            args.n_jobs,
            blas=blas,
        )
        if Path(args.fsdd, "recordings").is_dir():
            _case(
                "c. FSDD, 3,000 clips at 8 kHz",
                _fsdd_clips(args.fsdd),
                dict(sr=8000),
                device,
                args.repeat,
                args.n_jobs,
                blas=blas,
            )
        _case(
            "d. one 10-minute clip",
            _noise(1, 22050 * 600),
            dict(sr=22050),
            device,
            args.repeat,
            args.n_jobs,
            blas=blas,
            reference_repeat=3,
        )
    if args.device == "cuda":
        _case(
            f"a. at {args.gpu_clips:,} clips",
            _noise(args.gpu_clips, 16000),
            small,
            "cuda",
            args.repeat,
            args.n_jobs,
            blas=blas,
        )
    first_call_latency()
    if Path(args.fsdd, "recordings").is_dir():
        memory(_fsdd_clips(args.fsdd), args.n_jobs)


if __name__ == "__main__":
    main()
