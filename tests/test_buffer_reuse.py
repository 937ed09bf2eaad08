"""Buffer reuse on big arrays (tapegrad.reuse, the engine's ``_sum``): it must never change a result.

An elementwise op writes its result into an operand that nothing else references (reference
counts), and the engine adds cotangents in place into sums only it holds. These tests check
that the mechanism fires where it should (the expressions NumPy elides) and, above all, that
every way of still holding the operand keeps it intact: a variable, a second use, a view, a
``.numpy()`` handle, a node that saved it, an object array, another thread; and that in-place
detection, retain_graph, create_graph and hooks see what they saw without reuse.
"""

from __future__ import annotations

import threading
import tracemalloc

import numpy as np
import pytest

import tapegrad as tg
from tapegrad import reuse

N = 2 * reuse.BIG  # big enough for the reuse path
pytestmark = pytest.mark.skipif(not reuse.ENABLED, reason="buffer reuse is CPython 3.11 to 3.13 only")


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    a0, b0, x0, t0 = (rng.standard_normal(N) for _ in range(4))
    a = tg.from_numpy(a0.copy()).requires_grad_(True)
    b = tg.from_numpy(b0.copy()).requires_grad_(True)
    return a0, b0, x0, t0, a, b, tg.from_numpy(x0.copy()), tg.from_numpy(t0.copy())


@pytest.fixture
def births(monkeypatch):
    """The ids of the arrays each big result was born in, in order (the spy holds ids only)."""
    seen: list[int] = []
    born = reuse._born

    def spy(out, frame):
        seen.append(id(out))
        born(out, frame)

    monkeypatch.setattr(reuse, "_born", spy)
    return seen


def peak_arrays(fn, unit=N * 8):
    """Extra peak memory of ``fn()`` in arrays of N float64, its result kept."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del result
    return (peak - base) / unit


# ---------------------------------------------------------------------- where it fires
def test_an_expert_expression_allocates_once(data, births):
    a0, b0, x0, t0, a, b, x, t = data
    (a * x + b - t)  # warm the op table
    births.clear()
    r = a * x + b - t
    assert births[0] == births[1] == births[2] == id(r._data)  # + and - wrote into a*x's buffer
    np.testing.assert_array_equal(r.detach().numpy(), a0 * x0 + b0 - t0)
    assert peak_arrays(lambda: a * x + b - t) < 1.1


def test_a_dying_right_operand_and_method_calls(data, births):
    a0, b0, x0, t0, a, b, x, t = data
    # Each op's first call builds its apply (optable) and runs it from the builder's frame, whose
    # references keep the operand alive: no reuse then, by design. Build them first.
    (a * x).neg().tanh().exp(), -(a * x), tg.add(tg.mul(a, x), b)
    births.clear()
    r = b + a * x  # the right operand, the last one pushed
    assert births[-1] == births[-2]
    births.clear()
    s = (a * x).neg().tanh()  # method calls steal the caller's only reference
    assert births[0] == births[1] == births[2]
    births.clear()
    e = (a * x).tanh().exp()  # tanh's node saved its output: exp needs a buffer of its own
    assert births[0] == births[1] != births[2]
    births.clear()
    n = -(a * x)  # a unary operator
    assert births[0] == births[1]
    births.clear()
    u = tg.add(tg.mul(a, x), b)  # so do function calls
    assert births[0] == births[1]
    np.testing.assert_array_equal(r.detach().numpy(), b0 + a0 * x0)
    np.testing.assert_array_equal(s.detach().numpy(), np.tanh(-(a0 * x0)))
    np.testing.assert_array_equal(e.detach().numpy(), np.exp(np.tanh(a0 * x0)))
    np.testing.assert_array_equal(n.detach().numpy(), -(a0 * x0))
    np.testing.assert_array_equal(u.detach().numpy(), a0 * x0 + b0)


def test_broadcast_operands_fit_or_are_not_reused(births):
    big = tg.from_numpy(np.ones((N // 64, 64)))
    row = tg.from_numpy(np.arange(64.0))
    r = (big * 2.0) + row  # the row broadcasts into the big buffer
    assert births[-1] == births[-2]
    np.testing.assert_array_equal(r.numpy(), 2.0 + np.arange(64.0) + np.zeros((N // 64, 64)))
    col = tg.from_numpy(np.ones((N, 1)))
    out = (col * 1.0) + tg.from_numpy(np.arange(3.0))  # grows: a new array
    assert out.shape == (N, 3) and births[-1] != births[-2]


# ---------------------------------------------------------------------- what must keep it intact
def test_a_named_operand_is_never_overwritten(data, births):
    a0, b0, x0, t0, a, b, x, t = data
    y = a * x
    z = y + b
    w = tg.add(y, b)
    np.testing.assert_array_equal(y.detach().numpy(), a0 * x0)
    np.testing.assert_array_equal(z.detach().numpy(), a0 * x0 + b0)
    np.testing.assert_array_equal(w.detach().numpy(), a0 * x0 + b0)
    assert len(set(births)) == 3


def test_an_operand_used_twice(data):
    a0, b0, x0, t0, a, b, x, t = data
    y = a * x
    np.testing.assert_array_equal((y * y).detach().numpy(), (a0 * x0) ** 2)
    np.testing.assert_array_equal(((a * x) + (a * x)).detach().numpy(), 2 * (a0 * x0))
    (y + y).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), 2 * x0)


def test_views_and_numpy_handles_keep_their_values(data):
    a0, b0, x0, t0, a, b, x, t = data
    views, handles = [], []

    def keep_view(v):
        views.append(v[: N // 2])
        return v

    def keep_numpy(v):
        handles.append(v.detach().numpy())
        return v

    r = keep_view(x * 2.0) + 1.0
    s = keep_numpy(x * 3.0) + 1.0
    np.testing.assert_array_equal(views[0].numpy(), 2.0 * x0[: N // 2])
    np.testing.assert_array_equal(handles[0], 3.0 * x0)
    np.testing.assert_array_equal(r.numpy(), 2.0 * x0 + 1.0)
    np.testing.assert_array_equal(s.numpy(), 3.0 * x0 + 1.0)
    v = (x * 1.0)[: N // 2] + 1.0  # a dying view writes into nobody's buffer
    np.testing.assert_array_equal(v.numpy(), x0[: N // 2] + 1.0)


def test_leaves_and_inputs_are_never_written(data):
    a0, b0, x0, t0, a, b, x, t = data
    tg.from_numpy(x0.copy()).requires_grad_(True) + 1.0
    a + b
    x + t
    np.testing.assert_array_equal(a.detach().numpy(), a0)
    np.testing.assert_array_equal(x.numpy(), x0)
    np.testing.assert_array_equal(t.numpy(), t0)


def test_saved_operands_keep_their_values(data):
    """A node that saved the operand (mul's other input, exp's output) makes it referenced."""
    a0, b0, x0, t0, a, b, x, t = data
    ((a * x) * b).sum().backward()  # mul saves a*x for b's gradient
    np.testing.assert_allclose(b.grad.numpy(), a0 * x0)
    np.testing.assert_allclose(a.grad.numpy(), x0 * b0)
    a.grad = None
    ((a * x).exp() + 1.0).sum().backward()  # exp saved its output: + 1 must not write into it
    np.testing.assert_allclose(a.grad.numpy(), np.exp(a0 * x0) * x0)
    a.grad = None
    ((a * x) ** 2).sum().backward()  # pow saves its input
    np.testing.assert_allclose(a.grad.numpy(), 2 * a0 * x0 * x0)


def test_the_loss_and_its_gradients(data):
    a0, b0, x0, t0, a, b, x, t = data
    loss = ((a * x + b - t) ** 2).sum() / N
    loss.backward(retain_graph=True)
    r = a0 * x0 + b0 - t0
    np.testing.assert_allclose(loss.item(), (r * r).sum() / N)
    np.testing.assert_allclose(a.grad.numpy(), 2 * r * x0 / N)
    np.testing.assert_allclose(b.grad.numpy(), 2 * r / N)
    loss.backward()  # retain_graph: the saved values were not overwritten by the first pass
    np.testing.assert_allclose(a.grad.numpy(), 4 * r * x0 / N)
    np.testing.assert_allclose(b.grad.numpy(), 4 * r / N)


def test_create_graph_second_order(data):
    a0, b0, x0, t0, a, b, x, t = data
    loss = ((a * x + b - t) ** 2).sum()
    (ga,) = tg.autograd.grad(loss, (a,), create_graph=True)
    np.testing.assert_allclose(ga.detach().numpy(), 2 * (a0 * x0 + b0 - t0) * x0)
    (ga * 1.0).sum().backward()  # d/da sum(2 (a x + b - t) x) = 2 x^2; d/db = 2 x
    np.testing.assert_allclose(a.grad.numpy(), 2 * x0 * x0)
    np.testing.assert_allclose(b.grad.numpy(), 2 * x0)


def test_in_place_detection_still_raises(data):
    a0, b0, x0, t0, a, b, x, t = data
    z = (a * x).exp()  # exp wrote into a*x's buffer and saved it as its output
    z.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()
    y = a * x + b  # a reused buffer starts with no in-place history of its own
    assert y._version == 0


def test_hooks_and_retain_grad_see_the_gradients(data):
    a0, b0, x0, t0, a, b, x, t = data
    seen = []
    y = (a * x) + b  # built with reuse
    y.register_hook(lambda g: seen.append(g.numpy().copy()))
    y.retain_grad()
    u = a.exp()
    u.retain_grad()
    (y * 2.0 + u * 2.0 + u * 3.0).sum().backward()  # u's cotangents summed in the engine's buffer
    np.testing.assert_array_equal(seen[0], np.full(N, 2.0))
    np.testing.assert_array_equal(y.grad.numpy(), np.full(N, 2.0))
    np.testing.assert_allclose(u.grad.numpy(), np.full(N, 5.0))
    np.testing.assert_allclose(a.grad.numpy(), 2 * x0 + 5 * np.exp(a0))


def test_engine_sums_in_place_only_what_it_owns(data):
    a0, b0, x0, t0, a, b, x, t = data
    kept = []
    y = a * x
    y.register_hook(lambda g: kept.append(g) or None)  # the hook keeps the very array
    (y + y + y * 2.0).sum().backward()  # add hands one cotangent to two inputs: shared, not summed into
    np.testing.assert_allclose(a.grad.numpy(), 4 * x0)
    np.testing.assert_array_equal(kept[0].numpy(), np.full(N, 4.0))
    a.grad = None
    leaf_seen = []
    a.register_hook(lambda g: leaf_seen.append(g.numpy().copy()))
    (a * 2.0 + a * 3.0 + a).sum().backward()  # three cotangents for one leaf
    np.testing.assert_array_equal(a.grad.numpy(), np.full(N, 6.0))
    np.testing.assert_array_equal(leaf_seen[0], np.full(N, 6.0))


def test_object_arrays_holding_tensors_are_not_touched(data):
    """C code (NumPy's object loops) holds its elements as the interpreter's stack holds a temporary:
    the operand must also be the one the previous instruction pushed, which these are not."""
    a0, b0, x0, t0, a, b, x, t = data
    objects = np.empty(2, dtype=object)
    objects[0] = x * 2.0
    objects[1] = x * 3.0
    doubled = objects * 2.0
    np.testing.assert_array_equal(objects[0].numpy(), 2.0 * x0)
    np.testing.assert_array_equal(objects[1].numpy(), 3.0 * x0)
    np.testing.assert_array_equal(doubled[1].numpy(), 6.0 * x0)
    shifted = (objects + 1.0)[0]
    np.testing.assert_array_equal(objects[0].numpy(), 2.0 * x0)
    np.testing.assert_array_equal(shifted.numpy(), 2.0 * x0 + 1.0)
    one = np.empty(1, dtype=object)
    one[0] = x * 4.0  # the last big result born in this frame, held by the array alone
    halved = one / 2.0
    np.testing.assert_array_equal(one[0].numpy(), 4.0 * x0)
    np.testing.assert_array_equal(halved[0].numpy(), 2.0 * x0)


def test_threads_each_get_their_own_results(data):
    a0, b0, x0, t0, a, b, x, t = data
    want = a0 * x0 + b0 - t0
    results: list = [None] * 8
    barrier = threading.Barrier(8, timeout=60)

    def run(i):
        barrier.wait()
        for _ in range(20):
            r = (a * x + b - t) * 1.0
            if not np.array_equal(r.detach().numpy(), want):
                results[i] = "wrong"
                return
            ((a * x + b - t) ** 2).sum().backward()
        results[i] = "ok"

    threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert results == ["ok"] * 8
    np.testing.assert_allclose(a.grad.numpy(), 8 * 20 * 2 * want * x0, rtol=1e-12)  # d sum(r**2)/da = 2 r x
    np.testing.assert_array_equal(x.numpy(), x0)


def test_dtypes_that_change_are_not_written_back():
    i = tg.from_numpy(np.arange(N, dtype=np.int64))
    q = (i * 2) / 3  # an integer buffer cannot hold the float quotient
    assert q.dtype == tg.get_default_dtype()
    np.testing.assert_allclose(q.numpy(), np.arange(N) * 2 / 3, rtol=1e-6)
    np.testing.assert_array_equal(i.numpy(), np.arange(N))
    f = tg.from_numpy(np.ones(N, dtype=np.float32))
    s = (f * 2.0) + tg.from_numpy(np.ones(N))  # float32 + float64 promotes: the general path
    assert s.dtype == tg.float64
