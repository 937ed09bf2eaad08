"""Indexing: ``x[key]`` (getitem), ``x[key] = v`` (index_put), gather, and the scatter-add
that is their VJP (index_scatter_add).

Keys are NumPy's: ints (negative ones count from the end), slices with any step, None,
Ellipsis, tuples of these, and advanced indices (integer arrays, which may repeat an
index, and boolean masks). Tensors and lists inside a key become arrays.

The VJP of ``getitem`` is ``index_scatter_add``: zeros of the input's shape with the
cotangent added at the key, repeated indices accumulating. Its own VJP is ``getitem``
again, so indexing is differentiable to any order.

On NumPy, keys go straight to NumPy (views for basic keys, ``np.add.at`` for repeated
indices). Other backends get basic keys directly (the array API standardises them);
for advanced keys the element positions are worked out on the host from the shape and
the key alone, then values move with ``xp.take`` and ``xp.sum``, which every array-API
library has.
"""

from __future__ import annotations

import operator
import re
from typing import TYPE_CHECKING, Any

import numpy as np

from tapegrad.dims import axis
from tapegrad.optable import index_param
from tapegrad.testing.samples import Sample
from tapegrad.registry import LaterModule

from . import batching_rules as batch
from . import node_names
from . import references as ref

if TYPE_CHECKING:
    from tapegrad import Registry

ec = LaterModule(__package__ + ".edge_cases")  # the special points, made when the kit asks


# ------------------------------------------------------------------------------ keys
def _part(k: Any) -> Any:
    """One entry of a key: tensors and lists become arrays, NumPy scalars Python ones.
    An int beyond int64 and an entry no key may hold are refused in PyTorch's words."""
    k = index_param(k)
    if type(k) is int:
        if not -(2**63) <= k < 2**63:
            raise ValueError("Overflow when unpacking long long")
        return k
    if type(k) is list:
        return np.asarray([_part(e) for e in k])
    if isinstance(k, np.generic):
        return k.item()
    if not (k is None or k is Ellipsis or isinstance(k, (slice, bool, int)) or _is_array(k)):
        kind = TypeError if isinstance(k, (str, bytes)) else IndexError
        raise kind(
            "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
            f"indices (got {type(k).__name__})"
        )
    return k


_NUMPY_WORDS = (  # NumPy's indexing errors, and PyTorch's words for each (compiled by re when first met)
    (r"index (-?\d+) is out of bounds for axis (\d+) with size (\d+)",
     r"index \1 is out of bounds for dimension \2 with size \3"),
    (r"too many indices for array: array is 0-dimensional.*",
     "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to convert "
     "a 0-dim tensor to a number"),
    (r"too many indices for array: array is (\d+)-dimensional.*", r"too many indices for tensor of dimension \1"),
    (r"arrays used as indices must be of integer \(or boolean\) type",
     "tensors used as indices must be long, int, byte or bool tensors"),
    (r"boolean index did not match indexed array along (?:axis|dimension) (\d+); size of (?:axis|dimension) "
     r"is (\d+) but size of corresponding boolean (?:axis|dimension) is (\d+)",
     r"The shape of the mask [\3] at index \1 does not match the shape of the indexed tensor [\2] at index \1"),
)


def _in_pytorch_words(exc: IndexError) -> IndexError:
    """NumPy's IndexError reworded as PyTorch's ("dimension", not "axis"; tensors, not arrays)."""
    message = str(exc)
    for pattern, words in _NUMPY_WORDS:
        if re.search(pattern, message):
            return IndexError(re.sub(pattern, words, message))
    if message.startswith("shape mismatch: indexing arrays"):
        shapes = ", ".join(str(list(_shape_of(t))) for t in re.findall(r"\([\d, ]*\)", message))
        return IndexError(f"shape mismatch: indexing tensors could not be broadcast together with shapes {shapes}")
    return exc


def _shape_of(text: str) -> tuple[int, ...]:
    """``"(2, 3)"`` as ``(2, 3)``."""
    return tuple(int(n) for n in text.strip("()").replace(" ", "").split(",") if n)


def _key(index: Any) -> tuple[Any, ...]:
    """``index`` as a tuple of entries (``x[k]`` is ``x[(k,)]``)."""
    if type(index) is tuple:
        return tuple([_part(k) for k in index])
    return (_part(index),)


def _is_array(k: Any) -> bool:
    return hasattr(k, "shape") and hasattr(k, "dtype")


def _is_advanced(k: Any) -> bool:
    """An array (integer or boolean) or a Python bool, which NumPy treats as a 0-d mask."""
    return type(k) is bool or _is_array(k)


def _is_repeatable(k: Any) -> bool:
    """An integer array, the only kind of entry that may name one element twice."""
    return _is_array(k) and np.asarray(k).dtype.kind != "b"


def _numpy_key(key: tuple[Any, ...]) -> tuple[Any, ...]:
    """The key with every array a NumPy array (index arrays may come from another backend)."""
    return tuple([np.asarray(k) if _is_array(k) and not isinstance(k, np.ndarray) else k for k in key])


def _is_numpy(a: Any) -> bool:
    return isinstance(a, (np.ndarray, np.generic))


def _shape(shape: Any) -> tuple[int, ...]:
    return tuple([operator.index(n) for n in shape])


def _positions(shape: tuple[int, ...], key: tuple[Any, ...]) -> np.ndarray:
    """Flat positions (into ``shape``, C order) of the elements ``key`` selects, shaped like the result."""
    return np.asarray(np.arange(_prod(shape), dtype=np.intp).reshape(shape)[_numpy_key(key)])


def _prod(shape: tuple[int, ...]) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _scatter_flat(xp: Any, values: Any, pos: np.ndarray, n: int, fill: Any = 0, reduce: Any = None) -> Any:
    """``out[t] = sum of values[j] where pos[j] == t``, length ``n``, with portable ``xp`` calls only.

    The grouping is done on the host (positions depend on shapes and the key, never on
    values); the values are gathered into a (unique positions x most repeats) table,
    padded with zeros, and summed along rows. ``reduce`` (``xp.prod``, ``xp.max``, ...) replaces
    the sum, ``fill`` (its identity) the zeros, as ``scatter_reduce`` needs.
    """
    zero = xp.full((1,), fill, dtype=values.dtype)
    m = pos.size
    if m == 0:
        return xp.full((n,), fill, dtype=values.dtype)
    order = np.argsort(pos, kind="stable")
    unique, starts, counts = np.unique(pos[order], return_index=True, return_counts=True)
    table = np.full((unique.size, int(counts.max())), m, dtype=np.intp)  # m: the zero pad
    table[np.repeat(np.arange(unique.size), counts), np.arange(m) - np.repeat(starts, counts)] = order
    padded = xp.concat([values, zero])
    rows = xp.reshape(xp.take(padded, xp.asarray(table.reshape(-1)), axis=0), table.shape)
    sums = xp.concat([(reduce or xp.sum)(rows, axis=1), zero])
    slot = np.full(n, unique.size, dtype=np.intp)  # unique.size: the trailing zero
    slot[unique] = np.arange(unique.size)
    return xp.take(sums, xp.asarray(slot), axis=0)


def _add_at(out: np.ndarray, key: tuple[Any, ...], values: Any) -> None:
    """``out[key] += values`` with repeated indices accumulating (``np.add.at``), ``values``
    broadcast to the indexed shape first: NumPy's ``add.at`` returns uninitialised memory for
    some values that must broadcast (a (3,) value over a (2, 3) index), so it is never asked to."""
    np.add.at(out, key, np.broadcast_to(np.asarray(values, dtype=out.dtype), out[key].shape))


def _fit_value(xp: Any, v: Any, shape: tuple[int, ...], dtype: Any) -> Any:
    """``v`` (array or Python scalar) cast to ``dtype`` and broadcast to ``shape`` as NumPy's setitem does."""
    v = xp.asarray(v, dtype=dtype) if not hasattr(v, "shape") else (v if v.dtype == dtype else xp.astype(v, dtype))
    extra = v.ndim - len(shape)
    if extra > 0:  # NumPy accepts leading size-1 dimensions beyond the target's
        v = xp.reshape(v, tuple(v.shape)[extra:])
    return xp.broadcast_to(v, shape)


# ------------------------------------------------------------------------------ getitem
def _getitem(xp: Any, x: Any, *, index: Any) -> Any:
    """``x[index]``: basic slicing, ints, None, Ellipsis, integer arrays and boolean masks, as NumPy."""
    key = _key(index)
    if _is_numpy(x):
        nkey = _numpy_key(key)
        if not any(k is Ellipsis for k in nkey):
            nkey = (*nkey, Ellipsis)  # an int for every dimension then gives a 0-d view, as PyTorch's x[0]
        try:
            return np.asarray(x)[nkey]
        except IndexError as exc:
            raise _in_pytorch_words(exc) from None
    if not any(_is_advanced(k) for k in key):
        # The array API standardises basic keys covering every dimension; a trailing Ellipsis says so.
        return x[key if any(k is Ellipsis for k in key) else (*key, Ellipsis)]
    pos = _positions(tuple(x.shape), key)
    flat = xp.reshape(x, (-1,))
    return xp.reshape(xp.take(flat, xp.asarray(pos.reshape(-1)), axis=0), pos.shape)


def _getitem_vjp(xp: Any, g: Any, out: Any, x: Any, *, index: Any) -> Any:
    return xp.index_scatter_add(g, index=index, shape=tuple(x.shape))


# ------------------------------------------------------------------------------ scatter-add
def _index_scatter_add(xp: Any, g: Any, *, index: Any, shape: Any) -> Any:
    """Zeros of ``shape`` with ``g`` added at ``[index]``; repeated indices accumulate (getitem's VJP)."""
    shape, key = _shape(shape), _key(index)
    if _is_numpy(g):
        g = np.asarray(g)
        z = np.zeros(shape, dtype=g.dtype)
        nkey = _numpy_key(key)
        try:
            if any(_is_repeatable(k) for k in key):
                _add_at(z, nkey, g)
            else:  # no element is named twice: plain assignment is the sum
                z[nkey] = g
        except IndexError as exc:
            raise _in_pytorch_words(exc) from None
        return z
    pos = _positions(shape, key)
    values = xp.reshape(xp.broadcast_to(g, pos.shape), (-1,))
    return xp.reshape(_scatter_flat(xp, values, pos.reshape(-1), _prod(shape)), shape)


def _index_scatter_add_vjp(xp: Any, g: Any, out: Any, x: Any, *, index: Any, shape: Any) -> Any:
    return xp.getitem(g, index=index)


# ------------------------------------------------------------------------------ index_put
def _index_put(xp: Any, x: Any, v: Any, *, index: Any, accumulate: bool = False) -> Any:
    """A copy of ``x`` with ``v`` written at ``[index]`` (added there when ``accumulate``; repeats then sum)."""
    key = _key(index)
    if _is_numpy(x):
        out = np.array(x, copy=True)
        nkey = _numpy_key(key)
        try:
            if accumulate:
                _add_at(out, nkey, v)
            else:
                out[nkey] = v
        except IndexError as exc:
            raise _in_pytorch_words(exc) from None
        except OverflowError:  # a Python int the tensor's dtype cannot hold
            if type(v) is int and not -(2**63) <= v < 2**63:
                raise ValueError("Overflow when unpacking long long") from None
            raise RuntimeError(f"value cannot be converted to type {out.dtype} without overflow") from None
        except ValueError:
            target = np.shape(out[nkey])
            if np.shape(v) == target or len(np.shape(v)) == 0:
                raise
            raise RuntimeError(
                f"shape mismatch: value tensor of shape {list(np.shape(v))} cannot be broadcast to indexing "
                f"result of shape {list(target)}"
            ) from None
        return out
    pos = _positions(tuple(x.shape), key)
    values = xp.reshape(_fit_value(xp, v, pos.shape, x.dtype), (-1,))
    flat, n, m = xp.reshape(x, (-1,)), _prod(tuple(x.shape)), pos.size
    if accumulate:
        out = flat + _scatter_flat(xp, values, pos.reshape(-1), n)
    else:
        slot = np.full(n, m, dtype=np.intp)
        slot[pos.reshape(-1)] = np.arange(m)  # the last write to an element wins, as in NumPy
        written = xp.take(xp.concat([values, xp.zeros((1,), dtype=x.dtype)]), xp.asarray(slot), axis=0)
        out = xp.where(xp.asarray(slot < m), written, flat)
    return xp.reshape(out, tuple(x.shape))


def _index_put_vjp_x(xp: Any, g: Any, out: Any, x: Any, v: Any, *, index: Any, accumulate: bool = False) -> Any:
    # Overwritten elements no longer depend on x; accumulated ones still do, with slope 1.
    return g if accumulate else xp.index_put(g, 0.0, index=index)


def _index_put_vjp_v(xp: Any, g: Any, out: Any, x: Any, v: Any, *, index: Any, accumulate: bool = False) -> Any:
    gv = xp.getitem(g, index=index)  # in the broadcast shape: the engine sums it down to v's
    extra = getattr(v, "ndim", 0) - gv.ndim
    if extra > 0:  # v had leading size-1 dimensions NumPy dropped
        gv = xp.reshape(gv, (1,) * extra + tuple(gv.shape))
    return gv


# ------------------------------------------------------------------------------ gather
def _out_of_range(idx: np.ndarray, low: int, high: int) -> int | None:
    """The first entry of ``idx`` (in its order: the one PyTorch's kernels name) outside ``[low, high)``, else None."""
    flat = np.asarray(idx).reshape(-1)
    outside = np.flatnonzero((flat < low) | (flat >= high))
    return int(flat[outside[0]]) if outside.size else None


def _gather_key(x_shape: tuple[int, ...], dim: Any, index: Any) -> tuple[Any, ...]:
    """The advanced key ``k`` with ``gather(x, dim, index) == x[k]``: ``index`` along ``dim``,
    the position itself along every other dimension. Checks PyTorch's shape rules."""
    ndim = len(x_shape)
    idx = index_param(index)
    if not _is_array(idx) and not isinstance(idx, (list, tuple)):
        raise TypeError(f"gather(): argument 'index' must be Tensor, not {type(idx).__name__}")
    idx = np.asarray(idx)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"gather(): Expected dtype int64 for index, got {idx.dtype}")
    if idx.ndim != ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    d = _dim(dim, ndim)
    for k in range(ndim):
        if k != d and idx.shape[k] > x_shape[k]:
            raise RuntimeError(
                f"Size does not match at dimension {k} expected index {list(idx.shape)} to be no larger than "
                f"self {list(x_shape)} apart from dimension {d}"
            )
    n = x_shape[d] if ndim else 1
    bad = _out_of_range(idx, 0, n)
    if bad is not None:
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {n}")
    return tuple(
        idx if k == d else np.arange(idx.shape[k]).reshape([-1 if j == k else 1 for j in range(ndim)])
        for k in range(ndim)
    )


def _dim(dim: Any, ndim: int) -> int:
    return axis(dim, ndim)  # the shared reader: PyTorch's words for every op


def _gather(xp: Any, x: Any, *, dim: Any, index: Any) -> Any:
    """PyTorch's gather: ``out[i][j][k] = x[index[i][j][k]][j][k]`` for ``dim=0`` (likewise for others)."""
    key = _gather_key(tuple(x.shape), dim, index)
    if not key:  # 0-d: the one element, in memory of its own (``x[()]`` would be ``x`` itself)
        return xp.asarray(x, copy=True)
    return _getitem(xp, x, index=key)


def _gather_vjp(xp: Any, g: Any, out: Any, x: Any, *, dim: Any, index: Any) -> Any:
    return xp.index_scatter_add(g, index=_gather_key(tuple(x.shape), dim, index), shape=tuple(x.shape))


# ------------------------------------------------------------------------------ samples
_REPEATS = np.array([[0, 2], [2, 2]])
_MASK = np.array([True, False, True, True])

GETITEM_SAMPLES = [
    Sample((4, 5), index=1),
    Sample((4, 5), index=-1),
    Sample((4, 5), index=(slice(None, None, 2), slice(4, 0, -2))),
    Sample((4, 5), index=(None, Ellipsis, 3)),
    Sample((2, 3, 4), index=(Ellipsis, slice(1, None), None)),
    Sample((4, 5), index=_REPEATS),
    Sample((4, 5), index=(np.array([0, 3, 0]), np.array([1, 1, 1]))),
    Sample((4, 5), index=(slice(1, 3), np.array([4, 0, 4, 4]))),
    Sample((4, 5), index=_MASK),
    Sample((4, 5), index=(_MASK, 2)),
    Sample((2, 3), index=np.array([[True, False, True], [False, False, True]])),
    Sample((), index=()),
    Sample((), index=None),
]

SCATTER_SAMPLES = [
    Sample((2, 2, 5), index=_REPEATS, shape=(4, 5)),
    Sample((3,), index=(np.array([0, 3, 0]), np.array([1, 1, 1])), shape=(4, 5)),
    Sample((2, 3), index=(slice(None, None, 2), slice(1, 4)), shape=(4, 5)),
    Sample((3, 5), index=_MASK, shape=(4, 5)),
    Sample((), index=(1, -1), shape=(4, 5)),
]

INDEX_PUT_SAMPLES = [
    Sample((4, 5), (5,), index=1),
    Sample((4, 5), (2, 1), index=(slice(1, 3), slice(None, None, 2))),
    Sample((4, 5), (3, 5), index=_MASK),
    Sample((4, 5), (), index=(np.array([0, 3, 1]), np.array([1, 1, 4]))),
    Sample((4, 5), (1, 5), index=2),
    Sample((4, 5), (1, 1, 5), index=1),  # NumPy drops a value's leading size-1 dimensions
    Sample((4, 5), 1.5, index=(Ellipsis, 0)),
    Sample((4, 5), (2, 2, 5), index=_REPEATS, accumulate=True),
]

GATHER_SAMPLES = [
    Sample((3, 4), dim=1, index=np.array([[0, 0, 3], [1, 2, 1], [3, 3, 3]])),
    Sample((3, 4), dim=0, index=np.array([[2, 0, 2, 1], [2, 2, 0, 0]])),
    Sample((2, 3, 4), dim=-1, index=np.array([[[1], [0], [3]], [[2], [2], [2]]])),
    Sample((4,), dim=0, index=np.array([3, 3, 0])),
    Sample((), dim=0, index=np.array(0)), Sample((), dim=-1, index=np.array(0)),  # 0-d: dim 0 and -1 are its one
]


def register(registry: Registry) -> None:
    registry.register_op(
        "getitem", forward=_getitem, inspects_values=("index",), vjp=(_getitem_vjp,), saves=(), view=True, params=("index",), promotion=False,
        reference=ref.getitem,
        node_name=node_names.getitem, samples=GETITEM_SAMPLES, batching=batch.getitem,
    )
    registry.register_op(
        "index_scatter_add", forward=_index_scatter_add, inspects_values=("index",), vjp=(_index_scatter_add_vjp,), saves=(),
        reference=ref.index_scatter_add,
        params=("index", "shape"), promotion=False, samples=SCATTER_SAMPLES,
    )
    registry.register_op(
        "index_put", forward=_index_put, inspects_values=("index",), vjp=(_index_put_vjp_x, _index_put_vjp_v), saves=(),
        edge_cases=ec.INDEX_PUT,
        reference=ref.index_put,
        params=("index", "accumulate"), promotion=False, samples=INDEX_PUT_SAMPLES,
    )
    registry.register_op(
        "gather", forward=_gather, inspects_values=("index",), vjp=(_gather_vjp,), saves=(), params=("dim", "index"),
        reference=ref.gather, edge_cases=ec.GATHER,
        param_aliases={"axis": "dim"}, methods=("gather",), promotion=False, samples=GATHER_SAMPLES,
    )
