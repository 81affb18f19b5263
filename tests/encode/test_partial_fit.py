"""Codebooks learned incrementally from streamed batches of descriptor sets."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.cluster import MiniBatchKMeans

from skmm.encode import VLAD, BagOfWords


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
        return BagOfWords(n_words=6, max_descriptors=None, **params)
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
    name = "n_words" if kind == "bow" else "n_clusters"
    with pytest.raises(ValueError, match=f"{name}=6"):
        _encoder(kind).partial_fit([sets[0][:3]])
    encoder = _encoder(kind, random_state=0).partial_fit(sets)
    with pytest.raises(ValueError, match="4"):
        encoder.partial_fit([np.zeros((10, 4))])
