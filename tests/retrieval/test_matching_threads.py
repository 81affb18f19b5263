"""A matching's fits run on one BLAS thread each, and restore the pools."""

import numpy as np
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_info

from skmm.retrieval import CrossModalCCA, SemanticCorrelationMatching

SEEN = []


def _blas_pools():
    return {
        info["filepath"]: info["num_threads"]
        for info in threadpool_info()
        if info["user_api"] == "blas"
    }


class _RecordsBlas(LogisticRegression):
    def fit(self, X, y, sample_weight=None):
        SEEN.append(_blas_pools())
        return super().fit(X, y, sample_weight=sample_weight)


def test_matching_fits_run_on_one_blas_thread():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 30)
    X = rng.normal(size=(90, 6)) + y[:, None]
    before = _blas_pools()
    SEEN.clear()
    SemanticCorrelationMatching(
        [("a", "passthrough", [0, 1, 2]), ("b", "passthrough", [3, 4, 5])],
        cca=CrossModalCCA(n_components=2),
        classifier=_RecordsBlas(),
    ).fit(X, y)
    assert len(SEEN) == 2
    for pools in SEEN:
        assert set(pools.values()) == {1}, pools
    assert _blas_pools() == before
