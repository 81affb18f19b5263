"""skmm: classical multimodal machine learning in the scikit-learn style.

Text, images and audio go in as raw data (strings, file paths, arrays),
modality transformers turn them into features, and standard scikit-learn
machinery (``Pipeline``, ``ColumnTransformer``, ``GridSearchCV``) fuses and
tunes them.

Subpackages
-----------
audio
    Audio reading (soundfile, soxr) and librosa-exact MFCC features.
datasets
    Loaders for real multimodal data and the embedded demo data set.
image
    Images: reading, HOG, SIFT and dense SIFT descriptors.
encode
    Encoders from sets of local descriptors to one vector per sample.
text
    Text features (Word2Vec/FastText document vectors).
utils
    Validation helpers, estimator discovery and common estimator checks.
"""

__version__ = "0.1.0.dev0"

__all__ = ["audio", "datasets", "encode", "image", "text", "utils", "__version__"]


def __getattr__(name):
    # Subpackages load on first use so that ``import skmm`` stays cheap.
    if name in {"audio", "datasets", "encode", "image", "text", "utils"}:
        import importlib

        return importlib.import_module(f"skmm.{name}")
    raise AttributeError(f"module 'skmm' has no attribute {name!r}")
