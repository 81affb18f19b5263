"""What every reader (audio, images) shares: missing values, the skip policy,
parallel reading in order, progress bars."""

import math
import warnings

from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from skmm.exceptions import UnreadableSampleWarning
from skmm.utils._progress import progress_bar
from skmm.utils._validation import _as_column, _is_missing, _sample_label

# Errors that mean "this sample is bad", as opposed to a bug or a full disk.
SAMPLE_ERRORS = (FileNotFoundError, ValueError, TypeError)
# How many failures the UnreadableSampleWarning spells out.
_N_FAILURES_SHOWN = 3
_MAX_CHUNK = 256


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


class SampleReader(TransformerMixin, BaseEstimator):
    """Base class of the readers: ``transform`` maps ``_read_cell`` over the
    samples, in order, serially or with joblib, and applies ``on_error``.

    Subclasses define ``_kind`` ("audio"), ``_unit`` ("clip"), a module-level
    function ``_read_cell(cell, where, options)`` (as a staticmethod; it must
    pickle for process backends), ``_options()`` (the picklable parameters
    it needs) and ``_missing_error(label, value)``, and keep ``on_error``,
    ``n_jobs``, ``verbose`` and ``device`` parameters (``fit`` resolves the
    latter into ``device_``; with "cuda" the outputs are CuPy arrays).
    """

    _kind = "sample"
    _unit = "sample"

    def __sklearn_is_fitted__(self):
        # Readers learn nothing, but skmm's common checks want transform to
        # refuse an estimator that was never fitted.
        return getattr(self, "_fitted", False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.transformer_tags.preserves_dtype = []
        return tags

    def _read_all(self, X):
        """One output per input cell (None where missing or unreadable)."""
        check_is_fitted(self)
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
        if getattr(self, "device_", "cpu") == "cuda":
            import cupy

            # Decoded on the host, each output crosses to the GPU once.
            outputs = [None if out is None else cupy.asarray(out) for out in outputs]
        return outputs

    def _read(self, cells, wheres, *, stop_at_error):
        """Yield one output or error per cell, in order, possibly in parallel.

        With ``stop_at_error``, reading stops after the first error.
        """
        options = self._options()
        read_cell = type(self)._read_cell
        n_workers = effective_n_jobs(self.n_jobs)
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
                chunks.close()
