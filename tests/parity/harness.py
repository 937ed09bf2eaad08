"""Running one case through tapegrad and PyTorch, and saying precisely how they differ.

A case is plain data (NumPy arrays, Python scalars, static params); ``run_*`` converts it for
each library, calls the op spec's two callables and compares. Every mismatch message names the
op, the check, the inputs' shapes and dtypes and both results, so a failure is actionable
without rerunning anything. Imported only by the parity tests (which skip without torch).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch

import tapegrad

from .opspec import Case, OpSpec

# rtol, atol per result dtype: float64 tight enough to see float32 precision loss (issue 7 item 4)
TOLERANCE = {"float64": (1e-9, 1e-11), "float32": (1e-4, 1e-5), "float16": (2e-2, 2e-2)}
# the exception categories compared for "PyTorch raises => tapegrad raises"
CATEGORIES = (IndexError, TypeError, ValueError, ZeroDivisionError, RuntimeError)


class Mismatch(AssertionError):
    """tapegrad and PyTorch disagree on one case."""


# ---------------------------------------------------------------------------- conversion
def to_tapegrad(value: Any, requires_grad: bool) -> Any:
    if isinstance(value, np.ndarray):
        return tapegrad.tensor(value, requires_grad=requires_grad and value.dtype.kind == "f")
    if isinstance(value, (list, tuple)):
        return type(value)(to_tapegrad(v, requires_grad) for v in value)
    return value


def to_torch(value: Any, requires_grad: bool) -> Any:
    if isinstance(value, np.ndarray):
        t = torch.from_numpy(value.copy())
        return t.requires_grad_(requires_grad and value.dtype.kind == "f")
    if isinstance(value, (list, tuple)):
        return type(value)(to_torch(v, requires_grad) for v in value)
    return value


def leaves(converted: Any, kind: type) -> list[Any]:
    """The tensors in ``converted`` that require grad, in order."""
    if isinstance(converted, kind):
        return [converted] if converted.requires_grad else []
    if isinstance(converted, (list, tuple)):
        return [leaf for v in converted for leaf in leaves(v, kind)]
    return []


def outputs(result: Any, kind: type) -> list[Any]:
    """The tensors a call returned (one, or a tuple / named tuple of them), in order."""
    if isinstance(result, kind):
        return [result]
    if isinstance(result, (list, tuple)):
        return [t for r in result for t in outputs(r, kind)]
    raise Mismatch(f"returned {type(result).__name__} {result!r}, not tensors")


def as_numpy(t: Any) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        t = t.detach()
        if t._is_zerotensor():  # PyTorch's symbolic zeros (e.g. sign's gradient) refuse .numpy()
            return np.zeros(tuple(t.shape), dtype=str(t.dtype).split(".")[-1])
        return t.numpy()
    return np.asarray(t.detach().numpy())


def dtype_name(t: Any) -> str:
    return str(t.dtype).split(".")[-1]


def describe(value: Any) -> str:
    """Inputs as the failure message shows them: shape and dtype, values when small."""
    if isinstance(value, np.ndarray):
        text = f"{value.dtype}{list(value.shape)}"
        return text + (f"={value.tolist()}" if value.size <= 6 else "")
    if isinstance(value, (list, tuple)) and any(isinstance(v, np.ndarray) for v in value):
        inner = ", ".join(describe(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner})"
    return repr(value)


def case_text(spec: OpSpec, case: Case) -> str:
    args = ", ".join(describe(a) for a in case.args)
    params = ", ".join(f"{k}={describe(v)}" for k, v in case.params.items())
    return f"{spec.name}({', '.join(p for p in (args, params) if p)})"


# ---------------------------------------------------------------------------- calling
@dataclass
class Outcome:
    """What one library did with a case: its converted inputs, result or exception."""

    inputs: Any = None
    result: Any = None
    error: BaseException | None = None
    grad_inputs: list[Any] = field(default_factory=list)


def call(fn: Callable[..., Any], case: Case, convert: Callable[[Any, bool], Any], kind: type,
         requires_grad: bool) -> Outcome:
    out = Outcome(inputs=convert(list(case.args), requires_grad))
    out.grad_inputs = leaves(out.inputs, kind)
    try:
        out.result = fn(*out.inputs, **case.params)
    except Exception as exc:  # noqa: BLE001 - the exception is the result being compared
        out.error = exc
    return out


def both(spec: OpSpec, case: Case, requires_grad: bool) -> tuple[Outcome, Outcome]:
    ours = call(spec.tapegrad_fn, case, to_tapegrad, tapegrad.Tensor, requires_grad)
    theirs = call(lambda *a, **k: spec.torch_fn(torch, *a, **k), case, to_torch, torch.Tensor, requires_grad)
    return ours, theirs


def category(exc: BaseException) -> type:
    for kind in CATEGORIES:
        if isinstance(exc, kind):
            return kind
    return type(exc)


# ---------------------------------------------------------------------------- comparing
def compare_tensors(what: str, ours: Any, theirs: Any, dtype_must_match: bool = True) -> str | None:
    """None when equal within the result dtype's tolerance, else what differs."""
    if ours is None or theirs is None:  # an unused input: None on one side means zeros
        if ours is None and theirs is None:
            return None
        present = as_numpy(ours if ours is not None else theirs)
        if np.all(present == 0):
            return None
        return f"{what}: tapegrad {'None' if ours is None else present.tolist()}, " \
               f"PyTorch {'None' if theirs is None else present.tolist()}"
    ours_dtype, theirs_dtype = dtype_name(ours), dtype_name(theirs)
    if dtype_must_match and ours_dtype != theirs_dtype:
        return f"{what} dtype: tapegrad {ours_dtype}, PyTorch {theirs_dtype}"
    a, b = as_numpy(ours), as_numpy(theirs)
    if a.shape != b.shape:
        return f"{what} shape: tapegrad {list(a.shape)}, PyTorch {list(b.shape)}"
    if b.dtype.kind == "f" or a.dtype.kind == "f":
        return _close_floats(what, a, b, theirs_dtype)
    if np.array_equal(a, b):
        return None
    return f"{what} values: tapegrad {_show(a)}, PyTorch {_show(b)}"


def _close_floats(what: str, a: np.ndarray, b: np.ndarray, theirs_dtype: str) -> str | None:
    with np.errstate(all="ignore"):
        rtol, atol = TOLERANCE.get(theirs_dtype, TOLERANCE["float64"])
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        finite = np.abs(b64[np.isfinite(b64)])
        if finite.size and finite.max() < 1:  # tiny expected values: the absolute slack shrinks with them
            atol *= max(finite.max(), 1e-4)
        close = np.isclose(a64, b64, rtol=rtol, atol=atol, equal_nan=True)
        close |= (a64 == b64)  # equal infinities
    if np.all(close):
        return None
    return f"{what} values: tapegrad {_show(a)}, PyTorch {_show(b)}"


def _show(a: np.ndarray) -> str:
    with np.printoptions(precision=17, threshold=24):
        return f"{a.dtype}{list(a.shape)} {a.tolist() if a.size <= 24 else a}"


def check_raises_alike(ours: Outcome, theirs: Outcome) -> str | None:
    """PyTorch raises => tapegrad raises, in the same category; PyTorch works => tapegrad works."""
    if theirs.error is not None:
        if ours.error is None:
            return f"PyTorch raises {type(theirs.error).__name__}({str(theirs.error)[:160]!r}); " \
                   f"tapegrad returns {_brief(ours.result)}"
        if category(ours.error) is not category(theirs.error):
            return f"PyTorch raises {type(theirs.error).__name__}({str(theirs.error)[:160]!r}); " \
                   f"tapegrad raises {type(ours.error).__name__}({str(ours.error)[:160]!r})"
        return None
    if ours.error is not None:
        return f"tapegrad raises {type(ours.error).__name__}({str(ours.error)[:200]!r}); " \
               f"PyTorch returns {_brief(theirs.result)}"
    return None


def _brief(result: Any) -> str:
    try:
        return "; ".join(f"{dtype_name(t)}{list(t.shape)} {as_numpy(t).tolist()}"[:200]
                         for t in outputs(result, (tapegrad.Tensor, torch.Tensor)))
    except Mismatch:
        return repr(result)[:200]


def compare_forward(ours: Outcome, theirs: Outcome) -> list[str]:
    raised = check_raises_alike(ours, theirs)
    if raised is not None or theirs.error is not None:
        return [raised] if raised else []
    try:
        a, b = outputs(ours.result, tapegrad.Tensor), outputs(theirs.result, torch.Tensor)
    except Mismatch as exc:
        return [str(exc)]
    if len(a) != len(b):
        return [f"{len(a)} results, PyTorch {len(b)}"]
    problems = [compare_tensors(f"result {i}", x, y) for i, (x, y) in enumerate(zip(a, b))]
    problems += [f"result {i} requires_grad: tapegrad {x.requires_grad}, PyTorch {y.requires_grad}"
                 for i, (x, y) in enumerate(zip(a, b)) if x.requires_grad != y.requires_grad]
    problems += [f"result {i} is_leaf: tapegrad {x.is_leaf}, PyTorch {y.is_leaf}"
                 + (" (PyTorch returns the input itself)" if y.is_leaf else "")
                 for i, (x, y) in enumerate(zip(a, b)) if x.is_leaf != y.is_leaf]
    return [p for p in problems if p]


# ---------------------------------------------------------------------------- gradients
def _differentiable(results: list[Any]) -> list[int]:
    return [i for i, t in enumerate(results) if t.requires_grad]


def cotangents(rng: np.random.Generator, results: list[Any], keep: list[int]) -> list[np.ndarray]:
    return [rng.standard_normal(tuple(results[i].shape)).astype(dtype_name(results[i])) for i in keep]


def gradients(lib: Any, outs: list[Any], inputs: list[Any], vs: list[Any], create_graph: bool) -> list[Any]:
    return list(lib.autograd.grad(outs, inputs, vs, create_graph=create_graph, allow_unused=True,
                                  retain_graph=True))


def compare_grads(spec: OpSpec, case: Case, rng: np.random.Generator, second: bool) -> list[str]:
    """First-order gradients (plain and under create_graph, which must agree) or second order."""
    ours, theirs = both(spec, case, requires_grad=True)
    problems = compare_forward(ours, theirs)
    if problems or theirs.error is not None or not theirs.grad_inputs:
        return problems
    a_out, b_out = outputs(ours.result, tapegrad.Tensor), outputs(theirs.result, torch.Tensor)
    keep = _differentiable(b_out)
    if not keep:
        return []
    vs = cotangents(rng, b_out, keep)
    a_outs, b_outs = [a_out[i] for i in keep], [b_out[i] for i in keep]
    a_vs = [tapegrad.tensor(v) for v in vs]
    b_vs = [torch.from_numpy(v) for v in vs]
    try:
        b_plain = gradients(torch, b_outs, theirs.grad_inputs, b_vs, create_graph=second)
    except RuntimeError:
        return []  # PyTorch cannot differentiate this case (e.g. an integer result); nothing to compare
    try:
        a_graph = gradients(tapegrad, a_outs, ours.grad_inputs, a_vs, create_graph=True)
        if not second:
            a_plain = gradients(tapegrad, a_outs, ours.grad_inputs, a_vs, create_graph=False)
    except Exception as exc:  # noqa: BLE001
        return [f"backward raises {type(exc).__name__}: {str(exc)[:200]}"]
    if not second:
        problems += [compare_tensors(f"grad {i}", x, y) for i, (x, y) in enumerate(zip(a_plain, b_plain))]
        problems += [compare_tensors(f"grad {i} (create_graph=True)", x, y)
                     for i, (x, y) in enumerate(zip(a_graph, b_plain))]
        problems += [_agree(i, x, y) for i, (x, y) in enumerate(zip(a_plain, a_graph))]
        return [p for p in problems if p]
    return problems + _second_order(rng, ours, theirs, a_graph, b_plain)


def _agree(i: int, plain: Any, graph: Any) -> str | None:
    bad = compare_tensors(f"grad {i}", plain, graph)
    return None if bad is None else f"plain and create_graph=True gradients differ: {bad}"


def _second_order(rng: np.random.Generator, ours: Outcome, theirs: Outcome, a_g: list[Any],
                  b_g: list[Any]) -> list[str]:
    """grad of sum(grad . w) with respect to the inputs, w random."""
    pairs = [(i, x, y) for i, (x, y) in enumerate(zip(a_g, b_g)) if y is not None and y.requires_grad]
    if not pairs:
        return []
    ws = [rng.standard_normal(tuple(y.shape)).astype(dtype_name(y)) for _, _, y in pairs]
    b_s = sum((y * torch.from_numpy(w)).sum() for (_, _, y), w in zip(pairs, ws))
    b_h = torch.autograd.grad(b_s, theirs.grad_inputs, allow_unused=True)
    # a tapegrad gradient that does not require grad is constant in the inputs: its part is zero
    ours_pairs = [(x, w) for (_, x, _), w in zip(pairs, ws) if x is not None and x.requires_grad]
    try:
        if not ours_pairs:
            a_h: Any = [None] * len(ours.grad_inputs)
        else:
            a_s = sum((x * tapegrad.tensor(w)).sum() for x, w in ours_pairs)
            a_h = tapegrad.autograd.grad(a_s, ours.grad_inputs, allow_unused=True)
    except Exception as exc:  # noqa: BLE001
        return [f"second-order backward raises {type(exc).__name__}: {str(exc)[:200]}"]
    return [p for p in (compare_tensors(f"second-order grad {i}", x, y)
                        for i, (x, y) in enumerate(zip(a_h, b_h))) if p]


# ---------------------------------------------------------------------------- a test item
def run_cases(spec: OpSpec, cases: list[Case], check: str, seed: int) -> None:
    """Run every case; fail once, listing every mismatching case."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NumPy's RuntimeWarnings at NaN/inf points are not what is compared
        _run_cases(spec, cases, check, seed)


def _run_cases(spec: OpSpec, cases: list[Case], check: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    failures: list[str] = []
    for case in cases:
        try:
            if check in ("forward", "errors"):
                problems = compare_forward(*both(spec, case, requires_grad=False))
            else:
                problems = compare_grads(spec, case, rng, second=check == "grad2")
        except Exception as exc:  # noqa: BLE001 - e.g. a result whose dtype tapegrad cannot name
            problems = [f"comparing raised {type(exc).__name__}: {str(exc)[:200]}"]
        if problems:
            failures.append(f"{case_text(spec, case)}: " + "; ".join(problems))
    if failures:
        shown = "\n  ".join(failures[:8])
        more = f"\n  ... and {len(failures) - 8} more" if len(failures) > 8 else ""
        raise Mismatch(f"{spec.name} {check}: {len(failures)} of {len(cases)} cases differ from "
                       f"PyTorch:\n  {shown}{more}")
