"""The default modality pipelines of :class:`MultimodalClassifier`."""

from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skmm.text._analyzer import TextAnalyzer, analyzed

__all__ = ["make_default_pipeline"]

#: The kinds with a default pipeline.
DEFAULT_KINDS = ("text", "image", "audio", "video", "video_sound", "tabular")
# Sample rate and MFCC settings of the audio default: speech-band features
# (FSDD, sound effects) at 16 kHz, 20 coefficients of 40 mel bands and their
# deltas, pooled by mean and standard deviation over the clip.
_AUDIO_SR = 16000
# Readers decode on all cores (threads: OpenCV, soundfile and soxr release
# the GIL; 600 clip-art PNGs read in 2.2 s against 4.8 s on one thread, on
# two cores). Images are read in colour, composited on white, fitted into
# 64x64 keeping their aspect (padded with white), and described by colour (an
# HSV histogram of 8 hues, 3 saturations, 3 values: 72), shape (HOG of 16x16
# cells, 2x2 blocks: 324) and texture (uniform LBP in 4x4 cells: 160). On the
# clip-art set (1,968 pictures, 15 categories, stratified 5-fold), the
# one-liner on titles and pictures scored 0.705 accuracy with them, 0.696
# without colour, and 0.672 with a finer histogram (8x8x8 bins in 2x2 cells,
# 2,048), which scores better alone (0.487 against 0.468) but fuses worse.
# The former gray HOG of 8x8 cells (1,764 features) scored 0.437 alone.
_IMAGE_SIZE = (64, 64)


def _text_features(multi=None):
    # Clip-art titles and captions are short, with names, numbers and
    # compounds: character 3- to 5-grams within words, sublinear term
    # frequencies. On the clip-art titles (stratified 5-fold) they scored
    # 0.649 accuracy, words and their bigrams 0.576, both together 0.641.
    # Every n-gram is kept: dropping those of a single document (min_df=2)
    # halved the vocabulary and the logistic regression's time and kept the
    # titles' own 0.648, but the one-liner's fused accuracy on the clip art
    # fell from 0.701 to 0.691 (stratified 5-fold).
    ngrams = {"analyzer": "char_wb", "ngram_range": (3, 5)}
    weighting = {"sublinear_tf": True}
    if multi:
        return [("tfidf", TfidfVectorizer(**ngrams, **weighting))]
    # The analysis as a stateless step of its own: late fusion's inner folds
    # then analyse each document once per fit, not once per fold (the
    # same matrix; 0.31 s -> 0.16 s a fold on the embedded captions).
    return [
        ("analyze", TextAnalyzer(**ngrams)),
        ("tfidf", TfidfVectorizer(analyzer=analyzed, **weighting)),
    ]


def _cached(reader, memory):
    """``reader``, or a :class:`~skmm.cache.CachedTransformer` of it."""
    if memory is None:
        return reader
    from skmm.cache import CachedTransformer

    return CachedTransformer(reader, memory=memory)


def _image_features(multi, memory):
    from skmm.image import HOG, LBP, ColorHistogram, ImageReader

    reader = ImageReader(
        color="rgb",
        size=_IMAGE_SIZE,
        keep_aspect=True,
        pad_value="background",
        on_error="missing",
        n_jobs=-1,
        # Arrays of floats come out as 8-bit pixels too, as files do: what
        # the colour and texture blocks compute on, at an eighth of float64's
        # memory (the same 0.972 on the embedded digits' float images).
        dtype="uint8",
    )
    features = FeatureUnion(
        [
            (
                "colour",
                ColorHistogram(color_space="hsv", hist_size=(8, 3, 3), grid=(1, 1)),
            ),
            ("hog", HOG(pixels_per_cell=(16, 16), cells_per_block=(2, 2))),
            ("texture", LBP(P=8, R=1.0, method="uniform", grid=(4, 4))),
        ]
    )
    steps = [("read", _cached(reader, memory)), ("features", features)]
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
    reader = VideoReader(
        max_frames=_VIDEO_FRAMES, size=_IMAGE_SIZE, keep_aspect=True, on_error="missing"
    )
    # Not cached: the cache stores arrays and waveforms, not a VideoFrames
    # (frames with their times).
    steps = [("read", reader), ("frames", PerItem(frame_features, pooling="mean"))]
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


def _video_sound_features(multi, memory):
    from skmm.video import VideoReader

    reader = VideoReader(audio="only", sr=_AUDIO_SR, on_error="missing")
    steps = [("read", _cached(reader, memory)), ("mfcc", _mfcc())]
    return _per_item(steps, multi) + [("scale", StandardScaler())]


def _audio_features(multi, memory):
    from skmm.audio import AudioReader

    steps = [
        (
            "read",
            _cached(AudioReader(sr=_AUDIO_SR, on_error="missing", n_jobs=-1), memory),
        ),
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
    # A tolerance of 1e-3 (scikit-learn's default is 1e-4) cut the L-BFGS
    # iterations on clip-art HOG features from 98 to 59; late fusion fits
    # each modality cv + 1 times per fit. (On clip-art colour 8x8x8 + HOG
    # + LBP features: 0.504 accuracy at 1e-3, 0.498 at 1e-2.)
    C = {
        "text": 10.0,
        "image": 0.003,
        "audio": 0.1,
        "video": 0.01,
        "video_sound": 0.1,
    }.get(kind, 1.0)
    return LogisticRegression(C=C, max_iter=1000, tol=1e-3)


def make_default_pipeline(
    kind,
    *,
    multi=False,
    task="classification",
    columns=None,
    features_only=False,
    memory=None,
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
    memory : str, path-like, joblib.Memory, InMemoryCache or None, default=None
        Where the reader of an image, audio or "video_sound" pipeline caches
        what it read (:class:`~skmm.cache.CachedTransformer`'s ``memory``;
        the step "read" is then that ``CachedTransformer``):
        cross-validation folds and grid points then decode each file once.
        None reads every time. Video frames are not cached (the cache holds
        arrays and waveforms, not frames with their times).

    Returns
    -------
    pipeline : Pipeline
        - text: ``TextAnalyzer(analyzer="char_wb", ngram_range=(3, 5))``
          and ``TfidfVectorizer(analyzer=analyzed, sublinear_tf=True)``: the
          matrix of ``TfidfVectorizer(analyzer="char_wb", ngram_range=(3,
          5), sublinear_tf=True)`` (character n-grams within words: short
          captions, names, compounds), analysed by a stateless step of its own
          so that late fusion's inner folds analyse each document once (a
          list cell's texts go through the one vectorizer);
          ``LogisticRegression(C=10)``;
        - image: ``ImageReader(color="rgb", size=(64, 64),
          keep_aspect=True, pad_value="background", on_error="missing",
          n_jobs=-1, dtype="uint8")``
          (transparency composited on white), then a ``FeatureUnion`` of
          colour (``ColorHistogram(color_space="hsv", hist_size=(8, 3,
          3))``), shape (``HOG(pixels_per_cell=(16, 16),
          cells_per_block=(2, 2))``) and texture (``LBP(P=8, R=1,
          method="uniform", grid=(4, 4))``), ``StandardScaler``,
          ``LogisticRegression(C=0.003)``;
        - audio: ``AudioReader(sr=16000, on_error="missing", n_jobs=-1)``, ``MFCC`` (20
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

        The classifiers are ``LogisticRegression(max_iter=1000, tol=1e-3)``.
        Regression ends with ``RidgeCV`` instead.

    Examples
    --------
    >>> from skmm.compose import make_default_pipeline
    >>> [name for name, _ in make_default_pipeline("audio").steps]
    ['read', 'mfcc', 'scale', 'clf']
    """
    if kind == "text":
        steps = _text_features(multi)
        if multi:
            steps = _per_item(steps, multi)
    elif kind == "image":
        steps = _image_features(multi, memory)
    elif kind == "audio":
        steps = _audio_features(multi, memory)
    elif kind == "video":
        steps = _video_features(multi)
    elif kind == "video_sound":
        steps = _video_sound_features(multi, memory)
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
