"""CachedTransformer: per-sample on-disk cache of stateless extractors."""

import os
import pickle
import time
import warnings
from pathlib import Path

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline, make_union
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from skmm.audio import MFCC
from skmm.cache import CachedTransformer, _entry, _fingerprint
from skmm.cache._fingerprint import sample_key
from skmm.datasets import make_multimodal_digits
from skmm.encode import BagOfWords, StatsPooling
from skmm.exceptions import CacheEntryWarning
from skmm.utils.estimator_checks import check_estimator


class Spy(TransformerMixin, BaseEstimator):
    """Stateless: length and scaled sum of each sample; records every call."""

    calls = []

    def __init__(self, *, scale=1.0, output="array"):
        self.scale = scale
        self.output = output

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        return tags

    def fit(self, X, y=None):
        self.fitted_ = True
        return self

    def transform(self, X):
        samples = [_read(x) for x in X]
        Spy.calls.append(len(samples))
        rows = np.array([[len(s), self.scale * float(np.sum(s))] for s in samples])
        if self.output == "sparse":
            return sp.csr_matrix(rows)
        if self.output == "list":
            return [row[None, :] for row in rows]
        return rows

    def get_feature_names_out(self, input_features=None):
        return np.asarray(["length", "sum"], dtype=object)


def _read(sample):
    if isinstance(sample, str):
        with open(sample, "rb") as file:
            return np.frombuffer(file.read(), dtype=np.uint8)
    return np.asarray(sample)


def _assert_same_output(result, expected):
    assert type(result) is type(expected)
    if isinstance(expected, list):
        assert len(result) == len(expected)
        for a, b in zip(result, expected, strict=True):
            assert type(a) is type(b)
            if b is not None:
                assert a.dtype == b.dtype and a.shape == b.shape
                np.testing.assert_array_equal(a, b)
    elif sp.issparse(expected):
        assert result.dtype == expected.dtype
        np.testing.assert_array_equal(result.toarray(), expected.toarray())
    else:
        assert result.dtype == expected.dtype
        np.testing.assert_array_equal(result, expected)


def _entry_paths(location):
    return sorted((location / "skmm_cache").rglob(f"*{_entry.SUFFIX}"))


@pytest.fixture(autouse=True)
def _reset_spy():
    Spy.calls.clear()


@pytest.fixture
def samples():
    rng = np.random.default_rng(0)
    return [rng.normal(size=int(rng.integers(3, 9))) for _ in range(10)]


@pytest.mark.parametrize("output", ["array", "sparse", "list"])
def test_identical_output_and_second_call_computes_nothing(tmp_path, samples, output):
    expected = Spy(output=output).transform(samples)
    cached = CachedTransformer(Spy(output=output), memory=tmp_path).fit(samples)
    assert not cached.is_cached(samples).any()
    Spy.calls.clear()
    for _ in range(2):
        _assert_same_output(cached.transform(samples), expected)
    assert Spy.calls == [10]
    assert cached.is_cached(samples).all()
    assert len(_entry_paths(tmp_path)) == 10


def test_only_missing_samples_are_computed_in_one_batch(tmp_path, samples):
    cached = CachedTransformer(Spy(), memory=tmp_path).fit(samples)
    cached.transform(samples[:4])
    # Order kept, the duplicate computed once, the 4 known samples loaded.
    X = samples[::-1] + [samples[7]]
    result = cached.transform(X)
    assert Spy.calls == [4, 6]
    np.testing.assert_array_equal(result, Spy().transform(X))


def test_without_memory_nothing_is_cached(samples):
    cached = CachedTransformer(Spy()).fit(samples)
    cached.transform(samples)
    cached.transform(samples)
    assert Spy.calls == [10, 10]
    assert cached.cache_dir_ is None
    assert not cached.is_cached(samples).any()


def test_joblib_memory_and_different_params_different_keys(tmp_path, samples):
    one = CachedTransformer(Spy(scale=1.0), memory=joblib.Memory(tmp_path)).fit(samples)
    two = CachedTransformer(Spy(scale=2.0), memory=str(tmp_path)).fit(samples)
    assert one.cache_dir_ != two.cache_dir_
    assert one.cache_dir_.startswith(str(tmp_path))
    a, b = one.transform(samples), two.transform(samples)
    np.testing.assert_array_equal(b[:, 1], 2 * a[:, 1])
    assert Spy.calls == [10, 10]
    # Same parameters, a fresh instance: same key, nothing computed.
    three = CachedTransformer(Spy(scale=2.0), memory=tmp_path).fit(samples)
    assert three.cache_dir_ == two.cache_dir_
    three.transform(samples)
    assert Spy.calls == [10, 10]


def test_key_does_not_depend_on_fitted_state(tmp_path, samples):
    unfitted = make_pipeline(Spy(), Spy(scale=2.0))
    fitted = make_pipeline(Spy(), Spy(scale=2.0)).fit(samples)
    # What a key from get_params(deep=True) would see: the fitted steps.
    assert joblib.hash(fitted.get_params(deep=True)) != joblib.hash(
        unfitted.get_params(deep=True)
    )
    one = CachedTransformer(unfitted, memory=tmp_path).fit(samples)
    two = CachedTransformer(fitted, memory=tmp_path).fit(samples)
    assert one.cache_dir_ == two.cache_dir_
    # Transforming records nothing that moves the key either.
    one.transform(samples)
    assert CachedTransformer(unfitted, memory=tmp_path).fit(samples).cache_dir_ == (
        one.cache_dir_
    )


@pytest.mark.parametrize("memory", [None, "cache"])
def test_transform_mutates_nothing(tmp_path, samples, memory):
    memory = memory and tmp_path / memory
    cached = CachedTransformer(Spy(), memory=memory).fit(samples)
    before = vars(cached).copy()
    state = joblib.hash(vars(cached))
    for _ in range(2):
        cached.transform(samples[:6])
        cached.is_cached(samples)
        assert vars(cached).keys() == before.keys()
        assert all(vars(cached)[name] is value for name, value in before.items())
        assert joblib.hash(vars(cached)) == state


def test_pickle(tmp_path, samples):
    cached = CachedTransformer(Spy(), memory=tmp_path).fit(samples)
    expected = cached.transform(samples)
    restored = pickle.loads(pickle.dumps(cached))
    assert restored.is_cached(samples).all()
    np.testing.assert_array_equal(restored.transform(samples), expected)
    assert Spy.calls == [10]


def _write(path, data):
    path.write_bytes(data)
    return str(path)


def test_files_keyed_by_content(tmp_path):
    paths = [_write(tmp_path / f"sample{i}.bin", bytes(range(i + 1))) for i in range(3)]
    key = sample_key(paths[0])
    assert key == sample_key(paths[0])
    # A string that names no file is hashed as text.
    assert sample_key("no such file") == sample_key("no such file")
    assert sample_key("no such file") != key
    # Same bytes and extension elsewhere: the same sample.
    assert sample_key(_write(tmp_path / "copy.bin", bytes(range(1)))) == key
    assert sample_key(_write(tmp_path / "copy.wav", bytes(range(1)))) != key

    cached = CachedTransformer(Spy(), memory=tmp_path / "cache").fit(paths)
    first = cached.transform(paths)
    # A new modification time, same bytes: the same features, not recomputed.
    stat = os.stat(paths[0])
    os.utime(paths[0], ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert sample_key(paths[0]) == key
    np.testing.assert_array_equal(cached.transform(paths), first)
    assert Spy.calls == [3]
    # New content and size.
    (tmp_path / "sample1.bin").write_bytes(bytes(range(50)))
    result = cached.transform(paths)
    assert Spy.calls == [3, 1] and result[1, 0] == 50


@pytest.mark.parametrize("remembered", [False, True])
@pytest.mark.parametrize("size", ["small", "large"])
def test_rewritten_file_with_restored_mtime_gives_fresh_features(
    tmp_path, monkeypatch, size, remembered
):
    monkeypatch.setattr(_fingerprint, "_DIGESTS", {})
    if remembered:
        # Digests are remembered at once, not only for files 2 s old.
        monkeypatch.setattr(_fingerprint, "SETTLED_NS", -(10**12))
    if size == "large":
        # Past the whole-file limit: only the edges are hashed, with the times.
        monkeypatch.setattr(_fingerprint, "WHOLE_FILE_LIMIT", 1000)
        monkeypatch.setattr(_fingerprint, "EDGE_BLOCK", 100)
    path = _write(tmp_path / "clip.bin", bytes(3000))
    stat = os.stat(path)
    cached = CachedTransformer(Spy(), memory=tmp_path / "cache").fit([path])
    np.testing.assert_array_equal(cached.transform([path]), [[3000, 0]])
    # The timestamps' clock may tick only every few milliseconds.
    time.sleep(0.05)
    with open(path, "r+b") as file:
        file.seek(1500)
        file.write(b"\x07")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert os.stat(path).st_size == stat.st_size
    assert os.stat(path).st_mtime_ns == stat.st_mtime_ns
    np.testing.assert_array_equal(cached.transform([path]), [[3000, 7]])
    assert Spy.calls == [1, 1]
    assert len(_fingerprint._DIGESTS) == (2 if remembered else 0)


def test_settled_files_are_hashed_once_per_process(tmp_path, monkeypatch):
    monkeypatch.setattr(_fingerprint, "_DIGESTS", {})
    hashed = []
    digest = _fingerprint.file_digest
    monkeypatch.setattr(
        _fingerprint, "file_digest", lambda path: hashed.append(path) or digest(path)
    )
    fresh = _write(tmp_path / "fresh.bin", b"abc")
    settled = _write(tmp_path / "settled.bin", b"abcd")
    old = time.time_ns() - 10 * 10**9
    os.utime(settled, ns=(old, old))
    # utime just set the status-change time: not settled yet.
    monkeypatch.setattr(_fingerprint, "SETTLED_NS", -(10**12))
    for _ in range(3):
        sample_key(settled)
    monkeypatch.setattr(_fingerprint, "SETTLED_NS", 2 * 10**9)
    for _ in range(3):
        sample_key(fresh)
    assert hashed == [settled] + [fresh] * 3


class _Plant:
    """Unpickling this creates ``marker``: what an attacker's pickle would run."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_planted_pickle_executes_nothing(tmp_path, samples):
    location = tmp_path / "cache"
    cached = CachedTransformer(Spy(), memory=location).fit(samples)
    expected = Spy().transform(samples)
    # The payload is live: unpickled, it creates its marker.
    probe = tmp_path / "probe"
    pickle.loads(pickle.dumps(_Plant(str(probe)))).close()
    assert probe.exists()
    Spy.calls.clear()

    marker = tmp_path / "pwned"
    planted = pickle.dumps(_Plant(str(marker)))
    for sample in samples[:3]:
        path = cached._path(sample_key(sample))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as file:
            file.write(planted)
        # The name entries had when they were pickles.
        with open(path[: -len(_entry.SUFFIX)] + ".pkl", "wb") as file:
            file.write(planted)
    with pytest.warns(CacheEntryWarning, match="3 cache entries") as record:
        result = cached.transform(samples)
    assert len(record) == 1
    assert not marker.exists()
    np.testing.assert_array_equal(result, expected)
    # The planted entries were replaced by valid ones.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(cached.transform(samples), expected)
    assert not marker.exists()
    assert Spy.calls == [10]


def _damaged_versions(data, n_random=50):
    """``(description, bytes)``: byte flips and truncations of an entry, at
    50 random offsets and at the edges of every part of the layout."""
    rng = np.random.default_rng(0)
    header_start = _entry._PREFIX.size + _entry._CHECKSUM_SIZE
    edges = {0, 1, 8, _entry._PREFIX.size - 1, _entry._PREFIX.size}
    edges |= {header_start - 1, header_start, header_start + 1, len(data) - 1}
    offsets = rng.choice(len(data), n_random, replace=False).tolist()
    offsets = sorted(edges | set(offsets))
    for offset in offsets:
        flipped = bytearray(data)
        flipped[offset] ^= 0xFF
        yield f"flip {offset}", bytes(flipped)
        yield f"truncate {offset}", data[:offset]
    yield "append", data + b"\0"


@pytest.mark.parametrize("output", ["array", "sparse", "list"])
def test_damaged_entries_are_recomputed_never_served(tmp_path, samples, output):
    cached = CachedTransformer(Spy(output=output), memory=tmp_path).fit(samples)
    expected = Spy(output=output).transform(samples)
    cached.transform(samples)
    path = cached._path(sample_key(samples[3]))
    data = Path(path).read_bytes()
    n_checked = 0
    for description, damaged in _damaged_versions(data):
        with open(path, "wb") as file:
            file.write(damaged)
        Spy.calls.clear()
        with pytest.warns(CacheEntryWarning) as record:
            result = cached.transform(samples)
        assert len(record) == 1, description
        assert Spy.calls == [1], description
        _assert_same_output(result, expected)
        assert Path(path).read_bytes() == data, description
        n_checked += 1
    assert n_checked > 100


def test_directory_in_place_of_an_entry(tmp_path, samples):
    cached = CachedTransformer(Spy(), memory=tmp_path).fit(samples)
    expected = cached.transform(samples)
    path = cached._path(sample_key(samples[0]))
    os.remove(path)
    os.mkdir(path)
    for _ in range(2):
        with pytest.warns(CacheEntryWarning, match="unreadable"):
            np.testing.assert_array_equal(cached.transform(samples), expected)


def test_entry_under_another_samples_key_is_refused(tmp_path, samples):
    cached = CachedTransformer(Spy(), memory=tmp_path).fit(samples)
    expected = cached.transform(samples)
    one, two = (cached._path(sample_key(sample)) for sample in samples[:2])
    os.replace(one, two)
    with pytest.warns(CacheEntryWarning, match="checksum"):
        np.testing.assert_array_equal(cached.transform(samples), expected)


@pytest.mark.parametrize("new_sample", [False, True])
@pytest.mark.parametrize("position", [0, 3])
@pytest.mark.parametrize(
    "forged",
    [
        ("list", np.zeros((1, 2))),
        ("array", np.zeros(3)),
        ("array", np.zeros(2, dtype=np.float32)),
        ("sparse", sp.csr_matrix(np.zeros((1, 2)))),
    ],
    ids=["list", "width", "dtype", "sparse"],
)
def test_entry_of_another_kind_is_recomputed(
    tmp_path, samples, forged, position, new_sample
):
    cached = CachedTransformer(Spy(), memory=tmp_path).fit(samples)
    cached.transform(samples)
    key = sample_key(samples[position])
    # A valid entry (checksum and all) of another kind, dtype or width.
    _entry.write(cached._path(key), _entry.encode(key, *forged))
    X = samples + [np.ones(4)] if new_sample else samples
    with pytest.warns(CacheEntryWarning, match="another output kind") as record:
        result = cached.transform(X)
    assert len(record) == 1
    _assert_same_output(result, Spy().transform(X))


def test_refuses_transformers_that_learn(tmp_path, samples):
    sets = [np.random.default_rng(i).normal(size=(5, 3)) for i in range(4)]
    for transformer, culprit in [
        (BagOfWords(n_clusters=2), "BagOfWords"),
        (make_pipeline(Spy(), BagOfWords(n_clusters=2)), r"BagOfWords \(in Pipeline"),
        (make_pipeline(Spy(), StandardScaler()), "StandardScaler"),
        (make_union(Spy(), StandardScaler()), "StandardScaler"),
    ]:
        for memory in (tmp_path, None):
            cached = CachedTransformer(transformer, memory=memory)
            with pytest.raises(TypeError, match=f"cannot cache {culprit}"):
                cached.fit(sets)
    assert not (tmp_path / "skmm_cache").exists()

    class NoTags:
        def fit(self, X, y=None):
            return self

        def transform(self, X):
            return X

    with pytest.raises(TypeError, match="cannot cache NoTags"):
        CachedTransformer(NoTags(), memory=tmp_path).fit(samples)


def test_accepts_stateless_pipelines(tmp_path, samples):
    for transformer in [
        make_pipeline(Spy(), "passthrough", Spy(scale=3.0)),
        make_union(Spy(), Spy(scale=2.0)),
    ]:
        cached = CachedTransformer(transformer, memory=tmp_path).fit(samples)
        np.testing.assert_array_equal(
            cached.transform(samples), transformer.fit(samples).transform(samples)
        )


def test_fit_with_a_cache_fits_on_the_first_present_sample(tmp_path, samples):
    # A Pipeline's fit transforms through its steps: fitted on all of X, a
    # wrapped reader + extractor would compute every sample in fit as well.
    fitted_on = []

    class Recorder(Spy):
        def fit(self, X, y=None):
            fitted_on.append(list(X))
            return super().fit(X, y)

    cached = CachedTransformer(Recorder(), memory=tmp_path)
    cached.fit([None, float("nan"), *samples[2:]])
    assert len(fitted_on) == 1 and len(fitted_on[0]) == 1
    assert fitted_on[0][0] is samples[2]
    CachedTransformer(Recorder()).fit(samples)
    assert len(fitted_on[1]) == len(samples)
    np.testing.assert_array_equal(
        cached.transform(samples), Recorder().fit(samples).transform(samples)
    )


def test_mfcc_descriptor_sets_and_names(tmp_path):
    data = make_multimodal_digits(n_samples=20)
    audio = data.data["audio"]
    mfcc = MFCC(sr=8000, n_fft=1024, hop_length=256, n_mels=64, pooling=None)
    expected = mfcc.fit_transform(audio)
    cached = CachedTransformer(mfcc, memory=tmp_path).fit(audio)
    for _ in range(2):
        _assert_same_output(cached.transform(audio), expected)
    assert cached.is_cached(audio).all()
    assert list(cached.get_feature_names_out()[:2]) == ["mfcc0", "mfcc1"]


def test_readers_round_trip_with_missing_samples(tmp_path):
    import cv2
    import soundfile

    from skmm.audio import AudioReader
    from skmm.exceptions import UnreadableSampleWarning
    from skmm.image import ImageReader

    rng = np.random.default_rng(0)
    clips = []
    for i in range(3):
        clips.append(str(tmp_path / f"clip{i}.wav"))
        soundfile.write(clips[-1], rng.uniform(-0.5, 0.5, 800 + 100 * i), 8000)
    images = []
    for i in range(3):
        images.append(str(tmp_path / f"image{i}.png"))
        cv2.imwrite(images[-1], rng.integers(0, 256, (9, 7 + i, 3), dtype=np.uint8))
    bad = _write(tmp_path / "bad.wav", b"not audio")
    for reader, X in [
        (AudioReader(sr=8000, on_error="missing"), [clips[0], None, bad, *clips[1:]]),
        (ImageReader(on_error="missing"), [images[0], None, bad, *images[1:]]),
        (ImageReader(color="rgb", dtype="float32"), images),
    ]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnreadableSampleWarning)
            expected = reader.fit(X).transform(X)
            cached = CachedTransformer(reader, memory=tmp_path / "cache").fit(X)
            for _ in range(2):
                result = cached.transform(X)
                _assert_same_output(result, expected)
                for a, b in zip(result, expected, strict=True):
                    assert getattr(a, "sr", None) == getattr(b, "sr", None)
        # Unreadable samples are not cached: their warning shows every time.
        if any(x is None for x in expected):
            with pytest.warns(UnreadableSampleWarning):
                cached.transform(X)
        assert list(cached.is_cached(X)) == [x is not None for x in expected]


def test_grid_search_scores_identical_and_reused(tmp_path):
    data = make_multimodal_digits(n_samples=150)
    X, y = data.data["audio"], data.target
    grid = {"logisticregression__C": [0.1, 1.0, 10.0]}

    def pipeline(memory):
        mfcc = MFCC(sr=8000, n_fft=1024, hop_length=256, n_mels=64)
        step = CachedTransformer(mfcc, memory=memory)
        return make_pipeline(step, StandardScaler(), LogisticRegression(max_iter=500))

    plain = GridSearchCV(pipeline(None), grid, cv=3).fit(X, y)
    cached = GridSearchCV(pipeline(tmp_path), grid, cv=3).fit(X, y)
    np.testing.assert_array_equal(
        cached.cv_results_["mean_test_score"], plain.cv_results_["mean_test_score"]
    )
    # Every sample was computed once: one entry per distinct clip.
    assert len(_entry_paths(tmp_path)) == len({sample_key(clip) for clip in X})


def test_skmm_checks_on_raw_input(tmp_path):
    check_estimator(CachedTransformer(MFCC(sr=22050, n_mfcc=13), memory=tmp_path))
    check_estimator(CachedTransformer(MFCC(sr=22050, n_mfcc=13)))


@parametrize_with_checks([CachedTransformer()])
def test_sklearn_checks(estimator, check):
    check(estimator)


def test_stateless_steps_are_accepted(tmp_path):
    from skmm.audio import AudioReader
    from skmm.image import HOG, SIFT, DenseSIFT, ImageReader

    for transformer in [
        AudioReader(),
        ImageReader(),
        MFCC(),
        HOG(),
        SIFT(),
        DenseSIFT(),
        StatsPooling(),
        make_pipeline(AudioReader(), MFCC()),
        make_pipeline(ImageReader(), DenseSIFT(), StatsPooling()),
    ]:
        CachedTransformer(transformer, memory=tmp_path)._check_stateless()


def test_one_column_frame_is_a_column_of_samples(tmp_path):
    import pandas as pd

    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {"audio": [rng.standard_normal(2000).astype(np.float32) for _ in range(4)]}
    )
    mfcc = MFCC(sr=8000, n_mfcc=5)
    cached = CachedTransformer(mfcc, memory=tmp_path).fit(frame)
    np.testing.assert_array_equal(cached.transform(frame), mfcc.transform(frame))
    # Keyed by each clip, as for a list of the same clips.
    assert cached.is_cached(list(frame["audio"])).all()
