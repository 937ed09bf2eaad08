"""``tapegrad.func``: function transforms in the style of JAX and ``torch.func``.

``grad(f)`` is a new function that returns the gradient of ``f``; ``value_and_grad``
returns the value too; ``vjp`` returns the output and a function that pulls
cotangents back; ``jacobian`` builds the full Jacobian with one VJP per output
element (reverse mode); ``hessian`` is the Jacobian of the Jacobian (reverse over
reverse).

Each transform differentiates with respect to fresh copies of the inputs named by
``argnums``: the caller's tensors are read, never modified, and their ``.grad`` is
left alone. Inputs that are not tensors (Python floats, NumPy arrays, nested lists)
are converted with ``tapegrad.tensor``.

Transforms compose: ``grad(grad(f))`` is the second derivative. When the inputs are
part of an outer graph (an enclosing transform, or a tensor that requires grad), the
backward pass runs with ``create_graph=True`` so its results can be differentiated
again; when nothing outside can see the result, it runs at first-order speed and the
results are plain tensors with no history.
"""

from __future__ import annotations

import functools
import weakref
from typing import Any, Callable, NamedTuple, Sequence

from .backends import array_namespace
from .autograd import grad as _autograd_grad
from .backends import numpy_dtype_of
from .batching import BatchedTensor, batched_jacobian, batched_value_and_grad
from .creation import tensor as _to_tensor
from .grad_mode import enable_grad, is_grad_enabled
from .graph import Node
from .tensor import Tensor, _wrap
from .vmap import vmap

__all__ = ["grad", "value_and_grad", "grad_and_value", "vjp", "jvp", "linearize", "jacobian", "jacrev",
           "jacfwd", "hessian", "vmap"]

Argnums = int | Sequence[int]

# The fresh leaves of transforms that have returned. The graph of a transform's result may
# still reach them (a create_graph backward refers to the leaves it differentiated), but no
# enclosing transform differentiates with respect to them, so they do not make a result
# "connected" (see _reaches_outer). The leaves of transforms still running are not in it.
# Keyed by id (a Tensor's == is elementwise), dropped when the tensor is collected.
_retired: weakref.WeakValueDictionary[int, Tensor] = weakref.WeakValueDictionary()


# --------------------------------------------------------------------------- transforms
def grad(f: Callable[..., Any], argnums: Argnums = 0, has_aux: bool = False) -> Callable[..., Any]:
    """The function that returns the gradient of ``f`` with respect to argument(s) ``argnums``.

    ``f`` must return a one-element tensor (or ``(output, aux)`` with ``has_aux=True``).
    The gradient function returns one tensor shaped like the argument, a tuple of them
    for a tuple ``argnums``, and ``(gradient, aux)`` with ``has_aux=True``.

    >>> tapegrad.func.grad(lambda x: (x ** 3).sum())(tapegrad.tensor([1.0, 2.0]))
    tensor([ 3., 12.])
    """
    value_and_grad_f = value_and_grad(f, argnums, has_aux)
    name = _name(f)

    @functools.wraps(f)
    def grad_f(*args: Any, **kwargs: Any) -> Any:
        value, grads = value_and_grad_f(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads

    grad_f.__qualname__ = grad_f.__name__ = f"grad({name})"
    return grad_f


def value_and_grad(f: Callable[..., Any], argnums: Argnums = 0, has_aux: bool = False) -> Callable[..., Any]:
    """Like :func:`grad`, but the new function returns ``(value, gradient)``.

    With ``has_aux=True`` it returns ``((value, aux), gradient)``, as JAX does.
    """
    spec = _check_argnums(argnums, "value_and_grad")
    name = _name(f)

    @functools.wraps(f)
    def value_and_grad_f(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        if not has_aux and any(type(a) is BatchedTensor for a in args):  # vmap(grad(f)): every example at once
            return batched_value_and_grad(lambda g: value_and_grad(g, argnums), f, args, kwargs,
                                          _positions(spec, len(args), f"grad({name})"))
        traced = _trace(f, args, kwargs, spec, has_aux, f"grad({name})")
        try:
            return _value_and_grad(traced, spec, has_aux, name)
        finally:
            _retire(traced)

    value_and_grad_f.__qualname__ = value_and_grad_f.__name__ = f"value_and_grad({name})"
    return value_and_grad_f


def _value_and_grad(traced: _Traced, spec: _Argnums, has_aux: bool, name: str) -> tuple[Any, Any]:
    out = traced.out
    if type(out) is not Tensor:
        raise TypeError(
            f"grad({name}): f must return a Tensor"
            + (" as the first element of its (output, aux) pair" if has_aux else "")
            + f", got {type(out).__name__}; use vjp or jacobian for functions with several outputs"
        )
    if out.numel() != 1:
        raise RuntimeError(
            f"grad({name}): f must return a scalar (a one-element tensor), but it returned a tensor "
            f"of shape {list(out.shape)}; use vjp or jacobian for non-scalar outputs"
        )
    grads = _pullback((out,), (None,), traced, retain_graph=False)
    value: Any = out if traced.connected else out.detach()
    if has_aux:
        value = (value, _strip_aux(traced.aux, traced))
    return value, _pack(grads, spec)


def vjp(f: Callable[..., Any], *primals: Any, has_aux: bool = False) -> tuple[Any, ...]:
    """Evaluate ``f(*primals)`` and return ``(output, vjp_fn)`` (``(output, vjp_fn, aux)`` with ``has_aux``).

    ``f`` returns a tensor or a tuple of tensors. ``vjp_fn(cotangent)`` takes a
    cotangent shaped like the output (a tuple of them for a tuple output; tensors,
    arrays or numbers) and returns a tuple with one gradient per primal. It can be
    called any number of times.
    """
    if not primals:
        raise TypeError("vjp(f, *primals) needs at least one primal to differentiate with respect to")
    name = _name(f)
    spec = _Argnums(tuple(range(len(primals))), False)
    traced = _trace(f, primals, {}, spec, has_aux, f"vjp({name})")
    try:
        outs, single = _flatten_outputs(traced.out, f"vjp({name})")
        shown = outs if traced.connected else tuple(o.detach() for o in outs)
        aux = _strip_aux(traced.aux, traced) if has_aux else None
    finally:
        _retire(traced)  # vjp_fn only pulls back; nothing traces through these leaves again

    def vjp_fn(cotangents: Any) -> tuple[Tensor, ...]:
        cots = (cotangents,) if single else cotangents
        if not isinstance(cots, (tuple, list)) or len(cots) != len(outs):
            raise TypeError(
                f"vjp({name}): f returned {len(outs)} outputs, so vjp_fn needs a tuple of {len(outs)} "
                f"cotangents, got {type(cotangents).__name__}"
            )
        for i, c in enumerate(cots):
            if c is None:
                raise TypeError(f"vjp({name}): cotangent {i} is None; pass a tensor shaped like output {i}")
        return tuple(_pullback(outs, tuple(cots), traced, retain_graph=True))

    vjp_fn.__qualname__ = vjp_fn.__name__ = f"vjp_fn({name})"
    out = shown[0] if single else type(traced.out)(shown)
    return (out, vjp_fn, aux) if has_aux else (out, vjp_fn)


def jacobian(f: Callable[..., Any], argnums: Argnums = 0, *, has_aux: bool = False) -> Callable[..., Any]:
    """The function that returns the Jacobian of ``f`` (reverse mode: one VJP per output element).

    For an output of shape ``S`` and an argument of shape ``T`` the Jacobian has shape
    ``S + T``. A tuple ``argnums`` gives a tuple of Jacobians; a tuple output gives a
    tuple over the outputs (of tuples over ``argnums``). With ``has_aux=True`` the new
    function returns ``(jacobian, aux)``.
    """
    return _jacobian_transform(f, argnums, has_aux, "jacobian",
                               lambda outs, traced: [_jacobian_of(o, traced) for o in outs])


def _jacobian_transform(f: Callable[..., Any], argnums: Argnums, has_aux: bool, transform: str,
                        blocks: Callable[[tuple[Tensor, ...], _Traced], list[list[Tensor]]]) -> Callable[..., Any]:
    """The shared shell of jacobian and jacfwd: trace ``f``, build each output's blocks (one per
    argnum) with ``blocks(outs, traced)``, pack them as the outputs and argnums are shaped."""
    spec = _check_argnums(argnums, transform)
    name = _name(f)

    @functools.wraps(f)
    def jacobian_f(*args: Any, **kwargs: Any) -> Any:
        where = f"{transform}({name})"
        if transform == "jacobian" and not has_aux and any(type(a) is BatchedTensor for a in args):
            return batched_jacobian(lambda g: jacobian(g, argnums), f, args, kwargs,  # vmap(jacrev(f))
                                    _positions(spec, len(args), where))
        traced = _trace(f, args, kwargs, spec, has_aux, where)
        try:
            outs, single = _flatten_outputs(traced.out, where)
            packed = [_pack(row, spec) for row in blocks(outs, traced)]
            result: Any = packed[0] if single else type(traced.out)(packed)
            return (result, _strip_aux(traced.aux, traced)) if has_aux else result
        finally:
            _retire(traced)

    jacobian_f.__qualname__ = jacobian_f.__name__ = f"{transform}({name})"
    return jacobian_f


def hessian(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """The function that returns the Hessian of ``f``: the Jacobian of its Jacobian (reverse over reverse).

    For a scalar ``f`` of an argument of shape ``T`` the Hessian has shape ``T + T``; in
    general ``S + T + T``. A tuple ``argnums`` gives nested tuples, ``H[i][j]`` being the
    block for arguments ``argnums[i]`` and ``argnums[j]``.
    """
    _check_argnums(argnums, "hessian")
    name = _name(f)
    hessian_f = jacobian(jacobian(f, argnums), argnums)
    hessian_f.__qualname__ = hessian_f.__name__ = f"hessian({name})"
    return hessian_f


def grad_and_value(f: Callable[..., Any], argnums: Argnums = 0, has_aux: bool = False) -> Callable[..., Any]:
    """``torch.func.grad_and_value``: like :func:`value_and_grad`, in the order ``(gradient, value)``
    (``(gradient, (value, aux))`` with ``has_aux=True``)."""
    value_and_grad_f = value_and_grad(f, argnums, has_aux)
    name = _name(f)

    @functools.wraps(f)
    def grad_and_value_f(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        value, grads = value_and_grad_f(*args, **kwargs)
        return grads, value

    grad_and_value_f.__qualname__ = grad_and_value_f.__name__ = f"grad_and_value({name})"
    return grad_and_value_f


def jacrev(f: Callable[..., Any], argnums: Argnums = 0, *, has_aux: bool = False) -> Callable[..., Any]:
    """``torch.func.jacrev``: the Jacobian in reverse mode, the same as :func:`jacobian`."""
    return jacobian(f, argnums, has_aux=has_aux)


def jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any], *, strict: bool = False,
        has_aux: bool = False) -> tuple[Any, ...]:
    """``(f(*primals), J v)``: the Jacobian-vector product of ``f`` at ``primals`` along ``tangents``.

    Forward mode as the transpose of reverse mode: ``u -> J^T u`` is linear, so its
    derivative in ``u`` along ``v`` is ``J v`` (the double-backward trick); it works for every
    op whose VJP is differentiable, and composes with the other transforms.
    """
    where = f"jvp({_name(f)})"
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError(f"{where}: primals and tangents must be tuples of tensors, e.g. jvp(f, (x,), (v,))")
    if len(primals) != len(tangents):
        raise RuntimeError(f"{where}: expected primals and tangents to have the same length, got "
                           f"{len(primals)} and {len(tangents)}")
    spec = _Argnums(tuple(range(len(primals))), False)
    traced = _trace(f, tuple(primals), {}, spec, has_aux, where)
    try:
        outs, single = _flatten_outputs(traced.out, where)
        vs = [_as_tangent(v, x, i, where) for i, (v, x) in enumerate(zip(tangents, traced.inputs))]
        results = _forward_product(outs, traced, vs)
        shown = outs if traced.connected else tuple(o.detach() for o in outs)
    finally:
        _retire(traced)
    out: Any = shown[0] if single else type(traced.out)(shown)
    derivative: Any = results[0] if single else type(traced.out)(results)
    if has_aux:
        return out, derivative, _strip_aux(traced.aux, traced)
    return out, derivative


def linearize(f: Callable[..., Any], *primals: Any) -> tuple[Any, Callable[..., Any]]:
    """``(f(*primals), jvp_fn)`` where ``jvp_fn(*tangents)`` is ``jvp(f, primals, tangents)[1]``."""
    out = f(*primals)

    def jvp_fn(*tangents: Any) -> Any:
        return jvp(f, primals, tangents)[1]

    jvp_fn.__qualname__ = jvp_fn.__name__ = f"jvp_fn({_name(f)})"
    return out, jvp_fn


def jacfwd(f: Callable[..., Any], argnums: Argnums = 0, *, has_aux: bool = False) -> Callable[..., Any]:
    """``torch.func.jacfwd``: the Jacobian column by column, one JVP per input element.

    The same shapes as :func:`jacobian` (``out.shape + in.shape``); cheaper when inputs are
    few and outputs many.
    """
    return _jacobian_transform(f, argnums, has_aux, "jacfwd", _forward_blocks)


def _forward_blocks(outs: tuple[Tensor, ...], traced: _Traced) -> list[list[Tensor]]:
    """Each output's Jacobian blocks, one column (a JVP along a basis tangent) per input element."""
    per_output: list[list[Tensor]] = [[] for _ in outs]
    graph = _cotangent_graph(outs, traced)  # one VJP graph; a JVP along each basis tangent
    for k, x in enumerate(traced.inputs):
        columns = [_forward_product(outs, traced, _basis(traced.inputs, k, e), graph) for e in range(x.numel())]
        for j, o in enumerate(outs):
            per_output[j].append(_stack_columns([c[j] for c in columns], o, x, traced.connected))
    return per_output


def _as_tangent(v: Any, x: Tensor, i: int, where: str) -> Tensor:
    v = v if type(v) is Tensor else _to_tensor(v, dtype=x.dtype)
    if tuple(v.shape) != tuple(x.shape):
        raise RuntimeError(f"{where}: tangent {i} has shape {tuple(v.shape)} but primal {i} has shape "
                           f"{tuple(x.shape)}; each tangent must be shaped like its primal")
    return v


def _basis(inputs: tuple[Tensor, ...], k: int, e: int) -> list[Tensor]:
    """Tangents that are zero everywhere but element ``e`` of input ``k``."""
    tangents = []
    for i, x in enumerate(inputs):
        t = _zeros_like(x)
        if i == k:
            flat = t._data.reshape(-1)
            flat[e] = 1
            t = _wrap(flat.reshape(x._data.shape))
        tangents.append(t)
    return tangents


def _cotangent_graph(outs: tuple[Tensor, ...], traced: _Traced) -> tuple[dict[int, Tensor], tuple[Any, ...]]:
    """The VJP of ``outs`` as a function of cotangents that require grad (recorded), which
    ``_forward_product`` differentiates along each tangent: built once, used for every column.

    The VJP is linear in its cotangent, so where it is taken does not matter, but a rule written
    piecewise in ``g`` (``logcumsumexp``'s, by the sign of ``g``) is flat at ``g = 0``: it is taken
    at ones."""
    live = [o for o in outs if o._requires_grad]
    dummies = {id(o): _wrap(array_namespace(o._data).ones_like(o._data)).requires_grad_(True) for o in live}
    if not live:
        return dummies, ()
    grads = _autograd_grad(tuple(live), traced.inputs, grad_outputs=[dummies[id(o)] for o in live],
                           retain_graph=True, create_graph=True, allow_unused=True)
    return dummies, grads


def _forward_product(outs: tuple[Tensor, ...], traced: _Traced, tangents: Sequence[Tensor],
                     graph: tuple[dict[int, Tensor], tuple[Any, ...]] | None = None) -> list[Tensor]:
    """``J v`` for each output, by differentiating the VJP in its cotangent (double backward)."""
    dummies, grads = graph or _cotangent_graph(outs, traced)
    # a cotangent that does not depend on the dummy (a zero-gradient op's constant) contributes zero
    pairs = [(g, v) for g, v in zip(grads, tangents) if g is not None and g._requires_grad]
    results: list[Tensor] = []
    for o in outs:
        if not pairs or id(o) not in dummies:
            results.append(_zeros_like(o))
            continue
        (jv,) = _autograd_grad(tuple(g for g, _ in pairs), (dummies[id(o)],), grad_outputs=[v for _, v in pairs],
                               retain_graph=True, create_graph=traced.connected, allow_unused=True)
        results.append(_zeros_like(o) if jv is None else jv)
    return results


def _stack_columns(columns: list[Tensor], out: Tensor, x: Tensor, connected: bool) -> Tensor:
    """JVP columns (one per input element) as a Jacobian block of shape ``out.shape + x.shape``."""
    shape = tuple(out.shape) + tuple(x.shape)
    if not columns:
        return _wrap(array_namespace(out._data).zeros(shape, dtype=out._data.dtype))
    if not connected:
        xp = array_namespace(out._data)
        stacked = xp.stack([c._data for c in columns], axis=-1)
        return _wrap(xp.reshape(stacked, shape))
    from .optable import lookup

    return lookup("stack").apply(columns, dim=-1).reshape(shape)


# --------------------------------------------------------------------------- tracing
class _Argnums(NamedTuple):
    positions: tuple[int, ...]
    single: bool  # an int was given: results are not wrapped in a tuple


class _Traced(NamedTuple):
    out: Any  # what f returned (without its aux)
    aux: Any
    inputs: tuple[Tensor, ...]  # the tensors differentiated with respect to, one per argnum
    fresh: frozenset[int]  # ids of the fresh leaves among them
    leaves: tuple[Tensor, ...]  # the fresh leaves themselves
    connected: bool  # the result must stay differentiable by an enclosing graph


def _check_argnums(argnums: Any, transform: str) -> _Argnums:
    """Validate ``argnums`` when the transform is made (types); ranges are checked per call."""
    if _is_int(argnums):
        return _Argnums((int(argnums),), True)
    if isinstance(argnums, (tuple, list)):
        if not argnums:
            raise ValueError(f"{transform}: argnums must name at least one argument, got an empty {type(argnums).__name__}")
        for a in argnums:
            if not _is_int(a):
                raise TypeError(f"{transform}: argnums must be an int or a tuple of ints, got an element {a!r}")
        return _Argnums(tuple(int(a) for a in argnums), False)
    raise TypeError(f"{transform}: argnums must be an int or a tuple of ints, got {type(argnums).__name__}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _positions(spec: _Argnums, nargs: int, where: str) -> tuple[int, ...]:
    positions = []
    for a in spec.positions:
        if not -nargs <= a < nargs:
            raise ValueError(
                f"{where}: argnums {a} is out of range for a call with {nargs} positional "
                f"argument{'s' if nargs != 1 else ''}"
            )
        positions.append(a % nargs)
    if len(set(positions)) != len(positions):
        raise ValueError(f"{where}: argnums must name each argument once, got {spec.positions}")
    return tuple(positions)


def _trace(f: Callable[..., Any], args: tuple, kwargs: dict, spec: _Argnums, has_aux: bool, where: str) -> _Traced:
    """Call ``f`` on fresh copies of the differentiated arguments, recording a graph."""
    positions = _positions(spec, len(args), where)
    outer = is_grad_enabled()
    call_args = list(args)
    inputs = []
    leaves = []
    tracked = False
    with enable_grad():
        for p in positions:
            x = _as_input(args[p], p, where)
            if outer and x._requires_grad:
                # Part of an enclosing graph: a new node of its own, so that this transform
                # differentiates with respect to this use only, and the result stays connected.
                x = x + 0
                tracked = True
            else:
                x = x.detach().requires_grad_(True)
                leaves.append(x)
            call_args[p] = x
            inputs.append(x)
        try:
            result = f(*call_args, **kwargs)
        except BaseException:
            _retired.update((id(x), x) for x in leaves)
            raise
    aux = None
    if has_aux:
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise TypeError(
                f"{where}: with has_aux=True, f must return a pair (output, aux), got "
                + (f"a {type(result).__name__} of length {len(result)}" if isinstance(result, (tuple, list))
                   else type(result).__name__)
            )
        result, aux = result
    fresh_ids = frozenset(id(x) for x in leaves)
    connected = outer and (tracked or _reaches_outer(_tensors_in(result), fresh_ids))
    return _Traced(result, aux, tuple(inputs), fresh_ids, tuple(leaves), connected)


def _retire(traced: _Traced) -> None:
    """The transform has returned: its leaves no longer make anything connected."""
    _retired.update((id(x), x) for x in traced.leaves)


def _as_input(value: Any, position: int, where: str) -> Tensor:
    if type(value) is not Tensor:
        try:
            value = _to_tensor(value)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"{where}: argument {position} must be a Tensor or a float value to differentiate with "
                f"respect to, got {type(value).__name__} ({exc})"
            ) from None
    if numpy_dtype_of(value._data).kind not in "fc":
        raise TypeError(
            f"{where}: argument {position} has dtype {value.dtype}; only floating point inputs can be "
            "differentiated (pass 2.0, not 2, or convert with .float())"
        )
    return value


def _flatten_outputs(out: Any, where: str) -> tuple[tuple[Tensor, ...], bool]:
    if type(out) is Tensor:
        return (out,), True
    if isinstance(out, (tuple, list)) and out and all(type(o) is Tensor for o in out):
        return tuple(out), False
    raise TypeError(f"{where}: f must return a Tensor or a tuple of Tensors, got {type(out).__name__}")


def _tensors_in(value: Any) -> list[Tensor]:
    """The tensors in ``value`` (a tensor, or tuples, lists and dict values of them), iteratively."""
    found = []
    stack = [value]
    while stack:
        item = stack.pop()
        if type(item) is Tensor:
            found.append(item)
        elif isinstance(item, (tuple, list)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return found


def _reaches_outer(tensors: Sequence[Tensor], fresh: frozenset[int]) -> bool:
    """Whether the graph behind ``tensors`` reaches a leaf that someone outside may differentiate.

    That is any leaf that requires grad, except this transform's own (``fresh``) and those
    of transforms that already returned. Iterative: a long chain costs loop iterations.
    """
    stack: list[Node] = []
    retired = _retired.get
    for t in tensors:
        if t._grad_fn is not None:
            stack.append(t._grad_fn)
        elif t._requires_grad and id(t) not in fresh and retired(id(t)) is not t:
            return True
    seen: set[Node] = set()
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        for edge in node.edges:
            if edge is None:
                continue
            if isinstance(edge, Node):
                if edge not in seen:
                    stack.append(edge)
            elif id(edge) not in fresh and retired(id(edge)) is not edge:
                return True
    return False


def _strip_aux(aux: Any, traced: _Traced) -> Any:
    """``aux`` with the history of this transform cut off, unless an enclosing graph can see it."""
    outer = traced.connected or is_grad_enabled()

    def strip(t: Tensor) -> Tensor:
        if not t._requires_grad or (outer and _reaches_outer([t], traced.fresh)):
            return t
        return t.detach()

    return _map_tensors(aux, strip)


def _map_tensors(value: Any, fn: Callable[[Tensor], Tensor]) -> Any:
    if type(value) is Tensor:
        return fn(value)
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a NamedTuple
        return type(value)(*(_map_tensors(v, fn) for v in value))
    if isinstance(value, (tuple, list)):
        return type(value)(_map_tensors(v, fn) for v in value)
    if isinstance(value, dict):
        return type(value)((k, _map_tensors(v, fn)) for k, v in value.items())
    return value


# --------------------------------------------------------------------------- pulling back
def _pullback(outs: tuple[Tensor, ...], cotangents: tuple[Any, ...], traced: _Traced,
              retain_graph: bool) -> list[Tensor]:
    """One gradient per traced input (zeros where no path leads), for ``outs`` weighted by ``cotangents``."""
    live = [(o, c) for o, c in zip(outs, cotangents) if o._requires_grad]
    if not live:
        results: Sequence[Tensor | None] = (None,) * len(traced.inputs)
    else:
        roots = tuple(o for o, _ in live)
        cots = [c for _, c in live]
        results = _autograd_grad(
            # A connected backward is itself recorded on top of the forward graph, so the
            # forward must survive it (as in PyTorch, where retain_graph follows create_graph).
            roots, traced.inputs, grad_outputs=cots, retain_graph=retain_graph or traced.connected,
            create_graph=traced.connected, allow_unused=True,
        )
    return [_zeros_like(x) if g is None else g for g, x in zip(results, traced.inputs)]


def _zeros_like(x: Tensor) -> Tensor:
    data = x._data
    return _wrap(array_namespace(data).zeros(data.shape, dtype=data.dtype))


def _pack(grads: Sequence[Any], spec: _Argnums) -> Any:
    return grads[0] if spec.single else tuple(grads)


def _jacobian_of(out: Tensor, traced: _Traced) -> list[Tensor]:
    """The Jacobian of ``out`` with respect to each traced input: one VJP per element of ``out``."""
    data = out._data
    xp = array_namespace(data)
    m = int(data.size)
    out_shape = tuple(data.shape)
    rows: list[list[Tensor]] = [[] for _ in traced.inputs]
    for i in range(m):
        onehot = xp.zeros((m,), dtype=data.dtype)
        onehot[i] = 1
        grads = _pullback((out,), (xp.reshape(onehot, out_shape),), traced, retain_graph=True)
        for row, g in zip(rows, grads):
            row.append(g)
    return [
        _stack_rows(row, out_shape, tuple(x._data.shape), x, traced.connected)
        for row, x in zip(rows, traced.inputs)
    ]


def _stack_rows(row: list[Tensor], out_shape: tuple[int, ...], in_shape: tuple[int, ...], x: Tensor,
                differentiable: bool) -> Tensor:
    """Stack per-element gradients into a tensor of shape ``out_shape + in_shape``."""
    data = x._data
    xp = array_namespace(data)
    shape = out_shape + in_shape
    if not row:  # an empty output
        return _wrap(xp.zeros(shape, dtype=data.dtype))
    if not differentiable:
        return _wrap(xp.reshape(xp.stack([g._data for g in row]), shape))
    from .optable import lookup

    return lookup("stack").apply(row, dim=0).reshape(shape)


def _name(f: Callable[..., Any]) -> str:
    return getattr(f, "__name__", None) or type(f).__name__
