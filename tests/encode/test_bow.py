"""BagOfWords against KMeans-style predict + bincount references."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import pairwise_distances_argmin
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from skmm.encode import BagOfWords
from skmm.utils._device import cuda_is_available
from skmm.utils.estimator_checks import check_estimator


def _sets(seed, n_samples=30, d=5, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [
        rng.normal(size=(int(rng.integers(3, 40)), d)).astype(dtype)
        for _ in range(n_samples)
    ]


def _separable(seed, n_samples=60, d=6):
    rng = np.random.default_rng(seed)
    y = np.arange(n_samples) % 2
    sets = [
        np.where(np.arange(d) % 2 == label, 2.0, -2.0)
        + rng.normal(size=(int(rng.integers(5, 30)), d))
        for label in y
    ]
    return sets, y


def _reference_counts(bow, sets):
    counts = np.zeros((len(sets), bow.n_clusters))
    for i, descriptors in enumerate(sets):
        if len(descriptors):
            labels = bow.kmeans_.predict(descriptors.astype(bow.codebook_.dtype))
            counts[i] = np.bincount(labels, minlength=bow.n_clusters)
    return counts


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize(
    "params, post",
    [
        (dict(norm=None), lambda h: h),
        (dict(norm="l1"), lambda h: h / h.sum(axis=1, keepdims=True)),
        (
            dict(norm="l2", power=0.5),
            lambda h: np.sqrt(h / h.sum(axis=1, keepdims=True)),
        ),
        (
            dict(norm="l1", power=0.5),
            lambda h: np.sqrt(h) / np.sqrt(h).sum(axis=1, keepdims=True),
        ),
    ],
)
def test_hard_matches_kmeans_predict(seed, params, post):
    sets = _sets(seed)
    bow = BagOfWords(n_clusters=7, random_state=seed, **params).fit(sets)
    assert bow.codebook_.shape == (7, 5)
    np.testing.assert_allclose(
        bow.transform(sets), post(_reference_counts(bow, sets)), rtol=1e-12
    )


def test_float32_and_subsampling():
    from sklearn.cluster import MiniBatchKMeans
    from sklearn.utils import check_random_state

    sets = _sets(2, dtype=np.float32)
    bow = BagOfWords(
        n_clusters=6,
        norm=None,
        max_descriptors=50,
        batch_size=16,
        max_iter=5,
        random_state=0,
    )
    histograms = bow.fit(sets).transform(sets)
    assert histograms.dtype == np.float64
    # The codebook is MiniBatchKMeans on 50 descriptors drawn as documented.
    flat = np.concatenate(sets)
    rng = check_random_state(0)
    rows = np.sort(rng.choice(len(flat), size=50, replace=False))
    reference = MiniBatchKMeans(
        n_clusters=6,
        batch_size=16,
        max_iter=5,
        n_init="auto",
        random_state=rng.randint(np.iinfo(np.int32).max),
    ).fit(flat[rows])
    np.testing.assert_array_equal(bow.codebook_, reference.cluster_centers_)
    # Counts of nearest codewords, up to float32 near ties.
    labels = pairwise_distances_argmin(flat.astype(np.float64), bow.codebook_)
    owner = np.repeat(np.arange(len(sets)), [len(s) for s in sets])
    expected = np.zeros_like(histograms)
    np.add.at(expected, (owner, labels), 1)
    assert histograms.sum() == len(flat)
    assert np.abs(histograms - expected).sum() <= 2 * 0.001 * len(flat)


@pytest.mark.parametrize("bandwidth", ["auto", 0.7])
def test_soft_assignment_matches_reference(bandwidth):
    sets = _sets(3)
    bow = BagOfWords(
        n_clusters=5, assignment="soft", bandwidth=bandwidth, norm=None, random_state=0
    ).fit(sets)
    sigma = bow.bandwidth_
    if bandwidth == "auto":
        flat = np.concatenate(sets)
        sq = ((flat[:, None] - bow.codebook_[None]) ** 2).sum(axis=2)
        np.testing.assert_allclose(sigma, np.sqrt(sq.min(axis=1).mean()))
    expected = []
    for descriptors in sets:
        sq = ((descriptors[:, None] - bow.codebook_[None]) ** 2).sum(axis=2)
        w = np.exp(-sq / (2 * sigma**2))
        expected.append((w / w.sum(axis=1, keepdims=True)).sum(axis=0))
    np.testing.assert_allclose(bow.transform(sets), np.array(expected), rtol=1e-10)


@pytest.mark.parametrize("assignment", ["hard", "soft"])
def test_empty_set_gives_zero_histogram(assignment):
    sets = _sets(4)
    bow = BagOfWords(n_clusters=4, assignment=assignment, random_state=0).fit(sets)
    out = bow.transform([np.zeros((0, 5)), sets[0], np.zeros((0, 5)), sets[1]])
    np.testing.assert_array_equal(out[[0, 2]], 0.0)
    np.testing.assert_allclose(out[[1, 3]], bow.transform(sets[:2]))
    # An empty list is a cell of no items: a missing sample, not an empty set.
    with pytest.raises(ValueError, match=r"sample 2 is a missing value \(\[\]\)"):
        bow.transform([np.zeros((0, 5)), sets[0], [], sets[1]])


def test_partial_fit():
    sets = _sets(5, n_samples=40)
    bow = BagOfWords(n_clusters=4, random_state=0)
    for start in range(0, 40, 10):
        bow.partial_fit(sets[start : start + 10])
    assert bow.codebook_.shape == (4, 5)
    assert bow.transform(sets).shape == (40, 4)


def test_bad_input_and_too_few_descriptors():
    sets = _sets(6)
    bow = BagOfWords(n_clusters=4, random_state=0).fit(sets)
    with pytest.raises(ValueError, match="sample 2"):
        bow.transform([sets[0], sets[1], np.zeros((3, 4))])
    with pytest.raises(ValueError, match="missing.*|sample 1"):
        bow.transform(pd.Series([sets[0], None]))
    with pytest.raises(ValueError, match="n_clusters=500"):
        BagOfWords(n_clusters=500).fit(sets[:2])


def test_n_words_is_deprecated_for_n_clusters():
    sets = _sets(8)
    expected = BagOfWords(n_clusters=5, random_state=0).fit(sets)
    old = BagOfWords(n_words=5, random_state=0)
    with pytest.warns(FutureWarning, match="n_words.*renamed.*n_clusters.*0.3"):
        old.fit(sets)
    # Meanwhile n_words is used in place of n_clusters (default 256).
    assert old.codebook_.shape == (5, 5) and old.n_features_out_ == 5
    np.testing.assert_array_equal(old.codebook_, expected.codebook_)
    np.testing.assert_array_equal(old.transform(sets), expected.transform(sets))
    with pytest.warns(FutureWarning, match="n_words"):
        streamed = BagOfWords(n_words=5, random_state=0).partial_fit(sets)
    assert streamed.codebook_.shape == (5, 5)
    with pytest.warns(FutureWarning), pytest.raises(ValueError, match="n_words=500"):
        BagOfWords(n_words=500).fit(sets[:2])
    with pytest.raises(ValueError, match="n_words"):
        BagOfWords(n_words=0).fit(sets)


def test_pipeline_series_and_pickle():
    sets, y = _separable(0)
    model = make_pipeline(BagOfWords(n_clusters=8, random_state=0), LinearSVC())
    model.fit(pd.Series(sets), y)
    assert model.score(sets, y) == 1.0
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(sets), model.predict(sets))
    names = model[0].get_feature_names_out()
    assert names.tolist() == [f"bagofwords{i}" for i in range(8)]


@pytest.mark.parametrize(
    "params", [dict(n_clusters=4), dict(n_clusters=4, assignment="soft", power=0.5)]
)
def test_common_checks(params):
    check_estimator(BagOfWords(**params))


@pytest.mark.gpu
@pytest.mark.skipif(not cuda_is_available(), reason="needs CuPy and a CUDA device")
@pytest.mark.parametrize("assignment", ["hard", "soft"])
def test_gpu_matches_cpu(assignment):
    sets = _sets(7, n_samples=50, d=13)
    cpu = BagOfWords(n_clusters=16, assignment=assignment, random_state=0).fit(sets)
    gpu = BagOfWords(
        n_clusters=16, assignment=assignment, random_state=0, device="cuda"
    ).fit(sets)
    assert gpu.device_ == "cuda"
    np.testing.assert_allclose(gpu.codebook_, cpu.codebook_)
    np.testing.assert_allclose(gpu.transform(sets), cpu.transform(sets), atol=1e-10)


def _count_chunks(monkeypatch):
    """Record how many row chunks each transform call makes."""
    from skmm.encode._base import _DescriptorSetEncoder

    counts = []
    original = _DescriptorSetEncoder._row_chunks

    def spy(self, offsets, block_rows=1):
        chunks = list(original(self, offsets, block_rows))
        counts.append(len(chunks))
        return iter(chunks)

    monkeypatch.setattr(_DescriptorSetEncoder, "_row_chunks", spy)
    return counts


@pytest.mark.parametrize(
    "params, d",
    [
        (dict(), 5),  # direct assignment kernel
        (dict(), 64),  # BLAS assignment kernel
        (dict(assignment="soft"), 5),
    ],
)
def test_verbose_bar_counts_samples_and_changes_nothing(capsys, monkeypatch, params, d):
    from skmm.encode import _base, _bow

    monkeypatch.setattr(_base, "_PROGRESS_MIN_ROWS", 1)
    # Soft assignment blocks of 64 rows, so that chunks split the rows.
    monkeypatch.setattr(_bow, "_SOFT_BLOCK_ELEMENTS", 8 * 64)
    sets = _sets(3, n_samples=150, d=d)
    sets[10] = sets[10][:0]  # an empty set
    bow = BagOfWords(n_clusters=8, random_state=0, **params).fit(sets)
    counts = _count_chunks(monkeypatch)
    quiet = bow.transform(sets)
    assert capsys.readouterr().err == ""
    loud = bow.set_params(verbose=True).transform(sets)
    assert counts[0] == 1 and counts[1] > 1
    np.testing.assert_array_equal(quiet, loud)
    err = capsys.readouterr().err
    assert "BagOfWords" in err and "150/150" in err and "sample" in err


def test_defaults_are_pinned():
    assert BagOfWords().get_params() == dict(
        n_clusters=256,
        assignment="hard",
        bandwidth="auto",
        norm="l1",
        power=1.0,
        max_descriptors=100_000,
        batch_size=1024,
        max_iter=100,
        random_state=None,
        device="cpu",
        n_jobs=None,
        verbose=False,
        n_words="deprecated",
    )


def _spy_assignment(spy_on):
    """Record which assignment kernel receives which kind of array."""
    from skmm.encode import _assign_numba, _assign_xp, _bow
    from skmm.utils._device import is_cupy_array

    calls = []
    for module, name, kind in [
        (_assign_numba, "assign_direct", "cpu"),
        (_assign_numba, "assign_gemm", "cpu"),
        (_bow, "_soft_weights_cpu", "cpu"),
        (_assign_xp, "nearest_centre", "device"),
        (_assign_xp, "sq_distances_softmin", "device"),
    ]:
        spy_on(calls, module, name, kind, is_cupy_array)
    return calls


@pytest.mark.parametrize("assignment", ["hard", "soft"])
@pytest.mark.parametrize("device", ["cpu", "cuda"])
@pytest.mark.parametrize("on_device", [False, True])
def test_device_dispatch(cupy, spy_on, assignment, device, on_device):
    from skmm.utils._device import is_cupy_array

    sets = _sets(9, n_samples=12)
    expected = BagOfWords(n_clusters=4, assignment=assignment, random_state=0)
    expected = expected.fit(sets).transform(sets)
    bow = BagOfWords(
        n_clusters=4, assignment=assignment, random_state=0, device=device
    ).fit(sets)
    assert bow.device_ == device
    calls = _spy_assignment(spy_on)
    out = bow.transform([cupy.asarray(s) for s in sets] if on_device else sets)
    # The sets are stacked on the host for either kernel; the device one
    # copies them over itself.
    assert calls == [("device" if device == "cuda" else "cpu", False)]
    assert is_cupy_array(out) == on_device
    np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-12, atol=1e-12)


def _spy_threads(monkeypatch):
    """Record the Numba threads of the hard assignment kernels and the BLAS
    threads of soft assignment."""
    import numba
    from threadpoolctl import threadpool_info

    from skmm.encode import _assign_numba, _bow

    seen = []
    for name in ("assign_direct", "assign_gemm"):
        original = getattr(_assign_numba, name)

        def numba_spy(*args, _original=original):
            seen.append(numba.get_num_threads())
            return _original(*args)

        monkeypatch.setattr(_assign_numba, name, numba_spy)
    original = _bow._soft_weights_unchecked

    def blas_spy(*args):
        seen.append(
            max(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")
        )
        return original(*args)

    monkeypatch.setattr(_bow, "_soft_weights_unchecked", blas_spy)
    return seen


@pytest.mark.parametrize("assignment", ["hard", "soft"])
def test_n_jobs_none_means_one_outside_a_joblib_context(monkeypatch, assignment):
    import joblib
    import numba

    sets = _sets(10, n_samples=8)
    bow = BagOfWords(n_clusters=3, assignment=assignment, random_state=0).fit(sets)
    seen = _spy_threads(monkeypatch)
    bow.transform(sets)
    with joblib.parallel_config(n_jobs=2):
        bow.transform(sets)
    bow.set_params(n_jobs=2).transform(sets)
    if assignment == "hard":
        two = min(2, numba.config.NUMBA_NUM_THREADS)
    else:
        two = 2
    assert seen == [1, two, two]
