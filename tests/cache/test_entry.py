"""The cache entry format: exact round trips, and nothing served that does
not check out, even with a valid checksum."""

import json
import pickle

import numpy as np
import pytest
import scipy.sparse as sp

from skmm.audio import Waveform
from skmm.cache import _entry

KEY = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    "item",
    [
        np.arange(6, dtype=np.float64),
        np.arange(6, dtype=">i2"),
        np.array([1 + 2j, 3 - 4j], dtype=np.complex64),
        np.array([True, False]),
        np.arange(24, dtype=np.uint8).reshape(2, 3, 4),
        np.zeros((0, 128), dtype=np.float32),
        np.array(3.5, dtype=np.float32),
        np.asfortranarray(np.arange(6.0).reshape(2, 3)),
    ],
)
@pytest.mark.parametrize("kind", ["array", "list"])
def test_arrays_round_trip_exactly(kind, item):
    read_kind, read = _entry.decode(KEY, _entry.encode(KEY, kind, item))
    assert read_kind == kind and type(read) is np.ndarray
    assert read.dtype == item.dtype and read.shape == item.shape
    np.testing.assert_array_equal(read, item)
    assert read.flags.writeable and read.flags.aligned


def test_waveform_round_trips_with_its_rate():
    wave = Waveform(np.linspace(-1, 1, 50), sr=11025)
    _, read = _entry.decode(KEY, _entry.encode(KEY, "list", wave))
    assert type(read) is Waveform and read.sr == 11025 and read.dtype == np.float32
    np.testing.assert_array_equal(read, wave)


@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csr_array])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
def test_sparse_rows_round_trip(container, dtype):
    row = container(np.array([[0, 2, 0, 3]], dtype=dtype))
    kind, read = _entry.decode(KEY, _entry.encode(KEY, "sparse", row))
    assert kind == "sparse" and type(read) is type(row) and read.dtype == row.dtype
    np.testing.assert_array_equal(read.toarray(), row.toarray())


@pytest.mark.parametrize(
    "item",
    [
        None,
        np.array(["a", "b"]),
        np.array([{}, 1], dtype=object),
        np.zeros(2, dtype=[("a", "f8")]),
        np.ma.masked_array([1.0, 2.0]),
    ],
    ids=["None", "str", "object", "structured", "masked"],
)
def test_what_cannot_be_stored_is_not(item):
    assert _entry.encode(KEY, "list", item) is None


def _forge(header, payload=b""):
    """A well-formed entry with a valid checksum around any header."""
    header = json.dumps(header).encode()
    prefix = _entry._PREFIX.pack(_entry._MAGIC, _entry._VERSION, len(header))
    checksum = _entry._checksum(KEY, prefix, header, (payload,))
    return prefix + checksum + header + payload


@pytest.mark.parametrize(
    ("header", "payload"),
    [
        (
            {
                "kind": "list",
                "type": "ndarray",
                "parts": [{"dtype": "|O", "shape": [1]}],
            },
            bytes(8),
        ),
        (
            {
                "kind": "list",
                "type": "ndarray",
                "parts": [{"dtype": "<f8", "shape": [2]}],
            },
            bytes(8),
        ),
        (
            {
                "kind": "list",
                "type": "ndarray",
                "parts": [{"dtype": "<f8", "shape": [1]}],
            },
            bytes(9),
        ),
        (
            {
                "kind": "list",
                "type": "ndarray",
                "parts": [{"dtype": "<f8", "shape": [-1]}],
            },
            bytes(8),
        ),
        (
            {
                "kind": "list",
                "type": "numpy.matrix",
                "parts": [{"dtype": "<f8", "shape": [1]}],
            },
            bytes(8),
        ),
        (
            {
                "kind": "list",
                "type": "ndarray",
                "parts": [{"dtype": "f8", "shape": [1]}],
            },
            bytes(8),
        ),
        ({"kind": "pickle", "type": "ndarray", "parts": []}, b""),
        (
            {
                "kind": "sparse",
                "container": "matrix",
                "shape": [1, 2],
                "parts": [
                    {"dtype": "<f8", "shape": [1]},
                    {"dtype": "<i4", "shape": [1]},
                    {"dtype": "<i4", "shape": [2]},
                ],
            },
            np.float64(1).tobytes() + np.int32([5, 0, 1]).tobytes(),
        ),
        ([], b""),
    ],
    ids=[
        "object",
        "short",
        "long",
        "negative",
        "class",
        "dtype-alias",
        "kind",
        "sparse-index",
        "not-dict",
    ],
)
def test_forged_entries_with_valid_checksums_are_refused(header, payload):
    with pytest.raises(_entry.InvalidEntry):
        _entry.decode(KEY, _forge(header, payload))


def test_pickles_and_other_keys_are_refused():
    data = _entry.encode(KEY, "list", np.arange(3.0))
    with pytest.raises(_entry.InvalidEntry, match="checksum"):
        _entry.decode("f" * 32, data)
    with pytest.raises(_entry.InvalidEntry, match="not a skmm cache entry"):
        _entry.decode(KEY, pickle.dumps(np.arange(3.0)) + bytes(64))
