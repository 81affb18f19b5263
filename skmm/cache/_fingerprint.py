"""Fingerprints: of estimators (class and parameters), of files (content) and
of samples, for cache keys and resumable extraction."""

import hashlib
import os
import stat
import struct
import time

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
# File digests remembered in this process (see _remembered_file_digest).
SETTLED_NS = 2 * 10**9
_MAX_REMEMBERED = 2**17
_DIGESTS = {}


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
        status = os.fstat(file.fileno())
        extension = os.path.splitext(path)[1].encode("utf-8", "surrogateescape")
        digest.update(struct.pack("<Q", len(extension)) + extension)
        if status.st_size <= WHOLE_FILE_LIMIT:
            digest.update(b"whole" + struct.pack("<Q", status.st_size))
            # One read of the expected size: a fixed large block would be
            # allocated for every small file.
            digest.update(file.read(status.st_size))
            while block := file.read(EDGE_BLOCK):
                # Grown since the stat: hashed whole all the same.
                digest.update(block)
        else:
            where = os.path.abspath(path).encode("utf-8", "surrogateescape")
            digest.update(b"edges" + struct.pack("<Q", len(where)) + where)
            times = (status.st_mtime_ns, status.st_ctime_ns)
            digest.update(struct.pack("<Qqq", status.st_size, *times))
            digest.update(file.read(EDGE_BLOCK))
            file.seek(status.st_size - EDGE_BLOCK)
            digest.update(file.read(EDGE_BLOCK))
    return digest.hexdigest()


def _remembered_file_digest(path, status):
    """``file_digest(path)``, remembered while the file's status is unchanged.

    Remembered by the file's absolute path, device, inode, size and
    modification and status-change times, and only once those times are
    ``SETTLED_NS`` old: any later write, rename over it or ``os.utime``
    sets the status-change time to the time of that call, which then
    differs, so the file is hashed again. (A change within the clock's
    resolution of the previous one could keep it; a settled file cannot
    be changed within that resolution of its last change any more.) Not
    on Windows, where ``st_ctime`` is the creation time.
    """
    remembered_as = (
        os.path.abspath(path),
        status.st_dev,
        status.st_ino,
        status.st_size,
        status.st_mtime_ns,
        status.st_ctime_ns,
    )
    digest = _DIGESTS.get(remembered_as)
    if digest is None:
        digest = file_digest(path)
        settled = time.time_ns() - max(status.st_mtime_ns, status.st_ctime_ns)
        if os.name != "nt" and settled > SETTLED_NS:
            if len(_DIGESTS) >= _MAX_REMEMBERED:
                _DIGESTS.pop(next(iter(_DIGESTS)), None)
            _DIGESTS[remembered_as] = digest
    return digest


def sample_key(sample):
    """Cache key of one sample: a file's digest, or the hash of the value."""
    if isinstance(sample, str | os.PathLike):
        path = os.fspath(sample)
        if isinstance(path, str) and len(path) < _MAX_PATH_LENGTH and "\n" not in path:
            try:
                status = os.stat(path)
            except (OSError, ValueError):
                # No such file (a string sample), or a NUL in the name.
                status = None
            if status is not None and stat.S_ISREG(status.st_mode):
                try:
                    return _remembered_file_digest(path, status)
                except OSError:
                    # Vanished or unreadable since: the reader will say why.
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
