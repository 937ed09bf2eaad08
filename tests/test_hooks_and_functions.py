"""Tensor hooks, custom Functions and anomaly mode."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad
from tapegrad.autograd import Function
from tapegrad.testing import check_grads


def leaf(values):
    return tapegrad.tensor(values, dtype=tapegrad.float64, requires_grad=True)


# ---------------------------------------------------------------------------- hooks
def test_hook_on_a_non_leaf_can_replace_the_gradient():
    x = leaf([1.0, 2.0])
    y = x * 2
    seen = []
    handle = y.register_hook(lambda g: seen.append(g.tolist()) or g * 10)
    (y * y).sum().backward()
    assert seen == [[4.0, 8.0]]
    assert x.grad.tolist() == [80.0, 160.0]
    handle.remove()
    handle.remove()  # twice is harmless
    x.grad = None
    y = x * 2
    (y * y).sum().backward()
    assert x.grad.tolist() == [8.0, 16.0]


def test_leaf_hook_sees_the_total_gradient_once_before_accumulation():
    x = leaf([1.0, 2.0])
    calls = []
    x.register_hook(lambda g: calls.append(g.tolist()))
    (x * 3 + x * 4).sum().backward()
    assert calls == [[7.0, 7.0]]
    assert x.grad.tolist() == [7.0, 7.0]


def test_hooks_run_in_order_and_post_accumulate_hook_sees_grad():
    x = leaf([1.0])
    x.register_hook(lambda g: g + 1)
    x.register_hook(lambda g: g * 2)
    seen = []
    x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
    (x * 3).sum().backward()
    assert x.grad.tolist() == [8.0] and seen == [[8.0]]


def test_hook_errors():
    x = leaf([1.0, 2.0])
    with pytest.raises(TypeError, match="must be callable"):
        x.register_hook(3)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        tapegrad.ones(2).register_hook(lambda g: g)
    with pytest.raises(RuntimeError, match="non-leaf"):
        (x * 2).register_post_accumulate_grad_hook(lambda t: None)
    x.register_hook(lambda g: tapegrad.ones(3, dtype=tapegrad.float64))
    with pytest.raises(RuntimeError, match=r"returned a gradient of shape \[3\], expected \[2\]"):
        (x * 2).sum().backward()
    assert x.grad is None


def test_hooks_apply_to_autograd_grad_and_create_graph():
    x = leaf([2.0])
    x.register_hook(lambda g: g * 0.5)
    (g,) = tapegrad.autograd.grad((x ** 3).sum(), x, create_graph=True)
    assert g.tolist() == [6.0]
    assert g.requires_grad


# ---------------------------------------------------------------------------- Function
class Cube(Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x)
        ctx.k = k
        return x ** 3 * k

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x ** 2 * ctx.k, None


def test_function_forward_backward_and_node_name():
    x = leaf([1.0, 2.0])
    y = Cube.apply(x, 2.0)
    assert repr(y).endswith("grad_fn=<CubeBackward>)")
    assert y.grad_fn.name() == "CubeBackward"
    y.sum().backward()
    assert x.grad.tolist() == [6.0, 24.0]


def test_function_is_differentiable_again_and_passes_gradcheck():
    x = leaf([0.5, 1.5])
    check_grads(lambda a: Cube.apply(a, 2.0), [x], order=3)


def test_function_needs_input_grad_and_no_grad_inputs():
    seen = {}

    class Probe(Function):
        @staticmethod
        def forward(ctx, a, b):
            seen["needs"] = ctx.needs_input_grad
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g, g

    a, b = leaf([1.0]), tapegrad.tensor([2.0], dtype=tapegrad.float64)
    out = Probe.apply(a, b)
    assert seen["needs"] == (True, False)
    out.sum().backward()
    assert a.grad.tolist() == [1.0] and b.grad is None
    assert Probe.apply(b, b).grad_fn is None  # nothing requires grad: no node


def test_function_errors():
    class Wrong(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g, g

    with pytest.raises(RuntimeError, match="returned an incorrect number of gradients"):
        Wrong.apply(leaf([1.0])).sum().backward()

    class NotTensor(Function):
        @staticmethod
        def forward(ctx, x):
            return 3

    with pytest.raises(TypeError, match="must return a Tensor"):
        NotTensor.apply(leaf([1.0]))

    x = leaf([1.0])
    y = x * 1
    out = Cube.apply(y, 1.0)
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


# ---------------------------------------------------------------------------- anomaly mode
def test_anomaly_mode_names_the_node_plugin_and_forward_line():
    with tapegrad.autograd.detect_anomaly(), np.errstate(all="ignore"):
        x = leaf([0.0, 1.0])
        y = x.log() * 0  # the forward line the traceback must point at
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
    message = str(info.value)
    assert "Function 'LogBackward0' (op 'log', plugin 'tapegrad.ops_builtin') returned nan values" in message
    assert "y = x.log() * 0" in message
    assert x.grad is None


def test_without_anomaly_mode_nan_passes_silently():
    x = leaf([0.0, 1.0])
    with np.errstate(all="ignore"):
        (x.log() * 0).sum().backward()
    assert np.isnan(x.grad.numpy()[0])


def test_anomaly_mode_is_per_thread_and_a_decorator():
    import threading

    seen = []

    @tapegrad.autograd.detect_anomaly()
    def inside():
        seen.append(tapegrad.autograd.is_anomaly_enabled())
        thread = threading.Thread(target=lambda: seen.append(tapegrad.autograd.is_anomaly_enabled()))
        thread.start()
        thread.join()

    inside()
    assert seen == [True, False]
    assert not tapegrad.autograd.is_anomaly_enabled()


def test_anomaly_mode_survives_no_grad_inside():
    with tapegrad.autograd.detect_anomaly():
        with tapegrad.no_grad():
            assert not tapegrad.is_grad_enabled()
        with tapegrad.enable_grad():
            assert tapegrad.is_grad_enabled()
            x = leaf([1.0])
            y = x * 2
    from tapegrad.autograd.anomaly import _traces

    assert y.grad_fn in _traces
