"""Loader for the clip-art set: PNG images with their titles, by category."""

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from skmm.datasets._base import _as_path, _make_frame, _not_found

_EXPECTED_LAYOUT = (
    "a folder holding items.csv (columns image, title, category, subcategory; "
    "image paths relative to the folder) and the images it names"
)
_COLUMNS = ("image", "title", "category", "subcategory")

DESCR = """\
Clip art with titles (openclipart)
----------------------------------

PNG clip art from openclipart.org (Debian package ``openclipart-png``
1:0.18+dfsg-19, public domain dedication): the release this loader was
written against holds 1,968 images from 15 top-level categories, up to 160
per category, picked with a fixed seed. Each item has two modalities:

- ``image``: the path of a PNG file (RGBA with transparency, palette and RGB
  PNGs, sizes from icons to posters; many carry libpng sRGB warnings).
  Transparent pixels need compositing on a background before features are
  computed: ``ImageReader(background="white")``;
- ``title``: the words of the file name, the picture's name often followed
  by its author's name and a number.

The target is the top-level category. The deeper folders (``subcategory``,
often empty) name the category in other words: they leak the label, so they
are kept apart from ``data`` and ``frame``, in ``subcategory``.

Protocol: stratified 5-fold cross-validation of the category (seed 0),
accuracy and macro F1; image-to-title and title-to-image retrieval MAP with
same-category relevance.
"""


def _read_items(folder):
    items_csv = folder / "items.csv"
    if not items_csv.is_file():
        raise _not_found(folder, _EXPECTED_LAYOUT)
    items = pd.read_csv(items_csv, dtype=str, keep_default_na=False)
    absent = [column for column in _COLUMNS if column not in items.columns]
    if absent:
        raise ValueError(
            f"{items_csv}: lacks column(s) {absent}; expected {list(_COLUMNS)}."
        )
    for column in ("image", "title", "category"):
        empty = np.flatnonzero(items[column].str.strip() == "")
        if empty.size:
            raise ValueError(
                f"{items_csv}: row {empty[0] + 2} has an empty {column!r} "
                f"({empty.size} row(s) in all)."
            )
    return items


def load_openclipart(path, *, return_X_y=False):
    """Load the clip-art set: PNG images and their titles, by category.

    Parameters
    ----------
    path : str or pathlib.Path
        The folder holding ``items.csv`` and the images it names (in the
        project's layout, ``../shared/data/openclipart``).
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        data : pandas.DataFrame of shape (n_samples, 2)
            Column ``"image"``: the absolute path of each PNG file (str);
            column ``"title"``: its title (str).
        target : ndarray of shape (n_samples,)
            The category as an int, an index into ``target_names``.
        target_names : ndarray of shape (n_categories,)
            The category names, sorted.
        subcategory : ndarray of shape (n_samples,)
            The deeper folders below the category (str, ``""`` when there are
            none). It names the category in other words: never a feature.
        filenames : ndarray of shape (n_samples,)
            The image paths, as in ``data["image"]``.
        frame : pandas.DataFrame of shape (n_samples, 3)
            ``data`` with the column ``"target"`` (without ``subcategory``).
        DESCR : str
            Description of the data set.

    (data, target) : tuple if ``return_X_y`` is True
        The DataFrame and the int targets.

    Raises
    ------
    FileNotFoundError
        If ``path`` holds no ``items.csv``, or an image it names is absent
        (the message names it and counts the others).
    ValueError
        If ``items.csv`` lacks a column or has an empty image, title or
        category.

    See Also
    --------
    skmm.image.ImageReader : Reads the PNGs, compositing transparency on a
        background.

    Examples
    --------
    >>> from skmm.datasets import load_openclipart
    >>> clipart = load_openclipart("../shared/data/openclipart")  # doctest: +SKIP
    >>> clipart.data.shape, len(clipart.target_names)  # doctest: +SKIP
    ((1968, 2), 15)
    """
    folder = _as_path(path)
    items = _read_items(folder)
    files = [(folder / relative).resolve() for relative in items["image"]]
    absent = [file for file in files if not file.is_file()]
    if absent:
        raise FileNotFoundError(
            f"{absent[0]}: not found, named by {folder / 'items.csv'} "
            f"({len(absent)} of {len(files)} images absent)."
        )
    filenames = np.array([str(file) for file in files], dtype=object)
    target_names, target = np.unique(items["category"].to_numpy(), return_inverse=True)
    data = pd.DataFrame(
        {"image": filenames.copy(), "title": items["title"].to_numpy(dtype=object)}
    )
    target = target.astype(np.int64)
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        target_names=target_names.astype(str),
        subcategory=items["subcategory"].to_numpy(dtype=object),
        filenames=filenames,
        frame=_make_frame(data, target),
        DESCR=DESCR,
    )
