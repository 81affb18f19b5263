"""skmm: classical multimodal machine learning in the scikit-learn style.

Text, images and audio go in as raw data (strings, file paths, arrays),
modality transformers turn them into features, and standard scikit-learn
machinery (``Pipeline``, ``ColumnTransformer``, ``GridSearchCV``) fuses and
tunes them.

Subpackages
-----------
audio
    Audio reading (soundfile, soxr) and librosa-exact MFCC features.
cache
    The per-sample feature cache (``CachedTransformer``) and
    ``extract_features`` (streaming to disk, resumable; also
    ``skmm.extract_features``).
compose
    Multimodal tables: cells of several items (``PerItem``) and the kind of
    each column inferred from its content (``infer_modalities``).
datasets
    Loaders for real multimodal data and the embedded demo data set.
encode
    Encoders from sets of local descriptors to one vector per sample.
fusion
    Early and late fusion of modalities, with missing modalities.
image
    Images: reading, HOG, SIFT and dense SIFT descriptors.
inspection
    Which modality a fitted model relies on (``modality_importance``).
metrics
    Retrieval metrics (MAP, precision and recall at k, PR curves).
plotting
    Displays (matplotlib, optional): modality contributions, missing-modality
    curves, HOG glyphs, retrieval precision-recall curves.
retrieval
    Cross-modal retrieval: CCA and kernel CCA common spaces, semantic
    (correlation) matching, ranking.
text
    Text features (Word2Vec/FastText document vectors).
utils
    Validation, estimator discovery, common checks.
video
    Videos: frames and sound track from one file (PyAV, optional), shot
    boundaries and keyframe summaries.
"""

__version__ = "0.1.0.dev0"

__all__ = [
    "audio",
    "cache",
    "compose",
    "datasets",
    "encode",
    "fusion",
    "image",
    "inspection",
    "metrics",
    "plotting",
    "retrieval",
    "text",
    "utils",
    "video",
    "extract_features",
    "__version__",
]


def __getattr__(name):
    # Subpackages load on first use so that ``import skmm`` stays cheap.
    if name in {
        "audio",
        "cache",
        "compose",
        "datasets",
        "encode",
        "fusion",
        "image",
        "inspection",
        "metrics",
        "plotting",
        "retrieval",
        "text",
        "utils",
        "video",
    }:
        import importlib

        return importlib.import_module(f"skmm.{name}")
    if name == "extract_features":
        from skmm.cache import extract_features

        return extract_features
    raise AttributeError(f"module 'skmm' has no attribute {name!r}")
