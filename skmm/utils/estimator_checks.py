"""Common checks for skmm estimators, including those taking raw input.

scikit-learn's ``parametrize_with_checks`` runs no checks on an estimator whose
input is not a 2-D numeric array. These checks cover such estimators (text,
images, waveforms, descriptor sets): each makes suitable raw input for the
estimator's declared input kind (``get_skmm_tags(estimator).input_kind``,
see :mod:`skmm.base`).
"""

import copy
import pickle

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import (
    check_estimator_cloneable,
    check_estimator_repr,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
)

from skmm.base import SampleReader, get_skmm_tags

__all__ = [
    "check_estimator",
    "make_raw_input",
    "yield_checks",
]

_WORDS = (
    "alpha beta gamma delta epsilon zeta theta kappa lambda sigma omega "
    "river stone cloud light night music paper glass field ocean"
).split()


def _make_text(n_samples, rng):
    """Documents whose words depend on a binary label, plus the labels."""
    y = np.arange(n_samples) % 2
    documents = []
    for label in y:
        # Each class favours one half of the vocabulary.
        half = _WORDS[label::2]
        length = rng.integers(5, 15)
        words = [
            half[rng.integers(len(half))]
            if rng.random() < 0.8
            else _WORDS[rng.integers(len(_WORDS))]
            for _ in range(length)
        ]
        documents.append(" ".join(words))
    return documents, y


def _bad_text():
    """(input, expected error, message fragment) triples for text estimators."""
    return [
        (["a valid document here", 3.5, "another one"], TypeError, "sample 1"),
        (["a valid document here", None, "another one"], ValueError, "missing"),
        ("a single string", ValueError, "string"),
    ]


def _make_waveforms(n_samples, rng, sr=22050):
    """Short float32 clips whose pitch depends on a binary label."""
    y = np.arange(n_samples) % 2
    clips = []
    for label in y:
        n = int(rng.integers(sr // 8, sr // 3))
        t = np.arange(n) / sr
        pitch = (440.0 if label == 0 else 1760.0) * rng.uniform(0.95, 1.05)
        clip = 0.5 * np.sin(2 * np.pi * pitch * t) + 0.05 * rng.standard_normal(n)
        clips.append(clip.astype(np.float32))
    return clips, y


def _bad_waveforms():
    """Bad clips, each at position 1 among good ones."""
    good = np.zeros(4096, dtype=np.float32)
    cube = np.zeros((2, 2, 4096), dtype=np.float32)
    with_nan = good.copy()
    with_nan[100] = np.nan
    return [
        ([good, with_nan, good], ValueError, "sample 1"),
        ([good, np.float32(0.5), good], ValueError, "sample 1"),
        ([good, cube, good], ValueError, "sample 1"),
        ([good, np.zeros(0, dtype=np.float32), good], ValueError, "sample 1"),
        ([good, None, good], ValueError, "sample 1"),
    ]


def _make_descriptor_sets(n_samples, rng, n_features=6):
    """Sets of local descriptors whose distribution depends on a binary label."""
    from skmm.encode._pyramid import DescriptorSet

    y = np.arange(n_samples) % 2
    sets = []
    for label in y:
        n_local = int(rng.integers(5, 30))
        centre = np.where(np.arange(n_features) % 2 == label, 1.0, -1.0)
        sets.append(centre + rng.standard_normal((n_local, n_features)))
    # Every set says where its descriptors lie in a 32x32 image, for encoders
    # that pool by position (SpatialPyramid); the others read plain arrays.
    # The positions come from a generator of their own, so that the
    # descriptors are those drawn without them.
    where = np.random.default_rng(len(sets))
    return [
        DescriptorSet(s, where.uniform(0, 32, (len(s), 2)), (32, 32)) for s in sets
    ], y


def _bad_descriptor_sets():
    """Bad descriptor sets, each at position 1 among good ones."""
    good = np.zeros((5, 6))
    with_nan = good.copy()
    with_nan[2, 3] = np.nan
    return [
        ([good, with_nan, good], ValueError, "sample 1"),
        ([good, np.zeros((5, 4)), good], ValueError, "sample 1"),
        ([good, np.zeros(6), good], ValueError, "sample 1"),
        ([good, None, good], ValueError, "sample 1"),
    ]


def _make_images(n_samples, rng, size=32):
    """Float images in [0, 1] of horizontal (label 0) or vertical (label 1)
    stripes of random period and phase, plus noise."""
    y = np.arange(n_samples) % 2
    coordinates = np.arange(size)
    images = []
    for label in y:
        period = rng.uniform(4, 10)
        phase = rng.uniform(0, 2 * np.pi)
        wave = 0.5 + 0.4 * np.sin(2 * np.pi * coordinates / period + phase)
        stripes = wave[:, None] if label == 0 else wave[None, :]
        image = stripes + 0.05 * rng.standard_normal((size, size))
        images.append(np.clip(image, 0, 1))
    return images, y


def _bad_images():
    """Bad images, each at position 1 among good ones."""
    good = np.full((32, 32), 0.5)
    with_nan = good.copy()
    with_nan[3, 4] = np.nan
    return [
        ([good, with_nan, good], ValueError, "sample 1"),
        ([good, None, good], ValueError, "sample 1"),
        ([good, np.zeros((0, 0)), good], ValueError, "sample 1"),
        ([good, np.zeros(32), good], ValueError, "sample 1"),
        ([good, np.zeros((2, 32, 32, 3)), good], ValueError, "sample 1"),
    ]


def _make_videos(n_samples, rng, size=16, n_frames=24):
    """Videos (:class:`~skmm.video.VideoFrames` at 10 frames per second) of
    noisy frames of one colour (label 0) or two shots of two colours cut
    halfway (label 1)."""
    from skmm.video import VideoFrames

    y = np.arange(n_samples) % 2
    videos = []
    for label in y:
        colours = rng.integers(0, 256, (2, 3))
        if label == 0:
            colours[1] = colours[0]
        frames = []
        for i in range(n_frames):
            colour = colours[int(i >= n_frames // 2)]
            noise = rng.integers(-8, 9, (size, size, 3))
            frames.append(np.clip(colour + noise, 0, 255).astype(np.uint8))
        videos.append(VideoFrames(frames, times=np.arange(n_frames) / 10))
    return videos, y


def _bad_videos():
    """Bad videos, each at position 1 among good ones."""
    from skmm.video import VideoFrames

    frame = np.zeros((16, 16, 3), np.uint8)
    good = VideoFrames([frame] * 4, times=np.arange(4) / 10)
    with_nan = VideoFrames(
        [frame.astype(float)] * 3 + [np.full((16, 16, 3), np.nan)],
        times=np.arange(4) / 10,
    )
    return [
        ([good, None, good], ValueError, "sample 1"),
        ([good, VideoFrames([], times=[]), good], ValueError, "sample 1"),
        ([good, with_nan, good], ValueError, "sample 1"),
        ([good, np.zeros((4, 16, 16, 3)), good], TypeError, "sample 1"),
    ]


_INPUT_KINDS = {
    "video": (_make_videos, _bad_videos),
    "text": (_make_text, _bad_text),
    "waveform": (_make_waveforms, _bad_waveforms),
    "descriptor_set": (_make_descriptor_sets, _bad_descriptor_sets),
    "image": (_make_images, _bad_images),
}


def make_raw_input(kind, n_samples=40, random_state=0):
    """Make ``(X, y)`` of the given raw input kind.

    Parameters
    ----------
    kind : {"text", "waveform", "descriptor_set", "image", "video"}
        The kind of raw input: documents, float32 clips at 22,050 Hz, sets
        of local descriptors (one ``(n_local, 6)`` array per sample),
        32x32 float gray images, or videos of 24 RGB frames of 16x16
        (:class:`~skmm.video.VideoFrames`).
    n_samples : int, default=40
    random_state : int, default=0

    Returns
    -------
    X : list
        Raw samples.
    y : ndarray of shape (n_samples,)
        Binary labels the samples carry information about.
    """
    if kind not in _INPUT_KINDS:
        raise ValueError(f"Unknown input kind {kind!r}; known: {list(_INPUT_KINDS)}.")
    return _INPUT_KINDS[kind][0](n_samples, np.random.default_rng(random_state))


def _with_fixed_seed(estimator):
    estimator = clone(estimator)
    if "random_state" in estimator.get_params():
        estimator.set_params(random_state=0)
    return estimator


def _output(estimator, X):
    """The estimator's output on ``X``: a 2-D array, or a list of arrays for
    estimators that return one array per sample (readers, descriptor sets).
    """
    for method in ("transform", "predict_proba", "predict"):
        if hasattr(estimator, method):
            result = getattr(estimator, method)(X)
            if isinstance(result, list):
                return [None if r is None else np.asarray(r) for r in result]
            return (
                result.toarray() if hasattr(result, "toarray") else np.asarray(result)
            )
    raise TypeError(f"{type(estimator).__name__} has no transform or predict.")


def _assert_same_output(actual, expected, name):
    if isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), name
        for a, e in zip(actual, expected, strict=True):
            np.testing.assert_array_equal(a, e, err_msg=name)
            assert (a is None) == (e is None), name
            if e is not None:
                assert a.dtype == e.dtype, name
    else:
        np.testing.assert_array_equal(actual, expected, err_msg=name)


def _output_width(result):
    if isinstance(result, list):
        widths = {r.shape[1] for r in result if r is not None and r.ndim == 2}
        assert len(widths) <= 1, f"ragged descriptor widths {widths}"
        return widths.pop() if widths else None
    return result.shape[1]


def check_get_set_params_roundtrip(name, estimator, X, y):
    """Cloning keeps parameters; ``set_params(**get_params())`` is a no-op."""
    params = estimator.get_params(deep=False)
    cloned = clone(estimator)
    assert cloned.get_params(deep=False).keys() == params.keys(), name
    cloned.set_params(**params)
    for key, value in params.items():
        assert cloned.get_params(deep=False)[key] is value, (name, key)


def check_requires_fit_tag(name, estimator, X, y):
    """The ``requires_fit`` tag tells the truth.

    A stateless estimator (``requires_fit=False``) transforms unfitted,
    gives the same output as after ``fit``, and sets no attribute doing so;
    one that learns from data raises ``NotFittedError`` before ``fit``.
    """
    unfitted = clone(estimator)
    if get_tags(unfitted).requires_fit:
        try:
            _output(unfitted, X)
        except NotFittedError:
            return
        raise AssertionError(f"{name} did not raise NotFittedError before fit.")
    before = set(vars(unfitted))
    output = _output(unfitted, X)
    assert set(vars(unfitted)) == before, (
        f"{name}: an unfitted transform set {sorted(set(vars(unfitted)) - before)}"
    )
    fitted = _with_fixed_seed(estimator).fit(X, y)
    _assert_same_output(output, _output(fitted, X), name)


def check_pickle_identical_output(name, estimator, X, y):
    """A pickled and restored fitted estimator gives identical output."""
    fitted = _with_fixed_seed(estimator).fit(X, y)
    expected = _output(fitted, X)
    restored = pickle.loads(pickle.dumps(fitted))
    _assert_same_output(_output(restored, X), expected, name)


def check_fit_idempotent(name, estimator, X, y):
    """Two fits with a fixed random_state give identical output."""
    first = _output(_with_fixed_seed(estimator).fit(X, y), X)
    refit = _with_fixed_seed(estimator)
    refit.fit(X, y)
    second = _output(refit.fit(X, y), X)
    _assert_same_output(second, first, name)


def check_input_not_mutated(name, estimator, X, y):
    """Neither fit nor transform/predict changes its input."""
    X_before, y_before = copy.deepcopy(X), copy.deepcopy(y)
    fitted = _with_fixed_seed(estimator).fit(X, y)
    _output(fitted, X)
    assert _same_input(X, X_before), f"{name} changed its input."
    np.testing.assert_array_equal(y, y_before)


def _same_input(X, X_before):
    if isinstance(X, list):
        return len(X) == len(X_before) and all(
            _same_input(a, b) for a, b in zip(X, X_before, strict=True)
        )
    if isinstance(X, np.ndarray):
        return (
            isinstance(X_before, np.ndarray)
            and X.dtype == X_before.dtype
            and np.array_equal(X, X_before, equal_nan=X.dtype.kind in "fc")
        )
    return X == X_before


def check_feature_names_out_length(name, estimator, X, y):
    """``get_feature_names_out`` names every output column, uniquely.

    A reader's output is one raw sample per row (an image, a clip), named by
    the column it read: one name.
    """
    fitted = _with_fixed_seed(estimator).fit(X, y)
    if not hasattr(fitted, "get_feature_names_out"):
        return
    names = fitted.get_feature_names_out()
    if isinstance(fitted, SampleReader):
        assert len(names) == 1, (name, names)
        return
    width = _output_width(_output(fitted, X))
    if width is None:
        return
    assert len(names) == width, (name, len(names), width)
    assert len(set(names)) == len(names), f"{name}: duplicate feature names"


def check_bad_input_errors(name, estimator, X, y, bad_inputs):
    """Bad samples raise a typed error whose message names the problem."""
    fitted = _with_fixed_seed(estimator).fit(X, y)
    for bad, error, fragment in bad_inputs:
        try:
            _output(fitted, bad)
        except error as exc:
            assert fragment in str(exc), (name, fragment, str(exc))
        else:
            raise AssertionError(f"{name} accepted bad input {bad!r}.")


def check_empty_input(name, estimator, X, y):
    """No samples: a clear ``ValueError`` or an empty output of the right
    width, never an ``IndexError`` or a failed concatenation."""
    fitted = _with_fixed_seed(estimator).fit(X, y)
    try:
        result = _output(fitted, [])
    except ValueError as exc:
        message = str(exc)
        assert "concatenate" not in message and "index" not in message, (
            name,
            message,
        )
        return
    if isinstance(result, list):
        assert result == [], (name, result)
        return
    expected = _output_width(_output(fitted, X))
    assert result.shape == (0, expected), (name, result.shape, expected)


def yield_checks(estimator):
    """Yield ``check(name, estimator)`` callables for one estimator."""
    for check in (
        check_estimator_cloneable,
        check_estimator_repr,
        check_no_attributes_set_in_init,
        check_parameters_default_constructible,
    ):
        yield check
    kind = get_skmm_tags(estimator).input_kind
    if kind is None:
        return
    make, bad = _INPUT_KINDS[kind]
    X, y = make(40, np.random.default_rng(0))
    for check in (
        check_get_set_params_roundtrip,
        check_requires_fit_tag,
        check_pickle_identical_output,
        check_fit_idempotent,
        check_input_not_mutated,
        check_feature_names_out_length,
        check_empty_input,
    ):
        yield _bind(check, X, y)
    yield _bind(check_bad_input_errors, X, y, bad())


def _bind(check, *args):
    def bound(name, estimator):
        return check(name, estimator, *args)

    bound.__name__ = check.__name__
    return bound


def check_estimator(estimator):
    """Run every skmm check on ``estimator``; raise on the first failure."""
    name = type(estimator).__name__
    for check in yield_checks(estimator):
        check(name, clone(estimator))
