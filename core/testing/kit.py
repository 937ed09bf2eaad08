"""The conformance kit: prove a registered op right from its registration alone.

``check_op("softplus")`` runs every check that applies to the op and raises one
``AssertionError`` listing each failure with the op, the check and the input.
``parametrize_with_op_checks`` gives pytest one test per op x check, so a plugin's CI
shows exactly what broke (scikit-learn's ``parametrize_with_checks`` does the same).

Checks (``CHECKS`` in order): metadata, gradients, missing_rules, higher_order,
broadcasting, python_scalars, dtypes, no_mutation, buffer_reuse, view_writes, no_grad, integer_results, backends, strided,
layout, reference, edge_cases, batching, forward_mode. For an op that broadcasts, the broadcasting and Python-scalar
variants of its first sample join its samples, so every check runs on them too.
"""

from __future__ import annotations

import contextlib
import re
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np

from .. import autograd
from ..backends import UnknownSizeError, has_unknown_size, numpy_dtype_of, to_numpy
from ..creation import as_tensor
from ..dispatch import _rename_params
from ..dtypes import float64
from ..graph import ShapeDtype
from ..grad_mode import no_grad
from ..optable import is_function_of, lookup, table
from ..registry import OpDef
from ..tensor import Tensor, _wrap
from .gradcheck import TOLERANCES, _describe, check_grads, directional_derivative
from . import stricter
from .buffer_reuse import check_buffer_reuse
from .layout import check_layout
from .samples import EdgeCase, Sample, Verbatim, domain_of, materialize, pack, samples_for
from .strided import LAYOUTS, layouts_for, strided_view

__all__ = ["check_op", "parametrize_with_op_checks", "op_checks", "ops_of_plugin", "CHECKS", "OpCheck"]

SEED = 20241126
VALUE_RTOL = 1e-12  # forwards against references and declared points: a few ulps, element by element


@dataclass(frozen=True)
class Context:
    """What one check needs: the op, its samples, and the kit's options."""

    op: OpDef
    samples: list[Sample]
    dtypes: tuple[str, ...]
    order: int
    backends: tuple[str, ...] | None

    @property
    def variants(self) -> list[Sample]:
        """Broadcasting and Python-scalar variants of the first sample (ops that broadcast)."""
        if not (self.op.broadcasts and (self.op.nin or 0) >= 2):
            return []
        return _broadcast_variants(self.op, self.params) + _scalar_variants(self.op, self.params)

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.samples[0].params) if self.samples else {}

    @property
    def all_samples(self) -> list[Sample]:
        return self.samples + self.variants


def _leaves(op: OpDef, values: Sequence[Any], requires: bool = True,
            make: Callable[[np.ndarray], Tensor] = _wrap) -> list[Any]:
    """Wrap sample arrays as tensors (``make``: how, by default NumPy ones); differentiable float
    inputs require grad; a ``Verbatim`` input is passed as written."""
    out = []
    for i, v in enumerate(values):
        if type(v) is Verbatim:
            out.append(v.value)
        elif isinstance(v, np.ndarray):
            t = make(v)
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
    return _joined(op, _apply(op, args, params))


def _joined(op: OpDef, out: Any) -> Tensor:
    """The op's result as one tensor to check (see ``_call``)."""
    if type(out) is Tensor or not isinstance(out, (tuple, list)):
        return out
    parts = [t.reshape(-1) for t in out if type(t) is Tensor and t.is_floating_point()]
    if not parts:
        raise AssertionError(f"op {op.name!r} returned no floating tensor to check")
    return parts[0] if len(parts) == 1 else lookup("cat").apply(parts, dim=0)


# In-place writes into such a result would change the input behind autograd's back.
_ALIASED = "forward returned memory of input {}; copy it, or register the op with view=True"


def _aliased_input(out: Any, inputs: Sequence[Any]) -> int | None:
    """The position of a NumPy input whose memory a NumPy result (or one of several) shares, if any: the
    input itself counts too, empty or not (an empty array shares no memory, but the same object's
    in-place writes and version counter are the input's)."""
    results = [o for o in _results(out) if isinstance(o, np.ndarray)]
    for i, a in enumerate(inputs):
        if isinstance(a, np.ndarray) and any(o is a or np.shares_memory(o, a) for o in results):
            return i
    return None


def _apply(op: OpDef, args: Sequence[Any], params: Mapping[str, Any]) -> Any:
    """``op.apply(*args, **params)``, a sample's grouped inputs passed as one list (an op declaring
    ``random`` with tapegrad's generator seeded alike for every call: see ``_seeded``)."""
    call, real = pack(args, dict(params))
    if op.random:
        with _seeded():
            return op.apply(*call, **real)
    return op.apply(*call, **real)


@contextlib.contextmanager
def _seeded() -> Iterator[None]:
    """tapegrad's generator seeded with the kit's seed for the block, then put back as it was: every
    call of a random op draws the same numbers, so finite differences, references and the other
    backends see one function of the inputs, and the user's own stream is left alone."""
    from .. import creation

    saved = creation._generator
    creation.manual_seed(SEED)
    try:
        yield
    finally:
        creation._generator = saved


def _runner(op: OpDef, params: Mapping[str, Any]) -> Callable[..., Tensor]:
    def run(*xs: Any) -> Tensor:
        return _call(op, xs, params)

    run.__name__ = op.name
    return run


def _fail(ctx: Context, check: str, sample: Any, detail: str, args: Sequence[Any] | None = None) -> AssertionError:
    inputs = f"; inputs: {_describe(args)}" if args is not None and "inputs: [" not in detail else ""
    return AssertionError(
        f"op {ctx.op.name!r} (plugin {ctx.op.plugin!r}) failed check {check!r} for {sample!r}: {detail}{inputs}")


_NUMPY_ON_TENSORS = "Can't call numpy() on Tensor that requires grad"


def _explain(exc: BaseException, op: OpDef | None = None) -> str:
    """What an exception raised inside an op means for its author."""
    if isinstance(exc, stricter.Refusal):  # the stricter namespace's own, by its built-in type: it says what is missing
        return f"{next(c for c in type(exc).__mro__ if c.__module__ == 'builtins').__name__}: {exc}"
    text = f"{type(exc).__name__}: {exc}"
    users = _numpy_users(op) if op is not None else []
    if _NUMPY_ON_TENSORS in str(exc) or _numpy_called_on_foreign_arrays(exc) or users:
        who = f" ({', '.join(users)} uses NumPy)" if users else ""
        return (f"the VJP (or forward) calls NumPy directly instead of xp{who}: under create_graph=True it "
                f"receives tensors, and on other backends their arrays, so write it with xp functions "
                f"and Python operators only ({text})")
    return text


def _numpy_users(op: OpDef) -> list[str]:
    """The op's VJP rules (and forward, unless NumPy-only) whose code names the NumPy module."""
    import types

    functions = [("VJP", f) for f in (op.vjps or ()) if f is not None]
    if op.vjp_all is not None:
        functions.append(("VJP", op.vjp_all))
    if op.backends is None or op.backends != ("numpy",):
        functions.append(("forward", op.forward))
    found = []
    for role, f in functions:
        code, names = getattr(f, "__code__", None), getattr(f, "__globals__", {})
        if code is None:
            continue
        for name in code.co_names:
            value = names.get(name)
            if isinstance(value, types.ModuleType) and value.__name__.split(".")[0] == "numpy":
                found.append(f"the {role} {getattr(f, '__qualname__', '?')}")
                break
    return found


def _numpy_called_on_foreign_arrays(exc: BaseException) -> bool:
    """Whether the failure comes from a NumPy function called directly from plugin code."""
    import os

    numpy_dir = os.path.dirname(np.__file__)
    frames = []
    tb = exc.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame.f_code.co_filename)
        tb = tb.tb_next
    import tapegrad

    core_dir = os.path.dirname(tapegrad.__file__)
    for caller, callee in zip(frames, frames[1:]):
        if callee.startswith(numpy_dir) and not caller.startswith((numpy_dir, core_dir)):
            return True
    return False


def _each(ctx: Context, check: str, samples: Sequence[Sample],
          body: Callable[[int, Sample], None]) -> None:
    """Run ``body`` on every sample; anything but the kit's own verdict becomes a failure of
    ``check`` naming the sample and its inputs."""
    for k, sample in enumerate(samples):
        try:
            body(k, sample)
        except AssertionError as exc:
            if str(exc).startswith(f"op {ctx.op.name!r}"):
                raise
            raise _fail(ctx, check, sample, str(exc), _inputs(ctx, sample, k)) from None
        except Exception as exc:
            raise _fail(ctx, check, sample, _explain(exc, _suspect(ctx, check)), _inputs(ctx, sample, k)) from None


def _suspect(ctx: Context, check: str) -> OpDef | None:
    """The op, where NumPy called directly is a likely cause of a crash: off plain NumPy arrays."""
    return ctx.op if check in ("higher_order", "backends") else None


def _inputs(ctx: Context, sample: Sample, k: int) -> list[Any] | None:
    try:
        return materialize(ctx.op, sample, "float64", SEED + k)
    except Exception:
        return None


def _check_grads(ctx: Context, check: str, sample: Any, params: Mapping[str, Any], args: list[Any],
                 order: int, seed: int) -> None:
    """Central-difference check of the op on ``args``, reported as a failure of ``check``."""
    if not any(type(a) is Tensor and a.requires_grad for a in args):
        return  # e.g. a Python number in the only position with a VJP rule
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

    if not (is_function_of(getattr(tapegrad, op.name, None), op)
            and is_function_of(getattr(tapegrad.ops, op.name, None), op)):
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
    def one(k: int, sample: Sample) -> None:
        args = _leaves(ctx.op, materialize(ctx.op, sample, "float64", SEED + k))
        _check_grads(ctx, "gradients", sample, sample.call_params, args, 1, SEED + k)

    _each(ctx, "gradients", ctx.all_samples, one)


def _zero_declared(op: OpDef, i: int) -> bool:
    return i < len(op.zero_gradient) and op.zero_gradient[i]


def _probed(op: OpDef, i: int) -> bool:
    """Inputs whose gradient the kit takes from finite differences alone: no rule, or declared zero."""
    return not (op.differentiable_op and op.input_differentiable(i)) or _zero_declared(op, i)


def check_missing_rules(ctx: Context) -> None:
    """A float input with no VJP rule really has a zero derivative (central differences), and so
    does an input declared ``zero_gradient``; otherwise its gradient would silently be lost."""
    op = ctx.op
    _, _, atol = TOLERANCES["float64"]

    def one(k: int, sample: Sample) -> None:
        arrays = materialize(op, sample, "float64", SEED + k)
        args = _leaves(op, arrays, requires=False)
        for i, a in enumerate(arrays):
            if not (isinstance(a, np.ndarray) and a.dtype.kind == "f" and _probed(op, i)):
                continue
            slope = directional_derivative(_runner(op, sample.call_params), args, i, SEED + k)
            if not abs(slope) <= atol:  # NaN fails too
                if _zero_declared(op, i):
                    detail = (f"declares zero_gradient for input {i}, but its central-difference derivative "
                              f"is {slope!r}")
                else:
                    detail = (f"input {i} has no VJP rule, so its gradient is silently taken to be zero, "
                              f"but its central-difference derivative is {slope!r}: give it a rule, or "
                              f"declare zero_gradient if the derivative is zero by definition")
                raise _fail(ctx, "missing_rules", sample, detail, arrays)

    _each(ctx, "missing_rules", ctx.all_samples, one)


def check_higher_order(ctx: Context) -> None:
    """Derivatives up to ``order`` are right, and the first under ``create_graph=True`` equals the
    plain one; an op declaring no second order refuses create_graph."""
    op = ctx.op

    def one(k: int, sample: Sample) -> None:
        args = _leaves(op, materialize(op, sample, "float64", SEED + k))
        if op.second_order:
            _check_grads(ctx, "higher_order", sample, sample.call_params, args, ctx.order, SEED + k)
            return
        out = _call(op, args, sample.call_params)
        wrt = [a for a in args if type(a) is Tensor and a.requires_grad]
        if not wrt or not out.requires_grad:
            return
        try:
            autograd.grad(out.sum() if out.ndim else out, wrt, create_graph=True)
        except RuntimeError as exc:
            if op.name not in str(exc):
                raise _fail(ctx, "higher_order", sample, f"the create_graph error does not name the op: {exc}") from None
        else:
            raise _fail(ctx, "higher_order", sample, "declares second_order=False but create_graph=True did not raise")

    _each(ctx, "higher_order", ctx.all_samples, one)


def _broadcast_variants(op: OpDef, params: Mapping[str, Any]) -> list[Sample]:
    base = (2, 3)
    variants = []
    for i in range(op.nin or 0):
        for shape in ((3,), (2, 1), ()):
            variants.append(Sample(*[shape if j == i else base for j in range(op.nin or 0)], **params))
    return variants


def _scalar_variants(op: OpDef, params: Mapping[str, Any]) -> list[Sample]:
    """A Python float in each position in turn, from the middle of that input's domain."""
    variants = []
    for i in range(op.nin or 0):
        low, high = domain_of(op, i)
        scalar = float((low + high) / 2) or 0.5
        variants.append(Sample(*[scalar if j == i else (3,) for j in range(op.nin or 0)], **params))
    return variants


def check_broadcasting(ctx: Context) -> None:
    """Inputs of different but broadcastable shapes give NumPy's result shape (the other checks
    run on these variants too)."""
    op = ctx.op

    def one(k: int, sample: Sample) -> None:
        args = _leaves(op, materialize(op, sample, "float64", SEED + k))
        out = _call(op, args, sample.call_params)
        expected = np.broadcast_shapes(*[tuple(s) for s in sample.inputs])
        if tuple(out.shape) != expected:
            raise _fail(ctx, "broadcasting", sample, f"result shape {tuple(out.shape)}, expected {expected}", args)

    _each(ctx, "broadcasting", _broadcast_variants(op, ctx.params), one)


def check_python_scalars(ctx: Context) -> None:
    """A Python number in any position works and never widens float32 (the other checks run on
    these variants too)."""
    op = ctx.op

    def one(k: int, sample: Sample) -> None:
        args32 = _leaves(op, materialize(op, sample, "float32", SEED + k), requires=False)
        out = _call(op, args32, sample.call_params)
        if out.dtype.name == "float64":  # bool results (comparisons) are fine; widening is not
            raise _fail(ctx, "python_scalars", sample, f"float32 inputs with a Python scalar gave {out.dtype}", args32)

    _each(ctx, "python_scalars", _scalar_variants(op, ctx.params), one)


def check_dtypes(ctx: Context) -> None:
    """Each cotangent has its input's shape and dtype, for every supported float dtype."""
    op = ctx.op
    for dtype in ctx.dtypes:
        def one(k: int, sample: Sample) -> None:
            args = _leaves(op, materialize(op, sample, dtype, SEED + k))
            wrt = [a for a in args if type(a) is Tensor and a.requires_grad]
            out = _call(op, args, sample.call_params)
            if not wrt or not out.requires_grad:
                return
            u = _wrap(np.ones(tuple(out.shape), dtype=out._data.dtype))
            grads = autograd.grad(out, wrt, u, allow_unused=True)
            for position, (x, g) in enumerate(zip(wrt, grads)):
                if g is None:
                    continue
                if tuple(g.shape) != tuple(x.shape) or g._data.dtype != x._data.dtype:
                    raise _fail(ctx, "dtypes", sample, (
                        f"[{dtype}] cotangent {position} has shape {tuple(g.shape)} and dtype {g._data.dtype}, "
                        f"expected {tuple(x.shape)} and {x._data.dtype}"), args)

        _each(ctx, "dtypes", ctx.all_samples, one)


def check_no_mutation(ctx: Context) -> None:
    """The forward leaves its inputs as they were, and the VJP leaves ``g`` as it was."""
    op = ctx.op
    xp = table().backends["numpy"].xp

    def one(k: int, sample: Sample) -> None:
        arrays = materialize(op, sample, "float64", SEED + k)
        params = _rename_params(op, sample.params) if op.param_aliases else sample.params
        before = [a.copy() if isinstance(a, np.ndarray) else a for a in arrays]
        with _seeded() if op.random else contextlib.nullcontext():
            out = op.forward(xp, *arrays, **params)
        for i, (a, b) in enumerate(zip(arrays, before)):
            if isinstance(a, np.ndarray) and not np.array_equal(a, b, equal_nan=True):
                raise _fail(ctx, "no_mutation", sample, f"forward modified input {i}", before)
        if not op.view and (shared := _aliased_input(out, arrays)) is not None:
            raise _fail(ctx, "no_mutation", sample, _ALIASED.format(shared), before)
        if not op.view and isinstance(out, np.ndarray) and not out.flags.writeable:
            # a broadcast (or otherwise read-only) array: the result's in-place methods would fail
            raise _fail(ctx, "no_mutation", sample, "forward returned a read-only array (a broadcast_to view?); "
                                                     "copy it, or register the op with view=True", before)
        if not op.has_vjp:
            return
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
            raise _fail(ctx, "no_mutation", sample, "the VJP modified the incoming cotangent g", before)
        for i, (a, b) in enumerate(zip(arrays, before)):
            if isinstance(a, np.ndarray) and not np.array_equal(a, b, equal_nan=True):
                raise _fail(ctx, "no_mutation", sample, f"the VJP modified input {i}", before)

    _each(ctx, "no_mutation", ctx.all_samples, one)


def check_view_writes(ctx: Context) -> None:
    """A view op's result writes through: ``out.add_(1)`` under ``no_grad`` changes the (fresh, float)
    input by 1 exactly at the elements the view maps (found by running the op on the elements'
    positions), and nowhere else, as PyTorch's views do. A result that shares no memory (a copy) is
    not a view to write through and is left alone."""
    op = ctx.op

    def one(k: int, sample: Sample) -> None:
        arrays = materialize(op, sample, "float64", SEED + k)
        base = arrays[0] if arrays else None
        if not (isinstance(base, np.ndarray) and base.dtype.kind == "f" and base.size):
            return
        before = base.copy()
        positions = np.arange(base.size, dtype=np.float64).reshape(base.shape)
        with no_grad():
            x = _wrap(base)
            out = _apply(op, [x, *_leaves(op, arrays[1:], False)], sample.params)
            if type(out) is not Tensor or not np.shares_memory(out._data, base):
                return
            mapped = np.asarray(_apply(op, [_wrap(positions), *_leaves(op, arrays[1:], False)], sample.params)._data)
            out.add_(1.0)
        expected = before.copy()
        np.add.at(expected.reshape(-1), mapped.astype(np.int64).reshape(-1), 1.0)
        if not np.array_equal(np.asarray(x._data), expected):
            changed = np.argwhere(np.asarray(x._data) != before).tolist()
            raise _fail(ctx, "view_writes", sample, f"out.add_(1) on the result changed the input at {changed}, "
                        f"where the view maps {sorted(set(mapped.astype(np.int64).reshape(-1).tolist()))} "
                        "(flat positions)", [before, *arrays[1:]])

    _each(ctx, "view_writes", ctx.all_samples, one)


def _results(out: Any) -> list[Any]:
    return list(out) if isinstance(out, (tuple, list)) else [out]


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


def _defaults(op: OpDef) -> dict[str, Any]:
    """The op's params that have a default, by its forward's signature (after ``xp`` and the inputs)."""
    import inspect

    if op.nin is None or op.variadic:
        return {}
    try:
        parameters = list(inspect.signature(op.forward).parameters.values())
    except (TypeError, ValueError):
        return {}
    first = op.nin + (0 if op.composite else 1)
    return {p.name: p.default for p in parameters[first:]
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.default is not p.empty}


def check_defaults(ctx: Context) -> None:
    """A param given at its default is the call leaving it out, as one PyTorch signature makes them: the
    same value and gradients, for the first sample leaving some out (``div(x, y, rounding_mode=None)``
    may take another path through the op than ``div(x, y)``)."""
    op = ctx.op
    defaults = _defaults(op)
    for k, sample in enumerate(ctx.samples):
        given = set(_rename_params(op, sample.params)) if op.param_aliases else set(sample.params)
        spelled = {name: value for name, value in defaults.items() if name not in given}
        if spelled:
            break
    else:
        return
    arrays = materialize(op, sample, "float64", SEED + k)
    runs = []
    for params in (sample.call_params, {**sample.call_params, **spelled}):
        args = _leaves(op, arrays)
        out = _call(op, args, params)
        wrt = [a for a in args if type(a) is Tensor and a.requires_grad]
        grads: Sequence[Any] = ()
        if wrt and out.requires_grad:
            grads = autograd.grad(out, wrt, _wrap(np.ones(tuple(out.shape), out._data.dtype)), allow_unused=True)
        runs.append((out, grads))
    (plain, plain_grads), (explicit, explicit_grads) = runs
    where = f"{sample!r} with {', '.join(f'{n}={v!r}' for n, v in spelled.items())} given"
    _compare_values(ctx, "defaults", where, explicit, plain._data, arrays)
    if len(plain_grads) != len(explicit_grads):
        raise _fail(ctx, "defaults", where, "the call records a gradient only one way", arrays)
    for i, (mine, theirs) in enumerate(zip(explicit_grads, plain_grads)):
        if (mine is None) != (theirs is None):
            raise _fail(ctx, "defaults", where, f"input {i} gets a gradient only one way", arrays)
        if mine is not None:
            _compare_values(ctx, "defaults", f"{where} (gradient {i})", mine, theirs._data, arrays)


def check_no_grad(ctx: Context) -> None:
    """Under ``no_grad`` the result records nothing (an op may return an input itself, as
    ``contiguous`` does: that input is no new record)."""
    op = ctx.op

    def one(k: int, sample: Sample) -> None:
        args = _leaves(op, materialize(op, sample, "float64", SEED + k))
        with no_grad():
            out = _call(op, args, sample.call_params)
        if any(out is a for a in args):
            return  # the input itself (x.double() of a float64 x, as PyTorch's): nothing was recorded
        if out.grad_fn is not None or out.requires_grad:
            raise _fail(ctx, "no_grad", sample, "a graph node was recorded under no_grad", args)

    _each(ctx, "no_grad", ctx.all_samples, one)


def check_integer_results(ctx: Context) -> None:
    """Integer and bool results never require grad nor carry a graph node, as PyTorch's."""
    op = ctx.op

    def one(k: int, sample: Sample) -> None:
        args = _leaves(op, materialize(op, sample, "float64", SEED + k))
        for r in _results(_apply(op, args, sample.call_params)):
            if type(r) is Tensor and not r.is_floating_point() and (r.requires_grad or r.grad_fn is not None):
                raise _fail(ctx, "integer_results", sample, (
                    f"a {r.dtype} result has grad_fn={r.grad_fn!r}: only floating results may require grad"), args)

    _each(ctx, "integer_results", ctx.all_samples, one)


def _other_backends(ctx: Context) -> list[str]:
    names = [n for n in table().backends if n != "numpy"]
    if ctx.backends is not None:
        names = [n for n in names if n in ctx.backends]
    if ctx.op.backends is not None:
        names = [n for n in names if n in ctx.op.backends]
    return names


def check_backends(ctx: Context) -> list[str]:
    """On every other backend the op supports, used as users use it: leaves made natively there
    (every variant the backend offers the kit: several chunkings, unknown sizes), ``backward()``
    with an implicit gradient, NumPy's values and gradients; on a lazy backend, no computation
    during forward and backward. On the samples and at the declared special points (their arrays
    as given, so mixed dtypes and integer inputs reach the backend too; a point that must raise
    raises there as well; a point declaring ``writes`` is left to NumPy's
    ``edge_cases`` check). On an eager backend, an op that uses what the array API leaves to the
    library runs again on the backend's functions made stricter there (``stricter.py``: see
    ``_on_stricter``). Returns the declared limits met: an ``UnknownSizeError`` on an
    unknown-size input, each a line saying where (any other error there fails the check)."""
    op = ctx.op
    limits: list[str] = []
    points = [p for p in (*op.edge_cases, *([] if callable(op.reference) or op.reference is None else op.reference))
              if isinstance(p, EdgeCase) and not p.writes]  # what a call writes into buffers: NumPy's check
    for name in _other_backends(ctx):
        backend = table().backends[name]
        if backend.lazy and op.inspects_values is True:
            continue  # refused there by design, with its own error (tests/test_lazy.py)
        if backend.lazy:
            limits.extend(_on_backend(ctx, backend, points))
            continue
        recording = stricter.Recording(backend.namespace)  # the same functions, the names looked up noted
        with stricter.installed(backend, recording):
            limits.extend(_on_backend(ctx, backend, points))
        limits.extend(_on_stricter(ctx, backend, points, recording.used))
    return limits


def _on_backend(ctx: Context, backend: Any, points: list[EdgeCase], shown: str | None = None) -> list[str]:
    """``check_backends`` on one backend: every sample, then every point; ``shown`` names the backend
    in failures (default: its name). Returns the declared limits met."""
    op = ctx.op
    name = shown or backend.name
    limits: list[str] = []

    def one(k: int, sample: Sample) -> None:
        limits.extend(_compare_backend(ctx, backend, sample, materialize(op, sample, "float64", SEED + k),
                                       sample.call_params, shown))

    _each(ctx, "backends", ctx.all_samples, one)
    with np.errstate(all="ignore"):
        for point in points:
            arrays = [a.copy() if isinstance(a, np.ndarray) else a for a in point.inputs]
            if point.lazy_refused and backend.lazy:
                moved = _native(op, arrays, backend, 0, requires=False)
                _lazily_refused(ctx, backend, point, arrays, lambda: _apply(op, moved, point.params), f"[{name}] ")
                continue
            if point.backward_raises is not None:
                with _quiet(point):
                    _backend_backward_refused(ctx, backend, point, arrays, name)
                continue
            if point.raises is None:
                with _quiet(point):
                    limits.extend(_compare_backend(ctx, backend, point, arrays, point.params, shown))
                continue
            moved = _native(op, arrays, backend, 0, requires=False)
            # the type alone: a lazy backend may refuse first, in its own words (it must look at values)
            _refuses(ctx, "backends", point, point, arrays, lambda: _apply(op, moved, point.params), f"[{name}] ",
                     show=False, words=False)
    return limits


def _lazily_refused(ctx: Context, backend: Any, point: EdgeCase, arrays: list[Any], run: Callable[[], Any],
                    how: str) -> None:
    """A point declared ``lazy_refused``, on a lazy ``backend``: the call is refused by the backend's
    guard (the op must look at values), not computed, nor answered otherwise."""
    guard = f"would force the lazy backend {backend.name!r} to compute"
    try:
        run()
    except Exception as exc:
        if guard in str(exc):
            return
        raise _fail(ctx, "backends", point, f"{how}raised {_explain(exc, ctx.op)}, where the point declares the "
                    f"lazy backend's refusal (lazy_refused: {guard})", arrays) from None
    raise _fail(ctx, "backends", point, f"{how}returned where the point declares the lazy backend's refusal "
                "(lazy_refused): if the op no longer looks at values here, drop the declaration", arrays)


def _on_stricter(ctx: Context, backend: Any, points: list[EdgeCase], used: set[str]) -> list[str]:
    """The backends check again on ``backend``'s functions made stricter where the array API leaves
    things to the library (``stricter.py``), for an op that looked up such a thing there (``used``, noted
    while the check ran on the backend's own): an extension (``linalg``, ``fft``), or a function of
    ``ONE_DTYPE`` (``searchsorted``). An op that works with the extensions it used absent must work with
    them partial too (lacking the members it used: it must ask for each function, not only for the
    extension, as Dask's partial ``linalg`` needs); an op that needs an extension (fails without it on
    some sample or point) keeps it whole. Every stricter run refuses mixed dtypes in ``ONE_DTYPE``."""
    extensions = {e: frozenset(m.split(".", 1)[1] for m in used if m.startswith(e + "."))
                  for e in stricter.EXTENSIONS if e in used}
    one_dtype = bool(used & set(stricter.ONE_DTYPE))

    def run(plan: dict[str, frozenset[str] | None]) -> list[str]:
        with stricter.installed(backend, stricter.Stricter(backend.namespace, plan)):
            return _on_backend(ctx, backend, points, f"{backend.name}, {stricter.describe(plan)}")

    if not extensions:
        return run({}) if one_dtype else []
    try:
        limits = run(dict.fromkeys(extensions))
    except AssertionError:  # it needs them (linalg.qr; matrix_norm's 'nuc'): they stay whole
        return run({}) if one_dtype else []
    partial: dict[str, frozenset[str] | None] = {e: members for e, members in extensions.items() if members}
    return limits + (run(partial) if partial else [])  # it does without them: a partial one must not break it


def _backend_backward_refused(ctx: Context, backend: Any, point: EdgeCase, arrays: list[Any],
                              shown: str | None = None) -> None:
    """A point whose backward must raise (``backward_raises``), on ``backend``: NumPy's forward values
    there, and the backward refused with the same exception type (in the backend's words, if it
    refuses first), no ``.grad`` written."""
    op = ctx.op
    want = _joined(op, _apply(op, _leaves(op, arrays, False), point.params))
    label = f"[{shown or backend.name}] "
    got = _check_backward_refused(ctx, "backends", point, arrays, lambda a: as_tensor(_variant(backend, a, 0)), label)
    values = _computed(ctx, point, f"{label}computing the forward", got, arrays)
    if got.dtype != want.dtype or values.shape != want._data.shape or not np.allclose(
            values, want._data, rtol=1e-10, atol=1e-12, equal_nan=True):
        raise _fail(ctx, "backends", point, f"{label}forward {_show(values)} ({got.dtype.name}) differs from NumPy's "
                    f"{_show(np.asarray(want._data))} ({want.dtype.name})", arrays)


def _variants(backend: Any, array: np.ndarray, unknown: bool = False) -> list[Any]:
    """The native arrays the backend offers the kit for ``array`` (default: its ``from_numpy``):
    those with every size known, or (``unknown``) those with some size unknown (NaN)."""
    made = backend.kit_inputs(array) if backend.kit_inputs is not None else None
    made = [a for a in (made or ()) if has_unknown_size(a) == unknown]
    return made if made or unknown else [backend.from_numpy(array)]


def _variant(backend: Any, array: np.ndarray, variant: int) -> Any:
    """Native variant ``variant`` of ``array``, its sizes known (its last, where the backend offers
    fewer): the inputs and the cotangent of one run are made alike, so VJPs meet that layout too."""
    options = _variants(backend, array)
    return options[min(variant, len(options) - 1)]


def _native(op: OpDef, arrays: Sequence[Any], backend: Any, variant: int, requires: bool = True,
            unknown: Any = None) -> list[Any]:
    """The sample's arrays as leaves made on ``backend`` itself (``as_tensor`` over its own arrays);
    those in ``unknown`` (ids of some of ``arrays``) in the backend's unknown-size variant."""
    def make(a: np.ndarray) -> Tensor:
        if unknown is not None and id(a) in unknown:
            return as_tensor(_variants(backend, a, unknown=True)[0])
        return as_tensor(_variant(backend, a, variant))

    return _leaves(op, arrays, requires, make)


def _declared_refusal(exc: BaseException, backend: Any, op: OpDef) -> bool:
    """Whether ``exc`` is a refusal the op declared: an ``inspects_values`` op refused on the lazy
    ``backend`` (this op, or one a composite calls). A refusal by the backend's guard (an op that
    tried to compute) counts only when this op declares ``inspects_values``: otherwise it is a bug."""
    message = str(exc)
    if f"would force the lazy backend {backend.name!r} to compute" not in message:
        return False
    return "(it tried to compute them)" not in message or bool(op.inspects_values)


def _compare_backend(ctx: Context, backend: Any, where: Any, arrays: list[Any], params: Mapping[str, Any],
                     shown: str | None = None) -> list[str]:
    """The op on ``backend``, for each native variant of the inputs, against the op on NumPy: every
    variant with known sizes, then, where the backend offers one, the first floating input with its
    first size unknown (and every floating input of that first size, masked alike). Returns the
    declared limits met (an ``UnknownSizeError`` on that last run); ``shown`` names the backend in
    failures (default: its name)."""
    op = ctx.op
    name = shown or backend.name
    reference = _leaves(op, arrays)
    try:
        wanted = _apply(op, reference, params)
        want = _joined(op, wanted)
    except Exception as exc:
        raise _fail(ctx, "backends", where, f"[numpy] forward raised {_explain(exc, op)}", arrays) from None
    grads_wanted = op.differentiable_op and want.requires_grad
    u = np.random.default_rng(SEED).standard_normal(want._data.shape).astype(want._data.dtype)
    g_ref: Sequence[Any] = ()
    wrt_ref = [a for a in reference if type(a) is Tensor and a.requires_grad]
    if grads_wanted:
        g_ref = autograd.grad(want, wrt_ref, _wrap(u), allow_unused=True, retain_graph=True)
    count = [a for a in arrays if isinstance(a, np.ndarray)]
    n_variants = max((len(_variants(backend, a)) for a in count), default=1)
    runs: list[tuple[int, Any]] = [(v, None) for v in range(n_variants)]
    masked = [a for a in count if a.dtype.kind == "f" and _variants(backend, a, unknown=True)]
    if masked:  # the first floating input, and those of its first size (masked alike, as users mask)
        runs.append((0, {id(a) for a in masked if a.shape[0] == masked[0].shape[0]}))
    limits: list[str] = []
    for variant, unknown in runs:
        if unknown is not None:
            which = [str(i) for i, a in enumerate(arrays) if id(a) in unknown]
            label = f"[{name}, input{'s' if len(which) > 1 else ''} {', '.join(which)} of unknown size]"
        else:
            label = f"[{name}]" if n_variants == 1 else f"[{name}, input variant {variant}]"
        leaves = _native(op, arrays, backend, variant, unknown=unknown)
        counting = backend.computations() if backend.computations is not None else contextlib.nullcontext(None)
        with counting as computed:
            try:
                results = _apply(op, leaves, params)
                got = _joined(op, results)
            except UnknownSizeError as exc:
                if unknown is None:
                    raise _fail(ctx, "backends", where, f"{label} forward raised {_explain(exc, op)}, with every "
                                "size known", arrays) from None
                limits.append(_limit(ctx, where, f"{label} forward", exc))
                continue  # the documented limit: this op needs the size the backend does not know yet
            except RuntimeError as exc:
                if backend.lazy and _declared_refusal(exc, backend, op):
                    continue  # declared: the op (or one a composite calls) must look at these values
                raise _fail(ctx, "backends", where, f"{label} forward raised {_explain(exc, op)}", arrays) from None
            except Exception as exc:
                raise _fail(ctx, "backends", where, f"{label} forward raised {_explain(exc, op)}", arrays) from None
            wrt = [a for a in leaves if type(a) is Tensor and a.requires_grad]
            sized_backward = True
            if grads_wanted and got.requires_grad:
                try:  # as users do: a scalar loss, backward() with its implicit gradient
                    total = got.sum() if unknown is not None else (got * as_tensor(_variant(backend, u, variant))).sum()
                    total.backward(retain_graph=unknown is not None)  # kept for the create_graph run below
                except UnknownSizeError as exc:
                    if unknown is None:
                        raise _fail(ctx, "backends", where, f"{label} backward raised {_explain(exc, op)}, with "
                                    "every size known", arrays) from None
                    limits.append(_limit(ctx, where, f"{label} backward", exc))
                    sized_backward = False  # the documented limit: the VJP needs the unknown size
                except Exception as exc:
                    raise _fail(ctx, "backends", where, f"{label} backward raised {_explain(exc, op)}", arrays) from None
            graphed: Sequence[Any] = ()
            if unknown is not None and sized_backward and grads_wanted and got.requires_grad and op.second_order:
                try:  # the rules run on tensors of unknown size too: their shapes are fitted apart
                    graphed = autograd.grad(total, wrt, allow_unused=True, create_graph=True)
                except UnknownSizeError as exc:
                    limits.append(_limit(ctx, where, f"{label} backward with create_graph=True", exc))
                except Exception as exc:
                    raise _fail(ctx, "backends", where, f"{label} backward with create_graph=True raised "
                                f"{_explain(exc, op)}", arrays) from None
            forced = computed() if computed is not None else 0
        if forced:
            raise _fail(ctx, "backends", where, (
                f"{label} forward and backward made the lazy backend compute {forced} time(s); an op must build "
                "lazy arrays only (declare inspects_values= for ops that must look at values)"), arrays)
        got_np = _computed(ctx, where, f"{label} computing the forward", got, arrays)
        _same_results(ctx, where, label, results, wanted, arrays, backend)
        if got_np.shape != want._data.shape or not np.allclose(got_np, want._data, rtol=1e-10, atol=1e-12,
                                                              equal_nan=True):
            raise _fail(ctx, "backends", where, f"{label} forward differs from NumPy's", arrays)
        if not (grads_wanted and sized_backward):
            continue
        expected = g_ref if unknown is None else autograd.grad(want, wrt_ref, _wrap(np.ones_like(u)),
                                                               allow_unused=True, retain_graph=True)
        got_grads = [("", [leaf.grad for leaf in wrt])] + ([(" (create_graph=True)", graphed)] if graphed else [])
        for how, grads in got_grads:
            for i, (a, b) in enumerate(zip(expected, grads)):
                if a is None or b is None:
                    if (a is None) != (b is None):
                        raise _fail(ctx, "backends", where, f"{label} gradient {i}{how} is missing on one side", arrays)
                    continue
                if b.backend != backend.name:
                    raise _fail(ctx, "backends", where, f"{label} gradient {i}{how} is on {b.backend!r}, not on the "
                                f"inputs' backend {backend.name!r}", arrays)
                b_np = _computed(ctx, where, f"{label} computing gradient {i}{how}", b, arrays)
                if b.dtype != a.dtype:
                    raise _fail(ctx, "backends", where, f"{label} gradient {i}{how} has dtype {b.dtype.name}, NumPy's "
                                f"{a.dtype.name}", arrays)
                if b_np.shape != a._data.shape or not np.allclose(a._data, b_np, rtol=1e-10, atol=1e-12,
                                                                  equal_nan=True):
                    raise _fail(ctx, "backends", where, f"{label} gradient {i}{how} differs from NumPy's (shape "
                                f"{b_np.shape}, NumPy's {a._data.shape})", arrays)
    return limits


def _same_results(ctx: Context, where: Any, label: str, got: Any, want: Any, arrays: list[Any],
                  backend: Any) -> None:
    """Each result on the backend is on that backend (not computed elsewhere and left there: values
    alone cannot tell) with NumPy's dtype, and an integer or bool one (an index, a mask: not among
    the floating results compared by value) NumPy's values too."""
    mine, theirs = _results(got), _results(want)
    if len(mine) != len(theirs):
        raise _fail(ctx, "backends", where, f"{label} {len(mine)} results, NumPy's {len(theirs)}", arrays)
    for i, (a, b) in enumerate(zip(mine, theirs)):
        if type(a) is not Tensor or type(b) is not Tensor:
            continue
        which = "result" if len(mine) == 1 else f"result {i}"
        if a.backend != backend.name:
            raise _fail(ctx, "backends", where, f"{label} {which} is on {a.backend!r}, not on the inputs' backend "
                        f"{backend.name!r}: move it back (as_tensor of the backend's array)", arrays)
        if a.dtype != b.dtype:
            raise _fail(ctx, "backends", where, f"{label} {which} has dtype {a.dtype.name}, NumPy's {b.dtype.name}", arrays)
        if a.dtype.numpy.kind in "biu":
            values = _computed(ctx, where, f"{label} computing {which}", a, arrays)
            if values.shape != b._data.shape or not np.array_equal(values, b._data):
                raise _fail(ctx, "backends", where, f"{label} {which} {_show(values)} differs from NumPy's "
                            f"{_show(np.asarray(b._data))}", arrays)


def _computed(ctx: Context, where: Any, step: str, t: Tensor, arrays: list[Any]) -> np.ndarray:
    """``t``'s values as NumPy's; a failure computing them (a lazy graph that cannot run) fails the check."""
    try:
        return np.asarray(to_numpy(t.detach()._data))
    except Exception as exc:
        raise _fail(ctx, "backends", where, f"{step} raised {_explain(exc)}", arrays) from None


def _limit(ctx: Context, where: Any, step: str, exc: BaseException) -> str:
    """One declared limit met, as the kit reports it: the op, where, and the refusal's first words."""
    return f"op {ctx.op.name!r} {step} for {where!r}: {type(exc).__name__}: {str(exc).splitlines()[0]}"


def check_strided(ctx: Context) -> None:
    """Each sample's array inputs as non-contiguous views of a larger base (every other row, transposed,
    half of wider rows: ``strided.py``), on NumPy and every other eager backend: the contiguous run's values,
    dtypes and gradients, the cotangent a strided view too; nothing written into a view's base or the
    cotangent; refused exactly where the op's reference refuses the same strided NumPy arrays (``view``'s:
    NumPy's no-copy reshape, which refuses exactly where PyTorch's does)."""
    op = ctx.op
    backends = [table().backends[n] for n in ("numpy", *_other_backends(ctx)) if not table().backends[n].lazy]

    def one(k: int, sample: Sample) -> None:
        arrays = materialize(op, sample, "float64", SEED + k)
        layouts = layouts_for(arrays)
        if not layouts:
            return
        contiguous = _leaves(op, arrays)
        wanted = _apply(op, contiguous, sample.call_params)
        want = _joined(op, wanted)
        wrt = [a for a in contiguous if type(a) is Tensor and a.requires_grad]
        u = np.random.default_rng(SEED).standard_normal(want._data.shape).astype(want._data.dtype)
        g_ref = (autograd.grad(want, wrt, _wrap(u.copy()), allow_unused=True)
                 if op.differentiable_op and want.requires_grad else ())
        for layout in layouts:
            for backend in backends:
                _compare_strided(ctx, backend, layout, sample, arrays, (wanted, want, u, g_ref))

    _each(ctx, "strided", ctx.samples, one)


def _compare_strided(ctx: Context, backend: Any, layout: str, sample: Sample, arrays: list[Any],
                     contiguous: tuple[Any, Any, np.ndarray, Sequence[Any]]) -> None:
    """One strided run of ``check_strided`` against the contiguous one (its results, joined result,
    cotangent and gradients)."""
    op = ctx.op
    wanted, want, u, g_ref = contiguous
    label = f"[{backend.name}, inputs {layout}]"
    bases: list[tuple[Tensor, np.ndarray]] = []

    def make(a: np.ndarray) -> Tensor:
        view, base = strided_view(lambda b: as_tensor(backend.from_numpy(b)), a, layout, backend.name == "numpy")
        bases.append((base, np.array(to_numpy(base._data), copy=True)))
        return view

    leaves = _leaves(op, arrays, True, make)
    refused: Exception | None = None
    try:
        results = _apply(op, leaves, sample.call_params)
    except Exception as exc:
        refused = exc
    if callable(op.reference):  # given the host memory the backend shares (or a copy: then it refuses nothing)
        params = _rename_params(op, sample.params) if op.param_aliases else sample.params
        try:
            with _seeded() if op.random else contextlib.nullcontext():  # a reference redrawing the op's mask
                op.reference(*[to_numpy(a._data) if type(a) is Tensor else a for a in leaves], **params)
        except Exception as exc:
            if refused is None:
                raise _fail(ctx, "strided", sample, f"{label} the op accepted a layout its reference refuses "
                            f"({type(exc).__name__}: {exc})", arrays) from None
            return  # refused alike: no view of this layout exists
    if refused is not None:
        raise _fail(ctx, "strided", sample, f"{label} forward raised {_explain(refused, op)}, where contiguous "
                    "inputs of the same values work", arrays) from None
    got = _joined(op, results)
    _same_results(ctx, sample, label, results, wanted, arrays, backend)
    got_np = _computed(ctx, sample, f"{label} computing the forward", got, arrays)
    if got_np.shape != want._data.shape or not np.allclose(got_np, want._data, rtol=1e-10, atol=1e-12,
                                                          equal_nan=True):
        raise _fail(ctx, "strided", sample, f"{label} forward differs from the contiguous inputs' "
                    f"{_show(np.asarray(want._data))}: {_show(got_np)}", arrays)
    if g_ref and got.requires_grad:
        cotangent, _ = strided_view(lambda b: as_tensor(backend.from_numpy(b)), u, LAYOUTS[0])
        cotangent_before = np.array(to_numpy(cotangent._data), copy=True)
        wrt = [a for a in leaves if type(a) is Tensor and a.requires_grad]
        grads = autograd.grad(got, wrt, cotangent, allow_unused=True)
        if not np.array_equal(to_numpy(cotangent._data), cotangent_before, equal_nan=True):
            raise _fail(ctx, "strided", sample, f"{label} the VJP wrote into the (strided) cotangent", arrays)
        for i, (a, b) in enumerate(zip(g_ref, grads)):
            if (a is None) != (b is None):
                raise _fail(ctx, "strided", sample, f"{label} gradient {i} is missing on one side", arrays)
            if a is None or b is None:
                continue
            b_np = _computed(ctx, sample, f"{label} computing gradient {i}", b, arrays)
            if b.dtype != a.dtype or b_np.shape != a._data.shape or not np.allclose(
                    b_np, a._data, rtol=1e-10, atol=1e-12, equal_nan=True):
                raise _fail(ctx, "strided", sample, f"{label} gradient {i} differs from the contiguous inputs' "
                            f"({b.dtype.name}{list(b_np.shape)}, expected {a.dtype.name}{list(a._data.shape)})",
                            arrays)
    positions = [i for i, a in enumerate(arrays) if isinstance(a, np.ndarray)]
    written = {i for p in op.edge_cases if isinstance(p, EdgeCase) for i in p.writes}  # buffers it updates
    for i, (base, before) in zip(positions, bases):
        if i not in written and not np.array_equal(to_numpy(base._data), before, equal_nan=True):
            raise _fail(ctx, "strided", sample, f"{label} forward or VJP wrote into the base of input {i}'s view",
                        arrays)


# ---------------------------------------------------------------------------- values
def _close(got: Any, want: Any, rtol: float = VALUE_RTOL, signs: bool = False) -> bool:
    """Equal up to ``rtol`` relative to each expected element (absolute 1e-13 only where it is 0):
    a tail value of 1e-30 is checked as closely as a value of 1. ``signs``: an expected zero
    must have its sign too (``neg(0.0)`` is ``-0.0``; ``1 / -0.0`` is ``-inf``)."""
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape:
        return False
    if got.dtype.kind in "biu" or want.dtype.kind in "biu":
        return bool(np.array_equal(got, want))
    got, want = got.astype(np.float64), want.astype(np.float64)
    with np.errstate(invalid="ignore"):
        same = (got == want) | (np.isnan(got) & np.isnan(want))
        near = np.isfinite(want) & (np.abs(got - want) <= rtol * np.abs(want) + np.where(want == 0, 1e-13, 0.0))
    if signs and not np.all((want != 0) | (got != 0) | (np.signbit(got) == np.signbit(want))):
        return False
    return bool(np.all(same | near))


_KINDS = {"b": "bool", "i": "integer", "u": "integer", "f": "floating", "c": "complex"}


def _dtype_differs(got: np.ndarray, want: Any) -> str | None:
    """Why ``got``'s dtype is not the expected one, else None: ``want``'s own dtype where it has one
    (a NumPy array or scalar: a reference's result, a value declared as an array), else the kind of
    the Python numbers it is written in (``True`` bool, ``1`` integer, ``1.0`` floating), as PyTorch
    infers a tensor's dtype from them."""
    if isinstance(want, (np.ndarray, np.generic)):
        return None if got.dtype == want.dtype else f"dtype {got.dtype}, expected {want.dtype}"
    kind = _KINDS.get(np.asarray(want).dtype.kind)
    if kind is None or _KINDS.get(got.dtype.kind) == kind:
        return None
    return f"dtype {got.dtype}, a {kind} result expected (the value is written in {kind} Python numbers)"


def _compare_values(ctx: Context, check: str, where: Any, got: Any, want: Any, args: Sequence[Any],
                    rtol: float = VALUE_RTOL, signs: bool = False) -> None:
    """The op's results (one or several) against expected ones: dtype (see ``_dtype_differs``),
    shape and values; ``signs``: the sign of each expected zero too."""
    got_list = [np.asarray(r._data) if type(r) is Tensor else np.asarray(r) for r in _results(got)]
    want_list = list(want) if isinstance(want, (tuple, list)) and isinstance(got, (tuple, list)) else [want]
    if len(got_list) != len(want_list):
        raise _fail(ctx, check, where, f"{len(got_list)} results, the reference gives {len(want_list)}", args)
    for i, (a, declared) in enumerate(zip(got_list, want_list)):
        b = np.asarray(declared)
        label = "" if len(got_list) == 1 else f" {i}"
        wrong_dtype = _dtype_differs(a, declared)
        if wrong_dtype is not None:
            raise _fail(ctx, check, where, f"result{label} has {wrong_dtype}", args)
        if not _close(a, b, rtol, signs):
            raise _fail(ctx, check, where, (
                f"result{label} {_show(a)} (shape {a.shape}) differs from the expected {_show(b)} (shape {b.shape})"
                f"{_signs_note(a, b) if signs else ''}"), args)


def _show(a: np.ndarray) -> str:
    return np.array2string(a, precision=8, threshold=12)


def _signs_note(got: np.ndarray, want: np.ndarray) -> str:
    """Where only the sign of a zero differs, say so (the printed values may look equal)."""
    if got.shape != want.shape or got.dtype.kind not in "fc" or want.dtype.kind not in "fc":
        return ""
    with np.errstate(invalid="ignore"):
        flipped = (got == 0) & (want == 0) & (np.signbit(got) != np.signbit(want))
    where = np.argwhere(flipped)
    if not len(where):
        return ""
    at = tuple(int(i) for i in where[0])
    return f": the sign of the zero differs at index {at} ({got[at]!r}, expected {want[at]!r})"


def check_reference(ctx: Context) -> None:
    """The forward's values, dtypes and zeros' signs agree with the declared reference (a NumPy
    function, or exact values at points), in float64; in float32 (where checked) the floating
    results are float32 where float64 inputs give float64, unless the reference widens them too."""
    op = ctx.op
    if not callable(op.reference):
        with np.errstate(all="ignore"):
            for point in op.reference:
                _check_point(ctx, "reference", point, values_only=True)
        return

    def one(k: int, sample: Sample) -> None:
        arrays = materialize(op, sample, "float64", SEED + k)
        got, want = _against_reference(ctx, sample, arrays)
        _compare_values(ctx, "reference", sample, got, want, arrays, signs=True)
        if "float32" not in ctx.dtypes:
            return
        arrays32 = materialize(op, sample, "float32", SEED + k)
        if not any(isinstance(a, np.ndarray) and a.dtype == np.float32 for a in arrays32):
            return
        got32, want32 = _against_reference(ctx, sample, arrays32)
        for i, (mine, wide, theirs) in enumerate(zip(_results(got32), _results(got), _results(want32))):
            if type(mine) is not Tensor or type(wide) is not Tensor:
                continue
            expected = np.float32 if wide._data.dtype == np.float64 else wide._data.dtype
            if mine._data.dtype not in (expected, np.asarray(theirs).dtype):
                label = "result" if len(_results(got)) == 1 else f"result {i}"
                raise _fail(ctx, "reference", sample, f"[float32] {label} has dtype {mine._data.dtype}, expected "
                            f"{np.dtype(expected)} (float64 inputs give {wide._data.dtype}, and the reference "
                            f"{np.asarray(theirs).dtype})", arrays32)

    _each(ctx, "reference", ctx.all_samples, one)


def _against_reference(ctx: Context, sample: Sample, arrays: list[Any]) -> tuple[Any, Any]:
    """The op's results on ``arrays`` and the reference's, as NumPy arrays whose dtypes are the expected ones."""
    op = ctx.op
    got = _apply(op, _leaves(op, arrays, requires=False), sample.call_params)
    params = _rename_params(op, sample.params) if op.param_aliases else sample.params
    try:
        with _seeded() if op.random else contextlib.nullcontext():  # the op's draws, for a reference to repeat
            want = op.reference(*[a.copy() if isinstance(a, np.ndarray) else a for a in arrays], **params)
    except Exception as exc:  # the reference's failure, not the op's: say so
        raise _fail(ctx, "reference", sample, f"the declared reference raised {type(exc).__name__}: {exc} (the "
                    "op ran); fix the reference, or leave this sample to the op's own tests", arrays) from None
    several = isinstance(want, (tuple, list)) and isinstance(got, (tuple, list))
    return got, [np.asarray(w) for w in want] if several else np.asarray(want)


# ---------------------------------------------------------------------------- vmap and forward mode
BATCH = 3
BATCH_RTOL = 1e-10  # a batched reduction or product may sum in another order than one example's


def _batch_layouts(ndims: Sequence[int]) -> list[tuple[Any, ...]]:
    """Where each array operand's batch goes (``ndims``: the examples' ranks): all at 0, all last,
    after the first dim where an example has two or more (a moved batch is neither first nor
    last: a rule must not take the result for contiguous), and each one unbatched in turn."""
    first, last = tuple(0 for _ in ndims), tuple(-1 for _ in ndims)
    middle = [tuple(1 if n >= 2 else 0 for n in ndims)] if any(n >= 2 for n in ndims) else []
    alone = [tuple(None if j == i else 0 for j in range(len(ndims))) for i in range(len(ndims))]
    return [first, last, *middle, *(alone if len(ndims) > 1 else [])]


def check_batching(ctx: Context) -> None:
    """The op's batching rule (declared or derived) gives what running it once per example and
    stacking gives: values, dtype and shape, and gradients to the batched inputs; with the batch
    first, last, and beside unbatched operands."""
    from .. import batching

    op = ctx.op

    def one(k: int, sample: Sample) -> None:
        examples = [materialize(op, sample, "float64", SEED + 7 * k + b) for b in range(BATCH)]
        for b, values in enumerate(examples):  # fixed float arrays differ per example too
            values[:] = [np.asarray(np.asarray(v) * (1 + 0.1 * b) if v.dtype.kind == "f" else v)
                         if isinstance(v, (np.ndarray, np.generic)) else v for v in values]
        positions = [i for i, v in enumerate(examples[0]) if isinstance(v, np.ndarray)]
        declined = []  # per layout: whether the rule left it to the per-example loop
        for layout in _batch_layouts([examples[0][i].ndim for i in positions]):
            dims: list[Any] = [None] * len(examples[0])
            stacked = list(examples[0])
            for i, d in zip(positions, layout):
                if d is not None:
                    stacked[i] = np.stack([e[i] for e in examples], axis=d)
                    dims[i] = d % stacked[i].ndim
            args = _leaves(op, stacked)

            def per_example(b: int) -> Any:
                return [a if d is None else a[(slice(None),) * d + (b,)] for a, d in zip(args, dims)]

            try:
                want = lookup("stack").apply([_call(op, per_example(b), sample.params) for b in range(BATCH)], dim=0)
            except Exception as refusal:  # an example refuses (a view across its strides): so must the batch
                point = EdgeCase(raises=type(refusal), why=f"each example raised it: {refusal}")
                _refuses(ctx, "batching", f"{sample!r} with batch dims {dims}", point, stacked,
                         lambda: batching.run_batched(lambda *xs: _call(op, xs, sample.params), args, dims),
                         "under vmap ", show=False, words=False)
                continue
            try:
                with _declines(batching) as seen:
                    got = batching.run_batched(lambda *xs: _call(op, xs, sample.params), args, dims)
                declined.append(any(seen))
            except batching.NotBatchable as signal:
                raise _fail(ctx, "batching", sample, f"the batched call needed one example's {signal.what}; batch "
                            f"dims {dims}") from None
            where = f"{sample!r} with batch dims {dims}"
            if got.shape != want.shape or got.dtype != want.dtype:
                raise _fail(ctx, "batching", where, f"the batched call gives shape {tuple(got.shape)} and dtype "
                            f"{got.dtype}, the loop {tuple(want.shape)} and {want.dtype}")
            _compare_values(ctx, "batching", where, got, want._data, stacked, rtol=BATCH_RTOL)
            wrt = [a for a in args if type(a) is Tensor and a.requires_grad]
            if wrt and want.requires_grad:
                u = _wrap(np.random.default_rng(SEED + k).standard_normal(want.shape))
                expected = autograd.grad(want, wrt, u, allow_unused=True)
                found = autograd.grad(got, wrt, u, allow_unused=True)
                for mine, theirs in zip(found, expected):
                    _compare_values(ctx, "batching", f"{where} (gradient)", 0.0 if mine is None else mine,
                                    0.0 if theirs is None else theirs._data, stacked, rtol=BATCH_RTOL)
        # A rule may leave 0-d examples and boolean masks (shapes set by values) to the loop; one
        # that gives up on every layout of anything else is only the loop, slower.
        given = [*examples[0], *sample.params.values()]
        given += [w for v in given if isinstance(v, (tuple, list)) for w in v]  # an index key's parts
        plain = all(v.ndim and v.dtype != np.bool_ for v in given if isinstance(v, np.ndarray))
        if plain and declined and all(declined):
            raise _fail(ctx, "batching", sample, f"the batching rule returned NotImplemented for every batch layout "
                        f"tried ({len(declined)}): each ran once per example")

    _each(ctx, "batching", ctx.all_samples, one)
    for point in op.edge_cases:
        if isinstance(point, EdgeCase) and point.raises is not None:
            _refused_batched(ctx, point, batching)


def _refused_batched(ctx: Context, point: EdgeCase, batching: Any) -> None:
    """A call the op refuses (an ``EdgeCase`` with ``raises``) is refused under vmap too, with the same
    exception (its message matching ``match``), for every batch layout: each example would raise it."""
    op = ctx.op
    arrays = [a.copy() if isinstance(a, np.ndarray) else a for a in point.inputs]
    positions = [i for i, v in enumerate(arrays) if isinstance(v, np.ndarray)]
    for layout in _batch_layouts([arrays[i].ndim for i in positions]) if positions else ():
        dims: list[Any] = [None] * len(arrays)
        stacked = list(arrays)
        for i, d in zip(positions, layout):
            if d is not None:
                stacked[i] = np.stack([arrays[i]] * BATCH, axis=d)
                dims[i] = d % stacked[i].ndim
        leaves = _leaves(op, stacked, False)

        def run() -> Any:
            with _declines(batching):
                return batching.run_batched(lambda *xs: _apply(op, xs, point.params), leaves, dims)

        _refuses(ctx, "batching", f"{point!r} with batch dims {dims}", point, arrays, run, "under vmap ", show=False)


@contextlib.contextmanager
def _declines(batching: Any) -> Any:
    """The ops whose batching rule declined (returned NotImplemented) inside the block: a list of
    flags, True where a rule existed and declined (the fallback warning's own signal)."""
    seen: list[bool] = []
    warn = batching._warn_once
    batching._warn_once = lambda op, declined: seen.append(declined)
    try:
        yield seen
    finally:
        batching._warn_once = warn


def check_forward_mode(ctx: Context) -> None:
    """``tapegrad.func.jvp`` (reverse mode transposed) agrees with central differences along a
    random tangent of every differentiable input, in float64."""
    from .. import func

    op = ctx.op
    tolerance = TOLERANCES["float64"]

    def one(k: int, sample: Sample) -> None:
        args = _leaves(op, materialize(op, sample, "float64", SEED + k))
        positions = [i for i, a in enumerate(args) if type(a) is Tensor and a.requires_grad]
        if not positions:
            return
        rng = np.random.default_rng(SEED + k)
        tangents = [_wrap(np.asarray(rng.standard_normal(args[i].shape))) for i in positions]

        def f(*xs: Any) -> Tensor:
            full = list(args)
            for i, x in zip(positions, xs):
                full[i] = x
            return _call(op, full, sample.params)

        primals = [args[i].detach() for i in positions]
        _, derivative = func.jvp(f, tuple(primals), tuple(tangents))
        eps = tolerance[0]
        if derivative.dtype != float64:
            return  # a float32 result (astype): central differences would measure its rounding
        with no_grad():
            ahead = f(*[_wrap(np.asarray(p._data + eps * v._data)) for p, v in zip(primals, tangents)])
            behind = f(*[_wrap(np.asarray(p._data - eps * v._data)) for p, v in zip(primals, tangents)])
        expected = (np.asarray(ahead._data) - np.asarray(behind._data)) / (2 * eps)
        got = np.asarray(derivative._data)
        if got.shape != expected.shape or not np.allclose(got, expected, rtol=tolerance[1], atol=tolerance[2],
                                                          equal_nan=True):
            raise _fail(ctx, "forward_mode", sample, f"jvp gives {np.array2string(got, precision=6, threshold=12)}, "
                        f"central differences {np.array2string(expected, precision=6, threshold=12)}", args)

    _each(ctx, "forward_mode", ctx.samples, one)


def _check_point(ctx: Context, check: str, point: EdgeCase, values_only: bool = False) -> None:
    """One declared special point: its value, gradients, second-order gradients, and (where
    declared smooth) derivatives by finite differences."""
    op = ctx.op
    if not isinstance(point, EdgeCase):
        raise _fail(ctx, check, point, "edge cases and reference points must be tapegrad.testing.EdgeCase objects")
    arrays = [a.copy() if isinstance(a, np.ndarray) else a for a in point.inputs]
    if point.raises is not None:
        _check_raises(ctx, check, point, arrays)
        return
    try:
        if point.warns is not None:
            _check_warns(ctx, check, point, arrays)
        if point.writes:
            _check_writes(ctx, check, point, arrays)
        with _quiet(point):
            _check_point_values(ctx, check, point, arrays, values_only)
            if point.backward_raises is not None and not values_only:
                _check_backward_refused(ctx, check, point, arrays, _wrap)
    except AssertionError as exc:
        if str(exc).startswith(f"op {op.name!r}"):
            raise
        raise _fail(ctx, check, point, str(exc), arrays) from None
    except Exception as exc:
        raise _fail(ctx, check, point, _explain(exc), arrays) from None


@contextlib.contextmanager
def _quiet(point: EdgeCase) -> Iterator[None]:
    """The point's declared warning silenced (``_check_warns`` checked it once): the kit's other calls."""
    if point.warns is None:
        yield
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", point.warns)
        yield


def _point_leaves(op: OpDef, point: EdgeCase, arrays: list[Any], requires: bool = True) -> list[Any]:
    """The point's inputs as leaves; those it declares written (``writes``: buffers) as fresh copies that
    do not require grad, so every call starts from the declared state."""
    leaves = _leaves(op, arrays, requires)
    for i in point.writes:
        if isinstance(arrays[i], np.ndarray):
            leaves[i] = _wrap(arrays[i].copy())
    return leaves


def _check_point_values(ctx: Context, check: str, point: EdgeCase, arrays: list[Any], values_only: bool) -> None:
    """The point's value, gradients (for its ``cotangent``, else ones) and second-order gradients."""
    op = ctx.op
    args = _point_leaves(op, point, arrays)
    out = _call(op, args, point.params)
    if point.has_value:
        plain = _point_leaves(op, point, arrays, False)
        value = _apply(op, plain, point.params)
        if not op.view and not op.composite:  # a special point's path may return its input (an empty index)
            given = [a._data if type(a) is Tensor else a for a in plain]
            if (shared := _aliased_input([v._data for v in _results(value) if type(v) is Tensor], given)) is not None:
                raise _fail(ctx, check, point, _ALIASED.format(shared), arrays)
        _compare_values(ctx, check, point, value, point.value, arrays, signs=True)
    if values_only or (point.grads is None and point.grad2 is None and not point.smooth):
        return
    wrt = [a for a in args if type(a) is Tensor and a.requires_grad]
    positions = [i for i, a in enumerate(args) if type(a) is Tensor and a.requires_grad]
    second = point.grad2 is not None
    if wrt and out.requires_grad:
        u = np.ones(tuple(out.shape)) if point.cotangent is None else np.broadcast_to(point.cotangent, tuple(out.shape))
        grads = autograd.grad(out, wrt, _wrap(u.astype(out._data.dtype)), allow_unused=True, create_graph=second)
    else:
        grads = (None,) * len(wrt)
    _compare_grads(ctx, check, point, "gradient", point.grads, positions, wrt, grads, arrays)
    if second:
        terms = [g.sum() for g in grads if g is not None and g.requires_grad]
        total = terms[0] if terms else None
        for t in terms[1:]:
            total = total + t
        grads2 = autograd.grad(total, wrt, allow_unused=True) if total is not None else (None,) * len(wrt)
        _compare_grads(ctx, check, point, "second-order gradient", point.grad2, positions, wrt, grads2, arrays)
    if point.smooth and wrt:
        check_grads(_runner(op, point.params), _leaves(op, arrays), order=ctx.order, name=op.name, seed=SEED)


# A call made from a code object of this file name: where a warning must point (the op's caller).
_CALLER = "<the op's caller (tapegrad.testing)>"
_CALLER_CODE = compile("def call(f, args, params):\n    return f(*args, **params)\n", _CALLER, "exec")


def _check_warns(ctx: Context, check: str, point: EdgeCase, arrays: list[Any]) -> None:
    """The call warns with the declared category (and ``match``), and the warning names the line
    that called the op, as ``warnings.warn(stacklevel=...)`` must: not tapegrad's or the plugin's code."""
    assert point.warns is not None
    namespace: dict[str, Any] = {}
    exec(_CALLER_CODE, namespace)
    call, real = pack(_point_leaves(ctx.op, point, arrays, False), dict(point.params))
    with warnings.catch_warnings(record=True) as seen, _seeded() if ctx.op.random else contextlib.nullcontext():
        warnings.simplefilter("always")
        namespace["call"](ctx.op.apply, call, real)
    given = [w for w in seen if issubclass(w.category, point.warns)
             and (point.match is None or re.search(point.match, str(w.message)))]
    wanted = point.warns.__name__ + (f" matching {point.match!r}" if point.match else "")
    if not given:
        shown = "; ".join(f"{w.category.__name__}: {w.message}" for w in seen) or "none"
        raise _fail(ctx, check, point, f"did not warn {wanted} (warnings given: {shown})"
                    f"{' (' + point.why + ')' if point.why else ''}", arrays)
    if given[0].filename != _CALLER:
        raise _fail(ctx, check, point, f"the {wanted} points at {given[0].filename}:{given[0].lineno}, not at the "
                    "line that called the op: warnings.warn's stacklevel must name the caller's frame", arrays)


def _check_writes(ctx: Context, check: str, point: EdgeCase, arrays: list[Any]) -> None:
    """After one call, each input the point declares written (``writes``) holds the declared values."""
    leaves = _point_leaves(ctx.op, point, arrays, False)
    _apply(ctx.op, leaves, point.params)
    for i, want in point.writes.items():
        if type(leaves[i]) is not Tensor:
            raise _fail(ctx, check, point, f"declares what the call writes into input {i}, which is not an array", arrays)
        got = np.asarray(leaves[i]._data)
        if not _close(got, want):
            raise _fail(ctx, check, point, f"input {i} holds {_show(got)} after the call, expected {_show(want)} "
                        f"(what the op writes in place){' (' + point.why + ')' if point.why else ''}", arrays)


def _check_raises(ctx: Context, check: str, point: EdgeCase, arrays: list[Any]) -> None:
    """The op refuses the point with the declared exception type."""
    _refuses(ctx, check, point, point, arrays, lambda: _apply(ctx.op, _leaves(ctx.op, arrays, False), point.params))


def _check_backward_refused(ctx: Context, check: str, point: EdgeCase, arrays: list[Any],
                            make: Callable[[np.ndarray], Tensor], how: str = "") -> Tensor:
    """At a point declaring ``backward_raises``: the result (made from leaves by ``make``) requires grad,
    ``backward()`` raises the declared exception (its message matching ``backward_match``, unless ``how``
    names another backend, which may refuse in its own words), and no input's ``.grad`` was written: a
    failed backward leaves nothing behind. Returns the forward's joined result."""
    op, refused = ctx.op, point.backward_raises
    assert refused is not None
    leaves = _leaves(op, arrays, True, make)
    out = _call(op, leaves, point.params)
    if not out.requires_grad:
        raise _fail(ctx, check, point, f"{how}declares that the backward raises {refused.__name__}, but "
                    "the result does not require grad (no differentiable input?)", arrays)
    cotangent = make(np.ones(tuple(out.shape), dtype=numpy_dtype_of(out._data)))
    refusal = EdgeCase(raises=refused, match=point.backward_match, why=point.why)
    _refuses(ctx, check, point, refusal, arrays, lambda: out.backward(cotangent), f"{how}the backward ",
             show=False, words=not how)
    written = [i for i, leaf in enumerate(leaves) if type(leaf) is Tensor and leaf.grad is not None]
    if written:
        raise _fail(ctx, check, point, f"{how}the backward raised, but wrote .grad of input(s) {written}: a failed "
                    "backward must leave no state behind", arrays)
    return out


def _refuses(ctx: Context, check: str, where: Any, point: EdgeCase, arrays: list[Any], run: Callable[[], Any],
             how: str = "", show: bool = True, words: bool = True) -> None:
    """``run()`` raises the point's declared exception, its message matching ``match`` (``words``); ``how``
    says where the call ran (``[dask] ``, ``under vmap ``); ``show``: name what it returned instead."""
    refusal = point.raises
    assert refusal is not None
    why = f" ({point.why})" if point.why else ""
    try:
        out = run()
    except refusal as exc:
        if point.match is None or not words or re.search(point.match, str(exc)):
            return
        raise _fail(ctx, check, where, f"{how}raised {type(exc).__name__}: {exc}, whose message does not match "
                    f"{point.match!r}", arrays) from None
    except Exception as exc:
        raise _fail(ctx, check, where, f"{how}raised {_explain(exc, ctx.op if how else None)}, expected "
                    f"{refusal.__name__}{why}", arrays) from None
    shown = f" {[np.asarray(r._data) if type(r) is Tensor else r for r in _results(out)]}" if show else ""
    raise _fail(ctx, check, where, f"{how}returned{shown} where it must raise {refusal.__name__}{why}", arrays)


def _compare_grads(ctx: Context, check: str, point: EdgeCase, what: str, expected: Sequence[Any] | None,
                   positions: list[int], wrt: list[Any], grads: Sequence[Any], arrays: list[Any]) -> None:
    if expected is None:
        return
    by_input = dict(zip(positions, zip(wrt, grads)))
    for i, want in enumerate(expected):
        if want is None:
            continue
        if i not in by_input:
            raise _fail(ctx, check, point, f"declares a {what} for input {i}, which does not require grad", arrays)
        x, g = by_input[i]
        if g is None:  # PyTorch gives a zero tensor where the gradient is zero, None only where none flows
            raise _fail(ctx, check, point, f"no {what} reached input {i}, where {np.array2string(np.asarray(want))} "
                        "was expected (a VJP rule returning None, or no rule, for a differentiable input)", arrays)
        got = np.asarray(g._data)
        target = np.broadcast_to(np.asarray(want, dtype=np.float64), got.shape)
        if not _close(got, target, signs=True):
            raise _fail(ctx, check, point, (
                f"{what} for input {i} is {np.array2string(got, precision=8)}, expected "
                f"{np.array2string(np.asarray(want), precision=8)}{' (' + point.why + ')' if point.why else ''}"
                f"{_signs_note(got, target)}"), arrays)


def check_edge_cases(ctx: Context) -> None:
    """At the declared special points (kinks, ties, bounds, poles, exact 0 and 1): the expected
    values and gradients, by the op's documented convention."""
    failures = []
    with np.errstate(all="ignore"):  # infinities and NaN are what these points are about
        for point in ctx.op.edge_cases:
            try:
                _check_point(ctx, "edge_cases", point)
            except AssertionError as exc:  # every failing point, not only the first
                failures.append(str(exc))
    if failures:
        raise AssertionError("\n".join(failures))


# name -> (check, applies to op?)
CHECKS: dict[str, tuple[Callable[[Context], list[str] | None], Callable[[Context], bool]]] = {
    "metadata": (check_metadata, lambda c: True),
    "gradients": (check_gradients, lambda c: c.op.differentiable_op),
    "missing_rules": (check_missing_rules, lambda c: not c.op.composite and c.op.nin is not None
                      and any(_probed(c.op, i) for i in range(c.op.nin))),
    "higher_order": (check_higher_order, lambda c: c.op.differentiable_op and c.order >= 2),
    "broadcasting": (check_broadcasting, lambda c: c.op.broadcasts and (c.op.nin or 0) >= 2),
    "python_scalars": (check_python_scalars, lambda c: c.op.broadcasts and (c.op.nin or 0) >= 2),
    "dtypes": (check_dtypes, lambda c: c.op.differentiable_op),
    # composites have no forward of their own to run on raw arrays
    "no_mutation": (check_no_mutation, lambda c: not c.op.composite
                    and (c.op.backends is None or "numpy" in c.op.backends)),
    # a VJP writing into a dying saved input (tapegrad.backward_reuse), which no sample is big enough to reach
    "buffer_reuse": (check_buffer_reuse, lambda c: c.op.differentiable_op and not c.op.composite
                     and (c.op.backends is None or "numpy" in c.op.backends)),
    "view_writes": (check_view_writes, lambda c: c.op.view is True and not c.op.composite),
    "no_grad": (check_no_grad, lambda c: True),
    "defaults": (check_defaults, lambda c: bool(_defaults(c.op))),
    "integer_results": (check_integer_results, lambda c: c.op.differentiable_op),
    "backends": (check_backends, lambda c: bool(_other_backends(c))),
    "strided": (check_strided, lambda c: c.op.backends is None or "numpy" in c.op.backends),
    "layout": (check_layout, lambda c: c.op.layout is not None
               and (c.op.backends is None or "numpy" in c.op.backends)),
    "reference": (check_reference, lambda c: c.op.reference is not None),
    "edge_cases": (check_edge_cases, lambda c: bool(c.op.edge_cases)),
    # a random op's batched draws are not the examples' own draws
    "batching": (check_batching, lambda c: not c.op.composite and not c.op.random and _batching_rule(c.op) is not None),
    "forward_mode": (check_forward_mode, lambda c: c.op.has_vjp and c.op.second_order and not c.op.composite),
}


def _batching_rule(op: OpDef) -> Any:
    from ..batching import rule_for

    return rule_for(op)


def _context(name: str, samples: Sequence[Sample] | None, dtypes: Sequence[str] | None, order: int,
             backends: Sequence[str] | None) -> Context:
    op = lookup(name)
    chosen = tuple(dtypes) if dtypes is not None else (op.dtypes or ("float32", "float64"))
    unknown = [d for d in chosen if d not in TOLERANCES]
    if unknown:
        raise ValueError(f"dtypes must be among {sorted(TOLERANCES)}, got {unknown}")
    return Context(op, samples_for(op, samples), chosen, order, None if backends is None else tuple(backends))


def op_checks(name: str, *, samples: Sequence[Sample] | None = None, dtypes: Sequence[str] | None = None,
              order: int = 2, backends: Sequence[str] | None = None, skip: Sequence[str] = ()) -> list[OpCheck]:
    """The checks that apply to op ``name``, each a callable that raises on failure; ``skip``
    names checks to leave out (a backend's test suite may leave NumPy's values to the op's own)."""
    unknown = sorted(set(skip) - set(CHECKS))
    if unknown:
        raise ValueError(f"skip names checks that do not exist: {unknown}; the checks are {list(CHECKS)}")
    ctx = _context(name, samples, dtypes, order, backends)
    return [OpCheck(name, check, ctx) for check, (_, applies) in CHECKS.items() if applies(ctx) and check not in skip]


@dataclass(frozen=True)
class OpCheck:
    """One check of one op; calling it runs the check."""

    op: str
    check: str
    context: Context

    def __call__(self) -> list[str]:
        """Run the check: raises ``AssertionError`` on failure; returns the declared limits it met
        (the ``backends`` check's refusals of unknown sizes), each a line, empty for none."""
        # Look the op up again: the table may have been rebuilt since collection.
        ctx = self.context
        fresh = Context(lookup(self.op), ctx.samples, ctx.dtypes, ctx.order, ctx.backends)
        return list(CHECKS[self.check][0](fresh) or ())

    @property
    def id(self) -> str:
        return f"{self.op}-{self.check}"


def check_op(name: str, *, samples: Sequence[Sample] | None = None, dtypes: Sequence[str] | None = None,
             order: int = 2, backends: Sequence[str] | None = None) -> list[str]:
    """Run every applicable check on op ``name``; raise one AssertionError listing all failures,
    else return the declared limits met (an op refusing unknown sizes on a lazy backend), each a line.

    ``samples`` override the op's declared samples; ``dtypes`` the float dtypes checked for
    cotangent dtypes (default: declared, else float32 and float64); ``order`` the highest
    derivative checked; ``backends`` limits which non-NumPy backends are tried.
    """
    failures = []
    limits: list[str] = []
    for item in op_checks(name, samples=samples, dtypes=dtypes, order=order, backends=backends):
        try:
            limits.extend(item())
        except AssertionError as exc:
            failures.append(str(exc))
        except Exception as exc:  # an op that crashes a check fails it, with the cause
            failures.append(f"op {name!r} failed check {item.check!r}: {_explain(exc)}")
    if failures:
        raise AssertionError("\n".join(failures))
    return limits


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
