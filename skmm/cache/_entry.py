"""The on-disk format of one cache entry; reading it executes nothing.

An entry is one file::

    prefix   14 bytes  magic b"\\x93SKMMENT", format version (uint16 LE),
                       header length (uint32 LE)
    checksum 32 bytes  blake2b of the entry's key, the prefix, the header and
                       the payload
    header   JSON      kind, output type, dtype(s) and shape
    payload  bytes     the array's raw C-order bytes (for a sparse row: data,
                       indices and indptr, one after the other)

Only numeric dtypes (bool, integers, floats, complex) are stored: nothing in
an entry names a class to import or a function to call. An entry whose
checksum, layout or header does not check out raises :class:`InvalidEntry`.
The checksum covers the key, so an entry copied to another sample's path is
refused too. It detects corruption, not forgery: someone who can write into
the cache folder can still plant wrong values, but not run code.
"""

import functools
import hashlib
import json
import math
import os
import struct
import tempfile

import numpy as np
import scipy.sparse as sp

SUFFIX = ".entry"
_MAGIC = b"\x93SKMMENT"
_VERSION = 1
_PREFIX = struct.Struct("<8sHI")
_CHECKSUM_SIZE = 32
_MAX_HEADER_BYTES = 4096
_MAX_NDIM = 32


class InvalidEntry(ValueError):
    """An entry that must not be served (corrupt, truncated, foreign)."""


def _checksum(key, prefix, header, payload):
    digest = hashlib.blake2b(digest_size=_CHECKSUM_SIZE, person=b"skmm-entry")
    for part in (key.encode(), prefix, header, *payload):
        digest.update(part)
    return digest.digest()


def storable_dtype(dtype):
    """Whether arrays of ``dtype`` can be stored: plain numeric dtypes only."""
    return dtype.kind in "biufc" and dtype.names is None and dtype.subdtype is None


def _array_header(item):
    return {"dtype": item.dtype.str, "shape": list(item.shape)}


def encode(key, kind, item):
    """The bytes of an entry holding ``item``, or None when it cannot be stored.

    ``kind`` is "array" (a row of a 2-D output), "list" (one sample's array
    of a list output: a descriptor set, a reader's image or Waveform) or
    "sparse" (a one-row CSR matrix or array).
    """
    Waveform = _waveform_class()
    if kind == "sparse":
        item = item.tocsr()
        parts = (item.data, item.indices, item.indptr)
        if not all(storable_dtype(part.dtype) for part in parts):
            return None
        header = {
            "kind": kind,
            "container": "array" if isinstance(item, sp.sparray) else "matrix",
            "shape": list(item.shape),
            "parts": [_array_header(part) for part in parts],
        }
    elif kind in ("array", "list"):
        if type(item) is np.ndarray:
            header = {"kind": kind, "type": "ndarray"}
        elif type(item) is Waveform and isinstance(item.sr, int):
            header = {"kind": kind, "type": "Waveform", "sr": item.sr}
        else:
            # None (an unreadable sample, recomputed so that its warning
            # shows every time), CuPy arrays and other array types.
            return None
        if not storable_dtype(item.dtype):
            return None
        parts = (item,)
        header["parts"] = [_array_header(item)]
    else:
        raise ValueError(f"Unknown entry kind {kind!r}.")
    header = json.dumps(header, separators=(",", ":")).encode()
    payload = [part.tobytes() for part in parts]
    prefix = _PREFIX.pack(_MAGIC, _VERSION, len(header))
    return b"".join((prefix, _checksum(key, prefix, header, payload), header, *payload))


def _check(condition, reason):
    if not condition:
        raise InvalidEntry(reason)


def _parse_array_header(header):
    _check(
        isinstance(header, dict) and set(header) == {"dtype", "shape"},
        "bad array header",
    )
    text, shape = header["dtype"], header["shape"]
    _check(isinstance(text, str), "bad dtype")
    try:
        dtype = np.dtype(text)
    except (TypeError, ValueError) as exc:
        raise InvalidEntry(f"bad dtype {text!r}") from exc
    _check(dtype.str == text and storable_dtype(dtype), f"bad dtype {text!r}")
    _check(
        isinstance(shape, list)
        and len(shape) <= _MAX_NDIM
        and all(type(n) is int and n >= 0 for n in shape),
        "bad shape",
    )
    return dtype, tuple(shape), math.prod(shape)


@functools.lru_cache(maxsize=1024)
def _parse_header(header_bytes):
    """``(kind, header, parts)`` of a JSON header, checked; memoised, since
    the entries of one output mostly share their header."""
    try:
        header = json.loads(header_bytes)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidEntry("bad header") from exc
    _check(isinstance(header, dict), "bad header")
    kind = header.get("kind")
    expected_keys = {
        "sparse": {"kind", "container", "shape", "parts"},
        "array": {"kind", "type", "parts"},
        "list": {"kind", "type", "parts"},
    }.get(kind)
    _check(expected_keys is not None, f"unknown kind {kind!r}")
    item_type = header.get("type")
    if item_type == "Waveform":
        expected_keys = expected_keys | {"sr"}
        sr = header.get("sr")
        _check(type(sr) is int and sr > 0, "bad Waveform rate")
    _check(set(header) == expected_keys, "bad header fields")
    _check(kind == "sparse" or item_type in ("ndarray", "Waveform"), "bad type")
    part_headers = header["parts"]
    _check(
        isinstance(part_headers, list)
        and len(part_headers) == (3 if kind == "sparse" else 1),
        "bad parts",
    )
    parts = tuple(_parse_array_header(part) for part in part_headers)
    if item_type == "Waveform":
        _check(parts[0][0] == np.float32, "bad Waveform dtype")
    return kind, header, parts


def decode(key, data):
    """``(kind, item)`` of an entry's bytes; raises :class:`InvalidEntry`."""
    start = _PREFIX.size + _CHECKSUM_SIZE
    _check(len(data) >= start, "truncated")
    magic, version, header_size = _PREFIX.unpack_from(data)
    _check(magic == _MAGIC, "not a skmm cache entry")
    _check(version == _VERSION, f"format version {version}, not {_VERSION}")
    _check(header_size <= _MAX_HEADER_BYTES, "header too long")
    _check(len(data) >= start + header_size, "truncated")
    view = memoryview(data)
    header_bytes = bytes(view[start : start + header_size])
    payload = view[start + header_size :]
    _check(
        _checksum(key, view[: _PREFIX.size], header_bytes, (payload,))
        == view[_PREFIX.size : start],
        "checksum mismatch",
    )
    kind, header, part_headers = _parse_header(header_bytes)
    parts, offset = [], 0
    for dtype, shape, count in part_headers:
        size = count * dtype.itemsize
        _check(offset + size <= len(payload), "truncated payload")
        # A copy: aligned, writable, and not holding on to the whole file.
        array = np.frombuffer(payload, dtype=dtype, count=count, offset=offset)
        parts.append(array.reshape(shape).copy())
        offset += size
    _check(offset == len(payload), "payload longer than its header says")

    if kind == "sparse":
        return kind, _sparse_row(header, *parts)
    (item,) = parts
    if header["type"] == "Waveform":
        return kind, _waveform_class()(item, sr=header["sr"])
    return kind, item


@functools.cache
def _waveform_class():
    # Imported on first use: skmm.audio imports its extractors too.
    from skmm.audio._waveform import Waveform

    return Waveform


def _sparse_row(header, data, indices, indptr):
    shape = header["shape"]
    _check(
        header["container"] in ("matrix", "array")
        and isinstance(shape, list)
        and len(shape) == 2
        and all(type(n) is int and n >= 0 for n in shape),
        "bad sparse header",
    )
    n_rows, n_columns = shape
    _check(
        data.ndim == indices.ndim == indptr.ndim == 1
        and len(data) == len(indices)
        and len(indptr) == n_rows + 1,
        "bad sparse parts",
    )
    # Checked so that joining the rows cannot fail on a forged structure.
    _check(
        indices.dtype.kind in "iu"
        and indptr.dtype.kind in "iu"
        and indptr[0] == 0
        and indptr[-1] == len(data)
        and bool(np.all(np.diff(indptr.astype(np.int64)) >= 0))
        and bool(np.all((indices >= 0) & (indices < n_columns))),
        "bad sparse structure",
    )
    container = sp.csr_array if header["container"] == "array" else sp.csr_matrix
    return container((data, indices, indptr), shape=(n_rows, n_columns))


def read(path):
    """The bytes of the entry at ``path``, or None when there is none."""
    try:
        with open(path, "rb") as file:
            return file.read()
    except FileNotFoundError:
        return None


def write(path, data):
    """Write an entry atomically: a temporary file renamed over ``path``."""
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
