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
        (
            rng.normal(size=(int(rng.integers(3, 40)), d)) * rng.uniform(0.5, 2, d)
        ).astype(dtype)
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


def test_defaults_are_pinned():
    assert FisherVector().get_params() == dict(
        n_components=16,
        improved=True,
        power=0.5,
        norm="l2",
        include_weights=False,
        max_descriptors=100_000,
        reg_covar=1e-6,
        max_iter=100,
        n_init=1,
        random_state=None,
        device="cpu",
        verbose=False,
    )


def _perronnin(descriptors, gmm, include_weights, improved, power, norm):
    """The Fisher vector of Perronnin et al. (2010), written out per
    component, with the posteriors of scikit-learn's ``GaussianMixture``."""
    x = descriptors.astype(np.float64)
    k, d = gmm.means_.shape
    if len(x) == 0:
        return np.zeros((k if include_weights else 0) + 2 * k * d)
    gamma = gmm.predict_proba(x)
    n = len(x)
    g_w, g_mu, g_sigma = [], [], []
    for c in range(k):
        w, mu, sigma = gmm.weights_[c], gmm.means_[c], np.sqrt(gmm.covariances_[c])
        u = (x - mu) / sigma
        g_w.append(np.sum(gamma[:, c] - w) / (n * np.sqrt(w)))
        g_mu.append((gamma[:, c, None] * u).sum(axis=0) / (n * np.sqrt(w)))
        g_sigma.append(
            (gamma[:, c, None] * (u**2 - 1)).sum(axis=0) / (n * np.sqrt(2 * w))
        )
    v = np.concatenate(([np.array(g_w)] if include_weights else []) + g_mu + g_sigma)
    if improved:
        v = np.sign(v) * np.abs(v) ** power
        if norm == "l2":
            v = v / np.sqrt(np.sum(v**2))
        elif norm == "l1":
            v = v / np.sum(np.abs(v))
    return v


NORMALISATIONS = [
    dict(improved=False),
    dict(improved=True),
    dict(improved=True, power=1.0),
    dict(improved=True, power=0.3, norm="l1"),
    dict(improved=True, power=0.5, norm=None),
]


@pytest.mark.parametrize("params", NORMALISATIONS)
@pytest.mark.parametrize("include_weights", [False, True])
def test_fit_transform_match_perronnin_reference(params, include_weights):
    sets = _sets(6)
    sets[4] = sets[4][:0]  # an empty set: a zero row
    fv = FisherVector(
        n_components=3, include_weights=include_weights, random_state=0, **params
    ).fit(sets)
    full = dict(power=0.5, norm="l2") | params
    expected = np.stack([_perronnin(s, fv.gmm_, include_weights, **full) for s in sets])
    np.testing.assert_allclose(fv.transform(sets), expected, rtol=1e-9, atol=1e-12)
    assert fv.n_features_out_ == expected.shape[1]
    assert fv.gmm_.covariance_type == "diag" and fv.gmm_.n_components == 3


# Few EM iterations, so that max_iter shows in the result.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_fit_learns_the_mixture_of_gaussian_mixture():
    # fit is GaussianMixture(diag) on a subsample of max_descriptors rows,
    # seeded from random_state as the encoder documents.
    from sklearn.mixture import GaussianMixture
    from sklearn.utils import check_random_state

    sets = _sets(7)
    fv = FisherVector(
        n_components=2,
        max_descriptors=60,
        reg_covar=1e-3,
        max_iter=3,
        n_init=2,
        random_state=4,
    ).fit(sets)
    flat = np.concatenate(sets)
    rng = check_random_state(4)
    rows = np.sort(rng.choice(len(flat), size=60, replace=False))
    reference = GaussianMixture(
        n_components=2,
        covariance_type="diag",
        reg_covar=1e-3,
        max_iter=3,
        n_init=2,
        random_state=rng.randint(np.iinfo(np.int32).max),
    ).fit(flat[rows])
    for name in ("weights_", "means_", "covariances_"):
        np.testing.assert_array_equal(getattr(fv.gmm_, name), getattr(reference, name))


def test_partial_fit_takes_a_stepwise_em_step():
    sets = _sets(8, n_samples=40)
    first, second, third = sets[:15], sets[15:30], sets[30:]
    fv = FisherVector(n_components=3, reg_covar=1e-4, random_state=0)
    fv.partial_fit(first)
    np.testing.assert_array_equal(
        fv.gmm_.means_,
        FisherVector(n_components=3, reg_covar=1e-4, random_state=0)
        .fit(first)
        .gmm_.means_,
    )
    gmm = fv.gmm_
    w, mu, var = gmm.weights_.copy(), gmm.means_.copy(), gmm.covariances_.copy()
    stats = (w, w[:, None] * mu, w[:, None] * (var - 1e-4 + mu**2))
    for step, batch in enumerate((second, third)):
        x = np.concatenate(batch)
        gamma = fv.gmm_.predict_proba(x)
        new = (gamma.mean(axis=0), gamma.T @ x / len(x), gamma.T @ x**2 / len(x))
        eta = (step + 2.0) ** -0.6
        stats = tuple((1 - eta) * s + eta * b for s, b in zip(stats, new, strict=True))
        fv.partial_fit(batch)
        assert fv.n_partial_steps_ == step + 1
        means = stats[1] / stats[0][:, None]
        variances = stats[2] / stats[0][:, None] - means**2 + 1e-4
        np.testing.assert_allclose(fv.gmm_.weights_, stats[0] / stats[0].sum())
        np.testing.assert_allclose(fv.gmm_.means_, means)
        np.testing.assert_allclose(fv.gmm_.covariances_, variances)
        np.testing.assert_allclose(fv.gmm_.precisions_cholesky_, variances**-0.5)
    expected = np.stack([_perronnin(s, fv.gmm_, False, True, 0.5, "l2") for s in sets])
    np.testing.assert_allclose(fv.transform(sets), expected, rtol=1e-9, atol=1e-12)


def _spy_kernels(monkeypatch):
    """Record which Fisher kernel receives which kind of array."""
    from skmm.encode import _assign_xp, _fisher
    from skmm.utils._device import is_cupy_array

    calls = []
    cpu, device = _fisher._fisher_gradients, _assign_xp.fisher_vectors

    def cpu_spy(flat, *args):
        calls.append(("cpu", is_cupy_array(flat)))
        return cpu(flat, *args)

    def device_spy(X, *args, **kwargs):
        calls.append(("device", is_cupy_array(X)))
        return device(X, *args, **kwargs)

    monkeypatch.setattr(_fisher, "_fisher_gradients", cpu_spy)
    monkeypatch.setattr(_assign_xp, "fisher_vectors", device_spy)
    return calls


@pytest.mark.parametrize("params", NORMALISATIONS)
@pytest.mark.parametrize(
    "device, on_device, kernel",
    [
        ("cuda", True, ("device", True)),
        ("cuda", False, ("device", False)),
        ("cpu", True, ("cpu", False)),
        ("cpu", False, ("cpu", False)),
    ],
)
def test_device_dispatch(cupy, monkeypatch, params, device, on_device, kernel):
    from skmm.utils._device import is_cupy_array

    sets = _sets(9, n_samples=12)
    sets[3] = sets[3][:0]
    fv = FisherVector(
        n_components=3, include_weights=True, random_state=0, device=device, **params
    ).fit(sets)
    assert fv.device_ == device
    calls = _spy_kernels(monkeypatch)
    given = [cupy.asarray(s) for s in sets] if on_device else sets
    out = fv.transform(given)
    # CUDA takes the device kernel, CuPy sets reaching it where they are;
    # the CPU kernel sees host arrays only; the output follows the input.
    assert calls == [kernel]
    assert is_cupy_array(out) == on_device
    full = dict(power=0.5, norm="l2") | params
    expected = np.stack([_perronnin(s, fv.gmm_, True, **full) for s in sets])
    np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-9, atol=1e-12)
