"""Out-of-core extraction: batches streamed into a .npy file, resumable."""

import json
import tracemalloc

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skmm.audio import MFCC
from skmm.cache import extract_features
from skmm.encode import VLAD
from skmm.exceptions import ResumeError
from skmm.image import HOG

SR = 8000


class _Tones:
    """A lazy sequence of generated clips: only ``len`` and ``[i]``."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        t = np.arange(SR // 4) / SR
        rng = np.random.default_rng(i)
        tone = np.sin(2 * np.pi * (200 + 7 * i) * t)
        return (tone + 0.1 * rng.standard_normal(t.size)).astype(np.float32)


def _images(n, seed=0):
    return (
        np.random.default_rng(seed).integers(0, 256, size=(n, 32, 32)).astype(np.uint8)
    )


class _Counting(TransformerMixin, BaseEstimator):
    """Transforms with ``estimator``, counting calls; ``interrupt_on_call``
    (not a parameter) raises KeyboardInterrupt on that call, like Ctrl-C."""

    def __init__(self, estimator=None):
        self.estimator = estimator

    def fit(self, X, y=None):
        self.estimator_ = clone(self.estimator).fit(X)
        return self

    def transform(self, X):
        self.calls = getattr(self, "calls", []) + [len(X)]
        if len(self.calls) == getattr(self, "interrupt_on_call", None):
            raise KeyboardInterrupt
        return self.estimator_.transform(X)


def _rows(X):
    # 64 float64 features per sample, from the sample's index.
    return np.asarray(X, dtype=np.float64)[:, None] + np.arange(64.0)


def _batchwise(estimator, X, batch_size):
    return np.concatenate(
        [
            estimator.transform(X[start : start + batch_size])
            for start in range(0, len(X), batch_size)
        ]
    )


def test_hog_matches_whole_transform_exactly(tmp_path):
    images = _images(23)
    hog = HOG(pixels_per_cell=(8, 8), cells_per_block=(2, 2)).fit(images[:1])
    out = tmp_path / "hog.npy"
    features = extract_features(hog, images, out=out, batch_size=5)
    assert isinstance(features, np.memmap) and not features.flags.writeable
    np.testing.assert_array_equal(features, hog.transform(images))
    np.testing.assert_array_equal(np.load(out), hog.transform(images))
    progress = json.loads((tmp_path / "hog.npy.progress.json").read_text())
    assert progress["completed"] == progress["n_samples"] == 23
    assert progress["n_features"] == hog.n_features_out_


def test_mfcc_on_a_lazy_sequence(tmp_path):
    tones = _Tones(17)
    clips = [tones[i] for i in range(17)]
    mfcc = MFCC(sr=SR, n_mfcc=13, n_fft=512, hop_length=128).fit(clips[:1])
    features = extract_features(mfcc, tones, out=tmp_path / "mfcc.npy", batch_size=4)
    # MFCC's float32 batched kernels round depending on the batch, so the
    # exact reference is transform batch by batch.
    np.testing.assert_array_equal(features, _batchwise(mfcc, clips, 4))
    np.testing.assert_allclose(features, mfcc.transform(clips), rtol=1e-4, atol=1e-4)
    assert features.dtype == mfcc.transform(clips[:1]).dtype


def test_pipeline_with_encoder_and_pandas_input(tmp_path):
    rng = np.random.default_rng(0)
    # Each sample: 12 local descriptors of width 3, flattened.
    X = pd.DataFrame(rng.normal(size=(50, 36)))
    to_sets = FunctionTransformer(_to_sets)
    model = make_pipeline(to_sets, VLAD(n_clusters=4, random_state=0)).fit(X)
    features = extract_features(model, X, out=tmp_path / "vlad.npy", batch_size=8)
    np.testing.assert_array_equal(features, model.transform(X))
    series = pd.Series(list(_to_sets(X)))
    encoder = model[-1]
    features = extract_features(
        encoder, series, out=tmp_path / "series.npy", batch_size=7
    )
    np.testing.assert_array_equal(features, encoder.transform(series))


def _lengths(X):
    return np.array([[len(x)] for x in X])


def _to_sets(X):
    return [row.reshape(12, 3) for row in np.asarray(X)]


@pytest.mark.parametrize("interrupt_on_call", [1, 3, 5])
def test_interrupted_run_resumes_to_the_same_file(tmp_path, interrupt_on_call):
    tones = _Tones(22)
    mfcc = MFCC(sr=SR, n_mfcc=13, n_fft=512, hop_length=128)
    reference = extract_features(
        _Counting(mfcc).fit([tones[0]]), tones, out=tmp_path / "ref.npy", batch_size=5
    )
    out = tmp_path / "features.npy"
    crashing = _Counting(mfcc).fit([tones[0]])
    crashing.interrupt_on_call = interrupt_on_call
    with pytest.raises(KeyboardInterrupt):
        extract_features(crashing, tones, out=out, batch_size=5)
    done = (interrupt_on_call - 1) * 5
    progress_path = tmp_path / "features.npy.progress.json"
    if done:
        assert json.loads(progress_path.read_text())["completed"] == done
    else:
        # The first batch fixes the width: nothing was created before it.
        assert not progress_path.exists() and not out.exists()
    resumed = _Counting(mfcc).fit([tones[0]])
    features = extract_features(resumed, tones, out=out, batch_size=5)
    # Only the unfinished batches were computed again.
    assert resumed.calls == [5] * ((22 - done) // 5) + [2]
    np.testing.assert_array_equal(features, reference)
    again = _Counting(mfcc).fit([tones[0]])
    np.testing.assert_array_equal(
        extract_features(again, tones, out=out, batch_size=5), reference
    )
    assert not hasattr(again, "calls")


def test_resume_false_starts_over(tmp_path):
    images = _images(10)
    hog = _Counting(HOG(pixels_per_cell=(8, 8))).fit(images[:1])
    out = tmp_path / "hog.npy"
    extract_features(hog, images, out=out, batch_size=4)
    features = extract_features(hog, images, out=out, batch_size=4, resume=False)
    assert hog.calls == [4, 4, 2] * 2
    np.testing.assert_array_equal(features, hog.estimator_.transform(images))


def test_mismatches_raise_unless_resume_false(tmp_path):
    images = _images(10)
    out = tmp_path / "hog.npy"
    hog = HOG(pixels_per_cell=(8, 8)).fit(images[:1])
    extract_features(hog, images, out=out, batch_size=4)
    other = HOG(pixels_per_cell=(8, 8), orientations=6).fit(images[:1])
    with pytest.raises(ValueError, match="estimator parameters differ.*resume=False"):
        extract_features(other, images, out=out)
    with pytest.raises(ValueError, match="number of samples differ"):
        extract_features(hog, images[:9], out=out)
    with pytest.raises(ValueError, match="dtype differ"):
        extract_features(hog, images, out=out, dtype=np.float32)
    features = extract_features(other, images, out=out, resume=False)
    np.testing.assert_array_equal(features, other.transform(images))


def test_dtype_batch_size_larger_than_n_and_bar(tmp_path):
    images = _images(6)
    hog = HOG(pixels_per_cell=(8, 8)).fit(images[:1])
    features = extract_features(
        hog,
        images,
        out=tmp_path / "f.npy",
        batch_size=1000,
        dtype=np.float32,
        verbose=True,
    )
    assert features.dtype == np.float32 and features.shape == (6, hog.n_features_out_)
    np.testing.assert_array_equal(features, hog.transform(images).astype(np.float32))


def test_bad_input(tmp_path):
    images = _images(4)
    hog = HOG(pixels_per_cell=(8, 8)).fit(images[:1])
    with pytest.raises(ValueError, match="no samples"):
        extract_features(hog, images[:0], out=tmp_path / "f.npy")
    with pytest.raises(ValueError, match="batch_size"):
        extract_features(hog, images, out=tmp_path / "f.npy", batch_size=0)
    with pytest.raises(NotFittedError, match="partial_fit"):
        extract_features(VLAD(n_clusters=2), images, out=tmp_path / "f.npy")
    frames = MFCC(sr=SR, n_fft=512, pooling=None).fit([_Tones(1)[0]])
    with pytest.raises(TypeError, match="Encode the sets"):
        extract_features(frames, _Tones(3), out=tmp_path / "f.npy")


def test_failure_names_the_sample_and_keeps_finished_batches(tmp_path):
    tones = _Tones(12)
    clips = [tones[i] for i in range(12)]
    clips[7] = np.zeros((2, 3, 4), dtype=np.float32)
    mfcc = MFCC(sr=SR, n_fft=512).fit(clips[:1])
    out = tmp_path / "f.npy"
    with pytest.raises(RuntimeError, match=r"sample 7 \(batch 1, samples 5 to 9\)"):
        extract_features(mfcc, clips, out=out, batch_size=5)
    progress = json.loads((tmp_path / "f.npy.progress.json").read_text())
    assert progress["completed"] == 5


def test_memory_stays_bounded(tmp_path):
    n, batch_size = 20_000, 500
    transformer = FunctionTransformer(_rows).fit([0])
    full_bytes = n * 64 * 8
    tracemalloc.start()
    try:
        features = extract_features(
            transformer, range(n), out=tmp_path / "big.npy", batch_size=batch_size
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # About two batches of features (10 MB of output in all), not the output.
    assert peak < full_bytes / 10
    assert features.shape == (n, 64)
    np.testing.assert_array_equal(features[::997], _rows(np.arange(n)[::997]))


def _finished(tmp_path, n=10, batch_size=4):
    images = _images(n)
    hog = HOG(pixels_per_cell=(8, 8)).fit(images[:1])
    out = tmp_path / "hog.npy"
    extract_features(hog, images, out=out, batch_size=batch_size)
    return images, hog, out, tmp_path / "hog.npy.progress.json"


def test_other_samples_or_estimator_refused_on_resume(tmp_path):
    images, hog, out, _ = _finished(tmp_path)
    other = _images(10, seed=1)
    with pytest.raises(ResumeError, match="samples differ.*resume=False"):
        extract_features(hog, other, out=out)
    # One sample changed, in a list of paths: every path is hashed.
    paths = [f"image{i}.png" for i in range(10)]
    names = FunctionTransformer(_lengths)
    names.fit(paths)
    extract_features(names, paths, out=tmp_path / "names.npy", batch_size=3)
    paths[4] = "image4.jpg"
    with pytest.raises(ResumeError, match="samples differ.*resume=False"):
        extract_features(names, paths, out=tmp_path / "names.npy", batch_size=3)
    other_hog = HOG(pixels_per_cell=(8, 8), orientations=6).fit(images[:1])
    with pytest.raises(ResumeError, match="estimator parameters differ.*resume=False"):
        extract_features(other_hog, images, out=out)
    np.testing.assert_array_equal(
        extract_features(hog, other, out=out, resume=False), hog.transform(other)
    )


def test_fitted_state_does_not_change_the_fingerprint(tmp_path):
    # The progress compares parameters: a refitted stateless pipeline resumes.
    images = _images(10)
    model = make_pipeline(HOG(pixels_per_cell=(8, 8)))
    out = tmp_path / "hog.npy"
    extract_features(model.fit(images[:1]), images, out=out, batch_size=4)
    features = extract_features(model.fit(images[:2]), images, out=out, batch_size=4)
    np.testing.assert_array_equal(features, model.transform(images))


def _assert_refused(call, path, what):
    with pytest.raises(ResumeError, match=what) as info:
        call()
    assert str(path) in str(info.value) and "resume=False" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_npy_with_fewer_rows_than_the_progress_claims(tmp_path):
    images, hog, out, _ = _finished(tmp_path)
    np.save(out, hog.transform(images[:6]))
    _assert_refused(lambda: extract_features(hog, images, out=out), out, "shape")


@pytest.mark.parametrize("keep", [0.5, 0.99, 20])
def test_truncated_npy(tmp_path, keep):
    images, hog, out, _ = _finished(tmp_path)
    data = out.read_bytes()
    out.write_bytes(data[: int(keep * len(data)) if keep < 1 else keep])
    _assert_refused(lambda: extract_features(hog, images, out=out), out, str(out))


def test_rewritten_rows_are_refused(tmp_path):
    # Right shape and dtype, but the rows are not those written: zeros.
    images, hog, out, _ = _finished(tmp_path)
    np.save(out, np.zeros_like(np.load(out)))
    _assert_refused(lambda: extract_features(hog, images, out=out), out, "not those")


@pytest.mark.parametrize(
    "content",
    [
        b"\x80\x04\x95garbage",
        b"",
        b"[]",
        b"{}",
        b'{"format": 1, "completed": 3}',
        "édité".encode("latin-1"),
        "mutate:completed=11",
        "mutate:completed=-1",
        'mutate:completed="4"',
        "mutate:n_features=null",
        'mutate:dtype="|O"',
        "mutate:tail={}",
        "delete:samples",
    ],
)
def test_garbled_progress_file(tmp_path, content):
    images, hog, out, progress_path = _finished(tmp_path)
    if isinstance(content, str):
        action, _, change = content.partition(":")
        progress = json.loads(progress_path.read_text())
        if action == "delete":
            del progress[change]
        else:
            name, _, value = change.partition("=")
            progress[name] = json.loads(value)
        content = json.dumps(progress).encode()
    progress_path.write_bytes(content)
    _assert_refused(
        lambda: extract_features(hog, images, out=out), progress_path, "progress"
    )
    np.testing.assert_array_equal(
        extract_features(hog, images, out=out, resume=False), hog.transform(images)
    )


def test_progress_file_is_json_and_resume_checks_it_each_time(tmp_path):
    images, hog, out, progress_path = _finished(tmp_path)
    progress = json.loads(progress_path.read_text())
    assert progress["completed"] == 10 and progress["tail"]["start"] == 8
    # A finished extraction is checked too before it is returned as is.
    with open(out, "r+b") as file:
        file.seek(-1, 2)
        file.write(b"\x01")
    with pytest.raises(ResumeError, match="not those"):
        extract_features(hog, images, out=out)
