"""Fixtures shared by every test directory, and the rule that a ``gpu`` test
may not skip on a machine with a GPU."""

import os
import shutil

import pytest


def gpu_machine():
    """True on a machine with an NVIDIA GPU (a driver's device node or
    ``nvidia-smi``), or when ``SKMM_REQUIRE_GPU=1`` says so: there a skipped
    ``gpu`` test means the GPU paths were not tested, which fails the run."""
    if os.environ.get("SKMM_REQUIRE_GPU") == "1":
        return True
    if os.environ.get("SKMM_REQUIRE_GPU") == "0":
        return False
    return os.path.exists("/dev/nvidiactl") or shutil.which("nvidia-smi") is not None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.skipped and item.get_closest_marker("gpu") and gpu_machine():
        from skmm.utils._device import cuda_unavailable_reason

        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else ""
        report.outcome = "failed"
        report.longrepr = (
            f"gpu test skipped on a machine with a GPU ({reason}); CUDA is "
            f"unusable here: {cuda_unavailable_reason()}. A skipped gpu test "
            "fails where a GPU exists (SKMM_REQUIRE_GPU=0 to allow it)."
        )
    return report


@pytest.fixture
def spy_on(monkeypatch):
    """``spy_on(module, name, label, describe)`` wraps ``module.name`` so that
    each call appends ``(label, describe(first argument))`` to the list the
    fixture's calls return; the original still runs. Device-dispatch tests
    use it to see which kernel receives which kind of array."""

    def spy(calls, module, name, label, describe=type):
        original = getattr(module, name)

        def wrapped(first, *args, **kwargs):
            calls.append((label, describe(first)))
            return original(first, *args, **kwargs)

        monkeypatch.setattr(module, name, wrapped)

    return spy
