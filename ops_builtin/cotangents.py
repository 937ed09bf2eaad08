"""Cotangents that are one value broadcast, kept one value where a VJP scales them.

Every ``sum`` and ``mean`` hands its inputs a cotangent that is a single number broadcast to
their shape (strides all 0 on NumPy). A VJP of the form ``c * g * f(x)`` then spends a whole
pass over the array on ``c * g`` before the product that matters; with ``g`` one value,
``(c * g)`` is a scalar and ``f(x) * (c * g)`` is the only pass, as a NumPy expert writes it
(``r *= 2 / n``). The result is the same number for each element: ``c`` is a constant whose
products round exactly (a power of two) in the VJPs that use this.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tapegrad.backward_reuse import donatable

__all__ = ["scale", "times"]


def scale(g: Any, c: float) -> Any:
    """``c * g``: a scalar of ``g``'s dtype when ``g`` is one NumPy value broadcast, else the array."""
    if type(g) is np.ndarray and g.size > 1 and not any(g.strides):  # empty and 0-d: as they are
        return g.flat[0] * c
    return g * c


def times(c: Any, x: Any) -> Any:
    """``c * x`` for ``x`` a saved input that only the calling rule reads: written into ``x`` when
    the backward running frees it and nothing else holds it (``tapegrad.backward_reuse``), as a
    NumPy expert's ``r *= 2 / n``. The same bits either way (operands in that order)."""
    if donatable(x, 2) and getattr(c, "dtype", None) == x.dtype and np.shape(c) in ((), x.shape):
        return np.multiply(c, x, out=x)
    return c * x
