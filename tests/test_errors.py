"""Every user error: its type and the substance of PyTorch's message, and that it changes nothing."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Iterator

import numpy as np
import pytest

import tapegrad
from tapegrad import Tensor
from tapegrad.graph import Node


def leaf(values) -> Tensor:
    return tapegrad.tensor(values, dtype=tapegrad.float64, requires_grad=True)


def node_count() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, Node))


# ---------------------------------------------------------------------------- backward misuse
def test_backward_twice_without_retain_graph() -> None:
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time") as info:
        y.backward()
    assert "retain_graph=True" in str(info.value)
    assert x.grad.tolist() == [2.0, 4.0]  # the failed call added nothing


def test_backward_through_a_freed_subgraph() -> None:
    x = leaf([1.0])
    h = x * x
    (h * 2).sum().backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        (h * 3).sum().backward()


def test_implicit_gradient_of_non_scalar() -> None:
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        tapegrad.autograd.grad(x * 2, x)


def test_gradient_of_wrong_shape() -> None:
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"Mismatch in shape: grad_output\[0\] has a shape of .*\[3\]"):
        (x * 2).backward(tapegrad.ones(3))
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        tapegrad.autograd.grad(x * 2, x, grad_outputs=tapegrad.ones(2, 1))
    assert x.grad is None


def test_backward_of_tensor_not_requiring_grad() -> None:
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        tapegrad.ones(2).sum().backward()
    x = leaf([1.0])
    with tapegrad.no_grad():
        y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        y.backward()


def test_grad_wrt_tensor_not_requiring_grad() -> None:
    x = leaf([1.0])
    c = tapegrad.ones(1, dtype=tapegrad.float64)
    with pytest.raises(RuntimeError, match="does not require grad"):
        tapegrad.autograd.grad((x * c).sum(), c)


def test_requires_grad_false_on_non_leaf() -> None:
    y = leaf([1.0]) * 2
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf variables"):
        y.requires_grad_(False)
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf variables"):
        y.requires_grad = False
    assert y.requires_grad


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_requires_grad_on_integer_tensor(dtype: str) -> None:
    with pytest.raises(RuntimeError, match="Only Tensors of floating point"):
        tapegrad.ones(2, dtype=getattr(tapegrad, dtype), requires_grad=True)
    t = tapegrad.ones(2, dtype=getattr(tapegrad, dtype))
    with pytest.raises(RuntimeError, match="Only Tensors of floating point"):
        t.requires_grad_()
    assert not t.requires_grad


def test_requires_grad_on_integer_list() -> None:
    with pytest.raises(RuntimeError, match="Only Tensors of floating point"):
        tapegrad.tensor([1, 2], requires_grad=True)


def test_reading_grad_of_non_leaf_warns() -> None:
    y = leaf([1.0]) * 2
    with pytest.warns(UserWarning, match="not a leaf Tensor"):
        assert y.grad is None


def test_reading_grad_of_leaf_does_not_warn() -> None:
    x = leaf([1.0])
    y = x * 2
    y.retain_grad()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.grad is None
        assert y.grad is None


# ---------------------------------------------------------------------------- bad operands
@pytest.mark.parametrize(
    "a_shape, b_shape, a, b, dim",
    [
        ((2,), (3,), 2, 3, 0),
        ((2, 3), (3, 2), 3, 2, 1),
        ((4, 2), (3,), 2, 3, 1),
    ],
)
def test_shapes_that_do_not_broadcast(a_shape, b_shape, a, b, dim) -> None:
    x = tapegrad.ones(a_shape, requires_grad=True)
    y = tapegrad.ones(b_shape)
    message = rf"The size of tensor a \({a}\) must match the size of tensor b \({b}\) at non-singleton dimension {dim}"
    with pytest.raises(RuntimeError, match=message):
        x + y
    with pytest.raises(RuntimeError, match=message):
        x * y


def test_the_documented_broadcast_message() -> None:
    with pytest.raises(
        RuntimeError,
        match=r"The size of tensor a \(2\) must match the size of tensor b \(3\) at non-singleton dimension 0",
    ):
        tapegrad.ones(2) + tapegrad.ones(3)


@pytest.mark.parametrize(
    "call",
    [
        lambda x: x + "a",
        lambda x: "a" * x,
        lambda x: x - ["a", "b"],
        lambda x: x * ["a", "b"],
        lambda x: tapegrad.add(x, "a"),
        lambda x: tapegrad.mul(["a", "b"], x),
        lambda x: x / None,
    ],
    ids=["add-str", "rmul-str", "sub-list-of-str", "mul-list-of-str", "fn-str", "fn-list-of-str", "div-none"],
)
def test_unsupported_operand_types(call) -> None:
    x = tapegrad.ones(2, requires_grad=True)
    with pytest.raises(TypeError):
        call(x)


def test_unsupported_operand_message_names_the_op() -> None:
    with pytest.raises(TypeError, match=r"add\(\).*str"):
        tapegrad.ones(2) + "a"


def test_failed_op_leaves_no_node() -> None:
    x = tapegrad.ones(2, requires_grad=True)
    before = node_count()
    for bad in (lambda: x + tapegrad.ones(3), lambda: x * "a"):
        with pytest.raises((RuntimeError, TypeError)):
            bad()
    assert node_count() == before


# ---------------------------------------------------------------------------- a plugin op whose VJP raises
class VJPError(Exception):
    pass


class FaultyOps:
    """A plugin with an op whose VJP raises and one whose VJP returns a wrong shape."""

    @tapegrad.hookimpl
    def tapegrad_register_ops(self, registry) -> None:
        def explode(xp, g, ans, x):
            raise VJPError("boom in the vjp")

        registry.register_op("test_explode", forward=lambda xp, x: xp.multiply(x, 1.0), vjp=(explode,), saves=())
        registry.register_op(
            "test_bad_shape",
            forward=lambda xp, x: xp.multiply(x, 1.0),
            vjp=(lambda xp, g, ans, x: xp.ones((7,), dtype=g.dtype),),
            saves=(),
        )


@pytest.fixture
def faulty() -> Iterator[str]:
    name = tapegrad.plugins.register(FaultyOps(), name="test-errors-faulty")
    try:
        yield name
    finally:
        tapegrad.plugins.unregister(name)


def test_a_failed_backward_leaves_no_partial_gradient(faulty: str) -> None:
    x = leaf([1.0, 2.0])
    w = leaf([3.0, 4.0])
    x.grad = tapegrad.tensor([10.0, 10.0], dtype=tapegrad.float64)
    # Many branches reach x and w before and after the one that raises.
    h = x * w
    h.retain_grad()
    branches = [h * 2, x + 1, tapegrad.test_explode(x) * w, w * 3, h + x]
    out = branches[0]
    for b in branches[1:]:
        out = out + b
    with pytest.raises(VJPError, match="boom in the vjp"):
        out.sum().backward()
    assert x.grad.tolist() == [10.0, 10.0]  # untouched, not partly accumulated
    assert w.grad is None
    assert h.grad is None


def test_a_failed_grad_call_leaves_no_gradient(faulty: str) -> None:
    x = leaf([1.0])
    y = (tapegrad.test_explode(x) + x * 2).sum()
    with pytest.raises(VJPError):
        tapegrad.autograd.grad(y, x)
    assert x.grad is None


def test_a_failed_multi_root_backward_writes_nothing() -> None:
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        tapegrad.autograd.backward([(x * 2).sum(), x * 3], [None, tapegrad.ones(5)])
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        tapegrad.autograd.backward([(x * 2).sum(), x * 3])
    assert x.grad is None


def test_a_wrong_shaped_cotangent_names_op_and_plugin(faulty: str) -> None:
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"TestBadShapeBackward0.*'test_bad_shape'.*test-errors-faulty"):
        tapegrad.test_bad_shape(x).sum().backward()
    assert x.grad is None


def test_plugin_ops_name_their_plugin(faulty: str) -> None:
    assert tapegrad.list_ops()["test_explode"] == faulty
    y = tapegrad.test_explode(leaf([1.0]))
    assert y.grad_fn.name() == "TestExplodeBackward0"
    assert y.grad_fn.plugin == faulty


def test_unregistered_op_is_gone(faulty: str) -> None:
    tapegrad.plugins.unregister(faulty)
    try:
        with pytest.raises(AttributeError, match="no op 'test_explode' is registered"):
            tapegrad.test_explode
    finally:
        tapegrad.plugins.register(FaultyOps(), name=faulty)


# ---------------------------------------------------------------------------- without the built-in ops
@pytest.fixture
def builtin_blocked() -> Iterator[None]:
    tapegrad.plugins.block("tapegrad.ops_builtin")
    try:
        yield
    finally:
        tapegrad.plugins.unblock("tapegrad.ops_builtin")


def test_without_builtin_ops_tensors_build_but_add_is_missing(builtin_blocked: None) -> None:
    x = tapegrad.ones(2, 2, requires_grad=True)
    assert x.shape == (2, 2)
    assert repr(x) == "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)"
    assert tapegrad.tensor([1, 2]).tolist() == [1, 2]
    assert np.all(tapegrad.zeros(3).numpy() == 0)
    with pytest.raises(RuntimeError, match="no op 'add' is registered"):
        x + 1
    with pytest.raises(RuntimeError, match="no op 'add' is registered"):
        1 + x
    with pytest.raises(AttributeError, match="no op 'mul' is registered"):
        tapegrad.mul
    assert "add" not in tapegrad.list_ops()


def test_builtin_ops_come_back_after_unblock() -> None:
    tapegrad.plugins.block("tapegrad.ops_builtin")
    try:
        with pytest.raises(RuntimeError, match="no op 'add' is registered"):
            tapegrad.ones(1) + 1
    finally:
        tapegrad.plugins.unblock("tapegrad.ops_builtin")
    assert (tapegrad.ones(1) + 1).tolist() == [2.0]
