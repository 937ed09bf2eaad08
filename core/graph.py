"""Graph nodes: what an operation leaves behind so that backward can replay it.

One ``Node`` per recorded op. It holds the op (its VJP rules), the static params, one
edge per input (the producing node, the leaf tensor itself, or None when no gradient
flows there), and only what the op declared its VJP reads.
"""

from __future__ import annotations

import operator
from operator import itemgetter
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Callable, Mapping

import numpy as np

from .versions import EPOCH

if TYPE_CHECKING:
    from .registry import OpDef
    from .tensor import Tensor

__all__ = ["Node", "FastNode", "ShapeDtype", "AccumulateGrad", "named", "NO_PARAMS", "passthrough", "Combine", "live_positions"]

# The params of every node recorded without any: one shared, read-only mapping, so such a node
# holds no dict of its own (64 bytes a node; a 100,000-op chain held 6.4 MB of empty dicts).
NO_PARAMS: Mapping[str, Any] = MappingProxyType({})

FUNCTION_PLUGIN = "tapegrad.autograd.Function"  # the plugin name autograd.Function's ops register under


def passthrough(xp: Any, g: Any, out: Any, *inputs: Any, **params: Any) -> Any:
    """The VJP rule of an input whose cotangent is the output's, unchanged (``x`` in ``x + y``).

    A rule like any other wherever rules are called (``create_graph``, ``autograd.grad``, the kit);
    the engine's plain loop recognises it and hands ``g`` on without a Python call."""
    return g


# The four operators Combine takes, each with the NumPy ufunc its ndarray operator calls: the engine calls
# that one itself on a NumPy cotangent and a Python number (the operator's slot would build an argument
# tuple and look for reasons to defer first: about 470 instructions a call).
_ARITHMETIC = {operator.add: np.add, operator.sub: np.subtract, operator.mul: np.multiply,
               operator.truediv: np.true_divide}


class Combine:
    """The VJP rule ``fn(g, inputs[j])`` for a Python operator ``fn`` of two operands (``Combine(operator.mul,
    1)``: ``g * y``, mul's rule for ``x``). A node with params runs ``rule`` instead, when one is given
    (``Combine(operator.truediv, 1, div_rule_x)``: a rounding mode changes the cotangent); without one,
    params do not change it.

    A rule like any other wherever rules are called; the engine's first-order loop calls ``fn`` itself
    (no Python frame), and when ``inputs[j]`` is a Python number and ``g`` an array already checked
    against the input's very stand-in, skips the check of the result: an elementwise operator of an
    array and a Python number keeps the array's shape and dtype (NumPy's weak scalars, NEP 50)."""

    __slots__ = ("fn", "j", "rule", "ufunc")

    def __init__(self, fn: Callable[[Any, Any], Any], j: int, rule: Callable[..., Any] | None = None) -> None:
        if fn not in _ARITHMETIC:  # what the skipped check assumes: a comparison's result would be bool
            raise ValueError(f"Combine() takes operator.add, sub, mul or truediv, not {fn!r}")
        self.fn, self.j, self.rule = fn, j, rule
        self.ufunc = _ARITHMETIC[fn]  # fn on a NumPy array and a Python number, called directly

    def __call__(self, xp: Any, g: Any, out: Any, *inputs: Any, **params: Any) -> Any:
        if params and self.rule is not None:
            return self.rule(xp, g, out, *inputs, **params)
        return self.fn(g, inputs[self.j])

    def __repr__(self) -> str:
        return f"Combine({getattr(self.fn, '__name__', self.fn)}, {self.j})"


_LIVE: dict[tuple, tuple] = {}


def live_positions(edges: tuple) -> tuple[int, ...]:
    """The positions of the edges that are not None, as one shared tuple per pattern: what a node's
    ``live`` holds, so that backward's loops pass over no input that takes no gradient."""
    live = tuple(i for i, e in enumerate(edges) if e is not None)
    return _LIVE.setdefault(live, live)


class ShapeDtype(tuple):
    """Stands in for an input the VJP declared it does not read: ``.shape`` and ``.dtype`` only.

    A tuple ``(shape, dtype)`` underneath, so the forward records it at the cost of a tuple.
    """

    __slots__ = ()

    def __new__(cls, shape: tuple[int, ...], dtype: Any) -> ShapeDtype:
        return tuple.__new__(cls, (shape, dtype))

    # C-level getters: the engine reads these once per input of every node that has stand-ins
    shape = property(itemgetter(0), doc="The stood-in array's shape.")
    dtype = property(itemgetter(1), doc="The stood-in array's dtype.")

    @property
    def ndim(self) -> int:
        return len(self[0])

    @property
    def size(self) -> int:
        n = 1
        for d in self[0]:
            n *= d
        return n

    def __repr__(self) -> str:
        return f"ShapeDtype(shape={self[0]}, dtype={self[1]})"


class Node:
    """The backward record of one op application (PyTorch's ``grad_fn``).

    ``io`` holds, in one tuple, the ``n`` edges (the producing node, the leaf tensor, or
    None where no gradient flows) followed by what the VJP gets for each input: the raw
    input when the op saves its inputs, else a ``ShapeDtype`` stand-in (Python scalars as
    they are). One tuple, not two: a recorded op then allocates one object fewer for the
    garbage collector to scan. ``out`` is the output when the op saves it. Backward
    releases saved values by dropping the inputs from ``io`` (``freed``); ``epoch`` is the
    in-place mutation epoch when the node was made (see ``tapegrad.versions``). ``live`` holds the
    positions of the edges that are not None (``live_positions``): backward's dependency count and
    its loop visit only those (a Python scalar operand's None edge costs them nothing).
    """

    # ``hooks``: the gradient hooks of the tensor this node made (``Tensor.register_hook``), set only
    # on nodes that have some (``tapegrad.hooks.node_hooks`` names them): held by the node, so a hook
    # closing over its tensor is a cycle the garbage collector frees, never a graph kept forever.
    __slots__ = ("op", "params", "io", "n", "live", "out", "xp", "epoch", "hooks", "__weakref__")
    hooks: list[Callable[[Any], Any]]

    def __init__(self, op: OpDef, params: Mapping[str, Any], edges: tuple, inputs: tuple, out: Any, xp: Any) -> None:
        self.epoch = EPOCH[0]
        self.op = op
        self.params = params or NO_PARAMS
        self.io = (*edges, *inputs)
        self.n = len(edges)
        self.live = live_positions(edges)
        self.out: Any = out
        self.xp = xp

    @property
    def edges(self) -> tuple:
        """One per input: the node that produced it, the leaf tensor itself, or None."""
        return self.io[:self.n]

    @property
    def inputs(self) -> Any:
        """What the VJP gets for each input; None once backward freed them."""
        return self.io[self.n:] if len(self.io) > self.n else None

    @inputs.setter
    def inputs(self, values: tuple | None) -> None:
        self.io = self.io[:self.n] + (tuple(values) if values is not None else ())

    @property
    def freed(self) -> bool:
        """Whether backward released what this node saved."""
        return len(self.io) == self.n

    def name(self) -> str:
        """The node's class-like name, as PyTorch's: ``add`` gives ``AddBackward0``, ``x.sum(0)``
        ``SumBackward1`` (an op may name nodes by a rule of its params and inputs)."""
        cls = type(self)
        if cls is not Node and cls is not FastNode:  # named already (see ``named``): the name is the class's
            return cls.__name__
        namer = self.op.node_namer
        if namer is None:
            return self.op.node_name
        try:
            return namer(self.params, self.inputs)
        except Exception:  # a name is for printing: a rule that fails must not break a repr
            return self.op.node_name

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        """One ``(node, 0)`` pair per input, as PyTorch shows them; leaves appear as AccumulateGrad."""
        return tuple(
            (e if e is None else named(e) if isinstance(e, Node) else AccumulateGrad(e), 0) for e in self.edges
        )

    @property
    def plugin(self) -> str:
        """The name of the plugin that registered this node's op."""
        return self.op.plugin

    def __repr__(self) -> str:
        where = "tapegrad.autograd.function." if self.op.plugin == FUNCTION_PLUGIN else ""
        return f"<{where}{self.name()} object at {id(self):#x}>"


class FastNode(Node):
    """A ``Node`` as the op fast paths make it: ``FastNode()`` with no arguments, every field then
    set by the caller. A class whose ``__init__`` is ``object``'s is called with no argument tuple and
    no Python frame, about 270 instructions less a node than ``Node.__new__(Node)``. The same node in
    every other way (the engine asks ``isinstance(edge, Node)``); users meet it only through
    ``grad_fn`` and ``next_functions``, which give it its PyTorch name first (``named``)."""

    __slots__ = ()
    __init__ = object.__init__  # type: ignore[assignment]


class AccumulateGrad:
    """How a leaf shows in ``next_functions``: the sink that accumulates into ``.grad``."""

    __slots__ = ("variable",)

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable

    def name(self) -> str:
        return "AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"


_NAMED: dict[tuple[str, str], type] = {}


def named(node: Node) -> Node:
    """``node``, its class now the subclass named after it (``MulBackward0``), as PyTorch's nodes are:
    ``type(y.grad_fn).__name__`` is the node's name.

    Done when a node is shown to the user (``grad_fn``, ``next_functions``), not when it is
    recorded, so recording stays one plain ``Node(...)``; the engine treats every subclass alike.
    The name is fixed from then on, as a node's class is.
    """
    if type(node) is Node or type(node) is FastNode:
        rename(node, node.name())
    return node


def rename(node: Node, name: str) -> None:
    """Give ``node`` the class ``name``: how a composite names the node its result came from
    (``x.max()`` is ``MaxBackward1`` though ``amax`` made it)."""
    module = "tapegrad.autograd.function" if node.op.plugin == FUNCTION_PLUGIN else "builtins"
    cls = _NAMED.get((module, name))
    if cls is None:
        cls = _NAMED.setdefault((module, name), type(name, (Node,), {
            "__slots__": (), "__module__": module, "__qualname__": name,
            "__doc__": "A backward node (see tapegrad's Node)."}))
    node.__class__ = cls
