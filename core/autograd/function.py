"""``tapegrad.autograd.Function``: a one-off differentiable op without writing a plugin.

Subclass it with static ``forward(ctx, *args)`` and ``backward(ctx, *grads)`` and call
``MyFn.apply(...)``. ``forward`` runs without recording; its output is attached to one
graph node whose VJP calls ``backward`` with tensors. Under ``create_graph=True`` the
ops inside ``backward`` are recorded too, so a ``backward`` written with tapegrad ops
is differentiable again.
"""

from __future__ import annotations

import weakref
from typing import Any, Callable

import numpy as np

from ..grad_mode import _grad_enabled, no_grad
from ..graph import Node, ShapeDtype
from ..registry import OpDef, Registry
from ..tensor import Tensor, _wrap
from ..versions import EPOCH, modified_after

__all__ = ["Function", "FunctionCtx"]


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

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Tensor:
        """Run ``forward`` and, when an input requires grad, record ``backward`` as its VJP."""
        needs = tuple(type(a) is Tensor and a._requires_grad for a in args)
        ctx = FunctionCtx(needs)
        with no_grad():
            out = cls.forward(ctx, *args, **kwargs)
        if type(out) is not Tensor:
            raise TypeError(f"{cls.__name__}.forward must return a Tensor, got {type(out).__name__}")
        mode = _grad_enabled.get()
        if not (any(needs) and mode):
            return out
        from ..backends import backend_named, backend_of

        data = out._data
        backend = backend_named("numpy") if type(data) is np.ndarray else backend_of(data)
        edges = tuple((a._grad_fn or a) if need else None for a, need in zip(args, needs))
        inputs = tuple(ShapeDtype(a._data.shape, a._data.dtype) if type(a) is Tensor else a for a in args)
        node = Node(cls._op(), {"ctx": ctx}, edges, inputs, None, backend.xp)
        if mode is not True:
            from .anomaly import record_trace

            record_trace(node)
        if out._grad_fn is None and not out._requires_grad and not any(out is a for a in args):
            # As PyTorch: the tensor forward returned is the output, not a copy of it.
            ctx._link_output(out, node)
            out._grad_fn = node
            out._requires_grad = True
            return out
        return _wrap(data, node)  # an input returned as it is stays that input, saved copies too

    @classmethod
    def _op(cls) -> OpDef:
        """One op definition per subclass: its node name is ``<ClassName>Backward``."""
        if cls.__dict__.get("_opdef") is None:
            registry = Registry("tapegrad.autograd.Function")

            def vjp(xp: Any, g: Any, out: Any, *inputs: Any, ctx: FunctionCtx) -> tuple:
                tensor_mode = type(g) is Tensor
                if isinstance(g, np.generic):  # a 0-d cotangent NumPy computed as a scalar
                    g = np.asarray(g)
                grads = cls.backward(ctx, g if tensor_mode else _wrap(g))
                if not isinstance(grads, tuple):
                    grads = (grads,)
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
