"""Out-of-core feature extraction: stream samples in batches into a .npy file."""

import hashlib
import json
import os
import tempfile

import numpy as np
import scipy.sparse as sp
from numpy.lib.format import open_memmap
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from skmm.cache._entry import storable_dtype
from skmm.cache._fingerprint import estimator_hash, sequence_fingerprint
from skmm.exceptions import ResumeError
from skmm.utils._progress import progress_bar

__all__ = ["extract_features"]

# Version of the progress file's layout.
_PROGRESS_FORMAT = 2


def _progress_path(out):
    return f"{os.fspath(out)}.progress.json"


def _take(X, start, stop):
    """Samples ``start:stop`` of ``X`` in a container its estimator accepts."""
    if hasattr(X, "iloc"):
        return X.iloc[start:stop]
    if isinstance(X, np.ndarray | list | tuple):
        return X[start:stop]
    # A lazy sequence: only ``__getitem__`` with an integer is required.
    return [X[i] for i in range(start, stop)]


def _transform(estimator, X, start, stop, batch):
    """``estimator.transform`` of samples ``start:stop``, as a 2-D array.

    On failure the batch's samples are transformed one by one to name the
    first one that fails.
    """
    try:
        features = estimator.transform(_take(X, start, stop))
    except Exception as exc:
        culprit = None
        for i in range(start, stop):
            try:
                estimator.transform(_take(X, i, i + 1))
            except Exception:
                culprit = i
                break
        where = (
            f"sample {culprit} (batch {batch}, samples {start} to {stop - 1})"
            if culprit is not None
            else f"batch {batch} (samples {start} to {stop - 1}; each of them "
            "alone succeeds)"
        )
        raise RuntimeError(
            f"{type(estimator).__name__}.transform failed on {where}: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    if isinstance(features, list):
        raise TypeError(
            f"{type(estimator).__name__}.transform returned a list (descriptor "
            "sets?); extract_features stores fixed-width rows. Encode the sets "
            "first, e.g. with a pipeline ending in an encoder (StatsPooling, "
            "BagOfWords, VLAD, FisherVector) or MFCC(pooling=...)."
        )
    if sp.issparse(features):
        features = features.toarray()
    features = np.asarray(features)
    if features.ndim != 2 or features.shape[0] != stop - start:
        raise ValueError(
            f"{type(estimator).__name__}.transform returned shape "
            f"{features.shape} for batch {batch} (samples {start} to "
            f"{stop - 1}); extract_features needs one fixed-width row per "
            f"sample, shape ({stop - start}, n_features)."
        )
    return features


def _write_progress(path, progress):
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=directory, suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as file:
            json.dump(progress, file, indent=1)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def _rows_digest(file, offset, row_bytes, start, stop):
    """blake2b of rows ``start:stop`` as stored in the open .npy ``file``."""
    file.seek(offset + start * row_bytes)
    return _digest(file.read((stop - start) * row_bytes))


def _digest(data):
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _read_progress(path):
    """The progress recorded at ``path``, None when there is none."""
    try:
        with open(path, "rb") as file:
            progress = json.loads(file.read())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ResumeError(
            f"Cannot read the progress file {path} ({type(exc).__name__}: "
            f"{exc}); pass resume=False to start over."
        ) from exc
    _check_progress(progress, path)
    return progress


def _check_progress(progress, path):
    """Raise ResumeError unless ``progress`` has the layout this code writes."""

    def is_int(value):
        return type(value) is int

    def fail(what):
        raise ResumeError(
            f"The progress file {path} is garbled ({what}); pass resume=False "
            "to start over."
        )

    if not isinstance(progress, dict):
        fail("not a JSON object")
    if progress.get("format") != _PROGRESS_FORMAT:
        raise ResumeError(
            f"The progress file {path} has an unknown format "
            f"({progress.get('format')!r}, not {_PROGRESS_FORMAT}); pass "
            "resume=False to start over."
        )
    expected = {
        "format",
        "estimator",
        "estimator_repr",
        "samples",
        "n_samples",
        "dtype",
        "n_features",
        "completed",
        "tail",
    }
    if set(progress) != expected:
        fail(f"fields {sorted(progress)}, not {sorted(expected)}")
    n_samples, completed = progress["n_samples"], progress["completed"]
    if not (is_int(n_samples) and n_samples >= 1):
        fail(f"n_samples={n_samples!r}")
    if not (is_int(completed) and 0 <= completed <= n_samples):
        fail(f"completed={completed!r} of n_samples={n_samples!r}")
    if not (is_int(progress["n_features"]) and progress["n_features"] >= 0):
        fail(f"n_features={progress['n_features']!r}")
    try:
        dtype = np.dtype(progress["dtype"])
    except (TypeError, ValueError):
        fail(f"dtype={progress['dtype']!r}")
    if dtype.str != progress["dtype"] or not storable_dtype(dtype):
        fail(f"dtype={progress['dtype']!r}")
    for key in ("estimator", "estimator_repr", "samples"):
        if not isinstance(progress[key], str):
            fail(f"{key}={progress[key]!r}")
    tail = progress["tail"]
    if not (
        isinstance(tail, dict)
        and set(tail) == {"start", "stop", "blake2b"}
        and is_int(tail["start"])
        and tail["stop"] == completed
        and 0 <= tail["start"] <= completed
        and isinstance(tail["blake2b"], str)
    ):
        fail(f"tail={tail!r} with completed={completed!r}")


def _check_resumable(progress, expected, out):
    """Raise when a previous run's progress does not match this call."""
    for key, what in (
        ("estimator", "estimator parameters"),
        ("n_samples", "number of samples"),
        ("samples", "samples"),
        ("dtype", "dtype"),
    ):
        if key in expected and progress[key] != expected[key]:
            if key == "estimator":
                before, now = progress["estimator_repr"], expected["estimator_repr"]
                shown = f" ({before!r} vs {now!r})"
            elif key == "samples":
                shown = " (same length, other samples)"
            else:
                shown = f" ({progress[key]!r} vs {expected[key]!r})"
            raise ResumeError(
                f"Cannot resume the extraction into {os.fspath(out)}: its "
                f"{what} differ from this call's{shown}, says "
                f"{_progress_path(out)}. Pass resume=False to overwrite it, or "
                "another out path."
            )


def _open_existing(out, progress):
    """``(offset, row_bytes, dtype)`` of the .npy a progress file describes.

    Raises ResumeError when it is unreadable, truncated, or not the array
    (shape, dtype, last batch's rows) the progress file records.
    """

    def fail(what):
        raise ResumeError(
            f"Cannot resume into {out}: {what}. Pass resume=False to start over."
        )

    try:
        existing = np.load(out, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        fail(f"it is not a readable .npy file ({type(exc).__name__}: {exc})")
    shape = (progress["n_samples"], progress["n_features"])
    if existing.shape != shape or existing.dtype.str != progress["dtype"]:
        fail(
            f"it holds an array of shape {existing.shape} and dtype "
            f"{existing.dtype}, not the {shape} {np.dtype(progress['dtype'])} "
            f"that {_progress_path(out)} records"
        )
    offset, row_bytes = existing.offset, existing.itemsize * shape[1]
    del existing
    size = os.path.getsize(out)
    if size < offset + shape[0] * row_bytes:
        fail(f"it is truncated ({size} bytes, not {offset + shape[0] * row_bytes})")
    # The last batch written must read back as written: a replaced or
    # zero-filled output is refused instead of resumed with wrong rows.
    tail = progress["tail"]
    with open(out, "rb") as file:
        digest = _rows_digest(file, offset, row_bytes, tail["start"], tail["stop"])
    if tail["stop"] > tail["start"] and digest != tail["blake2b"]:
        fail(
            f"its rows {tail['start']} to {tail['stop'] - 1} are not those "
            f"{_progress_path(out)} records as written"
        )
    return offset, row_bytes, np.dtype(progress["dtype"])


def extract_features(
    estimator, X, *, out, batch_size=1000, dtype=None, resume=True, verbose=False
):
    """Stream samples through a fitted transformer into a .npy file on disk.

    Samples ``X[start:start + batch_size]`` are transformed one batch at a
    time and their rows written to ``out``, so that a data set larger than
    memory can be featurised: memory holds one batch of samples and of
    features, never all of them. After each batch is on disk a small
    progress file, ``{out}.progress.json``, records how many rows are done;
    a call interrupted (killed, crashed, a failing sample) and made again
    with the same arguments continues from the first unfinished batch and
    gives exactly the file of an uninterrupted run.

    Parameters
    ----------
    estimator : fitted transformer
        Any transformer whose output has one fixed-width row per sample: an
        extractor with pooled output (:class:`~skmm.audio.MFCC`,
        :class:`~skmm.image.HOG`), or a ``Pipeline`` (reader, extractor,
        encoder). Descriptor sets (``MFCC(pooling=None)``, SIFT) must be
        encoded first, e.g. by a pipeline ending in an encoder. It must be
        fitted: stateless skmm extractors learn nothing in ``fit``, so
        ``estimator.fit(X[:1])`` suffices; encoders can learn their
        codebooks from streamed batches with ``partial_fit``. Each sample's
        row must depend on that sample only (true of every skmm
        transformer), since batches are transformed separately.
    X : sequence of samples
        Anything with ``len`` whose samples ``X[i]`` the estimator takes:
        a list of paths, clips or images, a pandas Series or DataFrame
        (rows by ``iloc``), an array (first axis), or a lazy sequence object
        that only implements ``__len__`` and ``__getitem__`` with an integer
        (reading or generating sample ``i`` on demand), so that ``X`` need
        not fit in memory either. Lists, arrays and pandas objects are
        passed to ``transform`` sliced, lazy sequences as lists of samples.
    out : str or path-like
        The output file, a NumPy ``.npy`` array of shape ``(n_samples,
        n_features)`` (its name is used as given).
    batch_size : int, default=1000
        Samples per ``transform`` call. Larger batches amortise per-call
        costs (parallel kernels, Python overhead); memory grows with it.
    dtype : dtype or None, default=None
        Dtype of the stored features; None keeps the dtype of the first
        batch's output.
    resume : bool, default=True
        Continue a previous run into ``out`` recorded in its progress file
        (a finished one is returned as is). The progress must match this
        call: same estimator class and parameters, same samples (see Notes)
        and dtype; otherwise a :class:`~skmm.exceptions.ResumeError` says
        what differs. False starts over, overwriting ``out``.
    verbose : bool, default=False
        Show a progress bar over the samples (``tqdm.auto``).

    Returns
    -------
    features : numpy.memmap of shape (n_samples, n_features)
        ``out``, mapped read-only.

    Raises
    ------
    RuntimeError
        When the estimator fails on a batch, naming the batch and the first
        sample that fails alone. The batches before it stay done.
    skmm.exceptions.ResumeError
        A ``ValueError``, when resuming is refused: the progress file is
        unreadable or garbled, ``out`` is not a readable ``.npy``, is
        truncated, or does not hold the rows the progress file records, or
        this call's estimator, samples or dtype differ from the recorded
        ones. The message names the file and suggests ``resume=False``.

    See Also
    --------
    CachedTransformer : Per-sample cache of stateless extractors.

    Notes
    -----
    Batches are written with ordinary file writes into the array created by
    ``numpy.lib.format.open_memmap``, not through a memory map: pages of a
    written map stay mapped and count towards the process's resident memory,
    which would then grow with the output. Each batch is flushed and synced
    before the progress file, written to a temporary file and renamed, says
    it is done, so an interruption at any point loses at most the batch in
    progress.

    The progress file is JSON (never unpickled). It records the estimator's
    class and parameters, not what it learned: resume with the same fitted
    estimator (e.g. one saved with ``joblib.dump``), or fix
    ``random_state`` of the stateful steps. It records ``X`` by its length
    and a blake2b hash of all its samples when they are strings (paths,
    documents) in a list, tuple, array or Series, else of 16 samples evenly
    spaced from the first to the last (so a lazy sequence reads only
    those): another ``X`` of the same length is refused unless it agrees
    on those samples. It also records a hash of the last batch's rows, which
    must read back from ``out`` unchanged.

    The rows are those of ``transform`` called batch by batch. Most
    transformers give the same bits whatever the batch (HOG, the encoders);
    a few compute in float32 with batched kernels whose rounding depends on
    the batch's other samples (MFCC's batched FFT and matrix products), and
    differ from one call on all of ``X`` in the last bits. An interrupted
    run resumed with the same ``batch_size`` sees the same batches, so it
    always gives exactly the file of an uninterrupted run; changing
    ``batch_size`` between runs is allowed but gives up that guarantee.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from skmm.audio import MFCC
    >>> from skmm.cache import extract_features
    >>> rng = np.random.default_rng(0)
    >>> clips = [rng.standard_normal(4000).astype(np.float32) for _ in range(5)]
    >>> mfcc = MFCC(sr=8000, n_mfcc=13).fit(clips[:1])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "mfcc.npy")
    ...     features = extract_features(mfcc, clips, out=path, batch_size=2)
    ...     again = extract_features(mfcc, clips, out=path, batch_size=2)
    ...     print(features.shape, np.array_equal(features, again))
    ...     print(np.allclose(features, mfcc.transform(clips), atol=1e-4))
    (5, 26) True
    True
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer):
        raise TypeError(f"batch_size must be an integer, got {batch_size!r}.")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}.")
    n_samples = len(X)
    if n_samples == 0:
        raise ValueError("X has no samples; extract_features needs at least one.")
    try:
        check_is_fitted(estimator)
    except NotFittedError as exc:
        raise NotFittedError(
            f"{exc} extract_features streams through a fitted estimator; a "
            "stateless extractor (MFCC, HOG, a reader) can be fitted on one "
            "sample, and encoders with partial_fit on streamed batches."
        ) from exc
    out = os.fspath(out)
    progress_path = _progress_path(out)
    expected = {
        "format": _PROGRESS_FORMAT,
        "estimator": estimator_hash(estimator),
        "estimator_repr": repr(estimator),
        "samples": sequence_fingerprint(X),
        "n_samples": n_samples,
    }
    if dtype is not None:
        expected["dtype"] = np.dtype(dtype).str

    progress = _read_progress(progress_path) if resume else None
    if progress is not None and not os.path.exists(out):
        progress = None
    if progress is not None:
        _check_resumable(progress, expected, out)
        done = progress["completed"]
        offset, row_bytes, out_dtype = _open_existing(out, progress)
        first = None
    else:
        done = 0
        stop = min(batch_size, n_samples)
        first = _transform(estimator, X, 0, stop, 0)
        out_dtype = first.dtype if dtype is None else np.dtype(dtype)
        if os.path.exists(progress_path):
            os.remove(progress_path)
        created = open_memmap(
            out, mode="w+", dtype=out_dtype, shape=(n_samples, first.shape[1])
        )
        offset, row_bytes = created.offset, created.itemsize * created.shape[1]
        del created
        progress = {
            **expected,
            "dtype": out_dtype.str,
            "n_features": first.shape[1],
            "completed": 0,
            "tail": {"start": 0, "stop": 0, "blake2b": ""},
        }
        _write_progress(progress_path, progress)

    width = progress["n_features"]
    with (
        open(out, "r+b") as file,
        progress_bar(
            n_samples, verbose=verbose, desc="extract_features", unit="sample"
        ) as bar,
    ):
        bar.update(done)
        for start in range(done, n_samples, batch_size):
            stop = min(start + batch_size, n_samples)
            if first is not None:
                features, first = first, None
            else:
                features = _transform(estimator, X, start, stop, start // batch_size)
            if features.shape[1] != width:
                raise ValueError(
                    f"{type(estimator).__name__}.transform returned "
                    f"{features.shape[1]} features for samples {start} to "
                    f"{stop - 1}, but the first batch had {width}; "
                    "extract_features needs fixed-width rows."
                )
            rows = np.ascontiguousarray(features, dtype=out_dtype)
            file.seek(offset + start * row_bytes)
            file.write(rows.data)
            file.flush()
            os.fsync(file.fileno())
            progress["completed"] = stop
            progress["tail"] = {
                "start": start,
                "stop": stop,
                "blake2b": _digest(rows.data),
            }
            _write_progress(progress_path, progress)
            bar.update(stop - start)
    return np.load(out, mmap_mode="r")
