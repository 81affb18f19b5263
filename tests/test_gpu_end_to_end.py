"""Data stays on the GPU from the readers to the classifier.

Without a GPU, ``_cupy_stand_in`` plays CuPy (see its docstring): its arrays
are a NumPy subclass that ``is_cupy_array`` recognises, and its ufuncs refuse
host arrays mixed in, as CuPy does. The same tests run on CuPy itself where a
CUDA device exists (marked ``gpu``).
"""

import os
import subprocess
import sys
import textwrap

import _cupy_stand_in
import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.pipeline import make_pipeline

from skmm.audio import MFCC, AudioReader
from skmm.encode import VLAD, BagOfWords, FisherVector, StatsPooling
from skmm.image import HOG, DenseSIFT, ImageReader
from skmm.utils._device import cuda_is_available, is_cupy_array

needs_cuda = pytest.mark.skipif(
    not cuda_is_available(), reason="needs CuPy and a CUDA device"
)


@pytest.fixture
def cupy(monkeypatch):
    return _cupy_stand_in.install(monkeypatch)


def _clips(n_clips=6, seed=0):
    rng = np.random.default_rng(seed)
    return [
        rng.standard_normal(int(n)).astype(np.float32)
        for n in rng.integers(3000, 6000, size=n_clips)
    ]


def _descriptor_sets(n_sets=7, seed=0):
    rng = np.random.default_rng(seed)
    sets = [rng.normal(size=(int(n), 5)) for n in rng.integers(3, 40, size=n_sets)]
    sets[2] = np.zeros((0, 5))
    return sets


def _assert_device_list(arrays):
    assert all(is_cupy_array(a) for a in arrays)


def test_is_cupy_array_without_and_with_the_stand_in(monkeypatch):
    x = np.zeros(3)
    assert not is_cupy_array(x)
    # NumPy itself installed as "cupy" (as tests/retrieval does) is no GPU.
    monkeypatch.setitem(sys.modules, "cupy", np)
    assert not is_cupy_array(x)
    cupy = _cupy_stand_in.install(monkeypatch)
    assert is_cupy_array(cupy.asarray(x)) and not is_cupy_array(x)


def test_stand_in_refuses_host_arrays_mixed_in(cupy):
    with pytest.raises(TypeError, match="mixes a device array with a host"):
        cupy.asarray(np.ones(3)) + np.ones(3)


@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_readers_return_device_arrays_for_cuda(cupy, device):
    waves = AudioReader(sr=8000, device=device).fit_transform(_clips(2))
    images = ImageReader(on_error="missing", device=device).fit_transform(
        [np.zeros((4, 5), np.uint8), None]
    )
    assert images[1] is None
    on_device = device == "cuda"
    assert all(is_cupy_array(w) == on_device for w in waves)
    assert all(is_cupy_array(i) == on_device for i in images if i is not None)
    expected = AudioReader(sr=8000).fit_transform(_clips(2))
    for wave, reference in zip(waves, expected, strict=True):
        np.testing.assert_array_equal(np.asarray(wave), reference)


@pytest.mark.parametrize("device", ["cpu", "cuda"])
@pytest.mark.parametrize(
    "params",
    [dict(pooling=None), dict(pooling=None, deltas=True), dict()],
    ids=["frames", "deltas", "pooled"],
)
def test_mfcc_output_follows_input(cupy, device, params):
    clips = _clips()
    reference = MFCC(sr=8000, n_fft=256, hop_length=64, **params).fit(clips)
    expected = reference.transform(clips)
    model = MFCC(sr=8000, n_fft=256, hop_length=64, device=device, **params)
    from_device = model.fit([cupy.asarray(c) for c in clips]).transform(
        [cupy.asarray(c) for c in clips]
    )
    from_host = model.transform(clips)
    if params.get("pooling", ()) is None:
        _assert_device_list(from_device)
        assert not any(is_cupy_array(f) for f in from_host)
        for a, b, c in zip(from_device, from_host, expected, strict=True):
            np.testing.assert_allclose(a.get(), c, rtol=1e-4, atol=1e-3)
            np.testing.assert_allclose(b, c, rtol=1e-4, atol=1e-3)
    else:
        assert is_cupy_array(from_device) and not is_cupy_array(from_host)
        np.testing.assert_allclose(from_device.get(), expected, rtol=1e-4, atol=1e-3)
        np.testing.assert_allclose(from_host, expected, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("device", ["cpu", "cuda"])
@pytest.mark.parametrize("improved", [True, False])
def test_fisher_vector_output_follows_input(cupy, device, improved):
    sets = _descriptor_sets()
    reference = FisherVector(n_components=3, random_state=0, improved=improved)
    expected = reference.fit(sets).transform(sets)
    model = FisherVector(
        n_components=3, random_state=0, improved=improved, device=device
    )
    device_sets = [cupy.asarray(s) for s in sets]
    model.fit(device_sets)
    from_device = model.transform(device_sets)
    from_host = model.transform(sets)
    assert is_cupy_array(from_device) and not is_cupy_array(from_host)
    np.testing.assert_allclose(from_device.get(), expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(from_host, expected, rtol=1e-9, atol=1e-12)


def _pipeline(device, classifier):
    return make_pipeline(
        AudioReader(sr=8000, device=device),
        MFCC(sr=8000, n_fft=256, hop_length=64, pooling=None, device=device),
        FisherVector(n_components=2, random_state=0, device=device),
        PCA(n_components=4, svd_solver="full"),
        classifier,
    )


def _labelled_clips():
    clips = _clips(n_clips=12, seed=1)
    # Two classes that differ in loudness, so the labels are learnable.
    clips = [c * (0.1 if i % 2 else 1.0) for i, c in enumerate(clips)]
    return clips, np.arange(12) % 2


@pytest.mark.parametrize(
    "classifier", [RidgeClassifier(), LogisticRegression()], ids=type
)
def test_pipeline_stays_on_device_under_array_api_dispatch(
    cupy, monkeypatch, classifier
):
    # sklearn checks the variable when dispatch is switched on; SciPy's own
    # array API mode does not matter for the NumPy-backed stand-in.
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    clips, y = _labelled_clips()
    expected = _pipeline("cpu", clone(classifier)).fit(clips, y).predict(clips)
    pipeline = _pipeline("cuda", clone(classifier))
    with sklearn.config_context(array_api_dispatch=True):
        pipeline.fit(clips, y)
        encoded = pipeline[:3].transform(clips)
        predicted = pipeline.predict(clips)
    assert is_cupy_array(encoded)
    np.testing.assert_array_equal(np.asarray(predicted), expected)


@pytest.mark.gpu
@needs_cuda
def test_on_gpu_estimators_take_and_return_cupy_arrays():
    import cupy

    clips = _clips()
    model = MFCC(sr=8000, n_fft=256, hop_length=64, pooling=None, device="cuda")
    frames = model.fit(clips).transform([cupy.asarray(c) for c in clips])
    assert all(isinstance(f, cupy.ndarray) for f in frames)
    expected = MFCC(sr=8000, n_fft=256, hop_length=64, pooling=None).fit_transform(
        clips
    )
    for a, b in zip(frames, expected, strict=True):
        np.testing.assert_allclose(a.get(), b, rtol=1e-4, atol=1e-3)
    images = [np.random.default_rng(i).random((40, 48)) for i in range(4)]
    hog = HOG(device="cuda").fit(images)
    features = hog.transform([cupy.asarray(i) for i in images])
    assert isinstance(features, cupy.ndarray)
    np.testing.assert_allclose(
        features.get(), HOG().fit_transform(images), rtol=1e-6, atol=1e-7
    )
    sets = _descriptor_sets()
    fisher = FisherVector(n_components=3, random_state=0, device="cuda").fit(sets)
    encoded = fisher.transform([cupy.asarray(s) for s in sets])
    assert isinstance(encoded, cupy.ndarray)
    np.testing.assert_allclose(
        encoded.get(),
        FisherVector(n_components=3, random_state=0).fit(sets).transform(sets),
        rtol=1e-9,
        atol=1e-10,
    )


_GPU_PIPELINE = """
import cupy
import numpy as np
import sklearn
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.pipeline import make_pipeline

from skmm.audio import MFCC, AudioReader
from skmm.encode import VLAD, BagOfWords, FisherVector, StatsPooling

rng = np.random.default_rng(1)
clips = [rng.standard_normal(int(n)).astype(np.float32) * (0.1 if i % 2 else 1)
         for i, n in enumerate(rng.integers(3000, 6000, size=12))]
y = np.arange(12) % 2


def pipeline(device, classifier):
    return make_pipeline(
        AudioReader(sr=8000, device=device),
        MFCC(sr=8000, n_fft=256, hop_length=64, pooling=None, device=device),
        FisherVector(n_components=2, random_state=0, device=device),
        PCA(n_components=4, svd_solver="full"),
        classifier,
    )


for classifier in (RidgeClassifier(), LogisticRegression()):
    expected = pipeline("cpu", classifier).fit(clips, y).predict(clips)
    gpu = pipeline("cuda", sklearn.clone(classifier))
    with sklearn.config_context(array_api_dispatch=True):
        gpu.fit(clips, cupy.asarray(y))
        assert isinstance(gpu[:3].transform(clips), cupy.ndarray)
        predicted = gpu.predict(clips)
    assert isinstance(predicted, cupy.ndarray), type(predicted)
    np.testing.assert_array_equal(cupy.asnumpy(predicted), expected)
print("ok")
"""


@pytest.mark.gpu
@needs_cuda
def test_on_gpu_pipeline_never_leaves_the_device():
    # SciPy reads SCIPY_ARRAY_API when first imported: a fresh interpreter.
    env = dict(os.environ, SCIPY_ARRAY_API="1")
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_GPU_PIPELINE)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


@pytest.mark.parametrize(
    "encoder",
    [
        StatsPooling(),
        BagOfWords(n_clusters=3, random_state=0),
        BagOfWords(n_clusters=3, random_state=0, device="cuda"),
        VLAD(n_clusters=3, random_state=0),
        VLAD(n_clusters=3, random_state=0, device="cuda"),
    ],
    ids=repr,
)
def test_host_encoders_give_device_output_for_device_sets(cupy, encoder):
    sets = [s for s in _descriptor_sets() if len(s)]
    expected = clone(encoder).fit(sets).transform(sets)
    model = clone(encoder).fit([cupy.asarray(s) for s in sets])
    from_device = model.transform([cupy.asarray(s) for s in sets])
    from_host = model.transform(sets)
    assert is_cupy_array(from_device) and not is_cupy_array(from_host)
    np.testing.assert_allclose(from_device.get(), expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(from_host, expected, rtol=1e-9, atol=1e-12)


def _images(n_images=5, seed=0):
    rng = np.random.default_rng(seed)
    images = [rng.random((40, 48)) for _ in range(n_images)]
    images[1] = (images[1] * 255).astype(np.uint8)  # a second dtype group
    return images


@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_hog_output_follows_input(cupy, device):
    images = _images()
    expected = HOG().fit(images).transform(images)
    model = HOG(device=device).fit([cupy.asarray(i) for i in images])
    from_device = model.transform([cupy.asarray(i) for i in images])
    from_host = model.transform(images)
    assert is_cupy_array(from_device) and not is_cupy_array(from_host)
    np.testing.assert_allclose(from_device.get(), expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(from_host, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("device", ["cpu", "cuda"])
@pytest.mark.parametrize("root", [False, True])
def test_dense_sift_output_follows_input(cupy, device, root):
    images = _images()
    expected = DenseSIFT(root_sift=root).fit(images).transform(images)
    model = DenseSIFT(root_sift=root, device=device)
    model.fit([cupy.asarray(i) for i in images])
    from_device = model.transform([cupy.asarray(i) for i in images])
    from_host = model.transform(images)
    _assert_device_list(from_device)
    assert not any(is_cupy_array(d) for d in from_host)
    for a, b, c in zip(from_device, from_host, expected, strict=True):
        # The GPU path sums in another order: a few descriptor levels apart.
        np.testing.assert_allclose(a.get(), c, atol=1.0 if not root else 1e-2)
        np.testing.assert_allclose(b, c, atol=1.0 if not root else 1e-2)
