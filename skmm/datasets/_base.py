"""Helpers shared by the dataset loaders and generators."""

import numbers
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

# Every digit data set names its classes the same way, so that targets of the
# audio, image and audio-visual sets line up without a mapping.
DIGIT_NAMES = np.array([str(digit) for digit in range(10)])


def _not_found(path, expected):
    """Build the FileNotFoundError every loader raises for a wrong path.

    The message names the path that was given and the layout that was
    expected, since a wrong path is the most common first error with a loader.
    """
    return FileNotFoundError(f"{path}: not found; expected {expected}.")


def _as_path(path):
    """Return ``path`` as a user-expanded ``Path``; reject non-path input."""
    if not isinstance(path, str | Path):
        raise TypeError(
            f"path must be a str or pathlib.Path, got {type(path).__name__}."
        )
    return Path(path).expanduser()


def _describe_seed(random_state):
    """How a DESCR records ``random_state``: an int or None reproduces itself."""
    if random_state is None or isinstance(random_state, numbers.Integral):
        return repr(random_state)
    return "a RandomState instance (its state is not recorded here)"


def _check_fraction(value, *, name, upper_inclusive):
    """Validate a probability-like parameter and return it as a float.

    ``upper_inclusive`` chooses between [0, 1] and [0, 1).
    """
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{name} must be a real number, got {value!r}.")
    value = float(value)
    within = 0.0 <= value <= 1.0 if upper_inclusive else 0.0 <= value < 1.0
    if not within:
        interval = "[0, 1]" if upper_inclusive else "[0, 1)"
        raise ValueError(f"{name} must be in {interval}, got {value!r}.")
    return value


def _object_column(values):
    """Wrap per-sample arrays (or None) in an object Series, one cell each.

    ``pd.Series(list_of_arrays)`` may try to broadcast equal-length arrays
    into a 2-D block; filling an empty object array first keeps one cell per
    sample whatever the shapes.
    """
    cells = np.empty(len(values), dtype=object)
    cells[:] = list(values)
    return cells


def _make_frame(data, target, **columns):
    """Return ``data`` with ``target`` and further per-sample columns appended.

    The frame is what ``as_frame``-style users and notebooks want: every
    per-sample value of the Bunch in one table.
    """
    frame = data.copy()
    frame["target"] = target
    for name, values in columns.items():
        frame[name] = values
    return frame


def _digits_bunch(*, data, target, descr, frame_columns=(), **attributes):
    """Build the Bunch of a digit data set.

    ``frame_columns`` names the entries of ``attributes`` that are per-sample
    and belong in ``frame`` beside the modality columns and the target.
    """
    frame = _make_frame(
        data, target, **{name: attributes[name] for name in frame_columns}
    )
    return Bunch(
        data=data,
        target=target,
        frame=frame,
        target_names=DIGIT_NAMES.copy(),
        DESCR=descr,
        **attributes,
    )


def _data_frame(**modalities):
    """One object column per modality, one row per sample."""
    return pd.DataFrame(
        {name: _object_column(values) for name, values in modalities.items()}
    )
