"""The kit's ``defaults`` check (a param given at its default is the call leaving it out) and its
aliasing check at special points (a point's path may return its input's memory)."""

from __future__ import annotations

import numpy as np

from tapegrad.testing import EdgeCase, Sample, check_op
from test_kit import register
from test_kit_contracts import only


def _scaled(xp, x, *, mode=None):
    return x * 3.0 if mode is None else x * 2.0


def _scaled_vjp(xp, g, ans, x, *, mode=None):
    return g * 3.0 if mode is None else g * 2.0


def test_a_param_given_at_its_default_is_the_same_call():
    register("scaled_ok", forward=_scaled, vjp=(_scaled_vjp,), saves=(), samples=[Sample((3,))],
             reference=lambda x, mode=None: x * 3.0 if mode is None else x * 2.0)
    assert check_op("scaled_ok") == []


def test_a_rule_wrong_only_when_the_default_is_spelled_out_fails():
    # the node records params {"mode": None}: a rule testing "were params given" instead of their
    # values is wrong only for the spelled-out call, which no sample made
    def vjp(xp, g, ans, x, **params):
        return g * 2.0 if params else g * 3.0

    register("scaled_spelled", forward=_scaled, vjp=(vjp,), saves=(), samples=[Sample((3,))])
    message = only("scaled_spelled", "defaults")
    assert "with mode=None given" in message and "gradient 0" in message


def test_a_point_whose_path_returns_the_input_fails():
    # an empty index returns x itself on this path: writes into the result would reach x
    def forward(xp, x, *, index=()):
        return x if len(index) == 0 else x * 1.0

    point = EdgeCase([1.0, 2.0], params={"index": ()}, value=[1.0, 2.0], grads=([1.0, 1.0],))
    register("maybe_alias", forward=forward, vjp=(lambda xp, g, ans, x, **p: g,), saves=(),
             samples=[Sample((3,), index=(0,))], edge_cases=[point])
    assert "forward returned memory of input 0" in only("maybe_alias", "edge_cases")
