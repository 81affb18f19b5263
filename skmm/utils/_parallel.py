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

Thread budget: ``k`` workers on ``c`` cores share them, so each worker's own
thread pools (BLAS and OpenMP through threadpoolctl, Numba's) get
``max(1, c // k)`` threads while it runs a task (:func:`limit_threads`), and
skmm's parallel loops inside it (:func:`n_workers`) ask for no more. Without
that, two workers each running two BLAS threads and two Numba threads put
eight busy threads on two cores, and ``n_jobs=2`` runs slower than
``n_jobs=1``. Process workers started by joblib's loky backend are budgeted
by joblib itself (it sets ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``,
``NUMBA_NUM_THREADS``... in them), which :func:`thread_budget` reads too.

BLAS: PyPI's NumPy and SciPy wheels each carry their own OpenBLAS, so a
process holds two BLAS thread pools, whose threads wait for work by
spinning. A scikit-learn ``LogisticRegression`` fit uses both (NumPy's for
the products, SciPy's inside L-BFGS-B). On the two-core development machine
while other jobs ran (load average 7), 100 iterations on 1,797 x 324
standardised features took 5.2 to 7.9 s with two threads in each pool, 0.9
to 1.9 s with two in one pool and one in the other, 0.35 to 0.47 s with one
thread in each (at load average 3, 5,000 x 2,000 features: 18.6 s against
3.8 s). Budgeted work therefore never runs two BLAS libraries with several
threads: NumPy's pool gets the share, any other one thread
(:func:`blas_limits`); many small fits (late fusion's base and fold fits) run
one BLAS thread each and spend the cores on fits in parallel
(:func:`small_fits_blas`).
"""

import functools
import os
import sys
import threading
from contextlib import contextmanager

from joblib import Parallel, delayed
from joblib.parallel import get_active_backend

__all__ = [
    "Parallel",
    "blas_limits",
    "budgeted",
    "budgeted_blas",
    "delayed",
    "limit_threads",
    "n_workers",
    "numba_threads",
    "parallel_map",
    "runs_in_threads",
    "small_fits_blas",
    "thread_budget",
    "thread_limits",
]

# The budget of the task the current thread runs, set by ``limit_threads``.
_local = threading.local()

# Set by joblib's loky backend (and by users) to cap a process's threads.
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def thread_budget():
    """Threads the current thread may use for its own parallel work.

    The budget of the task it runs (see :func:`limit_threads`); else, in a
    joblib worker, the cap that ``OMP_NUM_THREADS`` (or
    ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS``) puts on its process, as
    joblib sets it in process workers; else every core
    (``joblib.cpu_count()``).
    """
    from joblib import cpu_count

    cap = _cap()
    return max(1, cpu_count()) if cap is None else cap


def _cap():
    """The budget in force (a task's, or the process's), or None."""
    budget = getattr(_local, "budget", None)
    if budget is not None:
        return budget
    backend, _ = get_active_backend()
    if not getattr(backend, "nesting_level", 0):
        # Not inside a joblib worker: a user's OMP_NUM_THREADS=1 caps BLAS,
        # not the n_jobs they ask of skmm.
        return None
    for variable in _THREAD_VARIABLES:
        value = os.environ.get(variable, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return None


def _share(n_tasks_at_once):
    """Threads for each of ``n_tasks_at_once`` workers sharing the budget."""
    return max(1, thread_budget() // max(1, n_tasks_at_once))


@contextmanager
def limit_threads(n_threads, *, blas=True):
    """Run the block with at most ``n_threads`` threads in each pool.

    Sets this thread's budget (read by :func:`n_workers` and
    :func:`thread_budget`), and its Numba and OpenMP thread counts (both
    per thread); with ``blas`` also the BLAS pools through threadpoolctl, as
    :func:`blas_limits` says (those are process-wide: the caller of a pool
    of thread workers limits them once, around all of its tasks). Everything
    is restored on exit.
    """
    import numba

    n_threads = max(1, int(n_threads))
    previous_budget = getattr(_local, "budget", None)
    previous_numba = numba.get_num_threads()
    _local.budget = n_threads
    numba.set_num_threads(min(n_threads, numba.config.NUMBA_NUM_THREADS))
    # OpenMP's thread count is per calling thread; BLAS's (OpenBLAS, MKL) is
    # per process.
    limits = {"openmp": n_threads}
    if blas:
        limits.update(blas_limits(n_threads))
    try:
        with thread_limits(limits=limits):
            yield n_threads
    finally:
        numba.set_num_threads(previous_numba)
        _local.budget = previous_budget


# threadpoolctl's view of the loaded thread pools, and how many modules were
# imported when it was taken.
_controller = (None, -1)


def _threadpool_controller():
    """A ``threadpoolctl.ThreadpoolController``, rebuilt only when modules
    were imported since the last one (a new extension may have loaded a
    thread pool). Building one scans every loaded library: 3 ms here, which
    each of a transform's batch tasks paid in turn, holding the GIL (25
    batches of MFCC took 0.1 s of 0.28 s on two threads)."""
    global _controller
    controller, n_modules = _controller
    if controller is None or n_modules != len(sys.modules):
        from threadpoolctl import ThreadpoolController

        n_modules = len(sys.modules)
        controller = ThreadpoolController()
        _controller = (controller, n_modules)
    return controller


def thread_limits(limits=None, user_api=None):
    """``threadpoolctl.threadpool_limits(limits, user_api)`` (a context
    manager; the limits hold from the call), without rescanning the loaded
    libraries each time (see :func:`_threadpool_controller`).

    Parameters
    ----------
    limits : int, dict or None
        As threadpoolctl's: threads for every pool, or ``{user_api,
        internal_api, prefix or library path: threads}``.
    user_api : {"blas", "openmp"} or None
        The pools an int ``limits`` applies to; None for all.
    """
    return _threadpool_controller().limit(limits=limits, user_api=user_api)


def blas_limits(n_threads):
    """threadpoolctl limits for the process's BLAS pools under a budget.

    NumPy's pool (the only one when a single BLAS library is loaded) gets at
    most ``n_threads``; any other BLAS library (SciPy's own OpenBLAS, say)
    one thread. No pool gets more threads than it has now, so a user's own
    ``threadpool_limits`` stays in force.

    Parameters
    ----------
    n_threads : int

    Returns
    -------
    limits : dict
        ``{library path: threads}``, for ``threadpool_limits(limits=...)``.
    """
    import numpy as np

    pools = [
        info for info in _threadpool_controller().info() if info["user_api"] == "blas"
    ]
    numpy_libraries = os.path.dirname(np.__file__)
    limits = {}
    for pool in pools:
        # A wheel's libraries sit in ``numpy.libs`` beside ``numpy``.
        is_numpys = len(pools) == 1 or pool["filepath"].startswith(numpy_libraries)
        wanted = max(1, int(n_threads)) if is_numpys else 1
        limits[pool["filepath"]] = min(pool["num_threads"], wanted)
    return limits


def _run_with_budget(function, n_threads, blas, *arguments, **keywords):
    with limit_threads(n_threads, blas=blas):
        return function(*arguments, **keywords)


def budgeted(function, n_jobs):
    """``function`` wrapped to run under its share of the thread budget.

    For a task of ``Parallel(n_jobs=n_jobs)``: with ``k = n_workers(n_jobs)``
    workers, each task runs under :func:`limit_threads` with
    ``thread_budget() // k`` threads. Pickles (for process backends), where
    joblib already caps BLAS, so only skmm's and Numba's threads are set.

    Parameters
    ----------
    function : callable
    n_jobs : int or None

    Returns
    -------
    wrapped : callable
        Use as ``delayed(budgeted(function, n_jobs))(*arguments)``, the
        ``Parallel`` call inside ``with budgeted_blas(n_jobs):``.
    """
    n_threads = _share(n_workers(n_jobs))
    return functools.partial(
        _run_with_budget, function, n_threads, not runs_in_threads()
    )


@contextmanager
def budgeted_blas(n_jobs):
    """Limit the process's BLAS pools (:func:`blas_limits`) and, with more
    than one worker, its OpenMP pool to the share of each of
    ``n_workers(n_jobs)`` thread workers, for a ``Parallel`` call of
    :func:`budgeted` tasks on threads, or for work in the calling thread
    (one worker). A no-op for other backends, whose workers have pools of
    their own, budgeted inside each task by :func:`budgeted`."""
    if runs_in_threads():
        workers = n_workers(n_jobs)
        limits = blas_limits(_share(workers))
        if workers > 1:
            limits["openmp"] = _share(workers)
        with thread_limits(limits=limits):
            yield
    else:
        yield


@contextmanager
def small_fits_blas():
    """One BLAS thread in every pool, for a block of many small fits.

    The fits of a late fusion (one per modality, and one per modality and
    inner fold) or of a matching (CCA, a classifier per modality) are small:
    several BLAS threads inside each buy little on an idle machine and cost
    several times the time on a busy one (see the module's notes), so they
    run on one thread each and the cores go to fits in parallel
    (``n_jobs``). Process workers are limited by
    their tasks (:func:`budgeted`), whose share is one thread wherever the
    workers fill the cores.
    """
    with thread_limits(limits=1, user_api="blas"):
        yield


def n_workers(n_jobs):
    """Workers for an ``n_jobs`` parameter, one meaning across skmm.

    As scikit-learn's glossary says: None means 1 unless inside a
    ``joblib.parallel_config(n_jobs=...)`` context, which then decides; -1
    means all processors, -2 all but one, and so on. Inside budgeted work
    (see :func:`thread_budget`), local threads are capped by its budget.
    """
    from joblib import effective_n_jobs

    workers = max(1, effective_n_jobs(n_jobs))
    cap = _cap()
    if cap is not None and runs_in_threads():
        # Local threads inside budgeted work (a worker's task, a process
        # worker): never more than its budget.
        workers = min(workers, cap)
    return workers


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
    return _budgeted_map(function, argument_lists, n_jobs)


def _budgeted_map(function, argument_lists, n_jobs):
    k = n_workers(n_jobs)
    in_threads = runs_in_threads()
    if k == 1 or not in_threads:
        # One worker runs the tasks in the calling thread, with its threads
        # (and budget); process and distributed workers are capped by their
        # backend.
        yield from Parallel(
            n_jobs=1 if in_threads else n_jobs, prefer="threads", return_as="generator"
        )(delayed(function)(*arguments) for arguments in argument_lists)
        return
    n_threads = _share(k)
    # BLAS and OpenMP pools are shared by the threads: limited once here.
    with limit_threads(n_threads):
        task = functools.partial(_run_with_budget, function, n_threads, False)
        yield from Parallel(n_jobs=k, prefer="threads", return_as="generator")(
            delayed(task)(*arguments) for arguments in argument_lists
        )
