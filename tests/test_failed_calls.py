"""A failed call changes nothing: no ``.grad`` written by a backward that raised, checked
``.grad`` assignment, hooks that do not keep their leaf alive, no NumPy scalar in a tensor."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tapegrad
from tapegrad.autograd import Function
from tapegrad.hooks import hooked_leaves


def leaf(values, dtype=tapegrad.float64):
    return tapegrad.tensor(values, dtype=dtype, requires_grad=True)


# ------------------------------------------------------------------ the .grad setter
def test_grad_setter_refuses_another_dtype_in_pytorchs_words():
    a = tapegrad.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="assigned grad has data of a different type") as info:
        a.grad = tapegrad.tensor([0, 0])
    assert "dtype tapegrad.int64 to a tensor with dtype tapegrad.float32" in str(info.value)
    with pytest.raises(RuntimeError, match="different type"):
        a.grad = tapegrad.zeros(2, dtype=tapegrad.float64)
    size = r"different size: attempting to assign a gradient of size \[3\] to a tensor of size \[2\]"
    with pytest.raises(RuntimeError, match=size):
        a.grad = tapegrad.zeros(3)
    with pytest.raises(TypeError, match="expected to be a Tensor or None"):
        a.grad = [1.0, 2.0]
    assert a.grad is None  # every refusal left it as it was
    a.grad = tapegrad.zeros(2)
    a.grad = None


def test_grad_setter_refuses_another_backend():
    pytest.importorskip("array_api_strict")
    a = tapegrad.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="assigned grad has data on a different backend") as info:
        a.grad = tapegrad.zeros(2).to("array_api_strict")
    assert "backend 'array_api_strict' to a tensor on backend 'numpy'" in str(info.value)


def test_issue_reproducer_int_grad_neither_assigned_nor_half_committed():
    a, b = tapegrad.ones(2, requires_grad=True), tapegrad.ones(1, requires_grad=True)
    with pytest.raises(RuntimeError, match="different type"):
        b.grad = tapegrad.tensor([0])
    # Through .data (which checks nothing, as in PyTorch) the int grad gets in; backward then
    # fails as PyTorch's does, and has written no gradient at all.
    b.grad = tapegrad.zeros(1)
    b.grad.data = tapegrad.tensor([0])
    cast = "result type tapegrad.float32 can't be cast to the desired output type tapegrad.int64"
    with pytest.raises(RuntimeError, match=cast):
        (a * 2 + b * 3).sum().backward()
    assert a.grad is None and b.grad.tolist() == [0]


def test_a_grad_of_another_shape_is_refused_at_commit():
    a = tapegrad.ones(2, requires_grad=True)
    a.grad = tapegrad.zeros(2)
    a.grad.data = tapegrad.zeros(1)
    with pytest.raises(RuntimeError, match=r"output with shape \[1\] doesn't match the broadcast shape \[2\]"):
        (a * 2).sum().backward()
    assert a.grad.tolist() == [0.0]


def test_a_hook_that_changes_the_dtype_is_refused():
    for make in (lambda x: x, lambda x: x * 2):  # on a leaf, on a non-leaf
        x = tapegrad.ones(2, requires_grad=True)
        target = make(x)
        target.register_hook(lambda g: g.to(tapegrad.float64))
        changed = r"has changed the type of value \(was tapegrad.float32 got tapegrad.float64\)"
        with pytest.raises(RuntimeError, match=changed):
            (target * 3).sum().backward()
        assert x.grad is None


def test_a_raising_post_accumulate_hook_sees_every_gradient_committed():
    # It runs after the commit (it is there to read .grad): its error propagates, the gradients stay.
    a, b = leaf([1.0]), leaf([2.0])

    def fail(t):
        raise ValueError("boom")

    a.register_post_accumulate_grad_hook(fail)
    with pytest.raises(ValueError, match="boom"):
        (a * b).sum().backward()
    assert a.grad.tolist() == [2.0] and b.grad.tolist() == [1.0]


# ------------------------------------------------------------------ property: failures anywhere
class Boom(Exception):
    pass


class Flaky(Function):
    """The identity, whose backward calls ``ctx.step()`` (which may raise) first."""

    @staticmethod
    def forward(ctx, x, step):
        ctx.step = step
        return x.detach()

    @staticmethod
    def backward(ctx, g):
        ctx.step()
        return g, None


def _loss(a, b, c, *, flaky=None, retain=False):
    h = a * b
    if retain:
        h.retain_grad()
    u = h.sin() + c * 2
    if flaky is not None:
        u = Flaky.apply(u, flaky)
    return h, u, (u * a).sum() + (h * c).exp().sum()


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_a_failure_anywhere_in_backward_leaves_every_grad_as_it_was(data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    a, b, c = (leaf(rng.normal(size=3)) for _ in range(3))
    for t in (a, b, c):
        if data.draw(st.booleans(), label="has a grad already"):
            t.grad = tapegrad.tensor(rng.normal(size=3), dtype=tapegrad.float64)
    calls = [0]
    k = data.draw(st.integers(1, 8), label="the call that fails")
    how = data.draw(st.sampled_from(["raise", "dtype", "shape"]), label="how a hook fails")

    def step():
        calls[0] += 1
        if calls[0] == k:
            raise Boom

    def hook(g):
        calls[0] += 1
        if calls[0] != k:
            return None
        if how == "raise":
            raise Boom
        if how == "dtype":
            return g.to(tapegrad.float32)
        return tapegrad.zeros(7, dtype=tapegrad.float64)

    where = data.draw(st.sets(st.sampled_from(["a", "b", "c", "h", "u", "fn"])), label="hooked")
    bad = data.draw(st.sampled_from([None, "a", "b", "c"]), label="a .grad of another dtype")
    if bad is not None:
        t = {"a": a, "b": b, "c": c}[bad]
        t.grad = tapegrad.zeros(3, dtype=tapegrad.float64)
        t.grad.data = tapegrad.zeros(3, dtype=tapegrad.int64)  # .data checks nothing
    retain = data.draw(st.booleans(), label="retain_grad on h")
    create_graph = data.draw(st.booleans(), label="create_graph")
    h, u, loss = _loss(a, b, c, flaky=step if "fn" in where else None, retain=retain)
    for name, t in (("a", a), ("b", b), ("c", c), ("h", h), ("u", u)):
        if name in where:
            t.register_hook(hook)
    watched = {"a": a, "b": b, "c": c, "h": h}
    before = {name: (t._grad, None if t._grad is None else t._grad._data.copy()) for name, t in watched.items()}
    try:
        loss.backward(create_graph=create_graph)
    except (Boom, RuntimeError):
        for name, t in watched.items():
            grad, values = before[name]
            assert t._grad is grad, name
            if grad is not None:
                np.testing.assert_array_equal(grad._data, values)
        return
    assert bad is None and calls[0] < k
    # It succeeded: every hook returned None, so the gradients are the plain ones, added on.
    fresh = [leaf(t.detach().numpy()) for t in (a, b, c)]
    expected = tapegrad.autograd.grad(_loss(*fresh)[2], fresh)
    for name, t, e in zip("abc", (a, b, c), expected):
        grad, values = before[name]
        total = e.numpy() if grad is None else values + e.numpy()
        np.testing.assert_allclose(t.grad.detach().numpy(), total, rtol=1e-12)


# ------------------------------------------------------------------ hooks do not keep their leaf alive
def _leaf_with_self_referring_hooks():
    x = leaf([1.0, 2.0])
    x.register_hook(lambda g: g * float(x.sum()))
    x.register_post_accumulate_grad_hook(lambda t: x.grad)
    return weakref.ref(x)


def test_a_hook_referring_to_its_own_leaf_lets_it_be_collected():
    ref = _leaf_with_self_referring_hooks()
    gc.collect()
    assert ref() is None  # as in PyTorch
    assert all(r() is not None for r in hooked_leaves.values())  # its table entry went with it


def test_a_leaf_hook_lives_as_long_as_its_leaf():
    x = leaf([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g.tolist()) or g * float(x.sum()))
    x.register_post_accumulate_grad_hook(lambda t: seen.append("post"))
    gc.collect()
    (x * 2).sum().backward()
    assert seen == [[2.0, 2.0], "post"] and x.grad.tolist() == [6.0, 6.0]


def test_pickling_or_copying_a_hooked_leaf_leaves_its_hooks_behind():
    # As PyTorch: the hooks (lambdas, closures) are not part of the value; pickling warns.
    import copy
    import pickle

    x = leaf([1.0, 2.0])
    x.grad = tapegrad.ones(2, dtype=tapegrad.float64)
    x.register_hook(lambda g: g * 0)
    with pytest.warns(UserWarning, match="will not be serialized"):
        y = pickle.loads(pickle.dumps(x))
    with pytest.warns(UserWarning, match="will not be serialized"):
        z = copy.deepcopy(x)
    for t in (y, z):
        assert t.requires_grad and t.grad.tolist() == [1.0, 1.0]
        (t * 2).sum().backward()
        assert t.grad.tolist() == [3.0, 3.0]  # no hook zeroed it


# ------------------------------------------------------------------ no NumPy scalar in a tensor, 0-d included
@pytest.mark.parametrize("dtype", [tapegrad.float32, tapegrad.float64])
@pytest.mark.parametrize("create_graph", [False, True])
def test_zero_d_hooks_retain_grad_and_autograd_grad_give_array_tensors(dtype, create_graph):
    def arrays(*tensors):
        for t in tensors:
            assert type(t._data) is np.ndarray and t.dtype == dtype, (type(t._data), t.dtype)

    x = tapegrad.tensor(2.0, dtype=dtype, requires_grad=True)
    y = x * 3
    seen = []
    y.register_hook(lambda g: seen.append(g) or g * 2)  # the next op on g must work
    x.register_hook(lambda g: seen.append(g) or g + 1)
    y.retain_grad()
    (y * y).backward(create_graph=create_graph)  # as in PyTorch: y's gradient 12, doubled by the hook
    assert [float(s) for s in seen] == [12.0, 72.0]
    assert float(y.grad) == 24.0 and float(x.grad) == 73.0
    arrays(*seen, y.grad, x.grad)
    assert (seen[0] * 1).tolist() == 12.0

    x = tapegrad.tensor(2.0, dtype=dtype, requires_grad=True)
    y = x * x
    z = y * 1.5 + y  # y's cotangent is a sum of two 0-d arrays
    gx, gy = tapegrad.autograd.grad(z, [x, y], create_graph=create_graph)
    assert float(gx) == 10.0 and float(gy) == 2.5
    arrays(gx, gy)
    assert (gx + gy).tolist() == 12.5
    assert gx.dtype == dtype and gy.dtype == dtype


class Double(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        assert type(g._data) is np.ndarray, type(g._data)
        return g * 2  # an op on the cotangent it was given


@pytest.mark.parametrize("dtype", [tapegrad.float32, tapegrad.float64])
@pytest.mark.parametrize("create_graph", [False, True])
def test_zero_d_cotangent_given_to_a_custom_function_is_an_array(dtype, create_graph):
    x = tapegrad.tensor(3.0, dtype=dtype, requires_grad=True)
    z = Double.apply(x * x)
    (z * 1.5 + z).backward(create_graph=create_graph)  # z's cotangent: a sum of two 0-d arrays
    assert float(x.grad) == 30.0 and type(x.grad._data) is np.ndarray and x.grad.dtype == dtype
