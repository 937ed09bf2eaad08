"""Grad mode: no_grad, enable_grad, set_grad_enabled; context managers, decorators, per thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

import tapegrad


@pytest.fixture(autouse=True)
def grad_mode_restored() -> Iterator[None]:
    """A failing test must not leave grad mode off for the next one."""
    assert tapegrad.is_grad_enabled()
    yield
    tapegrad.set_grad_enabled(True)


def records() -> bool:
    """Whether an op on a tensor requiring grad records a node right now."""
    y = tapegrad.ones(2, requires_grad=True) * 2
    return y.requires_grad and y.grad_fn is not None


def test_enabled_by_default() -> None:
    assert tapegrad.is_grad_enabled()
    assert records()


def test_no_grad_context() -> None:
    x = tapegrad.ones(2, requires_grad=True)
    with tapegrad.no_grad():
        assert not tapegrad.is_grad_enabled()
        y = x * 2
        assert not y.requires_grad and y.grad_fn is None
        assert x.requires_grad  # the input is unchanged
    assert tapegrad.is_grad_enabled()
    assert (x * 2).requires_grad


def test_no_grad_restores_after_an_exception() -> None:
    with pytest.raises(ValueError):
        with tapegrad.no_grad():
            raise ValueError("inside")
    assert tapegrad.is_grad_enabled()


def test_no_grad_returns_none_from_enter() -> None:
    with tapegrad.no_grad() as value:
        assert value is None


def test_enable_grad_inside_no_grad() -> None:
    with tapegrad.no_grad():
        with tapegrad.enable_grad():
            assert tapegrad.is_grad_enabled()
            assert records()
        assert not tapegrad.is_grad_enabled()
        assert not records()
    assert tapegrad.is_grad_enabled()


def test_nesting() -> None:
    with tapegrad.no_grad():
        with tapegrad.no_grad():
            assert not records()
        assert not tapegrad.is_grad_enabled()  # the inner exit does not re-enable
        with tapegrad.enable_grad():
            with tapegrad.no_grad():
                assert not records()
            assert records()
        assert not records()
    assert records()


def test_one_instance_reentered() -> None:
    guard = tapegrad.no_grad()
    with guard:
        with guard:
            assert not tapegrad.is_grad_enabled()
        assert not tapegrad.is_grad_enabled()
    assert tapegrad.is_grad_enabled()


def test_no_grad_decorator() -> None:
    @tapegrad.no_grad()
    def step(x):
        assert not tapegrad.is_grad_enabled()
        return x * 2

    x = tapegrad.ones(2, requires_grad=True)
    assert not step(x).requires_grad
    assert tapegrad.is_grad_enabled()
    assert step.__name__ == "step"


def test_decorator_restores_after_an_exception() -> None:
    @tapegrad.no_grad()
    def fails():
        raise KeyError("x")

    with pytest.raises(KeyError):
        fails()
    assert tapegrad.is_grad_enabled()


def test_enable_grad_decorator() -> None:
    @tapegrad.enable_grad()
    def inner():
        return records()

    with tapegrad.no_grad():
        assert inner()
        assert not tapegrad.is_grad_enabled()


def test_set_grad_enabled_context() -> None:
    with tapegrad.set_grad_enabled(False):
        assert not tapegrad.is_grad_enabled()
        assert not records()
        with tapegrad.set_grad_enabled(True):
            assert records()
        assert not tapegrad.is_grad_enabled()
    assert tapegrad.is_grad_enabled()


def test_set_grad_enabled_with_a_flag_variable() -> None:
    for training in (True, False):
        with tapegrad.set_grad_enabled(training):
            assert records() is training
    assert tapegrad.is_grad_enabled()


def test_set_grad_enabled_as_a_plain_call() -> None:
    tapegrad.set_grad_enabled(False)
    assert not tapegrad.is_grad_enabled()
    assert not records()
    tapegrad.set_grad_enabled(True)
    assert tapegrad.is_grad_enabled()
    assert records()


def test_set_grad_enabled_decorator() -> None:
    @tapegrad.set_grad_enabled(False)
    def frozen():
        return tapegrad.is_grad_enabled()

    assert tapegrad.is_grad_enabled()  # decorating did not switch it off
    assert frozen() is False
    assert tapegrad.is_grad_enabled()


def test_backward_works_inside_no_grad() -> None:
    x = tapegrad.ones(2, requires_grad=True)
    y = (x * 3).sum()
    with tapegrad.no_grad():
        y.backward()
        assert not tapegrad.is_grad_enabled()  # backward did not switch it back on
    assert x.grad.tolist() == [3.0, 3.0]


def test_backward_restores_grad_mode() -> None:
    x = tapegrad.ones(2, requires_grad=True)
    (x * 3).sum().backward(create_graph=True)
    assert tapegrad.is_grad_enabled()
    y = (x * x).sum()
    with tapegrad.no_grad():
        y.backward(create_graph=True)  # records inside, restores no_grad after
        assert not tapegrad.is_grad_enabled()
    assert tapegrad.is_grad_enabled()


def test_weight_update_under_no_grad() -> None:
    w = tapegrad.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with tapegrad.no_grad():
        w.data = w - 0.5 * w.grad
    assert w.is_leaf and w.requires_grad
    assert w.tolist() == [0.0, 0.0]


# ---------------------------------------------------------------------------- threads
def _run_in_thread(target) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def wrapped() -> None:
        try:
            target()
        except BaseException as exc:  # re-raised in the main thread
            errors.append(exc)

    thread = threading.Thread(target=wrapped)
    thread.start()
    return thread, errors


def test_no_grad_in_one_thread_does_not_affect_another() -> None:
    inside = threading.Barrier(2, timeout=10)  # both threads in their region at once
    done = threading.Barrier(2, timeout=10)  # neither leaves before the other has checked
    results: dict[str, object] = {}

    def quiet() -> None:
        x = tapegrad.ones(2, requires_grad=True)
        with tapegrad.no_grad():
            inside.wait()
            y = x * 2
            results["quiet_mode"] = tapegrad.is_grad_enabled()
            results["quiet"] = y.requires_grad
            done.wait()

    def recording() -> None:
        x = tapegrad.ones(2, requires_grad=True)
        inside.wait()  # the other thread is now inside no_grad
        y = x * 2
        results["recording_mode"] = tapegrad.is_grad_enabled()
        results["recording"] = y.requires_grad
        results["recording_grad_fn"] = y.grad_fn is not None
        done.wait()
        y.sum().backward()
        results["grad"] = x.grad.tolist()

    threads = [_run_in_thread(quiet), _run_in_thread(recording)]
    for thread, errors in threads:
        thread.join(timeout=20)
        assert not thread.is_alive()
        if errors:
            raise errors[0]
    assert results == {
        "quiet_mode": False,
        "quiet": False,
        "recording_mode": True,
        "recording": True,
        "recording_grad_fn": True,
        "grad": [2.0, 2.0],
    }


def test_main_thread_no_grad_does_not_reach_a_new_thread() -> None:
    seen: list[bool] = []
    started = threading.Event()
    with tapegrad.no_grad():
        thread, errors = _run_in_thread(lambda: (seen.append(records()), started.set()))
        assert started.wait(10)
        thread.join(10)
        assert not tapegrad.is_grad_enabled()
    assert not errors
    assert seen == [True]


def test_plain_set_grad_enabled_in_a_thread_stays_there() -> None:
    switched = threading.Event()
    checked = threading.Event()
    seen: list[bool] = []

    def switch_off() -> None:
        tapegrad.set_grad_enabled(False)
        seen.append(tapegrad.is_grad_enabled())
        switched.set()
        checked.wait(10)

    thread, errors = _run_in_thread(switch_off)
    assert switched.wait(10)
    assert tapegrad.is_grad_enabled()
    assert records()
    checked.set()
    thread.join(10)
    assert not errors
    assert seen == [False]
