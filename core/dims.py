"""Dimension arguments, read PyTorch's way: for the core and for op authors.

An op's ``dim`` may be negative (counted from the end) and any integer type NumPy or
Python has, but never a bool or a float, which would be truncated silently. Every op
that takes dims goes through these two functions, so the messages are the same
everywhere.
"""

from __future__ import annotations

import operator
from typing import Any

__all__ = ["as_int", "axis"]


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
