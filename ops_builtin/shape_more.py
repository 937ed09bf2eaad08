"""More shape ops, as PyTorch has them: roll, rot90, tril/triu, diag, diag_embed, diagonal
(and diagonal_copy), trace, repeat, tile, repeat_interleave, unbind, movedim/moveaxis,
unflatten, tensor_split, hsplit/vsplit/dsplit, meshgrid, atleast_1d/2d/3d,
broadcast_tensors, column_stack, hstack/vstack/dstack.

Where PyTorch's op is its own kernel with its own node (``RollBackward0``, ``TrilBackward0``,
``DiagEmbedBackward0``, ``DiagonalBackward0``, ``TraceBackward0``, ``RepeatBackward0``,
``Rot90Backward0``) it is a primitive here with its own VJP; where PyTorch composes other ops
(tile is repeat, movedim is permute, tensor_split is slicing, hstack is cat) it is a composite
of the ops in ``shape.py`` and ``indexing.py``, so it records the nodes PyTorch records.

The diagonal family shares one idea: the elements a diagonal holds are fixed flat positions
of the tensor (``_diagonal_positions``, worked out on the host from the shape alone), so
diagonal's VJP and diag_embed's forward scatter onto them (``index_scatter_add``), and
diag_embed's VJP and trace gather from them (``getitem``): registered ops, so every rule is
differentiable again. VJPs call other ops through ``xp`` by names whose keywords NumPy and
tapegrad share (``xp.roll(g, shift=, axis=)``, ``xp.tril(g, k=)``, ``xp.rot90(g, k=, axes=)``):
NumPy's own function on NumPy arrays, the registered op on tensors (second order) and on
backends that lack it.
"""

from __future__ import annotations

import math
import operator
import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from tapegrad.dims import as_int, axis
from tapegrad.testing.samples import EdgeCase, Sample

from .shape import _shape_param

if TYPE_CHECKING:
    from tapegrad import Registry, Tensor


def _ops() -> Any:
    import tapegrad

    return tapegrad.ops


def _ints(value: Any, what: str) -> tuple[int, ...]:
    """An int or a sequence of ints, as a tuple."""
    if isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
        return tuple(as_int(v, what) for v in value)
    return (as_int(value, what),)


def _no_dims(x: Any, d: Any) -> None:
    """PyTorch's words for a dim given to an op on a 0-d tensor that has none to offer."""
    if x.ndim == 0:
        raise IndexError(f"Dimension specified as {d} but tensor has no dimensions")


# ------------------------------------------------------------------------------ roll, rot90
def _roll_plan(ndim: int, shifts: Any, dims: Any) -> tuple[tuple[int, ...], tuple[int, ...] | None]:
    shift = _ints(shifts, "shifts")
    if not shift:
        raise RuntimeError("`shifts` required")
    if dims is None:
        if len(shift) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shift)}, dims:0")
        return shift, None
    given = _ints(dims, "dims")
    if len(given) != len(shift):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shift)}, dims:{len(given)}")
    if ndim == 0:
        raise IndexError(f"Dimension specified as {given[0]} but tensor has no dimensions")
    return shift, tuple(axis(d, ndim) for d in given)


def _roll(xp: Any, x: Any, *, shifts: Any, dims: Any = None) -> Any:
    """``x`` with its elements shifted by ``shifts`` along ``dims``, wrapping round.

    Without ``dims`` the shift runs over the flattened tensor; the shape is kept."""
    shift, axes = _roll_plan(x.ndim, shifts, dims)
    if axes is None:
        return xp.reshape(xp.roll(xp.reshape(x, (-1,)), shift=shift[0]), tuple(x.shape))
    return xp.roll(x, shift=shift, axis=axes)


def _roll_vjp(xp: Any, g: Any, out: Any, x: Any, *, shifts: Any, dims: Any = None) -> Any:
    shift, axes = _roll_plan(x.ndim, shifts, dims)
    if axes is None:
        return xp.reshape(xp.roll(xp.reshape(g, (-1,)), shift=-shift[0]), tuple(x.shape))
    return xp.roll(g, shift=tuple(-s for s in shift), axis=axes)


def _rot90_dims(ndim: int, dims: Any) -> tuple[int, int]:
    given = _ints(dims, "dims")
    if len(given) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(given)}")
    if ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {ndim}")
    a, b = axis(given[0], ndim), axis(given[1], ndim)
    if a == b:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {given[0]} and dim1 = {given[1]}")
    return a, b


def _rot90(xp: Any, x: Any, *, k: Any = 1, dims: Any = (0, 1)) -> Any:
    """``x`` turned ``k`` quarter turns in the plane of ``dims``, from the first dim towards the second."""
    a, b = _rot90_dims(x.ndim, dims)
    turns = as_int(k, "k") % 4
    swap = list(range(x.ndim))
    swap[a], swap[b] = b, a
    if turns == 1:
        x = xp.permute_dims(xp.flip(x, axis=b), tuple(swap))
    elif turns == 2:
        x = xp.flip(x, axis=(a, b))
    elif turns == 3:
        x = xp.permute_dims(xp.flip(x, axis=a), tuple(swap))
    return xp.asarray(x, copy=True)  # PyTorch's rot90 is a new tensor, never a view


def _rot90_vjp(xp: Any, g: Any, out: Any, x: Any, *, k: Any = 1, dims: Any = (0, 1)) -> Any:
    return xp.rot90(g, k=-as_int(k, "k"), axes=tuple(_ints(dims, "dims")))


# ------------------------------------------------------------------------------ tril, triu
def _triangle(xp: Any, x: Any, diagonal: Any, lower: bool) -> Any:
    if x.ndim < 2:
        raise RuntimeError(f"{'tril' if lower else 'triu'}: input tensor must have at least 2 dimensions")
    k = as_int(diagonal, "diagonal")
    n, m = x.shape[-2], x.shape[-1]
    above = xp.reshape(xp.arange(m), (1, m)) - xp.reshape(xp.arange(n), (n, 1))  # column - row
    keep = above <= k if lower else above >= k
    return xp.where(keep, x, xp.zeros_like(x))  # zeros, not x * 0: NaN and inf outside stay out


def _tril(xp: Any, x: Any, *, diagonal: Any = 0) -> Any:
    """``x`` with the elements above its ``diagonal``-th diagonal (of the last two dims) set to zero."""
    return _triangle(xp, x, diagonal, lower=True)


def _triu(xp: Any, x: Any, *, diagonal: Any = 0) -> Any:
    """``x`` with the elements below its ``diagonal``-th diagonal (of the last two dims) set to zero."""
    return _triangle(xp, x, diagonal, lower=False)


def _tril_vjp(xp: Any, g: Any, out: Any, x: Any, *, diagonal: Any = 0) -> Any:
    return xp.tril(g, k=as_int(diagonal, "diagonal"))


def _triu_vjp(xp: Any, g: Any, out: Any, x: Any, *, diagonal: Any = 0) -> Any:
    return xp.triu(g, k=as_int(diagonal, "diagonal"))


# ------------------------------------------------------------------------------ the diagonal family
def _diag_dims(ndim: int, dim1: Any, dim2: Any) -> tuple[int, int]:
    a, b = axis(dim1, ndim), axis(dim2, ndim)
    if a == b:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return a, b


def _diagonal_positions(shape: tuple[int, ...], offset: Any, dim1: Any, dim2: Any) -> np.ndarray:
    """The flat positions, in a tensor of ``shape``, of the elements ``diagonal(offset, dim1, dim2)``
    holds, in its order: the other dims first, the diagonal last."""
    a, b = _diag_dims(len(shape), dim1, dim2)
    k = as_int(offset, "offset")
    strides = [math.prod(shape[i + 1:]) for i in range(len(shape))]  # in elements, C order
    length = max(0, min(shape[a], shape[b] - k) if k >= 0 else min(shape[a] + k, shape[b]))
    others = [i for i in range(len(shape)) if i not in (a, b)]
    # O(result) work, never an index array the size of the whole tensor (trace of a big matrix)
    positions = np.full(tuple(shape[i] for i in others) + (length,), k * strides[b] if k >= 0 else -k * strides[a],
                        dtype=np.intp)
    for j, i in enumerate(others):
        positions += (np.arange(shape[i], dtype=np.intp) * strides[i]).reshape((-1,) + (1,) * (len(others) - j))
    positions += np.arange(length, dtype=np.intp) * (strides[a] + strides[b])
    return positions


def _gather(xp: Any, a: Any, positions: np.ndarray) -> Any:
    """The elements of ``a`` at flat ``positions``, in the positions' shape."""
    return xp.getitem(xp.reshape(a, (-1,)), index=positions)


def _scatter(xp: Any, values: Any, positions: np.ndarray, shape: tuple[int, ...]) -> Any:
    """Zeros of ``shape`` holding ``values`` (broadcast to the positions' shape) at flat ``positions``."""
    return xp.reshape(xp.index_scatter_add(values, index=positions, shape=(math.prod(shape),)), shape)


def _diagonal(xp: Any, x: Any, *, offset: Any = 0, dim1: Any = 0, dim2: Any = 1) -> Any:
    """The ``offset``-th diagonal of ``x`` in the plane of ``dim1``, ``dim2``, as a last dim (a view).

    Writing into it writes into ``x``."""
    a, b = _diag_dims(x.ndim, dim1, dim2)
    k = as_int(offset, "offset")
    if type(x) is np.ndarray:
        out = np.diagonal(x, k, a, b)
        if x.flags.writeable:
            out.flags.writeable = True  # NumPy's diagonal views are read-only by default; PyTorch's are not
        return out
    linalg = getattr(xp, "linalg", None)
    if linalg is not None and hasattr(linalg, "diagonal"):  # the array API's, a view where the library has them
        rest = [i for i in range(x.ndim) if i not in (a, b)]
        return linalg.diagonal(xp.permute_dims(x, tuple(rest + [a, b])), offset=k)
    return _gather(xp, x, _diagonal_positions(tuple(x.shape), k, a, b))


def _diagonal_copy(xp: Any, x: Any, *, offset: Any = 0, dim1: Any = 0, dim2: Any = 1) -> Any:
    """``diagonal``'s elements in memory of their own (``diag`` of a matrix)."""
    return _gather(xp, x, _diagonal_positions(tuple(x.shape), offset, dim1, dim2))


def _diagonal_vjp(xp: Any, g: Any, out: Any, x: Any, *, offset: Any = 0, dim1: Any = 0, dim2: Any = 1) -> Any:
    shape = tuple(x.shape)
    return _scatter(xp, g, _diagonal_positions(shape, offset, dim1, dim2), shape)


def _embedded_shape(shape: tuple[int, ...], offset: Any, dim1: Any, dim2: Any) -> tuple[int, ...]:
    """diag_embed's result shape: the last dim of ``shape`` becomes a square plane at ``dim1``, ``dim2``."""
    a, b = _diag_dims(len(shape) + 1, dim1, dim2)
    if not shape:
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got -1)")
    side = shape[-1] + abs(as_int(offset, "offset"))
    out = list(shape[:-1])
    for d in sorted((a, b)):
        out.insert(d, side)
    return tuple(out)


def _diag_embed(xp: Any, x: Any, *, offset: Any = 0, dim1: Any = -2, dim2: Any = -1) -> Any:
    """Zeros with ``x``'s last dimension on the ``offset``-th diagonal of the plane of ``dim1``, ``dim2``."""
    shape = _embedded_shape(tuple(x.shape), offset, dim1, dim2)
    return _scatter(xp, x, _diagonal_positions(shape, offset, dim1, dim2), shape)


def _diag_embed_vjp(xp: Any, g: Any, out: Any, x: Any, *, offset: Any = 0, dim1: Any = -2, dim2: Any = -1) -> Any:
    return _gather(xp, g, _diagonal_positions(tuple(g.shape), offset, dim1, dim2))


def _trace(xp: Any, x: Any) -> Any:
    """The sum of the main diagonal of a matrix (int64 for integer matrices)."""
    if x.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {x.ndim}")
    if xp.isdtype(x.dtype, "bool"):
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    if xp.isdtype(x.dtype, "integral"):
        x = xp.astype(x, xp.int64)
    return xp.sum(_gather(xp, x, _diagonal_positions(tuple(x.shape), 0, 0, 1)))


def _trace_vjp(xp: Any, g: Any, out: Any, x: Any) -> Any:
    shape = tuple(x.shape)
    return _scatter(xp, g, _diagonal_positions(shape, 0, 0, 1), shape)


def _diag(x: Tensor, diagonal: Any = 0) -> Tensor:
    """A vector's matrix with it on the ``diagonal``-th diagonal, or a matrix's ``diagonal``-th diagonal (a copy)."""
    if x.ndim == 1:
        return _ops().diag_embed(x, offset=diagonal, dim1=0, dim2=1)
    if x.ndim == 2:
        return _ops().diagonal_copy(x, offset=diagonal)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {x.ndim}D")


# ------------------------------------------------------------------------------ repeating
def _one_or_many(given: tuple[Any, ...], keyword: Any) -> Any:
    """Sizes given unpacked (``x.tile(2, 1)``), as one sequence (``x.tile((2, 1))``) or by keyword."""
    if keyword is not None:
        return keyword
    return given[0] if len(given) == 1 else given


def _repeat_plan(shape: tuple[int, ...], repeats: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The input shape with ones in front to match ``repeats``, and the repeats."""
    reps = _shape_param(repeats)
    if len(reps) < len(shape):
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
    padded = (1,) * (len(reps) - len(shape)) + shape
    out = [n * r for n, r in zip(padded, reps)]
    for n in out:
        if n < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: {out}")
    return padded, tuple(max(r, 0) for r in reps)  # a negative repeat passes only for an empty dim: it is 0 there


def _repeat(xp: Any, x: Any, *, repeats: Any) -> Any:
    """``x`` tiled ``repeats[i]`` times along dim ``i`` (more repeats than dims add leading dims)."""
    padded, reps = _repeat_plan(tuple(x.shape), repeats)
    return xp.tile(xp.reshape(x, padded), reps)


def _repeat_vjp(xp: Any, g: Any, out: Any, x: Any, *, repeats: Any) -> Any:
    padded, reps = _repeat_plan(tuple(x.shape), repeats)
    if not reps:
        return g
    split = tuple(n for pair in zip(reps, padded) for n in pair)  # (r0, n0, r1, n1, ...)
    summed = xp.sum(xp.reshape(g, split), axis=tuple(range(0, len(split), 2)))
    return xp.reshape(summed, tuple(x.shape))


def _tile(x: Tensor, *sizes: Any, dims: Any = None) -> Tensor:
    """``x`` tiled ``dims[i]`` times along dim ``i``; fewer dims than ``x`` has repeat the last ones."""
    reps = _shape_param(_one_or_many(sizes, dims))
    return _ops().repeat(x, (1,) * (x.ndim - len(reps)) + reps)


def _repeat_interleave(x: Tensor, repeats: Any = None, dim: Any = None, *, output_size: Any = None) -> Tensor:
    """Each element of ``x`` repeated ``repeats`` times along ``dim`` (an int, or a tensor of counts).

    ``repeats`` is an int or a tensor of one count per element; without ``dim`` the flattened tensor is
    repeated. ``repeat_interleave(counts)`` alone gives the indices ``0, 0, 1, ...``, each repeated its count."""
    import tapegrad

    if repeats is None:  # repeat_interleave(repeats): the indices of each position, repeated
        counts = _counts(x)
        return tapegrad.tensor(np.repeat(np.arange(counts.size), counts))
    scalar_repeats = type(repeats) is not tapegrad.Tensor and not isinstance(repeats, np.ndarray)
    if dim is None:
        x, d = x.reshape(-1), 0
    elif x.ndim == 0:  # as PyTorch's: a dim of a 0-d tensor is out of range here (its unsqueeze's, for an int)
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got 1)" if scalar_repeats
                         else f"Dimension specified as {dim} but tensor has no dimensions")
    else:
        d = axis(dim, x.ndim)
    n = x.shape[d]
    if scalar_repeats:
        r = as_int(repeats, "repeats")
        if r < 0:
            raise RuntimeError("Repeats must be non-negative")
        _check_output_size(output_size, n * r)
        shape = tuple(x.shape)
        wide = x.unsqueeze(d + 1).expand(*shape[:d + 1], r, *shape[d + 1:])
        # a copy first, as PyTorch's: the result is then a view of that copy, not of x
        return wide.clone().reshape(*shape[:d], n * r, *shape[d + 1:])
    counts = _counts(repeats)
    if counts.size == 1:
        counts = np.broadcast_to(counts.reshape(1), (n,))
    elif counts.size != n:
        raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                           f"{counts.size} and input.size({d}) = {n}")
    index = np.repeat(np.arange(n), counts)
    _check_output_size(output_size, index.size)
    return _ops().index_select(x, d, index)


def _counts(repeats: Any) -> np.ndarray:
    """A repeats tensor as a 1-D int array, checked as PyTorch checks it."""
    data = np.asarray(repeats.numpy() if hasattr(repeats, "numpy") else repeats)
    if data.dtype.kind not in "iu":
        raise NotImplementedError(f"\"repeat_interleave_cpu\" not implemented for '{_torch_dtype_name(data.dtype)}'")
    if data.ndim > 1:
        raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
    if (data < 0).any():
        raise RuntimeError("repeats can not be negative")
    return data.reshape(-1)


def _torch_dtype_name(dtype: np.dtype) -> str:
    return {"f": "Float", "b": "Bool", "c": "ComplexFloat"}.get(dtype.kind, str(dtype))


def _check_output_size(output_size: Any, size: int) -> None:
    if output_size is not None and as_int(output_size, "output_size") != size:
        raise RuntimeError("allocated size does not match required size")


# ------------------------------------------------------------------------------ reordering, reshaping
def _movedim(x: Tensor, source: Any, destination: Any) -> Tensor:
    """``x`` with dims ``source`` moved to positions ``destination``; the others keep their order."""
    src, dst = _ints(source, "source"), _ints(destination, "destination")
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) should contain "
                           f"the same number of dims as destination ({list(dst)} dims)")
    nd = x.ndim
    a, b = [axis(d, nd) for d in src], [axis(d, nd) for d in dst]
    if nd == 0:
        return _ops().permute(x, ())
    for what, dims, given in (("source", a, src), ("destination", b, dst)):
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"movedim: repeated dim in `{what}` ({list(given)})")
    perm = [-1] * nd
    for s, d in zip(a, b):
        perm[d] = s
    rest = iter(i for i in range(nd) if i not in a)
    return _ops().permute(x, tuple(p if p >= 0 else next(rest) for p in perm))


def _unflatten(x: Tensor, dim: Any, sizes: Any) -> Tensor:
    """``x`` with dim ``dim`` split into dims of ``sizes`` (one may be -1)."""
    _no_dims(x, dim)
    d = axis(dim, x.ndim)
    new = _shape_param(sizes)
    if not new:
        raise RuntimeError("unflatten: sizes must be non-empty")
    n, known = x.shape[d], math.prod(s for s in new if s != -1)
    if (known != n) if -1 not in new else (known == 0 or n % known):
        raise RuntimeError(f"unflatten: Provided sizes {list(new)} don't multiply up to the size of dim {d} ({n}) "
                           "in the input tensor")
    return _ops().view(x, tuple(x.shape[:d]) + new + tuple(x.shape[d + 1:]))


# ------------------------------------------------------------------------------ splitting
def _unbind_name(x: Any, *args: Any, **params: Any) -> str:
    return "UnbindBackward0"


def _unbind(x: Tensor, dim: Any = 0) -> tuple[Tensor, ...]:
    """The slices of ``x`` along ``dim``, each without that dim (views that refuse in-place writes)."""
    _no_dims(x, dim)
    d = axis(dim, x.ndim)
    getitem = _ops().getitem
    return tuple(getitem(x, index=(slice(None),) * d + (i,)) for i in range(x.shape[d]))


def _split_points(n: int, indices_or_sections: Any) -> list[tuple[int | None, int | None]]:
    """tensor_split's (start, stop) slices of a dim of size ``n``: equal sections (the first ``n % k`` one
    longer) for an int, the slices between ``indices`` otherwise (Python slice rules)."""
    import tapegrad

    given = indices_or_sections
    if type(given) is tapegrad.Tensor:
        data = np.asarray(given.numpy())
        if data.dtype != np.int64:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to have dtype of long, but got "
                               f"{_torch_dtype_name(data.dtype)}")
        if data.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                               f"one-dimensional tensor, but got a tensor with {data.ndim} dims")
        given = int(data) if data.ndim == 0 else [int(i) for i in data]
    if not isinstance(given, bool) and isinstance(given, (int, np.integer)):
        k = operator.index(given)
        if k <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {k}")
        sizes = [n // k + 1] * (n % k) + [n // k] * (k - n % k)
        bounds = np.cumsum([0] + sizes)
        return [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]
    if not isinstance(given, (list, tuple)):
        raise TypeError("tensor_split(): argument 'indices_or_sections' must be an int, a tuple of ints or a "
                        f"Tensor, not {type(given).__name__}")
    cuts = [as_int(i, "indices") for i in given]
    return list(zip([0] + cuts, cuts + [None]))


def _tensor_split(x: Tensor, indices_or_sections: Any, dim: Any = 0) -> tuple[Tensor, ...]:
    """``x`` cut along ``dim`` into near-equal pieces (an int) or at indices (a sequence or int64 tensor).

    Each piece is a view of ``x``."""
    if x.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
    d = axis(dim, x.ndim)
    getitem = _ops().getitem
    return tuple(getitem(x, index=(slice(None),) * d + (slice(a, b),))
                 for a, b in _split_points(x.shape[d], indices_or_sections))


def _directional_split(name: str, min_ndim: int, dim: int | None) -> Any:
    """hsplit (dim 1, dim 0 of a vector), vsplit (dim 0), dsplit (dim 2): tensor_split along that dim,
    where an int must divide the dim's size."""
    def split(x: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:
        if x.ndim < min_ndim:
            raise RuntimeError(f"torch.{name} requires a tensor with at least {min_ndim} dimension, but got a tensor "
                               f"with {x.ndim} dimensions!")
        d = (0 if x.ndim == 1 else 1) if dim is None else dim
        sections = indices_or_sections
        if not isinstance(sections, bool) and isinstance(sections, (int, np.integer)):
            n = x.shape[d]
            if sections == 0 or n % sections:
                raise RuntimeError(f"torch.{name} attempted to split along dimension {d}, but the size of the "
                                   f"dimension {n} is not divisible by the split_size {sections}!")
        return _tensor_split(x, sections, d)

    split.__name__ = name
    way = {"hsplit": "column-wise", "vsplit": "row-wise", "dsplit": "depth-wise"}[name]
    split.__doc__ = f"``x`` split {way} by ``tensor_split`` (an int must divide the dimension evenly)."
    return split


# ------------------------------------------------------------------------------ several tensors
def _tensor_list(name: str, tensors: tuple[Any, ...]) -> list[Any]:
    """One sequence of tensors, or the tensors unpacked (as ``cat`` takes them)."""
    import tapegrad

    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    for t in tensors:
        if type(t) is not tapegrad.Tensor:
            raise TypeError(f"{name}(): expected a sequence of Tensors, got {type(t).__name__} among them")
    return list(tensors)


def _meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D (or 0-D) tensors, each an expanded view.

    Output ``i`` varies along dim ``i`` (``"ij"``), or with the first two dims swapped (``"xy"``)."""
    ts = _tensor_list("meshgrid", tensors)
    if not ts:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
                      UserWarning, stacklevel=3)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    for t in ts:
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got a tensor of "
                               f"shape {list(t.shape)}")
        if t.dtype != ts[0].dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    order = list(range(len(ts)))
    if indexing == "xy" and len(ts) >= 2:
        order[0], order[1] = 1, 0
    sizes = [0] * len(ts)
    for i, t in enumerate(ts):
        sizes[order[i]] = t.numel()
    grids = []
    for i, t in enumerate(ts):
        shape = [1] * len(ts)
        shape[order[i]] = -1
        grids.append(t.reshape(*shape).expand(*sizes))
    return tuple(grids)


def _broadcast_tensors(*tensors: Any) -> tuple[Tensor, ...]:
    """The tensors expanded to their common broadcast shape (a tensor of that shape already: itself)."""
    from tapegrad.dispatch import raise_if_not_broadcastable

    ts = _tensor_list("broadcast_tensors", tensors)
    try:
        shape = np.broadcast_shapes(*[tuple(t.shape) for t in ts])
    except ValueError as exc:
        raise_if_not_broadcastable(ts, exc)
        raise
    return tuple(t if tuple(t.shape) == shape else t.expand(*shape) for t in ts)


def _at_least(t: Any, n: int) -> Any:
    import tapegrad

    if type(t) is not tapegrad.Tensor:
        raise TypeError(f"atleast_{n}d(): expected Tensors, got {type(t).__name__}")
    if t.ndim >= n:
        return t
    if t.ndim == 0:
        return t.reshape((1,) * n)
    if n == 3 and t.ndim == 1:
        return t.unsqueeze(0).unsqueeze(-1)
    return t.unsqueeze(0 if n == 2 else -1)


def _atleast(n: int) -> Any:
    def atleast(*tensors: Any) -> Any:
        if len(tensors) == 1 and not isinstance(tensors[0], (list, tuple)):
            return _at_least(tensors[0], n)
        if len(tensors) == 1:
            tensors = tuple(tensors[0])
        return tuple(_at_least(t, n) for t in tensors)

    atleast.__name__ = f"atleast_{n}d"
    atleast.__doc__ = (f"Each tensor with at least {n} dimension{'s' if n > 1 else ''} (a view; one that has them "
                       "already: itself); one tensor gives one tensor, several a tuple.")
    return atleast


def _stacker(name: str) -> Any:
    """hstack, vstack, dstack and column_stack: ``cat`` of the tensors made at least 1-, 2-, 3-D or into columns."""
    def stack(tensors: Any, *extra: Any) -> Tensor:
        if extra:  # one sequence, as PyTorch's (which refuses the tensors unpacked)
            raise TypeError(f"{name}() takes 1 positional argument but {1 + len(extra)} were given")
        if not isinstance(tensors, (list, tuple)):
            raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                            f"not {type(tensors).__name__}")
        ts = _tensor_list(name, (tensors,))
        if not ts:
            raise RuntimeError(f"{name} expects a non-empty TensorList")
        cat = _ops().cat
        if name == "hstack":
            ts = [_at_least(t, 1) for t in ts]
            return cat(ts, dim=0 if ts[0].ndim == 1 else 1)
        if name == "vstack":
            return cat([_at_least(t, 2) for t in ts], dim=0)
        if name == "dstack":
            return cat([_at_least(t, 3) for t in ts], dim=2)
        return cat([t.reshape(t.numel(), 1) if t.ndim <= 1 else t for t in ts], dim=1)

    stack.__name__ = name
    stack.__doc__ = {
        "hstack": "The tensors joined column-wise (``cat`` along dim 1, dim 0 for vectors).",
        "vstack": "The tensors joined row-wise (``cat`` along dim 0 of them made at least 2-D).",
        "dstack": "The tensors joined depth-wise (``cat`` along dim 2 of them made at least 3-D).",
        "column_stack": "The tensors as columns side by side (vectors and scalars become columns; ``cat`` on dim 1).",
    }[name]
    return stack


# ------------------------------------------------------------------------------ references (kit)
def _ref_diag_embed(x: Any, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Any:
    x = np.asarray(x)
    n = x.shape[-1]
    side = n + abs(offset)
    plane = np.zeros(x.shape[:-1] + (side, side), dtype=x.dtype)
    for i in range(n):
        r, c = (i, i + offset) if offset >= 0 else (i - offset, i)
        plane[..., r, c] = x[..., i]
    nd = x.ndim + 1
    a, b = dim1 % nd, dim2 % nd
    rest = iter(range(nd - 2))
    perm = [nd - 2 if p == a else nd - 1 if p == b else next(rest) for p in range(nd)]
    return np.transpose(plane, perm)


def _ref_repeat_interleave(x: Any, repeats: Any, dim: Any = None, output_size: Any = None) -> Any:
    return np.repeat(x, np.asarray(repeats), axis=dim)


def _ref_movedim(x: Any, source: Any, destination: Any) -> Any:
    return np.moveaxis(x, source, destination)


def _ref_unflatten(x: Any, dim: int, sizes: Any) -> Any:
    d = dim % x.ndim
    return x.reshape(x.shape[:d] + tuple(sizes) + x.shape[d + 1:])


def _ref_tensor_split(x: Any, indices_or_sections: Any, dim: int = 0) -> Any:
    return tuple(np.array_split(x, indices_or_sections, axis=dim))


def _ref_unbind(x: Any, dim: int = 0) -> Any:
    return tuple(np.moveaxis(x, dim, 0))


def _ref_meshgrid(*xs: Any, indexing: Any = "ij") -> Any:
    return tuple(np.meshgrid(*xs, indexing=indexing))


def _ref_tile(x: Any, *sizes: Any, dims: Any = None) -> Any:
    return np.tile(x, _one_or_many(sizes, dims))


def _ref_repeat(x: Any, repeats: Any) -> Any:
    reps = tuple(repeats)
    return np.tile(np.reshape(x, (1,) * (len(reps) - x.ndim) + x.shape), reps)


# ------------------------------------------------------------------------------ registration
_DIAGONAL_PARAMS = ("offset", "dim1", "dim2")
_DIAGONAL_ALIASES = {"axis1": "dim1", "axis2": "dim2"}  # NumPy's spelling, so VJPs may write xp.diagonal


def register(registry: Registry) -> None:
    registry.register_op(
        "roll", forward=_roll, vjp=(_roll_vjp,), saves=(), params=("shifts", "dims"), methods=("roll",),
        param_aliases={"shift": "shifts", "axis": "dims"},
        reference=lambda x, shifts, dims=None: np.roll(x, shifts, dims),
        samples=[Sample((3, 4), shifts=1, dims=0), Sample((3, 4), shifts=(2, -1), dims=(1, 0)),
                 Sample((3, 4), shifts=5), Sample((2, 3, 2), shifts=(1, 1), dims=(-1, -1)), Sample((), shifts=2)],
    )
    registry.register_op(
        "rot90", forward=_rot90, vjp=(_rot90_vjp,), saves=(), params=("k", "dims"), methods=("rot90",),
        param_aliases={"axes": "dims"},
        reference=lambda x, k=1, dims=(0, 1): np.rot90(x, k, axes=dims),
        samples=[Sample((3, 4)), Sample((3, 4), k=2), Sample((2, 3, 4), k=-1, dims=(2, 0)), Sample((3, 4), k=0),
                 Sample((2, 3, 4), k=7, dims=(-1, 1))],
    )
    for name, forward, vjp in (("tril", _tril, _tril_vjp), ("triu", _triu, _triu_vjp)):
        registry.register_op(
            name, forward=forward, vjp=(vjp,), saves=(), params=("diagonal",), methods=(name,),
            inplace_methods=(f"{name}_",), param_aliases={"k": "diagonal"},
            reference=lambda x, diagonal=0, name=name: getattr(np, name)(x, diagonal),
            samples=[Sample((3, 4)), Sample((4, 3), diagonal=1), Sample((2, 3, 4), diagonal=-1),
                     Sample((2, 3), diagonal=5)],
        )
    registry.register_op(
        "diagonal", forward=_diagonal, vjp=(_diagonal_vjp,), saves=(), view=True, params=_DIAGONAL_PARAMS,
        param_aliases=_DIAGONAL_ALIASES, methods=("diagonal",),
        reference=lambda x, offset=0, dim1=0, dim2=1: np.diagonal(x, offset, dim1, dim2),
        samples=[Sample((3, 4)), Sample((3, 4), offset=1), Sample((3, 4), offset=-2),
                 Sample((2, 3, 4), offset=1, dim1=2, dim2=0), Sample((3, 3), offset=5)],
    )
    registry.register_op(
        "diagonal_copy", forward=_diagonal_copy, vjp=(_diagonal_vjp,), saves=(), params=_DIAGONAL_PARAMS,
        param_aliases=_DIAGONAL_ALIASES, node_name="DiagonalBackward0_copy",
        reference=lambda x, offset=0, dim1=0, dim2=1: np.diagonal(x, offset, dim1, dim2).copy(),
        samples=[Sample((3, 4)), Sample((2, 3, 4), offset=-1, dim1=-1, dim2=1), Sample((3, 4), offset=5),
                 Sample((2, 3, 4, 5), offset=1, dim1=1, dim2=3)],
    )
    registry.register_op(
        "diag_embed", forward=_diag_embed, vjp=(_diag_embed_vjp,), saves=(), params=_DIAGONAL_PARAMS,
        methods=("diag_embed",), reference=_ref_diag_embed,
        samples=[Sample((3,)), Sample((2, 3)), Sample((2, 3), offset=1), Sample((2, 3), offset=-2, dim1=0, dim2=2),
                 Sample((2, 3), dim1=-1, dim2=0), Sample((2, 3), dim1=-3, dim2=-1)],
    )
    registry.register_op(
        "trace", forward=_trace, vjp=(_trace_vjp,), saves=(), methods=("trace",), promotion=False,
        reference=np.trace, samples=[Sample((3, 3)), Sample((2, 4)), Sample((4, 2))],
    )
    registry.register_op(
        "repeat", forward=_repeat, vjp=(_repeat_vjp,), saves=(), params=("*repeats",), methods=("repeat",),
        reference=_ref_repeat, edge_cases=[
            EdgeCase([1.0, 2.0], params={"repeats": (-1, 2)}, raises=RuntimeError, match="negative dimension"),
            EdgeCase(np.zeros((0, 2)), params={"repeats": (-1, 3)}, value=np.zeros((0, 6)), grads=(np.zeros((0, 2)),),
                     why="Not PyTorch's: a negative repeat of an empty dim is an empty dim, as PyTorch's, whose "
                         "backward then fails to reshape; tapegrad's gives the empty gradient")],
        samples=[Sample((2, 3), repeats=(2, 1)), Sample((2, 3), repeats=(2, 1, 3)), Sample((3,), repeats=(2, 2)),
                 Sample((), repeats=(3,)), Sample((2, 3), repeats=(1, 1)), Sample((2, 3), repeats=(0, 2))],
    )
    registry.register_composite("diag", _diag, methods=("diag",),
                                reference=lambda x, diagonal=0: np.diag(x, diagonal), samples=[
        Sample((3,)), Sample((3,), diagonal=1), Sample((3, 4)), Sample((3, 4), diagonal=-1)])
    registry.register_composite("tile", _tile, methods=("tile",), reference=_ref_tile, samples=[
        Sample((2, 3), dims=(2,)), Sample((2, 3), dims=(2, 1, 2)), Sample((3,), dims=(2, 2))])
    registry.register_composite(
        "repeat_interleave", _repeat_interleave, methods=("repeat_interleave",), reference=_ref_repeat_interleave,
        samples=[Sample((2, 3), repeats=2), Sample((2, 3), repeats=2, dim=1), Sample((2, 3), repeats=1, dim=0),
                 Sample((3, 2), repeats=np.array([1, 0, 2]), dim=0), Sample((), repeats=3),
                 Sample((2, 3), repeats=2, dim=1, output_size=6), Sample((2, 3), repeats=np.array([1, 2]), dim=0),
                 Sample((3,), repeats=2, dim=0)],
        edge_cases=[EdgeCase(np.array(5.0), params={"repeats": 3, "dim": 0}, raises=IndexError,
                             why="a dim of a 0-d tensor, as PyTorch's"),
                    EdgeCase(np.array(5.0), params={"repeats": np.array([2]), "dim": -1}, raises=IndexError)])
    registry.register_composite("movedim", _movedim, aliases=("moveaxis",), methods=("movedim", "moveaxis"),
                                reference=_ref_movedim, samples=[
        Sample((2, 3, 4), source=0, destination=2), Sample((2, 3, 4), source=(0, -1), destination=(-1, 1)),
        Sample((3,), source=0, destination=-1)])
    registry.register_composite("unflatten", _unflatten, methods=("unflatten",), reference=_ref_unflatten, samples=[
        Sample((2, 6), dim=1, sizes=(2, 3)), Sample((6, 2), dim=0, sizes=(-1, 2, 1))])
    # Several results: the kit checks them concatenated.
    registry.register_composite("unbind", _unbind, methods=("unbind",), view="multiple", reference=_ref_unbind,
                                node_name=_unbind_name,
                                samples=[Sample((3, 2)), Sample((2, 3, 2), dim=-1)])
    registry.register_composite("tensor_split", _tensor_split, methods=("tensor_split",),
                                reference=_ref_tensor_split, samples=[
        Sample((5, 2), indices_or_sections=3), Sample((2, 6), indices_or_sections=[1, 4], dim=1),
        Sample((4, 2), indices_or_sections=(3, 1)), Sample((11,), indices_or_sections=8)])
    for name, min_ndim, dim, ref in (("hsplit", 1, None, np.hsplit), ("vsplit", 2, 0, np.vsplit),
                                     ("dsplit", 3, 2, np.dsplit)):
        shape = (2, 4, 4)[-max(min_ndim, 2):]
        registry.register_composite(name, _directional_split(name, min_ndim, dim), methods=(name,),
                                    reference=lambda x, indices_or_sections, ref=ref: tuple(
                                        ref(x, indices_or_sections)),
                                    samples=[Sample(shape, indices_or_sections=2),
                                             Sample(shape, indices_or_sections=[1, 3])]
                                    + ([Sample((4,), indices_or_sections=2)] if name == "hsplit" else []),
                                    edge_cases=[EdgeCase(np.zeros(shape), params={"indices_or_sections": 3},
                                                         raises=RuntimeError, match="not divisible")])
    registry.register_composite("meshgrid", _meshgrid, reference=_ref_meshgrid, samples=[
        Sample((3,), (2,), indexing="ij"), Sample((3,), (2,), (4,), indexing="xy"), Sample((), (2,), indexing="ij"),
        Sample((3,), (2,), indexing="xy"), Sample([(3,), (2,)], indexing="ij"), Sample((3,), indexing="ij")])
    registry.register_composite("broadcast_tensors", _broadcast_tensors,
                                reference=lambda *xs: tuple(np.broadcast_arrays(*xs)),
                                samples=[Sample((3, 1), (4,)), Sample((2, 3), (2, 3)), Sample((), (2, 1), (1, 3))])
    for n in (1, 2, 3):
        np_atleast = getattr(np, f"atleast_{n}d")
        registry.register_composite(f"atleast_{n}d", _atleast(n), reference=np_atleast, samples=[
            Sample(()), Sample((3,)), Sample((2, 3)), Sample((2, 3, 2)), Sample((), (3,), (2, 3)),
            Sample([(3,), (2, 3)])])
    pairs = {"hstack": Sample([(2, 3), (2, 1)]), "vstack": Sample([(2, 3), (1, 3)]), "dstack": Sample([(2, 3), (2, 3)]),
             "column_stack": Sample([(3,), (3, 2)])}
    for name, aliases in (("hstack", ()), ("vstack", ("row_stack",)), ("dstack", ()), ("column_stack", ())):
        np_stack = getattr(np, name)
        registry.register_composite(name, _stacker(name), aliases=aliases,
                                    reference=lambda *xs, np_stack=np_stack: np_stack(xs), samples=[
            Sample([(3,), (3,)]), pairs[name], Sample([(), ()]), Sample([(2, 2, 3), (2, 2, 3)])])
