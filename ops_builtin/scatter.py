"""Indexing and scatter: masked_select, take, take_along_dim, nonzero/argwhere, and the
scatter family (scatter, scatter_add, scatter_reduce, index_add, index_copy, index_fill).

PyTorch's scatter signatures put static arguments between the tensors
(``scatter(input, dim, index, src)``), so each public op is a composite that reads
PyTorch's arguments and calls an array-first primitive ``NAME_at(input, src, dim=, index=)``
(``scatter_at``, ``scatter_add_at``, ...), whose node carries PyTorch's name
(``ScatterBackward0``, ``IndexAddBackward0``). The in-place methods (``x.scatter_(...)``) run
the same primitive in place.

Every primitive turns ``(dim, index)`` into an advanced indexing key on the host (the
``gather`` key: ``index`` along ``dim``, positions elsewhere) and moves values with the
indexing ops (``getitem``, ``index_put``, ``index_scatter_add``), so forwards run on any
backend and VJPs are other registered ops: scatter's VJP is a gather, gather's a
scatter-add, each differentiable again.

``masked_select``, ``nonzero`` and ``argwhere`` have results whose shape depends on the
input's values (how many elements are selected or nonzero). The kit has no notion of that;
their docstrings say it, and a lazy backend cannot run them without computing.
"""

from __future__ import annotations

import functools
import numbers
from typing import TYPE_CHECKING, Any

import numpy as np

from tapegrad.dims import as_flag, axis
from tapegrad.dispatch import raise_if_not_broadcastable
from tapegrad.dtypes import from_numpy_dtype, legacy_type_name
from tapegrad.backends import backend_of, is_lazy
from tapegrad.dispatch import lazy_refusal
from tapegrad.optable import index_param
from tapegrad.testing.samples import EdgeCase, Sample, Verbatim

from .indexing import _gather_key, _getitem, _index_put, _out_of_range, _positions, _prod, _scatter_flat
from .tensor_api import _fill_value

if TYPE_CHECKING:
    from tapegrad import Registry, Tensor


# ------------------------------------------------------------------------------ arguments
def _np_dtype(dtype: Any) -> np.dtype:
    """A backend's dtype as NumPy's (``array_api_strict.float64`` is ``float64``)."""
    return np.dtype(getattr(dtype, "name", None) or str(dtype).rpartition(".")[2])


def torch_type(dtype: Any) -> str:
    """PyTorch's scalar-type word for a dtype (``Double``, ``Float``, ``Long``), as its messages use."""
    return legacy_type_name(from_numpy_dtype(_np_dtype(dtype))).removeprefix("tapegrad.").removesuffix("Tensor")


def _index(name: str, index: Any, allowed: str = "int32/int64", kind: type = RuntimeError,
           words: str | None = None) -> np.ndarray:
    """``index`` (a tensor or array of integers) as a NumPy array, its dtype checked as PyTorch's ``name`` checks it."""
    idx = index_param(index)
    if not (hasattr(idx, "shape") and hasattr(idx, "dtype")):
        raise TypeError(f"{name}(): argument 'index' must be Tensor, not {type(idx).__name__}")
    if is_lazy(idx):  # its values are checked and used on the host
        raise RuntimeError(lazy_refusal(name, "the values of 'index'", backend_of(idx).name))
    idx = np.asarray(idx)
    if idx.dtype.name not in allowed.split("/"):
        raise kind(words.format(torch_type(idx.dtype)) if words else f"{name}(): Expected dtype {allowed} for index")
    return idx


def _same_dtype(name: str, x: Any, src: Any) -> None:
    if hasattr(src, "dtype") and src.dtype != x.dtype:
        raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")


def _scatter_key(x: Any, src: Any, dim: Any, index: Any) -> tuple[Any, ...] | None:
    """The indexing key of ``scatter(x, dim, index, src)``; None for an empty index (nothing
    moves). Checks PyTorch's rules in PyTorch's words."""
    idx = _index("scatter", index)
    xs = tuple(x.shape)
    if idx.size == 0:
        return None
    ss = tuple(src.shape) if hasattr(src, "shape") else None
    if idx.ndim != len(xs):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if ss is not None and idx.ndim != len(ss):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    d = axis(dim, len(xs))
    for k in range(idx.ndim):
        if (k != d and idx.shape[k] > xs[k]) or (ss is not None and idx.shape[k] > ss[k]):
            also = f" and to be no larger size than src {list(ss)}" if ss is not None else ""
            raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self {list(xs)} apart from "
                               f"dimension {d}{also}")
    return _gather_key(xs, d, idx)


def _read(src: Any, key: tuple[Any, ...]) -> Any:
    """The part of ``src`` the index reads: ``src`` cut to the index's shape (a number stays one)."""
    shape = np.broadcast_shapes(*(k.shape for k in key))  # the index's shape
    if not hasattr(src, "shape") or tuple(src.shape) == tuple(shape):
        return src
    return src[tuple(slice(0, n) for n in shape)]


def _src_cotangent(xp: Any, g: Any, key: tuple[Any, ...] | None, src: Any) -> Any:
    """``g`` gathered at ``key`` (index-shaped), laid into zeros of ``src``'s shape where
    ``src`` is larger than the index (PyTorch fails there; the unread elements get zeros).
    Nothing flows for an empty index."""
    if key is None or not hasattr(src, "shape"):  # a number written everywhere has no cotangent
        return None
    return _pad_part(xp, xp.getitem(g, index=key), src)


def _dim_key(name: str, x: Any, dim: Any, idx: np.ndarray, kind: type = RuntimeError) -> tuple[tuple[Any, ...], int]:
    """The key of ``index_*(x, dim, index)``: the 1-D ``idx`` along ``dim``, everything elsewhere
    (a 0-d ``x`` is one slot, index 0: the key ``()``). Out-of-range entries are refused in
    PyTorch's words; negative ones too, as PyTorch refuses them."""
    d = axis(dim, max(len(x.shape), 1))
    n = x.shape[d] if len(x.shape) else 1
    flat = idx.reshape(-1)
    bad = _out_of_range(flat, 0, n)
    if bad is not None:
        words = f"index {bad} is out of bounds for dimension {d} with size {n}"
        raise kind(words if kind is RuntimeError else f"{name}(): {words}")
    if not len(x.shape):
        if flat.size != 1:
            raise RuntimeError(f"{name}(): Number of indices ({flat.size}) should be equal to source.size(dim): (1), "
                               "for dim: 0")
        return (), d
    return (slice(None),) * d + (flat,), d


_C_TYPES = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int", "int64": "int64_t"}


def _check_number(value: Any, dtype: Any) -> None:
    """A number written into an integer tensor must fit its dtype, as PyTorch checks (NumPy would wrap)."""
    kind = _np_dtype(dtype)
    if kind.kind in "iu" and isinstance(value, (int, float)) and not isinstance(value, bool):
        info = np.iinfo(kind)
        if not int(info.min) <= value <= int(info.max):
            raise RuntimeError(f"value cannot be converted to type {_C_TYPES[kind.name]} without overflow")


# ------------------------------------------------------------------------------ scatter
_LEGACY = {"add": "sum", "multiply": "prod"}


def _scatter_at(xp: Any, x: Any, src: Any, *, dim: Any, index: Any, reduce: Any = None) -> Any:
    """``x`` with ``src`` (a tensor, or a Python number) written at ``index`` along ``dim``:
    ``out[index[i][j]][j] = src[i][j]`` for ``dim=0``. ``reduce="add"``/``"multiply"`` (legacy)
    combines instead of writing; PyTorch has no gradient for that form, nor has tapegrad."""
    if reduce is not None and reduce not in _LEGACY:
        raise RuntimeError("reduce argument must be either add or multiply.")
    _same_dtype("scatter", x, src)
    key = _scatter_key(x, src, dim, index)
    if key is None:
        return xp.asarray(x, copy=True)
    part = _read(src, key)
    if not hasattr(part, "shape"):
        _check_number(part, x.dtype)
    if reduce is not None:
        if not hasattr(part, "shape"):
            part = xp.full(_positions(tuple(x.shape), key).shape, part, dtype=x.dtype)
        return _reduce_into(xp, x, part, key, _LEGACY[reduce], True)
    return _index_put(xp, x, part, index=key)


def _scatter_at_vjp_x(xp: Any, g: Any, out: Any, x: Any, src: Any, *, dim: Any, index: Any, reduce: Any = None) -> Any:
    if reduce is not None:
        raise RuntimeError("derivative for aten::scatter is not implemented")
    key = _scatter_key(x, src, dim, index)
    return g if key is None else xp.index_put(g, 0.0, index=key)


def _scatter_at_vjp_src(xp: Any, g: Any, out: Any, x: Any, src: Any, *, dim: Any, index: Any,
                        reduce: Any = None) -> Any:
    if reduce is not None:
        raise RuntimeError("derivative for aten::scatter is not implemented")
    return _src_cotangent(xp, g, _scatter_key(x, src, dim, index), src)


def _scatter_name(params: Any, inputs: Any) -> str:
    """``ScatterBackward0`` for a src tensor, ``ScatterBackward1`` for a value; PyTorch records a
    ``NotImplemented`` node for the legacy ``reduce=`` form."""
    if params.get("reduce") is not None:
        return "NotImplemented"
    return "ScatterBackward1" if inputs is not None and isinstance(inputs[1], numbers.Number) else "ScatterBackward0"


def _scatter_add_at(xp: Any, x: Any, src: Any, *, dim: Any, index: Any) -> Any:
    """``x`` with ``src`` added at ``index`` along ``dim`` (repeated indices accumulate)."""
    _same_dtype("scatter", x, src)
    key = _scatter_key(x, src, dim, index)
    return xp.asarray(x, copy=True) if key is None else _index_put(xp, x, _read(src, key), index=key, accumulate=True)


def _scatter_add_at_vjp_src(xp: Any, g: Any, out: Any, x: Any, src: Any, *, dim: Any, index: Any) -> Any:
    return _src_cotangent(xp, g, _scatter_key(x, src, dim, index), src)


# ------------------------------------------------------------------------------ scatter_reduce
_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def _identity(how: str, dtype: Any) -> Any:
    """The value ``how`` starts from: what a position no element reaches would hold."""
    if how in ("sum", "mean"):
        return 0
    if how == "prod":
        return 1
    kind = _np_dtype(dtype)
    if kind.kind == "f":
        return -np.inf if how == "amax" else np.inf
    if kind.kind == "b":
        return how == "amin"
    info = np.iinfo(kind)
    return int(info.min) if how == "amax" else int(info.max)


def _reduce_into(xp: Any, x: Any, part: Any, key: tuple[Any, ...], how: str, include_self: bool) -> Any:
    """``x`` with each position reduced (``how``) with the ``part`` elements ``key`` sends there;
    ``x``'s own value takes part only where ``include_self``. Grouping happens on the host."""
    shape = tuple(x.shape)
    n = _prod(shape)
    pos = _positions(shape, key).reshape(-1)
    fill = _identity(how, x.dtype)
    boolean = _np_dtype(x.dtype).kind == "b"  # the array API's max and min take numbers only: any and all
    reducer = {"sum": xp.sum, "mean": xp.sum, "prod": xp.prod, "amax": xp.any if boolean else xp.max,
               "amin": xp.all if boolean else xp.min}[how]
    grouped = _scatter_flat(xp, xp.reshape(part, (-1,)), pos, n, fill=fill, reduce=reducer)
    base = xp.reshape(x, (-1,))
    if not include_self:
        touched = np.zeros(n, dtype=bool)
        touched[pos] = True
        base = xp.where(xp.asarray(touched), xp.full((1,), fill, dtype=x.dtype), base)
    if how in ("sum", "mean"):
        out = base + grouped
    elif how == "prod":
        out = base * grouped
    elif boolean:
        out = (xp.logical_or if how == "amax" else xp.logical_and)(base, grouped)
    else:
        out = (xp.maximum if how == "amax" else xp.minimum)(base, grouped)
    if how == "mean":
        count = xp.asarray(_counts(shape, key, include_self).reshape(-1), dtype=x.dtype)
        out = out / count if xp.isdtype(x.dtype, "real floating") else out // count
    if out.dtype != x.dtype:  # NumPy sums small integers in a wider type
        out = xp.astype(out, x.dtype)
    return xp.reshape(out, shape)


def _counts(shape: tuple[int, ...], key: tuple[Any, ...], include_self: bool) -> np.ndarray:
    """How many values a mean at each position averages (at least 1: untouched positions keep theirs)."""
    pos = _positions(shape, key).reshape(-1)
    count = np.bincount(pos, minlength=_prod(shape)) + (1 if include_self else 0)
    return np.maximum(count, 1).reshape(shape)


def _check_reduce(reduce: Any) -> str:
    """The reduction's name; PyTorch also takes ``max``/``min`` for ``amax``/``amin``."""
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce) if isinstance(reduce, str) else reduce
    if reduce not in _REDUCTIONS:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    return reduce


def _scatter_reduce_at(xp: Any, x: Any, src: Any, *, dim: Any, index: Any, reduce: Any,
                       include_self: Any = True) -> Any:
    """``x`` with the ``src`` elements ``index`` sends to each position reduced into it
    (``reduce``: sum, prod, mean, amax, amin), ``x``'s own value included unless ``include_self=False``."""
    how, include = _check_reduce(reduce), as_flag(include_self, "include_self")
    _same_dtype("scatter", x, src)
    key = _scatter_key(x, src, dim, index)
    return xp.asarray(x, copy=True) if key is None else _reduce_into(xp, x, _read(src, key), key, how, include)


def _scatter_reduce_at_vjp(xp: Any, g: Any, out: Any, x: Any, src: Any, *, dim: Any, index: Any, reduce: Any,
                           include_self: Any = True) -> tuple[Any, Any]:
    """PyTorch's ``scatter_reduce_backward``: prod divides out each factor (zeros handled apart);
    amax/amin share the gradient evenly among the elements equal to the result, ``x``'s own
    value counted among them even where ``include_self=False`` (PyTorch's rule); mean divides by
    the count."""
    from tapegrad import Tensor

    key = _scatter_key(x, src, dim, index)
    if key is None:
        return g, None
    part = _read(src, key)

    def gather(a: Any) -> Any:
        return xp.getitem(a, index=key)

    def indicator(mask: Any, like: Any) -> Any:
        return xp.where(mask, xp.ones_like(like), xp.zeros_like(like))

    def scattered_add(a: Any, b: Any) -> Any:
        return xp.scatter_add_at(a, b, dim=dim, index=index)

    reduce = _check_reduce(reduce)
    params = {"dim": dim, "index": index, "reduce": reduce, "include_self": include_self}
    include = as_flag(include_self, "include_self")
    if reduce == "sum":
        g_self, g_part = g, gather(g)
    elif reduce == "mean":
        n = xp.asarray(_counts(tuple(x.shape), key, include), dtype=g.dtype)
        g_self, g_part = g / n, gather(g) / gather(n)
    elif reduce == "prod":
        masked_x = xp.where(x == 0, xp.ones_like(x), x)
        g_self = g * xp.scatter_reduce_at(masked_x, src, **params) / masked_x
        src_zero = part == 0
        zeros_seen = gather(scattered_add(xp.zeros_like(g), indicator(src_zero, part)))
        single = src_zero & (zeros_seen == 1)
        if isinstance(g, Tensor) and bool(xp.any(zeros_seen > 1)):  # create_graph: PyTorch refuses the same
            raise RuntimeError("scatter_reduce(): Double backward is unsupported for src when >1 zeros in src are "
                               "scattered to the same position in self")
        without = xp.scatter_reduce_at(x, xp.where(single, xp.ones_like(part), part), **params)
        g_part = xp.where(single, gather(g * without), gather(g * out) / xp.where(src_zero, xp.ones_like(part), part))
    else:
        self_is, part_is = x == out, part == gather(out)
        spread = g / scattered_add(indicator(self_is, g), indicator(part_is, part))
        g_self = xp.where(self_is, spread, xp.zeros_like(spread))
        g_part = xp.where(part_is, gather(spread), xp.zeros_like(part))
    if not include:
        g_self = xp.index_put(g_self, 0.0, index=key)
    return g_self, _pad_part(xp, g_part, src)


def _pad_part(xp: Any, g_part: Any, src: Any) -> Any:
    """A cotangent of the part of ``src`` the index reads, laid into zeros of ``src``'s shape."""
    shape = tuple(g_part.shape)
    if shape == tuple(src.shape):
        return g_part
    return xp.index_scatter_add(g_part, index=tuple(slice(0, n) for n in shape), shape=tuple(src.shape))


# ------------------------------------------------------------------------------ index_add / copy / fill
def _index_dim(name: str, x: Any, source: Any, dim: Any, index: Any, allowed: str, oob: type = RuntimeError,
               words: str | None = None) -> tuple[tuple[Any, ...], int, np.ndarray]:
    idx = _index(name, index, allowed, words=words)
    if idx.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector, but got dim: {idx.ndim} with type: "
                         f"{torch_type(idx.dtype)} and size: {list(idx.shape)}")
    key, d = _dim_key(name, x, dim, idx, oob)
    return key, d, idx.reshape(-1)


def _check_source(name: str, x: Any, source: Any, d: int, count: int) -> None:
    xs, ss = tuple(x.shape), tuple(source.shape)
    if not xs and not ss:  # a 0-d tensor and a 0-d source: one slot each
        return
    if len(ss) != len(xs) or any(a != b for k, (a, b) in enumerate(zip(xs, ss)) if k != d):
        raise RuntimeError("source tensor shape must match self tensor shape, excluding the specified dimension. "
                           f"Got self.shape = {list(xs)} source.shape = {list(ss)}")
    if ss[d] != count:
        raise RuntimeError(f"{name}(): Number of indices ({count}) should be equal to source.size(dim): "
                           f"({ss[d]}), for dim: {d}")


def _index_add_at(xp: Any, x: Any, source: Any, *, dim: Any, index: Any, alpha: Any = 1) -> Any:
    """``x`` with ``alpha * source[..., i, ...]`` added at ``x[..., index[i], ...]`` along ``dim``."""
    words = "index_add_(): Expected dtype int32/int64 for index but got: {}"
    idx = _index("index_add_", index, "int32/int64", words=words)
    if idx.ndim <= 1:  # the shapes and dtypes first, then the range, as PyTorch's
        if source.dtype != x.dtype:
            raise RuntimeError(f"index_add_(): self ({torch_type(x.dtype)}) and source ({torch_type(source.dtype)}) "
                               "must have the same scalar type")
        _check_source("index_add_", x, source, axis(dim, max(len(x.shape), 1)), idx.size)
        if len(x.shape) > 1 and not _prod(tuple(x.shape)):
            return xp.asarray(x, copy=True)  # nothing to add to, whatever the index says (PyTorch checks none)
        _index_add_range(x, dim, idx, alpha)
    key, d, idx = _index_dim("index_add_", x, source, dim, index, "int32/int64", words=words)
    scaled = source if alpha == 1 else source * _alpha(xp, x, alpha)
    return _index_put(xp, x, scaled, index=key, accumulate=True)


def _index_add_range(x: Any, dim: Any, index: Any, alpha: Any) -> None:
    """An index out of range refused as PyTorch's CPU ``index_add_`` refuses it, by the path it takes: a
    tensor of 2 or more dims along its first or last dim, by an int64 index with ``alpha`` 1, goes
    through ``scatter_add_`` (RuntimeError naming the index); every other call checks each index
    itself (IndexError "index out of range in self")."""
    idx = np.asarray(index)
    ndim = len(x.shape)
    d = axis(dim, max(ndim, 1))
    n = x.shape[d] if ndim else 1
    bad = _out_of_range(idx, 0, n)
    if bad is None:
        return
    scattered = ndim > 1 and d in (0, ndim - 1) and idx.dtype == np.int64 and type(alpha) is not bool and alpha == 1
    if not scattered:
        raise IndexError("index out of range in self")
    raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {n}")


def _alpha(xp: Any, x: Any, alpha: Any) -> Any:
    """``alpha`` in ``x``'s dtype: integer tensors refuse a float and wrap a negative one as PyTorch's do."""
    if _np_dtype(x.dtype).kind == "f":
        return alpha
    if isinstance(alpha, float):
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")
    return xp.astype(xp.asarray(alpha), x.dtype)


def _index_add_at_vjp_source(xp: Any, g: Any, out: Any, x: Any, source: Any, *, dim: Any, index: Any,
                             alpha: Any = 1) -> Any:
    key, _ = _dim_key("index_add_", x, dim, _index("index_add_", index))
    part = xp.getitem(g, index=key)
    return part if alpha == 1 else part * alpha


def _index_copy_key(x: Any, source: Any, dim: Any, index: Any, dtypes: bool = True) -> tuple[Any, ...] | None:
    """The key of ``index_copy(x, dim, index, source)`` (None: nothing is copied), after PyTorch's
    checks in its order, types and words: a 0-d ``source`` is one slice (its index one element), a
    0-d ``x`` one slot (index 0, as often as the index names it). ``dtypes=False`` for the VJPs, whose
    ``x`` and ``source`` may be stand-ins (their dtypes were checked by the forward)."""
    name = "index_copy_"
    xs, ss = tuple(x.shape), tuple(source.shape)
    d = axis(dim, max(len(xs), 1))
    raw = index_param(index)
    if not hasattr(raw, "shape"):
        _index(name, raw)  # PyTorch's TypeError
    numel = _prod(tuple(raw.shape))
    if len(raw.shape) > 1:
        raise IndexError(f"{name}(): Index should have dimension 1 or 0 (got {len(raw.shape)})")
    if not ss and numel != 1:
        raise IndexError(f"{name}(): When source is scalar, index should have one element (got {numel})")
    if ss and xs and len(ss) != len(xs):
        raise IndexError(f"{name}(): When source and destination are not scalars, their dimensionality must match. "
                         f"Source dimensionality ({len(ss)}), destination dimensionality ({len(xs)})")
    idx = _index(name, raw, "int64", words=f"{name}(): Expected a long tensor for index, but got {{}}")
    if dtypes and source.dtype != x.dtype:
        raise RuntimeError(f"{name}(): self and source expected to have the same dtype, but got (self) "
                           f"{torch_type(x.dtype)} and (source) {torch_type(source.dtype)}")
    x_slice, s_slice = [n for k, n in enumerate(xs) if k != d], [n for k, n in enumerate(ss) if k != d]
    if x_slice != s_slice:
        raise RuntimeError(f"{name}(): Source/destination tensor must have same slice shapes. Destination slice "
                           f"shape: {' '.join(map(str, x_slice))} at dimension {d} and source slice shape: "
                           f"{' '.join(map(str, s_slice))} at dimension 0.")
    if ss and numel != ss[d]:
        raise IndexError(f"{name}(): Number of indices ({numel}) should be equal to source.size(dim) ({ss[d]})")
    if not _prod(ss):
        return None  # nothing to copy, whatever the index says (PyTorch checks none)
    n = xs[d] if xs else 1
    flat = idx.reshape(-1)
    bad = _out_of_range(flat, 0, n)
    if bad is not None:
        raise IndexError(f"{name}(): index {bad} is out of bounds for dimension {d} with size {n}")
    return (slice(None),) * d + (flat,) if xs else ()


def _index_copy_at(xp: Any, x: Any, source: Any, *, dim: Any, index: Any) -> Any:
    """``x`` with ``x[..., index[i], ...] = source[..., i, ...]`` along ``dim``."""
    key = _index_copy_key(x, source, dim, index)
    if key is None:
        return xp.asarray(x, copy=True)
    if not key and source.shape:  # a 0-d x: its one slot takes the last slice named
        source = xp.reshape(source, (-1,))[-1]
    return _index_put(xp, x, source, index=key)


def _index_copy_at_vjp_x(xp: Any, g: Any, out: Any, x: Any, source: Any, *, dim: Any, index: Any) -> Any:
    """``g`` with zeros where ``source`` was copied (nothing, where it is empty)."""
    key = _index_copy_key(x, source, dim, index, dtypes=False)
    return g if key is None else xp.index_put(g, 0.0, index=key)


def _index_copy_at_vjp_source(xp: Any, g: Any, out: Any, x: Any, source: Any, *, dim: Any, index: Any) -> Any:
    key = _index_copy_key(x, source, dim, index, dtypes=False)
    count = _prod(tuple(index_param(index).shape))
    if not len(x.shape) and count != 1:  # PyTorch's index_select of the 0-d gradient refuses it
        raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {count} value(s)")
    part = xp.reshape(g, (-1,))[:0] if key is None else xp.getitem(g, index=key)  # nothing copied: empty
    return xp.reshape(part, tuple(source.shape))


def _fill_key(x: Any, dim: Any, index: Any, unique: bool = False) -> tuple[Any, ...] | None:
    """The key of ``index_fill(x, dim, index)``: negative indices count from the end; ``unique``
    names each slot once; None where nothing is named (an empty index into a 0-d tensor)."""
    idx = _index("index_fill_", index, "int64", IndexError, "index_fill_(): Expected dtype int64 for index.")
    if idx.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    d = axis(dim, max(len(x.shape), 1))
    n = x.shape[d] if len(x.shape) else 1
    flat = idx.reshape(-1)
    bad = _out_of_range(flat, -n, n)
    if bad is not None:
        raise IndexError(f"index {bad} is out of bounds for dimension {d} with size {n}")
    flat = flat % n if n else flat
    if not len(x.shape):  # a 0-d tensor's one slot, however often the index names it (as PyTorch's), or none
        return () if flat.size else None
    return _dim_key("index_fill_", x, dim, np.unique(flat) if unique else flat)[0]


def _index_fill_at(xp: Any, x: Any, value: Any, *, dim: Any, index: Any) -> Any:
    """``x`` with ``value`` (a number or a 0-d tensor) written at ``x[..., index, ...]`` along ``dim``."""
    key = _fill_key(x, dim, index)
    if not hasattr(value, "shape"):
        _check_number(value, x.dtype)
    elif len(value.shape) != 0:
        raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{len(value.shape)} dimension(s).")
    elif value.dtype != x.dtype:
        value = xp.astype(value, x.dtype)
    return xp.asarray(x, copy=True) if key is None else _index_put(xp, x, value, index=key)


def _overwritten_vjp(xp: Any, g: Any, out: Any, x: Any, v: Any, *, dim: Any, index: Any) -> Any:
    """``g`` with zeros where ``index_fill`` overwrote ``x`` (``g.index_fill(dim, index, 0)``)."""
    key = _fill_key(x, dim, index)
    return g if key is None else xp.index_put(g, 0.0, index=key)


def _index_fill_at_vjp_value(xp: Any, g: Any, out: Any, x: Any, value: Any, *, dim: Any, index: Any) -> Any:
    # a slot filled twice still holds one value
    key = _fill_key(x, dim, index, unique=True)
    return xp.sum(xp.reshape(g, (-1,))[:0] if key is None else xp.getitem(g, index=key))


def _index_fill_name(params: Any, inputs: Any) -> str:
    """``IndexFillBackward0`` for a number, ``IndexFillBackward1`` for a 0-d value tensor."""
    return "IndexFillBackward0" if inputs is not None and isinstance(inputs[1], numbers.Number) else \
        "IndexFillBackward1"


# ------------------------------------------------------------------------------ masked_select, take
def _masked_select(xp: Any, x: Any, mask: Any) -> Any:
    """The elements of ``x`` where the bool ``mask`` (broadcast against ``x``) is True, as a 1-D
    tensor. Its length depends on the mask's values."""
    if not xp.isdtype(mask.dtype, "bool"):
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    try:
        shape = np.broadcast_shapes(tuple(x.shape), tuple(mask.shape))
    except ValueError as exc:
        raise_if_not_broadcastable([x, mask], exc)
        raise
    return _getitem(xp, xp.broadcast_to(x, shape), index=np.asarray(xp.broadcast_to(mask, shape)))


def _masked_select_vjp(xp: Any, g: Any, out: Any, x: Any, mask: Any) -> Any:
    shape = np.broadcast_shapes(tuple(x.shape), tuple(mask.shape))
    return xp.index_scatter_add(g, index=xp.broadcast_to(mask, shape), shape=shape)  # the engine sums to x's shape


def _take_index(x: Any, index: Any) -> np.ndarray:
    """``index`` into the flattened ``x``, negative entries counted from the end, range checked."""
    idx = _index("take", index, "int64", words="take(): Expected a long tensor for index, but got {}")
    n = _prod(tuple(x.shape))
    bad = _out_of_range(idx, -n, n)
    if bad is not None:
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    return idx % n if n else idx


def _take(xp: Any, x: Any, *, index: Any) -> Any:
    """The elements of ``x``, read as if it were 1-D, at ``index``; the result has ``index``'s shape."""
    idx = _take_index(x, index)
    return xp.reshape(_getitem(xp, xp.reshape(x, (-1,)), index=idx.reshape(-1)), idx.shape)


def _take_vjp(xp: Any, g: Any, out: Any, x: Any, *, index: Any) -> Any:
    n = _prod(tuple(x.shape))
    return xp.reshape(xp.index_scatter_add(g, index=_take_index(x, index), shape=(n,)), tuple(x.shape))


def _take_along_dim(input: Tensor, indices: Any, dim: Any = None) -> Tensor:
    """``input``'s values at ``indices`` along ``dim`` (``gather``, with ``input`` and ``indices``
    broadcast against each other apart from ``dim``, and negative indices counted from the
    end); without ``dim``, both are read as 1-D."""
    import tapegrad

    idx = _index("take_along_dim", indices, "int64",
                 words="torch.take_along_dim(): dtype of indices should be Long but got {}")
    if dim is None:
        return input.reshape(-1).gather(0, idx.reshape(-1))  # negative indices are refused here, as in PyTorch
    if idx.ndim != input.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of dimensions, "
                           f"but got {input.ndim} dimensions for input, and {idx.ndim} dimensions for indices")
    d = axis(dim, max(input.ndim, 1))
    shape = list(np.broadcast_shapes(*(tuple(s[:d]) + (1,) + tuple(s[d + 1:]) for s in (input.shape, idx.shape))))
    x_shape, i_shape = shape.copy(), shape.copy()
    x_shape[d], i_shape[d] = input.shape[d], idx.shape[d]
    x = input if tuple(input.shape) == tuple(x_shape) else tapegrad.broadcast_to(input, tuple(x_shape))
    return x.gather(d, _wrapped(np.broadcast_to(idx, tuple(i_shape)), input.shape[d], d))


def _wrapped(idx: np.ndarray, n: int, d: int) -> np.ndarray:
    """``idx`` into a dimension of size ``n``, negative entries counted from the end (PyTorch's
    take_along_dim reads out-of-range ones from wherever; tapegrad refuses them)."""
    bad = _out_of_range(idx, -n, n)
    if bad is not None:
        raise IndexError(f"index {bad} is out of bounds for dimension {d} with size {n}")
    return idx % n if n else idx


# ------------------------------------------------------------------------------ nonzero
def _argwhere(xp: Any, x: Any) -> Any:
    """The indices of the nonzero elements of ``x``, one row per element (``(count, ndim)``, int64).
    The number of rows depends on the values."""
    if not hasattr(x, "shape"):
        raise TypeError(f"argwhere(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")
    if len(x.shape) == 0:
        return xp.zeros((1 if bool(x != 0) else 0, 0), dtype=xp.int64)
    found = xp.nonzero(x)
    return xp.astype(xp.stack(found, axis=-1), xp.int64)


def _nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:
    """The indices of the nonzero elements of ``input``: a ``(count, ndim)`` int64 tensor, or with
    ``as_tuple=True`` one 1-D tensor per dimension (a 0-d input counts as 1-D). The count depends
    on the values."""
    import tapegrad

    if not as_flag(as_tuple, "as_tuple"):
        return tapegrad.argwhere(input)
    rows = tapegrad.argwhere(input.reshape(1) if input.ndim == 0 else input)
    return tuple(rows[:, k] for k in range(rows.shape[1]))


# ------------------------------------------------------------------------------ the PyTorch signatures
def _source(src: Any, value: Any, name: str) -> Any:
    if src is None and value is None:
        raise TypeError(f"{name}() missing 1 required argument: 'src' (a tensor) or 'value' (a number)")
    if src is not None and value is not None:
        raise TypeError(f"{name}() got both 'src' and 'value'")
    from tapegrad import Tensor as T

    if src is not None and type(src) is T:
        return src
    if src is not None and not isinstance(src, numbers.Number):  # a list: PyTorch's argument parser refuses it
        raise TypeError(_not_a_source(name, src))
    return _fill_value(name, src if src is not None else value)


def _not_a_source(name: str, src: Any) -> str:
    """PyTorch's words for a ``src`` that is neither a tensor nor a number, as its argument parser says them."""
    kind = type(src).__name__ if type(src).__module__ == "builtins" else f"{type(src).__module__}.{type(src).__name__}"
    forms = "".join(f"\n * (Tensor input, int dim, Tensor index, {given}, *, {extra}Tensor out = None)"
                    for given in ("Tensor src", "Number value") for extra in ("", "str reduce, "))
    return (f"{name}() received an invalid combination of arguments - got (Tensor, int, Tensor, {kind}), but expected "
            f"one of:{forms}")


def _scatter_call(dim: Any, index: Any, src: Any = None, value: Any = None, *, reduce: Any = None
                  ) -> tuple[Any, dict[str, Any]]:
    return _source(src, value, "scatter"), {"dim": dim, "index": index, "reduce": reduce}


def _scatter_add_call(dim: Any, index: Any, src: Any) -> tuple[Any, dict[str, Any]]:
    return src, {"dim": dim, "index": index}


def _scatter_reduce_call(dim: Any, index: Any, src: Any, reduce: Any, *, include_self: Any = True
                         ) -> tuple[Any, dict[str, Any]]:
    return src, {"dim": dim, "index": index, "reduce": reduce, "include_self": include_self}


def _index_add_call(dim: Any, index: Any, source: Any, *, alpha: Any = 1) -> tuple[Any, dict[str, Any]]:
    return source, {"dim": dim, "index": index, "alpha": alpha}


def _index_copy_call(dim: Any, index: Any, source: Any) -> tuple[Any, dict[str, Any]]:
    if not hasattr(source, "shape"):
        raise TypeError(f"index_copy(): argument 'source' (position 3) must be Tensor, not {type(source).__name__}")
    return source, {"dim": dim, "index": index}


def _index_fill_call(dim: Any, index: Any, value: Any) -> tuple[Any, dict[str, Any]]:
    from tapegrad import Tensor as T

    if type(value) is T:
        if value.ndim != 0:
            raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value.ndim} dimension(s).")
        return value, {"dim": dim, "index": index}
    if not isinstance(value, numbers.Number):
        raise TypeError(f"index_fill(): argument 'value' must be Number or Tensor, not {type(value).__name__}")
    return value, {"dim": dim, "index": index}


@functools.lru_cache(maxsize=64)
def _inplace_of(op: Any) -> Any:
    from tapegrad.inplace import make_inplace

    return make_inplace(op)


def _public(name: str, primitive: str, read: Any) -> tuple[Any, Any]:
    """The composite ``name(input, *args)`` (PyTorch's argument order) and its in-place method
    ``name_``, both calling the array-first primitive."""
    def function(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        import tapegrad

        source, params = read(*args, **kwargs)
        return getattr(tapegrad.ops, primitive)(input, source, **params)

    def inplace(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        from tapegrad import lookup

        source, params = read(*args, **kwargs)
        return _inplace_of(lookup(primitive))(self, source, **params)

    function.__name__ = function.__qualname__ = name
    inplace.__name__ = inplace.__qualname__ = f"{name}_"
    function.__doc__ = _DOCS[name]
    inplace.__doc__ = f"In-place ``{name}``: writes the result into this tensor and returns it."
    return function, inplace


_DOCS = {  # the composites' one-line docs
    "scatter": ("``input`` with ``src`` (or the number ``value``) written at ``index`` along ``dim``: "
                "``out[index[i][j]][j] = src[i][j]`` for ``dim=0``; ``reduce='add'|'multiply'`` is the legacy form."),
    "scatter_add": "``input`` with ``src`` added at ``index`` along ``dim``; repeated indices accumulate.",
    "scatter_reduce": ("``input`` with the ``src`` elements ``index`` sends to each position reduced into it "
                       "(``reduce``: sum, prod, mean, amax, amin; ``include_self``)."),
    "index_add": "``input`` with ``alpha * source`` added at the positions ``index`` names along ``dim``.",
    "index_copy": "``input`` with the slices ``index`` names along ``dim`` replaced by those of ``source``.",
    "index_fill": "``input`` with ``value`` written in the slices ``index`` names along ``dim``.",
}


# ------------------------------------------------------------------------------ samples
_I22 = np.array([[0, 1], [2, 0]])
_REPEATED = np.array([[0, 1, 0], [0, 0, 1]])
_I1 = np.array([2, 0])

SCATTER_SAMPLES = [
    Sample((3, 4), (2, 2), dim=0, index=_I22),
    Sample((3, 4), (2, 3), dim=1, index=np.array([[3, 1, 0], [2, 0, 1]])),
    Sample((3, 4), (3, 5), dim=0, index=_I22),  # src larger than the index: its unread part gets zeros
    Sample((3, 4), 1.5, dim=-1, index=_I22),
    Sample((2, 3, 2), (2, 1, 2), dim=1, index=np.array([[[2, 0]], [[1, 1]]])),
    Sample((3, 4), (2, 2), dim=0, index=np.zeros((0, 2), dtype=np.int64)),  # an empty index: a copy of x
]
SCATTER_ADD_SAMPLES = [
    Sample((3, 4), (2, 3), dim=0, index=_REPEATED),
    Sample((3, 4), (3, 5), dim=1, index=np.array([[3, 3, 0], [1, 1, 1]])),
    Sample((4,), (5,), dim=0, index=np.array([0, 3, 3, 3, 1])),
    Sample((3, 4), (2, 2), dim=0, index=np.zeros((0, 2), dtype=np.int64)),  # an empty index: a copy of x
]
SCATTER_REDUCE_SAMPLES = [Sample((3, 4), (2, 3), dim=0, index=_REPEATED, reduce=r, include_self=s)
                          for r in _REDUCTIONS for s in (True, False)] + [
    Sample((4,), (6,), dim=0, index=np.array([0, 3, 3, 1, 0, 3]), reduce="prod"),
    Sample((3, 4), (3, 5), dim=1, index=np.array([[3, 3, 0], [1, 1, 1]]), reduce="mean", include_self=False),
    Sample((3, 4), (2, 2), dim=0, index=np.zeros((0, 2), dtype=np.int64), reduce="amax"),  # an empty index: a copy
    Sample((3, 4), np.array([[0.5, 0.0, 2.0], [1.5, 3.0, 0.75]]), dim=0, index=_REPEATED, reduce="prod"),  # one zero
]
INDEX_ADD_SAMPLES = [
    Sample((3, 4), (2, 4), dim=0, index=_I1),
    Sample((3, 4), (3, 3), dim=1, index=np.array([1, 1, 3]), alpha=2.5),
    Sample((2, 3, 2), (2, 1, 2), dim=-2, index=np.array([2])),
    Sample((4,), (2,), dim=-1, index=np.array([3, 0]), alpha=2),  # a 1-D input's last dim; alpha exactly 2
]
INDEX_COPY_SAMPLES = [
    Sample((3, 4), (2, 4), dim=0, index=_I1),
    Sample((3, 4), (3, 2), dim=1, index=np.array([3, 0])),
    Sample((4,), (2,), dim=-1, index=np.array([3, 0])),
]
INDEX_FILL_SAMPLES = [
    Sample((3, 4), 2.0, dim=0, index=_I1),
    Sample((3, 4), (), dim=1, index=np.array([3, 0, 3])),  # a repeated slot still holds one value
    Sample((3, 4), -1.0, dim=-1, index=np.array([-1])),
    Sample((4,), 2.0, dim=-1, index=np.array([1, -1])),
    Sample((3, 4), (), dim=0, index=np.array([], dtype=np.int64)),  # nothing filled: the value's gradient is 0
]
_MASK = np.array([[True, False, True], [False, False, True]])
MASKED_SELECT_SAMPLES = [
    Sample((2, 3), _MASK),
    Sample((3,), _MASK),               # x broadcasts against the mask
    Sample((2, 1), np.array([True, False, True])),
]
TAKE_SAMPLES = [
    Sample((3, 4), index=np.array([[0, 11], [5, 5]])),
    Sample((5,), index=np.array([-1, 0, -5])),
    Sample((), index=np.array(0)),
]
TAKE_ALONG_SAMPLES = [
    Sample((3, 4), np.array([[0, 3], [1, 1], [-1, 2]]), dim=1),
    Sample((3, 4), np.array([[2, 0, 1, 1]]), dim=0),
    Sample((3, 4), np.array([[0], [1], [2]]), dim=1),
    Sample((5,), np.array([4, 0, -2]), dim=-1),
    Sample((1, 4), np.array([[0], [1], [2]]), dim=1),  # input broadcast against indices apart from dim
    Sample((3, 4), np.array([0, 11, 5])),  # without dim: read as 1-D (negative indices refused, as PyTorch)
]
# Special points, as PyTorch's: an empty index moves nothing; out-of-range indices are refused (NumPy
# would wrap a negative one); a 0-d tensor is one slot; an integer mean rounds down.
_ZEROS, _I64 = np.zeros((3, 4)), np.int64
_OUT_OF_RANGE = [np.array([3]), np.array([-1])]
SCATTER_EDGES = [
    EdgeCase(_ZEROS, np.ones((2, 2)), params={"dim": 0, "index": np.zeros((0, 2), dtype=_I64)}, value=_ZEROS,
             why="an empty index moves nothing")] + [
    EdgeCase(_ZEROS, np.ones((1, 1)), params={"dim": 0, "index": i.reshape(1, 1)}, raises=RuntimeError,
             match="out of bounds") for i in _OUT_OF_RANGE] + [
    EdgeCase(np.zeros((3, 3)), np.ones((1, 2)), params={"dim": 0, "index": np.array([[0, 1, 2]])}, raises=RuntimeError,
             match="to be no larger size than src", why="an index wider than src, even if self is as wide"),
    EdgeCase(np.zeros(3, dtype=np.int8), 1000, params={"dim": 0, "index": np.array([0])}, raises=RuntimeError,
             match="without overflow", why="a number written into an integer tensor must fit its dtype")] + [
    # the legacy reduce= form: x's own value combined with what the index sends, and no gradient (PyTorch's)
    EdgeCase([1.0, 2.0, 3.0], 2.0, params={"dim": 0, "index": np.array([0, 0]), "reduce": reduce}, value=value,
             backward_raises=RuntimeError, backward_match="derivative for aten::scatter is not implemented",
             why="a value reduced in at a repeated index, x's own value included")
    for reduce, value in (("add", [5.0, 2.0, 3.0]), ("multiply", [4.0, 2.0, 3.0]))] + [
    EdgeCase([1.0, 2.0, 3.0], [10.0, 20.0, 30.0], params={"dim": 0, "index": np.array([0, 0, 2]), "reduce": "add"},
             value=[31.0, 2.0, 33.0], backward_raises=RuntimeError,
             backward_match="derivative for aten::scatter is not implemented",
             why="a src tensor reduced in (PyTorch warns it deprecated; tapegrad does not)")]
INDEX_ADD_EDGES = [EdgeCase(np.array(1.0), np.array(2.0), params={"dim": 0, "index": np.array([0])}, value=3.0,
                            why="a 0-d tensor is one slot")] + [
    EdgeCase(_ZEROS, np.ones((1, 4)), params={"dim": 0, "index": i}, raises=RuntimeError, match="out of bounds")
    for i in _OUT_OF_RANGE] + [
    EdgeCase(np.zeros(shape), source, params={"dim": 0, "index": np.array([0])}, raises=RuntimeError,
             match="source tensor shape must match self tensor shape")
    for shape, source in (((3,), np.array(1.0)), ((2, 3), np.ones(1)))] + [  # a 0-d source; another rank, one row
    EdgeCase(*xs, params={"dim": 0, "index": np.array([3]), **alpha}, raises=IndexError,
             match="^index out of range in self$", why="PyTorch's own check, off its scatter_add path")
    for xs, alpha in (((np.zeros(3), np.ones(1)), {}), ((_ZEROS, np.ones((1, 4))), {"alpha": 2}),
                      ((np.array(3.0), np.array(2.0)), {}))] + [  # a 0-d tensor's one slot is index 0
    EdgeCase(np.zeros(3), np.ones(2, dtype=np.float32), params={"dim": 0, "index": np.array([[0, 1]])},
             raises=IndexError, match="Index is supposed to be a vector, but got dim: 2",
             why="PyTorch refuses the index's rank before the source's dtype"),
    EdgeCase(np.zeros(0), np.ones(1), params={"dim": 0, "index": np.array([0])}, raises=IndexError,
             match="^index out of range in self$", why="an empty 1-d tensor has no slot"),
    EdgeCase(np.zeros((2, 0)), np.ones((2, 1)), params={"dim": 1, "index": np.array([5])}, value=np.zeros((2, 0)),
             backward_raises=RuntimeError, why="PyTorch checks no index where an empty tensor of 2 or more dims has "
             "nothing to add to; its backward selects the source's gradient at the index, out of range")]
# The public functions' own points: a src that is neither a tensor nor a number, passed as written.
COMPOSITE_EDGES = {"scatter": [EdgeCase(np.zeros(3), 0, np.array([0, 1]), Verbatim([1.0, 2.0]), raises=TypeError,
                                        match=r"^scatter\(\) received an invalid combination of arguments - got "
                                              r"\(Tensor, int, Tensor, list\)", why="PyTorch's argument parser")]}
INDEX_COPY_EDGES = [EdgeCase(np.array(1.0), np.array(2.0), params={"dim": 0, "index": np.array([0])}, value=2.0),
                    EdgeCase(np.array(1.0), np.array(2.0), params={"dim": 0, "index": np.array([1])}, raises=IndexError,
                             match="index 1 is out of bounds", why="a 0-d tensor's one slot is index 0"),
                    EdgeCase(np.zeros(3), np.array(5.0), params={"dim": 0, "index": np.array([1])}, value=[0.0, 5.0, 0.0],
                             grads=([1.0, 0.0, 1.0], 1.0), why="a 0-d source is one slice of a vector"),
                    EdgeCase(np.array(1.0), np.array([5.0]), params={"dim": 0, "index": np.array([0])}, value=5.0,
                             grads=(0.0, [1.0]), why="a 0-d self is one slot, filled by a one-element source"),
                    EdgeCase(np.zeros(3), np.array(5.0), params={"dim": 0, "index": np.array([1, 2])}, raises=IndexError,
                             match=r"When source is scalar, index should have one element \(got 2\)"),
                    EdgeCase(np.zeros((3, 2)), np.array([5.0]), params={"dim": 0, "index": np.array([1])}, raises=IndexError,
                             match=r"their dimensionality must match. Source dimensionality \(1\), destination "
                                   r"dimensionality \(2\)"),
                    EdgeCase(np.zeros((3, 2, 4)), np.zeros((1, 3, 4)), params={"dim": 0, "index": np.array([1])},
                             raises=RuntimeError, match="Destination slice shape: 2 4 at dimension 0 and source slice "
                                                        "shape: 3 4 at dimension 0"),
                    EdgeCase(np.zeros(3), np.zeros(1), params={"dim": 0, "index": np.array([0, 1])}, raises=IndexError,
                             match=r"Number of indices \(2\) should be equal to source.size\(dim\) \(1\)"),
                    EdgeCase(np.zeros(3), np.ones(1, dtype=np.float32), params={"dim": 0, "index": np.array([0])},
                             raises=RuntimeError, match=r"^index_copy_\(\): self and source expected to have the same "
                             r"dtype, but got \(self\) Double and \(source\) Float$"),
                    EdgeCase(np.zeros(3), np.ones(1), params={"dim": 0, "index": np.array([0.0])}, raises=RuntimeError,
                             match=r"^index_copy_\(\): Expected a long tensor for index, but got Double$",
                             why="PyTorch's words for a float index (its int32/int64 check is index_add's)"),
                    EdgeCase(np.array(1.0), np.array([1.0, 2.0, 3.0]), params={"dim": 0, "index": np.array([0, 0, 0])},
                             value=3.0, backward_raises=RuntimeError,
                             backward_match=r"Index to scalar can have only 1 value, got 3 value\(s\)",
                             why="PyTorch's: a 0-d self's one slot takes the last slice named; its backward selects "
                                 "the 0-d gradient at three indices and refuses"),
                    EdgeCase(np.zeros((3, 4)), np.zeros((0, 4)), params={"dim": 0, "index": np.array([], dtype=_I64)},
                             value=np.zeros((3, 4)), grads=(np.ones((3, 4)), np.zeros((0, 4))),
                             why="an empty source copies nothing: the result a copy of self, the source's gradient "
                                 "empty")]
INDEX_FILL_EDGES = [
    EdgeCase(np.array(1.0), 2.0, params={"dim": -1, "index": np.array([-1])}, value=2.0, why="a 0-d tensor is one slot"),
    EdgeCase(np.array([1.0, 2.0, 3.0], dtype=np.float32), np.array(2.5), params={"dim": 0, "index": np.array([1])},
             value=np.array([1.0, 2.5, 3.0], dtype=np.float32), why="PyTorch's: a float64 value is cast to the input's dtype"),
    EdgeCase(np.array(1.0), 2.0, params={"dim": 0, "index": np.array([1])}, raises=IndexError, match="out of bounds"),
    EdgeCase(_ZEROS, 2.0, params={"dim": 0, "index": np.array([3])}, raises=IndexError, match="out of bounds"),
    EdgeCase(_ZEROS, 2.0, params={"dim": 0, "index": np.array([-4])}, raises=IndexError, match="out of bounds"),
    EdgeCase(np.zeros(3), 2.0, params={"dim": 0, "index": np.array([-3, 5])}, raises=IndexError,
             match="index 5 is out of bounds", why="PyTorch names the entry out of range, not the lowest in range"),
    EdgeCase(np.zeros(3, dtype=np.int8), 300, params={"dim": 0, "index": np.array([0])}, raises=RuntimeError,
             match="without overflow"),
    EdgeCase(np.array(1.0), np.array(2.0), params={"dim": 0, "index": np.array([], dtype=_I64)}, value=1.0,
             grads=(1.0, 0.0), why="Not PyTorch's (docs/autograd.md): an empty index fills nothing of a 0-d tensor, "
             "so the result is a copy of it and the value gets no gradient, where PyTorch 2.13's backward refuses "
             "(index_select of the 0-d gradient at no index)")]
_INT_MEAN = (np.array([10, 20, 30, 40]), np.array([1, 2, 3, 4, 5, 7]))
SCATTER_REDUCE_MEANS = [
    EdgeCase(*_INT_MEAN, params={"dim": 0, "index": np.array([0, 0, 1, 3, 3, 3]), "reduce": "mean",
                                 "include_self": s}, value=np.array(v), why="an integer mean rounds down")
    for s, v in ((True, [4, 11, 30, 14]), (False, [1, 3, 30, 5]))] + [
    EdgeCase(x, src, params={"dim": 0, "index": np.array([0, 0, 1]), "reduce": how, "include_self": False},
             value=np.array(v, dtype=x.dtype), why="include_self=False: the reached positions start from the "
             "identity of the dtype (an integer's min or max, a bool's False or True)")
    for x, src, how, v in ((np.array([5, 5, 5]), np.array([-3, -7, 2]), "amax", [-3, 2, 5]),
                           (np.array([5, 5, 5]), np.array([-3, -7, 2]), "amin", [-7, 2, 5]),
                           (np.array([True, False, True]), np.array([False, True, False]), "amax", [True, False, True]),
                           (np.array([True, False, True]), np.array([False, True, False]), "amin", [False, False, True]))
] + [
    EdgeCase(np.array([1, 2, 3], dtype=np.int8), np.array([4, 5], dtype=np.int8),
             params={"dim": 0, "index": np.array([0, 0]), "reduce": "sum"}, value=np.array([10, 2, 3], dtype=np.int8),
             why="PyTorch's: an int8 sum stays int8 (NumPy's sums widen)")]

# Integer and bool inputs: the kit's finite differences would move a float input's zeros, and with
# them the result's shape (which depends on the values).
NONZERO_SAMPLES = [Sample(np.array([[0, 1, 0], [-2, 0, 3]])), Sample(np.array(2)), Sample(np.array(1)), Sample(np.array(0)),
                   Sample(np.array([False, False])), Sample(np.array([[[True], [False]]]))]


def _targets(index: np.ndarray, dim: int) -> Any:
    """Each position of ``index`` and the position of the output it names (the loop the docs describe)."""
    for pos in np.ndindex(*index.shape):
        yield pos, pos[:dim] + (int(index[pos]),) + pos[dim + 1:]


def _ref_scatter(x: Any, src: Any, dim: Any, index: Any, reduce: Any = None) -> Any:
    out = x.copy()
    for pos, target in _targets(index, dim % x.ndim):
        out[target] = src if np.ndim(src) == 0 else src[pos]
    return out


def _ref_scatter_reduce(x: Any, src: Any, dim: Any, index: Any, reduce: str, include_self: bool = True) -> Any:
    groups: dict[tuple, list] = {}
    for pos, target in _targets(index, dim % x.ndim):
        groups.setdefault(target, []).append(src[pos])
    out = x.copy()
    how: Any = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}[reduce]
    for where, vals in groups.items():
        out[where] = how(([x[where]] if include_self else []) + vals)
    return out


def _ref_take_along(x: Any, i: Any, dim: Any = None) -> Any:
    if dim is None:
        return x.reshape(-1)[i.reshape(-1)]
    dim = dim % x.ndim
    shape = np.broadcast_shapes(x.shape[:dim] + (1,) + x.shape[dim + 1:], i.shape[:dim] + (1,) + i.shape[dim + 1:])
    x = np.broadcast_to(x, shape[:dim] + (x.shape[dim],) + shape[dim + 1:])
    return np.take_along_axis(x, np.broadcast_to(i, shape[:dim] + (i.shape[dim],) + shape[dim + 1:]), dim)


def _ref_index(kind: str) -> Any:
    def ref(x: Any, v: Any, dim: Any, index: Any, alpha: Any = 1) -> Any:
        out = np.moveaxis(x.copy(), dim, 0)
        for i, k in enumerate(np.reshape(index, -1)):
            if kind == "add":
                out[k] += alpha * np.moveaxis(v, dim, 0)[i]
            elif kind == "copy":
                out[k] = np.moveaxis(v, dim, 0)[i]
            else:
                out[k] = v
        return np.moveaxis(out, 0, dim)
    return ref


# ------------------------------------------------------------------------------ registration
def register(registry: Registry) -> None:
    at: dict[str, Any] = {"promotion": False, "saves": ()}
    registry.register_op(
        "scatter_at", forward=_scatter_at, inspects_values=("index",), vjp=(_scatter_at_vjp_x, _scatter_at_vjp_src), params=("dim", "index"),
        node_name=_scatter_name, samples=SCATTER_SAMPLES, reference=_ref_scatter, edge_cases=SCATTER_EDGES, **at)
    registry.register_op(
        "scatter_add_at", forward=_scatter_add_at, inspects_values=("index",), vjp=(lambda xp, g, out, x, src, **p: g, _scatter_add_at_vjp_src),
        params=("dim", "index"), node_name="ScatterAddBackward0", samples=SCATTER_ADD_SAMPLES,
        reference=lambda x, src, dim, index: _ref_scatter_reduce(x, src, dim, index, "sum"), **at)
    registry.register_op(
        "scatter_reduce_at", forward=_scatter_reduce_at, inspects_values=("index",), vjp=_scatter_reduce_at_vjp, promotion=False,
        params=("dim", "index", "reduce", "include_self"), node_name="ScatterReduceBackward0",
        samples=SCATTER_REDUCE_SAMPLES, reference=_ref_scatter_reduce,
        edge_cases=SCATTER_REDUCE_TIES + SCATTER_REDUCE_MEANS)
    registry.register_op(
        "index_add_at", forward=_index_add_at, inspects_values=("index",), vjp=(lambda xp, g, out, x, s, **p: g, _index_add_at_vjp_source),
        params=("dim", "index", "alpha"), node_name="IndexAddBackward0", samples=INDEX_ADD_SAMPLES,
        reference=_ref_index("add"), edge_cases=INDEX_ADD_EDGES, **at)
    registry.register_op(
        "index_copy_at", forward=_index_copy_at, inspects_values=("index",), vjp=(_index_copy_at_vjp_x, _index_copy_at_vjp_source),
        params=("dim", "index"), node_name="IndexCopyBackward0", samples=INDEX_COPY_SAMPLES,
        reference=_ref_index("copy"), edge_cases=INDEX_COPY_EDGES, **at)
    registry.register_op(
        "index_fill_at", forward=_index_fill_at, inspects_values=("index",), vjp=(_overwritten_vjp, _index_fill_at_vjp_value),
        params=("dim", "index"), node_name=_index_fill_name, samples=INDEX_FILL_SAMPLES,
        reference=_ref_index("fill"), edge_cases=INDEX_FILL_EDGES, **at)
    references = {op.name: op.reference for op, _ in registry.ops}
    for name, primitive, read in (("scatter", "scatter_at", _scatter_call),
                                  ("scatter_add", "scatter_add_at", _scatter_add_call),
                                  ("scatter_reduce", "scatter_reduce_at", _scatter_reduce_call),
                                  ("index_add", "index_add_at", _index_add_call),
                                  ("index_copy", "index_copy_at", _index_copy_call),
                                  ("index_fill", "index_fill_at", _index_fill_call)):
        function, inplace = _public(name, primitive, read)
        registry.register_composite(name, function, methods=(name,), samples=_composite_samples(primitive),
                                    reference=_in_torch_order(references[primitive]), edge_cases=COMPOSITE_EDGES.get(name, ()))
        registry.register_method(f"{name}_", inplace)
    registry.register_op(
        "masked_select", forward=_masked_select, vjp=(_masked_select_vjp, None), saves=("inputs",), promotion=False,
        methods=("masked_select",), samples=MASKED_SELECT_SAMPLES, inspects_values=True,
        reference=lambda x, mask: np.broadcast_to(x, np.broadcast_shapes(x.shape, mask.shape))[
            np.broadcast_to(mask, np.broadcast_shapes(x.shape, mask.shape))])
    registry.register_op(
        "take", forward=_take, inspects_values=("index",), vjp=(_take_vjp,), saves=(), params=("index",), promotion=False, methods=("take",),
        samples=TAKE_SAMPLES, reference=lambda x, index: np.take(x, index))
    registry.register_composite(
        "take_along_dim", _take_along_dim, methods=("take_along_dim",), samples=TAKE_ALONG_SAMPLES,
        reference=_ref_take_along)
    registry.register_op(
        "argwhere", forward=_argwhere, promotion=False, methods=("argwhere",), samples=NONZERO_SAMPLES,
        inspects_values=True,
        reference=np.argwhere)
    registry.register_composite("nonzero", _nonzero, methods=("nonzero",), samples=NONZERO_SAMPLES,
                                reference=np.argwhere)


def _in_torch_order(reference: Any) -> Any:
    """A primitive's reference ``(x, src, dim, index, ...)`` taking PyTorch's order ``(x, dim, index, src, ...)``."""
    return lambda x, dim, index, src, *rest, **params: reference(x, src, dim, index, *rest, **params)


def _composite_samples(primitive: str) -> list[Sample]:
    """The primitive's samples in PyTorch's argument order: ``(input, dim, index, src, ...)``."""
    samples = {"scatter_at": SCATTER_SAMPLES, "scatter_add_at": SCATTER_ADD_SAMPLES,
               "scatter_reduce_at": [*SCATTER_REDUCE_SAMPLES[::3], *SCATTER_REDUCE_SAMPLES[-2:]],  # one leaves include_self out
               "index_add_at": INDEX_ADD_SAMPLES,
               "index_copy_at": INDEX_COPY_SAMPLES, "index_fill_at": INDEX_FILL_SAMPLES[::2]}[primitive]
    out = []
    for s in samples:
        p = dict(s.params)
        x, src = s.inputs
        rest = {k: v for k, v in p.items() if k not in ("dim", "index")}
        if primitive == "scatter_reduce_at":
            out.append(Sample(x, p["dim"], p["index"], src, rest.pop("reduce"), **rest))
        else:
            out.append(Sample(x, p["dim"], p["index"], src, **rest))
    return out


# Ties, zeros and shared maxima: PyTorch's conventions (tests/parity checks each against PyTorch).
SCATTER_REDUCE_TIES = [
    EdgeCase([5.0, 1.0], [5.0, 2.0, 5.0], params={"dim": 0, "index": np.array([0, 1, 0]), "reduce": "amax"},
             value=[5.0, 2.0], grads=([1 / 3, 0.0], [1 / 3, 1.0, 1 / 3]),
             why="amax shares the gradient evenly among the elements equal to the result"),
    EdgeCase([5.0, 1.0], [5.0, 2.0, 5.0],
             params={"dim": 0, "index": np.array([0, 1, 0]), "reduce": "amax", "include_self": False},
             value=[5.0, 2.0], grads=([0.0, 0.0], [1 / 3, 1.0, 1 / 3]),
             why="PyTorch counts self among the tied elements even with include_self=False"),
    EdgeCase([0.0, 1.0, 3.0], [0.0, 2.0, 0.0, 4.0, 5.0],
             params={"dim": 0, "index": np.array([1, 1, 2, 0, 0]), "reduce": "prod"},
             value=[0.0, 0.0, 0.0], grads=([20.0, 0.0, 0.0], [2.0, 0.0, 3.0, 0.0, 0.0]),
             why="prod: a single zero factor's gradient is the product of the others"),
    EdgeCase([1.0], [0.0, 0.0, 2.0], params={"dim": 0, "index": np.array([0, 0, 0]), "reduce": "prod"},
             value=[0.0], grads=([0.0], [0.0, 0.0, 0.0]), why="prod: two zero factors, every gradient 0"),
    EdgeCase([0.0, 1.0, 3.0], [0.0, 2.0, 0.0, 4.0, 5.0],
             params={"dim": 0, "index": np.array([1, 1, 2, 0, 0]), "reduce": "prod", "include_self": False},
             value=[20.0, 0.0, 0.0], grads=([0.0, 0.0, 0.0], [2.0, 0.0, 1.0, 5.0, 4.0])),
]
