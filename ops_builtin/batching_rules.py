"""Batching rules of the built-in shape, reduction and product ops (``register_op(batching=...)``).

Each rule runs its op once on a whole batch: ``rule(call, args, dims, params)`` gets the
operands (a batched one holds the batch at ``dims[i]``, an unbatched one has ``dims[i]`` None),
``call`` runs the op itself, and it returns ``(result, out_dim)``, or ``NotImplemented`` for a
case it leaves to the per-example loop. Most move the batch to the front and shift the dims
the params name by one; the generic forms (``along``, ``reduction``, ``elementwise``) live in
``tapegrad.batching``. The conformance kit checks each rule against the loop.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from tapegrad.batching import along, batch_size, elementwise, logical_ndim, reduction, shift_dims, to_front

import numpy as np

from tapegrad.dims import axis
from tapegrad.dtypes import to_numpy_dtype
from tapegrad.tensor import Tensor

LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"  # string.ascii_letters (importing string compiles a regex)

Call = Callable[..., Any]
Dims = Sequence[Any]


def _op(name: str) -> Call:
    import tapegrad

    return getattr(tapegrad.ops, name)


# ---------------------------------------------------------------------------- shapes
def reshape(call: Call, args: Sequence[Any], dims: Dims, params: dict) -> Any:
    """``reshape``/``view``: the batch in front, then the example's new shape."""
    x = to_front(args[0], dims[0])
    shape = params["shape"]
    shape = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
    # view's own stride rule on the moved batch keeps the batch dim apart and judges the rest as
    # each example's view would: refused where an example's strides refuse it, as PyTorch's vmap.
    return call(x, shape=(x.shape[0], *shape)), 0


def expand(param: str) -> Any:
    """``expand``/``broadcast_to``: the example padded to the new rank (new dimensions go in
    front of it, behind the batch), then expanded with the batch kept."""

    def rule(call: Call, args: Sequence[Any], dims: Dims, params: dict) -> Any:
        x = to_front(args[0], dims[0])
        sizes = params[param]
        sizes = tuple(sizes) if isinstance(sizes, (tuple, list)) else (sizes,)
        n = x.ndim - 1
        new = len(sizes) - n
        if new < 0 or any(s == -1 for s in sizes[:new]):
            return NotImplemented  # the loop raises PyTorch's error
        if new:
            x = _op("reshape")(x, shape=(x.shape[0], *(1,) * new, *x.shape[1:]))
        return call(x, **{**params, param: (x.shape[0], *sizes)}), 0

    return rule


def squeeze(call: Call, args: Sequence[Any], dims: Dims, params: dict) -> Any:
    """``squeeze``: without ``dim``, the example's size-1 dimensions (never the batch's)."""
    dim = params.get("dim")
    x = to_front(args[0], dims[0])
    n = x.ndim - 1
    if dim is None:
        return call(x, dim=tuple(i + 1 for i in range(n) if x.shape[i + 1] == 1)), 0
    if n == 0:
        return NotImplemented
    return call(x, dim=shift_dims(dim, n)), 0


def permute(call: Call, args: Sequence[Any], dims: Dims, params: dict) -> Any:
    """``permute``: the batch stays in front, the example's dims shifted by one."""
    order = params["dims"]
    x = to_front(args[0], dims[0])
    n = x.ndim - 1
    order = tuple(order) if isinstance(order, (tuple, list)) else (order,)
    if len(order) != n:
        return NotImplemented
    return call(x, dims=(0, *(axis(d, n) + 1 for d in order))), 0


def joined(new: int) -> Any:
    """``cat`` (``new=0``) and ``stack`` (``new=1``): unbatched operands are broadcast over the batch."""

    def rule(call: Call, args: Sequence[Any], dims: Dims, params: dict) -> Any:
        dim = params.get("dim", 0)
        size = batch_size(args, dims)
        ranks = {logical_ndim(a, d) for a, d in zip(args, dims)}
        if len(ranks) != 1 or ranks == {0} and not new:
            return NotImplemented
        n = ranks.pop() + new
        front = [to_front(a, d) if d is not None else _op("broadcast_to")(a, shape=(size, *a.shape))
                 for a, d in zip(args, dims)]
        return call(*front, **{**params, "dim": shift_dims(dim, n)}), 0

    return rule


_BASIC = (slice, type(None), type(Ellipsis))


def getitem(call: Call, args: Sequence[Any], dims: Dims, params: dict) -> Any:
    """``x[key]``: the batch kept in front by a leading ``:``. Integer index arrays (unbatched) that
    stand apart in the key put their dims first, as NumPy's and PyTorch's do, the batch after them."""
    index = params["index"]
    key = index if isinstance(index, tuple) else (index,)
    kinds = [_index_kind(k) for k in key]
    if None in kinds:
        return NotImplemented  # bool masks, batched or float indices: the loop
    x = to_front(args[0], dims[0])
    out = call(x, **{**params, "index": (slice(None), *key)})
    arrays = [k for k, kind in zip(key, kinds) if kind == "array"]
    if not arrays:
        return out, 0
    advanced = [i for i, kind in enumerate(kinds) if kind != "basic"]
    if advanced[-1] - advanced[0] == len(advanced) - 1:
        return out, 0  # together: their dims stay in place, after the batch
    shapes = [tuple(getattr(k, "shape", ())) for k, kind in zip(key, kinds) if kind != "basic"]
    return out, len(np.broadcast_shapes(*shapes))


def _index_kind(k: Any) -> str | None:
    """"basic" (slice, None, ...), "int", "array" (integer indices), or None (anything else)."""
    if type(k) in _BASIC:
        return "basic"
    if type(k) is int:
        return "int"
    if type(k) is Tensor or isinstance(k, np.ndarray):
        return "array" if to_numpy_dtype(k.dtype).kind in "iu" else None
    return None


# ---------------------------------------------------------------------------- products
def matmul(call: Call, args: Sequence[Any], dims: Dims, params: dict) -> Any:
    """``a @ b``: vectors made matrices, the batched operands' examples padded to one rank with the
    batch in front (broadcasting aligns the rest), the vector dimensions dropped again."""
    (a, b), (da, db) = args, dims
    na, nb = logical_ndim(a, da), logical_ndim(b, db)
    if na == 0 or nb == 0:
        return NotImplemented
    unsqueeze, reshape = _op("unsqueeze"), _op("reshape")
    a, b = to_front(a, da), to_front(b, db)
    drop = []
    if na == 1:
        a, na = unsqueeze(a, dim=-2), 2
        drop.append(-2)
    if nb == 1:
        b, nb = unsqueeze(b, dim=-1), 2
        drop.append(-1)
    rank = max(na, nb)
    if da is not None and na < rank:
        a = reshape(a, shape=(a.shape[0], *(1,) * (rank - na), *a.shape[1:]))
    if db is not None and nb < rank:
        b = reshape(b, shape=(b.shape[0], *(1,) * (rank - nb), *b.shape[1:]))
    out = call(a, b, **params)
    if drop:
        out = _op("squeeze")(out, dim=tuple(drop))
    return out, 0


def dot(call: Call, args: Sequence[Any], dims: Dims, params: dict) -> Any:
    """``dot`` of vectors: a product summed over the example's one dimension."""
    if any(logical_ndim(a, d) != 1 for a, d in zip(args, dims)):
        return NotImplemented
    x, y = (to_front(a, d) for a, d in zip(args, dims))
    return _op("sum")(x * y, dim=-1), 0


def outer(call: Call, args: Sequence[Any], dims: Dims, params: dict) -> Any:
    """``outer`` of vectors: a column times a row, broadcast over the batch."""
    if any(logical_ndim(a, d) != 1 for a, d in zip(args, dims)):
        return NotImplemented
    x, y = (to_front(a, d) for a, d in zip(args, dims))
    unsqueeze = _op("unsqueeze")
    return unsqueeze(x, dim=-1) * unsqueeze(y, dim=-2), 0


def contract(call: Call, args: Sequence[Any], dims: Dims, params: dict) -> Any:
    """``contract`` (einsum): the batch gets a letter of its own, in front of each batched operand's
    subscripts and of the output's."""
    equation = params["equation"]
    free = [c for c in LETTERS if c not in equation]
    if not free or "->" not in equation:
        return NotImplemented
    letter = free[0]
    terms, output = equation.split("->")
    terms = [t if d is None else letter + t for t, d in zip(terms.split(","), dims)]
    front = [to_front(a, d) for a, d in zip(args, dims)]
    return call(*front, **{**params, "equation": f"{','.join(terms)}->{letter}{output}"}), 0


def tensordot(call: Call, args: Sequence[Any], dims: Dims, params: dict) -> Any:
    """``tensordot`` with one operand batched: ``a``'s batch in front stays in front, ``b``'s is
    moved last, where it stays; the contracted dims shift with it."""
    (a, b), (da, db) = args, dims
    if da is not None and db is not None:
        return NotImplemented
    pairs = params.get("dims", 2)
    na, nb = logical_ndim(a, da), logical_ndim(b, db)
    if isinstance(pairs, int):
        left, right = list(range(na - pairs, na)), list(range(pairs))
    elif isinstance(pairs, (tuple, list)) and len(pairs) == 2:
        left, right = ([p] if isinstance(p, int) else list(p) for p in pairs)
    else:
        return NotImplemented
    left, right = [axis(d, na) for d in left], [axis(d, nb) for d in right]
    if da is not None:
        a, left = to_front(a, da), [d + 1 for d in left]
        return call(a, b, **{**params, "dims": (left, right)}), 0
    b = _op("permute")(b, dims=(*[i for i in range(b.ndim) if i != db], db))
    return call(a, b, **{**params, "dims": (left, right)}), -1


__all__ = ["reshape", "expand", "squeeze", "permute", "joined", "getitem", "matmul", "dot", "outer", "contract",
           "tensordot", "along", "reduction", "elementwise"]
