"""StatsPooling and pool_flat against NumPy and scipy.stats."""

import pickle

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from skmm.encode import StatsPooling, pool_flat
from skmm.utils.estimator_checks import check_estimator

ALL = ("mean", "std", "var", "min", "max", "median", "skew", "kurtosis")
REFERENCE = {
    "mean": lambda a: a.mean(axis=0),
    "std": lambda a: a.std(axis=0),
    "var": lambda a: a.var(axis=0),
    "min": lambda a: a.min(axis=0),
    "max": lambda a: a.max(axis=0),
    "median": lambda a: np.median(a, axis=0),
    "skew": lambda a: sps.skew(a, axis=0),
    "kurtosis": lambda a: sps.kurtosis(a, axis=0),
}


def _sets(seed, n=25, d=5, dtype=np.float64, offset=0.0):
    rng = np.random.default_rng(seed)
    return [
        (offset + rng.gamma(2.0, size=(int(rng.integers(2, 40)), d))).astype(dtype)
        for _ in range(n)
    ]


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize(
    "stats", [("mean", "std"), ALL, ("kurtosis", "median", "min"), ("var",)]
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_matches_numpy_and_scipy(seed, stats, dtype):
    sets = (
        _sets(seed, dtype=dtype)
        if dtype != np.int64
        else [(10 * s).astype(np.int64) for s in _sets(seed)]
    )
    pooled = StatsPooling(stats=stats).fit(sets).transform(sets)
    assert pooled.dtype == np.float64
    expected = np.stack(
        [
            np.concatenate([REFERENCE[s](a.astype(np.float64)) for s in stats])
            for a in sets
        ]
    )
    np.testing.assert_allclose(pooled, expected, rtol=1e-9, atol=1e-12)


def test_variance_accurate_with_large_offset():
    sets = _sets(2, offset=1e6)
    pooled = StatsPooling(stats=("std",)).fit(sets).transform(sets)
    expected = np.stack([a.std(axis=0) for a in sets])
    np.testing.assert_allclose(pooled, expected, rtol=1e-6)


def test_pool_flat_matches_estimator():
    sets = _sets(3)
    flat = np.concatenate(sets)
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in sets])])
    np.testing.assert_array_equal(
        pool_flat(flat, offsets, ALL), StatsPooling(stats=ALL).fit(sets).transform(sets)
    )


def test_constant_column_has_zero_skew_and_kurtosis():
    pooled = pool_flat(np.ones((4, 2)), np.array([0, 4]), ("std", "skew", "kurtosis"))
    np.testing.assert_array_equal(pooled, 0.0)


def test_empty_set_raises():
    with pytest.raises(ValueError, match="set 1 is empty"):
        pool_flat(np.ones((4, 2)), np.array([0, 2, 2, 4]))
    sets = _sets(4, n=3)
    pooling = StatsPooling().fit(sets)
    with pytest.raises(ValueError, match="sample 1 .*empty"):
        pooling.transform([sets[0], np.zeros((0, 5)), sets[2]])
    series = pd.Series([sets[0], np.zeros((0, 5))], index=[10, 20])
    with pytest.raises(ValueError, match="index label 20"):
        pooling.transform(series)


def test_bad_offsets_and_stats():
    with pytest.raises(ValueError, match="offsets"):
        pool_flat(np.ones((4, 2)), np.array([0, 3]))
    with pytest.raises(ValueError, match="stats"):
        pool_flat(np.ones((4, 2)), np.array([0, 4]), ("mean", "mode"))
    with pytest.raises(ValueError, match="stats"):
        StatsPooling(stats=("mean", "mean")).fit(_sets(0))


def test_inputs_series_3d_and_names():
    sets = _sets(5, d=3)
    pooling = StatsPooling(stats=("mean", "std")).fit(sets)
    expected = pooling.transform(sets)
    np.testing.assert_array_equal(pooling.transform(pd.Series(sets)), expected)
    np.testing.assert_array_equal(
        pooling.transform(pd.DataFrame({"mfcc": sets})), expected
    )
    cube = np.stack([s[:2] for s in sets])
    np.testing.assert_array_equal(
        pooling.transform(cube), pooling.transform(list(cube))
    )
    assert pooling.get_feature_names_out().tolist() == [
        "mean0",
        "mean1",
        "mean2",
        "std0",
        "std1",
        "std2",
    ]
    restored = pickle.loads(pickle.dumps(pooling))
    np.testing.assert_array_equal(restored.transform(sets), expected)
    out = pooling.set_output(transform="pandas").transform(sets)
    assert list(out.columns) == pooling.get_feature_names_out().tolist()


@pytest.mark.parametrize("stats", [("mean", "std"), ALL])
def test_common_checks(stats):
    check_estimator(StatsPooling(stats=stats))


def _reference_segments(descriptors, k, stats):
    """Pool k consecutive parts of one set with NumPy, by the documented rule."""
    n = len(descriptors)
    rows = []
    for j in range(k):
        start = min(round(j * n / k), n - 1)
        end = max(round((j + 1) * n / k), start + 1)
        part = descriptors[start:end]
        rows.append(np.concatenate([getattr(np, s)(part, axis=0) for s in stats]))
    return np.concatenate(rows)


@pytest.mark.parametrize("segments", [2, 3, (1, 4), [1, 2, 5]])
def test_segments_pool_consecutive_parts(segments):
    rng = np.random.default_rng(7)
    # Lengths cover sets shorter than, equal to and longer than the parts.
    sets = [rng.standard_normal((n, 3)) for n in (1, 2, 3, 5, 8, 21, 40)]
    stats = ("mean", "std", "max")
    pooling = StatsPooling(stats=stats, segments=segments).fit(sets)
    got = pooling.transform(sets)
    levels = (segments,) if isinstance(segments, int) else tuple(segments)
    for row, descriptors in zip(got, sets, strict=True):
        expected = np.concatenate(
            [_reference_segments(descriptors, k, stats) for k in levels]
        )
        np.testing.assert_allclose(row, expected, rtol=1e-12, atol=1e-12)
    names = pooling.get_feature_names_out()
    assert len(names) == got.shape[1] == pooling.n_features_out_
    assert len(set(names)) == len(names)


def test_segments_feature_names_and_bad_values():
    sets = [np.zeros((4, 2))]
    pooling = StatsPooling(stats="mean", segments=(1, 2)).fit(sets)
    names = pooling.get_feature_names_out()
    assert list(names) == [
        "mean0",
        "mean1",
        "seg2.0_mean0",
        "seg2.0_mean1",
        "seg2.1_mean0",
        "seg2.1_mean1",
    ]
    for bad in (0, (1, 0), (), (1.5,), (True,)):
        with pytest.raises(ValueError, match="segments"):
            StatsPooling(segments=bad).fit(sets)


def test_segments_in_the_common_checks():
    check_estimator(StatsPooling(stats=("mean", "min"), segments=(1, 3)))


@pytest.mark.parametrize("segments", [1, (1, 3)])
def test_verbose_bar_counts_samples_and_changes_nothing(capsys, monkeypatch, segments):
    from skmm.encode import _base

    monkeypatch.setattr(_base, "_PROGRESS_MIN_ROWS", 1)
    monkeypatch.setattr(_base, "_PROGRESS_STEPS", 7)
    sets = _sets(6, n=60)
    sets[5] = np.concatenate([sets[5]] * 20)  # a set longer than a chunk
    stats = ("mean", "std", "median", "max", "kurtosis")
    pooling = StatsPooling(stats=stats, segments=segments).fit(sets)
    quiet = pooling.transform(sets)
    assert capsys.readouterr().err == ""
    loud = pooling.set_params(verbose=True).transform(sets)
    np.testing.assert_array_equal(quiet, loud)
    err = capsys.readouterr().err
    assert "StatsPooling" in err and "60/60" in err and "sample" in err


def test_defaults_are_pinned():
    assert StatsPooling().get_params() == dict(
        stats=("mean", "std"), segments=1, verbose=False
    )
    sets = _sets(8, n=4)
    expected = np.stack([np.concatenate([a.mean(axis=0), a.std(axis=0)]) for a in sets])
    np.testing.assert_allclose(StatsPooling().fit_transform(sets), expected)


def test_higher_moments_of_large_values_do_not_overflow():
    # Cubes and fourth powers of 1e120 overflow float64; standardised
    # moments do not, and skew and kurtosis are scale-free.
    sets = _sets(9, n=6)
    stats = ("skew", "kurtosis", "std")
    small = StatsPooling(stats=stats).fit_transform(sets)
    large = StatsPooling(stats=stats).fit_transform([a * 1e120 for a in sets])
    d = sets[0].shape[1]
    np.testing.assert_allclose(large[:, : 2 * d], small[:, : 2 * d], rtol=1e-9)
    np.testing.assert_allclose(large[:, 2 * d :], small[:, 2 * d :] * 1e120, rtol=1e-9)
