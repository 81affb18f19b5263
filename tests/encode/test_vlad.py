"""VLAD against a plain NumPy reference loop."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from skmm.encode import VLAD
from skmm.utils._device import cuda_is_available
from skmm.utils.estimator_checks import check_estimator


def _sets(seed, n_samples=30, d=5, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [
        rng.normal(size=(int(rng.integers(3, 40)), d)).astype(dtype)
        for _ in range(n_samples)
    ]


def _reference(descriptors, centres, intra_norm, power, norm):
    """VLAD of one set, written out plainly."""
    k, d = centres.shape
    v = np.zeros((k, d))
    for x in descriptors.astype(np.float64):
        distances = [np.sum((x - c) ** 2) for c in centres.astype(np.float64)]
        nearest = int(np.argmin(distances))
        v[nearest] += x - centres[nearest]
    if intra_norm:
        for c in range(k):
            length = np.linalg.norm(v[c])
            if length > 0:
                v[c] /= length
    v = v.ravel()
    v = np.sign(v) * np.abs(v) ** power
    if norm == "l2" and np.linalg.norm(v) > 0:
        v /= np.linalg.norm(v)
    if norm == "l1" and np.abs(v).sum() > 0:
        v /= np.abs(v).sum()
    return v


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize(
    "params",
    [
        dict(),
        dict(intra_norm=False, power=1.0),
        dict(intra_norm=False, power=0.5, norm=None),
        dict(intra_norm=True, power=0.3, norm="l1"),
    ],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matches_reference(seed, params, dtype):
    sets = _sets(seed, dtype=dtype)
    vlad = VLAD(n_clusters=6, random_state=seed, **params).fit(sets)
    full = dict(intra_norm=True, power=0.5, norm="l2") | params
    expected = np.stack([_reference(s, vlad.codebook_, **full) for s in sets])
    codes = vlad.transform(sets)
    assert codes.dtype == np.float64
    np.testing.assert_allclose(codes, expected, rtol=1e-9, atol=1e-12)


def test_empty_set_is_zero_and_unassigned_centres_stay_zero():
    sets = _sets(2)
    vlad = VLAD(n_clusters=5, random_state=0).fit(sets)
    out = vlad.transform([np.zeros((0, 5)), sets[0][:1]])
    np.testing.assert_array_equal(out[0], 0.0)
    assert np.count_nonzero(np.abs(out[1].reshape(5, 5)).sum(axis=1)) == 1
    np.testing.assert_allclose(np.linalg.norm(out[1]), 1.0)


def test_3d_input_and_bad_width():
    rng = np.random.default_rng(3)
    cube = rng.normal(size=(20, 8, 4))
    vlad = VLAD(n_clusters=3, random_state=0).fit(cube)
    np.testing.assert_array_equal(vlad.transform(cube), vlad.transform(list(cube)))
    assert vlad.get_feature_names_out().tolist() == [f"vlad{i}" for i in range(12)]
    with pytest.raises(ValueError, match="sample 0"):
        vlad.transform([np.zeros((2, 5))])
    with pytest.raises(ValueError, match="sample 1"):
        vlad.transform([cube[0], np.zeros(4)])
    with pytest.raises(ValueError, match="sample 1"):
        vlad.transform([cube[0], np.full((2, 4), np.inf)])


def test_pipeline_series_and_pickle():
    # Two blobs shared by both classes; the class shifts descriptors within
    # them, which only residual (first-order) statistics see.
    rng = np.random.default_rng(0)
    y = np.arange(60) % 2
    sets = []
    for label in y:
        n = int(rng.integers(5, 30))
        blob = np.where(rng.random(n) < 0.5, 3.0, -3.0)
        descriptors = rng.normal(scale=0.5, size=(n, 6))
        descriptors[:, 1] += blob
        descriptors[:, 0] += 1.0 if label else -1.0
        sets.append(descriptors)
    model = make_pipeline(VLAD(n_clusters=2, random_state=0), LinearSVC())
    model.fit(pd.Series(sets, index=np.arange(60) * 3), y)
    assert model.score(sets, y) == 1.0
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(sets), model.predict(sets))


def test_common_checks():
    check_estimator(VLAD(n_clusters=4))


@pytest.mark.gpu
@pytest.mark.skipif(not cuda_is_available(), reason="needs CuPy and a CUDA device")
def test_gpu_matches_cpu():
    sets = _sets(4, n_samples=50, d=13)
    cpu = VLAD(n_clusters=8, random_state=0).fit(sets)
    gpu = VLAD(n_clusters=8, random_state=0, device="cuda").fit(sets)
    assert gpu.device_ == "cuda"
    np.testing.assert_allclose(gpu.transform(sets), cpu.transform(sets), atol=1e-10)


@pytest.mark.parametrize("d", [5, 64])
def test_verbose_bar_counts_samples_and_changes_nothing(capsys, monkeypatch, d):
    from skmm.encode import _base

    monkeypatch.setattr(_base, "_PROGRESS_MIN_ROWS", 1)
    calls = []
    original = _base.nearest_centre
    monkeypatch.setattr(
        "skmm.encode._vlad.nearest_centre",
        lambda X, *args, **kwargs: calls.append(len(X)) or original(X, *args, **kwargs),
    )
    sets = _sets(4, n_samples=150, d=d)
    sets[20] = sets[20][:0]  # an empty set
    vlad = VLAD(n_clusters=8, random_state=0).fit(sets)
    quiet = vlad.transform(sets)
    assert capsys.readouterr().err == ""
    assert len(calls) == 1
    loud = vlad.set_params(verbose=True).transform(sets)
    # Chunks of whole kernel blocks: 512 rows, the rest in the last one.
    assert len(calls) > 2 and set(calls[1:-1]) == {512}
    np.testing.assert_array_equal(quiet, loud)
    err = capsys.readouterr().err
    assert "VLAD" in err and "150/150" in err and "sample" in err


def test_defaults_are_pinned():
    assert VLAD().get_params() == dict(
        n_clusters=64,
        intra_norm=True,
        power=0.5,
        norm="l2",
        max_descriptors=100_000,
        batch_size=1024,
        max_iter=100,
        random_state=None,
        device="cpu",
        n_jobs=None,
        verbose=False,
    )


def test_fit_is_minibatch_kmeans_on_the_subsample():
    from sklearn.cluster import MiniBatchKMeans
    from sklearn.utils import check_random_state

    sets = _sets(5)
    vlad = VLAD(
        n_clusters=4, max_descriptors=70, batch_size=32, max_iter=4, random_state=2
    ).fit(sets)
    flat = np.concatenate(sets)
    rng = check_random_state(2)
    rows = np.sort(rng.choice(len(flat), size=70, replace=False))
    reference = MiniBatchKMeans(
        n_clusters=4,
        batch_size=32,
        max_iter=4,
        n_init="auto",
        random_state=rng.randint(np.iinfo(np.int32).max),
    ).fit(flat[rows])
    np.testing.assert_array_equal(vlad.codebook_, reference.cluster_centers_)
    assert vlad.n_features_out_ == 4 * 5


@pytest.mark.parametrize("device", ["cpu", "cuda"])
@pytest.mark.parametrize("on_device", [False, True])
@pytest.mark.parametrize("d", [5, 64])
def test_device_dispatch(cupy, spy_on, device, on_device, d):
    from skmm.encode import _assign_numba, _assign_xp
    from skmm.utils._device import is_cupy_array

    sets = _sets(6, n_samples=12, d=d)
    expected = VLAD(n_clusters=4, random_state=0).fit(sets).transform(sets)
    vlad = VLAD(n_clusters=4, random_state=0, device=device).fit(sets)
    assert vlad.device_ == device
    calls = []
    spy_on(calls, _assign_numba, "assign_direct", "cpu", is_cupy_array)
    spy_on(calls, _assign_numba, "assign_gemm", "cpu", is_cupy_array)
    spy_on(calls, _assign_xp, "nearest_centre", "device", is_cupy_array)
    out = vlad.transform([cupy.asarray(s) for s in sets] if on_device else sets)
    # Sets are stacked on the host for either kernel; the device kernel
    # copies them over itself.
    assert calls == [("device" if device == "cuda" else "cpu", False)]
    assert is_cupy_array(out) == on_device
    np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-12, atol=1e-12)


def test_n_jobs_none_means_one_outside_a_joblib_context(monkeypatch):
    import joblib
    import numba

    from skmm.encode import _assign_numba

    seen = []
    original = _assign_numba.assign_direct
    monkeypatch.setattr(
        _assign_numba,
        "assign_direct",
        lambda *args: seen.append(numba.get_num_threads()) or original(*args),
    )
    sets = _sets(7, n_samples=8)
    vlad = VLAD(n_clusters=3, random_state=0).fit(sets)
    vlad.transform(sets)
    with joblib.parallel_config(n_jobs=2):
        vlad.transform(sets)
    vlad.set_params(n_jobs=2).transform(sets)
    two = min(2, numba.config.NUMBA_NUM_THREADS)
    assert seen == [1, two, two]


@pytest.mark.parametrize(
    "params",
    [dict(), dict(intra_norm=False, power=1.0), dict(intra_norm=False, norm="l1")],
)
def test_norms_of_large_accepted_sets_do_not_overflow(params):
    # A long set of one repeated descriptor near the largest magnitude
    # validation accepts: its residual sum's squared norm overflows float64,
    # which must not turn the code into zeros. VLAD is invariant to one scale
    # of descriptors and codebook together.
    from skmm.utils._validation import _largest_encodable

    vlad = VLAD(n_clusters=3, random_state=0, **params).fit(_sets(8))
    one = np.tile([[3.0, -2.0, 1.0, 0.5, -1.0]], (400_000, 1))
    expected = vlad.transform([one])
    scale = 0.9 * _largest_encodable(np.float64, *one.shape) / 3.0
    with np.errstate(over="ignore"):
        assert np.isinf(np.sum((one.sum(axis=0) * scale) ** 2))
    vlad.codebook_ = vlad.codebook_ * scale
    np.testing.assert_allclose(vlad.transform([one * scale]), expected, rtol=1e-9)
