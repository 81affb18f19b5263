import numpy as np
import pytest
from scipy.signal import welch
from sklearn.datasets import load_digits
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmm.datasets import make_multimodal_digits
from skmm.datasets._embedded import CUE_WORDS, DEFAULT_DIFFICULTY, DTMF_FREQUENCIES

MODALITIES = ["text", "image", "audio"]


@pytest.fixture(scope="module")
def digits():
    return make_multimodal_digits(random_state=0)


def _assert_same(first, second):
    assert np.array_equal(first.target, second.target)
    assert list(first.data["text"]) == list(second.data["text"])
    for modality in ["image", "audio"]:
        for a, b in zip(first.data[modality], second.data[modality], strict=True):
            np.testing.assert_array_equal(a, b)


def test_shapes_and_dtypes(digits):
    assert digits.data.shape == (1797, 3)
    assert list(digits.data.columns) == MODALITIES
    assert list(digits.frame.columns) == [*MODALITIES, "target"]
    assert digits.target.dtype.kind == "i"
    assert np.array_equal(digits.target, load_digits().target)
    assert list(digits.target_names) == [str(digit) for digit in range(10)]
    assert digits.sample_rate == 8000
    assert digits.difficulty == DEFAULT_DIFFICULTY
    assert all(isinstance(text, str) for text in digits.data["text"])
    for image in digits.data["image"]:
        assert image.shape == (8, 8) and image.dtype == np.float64
        assert 0 <= image.min() and image.max() <= 16
    for clip in digits.data["audio"]:
        assert clip.dtype == np.float32 and clip.ndim == 1
        assert 800 <= len(clip) <= 3200
        assert np.abs(clip).max() <= 1.0
    assert not digits.missing.to_numpy().any()
    assert "synthetic" in digits.DESCR and "lee_background.cor" in digits.DESCR


def test_reproducible():
    first = make_multimodal_digits(200, missing_rate=0.2, random_state=3)
    second = make_multimodal_digits(200, missing_rate=0.2, random_state=3)
    other = make_multimodal_digits(200, missing_rate=0.2, random_state=4)
    _assert_same(first, second)
    assert first.missing.equals(second.missing)
    assert list(first.data["text"]) != list(other.data["text"])
    from_instance = make_multimodal_digits(
        200, missing_rate=0.2, random_state=np.random.RandomState(3)
    )
    _assert_same(first, from_instance)


def test_difficulty_of_one_modality_leaves_others_unchanged():
    easy = make_multimodal_digits(100, difficulty=0.2)
    hard_image = make_multimodal_digits(
        100, difficulty={"image": 0.9, "text": 0.2, "audio": 0.2}
    )
    assert list(easy.data["text"]) == list(hard_image.data["text"])
    np.testing.assert_array_equal(easy.data["audio"][0], hard_image.data["audio"][0])
    assert not np.array_equal(easy.data["image"][0], hard_image.data["image"][0])


def test_n_samples_subset_is_balanced():
    subset = make_multimodal_digits(105)
    assert subset.data.shape == (105, 3)
    counts = np.bincount(subset.target, minlength=10)
    assert counts.max() - counts.min() <= 1
    assert np.array_equal(load_digits().target[subset.digits_index], subset.target)
    assert len(np.unique(subset.digits_index)) == 105


@pytest.mark.parametrize("n_samples", [0, 1798, -5])
def test_n_samples_out_of_range(n_samples):
    with pytest.raises(ValueError, match="n_samples must be in 1..1797"):
        make_multimodal_digits(n_samples)


def test_n_samples_wrong_type():
    with pytest.raises(TypeError, match="n_samples"):
        make_multimodal_digits(10.5)


def test_clean_modalities():
    clean = make_multimodal_digits(50, difficulty=0.0)
    images = load_digits().images[clean.digits_index]
    for image, expected in zip(clean.data["image"], images, strict=True):
        np.testing.assert_array_equal(image, expected)
    # Every clean text holds two cue words of its class and no other cue.
    for text, label in zip(clean.data["text"], clean.target, strict=True):
        words = text.split()
        own = [word for word in words if word in CUE_WORDS[label]]
        others = [
            word
            for other, cues in CUE_WORDS.items()
            if other != label
            for word in words
            if word in cues
        ]
        assert len(own) == 2 and not others, text
    # A clean tone has its energy at the two DTMF frequencies of its digit.
    for clip, label in zip(clean.data["audio"][:10], clean.target[:10], strict=True):
        frequencies, power = welch(clip, fs=8000, nperseg=256)
        peaks = frequencies[np.argsort(power)[-2:]]
        expected = np.array(DTMF_FREQUENCIES[label])
        assert np.all(np.abs(np.sort(peaks) - expected) <= 8000 / 256)


def test_hardest_text_has_no_true_cue():
    hard = make_multimodal_digits(200, difficulty={"text": 1.0})
    for text, label in zip(hard.data["text"], hard.target, strict=True):
        assert not set(text.split()) & set(CUE_WORDS[label]), text


def test_difficulty_float_applies_to_all():
    assert make_multimodal_digits(5, difficulty=0.3).difficulty == dict.fromkeys(
        ["text", "image", "audio"], 0.3
    )
    partial = make_multimodal_digits(5, difficulty={"audio": 0.1}).difficulty
    assert partial == {**DEFAULT_DIFFICULTY, "audio": 0.1}


@pytest.mark.parametrize(
    "difficulty, message",
    [
        ({"video": 0.5}, "unknown key.*video"),
        ({"image": 1.5}, r"difficulty\['image'\] must be in \[0, 1\], got 1.5"),
        (-0.1, r"must be in \[0, 1\], got -0.1"),
    ],
)
def test_difficulty_validation(difficulty, message):
    with pytest.raises(ValueError, match=message):
        make_multimodal_digits(5, difficulty=difficulty)


def test_difficulty_wrong_type():
    with pytest.raises(TypeError, match="must be a real number"):
        make_multimodal_digits(5, difficulty="hard")


def test_missing_rate():
    digits = make_multimodal_digits(missing_rate=0.4, random_state=1)
    missing = digits.missing.to_numpy()
    # The all-missing rows given one modality back lower the rate by
    # 0.4**3 / 3 per cell, about 0.02.
    assert 0.35 < missing.mean() < 0.41
    assert not missing.all(axis=1).any()
    assert list(digits.missing.columns) == MODALITIES
    for modality in MODALITIES:
        is_none = digits.data[modality].isna().to_numpy()
        assert np.array_equal(is_none, digits.missing[modality].to_numpy())


def test_missing_rate_per_modality():
    digits = make_multimodal_digits(300, missing_rate={"audio": 0.5})
    assert digits.missing_rate == {"text": 0.0, "image": 0.0, "audio": 0.5}
    assert not digits.missing[["text", "image"]].to_numpy().any()
    assert 0.4 < digits.missing["audio"].mean() < 0.6


@pytest.mark.parametrize("missing_rate", [1.0, {"text": -0.2}, {"sound": 0.1}])
def test_missing_rate_validation(missing_rate):
    with pytest.raises(ValueError, match="missing_rate"):
        make_multimodal_digits(5, missing_rate=missing_rate)


def _log_spectra(clips):
    return np.array([np.log(welch(clip, fs=8000, nperseg=256)[1]) for clip in clips])


def _cv_accuracy(modality, difficulty):
    digits = make_multimodal_digits(500, difficulty=difficulty, random_state=0)
    column = digits.data[modality]
    if modality == "text":
        model = make_pipeline(TfidfVectorizer(), MultinomialNB())
        features = list(column)
    else:
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        if modality == "image":
            features = np.array([image.ravel() for image in column])
        else:
            features = _log_spectra(column)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    return cross_val_score(model, features, digits.target, cv=cv).mean()


@pytest.mark.parametrize("modality", MODALITIES)
def test_higher_difficulty_lowers_accuracy(modality):
    easy = _cv_accuracy(modality, {modality: 0.1})
    default = _cv_accuracy(modality, {})
    hard = _cv_accuracy(modality, {modality: 0.9})
    assert easy > default > hard
    assert easy - hard > 0.3
    # With the defaults, one modality alone is useful but clearly imperfect.
    assert 0.6 < default < 0.95
