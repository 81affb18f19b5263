"""Thread budget: workers share the cores instead of multiplying threads."""

import pickle
import sys
import types

import numba
import pytest
from joblib import Parallel, cpu_count, delayed, parallel_config
from threadpoolctl import threadpool_info

from skmm.utils import _parallel
from skmm.utils._parallel import (
    budgeted,
    budgeted_blas,
    limit_threads,
    n_workers,
    parallel_map,
    thread_budget,
    thread_limits,
)


def _threads():
    """What the calling thread would use: skmm's workers, Numba's threads,
    and each BLAS / OpenMP pool's threads."""
    pools = {info["internal_api"]: info["num_threads"] for info in threadpool_info()}
    return {
        "skmm": n_workers(-1),
        "budget": thread_budget(),
        "numba": numba.get_num_threads(),
        **pools,
    }


def _nested(_):
    """Threads seen inside a task, and inside a task of a nested map."""
    inner = list(parallel_map(_threads, [()] * 2, n_jobs=-1))
    return _threads(), inner


def test_thread_workers_each_get_their_share_and_it_is_restored():
    before = _threads()
    share = max(1, cpu_count() // 2)
    results = list(parallel_map(_nested, [(i,) for i in range(4)], n_jobs=2))
    assert len(results) == 4
    for seen, inner in results:
        assert set(seen.values()) == {share}, seen
        # A map inside a worker asks for no more than the worker's share.
        for nested in inner:
            assert max(nested.values()) <= share, nested
    assert _threads() == before


def _pools(threads):
    # joblib itself reports one worker for nested work inside any Parallel
    # call, so only the thread pools are compared.
    return {key: value for key, value in threads.items() if key != "skmm"}


def test_one_worker_keeps_the_callers_threads():
    before = _threads()
    (seen,) = parallel_map(_threads, [()], n_jobs=1)
    assert _pools(seen) == _pools(before)


def test_limit_threads_caps_every_pool_and_restores():
    before = _threads()
    with limit_threads(1):
        inside = _threads()
    assert set(inside.values()) == {1}, inside
    assert _threads() == before


def test_process_worker_cap_is_read_only_inside_joblib_workers(monkeypatch):
    # joblib's process workers get OMP_NUM_THREADS (and the others) set to
    # their share; a nested joblib worker (here a thread of the threading
    # backend) reads it. Outside any worker a user's OMP_NUM_THREADS=1 caps
    # BLAS but not the n_jobs asked of skmm.
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert n_workers(-1) == max(1, cpu_count())
    inside = Parallel(n_jobs=2, backend="threading")(
        delayed(n_workers)(-1) for _ in range(2)
    )
    assert inside == [1, 1]


def test_budgeted_tasks_pickle_and_run_under_their_share():
    share = max(1, cpu_count() // 2)
    task = budgeted(_threads, 2)
    assert pickle.loads(pickle.dumps(task))()["numba"] == share
    with budgeted_blas(2):
        seen = Parallel(n_jobs=2, backend="threading")(
            delayed(task)() for _ in range(2)
        )
    for threads in seen:
        assert set(threads.values()) == {share}, threads


def test_other_backends_are_left_to_joblib():
    before = _threads()
    with parallel_config(backend="sequential"):
        (seen,) = parallel_map(_threads, [()], n_jobs=2)
    assert _pools(seen) == _pools(before)


@pytest.mark.parametrize("n_jobs", [None, 1, 2, -1])
def test_n_workers_outside_workers_is_joblibs(n_jobs):
    from joblib import effective_n_jobs

    assert n_workers(n_jobs) == max(1, effective_n_jobs(n_jobs))


def test_thread_limits_limits_and_restores_like_threadpoolctl():
    before = [(i["filepath"], i["num_threads"]) for i in threadpool_info()]
    with thread_limits(limits=1, user_api="blas"):
        for info in threadpool_info():
            if info["user_api"] == "blas":
                assert info["num_threads"] == 1
    assert [(i["filepath"], i["num_threads"]) for i in threadpool_info()] == before


def test_thread_limits_rescans_libraries_only_after_imports(monkeypatch):
    # Scanning the loaded libraries costs milliseconds; a new import may have
    # loaded a thread pool, so it is scanned again then.
    first = _parallel._threadpool_controller()
    assert _parallel._threadpool_controller() is first
    monkeypatch.setitem(sys.modules, "skmm_test_new_module", types.ModuleType("m"))
    second = _parallel._threadpool_controller()
    assert second is not first
    assert _parallel._threadpool_controller() is second
