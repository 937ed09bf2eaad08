"""Shape and type plumbing: reshape/view, flatten, squeeze, unsqueeze, expand_dims,
transpose/swapaxes, permute, broadcast_to, expand, flip, cat/concat, stack, pad, astype,
and the composites split, chunk, narrow and the dtype conversions (``x.float()``, ...).

No arithmetic: each VJP moves the cotangent back to its input's layout. They are the
ops other VJPs (sum, mean) use, so they must be differentiable again themselves.

Dimensions follow PyTorch: negative ones count from the end, a 0-d tensor accepts
dims 0 and -1, and out-of-range dims raise PyTorch's ``IndexError``.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from tapegrad.dims import INT64_MAX, INT64_MIN, as_int, axis, known_size
from tapegrad.dtypes import in_namespace, to_numpy_dtype
from tapegrad.backends import numpy_dtype_of
from tapegrad.testing.samples import EdgeCase, Sample
from tapegrad.registry import LaterModule

from . import references as ref
from .scalars import checked_scalar
from .strides import check_view, view_reference


from . import batching_rules as batch
from . import node_names

if TYPE_CHECKING:
    from tapegrad import Registry

ec = LaterModule(__package__ + ".edge_cases")  # the special points, made when the kit asks


def _size(value: Any) -> int:
    n = as_int(value, "shape")
    if not INT64_MIN <= n <= INT64_MAX:
        raise TypeError("argument 'shape' failed to unpack the object: Overflow when unpacking long long")
    return n


def _shape_param(shape: Any) -> tuple[int, ...]:
    if type(shape) is tuple or type(shape) is list:
        return tuple([_size(n) for n in shape])
    if not isinstance(shape, bool):
        try:
            return (operator.index(shape),)
        except TypeError:
            pass
    if not isinstance(shape, Iterable) or isinstance(shape, (str, bytes)):
        raise TypeError(f"shape must be an int or a sequence of ints, got {type(shape).__name__}")
    return tuple([_size(n) for n in shape])


def _new_shape(shape: Any, numel: int) -> tuple[int, ...]:
    """A reshape target checked by PyTorch's rules, before NumPy sees it: sizes are at least
    -1, one at most is -1 (inferred, and not from zero elements), and the sizes multiply
    to ``numel``."""
    sizes = _shape_param(shape)
    known, inferred = 1, None
    for i, n in enumerate(sizes):
        if n == -1:
            if inferred is not None:
                raise RuntimeError("only one dimension can be inferred")
            inferred = i
        elif n < 0:
            raise RuntimeError(f"invalid shape dimension {n} at index {i} of shape {list(sizes)}")
        else:
            known *= n
    if inferred is not None and known == 0:
        raise RuntimeError(
            f"cannot reshape tensor of 0 elements into shape {list(sizes)} because the unspecified "
            "dimension size -1 can be any value and is ambiguous"
        )
    if (known != numel) if inferred is None else (numel % known):
        raise RuntimeError(f"shape '{list(sizes)}' is invalid for input of size {numel}")
    return sizes


def _reshape(xp: Any, x: Any, *, shape: Any) -> Any:
    """The same elements in a new shape (one dimension may be -1)."""
    return xp.reshape(x, _new_shape(shape, math.prod(x.shape)))


def _broadcast_to(xp: Any, x: Any, *, shape: Any) -> Any:
    """``x`` broadcast to ``shape`` (PyTorch's broadcast_to is expand: -1 keeps a size)."""
    return xp.broadcast_to(x, _expand_shape(tuple(x.shape), shape))


def _expand_dims(xp: Any, x: Any, *, dim: int) -> Any:
    """``x`` with a new size-1 dimension at ``dim``."""
    return xp.expand_dims(x, axis=dim)


def _astype(xp: Any, x: Any, *, dtype: Any) -> Any:
    """``x`` converted to ``dtype``."""
    return xp.astype(x, in_namespace(xp, dtype))


# ------------------------------------------------------------------------------ dims
def _dim(dim: Any, ndim: int, *, new: bool = False) -> int:
    """``dim`` as a non-negative axis of an ``ndim``-d tensor (of the result, one dimension more, when ``new``)."""
    return axis(dim, ndim + 1 if new else ndim)


def _dims(dims: Any, ndim: int) -> tuple[int, ...]:
    """An int or a sequence of ints as distinct non-negative axes, in the order given."""
    if type(dims) is tuple or type(dims) is list or (isinstance(dims, Iterable) and not isinstance(dims, (str, bytes))):
        axes = tuple([_dim(d, ndim) for d in dims])
    else:
        axes = (_dim(dims, ndim),)
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"dim {next(a for a in axes if axes.count(a) > 1)} appears multiple times in the list of dims")
    return axes if ndim else ()


# ------------------------------------------------------------------------------ reshaping
def _view(xp: Any, x: Any, *, shape: Any) -> Any:
    """The same elements in a new shape (one dimension may be -1); reshape under PyTorch's other name."""
    return xp.reshape(x, _new_shape(shape, math.prod(x.shape)))


def _same_dtype(x: Any, dtype: Any) -> bool:
    """Whether converting tensor ``x`` to ``dtype`` changes nothing."""
    try:
        return to_numpy_dtype(dtype) == to_numpy_dtype(x.dtype)
    except TypeError:
        return False  # not a dtype tapegrad knows: the op itself says so


def _flatten_unchanged(x: Any, start_dim: Any = 0, end_dim: Any = -1) -> bool:
    """Whether flatten merges nothing (one dimension into itself): PyTorch returns the input then."""
    if x.ndim == 0:
        return False
    return _dim(start_dim, x.ndim) == _dim(end_dim, x.ndim)  # raises for a bad dim, as the op would


def _flatten(xp: Any, x: Any, *, start_dim: Any = 0, end_dim: Any = -1) -> Any:
    """``x`` with dimensions ``start_dim`` to ``end_dim`` merged into one (a 0-d tensor becomes 1-d)."""
    shape = tuple(x.shape)
    if not shape:
        _dim(start_dim, 0)  # validated all the same
        _dim(end_dim, 0)
        return xp.reshape(x, (1,))
    start, end = _dim(start_dim, len(shape)), _dim(end_dim, len(shape))
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    merged = 1
    for n in shape[start:end + 1]:
        merged *= n
    return xp.reshape(x, shape[:start] + (merged,) + shape[end + 1:])


def _squeeze(xp: Any, x: Any, *, dim: Any = None) -> Any:
    """``x`` without its size-1 dimensions (only those among ``dim``, an int or tuple; others are left alone)."""
    shape = tuple(x.shape)
    axes = range(len(shape)) if dim is None else _dims(dim, len(shape))
    return xp.reshape(x, tuple([n for i, n in enumerate(shape)
                                if not (i in axes and known_size(n, "squeeze() (whether the size is 1)") == 1)]))


def _unsqueeze(xp: Any, x: Any, *, dim: Any) -> Any:
    """``x`` with a new size-1 dimension at ``dim`` (``-1`` appends one)."""
    shape = tuple(x.shape)
    d = _dim(dim, len(shape), new=True)
    return xp.reshape(x, shape[:d] + (1,) + shape[d:])


# ------------------------------------------------------------------------------ reordering
def _transpose(xp: Any, x: Any, *, dim0: Any, dim1: Any) -> Any:
    """``x`` with dimensions ``dim0`` and ``dim1`` swapped."""
    return xp.permute_dims(x, _swap(x.ndim, dim0, dim1))


def _swap(ndim: int, dim0: Any, dim1: Any) -> tuple[int, ...]:
    a, b = _dim(dim0, ndim), _dim(dim1, ndim)
    perm = list(range(ndim))
    if ndim:
        perm[a], perm[b] = perm[b], perm[a]
    return tuple(perm)


def _transpose_vjp(xp: Any, g: Any, ans: Any, x: Any, *, dim0: Any, dim1: Any) -> Any:
    return xp.permute_dims(g, axes=_swap(x.ndim, dim0, dim1))  # a swap is its own inverse


def _permutation(ndim: int, dims: Any) -> tuple[int, ...]:
    given = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    if len(given) != ndim:
        raise RuntimeError(
            f"permute(): number of dimensions in the tensor input does not match the length of the desired "
            f"ordering of dimensions i.e. input.dim() = {ndim} is not equal to len(dims) = {len(given)}"
        )
    return _dims(given, ndim)


def _permute(xp: Any, x: Any, *, dims: Any) -> Any:
    """``x`` with its dimensions reordered: result dimension ``i`` is input dimension ``dims[i]``."""
    return xp.permute_dims(x, _permutation(x.ndim, dims))


def _permute_vjp(xp: Any, g: Any, ans: Any, x: Any, *, dims: Any) -> Any:
    perm = _permutation(x.ndim, dims)
    inverse = [0] * len(perm)
    for i, p in enumerate(perm):
        inverse[p] = i
    return xp.permute_dims(g, axes=tuple(inverse))


def _flip(xp: Any, x: Any, *, dims: Any) -> Any:
    """``x`` with the order of elements reversed along each of ``dims``."""
    axes = _dims(dims, x.ndim)
    # A copy, as PyTorch's flip (NumPy's is a view, which in-place writes would go through unrecorded).
    return xp.asarray(xp.flip(x, axis=axes) if axes else x, copy=True)


def _flip_vjp(xp: Any, g: Any, ans: Any, x: Any, *, dims: Any) -> Any:
    axes = _dims(dims, x.ndim)
    return xp.flip(g, axis=axes) if axes else g


# ------------------------------------------------------------------------------ broadcasting
def _expand_shape(shape: tuple[int, ...], sizes: Any) -> tuple[int, ...]:
    sizes = _shape_param(sizes)
    lead = len(sizes) - len(shape)
    if lead < 0:
        raise RuntimeError(
            f"expand(tensor with shape {list(shape)}, size={list(sizes)}): the number of sizes provided "
            f"({len(sizes)}) must be greater or equal to the number of dimensions in the tensor ({len(shape)})"
        )
    out = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(
                    f"expand(tensor with shape {list(shape)}, size={list(sizes)}): the expanded size of the "
                    f"tensor ({s}) isn't allowed in a leading, non-existing dimension {i}"
                )
            out.append(s)
            continue
        n = shape[i - lead]
        if s == -1:
            out.append(n)
        elif s == n or (n == 1 and s >= 0):
            out.append(s)
        else:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({n}) at non-singleton "
                f"dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: {list(shape)}"
            )
    return tuple(out)


def _expand(xp: Any, x: Any, *, sizes: Any) -> Any:
    """``x`` broadcast to ``sizes`` (PyTorch's expand: -1 keeps a dimension's size; new ones go in front)."""
    return xp.broadcast_to(x, _expand_shape(tuple(x.shape), sizes))


def _same(xp: Any, g: Any, ans: Any, x: Any, **params: Any) -> Any:
    return g  # in the broadcast shape: the engine sums it down to the input's


# ------------------------------------------------------------------------------ joining
def _arrays_only(name: str, arrays: tuple[Any, ...]) -> None:
    if not arrays:  # PyTorch: a ValueError from cat, a RuntimeError from stack
        raise (ValueError if name == "cat" else RuntimeError)(f"{name}(): expected a non-empty list of Tensors")
    for a in arrays:
        if not hasattr(a, "shape"):
            raise TypeError(
                f"{name}(): expected a list of Tensors, got {type(a).__name__} among them; give dim by keyword, "
                f"{name}(tensors, dim={a!r})"
            )


def _cat(xp: Any, *arrays: Any, dim: Any = 0) -> Any:
    """The tensors joined along the existing dimension ``dim``; all other sizes must match."""
    _arrays_only("cat", arrays)
    first = tuple(arrays[0].shape)
    for i, a in enumerate(arrays):
        if a.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
        if a.ndim != len(first):
            raise RuntimeError(f"Tensors must have same number of dimensions: got {len(first)} and {a.ndim}")
    d = _dim(dim, len(first))
    for i, a in enumerate(arrays):
        for k, (n, m) in enumerate(zip(first, a.shape)):
            if k != d and n != m:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size {n} but got size {m} "
                    f"for tensor number {i} in the list."
                )
    return xp.concat(list(arrays), axis=d)


def _cat_vjp(xp: Any, g: Any, ans: Any, *inputs: Any, dim: Any = 0) -> tuple[Any, ...]:
    d = _dim(dim, inputs[0].ndim)
    grads, start = [], 0
    for x in inputs:
        stop = start + x.shape[d]
        grads.append(xp.getitem(g, index=(slice(None),) * d + (slice(start, stop),)))
        start = stop
    return tuple(grads)


def _stack(xp: Any, *arrays: Any, dim: Any = 0) -> Any:
    """The tensors, all of one shape, stacked along a new dimension ``dim``."""
    _arrays_only("stack", arrays)
    first = tuple(arrays[0].shape)
    for i, a in enumerate(arrays):
        if tuple(a.shape) != first:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(first)} at entry 0 and "
                f"{list(a.shape)} at entry {i}"
            )
    return xp.stack(list(arrays), axis=_dim(dim, len(first), new=True))


def _stack_vjp(xp: Any, g: Any, ans: Any, *inputs: Any, dim: Any = 0) -> tuple[Any, ...]:
    d = _dim(dim, inputs[0].ndim, new=True)
    return tuple(xp.getitem(g, index=(slice(None),) * d + (i,)) for i in range(len(inputs)))


# ------------------------------------------------------------------------------ padding
_PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "replicate", "edge": "replicate",
              "circular": "circular", "wrap": "circular"}


def _is_int(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    try:
        operator.index(v)
    except TypeError:
        return False
    return True


def _pair(v: Any) -> tuple[int, int]:
    if _is_int(v):
        return (_size(v), _size(v))
    pair = tuple(v)
    if len(pair) == 1:
        return (_size(pair[0]), _size(pair[0]))
    if len(pair) != 2:
        raise ValueError(f"pad_width entries must be (before, after) pairs, got {pair!r}")
    return (_size(pair[0]), _size(pair[1]))


def _numpy_widths(pad_width: Any, ndim: int) -> tuple[tuple[int, int], ...]:
    """NumPy's ``pad_width``: an int, one ``(before, after)`` pair for every dimension, or a pair per dimension."""
    if _is_int(pad_width):
        return (_pair(pad_width),) * ndim
    entries = list(pad_width)
    if all(_is_int(e) for e in entries):
        return (_pair(entries),) * ndim
    pairs = tuple(_pair(e) for e in entries)
    if len(pairs) == 1:
        return pairs * ndim
    if len(pairs) != ndim:
        raise ValueError(f"pad_width gives {len(pairs)} (before, after) pairs for a tensor of {ndim} dimensions")
    return pairs


def _pad_widths(ndim: int, pad: Any, pad_width: Any) -> tuple[tuple[int, int], ...]:
    if (pad is None) == (pad_width is None):
        raise TypeError("pad() takes exactly one of pad (PyTorch's flat tuple, or NumPy's pairs) and pad_width")
    if pad_width is not None:
        return _numpy_widths(pad_width, ndim)
    if _is_int(pad) or isinstance(pad, (str, bytes)) or not isinstance(pad, Iterable):
        raise TypeError(f"pad must be a tuple of ints (PyTorch's, from the last dimension), got {pad!r}")
    entries = list(pad)
    if entries and not any(_is_int(e) for e in entries):  # NumPy's nested pairs
        return _numpy_widths(entries, ndim)
    flat = [_size(e) for e in entries]
    if len(flat) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(flat) // 2 > ndim:
        raise RuntimeError(
            f"Padding length should be less than or equal to two times the input dimension but got padding "
            f"length {len(flat)} and input of dimension {ndim}"
        )
    widths = [(0, 0)] * ndim
    for i in range(len(flat) // 2):  # PyTorch's pairs start at the last dimension
        widths[ndim - 1 - i] = (flat[2 * i], flat[2 * i + 1])
    return tuple(widths)


def _pad_mode(mode: Any) -> str:
    try:
        return _PAD_MODES[mode]
    except (KeyError, TypeError):
        raise ValueError(f"pad(): unsupported mode {mode!r}; use one of {sorted(_PAD_MODES)}") from None


def _constant_plan(shape: tuple[int, ...], widths: Any) -> tuple[tuple[slice, ...], tuple[slice, ...], tuple[int, ...]]:
    """Where constant padding reads from ``x`` (negative pads crop) and writes into the result, and its shape."""
    crop, place, out = [], [], []
    for n, (before, after) in zip(shape, widths):
        size = n + before + after
        if size < 0:
            raise RuntimeError(
                f"The input size {n}, plus negative padding {before} and {after} resulted in a negative output size, "
                "which is invalid. Check dimension of your input."
            )
        kept = max(n - max(-before, 0) - max(-after, 0), 0)
        crop.append(slice(max(-before, 0), max(-before, 0) + kept))
        place.append(slice(max(before, 0), max(before, 0) + kept))
        out.append(size)
    return tuple(crop), tuple(place), tuple(out)


def _pad_source(n: int, before: int, after: int, kind: str) -> list[int]:
    """For each position of a padded dimension, the input position it copies (reflect/replicate/circular)."""
    if n == 0 and before + after > 0:
        raise RuntimeError(f"pad(): {kind} padding needs a non-empty dimension, got one of size 0")
    positions = range(-before, n + after)
    if kind == "replicate":
        return [min(max(j, 0), n - 1) for j in positions]
    if kind == "circular":
        return [j % n for j in positions]
    if n == 1:
        return [0 for _ in positions]
    period = 2 * (n - 1)
    return [j % period if j % period < n else period - j % period for j in positions]


def _pad(xp: Any, x: Any, *, pad: Any = None, mode: str = "constant", value: Any = 0.0, pad_width: Any = None) -> Any:
    """``x`` padded. ``pad`` is PyTorch's flat tuple, pairs from the last dimension backwards
    (``(left, right, top, bottom)``), or NumPy's ``(before, after)`` pairs; ``pad_width`` is NumPy's.
    Modes: constant (``value``; negative pads crop), reflect, replicate (``edge``), circular (``wrap``)."""
    shape = tuple(x.shape)
    widths = _pad_widths(len(shape), pad, pad_width)
    kind = _pad_mode(mode)
    if kind == "constant":
        crop, place, out_shape = _constant_plan(shape, widths)
        fill = value if isinstance(value, bool) else float(value)  # PyTorch's pad takes the value as a float
        out = xp.full(out_shape, checked_scalar(fill, numpy_dtype_of(x)), dtype=x.dtype)
        out[place] = x[crop]
        return out
    out = xp.reshape(x, shape)  # a new array even when nothing is padded
    for d, (before, after) in enumerate(widths):
        if before or after:
            out = xp.take(out, xp.asarray(_pad_source(shape[d], before, after, kind)), axis=d)
    return out


def _pad_vjp(xp: Any, g: Any, ans: Any, x: Any, *, pad: Any = None, mode: str = "constant", value: Any = 0.0,
             pad_width: Any = None) -> Any:
    shape = tuple(x.shape)
    widths = _pad_widths(len(shape), pad, pad_width)
    if _pad_mode(mode) == "constant":
        crop, place, _ = _constant_plan(shape, widths)
        g = xp.getitem(g, index=place)
        if any(c != slice(0, n) for c, n in zip(crop, shape)):  # cropped parts of x get zero
            g = xp.index_scatter_add(g, index=crop, shape=shape)
        return g
    steps, current = [], list(shape)
    for d, (before, after) in enumerate(widths):
        if before or after:
            steps.append((d, tuple(current), _pad_source(shape[d], before, after, _pad_mode(mode))))
            current[d] = shape[d] + before + after
    for d, before_shape, source in reversed(steps):  # each take's adjoint: scatter-add along d
        g = xp.index_scatter_add(g, index=(slice(None),) * d + (source,), shape=before_shape)
    return g


def _back_to_input_shape(xp: Any, g: Any, ans: Any, x: Any, **params: Any) -> Any:
    return xp.reshape(g, x.shape)


# ------------------------------------------------------------------------------ composites
# Several results (split, chunk), or plain calls of other ops: built from registered ops,
# so their gradients are those ops' VJPs.
def _narrow(x: Any, dim: Any, start: Any, length: Any) -> Any:
    """``x``'s elements ``start`` to ``start + length`` along ``dim`` (``start`` may be negative)."""
    import tapegrad

    if x.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = _dim(dim, x.ndim)
    n, start, length = x.shape[d], _size(start), _size(length)
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    start = start + n if start < 0 else start
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return tapegrad.ops.getitem(x, index=(slice(None),) * d + (slice(start, start + length),))


def _split(x: Any, split_size_or_sections: Any, dim: Any = 0) -> tuple[Any, ...]:
    """``x`` cut along ``dim`` into pieces of ``split_size_or_sections`` (an int: that size, the last
    piece smaller if need be; a list: those sizes, which must add up to the dimension's size)."""
    import tapegrad

    if x.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = _dim(dim, x.ndim)
    n = x.shape[d]
    if _is_int(split_size_or_sections):
        size = _size(split_size_or_sections)
        if size < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={size}")
        if size == 0 and n != 0:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
        sections = [size] * (n // size) + ([n % size] if n % size else []) if n else [0]
    else:
        if not isinstance(split_size_or_sections, Iterable) or isinstance(split_size_or_sections, (str, bytes)):
            raise TypeError(
                "split(): argument 'split_size_or_sections' must be int or tuple of ints, not "
                f"{type(split_size_or_sections).__name__}"
            )
        sections = [_size(s) for s in split_size_or_sections]
        if any(s < 0 for s in sections):
            raise RuntimeError(
                f"split_with_sizes expects split_sizes have only non-negative entries, but got split_sizes={sections}"
            )
        if sum(sections) != n:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at dimension "
                f"{d}), but got split_sizes={sections}"
            )
    pieces, start = [], 0
    for size in sections:
        pieces.append(tapegrad.ops.getitem(x, index=(slice(None),) * d + (slice(start, start + size),)))
        start += size
    return tuple(pieces)


def _chunk(x: Any, chunks: Any, dim: Any = 0) -> tuple[Any, ...]:
    """``x`` cut along ``dim`` into ``chunks`` pieces of equal size (the last smaller; maybe fewer pieces)."""
    chunks = _size(chunks)
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    if x.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    import tapegrad

    n = x.shape[_dim(dim, x.ndim)]
    # Through the op, so its pieces are views of split's, as PyTorch names them in errors
    return tapegrad.ops.split(x, [0] * chunks if n == 0 else -(-n // chunks), dim)


# method -> dtype: x.float() is float32 whatever the default dtype, as in PyTorch
_CONVERSIONS = (("float", "float32"), ("double", "float64"), ("half", "float16"), ("long", "int64"),
                ("int", "int32"), ("bool", "bool"))


def _converter(method: str, dtype: str) -> Any:
    floating = dtype.startswith("float")

    def convert(x: Any) -> Any:
        import tapegrad

        if not floating and type(x) is tapegrad.Tensor and x.requires_grad:
            x = x.detach()  # integer and bool results carry no gradient, as in PyTorch
        return tapegrad.ops.astype(x, dtype=dtype)  # astype's identity rule: x itself if already of dtype

    convert.__name__ = f"to_{method}"
    convert.__doc__ = f"``x`` converted to {dtype} (the Tensor method ``x.{method}()``)."
    return convert


def _as_float(value: float) -> Any:
    """A 0-d float64 array, for a special point's 0-d input."""
    import numpy

    return numpy.array(value)


def register(registry: Registry) -> None:
    registry.register_op(
        "reshape", forward=_reshape, vjp=(_back_to_input_shape,), saves=(), view=True,
        reference=ref.reshape,
        params=("*shape",), methods=("reshape",), node_name="ViewBackward0", batching=batch.reshape,
        samples=[Sample((2, 3), shape=(3, 2)), Sample((6,), shape=(-1, 2)), Sample((), shape=(1, 1))],
    )
    registry.register_op(
        # The cotangent comes back in the broadcast shape; the engine sums it down.
        "broadcast_to", forward=_broadcast_to, vjp=(lambda xp, g, ans, x, shape: g,), saves=(), view="broadcast",
        reference=ref.broadcast_to,
        params=("*shape",), methods=("broadcast_to",), node_name="ExpandBackward0", batching=batch.expand("shape"),
        samples=[Sample((3,), shape=(2, 3)), Sample((2, 1), shape=(2, 4)), Sample((), shape=(3,))],
    )
    registry.register_op(
        "expand_dims", forward=_expand_dims, vjp=(_back_to_input_shape,), saves=(), view=True,
        reference=ref.expand_dims,
        params=("dim",), param_aliases={"axis": "dim"}, methods=("expand_dims",), node_name="UnsqueezeBackward0",
        batching=batch.along("dim", extra=1),
        samples=[Sample((2, 3), dim=0), Sample((2, 3), dim=-1), Sample((), dim=0)],
    )
    registry.register_op(
        # The engine casts each cotangent to its input's dtype, so the VJP passes g through.
        "astype", forward=_astype, vjp=(lambda xp, g, ans, x, dtype: g,), saves=(),
        reference=ref.astype,
        params=("dtype",), methods=("astype",), promotion=False, node_name="ToCopyBackward0", batching="elementwise",
        identity=lambda x, dtype: dtype is not None and _same_dtype(x, dtype),
        samples=[Sample((2, 3), dtype="float64"), Sample((3,), dtype="float32")],
    )
    registry.register_op(
        "view", forward=_view, vjp=(_back_to_input_shape,), saves=(), view=True, params=("*shape",), methods=("view",),
        batching=batch.reshape, identity=check_view,  # PyTorch's stride check, on the tensor, before the forward
        reference=view_reference,
        samples=[Sample((2, 3), shape=(3, 2)), Sample((2, 3, 4), shape=(-1, 4)), Sample((), shape=(1,)),
                 # on the kit's strided inputs: a merge of contiguous dims, splits, dims of size 1
                 Sample((2, 3, 4), shape=(2, 1, 12)), Sample((4, 3), shape=(2, 2, 1, 3)), Sample((2, 1, 3), shape=(2, 3)),
                 Sample((2, 2, 1), shape=(4,))],
    )
    registry.register_op(
        "flatten", forward=_flatten, vjp=(_back_to_input_shape,), saves=(), view=True, params=("start_dim", "end_dim"),
        reference=ref.flatten,
        methods=("flatten",), node_name="ViewBackward0", batching=batch.along(("start_dim", 0), ("end_dim", -1)),
        identity=_flatten_unchanged,
        samples=[Sample((2, 3, 4)), Sample((2, 3, 4), start_dim=1), Sample((2, 3, 4, 1), start_dim=-3, end_dim=-2),
                 Sample(()),
                 Sample((2, 3, 4), end_dim=1)],
    )
    registry.register_op(
        "squeeze", forward=_squeeze, vjp=(_back_to_input_shape,), saves=(), view=True, params=("dim",),
        reference=ref.squeeze,
        param_aliases={"axis": "dim"}, methods=("squeeze",), node_name=node_names.squeeze, batching=batch.squeeze,
        samples=[Sample((1, 3, 1)), Sample((1, 3, 1), dim=0), Sample((1, 3, 1), dim=1),
                 Sample((1, 3, 1), dim=(0, -1)), Sample((), dim=0), Sample((2, 1, 3))],
    )
    registry.register_op(
        "unsqueeze", forward=_unsqueeze, vjp=(_back_to_input_shape,), saves=(), view=True, params=("dim",),
        reference=ref.expand_dims,
        methods=("unsqueeze",), batching=batch.along("dim", extra=1),
        samples=[Sample((2, 3), dim=0), Sample((2, 3), dim=-1), Sample((2, 3), dim=1), Sample((), dim=0)],
    )
    registry.register_op(
        "transpose", forward=_transpose, vjp=(_transpose_vjp,), saves=(), view=True, params=("dim0", "dim1"),
        reference=ref.transpose,
        aliases=("swapaxes", "swapdims"), methods=("transpose", "swapaxes", "swapdims"),
        batching=batch.along("dim0", "dim1"),
        samples=[Sample((2, 3, 4), dim0=0, dim1=2), Sample((2, 3), dim0=-1, dim1=0), Sample((3,), dim0=0, dim1=-1),
                 Sample((), dim0=0, dim1=-1)],
    )
    registry.register_op(
        "permute", forward=_permute, vjp=(_permute_vjp,), saves=(), view=True, params=("*dims",),
        reference=ref.permute,
        param_aliases={"axes": "dims"}, aliases=("permute_dims",), methods=("permute",), batching=batch.permute,
        samples=[Sample((2, 3, 4), dims=(2, 0, 1)), Sample((2, 3), dims=(-1, 0)), Sample((), dims=())],
    )
    registry.register_op(
        "expand", forward=_expand, vjp=(_same,), saves=(), view="broadcast", params=("*sizes",), methods=("expand",),
        batching=batch.expand("sizes"),
        reference=ref.expand,
        samples=[Sample((3, 1), sizes=(2, 3, 4)), Sample((3, 1), sizes=(2, -1, 4)), Sample((2, 3), sizes=(-1, -1)),
                 Sample((), sizes=(3,)),
                 Sample((3, 1), sizes=(3, 0)), Sample((3,), sizes=(2, 4, 3))],
        edge_cases=[  # PyTorch's refusals (the kit's batching check makes them under vmap too)
            EdgeCase([1.0, 2.0, 3.0], params={"sizes": (-1, 3)}, raises=RuntimeError,
                     match=r"the tensor \(-1\) isn't allowed in a leading, non-existing dimension 0"),
            EdgeCase([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], params={"sizes": (3,)}, raises=RuntimeError,
                     match=r"the number of sizes provided \(1\) must be greater or equal to the number of dimensions "
                           r"in the tensor \(2\)")],
    )
    registry.register_op(
        "flip", forward=_flip, vjp=(_flip_vjp,), saves=(), params=("*dims",), param_aliases={"axis": "dims"},
        reference=ref.flip,
        methods=("flip",), batching=batch.along("dims"),
        samples=[Sample((2, 3), dims=(0,)), Sample((2, 3, 4), dims=(-1, 0)), Sample((3,), dims=0), Sample((), dims=())],
    )
    registry.register_op(
        "cat", forward=_cat, vjp=_cat_vjp, saves=(), variadic=True, params=("dim",),
        reference=ref.cat, batching=batch.joined(0),
        param_aliases={"axis": "dim"}, aliases=("concat",),
        samples=[Sample((2, 3), (1, 3), (4, 3)), Sample((2, 3), (2, 1), (2, 2), dim=-1), Sample((3,), (2,), dim=0)],
        edge_cases=[  # PyTorch's refusals (the kit's batching check makes them under vmap too)
            EdgeCase(_as_float(1.0), _as_float(2.0), raises=RuntimeError,
                     match=r"zero-dimensional tensor \(at position 0\) cannot be concatenated"),
            EdgeCase([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [1.0, 2.0, 3.0], raises=RuntimeError,
                     match="Tensors must have same number of dimensions: got 2 and 1")],
    )
    registry.register_op(
        "stack", forward=_stack, vjp=_stack_vjp, saves=(), variadic=True, params=("dim",),
        reference=ref.stack, batching=batch.joined(1),
        param_aliases={"axis": "dim"},
        samples=[Sample((2, 3), (2, 3), (2, 3)), Sample((2, 3), (2, 3), (2, 3), dim=-1),
                 Sample((2, 3), (2, 3), dim=1), Sample((), (), dim=0)],
    )
    registry.register_op(
        "pad", forward=_pad, vjp=(_pad_vjp,), saves=(), params=("pad", "mode", "value"), node_name=node_names.pad,
        reference=ref.PAD, edge_cases=ec.PAD_SCALARS,
        param_aliases={"constant_values": "value"},
        samples=[Sample((2, 3), pad=(1, 2)), Sample((2, 3), pad=(1, 0, 2, 1), value=0.5),
                 Sample((2, 3, 4), pad_width=((0, 0), (1, 1), (2, 0))), Sample((4,), pad=(-1, 2)),
                 Sample((3, 4), pad=(2, -1, -1, 0)), Sample((2, 3), pad=(2, 1), mode="reflect"),
                 Sample((2, 3), pad=(1, 1, 1, 2), mode="replicate"), Sample((2, 3), pad=(3, 1, 0, 1), mode="circular"),
                 Sample((3,), pad_width=4, mode="reflect")],
    )
    # Several results: the kit checks them concatenated.
    registry.register_composite("split", _split, methods=("split",), view="multiple", reference=ref.split, samples=[
        Sample((5, 2), split_size_or_sections=2), Sample((2, 6), split_size_or_sections=[1, 3, 2], dim=1),
        Sample((0, 2), split_size_or_sections=2)])
    registry.register_composite("chunk", _chunk, methods=("chunk",), view="multiple", reference=ref.chunk,
                                edge_cases=ec.CHUNK, samples=[
        Sample((5, 2), chunks=2), Sample((2, 6), chunks=3, dim=-1),
        Sample((1, 4), chunks=2)])
    registry.register_composite(
        "narrow", _narrow, methods=("narrow",),
        reference=ref.narrow,
        samples=[Sample((4, 5), dim=1, start=1, length=3), Sample((4, 5), dim=0, start=-2, length=2),
                 Sample((4, 5), dim=1, start=0, length=2)],
    )
    for method, dtype in _CONVERSIONS:
        # array-API libraries need not have float16 (array-api-strict has not): .half() is checked on NumPy only
        samples = [] if dtype == "float16" else [Sample((2, 3)), Sample(())]
        registry.register_composite(f"to_{method}", _converter(method, dtype), methods=(method,), samples=samples,
                                    reference=ref.converter(dtype))
