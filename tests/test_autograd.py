"""Autograd semantics: what backward and autograd.grad compute and where they put it."""

from __future__ import annotations

import gc
import sys

import numpy as np
import pytest

import tapegrad
from tapegrad import Tensor
from tapegrad.graph import Node


def leaf(values, dtype=tapegrad.float64) -> Tensor:
    return tapegrad.tensor(values, dtype=dtype, requires_grad=True)


def grad_of(t: Tensor) -> list:
    assert t.grad is not None
    return t.grad.tolist()


def node_count() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, Node))


# ---------------------------------------------------------------------------- backward basics
class TestBackward:
    def test_tutorial_gradient(self) -> None:
        x = tapegrad.ones(2, 2, requires_grad=True)
        out = ((x + 2) * (x + 2) * 3).mean()
        out.backward()
        assert grad_of(x) == [[4.5, 4.5], [4.5, 4.5]]
        assert x.grad.dtype is tapegrad.float32

    def test_accumulates_across_calls(self) -> None:
        x = leaf([1.0, 2.0])
        (x * 3).sum().backward()
        (x * 3).sum().backward()
        assert grad_of(x) == [6.0, 6.0]
        (x * x).sum().backward()
        assert grad_of(x) == [8.0, 10.0]

    def test_zeroing_by_none(self) -> None:
        x = leaf([1.0])
        (x * 3).sum().backward()
        x.grad = None
        (x * 5).sum().backward()
        assert grad_of(x) == [5.0]

    def test_retain_graph_allows_a_second_backward(self) -> None:
        x = leaf([1.0, 2.0])
        y = (x * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        assert grad_of(x) == [4.0, 8.0]

    def test_gradient_argument(self) -> None:
        x = leaf([1.0, 2.0, 3.0])
        (x * x).backward(tapegrad.tensor([1.0, 0.0, 2.0], dtype=tapegrad.float64))
        assert grad_of(x) == [2.0, 0.0, 12.0]

    def test_gradient_is_cast_to_output_dtype(self) -> None:
        x = tapegrad.ones(2, requires_grad=True)  # float32
        (x * 2).backward(tapegrad.ones(2, dtype=tapegrad.float64))
        assert x.grad.dtype is tapegrad.float32

    def test_grad_has_leaf_dtype(self) -> None:
        x32 = tapegrad.ones(2, requires_grad=True)
        x64 = leaf([1.0, 1.0])
        (x32 * x64).sum().backward()
        assert x32.grad.dtype is tapegrad.float32
        assert x64.grad.dtype is tapegrad.float64

    def test_leaf_as_root(self) -> None:
        x = leaf([1.0, 2.0])
        g = tapegrad.tensor([3.0, 4.0], dtype=tapegrad.float64)
        x.backward(g)
        assert grad_of(x) == [3.0, 4.0]
        assert not np.shares_memory(x.grad.numpy(), g.numpy())
        x.backward(g)
        assert grad_of(x) == [6.0, 8.0]
        assert g.tolist() == [3.0, 4.0]  # the user's gradient is never written to

    def test_scalar_leaf_as_root(self) -> None:
        x = tapegrad.tensor(2.0, requires_grad=True)
        x.backward()
        assert x.grad.item() == 1.0

    def test_broadcast_gradients_sum_down(self) -> None:
        x = leaf([[1.0], [2.0]])  # (2, 1)
        y = leaf([10.0, 20.0, 30.0])  # (3,)
        (x * y).sum().backward()
        assert grad_of(x) == [[60.0], [60.0]]
        assert grad_of(y) == [3.0, 3.0, 3.0]

    def test_scalar_operands(self) -> None:
        x = leaf([1.0, 2.0])
        (2.0 / x + 3.0 - x ** 2 * 0.5 - (-x)).sum().backward()
        np.testing.assert_allclose(grad_of(x), [-2.0 - 1.0 + 1.0, -0.5 - 2.0 + 1.0])


# ---------------------------------------------------------------------------- graph shapes
class TestGraphShapes:
    def test_diamond(self) -> None:
        x = leaf([1.0, 2.0])
        a = x * 2
        b = x * 3
        (a * b).sum().backward()  # 6x^2
        assert grad_of(x) == [12.0, 24.0]

    def test_reused_intermediate(self) -> None:
        x = leaf([3.0])
        y = x * x
        z = y * y + y  # x^4 + x^2
        z.sum().backward()
        assert grad_of(x) == [4 * 27.0 + 6.0]

    def test_x_times_x(self) -> None:
        x = leaf([3.0, -1.0])
        (x * x).sum().backward()
        assert grad_of(x) == [6.0, -2.0]

    def test_x_plus_x(self) -> None:
        x = leaf([3.0, -1.0])
        g = tapegrad.tensor([1.0, 2.0], dtype=tapegrad.float64)
        (x + x).backward(g)
        assert grad_of(x) == [2.0, 4.0]
        assert g.tolist() == [1.0, 2.0]

    def test_sum_of_two_leaves_gives_independent_grads(self) -> None:
        x = leaf([1.0, 2.0])
        y = leaf([3.0, 4.0])
        g = tapegrad.tensor([1.0, 1.0], dtype=tapegrad.float64)
        (x + y).backward(g)
        assert grad_of(x) == grad_of(y) == [1.0, 1.0]
        assert x.grad is not y.grad
        assert not np.shares_memory(x.grad.numpy(), y.grad.numpy())
        assert not np.shares_memory(x.grad.numpy(), g.numpy())
        assert not np.shares_memory(y.grad.numpy(), g.numpy())
        x.grad.numpy()[0] = 100.0
        assert grad_of(y) == [1.0, 1.0]
        assert g.tolist() == [1.0, 1.0]
        y.grad.numpy()[1] = -5.0
        assert grad_of(x) == [100.0, 1.0]
        # and accumulating into one later does not touch the other
        (x + y).backward(g)
        assert grad_of(x) == [101.0, 2.0]
        assert grad_of(y) == [2.0, -4.0]
        assert g.tolist() == [1.0, 1.0]

    def test_sum_of_two_leaves_with_create_graph_gives_independent_grads(self) -> None:
        x = leaf([1.0, 2.0])
        y = leaf([3.0, 4.0])
        g = tapegrad.tensor([1.0, 1.0], dtype=tapegrad.float64)
        (x + y).backward(g, create_graph=True)
        assert grad_of(x) == grad_of(y) == [1.0, 1.0]
        assert x.grad is not y.grad
        assert x.grad is not g and y.grad is not g
        x.grad.data.numpy()[0] = 100.0
        assert grad_of(y) == [1.0, 1.0]
        assert g.tolist() == [1.0, 1.0]

    def test_later_backward_does_not_write_into_the_users_gradient(self) -> None:
        x = leaf([1.0, 2.0])
        g = tapegrad.tensor([1.0, 2.0], dtype=tapegrad.float64)
        x.backward(g, create_graph=True)
        x.backward(g)
        assert g.tolist() == [1.0, 2.0]
        assert grad_of(x) == [2.0, 4.0]

    def test_unused_leaf_gets_no_grad(self) -> None:
        x = leaf([1.0])
        unused = leaf([1.0])
        (x * 2).sum().backward()
        assert unused.grad is None

    def test_constant_inputs_get_no_grad(self) -> None:
        x = leaf([1.0, 2.0])
        c = tapegrad.tensor([5.0, 6.0], dtype=tapegrad.float64)
        (x * c).sum().backward()
        assert grad_of(x) == [5.0, 6.0]
        assert c.grad is None

    def test_detach_cuts_the_graph(self) -> None:
        x = leaf([2.0])
        y = x * x
        (y.detach() * x).sum().backward()
        assert grad_of(x) == [4.0]  # y is a constant here

    def test_zero_dim_gradients_are_tensors_that_print(self) -> None:
        x = tapegrad.tensor(2.0, requires_grad=True)
        (x * x).backward()
        assert x.grad.shape == ()
        assert x.grad.item() == 4.0
        assert repr(x.grad) == "tensor(4.)"
        assert isinstance(x.grad.numpy(), np.ndarray)


# ---------------------------------------------------------------------------- retain_grad
class TestRetainGrad:
    def test_non_leaf_grad_kept(self) -> None:
        x = leaf([1.0, 2.0])
        y = x * 2
        y.retain_grad()
        z = y * y
        z.retain_grad()
        z.sum().backward()
        assert grad_of(z) == [1.0, 1.0]
        assert grad_of(y) == [4.0, 8.0]
        assert grad_of(x) == [8.0, 16.0]

    def test_retained_grad_accumulates(self) -> None:
        x = leaf([1.0])
        y = x * 2
        y.retain_grad()
        (y * 3).sum().backward(retain_graph=True)
        (y * 3).sum().backward()
        assert grad_of(y) == [6.0]

    def test_retained_root(self) -> None:
        x = leaf([1.0, 2.0])
        y = x * 2
        y.retain_grad()
        g = tapegrad.tensor([5.0, 7.0], dtype=tapegrad.float64)
        y.backward(g)
        assert grad_of(y) == [5.0, 7.0]
        y.grad.numpy()[0] = 0.0
        assert g.tolist() == [5.0, 7.0]


# ---------------------------------------------------------------------------- higher order
class TestHigherOrder:
    def test_second_and_third_derivative_of_cubic(self) -> None:
        x = leaf(2.0)
        y = x ** 3
        (d1,) = tapegrad.autograd.grad(y, x, create_graph=True)
        (d2,) = tapegrad.autograd.grad(d1, x, create_graph=True)
        (d3,) = tapegrad.autograd.grad(d2, x)
        assert d1.item() == 12.0  # 3x^2
        assert d2.item() == 12.0  # 6x
        assert d3.item() == 6.0  # 6
        assert d1.requires_grad and d2.requires_grad and not d3.requires_grad

    def test_polynomial_through_backward(self) -> None:
        x = leaf([2.0, -1.0])
        y = (x ** 4 - 3 * x ** 2 + 5 * x).sum()
        y.backward(create_graph=True)
        g = x.grad
        assert g.tolist() == [4 * 8 - 12 + 5, -4 + 6 + 5]  # 4x^3 - 6x + 5
        assert g.requires_grad and g.grad_fn is not None
        x.grad = None
        g.sum().backward()
        assert grad_of(x) == [12 * 4 - 6, 12 - 6]  # 12x^2 - 6

    def test_third_derivative_of_polynomial_with_division_and_mean(self) -> None:
        x = leaf([1.0, 2.0])
        y = ((x ** 3) / 2 + x * x * x).mean()  # mean of 1.5 x^3
        (d1,) = tapegrad.autograd.grad(y, x, create_graph=True)
        (d2,) = tapegrad.autograd.grad(d1.sum(), x, create_graph=True)
        (d3,) = tapegrad.autograd.grad(d2.sum(), x)
        assert d1.tolist() == [4.5 * 1 / 2, 4.5 * 4 / 2]  # 4.5x^2 / 2
        assert d2.tolist() == [9.0 * 1 / 2, 9.0 * 2 / 2]
        assert d3.tolist() == [4.5, 4.5]

    def test_mixed_partials(self) -> None:
        x = leaf([2.0])
        y = leaf([3.0])
        f = (x * x * y).sum()  # d/dx = 2xy, d2/dxdy = 2x
        (dx,) = tapegrad.autograd.grad(f, x, create_graph=True)
        (dxy,) = tapegrad.autograd.grad(dx.sum(), y)
        assert dx.tolist() == [12.0]
        assert dxy.tolist() == [4.0]

    def test_exp_log_second_order(self) -> None:
        x = leaf([0.5])
        (d1,) = tapegrad.autograd.grad(tapegrad.exp(x * 2).sum(), x, create_graph=True)
        (d2,) = tapegrad.autograd.grad(d1.sum(), x)
        np.testing.assert_allclose(d2.tolist(), [4 * np.exp(1.0)])
        (l1,) = tapegrad.autograd.grad(tapegrad.log(x).sum(), x, create_graph=True)
        (l2,) = tapegrad.autograd.grad(l1.sum(), x)
        np.testing.assert_allclose(l2.tolist(), [-4.0])  # -1/x^2

    def test_create_graph_retains_by_default(self) -> None:
        x = leaf([1.0])
        y = (x * x).sum()
        y.backward(create_graph=True)
        y.backward()  # the graph is still there
        assert grad_of(x)[0] == 4.0


# ---------------------------------------------------------------------------- autograd.grad / backward
class TestFunctional:
    def test_grad_returns_a_tuple_and_touches_no_grad(self) -> None:
        x = leaf([1.0, 2.0])
        y = leaf([3.0])
        result = tapegrad.autograd.grad((x * y).sum(), [x, y])
        assert isinstance(result, tuple) and len(result) == 2
        assert result[0].tolist() == [3.0, 3.0]
        assert result[1].tolist() == [3.0]
        assert x.grad is None and y.grad is None

    def test_grad_single_input_tensor(self) -> None:
        x = leaf([1.0])
        result = tapegrad.autograd.grad((x * 5).sum(), x)
        assert isinstance(result, tuple) and result[0].tolist() == [5.0]

    def test_allow_unused(self) -> None:
        x = leaf([1.0])
        z = leaf([1.0])
        gx, gz = tapegrad.autograd.grad((x * 2).sum(), [x, z], allow_unused=True)
        assert gx.tolist() == [2.0] and gz is None
        with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
            tapegrad.autograd.grad((x * 2).sum(), [x, z])

    def test_non_leaf_inputs(self) -> None:
        x = leaf([1.0, 2.0])
        h = x * 3
        out = (h * h).sum()
        gh, gx = tapegrad.autograd.grad(out, [h, x])
        assert gh.tolist() == [6.0, 12.0]  # 2h
        assert gx.tolist() == [18.0, 36.0]  # 18x
        assert x.grad is None

    def test_grad_outputs(self) -> None:
        x = leaf([1.0, 2.0])
        (g,) = tapegrad.autograd.grad(x * x, x, grad_outputs=tapegrad.tensor([1.0, 10.0], dtype=tapegrad.float64))
        assert g.tolist() == [2.0, 40.0]
        (g,) = tapegrad.autograd.grad([x * x], [x], grad_outputs=[tapegrad.tensor([1.0, 0.0], dtype=tapegrad.float64)])
        assert g.tolist() == [2.0, 0.0]

    def test_grad_of_several_outputs(self) -> None:
        x = leaf([2.0])
        (g,) = tapegrad.autograd.grad([(x * x).sum(), (x * 3).sum()], x)
        assert g.tolist() == [7.0]

    def test_grad_frees_the_graph(self) -> None:
        x = leaf([2.0])
        y = (x * x).sum()
        tapegrad.autograd.grad(y, x)
        with pytest.raises(RuntimeError, match="second time"):
            tapegrad.autograd.grad(y, x)

    def test_grad_with_retain_graph(self) -> None:
        x = leaf([2.0])
        y = (x * x).sum()
        tapegrad.autograd.grad(y, x, retain_graph=True)
        (g,) = tapegrad.autograd.grad(y, x)
        assert g.tolist() == [4.0]

    def test_backward_several_roots(self) -> None:
        x = leaf([1.0])
        tapegrad.autograd.backward([(x * 2).sum(), (x * 3).sum()])
        assert grad_of(x) == [5.0]
        tapegrad.autograd.backward(
            [x * 2, (x * 3).reshape(1, 1)],
            [tapegrad.tensor([1.0], dtype=tapegrad.float64), tapegrad.tensor([[2.0]], dtype=tapegrad.float64)],
        )
        assert grad_of(x) == [5.0 + 2.0 + 6.0]

    def test_backward_roots_sharing_a_graph(self) -> None:
        x = leaf([1.0, 2.0])
        y = x * x
        tapegrad.autograd.backward([y.sum(), (y * 2).sum()])
        assert grad_of(x) == [6.0, 12.0]

    def test_backward_with_inputs_limits_accumulation(self) -> None:
        x = leaf([1.0])
        y = leaf([1.0])
        (x * y * 3).sum().backward(inputs=[x])
        assert grad_of(x) == [3.0]
        assert y.grad is None


# ---------------------------------------------------------------------------- the engine
class TestEngine:
    def test_long_chain_has_no_recursion(self) -> None:
        x = leaf([1.0])
        y = x
        for i in range(100_000):
            y = y * 1.00001 if i % 2 else y + 1.0
        y.sum().backward()
        assert grad_of(x)[0] == pytest.approx(1.00001 ** 50_000, rel=1e-9)
        assert y.item() > 50_000.0
        # the whole chain can be dropped too (no recursion in deallocation)
        del y
        gc.collect()

    def test_long_chain_under_a_low_recursion_limit(self) -> None:
        x = leaf([1.0])
        y = x
        for _ in range(5_000):
            y = y * 1.0
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(200, len(_stack()) + 100))
        try:
            y.sum().backward()
        finally:
            sys.setrecursionlimit(limit)
        assert grad_of(x) == [1.0]

    def test_saved_values_are_freed(self) -> None:
        x = leaf([1.0, 2.0])
        y = x * x
        z = tapegrad.exp(y)
        nodes = [y.grad_fn, z.grad_fn]
        for node in nodes:
            assert not node.freed
        assert nodes[0].inputs is not None and nodes[1].out is not None
        z.sum().backward()
        for node in nodes:
            assert node.freed
            assert node.inputs is None
            assert node.out is None

    def test_retain_graph_keeps_saved_values(self) -> None:
        x = leaf([1.0, 2.0])
        y = x * x
        z = tapegrad.exp(y)
        z.sum().backward(retain_graph=True)
        assert not y.grad_fn.freed and y.grad_fn.inputs is not None
        assert not z.grad_fn.freed and z.grad_fn.out is not None
        z.sum().backward()
        assert y.grad_fn.freed and z.grad_fn.freed

    def test_freed_values_are_collected(self) -> None:
        import weakref

        x = leaf(np.ones(10))
        h = x * 2
        saved = weakref.ref(h._data)  # the mul below saves h's array as its input
        out = (h * h).sum()
        del h
        assert saved() is not None
        out.backward()
        gc.collect()
        assert saved() is None

    def test_only_needed_cotangents_are_computed(self) -> None:
        calls = []

        class Spy:
            @tapegrad.hookimpl
            def tapegrad_register_ops(self, registry) -> None:
                def vjp_x(xp, g, ans, x, y):
                    calls.append("x")
                    return g * y

                def vjp_y(xp, g, ans, x, y):
                    calls.append("y")
                    return g * x

                registry.register_op("spy_mul", forward=lambda xp, x, y: xp.multiply(x, y),
                                     vjp=(vjp_x, vjp_y), saves=("inputs",))

        name = tapegrad.plugins.register(Spy(), name="test-autograd-spy")
        try:
            x = leaf([2.0])
            c = tapegrad.tensor([3.0], dtype=tapegrad.float64)
            tapegrad.spy_mul(x, c).sum().backward()
            assert calls == ["x"]
            assert grad_of(x) == [3.0]
        finally:
            tapegrad.plugins.unregister(name)


class TestNoNodes:
    def test_no_node_under_no_grad(self) -> None:
        x = leaf([1.0])
        before = node_count()
        with tapegrad.no_grad():
            y = x * 2 + 1
        assert y.grad_fn is None and not y.requires_grad and y.is_leaf
        assert node_count() == before

    def test_no_node_without_requires_grad(self) -> None:
        a = tapegrad.ones(3)
        b = tapegrad.ones(3)
        before = node_count()
        c = (a * b + 1).sum()
        assert c.grad_fn is None and not c.requires_grad
        assert node_count() == before

    def test_node_edges(self) -> None:
        x = leaf([1.0])
        c = tapegrad.ones(1, dtype=tapegrad.float64)
        y = x * c
        assert y.grad_fn.edges[0] is x
        assert y.grad_fn.edges[1] is None  # no gradient flows to a constant
        z = y + 1
        assert z.grad_fn.edges[0] is y.grad_fn
        assert z.grad_fn.plugin == "tapegrad.ops_builtin"


def _stack() -> list:
    import inspect

    return inspect.stack(0)
