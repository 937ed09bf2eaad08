"""``tapegrad.autograd.functional``: PyTorch's higher-level derivative API.

``jacobian``, ``hessian``, ``vjp``, ``jvp``, ``hvp`` and ``vhp`` take a function of
tensors and the point to differentiate at, as ``torch.autograd.functional`` does, and
return results shaped as PyTorch's: a tensor where ``inputs`` (or the output) is one
tensor, a tuple where it is a tuple.

They differentiate with respect to fresh leaves that share the inputs' data, so the
caller's tensors and their ``.grad`` are never touched. With ``create_graph=True`` the
fresh leaves are tied to the caller's tensors (through ``view_as``), so results can be
differentiated again with respect to them. Forward-mode products (``jvp``, ``hvp``)
use the double-backward trick, as PyTorch's do: the VJP is linear in its cotangent,
so differentiating it with respect to the cotangent gives the JVP; every op with a
second-order VJP supports them.

``vectorize`` and ``strategy="forward-mode"`` are accepted for compatibility; the
results are the same, computed with one reverse pass per output element.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from ..backends import array_namespace
from ..grad_mode import enable_grad
from ..tensor import Tensor, _wrap
from . import grad as _grad

__all__ = ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"]

Inputs = Tensor | Sequence[Tensor]


# --------------------------------------------------------------------------- public API
def vjp(func: Callable[..., Any], inputs: Inputs, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(*inputs), v^T J)``: the vector-Jacobian product at ``inputs``.

    ``v`` is shaped like the output (a tuple for a tuple output); it may be omitted only
    when ``func`` returns a single one-element tensor.
    """
    with enable_grad():
        is_tuple, xs = _as_tuple(inputs, "inputs", "vjp")
        xs = _fresh(xs, create_graph)
        out_tuple, outs = _as_tuple(func(*xs), "outputs of the user-provided function", "vjp")
        vs = _vectors(v, outs, "vjp", is_output=True)
        grads = _grad_allow_unused(outs, xs, vs, create_graph)
        grads = _fill_unused(grads, xs, strict, create_graph, "vjp")
    return _finish(outs, out_tuple, create_graph), _finish(grads, is_tuple, create_graph)


def jvp(func: Callable[..., Any], inputs: Inputs, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(*inputs), J v)``: the Jacobian-vector product at ``inputs`` (double-backward trick).

    ``v`` is shaped like ``inputs``; it may be omitted only for a single one-element input.
    """
    with enable_grad():
        is_tuple, xs = _as_tuple(inputs, "inputs", "jvp")
        xs = _fresh(xs, create_graph)
        vs = _vectors(v, xs, "jvp", is_output=False)
        out_tuple, outs = _as_tuple(func(*xs), "outputs of the user-provided function", "jvp")
        # u -> J^T u is linear; its derivative in u along v is J v.
        us = tuple(_dummy_cotangent(o) for o in outs)
        grads = _grad_allow_unused(outs, xs, us, create_graph=True)
        _strict_unused(grads, strict, "jvp")
        live = [(g, vi) for g, vi in zip(grads, vs) if g is not None]
        if live:
            jv = _grad_allow_unused(tuple(g for g, _ in live), us, tuple(vi for _, vi in live), create_graph)
        else:
            jv = (None,) * len(outs)
        jv = _fill_unused(jv, outs, strict, create_graph, "jvp", zeros_for=outs)
    return _finish(outs, out_tuple, create_graph), _finish(jv, out_tuple, create_graph)


def jacobian(func: Callable[..., Any], inputs: Inputs, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """The Jacobian of ``func`` at ``inputs``; block ``[i][j]`` has shape ``out_i.shape + in_j.shape``.

    One tensor for one input and one output; a tuple over inputs for tuple inputs; a
    tuple over outputs (of tuples over inputs) for tuple outputs.
    """
    _check_strategy(strategy, "jacobian")
    with enable_grad():
        is_tuple, xs = _as_tuple(inputs, "inputs", "jacobian")
        xs = _fresh(xs, create_graph)
        out_tuple, outs = _as_tuple(func(*xs), "outputs of the user-provided function", "jacobian")
        blocks = [_jacobian_rows(o, i, xs, create_graph, strict) for i, o in enumerate(outs)]
    per_output = [_finish(row, is_tuple, create_graph) for row in blocks]
    return tuple(per_output) if out_tuple else per_output[0]


def hessian(func: Callable[..., Any], inputs: Inputs, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of a function with one one-element output; block ``[i][j]`` is d2f/dx_i dx_j."""
    _check_strategy(outer_jacobian_strategy, "hessian")
    is_tuple, xs = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*args: Tensor) -> tuple[Tensor, ...]:
        out = _scalar_output(func(*args), "hessian")
        grads = _grad_allow_unused((out,), args, (None,), create_graph=True)
        return _fill_unused(grads, args, strict, True, "hessian")

    result = jacobian(gradient, xs, create_graph=create_graph, strict=strict)
    return result if is_tuple else result[0][0]


def vhp(func: Callable[..., Any], inputs: Inputs, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(*inputs), v^T H)`` for a function with one one-element output."""
    with enable_grad():
        is_tuple, xs, vs, out, jac = _gradient_at(func, inputs, v, create_graph, strict, "vhp")
        live = [(j, vi) for j, vi in zip(jac, vs) if j is not None]
        if live:
            result = _grad_allow_unused(tuple(j for j, _ in live), xs, tuple(vi for _, vi in live), create_graph)
        else:
            result = (None,) * len(xs)
        result = _fill_unused(result, xs, strict, create_graph, "vhp")
    return _finish((out,), False, create_graph), _finish(result, is_tuple, create_graph)


def hvp(func: Callable[..., Any], inputs: Inputs, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(*inputs), H v)`` for a function with one one-element output (double-backward trick)."""
    with enable_grad():
        is_tuple, xs, vs, out, jac = _gradient_at(func, inputs, v, create_graph, strict, "hvp")
        pairs = [(j, x) for j, x in zip(jac, xs) if j is not None]
        result: Sequence[Any] = (None,) * len(xs)
        if pairs:
            us = tuple(_dummy_cotangent(x) for _, x in pairs)
            vjps = _grad_allow_unused(tuple(j for j, _ in pairs), xs, us, create_graph=True)
            live = [(g, vi) for g, vi in zip(vjps, vs) if g is not None]
            if live:
                picked = _grad_allow_unused(tuple(g for g, _ in live), us, tuple(vi for _, vi in live),
                                            create_graph)
                result = _scatter_back(picked, jac)
        result = _fill_unused(result, xs, strict, create_graph, "hvp")
    return _finish((out,), False, create_graph), _finish(result, is_tuple, create_graph)


def _gradient_at(func: Callable[..., Any], inputs: Inputs, v: Any, create_graph: bool, strict: bool,
                 fn: str) -> tuple[bool, tuple[Tensor, ...], tuple[Tensor, ...], Tensor, tuple[Any, ...]]:
    """What vhp and hvp start from: the inputs as fresh leaves, ``v`` checked against them, the
    one-element output and its gradient (recorded, to be differentiated again)."""
    is_tuple, xs = _as_tuple(inputs, "inputs", fn)
    xs = _fresh(xs, create_graph)
    vs = _vectors(v, xs, fn, is_output=False)
    out = _scalar_output(func(*xs), fn)
    jac = _grad_allow_unused((out,), xs, (None,), create_graph=True)
    _strict_unused(jac, strict, fn)
    return is_tuple, xs, vs, out, jac


# --------------------------------------------------------------------------- helpers
def _as_tuple(value: Any, what: str, fn: str) -> tuple[bool, tuple[Tensor, ...]]:
    """``(was_a_tuple, items)``, refusing anything but a Tensor or a tuple of them, as PyTorch does."""
    if isinstance(value, tuple):
        items, is_tuple = value, True
    else:
        items, is_tuple = (value,), False
    for i, item in enumerate(items):
        if type(item) is not Tensor:
            detail = f"the given {what} has type {type(item)}" if not is_tuple else \
                f"the value at index {i} has type {type(item)}"
            raise TypeError(f"The {what} given to {fn} must be either a Tensor or a tuple of Tensors but "
                            f"{detail}.")
    return is_tuple, items


def _fresh(xs: tuple[Tensor, ...], create_graph: bool) -> tuple[Tensor, ...]:
    """Leaves to differentiate with respect to, sharing the inputs' data.

    With ``create_graph`` an input that requires grad is used through ``view_as``, so the
    result stays differentiable with respect to the caller's tensor.
    """
    fresh = []
    for x in xs:
        if create_graph and x.requires_grad:
            fresh.append(x.view_as(x) if hasattr(x, "view_as") else x * 1)
        else:
            fresh.append(_wrap(x._data).requires_grad_(x.dtype.is_floating_point))
    return tuple(fresh)


def _vectors(v: Any, like: tuple[Tensor, ...], fn: str, is_output: bool) -> tuple[Tensor, ...]:
    """The user's ``v`` as one tensor per entry of ``like``, with PyTorch's checks."""
    whose = "output" if is_output else "input"
    if v is None:
        if len(like) != 1 or like[0]._data.size != 1:
            raise RuntimeError(
                "The vector v can only be None if the user-provided function returns a single Tensor with "
                "a single element." if is_output else
                "The vector v can only be None if the input to the user-provided function is a single "
                "Tensor with a single element."
            )
        return (_wrap(array_namespace(like[0]._data).ones_like(like[0]._data)),)
    _, vs = _as_tuple(v, "variable v", fn)
    if len(vs) != len(like):
        raise RuntimeError(f"The given v should contain a single Tensor per {whose} of the user-provided "
                           f"function, got {len(vs)} for {len(like)}.")
    for i, (vi, ref) in enumerate(zip(vs, like)):
        if tuple(vi.shape) != tuple(ref.shape):
            raise RuntimeError(f"v has invalid size: should be {ref.shape!r} but got {vi.shape!r}.")
    return vs


def _zeros_like(like: Tensor) -> Tensor:
    from ..func import _zeros_like as zeros_like  # func imports autograd: imported on use

    return zeros_like(like)


def _stack_rows(row: list[Tensor], out_shape: tuple[int, ...], in_shape: tuple[int, ...], x: Tensor,
                differentiable: bool) -> Tensor:
    from ..func import _stack_rows as stack_rows

    return stack_rows(row, out_shape, in_shape, x, differentiable)


def _scalar_output(out: Any, fn: str) -> Tensor:
    if isinstance(out, (tuple, list)) or type(out) is not Tensor:
        raise RuntimeError(f"The function given to {fn} should return a single Tensor")
    if out._data.size != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn} should contain a single element")
    return out


def _dummy_cotangent(like: Tensor) -> Tensor:
    """A zero cotangent that requires grad: the variable the double-backward trick differentiates in."""
    data = like._data
    return _wrap(array_namespace(data).zeros_like(data)).requires_grad_(True)


def _grad_allow_unused(outs: Sequence[Tensor], xs: Sequence[Tensor], cotangents: Sequence[Any],
                       create_graph: bool) -> tuple[Tensor | None, ...]:
    """``autograd.grad`` with outputs that need no grad dropped, and None for unreached inputs."""
    live = [(o, c) for o, c in zip(outs, cotangents) if o.requires_grad]
    if not live:
        return (None,) * len(xs)
    return _grad(tuple(o for o, _ in live), tuple(xs), grad_outputs=[c for _, c in live],
                 retain_graph=True, create_graph=create_graph, allow_unused=True)


def _strict_unused(grads: Sequence[Any], strict: bool, fn: str) -> None:
    if strict:
        for i, g in enumerate(grads):
            if g is None:
                raise RuntimeError(
                    f"The output of the user-provided function is independent of input {i}. This is not "
                    "allowed in strict mode."
                )


def _fill_unused(grads: Sequence[Any], like: Sequence[Tensor], strict: bool, create_graph: bool, fn: str,
                 zeros_for: Sequence[Tensor] | None = None) -> tuple[Tensor, ...]:
    """Zeros where no path leads (PyTorch's non-strict mode), or the strict-mode error."""
    _strict_unused(grads, strict, fn)
    shapes = zeros_for if zeros_for is not None else like
    return tuple(_zeros_like(ref) if g is None else g for g, ref in zip(grads, shapes))


def _scatter_back(picked: Sequence[Any], jac: Sequence[Any]) -> list[Any]:
    """Results computed only for the inputs with a gradient, put back in input order."""
    it = iter(picked)
    return [next(it) if j is not None else None for j in jac]


def _jacobian_rows(out: Tensor, index: int, xs: tuple[Tensor, ...], create_graph: bool,
                   strict: bool) -> tuple[Tensor, ...]:
    """Block row ``index``: d out / d x_j for every input, one reverse pass per output element."""
    data = out._data
    xp = array_namespace(data)
    m = int(data.size)
    rows: list[list[Tensor]] = [[] for _ in xs]
    for k in range(m):
        onehot = xp.zeros((m,), dtype=data.dtype)
        onehot[k] = 1
        grads = _grad_allow_unused((out,), xs, (_wrap(xp.reshape(onehot, data.shape)),), create_graph)
        for j, g in enumerate(grads):
            if g is None and strict:
                raise RuntimeError(
                    f"Output {index} of the user-provided function is independent of input {j}. This is not "
                    "allowed in strict mode."
                )
            rows[j].append(_zeros_like(xs[j]) if g is None else g)
    return tuple(_stack_rows(row, tuple(data.shape), tuple(x._data.shape), x, create_graph) for row, x in zip(rows, xs))


def _finish(values: Sequence[Any], as_tuple: bool, create_graph: bool) -> Any:
    """Detach results unless the caller asked for a graph; unwrap a single result."""
    done = tuple(v if create_graph or type(v) is not Tensor else v.detach() for v in values)
    return done if as_tuple else done[0]


def _check_strategy(strategy: str, fn: str) -> None:
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(f'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: {fn} got '
                         f"{strategy!r}")
