"""Text modality: document vectors from word embeddings.

TF-IDF is scikit-learn's own ``TfidfVectorizer``; use it directly.
"""

from skmm.text._word2vec import Word2VecVectorizer

__all__ = ["Word2VecVectorizer"]
