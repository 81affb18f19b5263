"""CachedTransformer: per-sample on-disk cache of stateless extractors."""

import os
import pickle

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from skmm.audio import MFCC
from skmm.cache import CachedTransformer
from skmm.cache._cache import _sample_key
from skmm.datasets import make_multimodal_digits
from skmm.utils.estimator_checks import check_estimator


class Spy(TransformerMixin, BaseEstimator):
    """Stateless: length and scaled sum of each sample; records every call."""

    calls = []

    def __init__(self, *, scale=1.0, output="array"):
        self.scale = scale
        self.output = output

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


@pytest.fixture(autouse=True)
def _reset_spy():
    Spy.calls.clear()


@pytest.fixture
def samples():
    rng = np.random.default_rng(0)
    return [rng.normal(size=int(rng.integers(3, 9))) for _ in range(10)]


@pytest.mark.parametrize("output", ["array", "sparse", "list"])
def test_identical_output_and_second_call_computes_nothing(tmp_path, samples, output):
    expected = Spy(output=output).fit(samples).transform(samples)
    cached = CachedTransformer(Spy(output=output), memory=tmp_path).fit(samples)
    Spy.calls.clear()
    for computed in (10, 0):
        result = cached.transform(samples)
        assert cached.n_computed_ == computed
        if output == "sparse":
            assert sp.issparse(result)
            result, reference = result.toarray(), expected.toarray()
        else:
            reference = expected
        if output == "list":
            assert isinstance(result, list)
            for a, b in zip(result, reference, strict=True):
                np.testing.assert_array_equal(a, b)
        else:
            np.testing.assert_array_equal(result, reference)
    assert Spy.calls == [10]


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
    assert three.n_computed_ == 0


def test_pickle(tmp_path, samples):
    cached = CachedTransformer(Spy(), memory=tmp_path).fit(samples)
    expected = cached.transform(samples)
    restored = pickle.loads(pickle.dumps(cached))
    np.testing.assert_array_equal(restored.transform(samples), expected)
    assert restored.n_computed_ == 0


def test_files_hashed_by_path_size_and_mtime(tmp_path):
    paths = []
    for i in range(3):
        path = tmp_path / f"sample{i}.bin"
        path.write_bytes(bytes(range(i + 1)))
        paths.append(str(path))
    key = _sample_key(paths[0])
    assert key == _sample_key(paths[0])
    # A string that names no file is hashed as text.
    assert _sample_key("no such file") == _sample_key("no such file")
    assert _sample_key("no such file") != key

    cached = CachedTransformer(Spy(), memory=tmp_path / "cache").fit(paths)
    first = cached.transform(paths)
    assert cached.transform(paths) is not None and cached.n_computed_ == 0
    # A new modification time, same bytes: recomputed (not read otherwise).
    stat = os.stat(paths[0])
    os.utime(paths[0], ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert _sample_key(paths[0]) != key
    np.testing.assert_array_equal(cached.transform(paths), first)
    assert cached.n_computed_ == 1
    # New content and size.
    (tmp_path / "sample1.bin").write_bytes(bytes(range(50)))
    result = cached.transform(paths)
    assert cached.n_computed_ == 1 and result[1, 0] == 50


def test_corrupt_entry_is_recomputed(tmp_path, samples):
    cached = CachedTransformer(Spy(), memory=tmp_path).fit(samples)
    expected = cached.transform(samples)
    entry = next(p for p in (tmp_path / "skmm_cache").rglob("*.pkl"))
    entry.write_bytes(b"")
    np.testing.assert_array_equal(cached.transform(samples), expected)
    assert cached.n_computed_ == 1


def test_mfcc_descriptor_sets_and_names(tmp_path):
    data = make_multimodal_digits(n_samples=20)
    audio = data.data["audio"]
    mfcc = MFCC(sr=8000, n_fft=1024, hop_length=256, n_mels=64, pooling=None)
    expected = mfcc.fit_transform(audio)
    cached = CachedTransformer(mfcc, memory=tmp_path).fit(audio)
    for _ in range(2):
        result = cached.transform(audio)
        assert isinstance(result, list)
        for a, b in zip(result, expected, strict=True):
            np.testing.assert_array_equal(a, b)
            assert a.dtype == b.dtype
    assert cached.n_computed_ == 0
    assert list(cached.get_feature_names_out()[:2]) == ["mfcc0", "mfcc1"]


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
    entries = list((tmp_path / "skmm_cache").rglob("*.pkl"))
    assert len(entries) == len({_sample_key(clip) for clip in X})


def test_skmm_checks_on_raw_input(tmp_path):
    check_estimator(CachedTransformer(MFCC(sr=22050, n_mfcc=13), memory=tmp_path))
    check_estimator(CachedTransformer(MFCC(sr=22050, n_mfcc=13)))


@parametrize_with_checks([CachedTransformer()])
def test_sklearn_checks(estimator, check):
    check(estimator)


def test_fit_with_a_cache_fits_on_one_sample(tmp_path, samples):
    # A Pipeline's fit transforms through its steps: fitted on all of X, a
    # wrapped reader + extractor would compute every sample in fit as well.
    fitted_on = []

    class Recorder(Spy):
        def fit(self, X, y=None):
            fitted_on.append(len(X))
            return super().fit(X, y)

    cached = CachedTransformer(Recorder(), memory=tmp_path)
    cached.fit([None, *samples])
    assert fitted_on == [1]
    CachedTransformer(Recorder()).fit(samples)
    assert fitted_on == [1, len(samples)]
    np.testing.assert_array_equal(
        cached.transform(samples), Recorder().fit(samples).transform(samples)
    )
