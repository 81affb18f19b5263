"""A stand-in ``cupy`` module, so that the ``device="cuda"`` paths run on a
machine without a GPU.

Its arrays are NumPy arrays of a subclass, :class:`ndarray`, that plays the
part of memory on the device: ``cupy.asarray`` "copies to the GPU" by viewing
as the subclass, ``.get()`` and ``cupy.asnumpy`` copy back to plain NumPy,
and the module's functions return the subclass. Like CuPy, a ufunc refuses to
mix a device array with a host array of one or more dimensions, so a
constant the GPU code forgot to copy over raises ``TypeError`` here as it
would on a GPU. What the stand-in cannot catch: implicit conversions that
NumPy allows on a subclass (``np.asarray(device_array)`` silently views it
as host memory, where CuPy raises) show up only as a host array in an output
that should have stayed on the device, which the tests check.

:func:`install` puts it in ``sys.modules`` and makes ``resolve_device``
report a CUDA device; ``skmm.utils._device.is_cupy_array`` then recognises
its arrays exactly as it recognises CuPy's.
"""

import sys
import types

import numpy as np


class ndarray(np.ndarray):
    """A NumPy array standing in for an array in GPU memory."""

    def get(self):
        return np.array(self, subok=False)

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        operands = inputs + (out or ())
        for operand in operands:
            if (
                isinstance(operand, np.ndarray)
                and not isinstance(operand, ndarray)
                and operand.ndim > 0
            ):
                raise TypeError(
                    f"{ufunc.__name__} mixes a device array with a host array "
                    f"of shape {operand.shape}; copy it with cupy.asarray."
                )
        host = [_host(x) for x in inputs]
        if out is not None:
            kwargs["out"] = tuple(_host(x) for x in out)
        result = getattr(ufunc, method)(*host, **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        if isinstance(result, tuple):
            return tuple(_device(r) for r in result)
        return _device(result)


def _host(x):
    return x.view(np.ndarray) if isinstance(x, ndarray) else x


def _device(x):
    return x.view(ndarray) if type(x) is np.ndarray else x


def _returning_device_arrays(function):
    def wrapped(*args, **kwargs):
        result = function(*args, **kwargs)
        if isinstance(result, tuple):
            return tuple(_device(r) for r in result)
        if isinstance(result, list):
            return [_device(r) for r in result]
        return _device(result)

    wrapped.__name__ = getattr(function, "__name__", "function")
    return wrapped


def _module(name, numpy_module, **extra):
    module = types.ModuleType(name)

    def __getattr__(attribute):
        value = getattr(numpy_module, attribute)
        if callable(value) and not isinstance(value, type | np.ufunc):
            return _returning_device_arrays(value)
        return value

    module.__getattr__ = __getattr__
    for key, value in extra.items():
        setattr(module, key, value)
    return module


def asarray(array, dtype=None):
    if isinstance(array, ndarray) and (dtype is None or array.dtype == dtype):
        return array
    return np.array(_host(array), dtype=dtype, copy=True).view(ndarray)


def asnumpy(array):
    return np.array(array, subok=False)


def make_module():
    """A fresh stand-in ``cupy`` module."""
    runtime = types.SimpleNamespace(getDeviceCount=lambda: 1)
    return _module(
        "cupy",
        np,
        ndarray=ndarray,
        asarray=asarray,
        asnumpy=asnumpy,
        fft=_module("cupy.fft", np.fft),
        linalg=_module("cupy.linalg", np.linalg),
        cuda=types.SimpleNamespace(runtime=runtime),
    )


def install(monkeypatch):
    """Install the stand-in as ``cupy`` for one test; returns the module."""
    from skmm.utils import _device

    module = make_module()
    monkeypatch.setitem(sys.modules, "cupy", module)
    monkeypatch.setattr(_device, "cuda_is_available", lambda: True)
    return module
