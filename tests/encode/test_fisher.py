"""FisherVector against skimage.feature.fisher_vector."""

import pickle

import numpy as np
import pandas as pd
import pytest
from skimage.feature import fisher_vector
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from skmm.encode import FisherVector
from skmm.utils._device import cuda_is_available
from skmm.utils.estimator_checks import check_estimator


def _sets(seed, n_samples=30, d=4, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [
        (rng.normal(size=(int(rng.integers(3, 40)), d)) * rng.uniform(0.5, 2, d))
        .astype(dtype)
        for _ in range(n_samples)
    ]


def _skimage(fv, descriptors, improved, alpha):
    """skimage's vector, variance block negated to the gradient's sign."""
    reference = fisher_vector(
        descriptors.astype(np.float64), fv.gmm_, improved=improved, alpha=alpha
    )
    k, d = fv.gmm_.means_.shape
    reference[k + k * d :] *= -1
    return reference


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("n_components", [1, 3])
@pytest.mark.parametrize("improved, alpha", [(False, 0.5), (True, 0.5), (True, 0.3)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matches_skimage(seed, n_components, improved, alpha, dtype):
    sets = _sets(seed, dtype=dtype)
    fv = FisherVector(
        n_components=n_components,
        improved=improved,
        power=alpha,
        include_weights=True,
        random_state=seed,
    ).fit(sets)
    expected = np.stack([_skimage(fv, s, improved, alpha) for s in sets])
    codes = fv.transform(sets)
    assert codes.dtype == np.float64
    np.testing.assert_allclose(codes, expected, rtol=1e-7, atol=1e-10)


def test_without_weights_drops_the_weight_block():
    sets = _sets(2)
    with_w = FisherVector(n_components=3, include_weights=True, improved=False)
    without = FisherVector(n_components=3, improved=False)
    with_w.fit(sets)
    without.set_params(random_state=None).fit(sets)
    without.gmm_ = with_w.gmm_
    np.testing.assert_allclose(without.transform(sets), with_w.transform(sets)[:, 3:])
    names = without.get_feature_names_out()
    assert len(names) == 2 * 3 * 4 and names[0] == "fishervector_mu0_0"
    assert with_w.get_feature_names_out()[0] == "fishervector_w0"


def test_empty_set_is_zero():
    sets = _sets(3)
    fv = FisherVector(n_components=2, random_state=0).fit(sets)
    out = fv.transform([sets[0], np.zeros((0, 4))])
    np.testing.assert_array_equal(out[1], 0.0)
    np.testing.assert_allclose(np.linalg.norm(out[0]), 1.0)


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
    model = make_pipeline(FisherVector(n_components=2, random_state=0), LinearSVC())
    model.fit(pd.Series(sets), y)
    assert model.score(sets, y) == 1.0
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(sets), model.predict(sets))


def test_bad_input():
    sets = _sets(4)
    fv = FisherVector(n_components=2, random_state=0).fit(sets)
    with pytest.raises(ValueError, match="missing"):
        fv.transform([sets[0], np.nan])
    with pytest.raises(ValueError, match="sample 1"):
        fv.transform([sets[0], np.zeros((2, 2, 4))])


@pytest.mark.parametrize(
    "params", [dict(n_components=2), dict(n_components=2, include_weights=True)]
)
def test_common_checks(params):
    check_estimator(FisherVector(**params))


@pytest.mark.gpu
@pytest.mark.skipif(not cuda_is_available(), reason="needs CuPy and a CUDA device")
def test_gpu_matches_cpu():
    sets = _sets(5, n_samples=50)
    cpu = FisherVector(n_components=4, random_state=0).fit(sets)
    gpu = FisherVector(n_components=4, random_state=0, device="cuda").fit(sets)
    assert gpu.device_ == "cuda"
    np.testing.assert_allclose(gpu.transform(sets), cpu.transform(sets), atol=1e-9)


def test_verbose_bar_counts_samples_and_changes_nothing(capsys, monkeypatch):
    from skmm.encode import _base, _fisher

    monkeypatch.setattr(_base, "_PROGRESS_MIN_ROWS", 1)
    # Posterior blocks of 64 rows, so that chunks split the rows.
    monkeypatch.setattr(_fisher, "_BLOCK_ELEMENTS", 4 * 64)
    calls = []
    original = _fisher._posteriors_cpu
    monkeypatch.setattr(
        _fisher,
        "_posteriors_cpu",
        lambda X, *args: calls.append(len(X)) or original(X, *args),
    )
    sets = _sets(5, n_samples=120)
    sets[7] = sets[7][:0]  # an empty set
    fv = FisherVector(n_components=4, include_weights=True, random_state=0).fit(sets)
    quiet = fv.transform(sets)
    assert capsys.readouterr().err == ""
    loud = fv.set_params(verbose=True).transform(sets)
    assert len(calls) > 2
    np.testing.assert_array_equal(quiet, loud)
    err = capsys.readouterr().err
    assert "FisherVector" in err and "120/120" in err and "sample" in err
