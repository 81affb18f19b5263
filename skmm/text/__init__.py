"""Text modality: document vectors from word embeddings, and text analysis
as a stateless step.

TF-IDF is scikit-learn's own ``TfidfVectorizer``; use it directly, or after
a ``TextAnalyzer`` (with ``analyzer=analyzed``) where the analysis should
run once for many fits.
"""

from skmm.text._analyzer import TextAnalyzer, analyzed
from skmm.text._word2vec import Word2VecVectorizer

__all__ = ["TextAnalyzer", "Word2VecVectorizer", "analyzed"]
