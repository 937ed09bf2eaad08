"""A node's class is named after it, as PyTorch's are: ``type(y.grad_fn).__name__ == "MulBackward0"``.

Nodes are recorded as plain ``Node``s and get their named class when shown (``grad_fn``,
``next_functions``); the engine treats both alike, and a composite may name the node its result
came from (``x.max()`` is ``MaxBackward1``).
"""

from __future__ import annotations


import pytest

import tapegrad
from tapegrad.autograd.graph import Node


def leaf(*values: float) -> tapegrad.Tensor:
    return tapegrad.tensor(list(values), requires_grad=True)


@pytest.mark.parametrize("make, name", [
    (lambda x: x * 2, "MulBackward0"),
    (lambda x: 1 - x, "RsubBackward1"),
    (lambda x: x.sum(0), "SumBackward1"),
    (lambda x: x.sum(), "SumBackward0"),
    (lambda x: x[0], "SelectBackward0"),
    (lambda x: x.max(), "MaxBackward1"),
    (lambda x: x.reshape(2, 1).max(0).values, "MaxBackward0"),
    (lambda x: x.min(), "MinBackward1"),
    (lambda x: tapegrad.max(x, x * 2), "MaximumBackward0"),
])
def test_type_name_is_node_name(make, name):
    node = make(leaf(1.0, 2.0)).grad_fn
    assert type(node).__name__ == name == node.name()
    assert repr(type(node)) == f"<class '{name}'>"
    assert isinstance(node, Node)
    assert repr(node).startswith(f"<{name} object at 0x")


def test_next_functions_are_named_and_backward_still_runs():
    x = leaf(1.0, 2.0)
    y = (x.exp() * 3).sum()
    inner = y.grad_fn.next_functions[0][0]
    assert type(inner).__name__ == "MulBackward0"
    exp = inner.next_functions[0][0]
    assert type(exp).__name__ == "ExpBackward0"
    sink = exp.next_functions[0][0]  # the leaf shows as its AccumulateGrad
    assert type(sink).__name__ == "AccumulateGrad" and sink.variable is x
    y.backward(retain_graph=True)  # a graph whose nodes were named runs as before
    first = x.grad.clone()
    x.grad = None
    z = (x.exp() * 3).sum()  # and one never shown
    z.backward()
    assert x.grad.tolist() == first.tolist()


def test_named_nodes_work_under_create_graph_and_autograd_grad():
    x = leaf(0.5, 1.5)
    y = (x ** 3).sum()
    assert type(y.grad_fn).__name__ == "SumBackward0"
    (g,) = tapegrad.autograd.grad(y, x, create_graph=True)
    assert type(g.grad_fn).__name__ != "Node"
    (h,) = tapegrad.autograd.grad(g.sum(), x)
    assert h.tolist() == pytest.approx([3.0, 9.0])


def test_function_node_class_lives_in_autograd_function():
    class Cube(tapegrad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x ** 2 * g

    y = Cube.apply(leaf(2.0))
    assert repr(type(y.grad_fn)) == "<class 'tapegrad.autograd.function.CubeBackward'>"
    assert type(y.grad_fn).__name__ == "CubeBackward"


def test_the_name_is_fixed_once_shown():
    """A node named by a rule keeps the name it was shown with after backward frees its inputs."""
    x = leaf(1.0, 2.0)
    y = 1 - x
    assert type(y.grad_fn).__name__ == "RsubBackward1"
    y.sum().backward()
    assert y.grad_fn.name() == "RsubBackward1"


def test_composite_node_name_is_checked_at_registration():
    registry = tapegrad.Registry("p")
    with pytest.raises(tapegrad.RegistrationError, match="node_name must be a str or a callable"):
        registry.register_composite("c", lambda x: x, node_name=3)
