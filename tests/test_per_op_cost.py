"""The per-op savings of issue 12's chain never change a result.

- ``Tensor`` drops its lazy ``__getattr__`` once the op table is bound (CPython 3.11 specialises
  no attribute read on a class that has one) and gets it back when the table is unbound;
- NumPy stand-ins are looked up inline by ``(shape, dtype)``, other array types keep their type
  in the key;
- ``graph.passthrough`` (add's and sub's rule for ``x``) is handed on by the engine without a call;
- a cotangent a rule returns unchanged to an input whose stand-in is the very one it was checked
  against at its consumer is not checked a second time.

Each is compared with the path it skips: the same random programs with the mechanism defeated.
"""

from __future__ import annotations

import subprocess
import sys
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tapegrad
from tapegrad import dispatch, engine, optable
from tapegrad.graph import ShapeDtype, passthrough

from test_engine_properties import make_leaves, run_program, steps
from test_lean_backward import assert_same, grads


# ---------------------------------------------------------------------- Tensor.__getattr__
def test_tensor_has_no_getattr_while_the_table_is_bound_and_gets_it_back_when_unbound():
    tapegrad.ones(2).sum()  # bound
    assert "__getattr__" not in vars(tapegrad.Tensor)
    optable.invalidate()
    assert "__getattr__" in vars(tapegrad.Tensor)
    x = tapegrad.ones(2)
    assert x.sum().item() == 2.0  # a method missed before the rebuild builds the table
    assert "__getattr__" not in vars(tapegrad.Tensor)
    with pytest.raises(AttributeError, match="'Tensor' object has no attribute 'nope'"):
        x.nope


def test_a_method_read_off_the_class_builds_the_table_too():
    """``tapegrad.Tensor.sum`` (PyTorch's ``torch.Tensor.add`` idiom) before any op, or after the table
    was dropped: the metaclass's lazy ``__getattr__`` builds it, and leaves once it is bound."""
    meta = type(tapegrad.Tensor)
    code = ("import tapegrad\nf = tapegrad.Tensor.sum\nassert '__getattr__' not in vars(type(tapegrad.Tensor))\n"
            "print(f(tapegrad.ones(3)).item())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "3.0", done.stderr
    optable.invalidate()
    assert "__getattr__" in vars(meta)
    assert tapegrad.Tensor.add(tapegrad.ones(2), 1.0).tolist() == [2.0, 2.0]
    assert "__getattr__" not in vars(meta) and "__getattr__" not in vars(tapegrad.Tensor)
    with pytest.raises(AttributeError, match="type object 'Tensor' has no attribute 'nope'"):
        tapegrad.Tensor.nope
    optable.invalidate()
    assert not hasattr(tapegrad.Tensor, "__array_function__")  # a dunder probe builds nothing
    assert "__getattr__" in vars(meta)
    with pytest.raises(AttributeError, match="no installed op binds a method of that name"):
        tapegrad.Tensor.nope


def test_threads_meeting_an_unbound_table_all_find_their_methods():
    optable.invalidate()
    x = tapegrad.ones(3)
    results, errors = [], []

    def work():
        try:
            results.append(x.sum().item())
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and results == [3.0] * 8


def test_batched_tensors_still_refuse_their_data_and_name_missing_attributes():
    def f(x):
        with pytest.raises(AttributeError, match="no_such"):
            x.no_such
        return x * 2

    out = tapegrad.func.vmap(f)(tapegrad.ones(2, 3))
    np.testing.assert_array_equal(out.numpy(), np.full((2, 3), 2.0, dtype=np.float32))


# ---------------------------------------------------------------------- stand-ins
def test_numpy_stand_ins_are_interned_by_shape_and_dtype_and_found_inline():
    a = np.ones((2, 3))
    s = dispatch.stand_in(a)
    assert type(s) is ShapeDtype and s == ((2, 3), np.dtype("float64"))
    assert dispatch.stand_in(np.zeros((2, 3))) is s
    assert dispatch.known_stand_in((a.shape, a.dtype)) is s
    assert dispatch.stand_in(a.astype(np.float32)) is not s


def test_stand_ins_of_other_array_types_are_kept_apart_from_numpys():
    xp = pytest.importorskip("array_api_strict")
    b = xp.ones((2, 3), dtype=xp.float64)
    s = dispatch.stand_in(b)
    assert s is dispatch.stand_in(xp.zeros((2, 3), dtype=xp.float64))
    assert s is not dispatch.stand_in(np.ones((2, 3)))


def test_the_recorded_stand_in_is_the_inputs_shape_and_dtype():
    x = tapegrad.tensor(np.ones((2, 1)), requires_grad=True)
    y = (x * 1.0) + np.ones((2, 3))  # add reads no input: stand-ins for both
    assert y.grad_fn.inputs[0] == ((2, 1), np.dtype("float64"))
    z = (x * 1.0).exp()
    assert z.grad_fn.inputs[0] is not None


# ---------------------------------------------------------------------- passthrough and the skipped check
@settings(max_examples=40, deadline=None)
@given(program=steps, seed=st.integers(0, 2**16))
def test_random_programs_give_the_same_gradients_with_passthrough_called(program, seed):
    results = []
    for call_it in (False, True):
        saved = engine.passthrough
        if call_it:
            engine.passthrough = object()
        try:
            leaves = make_leaves(seed)
            values = run_program(program, leaves)
            (values[-1].sum() + values[len(values) // 2].sum()).backward()
            results.append(grads(leaves))
        finally:
            engine.passthrough = saved
    assert_same(*results)


def test_passthrough_is_a_rule_like_any_other_where_rules_are_called():
    assert passthrough(np, 5.0, None, 1.0, 2.0, alpha=3) == 5.0
    x = tapegrad.tensor([1.0, 2.0], requires_grad=True)
    y = tapegrad.tensor([3.0, 4.0], requires_grad=True)
    (gx,) = tapegrad.autograd.grad(((x * x) + y).sum(), x, create_graph=True)
    (ggx,) = tapegrad.autograd.grad(gx.sum(), x)  # through add's passthrough, recorded
    np.testing.assert_array_equal(ggx.numpy(), [2.0, 2.0])
    tapegrad.add(x, y, alpha=3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(y.grad.numpy(), [3.0, 3.0])
    x.grad = y.grad = None
    tapegrad.sub(x, y, alpha=2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(y.grad.numpy(), [-2.0, -2.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_passed_on_cotangent_is_still_summed_to_a_broadcast_input(dtype):
    x = tapegrad.tensor(np.ones((3, 1), dtype), requires_grad=True)
    w = tapegrad.tensor(np.ones((3, 4), dtype), requires_grad=True)
    y = x + 1.0       # g of this add is checked against the stand-in of (x+1) in the next add: (3, 1)
    z = (y + w) - 0.5  # the next add broadcasts: its x cotangent is (3, 4), summed to (3, 1)
    (z * 2.0).sum().backward()
    assert x.grad.shape == (3, 1) and x.grad.dtype == tapegrad.from_numpy(np.ones(1, dtype)).dtype
    np.testing.assert_array_equal(x.grad.numpy(), np.full((3, 1), 8.0, dtype))
    np.testing.assert_array_equal(w.grad.numpy(), np.full((3, 4), 2.0, dtype))


def test_a_cotangent_passed_through_a_dtype_change_is_cast_back():
    x = tapegrad.tensor(np.ones(3, np.float32), requires_grad=True)
    y = (x + 1.0).to(tapegrad.float64) + 1.0
    (y * 3.0).sum().backward()
    assert x.grad.dtype == tapegrad.float32
    np.testing.assert_array_equal(x.grad.numpy(), np.full(3, 3.0, np.float32))


def test_a_sum_of_cotangents_and_a_hooks_replacement_are_checked_again():
    x = tapegrad.tensor(np.ones((2, 1)), requires_grad=True)
    y = x + 1.0
    z = (y + y) + 1.0  # y's node gets a sum (no meta carried)
    z.register_hook(lambda g: g * 10.0)
    z.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 1), 20.0))


def test_a_rule_returning_g_to_an_input_of_another_shape_is_fitted():
    calls = []

    class Widen(tapegrad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.expand(2, 3) * 1.0

        @staticmethod
        def backward(ctx, g):
            calls.append(tuple(g.shape))
            return g.sum(0, keepdim=True)

    x = tapegrad.tensor(np.ones((1, 3)), requires_grad=True)
    (Widen.apply(x + 1.0) + 1.0).sum().backward()
    assert calls == [(2, 3)]
    np.testing.assert_array_equal(x.grad.numpy(), np.full((1, 3), 2.0))
