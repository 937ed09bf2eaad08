"""``gradcheck`` and ``gradgradcheck`` with ``torch.autograd``'s signatures.

The slow (default) mode compares whole Jacobians: the numerical one by central
differences, one input element at a time, against the analytical one, one backward
pass per output element, elementwise within ``atol + rtol * |numerical|`` as PyTorch
does. ``fast_mode=True`` runs the conformance kit's check instead
(``tapegrad.testing.check_grads``): one seeded dot-product test per input, which is how
the kit proves plugin ops. Both differentiate fresh leaves holding copies of the
inputs, so the caller's tensors and their ``.grad`` are left as they were.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Sequence

import numpy as np

from ..creation import tensor as _tensor
from ..grad_mode import enable_grad
from ..tensor import Tensor, _wrap
from . import grad as _grad

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """A gradient disagreed with finite differences (PyTorch's ``GradcheckError``)."""


def gradcheck(
    func: Callable[..., Any],
    inputs: Any,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_batched_forward_grad: bool = False,
    check_forward_ad: bool = False,
    check_backward_ad: bool = True,
    fast_mode: bool = False,
    masked: bool | None = None,
) -> bool:
    """Check ``func``'s gradients at ``inputs`` against central finite differences.

    Returns True when they agree. Otherwise raises :class:`GradcheckError` naming the
    output, the input and both Jacobians, or returns False when ``raise_exception=False``.
    Inputs should be float64: float32 finite differences are too coarse for the default
    tolerances (a warning says so, as PyTorch's does).
    """
    args = _as_tuple(inputs)
    positions = [i for i, a in enumerate(args) if type(a) is Tensor and a.requires_grad]
    if not positions:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of "
                         "them have requires_grad=True.")
    for i in positions:
        if args[i].dtype.name != "float64":
            warnings.warn(
                f"Input #{i} requires gradient and is not a double precision floating point or complex. This "
                "check will likely fail if all the inputs are not of double precision floating point or complex. ",
                UserWarning, stacklevel=2,
            )
    if not check_backward_ad:
        return True
    try:
        if fast_mode:
            _fast_check(func, args, eps, atol, rtol)
        else:
            _slow_check(func, args, positions, eps, atol, rtol, nondet_tol, check_grad_dtypes)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def gradgradcheck(
    func: Callable[..., Any],
    inputs: Any,
    grad_outputs: Any = None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    gen_non_contig_grad_outputs: bool = False,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_fwd_over_rev: bool = False,
    check_rev_over_rev: bool = True,
    fast_mode: bool = False,
    masked: bool = False,
) -> bool:
    """Check the second derivatives of ``func``: ``gradcheck`` of its VJP, in the inputs and the cotangents.

    ``grad_outputs`` are the cotangents of ``func``'s outputs (seeded random ones,
    requiring grad, when omitted).
    """
    args = _as_tuple(inputs)
    positions = [i for i, a in enumerate(args) if type(a) is Tensor and a.requires_grad]
    with enable_grad():
        outs = [o for o in _as_tuple(func(*args)) if type(o) is Tensor and o.requires_grad]
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        cotangents = tuple(_tensor(rng.standard_normal(o.shape).astype(o._data.dtype), requires_grad=True)
                           for o in outs)
    else:
        cotangents = _as_tuple(grad_outputs)
    n_inputs = len(args)

    def vjp_of_func(*values: Any) -> tuple[Tensor, ...]:
        xs, us = values[:n_inputs], values[n_inputs:]
        results = [o for o in _as_tuple(func(*xs)) if type(o) is Tensor and o.requires_grad]
        if not results:
            return ()
        grads = _grad(tuple(results), tuple(xs[i] for i in positions), grad_outputs=list(us),
                      create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    if not check_rev_over_rev:
        return True
    return gradcheck(vjp_of_func, args + tuple(cotangents), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol,
                     check_grad_dtypes=check_grad_dtypes, fast_mode=fast_mode)


# --------------------------------------------------------------------------- the checks
def _as_tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _fresh(args: Sequence[Any]) -> tuple[Any, ...]:
    """Leaves holding copies of the tensor inputs, so the check cannot disturb the caller's."""
    return tuple(
        _wrap(np.array(a._data, copy=True) if isinstance(a._data, np.ndarray) else a._data).requires_grad_(True)
        if type(a) is Tensor and a.requires_grad else a
        for a in args
    )


def _outputs(func: Callable[..., Any], args: Sequence[Any]) -> tuple[Tensor, ...]:
    out = _as_tuple(func(*args))
    return tuple(o for o in out if type(o) is Tensor and o.dtype.is_floating_point)


def _numerical(func: Callable[..., Any], args: tuple[Any, ...], position: int, eps: float) -> list[np.ndarray]:
    """d out / d args[position] by central differences: one ``(out.size, in.size)`` matrix per output."""
    x = args[position]
    base = np.asarray(x._data, dtype=np.float64)
    columns: list[list[np.ndarray]] = []
    for k in range(base.size):
        values = []
        for step in (eps, -eps):
            shifted = base.copy().reshape(-1)
            shifted[k] += step
            moved = list(args)
            moved[position] = _wrap(shifted.reshape(base.shape).astype(x._data.dtype)).requires_grad_(True)
            with enable_grad():  # the function may differentiate inside (gradgradcheck's does)
                values.append([np.asarray(o._data, dtype=np.float64).reshape(-1) for o in _outputs(func, moved)])
        columns.append([(plus - minus) / (2 * eps) for plus, minus in zip(*values)])
    n_out = len(columns[0]) if columns else len(_outputs(func, args))
    return [np.stack([c[j] for c in columns], axis=1) if columns else np.zeros((0, 0)) for j in range(n_out)]


def _analytical(func: Callable[..., Any], args: tuple[Any, ...], positions: list[int],
                check_dtypes: bool) -> list[list[np.ndarray]]:
    """d out_j / d args[i] by one backward pass per output element: ``[j][i]`` matrices."""
    with enable_grad():
        outs = _outputs(func, args)
    targets = tuple(args[i] for i in positions)
    blocks: list[list[np.ndarray]] = []
    for out in outs:
        rows: list[list[np.ndarray]] = [[] for _ in positions]
        size = int(out._data.size)
        for m in range(size):
            onehot = np.zeros(size, dtype=out._data.dtype)
            onehot[m] = 1
            if out.requires_grad:
                grads = _grad((out,), targets, grad_outputs=[_wrap(onehot.reshape(out._data.shape))],
                              retain_graph=True, allow_unused=True)
            else:
                grads = (None,) * len(targets)
            for r, g, x in zip(rows, grads, targets):
                if g is not None and check_dtypes and g.dtype is not x.dtype:
                    raise GradcheckError("Gradient has dtype mismatch")
                r.append(np.zeros(x._data.size) if g is None else np.asarray(g._data, dtype=np.float64).reshape(-1))
        blocks.append([np.stack(r) if r else np.zeros((0, targets[i]._data.size)) for i, r in enumerate(rows)])
    return blocks


def _slow_check(func: Callable[..., Any], inputs: tuple[Any, ...], positions: list[int], eps: float,
                atol: float, rtol: float, nondet_tol: float, check_dtypes: bool) -> None:
    args = _fresh(inputs)
    analytical = _analytical(func, args, positions, check_dtypes)
    for i, position in enumerate(positions):
        numerical = _numerical(func, args, position, eps)
        for j, (num, blocks) in enumerate(zip(numerical, analytical)):
            ana = blocks[i]
            if not np.allclose(ana, num, rtol=rtol, atol=atol):
                raise GradcheckError(
                    f"Jacobian mismatch for output {j} with respect to input {position},\n"
                    f"numerical:{_wrap(num.T)}\nanalytical:{_wrap(ana.T)}\n"
                )
    again = _analytical(func, args, positions, check_dtypes)
    for first, second in zip(analytical, again):
        for a, b in zip(first, second):
            if np.max(np.abs(a - b), initial=0.0) > nondet_tol:
                raise GradcheckError(
                    "Backward is not reentrant, i.e., running backward with same input and grad_output "
                    "multiple times gives different values, although analytical gradient matches numerical "
                    f"gradient.The tolerance for nondeterminism was {nondet_tol}."
                )


def _fast_check(func: Callable[..., Any], inputs: tuple[Any, ...], eps: float, atol: float, rtol: float) -> None:
    """The kit's seeded dot-product test, on the sum of the outputs each weighted by a random cotangent."""
    from ..testing.gradcheck import check_grads

    def combined(*xs: Any) -> Tensor:
        outs = _outputs(func, xs)
        if not outs:
            raise GradcheckError("gradcheck: the function returned no floating-point tensor to check")
        total = outs[0].reshape(-1)
        for o in outs[1:]:
            total = _cat(total, o.reshape(-1))
        return total

    try:
        check_grads(combined, _fresh(inputs), tolerances=(eps, rtol, atol), name=getattr(func, "__name__", "func"))
    except AssertionError as exc:
        raise GradcheckError(str(exc)) from None


def _cat(a: Tensor, b: Tensor) -> Tensor:
    from ..optable import lookup

    return lookup("cat").apply([a, b])
