"""Making tensors: from Python data, from NumPy, filled, ranged and random.

Python floats become the default float dtype (float32 unless changed), Python ints
int64, bools bool; a NumPy array keeps its dtype. Random numbers come from one
seeded generator (``manual_seed``).
"""

from __future__ import annotations

import numbers
from typing import Any, Sequence

import numpy as np

from . import dtypes as _dtypes
from .promotion import refuse_complex
from .tensor import Tensor, _wrap

__all__ = [
    "tensor", "as_tensor", "from_numpy", "ones", "zeros", "full", "empty", "arange", "linspace",
    "randn", "rand", "ones_like", "zeros_like", "full_like", "empty_like", "manual_seed",
]

ShapeArg = Any  # ints, or one sequence of ints: ones(2, 3) or ones((2, 3))

_generator: np.random.Generator | None = None  # made on first use: numpy.random is slow to import


def _rng() -> np.random.Generator:
    global _generator
    if _generator is None:
        _generator = np.random.default_rng()
    return _generator


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, scalars, NumPy arrays, tensors)."""
    return _finish(_to_array(data, dtype, copy=True), requires_grad)


def as_tensor(data: Any, dtype: Any = None) -> Tensor:
    """A tensor over ``data``, sharing memory with a NumPy array or tensor when no cast is needed."""
    if type(data) is Tensor and (dtype is None or data._data.dtype == _dtypes.to_numpy_dtype(dtype)):
        return data
    return _wrap(_to_array(data, dtype, copy=False))


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array``: writes to either show in both."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    if array.dtype.kind == "c":
        refuse_complex("from_numpy", f"an array of dtype {array.dtype}")
    _dtypes.from_numpy_dtype(array.dtype)  # refuses dtypes tapegrad cannot hold
    return _wrap(array)


def ones(*size: ShapeArg, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones of the given shape."""
    return _finish(np.ones(_shape(size), dtype=_float_or(dtype)), requires_grad)


def zeros(*size: ShapeArg, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros of the given shape."""
    return _finish(np.zeros(_shape(size), dtype=_float_or(dtype)), requires_grad)


def empty(*size: ShapeArg, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of the given shape whose values are unspecified."""
    return _finish(np.empty(_shape(size), dtype=_float_or(dtype)), requires_grad)


def full(size: Sequence[int], fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of shape ``size`` filled with ``fill_value`` (dtype inferred from it by default)."""
    _real_fill("full", fill_value)
    if dtype is None:
        dtype = _scalar_dtype(fill_value)
    return _finish(np.full(_shape((size,)), fill_value, dtype=_dtypes.to_numpy_dtype(dtype)), requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Values from ``start`` up to, not including, ``end``; int64 unless a bound is a float."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        dtype = _dtypes.get_default_dtype() if is_float else _dtypes.int64
    return _finish(np.arange(start, end, step, dtype=_dtypes.to_numpy_dtype(dtype)), requires_grad)


def linspace(start: float, end: float, steps: int, *, dtype: Any = None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    return _finish(np.linspace(start, end, steps, dtype=_float_or(dtype)), requires_grad)


def randn(*size: ShapeArg, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Samples of the standard normal distribution."""
    values = _rng().standard_normal(_shape(size))
    return _finish(values.astype(_float_or(dtype), copy=False), requires_grad)


def rand(*size: ShapeArg, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Samples of the uniform distribution on [0, 1)."""
    values = _rng().random(_shape(size))
    return _finish(values.astype(_float_or(dtype), copy=False), requires_grad)


def full_like(x: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor shaped like ``x`` filled with ``fill_value``, of ``x``'s dtype by default."""
    _real_fill("full_like", fill_value)
    shape = tuple(x.shape)
    np_dtype = _dtypes.to_numpy_dtype(dtype) if dtype is not None else _numpy_dtype_of(x)
    return _finish(np.full(shape, fill_value, dtype=np_dtype), requires_grad)


def ones_like(x: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones shaped like ``x``."""
    return full_like(x, 1, dtype=dtype, requires_grad=requires_grad)


def zeros_like(x: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros shaped like ``x``."""
    return full_like(x, 0, dtype=dtype, requires_grad=requires_grad)


def empty_like(x: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Unspecified values shaped like ``x``."""
    np_dtype = _dtypes.to_numpy_dtype(dtype) if dtype is not None else _numpy_dtype_of(x)
    return _finish(np.empty(tuple(x.shape), dtype=np_dtype), requires_grad)


def manual_seed(seed: int) -> None:
    """Reseed the generator behind ``randn`` and ``rand``, for reproducible runs."""
    global _generator
    _generator = np.random.default_rng(seed)


# ---------------------------------------------------------------------------- helpers
def _finish(array: np.ndarray, requires_grad: bool) -> Tensor:
    t = _wrap(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _shape(size: tuple) -> tuple[int, ...]:
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` alike."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in size):
        raise TypeError(f"size must be a sequence of ints, got {size!r}")
    if any(n < 0 for n in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(size)}")
    return tuple(int(n) for n in size)


def _float_or(dtype: Any) -> np.dtype:
    return _dtypes.get_default_dtype().numpy if dtype is None else _dtypes.to_numpy_dtype(dtype)


def _numpy_dtype_of(x: Any) -> np.dtype:
    if type(x) is Tensor:
        return x._data.dtype
    dtype = x.dtype
    return dtype.numpy if type(dtype) is _dtypes.DType else np.dtype(dtype)


def _real_fill(name: str, value: Any) -> None:
    """A complex fill value would lose its imaginary part to the cast: refuse it."""
    if isinstance(value, (complex, np.complexfloating)):
        refuse_complex(name, value)


def _scalar_dtype(value: Any) -> Any:
    if isinstance(value, (bool, np.bool_)):
        return _dtypes.bool
    if isinstance(value, numbers.Integral):
        return _dtypes.int64
    return _dtypes.get_default_dtype()


def _to_array(data: Any, dtype: Any, copy: bool) -> np.ndarray:
    """Convert user data to a NumPy array with tapegrad's dtype rules."""
    target = None if dtype is None else _dtypes.to_numpy_dtype(dtype)
    if type(data) is Tensor:
        source = data._data
        if not isinstance(source, np.ndarray):
            source = np.asarray(source)
        return np.array(source, dtype=target, copy=copy or None)
    if isinstance(data, (np.ndarray, np.generic)):
        array = np.array(data, dtype=target, copy=copy or None)
    else:
        try:
            array = np.array(data, dtype=target)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"could not make a tensor from {type(data).__name__}: {exc}") from None
        if target is None and array.dtype.kind == "f":
            array = array.astype(_dtypes.get_default_dtype().numpy, copy=False)
        elif target is None and array.dtype.kind in "iu":
            array = array.astype(np.int64, copy=False)
    if array.dtype.kind == "c":
        refuse_complex("tensor", data if np.ndim(data) == 0 else f"data of dtype {array.dtype}")
    if array.dtype not in _dtypes.SUPPORTED_NUMPY_DTYPES:
        raise TypeError(
            f"could not make a tensor from data of dtype {array.dtype} "
            f"(from {type(data).__name__}); tapegrad holds numbers and bools only"
        )
    return array

