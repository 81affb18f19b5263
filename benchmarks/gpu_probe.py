"""First check of skmm on a GPU: the environment, the CuPy behaviours that
``../shared/gpu/REVIEW.md`` flagged, then CPU-against-GPU parity of every
estimator with a GPU path, fed CuPy inputs.

Prints one line per probe and never stops at the first failure:

- ``[OK]`` / ``[DIFF]`` / ``[RAISE]`` for skmm's own results (any DIFF or
  RAISE makes the exit status 1);
- ``[CUPY-SAME]`` / ``[CUPY-DIFFERS]`` for what CuPy itself does where it
  may differ from NumPy; skmm's array code avoids each of these constructs,
  so they are reported, not failed.

Run from the repository root, on a machine with CuPy and a CUDA device::

    CUPY_CACHE_DIR=~/.cache/skmm-cupy PYTHONPATH=. python benchmarks/gpu_probe.py

``--stand-in`` rehearses it on the CPU with ``tests/_cupy_stand_in.py`` in
place of CuPy (what the stand-in emulates of CuPy is then what is probed).
"""

import argparse
import importlib.util
import sys
import time
import traceback
import warnings
from pathlib import Path

import numpy as np

RESULTS = []
ROOT = Path(__file__).resolve().parents[1]


def install_stand_in():
    """``tests/_cupy_stand_in.py`` as ``cupy``, for a rehearsal on the CPU."""
    spec = importlib.util.spec_from_file_location(
        "_cupy_stand_in", ROOT / "tests" / "_cupy_stand_in.py"
    )
    stand_in = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stand_in)
    return stand_in.install_for_rehearsal()


def probe(name, *, cupy_behaviour=False):
    """Run ``fn`` now; it returns None when all is well, else what differs."""

    def wrap(fn):
        start = time.perf_counter()
        try:
            message = fn()
            if cupy_behaviour:
                status = "CUPY-SAME" if not message else "CUPY-DIFFERS"
            else:
                status = "OK" if not message else "DIFF"
        except Exception as exc:  # noqa: BLE001 - a probe reports, never stops
            message = f"{type(exc).__name__}: {exc}"[:300]
            status = "CUPY-DIFFERS" if cupy_behaviour else "RAISE"
            if not cupy_behaviour:
                traceback.print_exc(limit=3)
        elapsed = time.perf_counter() - start
        print(f"[{status}] {name} ({elapsed:.1f}s) {message or ''}", flush=True)
        RESULTS.append((status, name))
        return fn

    return wrap


def _max_diff(got, want):
    """Largest absolute difference, and the largest magnitude of ``want``."""
    import cupy as cp

    got = got if isinstance(got, list) else [got]
    want = want if isinstance(want, list) else [want]
    diff = max(
        float(np.abs(cp.asnumpy(a) - np.asarray(b)).max(initial=0.0))
        for a, b in zip(got, want, strict=True)
    )
    scale = max(float(np.abs(np.asarray(b)).max(initial=0.0)) for b in want)
    return diff, scale


def _close(got, want, atol, rtol=0.0):
    diff, scale = _max_diff(got, want)
    return None if diff <= atol + rtol * scale else f"max abs diff {diff:.3e}"


def environment(cp):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import cupy  # noqa: F401 - already imported: any warning was at first import
    runtime = cp.cuda.runtime
    versions = {
        "cupy": cp.__version__ if hasattr(cp, "get_array_module") else "stand-in",
        "numpy": np.__version__,
        "cuda runtime": getattr(runtime, "runtimeGetVersion", lambda: "-")(),
        "driver": getattr(runtime, "driverGetVersion", lambda: "-")(),
    }
    print(", ".join(f"{k} {v}" for k, v in versions.items()))
    try:
        props = runtime.getDeviceProperties(0)
        name = props["name"]
        print("device:", name.decode() if isinstance(name, bytes) else name)
        free, total = runtime.memGetInfo()
        print(f"memory: {free / 2**30:.1f} GiB free of {total / 2**30:.1f} GiB")
    except AttributeError:
        print("device: the CuPy stand-in (CPU rehearsal)")
    print("warnings at import:", [str(w.message)[:120] for w in caught])

    @probe("skmm sees a working CUDA (NVRTC, cuBLAS, cuFFT) under -W error")
    def _():
        from skmm.utils import _device

        if not hasattr(_device, "cuda_status") or not hasattr(
            _device.cuda_status, "cache_clear"
        ):
            return None if _device.cuda_is_available() else "not available"
        _device.cuda_status.cache_clear()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ok = _device.cuda_is_available()
        return None if ok else _device.cuda_unavailable_reason()


def cupy_behaviours(cp):
    @probe("maximum.at on float64 keeps float64", cupy_behaviour=True)
    def _():
        value = 1.0 + 2.0**-40
        a = cp.full(1, -np.inf)
        cp.maximum.at(a, cp.zeros(1, dtype=np.int64), cp.asarray([value]))
        got = float(cp.asnumpy(a)[0])
        return None if got == value else f"got {got!r}, want {value!r}"

    @probe("argpartition takes a NumPy integer kth", cupy_behaviour=True)
    def _():
        cp.argpartition(
            cp.asarray(np.random.default_rng(0).random((4, 100))), np.int64(5), axis=1
        )

    @probe("argpartition on rows with NaN selects as NumPy", cupy_behaviour=True)
    def _():
        x = np.random.default_rng(0).random((64, 5000))
        x[::3, ::97] = np.nan
        got = np.sort(cp.asnumpy(cp.argpartition(cp.asarray(x), 9, axis=1))[:, :10], 1)
        want = np.sort(np.argpartition(x, 9, axis=1)[:, :10], 1)
        bad = int((got != want).any(axis=1).sum())
        return f"{bad}/64 rows pick another top 10" if bad else None

    @probe("hypot of integer gradients bit-equal to NumPy's", cupy_behaviour=True)
    def _():
        g = np.arange(-255, 256, dtype=np.float64)
        a, b = np.meshgrid(g, g)
        messages = []
        for dtype in (np.float64, np.float32):
            want = np.hypot(a.astype(dtype), b.astype(dtype))
            got = cp.asnumpy(cp.hypot(cp.asarray(a, dtype), cp.asarray(b, dtype)))
            n = int((got != want).sum())
            if n:
                messages.append(f"{np.dtype(dtype).name}: {n} of {want.size} differ")
        return "; ".join(messages) or None

    @probe("arctan2 within skmm's AMBIGUOUS margin of NumPy's (HOG bins)")
    def _():
        from skmm.image._hog_numba import AMBIGUOUS

        r = np.random.default_rng(1).normal(size=(2, 10**6))
        want = np.rad2deg(np.arctan2(r[0], r[1])) % 180
        got = cp.asnumpy(
            cp.rad2deg(cp.arctan2(cp.asarray(r[0]), cp.asarray(r[1]))) % 180
        )
        worst = float(np.abs(got - want).max())
        return None if worst < AMBIGUOUS / 10 else f"max {worst:.2e} degrees"

    @probe("pad modes MFCC uses equal NumPy's")
    def _():
        x = np.random.default_rng(2).random(50).astype(np.float32)
        modes = ("constant", "edge", "linear_ramp", "reflect", "symmetric")
        bad = [
            m
            for m in modes
            if not np.array_equal(
                cp.asnumpy(cp.pad(cp.asarray(x), 64, mode=m)), np.pad(x, 64, mode=m)
            )
        ]
        return f"differ: {bad}" if bad else None

    @probe("argsort is stable (retrieval's ties)")
    def _():
        x = np.random.default_rng(3).integers(0, 4, (8, 1000)).astype(np.float64)
        got = cp.asnumpy(cp.argsort(cp.asarray(x), axis=1))
        return None if (got == np.argsort(x, axis=1, kind="stable")).all() else "no"


def parity(cp):
    @probe("MFCC float64 reflect and float32 constant padding, CuPy clips vs CPU")
    def _():
        from skmm.audio import MFCC

        rng = np.random.default_rng(3)
        messages = []
        for dtype, rtol, pad_mode in (
            (np.float64, 1e-9, "reflect"),
            (np.float32, 1e-4, "constant"),
        ):
            clips = [
                rng.standard_normal(int(n)).astype(dtype)
                for n in rng.integers(3000, 9000, 6)
            ]
            params = dict(
                sr=16000,
                n_fft=512,
                hop_length=128,
                deltas=True,
                pad_mode=pad_mode,
                pooling=None,
            )
            want = MFCC(**params).fit_transform(clips)
            got = (
                MFCC(**params, device="cuda")
                .fit(clips)
                .transform([cp.asarray(c) for c in clips])
            )
            message = _close(got, want, 1e-3 * rtol, rtol=rtol)
            if message:
                messages.append(f"{np.dtype(dtype).name} {pad_mode}: {message}")
        return "; ".join(messages) or None

    @probe("HOG gray/colour, transform_sqrt, 4-D CuPy batch vs scikit-image")
    def _():
        import skimage.data
        from skimage.feature import hog

        from skmm.image import HOG

        image = skimage.data.astronaut()[:256, :256]
        batch = np.stack([image, image[::-1], image[:, ::-1]])
        plane = (np.random.default_rng(0).random((64, 64)) * 255).astype(np.uint8)
        tied = np.stack([np.dstack([plane, plane.T, plane // 4])] * 2)
        messages = []
        for images in (batch, tied, batch[..., 0]):
            for params in ({}, dict(transform_sqrt=True)):
                axis = dict(channel_axis=-1) if images.ndim == 4 else {}
                want = np.stack([hog(i, **axis, **params) for i in images])
                got = (
                    HOG(**params, device="cuda")
                    .fit(images)
                    .transform(cp.asarray(images))
                )
                message = _close(got, want, 1e-10)
                if message:
                    messages.append(f"{images.shape} {params}: {message}")
        return "; ".join(messages) or None

    @probe("DenseSIFT (and root SIFT), CuPy images vs CPU")
    def _():
        import skimage.data

        from skmm.image import DenseSIFT

        images = [skimage.data.camera()[:128, :128], skimage.data.coins()[:100, :140]]
        messages = []
        for root in (False, True):
            want = DenseSIFT(step=8, size=8, root_sift=root).fit_transform(images)
            got = (
                DenseSIFT(step=8, size=8, root_sift=root, device="cuda")
                .fit(images)
                .transform([cp.asarray(i) for i in images])
            )
            message = _close(got, want, 1e-2 if root else 1.0)
            if message:
                messages.append(f"root_sift={root}: {message}")
        return "; ".join(messages) or None

    @probe("BagOfWords, VLAD, FisherVector on CuPy sets vs CPU")
    def _():
        from skmm.encode import VLAD, BagOfWords, FisherVector

        rng = np.random.default_rng(4)
        sets = [
            rng.integers(0, 256, (int(n), 64)).astype(np.float32)
            for n in rng.integers(20, 100, 100)
        ]
        messages = []
        for encoder in (
            BagOfWords(n_clusters=16, random_state=0),
            VLAD(n_clusters=16, random_state=0),
            FisherVector(n_components=4, random_state=0),
        ):
            want = encoder.fit(sets).transform(sets)
            model = encoder.set_params(device="cuda").fit(sets)
            got = model.transform([cp.asarray(s) for s in sets])
            message = _close(got, want, 1e-6)
            if message:
                messages.append(f"{type(encoder).__name__}: {message}")
        return "; ".join(messages) or None

    @probe("retrieve k=np.int64, ties, CuPy inputs vs CPU")
    def _():
        from skmm.retrieval import retrieve

        rng = np.random.default_rng(5)
        queries = rng.integers(-8, 9, (50, 32)).astype(np.float64)
        database = rng.integers(-8, 9, (3000, 32)).astype(np.float64)
        database[1000:1100] = database[:100]  # exact duplicates: ties
        messages = []
        for metric in ("dot", "euclidean"):
            want = retrieve(queries, database, k=20, metric=metric)
            got = retrieve(
                cp.asarray(queries),
                cp.asarray(database),
                k=np.int64(20),
                metric=metric,
                device="cuda",
            )
            if not (got[0] == want[0]).all():
                messages.append(f"{metric}: rankings differ")
        return "; ".join(messages) or None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--stand-in",
        action="store_true",
        help="rehearse on the CPU with tests/_cupy_stand_in.py",
    )
    args = parser.parse_args()
    if args.stand_in:
        cp = install_stand_in()
    else:
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            import cupy as cp
    environment(cp)
    cupy_behaviours(cp)
    parity(cp)
    counts = {}
    for status, _ in RESULTS:
        counts[status] = counts.get(status, 0) + 1
    print("\nSUMMARY:", counts)
    failed = [name for status, name in RESULTS if status in ("DIFF", "RAISE")]
    for name in failed:
        print("  failed:", name)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
