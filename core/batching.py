"""Batching: how ops run on a batch of examples at once, for ``vmap`` (JAX's batching rules).

Inside ``vmap(func)``, each mapped argument reaches ``func`` as a ``BatchedTensor``: a tensor
that looks like one example (``x.shape``, ``x.dim()``, ``x.sum(0)`` are the example's) and
holds the whole batch, a plain tensor ``value`` with the batch at dimension ``bdim``. It is not
a plain ``Tensor`` (``type(x) is Tensor`` fails), so every op call on it misses the dispatch's
fast paths and reaches ``batched_apply`` from the general path's "other operand types" branch:
plain ops pay nothing for vmap.

``batched_apply`` finds the op's batching rule (declared with ``register_op(batching=...)``, or
derived: ``"elementwise"`` for ops that broadcast or are NumPy ufuncs), which runs the op once
on the whole batch and says where the batch went. An op without a rule runs once per example
and its results are stacked, with a one-time performance warning: slower, still right.

A ``BatchedTensor`` has no ``_data``: core code that needs an example's values (``float(x)``,
``x.item()``, a backward through it) raises ``NotBatchable``, and ``vmap`` then runs ``func``
once per example instead. Nested ``vmap``s give nested levels: a level-2 value wraps a level-1
one, and a rule sees the operands of the innermost level only.
"""

from __future__ import annotations

import itertools
import warnings
from typing import Any, Callable, Sequence

import numpy as np

from .dims import axis
from .tensor import Size, Tensor, _lazy_getattr

__all__ = ["BatchedTensor", "NotBatchable", "BatchingFallbackWarning", "batched_apply", "rule_for", "run_batched",
           "elementwise", "to_front", "logical_ndim", "batch_size", "shift_dims", "along", "reduction"]

Rule = Callable[..., Any]  # rule(call, args, dims, params) -> (result, out_dim) or NotImplemented

_SLOTS = frozenset({"_data", "_grad_fn", "_requires_grad", "_grad", "_hooks"})
_levels = itertools.count(1)


class BatchingFallbackWarning(UserWarning):
    """An op, or a whole ``vmap``-ed function, ran once per example: correct, but slower."""


class NotBatchable(BaseException):
    """Something needed the values of one example of a batched tensor (``.item()``, a backward).

    A ``BaseException`` so that user code's ``except Exception`` cannot swallow it; the ``vmap``
    of its ``level`` catches it and maps the function by looping over the examples instead.
    """

    def __init__(self, level: int, what: str) -> None:
        super().__init__(level, what)
        self.level = level
        self.what = what


class BatchedTensor(Tensor):
    """One example's view of a batch: ``value`` holds every example along dimension ``bdim``."""

    __slots__ = ("_value", "_bdim", "_level")
    _value: Any  # the batch: a tensor (batched itself at an outer level, in a nested vmap)
    _bdim: int
    _level: int

    def __getattr__(self, name: str) -> Any:
        if name in _SLOTS:  # core code reading an example's data or autograd state
            raise NotBatchable(self._level, "values" if name == "_data" else
                               "autograd state (a backward or a transform inside vmap)")
        return _lazy_getattr(self, name)

    @property
    def shape(self) -> Size:
        shape = self._value.shape
        return Size(shape[:self._bdim] + shape[self._bdim + 1:])

    def size(self, dim: int | None = None) -> Size | int:
        shape = self.shape
        return shape if dim is None else shape[axis(dim, len(shape))]

    @property
    def ndim(self) -> int:
        return self._value.ndim - 1

    def dim(self) -> int:
        return self._value.ndim - 1

    def numel(self) -> int:
        return self.shape.numel()

    @property
    def dtype(self) -> Any:
        return self._value.dtype

    @property
    def backend(self) -> str:
        return self._value.backend

    @property
    def device(self) -> Any:
        return self._value.device

    @property
    def requires_grad(self) -> bool:
        return self._value.requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        raise NotBatchable(self._level, "autograd state (a backward or a transform inside vmap)")

    @property
    def grad_fn(self) -> Any:
        return self._value.grad_fn

    @property
    def is_leaf(self) -> bool:
        return self._value.is_leaf

    def detach(self) -> Tensor:
        return batched(self._value.detach(), self._bdim, self._level)

    def is_floating_point(self) -> bool:
        return self._value.is_floating_point()

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """``x.to(dtype)``, ``x.to(other)``: the astype op; moving a batch elsewhere loops."""
        from .devices import parse_to_arguments

        if args and isinstance(args[0], Tensor):
            args = (args[0].dtype, *args[1:])
        where, dtype = parse_to_arguments(args, kwargs)
        if where is not None and where != "cpu" and str(where) != self.backend:
            raise NotBatchable(self._level, "values (moved to another device)")
        return self if dtype is None or dtype == self.dtype else self.astype(dtype=dtype)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self) -> Any:
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    @property
    def T(self) -> Tensor:
        return self.permute(*range(self.ndim - 1, -1, -1))

    @property
    def mT(self) -> Tensor:
        return self.transpose(-2, -1)

    def __repr__(self) -> str:
        inner = repr(self._value).replace("\n", "\n    ")
        return f"BatchedTensor(lvl={self._level}, bdim={self._bdim}, value=\n    {inner}\n)"

    __str__ = __repr__


def batched(value: Any, bdim: int, level: int) -> BatchedTensor:
    """``value`` (a tensor, possibly batched at an outer level) seen as batched along ``bdim``."""
    b = Tensor.__new__(BatchedTensor)
    b._value = value
    b._bdim = bdim
    b._level = level
    return b


def new_level() -> int:
    """A level above every level in use: each ``vmap`` call gets its own."""
    return next(_levels)


def run_batched(func: Callable[..., Any], args: Sequence[Any], dims: Sequence[int | None]) -> Any:
    """``func`` on ``args`` batched along ``dims`` (None: not batched), the batch of each result
    moved to the front; no loop over ``func`` when it cannot run batched: ``NotBatchable`` is raised.
    ``vmap`` adds the arguments' checks and that loop; the conformance kit calls this directly."""
    level = new_level()
    size = batch_size(args, dims)
    out = func(*[a if d is None else batched(a, d % a.ndim, level) for a, d in zip(args, dims)])
    if isinstance(out, tuple):
        return type(out)(*[unbatched(o, level, size) for o in out]) if hasattr(out, "_fields") \
            else tuple(unbatched(o, level, size) for o in out)
    return unbatched(out, level, size)


def unbatched(value: Any, level: int, size: int, out_dim: int = 0) -> Any:
    """A result of a batched call as a plain tensor with the batch at ``out_dim`` (non-negative);
    a result not batched at ``level`` is the same for every example: it is stacked ``size`` times."""
    if not (type(value) is BatchedTensor and value._level == level):
        return _op("stack")([value] * size, dim=out_dim)
    physical, d = value._value, value._bdim
    if out_dim == d:
        return physical
    order = [i for i in range(physical.ndim) if i != d]
    order.insert(out_dim, d)
    return _op("permute")(physical, dims=tuple(order))


def _lifted(args: Sequence[Any], positions: Sequence[int]) -> tuple[int, list[Any], list[Any], int]:
    """For a transform at batched ``args``: the level, each argument's batch dim at it, the
    arguments unwrapped, the batch size. Every differentiated argument must be batched there."""
    level = max(a._level for a in args if type(a) is BatchedTensor)
    if not all(type(args[p]) is BatchedTensor and args[p]._level == level for p in positions):
        raise NotBatchable(level, "autograd state (a derivative for an argument that is not batched)")
    dims = [a._bdim if type(a) is BatchedTensor and a._level == level else None for a in args]
    values = [a._value if d is not None else a for a, d in zip(args, dims)]
    return level, dims, values, batch_size(values, dims)


def _summed(f: Callable[..., Any], kwargs: dict, level: int, dims: Sequence[Any], size: int,
            seen: list[Any], scalar: bool) -> Callable[..., Any]:
    """``f`` on the whole batch, its examples' results summed: since no rule mixes examples, its
    derivative with respect to the batch holds every example's derivative."""

    def summed(*xs: Any) -> Any:
        out = f(*[x if d is None else batched(x, d, level) for x, d in zip(xs, dims)], **kwargs)
        if (not isinstance(out, Tensor) or type(out) is BatchedTensor and out._level > level
                or scalar and out.numel() != 1):
            raise NotBatchable(getattr(out, "_level", level), "autograd state (a derivative of such an output)")
        each = unbatched(out, level, size)
        seen.append(each)
        return each.sum() if scalar else each.sum(0)

    return summed


def _rebatched(found: Any, args: Sequence[Any], positions: Sequence[int], level: int, lead: int) -> Any:
    """Derivatives with respect to the unwrapped arguments, batched again where their batch is
    (after ``lead`` leading output dims)."""
    at = [lead + args[p]._bdim for p in positions]
    if isinstance(found, tuple):
        return tuple(batched(g, d, level) for g, d in zip(found, at))
    return batched(found, at[0], level)


def batched_value_and_grad(transform: Callable[..., Any], f: Callable[..., Any], args: Sequence[Any],
                           kwargs: dict, positions: Sequence[int]) -> Any:
    """``value_and_grad(f)`` at batched arguments (``vmap(grad(f))``): the gradient of the examples'
    values summed; ``transform(g)`` is ``value_and_grad(g, argnums)``. Where that would be wrong
    (an argument differentiated but not batched, a value batched by an inner ``vmap``, not one
    element per example), ``NotBatchable`` makes ``vmap`` loop instead."""
    level, dims, values, size = _lifted(args, positions)
    seen: list[Any] = []
    total, grads = transform(_summed(f, kwargs, level, dims, size, seen, scalar=True))(*values)
    each = seen[0]  # the batch in front of each example's value
    value = batched(each if total.requires_grad else each.detach(), 0, level)
    return value, _rebatched(grads, args, positions, level, 0)


def batched_jacobian(transform: Callable[..., Any], f: Callable[..., Any], args: Sequence[Any],
                     kwargs: dict, positions: Sequence[int]) -> Any:
    """``jacrev(f)`` at batched arguments (``vmap(jacrev(f))``, ``vmap(hessian(f))``): the Jacobian
    of the examples' outputs summed, one VJP per output element for the whole batch;
    ``transform(g)`` is ``jacrev(g, argnums)``."""
    level, dims, values, size = _lifted(args, positions)
    seen: list[Any] = []
    found = transform(_summed(f, kwargs, level, dims, size, seen, scalar=False))(*values)
    return _rebatched(found, args, positions, level, seen[0].ndim - 1)


# ---------------------------------------------------------------------------- the dispatch's entry
def batched_apply(op: Any, args: Sequence[Any], params: dict) -> Any:
    """Run ``op`` on operands of which some are batched: by its rule, else once per example."""
    level = max(a._level for a in args if type(a) is BatchedTensor)
    values: list[Any] = []
    dims: list[int | None] = []
    for a in args:
        if type(a) is BatchedTensor and a._level == level:
            values.append(a._value)
            dims.append(a._bdim)
        else:
            values.append(a)
            dims.append(None)
    values = _promote_as_examples(op, values, dims, params)
    rule = rule_for(op)
    result: Any = NotImplemented
    if rule is not None:
        result = rule(op.apply, values, dims, params)
    if result is NotImplemented:
        _warn_once(op, rule is not None)
        return _loop(op, values, dims, params, level)
    out, out_dim = result
    return _as_batched(out, out_dim, level)


def _as_batched(out: Any, out_dim: Any, level: int) -> Any:
    if isinstance(out, tuple):
        dims = out_dim if isinstance(out_dim, tuple) else (out_dim,) * len(out)
        parts = [_as_batched(o, d, level) for o, d in zip(out, dims)]
        return type(out)(*parts) if hasattr(out, "_fields") else tuple(parts)
    if out_dim is None:
        return out
    return batched(out, out_dim % out.ndim, level)


_warned: set[tuple[str, bool]] = set()


def _warn_once(op: Any, declined: bool) -> None:
    """PyTorch's warning for an op without a batching rule, once per op (and once more per op whose
    rule leaves some calls, such as 0-d examples, to the loop)."""
    key = (op.name, declined)
    if key in _warned:
        return
    _warned.add(key)
    case = " for these operands" if declined else ""
    warnings.warn(
        f"There is a performance drop because we have not yet implemented the batching rule for {op.name}{case} "
        f"(plugin {op.plugin!r}): vmap runs it once per example. An op declares its rule with "
        "register_op(batching=...).", BatchingFallbackWarning, stacklevel=_user_stacklevel())


def _user_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first caller outside tapegrad and its ops."""
    import os
    import sys

    ours = (os.path.dirname(__file__), os.path.join(os.path.dirname(os.path.dirname(__file__)), "ops_builtin"))
    frame: Any = sys._getframe(2)
    level = 2  # warn(stacklevel=2) names the caller of _warn_once
    while frame is not None and frame.f_code.co_filename.startswith(ours):
        frame, level = frame.f_back, level + 1
    return level


def _loop(op: Any, values: Sequence[Any], dims: Sequence[int | None], params: dict, level: int) -> Any:
    """The fallback: the op once per example, the results stacked along a new dimension 0."""
    from .optable import lookup

    size = batch_size(values, dims)
    results = []
    for b in range(size):
        example = [v if d is None else v[(slice(None),) * d + (b,)] for v, d in zip(values, dims)]
        results.append(op.apply(*example, **params))
    stack = lookup("stack").apply
    first = results[0] if results else None
    if isinstance(first, tuple):
        parts = [_stacked(stack, [r[i] for r in results], level) for i in range(len(first))]
        return type(first)(*parts) if hasattr(first, "_fields") else tuple(parts)
    return _stacked(stack, results, level)


def _stacked(stack: Callable[..., Any], results: list[Any], level: int) -> Any:
    if not results or not all(isinstance(r, Tensor) for r in results):
        raise NotBatchable(level, "an op result that is not a tensor")
    return batched(stack(results, dim=0), 0, level)


def _promote_as_examples(op: Any, values: list[Any], dims: list[int | None], params: dict) -> list[Any]:
    """Cast operands to the dtype the op would promote one example's operands to.

    PyTorch ranks dimensioned tensors over 0-d ones, and an example that is 0-d is dimensioned
    once batched, so an op mixing one with another tensor could promote differently from the loop.
    """
    if op.promotion is False or not any(d is not None and v.ndim == 1 for v, d in zip(values, dims)):
        return values
    from . import dtypes as _dtypes
    from .promotion import _result

    which = op.promotes if op.promotes is not None else range(len(values))
    operands: list[tuple[Any, int]] = []
    tensors = []
    for w in which:
        v, d = (values[w], dims[w]) if isinstance(w, int) else (params.get(w), None)
        if isinstance(v, Tensor):
            operands.append((_dtypes.to_numpy_dtype(v.dtype), 1 if v.ndim - (d is not None) == 0 else 0))
            tensors.append(w)
        elif type(v) in (bool, int, float):
            operands.append((type(v), 2))
    if len(tensors) < 2 or not all(isinstance(w, int) for w in tensors):
        return values
    target = _result(operands)
    if all(_dtypes.to_numpy_dtype(values[w].dtype) == target for w in tensors):
        return values
    from .optable import lookup

    astype = lookup("astype").apply
    out = list(values)
    for w in tensors:
        if _dtypes.to_numpy_dtype(values[w].dtype) != target:
            out[w] = astype(values[w], dtype=_dtypes.from_numpy_dtype(target))
    return out


# ---------------------------------------------------------------------------- finding an op's rule
# The array API's elementwise functions: an op whose forward is one of them is elementwise.
_ELEMENTWISE = frozenset("""
abs acos acosh add asin asinh atan atan2 atanh bitwise_and bitwise_left_shift bitwise_invert bitwise_or
bitwise_right_shift bitwise_xor ceil clip conj copysign cos cosh divide equal exp expm1 floor floor_divide
greater greater_equal hypot imag isfinite isinf isnan less less_equal log log1p log2 log10 logaddexp
logical_and logical_not logical_or logical_xor maximum minimum multiply negative nextafter not_equal positive
pow real reciprocal remainder round sign signbit sin sinh square sqrt subtract tan tanh trunc
""".split())

_rules: dict[int, tuple[Any, Rule | None]] = {}


def rule_for(op: Any) -> Rule | None:
    """The op's batching rule: declared, or derived from what it declares; None when it has none."""
    found = _rules.get(id(op))
    if found is not None and found[0] is op:
        return found[1]
    rule = _derive(op)
    _rules[id(op)] = (op, rule)
    return rule


def _derive(op: Any) -> Rule | None:
    declared = getattr(op, "batching", None)
    if callable(declared):
        return declared
    if declared == "elementwise":
        return elementwise
    if declared is False or op.composite or any(_names_dims(p) for p in (*op.params, *op.param_aliases)):
        return None  # a param naming dims (cross's dim): elementwise or not, the batch would shift it
    if op.broadcasts or op.forward_name in _ELEMENTWISE:
        return elementwise
    ref = op.reference
    if (isinstance(ref, np.ufunc) and ref.signature is None  # a gufunc (np.matmul) works on core dims
            and ref.nout == 1 and op.nin is not None and ref.nin == op.nin):
        return elementwise
    return None


def _names_dims(param: str) -> bool:
    name = param.lstrip("*")
    return "dim" in name or "axis" in name or "axes" in name


# ---------------------------------------------------------------------------- helpers for rules
def _op(name: str) -> Callable[..., Any]:
    from .optable import lookup

    return lookup(name).apply


def logical_ndim(x: Any, d: int | None) -> int:
    """The number of dimensions of one example of ``x`` (batched along ``d``, or None: not batched)."""
    return x.ndim - (d is not None)


def batch_size(args: Sequence[Any], dims: Sequence[int | None]) -> int:
    """The batch size of the batched operands."""
    return next(a.shape[d] for a, d in zip(args, dims) if d is not None)


def to_front(x: Any, d: int | None) -> Any:
    """``x`` with its batch dimension ``d`` moved to the front (unbatched ``x`` as it is)."""
    if d is None or d == 0:
        return x
    return _op("permute")(x, dims=(d, *[i for i in range(x.ndim) if i != d]))


def shift_dims(dim: Any, ndim: int) -> Any:
    """An example's ``dim`` (an int or a sequence of ints, negative ones counting from the end) as
    the dimension(s) of a batch whose batch dimension is in front."""
    if isinstance(dim, (tuple, list)):
        return tuple(axis(d, ndim) + 1 for d in dim)
    return axis(dim, ndim) + 1


def elementwise(call: Callable[..., Any], args: Sequence[Any], dims: Sequence[int | None], params: dict) -> Any:
    """The rule of elementwise and broadcasting ops: one batched operand runs as it is (the batch
    dimension stays where it is); several are moved to the front and the batched examples padded
    with size-1 dimensions to the widest example, so broadcasting aligns the rest from the right."""
    batched_at = [i for i, d in enumerate(dims) if d is not None]
    tensors = [a for a in args if isinstance(a, Tensor)]
    if len(batched_at) == 1 and len(tensors) == 1:
        return call(*args, **params), dims[batched_at[0]]
    rank = max(logical_ndim(a, d) for a, d in zip(args, dims) if isinstance(a, Tensor))
    reshape = _op("reshape")
    aligned = list(args)
    for i in batched_at:
        x = to_front(args[i], dims[i])
        n = x.ndim - 1
        if n < rank:
            x = reshape(x, shape=(x.shape[0], *(1,) * (rank - n), *x.shape[1:]))
        aligned[i] = x
    return call(*aligned, **params), 0


def along(*names: Any, extra: int = 0) -> Rule:
    """The rule of an op on one batched input whose params name its dimensions: ``names`` are the
    params, or ``(param, default)`` pairs; ``extra`` is how many dimensions the op adds
    (``unsqueeze``: 1), which the dims count in. Other array operands must be unbatched."""
    spec = [(n, None) if isinstance(n, str) else tuple(n) for n in names]

    def rule(call: Callable[..., Any], args: Sequence[Any], dims: Sequence[int | None], params: dict) -> Any:
        if any(d is not None for d in dims[1:]):
            return NotImplemented
        x = to_front(args[0], dims[0])
        n = x.ndim - 1 + extra
        if n == 0:
            return NotImplemented
        new = dict(params)
        for name, default in spec:
            value = params.get(name, default)
            if value is None:
                return NotImplemented
            new[name] = shift_dims(value, n)
        return call(x, *args[1:], **new), 0

    return rule


def reduction(call: Callable[..., Any], args: Sequence[Any], dims: Sequence[int | None], params: dict) -> Any:
    """The rule of reductions over ``dim`` (None or empty: every dimension, done on each example
    flattened, as argmax defines it) with ``keepdim``."""
    if len(args) != 1:
        return NotImplemented
    x = to_front(args[0], dims[0])
    n = x.ndim - 1
    dim = params.get("dim")
    if dim is None or (isinstance(dim, (tuple, list)) and not dim):
        out = call(_op("reshape")(x, shape=(x.shape[0], -1)), **{**params, "dim": 1})
        if params.get("keepdim") is True:
            out = _op("reshape")(out, shape=(x.shape[0], *(1,) * n))
        return out, 0
    if n == 0:
        return NotImplemented
    return call(x, **{**params, "dim": shift_dims(dim, n)}), 0
