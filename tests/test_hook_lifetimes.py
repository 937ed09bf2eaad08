"""Hooks live as long as what they are registered on, never longer: a hook closing over its own tensor
(``y.register_hook(lambda g: g * y.sum())``, a common way to write one) used to sit in a module-level
table that kept the tensor's graph alive for the rest of the process, and with it every later backward
off its plain path (no fast loop, no buffer reuse). The hooks are now held by the node; a dead
``retain_grad()`` tensor no longer leaves its entry behind while its node lives on."""

from __future__ import annotations

import gc
import weakref

import pytest

import tapegrad
from tapegrad import hooks


def _made_and_dropped():
    x = tapegrad.ones(3, requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g * float(y.sum()))  # closes over y: a cycle through its node
    y.sum().backward()
    assert x.grad.tolist() == [12.0, 12.0, 12.0]
    return weakref.ref(y), weakref.ref(y.grad_fn), x


def test_a_hook_closing_over_its_tensor_is_freed_with_it():
    tensor, node, x = _made_and_dropped()
    gc.collect()
    assert tensor() is None and node() is None
    assert not hooks.node_hooks  # nothing left to take later backwards off their plain path
    (x * 3).sum().backward()
    assert x.grad.tolist() == [15.0, 15.0, 15.0]


def test_hooks_fire_while_the_graph_lives_even_if_the_tensor_is_gone():
    """As in PyTorch, a hook belongs to the tensor's node: a downstream graph that keeps the node keeps it."""
    x = tapegrad.ones(2, requires_grad=True)
    y = x * 2
    seen = []
    y.register_hook(lambda g: seen.append(g.tolist()) or g * 10)
    out = (y * 3).sum()
    del y
    gc.collect()
    out.backward()
    assert seen == [[3.0, 3.0]] and x.grad.tolist() == [60.0, 60.0]


def test_a_dead_retained_tensor_leaves_no_entry_while_its_node_lives():
    x = tapegrad.ones(2, requires_grad=True)
    z = x * 3
    z.retain_grad()
    w = z * 1  # keeps z's node alive
    assert hooks.retained_tensors
    del z
    assert not hooks.retained_tensors
    w.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_retain_grad_and_hooks_still_work_and_are_removable():
    x = tapegrad.ones(2, requires_grad=True)
    y = x * 2
    y.retain_grad()
    handle = y.register_hook(lambda g: g * 2)
    (y * y).sum().backward()
    assert y.grad.tolist() == [8.0, 8.0] and x.grad.tolist() == [16.0, 16.0]
    handle.remove()
    x.grad = None
    y2 = x * 2
    y2.register_hook(lambda g: None)
    with pytest.raises(TypeError, match="must return a Tensor or None"):
        y3 = x * 2
        y3.register_hook(lambda g: 1.0)
        y3.sum().backward()
