"""Per-sample and per-batch work through joblib.

Every loop over samples (or batches of them) in skmm goes through
``joblib.Parallel`` with ``prefer="threads"``: the kernels release the GIL, so
by default the work runs on threads of the calling process, with no copies
and no pickling. A backend chosen with ``joblib.parallel_config`` (or
``joblib.parallel_backend``) overrides that hint, so that, for example,
``with joblib.parallel_config(backend="dask"):`` on a ``dask.distributed``
client sends the batches to the cluster's workers.

What a task carries must then pickle: module-level functions, estimators and
their bound methods, NumPy arrays. Progress bars stay in the calling process
and advance as results come back.
"""

from joblib import Parallel, delayed
from joblib.parallel import get_active_backend

__all__ = [
    "Parallel",
    "delayed",
    "n_workers",
    "numba_threads",
    "parallel_map",
    "runs_in_threads",
]


def n_workers(n_jobs):
    """Workers for an ``n_jobs`` parameter, one meaning across skmm.

    As scikit-learn's glossary says: None means 1 unless inside a
    ``joblib.parallel_config(n_jobs=...)`` context, which then decides; -1
    means all processors, -2 all but one, and so on.
    """
    from joblib import effective_n_jobs

    return max(1, effective_n_jobs(n_jobs))


class numba_threads:
    """Run Numba's parallel kernels on ``n_workers(n_jobs)`` threads.

    A context manager; the setting is Numba's thread-local one and is
    restored on exit. ``with numba_threads(n_jobs) as n:`` gives the count.
    """

    def __init__(self, n_jobs):
        self.n_jobs = n_jobs

    def __enter__(self):
        import numba

        self.previous = numba.get_num_threads()
        wanted = n_workers(self.n_jobs)
        numba.set_num_threads(min(wanted, numba.config.NUMBA_NUM_THREADS))
        return numba.get_num_threads()

    def __exit__(self, *exc):
        import numba

        numba.set_num_threads(self.previous)


def runs_in_threads():
    """True when a threads-preferring ``Parallel`` runs on local threads.

    That is the case unless a ``joblib.parallel_config`` or
    ``parallel_backend`` context asks for another backend (dask, loky,
    sequential, ...). Callers keep their single-call fast paths (a Numba
    ``prange`` over all samples, say) when it is true, and hand independent
    chunks to joblib when it is not.
    """
    from joblib._parallel_backends import ThreadingBackend

    backend, _ = get_active_backend(prefer="threads")
    return isinstance(backend, ThreadingBackend)


def parallel_map(function, argument_lists, *, n_jobs=None):
    """``function(*arguments)`` for each of ``argument_lists``, in order.

    A generator that yields each result as soon as it and those before it are
    done, so that a progress bar in the caller can advance batch by batch.

    Parameters
    ----------
    function : callable
        Must pickle when a process or distributed backend is active.
    argument_lists : iterable of tuple
        Positional arguments of each call.
    n_jobs : int, default=None
        Workers; None uses the active ``parallel_config``'s (one worker
        outside any).

    Yields
    ------
    result
        ``function(*arguments)``, in the order of ``argument_lists``.
    """
    return Parallel(n_jobs=n_jobs, prefer="threads", return_as="generator")(
        delayed(function)(*arguments) for arguments in argument_lists
    )
