"""Codebooks learned incrementally from streamed batches of descriptor sets."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.cluster import MiniBatchKMeans

from skmm.encode import VLAD, BagOfWords, FisherVector


def _sets(n_samples, d=5, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(6, d))
    return [
        centres[rng.integers(6, size=int(rng.integers(8, 20)))]
        + rng.normal(size=(1, d))
        + rng.normal(scale=0.5, size=(1, d))
        for _ in range(n_samples)
    ]


def _encoder(kind, **params):
    if kind == "bow":
        return BagOfWords(n_clusters=6, max_descriptors=None, **params)
    return VLAD(n_clusters=6, max_descriptors=None, **params)


def _reference_kmeans(chunks, seed, batch_size=1024):
    # The encoders seed MiniBatchKMeans from their own random_state.
    inner_seed = np.random.RandomState(seed).randint(np.iinfo(np.int32).max)
    kmeans = MiniBatchKMeans(
        n_clusters=6, batch_size=batch_size, n_init="auto", random_state=inner_seed
    )
    for chunk in chunks:
        kmeans.partial_fit(np.concatenate(chunk))
    return kmeans


@pytest.mark.parametrize("kind", ["bow", "vlad"])
def test_streamed_codebook_equals_minibatch_kmeans_partial_fit(kind):
    sets = _sets(60)
    chunks = [sets[start : start + 15] for start in range(0, 60, 15)]
    encoder = _encoder(kind, random_state=3)
    for chunk in chunks:
        assert encoder.partial_fit(chunk) is encoder
    reference = _reference_kmeans(chunks, 3)
    np.testing.assert_array_equal(encoder.codebook_, reference.cluster_centers_)
    assert encoder.kmeans_.n_steps_ == len(chunks)


@pytest.mark.parametrize("kind", ["bow", "vlad"])
def test_transform_after_partial_fit(kind):
    sets = _sets(60)
    encoder = _encoder(kind, random_state=0)
    for start in range(0, 60, 20):
        encoder.partial_fit(sets[start : start + 20])
    codes = encoder.transform(sets)
    width = 6 if kind == "bow" else 6 * 5
    assert codes.shape == (60, width) == (60, encoder.n_features_out_)
    assert np.all(np.isfinite(codes))
    assert len(encoder.get_feature_names_out()) == width
    # The streamed codebook is a usable one: every codeword is used.
    labels = encoder.kmeans_.predict(np.concatenate(sets))
    assert np.unique(labels).size == 6


@pytest.mark.parametrize("kind", ["bow", "vlad"])
def test_partial_fit_is_reproducible_and_clone_starts_over(kind):
    sets = _sets(40)
    first = _encoder(kind, random_state=1)
    for start in range(0, 40, 10):
        first.partial_fit(sets[start : start + 10])
    second = clone(first)
    for start in range(0, 40, 10):
        second.partial_fit(sets[start : start + 10])
    np.testing.assert_array_equal(first.codebook_, second.codebook_)
    np.testing.assert_array_equal(first.transform(sets), second.transform(sets))


@pytest.mark.parametrize("kind", ["bow", "vlad"])
def test_partial_fit_after_fit_refines_the_fitted_codebook(kind):
    sets = _sets(40)
    encoder = _encoder(kind, random_state=0).fit(sets[:20])
    fitted = encoder.codebook_.copy()
    encoder.partial_fit(sets[20:])
    assert encoder.kmeans_.n_steps_ > 0
    assert encoder.codebook_.shape == fitted.shape
    assert not np.array_equal(encoder.codebook_, fitted)


@pytest.mark.parametrize("kind", ["bow", "vlad"])
def test_partial_fit_errors(kind):
    sets = _sets(10)
    with pytest.raises(ValueError, match="n_clusters=6"):
        _encoder(kind).partial_fit([sets[0][:3]])
    encoder = _encoder(kind, random_state=0).partial_fit(sets)
    with pytest.raises(ValueError, match="4"):
        encoder.partial_fit([np.zeros((10, 4))])


# FisherVector: stepwise (online) EM on streamed batches.

_TRUE_MEANS = np.array([[0.0, 0.0], [5.0, 5.0], [-5.0, 5.0]])


def _mixture_sets(seed, n_sets=40, per_set=50):
    """Descriptor sets drawn from a known 3-component diagonal mixture."""
    rng = np.random.default_rng(seed)
    sets = []
    for _ in range(n_sets):
        component = rng.integers(0, 3, per_set)
        noise = rng.normal(size=(per_set, 2)) * np.array([1.0, 0.5])
        sets.append(_TRUE_MEANS[component] + noise)
    return sets


def test_fisher_first_partial_fit_equals_fit():
    sets = _mixture_sets(0)
    fitted = FisherVector(n_components=3, random_state=0).fit(sets)
    streamed = FisherVector(n_components=3, random_state=0).partial_fit(sets)
    for name in ("weights_", "means_", "covariances_"):
        np.testing.assert_array_equal(
            getattr(streamed.gmm_, name), getattr(fitted.gmm_, name)
        )
    assert streamed.n_partial_steps_ == 0
    np.testing.assert_array_equal(streamed.transform(sets), fitted.transform(sets))


def test_fisher_streamed_mixture_matches_batch_fit():
    held_out = np.vstack(_mixture_sets(999))
    batch = FisherVector(n_components=3, random_state=0).fit(_mixture_sets(0))
    streamed = FisherVector(n_components=3, random_state=0)
    for seed in range(20):
        streamed.partial_fit(_mixture_sets(seed))
    assert streamed.n_partial_steps_ == 19
    gmm = streamed.gmm_
    assert gmm.score(held_out) == pytest.approx(batch.gmm_.score(held_out), rel=0.01)
    order = np.lexsort(gmm.means_.T[::-1])
    expected = _TRUE_MEANS[np.lexsort(_TRUE_MEANS.T[::-1])]
    np.testing.assert_allclose(gmm.means_[order], expected, atol=0.15)
    np.testing.assert_allclose(gmm.weights_, 1 / 3, atol=0.05)
    np.testing.assert_allclose(
        gmm.covariances_[order], np.tile([1.0, 0.25], (3, 1)), rtol=0.15
    )
    np.testing.assert_allclose(gmm.precisions_cholesky_, 1 / np.sqrt(gmm.covariances_))
    codes = streamed.transform(_mixture_sets(5))
    assert codes.shape == (40, streamed.n_features_out_)
    assert np.all(np.isfinite(codes))


def test_fisher_partial_fit_is_reproducible_and_continues_after_fit():
    def stream():
        encoder = FisherVector(n_components=3, random_state=0, max_descriptors=500)
        for seed in range(4):
            encoder.partial_fit(_mixture_sets(seed))
        return encoder

    a, b = stream(), stream()
    np.testing.assert_array_equal(a.gmm_.means_, b.gmm_.means_)
    fitted = FisherVector(n_components=3, random_state=0).fit(_mixture_sets(0))
    before = fitted.gmm_.means_.copy()
    fitted.partial_fit(_mixture_sets(1))
    assert fitted.n_partial_steps_ == 1
    assert not np.array_equal(fitted.gmm_.means_, before)
    np.testing.assert_allclose(fitted.gmm_.weights_.sum(), 1.0)
    # fit starts over: the stream's state is dropped.
    fitted.fit(_mixture_sets(0))
    assert not hasattr(fitted, "n_partial_steps_")
    np.testing.assert_array_equal(fitted.gmm_.means_, before)


def test_fisher_partial_fit_errors():
    encoder = FisherVector(n_components=3, random_state=0)
    with pytest.raises(ValueError, match="n_components"):
        encoder.partial_fit([np.zeros((2, 2))])
    encoder = FisherVector(n_components=3, random_state=0).partial_fit(_mixture_sets(0))
    with pytest.raises(ValueError, match="feature"):
        encoder.partial_fit([np.zeros((10, 3))])
