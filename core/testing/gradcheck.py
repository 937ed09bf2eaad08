"""Gradient checking: VJPs against central finite differences, by a seeded dot-product test.

For ``out = f(x_1, ..., x_n)``, a random output cotangent ``u`` and, per input, a
random direction ``v``, the VJP must satisfy

    <vjp_i(u), v> == (<u, f(.., x_i + eps v, ..)> - <u, f(.., x_i - eps v, ..)>) / (2 eps)

(JAX's ``check_grads`` and PyTorch's ``gradcheck`` use the same idea). One input
at a time, so a failure names the input. Order ``k`` checks the gradient of the
order ``k-1`` VJP (built with ``create_graph=True``) the same way.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ..autograd import grad
from ..creation import tensor as _tensor
from ..grad_mode import enable_grad, no_grad
from ..tensor import Tensor

__all__ = ["check_grads", "directional_derivative", "TOLERANCES"]

# dtype name -> (finite-difference step, rtol, atol)
TOLERANCES: dict[str, tuple[float, float, float]] = {
    "float64": (1e-6, 1e-5, 1e-6),
    "float32": (1e-3, 2e-2, 2e-3),
    "float16": (1e-2, 1e-1, 5e-2),
}


def check_grads(
    fn: Callable[..., Tensor],
    args: Sequence[Any],
    *,
    order: int = 1,
    seed: int = 0,
    name: str | None = None,
    tolerances: tuple[float, float, float] | None = None,
) -> None:
    """Assert that ``fn``'s gradients w.r.t. every tensor in ``args`` that requires grad are right.

    Checks orders 1 to ``order``. Raises ``AssertionError`` naming the function, the
    order, the input and both numbers when they disagree.
    """
    label = name or getattr(fn, "__name__", "fn")
    current = fn
    for k in range(1, order + 1):
        _check_first_order(current, list(args), seed + k, f"{label} (order {k})", tolerances)
        if k < order:
            _check_create_graph_agrees(current, list(args), seed + k, f"{label} (order {k})")
            current = _gradient_function(current, list(args), seed + 100 + k)


def directional_derivative(fn: Callable[..., Tensor], args: Sequence[Any], position: int, seed: int) -> float:
    """Central difference of ``<u, fn(args)>`` along a random direction of input ``position``
    (float64 step), ``u`` and the direction seeded: how the kit probes inputs with no VJP rule."""
    rng = np.random.default_rng(seed)
    args = list(args)
    with no_grad():
        out = fn(*args)
    u = rng.standard_normal(np.shape(out._data))
    x = np.asarray(args[position]._data)
    v = rng.standard_normal(x.shape)
    eps = TOLERANCES["float64"][0]
    return (_evaluate(fn, args, position, x + eps * v, u) - _evaluate(fn, args, position, x - eps * v, u)) / (2 * eps)


def _check_create_graph_agrees(fn: Callable[..., Tensor], args: list[Any], seed: int, label: str) -> None:
    """The gradient computed with ``create_graph=True`` (the rules run on tensors) equals the plain
    one (the rules run on arrays): an error on one path only is invisible to the other checks."""
    rng = np.random.default_rng(seed)
    positions = _differentiable(args)
    with enable_grad():
        out = fn(*args)
    if not out.requires_grad:
        return
    u = _tensor(_random_like(rng, out))
    wrt = [args[i] for i in positions]
    plain = grad(out, wrt, u, allow_unused=True, retain_graph=True)
    graphed = grad(out, wrt, u, allow_unused=True, create_graph=True)
    _assert_same_gradients(positions, plain, graphed, 1e-9, 1e-12, lambda position, worst: (
        f"{label}: the gradient for input {position} computed with create_graph=True differs from the plain one "
        f"(max |difference| {worst:.3g}): the VJP gives another answer when it runs on tensors; inputs: "
        f"{_describe(args)}"))


def _assert_same_gradients(positions: Sequence[int], first: Sequence[Any], second: Sequence[Any], rtol: float,
                           atol: float, message: Callable[[int, float], str]) -> None:
    """Raise ``message(position, worst difference)`` for the first input whose two gradients (None
    meaning 0) differ."""
    for position, a, b in zip(positions, first, second):
        a_data = 0.0 if a is None else np.asarray(a._data, dtype=np.float64)
        b_data = 0.0 if b is None else np.asarray(b._data, dtype=np.float64)
        if not np.allclose(a_data, b_data, rtol=rtol, atol=atol, equal_nan=True):
            worst = float(np.max(np.abs(np.asarray(a_data) - np.asarray(b_data))))
            raise AssertionError(message(position, worst))


def _tolerances(*dtypes: np.dtype) -> tuple[float, float, float]:
    """The loosest tolerances among the dtypes involved: a float32 result limits a float64 check."""
    chosen = [TOLERANCES.get(str(d), TOLERANCES["float64"]) for d in dtypes if np.dtype(d).kind == "f"]
    return max(chosen or [TOLERANCES["float64"]])


def _differentiable(args: Sequence[Any]) -> list[int]:
    return [i for i, a in enumerate(args) if type(a) is Tensor and a.requires_grad]


def _random_like(rng: np.random.Generator, t: Tensor) -> np.ndarray:
    return rng.standard_normal(t._data.shape).astype(t._data.dtype)


def _vdot(a: Any, b: np.ndarray) -> float:
    return float(np.sum(np.asarray(a, dtype=np.float64) * np.asarray(b, dtype=np.float64)))


def _check_first_order(fn: Callable[..., Tensor], args: list[Any], seed: int, label: str,
                       tolerances: tuple[float, float, float] | None) -> None:
    rng = np.random.default_rng(seed)
    positions = _differentiable(args)
    if not positions:
        raise AssertionError(f"{label}: no argument requires grad, so there is nothing to check")
    with enable_grad():
        out = fn(*args)
    if type(out) is not Tensor:
        raise AssertionError(f"{label}: expected a Tensor result, got {type(out).__name__}")
    u = _random_like(rng, out)
    if out.requires_grad:
        grads = grad(out, [args[i] for i in positions], _tensor(u), allow_unused=True, retain_graph=True)
    else:  # the result is constant in every input (a derivative past the last non-zero one)
        grads = (None,) * len(positions)
    for position, g in zip(positions, grads):
        x = args[position]
        eps, rtol, atol = tolerances or _tolerances(x._data.dtype, out._data.dtype)
        if g is not None and tuple(g.shape) != tuple(x.shape):
            raise AssertionError(
                f"{label}: gradient for input {position} has shape {tuple(g.shape)}, expected {tuple(x.shape)}"
            )
        if g is not None and g._data.dtype != x._data.dtype:
            raise AssertionError(
                f"{label}: gradient for input {position} has dtype {g._data.dtype}, expected {x._data.dtype}"
            )
        v = _random_like(rng, x)
        analytic = 0.0 if g is None else _vdot(g._data, v)
        numeric = (_evaluate(fn, args, position, x._data + eps * v, u)
                   - _evaluate(fn, args, position, x._data - eps * v, u)) / (2 * eps)
        scale = max(abs(analytic), abs(numeric), 1.0)
        if not abs(analytic - numeric) <= atol + rtol * scale:
            raise AssertionError(
                f"{label}: VJP for input {position} (shape {tuple(x.shape)}, dtype {x._data.dtype}) "
                f"disagrees with central differences: <vjp(u), v> = {analytic!r}, finite difference "
                f"= {numeric!r} (eps={eps}, rtol={rtol}, atol={atol}); inputs: {_describe(args)}"
            )
    if out.requires_grad:  # its graph was retained: the last use
        _check_one_value_cotangent(out, args, positions, label)


ONE_VALUE = 0.7  # not 1, so that a rule dropping the cotangent's value is seen


def _check_one_value_cotangent(out: Tensor, args: list[Any], positions: list[int], label: str) -> None:
    """The gradient of ``out.sum() * c`` equals the one with ``c`` written out as the cotangent.

    Behind every ``sum`` and ``mean`` the cotangent is one value broadcast (strides 0 on NumPy), and
    a rule may take a faster path for it (``ops_builtin.cotangents.scale``); random cotangents never
    reach that path, so it is compared here with the written-out one, which the other checks prove.
    """
    wrt = [args[i] for i in positions]
    written = grad(out, wrt, _tensor(np.full(out._data.shape, ONE_VALUE, dtype=out._data.dtype)),
                   allow_unused=True, retain_graph=True)
    with enable_grad():
        broadcast = grad(out.sum() * ONE_VALUE, wrt, allow_unused=True)
    _assert_same_gradients(positions, written, broadcast, 1e-12, 1e-300, lambda position, worst: (
        f"{label}: the gradient for input {position} through sum() * {ONE_VALUE} (a cotangent that is one value "
        f"broadcast) differs from the one with that cotangent written out (max |difference| {worst:.3g}): the "
        f"VJP's path for a one-value cotangent is wrong; inputs: {_describe(args)}"))


def _evaluate(fn: Callable[..., Tensor], args: list[Any], position: int, data: np.ndarray,
              u: np.ndarray) -> float:
    """<u, fn(args with input ``position`` replaced by ``data``)>, on fresh leaves."""
    shifted = list(args)
    shifted[position] = _tensor(data.astype(args[position]._data.dtype), requires_grad=True)
    with enable_grad():
        out = fn(*shifted)
    with no_grad():
        return _vdot(out._data, u)


def _gradient_function(fn: Callable[..., Tensor], args: list[Any], seed: int) -> Callable[..., Tensor]:
    """x -> sum_i <d<u, fn(x)>/dx_i, w_i>: differentiating it checks the second-order rules."""
    rng = np.random.default_rng(seed)
    with enable_grad():
        out = fn(*args)
    u = _random_like(rng, out)
    positions = _differentiable(args)
    ws = {i: _random_like(rng, args[i]) for i in positions}

    def gradient_of(*xs: Any) -> Tensor:
        out_ = fn(*xs)
        if not out_.requires_grad:  # fn is constant in its inputs: its gradient is zero
            return (xs[positions[0]] * 0.0).sum()
        grads = grad(out_, [xs[i] for i in positions], _tensor(u), create_graph=True, allow_unused=True)
        total: Any = None
        for i, g in zip(positions, grads):
            if g is None:
                continue
            term = (g * _tensor(ws[i])).sum()
            total = term if total is None else total + term
        if total is None:
            return (xs[positions[0]] * 0.0).sum()
        return total

    gradient_of.__name__ = f"grad({getattr(fn, '__name__', 'fn')})"
    return gradient_of


def _describe(args: Sequence[Any]) -> str:
    parts = []
    for a in args:
        if type(a) is Tensor or isinstance(a, np.ndarray):
            data: np.ndarray = np.asarray(a._data if type(a) is Tensor else a)
            kind = "Tensor" if type(a) is Tensor else "array"
            values = np.array2string(data.ravel()[:6], precision=4) + (" ..." if np.size(data) > 6 else "")
            parts.append(f"{kind}(shape={data.shape}, dtype={data.dtype}, values={values})")
        else:
            parts.append(repr(a))
    return "[" + ", ".join(parts) + "]"
