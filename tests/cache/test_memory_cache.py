"""InMemoryCache: CachedTransformer's entries in this process's memory."""

import copy
import pickle

import numpy as np
import pytest
from sklearn.base import clone
from test_cache import Spy, _assert_same_output

from skmm.cache import CachedTransformer, InMemoryCache
from skmm.image import ImageReader


@pytest.mark.parametrize("output", ["array", "sparse", "list"])
def test_in_memory_cache_computes_each_sample_once(output):
    rng = np.random.default_rng(0)
    samples = [rng.standard_normal(n) for n in (3, 5, 7, 9)]
    expected = Spy(output=output).fit_transform(samples)
    store = InMemoryCache()
    cached = CachedTransformer(Spy(output=output), memory=store).fit(samples[:1])
    assert cached.cache_dir_ is None
    Spy.calls.clear()
    _assert_same_output(cached.transform(samples), expected)
    assert Spy.calls == [4] and len(store) == 4
    # A clone (as cross-validation makes) shares the store: nothing computed.
    reversed_expected = Spy(output=output).transform(samples[::-1])
    Spy.calls.clear()
    again = clone(cached).fit(samples[2:])
    assert again.memory is store
    _assert_same_output(again.transform(samples[::-1]), reversed_expected)
    assert Spy.calls == []
    assert again.is_cached(samples + [rng.standard_normal(2)]).tolist() == [
        True
    ] * 4 + [False]
    # Other parameters are other entries.
    other = CachedTransformer(Spy(scale=2.0, output=output), memory=store).fit(samples)
    Spy.calls.clear()
    other.transform(samples)
    assert Spy.calls == [4] and len(store) == 8


def test_in_memory_entries_are_copies():
    samples = [np.arange(4.0), np.arange(6.0)]
    cached = CachedTransformer(Spy(output="list"), memory=InMemoryCache()).fit(samples)
    first = cached.transform(samples)
    first[0][...] = -1
    second = cached.transform(samples)
    np.testing.assert_array_equal(second[0], Spy(output="list").transform(samples)[0])


def test_in_memory_cache_drops_least_recently_used():
    store = InMemoryCache(max_bytes=1000)
    for i in range(5):
        store.put(f"k{i}", bytes(300))
        assert store.nbytes <= 1000
    assert len(store) == 3 and store.get("k0") is None
    store.get("k2")  # now the most recent
    store.put("k5", bytes(300))
    assert store.get("k2") is not None and store.get("k3") is None
    store.put("huge", bytes(2000))  # larger than the store: not kept
    assert store.get("huge") is None and store.nbytes == 900
    store.clear()
    assert len(store) == 0 and store.nbytes == 0


def test_in_memory_cache_copies_share_and_pickles_arrive_empty():
    store = InMemoryCache(max_bytes=10_000)
    store.put("a", b"xyz")
    assert copy.copy(store) is store and copy.deepcopy(store) is store
    sent = pickle.loads(pickle.dumps(store))
    assert sent is not store and sent.max_bytes == 10_000 and len(sent) == 0
    with pytest.raises(ValueError, match="max_bytes"):
        InMemoryCache(max_bytes=-1)


def test_in_memory_cache_of_a_reader_keeps_unreadable_cells_uncached(tmp_path):
    path = tmp_path / "picture.png"
    import cv2

    cv2.imwrite(str(path), np.full((8, 8), 200, np.uint8))
    store = InMemoryCache()
    reader = CachedTransformer(ImageReader(on_error="missing"), memory=store)
    cells = [str(path), str(tmp_path / "absent.png")]
    with pytest.warns(UserWarning, match="1 of 2"):
        images = reader.fit_transform(cells)
    assert images[1] is None and len(store) == 1
    np.testing.assert_array_equal(images[0], 200)
