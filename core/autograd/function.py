"""``tapegrad.autograd.Function``: a one-off differentiable op without writing a plugin.

Subclass it with static ``forward(ctx, *args)`` and ``backward(ctx, *grads)`` (or, as
PyTorch 2 allows, ``forward(*args)`` with ``setup_context(ctx, inputs, output)``) and call
``MyFn.apply(...)``. ``forward`` runs without recording; its outputs are attached to one
graph node whose VJP calls ``backward`` with tensors. Under ``create_graph=True`` the
ops inside ``backward`` are recorded too, so a ``backward`` written with tapegrad ops
is differentiable again.

Several outputs share the node through a flat cotangent: each output's node is a
selector that places its cotangent in the output's slice, and the Function's VJP cuts
the slices back out (zeros, or None without ``materialize_grads``, for outputs that got
no gradient or were marked non-differentiable). The engine needs nothing new for it.
"""

from __future__ import annotations

import functools
import weakref
from typing import Any, Callable, Sequence

import numpy as np

from ..backends import array_namespace
from ..grad_mode import _grad_enabled, no_grad
from ..graph import Node, ShapeDtype
from ..registry import OpDef, Registry
from ..tensor import Tensor, _wrap
from ..versions import EPOCH, mark_modified, modified_after

__all__ = ["Function", "FunctionCtx", "once_differentiable"]

LEAF_DIRTY_MESSAGE = "a leaf Variable that requires grad has been used in an in-place operation."


class FunctionCtx:
    """What ``forward`` leaves for ``backward``: saved tensors, flags, any attribute you set."""

    def __init__(self, needs_input_grad: tuple[bool, ...]) -> None:
        self.needs_input_grad = needs_input_grad
        self._saved: tuple[Tensor, ...] = ()
        self._saved_epoch = 0
        # Saved outputs are kept detached (no cycle node -> ctx -> output -> node) and
        # re-attached to their node, held weakly, when unpacked (PyTorch's SavedVariable).
        self._output_slots: tuple[int, ...] = ()
        self._node: Callable[[], Node | None] = lambda: None
        self.materialize_grads = True
        self._non_differentiable: set[int] = set()
        self._dirty: set[int] = set()
        self._reached: set[int] = set()  # outputs whose cotangent arrived in this backward

    def mark_non_differentiable(self, *tensors: Tensor) -> None:
        """Outputs that get no gradient (indices, masks): they never require grad, and ``backward``
        receives zeros for them (None without ``materialize_grads``)."""
        self._non_differentiable.update(id(t) for t in tensors)

    def mark_dirty(self, *tensors: Tensor) -> None:
        """Inputs ``forward`` modified in place and returned: their history is rewritten to pass
        through this Function, and their version counter moves on."""
        self._dirty.update(id(t) for t in tensors)

    def set_materialize_grads(self, value: bool) -> None:
        """With False, ``backward`` gets None (not zeros) for outputs no gradient reached."""
        self.materialize_grads = bool(value)

    def save_for_backward(self, *tensors: Tensor | None) -> None:
        """Keep tensors for ``backward``; modifying them in place afterwards is detected."""
        for t in tensors:
            if t is not None and type(t) is not Tensor:
                raise TypeError(f"save_for_backward can only save tensors or None, got {type(t).__name__}")
        self._saved = tensors  # type: ignore[assignment]
        self._saved_epoch = EPOCH[0]

    @property
    def saved_tensors(self) -> tuple[Tensor, ...]:
        """The tensors given to ``save_for_backward``, checked against in-place changes."""
        for t in self._saved:
            if t is not None and modified_after(t._data, self._saved_epoch):
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an "
                    "inplace operation: a tensor passed to save_for_backward was changed afterwards"
                )
        if not self._output_slots:
            return self._saved
        node = self._node()
        return tuple(
            _wrap(t._data, node) if i in self._output_slots and t is not None else t
            for i, t in enumerate(self._saved)
        )

    def _link_output(self, out: Tensor, node: Node) -> None:
        """Saved copies of ``out`` unpack as the graph's output (``grad_fn`` ``node``), so a
        ``backward`` that reads them is differentiable again under ``create_graph``."""
        slots = tuple(i for i, t in enumerate(self._saved) if t is out)
        if slots:
            self._saved = tuple(_wrap(t._data) if i in slots else t for i, t in enumerate(self._saved))
            self._output_slots = slots
            self._node = weakref.ref(node)


class Function:
    """Base class for custom differentiable functions (PyTorch's ``torch.autograd.Function``)."""

    _opdef: OpDef | None = None

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any, **kwargs: Any) -> Tensor:
        """Compute the result from tensors; runs with grad mode off."""
        raise NotImplementedError("subclasses of Function must implement forward(ctx, *args)")

    @staticmethod
    def backward(ctx: FunctionCtx, *grad_outputs: Tensor) -> Any:
        """Return one gradient (Tensor or None) per argument of ``forward``."""
        raise NotImplementedError("subclasses of Function must implement backward(ctx, *grad_outputs)")

    @staticmethod
    def setup_context(ctx: FunctionCtx, inputs: tuple, output: Any) -> None:
        """PyTorch 2's split form: when a subclass defines it, ``forward`` takes no ``ctx`` and this
        saves what ``backward`` needs from the inputs and the output."""
        raise NotImplementedError("setup_context is not defined for this Function")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run ``forward`` and, when an input requires grad, record ``backward`` as its VJP."""
        needs = tuple(type(a) is Tensor and a._requires_grad for a in args)
        ctx = FunctionCtx(needs)
        with no_grad():
            if cls.setup_context is not Function.setup_context:
                out = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, out)
            else:
                out = cls.forward(ctx, *args, **kwargs)
        single = type(out) is Tensor
        if not single and not (isinstance(out, tuple) and any(type(o) is Tensor for o in out)):
            raise TypeError(f"{cls.__name__}.forward must return a Tensor or a tuple of them, got "
                            f"{type(out).__name__}")
        outs: tuple[Any, ...] = (out,) if single else out
        mode = _grad_enabled.get()
        if not (any(needs) and mode):
            _mark_dirty_unrecorded(ctx, outs)
            return out
        differentiable = [i for i, o in enumerate(outs) if type(o) is Tensor and o.is_floating_point()
                          and id(o) not in ctx._non_differentiable]
        if not differentiable:
            return out
        from ..backends import backend_named, backend_of

        data = outs[differentiable[0]]._data
        backend = backend_named("numpy") if type(data) is np.ndarray else backend_of(data)
        edges = tuple((a._grad_fn or a) if need else None for a, need in zip(args, needs))
        inputs = tuple(ShapeDtype(a._data.shape, a._data.dtype) if type(a) is Tensor else a for a in args)
        layout = None if single else _layout(outs, differentiable)
        node = Node(cls._op(), {"ctx": ctx, "layout": layout}, edges, inputs, None, backend.xp)
        if mode is not True:
            from .anomaly import record_trace

            record_trace(node)
        results = list(outs)
        for k, i in enumerate(differentiable):
            grad_fn = node if layout is None else _selector(node, ctx, k, layout, backend.xp)
            results[i] = _attach(ctx, outs[i], grad_fn, node, args)
        return results[0] if single else tuple(results)

    @classmethod
    def _op(cls) -> OpDef:
        """One op definition per subclass: its node name is ``<ClassName>Backward``."""
        if cls.__dict__.get("_opdef") is None:
            registry = Registry("tapegrad.autograd.Function")

            def vjp(xp: Any, g: Any, out: Any, *inputs: Any, ctx: FunctionCtx, layout: Any) -> tuple:
                tensor_mode = type(g) is Tensor
                if isinstance(g, np.generic):  # a 0-d cotangent NumPy computed as a scalar
                    g = np.asarray(g)
                cotangents = (g,) if layout is None else _unpack(xp, g, ctx, layout)
                grads = cls.backward(ctx, *[c if c is None or tensor_mode else _wrap(c) for c in cotangents])
                if not isinstance(grads, tuple):
                    grads = (grads,)
                if len(grads) > len(inputs) and all(gr is None for gr in grads[len(inputs):]):
                    grads = grads[:len(inputs)]  # trailing Nones for extra arguments, as PyTorch allows
                if len(grads) != len(inputs):
                    raise RuntimeError(
                        f"function {cls.__name__}Backward returned an incorrect number of gradients "
                        f"(expected {len(inputs)}, got {len(grads)})"
                    )
                for i, gr in enumerate(grads):
                    if gr is not None and type(gr) is not Tensor:
                        raise RuntimeError(
                            f"function {cls.__name__}Backward returned an invalid gradient at index {i}: "
                            f"expected a Tensor or None (got {type(gr).__name__})"
                        )
                return tuple(
                    None if gr is None or not need else (gr if tensor_mode else gr._data)
                    for gr, need in zip(grads, ctx.needs_input_grad)
                )

            registry.register_op(
                f"function_{cls.__name__}", forward=lambda xp, *xs: None, vjp=vjp, saves=(),
                node_name=f"{cls.__name__}Backward",
            )
            cls._opdef = registry.ops[0][0]
        return cls.__dict__["_opdef"]


def once_differentiable(backward: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a ``backward`` that is not itself differentiable (it leaves tapegrad, say for
    SciPy): it runs without recording, so under ``create_graph=True`` its gradients carry no
    graph, as PyTorch's ``once_differentiable`` makes them."""

    @functools.wraps(backward)
    def wrapper(ctx: FunctionCtx, *grads: Any) -> Any:
        with no_grad():
            return backward(ctx, *[g.detach() if type(g) is Tensor else g for g in grads])

    return wrapper


# ---------------------------------------------------------------------------- outputs
def _attach(ctx: FunctionCtx, out: Tensor, grad_fn: Node, node: Node, args: tuple) -> Tensor:
    """The output tensor, tied to ``grad_fn``: forward's own tensor where it is new (as PyTorch's,
    saved copies of it unpack linked to the graph), a dirty input rewritten in place, or a new
    tensor over an input returned as it is."""
    if any(out is a for a in args):
        if id(out) in ctx._dirty:
            if out._grad_fn is None and out._requires_grad:
                raise RuntimeError(LEAF_DIRTY_MESSAGE)
            mark_modified(out._data)
            out._grad_fn, out._requires_grad = grad_fn, True
            return out
        return _wrap(out._data, grad_fn)  # an input returned as it is stays that input, saved copies too
    if out._grad_fn is None and not out._requires_grad:
        if grad_fn is node:
            ctx._link_output(out, node)
        out._grad_fn, out._requires_grad = grad_fn, True
        return out
    return _wrap(out._data, grad_fn)


def _mark_dirty_unrecorded(ctx: FunctionCtx, outs: Sequence[Any]) -> None:
    """Nothing is recorded, but a dirty input was still written: its version moves on."""
    for o in outs:
        if type(o) is Tensor and id(o) in ctx._dirty:
            mark_modified(o._data)


def _layout(outs: Sequence[Any], differentiable: list[int]) -> tuple:
    """Where each output's cotangent lives in the flat one: ``(index, start, stop, shape, dtype)``
    per output (``start`` None for outputs that take no gradient), then the flat size and dtype."""
    entries: list[tuple[int, int | None, int | None, tuple[int, ...], Any]] = []
    offset = 0
    for i, o in enumerate(outs):
        if type(o) is not Tensor:
            entries.append((i, None, None, (), None))
        elif i in differentiable:
            n = int(o._data.size)
            entries.append((i, offset, offset + n, tuple(o._data.shape), o._data.dtype))
            offset += n
        else:
            entries.append((i, None, None, tuple(o._data.shape), o._data.dtype))
    flat = np.result_type(*[outs[i]._data.dtype for i in differentiable])
    return tuple(entries), offset, flat


def _selector(node: Node, ctx: FunctionCtx, k: int, layout: tuple, xp: Any) -> Node:
    """Output ``k``'s own node: its cotangent goes into its slice of the Function's flat one."""
    entries, total, flat = layout
    start, stop = [e for e in entries if e[1] is not None][k][1:3]
    return Node(_SELECT, {"ctx": ctx, "slot": k, "index": (slice(start, stop),), "total": total},
                (node,), (ShapeDtype((total,), flat),), None, xp)


def _select_vjp(xp: Any, g: Any, out: Any, flat: Any, *, ctx: FunctionCtx, slot: int, index: tuple,
                total: int) -> Any:
    ctx._reached.add(slot)
    return xp.index_scatter_add(xp.reshape(g, (-1,)), index=index, shape=(total,))


def _unpack(xp: Any, g: Any, ctx: FunctionCtx, layout: tuple) -> list[Any]:
    """The flat cotangent cut back into one per output (zeros or None where none arrived)."""
    entries, _, _ = layout
    pieces: list[Any] = []
    slot = 0
    for _, start, stop, shape, dtype in entries:
        if start is None:
            pieces.append(None if dtype is None or not ctx.materialize_grads else _zeros(g, shape, dtype))
            continue
        if not ctx.materialize_grads and slot not in ctx._reached:
            pieces.append(None)
        else:
            piece = xp.reshape(xp.getitem(g, index=(slice(start, stop),)), shape)
            pieces.append(piece if piece.dtype == dtype else xp.astype(piece, dtype))
        slot += 1
    ctx._reached.clear()
    return pieces


def _zeros(like: Any, shape: tuple, dtype: Any) -> Any:
    data = like._data if type(like) is Tensor else like
    zeros = array_namespace(data).zeros(shape, dtype=dtype)
    return _wrap(zeros) if type(like) is Tensor else zeros


def _select_op() -> OpDef:
    registry = Registry("tapegrad.autograd.Function")
    registry.register_op("function_output", forward=lambda xp, flat, **params: flat, vjp=(_select_vjp,),
                         saves=(), node_name="FunctionOutput")
    return registry.ops[0][0]


_SELECT = _select_op()
