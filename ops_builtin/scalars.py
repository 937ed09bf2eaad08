"""A Python number written into a tensor of a given dtype, as PyTorch converts it.

``fill_``, ``masked_fill`` and constant ``pad`` take a scalar ``value`` and write it into a
tensor's dtype. PyTorch refuses a value the dtype cannot hold ("value cannot be converted to
type uint8_t without overflow": a float outside an integer dtype's range, -0.5 for uint8, NaN or
an infinity into an integer dtype), truncates floats
into integer dtypes (2.5 gives 2), and wraps Python integers that fit in int64 (-1 into uint8
gives 255). NumPy instead wraps or raises depending on the value's type, so every op writing a
scalar goes through ``checked_scalar``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["checked_scalar"]

# PyTorch's C++ names of the dtypes in its overflow message
_CPP_NAMES = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int", "int64": "int64_t"}


def checked_scalar(value: Any, dtype: Any) -> Any:
    """``value`` as a Python number ``dtype`` holds exactly as PyTorch would write it, or a
    RuntimeError in PyTorch's words when it would overflow."""
    kind = np.dtype(dtype)
    if kind.kind == "b":
        return bool(value)
    if kind.kind in "iu":
        info = np.iinfo(kind)
        if isinstance(value, (bool, np.bool_)):
            return int(value)
        if isinstance(value, (int, np.integer)):
            if not np.iinfo(np.int64).min <= int(value) <= np.iinfo(np.int64).max:
                raise _overflow(kind)
            return int(np.array(int(value), dtype=np.int64).astype(kind))  # wraps, as C++'s cast
        v = float(value)
        if not math.isfinite(v) or not info.min <= v <= info.max:  # before truncation: -0.5 overflows uint8
            raise _overflow(kind)
        return math.trunc(v)
    return value  # floating dtypes round as the backend casts (beyond float16's range: inf)


def _overflow(kind: np.dtype) -> RuntimeError:
    return RuntimeError(f"value cannot be converted to type {_CPP_NAMES.get(kind.name, kind.name)} without overflow")
