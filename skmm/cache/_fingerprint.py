"""Fingerprints: of estimators (class and parameters), of files (content) and
of samples, for cache keys and resumable extraction."""

import hashlib
import os
import struct

import joblib
import numpy as np

# A file up to this size is hashed whole (blake2b hashes about 1 GB/s on one
# core, so at most ~20 ms, no more than decoding that much audio or image
# data costs). A larger one is identified by its size, times and first and
# last blocks: a reader may decode only part of it (``AudioReader``'s
# ``offset``/``duration``), so hashing it whole could cost more than the read.
WHOLE_FILE_LIMIT = 16 * 2**20
EDGE_BLOCK = 2**20
# A string shorter than this, on one line, naming an existing file is hashed
# as the file, not as text.
_MAX_PATH_LENGTH = 4096
_DIGEST_SIZE = 16


def describe_estimator(value):
    """``value`` with every estimator replaced by its class and parameters.

    ``get_params(deep=True)`` returns the nested estimator objects, whose
    pickles (and so hashes) include learned state and anything
    ``transform`` records; the description holds parameters only, so it is
    the same for a fitted estimator and its unfitted clone.
    """
    if hasattr(value, "get_params") and not isinstance(value, type):
        params = value.get_params(deep=False)
        return (
            type(value).__module__,
            type(value).__qualname__,
            {name: describe_estimator(params[name]) for name in sorted(params)},
        )
    if isinstance(value, list | tuple):
        return type(value)(describe_estimator(item) for item in value)
    if isinstance(value, dict):
        return {key: describe_estimator(item) for key, item in value.items()}
    return value


def estimator_hash(estimator):
    """Hash of an estimator's class and parameters (not its fitted state)."""
    return joblib.hash(describe_estimator(estimator))


def _file_path(sample):
    """The path ``sample`` names when it is an existing regular file, else None."""
    if not isinstance(sample, str | os.PathLike):
        return None
    path = os.fspath(sample)
    if not isinstance(path, str):
        path = os.fsdecode(path)
    if len(path) >= _MAX_PATH_LENGTH or "\n" in path or not os.path.isfile(path):
        return None
    return path


def file_digest(path):
    """Hex digest of a file, by content (see ``WHOLE_FILE_LIMIT``).

    Up to ``WHOLE_FILE_LIMIT`` bytes: the extension, the size and the whole
    content, wherever the file lies (copies share it). Larger: the absolute
    path, extension, size, modification and status-change times
    (nanoseconds) and the first and last ``EDGE_BLOCK`` bytes. Restoring a
    modification time with ``os.utime`` still changes the status-change
    time, which no user call can set.
    """
    digest = hashlib.blake2b(digest_size=_DIGEST_SIZE, person=b"skmm-file")
    with open(path, "rb") as file:
        stat = os.fstat(file.fileno())
        extension = os.path.splitext(path)[1].encode("utf-8", "surrogateescape")
        digest.update(struct.pack("<Q", len(extension)) + extension)
        if stat.st_size <= WHOLE_FILE_LIMIT:
            digest.update(b"whole" + struct.pack("<Q", stat.st_size))
            while block := file.read(EDGE_BLOCK):
                digest.update(block)
        else:
            where = os.path.abspath(path).encode("utf-8", "surrogateescape")
            digest.update(b"edges" + struct.pack("<Q", len(where)) + where)
            digest.update(
                struct.pack("<Qqq", stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
            )
            digest.update(file.read(EDGE_BLOCK))
            file.seek(stat.st_size - EDGE_BLOCK)
            digest.update(file.read(EDGE_BLOCK))
    return digest.hexdigest()


def sample_key(sample):
    """Cache key of one sample: a file's digest, or the hash of the value."""
    path = _file_path(sample)
    if path is not None:
        try:
            return file_digest(path)
        except OSError:
            # Vanished or unreadable since isfile: the reader will say why.
            pass
    return joblib.hash(("value", sample))


def sequence_fingerprint(X, n_sampled=16):
    """Hash of a sequence of samples: its length and some of its samples.

    A list, tuple or pandas Series of strings (paths, documents) is hashed
    whole, which is cheap; any other ``X`` by its length and ``n_sampled``
    samples evenly spaced from the first to the last, so that a lazy
    sequence reads or generates only those.
    """
    n_samples = len(X)
    digest = hashlib.blake2b(digest_size=_DIGEST_SIZE, person=b"skmm-seq")
    digest.update(struct.pack("<Q", n_samples))
    values = X.to_numpy(dtype=object) if _is_series(X) else X
    if isinstance(values, list | tuple | np.ndarray) and all(
        isinstance(value, str) for value in values
    ):
        for value in values:
            encoded = value.encode("utf-8", "surrogatepass")
            digest.update(struct.pack("<Q", len(encoded)) + encoded)
        return digest.hexdigest()
    positions = np.unique(np.linspace(0, n_samples - 1, n_sampled).round().astype(int))
    for position in positions:
        item = X.iloc[int(position)] if hasattr(X, "iloc") else X[int(position)]
        if hasattr(item, "iloc"):
            # A DataFrame's row: its values, not its index label.
            item = item.tolist()
        digest.update(joblib.hash(("sample", int(position), item)).encode())
    return digest.hexdigest()


def _is_series(X):
    return hasattr(X, "iloc") and getattr(X, "ndim", None) == 1
