"""Dimension and flag arguments, read PyTorch's way: for the core and for op authors.

An op's ``dim`` may be negative (counted from the end) and any integer type NumPy or
Python has, but never a bool or a float, which would be truncated silently. A flag
(``keepdim``, ``requires_grad``) is a bool, never a truthy string. Every op that takes
dims or flags goes through these functions, so the messages are the same everywhere.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

__all__ = ["as_int", "axis", "as_flag", "known_size", "known_numel", "INT64_MIN", "INT64_MAX"]

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def as_int(value: Any, what: str = "dim") -> int:
    """``value`` as an int: any integer (NumPy's included, via ``__index__``); a bool or a
    float is refused, not truncated. ``what`` names the param in the error."""
    if type(value) is int:
        return value
    if not isinstance(value, bool):
        try:
            return operator.index(value)
        except TypeError:
            pass
    raise TypeError(f"{what} must be an int or a sequence of ints, got an element of type {type(value).__name__}")


def axis(dim: Any, ndim: int, what: str = "dim") -> int:
    """``dim`` as a non-negative axis of an ``ndim``-d tensor (a 0-d tensor accepts 0 and -1)."""
    d = as_int(dim, what)
    low, high = (-ndim, ndim - 1) if ndim else (-1, 0)
    if not low <= d <= high:
        raise IndexError(f"Dimension out of range (expected to be in range of [{low}, {high}], but got {d})")
    return d % ndim if ndim else 0


def as_flag(value: Any, what: str) -> bool:
    """``value`` as a bool: True, False or a NumPy bool; anything else (``"no"``, ``1``,
    None) is a TypeError, as in PyTorch, never silently truthy. ``what`` names the argument."""
    if value is True or value is False:
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    raise TypeError(f"argument '{what}' must be bool, not {type(value).__name__}")


def known_size(n: Any, what: str) -> int:
    """``n``, a dimension's size, where a computation needs its value: a lazy backend's unknown
    size (NaN, or None) is refused with ``UnknownSizeError`` naming ``what`` needs it, never used
    in arithmetic (``nan < 4`` is False: a loop over it would silently not run)."""
    if n is None or n != n:
        from .backends import UNKNOWN_SIZE_ADVICE, UnknownSizeError

        raise UnknownSizeError(f"{what} needs the size of a dimension that is unknown until computed (NaN: "
                               f"the chunk sizes of a Dask array after a boolean mask); {UNKNOWN_SIZE_ADVICE}")
    return n


def known_numel(shape: Any, what: str) -> int:
    """The number of elements of ``shape``, each size checked by ``known_size`` (a mean's divisor,
    a batch size): refused, not NaN, where a size is unknown."""
    n = 1
    for size in shape:
        n *= known_size(size, what)
    return n
