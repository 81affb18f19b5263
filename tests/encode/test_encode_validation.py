"""What every encoder refuses, and what it never returns: no samples, bad
sets in a 3-D batch, descriptors so large that encoding them would overflow."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from skmm.encode import VLAD, BagOfWords, FisherVector, StatsPooling
from skmm.utils._validation import _largest_encodable

ENCODERS = [
    BagOfWords(n_clusters=4, random_state=0),
    BagOfWords(n_clusters=4, assignment="soft", random_state=0),
    VLAD(n_clusters=4, random_state=0),
    VLAD(n_clusters=4, intra_norm=False, power=1.0, random_state=0),
    VLAD(n_clusters=4, intra_norm=False, power=1.0, norm="l1", random_state=0),
    FisherVector(n_components=3, include_weights=True, random_state=0),
    FisherVector(n_components=3, improved=False, random_state=0),
    StatsPooling(stats=("mean", "std", "var", "skew", "kurtosis", "max")),
]


def _sets(seed=0, n_samples=30, d=4, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [
        rng.normal(size=(int(rng.integers(5, 20)), d)).astype(dtype)
        for _ in range(n_samples)
    ]


@pytest.mark.parametrize("encoder", ENCODERS, ids=repr)
@pytest.mark.parametrize("empty", [[], (), np.zeros((0, 5, 4)), pd.Series([])])
def test_no_samples_is_an_error_in_fit_and_transform(encoder, empty):
    # One rule for every encoder, scikit-learn's: at least one sample.
    with pytest.raises(ValueError, match="0 descriptor sets.*minimum of 1"):
        clone(encoder).fit(empty)
    fitted = clone(encoder).fit(_sets())
    with pytest.raises(ValueError, match="0 descriptor sets.*minimum of 1"):
        fitted.transform(empty)


@pytest.mark.parametrize("encoder", ENCODERS, ids=repr)
def test_3d_batches_are_checked_set_by_set(encoder):
    rng = np.random.default_rng(1)
    cube = rng.normal(size=(12, 6, 4))
    fitted = clone(encoder).fit(cube)
    np.testing.assert_array_equal(fitted.transform(cube), fitted.transform(list(cube)))
    for value in (np.nan, np.inf, -np.inf):
        bad = cube.copy()
        bad[7, 2, 1] = value
        for method in (clone(encoder).fit, fitted.transform):
            with pytest.raises(ValueError, match="sample 7 contains NaN or infinity"):
                method(bad)
    with pytest.raises(ValueError, match="sample 0 has 5 features.*expected 4"):
        fitted.transform(rng.normal(size=(3, 6, 5)))
    with pytest.raises(TypeError, match="sample 0 has dtype complex"):
        fitted.transform(cube.astype(complex))
    huge = cube.copy()
    huge[9] *= 1e200
    with pytest.raises(ValueError, match="sample 9 holds values up to"):
        fitted.transform(huge)


@pytest.mark.parametrize("encoder", ENCODERS, ids=repr)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_overflowing_descriptors_are_named(encoder, dtype):
    sets = _sets(dtype=dtype)
    fitted = clone(encoder).fit(sets)
    scale = 1e200 if dtype == np.float64 else 1e30
    bad = list(sets)
    bad[3] = (sets[3] * scale).astype(dtype)
    with pytest.raises(ValueError, match="sample 3 holds values up to.*Rescale"):
        fitted.transform(bad)
    with pytest.raises(ValueError, match="sample 3 holds values up to.*Rescale"):
        clone(encoder).fit(bad)
    labelled = pd.Series(bad, index=np.arange(30) * 10)
    with pytest.raises(ValueError, match="index label 30"):
        fitted.transform(labelled)


def _near_limit(sets):
    """The sets scaled to 0.9 of the largest magnitude validation accepts,
    each by its own factor; returns the scaled sets and the factors."""
    factors = [
        0.9 * _largest_encodable(s.dtype, *s.shape) / np.abs(s).max() for s in sets
    ]
    return [(s * f).astype(s.dtype) for s, f in zip(sets, factors, strict=True)], (
        factors
    )


@pytest.mark.parametrize("encoder", ENCODERS, ids=repr)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_accepted_descriptors_give_finite_codes(encoder, dtype):
    big, _ = _near_limit(_sets(dtype=dtype))
    for fitted_on in (_sets(dtype=dtype), big):
        codes = clone(encoder).fit(fitted_on).transform(big)
        assert np.all(np.isfinite(codes))
        assert np.all(np.abs(codes).sum(axis=1) > 0)


def test_large_descriptors_encode_as_rescaled_ones():
    # VLAD and Fisher vectors are invariant to one scale of descriptors and
    # model together; their norms must not overflow to zero codes on the way.
    sets = _sets()
    _, factors = _near_limit(sets)
    scale = min(factors)
    big = [s * scale for s in sets]
    for params in (
        dict(),
        dict(intra_norm=False, power=1.0),
        dict(intra_norm=False, power=1.0, norm="l1"),
    ):
        vlad = VLAD(n_clusters=4, random_state=0, **params).fit(sets)
        expected = vlad.transform(sets)
        vlad.codebook_ = vlad.codebook_ * scale
        np.testing.assert_allclose(vlad.transform(big), expected, atol=1e-12)
    for params in (dict(), dict(improved=False), dict(power=1.0, norm="l1")):
        fv = FisherVector(
            n_components=3, include_weights=True, random_state=0, **params
        ).fit(sets)
        expected = fv.transform(sets)
        fv.gmm_.means_ = fv.gmm_.means_ * scale
        fv.gmm_.covariances_ = fv.gmm_.covariances_ * scale**2
        np.testing.assert_allclose(fv.transform(big), expected, atol=1e-10)


@pytest.mark.parametrize(
    "encoder",
    [
        FisherVector(n_components=3, random_state=0),
        BagOfWords(n_clusters=4, assignment="soft", bandwidth=1e-100, norm=None),
    ],
    ids=repr,
)
def test_overflow_against_the_model_names_the_sample(encoder):
    # Accepted descriptors can still overflow against a model of a much
    # smaller scale: a clear error, never NaN or infinity in the output.
    sets = _sets()
    fitted = clone(encoder).fit(sets)
    if isinstance(fitted, FisherVector):
        fitted.gmm_.covariances_ = fitted.gmm_.covariances_ * 1e-300
    big, _ = _near_limit(sets)
    bad = sets[:4] + big[4:5] + sets[5:]
    with pytest.raises(ValueError, match="overflowed encoding descriptor set sample 4"):
        fitted.transform(bad)
