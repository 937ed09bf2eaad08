"""The kit's buffer_reuse check: with backward buffer reuse lowered to one element, a VJP that writes
into a saved input gives the gradients it gives without reuse, and writes into nothing the caller
holds; the kit catches a rule that donates a held array, and one whose in-place result differs."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import tapegrad
from tapegrad import backward_reuse, plugins
from tapegrad.testing import Sample, op_checks
from tapegrad.testing.buffer_reuse import reuse_threshold


def reuse_check(name: str):
    (check,) = [c for c in op_checks(name) if c.check == "buffer_reuse"]
    return check


def register(name: str, vjp) -> None:
    class Plugin:
        @staticmethod
        @tapegrad.hookimpl
        def tapegrad_register_ops(registry):
            registry.register_op(name, forward=lambda xp, x: x * x, vjp=(vjp,), saves=("inputs",),
                                 samples=[Sample((3,)), Sample((2, 3))])

    plugins.register(Plugin, name=f"plugin-{name}")


def test_the_builtin_square_donates_a_dying_input_and_passes(monkeypatch):
    from tapegrad.ops_builtin import cotangents

    answers = []
    real = backward_reuse.donatable

    def spy(array, held):  # the same test, this frame's reference counted in
        answers.append(real(array, held + 1))
        return answers[-1]

    monkeypatch.setattr(cotangents, "donatable", spy)
    reuse_check("square")()
    assert True in answers  # the dying inputs were written into: the path this check is for ran
    assert not any(c.check == "buffer_reuse" for c in op_checks("nn.functional.softmin"))  # composites: no


def test_the_threshold_is_put_back():
    before = backward_reuse.BIG
    with reuse_threshold(1):
        assert backward_reuse.BIG == 1
    assert backward_reuse.BIG == before
    with pytest.raises(ZeroDivisionError), reuse_threshold(sys.maxsize):
        1 / 0
    assert backward_reuse.BIG == before


def test_a_rule_writing_into_a_held_input_fails():
    def greedy(xp, g, ans, x):  # donates whether or not something else holds x
        if x.size >= backward_reuse.BIG:
            return np.multiply(2 * g, x, out=x)
        return 2 * g * x

    register("greedy_square", greedy)
    with pytest.raises(AssertionError, match="the backward wrote into input 0, which the caller holds"):
        reuse_check("greedy_square")()


def test_a_rule_whose_in_place_result_differs_fails():
    def sloppy(xp, g, ans, x):  # into a dying x, but forgetting the factor 2
        if backward_reuse.donatable(x, 1):
            return np.multiply(g, x, out=x)
        return 2 * g * x

    register("sloppy_square", sloppy)
    with pytest.raises(AssertionError, match="for dying inputs .* differs from the one without reuse"):
        reuse_check("sloppy_square")()


def test_a_rule_donating_only_dying_inputs_passes():
    def careful(xp, g, ans, x):
        if backward_reuse.donatable(x, 1):
            return np.multiply(2 * g, x, out=x)
        return 2 * g * x

    register("careful_square", careful)
    reuse_check("careful_square")()


def test_the_check_refuses_to_pass_when_a_live_hook_turns_reuse_off():
    """A hook on a non-leaf tensor's gradient (or retain_grad) alive anywhere takes every backward off
    the plain path, reuse included: the check would compare reuse off with reuse off, so it fails,
    saying why, instead of passing; released, it runs again."""
    x = tapegrad.ones(3, requires_grad=True)
    y = x * 2
    handle = y.register_hook(lambda g: g)
    with pytest.raises(AssertionError, match=r"cannot run: 1 tensor\(s\) with gradient hooks .* are alive"):
        reuse_check("square")()
    handle.remove()
    del y, handle
    reuse_check("square")()  # the node died with y: nothing blocks reuse
    z = x * 3
    z.retain_grad()
    with pytest.raises(AssertionError, match=r"1 with retain_grad\(\)"):
        reuse_check("square")()
    del z
    reuse_check("square")()
