"""Loader for the Wikipedia cross-modal data set (precomputed features)."""

import numpy as np
from sklearn.utils import Bunch

from skmm.datasets._base import _as_path, _not_found

_MAT_FILE = "raw_features.mat"
_LIST_FILES = {
    "train": "trainset_txt_img_cat.list",
    "test": "testset_txt_img_cat.list",
}
_EXPECTED_LAYOUT = (
    f"a folder holding {_MAT_FILE} (I_tr, I_te, T_tr, T_te, T_tfidf_tr, "
    f"T_tfidf_te) and {_LIST_FILES['train']} / {_LIST_FILES['test']} (text id, "
    "image id, category 1-10, tab separated)"
)
# Order of categories 1..10 in the .list files (Rasiwasia et al., 2010).
CATEGORIES = np.array(
    [
        "art",
        "biology",
        "geography",
        "history",
        "literature",
        "media",
        "music",
        "royalty",
        "sport",
        "warfare",
    ]
)
# Bunch name -> .mat variable, per split.
_FEATURES = {
    "image": {"train": "I_tr", "test": "I_te"},
    "text": {"train": "T_tr", "test": "T_te"},
    "text_tfidf": {"train": "T_tfidf_tr", "test": "T_tfidf_te"},
}

DESCR = """\
Wikipedia cross-modal data set
------------------------------

2,866 image-text pairs from Wikipedia featured articles in 10 categories
(Rasiwasia et al., "A new approach to cross-modal multimedia retrieval",
ACM MM 2010), split into 2,173 training and 693 test pairs, as precomputed
features:

- image: 128-d SIFT bag-of-visual-words histograms;
- text: 10-d LDA topic proportions;
- text_tfidf: 1000-d TF-IDF vectors.

Targets are the categories as numbered in the files, 1 to 10 (not 0 to 9):
``target_names[target - 1]`` names them. Text and image ids are the ids of
the original documents and images; row i of every array belongs to pair i.

Standard protocol: image-to-text and text-to-image retrieval over the test
pairs, scored by mean average precision with a retrieved item relevant when
its category matches the query's.

Source: azrealwang/sph (data/), commit d6d090f.
"""


def _read_list(file):
    """Return text ids, image ids and categories of one ``.list`` file."""
    text_ids, image_ids, categories = [], [], []
    with open(file, encoding="utf-8") as stream:
        for row, line in enumerate(stream.read().rstrip("\n").splitlines()):
            fields = line.split("\t")
            if len(fields) != 3 or not fields[2].strip().isdigit():
                raise ValueError(
                    f"{file}, row {row}: expected 'text id<TAB>image id<TAB>"
                    f"category', got {line!r}."
                )
            category = int(fields[2])
            if not 1 <= category <= len(CATEGORIES):
                raise ValueError(
                    f"{file}, row {row}: category {category} is not in 1..10."
                )
            text_ids.append(fields[0])
            image_ids.append(fields[1])
            categories.append(category)
    return np.array(text_ids), np.array(image_ids), np.array(categories)


def load_wikipedia_xmodal(path):
    """Load the Wikipedia cross-modal retrieval features.

    Parameters
    ----------
    path : str or pathlib.Path
        Folder holding ``raw_features.mat`` and the two lists
        ``trainset_txt_img_cat.list`` and ``testset_txt_img_cat.list``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        image_train, image_test : ndarray of shape (n_pairs, 128)
            SIFT bag-of-visual-words histograms (2,173 and 693 pairs).
        text_train, text_test : ndarray of shape (n_pairs, 10)
            LDA topic proportions of the texts.
        text_tfidf_train, text_tfidf_test : ndarray of shape (n_pairs, 1000)
            TF-IDF vectors of the texts.
        target_train, target_test : ndarray of shape (n_pairs,)
            Category of each pair as an int 1..10, as numbered in the files.
        text_ids_train, text_ids_test : ndarray of shape (n_pairs,)
            Ids of the texts (str).
        image_ids_train, image_ids_test : ndarray of shape (n_pairs,)
            Ids of the images (str).
        target_names : ndarray of shape (10,)
            Category names; ``target_names[target - 1]`` names a target.
        DESCR : str
            Description of the data set.

    Raises
    ------
    FileNotFoundError
        If ``path`` lacks one of the three files.
    ValueError
        If a list row is malformed, or a list and the features of its split
        differ in number of rows.

    Examples
    --------
    >>> from skmm.datasets import load_wikipedia_xmodal
    >>> wiki = load_wikipedia_xmodal("../shared/data/wikipedia")  # doctest: +SKIP
    >>> wiki.image_train.shape, wiki.text_test.shape  # doctest: +SKIP
    ((2173, 128), (693, 10))
    """
    # scipy.io pulls in much of scipy; only pay for it when loading.
    from scipy.io import loadmat

    folder = _as_path(path)
    files = [folder / _MAT_FILE, *(folder / name for name in _LIST_FILES.values())]
    for file in files:
        if not file.is_file():
            raise _not_found(file, _EXPECTED_LAYOUT)
    mat = loadmat(files[0])

    bunch = Bunch(target_names=CATEGORIES.copy(), DESCR=DESCR)
    for split, list_name in _LIST_FILES.items():
        text_ids, image_ids, target = _read_list(folder / list_name)
        for modality, variables in _FEATURES.items():
            name = variables[split]
            if name not in mat:
                raise ValueError(f"{files[0]}: variable {name!r} is missing.")
            features = np.asarray(mat[name], dtype=np.float64)
            if features.shape[0] != len(target):
                raise ValueError(
                    f"{files[0]}: {name} has {features.shape[0]} rows but "
                    f"{list_name} has {len(target)}; they must match row by row."
                )
            bunch[f"{modality}_{split}"] = features
        bunch[f"target_{split}"] = target.astype(np.int64)
        bunch[f"text_ids_{split}"] = text_ids
        bunch[f"image_ids_{split}"] = image_ids
    return bunch
