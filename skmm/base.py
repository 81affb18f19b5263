"""What skmm's estimators share.

- skmm's tags: scikit-learn's ``Tags`` extended with the kind of raw input an
  estimator takes (text, image, waveform, descriptor set), read by the common
  checks and by the meta-estimators;
- the stateless contract: an extractor that learns nothing says
  ``requires_fit=False`` and transforms unfitted (``StatelessMixin``), and
  :func:`is_stateless` tells whether a step or a whole pipeline is;
- ``SampleReader``, the base class of the readers (missing values, the skip
  policy, parallel reading in order, progress bars);
- ``_ModalityColumnsMixin``: ``(name, estimator, column)`` triples over the
  columns of a multimodal table, shared by late fusion and matching.
"""

import functools
import math
import numbers
import os
import warnings
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field, fields

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from scipy.sparse import issparse
from sklearn import get_config
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.utils import Tags as _SklearnTags
from sklearn.utils import _safe_indexing, get_tags
from sklearn.utils.metaestimators import _BaseComposition
from sklearn.utils.validation import check_array, validate_data

from skmm.exceptions import UnreadableSampleWarning
from skmm.utils._progress import progress_bar
from skmm.utils._validation import _as_column, _is_missing, _pandas, _sample_label

__all__ = [
    "INPUT_KINDS",
    "SampleReader",
    "SkmmTags",
    "StatelessMixin",
    "Tags",
    "get_skmm_tags",
    "is_stateless",
]

# -- tags ---------------------------------------------------------------------

#: The kinds of raw (not 2-D numeric) input skmm estimators take.
INPUT_KINDS = ("text", "image", "waveform", "descriptor_set", "video")


@dataclass(slots=True)
class SkmmTags:
    """skmm's own facts about an estimator.

    Parameters
    ----------
    input_kind : {"text", "image", "waveform", "descriptor_set", "video"} \
            or None, default=None
        The raw input ``fit`` and ``transform`` take: documents, images,
        waveforms, descriptor sets (one 2-D array of local descriptors
        per sample), or videos (files or :class:`~skmm.video.VideoFrames`).
        None for a 2-D numeric array or a multimodal table, which
        scikit-learn's own tags describe.
    """

    input_kind: str | None = None


@dataclass(slots=True)
class Tags(_SklearnTags):
    """scikit-learn's :class:`~sklearn.utils.Tags` plus :class:`SkmmTags`.

    Parameters
    ----------
    skmm_tags : SkmmTags
        skmm's own tags.
    """

    skmm_tags: SkmmTags = field(default_factory=SkmmTags)


def with_input_kind(tags, input_kind):
    """skmm ``Tags`` equal to scikit-learn ``tags`` with ``input_kind`` set."""
    if input_kind is not None and input_kind not in INPUT_KINDS:
        raise ValueError(f"input_kind must be one of {INPUT_KINDS} or None.")
    if not isinstance(tags, Tags):
        tags = Tags(**{f.name: getattr(tags, f.name) for f in fields(_SklearnTags)})
    tags.skmm_tags = SkmmTags(input_kind=input_kind)
    return tags


def get_skmm_tags(estimator):
    """skmm's tags of an estimator (defaults for one that has none).

    Parameters
    ----------
    estimator : estimator instance

    Returns
    -------
    tags : SkmmTags
    """
    tags = get_tags(estimator)
    return tags.skmm_tags if isinstance(tags, Tags) else SkmmTags()


def is_stateless(estimator):
    """True when ``estimator`` learns nothing from data in ``fit``.

    A step is stateless when its tags say ``requires_fit=False``; a
    ``Pipeline`` when all its steps are (``"passthrough"`` and None count as
    stateless), and a ``FeatureUnion`` when all its transformers are; the
    strings ``"passthrough"`` and ``"drop"`` are; so is a
    :class:`~skmm.cache.CachedTransformer` of a stateless transformer (it
    needs ``fit`` to find its cache, but its output does not depend on the
    data it was fitted on).

    Parameters
    ----------
    estimator : estimator instance, "passthrough", "drop" or None

    Returns
    -------
    stateless : bool
    """
    if estimator is None or (
        isinstance(estimator, str) and estimator in ("passthrough", "drop")
    ):
        return True
    steps = getattr(estimator, "steps", None)
    if isinstance(steps, list):
        return all(is_stateless(step) for _, step in steps)
    if type(estimator) is FeatureUnion:
        return all(is_stateless(step) for _, step in estimator.transformer_list)
    from skmm.cache import CachedTransformer

    if isinstance(estimator, CachedTransformer):
        return is_stateless(estimator.transformer)
    return not get_tags(estimator).requires_fit


class StatelessMixin:
    """Mixin of the transformers that learn nothing from data.

    Their tags say ``requires_fit=False`` (as ``HashingVectorizer``'s do):
    ``transform`` works without ``fit`` and gives what it gives after
    ``fit``, which stays a cheap check of the parameters (and of the input,
    recording what it records, such as an image size) for pipelines.
    ``transform`` starts with ``self._fitted_for(X)``: the estimator itself
    once fitted, otherwise a clone fitted on ``X``, whose ``transform`` it
    returns. ``fit`` learns nothing, so that is the same output.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        return tags

    def _fitted_for(self, X):
        """``self`` once fitted; otherwise a clone fitted on ``X``."""
        if any(key.endswith("_") and not key.startswith("__") for key in vars(self)):
            return self
        return clone(self).fit(X)


# -- output containers ----------------------------------------------------------


def _wrap_vectors(method):
    """Wrap ``method``'s 2-D output as ``set_output`` asks; leave lists of
    per-sample arrays (readers' samples, descriptor sets) untouched."""

    @functools.wraps(method)
    def wrapped(self, X, *args, **kwargs):
        result = method(self, X, *args, **kwargs)
        if isinstance(result, list):
            return result
        config = getattr(self, "_sklearn_output_config", {}).get("transform")
        if config is None:
            config = get_config()["transform_output"]
        if config == "default" or issparse(result):
            return result
        names = self.get_feature_names_out()
        if config == "pandas":
            import pandas as pd

            index = X.index if isinstance(X, pd.DataFrame | pd.Series) else None
            return pd.DataFrame(np.asarray(result), index=index, columns=names)
        if config == "polars":
            import polars as pl

            return pl.DataFrame(np.asarray(result), schema=list(names), orient="row")
        raise ValueError(f"Unknown transform output {config!r}.")

    return wrapped


class PerSampleOutputMixin:
    """``set_output`` for transformers whose output may be per-sample arrays.

    scikit-learn's ``set_output`` wraps every ``transform`` output in a
    DataFrame, which fails on a list of per-sample arrays (readers' samples,
    descriptor sets). With this mixin (placed before ``TransformerMixin``)
    lists pass through untouched, whatever the configuration, and 2-D
    outputs (pooled vectors) become DataFrames named by
    ``get_feature_names_out``, as ``set_output(transform="pandas")`` or
    ``sklearn.set_config(transform_output="pandas")`` ask. ``set_output``
    is always available, so that ``Pipeline`` and ``ColumnTransformer`` can
    configure the step.
    """

    def __init_subclass__(cls, **kwargs):
        # scikit-learn's own wrapping is off; ours takes its place.
        super().__init_subclass__(auto_wrap_output_keys=None, **kwargs)
        if "transform" in vars(cls):
            cls.transform = _wrap_vectors(vars(cls)["transform"])

    def set_output(self, *, transform=None):
        """Set the container of 2-D outputs; lists of arrays pass through.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"}, default=None
            As scikit-learn's ``set_output``; None leaves it unchanged.

        Returns
        -------
        self : estimator instance
        """
        if transform is not None:
            self._sklearn_output_config = {"transform": transform}
        return self


# -- readers ------------------------------------------------------------------

# Errors that mean "this sample is bad", as opposed to a bug or a full disk.
SAMPLE_ERRORS = (FileNotFoundError, ValueError, TypeError)
# How many failures the UnreadableSampleWarning spells out.
_N_FAILURES_SHOWN = 3
_MAX_CHUNK = 256
# Arrays in memory up to this size are converted in turn: threads cost more
# than they save there (1,437 digit images of 8x8 resized to 64x64 RGB took
# 0.13 s in turn, 0.18 to 0.24 s on two threads; their waveforms 0.02 s
# against 0.06 s).
_SMALL_ARRAY_BYTES = 1 << 20


def _small_arrays(cells):
    """Whether every cell is an array in memory of at most 1 MiB."""
    return all(
        isinstance(cell, np.ndarray) and cell.nbytes <= _SMALL_ARRAY_BYTES
        for cell in cells
    )


def _read_chunk(read_cell, cells, wheres, options, stop_at_error):
    """Read cells in order; a bad cell's error takes its place in the output."""
    outputs = []
    for cell, where in zip(cells, wheres, strict=True):
        try:
            outputs.append(read_cell(cell, where, options))
        except SAMPLE_ERRORS as error:
            outputs.append(error)
            if stop_at_error:
                break
    return outputs


class SampleReader(
    StatelessMixin, PerSampleOutputMixin, TransformerMixin, BaseEstimator
):
    """Base class of the readers: ``transform`` maps ``_read_cell`` over the
    samples, in order, serially or with joblib, and applies ``on_error``.

    Subclasses define ``_kind`` ("audio"), ``_unit`` ("clip"), a module-level
    function ``_read_cell(cell, where, options)`` (as a staticmethod; it must
    pickle for process backends), ``_options()`` (the picklable parameters
    it needs) and ``_missing_error(label, value)``, and keep ``on_error``,
    ``n_jobs``, ``verbose`` and ``device`` parameters (``fit`` resolves the
    latter into ``device_``; with "cuda" the outputs are CuPy arrays).
    Readers learn nothing: ``transform`` reads unfitted too.
    """

    _kind = "sample"
    _unit = "sample"

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.transformer_tags.preserves_dtype = []
        return tags

    def get_feature_names_out(self, input_features=None):
        """The name of the column read: ``input_features[0]`` (which
        ``ColumnTransformer`` passes), or the reader's kind (``"image"``,
        ``"audio"``).

        Readers output one array per sample, never wrapped in a DataFrame;
        the name lets ``ColumnTransformer`` and ``Pipeline`` ask for it.

        Parameters
        ----------
        input_features : array-like of str or None, default=None

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        if input_features is not None and len(input_features):
            return np.asarray(list(input_features)[:1], dtype=object)
        return np.asarray([self._kind], dtype=object)

    def _read_all(self, X):
        """One output per input cell (None where missing or unreadable)."""
        device = self._fitted_for(X).device_
        cells, labels = _as_column(X, kind=self._kind)
        raise_errors = self.on_error == "raise"
        outputs = [None] * len(cells)
        positions = []
        for position, cell in enumerate(cells):
            if not _is_missing(cell):
                positions.append(position)
            elif raise_errors:
                raise self._missing_error(_sample_label(position, labels), cell)

        failures = []
        name = self._kind.capitalize()
        results = self._read(
            [cells[p] for p in positions],
            [f"{name} {_sample_label(p, labels)}" for p in positions],
            stop_at_error=raise_errors,
        )
        try:
            for position, result in zip(positions, results, strict=False):
                if isinstance(result, Exception):
                    if raise_errors:
                        raise result
                    failures.append(result)
                else:
                    outputs[position] = result
        finally:
            # Stops parallel workers still reading after an error.
            results.close()
        if failures:
            shown = "; ".join(str(error) for error in failures[:_N_FAILURES_SHOWN])
            more = len(failures) - _N_FAILURES_SHOWN
            warnings.warn(
                f"{len(failures)} of {len(cells)} {self._kind} samples could not "
                f"be read and are None in the output: {shown}"
                + (f"; and {more} more." if more > 0 else ""),
                UnreadableSampleWarning,
                # _read_all < transform < scikit-learn's set_output wrapper.
                stacklevel=4,
            )
        if device == "cuda":
            from skmm.utils._device import to_cupy

            # Decoded on the host, each output crosses to the GPU once (a
            # waveform with its sample rate).
            outputs = [None if out is None else to_cupy(out) for out in outputs]
        return outputs

    def _read(self, cells, wheres, *, stop_at_error):
        """Yield one output or error per cell, in order, possibly in parallel.

        With ``stop_at_error``, reading stops after the first error.
        """
        options = self._options()
        read_cell = type(self)._read_cell
        n_workers = 1 if _small_arrays(cells) else effective_n_jobs(self.n_jobs)
        # Chunks amortise joblib's per-task cost (reading one small file takes
        # well under a millisecond) and keep every worker busy to the end.
        size = max(1, min(_MAX_CHUNK, math.ceil(len(cells) / (4 * n_workers))))
        tasks = [
            (cells[start : start + size], wheres[start : start + size])
            for start in range(0, len(cells), size)
        ]
        if n_workers == 1:
            chunks = (
                _read_chunk(read_cell, c, w, options, stop_at_error) for c, w in tasks
            )
        else:
            # Threads by default: the decoders release the GIL, and threads
            # neither start processes nor pickle the outputs back.
            chunks = Parallel(
                n_jobs=self.n_jobs, prefer="threads", return_as="generator"
            )(
                delayed(_read_chunk)(read_cell, c, w, options, stop_at_error)
                for c, w in tasks
            )
        with progress_bar(
            len(cells), verbose=self.verbose, desc=type(self).__name__, unit=self._unit
        ) as bar:
            try:
                for chunk in chunks:
                    yield from chunk
                    bar.update(len(chunk))
            finally:
                with warnings.catch_warnings():
                    # Stopping at the first bad sample cancels the chunks in
                    # flight, on purpose: joblib's note about unused tasks
                    # says nothing to the user.
                    warnings.filterwarnings(
                        "ignore", message=".*tasks .* cancelled", category=UserWarning
                    )
                    chunks.close()


# -- modality columns of a multimodal table ------------------------------------


def _is_dataframe(X):
    pd = _pandas()
    return pd is not None and isinstance(X, pd.DataFrame)


def _present_mask(Xm):
    """True for each row of a column selection that is not missing.

    A row of a multi-column selection is missing only when all its cells are.
    """
    if _is_dataframe(Xm) or (
        _pandas() is not None and isinstance(Xm, _pandas().Series)
    ):
        pd = _pandas()
        frame = Xm.to_frame() if isinstance(Xm, pd.Series) else Xm
        present = np.zeros(len(frame), dtype=bool)
        for _, column in frame.items():
            if pd.api.types.is_numeric_dtype(column.dtype):
                values = column.to_numpy(dtype=float, na_value=np.nan)
                present |= ~np.isnan(values)
            else:
                present |= np.fromiter(
                    (not _is_missing(v) for v in column), dtype=bool, count=len(column)
                )
        return present
    Xm = np.asarray(Xm)
    if Xm.ndim == 1:
        Xm = Xm[:, None]
    if Xm.dtype.kind in "fc":
        return ~np.isnan(Xm).all(axis=1)
    if Xm.dtype == object:
        missing = np.frompyfunc(_is_missing, 1, 1)(Xm).astype(bool)
        return ~missing.all(axis=1)
    return np.ones(Xm.shape[0], dtype=bool)


class _ModalityColumnsMixin(_BaseComposition):
    """``(name, estimator, column)`` triples held in ``self.<_steps_attr>``.

    Gives ``get_params``/``set_params`` with ``<name>__<param>`` access, and
    the checks and column selection of a multimodal table ``X``.
    """

    _steps_attr = "estimators"

    # -- parameters ---------------------------------------------------------

    @property
    def _estimators(self):
        """``(name, estimator)`` pairs, for ``_BaseComposition`` only."""
        steps = getattr(self, self._steps_attr)
        try:
            return [(name, est) for name, est, _ in steps]
        except (TypeError, ValueError):
            return steps

    @_estimators.setter
    def _estimators(self, value):
        steps = getattr(self, self._steps_attr)
        try:
            steps = [
                (name, est, column)
                for ((name, est), (_, _, column)) in zip(value, steps, strict=True)
            ]
        except (TypeError, ValueError):
            steps = value
        setattr(self, self._steps_attr, steps)

    def get_params(self, deep=True):
        """Get parameters, including those of the per-modality estimators.

        Parameters
        ----------
        deep : bool, default=True
            Also return the parameters of the per-modality estimators, as
            ``<name>__<parameter>`` (and deeper, ``<name>__<step>__<param>``
            for a pipeline).

        Returns
        -------
        params : dict
        """
        return self._get_params("_estimators", deep=deep)

    def set_params(self, **params):
        """Set parameters, including ``<name>__<parameter>`` of the modalities.

        Parameters
        ----------
        **params : dict
            Estimator parameters; a per-modality estimator can be replaced by
            its name.

        Returns
        -------
        self : object
        """
        self._set_params("_estimators", **params)
        return self

    def _validate_triples(self):
        """Names, estimators and columns; checks the shape of the triples."""
        steps = getattr(self, self._steps_attr)
        if not steps or not all(
            isinstance(item, tuple | list)
            and len(item) == 3
            and isinstance(item[0], str)
            for item in steps
        ):
            raise ValueError(
                f"{self._steps_attr!r} should be a non-empty list of (name, "
                "estimator, column) tuples."
            )
        names, estimators, columns = zip(*steps, strict=True)
        self._validate_names(names)
        return list(names), list(estimators), list(columns)

    # -- input ----------------------------------------------------------------

    def _check_X(self, X, *, reset):
        if _is_dataframe(X):
            if not reset and self._selects_by_name():
                # As ColumnTransformer: columns picked by name may come in
                # another order, among others; an absent one is an error
                # naming it when it is selected.
                return X
            validate_data(self, X, skip_check_array=True, reset=reset)
            return X
        if issparse(X):
            raise TypeError(
                f"{type(self).__name__} does not accept sparse X, but dense data "
                "is required; give a DataFrame with one column per modality or "
                "a dense 2-D array."
            )
        X = check_array(X, dtype=None, ensure_all_finite=False, estimator=self)
        validate_data(self, X, skip_check_array=True, reset=reset)
        return X

    def _selects_by_name(self):
        """True when every modality picks its columns by name."""
        try:
            _, _, columns = self._validate_triples()
        except ValueError:
            return False
        return all(
            isinstance(column, str)
            or (
                isinstance(column, list)
                and column
                and all(isinstance(c, str) for c in column)
            )
            for column in columns
        )

    def _select(self, X, name, column):
        """Column(s) of X that estimator ``name`` sees, as ColumnTransformer does."""
        if callable(column):
            column = column(X)
        as_list = [column] if isinstance(column, str | numbers.Integral) else column
        if isinstance(as_list, list) and any(isinstance(c, str) for c in as_list):
            if not _is_dataframe(X):
                raise ValueError(
                    f"Estimator {name!r} selects column(s) {column!r} by name, "
                    f"which needs a pandas DataFrame; got {type(X).__name__}."
                )
            absent = [c for c in as_list if c not in X.columns]
            if absent:
                raise KeyError(
                    f"Estimator {name!r} needs column(s) {absent} that X lacks; "
                    f"X has columns {list(X.columns)}."
                )
        elif isinstance(as_list, list) and all(
            isinstance(c, numbers.Integral) and not isinstance(c, bool) for c in as_list
        ):
            n_columns = X.shape[1]
            out = [c for c in as_list if not -n_columns <= c < n_columns]
            if out:
                raise ValueError(
                    f"Estimator {name!r} selects column(s) {out}, but X has only "
                    f"{n_columns} columns."
                )
        Xm = _safe_indexing(X, column, axis=1)
        if Xm.ndim == 2 and Xm.shape[1] == 0:
            raise ValueError(f"Estimator {name!r} selects no column of X.")
        return Xm

    def _selections(self, X, names, columns, *, need="one"):
        """Per modality: the selection and its present rows.

        ``need="one"``: every row must hold at least one modality;
        ``need=None``: no check.
        """
        selections = [
            self._select(X, name, column)
            for name, column in zip(names, columns, strict=True)
        ]
        present = np.array([_present_mask(Xm) for Xm in selections])
        if need == "one":
            empty = np.flatnonzero(~present.any(axis=0))
            if empty.size:
                labels = list(X.index) if _is_dataframe(X) else None
                shown = ", ".join(_sample_label(i, labels) for i in empty[:5])
                more = f" and {empty.size - 5} more" if empty.size > 5 else ""
                raise ValueError(
                    f"Every modality ({', '.join(names)}) is missing in "
                    f"{shown}{more}; {type(self).__name__} needs at least one "
                    "per sample."
                )
        return selections, present


# -- the stateless front of a modality's pipeline ------------------------------


def _split_front(estimator, params=None):
    """``estimator`` as its stateless front and the rest, or None.

    For a scikit-learn ``Pipeline``: its longest prefix of stateless steps
    (:func:`is_stateless`), going into a nested Pipeline where the prefix
    stops at one, and the rest, as two unfitted Pipelines whose chaining
    computes what ``estimator`` does. The front learns nothing, so its
    output on the training rows can be computed once and the rest fitted on
    rows of it for every inner fold, with the numbers a fit of the whole
    pipeline per fold gives, provided that each step transforms every sample
    on its own (as readers, extractors and pooling do).

    None (fit the whole estimator each time) for anything else: another
    estimator, a Pipeline subclass (it may fit differently), one with
    ``transform_input``, an empty front, a front of ``"passthrough"`` steps
    only, or fit ``params`` that would reach a step of the front.
    """
    split = _split_steps(estimator)
    if split is None:
        return None
    front, rest = split
    if params and _params_reach(estimator, [name for name, _ in front], params):
        return None
    options = {"memory": estimator.memory, "verbose": estimator.verbose}
    return Pipeline(front, **options), Pipeline(rest, **options)


def _split_steps(pipeline):
    """``(front_steps, rest_steps)`` of a plain Pipeline, or None."""
    if type(pipeline) is not Pipeline:
        return None
    if getattr(pipeline, "transform_input", None) is not None or not pipeline.steps:
        return None
    steps = pipeline.steps
    for i, (name, step) in enumerate(steps):
        if is_stateless(step) and i < len(steps) - 1:
            continue
        inner = _split_steps(step)
        if inner is not None:
            inner_front, inner_rest = inner
            options = {"memory": step.memory, "verbose": step.verbose}
            front = steps[:i] + [(name, Pipeline(inner_front, **options))]
            rest = [(name, Pipeline(inner_rest, **options))] + steps[i + 1 :]
        else:
            front, rest = steps[:i], steps[i:]
        break
    if all(isinstance(step, str) or step is None for _, step in _flat(front)):
        return None
    return front, rest


def _flat(steps):
    for name, step in steps:
        if type(step) is Pipeline:
            yield from _flat(step.steps)
        else:
            yield name, step


def _params_reach(pipeline, step_names, params):
    """True when fit ``params`` given to ``pipeline`` would reach a named step
    (or when that cannot be told: the whole pipeline then fits as usual)."""
    from sklearn.utils.metadata_routing import process_routing

    if get_config()["enable_metadata_routing"]:
        try:
            routed = process_routing(pipeline, "fit", **params)
        except Exception:
            return True
        return any(
            any(bool(method_params) for method_params in routed[name].values())
            for name in step_names
        )
    return any("__" not in key or key.split("__", 1)[0] in step_names for key in params)


def _join_front(estimator, front, rest):
    """``estimator`` (a Pipeline) made of its fitted front and fitted rest."""
    front_steps, rest_steps = list(front.steps), list(rest.steps)
    if front_steps and rest_steps and front_steps[-1][0] == rest_steps[0][0]:
        # A nested pipeline that the split cut in two.
        (name, inner_front), (_, inner_rest) = front_steps.pop(), rest_steps.pop(0)
        inner = _join_front(estimator.named_steps[name], inner_front, inner_rest)
        front_steps.append((name, inner))
    joined = clone(estimator)
    joined.steps = front_steps + rest_steps
    return joined


def _run_front(front, X, y=None, *, fit):
    """Run a stateless front step by step; drop the samples a step gives None.

    ``front`` is a Pipeline (possibly nested) of stateless steps, fitted in
    place when ``fit`` (on the samples still present at each step). A step
    whose output is a list of per-sample arrays may hold None for a sample it
    could not process (a reader's ``on_error="missing"``): that sample is left
    out of the next steps, exactly as if its cell had been missing, since
    stateless steps transform every sample on its own. The readers' own
    :class:`~skmm.exceptions.UnreadableSampleWarning` is recorded, not shown:
    the caller reports the dropped samples once.

    Returns ``(features, kept, messages)``: the front's output on the kept
    samples, the positions of the kept samples among the rows of ``X``, and
    the readers' warning messages.
    """
    kept = np.arange(_n_rows(X))
    data = X
    messages = []
    for _, step in _flat(front.steps):
        if step is None or (isinstance(step, str) and step == "passthrough"):
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UnreadableSampleWarning)
            if fit:
                y_kept = None if y is None else _safe_indexing(y, kept)
                data = step.fit_transform(data, y_kept)
            else:
                data = step.transform(data)
        for warning in caught:
            if issubclass(warning.category, UnreadableSampleWarning):
                messages.append(str(warning.message))
            else:
                warnings.warn_explicit(
                    warning.message,
                    warning.category,
                    warning.filename,
                    warning.lineno,
                    source=warning.source,
                )
        if isinstance(data, list):
            good = [i for i, sample in enumerate(data) if sample is not None]
            if fit and data and not good:
                # Nothing to fit on: the next step would fail on no samples
                # without saying why. (At predict time such samples are
                # simply missing, and the other modalities predict them.)
                raise ValueError(
                    f"None of the {len(data)} samples could be read. "
                    + " ".join(messages)
                )
            if len(good) < len(data):
                data = [data[i] for i in good]
                kept = kept[good]
    return data, kept, messages


def _n_rows(X):
    return X.shape[0] if hasattr(X, "shape") else len(X)


def _fitted_split(estimator):
    """A fitted Pipeline as its fitted stateless front and fitted rest, or
    None (see :func:`_split_front`); the steps are the fitted ones."""
    split = _split_steps(estimator)
    if split is None:
        return None
    front, rest = split
    return Pipeline(front), Pipeline(rest)


def _describe_unread(modality, rows, cells, labels, messages):
    """One sentence naming the cells of ``modality`` that a step could not
    read, with their paths and the readers' reasons."""
    shown = []
    for row, cell in list(zip(rows, cells, strict=True))[:_N_FAILURES_SHOWN]:
        path = f" ({str(cell)!r})" if isinstance(cell, str | os.PathLike) else ""
        shown.append(f"{_sample_label(int(row), labels)}{path}")
    more = len(rows) - len(shown)
    reasons = " ".join(messages)
    return (
        f"modality {modality!r}: {len(rows)} cell(s) unreadable, "
        + ", ".join(shown)
        + (f" and {more} more" if more > 0 else "")
        + (f" [{reasons}]" if reasons else "")
    )


def _warn_unread(unread, stage, outcome="count as missing for their modality"):
    """One warning for every cell that a modality's front could not read."""
    if unread:
        warnings.warn(
            f"In {stage}, cells that could not be read {outcome}: "
            + "; ".join(unread)
            + ".",
            UnreadableSampleWarning,
            stacklevel=4,
        )


# -- errors named by modality and sample ---------------------------------------


def _cell_kind(value):
    if isinstance(value, list | tuple) and value and not _is_audio_pair(value):
        # A cell of several items (PerItem's list cells) is of its items'
        # kind, so that one path and a list of paths agree.
        return _cell_kind(value[0])
    if isinstance(value, str):
        return "str"
    if isinstance(value, os.PathLike):
        return "path"
    if isinstance(value, bytes | bytearray):
        return "bytes"
    if isinstance(value, np.ndarray | list | tuple) or hasattr(value, "__array__"):
        return "array"
    return type(value).__name__


def _is_audio_pair(value):
    """True for the ``(samples, sample_rate)`` tuple audio readers take."""
    return (
        isinstance(value, tuple)
        and len(value) == 2
        and isinstance(value[0], np.ndarray)
        and isinstance(value[1], numbers.Real)
    )


def _odd_cell(cells):
    """Position of the first present cell whose kind (str, path, array, ...)
    differs from that of most cells, with its kind and the majority's; None
    when ``cells`` is not a column of objects or all its cells agree."""
    pd = _pandas()
    if pd is not None and isinstance(cells, pd.DataFrame):
        if cells.shape[1] != 1:
            return None
        cells = cells.iloc[:, 0]
    if pd is not None and isinstance(cells, pd.Series):
        if cells.dtype != object:
            return None
        cells = cells.to_numpy()
    if isinstance(cells, np.ndarray):
        if cells.dtype != object:
            return None
        cells = cells.ravel() if cells.ndim == 2 and cells.shape[1] == 1 else cells
        if cells.ndim != 1:
            return None
    elif not isinstance(cells, list | tuple):
        return None
    kinds = [None if _is_missing(cell) else _cell_kind(cell) for cell in cells]
    counts = Counter(kind for kind in kinds if kind is not None)
    if len(counts) < 2:
        return None
    majority = counts.most_common(1)[0][0]
    for position, kind in enumerate(kinds):
        if kind is not None and kind != majority:
            return position, kind, majority
    return None


@contextmanager
def _named_errors(name, stage, cells=None, rows=None, labels=None):
    """Re-raise an error of modality ``name``'s estimator naming the modality.

    The exception keeps its type; its message starts with the modality and
    the ``stage`` ("fit", "predict_proba", ...) and, when ``cells`` (the raw
    cells the estimator saw, rows ``rows`` of the table whose index labels
    are ``labels``) hold one cell unlike the others, names that sample.
    """
    try:
        yield
    except Exception as exc:
        # A warning turned into an error by a filter stays as it is.
        if isinstance(exc, Warning) or getattr(exc, "_skmm_modality", None):
            raise
        where = ""
        odd = None if cells is None else _odd_cell(cells)
        if odd is not None:
            position, kind, majority = odd
            row = position if rows is None else int(rows[position])
            where = (
                f": {_sample_label(row, labels)} holds {kind!r} where its column "
                f"holds {majority!r} cells"
            )
        message = f"Modality {name!r} failed in {stage}{where}. {exc}"
        try:
            named = type(exc)(message)
        except Exception:
            # An exception type whose constructor takes other arguments keeps
            # its message and gets the modality in a note.
            exc.add_note(message)
            exc._skmm_modality = name
            raise
        named._skmm_modality = name
        raise named from exc
