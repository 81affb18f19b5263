"""Device resolution tells the truth: ``device="cuda"``/``"auto"`` need CuPy
to import, see a device, compile and run a kernel, and reach cuBLAS and
cuFFT; what is missing is named, with how to install it."""

import sys
import types
import warnings

import numpy as np
import pytest

from skmm.exceptions import DeviceFallbackWarning
from skmm.utils import _device


class _Array:
    """Just enough of a CuPy array for the probe: arithmetic through NumPy."""

    def __init__(self, values):
        self.values = np.asarray(values)

    def __matmul__(self, other):
        return _Array(self.values @ other.values)

    def __getitem__(self, key):
        return _Array(self.values[key])

    @property
    def real(self):
        return _Array(self.values.real)

    def sum(self):
        return _Array(self.values.sum())

    def __float__(self):
        return float(self.values)


def _fake_cupy(*, devices=1, kernel=True, cublas=True, cufft=True):
    """A module that behaves as CuPy with some CUDA library missing."""

    def fail(name):
        raise RuntimeError(f"{name} not found: lib{name}.so.12: cannot open")

    def elementwise_kernel(in_params, out_params, body, name):
        if not kernel:
            fail("nvrtc")
        return lambda x: _Array(x.values * x.values + 1)

    def asarray(values, dtype=None):
        array = _Array(np.asarray(values, dtype=dtype))
        if not cublas:
            array.__class__ = type(
                "_NoBlas", (_Array,), {"__matmul__": lambda *a: fail("cublas")}
            )
        return array

    def rfft(x):
        if not cufft:
            fail("cufft")
        return _Array(np.fft.rfft(x.values))

    module = types.ModuleType("cupy")
    module.float32 = np.float32
    module.ElementwiseKernel = elementwise_kernel
    module.asarray = asarray
    module.arange = lambda n, dtype=None: _Array(np.arange(n, dtype=dtype))
    module.ones = lambda n, dtype=None: _Array(np.ones(n, dtype=dtype))
    module.fft = types.SimpleNamespace(rfft=rfft)
    module.cuda = types.SimpleNamespace(
        runtime=types.SimpleNamespace(getDeviceCount=lambda: devices)
    )
    return module


@pytest.fixture
def fresh(monkeypatch):
    """Forget the cached probe (and the 'warned once' flag) around a test."""
    _device.cuda_status.cache_clear()
    monkeypatch.setattr(_device, "_warned_auto", [])
    yield monkeypatch
    _device.cuda_status.cache_clear()


def test_a_working_cupy_is_available(fresh):
    fresh.setitem(sys.modules, "cupy", _fake_cupy())
    assert _device.cuda_is_available()
    assert _device.cuda_unavailable_reason() is None
    assert _device.resolve_device("auto") == "cuda"
    assert _device.resolve_device("cuda") == "cuda"


@pytest.mark.parametrize(
    "broken, named",
    [
        (dict(devices=0), "no CUDA device"),
        (dict(kernel=False), "NVRTC"),
        (dict(cublas=False), "cuBLAS"),
        (dict(cufft=False), "cuFFT"),
    ],
    ids=["no-device", "no-nvrtc", "no-cublas", "no-cufft"],
)
def test_what_is_missing_is_named(fresh, broken, named):
    fresh.setitem(sys.modules, "cupy", _fake_cupy(**broken))
    assert not _device.cuda_is_available()
    with pytest.raises(RuntimeError, match=named) as error:
        _device.resolve_device("cuda")
    assert "cupy-cuda12x[ctk]" in str(error.value)
    assert "CUDA 12 toolkit" in str(error.value)
    # "auto" falls back to the CPU, warning once per process.
    with pytest.warns(DeviceFallbackWarning, match=named):
        assert _device.resolve_device("auto") == "cpu"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _device.resolve_device("auto") == "cpu"


def test_auto_is_silent_without_cupy(fresh):
    fresh.setitem(sys.modules, "cupy", None)  # import cupy raises ImportError
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _device.resolve_device("auto") == "cpu"
    assert _device.cuda_unavailable_reason().startswith("CuPy is not installed")
    with pytest.raises(RuntimeError, match="CuPy is not installed.*skmm\\[gpu\\]"):
        _device.resolve_device("cuda")


def test_a_warning_at_import_does_not_hide_the_gpu(fresh, tmp_path):
    # Under pytest's filterwarnings = error, a CuPy that warns when imported
    # used to read as "no CUDA", and every gpu test skipped in silence.
    package = tmp_path / "cupy"
    package.mkdir()
    (package / "__init__.py").write_text(
        "import warnings\n"
        "from test_device import _fake_cupy\n"
        "warnings.warn('CUDA path could not be detected', UserWarning)\n"
        "globals().update(\n"
        "    (k, v) for k, v in vars(_fake_cupy()).items() if not k.startswith('__')\n"
        ")\n"
    )
    fresh.delitem(sys.modules, "cupy", raising=False)
    fresh.syspath_prepend(str(tmp_path))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _device.cuda_is_available()
    # Not monkeypatch's delitem: it would put the fake back on undo (a CuPy
    # absent before was not recorded), for every later test to find.
    sys.modules.pop("cupy", None)


def test_the_gpu_extra_pins_a_cupy_for_the_numpy_skmm_allows():
    import tomllib
    from pathlib import Path

    from packaging.requirements import Requirement
    from packaging.version import Version

    pyproject = Path(__file__).parents[2] / "pyproject.toml"
    project = tomllib.loads(pyproject.read_text())["project"]
    (gpu,) = [Requirement(r) for r in project["optional-dependencies"]["gpu"]]
    assert gpu.name == "cupy-cuda12x" and "ctk" in gpu.extras
    # CuPy supports NumPy 2.4 (what the tests run with) from 14.2 on, and
    # keeps an upper bound to the major version skmm was tested with.
    assert not gpu.specifier.contains(Version("14.1.0"))
    assert gpu.specifier.contains(Version("14.2.0"))
    assert not gpu.specifier.contains(Version("15.0.0"))
    (numpy,) = [
        Requirement(r) for r in project["dependencies"] if r.startswith("numpy")
    ]
    assert numpy.specifier.contains(np.__version__)


_SKIPPING_GPU_TEST = """
import pytest

@pytest.mark.gpu
@pytest.mark.skipif(True, reason="needs CuPy and a CUDA device")
def test_on_gpu():
    pass

def test_on_cpu():
    pytest.skip("not a gpu test: may skip")
"""


@pytest.mark.parametrize("on_gpu_machine", ["1", "0"])
def test_a_skipped_gpu_test_fails_on_a_gpu_machine(tmp_path, on_gpu_machine):
    import os
    import shutil
    import subprocess
    from pathlib import Path

    shutil.copy(Path(__file__).parents[1] / "conftest.py", tmp_path)
    (tmp_path / "test_skipping.py").write_text(_SKIPPING_GPU_TEST)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "markers=gpu: needs a GPU",
            str(tmp_path),
        ],
        env=dict(os.environ, SKMM_REQUIRE_GPU=on_gpu_machine),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    if on_gpu_machine == "1":
        assert result.returncode == 1, result.stdout
        assert "1 skipped, 1 error" in result.stdout
        assert "gpu test skipped on a machine with a GPU" in result.stdout
    else:
        assert result.returncode == 0, result.stdout
        assert "2 skipped" in result.stdout
