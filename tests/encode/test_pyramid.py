"""SpatialPyramid and DescriptorSet: cells found by position, encoded by any
encoder, weighted as Lazebnik et al.; plain sets keep working everywhere."""

import pickle

import numpy as np
import pytest
from skimage import data
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from skmm.encode import (
    VLAD,
    BagOfWords,
    DescriptorSet,
    FisherVector,
    SpatialPyramid,
    StatsPooling,
)
from skmm.image import DAISY, SIFT, DenseSIFT
from skmm.utils.estimator_checks import make_raw_input

ENCODERS = [
    BagOfWords(n_clusters=5, random_state=0, norm=None, max_iter=10),
    BagOfWords(n_clusters=5, random_state=0, max_iter=10),
    VLAD(n_clusters=3, random_state=0, max_iter=10),
    FisherVector(n_components=2, random_state=0, max_iter=10),
    StatsPooling(stats=("mean", "max")),
]


def located_sets(n_samples=12, seed=0, width=4, empty=(3,)):
    rng = np.random.default_rng(seed)
    sets = []
    for i in range(n_samples):
        n_local = 0 if i in empty else int(rng.integers(1, 40))
        height, image_width = int(rng.integers(20, 60)), int(rng.integers(20, 60))
        xy = np.column_stack(
            [rng.uniform(0, image_width, n_local), rng.uniform(0, height, n_local)]
        )
        descriptors = rng.normal(size=(n_local, width)) + xy[:, :1] / 10
        sets.append(DescriptorSet(descriptors, xy, (height, image_width)))
    return sets


def reference_pyramid(encoder, sets, levels, weights, norm):
    """The pyramid by masks over the image, cell by cell, sample by sample."""
    width = encoder.transform(sets[:1]).shape[1]
    rows = []
    for s in sets:
        height, image_width = s.image_shape
        x, y = s.positions[:, 0], s.positions[:, 1]
        blocks = []
        for g, weight in zip(levels, weights, strict=True):
            for i in range(g):
                for j in range(g):
                    inside = (
                        (y >= i * height / g)
                        & ((y < (i + 1) * height / g) | (i == g - 1))
                        & (x >= j * image_width / g)
                        & ((x < (j + 1) * image_width / g) | (j == g - 1))
                    )
                    cell = np.asarray(s)[inside]
                    code = (
                        encoder.transform([cell])[0] if len(cell) else np.zeros(width)
                    )
                    blocks.append(weight * code)
        row = np.concatenate(blocks)
        if norm == "l2":
            row = row / (np.linalg.norm(row) or 1)
        elif norm == "l1":
            row = row / (np.abs(row).sum() or 1)
        rows.append(row)
    return np.array(rows)


@pytest.mark.parametrize("encoder", ENCODERS, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize(
    "levels, weighting, weights, norm",
    [
        ((1, 2, 4), "lazebnik", (0.25, 0.25, 0.5), "l2"),
        ((1, 3), "lazebnik", (0.5, 0.5), None),
        ((2, 1), "uniform", (1, 1), "l1"),
    ],
)
def test_matches_cell_by_cell_reference(encoder, levels, weighting, weights, norm):
    sets = located_sets()
    if isinstance(encoder, StatsPooling):
        sets = [s for s in sets if len(s)]
    pyramid = SpatialPyramid(encoder, levels=levels, weighting=weighting, norm=norm)
    out = pyramid.fit(sets).transform(sets)
    expected = reference_pyramid(pyramid.encoder_, sets, levels, weights, norm)
    assert out.shape == (len(sets), pyramid.n_features_out_)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(pyramid.level_weights_, weights)


def test_one_level_is_the_encoder():
    sets = located_sets()
    vlad = VLAD(n_clusters=3, random_state=0)
    pyramid = SpatialPyramid(vlad, levels=(1,)).fit(sets)
    np.testing.assert_allclose(
        pyramid.transform(sets), clone(vlad).fit(sets).transform(sets), atol=1e-12
    )


def test_descriptor_set_is_a_plain_set_to_the_encoders():
    located = located_sets(empty=())
    plain = [np.asarray(s) for s in located]
    assert all(type(p) is np.ndarray for p in plain)
    for encoder in ENCODERS[1:]:
        a = clone(encoder).fit(located).transform(located)
        b = clone(encoder).fit(plain).transform(plain)
        np.testing.assert_array_equal(a, b)


def test_descriptor_set_pickles_and_derived_arrays_drop_positions():
    s = located_sets(empty=())[0]
    restored = pickle.loads(pickle.dumps(s))
    np.testing.assert_array_equal(restored.positions, s.positions)
    assert restored.image_shape == s.image_shape
    assert s[:2].positions is None  # rows no longer match
    assert type(s * 2) is np.ndarray
    with pytest.raises(ValueError, match="positions must have shape"):
        DescriptorSet(np.zeros((3, 2)), np.zeros((2, 2)), (5, 5))
    with pytest.raises(ValueError, match="image_shape"):
        DescriptorSet(np.zeros((1, 2)), np.zeros((1, 2)), (0, 5))


def test_sets_without_positions_or_bad_sets_name_the_sample():
    sets = located_sets(empty=())
    pyramid = SpatialPyramid(BagOfWords(n_clusters=3, random_state=0)).fit(sets)
    plain = [*sets[:2], np.asarray(sets[2]), *sets[3:]]
    with pytest.raises(ValueError, match="sample 2 carries no positions"):
        pyramid.transform(plain)
    with pytest.raises(ValueError, match="sample 2 carries no positions"):
        clone(pyramid).fit(plain)
    bad = np.asarray(sets[1]).copy()
    bad[0, 0] = np.nan
    sets[1] = DescriptorSet(bad, sets[1].positions, sets[1].image_shape)
    with pytest.raises(ValueError, match="sample 1"):
        pyramid.transform(sets)
    with pytest.raises(ValueError, match="levels"):
        SpatialPyramid(BagOfWords(), levels=(1, 0)).fit(located_sets())


def test_feature_names():
    sets = located_sets()
    pyramid = SpatialPyramid(BagOfWords(n_clusters=2, random_state=0), levels=(1, 2))
    names = pyramid.fit(sets).get_feature_names_out()
    assert len(names) == pyramid.n_features_out_ == 10
    assert list(names[:3]) == [
        "1x1_0_0_bagofwords0",
        "1x1_0_0_bagofwords1",
        "2x2_0_0_bagofwords0",
    ]
    assert names[-1] == "2x2_1_1_bagofwords1"


def test_pipeline_carries_positions_from_the_extractor():
    """DAISY(positions=True) -> SpatialPyramid -> classifier, fitted,
    scored and pickled as one Pipeline; class 1 has its stripes turned in
    the lower half of the image."""
    X, y = make_raw_input("image", n_samples=30)
    halves = [
        np.vstack([x[:16], x.T[16:]]) if label else x
        for x, label in zip(X, y, strict=True)
    ]
    model = make_pipeline(
        DAISY(radius=5, step=3, rings=2, histograms=4, positions=True),
        SpatialPyramid(VLAD(n_clusters=4, random_state=0), levels=(1, 2)),
        LinearSVC(),
    )
    model.fit(halves[:20], y[:20])
    assert model.score(halves[20:], y[20:]) >= 0.8
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(halves), model.predict(halves))


def test_sift_and_dense_sift_give_positions():
    images = [data.camera()[:200, :150], data.coins()[:120]]
    dsift = DenseSIFT(step=16, size=8)
    located = clone(dsift).set_params(positions=True).fit_transform(images)
    plain_sets = dsift.fit_transform(images)
    for s, plain, image in zip(located, plain_sets, images, strict=True):
        np.testing.assert_array_equal(np.asarray(s), plain)
        np.testing.assert_array_equal(s.positions, dsift.grid(*image.shape)[:, :2])
        assert s.image_shape == image.shape
    sift = SIFT(n_features=40)
    descriptors, keypoints = sift.fit(images).transform_with_keypoints(images)
    located = SIFT(n_features=40, positions=True).fit_transform(images)
    for s, d, k in zip(located, descriptors, keypoints, strict=True):
        np.testing.assert_array_equal(np.asarray(s), d)
        np.testing.assert_array_equal(s.positions, k[:, :2])
    pyramid = SpatialPyramid(BagOfWords(n_clusters=3, random_state=0))
    out = pyramid.fit_transform(located)
    assert out.shape == (2, 63) and np.isfinite(out).all()
