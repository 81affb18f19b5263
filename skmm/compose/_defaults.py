"""The default modality pipelines of :class:`MultimodalClassifier`."""

from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

__all__ = ["make_default_pipeline"]

#: The kinds with a default pipeline.
DEFAULT_KINDS = ("text", "image", "audio", "video", "video_sound", "tabular")
# Sample rate and MFCC settings of the audio default: speech-band features
# (FSDD, sound effects) at 16 kHz, 20 coefficients of 40 mel bands and their
# deltas, pooled by mean and standard deviation over the clip.
_AUDIO_SR = 16000
# Images are read as gray, fitted into 64x64 keeping their aspect (padded
# with black); HOG of 8x8 cells and 2x2 blocks gives 1,764 features.
_IMAGE_SIZE = (64, 64)


def _text_features():
    # Clip-art titles and captions are short: words and their bigrams,
    # sublinear term frequencies.
    return TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=1)


def _image_features(multi):
    from skmm.image import HOG, ImageReader

    steps = [
        (
            "read",
            ImageReader(
                color="gray", size=_IMAGE_SIZE, keep_aspect=True, on_error="missing"
            ),
        ),
        ("hog", HOG(pixels_per_cell=(8, 8), cells_per_block=(2, 2))),
    ]
    return _per_item(steps, multi) + [("scale", StandardScaler())]


# Videos: 8 frames spread over the duration, RGB, fitted into 64x64; each
# frame's HOG (colour gradients) and HSV histogram, averaged over frames.
_VIDEO_FRAMES = 8


def _video_features(multi):
    from sklearn.pipeline import FeatureUnion

    from skmm.compose import PerItem
    from skmm.image import HOG, ColorHistogram
    from skmm.video import VideoReader

    frame_features = FeatureUnion(
        [
            ("hog", HOG(pixels_per_cell=(8, 8), cells_per_block=(2, 2))),
            ("color", ColorHistogram(color_space="hsv", hist_size=(8, 3, 3))),
        ]
    )
    steps = [
        (
            "read",
            VideoReader(
                max_frames=_VIDEO_FRAMES,
                size=_IMAGE_SIZE,
                keep_aspect=True,
                on_error="missing",
            ),
        ),
        ("frames", PerItem(frame_features, pooling="mean")),
    ]
    return _per_item(steps, multi) + [("scale", StandardScaler())]


def _mfcc():
    from skmm.audio import MFCC

    return MFCC(
        sr=_AUDIO_SR,
        n_mfcc=20,
        n_fft=512,
        hop_length=160,
        n_mels=40,
        deltas=1,
        # Nearest-frame padding gives deltas of clips of any number
        # of frames (a 0.1 s clip has 11); librosa's "interp" needs
        # at least 9 frames and would fail on short sounds.
        delta_mode="nearest",
        pooling=("mean", "std"),
    )


def _video_sound_features(multi):
    from skmm.video import VideoReader

    steps = [
        ("read", VideoReader(audio="only", sr=_AUDIO_SR, on_error="missing")),
        ("mfcc", _mfcc()),
    ]
    return _per_item(steps, multi) + [("scale", StandardScaler())]


def _audio_features(multi):
    from skmm.audio import AudioReader

    steps = [
        ("read", AudioReader(sr=_AUDIO_SR, on_error="missing")),
        ("mfcc", _mfcc()),
    ]
    return _per_item(steps, multi) + [("scale", StandardScaler())]


def _per_item(steps, multi):
    """``steps``, or one :class:`~skmm.compose.PerItem` step over them that
    pools a list cell's items by their mean."""
    if not multi:
        return steps
    from skmm.compose import PerItem

    return [("items", PerItem(Pipeline(steps), pooling="mean"))]


def _tabular_features(numeric, categorical):
    """scikit-learn's preprocessing of numeric and categorical columns, as
    ``ColumnTransformer`` users write it: median imputation (with a missing
    indicator) and scaling; one-hot encoding that ignores new categories."""
    parts = []
    if numeric:
        parts.append(
            (
                "numeric",
                make_pipeline(
                    SimpleImputer(strategy="median", add_indicator=True),
                    StandardScaler(),
                ),
                list(numeric),
            )
        )
    if categorical:
        parts.append(
            (
                "categorical",
                OneHotEncoder(handle_unknown="ignore", min_frequency=2),
                list(categorical),
            )
        )
    return ColumnTransformer(parts)


def _final(kind, task):
    if task == "regression":
        return RidgeCV(alphas=(0.1, 1.0, 10.0, 100.0))
    # Text features are sparse and separable: a weak penalty. Dense image
    # and audio features: a stronger one, as chosen on the clip-art set.
    C = {
        "text": 10.0,
        "image": 0.01,
        "audio": 0.1,
        "video": 0.01,
        "video_sound": 0.1,
    }.get(kind, 1.0)
    return LogisticRegression(C=C, max_iter=1000)


def make_default_pipeline(
    kind, *, multi=False, task="classification", columns=None, features_only=False
):
    """The pipeline :class:`MultimodalClassifier` builds for a column kind.

    Parameters
    ----------
    kind : {"text", "image", "audio", "video", "video_sound", "tabular"}
        The modality: a column of documents, of images (paths or arrays),
        of audio (paths or waveforms), of videos (their frames; or
        "video_sound", their sound tracks), or numeric and categorical
        columns together.
    multi : bool, default=False
        Whether cells hold lists of items: the items' features are then
        averaged (:class:`~skmm.compose.PerItem`).
    task : {"classification", "regression"}, default="classification"
        Ends the pipeline with ``LogisticRegression`` or ``RidgeCV``.
    columns : dict or None, default=None
        For ``kind="tabular"``: ``{"numeric": [...], "categorical": [...]}``,
        the column names of each type.
    features_only : bool, default=False
        Leave out the final estimator (for early fusion).

    Returns
    -------
    pipeline : Pipeline
        - text: ``TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2))``,
          ``LogisticRegression(C=10)``;
        - image: ``ImageReader(color="gray", size=(64, 64),
          keep_aspect=True, on_error="missing")``, ``HOG(pixels_per_cell=(8,
          8), cells_per_block=(2, 2))``, ``StandardScaler``,
          ``LogisticRegression(C=0.01)``;
        - audio: ``AudioReader(sr=16000, on_error="missing")``, ``MFCC`` (20
          coefficients of 40 mel bands, ``n_fft=512``, ``hop_length=160``,
          first-order deltas with ``delta_mode="nearest"`` so that clips
          of a few frames work, mean and standard deviation over the clip),
          ``StandardScaler``, ``LogisticRegression(C=0.1)``;
        - video: ``VideoReader(max_frames=8, size=(64, 64),
          keep_aspect=True, on_error="missing")`` (RGB frames spread over
          the duration), ``PerItem`` of the union of ``HOG`` and an HSV
          ``ColorHistogram`` (8x3x3 bins) of each frame, averaged over the
          frames, ``StandardScaler``, ``LogisticRegression(C=0.01)``;
        - video_sound: ``VideoReader(audio="only", sr=16000,
          on_error="missing")`` and the audio default's ``MFCC``,
          ``StandardScaler``, ``LogisticRegression(C=0.1)``;
        - tabular: a ``ColumnTransformer`` of median imputation (with
          missing indicators) and scaling for numeric columns, and
          ``OneHotEncoder(handle_unknown="ignore", min_frequency=2)`` for
          categorical ones, then ``LogisticRegression(C=1)``.

        Regression ends with ``RidgeCV`` instead.

    Examples
    --------
    >>> from skmm.compose import make_default_pipeline
    >>> [name for name, _ in make_default_pipeline("audio").steps]
    ['read', 'mfcc', 'scale', 'clf']
    """
    if kind == "text":
        steps = [("tfidf", _text_features())]
        if multi:
            steps = _per_item(steps, multi)
    elif kind == "image":
        steps = _image_features(multi)
    elif kind == "audio":
        steps = _audio_features(multi)
    elif kind == "video":
        steps = _video_features(multi)
    elif kind == "video_sound":
        steps = _video_sound_features(multi)
    elif kind == "tabular":
        columns = columns or {}
        steps = [
            (
                "preprocess",
                _tabular_features(
                    columns.get("numeric", []), columns.get("categorical", [])
                ),
            )
        ]
    else:
        raise ValueError(
            f"No default pipeline for kind {kind!r}; expected one of {DEFAULT_KINDS}."
        )
    if not features_only:
        steps = steps + [("clf", _final(kind, task))]
    return Pipeline(steps)
