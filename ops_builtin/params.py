"""Checking the static integer params ops share (dims, sizes)."""

from __future__ import annotations

import operator
from typing import Any


def as_int(value: Any, what: str) -> int:
    """``value`` as an int: any integer (NumPy's included, via ``__index__``); a bool or a
    float is refused, not truncated. ``what`` names the param in the error (``"dim"``)."""
    if type(value) is int:
        return value
    if not isinstance(value, bool):
        try:
            return operator.index(value)
        except TypeError:
            pass
    raise TypeError(f"{what} must be an int or a sequence of ints, got an element of type {type(value).__name__}")
