"""The namespace ops receive on Dask: ``array_api_compat.dask.array``, with what Dask's array API
lacks for autograd filled in, lazily.

- ``reshape``: Dask reshapes lazily only when the chunks line up with the new shape; otherwise
  the array is rechunked first (whole along the reshaped dimensions), still without computing.
- ``broadcast_to`` to a shape with an unknown (NaN) size cannot be built: a clear error says so
  and how to learn the sizes, instead of a failure deep inside the computation.
"""

from __future__ import annotations

import math
from typing import Any

import array_api_compat.dask.array as _compat
import numpy as np

from tapegrad.backends import UNKNOWN_SIZE_ADVICE, UnknownSizeError

__name__ = "tapegrad_dask.namespace"  # noqa: A001 - shown in tapegrad's messages


def __getattr__(name: str) -> Any:
    return getattr(_compat, name)


def reshape(x: Any, /, shape: tuple[int, ...], *, copy: bool | None = None) -> Any:
    """``x`` in ``shape``, rechunked first where Dask cannot reshape its chunks as they are; with an
    unknown size, only inserting or removing dimensions of size 1 (by indexing, which Dask can do)."""
    if _unknown(x.shape) or _unknown(shape):
        return _unit_reshape(x, tuple(shape))
    try:
        return _compat.reshape(x, shape, copy=copy)
    except NotImplementedError:
        return _compat.reshape(x.rechunk(-1), shape, copy=copy)


def _unknown(shape: Any) -> bool:
    return any(n is None or n != n for n in shape)


def _same(n: Any, m: Any) -> bool:
    return n == m or (_unknown((n,)) and _unknown((m,)))


def _unit_reshape(x: Any, shape: tuple[Any, ...]) -> Any:
    """``x`` (some size unknown) in ``shape`` when ``shape`` is ``x.shape`` with dimensions of size 1
    inserted or removed: an index of ``None`` and ``0``; any other reshape needs the sizes. A ``-1``
    stands for the one unknown size where the known sizes account for the rest."""
    unknown = [n for n in x.shape if _unknown((n,))]
    if -1 in shape and len(unknown) == 1 and math.prod(n for n in x.shape if not _unknown((n,))) == \
            -math.prod(shape):
        shape = tuple(unknown[0] if n == -1 else n for n in shape)
    key: list[Any] = []
    i = j = 0
    while i < x.ndim or j < len(shape):
        if i < x.ndim and j < len(shape) and _same(x.shape[i], shape[j]):
            key.append(slice(None))
            i, j = i + 1, j + 1
        elif j < len(shape) and shape[j] == 1:
            key.append(None)
            j += 1
        elif i < x.ndim and x.shape[i] == 1:
            key.append(0)
            i += 1
        else:
            raise UnknownSizeError(
                f"cannot reshape an array of shape {tuple(x.shape)} to {shape}: a size is unknown until computed "
                f"(NaN: the chunk sizes of a Dask array after a boolean mask), so only dimensions of size 1 can be "
                f"added or removed; {UNKNOWN_SIZE_ADVICE}")
    return x[tuple(key)]


def broadcast_to(x: Any, /, shape: tuple[int, ...]) -> Any:
    """``x`` broadcast to ``shape``, refused clearly when a size in ``shape`` is unknown."""
    if _unknown(shape):
        raise UnknownSizeError(
            f"cannot broadcast to a shape with an unknown size {tuple(shape)}: the Dask array's chunk sizes are not "
            f"known until computed (a boolean mask made them so); {UNKNOWN_SIZE_ADVICE}")
    if x.size == 1 and math.prod(shape) * x.dtype.itemsize > 2 ** 27:
        # one value spread over a big shape (the cotangent of a sum): in Dask's default that is one
        # chunk the size of the whole array, which would be materialised at once; chunk it instead
        import dask.array as da

        return da.broadcast_to(_compat.reshape(x, ()), shape,
                               chunks=da.core.normalize_chunks("auto", shape, dtype=x.dtype))
    return _compat.broadcast_to(x, shape)


def _reduced_shape(x: Any, axis: Any, keepdims: bool) -> tuple[int, ...]:
    axes = range(x.ndim) if axis is None else [a % x.ndim for a in ((axis,) if isinstance(axis, int) else axis)]
    return tuple(1 if k in axes else n for k, n in enumerate(x.shape) if keepdims or k not in axes)


def _empty_safe(name: str) -> Any:
    reduce = getattr(_compat, name)
    blockwise = getattr(np, name)

    def block_extremum(block: Any, axis: Any = None, keepdims: bool = False, **_: Any) -> Any:
        if block.size:
            return blockwise(block, axis=axis, keepdims=keepdims)
        # an empty block (a mask dropped all its rows): its part of the result, empty where the
        # kept dimensions are, else the reduction's identity (callers refuse empty extrema themselves)
        axes = range(block.ndim) if axis is None else [a % block.ndim for a in np.atleast_1d(axis)]
        shape = [1 if k in axes else n for k, n in enumerate(block.shape) if keepdims or k not in axes]
        if block.dtype.kind == "f":
            identity: Any = -np.inf if name == "max" else np.inf
        elif block.dtype.kind == "b":
            identity = name == "min"
        else:
            identity = np.iinfo(block.dtype).min if name == "max" else np.iinfo(block.dtype).max
        return np.full(shape, identity, dtype=block.dtype)

    def extremum(x: Any, /, *, axis: Any = None, keepdims: bool = False) -> Any:
        if _unknown(x.shape):  # a block may turn out empty, which Dask's own reduction cannot take
            import dask.array as da

            return da.reduction(x, block_extremum, block_extremum, axis=axis, keepdims=keepdims, dtype=x.dtype)
        shape = _reduced_shape(x, axis, keepdims)
        if x.size == 0 and math.prod(shape) == 0:  # Dask would reduce each empty chunk, which NumPy refuses
            return _compat.zeros(shape, dtype=x.dtype)
        return reduce(x, axis=axis, keepdims=keepdims)

    extremum.__name__ = name
    extremum.__doc__ = (f"Dask's ``{name}``; an empty result from an empty array is made, not reduced, and with a "
                        "size unknown, blocks that turn out empty are taken.")
    return extremum


def _sized_arg(name: str) -> Any:
    reduce = getattr(_compat, name)

    def arg_extremum(x: Any, /, *, axis: Any = None, keepdims: bool = False) -> Any:
        axes = range(x.ndim) if axis is None else [axis % x.ndim]
        if _unknown([x.shape[a] for a in axes]):  # Dask builds it, then fails computing the flat index
            raise UnknownSizeError(f"{name} along a dimension of unknown size (shape {tuple(x.shape)}) needs its size; "
                                   f"{UNKNOWN_SIZE_ADVICE}")
        return reduce(x, axis=axis, keepdims=keepdims)

    arg_extremum.__name__ = name
    arg_extremum.__doc__ = f"Dask's ``{name}``, refused along a dimension of unknown size (Dask fails computing it)."
    return arg_extremum


def var(x: Any, /, *, axis: Any = None, correction: float = 0.0, keepdims: bool = False) -> Any:
    """Dask's ``var``; with a size unknown, as sums (Dask's moments of a block a mask emptied are NaN,
    and so, silently, was the result)."""
    if not _unknown(x.shape):
        return _compat.var(x, axis=axis, correction=correction, keepdims=keepdims)
    ones = _compat.ones_like(x)
    mean = _compat.sum(x, axis=axis, keepdims=True) / _compat.sum(ones, axis=axis, keepdims=True)
    count = _compat.sum(ones, axis=axis, keepdims=keepdims)
    dof = _compat.maximum(count - correction, _compat.zeros_like(count))  # NumPy's: 0 / 0 is NaN where N <= correction
    return _compat.sum((x - mean) ** 2, axis=axis, keepdims=keepdims) / dof


def std(x: Any, /, *, axis: Any = None, correction: float = 0.0, keepdims: bool = False) -> Any:
    """The square root of ``var`` (so right with a size unknown too)."""
    if not _unknown(x.shape):
        return _compat.std(x, axis=axis, correction=correction, keepdims=keepdims)
    return _compat.sqrt(var(x, axis=axis, correction=correction, keepdims=keepdims))


def _sized_scan(name: str) -> Any:
    scan = getattr(_compat, name)

    def cumulative(x: Any, /, *, axis: Any = None, **options: Any) -> Any:
        if _unknown(x.shape) and (axis is None or _unknown((x.shape[axis],)) or len(x.chunks[axis]) > 1):
            # Dask carries each block's last value to the next: along a dimension of unknown size a
            # block the mask emptied makes the result come out short (silently); along another one,
            # the carry, shaped with the unknown size, fails when computed. One block along it is fine.
            raise UnknownSizeError(f"{name} along a dimension of unknown size (shape {tuple(x.shape)}) needs its "
                                   f"size; {UNKNOWN_SIZE_ADVICE}")
        return scan(x, axis=axis, **options)

    cumulative.__name__ = name
    cumulative.__doc__ = (f"Dask's ``{name}``, refused on an array of unknown size unless along a known dimension in "
                          "one block (elsewhere Dask's comes out wrong, or fails when computed).")
    return cumulative


cumsum = _sized_scan("cumsum")
cumprod = _sized_scan("cumprod")
cumulative_sum = _sized_scan("cumulative_sum")
cumulative_prod = _sized_scan("cumulative_prod")
argmax = _sized_arg("argmax")
argmin = _sized_arg("argmin")
max = _empty_safe("max")  # noqa: A001 - the array API's names
min = _empty_safe("min")  # noqa: A001


class _Linalg:
    """``array_api_compat.dask.array.linalg``, with ``cholesky`` giving the lower factor the array API
    specifies (array_api_compat 1.16 hands back Dask's upper one), and a clear error for what Dask lacks."""

    def __getattr__(self, name: str) -> Any:
        try:
            return getattr(_compat.linalg, name)
        except AttributeError:
            raise AttributeError(f"Dask has no linalg.{name}: compute the tensor (tapegrad.compute, or .to('numpy')) "
                                 "and call tapegrad.linalg on NumPy data") from None

    @staticmethod
    def cholesky(x: Any, /, *, upper: bool = False) -> Any:
        import dask.array as da

        if x.ndim != 2:
            raise NotImplementedError("Dask's cholesky takes one matrix (2-D), not a batch")
        lower = da.linalg.cholesky(x, lower=True)
        return lower.T if upper else lower


linalg = _Linalg()
