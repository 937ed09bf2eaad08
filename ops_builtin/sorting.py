"""Sorting and order statistics: ``sort``, ``argsort``, ``msort``, ``topk``, ``kthvalue``,
``median``, ``nanmedian``, ``mode``, ``unique``, ``searchsorted``, ``bucketize``; and
``gather_values``, the primitive their values are read with.

Ops with a ``(values, indices)`` result use the mechanism of ``max(x, dim)``: a composite
computes the indices with ops that carry no gradient (``argsort``, and integer arithmetic on its
result), then reads the values at them with ``gather_values``. That is ``gather`` with the node
named after the op (``SortBackward0``, ``TopkBackward0``, ...), so the values' gradient goes to
the returned indices alone, as PyTorch's, and its VJP (a scatter-add, itself differentiable) gives
every order. ``gather_values(..., share=True)`` shares each value's gradient evenly between the
entries equal to it instead: ``median(x)`` and ``nanmedian(x)`` without ``dim``, as PyTorch's
``evenly_distribute_backward``.

Ties are broken as PyTorch's CPU kernels break them: ``sort`` and ``argsort`` are stable (equal
elements keep their order, descending too; NaN sorts above every number), so ``kthvalue`` and
``median(x, dim)`` return the first of equal elements in the input's order; ``mode`` returns the
smallest of the most frequent values and the last index where it occurs. ``topk`` on ties and
``sorted=False`` return the stable order; PyTorch leaves both unspecified.

``unique``'s result shape depends on the values: it is computed on NumPy (``numpy.unique``) and
moved back to the input's backend. It carries no gradient.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from tapegrad.backends import is_lazy
from tapegrad.dispatch import lazy_refusal
from tapegrad.dims import as_flag, as_int, axis
from tapegrad.optable import index_param
from tapegrad.return_types import return_type
from tapegrad.testing.samples import EdgeCase, Sample

from .indexing import _gather, _gather_vjp
from .reductions import _even_split, reduced_axes

if TYPE_CHECKING:
    from tapegrad import Registry

SortResult = return_type("sort", ["values", "indices"])
TopkResult = return_type("topk", ["values", "indices"])
KthvalueResult = return_type("kthvalue", ["values", "indices"])
MedianResult = return_type("median", ["values", "indices"])
NanmedianResult = return_type("nanmedian", ["values", "indices"])
ModeResult = return_type("mode", ["values", "indices"])


def _ops() -> Any:
    import tapegrad

    return tapegrad.ops


# ---------------------------------------------------------------------------- gather_values
def _gather_values(xp: Any, x: Any, *, dim: Any, index: Any, node: str = "GatherBackward0",
                   share: bool = False, keepdim: bool = True) -> Any:
    """``gather(x, dim, index)``, its graph node named ``node``: how ``sort``, ``topk`` & co. read
    their values. ``keepdim=False``: ``index`` lacks dimension ``dim`` (one element per slice) and
    so does the result; ``dim=None``: one element of the flattened ``x`` (``index`` 0-d).
    ``share=True``: each value's gradient is shared evenly between the entries of its slice equal
    to it (NaN counting as equal to NaN) instead of going to ``index`` alone."""
    if dim is None:
        flat = xp.reshape(x, (-1,))
        return xp.reshape(xp.take(flat, xp.reshape(xp.asarray(index), (1,)), axis=0), ())
    out = _gather(xp, x, dim=dim, index=_with_dim(index, dim, x.ndim, keepdim))
    return out if keepdim else xp.squeeze(out, axis=axis(dim, x.ndim))


def _gather_values_vjp(xp: Any, g: Any, out: Any, x: Any, *, dim: Any, index: Any, node: str = "GatherBackward0",
                       share: bool = False, keepdim: bool = True) -> Any:
    ndim = len(x.shape)
    if dim is None and not share:
        flat = xp.index_scatter_add(xp.reshape(g, (1,)), index=_flat(index), shape=(_numel(x.shape),))
        return xp.reshape(flat, tuple(x.shape))
    if dim is not None and not keepdim and ndim:
        g, out = xp.expand_dims(g, axis=axis(dim, ndim)), xp.expand_dims(out, axis=axis(dim, ndim))
    if not share:
        return _gather_vjp(xp, g, out, x, dim=dim, index=_with_dim(index, dim, ndim, keepdim))
    axes = tuple(range(ndim)) if dim is None else (axis(dim, ndim),) if ndim else ()
    hit = (x == out) | (xp.isnan(x) & xp.isnan(out))
    return _even_split(xp, g, hit, axes)


def _flat(index: Any) -> Any:
    """A 0-d flat ``index`` as the key of one element of a 1-D array."""
    return np.reshape(np.asarray(index_param(index)), (1,))


def _with_dim(index: Any, dim: Any, ndim: int, keepdim: bool) -> Any:
    """``index`` with dimension ``dim`` back (size 1) when it was reduced away."""
    if keepdim or not ndim:
        return index
    return np.expand_dims(np.asarray(index_param(index)), axis(dim, ndim))


def _numel(shape: Any) -> int:
    n = 1
    for s in shape:
        n *= int(s)
    return n


def _node_of(params: Any, inputs: Any) -> str:
    return params.get("node", "GatherBackward0")


def _values(x: Any, dim: int, index: Any, node: str, keepdim: bool = True) -> Any:
    return _ops().gather_values(x, dim=dim, index=index, node=node, keepdim=keepdim)


# ---------------------------------------------------------------------------- argsort, sort
def _order(xp: Any, x: Any, a: int, descending: bool) -> Any:
    """The stable sorting permutation along axis ``a``; NaN above every number, as PyTorch's."""
    if not descending:
        return xp.argsort(x, axis=a, stable=True)
    # sorted ascending from the end, read backwards: descending, equal elements in input order
    n = x.shape[a]
    return (n - 1) - xp.flip(xp.argsort(xp.flip(x, axis=a), axis=a, stable=True), axis=a)


def _argsort(xp: Any, x: Any, dim: Any = -1, descending: bool = False, stable: bool = False) -> Any:
    """Indices (int64) that sort ``x`` along ``dim`` (ascending unless ``descending``); always
    stable, so ``stable`` only states it. NaN sorts above every number. No gradient."""
    as_flag(descending, "descending")
    as_flag(stable, "stable")
    if x.ndim == 0:
        axis(dim, 0)
        return xp.zeros((), dtype=xp.int64)
    return xp.astype(_order(xp, x, axis(dim, x.ndim), descending), xp.int64)


def sort(input: Any, dim: Any = -1, descending: bool = False, stable: bool = False) -> Any:
    """The pair ``(values, indices)`` of ``input`` sorted along ``dim`` (ascending unless
    ``descending``), stable; the values' gradient goes back to where each came from."""
    indices = _ops().argsort(input, dim=dim, descending=descending, stable=stable)
    return SortResult(_values(input, dim, indices, "SortBackward0"), indices)


def msort(input: Any) -> Any:
    """``input`` sorted along its first dimension: ``sort(input, dim=0).values``."""
    return sort(input, dim=0).values


# ---------------------------------------------------------------------------- slices of the order
def _along(t: Any, d: int, key: Any) -> Any:
    """``t`` indexed by ``key`` along dimension ``d``."""
    return t[(slice(None),) * d + (key, Ellipsis)]


def _size(x: Any, dim: Any) -> tuple[int, int]:
    """(dimension, its size): a 0-d tensor has one element along its dimension 0."""
    d = axis(dim, x.ndim)
    return d, (x.shape[d] if x.ndim else 1)


def topk(input: Any, k: Any, dim: Any = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002
    """The ``k`` largest (``largest=False``: smallest) elements along ``dim`` and their indices,
    in sorted order (also for ``sorted=False``, where PyTorch leaves the order unspecified)."""
    k = as_int(k, "k")
    as_flag(largest, "largest")
    as_flag(sorted, "sorted")
    d, n = _size(input, dim)
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    indices = _ops().argsort(input, dim=d, descending=largest, stable=True)
    if input.ndim:
        indices = _along(indices, d, slice(0, k))
    return TopkResult(_values(input, d, indices, "TopkBackward0"), indices)


def _at(input: Any, d: int, position: Any, keepdim: bool, node: str, order: Any = None) -> tuple[Any, Any]:
    """The values and indices at sorted ``position`` (an int, or an int tensor with ``d`` kept)."""
    as_flag(keepdim, "keepdim")
    ops = _ops()
    if input.ndim == 0:
        import tapegrad

        indices = tapegrad.zeros_like(input, dtype=tapegrad.int64)  # on the input's backend
        return _values(input, 0, indices, node), indices
    order = ops.argsort(input, dim=d, stable=True) if order is None else order
    indices = _along(order, d, slice(position, position + 1)) if type(position) is int else \
        ops.gather(order, dim=d, index=position)
    indices = indices if keepdim else indices.squeeze(d)
    return _values(input, d, indices, node, keepdim), indices


def kthvalue(input: Any, k: Any, dim: Any = -1, keepdim: bool = False) -> Any:
    """The ``k``-th smallest element along ``dim`` (``k`` from 1) and its index; of equal
    elements, the first in the input's order."""
    k = as_int(k, "k")
    d, n = _size(input, dim)
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    return KthvalueResult(*_at(input, d, k - 1, keepdim, "KthvalueBackward0"))


def _median(name: str, result: Any, skip_nan: bool) -> Any:
    def median(input: Any, dim: Any = None, keepdim: bool = False) -> Any:
        ops = _ops()
        whole = dim is None
        x = input.reshape(-1) if whole else input
        d = 0 if whole else axis(dim, x.ndim)
        if x.numel() == 0:
            if whole:
                import tapegrad

                return tapegrad.full((), float("nan"), dtype=input.dtype)
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
        n = x.shape[d] if x.ndim else 1
        # NaN sorts last: median returns the first NaN where there is one, nanmedian the median of the rest
        nans = ops.sum(ops.isnan(x), dim=d, keepdim=True) if x.ndim else ops.reshape(ops.isnan(x), ())
        if skip_nan:
            position = ops.clamp((n - nans - 1) // 2, min=0)
        else:
            position = ops.where(nans > 0, n - nans, (n - 1) // 2)
        node = f"{name.capitalize()}Backward{0 if whole else 1}"
        if whole:  # read from the input itself, so the result's node is the median's
            order = ops.argsort(x.detach(), dim=0, stable=True)
            index = ops.gather(order, dim=0, index=position.reshape(1)).reshape(())
            return ops.gather_values(input, dim=None, index=index, node=node, share=True)
        if x.ndim == 0:
            return result(*_at(x, 0, 0, keepdim, node))
        return result(*_at(x, d, position, keepdim, node))

    median.__name__ = median.__qualname__ = name
    median.__doc__ = (
        f"``{name}(x)`` is the {'NaN-ignoring ' if skip_nan else ''}median of every element (the lower of the "
        f"two middle ones; its gradient shared between the entries equal to it); ``{name}(x, dim, keepdim=False)`` "
        f"the pair ``(values, indices)`` along ``dim``, of equal elements the first. "
        + ("NaNs are ignored (all NaN: NaN)." if skip_nan else "A NaN in a slice makes its median NaN."))
    return median


# ---------------------------------------------------------------------------- mode
def _mode_index(xp: Any, x: Any, *, dim: int) -> Any:
    """Index of the last occurrence of the smallest most frequent value along ``dim`` (int64)."""
    from .scans import running

    s = xp.sort(x, axis=dim, stable=True)
    n = x.shape[dim]
    shape = [1] * x.ndim
    shape[dim] = n
    pos = xp.reshape(xp.arange(n, dtype=xp.int64), tuple(shape))
    prev = xp.concat([_take(xp, s, dim, 0, 1), _take(xp, s, dim, 0, n - 1)], axis=dim)
    start = (pos == 0) | (s != prev)
    first = running(xp, "maximum", xp.where(start, pos, xp.zeros_like(pos)), dim)  # where each run starts
    count = pos - first + 1  # how far each run has got; its length at its last element
    best = xp.max(count, axis=dim, keepdims=True)
    at = xp.argmax(xp.astype(count == best, xp.int8), axis=dim, keepdims=True)  # the first longest: smallest value
    value = xp.take_along_axis(s, at, axis=dim)
    hits = xp.where(x == value, pos, pos * 0 - 1)
    return xp.max(hits, axis=dim, keepdims=True)


def _take(xp: Any, x: Any, d: int, start: int, stop: int) -> Any:
    return x[(slice(None),) * d + (slice(start, stop), Ellipsis)]


def _mode_indices(xp: Any, x: Any, *, dim: Any = -1, keepdim: bool = False) -> Any:
    """The index (int64) of ``mode``'s value along ``dim``: of the smallest most frequent value, its
    last occurrence. No gradient."""
    as_flag(keepdim, "keepdim")
    if x.ndim == 0:
        axis(dim, 0)
        return xp.zeros((), dtype=xp.int64)
    d = axis(dim, x.ndim)
    if x.shape[d] == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    out = _mode_index(xp, x, dim=d)
    return out if keepdim else xp.squeeze(out, axis=d)


def mode(input: Any, dim: Any = -1, keepdim: bool = False) -> Any:
    """The most frequent value along ``dim`` (the smallest of equally frequent ones) and the last
    index where it occurs; its gradient goes there."""
    ops = _ops()
    indices = ops.mode_indices(input, dim=dim, keepdim=keepdim)
    if input.ndim == 0:
        return ModeResult(_values(input, 0, indices, "ModeBackward0"), indices)
    return ModeResult(_values(input, axis(dim, input.ndim), indices, "ModeBackward0", keepdim), indices)


# ---------------------------------------------------------------------------- unique
def unique(input: Any, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False,  # noqa: A002
           dim: Any = None) -> Any:
    """The distinct elements of ``input`` (``dim``: its distinct slices along ``dim``), sorted
    (also for ``sorted=False``, as PyTorch's CPU kernel); with ``return_inverse`` where each element
    went, with ``return_counts`` how often each occurs. The result's shape depends on the values.
    No gradient."""
    import tapegrad

    for flag, what in ((sorted, "sorted"), (return_inverse, "return_inverse"), (return_counts, "return_counts")):
        as_flag(flag, what)
    data = input.detach()
    if is_lazy(data):  # the result's shape depends on the values: refused, never computed behind the user's back
        raise RuntimeError(lazy_refusal("unique", "its input's values (its result's shape depends on them)",
                                        input.backend))
    a = None if dim is None else axis(dim, input.ndim)
    values, inverse, counts = np.unique(data.numpy(), return_inverse=True, return_counts=True, axis=a)
    inverse = inverse.reshape(tuple(input.shape) if a is None else (-1,))
    backend = input.backend

    def back(array: Any) -> Any:
        t = tapegrad.tensor(array)
        return t if backend == "numpy" else t.to(backend)

    out = back(values)
    if not (return_inverse or return_counts):
        return out
    extra = ([back(inverse.astype(np.int64))] if return_inverse else []) + \
            ([back(counts.astype(np.int64))] if return_counts else [])
    return (out, *extra)


# ---------------------------------------------------------------------------- searchsorted, bucketize
def _side(right: Any, side: Any) -> str:
    as_flag(right, "right")
    if side is None:
        return "right" if right else "left"
    if side not in ("left", "right"):
        raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
    if right and side == "left":
        raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left "
                           "while right was True")
    return side


def _searchsorted(xp: Any, sorted_sequence: Any, input: Any, *, out_int32: bool = False, right: bool = False,
                  side: Any = None, sorter: Any = None) -> Any:
    """Where each element of ``input`` would go in ``sorted_sequence`` (sorted along its last
    dimension; leading dimensions matched with ``input``'s) to keep it sorted: the first such
    place, or the last with ``right=True`` / ``side="right"``. int64 (``out_int32``: int32)."""
    which = _side(right, side)
    as_flag(out_int32, "out_int32")
    scalar = not hasattr(input, "shape")
    if scalar:
        if sorted_sequence.ndim != 1:
            raise RuntimeError("torch.searchsorted(): input value can be a scalar only when boundaries tensor "
                               "dimension is 1, but we got boundaries tensor dim(" f"{sorted_sequence.ndim}) and input "
                               "value's dim(0) numel(1)")
        input = xp.asarray(input, dtype=sorted_sequence.dtype)
    if sorter is not None:
        sorter = xp.asarray(sorter)
        if tuple(sorter.shape) != tuple(sorted_sequence.shape):
            raise RuntimeError("torch.searchsorted(): boundary and sorter must have the same size, but got "
                               f"boundary tensor {list(sorted_sequence.shape)} and got sorter tensor "
                               f"{list(sorter.shape)}")
        sorted_sequence = xp.take_along_axis(sorted_sequence, xp.astype(sorter, xp.int64), axis=-1)
    if sorted_sequence.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive dimension, but got 0 "
                           "dimension")
    if input.dtype != sorted_sequence.dtype:
        floats = [xp.isdtype(a.dtype, "real floating") for a in (input, sorted_sequence)]
        # integers against floats: the float type, as PyTorch's (array-API namespaces need not promote across kinds)
        common = (xp.result_type(input.dtype, sorted_sequence.dtype) if floats[0] == floats[1]
                  else (input if floats[0] else sorted_sequence).dtype)
        input, sorted_sequence = xp.astype(input, common), xp.astype(sorted_sequence, common)
    dtype = xp.int32 if out_int32 else xp.int64
    if sorted_sequence.ndim == 1:
        return xp.astype(xp.searchsorted(sorted_sequence, input, side=which), dtype)
    if tuple(sorted_sequence.shape[:-1]) != tuple(input.shape[:-1]):
        raise RuntimeError(
            "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of "
            f"boundaries tensor and input value tensor must match, but we got boundaries tensor "
            f"{list(sorted_sequence.shape)} and input value tensor {list(input.shape)}")
    rows = math.prod(input.shape[:-1])
    seq = xp.reshape(sorted_sequence, (rows, sorted_sequence.shape[-1]))
    val = xp.reshape(input, (rows, input.shape[-1]))
    found = [xp.searchsorted(seq[r, ...], val[r, ...], side=which) for r in range(rows)]
    out = xp.stack(found) if found else xp.zeros((0, input.shape[-1]), dtype=dtype)
    return xp.reshape(xp.astype(out, dtype), tuple(input.shape))


def _bucketize(xp: Any, input: Any, boundaries: Any, *, out_int32: bool = False, right: bool = False) -> Any:
    """The bucket of each element of ``input`` among the 1-D sorted ``boundaries``: ``i`` with
    ``boundaries[i-1] < x <= boundaries[i]`` (``right=True``: ``boundaries[i-1] <= x < boundaries[i]``)."""
    if getattr(boundaries, "ndim", 1) != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return _searchsorted(xp, boundaries, input, out_int32=out_int32, right=right)


# ---------------------------------------------------------------------------- samples
# Distinct values only: at ties the values are not differentiable (the kit takes central
# differences); tests/test_scans_sorting.py checks the ties against PyTorch's choices.
ONE_DIM = [Sample((2, 3)), Sample((2, 3), dim=0), Sample((2, 3, 4), dim=1), Sample((3,), dim=-1), Sample(()),
           Sample((0, 3), dim=1)]
_TIES = np.array([1.0, 0.0] * 20)
SORT_SAMPLES = ONE_DIM + [Sample((2, 3), dim=0, descending=True), Sample((3, 4), descending=True, stable=True)]
TOPK_SAMPLES = [Sample((2, 3), k=2), Sample((2, 3, 4), k=1, dim=1, largest=False), Sample((4,), k=4),
                Sample((), k=1), Sample((2, 3), k=0, dim=0), Sample((2, 4), k=2, sorted=False)]
KTH_SAMPLES = [Sample((2, 3), k=2), Sample((2, 3, 4), k=1, dim=1, keepdim=True), Sample((4,), k=4), Sample((), k=1)]
MEDIAN_SAMPLES = [Sample((2, 3)), Sample((4,)), Sample(()), Sample((2, 3), dim=1), Sample((2, 3, 4), dim=0, keepdim=True),
                  Sample((), dim=0), Sample((2, 4)), Sample((2, 4), dim=1), Sample((4,), dim=0)]
_NANS = np.array([[1.0, np.nan, 0.5, 2.0], [np.nan, np.nan, np.nan, 1.5]])
NANMEDIAN_SAMPLES = MEDIAN_SAMPLES + [Sample(_NANS, dim=1), Sample(_NANS)]
MODE_SAMPLES = [Sample((2, 3)), Sample((2, 3), dim=0, keepdim=True), Sample((4,)), Sample(())]
GATHER_VALUES_SAMPLES = [
    Sample((3, 4), dim=1, index=np.array([[0, 0, 3], [1, 2, 1], [3, 3, 3]]), node="SortBackward0"),
    Sample((4,), dim=0, index=np.array([3, 3, 0])),
    Sample((2, 4), dim=1, index=np.array([[1], [0]]), node="MedianBackward1", share=True),
    Sample((2, 4), dim=None, index=np.array(3), node="MedianBackward0", share=True),
    Sample((2, 3), dim=None, index=np.array(4)),
    Sample((2, 3, 4), dim=1, index=np.array([[0, 2, 1, 1], [2, 2, 0, 1]]), node="KthvalueBackward0", keepdim=False),
    Sample((2, 4), dim=1, index=np.array([1, 0]), node="MedianBackward1", share=True, keepdim=False),
]
_SEQUENCE = np.array([-1.5, -0.5, 0.0, 0.5, 1.5])
SEARCH_SAMPLES = [Sample(np.array([[[-1.0, 0.0, 1.0], [0.0, 1.0, 2.0]], [[-2.0, 0.0, 2.0], [1.0, 2.0, 3.0]]]), (2, 2, 4)),
                  Sample(np.zeros((0, 3)), (0, 4)), Sample(_SEQUENCE, (2, 3)), Sample(_SEQUENCE, (4,), right=True), Sample(_SEQUENCE, (), side="right"),
                  Sample(np.array([[-1.0, 0.0, 1.0], [-0.5, 0.5, 2.0]]), (2, 4)),
                  # unsorted, with the order that sorts it (along the last dimension)
                  Sample(np.array([1.5, -1.5, 0.0, 0.5, -0.5]), (2, 3), sorter=np.array([1, 4, 2, 3, 0])),
                  Sample(np.array([[1.0, -1.0, 0.0], [2.0, 0.5, -0.5]]), (2, 4), sorter=np.array([[1, 2, 0], [2, 1, 0]]),
                         right=True)]
# PyTorch 2.13's choices at ties: mode's smallest most frequent value at its last index; a slice
# with a NaN has median NaN at its first NaN; the whole median shares its gradient between equals.
_MODE_TIES = np.array([[2.0, 1.0, 2.0, 1.0, 3.0], [0.0, 5.0, 5.0, 0.0, 7.0]])
_MODE_EDGES = [(_MODE_TIES, {"dim": 1}, (np.array([1.0, 0.0]), np.array([3, 3]))),
               (np.array([3.0, 3.0, 1.0, 2.0, 2.0, 3.0]), {}, (np.array(3.0), np.array(5))),
               (np.array([1.0, 1.0, 2.0, 3.0]), {}, (np.array(1.0), np.array(1)))]
_REPEATS = np.array([[2.0, 1.0, 2.0], [3.0, 1.0, 2.0]])
_UNIQUE_EDGES = [  # the distinct values sorted; where each element went (in the input's shape); how often each occurs
    EdgeCase(_REPEATS, value=np.array([1.0, 2.0, 3.0]), why="sorted, repeats once"),
    EdgeCase(_REPEATS, params={"return_inverse": True}, value=(np.array([1.0, 2.0, 3.0]), np.array([[1, 0, 1], [2, 0, 1]]))),
    EdgeCase(_REPEATS, params={"return_counts": True}, value=(np.array([1.0, 2.0, 3.0]), np.array([2, 3, 1]))),
    EdgeCase(_REPEATS, params={"return_inverse": True, "return_counts": True},
             value=(np.array([1.0, 2.0, 3.0]), np.array([[1, 0, 1], [2, 0, 1]]), np.array([2, 3, 1]))),
    EdgeCase(np.array([[1.0, 2.0], [1.0, 2.0], [0.0, 5.0]]), params={"dim": 0, "return_inverse": True},
             value=(np.array([[0.0, 5.0], [1.0, 2.0]]), np.array([1, 1, 0])), why="distinct rows: the inverse along dim"),
]
_MEDIAN_EDGES = [EdgeCase(np.vstack([_NANS, [[1.0, 2.0, 3.0, 4.0]]]), params={"dim": 1},
                          value=(np.array([np.nan, np.nan, 2.0]), np.array([1, 0, 1])), why="NaN sorts last"),
                 EdgeCase(np.array([1.0, 2.0, 2.0, 3.0]), value=np.array(2.0), grads=(np.array([0.0, 0.5, 0.5, 0.0]),),
                          why="the gradient shared between the entries equal to the median")]
BUCKET_SAMPLES = [Sample((2, 3), _SEQUENCE), Sample((4,), _SEQUENCE, right=True), Sample((), _SEQUENCE)]


# ---------------------------------------------------------------------------- NumPy references (kit)
def _slices(x: np.ndarray, dim: int, f: Any) -> tuple[np.ndarray, np.ndarray]:
    """``f(row) -> (value, index)`` over every 1-D slice of ``x`` along ``dim``, reduced away."""
    moved = np.moveaxis(x, dim, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    found = [f(row) for row in rows]
    shape = moved.shape[:-1]
    return (np.array([v for v, _ in found], dtype=x.dtype).reshape(shape),
            np.array([i for _, i in found], dtype=np.int64).reshape(shape))


def _kept_pair(pair: tuple[np.ndarray, np.ndarray], dim: int, keepdim: bool) -> tuple[np.ndarray, np.ndarray]:
    return tuple(np.expand_dims(a, dim) for a in pair) if keepdim else pair  # type: ignore[return-value]


def _order_ref(x: np.ndarray, dim: int, descending: bool) -> np.ndarray:
    return np.argsort(-x if descending else x, axis=dim, kind="stable")


def _sort_ref(x: np.ndarray, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
    if x.ndim == 0:
        return x, np.zeros((), np.int64)
    order = _order_ref(x, dim, descending)
    return np.take_along_axis(x, order, dim), order


def _topk_ref(x: np.ndarray, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002
    if x.ndim == 0:
        return x, np.zeros((), np.int64)
    order = np.take(_order_ref(x, dim, largest), np.arange(k), axis=dim)
    return np.take_along_axis(x, order, dim), order


def _kth_ref(x: np.ndarray, k: int, dim: int = -1, keepdim: bool = False) -> Any:
    if x.ndim == 0:
        return x, np.zeros((), np.int64)
    d = dim % x.ndim
    return _kept_pair(_slices(x, d, lambda r: (np.sort(r)[k - 1], np.argsort(r, kind="stable")[k - 1])), d, keepdim)


def _median_row_ref(skip_nan: bool) -> Any:
    def row(r: np.ndarray) -> tuple[Any, int]:
        nan = np.flatnonzero(np.isnan(r))
        if nan.size and (not skip_nan or nan.size == r.size):
            return np.nan, int(nan[0])
        keep = np.flatnonzero(~np.isnan(r))
        pick = keep[np.argsort(r[keep], kind="stable")[(keep.size - 1) // 2]]
        return r[pick], int(pick)
    return row


def _median_ref(skip_nan: bool) -> Any:
    def reference(x: np.ndarray, dim: Any = None, keepdim: bool = False) -> Any:
        if dim is None:
            return np.asarray(_median_row_ref(skip_nan)(x.reshape(-1))[0], dtype=x.dtype)
        if x.ndim == 0:
            return x, np.zeros((), np.int64)
        d = dim % x.ndim
        return _kept_pair(_slices(x, d, _median_row_ref(skip_nan)), d, keepdim)
    return reference


def _mode_row_ref(r: np.ndarray) -> tuple[Any, int]:
    values, counts = np.unique(r, return_counts=True)
    value = values[np.argmax(counts)]  # the first most frequent of the sorted values: the smallest
    return value, int(np.flatnonzero(r == value)[-1])


def _mode_ref(x: np.ndarray, dim: int = -1, keepdim: bool = False) -> Any:
    if x.ndim == 0:
        return x, np.zeros((), np.int64)
    d = dim % x.ndim
    return _kept_pair(_slices(x, d, _mode_row_ref), d, keepdim)


def _gather_values_ref(x: np.ndarray, dim: Any, index: np.ndarray, node: str = "", share: bool = False,
                       keepdim: bool = True) -> np.ndarray:
    if dim is None:
        return x.reshape(-1)[index]
    if not keepdim:
        return np.squeeze(np.take_along_axis(x, np.expand_dims(index, dim), dim), dim)
    return np.take_along_axis(x, index, dim)


def _searchsorted_ref(seq: np.ndarray, x: Any, right: bool = False, side: Any = None, sorter: Any = None,
                      **_: Any) -> Any:
    which: Any = side or ("right" if right else "left")
    if sorter is not None:
        seq = np.take_along_axis(seq, np.asarray(sorter), axis=-1)
    if seq.ndim == 1:
        return np.searchsorted(seq, x, side=which)
    rows = [np.searchsorted(s, v, side=which) for s, v in zip(seq.reshape(-1, seq.shape[-1]), x.reshape(-1, x.shape[-1]))]
    return np.array(rows, dtype=np.int64).reshape(x.shape)


# ---------------------------------------------------------------------------- registration
def register(registry: Registry) -> None:
    registry.register_op("gather_values", forward=_gather_values, vjp=(_gather_values_vjp,), saves=("inputs", "output"),
                         inspects_values=("index",),
                         params=("dim", "index", "node", "share", "keepdim"), promotion=False, node_name=_node_of,
                         samples=GATHER_VALUES_SAMPLES, reference=_gather_values_ref)
    registry.register_op("argsort", forward=_argsort, methods=("argsort",), promotion=False, zero_gradient=True,
                         params=("dim", "descending", "stable"), samples=SORT_SAMPLES, edge_cases=[
                             EdgeCase(_TIES, params={"stable": True, "descending": d},
                                      value=np.argsort(-_TIES if d else _TIES, kind="stable"),
                                      why="ties keep their order (NumPy's default sort would not, past 16 elements)")
                             for d in (False, True)],
                         reference=lambda x, dim=-1, descending=False, stable=False: np.argsort(
                             -x if descending else x, axis=dim, kind="stable") if np.ndim(x) else np.zeros((), np.int64))
    registry.register_composite("sort", sort, inspects_values=True, methods=("sort",), samples=SORT_SAMPLES, reference=_sort_ref)
    registry.register_composite("msort", msort, inspects_values=True, methods=("msort",), samples=[Sample((3, 2)), Sample((4,)), Sample(())],
                                reference=lambda x: np.sort(x, axis=0) if x.ndim else x)
    registry.register_composite("topk", topk, inspects_values=True, methods=("topk",), samples=TOPK_SAMPLES, reference=_topk_ref,
                                edge_cases=[EdgeCase(np.array(1.0), params={"k": 2}, raises=RuntimeError, match="out of range")])
    registry.register_composite("kthvalue", kthvalue, inspects_values=True, methods=("kthvalue",), samples=KTH_SAMPLES, reference=_kth_ref)
    registry.register_composite("median", _median("median", MedianResult, False), inspects_values=True, methods=("median",),
                                samples=MEDIAN_SAMPLES, reference=_median_ref(False), edge_cases=_MEDIAN_EDGES)
    registry.register_composite("nanmedian", _median("nanmedian", NanmedianResult, True), inspects_values=True, methods=("nanmedian",),
                                samples=NANMEDIAN_SAMPLES, reference=_median_ref(True))
    registry.register_op("mode_indices", forward=_mode_indices, inspects_values=True, promotion=False, params=("dim", "keepdim"),
                         zero_gradient=True, samples=MODE_SAMPLES,
                         edge_cases=[EdgeCase(x, params=p, value=v[1], why="ties") for x, p, v in _MODE_EDGES],
                         reference=lambda x, dim=-1, keepdim=False: _mode_ref(x, dim, keepdim)[1])
    registry.register_composite("mode", mode, inspects_values=True, methods=("mode",), samples=MODE_SAMPLES, reference=_mode_ref,
                                edge_cases=[EdgeCase(x, params=p, value=v, why="ties") for x, p, v in _MODE_EDGES])
    # Its result's shape depends on the values: on main (issue 10) that is register_op's inspects_values=True,
    # which lazy backends refuse; this branch predates it, so the merge adds it here.
    registry.register_composite("unique", unique, methods=("unique",), samples=[], reference=np.unique,
                                edge_cases=_UNIQUE_EDGES)
    registry.register_op("searchsorted", forward=_searchsorted, inspects_values=True, promotion=False, zero_gradient=True, samples=SEARCH_SAMPLES,
                         reference=_searchsorted_ref, edge_cases=[
                             EdgeCase(np.array([1.0, 2.0, 2.0, 3.0]), np.array([2.0, 0.5]), value=np.array([1, 0]),
                                      why="a tie goes left of its equals by default"),
                             EdgeCase(np.array([1, 2, 3]), np.array([2.5]), value=np.array([2]),
                                      why="an integer sequence searched for a float: compared in their common type")])
    registry.register_op("bucketize", forward=_bucketize, inspects_values=True, promotion=False, zero_gradient=True, samples=BUCKET_SAMPLES,
                         reference=lambda x, b, right=False, **_: np.searchsorted(b, x, side="right" if right else "left"),
                         edge_cases=[EdgeCase(np.array([2.0, 0.5]), np.array([1.0, 2.0, 2.0, 3.0]), value=np.array([1, 0]),
                                              why="a tie goes to the left bucket by default")])
