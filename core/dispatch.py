"""The per-op hot path: one specialised function per registered op.

``make_apply`` closes over everything about the op that does not change between
calls, so a call costs: unwrap the operands, pick the backend, run the forward,
and, only when grad mode is on and an input requires grad, record one ``Node``.
No pluggy call, no registry lookup, no isinstance chains.
"""

from __future__ import annotations

import numbers
import re
from collections import defaultdict
from functools import partial
from typing import Any, Callable, Mapping

import numpy as np

from . import reuse
from .batching import BatchedTensor, batched_apply
from .dtypes import SUPPORTED_NUMPY_DTYPES
from .grad_mode import grad_enabled_fast
from .backends import ComputeRefused, backend_for_type, has_unknown_size, raise_if_unknown_size
from .graph import NO_PARAMS, FastNode, Node, ShapeDtype, live_positions, rename
from .promotion import Promotion, refuse_complex
from .registry import Backend, OpDef
from .tensor import Tensor, _wrap
from .versions import EPOCH
from .views import mark_multiple, record_view, shares_memory

__all__ = ["make_apply", "name_the_op", "raise_if_not_broadcastable"]

_SCALARS = frozenset({float, int, bool, complex})
# What an op's forward raises for bad input: reworded to name the op (name_the_op), then re-raised.
OP_ERRORS = (TypeError, ValueError, IndexError, RuntimeError)
# the fast-path table of ops that choose their own dtype: every dtype passes, no result dtype
_ANY_DTYPE: dict = dict.fromkeys(SUPPORTED_NUMPY_DTYPES)
_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
ndarray = np.ndarray
asarray = np.asarray
new_tensor = Tensor.__new__
new_tuple = tuple.__new__
_ABSENT: Any = object()  # marks an argument the caller did not give
_ONE_LIVE = live_positions((True,))  # a unary node's one edge
BIG = reuse.BIG  # operands of this many elements and more take reuse's path (a result into a dying operand)


_STAND_INS: dict[tuple, ShapeDtype] = {}  # other array types': (type, shape, dtype) -> stand-in
_NUMPY_STAND_INS: defaultdict[Any, dict[tuple, ShapeDtype]] = defaultdict(dict)  # NumPy's: dtype -> shape -> it


def stand_in(array: Any) -> Any:
    """The shared, immutable shape/dtype stand-in for ``array`` (one per shape and dtype seen).

    An array whose size is unknown (a lazy backend's, after a boolean mask) has none: it stands for
    itself, a graph and no data, so that a VJP can still build an array of its shape (``zeros_like``)
    where a stand-in's NaN shape would make none."""
    # NumPy arrays are found by shape in their dtype's table, whose getter the fast paths hold for
    # float32 and float64 (no key tuple to build and hash, no dtype compared: known_stand_in); other
    # array types lead their key, so dtypes of different libraries are never compared.
    shape, dtype = array.shape, array.dtype
    if type(array) is ndarray:
        table = _NUMPY_STAND_INS[dtype]
        key: tuple = shape
    else:
        table, key = _STAND_INS, (type(array), shape, dtype)
    found = table.get(key)
    if found is None:
        if has_unknown_size(array):  # NaN is not equal to itself: such a key would never be found either
            return array
        if len(table) > 4096:  # programs with ever-changing shapes: keep the table small
            table.clear()  # (cleared, never replaced: the fast paths hold its getter)
        found = table[key] = new_tuple(ShapeDtype, (shape, dtype))
    return found


def meta_of(t: Tensor) -> ShapeDtype | None:
    """``t._meta``, found now (and kept on ``t``): the stand-in of a NumPy array of fewer than
    ``reuse.BIG`` elements; None for a bigger one (the fast paths read its attributes, and send it
    through reuse) or another array type. ``t._meta`` is a cache of ``t._data``'s shape and dtype:
    every write of ``_data`` resets it to None, and no array object a tensor holds reaches the user."""
    a = t._data
    if type(a) is not ndarray or a.size >= BIG:
        return None
    m = t._meta = stand_in(a)
    return m


def _found(a: Any, dtype: Any) -> Any:
    """The stand-in of a NumPy array of ``dtype`` whose tensor has none cached (a big one): found in
    its dtype's table (float32's and float64's getters held), else made."""
    made = _F64_STAND_INS if dtype is _F64 else _F32_STAND_INS if dtype is _F32 else _NUMPY_STAND_INS[dtype].get
    return made(a.shape) or stand_in(a)


def known_stand_in(key: tuple) -> ShapeDtype | None:
    """The stand-in of a NumPy array of ``key``'s ``(shape, dtype)`` if one was made, else None (then
    ``stand_in(array)`` makes it); the fast paths inline it, the getters of float32 and float64 held."""
    shape, dtype = key
    return _NUMPY_STAND_INS[dtype].get(shape)


_F32_STAND_INS = _NUMPY_STAND_INS[_F32].get  # each dtype's table is cleared, never replaced
_F64_STAND_INS = _NUMPY_STAND_INS[_F64].get


def record_trace(node: Node) -> None:
    """Anomaly mode: keep the forward traceback of ``node``'s op (imported lazily: rarely used)."""
    from .autograd.anomaly import record_trace as record

    record(node)


def make_apply(op: OpDef, backend_of: Mapping[type, Backend], default: Backend) -> Callable[..., Tensor]:
    """Build the function that runs ``op`` on tensors and records it for backward.

    Unary and binary ops on NumPy data get a fast path (no loops, no list building);
    every other call takes the general path, which handles any arity, params given
    positionally or by alias, other operand types and other backends.
    """
    if op.composite:
        return _composite_apply(op)
    rule = Promotion.for_op(op)
    general = _general_apply(op, backend_of, default, rule)
    numpy_backend = backend_of.get(np.ndarray)
    fast = None
    if numpy_backend is not None and (op.backends is None or numpy_backend.name in op.backends):
        # An op named after an array-API function is that function: call it with no wrapper.
        direct = getattr(numpy_backend.namespace, op.forward_name, None) if op.forward_name else None
        if op.nin == 2:
            fast = _binary_apply(op, general, numpy_backend.xp, direct, rule)
        elif op.nin == 1:
            fast = _unary_apply(op, general, numpy_backend.xp, direct, rule)
    apply = fast or general
    if op.view:
        apply = _view_apply(op, apply)
    if op.identity is not None:
        apply = _identity_apply(op, apply)
    apply.__name__ = apply.__qualname__ = op.name
    apply.__doc__ = op.doc or f"The op {op.name!r}, registered by plugin {op.plugin!r}."
    return apply


def _general_apply(op: OpDef, backend_of: Mapping[type, Backend], default: Backend,
                   rule: Promotion | None) -> Callable[..., Tensor]:
    forward = op.forward
    name = op.name
    nin = op.nin
    has_vjp = op.has_vjp
    param_aliases = op.param_aliases
    saves_inputs = op.saves_inputs
    saves_output = op.saves_output
    promotion = op.promotion not in (False, "bool")  # results of these categories may carry a gradient
    supported = op.backends
    differentiable = tuple(op.input_differentiable(i) for i in range(nin)) if nin is not None else None
    plan = save_plan(op)

    variadic = op.variadic
    inspects = op.inspects_values

    def apply(*args: Any, **params: Any) -> Tensor:
        if variadic and args and isinstance(args[0], (list, tuple)):
            if len(args) > 1:  # cat([x, y], 1): what follows the sequence are params
                params = _bind_extra(op, args[1:], params)
            args = tuple(args[0])
        elif nin is not None and len(args) != nin:
            args, params = _bind_params(op, args, params)
        if params and param_aliases:
            params = _rename_params(op, params)
        arrays = list(args)
        requires = False
        kind = None
        for i, a in enumerate(args):
            t = type(a)
            if t is Tensor:
                data = a._data
                arrays[i] = data
                if a._requires_grad:
                    requires = True
                t = type(data)
            elif t in _SCALARS:
                if t is complex:
                    refuse_complex(name, a)
                continue
            else:
                if t is BatchedTensor:  # inside vmap: the op's batching rule runs it (core/batching.py)
                    return batched_apply(op, args, params)
                arrays[i] = data = _coerce_operand(name, i, a)
                t = type(data)
                if t in _SCALARS:
                    if t is complex:
                        refuse_complex(name, a)
                    continue
            if kind is None:
                kind = t
            elif t is not kind:
                kind = _common_kind(name, kind, t, backend_of)
        backend = default if kind is None else backend_of.get(kind) or _no_backend(name, kind)
        if supported is not None and backend.name not in supported:
            raise TypeError(
                f"{name}(): op {name!r} (plugin {op.plugin!r}) supports the backends {list(supported)}, "
                f"not {backend.name!r}; move the tensors with .to({supported[0]!r}) first"
            )
        xp = backend.xp
        if inspects and backend.lazy:
            refuse_lazy(op, backend, params)
        given = arrays
        if rule is not None:
            arrays, result = rule.prepare(arrays, params, backend)
        try:
            out = forward(xp, *arrays, **params) if not backend.lazy else lazy_forward(op, backend, xp, arrays, params)
        except OP_ERRORS as exc:
            if op.broadcasts and isinstance(exc, ValueError):
                raise_if_not_broadcastable(arrays, exc)
            name_the_op(op, exc)
            raise
        if type(out) not in backend.array_types:
            out = xp.asarray(out)
        if rule is not None and out.dtype != result:
            out = rule.finish(out, result, backend.namespace)
        mode = requires and has_vjp and grad_enabled_fast()
        if not mode or (not promotion and not _floating(out)):
            return _wrap(out)  # integer and bool results never require grad
        edges: list[Any] = []
        recorded = False
        for i, a in enumerate(args):
            if type(a) is Tensor and a._requires_grad and (differentiable is None or differentiable[i]):
                edges.append(a._grad_fn or a)
                recorded = True
            else:
                edges.append(None)
        if not recorded:
            return _wrap(out)
        if arrays is not given:  # an input needing a gradient keeps its dtype: its cotangent is cast to it
            arrays = [g if e is not None else c for g, c, e in zip(given, arrays, edges)]
        if plan is not None:  # only what the rules of the inputs needing a gradient read
            keep, keep_out = plan[sum(1 << i for i, e in enumerate(edges) if e is not None)]
        else:  # variadic: what saves says, for every input
            keep, keep_out = (saves_inputs,) * len(arrays), saves_output
        inputs = tuple(d if keep[i] or type(d) in _SCALARS else stand_in(d) for i, d in enumerate(arrays))
        node = Node(op, params, tuple(edges), inputs, out if keep_out else None, xp)
        if mode is not True:
            record_trace(node)
        return _wrap(out, node)

    return apply


def _composite_apply(op: OpDef) -> Callable[..., Any]:
    """A composite's function, its errors naming the op; several views of one input are marked so."""
    function = op.forward
    several = op.node_name[:1].upper() + op.node_name[1:] if op.view == "multiple" else None
    namer = op.node_namer

    def apply(*args: Any, **params: Any) -> Any:
        try:
            outputs = function(*args, **params)
        except OP_ERRORS as exc:
            raise_if_unknown_size(op.name, args, exc)
            name_the_op(op, exc)
            raise
        if several is not None:
            mark_multiple(outputs, several)
        if namer is not None:
            _name_result(outputs, namer, args, params)
        return outputs

    apply.__name__ = apply.__qualname__ = op.name.rpartition(".")[2]
    apply.__doc__ = op.doc or f"The op {op.name!r}, registered by plugin {op.plugin!r}."
    return apply


def _params_need_general(op: OpDef, rule: Promotion | None) -> bool:
    """Whether a fast path must hand calls that pass params to the general path: params that
    rename, change the dtype rule or the forward. Decided once, when the op is bound."""
    return bool(op.param_aliases or op.promotion_by_param or op.param_forward
                or (rule is not None and rule.takes_dtype))


def refuse_lazy(op: OpDef, backend: Backend, params: Mapping[str, Any]) -> None:
    """An op that must look at values, on a lazy backend: refused, unless the values it reads
    (the params it names) hold no lazy array."""
    if op.inspects_values is True:
        what = "its inputs' values (its result's shape depends on them)"
    else:
        named = op.inspects_values if isinstance(op.inspects_values, tuple) else ()
        lazy = [name for name in named if _holds(params.get(name), backend.array_types)]
        if not lazy:
            return
        what = f"the values of {', '.join(repr(n) for n in lazy)}"
    raise RuntimeError(lazy_refusal(op.name, what, backend.name))


def lazy_forward(op: OpDef, backend: Backend, xp: Any, arrays: list, params: Mapping[str, Any]) -> Any:
    """The forward on a lazy backend, under the backend's guard against computing: an op that
    tries to look at values it did not declare (``inspects_values``) is refused, not computed."""
    guard = backend.no_compute
    try:
        if guard is None:
            return op.forward(xp, *arrays, **params)
        with guard():
            return op.forward(xp, *arrays, **params)
    except ComputeRefused:
        raise RuntimeError(lazy_refusal(op.name, "values (it tried to compute them)", backend.name)) from None
    except (*OP_ERRORS, NotImplementedError) as exc:
        raise_if_unknown_size(op.name, arrays, exc)
        raise


def lazy_refusal(name: str, what: str, backend: str) -> str:
    """The words of a refusal to look at lazy values (also for composites that check indices themselves)."""
    return (f"{name}() must look at {what}, which would force the lazy backend {backend!r} to compute; "
            f"compute first (tapegrad.compute(...), or .to('numpy')) and call it on concrete tensors")


def _holds(value: Any, types: tuple[type, ...]) -> bool:
    value = value._data if type(value) is Tensor else value
    if isinstance(value, types):
        return True
    return isinstance(value, (tuple, list)) and any(_holds(v, types) for v in value)


def _name_result(outputs: Any, namer: Callable[..., str | None], args: tuple, params: dict) -> None:
    """Name the nodes a composite's results came from (each tensor of a tuple), unless an input brought them."""
    results = outputs if isinstance(outputs, tuple) else (outputs,)
    brought = {id(a._grad_fn) for a in args if type(a) is Tensor and a._grad_fn is not None}
    nodes = [r._grad_fn for r in results if type(r) is Tensor and r._grad_fn is not None
             and id(r._grad_fn) not in brought]
    if not nodes:
        return
    name = namer(*args, **params)
    if name is not None:
        for node in nodes:
            rename(node, name)


def _view_apply(op: OpDef, apply: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """Wrap a ``view=True`` op: a result sharing its first input's memory is marked as a view of it."""

    def viewing(x: Any, *rest: Any, **params: Any) -> Tensor:
        out = apply(x, *rest, **params)
        if type(x) is Tensor and shares_memory(out._data, x._data):
            record_view(out, x, op, rest, params)
        return out

    return viewing


def _identity_apply(op: OpDef, apply: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """Wrap an op declaring ``identity``: a call that changes nothing returns its input itself."""
    unchanged = op.identity
    assert unchanged is not None

    def maybe_itself(x: Any, *rest: Any, **params: Any) -> Tensor:
        if type(x) is Tensor:
            try:
                same = unchanged(x, **normalize_params(op, rest, params))
            except OP_ERRORS as exc:
                name_the_op(op, exc)
                raise
            if same:
                return x
        return apply(x, *rest, **params)

    return maybe_itself


def normalize_params(op: OpDef, rest: tuple, params: dict) -> dict:
    """The keyword params of a call ``op(x, *rest, **params)``: positional ones bound, aliases renamed."""
    if rest:
        _, params = _bind_params(op, (None, *rest), params)
    if params and op.param_aliases:
        params = _rename_params(op, params)
    return params


def _binary_apply(op: OpDef, general: Callable[..., Tensor], xp: Any,
                  direct: Callable[..., Any] | None, rule: Promotion | None) -> Callable[..., Tensor]:
    """The hot path for ``x OP y`` on NumPy data: Tensor/Tensor, Tensor/number, number/Tensor,
    when the tensors share a dtype whose result dtype ``fast`` knows (other calls promote in
    the general path)."""
    forward = op.forward
    param_aliases = _params_need_general(op, rule)
    broadcasts = op.broadcasts
    promotion = op.promotion not in (False, "bool")
    fast = _ANY_DTYPE if rule is None else _trusted(rule.fast, direct, 2)
    fast_float = _ANY_DTYPE if rule is None else _trusted(rule.fast_float, direct, 2)
    # ints in range keep an integer tensor's dtype; only NumPy's own loops refuse the others
    fast_int = _ANY_DTYPE if rule is None else _trusted(rule.fast_int if direct else rule.fast_float, direct, 2)
    verify = rule is not None and direct is None  # a Python forward's result dtype is checked
    # float32 first, by identity: hashing a NumPy dtype for the dict costs more than the op's checks
    hot, hot_result = _hot(_F32, fast, fast_float, fast_int)
    hot64, hot64_result = _hot(_F64, fast, fast_float, fast_int)
    d0, d1 = op.input_differentiable(0), op.input_differentiable(1)
    # (keep x, keep y, keep output, the node's live edges), indexed by rx + 2 * ry: which of x and y need a gradient
    keeps = tuple((k[0], k[1], o, live_positions((m & 1 or None, m & 2 or None)))
                  for m, (k, o) in enumerate(save_plan(op) or ()))
    inplace = reuse.elementwise_ufunc(direct, 2)  # big operands go through reuse.binary
    # an elementwise ufunc's result has its operands' broadcast shape: a stand-in of its dtype is handed on
    shaped = reuse.is_elementwise_ufunc(direct, 2)
    compute = direct if direct is not None else partial(forward, xp)

    def apply(x: Any, y: Any = _ABSENT, *rest: Any, **params: Any) -> Tensor:
        if y is not _ABSENT and not rest and not (params and param_aliases):
            tx, ty = type(x), type(y)
            # ma, mb: the tensors' cached stand-ins (small NumPy arrays: no NumPy attribute to read);
            # mo: the result's, when an elementwise ufunc keeps the dtype (an operand's shape, broadcast)
            if tx is Tensor:
                a = x._data
                if (ma := x._meta) is None:
                    ma = meta_of(x)
                if ty is Tensor:
                    b = y._data
                    if (mb := y._meta) is None:
                        mb = meta_of(y)
                    if ma is not None and mb is not None:
                        ok = small = (dtype := ma[1]) is mb[1]
                        mo = ma if ma is mb else None
                    else:
                        ok = type(a) is ndarray and type(b) is ndarray and (dtype := a.dtype) is b.dtype
                        small = False
                        mo = None
                    known = fast
                else:  # a Python number on the right: the tensor's stand-in, else its NumPy array, gives the dtype
                    b = y
                    if ty is float or ty is int:
                        dtype = ma[1] if ma is not None else a.dtype if type(a) is ndarray else None
                    else:
                        dtype = None
                    ok, small, mo = dtype is not None, ma is not None, ma
                    known = fast_float if ty is float else fast_int
            elif ty is Tensor and (tx is float or tx is int):  # a Python number on the left: the same
                a, b, ma = x, y._data, None
                if (mb := y._meta) is None:
                    mb = meta_of(y)
                dtype = mb[1] if mb is not None else b.dtype if type(b) is ndarray else None
                ok, small, mo = dtype is not None, mb is not None, mb
                known = fast_float if tx is float else fast_int
            else:
                ok = False
            if ok and (rd := hot_result if dtype is hot else hot64_result if dtype is hot64
                       else known.get(dtype, _ABSENT)) is not _ABSENT:
                try:
                    if not small and (tx is Tensor and a.size >= BIG or ty is Tensor and b.size >= BIG):
                        out = reuse.binary(inplace, compute, x, y, a, b, rd, d0, d1, keeps, params)
                    elif direct is not None:
                        out = direct(a, b, **params) if params else direct(a, b)
                    else:
                        out = forward(xp, a, b, **params) if params else forward(xp, a, b)
                except OP_ERRORS as exc:
                    if broadcasts and isinstance(exc, ValueError):
                        raise_if_not_broadcastable([a, b], exc)
                    name_the_op(op, exc)
                    raise
                except OverflowError:  # a Python int out of the tensor's range: the general path wraps it
                    if known is fast:
                        raise
                    return general(x, y, **params)
                if type(out) is not ndarray:
                    out = asarray(out)
                if verify and out.dtype is not rd:
                    out = rule.finish(out, rd, xp)  # type: ignore[union-attr]
                t = new_tensor(Tensor)
                t._data = out
                t._meta = mo if shaped and rd is dtype and not params else None
                t._grad = None
                rx = d0 and tx is Tensor and x._requires_grad
                ry = d1 and ty is Tensor and y._requires_grad
                if (rx or ry) and (mode := grad_enabled_fast()) and (promotion or _floating(out)):
                    node = FastNode()  # Node.__init__ inlined: this is the hottest line
                    node.epoch = EPOCH[0]
                    node.op = op
                    node.params = params or NO_PARAMS
                    node.n = 2
                    ex = (x._grad_fn or x) if rx else None
                    ey = (y._grad_fn or y) if ry else None
                    # keeps[rx + 2 * ry], indexed with no arithmetic on bools (they take no int fast path)
                    ka, kb, ko, node.live = keeps[(3 if ry else 1) if rx else 2]
                    node.io = (ex, ey, a if ka or tx is not Tensor else ma if ma is not None else _found(a, dtype),
                               b if kb or ty is not Tensor else mb if mb is not None else _found(b, dtype))
                    node.out = out if ko else None
                    node.xp = xp
                    t._grad_fn = node
                    t._requires_grad = True
                    if mode is not True:  # anomaly detection keeps the forward traceback
                        record_trace(node)
                else:
                    t._grad_fn = None
                    t._requires_grad = False
                return t
        if y is _ABSENT:
            return general(x, *rest, **params)
        return general(x, y, *rest, **params)

    return apply


def _unary_apply(op: OpDef, general: Callable[..., Tensor], xp: Any,
                 direct: Callable[..., Any] | None, rule: Promotion | None) -> Callable[..., Tensor]:
    """The hot path for ``f(x)`` on NumPy data, static params given by keyword, for the
    dtypes whose result dtype ``fast`` knows (other calls promote in the general path)."""
    forward = op.forward
    param_aliases = _params_need_general(op, rule)
    (saves_inputs,), saves_output = save_plan(op)[1]  # type: ignore[index]  # one input: its rule always runs
    promotion = op.promotion not in (False, "bool")
    fast = _ANY_DTYPE if rule is None else _trusted(rule.fast, direct, 1)
    verify = rule is not None and direct is None
    hot, hot_result = _hot(_F32, fast)
    hot64, hot64_result = _hot(_F64, fast)
    d0 = op.input_differentiable(0)
    inplace = reuse.elementwise_ufunc(direct, 1)  # big operands go through reuse.unary
    shaped = reuse.is_elementwise_ufunc(direct, 1)  # its result has the operand's shape: the stand-in is handed on
    compute = direct if direct is not None else partial(forward, xp)

    def apply(*args: Any, **params: Any) -> Tensor:
        if len(args) == 1 and not (params and param_aliases):
            x = args[0]
            if type(x) is Tensor:
                a = x._data
                if (m := x._meta) is None:
                    m = meta_of(x)
                if (m is not None or type(a) is ndarray) and (
                        rd := hot_result if (dtype := a.dtype if m is None else m[1]) is hot
                        else hot64_result if dtype is hot64 else fast.get(dtype, _ABSENT)) is not _ABSENT:
                    try:  # free unless it raises (zero-cost exceptions)
                        if m is None and a.size >= BIG:
                            out = reuse.unary(inplace, compute, x, a, rd, saves_inputs, params)
                        elif direct is not None:
                            out = direct(a, **params) if params else direct(a)
                        else:
                            out = forward(xp, a, **params) if params else forward(xp, a)
                    except OP_ERRORS as exc:
                        name_the_op(op, exc)
                        raise
                    if type(out) is not ndarray:
                        out = asarray(out)
                    if verify and out.dtype is not rd:
                        out = rule.finish(out, rd, xp)  # type: ignore[union-attr]
                    t = new_tensor(Tensor)
                    t._data = out
                    t._meta = m if shaped and rd is dtype and not params else None
                    t._grad = None
                    if d0 and x._requires_grad and (mode := grad_enabled_fast()) and (promotion or _floating(out)):
                        node = FastNode()  # Node.__init__ inlined, as in the binary path
                        node.epoch = EPOCH[0]
                        node.op = op
                        node.params = params or NO_PARAMS
                        node.io = (x._grad_fn or x, a if saves_inputs else m if m is not None else _found(a, dtype))
                        node.n = 1
                        node.live = _ONE_LIVE
                        node.out = out if saves_output else None
                        node.xp = xp
                        t._grad_fn = node
                        t._requires_grad = True
                        if mode is not True:
                            record_trace(node)
                    else:
                        t._grad_fn = None
                        t._requires_grad = False
                    return t
        return general(*args, **params)

    return apply


def _hot(dtype: Any, *tables: dict) -> tuple[Any, Any]:
    """``(dtype, its result dtype)`` when every one of a fast path's ``tables`` gives it that one
    result, else ``(_ABSENT, None)``: such a dtype is found by identity, with no dict lookup (hashing a
    NumPy dtype for the dict costs more than the op's checks)."""
    results = {table.get(dtype, _ABSENT) for table in tables}
    if len(results) == 1 and _ABSENT not in results:
        return dtype, results.pop()
    return _ABSENT, None


def save_plan(op: OpDef) -> tuple[tuple[tuple[bool, ...], bool], ...] | None:
    """Per mask of inputs needing a gradient (bit i: input i), which inputs and whether the
    output the node keeps: what the rules of those inputs read (``reads``), else everything
    ``saves`` names. None for ops of no fixed arity (variadic ones keep what ``saves`` says)."""
    reads, nin = op.reads, op.nin
    if nin is None:
        return None
    if reads is None:
        every = ((op.saves_inputs,) * nin, op.saves_output)
        return (every,) * (1 << nin)
    plan = []
    for mask in range(1 << nin):
        read = {what for i in range(nin) if mask >> i & 1 for what in reads[i]}
        plan.append((tuple(i in read for i in range(nin)), "output" in read))
    return tuple(plan)


def _trusted(table: dict, direct: Callable[..., Any] | None, nin: int) -> dict:
    """``table`` less the dtypes for which the array-API function ``direct`` (called with no
    wrapper, its result unchecked) does not return the declared dtype: NumPy's own loops are
    tried once, here, so the hot path need not look at every result."""
    if direct is None:
        return table
    found = _LOOPS.get((direct, nin))
    if found is None:
        found = _LOOPS[(direct, nin)] = {}
        with np.errstate(all="ignore"):
            for dtype in SUPPORTED_NUMPY_DTYPES:
                try:
                    found[dtype] = asarray(direct(*[np.ones(1, dtype=dtype)] * nin)).dtype
                except Exception:  # noqa: BLE001 - it raises on the fast path as on the general one
                    found[dtype] = None
    return {d: r for d, r in table.items() if found[d] is None or found[d] == r}


_LOOPS: dict[tuple, dict] = {}  # (function, nin) -> operand dtype -> result dtype (None: it raises)


def _floating(out: Any) -> bool:
    """Whether a result can carry a gradient; asked only of ops that choose their own dtype."""
    dtype = out.dtype
    return dtype.kind in "fc" if isinstance(dtype, np.dtype) else "float" in str(dtype)


def _bind_params(op: OpDef, args: tuple, params: dict) -> tuple[tuple, dict]:
    """Split ``args`` into array inputs and positional static params (``x.sum(0, True)``)."""
    nin = op.nin
    assert nin is not None
    if len(args) < nin:
        raise TypeError(f"{op.name}() takes {nin} array argument(s) but {len(args)} were given")
    return args[:nin], _bind_extra(op, args[nin:], params)


def _bind_extra(op: OpDef, extra: tuple, params: dict) -> dict:
    """Match positional arguments after the arrays with the op's declared ``params``."""
    nin = op.nin or 0
    names = op.params
    bound = dict(params)
    if names and names[-1].startswith("*"):
        fixed, star = names[:-1], names[-1][1:]
    else:
        fixed, star = names, None
    if len(extra) > len(fixed) and star is None:
        raise TypeError(
            f"{op.name}() takes {nin} array argument(s) and at most {len(fixed)} positional "
            f"parameter(s) {fixed} but {nin + len(extra)} arguments were given"
        )
    for key, value in zip(fixed, extra):
        if key in bound:
            raise TypeError(f"{op.name}() got multiple values for argument {key!r}")
        bound[key] = value
    if star is not None and len(extra) > len(fixed):
        rest = extra[len(fixed):]
        if len(rest) == 1 and isinstance(rest[0], (tuple, list)):
            rest = tuple(rest[0])
        bound[star] = rest
    return bound


def _rename_params(op: OpDef, params: dict) -> dict:
    """Map keyword aliases (``axis`` -> ``dim``) onto the op's own parameter names."""
    aliases = op.param_aliases
    renamed: dict = {}
    for key, value in params.items():
        target = aliases.get(key, key)
        if target in renamed:
            raise TypeError(f"{op.name}() got both {key!r} and its alias for {target!r}")
        renamed[target] = value
    return renamed


def _coerce_operand(name: str, i: int, value: Any) -> Any:
    """Accept NumPy arrays and scalars beside tensors; refuse anything else, saying what was given."""
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, np.generic):
        return value.item()  # NumPy scalars are weak like Python ones: they never widen a tensor
    if isinstance(value, numbers.Number):
        return value
    raise TypeError(
        f"{name}(): argument {i + 1} must be a Tensor or a number, not {type(value).__name__}"
        + ("; convert it with tapegrad.tensor(...) first" if isinstance(value, (list, tuple)) else "")
    )


def _common_kind(name: str, first: type, other: type, backend_of: Mapping[type, Backend]) -> type:
    """Operands of different array types may still share a backend; different backends may not mix."""
    a, b = backend_of.get(first) or backend_for_type(first), backend_of.get(other) or backend_for_type(other)
    if a is not None and a is b:
        return first
    names = [x.name if x else f"unregistered {t.__name__}" for x, t in ((a, first), (b, other))]
    raise RuntimeError(
        f"{name}(): expected all tensors to be on the same backend, but found at least two backends, "
        f"{names[0]!r} and {names[1]!r}; move one with tensor.to({names[0]!r})"
    )


def _no_backend(name: str, kind: type) -> Backend:
    """The backend of an array type the table has not met yet (a deferred one loads now), else the error."""
    backend = backend_for_type(kind)
    if backend is not None:
        return backend
    raise TypeError(f"{name}(): no backend is registered for arrays of type {kind.__module__}.{kind.__qualname__}")


def name_the_op(op: OpDef, exc: BaseException) -> None:
    """Reword, in place, an error a forward raised so that it names the op, as PyTorch's do.

    The private forward's name becomes the op's (``_sum() got an unexpected keyword``
    reads ``sum() got ...``), and a TypeError or ValueError that names no function gets
    ``op(): `` in front (PyTorch's argument errors all start so). IndexErrors and
    RuntimeErrors keep their words: PyTorch's own ("Dimension out of range ...") name no op.
    Only the error path pays for this.
    """
    args = exc.args
    if len(args) != 1 or type(args[0]) is not str:
        return
    message = private = args[0]
    own = getattr(op.forward, "__name__", "")
    if own and own != op.name and f"{own}()" in message:
        message = message.replace(f"{own}()", f"{op.name}()")
    elif isinstance(exc, (TypeError, ValueError)) and not _NAMES_A_FUNCTION.match(message):
        message = f"{op.name}(): {message}"
    if message is not private:
        exc.args = (message,)


_NAMES_A_FUNCTION = re.compile(r"[\w.]+\(\)")


def raise_if_not_broadcastable(arrays: Any, exc: ValueError) -> None:
    """Re-raise a broadcasting failure in PyTorch's words; other ValueErrors pass through.

    Public for op authors whose forward broadcasts some inputs but cannot declare
    ``broadcasts=True`` (``where``'s condition is not a float).
    """
    if has_unknown_size(arrays):
        return  # not knowable: the error (an UnknownSizeError) says what to do
    shapes = [a.shape for a in arrays if hasattr(a, "shape")]
    ndim = max((len(s) for s in shapes), default=0)
    for k in range(1, ndim + 1):  # from the right, as broadcasting aligns shapes
        sizes = [s[-k] for s in shapes if len(s) >= k and s[-k] != 1]
        mismatch = [n for n in sizes if n != sizes[0]]
        if mismatch:
            raise RuntimeError(
                f"The size of tensor a ({sizes[0]}) must match the size of tensor b ({mismatch[0]}) "
                f"at non-singleton dimension {ndim - k}"
            ) from exc
