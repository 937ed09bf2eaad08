"""The conformance kit: prove a registered op right from its registration alone.

``check_op("softplus")`` runs every check that applies to the op and raises one
``AssertionError`` listing each failure with the op, the check and the input.
``parametrize_with_op_checks`` gives pytest one test per op x check, so a plugin's CI
shows exactly what broke (scikit-learn's ``parametrize_with_checks`` does the same).

Checks (``CHECKS`` in order): metadata, gradients, higher_order, broadcasting,
python_scalars, dtypes, no_mutation, no_grad, backends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from .. import autograd
from ..dispatch import _rename_params
from ..graph import ShapeDtype
from ..grad_mode import no_grad
from ..optable import lookup, table
from ..registry import OpDef
from ..tensor import Tensor, _wrap
from .gradcheck import TOLERANCES, check_grads
from .samples import Sample, domain_of, materialize, samples_for

__all__ = ["check_op", "parametrize_with_op_checks", "op_checks", "ops_of_plugin", "CHECKS", "OpCheck"]

SEED = 20241126


@dataclass(frozen=True)
class Context:
    """What one check needs: the op, its samples, and the kit's options."""

    op: OpDef
    samples: list[Sample]
    dtypes: tuple[str, ...]
    order: int
    backends: tuple[str, ...] | None


def _leaves(op: OpDef, values: Sequence[Any], requires: bool = True) -> list[Any]:
    """Wrap sample arrays as tensors; differentiable float inputs require grad."""
    out = []
    for i, v in enumerate(values):
        if isinstance(v, np.ndarray):
            t = _wrap(v)
            if requires and op.differentiable_op and op.input_differentiable(i) and v.dtype.kind == "f":
                t.requires_grad_(True)
            out.append(t)
        else:
            out.append(v)
    return out


def _call(op: OpDef, args: Sequence[Any], params: Mapping[str, Any]) -> Tensor:
    """Run the op; several results (``split``, ``max(x, dim)``) become one tensor to check:
    their floating results flattened and concatenated (integer ones, like indices, carry
    no gradient)."""
    out = op.apply(*args, **params)
    if type(out) is Tensor or not isinstance(out, (tuple, list)):
        return out
    parts = [t.reshape(-1) for t in out if type(t) is Tensor and t.is_floating_point()]
    if not parts:
        raise AssertionError(f"op {op.name!r} returned no floating tensor to check")
    return parts[0] if len(parts) == 1 else lookup("cat").apply(parts, dim=0)


def _runner(op: OpDef, params: Mapping[str, Any]) -> Callable[..., Tensor]:
    def run(*xs: Any) -> Tensor:
        return _call(op, xs, params)

    run.__name__ = op.name
    return run


def _fail(ctx: Context, check: str, sample: Any, detail: str) -> AssertionError:
    return AssertionError(f"op {ctx.op.name!r} (plugin {ctx.op.plugin!r}) failed check {check!r} for {sample!r}: {detail}")


def _check_grads(ctx: Context, check: str, sample: Any, params: Mapping[str, Any], args: list[Any],
                 order: int, seed: int) -> None:
    """Central-difference check of the op on ``args``, reported as a failure of ``check``."""
    try:
        check_grads(_runner(ctx.op, params), args, order=order, name=ctx.op.name, seed=seed)
    except AssertionError as exc:
        raise _fail(ctx, check, sample, str(exc)) from None


# ---------------------------------------------------------------------------- the checks
def check_metadata(ctx: Context) -> None:
    """The registration is coherent: arity, rules, domains, samples and bindings agree."""
    op = ctx.op
    problems = []
    if op.nin is not None and op.vjps is not None and len(op.vjps) != op.nin:
        problems.append(f"{len(op.vjps)} VJP rules for {op.nin} inputs")
    if op.domain is not None:
        if op.nin is not None and len(op.domain) > op.nin:
            problems.append(f"domain lists {len(op.domain)} inputs, forward takes {op.nin}")
        for i, d in enumerate(op.domain):
            if d is not None and (len(d) != 2 or (None not in d and not d[0] < d[1])):
                problems.append(f"domain of input {i} must be (low, high) with low < high, got {d!r}")
    required = [] if op.composite else _required_params(op)
    if required and op.samples is None and ctx.samples == samples_for(op):
        problems.append(f"forward requires params {required}: declare samples=[Sample(..., {required[0]}=...)]")
    for sample in ctx.samples:
        if not isinstance(sample, Sample):
            problems.append(f"samples must be tapegrad.testing.Sample objects, got {sample!r}")
        elif op.nin is not None and len(sample.inputs) != op.nin:
            problems.append(f"{sample!r} has {len(sample.inputs)} inputs, forward takes {op.nin}")
    for method in op.methods:
        if getattr(Tensor, method, None) is not op.apply:
            problems.append(f"declares Tensor method {method!r} but Tensor.{method} is not this op")
    for public in (op.name, *op.aliases):
        if table().ops.get(public) is not op:
            problems.append(f"name {public!r} does not resolve to this op")
    import tapegrad

    if getattr(tapegrad, op.name, None) is not op.apply or getattr(tapegrad.ops, op.name, None) is not op.apply:
        problems.append(f"tapegrad.{op.name} / tapegrad.ops.{op.name} is not this op")
    if problems:
        raise _fail(ctx, "metadata", "the registration", "; ".join(problems))


def _required_params(op: OpDef) -> list[str]:
    import inspect

    try:
        parameters = inspect.signature(op.forward).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in parameters if p.kind is p.KEYWORD_ONLY and p.default is p.empty]


def check_gradients(ctx: Context) -> None:
    """First-order VJPs agree with central differences (float64), per sample and input."""
    for k, sample in enumerate(ctx.samples):
        args = _leaves(ctx.op, materialize(ctx.op, sample, "float64", SEED + k))
        _check_grads(ctx, "gradients", sample, sample.params, args, 1, SEED + k)


def check_higher_order(ctx: Context) -> None:
    """Derivatives up to ``order`` are right; an op declaring no second order refuses create_graph."""
    op = ctx.op
    for k, sample in enumerate(ctx.samples):
        args = _leaves(op, materialize(op, sample, "float64", SEED + k))
        if op.second_order:
            _check_grads(ctx, "higher_order", sample, sample.params, args, ctx.order, SEED + k)
            continue
        out = _call(op, args, sample.params)
        wrt = [a for a in args if type(a) is Tensor and a.requires_grad]
        try:
            autograd.grad(out.sum() if out.ndim else out, wrt, create_graph=True)
        except RuntimeError as exc:
            if op.name not in str(exc):
                raise _fail(ctx, "higher_order", sample, f"the create_graph error does not name the op: {exc}") from None
        else:
            raise _fail(ctx, "higher_order", sample, "declares second_order=False but create_graph=True did not raise")


def _broadcast_variants(op: OpDef) -> list[Sample]:
    base = (2, 3)
    variants = []
    for i in range(op.nin or 0):
        for shape in ((3,), (2, 1), ()):
            variants.append(Sample(*[shape if j == i else base for j in range(op.nin or 0)]))
    return variants


def check_broadcasting(ctx: Context) -> None:
    """Inputs of different but broadcastable shapes: NumPy's result shape, and right gradients."""
    op = ctx.op
    for k, sample in enumerate(_broadcast_variants(op)):
        params = ctx.samples[0].params if ctx.samples else {}
        args = _leaves(op, materialize(op, sample, "float64", SEED + k))
        out = _call(op, args, params)
        expected = np.broadcast_shapes(*[tuple(s) for s in sample.inputs])
        if tuple(out.shape) != expected:
            raise _fail(ctx, "broadcasting", sample, f"result shape {tuple(out.shape)}, expected {expected}")
        if op.differentiable_op:
            _check_grads(ctx, "broadcasting", sample, params, args, 1, SEED + k)


def check_python_scalars(ctx: Context) -> None:
    """A Python number in any position works, never widens float32, and gradients stay right."""
    op = ctx.op
    params = ctx.samples[0].params if ctx.samples else {}
    for i in range(op.nin or 0):
        low, high = domain_of(op, i)
        scalar = float((low + high) / 2) or 0.5
        shape_sample = Sample(*[scalar if j == i else (3,) for j in range(op.nin or 0)])
        args32 = _leaves(op, materialize(op, shape_sample, "float32", SEED + i), requires=False)
        out = _call(op, args32, params)
        if out.dtype.name == "float64":  # bool results (comparisons) are fine; widening is not
            raise _fail(ctx, "python_scalars", shape_sample, f"float32 inputs with a Python scalar gave {out.dtype}")
        if op.differentiable_op and any(op.input_differentiable(j) for j in range(op.nin or 0) if j != i):
            args = _leaves(op, materialize(op, shape_sample, "float64", SEED + i))
            _check_grads(ctx, "python_scalars", shape_sample, params, args, 1, SEED + i)


def check_dtypes(ctx: Context) -> None:
    """Each cotangent has its input's shape and dtype, for every supported float dtype."""
    op = ctx.op
    for dtype in ctx.dtypes:
        for k, sample in enumerate(ctx.samples):
            args = _leaves(op, materialize(op, sample, dtype, SEED + k))
            wrt = [a for a in args if type(a) is Tensor and a.requires_grad]
            out = _call(op, args, sample.params)
            if not wrt or not out.requires_grad:
                continue
            u = _wrap(np.ones(tuple(out.shape), dtype=out._data.dtype))
            grads = autograd.grad(out, wrt, u, allow_unused=True)
            for position, (x, g) in enumerate(zip(wrt, grads)):
                if g is None:
                    continue
                if tuple(g.shape) != tuple(x.shape) or g._data.dtype != x._data.dtype:
                    raise _fail(ctx, "dtypes", sample, (
                        f"[{dtype}] cotangent {position} has shape {tuple(g.shape)} and dtype {g._data.dtype}, "
                        f"expected {tuple(x.shape)} and {x._data.dtype}"))


def check_no_mutation(ctx: Context) -> None:
    """The forward leaves its inputs as they were, and the VJP leaves ``g`` as it was."""
    op = ctx.op
    xp = table().backends["numpy"].xp
    for k, sample in enumerate(ctx.samples):
        arrays = materialize(op, sample, "float64", SEED + k)
        params = _rename_params(op, sample.params) if op.param_aliases else sample.params
        before = [a.copy() if isinstance(a, np.ndarray) else a for a in arrays]
        out = op.forward(xp, *arrays, **params)
        for i, (a, b) in enumerate(zip(arrays, before)):
            if isinstance(a, np.ndarray) and not np.array_equal(a, b, equal_nan=True):
                raise _fail(ctx, "no_mutation", sample, f"forward modified input {i}")
            if not op.view and isinstance(a, np.ndarray) and np.shares_memory(out, a):
                # in-place writes into the result would change the input behind autograd's back
                raise _fail(ctx, "no_mutation", sample, f"forward returned memory of input {i}; copy it, or "
                                                         "register the op with view=True")
        if not op.has_vjp:
            continue
        out = np.asarray(out)
        g = np.random.default_rng(SEED).standard_normal(out.shape)
        g_before = g.copy()
        inputs = arrays if op.saves_inputs else [
            ShapeDtype(a.shape, a.dtype) if isinstance(a, np.ndarray) else a for a in arrays]
        saved_out = out if op.saves_output else None
        if op.vjp_all is not None:
            op.vjp_all(xp, g, saved_out, *inputs, **params)
        else:
            for k_rule, rule in enumerate(op.vjps or ()):
                if rule is not None:
                    full = rule(xp, g, saved_out, *inputs, **params)
                    if op.reads is not None:
                        _check_reads(ctx, sample, rule, k_rule, op.reads[k_rule], full, g, out, arrays, params)
        if not np.array_equal(g, g_before, equal_nan=True):
            raise _fail(ctx, "no_mutation", sample, "the VJP modified the incoming cotangent g")
        for i, (a, b) in enumerate(zip(arrays, before)):
            if isinstance(a, np.ndarray) and not np.array_equal(a, b, equal_nan=True):
                raise _fail(ctx, "no_mutation", sample, f"the VJP modified input {i}")


def _check_reads(ctx: Context, sample: Any, rule: Callable[..., Any], i: int, reads: tuple, full: Any, g: Any,
                 out: Any, arrays: Sequence[Any], params: Mapping[str, Any]) -> None:
    """Rule ``i`` gives the same cotangent with only what ``reads`` declares it reads."""
    given = [a if k in reads or not isinstance(a, np.ndarray) else ShapeDtype(a.shape, a.dtype)
             for k, a in enumerate(arrays)]
    try:
        alone = rule(table().backends["numpy"].xp, g, out if "output" in reads else None, *given, **params)
    except Exception as exc:
        raise _fail(ctx, "no_mutation", sample, f"the VJP for input {i} reads more than reads={reads} ({exc})")
    if not np.allclose(np.asarray(alone), np.asarray(full), equal_nan=True):
        raise _fail(ctx, "no_mutation", sample, f"the VJP for input {i} reads more than reads={reads}")


def check_no_grad(ctx: Context) -> None:
    """Under ``no_grad`` the result records nothing (an op may return an input itself, as
    ``contiguous`` does: that input is no new record)."""
    op = ctx.op
    for k, sample in enumerate(ctx.samples):
        args = _leaves(op, materialize(op, sample, "float64", SEED + k))
        with no_grad():
            out = _call(op, args, sample.params)
        if any(out is a for a in args):
            continue  # the input itself (x.double() of a float64 x, as PyTorch's): nothing was recorded
        if out.grad_fn is not None or out.requires_grad:
            raise _fail(ctx, "no_grad", sample, "a graph node was recorded under no_grad")


def _other_backends(ctx: Context) -> list[str]:
    names = [n for n in table().backends if n != "numpy"]
    if ctx.backends is not None:
        names = [n for n in names if n in ctx.backends]
    if ctx.op.backends is not None:
        names = [n for n in names if n in ctx.op.backends]
    return names


def check_backends(ctx: Context) -> None:
    """On every other backend the op supports: NumPy's values and NumPy's gradients."""
    op = ctx.op
    for backend in _other_backends(ctx):
        for k, sample in enumerate(ctx.samples):
            arrays = materialize(op, sample, "float64", SEED + k)
            reference = _leaves(op, arrays)
            moved_leaves = _leaves(op, [a.copy() if isinstance(a, np.ndarray) else a for a in arrays])
            moved = [a.to(backend) if type(a) is Tensor else a for a in moved_leaves]
            try:
                want, got = _call(op, reference, sample.params), _call(op, moved, sample.params)
            except Exception as exc:
                raise _fail(ctx, "backends", sample, f"[{backend}] forward raised {type(exc).__name__}: {exc}") from None
            got_np = np.asarray(got.detach().to("numpy")._data)
            if got_np.shape != want._data.shape or not np.allclose(got_np, want._data, rtol=1e-10, atol=1e-12, equal_nan=True):
                raise _fail(ctx, "backends", sample, f"[{backend}] forward differs from NumPy's")
            if not (op.differentiable_op and want.requires_grad):
                continue
            wrt_ref = [a for a in reference if type(a) is Tensor and a.requires_grad]
            wrt_moved = [a for a in moved_leaves if type(a) is Tensor and a.requires_grad]
            u = np.random.default_rng(SEED).standard_normal(want._data.shape)
            try:
                g_ref = autograd.grad(want, wrt_ref, _wrap(u), allow_unused=True)
                g_got = autograd.grad(got, wrt_moved, _wrap(u).to(backend), allow_unused=True)
            except Exception as exc:
                raise _fail(ctx, "backends", sample, f"[{backend}] backward raised {type(exc).__name__}: {exc}") from None
            for i, (a, b) in enumerate(zip(g_ref, g_got)):
                if a is None or b is None:
                    if (a is None) != (b is None):
                        raise _fail(ctx, "backends", sample, f"[{backend}] gradient {i} is missing on one side")
                    continue
                if not np.allclose(a._data, b._data, rtol=1e-10, atol=1e-12):
                    raise _fail(ctx, "backends", sample, f"[{backend}] gradient {i} differs from NumPy's")


# name -> (check, applies to op?)
CHECKS: dict[str, tuple[Callable[[Context], None], Callable[[Context], bool]]] = {
    "metadata": (check_metadata, lambda c: True),
    "gradients": (check_gradients, lambda c: c.op.differentiable_op),
    "higher_order": (check_higher_order, lambda c: c.op.differentiable_op and c.order >= 2),
    "broadcasting": (check_broadcasting, lambda c: c.op.broadcasts and (c.op.nin or 0) >= 2),
    "python_scalars": (check_python_scalars, lambda c: c.op.broadcasts and (c.op.nin or 0) >= 2),
    "dtypes": (check_dtypes, lambda c: c.op.differentiable_op),
    # composites have no forward of their own to run on raw arrays
    "no_mutation": (check_no_mutation, lambda c: not c.op.composite
                    and (c.op.backends is None or "numpy" in c.op.backends)),
    "no_grad": (check_no_grad, lambda c: True),
    "backends": (check_backends, lambda c: bool(_other_backends(c))),
}


def _context(name: str, samples: Sequence[Sample] | None, dtypes: Sequence[str] | None, order: int,
             backends: Sequence[str] | None) -> Context:
    op = lookup(name)
    chosen = tuple(dtypes) if dtypes is not None else (op.dtypes or ("float32", "float64"))
    unknown = [d for d in chosen if d not in TOLERANCES]
    if unknown:
        raise ValueError(f"dtypes must be among {sorted(TOLERANCES)}, got {unknown}")
    return Context(op, samples_for(op, samples), chosen, order, None if backends is None else tuple(backends))


def op_checks(name: str, *, samples: Sequence[Sample] | None = None, dtypes: Sequence[str] | None = None,
              order: int = 2, backends: Sequence[str] | None = None) -> list[OpCheck]:
    """The checks that apply to op ``name``, each a callable that raises on failure."""
    ctx = _context(name, samples, dtypes, order, backends)
    return [OpCheck(name, check, ctx) for check, (_, applies) in CHECKS.items() if applies(ctx)]


@dataclass(frozen=True)
class OpCheck:
    """One check of one op; calling it runs the check."""

    op: str
    check: str
    context: Context

    def __call__(self) -> None:
        # Look the op up again: the table may have been rebuilt since collection.
        ctx = self.context
        fresh = Context(lookup(self.op), ctx.samples, ctx.dtypes, ctx.order, ctx.backends)
        CHECKS[self.check][0](fresh)

    @property
    def id(self) -> str:
        return f"{self.op}-{self.check}"


def check_op(name: str, *, samples: Sequence[Sample] | None = None, dtypes: Sequence[str] | None = None,
             order: int = 2, backends: Sequence[str] | None = None) -> None:
    """Run every applicable check on op ``name``; raise one AssertionError listing all failures.

    ``samples`` override the op's declared samples; ``dtypes`` the float dtypes checked for
    cotangent dtypes (default: declared, else float32 and float64); ``order`` the highest
    derivative checked; ``backends`` limits which non-NumPy backends are tried.
    """
    failures = []
    for item in op_checks(name, samples=samples, dtypes=dtypes, order=order, backends=backends):
        try:
            item()
        except AssertionError as exc:
            failures.append(str(exc))
        except Exception as exc:  # an op that crashes a check fails it, with the cause
            failures.append(f"op {name!r} failed check {item.check!r}: {type(exc).__name__}: {exc}")
    if failures:
        raise AssertionError("\n".join(failures))


def ops_of_plugin(plugin: str) -> list[str]:
    """The canonical names of the ops registered by ``plugin``."""
    names = [op.name for op in table().canonical_ops() if op.plugin == plugin]
    if not names and plugin not in {p.name for p in table().plugins}:
        raise ValueError(f"no plugin named {plugin!r} is loaded; loaded: {[p.name for p in table().plugins]}")
    return names


def parametrize_with_op_checks(ops: Iterable[str], *,
                               expected_failures: Mapping[str, str] | None = None, **options: Any) -> Any:
    """A ``pytest.mark.parametrize`` giving one test per op x check, with ids ``op-check``.

    Use as ``@parametrize_with_op_checks(["softplus"])`` on ``def test_op(op_check): op_check()``.
    ``expected_failures`` maps ``"op-check"`` ids to a reason; those are strict xfails,
    so fixing one is noticed. Other keywords go to ``op_checks``.
    """
    import pytest

    expected = dict(expected_failures or {})
    params = []
    for name in ops:
        for item in op_checks(name, **options):
            marks = [pytest.mark.xfail(reason=expected.pop(item.id), strict=True, raises=AssertionError)] \
                if item.id in expected else []
            params.append(pytest.param(item, id=item.id, marks=marks))
    if expected:
        raise ValueError(f"expected_failures name checks that do not exist: {sorted(expected)}")
    return pytest.mark.parametrize("op_check", params)
