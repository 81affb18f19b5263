"""The CuPy paths, against the findings of a read of CuPy's source
(``../shared/gpu/REVIEW.md``), with CuPy *inputs*.

Each test runs twice: on the CPU with ``_cupy_stand_in`` playing CuPy (its
arrays are NumPy's; it refuses float64 ``maximum.at``, takes only a Python
int as ``argpartition``'s ``kth``, has a ``hypot`` off by one ulp on every
other element, and counts device-to-host transfers), and on CuPy itself
where a CUDA device exists (marked ``gpu``: skipped elsewhere, and a
failure when skipped on a machine with a GPU, see ``tests/conftest.py``).
"""

import _cupy_stand_in
import librosa
import numpy as np
import pytest
import skimage.data
from skimage.feature import hog as skimage_hog

from skmm.audio import MFCC, _mfcc_xp
from skmm.encode import VLAD, BagOfWords, FisherVector, _assign_xp
from skmm.encode._base import nearest_centre
from skmm.image import HOG, DenseSIFT
from skmm.retrieval import _retrieve_xp, retrieve
from skmm.utils._device import cuda_is_available, is_cupy_array
from skmm.utils._validation import (
    check_descriptor_sets,
    check_images,
    check_waveforms,
)

needs_cuda = pytest.mark.skipif(
    not cuda_is_available(), reason="needs CuPy and a CUDA device"
)
BACKENDS = [
    "stand-in",
    pytest.param("cupy", marks=[pytest.mark.gpu, needs_cuda]),
]


@pytest.fixture(params=BACKENDS)
def cupy(request, monkeypatch):
    """The stand-in, or CuPy itself on a machine with a GPU."""
    if request.param == "cupy":
        import cupy

        return cupy
    return _cupy_stand_in.install(monkeypatch)


@pytest.fixture
def stand_in(monkeypatch):
    return _cupy_stand_in.install(monkeypatch)


def _host(array):
    return array.get() if is_cupy_array(array) else np.asarray(array)


# -- MFCC: the top_db floor without maximum.at, float64, every padding mode ----


def test_clip_peaks_equal_each_clip_maximum(stand_in):
    rng = np.random.default_rng(0)
    counts = np.array([5, 0, 1, 17, 2, 0, 33])
    offsets = np.r_[0, np.cumsum(counts)]
    # Values a few ulps apart: float32 rounding would merge them.
    values = 1.0 + rng.integers(0, 8, offsets[-1]) * 2.0**-40
    for xp, data in ((np, values), (stand_in, stand_in.asarray(values))):
        peaks = _host(_mfcc_xp.clip_peaks(data, offsets, xp))
        for clip in range(counts.size):
            part = values[offsets[clip] : offsets[clip + 1]]
            expected = part.max() if part.size else -np.inf
            assert peaks[clip] == expected


def test_stand_in_refuses_float64_maximum_at(stand_in):
    with pytest.raises(TypeError, match="rounds through float32"):
        stand_in.maximum.at(stand_in.zeros(2), stand_in.asarray([0, 1]), 1.0)


def _clips(dtype, n=5, seed=0):
    rng = np.random.default_rng(seed)
    return [
        rng.standard_normal(int(length)).astype(dtype) * rng.uniform(0.01, 2)
        for length in rng.integers(2000, 5000, n)
    ]


@pytest.mark.parametrize(
    "pad_mode", ["constant", "edge", "reflect", "symmetric", "linear_ramp"]
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mfcc_cupy_clips_every_padding_mode(cupy, pad_mode, dtype):
    clips = _clips(dtype)
    params = dict(
        sr=8000,
        n_fft=256,
        hop_length=64,
        pooling=None,
        deltas=True,
        pad_mode=pad_mode,
        top_db=40.0,
    )
    expected = MFCC(**params).fit_transform(clips)
    model = MFCC(**params, device="cuda").fit(clips)
    frames = model.transform([cupy.asarray(c) for c in clips])
    tolerance = (
        dict(rtol=1e-9, atol=1e-8)
        if dtype == np.float64
        else dict(rtol=1e-4, atol=2e-3)
    )
    for got, want in zip(frames, expected, strict=True):
        assert is_cupy_array(got) and got.dtype == want.dtype
        np.testing.assert_allclose(_host(got), want, **tolerance)


def test_mfcc_float64_cupy_clips_equal_librosa(cupy):
    clips = _clips(np.float64, n=3, seed=1)
    frames = (
        MFCC(sr=8000, n_fft=256, hop_length=64, pooling=None, device="cuda")
        .fit([cupy.asarray(c) for c in clips])
        .transform([cupy.asarray(c) for c in clips])
    )
    for clip, got in zip(clips, frames, strict=True):
        want = librosa.feature.mfcc(
            y=clip,
            sr=8000,
            n_fft=256,
            hop_length=64,
            n_mfcc=20,
            n_mels=128,
            pad_mode="constant",
        ).T
        np.testing.assert_allclose(_host(got), want, rtol=1e-7, atol=1e-7)


# -- retrieval: NumPy-integer k, ties, NaN rows, blocks sized by GPU memory ----


def _retrieval_data(seed=5):
    rng = np.random.default_rng(seed)
    queries, database = rng.normal(size=(40, 16)), rng.normal(size=(900, 16))
    database[300:400] = database[:100]  # exact duplicates: ties at every k
    return queries, database


@pytest.mark.parametrize("metric", ["cosine", "euclidean", "dot"])
@pytest.mark.parametrize("k", [np.int64(10), np.int32(1), 100])
def test_retrieve_numpy_integer_k_and_ties(cupy, metric, k):
    queries, database = _retrieval_data()
    want = retrieve(queries, database, k=int(k), metric=metric)
    got = retrieve(
        cupy.asarray(queries), cupy.asarray(database), k=k, metric=metric, device="cuda"
    )
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_allclose(got[1], want[1], rtol=1e-12, atol=1e-12)
    # Ties keep database order: a duplicate comes after its original.
    full = np.argsort(-want[1], axis=1, kind="stable")
    np.testing.assert_array_equal(
        full, np.arange(want[1].shape[1])[None, :].repeat(want[1].shape[0], 0)
    )


@pytest.mark.parametrize("metric", ["cosine", "correlation", "euclidean", "dot"])
def test_similarity_takes_cupy_inputs(cupy, metric):
    from skmm.retrieval import similarity

    queries, database = _retrieval_data()
    want = similarity(queries, database, metric=metric)
    got = similarity(
        cupy.asarray(queries), cupy.asarray(database), metric=metric, device="cuda"
    )
    assert isinstance(got, np.ndarray) and not is_cupy_array(got)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_stand_in_argpartition_refuses_numpy_integers(stand_in):
    with pytest.raises(TypeError, match="not iterable"):
        stand_in.argpartition(stand_in.zeros((2, 5)), np.int64(2), axis=1)


def test_top_k_rows_with_nan_are_sorted_not_selected(stand_in, monkeypatch):
    rng = np.random.default_rng(2)
    distances = rng.random((30, 200))
    distances[::4, ::7] = np.nan
    distances[1::4, 5:9] = distances[1::4, 9:13]  # ties too

    def scrambled_argpartition(a, kth, axis=-1):
        # CuPy's small-k selection compares with < and > only: a NaN row
        # comes back in an arbitrary order. Play that with a permutation.
        order = _cupy_stand_in._host(np.argpartition(a, kth, axis=axis))
        rows = np.flatnonzero(np.isnan(_cupy_stand_in._host(a)).any(axis=1))
        order[rows] = rng.permuted(
            np.tile(np.arange(a.shape[1]), (rows.size, 1)), axis=1
        )
        return stand_in.asarray(order)

    monkeypatch.setattr(stand_in, "argpartition", scrambled_argpartition, raising=False)
    for k in (1, 5, 50):
        ranking, top = _retrieve_xp.top_k(stand_in.asarray(distances), k, stand_in)
        want = np.argsort(distances, axis=1, kind="stable")[:, :k]
        np.testing.assert_array_equal(_host(ranking), want)


def test_blocks_are_sized_by_free_gpu_memory(stand_in, monkeypatch):
    n_database = 100_000
    got = _retrieve_xp.default_batch_size(10**6, n_database, stand_in)
    assert got == _cupy_stand_in.FREE_MEMORY // 2 // (48 * n_database)
    # Larger than the CPU's 128 MiB blocks, which launch-bound a GPU.
    assert got > _retrieve_xp.default_batch_size(10**6, n_database)
    monkeypatch.setattr(_cupy_stand_in, "FREE_MEMORY", 2**20)
    assert _retrieve_xp.default_batch_size(10**6, n_database, stand_in) == (
        _retrieve_xp.BLOCK_BYTES // (48 * n_database)
    )


# -- HOG: the dominant colour channel, transform_sqrt, CuPy batches ----------


def _tied_colour_images(n=3, size=48, seed=0):
    """Colour images whose first two channels are each other's transpose:
    every pixel's gradient has the same magnitude in both (a tie scikit-image
    breaks for the first channel) and another direction."""
    rng = np.random.default_rng(seed)
    images = []
    for _ in range(n):
        plane = (rng.random((size, size)) * 255).astype(np.uint8)
        images.append(np.dstack([plane, plane.T, plane // 4]))
    return np.stack(images)


@pytest.mark.parametrize("transform_sqrt", [False, True])
@pytest.mark.parametrize("dtype", [np.uint8, np.float64, np.float32])
def test_hog_colour_ties_and_transform_sqrt_equal_skimage(cupy, transform_sqrt, dtype):
    images = _tied_colour_images().astype(dtype)
    params = dict(
        pixels_per_cell=(8, 8), cells_per_block=(2, 2), transform_sqrt=transform_sqrt
    )
    want = np.stack(
        [
            skimage_hog(image, channel_axis=-1, block_norm="L2-Hys", **params)
            for image in images
        ]
    )
    model = HOG(device="cuda", **params).fit(images)
    for batch in (cupy.asarray(images), [cupy.asarray(i) for i in images]):
        got = model.transform(batch)
        assert is_cupy_array(got)
        atol = 1e-6 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(_host(got), want, rtol=0, atol=atol)


def test_hog_takes_a_cupy_batch_whole(stand_in, spy_on):
    from skmm.image import _hog

    images = stand_in.asarray(_tied_colour_images(n=4))
    calls = []
    spy_on(calls, _hog, "_kernel_input", "kernel input")
    HOG(device="cuda").fit(images).transform(images)
    # The 4-D CuPy batch reaches the kernel as it is, not as a list to stack.
    assert calls == [("kernel input", _cupy_stand_in.ndarray)]


def test_hog_on_astronaut_equals_skimage(cupy):
    image = skimage.data.astronaut()[:128, :96]
    batch = np.stack([image, image[::-1], image[:, ::-1]])
    want = np.stack([skimage_hog(i, channel_axis=-1) for i in batch])
    got = HOG(device="cuda").fit(batch).transform(cupy.asarray(batch))
    np.testing.assert_allclose(_host(got), want, rtol=0, atol=1e-12)


# -- DenseSIFT and the encoders with CuPy inputs --------------------------------


@pytest.mark.parametrize("root", [False, True])
def test_dense_sift_cupy_images(cupy, root):
    images = [skimage.data.camera()[:96, :96], skimage.data.coins()[:80, :112]]
    want = DenseSIFT(step=8, size=8, root_sift=root).fit_transform(images)
    model = DenseSIFT(step=8, size=8, root_sift=root, device="cuda").fit(images)
    got = model.transform([cupy.asarray(i) for i in images])
    for a, b in zip(got, want, strict=True):
        assert is_cupy_array(a)
        # Sums in another order: a few descriptor levels apart at most.
        np.testing.assert_allclose(_host(a), b, atol=1e-2 if root else 1.0)


def _sets(n_sets=40, seed=4, dtype=np.float32):
    rng = np.random.default_rng(seed)
    sets = [
        rng.integers(0, 256, (int(n), 16)).astype(dtype)
        for n in rng.integers(1, 60, n_sets)
    ]
    sets[3] = np.zeros((0, 16), dtype)
    return sets


@pytest.mark.parametrize(
    "encoder",
    [
        BagOfWords(n_clusters=6, random_state=0),
        VLAD(n_clusters=6, random_state=0),
        FisherVector(n_components=3, random_state=0),
    ],
    ids=lambda e: type(e).__name__,
)
def test_encoders_take_cupy_sets(cupy, encoder):
    sets = _sets()
    want = encoder.fit(sets).transform(sets)
    model = encoder.set_params(device="cuda").fit([cupy.asarray(s) for s in sets])
    got = model.transform([cupy.asarray(s) for s in sets])
    assert is_cupy_array(got)
    np.testing.assert_allclose(_host(got), want, rtol=1e-6, atol=1e-6)


def test_nearest_centre_takes_cupy_rows_and_settles_near_ties(stand_in):
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(5, 8)).astype(np.float32)
    X = rng.normal(size=(200, 8)).astype(np.float32)
    X[::10] = (centres[1] + centres[3]) / 2  # equidistant from two centres
    labels, unsure = _assign_xp.nearest_centre(X, centres, xp=stand_in)
    assert set(range(0, 200, 10)) <= set(unsure.tolist())
    got = nearest_centre(stand_in.asarray(X), centres, device="cuda")
    np.testing.assert_array_equal(got, nearest_centre(X, centres))


def test_fisher_batched_products_equal_atomic_sums(stand_in, monkeypatch):
    rng = np.random.default_rng(1)
    counts = np.array([3, 0, 40, 1, 7, 250, 2, 0, 9, 60])
    offsets = np.r_[0, np.cumsum(counts)]
    X = rng.normal(size=(offsets[-1], 6))
    k = 4
    params = (np.full(k, 1 / k), rng.normal(size=(k, 6)), rng.uniform(0.5, 2, (k, 6)))
    want = _assign_xp.fisher_vectors(X, offsets, *params, True, xp=np)
    # Blocks that split sets, long sets taken one product each.
    monkeypatch.setattr(_assign_xp, "_BLOCK_ELEMENTS", 64 * 6)
    got = _assign_xp.fisher_vectors(
        stand_in.asarray(X), offsets, *params, True, xp=stand_in
    )
    np.testing.assert_allclose(_host(got), want, rtol=1e-12, atol=1e-14)
    # The reference sums of add.at.
    set_of_row = np.repeat(np.arange(counts.size), counts)
    weights, means, variances = params
    log_prob = (
        np.log(weights)
        - 0.5 * np.sum(np.log(2 * np.pi * variances), 1)
        - 0.5 * np.sum((X[:, None, :] - means) ** 2 / variances, 2)
    )
    gamma = np.exp(log_prob - log_prob.max(1, keepdims=True))
    gamma /= gamma.sum(1, keepdims=True)
    s0 = np.zeros((counts.size, k))
    np.add.at(s0, set_of_row, gamma)
    n = np.maximum(counts, 1)[:, None]
    grad_w = (s0 / n - weights) / np.sqrt(weights) * (counts > 0)[:, None]
    np.testing.assert_allclose(_host(got)[:, :k], grad_w, rtol=1e-9, atol=1e-12)


# -- validation: one device-to-host transfer per batch, not per sample --------


class _CountTransfers:
    def __init__(self, monkeypatch):
        self.count = 0
        for name in (
            "get",
            "__bool__",
            "__float__",
            "__int__",
            "__index__",
            "item",
            "tolist",
        ):
            original = getattr(_cupy_stand_in.ndarray, name)
            monkeypatch.setattr(_cupy_stand_in.ndarray, name, self._counting(original))

    def _counting(self, original):
        def method(array, *args, **kwargs):
            self.count += 1
            return original(array, *args, **kwargs)

        return method


def test_validation_syncs_once_per_batch(stand_in, monkeypatch):
    rng = np.random.default_rng(0)
    images = [stand_in.asarray(rng.random((16, 16))) for _ in range(30)]
    waves = [stand_in.asarray(rng.standard_normal(100)) for _ in range(30)]
    sets = [stand_in.asarray(rng.normal(size=(5, 4))) for _ in range(30)]
    transfers = _CountTransfers(monkeypatch)
    check_images(images)
    check_waveforms(waves)
    check_descriptor_sets(sets)
    assert transfers.count <= 3
    model = HOG(
        transform_sqrt=True,
        pixels_per_cell=(4, 4),
        cells_per_block=(2, 2),
        device="cuda",
    ).fit(images[:2])
    transfers.count = 0
    model.transform(images)
    # Per batch, whatever its size: validation, negativity, pixels near a
    # bin boundary (one nonzero per chunk), finite features.
    assert transfers.count <= 4


@pytest.mark.parametrize("bad", [7, 23])
def test_batched_checks_still_name_the_sample(stand_in, bad):
    rng = np.random.default_rng(0)
    images = [stand_in.asarray(rng.random((8, 8))) for _ in range(30)]
    waves = [stand_in.asarray(rng.standard_normal(50)) for _ in range(30)]
    sets = [stand_in.asarray(rng.normal(size=(3, 4))) for _ in range(30)]
    for batch in (images, waves, sets):
        batch[bad] = batch[bad].copy()
        batch[bad][1] = np.nan
    with pytest.raises(ValueError, match=f"Image sample {bad} holds 8 non-finite"):
        check_images(images)
    with pytest.raises(ValueError, match=f"Audio sample {bad} holds non-finite"):
        check_waveforms(waves)
    with pytest.raises(ValueError, match=f"set sample {bad} contains NaN"):
        check_descriptor_sets(sets)
    images[bad] = stand_in.full((8, 8), -1.0)
    with pytest.raises(ValueError, match=f"Image sample {bad} has negative"):
        HOG(
            transform_sqrt=True,
            pixels_per_cell=(4, 4),
            cells_per_block=(2, 2),
            device="cuda",
        ).fit(images[:1]).transform(images)


# -- readers: a waveform's sample rate crosses to the device -------------------


def test_device_waveforms_keep_their_sample_rate(cupy):
    from skmm.audio import AudioReader

    clips = _clips(np.float32, n=3)
    waves = AudioReader(sr=8000, device="cuda").fit_transform(clips)
    assert all(is_cupy_array(w) and w.sr == 8000 for w in waves)
    assert all(is_cupy_array(w[10:]) and w[10:].sr == 8000 for w in waves)
    want = MFCC(sr=8000, n_fft=256, hop_length=64).fit_transform(clips)
    got = MFCC(sr=8000, n_fft=256, hop_length=64, device="cuda").fit_transform(waves)
    np.testing.assert_allclose(_host(got), want, rtol=1e-4, atol=1e-3)
    # MFCC's check of the rate, skipped on the GPU while the rate was dropped.
    with pytest.raises(
        ValueError, match="sample 0 has sample rate 8000 Hz but MFCC\\(sr=16000\\)"
    ):
        MFCC(sr=16000, device="cuda").fit_transform(waves)
