"""Issue 12's second round on the op chain: each saving leaves every result as it was.

- NumPy stand-ins are found by shape in their dtype's table, float32's and float64's getters held
  by the fast paths (which find those two dtypes by identity);
- a node keeps the positions of its edges that are not None (``live``), and backward's count and
  loop visit only those;
- ``graph.Combine``, the rule ``fn(g, input j)``, is called by the plain loop with no Python frame,
  its result's check skipped where a Python number operand keeps ``g``'s shape and dtype.

Each mechanism is compared with the path it skips, or checked where the skip could go wrong:
dtypes, 0-d tensors, broadcasting, params, create_graph, hooks and anomaly mode.
"""

from __future__ import annotations

import operator
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tapegrad
from tapegrad import dispatch, engine
from tapegrad.graph import Combine, Node, ShapeDtype, live_positions

from test_engine_properties import make_leaves, run_program, steps
from test_lean_backward import assert_same, grads


def _nodes(root: Node) -> list[Node]:
    seen, stack, found = set(), [root], []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        found.append(node)
        stack.extend(e for e in node.edges if isinstance(e, Node))
    return found


def _expected_live(node: Node) -> tuple:
    return tuple(i for i, e in enumerate(node.edges) if e is not None)


# ---------------------------------------------------------------------- stand-ins by dtype
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.complex64, np.int32])
def test_numpy_stand_ins_are_interned_per_dtype_and_shape(dtype):
    a = np.ones((2, 5), dtype)
    s = dispatch.stand_in(a)
    assert type(s) is ShapeDtype and s == ((2, 5), np.dtype(dtype))
    assert dispatch.stand_in(np.zeros((2, 5), dtype)) is s
    assert dispatch.known_stand_in(((2, 5), np.dtype(dtype))) is s
    assert dispatch.stand_in(np.ones((5, 2), dtype)) is not s


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_every_float_dtype_records_its_interned_stand_in(dtype):
    x = tapegrad.tensor(np.ones((3, 1), dtype), requires_grad=True)
    for y in (x + 1.0, x - 2, (x * 1.0).exp(), 1.0 - x):  # binary (scalar either side) and unary fast paths
        sd = [v for v in y.grad_fn.inputs if type(v) is ShapeDtype]
        assert sd and all(v is dispatch.stand_in(x.detach().numpy()) for v in sd)


def test_a_cleared_table_is_the_one_the_fast_paths_hold():
    table = dispatch._NUMPY_STAND_INS[np.dtype(np.float64)]
    saved = dict(table)
    try:
        table.clear()  # what stand_in does past 4096 shapes
        x = tapegrad.tensor(np.ones(7), requires_grad=True)
        s = (x + 1.0).grad_fn.inputs[0]
        assert dispatch._F64_STAND_INS((7,)) is s is dispatch.stand_in(np.ones(7))
    finally:
        table.update(saved)


def test_a_dtype_is_hot_only_where_every_table_gives_it_one_result():
    f32 = np.dtype(np.float32)
    assert dispatch._hot(f32, {f32: f32}, {f32: f32}) == (f32, f32)
    assert dispatch._hot(f32, {f32: f32}, {f32: np.dtype(np.float64)})[0] is dispatch._ABSENT
    assert dispatch._hot(f32, {f32: f32}, {})[0] is dispatch._ABSENT


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_python_scalars_keep_a_hot_float_dtype_and_promote_ints(dtype):
    x = tapegrad.tensor(np.ones(3, dtype), requires_grad=True)
    for y in (x * 2.5, 2.5 * x, x / 3, x - 2**40, x + True):
        assert y.dtype == x.dtype
    i = tapegrad.tensor([1, 2, 3])
    assert (i * 2.5).dtype == tapegrad.get_default_dtype() and (i * 2).dtype == tapegrad.int64


# ---------------------------------------------------------------------- live edges
@settings(max_examples=40, deadline=None)
@given(program=steps, seed=st.integers(0, 2**16))
def test_every_recorded_node_keeps_its_live_edges(program, seed):
    leaves = make_leaves(seed)
    leaves[1].requires_grad_(False)  # some edges are None
    values = run_program(program, leaves)
    for v in values:
        if v.grad_fn is not None:
            for node in _nodes(v.grad_fn):
                assert node.live == _expected_live(node)


def test_nodes_of_every_kind_keep_their_live_edges():
    x = tapegrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    c = tapegrad.tensor([4.0, 5.0, 6.0])

    class Twice(tapegrad.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * 2.0 + b

        @staticmethod
        def backward(ctx, g):
            return g * 2.0, None

    v = x * 1.0
    v[0] = x[1]  # an in-place write into a view's base
    made = [x * c, c * x, x * 2.0, 2.0 * x, x.exp(), tapegrad.stack([x, c]), tapegrad.where(c > 4, x, c),
            Twice.apply(x, c), v, x.sum(), x[1:]]
    for y in made:
        for node in _nodes(y.grad_fn):
            assert node.live == _expected_live(node), node
    assert (x * 2.0).grad_fn.live == (0,) and (2.0 * x).grad_fn.live == (1,) and (x * x).grad_fn.live == (0, 1)
    assert live_positions((None, 1, None)) is live_positions((None, "a", None)) == (1,)


# ---------------------------------------------------------------------- Combine
def test_combine_is_a_rule_like_any_other_where_rules_are_called():
    g, y = np.array([1.0, 2.0]), np.array([3.0, 5.0])
    np.testing.assert_array_equal(Combine(operator.mul, 1)(np, g, None, None, y), g * y)
    np.testing.assert_array_equal(Combine(operator.truediv, 0)(np, g, None, y, None), g / y)
    zero = Combine(operator.truediv, 1, lambda xp, g, out, x, y, rounding_mode=None: g * 0)
    np.testing.assert_array_equal(zero(np, g, None, None, y), g / y)
    np.testing.assert_array_equal(zero(np, g, None, None, y, rounding_mode="floor"), [0.0, 0.0])
    assert repr(Combine(operator.mul, 1)) == "Combine(mul, 1)"


def _both_ways(run):
    """``run()`` with ``Combine`` recognised by the plain loop, then with every Combine called as a
    function (``object``: no rule's type)."""
    first = run()
    with mock.patch.object(engine, "Combine", object):
        return first, run()


@settings(max_examples=40, deadline=None)
@given(program=steps, seed=st.integers(0, 2**16))
def test_random_programs_give_the_same_gradients_with_combine_called(program, seed):
    def run():
        leaves = make_leaves(seed)
        values = run_program(program, leaves)
        (values[-1].sum() + values[len(values) // 2].sum()).backward()
        return grads(leaves)

    assert_same(*_both_ways(run))


def _chain(x, reps=3):
    y = x
    for _ in range(reps):
        y = ((y * 1.5 + 0.5) - 0.25) / 1.25
        y = y * 2 / 3  # Python ints
    return y


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
def test_the_skipped_check_keeps_dtype_and_shape_and_the_values_of_called_rules(dtype, shape):
    start = np.full(shape, 0.75, dtype)

    def run():
        x = tapegrad.tensor(start.copy(), requires_grad=True)
        _chain(x).sum().backward()
        assert x.grad.shape == shape and x.grad.dtype == x.dtype
        assert type(x.grad.numpy()) is np.ndarray
        return x.grad.numpy()

    np.testing.assert_array_equal(*_both_ways(run))


def test_a_combined_cotangent_is_summed_to_a_broadcast_input():
    x = tapegrad.tensor(np.ones((3, 1)), requires_grad=True)
    w = tapegrad.tensor(np.ones((3, 4)), requires_grad=True)
    y = (x * 2.0) / 4.0  # its cotangents come back (3, 4) from the add below, summed to (3, 1) there
    ((y + w) * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((3, 1), 6.0))
    x.grad = None
    a = x * w  # a tensor operand: the result's shape is checked, the (3, 4) cotangent summed to x's (3, 1)
    (a * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((3, 1), 8.0))


def test_a_float32_input_of_a_float64_product_gets_a_float32_gradient():
    x = tapegrad.tensor(np.ones(3, np.float32), requires_grad=True)
    w = tapegrad.tensor(np.full(3, 2.0), requires_grad=True)  # float64
    ((x * w) * 3.0).sum().backward()
    assert x.grad.dtype == tapegrad.float32 and w.grad.dtype == tapegrad.float64
    np.testing.assert_array_equal(x.grad.numpy(), np.full(3, 6.0, np.float32))


def test_div_with_a_rounding_mode_still_runs_its_own_rule():
    x = tapegrad.tensor([3.0, 5.0], requires_grad=True)
    tapegrad.div(x, 2.0, rounding_mode="floor").sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])
    x.grad = None
    tapegrad.div(x, 2.0, rounding_mode=None).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.5, 0.5])


def test_combined_rules_record_under_create_graph_and_run_with_hooks_and_anomaly_mode():
    x = tapegrad.tensor([1.0, 2.0], requires_grad=True)
    (gx,) = tapegrad.autograd.grad(((x * x) / 2.0).sum(), x, create_graph=True)
    np.testing.assert_array_equal(gx.detach().numpy(), [1.0, 2.0])
    (ggx,) = tapegrad.autograd.grad(gx.sum(), x)
    np.testing.assert_array_equal(ggx.numpy(), [1.0, 1.0])
    y = x * 3.0
    y.register_hook(lambda g: g * 10.0)
    (y / 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [15.0, 15.0])
    x.grad = None
    with tapegrad.autograd.detect_anomaly():
        ((x * 3.0) / 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.5, 1.5])


def test_combine_takes_only_the_arithmetic_operators():
    for fn in (operator.add, operator.sub, operator.mul, operator.truediv):
        Combine(fn, 0)
    with pytest.raises(ValueError, match="Combine\\(\\) takes operator.add, sub, mul or truediv"):
        Combine(operator.lt, 1)


def test_a_combined_cotangent_with_a_tensor_operand_is_checked_and_summed():
    from tapegrad import plugins

    class Plugin:  # x * (row sums of y): the rule g * y is (2, 3) for a (3,) x, and must be summed down
        @staticmethod
        @tapegrad.hookimpl
        def tapegrad_register_ops(registry):
            registry.register_op("chain_cost_scaled", forward=lambda xp, x, y: x * xp.sum(y, axis=0),
                                 vjp=(Combine(operator.mul, 1), None), saves=("inputs",), reads=((1,), ()))

    name = plugins.register(Plugin, name="test-chain-cost-scaled")
    try:
        x = tapegrad.tensor(np.ones(3), requires_grad=True)
        y = tapegrad.tensor(np.arange(6.0).reshape(2, 3))
        (tapegrad.chain_cost_scaled(x + 1.0, y) * 2.0).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), 2.0 * np.arange(6.0).reshape(2, 3).sum(0))
    finally:
        plugins.unregister(name)
