"""Late fusion fits on one BLAS thread each, with unchanged results."""

from contextlib import nullcontext

import numpy as np
import pytest
from joblib import parallel_config
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info, threadpool_limits

from skmm.fusion import LateFusionClassifier
from skmm.utils._parallel import blas_limits

SEEN = []


class _RecordsBlas(LogisticRegression):
    """A logistic regression noting the BLAS pools it was fitted under."""

    def fit(self, X, y, sample_weight=None):
        SEEN.append(_blas_pools())
        # What a process worker saw comes back on the fitted estimator.
        self.blas_pools_ = SEEN[-1]
        return super().fit(X, y, sample_weight=sample_weight)


def _blas_pools():
    return {
        info["filepath"]: info["num_threads"]
        for info in threadpool_info()
        if info["user_api"] == "blas"
    }


def _data():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 40)
    X = rng.normal(size=(120, 6)) + 0.7 * y[:, None]
    return X, y


def _late(estimator, **params):
    return LateFusionClassifier(
        [
            ("a", make_pipeline(StandardScaler(), clone(estimator)), [0, 1, 2]),
            ("b", clone(estimator), [3, 4, 5]),
        ],
        **params,
    )


@pytest.mark.parametrize("fusion, weights", [("mean", None), ("stacking", None)])
def test_fits_run_on_one_blas_thread_and_it_is_restored(fusion, weights):
    X, y = _data()
    before = _blas_pools()
    SEEN.clear()
    _late(_RecordsBlas(), fusion=fusion, weights=weights).fit(X, y)
    assert len(SEEN) == (2 if fusion == "mean" else 12)
    for pools in SEEN:
        assert set(pools.values()) == {1}, pools
    assert _blas_pools() == before


def test_blas_limits_keep_one_multithreaded_pool_and_never_raise():
    pools = _blas_pools()
    limits = blas_limits(64)
    assert set(limits) == set(pools)
    assert all(limits[path] <= pools[path] for path in pools)
    assert sum(threads > 1 for threads in limits.values()) <= 1
    with threadpool_limits(limits=1, user_api="blas"):
        assert set(blas_limits(64).values()) <= {1}


@pytest.mark.parametrize("fusion, weights", [("weighted", "learn"), ("stacking", None)])
def test_budget_leaves_results_unchanged(fusion, weights):
    # The budget changes how many threads the products use, not their
    # numbers: the same fits with one thread in every BLAS pool agree.
    X, y = _data()
    late = _late(LogisticRegression(), fusion=fusion, weights=weights).fit(X, y)
    with threadpool_limits(limits=1, user_api="blas"):
        single = clone(late).fit(X, y)
    np.testing.assert_array_equal(late.predict_proba(X), single.predict_proba(X))
    if weights == "learn":
        np.testing.assert_array_equal(late.weights_, single.weights_)


@pytest.mark.parametrize("backend", [None, "loky"])
def test_parallel_fits_give_the_sequential_numbers(backend):
    # One BLAS thread in every fit, whoever runs it: n_jobs changes nothing.
    X, y = _data()
    sequential = _late(LogisticRegression(), weights="learn").fit(X, y)
    with parallel_config(backend=backend) if backend else nullcontext():
        parallel = clone(sequential).set_params(n_jobs=2).fit(X, y)
    np.testing.assert_array_equal(parallel.weights_, sequential.weights_)
    np.testing.assert_array_equal(
        parallel.predict_proba(X), sequential.predict_proba(X)
    )


def test_process_workers_fit_on_one_blas_thread_too():
    # joblib lets each worker run two BLAS threads, and skmm's budget gives
    # NumPy's pool cores // 2 (so this can fail on more than two cores).
    X, y = _data()
    with parallel_config(backend="loky", inner_max_num_threads=2):
        late = _late(_RecordsBlas(), n_jobs=2).fit(X, y)
    for name in ("a", "b"):
        fitted = late.named_estimators_[name]
        pools = fitted[-1].blas_pools_ if name == "a" else fitted.blas_pools_
        assert set(pools.values()) == {1}, pools
