"""Backward buffer reuse (tapegrad.backward_reuse): a VJP writes into a saved array only when
the running backward frees it and nothing else holds it, and the result never changes."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tapegrad as tg
from tapegrad import backward_reuse
from tapegrad.ops_builtin import cotangents
from tapegrad.reuse import BIG, ENABLED

pytestmark = pytest.mark.skipif(not ENABLED, reason="reuse follows CPython 3.11-3.13's reference counts")

N = BIG * 2


@pytest.fixture
def donations(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Every answer donatable gives to the square's VJP, in order."""
    answers: list[bool] = []
    real = cotangents.donatable

    def spy(array: object, held: int) -> bool:
        answer = real(array, held + 1)  # one more parameter on the way: this one
        answers.append(answer)
        return answer

    monkeypatch.setattr(cotangents, "donatable", spy)
    return answers


def _leaves(n: int = N, dtype: str = "float64", seed: int = 0) -> tuple[tg.Tensor, ...]:
    rng = np.random.default_rng(seed)
    a, b = (tg.from_numpy(rng.standard_normal(n).astype(dtype)).requires_grad_(True) for _ in range(2))
    x, t = (tg.from_numpy(rng.standard_normal(n).astype(dtype)) for _ in range(2))
    return a, b, x, t


def _expected(a: tg.Tensor, b: tg.Tensor, x: tg.Tensor, t: tg.Tensor, scale: float) -> tuple[np.ndarray, ...]:
    r = a.detach().numpy() * x.numpy() + b.detach().numpy() - t.numpy()
    gb = (r.dtype.type(2) * r.dtype.type(scale)) * r
    return gb * x.numpy(), gb


@pytest.mark.parametrize("square", [lambda r: r ** 2, lambda r: r.square(), lambda r: tg.pow(r, 2)])
def test_a_dying_residual_becomes_the_gradient(donations: list[bool], square) -> None:
    a, b, x, t = _leaves()
    square(a * x + b - t).sum().backward()
    assert donations == [True]
    ga, gb = _expected(a, b, x, t, 1.0)
    assert np.array_equal(a.grad.numpy(), ga) and np.array_equal(b.grad.numpy(), gb)


@settings(max_examples=20, deadline=None)
@given(dtype=st.sampled_from(["float32", "float64"]), mean=st.booleans(),
       extra=st.integers(0, 3), seed=st.integers(0, 2**16))
def test_the_same_bits_as_without_reuse(dtype: str, mean: bool, extra: int, seed: int) -> None:
    a, b, x, t = _leaves(N + extra, dtype, seed)

    def grads(reuse: bool) -> tuple[np.ndarray, np.ndarray]:
        a.grad = b.grad = None
        enabled = backward_reuse.ENABLED
        backward_reuse.ENABLED = enabled and reuse  # donatable() then says no: every VJP allocates
        try:
            loss = (a * x + b - t) ** 2
            (loss.mean() if mean else loss.sum()).backward()
        finally:
            backward_reuse.ENABLED = enabled
        return a.grad.numpy().copy(), b.grad.numpy().copy()

    with_reuse, without = grads(True), grads(False)
    for got, want in zip(with_reuse, without):
        assert got.dtype == want.dtype == np.dtype(dtype)
        assert np.array_equal(got, want)


def test_a_full_cotangent_is_written_in_too(donations: list[bool]) -> None:
    a, b, x, t = _leaves()
    w = np.random.default_rng(3).standard_normal(N)
    r = a * x + b - t
    expected_r = r.detach().numpy().copy()
    del r
    ((a * x + b - t) ** 2).backward(tg.from_numpy(w))
    assert donations == [True]
    assert np.array_equal(b.grad.numpy(), (2 * w) * expected_r)


def test_not_while_anything_else_holds_it(donations: list[bool]) -> None:
    a, b, x, t = _leaves()
    r = a * x + b - t  # the user's tensor
    before = r.detach().numpy().copy()
    (r ** 2).sum().backward()
    view = (a * x + b - t).detach()  # a detached tensor shares the array
    held = view.numpy()
    (view.requires_grad_(True) ** 2).sum().backward()
    assert donations == [False, False]
    assert np.array_equal(r.detach().numpy(), before) and np.array_equal(held, view.detach().numpy())
    assert np.array_equal(view.grad.numpy(), 2 * held)


def test_not_when_the_graph_is_kept_or_differentiated(donations: list[bool]) -> None:
    a, b, x, t = _leaves()
    loss = ((a * x + b - t) ** 2).sum()
    loss.backward(retain_graph=True)
    first = a.grad.numpy().copy()
    loss.backward()  # the second backward frees: it may reuse now
    assert np.array_equal(a.grad.numpy(), 2 * first)
    (ga,) = tg.autograd.grad(((a * x + b - t) ** 2).sum(), [a], create_graph=True)
    (gb,) = tg.autograd.grad(((a * x + b - t) ** 2).sum(), [b])  # inputs=: not the plain path
    assert donations[:2] == [False, True] and not any(donations[2:])
    assert np.array_equal(ga.detach().numpy(), first) and np.array_equal(gb.numpy(), _expected(a, b, x, t, 1.0)[1])


def test_not_with_hooks_or_anomaly_mode(donations: list[bool]) -> None:
    a, b, x, t = _leaves()
    seen: list[np.ndarray] = []
    r = a * x + b - t
    r.register_hook(lambda g: seen.append(g.numpy().copy()))
    loss = (r ** 2).sum()
    expected = 2 * r.detach().numpy()
    del r
    loss.backward()
    with tg.autograd.detect_anomaly():
        ((a * x + b - t) ** 2).sum().backward()
    assert not any(donations)
    assert len(seen) == 1 and np.array_equal(seen[0], expected)


def test_saved_twice_only_the_last_reader_writes(donations: list[bool]) -> None:
    a, b, x, t = _leaves()
    r = a * x + b - t
    expected = r.detach().numpy().copy()
    both = r ** 2 + r ** 2
    del r
    both.sum().backward()
    assert donations.count(True) <= 1  # the first square's VJP sees the other node holding it
    assert np.array_equal(b.grad.numpy(), 2 * (2 * expected))


def test_the_setting_is_restored_after_errors_and_nested_backwards() -> None:
    a, b, x, t = _leaves()
    inner: list[bool] = []

    class Twice(tg.autograd.Function):
        @staticmethod
        def forward(ctx, v):  # type: ignore[override]
            return v * 2

        @staticmethod
        def backward(ctx, g):  # type: ignore[override]
            w = tg.ones(3, requires_grad=True)
            with tg.enable_grad():  # a backward runs with grad mode off, as PyTorch's
                (w * 3).sum().backward(retain_graph=True)
            inner.append(backward_reuse.frees(False))
            backward_reuse.frees(inner[-1])
            return g * 2

    Twice.apply(a).sum().backward()
    assert inner and backward_reuse.frees(False) is False
    with pytest.raises(RuntimeError):
        loss = ((a * x + b - t) ** 2).sum()
        loss.backward()
        loss.backward()  # the second time: freed
    assert backward_reuse.frees(False) is False


def test_threads_never_read_overwritten_values() -> None:
    """A non-retaining backward racing a retaining one over the same graph: each adds the right
    gradient or raises the freed-graph error, never another number."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for round_ in range(6):
            a, b, x, t = _leaves(seed=round_)
            want = _expected(a, b, x, t, 1.0)[1]
            loss = ((a * x + b - t) ** 2).sum()
            done: list[bool] = []

            def run(retain: bool) -> None:
                try:
                    loss.backward(retain_graph=retain)
                    done.append(True)
                except RuntimeError as exc:
                    assert "second time" in str(exc)

            threads = [threading.Thread(target=run, args=(retain,)) for retain in (True, False)]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            assert done, "one of the two must finish"
            assert np.array_equal(b.grad.numpy(), want * len(done))
    finally:
        sys.setswitchinterval(interval)
