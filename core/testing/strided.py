"""The kit's strided-view inputs: a sample's values given as non-contiguous views of a larger base.

Every other input the kit builds is fresh and C-contiguous, so an op's code for other layouts
(``view`` refusing a transposed tensor as PyTorch's does, a rule assuming row-major memory, a
forward reading past a view into its base) would never run. Here each array input is made with
tapegrad's own view ops (``getitem`` with a step, ``permute``), under ``no_grad`` and then made a
leaf, so tapegrad knows its strides (``ops_builtin.strides.layout``) as PyTorch would: a step of 2
along the first dimension of size above 1 (rows apart; a vector's elements apart), whose base holds
a filler (NaN for floats) between the values; a transposed copy transposed back (column-major: every
dimension apart; on NumPy, a leaf over a column-major array, as ``from_numpy(a.T)`` makes it, whose
strides PyTorch keeps); the first half of rows twice as wide, the filler in the rest (the last dimension
apart from the others, which stay contiguous with each other). A negative stride is no layout a
PyTorch tensor can have (``x[::-1]`` is refused), so none is made.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from ..grad_mode import no_grad
from ..tensor import Tensor

__all__ = ["LAYOUTS", "layouts_for", "strided_view"]

LAYOUTS = ("every other row", "transposed", "half of wider rows")


def layouts_for(arrays: list[Any]) -> tuple[str, ...]:
    """The layouts that differ from a contiguous one for some of ``arrays``: none for 0-d or
    one-element inputs, the transposed one only where some input has two dimensions above size 1, the
    half rows only where some input has rows (two dimensions or more, more than one row)."""
    shapes = [a.shape for a in arrays if isinstance(a, np.ndarray)]
    if not any(n > 1 for shape in shapes for n in shape):
        return ()
    transposed = any(sum(n > 1 for n in shape) >= 2 for shape in shapes)
    half = any(len(shape) >= 2 and math.prod(shape[:-1]) > 1 for shape in shapes)
    return tuple(name for name, used in zip(LAYOUTS, (True, transposed, half)) if used)


def _filler(dtype: np.dtype) -> Any:
    """What the base holds between a stepped view's values: a value a forward reading it would show."""
    if dtype.kind in "fc":
        return np.nan
    if dtype.kind in "iu":
        return np.iinfo(dtype).max
    return True


def strided_view(make: Callable[[np.ndarray], Tensor], array: np.ndarray, layout: str,
                 user_memory: bool = False) -> tuple[Tensor, Tensor]:
    """``(view, base)``: ``array``'s values as a view in ``layout`` of a contiguous base that ``make``
    builds from a NumPy array (a leaf on some backend). An array no layout changes is its own base.
    ``user_memory``: ``make`` keeps a NumPy array's own strides (NumPy's, as ``from_numpy``): the
    transposed layout is then a leaf over a column-major array (``from_numpy(a.T)``), its own base,
    so the op meets the strides PyTorch keeps from a user's array."""
    big = [d for d, n in enumerate(array.shape) if n > 1]
    with no_grad():
        if layout == "transposed" and len(big) >= 2 and user_memory:
            base = make(np.asfortranarray(array))
            return base, base
        if layout == "transposed" and len(big) >= 2:
            base = make(np.ascontiguousarray(np.transpose(array)))
            return base.permute(*reversed(range(array.ndim))), base
        if layout == "half of wider rows" and array.ndim >= 2 and math.prod(array.shape[:-1]) > 1:
            buffer = np.full(array.shape[:-1] + (2 * array.shape[-1],), _filler(array.dtype), dtype=array.dtype)
            buffer[..., :array.shape[-1]] = array
            base = make(buffer)
            return base[..., :array.shape[-1]], base
        if not big or layout != LAYOUTS[0]:
            base = make(array)
            return base, base
        d = big[0]
        shape = list(array.shape)
        shape[d] *= 2
        buffer = np.full(shape, _filler(array.dtype), dtype=array.dtype)
        every_other = (slice(None),) * d + (slice(None, None, 2),)
        buffer[every_other] = array
        base = make(buffer)
        return base[every_other], base
