"""Reductions over dimensions: sum, mean.

``dim`` is None (every dimension), an int, or a sequence of ints, negative ones
counting from the end; ``keepdim`` keeps reduced dimensions with size 1. NumPy's
``axis``/``keepdims`` spellings are accepted too.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from tapegrad.testing.samples import Sample

if TYPE_CHECKING:
    from tapegrad import Registry

REDUCTION_PARAMS = dict(params=("dim", "keepdim"), param_aliases={"axis": "dim", "keepdims": "keepdim"})


def _as_dim(d: Any) -> int:
    """One dimension: any integer (NumPy's included, via ``__index__``), never a bool or a float."""
    if type(d) is int:
        return d
    if not isinstance(d, bool):
        try:
            return operator.index(d)
        except TypeError:
            pass
    raise TypeError(f"dim must be an int or a sequence of ints, got {type(d).__name__}")


def reduced_axes(dim: Any, ndim: int) -> tuple[int, ...]:
    """``dim`` as a sorted tuple of non-negative axes; None or an empty sequence means all."""
    if dim is None:
        return tuple(range(ndim))
    if type(dim) is tuple or type(dim) is list:
        dims = tuple([_as_dim(d) for d in dim])
    else:
        try:
            dims = (_as_dim(dim),)
        except TypeError:
            if not isinstance(dim, Iterable) or isinstance(dim, (str, bytes)):
                raise
            dims = tuple([_as_dim(d) for d in dim])
    if not dims:
        return tuple(range(ndim))
    low, high = (-ndim, ndim - 1) if ndim else (-1, 0)
    axes = []
    for d in dims:
        if not low <= d <= high:
            raise IndexError(f"Dimension out of range (expected to be in range of [{low}, {high}], but got {d})")
        axis = d % ndim if ndim else 0
        if axis in axes:
            raise RuntimeError(f"dim {axis} appears multiple times in the list of dims")
        axes.append(axis)
    return tuple(sorted(axes)) if ndim else ()


def kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """``shape`` with every reduced axis set to 1: where a reduction's cotangent broadcasts from."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _count(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    n = 1
    for axis in axes:
        n *= shape[axis]
    return n


def _sum(xp: Any, x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """Sum of elements over ``dim`` (every dimension by default)."""
    return xp.sum(x, axis=reduced_axes(dim, x.ndim), keepdims=keepdim)


def _sum_vjp(xp: Any, g: Any, ans: Any, x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    axes = reduced_axes(dim, x.ndim)
    return xp.broadcast_to(xp.reshape(g, kept_shape(x.shape, axes)), x.shape)


def _mean(xp: Any, x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """Mean of elements over ``dim`` (every dimension by default); floating inputs only."""
    if not xp.isdtype(x.dtype, ("real floating", "complex floating")):
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or "
            f"complex dtype. Got: {x.dtype}; convert the tensor with .to(tapegrad.float32) first"
        )
    return xp.mean(x, axis=reduced_axes(dim, x.ndim), keepdims=keepdim)


def _mean_vjp(xp: Any, g: Any, ans: Any, x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    axes = reduced_axes(dim, x.ndim)
    return xp.broadcast_to(xp.reshape(g / _count(x.shape, axes), kept_shape(x.shape, axes)), x.shape)


SAMPLES = [
    Sample((2, 3)), Sample((2, 3), dim=0), Sample((2, 3, 4), dim=(0, -1), keepdim=True),
    Sample((3,), dim=-1, keepdim=True), Sample(()),
]


def register(registry: Registry) -> None:
    registry.register_op("sum", forward=_sum, vjp=(_sum_vjp,), saves=(), methods=("sum",),
                         samples=SAMPLES, **REDUCTION_PARAMS)
    registry.register_op("mean", forward=_mean, vjp=(_mean_vjp,), saves=(), methods=("mean",),
                         samples=SAMPLES, **REDUCTION_PARAMS)
